# lib-worker.sh: helpers for the tests of the worker and of the hookdir
# command: a spool and pipelines to run, messages as the responder writes
# them, the SQLite history, and workers in the background.
# Source it after test-lib.sh:
#
#	. "$(dirname "$0")/test-lib.sh"
#	. "$TEST_DIRECTORY/lib-worker.sh"
#	test_require_prog sqlite3
#	test_expect_success 'setup' '
#		setup_worker &&
#		cat >pipelines/hello.json <<-\EOF &&
#		{ "on": { "source": "test" }, "jobs": { "a": { "steps": [ { "run": "echo hi" } ] } } }
#		EOF
#		check_config
#	'
#	test_expect_success 'an event runs the pipeline' '
#		queue_event push &&
#		hookdir worker --once &&
#		run_status_is $event success
#	'
#
# HOOKDIR_CONF is $TRASH/hookdir.conf, so that every hookdir command finds
# the configuration a test writes there; its spool, state and pipelines
# are then spool/, state/ and pipelines/ in $TRASH.
#
# Setup:
#	setup_worker                 the spool, an empty pipelines/, and a
#	                             hookdir.conf with the one source "test"
#	                             (generic) the messages below come from
#	check_config                 hookdir check passes (what it said is
#	                             shown if not)
# Messages from source "test", provider generic:
#	message_header ID EVENT DELIVERY
#	                             the header of a message as the responder
#	                             writes it, and the blank line after it
#	new_message EVENT [BODYFILE] a message into spool/tmp/ (body BODYFILE,
#	                             default {"n": N}); sets $event to its id,
#	                             $event_base followed by a count (set
#	                             event_base to tell the files' ids apart)
#	queue_event EVENT [BODYFILE] new_message, then the rename into
#	                             spool/new/ that delivers it
# The history (state/hookdir.db, read with the sqlite3 program):
#	sql SQL...                   run a query, waiting up to 10 s for a lock
#	last_run PIPELINE            the id of its newest run
#	event_status_is ID STATUS    the event's status is STATUS
#	run_status_is ID STATUSES    its runs' statuses, comma-separated, are
#	                             STATUSES
# Processes:
#	wait_for CMD...              wait up to 20 s for CMD to succeed
#	process_alive PID            alive, and not a zombie
#	wait_exit PID [SECONDS]      wait (default up to 30 s) for a background
#	                             worker to exit and return its exit status;
#	                             one that does not exit is killed and the
#	                             wait fails
#	stop_at_exit PID...          kill leftover workers when the script
#	                             ends, so that a failed test cannot leave
#	                             one running (holding the harness's pipes
#	                             open)

HOOKDIR_CONF=$TRASH/hookdir.conf
export HOOKDIR_CONF

# ---------------------------------------------------------------- setup
setup_worker () {
	setup_spool &&
	mkdir pipelines &&
	cat >hookdir.conf <<-\EOF
	{ "sources": { "test": { "provider": "generic", "secret": "s3cret" } } }
	EOF
}

check_config () {
	hookdir check >check.out 2>&1 || { cat check.out; false; }
}

# ---------------------------------------------------------------- messages
message_header () {
	printf 'Hookdir-Id: %s\n' "$1"
	printf 'Hookdir-Received: 2026-11-22T05:00:54.123456Z\n'
	printf 'Hookdir-Source: test\n'
	printf 'Hookdir-Provider: generic\n'
	printf 'Hookdir-Event: %s\n' "$2"
	printf 'Hookdir-Delivery: %s\n' "$3"
	printf 'Hookdir-Method: POST\n'
	printf 'Content-Type: application/json\n'
	printf '\n'
}

event_base=1763800
event_seq=0
new_message () {
	event_seq=$((event_seq + 1))
	printf -v event '%s%03d.M000000P1R%04d.test' "$event_base" \
		"$event_seq" "$event_seq"
	{
		message_header "$event" "$1" "delivery-$event_seq"
		if [ $# -ge 2 ]; then
			cat "$2"
		else
			printf '{"n": %s}\n' "$event_seq"
		fi
	} >"spool/tmp/$event"
}

queue_event () {
	new_message "$@" &&
	mv "spool/tmp/$event" "spool/new/$event"
}

# ---------------------------------------------------------------- history
sql () {
	sqlite3 -cmd '.timeout 10000' state/hookdir.db "$@"
}

# runs_of ID: how many runs event ID started.
runs_of () {
	sql "SELECT count(*) FROM runs WHERE event = '$1'"
}

last_run () {
	sql "SELECT max(id) FROM runs WHERE pipeline = '$1'"
}

event_status_is () {
	test "$(sql "SELECT status FROM events WHERE id = '$1'")" = "$2"
}

run_status_is () {
	test "$(sql "SELECT group_concat(status) FROM runs WHERE event = '$1'")" = "$2"
}

# ---------------------------------------------------------------- processes
wait_for () {
	local i=0 end=$((SECONDS + 21))
	until "$@"
	do
		if [ "$SECONDS" -ge "$end" ]; then
			echo >&2 "wait_for: gave up on: $*"
			return 1
		fi
		test_backoff_ $i
		i=$((i + 1))
	done
}

process_alive () {
	local st
	{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
	st=${st##*) }
	test "${st%% *}" != Z
}

wait_exit () {
	local i=0 end=$((SECONDS + ${2:-30} + 1))
	while [ "$SECONDS" -lt "$end" ]
	do
		process_alive "$1" || { wait "$1"; return; }
		test_backoff_ $i
		i=$((i + 1))
	done
	echo >&2 "wait_exit: $1 did not exit; killing it"
	kill -9 "$1"
	wait "$1"
	return 1
}

stop_at_exit () {
	local p
	for p
	do
		test_atexit "grep -qs hookdir /proc/$p/cmdline && kill -9 $p; :"
	done
}
