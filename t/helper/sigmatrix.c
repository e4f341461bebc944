/*
 * test-tool sigreq and sigmatrix: t1010's signature cases without a fork
 * per request.
 *
 * A case is one tab-separated line of t1010's table (see defcase there):
 * name, source, signer, body, key, wrong key, provider, verified, event,
 * delivery, sigre, malformed, flip, missing_sed, malformed_sed, flags.
 *
 * The requests are signed here the way each sender signs them, with
 * OpenSSL's HMAC, Ed25519 (through libsodium) and ECDSA, and our own hex
 * and base64: nothing of lib/codec.c or lib/provider.c, so a bug there
 * cannot cancel itself out.  sigreq writes one such request for curl;
 * sigmatrix sends every case's wrong-key, flipped, missing, malformed and
 * stale request through the responder's own request handling
 * (handle_request_memory(), the path every FastCGI and CGI request takes)
 * and checks what t1010 checks of a 401: the JSON error, nothing spooled.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "buf.h"
#include "config.h"
#include "jconf.h"
#include "log.h"
#include "request.h"
#include "util.h"
#include "xmalloc.h"

#include "test-tool.h"

enum {
	F_NAME, F_SOURCE, F_SIGN, F_BODY, F_KEY, F_WRONG, F_PROVIDER,
	F_VERIFIED, F_EVENT, F_DELIVERY, F_SIGRE, F_MALFORMED, F_FLIP,
	F_MISSING_SED, F_MALFORMED_SED, F_FLAGS, NFIELDS
};

struct sigcase {
	char	*line;
	char	*f[NFIELDS];
};

/* A request as curl sends it: "Name: value" lines, "?QUERY", the body. */
struct sreq {
	struct buf	hdr;
	struct buf	body;
};

struct signer_ctx {
	struct sreq		*r;
	long long		 ts;
	const char		*key;
	const char		*url;	/* what the sender called (Twilio) */
};

static void
sigcase_parse(struct sigcase *c, const char *line)
{
	char	*p;
	size_t	 i;

	c->line = xstrdup(line);
	p = c->line;
	for (i = 0; i < NFIELDS; i++) {
		c->f[i] = p;
		p += strcspn(p, "\t\n");
		if (i + 1 < NFIELDS && *p != '\t')
			die("case '%.40s': %zu fields, want %d", line, i + 1,
			    NFIELDS);
		if (*p != '\0')
			*p++ = '\0';
	}
	if (*p != '\0')
		die("case '%.40s': more than %d fields", line, NFIELDS);
}

static int
has_flag(const struct sigcase *c, const char *flag)
{
	const char	*p = c->f[F_FLAGS];
	size_t		 n = strlen(flag);

	while (*p != '\0') {
		if (strncmp(p, flag, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return 1;
		p += strcspn(p, " ");
		p += strspn(p, " ");
	}
	return 0;
}

/* ---------------------------------------------------------------- codecs */
static void
to_hex(struct buf *b, const unsigned char *p, size_t n)
{
	static const char	digits[] = "0123456789abcdef";

	for (; n > 0; n--, p++) {
		buf_addch(b, digits[*p >> 4]);
		buf_addch(b, digits[*p & 15]);
	}
}

static void
to_b64(struct buf *b, const unsigned char *p, size_t n)
{
	unsigned char	*out = xmalloc(4 * ((n + 2) / 3) + 1);
	int		 len;

	len = EVP_EncodeBlock(out, p, (int)n);
	buf_add(b, out, (size_t)len);
	free(out);
}

/* The key bytes of a "whsec_" secret: the base64 after the prefix. */
static size_t
whsec_bytes(const char *s, unsigned char *out, size_t max)
{
	size_t	n, pad = 0;
	int	len;

	if (strncmp(s, "whsec_", 6) == 0)
		s += 6;
	n = strlen(s);
	if (n % 4 != 0 || 3 * (n / 4) > max)
		die("'%s': not a whsec_ secret", s);
	if ((len = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n)) < 0)
		die("'%s': bad base64", s);
	while (pad < 2 && n > pad && s[n - 1 - pad] == '=')
		pad++;
	return (size_t)len - pad;
}

/* ---------------------------------------------------------------- crypto */
enum enc { HEX, B64 };

/*
 * The encoded HMAC (alg "sha1", "sha256", "sha512") of msg under key, in
 * one of a few rotating buffers: two can be used in one printf.
 */
static const char *
mac(const char *alg, const void *key, size_t klen, const void *msg,
    size_t mlen, enum enc enc)
{
	static struct buf	ring[4];
	static size_t		next;
	unsigned char		md[EVP_MAX_MD_SIZE];
	unsigned int		n = 0;
	struct buf		*b = &ring[next++ % 4];

	if (HMAC(EVP_get_digestbyname(alg), key, (int)klen, msg, mlen, md,
	    &n) == NULL)
		die("HMAC %s failed", alg);
	buf_reset(b);
	if (enc == HEX)
		to_hex(b, md, n);
	else
		to_b64(b, md, n);
	return buf_str(b);
}

/* The HMAC with the key as its bytes. */
static const char *
smac(const char *alg, const char *key, const struct buf *msg, enum enc enc)
{
	return mac(alg, key, strlen(key), msg->data ? msg->data : "",
	    msg->len, enc);
}

/* The HMAC with a whsec_ key. */
static const char *
wmac(const char *key, const struct buf *msg)
{
	unsigned char	k[256];
	size_t		n = whsec_bytes(key, k, sizeof(k));

	return mac("sha256", k, n, msg->data ? msg->data : "", msg->len, B64);
}

static EVP_PKEY *
pem_key(const char *path)
{
	EVP_PKEY	*k;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL)
		die("%s: not a private key", path);
	return k;
}

/* An Ed25519 signature with the key of a PEM file, by libsodium. */
static void
ed_sign(const char *pem, const struct buf *msg, struct buf *out, enum enc enc)
{
	unsigned char	 seed[32], pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char	 sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
	EVP_PKEY	*k = pem_key(pem);
	size_t		 n = sizeof(seed);

	if (EVP_PKEY_get_raw_private_key(k, seed, &n) != 1 || n != 32)
		die("%s: not an Ed25519 key", pem);
	EVP_PKEY_free(k);
	crypto_sign_seed_keypair(pk, sk, seed);
	crypto_sign_detached(sig, NULL, (const unsigned char *)(msg->data ?
	    msg->data : ""), msg->len, sk);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(seed, sizeof(seed));
	if (enc == HEX)
		to_hex(out, sig, sizeof(sig));
	else
		to_b64(out, sig, sizeof(sig));
}

/* An ECDSA P-256 SHA-256 signature (DER), base64. */
static void
ec_sign(const char *pem, const struct buf *msg, struct buf *out)
{
	EVP_PKEY	*k = pem_key(pem);
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	unsigned char	*sig;
	size_t		 n = 0;

	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    k) != 1 || EVP_DigestSign(ctx, NULL, &n, (const unsigned char *)
	    (msg->data ? msg->data : ""), msg->len) != 1)
		die("%s: ECDSA signing failed", pem);
	sig = xmalloc(n);
	if (EVP_DigestSign(ctx, sig, &n, (const unsigned char *)(msg->data ?
	    msg->data : ""), msg->len) != 1)
		die("%s: ECDSA signing failed", pem);
	to_b64(out, sig, n);
	free(sig);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
}

/* ---------------------------------------------------------------- signers */
/*
 * One function a sender, as t1010 had one shell function each: the
 * headers it adds (and for Mailgun, the body it rewrites).
 */
#define H(...)	buf_printf(&s->r->hdr, __VA_ARGS__)

/* What is signed: PREFIX (printf) and the body. */
static void __attribute__((format(printf, 3, 4)))
signed_msg(const struct signer_ctx *s, struct buf *m, const char *fmt, ...)
{
	va_list	ap;
	char	*p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) == -1)
		die("out of memory");
	va_end(ap);
	buf_reset(m);
	buf_addstr(m, p);
	buf_add(m, s->r->body.data ? s->r->body.data : "", s->r->body.len);
	free(p);
}

/* The hex HMAC-SHA256 of BEFORE, the timestamp, AFTER and the body. */
static const char *
ts_mac(struct signer_ctx *s, const char *before, const char *after)
{
	struct buf	 m = BUF_INIT;
	const char	*sig;

	signed_msg(s, &m, "%s%lld%s", before, s->ts, after);
	sig = smac("sha256", s->key, &m, HEX);
	buf_release(&m);
	return sig;
}

static void
sign_github(struct signer_ctx *s)
{
	H("X-GitHub-Event: push\n");
	H("X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958\n");
	H("X-GitHub-Hook-ID: 292430182\n");
	H("User-Agent: GitHub-Hookshot/044aadd\n");
	H("X-Hub-Signature-256: sha256=%s\n",
	    smac("sha256", s->key, &s->r->body, HEX));
}

static void
sign_github_sha1(struct signer_ctx *s)
{
	H("X-GitHub-Event: push\n");
	H("X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0959\n");
	H("X-Hub-Signature: sha1=%s\n", smac("sha1", s->key, &s->r->body, HEX));
}

/* Gitea and Forgejo send every forge's headers (PROVIDERS.md section 2). */
static void
gitea_lines(struct signer_ctx *s, const char *id)
{
	const char	*h256 = smac("sha256", s->key, &s->r->body, HEX);

	H("X-Gitea-Event: push\n");
	H("X-Gitea-Event-Type: push\n");
	H("X-Gitea-Delivery: %s\n", id);
	H("X-Gitea-Signature: %s\n", h256);
	H("X-Gogs-Event: push\n");
	H("X-Gogs-Delivery: %s\n", id);
	H("X-Gogs-Signature: %s\n", h256);
	H("X-GitHub-Event: push\n");
	H("X-GitHub-Delivery: %s\n", id);
	H("X-Hub-Signature: sha1=%s\n", smac("sha1", s->key, &s->r->body, HEX));
	H("X-Hub-Signature-256: sha256=%s\n", h256);
}

static void
sign_gitea(struct signer_ctx *s)
{
	gitea_lines(s, "2f0bd0b4-7a2a-4f6e-b6a1-6f0c3e0f9b11");
}

static void
sign_forgejo(struct signer_ctx *s)
{
	const char	*id = "8c3b1c2e-0f6d-4b0a-9f1e-5d2a7c9e4b21";

	H("X-Forgejo-Event: push\n");
	H("X-Forgejo-Event-Type: push\n");
	H("X-Forgejo-Delivery: %s\n", id);
	H("X-Forgejo-Signature: %s\n",
	    smac("sha256", s->key, &s->r->body, HEX));
	gitea_lines(s, id);
}

/* Gogs sends X-Github-Event but no X-Hub-Signature. */
static void
sign_gogs(struct signer_ctx *s)
{
	H("X-Gogs-Event: push\n");
	H("X-Gogs-Delivery: 5a1d7c3e-9b2f-4e8a-a1c4-3f6b8d0e2c71\n");
	H("X-Gogs-Signature: %s\n", smac("sha256", s->key, &s->r->body, HEX));
	H("X-Github-Event: push\n");
	H("X-Github-Delivery: 5a1d7c3e-9b2f-4e8a-a1c4-3f6b8d0e2c71\n");
}

static void
sign_gitlab(struct signer_ctx *s)
{
	H("X-Gitlab-Event: Push Hook\n");
	H("X-Gitlab-Event-UUID: 13792a34-cac6-4fda-95a8-c58e00a3954e\n");
	H("X-Gitlab-Instance: https://gitlab.example.com\n");
	H("X-Gitlab-Token: %s\n", s->key);
}

static void
sign_gitlab_signing(struct signer_ctx *s)
{
	const char	*id = "0f4d9e8c-1b2a-4c3d-8e7f-6a5b4c3d2e1f";
	struct buf	 m = BUF_INIT;

	signed_msg(s, &m, "%s.%lld.", id, s->ts);
	H("X-Gitlab-Event: Push Hook\n");
	H("Idempotency-Key: %s\n", id);
	H("webhook-id: %s\n", id);
	H("webhook-timestamp: %lld\n", s->ts);
	H("webhook-signature: v1,%s\n", wmac(s->key, &m));
	buf_release(&m);
}

static void
sign_bitbucket(struct signer_ctx *s)
{
	H("X-Event-Key: repo:push\n");
	H("X-Request-UUID: 9d2c7e1a-3b4f-4a5e-8c6d-7e8f9a0b1c2d\n");
	H("X-Hook-UUID: 1e2f3a4b-5c6d-7e8f-9a0b-1c2d3e4f5a6b\n");
	H("X-Attempt-Number: 1\n");
	H("X-Hub-Signature: sha256=%s\n",
	    smac("sha256", s->key, &s->r->body, HEX));
}

static void
sign_slack(struct signer_ctx *s)
{
	H("X-Slack-Request-Timestamp: %lld\n", s->ts);
	H("X-Slack-Signature: v0=%s\n", ts_mac(s, "v0:", ":"));
}

static void
sign_stripe(struct signer_ctx *s)
{
	H("Stripe-Signature: t=%lld,v1=%s\n", s->ts, ts_mac(s, "", "."));
}

static void
standard_as(struct signer_ctx *s, const char *prefix, const char *id)
{
	struct buf	m = BUF_INIT;

	signed_msg(s, &m, "%s.%lld.", id, s->ts);
	H("%s-id: %s\n", prefix, id);
	H("%s-timestamp: %lld\n", prefix, s->ts);
	H("%s-signature: v1,%s\n", prefix, wmac(s->key, &m));
	buf_release(&m);
}

static void
sign_standard(struct signer_ctx *s)
{
	standard_as(s, "webhook", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W");
}

static void
sign_svix(struct signer_ctx *s)
{
	standard_as(s, "svix", "msg_p5jXN8AQM9LWM0D4loKWxJek");
}

static void
sign_standard_ed(struct signer_ctx *s)
{
	const char	*id = "msg_ed25519_6c1a9f";
	struct buf	 m = BUF_INIT, sig = BUF_INIT;

	signed_msg(s, &m, "%s.%lld.", id, s->ts);
	ed_sign(s->key, &m, &sig, B64);
	H("webhook-id: %s\n", id);
	H("webhook-timestamp: %lld\n", s->ts);
	H("webhook-signature: v1a,%s\n", sig.data);
	buf_release(&m);
	buf_release(&sig);
}

static void
sign_discord(struct signer_ctx *s)
{
	struct buf	m = BUF_INIT, sig = BUF_INIT;

	signed_msg(s, &m, "%lld", s->ts);
	ed_sign(s->key, &m, &sig, HEX);
	H("X-Signature-Timestamp: %lld\n", s->ts);
	H("X-Signature-Ed25519: %s\n", sig.data);
	buf_release(&m);
	buf_release(&sig);
}

static void
sign_shopify(struct signer_ctx *s)
{
	H("X-Shopify-Topic: orders/create\n");
	H("X-Shopify-Shop-Domain: example.myshopify.com\n");
	H("X-Shopify-Webhook-Id: b54557e4-bdd9-4b37-8a5f-bf7d70bcd043\n");
	H("X-Shopify-API-Version: 2024-07\n");
	H("X-Shopify-Hmac-Sha256: %s\n",
	    smac("sha256", s->key, &s->r->body, B64));
}

static void
sign_kiket(struct signer_ctx *s)
{
	H("X-Kiket-Event: issue.created\n");
	H("X-Kiket-Event-Version: 1\n");
	H("X-Kiket-Invocation: inv_8f2a1c\n");
	H("X-Kiket-Signature: %s\n", smac("sha256", s->key, &s->r->body, HEX));
}

static void
sign_paddle(struct signer_ctx *s)
{
	H("Paddle-Signature: ts=%lld;h1=%s\n", s->ts, ts_mac(s, "", ":"));
}

static void
sign_sendgrid(struct signer_ctx *s)
{
	struct buf	m = BUF_INIT, sig = BUF_INIT;

	signed_msg(s, &m, "%lld", s->ts);
	ec_sign(s->key, &m, &sig);
	H("X-Twilio-Email-Event-Webhook-Timestamp: %lld\n", s->ts);
	H("X-Twilio-Email-Event-Webhook-Signature: %s\n", sig.data);
	buf_release(&m);
	buf_release(&sig);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Twilio: the URL called, then the form fields sorted by name, each as
 * name and decoded value.
 */
static void
sign_twilio(struct signer_ctx *s)
{
	struct buf	 m = BUF_INIT, f = BUF_INIT;
	char		**v = NULL, *body, *field, *eq, *p;
	size_t		 n = 0, i;

	body = xstrndup(s->r->body.data ? s->r->body.data : "", s->r->body.len);
	for (field = strtok(body, "&"); field != NULL;
	    field = strtok(NULL, "&")) {
		if ((eq = strchr(field, '=')) == NULL || eq == field)
			continue;
		buf_reset(&f);
		buf_add(&f, field, (size_t)(eq - field));
		/* A tab sorts the name before its value, as sort(1) did. */
		buf_addch(&f, '\t');
		for (p = eq + 1; *p != '\0'; p++)
			if (*p == '+')
				buf_addch(&f, ' ');
			else if (*p == '%' && hexval(p[1]) >= 0 &&
			    hexval(p[2]) >= 0) {
				buf_addch(&f, hexval(p[1]) * 16 + hexval(p[2]));
				p += 2;
			} else
				buf_addch(&f, *p);
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = buf_detach(&f, NULL);
	}
	qsort(v, n, sizeof(*v), cmp_str);
	buf_addstr(&m, s->url);
	for (i = 0; i < n; i++) {
		for (p = v[i]; *p != '\0'; p++)
			if (*p != '\t')
				buf_addch(&m, *p);
		free(v[i]);
	}
	free(v);
	free(body);
	H("Content-Type: application/x-www-form-urlencoded\n");
	H("I-Twilio-Idempotency-Token: idem-3f1e2d\n");
	H("X-Twilio-Signature: %s\n", smac("sha1", s->key, &m, B64));
	buf_release(&m);
	buf_release(&f);
}

static void
sign_linear(struct signer_ctx *s)
{
	H("Linear-Event: Issue\n");
	H("Linear-Delivery: 234d1a4e-b617-4388-90fe-adc3633d6b72\n");
	H("Linear-Signature: %s\n", smac("sha256", s->key, &s->r->body, HEX));
}

static void
sign_sentry(struct signer_ctx *s)
{
	H("Sentry-Hook-Resource: issue\n");
	H("Sentry-Hook-Timestamp: %lld\n", s->ts);
	H("Request-ID: 0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e\n");
	H("Sentry-Hook-Signature: %s\n",
	    smac("sha256", s->key, &s->r->body, HEX));
}

/* In body, the first FROM becomes TO. */
static void
body_replace(struct sreq *r, const char *from, const char *to)
{
	struct buf	 b = BUF_INIT;
	char		*text, *p;

	text = xstrndup(r->body.data ? r->body.data : "", r->body.len);
	if ((p = strstr(text, from)) == NULL) {
		free(text);
		return;
	}
	buf_add(&b, text, (size_t)(p - text));
	buf_addstr(&b, to);
	buf_addstr(&b, p + strlen(from));
	buf_release(&r->body);
	r->body = b;
	free(text);
}

/* Mailgun: the signature is a field of the body, over timestamp + token. */
static void
sign_mailgun(struct signer_ctx *s)
{
	struct buf	 m = BUF_INIT;
	char		 ts[32];

	snprintf(ts, sizeof(ts), "%lld", s->ts);
	buf_printf(&m, "%stok7f8a9c1e0b", ts);
	body_replace(s->r, "@TS@", ts);
	body_replace(s->r, "@SIG@", smac("sha256", s->key, &m, HEX));
	buf_release(&m);
}

static void
sign_generic_hex(struct signer_ctx *s)
{
	H("X-Event: build.done\n");
	H("X-Delivery: d-42\n");
	H("X-Webhook-Signature: %s\n",
	    smac("sha256", s->key, &s->r->body, HEX));
}

static void
sign_generic_token(struct signer_ctx *s)
{
	H("X-Token: %s\n", s->key);
}

static void
sign_generic_bearer(struct signer_ctx *s)
{
	H("Authorization: Bearer %s\n", s->key);
}

static void
sign_generic_basic(struct signer_ctx *s)
{
	struct buf	b = BUF_INIT;

	to_b64(&b, (const unsigned char *)s->key, strlen(s->key));
	H("Authorization: Basic %s\n", b.data);
	buf_release(&b);
}

#undef H

static const struct {
	const char	*name;
	void		(*fn)(struct signer_ctx *);
} signers[] = {
#define S(x)	{ "sign_" #x, sign_ ## x }
	S(github), S(github_sha1), S(gitea), S(forgejo), S(gogs), S(gitlab),
	S(gitlab_signing), S(bitbucket), S(slack), S(stripe), S(standard),
	S(svix), S(standard_ed), S(discord), S(shopify), S(kiket), S(paddle),
	S(sendgrid), S(twilio), S(linear), S(sentry), S(mailgun),
	S(generic_hex), S(generic_token), S(generic_bearer), S(generic_basic),
#undef S
};

/* The senders that add one line: a prefix and the HMAC of the body. */
static const struct {
	const char	*name;
	const char	*prefix;
	const char	*alg;
	enum enc	 enc;
} body_signers[] = {
	{ "sign_generic_b64",	"X-Signature: ",		"sha256", B64 },
	{ "sign_generic_prefix", "X-Sig: sha256=",		"sha256", HEX },
	{ "sign_generic_sha512", "X-Webhook-Signature: ",	"sha512", HEX },
	{ "sign_generic_query",	"?signature=",			"sha256", HEX },
};

/*
 * The case's request, signed at ts with key (NULL: the case's own), as
 * sent to url_base/SOURCE; body from bodies/NAME unless body is given.
 */
static void
sreq_make(struct sreq *r, const struct sigcase *c, long long ts,
    const char *key, const char *url_base, const char *body)
{
	struct signer_ctx	 s;
	struct buf		 path = BUF_INIT, url = BUF_INIT;
	size_t			 i;

	buf_init(&r->hdr);
	buf_init(&r->body);
	if (body == NULL) {
		buf_printf(&path, "bodies/%s", c->f[F_BODY]);
		body = path.data;
	}
	if (read_file(body, &r->body, 1 << 20) == -1)
		die("%s: %s", body, strerror(errno));
	buf_printf(&url, "%s/%s", url_base, c->f[F_SOURCE]);
	memset(&s, 0, sizeof(s));
	s.r = r;
	s.ts = ts;
	s.key = key != NULL ? key : c->f[F_KEY];
	s.url = url.data;
	for (i = 0; i < sizeof(body_signers) / sizeof(body_signers[0]); i++)
		if (strcmp(body_signers[i].name, c->f[F_SIGN]) == 0) {
			buf_printf(&r->hdr, "%s%s\n", body_signers[i].prefix,
			    smac(body_signers[i].alg, s.key, &r->body,
			    body_signers[i].enc));
			goto done;
		}
	for (i = 0; i < sizeof(signers) / sizeof(signers[0]); i++)
		if (strcmp(signers[i].name, c->f[F_SIGN]) == 0) {
			signers[i].fn(&s);
			goto done;
		}
	die("case %s: no signer %s", c->f[F_NAME], c->f[F_SIGN]);
done:
	buf_release(&path);
	buf_release(&url);
}

static void
sreq_release(struct sreq *r)
{
	buf_release(&r->hdr);
	buf_release(&r->body);
}

static void
write_buf(const char *prefix, const char *ext, const struct buf *b)
{
	struct buf	path = BUF_INIT;
	int		fd;

	buf_printf(&path, "%s.%s", prefix, ext);
	if ((fd = open(path.data, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    write_all(fd, b->data ? b->data : "", b->len) == -1 ||
	    close(fd) == -1)
		die("%s: %s", path.data, strerror(errno));
	buf_release(&path);
}

/*
 * sigreq CASELINE PREFIX [--ts T] [--key K] [--url-base U] [--body FILE]:
 * PREFIX.body (what is sent) and PREFIX.hdr (curl -H @ lines; a line
 * "?QUERY" is the query string), signed now unless T is given.
 */
int
cmd_sigreq(int argc, char **argv)
{
	struct sigcase	 c;
	struct sreq	 r;
	const char	*key = NULL, *url = "", *body = NULL;
	long long	 ts = (long long)time(NULL);
	int		 i;

	if (argc < 3)
		usage();
	for (i = 3; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--ts") == 0)
			ts = strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--key") == 0)
			key = argv[++i];
		else if (strcmp(argv[i], "--url-base") == 0)
			url = argv[++i];
		else if (strcmp(argv[i], "--body") == 0)
			body = argv[++i];
		else
			usage();
	}
	sigcase_parse(&c, argv[1]);
	sreq_make(&r, &c, ts, key, url, body);
	write_buf(argv[2], "body", &r.body);
	write_buf(argv[2], "hdr", &r.hdr);
	sreq_release(&r);
	free(c.line);
	return 0;
}

/* ---------------------------------------------------------------- spoiling */
/* printf %b's backslash escapes, the ones the table uses. */
static void
unescape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		if (s[0] == '\\' && s[1] == 'n') {
			buf_addch(b, '\n');
			s++;
		} else if (s[0] == '\\' && s[1] == '\\') {
			buf_addch(b, '\\');
			s++;
		} else
			buf_addch(b, *s);
}

/*
 * The line at *p, its newline made a NUL; *p moves past it.  NULL at the
 * end of the text.
 */
static char *
line_next(char **p)
{
	char	*line = *p;

	if (line == NULL || *line == '\0')
		return NULL;
	*p = line + strcspn(line, "\n");
	if (**p == '\n')
		*(*p)++ = '\0';
	return line;
}

/*
 * sed -e 's/RE/REPL/' on text: the first match of the basic regular
 * expression RE in each line becomes REPL (taken literally).  -1 if the
 * expression is not of that form.
 */
static int
sed_s(const char *expr, const struct buf *in, struct buf *out)
{
	regex_t		 re;
	regmatch_t	 m;
	char		*re_s, *repl, *text, *line, *next;
	const char	*p, *q;
	char		 d;
	int		 nl;

	if (expr[0] != 's' || expr[1] == '\0')
		return -1;
	d = expr[1];
	p = expr + 2;
	if ((q = strchr(p, d)) == NULL)
		return -1;
	re_s = xstrndup(p, (size_t)(q - p));
	p = q + 1;
	if ((q = strchr(p, d)) == NULL || q[1] != '\0') {
		free(re_s);
		return -1;
	}
	repl = xstrndup(p, (size_t)(q - p));
	if (regcomp(&re, re_s, 0) != 0)
		die("sed expression '%s': bad regular expression", expr);
	text = xstrndup(in->data ? in->data : "", in->len);
	buf_reset(out);
	for (line = text; *line != '\0'; line = next) {
		next = line + strcspn(line, "\n");
		nl = *next == '\n';
		if (nl)
			*next++ = '\0';
		if (regexec(&re, line, 1, &m, 0) == 0) {
			buf_add(out, line, (size_t)m.rm_so);
			buf_addstr(out, repl);
			buf_addstr(out, line + m.rm_eo);
		} else
			buf_addstr(out, line);
		if (nl)
			buf_addch(out, '\n');
	}
	regfree(&re);
	free(re_s);
	free(repl);
	free(text);
	return 0;
}

/*
 * The header lines matching ^(sigre), case-insensitively, left out; with
 * repl, its lines put at the end in their place.  -1 if none matched.
 */
static int
drop_sig_lines(struct sreq *r, const char *sigre, const char *repl)
{
	regex_t		 re;
	struct buf	 out = BUF_INIT, pat = BUF_INIT;
	char		*text, *line, *next;
	int		 n = 0;

	buf_printf(&pat, "^(%s)", sigre);
	if (regcomp(&re, pat.data, REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0)
		die("sigre '%s': bad regular expression", sigre);
	text = xstrndup(r->hdr.data ? r->hdr.data : "", r->hdr.len);
	for (next = text; (line = line_next(&next)) != NULL; ) {
		if (regexec(&re, line, 0, NULL, 0) == 0)
			n++;
		else
			buf_printf(&out, "%s\n", line);
	}
	if (repl != NULL) {
		unescape(&out, repl);
		buf_addch(&out, '\n');
	}
	buf_release(&r->hdr);
	r->hdr = out;
	regfree(&re);
	buf_release(&pat);
	free(text);
	return n > 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- the matrix */
struct matrix {
	struct responder	 rs;
	char			*scheme;
	char			*host;
	char			*path;	/* of the URL base: "/hooks" */
	char			 spool_new[4096];
	char			 spool_tmp[4096];
	char			**secrets;
	size_t			 nsecrets;
	int			 logfd;	/* the responder's log (fd 2) */
	struct buf		 why;	/* what went wrong in a case */
};

/* What came back from one request. */
struct answer {
	int		 status;
	struct buf	 raw;
	const char	*ctype;		/* in raw, NUL-terminated; NULL: none */
	const char	*body;		/* in raw */
	struct buf	 log;		/* what the responder logged */
};

static void __attribute__((format(printf, 2, 3)))
why(struct matrix *m, const char *fmt, ...)
{
	va_list	ap;
	char	*p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) == -1)
		die("out of memory");
	va_end(ap);
	if (m->why.len > 0)
		buf_addstr(&m->why, "; ");
	buf_addstr(&m->why, p);
	free(p);
}

/*
 * How many files DIR holds; the path of one in first.  With clear, they
 * are removed: a case that spooled must not spoil the next one.
 */
static size_t
dir_count(const char *dir, char *first, size_t firstlen, int clear)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[4096 + 256];
	size_t		 n = 0;

	if ((d = opendir(dir)) == NULL)
		die("%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (n++ == 0 && first != NULL)
			snprintf(first, firstlen, "%s", path);
		if (clear)
			unlink(path);
	}
	closedir(d);
	return n;
}

static void
param_add(char ***v, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
param_add(char ***v, size_t *n, const char *fmt, ...)
{
	va_list	ap;

	*v = xreallocarray(*v, *n + 2, sizeof(**v));
	va_start(ap, fmt);
	if (vasprintf(&(*v)[*n], fmt, ap) == -1)
		die("out of memory");
	va_end(ap);
	(*v)[++*n] = NULL;
}

/*
 * Send r to source src as nginx passes a request to the responder
 * (fastcgi_params), through handle_request_memory().
 */
static void
post(struct matrix *m, const char *src, const struct sreq *r,
    struct answer *a)
{
	struct buf	 name = BUF_INIT;
	char		**v = NULL, *text, *line, *next, *colon, *p, *e;
	const char	*query = "", *val;
	size_t		 n = 0, i;
	off_t		 before;
	int		 ctype = 0;

	text = xstrndup(r->hdr.data ? r->hdr.data : "", r->hdr.len);
	for (next = text; (line = line_next(&next)) != NULL; ) {
		if (*line == '?') {
			query = line + 1;
			continue;
		}
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		for (val = colon + 1; *val == ' '; val++)
			;
		if (ascii_casecmp(line, "Content-Type") == 0) {
			param_add(&v, &n, "CONTENT_TYPE=%s", val);
			ctype = 1;
			continue;
		}
		buf_reset(&name);
		for (p = line; *p != '\0'; p++)
			buf_addch(&name, *p == '-' ? '_' :
			    toupper((unsigned char)*p));
		param_add(&v, &n, "HTTP_%s=%s", name.data, val);
	}
	if (!ctype)
		param_add(&v, &n, "CONTENT_TYPE=application/json");
	param_add(&v, &n, "REQUEST_METHOD=POST");
	param_add(&v, &n, "PATH_INFO=/%s", src);
	param_add(&v, &n, "QUERY_STRING=%s", query);
	param_add(&v, &n, "REQUEST_URI=%s/%s%s%s", m->path, src,
	    *query ? "?" : "", query);
	param_add(&v, &n, "REQUEST_SCHEME=%s", m->scheme);
	param_add(&v, &n, "HTTP_HOST=%s", m->host);
	param_add(&v, &n, "CONTENT_LENGTH=%zu", r->body.len);
	param_add(&v, &n, "REMOTE_ADDR=127.0.0.1");

	memset(a, 0, sizeof(*a));
	before = lseek(m->logfd, 0, SEEK_END);
	handle_request_memory(&m->rs, v, r->body.data ? r->body.data : "",
	    r->body.len, &a->raw);
	if (before != -1 && lseek(m->logfd, before, SEEK_SET) != -1) {
		char	chunk[4096];
		ssize_t	got;

		while ((got = read(m->logfd, chunk, sizeof(chunk))) > 0)
			buf_add(&a->log, chunk, (size_t)got);
	}
	buf_addch(&a->raw, '\0');
	a->raw.len--;
	a->status = strncmp(a->raw.data, "Status: ", 8) == 0 ?
	    atoi(a->raw.data + 8) : -1;
	a->body = "";
	if ((e = strstr(a->raw.data, "\r\n\r\n")) != NULL) {
		*e = '\0';
		a->body = e + 4;
	}
	for (line = a->raw.data; line != NULL && *line != '\0'; line = next) {
		if ((next = strstr(line, "\r\n")) != NULL) {
			*next = '\0';
			next += 2;
		}
		if (ascii_ncasecmp(line, "Content-Type: ", 14) == 0)
			a->ctype = line + 14;
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(text);
	buf_release(&name);
}

static void
answer_release(struct answer *a)
{
	buf_release(&a->raw);
	buf_release(&a->log);
}

/* Does text hold a secret, or a header that carries one? */
static int
secret_in(struct matrix *m, const char *what, const char *text)
{
	const char	*p;
	size_t		 i;

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (ascii_ncasecmp(p, "X-Gitlab-Token:", 15) == 0 ||
		    ascii_ncasecmp(p, "Authorization:", 14) == 0) {
			why(m, "%s has a header carrying a secret", what);
			return 1;
		}
	}
	for (i = 0; i < m->nsecrets; i++)
		if (strstr(text, m->secrets[i]) != NULL) {
			why(m, "a secret is in %s", what);
			return 1;
		}
	return 0;
}

/* The spool file's header block: NAME is VALUE ("": no NAME line). */
static int
head_has(struct matrix *m, const char *head, const char *name,
    const char *value)
{
	const char	*p;
	size_t		 n = strlen(name), vn = strlen(value);

	for (p = head; *p != '\0'; p += strcspn(p, "\n"), p += *p == '\n') {
		if (ascii_ncasecmp(p, name, n) != 0 || p[n] != ':')
			continue;
		if (*value == '\0') {
			why(m, "the spool file has a %s line", name);
			return 0;
		}
		if (strncmp(p, name, n) == 0 && strncmp(p + n, ": ", 2) == 0 &&
		    strncmp(p + n + 2, value, vn) == 0 &&
		    (p[n + 2 + vn] == '\n' || p[n + 2 + vn] == '\0'))
			return 1;
	}
	if (*value == '\0')
		return 1;
	why(m, "the spool file has no line '%s: %s'", name, value);
	return 0;
}

/* t1010's check_spooled: one new file, the body as sent, its lines. */
static int
check_spooled(struct matrix *m, const struct sigcase *c, const struct sreq *r)
{
	struct buf	 f = BUF_INIT;
	char		 path[4096 + 256], len[32], *sep;
	int		 good = 1;

	if (dir_count(m->spool_new, path, sizeof(path), 0) != 1) {
		why(m, "not one file in spool/new");
		dir_count(m->spool_new, NULL, 0, 1);
		return 0;
	}
	if (dir_count(m->spool_tmp, NULL, 0, 1) != 0) {
		why(m, "spool/tmp is not empty");
		good = 0;
	}
	if (read_file(path, &f, 1 << 20) == -1)
		die("%s: %s", path, strerror(errno));
	buf_addch(&f, '\0');
	f.len--;
	if ((sep = strstr(f.data, "\n\n")) == NULL) {
		why(m, "the spool file has no empty line");
		good = 0;
	} else {
		if (f.len - (size_t)(sep + 2 - f.data) != r->body.len ||
		    memcmp(sep + 2, r->body.data ? r->body.data : "",
		    r->body.len) != 0) {
			why(m, "the spooled body is not the one sent");
			good = 0;
		}
		sep[1] = '\0';
		snprintf(len, sizeof(len), "%zu", r->body.len);
		good &= head_has(m, f.data, "Hookdir-Source",
		    c->f[F_SOURCE]);
		good &= head_has(m, f.data, "Hookdir-Provider",
		    c->f[F_PROVIDER]);
		good &= head_has(m, f.data, "Hookdir-Verified",
		    c->f[F_VERIFIED]);
		good &= head_has(m, f.data, "Hookdir-Event", c->f[F_EVENT]);
		good &= head_has(m, f.data, "Hookdir-Delivery",
		    c->f[F_DELIVERY]);
		good &= head_has(m, f.data, "Hookdir-Method", "POST");
		good &= head_has(m, f.data, "Content-Length", len);
		sep[1] = '\n';
	}
	if (secret_in(m, "the spool file", f.data))
		good = 0;
	unlink(path);
	buf_release(&f);
	return good;
}

/* t1010's expect_401: refused with the JSON error, nothing spooled. */
static int
check_401(struct matrix *m, const struct answer *a)
{
	int	good = 1;

	if (a->status != 401) {
		why(m, "status %d, expected 401", a->status);
		good = 0;
	}
	if (a->ctype == NULL || strcmp(a->ctype, "application/json") != 0) {
		why(m, "Content-Type %s", a->ctype ? a->ctype : "missing");
		good = 0;
	}
	if (strcmp(a->body, "{\"error\":\"invalid signature\"}\n") != 0) {
		why(m, "answer %s", a->body);
		good = 0;
	}
	if (dir_count(m->spool_new, NULL, 0, 1) != 0) {
		why(m, "something was spooled");
		good = 0;
	}
	if (dir_count(m->spool_tmp, NULL, 0, 1) != 0) {
		why(m, "spool/tmp is not empty");
		good = 0;
	}
	if (secret_in(m, "the responder's log", a->log.data ?
	    a->log.data : ""))
		good = 0;
	return good;
}

/* Print one case's line: "ok TITLE" or "not ok TITLE<TAB>why". */
static void
report(struct matrix *m, const struct sigcase *c, const char *what, int good)
{
	char	*p;

	for (p = m->why.data; p != NULL && *p != '\0'; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	if (good)
		printf("ok\t%s: %s\n", c->f[F_NAME], what);
	else
		printf("not ok\t%s: %s\t%s\n", c->f[F_NAME], what,
		    m->why.len ? m->why.data : "failed");
	buf_reset(&m->why);
}

enum spoil { WRONG, FLIP, MISSING, MALFORMED, STALE };

/* Sign the case's request, spoil it one way, expect a 401. */
static int
run_spoiled(struct matrix *m, const struct sigcase *c, const char *url_base,
    enum spoil how)
{
	struct sreq	 r;
	struct answer	 a;
	struct buf	 out = BUF_INIT;
	long long	 now = (long long)time(NULL);
	const char	*sed = NULL;
	int		 good = 1;

	sreq_make(&r, c, how == STALE ? now - 600 : now,
	    how == WRONG ? c->f[F_WRONG] : NULL, url_base, NULL);
	switch (how) {
	case FLIP:
		sed = c->f[F_FLIP];
		break;
	case MISSING:
		if (*c->f[F_MISSING_SED] != '\0')
			sed = c->f[F_MISSING_SED];
		else if (drop_sig_lines(&r, c->f[F_SIGRE], NULL) == -1) {
			why(m, "no header matches ^(%s)", c->f[F_SIGRE]);
			good = 0;
		}
		break;
	case MALFORMED:
		if (*c->f[F_MALFORMED_SED] != '\0')
			sed = c->f[F_MALFORMED_SED];
		else if (drop_sig_lines(&r, c->f[F_SIGRE],
		    c->f[F_MALFORMED]) == -1) {
			why(m, "no header matches ^(%s)", c->f[F_SIGRE]);
			good = 0;
		}
		break;
	default:
		break;
	}
	if (sed != NULL) {
		if (sed_s(sed, &r.body, &out) == -1)
			die("case %s: '%s' is not s/RE/REPL/",
			    c->f[F_NAME], sed);
		if (out.len == r.body.len && memcmp(out.data, r.body.data,
		    out.len) == 0) {
			why(m, "'%s' changes nothing", sed);
			good = 0;
		}
		if (how == FLIP && out.len != r.body.len) {
			why(m, "'%s' changes the length", sed);
			good = 0;
		}
		buf_release(&r.body);
		r.body = out;
		buf_init(&out);
	}
	if (good) {
		post(m, c->f[F_SOURCE], &r, &a);
		good = check_401(m, &a);
		answer_release(&a);
	}
	sreq_release(&r);
	buf_release(&out);
	return good;
}

/* A valid request must pass here first: else every 401 proves nothing. */
static int
run_valid(struct matrix *m, const struct sigcase *c, const char *url_base)
{
	struct sreq	 r;
	struct answer	 a;
	int		 good;

	sreq_make(&r, c, (long long)time(NULL), NULL, url_base, NULL);
	post(m, c->f[F_SOURCE], &r, &a);
	if (a.status != 202) {
		why(m, "the valid request got %d here, not 202: %s", a.status,
		    a.log.data ? a.log.data : "");
		good = 0;
	} else
		good = check_spooled(m, c, &r);
	answer_release(&a);
	sreq_release(&r);
	return good;
}

/* An auto source's refusal: a 401 that says why in the log. */
static int
run_refused(struct matrix *m, const struct sigcase *c, const char *url_base)
{
	struct sreq	 r;
	struct answer	 a;
	struct buf	 want = BUF_INIT;
	const char	*p, *bol;
	int		 good;

	sreq_make(&r, c, (long long)time(NULL), NULL, url_base, NULL);
	post(m, c->f[F_SOURCE], &r, &a);
	good = check_401(m, &a);
	buf_printf(&want, "%s: refused: a source with provider auto takes "
	    "only providers that sign the body itself", c->f[F_PROVIDER]);
	p = a.log.data ? strstr(a.log.data, want.data) : NULL;
	for (bol = p; bol != NULL && bol > a.log.data && bol[-1] != '\n'; bol--)
		;
	if (p == NULL || memmem(bol, (size_t)(p - bol), "401 ", 4) == NULL) {
		why(m, "the log does not say '401 ... %s'", want.data);
		good = 0;
	}
	buf_release(&want);
	answer_release(&a);
	sreq_release(&r);
	return good;
}

/* The spoiled request's verdict, or, when the valid one failed, that. */
static int
spoiled(struct matrix *m, const struct sigcase *c, const char *url_base,
    enum spoil how, const char *valid_failed)
{
	if (valid_failed != NULL) {
		why(m, "%s", valid_failed);
		return 0;
	}
	return run_spoiled(m, c, url_base, how);
}

static void
matrix_case(struct matrix *m, const struct sigcase *c, const char *url_base)
{
	static const struct {
		enum spoil	 how;
		const char	*title;
	} steps[] = {
		{ FLIP,		"one flipped body byte -> 401" },
		{ MISSING,	"no signature -> 401" },
		{ MALFORMED,	"malformed signature -> 401" },
		{ STALE,	"stale timestamp -> 401" },
	};
	struct buf	pre = BUF_INIT;
	size_t		i;
	int		valid;

	if (has_flag(c, "refused")) {
		report(m, c, "a valid request is refused -> 401",
		    run_refused(m, c, url_base));
		return;
	}
	valid = run_valid(m, c, url_base);
	buf_addstr(&pre, buf_str(&m->why));
	buf_reset(&m->why);
	report(m, c, "wrong secret or key -> 401",
	    spoiled(m, c, url_base, WRONG, valid ? NULL : pre.data));
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]) &&
	    !has_flag(c, "auto"); i++) {
		if ((steps[i].how == FLIP && has_flag(c, "nobody")) ||
		    (steps[i].how == STALE && !has_flag(c, "ts")))
			continue;
		report(m, c, steps[i].title, spoiled(m, c, url_base,
		    steps[i].how, valid ? NULL : pre.data));
	}
	buf_release(&pre);
}

/*
 * sigmatrix CONF CASES SECRETS URLBASE: every case of the file CASES
 * (one a line) against the responder's code with configuration CONF,
 * as if called at URLBASE/SOURCE; SECRETS lists what must never appear
 * in a spool file or the log.  Prints one line a check; the responder's
 * log goes to CONF's directory, sigmatrix.log.  Exits 0 when it ran.
 */
int
cmd_sigmatrix(int argc, char **argv)
{
	struct matrix	 m;
	struct sigcase	 c;
	struct diag	 d;
	struct buf	 cases = BUF_INIT, secrets = BUF_INIT, logpath = BUF_INIT;
	char		*line, *next, *p, *dir;
	int		 saved;

	if (argc != 5)
		usage();
	memset(&m, 0, sizeof(m));
	log_init("hookdir.fcgi", 0);
	diag_init(&d);
	if ((m.rs.cf = config_load(argv[1], &d)) == NULL) {
		diag_print(&d);
		die("%s: configuration does not load", argv[1]);
	}
	diag_release(&d);
	m.rs.cf_path = xstrdup(argv[1]);
	m.rs.log_stderr = 1;
	snprintf(m.spool_new, sizeof(m.spool_new), "%s/new", m.rs.cf->spool);
	snprintf(m.spool_tmp, sizeof(m.spool_tmp), "%s/tmp", m.rs.cf->spool);

	if (read_file(argv[3], &secrets, 1 << 20) == -1)
		die("%s: %s", argv[3], strerror(errno));
	for (next = secrets.data; (line = line_next(&next)) != NULL; ) {
		if (*line == '\0')
			continue;
		m.secrets = xreallocarray(m.secrets, m.nsecrets + 1,
		    sizeof(*m.secrets));
		m.secrets[m.nsecrets++] = line;
	}

	/* URLBASE: SCHEME://HOST/PATH. */
	if ((p = strstr(argv[4], "://")) == NULL)
		die("'%s': not a URL", argv[4]);
	m.scheme = xstrndup(argv[4], (size_t)(p - argv[4]));
	m.host = xstrdup(p + 3);
	if ((p = strchr(m.host, '/')) != NULL) {
		m.path = xstrdup(p);
		*p = '\0';
	} else
		m.path = xstrdup("");

	/* The responder logs to stderr: keep it, to read what it said. */
	dir = xstrdup(argv[1]);
	if ((p = strrchr(dir, '/')) != NULL)
		*p = '\0';
	else
		strcpy(dir, ".");
	buf_printf(&logpath, "%s/sigmatrix.log", dir);
	free(dir);
	fflush(stderr);
	if ((saved = dup(2)) == -1 || (m.logfd = open(logpath.data,
	    O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    dup2(m.logfd, 2) == -1)
		die("%s: %s", logpath.data, strerror(errno));
	close(m.logfd);
	m.logfd = 2;
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (read_file(argv[2], &cases, 1 << 20) == -1)
		die("%s: %s", argv[2], strerror(errno));
	for (next = cases.data; (line = line_next(&next)) != NULL; ) {
		sigcase_parse(&c, line);
		matrix_case(&m, &c, argv[4]);
		free(c.line);
	}

	dup2(saved, 2);
	close(saved);
	config_free(m.rs.cf);
	free(m.rs.cf_path);
	buf_release(&m.rs.body);
	if (m.rs.spool_open)
		spool_close(&m.rs.spool);
	free(m.secrets);
	free(m.scheme);
	free(m.host);
	free(m.path);
	buf_release(&m.why);
	buf_release(&cases);
	buf_release(&secrets);
	buf_release(&logpath);
	return 0;
}
