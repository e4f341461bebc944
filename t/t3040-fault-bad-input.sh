#!/bin/bash
test_description='bad input: each gets a defined answer, and the responder goes on

Through nginx and spawn-fcgi (and as plain CGI where a web server would
not pass the request on): headers that try to pass for the spool'"'"'s own
Hookdir-* lines, header names no web server sends, non-UTF-8 headers and
bodies, JSON nested 10 000 deep, an object of 100 000 keys, duplicate
headers, bodies shorter than their Content-Length, and a slow sender.
Every request gets its documented status with a JSON body, the same
responder processes serve the next one, and the worker processes every
event that was accepted (the deep and the huge JSON too) without
sending any to failed/.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

httpd_require nginx
test_require_prog sqlite3

TOKEN=bad-input-77a0

# post FILE [CURL-ARGS]: POST FILE to source "open"; prints the status.
post () {
	local f=$1
	shift
	hookdir_post "$HOOK_URL_BASE/open" "$f" -H "Content-Type: application/json" "$@"
}

# accepted CODE: a 202, and the one new spool file in $STORED (new/ is
# cleared first by the caller with spool_clear).
accepted () {
	if [ "$1" != 202 ]; then
		echo >&2 "status $1, not 202:"
		cat >&2 response.headers response
		return 1
	fi
	STORED=spool/new/$(response_id) &&
	test_path_is_file "$STORED" &&
	test "$(spool_count spool/new)" = 1
}

# answered CODE ERROR: that status and {"error":"ERROR"}, nothing spooled.
answered () {
	if [ "$1" != "$2" ]; then
		echo >&2 "status $1, not $2:"
		cat >&2 response.headers response
		return 1
	fi
	test "$(response_error)" = "$3" &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/tmp
}

# The same responders serve on.
responders_alive () {
	local p
	for p in $SPAWN_FCGI_PIDS
	do
		httpd_alive_ "$p" || { echo >&2 "responder $p is gone"; return 1; }
	done
}

# cgi BODYFILE NAME=VALUE...: hookdir.fcgi as plain CGI, source "open";
# the answer in cgi.out.
cgi () {
	local body=$1
	shift
	env -i PATH="$PATH" HOOKDIR_CONF="$TRASH/hookdir.conf" \
		REQUEST_METHOD=POST PATH_INFO=/open CONTENT_TYPE=application/json \
		CONTENT_LENGTH="$(wc -c <"$body" | tr -d ' ')" REMOTE_ADDR=127.0.0.1 \
		"$@" "$HOOKDIR_FCGI" <"$body" >cgi.out 2>cgi.err
}

cgi_status () {
	sed -n '1s/^Status: \([0-9]*\).*/\1/p' cgi.out
}

test_expect_success 'setup: sources, pipelines, nginx' '
	setup_spool &&
	mkdir pipelines &&
	cat >hookdir.conf <<-EOF &&
	{
		"spool": "spool",
		"state": "state",
		"sources": {
			"open": { "provider": "generic" },
			"tok": { "provider": "generic", "algorithm": "token",
				 "signature_header": "X-Token", "secret": "$TOKEN" },
			"pay": { "provider": "stripe", "secret": "whsec_bad_input" }
		}
	}
	EOF
	chown_web hookdir.conf &&
	cat >pipelines/all.json <<-EOF &&
	{ "on": { "source": ["open", "tok", "pay"] },
	  "jobs": { "log": { "steps": [
	    { "run": "echo \"\${HOOKDIR_MESSAGE##*/} \$HOOKDIR_EVENT\" >>\"$TRASH/all.log\"" } ] } } }
	EOF
	cat >pipelines/keys.json <<-EOF &&
	{ "on": { "source": "open", "if": "len(payload) == 100000 && payload.k99999 == 99999" },
	  "jobs": { "log": { "steps": [
	    { "run": "echo \"\${HOOKDIR_MESSAGE##*/}\" >>\"$TRASH/keys.log\"" } ] } } }
	EOF
	cat >pipelines/nopayload.json <<-EOF &&
	{ "on": { "source": "open", "if": "payload == nil && len(body) > 0" },
	  "jobs": { "log": { "steps": [
	    { "run": "echo \"\${HOOKDIR_MESSAGE##*/}\" >>\"$TRASH/nopayload.log\"" } ] } } }
	EOF
	hookdir check >check.out 2>&1 &&
	echo "{\"a\": 1}" >small.json &&
	start_nginx_fcgi 2 &&
	code=$(post small.json) &&
	accepted $code &&
	spool_clear
'

test_expect_success 'header injection: a sender cannot write Hookdir-* lines' '
	code=$(post small.json -H "Hookdir-Source: tok" -H "Hookdir-Event: evil" \
		-H "Hookdir-Chain-Depth: 99" -H "Hookdir-Id: 1.M1P1R1.forged" \
		-H "Hookdir-Provider: hookdir" -H "X-Fine: yes") &&
	accepted $code &&
	sed "/^\$/q" "$STORED" >head &&
	test_grep -c "^Hookdir-Source: open\$" head >n &&
	test "$(cat n)" = 1 &&
	test_grep "^Hookdir-Provider: generic\$" head &&
	test_grep ! -i -e "evil" -e "Chain-Depth" -e forged -e "Provider: hookdir" head &&
	test_grep "^X-Fine: yes\$" head &&
	cp "$STORED" injected.msg &&
	spool_clear &&
	responders_alive
'

test_expect_success 'header injection: CR LF inside a header value' '
	# curl sends the value as it is; whatever nginx makes of it, the
	# spool file keeps one header per line and no forged Hookdir line.
	code=$(post small.json -H "$(printf "X-Split: a\r\nHookdir-Event: evil")") &&
	case $code in
	202)
		STORED=spool/new/$(response_id) &&
		sed "/^\$/q" "$STORED" >head &&
		test_grep ! evil head ;;
	400)
		test_dir_is_empty spool/new ;;
	*)
		false ;;
	esac &&
	spool_clear &&
	responders_alive
'

test_expect_success 'header names no web server passes on (plain CGI)' '
	cgi small.json "HTTP_=empty" "$(printf "HTTP_A\nHOOKDIR_SOURCE=tok")" \
		"HTTP_X:Y=colon" "HTTP_HOOKDIR_EVENT=evil" "HTTP_X_OK=fine" &&
	test "$(cgi_status)" = 202 &&
	f=$(spool_files spool/new) &&
	message_ok=$(sed "/^\$/q" "$f" | grep -c -v "^[A-Za-z0-9-]*: " || :) &&
	test "$message_ok" = 1 &&
	test_grep "^X-Ok: fine\$" "$f" &&
	test_grep ! -e evil -e empty -e colon "$f" &&
	mkdir -p keep && mv "$f" keep/
'

test_expect_success 'a URI and headers over 64 KiB in all: 431 (plain CGI)' '
	cgi small.json "REQUEST_URI=/hooks/open?$(head -c 70000 /dev/zero | tr "\0" a)" &&
	test "$(cgi_status)" = 431 &&
	test_dir_is_empty spool/new &&
	cgi small.json "HTTP_X_BIG=$(head -c 70000 /dev/zero | tr "\0" b)" &&
	test "$(cgi_status)" = 431 &&
	test_dir_is_empty spool/new
'

test_expect_success 'non-UTF-8 header values and bodies' '
	printf "{\"name\": \"\377\376\200\", \"ok\": \"caf\303\251\"}" >latin.json &&
	code=$(post latin.json -H "$(printf "X-Bytes: \377\376\200 end")") &&
	accepted $code &&
	spool_body "$STORED" >got &&
	cmp latin.json got &&
	test_grep "$(printf "^X-Bytes: \377\376\200 end")" "$STORED" &&
	mv "$STORED" keep/ &&
	printf "\377\376not json at all\200\n" >binary.body &&
	code=$(post binary.body -H "Content-Type: text/plain") &&
	accepted $code &&
	mv "$STORED" keep/ &&
	responders_alive
'

test_expect_success 'JSON nested 10 000 deep' '
	{ head -c 10000 /dev/zero | tr "\0" "["; head -c 10000 /dev/zero | tr "\0" "]"; } >deep.json &&
	code=$(post deep.json) &&
	accepted $code &&
	cp "$STORED" deep.msg &&
	mv "$STORED" keep/ &&
	# A provider that reads the event type from the body parses it too.
	"$TEST_TOOL" sign hookdir.conf pay deep.json >sig &&
	code=$(hookdir_post "$HOOK_URL_BASE/pay" deep.json -H @sig \
		-H "Content-Type: application/json") &&
	accepted $code &&
	test_grep ! "^Hookdir-Event:" "$STORED" &&
	mv "$STORED" keep/ &&
	responders_alive
'

test_expect_success 'an object of 100 000 keys' '
	awk "BEGIN { printf \"{\"; for (i = 0; i < 100000; i++) printf \"%s\\\"k%d\\\": %d\", i ? \",\" : \"\", i, i; print \"}\" }" >keys.json &&
	test "$(wc -c <keys.json)" -gt 1000000 &&
	code=$(post keys.json) &&
	accepted $code &&
	spool_body "$STORED" >got &&
	cmp keys.json got &&
	cp "$STORED" keys.msg &&
	mv "$STORED" keep/ &&
	responders_alive
'

test_expect_success 'duplicate headers' '
	code=$(post small.json -H "X-Dup: one" -H "X-Dup: two") &&
	accepted $code &&
	test_grep "^X-Dup: one" "$STORED" &&
	test_grep "two\$" "$STORED" &&
	mv "$STORED" keep/ &&
	# A second token header: the first one counts.
	code=$(hookdir_post "$HOOK_URL_BASE/tok" small.json -H "X-Token: wrong" \
		-H "X-Token: $TOKEN") &&
	answered $code 401 "invalid signature" &&
	code=$(hookdir_post "$HOOK_URL_BASE/tok" small.json -H "X-Token: $TOKEN" \
		-H "X-Token: wrong") &&
	accepted $code &&
	mv "$STORED" keep/ &&
	responders_alive
'

test_expect_success 'a body shorter than its Content-Length' '
	# Through nginx: the sender gives up; nothing reaches the spool.
	exec 3<>"/dev/tcp/127.0.0.1/$HTTPD_PORT" &&
	printf "POST /hooks/open HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{\"short\":" >&3 &&
	sleep 0.5 &&
	exec 3>&- &&
	sleep 0.5 &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/tmp &&
	code=$(post small.json) &&
	accepted $code &&
	mv "$STORED" keep/ &&
	# As plain CGI, where the responder reads it itself: 400.
	printf "{\"short\":" >short.json &&
	cgi short.json CONTENT_LENGTH=1000 &&
	test "$(cgi_status)" = 400 &&
	test_grep "{\"error\":\"bad request\"}" cgi.out &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/tmp &&
	responders_alive
'

test_expect_success 'a slow sender does not hold up the others' '
	head -c 8000 /dev/zero | tr "\0" s | sed "s/^/\"/; s/\$/\"/" >slow.json &&
	{ "$CURL" -sS --max-time 60 --limit-rate 4k -o slow.response -w "%{http_code}" \
		-H "Content-Type: application/json" --data-binary @slow.json \
		"$HOOK_URL_BASE/open" >slow.code 9>&- & } &&
	slow=$! &&
	sleep 0.3 &&
	code=$(post small.json) &&
	test "$code" = 202 &&
	# Answered while the slow one is still sending.
	kill -0 $slow &&
	mv spool/new/$(response_id) keep/ &&
	wait $slow &&
	test "$(cat slow.code)" = 202 &&
	id=$(sed -n "s/^{\"id\":\"\([^\"]*\)\".*/\1/p" slow.response) &&
	spool_body spool/new/$id >got &&
	cmp slow.json got &&
	mv spool/new/$id keep/ &&
	responders_alive
'

test_expect_success 'the worker processes every accepted event' '
	mv keep/* spool/new/ &&
	n=$(spool_count spool/new) &&
	hookdir worker --once 2>worker.err &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/cur &&
	test_dir_is_empty spool/failed &&
	test "$(spool_count spool/done)" = "$n" &&
	test_line_count = "$n" all.log &&
	# The 100 000 keys reached the expression; the deep JSON is no
	# payload but still a body; the binary and non-JSON ones too.
	test_line_count = 1 keys.log &&
	test_grep "^$(sed -n "s/^Hookdir-Id: //p" keys.msg)\$" keys.log &&
	test_line_count = 2 nopayload.log &&
	test_grep "^$(sed -n "s/^Hookdir-Id: //p" deep.msg)\$" nopayload.log &&
	sql "SELECT count(*) FROM events WHERE status <> '\''done'\''" >bad &&
	echo 0 >expect &&
	test_cmp expect bad
'

test_done
