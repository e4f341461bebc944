/*
 * Handling one webhook request: source, method, origin, size,
 * signature, rate, queue, durable write, answer — in that order, as the
 * senders' retry logic expects (see hookdir.fcgi(8)).
 */
#include "autoconf.h"

#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "message.h"
#include "provider.h"
#include "ratelimit.h"
#include "respond.h"
#include "request.h"
#include "spool.h"
#include "util.h"
#include "xmalloc.h"

#define MAX_HEADERS		100
#define MAX_HEADER_BYTES	(64 * 1024)
#define RETRY_AFTER		"60"
/* How much of an unknown source's name the log line shows. */
#define LOG_NAME_MAX		80
/* Keep at most this much body buffer between requests. */
#define BODY_KEEP		(1024 * 1024)
/* Plain CGI: read at most this much of an unread body before an error. */
#define DRAIN_MAX		(1024 * 1024)
#define DRAIN_MS		5000

extern char **environ;

/* Headers that describe the connection, not the event: never spooled. */
static const char *hop_by_hop[] = {
	"HTTP_CONNECTION", "HTTP_KEEP_ALIVE", "HTTP_PROXY_CONNECTION",
	"HTTP_TE", "HTTP_TRAILER", "HTTP_TRANSFER_ENCODING", "HTTP_UPGRADE",
	"HTTP_EXPECT", "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH", NULL
};

/*
 * The reason phrases of RFC 9110 (section 15), and of RFC 6585 for 428,
 * 429 and 431: a step's `hookdir respond --status` may give any of them.
 */
static const struct {
	int		 status;
	const char	*phrase;
} reason_phrases[] = {
	{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
	{ 203, "Non-Authoritative Information" }, { 204, "No Content" },
	{ 205, "Reset Content" }, { 206, "Partial Content" },
	{ 300, "Multiple Choices" }, { 301, "Moved Permanently" },
	{ 302, "Found" }, { 303, "See Other" }, { 304, "Not Modified" },
	{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" },
	{ 402, "Payment Required" }, { 403, "Forbidden" },
	{ 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" }, { 407, "Proxy Authentication Required" },
	{ 408, "Request Timeout" }, { 409, "Conflict" }, { 410, "Gone" },
	{ 411, "Length Required" }, { 412, "Precondition Failed" },
	{ 413, "Content Too Large" }, { 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" }, { 416, "Range Not Satisfiable" },
	{ 417, "Expectation Failed" }, { 421, "Misdirected Request" },
	{ 422, "Unprocessable Content" }, { 426, "Upgrade Required" },
	{ 428, "Precondition Required" }, { 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
	{ 502, "Bad Gateway" }, { 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" }, { 505, "HTTP Version Not Supported" }
};

static const char *
reason_phrase(int status)
{
	size_t	i;

	for (i = 0; i < sizeof(reason_phrases) / sizeof(*reason_phrases); i++)
		if (reason_phrases[i].status == status)
			return reason_phrases[i].phrase;
	return status < 300 ? "OK" : "Error";
}

/*
 * Append at most max bytes of s, which came with a request, to a log
 * line, in double quotes: printable ASCII as it is, any other byte (a
 * control, DEL, UTF-8, the quote, the backslash) as \xNN, so that it
 * can neither forge nor garble a line; then the full length if s was
 * longer.
 */
static void
add_log_safe(struct buf *b, const char *s, size_t max)
{
	size_t	i, len = strlen(s);

	buf_addch(b, '"');
	for (i = 0; i < len && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			buf_printf(b, "\\x%02x", c);
		else
			buf_addch(b, c);
	}
	buf_addch(b, '"');
	if (len > max)
		buf_printf(b, "... (%zu bytes)", len);
}

static const char *
param(const struct request *req, const char *name)
{
	if (req->envp != NULL)
		return FCGX_GetParam(name, req->envp);
	return getenv(name);
}

static void
out_write(struct request *req, const char *s, size_t n)
{
	if (req->fcgx != NULL)
		FCGX_PutStr(s, (int)n, req->fcgx->out);
	else if (req->mem_out != NULL)
		buf_add(req->mem_out, s, n);
	else
		fwrite(s, 1, n, stdout);
}

/* Log to the web server's error log, with the request's id. */
static void __attribute__((format(printf, 2, 3)))
request_log(struct request *req, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (req->fcgx != NULL && !req->log_stderr)
		FCGX_FPrintF(req->fcgx->err, "hookdir.fcgi: %s id=%s\n", msg,
		    req->id);
	else
		log_warnx("%s id=%s", msg, req->id);
}

static void
respond_bytes(struct request *req, int status, const char *extra_headers,
    const char *ctype, const char *body, size_t len)
{
	struct buf	b = BUF_INIT;

	req->status = status;
	buf_printf(&b, "Status: %d %s\r\n", status, reason_phrase(status));
	if (ctype != NULL)
		buf_printf(&b, "Content-Type: %s\r\n", ctype);
	if (extra_headers != NULL)
		buf_addstr(&b, extra_headers);
	buf_printf(&b, "Content-Length: %zu\r\n\r\n", len);
	buf_add(&b, body, len);
	out_write(req, b.data, b.len);
	buf_release(&b);
}

static void
respond(struct request *req, int status, const char *extra_headers,
    const char *ctype, const char *body)
{
	respond_bytes(req, status, extra_headers, ctype, body, strlen(body));
}

static void	drain_body(struct request *);

/*
 * An error answer: a JSON body that says what kind of failure it was
 * and nothing more; the detail is in the log line.
 */
static void __attribute__((format(printf, 5, 6)))
fail(struct request *req, int status, const char *extra, const char *error,
    const char *fmt, ...)
{
	char		 detail[512];
	struct buf	 body = BUF_INIT;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	request_log(req, "%d source=%s remote=%s: %s", status,
	    req->source ? req->source->name : "-",
	    req->remote_addr ? req->remote_addr : "-", detail);
	buf_printf(&body, "{\"error\":\"%s\"}\n", error);
	drain_body(req);
	respond(req, status, extra, "application/json", body.data);
	buf_release(&body);
}

static const char *
header_lookup(const void *ctx, const char *name)
{
	const struct request	*req = ctx;
	struct buf		 b = BUF_INIT;
	const char		*v, *p;

	if (ascii_casecmp(name, "Content-Type") == 0)
		return req->content_type;
	if (ascii_casecmp(name, "Content-Length") == 0)
		return param(req, "CONTENT_LENGTH");
	buf_addstr(&b, "HTTP_");
	for (p = name; *p != '\0'; p++)
		buf_addch(&b, *p == '-' ? '_' :
		    (*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p));
	v = param(req, b.data);
	buf_release(&b);
	return v;
}

static int
method_allowed(const struct source *s, const char *method)
{
	size_t	i;

	for (i = 0; i < s->nmethods; i++)
		if (strcmp(s->methods[i], method) == 0)
			return 1;
	return 0;
}

static int
origin_allowed(const struct source *s, const char *addr)
{
	size_t	i;

	if (s->nallow_from == 0)
		return 1;
	for (i = 0; i < s->nallow_from; i++)
		if (cidr_match(&s->allow_from[i], addr))
			return 1;
	return 0;
}

static char **
request_params(const struct request *req)
{
	return req->envp != NULL ? req->envp : environ;
}

/*
 * Count the request's headers and their size, for the limits, before
 * the body is read. The request URI and the content type count too.
 * This is only the cheap first look: the header block the spool file
 * gets is checked line by line once it is built.
 */
static int
headers_too_large(const struct request *req)
{
	char		**e;
	const char	 *uri;
	size_t		  n = 0, bytes;

	uri = param(req, "REQUEST_URI");
	bytes = strlen(req->content_type) + (uri != NULL ? strlen(uri) : 0);
	for (e = request_params(req); *e != NULL; e++) {
		if (strncmp(*e, "HTTP_", 5) != 0)
			continue;
		n++;
		bytes += strlen(*e);
	}
	return n > MAX_HEADERS || bytes > MAX_HEADER_BYTES;
}

static ssize_t
body_read(struct request *req, char *p, size_t n)
{
	ssize_t	r;

	if (req->fcgx != NULL)
		return FCGX_GetStr(p, (int)n, req->fcgx->in);
	if (req->mem_out != NULL) {
		if (n > req->mem_in_len - req->mem_in_off)
			n = req->mem_in_len - req->mem_in_off;
		if (n > 0)
			memcpy(p, req->mem_in + req->mem_in_off, n);
		req->mem_in_off += n;
		return (ssize_t)n;
	}
	for (;;) {
		r = read(STDIN_FILENO, p, n);
		if (r == -1 && errno == EINTR)
			continue;
		return r;
	}
}

/*
 * Read the body, at most max bytes. 0 ok, 413 too large, 400 short.
 * Without a Content-Length (chunked), read to the end of the stream.
 */
static int
read_body(struct request *req, long long max)
{
	struct buf	*b = req->body;
	long long	 want = req->content_length;
	size_t		 chunk;
	ssize_t		 n;

	buf_reset(b);
	if (want >= 0)
		buf_grow(b, (size_t)want);
	for (;;) {
		if (want >= 0 && (long long)b->len >= want)
			break;
		chunk = 65536;
		if (want >= 0 && (long long)chunk > want - (long long)b->len)
			chunk = (size_t)(want - (long long)b->len);
		buf_grow(b, chunk);
		n = body_read(req, b->data + b->len, chunk);
		if (n <= 0)
			break;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
		if ((long long)b->len > max)
			return 413;
	}
	req->body_done = 1;
	if (want >= 0 && (long long)b->len < want)
		return 400;
	return 0;
}

/*
 * Plain CGI, before an error answer to a request whose body was not
 * (all) read: read and drop what is left of it if that is at most
 * DRAIN_MAX bytes, for at most DRAIN_MS. mod_cgid drops the connection,
 * answer and all, when the program exits with the body unread; a larger
 * body is not waited for, and its sender may see the connection cut.
 * FastCGI servers (nginx, mod_fcgid) take the body before the answer:
 * nothing to do there.
 */
static void
drain_body(struct request *req)
{
	static char	 sink[65536];
	struct pollfd	 pfd;
	long long	 left, deadline, now;
	ssize_t		 n;
	int		 r;

	if (req->fcgx != NULL || req->mem_out != NULL || req->body_done)
		return;
	req->body_done = 1;
	left = DRAIN_MAX;
	if (req->content_length >= 0) {
		left = req->content_length - (long long)req->body->len;
		if (left > DRAIN_MAX)
			return;
	}
	deadline = monotonic_ms() + DRAIN_MS;
	pfd.fd = STDIN_FILENO;
	pfd.events = POLLIN;
	while (left > 0 && (now = monotonic_ms()) < deadline) {
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n = read(STDIN_FILENO, sink, left < (long long)sizeof(sink) ?
		    (size_t)left : sizeof(sink));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		left -= n;
	}
}

static int
cmp_header_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Does the parameter [e, eq) become a header of the spool file? Only
 * what a web server makes of a request header: HTTP_ and then upper-case
 * letters, digits and underscores (nginx, Apache and lighttpd all turn
 * the name into that). Anything else (HTTP_hookdir_event, an empty name,
 * a newline) is some FastCGI peer's own. Nor do hop-by-hop headers,
 * which describe the connection and not the event. (HTTP_HOOKDIR_*, once
 * normalised, is a name of the envelope: build_head leaves it out.)
 */
static int
spool_header_param(const char *e, const char *eq)
{
	const char	*p;
	size_t		 j, len = (size_t)(eq - e);

	if (len <= 5 || strncmp(e, "HTTP_", 5) != 0)
		return 0;
	for (p = e + 5; p < eq; p++)
		if (!(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
		    *p != '_')
			return 0;
	for (j = 0; hop_by_hop[j] != NULL; j++)
		if (strncmp(e, hop_by_hop[j], len) == 0 &&
		    hop_by_hop[j][len] == '\0')
			return 0;
	return 1;
}

/* The spool message's header block (DESIGN: the message format). */
static void
build_head(struct request *req, long long now_s, long now_us)
{
	struct buf	*h = &req->head, name = BUF_INIT;
	struct envelope	 env;
	char		 when[40], **e, **hv = NULL, *eq;
	size_t		 n = 0, i;

	format_rfc3339(when, sizeof(when), now_s, now_us);
	memset(&env, 0, sizeof(env));
	env.id = req->id;
	env.received = when;
	env.source = req->source->name;
	env.provider = provider_name(req->provider);
	env.event = req->vr.event;
	env.delivery = req->vr.delivery;
	env.verified = req->vr.scheme ? req->vr.scheme : "none";
	env.remote_addr = req->remote_addr;
	env.method = req->method;
	env.uri = param(req, "REQUEST_URI");
	env.chain_depth = -1;
	env.content_type = req->content_type;
	env.content_length = req->body->len;
	envelope_write(&env, h);

	for (e = request_params(req); *e != NULL; e++) {
		if ((eq = strchr(*e, '=')) == NULL ||
		    !spool_header_param(*e, eq))
			continue;
		hv = xreallocarray(hv, n + 1, sizeof(*hv));
		hv[n++] = *e;
	}
	if (n > 0)
		qsort(hv, n, sizeof(*hv), cmp_header_names);
	for (i = 0; i < n; i++) {
		eq = strchr(hv[i], '=');
		buf_reset(&name);
		*eq = '\0';
		message_header_from_cgi(&name, hv[i]);
		*eq = '=';
		/*
		 * Hookdir-* lines are the envelope's: a sender's Hookdir-Event
		 * or Hookdir-Chain-Depth must not pass for one. The secret
		 * itself (a token, credentials) stays out of the spool.
		 */
		if (envelope_reserved(name.data) ||
		    provider_source_secret_header(req->source, name.data))
			continue;
		message_add_header(h, name.data, eq + 1);
	}
	buf_addch(h, '\n');
	free(hv);
	buf_release(&name);
}

/* The external URL the sender called, without the query (Twilio signs it). */
static void
build_url(struct request *req)
{
	const char	*scheme, *host, *uri, *q, *https;

	scheme = param(req, "REQUEST_SCHEME");
	https = param(req, "HTTPS");
	if (scheme == NULL || *scheme == '\0')
		scheme = (https != NULL && ascii_casecmp(https, "on") == 0) ?
		    "https" : "http";
	host = param(req, "HTTP_HOST");
	if (host == NULL)
		host = param(req, "SERVER_NAME");
	uri = param(req, "REQUEST_URI");
	if (host == NULL || uri == NULL)
		return;
	buf_printf(&req->url, "%s://%s", scheme, host);
	q = strchr(uri, '?');
	buf_add(&req->url, uri, q ? (size_t)(q - uri) : strlen(uri));
}

/*
 * The usual answer: 202 with the event's id, and the runs a waiting
 * request learned of (runs: a JSON array, or NULL when it did not wait).
 */
static void
answer_accepted(struct request *req, const char *runs)
{
	const struct source	*s = req->source;
	struct buf		 hdrs = BUF_INIT, body = BUF_INIT;
	const char		*ctype = NULL;
	size_t			 i;

	if (req->vr.handshake_status != 0) {
		respond(req, req->vr.handshake_status, NULL,
		    "application/json", req->vr.handshake_body ?
		    req->vr.handshake_body : "{}");
		return;
	}
	if (s->response_status != 0) {
		for (i = 0; i < s->nresponse_headers; i++) {
			if (ascii_casecmp(s->response_headers[i].name,
			    "Content-Type") == 0)
				ctype = s->response_headers[i].value;
			else
				buf_printf(&hdrs, "%s: %s\r\n",
				    s->response_headers[i].name,
				    s->response_headers[i].value);
		}
		if (ctype == NULL && s->response_body != NULL)
			ctype = "text/plain; charset=utf-8";
		respond(req, s->response_status, hdrs.data, ctype,
		    s->response_body ? s->response_body : "");
		buf_release(&hdrs);
		return;
	}
	buf_printf(&body, "{\"id\":\"%s\",\"status\":\"queued\"", req->id);
	if (runs != NULL)
		buf_printf(&body, ",\"runs\":%s", runs);
	buf_addstr(&body, "}\n");
	respond(req, 202, NULL, "application/json", body.data);
	buf_release(&body);
}

/* Trouble while waiting for a step's answer, for the request's log. */
static void
respond_log(void *arg, const char *msg)
{
	request_log(arg, "%s", msg);
}

/*
 * Send the answer a step gave (respond.h). It comes from the worker's
 * side, so it is checked as the command that wrote it checked it. 0, or
 * -1 (logged) if it is not usable.
 */
static int
respond_with_answer(struct request *req, const struct buf *a)
{
	struct respond_answer	ans;
	int			r;

	if ((r = respond_answer_parse(a, &ans)) == 0)
		respond_bytes(req, ans.status, ans.headers.data, ans.ctype,
		    ans.body, ans.body_len);
	else
		request_log(req, "respond source=%s: the answer is malformed; "
		    "answering 202", req->source->name);
	respond_answer_release(&ans);
	return r;
}

/* The spool, opened (and made) at first use: 0, or -1 after a 503. */
static int
responder_spool(struct responder *rs, struct request *req)
{
	if (rs->spool_open)
		return 0;
	if (spool_open(&rs->spool, rs->cf->spool, 1) == -1) {
		fail(req, 503, "Retry-After: " RETRY_AFTER "\r\n",
		    "spool unavailable", "spool %s: %s", rs->cf->spool,
		    strerror(errno));
		return -1;
	}
	rs->spool_open = 1;
	return 0;
}

/*
 * Take a token from the source's bucket (ratelimit.h): 0, or -1 after
 * answering 429, or 503 when the bucket's file cannot be used. That is
 * failing closed: a limit that cannot be kept lets nothing through, and
 * the sender retries the 503 as it would a full queue.
 */
static int
rate_limit(struct responder *rs, struct request *req, long long now_us)
{
	const struct source	*s = req->source;
	const char		*what;
	char			 hdr[64];
	long			 retry = 0;
	int			 reset;

	if (responder_spool(rs, req) == -1)
		return -1;
	switch (ratelimit_take(rs->spool.dirfd, s->name, s->rate_per_minute,
	    s->rate_burst, now_us, &retry, &what, &reset)) {
	case RATELIMIT_PASS:
		break;
	case RATELIMIT_LIMITED:
		snprintf(hdr, sizeof(hdr), "Retry-After: %ld\r\n", retry);
		fail(req, 429, hdr, "rate limited", "over rate_limit %ld a "
		    "minute (burst %ld); a request passes again in %ld s",
		    s->rate_per_minute, s->rate_burst, retry);
		return -1;
	case RATELIMIT_ERROR:
		fail(req, 503, "Retry-After: " RETRY_AFTER "\r\n",
		    "spool unavailable", "rate_limit state %s/" RATELIMIT_DIR
		    "/%s: %s: %s", rs->cf->spool, s->name, what,
		    strerror(errno));
		return -1;
	}
	if (reset)
		request_log(req, "rate_limit state %s/" RATELIMIT_DIR "/%s "
		    "held no bucket: reset to a full one", rs->cf->spool,
		    s->name);
	return 0;
}

/* The request's parameters: method, query, content type and length. */
static int
request_read_params(struct request *req)
{
	const char	*cl;
	char		*end;

	req->method = param(req, "REQUEST_METHOD");
	if (req->method == NULL)
		req->method = "GET";
	req->query = param(req, "QUERY_STRING");
	if (req->query == NULL)
		req->query = "";
	req->content_type = param(req, "CONTENT_TYPE");
	if (req->content_type == NULL)
		req->content_type = "";
	req->remote_addr = param(req, "REMOTE_ADDR");
	req->content_length = -1;
	cl = param(req, "CONTENT_LENGTH");
	if (cl != NULL && *cl != '\0') {
		errno = 0;
		req->content_length = strtoll(cl, &end, 10);
		if (errno != 0 || *end != '\0' || req->content_length < 0) {
			fail(req, 400, NULL, "bad request",
			    "malformed CONTENT_LENGTH");
			return -1;
		}
	}
	return 0;
}

/* A configuration to use: 0, or -1 after a 503. */
static int
request_config(struct responder *rs, struct request *req)
{
	if (req->conf_refused != NULL) {
		fail(req, 503, "Retry-After: " RETRY_AFTER "\r\n",
		    "configuration error", "the request's HOOKDIR_CONF is "
		    "refused: %s", req->conf_refused);
		return -1;
	}
	if (rs->cf == NULL) {
		fail(req, 503, "Retry-After: " RETRY_AFTER "\r\n",
		    "configuration error", "configuration %s cannot be used "
		    "(see the errors logged for it)", rs->cf_path);
		return -1;
	}
	return 0;
}

/*
 * Which source: /NAME, nothing more, nothing that could be a path; and
 * a method it takes. 0, or -1 after a 404 or a 405.
 */
static int
request_source(struct responder *rs, struct request *req)
{
	struct buf	 b = BUF_INIT;
	const char	*pi;
	char		 name[72];
	size_t		 len, i;

	pi = param(req, "PATH_INFO");
	req->path_info = pi;
	len = pi != NULL && pi[0] == '/' ? strlen(pi + 1) : 0;
	if (len > 0 && len < sizeof(name)) {
		memcpy(name, pi + 1, len + 1);
		if (name_is_valid(name))
			req->source = config_source(rs->cf, name);
	}
	if (req->source == NULL) {
		if (pi == NULL)
			buf_addstr(&b, "none: no PATH_INFO");
		else if (pi[0] != '/') {
			buf_addstr(&b, "none: PATH_INFO ");
			add_log_safe(&b, pi, LOG_NAME_MAX);
		} else
			add_log_safe(&b, pi + 1, LOG_NAME_MAX);
		fail(req, 404, NULL, "unknown source", "unknown source %s",
		    b.data);
		buf_release(&b);
		return -1;
	}
	if (!method_allowed(req->source, req->method)) {
		buf_addstr(&b, "Allow: ");
		for (i = 0; i < req->source->nmethods; i++)
			buf_printf(&b, "%s%s", i ? ", " : "",
			    req->source->methods[i]);
		buf_addstr(&b, "\r\n");
		fail(req, 405, b.data, "method not allowed", "method %s",
		    req->method);
		buf_release(&b);
		return -1;
	}
	return 0;
}

/* Origin and size, then the body. 0, or -1 after a 403, 413, 431, 400. */
static int
request_admit(struct responder *rs, struct request *req)
{
	long long	max_body;
	int		r;

	if (!origin_allowed(req->source, req->remote_addr)) {
		fail(req, 403, NULL, "forbidden", "address not in allow_from");
		return -1;
	}
	max_body = req->source->max_body > 0 ? req->source->max_body :
	    rs->cf->max_body;
	if (req->content_length > max_body) {
		fail(req, 413, NULL, "payload too large", "Content-Length "
		    "%lld over the limit of %lld", req->content_length,
		    max_body);
		return -1;
	}
	if (headers_too_large(req)) {
		fail(req, 431, NULL, "request headers too large", "more than "
		    "%d headers or %d bytes of them", MAX_HEADERS,
		    MAX_HEADER_BYTES);
		return -1;
	}
	r = read_body(req, max_body);
	if (r == 413) {
		fail(req, 413, NULL, "payload too large", "body over the "
		    "limit of %lld bytes", max_body);
		return -1;
	}
	if (r == 400) {
		fail(req, 400, NULL, "bad request", "body shorter than its "
		    "Content-Length (%zu of %lld bytes)", req->body->len,
		    req->content_length);
		return -1;
	}
	return 0;
}

/*
 * The signature, then the spool file's header block, checked by the
 * worker's own rules for reading it: each line as written (the URI, an
 * event type a provider takes from the body, every header), not as
 * received. What is acknowledged must be readable. 0, or -1 after a 401
 * or a 431.
 */
static int
request_verify(struct request *req, long long now_s, long now_us)
{
	struct hook_request	 hr;
	const char		*why;

	memset(&hr, 0, sizeof(hr));
	hr.method = req->method;
	hr.query = req->query;
	hr.content_type = req->content_type;
	build_url(req);
	hr.url = req->url.len > 0 ? req->url.data : NULL;
	hr.body = (const unsigned char *)(req->body->data ? req->body->data : "");
	hr.body_len = req->body->len;
	hr.now = now_s;
	hr.header = header_lookup;
	hr.ctx = req;
	req->provider = req->source->provider;
	if (req->provider == NULL)
		req->provider = provider_detect(&hr);
	if (provider_verify(req->provider, req->source, &hr, &req->vr) == -1) {
		fail(req, 401, NULL, "invalid signature", "%s: %s",
		    provider_name(req->provider),
		    req->vr.reason ? req->vr.reason : "rejected");
		return -1;
	}
	build_head(req, now_s, now_us);
	if (message_check_head(req->head.data, req->head.len, &why) == -1) {
		fail(req, 431, NULL, "request headers too large", "the spool "
		    "file's headers would not be readable: %s", why);
		return -1;
	}
	return 0;
}

/* Room in the queue, and a spool to write to: 0, or -1 after a 503. */
static int
request_queue_room(struct responder *rs, struct request *req)
{
	long	depth;

	if (responder_spool(rs, req) == -1)
		return -1;
	/*
	 * Counting new/ costs a directory scan: far from the limit a
	 * second-old count will do; near it, count every time.
	 */
	depth = spool_depth(&rs->spool,
	    rs->spool.depth >= 0 && rs->spool.depth < rs->cf->max_queue -
	    rs->cf->max_queue / 10 - 1 ? 1000 : 0);
	if (depth >= rs->cf->max_queue) {
		fail(req, 503, "Retry-After: " RETRY_AFTER "\r\n",
		    "queue full", "%ld events waiting in new/ (max_queue %ld)",
		    depth, rs->cf->max_queue);
		return -1;
	}
	return 0;
}

/*
 * The durable write (tmp/, fsync, rename into new/, fsync new/), and
 * only then the answer: with a step's if the source waits for one and
 * it comes in time (respond.h), else as usual. 0, or -1 after a 503.
 */
static int
request_spool(struct responder *rs, struct request *req)
{
	struct respond_wait	 rw;
	struct buf		 answer = BUF_INIT, runs = BUF_INIT;
	struct iovec		 iov[2];
	const char		*what;
	int			 waiting = 0;

	/* A step may answer as soon as the event is in new/: be ready first. */
	if (req->source->respond_wait_ms > 0 && req->vr.handshake_status == 0) {
		waiting = respond_wait_begin(&rw, rs->cf->respond_dir,
		    req->id, respond_log, req, &what) == 0;
		if (!waiting)
			request_log(req, "respond source=%s: respond_dir %s: "
			    "%s: %s; answering without waiting",
			    req->source->name, rs->cf->respond_dir, what,
			    strerror(errno));
	}
	iov[0].iov_base = req->head.data;
	iov[0].iov_len = req->head.len;
	iov[1].iov_base = req->body->data ? req->body->data : "";
	iov[1].iov_len = req->body->len;
	if (spool_deliver(&rs->spool, req->id, iov, 2) == -1) {
		if (waiting)
			respond_wait_cancel(&rw);
		fail(req, 503, "Retry-After: " RETRY_AFTER "\r\n",
		    "spool unavailable", "writing %s/tmp/%s: %s",
		    rs->cf->spool, req->id, strerror(errno));
		return -1;
	}
	if (!waiting)
		answer_accepted(req, NULL);
	else if (respond_wait_end(&rw, req->source->respond_wait_ms,
	    &answer, &runs) == 0 || respond_with_answer(req, &answer) == -1)
		answer_accepted(req, runs.data);
	buf_release(&answer);
	buf_release(&runs);
	return 0;
}

/*
 * A request's life: source, method, origin, size, signature, rate,
 * queue, durable write, answer — in that order, as the senders' retry
 * logic expects. Each step answers the request itself when it ends it.
 */
void
handle_request(struct responder *rs, struct request *req)
{
	long long	now_s;
	long		now_us;

	now_timeval(&now_s, &now_us);
	spool_new_id(req->id);
	if (request_read_params(req) == -1 || request_config(rs, req) == -1)
		return;
	/* 1. Which source, 2. origin and size, 3. the signature. */
	if (request_source(rs, req) == -1 || request_admit(rs, req) == -1 ||
	    request_verify(req, now_s, now_us) == -1)
		return;
	/*
	 * 4. The source's rate limit. Only verified requests count: were
	 * the others counted, anyone could use up a source's budget and
	 * have its sender's deliveries refused.
	 */
	if (req->source->rate_per_minute > 0 &&
	    rate_limit(rs, req, now_s * 1000000LL + now_us) == -1)
		return;
	/* 5. Room in the queue; 6. the durable write; 7. the answer. */
	if (request_queue_room(rs, req) == -1 || request_spool(rs, req) == -1)
		return;
	if (log_getverbose() > 0)
		request_log(req, "%d source=%s provider=%s event=%s "
		    "delivery=%s bytes=%zu", req->status, req->source->name,
		    provider_name(req->provider),
		    req->vr.event ? req->vr.event : "-",
		    req->vr.delivery ? req->vr.delivery : "-",
		    req->body->len);
}

void
cleanup_request(struct request *req)
{
	verify_result_release(&req->vr);
	buf_release(&req->head);
	buf_release(&req->url);
	if (req->body != NULL && req->body->cap > BODY_KEEP)
		buf_release(req->body);
	else if (req->body != NULL)
		buf_reset(req->body);
}

void
handle_request_memory(struct responder *rs, char **params, const char *body,
    size_t len, struct buf *out)
{
	struct request	req;

	memset(&req, 0, sizeof(req));
	req.envp = params;
	req.log_stderr = 1;
	req.body = &rs->body;
	req.mem_in = body;
	req.mem_in_len = len;
	req.mem_out = out;
	handle_request(rs, &req);
	cleanup_request(&req);
}
