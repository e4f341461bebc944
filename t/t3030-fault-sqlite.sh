#!/bin/bash
test_description='the history locked or unwritable: nothing is retired without it

Another process holds an exclusive transaction on state/hookdir.db for
longer than the busy timeout (shortened here with HOOKDIR_TEST_BUSY_MS),
before a worker starts, or from inside a step so that the writes after
it fail, or only some of them; or the database file cannot be written.
The worker says so and exits with EX_TEMPFAIL (75), and leaves each
event it could not record in cur/, where the next worker takes it over;
no file reaches done/ unless its event, runs, jobs and steps are all
recorded as ended. Once the database is usable again, every event is
processed.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3 setsid

HOOKDIR_TEST_BUSY_MS=300
export HOOKDIR_TEST_BUSY_MS

# lock_db: a sqlite3 process holds an exclusive transaction on the
# history until unlock_db.
lock_db () {
	rm -f hold.in hold.out &&
	mkfifo hold.in &&
	{ sqlite3 state/hookdir.db <hold.in >hold.out 2>&1 9>&- 8>&- & } &&
	holder=$! &&
	exec 8>hold.in &&
	echo "BEGIN EXCLUSIVE;" >&8 &&
	echo ".print locked" >&8 &&
	wait_for grep -q locked hold.out
}

unlock_db () {
	exec 8>&-
	wait "$holder" 2>/dev/null
	return 0
}

# history_complete: every event whose file is in done/ is recorded as
# done (or a duplicate), and nothing of it as still queued or running.
history_complete () {
	local f id bad=
	for f in $(spool_files spool/done)
	do
		id=${f##*/}
		test "$(sql "SELECT status FROM events WHERE id = '$id'")" = done &&
		test "$(sql "SELECT count(*) FROM runs WHERE event = '$id'
			AND status IN ('queued', 'running')")" = 0 &&
		test "$(sql "SELECT count(*) FROM jobs j JOIN runs r ON j.run = r.id
			WHERE r.event = '$id' AND j.status IN ('queued', 'running')")" = 0 &&
		test "$(sql "SELECT count(*) FROM steps s JOIN runs r ON s.run = r.id
			WHERE r.event = '$id' AND s.status IN ('queued', 'running')")" = 0 ||
		bad="$bad $id"
	done
	test -z "$bad" && return 0
	echo >&2 "in done/ without a complete history:$bad"
	sql "SELECT r.event, r.status, j.name, j.status, s.status FROM runs r
	     LEFT JOIN jobs j ON j.run = r.id LEFT JOIN steps s ON s.job = j.id" >&2
	return 1
}

test_expect_success 'setup: a pipeline, and a history with one event' '
	setup_worker &&
	cat >pipelines/one.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["plain"] },
	  "jobs": { "one": { "steps": [
	    { "run": "echo \"\${HOOKDIR_MESSAGE##*/}\" >>\"$TRASH/steps.log\"" } ] } }
	}
	EOF
	check_config &&
	queue_event plain &&
	hookdir worker --once 2>worker.err &&
	test "$(spool_count spool/done)" = 1 &&
	history_complete
'

test_expect_success 'locked before the worker starts: both events stay claimable' '
	test_when_finished unlock_db &&
	queue_event plain && first=$event &&
	queue_event plain && second=$event &&
	lock_db &&
	test_expect_code 75 hookdir worker --once 2>worker.err 8>&- &&
	test_grep "database is locked" worker.err &&
	test_dir_is_empty spool/new &&
	test_path_is_file spool/cur/$first &&
	test_path_is_file spool/cur/$second &&
	test "$(spool_count spool/done)" = 1 &&
	test_line_count = 1 steps.log
'

test_expect_success 'unlocked: the next worker processes them' '
	hookdir worker --once 2>worker.err &&
	test_dir_is_empty spool/cur &&
	test_path_is_file spool/done/$first &&
	test_path_is_file spool/done/$second &&
	history_complete &&
	run_status_is $first success &&
	run_status_is $second success &&
	test_line_count = 3 steps.log
'

# The step of pipeline "locker": when hold.DELIVERY holds a number of
# seconds, the first time it runs for that delivery it takes the lock
# and lets go that long after it ended (in a session of its own, so
# that nothing stops it with the step).
test_expect_success 'setup: a pipeline whose step locks the history' '
	write_script locker.sh <<-EOF &&
	d=\$HOOKDIR_DELIVERY
	if [ -f "$TRASH/hold.\$d" ] && [ ! -f "$TRASH/held.\$d" ]
	then
		touch "$TRASH/held.\$d"
		{
			echo "BEGIN EXCLUSIVE;"
			echo ".print locked"
			sleep \$(cat "$TRASH/hold.\$d")
		} | setsid sqlite3 "$TRASH/state/hookdir.db" >"$TRASH/lock.\$d" 2>&1 &
		until grep -q locked "$TRASH/lock.\$d" 2>/dev/null
		do
			sleep 0.02
		done
	fi
	echo "\${HOOKDIR_MESSAGE##*/}" >>"$TRASH/steps.log"
	EOF
	cat >pipelines/locker.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["lock"] },
	  "jobs": { "lock": { "steps": [ { "run": "sh $TRASH/locker.sh" } ] } }
	}
	EOF
	check_config
'

# db_writable: no other process holds the lock now.
db_writable () {
	sqlite3 -cmd ".timeout 100" state/hookdir.db "BEGIN IMMEDIATE; ROLLBACK;" \
		>/dev/null 2>&1
}

test_expect_success 'locked from inside a step: the event stays in cur/' '
	queue_event lock && id=$event &&
	echo 2 >hold.delivery-$event_seq &&
	test_expect_code 75 hookdir worker --once 2>worker.err &&
	test_grep "database is locked" worker.err &&
	test_path_is_file spool/cur/$id &&
	history_complete &&
	# The holder lets go; then the event is processed again.
	wait_for db_writable &&
	hookdir worker --once 2>worker.err &&
	test_path_is_file spool/done/$id &&
	history_complete &&
	sql "SELECT status FROM runs WHERE event = '\''$id'\'' ORDER BY id" >actual &&
	printf "interrupted\nsuccess\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'the lock released in the middle of the writes after a step' '
	for hold in 0.35 0.5 0.65 0.8 0.95 1.1 1.3
	do
		queue_event lock &&
		echo $hold >hold.delivery-$event_seq &&
		test_might_fail hookdir worker --once 2>>worker.err &&
		history_complete &&
		wait_for db_writable || return 1
	done &&
	hookdir worker --once 2>>worker.err &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/cur &&
	history_complete &&
	sql "SELECT count(*) FROM events WHERE status <> '\''done'\''" >actual &&
	echo 0 >expect &&
	test_cmp expect actual &&
	# Each event ends with one successful run; the others interrupted.
	sql "SELECT event FROM runs GROUP BY event
	     HAVING sum(status = '\''success'\'') <> 1
	     OR sum(status NOT IN ('\''success'\'', '\''interrupted'\'')) > 0" >bad &&
	test_line_count = 0 bad
'

# As root permissions do not apply: the worker runs as nobody then.
test_expect_success 'an unwritable database: the worker says so, events stay' '
	queue_event plain && id=$event &&
	as= &&
	if test "$(id -u)" = 0
	then
		chown -R nobody spool state pipelines steps.log hookdir.conf &&
		test_when_finished "chown -R root spool state pipelines steps.log hookdir.conf" &&
		as="setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups"
	fi &&
	chmod a-w state/hookdir.db state &&
	test_when_finished "chmod u+w state/hookdir.db state" &&
	test_expect_code 73 $as env HOOKDIR_CONF="$HOOKDIR_CONF" \
		hookdir worker --once 2>worker.err &&
	cat worker.err &&
	test_grep "hookdir.db" worker.err &&
	test "$(spool_count spool/done)" = "$(sql "SELECT count(*) FROM events WHERE status = '\''done'\''")" &&
	test_path_is_file spool/new/$id
'

test_expect_success 'writable again: everything is processed' '
	hookdir worker --once 2>worker.err &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/cur &&
	history_complete
'

test_done
