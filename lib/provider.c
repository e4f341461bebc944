/*
 * Webhook providers: one row of a table per sender (see provider.h).
 *
 * A row names the headers a provider sends and says how its signature
 * is checked: the verify function is one per signature *scheme* (a
 * header HMAC, a shared token, Slack's, Stripe's, Standard Webhooks,
 * Ed25519, ...) and everything else that varies between providers of a
 * scheme (header names, encoding, algorithm, replay window, where the
 * event type and the delivery id come from) is a field of the row.
 * Adding a provider is adding a row.
 */
#include "autoconf.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "buf.h"
#include "codec.h"
#include "config.h"
#include "jconf.h"
#include "provider.h"
#include "util.h"
#include "xmalloc.h"

#define BODY_JSON_DEPTH	64	/* as deep as any configuration may nest */
#define MAX_CANDIDATES	16	/* signatures looked at in one header */
#define MAX_FIELD_LEN	512	/* longest event type or delivery id kept */
#define MAX_TS_DIGITS	15	/* seconds; keeps ts * 1000 far from overflow */

/* Where an event type or a delivery id is found. */
enum field_kind {
	F_END = 0,
	F_HEADER,		/* a request header */
	F_BODY,			/* a member path in the JSON body: "a.b" */
	F_FORM,			/* a field of a form-encoded body */
	F_SOURCE_EVENT,		/* the header named by event_header */
	F_SOURCE_DELIVERY	/* ... in delivery_header */
};

struct field {
	enum field_kind	 kind;
	const char	*name;
};

/* How a row's secrets are turned into a key. */
enum secret_kind {
	SECRET_RAW,		/* the configured bytes, as they are */
	SECRET_WHSEC,		/* base64 after an optional "whsec_" */
	SECRET_UNUSED		/* the scheme verifies with a public key */
};

/*
 * What a row's MAC covers beyond the key: the framing of the signed
 * bytes. Under one secret, a signature made for one framing is a valid
 * signature of other bytes in another (Slack's "v0:TS:body" is an HMAC
 * of a body that reads "v0:TS:body" for GitHub): so "auto" detects only
 * among the rows that sign the body itself, and no secret may serve two
 * framings. 0 is no row's framing, so a row that forgets it is never
 * detected by "auto".
 */
enum framing {
	FRAME_NONE = 0,
	FRAME_BODY,		/* the body (form mode: its payload= field) */
	FRAME_TOKEN,		/* no MAC: the secret itself is sent */
	FRAME_SLACK,		/* "v0:" TS ":" body */
	FRAME_STRIPE,		/* TS "." body */
	FRAME_PADDLE,		/* TS ":" body */
	FRAME_STANDARD,		/* ID "." TS "." body, a base64 key */
	FRAME_TWILIO,		/* URL, then the sorted form fields */
	FRAME_MAILGUN,		/* TS, then the token of the body */
	FRAME_KEY		/* a public-key signature: no secret */
};

/* What a sender does with the secret, for messages. */
static const char *const framing_text[] = {
	[FRAME_NONE] = "signs its own way",
	[FRAME_BODY] = "signs the body",
	[FRAME_TOKEN] = "sends the secret itself",
	[FRAME_SLACK] = "signs \"v0:TIMESTAMP:body\"",
	[FRAME_STRIPE] = "signs \"TIMESTAMP.body\"",
	[FRAME_PADDLE] = "signs \"TIMESTAMP:body\"",
	[FRAME_STANDARD] = "signs \"ID.TIMESTAMP.body\"",
	[FRAME_TWILIO] = "signs the URL and the form fields",
	[FRAME_MAILGUN] = "signs a timestamp and a token",
	[FRAME_KEY] = "signs with a private key",
};

/* What a row's public_key is. */
enum key_kind {
	KEY_UNUSED,
	KEY_ED25519_HEX,	/* 64 hex digits (Discord) */
	KEY_ED25519_WHPK,	/* "whpk_" + base64 (Standard Webhooks v1a) */
	KEY_EC_SPKI_B64		/* base64 DER SubjectPublicKeyInfo (SendGrid) */
};

struct vctx;
typedef int	(*verify_fn)(struct vctx *);
typedef int	(*sign_fn)(struct vctx *, struct buf *, const char **);
typedef void	(*handshake_fn)(struct vctx *);

struct provider {
	const char	*name;
	const char	*aliases[3];
	const char	*detect[3];	/* present: this is the provider */
	verify_fn	 verify;
	sign_fn		 sign;		/* NULL: sign_why says why not */
	const char	*sign_why;
	const char	*sig_header[3];	/* the first one present is used */
	const char	*ts_header;
	enum generic_encoding enc;
	enum hmac_alg	 alg;		/* default, and what sign uses */
	int		 alg_prefix;	/* "sha1=", "sha256=", ... picks alg */
	int		 form_payload;	/* form mode signs decoded payload= */
	enum framing	 frame;
	enum secret_kind secret;
	const char	*secret_prefix;	/* "whsec_": a secret is more than it */
	enum key_kind	 key;
	int		 key_required;
	int		 needs_url;	/* the signature covers the URL */
	int		 configurable;	/* uses the generic source settings */
	int		 window_s;	/* default replay window, 0: none */
	int		 two_sided;	/* reject future timestamps too */
	const char	*upgrade_header; /* present: use upgrade instead */
	verify_fn	 upgrade;
	struct field	 event[4];
	struct field	 delivery[4];
	/*
	 * What the worker dedups on: what the provider documents as the
	 * same across its retries, "header:NAME" or a JSONPath; the first
	 * one present counts. The generic row's is its delivery_header.
	 */
	const char	*dedup[4];
	handshake_fn	 handshake;	/* answer instead of 202 */
};

/* One verification (or signing) in progress. */
struct vctx {
	const struct provider		*p;
	const struct source		*s;
	const struct hook_request	*req;
	struct verify_result		*vr;
	struct json_object		*json;		/* parsed on demand */
	int				 json_done;
	struct buf			 payload;	/* decoded payload= */
	int				 payload_done;
	int				 has_payload;
};

static int	verify_header_hmac(struct vctx *);
static int	verify_token(struct vctx *);
static int	verify_slack(struct vctx *);
static int	verify_stripe(struct vctx *);
static int	verify_standard(struct vctx *);
static int	verify_ed25519(struct vctx *);
static int	verify_paddle(struct vctx *);
static int	verify_ecdsa(struct vctx *);
static int	verify_twilio(struct vctx *);
static int	verify_mailgun(struct vctx *);
static int	verify_generic(struct vctx *);
static int	sign_header_hmac(struct vctx *, struct buf *, const char **);
static int	sign_token(struct vctx *, struct buf *, const char **);
static int	sign_slack(struct vctx *, struct buf *, const char **);
static int	sign_stripe(struct vctx *, struct buf *, const char **);
static int	sign_standard(struct vctx *, struct buf *, const char **);
static int	sign_paddle(struct vctx *, struct buf *, const char **);
static int	sign_twilio(struct vctx *, struct buf *, const char **);
static int	sign_generic(struct vctx *, struct buf *, const char **);
static void	handshake_slack(struct vctx *);
static void	handshake_discord(struct vctx *);

#define PRIVATE_KEY_WHY	"signing needs the sender's private key"

/*
 * In detection order: Forgejo and Gitea also send Gogs' and GitHub's
 * headers, Gogs sends X-Github-Event, GitLab may send webhook-* headers,
 * so the forges come before GitHub and Standard Webhooks.
 */
static const struct provider providers[] = {
	{
		.name = "forgejo",
		.detect = { "X-Forgejo-Event" },
		.frame = FRAME_BODY,
		.verify = verify_header_hmac, .sign = sign_header_hmac,
		.sig_header = { "X-Forgejo-Signature", "X-Gitea-Signature" },
		.enc = ENC_HEX, .alg = HMAC_SHA256, .form_payload = 1,
		.event = { { F_HEADER, "X-Forgejo-Event" },
		    { F_HEADER, "X-Gitea-Event" } },
		.delivery = { { F_HEADER, "X-Forgejo-Delivery" },
		    { F_HEADER, "X-Gitea-Delivery" } },
		.dedup = { "header:X-Forgejo-Delivery", "header:X-Gitea-Delivery" },
	},
	{
		.name = "gitea",
		.detect = { "X-Gitea-Event" },
		.frame = FRAME_BODY,
		.verify = verify_header_hmac, .sign = sign_header_hmac,
		.sig_header = { "X-Gitea-Signature" },
		.enc = ENC_HEX, .alg = HMAC_SHA256, .form_payload = 1,
		.event = { { F_HEADER, "X-Gitea-Event" } },
		.delivery = { { F_HEADER, "X-Gitea-Delivery" } },
		.dedup = { "header:X-Gitea-Delivery" },
	},
	{
		.name = "gogs",
		.detect = { "X-Gogs-Event" },
		.frame = FRAME_BODY,
		.verify = verify_header_hmac, .sign = sign_header_hmac,
		.sig_header = { "X-Gogs-Signature" },
		.enc = ENC_HEX, .alg = HMAC_SHA256, .form_payload = 1,
		.event = { { F_HEADER, "X-Gogs-Event" } },
		.delivery = { { F_HEADER, "X-Gogs-Delivery" } },
		.dedup = { "header:X-Gogs-Delivery" },
	},
	{
		/*
		 * A shared token; but a GitLab signing token (a whsec_ key)
		 * adds webhook-signature, and then that is what counts.
		 */
		.name = "gitlab",
		.detect = { "X-Gitlab-Event" },
		.frame = FRAME_TOKEN,
		.verify = verify_token, .sign = sign_token,
		.sig_header = { "X-Gitlab-Token" },
		.secret_prefix = "whsec_",
		.window_s = 300, .two_sided = 1,
		.upgrade_header = "webhook-signature",
		.upgrade = verify_standard,
		.event = { { F_HEADER, "X-Gitlab-Event" } },
		.delivery = { { F_HEADER, "X-Gitlab-Event-UUID" },
		    { F_HEADER, "webhook-id" } },
		.dedup = { "header:Idempotency-Key", "header:X-Gitlab-Event-UUID" },
	},
	{
		.name = "github",
		.detect = { "X-GitHub-Event" },
		.frame = FRAME_BODY,
		.verify = verify_header_hmac, .sign = sign_header_hmac,
		.sig_header = { "X-Hub-Signature-256", "X-Hub-Signature" },
		.enc = ENC_HEX, .alg = HMAC_SHA256, .alg_prefix = 1,
		.event = { { F_HEADER, "X-GitHub-Event" } },
		.delivery = { { F_HEADER, "X-GitHub-Delivery" } },
		.dedup = { "header:X-GitHub-Delivery" },
	},
	{
		/* sha256= in the header GitHub uses for sha1=. */
		.name = "bitbucket",
		.detect = { "X-Event-Key" },
		.frame = FRAME_BODY,
		.verify = verify_header_hmac, .sign = sign_header_hmac,
		.sig_header = { "X-Hub-Signature" },
		.enc = ENC_HEX, .alg = HMAC_SHA256, .alg_prefix = 1,
		.event = { { F_HEADER, "X-Event-Key" } },
		.delivery = { { F_HEADER, "X-Request-UUID" },
		    { F_HEADER, "X-Request-Id" } },
		.dedup = { "header:X-Request-UUID", "header:X-Request-Id" },
	},
	{
		/* Slash commands and interactivity are form-encoded. */
		.name = "slack",
		.detect = { "X-Slack-Signature" },
		.frame = FRAME_SLACK,
		.verify = verify_slack, .sign = sign_slack,
		.sig_header = { "X-Slack-Signature" },
		.ts_header = "X-Slack-Request-Timestamp",
		.enc = ENC_HEX, .alg = HMAC_SHA256,
		.window_s = 300, .two_sided = 1,
		/*
		 * The body's top-level type (event_callback,
		 * url_verification), as PocketCI names Slack events; the
		 * inner one is payload.event.type in expressions.
		 */
		.event = { { F_BODY, "type" }, { F_FORM, "command" } },
		.delivery = { { F_BODY, "event_id" } },
		.handshake = handshake_slack,
		.dedup = { "$.event_id" },
	},
	{
		/*
		 * stripe-go rejects only old timestamps, stripe-dotnet
		 * both ways; we take the stricter: a timestamp 300 s in the
		 * future is as suspect as one 300 s old.
		 */
		.name = "stripe",
		.detect = { "Stripe-Signature" },
		.frame = FRAME_STRIPE,
		.verify = verify_stripe, .sign = sign_stripe,
		.sig_header = { "Stripe-Signature" },
		.enc = ENC_HEX, .alg = HMAC_SHA256,
		.secret_prefix = "whsec_",
		.window_s = 300, .two_sided = 1,
		.event = { { F_BODY, "type" } },
		.delivery = { { F_BODY, "id" } },
		.dedup = { "$.id" },
	},
	{
		.name = "standard",
		.aliases = { "standard-webhooks", "svix" },
		.detect = { "webhook-signature", "svix-signature" },
		.frame = FRAME_STANDARD,
		.verify = verify_standard, .sign = sign_standard,
		.enc = ENC_BASE64, .alg = HMAC_SHA256,
		.secret = SECRET_WHSEC, .secret_prefix = "whsec_",
		.key = KEY_ED25519_WHPK,
		.window_s = 300, .two_sided = 1,
		.event = { { F_BODY, "type" } },
		.delivery = { { F_HEADER, "webhook-id" },
		    { F_HEADER, "svix-id" } },
		.dedup = { "header:webhook-id", "header:svix-id" },
	},
	{
		/*
		 * Discord documents no window, but it signs the timestamp and
		 * delivers at once (an interaction must be answered within
		 * 3 s): five minutes either way, as for Slack.
		 */
		.name = "discord",
		.detect = { "X-Signature-Ed25519" },
		.frame = FRAME_KEY,
		.verify = verify_ed25519, .sign_why = PRIVATE_KEY_WHY,
		.sig_header = { "X-Signature-Ed25519" },
		.ts_header = "X-Signature-Timestamp",
		.enc = ENC_HEX,
		.secret = SECRET_UNUSED, .key = KEY_ED25519_HEX,
		.key_required = 1, .window_s = 300, .two_sided = 1,
		.event = { { F_BODY, "type" } },
		.delivery = { { F_BODY, "id" } },
		.handshake = handshake_discord,
		.dedup = { "$.id" },
	},
	{
		/* The newer "events" format drops the X- of each name. */
		.name = "shopify",
		.detect = { "X-Shopify-Hmac-Sha256", "Shopify-Hmac-Sha256" },
		.frame = FRAME_BODY,
		.verify = verify_header_hmac, .sign = sign_header_hmac,
		.sig_header = { "X-Shopify-Hmac-Sha256",
		    "Shopify-Hmac-Sha256" },
		.enc = ENC_BASE64, .alg = HMAC_SHA256,
		.event = { { F_HEADER, "X-Shopify-Topic" },
		    { F_HEADER, "Shopify-Topic" } },
		.delivery = { { F_HEADER, "X-Shopify-Webhook-Id" },
		    { F_HEADER, "Shopify-Webhook-Id" },
		    { F_HEADER, "Shopify-Event-Id" } },
		.dedup = { "header:X-Shopify-Event-Id", "header:Shopify-Event-Id",
		    "header:X-Shopify-Webhook-Id" },
	},
	{
		.name = "kiket",
		.detect = { "X-Kiket-Signature" },
		.frame = FRAME_BODY,
		.verify = verify_header_hmac, .sign = sign_header_hmac,
		.sig_header = { "X-Kiket-Signature" },
		.enc = ENC_HEX, .alg = HMAC_SHA256,
		.event = { { F_HEADER, "X-Kiket-Event" } },
		.delivery = { { F_HEADER, "X-Kiket-Invocation" } },
		.dedup = { "$.id" },
	},
	{
		/*
		 * paddle-node-sdk: now <= ts + 5 s, one-sided; a timestamp
		 * from the future is the sender's clock running ahead.
		 */
		.name = "paddle",
		.detect = { "Paddle-Signature" },
		.frame = FRAME_PADDLE,
		.verify = verify_paddle, .sign = sign_paddle,
		.sig_header = { "Paddle-Signature" },
		.enc = ENC_HEX, .alg = HMAC_SHA256,
		.window_s = 5, .two_sided = 0,
		.event = { { F_BODY, "event_type" } },
		.delivery = { { F_BODY, "notification_id" },
		    { F_BODY, "event_id" } },
		.dedup = { "$.notification_id" },
	},
	{
		/* A batch of events in a JSON array: no single type or id. */
		.name = "sendgrid",
		.detect = { "X-Twilio-Email-Event-Webhook-Signature" },
		.frame = FRAME_KEY,
		.verify = verify_ecdsa, .sign_why = PRIVATE_KEY_WHY,
		.sig_header = { "X-Twilio-Email-Event-Webhook-Signature" },
		.ts_header = "X-Twilio-Email-Event-Webhook-Timestamp",
		.enc = ENC_BASE64,
		.secret = SECRET_UNUSED, .key = KEY_EC_SPKI_B64,
		.key_required = 1, .two_sided = 1,
	},
	{
		.name = "twilio",
		.detect = { "X-Twilio-Signature" },
		.frame = FRAME_TWILIO,
		.verify = verify_twilio, .sign = sign_twilio,
		.sig_header = { "X-Twilio-Signature" },
		.enc = ENC_BASE64, .alg = HMAC_SHA1, .needs_url = 1,
		.delivery = { { F_HEADER, "I-Twilio-Idempotency-Token" } },
		.dedup = { "header:I-Twilio-Idempotency-Token" },
	},
	{
		.name = "linear",
		.detect = { "Linear-Signature" },
		.frame = FRAME_BODY,
		.verify = verify_header_hmac, .sign = sign_header_hmac,
		.sig_header = { "Linear-Signature" },
		.enc = ENC_HEX, .alg = HMAC_SHA256,
		.event = { { F_HEADER, "Linear-Event" }, { F_BODY, "type" } },
		.delivery = { { F_HEADER, "Linear-Delivery" } },
		.dedup = { "header:Linear-Delivery" },
	},
	{
		.name = "sentry",
		.detect = { "Sentry-Hook-Signature" },
		.frame = FRAME_BODY,
		.verify = verify_header_hmac, .sign = sign_header_hmac,
		.sig_header = { "Sentry-Hook-Signature" },
		.enc = ENC_HEX, .alg = HMAC_SHA256,
		.event = { { F_HEADER, "Sentry-Hook-Resource" } },
		.delivery = { { F_HEADER, "Request-ID" } },
		.dedup = { "header:Request-ID" },
	},
	{
		/*
		 * The signature is in the body, so there is no header to
		 * detect it by. Mailgun retries for hours: no default window.
		 */
		.name = "mailgun",
		.frame = FRAME_MAILGUN,
		.verify = verify_mailgun,
		.sign_why = "mailgun's signature is part of the body",
		.enc = ENC_HEX, .alg = HMAC_SHA256, .two_sided = 1,
		.event = { { F_BODY, "event-data.event" },
		    { F_FORM, "event" } },
		.delivery = { { F_BODY, "signature.token" },
		    { F_FORM, "token" } },
		.dedup = { "$.signature.token" },
	},
	{
		/*
		 * Chat-ops: signed as a generic source is (the same keys),
		 * its JSON body {"pipeline": NAME, "inputs": {...}} names
		 * the pipeline the worker starts, if it opts in with
		 * "dispatch": true. Never detected: it must be named.
		 */
		.name = "dispatch",
		.frame = FRAME_BODY,
		.verify = verify_generic, .sign = sign_generic,
		.configurable = 1, .two_sided = 1,
		.event = { { F_BODY, "pipeline" } },
		.delivery = { { F_SOURCE_DELIVERY, NULL } },
	},
	{
		.name = "generic",
		.frame = FRAME_BODY,
		.verify = verify_generic, .sign = sign_generic,
		.configurable = 1, .two_sided = 1,
		.event = { { F_SOURCE_EVENT, NULL } },
		.delivery = { { F_SOURCE_DELIVERY, NULL } },
	},
};

#define NPROVIDERS	(sizeof(providers) / sizeof(providers[0]))

const struct provider *
provider_find(const char *name)
{
	size_t	i, j;

	for (i = 0; i < NPROVIDERS; i++) {
		if (strcmp(providers[i].name, name) == 0)
			return &providers[i];
		for (j = 0; j < 3 && providers[i].aliases[j] != NULL; j++)
			if (strcmp(providers[i].aliases[j], name) == 0)
				return &providers[i];
	}
	return NULL;
}

const char *
provider_name(const struct provider *p)
{
	return p != NULL ? p->name : "auto";
}

const char * const *
provider_names(void)
{
	static const char	*names[NPROVIDERS + 1];
	size_t			 i;

	if (names[0] == NULL)
		for (i = 0; i < NPROVIDERS; i++)
			names[i] = providers[i].name;
	return names;
}

static const char *
hdr(const struct hook_request *req, const char *name)
{
	if (req->header == NULL || name == NULL)
		return NULL;
	return req->header(req->ctx, name);
}

int
provider_configurable(const struct provider *p)
{
	return p != NULL && p->configurable;
}

const struct provider *
provider_detect(const struct hook_request *req)
{
	size_t	i, j;

	for (i = 0; i < NPROVIDERS; i++)
		for (j = 0; j < 3 && providers[i].detect[j] != NULL; j++)
			if (hdr(req, providers[i].detect[j]) != NULL)
				return &providers[i];
	return provider_find("generic");
}

int
provider_is_secret_header(const char *name)
{
	return ascii_casecmp(name, "X-Gitlab-Token") == 0 ||
	    ascii_casecmp(name, "Authorization") == 0 ||
	    ascii_casecmp(name, "Proxy-Authorization") == 0;
}

static const char *
generic_header(const struct source *s)
{
	return s->signature_header != NULL ? s->signature_header :
	    "X-Webhook-Signature";
}

int
provider_source_secret_header(const struct source *s, const char *name)
{
	if (provider_is_secret_header(name))
		return 1;
	/* A generic token source sends the secret itself in its header. */
	return s->auth == GENERIC_TOKEN &&
	    (s->provider == NULL || s->provider->configurable) &&
	    ascii_casecmp(name, generic_header(s)) == 0;
}

/*
 * Small helpers shared by the schemes.
 */

static int
reject(struct vctx *c, const char *reason)
{
	c->vr->reason = reason;
	return -1;
}

static const char *
first_header(struct vctx *c, const char * const *names, size_t n)
{
	const char	*v;
	size_t		 i;

	for (i = 0; i < n && names[i] != NULL; i++)
		if ((v = hdr(c->req, names[i])) != NULL)
			return v;
	return NULL;
}

static int
is_form(const struct hook_request *req)
{
	static const char	form[] = "application/x-www-form-urlencoded";
	const char		*ct = req->content_type;
	size_t			 n = sizeof(form) - 1;

	if (ct == NULL || ascii_ncasecmp(ct, form, n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t';
}

/*
 * The token at *sp up to the next separator; advances *sp. Empty
 * tokens (", ,") are skipped. 0 at the end.
 */
static int
next_token(const char **sp, const char *seps, const char **tok, size_t *len)
{
	const char	*s = *sp;

	while (*s != '\0' && strchr(seps, *s) != NULL)
		s++;
	if (*s == '\0') {
		*sp = s;
		return 0;
	}
	*tok = s;
	while (*s != '\0' && strchr(seps, *s) == NULL)
		s++;
	*len = (size_t)(s - *tok);
	*sp = s;
	return 1;
}

/* Does token tok (of len) start with prefix (case-insensitive)? Strips it. */
static int
strip_prefix(const char **tok, size_t *len, const char *prefix)
{
	size_t	n = strlen(prefix);

	if (*len < n || ascii_ncasecmp(*tok, prefix, n) != 0)
		return 0;
	*tok += n;
	*len -= n;
	return 1;
}

/* Unix seconds, digits only. */
static int
parse_ts(const char *s, size_t len, long long *out)
{
	long long	v = 0;
	size_t		i;

	if (len == 0 || len > MAX_TS_DIGITS)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * The replay window: the source's tolerance if it set one (0: none),
 * else the row's default; one- or two-sided as the row says.
 */
static int
check_ts(struct vctx *c, const char *ts, size_t len)
{
	long long	t, window_ms, age_ms;

	if (ts == NULL)
		return reject(c, "timestamp missing");
	if (parse_ts(ts, len, &t) == -1)
		return reject(c, "timestamp malformed");
	if (c->s->tolerance_ms >= 0)
		window_ms = c->s->tolerance_ms;
	else
		window_ms = c->p->window_s * 1000LL;
	if (window_ms == 0)
		return 0;
	age_ms = (c->req->now - t) * 1000;
	if (age_ms > window_ms || (c->p->two_sided && -age_ms > window_ms))
		return reject(c, "timestamp outside replay window");
	return 0;
}

/*
 * The decoded payload= field: the body of a form-mode delivery, or for
 * Gitea's GET deliveries (no body) the query string.
 */
static int
vctx_payload(struct vctx *c)
{
	const struct hook_request	*req = c->req;

	if (c->payload_done)
		return c->has_payload;
	c->payload_done = 1;
	if (is_form(req))
		c->has_payload = form_get((const char *)req->body,
		    req->body_len, "payload", &c->payload);
	else if (c->p->form_payload && req->body_len == 0 &&
	    req->query != NULL && req->method != NULL &&
	    strcmp(req->method, "GET") == 0)
		c->has_payload = form_get(req->query, strlen(req->query),
		    "payload", &c->payload);
	return c->has_payload;
}

static struct json_object *
json_parse_limited(const char *text, size_t len)
{
	struct json_tokener	*tok;
	struct json_object	*o;

	if (len == 0 || len > INT_MAX)
		return NULL;
	if ((tok = json_tokener_new_ex(BODY_JSON_DEPTH)) == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* The JSON body (for a form body: its payload= field), or NULL. */
static struct json_object *
vctx_json(struct vctx *c)
{
	if (c->json_done)
		return c->json;
	c->json_done = 1;
	if (is_form(c->req) || (c->p->form_payload && c->req->body_len == 0)) {
		if (vctx_payload(c))
			c->json = json_parse_limited(c->payload.data,
			    c->payload.len);
	} else
		c->json = json_parse_limited((const char *)c->req->body,
		    c->req->body_len);
	return c->json;
}

/* A member path "a.b.c" in an object; NULL if any step is missing. */
static struct json_object *
json_path(struct json_object *o, const char *path)
{
	char		 key[128];
	const char	*dot;
	size_t		 n;

	while (o != NULL && *path != '\0') {
		dot = strchr(path, '.');
		n = dot != NULL ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(key) || !json_object_is_type(o,
		    json_type_object))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (dot != NULL);
	}
	return o;
}

static char *
keep_value(const char *v, size_t len)
{
	if (v == NULL || len == 0 || len > MAX_FIELD_LEN)
		return NULL;
	return xstrndup(v, len);
}

/* A scalar JSON value as text (Discord's type 1 -> "1"). */
static char *
json_scalar(struct json_object *o)
{
	const char	*v;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return keep_value(json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		v = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		return keep_value(v, strlen(v));
	default:
		return NULL;
	}
}

static char *
field_value(struct vctx *c, const struct field *f, size_t nf)
{
	struct buf	 b = BUF_INIT;
	const char	*v;
	char		*r = NULL;
	size_t		 i;

	for (i = 0; i < nf && f[i].kind != F_END && r == NULL; i++) {
		switch (f[i].kind) {
		case F_HEADER:
			v = hdr(c->req, f[i].name);
			r = keep_value(v, v != NULL ? strlen(v) : 0);
			break;
		case F_SOURCE_EVENT:
		case F_SOURCE_DELIVERY:
			v = hdr(c->req, f[i].kind == F_SOURCE_EVENT ?
			    c->s->event_header : c->s->delivery_header);
			r = keep_value(v, v != NULL ? strlen(v) : 0);
			break;
		case F_BODY:
			r = json_scalar(json_path(vctx_json(c), f[i].name));
			break;
		case F_FORM:
			if (is_form(c->req) && form_get(
			    (const char *)c->req->body, c->req->body_len,
			    f[i].name, &b))
				r = keep_value(b.data, b.len);
			break;
		case F_END:
			break;
		}
	}
	buf_release(&b);
	return r;
}

/*
 * HMAC candidates: the signatures a header offers, decoded. Each is
 * compared with the HMAC under every secret (key rotation); one match
 * passes. The HMAC of the content is computed once per secret and
 * algorithm however many candidates there are.
 */
struct cand {
	enum hmac_alg	alg;
	unsigned char	sig[HMAC_MAX_LEN];
	size_t		len;
};

struct cands {
	struct cand	v[MAX_CANDIDATES];
	size_t		n;
};

static void
cands_add(struct cands *cs, enum hmac_alg alg, enum generic_encoding enc,
    const char *text, size_t len)
{
	struct cand	*c;
	long		 n;

	if (cs->n == MAX_CANDIDATES || alg == HMAC_NONE)
		return;
	c = &cs->v[cs->n];
	if (enc == ENC_HEX)
		n = hex_decode(text, len, c->sig, sizeof(c->sig));
	else
		n = base64_decode(text, len, c->sig, sizeof(c->sig));
	if (n < 0 || (size_t)n != hmac_alg_len(alg))
		return;
	c->alg = alg;
	c->len = (size_t)n;
	cs->n++;
}

/* The HMAC key of a secret: its bytes, or base64 after "whsec_". */
static unsigned char *
secret_key(const struct secret *sec, enum secret_kind kind, size_t *keylen)
{
	const char	*s = (const char *)sec->data;
	size_t		 len = sec->len;
	unsigned char	*key;
	long		 n;

	if (kind != SECRET_WHSEC) {
		key = xmalloc(len + 1);
		memcpy(key, sec->data, len);
		*keylen = len;
		return key;
	}
	if (len >= 6 && memcmp(s, "whsec_", 6) == 0) {
		s += 6;
		len -= 6;
	}
	key = xmalloc(len + 1);
	if ((n = base64_decode(s, len, key, len)) <= 0) {
		free(key);
		return NULL;
	}
	*keylen = (size_t)n;
	return key;
}

static void
key_free(unsigned char *key, size_t len)
{
	if (key == NULL)
		return;
	sodium_memzero(key, len);
	free(key);
}

static int
cands_verify(struct vctx *c, const struct cands *cs, enum secret_kind kind,
    const struct codec_part *parts, size_t nparts)
{
	unsigned char	 mac[3][HMAC_MAX_LEN], *key;
	size_t		 maclen[3], keylen, i, j;
	int		 match = 0, a;

	if (c->s->nsecrets == 0)
		return reject(c, "no secret configured");
	if (cs->n == 0)
		return reject(c, "signature malformed");
	for (i = 0; i < c->s->nsecrets && !match; i++) {
		if ((key = secret_key(&c->s->secrets[i], kind, &keylen)) ==
		    NULL)
			continue;
		memset(maclen, 0, sizeof(maclen));
		for (j = 0; j < cs->n && !match; j++) {
			a = cs->v[j].alg - HMAC_SHA1;
			if (maclen[a] == 0)
				maclen[a] = hmac_parts(cs->v[j].alg, key,
				    keylen, parts, nparts, mac[a]);
			if (maclen[a] != 0 && ct_equal(mac[a], maclen[a],
			    cs->v[j].sig, cs->v[j].len)) {
				match = 1;
				c->vr->scheme = hmac_alg_name(cs->v[j].alg);
			}
		}
		key_free(key, keylen);
	}
	sodium_memzero(mac, sizeof(mac));
	return match ? 0 : reject(c, "signature mismatch");
}

/*
 * What the header HMAC schemes sign: the body; in form mode the decoded
 * payload= field (of the body, or of the query for a GET without body).
 */
static int
signed_body(struct vctx *c, struct codec_part *part)
{
	int	form = c->p->form_payload && is_form(c->req);

	if (form || (c->p->form_payload && vctx_payload(c))) {
		if (!vctx_payload(c))
			return reject(c, "form body without a payload field");
		part->data = c->payload.data;
		part->len = c->payload.len;
		return 0;
	}
	part->data = c->req->body;
	part->len = c->req->body_len;
	return 0;
}

/* Constant-time token equality that does not leak the secret's length. */
static int
token_equal(const char *got, size_t gotlen, const unsigned char *want,
    size_t wantlen)
{
	unsigned char	a[32], b[32];
	int		eq;

	sha256_buf(got, gotlen, a);
	sha256_buf(want, wantlen, b);
	eq = ct_equal(a, sizeof(a), b, sizeof(b)) & (gotlen == wantlen);
	return eq;
}

static int
token_matches(struct vctx *c, const char *got, size_t len)
{
	size_t	i;
	int	match = 0;

	for (i = 0; i < c->s->nsecrets; i++)
		match |= token_equal(got, len, c->s->secrets[i].data,
		    c->s->secrets[i].len);
	return match;
}

/* Append a signature the way a row encodes it. */
static void
encode_sig(struct buf *out, enum generic_encoding enc,
    const unsigned char *mac, size_t len)
{
	if (enc == ENC_HEX)
		hex_encode(out, mac, len);
	else
		base64_encode(out, mac, len);
}

/* HMAC with the first secret (raw or whsec_); -1 with *why. */
static int
sign_mac(struct vctx *c, enum secret_kind kind, enum hmac_alg alg,
    const struct codec_part *parts, size_t nparts, unsigned char *mac,
    size_t *maclen, const char **why)
{
	unsigned char	*key;
	size_t		 keylen;

	if (c->s->nsecrets == 0) {
		*why = "the source has no secret";
		return -1;
	}
	if ((key = secret_key(&c->s->secrets[0], kind, &keylen)) == NULL) {
		*why = "the secret is not base64 after whsec_";
		return -1;
	}
	*maclen = hmac_parts(alg, key, keylen, parts, nparts, mac);
	key_free(key, keylen);
	if (*maclen == 0) {
		*why = "HMAC failed";
		return -1;
	}
	return 0;
}

/*
 * Header HMAC: GitHub, Bitbucket, Gitea, Forgejo, Gogs, Shopify, Kiket,
 * Linear, Sentry. Several signatures in the header (comma- or
 * space-separated, as a proxy joins repeated headers) may be offered.
 */
static int
verify_header_hmac(struct vctx *c)
{
	struct codec_part	 part;
	struct cands		 cs;
	const char		*v, *tok;
	size_t			 len;
	enum hmac_alg		 alg;

	v = first_header(c, c->p->sig_header, 3);
	if (v == NULL)
		return reject(c, "signature header missing");
	if (signed_body(c, &part) == -1)
		return -1;
	cs.n = 0;
	while (next_token(&v, ", \t", &tok, &len)) {
		alg = c->p->alg;
		if (c->p->alg_prefix) {
			/* The prefix, not the header name, picks it. */
			if (strip_prefix(&tok, &len, "sha1="))
				alg = HMAC_SHA1;
			else if (strip_prefix(&tok, &len, "sha256="))
				alg = HMAC_SHA256;
			else if (strip_prefix(&tok, &len, "sha512="))
				alg = HMAC_SHA512;
			else
				continue;
		}
		cands_add(&cs, alg, c->p->enc, tok, len);
	}
	return cands_verify(c, &cs, SECRET_RAW, &part, 1);
}

static int
sign_header_hmac(struct vctx *c, struct buf *out, const char **why)
{
	struct codec_part	part;
	unsigned char		mac[HMAC_MAX_LEN];
	size_t			maclen;

	if (signed_body(c, &part) == -1) {
		*why = c->vr->reason;
		return -1;
	}
	if (sign_mac(c, SECRET_RAW, c->p->alg, &part, 1, mac, &maclen,
	    why) == -1)
		return -1;
	buf_printf(out, "%s: ", c->p->sig_header[0]);
	if (c->p->alg_prefix)
		buf_printf(out, "%s=", hmac_alg_name(c->p->alg) + 5);
	encode_sig(out, c->p->enc, mac, maclen);
	buf_addch(out, '\n');
	return 0;
}

/* A shared token in a header (GitLab), compared in constant time. */
static int
verify_token(struct vctx *c)
{
	const char	*v;

	if ((v = first_header(c, c->p->sig_header, 3)) == NULL)
		return reject(c, "token header missing");
	if (c->s->nsecrets == 0)
		return reject(c, "no secret configured");
	if (!token_matches(c, v, strlen(v)))
		return reject(c, "token mismatch");
	c->vr->scheme = "token";
	return 0;
}

static int
sign_token(struct vctx *c, struct buf *out, const char **why)
{
	if (c->s->nsecrets == 0) {
		*why = "the source has no secret";
		return -1;
	}
	buf_printf(out, "%s: %s\n", c->p->sig_header[0],
	    (const char *)c->s->secrets[0].data);
	return 0;
}

/* Slack: v0=HEX over "v0:" TS ":" body. */
static int
verify_slack(struct vctx *c)
{
	struct codec_part	 parts[4];
	struct cands		 cs;
	const char		*v, *ts, *tok;
	size_t			 len;

	if ((v = hdr(c->req, c->p->sig_header[0])) == NULL)
		return reject(c, "signature header missing");
	ts = hdr(c->req, c->p->ts_header);
	if (check_ts(c, ts, ts != NULL ? strlen(ts) : 0) == -1)
		return -1;
	cs.n = 0;
	while (next_token(&v, ", \t", &tok, &len))
		if (strip_prefix(&tok, &len, "v0="))
			cands_add(&cs, c->p->alg, c->p->enc, tok, len);
	parts[0].data = "v0:";
	parts[0].len = 3;
	parts[1].data = ts;
	parts[1].len = strlen(ts);
	parts[2].data = ":";
	parts[2].len = 1;
	parts[3].data = c->req->body;
	parts[3].len = c->req->body_len;
	return cands_verify(c, &cs, SECRET_RAW, parts, 4);
}

static int
sign_slack(struct vctx *c, struct buf *out, const char **why)
{
	struct codec_part	parts[4];
	unsigned char		mac[HMAC_MAX_LEN];
	char			ts[32];
	size_t			maclen;

	snprintf(ts, sizeof(ts), "%lld", c->req->now);
	parts[0].data = "v0:";
	parts[0].len = 3;
	parts[1].data = ts;
	parts[1].len = strlen(ts);
	parts[2].data = ":";
	parts[2].len = 1;
	parts[3].data = c->req->body;
	parts[3].len = c->req->body_len;
	if (sign_mac(c, SECRET_RAW, c->p->alg, parts, 4, mac, &maclen,
	    why) == -1)
		return -1;
	buf_printf(out, "%s: %s\n%s: v0=", c->p->ts_header, ts,
	    c->p->sig_header[0]);
	hex_encode(out, mac, maclen);
	buf_addch(out, '\n');
	return 0;
}

/*
 * "k=v" lists with a timestamp key and signature keys: Stripe's
 * "t=TS,v1=HEX,v1=HEX,v0=..." and Paddle's "ts=TS;h1=HEX".
 */
static int
verify_kv_list(struct vctx *c, const char *sep, const char *tskey,
    const char *sigkey, const char *joiner)
{
	struct codec_part	 parts[3];
	struct cands		 cs;
	const char		*v, *tok, *ts = NULL;
	size_t			 len, tslen = 0;
	char			 tsbuf[MAX_TS_DIGITS + 1];

	if ((v = hdr(c->req, c->p->sig_header[0])) == NULL)
		return reject(c, "signature header missing");
	cs.n = 0;
	while (next_token(&v, sep, &tok, &len)) {
		while (len > 0 && isspace((unsigned char)*tok)) {
			tok++;
			len--;
		}
		if (strip_prefix(&tok, &len, tskey)) {
			ts = tok;
			tslen = len;
		} else if (strip_prefix(&tok, &len, sigkey))
			cands_add(&cs, c->p->alg, c->p->enc, tok, len);
	}
	if (ts == NULL)
		return reject(c, "timestamp missing");
	if (check_ts(c, ts, tslen) == -1)
		return -1;
	memcpy(tsbuf, ts, tslen);	/* check_ts allowed at most 15 digits */
	tsbuf[tslen] = '\0';
	parts[0].data = tsbuf;
	parts[0].len = tslen;
	parts[1].data = joiner;
	parts[1].len = 1;
	parts[2].data = c->req->body;
	parts[2].len = c->req->body_len;
	return cands_verify(c, &cs, SECRET_RAW, parts, 3);
}

/* Stripe: the whsec_ secret is used as raw bytes, not decoded. */
static int
verify_stripe(struct vctx *c)
{
	return verify_kv_list(c, ",", "t=", "v1=", ".");
}

static int
verify_paddle(struct vctx *c)
{
	return verify_kv_list(c, ";", "ts=", "h1=", ":");
}

static int
sign_kv_list(struct vctx *c, struct buf *out, const char **why,
    const char *fmt_ts, const char *fmt_sig, const char *joiner)
{
	struct codec_part	parts[3];
	unsigned char		mac[HMAC_MAX_LEN];
	char			ts[32];
	size_t			maclen;

	snprintf(ts, sizeof(ts), "%lld", c->req->now);
	parts[0].data = ts;
	parts[0].len = strlen(ts);
	parts[1].data = joiner;
	parts[1].len = 1;
	parts[2].data = c->req->body;
	parts[2].len = c->req->body_len;
	if (sign_mac(c, SECRET_RAW, c->p->alg, parts, 3, mac, &maclen,
	    why) == -1)
		return -1;
	buf_printf(out, "%s: %s%s%s", c->p->sig_header[0], fmt_ts, ts,
	    fmt_sig);
	hex_encode(out, mac, maclen);
	buf_addch(out, '\n');
	return 0;
}

static int
sign_stripe(struct vctx *c, struct buf *out, const char **why)
{
	return sign_kv_list(c, out, why, "t=", ",v1=", ".");
}

static int
sign_paddle(struct vctx *c, struct buf *out, const char **why)
{
	return sign_kv_list(c, out, why, "ts=", ";h1=", ":");
}

/* Ed25519 over the concatenation of parts. */
static int
ed25519_ok(const unsigned char sig[64], const unsigned char pk[32],
    const struct codec_part *parts, size_t nparts)
{
	struct buf	m = BUF_INIT;
	size_t		i;
	int		ok;

	for (i = 0; i < nparts; i++)
		buf_add(&m, parts[i].data, parts[i].len);
	ok = crypto_sign_verify_detached(sig, (const unsigned char *)
	    (m.data != NULL ? m.data : ""), m.len, pk) == 0;
	buf_release(&m);
	return ok;
}

/* The 32-byte Ed25519 public key of a source, as the row spells it. */
static int
ed25519_key(const struct provider *p, const char *text, unsigned char pk[32])
{
	size_t	len;

	if (text == NULL)
		return -1;
	len = strlen(text);
	if (p->key == KEY_ED25519_HEX)
		return hex_decode(text, len, pk, 32) == 32 ? 0 : -1;
	if (len >= 5 && memcmp(text, "whpk_", 5) == 0) {
		text += 5;
		len -= 5;
	}
	return base64_decode(text, len, pk, 32) == 32 ? 0 : -1;
}

/*
 * Standard Webhooks (and Svix, and GitLab signing tokens): the
 * webhook-* or svix-* headers; "v1,B64" HMACs keyed by the base64 after
 * whsec_, "v1a,B64" Ed25519 signatures under the whpk_ public key, all
 * over ID "." TS "." body. Unknown versions are skipped.
 */
static int
verify_standard(struct vctx *c)
{
	static const char * const sets[2][3] = {
		{ "webhook-signature", "webhook-id", "webhook-timestamp" },
		{ "svix-signature", "svix-id", "svix-timestamp" },
	};
	struct codec_part	 parts[5];
	struct cands		 cs;
	unsigned char		 pk[32], sigs[MAX_CANDIDATES][64];
	const char		*v = NULL, *id = NULL, *ts = NULL, *tok;
	size_t			 i, len, nsigs = 0;
	int			 have_pk;

	for (i = 0; i < 2 && v == NULL; i++) {
		if ((v = hdr(c->req, sets[i][0])) != NULL) {
			id = hdr(c->req, sets[i][1]);
			ts = hdr(c->req, sets[i][2]);
		}
	}
	if (v == NULL)
		return reject(c, "signature header missing");
	if (id == NULL)
		return reject(c, "webhook-id missing");
	if (check_ts(c, ts, ts != NULL ? strlen(ts) : 0) == -1)
		return -1;
	have_pk = ed25519_key(c->p, c->s->public_key, pk) == 0;
	cs.n = 0;
	while (next_token(&v, " \t", &tok, &len)) {
		if (strip_prefix(&tok, &len, "v1,"))
			cands_add(&cs, HMAC_SHA256, ENC_BASE64, tok, len);
		else if (strip_prefix(&tok, &len, "v1a,") && have_pk &&
		    nsigs < MAX_CANDIDATES &&
		    base64_decode(tok, len, sigs[nsigs], 64) == 64)
			nsigs++;
	}
	parts[0].data = id;
	parts[0].len = strlen(id);
	parts[1].data = ".";
	parts[1].len = 1;
	parts[2].data = ts;
	parts[2].len = strlen(ts);
	parts[3].data = ".";
	parts[3].len = 1;
	parts[4].data = c->req->body;
	parts[4].len = c->req->body_len;
	for (i = 0; i < nsigs; i++) {
		if (ed25519_ok(sigs[i], pk, parts, 5)) {
			c->vr->scheme = "ed25519";
			return 0;
		}
	}
	if (nsigs > 0 && cs.n == 0)
		return reject(c, "signature mismatch");
	if (c->s->nsecrets == 0 && c->s->public_key != NULL)
		return reject(c, have_pk ? "no v1a signature" :
		    "public_key malformed");
	return cands_verify(c, &cs, SECRET_WHSEC, parts, 5);
}

static int
sign_standard(struct vctx *c, struct buf *out, const char **why)
{
	struct codec_part	 parts[5];
	unsigned char		 mac[HMAC_MAX_LEN], rnd[12];
	struct buf		 genid = BUF_INIT;
	const char		*id, *pfx = "webhook";
	char			 ts[32];
	size_t			 maclen;

	if (c->s->nsecrets == 0) {
		*why = c->s->public_key != NULL ? PRIVATE_KEY_WHY :
		    "the source has no secret";
		return -1;
	}
	/* Keep the request's own id (and its header family) if it has one. */
	if ((id = hdr(c->req, "webhook-id")) == NULL &&
	    (id = hdr(c->req, "svix-id")) != NULL)
		pfx = "svix";
	if (id == NULL) {
		randombytes_buf(rnd, sizeof(rnd));
		buf_addstr(&genid, "msg_");
		hex_encode(&genid, rnd, sizeof(rnd));
		id = genid.data;
	}
	snprintf(ts, sizeof(ts), "%lld", c->req->now);
	parts[0].data = id;
	parts[0].len = strlen(id);
	parts[1].data = ".";
	parts[1].len = 1;
	parts[2].data = ts;
	parts[2].len = strlen(ts);
	parts[3].data = ".";
	parts[3].len = 1;
	parts[4].data = c->req->body;
	parts[4].len = c->req->body_len;
	if (sign_mac(c, SECRET_WHSEC, HMAC_SHA256, parts, 5, mac, &maclen,
	    why) == -1) {
		buf_release(&genid);
		return -1;
	}
	buf_printf(out, "%s-id: %s\n%s-timestamp: %s\n%s-signature: v1,",
	    pfx, id, pfx, ts, pfx);
	base64_encode(out, mac, maclen);
	buf_addch(out, '\n');
	buf_release(&genid);
	return 0;
}

/* Discord: Ed25519 (hex) over the timestamp header's bytes + body. */
static int
verify_ed25519(struct vctx *c)
{
	struct codec_part	 parts[2];
	unsigned char		 pk[32], sig[64];
	const char		*v, *ts;

	if (c->s->public_key == NULL)
		return reject(c, "no public_key configured");
	if (ed25519_key(c->p, c->s->public_key, pk) == -1)
		return reject(c, "public_key malformed");
	if ((v = hdr(c->req, c->p->sig_header[0])) == NULL)
		return reject(c, "signature header missing");
	ts = hdr(c->req, c->p->ts_header);
	if (check_ts(c, ts, ts != NULL ? strlen(ts) : 0) == -1)
		return -1;
	if (hex_decode(v, strlen(v), sig, sizeof(sig)) != 64)
		return reject(c, "signature malformed");
	parts[0].data = ts;
	parts[0].len = strlen(ts);
	parts[1].data = c->req->body;
	parts[1].len = c->req->body_len;
	if (!ed25519_ok(sig, pk, parts, 2))
		return reject(c, "signature mismatch");
	c->vr->scheme = "ed25519";
	return 0;
}

/* A base64 DER SubjectPublicKeyInfo (SendGrid's verification key). */
static EVP_PKEY *
spki_key(const char *text)
{
	unsigned char		*der;
	const unsigned char	*p;
	EVP_PKEY		*pk;
	size_t			 len;
	long			 n;

	if (text == NULL)
		return NULL;
	len = strlen(text);
	der = xmalloc(len + 1);
	if ((n = base64_decode(text, len, der, len)) <= 0) {
		free(der);
		return NULL;
	}
	p = der;
	pk = d2i_PUBKEY(NULL, &p, n);
	free(der);
	if (pk != NULL && EVP_PKEY_base_id(pk) != EVP_PKEY_EC) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

/* SendGrid: ECDSA P-256 / SHA-256, base64 DER, over timestamp + body. */
static int
verify_ecdsa(struct vctx *c)
{
	EVP_MD_CTX	*md;
	EVP_PKEY	*pk;
	unsigned char	*sig;
	const char	*v, *ts;
	size_t		 len;
	long		 n;
	int		 ok;

	if (c->s->public_key == NULL)
		return reject(c, "no public_key configured");
	if ((v = hdr(c->req, c->p->sig_header[0])) == NULL)
		return reject(c, "signature header missing");
	ts = hdr(c->req, c->p->ts_header);
	if (check_ts(c, ts, ts != NULL ? strlen(ts) : 0) == -1)
		return -1;
	if ((pk = spki_key(c->s->public_key)) == NULL)
		return reject(c, "public_key malformed");
	len = strlen(v);
	sig = xmalloc(len + 1);
	if ((n = base64_decode(v, len, sig, len)) <= 0) {
		free(sig);
		EVP_PKEY_free(pk);
		return reject(c, "signature malformed");
	}
	ok = 0;
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
	    EVP_DigestVerifyUpdate(md, ts, strlen(ts)) == 1 &&
	    EVP_DigestVerifyUpdate(md, c->req->body, c->req->body_len) == 1)
		ok = EVP_DigestVerifyFinal(md, sig, (size_t)n) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	free(sig);
	if (!ok)
		return reject(c, "signature mismatch");
	c->vr->scheme = "ecdsa-p256";
	return 0;
}

/*
 * Twilio: base64 HMAC-SHA1 over the URL it called (the source's
 * public_url, else the URL rebuilt from the request; plus "?" and the
 * query) and, for form bodies, every parameter as name + value sorted
 * by name. Other bodies are covered by bodySHA256=hex(sha256(body)) in
 * the (signed) query.
 */
struct form_pair {
	char	*name;
	char	*value;
};

static int
pair_cmp(const void *a, const void *b)
{
	const struct form_pair	*x = a, *y = b;
	int			 r;

	if ((r = strcmp(x->name, y->name)) != 0)
		return r;
	return strcmp(x->value, y->value);
}

/* The form parameters sorted, each once (as Twilio's SDKs do), appended. */
static void
twilio_params(struct vctx *c, struct buf *out)
{
	struct form_pair	*v = NULL;
	struct buf		 name = BUF_INIT, value = BUF_INIT;
	size_t			 n = 0, i, pos = 0;

	while (form_next((const char *)c->req->body, c->req->body_len, &pos,
	    &name, &value)) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n].name = xstrdup(buf_str(&name));
		v[n].value = xstrdup(buf_str(&value));
		n++;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), pair_cmp);
	for (i = 0; i < n; i++) {
		if (i == 0 || pair_cmp(&v[i - 1], &v[i]) != 0) {
			buf_addstr(out, v[i].name);
			buf_addstr(out, v[i].value);
		}
	}
	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
	buf_release(&name);
	buf_release(&value);
}

/*
 * The URL as configured, and the same with the default port added or
 * removed: senders and proxies disagree on ":443".
 */
static size_t
twilio_urls(const char *url, struct buf urls[2])
{
	const char	*host, *end, *colon, *rb;
	int		 https, port;

	buf_addstr(&urls[0], url);
	if (ascii_ncasecmp(url, "https://", 8) == 0) {
		https = 1;
		host = url + 8;
	} else if (ascii_ncasecmp(url, "http://", 7) == 0) {
		https = 0;
		host = url + 7;
	} else
		return 1;
	end = host + strcspn(host, "/?#");
	rb = memchr(host, ']', (size_t)(end - host));
	colon = memchr(rb != NULL ? rb : host, ':',
	    (size_t)(end - (rb != NULL ? rb : host)));
	if (colon == NULL) {
		buf_add(&urls[1], url, (size_t)(end - url));
		buf_printf(&urls[1], ":%d%s", https ? 443 : 80, end);
		return 2;
	}
	port = atoi(colon + 1);
	if (port != (https ? 443 : 80))
		return 1;
	buf_add(&urls[1], url, (size_t)(colon - url));
	buf_addstr(&urls[1], end);
	return 2;
}

static int
twilio_content(struct vctx *c, const char *url, struct buf *content)
{
	struct buf	want = BUF_INIT;
	unsigned char	got[32], hash[32];
	int		r = 0;

	buf_addstr(content, url);
	if (c->req->query != NULL && c->req->query[0] != '\0') {
		buf_addch(content, '?');
		buf_addstr(content, c->req->query);
	}
	if (is_form(c->req))
		twilio_params(c, content);
	else if (c->req->body_len > 0) {
		/* The body is signed only through its hash in the query. */
		if (c->req->query == NULL || !form_get(c->req->query,
		    strlen(c->req->query), "bodySHA256", &want))
			r = reject(c, "body not covered by the signature "
			    "(no bodySHA256)");
		else {
			sha256_buf(c->req->body, c->req->body_len, hash);
			if (hex_decode(want.data, want.len, got, 32) != 32 ||
			    !ct_equal(got, 32, hash, 32))
				r = reject(c, "bodySHA256 mismatch");
		}
	}
	buf_release(&want);
	return r;
}

static const char *
twilio_url(struct vctx *c)
{
	return c->s->public_url != NULL ? c->s->public_url : c->req->url;
}

static int
verify_twilio(struct vctx *c)
{
	struct buf		 urls[2] = { BUF_INIT, BUF_INIT };
	struct buf		 content = BUF_INIT;
	struct codec_part	 part;
	struct cands		 cs;
	const char		*v, *tok;
	size_t			 len, i, n;
	int			 r = -1;

	if ((v = hdr(c->req, c->p->sig_header[0])) == NULL)
		return reject(c, "signature header missing");
	if (twilio_url(c) == NULL)
		return reject(c, "public URL unknown (set public_url)");
	cs.n = 0;
	while (next_token(&v, ", \t", &tok, &len))
		cands_add(&cs, c->p->alg, c->p->enc, tok, len);
	n = twilio_urls(twilio_url(c), urls);
	for (i = 0; i < n && r == -1; i++) {
		buf_reset(&content);
		if (twilio_content(c, urls[i].data, &content) == -1)
			break;
		part.data = content.data;
		part.len = content.len;
		r = cands_verify(c, &cs, SECRET_RAW, &part, 1);
	}
	if (r == 0)
		c->vr->reason = NULL;
	buf_release(&content);
	buf_release(&urls[0]);
	buf_release(&urls[1]);
	return r;
}

static int
sign_twilio(struct vctx *c, struct buf *out, const char **why)
{
	struct buf		content = BUF_INIT;
	struct codec_part	part;
	unsigned char		mac[HMAC_MAX_LEN];
	size_t			maclen;
	int			r = -1;

	if (twilio_url(c) == NULL) {
		*why = "the source has no public_url";
		return -1;
	}
	if (twilio_content(c, twilio_url(c), &content) == -1)
		*why = c->vr->reason;
	else {
		part.data = content.data;
		part.len = content.len;
		if ((r = sign_mac(c, SECRET_RAW, c->p->alg, &part, 1, mac,
		    &maclen, why)) == 0) {
			buf_printf(out, "%s: ", c->p->sig_header[0]);
			base64_encode(out, mac, maclen);
			buf_addch(out, '\n');
		}
	}
	buf_release(&content);
	return r;
}

/*
 * Mailgun: the body carries signature.{timestamp,token,signature} (or,
 * form-encoded, fields of those names); HMAC-SHA256 hex over timestamp
 * followed by token. The body is parsed (depth-limited) before it is
 * trusted, since that is where the signature is.
 */
static int
verify_mailgun(struct vctx *c)
{
	struct buf		 f[3] = { BUF_INIT, BUF_INIT, BUF_INIT };
	static const char	*names[3] = {
		"timestamp", "token", "signature"
	};
	struct codec_part	 parts[2];
	struct json_object	*o;
	struct cands		 cs;
	size_t			 i;
	int			 r, have = 0;

	for (i = 0; i < 3; i++) {
		if (is_form(c->req))
			have += form_get((const char *)c->req->body,
			    c->req->body_len, names[i], &f[i]);
		else {
			o = json_path(json_path(vctx_json(c), "signature"),
			    names[i]);
			if (o != NULL && (json_object_is_type(o,
			    json_type_string) || json_object_is_type(o,
			    json_type_int))) {
				buf_addstr(&f[i], json_object_get_string(o));
				have++;
			}
		}
	}
	if (have != 3)
		r = reject(c, "signature fields missing in the body");
	else if ((r = check_ts(c, f[0].data, f[0].len)) == 0) {
		cs.n = 0;
		cands_add(&cs, c->p->alg, c->p->enc, f[2].data, f[2].len);
		parts[0].data = f[0].data;
		parts[0].len = f[0].len;
		parts[1].data = f[1].data;
		parts[1].len = f[1].len;
		r = cands_verify(c, &cs, SECRET_RAW, parts, 2);
	}
	for (i = 0; i < 3; i++)
		buf_release(&f[i]);
	return r;
}

/* Base64 that crossed a query string may have had '+' turned into ' '. */
static void
query_sig_fix(struct buf *b)
{
	size_t	i;

	for (i = 0; i < b->len; i++)
		if (b->data[i] == ' ')
			b->data[i] = '+';
}

/*
 * Generic: an HMAC of the body in a header (or ?signature=), with an
 * optional required prefix; or the secret itself as a token, a bearer
 * token, or Basic credentials.
 */
static int
verify_generic(struct vctx *c)
{
	const struct source	*s = c->s;
	struct codec_part	 part;
	struct cands		 cs;
	struct buf		 q = BUF_INIT, cred = BUF_INIT;
	const char		*v, *tok;
	size_t			 len;
	long			 n;
	int			 r;

	if (s->nsecrets == 0)
		return reject(c, "no secret configured");
	if (s->auth == GENERIC_BEARER || s->auth == GENERIC_BASIC) {
		const char *scheme = s->auth == GENERIC_BEARER ? "Bearer " :
		    "Basic ";
		if ((v = hdr(c->req, "Authorization")) == NULL)
			return reject(c, "authorization header missing");
		len = strlen(v);
		if (!strip_prefix(&v, &len, scheme))
			return reject(c, "authorization scheme mismatch");
		while (len > 0 && *v == ' ') {
			v++;
			len--;
		}
		if (s->auth == GENERIC_BASIC) {
			buf_grow(&cred, len);
			if ((n = base64_decode(v, len,
			    (unsigned char *)cred.data, len)) < 0) {
				buf_release(&cred);
				return reject(c, "credentials malformed");
			}
			cred.len = (size_t)n;
			cred.data[cred.len] = '\0';
			v = cred.data;
			len = cred.len;
		}
		r = token_matches(c, v, len);
		if (cred.data != NULL)
			sodium_memzero(cred.data, cred.cap);
		buf_release(&cred);
		if (!r)
			return reject(c, "credentials mismatch");
		c->vr->scheme = s->auth == GENERIC_BEARER ? "bearer" : "basic";
		return 0;
	}
	v = hdr(c->req, generic_header(s));
	if (s->auth == GENERIC_TOKEN) {
		if (v == NULL)
			return reject(c, "token header missing");
		if (!token_matches(c, v, strlen(v)))
			return reject(c, "token mismatch");
		c->vr->scheme = "token";
		return 0;
	}
	cs.n = 0;
	if (v == NULL) {
		if (c->req->query == NULL || !form_get(c->req->query,
		    strlen(c->req->query), "signature", &q)) {
			/* form_get() decodes every field into q on the way. */
			buf_release(&q);
			return reject(c, "signature header missing");
		}
		query_sig_fix(&q);
		tok = q.data;
		len = q.len;
		if (s->prefix == NULL || strip_prefix(&tok, &len, s->prefix))
			cands_add(&cs, s->algorithm, s->encoding, tok, len);
	} else {
		while (next_token(&v, ", \t", &tok, &len))
			if (s->prefix == NULL ||
			    strip_prefix(&tok, &len, s->prefix))
				cands_add(&cs, s->algorithm, s->encoding, tok,
				    len);
	}
	buf_release(&q);
	part.data = c->req->body;
	part.len = c->req->body_len;
	return cands_verify(c, &cs, SECRET_RAW, &part, 1);
}

static int
sign_generic(struct vctx *c, struct buf *out, const char **why)
{
	const struct source	*s = c->s;
	struct codec_part	 part;
	unsigned char		 mac[HMAC_MAX_LEN];
	size_t			 maclen;

	if (s->nsecrets == 0) {
		*why = "the source has no secret";
		return -1;
	}
	switch (s->auth) {
	case GENERIC_BEARER:
		buf_printf(out, "Authorization: Bearer %s\n",
		    (const char *)s->secrets[0].data);
		return 0;
	case GENERIC_BASIC:
		buf_addstr(out, "Authorization: Basic ");
		base64_encode(out, s->secrets[0].data, s->secrets[0].len);
		buf_addch(out, '\n');
		return 0;
	case GENERIC_TOKEN:
		buf_printf(out, "%s: %s\n", generic_header(s),
		    (const char *)s->secrets[0].data);
		return 0;
	case GENERIC_HMAC:
		break;
	}
	part.data = c->req->body;
	part.len = c->req->body_len;
	if (sign_mac(c, SECRET_RAW, s->algorithm, &part, 1, mac, &maclen,
	    why) == -1)
		return -1;
	buf_printf(out, "%s: %s", generic_header(s),
	    s->prefix != NULL ? s->prefix : "");
	encode_sig(out, s->encoding, mac, maclen);
	buf_addch(out, '\n');
	return 0;
}

/* Slack's url_verification: answer the challenge, JSON-escaped. */
static void
handshake_slack(struct vctx *c)
{
	struct json_object	*o, *type, *challenge, *ans;

	o = vctx_json(c);
	type = json_path(o, "type");
	challenge = json_path(o, "challenge");
	if (type == NULL || !json_object_is_type(type, json_type_string) ||
	    strcmp(json_object_get_string(type), "url_verification") != 0 ||
	    challenge == NULL ||
	    !json_object_is_type(challenge, json_type_string))
		return;
	ans = json_object_new_object();
	json_object_object_add(ans, "challenge", json_object_get(challenge));
	c->vr->handshake_status = 200;
	c->vr->handshake_body = xstrdup(json_object_to_json_string_ext(ans,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(ans);
}

/* Discord's PING (type 1) is answered with a PONG (type 1). */
static void
handshake_discord(struct vctx *c)
{
	struct json_object	*type = json_path(vctx_json(c), "type");

	if (type != NULL && json_object_is_type(type, json_type_int) &&
	    json_object_get_int64(type) == 1) {
		c->vr->handshake_status = 200;
		c->vr->handshake_body = xstrdup("{\"type\":1}");
	}
}

static void
vctx_init(struct vctx *c, const struct provider *p, const struct source *s,
    const struct hook_request *req, struct verify_result *vr)
{
	memset(c, 0, sizeof(*c));
	c->p = p;
	c->s = s;
	c->req = req;
	c->vr = vr;
	buf_init(&c->payload);
}

static void
vctx_release(struct vctx *c)
{
	json_object_put(c->json);
	buf_release(&c->payload);
}

/*
 * The providers "auto" detects, for messages: "forgejo, gitea, ...".
 * Built once from the table.
 */
static const char *
auto_names(void)
{
	static char	names[256];
	size_t		i, len = 0;

	if (names[0] != '\0')
		return names;
	for (i = 0; i < NPROVIDERS; i++)
		if (providers[i].frame == FRAME_BODY && len < sizeof(names))
			len += (size_t)snprintf(names + len,
			    sizeof(names) - len, "%s%s", len > 0 ? ", " : "",
			    providers[i].name);
	return names;
}

/* Why an auto source refused a provider it detected (static). */
static const char *
auto_refusal(void)
{
	static char	why[512];

	if (why[0] == '\0')
		snprintf(why, sizeof(why), "refused: a source with provider "
		    "auto takes only providers that sign the body itself "
		    "(%s, with an HMAC); name this one as the source's "
		    "provider", auto_names());
	return why;
}

/*
 * What a source's signatures cover: its row's framing, but a generic
 * source's token, bearer or Basic credentials are the secret itself, and
 * auto (p NULL) takes only rows that sign the body.
 */
static enum framing
framing_of(const struct provider *p, const struct source *s)
{
	if (p != NULL && p->configurable && s->auth != GENERIC_HMAC)
		return FRAME_TOKEN;
	return p != NULL ? p->frame : FRAME_BODY;
}

int
provider_verify(const struct provider *p, const struct source *s,
    const struct hook_request *req, struct verify_result *vr)
{
	struct vctx	c;
	verify_fn	fn;
	int		r = 0;

	memset(vr, 0, sizeof(*vr));
	if (p == NULL)
		p = provider_detect(req);
	if (sodium_init() < 0) {
		vr->reason = "libsodium failed to initialize";
		return -1;
	}
	vctx_init(&c, p, s, req, vr);
	if (s->nsecrets == 0 && s->public_key == NULL)
		vr->scheme = "none";
	else if (s->provider == NULL && framing_of(p, s) != FRAME_BODY) {
		/*
		 * The request chose the provider: let it choose only among
		 * those that sign what a body-HMAC sender signs, or a
		 * Slack or Stripe signature, replayed with its framing as
		 * the body, would pass as GitHub's (and the other way).
		 */
		r = reject(&c, auto_refusal());
	} else {
		fn = p->verify;
		if (p->upgrade_header != NULL &&
		    hdr(req, p->upgrade_header) != NULL)
			fn = p->upgrade;
		r = fn(&c);
	}
	if (r == 0) {
		/* Only now is the body trusted enough to be parsed. */
		vr->reason = NULL;
		vr->event = field_value(&c, p->event, 4);
		vr->delivery = field_value(&c, p->delivery, 4);
		if (p->handshake != NULL)
			p->handshake(&c);
	} else if (vr->reason == NULL)
		vr->reason = "rejected";
	vctx_release(&c);
	return r == 0 ? 0 : -1;
}

void
verify_result_release(struct verify_result *vr)
{
	free(vr->event);
	free(vr->delivery);
	free(vr->handshake_body);
	memset(vr, 0, sizeof(*vr));
}

int
provider_sign(const struct provider *p, const struct source *s,
    const struct hook_request *req, struct buf *out, const char **why)
{
	struct verify_result	vr;
	struct vctx		c;
	int			r;

	*why = NULL;
	if (p == NULL)
		p = provider_detect(req);
	if (p->sign == NULL) {
		*why = p->sign_why;
		return -1;
	}
	if (sodium_init() < 0) {
		*why = "libsodium failed to initialize";
		return -1;
	}
	memset(&vr, 0, sizeof(vr));
	vctx_init(&c, p, s, req, &vr);
	r = p->sign(&c, out, why);
	vctx_release(&c);
	if (r == -1 && *why == NULL)
		*why = "cannot sign";
	return r;
}

/* The name of the header a field list reads first, or NULL. */
static const char *
field_header(const struct source *s, const struct field *f, size_t nf)
{
	size_t	i;

	for (i = 0; i < nf && f[i].kind != F_END; i++)
		switch (f[i].kind) {
		case F_HEADER:
			return f[i].name;
		case F_SOURCE_EVENT:
			return s->event_header;
		case F_SOURCE_DELIVERY:
			return s->delivery_header;
		default:
			break;
		}
	return NULL;
}

int
provider_dedup_rule(const struct provider *p, const struct source *s,
    size_t i, struct buf *out)
{
	buf_reset(out);
	if (p->configurable) {
		if (i > 0 || s == NULL || s->delivery_header == NULL)
			return -1;
		buf_printf(out, "header:%s", s->delivery_header);
		return 0;
	}
	if (i >= sizeof(p->dedup) / sizeof(p->dedup[0]) || p->dedup[i] == NULL)
		return -1;
	buf_printf(out, "%s", p->dedup[i]);
	return 0;
}

int
provider_sender_headers(const struct provider *p, const struct source *s,
    const char *event, const char *delivery, struct buf *out)
{
	const char	*ev, *dl;

	ev = field_header(s, p->event, sizeof(p->event) / sizeof(p->event[0]));
	dl = field_header(s, p->delivery,
	    sizeof(p->delivery) / sizeof(p->delivery[0]));
	if (ev != NULL && event != NULL)
		buf_printf(out, "%s: %s\n", ev, event);
	if (dl != NULL && delivery != NULL)
		buf_printf(out, "%s: %s\n", dl, delivery);
	return ev != NULL;
}

/*
 * Is a secret good for a row? 0, and *keylen is how many of its bytes
 * are secret; or -1 and why says what is wrong. A prefix the row's
 * senders put before every key (Stripe's, Standard Webhooks' and GitLab
 * signing tokens' "whsec_") is not secret: a secret that is only the
 * prefix would be a key everyone knows (for Standard Webhooks, an empty
 * one).
 */
static int
secret_problem(const struct provider *p, const struct secret *sec,
    size_t *keylen, char *why, size_t whysz)
{
	unsigned char	*key;
	size_t		 n, plen;

	n = sec->len;
	plen = p->secret_prefix != NULL ? strlen(p->secret_prefix) : 0;
	if (plen > 0 && n >= plen && memcmp(sec->data, p->secret_prefix,
	    plen) == 0)
		n -= plen;
	if (n == 0) {
		snprintf(why, whysz, "is nothing but %s: a key everyone "
		    "knows", plen > 0 ? p->secret_prefix : "its prefix");
		return -1;
	}
	*keylen = n;
	if (p->secret != SECRET_WHSEC)
		return 0;
	if ((key = secret_key(sec, SECRET_WHSEC, keylen)) == NULL) {
		snprintf(why, whysz, "is not base64 after whsec_ (as %s "
		    "signing secrets are)", p->name);
		return -1;
	}
	key_free(key, *keylen);
	return 0;
}

#define SECRET_MIN_LEN	16	/* bytes: a random 128-bit key */

/* "sources.NAME.KEY" of a source's secret i, and how messages name it. */
static void
secret_where(const struct source *s, size_t i, char *path, size_t pathsz,
    char *label, size_t labelsz)
{
	const struct secret	*sec = &s->secrets[i];

	snprintf(path, pathsz, "sources.%s.%s", s->name,
	    sec->key != NULL ? sec->key : "secret");
	if (s->nsecrets > 1)
		snprintf(label, labelsz, "secret %zu", i + 1);
	else
		snprintf(label, labelsz, "the secret");
}

/* The source's public_key: one that p requires, and one that parses. */
static void
check_public_key(const struct provider *p, const struct source *s,
    const char *file, struct diag *d)
{
	unsigned char	 pk[32];
	EVP_PKEY	*ec;
	char		 path[256];

	snprintf(path, sizeof(path), "sources.%s.public_key", s->name);
	if (p->key_required && s->public_key == NULL)
		diag_add(d, DIAG_ERROR, file, s->line, path,
		    "%s requests are verified with the application's public "
		    "key: set public_key", p->name);
	if (s->public_key == NULL)
		return;
	switch (p->key) {
	case KEY_ED25519_HEX:
		if (ed25519_key(p, s->public_key, pk) == -1)
			diag_add(d, DIAG_ERROR, file, s->line, path,
			    "not an Ed25519 public key (64 hex digits)");
		break;
	case KEY_ED25519_WHPK:
		if (ed25519_key(p, s->public_key, pk) == -1)
			diag_add(d, DIAG_ERROR, file, s->line, path,
			    "not an Ed25519 public key (whpk_ and 32 bytes in "
			    "base64)");
		break;
	case KEY_EC_SPKI_B64:
		if ((ec = spki_key(s->public_key)) == NULL)
			diag_add(d, DIAG_ERROR, file, s->line, path,
			    "not an EC public key (base64 DER "
			    "SubjectPublicKeyInfo)");
		EVP_PKEY_free(ec);
		break;
	case KEY_UNUSED:
		break;
	}
}

/* The source's secrets: used by p, and each a key no one can guess. */
static void
check_secrets(const struct provider *p, const struct source *s,
    const char *file, struct diag *d)
{
	char		 path[256], label[32], why[128];
	size_t		 i, keylen;

	snprintf(path, sizeof(path), "sources.%s.secret", s->name);
	if (p->secret == SECRET_UNUSED && s->nsecrets > 0)
		diag_add(d, DIAG_WARNING, file, s->line, path,
		    "%s verifies with public_key; the secret is not used",
		    p->name);
	for (i = 0; p->secret != SECRET_UNUSED && i < s->nsecrets; i++) {
		secret_where(s, i, path, sizeof(path), label, sizeof(label));
		if (secret_problem(p, &s->secrets[i], &keylen, why,
		    sizeof(why)) == -1)
			diag_add(d, DIAG_ERROR, file, s->secrets[i].line, path,
			    "%s %s", label, why);
		else if (keylen < SECRET_MIN_LEN)
			diag_add(d, DIAG_WARNING, file, s->secrets[i].line,
			    path, "%s has %zu byte%s, a key anyone could "
			    "guess; use %d random bytes or more (openssl rand "
			    "-hex 32)", label, keylen, keylen == 1 ? "" : "s",
			    SECRET_MIN_LEN);
		else if (p->secret == SECRET_WHSEC &&
		    (keylen < 24 || keylen > 64))
			diag_add(d, DIAG_WARNING, file, s->secrets[i].line,
			    path, "%s decodes to %zu bytes; Standard "
			    "Webhooks keys are 24 to 64", label, keylen);
	}
}

/* The generic provider's settings that its algorithm does not read. */
static void
check_generic(const struct source *s, const char *file, struct diag *d)
{
	char		 path[256];
	size_t		 i;

	snprintf(path, sizeof(path), "sources.%s.prefix", s->name);
	if (s->auth != GENERIC_HMAC && s->prefix != NULL)
		diag_add(d, DIAG_WARNING, file, s->line, path,
		    "a prefix is only used with an HMAC algorithm");
	snprintf(path, sizeof(path), "sources.%s.signature_header", s->name);
	if ((s->auth == GENERIC_BEARER || s->auth == GENERIC_BASIC) &&
	    s->signature_header != NULL)
		diag_add(d, DIAG_WARNING, file, s->line, path,
		    "bearer and basic use the Authorization header");
	snprintf(path, sizeof(path), "sources.%s.secret", s->name);
	for (i = 0; s->auth == GENERIC_BASIC && i < s->nsecrets; i++)
		if (memchr(s->secrets[i].data, ':', s->secrets[i].len) == NULL)
			diag_add(d, DIAG_WARNING, file, s->line, path,
			    "Basic credentials are \"user:password\"; secret "
			    "%zu has no ':'", i + 1);
}

/*
 * Configuration-time checks: what can be known wrong before a request
 * arrives (keys that do not parse, secrets that are no secret, settings
 * the scheme never reads). p is NULL for "auto".
 */
void
provider_check_source(const struct provider *p, const struct source *s,
    const char *file, struct diag *d)
{
	char		 path[256];

	snprintf(path, sizeof(path), "sources.%s.public_key", s->name);
	if (p == NULL) {
		/*
		 * auto verifies as the row it detects, if that row signs
		 * the body (see enum framing); as generic, with the
		 * source's settings, when it detects none.
		 */
		if (s->public_key != NULL)
			diag_add(d, DIAG_ERROR, file, s->line, path,
			    "auto takes only providers that sign the body "
			    "with the secret (%s): name the provider that "
			    "signs with this key", auto_names());
		snprintf(path, sizeof(path), "sources.%s.algorithm", s->name);
		if (s->auth != GENERIC_HMAC)
			diag_add(d, DIAG_ERROR, file, s->line, path,
			    "auto takes only HMACs of the body; for a token, "
			    "bearer or basic credentials set the provider "
			    "to generic");
		p = provider_find("generic");
	} else if (p->key == KEY_UNUSED && s->public_key != NULL)
		diag_add(d, DIAG_WARNING, file, s->line, path,
		    "%s does not use a public key", p->name);
	check_public_key(p, s, file, d);
	check_secrets(p, s, file, d);

	snprintf(path, sizeof(path), "sources.%s.public_url", s->name);
	if (p->needs_url && s->public_url == NULL)
		diag_add(d, DIAG_WARNING, file, s->line, path,
		    "%s signs the URL it calls; without public_url it is "
		    "rebuilt from the request, which a proxy can change",
		    p->name);
	else if (!p->needs_url && s->public_url != NULL)
		diag_add(d, DIAG_WARNING, file, s->line, path,
		    "%s does not use public_url", p->name);

	if (p->configurable)
		check_generic(s, file, d);
}

/*
 * Checks between sources: one secret, one framing. A signature one
 * source's sender made is, under the same secret, a valid signature of
 * other bytes for a source framed otherwise (see enum framing); and a
 * secret a token source receives in clear signs for any other.
 */
/* Is a source's secret i good (else it was reported already)? */
static int
secret_ok(const struct source *s, size_t i)
{
	const struct provider	*p;
	char			 why[128];
	size_t			 keylen;

	p = s->provider != NULL ? s->provider : provider_find("generic");
	return secret_problem(p, &s->secrets[i], &keylen, why,
	    sizeof(why)) == 0;
}

/* The first good secret of b that a has too, or -1. */
static long
shared_secret(const struct source *a, const struct source *b)
{
	const struct secret	*x, *y;
	size_t			 i, j;

	for (j = 0; j < b->nsecrets; j++) {
		y = &b->secrets[j];
		for (i = 0; i < a->nsecrets; i++) {
			x = &a->secrets[i];
			if (x->len == y->len && ct_equal(x->data, x->len,
			    y->data, y->len) && secret_ok(a, i) &&
			    secret_ok(b, j))
				return (long)j;
		}
	}
	return -1;
}

void
provider_check_sources(const struct source *v, size_t n, const char *file,
    struct diag *d)
{
	const struct source	*a, *b;
	enum framing		 fa, fb;
	char			 path[256], label[32];
	size_t			 i, j;
	long			 k;

	for (j = 1; j < n; j++) {
		b = &v[j];
		fb = framing_of(b->provider, b);
		for (i = 0; i < j; i++) {
			a = &v[i];
			fa = framing_of(a->provider, a);
			if (fa == fb || (k = shared_secret(a, b)) == -1)
				continue;
			secret_where(b, (size_t)k, path, sizeof(path), label,
			    sizeof(label));
			diag_add(d, DIAG_ERROR, file, b->secrets[k].line, path,
			    "%s is also a secret of source %s, whose "
			    "provider (%s) %s, while this one's (%s) %s: a "
			    "signature made for one would pass at the other; "
			    "give each its own secret", label, a->name,
			    provider_name(a->provider), framing_text[fa],
			    provider_name(b->provider), framing_text[fb]);
		}
	}
}

const struct provider *
provider_signer(const struct source *s)
{
	/* A sender an auto source takes, whose headers it detects. */
	return s->provider != NULL ? s->provider : provider_find("github");
}
