/*
 * Status pages: a static site made from the history and the spool, for
 * people (hookdir report --html DIR, and the worker after runs when the
 * configuration has "report": {"html": DIR}).
 *
 * DIR/index.html         the most recent runs
 * DIR/status-S.html      the same, one page per run status
 * DIR/pipeline-P.html    the same, one page per pipeline
 * DIR/queue.html         the spool: waiting, claimed, failed
 * DIR/run-N.html         one run: its job graph (inline SVG), a timeline
 *                        of its jobs and steps, and every step's log
 *
 * No page needs JavaScript or anything on the server side. Every page
 * is written to a temporary file in DIR and renamed over the old one,
 * so that a reader never sees half a page. Text from events and logs is
 * HTML-escaped; the logs are the worker's, with secrets already masked.
 */
#ifndef HOOKDIR_REPORT_H
#define HOOKDIR_REPORT_H

#include <stddef.h>

struct history;
struct spool;

/* How many runs a listing shows when not told. */
#define REPORT_DEFAULT_LIMIT	100

/*
 * Write the listings, the queue page and run pages. With runs == NULL
 * a page for every run that a listing shows; otherwise the pages of
 * runs[0..nruns-1] and of the listed runs that have not ended yet.
 * Then (runs == NULL) the pages of runs the history no longer has are
 * removed. limit: runs per listing, 0 for all. h may be NULL (no history yet:
 * empty listings). 0, or -1 when something could
 * not be read or written (logged; the pages written stay).
 */
int	report_write(struct history *, struct spool *, const char *dir,
	    long limit, const long long *runs, size_t nruns);

#endif
