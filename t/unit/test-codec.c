/*
 * Codecs and primitives: hex, base64, URL and form decoding,
 * constant-time comparison, HMAC and SHA-256 known answers.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "tap.h"
#include "util.h"

static struct buf	hexbuf;

/* Hex of an HMAC, into hexbuf. */
static const char *
hmac_hex(enum hmac_alg alg, const void *key, size_t keylen, const char *data)
{
	struct buf	*b = &hexbuf;
	unsigned char	 mac[HMAC_MAX_LEN];
	size_t		 n;

	buf_reset(b);
	n = hmac_buf(alg, key, keylen, data, strlen(data), mac);
	hex_encode(b, mac, n);
	return buf_str(b);
}

static void
test_hmac(void)
{
	unsigned char		 k0b[20], kaa[131], mac[HMAC_MAX_LEN];
	unsigned char		 mac2[HMAC_MAX_LEN];
	struct codec_part	 parts[3];
	struct buf		 b = BUF_INIT;
	size_t			 n, n2;

	memset(k0b, 0x0b, sizeof(k0b));
	memset(kaa, 0xaa, sizeof(kaa));

	/* RFC 2202 */
	is_str(hmac_hex(HMAC_SHA1, k0b, 20, "Hi There"),
	    "b617318655057264e28bc0b6fb378c8ef146be00",
	    "RFC 2202 HMAC-SHA1 test case 1");
	is_str(hmac_hex(HMAC_SHA1, "Jefe", 4, "what do ya want for nothing?"),
	    "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
	    "RFC 2202 HMAC-SHA1 test case 2");
	is_str(hmac_hex(HMAC_SHA1, kaa, 80,
	    "Test Using Larger Than Block-Size Key - Hash Key First"),
	    "aa4ae5e15272d00e95705637ce8a3b55ed402112",
	    "RFC 2202 HMAC-SHA1 test case 6 (key longer than a block)");

	/* RFC 4231 */
	is_str(hmac_hex(HMAC_SHA256, k0b, 20, "Hi There"),
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	    "RFC 4231 HMAC-SHA256 test case 1");
	is_str(hmac_hex(HMAC_SHA256, "Jefe", 4, "what do ya want for nothing?"),
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    "RFC 4231 HMAC-SHA256 test case 2");
	is_str(hmac_hex(HMAC_SHA256, kaa, 131,
	    "Test Using Larger Than Block-Size Key - Hash Key First"),
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	    "RFC 4231 HMAC-SHA256 test case 6");
	is_str(hmac_hex(HMAC_SHA512, k0b, 20, "Hi There"),
	    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	    "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
	    "RFC 4231 HMAC-SHA512 test case 1");
	is_str(hmac_hex(HMAC_SHA512, "Jefe", 4, "what do ya want for nothing?"),
	    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	    "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
	    "RFC 4231 HMAC-SHA512 test case 2");
	is_str(hmac_hex(HMAC_SHA256, "", 0, ""),
	    "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
	    "empty key and empty message");

	parts[0].data = "what do ya ";
	parts[0].len = 11;
	parts[1].data = "";
	parts[1].len = 0;
	parts[2].data = "want for nothing?";
	parts[2].len = 17;
	n = hmac_parts(HMAC_SHA256, "Jefe", 4, parts, 3, mac);
	n2 = hmac_buf(HMAC_SHA256, "Jefe", 4, "what do ya want for nothing?",
	    28, mac2);
	ok(n == 32 && n2 == 32 && memcmp(mac, mac2, 32) == 0,
	    "HMAC over parts equals HMAC over their concatenation");
	is_int((long long)hmac_buf(HMAC_NONE, "k", 1, "x", 1, mac), 0,
	    "HMAC_NONE fails");

	sha256_buf("abc", 3, mac);
	hex_encode(&b, mac, 32);
	is_str(b.data,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "SHA-256 of \"abc\" (FIPS 180-2)");
	buf_release(&b);
	buf_release(&hexbuf);

	ok(hmac_alg_from_name("sha1") == HMAC_SHA1 &&
	    hmac_alg_from_name("hmac-sha256") == HMAC_SHA256 &&
	    hmac_alg_from_name("SHA512") == HMAC_SHA512 &&
	    hmac_alg_from_name("md5") == HMAC_NONE &&
	    hmac_alg_from_name("hmac-") == HMAC_NONE,
	    "algorithm names");
	is_str(hmac_alg_name(HMAC_SHA256), "hmac-sha256", "algorithm name");
	ok(hmac_alg_len(HMAC_SHA1) == 20 && hmac_alg_len(HMAC_SHA256) == 32 &&
	    hmac_alg_len(HMAC_SHA512) == 64 && hmac_alg_len(HMAC_NONE) == 0,
	    "digest lengths");
}

static void
test_ct_equal(void)
{
	ok(ct_equal("abcd", 4, "abcd", 4), "equal strings");
	ok(!ct_equal("abcd", 4, "abce", 4), "last byte differs");
	ok(!ct_equal("abcd", 4, "bbcd", 4), "first byte differs");
	ok(!ct_equal("abcd", 4, "abcde", 5), "prefix of the other");
	ok(!ct_equal("abcd", 4, "", 0), "empty against non-empty");
	ok(ct_equal("", 0, "", 0), "two empty strings");
}

static void
test_hex(void)
{
	unsigned char	out[8];
	struct buf	b = BUF_INIT;
	long		n;

	n = hex_decode("DeadBEEF00", 10, out, sizeof(out));
	ok(n == 5 && memcmp(out, "\xde\xad\xbe\xef\x00", 5) == 0,
	    "hex decodes either case");
	hex_encode(&b, out, 5);
	is_str(b.data, "deadbeef00", "hex encodes lower case");
	is_int(hex_decode("abc", 3, out, sizeof(out)), -1, "odd length");
	is_int(hex_decode("zz", 2, out, sizeof(out)), -1, "not hex");
	is_int(hex_decode("0g", 2, out, sizeof(out)), -1, "second digit bad");
	is_int(hex_decode("000000000000000000", 18, out, sizeof(out)), -1,
	    "longer than the output");
	is_int(hex_decode("", 0, out, sizeof(out)), 0, "empty");
	buf_release(&b);
}

static void
test_base64(void)
{
	static const struct {
		const char	*plain;
		const char	*enc;
	} rfc[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	unsigned char	out[64];
	struct buf	b = BUF_INIT;
	size_t		i;
	long		n;

	for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		buf_reset(&b);
		base64_encode(&b, (const unsigned char *)rfc[i].plain,
		    strlen(rfc[i].plain));
		is_str(buf_str(&b), rfc[i].enc, "RFC 4648 encode \"%s\"",
		    rfc[i].plain);
		n = base64_decode(rfc[i].enc, strlen(rfc[i].enc), out,
		    sizeof(out));
		ok(n == (long)strlen(rfc[i].plain) &&
		    memcmp(out, rfc[i].plain, (size_t)n) == 0,
		    "RFC 4648 decode \"%s\"", rfc[i].enc);
	}
	n = base64_decode("Zm9vYg", 6, out, sizeof(out));
	ok(n == 4 && memcmp(out, "foob", 4) == 0, "padding is optional");
	n = base64_decode("+/8=", 4, out, sizeof(out));
	ok(n == 2 && out[0] == 0xfb && out[1] == 0xff, "standard alphabet");
	n = base64_decode("-_8", 3, out, sizeof(out));
	ok(n == 2 && out[0] == 0xfb && out[1] == 0xff,
	    "URL-safe alphabet without padding");
	is_int(base64_decode("Zg=", 3, out, sizeof(out)), -1,
	    "padding that does not complete a quantum");
	is_int(base64_decode("Zg===", 5, out, sizeof(out)), -1,
	    "three padding characters");
	is_int(base64_decode("Z", 1, out, sizeof(out)), -1,
	    "a lone sextet");
	is_int(base64_decode("Zm9v!A==", 8, out, sizeof(out)), -1,
	    "a character outside both alphabets");
	is_int(base64_decode("Zm 9v", 5, out, sizeof(out)), -1,
	    "embedded space");
	is_int(base64_decode("Zm9=vYg=", 8, out, sizeof(out)), -1,
	    "padding in the middle");
	is_int(base64_decode("Zm9vYmFy", 8, out, 5), -1,
	    "output too small");
	is_int(base64_decode("Zm9vYmFy", 8, out, 6), 6, "output just fits");

	for (i = 0; i < sizeof(out); i++)
		out[i] = (unsigned char)(i * 37 + 11);
	for (i = 0; i <= sizeof(out); i++) {
		unsigned char back[64];
		buf_reset(&b);
		base64_encode(&b, out, i);
		n = base64_decode(b.data, b.len, back, sizeof(back));
		if (n != (long)i || memcmp(back, out, i) != 0)
			break;
	}
	ok(i == sizeof(out) + 1, "round trips of 0..64 bytes (stopped at %zu)",
	    i);
	buf_release(&b);
}

static void
test_url(void)
{
	struct buf	b = BUF_INIT, name = BUF_INIT, value = BUF_INIT;
	const char	*form = "a=1&&b=&c&d=x%3Dy+z&=v&a=2";
	size_t		pos = 0;

	url_decode(&b, "a+b%20c%2Fd%2f", 14, 1);
	is_str(b.data, "a b c/d/", "plus is space in form mode, %%XX");
	buf_reset(&b);
	url_decode(&b, "a+b%20c", 7, 0);
	is_str(b.data, "a+b c", "plus stays outside form mode");
	buf_reset(&b);
	url_decode(&b, "100%zz%4%", 9, 1);
	is_str(b.data, "100%zz%4%", "a bad escape is kept literally");
	buf_reset(&b);
	url_decode(&b, "a%00b", 5, 1);
	ok(b.len == 3 && memcmp(b.data, "a\0b", 3) == 0, "%%00 decodes");
	buf_reset(&b);
	url_decode(&b, "%E2%9C%93", 9, 1);
	is_str(b.data, "\xe2\x9c\x93", "UTF-8 escapes");

	ok(form_next(form, strlen(form), &pos, &name, &value) &&
	    strcmp(name.data, "a") == 0 && strcmp(value.data, "1") == 0,
	    "first field");
	ok(form_next(form, strlen(form), &pos, &name, &value) &&
	    strcmp(name.data, "b") == 0 && value.len == 0,
	    "empty segment skipped; empty value");
	ok(form_next(form, strlen(form), &pos, &name, &value) &&
	    strcmp(name.data, "c") == 0 && value.len == 0,
	    "a field without '='");
	ok(form_next(form, strlen(form), &pos, &name, &value) &&
	    strcmp(name.data, "d") == 0 &&
	    strcmp(value.data, "x=y z") == 0, "decoded value");
	ok(form_next(form, strlen(form), &pos, &name, &value) &&
	    name.len == 0 && strcmp(value.data, "v") == 0, "empty name");
	ok(form_next(form, strlen(form), &pos, &name, &value) &&
	    strcmp(value.data, "2") == 0, "repeated name");
	ok(!form_next(form, strlen(form), &pos, &name, &value), "end");
	ok(form_get(form, strlen(form), "a", &value) &&
	    strcmp(value.data, "1") == 0, "form_get takes the first");
	ok(form_get(form, strlen(form), "d", &value) &&
	    strcmp(value.data, "x=y z") == 0, "form_get decodes");
	ok(!form_get(form, strlen(form), "payload", &value) && value.len == 0,
	    "form_get of an absent field");
	ok(!form_get("", 0, "a", &value), "empty form");
	ok(form_get("payload=%7B%22a%22%3A1%7D", 25, "payload", &value) &&
	    strcmp(value.data, "{\"a\":1}") == 0, "a payload= field");
	buf_release(&b);
	buf_release(&name);
	buf_release(&value);
}

static void
test_rfc3339(void)
{
	char	buf[32];

	format_rfc3339(buf, sizeof(buf), 1763787654LL, 123456);
	is_str(buf, "2025-11-22T05:00:54.123456Z", "rfc3339: a time");
	format_rfc3339(buf, sizeof(buf), 0, 7);
	is_str(buf, "1970-01-01T00:00:00.000007Z", "rfc3339: the epoch");
	format_rfc3339(buf, sizeof(buf), 951825599LL, 999999);
	is_str(buf, "2000-02-29T11:59:59.999999Z", "rfc3339: a leap day");
	format_rfc3339(buf, sizeof(buf), 253402300799LL, 0);
	is_str(buf, "9999-12-31T23:59:59.000000Z", "rfc3339: year 9999");
	format_rfc3339(buf, sizeof(buf), 253402300800LL, 0);
	is_str(buf, "10000-01-01T00:00:00.000000Z", "rfc3339: year 10000");
	format_rfc3339(buf, 11, 1763787654LL, 0);
	is_str(buf, "2025-11-22", "rfc3339: cut to the buffer");
}

int
main(void)
{
	test_rfc3339();
	test_hmac();
	test_ct_equal();
	test_hex();
	test_base64();
	test_url();
	return tap_done();
}
