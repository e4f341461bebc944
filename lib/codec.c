/*
 * Codecs and primitives for the signature schemes (see codec.h).
 *
 * The decoders are our own rather than libsodium's: senders disagree on
 * the base64 alphabet and on padding (Shopify pads, some generic senders
 * use the URL-safe alphabet without padding), and libsodium makes the
 * caller choose one variant up front.
 */
#include "autoconf.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#include <openssl/params.h>
#else
#include <openssl/hmac.h>
#endif

#include <sodium.h>

#include "buf.h"
#include "codec.h"
#include "util.h"

enum hmac_alg
hmac_alg_from_name(const char *name)
{
	if (name == NULL)
		return HMAC_NONE;
	if (ascii_ncasecmp(name, "hmac-", 5) == 0)
		name += 5;
	if (ascii_casecmp(name, "sha1") == 0)
		return HMAC_SHA1;
	if (ascii_casecmp(name, "sha256") == 0)
		return HMAC_SHA256;
	if (ascii_casecmp(name, "sha512") == 0)
		return HMAC_SHA512;
	return HMAC_NONE;
}

const char *
hmac_alg_name(enum hmac_alg alg)
{
	switch (alg) {
	case HMAC_SHA1:
		return "hmac-sha1";
	case HMAC_SHA256:
		return "hmac-sha256";
	case HMAC_SHA512:
		return "hmac-sha512";
	case HMAC_NONE:
		break;
	}
	return "none";
}

size_t
hmac_alg_len(enum hmac_alg alg)
{
	switch (alg) {
	case HMAC_SHA1:
		return 20;
	case HMAC_SHA256:
		return 32;
	case HMAC_SHA512:
		return 64;
	case HMAC_NONE:
		break;
	}
	return 0;
}

static const char *
hmac_digest_name(enum hmac_alg alg)
{
	switch (alg) {
	case HMAC_SHA1:
		return "SHA1";
	case HMAC_SHA256:
		return "SHA256";
	case HMAC_SHA512:
		return "SHA512";
	case HMAC_NONE:
		break;
	}
	return NULL;
}

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
size_t
hmac_parts(enum hmac_alg alg, const void *key, size_t keylen,
    const struct codec_part *parts, size_t nparts, unsigned char *out)
{
	/*
	 * Fetching the algorithm is the expensive part of EVP_MAC; a
	 * responder computes many HMACs, so fetch it once.
	 */
	static EVP_MAC	*mac;
	EVP_MAC_CTX	*ctx;
	OSSL_PARAM	 params[2];
	const char	*digest;
	size_t		 i, outlen = 0;
	static const unsigned char empty[1];

	if ((digest = hmac_digest_name(alg)) == NULL)
		return 0;
	if (mac == NULL && (mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return 0;
	if ((ctx = EVP_MAC_CTX_new(mac)) == NULL)
		return 0;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* A zero-length key is legal HMAC; OpenSSL wants a pointer anyway. */
	if (EVP_MAC_init(ctx, keylen > 0 ? key : empty, keylen, params) != 1)
		goto fail;
	for (i = 0; i < nparts; i++)
		if (parts[i].len > 0 &&
		    EVP_MAC_update(ctx, parts[i].data, parts[i].len) != 1)
			goto fail;
	if (EVP_MAC_final(ctx, out, &outlen, HMAC_MAX_LEN) != 1)
		outlen = 0;
	EVP_MAC_CTX_free(ctx);
	return outlen;
fail:
	EVP_MAC_CTX_free(ctx);
	return 0;
}
#else
size_t
hmac_parts(enum hmac_alg alg, const void *key, size_t keylen,
    const struct codec_part *parts, size_t nparts, unsigned char *out)
{
	HMAC_CTX	*ctx;
	const EVP_MD	*md;
	unsigned int	 outlen = 0;
	size_t		 i;
	static const unsigned char empty[1];

	if (hmac_digest_name(alg) == NULL ||
	    (md = EVP_get_digestbyname(hmac_digest_name(alg))) == NULL)
		return 0;
	if ((ctx = HMAC_CTX_new()) == NULL)
		return 0;
	if (HMAC_Init_ex(ctx, keylen > 0 ? key : empty, (int)keylen, md,
	    NULL) != 1)
		goto fail;
	for (i = 0; i < nparts; i++)
		if (parts[i].len > 0 &&
		    HMAC_Update(ctx, parts[i].data, parts[i].len) != 1)
			goto fail;
	if (HMAC_Final(ctx, out, &outlen) != 1)
		outlen = 0;
	HMAC_CTX_free(ctx);
	return outlen;
fail:
	HMAC_CTX_free(ctx);
	return 0;
}
#endif

size_t
hmac_buf(enum hmac_alg alg, const void *key, size_t keylen, const void *data,
    size_t len, unsigned char *out)
{
	struct codec_part	part;

	part.data = data;
	part.len = len;
	return hmac_parts(alg, key, keylen, &part, 1, out);
}

void
sha256_buf(const void *data, size_t len, unsigned char out[32])
{
	unsigned int	outlen = 32;

	if (EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32);
}

int
ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	/*
	 * The lengths are public (a digest's length is fixed by its
	 * algorithm); only the contents must not leak through timing.
	 */
	if (alen != blen)
		return 0;
	if (alen == 0)
		return 1;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
hex_decode(const char *in, size_t inlen, unsigned char *out, size_t outmax)
{
	size_t	i;
	int	hi, lo;

	if (inlen % 2 != 0 || inlen / 2 > outmax || inlen / 2 > LONG_MAX)
		return -1;
	for (i = 0; i < inlen; i += 2) {
		hi = hex_value((unsigned char)in[i]);
		lo = hex_value((unsigned char)in[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(inlen / 2);
}

static int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

long
base64_decode(const char *in, size_t inlen, unsigned char *out,
    size_t outmax)
{
	size_t		 i, n = 0, pad = 0, data;
	uint32_t	 acc = 0;
	int		 v, bits = 0;

	/* Padding, if any, is one or two '=' that complete a quantum. */
	while (inlen > 0 && in[inlen - 1] == '=' && pad < 2) {
		inlen--;
		pad++;
	}
	data = inlen;
	if (pad > 0 && (data + pad) % 4 != 0)
		return -1;
	if (data % 4 == 1)
		return -1;	/* six bits cannot end a byte */
	if (data / 4 * 3 + (data % 4 ? data % 4 - 1 : 0) > outmax)
		return -1;
	for (i = 0; i < data; i++) {
		if ((v = b64_value((unsigned char)in[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return (long)n;
}

void
hex_encode(struct buf *b, const unsigned char *p, size_t len)
{
	/* libsodium's encoder, as the spool's names use: one for hookdir. */
	buf_grow(b, len * 2);
	sodium_bin2hex(b->data + b->len, len * 2 + 1, p, len);
	b->len += len * 2;
}

void
base64_encode(struct buf *b, const unsigned char *p, size_t len)
{
	static const char	alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			i;
	uint32_t		v;

	buf_grow(b, (len + 2) / 3 * 4);
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		b->data[b->len++] = alphabet[v >> 18];
		b->data[b->len++] = alphabet[(v >> 12) & 63];
		b->data[b->len++] = alphabet[(v >> 6) & 63];
		b->data[b->len++] = alphabet[v & 63];
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		b->data[b->len++] = alphabet[v >> 18];
		b->data[b->len++] = alphabet[(v >> 12) & 63];
		b->data[b->len++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		b->data[b->len++] = '=';
	}
	b->data[b->len] = '\0';
}

void
url_decode(struct buf *out, const char *in, size_t inlen, int plus_is_space)
{
	size_t	i;
	int	hi, lo;

	buf_grow(out, inlen);
	for (i = 0; i < inlen; i++) {
		if (in[i] == '%' && i + 2 < inlen &&
		    (hi = hex_value((unsigned char)in[i + 1])) >= 0 &&
		    (lo = hex_value((unsigned char)in[i + 2])) >= 0) {
			buf_addch(out, hi << 4 | lo);
			i += 2;
		} else if (in[i] == '+' && plus_is_space)
			buf_addch(out, ' ');
		else
			/* A stray '%' stays as it is, as browsers leave it. */
			buf_addch(out, in[i]);
	}
}

int
form_next(const char *s, size_t len, size_t *pos, struct buf *name,
    struct buf *value)
{
	const char	*seg, *amp, *eq;
	size_t		 seglen;

	buf_reset(name);
	buf_reset(value);
	while (*pos < len) {
		seg = s + *pos;
		amp = memchr(seg, '&', len - *pos);
		seglen = amp != NULL ? (size_t)(amp - seg) : len - *pos;
		*pos += seglen + (amp != NULL);
		if (seglen == 0)
			continue;	/* "a=1&&b=2" */
		eq = memchr(seg, '=', seglen);
		if (eq == NULL)
			url_decode(name, seg, seglen, 1);
		else {
			url_decode(name, seg, (size_t)(eq - seg), 1);
			url_decode(value, eq + 1,
			    seglen - (size_t)(eq - seg) - 1, 1);
		}
		return 1;
	}
	return 0;
}

int
form_get(const char *s, size_t len, const char *name, struct buf *value)
{
	struct buf	n = BUF_INIT;
	size_t		pos = 0;
	int		found = 0;

	while (form_next(s, len, &pos, &n, value)) {
		if (n.len == strlen(name) && memcmp(n.data, name, n.len) == 0) {
			found = 1;
			break;
		}
	}
	if (!found)
		buf_reset(value);
	buf_release(&n);
	return found;
}
