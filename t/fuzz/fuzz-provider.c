/*
 * Every provider's signature parsing and verification: provider_verify()
 * for one source of every row of the provider table (with fixed secrets
 * and keys, and once more without any), over fuzzed headers and bodies.
 *
 * An input is: one byte choosing the source, one byte of flags, then
 * header lines "Name: value" (and the request line's parts as
 * "@method: ", "@query: ", "@url: ", "@now: UNIXTIME"), a blank line,
 * and the body. With flag 1 the request is first signed with
 * provider_sign() (its headers replace the fuzzed ones of the same
 * name): the success paths, event types, delivery ids and handshakes
 * see fuzzed bodies too; and with only the headers provider_sign()
 * wrote, such a request must verify.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "codec.h"
#include "config.h"
#include "fuzz.h"
#include "jconf.h"
#include "log.h"
#include "provider.h"
#include "util.h"
#include "xmalloc.h"

#define MAX_HEADERS	64
#define DEFAULT_NOW	1700000000LL
#define MAX_NOW		100000000000LL	/* the year 5138 */

/* SendGrid's published test key (t/vectors/). */
#define SENDGRID_KEY	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC" \
			"+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu" \
			"/1FwCM/QmGUhA=="

static struct config	*cf;

/* The secrets of the vectors in t/vectors/, so that seeds made from them verify. */
static const struct {
	const char	*provider;
	const char	*secret;
} vector_secrets[] = {
	{ "github", "mysecret" },
	{ "slack", "8f742231b10e8888abcd99yyyzzz85a5" },
	{ "stripe", "webhook_secret" },
	{ "shopify", "test_secret_key" },
	{ "paddle", "pdl_ntfset_01hsdn8d43dt7mezr1ef2jtbaw_"
	    "hKkRiCGyyRhbFwIUuqiTBgI7gnWoV0Gr" },
	{ "kiket", "kiket-delivery-secret" },
};

static const char *
vector_secret(const char *provider)
{
	size_t	i;

	for (i = 0; i < sizeof(vector_secrets) / sizeof(vector_secrets[0]);
	    i++)
		if (strcmp(vector_secrets[i].provider, provider) == 0)
			return vector_secrets[i].secret;
	return "second";
}

/*
 * Rows that sign other bytes than the body: a secret they share with the
 * others would be a configuration error (one secret, one framing), so
 * theirs are their own.
 */
static int
framed(const char *provider)
{
	static const char *const names[] = {
		"slack", "stripe", "paddle", "mailgun"
	};
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i], provider) == 0)
			return 1;
	return 0;
}

struct freq {
	char		*name[MAX_HEADERS];
	char		*value[MAX_HEADERS];
	size_t		 n;
};

static const char *
freq_header(const void *ctx, const char *name)
{
	const struct freq	*r = ctx;
	size_t			 i;

	for (i = 0; i < r->n; i++)
		if (ascii_casecmp(r->name[i], name) == 0)
			return r->value[i];
	return NULL;
}

static void
freq_set(struct freq *r, const char *name, size_t nlen, const char *value,
    size_t vlen, int replace)
{
	size_t	i;

	if (replace) {
		for (i = 0; i < r->n; i++) {
			if (strlen(r->name[i]) == nlen &&
			    ascii_ncasecmp(r->name[i], name, nlen) == 0) {
				free(r->value[i]);
				r->value[i] = xstrndup(value, vlen);
				return;
			}
		}
	}
	if (r->n == MAX_HEADERS)
		return;
	r->name[r->n] = xstrndup(name, nlen);
	r->value[r->n] = xstrndup(value, vlen);
	r->n++;
}

static void
freq_release(struct freq *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++) {
		free(r->name[i]);
		free(r->value[i]);
	}
	r->n = 0;
}

/* "Name: value" lines, as provider_sign() writes them, replacing. */
static void
freq_lines(struct freq *r, const char *text)
{
	const char	*line = text, *nl, *colon;

	for (; *line != '\0'; line = *nl ? nl + 1 : nl) {
		nl = line + strcspn(line, "\n");
		colon = memchr(line, ':', (size_t)(nl - line));
		if (colon == NULL)
			continue;
		freq_set(r, line, (size_t)(colon - line), colon + 2,
		    (size_t)(nl - colon - 2), 1);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char * const	*names;
	unsigned char		 seed[crypto_sign_SEEDBYTES], pk[32], sk[64];
	struct buf		 conf = BUF_INIT, pkhex = BUF_INIT,
				 pkb64 = BUF_INIT;
	struct diag		 d;
	char			*path;
	size_t			 i;

	(void)argc;
	(void)argv;
	log_init("fuzz-provider", 0);
	if (sodium_init() < 0)
		fatalx("sodium_init");
	memset(seed, 7, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	hex_encode(&pkhex, pk, sizeof(pk));
	base64_encode(&pkb64, pk, sizeof(pk));

	/* One signed and one open source per row, then the generic modes. */
	buf_addstr(&conf, "{ \"sources\": {\n");
	names = provider_names();
	for (i = 0; names[i] != NULL; i++) {
		buf_printf(&conf, "\"%s-key\": { \"provider\": \"%s\", ",
		    names[i], names[i]);
		if (strcmp(names[i], "standard") == 0)
			buf_printf(&conf, "\"secret\": \"whsec_MfKQ9r8GKYqrTwj"
			    "UPD8ILPZIo2LaLaSw\", \"public_key\": \"whpk_%s\"",
			    pkb64.data);
		else if (strcmp(names[i], "discord") == 0)
			buf_printf(&conf, "\"public_key\": \"%s\"", pkhex.data);
		else if (strcmp(names[i], "sendgrid") == 0)
			buf_addstr(&conf, "\"public_key\": \"" SENDGRID_KEY "\"");
		else if (strcmp(names[i], "twilio") == 0)
			buf_addstr(&conf, "\"secret\": \"12345\", "
			    "\"public_url\": \"https://mycompany.com/myapp.php\"");
		else if (strcmp(names[i], "gitlab") == 0)
			buf_addstr(&conf, "\"secret\": [\"gitlab-token\", \"whsec_"
			    "dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3Q=\"]");
		else if (framed(names[i]))
			buf_printf(&conf, "\"secret\": [\"It's a Secret to "
			    "%s\", \"%s\"]", names[i],
			    strcmp(vector_secret(names[i]), "second") == 0 ?
			    names[i] : vector_secret(names[i]));
		else
			buf_printf(&conf, "\"secret\": [\"It's a Secret to "
			    "Everybody\", \"%s\"]", vector_secret(names[i]));
		buf_addstr(&conf, " },\n");
		if (strcmp(names[i], "discord") != 0 &&
		    strcmp(names[i], "sendgrid") != 0)
			buf_printf(&conf, "\"%s-open\": { \"provider\": "
			    "\"%s\" },\n", names[i], names[i]);
	}
	buf_addstr(&conf,
	    "\"auto\": { \"provider\": \"auto\", \"secret\": \"s3cret\" },\n"
	    "\"g-token\": { \"provider\": \"generic\", \"secret\": \"tok\", "
	    "\"algorithm\": \"token\", \"signature_header\": \"X-Token\" },\n"
	    "\"g-bearer\": { \"provider\": \"generic\", \"secret\": \"tok\", "
	    "\"algorithm\": \"bearer\" },\n"
	    "\"g-basic\": { \"provider\": \"generic\", \"secret\": "
	    "\"user:pass\", \"algorithm\": \"basic\" },\n"
	    "\"g-b64\": { \"provider\": \"generic\", \"secret\": \"s3cret\", "
	    "\"signature_header\": \"X-Sig\", \"prefix\": \"sha1=\", "
	    "\"encoding\": \"base64\", \"algorithm\": \"hmac-sha1\", "
	    "\"event_header\": \"X-Event\", \"delivery_header\": "
	    "\"X-Delivery\", \"tolerance\": \"5m\" },\n"
	    "\"g-512\": { \"provider\": \"generic\", \"secret\": \"s3cret\", "
	    "\"algorithm\": \"hmac-sha512\" }\n"
	    "} }\n");
	path = fuzz_path("providers.conf");
	fuzz_write(path, conf.data, conf.len);
	diag_init(&d);
	if ((cf = config_load(path, &d)) == NULL) {
		diag_print(&d);
		fatalx("the fuzzing configuration does not load");
	}
	diag_release(&d);
	free(path);
	buf_release(&conf);
	buf_release(&pkhex);
	buf_release(&pkb64);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct source	*s;
	struct hook_request	 hr;
	struct verify_result	 vr;
	struct freq		 r;
	struct buf		 sig = BUF_INIT;
	const uint8_t		*head, *body, *p, *line, *colon;
	const char		*why, *ct;
	char			*method = NULL, *query = NULL, *url = NULL, *ctype;
	size_t			 headlen, body_len, len, nlen;
	int			 flags, signed_ok = 0, res;

	if (size < 2)
		return 0;
	s = &cf->sources[data[0] % cf->nsources];
	flags = data[1];
	memset(&r, 0, sizeof(r));
	memset(&hr, 0, sizeof(hr));
	hr.now = DEFAULT_NOW;
	fuzz_split(data + 2, size - 2, &head, &headlen, &body, &body_len);
	for (p = head; fuzz_line(&p, head + headlen, &line, &len); ) {
		if ((colon = memchr(line, ':', len)) == NULL ||
		    memchr(line, '\0', len) != NULL)
			continue;
		nlen = (size_t)(colon - line);
		colon++;
		if (colon < line + len && *colon == ' ')
			colon++;
		len -= (size_t)(colon - line);
		if (nlen == 7 && memcmp(line, "@method", 7) == 0) {
			free(method);
			method = xstrndup((const char *)colon, len);
		} else if (nlen == 6 && memcmp(line, "@query", 6) == 0) {
			free(query);
			query = xstrndup((const char *)colon, len);
		} else if (nlen == 4 && memcmp(line, "@url", 4) == 0) {
			free(url);
			url = xstrndup((const char *)colon, len);
		} else if (nlen == 4 && memcmp(line, "@now", 4) == 0) {
			char *n = xstrndup((const char *)colon, len);
			/* The responder's now is the clock: keep it one. */
			hr.now = strtoll(n, NULL, 10);
			if (hr.now < 0 || hr.now > MAX_NOW)
				hr.now = DEFAULT_NOW;
			free(n);
		} else
			freq_set(&r, (const char *)line, nlen,
			    (const char *)colon, len, 0);
	}
	hr.method = method != NULL ? method : "POST";
	hr.query = query != NULL ? query : "";
	hr.url = url;
	hr.body = body_len > 0 ? body : (const uint8_t *)"";
	hr.body_len = body_len;
	hr.header = freq_header;
	hr.ctx = &r;
	ct = freq_header(&r, "Content-Type");
	hr.content_type = ct != NULL ? ct : "";

	if ((flags & 1) && provider_sign(s->provider, s, &hr, &sig, &why)
	    == 0) {
		freq_lines(&r, sig.data);
		ct = freq_header(&r, "Content-Type");
		hr.content_type = ct != NULL ? ct : "";
		signed_ok = 1;
	}
	res = provider_verify(s->provider, s, &hr, &vr);
	if (res == 0 && vr.reason != NULL)
		abort();
	if (res == -1 && vr.reason == NULL)
		abort();
	verify_result_release(&vr);
	/*
	 * What provider_sign() signs, provider_verify() accepts: the same
	 * request with only the headers it wrote (the fuzzed ones could
	 * contradict them). Not for "auto": the headers decide the provider.
	 */
	if (signed_ok && s->provider != NULL) {
		ctype = ct != NULL ? xstrdup(ct) : NULL;
		freq_release(&r);
		freq_lines(&r, sig.data);
		if (ctype != NULL)
			freq_set(&r, "Content-Type", 12, ctype, strlen(ctype), 1);
		ct = freq_header(&r, "Content-Type");
		hr.content_type = ct != NULL ? ct : "";
		free(ctype);
		if (provider_verify(s->provider, s, &hr, &vr) == -1) {
			fprintf(stderr, "signed request rejected: %s\n",
			    vr.reason);
			abort();
		}
		verify_result_release(&vr);
	}

	buf_release(&sig);
	freq_release(&r);
	free(method);
	free(query);
	free(url);
	return 0;
}
