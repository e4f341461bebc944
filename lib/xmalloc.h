/*
 * Allocation that never fails: on exhaustion the process logs and exits.
 * A FastCGI responder that cannot allocate a few kilobytes is better
 * restarted by its server than left limping.
 */
#ifndef HOOKDIR_XMALLOC_H
#define HOOKDIR_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
