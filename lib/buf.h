/*
 * A growable byte buffer, always NUL-terminated after len bytes so that
 * text can be used as a C string. The buffer owns data; buf_detach()
 * hands it to the caller, who frees it.
 */
#ifndef HOOKDIR_BUF_H
#define HOOKDIR_BUF_H

#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT	{ NULL, 0, 0 }

void	 buf_init(struct buf *);
void	 buf_release(struct buf *);		/* frees data */
void	 buf_reset(struct buf *);		/* len = 0, keeps memory */
void	 buf_grow(struct buf *, size_t extra);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_addstr(struct buf *, const char *);
void	 buf_addch(struct buf *, int);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
char	*buf_detach(struct buf *, size_t *lenp);	/* caller frees */
const char *buf_str(struct buf *);		/* "" when empty */

#endif
