#!/bin/bash
test_description='synchronous responses: a step answers the waiting request

A source with "respond": {"wait": ...} holds the request open after the
durable write until a step calls `hookdir respond`; the first answer
wins, later ones are ignored (exit 75), the pipeline goes on running.
Too slow a step leaves the sender the usual 202 with the id. Through
real nginx and the real worker; the response file and the ID.wait marker
in respond_dir are gone afterwards.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3
httpd_prereq nginx

# elapsed_ms START: milliseconds since START (date +%s%3N).
elapsed_ms () {
	echo $(( $(date +%s%3N) - $1 ))
}

# wait_marker: the id of the event whose request waits in respond/.
wait_marker () {
	local m
	m=$(find respond -name "*.wait" -printf "%f\n") &&
	test -n "$m" &&
	echo "${m%.wait}"
}

test_expect_success 'setup' '
	setup_spool &&
	mkdir pipelines respond &&
	chown_web respond &&
	cat >hookdir.conf <<-\EOF &&
	{
	  "spool": "spool",
	  "state": "state",
	  "pipelines": "pipelines",
	  "sources": {
	    // answered by a step
	    "sync": { "provider": "generic", "respond": { "wait": "15s" } },
	    // the step is slower than the wait
	    "slow": { "provider": "generic", "respond": { "wait": "1s" } },
	    // no pipeline: answered by hand in the tests below
	    "manual": { "provider": "generic", "respond": { "wait": "10s" } },
	    // answered 422 by a step
	    "validate": { "provider": "generic", "respond": { "wait": "15s" } },
	    // does not wait at all
	    "plain": { "provider": "generic" }
	  }
	}
	EOF
	chown_web hookdir.conf &&
	cat >pipelines/answer.json <<-EOF &&
	{
	  "on": { "source": "sync" },
	  "jobs": {
	    "reply": { "steps": [
	      { "run": "hookdir respond --status 201 --header \"X-Answer: yes\" --header \"Content-Type: application/json\" --body \"{\\\\\"id\\\\\":\\\\\"\$HOOKDIR_EVENT_ID\\\\\"}\" 2>$TRASH/first.err; echo \$? >$TRASH/first.rc" },
	      { "run": "echo second | hookdir respond --status 500 --body - 2>$TRASH/second.err; echo \$? >$TRASH/second.rc" }
	    ] },
	    "later": { "needs": ["reply"], "steps": [
	      { "run": "sleep 1; echo \"\$HOOKDIR_EVENT_ID\" >$TRASH/later" }
	    ] }
	  }
	}
	EOF
	cat >pipelines/validate.json <<-EOF &&
	{
	  "on": { "source": "validate" },
	  "jobs": { "check": { "steps": [
	    { "run": "hookdir respond --status 422 --body invalid" }
	  ] } }
	}
	EOF
	cat >pipelines/late.json <<-EOF &&
	{
	  "on": { "source": "slow" },
	  "jobs": { "late": { "steps": [
	    { "run": "sleep 3; hookdir respond --body late 2>$TRASH/late.err; echo \$? >$TRASH/late.rc" }
	  ] } }
	}
	EOF
	cat >pipelines/unwaited.json <<-EOF &&
	{
	  "on": { "source": "plain" },
	  "jobs": { "try": { "steps": [
	    { "run": "hookdir respond --body nobody 2>$TRASH/plain.err; echo \$? >$TRASH/plain.rc" }
	  ] } }
	}
	EOF
	check_config &&
	echo "{\"n\":1}" >body.json
'

test_expect_success 'hookdir check: respond.wait is checked' '
	mkdir bad &&
	for w in "\"31s\"" "0" "\"soon\"" "[1]"
	do
		printf "{ \"sources\": { \"s\": { \"provider\": \"generic\", \"respond\": { \"wait\": %s } } } }\n" "$w" >bad/hookdir.conf &&
		test_expect_code 78 hookdir -c bad/hookdir.conf check >out 2>&1 &&
		test_grep "sources.s.respond.wait" out || return 1
	done &&
	printf "{ \"sources\": { \"s\": { \"provider\": \"generic\", \"respond\": { \"wiat\": \"5s\" } } } }\n" >bad/hookdir.conf &&
	test_expect_code 78 hookdir -c bad/hookdir.conf check >out 2>&1 &&
	test_grep "sources.s.respond.wiat: unknown key" out &&
	test_grep "sources.s.respond: needs \"wait\"" out &&
	printf "{ \"respond_dir\": 5, \"sources\": {} }\n" >bad/hookdir.conf &&
	test_expect_code 78 hookdir -c bad/hookdir.conf check >out 2>&1 &&
	test_grep "respond_dir" out &&
	printf "{ \"respond_dir\": \"nowhere\", \"sources\": { \"s\": { \"provider\": \"generic\", \"respond\": { \"wait\": 2.5 } } } }\n" >bad/hookdir.conf &&
	hookdir -c bad/hookdir.conf check >out 2>&1 &&
	test_grep "warning: respond_dir: $TRASH/bad/nowhere: No such file or directory: requests will be answered without waiting" out
'

test_expect_success 'hookdir respond checks what it is given' '
	HOOKDIR_EVENT_ID=1763800001.M1P1R1.test &&
	export HOOKDIR_EVENT_ID &&
	test_when_finished "unset HOOKDIR_EVENT_ID" &&
	for s in 199 600 20x "" 2000
	do
		test_expect_code 64 hookdir respond --status "$s" 2>err &&
		test_grep "must be 200-599" err || return 1
	done &&
	test_expect_code 64 hookdir respond --header "Bad Name: x" 2>err &&
	test_grep "is not a header name" err &&
	test_expect_code 64 hookdir respond --header "NoColon" 2>err &&
	test_expect_code 64 hookdir respond --header "X-A: one
X-B: two" 2>err &&
	test_grep "one line" err &&
	test_expect_code 64 hookdir respond --header "X-A: a$(printf "\r")" 2>err &&
	test_expect_code 64 hookdir respond --header "Content-Length: 3" 2>err &&
	test_grep "Content-Length is set by hookdir.fcgi" err &&
	test_expect_code 64 hookdir respond --header "Transfer-Encoding: chunked" 2>err &&
	test_expect_code 64 hookdir respond --status 204 --body x 2>err &&
	head -c 1048577 /dev/zero >big &&
	test_expect_code 65 hookdir respond --body - <big 2>err &&
	test_grep "larger than 1048576 bytes" err &&
	test_expect_code 64 hookdir respond extra 2>err &&
	test_grep "^usage: hookdir respond" err &&
	hookdir respond --help >out &&
	test_grep "^usage: hookdir respond" out &&
	test_expect_code 64 env -u HOOKDIR_EVENT_ID hookdir respond --body x 2>err &&
	test_grep "HOOKDIR_EVENT_ID is not set" err &&
	test_expect_code 64 env HOOKDIR_EVENT_ID=../x hookdir respond 2>err &&
	test_expect_code 75 hookdir respond --body x 2>err &&
	test_grep "nobody is waiting for event $HOOKDIR_EVENT_ID" err &&
	test_dir_is_empty respond
'

test_expect_success 'a marker its responder left (killed) is removed' '
	>respond/1763800002.M1P1R1.test.wait &&
	echo 12 >respond/1763800002.M1P1R1.test.runs &&
	test_expect_code 75 env HOOKDIR_EVENT_ID=1763800002.M1P1R1.test \
		hookdir respond --body x 2>err &&
	test_grep "nobody is waiting" err &&
	test_dir_is_empty respond
'

test_expect_success NGINX 'start nginx and hookdir worker --watch' '
	start_nginx_fcgi 3 &&
	{ hookdir worker --watch 2>worker.err & } &&
	worker_pid=$! &&
	stop_at_exit $worker_pid
'

test_expect_success NGINX 'a step answers: its status, headers and body' '
	start=$(date +%s%3N) &&
	hookdir_post "$HOOK_URL_BASE/sync" body.json >status &&
	echo 201 >expect &&
	test_cmp expect status &&
	test $(elapsed_ms $start) -lt 15000 &&
	# the answer came while the run was still going
	test_path_is_missing later &&
	tr -d "\r" <response.headers >headers &&
	test_grep "^X-Answer: yes$" headers &&
	test_grep "^Content-Type: application/json$" headers &&
	id=$(sed -n "s/^{\"id\":\"\(.*\)\"}$/\1/p" response) &&
	test -n "$id" &&
	test_path_is_missing spool/tmp/$id &&
	wait_for test -f later &&
	echo "$id" >expect &&
	test_cmp expect later &&
	echo 0 >expect &&
	test_cmp expect first.rc &&
	test_line_count = 0 first.err
'

test_expect_success NGINX 'a step'"'"'s status has its own reason phrase: 422 Unprocessable Content' '
	hookdir_post "$HOOK_URL_BASE/validate" body.json >status &&
	echo 422 >expect &&
	test_cmp expect status &&
	printf invalid >expect &&
	test_cmp expect response &&
	head -n 1 response.headers | tr -d "\r" >status.line &&
	echo "HTTP/1.1 422 Unprocessable Content" >expect &&
	test_cmp expect status.line
'

test_expect_success NGINX 'a second hookdir respond is ignored, and says so' '
	echo 75 >expect &&
	test_cmp expect second.rc &&
	test_grep "nobody is waiting\|already has its response" second.err &&
	test_grep ! second response
'

test_expect_success NGINX 'the pipeline went on running to success' '
	wait_for event_status_is $id done &&
	run_status_is $id success &&
	test_path_is_file spool/done/$id
'

test_expect_success NGINX 'nothing is left in respond_dir' '
	test_dir_is_empty respond
'

test_expect_success NGINX 'too slow a step: 202 with the id after the wait' '
	start=$(date +%s%3N) &&
	hookdir_post "$HOOK_URL_BASE/slow" body.json >status &&
	took=$(elapsed_ms $start) &&
	echo 202 >expect &&
	test_cmp expect status &&
	test $took -ge 900 &&
	test $took -lt 3000 &&
	id=$(sed -n "s/^{\"id\":\"\([^\"]*\)\",\"status\":\"queued\",\"runs\":\[[0-9]*\]}$/\1/p" response) &&
	test -n "$id" &&
	wait_for test -f late.rc &&
	echo 75 >expect &&
	test_cmp expect late.rc &&
	test_grep "nobody is waiting for event $id" late.err &&
	wait_for event_status_is $id done &&
	run_status_is $id success &&
	test_dir_is_empty respond
'

test_expect_success NGINX 'a source without respond does not wait' '
	hookdir_post "$HOOK_URL_BASE/plain" body.json >status &&
	echo 202 >expect &&
	test_cmp expect status &&
	wait_for test -f plain.rc &&
	echo 75 >expect &&
	test_cmp expect plain.rc &&
	test_grep "nobody is waiting" plain.err &&
	test_dir_is_empty respond
'

test_expect_success NGINX 'an answer written by hand: any bytes in the body' '
	{ hookdir_post "$HOOK_URL_BASE/manual" body.json >status & } &&
	curl_pid=$! &&
	wait_for wait_marker >/dev/null &&
	id=$(wait_marker) &&
	printf "\0\1binary\n" >payload.bin &&
	HOOKDIR_EVENT_ID=$id hookdir respond --status 299 \
		--header "Content-Type: application/octet-stream" --body - <payload.bin &&
	wait $curl_pid &&
	echo 299 >expect &&
	test_cmp expect status &&
	test_cmp payload.bin response &&
	test_dir_is_empty respond
'

test_expect_success NGINX 'the first answer wins while the responder has not read it' '
	{ hookdir_post "$HOOK_URL_BASE/manual" body.json >status & } &&
	curl_pid=$! &&
	wait_for wait_marker >/dev/null &&
	id=$(wait_marker) &&
	# Stopped, the responder cannot take the first answer before the second comes.
	test_when_finished "kill -CONT $SPAWN_FCGI_PIDS" &&
	kill -STOP $SPAWN_FCGI_PIDS &&
	HOOKDIR_EVENT_ID=$id hookdir respond --status 200 --body first &&
	test_expect_code 75 env HOOKDIR_EVENT_ID=$id \
		hookdir respond --status 500 --body second 2>err &&
	test_grep "ignored: event $id already has its response" err &&
	kill -CONT $SPAWN_FCGI_PIDS &&
	wait $curl_pid &&
	echo 200 >expect &&
	test_cmp expect status &&
	printf first >expect &&
	test_cmp expect response &&
	test_dir_is_empty respond
'

test_expect_success NGINX 'a malformed answer file: 202, and it is removed' '
	{ hookdir_post "$HOOK_URL_BASE/manual" body.json >status & } &&
	curl_pid=$! &&
	wait_for wait_marker >/dev/null &&
	id=$(wait_marker) &&
	printf "Status: 99\n\nx" >respond/.tmp &&
	mv respond/.tmp respond/$id &&
	wait $curl_pid &&
	echo 202 >expect &&
	test_cmp expect status &&
	test_grep "\"id\":\"$id\"" response &&
	test_dir_is_empty respond
'

test_expect_success NGINX 'the worker stops' '
	kill -TERM $worker_pid &&
	wait_exit $worker_pid
'

test_done
