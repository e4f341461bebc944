/*
 * Webhook senders and how they sign: one row of a table per provider
 * (lib/provider.c), with its detection header, signature scheme, replay
 * window, event type and delivery id. Everything provider-specific
 * lives in that table; callers never test a provider's name.
 */
#ifndef HOOKDIR_PROVIDER_H
#define HOOKDIR_PROVIDER_H

#include <stddef.h>

#include "buf.h"
#include "jconf.h"

struct provider;
struct source;

/* What a provider sees of a request. */
struct hook_request {
	const char		*method;	/* "POST" */
	const char		*query;		/* QUERY_STRING without '?'; never NULL */
	const char		*content_type;	/* never NULL */
	const char		*url;		/* external URL without query (Twilio); NULL if unknown */
	const unsigned char	*body;
	size_t			 body_len;
	long long		 now;		/* unix time, seconds */
	/* a request header by its HTTP name, case-insensitive; NULL if absent */
	const char		*(*header)(const void *ctx, const char *name);
	const void		*ctx;
};

struct verify_result {
	const char	*reason;	/* on rejection: why, for the log (static) */
	const char	*scheme;	/* on success: "hmac-sha256", "ed25519", "token", "none" ... (static) */
	char		*event;		/* event type; malloc'd, NULL if none */
	char		*delivery;	/* delivery id; malloc'd, NULL if none */
	int		 handshake_status;	/* non-zero: answer this instead of 202 */
	char		*handshake_body;	/* malloc'd JSON text */
};

const struct provider *provider_find(const char *name);	/* NULL if unknown */
const char	*provider_name(const struct provider *);
/* Does it take the generic keys (algorithm, signature_header, ...)? */
int		 provider_configurable(const struct provider *);
/* The first provider whose detection header is present; "generic" at worst. */
const struct provider *provider_detect(const struct hook_request *);
/* Names of all providers, NULL-terminated, in detection order. */
const char * const *provider_names(void);

/*
 * Verify a request for a source. A source without secrets or key accepts
 * any request (scheme "none"). For an auto source (its provider NULL),
 * p is what provider_detect() found, and a p that does not sign the body
 * itself is rejected. On success fills event, delivery and any
 * handshake, and returns 0; on failure sets reason and returns -1.
 */
int	provider_verify(const struct provider *, const struct source *,
	    const struct hook_request *, struct verify_result *);
void	verify_result_release(struct verify_result *);

/*
 * Check a source's settings for this provider, NULL for "auto" (keys
 * parse, secrets are more than a prefix, etc.).
 */
void	provider_check_source(const struct provider *, const struct source *,
	    const char *file, struct diag *);
/* Checks between the sources: no secret serves two signature framings. */
void	provider_check_sources(const struct source *, size_t,
	    const char *file, struct diag *);

/* The provider `hookdir sign` signs as for a source (for auto: GitHub). */
const struct provider *provider_signer(const struct source *);

/* Headers that carry the secret itself (X-Gitlab-Token, Authorization): never spooled. */
int	provider_is_secret_header(const char *name);
/* The same, plus the header a source's settings put its secret in (generic token). */
int	provider_source_secret_header(const struct source *, const char *name);

/*
 * The headers a sender would add to sign body for this source with its
 * first secret, at time now ("Name: value\n" lines appended to out).
 * Returns 0, or -1 with *why when the scheme needs the sender's private
 * key (Ed25519, ECDSA) or the source has no secret.
 */
int	provider_sign(const struct provider *, const struct source *,
	    const struct hook_request *, struct buf *out, const char **why);

/*
 * The headers such a sender sends besides its signature: the event type
 * when the provider carries it in a header, and the delivery id when it
 * does (either NULL: left out), appended as by provider_sign. Returns 1
 * when the event type travels in a header, 0 when it is in the body.
 */
/*
 * The i-th rule (from 0) of the provider's default dedup key, into out:
 * "header:NAME" or a JSONPath ("$.id"), what the provider documents as
 * the same across its retries; the first rule that finds a value
 * counts. -1 past the last (a provider with none: 0 rules). For the
 * generic scheme, the source's delivery_header.
 */
int	provider_dedup_rule(const struct provider *, const struct source *,
	    size_t i, struct buf *out);
int	provider_sender_headers(const struct provider *, const struct source *,
	    const char *event, const char *delivery, struct buf *out);

#endif
