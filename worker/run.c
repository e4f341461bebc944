/*
 * Runs and their job DAG (see run.h): the runner, a run's set-up and
 * end, deciding jobs, the slot queue, stopping, cancelling and time.
 * A job's steps are in step.c, concurrency groups in group.c; what the
 * three share is in run-int.h.
 *
 * Everything happens in the worker's one thread: exec_poll() calls
 * step_done() when a step's shell is reaped, which decides the job,
 * then the run (run_advance), then starts what may start (dispatch).
 * A run is freed only at the end of run_advance(), so callers never
 * touch a run after advancing it.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "buf.h"
#include "chain.h"
#include "config.h"
#include "event.h"
#include "exec.h"
#include "expr.h"
#include "history.h"
#include "log.h"
#include "pipeline.h"
#include "run.h"
#include "run-int.h"
#include "status.h"
#include "util.h"
#include "xmalloc.h"

#define DEFAULT_PATH	"/usr/local/bin:/usr/bin:/bin"
#define SECRET_MAX	(64 * 1024)
#define POLL_EVERY_MS	1000		/* cancel flags, concurrency groups */
#define FAN_OUT_CHECK_EVERY 64		/* instances between looks at signals */
/*
 * Runs waiting for their concurrency group hold no step slot, but each
 * holds its event's claim (an open file): past this many, claim no more.
 */
#define GROUP_WAIT_MAX	256

const char	 stopped_reason[] = "the worker was stopped";
const char	 cancelled_reason[] = "the run was cancelled";

static void	job_instance_done(struct rjob *);
static void	job_fan_out(struct rjob *);

/* Every job of a run, the for_each instances after the pipeline's. */
size_t
run_njobs(const struct run *r)
{
	return r->pl->njobs + r->ninst;
}

struct rjob *
run_job(const struct run *r, size_t k)
{
	return k < r->pl->njobs ? &r->jobs[k] : r->inst[k - r->pl->njobs];
}

/*
 * A line about a run, at a syslog priority (log_at): "run ID PIPELINE",
 * then fmt, then "; event ID", so that one grep for an event id finds
 * every line about it.
 */
void
run_log(const struct run *r, int pri, const char *fmt, ...)
{
	char	msg[2048];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_at(pri, "run %lld %s%s; event %s", r->id, r->pl->name, msg,
	    r->ev->id);
}

/* ---------------------------------------------------------------- small */

void
fmt_duration(char *buf, size_t len, long long ms)
{
	if (ms % 1000 != 0)
		snprintf(buf, len, "%lldms", ms);
	else if (ms % 3600000 == 0)
		snprintf(buf, len, "%lldh", ms / 3600000);
	else if (ms % 60000 == 0)
		snprintf(buf, len, "%lldm", ms / 60000);
	else
		snprintf(buf, len, "%llds", ms / 1000);
}

int
is_final(const struct rjob *j, enum run_status status)
{
	return j->state == J_DONE && j->status == status;
}

/* ---------------------------------------------------------------- queue */

void
q_push(struct runner *rn, struct rjob *j, int front)
{
	rn->q = xreallocarray(rn->q, rn->nq + 1, sizeof(*rn->q));
	if (front) {
		memmove(rn->q + 1, rn->q, rn->nq * sizeof(*rn->q));
		rn->q[0] = j;
	} else
		rn->q[rn->nq] = j;
	rn->nq++;
	j->state = J_QUEUED;
}

void
q_remove(struct runner *rn, struct rjob *j)
{
	size_t	i;

	for (i = 0; i < rn->nq; i++)
		if (rn->q[i] == j) {
			memmove(rn->q + i, rn->q + i + 1,
			    (rn->nq - i - 1) * sizeof(*rn->q));
			rn->nq--;
			return;
		}
}

/* ---------------------------------------------------------------- runner */

/* The configuration file as an absolute path, for HOOKDIR_CONF. */
static char *
conf_abspath(const struct config *cf)
{
	char	 real[PATH_MAX], *s, *base;

	if (realpath(cf->path, real) != NULL)
		return xstrdup(real);
	if (cf->path[0] == '/')
		return xstrdup(cf->path);
	base = strrchr(cf->path, '/');
	xasprintf(&s, "%s/%s", cf->dir, base != NULL ? base + 1 : cf->path);
	return s;
}

struct runner *
runner_new(struct exec *ex, struct history *h, const struct config *cf,
    int max_steps, long long grace_ms)
{
	struct runner	*rn;
	struct passwd	*pw;
	const char	*v;
	char		*conf;
	static const char *const pass[] = { "LANG", "LC_ALL", "TZ" };
	size_t		 i;

	rn = xcalloc(1, sizeof(*rn));
	rn->ex = ex;
	rn->h = h;
	rn->cf = cf;
	rn->max_steps = max_steps > 0 ? max_steps : 1;
	rn->grace_ms = grace_ms;
	/* Retry jitter comes from it. */
	if (sodium_init() == -1)
		log_warnx("libsodium could not be initialized");

	/* The clean environment's fixed part (hookdir-pipeline(5)). */
	v = getenv("PATH");
	env_set(&rn->base, "PATH", v != NULL && *v != '\0' ? v : DEFAULT_PATH);
	if ((v = getenv("HOME")) == NULL || *v == '\0') {
		pw = getpwuid(getuid());
		v = pw != NULL && pw->pw_dir != NULL ? pw->pw_dir : "/";
	}
	env_set(&rn->base, "HOME", v);
	for (i = 0; i < sizeof(pass) / sizeof(*pass); i++)
		if ((v = getenv(pass[i])) != NULL)
			env_set(&rn->base, pass[i], v);
	conf = conf_abspath(cf);
	env_set(&rn->base, "HOOKDIR_CONF", conf);
	free(conf);
	return rn;
}

void
runner_free(struct runner *rn)
{
	if (rn == NULL)
		return;
	runner_sweep(rn);
	free(rn->trash);
	env_release(&rn->base);
	free(rn->runs);
	free(rn->q);
	free(rn);
}

void
runner_set_spool(struct runner *rn, struct spool *sp,
    runner_listens_fn listens, void *arg)
{
	rn->sp = sp;
	rn->listens = listens;
	rn->listens_arg = arg;
}

static int
runner_listens(const struct runner *rn, const char *kind,
    const char *pipeline, const char *job)
{
	return rn->listens == NULL || rn->listens(rn->listens_arg, kind,
	    pipeline, job);
}

unsigned long
runner_runs(const struct runner *rn)
{
	return (unsigned long)rn->nruns;
}

int
runner_has_room(const struct runner *rn)
{
	size_t	i, waiting = 0;

	for (i = 0; i < rn->nruns; i++)
		if (rn->runs[i]->group_wait)
			waiting++;
	return !rn->stopping && waiting < GROUP_WAIT_MAX &&
	    (size_t)rn->running + rn->nq < (size_t)rn->max_steps;
}

/* ---------------------------------------------------------------- run setup */

/*
 * A pipeline secret: secrets/NAME, private to the worker's user (as ssh
 * insists for keys); one trailing newline is not part of it.
 */
static int
secret_read(const struct config *cf, const char *name, struct buf *b,
    char **why)
{
	struct stat	 st;
	char		*path;
	int		 fd, r = -1;

	if (!name_is_valid(name)) {
		xasprintf(why, "secret `%s`: not a valid name", name);
		return -1;
	}
	xasprintf(&path, "%s/%s", cf->secrets, name);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		xasprintf(why, "secret %s: %s: %s", name, path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		xasprintf(why, "secret %s: %s: not a regular file", name, path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		xasprintf(why, "secret %s: %s: readable by group or others "
		    "(mode %04o); chmod 600 it", name, path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	close(fd);
	fd = -1;
	if (read_file(path, b, SECRET_MAX) == -1) {
		xasprintf(why, "secret %s: %s: %s", name, path,
		    strerror(errno));
		goto out;
	}
	if (b->len > 0 && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
	if (b->len > 0 && b->data[b->len - 1] == '\r')
		b->data[--b->len] = '\0';
	if (memchr(b->data, '\0', b->len) != NULL) {
		xasprintf(why, "secret %s: %s: contains a NUL byte", name,
		    path);
		goto out;
	}
	r = 0;
out:
	if (fd != -1)
		close(fd);
	free(path);
	return r;
}

/*
 * The workspace with the body file in it, made as the run's first step
 * starts (step_start(), while its shell starts): a run none of whose
 * steps runs makes none. 0, or -1 with *why.
 */
int
run_workspace_make(struct run *r, char **why)
{
	int	fd;

	if (r->work_made)
		return 0;
	if (mkdir_p(r->work, 0700) == -1) {
		xasprintf(why, "%s: %s", r->work, strerror(errno));
		return -1;
	}
	fd = open(r->body_path,
	    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || write_all(fd, r->ev->msg.body, r->ev->msg.body_len) ==
	    -1 || close(fd) == -1) {
		xasprintf(why, "%s: %s", r->body_path, strerror(errno));
		return -1;
	}
	r->work_made = 1;
	return 0;
}

/*
 * The env values and the secrets. The workspace comes with the first
 * step (run_workspace_make()), the logs' directories with the first
 * byte a step writes (exec_log_open()), the outputs file with the
 * step's first output: a silent step creates nothing else.
 */
static int
run_prepare(struct run *r, char **why)
{
	const struct config	*cf = r->rn->cf;
	const struct pipeline	*pl = r->pl;
	struct buf		 b = BUF_INIT;
	char			*err = NULL;
	size_t			 i;

	xasprintf(&r->work, "%s/work/%lld", cf->state, r->id);
	xasprintf(&r->logs, "%s/logs/%lld", cf->state, r->id);
	xasprintf(&r->body_path, "%s/" RUN_PRIVATE "body", r->work);

	for (i = 0; i < pl->nenv; i++) {
		buf_reset(&b);
		if (template_render(pl->env[i].value, event_env(r->ev), &b,
		    &err) == -1) {
			xasprintf(why, "env %s: %s", pl->env[i].name, err);
			free(err);
			buf_release(&b);
			return -1;
		}
		env_set(&r->env, pl->env[i].name, buf_str(&b));
	}
	for (i = 0; i < pl->nsecrets; i++) {
		buf_reset(&b);
		if (secret_read(cf, pl->secrets[i], &b, why) == -1) {
			if (b.data != NULL)
				explicit_bzero(b.data, b.cap);
			buf_release(&b);
			return -1;
		}
		env_set(&r->env, pl->secrets[i], buf_str(&b));
		r->secrets = xreallocarray(r->secrets, r->nsecrets + 2,
		    sizeof(*r->secrets));
		r->secrets[r->nsecrets++] = xstrdup(buf_str(&b));
		r->secrets[r->nsecrets] = NULL;
		explicit_bzero(b.data, b.cap);
	}
	buf_release(&b);
	return 0;
}

static void
rjob_release(struct rjob *j)
{
	json_object_put(j->outputs);
	env_release(&j->env);
	free(j->output_path);
	free(j->unrun);
	free(j->name_buf);
	free(j->item);
	free(j->inst);
}

static void
run_free(struct run *r)
{
	size_t	i;

	for (i = 0; i < r->pl->njobs; i++)
		rjob_release(&r->jobs[i]);
	for (i = 0; i < r->ninst; i++) {
		rjob_release(r->inst[i]);
		free(r->inst[i]);
	}
	free(r->inst);
	free(r->jobs);
	for (i = 0; i < r->nsecrets; i++) {
		explicit_bzero(r->secrets[i], strlen(r->secrets[i]));
		free(r->secrets[i]);
	}
	free(r->secrets);
	free(r->group);
	env_release(&r->env);
	free(r->work);
	free(r->logs);
	free(r->body_path);
	free(r);
}

/*
 * Completion events, spooled before the run's end is recorded: a crash
 * in between runs the run again rather than losing the chain. Not for a
 * run that was interrupted (it runs again, and its delivery id would
 * make the real end a duplicate) or that its concurrency group skipped.
 */
static void
run_spool_completion(struct run *r, enum run_status status)
{
	const struct pipeline	*pl = r->pl;
	struct rjob		*j;
	struct json_object	*outputs;
	size_t			 i;

	if (r->rn->sp == NULL || status == RS_INTERRUPTED ||
	    status == RS_SKIPPED)
		return;
	outputs = json_object_new_object();
	for (i = 0; i < pl->njobs; i++) {
		j = &r->jobs[pl->order[i]];
		if (j->state != J_DONE)
			continue;
		json_object_object_add(outputs, j->name,
		    json_object_get(j->outputs));
		if (runner_listens(r->rn, CHAIN_JOB_COMPLETE, pl->name,
		    j->name))
			chain_spool_job_complete(r->rn->sp, r->ev, pl->name,
			    j->name, r->id, status_name(j->status),
			    j->outputs);
	}
	if (runner_listens(r->rn, CHAIN_PIPELINE_COMPLETE, pl->name, NULL))
		chain_spool_pipeline_complete(r->rn->sp, r->ev, pl->name,
		    r->id, status_name(status), outputs);
	json_object_put(outputs);
}

/*
 * A run that succeeded (or had nothing to do) leaves its logs, not its
 * workspace, unless the pipeline keeps it; any other keeps it for
 * inspection until `hookdir gc`. Removed by runner_sweep().
 */
static void
run_workspace_end(struct run *r, enum run_status st)
{
	struct runner	*rn = r->rn;

	if ((st != RS_SUCCESS && st != RS_SKIPPED) || r->pl->keep_workspace ||
	    !r->work_made)
		return;
	rn->trash = xreallocarray(rn->trash, rn->ntrash + 1,
	    sizeof(*rn->trash));
	rn->trash[rn->ntrash].run = r->id;
	rn->trash[rn->ntrash++].work = xstrdup(r->work);
}

static void
workspace_remove(long long run, char *work)
{
	char	*slash, *body;
	int	 fd;

	if ((slash = strrchr(work, '/')) == NULL)
		return;
	/* Most steps leave nothing there: the body, then the directory. */
	xasprintf(&body, "%s/" RUN_PRIVATE "body", work);
	if ((unlink(body) == 0 || errno == ENOENT) && rmdir(work) == 0) {
		free(body);
		return;
	}
	free(body);
	*slash = '\0';
	fd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || rm_tree(fd, slash + 1) == -1)
		log_warnx("run %lld: removing its workspace %s/%s: %s", run,
		    work, slash + 1, strerror(errno));
	*slash = '/';
	if (fd != -1)
		close(fd);
}

void
runner_sweep(struct runner *rn)
{
	size_t	i;

	for (i = 0; i < rn->ntrash; i++) {
		workspace_remove(rn->trash[i].run, rn->trash[i].work);
		free(rn->trash[i].work);
	}
	rn->ntrash = 0;
}

void
run_end(struct run *r, enum run_status status, const char *reason)
{
	struct runner	*rn = r->rn;
	run_done_fn	 done = r->done;
	void		*arg = r->arg;
	long long	 id = r->id;
	size_t		 i;

	/*
	 * The history could not record part of the run (its database was
	 * locked or unwritable): record the run as interrupted, so that its
	 * event stays in cur/ and runs again, as after a worker crash.
	 * Another run's failure meanwhile counts too: better run twice than
	 * retire an event whose history is incomplete.
	 */
	if (history_errors(rn->h) != r->hist_errors) {
		run_log(r, LOG_WARNING, ": %s, but the history missed some "
		    "of it: its event is processed again", status_name(status));
		status = RS_INTERRUPTED;
		reason = "the history could not record all of it";
	} else
		run_spool_completion(r, status);
	history_run_set(rn->h, r->id, status, reason);
	run_workspace_end(r, status);
	/* A run's outcome is worth a line without -v only when it went wrong. */
	run_log(r, status_trouble(status) ? LOG_WARNING : LOG_NOTICE,
	    ": %s (%zu job%s)%s%s", status_name(status), r->pl->njobs,
	    r->pl->njobs == 1 ? "" : "s", reason != NULL ? ": " : "",
	    reason != NULL ? reason : "");
	for (i = 0; i < rn->nruns; i++)
		if (rn->runs[i] == r) {
			memmove(rn->runs + i, rn->runs + i + 1,
			    (rn->nruns - i - 1) * sizeof(*rn->runs));
			rn->nruns--;
			break;
		}
	run_free(r);
	done(arg, id, status);
}

long long
run_start(struct runner *rn, const struct event *ev,
    const struct pipeline *pl, run_done_fn done, void *arg)
{
	struct run	*r;
	struct rjob	*j;
	char		*why = NULL;
	long long	 id;
	size_t		 i;
	int		 began;

	/*
	 * One transaction up to the first steps' start (run_begin()). A
	 * run with no concurrency group to wait for is created running:
	 * its start is recorded with it, not by another write.
	 */
	began = history_txn_begin(rn->h);
	if ((id = history_run_create(rn->h, ev->id, pl->name,
	    ev->triggered_by, ev->user, pl->concurrency.group == NULL ?
	    RS_RUNNING : RS_QUEUED)) == -1) {
		history_txn_end(rn->h, began);
		return -1;
	}
	r = xcalloc(1, sizeof(*r));
	r->rn = rn;
	r->ev = ev;
	r->pl = pl;
	r->id = id;
	r->done = done;
	r->arg = arg;
	r->hist_errors = history_errors(rn->h);
	r->jobs = xcalloc(pl->njobs, sizeof(*r->jobs));
	for (i = 0; i < pl->njobs; i++) {
		j = &r->jobs[i];
		j->run = r;
		j->job = &pl->jobs[i];
		j->name = pl->jobs[i].name;
		j->attempt = 1;
		j->id = -1;
		j->state = J_WAITING;
		j->status = RS_QUEUED;
		j->outputs = json_object_new_object();
	}
	rn->runs = xreallocarray(rn->runs, rn->nruns + 1, sizeof(*rn->runs));
	rn->runs[rn->nruns++] = r;

	if (run_prepare(r, &why) == -1) {
		run_end(r, RS_FAILURE, why);
		free(why);
		history_txn_end(rn->h, began);
		return id;
	}
	if (pl->concurrency.group != NULL) {
		/*
		 * The group's decision is a transaction of its own: what
		 * is open (this one, or the event's) is committed first.
		 */
		history_txn_end(rn->h, 1);
		run_group_enter(r);
	} else
		run_begin(r);
	history_txn_end(rn->h, began);
	return id;
}

/*
 * The run may start now. It is recorded running already: created so,
 * or by its concurrency group's decision (history_group_enter(),
 * history_group_try()).
 */
void
run_begin(struct run *r)
{
	struct runner		*rn = r->rn;
	const struct pipeline	*pl = r->pl;
	struct rjob		*j;
	size_t			 i;
	int			 began;

	began = history_txn_begin(rn->h);
	r->group_wait = 0;
	if (pl->timeout_ms > 0)
		r->deadline_ms = monotonic_ms() + pl->timeout_ms;
	/* Jobs are recorded in the order they can run. */
	for (i = 0; i < pl->njobs; i++) {
		j = &r->jobs[pl->order[i]];
		j->id = history_job_create(rn->h, r->id, j->job->name,
		    j->job->needs, j->job->nneeds);
	}
	run_advance(r);
	dispatch(rn);
	history_txn_end(rn->h, began);
}

/* ---------------------------------------------------------------- decisions */

/* needs.JOB.instances of a fanned-out job: [{name, item, status, outputs}]. */
static struct json_object *
job_instances(const struct rjob *j)
{
	struct json_object	*a, *o;
	size_t			 i;

	a = json_object_new_array();
	for (i = 0; i < j->ninst; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name",
		    json_object_new_string(j->inst[i]->name));
		json_object_object_add(o, "item",
		    json_object_new_string(j->inst[i]->item));
		json_object_object_add(o, "status",
		    json_object_new_string(status_name(j->inst[i]->status)));
		json_object_object_add(o, "outputs",
		    json_object_get(j->inst[i]->outputs));
		json_object_array_add(a, o);
	}
	return a;
}

/*
 * The environment of a job's `if`: the event's (shared by every run of
 * the event, so never modified) and `needs`.
 */
static struct json_object *
job_env(const struct rjob *j)
{
	const struct run	*r = j->run;
	const struct rjob	*nj;
	struct json_object	*env, *needs, *o;
	size_t			 k;

	env = json_object_new_object();
	json_object_object_foreach(event_env(r->ev), key, val)
		json_object_object_add(env, key, json_object_get(val));
	needs = json_object_new_object();
	for (k = 0; k < j->job->nneeds; k++) {
		nj = &r->jobs[j->job->need_idx[k]];
		o = json_object_new_object();
		json_object_object_add(o, "status",
		    json_object_new_string(status_name(nj->status)));
		json_object_object_add(o, "outputs",
		    json_object_get(nj->outputs));
		if (nj->job->for_each != NULL)
			json_object_object_add(o, "instances",
			    job_instances(nj));
		json_object_object_add(needs, nj->job->name, o);
	}
	json_object_object_add(env, "needs", needs);
	return env;
}

/*
 * for_each: one instance per element of the array, named JOB[INDEX],
 * each with HOOKDIR_ITEM; the job ends when they all have. An output is
 * text: one that holds a JSON array is taken as that array.
 */
static void
job_fan_out(struct rjob *j)
{
	struct run		*r = j->run;
	struct runner		*rn = r->rn;
	struct json_object	*env, *res = NULL, *parsed = NULL, *arr, *el;
	struct rjob		*in;
	struct buf		 b = BUF_INIT;
	char			*err = NULL;
	size_t			 i, n;

	env = job_env(j);
	if (expr_eval(j->job->for_each, env, &res, &err) == -1) {
		json_object_put(env);
		buf_printf(&b, "for_each: %s", err);
		free(err);
		job_finish(j, RS_FAILURE, buf_str(&b));
		buf_release(&b);
		return;
	}
	json_object_put(env);
	arr = res;
	if (json_object_is_type(res, json_type_string)) {
		parsed = json_tokener_parse(json_object_get_string(res));
		if (json_object_is_type(parsed, json_type_array))
			arr = parsed;
	}
	if (!json_object_is_type(arr, json_type_array)) {
		buf_printf(&b, "for_each: `%s` is %s, not an array",
		    j->job->for_each_text != NULL ? j->job->for_each_text :
		    expr_text(j->job->for_each), res == NULL ? "nil" :
		    json_type_to_name(json_object_get_type(res)));
		job_finish(j, RS_FAILURE, buf_str(&b));
		goto out;
	}
	/*
	 * Counted before anything is made of it: an array past the limit
	 * costs no more than its parsing, and holds up nothing else.
	 */
	n = json_object_array_length(arr);
	if (n > j->job->max_fan_out) {
		buf_printf(&b, "for_each: `%s` has %zu elements, more than "
		    "max_fan_out (%zu)", j->job->for_each_text != NULL ?
		    j->job->for_each_text : expr_text(j->job->for_each), n,
		    j->job->max_fan_out);
		job_finish(j, RS_FAILURE, buf_str(&b));
		goto out;
	}
	if (n == 0) {
		/* Nothing to do is not a fault: jobs needing it run. */
		j->skipped_by_if = 1;
		buf_printf(&b, "for_each: `%s` is an empty array",
		    j->job->for_each_text != NULL ? j->job->for_each_text :
		    expr_text(j->job->for_each));
		job_finish(j, RS_SKIPPED, buf_str(&b));
		goto out;
	}
	j->state = J_FANNED;
	buf_printf(&b, "for_each: %zu job%s", n, n == 1 ? "" : "s");
	history_job_set(rn->h, j->id, RS_RUNNING, buf_str(&b), NULL);
	run_log(r, LOG_INFO, "/%s: %s", j->name, buf_str(&b));
	j->inst = xcalloc(n, sizeof(*j->inst));
	r->inst = xreallocarray(r->inst, r->ninst + n, sizeof(*r->inst));
	for (i = 0; i < n; i++) {
		/*
		 * A SIGTERM waiting: make no more, so that the worker reads
		 * it at once; runner_stop() interrupts those made.
		 */
		if (i % FAN_OUT_CHECK_EVERY == 0 && exec_stop_pending()) {
			run_log(r, LOG_INFO, "/%s: stopping after %zu of %zu "
			    "instances", j->name, i, n);
			if (i == 0)
				job_finish(j, RS_INTERRUPTED, stopped_reason);
			break;
		}
		in = xcalloc(1, sizeof(*in));
		in->run = r;
		in->job = j->job;
		in->parent = j;
		xasprintf(&in->name_buf, "%s[%zu]", j->name, i);
		in->name = in->name_buf;
		el = json_object_array_get_idx(arr, i);
		in->item = xstrdup(json_object_is_type(el, json_type_string) ?
		    json_object_get_string(el) : json_object_to_json_string_ext(
		    el, JSON_C_TO_STRING_PLAIN));
		in->attempt = 1;
		in->status = RS_QUEUED;
		in->outputs = json_object_new_object();
		in->id = history_job_create(rn->h, r->id, in->name,
		    j->job->needs, j->job->nneeds);
		j->inst[j->ninst++] = in;
		r->inst[r->ninst++] = in;
		q_push(rn, in, 0);
	}
out:
	json_object_put(res);
	json_object_put(parsed);
	buf_release(&b);
}

/*
 * job.env, rendered once its needs have ended, so its templates see
 * their outputs; a fanned-out job's instances take their job's.
 */
static int
job_env_render(struct rjob *j)
{
	struct json_object	*env;
	struct buf		 b = BUF_INIT, why = BUF_INIT;
	char			*err = NULL;
	size_t			 i;

	if (j->job->nenv == 0)
		return 0;
	env = job_env(j);
	for (i = 0; i < j->job->nenv; i++) {
		buf_reset(&b);
		if (template_render(j->job->env[i].value, env, &b, &err) ==
		    -1) {
			buf_printf(&why, "env %s: %s", j->job->env[i].name,
			    err);
			free(err);
			json_object_put(env);
			buf_release(&b);
			job_finish(j, RS_FAILURE, buf_str(&why));
			buf_release(&why);
			return -1;
		}
		env_set(&j->env, j->job->env[i].name, buf_str(&b));
	}
	json_object_put(env);
	buf_release(&b);
	return 0;
}

/* Every need has ended: run the job, or skip it. */
static void
job_decide(struct rjob *j)
{
	struct runner		*rn = j->run->rn;
	const struct rjob	*nj;
	struct json_object	*env, *res = NULL;
	struct buf		 b = BUF_INIT;
	char			*err = NULL;
	size_t			 k;
	int			 truthy;

	if (j->job->if_expr != NULL) {
		env = job_env(j);
		if (expr_eval(j->job->if_expr, env, &res, &err) == -1) {
			buf_printf(&b, "if: %s", err);
			free(err);
			json_object_put(env);
			job_finish(j, RS_FAILURE, buf_str(&b));
			buf_release(&b);
			return;
		}
		truthy = expr_truthy(res);
		json_object_put(res);
		if (!truthy) {
			buf_printf(&b, "if: `%s` was false",
			    expr_text(j->job->if_expr));
			k = b.len;
			buf_addstr(&b, ", ");
			expr_explain(j->job->if_expr, env, &b);
			if (b.len == k + 2)
				b.len = k;
			b.data[b.len] = '\0';
			j->skipped_by_if = 1;
			json_object_put(env);
			job_finish(j, RS_SKIPPED, buf_str(&b));
			buf_release(&b);
			return;
		}
		json_object_put(env);
	} else {
		/*
		 * A need skipped by its own `if` is satisfied; one that
		 * failed, timed out, was cancelled or interrupted, or was
		 * skipped because of such a job, is not.
		 */
		for (k = 0; k < j->job->nneeds; k++) {
			nj = &j->run->jobs[j->job->need_idx[k]];
			if (is_final(nj, RS_SUCCESS) ||
			    (is_final(nj, RS_SKIPPED) && nj->skipped_by_if))
				continue;
			buf_printf(&b, "needs %s: %s", nj->job->name,
			    status_name(nj->status));
			job_finish(j, RS_SKIPPED, buf_str(&b));
			buf_release(&b);
			return;
		}
	}
	if (job_env_render(j) == -1)
		return;
	if (j->job->for_each != NULL)
		job_fan_out(j);
	else
		q_push(rn, j, 0);
}

/* In topological order, so one pass decides every job that can be. */
static void
run_schedule(struct run *r)
{
	const struct pipeline	*pl = r->pl;
	struct rjob		*j;
	size_t			 i, k;
	int			 ready;

	if (r->rn->stopping || r->timed_out || r->cancelled)
		return;
	for (i = 0; i < pl->njobs; i++) {
		j = &r->jobs[pl->order[i]];
		if (j->state != J_WAITING)
			continue;
		ready = 1;
		for (k = 0; k < j->job->nneeds && ready; k++)
			if (r->jobs[j->job->need_idx[k]].state != J_DONE)
				ready = 0;
		if (ready)
			job_decide(j);
	}
}

static enum run_status
run_status(const struct run *r, const char **reason)
{
	const struct rjob	*j, *bad = NULL;
	size_t			 i;
	int			 interrupted = 0;

	for (i = 0; i < r->pl->njobs; i++) {
		j = &r->jobs[r->pl->order[i]];
		if (is_final(j, RS_INTERRUPTED))
			interrupted = 1;
		else if (bad == NULL && (is_final(j, RS_FAILURE) ||
		    is_final(j, RS_TIMED_OUT) || is_final(j, RS_CANCELLED)))
			bad = j;
	}
	*reason = NULL;
	if (interrupted) {
		*reason = stopped_reason;
		return RS_INTERRUPTED;
	}
	if (r->cancelled)
		return RS_CANCELLED;
	if (r->timed_out)
		return RS_TIMED_OUT;
	if (bad != NULL)
		return RS_FAILURE;
	return RS_SUCCESS;
}

/*
 * Decide what can be decided; end the run when nothing is left to wait
 * for. The run may be freed: the caller must not use it afterwards.
 */
void
run_advance(struct run *r)
{
	struct runner	*rn = r->rn;
	struct rjob	*j;
	struct buf	 b = BUF_INIT;
	enum run_status	 status;
	const char	*reason;
	char		 d[32];
	size_t		 i;

	run_schedule(r);
	if (r->ndone < r->pl->njobs) {
		for (i = 0; i < run_njobs(r); i++)
			if (run_job(r, i)->state != J_WAITING &&
			    run_job(r, i)->state != J_DONE)
				return;
		/* Stopped, cancelled or timed out: what waits never runs. */
		for (i = 0; i < r->pl->njobs; i++) {
			j = &r->jobs[r->pl->order[i]];
			if (j->state != J_WAITING)
				continue;
			if (rn->stopping)
				job_finish(j, RS_INTERRUPTED, stopped_reason);
			else if (r->cancelled)
				job_finish(j, RS_CANCELLED, cancelled_reason);
			else {
				fmt_duration(d, sizeof(d), r->pl->timeout_ms);
				buf_reset(&b);
				buf_printf(&b, "pipeline timeout %s", d);
				job_finish(j, RS_CANCELLED, buf_str(&b));
			}
		}
	}
	status = run_status(r, &reason);
	buf_reset(&b);
	if (status == RS_CANCELLED) {
		/* A newer run of its group recorded itself as the reason. */
		reason = r->pl->concurrency.group != NULL &&
		    r->pl->concurrency.mode == CONCURRENCY_CANCEL_IN_PROGRESS ?
		    NULL : "cancelled by `hookdir cancel`";
	} else if (status == RS_TIMED_OUT) {
		fmt_duration(d, sizeof(d), r->pl->timeout_ms);
		buf_printf(&b, "pipeline timeout %s", d);
		reason = buf_str(&b);
	} else if (status == RS_FAILURE) {
		for (i = 0; i < r->pl->njobs; i++) {
			j = &r->jobs[r->pl->order[i]];
			if (!is_final(j, RS_SUCCESS) &&
			    !is_final(j, RS_SKIPPED)) {
				buf_printf(&b, "job %s: %s", j->job->name,
				    status_name(j->status));
				break;
			}
		}
		reason = buf_str(&b);
	}
	run_end(r, status, reason);
	buf_release(&b);
}

/* ---------------------------------------------------------------- jobs */

void
job_finish(struct rjob *j, enum run_status status, const char *reason)
{
	struct run	*r = j->run;
	const char	*out;

	if (j->state == J_QUEUED)
		q_remove(r->rn, j);
	j->state = J_DONE;
	j->status = status;
	out = json_object_to_json_string_ext(j->outputs,
	    JSON_C_TO_STRING_PLAIN);
	history_job_set(r->rn->h, j->id, status, reason, out);
	run_log(r, LOG_INFO, "/%s: %s%s%s", j->name, status_name(status),
	    reason != NULL ? ": " : "", reason != NULL ? reason : "");
	if (j->parent != NULL)
		job_instance_done(j->parent);
	else
		r->ndone++;
}

/*
 * An instance of a fanned-out job ended. When all have, the job ends:
 * interrupted or cancelled if one was, failed if one failed, timed
 * out or was cancelled, else a success; its outputs are theirs merged,
 * a later index winning.
 */
static void
job_instance_done(struct rjob *j)
{
	const struct rjob	*in, *bad = NULL;
	enum run_status		 status = RS_SUCCESS;
	struct buf		 b = BUF_INIT;
	size_t			 i;

	if (++j->ninst_done < j->ninst)
		return;
	for (i = 0; i < j->ninst; i++) {
		in = j->inst[i];
		json_object_object_foreach(in->outputs, key, val)
			json_object_object_add(j->outputs, key,
			    json_object_get(val));
		if (is_final(in, RS_INTERRUPTED))
			status = RS_INTERRUPTED;
		else if (is_final(in, RS_CANCELLED) &&
		    status != RS_INTERRUPTED)
			status = RS_CANCELLED;
		if (bad == NULL && !is_final(in, RS_SUCCESS) &&
		    !is_final(in, RS_SKIPPED))
			bad = in;
	}
	if (bad != NULL) {
		if (status == RS_SUCCESS)
			status = RS_FAILURE;
		buf_printf(&b, "%s: %s", bad->name,
		    status_name(bad->status));
	}
	job_finish(j, status, bad != NULL ? buf_str(&b) : NULL);
	buf_release(&b);
}

/* Start steps while the -j cap allows. */
void
dispatch(struct runner *rn)
{
	struct rjob	*j;

	/* step_start() may end runs, whose callbacks may come back here. */
	if (rn->in_dispatch)
		return;
	rn->in_dispatch = 1;
	/* A SIGTERM not yet read: what starts now would only be stopped. */
	while (!rn->stopping && rn->nq > 0 && rn->running < rn->max_steps &&
	    !exec_stop_pending()) {
		j = rn->q[0];
		q_remove(rn, j);
		step_start(j);
	}
	rn->in_dispatch = 0;
}

/*
 * An event taken over from a dead worker: end the process groups its
 * steps left running before anything of its runs starts again, and
 * before its runs are recorded as ended, which would let another run
 * of their concurrency groups start.
 */
int
runner_recover(struct runner *rn, const char *event_id)
{
	struct history_proc	*v;
	struct exec_ident	 was;
	size_t			 i, n;
	int			 r = 0;

	if (history_event_procs(rn->h, event_id, &v, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		was.start = v[i].start;
		snprintf(was.boot, sizeof(was.boot), "%s", v[i].boot);
		if (v[i].pgid <= 1 || v[i].pgid > INT_MAX)
			continue;
		if (exec_end_group((pid_t)v[i].pgid, &was, rn->grace_ms) ==
		    -1)
			r = -1;
	}
	free(v);
	return r;
}

/* ---------------------------------------------------------------- time */

void
runner_stop(struct runner *rn, long long grace_ms)
{
	long long	 at = monotonic_ms() + grace_ms;
	size_t		 i, k;

	if (!rn->stopping) {
		rn->stopping = 1;
		rn->stop_at_ms = at;
	} else if (!rn->stop_sent && at < rn->stop_at_ms)
		rn->stop_at_ms = at;
	/* Jobs waiting for a slot or an attempt never get one now. */
	while (rn->nq > 0)
		job_finish(rn->q[0], RS_INTERRUPTED, stopped_reason);
	for (i = 0; i < rn->nruns; i++)
		for (k = 0; k < run_njobs(rn->runs[i]); k++)
			if (run_job(rn->runs[i], k)->state == J_RETRY)
				job_finish(run_job(rn->runs[i], k),
				    RS_INTERRUPTED, stopped_reason);
	for (i = rn->nruns; i-- > 0; ) {
		if (i >= rn->nruns)
			continue;
		if (rn->runs[i]->group_wait)
			run_end(rn->runs[i], RS_INTERRUPTED, stopped_reason);
		else
			run_advance(rn->runs[i]);
	}
	runner_tick(rn);
}

/*
 * Cancel (`hookdir cancel`, a newer run of a cancel_in_progress group):
 * what waits never runs, running steps get SIGTERM now (SIGKILL after
 * the grace period), and the run ends `cancelled`.
 */
static void
run_cancel(struct run *r)
{
	struct runner	*rn = r->rn;
	struct rjob	*j;
	size_t		 k;

	if (r->cancelled)
		return;
	r->cancelled = 1;
	run_log(r, LOG_WARNING, ": cancelled");
	if (r->group_wait) {
		run_end(r, RS_CANCELLED, r->pl->concurrency.mode ==
		    CONCURRENCY_CANCEL_IN_PROGRESS ? NULL :
		    "cancelled by `hookdir cancel`");
		return;
	}
	for (k = 0; k < run_njobs(r); k++) {
		j = run_job(r, k);
		if (j->state == J_QUEUED || j->state == J_RETRY)
			job_finish(j, RS_CANCELLED, cancelled_reason);
		else if (j->state == J_RUNNING && !j->cancelled) {
			j->cancelled = 1;
			exec_stop(rn->ex, j->pid, rn->grace_ms);
		}
	}
	run_advance(r);
}

/*
 * Once a second, what other processes decided: cancel flags on this
 * worker's runs, and whether runs waiting for a concurrency group may
 * start (or were superseded, skipped, cancelled meanwhile).
 */
static void
runner_poll(struct runner *rn, long long now)
{
	struct run	*r;
	size_t		 i;

	for (i = rn->nruns; i-- > 0; ) {
		if (i >= rn->nruns)
			continue;
		r = rn->runs[i];
		if (!r->cancelled &&
		    history_run_cancel_requested(rn->h, r->id) == 1)
			run_cancel(r);
	}
	group_poll(rn, now);
}

void
runner_tick(struct runner *rn)
{
	struct run	*r;
	struct rjob	*j;
	struct buf	 b = BUF_INIT;
	long long	 now = monotonic_ms();
	size_t		 i, k;
	int		 changed;
	char		 d[32];

	if (rn->stopping && !rn->stop_sent && now >= rn->stop_at_ms) {
		rn->stop_sent = 1;
		for (i = 0; i < rn->nruns; i++)
			for (k = 0; k < run_njobs(rn->runs[i]); k++) {
				j = run_job(rn->runs[i], k);
				if (j->state != J_RUNNING)
					continue;
				j->stopped = 1;
				exec_stop(rn->ex, j->pid, rn->grace_ms);
			}
	}
	for (i = rn->nruns; i-- > 0; ) {
		if (i >= rn->nruns)
			continue;
		r = rn->runs[i];
		changed = 0;
		if (r->deadline_ms != 0 && now >= r->deadline_ms &&
		    !r->timed_out) {
			/* Running steps have the same deadline in exec. */
			r->timed_out = 1;
			changed = 1;
			fmt_duration(d, sizeof(d), r->pl->timeout_ms);
			buf_reset(&b);
			buf_printf(&b, "pipeline timeout %s", d);
			for (k = 0; k < run_njobs(r); k++) {
				j = run_job(r, k);
				if (j->state == J_QUEUED ||
				    j->state == J_RETRY)
					job_finish(j, j->started ? RS_TIMED_OUT :
					    RS_CANCELLED, buf_str(&b));
			}
		}
		for (k = 0; k < run_njobs(r); k++) {
			j = run_job(r, k);
			if ((j->state == J_QUEUED || j->state == J_RETRY) &&
			    j->deadline_ms != 0 && now >= j->deadline_ms) {
				fmt_duration(d, sizeof(d), j->job->timeout_ms);
				buf_reset(&b);
				buf_printf(&b, "job timeout %s", d);
				job_finish(j, RS_TIMED_OUT, buf_str(&b));
				changed = 1;
			} else if (j->state == J_RETRY &&
			    now >= j->retry_at_ms) {
				/* Ahead of jobs not started. */
				q_push(rn, j, 1);
			}
		}
		if (changed)
			run_advance(r);
	}
	buf_release(&b);
	if (rn->nruns > 0 && now >= rn->next_poll_ms) {
		rn->next_poll_ms = now + POLL_EVERY_MS;
		runner_poll(rn, now);
	}
	dispatch(rn);
}

long long
runner_next_wake(const struct runner *rn)
{
	const struct run	*r;
	long long		 t = 0;
	size_t			 i, k;

	if (rn->stopping && !rn->stop_sent)
		t = rn->stop_at_ms;
	for (i = 0; i < rn->nruns; i++) {
		r = rn->runs[i];
		if (r->deadline_ms != 0 && !r->timed_out &&
		    (t == 0 || r->deadline_ms < t))
			t = r->deadline_ms;
		for (k = 0; k < run_njobs(r); k++)
			if (run_job(r, k)->state == J_RETRY &&
			    (t == 0 || run_job(r, k)->retry_at_ms < t))
				t = run_job(r, k)->retry_at_ms;
	}
	/* Cancel flags and concurrency groups: polled while runs go on. */
	if (rn->nruns > 0 && (t == 0 || rn->next_poll_ms < t))
		t = rn->next_poll_ms > 0 ? rn->next_poll_ms : monotonic_ms();
	for (k = 0; k < rn->nq; k++)
		if (rn->q[k]->deadline_ms != 0 &&
		    (t == 0 || rn->q[k]->deadline_ms < t))
			t = rn->q[k]->deadline_ms;
	return t;
}
