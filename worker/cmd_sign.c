/*
 * hookdir sign: a curl command that sends a file as a source's provider
 * would, signed with the source's secret (hookdir(1)). For trying a
 * receiver and its pipelines end to end without the real sender.
 */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "buf.h"
#include "config.h"
#include "hookdir.h"
#include "provider.h"
#include "util.h"
#include "xmalloc.h"

#define SIGN_URL	"http://localhost/hooks/"
#define SIGN_EVENT	"ping"

static const char usage_sign[] =
    "usage: hookdir sign [--event TYPE] [--url URL] SOURCE FILE\n"
    "\n"
    "Print a curl command that POSTs FILE's bytes to the receiver with the\n"
    "headers SOURCE's provider would send, signed now with SOURCE's first\n"
    "secret: its event type, a fresh delivery id, the signature and its\n"
    "timestamp; for a source whose provider is auto, as GitHub does. Run\n"
    "it with sh. Content-Type is application/json when FILE is JSON, else\n"
    "application/x-www-form-urlencoded.\n"
    "\n"
    "  --event TYPE  the event type, for providers that send it in a header\n"
    "                (default ping); others read it from the body\n"
    "  --url URL     where to send it (default " SIGN_URL "SOURCE);\n"
    "                SOURCE is appended when URL ends in /\n"
    "\n"
    "Exit status 65 for an unknown source or one that cannot be signed with\n"
    "a secret (Ed25519 and ECDSA senders sign with their private key), 66\n"
    "when FILE cannot be read.\n";

/* One shell word: in single quotes, a ' as '\''. */
static void
sign_quote(struct buf *out, const char *s)
{
	buf_addch(out, '\'');
	for (; *s != '\0'; s++)
		if (*s == '\'')
			buf_addstr(out, "'\\''");
		else
			buf_addch(out, *s);
	buf_addch(out, '\'');
}

/* A request header from the "Name: value\n" lines signed so far. */
static const char *
sign_header_get(const void *ctx, const char *name)
{
	const struct buf	*hs = ctx;
	static struct buf	 v = BUF_INIT;	/* until the next call */
	const char		*p, *nl, *colon;
	size_t			 n = strlen(name);

	for (p = buf_str((struct buf *)hs); *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		colon = memchr(p, ':', (size_t)(nl - p));
		if (colon == NULL || (size_t)(colon - p) != n ||
		    ascii_ncasecmp(p, name, n) != 0)
			continue;
		for (colon++; *colon == ' '; colon++)
			;
		buf_reset(&v);
		buf_add(&v, colon, (size_t)(nl - colon));
		return buf_str(&v);
	}
	return NULL;
}

/* -H words for the lines of hs, but those whose header is in except. */
static void
sign_headers(struct buf *cmd, struct buf *hs, struct buf *except)
{
	const char	*p, *nl;
	char		*line;
	size_t		 n;

	for (p = buf_str(hs); (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		line = xstrndup(p, (size_t)(nl - p));
		n = strcspn(line, ":");
		line[n] = '\0';
		if (except == NULL || sign_header_get(except, line) == NULL) {
			line[n] = ':';
			buf_addstr(cmd, " -H ");
			sign_quote(cmd, line);
		}
		free(line);
	}
}

/* A delivery id that looks like the UUIDs most senders use. */
static void
sign_delivery(char *id, size_t len)
{
	unsigned char	r[16];

	randombytes_buf(r, sizeof(r));
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(id, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5],
	    r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
}

/* Where to send it: URL, and SOURCE after it when URL ends in '/'. */
static char *
sign_url(const char *url, const char *source)
{
	char	*full;

	if (url == NULL)
		url = SIGN_URL;
	if (url[0] != '\0' && url[strlen(url) - 1] == '/')
		xasprintf(&full, "%s%s", url, source);
	else
		full = xstrdup(url);
	return full;
}

/*
 * The signature headers into sig for body posted to url with the
 * headers in hs, as the provider computes them: 0, or an exit status
 * printed.
 */
static int
sign_body(const struct provider *prov, const struct source *src,
    const char *url, const char *ctype, struct buf *body, struct buf *hs,
    struct buf *sig)
{
	struct hook_request	 req;
	const char		*why;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.query = "";
	req.url = url;
	req.content_type = ctype;
	req.body = (const unsigned char *)buf_str(body);
	req.body_len = body->len;
	req.now = (long long)time(NULL);
	req.header = sign_header_get;
	req.ctx = hs;
	if (provider_sign(prov, src, &req, sig, &why) == -1) {
		fprintf(stderr, "hookdir sign: source `%s` (%s) cannot be "
		    "signed here: %s\n", src->name, provider_name(prov), why);
		return EX_DATAERR;
	}
	return 0;
}

/* The curl command on standard output. */
static void
sign_print_curl(struct buf *hs, struct buf *sig, const char *file,
    const char *url)
{
	struct buf	 cmd = BUF_INIT;
	char		*at;

	/* The signer's own headers (Standard Webhooks' webhook-id) win. */
	buf_addstr(&cmd, "curl -sS -X POST");
	sign_headers(&cmd, hs, sig);
	sign_headers(&cmd, sig, NULL);
	buf_addstr(&cmd, " --data-binary ");
	xasprintf(&at, "@%s", file);
	sign_quote(&cmd, at);
	free(at);
	buf_addch(&cmd, ' ');
	sign_quote(&cmd, url);
	printf("%s\n", buf_str(&cmd));
	buf_release(&cmd);
}

int
cmd_sign(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "event",	required_argument,	NULL, 'e' },
		{ "url",	required_argument,	NULL, 'u' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	const struct provider	*prov;
	const struct source	*src;
	struct config		*cf;
	struct buf		 body = BUF_INIT, hs = BUF_INIT, sig = BUF_INIT;
	const char		*event = NULL, *url = NULL;
	const char		*file, *ctype;
	char			 delivery[40], *full;
	int			 ch, rc, in_header;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			event = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'h':
			return cli_usage_exit(usage_sign, 1);
		default:
			return cli_usage_exit(usage_sign, 0);
		}
	}
	if (argc - optind != 2)
		return cli_usage_exit(usage_sign, 0);
	cf = cli_config(cli);
	if ((src = config_source(cf, argv[optind])) == NULL) {
		fprintf(stderr, "hookdir sign: no source `%s` in %s\n",
		    argv[optind], cf->path);
		return EX_DATAERR;
	}
	prov = provider_signer(src);
	/* curl reads FILE again: it must be a file, not standard input. */
	file = argv[optind + 1];
	if (strcmp(file, "-") == 0) {
		fprintf(stderr, "hookdir sign: FILE must be a file: the curl "
		    "command reads it\n");
		return EX_USAGE;
	}
	if ((rc = cli_read_body("sign", cli, src, file, &body)) != 0)
		return rc;
	if (sodium_init() < 0) {
		fprintf(stderr, "hookdir sign: libsodium failed to "
		    "initialize\n");
		buf_release(&body);
		return EX_SOFTWARE;
	}

	full = sign_url(url, src->name);

	/* What curl --data-binary would say, unless the file is JSON. */
	ctype = cli_looks_like_json(&body) ? "application/json" :
	    "application/x-www-form-urlencoded";
	buf_printf(&hs, "Content-Type: %s\n", ctype);
	sign_delivery(delivery, sizeof(delivery));
	in_header = provider_sender_headers(prov, src,
	    event != NULL ? event : SIGN_EVENT, delivery, &hs);

	if ((rc = sign_body(prov, src, full, ctype, &body, &hs, &sig)) != 0)
		goto done;
	if (event != NULL && !in_header)
		fprintf(stderr, "hookdir sign: --event ignored: source `%s` "
		    "(%s) has no event type header\n", src->name,
		    provider_name(prov));

	sign_print_curl(&hs, &sig, file, full);
done:
	free(full);
	buf_release(&hs);
	buf_release(&sig);
	buf_release(&body);
	return rc;
}
