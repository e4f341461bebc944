/*
 * Triggers: glob matching, events read back from spool messages
 * (JSON, forms, raw bodies), pipeline validation with file:line, and
 * trigger_eval with its trace, on real-shaped payloads from t/data/.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "config.h"
#include "event.h"
#include "expr.h"
#include "jconf.h"
#include "pipeline.h"
#include "trigger.h"
#include "util.h"
#include "tap.h"

static char	 data[1024];		/* t/data */
static char	 tmp[] = "/tmp/hookdir-trigger-XXXXXX";

static void
find_data(void)
{
	const char	*top = getenv("top_srcdir");
	char		*slash;

	if (top != NULL && *top != '\0') {
		snprintf(data, sizeof(data), "%s/t/data", top);
		return;
	}
	/* run by hand: this file is t/unit/test-trigger.c in the source tree */
	snprintf(data, sizeof(data), "%s", __FILE__);
	if ((slash = strrchr(data, '/')) != NULL)
		*slash = '\0';
	else
		snprintf(data, sizeof(data), ".");
	strncat(data, "/../data", sizeof(data) - strlen(data) - 1);
}

static void
dump(const struct diag *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		diag("%s: %s", d->v[i].level == DIAG_ERROR ? "error" :
		    "warning", d->v[i].text);
}

static int
diag_has(const struct diag *d, enum diag_level level, const char *text)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].level == level && strcmp(d->v[i].text, text) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ globs */

static void
test_glob(void)
{
	static const struct {
		const char	*pat, *s;
		int		 want;
	} cases[] = {
		{ "main", "main", 1 },
		{ "main", "mainline", 0 },
		{ "release/*", "release/1.2", 1 },
		{ "release/*", "release/1.2/hotfix", 0 },
		{ "release/**", "release/1.2/hotfix", 1 },
		{ "*", "feature/x", 0 },
		{ "**", "feature/x", 1 },
		{ "feature-?", "feature-a", 1 },
		{ "feature-?", "feature-ab", 0 },
		{ "a?b", "a/b", 0 },
		{ "v[0-9]*", "v1.2.0", 1 },
		{ "v[0-9]*", "vx", 0 },
		{ "v[!0-9]*", "vx", 1 },
		{ "v[^0-9]*", "v1", 0 },
		{ "[]]", "]", 1 },
		{ "[a-c]x", "bx", 1 },
		{ "docs/**", "docs/index.md", 1 },
		{ "docs/**", "docs/guide/setup.md", 1 },
		{ "docs/**", "src/docs/x", 0 },
		{ "**/*.md", "README.md", 1 },
		{ "**/*.md", "a/b/c/README.md", 1 },
		{ "**/*.md", "a/b/c/README.txt", 0 },
		{ "a/**/b", "a/b", 1 },
		{ "a/**/b", "a/x/y/b", 1 },
		{ "a/**/b", "a/x/y/c", 0 },
		{ "src/**.c", "src/a/b.c", 1 },
		{ "*.c", "src/a.c", 0 },
		{ "\\*", "*", 1 },
		{ "\\*", "x", 0 },
		{ "a[b", "a[b", 1 },
		{ "", "", 1 },
		{ "*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
	};
	const char	*why;
	size_t		 i;
	int		 r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(glob_match(cases[i].pat, cases[i].s), cases[i].want,
		    "glob '%s' %s '%s'", cases[i].pat,
		    cases[i].want ? "matches" : "does not match", cases[i].s);
	ok(glob_check("release/*", &why) == 0, "glob_check: a good pattern");
	why = "";
	r = glob_check("v[0-9", &why);
	ok(r == -1 && strstr(why, "']'") != NULL,
	    "glob_check: an unclosed class (%s)", why);
	ok(glob_check("x\\", &why) == -1, "glob_check: a trailing backslash");
	ok(glob_check("", &why) == -1, "glob_check: empty");
	ok(glob_check("!", &why) == -1, "glob_check: a lone '!'");
}

/* ------------------------------------------------------------ events */

static int
load_event(struct event *ev, const char *name)
{
	const char	*why = NULL;
	char		 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/events/%s.msg", data, name);
	if (event_load(ev, name, path, &why) == -1) {
		diag("%s: %s", path, why);
		return -1;
	}
	return 0;
}

/* A message file in the scratch directory. */
static void
write_msg(const char *name, const char *headers, const char *body,
    size_t bodylen)
{
	char	 path[PATH_MAX];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	f = fopen(path, "w");
	fputs(headers, f);
	fputs("\n", f);
	fwrite(body, 1, bodylen, f);
	fclose(f);
}

/* A literal body, NUL bytes included. */
#define WRITE_MSG(name, headers, lit) \
	write_msg((name), (headers), (lit), sizeof(lit) - 1)

static int
load_tmp_event(struct event *ev, const char *name)
{
	const char	*why = NULL;
	char		 path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	if (event_load(ev, name, path, &why) == -1) {
		diag("%s: %s", path, why);
		return -1;
	}
	return 0;
}

/* The value of an expression over the event's environment, as ${{ }} renders it. */
static char *
render(struct event *ev, const char *text)
{
	struct json_object	*r = NULL;
	struct expr		*e;
	struct buf		 b = BUF_INIT;
	char			*err = NULL;

	if ((e = expr_compile(text, &err)) == NULL) {
		diag("%s: %s", text, err);
		free(err);
		return strdup("(compile error)");
	}
	if (expr_eval(e, event_env(ev), &r, &err) == -1) {
		buf_printf(&b, "(error: %s)", err);
		free(err);
	} else
		expr_render(&b, r);
	json_object_put(r);
	expr_free(e);
	return buf_detach(&b, NULL);
}

static void
is_expr(struct event *ev, const char *text, const char *want)
{
	char	*got = render(ev, text);

	is_str(got, want, "%s: %s", ev->id, text);
	free(got);
}

static void
test_event_json(void)
{
	struct event	 ev;

	if (!ok(load_event(&ev, "github-push") == 0, "github push loads"))
		return;
	is_str(ev.source, "site", "source");
	is_str(ev.provider, "github", "provider");
	is_str(ev.type, "push", "type");
	is_str(ev.delivery, "72d3162e-cc78-11e3-81ab-4c9367dc0958", "delivery");
	is_str(ev.method, "POST", "method");
	is_str(ev.received, "2026-11-22T05:00:54.123456Z", "received");
	is_int(ev.chain_depth, 0, "no chain depth");
	ok(json_object_is_type(event_payload(&ev), json_type_object),
	    "JSON payload");
	is_expr(&ev, "payload.ref", "refs/heads/main");
	is_expr(&ev, "payload.repository.full_name", "acme/site");
	is_expr(&ev, "payload.commits[1].modified[0]", "src/app.c");
	is_expr(&ev, "headers['x-github-event']", "push");
	is_expr(&ev, "headers['content-type']", "application/json");
	is_expr(&ev, "eventType", "push");
	is_expr(&ev, "source + '/' + provider + '/' + method", "site/github/POST");
	is_expr(&ev, "query", "{}");
	is_expr(&ev, "event", "");
	is_expr(&ev, "startsWith(body, '{') && len(body) > 1000", "true");
	event_release(&ev);

	if (!ok(load_event(&ev, "stripe-event") == 0, "stripe event loads"))
		return;
	is_expr(&ev, "payload.data.object.amount", "2000");
	is_expr(&ev, "payload.data.object.metadata", "{\"order_id\":\"6735\",\"plan\":\"pro\"}");
	is_expr(&ev, "payload.type == eventType", "true");
	event_release(&ev);
}

static void
test_event_form(void)
{
	struct event	 ev;

	if (!ok(load_event(&ev, "gitea-push-form") == 0, "gitea form loads"))
		return;
	ok(json_object_is_type(event_payload(&ev), json_type_object),
	    "form with payload=: the payload is the JSON document");
	is_expr(&ev, "payload.ref", "refs/heads/release/1.2");
	is_expr(&ev, "payload.commits[0].message", "Prepare 1.2 & friends\n");
	is_expr(&ev, "payload.payload", "");
	is_expr(&ev, "startsWith(body, 'payload=%7B')", "true");
	event_release(&ev);

	if (!ok(load_event(&ev, "slack-command") == 0, "slack command loads"))
		return;
	is_expr(&ev, "payload.command", "/deploy");
	is_expr(&ev, "payload.text", "site production");
	is_expr(&ev, "payload.enterprise_name", "Globular Construct Inc");
	is_expr(&ev, "eventType", "");
	event_release(&ev);

	/* a payload= that is not JSON stays a field; repeated fields are lists */
	WRITE_MSG("form.msg", "Hookdir-Source: f\nContent-Type: "
	    "application/x-www-form-urlencoded; charset=utf-8\n",
	    "payload=not+json&a=1&a=2&a=3&b=%00x");
	if (!ok(load_tmp_event(&ev, "form.msg") == 0, "odd form loads"))
		return;
	is_expr(&ev, "payload.payload", "not json");
	is_expr(&ev, "payload.a", "[\"1\",\"2\",\"3\"]");
	is_expr(&ev, "len(payload.b)", "2");
	event_release(&ev);
}

static void
test_event_raw(void)
{
	struct event	 ev;
	const char	*why = NULL;
	char		 deep[400], path[PATH_MAX];
	size_t		 i;

	if (!ok(load_event(&ev, "generic-text") == 0, "text body loads"))
		return;
	ok(event_payload(&ev) == NULL, "text body: no payload");
	is_expr(&ev, "payload", "");
	is_expr(&ev, "body", "ping from the backup job\n");
	is_expr(&ev, "query.env", "prod");
	is_expr(&ev, "query.tag", "[\"a\",\"b\"]");
	is_expr(&ev, "query.nothing.deeper", "");
	event_release(&ev);

	/* NUL bytes survive in body; such a body is not JSON */
	WRITE_MSG("nul.msg", "Hookdir-Source: x\nHookdir-Chain-Depth: 3\n"
	    "Content-Type: application/json\n", "{\"a\":\0\"b\"}");
	if (!ok(load_tmp_event(&ev, "nul.msg") == 0, "NUL body loads"))
		return;
	ok(event_payload(&ev) == NULL, "NUL body: no payload");
	is_expr(&ev, "len(body)", "10");
	is_int(ev.chain_depth, 3, "chain depth from Hookdir-Chain-Depth");
	event_release(&ev);

	/* JSON labelled as text is still JSON; broken JSON is raw */
	WRITE_MSG("label.msg", "Content-Type: text/plain\n", " [1,2] \n");
	if (ok(load_tmp_event(&ev, "label.msg") == 0, "text/plain JSON loads")) {
		is_expr(&ev, "payload[1]", "2");
		event_release(&ev);
	}
	WRITE_MSG("broken.msg", "Content-Type: application/json\n",
	    "{\"a\": 1} x");
	if (ok(load_tmp_event(&ev, "broken.msg") == 0, "trailing garbage loads")) {
		ok(event_payload(&ev) == NULL, "trailing garbage: no payload");
		event_release(&ev);
	}

	/* nesting beyond the limit is refused, not recursed into */
	for (i = 0; i < 100; i++)
		deep[i] = '[';
	for (i = 100; i < 200; i++)
		deep[i] = ']';
	write_msg("deep.msg", "Content-Type: application/json\n", deep, 200);
	if (ok(load_tmp_event(&ev, "deep.msg") == 0, "deep JSON loads")) {
		ok(event_payload(&ev) == NULL,
		    "100 levels of nesting: no payload");
		event_release(&ev);
	}

	/* internal events carry `event`: {name, data} for custom ones */
	WRITE_MSG("internal.msg", "Hookdir-Provider: hookdir\nHookdir-Event: "
	    "deploy-complete\nContent-Type: application/json\n",
	    "{\"name\":\"deploy-complete\",\"data\":{\"env\":\"prod\"}}");
	if (ok(load_tmp_event(&ev, "internal.msg") == 0, "internal event loads")) {
		is_expr(&ev, "event.name", "deploy-complete");
		is_expr(&ev, "event.data.env", "prod");
		event_release(&ev);
	}

	/* duplicate headers are joined */
	WRITE_MSG("dup.msg", "X-A: 1\nx-a: 2\n", "");
	if (ok(load_tmp_event(&ev, "dup.msg") == 0, "empty body loads")) {
		is_expr(&ev, "headers['x-a']", "1, 2");
		is_expr(&ev, "body", "");
		event_release(&ev);
	}

	/* not a message at all: a dead letter, with the reason */
	WRITE_MSG("bad.msg", "no colon here\n", "x");
	snprintf(path, sizeof(path), "%s/bad.msg", tmp);
	ok(event_load(&ev, "bad.msg", path, &why) == -1 && why != NULL,
	    "a file that is not a message is refused (%s)", why ? why : "");
	snprintf(path, sizeof(path), "%s/missing.msg", tmp);
	ok(event_load(&ev, "missing.msg", path, &why) == -1,
	    "a missing file is refused (%s)", why ? why : "");
}

/* ------------------------------------------------------------ pipelines */

static struct pipeline *
load_pipeline(const char *dir, const char *name, struct diag *d)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/pipelines/%s/%s.json", data, dir,
	    name);
	return pipeline_load_file(path, d);
}

static void
test_pipeline_ok(void)
{
	struct pipeline	*p;
	struct diag	 d;
	size_t		 i;
	char		 order[256] = "";

	diag_init(&d);
	p = load_pipeline("trigger", "combined", &d);
	if (!ok(p != NULL && d.n == 0, "combined.json loads cleanly")) {
		dump(&d);
		diag_release(&d);
		pipeline_free(p);
		return;
	}
	is_str(p->name, "combined", "name from the file name");
	is_int((long long)p->njobs, 3, "three jobs");
	for (i = 0; i < p->njobs; i++) {
		if (i > 0)
			strcat(order, " ");
		strcat(order, p->jobs[p->order[i]].name);
	}
	is_str(order, "build test deploy", "topological order");
	is_int((long long)p->timeout_ms, 30 * 60 * 1000, "timeout 30m");
	is_int((long long)p->nenv, 2, "two env values");
	is_str(p->env[0].name, "REF", "env REF");
	is_int((long long)p->on.nsources, 1, "one source");
	is_int(p->on.source_line, 4, "line of on.source");
	is_int((long long)p->on.nmatch, 1, "one match rule");
	is_str(p->jobs[0].name, "deploy", "jobs in file order");
	is_int((long long)p->jobs[0].nneeds, 2, "deploy needs two");
	ok(p->jobs[0].if_expr != NULL, "deploy has an if");
	is_str(p->jobs[0].steps[0].name, "upload", "a named step");
	is_int((long long)p->jobs[0].steps[0].timeout_ms, 300000, "step timeout");
	is_int(p->jobs[0].line, 14, "line of job deploy");
	is_str(p->jobs[2].steps[0].name, "1", "an unnamed step is its number");
	ok(p->jobs[2].steps[0].continue_on_error, "continue_on_error");
	is_int((long long)p->jobs[2].nneeds, 1, "needs as a string");
	pipeline_free(p);
	diag_release(&d);
}

static void
test_pipeline_errors(void)
{
	struct pipeline	*p;
	struct diag	 d;
	char		 want[PATH_MAX + 256], file[PATH_MAX];

#define WANT(lvl, ...) do {						\
	snprintf(want, sizeof(want), __VA_ARGS__);			\
	if (!ok(diag_has(&d, (lvl), want), "%s", want))			\
		dump(&d);						\
} while (0)

	diag_init(&d);
	snprintf(file, sizeof(file), "%s/pipelines/bad/cycle.json", data);
	p = load_pipeline("bad", "cycle", &d);
	ok(p == NULL, "cycle: not loaded");
	WANT(DIAG_ERROR, "%s:4: jobs: dependency cycle: a -> c -> b -> a", file);
	is_int((long long)d.nerrors, 1, "cycle: one error");
	diag_release(&d);

	diag_init(&d);
	snprintf(file, sizeof(file), "%s/pipelines/bad/unknown-need.json", data);
	p = load_pipeline("bad", "unknown-need", &d);
	ok(p == NULL, "unknown need: not loaded");
	WANT(DIAG_ERROR, "%s:6: jobs.deploy.needs: no job named 'tset'", file);
	diag_release(&d);

	diag_init(&d);
	snprintf(file, sizeof(file), "%s/pipelines/bad/bad-expr.json", data);
	p = load_pipeline("bad", "bad-expr", &d);
	ok(p == NULL, "bad expression: not loaded");
	is_int((long long)d.nerrors, 1, "bad expression: one error");
	if (d.n > 0) {
		/* 4 spaces, "if": and the quote: the expression starts at column 12 */
		snprintf(want, sizeof(want), "%s:4:48: on.if: ", file);
		ok(strncmp(d.v[0].text, want, strlen(want)) == 0,
		    "bad expression: position in the file (%s)", d.v[0].text);
	}
	diag_release(&d);

	diag_init(&d);
	snprintf(file, sizeof(file), "%s/pipelines/bad/unknown-key.json", data);
	p = load_pipeline("bad", "unknown-key", &d);
	ok(p == NULL, "unknown key: not loaded");
	WANT(DIAG_ERROR, "%s:2: on.branch: unknown key", file);
	WANT(DIAG_ERROR, "%s:3: jobs.build.stepz: unknown key", file);
	WANT(DIAG_ERROR, "%s:3: jobs.build: a job needs \"steps\"", file);
	is_int((long long)d.nerrors, 3, "unknown key: three errors");
	diag_release(&d);

	diag_init(&d);
	snprintf(file, sizeof(file), "%s/pipelines/bad/many.json", data);
	p = load_pipeline("bad", "many", &d);
	ok(p == NULL, "many errors: not loaded");
	WANT(DIAG_ERROR, "%s:4: on.events: an empty list matches nothing; "
	    "leave the key out to match everything", file);
	WANT(DIAG_ERROR, "%s:5: on.branches: bad pattern 'release/[0-9': "
	    "'[' without a closing ']'", file);
	WANT(DIAG_ERROR, "%s:6: on.match: $.b: the value must be a string, "
	    "number, boolean or null, or a non-empty list of them", file);
	WANT(DIAG_ERROR, "%s:9: env.1BAD: not a variable name "
	    "([A-Za-z_][A-Za-z0-9_]*)", file);
	WANT(DIAG_ERROR, "%s:9: env.HOOKDIR_X: names starting with HOOKDIR_ "
	    "are reserved for the worker", file);
	WANT(DIAG_ERROR, "%s:9: env.N: must be a string, not a number", file);
	WANT(DIAG_ERROR, "%s:10: secrets: '../etc' is not a name (1-64 of "
	    "[A-Za-z0-9._-], starting with a letter or digit)", file);
	WANT(DIAG_ERROR, "%s:11: timeout: 'soon' is not a duration such as "
	    "\"300s\", \"5m\", \"2h\"", file);
	WANT(DIAG_ERROR, "%s:18: jobs.build.steps[1].name: step name 'one' "
	    "is already used by steps[0]", file);
	WANT(DIAG_ERROR, "%s:19: jobs.build.steps[2].run: must not be empty",
	    file);
	WANT(DIAG_ERROR, "%s:20: jobs.build.steps[3]: must be an object, "
	    "not a string", file);
	WANT(DIAG_ERROR, "%s:21: jobs.build.steps[4].name: 'bad name!' is "
	    "not a name (1-64 of [A-Za-z0-9._-], starting with a letter or "
	    "digit)", file);
	WANT(DIAG_ERROR, "%s:21: jobs.build.steps[4].continue_on_error: must "
	    "be a boolean, not a string", file);
	WANT(DIAG_ERROR, "%s:24: jobs.bad job: a job name is 1-64 of "
	    "[A-Za-z0-9._-], starting with a letter or digit", file);
	WANT(DIAG_ERROR, "%s:25: jobs.self.env.HOOKDIR_Y: names starting with "
	    "HOOKDIR_ are reserved for the worker", file);
	WANT(DIAG_ERROR, "%s:25: jobs.self.env.W: must be a string, not a "
	    "number", file);
	WANT(DIAG_ERROR, "%s:25: jobs: dependency cycle: self -> self", file);
	{
		/* expression errors carry line:col inside the file */
		size_t	i, nexpr = 0;
		char	pfx[PATH_MAX + 32];
		int	line, col;

		snprintf(pfx, sizeof(pfx), "%s:", file);
		for (i = 0; i < d.n; i++) {
			const char *t = d.v[i].text;
			if (strncmp(t, pfx, strlen(pfx)) != 0 ||
			    sscanf(t + strlen(pfx), "%d:%d:", &line,
			    &col) != 2)
				continue;
			nexpr++;
			diag("expression error: %s", t);
			if (strstr(t, ": on.if: ") != NULL)
				/* the quote is at 11; 23 characters, "\\n" and 9 more */
				ok(line == 7 && col == 46, "on.if error at 7:46, "
				    "past the \\n escape (%d:%d)", line, col);
			else if (strstr(t, ": env.OK: ") != NULL)
				ok(line == 9 && col == 50, "template error at "
				    "its '${{', 9:50 (%d:%d)", line, col);
			else if (strstr(t, ": jobs.build.if: ") != NULL)
				ok(line == 14 && col == 31, "job if error at "
				    "the end of the expression, 14:31 (%d:%d)",
				    line, col);
		}
		is_int((long long)nexpr, 3, "three expression errors with "
		    "line:col");
	}
	ok(d.nerrors >= 19, "many: every error reported (%zu)", d.nerrors);
	diag_release(&d);
#undef WANT
}

static void
test_pipelines_dir(void)
{
	struct pipeline_set	 set;
	struct config		 cf;
	struct diag		 d;
	char			 dir[1024], path[PATH_MAX];
	struct timespec		 ts[2];
	FILE			*f;
	size_t			 nerr;

	snprintf(dir, sizeof(dir), "%s/pipelines", tmp);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/good.json", dir);
	f = fopen(path, "w");
	fputs("{ \"on\": {}, \"jobs\": { \"a\": { \"steps\": [ { \"run\": "
	    "\"true\" } ] } } }\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/bad.json", dir);
	f = fopen(path, "w");
	fputs("{ \"on\": {}, \"jobz\": 1 }\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/not a name.json", dir);
	f = fopen(path, "w");
	fputs("{ \"on\": {}, \"jobs\": { \"a\": { \"steps\": [ { \"run\": "
	    "\"true\" } ] } } }\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/.hidden.json", dir);
	f = fopen(path, "w");
	fputs("garbage", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/README", dir);
	f = fopen(path, "w");
	fputs("garbage", f);
	fclose(f);

	memset(&cf, 0, sizeof(cf));
	cf.pipelines = dir;
	diag_init(&d);
	nerr = pipelines_load(&cf, &set, &d);
	is_int((long long)nerr, 3, "pipelines_load: errors of bad.json and "
	    "the bad name");
	is_int((long long)set.n, 1, "pipelines_load: one good pipeline");
	is_int((long long)set.nfiles, 3, "pipelines_load: three .json files "
	    "looked at");
	ok(pipelines_find(&set, "good") != NULL, "pipelines_find good");
	ok(pipelines_find(&set, "bad") == NULL, "pipelines_find bad: absent");
	ok(!pipelines_changed(&set), "unchanged right after loading");
	/* an in-place edit of a file that failed to load is noticed */
	snprintf(path, sizeof(path), "%s/bad.json", dir);
	ts[0].tv_sec = ts[1].tv_sec = 1000000000;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	utimensat(AT_FDCWD, path, ts, 0);
	ok(pipelines_changed(&set), "a changed file is noticed");
	pipelines_release(&set);
	diag_release(&d);

	diag_init(&d);
	nerr = pipelines_load(&cf, &set, &d);
	snprintf(path, sizeof(path), "%s/new.json", dir);
	f = fopen(path, "w");
	fputs("{}", f);
	fclose(f);
	/* the directory's mtime may not move within its clock tick */
	snprintf(path, sizeof(path), "%s", dir);
	ts[0].tv_sec = ts[1].tv_sec = 1000000001;
	utimensat(AT_FDCWD, path, ts, 0);
	ok(pipelines_changed(&set), "a new file is noticed");
	pipelines_release(&set);
	diag_release(&d);

	snprintf(dir, sizeof(dir), "%s/none", tmp);
	cf.pipelines = dir;
	diag_init(&d);
	nerr = pipelines_load(&cf, &set, &d);
	ok(nerr == 0 && d.n == 1 && d.v[0].level == DIAG_WARNING,
	    "a missing directory is a warning");
	ok(!pipelines_changed(&set), "a missing directory stays unchanged");
	pipelines_release(&set);
	diag_release(&d);
}

/* ------------------------------------------------------------ triggers */

static void
check_on(const char *pipeline, const char *event, int want,
    const char *want_trace)
{
	struct pipeline	*p;
	struct event	 ev;
	struct diag	 d;
	struct buf	 trace = BUF_INIT;
	int		 r;

	diag_init(&d);
	p = load_pipeline("trigger", pipeline, &d);
	if (p == NULL) {
		dump(&d);
		ok(0, "%s loads", pipeline);
		diag_release(&d);
		return;
	}
	if (load_event(&ev, event) == -1) {
		ok(0, "%s loads", event);
		pipeline_free(p);
		diag_release(&d);
		return;
	}
	r = trigger_eval(p, &ev, &trace);
	is_int(r, want, "%s on %s: %s", pipeline, event,
	    want ? "runs" : "does not run");
	if (want_trace != NULL)
		is_str(buf_str(&trace), want_trace, "%s on %s: trace",
		    pipeline, event);
	else
		diag("trace: %s", buf_str(&trace));
	ok(strchr(buf_str(&trace), '\n') == NULL, "%s on %s: one line",
	    pipeline, event);
	buf_release(&trace);
	event_release(&ev);
	pipeline_free(p);
	diag_release(&d);
}

static void
test_triggers(void)
{
	/* source */
	check_on("source-site", "github-push", 1, "matched: source `site`");
	check_on("source-site", "stripe-event", 0,
	    "source: got `pay`, want `site`");
	/* events */
	check_on("events-push", "github-push", 1, "matched: events `push`");
	check_on("events-push", "gitea-push", 1, "matched: events `push`");
	check_on("events-push", "github-issues", 0,
	    "events: got `issues`, want `push`");
	check_on("events-push", "slack-command", 0,
	    "events: got ``, want `push`");
	/* branches */
	check_on("branches-main", "github-push", 1, "matched: branches `main`");
	check_on("branches-main", "gitea-push-form", 1,
	    "matched: branches `release/1.2`");
	check_on("branches-main", "github-push-dev", 0,
	    "branches: ref `refs/heads/dev` matches none of `main`, "
	    "`release/*`");
	check_on("branches-main", "bitbucket-push", 0,
	    "branches: ref `refs/heads/feature/login` matches none of `main`, "
	    "`release/*`");
	check_on("branches-main", "github-tag", 0,
	    "branches: ref `refs/tags/v1.2.0` is a tag, not a branch");
	check_on("branches-main", "github-issues", 0,
	    "branches: event `issues` carries no ref (payload.ref is nil)");
	check_on("branches-main", "generic-text", 0,
	    "branches: event `backup` has no JSON payload, so no ref");
	check_on("branches-not-deps", "bitbucket-push", 1,
	    "matched: branches `feature/login`");
	check_on("branches-not-deps", "github-push-dev", 1,
	    "matched: branches `dev`");
	/* tags */
	check_on("tags-v", "github-tag", 1, "matched: tags `v1.2.0`");
	check_on("tags-v", "github-push", 0,
	    "tags: ref `refs/heads/main` is a branch, not a tag");
	check_on("refs-both", "github-tag", 1, "matched: tags `v1.2.0`");
	check_on("refs-both", "github-push", 1, "matched: branches `main`");
	check_on("refs-both", "github-push-dev", 0,
	    "branches: ref `refs/heads/dev` matches none of `main`");
	/* paths */
	check_on("paths-docs", "github-push", 1,
	    "matched: paths `docs/guide/setup.md`");
	check_on("paths-docs", "gitea-push", 1, "matched: paths `docs/index.md`");
	check_on("paths-docs", "github-push-dev", 0,
	    "paths: none of 3 changed files match `docs/**`");
	check_on("paths-docs", "github-tag", 0,
	    "paths: no changed files in 0 commits");
	check_on("paths-docs", "github-issues", 0,
	    "paths: event `issues` lists no changed files (payload.commits "
	    "is nil)");
	check_on("paths-md", "gitea-push", 1, "matched: paths `CHANGELOG.md`");
	check_on("paths-md", "github-push", 0,
	    "paths: none of 4 changed files match `**/*.md`, `!docs/**`");
	/* match */
	check_on("match-repo", "github-push", 1,
	    "matched: match `$.repository.full_name`");
	check_on("match-repo", "gitea-push-form", 1,
	    "matched: match `$.repository.full_name`");
	check_on("match-repo", "github-push-dev", 0,
	    "match: $.repository.full_name got `\"acme/other\"`, want "
	    "`\"acme/site\"`");
	check_on("match-repo", "stripe-event", 0,
	    "match: $.repository.full_name got nothing, want `\"acme/site\"`");
	check_on("match-repo", "generic-text", 0,
	    "match: $.repository.full_name: the event has no JSON payload");
	check_on("match-list", "github-push", 1,
	    "matched: match `$.repository.full_name` "
	    "`$.commits[*].author.username`");
	check_on("match-list", "github-push-dev", 0,
	    "match: $.repository.full_name got `\"acme/other\"`, want one of "
	    "`\"acme/site\"`, `\"acme/blog\"`");
	check_on("match-list", "github-tag", 0,
	    "match: $.commits[*].author.username got nothing, want "
	    "`\"alice\"`");
	check_on("match-amount", "stripe-event", 1,
	    "matched: match `$.data.object.amount` `$.livemode`");
	check_on("match-amount", "github-push", 0,
	    "match: $.data.object.amount got nothing, want one of `1000`, "
	    "`2000`");
	/* if */
	check_on("if-main", "github-push", 1,
	    "matched: if `payload.ref == 'refs/heads/main'`");
	check_on("if-main", "github-push-dev", 0,
	    "if: `payload.ref == 'refs/heads/main'` was false, payload.ref = "
	    "`refs/heads/dev`");
	check_on("if-main", "stripe-event", 0,
	    "if: `payload.ref == 'refs/heads/main'` was false, payload.ref = "
	    "nil");
	check_on("if-nil", "github-issues", 1, NULL);
	check_on("if-nil", "github-push", 0,
	    "if: `payload.pull_request.head.ref == 'x' || "
	    "payload.issue.labels[0].name == 'docs'` was false, "
	    "payload.pull_request.head.ref = nil, "
	    "payload.issue.labels[0].name = nil");
	check_on("if-nil", "generic-text", 0, NULL);
	/* combined, and other senders */
	check_on("combined", "github-push", 1,
	    "matched: source `site`, events `push`, branches `main`, paths "
	    "`docs/guide/setup.md`, match `$.repository.full_name`, if "
	    "`payload.sender.login != 'dependabot[bot]'`");
	check_on("combined", "github-push-dev", 0,
	    "branches: ref `refs/heads/dev` matches none of `main`, "
	    "`release/*`");
	check_on("combined", "github-issues", 0,
	    "events: got `issues`, want `push`");
	check_on("combined", "gitea-push", 0,
	    "source: got `forge`, want `site`");
	check_on("slack-mention", "slack-event", 1,
	    "matched: source `chat`, events `event_callback`, if "
	    "`payload.event.type == 'app_mention' && payload.event.text "
	    "matches 'deploy [a-z]+'`");
	check_on("slack-mention", "slack-command", 0,
	    "events: got ``, want `event_callback`");
	check_on("stripe-paid", "stripe-event", 1,
	    "matched: source `pay`, events `payment_intent.succeeded`, match "
	    "`$.data.object.metadata.plan`");
	check_on("stripe-paid", "github-push", 0,
	    "source: got `site`, want `pay`");
	check_on("gitea-release", "gitea-push-form", 1,
	    "matched: source `forge`, events `push`, branches `release/1.2`, "
	    "if `payload.repository.full_name == 'acme/site' && "
	    "len(payload.commits) > 0`");
	check_on("gitea-release", "gitea-push", 1, NULL);
}

/* The later fields are not looked at once one has failed. */
static void
test_trigger_edge(void)
{
	struct pipeline	*p;
	struct event	 ev;
	struct diag	 d;
	struct buf	 trace = BUF_INIT;
	char		 path[PATH_MAX];
	FILE		*f;

	/* a dependabot push to main: everything but `if` holds */
	WRITE_MSG("bot.msg", "Hookdir-Source: site\nHookdir-Event: push\n"
	    "Content-Type: application/json\n",
	    "{\"ref\":\"refs/heads/main\",\"sender\":{\"login\":"
	    "\"dependabot[bot]\"},\"repository\":{\"full_name\":\"acme/site\"},"
	    "\"commits\":[{\"added\":[\"src/x.c\"]}]}");
	diag_init(&d);
	p = load_pipeline("trigger", "combined", &d);
	if (p != NULL && load_tmp_event(&ev, "bot.msg") == 0) {
		is_int(trigger_eval(p, &ev, &trace), 0, "dependabot: no run");
		is_str(buf_str(&trace), "if: `payload.sender.login != "
		    "'dependabot[bot]'` was false, payload.sender.login = "
		    "`dependabot[bot]`", "dependabot: the if decided");
		event_release(&ev);
	}
	pipeline_free(p);
	diag_release(&d);

	/* internal events never start webhook pipelines */
	buf_reset(&trace);
	WRITE_MSG("int.msg", "Hookdir-Source: site\nHookdir-Provider: hookdir\n"
	    "Hookdir-Event: deployed\n", "");
	diag_init(&d);
	p = load_pipeline("trigger", "source-site", &d);
	if (p != NULL && load_tmp_event(&ev, "int.msg") == 0) {
		is_int(trigger_eval(p, &ev, &trace), 0, "internal: no run");
		is_str(buf_str(&trace), "source: `deployed` is an internal "
		    "event; this pipeline listens to webhooks",
		    "internal: trace");
		event_release(&ev);
	}
	pipeline_free(p);
	diag_release(&d);

	/* chain keys load without a diagnostic; webhooks do not start them */
	buf_reset(&trace);
	snprintf(path, sizeof(path), "%s/chain.json", tmp);
	f = fopen(path, "w");
	fputs("{\n  \"on\": { \"pipeline_complete\": { \"name\": \"build\" } },"
	    "\n  \"jobs\": { \"a\": { \"for_each\": \"x\", \"steps\": [ "
	    "{ \"run\": \"true\", \"retry\": { \"attempts\": 2 } } ] } }\n}\n",
	    f);
	fclose(f);
	diag_init(&d);
	p = pipeline_load_file(path, &d);
	ok(p != NULL && d.n == 0, "chain keys: no diagnostic");
	if (p != NULL) {
		ok(p->on.internal && p->on.pipeline_complete != NULL &&
		    p->on.pipeline_complete->nnames == 1, "pipeline_complete "
		    "loaded");
		ok(p->jobs[0].for_each != NULL &&
		    strcmp(p->jobs[0].for_each_text, "x") == 0, "for_each "
		    "loaded");
		is_int(p->jobs[0].steps[0].retry.attempts, 2, "retry.attempts");
		is_int(p->jobs[0].steps[0].retry.backoff_ms, 1000,
		    "retry.backoff default");
	}
	if (p != NULL && load_event(&ev, "github-push") == 0) {
		is_int(trigger_eval(p, &ev, &trace), 0, "on.pipeline_complete: "
		    "a webhook does not start it");
		ok(strncmp(buf_str(&trace), "source: got webhook `", 21) == 0,
		    "on.pipeline_complete: trace (%s)", buf_str(&trace));
		event_release(&ev);
	}
	pipeline_free(p);
	diag_release(&d);

	/* an empty `on` matches everything */
	buf_reset(&trace);
	snprintf(path, sizeof(path), "%s/all.json", tmp);
	f = fopen(path, "w");
	fputs("{ \"on\": {}, \"jobs\": { \"a\": { \"steps\": [ { \"run\": "
	    "\"true\" } ] } } }\n", f);
	fclose(f);
	diag_init(&d);
	p = pipeline_load_file(path, &d);
	if (p != NULL && load_event(&ev, "generic-text") == 0) {
		is_int(trigger_eval(p, &ev, &trace), 1, "empty on: runs");
		is_str(buf_str(&trace), "matched: any event (no filters in "
		    "`on`)", "empty on: trace");
		event_release(&ev);
	}
	pipeline_free(p);
	diag_release(&d);
	buf_release(&trace);
}

/* A pipeline from text in the temporary directory. */
static struct pipeline *
chain_pipeline(const char *name, const char *text, struct diag *d)
{
	char	 path[PATH_MAX];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s.json", tmp, name);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	return pipeline_load_file(path, d);
}

static int
chain_eval(const struct pipeline *p, const char *headers, const char *body,
    struct buf *trace)
{
	struct event	ev;
	int		r;

	buf_reset(trace);
	write_msg("chain.msg", headers, body, strlen(body));
	if (p == NULL || load_tmp_event(&ev, "chain.msg") == -1)
		return -1;
	r = trigger_eval(p, &ev, trace);
	event_release(&ev);
	return r;
}

#define PC_HEADERS "Hookdir-Source: hookdir\nHookdir-Provider: hookdir\n" \
	"Hookdir-Event: pipeline_complete\nHookdir-Chain-Depth: 1\n" \
	"Content-Type: application/json\n"
#define JC_HEADERS "Hookdir-Source: hookdir\nHookdir-Provider: hookdir\n" \
	"Hookdir-Event: job_complete\nContent-Type: application/json\n"
#define EV_HEADERS "Hookdir-Source: hookdir\nHookdir-Provider: hookdir\n" \
	"Hookdir-Event: deployed\nContent-Type: application/json\n"

static void
test_chain(void)
{
	struct pipeline	*p;
	struct buf	 trace = BUF_INIT;
	struct diag	 d;
	char		 want[512];

	diag_init(&d);
	p = chain_pipeline("after", "{ \"on\": { \"pipeline_complete\": "
	    "{ \"name\": [\"build\", \"lint\"], \"status\": [\"success\"] } },"
	    " \"jobs\": { \"a\": { \"steps\": [ { \"run\": \"true\" } ] } } }",
	    &d);
	ok(p != NULL && d.n == 0, "on.pipeline_complete loads");
	is_int(chain_eval(p, PC_HEADERS, "{\"name\":\"pipeline_complete\","
	    "\"pipeline\":\"build\",\"status\":\"success\"}", &trace), 1,
	    "pipeline_complete: build succeeded: runs");
	is_str(buf_str(&trace), "matched: pipeline_complete.name `build`, "
	    "pipeline_complete.status `success`", "pipeline_complete: trace");
	is_int(chain_eval(p, PC_HEADERS, "{\"pipeline\":\"build\","
	    "\"status\":\"failure\"}", &trace), 0,
	    "pipeline_complete: build failed: no run");
	is_str(buf_str(&trace), "pipeline_complete.status: got `failure`, "
	    "want `success`", "pipeline_complete: status trace");
	is_int(chain_eval(p, PC_HEADERS, "{\"pipeline\":\"deploy\","
	    "\"status\":\"success\"}", &trace), 0,
	    "pipeline_complete: another pipeline: no run");
	is_str(buf_str(&trace), "pipeline_complete.name: got `deploy`, "
	    "want one of `build`, `lint`", "pipeline_complete: name trace");
	is_int(chain_eval(p, EV_HEADERS, "{\"name\":\"deployed\"}", &trace),
	    0, "a custom event does not start it");
	is_int(chain_eval(p, JC_HEADERS, "{}", &trace), 0,
	    "a job_complete does not start it");
	is_str(buf_str(&trace), "on: `job_complete` of ``; this pipeline "
	    "has no on.job_complete", "job_complete: trace");
	pipeline_free(p);

	p = chain_pipeline("jobs", "{ \"on\": { \"job_complete\": "
	    "{ \"pipeline\": \"build\", \"job\": \"test\" } },"
	    " \"jobs\": { \"a\": { \"steps\": [ { \"run\": \"true\" } ] } } }",
	    &d);
	is_int(chain_eval(p, JC_HEADERS, "{\"pipeline\":\"build\","
	    "\"job\":\"test\",\"status\":\"failure\"}", &trace), 1,
	    "job_complete: any status");
	is_int(chain_eval(p, JC_HEADERS, "{\"pipeline\":\"build\","
	    "\"job\":\"lint\",\"status\":\"success\"}", &trace), 0,
	    "job_complete: another job: no run");
	is_str(buf_str(&trace), "job_complete.job: got `lint`, want `test`",
	    "job_complete: job trace");
	pipeline_free(p);

	p = chain_pipeline("custom", "{ \"on\": { \"event\": { \"name\": "
	    "\"deployed\", \"match\": { \"$.env\": \"prod\" }, \"if\": "
	    "\"event.data.ok == true\" } },"
	    " \"jobs\": { \"a\": { \"steps\": [ { \"run\": \"true\" } ] } } }",
	    &d);
	ok(p != NULL && d.n == 0, "on.event loads");
	is_int(chain_eval(p, EV_HEADERS, "{\"name\":\"deployed\",\"data\":"
	    "{\"env\":\"prod\",\"ok\":true}}", &trace), 1,
	    "on.event: name, match and if");
	is_str(buf_str(&trace), "matched: event.name `deployed`, event.match "
	    "`$.env`, event.if `event.data.ok == true`", "on.event: trace");
	is_int(chain_eval(p, EV_HEADERS, "{\"name\":\"deployed\",\"data\":"
	    "{\"env\":\"staging\",\"ok\":true}}", &trace), 0,
	    "on.event: match decides");
	is_str(buf_str(&trace), "event.match: $.env got `\"staging\"`, want "
	    "`\"prod\"`", "on.event: match trace");
	is_int(chain_eval(p, EV_HEADERS, "{\"name\":\"deployed\",\"data\":"
	    "{\"env\":\"prod\",\"ok\":false}}", &trace), 0,
	    "on.event: if decides");
	is_int(chain_eval(p, PC_HEADERS, "{\"pipeline\":\"x\"}", &trace), 0,
	    "on.event: completion events do not start it");
	pipeline_free(p);
	diag_release(&d);

	/* mistakes in the new keys */
	diag_init(&d);
	p = chain_pipeline("badchain", "{ \"on\": { \"source\": \"site\",\n"
	    "\"event\": { \"name\": \"pipeline_complete\" } },\n"
	    "\"concurrency\": { \"mode\": \"debounce\" },\n"
	    "\"jobs\": { \"a\": { \"for_each\": \"(\", \"steps\": [ { \"run\": "
	    "\"true\", \"retry\": { \"attempts\": 0 } } ] } } }", &d);
	ok(p == NULL, "bad chain keys: not loaded");
	snprintf(want, sizeof(want), "%s/badchain.json:2: on.event.name: "
	    "'pipeline_complete' is a completion event: use "
	    "on.pipeline_complete", tmp);
	ok(diag_has(&d, DIAG_ERROR, want), "%s", want);
	snprintf(want, sizeof(want), "%s/badchain.json:1: on: on.source "
	    "filters webhooks; it cannot be combined with on.event, "
	    "on.pipeline_complete or on.job_complete (write two pipelines)",
	    tmp);
	ok(diag_has(&d, DIAG_ERROR, want), "%s", want);
	snprintf(want, sizeof(want), "%s/badchain.json:3: concurrency: a "
	    "\"group\" is needed: runs with the same group value run one at "
	    "a time", tmp);
	ok(diag_has(&d, DIAG_ERROR, want), "%s", want);
	snprintf(want, sizeof(want), "%s/badchain.json:3: concurrency.quiet: "
	    "mode debounce needs \"quiet\": how long the group must be quiet "
	    "before a run starts", tmp);
	ok(diag_has(&d, DIAG_ERROR, want), "%s", want);
	snprintf(want, sizeof(want), "%s/badchain.json:4: "
	    "jobs.a.steps[0].retry.attempts: must be 1 to 100 (the first "
	    "attempt included)", tmp);
	ok(diag_has(&d, DIAG_ERROR, want), "%s", want);
	is_int((long long)d.nerrors, 6, "bad chain keys: six errors");
	if (d.nerrors != 6)
		dump(&d);
	pipeline_free(p);
	diag_release(&d);
	buf_release(&trace);
}

#define MANUAL_HEADERS "Hookdir-Source: hookdir\nHookdir-Provider: hookdir\n" \
	"Hookdir-Event: manual\nContent-Type: application/json\n"

/*
 * The payload is decoded and the environment built when something
 * first needs them: never for a pipeline that only names its source,
 * whatever the body holds; an `if` after it still sees the payload.
 */
static void
test_trigger_lazy(void)
{
	struct pipeline		*src, *ifp, *man;
	struct json_object	*v;
	struct event		 ev;
	struct diag		 d;
	struct buf		 trace = BUF_INIT, body = BUF_INIT;
	const char		*manual = "{\"pipeline\":\"lazy\","
	    "\"inputs\":{\"env\":\"prod\"},\"user\":\"ann\"}";
	size_t			 i;

	diag_init(&d);
	src = load_pipeline("trigger", "source-site", &d);
	ifp = load_pipeline("trigger", "if-main", &d);
	man = chain_pipeline("lazy", "{ \"on\": { \"source\": \"site\" }, "
	    "\"inputs\": { \"env\": { \"type\": \"string\" } }, "
	    "\"jobs\": { \"a\": { \"steps\": [ { \"run\": \"true\" } ] } } }",
	    &d);
	if (src == NULL || ifp == NULL || man == NULL) {
		dump(&d);
		ok(0, "lazy: pipelines load");
		goto out;
	}

	if (load_event(&ev, "github-push") == 0) {
		ok(!ev.lazy.decoded && ev.lazy.env == NULL,
		    "lazy: read, the payload is not decoded yet");
		is_int(trigger_eval(src, &ev, &trace), 1,
		    "lazy: a source-only pipeline runs");
		ok(!ev.lazy.decoded && ev.lazy.env == NULL,
		    "lazy: and decodes nothing");
		buf_reset(&trace);
		is_int(trigger_eval(ifp, &ev, &trace), 1,
		    "lazy: an if on the payload after it sees the payload");
		is_str(buf_str(&trace), "matched: if `payload.ref == "
		    "'refs/heads/main'`", "lazy: the if's trace");
		ok(ev.lazy.decoded && ev.lazy.env != NULL,
		    "lazy: decoded for the if");
		event_release(&ev);
	}

	/* 1 MiB labelled JSON that is not: too deep, then never closed */
	for (i = 0; i < 1024 * 1024; i++)
		buf_addch(&body, i < 512 * 1024 ? '[' : '{');
	write_msg("garbage.msg", "Hookdir-Source: site\n"
	    "Hookdir-Event: push\nContent-Type: application/json\n",
	    buf_str(&body), body.len);
	if (load_tmp_event(&ev, "garbage.msg") == 0) {
		buf_reset(&trace);
		is_int(trigger_eval(src, &ev, &trace), 1,
		    "lazy: garbage body, a source-only pipeline runs");
		ok(!ev.lazy.decoded, "lazy: garbage body not decoded");
		buf_reset(&trace);
		is_int(trigger_eval(ifp, &ev, &trace), 0,
		    "lazy: garbage body, the if finds no payload");
		is_str(buf_str(&trace), "if: `payload.ref == "
		    "'refs/heads/main'` was false, payload.ref = nil",
		    "lazy: the if's trace on a garbage body");
		ok(ev.lazy.decoded && event_payload(&ev) == NULL,
		    "lazy: decoded for the if: no payload");
		event_release(&ev);
	}

	/* a manual run's payload is read with it; its inputs reach env */
	write_msg("manual.msg", MANUAL_HEADERS, manual, strlen(manual));
	if (load_tmp_event(&ev, "manual.msg") == 0) {
		ok(ev.lazy.decoded && ev.lazy.env == NULL,
		    "lazy: manual run: payload decoded as read");
		is_str(ev.run_pipeline, "lazy", "lazy: manual run: pipeline");
		is_str(ev.user, "ann", "lazy: manual run: user");
		ok(event_inputs(&ev) == NULL, "lazy: no inputs before a match");
		buf_reset(&trace);
		is_int(trigger_eval(man, &ev, &trace), 1,
		    "lazy: manual run matches its pipeline");
		v = event_inputs(&ev);
		is_str(v != NULL ? json_object_to_json_string(v) : "NULL",
		    "{ \"env\": \"prod\" }", "lazy: the inputs are set");
		ok(ev.lazy.env == NULL, "lazy: still no environment");
		is_expr(&ev, "inputs.env + '/' + triggeredBy", "prod/manual");
		event_release(&ev);
	}
	/* inputs set after the environment was built replace its own */
	if (load_tmp_event(&ev, "manual.msg") == 0) {
		is_expr(&ev, "len(inputs)", "0");
		buf_reset(&trace);
		is_int(trigger_eval(man, &ev, &trace), 1,
		    "lazy: manual run matches, environment built first");
		is_expr(&ev, "inputs.env", "prod");
		event_release(&ev);
	}
out:
	buf_release(&trace);
	buf_release(&body);
	pipeline_free(src);
	pipeline_free(ifp);
	pipeline_free(man);
	diag_release(&d);
}

static void
cleanup(void)
{
	char	cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		diag("could not remove %s", tmp);
}

int
main(void)
{
	find_data();
	if (mkdtemp(tmp) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_glob();
	test_event_json();
	test_event_form();
	test_event_raw();
	test_pipeline_ok();
	test_pipeline_errors();
	test_pipelines_dir();
	test_triggers();
	test_trigger_edge();
	test_chain();
	test_trigger_lazy();
	cleanup();
	return tap_done();
}
