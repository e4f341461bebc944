/*
 * The JSONPath subset of pipeline `match` fields (see jsonpath.h).
 *
 * A path compiles to a list of steps. Selection walks them breadth
 * first, one step at a time, which keeps document order (each step maps
 * every value, in order, to its children, in order) and needs no
 * recursion however long the path is.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "expr.h"
#include "jsonpath.h"
#include "xmalloc.h"

/* How much of the selected values the trace keeps. */
#define JSONPATH_SEEN_MAX	200

enum step_kind {
	STEP_KEY,
	STEP_INDEX,
	STEP_WILDCARD
};

struct step {
	enum step_kind	 kind;
	char		*key;		/* STEP_KEY, NUL-free */
	long long	 index;		/* STEP_INDEX */
};

struct jsonpath {
	char		*text;
	struct step	*steps;
	size_t		 nsteps;
};

/* A growing list of selected values. */
struct sel {
	struct json_object	**v;
	size_t			  n;
	size_t			  cap;
};

static void
sel_add(struct sel *s, struct json_object *o)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = o;
}

/* Column of byte offset off in text, counting UTF-8 characters. */
static size_t
jsonpath_column(const char *text, size_t off)
{
	size_t	i, col = 1;

	for (i = 0; i < off && text[i] != '\0'; i++)
		if (((unsigned char)text[i] & 0xc0) != 0x80)
			col++;
	return col;
}

static struct step *
jsonpath_add(struct jsonpath *jp, enum step_kind kind)
{
	struct step	*st;

	jp->steps = xreallocarray(jp->steps, jp->nsteps + 1,
	    sizeof(*jp->steps));
	st = &jp->steps[jp->nsteps++];
	st->kind = kind;
	st->key = NULL;
	st->index = 0;
	return st;
}

static int
jsonpath_namech(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c >= 0x80;
}

/*
 * Parse a quoted name starting at the quote s[*ip] into key; on success
 * *ip is past the closing quote. NULL, or the error with *ip at its place.
 */
static const char *
jsonpath_quoted(const char *s, size_t *ip, struct buf *key)
{
	size_t	i = *ip;
	char	q = s[i++];

	buf_reset(key);
	for (;;) {
		if (s[i] == '\0')
			return "unterminated quoted name";
		if (s[i] == q)
			break;
		if (s[i] == '\\') {
			if (s[i + 1] != '\\' && s[i + 1] != '\'' &&
			    s[i + 1] != '"') {
				*ip = i;
				return "unknown escape in a quoted name "
				    "(only \\\\, \\' and \\\")";
			}
			i++;
		}
		buf_addch(key, s[i]);
		i++;
	}
	*ip = i + 1;
	return NULL;
}

/* Parse a bracketed selector, s[*ip] just past '['. */
static const char *
jsonpath_bracket(struct jsonpath *jp, const char *s, size_t *ip,
    struct buf *key)
{
	struct step	*st;
	const char	*msg;
	char		*end;
	long long	 n;
	size_t		 i = *ip;

	while (s[i] == ' ')
		i++;
	*ip = i;
	if (s[i] == '*') {
		jsonpath_add(jp, STEP_WILDCARD);
		i++;
	} else if (s[i] == '\'' || s[i] == '"') {
		if ((msg = jsonpath_quoted(s, ip, key)) != NULL)
			return msg;
		i = *ip;
		st = jsonpath_add(jp, STEP_KEY);
		st->key = xstrdup(buf_str(key));
	} else if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
		if (s[i] == '-' && (s[i + 1] < '0' || s[i + 1] > '9'))
			return "expected digits after '-'";
		errno = 0;
		n = strtoll(s + i, &end, 10);
		if (errno == ERANGE)
			return "array index out of range";
		i = end - s;
		if (s[i] == ':') {
			*ip = i;
			return "array slices are not supported";
		}
		st = jsonpath_add(jp, STEP_INDEX);
		st->index = n;
	} else if (s[i] == '?' || s[i] == '(')
		return "filter and script expressions are not supported";
	else if (s[i] == ':')
		return "array slices are not supported";
	else
		return "expected a quoted name, an index or '*' after '['";
	while (s[i] == ' ')
		i++;
	*ip = i;
	if (s[i] == ',')
		return "unions are not supported";
	if (s[i] != ']')
		return "expected ']'";
	*ip = i + 1;
	return NULL;
}

struct jsonpath *
jsonpath_compile(const char *text, char **errp)
{
	struct jsonpath	*jp;
	struct step	*st;
	struct buf	 key = BUF_INIT;
	const char	*s = text, *msg = NULL;
	size_t		 i = 0, start;
	char		 what[64];
	unsigned char	 c;

	if (errp != NULL)
		*errp = NULL;
	jp = xcalloc(1, sizeof(*jp));
	jp->text = xstrdup(text);
	if (s[0] != '$') {
		msg = "a path starts with '$'";
		goto fail;
	}
	i = 1;
	while (s[i] != '\0') {
		if (s[i] == '[') {
			i++;
			if ((msg = jsonpath_bracket(jp, s, &i, &key)) != NULL)
				goto fail;
			continue;
		}
		if (s[i] != '.') {
			c = (unsigned char)s[i];
			if (c > 0x20 && c < 0x7f)
				snprintf(what, sizeof(what),
				    "unexpected character '%c'", c);
			else if (c == ' ')
				snprintf(what, sizeof(what),
				    "unexpected space");
			else
				snprintf(what, sizeof(what),
				    "unexpected byte 0x%02x", c);
			msg = what;
			goto fail;
		}
		i++;
		if (s[i] == '.') {
			i--;
			msg = "recursive descent '..' is not supported";
			goto fail;
		}
		if (s[i] == '*') {
			jsonpath_add(jp, STEP_WILDCARD);
			i++;
			continue;
		}
		start = i;
		while (jsonpath_namech((unsigned char)s[i]))
			i++;
		if (i == start) {
			msg = "expected a member name or '*' after '.'";
			goto fail;
		}
		st = jsonpath_add(jp, STEP_KEY);
		st->key = xstrndup(s + start, i - start);
	}
	buf_release(&key);
	return jp;

fail:
	if (errp != NULL)
		xasprintf(errp, "column %zu: %s", jsonpath_column(text, i),
		    msg);
	buf_release(&key);
	jsonpath_free(jp);
	return NULL;
}

void
jsonpath_free(struct jsonpath *jp)
{
	size_t	i;

	if (jp == NULL)
		return;
	for (i = 0; i < jp->nsteps; i++)
		free(jp->steps[i].key);
	free(jp->steps);
	free(jp->text);
	free(jp);
}

const char *
jsonpath_text(const struct jsonpath *jp)
{
	return jp->text;
}

/* Append to next what step st selects from o (NULL is a JSON null). */
static void
jsonpath_step(const struct step *st, struct json_object *o, struct sel *next)
{
	struct json_object	*v;
	size_t			 i, len;
	long long		 idx;

	switch (st->kind) {
	case STEP_KEY:
		if (json_object_is_type(o, json_type_object) &&
		    json_object_object_get_ex(o, st->key, &v))
			sel_add(next, v);
		break;
	case STEP_INDEX:
		if (!json_object_is_type(o, json_type_array))
			break;
		len = json_object_array_length(o);
		idx = st->index;
		if (idx < 0)
			idx += (long long)len;
		if (idx >= 0 && (unsigned long long)idx < len)
			sel_add(next, json_object_array_get_idx(o,
			    (size_t)idx));
		break;
	case STEP_WILDCARD:
		if (json_object_is_type(o, json_type_array)) {
			len = json_object_array_length(o);
			for (i = 0; i < len; i++)
				sel_add(next, json_object_array_get_idx(o, i));
		} else if (json_object_is_type(o, json_type_object)) {
			json_object_object_foreach(o, k, mv) {
				(void)k;
				sel_add(next, mv);
			}
		}
		break;
	}
}

size_t
jsonpath_select(const struct jsonpath *jp, struct json_object *root,
    struct json_object ***out)
{
	struct sel	cur = { NULL, 0, 0 }, next = { NULL, 0, 0 }, tmp;
	size_t		i, j;

	sel_add(&cur, root);
	for (i = 0; i < jp->nsteps && cur.n > 0; i++) {
		next.n = 0;
		for (j = 0; j < cur.n; j++)
			jsonpath_step(&jp->steps[i], cur.v[j], &next);
		tmp = cur;
		cur = next;
		next = tmp;
	}
	free(next.v);
	if (cur.n == 0) {
		free(cur.v);
		cur.v = NULL;
	}
	*out = cur.v;
	return cur.n;
}

/* Compact JSON of o, cut short (on a UTF-8 boundary) for the trace. */
static void
jsonpath_render(struct buf *out, struct json_object **v, size_t n)
{
	struct buf	 tmp = BUF_INIT;
	size_t		 i, cut;

	if (n == 0) {
		buf_addstr(out, "nothing");
		return;
	}
	if (n > 1)
		buf_addch(&tmp, '[');
	for (i = 0; i < n && tmp.len <= JSONPATH_SEEN_MAX; i++) {
		if (i > 0)
			buf_addch(&tmp, ',');
		buf_addstr(&tmp, v[i] == NULL ? "null" :
		    json_object_to_json_string_ext(v[i],
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	}
	if (n > 1 && i == n)
		buf_addch(&tmp, ']');
	if (tmp.len > JSONPATH_SEEN_MAX || i < n) {
		cut = tmp.len < JSONPATH_SEEN_MAX ? tmp.len : JSONPATH_SEEN_MAX;
		while (cut > 0 && ((unsigned char)tmp.data[cut] & 0xc0) == 0x80)
			cut--;
		buf_add(out, tmp.data, cut);
		buf_addstr(out, "...");
	} else
		buf_add(out, tmp.data, tmp.len);
	buf_release(&tmp);
}

/* Can a selected value equal want, a scalar (or null) from the config? */
static int
jsonpath_equal(struct json_object *v, struct json_object *want)
{
	if (json_object_is_type(v, json_type_object) ||
	    json_object_is_type(v, json_type_array))
		return 0;
	return expr_equal(v, want);
}

int
jsonpath_match(const struct jsonpath *jp, struct json_object *root,
    struct json_object *want, struct buf *seen)
{
	struct json_object	**v;
	size_t			  n, i, j, nw;
	int			  hit = 0;

	n = jsonpath_select(jp, root, &v);
	for (i = 0; i < n && !hit; i++) {
		if (json_object_is_type(want, json_type_array)) {
			nw = json_object_array_length(want);
			for (j = 0; j < nw && !hit; j++)
				hit = jsonpath_equal(v[i],
				    json_object_array_get_idx(want, j));
		} else
			hit = jsonpath_equal(v[i], want);
	}
	if (seen != NULL)
		jsonpath_render(seen, v, n);
	free(v);
	return hit;
}
