/*
 * hookdir respond: from a step, answer the request that hookdir.fcgi
 * holds open for this event (a source's "respond"; see hookdir(1) and
 * hookdir.fcgi(8)). The exchange through respond_dir is respond.h's.
 */
#include "autoconf.h"


#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "chain.h"
#include "config.h"
#include "exec.h"
#include "hookdir.h"
#include "respond.h"
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

/* What the command line gives. */
struct respond_args {
	long		 status;
	struct buf	 head;		/* header lines (respond_header_add) */
	int		 have_ctype;
	const char	*body;		/* --body, or NULL */
};

/*
 * Parse and check the options into a. -1 when the command goes on, else
 * its exit status (--help, a usage error).
 */
static int
respond_getopt(int argc, char **argv, struct respond_args *a)
{
	static const struct option opts[] = {
		{ "status",	required_argument,	NULL, 's' },
		{ "header",	required_argument,	NULL, 'H' },
		{ "body",	required_argument,	NULL, 'b' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	char	*end, *why = NULL;
	int	 ch, nheaders = 0;

	while ((ch = getopt_long(argc, argv, "s:H:b:h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			errno = 0;
			a->status = strtol(optarg, &end, 10);
			if (errno != 0 || *optarg == '\0' || *end != '\0' ||
			    a->status < 200 || a->status > 599) {
				fprintf(stderr, "hookdir respond: --status "
				    "%s: must be 200-599\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'H':
			if (++nheaders > RESPOND_MAX_HEADERS) {
				fprintf(stderr, "hookdir respond: at most %d "
				    "headers\n", RESPOND_MAX_HEADERS);
				return EX_USAGE;
			}
			if (respond_header_add(&a->head, optarg,
			    &a->have_ctype, &why) == -1) {
				fprintf(stderr, "hookdir respond: %s\n", why);
				free(why);
				return EX_USAGE;
			}
			break;
		case 'b':
			a->body = optarg;
			break;
		case 'h':
			fputs(usage_respond, stdout);
			return EX_OK;
		default:
			fputs(usage_respond, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage_respond, stderr);
		return EX_USAGE;
	}
	if (a->head.len > RESPOND_HEAD_MAX - 64) {
		fprintf(stderr, "hookdir respond: the headers are larger than "
		    "%d bytes\n", RESPOND_HEAD_MAX - 64);
		return EX_USAGE;
	}
	return -1;
}

/* The body: --body's text, or standard input for `-`. 0, or an exit status. */
static int
respond_body(const char *arg, struct buf *body)
{
	if (arg == NULL)
		return 0;
	if (strcmp(arg, "-") == 0) {
		if (read_fd(STDIN_FILENO, body, RESPOND_BODY_MAX) == 0)
			return 0;
		if (errno == EFBIG) {
			fprintf(stderr, "hookdir respond: the body is larger "
			    "than %d bytes\n", RESPOND_BODY_MAX);
			return EX_DATAERR;
		}
		fprintf(stderr, "hookdir respond: standard input: %s\n",
		    strerror(errno));
		return EX_IOERR;
	}
	if (strlen(arg) > RESPOND_BODY_MAX) {
		fprintf(stderr, "hookdir respond: the body is larger than %d "
		    "bytes\n", RESPOND_BODY_MAX);
		return EX_DATAERR;
	}
	buf_addstr(body, arg);
	return 0;
}

/*
 * The answer leaves the machine: the run's secrets are masked in it as
 * in the step's log. Then hand it over: 0, EX_TEMPFAIL when it is
 * ignored, another exit status on errors (printed).
 */
static int
respond_send(const char *dir, const char *id, const struct respond_args *a,
    const struct buf *body)
{
	struct buf	 head = BUF_INIT, masked = BUF_INIT, resp = BUF_INIT;
	const char	**secrets = NULL;
	char		*names = NULL, *why = NULL;
	int		 rc;

	if ((rc = chain_step_secrets("respond", &secrets, &names)) != 0)
		return rc;
	exec_mask(secrets, a->head.data != NULL ? a->head.data : "",
	    a->head.len, &head);
	exec_mask(secrets, body->data != NULL ? body->data : "", body->len,
	    &masked);
	respond_answer_format(&resp, a->status, &head, a->have_ctype, &masked);
	switch (respond_deliver(dir, id, &resp, &why)) {
	case RESPOND_DELIVERED:
		rc = 0;
		break;
	case RESPOND_IGNORED:
		rc = EX_TEMPFAIL;
		break;
	default:
		rc = EX_IOERR;
		break;
	}
	if (why != NULL)
		fprintf(stderr, "hookdir respond: %s\n", why);
	free(why);
	free(secrets);
	free(names);
	buf_release(&head);
	buf_release(&masked);
	buf_release(&resp);
	return rc;
}

int
cmd_respond(struct cli *cli, int argc, char **argv)
{
	struct respond_args	 a = { 200, BUF_INIT, 0, NULL };
	struct buf		 body = BUF_INIT;
	const char		*id;
	int			 rc;

	if ((rc = respond_getopt(argc, argv, &a)) != -1)
		goto done;
	rc = EX_USAGE;
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
	if ((rc = respond_body(a.body, &body)) != 0)
		goto done;
	if ((a.status == 204 || a.status == 304) && body.len > 0) {
		fprintf(stderr, "hookdir respond: a %ld response has no body\n",
		    a.status);
		rc = EX_USAGE;
		goto done;
	}
	rc = respond_send(cli_config(cli)->respond_dir, id, &a, &body);
done:
	buf_release(&a.head);
	buf_release(&body);
	return rc;
}
