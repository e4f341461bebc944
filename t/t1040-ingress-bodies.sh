#!/bin/bash
test_description='request bodies reach the spool byte for byte

Binary bodies (NUL bytes, every byte value, CR LF, blank lines), a 10 MB
body, a form-encoded body and an empty one, sent with curl through
nginx (and the binary ones through Apache with mod_fcgid too), must be
stored exactly as sent, the HMAC over them verified; a body of exactly
a source'"'"'s max_body is accepted and one byte more is refused with 413,
with or without a Content-Length.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

httpd_require nginx
test_require_prog openssl
httpd_prereq apache-fcgid

S=bodies-secret-93b1e07c

# post_signed BASE SOURCE FILE [CURL-ARGS]: FILE signed for the "bin"
# sources; prints the status.
post_signed () {
	local base=$1 src=$2 file=$3
	shift 3
	hookdir_post "$base/$src" "$file" \
		-H "X-Webhook-Signature: $(hmac_hex sha256 "$S" "$file")" \
		-H "Content-Type: application/octet-stream" "$@"
}

# check_stored CODE FILE: 202 and one new spool file whose body is FILE,
# with Content-Length the body's size; its path in STORED.
check_stored () {
	if [ "$1" != 202 ]; then
		echo >&2 "status $1, expected 202:"
		cat >&2 response.headers response
		return 1
	fi
	test "$(spool_count spool/new)" = 1 &&
	test_dir_is_empty spool/tmp &&
	STORED=$(spool_files spool/new) &&
	spool_body "$STORED" >stored.body &&
	cmp "$2" stored.body &&
	sed '/^$/q' "$STORED" >stored.head &&
	test_grep -x "Content-Length: $(wc -c <"$2" | tr -d " ")" stored.head
}

check_413 () {
	if [ "$1" != 413 ]; then
		echo >&2 "status $1, expected 413:"
		cat >&2 response.headers response
		return 1
	fi
	test "$(response_header Content-Type)" = application/json &&
	test "$(tr -d '\n' <response)" = '{"error":"payload too large"}' &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/tmp
}

test_expect_success 'setup: bodies, sources, nginx' '
	# Every byte value, NUL runs, CR LF, and what looks like a spool
	# header after a blank line.
	{
		printf "\n\nHookdir-Id: not-this-one\r\n\r\n\0\0\0" &&
		for i in 1 2 3 4
		do
			for h in 0 1 2 3 4 5 6 7 8 9 a b c d e f
			do
				for l in 0 1 2 3 4 5 6 7 8 9 a b c d e f
				do
					printf "\\x$h$l" || return 1
				done
			done
		done &&
		printf "\0end\0"
	} >binary.body &&
	test "$(wc -c <binary.body)" = $((30 + 3 + 1024 + 5)) &&
	test "$(tr -dc "\0" <binary.body | wc -c)" = 9 &&
	head -c 10485760 /dev/urandom >big.body &&
	printf "a=1&b=%%20x+y&payload=%%7B%%22k%%22%%3A%%22v%%22%%7D&c=%%00&d=%%E2%%82%%AC" >form.body &&
	: >empty.body &&
	head -c 1000 /dev/urandom >exact.body &&
	head -c 1001 /dev/urandom >over.body &&

	setup_spool &&
	cat >hookdir.conf <<-EOF &&
	{
		"spool": "spool",
		"limits": { "max_body": "2M" },
		"sources": {
			"bin": { "provider": "generic", "secret": "$S" },
			"big": { "provider": "generic", "secret": "$S", "max_body": "25M" },
			"open": { "provider": "generic" },
			"exact": { "provider": "generic", "max_body": 1000 }
		}
	}
	EOF
	start_nginx_fcgi 2 &&
	NGINX_BASE=$HOOK_URL_BASE
'

test_expect_success 'a binary body with NUL bytes is stored byte for byte' '
	test_when_finished spool_clear &&
	code=$(post_signed "$NGINX_BASE" bin binary.body) &&
	check_stored "$code" binary.body &&
	test_grep -x "Hookdir-Verified: hmac-sha256" stored.head &&
	test_grep -x "Content-Type: application/octet-stream" stored.head &&
	cp "$STORED" nginx-binary.spooled
'

test_expect_success 'the same binary body, one byte changed, is refused' '
	sig=$(hmac_hex sha256 "$S" binary.body) &&
	{ head -c 1030 binary.body; printf "\1"; tail -c +1032 binary.body; } >changed.body &&
	test "$(wc -c <changed.body)" = "$(wc -c <binary.body)" &&
	! cmp -s binary.body changed.body &&
	code=$(hookdir_post "$NGINX_BASE/bin" changed.body \
		-H "X-Webhook-Signature: $sig") &&
	test "$code" = 401 &&
	test_dir_is_empty spool/new
'

test_expect_success 'a 10 MB body within a 25M limit is stored byte for byte' '
	test_when_finished spool_clear &&
	code=$(post_signed "$NGINX_BASE" big big.body) &&
	check_stored "$code" big.body
'

test_expect_success 'the 10 MB body is over the 2M default of another source: 413' '
	code=$(post_signed "$NGINX_BASE" bin big.body) &&
	check_413 "$code"
'

test_expect_success 'a form-encoded body is stored as sent' '
	test_when_finished spool_clear &&
	code=$(hookdir_post "$NGINX_BASE/open" form.body \
		-H "Content-Type: application/x-www-form-urlencoded") &&
	check_stored "$code" form.body &&
	test_grep -x "Content-Type: application/x-www-form-urlencoded" stored.head
'

test_expect_success 'an empty body (Content-Length: 0) is stored empty' '
	test_when_finished spool_clear &&
	code=$(hookdir_post "$NGINX_BASE/open" empty.body) &&
	check_stored "$code" empty.body &&
	test "$(tail -c 2 "$STORED" | od -An -tx1 | tr -d " ")" = 0a0a
'

test_expect_success 'an empty signed body' '
	test_when_finished spool_clear &&
	code=$(post_signed "$NGINX_BASE" bin empty.body) &&
	check_stored "$code" empty.body
'

test_expect_success 'a POST with no body and no Content-Length' '
	test_when_finished spool_clear &&
	code=$(hookdir_curl "$NGINX_BASE/open" -X POST) &&
	check_stored "$code" empty.body
'

test_expect_success 'a body of exactly max_body is accepted' '
	test_when_finished spool_clear &&
	code=$(hookdir_post "$NGINX_BASE/exact" exact.body) &&
	check_stored "$code" exact.body
'

test_expect_success 'one byte over max_body: 413, nothing stored' '
	code=$(hookdir_post "$NGINX_BASE/exact" over.body) &&
	check_413 "$code"
'

test_expect_success 'chunked: exactly max_body is accepted' '
	test_when_finished spool_clear &&
	code=$(hookdir_post "$NGINX_BASE/exact" exact.body \
		-H "Transfer-Encoding: chunked") &&
	check_stored "$code" exact.body &&
	test_grep ! -i "^Transfer-Encoding:" stored.head
'

test_expect_success 'chunked: one byte over max_body: 413' '
	code=$(hookdir_post "$NGINX_BASE/exact" over.body \
		-H "Transfer-Encoding: chunked") &&
	check_413 "$code"
'

test_expect_success 'chunked: a binary body is stored byte for byte' '
	test_when_finished spool_clear &&
	code=$(post_signed "$NGINX_BASE" bin binary.body \
		-H "Transfer-Encoding: chunked") &&
	check_stored "$code" binary.body
'

# ---------------------------------------------------------------- Apache
test_expect_success APACHE_FCGID 'setup: Apache with mod_fcgid' '
	start_apache_fcgid &&
	APACHE_BASE=$HOOK_URL_BASE
'

test_expect_success APACHE_FCGID 'Apache: the same binary request is stored identically' '
	test_when_finished spool_clear &&
	code=$(post_signed "$APACHE_BASE" bin binary.body) &&
	check_stored "$code" binary.body &&
	spool_body nginx-binary.spooled >nginx.body &&
	cmp nginx.body stored.body &&
	sed -e "/^Hookdir-Id:/d" -e "/^Hookdir-Received:/d" -e "/^Hookdir-Uri:/d" \
	    -e "/^Host:/d" -e "/^Hookdir-Remote-Addr:/d" -e "/^$/q" \
		nginx-binary.spooled >nginx.head &&
	sed -e "/^Hookdir-Id:/d" -e "/^Hookdir-Received:/d" -e "/^Hookdir-Uri:/d" \
	    -e "/^Host:/d" -e "/^Hookdir-Remote-Addr:/d" -e "/^$/q" \
		"$STORED" >apache.head &&
	test_cmp nginx.head apache.head &&
	test_grep -x "Hookdir-Verified: hmac-sha256" apache.head &&
	test_grep -x "Content-Type: application/octet-stream" apache.head &&
	test_grep -x "Hookdir-Source: bin" apache.head
'

test_expect_success APACHE_FCGID 'Apache: the 10 MB body' '
	test_when_finished spool_clear &&
	code=$(post_signed "$APACHE_BASE" big big.body) &&
	check_stored "$code" big.body
'

test_expect_success APACHE_FCGID 'Apache: an empty body' '
	test_when_finished spool_clear &&
	code=$(hookdir_post "$APACHE_BASE/open" empty.body) &&
	check_stored "$code" empty.body
'

test_expect_success APACHE_FCGID 'Apache: exactly max_body, then one byte over' '
	test_when_finished spool_clear &&
	code=$(hookdir_post "$APACHE_BASE/exact" over.body) &&
	check_413 "$code" &&
	code=$(hookdir_post "$APACHE_BASE/exact" exact.body) &&
	check_stored "$code" exact.body
'

test_done
