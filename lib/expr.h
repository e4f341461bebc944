/*
 * Expressions of pipeline `if` conditions and `${{ }}` templates: a small
 * nil-safe language in the spirit of expr-lang, evaluated over json-c
 * values. A NULL json_object pointer is nil (JSON null).
 *
 *	literals	'x' "x" (escapes \\ \' \" \n \t \r), 12, 1.5, 2e3,
 *			true false nil null, [a, b, ...]
 *	names		members of the environment object: payload, headers...
 *	access		a.b  a['x-y']  a[0]  a[-1]  a[expr]
 *	operators	(lowest first)
 *			|| or
 *			&& and
 *			== != < <= > >= in, not in, matches, contains,
 *			startsWith, endsWith (do not chain)
 *			+ -
 *			* / %
 *			! not -  (unary)
 *	functions	len(x) lower(s) upper(s) contains(a, b)
 *			startsWith(a, b) endsWith(a, b)
 *
 * A member of nil or of a non-object, a missing key or an index out of
 * range is nil, never an error. Operators on the wrong types yield nil
 * (arithmetic) or false (comparisons); see expr.c for each.
 */
#ifndef HOOKDIR_EXPR_H
#define HOOKDIR_EXPR_H

#include <stddef.h>

struct json_object;
struct buf;
struct expr;

/* Parser nesting (parentheses, unary operators, brackets) allowed. */
#define EXPR_MAX_NESTING	100

/*
 * Compile text. NULL on a syntax error with *errp set to a malloc'd
 * "LINE:COL: message" (1-based, columns in characters); the caller
 * frees it. A `matches` whose pattern is a string literal compiles the
 * regular expression here, so a bad pattern is a compile error.
 */
struct expr	*expr_compile(const char *text, char **errp);
void		 expr_free(struct expr *);
/* The text the expression was compiled from. */
const char	*expr_text(const struct expr *);

/*
 * Evaluate against env, a JSON object whose members are the top-level
 * names (NULL: every name is nil). On success returns 0 and *result
 * holds a new reference the caller releases with json_object_put()
 * (NULL is nil). On failure (a `matches` pattern computed at run time
 * that does not compile) returns -1 with *errp malloc'd.
 */
int	expr_eval(const struct expr *, struct json_object *env,
	    struct json_object **result, char **errp);

/* nil, false, 0, "" and [] are false; everything else is true. */
int	expr_truthy(struct json_object *);

/* Deep equality: numbers numerically (1 == 1.0), nil == nil, no coercion. */
int	expr_equal(struct json_object *, struct json_object *);

/*
 * Append v as ${{ }} renders it: nil as nothing, a string as itself,
 * anything else as compact JSON.
 */
void	expr_render(struct buf *, struct json_object *);

/*
 * For the trigger trace: append, for each distinct member-access chain
 * with static keys that the expression reads (payload.ref,
 * headers['x-github-event'], payload.commits[0].id), in order of first
 * appearance, "NAME = `VALUE`" or "NAME = nil", joined with ", ".
 * Long values are cut short and control characters escaped.
 */
void	expr_explain(const struct expr *, struct json_object *env,
	    struct buf *out);

/*
 * Templates: text with ${{ expr }} parts, as env values and concurrency
 * groups use. Errors are "LINE:COL: message" relative to text; a ${{
 * without its }} is an error. The text between ${{ and }} is lexed as an
 * expression, so a '}}' inside a string literal does not end it.
 */
struct template;

struct template	*template_compile(const char *text, char **errp);
void		 template_free(struct template *);
/* Does the template have any ${{ }} part? */
int		 template_has_expr(const struct template *);
/* Append the rendering to out: 0, or -1 with *errp malloc'd. */
int		 template_render(const struct template *,
		    struct json_object *env, struct buf *out, char **errp);

#endif
