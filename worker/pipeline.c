/*
 * Pipelines: loading and validation (see pipeline.h and
 * hookdir-pipeline(5)).
 *
 * As with hookdir.conf, loading goes on after an error so that
 * `hookdir check` lists every problem of every file at once, each with
 * file:line and the key it is about; an expression's error points at
 * the very character, file:line:col.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "buf.h"
#include "config.h"
#include "expr.h"
#include "jconf.h"
#include "jsonpath.h"
#include "pipeline.h"
#include "status.h"
#include "trigger.h"
#include "util.h"
#include "xmalloc.h"

#define PIPELINE_MAX_SIZE	(4 * 1024 * 1024)

/* What the loader carries while it walks one file. */
struct ploader {
	struct diag	*d;
	const char	*file;
	const char	*text;		/* the file's bytes, to map positions */
	size_t		 len;
	struct pipeline	*p;
};

/* Retry limits: enough for flaky networks, not a way to spin forever. */
#define RETRY_ATTEMPTS_MAX	100
#define RETRY_BACKOFF_DEFAULT	1000		/* ms */
#define RETRY_MAX_BACKOFF_DEFAULT (5 * 60 * 1000)

/* An error at key of parent, named by path (see jconf_report()). */
#define perr(l, parent, key, path, ...) \
	jconf_report((l)->d, DIAG_ERROR, (l)->file, (parent), (key), (path), \
	    __VA_ARGS__)

/*
 * Where the character at (eline, ecol) of the decoded string v stands in
 * the file: strings may hold escapes (\" \n \u00e9), so the offset is
 * found by walking the string as written. Falls back to the string's
 * own position.
 */
static void
string_pos(const struct ploader *l, struct json_object *v, int eline,
    int ecol, int *fline, int *fcol)
{
	size_t	pos = 0;
	int	line = 1, col, dl = 1, dc = 1, n;

	*fline = jconf_line(v);
	*fcol = jconf_col(v);
	if (*fline <= 0 || *fcol <= 0 || l->text == NULL)
		return;
	while (line < *fline && pos < l->len) {
		if (l->text[pos++] == '\n')
			line++;
	}
	pos += (size_t)*fcol - 1;
	if (pos >= l->len || l->text[pos] != '"')
		return;
	pos++;
	col = *fcol + 1;
	while (pos < l->len && l->text[pos] != '"' && l->text[pos] != '\n') {
		if (dl > eline || (dl == eline && dc >= ecol))
			break;
		if (l->text[pos] != '\\') {
			/* columns of expressions count characters, not bytes */
			do {
				pos++;
				col++;
			} while (pos < l->len &&
			    ((unsigned char)l->text[pos] & 0xc0) == 0x80);
			dc++;
			continue;
		}
		if (pos + 1 < l->len && l->text[pos + 1] == 'n') {
			dl++;
			dc = 1;
			n = 2;
		} else if (pos + 1 < l->len && l->text[pos + 1] == 'u') {
			/* one escape, one to four bytes decoded: count one */
			dc++;
			n = 6;
		} else {
			dc++;
			n = 2;
		}
		pos += (size_t)n;
		col += n;
	}
	*fcol = col;
}

/*
 * An expression or template error, "LINE:COL: message" relative to the
 * text, reported as FILE:LINE:COL: KEY: message.
 */
static void
expr_error(struct ploader *l, struct json_object *v, const char *path,
    const char *err)
{
	int	el, ec, fline, fcol, off = 0;

	if (sscanf(err, "%d:%d: %n", &el, &ec, &off) != 2 || off == 0) {
		el = 1;
		ec = 1;
		off = 0;
	}
	string_pos(l, v, el, ec, &fline, &fcol);
	diag_add(l->d, DIAG_ERROR, NULL, 0, NULL, "%s:%d:%d: %s: %s",
	    l->file, fline, fcol, path, err + off);
}

static struct expr *
get_expr(struct ploader *l, struct json_object *parent, const char *key,
    const char *path, struct json_object *v)
{
	struct expr	*e;
	char		*err = NULL;

	if (jconf_want_type(l->d, l->file, parent, key, path, v,
	    json_type_string) == -1)
		return NULL;
	if ((e = expr_compile(json_object_get_string(v), &err)) == NULL) {
		expr_error(l, v, path, err != NULL ? err : "bad expression");
		free(err);
	}
	return e;
}

typedef int (*string_check_fn)(struct ploader *, struct json_object *,
    const char *, const char *, const char *);

static void
strv_add(char ***v, size_t *n, const char *s)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
}

/* What get_strings() hands strings_add() for each string. */
struct strings_arg {
	struct ploader	 *l;
	string_check_fn	  check;
	char		***out;
	size_t		 *n;
};

static void
strings_add(void *arg, struct json_object *parent, const char *key,
    const char *path, const char *s)
{
	struct strings_arg	*a = arg;

	if (a->check == NULL || a->check(a->l, parent, key, path, s) == 0)
		strv_add(a->out, a->n, s);
}

/*
 * A string or a list of strings, each accepted by check (if not NULL),
 * appended to *out. -1 if anything was reported.
 */
static int
get_strings(struct ploader *l, struct json_object *parent, const char *key,
    const char *path, struct json_object *v, string_check_fn check,
    char ***out, size_t *n)
{
	struct strings_arg	a = { l, check, out, n };

	if (json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) == 0) {
		perr(l, parent, key, path, "an empty list matches nothing; "
		    "leave the key out to match everything");
		return -1;
	}
	return jconf_each_string(l->d, l->file, parent, key, path, v, 0,
	    strings_add, &a);
}

static int
check_name(struct ploader *l, struct json_object *parent, const char *key,
    const char *path, const char *s)
{
	if (name_is_valid(s))
		return 0;
	perr(l, parent, key, path, "'%s' is not a name (1-64 of "
	    "[A-Za-z0-9._-], starting with a letter or digit)", s);
	return -1;
}

static int
check_nonempty(struct ploader *l, struct json_object *parent,
    const char *key, const char *path, const char *s)
{
	if (*s != '\0')
		return 0;
	perr(l, parent, key, path, "an empty string matches nothing");
	return -1;
}

static int
check_glob(struct ploader *l, struct json_object *parent, const char *key,
    const char *path, const char *s)
{
	const char	*why;

	if (glob_check(s, &why) == 0)
		return 0;
	perr(l, parent, key, path, "bad pattern '%s': %s", s, why);
	return -1;
}

static int
match_value_ok(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
	case json_type_boolean:
	case json_type_int:
	case json_type_double:
	case json_type_string:
		return 1;
	default:
		return 0;
	}
}

/* {JSONPath: value} rules (on.match, on.event.match) into *out. */
static void
load_match(struct ploader *l, struct json_object *o, const char *path,
    struct match_rule **out, size_t *nout)
{
	struct match_rule	*r;
	struct jsonpath		*jp;
	char			*err = NULL;
	size_t			 i, n;
	int			 good;

	json_object_object_foreach(o, key, v) {
		good = 1;
		if (json_object_is_type(v, json_type_array)) {
			n = json_object_array_length(v);
			if (n == 0)
				good = 0;
			for (i = 0; i < n; i++)
				if (!match_value_ok(
				    json_object_array_get_idx(v, i)))
					good = 0;
		} else
			good = match_value_ok(v);
		if (!good) {
			perr(l, o, key, path, "%s: the value must be a "
			    "string, number, boolean or null, or a non-empty "
			    "list of them", key);
			continue;
		}
		if ((jp = jsonpath_compile(key, &err)) == NULL) {
			perr(l, o, key, path, "bad JSONPath '%s': %s",
			    key, err != NULL ? err : "syntax error");
			free(err);
			err = NULL;
			continue;
		}
		*out = xreallocarray(*out, *nout + 1, sizeof(**out));
		r = &(*out)[(*nout)++];
		r->path_text = xstrdup(key);
		r->path = jp;
		r->want = json_object_get(v);
	}
}

static int
check_status(struct ploader *l, struct json_object *parent, const char *key,
    const char *path, const char *s)
{
	/* The statuses a run or a job ends with, for on.*_complete.status. */
	if (status_ended(status_run_from_name(s)))
		return 0;
	perr(l, parent, key, path, "'%s' is not a status a run or job ends "
	    "with (success, failure, skipped, cancelled, timed_out, "
	    "interrupted)", s);
	return -1;
}

/* Names `hookdir emit` may use: not those of the completion events. */
static int
check_event_name(struct ploader *l, struct json_object *parent,
    const char *key, const char *path, const char *s)
{
	if (check_name(l, parent, key, path, s) == -1)
		return -1;
	if (strcmp(s, "pipeline_complete") != 0 &&
	    strcmp(s, "job_complete") != 0)
		return 0;
	perr(l, parent, key, path, "'%s' is a completion event: use on.%s",
	    s, s);
	return -1;
}

static void
load_on_event(struct ploader *l, struct json_object *o)
{
	struct on_event	*e;
	char		 path[64];

	e = l->p->on.event = xcalloc(1, sizeof(*l->p->on.event));
	json_object_object_foreach(o, key, v) {
		snprintf(path, sizeof(path), "on.event.%s", key);
		if (strcmp(key, "name") == 0)
			get_strings(l, o, key, path, v, check_event_name,
			    &e->names, &e->nnames);
		else if (strcmp(key, "match") == 0) {
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_object) == 0)
				load_match(l, v, path, &e->match, &e->nmatch);
		} else if (strcmp(key, "if") == 0)
			e->if_expr = get_expr(l, o, key, path, v);
		else
			perr(l, o, key, path, "unknown key");
	}
	if (!json_object_object_get_ex(o, "name", NULL))
		perr(l, o, NULL, "on.event", "a \"name\" is needed: the "
		    "name given to `hookdir emit`");
}

static void
load_on_pipeline_complete(struct ploader *l, struct json_object *o)
{
	struct on_pipeline_complete	*pc;
	char				 path[64];
	size_t				 i;

	pc = l->p->on.pipeline_complete = xcalloc(1, sizeof(*pc));
	json_object_object_foreach(o, key, v) {
		snprintf(path, sizeof(path), "on.pipeline_complete.%s", key);
		if (strcmp(key, "name") == 0)
			get_strings(l, o, key, path, v, check_name,
			    &pc->names, &pc->nnames);
		else if (strcmp(key, "status") == 0)
			get_strings(l, o, key, path, v, check_status,
			    &pc->statuses, &pc->nstatuses);
		else
			perr(l, o, key, path, "unknown key");
	}
	if (!json_object_object_get_ex(o, "name", NULL))
		perr(l, o, NULL, "on.pipeline_complete", "a \"name\" is "
		    "needed: the pipeline (or pipelines) to follow");
	for (i = 0; i < pc->nnames; i++)
		if (strcmp(pc->names[i], l->p->name) == 0)
			jconf_report(l->d, DIAG_WARNING, l->file, o, "name",
			    "on.pipeline_complete.name", "'%s' is this "
			    "pipeline: each run starts another until "
			    "max_chain_depth cuts the chain", pc->names[i]);
}

static void
load_on_job_complete(struct ploader *l, struct json_object *o)
{
	struct on_job_complete	*jc;
	char			 path[64];

	jc = l->p->on.job_complete = xcalloc(1, sizeof(*jc));
	json_object_object_foreach(o, key, v) {
		snprintf(path, sizeof(path), "on.job_complete.%s", key);
		if (strcmp(key, "pipeline") == 0)
			get_strings(l, o, key, path, v, check_name,
			    &jc->pipelines, &jc->npipelines);
		else if (strcmp(key, "job") == 0)
			get_strings(l, o, key, path, v, check_name,
			    &jc->jobs, &jc->njobs);
		else if (strcmp(key, "status") == 0)
			get_strings(l, o, key, path, v, check_status,
			    &jc->statuses, &jc->nstatuses);
		else
			perr(l, o, key, path, "unknown key");
	}
	if (!json_object_object_get_ex(o, "pipeline", NULL))
		perr(l, o, NULL, "on.job_complete", "a \"pipeline\" is "
		    "needed: the pipeline whose jobs to follow");
}

static void
load_on(struct ploader *l, struct json_object *o)
{
	struct trigger_on	*on = &l->p->on;
	const char		*webhook_key = NULL;
	char			 path[64];

	json_object_object_foreach(o, key, v) {
		snprintf(path, sizeof(path), "on.%s", key);
		if (strcmp(key, "source") == 0) {
			on->source_line = jconf_key_line(o, key);
			get_strings(l, o, key, path, v, check_name,
			    &on->sources, &on->nsources);
		} else if (strcmp(key, "events") == 0)
			get_strings(l, o, key, path, v, check_nonempty,
			    &on->events, &on->nevents);
		else if (strcmp(key, "branches") == 0)
			get_strings(l, o, key, path, v, check_glob,
			    &on->branches, &on->nbranches);
		else if (strcmp(key, "tags") == 0)
			get_strings(l, o, key, path, v, check_glob,
			    &on->tags, &on->ntags);
		else if (strcmp(key, "paths") == 0)
			get_strings(l, o, key, path, v, check_glob,
			    &on->paths, &on->npaths);
		else if (strcmp(key, "match") == 0) {
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_object) == 0)
				load_match(l, v, path, &on->match,
				    &on->nmatch);
		} else if (strcmp(key, "if") == 0)
			on->if_expr = get_expr(l, o, key, path, v);
		else if (strcmp(key, "event") == 0) {
			on->internal = 1;
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_object) == 0)
				load_on_event(l, v);
		} else if (strcmp(key, "pipeline_complete") == 0) {
			on->internal = 1;
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_object) == 0)
				load_on_pipeline_complete(l, v);
		} else if (strcmp(key, "job_complete") == 0) {
			on->internal = 1;
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_object) == 0)
				load_on_job_complete(l, v);
		} else
			perr(l, o, key, path, "unknown key");
		if (strcmp(key, "source") == 0 || strcmp(key, "events") == 0 ||
		    strcmp(key, "branches") == 0 || strcmp(key, "tags") == 0 ||
		    strcmp(key, "paths") == 0)
			webhook_key = key;
	}
	/*
	 * Internal events have no source, branch or changed files: a
	 * pipeline listens to webhooks or to other pipelines, not both.
	 */
	if (on->internal && webhook_key != NULL)
		perr(l, o, webhook_key, "on", "on.%s filters webhooks; it "
		    "cannot be combined with on.event, on.pipeline_complete "
		    "or on.job_complete (write two pipelines)", webhook_key);
}

static void
load_concurrency(struct ploader *l, struct json_object *o)
{
	struct concurrency	*c = &l->p->concurrency;
	struct json_object	*mv, *gv;
	const char		*mode;
	char			 path[64], *err = NULL;
	int			 have_quiet = 0;

	json_object_object_foreach(o, key, v) {
		snprintf(path, sizeof(path), "concurrency.%s", key);
		if (strcmp(key, "group") == 0) {
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_string) == -1)
				continue;
			if (*json_object_get_string(v) == '\0') {
				perr(l, o, key, path, "must not be empty");
				continue;
			}
			if ((c->group = template_compile(
			    json_object_get_string(v), &err)) == NULL) {
				expr_error(l, v, path, err != NULL ? err :
				    "bad template");
				free(err);
				err = NULL;
			}
		} else if (strcmp(key, "mode") == 0) {
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_string) == -1)
				continue;
			mode = json_object_get_string(v);
			if (strcmp(mode, "queue") == 0)
				c->mode = CONCURRENCY_QUEUE;
			else if (strcmp(mode, "cancel_in_progress") == 0)
				c->mode = CONCURRENCY_CANCEL_IN_PROGRESS;
			else if (strcmp(mode, "skip_if_running") == 0)
				c->mode = CONCURRENCY_SKIP_IF_RUNNING;
			else if (strcmp(mode, "debounce") == 0)
				c->mode = CONCURRENCY_DEBOUNCE;
			else
				perr(l, o, key, path, "'%s' is not a mode "
				    "(queue, cancel_in_progress, "
				    "skip_if_running, debounce)", mode);
		} else if (strcmp(key, "quiet") == 0) {
			long long ms = jconf_get_duration(l->d, l->file, o, key,
			    path, v);
			have_quiet = 1;
			if (ms == 0)
				perr(l, o, key, path, "must be longer than 0");
			else if (ms > 0)
				c->quiet_ms = ms;
		} else
			perr(l, o, key, path, "unknown key");
	}
	if (!json_object_object_get_ex(o, "group", &gv))
		perr(l, o, NULL, "concurrency", "a \"group\" is needed: "
		    "runs with the same group value run one at a time");
	mv = json_object_object_get(o, "mode");
	mode = json_object_is_type(mv, json_type_string) ?
	    json_object_get_string(mv) : "queue";
	if (strcmp(mode, "debounce") == 0 && !have_quiet)
		perr(l, o, "mode", "concurrency.quiet", "mode debounce needs "
		    "\"quiet\": how long the group must be quiet before a "
		    "run starts");
	else if (strcmp(mode, "debounce") != 0 && have_quiet)
		perr(l, o, "quiet", "concurrency.quiet", "only mode debounce "
		    "waits for quiet");
}

static int
env_name_ok(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (s++; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* An env object (the pipeline's or a job's; base: its key path). */
static void
load_env(struct ploader *l, struct json_object *o, const char *base,
    struct env_var **envp, size_t *nenvp)
{
	struct template	*t;
	char		 path[256], *err = NULL;

	json_object_object_foreach(o, key, v) {
		snprintf(path, sizeof(path), "%s.%s", base, key);
		if (!env_name_ok(key)) {
			perr(l, o, key, path, "not a variable name "
			    "([A-Za-z_][A-Za-z0-9_]*)");
			continue;
		}
		if (strncmp(key, "HOOKDIR_", 8) == 0) {
			perr(l, o, key, path, "names starting with HOOKDIR_ "
			    "are reserved for the worker");
			continue;
		}
		if (jconf_want_type(l->d, l->file, o, key, path, v,
		    json_type_string) == -1)
			continue;
		if ((t = template_compile(json_object_get_string(v),
		    &err)) == NULL) {
			expr_error(l, v, path, err != NULL ? err :
			    "bad template");
			free(err);
			err = NULL;
			continue;
		}
		*envp = xreallocarray(*envp, *nenvp + 1, sizeof(**envp));
		(*envp)[*nenvp].name = xstrdup(key);
		(*envp)[*nenvp].value = t;
		(*nenvp)++;
	}
}

static void
env_free(struct env_var *env, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(env[i].name);
		if (env[i].value != NULL)
			template_free(env[i].value);
	}
	free(env);
}

/* An integer from min to max: 0 with *n, or -1 (reported). */
static int
get_int_range(struct ploader *l, struct json_object *o, const char *key,
    const char *path, struct json_object *v, int64_t min, int64_t max,
    const char *what, int64_t *n)
{
	if (jconf_want_type(l->d, l->file, o, key, path, v, json_type_int) ==
	    -1)
		return -1;
	*n = json_object_get_int64(v);
	if (*n < min || *n > max) {
		perr(l, o, key, path, "must be %lld to %lld (%s)",
		    (long long)min, (long long)max, what);
		return -1;
	}
	return 0;
}

static void
load_retry(struct ploader *l, struct step *s, struct json_object *o,
    const char *base)
{
	struct step_retry	*r = &s->retry;
	char			 path[300];
	long long		 ms;
	int64_t			 n;

	r->backoff_ms = RETRY_BACKOFF_DEFAULT;
	r->max_backoff_ms = RETRY_MAX_BACKOFF_DEFAULT;
	json_object_object_foreach(o, key, v) {
		snprintf(path, sizeof(path), "%s.%s", base, key);
		if (strcmp(key, "attempts") == 0) {
			if (get_int_range(l, o, key, path, v, 1,
			    RETRY_ATTEMPTS_MAX, "the first attempt included",
			    &n) == 0)
				r->attempts = (int)n;
		} else if (strcmp(key, "backoff") == 0) {
			if ((ms = jconf_get_duration(l->d, l->file, o, key,
			    path, v)) >= 0)
				r->backoff_ms = ms;
		} else if (strcmp(key, "max_backoff") == 0) {
			if ((ms = jconf_get_duration(l->d, l->file, o, key,
			    path, v)) >= 0)
				r->max_backoff_ms = ms;
		} else
			perr(l, o, key, path, "unknown key");
	}
	if (!json_object_object_get_ex(o, "attempts", NULL))
		perr(l, o, NULL, base, "\"attempts\" is needed: how many "
		    "times to try, the first included");
	if (r->max_backoff_ms > 0 && r->max_backoff_ms < r->backoff_ms)
		perr(l, o, "max_backoff", base, "max_backoff is shorter than "
		    "backoff");
}

static void
load_step(struct ploader *l, struct job *j, size_t idx, struct json_object *o)
{
	struct step	*s = &j->steps[idx];
	char		 path[256], base[160];
	int		 have_run = 0;

	snprintf(base, sizeof(base), "jobs.%s.steps[%zu]", j->name, idx);
	s->line = jconf_line(o);
	s->retry.attempts = 1;
	json_object_object_foreach(o, key, v) {
		snprintf(path, sizeof(path), "%s.%s", base, key);
		if (strcmp(key, "name") == 0) {
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_string) == 0 &&
			    check_name(l, o, key, path,
			    json_object_get_string(v)) == 0) {
				free(s->name);
				s->name = xstrdup(json_object_get_string(v));
			}
		} else if (strcmp(key, "run") == 0) {
			have_run = 1;
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_string) == -1)
				continue;
			if (*json_object_get_string(v) == '\0') {
				perr(l, o, key, path, "must not be empty");
				continue;
			}
			s->run = xstrdup(json_object_get_string(v));
		} else if (strcmp(key, "timeout") == 0) {
			long long ms = jconf_get_duration(l->d, l->file, o, key,
			    path, v);
			if (ms >= 0)
				s->timeout_ms = ms;
		} else if (strcmp(key, "continue_on_error") == 0) {
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_boolean) == 0)
				s->continue_on_error =
				    json_object_get_boolean(v);
		} else if (strcmp(key, "retry") == 0) {
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_object) == 0)
				load_retry(l, s, v, path);
		} else
			perr(l, o, key, path, "unknown key");
	}
	if (!have_run)
		perr(l, o, NULL, base, "a step needs \"run\", the command "
		    "to run");
}

static void
load_steps(struct ploader *l, struct job *j, struct json_object *parent,
    struct json_object *v)
{
	char	path[160];
	size_t	i, k, n;

	snprintf(path, sizeof(path), "jobs.%s.steps", j->name);
	if (jconf_want_type(l->d, l->file, parent, "steps", path, v,
	    json_type_array) == -1)
		return;
	if ((n = json_object_array_length(v)) == 0) {
		perr(l, parent, "steps", path, "a job needs at least one step");
		return;
	}
	j->steps = xcalloc(n, sizeof(*j->steps));
	j->nsteps = n;
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(v, i);
		xasprintf(&j->steps[i].name, "%zu", i + 1);
		snprintf(path, sizeof(path), "jobs.%s.steps[%zu]", j->name, i);
		if (!json_object_is_type(o, json_type_object)) {
			diag_add(l->d, DIAG_ERROR, l->file,
			    o != NULL ? jconf_line(o) :
			    jconf_key_line(parent, "steps"), path,
			    "must be an object, not %s",
			    jconf_type_name(json_object_get_type(o)));
			continue;
		}
		load_step(l, j, i, o);
		/* names become log file names: two steps may not share one */
		for (k = 0; k < i; k++)
			if (strcmp(j->steps[i].name, j->steps[k].name) == 0) {
				snprintf(path, sizeof(path),
				    "jobs.%s.steps[%zu].name", j->name, i);
				diag_add(l->d, DIAG_ERROR, l->file,
				    jconf_key_line(o, "name"), path, "step name "
				    "'%s' is already used by steps[%zu]",
				    j->steps[i].name, k);
				break;
			}
	}
}

static void
load_job(struct ploader *l, struct job *j, struct json_object *o)
{
	char	path[160];
	size_t	i, k;
	int64_t	n;

	j->max_fan_out = FAN_OUT_DEFAULT;
	json_object_object_foreach(o, key, v) {
		snprintf(path, sizeof(path), "jobs.%s.%s", j->name, key);
		if (strcmp(key, "needs") == 0) {
			get_strings(l, o, key, path, v, NULL, &j->needs,
			    &j->nneeds);
			for (i = 0; i < j->nneeds; i++)
				for (k = 0; k < i; k++)
					if (strcmp(j->needs[i],
					    j->needs[k]) == 0)
						perr(l, o, key, path,
						    "'%s' is listed twice",
						    j->needs[i]);
		} else if (strcmp(key, "if") == 0)
			j->if_expr = get_expr(l, o, key, path, v);
		else if (strcmp(key, "timeout") == 0) {
			long long ms = jconf_get_duration(l->d, l->file, o, key,
			    path, v);
			if (ms >= 0)
				j->timeout_ms = ms;
		} else if (strcmp(key, "steps") == 0)
			load_steps(l, j, o, v);
		else if (strcmp(key, "for_each") == 0) {
			if ((j->for_each = get_expr(l, o, key, path, v)) !=
			    NULL)
				j->for_each_text = xstrdup(
				    json_object_get_string(v));
		} else if (strcmp(key, "max_fan_out") == 0) {
			if (get_int_range(l, o, key, path, v, 1, FAN_OUT_MAX,
			    "jobs a for_each may fan out to", &n) == -1)
				continue;
			if (!json_object_object_get_ex(o, "for_each", NULL))
				perr(l, o, key, path, "is for a job with "
				    "\"for_each\"");
			else
				j->max_fan_out = (size_t)n;
		} else if (strcmp(key, "env") == 0) {
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_object) == 0)
				load_env(l, v, path, &j->env, &j->nenv);
		} else if (strcmp(key, "outputs") == 0)
			perr(l, o, key, path, "a job's outputs are what its "
			    "steps write to $HOOKDIR_OUTPUT; there is nothing "
			    "to declare");
		else
			perr(l, o, key, path, "unknown key");
	}
	if (!json_object_object_get_ex(o, "steps", NULL)) {
		snprintf(path, sizeof(path), "jobs.%s", j->name);
		perr(l, o, NULL, path, "a job needs \"steps\"");
	}
}

static size_t
job_index(const struct pipeline *p, const char *name)
{
	size_t	i;

	for (i = 0; i < p->njobs; i++)
		if (strcmp(p->jobs[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

enum { WHITE, GREY, BLACK };

struct topo {
	struct pipeline	*p;
	int		*color;
	size_t		*stack;		/* the path being explored */
	size_t		 depth;
	size_t		 norder;
	int		 cycle;
};

/*
 * Depth-first, dependencies first: the post-order is a topological
 * order. Meeting a job already on the path closes a cycle, which is
 * reported by name: "a -> b -> a".
 */
static void
topo_visit(struct ploader *l, struct topo *t, size_t i)
{
	struct job	*j = &t->p->jobs[i];
	struct buf	 b = BUF_INIT;
	size_t		 k, s;

	if (t->cycle || t->color[i] == BLACK)
		return;
	if (t->color[i] == GREY) {
		for (s = 0; s < t->depth && t->stack[s] != i; s++)
			;
		for (k = s; k < t->depth; k++)
			buf_printf(&b, "%s -> ", t->p->jobs[t->stack[k]].name);
		buf_addstr(&b, j->name);
		diag_add(l->d, DIAG_ERROR, l->file, t->p->jobs[t->stack[s]].line,
		    "jobs", "dependency cycle: %s", buf_str(&b));
		buf_release(&b);
		t->cycle = 1;
		return;
	}
	t->color[i] = GREY;
	t->stack[t->depth++] = i;
	for (k = 0; k < j->nneeds && !t->cycle; k++)
		topo_visit(l, t, j->need_idx[k]);
	t->depth--;
	t->color[i] = BLACK;
	t->p->order[t->norder++] = i;
}

static void
load_jobs(struct ploader *l, struct json_object *o)
{
	struct pipeline	*p = l->p;
	struct topo	 t;
	struct job	*j;
	char		 path[160];
	size_t		 i, k, n, bad = 0;

	n = (size_t)json_object_object_length(o);
	if (n == 0) {
		perr(l, o, NULL, "jobs", "no jobs: nothing would run");
		return;
	}
	p->jobs = xcalloc(n, sizeof(*p->jobs));
	json_object_object_foreach(o, name, v) {
		j = &p->jobs[p->njobs++];
		j->name = xstrdup(name);
		j->line = jconf_key_line(o, name);
		snprintf(path, sizeof(path), "jobs.%s", name);
		if (!name_is_valid(name))
			perr(l, o, name, path, "a job name is 1-64 of "
			    "[A-Za-z0-9._-], starting with a letter or digit");
		if (jconf_want_type(l->d, l->file, o, name, path, v,
		    json_type_object) == 0)
			load_job(l, j, v);
	}
	for (i = 0; i < p->njobs; i++) {
		j = &p->jobs[i];
		j->need_idx = xcalloc(j->nneeds + 1, sizeof(*j->need_idx));
		for (k = 0; k < j->nneeds; k++) {
			j->need_idx[k] = job_index(p, j->needs[k]);
			if (j->need_idx[k] != (size_t)-1)
				continue;
			snprintf(path, sizeof(path), "jobs.%s.needs", j->name);
			diag_add(l->d, DIAG_ERROR, l->file,
			    jconf_key_line(json_object_object_get(o, j->name),
			    "needs"), path, "no job named '%s'", j->needs[k]);
			bad++;
		}
	}
	if (bad > 0)
		return;
	memset(&t, 0, sizeof(t));
	t.p = p;
	t.color = xcalloc(p->njobs, sizeof(*t.color));
	t.stack = xcalloc(p->njobs, sizeof(*t.stack));
	p->order = xcalloc(p->njobs, sizeof(*p->order));
	for (i = 0; i < p->njobs && !t.cycle; i++)
		topo_visit(l, &t, i);
	free(t.color);
	free(t.stack);
}

static const char *const input_types[] = { "string", "number", "boolean",
	"choice", NULL };

/*
 * One input's value v as its type wants it: a new reference, or NULL
 * with *err. Text is converted for numbers and booleans (the command
 * line has nothing else); a JSON number or boolean given for a string
 * becomes its text.
 */
static struct json_object *
input_value(const struct pipeline_input *in, struct json_object *v,
    char **err)
{
	const char	*s;
	char		*end;
	double		 d;
	long long	 n;
	size_t		 i;
	int		 isstr = json_object_is_type(v, json_type_string);

	s = json_object_get_string(v);
	switch (in->type) {
	case INPUT_STRING:
		if (isstr)
			return json_object_get(v);
		if (json_object_is_type(v, json_type_int) ||
		    json_object_is_type(v, json_type_double) ||
		    json_object_is_type(v, json_type_boolean))
			return json_object_new_string(s);
		break;
	case INPUT_NUMBER:
		if (json_object_is_type(v, json_type_int) ||
		    json_object_is_type(v, json_type_double))
			return json_object_get(v);
		if (!isstr || *s == '\0')
			break;
		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0')
			return json_object_new_int64(n);
		d = strtod(s, &end);
		if (*end == '\0' && isfinite(d))
			return json_object_new_double(d);
		break;
	case INPUT_BOOLEAN:
		if (json_object_is_type(v, json_type_boolean))
			return json_object_get(v);
		if (isstr && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0))
			return json_object_new_boolean(*s == 't');
		break;
	case INPUT_CHOICE:
		if (!isstr)
			break;
		for (i = 0; i < in->noptions; i++)
			if (strcmp(s, in->options[i]) == 0)
				return json_object_get(v);
		xasprintf(err, "input %s: `%.64s` is not one of its options",
		    in->name, s);
		return NULL;
	}
	xasprintf(err, "input %s: %s `%.64s` is not a %s", in->name,
	    jconf_type_name(json_object_get_type(v)), s != NULL ? s : "null",
	    input_types[in->type]);
	return NULL;
}

struct json_object *
pipeline_inputs(const struct pipeline *p, struct json_object *given,
    char **err)
{
	struct json_object	*out, *v, *cv;
	size_t			 i;

	*err = NULL;
	if (given != NULL && !json_object_is_type(given, json_type_object)) {
		xasprintf(err, "inputs: not an object");
		return NULL;
	}
	if (given != NULL) {
		json_object_object_foreach(given, key, val) {
			(void)val;
			for (i = 0; i < p->ninputs; i++)
				if (strcmp(key, p->inputs[i].name) == 0)
					break;
			if (i == p->ninputs) {
				xasprintf(err, "input %.64s: pipeline %s has "
				    "no such input", key, p->name);
				return NULL;
			}
		}
	}
	out = json_object_new_object();
	for (i = 0; i < p->ninputs; i++) {
		if (given == NULL || !json_object_object_get_ex(given,
		    p->inputs[i].name, &v))
			v = p->inputs[i].def;
		if (v == NULL && p->inputs[i].required) {
			xasprintf(err, "input %s: required, and not given",
			    p->inputs[i].name);
			json_object_put(out);
			return NULL;
		}
		if (v == NULL)
			continue;
		if ((cv = input_value(&p->inputs[i], v, err)) == NULL) {
			json_object_put(out);
			return NULL;
		}
		json_object_object_add(out, p->inputs[i].name, cv);
	}
	return out;
}

/* inputs: {"NAME": {"description", "default", "required", "type", "options"}} */
static void
load_inputs(struct ploader *l, struct json_object *o)
{
	struct pipeline		*p = l->p;
	struct pipeline_input	*in;
	struct json_object	*def = NULL, *cv;
	char			 path[256], upper[256], *err = NULL;
	size_t			 i, k;
	int			 t;

	json_object_object_foreach(o, name, io) {
		snprintf(path, sizeof(path), "inputs.%s", name);
		if (!env_name_ok(name) || strlen(name) > 64) {
			perr(l, o, name, path, "not an input name "
			    "([A-Za-z_][A-Za-z0-9_]*, at most 64)");
			continue;
		}
		for (k = 0; name[k] != '\0'; k++)
			upper[k] = (char)toupper((unsigned char)name[k]);
		upper[k] = '\0';
		for (i = 0; i < p->ninputs; i++)
			if (strcasecmp(p->inputs[i].name, upper) == 0)
				break;
		if (i < p->ninputs) {
			perr(l, o, name, path, "HOOKDIR_INPUT_%s is also "
			    "input %s's variable", upper, p->inputs[i].name);
			continue;
		}
		if (jconf_want_type(l->d, l->file, o, name, path, io,
		    json_type_object) == -1)
			continue;
		p->inputs = xreallocarray(p->inputs, p->ninputs + 1,
		    sizeof(*p->inputs));
		in = &p->inputs[p->ninputs++];
		memset(in, 0, sizeof(*in));
		in->name = xstrdup(name);
		def = NULL;
		json_object_object_foreach(io, key, v) {
			snprintf(path, sizeof(path), "inputs.%s.%s", name, key);
			if (strcmp(key, "description") == 0) {
				if (jconf_want_type(l->d, l->file, io, key,
				    path, v, json_type_string) == 0)
					in->description = xstrdup(
					    json_object_get_string(v));
			} else if (strcmp(key, "default") == 0)
				def = v;
			else if (strcmp(key, "required") == 0) {
				if (jconf_want_type(l->d, l->file, io, key,
				    path, v, json_type_boolean) == 0)
					in->required =
					    json_object_get_boolean(v);
			} else if (strcmp(key, "type") == 0) {
				if (jconf_want_type(l->d, l->file, io, key,
				    path, v, json_type_string) == -1)
					continue;
				for (t = 0; input_types[t] != NULL; t++)
					if (strcmp(json_object_get_string(v),
					    input_types[t]) == 0)
						break;
				if (input_types[t] == NULL)
					perr(l, io, key, path, "not a type "
					    "(string, number, boolean, choice)");
				else
					in->type = (enum input_type)t;
			} else if (strcmp(key, "options") == 0)
				get_strings(l, io, key, path, v,
				    check_nonempty, &in->options,
				    &in->noptions);
			else
				perr(l, io, key, path, "unknown key");
		}
		snprintf(path, sizeof(path), "inputs.%s", name);
		if (in->type == INPUT_CHOICE && in->noptions == 0)
			perr(l, o, name, path, "a choice needs \"options\"");
		if (in->type != INPUT_CHOICE && in->noptions > 0)
			perr(l, o, name, path, "only a choice has options");
		if (def != NULL && json_object_is_type(def, json_type_null))
			def = NULL;
		if (def != NULL) {
			if ((cv = input_value(in, def, &err)) == NULL) {
				perr(l, o, name, path, "default: %s", err);
				free(err);
				err = NULL;
			} else
				in->def = cv;
		}
	}
}

static void
load_root(struct ploader *l, struct json_object *root)
{
	struct pipeline	*p = l->p;

	json_object_object_foreach(root, key, v) {
		if (strcmp(key, "on") == 0) {
			if (jconf_want_type(l->d, l->file, root, key, key, v,
			    json_type_object) == 0)
				load_on(l, v);
		} else if (strcmp(key, "env") == 0) {
			if (jconf_want_type(l->d, l->file, root, key, key, v,
			    json_type_object) == 0)
				load_env(l, v, "env", &p->env, &p->nenv);
		} else if (strcmp(key, "secrets") == 0) {
			p->secrets_line = jconf_key_line(root, key);
			get_strings(l, root, key, key, v, check_name,
			    &p->secrets, &p->nsecrets);
		} else if (strcmp(key, "timeout") == 0) {
			long long ms = jconf_get_duration(l->d, l->file, root,
			    key, key, v);
			if (ms >= 0)
				p->timeout_ms = ms;
		} else if (strcmp(key, "jobs") == 0) {
			if (jconf_want_type(l->d, l->file, root, key, key, v,
			    json_type_object) == 0)
				load_jobs(l, v);
		} else if (strcmp(key, "concurrency") == 0) {
			if (jconf_want_type(l->d, l->file, root, key, key, v,
			    json_type_object) == 0)
				load_concurrency(l, v);
		} else if (strcmp(key, "inputs") == 0) {
			if (jconf_want_type(l->d, l->file, root, key, key, v,
			    json_type_object) == 0)
				load_inputs(l, v);
		} else if (strcmp(key, "dispatch") == 0) {
			if (jconf_want_type(l->d, l->file, root, key, key, v,
			    json_type_boolean) == 0)
				p->dispatch = json_object_get_boolean(v);
		} else if (strcmp(key, "keep_workspace") == 0) {
			if (jconf_want_type(l->d, l->file, root, key, key, v,
			    json_type_boolean) == 0)
				p->keep_workspace = json_object_get_boolean(v);
		} else
			perr(l, root, key, key, "unknown key");
	}
	if (!json_object_object_get_ex(root, "on", NULL))
		perr(l, root, NULL, "on", "missing: say which events start "
		    "this pipeline");
	if (!json_object_object_get_ex(root, "jobs", NULL))
		perr(l, root, NULL, "jobs", "missing: nothing would run");
}

static void
strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
match_free(struct match_rule *m, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(m[i].path_text);
		jsonpath_free(m[i].path);
		json_object_put(m[i].want);
	}
	free(m);
}

void
pipeline_free(struct pipeline *p)
{
	struct trigger_on	*on;
	struct job		*j;
	size_t			 i, k;

	if (p == NULL)
		return;
	on = &p->on;
	for (i = 0; i < on->nsources; i++)
		free(on->sources[i]);
	free(on->sources);
	for (i = 0; i < on->nevents; i++)
		free(on->events[i]);
	free(on->events);
	for (i = 0; i < on->nbranches; i++)
		free(on->branches[i]);
	free(on->branches);
	for (i = 0; i < on->ntags; i++)
		free(on->tags[i]);
	free(on->tags);
	for (i = 0; i < on->npaths; i++)
		free(on->paths[i]);
	free(on->paths);
	match_free(on->match, on->nmatch);
	if (on->if_expr != NULL)
		expr_free(on->if_expr);
	if (on->event != NULL) {
		strv_free(on->event->names, on->event->nnames);
		match_free(on->event->match, on->event->nmatch);
		if (on->event->if_expr != NULL)
			expr_free(on->event->if_expr);
		free(on->event);
	}
	if (on->pipeline_complete != NULL) {
		strv_free(on->pipeline_complete->names,
		    on->pipeline_complete->nnames);
		strv_free(on->pipeline_complete->statuses,
		    on->pipeline_complete->nstatuses);
		free(on->pipeline_complete);
	}
	if (on->job_complete != NULL) {
		strv_free(on->job_complete->pipelines,
		    on->job_complete->npipelines);
		strv_free(on->job_complete->jobs, on->job_complete->njobs);
		strv_free(on->job_complete->statuses,
		    on->job_complete->nstatuses);
		free(on->job_complete);
	}
	if (p->concurrency.group != NULL)
		template_free(p->concurrency.group);
	env_free(p->env, p->nenv);
	for (i = 0; i < p->nsecrets; i++)
		free(p->secrets[i]);
	free(p->secrets);
	for (i = 0; i < p->njobs; i++) {
		j = &p->jobs[i];
		free(j->name);
		for (k = 0; k < j->nneeds; k++)
			free(j->needs[k]);
		free(j->needs);
		free(j->need_idx);
		if (j->if_expr != NULL)
			expr_free(j->if_expr);
		if (j->for_each != NULL)
			expr_free(j->for_each);
		free(j->for_each_text);
		env_free(j->env, j->nenv);
		for (k = 0; k < j->nsteps; k++) {
			free(j->steps[k].name);
			free(j->steps[k].run);
		}
		free(j->steps);
	}
	free(p->jobs);
	free(p->order);
	for (i = 0; i < p->ninputs; i++) {
		free(p->inputs[i].name);
		free(p->inputs[i].description);
		json_object_put(p->inputs[i].def);
		strv_free(p->inputs[i].options, p->inputs[i].noptions);
	}
	free(p->inputs);
	free(p->name);
	free(p->file);
	free(p);
}

/* "dir/deploy.json" -> "deploy" (malloc'd). */
static char *
name_from_path(const char *path)
{
	const char	*base, *dot;

	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base || strcmp(dot, ".json") != 0)
		return xstrdup(base);
	return xstrndup(base, (size_t)(dot - base));
}

struct pipeline *
pipeline_load_file(const char *path, struct diag *d)
{
	struct json_object	*root;
	struct ploader		 l;
	struct pipeline		*p;
	struct buf		 b = BUF_INIT;
	size_t			 nerrors = d->nerrors;
	char			*err = NULL;

	p = xcalloc(1, sizeof(*p));
	p->name = name_from_path(path);
	p->file = xstrdup(path);
	if (!name_is_valid(p->name))
		diag_add(d, DIAG_ERROR, path, 0, NULL, "'%s' is not a "
		    "pipeline name (the file name without .json: 1-64 of "
		    "[A-Za-z0-9._-], starting with a letter or digit)",
		    p->name);
	if (read_file(path, &b, PIPELINE_MAX_SIZE) == -1) {
		diag_add(d, DIAG_ERROR, path, 0, NULL, "%s", strerror(errno));
		goto fail;
	}
	if ((root = jconf_parse(b.data != NULL ? b.data : "", b.len, path,
	    &err)) == NULL) {
		diag_add(d, DIAG_ERROR, NULL, 0, NULL, "%s", err);
		free(err);
		goto fail;
	}
	memset(&l, 0, sizeof(l));
	l.d = d;
	l.file = path;
	l.text = b.data;
	l.len = b.len;
	l.p = p;
	if (json_object_is_type(root, json_type_object))
		load_root(&l, root);
	else
		diag_add(d, DIAG_ERROR, path, jconf_line(root), NULL,
		    "a pipeline must be a JSON object, not %s",
		    jconf_type_name(json_object_get_type(root)));
	json_object_put(root);
	if (d->nerrors > nerrors)
		goto fail;
	buf_release(&b);
	return p;
fail:
	buf_release(&b);
	pipeline_free(p);
	return NULL;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_json_file(const char *name)
{
	size_t	n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

size_t
pipelines_load(const struct config *cf, struct pipeline_set *set,
    struct diag *d)
{
	struct pipeline	*p;
	struct dirent	*de;
	struct stat	 st;
	DIR		*dir;
	char		**names = NULL, *path;
	size_t		 nnames = 0, nerrors = d->nerrors, i;

	memset(set, 0, sizeof(*set));
	set->dir = xstrdup(cf->pipelines);
	if (stat(set->dir, &st) == -1) {
		diag_add(d, DIAG_WARNING, set->dir, 0, NULL, "%s: no pipeline "
		    "will run", strerror(errno));
		return 0;
	}
	/* set first, so that an unreadable directory is not reread each time */
	set->dir_mtime = st.st_mtim;
	if ((dir = opendir(set->dir)) == NULL) {
		diag_add(d, DIAG_ERROR, set->dir, 0, NULL, "%s",
		    strerror(errno));
		return 1;
	}
	while ((de = readdir(dir)) != NULL)
		if (is_json_file(de->d_name))
			strv_add(&names, &nnames, de->d_name);
	closedir(dir);
	/* An empty directory leaves names NULL, which qsort may not get. */
	if (nnames > 1)
		qsort(names, nnames, sizeof(*names), name_cmp);
	set->files = xcalloc(nnames + 1, sizeof(*set->files));
	set->mtimes = xcalloc(nnames + 1, sizeof(*set->mtimes));
	set->v = xcalloc(nnames + 1, sizeof(*set->v));
	for (i = 0; i < nnames; i++) {
		xasprintf(&path, "%s/%s", set->dir, names[i]);
		free(names[i]);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		set->files[set->nfiles] = path;
		set->mtimes[set->nfiles] = st.st_mtim;
		set->nfiles++;
		if ((p = pipeline_load_file(path, d)) != NULL)
			set->v[set->n++] = p;
	}
	free(names);
	return d->nerrors - nerrors;
}

static int
mtime_differs(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec != b->tv_sec || a->tv_nsec != b->tv_nsec;
}

/*
 * Adding, removing or renaming a file (as editors that save through a
 * temporary file do) changes the directory's mtime; writing a file in
 * place changes only its own.
 */
int
pipelines_changed(const struct pipeline_set *set)
{
	struct stat	st;
	size_t		i;

	if (stat(set->dir, &st) == -1)
		return set->dir_mtime.tv_sec != 0 || set->dir_mtime.tv_nsec != 0;
	if (mtime_differs(&st.st_mtim, &set->dir_mtime))
		return 1;
	for (i = 0; i < set->nfiles; i++) {
		if (stat(set->files[i], &st) == -1 ||
		    mtime_differs(&st.st_mtim, &set->mtimes[i]))
			return 1;
	}
	return 0;
}

void
pipelines_release(struct pipeline_set *set)
{
	size_t	i;

	for (i = 0; i < set->n; i++)
		pipeline_free(set->v[i]);
	free(set->v);
	for (i = 0; i < set->nfiles; i++)
		free(set->files[i]);
	free(set->files);
	free(set->mtimes);
	free(set->dir);
	memset(set, 0, sizeof(*set));
}

const struct pipeline *
pipelines_find(const struct pipeline_set *set, const char *name)
{
	size_t	i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->v[i]->name, name) == 0)
			return set->v[i];
	return NULL;
}
