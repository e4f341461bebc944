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
	struct buf	 mhead = BUF_INIT, mbody = BUF_INIT;
	const char	*id, *body_arg = NULL, **secrets = NULL;
	char		*names = NULL, *why = NULL;
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
			if (respond_header_add(&head, optarg, &have_ctype,
			    &why) == -1) {
				fprintf(stderr, "hookdir respond: %s\n", why);
				goto done;
			}
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

	exec_mask(secrets, head.data != NULL ? head.data : "", head.len,
	    &mhead);
	exec_mask(secrets, body.data != NULL ? body.data : "", body.len,
	    &mbody);
	respond_answer_format(&resp, status, &mhead, have_ctype, &mbody);
	switch (respond_deliver(cf->respond_dir, id, &resp, &why)) {
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
done:
	free(why);
	free(secrets);
	free(names);
	buf_release(&head);
	buf_release(&body);
	buf_release(&resp);
	buf_release(&mhead);
	buf_release(&mbody);
	return rc;
}
