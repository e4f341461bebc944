#!/bin/bash
test_description='hookdir cancel RUN: from another process, a running run ends cancelled'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

event_base=1764040

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/long.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["long"] },
	  "jobs": {
	    "slow": { "steps": [
	      { "name": "nap", "run": "sleep 300 & echo $! >\"$HOOKDIR_WORKSPACE/sleep.pid\"; wait" },
	      { "name": "later", "run": "echo never" }
	    ] },
	    "waiting": { "needs": ["slow"], "if": "true", "steps": [ { "run": "echo never" } ] },
	    "quick": { "steps": [ { "run": "echo quick" } ] }
	  }
	}
	EOF
	check_config
'

test_expect_success 'a worker runs a long step' '
	queue_event long &&
	{ hookdir worker --once -j 2 2>worker.err & } &&
	pid=$! &&
	stop_at_exit $pid &&
	wait_for test -s state/work/1/sleep.pid &&
	sleeper=$(cat state/work/1/sleep.pid) &&
	process_alive $sleeper
'

test_expect_success 'hookdir cancel asks for it from another process' '
	hookdir cancel 1 >out &&
	test_grep "cancel requested" out
'

test_expect_success 'the worker stops the step and ends the run cancelled' '
	wait_exit $pid 20 &&
	sql "SELECT status, reason FROM runs WHERE id = 1" >actual &&
	echo "cancelled|cancelled by \`hookdir cancel\`" >expect &&
	test_cmp expect actual &&
	sql "SELECT name, status FROM jobs WHERE run = 1 ORDER BY id" >actual &&
	cat >expect <<-\EOF &&
	slow|cancelled
	waiting|cancelled
	quick|success
	EOF
	test_cmp expect actual &&
	sql "SELECT name, status FROM steps WHERE run = 1 ORDER BY id" >actual &&
	cat >expect <<-\EOF &&
	1|success
	nap|cancelled
	EOF
	sort expect >expect.sorted &&
	sort actual >actual.sorted &&
	test_cmp expect.sorted actual.sorted &&
	test_grep "run 1 long: cancelled" worker.err
'

test_expect_success 'its whole process group is gone' '
	! process_alive $sleeper
'

test_expect_success 'the event is done: a cancelled run is not run again' '
	event_status_is $event done &&
	test_dir_is_empty spool/cur
'

test_expect_success 'cancelling an ended run says so' '
	hookdir cancel 1 >out &&
	test_grep "already ended" out
'

test_done
