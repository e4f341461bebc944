/*
 * The provider table: every signature vector (t/vectors/), detection, and per-scheme
 * cases the vectors do not cover (keys made here, key rotation, several
 * signatures, sign-then-verify, generic modes, event and delivery ids,
 * replay windows).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "buf.h"
#include "codec.h"
#include "config.h"
#include "jconf.h"
#include "provider.h"
#include "util.h"
#include "xmalloc.h"
#include "tap.h"

/* A request under construction; owns its strings. */
struct req {
	char		*name[32];
	char		*value[32];
	size_t		 n;
	char		*body;
	size_t		 body_len;
	char		*ct;
	char		*query;
	char		*url;
	const char	*method;
	long long	 now;
};

static const char *
req_header(const void *ctx, const char *name)
{
	const struct req	*r = ctx;
	size_t			 i;

	for (i = 0; i < r->n; i++)
		if (ascii_casecmp(r->name[i], name) == 0)
			return r->value[i];
	return NULL;
}

static void
req_init(struct req *r, const char *body, long long now)
{
	memset(r, 0, sizeof(*r));
	r->body = xstrdup(body);
	r->body_len = strlen(body);
	r->ct = xstrdup("application/json");
	r->query = xstrdup("");
	r->method = "POST";
	r->now = now;
}

static void
req_body(struct req *r, const char *body, size_t len)
{
	free(r->body);
	r->body = xmalloc(len + 1);
	memcpy(r->body, body, len);
	r->body[len] = '\0';
	r->body_len = len;
}

static void
req_set(char **dst, const char *v)
{
	free(*dst);
	*dst = v != NULL ? xstrdup(v) : NULL;
}

/* Set (or replace, or with NULL remove) a header. */
static void
req_hdr(struct req *r, const char *name, const char *value)
{
	size_t	i;

	for (i = 0; i < r->n; i++) {
		if (ascii_casecmp(r->name[i], name) != 0)
			continue;
		free(r->value[i]);
		if (value != NULL) {
			r->value[i] = xstrdup(value);
			return;
		}
		free(r->name[i]);
		r->n--;
		r->name[i] = r->name[r->n];
		r->value[i] = r->value[r->n];
		return;
	}
	if (value == NULL || r->n == 32)
		return;
	r->name[r->n] = xstrdup(name);
	r->value[r->n] = xstrdup(value);
	r->n++;
}

/* "Name: value\n" lines, as provider_sign writes them. */
static void
req_hdr_lines(struct req *r, const char *lines)
{
	char	*copy = xstrdup(lines), *line, *next, *colon;

	for (line = copy; *line != '\0'; line = next) {
		next = line + strcspn(line, "\n");
		if (*next == '\n')
			*next++ = '\0';
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		req_hdr(r, line, colon + 2);
	}
	free(copy);
}

static void
req_release(struct req *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++) {
		free(r->name[i]);
		free(r->value[i]);
	}
	free(r->body);
	free(r->ct);
	free(r->query);
	free(r->url);
	memset(r, 0, sizeof(*r));
}

static struct hook_request
req_hook(const struct req *r)
{
	struct hook_request	hr;

	memset(&hr, 0, sizeof(hr));
	hr.method = r->method;
	hr.query = r->query;
	hr.content_type = r->ct;
	hr.url = r->url;
	hr.body = (const unsigned char *)r->body;
	hr.body_len = r->body_len;
	hr.now = r->now;
	hr.header = req_header;
	hr.ctx = r;
	return hr;
}

/* A source as config_load() would build it. */
static void
src_init(struct source *s, const char *provider)
{
	memset(s, 0, sizeof(*s));
	s->name = xstrdup("t");
	s->line = 1;
	s->provider = provider_find(provider);
	s->tolerance_ms = -1;
	s->max_body = -1;
	s->encoding = ENC_HEX;
	s->algorithm = HMAC_SHA256;
	s->auth = GENERIC_HMAC;
	if (s->provider == NULL)
		diag("unknown provider %s", provider);
}

static void
src_secret(struct source *s, const char *secret)
{
	s->secrets = xreallocarray(s->secrets, s->nsecrets + 1,
	    sizeof(*s->secrets));
	memset(&s->secrets[s->nsecrets], 0, sizeof(*s->secrets));
	s->secrets[s->nsecrets].data = (unsigned char *)xstrdup(secret);
	s->secrets[s->nsecrets].len = strlen(secret);
	s->secrets[s->nsecrets].key = "secret";
	s->secrets[s->nsecrets].line = s->line;
	s->nsecrets++;
}

static void
src_release(struct source *s)
{
	size_t	i;

	for (i = 0; i < s->nsecrets; i++)
		free(s->secrets[i].data);
	free(s->secrets);
	free(s->name);
	free(s->public_key);
	free(s->public_url);
	free(s->signature_header);
	free(s->prefix);
	free(s->event_header);
	free(s->delivery_header);
	memset(s, 0, sizeof(*s));
}

/* Verify; vr is filled either way and the caller releases it. */
static int
verify(const struct source *s, const struct req *r, struct verify_result *vr)
{
	struct hook_request	hr = req_hook(r);

	return provider_verify(s->provider, s, &hr, vr);
}

/* Verify and check the outcome; the reason is shown on a surprise. */
static int
expect(const struct source *s, const struct req *r, int valid,
    const char *what)
{
	struct verify_result	vr;
	int			got;

	got = verify(s, r, &vr) == 0;
	ok(got == valid, "%s: %s: %s", provider_name(s->provider), what,
	    valid ? "valid" : "invalid");
	if (got != valid)
		diag("reason: %s", vr.reason ? vr.reason : "(none)");
	verify_result_release(&vr);
	return got == valid;
}

/* Verify and check the reason given for a rejection. */
static void
expect_reason(const struct source *s, const struct req *r,
    const char *reason, const char *what)
{
	struct verify_result	vr;

	ok(verify(s, r, &vr) == -1 && vr.reason != NULL &&
	    strcmp(vr.reason, reason) == 0, "%s: %s: rejected, %s",
	    provider_name(s->provider), what, reason);
	if (vr.reason == NULL || strcmp(vr.reason, reason) != 0)
		diag("reason: %s", vr.reason ? vr.reason : "(none)");
	verify_result_release(&vr);
}

static char *
mac_text(enum hmac_alg alg, const char *key, size_t keylen, const char *data,
    size_t len, int b64)
{
	unsigned char	mac[HMAC_MAX_LEN];
	struct buf	b = BUF_INIT;
	size_t		n;

	n = hmac_buf(alg, key, keylen, data, len, mac);
	if (b64)
		base64_encode(&b, mac, n);
	else
		hex_encode(&b, mac, n);
	return buf_detach(&b, NULL);
}

/* Standard Webhooks v1 signature of id.ts.body under a whsec_ secret. */
static char *
stdwh_sig(const char *secret, const char *id, const char *ts,
    const char *body)
{
	unsigned char	 key[128];
	char		*data, *mac, *r;
	long		 n;

	n = base64_decode(secret + 6, strlen(secret + 6), key, sizeof(key));
	xasprintf(&data, "%s.%s.%s", id, ts, body);
	mac = mac_text(HMAC_SHA256, (char *)key, (size_t)n, data,
	    strlen(data), 1);
	xasprintf(&r, "v1,%s", mac);
	free(data);
	free(mac);
	return r;
}

/*
 * The signature vectors of t/vectors/.
 */

static const struct {
	const char	*id;
	const char	*event;
	const char	*delivery;
} vector_fields[] = {
	{ "github-doc-sha256", "ping", "72d3162e-cc78-11e3-81ab-4c9367dc0958" },
	{ "forgejo-json", "push", "f6266f16-1bf3-46a5-9ea4-602e06ead473" },
	{ "gitea-json", "push", "f6266f16-1bf3-46a5-9ea4-602e06ead473" },
	{ "gogs-json", "push", "f6266f16-1bf3-46a5-9ea4-602e06ead473" },
	{ "gitlab-token", "Push Hook", NULL },
	{ "gitlab-signing-token", "Push Hook",
	    "0b7a9f7c-3a3e-4d0d-9b6a-1c2e3f4a5b6c" },
	{ "bitbucket-sha256", "repo:push", NULL },
	{ "slack-doc", "/webhook-collect", NULL },
	{ "stripe-dotnet", "customer.created", "evt_123" },
	{ "stdwh-v1", NULL, "msg_p5jXN8AQM9LWM0D4loKWxJek" },
	{ "svix-branded", NULL, "msg_p5jXN8AQM9LWM0D4loKWxJek" },
	{ "shopify-sdk", "products/create", "123456789" },
	{ "paddle-sdk", "price.created", "ntf_01hsdn977e920kbgzt6r6c9rqc" },
	{ "sendgrid-sdk", NULL, NULL },
	{ "kiket-constructed", "workflow.sla_status", "inv_7f3c9a" },
};

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int
jnull(struct json_object *o, const char *key)
{
	struct json_object	*v;

	return !json_object_object_get_ex(o, key, &v) || v == NULL ||
	    json_object_is_type(v, json_type_null);
}

/* A source and a request from one vector. */
static void
vector_load(struct json_object *v, struct source *s, struct req *r)
{
	struct json_object	*o;
	const char		*url, *q, *body;

	src_init(s, jstr(v, "provider"));
	if (jstr(v, "secret") != NULL)
		src_secret(s, jstr(v, "secret"));
	if (jstr(v, "public_key") != NULL)
		s->public_key = xstrdup(jstr(v, "public_key"));
	if (!jnull(v, "tolerance_s")) {
		json_object_object_get_ex(v, "tolerance_s", &o);
		s->tolerance_ms = json_object_get_int64(o) * 1000;
	}
	json_object_object_get_ex(v, "body", &o);
	body = json_object_get_string(o);
	req_init(r, "", jnull(v, "now") ? (long long)time(NULL) : 0);
	req_body(r, body, (size_t)json_object_get_string_len(o));
	if (!jnull(v, "now")) {
		json_object_object_get_ex(v, "now", &o);
		r->now = json_object_get_int64(o);
	}
	if (jstr(v, "method") != NULL)
		r->method = jstr(v, "method");
	if ((url = jstr(v, "url")) != NULL) {
		q = strchr(url, '?');
		free(r->url);
		r->url = q != NULL ? xstrndup(url, (size_t)(q - url)) :
		    xstrdup(url);
		req_set(&r->query, q != NULL ? q + 1 : "");
		if (strcmp(jstr(v, "provider"), "twilio") == 0)
			s->public_url = xstrdup(r->url);
	}
	req_set(&r->ct, "");
	if (json_object_object_get_ex(v, "headers", &o)) {
		json_object_object_foreach(o, name, hv) {
			req_hdr(r, name, json_object_get_string(hv));
			if (ascii_casecmp(name, "Content-Type") == 0)
				req_set(&r->ct, json_object_get_string(hv));
		}
	}
}

static struct json_object *
vectors_open(void)
{
	struct json_object	*all;
	const char		*top = getenv("top_srcdir");
	const char		*given = getenv("HOOKDIR_VECTORS");
	const char		*require = getenv("HOOKDIR_TEST_REQUIRE");
	char			 path[4096];
	FILE			*f;

	if (given != NULL && *given != '\0')
		snprintf(path, sizeof(path), "%s", given);
	else
		snprintf(path, sizeof(path),
		    "%s/t/vectors/signatures.json", top != NULL ? top : ".");
	if ((f = fopen(path, "r")) == NULL) {
		if (require != NULL && strcmp(require, "1") == 0)
			ok(0, "vectors: %s is missing", path);
		else {
			tap_n++;
			printf("ok %d # SKIP vectors: %s not found\n", tap_n,
			    path);
		}
		return NULL;
	}
	fclose(f);
	all = json_object_from_file(path);
	if (!ok(all != NULL && json_object_is_type(all, json_type_array),
	    "vectors: %s parses as a JSON array", path)) {
		json_object_put(all);
		return NULL;
	}
	return all;
}

static void
test_vectors(struct json_object *all)
{
	const struct provider	*want, *got;
	struct verify_result	 vr;
	struct hook_request	 hr;
	struct source		 s;
	struct req		 r;
	struct json_object	*v;
	unsigned char		 hash[32];
	struct buf		 hex = BUF_INIT;
	const char		*id;
	size_t			 i, j, n;
	int			 valid, res;

	n = json_object_array_length(all);
	ok(n >= 65, "vectors: %zu of them", n);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(all, i);
		id = jstr(v, "id");
		vector_load(v, &s, &r);
		buf_reset(&hex);
		sha256_buf(r.body, r.body_len, hash);
		hex_encode(&hex, hash, 32);
		if (!ok(jstr(v, "body_sha256") != NULL &&
		    strcmp(hex.data, jstr(v, "body_sha256")) == 0,
		    "%s: body decoded byte for byte", id)) {
			req_release(&r);
			src_release(&s);
			continue;
		}
		valid = strcmp(jstr(v, "expect"), "valid") == 0;
		res = verify(&s, &r, &vr) == 0;
		ok(res == valid, "%s: %s", id, valid ? "valid" : "invalid");
		if (res != valid)
			diag("reason: %s", vr.reason ? vr.reason : "(none)");
		for (j = 0; res && j < sizeof(vector_fields) /
		    sizeof(vector_fields[0]); j++) {
			if (strcmp(vector_fields[j].id, id) != 0)
				continue;
			is_str(vr.event, vector_fields[j].event,
			    "%s: event type", id);
			if (vector_fields[j].delivery != NULL ||
			    strcmp(id, "sendgrid-sdk") == 0)
				is_str(vr.delivery, vector_fields[j].delivery,
				    "%s: delivery id", id);
		}
		verify_result_release(&vr);

		hr = req_hook(&r);
		want = provider_find(jstr(v, "provider"));
		got = provider_detect(&hr);
		ok(got == want, "%s: detected as %s", id, provider_name(want));
		if (got != want)
			diag("detected as %s", provider_name(got));
		req_release(&r);
		src_release(&s);
	}
	buf_release(&hex);
}

/* The Discord PING the negative vectors were made from, rebuilt. */
static void
test_discord_vector(struct json_object *all)
{
	struct json_object	*v, *body = NULL, *key = NULL;
	struct verify_result	 vr;
	struct source		 s;
	struct req		 r;
	size_t			 i;

	for (i = 0; i < json_object_array_length(all); i++) {
		v = json_object_array_get_idx(all, i);
		if (strcmp(jstr(v, "id"), "discord-neg-key") == 0)
			body = v;
		if (strcmp(jstr(v, "id"), "discord-neg-body") == 0)
			key = v;
	}
	if (!ok(body != NULL && key != NULL, "discord negative vectors found"))
		return;
	vector_load(body, &s, &r);
	free(s.public_key);
	s.public_key = xstrdup(jstr(key, "public_key"));
	ok(verify(&s, &r, &vr) == 0, "discord: the real PING verifies");
	is_int(vr.handshake_status, 200, "discord: PING answered 200");
	is_str(vr.handshake_body, "{\"type\":1}", "discord: PONG body");
	is_str(vr.delivery, "995105663481028770", "discord: delivery id");
	verify_result_release(&vr);
	req_release(&r);
	src_release(&s);
}

/*
 * Keys made here.
 */

static void
test_discord(void)
{
	unsigned char	 pk[32], sk[64], sig[64];
	struct buf	 b = BUF_INIT;
	struct verify_result vr;
	struct source	 s;
	struct req	 r;
	const char	*body = "{\"type\":1,\"id\":\"42\"}";
	char		*msg;

	crypto_sign_keypair(pk, sk);
	src_init(&s, "discord");
	hex_encode(&b, pk, 32);
	s.public_key = buf_detach(&b, NULL);
	xasprintf(&msg, "1700000000%s", body);
	crypto_sign_detached(sig, NULL, (unsigned char *)msg, strlen(msg), sk);
	hex_encode(&b, sig, 64);
	req_init(&r, body, 1700000000);
	req_hdr(&r, "X-Signature-Ed25519", b.data);
	req_hdr(&r, "X-Signature-Timestamp", "1700000000");

	ok(verify(&s, &r, &vr) == 0, "discord: own key, valid");
	is_str(vr.scheme, "ed25519", "discord: scheme");
	is_int(vr.handshake_status, 200, "discord: PING handshake status");
	is_str(vr.handshake_body, "{\"type\":1}", "discord: PING handshake");
	is_str(vr.event, "1", "discord: event type is the decimal type");
	is_str(vr.delivery, "42", "discord: delivery id");
	verify_result_release(&vr);

	r.now = 1700000000 + 86400;
	expect_reason(&s, &r, "timestamp outside replay window",
	    "a day old: outside the default 300 s window");
	r.now = 1700000000 + 299;
	expect(&s, &r, 1, "299 s old with the default window");
	r.now = 1700000000 - 301;
	expect_reason(&s, &r, "timestamp outside replay window",
	    "301 s in the future with the default window");
	s.tolerance_ms = 60000;
	r.now = 1700000000 + 61;
	expect_reason(&s, &r, "timestamp outside replay window",
	    "61 s old with a 60 s tolerance");
	s.tolerance_ms = 0;
	r.now = 1700000000 + 86400;
	expect(&s, &r, 1, "a day old with the check turned off (0)");
	s.tolerance_ms = -1;
	r.now = 1700000000;

	r.body[2] ^= 1;
	expect_reason(&s, &r, "signature mismatch", "a flipped body byte");
	r.body[2] ^= 1;
	req_hdr(&r, "X-Signature-Timestamp", "1700000001");
	expect(&s, &r, 0, "another timestamp");
	req_hdr(&r, "X-Signature-Timestamp", NULL);
	expect_reason(&s, &r, "timestamp missing", "no timestamp header");
	req_hdr(&r, "X-Signature-Timestamp", "17e8");
	expect_reason(&s, &r, "timestamp malformed", "a malformed timestamp");
	req_hdr(&r, "X-Signature-Timestamp", "1700000000");
	req_hdr(&r, "X-Signature-Ed25519", "abcd");
	expect_reason(&s, &r, "signature malformed", "a short signature");
	req_hdr(&r, "X-Signature-Ed25519", NULL);
	expect_reason(&s, &r, "signature header missing", "no signature");
	req_hdr(&r, "X-Signature-Ed25519", b.data);

	crypto_sign_keypair(pk, sk);
	buf_reset(&b);
	hex_encode(&b, pk, 32);
	free(s.public_key);
	s.public_key = buf_detach(&b, NULL);
	expect_reason(&s, &r, "signature mismatch", "another key");

	/* Not a PING: verified, but no handshake. */
	crypto_sign_detached(sig, NULL,
	    (const unsigned char *)"1700000000{\"type\":2}", 20, sk);
	hex_encode(&b, sig, 64);
	req_hdr(&r, "X-Signature-Ed25519", b.data);
	req_body(&r, "{\"type\":2}", 10);
	ok(verify(&s, &r, &vr) == 0 && vr.handshake_status == 0 &&
	    vr.handshake_body == NULL && strcmp(vr.event, "2") == 0,
	    "discord: a command is verified and not answered");
	verify_result_release(&vr);

	buf_release(&b);
	free(msg);
	req_release(&r);
	src_release(&s);
}

static void
test_standard_v1a(void)
{
	unsigned char	 pk[32], sk[64], sig[64];
	struct buf	 b = BUF_INIT, hdr = BUF_INIT;
	struct verify_result vr;
	struct source	 s;
	struct req	 r;
	const char	*body = "{\"type\":\"user.created\"}";
	char		*msg, *v1;

	crypto_sign_keypair(pk, sk);
	src_init(&s, "standard");
	buf_addstr(&b, "whpk_");
	base64_encode(&b, pk, 32);
	s.public_key = buf_detach(&b, NULL);
	xasprintf(&msg, "msg_1.1700000000.%s", body);
	crypto_sign_detached(sig, NULL, (unsigned char *)msg, strlen(msg), sk);
	buf_addstr(&hdr, "v1,AAAA v1a,");
	base64_encode(&hdr, sig, 64);
	req_init(&r, body, 1700000010);
	req_hdr(&r, "webhook-id", "msg_1");
	req_hdr(&r, "webhook-timestamp", "1700000000");
	req_hdr(&r, "webhook-signature", hdr.data);

	ok(verify(&s, &r, &vr) == 0 && strcmp(vr.scheme, "ed25519") == 0,
	    "standard: v1a Ed25519 with a whpk_ key");
	is_str(vr.event, "user.created", "standard: event type from the body");
	is_str(vr.delivery, "msg_1", "standard: delivery is webhook-id");
	verify_result_release(&vr);
	req_hdr(&r, "webhook-id", "msg_2");
	expect_reason(&s, &r, "signature mismatch", "v1a, another id");
	req_hdr(&r, "webhook-id", "msg_1");

	/* With a secret too, either kind may match. */
	src_secret(&s, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	expect(&s, &r, 1, "v1a right, v1 wrong, both keys configured");
	v1 = stdwh_sig("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1",
	    "1700000000", body);
	req_hdr(&r, "webhook-signature", v1);
	ok(verify(&s, &r, &vr) == 0 && strcmp(vr.scheme, "hmac-sha256") == 0,
	    "standard: v1 right, both keys configured");
	verify_result_release(&vr);
	free(s.public_key);
	s.public_key = NULL;
	req_hdr(&r, "webhook-signature", hdr.data);
	expect(&s, &r, 0, "v1a without a public key");

	buf_release(&b);
	buf_release(&hdr);
	free(msg);
	free(v1);
	req_release(&r);
	src_release(&s);
}

/* SendGrid with a P-256 key made here: window and headers. */
static void
test_sendgrid(void)
{
	EVP_PKEY_CTX	*kctx;
	EVP_PKEY	*key = NULL;
	EVP_MD_CTX	*md;
	unsigned char	*der = NULL, sig[128];
	struct buf	 b = BUF_INIT;
	struct verify_result vr;
	struct source	 s;
	struct req	 r;
	const char	*body = "[{\"event\":\"delivered\"}]\r\n";
	size_t		 siglen = sizeof(sig);
	int		 derlen;

	kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
	if (kctx == NULL || EVP_PKEY_keygen_init(kctx) != 1 ||
	    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kctx,
	    NID_X9_62_prime256v1) != 1 || EVP_PKEY_keygen(kctx, &key) != 1) {
		ok(0, "sendgrid: P-256 key generation");
		EVP_PKEY_CTX_free(kctx);
		return;
	}
	EVP_PKEY_CTX_free(kctx);
	derlen = i2d_PUBKEY(key, &der);
	src_init(&s, "sendgrid");
	base64_encode(&b, der, (size_t)derlen);
	s.public_key = buf_detach(&b, NULL);
	OPENSSL_free(der);

	md = EVP_MD_CTX_new();
	EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key);
	EVP_DigestSignUpdate(md, "1600000000", 10);
	EVP_DigestSignUpdate(md, body, strlen(body));
	EVP_DigestSignFinal(md, sig, &siglen);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	base64_encode(&b, sig, siglen);

	req_init(&r, body, 1600000000 + 3600);
	req_hdr(&r, "X-Twilio-Email-Event-Webhook-Signature", b.data);
	req_hdr(&r, "X-Twilio-Email-Event-Webhook-Timestamp", "1600000000");
	ok(verify(&s, &r, &vr) == 0 && strcmp(vr.scheme, "ecdsa-p256") == 0 &&
	    vr.event == NULL && vr.delivery == NULL,
	    "sendgrid: own key, an hour old, no window by default, no ids");
	verify_result_release(&vr);
	s.tolerance_ms = 600000;
	expect_reason(&s, &r, "timestamp outside replay window",
	    "an hour old with a 10 min tolerance");
	r.now = 1600000000;
	expect(&s, &r, 1, "fresh with a tolerance");
	r.body[3] = 'E';
	expect_reason(&s, &r, "signature mismatch", "body changed");
	r.body[3] = 'e';
	req_hdr(&r, "X-Twilio-Email-Event-Webhook-Timestamp", NULL);
	expect_reason(&s, &r, "timestamp missing", "no timestamp header");
	req_hdr(&r, "X-Twilio-Email-Event-Webhook-Timestamp", "1600000000");
	req_hdr(&r, "X-Twilio-Email-Event-Webhook-Signature", "!!!");
	expect_reason(&s, &r, "signature malformed", "signature not base64");
	req_hdr(&r, "X-Twilio-Email-Event-Webhook-Signature", NULL);
	expect_reason(&s, &r, "signature header missing", "no signature");

	buf_release(&b);
	req_release(&r);
	src_release(&s);
}

/*
 * Key rotation and several signatures in one header.
 */

static void
test_rotation(void)
{
	struct source	 s;
	struct req	 r;
	char		*mac, *h, *old, *v1a, *v1b;
	const char	*body = "{\"zen\":\"Keep it logically awesome.\"}";

	src_init(&s, "github");
	src_secret(&s, "old-secret");
	src_secret(&s, "new-secret");
	req_init(&r, body, 0);
	req_hdr(&r, "X-GitHub-Event", "push");
	mac = mac_text(HMAC_SHA256, "new-secret", 10, body, strlen(body), 0);
	xasprintf(&h, "sha256=%s", mac);
	req_hdr(&r, "X-Hub-Signature-256", h);
	expect(&s, &r, 1, "the second secret matches (rotation)");
	free(h);
	free(mac);
	mac = mac_text(HMAC_SHA256, "other", 5, body, strlen(body), 0);
	xasprintf(&h, "sha256=%s", mac);
	req_hdr(&r, "X-Hub-Signature-256", h);
	expect_reason(&s, &r, "signature mismatch", "neither secret matches");
	free(h);
	old = mac;
	mac = mac_text(HMAC_SHA256, "old-secret", 10, body, strlen(body), 0);
	xasprintf(&h, "sha256=%s, sha256=%s", old, mac);
	req_hdr(&r, "X-Hub-Signature-256", h);
	expect(&s, &r, 1, "two signatures in one header, the second matches");
	free(h);
	free(mac);
	free(old);

	/* The algorithm comes from the prefix, not the header name. */
	req_hdr(&r, "X-Hub-Signature-256", NULL);
	mac = mac_text(HMAC_SHA256, "old-secret", 10, body, strlen(body), 0);
	xasprintf(&h, "sha256=%s", mac);
	req_hdr(&r, "X-Hub-Signature", h);
	expect(&s, &r, 1, "sha256= in X-Hub-Signature");
	free(h);
	xasprintf(&h, "sha1=%s", mac);
	req_hdr(&r, "X-Hub-Signature", h);
	expect_reason(&s, &r, "signature malformed",
	    "a sha256-sized digest called sha1");
	free(h);
	xasprintf(&h, "md5=%s", mac);
	req_hdr(&r, "X-Hub-Signature", h);
	expect_reason(&s, &r, "signature malformed", "an unknown prefix");
	free(h);
	req_hdr(&r, "X-Hub-Signature", mac);
	expect_reason(&s, &r, "signature malformed", "no prefix");
	free(mac);
	mac = mac_text(HMAC_SHA512, "new-secret", 10, body, strlen(body), 0);
	xasprintf(&h, "sha512=%s", mac);
	req_hdr(&r, "X-Hub-Signature", h);
	expect(&s, &r, 1, "sha512= selects HMAC-SHA512");
	free(h);
	free(mac);
	req_hdr(&r, "X-Hub-Signature", NULL);
	expect_reason(&s, &r, "signature header missing", "no signature");
	req_release(&r);
	src_release(&s);

	/* Standard Webhooks: two secrets, a list with an unknown version. */
	src_init(&s, "standard");
	src_secret(&s, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	src_secret(&s, "whsec_YW5vdGhlci0yNC1ieXRlLXNlY3JldCEh");
	req_init(&r, body, 1700000000);
	req_hdr(&r, "svix-id", "msg_x");
	req_hdr(&r, "svix-timestamp", "1700000000");
	v1a = stdwh_sig("whsec_YW5vdGhlci0yNC1ieXRlLXNlY3JldCEh", "msg_x",
	    "1700000000", body);
	v1b = stdwh_sig("whsec_bm90LWNvbmZpZ3VyZWQtYXQtYWxsLTEyMzQ=", "msg_x",
	    "1700000000", body);
	xasprintf(&h, "v2,abc %s  %s", v1b, v1a);
	req_hdr(&r, "svix-signature", h);
	expect(&s, &r, 1, "svix: second secret, third signature in the list");
	free(h);
	req_hdr(&r, "svix-signature", v1b);
	expect_reason(&s, &r, "signature mismatch", "svix: unknown key");
	req_hdr(&r, "svix-signature", "v2,abc");
	expect_reason(&s, &r, "signature malformed",
	    "svix: no v1 signature at all");
	req_hdr(&r, "svix-id", NULL);
	req_hdr(&r, "svix-signature", v1a);
	expect_reason(&s, &r, "webhook-id missing", "svix: no id");
	req_hdr(&r, "svix-id", "msg_x");
	req_hdr(&r, "svix-timestamp", NULL);
	expect_reason(&s, &r, "timestamp missing", "svix: no timestamp");
	req_hdr(&r, "svix-timestamp", "1700000000.5");
	expect_reason(&s, &r, "timestamp malformed", "svix: fractional ts");
	req_hdr(&r, "svix-timestamp", "1700000000");
	r.now = 1700000000 + 301;
	expect_reason(&s, &r, "timestamp outside replay window",
	    "svix: 301 s old");
	r.now = 1700000000 - 301;
	expect_reason(&s, &r, "timestamp outside replay window",
	    "svix: 301 s ahead");
	s.tolerance_ms = 0;
	expect(&s, &r, 1, "svix: tolerance 0 turns the window off");
	req_hdr(&r, "svix-signature", NULL);
	expect_reason(&s, &r, "signature header missing", "svix: nothing");
	free(v1a);
	free(v1b);
	req_release(&r);
	src_release(&s);
}

/* The timestamped HMAC schemes: missing, malformed, stale, future. */
static void
test_timestamps(void)
{
	struct source	 s;
	struct req	 r;
	char		*mac, *mac2, *h, *data;
	const char	*body = "{\"type\":\"x\",\"id\":\"evt_1\"}";

	/* Stripe */
	src_init(&s, "stripe");
	src_secret(&s, "whsec_stripe");
	req_init(&r, body, 1700000000);
	xasprintf(&data, "1700000000.%s", body);
	mac = mac_text(HMAC_SHA256, "whsec_stripe", 12, data, strlen(data), 0);
	free(data);
	xasprintf(&h, "t=1700000000,v1=%s,v0=abc", mac);
	req_hdr(&r, "Stripe-Signature", h);
	expect(&s, &r, 1, "whsec_ secret used as raw bytes");
	free(h);
	xasprintf(&h, "t=1700000000,v1=%064d,v1=%s", 0, mac);
	req_hdr(&r, "Stripe-Signature", h);
	expect(&s, &r, 1, "the second v1 matches");
	free(h);
	r.now = 1700000000 + 301;
	expect_reason(&s, &r, "timestamp outside replay window", "301 s old");
	r.now = 1700000000 - 301;
	expect_reason(&s, &r, "timestamp outside replay window",
	    "301 s in the future (two-sided, by choice)");
	s.tolerance_ms = 3600000;
	expect(&s, &r, 1, "a source tolerance of 1 h");
	s.tolerance_ms = -1;
	r.now = 1700000000;
	xasprintf(&h, "v1=%s", mac);
	req_hdr(&r, "Stripe-Signature", h);
	expect_reason(&s, &r, "timestamp missing", "no t=");
	free(h);
	xasprintf(&h, "t=abc,v1=%s", mac);
	req_hdr(&r, "Stripe-Signature", h);
	expect_reason(&s, &r, "timestamp malformed", "t=abc");
	free(h);
	req_hdr(&r, "Stripe-Signature", "t=1700000000,v0=abc");
	expect_reason(&s, &r, "signature malformed", "no v1=");
	req_hdr(&r, "Stripe-Signature", NULL);
	expect_reason(&s, &r, "signature header missing", "no header");
	free(mac);
	req_release(&r);
	src_release(&s);

	/* Slack */
	src_init(&s, "slack");
	src_secret(&s, "slack-signing-secret");
	req_init(&r, body, 1700000000);
	xasprintf(&data, "v0:1700000000:%s", body);
	mac = mac_text(HMAC_SHA256, "slack-signing-secret", 20, data,
	    strlen(data), 0);
	free(data);
	xasprintf(&h, "v0=%s", mac);
	req_hdr(&r, "X-Slack-Signature", h);
	req_hdr(&r, "X-Slack-Request-Timestamp", "1700000000");
	expect(&s, &r, 1, "v0 signature");
	r.now = 1700000000 + 300;
	expect(&s, &r, 1, "exactly 300 s old");
	r.now = 1700000000 + 301;
	expect_reason(&s, &r, "timestamp outside replay window", "301 s old");
	r.now = 1700000000 - 301;
	expect_reason(&s, &r, "timestamp outside replay window", "301 s ahead");
	r.now = 1700000000;
	req_hdr(&r, "X-Slack-Request-Timestamp", NULL);
	expect_reason(&s, &r, "timestamp missing", "no timestamp header");
	req_hdr(&r, "X-Slack-Request-Timestamp", "-1700000000");
	expect_reason(&s, &r, "timestamp malformed", "negative timestamp");
	req_hdr(&r, "X-Slack-Request-Timestamp", "1700000000");
	req_hdr(&r, "X-Slack-Signature", mac);
	expect_reason(&s, &r, "signature malformed", "no v0= prefix");
	req_hdr(&r, "X-Slack-Signature", "v0=xyz");
	expect_reason(&s, &r, "signature malformed", "not hex");
	req_hdr(&r, "X-Slack-Signature", NULL);
	expect_reason(&s, &r, "signature header missing", "no signature");
	free(h);
	free(mac);
	req_release(&r);
	src_release(&s);

	/* Paddle: 5 s, one-sided; several h1 while a secret rotates. */
	src_init(&s, "paddle");
	src_secret(&s, "pdl_ntfset_a");
	src_secret(&s, "pdl_ntfset_b");
	req_init(&r, body, 1700000000);
	xasprintf(&data, "1700000000:%s", body);
	mac = mac_text(HMAC_SHA256, "pdl_ntfset_a", 12, data, strlen(data), 0);
	mac2 = mac_text(HMAC_SHA256, "pdl_ntfset_b", 12, data, strlen(data), 0);
	free(data);
	xasprintf(&h, "ts=1700000000;h1=%s", mac);
	req_hdr(&r, "Paddle-Signature", h);
	expect(&s, &r, 1, "h1 signature");
	free(h);
	xasprintf(&h, "ts=1700000000; h1=%064d; h1=%s", 0, mac2);
	req_hdr(&r, "Paddle-Signature", h);
	expect(&s, &r, 1, "the second h1 under the second secret");
	r.now = 1700000000 + 5;
	expect(&s, &r, 1, "5 s old");
	r.now = 1700000000 + 6;
	expect_reason(&s, &r, "timestamp outside replay window", "6 s old");
	r.now = 1700000000 - 60;
	expect(&s, &r, 1, "a minute ahead: the window is one-sided");
	r.now = 1700000000;
	free(h);
	xasprintf(&h, "h1=%s", mac);
	req_hdr(&r, "Paddle-Signature", h);
	expect_reason(&s, &r, "timestamp missing", "no ts=");
	req_hdr(&r, "Paddle-Signature", NULL);
	expect_reason(&s, &r, "signature header missing", "no header");
	free(h);
	free(mac);
	free(mac2);
	req_release(&r);
	src_release(&s);
}

/*
 * Sign, then verify: for every provider that signs with a secret.
 */

static void
test_sign_roundtrip(void)
{
	const char * const	*names = provider_names();
	struct verify_result	 vr;
	struct hook_request	 hr;
	struct source		 s;
	struct req		 r;
	struct buf		 out = BUF_INIT;
	const char		*why, *body = "{\"type\":\"ping\",\"id\":\"1\"}";
	size_t			 i;
	int			 signs;

	for (i = 0; names[i] != NULL; i++) {
		src_init(&s, names[i]);
		if (strcmp(names[i], "standard") == 0)
			src_secret(&s, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
		else
			src_secret(&s, "round-trip secret");
		req_init(&r, body, 1700000000);
		if (strcmp(names[i], "twilio") == 0) {
			s.public_url = xstrdup("https://example.com/hooks/t");
			req_set(&r.ct, "application/x-www-form-urlencoded");
			req_body(&r, "b=2&a=1&a=0", 11);
			req_set(&r.query, "x=1");
		}
		buf_reset(&out);
		hr = req_hook(&r);
		signs = strcmp(names[i], "discord") != 0 &&
		    strcmp(names[i], "sendgrid") != 0 &&
		    strcmp(names[i], "mailgun") != 0;
		if (!signs) {
			int rv = provider_sign(s.provider, &s, &hr, &out,
			    &why);
			ok(rv == -1 && why != NULL && out.len == 0,
			    "%s: cannot sign (%s)", names[i],
			    why ? why : "no reason");
			req_release(&r);
			src_release(&s);
			continue;
		}
		if (!ok(provider_sign(s.provider, &s, &hr, &out, &why) == 0,
		    "%s: signs", names[i])) {
			diag("why: %s", why);
			req_release(&r);
			src_release(&s);
			continue;
		}
		req_hdr_lines(&r, out.data);
		ok(verify(&s, &r, &vr) == 0, "%s: what it signs verifies",
		    names[i]);
		if (vr.reason != NULL)
			diag("reason: %s; headers: %s", vr.reason, out.data);
		verify_result_release(&vr);
		if (r.body_len > 0) {
			r.body[r.body_len - 1] ^= 1;
			ok(verify(&s, &r, &vr) == -1 ||
			    strcmp(names[i], "gitlab") == 0,
			    "%s: a changed body does not%s", names[i],
			    strcmp(names[i], "gitlab") == 0 ?
			    " matter to a token" : "");
			verify_result_release(&vr);
		}
		req_release(&r);
		src_release(&s);
	}

	/* Timestamps are the request's now; standard gets an id. */
	src_init(&s, "standard");
	src_secret(&s, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	req_init(&r, body, 1234567890);
	hr = req_hook(&r);
	buf_reset(&out);
	provider_sign(s.provider, &s, &hr, &out, &why);
	ok(strstr(out.data, "webhook-timestamp: 1234567890\n") != NULL &&
	    strstr(out.data, "webhook-id: msg_") != NULL &&
	    strstr(out.data, "webhook-signature: v1,") != NULL,
	    "standard: id, timestamp = now, v1 signature");
	req_hdr(&r, "svix-id", "msg_given");
	hr = req_hook(&r);
	buf_reset(&out);
	provider_sign(s.provider, &s, &hr, &out, &why);
	ok(strstr(out.data, "svix-id: msg_given\n") != NULL &&
	    strstr(out.data, "svix-signature: v1,") != NULL,
	    "standard: keeps the request's svix-id");
	src_release(&s);
	req_release(&r);

	src_init(&s, "github");
	req_init(&r, body, 0);
	hr = req_hook(&r);
	buf_reset(&out);
	ok(provider_sign(s.provider, &s, &hr, &out, &why) == -1 &&
	    why != NULL && strstr(why, "no secret") != NULL,
	    "github: no secret, no signature");
	src_release(&s);
	src_init(&s, "slack");
	src_secret(&s, "x");
	buf_reset(&out);
	ok(provider_sign(s.provider, &s, &hr, &out, &why) == 0 &&
	    strncmp(out.data, "X-Slack-Request-Timestamp: 0\n", 29) == 0,
	    "slack: the timestamp header comes first");
	src_release(&s);
	req_release(&r);
	buf_release(&out);
}

/*
 * The generic provider's modes.
 */

static void
test_generic(void)
{
	struct verify_result	 vr;
	struct source		 s;
	struct req		 r;
	struct buf		 b = BUF_INIT;
	char			*mac, *h;
	const char		*body = "hello";

	src_init(&s, "generic");
	src_secret(&s, "k");
	req_init(&r, body, 0);
	mac = mac_text(HMAC_SHA256, "k", 1, body, 5, 0);
	req_hdr(&r, "X-Webhook-Signature", mac);
	ok(verify(&s, &r, &vr) == 0 && strcmp(vr.scheme, "hmac-sha256") == 0,
	    "generic: hex HMAC-SHA256 in X-Webhook-Signature");
	verify_result_release(&vr);
	req_hdr(&r, "X-Webhook-Signature", NULL);
	xasprintf(&h, "a=b&signature=%s", mac);
	req_set(&r.query, h);
	free(h);
	expect(&s, &r, 1, "?signature= when the header is absent");
	req_set(&r.query, "signature=00");
	expect(&s, &r, 0, "a wrong ?signature=");
	req_set(&r.query, "");
	expect_reason(&s, &r, "signature header missing", "neither");
	/* Found by t/fuzz/fuzz-provider: the query's fields leaked. */
	req_set(&r.query, "foo=1&bar=a%20long%20enough%20value");
	expect_reason(&s, &r, "signature header missing",
	    "a query without signature= (nothing leaks)");
	free(mac);

	s.prefix = xstrdup("sha256=");
	mac = mac_text(HMAC_SHA256, "k", 1, body, 5, 0);
	req_hdr(&r, "X-Webhook-Signature", mac);
	expect_reason(&s, &r, "signature malformed",
	    "a configured prefix is required");
	xasprintf(&h, "sha256=%s", mac);
	req_hdr(&r, "X-Webhook-Signature", h);
	expect(&s, &r, 1, "the configured prefix is stripped");
	free(h);
	free(mac);
	free(s.prefix);
	s.prefix = NULL;

	s.algorithm = HMAC_SHA1;
	s.encoding = ENC_BASE64;
	s.signature_header = xstrdup("X-Sig");
	mac = mac_text(HMAC_SHA1, "k", 1, body, 5, 1);
	req_hdr(&r, "X-Webhook-Signature", NULL);
	req_hdr(&r, "X-Sig", mac);
	ok(verify(&s, &r, &vr) == 0 && strcmp(vr.scheme, "hmac-sha1") == 0,
	    "generic: base64 HMAC-SHA1 in a configured header");
	verify_result_release(&vr);
	free(mac);
	mac = mac_text(HMAC_SHA1, "k", 1, body, 5, 0);
	req_hdr(&r, "X-Sig", mac);
	expect_reason(&s, &r, "signature malformed", "hex where base64 is "
	    "configured");
	free(mac);

	s.algorithm = HMAC_SHA512;
	mac = mac_text(HMAC_SHA512, "k", 1, body, 5, 1);
	req_hdr(&r, "X-Sig", mac);
	expect(&s, &r, 1, "base64 HMAC-SHA512");
	/* A '+' that reached the query unescaped became a space. */
	req_hdr(&r, "X-Sig", NULL);
	buf_addstr(&b, "signature=");
	url_decode(&b, mac, strlen(mac), 0);
	req_set(&r.query, b.data);
	expect(&s, &r, 1, "base64 in the query, '+' unescaped");
	buf_reset(&b);
	free(mac);

	s.auth = GENERIC_TOKEN;
	req_set(&r.query, "");
	req_hdr(&r, "X-Sig", "k");
	ok(verify(&s, &r, &vr) == 0 && strcmp(vr.scheme, "token") == 0,
	    "generic: token in the configured header");
	verify_result_release(&vr);
	req_hdr(&r, "X-Sig", "kk");
	expect_reason(&s, &r, "token mismatch", "a longer token");
	req_hdr(&r, "X-Sig", "");
	expect_reason(&s, &r, "token mismatch", "an empty token");
	req_hdr(&r, "X-Sig", NULL);
	expect_reason(&s, &r, "token header missing", "no token");

	s.auth = GENERIC_BEARER;
	src_release(&s);
	src_init(&s, "generic");
	s.auth = GENERIC_BEARER;
	src_secret(&s, "tok3n");
	req_hdr(&r, "Authorization", "Bearer tok3n");
	ok(verify(&s, &r, &vr) == 0 && strcmp(vr.scheme, "bearer") == 0,
	    "generic: bearer token");
	verify_result_release(&vr);
	req_hdr(&r, "Authorization", "bearer tok3n");
	expect(&s, &r, 1, "the scheme name is case-insensitive");
	req_hdr(&r, "Authorization", "Bearer tok3");
	expect_reason(&s, &r, "credentials mismatch", "a wrong bearer token");
	req_hdr(&r, "Authorization", "Basic dG9rM24=");
	expect_reason(&s, &r, "authorization scheme mismatch", "Basic");
	req_hdr(&r, "Authorization", NULL);
	expect_reason(&s, &r, "authorization header missing", "none");

	s.auth = GENERIC_BASIC;
	free(s.secrets[0].data);
	s.secrets[0].data = (unsigned char *)xstrdup("user:pass");
	s.secrets[0].len = 9;
	req_hdr(&r, "Authorization", "Basic dXNlcjpwYXNz");
	ok(verify(&s, &r, &vr) == 0 && strcmp(vr.scheme, "basic") == 0,
	    "generic: Basic credentials");
	verify_result_release(&vr);
	req_hdr(&r, "Authorization", "Basic dXNlcjpwYXNzCg==");
	expect_reason(&s, &r, "credentials mismatch", "a password + newline");
	req_hdr(&r, "Authorization", "Basic ***");
	expect_reason(&s, &r, "credentials malformed", "not base64");

	/* Event and delivery from the configured headers. */
	s.auth = GENERIC_HMAC;
	src_release(&s);
	src_init(&s, "generic");
	s.event_header = xstrdup("X-Event");
	s.delivery_header = xstrdup("X-Delivery");
	req_hdr(&r, "X-Event", "build");
	req_hdr(&r, "X-Delivery", "d-1");
	ok(verify(&s, &r, &vr) == 0 && strcmp(vr.scheme, "none") == 0 &&
	    vr.event != NULL && strcmp(vr.event, "build") == 0 &&
	    vr.delivery != NULL && strcmp(vr.delivery, "d-1") == 0,
	    "generic: unsigned source, event and delivery headers");
	verify_result_release(&vr);
	free(s.event_header);
	s.event_header = NULL;
	ok(verify(&s, &r, &vr) == 0 && vr.event == NULL,
	    "generic: no event_header, no event");
	verify_result_release(&vr);

	buf_release(&b);
	req_release(&r);
	src_release(&s);
}

/*
 * Event types and delivery ids, from unsigned sources (the extraction
 * is the same after any scheme).
 */

static const struct {
	const char	*provider;
	const char	*ct;
	const char	*headers;	/* "Name: value\n" lines */
	const char	*body;
	const char	*event;
	const char	*delivery;
} extraction[] = {
	{ "github", NULL, "X-GitHub-Event: push\nX-GitHub-Delivery: g-1\n",
	    "{}", "push", "g-1" },
	{ "gitea", NULL, "X-Gitea-Event: issues\nX-Gitea-Delivery: t-1\n",
	    "{}", "issues", "t-1" },
	{ "forgejo", NULL, "X-Forgejo-Event: push\nX-Gitea-Delivery: t-2\n",
	    "{}", "push", "t-2" },
	{ "gogs", NULL, "X-Gogs-Event: create\nX-Gogs-Delivery: s-1\n",
	    "{}", "create", "s-1" },
	{ "gitlab", NULL, "X-Gitlab-Event: Push Hook\n"
	    "X-Gitlab-Event-UUID: l-1\n", "{}", "Push Hook", "l-1" },
	{ "bitbucket", NULL, "X-Event-Key: repo:push\nX-Request-UUID: b-1\n",
	    "{}", "repo:push", "b-1" },
	{ "slack", NULL, "", "{\"type\":\"event_callback\",\"event_id\":"
	    "\"Ev1\",\"event\":{\"type\":\"app_mention\"}}",
	    "event_callback", "Ev1" },
	{ "slack", NULL, "", "{\"type\":\"event_callback\"}",
	    "event_callback", NULL },
	{ "slack", "application/x-www-form-urlencoded", "",
	    "payload=%7B%22type%22%3A%22block_actions%22%7D",
	    "block_actions", NULL },
	{ "slack", "application/x-www-form-urlencoded", "",
	    "token=x&command=%2Fdeploy&text=now", "/deploy", NULL },
	{ "stripe", NULL, "", "{\"id\":\"evt_9\",\"type\":\"charge.failed\"}",
	    "charge.failed", "evt_9" },
	{ "standard", NULL, "webhook-id: msg_9\n", "{\"type\":\"a.b\"}",
	    "a.b", "msg_9" },
	{ "standard", NULL, "svix-id: msg_8\n", "{\"type\":7}", "7", "msg_8" },
	{ "discord", NULL, "", "{\"type\":2,\"id\":\"99\"}", "2", "99" },
	{ "shopify", NULL, "X-Shopify-Topic: orders/create\n"
	    "X-Shopify-Webhook-Id: w-1\n", "{}", "orders/create", "w-1" },
	{ "shopify", NULL, "shopify-topic: carts/update\n"
	    "shopify-event-id: e-1\n", "{}", "carts/update", "e-1" },
	{ "kiket", NULL, "X-Kiket-Event: issue.created\n"
	    "X-Kiket-Invocation: i-1\n", "{}", "issue.created", "i-1" },
	{ "paddle", NULL, "", "{\"event_type\":\"price.created\","
	    "\"event_id\":\"evt_1\",\"notification_id\":\"ntf_1\"}",
	    "price.created", "ntf_1" },
	{ "paddle", NULL, "", "{\"event_type\":\"x\",\"event_id\":\"evt_2\"}",
	    "x", "evt_2" },
	{ "sendgrid", NULL, "", "[{\"event\":\"delivered\"}]", NULL, NULL },
	{ "twilio", "application/x-www-form-urlencoded",
	    "I-Twilio-Idempotency-Token: tw-1\n", "CallSid=CA1", NULL, "tw-1" },
	{ "linear", NULL, "Linear-Event: Issue\nLinear-Delivery: ln-1\n",
	    "{\"type\":\"Comment\"}", "Issue", "ln-1" },
	{ "linear", NULL, "", "{\"type\":\"Comment\"}", "Comment", NULL },
	{ "sentry", NULL, "Sentry-Hook-Resource: issue\nRequest-ID: se-1\n",
	    "{}", "issue", "se-1" },
	{ "mailgun", NULL, "", "{\"signature\":{\"token\":\"tk\"},"
	    "\"event-data\":{\"event\":\"delivered\"}}", "delivered", "tk" },
	{ "stripe", NULL, "", "{\"type\":{\"nested\":1},\"id\":[1]}",
	    NULL, NULL },
	{ "stripe", NULL, "", "not json", NULL, NULL },
	{ "github", NULL, "X-GitHub-Event: \n", "{}", NULL, NULL },
};

static void
test_extraction(void)
{
	struct verify_result	vr;
	struct source		s;
	struct req		r;
	size_t			i;

	for (i = 0; i < sizeof(extraction) / sizeof(extraction[0]); i++) {
		src_init(&s, extraction[i].provider);
		req_init(&r, extraction[i].body, 0);
		if (extraction[i].ct != NULL)
			req_set(&r.ct, extraction[i].ct);
		req_hdr_lines(&r, extraction[i].headers);
		if (verify(&s, &r, &vr) == -1) {
			ok(0, "%s #%zu: an unsigned source accepts",
			    extraction[i].provider, i);
			verify_result_release(&vr);
		} else {
			is_str(vr.event, extraction[i].event, "%s #%zu: event",
			    extraction[i].provider, i);
			is_str(vr.delivery, extraction[i].delivery,
			    "%s #%zu: delivery", extraction[i].provider, i);
			ok(strcmp(vr.scheme, "none") == 0, "%s #%zu: scheme "
			    "none", extraction[i].provider, i);
		}
		verify_result_release(&vr);
		req_release(&r);
		src_release(&s);
	}
}

static void
test_slack_handshake(void)
{
	struct verify_result	vr;
	struct source		s;
	struct req		r;
	char			*data, *mac, *h;
	const char		*body = "{\"token\":\"t\",\"challenge\":"
	    "\"a\\\"b</\\u00e9\",\"type\":\"url_verification\"}";

	src_init(&s, "slack");
	src_secret(&s, "sec");
	req_init(&r, body, 1700000000);
	xasprintf(&data, "v0:1700000000:%s", body);
	mac = mac_text(HMAC_SHA256, "sec", 3, data, strlen(data), 0);
	xasprintf(&h, "v0=%s", mac);
	req_hdr(&r, "X-Slack-Signature", h);
	req_hdr(&r, "X-Slack-Request-Timestamp", "1700000000");
	ok(verify(&s, &r, &vr) == 0, "slack: url_verification verifies");
	is_int(vr.handshake_status, 200, "slack: challenge answered 200");
	is_str(vr.handshake_body, "{\"challenge\":\"a\\\"b</\xc3\xa9\"}",
	    "slack: the challenge, JSON-escaped");
	is_str(vr.event, "url_verification", "slack: event type");
	verify_result_release(&vr);
	r.body[5] = 'T';
	ok(verify(&s, &r, &vr) == -1 && vr.handshake_status == 0 &&
	    vr.handshake_body == NULL,
	    "slack: no challenge answer without a valid signature");
	verify_result_release(&vr);
	free(data);
	free(mac);
	free(h);
	req_release(&r);
	src_release(&s);
}

/* Gitea, Forgejo, Gogs in form mode sign the decoded payload= field. */
static void
test_form_mode(void)
{
	struct verify_result	 vr;
	struct hook_request	 hr;
	struct buf		 out = BUF_INIT;
	struct source		 s;
	struct req		 r;
	const char		*json = "{\"ref\":\"refs/heads/main\",\"a\":\"b c+d\"}";
	const char		*form = "payload=%7B%22ref%22%3A%22refs%2Fheads%2F"
	    "main%22%2C%22a%22%3A%22b+c%2Bd%22%7D";
	const char		*why;
	char			*mac, *rawmac;

	src_init(&s, "gitea");
	src_secret(&s, "It's a Secret to Everybody");
	req_init(&r, form, 0);
	req_set(&r.ct, "application/x-www-form-urlencoded");
	req_hdr(&r, "X-Gitea-Event", "push");
	mac = mac_text(HMAC_SHA256, "It's a Secret to Everybody", 26, json,
	    strlen(json), 0);
	rawmac = mac_text(HMAC_SHA256, "It's a Secret to Everybody", 26, form,
	    strlen(form), 0);
	req_hdr(&r, "X-Gitea-Signature", mac);
	expect(&s, &r, 1, "form mode: HMAC over the decoded payload");
	req_hdr(&r, "X-Gitea-Signature", rawmac);
	expect_reason(&s, &r, "signature mismatch",
	    "form mode: HMAC over the raw body is not what Gitea sends");
	req_set(&r.ct, "application/x-www-form-urlencoded; charset=utf-8");
	req_hdr(&r, "X-Gitea-Signature", mac);
	expect(&s, &r, 1, "form mode with a charset parameter");
	req_body(&r, "other=1", 7);
	expect_reason(&s, &r, "form body without a payload field",
	    "form mode without payload=");
	req_body(&r, form, strlen(form));

	/* provider_sign signs the same thing. */
	hr = req_hook(&r);
	ok(provider_sign(s.provider, &s, &hr, &out, &why) == 0 &&
	    strstr(out.data, mac) != NULL,
	    "gitea: sign in form mode signs the decoded payload");
	buf_release(&out);
	src_release(&s);

	/* Forgejo: payload= via the query of a GET without body. */
	src_init(&s, "forgejo");
	src_secret(&s, "It's a Secret to Everybody");
	req_body(&r, "", 0);
	req_set(&r.ct, "");
	req_set(&r.query, form);
	r.method = "GET";
	req_hdr(&r, "X-Gitea-Signature", NULL);
	req_hdr(&r, "X-Forgejo-Signature", mac);
	expect(&s, &r, 1, "GET delivery: payload= in the query");
	src_release(&s);

	/* GitHub signs the body as it is, form or not. */
	src_init(&s, "github");
	src_secret(&s, "It's a Secret to Everybody");
	req_body(&r, form, strlen(form));
	req_set(&r.ct, "application/x-www-form-urlencoded");
	req_set(&r.query, "");
	r.method = "POST";
	free(mac);
	xasprintf(&mac, "sha256=%s", rawmac);
	req_hdr(&r, "X-Hub-Signature-256", mac);
	ok(verify(&s, &r, &vr) == 0, "github: form bodies sign the raw body");
	verify_result_release(&vr);

	free(mac);
	free(rawmac);
	req_release(&r);
	src_release(&s);
}

static void
test_mailgun(void)
{
	struct verify_result	 vr;
	struct source		 s;
	struct req		 r;
	char			*mac, *body;

	src_init(&s, "mailgun");
	src_secret(&s, "key-mg");
	mac = mac_text(HMAC_SHA256, "key-mg", 6, "1700000000tok123", 16, 0);
	xasprintf(&body, "{\"signature\":{\"timestamp\":\"1700000000\","
	    "\"token\":\"tok123\",\"signature\":\"%s\"},"
	    "\"event-data\":{\"event\":\"opened\"}}", mac);
	req_init(&r, body, 1700000000 + 7200);
	ok(verify(&s, &r, &vr) == 0 && strcmp(vr.scheme, "hmac-sha256") == 0,
	    "mailgun: signature in the JSON body, two hours old");
	is_str(vr.event, "opened", "mailgun: event-data.event");
	is_str(vr.delivery, "tok123", "mailgun: delivery is the token");
	verify_result_release(&vr);
	s.tolerance_ms = 600000;
	expect_reason(&s, &r, "timestamp outside replay window",
	    "two hours old with a 10 min tolerance");
	s.tolerance_ms = -1;
	free(body);
	xasprintf(&body, "{\"signature\":{\"timestamp\":1700000000,"
	    "\"token\":\"tok124\",\"signature\":\"%s\"}}", mac);
	req_body(&r, body, strlen(body));
	expect_reason(&s, &r, "signature mismatch", "another token");
	free(body);
	xasprintf(&body, "{\"signature\":{\"timestamp\":1700000000,"
	    "\"token\":\"tok123\",\"signature\":\"%s\"}}", mac);
	req_body(&r, body, strlen(body));
	expect(&s, &r, 1, "a numeric timestamp");
	req_body(&r, "{\"event-data\":{}}", 17);
	expect_reason(&s, &r, "signature fields missing in the body",
	    "no signature object");
	req_body(&r, "[[[[", 4);
	expect_reason(&s, &r, "signature fields missing in the body",
	    "not JSON");
	free(body);
	xasprintf(&body, "timestamp=1700000000&token=tok123&signature=%s"
	    "&event=clicked", mac);
	req_body(&r, body, strlen(body));
	req_set(&r.ct, "application/x-www-form-urlencoded");
	ok(verify(&s, &r, &vr) == 0 && vr.event != NULL &&
	    strcmp(vr.event, "clicked") == 0 && vr.delivery != NULL &&
	    strcmp(vr.delivery, "tok123") == 0,
	    "mailgun: form-encoded fields");
	verify_result_release(&vr);
	free(body);
	free(mac);
	req_release(&r);
	src_release(&s);
}

static void
test_twilio(void)
{
	struct source	 s;
	struct req	 r;
	struct buf	 b = BUF_INIT;
	unsigned char	 hash[32];
	char		*mac, *data;
	const char	*body = "{\"a\":1}";

	/* A JSON body: the URL carries bodySHA256, the signature the URL. */
	src_init(&s, "twilio");
	src_secret(&s, "12345");
	s.public_url = xstrdup("https://example.com/hooks/tw");
	req_init(&r, body, 0);
	sha256_buf(body, strlen(body), hash);
	buf_addstr(&b, "bodySHA256=");
	hex_encode(&b, hash, 32);
	req_set(&r.query, b.data);
	xasprintf(&data, "https://example.com/hooks/tw?%s", b.data);
	mac = mac_text(HMAC_SHA1, "12345", 5, data, strlen(data), 1);
	req_hdr(&r, "X-Twilio-Signature", mac);
	expect(&s, &r, 1, "JSON body with bodySHA256");
	req_body(&r, "{\"a\":2}", 7);
	expect_reason(&s, &r, "bodySHA256 mismatch", "JSON body changed");
	req_body(&r, body, strlen(body));
	free(s.public_url);
	s.public_url = xstrdup("https://example.com:443/hooks/tw");
	expect(&s, &r, 1, "public_url with the default port, signed without");
	free(s.public_url);
	s.public_url = NULL;
	expect_reason(&s, &r, "public URL unknown (set public_url)",
	    "no public_url and no request URL");
	req_set(&r.url, "https://example.com/hooks/tw");
	expect(&s, &r, 1, "the request's own URL when public_url is unset");
	req_set(&r.query, "");
	expect_reason(&s, &r,
	    "body not covered by the signature (no bodySHA256)",
	    "a JSON body without bodySHA256");
	req_hdr(&r, "X-Twilio-Signature", NULL);
	expect_reason(&s, &r, "signature header missing", "no signature");
	buf_release(&b);
	free(data);
	free(mac);
	req_release(&r);
	src_release(&s);
}

static void
test_detect_and_names(void)
{
	const char * const	*names = provider_names();
	struct hook_request	 hr;
	struct req		 r;
	size_t			 n;
	int			 mailgun = 0;

	for (n = 0; names[n] != NULL; n++)
		if (strcmp(names[n], "mailgun") == 0)
			mailgun = 1;
	ok(n == 20 && strcmp(names[0], "forgejo") == 0 &&
	    strcmp(names[n - 1], "generic") == 0 &&
	    strcmp(names[n - 2], "dispatch") == 0 && mailgun,
	    "20 providers, forgejo first, dispatch and generic last");
	ok(provider_find("standard-webhooks") == provider_find("standard") &&
	    provider_find("svix") == provider_find("standard") &&
	    provider_find("standard") != NULL, "standard's aliases");
	ok(provider_find("nosuch") == NULL && provider_find("auto") == NULL,
	    "unknown names");
	for (n = 0; names[n] != NULL; n++)
		if (provider_find(names[n]) == NULL ||
		    strcmp(provider_name(provider_find(names[n])), names[n]))
			break;
	ok(names[n] == NULL, "every name finds its row");

	req_init(&r, "{}", 0);
	hr = req_hook(&r);
	is_str(provider_name(provider_detect(&hr)), "generic",
	    "no known header: generic");
	req_hdr(&r, "X-GitHub-Event", "push");
	req_hdr(&r, "X-Gogs-Event", "push");
	is_str(provider_name(provider_detect(&hr)), "gogs",
	    "gogs sends X-Github-Event too");
	req_hdr(&r, "X-Gitea-Event", "push");
	is_str(provider_name(provider_detect(&hr)), "gitea", "gitea first");
	req_hdr(&r, "X-Forgejo-Event", "push");
	is_str(provider_name(provider_detect(&hr)), "forgejo",
	    "forgejo before gitea");
	req_release(&r);
	req_init(&r, "{}", 0);
	req_hdr(&r, "webhook-signature", "v1,x");
	is_str(provider_name(provider_detect(&hr)), "standard",
	    "webhook-signature: standard");
	req_hdr(&r, "x-gitlab-event", "Push Hook");
	is_str(provider_name(provider_detect(&hr)), "gitlab",
	    "gitlab with webhook-* headers is gitlab");
	req_release(&r);
	req_init(&r, "{}", 0);
	req_hdr(&r, "shopify-hmac-sha256", "x");
	is_str(provider_name(provider_detect(&hr)), "shopify",
	    "shopify's newer header names");
	req_release(&r);

	ok(provider_is_secret_header("x-gitlab-token") &&
	    provider_is_secret_header("AUTHORIZATION") &&
	    !provider_is_secret_header("X-Hub-Signature-256") &&
	    !provider_is_secret_header("X-Gitlab-Event"),
	    "secret-bearing headers");
	{
		struct source s;

		src_init(&s, "generic");
		ok(!provider_source_secret_header(&s, "X-Webhook-Signature") &&
		    provider_source_secret_header(&s, "authorization"),
		    "a generic HMAC header is no secret");
		s.auth = GENERIC_TOKEN;
		ok(provider_source_secret_header(&s, "x-webhook-signature"),
		    "a generic token header is");
		s.signature_header = xstrdup("X-Token");
		ok(provider_source_secret_header(&s, "X-TOKEN") &&
		    !provider_source_secret_header(&s, "X-Webhook-Signature"),
		    "... under its configured name");
		src_release(&s);
		src_init(&s, "github");
		s.auth = GENERIC_TOKEN;
		ok(!provider_source_secret_header(&s, "X-Webhook-Signature"),
		    "generic settings do not matter to other providers");
		src_release(&s);
	}
}

static int
diag_has(const struct diag *d, enum diag_level level, const char *needle)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].level == level &&
		    strstr(d->v[i].text, needle) != NULL)
			return 1;
	return 0;
}

static void
test_check_source(void)
{
	struct source	s;
	struct diag	d;

	diag_init(&d);
	src_init(&s, "discord");
	src_secret(&s, "x");
	provider_check_source(s.provider, &s, "f.conf", &d);
	ok(diag_has(&d, DIAG_ERROR, "sources.t.public_key") &&
	    diag_has(&d, DIAG_WARNING, "sources.t.secret"),
	    "discord: no public_key is an error, a secret is unused");
	diag_release(&d);
	diag_init(&d);
	s.public_key = xstrdup("c5568d0facd66bddee281dcb9c8ac02e169c5c20741b");
	provider_check_source(s.provider, &s, "f.conf", &d);
	ok(diag_has(&d, DIAG_ERROR, "64 hex digits"),
	    "discord: a short key is an error");
	diag_release(&d);
	src_release(&s);

	diag_init(&d);
	src_init(&s, "discord");
	s.public_key = xstrdup("c5568d0facd66bddee281dcb9c8ac02e169c5c20741b215b"
	    "2539a96bb183c5d6");
	provider_check_source(s.provider, &s, "f.conf", &d);
	ok(d.n == 0, "discord: a good key, nothing to say");
	diag_release(&d);
	src_release(&s);

	diag_init(&d);
	src_init(&s, "standard");
	src_secret(&s, "whsec_not*base64");
	src_secret(&s, "whsec_c2hvcnQ=");
	s.public_key = xstrdup("whpk_AAAA");
	provider_check_source(s.provider, &s, "f.conf", &d);
	ok(diag_has(&d, DIAG_ERROR, "secret 1 is not base64 after whsec_") &&
	    diag_has(&d, DIAG_WARNING, "secret 2 has 5 bytes") &&
	    diag_has(&d, DIAG_ERROR, "not an Ed25519 public key"),
	    "standard: bad secret, short secret, bad key");
	diag_release(&d);
	src_release(&s);

	diag_init(&d);
	src_init(&s, "sendgrid");
	s.public_key = xstrdup("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE");
	provider_check_source(s.provider, &s, "f.conf", &d);
	ok(diag_has(&d, DIAG_ERROR, "not an EC public key"),
	    "sendgrid: a truncated key is an error");
	diag_release(&d);
	src_release(&s);

	diag_init(&d);
	src_init(&s, "twilio");
	src_secret(&s, "x");
	provider_check_source(s.provider, &s, "f.conf", &d);
	ok(diag_has(&d, DIAG_WARNING, "f.conf:1: sources.t.public_url"),
	    "twilio: no public_url is worth a warning, with file and line");
	diag_release(&d);
	src_release(&s);

	diag_init(&d);
	src_init(&s, "github");
	src_secret(&s, "x");
	s.public_key = xstrdup("abc");
	provider_check_source(s.provider, &s, "f.conf", &d);
	ok(diag_has(&d, DIAG_WARNING, "does not use a public key") &&
	    d.nerrors == 0, "github: a public_key is unused");
	diag_release(&d);
	src_release(&s);

	diag_init(&d);
	src_init(&s, "generic");
	src_secret(&s, "nocolon");
	s.auth = GENERIC_BASIC;
	s.prefix = xstrdup("sha256=");
	provider_check_source(s.provider, &s, "f.conf", &d);
	ok(diag_has(&d, DIAG_WARNING, "has no ':'") &&
	    diag_has(&d, DIAG_WARNING, "prefix is only used"),
	    "generic: basic without ':' and a useless prefix");
	diag_release(&d);
	src_release(&s);
}

/*
 * "auto": the request names its provider, so it may name only one that
 * signs the body itself. Signed for a framed scheme (Slack's
 * "v0:TS:body", Stripe's "TS.body", ...) or carrying the secret itself,
 * a request to an auto source is refused; a GitHub, Gitea or generic
 * HMAC passes; and `hookdir sign` for an auto source signs as GitHub.
 */
static void
test_auto(void)
{
	static const char *const refused[] = {
		"slack", "stripe", "paddle", "standard", "gitlab", "twilio",
	};
	static const char *const taken[] = {
		"github", "gitea", "forgejo", "gogs", "bitbucket", "shopify",
		"kiket", "linear", "sentry", "generic",
	};
	const char		*body = "{\"type\":\"ping\",\"id\":\"1\"}";
	const char		*why;
	struct verify_result	 vr;
	struct hook_request	 hr;
	struct source		 s;
	struct req		 r;
	struct buf		 out = BUF_INIT;
	char			*sig, *framed;
	size_t			 i;
	int			 rv;

	src_init(&s, "github");
	s.provider = NULL;
	src_secret(&s, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		req_init(&r, body, 1700000000);
		if (strcmp(refused[i], "twilio") == 0) {
			req_set(&r.url, "https://example.com/hooks/t");
			req_set(&r.ct, "application/x-www-form-urlencoded");
			req_body(&r, "b=2&a=1", 7);
		}
		if (strcmp(refused[i], "gitlab") == 0)
			req_hdr(&r, "X-Gitlab-Event", "Push Hook");
		buf_reset(&out);
		hr = req_hook(&r);
		if (!ok(provider_sign(provider_find(refused[i]), &s, &hr, &out,
		    &why) == 0, "auto: %s signs", refused[i]))
			diag("%s", why);
		req_hdr_lines(&r, buf_str(&out));
		hr = req_hook(&r);
		is_str(provider_name(provider_detect(&hr)), refused[i],
		    "auto: detected as %s", refused[i]);
		rv = provider_verify(NULL, &s, &hr, &vr);
		ok(rv == -1 && vr.reason != NULL &&
		    strstr(vr.reason, "auto takes only providers that sign "
		    "the body") != NULL && strstr(vr.reason, "github") != NULL,
		    "auto: a valid %s request is refused, saying why",
		    refused[i]);
		if (vr.reason != NULL)
			diag("%s", vr.reason);
		verify_result_release(&vr);
		/* The same request to a source that names it passes. */
		s.provider = provider_find(refused[i]);
		ok(provider_verify(s.provider, &s, &hr, &vr) == 0,
		    "auto: a source naming %s takes it", refused[i]);
		verify_result_release(&vr);
		s.provider = NULL;
		req_release(&r);
	}
	src_release(&s);

	src_init(&s, "github");
	s.provider = NULL;
	src_secret(&s, "auto source secret 0123");
	for (i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
		req_init(&r, body, 1700000000);
		buf_reset(&out);
		provider_sender_headers(provider_find(taken[i]), &s, "push",
		    "d-1", &out);
		hr = req_hook(&r);
		ok(provider_sign(provider_find(taken[i]), &s, &hr, &out,
		    &why) == 0, "auto: %s signs", taken[i]);
		req_hdr_lines(&r, buf_str(&out));
		hr = req_hook(&r);
		is_str(provider_name(provider_detect(&hr)), taken[i],
		    "auto: detected as %s", taken[i]);
		rv = provider_verify(NULL, &s, &hr, &vr);
		ok(rv == 0, "auto: a valid %s request passes", taken[i]);
		if (rv != 0)
			diag("%s", vr.reason);
		verify_result_release(&vr);
		req_release(&r);
	}

	/* A generic source with a token is no HMAC: auto refuses it too. */
	s.auth = GENERIC_TOKEN;
	req_init(&r, body, 1700000000);
	req_hdr(&r, "X-Webhook-Signature", "auto source secret 0123");
	hr = req_hook(&r);
	ok(provider_verify(NULL, &s, &hr, &vr) == -1,
	    "auto: the secret itself as a token is refused");
	verify_result_release(&vr);
	req_release(&r);
	s.auth = GENERIC_HMAC;

	/* hookdir sign: as GitHub, and auto takes what it signed. */
	is_str(provider_name(provider_signer(&s)), "github",
	    "auto: signed as GitHub");
	req_init(&r, body, 1700000000);
	buf_reset(&out);
	provider_sender_headers(provider_signer(&s), &s, "ping", "d-2", &out);
	req_hdr_lines(&r, buf_str(&out));
	buf_reset(&out);
	hr = req_hook(&r);
	ok(provider_sign(provider_signer(&s), &s, &hr, &out, &why) == 0,
	    "auto: signs");
	req_hdr_lines(&r, buf_str(&out));
	hr = req_hook(&r);
	ok(provider_verify(NULL, &s, &hr, &vr) == 0 && vr.event != NULL &&
	    strcmp(vr.event, "ping") == 0, "auto: takes what sign made");
	verify_result_release(&vr);
	req_release(&r);
	src_release(&s);

	/*
	 * The attack the rule leaves to the configuration: under one
	 * secret, Slack's signature of "v0:TS:body" is GitHub's of a body
	 * that reads "v0:TS:body". So no secret may serve both.
	 */
	src_init(&s, "github");
	src_secret(&s, "8f742231b10e8888abcd99yyyzzz85a5");
	xasprintf(&framed, "v0:1700000000:%s", body);
	sig = mac_text(HMAC_SHA256, "8f742231b10e8888abcd99yyyzzz85a5", 32,
	    framed, strlen(framed), 0);
	req_init(&r, framed, 1700000000 + 30 * 86400);
	buf_reset(&out);
	buf_printf(&out, "X-GitHub-Event: push\nX-Hub-Signature-256: "
	    "sha256=%s\n", sig);
	req_hdr_lines(&r, buf_str(&out));
	hr = req_hook(&r);
	ok(provider_verify(s.provider, &s, &hr, &vr) == 0,
	    "a Slack signature is a GitHub one under the same secret");
	verify_result_release(&vr);
	req_release(&r);
	free(sig);
	free(framed);
	src_release(&s);
	buf_release(&out);
}

/* One secret, one framing, checked between sources. */
static void
test_check_sources(void)
{
	static const struct {
		const char	*a, *b;
		int		 a_auth, b_auth;
		int		 error;
	} pairs[] = {
		{ "slack", NULL, GENERIC_HMAC, GENERIC_HMAC, 1 },
		{ "stripe", NULL, GENERIC_HMAC, GENERIC_HMAC, 1 },
		{ "stripe", "github", GENERIC_HMAC, GENERIC_HMAC, 1 },
		{ "slack", "generic", GENERIC_HMAC, GENERIC_HMAC, 1 },
		{ "gitlab", "github", GENERIC_HMAC, GENERIC_HMAC, 1 },
		{ "generic", "github", GENERIC_BEARER, GENERIC_HMAC, 1 },
		{ "paddle", "stripe", GENERIC_HMAC, GENERIC_HMAC, 1 },
		{ "github", NULL, GENERIC_HMAC, GENERIC_HMAC, 0 },
		{ "generic", "shopify", GENERIC_HMAC, GENERIC_HMAC, 0 },
		{ "slack", "slack", GENERIC_HMAC, GENERIC_HMAC, 0 },
	};
	struct source	v[2];
	struct diag	d;
	size_t		i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		src_init(&v[0], pairs[i].a);
		src_init(&v[1], "github");
		v[1].provider = pairs[i].b != NULL ?
		    provider_find(pairs[i].b) : NULL;
		v[0].auth = pairs[i].a_auth;
		v[1].auth = pairs[i].b_auth;
		src_secret(&v[0], "whsec_c2hhcmVkIHNlY3JldCAwMTIzNDU2Nzg5");
		src_secret(&v[1], "another secret 0123456789");
		src_secret(&v[1], "whsec_c2hhcmVkIHNlY3JldCAwMTIzNDU2Nzg5");
		diag_init(&d);
		provider_check_sources(v, 2, "f.conf", &d);
		ok(pairs[i].error ? d.nerrors == 1 &&
		    diag_has(&d, DIAG_ERROR, "f.conf:1: sources.t.secret: "
		    "secret 2 is also a secret of source t") : d.n == 0,
		    "%s and %s sharing a secret: %s", pairs[i].a,
		    pairs[i].b != NULL ? pairs[i].b : "auto",
		    pairs[i].error ? "an error" : "fine");
		diag_release(&d);
		src_release(&v[0]);
		src_release(&v[1]);
	}
}

/* Nothing about a secret reaches a reason. */
static void
test_reasons(void)
{
	struct verify_result	vr;
	struct source		s;
	struct req		r;

	src_init(&s, "gitlab");
	src_secret(&s, "super-secret-token");
	req_init(&r, "{}", 0);
	req_hdr(&r, "X-Gitlab-Event", "Push Hook");
	req_hdr(&r, "X-Gitlab-Token", "super-secret-tokeN");
	ok(verify(&s, &r, &vr) == -1 && strstr(vr.reason, "super") == NULL &&
	    vr.event == NULL && vr.delivery == NULL,
	    "gitlab: a rejection names no secret and extracts nothing");
	verify_result_release(&vr);
	req_hdr(&r, "X-Gitlab-Token", "super-secret-token");
	ok(verify(&s, &r, &vr) == 0 && strcmp(vr.scheme, "token") == 0 &&
	    vr.reason == NULL, "gitlab: the token matches");
	verify_result_release(&vr);
	req_release(&r);
	src_release(&s);
}

int
main(void)
{
	struct json_object	*all;

	if (sodium_init() < 0) {
		ok(0, "sodium_init");
		return tap_done();
	}
	if ((all = vectors_open()) != NULL) {
		test_vectors(all);
		test_discord_vector(all);
		json_object_put(all);
	}
	test_discord();
	test_standard_v1a();
	test_sendgrid();
	test_rotation();
	test_timestamps();
	test_sign_roundtrip();
	test_generic();
	test_extraction();
	test_slack_handshake();
	test_form_mode();
	test_mailgun();
	test_twilio();
	test_detect_and_names();
	test_check_source();
	test_auto();
	test_check_sources();
	test_reasons();
	return tap_done();
}
