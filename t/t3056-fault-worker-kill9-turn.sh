#!/bin/bash
test_description='a worker killed with -9 between a step'\''s end and the next event'\''s start

One transaction records what a turn of the worker'\''s loop saw and did:
the end of the step that finished, the event it ended, the next event
claimed and its step'\''s start. The file of the ended event moves to
done/ only once that is committed, and the new step runs only then. The
worker is stopped by gdb as it commits that turn (the history_batch_end
after the second history_step_create) and killed there: neither event
may have gone further than the history says.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3 gdb

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/once.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["once"] },
	  "jobs": { "one": { "steps": [ {
	    "run": "echo \"start \$HOOKDIR_EVENT_ID\" >>\"$TRASH/f\"" } ] } }
	}
	EOF
	check_config &&
	queue_event once &&
	e1=$event &&
	queue_event once &&
	e2=$event &&
	echo "$e1" >e1 &&
	echo "$e2" >e2
'

test_expect_success 'the worker is killed as it commits the second step'\''s start' '
	e1=$(cat e1) && e2=$(cat e2) &&
	gdb -batch -nx -ex "set breakpoint pending on" \
		-ex "break history_step_create" -ex "ignore 1 1" -ex run \
		-ex "break history_batch_end" -ex continue -ex kill \
		--args "$(command -v hookdir)" worker --once -j 1 \
		>gdb.out 2>&1 </dev/null &&
	test_grep "Breakpoint 1, history_step_create" gdb.out &&
	test_grep "Breakpoint 2, history_batch_end" gdb.out &&
	echo "start $e1" >expect &&
	test_cmp expect f
'

test_expect_success 'the first event ended, but not in the history: it is still in cur/' '
	e1=$(cat e1) && e2=$(cat e2) &&
	test_path_is_file spool/cur/$e1 &&
	test_path_is_file spool/cur/$e2 &&
	test_dir_is_empty spool/done &&
	event_status_is $e1 processing &&
	run_status_is $e1 running
'

test_expect_success 'the second step never ran; the next worker ends both' '
	e1=$(cat e1) && e2=$(cat e2) &&
	hookdir worker --once 2>worker2.err &&
	test_path_is_file spool/done/$e1 &&
	test_path_is_file spool/done/$e2 &&
	event_status_is $e1 done &&
	event_status_is $e2 done &&
	run_status_is $e1 interrupted,success &&
	run_status_is $e2 success &&
	test "$(grep -c "start $e2" f)" = 1 &&
	test "$(grep -c "start $e1" f)" = 2
'

test_done
