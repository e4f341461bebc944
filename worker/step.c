/*
 * A job's steps (see run.h): their environment, starting one, what it
 * ended as, its outputs, and another attempt or the next step.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "buf.h"
#include "config.h"
#include "event.h"
#include "exec.h"
#include "history.h"
#include "log.h"
#include "pipeline.h"
#include "run.h"
#include "run-int.h"
#include "status.h"
#include "util.h"
#include "xmalloc.h"

#define RETRY_BACKOFF_MS 1000		/* when retry.backoff is not given */

/* ---------------------------------------------------------------- env */

void
env_put(struct envv *e, char *entry)
{
	size_t	 i, nlen;

	nlen = strcspn(entry, "=");
	for (i = 0; i < e->n; i++)
		if (strncmp(e->v[i], entry, nlen) == 0 &&
		    e->v[i][nlen] == '=') {
			free(e->v[i]);
			e->v[i] = entry;
			return;
		}
	/* Room doubled: a step's start puts some forty entries. */
	if (e->n + 2 > e->cap) {
		e->cap = e->cap < 16 ? 32 : e->cap * 2;
		e->v = xreallocarray(e->v, e->cap, sizeof(*e->v));
	}
	e->v[e->n++] = entry;
	e->v[e->n] = NULL;
}

void
env_set(struct envv *e, const char *name, const char *value)
{
	size_t	 nlen, vlen;
	char	*s;

	/* Joined by hand: a step's start sets some twenty of them. */
	if (value == NULL)
		value = "";
	nlen = strlen(name);
	vlen = strlen(value);
	s = xmalloc(nlen + vlen + 2);
	memcpy(s, name, nlen);
	s[nlen] = '=';
	memcpy(s + nlen + 1, value, vlen + 1);
	env_put(e, s);
}

void
env_release(struct envv *e)
{
	size_t	i;

	/* Secrets were among them. */
	for (i = 0; i < e->n; i++) {
		explicit_bzero(e->v[i], strlen(e->v[i]));
		free(e->v[i]);
	}
	free(e->v);
	e->v = NULL;
	e->n = e->cap = 0;
}

/* ---------------------------------------------------------------- steps */

int
run_output_key_valid(const char *k, size_t n)
{
	size_t	i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') ||
		    (k[i] >= 'A' && k[i] <= 'Z') ||
		    (k[i] >= '0' && k[i] <= '9') || k[i] == '_' ||
		    k[i] == '-'))
			return 0;
	return 1;
}

static void
output_set(struct rjob *j, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	struct buf	 b = BUF_INIT;
	char		*k;

	/* Outputs reach the history and other jobs: masked as logs are. */
	if (j->run->nsecrets > 0) {
		exec_mask((const char *const *)j->run->secrets, val, vlen, &b);
		val = buf_str(&b);
		vlen = b.len;
	}
	k = xstrndup(key, klen);
	json_object_object_add(j->outputs, k,
	    json_object_new_string_len(val, (int)vlen));
	free(k);
	buf_release(&b);
}

int
run_output_format(const char *key, const char *val, size_t vlen,
    struct buf *out)
{
	unsigned char	rnd[16];
	char		delim[8 + 2 * sizeof(rnd) + 1];

	if (memchr(val, '\0', vlen) != NULL)
		return -1;
	if (sodium_init() == -1)
		fatalx("libsodium could not be initialized");
	/* 128 random bits: a value holding them is taken only by luck. */
	do {
		randombytes_buf(rnd, sizeof(rnd));
		memcpy(delim, "HOOKDIR_", 8);
		sodium_bin2hex(delim + 8, sizeof(delim) - 8, rnd, sizeof(rnd));
	} while (memmem(val, vlen, delim, strlen(delim)) != NULL);
	buf_printf(out, "%s<<%s\n", key, delim);
	buf_add(out, val, vlen);
	buf_printf(out, "\n%s\n", delim);
	return 0;
}

/*
 * $HOOKDIR_OUTPUT: `key=value` lines and `key<<DELIM` ... `DELIM`
 * blocks, as GitHub's GITHUB_OUTPUT; a later key wins. `hookdir
 * output` writes the second form with a delimiter no value holds.
 */
/* 0: the step wrote no output file; 1: it did (read, or not readable). */
static int
outputs_read(struct rjob *j, const char *step)
{
	struct buf	 b = BUF_INIT;
	const char	*p, *end, *line, *eq, *hd, *nl, *delim, *vstart, *l2;
	size_t		 llen, dlen, l2len;
	int		 lineno = 0, found;

	if (read_file(j->output_path, &b, RUN_OUTPUT_MAX) == -1) {
		if (errno == ENOENT) {
			buf_release(&b);
			return 0;
		}
		run_log(j->run, LOG_WARNING, "/%s/%s: %s: %s", j->name, step,
		    j->output_path, strerror(errno));
		buf_release(&b);
		return 1;
	}
	p = b.data;
	end = b.data + b.len;
	while (p < end) {
		line = p;
		nl = memchr(p, '\n', (size_t)(end - p));
		llen = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		p = nl != NULL ? nl + 1 : end;
		lineno++;
		if (llen == 0)
			continue;
		eq = memchr(line, '=', llen);
		hd = memmem(line, llen, "<<", 2);
		if (eq != NULL && (hd == NULL || eq < hd)) {
			if (!run_output_key_valid(line, (size_t)(eq - line)))
				goto bad;
			output_set(j, line, (size_t)(eq - line), eq + 1,
			    llen - (size_t)(eq - line) - 1);
			continue;
		}
		if (hd == NULL || !run_output_key_valid(line, (size_t)(hd - line)))
			goto bad;
		delim = hd + 2;
		dlen = llen - (size_t)(delim - line);
		if (dlen == 0)
			goto bad;
		vstart = p;
		found = 0;
		while (p < end) {
			l2 = p;
			nl = memchr(p, '\n', (size_t)(end - p));
			l2len = nl != NULL ? (size_t)(nl - p) :
			    (size_t)(end - p);
			p = nl != NULL ? nl + 1 : end;
			if (l2len == dlen && memcmp(l2, delim, dlen) == 0) {
				/* The value ends before the last newline. */
				output_set(j, line, (size_t)(hd - line),
				    vstart, l2 > vstart ?
				    (size_t)(l2 - vstart) - 1 : 0);
				found = 1;
				break;
			}
		}
		if (!found) {
			run_log(j->run, LOG_WARNING, "/%s/%s: output line "
			    "%d: no closing `%.*s`", j->name, step, lineno,
			    (int)dlen, delim);
			break;
		}
		continue;
bad:
		run_log(j->run, LOG_WARNING, "/%s/%s: output line %d: "
		    "neither key=value nor key<<DELIMITER", j->name, step,
		    lineno);
	}
	buf_release(&b);
	return 1;
}

/* What a step ended as, and why. */
static enum run_status
step_outcome(struct rjob *j, const struct step *s,
    const struct exec_result *res, struct buf *why)
{
	struct run	*r = j->run;
	char		 d[32];

	/* Its gate stayed shut: the shell ran nothing (exit status 126). */
	if (j->unrun != NULL) {
		buf_addstr(why, j->unrun);
		free(j->unrun);
		j->unrun = NULL;
		return RS_FAILURE;
	}
	if (j->stopped) {
		buf_addstr(why, stopped_reason);
		return RS_INTERRUPTED;
	}
	if (j->cancelled) {
		buf_addstr(why, cancelled_reason);
		return RS_CANCELLED;
	}
	if (res->timed_out) {
		switch (j->dl_kind) {
		case DL_STEP:
			fmt_duration(d, sizeof(d), s->timeout_ms);
			buf_printf(why, "step timeout %s", d);
			break;
		case DL_JOB:
			fmt_duration(d, sizeof(d), j->job->timeout_ms);
			buf_printf(why, "job timeout %s", d);
			break;
		default:
			fmt_duration(d, sizeof(d), r->pl->timeout_ms);
			buf_printf(why, "pipeline timeout %s", d);
			r->timed_out = 1;
			break;
		}
		return RS_TIMED_OUT;
	}
	if (res->exit_code == 0)
		return RS_SUCCESS;
	if (res->exit_code > 0)
		buf_printf(why, "exit status %d", res->exit_code);
	else
		buf_printf(why, "killed by signal %d (%s)", res->signal,
		    strsignal(res->signal));
	return RS_FAILURE;
}

/*
 * Before attempt n + 1: backoff doubled n - 1 times, capped, then drawn
 * from its upper half ("equal jitter"), so that steps failing together
 * do not all try again together.
 */
static long long
retry_delay(const struct step_retry *rt, int n)
{
	long long	d = rt->backoff_ms > 0 ? rt->backoff_ms :
			    RETRY_BACKOFF_MS;
	int		i;

	for (i = 1; i < n && (rt->max_backoff_ms == 0 ||
	    d < rt->max_backoff_ms) && d < (1LL << 40); i++)
		d *= 2;
	if (rt->max_backoff_ms > 0 && d > rt->max_backoff_ms)
		d = rt->max_backoff_ms;
	if (d / 2 > 0 && d / 2 < UINT32_MAX)
		return d - d / 2 + randombytes_uniform((uint32_t)(d / 2 + 1));
	return d;
}

/* A step ended as status: go on with the job, or end it. */
static void
step_next(struct rjob *j, const struct step *s, enum run_status status,
    const char *why)
{
	struct runner	*rn = j->run->rn;
	struct buf	 b = BUF_INIT;
	long long	 delay;
	int		 go_on;

	if (status == RS_INTERRUPTED) {
		job_finish(j, RS_INTERRUPTED, stopped_reason);
		return;
	}
	if (status == RS_CANCELLED || j->run->cancelled) {
		job_finish(j, RS_CANCELLED, cancelled_reason);
		return;
	}
	/* A failure or a step timeout: another attempt, if there are any. */
	if (j->attempt < s->retry.attempts && !rn->stopping &&
	    (status == RS_FAILURE || (status == RS_TIMED_OUT &&
	    j->dl_kind == DL_STEP))) {
		delay = retry_delay(&s->retry, j->attempt);
		j->attempt++;
		j->state = J_RETRY;
		j->retry_at_ms = monotonic_ms() + delay;
		run_log(j->run, LOG_INFO, "/%s/%s: attempt %d of %d in %lldms",
		    j->name, s->name, j->attempt, s->retry.attempts, delay);
		return;
	}
	go_on = status == RS_SUCCESS || (s->continue_on_error &&
	    (status == RS_FAILURE || j->dl_kind == DL_STEP));
	if (!go_on) {
		buf_printf(&b, "step %s: %s", s->name, why);
		job_finish(j, status, buf_str(&b));
		buf_release(&b);
		return;
	}
	j->next_step++;
	j->attempt = 1;
	if (j->next_step == j->job->nsteps)
		job_finish(j, RS_SUCCESS, NULL);
	else if (rn->stopping)
		job_finish(j, RS_INTERRUPTED, stopped_reason);
	else {
		/* Ahead of jobs not started: a started job holds on. */
		q_push(rn, j, 1);
	}
}

static void
step_done(void *arg, const struct exec_result *res)
{
	struct rjob		*j = arg;
	struct run		*r = j->run;
	struct runner		*rn = r->rn;
	const struct step	*s = &j->job->steps[j->next_step];
	struct buf		 why = BUF_INIT;
	enum run_status		 status;
	int			 began, ran = j->unrun == NULL;

	/* One transaction for what the step's end records. */
	began = history_txn_begin(rn->h);
	rn->running--;
	j->pid = 0;
	j->state = J_BETWEEN;
	status = step_outcome(j, s, res, &why);
	/* The history has them, masked: leave no raw value behind. */
	if (ran && outputs_read(j, s->name) && unlink(j->output_path) == -1 &&
	    errno != ENOENT)
		run_log(r, LOG_WARNING, "/%s/%s: %s: %s", j->name, s->name,
		    j->output_path, strerror(errno));
	history_step_set(rn->h, j->step_id, status, res->exit_code,
	    res->signal, why.len > 0 ? buf_str(&why) : NULL);
	run_log(r, LOG_INFO, "/%s/%s: %s%s%s", j->name, s->name,
	    status_name(status),
	    why.len > 0 ? ": " : "", buf_str(&why));
	free(j->output_path);
	j->output_path = NULL;
	j->stopped = 0;
	j->cancelled = 0;
	step_next(j, s, status, buf_str(&why));
	buf_release(&why);
	run_advance(r);
	dispatch(rn);
	history_txn_end(rn->h, began);
}

/*
 * inputs.NAME of a manual or dispatched run as HOOKDIR_INPUT_NAME
 * (upper-cased; the loader refuses two names that collide): in the
 * environment, never in the command text.
 */
static void
step_env_inputs(const struct event *ev, struct envv *e)
{
	struct json_object	*inputs;
	struct buf		 name = BUF_INIT;
	const char		*k;

	if ((inputs = event_inputs(ev)) == NULL ||
	    !json_object_is_type(inputs, json_type_object))
		return;
	json_object_object_foreach(inputs, key, val) {
		buf_reset(&name);
		buf_addstr(&name, "HOOKDIR_INPUT_");
		for (k = key; *k != '\0'; k++)
			buf_addch(&name, toupper((unsigned char)*k));
		env_set(e, buf_str(&name), json_object_get_string(val));
	}
	buf_release(&name);
}

static char **
step_env(struct rjob *j, const struct step *s, struct envv *e)
{
	struct run		*r = j->run;
	const struct event	*ev = r->ev;
	const struct envv	*je;
	struct buf		 names = BUF_INIT;
	char			 id[32];
	size_t			 i;

	for (i = 0; i < r->rn->base.n; i++)
		env_put(e, xstrdup(r->rn->base.v[i]));
	snprintf(id, sizeof(id), "%lld", r->id);
	env_set(e, "HOOKDIR_RUN_ID", id);
	env_set(e, "HOOKDIR_PIPELINE", r->pl->name);
	env_set(e, "HOOKDIR_JOB", j->name);
	if (j->item != NULL)
		env_set(e, "HOOKDIR_ITEM", j->item);
	snprintf(id, sizeof(id), "%d", ev->chain_depth);
	env_set(e, "HOOKDIR_CHAIN_DEPTH", id);
	env_set(e, "HOOKDIR_STEP", s->name);
	env_set(e, "HOOKDIR_EVENT_ID", ev->id);
	env_set(e, "HOOKDIR_SOURCE", ev->source);
	env_set(e, "HOOKDIR_PROVIDER", ev->provider);
	env_set(e, "HOOKDIR_EVENT", ev->type);
	env_set(e, "HOOKDIR_DELIVERY", ev->delivery);
	env_set(e, "HOOKDIR_MESSAGE", ev->path);
	env_set(e, "HOOKDIR_BODY", r->body_path);
	env_set(e, "HOOKDIR_OUTPUT", j->output_path);
	env_set(e, "HOOKDIR_WORKSPACE", r->work);
	/*
	 * The names (never the values) of the secrets, so that what a
	 * step hands `hookdir emit` is masked before it is spooled.
	 */
	for (i = 0; i < r->pl->nsecrets; i++) {
		if (i > 0)
			buf_addch(&names, ' ');
		buf_addstr(&names, r->pl->secrets[i]);
	}
	env_set(e, "HOOKDIR_SECRETS", buf_str(&names));
	buf_release(&names);
	step_env_inputs(ev, e);
	for (i = 0; i < r->env.n; i++)
		env_put(e, xstrdup(r->env.v[i]));
	je = j->parent != NULL ? &j->parent->env : &j->env;
	for (i = 0; i < je->n; i++)
		env_put(e, xstrdup(je->v[i]));
	return e->v;
}

/*
 * Past the pipeline's or the job's deadline before the step starts: the
 * job ends (timed out, or cancelled when it never started). 1 if so.
 */
static int
step_too_late(struct rjob *j, long long now)
{
	struct run	*r = j->run;
	struct buf	 b = BUF_INIT;
	char		 d[32];

	if (r->deadline_ms != 0 && now >= r->deadline_ms) {
		r->timed_out = 1;
		fmt_duration(d, sizeof(d), r->pl->timeout_ms);
		buf_printf(&b, "pipeline timeout %s", d);
		job_finish(j, j->started ? RS_TIMED_OUT : RS_CANCELLED,
		    buf_str(&b));
	} else if (j->deadline_ms != 0 && now >= j->deadline_ms) {
		fmt_duration(d, sizeof(d), j->job->timeout_ms);
		buf_printf(&b, "job timeout %s", d);
		job_finish(j, RS_TIMED_OUT, buf_str(&b));
	} else
		return 0;
	buf_release(&b);
	run_advance(r);
	return 1;
}

/*
 * Each attempt has its own log (and its own row in the history, see
 * step_record()). The log and its directories are created when the
 * step first writes (exec_log_open()). Returns the log's path
 * (malloc'd).
 */
static char *
step_log(struct rjob *j, const struct step *s)
{
	struct run	*r = j->run;
	char		*log;
	int		 fd;

	if (j->attempt > 1)
		xasprintf(&log, "%s/%s/%s.attempt%d.log", r->logs, j->name,
		    s->name, j->attempt);
	else
		xasprintf(&log, "%s/%s/%s.log", r->logs, j->name, s->name);
	/*
	 * Created by the step's first output (hookdir output, or the
	 * step's own >>): a step without outputs leaves no file. An
	 * earlier attempt's is removed when that attempt ends.
	 */
	free(j->output_path);
	xasprintf(&j->output_path, "%s/" RUN_PRIVATE "output-%s-%s", r->work,
	    j->name, s->name);
	if (s->retry.attempts > 1 && (fd = exec_log_open(log)) != -1) {
		dprintf(fd, "hookdir: attempt %d of %d\n", j->attempt,
		    s->retry.attempts);
		close(fd);
	}
	return log;
}

/* The nearest of the step's, the job's and the pipeline's limits; 0: none. */
static long long
step_deadline(struct rjob *j, const struct step *s, long long now)
{
	struct run	*r = j->run;
	long long	 dl = 0;

	j->dl_kind = DL_NONE;
	if (s->timeout_ms > 0) {
		dl = now + s->timeout_ms;
		j->dl_kind = DL_STEP;
	}
	if (j->deadline_ms != 0 && (dl == 0 || j->deadline_ms < dl)) {
		dl = j->deadline_ms;
		j->dl_kind = DL_JOB;
	}
	if (r->deadline_ms != 0 && (dl == 0 || r->deadline_ms < dl)) {
		dl = r->deadline_ms;
		j->dl_kind = DL_PIPELINE;
	}
	return dl;
}

/*
 * The attempt's row, written whole once its shell is spawned (pid), or
 * could not be (-1, err): running, with the process group and its
 * leader's identity, for the worker that recovers the event should
 * this one die (runner_recover()); or failed, with why. The shell waits
 * at its gate until this is committed (the worker opens the gates
 * before it next waits): a step this worker dies before recording runs
 * nothing. One that cannot be recorded is not run either; the shell
 * cannot have been reaped yet.
 */
static void
step_record(struct rjob *j, const struct step *s, const char *log,
    pid_t pid, const char *err)
{
	struct run		*r = j->run;
	struct runner		*rn = r->rn;
	struct exec_ident	 ident = EXEC_IDENT_INIT;
	struct history_step	 hs;
	int			 shut = 0;

	memset(&hs, 0, sizeof(hs));
	hs.run = r->id;
	hs.job = j->id;
	hs.index = (int)j->next_step + 1;
	hs.attempt = j->attempt;
	hs.name = s->name;
	hs.log_path = log;
	hs.status = pid == -1 ? RS_FAILURE : RS_RUNNING;
	hs.reason = err;
	hs.start = -1;
	if (pid != -1 && exec_ident(pid, &ident) == -1) {
		run_log(r, LOG_WARNING, "/%s/%s: pid %ld: %s, not run",
		    j->name, s->name, (long)pid, strerror(errno));
		exec_shut_gate(rn->ex, pid);
		shut = 1;
	} else if (pid != -1) {
		hs.pgid = pid;
		hs.start = ident.start;
		hs.boot = ident.boot;
	}
	j->step_id = history_step_create(rn->h, &hs);
	if (j->step_id == -1 && pid != -1 && !shut) {
		run_log(r, LOG_WARNING, "/%s/%s: its process group is not "
		    "recorded, not run", j->name, s->name);
		exec_shut_gate(rn->ex, pid);
	}
}

/* Start the job's next step (a slot is free). */
void
step_start(struct rjob *j)
{
	struct run		*r = j->run;
	struct runner		*rn = r->rn;
	const struct step	*s = &j->job->steps[j->next_step];
	struct exec_spec	 spec;
	struct envv		 env = { NULL, 0, 0 };
	long long		 now = monotonic_ms();
	char			*log, *err = NULL;
	pid_t			 pid;
	int			 began;

	/* One transaction for what the step's start records. */
	began = history_txn_begin(rn->h);
	j->state = J_BETWEEN;
	if (step_too_late(j, now)) {
		history_txn_end(rn->h, began);
		return;
	}
	if (!j->started) {
		j->started = 1;
		history_job_set(rn->h, j->id, RS_RUNNING, NULL, NULL);
		if (j->job->timeout_ms > 0)
			j->deadline_ms = now + j->job->timeout_ms;
	}
	log = step_log(j, s);

	memset(&spec, 0, sizeof(spec));
	spec.run = s->run;
	/* Its shell enters the workspace once its gate opens. */
	spec.dir = "/";
	spec.enter = "HOOKDIR_WORKSPACE";
	spec.envp = step_env(j, s, &env);
	spec.log_path = log;
	spec.deadline_ms = step_deadline(j, s, now);
	spec.grace_ms = rn->grace_ms;
	spec.mask = (const char *const *)r->secrets;
	pid = exec_start(rn->ex, &spec, step_done, j, &err);
	env_release(&env);
	step_record(j, s, log, pid, err);
	free(log);
	if (pid == -1) {
		run_log(r, LOG_WARNING, "/%s/%s: %s", j->name, s->name, err);
		step_next(j, s, RS_FAILURE, err);
		free(err);
		run_advance(r);
		history_txn_end(rn->h, began);
		return;
	}
	log_debug("run %lld %s/%s/%s: started, pid %ld", r->id, r->pl->name,
	    j->name, s->name, (long)pid);
	/* Made while the shell starts: off the way from one step to the next. */
	if (run_workspace_make(r, &j->unrun) == -1) {
		run_log(r, LOG_WARNING, "/%s/%s: %s, not run", j->name,
		    s->name, j->unrun);
		exec_shut_gate(rn->ex, pid);
	}
	j->pid = pid;
	j->state = J_RUNNING;
	rn->running++;
	history_txn_end(rn->h, began);
}
