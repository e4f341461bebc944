/*
 * hookdir respond: from a step, answer the request that hookdir.fcgi
 * holds open for this event (a source's "respond"; see hookdir(1) and
 * hookdir.fcgi(8)).
 *
 * The exchange happens in respond_dir, for event ID:
 *   - the responder creates ID.wait before the event is spooled, holds
 *     a shared flock on it while it waits, and when it stops waiting
 *     takes the lock exclusively, reads and removes ID if it is there,
 *     and removes ID.wait;
 *   - this command takes a shared lock on ID.wait and, only while the
 *     marker is still linked, writes the response to a temporary file
 *     and moves it to ID without replacing one that is there: the first
 *     answer wins.
 * Because the check and the move happen under the lock the responder
 * needs to stop waiting, a response is either read by the responder or
 * never written: nothing is left behind in the directory.
 *
 * The worker tells the responder about the event's runs the same way
 * (respond_note below): under a shared lock on a linked ID.wait it
 * writes ID.runs, a temporary file renamed over the last one, holding
 * the ids of the runs started for the event, one a line, and a last
 * line "ended" once every one of them has ended. The responder reads it
 * when it stops waiting, to name the runs in its 202 answer, and stops
 * waiting as soon as it says "ended" with no answer given: no run is
 * left to give one. It removes ID.runs with the marker, under its
 * exclusive lock, so that file is never left behind either; whoever
 * finds a marker nobody locks removes both. An event
 * no run was started for is never "ended": the wait runs its course.
 */
#include "autoconf.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "chain.h"
#include "config.h"
#include "exec.h"
#include "hookdir.h"
#include "log.h"
#include "spool.h"
#include "util.h"
#include "xmalloc.h"

#define RESPOND_MAX_HEADERS	64

static const char usage_respond[] =
    "usage: hookdir respond [--status N] [--header 'Name: value']...\n"
    "                       [--body TEXT|-]\n"
    "\n"
    "From a step: give the response to the webhook request that triggered\n"
    "this run, when its source has \"respond\": {\"wait\": ...} and the\n"
    "request is still waiting. The first answer wins; the pipeline goes on\n"
    "running either way. The event is $HOOKDIR_EVENT_ID.\n"
    "\n"
    "  -s, --status N       the HTTP status, 200-599 (default 200)\n"
    "  -H, --header 'K: V'  a response header; may be repeated\n"
    "  -b, --body TEXT|-    the body (-: read it from standard input), at\n"
    "                       most 1 MiB; Content-Type defaults to text/plain\n"
    "\n"
    "Exit status 0 when the response was handed to the waiting request,\n"
    "75 when it was ignored: nobody is waiting (the wait was over, or the\n"
    "source does not wait) or another answer came first.\n";

/* Headers hookdir.fcgi sets itself, or that describe the connection. */
static const char *respond_reserved[] = {
	"Status", "Content-Length", "Connection", "Keep-Alive",
	"Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
	NULL
};

/* An RFC 9110 token character, as header names are made of. */
static int
respond_tchar(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * Check "Name: value" and add it to head as a header line. 0, or -1
 * with the reason printed.
 */
static int
respond_header_add(struct buf *head, const char *h, int *have_ctype)
{
	const char	*colon, *v, *end, *p;
	size_t		 i, nlen;

	if ((colon = strchr(h, ':')) == NULL || colon == h) {
		fprintf(stderr, "hookdir respond: `%s` is not a header "
		    "(Name: value)\n", h);
		return -1;
	}
	nlen = (size_t)(colon - h);
	for (p = h; p < colon; p++)
		if (!respond_tchar((unsigned char)*p)) {
			fprintf(stderr, "hookdir respond: `%.*s` is not a "
			    "header name\n", (int)nlen, h);
			return -1;
		}
	for (i = 0; respond_reserved[i] != NULL; i++)
		if (strlen(respond_reserved[i]) == nlen &&
		    ascii_ncasecmp(h, respond_reserved[i], nlen) == 0) {
			fprintf(stderr, "hookdir respond: %s is set by "
			    "hookdir.fcgi, not by --header\n",
			    respond_reserved[i]);
			return -1;
		}
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	/* A CR or LF would let a value start a header of its own. */
	for (p = v; p < end; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
			fprintf(stderr, "hookdir respond: the value of %.*s "
			    "must be one line without control characters\n",
			    (int)nlen, h);
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
 * Hand the response to the waiting responder: 0, EX_TEMPFAIL when it
 * is ignored, another sysexits code on errors (printed).
 */
static int
respond_deliver(const char *dir, const char *id, const struct buf *resp)
{
	struct stat	 st;
	char		 mark[SPOOL_ID_MAX + sizeof(RESPOND_WAIT_SUFFIX)];
	char		 tmp[SPOOL_ID_MAX + 32];
	int		 dirfd, markfd = -1, fd, rc = EX_TEMPFAIL;

	snprintf(mark, sizeof(mark), "%s" RESPOND_WAIT_SUFFIX, id);
	/* A leading dot: never an event id, so never mistaken for an answer. */
	snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", id, (long)getpid());
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT) {
			fprintf(stderr, "hookdir respond: nobody is waiting "
			    "(no %s)\n", dir);
			return EX_TEMPFAIL;
		}
		fprintf(stderr, "hookdir respond: %s: %s\n", dir,
		    strerror(errno));
		return EX_IOERR;
	}
	markfd = openat(dirfd, mark, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (markfd == -1) {
		if (errno == ENOENT)
			fprintf(stderr, "hookdir respond: nobody is waiting "
			    "for event %s\n", id);
		else {
			fprintf(stderr, "hookdir respond: %s/%s: %s\n", dir,
			    mark, strerror(errno));
			rc = EX_IOERR;
		}
		goto out;
	}
	/*
	 * A waiting responder holds a shared lock: a marker nobody locks
	 * was left by one that died (a killed FastCGI process), or belongs
	 * to one that is just finishing. Either way nobody is waiting; the
	 * first case leaves a file that nothing else would remove.
	 */
	if (flock(markfd, LOCK_EX | LOCK_NB) == 0) {
		respond_forget(dirfd, id);
		fprintf(stderr, "hookdir respond: nobody is waiting for event "
		    "%s\n", id);
		goto out;
	}
	if (flock(markfd, LOCK_SH) == -1) {
		fprintf(stderr, "hookdir respond: flock %s/%s: %s\n", dir,
		    mark, strerror(errno));
		rc = EX_IOERR;
		goto out;
	}
	/* Under the lock: the responder either still waits or is gone. */
	if (fstat(markfd, &st) == -1 || st.st_nlink == 0) {
		fprintf(stderr, "hookdir respond: nobody is waiting for event "
		    "%s\n", id);
		goto out;
	}
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	/*
	 * 0644 whatever the umask: the responder runs as another user, and
	 * a response is no secret (it is sent to whoever asked).
	 */
	if (fd == -1 || fchmod(fd, 0644) == -1 ||
	    write_all(fd, resp->data, resp->len) == -1) {
		fprintf(stderr, "hookdir respond: %s/%s: %s\n", dir, tmp,
		    strerror(errno));
		if (fd != -1) {
			close(fd);
			unlinkat(dirfd, tmp, 0);
		}
		rc = EX_IOERR;
		goto out;
	}
	if (close(fd) == -1) {
		fprintf(stderr, "hookdir respond: %s/%s: %s\n", dir, tmp,
		    strerror(errno));
		unlinkat(dirfd, tmp, 0);
		rc = EX_IOERR;
		goto out;
	}
	if (respond_move(dirfd, tmp, id) == -1) {
		if (errno == EEXIST)
			fprintf(stderr, "hookdir respond: ignored: event %s "
			    "already has its response\n", id);
		else {
			fprintf(stderr, "hookdir respond: %s/%s: %s\n", dir,
			    id, strerror(errno));
			rc = EX_IOERR;
		}
		goto out;
	}
	rc = 0;
out:
	if (markfd != -1)
		close(markfd);
	close(dirfd);
	return rc;
}

/*
 * From the worker: write ID.runs for a responder waiting for event id
 * (see the top of this file), with the runs started for it and whether
 * they all ended. Quiet and cheap when nobody waits: one failed open.
 * Failures are only logged: the answer is the same without the note.
 */
void
respond_note(const char *dir, const char *id, const long long *runs,
    size_t n, int ended)
{
	struct stat	 st;
	struct buf	 b = BUF_INIT;
	char		 name[SPOOL_ID_MAX + sizeof(RESPOND_RUNS_SUFFIX)];
	char		 mark[SPOOL_ID_MAX + sizeof(RESPOND_WAIT_SUFFIX)];
	char		 tmp[SPOOL_ID_MAX + 32];
	size_t		 i;
	int		 dirfd, markfd, fd;

	if (dir == NULL ||
	    (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	snprintf(mark, sizeof(mark), "%s" RESPOND_WAIT_SUFFIX, id);
	snprintf(name, sizeof(name), "%s" RESPOND_RUNS_SUFFIX, id);
	/* A leading dot, as for answers: never taken for one. */
	snprintf(tmp, sizeof(tmp), ".%s.%ld.runs", id, (long)getpid());
	markfd = openat(dirfd, mark, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (markfd == -1)
		goto out;
	if (flock(markfd, LOCK_EX | LOCK_NB) == 0) {
		respond_forget(dirfd, id);
		goto out;
	}
	if (flock(markfd, LOCK_SH) == -1 || fstat(markfd, &st) == -1 ||
	    st.st_nlink == 0)
		goto out;
	for (i = 0; i < n; i++)
		buf_printf(&b, "%lld\n", runs[i]);
	if (ended)
		buf_addstr(&b, "ended\n");
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd == -1) {
		log_warn("event %s: %s/%s", id, dir, tmp);
		goto out;
	}
	if (fchmod(fd, 0644) == -1 ||
	    write_all(fd, b.data != NULL ? b.data : "", b.len) == -1) {
		log_warn("event %s: %s/%s", id, dir, tmp);
		close(fd);
		unlinkat(dirfd, tmp, 0);
	} else if (close(fd) == -1 ||
	    renameat(dirfd, tmp, dirfd, name) == -1) {
		log_warn("event %s: %s/%s", id, dir, name);
		unlinkat(dirfd, tmp, 0);
	}
out:
	buf_release(&b);
	if (markfd != -1)
		close(markfd);
	close(dirfd);
}

int
cmd_respond(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "status",	required_argument,	NULL, 's' },
		{ "header",	required_argument,	NULL, 'H' },
		{ "body",	required_argument,	NULL, 'b' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct config	*cf;
	struct buf	 head = BUF_INIT, body = BUF_INIT, resp = BUF_INIT;
	const char	*id, *body_arg = NULL, **secrets = NULL;
	char		*names = NULL;
	char		*end;
	long		 status = 200;
	int		 ch, nheaders = 0, have_ctype = 0, rc = EX_USAGE;

	while ((ch = getopt_long(argc, argv, "s:H:b:h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			errno = 0;
			status = strtol(optarg, &end, 10);
			if (errno != 0 || *optarg == '\0' || *end != '\0' ||
			    status < 200 || status > 599) {
				fprintf(stderr, "hookdir respond: --status "
				    "%s: must be 200-599\n", optarg);
				goto done;
			}
			break;
		case 'H':
			if (++nheaders > RESPOND_MAX_HEADERS) {
				fprintf(stderr, "hookdir respond: at most %d "
				    "headers\n", RESPOND_MAX_HEADERS);
				goto done;
			}
			if (respond_header_add(&head, optarg, &have_ctype) ==
			    -1)
				goto done;
			break;
		case 'b':
			body_arg = optarg;
			break;
		case 'h':
			fputs(usage_respond, stdout);
			rc = 0;
			goto done;
		default:
			fputs(usage_respond, stderr);
			goto done;
		}
	}
	if (optind != argc) {
		fputs(usage_respond, stderr);
		goto done;
	}
	if (head.len > RESPOND_HEAD_MAX - 64) {
		fprintf(stderr, "hookdir respond: the headers are larger than "
		    "%d bytes\n", RESPOND_HEAD_MAX - 64);
		goto done;
	}
	id = getenv("HOOKDIR_EVENT_ID");
	if (id == NULL || *id == '\0') {
		fprintf(stderr, "hookdir respond: HOOKDIR_EVENT_ID is not set: "
		    "run it from a pipeline's step\n");
		goto done;
	}
	if (!spool_id_is_valid(id)) {
		fprintf(stderr, "hookdir respond: HOOKDIR_EVENT_ID `%s` is not "
		    "an event id\n", id);
		goto done;
	}
	if (body_arg != NULL && strcmp(body_arg, "-") == 0) {
		if (read_fd(STDIN_FILENO, &body, RESPOND_BODY_MAX) == -1) {
			if (errno == EFBIG)
				fprintf(stderr, "hookdir respond: the body is "
				    "larger than %d bytes\n",
				    RESPOND_BODY_MAX);
			else
				fprintf(stderr, "hookdir respond: standard "
				    "input: %s\n", strerror(errno));
			rc = errno == EFBIG ? EX_DATAERR : EX_IOERR;
			goto done;
		}
	} else if (body_arg != NULL) {
		if (strlen(body_arg) > RESPOND_BODY_MAX) {
			fprintf(stderr, "hookdir respond: the body is larger "
			    "than %d bytes\n", RESPOND_BODY_MAX);
			rc = EX_DATAERR;
			goto done;
		}
		buf_addstr(&body, body_arg);
	}
	if ((status == 204 || status == 304) && body.len > 0) {
		fprintf(stderr, "hookdir respond: a %ld response has no body\n",
		    status);
		goto done;
	}
	cf = cli_config(cli);
	/*
	 * The answer leaves the machine: the run's secrets are masked in
	 * it as in the step's log.
	 */
	if ((rc = chain_step_secrets("respond", &secrets, &names)) != 0)
		goto done;

	buf_printf(&resp, "Status: %ld\n", status);
	if (!have_ctype && body.len > 0)
		buf_addstr(&resp, "Content-Type: text/plain; charset=utf-8\n");
	exec_mask(secrets, head.data != NULL ? head.data : "", head.len, &resp);
	buf_addch(&resp, '\n');
	exec_mask(secrets, body.data != NULL ? body.data : "", body.len, &resp);
	rc = respond_deliver(cf->respond_dir, id, &resp);
done:
	free(secrets);
	free(names);
	buf_release(&head);
	buf_release(&body);
	buf_release(&resp);
	return rc;
}
