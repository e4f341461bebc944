#!/bin/bash
test_description='hookdir.fcgi behind nginx: every answer, in order of precedence

Real nginx and spawn-fcgi run hookdir.fcgi as the web-server user (nobody
when the tests run as root); requests are made with curl.  The tests go
down the responder'"'"'s checks in the order it makes them (source, method,
origin, size, headers, signature, queue, spool, write) and show, for each
status, that a request failing several checks gets the first one.  Every
rejection must leave the spool (and the rest of the scratch directory)
as it was, answer a JSON body {"error":"..."} with Content-Type
application/json, and log exactly one line with its reason.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

httpd_require nginx

SECRET=status-test-secret-0123456789

# The responder runs unprivileged: permissions it lacks are enforced on it.
if test_have_prereq ROOT,NOBODY_USER || test_have_prereq '!ROOT,SANITY'
then
	test_set_prereq WEB_UNPRIVILEGED
fi

# The scratch directory as a list (files with size and mtime), leaving
# out the servers' logs and temporary files and this script's own
# response and listing files.
snapshot () {
	(cd "$TEST_ROOT" && find . \
		-path ./trash/nginx/logs -prune -o \
		-path ./trash/nginx/tmp -prune -o \
		-path ./.lib -prune -o \
		-name 'response*' -prune -o -name 'snap.*' -prune -o \
		-name 'log.*' -prune -o -name 'cgi.*' -prune -o \
		-type d -printf 'd %p %m %u\n' -o \
		-printf 'f %p %m %u %s %T@\n') | sort
}

# Remember where the error log ends; log_lines prints the responder's
# lines logged since.
log_mark () {
	log_off_=$(stat -c %s "$HTTPD_ERROR_LOG")
}

log_lines () {
	tail -c "+$((log_off_ + 1))" "$HTTPD_ERROR_LOG" | grep 'hookdir\.fcgi: '
	return 0
}

# check_log STATUS REASON: exactly one line was logged since log_mark,
# for STATUS, containing REASON (a grep -E pattern).
check_log () {
	log_lines >log.new
	test_line_count = 1 log.new &&
	test_grep -E "hookdir\\.fcgi: $1 source=[^ ]+ remote=127\\.0\\.0\\.1: .*$2" log.new
}

# check_error CODE STATUS MESSAGE: curl got STATUS with the JSON error
# body {"error":"MESSAGE"} and Content-Type application/json.
check_error () {
	if [ "$1" != "$2" ]; then
		echo >&2 "status $1, expected $2:"
		cat >&2 response.headers response
		return 1
	fi
	test "$(response_header Content-Type)" = application/json &&
	printf '{"error":"%s"}' "$3" >response.expect &&
	tr -d '\n' <response >response.actual &&
	test_cmp response.expect response.actual
}

# check_accepted CODE BODYFILE: a 202 {"id":ID,"status":"queued"} whose
# ID is the one new file in spool/new, mode 0600, owned by the
# web-server user, holding BODYFILE byte for byte after its header.
check_accepted () {
	local id
	if [ "$1" != 202 ]; then
		echo >&2 "status $1, expected 202:"
		cat >&2 response.headers response
		return 1
	fi
	test "$(response_header Content-Type)" = application/json &&
	id=$(sed -n 's/^{"id":"\([^"/]*\)","status":"queued"}$/\1/p' response) &&
	test -n "$id" &&
	test "$(spool_count spool/new)" = 1 &&
	test_path_is_file "spool/new/$id" &&
	test "$(stat -c '%a %U' "spool/new/$id")" = "600 $HTTPD_USER" &&
	test_dir_is_empty spool/tmp &&
	test_grep -x "Hookdir-Id: $id" "spool/new/$id" &&
	spool_body "spool/new/$id" >response.body &&
	cmp "$2" response.body &&
	ACCEPTED_ID=$id
}

# run_cgi PATH_INFO REMOTE_ADDR BODYFILE [NAME=VALUE...]: the responder
# as plain CGI (no web server), as this user, with cgi.conf.  Its output
# goes to cgi.out, its log to cgi.err; prints the status line.
run_cgi () {
	local pi=$1 ra=$2 body=$3
	shift 3
	env GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST \
		PATH_INFO="$pi" REQUEST_URI="/hooks$pi" REMOTE_ADDR="$ra" \
		CONTENT_LENGTH="$(wc -c <"$body")" CONTENT_TYPE=application/json \
		HOOKDIR_CONF="$TRASH/cgi.conf" "$@" \
		"$HOOKDIR_FCGI" <"$body" >cgi.out 2>cgi.err
	sed -n '1s/\r$//p' cgi.out
}

LONG64=$(printf 'a%.0s' $(seq 64))
LONG65=$(printf 'a%.0s' $(seq 65))

test_expect_success 'setup: nginx and hookdir.fcgi with a spool' '
	setup_spool &&
	cat >hookdir.conf <<-EOF &&
	{
		"spool": "spool",
		"limits": { "max_body": "64k" },
		"sources": {
			"open": { "provider": "generic" },
			"signed": { "provider": "generic", "secret": "$SECRET" },
			"small": { "provider": "generic", "max_body": 1000 },
			"local": { "provider": "generic", "allow_from": ["127.0.0.0/8"] },
			"remote": { "provider": "generic", "max_body": 100,
				"allow_from": ["192.0.2.0/24", "10.1.2.3", "::1"] },
			"fixed": { "provider": "generic",
				"response": { "status": 200,
					"headers": { "X-Answer": "fixed-answer" },
					"body": "thanks\n" } },
			"$LONG64": { "provider": "generic" }
		}
	}
	EOF
	printf "{\"event\":\"push\",\"n\":1}\n" >payload.json &&
	printf "%s" "$(hmac_hex sha256 "$SECRET" payload.json)" >payload.sig &&
	test_file_not_empty payload.sig &&
	start_nginx_fcgi 2
'

test_expect_success '202 from an unsigned source: the id names the spooled file' '
	test_when_finished spool_clear &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/open" payload.json \
		-H "Content-Type: application/json") &&
	check_accepted "$code" payload.json &&
	log_lines >log.new &&
	test_line_count = 0 log.new
'

test_expect_success '202 from a signed source with the right signature' '
	test_when_finished spool_clear &&
	code=$(hookdir_post "$HOOK_URL_BASE/signed" payload.json \
		-H "X-Webhook-Signature: $(cat payload.sig)") &&
	check_accepted "$code" payload.json &&
	test_grep -x "Hookdir-Verified: hmac-sha256" "spool/new/$ACCEPTED_ID"
'

test_expect_success 'each 202 names a new file' '
	test_when_finished spool_clear &&
	code=$(hookdir_post "$HOOK_URL_BASE/open" payload.json) &&
	test "$code" = 202 &&
	cp response response.first &&
	code=$(hookdir_post "$HOOK_URL_BASE/open" payload.json) &&
	test "$code" = 202 &&
	! test_cmp response.first response &&
	test "$(spool_count spool/new)" = 2
'

test_expect_success 'a 64-character source name is a name' '
	test_when_finished spool_clear &&
	code=$(hookdir_post "$HOOK_URL_BASE/$LONG64" payload.json) &&
	check_accepted "$code" payload.json
'

# ---------------------------------------------------------------- 404
test_expect_success '404: an unknown source (even as GET, oversized, unsigned)' '
	head -c 70000 /dev/zero | tr "\0" x >big.body &&
	snapshot >snap.before &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/nosuchsource" big.body) &&
	check_error "$code" 404 "unknown source" &&
	check_log 404 "" &&
	log_mark &&
	code=$(hookdir_curl "$HOOK_URL_BASE/nosuchsource") &&
	check_error "$code" 404 "unknown source" &&
	check_log 404 "" &&
	snapshot >snap.after &&
	test_cmp snap.before snap.after
'

test_expect_success '404: an empty source name' '
	snapshot >snap.before &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/" payload.json) &&
	check_error "$code" 404 "unknown source" &&
	check_log 404 "" &&
	snapshot >snap.after &&
	test_cmp snap.before snap.after
'

test_expect_success '404: /hooks/a/b (a path, not a name)' '
	snapshot >snap.before &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/open/b" payload.json) &&
	check_error "$code" 404 "unknown source" &&
	check_log 404 "" &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/a/b" payload.json) &&
	check_error "$code" 404 "unknown source" &&
	check_log 404 "" &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/open/" payload.json) &&
	check_error "$code" 404 "unknown source" &&
	check_log 404 "" &&
	snapshot >snap.after &&
	test_cmp snap.before snap.after
'

test_expect_success '404: a 65-character name, and names that are not names' '
	snapshot >snap.before &&
	for name in "$LONG65" .hidden -dash "open%20" "op%2fen" "..."
	do
		log_mark &&
		code=$(hookdir_post "$HOOK_URL_BASE/$name" payload.json) &&
		check_error "$code" 404 "unknown source" &&
		check_log 404 "" || return 1
	done &&
	snapshot >snap.after &&
	test_cmp snap.before snap.after
'

# nginx decodes %2f and resolves the dot segments itself: a path that
# climbs above / is refused by nginx (400) before hookdir.fcgi sees it,
# and /hooks/../x becomes /x, outside the hooks location (nginx 404).
# What matters is that nothing is written; the responder'"'"'s own answer
# to such PATH_INFO values is checked below, without nginx.
test_expect_success 'traversal attempts through nginx write nothing' '
	stat -c "%s %Y" /etc/passwd >passwd.before &&
	snapshot >snap.before &&
	code=$(hookdir_post "$HOOK_URL_BASE/..%2f..%2fetc%2fpasswd" payload.json) &&
	case $code in 400|404) ;; *) echo >&2 "status $code"; false ;; esac &&
	code=$(hookdir_post "$HOOK_URL_BASE/..%2f..%2f..%2f..%2ftmp%2fhookdir-pwned" payload.json) &&
	case $code in 400|404) ;; *) echo >&2 "status $code"; false ;; esac &&
	code=$(hookdir_post "$HTTPD_URL/hooks/../x" payload.json --path-as-is) &&
	test "$code" = 404 &&
	code=$(hookdir_post "$HTTPD_URL/hooks/../hooks/..%2fspool" payload.json --path-as-is) &&
	case $code in 400|404) ;; *) echo >&2 "status $code"; false ;; esac &&
	snapshot >snap.after &&
	test_cmp snap.before snap.after &&
	stat -c "%s %Y" /etc/passwd >passwd.after &&
	test_cmp passwd.before passwd.after &&
	test_path_is_missing /tmp/hookdir-pwned
'

test_expect_success 'setup: a configuration for plain CGI runs' '
	mkdir -p cgi-spool &&
	cat >cgi.conf <<-EOF
	{
		"spool": "cgi-spool",
		"sources": {
			"open": { "provider": "generic" },
			"small": { "provider": "generic", "max_body": 1000 },
			"v6": { "provider": "generic", "allow_from": ["::1", "2001:db8::/32"] }
		}
	}
	EOF
'

test_expect_success '404 from the responder itself for traversal in PATH_INFO' '
	snapshot >snap.before &&
	for pi in /../../etc/passwd /.. /. /../open /open/../open //open \
		/open/ "" / "/$LONG65"
	do
		st=$(run_cgi "$pi" 127.0.0.1 payload.json) &&
		test "$st" = "Status: 404 Not Found" &&
		test_grep "{\"error\":\"unknown source\"}" cgi.out &&
		test_grep "404" cgi.err || return 1
	done &&
	snapshot >snap.after &&
	test_cmp snap.before snap.after
'

test_expect_success '404: the log names the source asked for, escaped and cut short' '
	nl=$(printf "\nx") && nl=${nl%x} &&
	st=$(run_cgi "/no${nl}such$(printf "\033")[31m\"\\" 127.0.0.1 payload.json) &&
	test "$st" = "Status: 404 Not Found" &&
	test_line_count = 1 cgi.err &&
	test_grep -F "404 source=- remote=127.0.0.1: unknown source \"no\x0asuch\x1b[31m\x22\x5c\" id=" cgi.err &&
	st=$(run_cgi "/$LONG65$LONG65" 127.0.0.1 payload.json) &&
	test "$st" = "Status: 404 Not Found" &&
	test_grep -F "unknown source \"$(printf "a%.0s" $(seq 80))\"... (130 bytes) id=" cgi.err &&
	st=$(run_cgi "nosuch" 127.0.0.1 payload.json) &&
	test_grep -F "unknown source none: PATH_INFO \"nosuch\" id=" cgi.err &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/x%1by%C3%A9%22z" payload.json) &&
	check_error "$code" 404 "unknown source" &&
	log_lines >log.new &&
	test_line_count = 1 log.new &&
	test_grep -F "unknown source \"x\x1by\xc3\xa9\x22z\"" log.new
'

# ---------------------------------------------------------------- 405
test_expect_success '405 with Allow: POST for GET and PUT' '
	snapshot >snap.before &&
	log_mark &&
	code=$(hookdir_curl "$HOOK_URL_BASE/open") &&
	check_error "$code" 405 "method not allowed" &&
	test "$(response_header Allow)" = POST &&
	check_log 405 "GET" &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/open" payload.json -X PUT) &&
	check_error "$code" 405 "method not allowed" &&
	test "$(response_header Allow)" = POST &&
	check_log 405 "PUT" &&
	snapshot >snap.after &&
	test_cmp snap.before snap.after
'

test_expect_success '405 comes before 403 (method before origin)' '
	log_mark &&
	code=$(hookdir_curl "$HOOK_URL_BASE/remote") &&
	check_error "$code" 405 "method not allowed" &&
	test "$(response_header Allow)" = POST &&
	check_log 405 ""
'

# ---------------------------------------------------------------- 403
test_expect_success '403 when allow_from leaves out 127.0.0.1' '
	snapshot >snap.before &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/remote" payload.json) &&
	check_error "$code" 403 "forbidden" &&
	check_log 403 "allow_from" &&
	snapshot >snap.after &&
	test_cmp snap.before snap.after
'

test_expect_success '403 comes before 413 (origin before size)' '
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/remote" big.body) &&
	check_error "$code" 403 "forbidden" &&
	check_log 403 ""
'

test_expect_success '202 when allow_from includes 127.0.0.0/8' '
	test_when_finished spool_clear &&
	code=$(hookdir_post "$HOOK_URL_BASE/local" payload.json) &&
	check_accepted "$code" payload.json &&
	test_grep -x "Hookdir-Remote-Addr: 127.0.0.1" "spool/new/$ACCEPTED_ID"
'

test_expect_success 'allow_from with IPv6 addresses (plain CGI, REMOTE_ADDR ::1)' '
	st=$(run_cgi /v6 ::1 payload.json) &&
	test "$st" = "Status: 202 Accepted" &&
	test "$(spool_count cgi-spool/new)" = 1 &&
	st=$(run_cgi /v6 2001:db8::7 payload.json) &&
	test "$st" = "Status: 202 Accepted" &&
	test "$(spool_count cgi-spool/new)" = 2 &&
	for addr in ::2 127.0.0.1 2001:db9::1 ::ffff:127.0.0.1
	do
		st=$(run_cgi /v6 "$addr" payload.json) &&
		test "$st" = "Status: 403 Forbidden" &&
		test_grep "{\"error\":\"forbidden\"}" cgi.out || return 1
	done &&
	test "$(spool_count cgi-spool/new)" = 2
'

# ---------------------------------------------------------------- 413
test_expect_success '413 when Content-Length is over the source'"'"'s max_body' '
	head -c 1001 big.body >over.body &&
	snapshot >snap.before &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/small" over.body) &&
	check_error "$code" 413 "payload too large" &&
	check_log 413 "1001" &&
	snapshot >snap.after &&
	test_cmp snap.before snap.after
'

test_expect_success '413 for a chunked body over the limit' '
	snapshot >snap.before &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/small" over.body \
		-H "Transfer-Encoding: chunked") &&
	check_error "$code" 413 "payload too large" &&
	check_log 413 "" &&
	snapshot >snap.after &&
	test_cmp snap.before snap.after
'

# A server that streams the body (no CONTENT_LENGTH) leaves the limit to
# the responder while it reads: nginx always buffers and sets one.
cgi_stream () {
	env -u CONTENT_LENGTH GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST \
		PATH_INFO=/small REQUEST_URI=/hooks/small REMOTE_ADDR=127.0.0.1 \
		CONTENT_TYPE=application/octet-stream \
		HOOKDIR_CONF="$TRASH/cgi.conf" \
		"$HOOKDIR_FCGI" <"$1" >cgi.out 2>cgi.err
	sed -n '1s/\r$//p' cgi.out
}

test_expect_success '413 while streaming a body without a length, as CGI' '
	snapshot >snap.before &&
	st=$(cgi_stream over.body) &&
	test "$st" = "Status: 413 Content Too Large" &&
	test_grep "{\"error\":\"payload too large\"}" cgi.out &&
	test_grep "413" cgi.err &&
	snapshot >snap.after &&
	test_cmp snap.before snap.after
'

test_expect_success 'a streamed body at the limit is stored whole, as CGI' '
	head -c 1000 big.body >at.body &&
	st=$(cgi_stream at.body) &&
	test "$st" = "Status: 202 Accepted" &&
	id=$(sed -n "s/.*\"id\":\"\([^\"]*\)\".*/\1/p" cgi.out) &&
	test -n "$id" &&
	spool_body "cgi-spool/new/$id" >stored.body &&
	cmp at.body stored.body &&
	rm "cgi-spool/new/$id"
'

test_expect_success 'secret_env: the secret comes from the responder'"'"'s environment' '
	cat >env.conf <<-\EOF &&
	{
		"spool": "cgi-spool",
		"sources": {
			"env": { "provider": "generic", "secret_env": "HOOKDIR_T_SECRET" }
		}
	}
	EOF
	sig="HTTP_X_WEBHOOK_SIGNATURE=$(cat payload.sig)" &&
	conf="HOOKDIR_CONF=$TRASH/env.conf" &&
	st=$(run_cgi /env 127.0.0.1 payload.json "$conf" \
		HOOKDIR_T_SECRET="$SECRET" "$sig") &&
	test "$st" = "Status: 202 Accepted" &&
	id=$(sed -n "s/.*\"id\":\"\([^\"]*\)\".*/\1/p" cgi.out) &&
	rm "cgi-spool/new/$id" &&
	st=$(run_cgi /env 127.0.0.1 payload.json "$conf" HOOKDIR_T_SECRET=other \
		"$sig") &&
	test "$st" = "Status: 401 Unauthorized" &&
	st=$(run_cgi /env 127.0.0.1 payload.json "$conf" "$sig") &&
	test "$st" = "Status: 503 Service Unavailable" &&
	test_grep "env.conf:[0-9]*: sources.env.secret_env: environment variable HOOKDIR_T_SECRET is not set" cgi.err &&
	! grep -F "$SECRET" cgi.err &&
	test "$(spool_count cgi-spool/new)" = 2
'

test_expect_success '413 over limits.max_body for a source without its own' '
	head -c 65537 big.body >over64k.body &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/open" over64k.body) &&
	check_error "$code" 413 "payload too large" &&
	check_log 413 "65536" &&
	test "$(spool_count spool/new)" = 0
'

test_expect_success '413 comes before 431 (size before headers)' '
	for i in $(seq 150); do echo "X-Filler-$i: value $i"; done >many.headers &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/small" over.body -H @many.headers) &&
	check_error "$code" 413 "payload too large" &&
	check_log 413 ""
'

# ---------------------------------------------------------------- 431
test_expect_success '431 for 150 request headers' '
	snapshot >snap.before &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/open" payload.json -H @many.headers) &&
	check_error "$code" 431 "request headers too large" &&
	check_log 431 "" &&
	snapshot >snap.after &&
	test_cmp snap.before snap.after
'

test_expect_success '431 comes before 401 (headers before signature)' '
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/signed" payload.json -H @many.headers \
		-H "X-Webhook-Signature: 00") &&
	check_error "$code" 431 "request headers too large" &&
	check_log 431 ""
'

test_expect_success '90 headers are fine' '
	test_when_finished spool_clear &&
	head -n 90 many.headers >some.headers &&
	code=$(hookdir_post "$HOOK_URL_BASE/open" payload.json -H @some.headers) &&
	check_accepted "$code" payload.json &&
	test_grep -x "X-Filler-90: value 90" "spool/new/$ACCEPTED_ID"
'

# nginx itself refuses header lines over 8 KB or 32 KB of them: the
# 64 KiB limit is for servers that let more through, shown without one.
test_expect_success '431 for over 64 KiB of headers (plain CGI)' '
	v=$(head -c 14000 /dev/zero | tr "\0" h) &&
	st=$(run_cgi /open 127.0.0.1 payload.json HTTP_X_A="$v" HTTP_X_B="$v" \
		HTTP_X_C="$v" HTTP_X_D="$v" HTTP_X_E="$v") &&
	test "$st" = "Status: 431 Request Header Fields Too Large" &&
	test_grep "{\"error\":\"request headers too large\"}" cgi.out &&
	test "$(spool_count cgi-spool/new)" = 2
'

# ---------------------------------------------------------------- 401
test_expect_success '401 for a wrong, a missing and a malformed signature' '
	snapshot >snap.before &&
	bad=$(printf "%s" "$(cat payload.sig)" | tr 0-9a-f 1-9a-f0) &&
	while IFS="|" read -r why h
	do
		log_mark &&
		code=$(hookdir_post "$HOOK_URL_BASE/signed" payload.json -H "$h") &&
		check_error "$code" 401 "invalid signature" &&
		check_log 401 "$why" || return 1
	done <<-EOF &&
	mismatch|X-Webhook-Signature: $bad
	missing|X-Other: x
	malformed|X-Webhook-Signature: not-hex
	malformed|X-Webhook-Signature: sha256=$(cat payload.sig)
	EOF
	snapshot >snap.after &&
	test_cmp snap.before snap.after
'

test_expect_success '401 when the body differs from what was signed' '
	printf "{\"event\":\"push\",\"n\":2}\n" >other.json &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/signed" other.json \
		-H "X-Webhook-Signature: $(cat payload.sig)") &&
	check_error "$code" 401 "invalid signature" &&
	check_log 401 "mismatch" &&
	test "$(spool_count spool/new)" = 0
'

test_expect_success 'the 401 log line gives the reason, never the secret' '
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/signed" payload.json) &&
	check_error "$code" 401 "invalid signature" &&
	check_log 401 "missing" &&
	! grep -F "$SECRET" "$HTTPD_ERROR_LOG" &&
	! grep -F "$SECRET" response response.headers
'

# ---------------------------------------------------------------- 503
test_expect_success WEB_UNPRIVILEGED '503 spool unavailable when new/ is not writable' '
	test_when_finished "chmod 755 spool/new" &&
	chmod 555 spool/new &&
	snapshot >snap.before &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/open" payload.json) &&
	check_error "$code" 503 "spool unavailable" &&
	test "$(response_header Retry-After)" = 60 &&
	check_log 503 "" &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/tmp &&
	snapshot >snap.after &&
	test_cmp snap.before snap.after
'

test_expect_success WEB_UNPRIVILEGED '503 spool unavailable when tmp/ is not writable' '
	test_when_finished "chmod 755 spool/tmp" &&
	chmod 555 spool/tmp &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/open" payload.json) &&
	check_error "$code" 503 "spool unavailable" &&
	test "$(response_header Retry-After)" = 60 &&
	check_log 503 "" &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/tmp
'

test_expect_success WEB_UNPRIVILEGED 'the spool works again once it is writable' '
	test_when_finished spool_clear &&
	code=$(hookdir_post "$HOOK_URL_BASE/open" payload.json) &&
	check_accepted "$code" payload.json
'

# A spool of its own, so that no responder has counted it yet.
test_expect_success 'setup: max_queue 3 on a fresh spool' '
	setup_spool qspool &&
	sed -e "s/\"spool\": \"spool\"/\"spool\": \"qspool\"/" \
	    -e "s/\"max_body\": \"64k\" }/\"max_body\": \"64k\", \"max_queue\": 3 }/" \
		hookdir.conf >hookdir.conf.new &&
	test_grep "\"max_queue\": 3" hookdir.conf.new &&
	mv hookdir.conf.new hookdir.conf &&
	for i in 1 2 3
	do
		echo "waiting $i" >qspool/new/1700000000.M$i.queued || return 1
	done &&
	chown_web qspool
'

test_expect_success '503 queue full when max_queue files wait in new/' '
	snapshot >snap.before &&
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/open" payload.json) &&
	check_error "$code" 503 "queue full" &&
	test "$(response_header Retry-After)" = 60 &&
	check_log 503 "max_queue" &&
	test "$(spool_count qspool/new)" = 3 &&
	test_dir_is_empty qspool/tmp &&
	snapshot >snap.after &&
	test_cmp snap.before snap.after
'

test_expect_success '401 comes before 503 (signature before queue)' '
	log_mark &&
	code=$(hookdir_post "$HOOK_URL_BASE/signed" payload.json \
		-H "X-Webhook-Signature: 00") &&
	check_error "$code" 401 "invalid signature" &&
	check_log 401 "" &&
	test "$(spool_count qspool/new)" = 3
'

test_expect_success 'a place in the queue: 202, then full again' '
	rm qspool/new/1700000000.M1.queued &&
	code=$(hookdir_post "$HOOK_URL_BASE/open" payload.json) &&
	test "$code" = 202 &&
	test "$(spool_count qspool/new)" = 3 &&
	code=$(hookdir_post "$HOOK_URL_BASE/signed" payload.json \
		-H "X-Webhook-Signature: $(cat payload.sig)") &&
	check_error "$code" 503 "queue full" &&
	test "$(spool_count qspool/new)" = 3
'

test_expect_success 'setup: back to the first spool' '
	sed -e "s/\"spool\": \"qspool\"/\"spool\": \"spool\"/" \
	    -e "s/, \"max_queue\": 3 }/ }/" hookdir.conf >hookdir.conf.new &&
	mv hookdir.conf.new hookdir.conf &&
	! grep max_queue hookdir.conf
'

# ---------------------------------------------------------------- 2xx
test_expect_success 'a source'"'"'s fixed response is answered, after the write' '
	test_when_finished spool_clear &&
	code=$(hookdir_post "$HOOK_URL_BASE/fixed" payload.json) &&
	test "$code" = 200 &&
	test "$(response_header X-Answer)" = fixed-answer &&
	printf "thanks\n" >expect &&
	test_cmp expect response &&
	test "$(spool_count spool/new)" = 1 &&
	f=$(spool_files spool/new) &&
	spool_body "$f" >response.body &&
	cmp payload.json response.body
'

test_done
