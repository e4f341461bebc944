/*
 * hookdir worker: claim spool files, decide which pipelines they
 * trigger, run them (run.c), retire the files.
 *
 * Claims follow the spool protocol (spool.h): rename new/ID to cur/ID
 * under an flock that lives as long as this process holds the file. A
 * file in cur/ whose lock is free belongs to a dead worker and is
 * recovered: the history marks its old runs interrupted and the event
 * is processed again. Any number of `--once` workers and a `--watch`
 * can share one spool; each event is processed once between them.
 */
#include "autoconf.h"

#include <sys/inotify.h>
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
#include "run.h"
#include "spool.h"
#include "trigger.h"
#include "util.h"
#include "xmalloc.h"

/*
 * --watch: look for dead workers' files in cur/, and list new/ even
 * without inotify news, this often; poll this often without inotify.
 */
#define RECOVER_EVERY_MS	(60 * 1000)
/* The host's lease (see history.h) is renewed this often. */
#define LEASE_RENEW_MS		(HISTORY_LEASE_TTL_MS / 3)
#define RESCAN_EVERY_MS		(60 * 1000)
#define FALLBACK_POLL_MS	(5 * 1000)
/*
 * Events claimed between two looks at signals, step output and timers:
 * events that start no run are processed at once, and a queue of them
 * must not keep a SIGTERM waiting until the whole listing is done.
 */
#define FILL_BATCH		64
/* The status pages ("report": {"html": DIR}) are written at most this often. */
#define REPORT_EVERY_MS		1000
/*
 * While a pipeline file does not load, no event is claimed: look for a
 * fix this often, and say again that events are waiting this often.
 */
#define BROKEN_CHECK_MS		1000
#define BROKEN_REMIND_MS	(60 * 1000)

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
		w->next_remind_ms = exec_now_ms() + BROKEN_REMIND_MS;
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
static int
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

static void
event_unref(struct wevent *we)
{
	struct worker	*w = we->w;
	const char	*id = we->ev.id;

	if (--we->refs > 0)
		return;
	/* Every run ended and none answered: the wait can end now. */
	if (we->nruns > 0 && !we->interrupted && !we->failed)
		respond_note(w->cf->respond_dir, id, we->runs, we->nruns, 1);
	free(we->runs);
	if (we->interrupted || we->failed) {
		/*
		 * Left in cur/ with its lock released: the next worker's
		 * recovery processes it again.
		 */
		close(we->fd);
		log_warnx("event %s: left in cur/ to be processed again", id);
	} else if (history_event_finish(w->h, id, "done", NULL) == -1) {
		close(we->fd);
		w->rc = EX_TEMPFAIL;
	} else if (spool_retire(&w->sp, id, we->fd, "done") == -1) {
		log_warn("event %s: moving it to done/", id);
		w->rc = EX_TEMPFAIL;
	}
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
	long long	t = exec_now_ms();

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
event_run_done(void *arg, long long run, const char *status)
{
	struct wevent	*we = arg;

	/* It may end before run_start() returns its id. */
	event_run_add(we, run);
	worker_report_due(we->w, run);
	if (strcmp(status, "interrupted") == 0)
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
 * A claimed file (or, with recovered, one taken over from a dead
 * worker), locked by fd: decide and start runs.
 */
static void
event_process(struct worker *w, const char *id, int fd, int recovered)
{
	const struct pipeline	**matched;
	struct wevent		*we;
	struct buf		 trace = BUF_INIT, nowhy = BUF_INIT;
	const char		*why = NULL, *again = "";
	char			 path[PATH_MAX];
	char			*dup_of = NULL, *err = NULL, *reason;
	struct json_object	*ended = NULL;
	size_t			 i, nmatched = 0, nended = 0, nnot = 0;
	long long		 run;
	int			 r, m, cut, traced = 1, requeued = 0;

	we = xcalloc(1, sizeof(*we));
	we->w = w;
	we->fd = fd;
	if (spool_path(&w->sp, "cur", id, path, sizeof(path)) == -1)
		why = "the spool path is too long";
	else if (event_load(&we->ev, id, path, &why) == 0)
		why = NULL;
	if (why != NULL) {
		history_event_unreadable(w->h, id, why);
		if (spool_retire(&w->sp, id, fd, "failed") == -1)
			log_warn("event %s: moving it to failed/", id);
		log_warnx("event %s: unreadable: %s; moved to failed/", id,
		    why);
		event_release(&we->ev);
		free(we);
		return;
	}
	w->seen++;
	if (w->progress)
		log_progress("[%ld/%ld] event %s source=%s", w->seen,
		    w->seen_listed + w->nids, id, we->ev.source);

	/*
	 * From new/, an event the history says had ended was put back:
	 * by `hookdir requeue`, or by hand (mv failed/ID new/).
	 */
	if (!recovered)
		requeued = history_event_came_back(w->h, id);
	if (requeued == -1) {
		r = -1;
		err = xstrdup(history_error(w->h));
	} else {
		event_dedup(&we->ev, w->cf);
		r = history_event_begin(w->h, &we->ev, &dup_of, &err);
	}
	if (r == -1) {
		log_warnx("event %s: %s", id, err);
		free(err);
		close(fd);
		w->rc = EX_TEMPFAIL;
		event_release(&we->ev);
		free(we);
		return;
	}
	if (r == EVENT_DUPLICATE) {
		xasprintf(&reason, "duplicate of %s by %s = %s",
		    dup_of != NULL ? dup_of : "an earlier event",
		    we->ev.dedup_rule, we->ev.dedup_key);
		if (history_event_finish(w->h, id, "duplicate", reason) == -1) {
			close(fd);
			w->rc = EX_TEMPFAIL;
		} else if (spool_retire(&w->sp, id, fd, "done") == -1)
			log_warn("event %s: moving it to done/", id);
		log_notice("event %s source=%s type=%s: %s; no runs", id,
		    we->ev.source, we->ev.type, reason);
		free(reason);
		free(dup_of);
		event_release(&we->ev);
		free(we);
		return;
	}
	/* loop safety: an internal event too deep in its chain runs nothing */
	if ((cut = chain_cut(w->h, w->cf, &we->ev)) != 0) {
		if (cut == -1) {
			close(fd);
			w->rc = EX_TEMPFAIL;
		} else if (spool_retire(&w->sp, id, fd, "done") == -1)
			log_warn("event %s: moving it to done/", id);
		event_release(&we->ev);
		free(we);
		return;
	}

	/* worker_fill loaded them, without errors, before the claim. */
	we->ps = w->ps;
	we->ps->refs++;
	if (recovered && r == EVENT_RECOVERED)
		ended = event_ended_pipelines(w, id);
	matched = xcalloc(we->ps->set.n + 1, sizeof(*matched));
	for (i = 0; i < we->ps->set.n; i++) {
		buf_reset(&trace);
		m = trigger_eval(we->ps->set.v[i], &we->ev, &trace);
		if (m && ended != NULL && json_object_object_get_ex(ended,
		    we->ps->set.v[i]->name, NULL))
			nended++;
		else if (m)
			matched[nmatched++] = we->ps->set.v[i];
		else
			event_why_add(&nowhy, &nnot, we->ps->set.v[i]->name,
			    buf_str(&trace));
		if (history_event_trace(w->h, id, we->ps->set.v[i]->name, m,
		    buf_str(&trace)) == -1)
			traced = 0;
	}
	buf_release(&trace);
	json_object_put(ended);
	if (!traced) {
		buf_release(&nowhy);
		/* Not without its history: left in cur/ to try again. */
		log_warnx("event %s: left in cur/ to be processed again", id);
		free(matched);
		pset_unref(we->ps);
		close(fd);
		w->rc = EX_TEMPFAIL;
		event_release(&we->ev);
		free(we);
		return;
	}
	if (r == EVENT_RECOVERED)
		again = requeued == 1 ? " (requeued)" :
		    " (recovered from a stopped worker)";
	if (nended > 0)
		log_warnx("event %s source=%s type=%s: %zu run%s (recovered "
		    "from a stopped worker; %zu had ended)", id, we->ev.source,
		    we->ev.type, nmatched, nmatched == 1 ? "" : "s", nended);
	else
		log_at(r == EVENT_RECOVERED && requeued != 1 ? LOG_WARNING :
		    LOG_NOTICE, "event %s source=%s type=%s: %zu run%s%s%s", id,
		    we->ev.source, we->ev.type, nmatched,
		    nmatched == 1 ? "" : "s", again,
		    nmatched == 0 ? buf_str(&nowhy) : "");
	buf_release(&nowhy);

	/* Runs may end at once and drop their reference: hold one. */
	we->refs = 1;
	w->active++;
	for (i = 0; i < nmatched; i++) {
		we->refs++;
		if ((run = run_start(w->rn, &we->ev, matched[i],
		    event_run_done, we)) == -1) {
			we->refs--;
			we->failed = 1;
			w->rc = EX_TEMPFAIL;
		} else {
			event_run_add(we, run);
			worker_report_due(w, 0);
		}
	}
	free(matched);
	/* Unless they all ended already (event_unref tells that). */
	if (we->refs > 1 && we->nruns > 0)
		respond_note(w->cf->respond_dir, id, we->runs, we->nruns, 0);
	event_unref(we);
}

/* ---------------------------------------------------------------- claiming */

/*
 * Several hosts on one spool: a file in cur/ that another host claimed
 * is that host's to recover while its lease holds (its lock may seem
 * free to us when the shared filesystem lost it). Only a host whose
 * lease expired is gone for the others.
 */
static int
worker_claimer_alive(struct worker *w, const char *id)
{
	struct json_object	*ev = NULL;
	const char		*host;
	int			 alive = 0;

	if (history_event_get(w->h, id, &ev) != 1)
		return 0;
	host = cli_jstr(ev, "host");
	if (host != NULL && strcmp(host, w->cf->host) != 0 &&
	    history_host_alive(w->h, host) == 1) {
		log_info("event %s: claimed by host %s, whose lease holds: "
		    "left to it", id, host);
		alive = 1;
	}
	json_object_put(ev);
	return alive;
}

static void
worker_lease(struct worker *w)
{
	history_lease_renew(w->h, HISTORY_LEASE_TTL_MS);
	w->next_lease_ms = exec_now_ms() + LEASE_RENEW_MS;
}

/*
 * A file in cur/ whose lock we got: its claimer died. Unless it was
 * retired between our open and our flock (its claimer then released
 * the lock by moving it on): the name must still be this inode.
 */
static int
worker_recover_one(struct worker *w, const char *id)
{
	struct stat	 st_fd, st_path;
	char		 path[PATH_MAX];
	int		 fd;

	if ((fd = spool_recover(&w->sp, id)) == -1) {
		if (errno != EWOULDBLOCK && errno != ENOENT)
			log_warn("recovering %s", id);
		return -1;
	}
	if (spool_path(&w->sp, "cur", id, path, sizeof(path)) == -1 ||
	    fstat(fd, &st_fd) == -1 || stat(path, &st_path) == -1 ||
	    st_fd.st_dev != st_path.st_dev || st_fd.st_ino != st_path.st_ino) {
		close(fd);
		return -1;
	}
	if (worker_claimer_alive(w, id)) {
		close(fd);
		return -1;
	}
	log_info("event %s: recovered from cur/: its worker is gone", id);
	/* Nothing of its old runs may go on while it runs again. */
	if (runner_recover(w->rn, id) == -1) {
		log_warnx("event %s: its stopped worker's steps could not be "
		    "ended; left in cur/", id);
		close(fd);
		w->rc = EX_TEMPFAIL;
		return -1;
	}
	return fd;
}

static int
worker_claim_one(struct worker *w, const char *id)
{
	int	fd;

	if ((fd = spool_claim(&w->sp, id)) == -1) {
		/* Another worker was faster: normal. */
		if (errno != ENOENT && errno != EWOULDBLOCK) {
			log_warn("claiming %s", id);
			w->rc = EX_TEMPFAIL;
		}
		return -1;
	}
	log_debug("event %s: claimed", id);
	return fd;
}

static void
worker_list(struct worker *w, int cur)
{
	spool_list_free(w->ids, w->nids);
	w->ids = NULL;
	w->nids = w->next = 0;
	w->listing_cur = cur;
	w->pass_claimed = 0;
	w->seen_listed = w->seen;
	if ((w->nids = spool_list(&w->sp, cur ? "cur" : "new", &w->ids)) ==
	    -1) {
		log_warn("listing %s/%s", w->sp.dir, cur ? "cur" : "new");
		w->nids = 0;
		w->ids = NULL;
		w->rc = EX_TEMPFAIL;
	}
}

/*
 * Claim and start events while the runner has room: first dead
 * workers' files in cur/, then new/ oldest first, listing new/ again
 * until a whole pass over it claims nothing.
 */
static void
worker_fill(struct worker *w)
{
	const char	*id;
	int		 fd, n = 0;

	w->fill_more = 0;
	for (;;) {
		if (w->stopping || !runner_has_room(w->rn) ||
		    exec_stop_pending() || worker_broken(w))
			return;
		if (w->next < w->nids) {
			if (n++ == FILL_BATCH) {
				w->fill_more = 1;
				return;
			}
			id = w->ids[w->next++];
			fd = w->listing_cur ? worker_recover_one(w, id) :
			    worker_claim_one(w, id);
			if (fd == -1)
				continue;
			w->pass_claimed++;
			event_process(w, id, fd, w->listing_cur);
			continue;
		}
		if (!w->listing_cur && w->pass_claimed > 0)
			w->want_list = 1;
		w->pass_claimed = 0;
		if (w->need_recover) {
			w->need_recover = 0;
			worker_list(w, 1);
			continue;
		}
		if (!w->want_list)
			return;
		w->want_list = 0;
		worker_list(w, 0);
		if (w->nids == 0)
			return;
	}
}

/* Nothing left in the listing and nothing asks for another one. */
static int
worker_drained(const struct worker *w)
{
	return w->next >= w->nids && !w->want_list && !w->need_recover;
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

static void
worker_inotify_drain(struct worker *w)
{
	char	buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t	n;

	/* Any news (IN_Q_OVERFLOW included) means: list new/ again. */
	while ((n = read(w->ifd, buf, sizeof(buf))) > 0) {
		if (!w->want_list)
			log_debug("inotify: new/ changed");
		w->want_list = 1;
	}
	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		log_warn("inotify; polling every %llds instead",
		    (long long)FALLBACK_POLL_MS / 1000);
		close(w->ifd);
		w->ifd = -1;
		w->poll_ms = FALLBACK_POLL_MS;
		w->next_scan_ms = exec_now_ms() + w->poll_ms;
	}
}

static void
worker_watch_setup(struct worker *w)
{
	char	path[PATH_MAX];

	w->next_recover_ms = exec_now_ms() + RECOVER_EVERY_MS;
	if (w->poll_ms == 0) {
		snprintf(path, sizeof(path), "%s/new", w->sp.dir);
		if ((w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
		    inotify_add_watch(w->ifd, path, IN_MOVED_TO | IN_CREATE) ==
		    -1) {
			log_warn("inotify on %s; polling every %llds instead",
			    path, (long long)FALLBACK_POLL_MS / 1000);
			if (w->ifd != -1)
				close(w->ifd);
			w->ifd = -1;
			w->poll_ms = FALLBACK_POLL_MS;
		}
	}
	w->next_scan_ms = exec_now_ms() +
	    (w->poll_ms != 0 ? w->poll_ms : RESCAN_EVERY_MS);
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
worker_loop(struct worker *w)
{
	struct pollfd	 pfd;
	long long	 wake, now;
	int		 sig;

	for (;;) {
		worker_fill(w);
		if (w->active == 0 && runner_runs(w->rn) == 0 &&
		    (w->stopping || (!w->watch && (worker_drained(w) ||
		    w->ps->nerrors > 0))))
			break;
		worker_report(w, 0);
		wake = min_wake(runner_next_wake(w->rn), w->next_lease_ms);
		if (w->report_due)
			wake = min_wake(wake, w->next_report_ms);
		/* More to claim: look at what happened, do not wait. */
		if (w->fill_more)
			wake = exec_now_ms();
		if (w->watch && !w->stopping) {
			wake = min_wake(wake, w->next_scan_ms);
			wake = min_wake(wake, w->next_recover_ms);
			if (w->ps->nerrors > 0)
				wake = min_wake(wake, exec_now_ms() +
				    BROKEN_CHECK_MS);
		}
		pfd.fd = w->ifd;
		pfd.events = POLLIN;
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
		now = exec_now_ms();
		if (now >= w->next_lease_ms)
			worker_lease(w);
		if (w->watch && now >= w->next_scan_ms) {
			w->want_list = 1;
			w->next_scan_ms = now +
			    (w->poll_ms != 0 ? w->poll_ms : RESCAN_EVERY_MS);
		}
		if (w->watch && now >= w->next_recover_ms) {
			w->need_recover = 1;
			w->next_recover_ms = now + RECOVER_EVERY_MS;
		}
		if (w->watch && w->ps->nerrors > 0 &&
		    now >= w->next_remind_ms) {
			log_warnx("the pipelines in %s still have errors; "
			    "%ld event%s waiting in new/", w->cf->pipelines,
			    spool_count(&w->sp, "new"),
			    spool_count(&w->sp, "new") == 1 ? "" : "s");
			w->next_remind_ms = now + BROKEN_REMIND_MS;
		}
		runner_tick(w->rn);
	}
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

int
cmd_worker(struct cli *cli, int argc, char **argv)
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
	struct worker	 w;
	char		*err = NULL, *end;
	long		 jobs = 0;
	long long	 poll_ms = 0, grace_ms = -1;
	int		 ch, once = 0, watch = 0, use_syslog = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "hj:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			once = 1;
			break;
		case 'w':
			watch = 1;
			break;
		case 'j':
			errno = 0;
			jobs = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || jobs < 1 ||
			    jobs > 1024) {
				fprintf(stderr, "hookdir worker: -j: want "
				    "1..1024, not `%s`\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'p':
			poll_ms = parse_duration_ms(optarg);
			if (poll_ms <= 0) {
				fprintf(stderr, "hookdir worker: --poll: not a "
				    "duration: `%s`\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'g':
			grace_ms = parse_duration_ms(optarg);
			if (grace_ms < 0) {
				fprintf(stderr, "hookdir worker: --grace: "
				    "not a duration: `%s`\n", optarg);
				return EX_USAGE;
			}
			break;
		case 's':
			use_syslog = 1;
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
	if (optind != argc || (once && watch)) {
		worker_usage(stderr);
		return EX_USAGE;
	}
	if (once && poll_ms != 0) {
		fprintf(stderr, "hookdir worker: --poll is for --watch\n");
		return EX_USAGE;
	}

	memset(&w, 0, sizeof(w));
	w.ifd = -1;
	w.watch = !once;
	w.poll_ms = poll_ms;
	/*
	 * A daemon logs each event and run; from cron, --once says nothing
	 * unless something went wrong, and a terminal gets a progress line.
	 */
	w.syslog = use_syslog;
	if (use_syslog)
		log_init("hookdir", 1);
	else
		log_timestamps();
	log_setnotice(w.watch);
	w.progress = once && !use_syslog && isatty(STDERR_FILENO);
	/* Signals go to the signalfd from now on: none is lost during setup. */
	if ((w.ex = exec_new(&err)) == NULL) {
		log_warnx("%s", err);
		free(err);
		return EX_OSERR;
	}
	w.cf = cli_config(cli);
	w.grace_ms = grace_ms >= 0 ? grace_ms : w.cf->worker_grace_ms;
	if (spool_open(&w.sp, w.cf->spool, 1) == -1) {
		log_warn("spool %s", w.cf->spool);
		exec_free(w.ex);
		return EX_CANTCREAT;
	}
	if ((w.h = history_open_uri(w.cf->database, w.cf->state, 1,
	    &err)) == NULL) {
		log_warnx("%s", err);
		free(err);
		spool_close(&w.sp);
		exec_free(w.ex);
		return EX_CANTCREAT;
	}
	history_set_host(w.h, w.cf->host);
	worker_lease(&w);
	w.rn = runner_new(w.ex, w.h, w.cf, jobs > 0 ? (int)jobs :
	    w.cf->worker_jobs, w.grace_ms);
	runner_set_spool(w.rn, &w.sp, worker_listens, &w);
	worker_pipelines(&w);
	if (w.watch)
		worker_watch_setup(&w);
	w.need_recover = 1;
	w.want_list = 1;

	worker_loop(&w);
	if (w.progress)
		log_progress_end();
	/* --once with pipelines that do not load: what it claimed not. */
	if (!w.watch && w.ps->nerrors > 0)
		w.rc = EX_CONFIG;
	/* Whatever the history failed to record, the exit status says so. */
	if (history_errors(w.h) > 0 && w.rc == EX_OK)
		w.rc = EX_TEMPFAIL;

	spool_list_free(w.ids, w.nids);
	free(w.report_runs);
	if (w.ifd != -1)
		close(w.ifd);
	pset_unref(w.ps);
	runner_free(w.rn);
	exec_free(w.ex);
	history_close(w.h);
	spool_close(&w.sp);
	return w.rc;
}
