/*
 * JSON with comments, with positions (see jconf.h).
 *
 * json-c's own tokenizer accepts comments but forgets where things
 * were; configuration errors must name the line, so this small
 * recursive-descent parser builds the same json-c objects and hangs a
 * position record on each of them as userdata.
 *
 * The checks at the end (jconf_want_type() and the others) are those the
 * config and pipeline loaders share, so that both word a problem alike.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "jconf.h"
#include "util.h"
#include "xmalloc.h"

#define JCONF_MAX_DEPTH	64
#define JCONF_MAX_SIZE	(16 * 1024 * 1024)

struct jpos_key {
	char	*key;
	int	 line;
};

struct jpos {
	int		 line;
	int		 col;
	struct jpos_key	*keys;
	size_t		 nkeys;
};

struct parser {
	const char	*s;
	size_t		 len;
	size_t		 pos;
	int		 line;
	size_t		 line_start;
	const char	*file;
	char		*err;
	int		 depth;
};

static struct json_object *parse_value(struct parser *);

static void
jpos_free(struct json_object *o, void *p)
{
	struct jpos	*jp = p;
	size_t		 i;

	(void)o;
	for (i = 0; i < jp->nkeys; i++)
		free(jp->keys[i].key);
	free(jp->keys);
	free(jp);
}

static struct jpos *
jpos_get(struct json_object *o)
{
	if (o == NULL)
		return NULL;
	return json_object_get_userdata(o);
}

static void
jpos_set(struct json_object *o, int line, int col)
{
	struct jpos	*jp;

	jp = xcalloc(1, sizeof(*jp));
	jp->line = line;
	jp->col = col;
	json_object_set_userdata(o, jp, jpos_free);
}

int
jconf_line(struct json_object *o)
{
	struct jpos	*jp = jpos_get(o);

	return jp ? jp->line : 0;
}

int
jconf_col(struct json_object *o)
{
	struct jpos	*jp = jpos_get(o);

	return jp ? jp->col : 0;
}

int
jconf_key_line(struct json_object *o, const char *key)
{
	struct jpos	*jp = jpos_get(o);
	size_t		 i;

	if (jp == NULL)
		return 0;
	for (i = 0; i < jp->nkeys; i++)
		if (strcmp(jp->keys[i].key, key) == 0)
			return jp->keys[i].line;
	return jp->line;
}

static int
col_of(const struct parser *p)
{
	return (int)(p->pos - p->line_start) + 1;
}

static void __attribute__((format(printf, 2, 3)))
perror_at(struct parser *p, const char *fmt, ...)
{
	struct buf	b = BUF_INIT;
	va_list		ap;
	char		msg[256];

	if (p->err != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_printf(&b, "%s:%d:%d: %s", p->file, p->line, col_of(p), msg);
	p->err = buf_detach(&b, NULL);
}

static int
peekc(const struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static void
advance(struct parser *p)
{
	if (p->pos >= p->len)
		return;
	if (p->s[p->pos] == '\n') {
		p->line++;
		p->line_start = p->pos + 1;
	}
	p->pos++;
}

/* Skip white space and comments; -1 on an unterminated comment. */
static int
skip_space(struct parser *p)
{
	int	c;

	for (;;) {
		c = peekc(p);
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			advance(p);
		} else if (c == '/' && p->pos + 1 < p->len &&
		    p->s[p->pos + 1] == '/') {
			while (peekc(p) != -1 && peekc(p) != '\n')
				advance(p);
		} else if (c == '/' && p->pos + 1 < p->len &&
		    p->s[p->pos + 1] == '*') {
			advance(p);
			advance(p);
			for (;;) {
				if (peekc(p) == -1) {
					perror_at(p, "unterminated comment");
					return -1;
				}
				if (peekc(p) == '*' && p->pos + 1 < p->len &&
				    p->s[p->pos + 1] == '/') {
					advance(p);
					advance(p);
					break;
				}
				advance(p);
			}
		} else
			return 0;
	}
}

static int
hex4(const char *s, unsigned *v)
{
	int	i, c;

	*v = 0;
	for (i = 0; i < 4; i++) {
		c = (unsigned char)s[i];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static void
add_utf8(struct buf *b, unsigned cp)
{
	if (cp < 0x80) {
		buf_addch(b, (int)cp);
	} else if (cp < 0x800) {
		buf_addch(b, (int)(0xc0 | (cp >> 6)));
		buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addch(b, (int)(0xe0 | (cp >> 12)));
		buf_addch(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	} else {
		buf_addch(b, (int)(0xf0 | (cp >> 18)));
		buf_addch(b, (int)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addch(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(b, (int)(0x80 | (cp & 0x3f)));
	}
}

/* A string at p->pos (which is '"'), into b. */
static int
parse_string(struct parser *p, struct buf *b)
{
	unsigned	cp, lo;
	int		c;

	advance(p);
	for (;;) {
		c = peekc(p);
		if (c == -1 || c == '\n') {
			perror_at(p, "unterminated string");
			return -1;
		}
		if (c < 0x20) {
			perror_at(p, "control character in string");
			return -1;
		}
		if (c == '"') {
			advance(p);
			return 0;
		}
		if (c != '\\') {
			buf_addch(b, c);
			advance(p);
			continue;
		}
		advance(p);
		c = peekc(p);
		switch (c) {
		case '"': case '\\': case '/':
			buf_addch(b, c);
			break;
		case 'b': buf_addch(b, '\b'); break;
		case 'f': buf_addch(b, '\f'); break;
		case 'n': buf_addch(b, '\n'); break;
		case 'r': buf_addch(b, '\r'); break;
		case 't': buf_addch(b, '\t'); break;
		case 'u':
			if (p->pos + 5 > p->len || hex4(p->s + p->pos + 1, &cp)) {
				perror_at(p, "bad \\u escape");
				return -1;
			}
			p->pos += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && p->pos + 7 <= p->len &&
			    p->s[p->pos + 1] == '\\' && p->s[p->pos + 2] == 'u' &&
			    hex4(p->s + p->pos + 3, &lo) == 0 &&
			    lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p->pos += 6;
			}
			if (cp == 0) {
				perror_at(p, "NUL character in string");
				return -1;
			}
			add_utf8(b, cp);
			break;
		default:
			perror_at(p, "bad escape in string");
			return -1;
		}
		advance(p);
	}
}

static struct json_object *
parse_number(struct parser *p)
{
	size_t		 start = p->pos;
	int		 is_double = 0;
	char		 tmp[64], *end;
	long long	 ll;
	double		 d;

	if (peekc(p) == '-')
		p->pos++;
	while (p->pos < p->len) {
		char c = p->s[p->pos];
		if (c >= '0' && c <= '9')
			;
		else if (c == '.' || c == 'e' || c == 'E' || c == '+' ||
		    c == '-')
			is_double = 1;
		else
			break;
		p->pos++;
	}
	if (p->pos - start >= sizeof(tmp) || p->pos == start) {
		p->pos = start;
		perror_at(p, "bad number");
		return NULL;
	}
	memcpy(tmp, p->s + start, p->pos - start);
	tmp[p->pos - start] = '\0';
	errno = 0;
	if (!is_double) {
		ll = strtoll(tmp, &end, 10);
		if (errno == 0 && *end == '\0' && strcmp(tmp, "-") != 0)
			return json_object_new_int64(ll);
	}
	d = strtod(tmp, &end);
	if (*end != '\0' || end == tmp) {
		p->pos = start;
		perror_at(p, "bad number '%s'", tmp);
		return NULL;
	}
	return json_object_new_double(d);
}

static int
match_word(struct parser *p, const char *w)
{
	size_t	n = strlen(w);

	if (p->len - p->pos >= n && memcmp(p->s + p->pos, w, n) == 0) {
		p->pos += n;
		return 1;
	}
	return 0;
}

static struct json_object *
parse_object(struct parser *p, int line, int col)
{
	struct json_object	*o, *v;
	struct jpos		*jp;
	struct buf		 key = BUF_INIT;
	int			 kline;

	o = json_object_new_object();
	jpos_set(o, line, col);
	jp = jpos_get(o);
	advance(p);	/* { */
	for (;;) {
		if (skip_space(p) == -1)
			goto fail;
		if (peekc(p) == '}') {
			advance(p);
			break;
		}
		if (peekc(p) != '"') {
			perror_at(p, "expected a \"key\" or '}'");
			goto fail;
		}
		kline = p->line;
		buf_reset(&key);
		if (parse_string(p, &key) == -1)
			goto fail;
		if (json_object_object_get_ex(o, buf_str(&key), NULL)) {
			perror_at(p, "duplicate key \"%s\"", buf_str(&key));
			goto fail;
		}
		if (skip_space(p) == -1)
			goto fail;
		if (peekc(p) != ':') {
			perror_at(p, "expected ':' after key \"%s\"",
			    buf_str(&key));
			goto fail;
		}
		advance(p);
		if (skip_space(p) == -1)
			goto fail;
		v = parse_value(p);
		if (p->err != NULL)
			goto fail;
		json_object_object_add(o, buf_str(&key), v);
		jp->keys = xreallocarray(jp->keys, jp->nkeys + 1,
		    sizeof(*jp->keys));
		jp->keys[jp->nkeys].key = xstrdup(buf_str(&key));
		jp->keys[jp->nkeys].line = kline;
		jp->nkeys++;
		if (skip_space(p) == -1)
			goto fail;
		if (peekc(p) == ',') {
			advance(p);
			continue;
		}
		if (peekc(p) == '}') {
			advance(p);
			break;
		}
		perror_at(p, "expected ',' or '}'");
		goto fail;
	}
	buf_release(&key);
	return o;
fail:
	buf_release(&key);
	json_object_put(o);
	return NULL;
}

static struct json_object *
parse_array(struct parser *p, int line, int col)
{
	struct json_object	*a, *v;

	a = json_object_new_array();
	jpos_set(a, line, col);
	advance(p);	/* [ */
	for (;;) {
		if (skip_space(p) == -1)
			goto fail;
		if (peekc(p) == ']') {
			advance(p);
			break;
		}
		v = parse_value(p);
		if (p->err != NULL)
			goto fail;
		json_object_array_add(a, v);
		if (skip_space(p) == -1)
			goto fail;
		if (peekc(p) == ',') {
			advance(p);
			continue;
		}
		if (peekc(p) == ']') {
			advance(p);
			break;
		}
		perror_at(p, "expected ',' or ']'");
		goto fail;
	}
	return a;
fail:
	json_object_put(a);
	return NULL;
}

static struct json_object *
parse_value(struct parser *p)
{
	struct json_object	*v = NULL;
	struct buf		 b = BUF_INIT;
	int			 line = p->line, col = col_of(p), c;

	if (skip_space(p) == -1)
		return NULL;
	line = p->line;
	col = col_of(p);
	c = peekc(p);
	if (++p->depth > JCONF_MAX_DEPTH) {
		perror_at(p, "nested too deeply");
		p->depth--;
		return NULL;
	}
	switch (c) {
	case '{':
		v = parse_object(p, line, col);
		break;
	case '[':
		v = parse_array(p, line, col);
		break;
	case '"':
		if (parse_string(p, &b) == 0)
			v = json_object_new_string_len(buf_str(&b), (int)b.len);
		buf_release(&b);
		break;
	case -1:
		perror_at(p, "unexpected end of file");
		break;
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			v = parse_number(p);
		else if (match_word(p, "true"))
			v = json_object_new_boolean(1);
		else if (match_word(p, "false"))
			v = json_object_new_boolean(0);
		else if (match_word(p, "null"))
			v = NULL;
		else
			perror_at(p, "unexpected character '%c'",
			    c >= 0x20 && c < 0x7f ? c : '?');
		break;
	}
	p->depth--;
	if (v != NULL && jpos_get(v) == NULL)
		jpos_set(v, line, col);
	return v;
}

struct json_object *
jconf_parse(const char *text, size_t len, const char *file, char **errp)
{
	struct parser		 p;
	struct json_object	*v;

	memset(&p, 0, sizeof(p));
	p.s = text;
	p.len = len;
	p.line = 1;
	p.file = file != NULL ? file : "-";
	*errp = NULL;
	v = parse_value(&p);
	if (p.err == NULL && skip_space(&p) == 0 && p.pos < p.len)
		perror_at(&p, "trailing characters after the value");
	if (p.err == NULL && v == NULL)
		perror_at(&p, "null is not a document");
	if (p.err != NULL) {
		json_object_put(v);
		*errp = p.err;
		return NULL;
	}
	return v;
}

struct json_object *
jconf_parse_file(const char *path, char **errp)
{
	struct buf		 b = BUF_INIT;
	struct json_object	*v;

	if (read_file(path, &b, JCONF_MAX_SIZE) == -1) {
		xasprintf(errp, "%s: %s", path, strerror(errno));
		buf_release(&b);
		return NULL;
	}
	v = jconf_parse(b.data, b.len, path, errp);
	buf_release(&b);
	return v;
}

void
diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
diag_release(struct diag *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].text);
	free(d->v);
	diag_init(d);
}

void
diag_add(struct diag *d, enum diag_level level, const char *file, int line,
    const char *key, const char *fmt, ...)
{
	struct buf	b = BUF_INIT;
	va_list		ap;
	char		msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (file != NULL) {
		buf_addstr(&b, file);
		if (line > 0)
			buf_printf(&b, ":%d", line);
		buf_addstr(&b, ": ");
	}
	if (key != NULL)
		buf_printf(&b, "%s: ", key);
	buf_addstr(&b, msg);
	d->v = xreallocarray(d->v, d->n + 1, sizeof(*d->v));
	d->v[d->n].level = level;
	d->v[d->n].text = buf_detach(&b, NULL);
	d->n++;
	if (level == DIAG_ERROR)
		d->nerrors++;
}

void
diag_print(const struct diag *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		fprintf(stderr, "%s: %s\n",
		    d->v[i].level == DIAG_ERROR ? "error" : "warning",
		    d->v[i].text);
}

void
jconf_report(struct diag *d, enum diag_level level, const char *file,
    struct json_object *parent, const char *key, const char *path,
    const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(d, level, file,
	    key != NULL ? jconf_key_line(parent, key) : jconf_line(parent),
	    path, "%s", msg);
}

const char *
jconf_type_name(json_type t)
{
	switch (t) {
	case json_type_null:	return "null";
	case json_type_boolean:	return "a boolean";
	case json_type_double:	return "a number";
	case json_type_int:	return "a number";
	case json_type_object:	return "an object";
	case json_type_array:	return "a list";
	case json_type_string:	return "a string";
	}
	return "a value";
}

int
jconf_want_type(struct diag *d, const char *file, struct json_object *parent,
    const char *key, const char *path, struct json_object *v, json_type t)
{
	if (json_object_get_type(v) == t)
		return 0;
	jconf_report(d, DIAG_ERROR, file, parent, key, path,
	    "must be %s, not %s", jconf_type_name(t),
	    jconf_type_name(json_object_get_type(v)));
	return -1;
}

char *
jconf_get_string(struct diag *d, const char *file, struct json_object *parent,
    const char *key, const char *path, struct json_object *v)
{
	if (jconf_want_type(d, file, parent, key, path, v,
	    json_type_string) == -1)
		return NULL;
	return xstrdup(json_object_get_string(v));
}

long long
jconf_get_duration(struct diag *d, const char *file,
    struct json_object *parent, const char *key, const char *path,
    struct json_object *v)
{
	long long	ms = -1;

	if (json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double)) {
		double dv = json_object_get_double(v);
		if (dv >= 0 && dv < 1e12)
			ms = (long long)(dv * 1000);
	} else if (json_object_is_type(v, json_type_string))
		ms = parse_duration_ms(json_object_get_string(v));
	else {
		jconf_report(d, DIAG_ERROR, file, parent, key, path,
		    "must be a duration (\"30s\", \"5m\") or a number of "
		    "seconds, not %s",
		    jconf_type_name(json_object_get_type(v)));
		return -1;
	}
	if (ms < 0) {
		jconf_report(d, DIAG_ERROR, file, parent, key, path,
		    "'%s' is not a duration such as \"300s\", \"5m\", \"2h\"",
		    json_object_get_string(v));
		return -1;
	}
	return ms;
}

int
jconf_each_string(struct diag *d, const char *file,
    struct json_object *parent, const char *key, const char *path,
    struct json_object *v, int flags, jconf_string_fn *fn, void *arg)
{
	struct json_object	*e;
	size_t			 i, n;
	int			 r = 0;

	if (json_object_is_type(v, json_type_string)) {
		fn(arg, parent, key, path, json_object_get_string(v));
		return 0;
	}
	if (!json_object_is_type(v, json_type_array)) {
		jconf_report(d, DIAG_ERROR, file, parent, key, path,
		    "must be a string or a list of strings, not %s",
		    jconf_type_name(json_object_get_type(v)));
		return -1;
	}
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string)) {
			jconf_report(d, DIAG_ERROR, file, parent, key, path,
			    "element %zu must be a string, not %s", i,
			    jconf_type_name(json_object_get_type(e)));
			r = -1;
			if (flags & JCONF_STOP_AT_BAD)
				break;
			continue;
		}
		fn(arg, parent, key, path, json_object_get_string(e));
	}
	return r;
}
