/*
 * The responder's promise to the worker, as a property: over generated
 * requests whose URI, event header and number of headers lie around the
 * limits of the spool file's reader, every request handle_request()
 * acknowledges (2xx) is a spool file the worker's event_load() reads,
 * and every one it refuses leaves nothing in the spool.
 */
#include "autoconf.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "event.h"
#include "jconf.h"
#include "log.h"
#include "message.h"
#include "provider.h"
#include "request.h"
#include "xmalloc.h"
#include "tap.h"

static const char conf_text[] =
"{\n"
"  \"spool\": \"spool\",\n"
"  \"sources\": {\n"
"    \"open\": { \"provider\": \"generic\" },\n"
"    \"ev\": { \"provider\": \"generic\", \"event_header\": \"X-Event\",\n"
"              \"delivery_header\": \"X-Delivery\" },\n"
"    \"slack\": { \"provider\": \"slack\", \"secret\": \"s3cret\",\n"
"                 \"tolerance\": 0 }\n"
"  }\n"
"}\n";

static char		 tmp[] = "/tmp/hookdir-request-XXXXXX";
static char		 newdir[PATH_MAX];
static struct responder	 rs;

struct tally {
	int	cases;
	int	accepted;
	int	refused;
	int	broken;		/* promise not kept */
};

static void
setup(void)
{
	struct diag	 d;
	char		 path[PATH_MAX];
	FILE		*f;

	if (mkdtemp(tmp) == NULL)
		fatal("mkdtemp");
	snprintf(path, sizeof(path), "%s/hookdir.conf", tmp);
	if ((f = fopen(path, "w")) == NULL || fputs(conf_text, f) == EOF ||
	    fclose(f) == EOF)
		fatal("%s", path);
	diag_init(&d);
	if ((rs.cf = config_load(path, &d)) == NULL) {
		diag_print(&d);
		fatalx("the test configuration does not load");
	}
	diag_release(&d);
	rs.cf_path = xstrdup(path);
	rs.log_stderr = 1;
	snprintf(newdir, sizeof(newdir), "%s/spool/new", tmp);
}

/* Remove what new/ holds; how many files that was. */
static int
empty_new(void)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[PATH_MAX + 256];
	int		 n = 0;

	if ((d = opendir(newdir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", newdir, de->d_name);
		unlink(path);
		n++;
	}
	closedir(d);
	return n;
}

static void
cleanup(void)
{
	static const char	*names[] = { "spool/tmp", "spool/new",
	    "spool/cur", "spool/done", "spool/failed", "spool", NULL };
	char			 path[PATH_MAX];
	size_t			 i;

	for (i = 0; names[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", tmp, names[i]);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/hookdir.conf", tmp);
	unlink(path);
	rmdir(tmp);
}

static char *
param(const char *name, const char *prefix, size_t len)
{
	struct buf	b = BUF_INIT;
	size_t		plen = strlen(prefix);

	buf_printf(&b, "%s=%s", name, prefix);
	for (; len > plen; len--)
		buf_addch(&b, 'a');
	return buf_detach(&b, NULL);
}

/*
 * A request to source src: a URI of uri_len bytes, nheaders headers
 * X-H-NNN with values of hv_len bytes, an X-Event header of ev_len bytes
 * if ev_len > 0, a Content-Type of ct_len bytes if ct_len > 0, the
 * body (default "{}") and more parameters (NAME=value) if extra is set.
 */
struct req {
	const char	*src;
	size_t		 uri_len;
	size_t		 nheaders;
	size_t		 hv_len;
	size_t		 ev_len;
	size_t		 ct_len;
	const char	*body;
	char		**extra;
};

/* Its status; the tally says whether the promise held. */
static int
request(struct tally *t, const struct req *r)
{
	const char	*src = r->src, *body = r->body ? r->body : "{}";
	size_t		 uri_len = r->uri_len, nheaders = r->nheaders;
	size_t		 hv_len = r->hv_len, ev_len = r->ev_len;
	size_t		 ct_len = r->ct_len;
	struct buf	 out = BUF_INIT, prefix = BUF_INIT;
	struct event	 ev;
	char		**params, name[32], *path;
	const char	*why, *p, *q;
	size_t		 n = 0, i;
	int		 status, kept;

	for (i = 0; r->extra != NULL && r->extra[i] != NULL; i++)
		;
	params = xcalloc(nheaders + i + 9, sizeof(*params));
	params[n++] = xstrdup("REQUEST_METHOD=POST");
	xasprintf(&params[n++], "PATH_INFO=/%s", src);
	xasprintf(&params[n++], "CONTENT_LENGTH=%zu", strlen(body));
	params[n++] = xstrdup("REMOTE_ADDR=192.0.2.1");
	buf_printf(&prefix, "/hooks/%s?q=", src);
	params[n++] = param("REQUEST_URI", prefix.data, uri_len);
	for (i = 0; i < nheaders; i++) {
		snprintf(name, sizeof(name), "HTTP_X_H_%03zu", i);
		params[n++] = param(name, "", hv_len);
	}
	if (ev_len > 0)
		params[n++] = param("HTTP_X_EVENT", "", ev_len);
	if (ct_len > 0)
		params[n++] = param("CONTENT_TYPE", "text/plain; a=", ct_len);
	for (i = 0; r->extra != NULL && r->extra[i] != NULL; i++)
		params[n++] = xstrdup(r->extra[i]);
	params[n] = NULL;

	handle_request_memory(&rs, params, body, strlen(body), &out);
	status = strncmp(out.data, "Status: ", 8) == 0 ? atoi(out.data + 8) :
	    -1;
	t->cases++;
	if (status >= 200 && status < 300) {
		t->accepted++;
		kept = 0;
		if ((p = strstr(out.data, "{\"id\":\"")) != NULL &&
		    (q = strchr(p + 7, '"')) != NULL) {
			xasprintf(&path, "%s/%.*s", newdir, (int)(q - p - 7),
			    p + 7);
			if (event_load(&ev, "t", path, &why) == 0) {
				kept = 1;
				event_release(&ev);
			} else
				printf("# %s uri=%zu headers=%zux%zu event=%zu "
				    "type=%zu body=%zu: acknowledged %d, the "
				    "worker cannot read it: %s\n", src, uri_len,
				    nheaders, hv_len, ev_len, ct_len,
				    strlen(body), status, why);
			free(path);
		}
		if (empty_new() != 1)
			kept = 0;
	} else {
		t->refused++;
		kept = empty_new() == 0;
		if (!kept)
			printf("# %s uri=%zu: refused %d, but spooled\n", src,
			    uri_len, status);
	}
	if (!kept)
		t->broken++;

	for (i = 0; i < n; i++)
		free(params[i]);
	free(params);
	buf_release(&prefix);
	buf_release(&out);
	return status;
}

static const char *
no_header(const void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return NULL;
}

/*
 * The parameters a web server would pass for body signed as source src
 * signs it, Content-Type application/json: NULL-terminated, malloc'd.
 */
static char **
signed_params(const char *src, const char *body)
{
	const struct source	*s = config_source(rs.cf, src);
	struct hook_request	 hr;
	struct buf		 lines = BUF_INIT, name = BUF_INIT;
	const char		*why, *p, *colon, *nl;
	char			**v;
	size_t			 n = 0;

	memset(&hr, 0, sizeof(hr));
	hr.method = "POST";
	hr.query = "";
	hr.content_type = "application/json";
	hr.body = (const unsigned char *)body;
	hr.body_len = strlen(body);
	hr.now = (long long)time(NULL);
	hr.header = no_header;
	if (s == NULL || provider_sign(s->provider, s, &hr, &lines, &why) == -1)
		fatalx("cannot sign for %s", src);
	v = xcalloc(8, sizeof(*v));
	v[n++] = xstrdup("CONTENT_TYPE=application/json");
	for (p = lines.data; (nl = strchr(p, '\n')) != NULL && n < 7;
	    p = nl + 1) {
		if ((colon = memchr(p, ':', (size_t)(nl - p))) == NULL)
			continue;
		buf_reset(&name);
		buf_addstr(&name, "HTTP_");
		for (; p < colon; p++)
			buf_addch(&name, *p == '-' ? '_' : (char)toupper(
			    (unsigned char)*p));
		for (p = colon + 1; *p == ' '; p++)
			;
		xasprintf(&v[n++], "%s=%.*s", name.data, (int)(nl - p), p);
	}
	buf_release(&lines);
	buf_release(&name);
	return v;
}

static void
params_free(char **v)
{
	size_t	i;

	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

int
main(void)
{
	static const size_t	 counts[] = { 0, 1, 99, 100, 101 };
	struct tally		 t;
	struct buf		 body = BUF_INIT;
	char			**extra;
	size_t			 len, c, h;

	log_init("test-request", 0);
	setup();

	/*
	 * "Hookdir-Uri: " and the URI make a line: the reader takes lines
	 * of up to MESSAGE_MAX_HEADER_LEN bytes.
	 */
	memset(&t, 0, sizeof(t));
	for (len = MESSAGE_MAX_HEADER_LEN - 60; len <= MESSAGE_MAX_HEADER_LEN + 8;
	    len++)
		for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++)
			request(&t, &(struct req){ "open", len, counts[c],
			    4, 0, 0, NULL, NULL });
	ok(t.broken == 0, "URIs around the line limit, with 0 to 101 "
	    "headers: every 2xx is readable, nothing else spooled (%d cases, "
	    "%d accepted)", t.cases, t.accepted);
	ok(t.accepted > 0 && t.refused > 0, "both sides of the limit were "
	    "reached");
	memset(&t, 0, sizeof(t));
	ok(request(&t, &(struct req){ "open", MESSAGE_MAX_HEADER_LEN - 13,
	    0, 0, 0, 0, NULL, NULL }) == 202,
	    "the longest URI whose line the reader takes: 202");
	ok(request(&t, &(struct req){ "open", MESSAGE_MAX_HEADER_LEN - 12,
	    0, 0, 0, 0, NULL, NULL }) == 431,
	    "one byte more: 431");
	ok(t.broken == 0, "and both kept the promise");

	/*
	 * The event type is a header of its own and a Hookdir-Event line;
	 * the content type a Content-Type line.
	 */
	memset(&t, 0, sizeof(t));
	for (len = MESSAGE_MAX_HEADER_LEN - 60; len <= MESSAGE_MAX_HEADER_LEN + 8;
	    len++) {
		request(&t, &(struct req){ "ev", len, 0, 0, 1, 0, NULL, NULL });
		request(&t, &(struct req){ "ev", 20, 0, 0, len, 0, NULL, NULL });
		request(&t, &(struct req){ "ev", 20, 2, 16, len - 40, 0,
		    NULL, NULL });
		request(&t, &(struct req){ "ev", 20, 0, 0, 0, len, NULL, NULL });
		request(&t, &(struct req){ "open", 20, 0, 0, 0, len, NULL, NULL });
	}
	ok(t.broken == 0, "event and content types around the line limit: "
	    "every 2xx is readable (%d cases, %d accepted)", t.cases,
	    t.accepted);

	/*
	 * Slack's event type comes from the body: no header limit sees it
	 * (the provider keeps only short ones).
	 */
	memset(&t, 0, sizeof(t));
	for (len = MESSAGE_MAX_HEADER_LEN - 30; len <= MESSAGE_MAX_HEADER_LEN + 8;
	    len++) {
		buf_reset(&body);
		buf_addstr(&body, "{\"type\":\"");
		for (h = 0; h < len; h++)
			buf_addch(&body, 'e');
		buf_addstr(&body, "\"}");
		extra = signed_params("slack", body.data);
		request(&t, &(struct req){ "slack", 20, 0, 0, 0, 0,
		    body.data, extra });
		params_free(extra);
	}
	ok(t.broken == 0 && t.accepted > 0, "event types from the body "
	    "around the line limit: every 2xx is readable (%d cases, %d "
	    "accepted)", t.cases, t.accepted);
	buf_release(&body);

	/* Many header lines, each of them as long as the total allows. */
	memset(&t, 0, sizeof(t));
	for (c = 90; c <= 101; c++)
		for (h = 0; h <= 700; h += 100)
			request(&t, &(struct req){ "ev", 100, c, h, 10, 0,
			    NULL, NULL });
	ok(t.broken == 0, "90 to 101 headers of up to 700 bytes: every 2xx "
	    "is readable (%d cases, %d accepted)", t.cases, t.accepted);

	config_free(rs.cf);
	free(rs.cf_path);
	buf_release(&rs.body);
	if (rs.spool_open)
		spool_close(&rs.spool);
	cleanup();
	return tap_done();
}
