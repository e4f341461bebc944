#!/bin/bash
test_description='worker: a pipeline file that does not load consumes no event'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

event_base=1763860

# The good pipeline, and deploy.json as it should be.
write_deploy () {
	cat >pipelines/deploy.json.tmp <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["push"] },
	  "jobs": { "d": { "steps": [ { "run": "echo deployed" } ] } }
	}
	EOF
	mv pipelines/deploy.json.tmp pipelines/deploy.json
}

# A syntax error on line 3: a missing comma.
break_deploy () {
	cat >pipelines/deploy.json.tmp <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["push"] }
	  "jobs": { "d": { "steps": [ { "run": "echo deployed" } ] } }
	}
	EOF
	mv pipelines/deploy.json.tmp pipelines/deploy.json
}

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/notify.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["push"] },
	  "jobs": { "n": { "steps": [ { "run": "echo notified" } ] } }
	}
	EOF
	break_deploy
'

test_expect_success 'worker --once exits 78 with the file and line, and claims nothing' '
	queue_event push &&
	first=$event &&
	test_expect_code 78 hookdir worker --once 2>once.err &&
	test_grep "deploy.json:3" once.err &&
	test_grep "no event is claimed" once.err &&
	test_path_is_file spool/new/$first &&
	test_dir_is_empty spool/cur &&
	test_dir_is_empty spool/done &&
	if test -f state/hookdir.db
	then
		test "$(runs_of $first)" = 0
	fi
'

test_expect_success 'hookdir status shows the broken pipeline and exits 78' '
	test_expect_code 78 hookdir status >status.out &&
	test_grep "deploy.json:3" status.out &&
	test_grep "^new  *1" status.out &&
	test_expect_code 78 hookdir status --json >status.json &&
	test_grep "deploy.json:3" status.json
'

test_expect_success 'worker --watch says so, keeps events in new/, and goes on when fixed' '
	{ hookdir worker --watch 2>watch.err & } &&
	watch_pid=$! &&
	stop_at_exit $watch_pid &&
	wait_for grep -q "no event is claimed" watch.err &&
	test_grep "deploy.json:3" watch.err &&
	queue_event push &&
	second=$event &&
	# It looks for a fix every second: give it a look or two.
	sleep 1.5 &&
	test_path_is_file spool/new/$first &&
	test_path_is_file spool/new/$second &&
	write_deploy &&
	wait_for event_status_is $first done &&
	wait_for event_status_is $second done &&
	run_status_is $first success,success &&
	run_status_is $second success,success &&
	test "$(sql "SELECT count(*) FROM runs WHERE pipeline = '\''deploy'\''")" = 2 &&
	test_grep "load again" watch.err &&
	kill $watch_pid &&
	wait_exit $watch_pid
'

test_expect_success 'a pipeline that breaks under a running --watch stops the claims' '
	{ hookdir worker --watch 2>watch2.err & } &&
	watch_pid=$! &&
	stop_at_exit $watch_pid &&
	queue_event push &&
	wait_for event_status_is $event done &&
	break_deploy &&
	queue_event push &&
	third=$event &&
	wait_for grep -q "no event is claimed" watch2.err &&
	sleep 1.5 &&
	test_path_is_file spool/new/$third &&
	write_deploy &&
	wait_for event_status_is $third done &&
	run_status_is $third success,success &&
	kill $watch_pid &&
	wait_exit $watch_pid
'

test_expect_success 'hookdir status exits 0 again once it loads' '
	hookdir status >status.out &&
	test_grep ! "deploy.json" status.out
'

test_done
