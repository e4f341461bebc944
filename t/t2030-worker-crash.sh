#!/bin/bash
test_description='worker: crash recovery, concurrent workers, exactly one set of runs'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

# message ID TYPE DELIVERY: a spool message from source "test"
message () {
	message_header "$@"
	printf '{"delivery": "%s"}\n' "$3"
}

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/slow.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["slow"] },
	  "jobs": {
	    "wait": { "steps": [ { "name": "gate",
	      "run": "echo \$\$ >\"$TRASH/step.pid\"; touch \"$TRASH/step-started\"; while [ ! -f \"$TRASH/release\" ]; do sleep 0.05; done; echo released" } ] }
	  }
	}
	EOF
	cat >pipelines/bulk.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["bulk"] },
	  "jobs": { "one": { "steps": [ { "run": "true" } ] } }
	}
	EOF
	check_config
'

test_expect_success 'a worker killed with -9 in the middle of a step' '
	id=1763820000.M000000P1R0000.test &&
	message $id slow crash-1 >spool/tmp/$id &&
	mv spool/tmp/$id spool/new/$id &&
	{ hookdir worker --once 2>worker1.err & } &&
	pid=$! &&
	stop_at_exit $pid &&
	wait_for test -f step-started &&
	kill -9 $pid &&
	{ wait $pid; test $? = 137; } &&
	test_path_is_file spool/cur/$id &&
	test_dir_is_empty spool/new &&
	sql "SELECT status FROM runs WHERE event = '\''$id'\''" >actual &&
	echo running >expect &&
	test_cmp expect actual
'

test_expect_success 'its step runs on, in its own process group' '
	step=$(cat step.pid) &&
	process_alive $step
'

test_expect_success 'the next worker recovers the claim and runs the event again' '
	rm -f step-started &&
	touch release &&
	hookdir worker --once 2>worker2.err &&
	! process_alive $step &&
	sql "SELECT id, status FROM runs WHERE event = '\''$id'\'' ORDER BY id" >actual &&
	cat >expect <<-\EOF &&
	1|interrupted
	2|success
	EOF
	test_cmp expect actual &&
	sql "SELECT status FROM jobs WHERE run = 1" >actual &&
	echo interrupted >expect &&
	test_cmp expect actual &&
	sql "SELECT status FROM steps WHERE run = 1" >actual &&
	test_cmp expect actual &&
	sql "SELECT status, attempts FROM events WHERE id = '\''$id'\''" >actual &&
	echo "done|2" >expect &&
	test_cmp expect actual &&
	test_path_is_file spool/done/$id &&
	test_dir_is_empty spool/cur &&
	test_grep "event $id source=test type=slow: 1 run (recovered" worker2.err &&
	echo released >expect &&
	test_cmp expect state/logs/2/wait/gate.log
'

test_expect_success 'a live worker'\''s claim is not recovered' '
	id=1763820001.M000000P1R0001.test &&
	rm -f release step-started &&
	message $id slow crash-2 >spool/tmp/$id &&
	mv spool/tmp/$id spool/new/$id &&
	{ hookdir worker --once 2>worker3.err & } &&
	pid=$! &&
	stop_at_exit $pid &&
	wait_for test -f step-started &&
	hookdir worker --once 2>worker4.err &&
	test_path_is_file spool/cur/$id &&
	sql "SELECT count(*) FROM runs WHERE event = '\''$id'\''" >actual &&
	echo 1 >expect &&
	test_cmp expect actual &&
	touch release &&
	wait_exit $pid &&
	test_path_is_file spool/done/$id &&
	sql "SELECT status FROM runs WHERE event = '\''$id'\''" >actual &&
	echo success >expect &&
	test_cmp expect actual
'

test_expect_success 'queue 500 events' '
	for i in $(seq 1 500)
	do
		id=$(printf "1763830%03d.M%06dP1R%04d.test" $((i % 1000)) $i $i) &&
		message $id bulk bulk-$i >spool/tmp/$id || return 1
	done &&
	mv spool/tmp/* spool/new/ &&
	test "$(spool_count spool/new)" = 500
'

test_expect_success '3 concurrent workers process each of them exactly once' '
	{ hookdir -v worker --once 2>bulk1.err & } && p1=$! &&
	{ hookdir -v worker --once 2>bulk2.err & } && p2=$! &&
	{ hookdir -v worker --once 2>bulk3.err & } && p3=$! &&
	stop_at_exit $p1 $p2 $p3 &&
	wait_exit $p1 300 && wait_exit $p2 300 && wait_exit $p3 300 &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/cur &&
	test "$(ls spool/done | grep -c "^1763830")" = 500 &&
	sql "SELECT count(*), count(DISTINCT r.event) FROM runs r JOIN events e ON r.event = e.id WHERE e.type = '\''bulk'\''" >actual &&
	echo "500|500" >expect &&
	test_cmp expect actual &&
	sql "SELECT count(*) FROM events WHERE type = '\''bulk'\'' AND (status <> '\''done'\'' OR attempts <> 1)" >actual &&
	echo 0 >expect &&
	test_cmp expect actual &&
	sql "SELECT count(*) FROM runs r JOIN events e ON r.event = e.id WHERE e.type = '\''bulk'\'' AND r.status <> '\''success'\''" >actual &&
	test_cmp expect actual &&
	for f in bulk1.err bulk2.err bulk3.err
	do
		echo "$f: $(grep -c "type=bulk: 1 run" $f) events"
	done &&
	test "$(cat bulk1.err bulk2.err bulk3.err | grep -c "type=bulk: 1 run")" = 500
'

test_done
