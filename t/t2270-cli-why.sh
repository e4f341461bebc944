#!/bin/bash
test_description='hookdir why, show trace first, log of a skipped job, requeue logged

The worker'\''s log line of an event that started nothing says why; an
event put back into new/ is logged as requeued.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3 script

on_tty () {
	NO_COLOR=1 script -qec "$1" /dev/null </dev/null | tr -d '\r'
}

# json_q FILE PATH: a value of the JSON in FILE (sqlite3's json_extract).
json_q () {
	sqlite3 :memory: "SELECT json_extract(CAST(readfile('$1') AS TEXT), '$2')"
}

# push BRANCH: a body with a ref
push () {
	printf '{"ref": "refs/heads/%s"}\n' "$1" >"push-$1.json"
}

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/deploy.json <<-\EOF &&
	{ "on": { "source": "test", "branches": ["main"] },
	  "jobs": { "go": { "steps": [ { "run": "echo deployed" } ] } } }
	EOF
	cat >pipelines/issues.json <<-\EOF &&
	{ "on": { "events": ["issues"] },
	  "jobs": { "go": { "steps": [ { "run": "true" } ] } } }
	EOF
	check_config &&
	push main &&
	push dev
'

test_expect_success 'the worker says why an event started nothing' '
	queue_event push push-dev.json &&
	dev=$event &&
	hookdir -v worker --once 2>worker.err &&
	run_status_is $dev "" &&
	test_grep "event $dev source=test type=push: 0 runs: deploy: branches: ref \`refs/heads/dev\` matches none of \`main\`; issues: events: got \`push\`, want \`issues\`\$" worker.err
'

test_expect_success 'the worker names three pipelines at most' '
	test_when_finished "rm -f pipelines/issues-?.json" &&
	for p in a b c
	do
		sed "s/issues/issues-$p/" pipelines/issues.json >pipelines/issues-$p.json || return 1
	done &&
	queue_event push push-dev.json &&
	hookdir -v worker --once 2>worker.err &&
	test_grep "event $event source=test type=push: 0 runs: deploy: branches: .*; issues-a: events: .*; issues-b: events: got \`push\`, want \`issues-b\`; \.\.\.\$" worker.err &&
	test_grep ! "issues-c" worker.err
'

test_expect_success 'the reason is cut short, without control characters' '
	x=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx &&
	printf "{\"ref\": \"refs/heads/\\u009b2J\\u0007$x$x$x\"}\n" >push-odd.json &&
	queue_event push push-odd.json &&
	hookdir -v worker --once 2>worker.err &&
	test_grep "event $event source=test type=push: 0 runs: deploy: branches: ref \`refs/heads/?2J xxxx*\.\.\.; issues: events: got" worker.err &&
	test_grep ! "$(printf "\302\233")" worker.err &&
	test_grep ! "$(printf "\007")" worker.err
'

test_expect_success 'an event that ran says nothing more than its runs' '
	queue_event push push-main.json &&
	main=$event &&
	hookdir -v worker --once 2>worker.err &&
	test_grep "event $main source=test type=push: 1 run\$" worker.err
'

test_expect_success 'mv failed/ID new/ is logged as requeued, and runs' '
	id=1763899998.M1P1Rmended.test &&
	printf "no headers" >spool/new/$id &&
	hookdir worker --once &&
	test_path_is_file spool/failed/$id &&
	{ message_header $id push delivery-mended && cat push-main.json; } >spool/failed/$id &&
	mv spool/failed/$id spool/new/ &&
	hookdir -v worker --once 2>worker.err &&
	test_grep "event $id source=test type=push: 1 run (requeued)\$" worker.err &&
	test_grep ! "recovered" worker.err &&
	run_status_is $id success &&
	test "$(sql "SELECT requeued FROM events WHERE id = '\''$id'\''")" = 1
'

test_expect_success 'mv done/ID new/ is logged as requeued, and runs again' '
	mv spool/done/$main spool/new/ &&
	hookdir -v worker --once 2>worker.err &&
	test_grep "event $main source=test type=push: 1 run (requeued)\$" worker.err &&
	run_status_is $main success,success
'

test_expect_success 'hookdir requeue is logged as requeued, and counted once' '
	hookdir requeue $main &&
	hookdir -v worker --once 2>worker.err &&
	test_grep "event $main source=test type=push: 1 run (requeued)\$" worker.err &&
	run_status_is $main success,success,success &&
	test "$(sql "SELECT requeued || attempts FROM events WHERE id = '\''$main'\''")" = 23
'

# dup_of ID: a message with the delivery id of event ID, into new/
dup_of () {
	new_message push push-main.json &&
	sed -i "s/^Hookdir-Delivery: .*/Hookdir-Delivery: $(sql "SELECT delivery FROM events WHERE id = '$1'")/" spool/tmp/$event &&
	mv spool/tmp/$event spool/new/
}

test_expect_success 'a duplicate from the network runs nothing; moved back by hand it runs' '
	dup_of $main &&
	hookdir -v worker --once 2>worker.err &&
	test_grep "event $event source=test type=push: duplicate of $main" worker.err &&
	run_status_is $event "" &&
	mv spool/done/$event spool/new/ &&
	hookdir -v worker --once 2>worker.err &&
	test_grep "event $event source=test type=push: 1 run (requeued)\$" worker.err &&
	run_status_is $event success &&
	dup_of $main &&
	hookdir -v worker --once 2>worker.err &&
	test_grep "event $event source=test type=push: duplicate of $main" worker.err &&
	run_status_is $event ""
'

test_done
