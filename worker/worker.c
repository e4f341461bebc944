/*
 * hookdir worker: claim spool files (claim.c), decide which pipelines
 * they trigger, run them (run.c), retire the files; with --watch, wait
 * for more (watch.c).
 *
 * A file in cur/ whose lock is free belongs to a dead worker and is
 * recovered: the history marks its old runs interrupted and the event
 * is processed again. Any number of `--once` workers and a `--watch`
 * can share one spool; each event is processed once between them.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "chain.h"
#include "config.h"
#include "event.h"
#include "exec.h"
#include "history.h"
#include "hookdir.h"
#include "jconf.h"
#include "log.h"
#include "pipeline.h"
#include "report.h"
#include "respond.h"
#include "run.h"
#include "spool.h"
#include "trigger.h"
#include "util.h"
#include "worker-int.h"
#include "xmalloc.h"

/* The status pages ("report": {"html": DIR}) are written at most this often. */
#define REPORT_EVERY_MS		1000

static void
pset_unref(struct pset *ps)
{
	if (ps == NULL || --ps->refs > 0)
		return;
	pipelines_release(&ps->set);
	free(ps);
}

/* Configuration messages: where the worker's other lines go. */
static void
worker_diag(const struct worker *w, const struct diag *d)
{
	size_t	i;

	if (!w->syslog) {
		diag_print(d);
		return;
	}
	for (i = 0; i < d->n; i++)
		log_warnx("%s: %s", d->v[i].level == DIAG_ERROR ? "error" :
		    "warning", d->v[i].text);
}

/*
 * Load the pipelines the first time, and again whenever they changed.
 *
 * A pipeline file that does not load must not consume events: had its
 * events been matched against the other pipelines only, they would be
 * retired to done/ without the runs the broken file asks for, and an
 * acknowledged event would silently never run. So while any file has
 * errors the worker claims nothing (worker_broken), says so loudly, and
 * goes on once the files are fixed.
 */
static void
worker_pipelines(struct worker *w)
{
	struct pset	*ps;
	struct diag	 d;
	int		 was_broken;

	if (w->ps != NULL && !pipelines_changed(&w->ps->set))
		return;
	was_broken = w->ps != NULL && w->ps->nerrors > 0;
	ps = xcalloc(1, sizeof(*ps));
	ps->refs = 1;
	diag_init(&d);
	pipelines_load(w->cf, &ps->set, &d);
	ps->nerrors = d.nerrors;
	worker_diag(w, &d);
	diag_release(&d);
	if (ps->nerrors > 0) {
		log_warnx("%zu error%s in the pipelines in %s: no event is "
		    "claimed until they are fixed; events wait in new/",
		    ps->nerrors, ps->nerrors == 1 ? "" : "s", w->cf->pipelines);
		w->next_remind_ms = monotonic_ms() + BROKEN_REMIND_MS;
	} else {
		log_info("%s %zu pipeline%s from %s", w->ps == NULL ?
		    "loaded" : "reloaded", ps->set.n, ps->set.n == 1 ? "" :
		    "s", w->cf->pipelines);
		if (was_broken) {
			log_warnx("the pipelines load again: claiming events");
			w->want_list = 1;
			w->need_recover = 1;
		}
	}
	pset_unref(w->ps);
	w->ps = ps;
}

/* Does a pipeline file fail to load? Then no event may be claimed. */
int
worker_broken(struct worker *w)
{
	worker_pipelines(w);
	return w->ps->nerrors > 0;
}

/* ---------------------------------------------------------------- events */

static int
name_in(char *const *v, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return 1;
	return 0;
}

/*
 * Does a pipeline listen to this completion event? Only those are
 * spooled: a run nobody chains from leaves no internal events behind.
 */
static int
worker_listens(void *arg, const char *kind, const char *pipeline,
    const char *job)
{
	struct worker			*w = arg;
	const struct trigger_on		*on;
	const struct on_job_complete	*jc;
	size_t				 i;

	/* A file that does not load may be the one that listens. */
	if (worker_broken(w))
		return 1;
	for (i = 0; i < w->ps->set.n; i++) {
		on = &w->ps->set.v[i]->on;
		if (job == NULL && strcmp(kind, CHAIN_PIPELINE_COMPLETE) == 0 &&
		    on->pipeline_complete != NULL &&
		    (on->pipeline_complete->nnames == 0 ||
		    name_in(on->pipeline_complete->names,
		    on->pipeline_complete->nnames, pipeline)))
			return 1;
		if (job != NULL && strcmp(kind, CHAIN_JOB_COMPLETE) == 0 &&
		    (jc = on->job_complete) != NULL &&
		    (jc->npipelines == 0 ||
		    name_in(jc->pipelines, jc->npipelines, pipeline)) &&
		    (jc->njobs == 0 || name_in(jc->jobs, jc->njobs, job)))
			return 1;
	}
	return 0;
}

/* An event's claim cannot be retired now: left in cur/ for a later try. */
static void
event_leave(struct worker *w, int fd)
{
	close(fd);
	w->rc = EX_TEMPFAIL;
}

/*
 * The file of an event whose end is recorded in the open batch moves to
 * `to` (NULL: stays in cur/, its lock let go) once the batch is
 * committed: worker_retire(). Takes fd and runs.
 */
static void
event_retire(struct worker *w, const char *id, int fd, const char *to,
    int tempfail, long long *runs, size_t nruns)
{
	struct retire	*rt;

	w->retires = xreallocarray(w->retires, w->nretires + 1,
	    sizeof(*w->retires));
	rt = &w->retires[w->nretires++];
	rt->id = xstrdup(id);
	rt->fd = fd;
	rt->to = to;
	rt->tempfail = tempfail;
	rt->runs = runs;
	rt->nruns = nruns;
}

/*
 * After the batch: a waiting responder hears that the runs ended, and
 * each file moves on; when the batch could not be committed, whatever
 * it says of them may be lost, and they stay in cur/ to be processed
 * again.
 */
static void
worker_retire(struct worker *w, int committed)
{
	struct retire	*rt;
	size_t		 i;

	for (i = 0; i < w->nretires; i++) {
		rt = &w->retires[i];
		/* Every run ended and none answered: the wait can end now. */
		if (rt->nruns > 0)
			respond_note(w->cf->respond_dir, rt->id, rt->runs,
			    rt->nruns, 1);
		if (!committed && rt->to != NULL)
			log_warnx("event %s: left in cur/ to be processed "
			    "again", rt->id);
		if (!committed || rt->tempfail)
			event_leave(w, rt->fd);
		else if (rt->to == NULL)
			close(rt->fd);
		else if (spool_retire(&w->sp, rt->id, rt->fd, rt->to) == -1) {
			log_warn("event %s: moving it to %s/", rt->id, rt->to);
			w->rc = EX_TEMPFAIL;
		}
		free(rt->id);
		free(rt->runs);
	}
	w->nretires = 0;
}

static void
event_unref(struct wevent *we)
{
	struct worker	*w = we->w;
	const char	*id = we->ev.id;
	int		 ok;

	if (--we->refs > 0)
		return;
	if (we->interrupted || we->failed) {
		/*
		 * Left in cur/ with its lock released: the next worker's
		 * recovery processes it again.
		 */
		log_warnx("event %s: left in cur/ to be processed again", id);
		event_retire(w, id, we->fd, NULL, 0, NULL, 0);
	} else {
		/*
		 * The runs' ends and the event's are committed (with the
		 * last step's end, in the batch of the turn that saw it)
		 * before a waiting responder hears of them and before the
		 * file moves on.
		 */
		ok = history_event_finish(w->h, id, "done", NULL) == 0;
		event_retire(w, id, we->fd, "done", !ok, we->runs, we->nruns);
		we->runs = NULL;
	}
	free(we->runs);
	pset_unref(we->ps);
	event_release(&we->ev);
	free(we);
	w->active--;
	/* Files may have arrived while it ran. */
	w->want_list = 1;
}

/* A run started or ended: the status pages are to be written again. */
static void
worker_report_due(struct worker *w, long long ended)
{
	if (w->cf->report_html == NULL)
		return;
	w->report_due = 1;
	if (ended > 0) {
		w->report_runs = xreallocarray(w->report_runs,
		    w->nreport_runs + 1, sizeof(*w->report_runs));
		w->report_runs[w->nreport_runs++] = ended;
	}
}

/*
 * Write the pages when due (now, or at the latest REPORT_EVERY_MS after
 * the last time: a busy worker does not rewrite them per run). A failure
 * is logged and the worker goes on: the pages are for people, the
 * history is the record.
 */
static void
worker_report(struct worker *w, int now)
{
	long long	t = monotonic_ms();

	if (!w->report_due || (!now && t < w->next_report_ms))
		return;
	report_write(w->h, &w->sp, w->cf->report_html, REPORT_DEFAULT_LIMIT,
	    w->report_runs, w->nreport_runs);
	w->nreport_runs = 0;
	w->report_due = 0;
	w->next_report_ms = t + REPORT_EVERY_MS;
}

/* A run of the event started: its id is for the answer to a request. */
static void
event_run_add(struct wevent *we, long long run)
{
	size_t	i;

	for (i = 0; i < we->nruns; i++)
		if (we->runs[i] == run)
			return;
	we->runs = xreallocarray(we->runs, we->nruns + 1, sizeof(*we->runs));
	we->runs[we->nruns++] = run;
}

static void
event_run_done(void *arg, long long run, enum run_status status)
{
	struct wevent	*we = arg;

	/* It may end before run_start() returns its id. */
	event_run_add(we, run);
	worker_report_due(we->w, run);
	if (status == RS_INTERRUPTED)
		we->interrupted = 1;
	event_unref(we);
}

/*
 * For an event recovered from cur/: the pipelines whose runs already
 * ended, as the keys of an object (the caller puts it). Its worker died
 * after those runs ended and before the event did, or before the file
 * moved to done/: they are not run again, only the interrupted ones
 * are, so that each run completes once. After `hookdir requeue`
 * everything is to run again, so for an event ever requeued, or when
 * the history cannot tell, NULL: run them all.
 */
static struct json_object *
event_ended_pipelines(struct worker *w, const char *id)
{
	struct json_object	*ev, *v, *runs, *run, *ended;
	const char		*status;
	size_t			 i, n;

	if (history_event_get(w->h, id, &ev) != 1)
		return NULL;
	if (!json_object_object_get_ex(ev, "requeued", &v) ||
	    json_object_get_int64(v) != 0 ||
	    !json_object_object_get_ex(ev, "runs", &runs)) {
		json_object_put(ev);
		return NULL;
	}
	ended = json_object_new_object();
	n = json_object_array_length(runs);
	for (i = 0; i < n; i++) {
		run = json_object_array_get_idx(runs, i);
		if (!json_object_object_get_ex(run, "status", &v))
			continue;
		status = json_object_get_string(v);
		if (strcmp(status, "queued") == 0 ||
		    strcmp(status, "running") == 0 ||
		    strcmp(status, "interrupted") == 0)
			continue;
		if (json_object_object_get_ex(run, "pipeline", &v))
			json_object_object_add(ended, json_object_get_string(v),
			    json_object_new_boolean(1));
	}
	json_object_put(ev);
	return ended;
}

/* How many pipelines, and how much of each trace, a "0 runs" line names. */
#define WHY_PIPELINES	3
#define WHY_TRACE_MAX	100

/*
 * For the log line of an event that started nothing: "PIPELINE: the
 * first line of its trace", for the first few pipelines, each cut
 * short (at a character boundary), so that the line says why. A trace
 * quotes payload values: a control character (C0, DEL, C1 in UTF-8)
 * becomes '?', as the log may go to a terminal.
 */
static void
event_why_add(struct buf *why, size_t *n, const char *pipeline,
    const char *trace)
{
	const unsigned char	*t = (const unsigned char *)trace;
	size_t			 len, i;

	if ((*n)++ == WHY_PIPELINES) {
		buf_addstr(why, "; ...");
		return;
	}
	if (*n > WHY_PIPELINES)
		return;
	buf_printf(why, "%s%s: ", *n > 1 ? "; " : ": ", pipeline);
	len = strcspn(trace, "\n");
	if (len > WHY_TRACE_MAX) {
		len = WHY_TRACE_MAX;
		while (len > 0 && (t[len] & 0xc0) == 0x80)
			len--;
	}
	for (i = 0; i < len; i++) {
		if (t[i] == 0xc2 && i + 1 < len && t[i + 1] >= 0x80 &&
		    t[i + 1] <= 0x9f) {
			buf_addch(why, '?');
			i++;
		} else
			buf_addch(why, t[i] < 0x20 || t[i] == 0x7f ? '?' : t[i]);
	}
	if (trace[len] != '\0' && trace[len] != '\n')
		buf_addstr(why, "...");
}

/*
 * Load the claimed file through the descriptor that holds its lock (no
 * second open of its path); one that cannot be read goes to failed/.
 */
static int
event_read(struct worker *w, struct wevent *we, const char *id)
{
	const char	*why = NULL;
	char		 path[PATH_MAX];

	if (spool_path(&w->sp, "cur", id, path, sizeof(path)) == -1)
		why = "the spool path is too long";
	else if (event_load_fd(&we->ev, id, path, we->fd, &why) == 0)
		why = NULL;
	if (why == NULL)
		return 0;
	history_event_unreadable(w->h, id, why);
	log_warnx("event %s: unreadable: %s; moved to failed/", id, why);
	event_retire(w, id, we->fd, "failed", 0, NULL, 0);
	return -1;
}

/*
 * Record the event's start in the history (history_event_begin: new,
 * recovered or a duplicate). From new/, an event the history says had
 * ended was put back: by `hookdir requeue`, or by hand (mv failed/ID
 * new/); *requeued says so. -1 with *err on error.
 */
static int
event_begin(struct worker *w, struct wevent *we, int recovered,
    int *requeued, char **dup_of, char **err)
{
	*requeued = 0;
	if (!recovered &&
	    (*requeued = history_event_came_back(w->h, we->ev.id)) == -1) {
		*err = xstrdup(history_error(w->h));
		return -1;
	}
	event_dedup(&we->ev, w->cf);
	return history_event_begin(w->h, &we->ev, dup_of, err);
}

/* A duplicate runs nothing: recorded as such and retired to done/. */
static void
event_duplicate(struct worker *w, struct wevent *we, const char *dup_of)
{
	const char	*id = we->ev.id;
	char		*reason;

	xasprintf(&reason, "duplicate of %s by %s = %s",
	    dup_of != NULL ? dup_of : "an earlier event",
	    we->ev.dedup_rule, we->ev.dedup_key);
	event_retire(w, id, we->fd, "done",
	    history_event_finish(w->h, id, "duplicate", reason) == -1, NULL, 0);
	log_notice("event %s source=%s type=%s: %s; no runs", id,
	    we->ev.source, we->ev.type, reason);
	free(reason);
}

/* The pipelines an event triggers, and what a log line says of it. */
struct event_match {
	const struct pipeline	**v;
	size_t			  n;
	size_t			  nended;	/* recovered: ran already */
	struct buf		  why;		/* why the others did not */
	size_t			  nnot;
};

/*
 * Evaluate every pipeline's triggers, each evaluation traced in the
 * history; for an event recovered from a dead worker (recovered), not
 * the pipelines whose runs had ended. -1 when a trace could not be
 * recorded: the event is not run without its history.
 */
static int
event_match(struct worker *w, struct wevent *we, int recovered,
    struct event_match *m)
{
	const struct pipeline	*pl;
	struct json_object	*ended = NULL;
	struct buf		 trace = BUF_INIT;
	size_t			 i;
	int			 hit, traced = 1;

	if (recovered)
		ended = event_ended_pipelines(w, we->ev.id);
	m->v = xcalloc(we->ps->set.n + 1, sizeof(*m->v));
	for (i = 0; i < we->ps->set.n; i++) {
		pl = we->ps->set.v[i];
		buf_reset(&trace);
		hit = trigger_eval(pl, &we->ev, &trace);
		if (hit && ended != NULL &&
		    json_object_object_get_ex(ended, pl->name, NULL))
			m->nended++;
		else if (hit)
			m->v[m->n++] = pl;
		else
			event_why_add(&m->why, &m->nnot, pl->name,
			    buf_str(&trace));
		if (history_event_trace(w->h, we->ev.id, pl->name, hit,
		    buf_str(&trace)) == -1)
			traced = 0;
	}
	buf_release(&trace);
	json_object_put(ended);
	return traced ? 0 : -1;
}

/* The event's line: how many runs, and why none when none. */
static void
event_log_runs(const struct wevent *we, struct event_match *m,
    int recovered, int requeued)
{
	const char	*again = "";

	if (recovered)
		again = requeued == 1 ? " (requeued)" :
		    " (recovered from a stopped worker)";
	if (m->nended > 0)
		log_warnx("event %s source=%s type=%s: %zu run%s (recovered "
		    "from a stopped worker; %zu had ended)", we->ev.id,
		    we->ev.source, we->ev.type, m->n, m->n == 1 ? "" : "s",
		    m->nended);
	else
		log_at(recovered && requeued != 1 ? LOG_WARNING : LOG_NOTICE,
		    "event %s source=%s type=%s: %zu run%s%s%s", we->ev.id,
		    we->ev.source, we->ev.type, m->n, m->n == 1 ? "" : "s",
		    again, m->n == 0 ? buf_str(&m->why) : "");
}

/*
 * Start the matched pipelines' runs. From here on the event is theirs:
 * the last to end (or this, when none runs) retires it (event_unref).
 */
static void
event_start_runs(struct worker *w, struct wevent *we,
    const struct event_match *m)
{
	long long	run;
	size_t		i;

	/* Runs may end at once and drop their reference: hold one. */
	we->refs = 1;
	w->active++;
	for (i = 0; i < m->n; i++) {
		we->refs++;
		if ((run = run_start(w->rn, &we->ev, m->v[i],
		    event_run_done, we)) == -1) {
			we->refs--;
			we->failed = 1;
			w->rc = EX_TEMPFAIL;
		} else {
			event_run_add(we, run);
			worker_report_due(w, 0);
		}
	}
	/* Unless they all ended already (event_unref tells that). */
	if (we->refs > 1 && we->nruns > 0)
		respond_note(w->cf->respond_dir, we->ev.id, we->runs,
		    we->nruns, 0);
	event_unref(we);
}

/*
 * A claimed file (or, with recovered, one taken over from a dead
 * worker), locked by fd: decide and start runs. Every way out passes
 * `out`, which frees what this made; the event, once its runs start,
 * is theirs.
 */
void
event_process(struct worker *w, const char *id, int fd, int recovered)
{
	struct wevent		*we;
	struct event_match	 m = { NULL, 0, 0, BUF_INIT, 0 };
	char			*dup_of = NULL, *err = NULL;
	int			 r, cut, requeued, began;

	we = xcalloc(1, sizeof(*we));
	we->w = w;
	we->fd = fd;
	if (event_read(w, we, id) == -1)
		goto out;
	w->seen++;
	if (w->progress)
		log_progress("[%ld/%ld] event %s source=%s", w->seen,
		    w->seen_listed + w->nids, id, we->ev.source);

	/*
	 * One transaction from the claim to the first steps' start; it
	 * is committed before the file moves on (the early ends below).
	 */
	began = history_txn_begin(w->h);
	if ((r = event_begin(w, we, recovered, &requeued, &dup_of,
	    &err)) == -1) {
		history_txn_end(w->h, began);
		log_warnx("event %s: %s", id, err);
		event_leave(w, fd);
		goto out;
	}
	if (r == EVENT_DUPLICATE) {
		history_txn_end(w->h, began);
		event_duplicate(w, we, dup_of);
		goto out;
	}
	/* loop safety: an internal event too deep in its chain runs nothing */
	if ((cut = chain_cut(w->h, w->cf, &we->ev)) != 0) {
		event_retire(w, id, fd, "done",
		    history_txn_end(w->h, began) == -1 || cut == -1, NULL, 0);
		goto out;
	}

	/* worker_fill loaded them, without errors, before the claim. */
	we->ps = w->ps;
	we->ps->refs++;
	if (event_match(w, we, recovered && r == EVENT_RECOVERED, &m) == -1) {
		/* Not without its history: left in cur/ to try again. */
		log_warnx("event %s: left in cur/ to be processed again", id);
		history_txn_end(w->h, began);
		event_leave(w, fd);
		goto out;
	}
	event_log_runs(we, &m, r == EVENT_RECOVERED, requeued);
	event_start_runs(w, we, &m);
	history_txn_end(w->h, began);
	we = NULL;
out:
	if (we != NULL) {
		pset_unref(we->ps);
		event_release(&we->ev);
		free(we);
	}
	free(m.v);
	buf_release(&m.why);
	free(dup_of);
	free(err);
}

static void
worker_stop(struct worker *w, int sig)
{
	if (!w->stopping) {
		w->stopping = 1;
		log_warnx("%s: claiming no more events; %lu run%s still "
		    "going, grace %lldms", strsignal(sig), runner_runs(w->rn),
		    runner_runs(w->rn) == 1 ? "" : "s", w->grace_ms);
		runner_stop(w->rn, w->grace_ms);
	} else {
		log_warnx("%s again: stopping the steps now", strsignal(sig));
		runner_stop(w->rn, 0);
	}
}

static long long
min_wake(long long a, long long b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

static void
worker_lease(struct worker *w)
{
	history_lease_renew(w->h, HISTORY_LEASE_TTL_MS);
	w->next_lease_ms = monotonic_ms() + LEASE_RENEW_MS;
}

/*
 * What a turn of the loop recorded (the ends it saw, the events it
 * claimed, the steps it started) is one transaction, committed before
 * the worker waits: then the steps started go on (their shells wait at
 * their gates until their process groups are committed), and then the
 * files whose ends it recorded move on and the workspaces of the runs
 * that ended and keep none go, while those steps run. A turn that sees
 * a step end and starts the next event's step commits once, not twice.
 */
static void
worker_commit(struct worker *w)
{
	int	committed;

	committed = history_batch_end(w->h) == 0;
	exec_open_gates(w->ex, committed);
	worker_retire(w, committed);
	runner_sweep(w->rn);
}

static void
worker_loop(struct worker *w)
{
	struct pollfd	 pfd;
	long long	 wake;
	int		 sig;

	history_batch_begin(w->h);
	for (;;) {
		worker_fill(w);
		if (w->active == 0 && runner_runs(w->rn) == 0 &&
		    (w->stopping || (!w->watch && (worker_drained(w) ||
		    w->ps->nerrors > 0))))
			break;
		worker_commit(w);
		worker_report(w, 0);
		wake = min_wake(runner_next_wake(w->rn), w->next_lease_ms);
		if (w->report_due)
			wake = min_wake(wake, w->next_report_ms);
		/* More to claim: look at what happened, do not wait. */
		if (w->fill_more)
			wake = monotonic_ms();
		if (w->watch && !w->stopping)
			wake = min_wake(wake, worker_watch_wake(w));
		pfd.fd = w->ifd;
		pfd.events = POLLIN;
		/* No transaction is open while it waits. */
		history_batch_begin(w->h);
		sig = exec_poll(w->ex, &pfd, w->ifd != -1 ? 1 : 0, wake);
		if (sig == -1)
			fatal("poll");
		if (sig == SIGTERM || sig == SIGINT)
			worker_stop(w, sig);
		else if (sig == SIGHUP) {
			w->want_list = 1;
			w->need_recover = 1;
		}
		if (w->ifd != -1 && (pfd.revents & POLLIN))
			worker_inotify_drain(w);
		if (monotonic_ms() >= w->next_lease_ms)
			worker_lease(w);
		if (w->watch)
			worker_watch_tick(w);
		runner_tick(w->rn);
	}
	worker_commit(w);
	worker_report(w, 1);
}

/* ---------------------------------------------------------------- command */

static void
worker_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: hookdir worker [--once | --watch] [-j N] [--poll SECONDS]\n"
	    "                      [--grace DURATION] [--syslog] [--allow-root]\n"
	    "\n"
	    "Claim events from the spool and run the pipelines they trigger.\n"
	    "\n"
	    "  --once            process what is queued (and what dead\n"
	    "                    workers left in cur/), then exit: for cron;\n"
	    "                    silent unless something went wrong (-v: a\n"
	    "                    line per event and run), a progress line on\n"
	    "                    a terminal\n"
	    "  --watch           keep watching new/ (inotify) until SIGTERM\n"
	    "                    or SIGINT (the default); a line per event\n"
	    "                    and run\n"
	    "  -j, --jobs N      run at most N steps at once (worker.jobs, 1)\n"
	    "  --poll SECONDS    --watch: list new/ every SECONDS instead of\n"
	    "                    using inotify\n"
	    "  --grace DURATION  on SIGTERM, let running steps finish this\n"
	    "                    long, then SIGTERM them, and SIGKILL after\n"
	    "                    as long again; also the SIGTERM-to-SIGKILL\n"
	    "                    delay of timeouts (worker.grace, 10s)\n"
	    "  --syslog          log to syslog (facility daemon), not stderr\n"
	    "  --allow-root      run as root when the state directory is\n"
	    "                    root's and worker.user is not set (as root\n"
	    "                    the worker otherwise becomes the state's\n"
	    "                    owner, or refuses to start)\n"
	    "  -h, --help        this text\n");
}

/* What the command line asks for. */
struct worker_opts {
	int		once;
	int		watch;
	int		syslog;
	long		jobs;		/* 0: worker.jobs */
	long long	poll_ms;	/* 0: inotify */
	long long	grace_ms;	/* -1: worker.grace */
};

/*
 * Parse the options into o. -1 when the worker is to run, else the
 * command's exit status (--help, a usage error).
 */
static int
worker_args(struct cli *cli, int argc, char **argv, struct worker_opts *o)
{
	static const struct option longopts[] = {
		{ "once",	no_argument,		NULL, 'o' },
		{ "watch",	no_argument,		NULL, 'w' },
		{ "jobs",	required_argument,	NULL, 'j' },
		{ "poll",	required_argument,	NULL, 'p' },
		{ "grace",	required_argument,	NULL, 'g' },
		{ "syslog",	no_argument,		NULL, 's' },
		{ "allow-root",	no_argument,		NULL, 'R' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	char		*end;
	int		 ch;

	memset(o, 0, sizeof(*o));
	o->grace_ms = -1;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "hj:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			o->once = 1;
			break;
		case 'w':
			o->watch = 1;
			break;
		case 'j':
			errno = 0;
			o->jobs = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || o->jobs < 1 ||
			    o->jobs > 1024) {
				fprintf(stderr, "hookdir worker: -j: want "
				    "1..1024, not `%s`\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'p':
			o->poll_ms = parse_duration_ms(optarg);
			if (o->poll_ms <= 0) {
				fprintf(stderr, "hookdir worker: --poll: not a "
				    "duration: `%s`\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'g':
			o->grace_ms = parse_duration_ms(optarg);
			if (o->grace_ms < 0) {
				fprintf(stderr, "hookdir worker: --grace: "
				    "not a duration: `%s`\n", optarg);
				return EX_USAGE;
			}
			break;
		case 's':
			o->syslog = 1;
			break;
		case 'R':
			cli->allow_root = 1;
			break;
		case 'h':
			worker_usage(stdout);
			return EX_OK;
		default:
			worker_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc || (o->once && o->watch)) {
		worker_usage(stderr);
		return EX_USAGE;
	}
	if (o->once && o->poll_ms != 0) {
		fprintf(stderr, "hookdir worker: --poll is for --watch\n");
		return EX_USAGE;
	}
	return -1;
}

/*
 * Logging, the signals, the spool, the history, the runner and the
 * pipelines. EX_OK, or the command's exit status when one cannot be had.
 */
static int
worker_open(struct worker *w, struct cli *cli, const struct worker_opts *o)
{
	char	*err = NULL;

	memset(w, 0, sizeof(*w));
	w->ifd = -1;
	w->watch = !o->once;
	w->poll_ms = o->poll_ms;
	/*
	 * A daemon logs each event and run; from cron, --once says nothing
	 * unless something went wrong, and a terminal gets a progress line.
	 */
	w->syslog = o->syslog;
	if (o->syslog)
		log_init("hookdir", 1);
	else
		log_timestamps();
	log_setnotice(w->watch);
	w->progress = o->once && !o->syslog && isatty(STDERR_FILENO);
	/* Signals go to the signalfd from now on: none is lost during setup. */
	if ((w->ex = exec_new(&err)) == NULL) {
		log_warnx("%s", err);
		free(err);
		return EX_OSERR;
	}
	w->cf = cli_config(cli);
	w->grace_ms = o->grace_ms >= 0 ? o->grace_ms : w->cf->worker_grace_ms;
	if (spool_open(&w->sp, w->cf->spool, 1) == -1) {
		log_warn("spool %s", w->cf->spool);
		exec_free(w->ex);
		return EX_CANTCREAT;
	}
	if ((w->h = history_open_uri(w->cf->database, w->cf->state, 1,
	    &err)) == NULL) {
		log_warnx("%s", err);
		free(err);
		spool_close(&w->sp);
		exec_free(w->ex);
		return EX_CANTCREAT;
	}
	history_set_host(w->h, w->cf->host);
	worker_lease(w);
	w->rn = runner_new(w->ex, w->h, w->cf, o->jobs > 0 ? (int)o->jobs :
	    w->cf->worker_jobs, w->grace_ms);
	runner_set_spool(w->rn, &w->sp, worker_listens, w);
	worker_pipelines(w);
	if (w->watch)
		worker_watch_setup(w);
	w->need_recover = 1;
	w->want_list = 1;
	return EX_OK;
}

/* After worker_loop(): the exit status, and everything let go. */
static int
worker_close(struct worker *w)
{
	if (w->progress)
		log_progress_end();
	/* --once with pipelines that do not load: what it claimed not. */
	if (!w->watch && w->ps->nerrors > 0)
		w->rc = EX_CONFIG;
	/* Whatever the history failed to record, the exit status says so. */
	if (history_errors(w->h) > 0 && w->rc == EX_OK)
		w->rc = EX_TEMPFAIL;

	spool_list_free(w->ids, w->nids);
	free(w->retires);
	free(w->report_runs);
	if (w->ifd != -1)
		close(w->ifd);
	pset_unref(w->ps);
	runner_free(w->rn);
	exec_free(w->ex);
	history_close(w->h);
	spool_close(&w->sp);
	return w->rc;
}

int
cmd_worker(struct cli *cli, int argc, char **argv)
{
	struct worker_opts	 o;
	struct worker		 w;
	int			 rc;

	if ((rc = worker_args(cli, argc, argv, &o)) != -1)
		return rc;
	if ((rc = worker_open(&w, cli, &o)) != EX_OK)
		return rc;
	worker_loop(&w);
	return worker_close(&w);
}
