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
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ratelimit.h"

#define TOKEN		1000000LL	/* one token, in millionths */
#define STATE_HEAD	"hookdir-rate 1 "
#define DIGITS		19
#define STATE_LEN	(sizeof(STATE_HEAD) - 1 + DIGITS + 1 + DIGITS + 1)

/*
 * Parse DIGITS decimal digits at p: -1 if one is not a digit, or if
 * they make more than a long long holds (19 nines do).
 */
static long long
digits_get(const char *p)
{
	long long	v = 0;
	int		i, d;

	for (i = 0; i < DIGITS; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		d = p[i] - '0';
		if (v > (LLONG_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	return v;
}

/* Write v as DIGITS decimal digits at p. */
static void
digits_put(char *p, long long v)
{
	int	i;

	for (i = DIGITS - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Parse a state line: 0, or -1 if it is not one. */
static int
state_parse(const char *s, size_t len, long long *tokens, long long *last)
{
	const size_t	h = sizeof(STATE_HEAD) - 1;

	if (len != STATE_LEN || memcmp(s, STATE_HEAD, h) != 0 ||
	    s[h + DIGITS] != ' ' || s[len - 1] != '\n')
		return -1;
	*tokens = digits_get(s + h);
	*last = digits_get(s + h + DIGITS + 1);
	return *tokens < 0 || *last <= 0 ? -1 : 0;
}

/* The state line for tokens and last, both in 0..10^19. */
static void
state_format(char buf[STATE_LEN], long long tokens, long long last)
{
	const size_t	h = sizeof(STATE_HEAD) - 1;

	memcpy(buf, STATE_HEAD, h);
	digits_put(buf + h, tokens);
	buf[h + DIGITS] = ' ';
	digits_put(buf + h + DIGITS + 1, last);
	buf[STATE_LEN - 1] = '\n';
}

/* The state file, open (not locked): its fd, or -1 with *what set. */
static int
state_open(int spool_dirfd, const char *name, const char **what)
{
	struct stat	st;
	int		dfd, fd, saved;

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
	if (fstat(fd, &st) == 0) {
		if (S_ISREG(st.st_mode))
			return fd;
		*what = "not a regular file";
		errno = EINVAL;
	}
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * A FastCGI responder keeps the state files open between requests:
 * opening one costs more than all the rest. Each is known by the spool
 * directory's identity and the source's name; one that was removed or
 * replaced since (no link left) is opened again, so that every process
 * goes on sharing the file that is there.
 */
#define CACHE_MAX	16
static struct state_fd {
	dev_t	dev;
	ino_t	ino;
	char	name[72];
	int	fd;
} cache[CACHE_MAX];
static size_t	ncache, cache_next;

static void
cache_drop(struct state_fd *c)
{
	close(c->fd);
	*c = cache[--ncache];
}

/* The state file, open and locked: its fd, or -1 with *what set. */
static int
state_lock(int spool_dirfd, const char *name, const char **what)
{
	struct state_fd	*c = NULL;
	struct stat	 dst, st;
	size_t		 i;
	int		 fd, tries;

	*what = "fstat spool";
	if (fstat(spool_dirfd, &dst) == -1)
		return -1;
	for (i = 0; i < ncache; i++)
		if (cache[i].dev == dst.st_dev && cache[i].ino == dst.st_ino &&
		    strcmp(cache[i].name, name) == 0)
			c = &cache[i];
	for (tries = 0; tries < 3; tries++) {
		if (c == NULL) {
			if ((fd = state_open(spool_dirfd, name, what)) == -1)
				return -1;
			if (strlen(name) >= sizeof(c->name)) {
				errno = ENAMETOOLONG;
				close(fd);
				return -1;
			}
			if (ncache == CACHE_MAX) {
				/* Full: a source's turn comes round again. */
				i = cache_next++ % CACHE_MAX;
				close(cache[i].fd);
			} else
				i = ncache++;
			c = &cache[i];
			c->dev = dst.st_dev;
			c->ino = dst.st_ino;
			snprintf(c->name, sizeof(c->name), "%s", name);
			c->fd = fd;
		}
		*what = "flock";
		while (flock(c->fd, LOCK_EX) == -1)
			if (errno != EINTR)
				goto fail;
		*what = "fstat";
		if (fstat(c->fd, &st) == -1)
			goto fail;
		if (st.st_nlink > 0)
			return c->fd;
		cache_drop(c);
		c = NULL;
	}
	*what = "open";
	errno = ESTALE;
	return -1;
fail:
	{
		int saved = errno;
		cache_drop(c);
		errno = saved;
	}
	return -1;
}

/* Done with a state file: unlocked and kept, or (failed) closed. */
static void
state_unlock(int fd, int failed)
{
	size_t	i;

	for (i = 0; i < ncache; i++)
		if (cache[i].fd == fd) {
			if (failed)
				cache_drop(&cache[i]);
			else
				flock(fd, LOCK_UN);
			return;
		}
	close(fd);
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
	if ((fd = state_lock(spool_dirfd, name, what)) == -1)
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
	state_format(buf, tokens, now_us);
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
	state_unlock(fd, 0);
	return r;
fail:
	saved = errno;
	state_unlock(fd, 1);
	errno = saved;
	return RATELIMIT_ERROR;
}
