#!/bin/bash
test_description='rate limits: a source'"'"'s rate_limit, and nginx'"'"'s limit_req

A source with "rate_limit" gets 429 with Retry-After once its bucket is
empty, whichever responder process answers: four spawn-fcgi processes
behind nginx, and plain CGI (one process per request), share the bucket
in spool/.rate/SOURCE.  Only verified requests count; unknown sources
stay 404.  The buckets refill slowly (one token a minute) so that counts
do not depend on how fast the machine is; the refill is seen by running
the responders under faketime, minutes later.  nginx'"'"'s limit_req
recipe (the comments of conf/nginx.conf) answers 429 before a request
reaches hookdir.fcgi.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

httpd_require nginx
test_prog_prereq FAKETIME faketime

# spawn-fcgi runs the responders under libfaketime itself: the faketime
# program would stay their parent, and stopping it would not stop them.
for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 \
	/usr/local/lib/faketime/libfaketime.so.1
do
	if [ -f "$f" ]; then
		FAKETIME_LIB=$f
		test_set_prereq FAKETIME_LIB
		break
	fi
done

# faketime works by LD_PRELOAD, which AddressSanitizer wants to be first.
if [ -n "${ASAN_OPTIONS+set}" ] || nm -D "$HOOKDIR_FCGI" 2>/dev/null | grep -q __asan_init
then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	export ASAN_OPTIONS
fi

SECRET=rate-limit-test-secret-0123456789

# post_many N SOURCE [CURL-ARGS...]: N requests at once; each one's
# status in code.I, headers in headers.I, body in body.I (I from 1).
post_many () {
	local n=$1 src=$2 i pids=
	shift 2
	rm -f code.* headers.* body.*
	for i in $(seq "$n")
	do
		"$CURL" -sS --max-time 60 -o "body.$i" -D "headers.$i" \
			-w '%{http_code}\n' --data-binary @payload.json "$@" \
			"$HOOK_URL_BASE/$src" >"code.$i" &
		pids="$pids $!"
	done
	wait $pids
}

# count_codes CODE: how many of code.* are CODE.
count_codes () {
	cat code.* | grep -c -x "$1"
	return 0
}

# check_limited: every 429 among the answers has a Retry-After of 1-60
# seconds and the JSON error body; every other answer is a 202.
check_limited () {
	local f i ra
	for f in code.*
	do
		i=${f#code.}
		case $(cat "$f") in
		202)	;;
		429)
			ra=$(tr -d '\r' <"headers.$i" | sed -n 's/^Retry-After: //Ip') &&
			test -n "$ra" &&
			test "$ra" -ge 1 && test "$ra" -le 60 &&
			printf '{"error":"rate limited"}\n' >expect.body &&
			test_cmp expect.body "body.$i" &&
			tr -d '\r' <"headers.$i" >h &&
			test_grep -x "Content-Type: application/json" h &&
			test_grep -x "HTTP/1.1 429 Too Many Requests" h ||
				return 1 ;;
		*)
			echo >&2 "answer $i: $(cat "$f")"
			return 1 ;;
		esac
	done
}

log_mark () {
	log_off_=$(stat -c %s "$HTTPD_ERROR_LOG")
}

log_lines () {
	tail -c "+$((log_off_ + 1))" "$HTTPD_ERROR_LOG" | grep 'hookdir\.fcgi: '
	return 0
}

# run_cgi SOURCE [PROGRAM-PREFIX...]: the responder as plain CGI with
# cgi.conf; prints the status line, leaves the answer in cgi.out.
run_cgi () {
	local src=$1
	shift
	env GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST \
		PATH_INFO="/$src" REQUEST_URI="/hooks/$src" REMOTE_ADDR=127.0.0.1 \
		CONTENT_LENGTH="$(wc -c <payload.json)" CONTENT_TYPE=application/json \
		HOOKDIR_CONF="$TRASH/cgi.conf" \
		"$@" "$HOOKDIR_FCGI" <payload.json >cgi.out 2>>cgi.err
	sed -n '1s/\r$//p' cgi.out
}

test_expect_success 'setup: nginx and four hookdir.fcgi processes' '
	setup_spool &&
	cat >hookdir.conf <<-EOF &&
	{
		"spool": "spool",
		"sources": {
			"burst": { "provider": "generic",
				"rate_limit": { "per_minute": 1, "burst": 5 } },
			"signed": { "provider": "generic", "secret": "$SECRET",
				"rate_limit": { "per_minute": 1, "burst": 2 } },
			"open": { "provider": "generic" }
		}
	}
	EOF
	chown_web hookdir.conf &&
	printf "{\"event\":\"push\"}\n" >payload.json &&
	hmac_sha256_hex "$SECRET" payload.json >payload.sig &&
	test_file_not_empty payload.sig &&
	start_nginx_fcgi 4
'

test_expect_success 'hookdir check: rate_limit is checked, with file, line and key' '
	mkdir bad &&
	for v in 0 -1 "\"120\"" 1000001 2.5 "[1]" "{ \"per_minute\": 0 }" \
		"{ \"per_minute\": 5, \"burst\": 0 }" "{ \"burst\": 5 }" \
		"{ \"per_minute\": 5, \"brust\": 5 }" "{ \"per_minute\": \"5\" }"
	do
		printf "{\n\"sources\": {\n\"s\": { \"provider\": \"generic\",\n\"rate_limit\": %s } } }\n" "$v" >bad/hookdir.conf &&
		test_expect_code 78 hookdir -c bad/hookdir.conf check >out 2>&1 &&
		test_grep "hookdir.conf:4: error: sources\.s\.rate_limit" out || return 1
	done &&
	for v in 1 120 1000000 "{ \"per_minute\": 60 }" \
		"{ \"per_minute\": 60, \"burst\": 5 }"
	do
		printf "{ \"sources\": { \"s\": { \"provider\": \"generic\", \"secret\": \"%s\", \"rate_limit\": %s } } }\n" "$SECRET" "$v" >bad/hookdir.conf &&
		hookdir -c bad/hookdir.conf check >out 2>&1 || return 1
	done
'

test_expect_success 'a source without rate_limit keeps no state and is not limited' '
	post_many 8 open &&
	test "$(count_codes 202)" = 8 &&
	test_path_is_missing spool/.rate &&
	spool_clear
'

test_expect_success 'burst 5 across four processes: 5 of 9 at once get 202, 4 get 429' '
	log_mark &&
	post_many 9 burst &&
	check_limited &&
	test "$(count_codes 202)" = 5 &&
	test "$(count_codes 429)" = 4 &&
	test "$(spool_count spool/new)" = 5 &&
	test_dir_is_empty spool/tmp &&
	log_lines >log.new &&
	grep "hookdir\.fcgi: 429 source=burst remote=127\.0\.0\.1: over rate_limit 1 a minute (burst 5)" log.new >log.429 &&
	test_line_count = 4 log.429 &&
	test_line_count = 4 log.new
'

test_expect_success 'the answers came from several processes' '
	for f in spool/new/*
	do
		sed -n "s/^Hookdir-Id: .*P\([0-9]*\)R.*/\1/p" "$f"
	done | sort -u >pids &&
	test $(wc -l <pids) -ge 2
'

test_expect_success 'the state file is the responder'"'"'s own, private' '
	test "$(stat -c "%a %U" spool/.rate)" = "700 $HTTPD_USER" &&
	test "$(stat -c "%a %U" spool/.rate/burst)" = "600 $HTTPD_USER" &&
	test_grep -E "^hookdir-rate 1 [0-9]{19} [0-9]{19}$" spool/.rate/burst
'

test_expect_success 'still limited: one more request is 429, nothing stored' '
	post_many 1 burst &&
	test "$(cat code.1)" = 429 &&
	check_limited &&
	test "$(spool_count spool/new)" = 5
'

test_expect_success 'unknown sources stay 404, wrong methods 405' '
	post_many 1 nosuch &&
	test "$(cat code.1)" = 404 &&
	hookdir_curl "$HOOK_URL_BASE/burst" >code &&
	test "$(cat code)" = 405
'

test_expect_success 'requests that fail verification do not count' '
	post_many 6 signed -H "X-Webhook-Signature: 00" &&
	test "$(count_codes 401)" = 6 &&
	test_path_is_missing spool/.rate/signed &&
	post_many 3 signed -H "X-Webhook-Signature: $(cat payload.sig)" &&
	test "$(count_codes 202)" = 2 &&
	test "$(count_codes 429)" = 1 &&
	check_limited &&
	test "$(spool_count spool/new)" = 7
'

test_expect_success FAKETIME_LIB 'three minutes later three more pass: the bucket refills, and outlives the processes' '
	stop_httpd spawn-fcgi &&
	HTTPD_FCGI_WRAPPER="$(command -v env) LD_PRELOAD=$FAKETIME_LIB FAKETIME=+3m" \
		start_spawn_fcgi 4 &&
	post_many 5 burst &&
	check_limited &&
	test "$(count_codes 202)" = 3 &&
	test "$(count_codes 429)" = 2 &&
	test "$(spool_count spool/new)" = 10
'

test_expect_success 'a state file that holds no bucket is reset to a full one, and logged' '
	stop_httpd spawn-fcgi &&
	start_spawn_fcgi 4 &&
	echo garbage >spool/.rate/burst &&
	log_mark &&
	post_many 1 burst &&
	test "$(cat code.1)" = 202 &&
	log_lines >log.new &&
	test_grep "rate_limit state .*/spool/.rate/burst held no bucket: reset to a full one" log.new &&
	test_grep -E "^hookdir-rate 1 [0-9]{19} [0-9]{19}$" spool/.rate/burst &&
	test $(wc -c <spool/.rate/burst) = 55 &&
	post_many 5 burst &&
	test "$(count_codes 202)" = 4 &&
	test "$(count_codes 429)" = 1 &&
	spool_clear
'

test_expect_success 'numbers too large for a bucket are no bucket either' '
	printf "hookdir-rate 1 %s %s\n" 9999999999999999999 9999999999999999999 \
		>spool/.rate/burst &&
	log_mark &&
	post_many 1 burst &&
	test "$(cat code.1)" = 202 &&
	log_lines >log.new &&
	test_grep "spool/.rate/burst held no bucket: reset to a full one" log.new &&
	post_many 5 burst &&
	test "$(count_codes 202)" = 4 &&
	test "$(count_codes 429)" = 1 &&
	spool_clear
'

test_expect_success 'removing the state file resets the bucket for every process' '
	post_many 8 burst &&
	test "$(count_codes 429)" = 8 &&
	rm spool/.rate/burst &&
	post_many 8 burst &&
	check_limited &&
	test "$(count_codes 202)" = 5 &&
	test "$(count_codes 429)" = 3 &&
	test "$(spool_count spool/new)" = 5 &&
	spool_clear
'

test_expect_success 'a state file that cannot be used is 503, never a free pass' '
	rm spool/.rate/burst &&
	echo "hookdir-rate 1 0000000000005000000 0000000000000000001" >elsewhere &&
	cp elsewhere elsewhere.before &&
	ln -s "$TRASH/elsewhere" spool/.rate/burst &&
	log_mark &&
	post_many 3 burst &&
	test "$(count_codes 503)" = 3 &&
	test "$(tr -d "\r" <headers.1 | sed -n "s/^Retry-After: //p")" = 60 &&
	printf "{\"error\":\"spool unavailable\"}\n" >expect.body &&
	test_cmp expect.body body.1 &&
	test_dir_is_empty spool/new &&
	test_cmp elsewhere.before elsewhere &&
	log_lines >log.new &&
	test_line_count = 3 log.new &&
	test_grep "503 source=burst .*rate_limit state .*/spool/.rate/burst: open: " log.new &&
	rm spool/.rate/burst &&
	mkdir spool/.rate/burst &&
	post_many 1 burst &&
	test "$(cat code.1)" = 503 &&
	rmdir spool/.rate/burst
'

test_expect_success 'plain CGI, one process per request, keeps the limit' '
	mkdir -p cgi-spool &&
	cat >cgi.conf <<-EOF &&
	{
		"spool": "cgi-spool",
		"sources": { "simple": { "provider": "generic", "rate_limit": 1 },
			"pair": { "provider": "generic",
				"rate_limit": { "per_minute": 1, "burst": 2 } } }
	}
	EOF
	for i in 1 2 3 4
	do
		run_cgi pair >"st.$i" || return 1
	done &&
	echo "Status: 202 Accepted" >expect &&
	test_cmp expect st.1 &&
	test_cmp expect st.2 &&
	echo "Status: 429 Too Many Requests" >expect &&
	test_cmp expect st.3 &&
	test_cmp expect st.4 &&
	tr -d "\r" <cgi.out >answer &&
	test_grep -E "^Retry-After: ([1-9]|[1-5][0-9]|60)$" answer &&
	test_grep -x "{\"error\":\"rate limited\"}" answer &&
	test "$(spool_count cgi-spool/new)" = 2 &&
	test "$(run_cgi simple)" = "Status: 202 Accepted" &&
	test "$(run_cgi simple)" = "Status: 429 Too Many Requests" &&
	test "$(spool_count cgi-spool/new)" = 3
'

test_expect_success FAKETIME 'plain CGI: a minute later one more passes' '
	test "$(run_cgi pair faketime -f +1m)" = "Status: 202 Accepted" &&
	test "$(run_cgi pair faketime -f +1m)" = "Status: 429 Too Many Requests" &&
	test "$(spool_count cgi-spool/new)" = 4
'

test_expect_success FAKETIME 'a clock set back neither refills nor locks out' '
	test "$(run_cgi simple faketime -f -1h)" = "Status: 429 Too Many Requests" &&
	test "$(run_cgi simple faketime -f +70s)" = "Status: 202 Accepted" &&
	test "$(run_cgi simple faketime -f +71s)" = "Status: 429 Too Many Requests" &&
	test "$(spool_count cgi-spool/new)" = 5
'

# ---------------------------------------------------------------- nginx
# The recipe of conf/nginx.conf'"'"'s comments: the limit_req_zone line
# for http { }, the limit_req lines for the location, with a rate a test
# can count (1 a minute, burst 3) instead of the recipe'"'"'s.
test_expect_success 'setup: nginx with the limit_req recipe' '
	sed -n "s/^#\t\(limit_req_zone .*\)/\1/p" "$top_srcdir/conf/nginx.conf" >zone &&
	sed -n "s/^#\t\(limit_req .*\)/\1/p; s/^#\t\(limit_req_status .*\)/\1/p" \
		"$top_srcdir/conf/nginx.conf" >location &&
	test_line_count = 1 zone &&
	test_line_count = 2 location &&
	test_grep "limit_req_status 429;" location &&
	sed -i "s/rate=[0-9]*r\/m/rate=1r\/m/" zone &&
	sed -i "s/burst=[0-9]*/burst=3/" location &&
	test_grep "rate=1r/m;" zone &&
	test_grep "burst=3 " location &&
	HTTPD_NGINX_HTTP=$(cat zone) HTTPD_NGINX_LOCATION=$(cat location) start_nginx &&
	grep -q limit_req_zone "$TRASH/nginx/conf/nginx.conf" &&
	grep -q "limit_req zone=" "$TRASH/nginx/conf/hookdir-location.conf"
'

test_expect_success 'nginx limit_req: 4 of 7 pass, 3 get 429 from nginx, never reaching hookdir' '
	log_mark &&
	post_many 7 open &&
	test "$(count_codes 202)" = 4 &&
	test "$(count_codes 429)" = 3 &&
	test "$(spool_count spool/new)" = 4 &&
	log_lines >log.new &&
	test_line_count = 0 log.new &&
	grep -c "limiting requests" "$HTTPD_ERROR_LOG" >n &&
	test "$(cat n)" -ge 3
'

test_done
