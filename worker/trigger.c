/*
 * Triggers: does an event start a pipeline, and why (not)? See
 * trigger.h and DESIGN §5.
 *
 * The `on` fields are tried in a fixed order (source, events, branches
 * and tags, paths, match, if); the first that fails decides, and the
 * trace names it with the value the event had, so that "why didn't my
 * hook fire?" is answered by reading one line.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "event.h"
#include "expr.h"
#include "jsonpath.h"
#include "pipeline.h"
#include "trigger.h"
#include "xmalloc.h"

/* Longest value quoted in a trace, in bytes. */
#define TRACE_VALUE_MAX	120
/* Changed files looked at for `paths` (a push lists far fewer). */
#define PATHS_MAX	10000
/* Backtracking budget of one glob match; patterns are short. */
#define GLOB_STEPS_MAX	100000

/* ------------------------------------------------------------ globs */

/*
 * A bracket expression at p ('[' already passed): does c match it?
 * *end is set past the closing ']'. -1 if the class is not closed.
 */
static int
glob_class(const char *p, int c, const char **end)
{
	int	neg = 0, hit = 0, lo, hi;

	if (*p == '!' || *p == '^') {
		neg = 1;
		p++;
	}
	/* a ']' first is a member, as in POSIX */
	if (*p == ']') {
		hit |= c == ']';
		p++;
	}
	while (*p != ']') {
		if (*p == '\0')
			return -1;
		if (*p == '\\' && p[1] != '\0')
			p++;
		lo = (unsigned char)*p++;
		hi = lo;
		if (*p == '-' && p[1] != ']' && p[1] != '\0') {
			p++;
			if (*p == '\\' && p[1] != '\0')
				p++;
			hi = (unsigned char)*p++;
		}
		if (c >= lo && c <= hi)
			hit = 1;
	}
	*end = p + 1;
	return hit != neg;
}

static int
glob_rec(const char *pat, const char *p, const char *s, long *steps)
{
	const char	*q, *end;
	int		 r;

	for (;;) {
		if (++*steps > GLOB_STEPS_MAX)
			return 0;
		switch (*p) {
		case '\0':
			return *s == '\0';
		case '*':
			if (p[1] == '*') {
				q = p + 2;
				while (*q == '*')
					q++;
				/* "**" + "/" as a whole segment: any directories, or none */
				if ((p == pat || p[-1] == '/') && *q == '/') {
					if (glob_rec(pat, q + 1, s, steps))
						return 1;
					for (; *s != '\0'; s++)
						if (*s == '/' &&
						    glob_rec(pat, q + 1, s + 1,
						    steps))
							return 1;
					return 0;
				}
				/* elsewhere "**" is anything, '/' included */
				for (;; s++) {
					if (glob_rec(pat, q, s, steps))
						return 1;
					if (*s == '\0')
						return 0;
				}
			}
			for (q = p + 1;; s++) {
				if (glob_rec(pat, q, s, steps))
					return 1;
				if (*s == '\0' || *s == '/')
					return 0;
			}
		case '?':
			if (*s == '\0' || *s == '/')
				return 0;
			p++;
			s++;
			break;
		case '[':
			if (*s == '\0' || *s == '/')
				return 0;
			r = glob_class(p + 1, (unsigned char)*s, &end);
			if (r == -1) {
				/* not a class: a literal '[' */
				if (*s != '[')
					return 0;
				p++;
				s++;
				break;
			}
			if (!r)
				return 0;
			p = end;
			s++;
			break;
		case '\\':
			if (p[1] != '\0')
				p++;
			/* FALLTHROUGH */
		default:
			if (*p != *s)
				return 0;
			p++;
			s++;
			break;
		}
	}
}

int
glob_match(const char *pattern, const char *s)
{
	long	steps = 0;

	return glob_rec(pattern, pattern, s, &steps);
}

int
glob_check(const char *pattern, const char **why)
{
	const char	*p, *end;

	if (*pattern == '\0' || (pattern[0] == '!' && pattern[1] == '\0')) {
		*why = "empty pattern";
		return -1;
	}
	for (p = pattern; *p != '\0'; p++) {
		if (*p == '\\') {
			if (p[1] == '\0') {
				*why = "a '\\' at the end escapes nothing";
				return -1;
			}
			p++;
		} else if (*p == '[') {
			if (glob_class(p + 1, 0, &end) == -1) {
				*why = "'[' without a closing ']'";
				return -1;
			}
			p = end - 1;
		}
	}
	return 0;
}

/*
 * A list of patterns, as `branches` and `paths` hold them: s is in if
 * the last pattern matching it is positive; "!pattern" takes out. A
 * list that starts with an exclusion starts from everything, so
 * ["!*.md"] means every file but the top-level Markdown ones.
 */
static int
patterns_match(char *const *pats, size_t n, const char *s)
{
	size_t	i;
	int	in;

	if (n == 0)
		return 1;
	in = pats[0][0] == '!';
	for (i = 0; i < n; i++) {
		if (pats[i][0] == '!') {
			if (in && glob_match(pats[i] + 1, s))
				in = 0;
		} else if (!in && glob_match(pats[i], s))
			in = 1;
	}
	return in;
}

/* ------------------------------------------------------------ trace text */

/* `value`, on one line, cut when long. */
static void
trace_quote(struct buf *b, const char *s)
{
	size_t	i;

	buf_addch(b, '`');
	for (i = 0; s[i] != '\0' && i < TRACE_VALUE_MAX; i++)
		buf_addch(b, (unsigned char)s[i] < 0x20 ? ' ' : s[i]);
	if (s[i] != '\0')
		buf_addstr(b, "...");
	buf_addch(b, '`');
}

static void
trace_list(struct buf *b, char *const *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addstr(b, ", ");
		trace_quote(b, v[i]);
	}
}

static void
trace_json(struct buf *b, struct json_object *o)
{
	trace_quote(b, o == NULL ? "null" : json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static void
part_sep(struct buf *parts)
{
	if (parts->len > 0)
		buf_addstr(parts, ", ");
}

/* ------------------------------------------------------------ payload */

static struct json_object *
member(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *
member_str(struct json_object *o, const char *key)
{
	struct json_object	*v = member(o, key);

	return json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

struct strlist {
	char	**v;
	size_t	  n;
};

static void
strlist_add(struct strlist *l, char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = s;
}

static void
strlist_release(struct strlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
ref_add(struct strlist *refs, const char *type, const char *name)
{
	char	*r;

	if (name == NULL || type == NULL)
		return;
	if (strcmp(type, "branch") == 0)
		xasprintf(&r, "refs/heads/%s", name);
	else if (strcmp(type, "tag") == 0 || strcmp(type, "annotated_tag") == 0)
		xasprintf(&r, "refs/tags/%s", name);
	else
		return;
	strlist_add(refs, r);
}

/*
 * The git refs an event is about, as "refs/heads/X" or "refs/tags/X":
 * `ref` (GitHub, Gitea, Gogs, Forgejo, GitLab pushes); `ref` with
 * `ref_type` (create and delete events); Bitbucket's push.changes[]
 * with new (or, for a deletion, old) {type, name}.
 */
static void
event_refs(struct json_object *payload, struct strlist *refs)
{
	struct json_object	*changes, *c, *side;
	const char		*ref;
	size_t			 i, n;

	if ((ref = member_str(payload, "ref")) != NULL) {
		if (strncmp(ref, "refs/", 5) == 0)
			strlist_add(refs, xstrdup(ref));
		else
			ref_add(refs, member_str(payload, "ref_type"), ref);
	}
	changes = member(member(payload, "push"), "changes");
	if (!json_object_is_type(changes, json_type_array))
		return;
	n = json_object_array_length(changes);
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(changes, i);
		side = member(c, "new");
		if (!json_object_is_type(side, json_type_object))
			side = member(c, "old");
		ref_add(refs, member_str(side, "type"), member_str(side, "name"));
	}
}

static void
files_add(struct strlist *files, struct json_object *list)
{
	struct json_object	*f;
	const char		*s;
	size_t			 i, k, n;

	if (!json_object_is_type(list, json_type_array))
		return;
	n = json_object_array_length(list);
	for (i = 0; i < n && files->n < PATHS_MAX; i++) {
		f = json_object_array_get_idx(list, i);
		if (!json_object_is_type(f, json_type_string))
			continue;
		s = json_object_get_string(f);
		for (k = 0; k < files->n; k++)
			if (strcmp(files->v[k], s) == 0)
				break;
		if (k == files->n)
			strlist_add(files, xstrdup(s));
	}
}

/*
 * The files a push changed: commits[*].added, modified and removed
 * (GitHub, Gitea, Gogs, GitLab). -1 when the payload has no commits.
 */
static long
event_files(struct json_object *payload, struct strlist *files)
{
	struct json_object	*commits, *c;
	size_t			 i, n;

	commits = member(payload, "commits");
	if (!json_object_is_type(commits, json_type_array))
		return -1;
	n = json_object_array_length(commits);
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(commits, i);
		files_add(files, member(c, "added"));
		files_add(files, member(c, "modified"));
		files_add(files, member(c, "removed"));
	}
	return (long)n;
}

/* ------------------------------------------------------------ fields */

static int
eval_source(const struct trigger_on *on, const struct event *ev,
    struct buf *trace, struct buf *parts)
{
	size_t	i;

	if (on->nsources == 0)
		return 1;
	for (i = 0; i < on->nsources; i++)
		if (strcmp(on->sources[i], ev->source) == 0) {
			part_sep(parts);
			buf_addstr(parts, "source ");
			trace_quote(parts, ev->source);
			return 1;
		}
	buf_addstr(trace, "source: got ");
	trace_quote(trace, ev->source);
	buf_addstr(trace, on->nsources > 1 ? ", want one of " : ", want ");
	trace_list(trace, on->sources, on->nsources);
	return 0;
}

static int
eval_events(const struct trigger_on *on, const struct event *ev,
    struct buf *trace, struct buf *parts)
{
	size_t	i;

	if (on->nevents == 0)
		return 1;
	for (i = 0; i < on->nevents; i++)
		if (strcmp(on->events[i], ev->type) == 0) {
			part_sep(parts);
			buf_addstr(parts, "events ");
			trace_quote(parts, ev->type);
			return 1;
		}
	buf_addstr(trace, "events: got ");
	trace_quote(trace, ev->type);
	buf_addstr(trace, on->nevents > 1 ? ", want one of " : ", want ");
	trace_list(trace, on->events, on->nevents);
	return 0;
}

/*
 * `branches` and `tags` are one decision: a ref is judged by the list
 * of its own kind, so that a pipeline giving both runs for a matching
 * branch or a matching tag (as CI services read them).
 */
static int
eval_refs(const struct trigger_on *on, const struct event *ev,
    struct buf *trace, struct buf *parts)
{
	struct strlist	 refs = { NULL, 0 };
	const char	*r, *field;
	size_t		 i;
	int		 branch;

	if (on->nbranches == 0 && on->ntags == 0)
		return 1;
	field = on->nbranches > 0 ? "branches" : "tags";
	event_refs(event_payload(ev), &refs);
	if (refs.n == 0) {
		buf_printf(trace, "%s: event ", field);
		trace_quote(trace, ev->type);
		buf_addstr(trace, event_payload(ev) == NULL ?
		    " has no JSON payload, so no ref" :
		    " carries no ref (payload.ref is nil)");
		return 0;
	}
	for (i = 0; i < refs.n; i++) {
		r = refs.v[i];
		if (on->nbranches > 0 && strncmp(r, "refs/heads/", 11) == 0 &&
		    patterns_match(on->branches, on->nbranches, r + 11)) {
			part_sep(parts);
			buf_addstr(parts, "branches ");
			trace_quote(parts, r + 11);
			strlist_release(&refs);
			return 1;
		}
		if (on->ntags > 0 && strncmp(r, "refs/tags/", 10) == 0 &&
		    patterns_match(on->tags, on->ntags, r + 10)) {
			part_sep(parts);
			buf_addstr(parts, "tags ");
			trace_quote(parts, r + 10);
			strlist_release(&refs);
			return 1;
		}
	}
	r = refs.v[0];
	branch = strncmp(r, "refs/heads/", 11) == 0;
	if (branch && on->nbranches > 0)
		field = "branches";
	else if (strncmp(r, "refs/tags/", 10) == 0 && on->ntags > 0)
		field = "tags";
	buf_printf(trace, "%s: ref%s ", field, refs.n > 1 ? "s" : "");
	trace_list(trace, refs.v, refs.n);
	if ((branch && on->nbranches > 0) ||
	    (strncmp(r, "refs/tags/", 10) == 0 && on->ntags > 0)) {
		buf_addstr(trace, refs.n > 1 ? " match none of " :
		    " matches none of ");
		if (strcmp(field, "branches") == 0)
			trace_list(trace, on->branches, on->nbranches);
		else
			trace_list(trace, on->tags, on->ntags);
	} else if (branch)
		buf_addstr(trace, " is a branch, not a tag");
	else if (strncmp(r, "refs/tags/", 10) == 0)
		buf_addstr(trace, " is a tag, not a branch");
	else
		buf_addstr(trace, " is neither a branch nor a tag");
	strlist_release(&refs);
	return 0;
}

static int
eval_paths(const struct trigger_on *on, const struct event *ev,
    struct buf *trace, struct buf *parts)
{
	struct strlist	 files = { NULL, 0 };
	long		 ncommits;
	size_t		 i;

	if (on->npaths == 0)
		return 1;
	ncommits = event_files(event_payload(ev), &files);
	if (ncommits == -1) {
		buf_addstr(trace, "paths: event ");
		trace_quote(trace, ev->type);
		buf_addstr(trace, " lists no changed files "
		    "(payload.commits is nil)");
		return 0;
	}
	for (i = 0; i < files.n; i++)
		if (patterns_match(on->paths, on->npaths, files.v[i])) {
			part_sep(parts);
			buf_addstr(parts, "paths ");
			trace_quote(parts, files.v[i]);
			strlist_release(&files);
			return 1;
		}
	if (files.n == 0)
		buf_printf(trace, "paths: no changed files in %ld commit%s",
		    ncommits, ncommits == 1 ? "" : "s");
	else {
		buf_printf(trace, "paths: none of %zu changed file%s match ",
		    files.n, files.n == 1 ? "" : "s");
		trace_list(trace, on->paths, on->npaths);
	}
	strlist_release(&files);
	return 0;
}

/*
 * {JSONPath: value} rules against doc (the payload, or a custom
 * event's data), named label in the trace.
 */
static int
eval_rules(const struct match_rule *rules, size_t nrules,
    struct json_object *doc, const char *label, struct buf *trace,
    struct buf *parts)
{
	const struct match_rule	*r;
	struct buf		 seen = BUF_INIT;
	size_t			 i, k, n;

	if (nrules == 0)
		return 1;
	for (i = 0; i < nrules; i++) {
		r = &rules[i];
		if (doc == NULL) {
			buf_printf(trace, "%s: %s: the event has no JSON "
			    "%s", label, r->path_text,
			    strcmp(label, "match") == 0 ? "payload" : "data");
			return 0;
		}
		buf_reset(&seen);
		if (jsonpath_match(r->path, doc, r->want, &seen))
			continue;
		buf_printf(trace, "%s: %s got ", label, r->path_text);
		/* JSON text, or the bare word nothing */
		if (strcmp(buf_str(&seen), "nothing") == 0)
			buf_addstr(trace, "nothing");
		else
			trace_quote(trace, buf_str(&seen));
		if (json_object_is_type(r->want, json_type_array) &&
		    (n = json_object_array_length(r->want)) > 1) {
			buf_addstr(trace, ", want one of ");
			for (k = 0; k < n; k++) {
				if (k > 0)
					buf_addstr(trace, ", ");
				trace_json(trace,
				    json_object_array_get_idx(r->want, k));
			}
		} else {
			buf_addstr(trace, ", want ");
			trace_json(trace,
			    json_object_is_type(r->want, json_type_array) ?
			    json_object_array_get_idx(r->want, 0) : r->want);
		}
		buf_release(&seen);
		return 0;
	}
	buf_release(&seen);
	part_sep(parts);
	buf_printf(parts, "%s ", label);
	for (i = 0; i < nrules; i++) {
		if (i > 0)
			buf_addstr(parts, " ");
		trace_quote(parts, rules[i].path_text);
	}
	return 1;
}

static int
eval_match(const struct trigger_on *on, const struct event *ev,
    struct buf *trace, struct buf *parts)
{
	/* without rules, no need to decode the payload */
	if (on->nmatch == 0)
		return 1;
	return eval_rules(on->match, on->nmatch, event_payload(ev), "match",
	    trace, parts);
}

/* An `if` (on.if, on.event.if), named label in the trace. */
static int
eval_expr(const struct expr *e, const char *label, struct event *ev,
    struct buf *trace, struct buf *parts)
{
	struct json_object	*result = NULL;
	struct buf		 why = BUF_INIT;
	char			*err = NULL;
	int			 truth;

	if (e == NULL)
		return 1;
	if (expr_eval(e, event_env(ev), &result, &err) == -1) {
		buf_printf(trace, "%s: ", label);
		trace_quote(trace, expr_text(e));
		buf_printf(trace, " failed: %s",
		    err != NULL ? err : "evaluation error");
		free(err);
		return 0;
	}
	truth = expr_truthy(result);
	json_object_put(result);
	if (truth) {
		part_sep(parts);
		buf_printf(parts, "%s ", label);
		trace_quote(parts, expr_text(e));
		return 1;
	}
	buf_printf(trace, "%s: ", label);
	trace_quote(trace, expr_text(e));
	buf_addstr(trace, " was false");
	expr_explain(e, event_env(ev), &why);
	if (why.len > 0)
		buf_printf(trace, ", %s", buf_str(&why));
	buf_release(&why);
	return 0;
}

static int
eval_if(const struct trigger_on *on, struct event *ev, struct buf *trace,
    struct buf *parts)
{
	return eval_expr(on->if_expr, "if", ev, trace, parts);
}

/* ------------------------------------------------------------ internal */

/*
 * One field of an internal event against a list (none: any): the
 * value is a string member of the body, "" when absent.
 */
static int
eval_field(char *const *want, size_t nwant, const char *label,
    const char *got, struct buf *trace, struct buf *parts)
{
	size_t	i;

	if (nwant == 0)
		return 1;
	for (i = 0; i < nwant; i++)
		if (strcmp(want[i], got) == 0) {
			part_sep(parts);
			buf_printf(parts, "%s ", label);
			trace_quote(parts, got);
			return 1;
		}
	buf_printf(trace, "%s: got ", label);
	trace_quote(trace, got);
	buf_addstr(trace, nwant > 1 ? ", want one of " : ", want ");
	trace_list(trace, want, nwant);
	return 0;
}

static const char *
body_str(const struct event *ev, const char *key)
{
	const char	*s = member_str(event_payload(ev), key);

	return s != NULL ? s : "";
}

static int
eval_pipeline_complete(const struct on_pipeline_complete *pc,
    const struct event *ev, struct buf *trace, struct buf *parts)
{
	if (pc == NULL) {
		buf_addstr(trace, "on: `pipeline_complete` of ");
		trace_quote(trace, body_str(ev, "pipeline"));
		buf_addstr(trace, "; this pipeline has no "
		    "on.pipeline_complete");
		return 0;
	}
	return eval_field(pc->names, pc->nnames, "pipeline_complete.name",
	    body_str(ev, "pipeline"), trace, parts) &&
	    eval_field(pc->statuses, pc->nstatuses, "pipeline_complete.status",
	    body_str(ev, "status"), trace, parts);
}

static int
eval_job_complete(const struct on_job_complete *jc, const struct event *ev,
    struct buf *trace, struct buf *parts)
{
	if (jc == NULL) {
		buf_addstr(trace, "on: `job_complete` of ");
		trace_quote(trace, body_str(ev, "pipeline"));
		buf_addstr(trace, "; this pipeline has no on.job_complete");
		return 0;
	}
	return eval_field(jc->pipelines, jc->npipelines,
	    "job_complete.pipeline", body_str(ev, "pipeline"), trace, parts) &&
	    eval_field(jc->jobs, jc->njobs, "job_complete.job",
	    body_str(ev, "job"), trace, parts) &&
	    eval_field(jc->statuses, jc->nstatuses, "job_complete.status",
	    body_str(ev, "status"), trace, parts);
}

static int
eval_custom(const struct on_event *oe, struct event *ev, struct buf *trace,
    struct buf *parts)
{
	struct json_object	*data = NULL;

	if (oe == NULL) {
		buf_addstr(trace, "on: event ");
		trace_quote(trace, ev->type);
		buf_addstr(trace, " from `hookdir emit`; this pipeline has "
		    "no on.event");
		return 0;
	}
	if (!json_object_is_type(event_payload(ev), json_type_object) ||
	    !json_object_object_get_ex(event_payload(ev), "data", &data))
		data = NULL;
	return eval_field(oe->names, oe->nnames, "event.name", ev->type,
	    trace, parts) &&
	    eval_rules(oe->match, oe->nmatch, data, "event.match", trace,
	    parts) &&
	    eval_expr(oe->if_expr, "event.if", ev, trace, parts);
}

/*
 * An internal event against on.pipeline_complete, on.job_complete or
 * on.event, whichever its type calls for; then on.match and on.if.
 */
static int
eval_internal(const struct trigger_on *on, struct event *ev,
    struct buf *trace, struct buf *parts)
{
	int	ok;

	if (strcmp(ev->type, "pipeline_complete") == 0)
		ok = eval_pipeline_complete(on->pipeline_complete, ev, trace,
		    parts);
	else if (strcmp(ev->type, "job_complete") == 0)
		ok = eval_job_complete(on->job_complete, ev, trace, parts);
	else
		ok = eval_custom(on->event, ev, trace, parts);
	return ok && eval_match(on, ev, trace, parts) &&
	    eval_if(on, ev, trace, parts);
}

/*
 * A manual run (`hookdir run`) or a dispatch: it names its pipeline,
 * whose `on` is not evaluated ("manual runs always pass"); a dispatch
 * needs the pipeline's "dispatch": true. The inputs are checked here
 * too (the pipeline may have changed since `hookdir run` checked them)
 * and, when it matches, become inputs.NAME.
 */
static int
eval_run(const struct pipeline *p, struct event *ev, struct buf *trace,
    struct buf *parts)
{
	struct json_object	*inputs;
	char			*err;
	int			 dispatch;

	dispatch = strcmp(ev->triggered_by, "dispatch") == 0;
	if (ev->run_pipeline == NULL) {
		buf_addstr(trace, "pipeline: the event names no pipeline "
		    "(\"pipeline\" in the body)");
		return 0;
	}
	if (strcmp(ev->run_pipeline, p->name) != 0) {
		buf_printf(trace, "pipeline: %s names ",
		    dispatch ? "a dispatch" : "a manual run");
		trace_quote(trace, ev->run_pipeline);
		return 0;
	}
	if (dispatch && !p->dispatch) {
		buf_addstr(trace, "dispatch: refused, this pipeline does not "
		    "opt in (\"dispatch\": true)");
		return 0;
	}
	if ((inputs = pipeline_inputs(p, ev->run_inputs, &err)) == NULL) {
		buf_addstr(trace, err);
		free(err);
		return 0;
	}
	event_set_inputs(ev, inputs);
	buf_addstr(parts, dispatch ? "a dispatch of this pipeline" :
	    "a manual run of this pipeline");
	if (ev->user != NULL) {
		buf_addstr(parts, " by ");
		trace_quote(parts, ev->user);
	}
	buf_addstr(parts, " (`on` is not evaluated)");
	return 1;
}

int
trigger_eval(const struct pipeline *p, struct event *ev, struct buf *trace)
{
	const struct trigger_on	*on = &p->on;
	struct buf		 parts = BUF_INIT;
	size_t			 start = trace->len, i;
	int			 ok;

	if (ev->triggered_by != NULL &&
	    (strcmp(ev->triggered_by, "manual") == 0 ||
	    strcmp(ev->triggered_by, "dispatch") == 0))
		ok = eval_run(p, ev, trace, &parts);
	else if (strcmp(ev->provider, "hookdir") == 0 && on->internal)
		ok = eval_internal(on, ev, trace, &parts);
	else if (strcmp(ev->provider, "hookdir") == 0) {
		/* completion events must not re-trigger webhook pipelines */
		buf_addstr(trace, "source: ");
		trace_quote(trace, ev->type);
		buf_addstr(trace, " is an internal event; this pipeline "
		    "listens to webhooks");
		ok = 0;
	} else if (on->internal) {
		buf_addstr(trace, "source: got webhook ");
		trace_quote(trace, ev->source);
		buf_addstr(trace, "; this pipeline listens to internal events "
		    "(on.event, on.pipeline_complete, on.job_complete)");
		ok = 0;
	} else {
		ok = eval_source(on, ev, trace, &parts) &&
		    eval_events(on, ev, trace, &parts) &&
		    eval_refs(on, ev, trace, &parts) &&
		    eval_paths(on, ev, trace, &parts) &&
		    eval_match(on, ev, trace, &parts) &&
		    eval_if(on, ev, trace, &parts);
	}
	if (ok) {
		buf_addstr(trace, "matched: ");
		buf_addstr(trace, parts.len > 0 ? buf_str(&parts) :
		    "any event (no filters in `on`)");
	}
	buf_release(&parts);
	/* a trace is one line, whatever the payload held */
	for (i = start; i < trace->len; i++)
		if (trace->data[i] == '\n' || trace->data[i] == '\r')
			trace->data[i] = ' ';
	return ok;
}
