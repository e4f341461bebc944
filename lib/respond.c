/*
 * Synchronous responses: both halves of the exchange through
 * respond_dir (see respond.h).
 */
#include "autoconf.h"

#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "respond.h"
#include "spool.h"
#include "util.h"
#include "xmalloc.h"

/* Set by hookdir.fcgi itself, or about the connection: never relayed. */
static const char *const reserved[] = {
	"Status", "Content-Length", "Connection", "Keep-Alive",
	"Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
	NULL
};

const char *
respond_reserved(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; reserved[i] != NULL; i++)
		if (strlen(reserved[i]) == len &&
		    ascii_ncasecmp(name, reserved[i], len) == 0)
			return reserved[i];
	return NULL;
}

int
respond_header_name_ok(const char *p, const char *end)
{
	if (p == end)
		return 0;
	for (; p < end; p++)
		if (!(*p >= 'A' && *p <= 'Z') && !(*p >= 'a' && *p <= 'z') &&
		    !(*p >= '0' && *p <= '9') &&
		    (*p == '\0' || strchr("!#$%&'*+-.^_`|~", *p) == NULL))
			return 0;
	return 1;
}

/*
 * A header value: one line without control characters (a tab aside). A
 * CR or LF would let a value start a header of its own.
 */
static int
value_ok(const char *p, const char *end)
{
	for (; p < end; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 0;
	return 1;
}

/* ---------------------------------------------------------- the step's side */

int
respond_header_add(struct buf *head, const char *h, int *have_ctype,
    char **why)
{
	const char	*colon, *v, *end, *r;
	size_t		 nlen;

	if ((colon = strchr(h, ':')) == NULL || colon == h) {
		xasprintf(why, "`%s` is not a header (Name: value)", h);
		return -1;
	}
	nlen = (size_t)(colon - h);
	if (!respond_header_name_ok(h, colon)) {
		xasprintf(why, "`%.*s` is not a header name", (int)nlen, h);
		return -1;
	}
	if ((r = respond_reserved(h, nlen)) != NULL) {
		xasprintf(why, "%s is set by hookdir.fcgi, not by --header", r);
		return -1;
	}
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (!value_ok(v, end)) {
		xasprintf(why, "the value of %.*s must be one line without "
		    "control characters", (int)nlen, h);
		return -1;
	}
	if (nlen == 12 && ascii_ncasecmp(h, "Content-Type", nlen) == 0)
		*have_ctype = 1;
	buf_add(head, h, nlen);
	buf_addstr(head, ": ");
	buf_add(head, v, (size_t)(end - v));
	buf_addch(head, '\n');
	return 0;
}

void
respond_answer_format(struct buf *out, long status, const struct buf *head,
    int have_ctype, const struct buf *body)
{
	buf_printf(out, "Status: %ld\n", status);
	if (!have_ctype && body->len > 0)
		buf_addstr(out, "Content-Type: text/plain; charset=utf-8\n");
	buf_add(out, head->data != NULL ? head->data : "", head->len);
	buf_addch(out, '\n');
	buf_add(out, body->data != NULL ? body->data : "", body->len);
}

/*
 * Move tmp to name in dir, failing with EEXIST rather than replacing
 * an answer given before; link-then-unlink where renameat2 cannot.
 */
static int
respond_move(int dirfd, const char *tmp, const char *name)
{
	int	saved;

#ifdef HAVE_RENAMEAT2
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		goto fail;
#endif
	if (linkat(dirfd, tmp, dirfd, name, 0) == -1)
		goto fail;
	unlinkat(dirfd, tmp, 0);
	return 0;
fail:
	saved = errno;
	unlinkat(dirfd, tmp, 0);
	errno = saved;
	return -1;
}

/*
 * ID.wait is there and nobody locks it: its responder died (a killed
 * FastCGI process). Nobody is waiting: remove what it leaves behind.
 */
static void
respond_forget(int dirfd, const char *id)
{
	char	name[SPOOL_ID_MAX + sizeof(RESPOND_WAIT_SUFFIX) +
		    sizeof(RESPOND_RUNS_SUFFIX)];

	snprintf(name, sizeof(name), "%s" RESPOND_RUNS_SUFFIX, id);
	unlinkat(dirfd, name, 0);
	snprintf(name, sizeof(name), "%s" RESPOND_WAIT_SUFFIX, id);
	unlinkat(dirfd, name, 0);
}

/*
 * Open event id's marker and hold a shared lock on it while it is still
 * linked: a responder waits. The marker's descriptor; -1 when nobody
 * waits (errno 0), or with errno on errors (*what: "" or "flock "). A marker nobody locks was
 * left by a responder that died, or belongs to one just finishing:
 * either way nobody waits, and the first case leaves files that nothing
 * else would remove.
 */
static int
respond_mark_lock(int dirfd, const char *id, const char **what)
{
	struct stat	 st;
	char		 mark[SPOOL_ID_MAX + sizeof(RESPOND_WAIT_SUFFIX)];
	int		 fd;

	snprintf(mark, sizeof(mark), "%s" RESPOND_WAIT_SUFFIX, id);
	*what = "";
	if ((fd = openat(dirfd, mark, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1) {
		if (errno == ENOENT)
			errno = 0;
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		respond_forget(dirfd, id);
		close(fd);
		errno = 0;
		return -1;
	}
	*what = "flock ";
	if (flock(fd, LOCK_SH) == -1) {
		close(fd);
		return -1;
	}
	/* Under the lock: the responder either still waits or is gone. */
	if (fstat(fd, &st) == -1 || st.st_nlink == 0) {
		close(fd);
		errno = 0;
		return -1;
	}
	return fd;
}

/*
 * Write data to tmp in dirfd, 0644 whatever the umask: the responder
 * runs as another user, and neither an answer (it is sent to whoever
 * asked) nor run ids are secret. 0, or -1 with errno and no tmp left.
 */
static int
respond_write_tmp(int dirfd, const char *tmp, const char *data, size_t len,
    int flags)
{
	int	fd, saved;

	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    flags, 0644);
	if (fd == -1)
		return -1;
	if (fchmod(fd, 0644) == -1 || write_all(fd, data, len) == -1) {
		saved = errno;
		close(fd);
		unlinkat(dirfd, tmp, 0);
		errno = saved;
		return -1;
	}
	if (close(fd) == -1) {
		saved = errno;
		unlinkat(dirfd, tmp, 0);
		errno = saved;
		return -1;
	}
	return 0;
}

enum respond_delivery
respond_deliver(const char *dir, const char *id, const struct buf *answer,
    char **why)
{
	const char		*what;
	char			 tmp[SPOOL_ID_MAX + 32];
	int			 dirfd, markfd;
	enum respond_delivery	 rc = RESPOND_ERROR;

	/* A leading dot: never an event id, so never mistaken for an answer. */
	snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", id, (long)getpid());
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT) {
			xasprintf(why, "nobody is waiting (no %s)", dir);
			return RESPOND_IGNORED;
		}
		xasprintf(why, "%s: %s", dir, strerror(errno));
		return RESPOND_ERROR;
	}
	if ((markfd = respond_mark_lock(dirfd, id, &what)) == -1) {
		if (errno == 0) {
			xasprintf(why, "nobody is waiting for event %s", id);
			rc = RESPOND_IGNORED;
		} else
			xasprintf(why, "%s%s/%s" RESPOND_WAIT_SUFFIX ": %s",
			    what, dir, id, strerror(errno));
		goto out;
	}
	if (respond_write_tmp(dirfd, tmp, answer->data != NULL ?
	    answer->data : "", answer->len, O_EXCL) == -1) {
		xasprintf(why, "%s/%s: %s", dir, tmp, strerror(errno));
		goto out;
	}
	if (respond_move(dirfd, tmp, id) == -1) {
		if (errno == EEXIST) {
			xasprintf(why, "ignored: event %s already has its "
			    "response", id);
			rc = RESPOND_IGNORED;
		} else
			xasprintf(why, "%s/%s: %s", dir, id, strerror(errno));
		goto out;
	}
	rc = RESPOND_DELIVERED;
out:
	if (markfd != -1)
		close(markfd);
	close(dirfd);
	return rc;
}

void
respond_note(const char *dir, const char *id, const long long *runs,
    size_t n, int ended)
{
	struct buf	 b = BUF_INIT;
	const char	*what;
	char		 name[SPOOL_ID_MAX + sizeof(RESPOND_RUNS_SUFFIX)];
	char		 tmp[SPOOL_ID_MAX + 32];
	size_t		 i;
	int		 dirfd, markfd;

	if (dir == NULL ||
	    (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	snprintf(name, sizeof(name), "%s" RESPOND_RUNS_SUFFIX, id);
	/* A leading dot, as for answers: never taken for one. */
	snprintf(tmp, sizeof(tmp), ".%s.%ld.runs", id, (long)getpid());
	if ((markfd = respond_mark_lock(dirfd, id, &what)) == -1)
		goto out;
	for (i = 0; i < n; i++)
		buf_printf(&b, "%lld\n", runs[i]);
	if (ended)
		buf_addstr(&b, "ended\n");
	if (respond_write_tmp(dirfd, tmp, b.data != NULL ? b.data : "", b.len,
	    O_TRUNC) == -1)
		log_warn("event %s: %s/%s", id, dir, tmp);
	else if (renameat(dirfd, tmp, dirfd, name) == -1) {
		log_warn("event %s: %s/%s", id, dir, name);
		unlinkat(dirfd, tmp, 0);
	}
out:
	buf_release(&b);
	if (markfd != -1)
		close(markfd);
	close(dirfd);
}

/* ----------------------------------------------------- the responder's side */

static void __attribute__((format(printf, 2, 3)))
wait_log(const struct respond_wait *w, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w->log != NULL)
		w->log(w->log_arg, msg);
}

static void
respond_wait_close(struct respond_wait *w)
{
	if (w->markfd != -1)
		close(w->markfd);
	if (w->ifd != -1)
		close(w->ifd);
	if (w->dirfd != -1)
		close(w->dirfd);
	w->markfd = w->ifd = w->dirfd = -1;
}

int
respond_wait_begin(struct respond_wait *w, const char *dir, const char *id,
    void (*log)(void *, const char *), void *log_arg, const char **what)
{
	int	saved;

	*what = "open";
	w->ifd = w->markfd = -1;
	w->log = log;
	w->log_arg = log_arg;
	snprintf(w->id, sizeof(w->id), "%s", id);
	snprintf(w->mark, sizeof(w->mark), "%s" RESPOND_WAIT_SUFFIX, id);
	snprintf(w->runs, sizeof(w->runs), "%s" RESPOND_RUNS_SUFFIX, id);
	if ((w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto fail;
	/* Watch first: an answer cannot come before the marker exists. */
	*what = "inotify";
	if ((w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(w->ifd, dir, IN_CREATE | IN_MOVED_TO) == -1)
		goto fail;
	*what = w->mark;
	w->markfd = openat(w->dirfd, w->mark, O_RDONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0644);
	if (w->markfd == -1)
		goto fail;
	/*
	 * Our umask would make it 0640; the worker's user opens it to lock
	 * it. The shared lock says a live responder waits on it.
	 */
	if (fchmod(w->markfd, 0644) == -1 || flock(w->markfd, LOCK_SH) == -1) {
		saved = errno;
		unlinkat(w->dirfd, w->mark, 0);
		errno = saved;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	respond_wait_close(w);
	errno = saved;
	return -1;
}

void
respond_wait_cancel(struct respond_wait *w)
{
	unlinkat(w->dirfd, w->mark, 0);
	respond_wait_close(w);
}

/*
 * What ID.runs says: the run ids as a JSON array in json ("[]" without
 * the file); 1 when it says they all ended, else 0. Lines that are not
 * a run id or "ended" are ignored.
 */
static int
respond_runs_read(struct respond_wait *w, struct buf *json)
{
	char	 b[4096], *line, *nl;
	ssize_t	 n;
	size_t	 len = 0, nruns = 0;
	int	 fd, ended = 0;

	buf_reset(json);
	buf_addch(json, '[');
	fd = openat(w->dirfd, w->runs, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd != -1) {
		while (len < sizeof(b) - 1 && ((n = read(fd, b + len,
		    sizeof(b) - 1 - len)) > 0 || (n == -1 && errno == EINTR)))
			if (n > 0)
				len += (size_t)n;
		close(fd);
	}
	b[len] = '\0';
	for (line = b; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		if (strcmp(line, "ended") == 0)
			ended = 1;
		else if (*line != '\0' && nl - line <= 18 &&
		    strspn(line, "0123456789") == (size_t)(nl - line))
			buf_printf(json, "%s%s", nruns++ > 0 ? "," : "", line);
	}
	buf_addch(json, ']');
	return ended;
}

/* Until the answer is there, the runs all ended, or wait_ms passed. */
static void
respond_wait_for(struct respond_wait *w, long long wait_ms,
    struct buf *runs)
{
	char		 ev[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pollfd	 pfd;
	struct stat	 st;
	long long	 deadline, left;

	deadline = monotonic_ms() + wait_ms;
	for (;;) {
		if (fstatat(w->dirfd, w->id, &st, AT_SYMLINK_NOFOLLOW) == 0)
			break;
		/* Nobody is left to answer: no use waiting. */
		if (respond_runs_read(w, runs) == 1)
			break;
		if ((left = deadline - monotonic_ms()) <= 0)
			break;
		pfd.fd = w->ifd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR) {
			wait_log(w, "respond: poll: %s", strerror(errno));
			break;
		}
		/* Which name changed does not matter: look again. */
		while (read(w->ifd, ev, sizeof(ev)) > 0)
			;
	}
}

/* Read the answer, if there is one, and remove it: 1 when it is usable. */
static int
respond_answer_take(struct respond_wait *w, struct buf *out)
{
	size_t		 max = RESPOND_HEAD_MAX + RESPOND_BODY_MAX;
	ssize_t		 n = 0;
	int		 fd, got = 0;

	fd = openat(w->dirfd, w->id, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return 0;
	buf_reset(out);
	for (;;) {
		buf_grow(out, 65536);
		n = read(fd, out->data + out->len, 65536);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		out->len += (size_t)n;
		out->data[out->len] = '\0';
		if (out->len > max)
			break;
	}
	if (n == -1)
		wait_log(w, "respond: reading %s: %s", w->id, strerror(errno));
	else if (out->len > max)
		wait_log(w, "respond: the answer is larger than %zu bytes",
		    max);
	else
		got = 1;
	close(fd);
	unlinkat(w->dirfd, w->id, 0);
	return got;
}

int
respond_wait_end(struct respond_wait *w, long long wait_ms,
    struct buf *answer, struct buf *runs)
{
	int	got;

	respond_wait_for(w, wait_ms, runs);
	if (flock(w->markfd, LOCK_EX) == -1)
		wait_log(w, "respond: flock %s: %s", w->mark, strerror(errno));
	got = respond_answer_take(w, answer);
	respond_runs_read(w, runs);
	unlinkat(w->dirfd, w->runs, 0);
	unlinkat(w->dirfd, w->mark, 0);
	respond_wait_close(w);
	return got;
}

int
respond_answer_parse(const struct buf *a, struct respond_answer *ans)
{
	const char	*p = a->data, *end = a->data + a->len, *nl, *colon;
	const char	*v;

	memset(ans, 0, sizeof(*ans));
	if (p == NULL)
		return -1;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return -1;
		if (nl == p) {
			p = nl + 1;
			break;
		}
		colon = memchr(p, ':', (size_t)(nl - p));
		if (colon == NULL || !respond_header_name_ok(p, colon))
			return -1;
		for (v = colon + 1; v < nl && (*v == ' ' || *v == '\t'); v++)
			;
		if (!value_ok(v, nl))
			return -1;
		if (ans->status == 0) {
			/* The first line, and only it: "Status: NNN". */
			if ((size_t)(colon - p) != 6 ||
			    ascii_ncasecmp(p, "Status", 6) != 0 ||
			    nl - v != 3 || v[0] < '2' || v[0] > '5' ||
			    v[1] < '0' || v[1] > '9' || v[2] < '0' ||
			    v[2] > '9')
				return -1;
			ans->status = (v[0] - '0') * 100 + (v[1] - '0') * 10 +
			    (v[2] - '0');
		} else if ((size_t)(colon - p) == 12 &&
		    ascii_ncasecmp(p, "Content-Type", 12) == 0) {
			free(ans->ctype);
			ans->ctype = xstrndup(v, (size_t)(nl - v));
		} else if (respond_reserved(p, (size_t)(colon - p)) != NULL)
			return -1;
		else {
			buf_add(&ans->headers, p, (size_t)(nl - p));
			buf_addstr(&ans->headers, "\r\n");
		}
		p = nl + 1;
	}
	if (ans->status == 0 || (size_t)(end - p) > RESPOND_BODY_MAX)
		return -1;
	ans->body = p;
	ans->body_len = (size_t)(end - p);
	return 0;
}

void
respond_answer_release(struct respond_answer *ans)
{
	free(ans->ctype);
	ans->ctype = NULL;
	buf_release(&ans->headers);
}
