/*
 * test-tool's subcommands that live in files of their own.
 */
#ifndef HOOKDIR_TEST_TOOL_H
#define HOOKDIR_TEST_TOOL_H

void	usage(void) __attribute__((noreturn));
/* "test-tool: " and the message on stderr, then exit 1. */
void	die(const char *, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));

int	cmd_sigreq(int, char **);
int	cmd_sigmatrix(int, char **);

#endif
