#!/bin/bash
test_description='synchronous responses: the fallback answer names the runs

When no step answers a waiting request, hookdir.fcgi answers 202 with the
event id and the ids of the runs the worker started for it, learned from
respond_dir/ID.runs (not from the history). When every run of the event
ended without answering, the wait ends at once. Through real nginx and
the real worker; nothing is left in respond_dir.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3
httpd_prereq nginx

# elapsed_ms START: milliseconds since START (date +%s%3N).
elapsed_ms () {
	echo $(( $(date +%s%3N) - $1 ))
}

# queued_id: the event id of a 202 fallback answer in response.
queued_id () {
	sed -n "s/^{\"id\":\"\([^\"]*\)\",\"status\":\"queued\",\"runs\":\[[0-9,]*\]}$/\1/p" response
}

# queued_runs: its runs, one a line, in order.
queued_runs () {
	sed -n "s/^{\"id\":\"[^\"]*\",\"status\":\"queued\",\"runs\":\[\([0-9,]*\)\]}$/\1/p" response |
	tr , "\n" | sort -n
}

# history_runs ID: the runs of event ID in the history, one a line.
history_runs () {
	sql "SELECT id FROM runs WHERE event = '$1' ORDER BY id"
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
	    "slow": { "provider": "generic", "respond": { "wait": "1s" } },
	    "fails": { "provider": "generic", "respond": { "wait": "15s" } },
	    "two": { "provider": "generic", "respond": { "wait": "15s" } },
	    "test": { "provider": "generic" }
	  }
	}
	EOF
	chown_web hookdir.conf &&
	cat >pipelines/slow.json <<-EOF &&
	{
	  "on": { "source": "slow" },
	  "jobs": { "late": { "steps": [
	    { "run": "sleep 3; hookdir respond --body late 2>$TRASH/late.err; echo \$? >$TRASH/late.rc" }
	  ] } }
	}
	EOF
	cat >pipelines/broken.json <<-\EOF &&
	{
	  "on": { "source": "fails" },
	  "jobs": { "build": { "steps": [ { "run": "exit 3" } ] } }
	}
	EOF
	cat >pipelines/quiet.json <<-\EOF &&
	{
	  "on": { "source": ["fails", "two"] },
	  "jobs": { "lint": { "steps": [ { "run": "true" } ] } }
	}
	EOF
	cat >pipelines/answers.json <<-\EOF &&
	{
	  "on": { "source": "two" },
	  "jobs": { "reply": { "steps": [
	    { "run": "sleep 1; hookdir respond --status 200 --body answered" }
	  ] } }
	}
	EOF
	cat >pipelines/spooled.json <<-\EOF &&
	{
	  "on": { "source": "test" },
	  "jobs": { "run": { "steps": [ { "run": "true" } ] } }
	}
	EOF
	check_config &&
	echo "{\"n\":1}" >body.json
'

test_expect_success NGINX 'start nginx and hookdir worker --watch' '
	start_nginx_fcgi 3 &&
	{ hookdir worker --watch 2>worker.err & } &&
	worker_pid=$! &&
	stop_at_exit $worker_pid
'

test_expect_success NGINX 'too slow a step: 202 names the run in the history' '
	start=$(date +%s%3N) &&
	hookdir_post "$HOOK_URL_BASE/slow" body.json >status &&
	took=$(elapsed_ms $start) &&
	echo 202 >expect &&
	test_cmp expect status &&
	test $took -ge 900 &&
	id=$(queued_id) &&
	test -n "$id" &&
	queued_runs >actual &&
	history_runs $id >expect &&
	test_line_count = 1 expect &&
	test_cmp expect actual &&
	wait_for test -f late.rc &&
	echo 75 >expect &&
	test_cmp expect late.rc &&
	wait_for event_status_is $id done &&
	test_dir_is_empty respond
'

test_expect_success NGINX 'every run fails without answering: 202 at once' '
	start=$(date +%s%3N) &&
	hookdir_post "$HOOK_URL_BASE/fails" body.json >status &&
	took=$(elapsed_ms $start) &&
	echo 202 >expect &&
	test_cmp expect status &&
	# far less than the 15s wait: the runs had ended, nobody could answer
	test $took -lt 7500 &&
	id=$(queued_id) &&
	test -n "$id" &&
	queued_runs >actual &&
	history_runs $id >expect &&
	test_line_count = 2 expect &&
	test_cmp expect actual &&
	sql "SELECT status FROM runs WHERE event = '\''$id'\''" >statuses &&
	test_grep "^failure$" statuses &&
	wait_for event_status_is $id done &&
	test_dir_is_empty respond
'

test_expect_success NGINX 'two pipelines, one answers after the other ended: the answer wins' '
	hookdir_post "$HOOK_URL_BASE/two" body.json >status &&
	echo 200 >expect &&
	test_cmp expect status &&
	printf answered >expect &&
	test_cmp expect response &&
	id=$(sql "SELECT event FROM runs WHERE pipeline = '\''answers'\''") &&
	test -n "$id" &&
	wait_for event_status_is $id done &&
	sql "SELECT pipeline, status FROM runs WHERE event = '\''$id'\'' ORDER BY pipeline" >actual &&
	printf "answers|success\nquiet|success\n" >expect &&
	test_cmp expect actual &&
	test_dir_is_empty respond
'

test_expect_success NGINX 'the worker removes what a killed responder left' '
	new_message push &&
	>respond/$event.wait &&
	echo 12 >respond/$event.runs &&
	mv spool/tmp/$event spool/new/$event &&
	wait_for event_status_is $event done &&
	test_dir_is_empty respond
'

test_expect_success NGINX 'the worker stops' '
	kill -TERM $worker_pid &&
	wait_exit $worker_pid
'

test_done
