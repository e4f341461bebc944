#!/bin/bash
test_description='for_each: max_fan_out, huge arrays, and SIGTERM during a fan-out

A for_each over more elements than the job'\''s max_fan_out (256 unless
it says) fails the job at once, before any instance exists, with the
reason in the history; other events go on. A worker stopped with
SIGTERM in the middle of a large fan-out stops within its grace.'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

event_base=1764050

# list_output FILE N [ELEMENT]: an output line list=[0,1,...,N-1] in
# FILE, or N times ELEMENT
list_output () {
	awk -v n="$2" -v el="$3" 'BEGIN {
		printf "list=["
		for (i = 0; i < n; i++)
			printf "%s%s", (i ? "," : ""), (el != "" ? el : i)
		print "]"
	}' >"$1"
}

# fan_pipeline NAME LISTFILE [MAX] [STEP]: a discovery job printing the
# list, and a job fanned out over it
fan_pipeline () {
	local max=
	test -z "$3" || max="\"max_fan_out\": $3,"
	cat >"pipelines/$1.json" <<-EOF
	{
	  "on": { "source": "test", "events": ["$1"] },
	  "jobs": {
	    "discover": { "steps": [ { "run": "cat \"$TRASH/$2\" >>\"\$HOOKDIR_OUTPUT\"" } ] },
	    "each": { "needs": ["discover"], "for_each": "needs.discover.outputs.list", $max
	      "steps": [ { "run": "${4:-true}" } ] },
	    "after": { "needs": ["each"], "steps": [ { "run": "echo after" } ] }
	  }
	}
	EOF
}

test_expect_success 'setup' '
	setup_worker &&
	list_output list300 300 &&
	list_output list5000 5000 &&
	list_output list200k 200000 0 &&
	fan_pipeline limit list300 &&
	fan_pipeline allow list300 1000 &&
	fan_pipeline huge list200k &&
	fan_pipeline stop list5000 5000 \
		"touch \\\"$TRASH/started\\\"; sleep 30" &&
	cat >pipelines/other.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["other"] },
	  "jobs": { "one": { "steps": [ { "run": "echo done >>\"$TRASH/other.out\"" } ] } }
	}
	EOF
	check_config
'

test_expect_success 'max_fan_out: bad values are errors with file, line and key' '
	test_when_finished "rm -f pipelines/bad.json" &&
	cat >pipelines/bad.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["bad"] },
	  "jobs": {
	    "zero": { "for_each": "payload.l", "max_fan_out": 0,
	      "steps": [ { "run": "true" } ] },
	    "big": { "for_each": "payload.l", "max_fan_out": 10001,
	      "steps": [ { "run": "true" } ] },
	    "text": { "for_each": "payload.l", "max_fan_out": "300",
	      "steps": [ { "run": "true" } ] },
	    "plain": { "max_fan_out": 10,
	      "steps": [ { "run": "true" } ] }
	  }
	}
	EOF
	test_must_fail hookdir check >out 2>&1 &&
	test_grep "bad.json:4: error: jobs.zero.max_fan_out: must be 1 to 10000" out &&
	test_grep "bad.json:6: error: jobs.big.max_fan_out: must be 1 to 10000" out &&
	test_grep "bad.json:8: error: jobs.text.max_fan_out: " out &&
	test_grep "bad.json:10: error: jobs.plain.max_fan_out: is for a job with \"for_each\"" out
'

# fails_beside_other PIPELINE: an event of PIPELINE and one of "other"
# in one worker run; the first one'''s run fails, the other runs, both
# end. Sets $fanned (the first event) and $run (its run).
fails_beside_other () {
	rm -f other.out &&
	queue_event $1 &&
	fanned=$event &&
	queue_event other &&
	hookdir worker --once -j 2 2>worker.err &&
	run_status_is $fanned failure &&
	event_status_is $fanned done &&
	run_status_is $event success &&
	event_status_is $event done &&
	echo done >expect &&
	test_cmp expect other.out &&
	run=$(last_run $1)
}

test_expect_success '300 elements over the default limit fail the job at once; another event runs' '
	fails_beside_other limit &&
	sql "SELECT name, status, coalesce(reason, '\'''\'') FROM jobs
	     WHERE run = $run ORDER BY id" >actual &&
	cat >expect <<-\EOF &&
	discover|success|
	each|failure|for_each: `needs.discover.outputs.list` has 300 elements, more than max_fan_out (256)
	after|skipped|needs each: failure
	EOF
	test_cmp expect actual &&
	hookdir show $fanned >show.out &&
	test_grep "has 300 elements, more than max_fan_out (256)" show.out
'

test_expect_success 'max_fan_out 1000 lets 300 elements through' '
	queue_event allow &&
	hookdir worker --once -j 4 2>worker.err &&
	run_status_is $event success &&
	run=$(last_run allow) &&
	sql "SELECT count(*) FROM jobs WHERE run = $run AND name LIKE '\''each[%'\''
	     AND status = '\''success'\''" >actual &&
	echo 300 >expect &&
	test_cmp expect actual
'

test_expect_success 'a 200000-element array fails without making an instance; other events run' '
	fails_beside_other huge &&
	sql "SELECT count(*) FROM jobs WHERE run = $run" >actual &&
	echo 3 >expect &&
	test_cmp expect actual &&
	sql "SELECT reason FROM jobs WHERE run = $run AND name = '\''each'\''" >actual &&
	echo "for_each: \`needs.discover.outputs.list\` has 200000 elements, more than max_fan_out (256)" >expect &&
	test_cmp expect actual
'

test_expect_success 'SIGTERM during a 5000-job fan-out: the worker stops within its grace' '
	queue_event stop &&
	stop=$event &&
	{ timeout 120 hookdir worker --once -j 2 --grace 1s 2>stop.err & } &&
	pid=$! &&
	stop_at_exit $pid &&
	wait_for test -f started &&
	kill -TERM $pid &&
	wait_exit $pid 60 &&
	test_grep "claiming no more events" stop.err &&
	run_status_is $stop interrupted &&
	run=$(last_run stop) &&
	sql "SELECT status FROM jobs WHERE run = $run AND name = '\''each'\''" >actual &&
	echo interrupted >expect &&
	test_cmp expect actual &&
	sql "SELECT count(*) FROM jobs WHERE run = $run AND name LIKE '\''each[%'\''
	     AND status NOT IN ('\''interrupted'\'')" >actual &&
	echo 0 >expect &&
	test_cmp expect actual &&
	test_path_is_file spool/cur/$stop
'

test_done
