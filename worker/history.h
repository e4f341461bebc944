/*
 * The run history: what hookdir records about events, runs, jobs and
 * steps, and the queries of the hookdir command. Callers use only these
 * functions; history.c dispatches them to the handle's backend (the
 * store, see store.h): SQLite (store_sqlite.c, state/hookdir.db, where
 * every SQL statement of that backend lives) unless a `database` URI
 * selects another one.
 *
 * Times are stored as RFC 3339 UTC text with microseconds
 * (2026-11-22T05:00:54.123456Z), which sorts and reads well in SQL.
 * The schema is share/schema.sql; PRAGMA user_version is its version
 * and history_open() migrates older databases forward.
 */
#ifndef HOOKDIR_HISTORY_H
#define HOOKDIR_HISTORY_H

#include "status.h"

#include <stddef.h>

struct event;
struct history;
struct json_object;

/*
 * Open (with create: make the directory and database as needed) with
 * WAL and a busy timeout, so that several workers and readers share it.
 * NULL with *errp malloc'd on failure.
 */
struct history *history_open(const char *state_dir, int create, char **errp);
/*
 * Open the store a configuration's `database` names: NULL or "" is
 * SQLite in state_dir, as history_open(); a path (no "SCHEME://") is
 * SQLite in that directory; a URI selects the backend of its scheme
 * (history.c: a backend adds its scheme there). A scheme this build
 * has no backend for is an error (*errp malloc'd), never a silent
 * fallback to SQLite.
 */
struct history *history_open_uri(const char *database, const char *state_dir,
	    int create, char **errp);
void	history_close(struct history *);
/*
 * The host name (the configuration's "host") this handle records with
 * the events it claims and the runs and jobs it creates, so that every
 * host's history says which host did what and holds its logs. Each
 * run object and event object has it as "host" (null: not recorded).
 */
void	history_set_host(struct history *, const char *host);
/*
 * A host's lease: a worker renews its host's (history_set_host()) well
 * within ttl_ms, for as long as it runs; another host whose lease
 * expired is gone, and its claimed events are for the others to
 * recover. history_host_alive(): 1 its lease holds, 0 it expired or
 * there is none, -1 on error. Both log their errors.
 */
#define HISTORY_LEASE_TTL_MS	(30 * 1000)
int	history_lease_renew(struct history *, long long ttl_ms);
int	history_host_alive(struct history *, const char *host);

enum event_begin {
	EVENT_NEW = 0,		/* first time seen: process it */
	EVENT_RECOVERED,	/* seen before, its worker died: runs it had were marked interrupted; process again */
	EVENT_DUPLICATE		/* same source + delivery id as an earlier event: record, run nothing */
};

/*
 * Record that a worker claimed the event. Returns an enum event_begin,
 * or -1 on a database error (*errp). For a duplicate, *dup_of gets the
 * id of the earlier event (malloc'd).
 */
int	history_event_begin(struct history *, const struct event *,
	    char **dup_of, char **errp);
/* A file that could not be parsed: recorded as failed with the reason. */
int	history_event_unreadable(struct history *, const char *id,
	    const char *reason);
/* For every pipeline considered: did it match, and the trace saying why. */
int	history_event_trace(struct history *, const char *event_id,
	    const char *pipeline, int matched, const char *trace);
/*
 * status: "done", "failed", "duplicate", or "cut" (an internal event
 * past max_chain_depth, run nothing). reason may be NULL.
 */
int	history_event_finish(struct history *, const char *event_id,
	    const char *status, const char *reason);

/*
 * Runs, jobs and steps. Creating returns the new row's id (> 0), or -1.
 * Setting a status (a run's, of status.h, stored by its name) fills
 * `started` when it becomes running and `finished` when it becomes one
 * that has ended (status_ended()).
 */
/*
 * A run is created queued (it waits for its concurrency group) or
 * running (it starts now: `started` is its creation).
 */
long long history_run_create(struct history *, const char *event_id,
	    const char *pipeline, const char *triggered_by, const char *user,
	    enum run_status);
int	history_run_set(struct history *, long long run, enum run_status,
	    const char *reason);
/* needs: the names of the jobs it waits for, as the pipeline says. */
long long history_job_create(struct history *, long long run,
	    const char *name, char *const *needs, size_t nneeds);
/* outputs: a JSON object text, or NULL to leave unchanged. */
int	history_job_set(struct history *, long long job, enum run_status,
	    const char *reason, const char *outputs);
/*
 * A step's attempt, one row written whole as it starts: status running
 * (started now) with the process group it was spawned in and its
 * leader's identity (see exec_ident(); pgid 0: not known, start -1 and
 * boot NULL with it), or an ended status (failure: it could not be
 * spawned; started and finished now) with its reason. Each attempt of
 * a retried step is a row; attempt counts from 1. Returns the row's id
 * (> 0), or -1.
 */
struct history_step {
	long long	 run;
	long long	 job;
	int		 index;		/* 1-based, in the job */
	int		 attempt;
	const char	*name;
	const char	*log_path;	/* or NULL */
	enum run_status	 status;
	const char	*reason;	/* or NULL */
	long long	 pgid;
	long long	 start;
	const char	*boot;
};
long long history_step_create(struct history *, const struct history_step *);
/* exit_code / signal: -1 when not applicable. */
int	history_step_set(struct history *, long long step, enum run_status,
	    int exit_code, int signal, const char *reason);

/*
 * `hookdir requeue` put the event's file back into new/: its next claim
 * is a new attempt (EVENT_RECOVERED), even when it had been recorded as
 * a duplicate. 0 (also when the event was never recorded) or -1.
 */
int	history_event_requeue(struct history *, const char *event_id);
/*
 * The worker claimed the event from new/: if the history says it had
 * ended (done, failed, duplicate), it was put back by hand or by
 * `hookdir requeue`, and is recorded as requeued as that does. 1 it
 * had ended, 0 not (or not recorded), -1 on error.
 */
int	history_event_came_back(struct history *, const char *event_id);

/* The last error of this handle ("" if none); valid until the next call. */
const char *history_error(struct history *);
/*
 * How many database errors this handle has met so far: compared before
 * and after something, it tells whether all of it was recorded.
 */
unsigned long history_errors(struct history *);
/*
 * Rows the statements of this handle have stepped over in full table
 * scans so far: claiming an event must use indexes, whatever the size
 * of the history (t/unit/test-history.c checks).
 */
unsigned long history_scan_steps(struct history *);

/*
 * Queries for the hookdir command and the status pages.
 *
 * Listings stream: the *_each() functions give one row at a time to a
 * callback, as a json-c object the store owns (json_object_get() it to
 * keep it). The callback returns 0 to go on, or a positive value to
 * stop: the function then returns that value. Otherwise it returns 0
 * after the last row, or -1 on a database error (history_error(),
 * logged). A callback must not start the same listing on the same
 * handle. Memory stays that of one row, whatever the history's size.
 *
 * The functions that return a json-c array (history_runs(),
 * history_pipelines(), history_events_by_delivery()) collect the same
 * rows: a new reference the caller puts, or NULL on a database error.
 * They are for small results (tests, a few rows); listings use *_each.
 *
 * A run object is {id, event, pipeline, status, created, started,
 * finished, reason, attempt, source, triggered_by, user, jobs: [{id,
 * name, status, started, finished, reason, outputs, needs}]}; times are
 * strings or null, outputs an object, needs an array of job names (a
 * fanned-out job's instances are "JOB[INDEX]" with JOB's needs). A NULL
 * field of the filter is not filtered on; limit 0 means all. Runs come
 * newest first (by id), or oldest first with oldest_first.
 */
typedef int history_row_fn(void *arg, struct json_object *row);
struct history_filter {
	const char	*pipeline;
	const char	*status;
	const char	*event;
	long		 limit;
	int		 oldest_first;
};
int	history_runs_each(struct history *, const struct history_filter *,
	    history_row_fn *fn, void *arg);
struct json_object *history_runs(struct history *,
	    const struct history_filter *);
/* The pipelines that have runs: {name}, by name. */
int	history_pipelines_each(struct history *, history_row_fn *fn,
	    void *arg);
struct json_object *history_pipelines(struct history *);
/*
 * One run as above, each job also with steps: [{id, index, name,
 * status, exit_code, signal, started, finished, reason, log}], jobs and
 * steps in creation order. 1 found, 0 no such run, -1 error.
 */
int	history_run_get(struct history *, long long run,
	    struct json_object **out);
/*
 * One event: {id, source, provider, type, delivery, received, claimed,
 * finished, status, duplicate_of, reason, attempts, requeued, traces:
 * [{pipeline, matched, trace}], runs: [run objects as history_runs]}.
 * 1 found, 0 not recorded, -1 error.
 */
int	history_event_get(struct history *, const char *event_id,
	    struct json_object **out);
/*
 * The events a provider's delivery id names (retries, several
 * sources): {id, source, type, status, received}, newest first.
 */
int	history_events_by_delivery_each(struct history *,
	    const char *delivery, history_row_fn *fn, void *arg);
struct json_object *history_events_by_delivery(struct history *,
	    const char *delivery);
/*
 * For `hookdir status`: {running, queued, failed_since, last_run} where
 * failed_since counts runs that ended in failure, timed_out or
 * interrupted after since (RFC 3339) and last_run is the newest run
 * object (without jobs) or null.
 */
struct json_object *history_summary(struct history *, const char *since);

/*
 * gc: each run that ended before `before` (RFC 3339), oldest first,
 * given to fn (0: go on; positive: stop and return it). The ids are
 * read in batches of a few hundred, each batch a short read: the
 * memory is that of one batch, whatever the history's size, and fn
 * may record (delete files, write the history) between rows. 0, -1 on
 * a database error, or fn's stop value.
 */
typedef int history_id_fn(void *arg, long long id);
int	history_gc_runs_each(struct history *, const char *before,
	    history_id_fn *fn, void *arg);
/*
 * `hookdir cancel RUN`, from any process: flag a run that has not ended
 * yet. 1 flagged, 0 no such run or it has ended, -1 error. The worker
 * that owns the run polls history_run_cancel_requested(): 1, 0 (also
 * for no such run), -1.
 */
int	history_run_request_cancel(struct history *, long long run);
int	history_run_cancel_requested(struct history *, long long run);
/* The concurrency group value a run belongs to (NULL: none). 0 or -1. */
int	history_run_set_group(struct history *, long long run,
	    const char *group);
/*
 * The process groups of the steps the event's runs have running, as
 * recorded: for the worker that recovers the event from a dead one.
 * 0 with *out (malloc'd, the caller frees it) and *n, or -1.
 */
struct history_proc {
	long long	pgid;
	long long	start;		/* -1: not recorded */
	char		boot[40];
};
int	history_event_procs(struct history *, const char *event_id,
	    struct history_proc **out, size_t *n);
/*
 * Concurrency groups: at most one running run per group value, across
 * every worker process; each decision is one BEGIN IMMEDIATE
 * transaction. history_group_enter records the run's group (it is
 * still `queued`) and applies the mode: "skip_if_running" ends it as
 * skipped when another run of the group has not ended;
 * "cancel_in_progress" flags the group's other runs for cancelling (as
 * `hookdir cancel`); "debounce" ends the group's other waiting runs as
 * skipped (superseded); "queue" does nothing more. Then, with
 * may_start, it is started (recorded running) if no run of the group
 * runs and no older one waits. history_group_try asks that again later;
 * it also notices a run another process ended (superseded): ENDED with
 * *status (static) its recorded status. -1 on error.
 */
enum history_group {
	HISTORY_GROUP_START = 1,
	HISTORY_GROUP_WAIT,
	HISTORY_GROUP_ENDED
};
int	history_group_enter(struct history *, long long run,
	    const char *group, const char *mode, int may_start,
	    const char **status);
int	history_group_try(struct history *, long long run, const char *group,
	    const char **status);
/* Is a run of that id recorded? 1, 0, or -1 on error. */
int	history_run_known(struct history *, long long run);
/*
 * Delete the rows of events that ended (done or duplicate) before
 * `before`, with their traces, runs, jobs and steps, in batches of a
 * few hundred events per transaction (HISTORY_GC_BATCH) so that
 * workers wait for the write lock milliseconds at a time, never the
 * whole gc. With dry_run only count. 0 with *count, or -1.
 */
#define HISTORY_GC_BATCH	500
int	history_gc_events(struct history *, const char *before, int dry_run,
	    long *count);

/*
 * One transaction around the writes that go with a step's start or its
 * end, instead of one per write.  history_txn_begin returns 1 when it
 * opened one, 0 when one was open already (the caller then joins it)
 * or when it could not (the error is counted: history_errors()).
 * history_txn_end commits when given 1 and a transaction is open.  No
 * history_* function that opens its own transaction (group_enter,
 * group_try, gc_events) may be called in between; history_event_begin
 * joins it (and rolls it back when it fails).
 */
int	history_txn_begin(struct history *);
int	history_txn_end(struct history *, int began);

/*
 * A batch: from history_batch_begin(), the transaction the next
 * history_txn_begin() opens is the batch's: the txn_begin/txn_end pairs
 * inside join it (their history_txn_end does not commit it) until
 * history_batch_end() commits it. The worker records in one the ends a
 * turn of its loop saw and the claims and starts it made, instead of
 * one transaction after a step and one before the next. A
 * history_txn_end(h, 1) inside (before a concurrency group's own
 * transaction) commits what is open, and the batch goes on in a new
 * one. history_batch_end: 0 when every write since history_batch_begin
 * is committed; -1 when any failed (what was rolled back is unknown).
 */
void	history_batch_begin(struct history *);
int	history_batch_end(struct history *);

#endif
