/*
 * The history's one door (see history.h): each history_*() function
 * dispatches to the operations of the handle's backend (see store.h),
 * logs what a backend reports, and builds what is the same for every
 * backend: the arrays of the small queries, `hookdir status`'s summary,
 * the batches of gc.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "history.h"
#include "log.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

int
store_seterr(struct history *h, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
	return -1;
}

int
store_dberr(struct history *h, const char *fmt, ...)
{
	char	msg[sizeof(h->err)];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	h->nerrors++;
	return store_seterr(h, "%s", msg);
}

const char *const store_run_fields[] = {
	"id", "event", "pipeline", "status", "created", "started", "finished",
	"reason", "attempt", "source", "triggered_by", "user", "host", NULL
};
const char *const store_job_fields[] = {
	"id", "name", "status", "started", "finished", "reason", NULL
};
const char *const store_step_fields[] = {
	"id", "index", "name", "status", "exit_code", "signal", "started",
	"finished", "reason", "log", "attempt", NULL
};
const char *const store_event_fields[] = {
	"id", "source", "provider", "type", "delivery", "received", "claimed",
	"finished", "status", "duplicate_of", "reason", "attempts",
	"requeued", "dedup_key", "dedup_rule", "host", NULL
};

const char *
store_host(const struct history *h)
{
	return h->host[0] != '\0' ? h->host : NULL;
}

const char *
store_static_status(const char *s)
{
	int	rs;

	if ((rs = status_run_from_name(s)) == RS_NONE)
		return "skipped";
	return status_name(rs);
}

/* A backend's -1: log what it recorded (the callers have no *errp). */
static int
hist_failed(struct history *h, long long r)
{
	if (r == -1)
		log_warnx("history: %s", h->err);
	return (int)r;
}

#define CALL(h, op, ...)	hist_failed((h), (h)->ops->op((h), __VA_ARGS__))

/* ---------------------------------------------------------------- opening */

struct history *
history_open(const char *state_dir, int create, char **errp)
{
	return store_sqlite_open(state_dir, create, errp);
}

/*
 * The hook for other backends: a URI's scheme picks one. A backend
 * adds its branch here, e.g. for "postgresql://" and "postgres://"
 * (libpq's own schemes) under #ifdef of its configure option.
 */
struct history *
history_open_uri(const char *database, const char *state_dir, int create,
    char **errp)
{
	const char	*colon;

	*errp = NULL;
	if (database == NULL || *database == '\0')
		return history_open(state_dir, create, errp);
	colon = strstr(database, "://");
	if (colon == NULL)
		/* A path: SQLite, in the directory it names. */
		return history_open(database, create, errp);
	if (database_is_postgresql(database)) {
#ifdef HAVE_POSTGRESQL
		return store_pg_open(database, create, errp);
#else
		xasprintf(errp, "database: this hookdir was built without "
		    "PostgreSQL (./configure --with-postgresql)");
		return NULL;
#endif
	}
	xasprintf(errp, "database: this hookdir has no backend for `%.*s://` "
	    "URIs", (int)(colon - database), database);
	return NULL;
}

void
history_set_host(struct history *h, const char *host)
{
	snprintf(h->host, sizeof(h->host), "%s", host != NULL ? host : "");
}

int
history_lease_renew(struct history *h, long long ttl_ms)
{
	if (h->host[0] == '\0')
		return 0;
	return CALL(h, lease_renew, ttl_ms);
}

int
history_host_alive(struct history *h, const char *host)
{
	return CALL(h, host_alive, host);
}

void
history_close(struct history *h)
{
	if (h != NULL)
		h->ops->close(h);
}

const char *
history_error(struct history *h)
{
	return h->err;
}

unsigned long
history_errors(struct history *h)
{
	return h->nerrors;
}

unsigned long
history_scan_steps(struct history *h)
{
	return h->ops->scan_steps != NULL ? h->ops->scan_steps(h) : 0;
}

/* ---------------------------------------------------------------- recording */

int
history_event_begin(struct history *h, const struct event *ev,
    char **dup_of, char **errp)
{
	int	r;

	*errp = NULL;
	if ((r = h->ops->event_begin(h, ev, dup_of)) == -1)
		xasprintf(errp, "%s", h->err);
	return r;
}

int
history_event_unreadable(struct history *h, const char *id,
    const char *reason)
{
	return CALL(h, event_unreadable, id, reason);
}

int
history_event_trace(struct history *h, const char *event_id,
    const char *pipeline, int matched, const char *trace)
{
	return CALL(h, event_trace, event_id, pipeline, matched, trace);
}

int
history_event_finish(struct history *h, const char *event_id,
    const char *status, const char *reason)
{
	return CALL(h, event_finish, event_id, status, reason);
}

int
history_event_requeue(struct history *h, const char *event_id)
{
	return CALL(h, event_requeue, event_id);
}

int
history_event_came_back(struct history *h, const char *event_id)
{
	return CALL(h, event_came_back, event_id);
}

/* The create calls return a row id: log a failure, keep the id. */
static long long
hist_id(struct history *h, long long id)
{
	if (id == -1)
		hist_failed(h, -1);
	return id;
}

long long
history_run_create(struct history *h, const char *event_id,
    const char *pipeline, const char *triggered_by, const char *user,
    enum run_status status)
{
	if (status != RS_QUEUED && status != RS_RUNNING) {
		store_seterr(h, "run of %s: created %s", pipeline,
		    status_name(status));
		return hist_id(h, -1);
	}
	return hist_id(h, h->ops->run_create(h, event_id, pipeline,
	    triggered_by, user, status));
}

int
history_run_set(struct history *h, long long run, enum run_status status,
    const char *reason)
{
	return CALL(h, run_set, run, status, reason);
}

long long
history_job_create(struct history *h, long long run, const char *name,
    char *const *needs, size_t nneeds)
{
	return hist_id(h, h->ops->job_create(h, run, name, needs, nneeds));
}

int
history_job_set(struct history *h, long long job, enum run_status status,
    const char *reason, const char *outputs)
{
	return CALL(h, job_set, job, status, reason, outputs);
}

long long
history_step_create(struct history *h, const struct history_step *s)
{
	return hist_id(h, h->ops->step_create(h, s));
}

int
history_step_set(struct history *h, long long step,
    enum run_status status, int exit_code, int signal, const char *reason)
{
	return CALL(h, step_set, step, status, exit_code, signal, reason);
}

int
history_run_request_cancel(struct history *h, long long run)
{
	return CALL(h, run_request_cancel, run);
}

int
history_run_cancel_requested(struct history *h, long long run)
{
	return CALL(h, run_cancel_requested, run);
}

int
history_run_set_group(struct history *h, long long run, const char *group)
{
	return CALL(h, run_set_group, run, group);
}

int
history_event_procs(struct history *h, const char *event_id,
    struct history_proc **out, size_t *n)
{
	return CALL(h, event_procs, event_id, out, n);
}

int
history_group_enter(struct history *h, long long run, const char *group,
    const char *mode, int may_start, const char **status)
{
	return CALL(h, group_enter, run, group, mode, may_start, status);
}

int
history_group_try(struct history *h, long long run, const char *group,
    const char **status)
{
	return CALL(h, group_try, run, group, status);
}

int
history_run_known(struct history *h, long long run)
{
	return CALL(h, run_known, run);
}

/* ---------------------------------------------------------------- queries */

int
history_runs_each(struct history *h, const struct history_filter *f,
    history_row_fn *fn, void *arg)
{
	return CALL(h, runs_each, f, 1, fn, arg);
}

int
history_pipelines_each(struct history *h, history_row_fn *fn, void *arg)
{
	return CALL(h, pipelines_each, fn, arg);
}

int
history_events_by_delivery_each(struct history *h, const char *delivery,
    history_row_fn *fn, void *arg)
{
	return CALL(h, events_by_delivery_each, delivery, fn, arg);
}

/* A row callback that keeps every row: into the array arg. */
static int
hist_collect(void *arg, struct json_object *row)
{
	json_object_array_add(arg, json_object_get(row));
	return 0;
}

/* The array of a listing's rows, or NULL (r == -1: already logged). */
static struct json_object *
hist_array(struct json_object *arr, int r)
{
	if (r == -1) {
		json_object_put(arr);
		return NULL;
	}
	return arr;
}

struct json_object *
history_runs(struct history *h, const struct history_filter *f)
{
	struct json_object	*arr = json_object_new_array();

	return hist_array(arr, history_runs_each(h, f, hist_collect, arr));
}

struct json_object *
history_pipelines(struct history *h)
{
	struct json_object	*arr = json_object_new_array();

	return hist_array(arr, history_pipelines_each(h, hist_collect, arr));
}

struct json_object *
history_events_by_delivery(struct history *h, const char *delivery)
{
	struct json_object	*arr = json_object_new_array();

	return hist_array(arr, history_events_by_delivery_each(h, delivery,
	    hist_collect, arr));
}

int
history_run_get(struct history *h, long long run, struct json_object **out)
{
	return CALL(h, run_get, run, out);
}

/* An event's runs: few (one per pipeline that matched, per attempt). */
int
history_event_get(struct history *h, const char *event_id,
    struct json_object **out)
{
	struct history_filter	 f;
	struct json_object	*runs;
	int			 r;

	if ((r = CALL(h, event_get, event_id, out)) != 1)
		return r;
	memset(&f, 0, sizeof(f));
	f.event = event_id;
	f.oldest_first = 1;
	runs = json_object_new_array();
	json_object_object_add(*out, "runs", runs);
	if (history_runs_each(h, &f, hist_collect, runs) == -1) {
		json_object_put(*out);
		*out = NULL;
		return -1;
	}
	return 1;
}

/* The newest run, without its jobs, or NULL: into *(json_object **)arg. */
static int
hist_first(void *arg, struct json_object *row)
{
	*(struct json_object **)arg = json_object_get(row);
	return 1;
}

struct json_object *
history_summary(struct history *h, const char *since)
{
	struct json_object	*o, *last = NULL;
	struct history_filter	 f;
	struct store_counts	 c;

	memset(&c, 0, sizeof(c));
	if (CALL(h, counts, since, &c) == -1)
		return NULL;
	memset(&f, 0, sizeof(f));
	f.limit = 1;
	if (CALL(h, runs_each, &f, 1, hist_first, &last) == -1)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "running", json_object_new_int64(c.running));
	json_object_object_add(o, "queued", json_object_new_int64(c.queued));
	json_object_object_add(o, "failed_since",
	    json_object_new_int64(c.failed));
	json_object_object_add(o, "failed_events_since",
	    json_object_new_int64(c.failed_events));
	json_object_object_add(o, "last_run", last);
	return o;
}

/* ---------------------------------------------------------------- gc */

int
history_gc_runs_each(struct history *h, const char *before,
    history_id_fn *fn, void *arg)
{
	long long	ids[HISTORY_GC_BATCH], after = 0;
	size_t		n, i;
	int		r;

	do {
		if (CALL(h, gc_runs, before, after, ids, HISTORY_GC_BATCH,
		    &n) == -1)
			return -1;
		for (i = 0; i < n; i++)
			if ((r = fn(arg, ids[i])) != 0)
				return r;
		if (n > 0)
			after = ids[n - 1];
	} while (n == HISTORY_GC_BATCH);
	return 0;
}

int
history_gc_events(struct history *h, const char *before, int dry_run,
    long *count)
{
	long	n;

	struct timespec	t0, t1, pause;
	long long	ns;

	*count = 0;
	/*
	 * One short transaction per batch: the write lock is held only
	 * briefly, so running workers wait milliseconds, not the whole gc.
	 * Between batches gc pauses as long as the batch took (at least
	 * 10 ms): a worker waiting for the lock sleeps in steps of up to
	 * 100 ms (SQLite's busy handler) and would otherwise keep waking
	 * while the next batch holds it.
	 */
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (CALL(h, gc_events, before, dry_run, HISTORY_GC_BATCH,
		    &n) == -1)
			return -1;
		*count += n;
		if (dry_run || n < HISTORY_GC_BATCH)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL +
		    (t1.tv_nsec - t0.tv_nsec);
		if (ns < 10000000)
			ns = 10000000;
		pause.tv_sec = ns / 1000000000;
		pause.tv_nsec = ns % 1000000000;
		nanosleep(&pause, NULL);
	}
}

/* ---------------------------------------------------------------- step transactions */

/*
 * A worker that dies inside one loses the writes of that step's start or
 * end, not the event: the spool keeps the event in cur/ until its end is
 * committed, and the next worker's recovery ends the process groups the
 * history knows of and runs again what it does not show as ended (as
 * when a worker died between a write and the next without them).  A
 * backend without them (txn_begin NULL) records each write on its own.
 */
int
history_txn_begin(struct history *h)
{
	int	r;

	if (h->ops->txn_begin == NULL)
		return 0;
	if ((r = h->ops->txn_begin(h)) == -1) {
		hist_failed(h, r);
		return 0;
	}
	/* The batch's: committed by history_batch_end(), not the caller. */
	return h->batch ? 0 : r;
}

int
history_txn_end(struct history *h, int began)
{
	if (!began || h->ops->txn_end == NULL)
		return 0;
	return hist_failed(h, h->ops->txn_end(h));
}

void
history_batch_begin(struct history *h)
{
	h->batch = 1;
	h->batch_errors = h->nerrors;
}

int
history_batch_end(struct history *h)
{
	h->batch = 0;
	if (h->ops->txn_end != NULL)
		hist_failed(h, h->ops->txn_end(h));
	return h->nerrors == h->batch_errors ? 0 : -1;
}
