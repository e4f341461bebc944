/*
 * The statuses of runs, jobs and steps, and those of events where they
 * share a listing, in one table: the name stored in the history and
 * printed, whether it ends the row, whether it is trouble (worth a line
 * without -v, and cron's mail), and its colours on a terminal and on a
 * report page.
 */
#ifndef HOOKDIR_STATUS_H
#define HOOKDIR_STATUS_H

enum run_status {
	RS_QUEUED,
	RS_RUNNING,
	RS_SUCCESS,
	RS_FAILURE,
	RS_SKIPPED,
	RS_CANCELLED,
	RS_TIMED_OUT,
	RS_INTERRUPTED,
	RS_NRUN,			/* the statuses above are a run's */
	RS_DONE = RS_NRUN,		/* an event's, from here on */
	RS_FAILED,
	RS_DUPLICATE,
	RS_PROCESSING,
	RS_NSTATUS
};

#define RS_NONE		(-1)		/* status_from_name(): unknown */

/* A report page's colours: fill and the text on it. */
struct status_page_colour {
	const char	*fill;
	const char	*text;
};

const char	*status_name(enum run_status);
int		 status_from_name(const char *);
/* status_from_name(), but only a run's, job's or step's status. */
int		 status_run_from_name(const char *);
int		 status_ended(enum run_status);
int		 status_trouble(enum run_status);
const char	*status_term_colour(enum run_status);
const struct status_page_colour *status_page_colour(enum run_status);

#endif
