/*
 * The store behind history.h: what a history backend implements.
 *
 * hookdir's callers (run.c, worker.c, event.c, chain.c, the commands)
 * only ever call the history_*() functions of history.h; history.c
 * dispatches each of them through the table of operations of the
 * handle's backend, and builds what is the same for every backend
 * (the JSON arrays of the compatibility queries, the summary, the
 * batches of gc) on top of the backend's row callbacks.
 *
 * A backend:
 * - allocates a structure that begins with a struct history (so that
 *   a struct history * is also a pointer to it), sets its ops, and
 *   returns it from its open function (store_sqlite_open() below);
 * - on a failed call, writes what went wrong into h->err with
 *   store_seterr() (store_dberr() also counts it in h->nerrors: a
 *   database error, as history_errors() reports them) and returns -1;
 *   history.c logs the error for the recording calls that have no
 *   *errp, so a backend only sets it;
 * - gives every row of a listing to the caller's callback as a json-c
 *   object the backend owns (the callback takes a reference with
 *   json_object_get() to keep it) as soon as it has read it, and holds
 *   no more than one row (and, for a run, its jobs) in memory;
 * - uses the field names, value types and orders history.h documents
 *   for each listing: the tests compare them byte for byte.
 *
 * Every operation is required unless its comment says it may be NULL.
 * All times are RFC 3339 UTC text with microseconds, as history.h says.
 *
 * Backends: store_sqlite.c (a file in the state directory, the
 * default). A `database` URI in the configuration selects another one
 * through history_open_uri() (see history.h): a backend adds its
 * scheme there.
 */
#ifndef HOOKDIR_STORE_H
#define HOOKDIR_STORE_H

#include <stddef.h>

#include "history.h"

struct json_object;
struct event;

/*
 * The part of a handle every backend shares; a backend's own handle
 * begins with it.
 */
struct history {
	const struct store_ops	*ops;
	char			 err[512];	/* the last error; "" if none */
	unsigned long		 nerrors;	/* database errors met */
	/*
	 * The host this handle records claims, runs and jobs as
	 * (history_set_host()); "" until set: NULL in the database.
	 */
	char			 host[64];
	/*
	 * history_batch_begin(): the next transaction opened is the
	 * batch's, committed by history_batch_end() alone; nerrors then.
	 */
	int			 batch;
	unsigned long		 batch_errors;
};

/* Counts for `hookdir status` (history_summary()). */
struct store_counts {
	long long	running;	/* runs running now */
	long long	queued;		/* runs queued now */
	long long	failed;		/* runs ended failure/timed_out/interrupted at or after since */
	long long	failed_events;	/* events ended failed at or after since */
};

struct store_ops {
	const char	*name;		/* "sqlite", ...: for messages */

	/* Free the handle and everything it holds. */
	void	(*close)(struct history *);
	/*
	 * Rows stepped over in full table scans so far (see
	 * history_scan_steps()). May be NULL: 0.
	 */
	unsigned long (*scan_steps)(struct history *);

	/*
	 * Recording, called by the worker (worker.c, event.c, run.c,
	 * chain.c) and `hookdir run/requeue/cancel`. Each has the
	 * contract of the history_*() function of the same name in
	 * history.h, except that errors are only recorded in h->err, not
	 * logged. event_begin and group_enter/group_try are each one
	 * transaction that holds the write lock (SQLite: BEGIN IMMEDIATE;
	 * PostgreSQL: SERIALIZABLE or a row lock): two workers must never
	 * both decide an event is new or both start a run of a group.
	 * event_begin joins one that txn_begin opened (which holds the
	 * write lock too) and leaves its commit to txn_end; on failure it
	 * rolls that one back.
	 */
	int	(*event_begin)(struct history *, const struct event *,
		    char **dup_of);
	int	(*event_unreadable)(struct history *, const char *id,
		    const char *reason);
	int	(*event_trace)(struct history *, const char *event_id,
		    const char *pipeline, int matched, const char *trace);
	int	(*event_finish)(struct history *, const char *event_id,
		    const char *status, const char *reason);
	int	(*event_requeue)(struct history *, const char *event_id);
	int	(*event_came_back)(struct history *, const char *event_id);
	long long (*run_create)(struct history *, const char *event_id,
		    const char *pipeline, const char *triggered_by,
		    const char *user, enum run_status);
	int	(*run_set)(struct history *, long long run, enum run_status,
		    const char *reason);
	long long (*job_create)(struct history *, long long run,
		    const char *name, char *const *needs, size_t nneeds);
	int	(*job_set)(struct history *, long long job, enum run_status,
		    const char *reason, const char *outputs);
	long long (*step_create)(struct history *,
		    const struct history_step *);
	int	(*step_set)(struct history *, long long step, enum run_status,
		    int exit_code, int signal, const char *reason);
	int	(*run_request_cancel)(struct history *, long long run);
	int	(*run_cancel_requested)(struct history *, long long run);
	int	(*run_set_group)(struct history *, long long run,
		    const char *group);
	int	(*event_procs)(struct history *, const char *event_id,
		    struct history_proc **out, size_t *n);
	int	(*group_enter)(struct history *, long long run,
		    const char *group, const char *mode, int may_start,
		    const char **status);
	int	(*group_try)(struct history *, long long run,
		    const char *group, const char **status);
	int	(*run_known)(struct history *, long long run);

	/*
	 * Queries, for the hookdir command, the status pages and gc.
	 *
	 * runs_each: the runs the filter selects (history.h: struct
	 * history_filter; newest first, or oldest first with
	 * f->oldest_first), each as history.h's run object and, with
	 * with_jobs, its "jobs" (without steps), given to fn one at a
	 * time. Returns 0 after the last row, -1 on error, or the first
	 * nonzero value fn returned (it stops there).
	 * `runs -n 20` and `status` must cost O(limit), not O(history).
	 */
	int	(*runs_each)(struct history *, const struct history_filter *,
		    int with_jobs, history_row_fn *fn, void *arg);
	/* One run with jobs and their steps: 1 found (*out), 0 no, -1. */
	int	(*run_get)(struct history *, long long run,
		    struct json_object **out);
	/*
	 * One event's object with its "traces", without its "runs"
	 * (history.c adds those through runs_each): 1 found, 0 no, -1.
	 */
	int	(*event_get)(struct history *, const char *event_id,
		    struct json_object **out);
	/* history_events_by_delivery()'s rows, one call of fn each. */
	int	(*events_by_delivery_each)(struct history *,
		    const char *delivery, history_row_fn *fn, void *arg);
	/*
	 * history_pipelines()'s rows {name}, by name: O(pipelines), not
	 * O(runs).
	 */
	int	(*pipelines_each)(struct history *, history_row_fn *fn,
		    void *arg);
	/* The counts of `hookdir status`: 0 or -1. Indexes, no scans. */
	int	(*counts)(struct history *, const char *since,
		    struct store_counts *);

	/*
	 * gc, in bounded memory and short transactions.
	 * gc_runs: up to max ids (ascending) greater than after of runs
	 * that ended before `before`, into ids[]; 0 with *n (< max: the
	 * last batch), or -1. A cursor by key: callers pass the last id
	 * of a batch as the next after.
	 * gc_events: delete (or with dry_run only count) at most limit of
	 * the events history_gc_events() may forget, with their traces,
	 * runs, jobs and steps, in ONE short transaction: 0 with *count
	 * (< limit: nothing more to do), or -1. With dry_run it counts
	 * them all (limit does not apply).
	 */
	int	(*gc_runs)(struct history *, const char *before,
		    long long after, long long *ids, size_t max, size_t *n);
	int	(*gc_events)(struct history *, const char *before,
		    int dry_run, long limit, long *count);
	/*
	 * May be NULL. txn_begin: open a write transaction unless one is
	 * open: 1 opened, 0 one was open, -1. txn_end: commit the open
	 * one, if any (rolled back when it cannot): 0 or -1. No other
	 * operation that opens its own (group_enter, group_try,
	 * gc_events) is called in between; event_begin joins it.
	 * PostgreSQL: after a statement failed inside it, the others
	 * fail too and txn_end rolls it back: -1.
	 */
	int	(*txn_begin)(struct history *);
	int	(*txn_end)(struct history *);

	/*
	 * Leases (several hosts): lease_renew records that h->host is
	 * alive for ttl_ms more (0 or -1); host_alive: 1 while host's
	 * lease has not expired, 0 when it has or it never had one, -1.
	 * PostgreSQL keeps the time by the server's clock, so that the
	 * hosts' clocks need not agree.
	 */
	int	(*lease_renew)(struct history *, long long ttl_ms);
	int	(*host_alive)(struct history *, const char *host);
};

/*
 * The field names of the listings' objects (history.h), in the order
 * of a backend's columns, NULL-terminated: a run, a job (without its
 * outputs and needs, which a backend parses and adds), a step, an event
 * (without its traces and runs).
 */
extern const char *const store_run_fields[];
extern const char *const store_job_fields[];
extern const char *const store_step_fields[];
extern const char *const store_event_fields[];

/* h->host, or NULL when none was set: what a backend stores. */
const char *store_host(const struct history *);

/* A stored run status as the static string callers keep ("skipped" if unknown). */
const char *store_static_status(const char *);

/* Record an error in h->err; store_dberr() also counts it. Both -1. */
int	store_seterr(struct history *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	store_dberr(struct history *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * The SQLite backend: state_dir/hookdir.db (history_open()'s contract).
 * NULL with *errp malloc'd on failure.
 */
struct history *store_sqlite_open(const char *state_dir, int create,
	    char **errp);

#ifdef HAVE_POSTGRESQL
/*
 * The PostgreSQL backend (store_pg.c): the database a postgresql://
 * URI names, which holds no password. With create, the schema is made
 * when the database has none; without, that is an error. NULL with
 * *errp malloc'd on failure.
 */
struct history *store_pg_open(const char *uri, int create, char **errp);
#endif

#endif
