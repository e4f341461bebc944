#!/bin/bash
test_description='a worker killed with -9 as its step starts

The worker records a step'\''s process group before the step runs
anything: a step whose worker dies before that record is committed
would be one the recovering worker cannot find and end, and the event
would run again beside it. The worker is stopped by gdb at the record
(history_step_create, which writes the step'\''s row whole) and killed
there.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3 gdb

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/once.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["once"] },
	  "jobs": { "one": { "steps": [ {
	    "run": "echo \"start \$HOOKDIR_RUN_ID\" >>\"$TRASH/f\"" } ] } }
	}
	EOF
	check_config
'

test_expect_success 'the worker is killed between the start of its step and its record' '
	queue_event once &&
	gdb -batch -nx -ex "set breakpoint pending on" \
		-ex "break history_step_create" -ex run -ex kill \
		--args "$(command -v hookdir)" worker --once \
		>gdb.out 2>&1 </dev/null &&
	test_grep "Breakpoint 1, history_step_create" gdb.out &&
	test_path_is_file spool/cur/$event
'

test_expect_success 'the step did not run; the next worker runs the event once' '
	hookdir worker --once 2>worker2.err &&
	test_path_is_file spool/done/$event &&
	run=$(last_run once) &&
	echo "start $run" >expect &&
	test_cmp expect f &&
	run_status_is $event success
'

test_done
