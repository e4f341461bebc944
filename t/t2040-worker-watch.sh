#!/bin/bash
test_description='worker --watch: inotify, polling, SIGTERM with a grace period'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

event_base=1763840

# The worker rescans new/ only once a minute without inotify news, so a
# pickup within wait_for's 20 s is inotify's doing (or --poll's, where
# that is the point).

# How many times the worker logged inotify news (-v -v).
inotify_news () {
	grep -c "inotify: new/ changed" watch.err || :
}

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/quick.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["quick"] },
	  "jobs": { "q": { "steps": [ { "run": "echo quick" } ] } }
	}
	EOF
	cat >pipelines/long.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["long"] },
	  "jobs": {
	    "l": { "steps": [ { "name": "nap",
	      "run": "if [ -f \"$TRASH/resume\" ]; then echo resumed; exit 0; fi; echo \$\$ >\"$TRASH/long.pid\"; touch \"$TRASH/long-started\"; sleep 300" } ] }
	  }
	}
	EOF
	check_config
'

test_expect_success 'start hookdir worker --watch' '
	{ hookdir -v -v worker --watch 2>watch.err & } &&
	watch_pid=$! &&
	stop_at_exit $watch_pid &&
	queue_event quick &&
	wait_for event_status_is $event done &&
	run_status_is $event success
'

test_expect_success 'it picks up a file renamed into new/ (inotify)' '
	wait_for test -f spool/done/$event &&
	before=$(inotify_news) &&
	queue_event quick &&
	wait_for event_status_is $event done &&
	run_status_is $event success &&
	test_path_is_file spool/done/$event &&
	test "$(inotify_news)" -gt "$before"
'

test_expect_success 'and a file linked into new/ (IN_CREATE)' '
	before=$(inotify_news) &&
	new_message quick &&
	ln spool/tmp/$event spool/new/$event &&
	rm spool/tmp/$event &&
	wait_for event_status_is $event done &&
	run_status_is $event success &&
	test "$(inotify_news)" -gt "$before"
'

test_expect_success 'a pipeline added meanwhile is loaded' '
	test_when_finished "rm -f pipelines/added.json" &&
	cat >pipelines/added.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["quick"] },
	  "jobs": { "a": { "steps": [ { "run": "echo added" } ] } }
	}
	EOF
	queue_event quick &&
	wait_for event_status_is $event done &&
	sql "SELECT pipeline, status FROM runs WHERE event = '\''$event'\'' ORDER BY pipeline" >actual &&
	cat >expect <<-\EOF &&
	added|success
	quick|success
	EOF
	test_cmp expect actual &&
	test_grep "reloaded 3 pipelines" watch.err
'

test_expect_success 'SIGTERM stops it cleanly' '
	kill -TERM $watch_pid &&
	wait_exit $watch_pid &&
	sql "SELECT count(*) FROM runs WHERE status IN ('\''queued'\'', '\''running'\'')" >actual &&
	echo 0 >expect &&
	test_cmp expect actual &&
	test_dir_is_empty spool/cur &&
	test_dir_is_empty spool/new
'

test_expect_success 'SIGTERM during a long step: interrupted after the grace period' '
	{ hookdir worker --watch --grace 1s 2>watch2.err & } &&
	watch_pid=$! &&
	stop_at_exit $watch_pid &&
	queue_event long &&
	wait_for test -f long-started &&
	step=$(cat long.pid) &&
	kill -TERM $watch_pid &&
	wait_exit $watch_pid &&
	sql "SELECT status, reason FROM runs WHERE event = '\''$event'\''" >actual &&
	echo "interrupted|the worker was stopped" >expect &&
	test_cmp expect actual &&
	sql "SELECT j.status, s.status, s.signal FROM jobs j JOIN steps s ON s.job = j.id JOIN runs r ON j.run = r.id WHERE r.event = '\''$event'\''" >actual &&
	echo "interrupted|interrupted|15" >expect &&
	test_cmp expect actual &&
	! process_alive $step &&
	test_path_is_file spool/cur/$event &&
	event_status_is $event processing &&
	test_grep "left in cur/ to be processed again" watch2.err
'

test_expect_success 'the next worker processes the interrupted event again' '
	touch resume &&
	hookdir worker --once 2>once.err &&
	run_status_is $event "interrupted,success" &&
	event_status_is $event done &&
	test_path_is_file spool/done/$event &&
	test_dir_is_empty spool/cur
'

test_expect_success '--poll finds files without inotify; SIGINT stops it' '
	{ hookdir -v -v worker --watch --poll 1 2>poll.err & } &&
	poll_pid=$! &&
	stop_at_exit $poll_pid &&
	queue_event quick &&
	wait_for event_status_is $event done &&
	run_status_is $event success &&
	queue_event quick &&
	wait_for event_status_is $event done &&
	kill -INT $poll_pid &&
	wait_exit $poll_pid &&
	test_grep ! inotify poll.err
'

test_expect_success 'SIGTERM is heeded during a long queue that starts no run' '
	mkdir -p stopq/pipelines &&
	setup_spool stopq/spool &&
	cp hookdir.conf stopq/hookdir.conf &&
	# Written straight into new/, no process per file: the worker is
	# not running yet.
	for i in $(seq 4000)
	do
		printf -v id "1763900%04d.M000000P1R%04d.test" $i $i &&
		{ message_header $id idle d-$i && echo "{}"; } >stopq/spool/new/$id ||
		return 1
	done &&
	{ hookdir -c stopq/hookdir.conf worker --once 2>stopq.err & } &&
	pid=$! &&
	stop_at_exit $pid &&
	wait_for compgen -G "stopq/spool/done/*" &&
	kill -TERM $pid &&
	wait_exit $pid 20 &&
	left=$(spool_count stopq/spool/new) &&
	done=$(spool_count stopq/spool/done) &&
	say "left in new/: $left, done: $done" &&
	# It stopped long before the end of the queue, and lost nothing.
	test $left -gt 2000 &&
	test $((left + done)) = 4000 &&
	test_dir_is_empty stopq/spool/cur &&
	test_grep "claiming no more events" stopq.err
'

test_done
