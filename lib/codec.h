/*
 * Codecs and primitives the signature schemes are built from: hex and
 * base64 (libsodium), URL/form decoding, HMAC and SHA-256 (OpenSSL),
 * and constant-time comparison.
 */
#ifndef HOOKDIR_CODEC_H
#define HOOKDIR_CODEC_H

#include <stddef.h>

#include "buf.h"

enum hmac_alg {
	HMAC_NONE = 0,
	HMAC_SHA1,
	HMAC_SHA256,
	HMAC_SHA512
};

#define HMAC_MAX_LEN	64	/* SHA-512 */

/* "sha1", "sha256", "sha512" (also "hmac-sha256" ...) -> alg; HMAC_NONE if unknown. */
enum hmac_alg	 hmac_alg_from_name(const char *);
const char	*hmac_alg_name(enum hmac_alg);	/* "hmac-sha256" */
size_t		 hmac_alg_len(enum hmac_alg);

/*
 * HMAC over the concatenation of n parts; out must hold HMAC_MAX_LEN
 * bytes. Returns the digest length, 0 on failure.
 */
struct codec_part {
	const void	*data;
	size_t		 len;
};
size_t	hmac_parts(enum hmac_alg, const void *key, size_t keylen,
	    const struct codec_part *parts, size_t nparts, unsigned char *out);
size_t	hmac_buf(enum hmac_alg, const void *key, size_t keylen,
	    const void *data, size_t len, unsigned char *out);
void	sha256_buf(const void *data, size_t len, unsigned char out[32]);

/* Constant-time equality of two byte strings; lengths may differ (then 0). */
int	ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/*
 * Decoders return the number of bytes written to out (at most outmax),
 * or -1 for malformed input or input that does not fit. Hex accepts
 * either case. Base64 accepts the standard and the URL-safe alphabet,
 * with or without padding.
 */
long	hex_decode(const char *in, size_t inlen, unsigned char *out, size_t outmax);
long	base64_decode(const char *in, size_t inlen, unsigned char *out, size_t outmax);
/* Encoders append to a buffer: lower-case hex, standard padded base64. */
void	hex_encode(struct buf *, const unsigned char *, size_t);
void	base64_encode(struct buf *, const unsigned char *, size_t);

/* Percent-decoding; plus_is_space for application/x-www-form-urlencoded. */
void	url_decode(struct buf *out, const char *in, size_t inlen, int plus_is_space);

/*
 * Iterate the fields of an application/x-www-form-urlencoded string:
 * set *pos to 0 first; each call decodes the next pair into name and
 * value (both reset first) and returns 1, or 0 at the end.
 */
int	form_next(const char *s, size_t len, size_t *pos, struct buf *name,
	    struct buf *value);
/* The decoded value of field name, or 0 if absent. */
int	form_get(const char *s, size_t len, const char *name, struct buf *value);

#endif
