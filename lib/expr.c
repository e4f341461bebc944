/*
 * Expressions (see expr.h): a lexer producing one token at a time, a
 * recursive-descent parser building a tree, and a tree-walking
 * evaluator over json-c values.
 *
 * Expressions come from configuration files that anyone able to edit a
 * pipeline writes, and are fuzzed, so the parser bounds its own
 * recursion (EXPR_MAX_NESTING) and the height of the tree it builds
 * (EXPR_MAX_HEIGHT); evaluation, freeing and explaining recurse along
 * the tree and are bounded by the latter.
 */
#include "autoconf.h"

#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "expr.h"
#include "xmalloc.h"

/*
 * Left-associative chains (a || b || c ...) grow the tree without
 * growing the parser's recursion, so the height is bounded separately.
 */
#define EXPR_MAX_HEIGHT		500

/* How much of one value expr_explain() shows. */
#define EXPR_EXPLAIN_MAX	120

/*
 * The most a `matches` pattern may cost regcomp() (see regex_copies()):
 * copies of its most repeated part, and those times its length. Past a
 * thousand copies glibc's time and memory grow with their square when
 * the part can match empty ("x+*++++++++++"): a second and 80 MB at 2048.
 */
#define REGEX_MAX_COPIES	1000.0
#define REGEX_MAX_COST		1000000.0
/* How deep parentheses in a pattern may nest. */
#define REGEX_MAX_GROUPS	64

enum tok_type {
	T_EOF,
	T_ERROR,
	T_IDENT,
	T_INT,
	T_FLOAT,
	T_STRING,
	T_LPAREN,
	T_RPAREN,
	T_LBRACK,
	T_RBRACK,
	T_COMMA,
	T_DOT,
	T_EQ,
	T_NE,
	T_LT,
	T_LE,
	T_GT,
	T_GE,
	T_ANDAND,
	T_OROR,
	T_BANG,
	T_PLUS,
	T_MINUS,
	T_STAR,
	T_SLASH,
	T_PERCENT,
	T_CLOSE			/* }}, the end of a template part */
};

struct token {
	enum tok_type	 type;
	const char	*start;
	size_t		 len;
	int		 line;
	int		 col;
	long long	 ival;		/* T_INT */
	double		 dval;		/* T_FLOAT */
};

enum node_kind {
	N_LIT,
	N_ARRAY,
	N_NAME,
	N_MEMBER,
	N_INDEX,
	N_CALL,
	N_NOT,
	N_NEG,
	N_OR,
	N_AND,
	N_EQ,
	N_NE,
	N_LT,
	N_LE,
	N_GT,
	N_GE,
	N_IN,
	N_NOTIN,
	N_MATCHES,
	N_CONTAINS,
	N_STARTS,
	N_ENDS,
	N_ADD,
	N_SUB,
	N_MUL,
	N_DIV,
	N_MOD
};

enum func {
	F_LEN,
	F_LOWER,
	F_UPPER
};

struct node {
	enum node_kind		  kind;
	int			  line;
	int			  col;
	int			  height;
	struct json_object	 *lit;		/* N_LIT; NULL is nil */
	char			 *name;		/* N_NAME, N_MEMBER */
	enum func		  fn;		/* N_CALL */
	regex_t			 *re;		/* N_MATCHES, literal pattern */
	struct node		**kid;
	size_t			  nkid;
};

struct expr {
	char		*text;
	struct node	*root;
};

struct parser {
	const char	*pos;		/* next byte to lex */
	int		 line;		/* of pos */
	int		 col;
	int		 depth;
	int		 ntok;		/* tokens consumed so far */
	struct token	 tok;		/* current token */
	struct token	 prev;		/* last consumed token */
	struct buf	 str;		/* decoded value of a T_STRING */
	char		*err;
};

static const struct {
	const char	*name;
	enum node_kind	 kind;
	enum func	 fn;
	size_t		 nargs;
} funcs[] = {
	{ "len",	N_CALL,		F_LEN,		1 },
	{ "lower",	N_CALL,		F_LOWER,	1 },
	{ "upper",	N_CALL,		F_UPPER,	1 },
	{ "contains",	N_CONTAINS,	F_LEN,		2 },
	{ "startsWith",	N_STARTS,	F_LEN,		2 },
	{ "endsWith",	N_ENDS,		F_LEN,		2 },
};

static void	node_free(struct node *);
static int	eval(const struct node *, struct json_object *,
		    struct json_object **, char **);
static struct node *parse_expr(struct parser *);
static struct node *parse_unary(struct parser *);

/*
 * Positions
 */

/* Step over one byte, keeping line and (character) column. */
static void
pos_advance(const char **pos, int *line, int *col)
{
	unsigned char	c = (unsigned char)**pos;

	(*pos)++;
	if (c == '\n') {
		(*line)++;
		*col = 1;
	} else if (((unsigned char)**pos & 0xc0) != 0x80)
		(*col)++;
}

static void __attribute__((format(printf, 4, 5)))
parse_error(struct parser *p, int line, int col, const char *fmt, ...)
{
	va_list	ap;
	char	msg[512];

	if (p->err != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xasprintf(&p->err, "%d:%d: %s", line, col, msg);
}

/* A token as error messages quote it. */
static void
tok_describe(const struct token *t, char *dst, size_t len)
{
	size_t	n = t->len;

	if (t->type == T_EOF || t->type == T_ERROR) {
		snprintf(dst, len, t->type == T_EOF ? "end of expression" :
		    "an invalid token");
		return;
	}
	if (n > 24) {
		n = 24;
		while (n > 0 && ((unsigned char)t->start[n] & 0xc0) == 0x80)
			n--;
	}
	if (t->type == T_STRING)
		snprintf(dst, len, "string %.*s%s", (int)n, t->start,
		    n < t->len ? "..." : "");
	else if (t->type == T_INT || t->type == T_FLOAT)
		snprintf(dst, len, "number %.*s", (int)n, t->start);
	else
		snprintf(dst, len, "'%.*s%s'", (int)n, t->start,
		    n < t->len ? "..." : "");
}

/*
 * Lexer
 */

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_identstart(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_identch(int c)
{
	return is_identstart(c) || is_digit(c);
}

static void
lex_adv(struct parser *p)
{
	pos_advance(&p->pos, &p->line, &p->col);
}

static void
lex_string(struct parser *p, struct token *t)
{
	char	q = *p->pos, c;
	int	line, col;

	lex_adv(p);
	buf_reset(&p->str);
	for (;;) {
		c = *p->pos;
		if (c == '\0' || c == '\n') {
			parse_error(p, t->line, t->col, "unterminated string");
			t->type = T_ERROR;
			return;
		}
		if (c == q)
			break;
		if (c == '\\') {
			line = p->line;
			col = p->col;
			switch (p->pos[1]) {
			case '\\':
			case '\'':
			case '"':
				c = p->pos[1];
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case '\0':
			case '\n':
				parse_error(p, t->line, t->col,
				    "unterminated string");
				t->type = T_ERROR;
				return;
			default:
				if (p->pos[1] > 0x20 && p->pos[1] < 0x7f)
					parse_error(p, line, col,
					    "unknown escape '\\%c' in string",
					    p->pos[1]);
				else
					parse_error(p, line, col,
					    "unknown escape in string");
				t->type = T_ERROR;
				return;
			}
			lex_adv(p);
		}
		buf_addch(&p->str, c);
		lex_adv(p);
	}
	lex_adv(p);
	t->type = T_STRING;
}

static void
lex_number(struct parser *p, struct token *t)
{
	const char	*s = p->pos;
	int		 isfloat = 0;
	char		*end;

	while (is_digit(*p->pos))
		lex_adv(p);
	if (p->pos[0] == '.' && is_digit(p->pos[1])) {
		isfloat = 1;
		lex_adv(p);
		while (is_digit(*p->pos))
			lex_adv(p);
	}
	if ((p->pos[0] == 'e' || p->pos[0] == 'E') && (is_digit(p->pos[1]) ||
	    ((p->pos[1] == '+' || p->pos[1] == '-') && is_digit(p->pos[2])))) {
		isfloat = 1;
		lex_adv(p);
		lex_adv(p);
		while (is_digit(*p->pos))
			lex_adv(p);
	}
	if (is_identch(*p->pos) || *p->pos == '.') {
		parse_error(p, t->line, t->col, "invalid number literal");
		t->type = T_ERROR;
		return;
	}
	errno = 0;
	if (isfloat) {
		t->dval = strtod(s, &end);
		if (errno == ERANGE || !isfinite(t->dval)) {
			parse_error(p, t->line, t->col,
			    "number literal out of range");
			t->type = T_ERROR;
			return;
		}
		t->type = T_FLOAT;
	} else {
		t->ival = strtoll(s, &end, 10);
		if (errno == ERANGE) {
			parse_error(p, t->line, t->col,
			    "integer literal out of range");
			t->type = T_ERROR;
			return;
		}
		t->type = T_INT;
	}
}

static void
lex_unexpected(struct parser *p, struct token *t)
{
	const unsigned char	*s = (const unsigned char *)p->pos;
	size_t			 i, n = 0;

	if (*s > 0x20 && *s < 0x7f) {
		parse_error(p, t->line, t->col, "unexpected character '%c'",
		    *s);
		return;
	}
	/* Quote a whole UTF-8 character (a pasted '≠' or '“'). */
	if (*s >= 0xc2 && *s <= 0xf4) {
		n = *s >= 0xf0 ? 4 : *s >= 0xe0 ? 3 : 2;
		for (i = 1; i < n; i++)
			if ((s[i] & 0xc0) != 0x80)
				n = 0;
	}
	if (n > 0)
		parse_error(p, t->line, t->col, "unexpected character '%.*s'",
		    (int)n, (const char *)s);
	else
		parse_error(p, t->line, t->col, "unexpected byte 0x%02x", *s);
}

/* Lex the next token into p->tok. */
static void
lex(struct parser *p)
{
	struct token	*t = &p->tok;
	char		 c;

	if (p->err != NULL) {
		t->type = T_ERROR;
		t->len = 0;
		return;
	}
	while (*p->pos == ' ' || *p->pos == '\t' || *p->pos == '\n' ||
	    *p->pos == '\r')
		lex_adv(p);
	t->start = p->pos;
	t->len = 0;
	t->line = p->line;
	t->col = p->col;
	c = *p->pos;
	if (c == '\0')
		t->type = T_EOF;
	else if (is_identstart(c)) {
		while (is_identch(*p->pos))
			lex_adv(p);
		t->type = T_IDENT;
	} else if (is_digit(c))
		lex_number(p, t);
	else if (c == '\'' || c == '"')
		lex_string(p, t);
	else {
		const char	*two = p->pos;
		size_t		 n = 1;

		switch (c) {
		case '(':	t->type = T_LPAREN; break;
		case ')':	t->type = T_RPAREN; break;
		case '[':	t->type = T_LBRACK; break;
		case ']':	t->type = T_RBRACK; break;
		case ',':	t->type = T_COMMA; break;
		case '.':	t->type = T_DOT; break;
		case '+':	t->type = T_PLUS; break;
		case '-':	t->type = T_MINUS; break;
		case '*':	t->type = T_STAR; break;
		case '/':	t->type = T_SLASH; break;
		case '%':	t->type = T_PERCENT; break;
		case '<':
			t->type = two[1] == '=' ? T_LE : T_LT;
			break;
		case '>':
			t->type = two[1] == '=' ? T_GE : T_GT;
			break;
		case '!':
			t->type = two[1] == '=' ? T_NE : T_BANG;
			break;
		case '=':
			if (two[1] != '=') {
				parse_error(p, t->line, t->col, "'=' is not "
				    "an operator; use '==' to compare");
				t->type = T_ERROR;
				return;
			}
			t->type = T_EQ;
			break;
		case '&':
		case '|':
			if (two[1] != c) {
				parse_error(p, t->line, t->col,
				    "unexpected character '%c'; use '%c%c' or "
				    "'%s'", c, c, c, c == '&' ? "and" : "or");
				t->type = T_ERROR;
				return;
			}
			t->type = c == '&' ? T_ANDAND : T_OROR;
			break;
		case '}':
			if (two[1] == '}') {
				t->type = T_CLOSE;
				break;
			}
			/* FALLTHROUGH */
		default:
			lex_unexpected(p, t);
			t->type = T_ERROR;
			return;
		}
		if (t->type == T_LE || t->type == T_GE || t->type == T_NE ||
		    t->type == T_EQ || t->type == T_ANDAND ||
		    t->type == T_OROR || t->type == T_CLOSE)
			n = 2;
		while (n-- > 0)
			lex_adv(p);
	}
	t->len = p->pos - t->start;
}

static void
advance(struct parser *p)
{
	p->prev = p->tok;
	p->ntok++;
	lex(p);
}

static int
tok_is(const struct parser *p, const char *word)
{
	return p->tok.type == T_IDENT && strlen(word) == p->tok.len &&
	    memcmp(p->tok.start, word, p->tok.len) == 0;
}

/*
 * Does the text after the current token start with word (a whole word if
 * it is one)? A look ahead for "not in" and "contains(".
 */
static int
next_is(const struct parser *p, const char *word)
{
	const char	*s = p->pos;
	size_t		 n = strlen(word);

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (strncmp(s, word, n) != 0)
		return 0;
	return !is_identch(word[0]) || !is_identch(s[n]);
}

/*
 * Tree
 */

static struct node *
node_new(enum node_kind kind, int line, int col)
{
	struct node	*n;

	n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->line = line;
	n->col = col;
	n->height = 1;
	return n;
}

static void
node_add(struct node *n, struct node *kid)
{
	n->kid = xreallocarray(n->kid, n->nkid + 1, sizeof(*n->kid));
	n->kid[n->nkid++] = kid;
	if (kid->height + 1 > n->height)
		n->height = kid->height + 1;
}

/* Check the height of a finished node: n, or NULL (freed) if too tall. */
static struct node *
node_check(struct parser *p, struct node *n)
{
	if (n->height <= EXPR_MAX_HEIGHT)
		return n;
	parse_error(p, n->line, n->col, "expression too complex "
	    "(more than %d operators deep)", EXPR_MAX_HEIGHT);
	node_free(n);
	return NULL;
}

static struct node *
node_binary(struct parser *p, enum node_kind kind, const struct token *op,
    struct node *a, struct node *b)
{
	struct node	*n;

	n = node_new(kind, op->line, op->col);
	node_add(n, a);
	node_add(n, b);
	return node_check(p, n);
}

static void
node_free(struct node *n)
{
	size_t	i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkid; i++)
		node_free(n->kid[i]);
	free(n->kid);
	json_object_put(n->lit);
	free(n->name);
	if (n->re != NULL) {
		regfree(n->re);
		free(n->re);
	}
	free(n);
}

/*
 * Parser. Each function returns a node, or NULL with p->err set and
 * everything it built freed.
 */

static struct node *
parse_call(struct parser *p, const struct token *name)
{
	struct node	*n, *arg;
	size_t		 i;
	char		 what[64];

	for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
		if (strlen(funcs[i].name) == name->len &&
		    memcmp(funcs[i].name, name->start, name->len) == 0)
			break;
	if (i == sizeof(funcs) / sizeof(funcs[0])) {
		parse_error(p, name->line, name->col, "unknown function '%.*s'",
		    (int)(name->len > 64 ? 64 : name->len), name->start);
		return NULL;
	}
	n = node_new(funcs[i].kind, name->line, name->col);
	n->fn = funcs[i].fn;
	advance(p);		/* ( */
	if (p->tok.type != T_RPAREN) {
		for (;;) {
			if ((arg = parse_expr(p)) == NULL) {
				node_free(n);
				return NULL;
			}
			node_add(n, arg);
			if (p->tok.type != T_COMMA)
				break;
			advance(p);
		}
	}
	if (p->tok.type != T_RPAREN) {
		tok_describe(&p->tok, what, sizeof(what));
		parse_error(p, p->tok.line, p->tok.col,
		    "expected ')' after argument list, found %s", what);
		node_free(n);
		return NULL;
	}
	advance(p);
	if (n->nkid != funcs[i].nargs) {
		parse_error(p, name->line, name->col,
		    "%s() takes %zu argument%s, got %zu", funcs[i].name,
		    funcs[i].nargs, funcs[i].nargs == 1 ? "" : "s", n->nkid);
		node_free(n);
		return NULL;
	}
	return node_check(p, n);
}

static struct node *
parse_array(struct parser *p)
{
	struct token	 open = p->tok;
	struct node	*n, *el;
	char		 what[64];

	n = node_new(N_ARRAY, open.line, open.col);
	advance(p);
	while (p->tok.type != T_RBRACK) {
		if ((el = parse_expr(p)) == NULL) {
			node_free(n);
			return NULL;
		}
		node_add(n, el);
		if (p->tok.type == T_COMMA) {
			advance(p);
			continue;
		}
		if (p->tok.type != T_RBRACK) {
			tok_describe(&p->tok, what, sizeof(what));
			parse_error(p, p->tok.line, p->tok.col, "expected ',' "
			    "or ']' in the array opened at %d:%d, found %s",
			    open.line, open.col, what);
			node_free(n);
			return NULL;
		}
	}
	advance(p);
	return node_check(p, n);
}

static int
is_reserved(const struct parser *p)
{
	static const char *const words[] = {
		"and", "or", "not", "in", "matches", "contains",
		"startsWith", "endsWith"
	};
	size_t	i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (tok_is(p, words[i]))
			return 1;
	return 0;
}

static struct node *
parse_primary(struct parser *p)
{
	struct token	 t = p->tok;
	struct node	*n;
	char		 what[64], prev[64];

	switch (t.type) {
	case T_INT:
		n = node_new(N_LIT, t.line, t.col);
		n->lit = json_object_new_int64(t.ival);
		advance(p);
		return n;
	case T_FLOAT:
		n = node_new(N_LIT, t.line, t.col);
		n->lit = json_object_new_double(t.dval);
		advance(p);
		return n;
	case T_STRING:
		n = node_new(N_LIT, t.line, t.col);
		n->lit = json_object_new_string_len(buf_str(&p->str),
		    (int)p->str.len);
		advance(p);
		return n;
	case T_LPAREN:
		advance(p);
		if ((n = parse_expr(p)) == NULL)
			return NULL;
		if (p->tok.type != T_RPAREN) {
			tok_describe(&p->tok, what, sizeof(what));
			parse_error(p, p->tok.line, p->tok.col, "expected ')' "
			    "to close the '(' at %d:%d, found %s", t.line,
			    t.col, what);
			node_free(n);
			return NULL;
		}
		advance(p);
		return n;
	case T_LBRACK:
		return parse_array(p);
	case T_IDENT:
		if (tok_is(p, "true") || tok_is(p, "false")) {
			n = node_new(N_LIT, t.line, t.col);
			n->lit = json_object_new_boolean(tok_is(p, "true"));
			advance(p);
			return n;
		}
		if (tok_is(p, "nil") || tok_is(p, "null")) {
			n = node_new(N_LIT, t.line, t.col);
			advance(p);
			return n;
		}
		/* contains(a, b) and friends are also functions. */
		if (is_reserved(p) && !(next_is(p, "(") &&
		    (tok_is(p, "contains") || tok_is(p, "startsWith") ||
		    tok_is(p, "endsWith"))))
			break;
		advance(p);
		if (p->tok.type == T_LPAREN)
			return parse_call(p, &t);
		n = node_new(N_NAME, t.line, t.col);
		n->name = xstrndup(t.start, t.len);
		return n;
	default:
		break;
	}
	if (p->ntok == 0 && (t.type == T_EOF || t.type == T_CLOSE)) {
		parse_error(p, t.line, t.col, "empty expression");
		return NULL;
	}
	tok_describe(&t, what, sizeof(what));
	if (p->ntok == 0)
		parse_error(p, t.line, t.col, "expected a value, found %s",
		    what);
	else {
		tok_describe(&p->prev, prev, sizeof(prev));
		parse_error(p, t.line, t.col,
		    "expected a value after %s, found %s", prev, what);
	}
	return NULL;
}

static struct node *
parse_postfix(struct parser *p)
{
	struct node	*n, *m, *idx;
	struct token	 t;
	char		 what[64];

	if ((n = parse_primary(p)) == NULL)
		return NULL;
	for (;;) {
		t = p->tok;
		if (t.type == T_DOT) {
			advance(p);
			if (p->tok.type != T_IDENT) {
				tok_describe(&p->tok, what, sizeof(what));
				parse_error(p, p->tok.line, p->tok.col,
				    "expected a member name after '.', found "
				    "%s (use [N] for an index)", what);
				node_free(n);
				return NULL;
			}
			m = node_new(N_MEMBER, t.line, t.col);
			m->name = xstrndup(p->tok.start, p->tok.len);
			node_add(m, n);
			advance(p);
		} else if (t.type == T_LBRACK) {
			advance(p);
			if ((idx = parse_expr(p)) == NULL) {
				node_free(n);
				return NULL;
			}
			if (p->tok.type != T_RBRACK) {
				tok_describe(&p->tok, what, sizeof(what));
				parse_error(p, p->tok.line, p->tok.col,
				    "expected ']' after index, found %s", what);
				node_free(idx);
				node_free(n);
				return NULL;
			}
			advance(p);
			m = node_new(N_INDEX, t.line, t.col);
			node_add(m, n);
			node_add(m, idx);
		} else if (t.type == T_LPAREN) {
			parse_error(p, t.line, t.col, "unexpected '(': only "
			    "len, lower, upper, contains, startsWith and "
			    "endsWith can be called");
			node_free(n);
			return NULL;
		} else
			return n;
		if ((n = node_check(p, m)) == NULL)
			return NULL;
	}
}

/* Fold the sign into a number literal, so that a[-1] stays static. */
static struct node *
fold_negative(struct node *n)
{
	int64_t	i;

	if (n->kind != N_LIT)
		return NULL;
	if (json_object_is_type(n->lit, json_type_int)) {
		i = json_object_get_int64(n->lit);
		json_object_put(n->lit);
		if (i == INT64_MIN)
			n->lit = json_object_new_double(-(double)i);
		else
			n->lit = json_object_new_int64(-i);
		return n;
	}
	if (json_object_is_type(n->lit, json_type_double)) {
		double	d = json_object_get_double(n->lit);

		json_object_put(n->lit);
		n->lit = json_object_new_double(-d);
		return n;
	}
	return NULL;
}

static struct node *
parse_unary(struct parser *p)
{
	struct token	 t = p->tok;
	struct node	*n, *operand;
	enum node_kind	 kind;

	if (t.type == T_BANG || tok_is(p, "not"))
		kind = N_NOT;
	else if (t.type == T_MINUS)
		kind = N_NEG;
	else
		return parse_postfix(p);
	advance(p);
	if (++p->depth > EXPR_MAX_NESTING) {
		parse_error(p, t.line, t.col, "expression nested too deeply "
		    "(more than %d levels)", EXPR_MAX_NESTING);
		p->depth--;
		return NULL;
	}
	operand = parse_unary(p);
	p->depth--;
	if (operand == NULL)
		return NULL;
	if (kind == N_NEG && fold_negative(operand) != NULL) {
		operand->line = t.line;
		operand->col = t.col;
		return operand;
	}
	n = node_new(kind, t.line, t.col);
	node_add(n, operand);
	return node_check(p, n);
}

static struct node *
parse_mul(struct parser *p)
{
	struct node	*a, *b;
	struct token	 op;
	enum node_kind	 kind;

	if ((a = parse_unary(p)) == NULL)
		return NULL;
	for (;;) {
		op = p->tok;
		if (op.type == T_STAR)
			kind = N_MUL;
		else if (op.type == T_SLASH)
			kind = N_DIV;
		else if (op.type == T_PERCENT)
			kind = N_MOD;
		else
			return a;
		advance(p);
		if ((b = parse_unary(p)) == NULL) {
			node_free(a);
			return NULL;
		}
		if ((a = node_binary(p, kind, &op, a, b)) == NULL)
			return NULL;
	}
}

static struct node *
parse_add(struct parser *p)
{
	struct node	*a, *b;
	struct token	 op;
	enum node_kind	 kind;

	if ((a = parse_mul(p)) == NULL)
		return NULL;
	for (;;) {
		op = p->tok;
		if (op.type == T_PLUS)
			kind = N_ADD;
		else if (op.type == T_MINUS)
			kind = N_SUB;
		else
			return a;
		advance(p);
		if ((b = parse_mul(p)) == NULL) {
			node_free(a);
			return NULL;
		}
		if ((a = node_binary(p, kind, &op, a, b)) == NULL)
			return NULL;
	}
}

/*
 * The comparison operator at the current token, or 0 (N_LIT). "not" is
 * one only when "in" follows.
 */
static enum node_kind
cmp_kind(const struct parser *p)
{
	switch (p->tok.type) {
	case T_EQ:	return N_EQ;
	case T_NE:	return N_NE;
	case T_LT:	return N_LT;
	case T_LE:	return N_LE;
	case T_GT:	return N_GT;
	case T_GE:	return N_GE;
	case T_IDENT:
		if (tok_is(p, "in"))
			return N_IN;
		if (tok_is(p, "not") && next_is(p, "in"))
			return N_NOTIN;
		if (tok_is(p, "matches"))
			return N_MATCHES;
		if (tok_is(p, "contains"))
			return N_CONTAINS;
		if (tok_is(p, "startsWith"))
			return N_STARTS;
		if (tok_is(p, "endsWith"))
			return N_ENDS;
		break;
	default:
		break;
	}
	return N_LIT;
}

/*
 * The weight of the interval {n}, {n,}, {n,m} or {,m} at s (just past
 * its '{'): how many copies of what it repeats regcomp() makes.
 */
static double
regex_interval(const char *s)
{
	double	n = 0, m = -1;

	while (*s >= '0' && *s <= '9' && n < 1e6)
		n = n * 10 + (*s++ - '0');
	if (*s == ',') {
		s++;
		if (*s >= '0' && *s <= '9') {
			m = 0;
			while (*s >= '0' && *s <= '9' && m < 1e6)
				m = m * 10 + (*s++ - '0');
		} else
			m = n + 1;	/* {n,}: n copies and a star */
	}
	if (m > n)
		n = m;
	return n < 1 ? 1 : n;
}

/*
 * What compiling an ERE costs glibc's regcomp(), which copies a
 * repeated part once per repetition (a+ is aa*, a{3} is aaa): repeating
 * a repetition multiplies, so that "a{9}{9}{9}{9}{9}{9}{9}" or twenty
 * nested "(...)+" need gigabytes. Returns the copies of the pattern's
 * most repeated part, and in *cost those times the pattern's length; -1
 * when groups nest deeper than REGEX_MAX_GROUPS, -2 for two repetition
 * operators in a row ("a?+", "a{2}{3}"): POSIX leaves their meaning
 * undefined, and a few of them make regcomp() run for minutes (a group
 * says the same thing: "(a?)+"). An estimate: regcomp() still judges the
 * syntax.
 */
static double
regex_copies(const char *pat, double *cost)
{
	double		 most[REGEX_MAX_GROUPS + 1], last = 0, w;
	const char	*s = pat;
	int		 depth = 0, repeated = 0;

	most[0] = 1;
	while (*s != '\0') {
		if (!strchr("*?+{", *s))
			repeated = 0;
		switch (*s) {
		case '(':
			if (++depth > REGEX_MAX_GROUPS)
				return -1;
			most[depth] = 1;
			last = 0;
			s++;
			continue;
		case ')':
			if (depth == 0)
				break;
			/* The group, as one part: its most copied inside. */
			last = most[depth--];
			if (last > most[depth])
				most[depth] = last;
			s++;
			continue;
		case '|':
			last = 0;
			s++;
			continue;
		case '*':
		case '?':
		case '+':
		case '{':
			if (last == 0)
				break;
			if (repeated)
				return -2;
			repeated = 1;
			w = *s == '+' ? 2 : *s == '{' ? regex_interval(s + 1) : 1;
			last *= w;
			if (last > most[depth])
				most[depth] = last;
			if (*s++ == '{') {
				while ((*s >= '0' && *s <= '9') || *s == ',')
					s++;
				if (*s == '}')
					s++;
			}
			continue;
		case '\\':
			if (s[1] != '\0')
				s++;
			break;
		case '[':
			/* A bracket expression is one atom: []...] and [^]...] too. */
			s++;
			if (*s == '^')
				s++;
			if (*s == ']')
				s++;
			while (*s != '\0' && *s != ']') {
				if (*s == '[' && (s[1] == ':' || s[1] == '.' ||
				    s[1] == '=')) {
					char close = s[1];
					for (s += 2; *s != '\0' && !(*s == close &&
					    s[1] == ']'); s++)
						;
					if (*s != '\0')
						s++;
				}
				if (*s != '\0')
					s++;
			}
			if (*s == '\0')
				continue;
			break;
		default:
			break;
		}
		/* An atom: one copy, until a quantifier says more. */
		last = 1;
		s++;
	}
	/* Unclosed groups too: regcomp() builds them before it complains. */
	for (; depth > 0; depth--)
		if (most[depth] > most[depth - 1])
			most[depth - 1] = most[depth];
	*cost = most[0] * (double)(s - pat);
	return most[0];
}

/*
 * regcomp() for `matches`: 0, or -1 with the reason in msg. A pattern
 * that would cost too much (regex_copies()) is refused before regcomp()
 * sees it: patterns may come from payloads at run time.
 */
static int
regex_compile(regex_t *re, const char *pat, char *msg, size_t len)
{
	double	copies, cost = 0;
	int	rc;

	copies = regex_copies(pat, &cost);
	if (copies == -2) {
		snprintf(msg, len, "two repetition operators in a row "
		    "(group the first: \"(a?)+\")");
		return -1;
	}
	if (copies < 0 || copies > REGEX_MAX_COPIES ||
	    cost > REGEX_MAX_COST) {
		snprintf(msg, len, "%s", copies < 0 ? "parentheses nest too "
		    "deep" : "its repetitions would need too much "
		    "memory");
		return -1;
	}
	if ((rc = regcomp(re, pat, REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(rc, re, msg, len);
		return -1;
	}
	return 0;
}

/* Compile a literal `matches` pattern now, so a bad one fails the config. */
static int
compile_literal_regex(struct parser *p, struct node *n)
{
	struct node	*pat = n->kid[1];
	const char	*s;
	char		 msg[256];

	if (pat->kind != N_LIT || !json_object_is_type(pat->lit,
	    json_type_string))
		return 0;
	s = json_object_get_string(pat->lit);
	n->re = xmalloc(sizeof(*n->re));
	if (regex_compile(n->re, s, msg, sizeof(msg)) == -1) {
		free(n->re);
		n->re = NULL;
		parse_error(p, pat->line, pat->col,
		    "invalid regular expression: %s", msg);
		return -1;
	}
	return 0;
}

static struct node *
parse_cmp(struct parser *p)
{
	struct node	*a, *b, *n;
	struct token	 op;
	enum node_kind	 kind;
	char		 what[64];

	if ((a = parse_add(p)) == NULL)
		return NULL;
	op = p->tok;
	if ((kind = cmp_kind(p)) == N_LIT) {
		if (tok_is(p, "not")) {
			parse_error(p, op.line, op.col,
			    "expected 'in' after 'not'");
			node_free(a);
			return NULL;
		}
		return a;
	}
	advance(p);
	if (kind == N_NOTIN)
		advance(p);
	if ((b = parse_add(p)) == NULL) {
		node_free(a);
		return NULL;
	}
	if ((n = node_binary(p, kind, &op, a, b)) == NULL)
		return NULL;
	if (kind == N_MATCHES && compile_literal_regex(p, n) == -1) {
		node_free(n);
		return NULL;
	}
	if (cmp_kind(p) != N_LIT) {
		tok_describe(&p->tok, what, sizeof(what));
		parse_error(p, p->tok.line, p->tok.col, "comparisons do not "
		    "chain: %s after a comparison needs parentheses or '&&'",
		    what);
		node_free(n);
		return NULL;
	}
	return n;
}

static struct node *
parse_and(struct parser *p)
{
	struct node	*a, *b;
	struct token	 op;

	if ((a = parse_cmp(p)) == NULL)
		return NULL;
	while (p->tok.type == T_ANDAND || tok_is(p, "and")) {
		op = p->tok;
		advance(p);
		if ((b = parse_cmp(p)) == NULL) {
			node_free(a);
			return NULL;
		}
		if ((a = node_binary(p, N_AND, &op, a, b)) == NULL)
			return NULL;
	}
	return a;
}

static struct node *
parse_or(struct parser *p)
{
	struct node	*a, *b;
	struct token	 op;

	if ((a = parse_and(p)) == NULL)
		return NULL;
	while (p->tok.type == T_OROR || tok_is(p, "or")) {
		op = p->tok;
		advance(p);
		if ((b = parse_and(p)) == NULL) {
			node_free(a);
			return NULL;
		}
		if ((a = node_binary(p, N_OR, &op, a, b)) == NULL)
			return NULL;
	}
	return a;
}

static struct node *
parse_expr(struct parser *p)
{
	struct node	*n;

	if (++p->depth > EXPR_MAX_NESTING) {
		parse_error(p, p->tok.line, p->tok.col, "expression nested "
		    "too deeply (more than %d levels)", EXPR_MAX_NESTING);
		p->depth--;
		return NULL;
	}
	n = parse_or(p);
	p->depth--;
	return n;
}

/*
 * Parse one expression starting at pos (at line:col of the whole text).
 * In a template (tmpl), the expression must end with '}}', and *endp is
 * set past it; the ${{ opened at oline:ocol.
 */
static struct expr *
expr_parse(const char *pos, int *line, int *col, int tmpl, int oline,
    int ocol, const char **endp, char **errp)
{
	struct parser	 p;
	struct expr	*e = NULL;
	struct node	*root;
	const char	*start = pos, *stop;
	char		 what[64];

	memset(&p, 0, sizeof(p));
	p.pos = pos;
	p.line = *line;
	p.col = *col;
	buf_init(&p.str);
	lex(&p);
	root = parse_expr(&p);
	if (root != NULL && p.err == NULL) {
		if (tmpl && p.tok.type == T_EOF)
			parse_error(&p, oline, ocol, "unterminated '${{': "
			    "no '}}' after the expression");
		else if (tmpl && p.tok.type != T_CLOSE) {
			tok_describe(&p.tok, what, sizeof(what));
			parse_error(&p, p.tok.line, p.tok.col,
			    "expected '}}', found %s", what);
		} else if (!tmpl && p.tok.type != T_EOF) {
			tok_describe(&p.tok, what, sizeof(what));
			parse_error(&p, p.tok.line, p.tok.col,
			    "unexpected %s after the expression", what);
		}
	}
	buf_release(&p.str);
	if (p.err != NULL) {
		node_free(root);
		if (errp != NULL)
			*errp = p.err;
		else
			free(p.err);
		return NULL;
	}
	e = xcalloc(1, sizeof(*e));
	e->root = root;
	if (tmpl) {
		/* The text of a part is what stands between ${{ and }}. */
		stop = p.tok.start;
		while (*start == ' ' || *start == '\t' || *start == '\n' ||
		    *start == '\r')
			start++;
		while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t' ||
		    stop[-1] == '\n' || stop[-1] == '\r'))
			stop--;
		e->text = xstrndup(start, stop - start);
		*endp = p.pos;
		*line = p.line;
		*col = p.col;
	} else
		e->text = xstrdup(start);
	return e;
}

struct expr *
expr_compile(const char *text, char **errp)
{
	int	line = 1, col = 1;

	if (errp != NULL)
		*errp = NULL;
	return expr_parse(text, &line, &col, 0, 0, 0, NULL, errp);
}

void
expr_free(struct expr *e)
{
	if (e == NULL)
		return;
	node_free(e->root);
	free(e->text);
	free(e);
}

const char *
expr_text(const struct expr *e)
{
	return e->text;
}

/*
 * Values
 */

struct num {
	int	isint;
	int64_t	i;
	double	d;
};

static int
num_get(struct json_object *o, struct num *n)
{
	switch (json_object_get_type(o)) {
	case json_type_int:
		n->isint = 1;
		n->i = json_object_get_int64(o);
#if defined(JSON_C_VERSION_NUM) && JSON_C_VERSION_NUM >= ((0 << 16) | (14 << 8))
		/* An unsigned value above INT64_MAX is clamped: keep its size. */
		if (n->i == INT64_MAX && json_object_get_uint64(o) >
		    (uint64_t)INT64_MAX) {
			n->isint = 0;
			n->d = (double)json_object_get_uint64(o);
		}
#endif
		if (n->isint)
			n->d = (double)n->i;
		return 1;
	case json_type_double:
		n->isint = 0;
		n->d = json_object_get_double(o);
		return 1;
	default:
		return 0;
	}
}

/*
 * An integer against a double, exactly: converting the integer would
 * round above 2^53 (and INT64_MAX + 1, which overflowed into a double,
 * would equal INT64_MAX). -1, 0, 1, or 2 when unordered (NaN).
 */
static int
num_cmp_mixed(int64_t i, double d)
{
	int64_t	t;
	double	frac;

	if (isnan(d))
		return 2;
	if (d >= 9223372036854775808.0)
		return -1;
	if (d < -9223372036854775808.0)
		return 1;
	t = (int64_t)d;		/* in range: truncation is exact */
	if (i != t)
		return i < t ? -1 : 1;
	frac = d - (double)t;
	return frac > 0 ? -1 : frac < 0;
}

/* a <=> b: -1, 0, 1, or 2 when unordered (NaN). */
static int
num_cmp(const struct num *a, const struct num *b)
{
	int	r;

	if (a->isint && b->isint)
		return a->i < b->i ? -1 : a->i > b->i;
	if (a->isint)
		return num_cmp_mixed(a->i, b->d);
	if (b->isint) {
		r = num_cmp_mixed(b->i, a->d);
		return r == 2 ? 2 : -r;
	}
	if (a->d < b->d)
		return -1;
	if (a->d > b->d)
		return 1;
	if (a->d == b->d)
		return 0;
	return 2;
}

int
expr_equal(struct json_object *a, struct json_object *b)
{
	struct json_object	*bv;
	struct num		 na, nb;
	size_t			 i, n;

	if (num_get(a, &na) && num_get(b, &nb))
		return num_cmp(&na, &nb) == 0;
	if (json_object_get_type(a) != json_object_get_type(b))
		return 0;
	switch (json_object_get_type(a)) {
	case json_type_null:
		return 1;
	case json_type_boolean:
		return !json_object_get_boolean(a) ==
		    !json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) ==
		    json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a), json_object_get_string(b),
		    json_object_get_string_len(a)) == 0;
	case json_type_array:
		n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return 0;
		for (i = 0; i < n; i++)
			if (!expr_equal(json_object_array_get_idx(a, i),
			    json_object_array_get_idx(b, i)))
				return 0;
		return 1;
	case json_type_object:
		if (json_object_object_length(a) !=
		    json_object_object_length(b))
			return 0;
		json_object_object_foreach(a, k, av) {
			if (!json_object_object_get_ex(b, k, &bv) ||
			    !expr_equal(av, bv))
				return 0;
		}
		return 1;
	default:
		return 0;
	}
}

int
expr_truthy(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return 0;
	case json_type_boolean:
		return json_object_get_boolean(o) != 0;
	case json_type_int:
		return json_object_get_int64(o) != 0;
	case json_type_double:
		return json_object_get_double(o) != 0.0;
	case json_type_string:
		return json_object_get_string_len(o) != 0;
	case json_type_array:
		return json_object_array_length(o) != 0;
	default:
		return 1;
	}
}

static int
is_string(struct json_object *o)
{
	return json_object_is_type(o, json_type_string);
}

static struct json_object *
new_bool(int b)
{
	return json_object_new_boolean(b != 0);
}

/* A double result, or nil when it overflowed. */
static struct json_object *
new_double(double d)
{
	return isfinite(d) ? json_object_new_double(d) : NULL;
}

/* Is needle (n bytes) within hay (h bytes)? */
static int
has_substring(const char *hay, size_t h, const char *needle, size_t n)
{
	return n == 0 || memmem(hay, h, needle, n) != NULL;
}

static int
array_has(struct json_object *arr, struct json_object *v)
{
	size_t	i, n = json_object_array_length(arr);

	for (i = 0; i < n; i++)
		if (expr_equal(json_object_array_get_idx(arr, i), v))
			return 1;
	return 0;
}

/* v in c: element of an array, key of an object, substring of a string. */
static int
op_in(struct json_object *v, struct json_object *c)
{
	struct json_object	*dummy;

	switch (json_object_get_type(c)) {
	case json_type_array:
		return array_has(c, v);
	case json_type_object:
		/* json-c keys stop at a NUL; such a key cannot be present. */
		return is_string(v) && strlen(json_object_get_string(v)) ==
		    (size_t)json_object_get_string_len(v) &&
		    json_object_object_get_ex(c, json_object_get_string(v),
		    &dummy);
	case json_type_string:
		return is_string(v) && has_substring(json_object_get_string(c),
		    json_object_get_string_len(c), json_object_get_string(v),
		    json_object_get_string_len(v));
	default:
		return 0;
	}
}

/* a contains b: substring of a string, element of an array. */
static int
op_contains(struct json_object *a, struct json_object *b)
{
	if (json_object_is_type(a, json_type_array))
		return array_has(a, b);
	if (is_string(a) && is_string(b))
		return has_substring(json_object_get_string(a),
		    json_object_get_string_len(a), json_object_get_string(b),
		    json_object_get_string_len(b));
	return 0;
}

static int
op_affix(struct json_object *a, struct json_object *b, int end)
{
	size_t	la, lb;

	if (!is_string(a) || !is_string(b))
		return 0;
	la = json_object_get_string_len(a);
	lb = json_object_get_string_len(b);
	if (lb > la)
		return 0;
	return memcmp(json_object_get_string(a) + (end ? la - lb : 0),
	    json_object_get_string(b), lb) == 0;
}

/* < <= > >=: numbers, or strings bytewise; anything else is false. */
static int
op_order(enum node_kind kind, struct json_object *a, struct json_object *b)
{
	struct num	na, nb;
	size_t		la, lb;
	int		c;

	if (num_get(a, &na) && num_get(b, &nb)) {
		if ((c = num_cmp(&na, &nb)) == 2)
			return 0;
	} else if (is_string(a) && is_string(b)) {
		la = json_object_get_string_len(a);
		lb = json_object_get_string_len(b);
		c = memcmp(json_object_get_string(a), json_object_get_string(b),
		    la < lb ? la : lb);
		if (c == 0)
			c = la < lb ? -1 : la > lb;
	} else
		return 0;
	switch (kind) {
	case N_LT:
		return c < 0;
	case N_LE:
		return c <= 0;
	case N_GT:
		return c > 0;
	default:
		return c >= 0;
	}
}

/*
 * + - * / %: numbers (and + on two strings); nil otherwise. Integers
 * stay integers until they overflow; division yields an integer only
 * when it is exact. % works on integral values only, as the remainder
 * of a fractional division is rarely what a condition means.
 */
static struct json_object *
op_arith(enum node_kind kind, struct json_object *a, struct json_object *b)
{
	struct json_object	*s;
	struct num		 na, nb;
	int64_t			 r;
	size_t			 la, lb;
	char			*cat;

	if (kind == N_ADD && is_string(a) && is_string(b)) {
		la = json_object_get_string_len(a);
		lb = json_object_get_string_len(b);
		if (la + lb > INT32_MAX)
			return NULL;
		cat = xmalloc(la + lb + 1);
		memcpy(cat, json_object_get_string(a), la);
		memcpy(cat + la, json_object_get_string(b), lb);
		cat[la + lb] = '\0';
		s = json_object_new_string_len(cat, (int)(la + lb));
		free(cat);
		return s;
	}
	if (!num_get(a, &na) || !num_get(b, &nb))
		return NULL;
	if (kind == N_MOD) {
		/* Integral doubles (2.0) take part as integers. */
		if (!na.isint && na.d >= -9007199254740992.0 &&
		    na.d <= 9007199254740992.0 && (double)(int64_t)na.d == na.d)
			na.i = (int64_t)na.d, na.isint = 1;
		if (!nb.isint && nb.d >= -9007199254740992.0 &&
		    nb.d <= 9007199254740992.0 && (double)(int64_t)nb.d == nb.d)
			nb.i = (int64_t)nb.d, nb.isint = 1;
		if (!na.isint || !nb.isint || nb.i == 0)
			return NULL;
		if (nb.i == -1)
			return json_object_new_int64(0);
		return json_object_new_int64(na.i % nb.i);
	}
	if (na.isint && nb.isint) {
		switch (kind) {
		case N_ADD:
			if (!__builtin_add_overflow(na.i, nb.i, &r))
				return json_object_new_int64(r);
			break;
		case N_SUB:
			if (!__builtin_sub_overflow(na.i, nb.i, &r))
				return json_object_new_int64(r);
			break;
		case N_MUL:
			if (!__builtin_mul_overflow(na.i, nb.i, &r))
				return json_object_new_int64(r);
			break;
		default:
			if (nb.i == 0)
				return NULL;
			if (!(na.i == INT64_MIN && nb.i == -1) &&
			    na.i % nb.i == 0)
				return json_object_new_int64(na.i / nb.i);
			break;
		}
	}
	switch (kind) {
	case N_ADD:
		return new_double(na.d + nb.d);
	case N_SUB:
		return new_double(na.d - nb.d);
	case N_MUL:
		return new_double(na.d * nb.d);
	default:
		if (nb.d == 0.0)
			return NULL;
		return new_double(na.d / nb.d);
	}
}

static int
op_matches(const struct node *n, struct json_object *s, struct json_object *pat,
    int *result, char **errp)
{
	regex_t		 dyn, *re = n->re;
	const char	*p;
	char		 msg[256];
	int		 rc;
#ifdef REG_STARTEND
	regmatch_t	 m[1];
#endif

	*result = 0;
	if (!is_string(s))
		return 0;
	if (re == NULL) {
		if (!is_string(pat))
			return 0;
		p = json_object_get_string(pat);
		if (strlen(p) != (size_t)json_object_get_string_len(pat)) {
			xasprintf(errp, "%d:%d: regular expression contains a "
			    "NUL byte", n->line, n->col);
			return -1;
		}
		if (regex_compile(&dyn, p, msg, sizeof(msg)) == -1) {
			xasprintf(errp, "%d:%d: invalid regular expression "
			    "\"%.80s%s\": %s", n->line, n->col, p,
			    strlen(p) > 80 ? "..." : "", msg);
			return -1;
		}
		re = &dyn;
	}
#ifdef REG_STARTEND
	/* Payload strings may hold NUL bytes (\u0000): match all of it. */
	m[0].rm_so = 0;
	m[0].rm_eo = json_object_get_string_len(s);
	rc = regexec(re, json_object_get_string(s), 1, m, REG_STARTEND);
#else
	rc = regexec(re, json_object_get_string(s), 0, NULL, 0);
#endif
	*result = rc == 0;
	if (re == &dyn)
		regfree(&dyn);
	return 0;
}

/* The member key of obj, or element key of arr; borrowed, or NULL. */
static struct json_object *
value_index(struct json_object *c, struct json_object *key)
{
	struct json_object	*v;
	struct num		 k;
	int64_t			 i, n;

	if (json_object_is_type(c, json_type_object) && is_string(key)) {
		if (strlen(json_object_get_string(key)) !=
		    (size_t)json_object_get_string_len(key))
			return NULL;
		if (json_object_object_get_ex(c, json_object_get_string(key),
		    &v))
			return v;
		return NULL;
	}
	if (json_object_is_type(c, json_type_array) && num_get(key, &k)) {
		if (!k.isint) {
			if (!(k.d >= -9007199254740992.0 &&
			    k.d <= 9007199254740992.0) ||
			    (double)(int64_t)k.d != k.d)
				return NULL;
			k.i = (int64_t)k.d;
		}
		n = (int64_t)json_object_array_length(c);
		i = k.i < 0 ? k.i + n : k.i;
		if (i < 0 || i >= n)
			return NULL;
		return json_object_array_get_idx(c, (size_t)i);
	}
	return NULL;
}

static struct json_object *
call_func(enum func fn, struct json_object *v)
{
	struct json_object	*r;
	const char		*s;
	char			*t;
	size_t			 i, n;

	switch (fn) {
	case F_LEN:
		switch (json_object_get_type(v)) {
		case json_type_null:
			return json_object_new_int64(0);
		case json_type_string:
			return json_object_new_int64(
			    json_object_get_string_len(v));
		case json_type_array:
			return json_object_new_int64(
			    (int64_t)json_object_array_length(v));
		case json_type_object:
			return json_object_new_int64(
			    json_object_object_length(v));
		default:
			return NULL;
		}
	case F_LOWER:
	case F_UPPER:
		if (!is_string(v))
			return NULL;
		/* ASCII only: locale-independent, and UTF-8 passes through. */
		s = json_object_get_string(v);
		n = json_object_get_string_len(v);
		t = xmalloc(n + 1);
		for (i = 0; i < n; i++) {
			t[i] = s[i];
			if (fn == F_LOWER && s[i] >= 'A' && s[i] <= 'Z')
				t[i] = s[i] - 'A' + 'a';
			else if (fn == F_UPPER && s[i] >= 'a' && s[i] <= 'z')
				t[i] = s[i] - 'a' + 'A';
		}
		t[n] = '\0';
		r = json_object_new_string_len(t, (int)n);
		free(t);
		return r;
	}
	return NULL;
}

static int
eval_binary(const struct node *n, struct json_object *a, struct json_object *b,
    struct json_object **res, char **errp)
{
	int	m;

	switch (n->kind) {
	case N_EQ:
		*res = new_bool(expr_equal(a, b));
		break;
	case N_NE:
		*res = new_bool(!expr_equal(a, b));
		break;
	case N_LT:
	case N_LE:
	case N_GT:
	case N_GE:
		*res = new_bool(op_order(n->kind, a, b));
		break;
	case N_IN:
		*res = new_bool(op_in(a, b));
		break;
	case N_NOTIN:
		*res = new_bool(!op_in(a, b));
		break;
	case N_CONTAINS:
		*res = new_bool(op_contains(a, b));
		break;
	case N_STARTS:
		*res = new_bool(op_affix(a, b, 0));
		break;
	case N_ENDS:
		*res = new_bool(op_affix(a, b, 1));
		break;
	case N_MATCHES:
		if (op_matches(n, a, b, &m, errp) == -1)
			return -1;
		*res = new_bool(m);
		break;
	default:
		*res = op_arith(n->kind, a, b);
		break;
	}
	return 0;
}

static int
eval(const struct node *n, struct json_object *env, struct json_object **res,
    char **errp)
{
	struct json_object	*a = NULL, *b = NULL, *arr;
	size_t			 i;
	int			 t;

	*res = NULL;
	switch (n->kind) {
	case N_LIT:
		*res = json_object_get(n->lit);
		return 0;
	case N_ARRAY:
		arr = json_object_new_array_ext((int)n->nkid);
		for (i = 0; i < n->nkid; i++) {
			if (eval(n->kid[i], env, &a, errp) == -1) {
				json_object_put(arr);
				return -1;
			}
			json_object_array_add(arr, a);
		}
		*res = arr;
		return 0;
	case N_NAME:
		if (json_object_is_type(env, json_type_object) &&
		    json_object_object_get_ex(env, n->name, &a))
			*res = json_object_get(a);
		return 0;
	case N_MEMBER:
		if (eval(n->kid[0], env, &a, errp) == -1)
			return -1;
		if (json_object_is_type(a, json_type_object) &&
		    json_object_object_get_ex(a, n->name, &b))
			*res = json_object_get(b);
		json_object_put(a);
		return 0;
	case N_INDEX:
		if (eval(n->kid[0], env, &a, errp) == -1)
			return -1;
		if (eval(n->kid[1], env, &b, errp) == -1) {
			json_object_put(a);
			return -1;
		}
		*res = json_object_get(value_index(a, b));
		json_object_put(a);
		json_object_put(b);
		return 0;
	case N_CALL:
		if (eval(n->kid[0], env, &a, errp) == -1)
			return -1;
		*res = call_func(n->fn, a);
		json_object_put(a);
		return 0;
	case N_NOT:
		if (eval(n->kid[0], env, &a, errp) == -1)
			return -1;
		*res = new_bool(!expr_truthy(a));
		json_object_put(a);
		return 0;
	case N_NEG:
		if (eval(n->kid[0], env, &a, errp) == -1)
			return -1;
		b = json_object_new_int64(0);
		*res = op_arith(N_SUB, b, a);
		json_object_put(a);
		json_object_put(b);
		return 0;
	case N_OR:
	case N_AND:
		if (eval(n->kid[0], env, &a, errp) == -1)
			return -1;
		t = expr_truthy(a);
		json_object_put(a);
		if ((n->kind == N_OR) == (t != 0)) {
			*res = new_bool(t);
			return 0;
		}
		if (eval(n->kid[1], env, &b, errp) == -1)
			return -1;
		*res = new_bool(expr_truthy(b));
		json_object_put(b);
		return 0;
	default:
		if (eval(n->kid[0], env, &a, errp) == -1)
			return -1;
		if (eval(n->kid[1], env, &b, errp) == -1) {
			json_object_put(a);
			return -1;
		}
		t = eval_binary(n, a, b, res, errp);
		json_object_put(a);
		json_object_put(b);
		return t;
	}
}

int
expr_eval(const struct expr *e, struct json_object *env,
    struct json_object **result, char **errp)
{
	char	*err = NULL;

	if (errp != NULL)
		*errp = NULL;
	if (eval(e->root, env, result, &err) == -1) {
		*result = NULL;
		if (errp != NULL)
			*errp = err;
		else
			free(err);
		return -1;
	}
	return 0;
}

void
expr_render(struct buf *b, struct json_object *v)
{
	if (v == NULL)
		return;
	if (is_string(v))
		buf_add(b, json_object_get_string(v),
		    json_object_get_string_len(v));
	else
		buf_addstr(b, json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/*
 * Explaining
 */

struct explain {
	struct json_object	 *env;
	struct buf		 *out;
	char			**seen;
	size_t			  nseen;
};

static int
is_chain(const struct node *n)
{
	return n->kind == N_NAME || n->kind == N_MEMBER || n->kind == N_INDEX;
}

/* Is n a member-access chain whose keys are all literals? */
static int
chain_static(const struct node *n)
{
	const struct node	*k;

	for (;;) {
		switch (n->kind) {
		case N_NAME:
			return 1;
		case N_MEMBER:
			n = n->kid[0];
			break;
		case N_INDEX:
			k = n->kid[1];
			if (k->kind != N_LIT || !(is_string(k->lit) ||
			    json_object_is_type(k->lit, json_type_int)))
				return 0;
			n = n->kid[0];
			break;
		default:
			return 0;
		}
	}
}

static int
is_identifier(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || !is_identstart(s[0]))
		return 0;
	for (i = 1; i < len; i++)
		if (!is_identch(s[i]))
			return 0;
	return 1;
}

/* Append s with control characters escaped (and quote q, if not 0). */
static void
add_escaped(struct buf *b, const char *s, size_t len, char q)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			buf_addstr(b, "\\n");
		else if (c == '\t')
			buf_addstr(b, "\\t");
		else if (c == '\r')
			buf_addstr(b, "\\r");
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\x%02x", c);
		else if (q != 0 && (c == (unsigned char)q || c == '\\')) {
			buf_addch(b, '\\');
			buf_addch(b, c);
		} else
			buf_addch(b, c);
	}
}

static void
chain_name(const struct node *n, struct buf *b)
{
	struct json_object	*k;
	const char		*s;
	size_t			 len;

	switch (n->kind) {
	case N_NAME:
		buf_addstr(b, n->name);
		break;
	case N_MEMBER:
		chain_name(n->kid[0], b);
		buf_addch(b, '.');
		buf_addstr(b, n->name);
		break;
	default:
		chain_name(n->kid[0], b);
		k = n->kid[1]->lit;
		if (is_string(k)) {
			s = json_object_get_string(k);
			len = json_object_get_string_len(k);
			if (is_identifier(s, len)) {
				buf_addch(b, '.');
				buf_add(b, s, len);
			} else {
				buf_addstr(b, "['");
				add_escaped(b, s, len, '\'');
				buf_addstr(b, "']");
			}
		} else
			buf_printf(b, "[%lld]",
			    (long long)json_object_get_int64(k));
		break;
	}
}

static void
explain_add(struct explain *x, const struct node *n)
{
	struct json_object	*v;
	struct buf		 name = BUF_INIT, val = BUF_INIT;
	size_t			 i, cut;
	char			*err = NULL;

	chain_name(n, &name);
	for (i = 0; i < x->nseen; i++)
		if (strcmp(x->seen[i], buf_str(&name)) == 0) {
			buf_release(&name);
			return;
		}
	x->seen = xreallocarray(x->seen, x->nseen + 1, sizeof(*x->seen));
	x->seen[x->nseen++] = xstrdup(buf_str(&name));
	if (x->nseen > 1)
		buf_addstr(x->out, ", ");
	buf_add(x->out, name.data, name.len);
	buf_release(&name);
	/* A static chain holds no `matches`, so it cannot fail. */
	if (eval(n, x->env, &v, &err) == -1) {
		free(err);
		v = NULL;
	}
	if (v == NULL) {
		buf_addstr(x->out, " = nil");
		return;
	}
	expr_render(&val, v);
	json_object_put(v);
	buf_addstr(x->out, " = `");
	cut = val.len;
	if (cut > EXPR_EXPLAIN_MAX) {
		cut = EXPR_EXPLAIN_MAX;
		while (cut > 0 && ((unsigned char)val.data[cut] & 0xc0) == 0x80)
			cut--;
	}
	add_escaped(x->out, buf_str(&val), cut, 0);
	if (cut < val.len)
		buf_addstr(x->out, "...");
	buf_addch(x->out, '`');
	buf_release(&val);
}

/*
 * Walk n in text order. In prefix mode n is the base of a longer chain
 * with a computed key: its own value is not what the expression reads,
 * but the keys inside it may be.
 */
static void
explain_walk(struct explain *x, const struct node *n, int prefix)
{
	size_t	i;

	if (!prefix && chain_static(n)) {
		explain_add(x, n);
		return;
	}
	switch (n->kind) {
	case N_NAME:
		break;
	case N_MEMBER:
		explain_walk(x, n->kid[0], is_chain(n->kid[0]));
		break;
	case N_INDEX:
		explain_walk(x, n->kid[0], is_chain(n->kid[0]));
		explain_walk(x, n->kid[1], 0);
		break;
	default:
		for (i = 0; i < n->nkid; i++)
			explain_walk(x, n->kid[i], 0);
		break;
	}
}

void
expr_explain(const struct expr *e, struct json_object *env, struct buf *out)
{
	struct explain	x;
	size_t		i;

	x.env = env;
	x.out = out;
	x.seen = NULL;
	x.nseen = 0;
	explain_walk(&x, e->root, 0);
	for (i = 0; i < x.nseen; i++)
		free(x.seen[i]);
	free(x.seen);
}

/*
 * Templates
 */

struct tpl_part {
	char		*lit;		/* literal text, or NULL */
	size_t		 len;
	struct expr	*e;
};

struct template {
	struct tpl_part	*part;
	size_t		 npart;
	int		 hasexpr;
};

static void
template_add(struct template *t, struct buf *lit, struct expr *e)
{
	struct tpl_part	*pt;

	if (e == NULL && lit->len == 0)
		return;
	t->part = xreallocarray(t->part, t->npart + 1, sizeof(*t->part));
	pt = &t->part[t->npart++];
	pt->lit = NULL;
	pt->len = 0;
	pt->e = e;
	if (e == NULL) {
		pt->len = lit->len;
		pt->lit = buf_detach(lit, NULL);
	} else
		t->hasexpr = 1;
}

struct template *
template_compile(const char *text, char **errp)
{
	struct template	*t;
	struct expr	*e;
	struct buf	 lit = BUF_INIT;
	const char	*pos = text;
	int		 line = 1, col = 1, oline, ocol;

	if (errp != NULL)
		*errp = NULL;
	t = xcalloc(1, sizeof(*t));
	while (*pos != '\0') {
		if (pos[0] != '$' || pos[1] != '{' || pos[2] != '{') {
			buf_addch(&lit, *pos);
			pos_advance(&pos, &line, &col);
			continue;
		}
		template_add(t, &lit, NULL);
		oline = line;
		ocol = col;
		pos_advance(&pos, &line, &col);
		pos_advance(&pos, &line, &col);
		pos_advance(&pos, &line, &col);
		e = expr_parse(pos, &line, &col, 1, oline, ocol, &pos, errp);
		if (e == NULL) {
			buf_release(&lit);
			template_free(t);
			return NULL;
		}
		template_add(t, &lit, e);
	}
	template_add(t, &lit, NULL);
	buf_release(&lit);
	return t;
}

void
template_free(struct template *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->npart; i++) {
		free(t->part[i].lit);
		expr_free(t->part[i].e);
	}
	free(t->part);
	free(t);
}

int
template_has_expr(const struct template *t)
{
	return t->hasexpr;
}

int
template_render(const struct template *t, struct json_object *env,
    struct buf *out, char **errp)
{
	struct json_object	*v;
	size_t			 i;

	if (errp != NULL)
		*errp = NULL;
	for (i = 0; i < t->npart; i++) {
		if (t->part[i].e == NULL) {
			buf_add(out, t->part[i].lit, t->part[i].len);
			continue;
		}
		if (expr_eval(t->part[i].e, env, &v, errp) == -1)
			return -1;
		expr_render(out, v);
		json_object_put(v);
	}
	return 0;
}
