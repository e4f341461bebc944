/*
 * hookdir.fcgi's request handling, end to end but without a web server:
 * handle_request_memory() runs the same handle_request() the responder
 * runs for every FastCGI or CGI request, against a spool in a scratch
 * directory.
 *
 * An input is the request as the web server hands it over: CGI
 * parameters, one NAME=value a line (REQUEST_METHOD, PATH_INFO,
 * CONTENT_LENGTH, HTTP_X_GITHUB_EVENT...), a blank line, then the body.
 *
 * Beyond crashes it checks the promise of the responder: after a 2xx
 * for a queued event exactly one complete file is in new/, one the
 * worker reads (event_load(), as the worker loads what it claims) and
 * whose Content-Length and body are what was received; after anything
 * else nothing, and tmp/ is always left empty.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "event.h"
#include "fuzz.h"
#include "jconf.h"
#include "log.h"
#include "message.h"
#include "request.h"
#include "xmalloc.h"

#define MAX_PARAMS	256

/* Sources for every path through handle_request(). */
static const char conf_text[] =
"{\n"
"  \"spool\": \"spool\",\n"
"  \"state\": \"state\",\n"
"  \"limits\": { \"max_body\": \"64k\", \"max_queue\": 1000 },\n"
"  \"sources\": {\n"
"    \"open\": { \"provider\": \"generic\" },\n"
"    \"auto\": { \"provider\": \"auto\" },\n"
"    \"site\": { \"provider\": \"github\", \"secret\": \"It's a Secret to Everybody\" },\n"
"    \"gitea\": { \"provider\": \"gitea\", \"secret\": \"It's a Secret to Everybody\" },\n"
"    \"gitlab\": { \"provider\": \"gitlab\", \"secret\": \"mysecret\" },\n"
"    \"slack\": { \"provider\": \"slack\", \"secret\": \"8f742231b10e8888abcd99yyyzzz85a5\", \"tolerance\": 0 },\n"
"    \"slack-open\": { \"provider\": \"slack\" },\n"
"    \"stripe\": { \"provider\": \"stripe\", \"secret\": \"webhook_secret\", \"tolerance\": 0 },\n"
"    \"std\": { \"provider\": \"standard-webhooks\", \"secret\": \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", \"tolerance\": 0 },\n"
"    \"twilio\": { \"provider\": \"twilio\", \"secret\": \"12345\", \"public_url\": \"https://mycompany.com/myapp.php\" },\n"
"    \"token\": { \"provider\": \"generic\", \"secret\": \"tok\", \"algorithm\": \"token\", \"signature_header\": \"X-Token\" },\n"
"    \"bearer\": { \"provider\": \"generic\", \"secret\": \"tok\", \"algorithm\": \"bearer\" },\n"
"    \"basic\": { \"provider\": \"generic\", \"secret\": \"user:pass\", \"algorithm\": \"basic\" },\n"
"    \"hmac\": { \"provider\": \"generic\", \"secret\": [\"old\", \"s3cret\"], \"signature_header\": \"X-Signature\", \"prefix\": \"sha256=\", \"encoding\": \"base64\", \"algorithm\": \"hmac-sha512\", \"event_header\": \"X-Event\", \"delivery_header\": \"X-Delivery\" },\n"
"    \"limited\": { \"provider\": \"generic\", \"methods\": [\"POST\", \"PUT\"], \"allow_from\": [\"10.0.0.0/8\", \"::1\", \"192.0.2.0/24\"], \"max_body\": \"100\" },\n"
"    \"fixed\": { \"provider\": \"generic\", \"response\": { \"status\": 200, \"headers\": { \"Content-Type\": \"text/plain\", \"X-Fixed\": \"yes\" }, \"body\": \"thanks\" } }\n"
"  }\n"
"}\n";

static struct responder	 rs;
static char		*spool_new, *spool_tmp;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct diag	 d;
	char		*conf;

	(void)argc;
	(void)argv;
	log_init("fuzz-request", 0);
	conf = fuzz_path("hookdir.conf");
	fuzz_write(conf, conf_text, sizeof(conf_text) - 1);
	diag_init(&d);
	memset(&rs, 0, sizeof(rs));
	if ((rs.cf = config_load(conf, &d)) == NULL) {
		diag_print(&d);
		fatalx("the fuzzing configuration does not load");
	}
	diag_release(&d);
	rs.cf_path = conf;
	rs.log_stderr = 1;
	spool_new = fuzz_path("spool/new");
	spool_tmp = fuzz_path("spool/tmp");
	return 0;
}

/* The status of a CGI answer ("Status: 202 Accepted\r\n..."), or -1. */
static int
answer_status(const struct buf *out)
{
	int	st;

	if (out->len < 11 || strncmp(out->data, "Status: ", 8) != 0)
		return -1;
	st = atoi(out->data + 8);
	return st >= 100 && st <= 599 ? st : -1;
}

/* The id of a {"id":"ID","status":"queued"} answer body into id. */
static int
answer_id(const struct buf *out, char *id, size_t len)
{
	const char	*p, *q;

	if ((p = strstr(out->data, "\r\n\r\n{\"id\":\"")) == NULL)
		return -1;
	p += 11;
	if ((q = strchr(p, '"')) == NULL || (size_t)(q - p) >= len)
		return -1;
	memcpy(id, p, (size_t)(q - p));
	id[q - p] = '\0';
	return 0;
}

/* The one file in new/ must hold what was received; abort() if not. */
static void
check_spooled(const struct buf *out, const char *cl, const uint8_t *body,
    size_t body_len)
{
	struct event	 ev;
	const char	*why, *v;
	char		 id[SPOOL_ID_MAX], *path, num[32];
	size_t		 want = body_len;

	if (fuzz_count_dir(spool_new) != 1)
		abort();
	if (answer_id(out, id, sizeof(id)) == 0) {
		xasprintf(&path, "%s/%s", spool_new, id);
		if (event_load(&ev, id, path, &why) == -1)
			abort();
		free(path);
		/* The body read is the Content-Length's worth of what came. */
		if (cl != NULL && *cl != '\0' && (size_t)atoll(cl) < want)
			want = (size_t)atoll(cl);
		snprintf(num, sizeof(num), "%zu", want);
		if ((v = message_get(&ev.msg, "Content-Length")) == NULL ||
		    strcmp(v, num) != 0 || ev.msg.body_len != want ||
		    (want > 0 && memcmp(ev.msg.body, body, want) != 0) ||
		    (v = message_get(&ev.msg, "Hookdir-Id")) == NULL ||
		    strcmp(v, id) != 0)
			abort();
		event_release(&ev);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*head, *body, *p, *line;
	size_t		 headlen, body_len, len, n = 0, i;
	char		*params[MAX_PARAMS + 1];
	const char	*cl = NULL;
	struct buf	 out = BUF_INIT;
	int		 st;

	fuzz_split(data, size, &head, &headlen, &body, &body_len);
	p = head;
	while (n < MAX_PARAMS && fuzz_line(&p, head + headlen, &line, &len)) {
		/* A parameter has a name; NUL cannot travel in one. */
		if (len == 0 || memchr(line, '=', len) == NULL ||
		    line[0] == '=' || memchr(line, '\0', len) != NULL)
			continue;
		params[n] = xstrndup((const char *)line, len);
		if (cl == NULL && strncmp(params[n], "CONTENT_LENGTH=", 15) == 0)
			cl = params[n] + 15;
		n++;
	}
	params[n] = NULL;

	handle_request_memory(&rs, params, (const char *)body, body_len, &out);

	st = answer_status(&out);
	if (st == -1)
		abort();
	if (st >= 200 && st < 300)
		check_spooled(&out, cl, body, body_len);
	else if (fuzz_count_dir(spool_new) > 0)
		abort();
	if (fuzz_count_dir(spool_tmp) > 0)
		abort();
	fuzz_empty_dir(spool_new);

	buf_release(&out);
	for (i = 0; i < n; i++)
		free(params[i]);
	return 0;
}
