#!/bin/bash
test_description='concurrency groups: queue, cancel_in_progress, skip_if_running, debounce'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

event_base=1764030

# pipeline NAME MODE [QUIET]: its group is NAME-${{ payload.key }}; its
# one step sleeps payload.sleep seconds.
pipeline () {
	cat >pipelines/$1.json <<-EOF
	{
	  "on": { "source": "test", "events": ["$1"] },
	  "env": { "SLEEP": "\${{ payload.sleep }}" },
	  "concurrency": { "group": "$1-\${{ payload.key }}", "mode": "$2"${3:+, \"quiet\": \"$3\"} },
	  "jobs": { "a": { "steps": [ { "name": "nap", "run": "sleep \${SLEEP:-0}" } ] } }
	}
	EOF
}

# body KEY SLEEP
body () {
	printf '{"key": "%s", "sleep": %s}\n' "$1" "$2" >body-$1-$2.json &&
	echo body-$1-$2.json
}

runs_of () {
	sql "SELECT id, status, reason FROM runs WHERE pipeline = '$1' ORDER BY id"
}

# overlap A B: did runs A and B run at the same time?
overlap () {
	test "$(sql "SELECT a.started < b.finished AND b.started < a.finished FROM runs a, runs b WHERE a.id = $1 AND b.id = $2")" = 1
}

test_expect_success 'setup' '
	setup_worker &&
	pipeline queue queue &&
	pipeline cancel cancel_in_progress &&
	pipeline skip skip_if_running &&
	pipeline debounce debounce 1s &&
	check_config
'

test_expect_success 'queue: runs of one group run one at a time, in order' '
	queue_event queue $(body k 1) &&
	queue_event queue $(body k 1) &&
	queue_event queue $(body other 1) &&
	queue_event queue $(body k 0) &&
	hookdir worker --once -j 4 2>worker.err &&
	runs_of queue >actual &&
	cat >expect <<-\EOF &&
	1|success|
	2|success|
	3|success|
	4|success|
	EOF
	test_cmp expect actual &&
	! overlap 1 2 && ! overlap 2 4 && ! overlap 1 4 &&
	test "$(sql "SELECT count(*) FROM runs a, runs b WHERE a.id = 1 AND b.id = 2 AND b.started >= a.finished")" = 1 &&
	test "$(sql "SELECT count(*) FROM runs a, runs b WHERE a.id = 2 AND b.id = 4 AND b.started >= a.finished")" = 1 &&
	overlap 1 3
'

test_expect_success 'queue: also across worker processes' '
	queue_event queue $(body multi 0.5) &&
	queue_event queue $(body multi 0.5) &&
	queue_event queue $(body multi 0.5) &&
	{ hookdir worker --once 2>w1.err & } && p1=$! &&
	{ hookdir worker --once 2>w2.err & } && p2=$! &&
	{ hookdir worker --once 2>w3.err & } && p3=$! &&
	stop_at_exit $p1 $p2 $p3 &&
	wait_exit $p1 && wait_exit $p2 && wait_exit $p3 &&
	sql "SELECT id FROM runs WHERE pipeline = '\''queue'\'' AND status = '\''success'\'' AND id > 4 ORDER BY id" >ids &&
	test_line_count = 3 ids &&
	for a in $(cat ids)
	do
		for b in $(cat ids)
		do
			test $a = $b || ! overlap $a $b || return 1
		done
	done
'

test_expect_success 'cancel_in_progress: a newer run cancels the running one' '
	queue_event cancel $(body k 300) &&
	queue_event cancel $(body k 0) &&
	hookdir worker --once -j 4 2>worker.err &&
	first=$(sql "SELECT min(id) FROM runs WHERE pipeline = '\''cancel'\''") &&
	runs_of cancel | cut -d"|" -f2- >actual &&
	cat >expect <<-EOF &&
	cancelled|cancelled by run $((first + 1)) (concurrency group \`cancel-k\`)
	success|
	EOF
	test_cmp expect actual &&
	! overlap $first $((first + 1)) &&
	sql "SELECT status FROM steps WHERE run = $first" >actual &&
	echo cancelled >expect &&
	test_cmp expect actual
'

test_expect_success 'skip_if_running: a newer run is recorded as skipped' '
	queue_event skip $(body k 1) &&
	queue_event skip $(body k 0) &&
	queue_event skip $(body other 0) &&
	hookdir worker --once -j 4 2>worker.err &&
	first=$(sql "SELECT min(id) FROM runs WHERE pipeline = '\''skip'\''") &&
	runs_of skip | cut -d"|" -f2- >actual &&
	cat >expect <<-EOF &&
	success|
	skipped|concurrency group \`skip-k\`: run $first has not ended
	success|
	EOF
	test_cmp expect actual &&
	test "$(sql "SELECT count(*) FROM jobs WHERE run = $((first + 1))")" = 0
'

test_expect_success 'skip_if_running: once the group is free, a run runs' '
	queue_event skip $(body k 0) &&
	hookdir worker --once 2>worker.err &&
	sql "SELECT status FROM runs WHERE pipeline = '\''skip'\'' ORDER BY id DESC LIMIT 1" >actual &&
	echo success >expect &&
	test_cmp expect actual
'

test_expect_success 'debounce: the latest wins after the group was quiet' '
	queue_event debounce $(body k 0) &&
	queue_event debounce $(body k 0) &&
	queue_event debounce $(body k 0) &&
	hookdir worker --once -j 4 2>worker.err &&
	first=$(sql "SELECT min(id) FROM runs WHERE pipeline = '\''debounce'\''") &&
	runs_of debounce | cut -d"|" -f2- >actual &&
	cat >expect <<-EOF &&
	skipped|superseded by run $((first + 1)) (concurrency group \`debounce-k\`, debounce)
	skipped|superseded by run $((first + 2)) (concurrency group \`debounce-k\`, debounce)
	success|
	EOF
	test_cmp expect actual &&
	last=$((first + 2)) &&
	quiet=$(sql "SELECT CAST(round((julianday(started) - julianday(created)) * 86400000) AS INTEGER) FROM runs WHERE id = $last") &&
	echo "started ${quiet}ms after it was created" &&
	test "$quiet" -ge 1000
'

test_expect_success 'superseded events are done, with no jobs run' '
	test "$(sql "SELECT count(*) FROM jobs WHERE run IN ($first, $((first + 1)))")" = 0 &&
	test "$(sql "SELECT count(*) FROM events WHERE status <> '\''done'\''")" = 0 &&
	test_dir_is_empty spool/cur
'

test_done
