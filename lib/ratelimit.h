/*
 * A source's rate_limit, enforced across every responder process (a
 * FastCGI pool, or one CGI process per request) through a small file
 * per source in the spool: .rate/NAME holds a token bucket (its tokens
 * and the time it was last refilled), read and rewritten under an
 * exclusive flock. Only sources with a rate_limit have such a file. A
 * process keeps the files it used open (a FastCGI responder serves many
 * requests), and opens one again when it was removed or replaced.
 */
#ifndef HOOKDIR_RATELIMIT_H
#define HOOKDIR_RATELIMIT_H

#define RATELIMIT_DIR	".rate"

enum ratelimit_result {
	RATELIMIT_PASS,		/* a token was taken */
	RATELIMIT_LIMITED,	/* none left: *retry_after set */
	RATELIMIT_ERROR		/* the state could not be used: errno, *what */
};

/*
 * Take one token from the bucket of source name (at most burst tokens,
 * per_minute of them added a minute) kept under the spool directory
 * open as spool_dirfd, at now_us (wall-clock microseconds, so that the
 * bucket is the same for every process and outlives them).
 * RATELIMIT_LIMITED sets *retry_after: whole seconds (at least 1) until
 * a token is there. RATELIMIT_ERROR sets errno and *what (the step that
 * failed, a static string). A state file that holds no bucket (a crash,
 * a stray edit) is not trusted: it is reset to a full bucket, and *reset
 * is set so that the caller logs it.
 */
enum ratelimit_result ratelimit_take(int spool_dirfd, const char *name,
	    long per_minute, long burst, long long now_us, long *retry_after,
	    const char **what, int *reset);

#endif
