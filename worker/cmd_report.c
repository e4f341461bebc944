/*
 * hookdir report: write the status pages (report.h) once.
 */
#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "history.h"
#include "hookdir.h"
#include "log.h"
#include "report.h"
#include "spool.h"

static const char usage_report[] =
    "usage: hookdir report [--html DIR] [--limit N]\n"
    "\n"
    "Write the status pages: the recent runs (all, per status, per\n"
    "pipeline), the queue, and a page per listed run with its job graph,\n"
    "timeline and logs. Static HTML, no JavaScript.\n"
    "\n"
    "  --html DIR   where (default: the configuration's report.html)\n"
    "  --limit N    runs per listing (default 100; 0: all)\n"
    "  -h, --help   this text\n";

int
cmd_report(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "html",	required_argument,	NULL, 'H' },
		{ "limit",	required_argument,	NULL, 'n' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct config	*cf;
	struct history	*h;
	struct spool	 sp;
	const char	*dir = NULL;
	char		*end;
	long		 limit = REPORT_DEFAULT_LIMIT;
	int		 ch, r;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			dir = optarg;
			break;
		case 'n':
			errno = 0;
			limit = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    limit < 0) {
				fprintf(stderr, "hookdir report: --limit: want "
				    "a number, 0 for all, not `%s`\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'h':
			fputs(usage_report, stdout);
			return EX_OK;
		default:
			fputs(usage_report, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage_report, stderr);
		return EX_USAGE;
	}
	cf = cli_config(cli);
	if (dir == NULL && (dir = cf->report_html) == NULL) {
		fprintf(stderr, "hookdir report: where to? --html DIR, or "
		    "\"report\": {\"html\": DIR} in %s\n", cf->path);
		return EX_USAGE;
	}
	if ((r = cli_spool_history(cli, &sp, &h)) != EX_OK)
		return r;
	/* No history yet (h NULL): pages that say so. */
	r = report_write(h, &sp, dir, limit, NULL, 0);
	if (h != NULL)
		history_close(h);
	spool_close(&sp);
	return r == 0 ? EX_OK : EX_IOERR;
}
