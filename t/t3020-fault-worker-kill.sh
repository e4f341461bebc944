#!/bin/bash
test_description='workers killed at random points: every event runs to the end once

A thousand events are queued; three `hookdir worker --once` drain them
while the test kills one of them with SIGKILL at random moments (in a
claim, a step, a history write, a retirement) and starts new ones until
new/ and cur/ are empty. Afterwards every event is done, with exactly
one successful run; every other run of it is recorded as interrupted;
and the recovered events are those whose attempt count says so. A run
that ended before its worker died is not run again.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

EVENTS=${HOOKDIR_TEST_EVENTS:-1000}
WORKERS=3
# The drain must end well within this.
LIMIT_SECONDS=90

test_expect_success 'setup: a one-step pipeline and the queued events' '
	setup_worker &&
	cat >pipelines/count.json <<-EOF &&
	{
	  "on": { "source": "test" },
	  "jobs": { "count": { "steps": [
	    { "run": "echo \"\$HOOKDIR_RUN_ID \${HOOKDIR_MESSAGE##*/}\" >>\"$TRASH/steps.log\"" } ] } }
	}
	EOF
	check_config &&
	# Written in one go rather than with queue_event: a thousand
	# messages, ids in the order of their numbers.
	awk -v n="$EVENTS" "BEGIN {
		for (i = 1; i <= n; i++) {
			id = sprintf(\"1763900000.M%06dP1R%04d.test\", i, i)
			f = \"spool/tmp/\" id
			printf \"Hookdir-Id: %s\\n\", id >f
			printf \"Hookdir-Received: 2026-11-22T05:00:54.123456Z\\n\" >f
			printf \"Hookdir-Source: test\\nHookdir-Provider: generic\\n\" >f
			printf \"Hookdir-Event: push\\nHookdir-Delivery: kill-%d\\n\", i >f
			printf \"Hookdir-Method: POST\\nContent-Type: application/json\\n\\n\" >f
			printf \"{\\\"n\\\": %d}\\n\", i >f
			close(f)
			print id
		}
	}" >ids &&
	test_line_count = "$EVENTS" ids &&
	mv spool/tmp/* spool/new/ &&
	test "$(spool_count spool/new)" = "$EVENTS"
'

# The pids of the workers still alive, from $workers.
alive_workers () {
	local p
	for p in $workers
	do
		process_alive "$p" && echo "$p"
	done
	return 0
}

check_empty () {
	test -s "$1" || return 0
	echo >&2 "$1 should be empty:"
	cat >&2 "$1"
	return 1
}

queue_empty () {
	test "$(spool_count spool/new)" = 0 &&
	test "$(spool_count spool/cur)" = 0
}

test_expect_success 'drain with three workers, killing them at random' '
	workers= &&
	kills=0 &&
	starts=0 &&
	end=$(( $(date +%s) + LIMIT_SECONDS )) &&
	while ! queue_empty || [ -n "$(alive_workers)" ]
	do
		if [ "$(date +%s)" -ge "$end" ]
		then
			echo >&2 "not drained in ${LIMIT_SECONDS}s" &&
			return 1
		fi &&
		workers=$(alive_workers) &&
		set -- $workers &&
		# Keep three at work while anything is queued.
		if ! queue_empty
		then
			for i in $(seq $(( WORKERS - $# )))
			do
				hookdir worker --once 2>>workers.err 9>&- &
				workers="$workers $!" &&
				stop_at_exit $! &&
				starts=$((starts + 1)) || return 1
			done
		fi &&
		sleep "0.0$(( RANDOM % 10 ))$(( RANDOM % 10 ))" &&
		set -- $(alive_workers) &&
		# Kill until the queue is nearly drained, then let them finish.
		if [ $# -gt 0 ] && [ "$(spool_count spool/new)" -gt 50 ]
		then
			shift $(( RANDOM % $# )) &&
			{ kill -KILL "$1" 2>/dev/null && kills=$((kills + 1)) || :; }
		fi || return 1
	done &&
	for p in $workers
	do
		wait "$p" 2>/dev/null
	done &&
	say "$starts workers started, $kills killed" &&
	echo "$kills" >kills &&
	test "$kills" -ge 5
'

test_expect_success 'every event is done, in done/, once' '
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/cur &&
	test_dir_is_empty spool/failed &&
	test "$(spool_count spool/done)" = "$EVENTS" &&
	sql "SELECT id FROM events WHERE status = '\''done'\'' ORDER BY id" >done.ids &&
	test_cmp ids done.ids
'

test_expect_success 'every event has exactly one successful run' '
	sql "SELECT count(*) FROM runs WHERE status = '\''success'\''" >actual &&
	echo "$EVENTS" >expect &&
	test_cmp expect actual &&
	sql "SELECT event FROM runs WHERE status = '\''success'\''
	     GROUP BY event HAVING count(*) <> 1" >twice &&
	check_empty twice
'

test_expect_success 'every other run is recorded as interrupted' '
	sql "SELECT id, status FROM runs
	     WHERE status NOT IN ('\''success'\'', '\''interrupted'\'')" >other &&
	check_empty other &&
	sql "SELECT count(*) FROM runs WHERE status = '\''interrupted'\''" >n.interrupted &&
	say "$(cat n.interrupted) runs interrupted by $(cat kills) kills" &&
	# An interrupted run ended: it has a finish time and says why.
	sql "SELECT id FROM runs WHERE status = '\''interrupted'\''
	     AND (finished IS NULL OR reason IS NULL)" >unfinished &&
	check_empty unfinished &&
	# Its jobs and steps were interrupted with it.
	sql "SELECT s.id FROM steps s JOIN runs r ON s.run = r.id
	     WHERE r.status = '\''interrupted'\''
	     AND s.status IN ('\''queued'\'', '\''running'\'')" >steps.open &&
	check_empty steps.open
'

test_expect_success 'attempts: one more for each recovery' '
	# An event with an interrupted run was claimed again; one claimed
	# once has no interrupted run.
	sql "SELECT e.id FROM events e WHERE e.attempts = 1 AND EXISTS
	     (SELECT 1 FROM runs r WHERE r.event = e.id AND r.status = '\''interrupted'\'')" >bad &&
	check_empty bad &&
	sql "SELECT e.id FROM events e WHERE e.attempts <
	     1 + (SELECT count(*) FROM runs r WHERE r.event = e.id AND r.status = '\''interrupted'\'')" >bad &&
	check_empty bad &&
	sql "SELECT r.id FROM runs r JOIN events e ON r.event = e.id
	     WHERE r.attempt > e.attempts" >bad &&
	check_empty bad &&
	# A worker that died after the run ended but before the event did
	# left a recovery with nothing to run again.
	{ grep -c "had ended" workers.err || :; } >n.resumed &&
	say "$(cat n.resumed) recoveries found their run had ended"
'

test_expect_success 'the step of every successful run ran' '
	sql "SELECT id || '\'' '\'' || event FROM runs WHERE status = '\''success'\''" >runs.ok &&
	sort runs.ok >expect &&
	sort -u steps.log >ran &&
	comm -23 expect ran >missing &&
	check_empty missing
'

test_done
