/*
 * Synchronous responses (a source's "respond"): the exchange through
 * respond_dir between hookdir.fcgi, which holds a request open after
 * spooling its event, and a step's `hookdir respond`, which answers it
 * (hookdir.fcgi(8), hookdir(1)). Both halves are here, so that what one
 * side writes is what the other reads.
 *
 * For event ID, respond_dir holds:
 *   - ID.wait, the marker: the responder creates it before the event is
 *     spooled (so that no step can be told nobody is waiting), holds a
 *     shared flock on it while it waits, and when it stops waiting
 *     takes the lock exclusively, reads and removes ID if it is there,
 *     and removes ID.wait;
 *   - ID, the answer: `hookdir respond` takes a shared lock on ID.wait
 *     and, only while the marker is still linked, writes the answer to
 *     a temporary file and moves it to ID without replacing one that is
 *     there: the first answer wins. Because the check and the move
 *     happen under the lock the responder needs to stop waiting, an
 *     answer is either read by the responder or never written: nothing
 *     is left behind in the directory;
 *   - ID.runs: the worker, the same way (respond_note), writes the ids
 *     of the runs started for the event, one a line, and a last line
 *     "ended" once every one of them has ended; a temporary file renamed
 *     over the last one. The responder names the runs in its 202 answer,
 *     and stops waiting as soon as the file says "ended" with no answer
 *     given: no run is left to give one. It removes ID.runs with the
 *     marker, under its exclusive lock. An event no run was started for
 *     is never "ended": the wait runs its course.
 * Whoever finds a marker nobody locks (its responder died) removes it
 * and ID.runs. inotify on the directory wakes the wait; nothing polls.
 *
 * The answer's format: "Status: NNN", header lines "Name: value", a
 * blank line, the body; lines end with "\n". Headers hookdir.fcgi sets
 * itself, or that describe the connection, are reserved: the writer
 * refuses them and the reader takes an answer holding one as malformed.
 */
#ifndef HOOKDIR_RESPOND_H
#define HOOKDIR_RESPOND_H

#include <stddef.h>

#include "buf.h"
#include "spool.h"

#define RESPOND_BODY_MAX	(1024 * 1024)	/* an answer's body */
#define RESPOND_HEAD_MAX	(64 * 1024)	/* its status and headers */
#define RESPOND_WAIT_SUFFIX	".wait"
#define RESPOND_RUNS_SUFFIX	".runs"

/*
 * Is name[0..len) a reserved header? Its spelling in the one table of
 * them, or NULL.
 */
const char	*respond_reserved(const char *name, size_t len);
/* Is [p, end) a header name: an HTTP token (RFC 9110 5.6.2)? */
int		 respond_header_name_ok(const char *p, const char *end);

/* ---------------------------------------------------------- the step's side */

/*
 * Check "Name: value" (a header as `hookdir respond --header` takes it)
 * and add it to head as an answer's header line; *have_ctype is set
 * when it is Content-Type. 0, or -1 with *why (allocated) saying why not.
 */
int		 respond_header_add(struct buf *head, const char *h,
		    int *have_ctype, char **why);
/*
 * An answer in out: the status (200-599), the header lines head made
 * by respond_header_add (a Content-Type for text when the body is not
 * empty and have_ctype is 0), the body.
 */
void		 respond_answer_format(struct buf *out, long status,
		    const struct buf *head, int have_ctype,
		    const struct buf *body);

enum respond_delivery {
	RESPOND_DELIVERED,	/* the waiting request has it */
	RESPOND_IGNORED,	/* nobody waits, or an answer came first */
	RESPOND_ERROR
};
/*
 * Hand the answer to the responder waiting for event id in dir. *why
 * (allocated) says why when it was not delivered.
 */
enum respond_delivery respond_deliver(const char *dir, const char *id,
		    const struct buf *answer, char **why);
/*
 * From the worker: write ID.runs for a responder waiting for event id,
 * with the runs started for it and whether they all ended. Quiet and
 * cheap when nobody waits (dir NULL, or no marker): one failed open.
 * Failures are only logged: the answer is the same without the note.
 */
void		 respond_note(const char *dir, const char *id,
		    const long long *runs, size_t n, int ended);

/* ----------------------------------------------------- the responder's side */

struct respond_wait {
	int	dirfd;
	int	ifd;		/* inotify on respond_dir */
	int	markfd;		/* ID.wait */
	char	id[SPOOL_ID_MAX];
	char	mark[SPOOL_ID_MAX + sizeof(RESPOND_WAIT_SUFFIX)];
	char	runs[SPOOL_ID_MAX + sizeof(RESPOND_RUNS_SUFFIX)];
	/* What went wrong while waiting or reading, for the caller's log. */
	void	(*log)(void *arg, const char *msg);
	void	*log_arg;
};

/*
 * Get ready to wait for event id's answer, before the event is spooled:
 * 0, or -1 with errno, and *what naming what failed (the caller answers
 * at once instead). log(log_arg, message) hears of trouble later on.
 */
int		 respond_wait_begin(struct respond_wait *, const char *dir,
		    const char *id, void (*log)(void *, const char *),
		    void *log_arg, const char **what);
/* The event was not spooled after all: nobody is to answer it. */
void		 respond_wait_cancel(struct respond_wait *);
/*
 * Wait until the answer is there, every run of the event ended without
 * giving one, or wait_ms have passed, then stop waiting: take the
 * marker's lock exclusively (a `hookdir respond` in the middle of its
 * move finishes first), take the answer if there is one and the runs,
 * remove the marker. 1 with the answer's bytes in answer; 0 without.
 * runs: the runs started for the event, a JSON array.
 */
int		 respond_wait_end(struct respond_wait *, long long wait_ms,
		    struct buf *answer, struct buf *runs);

/* An answer read back, checked as the command that wrote it checked it. */
struct respond_answer {
	int		 status;
	char		*ctype;		/* Content-Type, or NULL */
	struct buf	 headers;	/* the others, "Name: value\r\n" each */
	const char	*body;		/* in the answer's bytes */
	size_t		 body_len;
};
/* 0, or -1 when the answer is malformed. Release it either way. */
int		 respond_answer_parse(const struct buf *,
		    struct respond_answer *);
void		 respond_answer_release(struct respond_answer *);

#endif
