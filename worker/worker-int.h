/*
 * What worker.c (events and the loop), claim.c (claiming) and watch.c
 * (--watch: inotify, rescans) share; nothing else includes it.
 */
#ifndef HOOKDIR_WORKER_INT_H
#define HOOKDIR_WORKER_INT_H

#include <stddef.h>

#include "event.h"
#include "pipeline.h"
#include "spool.h"

struct config;
struct exec;
struct history;
struct runner;

/*
 * While a pipeline file does not load, no event is claimed: look for a
 * fix this often, and say again that events are waiting this often.
 */
#define BROKEN_CHECK_MS		1000
#define BROKEN_REMIND_MS	(60 * 1000)
/* The host's lease (see history.h) is renewed this often. */
#define LEASE_RENEW_MS		(HISTORY_LEASE_TTL_MS / 3)


/*
 * One load of the pipelines. Events keep the generation they were
 * matched against until their runs end, so a reload never pulls a
 * pipeline from under a running run.
 */
struct pset {
	struct pipeline_set	set;
	int			refs;
	size_t			nerrors;	/* files that did not load */
};

struct worker;

struct wevent {
	struct worker	*w;
	struct event	 ev;
	int		 fd;		/* holds the claim's lock */
	struct pset	*ps;
	int		 refs;		/* a run each, one while starting */
	int		 interrupted;	/* a run was: process it again */
	int		 failed;	/* the worker's own error */
	long long	*runs;		/* started, for a waiting responder */
	size_t		 nruns;
};

/*
 * A claimed file whose end this turn of the loop recorded: it moves on
 * (or is let go) once that record is committed (worker_retire()).
 */
struct retire {
	char		*id;
	int		 fd;		/* holds the claim's lock */
	const char	*to;		/* "done", "failed"; NULL: left in cur/ */
	int		 tempfail;	/* left for the worker's own error */
	long long	*runs;		/* a waiting responder hears they ended */
	size_t		 nruns;
};

struct worker {
	const struct config	*cf;
	struct spool		 sp;
	struct history		*h;
	struct exec		*ex;
	struct runner		*rn;
	struct pset		*ps;
	int			 watch;
	int			 syslog;	/* --syslog */
	int			 progress;	/* a progress line on stderr */
	long			 seen;		/* events claimed so far */
	long			 seen_listed;	/* ... when new/ was listed */
	long long		 poll_ms;	/* --poll; 0: inotify */
	long long		 grace_ms;
	int			 stopping;
	int			 rc;
	unsigned long		 active;	/* events being processed */
	struct retire		*retires;	/* to move on after the commit */
	size_t			 nretires;

	/* the directory listing being worked through */
	char			**ids;
	long			 nids;
	long			 next;
	int			 listing_cur;
	long			 pass_claimed;
	int			 want_list;	/* list new/ again */
	int			 fill_more;	/* worker_fill stopped at FILL_BATCH */
	int			 need_recover;	/* list cur/ (dead workers) */

	/* status pages to write: runs that ended since the last time */
	long long		*report_runs;
	size_t			 nreport_runs;
	int			 report_due;
	long long		 next_report_ms;

	int			 ifd;		/* inotify on new/, or -1 */
	long long		 next_scan_ms;
	long long		 next_recover_ms;
	long long		 next_remind_ms;	/* pipelines still broken */
	long long		 next_lease_ms;		/* renew the host's lease */
};

/* worker.c */
/* Does a pipeline file fail to load? Then no event may be claimed. */
int		 worker_broken(struct worker *);
/*
 * A claimed file (or, with recovered, one taken over from a dead
 * worker), locked by fd: decide and start runs.
 */
void		 event_process(struct worker *, const char *, int, int);

/* claim.c */
void		 worker_fill(struct worker *);
/* Nothing left in the listing and nothing asks for another one. */
int		 worker_drained(const struct worker *);

/* watch.c */
void		 worker_watch_setup(struct worker *);
void		 worker_inotify_drain(struct worker *);
/* When worker_watch_tick() next has work (monotonic_ms() clock). */
long long	 worker_watch_wake(const struct worker *);
void		 worker_watch_tick(struct worker *);

#endif
