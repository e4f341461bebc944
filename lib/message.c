/*
 * Spool messages: header lines, a blank line, the raw body (see message.h).
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "message.h"
#include "util.h"
#include "xmalloc.h"

#define MESSAGE_MAX_FILE	(1024LL * 1024 * 1024)

void
message_add_header(struct buf *b, const char *name, const char *value)
{
	const unsigned char	*p;

	buf_addstr(b, name);
	buf_add(b, ": ", 2);
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		buf_addch(b, *p < 0x20 || *p == 0x7f ? ' ' : *p);
	buf_addch(b, '\n');
}

void
message_header_from_cgi(struct buf *b, const char *cgi)
{
	const char	*p;
	int		 start = 1;

	if (strncmp(cgi, "HTTP_", 5) == 0)
		cgi += 5;
	for (p = cgi; *p != '\0'; p++) {
		if (*p == '_') {
			buf_addch(b, '-');
			start = 1;
		} else {
			buf_addch(b, start ? toupper((unsigned char)*p) :
			    tolower((unsigned char)*p));
			start = 0;
		}
	}
}

void
message_release(struct message *m)
{
	free(m->headers);
	free(m->raw);
	memset(m, 0, sizeof(*m));
}

/*
 * The reader's rules for one line of the header block, in one place:
 * the line at p (before end) is the blank line that ends the block (0),
 * or a header line (1) that is n bytes long without its newline and has
 * its colon at *colon; or the block is not readable (-1, *why says
 * why). nheaders is how many header lines came before it.
 */
static int
message_scan_line(const char *p, const char *end, size_t nheaders,
    size_t *n, size_t *colon, const char **why)
{
	const char	*eol, *stop, *c;

	if (p >= end) {
		*why = "no blank line between headers and body";
		return -1;
	}
	if (*p == '\n')
		return 0;
	eol = memchr(p, '\n', (size_t)(end - p));
	if (eol == NULL) {
		*why = "header line without an end";
		return -1;
	}
	if (eol - p > MESSAGE_MAX_HEADER_LEN) {
		*why = "header line too long";
		return -1;
	}
	/* The name is looked for in the line as a C string, without its CR. */
	stop = eol;
	if (stop > p && stop[-1] == '\r')
		stop--;
	if ((c = memchr(p, '\0', (size_t)(stop - p))) != NULL)
		stop = c;
	c = memchr(p, ':', (size_t)(stop - p));
	if (c == NULL || c == p) {
		*why = "header line without a name and a colon";
		return -1;
	}
	if (nheaders == MESSAGE_MAX_HEADERS) {
		*why = "too many header lines";
		return -1;
	}
	*n = (size_t)(eol - p);
	*colon = (size_t)(c - p);
	return 1;
}

int
message_check_head(const char *head, size_t len, const char **why)
{
	const char	*p = head, *end = head + len;
	size_t		 nheaders = 0, n, colon;
	int		 r;

	while ((r = message_scan_line(p, end, nheaders, &n, &colon, why)) == 1) {
		nheaders++;
		p += n + 1;
	}
	if (r == -1)
		return -1;
	if (p + 1 != end) {
		*why = "more after the blank line that ends the headers";
		return -1;
	}
	return 0;
}

/*
 * Headers point into raw: each "Name: value\n" line has its colon and
 * its newline replaced by NULs.
 */
static int
message_parse_owned(struct message *m, char *raw, size_t len,
    const char **why)
{
	char	*p, *end, *eol, *v;
	size_t	 cap = 0, n, colon;
	int	 r;

	memset(m, 0, sizeof(*m));
	m->raw = raw;
	m->raw_len = len;
	p = m->raw;
	end = m->raw + len;
	for (;;) {
		r = message_scan_line(p, end, m->nheaders, &n, &colon, why);
		if (r == -1)
			goto fail;
		if (r == 0) {
			p++;
			break;
		}
		eol = p + n;
		*eol = '\0';
		if (eol > p && eol[-1] == '\r')
			eol[-1] = '\0';
		p[colon] = '\0';
		for (v = p + colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		if (m->nheaders == cap) {
			cap = cap ? cap * 2 : 32;
			m->headers = xreallocarray(m->headers, cap,
			    sizeof(*m->headers));
		}
		m->headers[m->nheaders].name = p;
		m->headers[m->nheaders].value = v;
		m->nheaders++;
		p = eol + 1;
	}
	m->body = (const unsigned char *)p;
	m->body_len = (size_t)(end - p);
	return 0;
fail:
	message_release(m);
	return -1;
}

int
message_parse(struct message *m, const char *data, size_t len,
    const char **why)
{
	char	*raw;

	raw = xmalloc(len + 1);
	memcpy(raw, data, len);
	raw[len] = '\0';
	return message_parse_owned(m, raw, len, why);
}

int
message_read_file(struct message *m, const char *path, const char **why)
{
	return message_read_fd(m, -1, path, why);
}

int
message_read_fd(struct message *m, int fd, const char *path,
    const char **why)
{
	struct buf	b = BUF_INIT;
	size_t		len;
	char		*raw;

	memset(m, 0, sizeof(*m));
	if ((fd != -1 ? read_fd(fd, &b, MESSAGE_MAX_FILE) :
	    read_file(path, &b, MESSAGE_MAX_FILE)) == -1) {
		*why = strerror(errno);
		buf_release(&b);
		return -1;
	}
	raw = buf_detach(&b, &len);
	return message_parse_owned(m, raw, len, why);
}

const char *
message_get(const struct message *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->nheaders; i++)
		if (ascii_casecmp(m->headers[i].name, name) == 0)
			return m->headers[i].value;
	return NULL;
}

/*
 * The envelope's lines, in the order they are written: a string field is
 * left out when NULL or empty, the chain depth when negative; the
 * Content-Length is always there.
 */
enum envelope_kind {
	ENVELOPE_STRING,
	ENVELOPE_DEPTH,
	ENVELOPE_LENGTH
};

static const struct envelope_field {
	const char		*name;
	size_t			 len;
	enum envelope_kind	 kind;
	size_t			 off;
} envelope_fields[] = {
#define F(name, kind, field) \
	{ name, sizeof(name) - 1, kind, offsetof(struct envelope, field) }
	F("Hookdir-Id", ENVELOPE_STRING, id),
	F("Hookdir-Received", ENVELOPE_STRING, received),
	F("Hookdir-Source", ENVELOPE_STRING, source),
	F("Hookdir-Provider", ENVELOPE_STRING, provider),
	F("Hookdir-Event", ENVELOPE_STRING, event),
	F("Hookdir-Delivery", ENVELOPE_STRING, delivery),
	F("Hookdir-Verified", ENVELOPE_STRING, verified),
	F("Hookdir-Remote-Addr", ENVELOPE_STRING, remote_addr),
	F("Hookdir-Method", ENVELOPE_STRING, method),
	F("Hookdir-Uri", ENVELOPE_STRING, uri),
	F("Hookdir-Chain-Depth", ENVELOPE_DEPTH, chain_depth),
	F("Hookdir-Parent-Run", ENVELOPE_STRING, parent_run),
	F("Hookdir-Parent-Event", ENVELOPE_STRING, parent_event),
	F("Content-Type", ENVELOPE_STRING, content_type),
	F("Content-Length", ENVELOPE_LENGTH, content_length),
#undef F
};

#define ENVELOPE_NFIELDS \
	(sizeof(envelope_fields) / sizeof(envelope_fields[0]))
/* The field f of env, as a pointer to its type (ENVELOPE_GET: const). */
#define ENVELOPE_AT(type, env, f) \
	((type *)(void *)((char *)(env) + (f)->off))
#define ENVELOPE_GET(type, env, f) \
	((type const *)(const void *)((const char *)(env) + (f)->off))

void
envelope_write(const struct envelope *env, struct buf *b)
{
	const struct envelope_field	*f;
	const char			*v;
	size_t				 i;

	for (i = 0; i < ENVELOPE_NFIELDS; i++) {
		f = &envelope_fields[i];
		switch (f->kind) {
		case ENVELOPE_STRING:
			v = *ENVELOPE_GET(const char *, env, f);
			if (v != NULL && *v != '\0')
				message_add_header(b, f->name, v);
			break;
		case ENVELOPE_DEPTH:
			if (*ENVELOPE_GET(int, env, f) >= 0)
				buf_printf(b, "%s: %d\n", f->name,
				    *ENVELOPE_GET(int, env, f));
			break;
		case ENVELOPE_LENGTH:
			buf_printf(b, "%s: %zu\n", f->name,
			    *ENVELOPE_GET(size_t, env, f));
			break;
		}
	}
}

int
envelope_chain_depth(const char *s)
{
	char	*end;
	long	 n;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0 || n > 1000000)
		return -1;
	return (int)n;
}

void
envelope_read(struct envelope *env, const struct message *m)
{
	const struct envelope_field	*f;
	const char			*v, *vals[ENVELOPE_NFIELDS] = { NULL };
	char				*end;
	unsigned long long		 len;
	size_t				 i, k, nlen;

	/*
	 * One pass over the headers, the first of each name kept (as
	 * message_get() finds it); names of another length are not
	 * compared, and a name spelled as envelope_write() spells it (as
	 * every writer does) is found without folding case.
	 */
	for (k = 0; k < m->nheaders; k++) {
		nlen = strlen(m->headers[k].name);
		for (i = 0; i < ENVELOPE_NFIELDS; i++)
			if (vals[i] == NULL && envelope_fields[i].len == nlen &&
			    (memcmp(m->headers[k].name, envelope_fields[i].name,
			    nlen) == 0 || ascii_casecmp(m->headers[k].name,
			    envelope_fields[i].name) == 0)) {
				vals[i] = m->headers[k].value;
				break;
			}
	}
	for (i = 0; i < ENVELOPE_NFIELDS; i++) {
		f = &envelope_fields[i];
		if ((v = vals[i]) == NULL)
			v = "";
		switch (f->kind) {
		case ENVELOPE_STRING:
			*ENVELOPE_AT(const char *, env, f) = v;
			break;
		case ENVELOPE_DEPTH:
			*ENVELOPE_AT(int, env, f) = envelope_chain_depth(v);
			break;
		case ENVELOPE_LENGTH:
			/* Not a number: the body's own length. */
			*ENVELOPE_AT(size_t, env, f) = m->body_len;
			if (*v < '0' || *v > '9')
				break;
			errno = 0;
			len = strtoull(v, &end, 10);
			if (errno == 0 && *end == '\0' && len <= SIZE_MAX)
				*ENVELOPE_AT(size_t, env, f) = (size_t)len;
			break;
		}
	}
}

int
envelope_reserved(const char *name)
{
	return ascii_ncasecmp(name, ENVELOPE_PREFIX,
	    sizeof(ENVELOPE_PREFIX) - 1) == 0 ||
	    ascii_casecmp(name, "Content-Length") == 0;
}
