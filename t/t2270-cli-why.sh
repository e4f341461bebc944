#!/bin/bash
test_description='hookdir why, show trace first, log of a skipped job, requeue logged

"Why did this event run or not run?" is answered in the first lines:
by `hookdir why ID|DELIVERY`, by `hookdir show` (the triggers before the
body, the body cut short on a terminal), and by the worker'\''s log line
of an event that started nothing. A skipped job has no log but a
reason; an event put back into new/ is logged as requeued.'

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

test_expect_success 'why: which pipeline did not run, and which field decided' '
	hookdir why $dev >out &&
	cat >expect <<-EOF &&
	$dev: done, 0 runs
	  deploy: did not run: branches: ref \`refs/heads/dev\` matches none of \`main\`
	  issues: did not run: events: got \`push\`, want \`issues\`
	EOF
	test_cmp expect out
'

test_expect_success 'why: the run of a pipeline that ran, with its status' '
	run=$(sql "SELECT max(id) FROM runs WHERE event = '\''$main'\''") &&
	hookdir why $main >out &&
	cat >expect <<-EOF &&
	$main: done, 3 runs (attempt 3)
	  deploy: ran: run $run, success
	  issues: did not run: events: got \`push\`, want \`issues\`
	EOF
	test_cmp expect out
'

test_expect_success 'why: waiting in new/, and the worker claims nothing while pipelines are broken' '
	queue_event push push-main.json &&
	waiting=$event &&
	wseq=$event_seq &&
	hookdir why $waiting >out &&
	echo "$waiting: waiting in new/: no worker has claimed it yet" >expect &&
	test_cmp expect out &&
	echo "{ nope" >pipelines/broken.json &&
	test_when_finished "rm -f pipelines/broken.json" &&
	hookdir why $waiting >out &&
	test_grep "^$waiting: waiting in new/: the pipelines do not load, and the worker claims no event until they are fixed:\$" out &&
	test_grep "^  .*broken.json" out
'

test_expect_success 'why: a duplicate delivery' '
	hookdir worker --once &&
	new_message push push-main.json &&
	sed -i "s/^Hookdir-Delivery: .*/Hookdir-Delivery: delivery-$wseq/" spool/tmp/$event &&
	mv spool/tmp/$event spool/new/ &&
	dup=$event &&
	hookdir worker --once &&
	hookdir why $dup >out &&
	echo "$dup: a duplicate of $waiting (the same source, and dedup key delivery-$wseq by delivery id): ran nothing" >expect &&
	test_cmp expect out
'

test_expect_success 'why and show take a delivery id; several events: the newest, said so' '
	hookdir why delivery-$wseq >out 2>err &&
	test_grep "^$dup: a duplicate of $waiting" out &&
	test_grep "^hookdir why: delivery delivery-$wseq names 2 events; this is the newest, $dup:\$" err &&
	test_grep "^  $waiting  test  push  done  " err &&
	test_grep "^  $dup  test  push  duplicate  " err &&
	hookdir show delivery-$wseq >out 2>err &&
	test_grep "^Event:    $dup\$" out &&
	test_grep "names 2 events" err &&
	hookdir show --json delivery-$wseq >show.json 2>err &&
	test "$(json_q show.json "\$.id")" = $dup &&
	hookdir why delivery-1 >out 2>err &&
	test_grep "^$dev: done, 0 runs" out &&
	test_line_count = 0 err
'

test_expect_success 'why: a delivery still waiting in new/ is found in the spool' '
	queue_event push push-main.json &&
	hookdir why delivery-$event_seq >out &&
	test_grep "^$event: waiting in new/" out &&
	hookdir worker --once
'

test_expect_success 'why: unreadable, unknown, and usage' '
	printf "no headers" >spool/new/1763899999.M1P1Rbad.test &&
	hookdir worker --once &&
	hookdir why 1763899999.M1P1Rbad.test >out &&
	test_grep "^1763899999.M1P1Rbad.test: unreadable, moved to failed/: " out &&
	test_expect_code 66 hookdir why 1.M1P1Rnone.test 2>err &&
	test_grep "no event 1.M1P1Rnone.test" err &&
	test_expect_code 64 hookdir why ../nothing 2>err &&
	test_expect_code 64 hookdir why 2>err &&
	hookdir why --help >out &&
	test_grep "^usage: hookdir why ID|DELIVERY" out
'

test_expect_success 'why: requeued, waiting in new/' '
	hookdir requeue $dev &&
	hookdir why $dev >out &&
	test_grep "^$dev: requeued: waiting in new/; before, it was done\$" out &&
	test_grep "^$dev: waiting in new/: no worker has claimed it yet\$" out &&
	test_grep "^  deploy: did not run: branches: " out &&
	hookdir worker --once
'

test_expect_success 'show: the triggers come before the headers and the body' '
	hookdir show $dev >out &&
	t=$(grep -n "^Triggers:" out | cut -d: -f1) &&
	hd=$(grep -n "^Headers:" out | cut -d: -f1) &&
	b=$(grep -n "^Body " out | cut -d: -f1) &&
	test -n "$t" && test -n "$hd" && test -n "$b" &&
	test $t -lt $hd && test $hd -lt $b &&
	test_grep "^  deploy: did not run\$" out &&
	hookdir show $main >out &&
	test_grep "^  deploy: ran: run $run, success\$" out &&
	test_grep "^    matched: source \`test\`, branches \`main\`" out
'

test_expect_success 'show: a long body stops after 40 lines on a terminal; --full' '
	seq 1 100 | sed "s/.*/line &/" >long.txt &&
	new_message text long.txt &&
	sed -i "s|^Content-Type: .*|Content-Type: text/plain|" spool/tmp/$event &&
	mv spool/tmp/$event spool/new/ &&
	on_tty "hookdir show $event" >out &&
	test_grep "^line 40\$" out &&
	test_grep ! "^line 41\$" out &&
	test_grep "^… 60 more lines; hookdir show --full $event\$" out &&
	on_tty "hookdir show --full $event" >out &&
	test_grep "^line 100\$" out &&
	test_grep ! "more lines" out &&
	hookdir show $event >out &&
	test_grep "^line 100\$" out &&
	hookdir show --json $event >show.json &&
	test "$(json_q show.json "\$.id")" = $event &&
	hookdir worker --once
'

test_expect_success 'log of a skipped job says it was skipped, and why' '
	cat >pipelines/gate.json <<-\EOF &&
	{ "on": { "events": ["gate"] },
	  "jobs": {
	    "build": { "steps": [ { "run": "echo built" } ] },
	    "deploy": { "needs": ["build"], "if": "needs.build.status == '\''failure'\''",
	      "steps": [ { "run": "echo deployed" } ] } } }
	EOF
	queue_event gate &&
	hookdir worker --once &&
	gate=$(last_run gate) &&
	reason=$(sql "SELECT reason FROM jobs WHERE run = $gate AND name = '\''deploy'\''") &&
	test -n "$reason" &&
	hookdir log $gate deploy >out 2>err &&
	test_line_count = 0 out &&
	echo "hookdir log: run $gate job deploy was skipped: $reason" >expect &&
	test_cmp expect err &&
	hookdir log $gate >out &&
	test_grep "^==> build/1: success, exit 0 <==\$" out &&
	test_grep "^==> deploy: skipped ($reason) <==\$" out &&
	test_expect_code 66 hookdir log $gate nojob 2>err &&
	test_grep "has no job nojob" err
'

test_done
