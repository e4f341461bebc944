#!/bin/bash
test_description='retry: attempts with exponential backoff, each one recorded'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

event_base=1764010

# Milliseconds between two recorded times.
ms_between () {
	sql "SELECT CAST(round((julianday(($2)) - julianday(($1))) * 86400000) AS INTEGER)"
}

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/flaky.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["flaky"] },
	  "keep_workspace": true,
	  "jobs": {
	    "work": { "steps": [
	      { "name": "flaky", "retry": { "attempts": 4, "backoff": "200ms" },
	        "run": "n=$(cat \"$HOOKDIR_WORKSPACE/count\" 2>/dev/null || echo 0); n=$((n + 1)); echo $n >\"$HOOKDIR_WORKSPACE/count\"; echo \"try $n\"; test $n -ge 3" },
	      { "name": "after", "run": "echo after" }
	    ] }
	  }
	}
	EOF
	cat >pipelines/slowfirst.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["slowfirst"] },
	  "jobs": {
	    "work": { "steps": [
	      { "name": "stuck", "timeout": "1s", "retry": { "attempts": 2, "backoff": "100ms" },
	        "run": "if test -f \"$HOOKDIR_WORKSPACE/once\"; then echo quick; else touch \"$HOOKDIR_WORKSPACE/once\"; sleep 300; fi" }
	    ] }
	  }
	}
	EOF
	cat >pipelines/hopeless.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["hopeless"] },
	  "jobs": {
	    "work": { "steps": [
	      { "name": "never", "retry": { "attempts": 2, "backoff": "100ms" }, "run": "echo nope; exit 7" }
	    ] },
	    "next": { "needs": ["work"], "steps": [ { "run": "echo never" } ] }
	  }
	}
	EOF
	check_config
'

test_expect_success 'a step that fails twice, then succeeds' '
	queue_event flaky &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run flaky) &&
	sql "SELECT status FROM runs WHERE id = $run" >actual &&
	echo success >expect &&
	test_cmp expect actual &&
	echo 3 >expect &&
	test_cmp expect state/work/$run/count
'

test_expect_success 'each attempt is a row of its own' '
	sql "SELECT name, idx, attempt, status, exit_code FROM steps WHERE run = $run ORDER BY id" >actual &&
	cat >expect <<-\EOF &&
	flaky|1|1|failure|1
	flaky|1|2|failure|1
	flaky|1|3|success|0
	after|2|1|success|0
	EOF
	test_cmp expect actual
'

test_expect_success 'the waits grow: at least half the backoff, doubled each time' '
	t1=$(ms_between "SELECT finished FROM steps WHERE run = $run AND attempt = 1" \
		"SELECT started FROM steps WHERE run = $run AND attempt = 2") &&
	t2=$(ms_between "SELECT finished FROM steps WHERE run = $run AND attempt = 2" \
		"SELECT started FROM steps WHERE run = $run AND attempt = 3") &&
	echo "waited $t1 ms, then $t2 ms" &&
	test "$t1" -ge 100 && test "$t1" -le 1500 &&
	test "$t2" -ge 200 && test "$t2" -le 2000
'

test_expect_success 'each attempt has its own log, and hookdir log shows them all' '
	cat >expect <<-\EOF &&
	hookdir: attempt 2 of 4
	try 2
	EOF
	test_cmp expect state/logs/$run/work/flaky.attempt2.log &&
	hookdir log $run work >actual &&
	cat >expect <<-\EOF &&
	==> work/flaky: failure, exit 1 <==
	hookdir: attempt 1 of 4
	try 1

	==> work/flaky: failure, exit 1 <==
	hookdir: attempt 2 of 4
	try 2

	==> work/flaky: success, exit 0 <==
	hookdir: attempt 3 of 4
	try 3

	==> work/after: success, exit 0 <==
	after
	EOF
	test_cmp expect actual
'

test_expect_success 'a step timeout is retried too' '
	queue_event slowfirst &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run slowfirst) &&
	sql "SELECT attempt, status, reason FROM steps WHERE run = $run ORDER BY id" >actual &&
	cat >expect <<-\EOF &&
	1|timed_out|step timeout 1s
	2|success|
	EOF
	test_cmp expect actual &&
	sql "SELECT status FROM runs WHERE id = $run" >actual &&
	echo success >expect &&
	test_cmp expect actual
'

test_expect_success 'when every attempt fails, the step and the job fail' '
	queue_event hopeless &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run hopeless) &&
	sql "SELECT attempt, status, reason FROM steps WHERE run = $run ORDER BY id" >actual &&
	cat >expect <<-\EOF &&
	1|failure|exit status 7
	2|failure|exit status 7
	EOF
	test_cmp expect actual &&
	sql "SELECT name, status, reason FROM jobs WHERE run = $run ORDER BY id" >actual &&
	cat >expect <<-\EOF &&
	work|failure|step never: exit status 7
	next|skipped|needs work: failure
	EOF
	test_cmp expect actual
'

test_done
