#!/bin/bash
test_description='a worker killed with -9: the next one ends its steps first

A step runs in its own process group, so it outlives a worker killed
with SIGKILL. The worker that recovers the event from cur/ must end
that group (SIGTERM, then SIGKILL) before it runs the event again, so
that the step never runs twice at once; and it must not kill a process
that merely got a recorded pid later (another start time or boot).'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3 flock setsid

# proc_field PID N: field N of /proc/PID/stat (5 the process group, 22
# the start time in clock ticks after boot), as proc(5) counts them
proc_field () {
	local st
	st=$(cat "/proc/$1/stat") || return 1
	st=${st##*) }
	set -- $2 $st
	shift $(($1 - 2))
	echo "$1"
}

test_expect_success 'setup' '
	setup_worker &&
	# The step holds a lock while it works; a second copy of it that
	# finds the lock held says so. Its shell writes its pid first.
	cat >pipelines/slow.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["slow"] },
	  "concurrency": { "group": "slow" },
	  "jobs": { "work": { "steps": [ { "name": "locked",
	    "run": "echo \$\$ >\"$TRASH/outer.pid\"; flock -n \"$TRASH/lock\" sh -c '\''echo \$\$ >\"$TRASH/inner.pid\"; echo \"start \$HOOKDIR_RUN_ID\" >>\"$TRASH/f\"; sleep \$(cat \"$TRASH/nap\"); echo \"late \$HOOKDIR_RUN_ID\" >>\"$TRASH/f\"'\'' || { echo \"busy \$HOOKDIR_RUN_ID\" >>\"$TRASH/f\"; exit 1; }" } ] } }
	}
	EOF
	cat >pipelines/hold.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["hold"] },
	  "jobs": { "hold": { "steps": [ {
	    "run": "test -f \"$TRASH/quick\" && exit 0; echo \$\$ >\"$TRASH/hold.pid\"; exec sleep 60" } ] } }
	}
	EOF
	check_config
'

# How long the first step sleeps before it would write "late 1": longer
# than it takes to kill its worker and for the next worker to end it.
NAP=5

test_expect_success 'a worker is killed with -9 while its step runs' '
	echo $NAP >nap &&
	queue_event slow &&
	slow=$event &&
	{ hookdir worker --once 2>worker1.err & } &&
	pid=$! &&
	stop_at_exit $pid &&
	wait_for grep -q "^start 1$" f &&
	started=$(date +%s) &&
	sleep 1 &&
	kill -9 $pid &&
	{ wait $pid; test $? = 137; } &&
	test_path_is_file spool/cur/$slow &&
	inner=$(cat inner.pid) &&
	test_atexit "kill -9 $inner 2>/dev/null; :" &&
	# Nothing ended it: it still holds its lock.
	process_alive $inner &&
	test_must_fail flock -n lock true &&
	sql "SELECT pgid IS NOT NULL AND pgid_start IS NOT NULL AND
	     boot_id = '\''$(cat /proc/sys/kernel/random/boot_id)'\''
	     FROM steps WHERE run = 1" >actual &&
	echo 1 >expect &&
	test_cmp expect actual
'

test_expect_success 'the next worker ends the old step before it runs the event again' '
	echo 1 >nap &&
	hookdir -v worker --once 2>worker2.err &&
	! process_alive $inner &&
	! process_alive $(cat outer.pid) &&
	test_grep "a step of a stopped worker still runs: ending it" worker2.err &&
	sql "SELECT id, status FROM runs WHERE event = '\''$slow'\'' ORDER BY id" >actual &&
	cat >expect <<-\EOF &&
	1|interrupted
	2|success
	EOF
	test_cmp expect actual &&
	sql "SELECT status FROM steps WHERE run = 1" >actual &&
	echo interrupted >expect &&
	test_cmp expect actual &&
	test_path_is_file spool/done/$slow
'

test_expect_success 'the old step never wrote again, the new one never found it running' '
	# Past the moment the old step would have written its line.
	now=$(date +%s) &&
	if [ $now -lt $((started + NAP + 1)) ]
	then
		sleep $((started + NAP + 1 - now))
	fi &&
	cat >expect <<-\EOF &&
	start 1
	start 2
	late 2
	EOF
	test_cmp expect f
'

# step_recorded: the history holds the process group of $event's step,
# which the worker records just after the step started.
step_recorded () {
	test "$(sql "SELECT count(*) FROM steps WHERE boot_id IS NOT NULL
		AND run IN (SELECT id FROM runs WHERE event = '$event')")" = 1
}

# crashed_hold: run the hold pipeline for a new event, kill its worker
# with -9 while the step runs, then kill the step too (as if it had
# ended with its worker). Sets $event and $run.
crashed_hold () {
	rm -f quick hold.pid &&
	queue_event hold &&
	{ hookdir worker --once 2>>hold.err & } &&
	local p=$! &&
	stop_at_exit $p &&
	wait_for test -s hold.pid &&
	wait_for step_recorded &&
	kill -9 $p &&
	{ wait $p; test $? = 137; } &&
	run=$(last_run hold) &&
	local step=$(cat hold.pid) &&
	kill -9 $step &&
	wait_for eval "! process_alive $step" &&
	touch quick
}

# decoy: a process in a session and group of its own, as any other
# program on the machine could be. Sets $decoy.
start_decoy () {
	{ setsid sleep 100 & } &&
	decoy=$! &&
	test_atexit "kill -9 $decoy 2>/dev/null; :" &&
	# Looked at again each time: setsid may not have run yet.
	wait_for eval 'test "$(proc_field $decoy 5)" = $decoy'
}

test_expect_success 'a recorded pid that is another process now is left alone' '
	crashed_hold &&
	start_decoy &&
	sql "UPDATE steps SET pgid = $decoy,
	     pgid_start = $(( $(proc_field $decoy 22) + 1 )) WHERE run = $run" &&
	hookdir -v worker --once 2>worker3.err &&
	process_alive $decoy &&
	test_grep "pid $decoy is another process now" worker3.err &&
	run_status_is $event interrupted,success
'

test_expect_success 'so is one recorded in another boot' '
	crashed_hold &&
	start_decoy &&
	sql "UPDATE steps SET pgid = $decoy, pgid_start = $(proc_field $decoy 22),
	     boot_id = '\''00000000-0000-0000-0000-000000000000'\''
	     WHERE run = $run" &&
	hookdir -v worker --once 2>worker4.err &&
	process_alive $decoy &&
	run_status_is $event interrupted,success
'

test_expect_success 'the same record with the right start time ends it (control)' '
	crashed_hold &&
	start_decoy &&
	sql "UPDATE steps SET pgid = $decoy, pgid_start = $(proc_field $decoy 22)
	     WHERE run = $run" &&
	hookdir -v worker --once 2>worker5.err &&
	! process_alive $decoy &&
	test_grep "process group $decoy: a step of a stopped worker" worker5.err &&
	run_status_is $event interrupted,success
'

test_done
