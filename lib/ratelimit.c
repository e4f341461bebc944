/*
 * Per-source rate limits shared between processes (see ratelimit.h).
 *
 * The state file is one fixed-length line, "hookdir-rate 1 TOKENS LAST\n":
 * TOKENS in millionths of a token, LAST the wall-clock time of the last
 * refill in microseconds. It is rewritten in place with one pwrite(2)
 * under flock(2), and not fsynced: after a crash it may be empty or
 * stale, and an empty file is a full bucket, as a new one is.
 */
#include "autoconf.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ratelimit.h"

#define TOKEN		1000000LL	/* one token, in millionths */
#define STATE_FMT	"hookdir-rate 1 %019lld %019lld\n"
#define STATE_LEN	(sizeof("hookdir-rate 1 ") - 1 + 19 + 1 + 19 + 1)

/* Parse a state line: 0, or -1 if it is not one. */
static int
state_parse(const char *s, size_t len, long long *tokens, long long *last)
{
	char	line[STATE_LEN + 1], check[64];

	if (len != STATE_LEN)
		return -1;
	memcpy(line, s, len);
	line[len] = '\0';
	if (sscanf(line, "hookdir-rate 1 %lld %lld", tokens, last) != 2 ||
	    *tokens < 0 || *last <= 0)
		return -1;
	/* Exactly as written: no sign, no spaces, no trailing bytes. */
	snprintf(check, sizeof(check), STATE_FMT, *tokens, *last);
	return strcmp(check, line) == 0 ? 0 : -1;
}

/* The state file, open and locked: its fd, or -1 with *what set. */
static int
state_open(int spool_dirfd, const char *name, const char **what)
{
	struct stat	st;
	int		dfd, fd;

	*what = "open " RATELIMIT_DIR;
	dfd = openat(spool_dirfd, RATELIMIT_DIR, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (dfd == -1 && errno == ENOENT) {
		/* The responder's own: the worker never reads it. */
		*what = "mkdir " RATELIMIT_DIR;
		if (mkdirat(spool_dirfd, RATELIMIT_DIR, 0700) == -1 &&
		    errno != EEXIST)
			return -1;
		*what = "open " RATELIMIT_DIR;
		dfd = openat(spool_dirfd, RATELIMIT_DIR, O_RDONLY |
		    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (dfd == -1)
		return -1;
	*what = "open";
	fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0600);
	close(dfd);
	if (fd == -1)
		return -1;
	*what = "fstat";
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		*what = "not a regular file";
		errno = EINVAL;
		goto fail;
	}
	*what = "flock";
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR)
			goto fail;
	return fd;
fail:
	{
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}

enum ratelimit_result
ratelimit_take(int spool_dirfd, const char *name, long per_minute,
    long burst, long long now_us, long *retry_after, const char **what,
    int *reset)
{
	enum ratelimit_result	 r;
	char			 buf[64];
	long long		 cap = burst * TOKEN, tokens, last, elapsed;
	long long		 wait_us;
	ssize_t			 n;
	int			 fd, saved;

	*reset = 0;
	if ((fd = state_open(spool_dirfd, name, what)) == -1)
		return RATELIMIT_ERROR;
	*what = "read";
	do
		n = pread(fd, buf, STATE_LEN + 1, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		goto fail;
	if (n == 0) {
		tokens = cap;
		last = now_us;
	} else if (state_parse(buf, (size_t)n, &tokens, &last) == -1) {
		*reset = 1;
		tokens = cap;
		last = now_us;
	}
	/* A smaller burst since the last request: the bucket shrinks. */
	if (tokens > cap)
		tokens = cap;
	/* The clock went back: no refill, and no debt either. */
	if (last > now_us)
		last = now_us;
	elapsed = now_us - last;
	/* Full after (cap - tokens) * 60 / per_minute microseconds. */
	if (elapsed >= (cap - tokens) * 60 / per_minute + 1)
		tokens = cap;
	else
		tokens += elapsed * per_minute / 60;
	if (tokens > cap)
		tokens = cap;
	if (tokens >= TOKEN) {
		tokens -= TOKEN;
		r = RATELIMIT_PASS;
	} else {
		wait_us = ((TOKEN - tokens) * 60 + per_minute - 1) /
		    per_minute;
		*retry_after = (long)((wait_us + 999999) / 1000000);
		if (*retry_after < 1)
			*retry_after = 1;
		r = RATELIMIT_LIMITED;
	}
	*what = "write";
	/* Both are within 0..10^19: the line is STATE_LEN long. */
	snprintf(buf, sizeof(buf), STATE_FMT, tokens, now_us);
	do
		n = pwrite(fd, buf, STATE_LEN, 0);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)STATE_LEN) {
		if (n >= 0)
			errno = EIO;
		goto fail;
	}
	if (*reset && ftruncate(fd, STATE_LEN) == -1)
		goto fail;
	close(fd);
	return r;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return RATELIMIT_ERROR;
}
