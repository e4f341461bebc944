#!/bin/bash
test_description='run as root: the worker becomes the state'"'"'s owner or refuses'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3 runuser

if ! test_have_prereq ROOT || ! getent passwd daemon >/dev/null; then
	skip_all='needs root and the user daemon'
	test_done
fi

event_base=1763870
# What the tests do without it: test-lib.sh allows root for the others.
unset HOOKDIR_ALLOW_ROOT

# as_daemon CMD...: run CMD as the user daemon, from a copy of hookdir
# that daemon may execute.
as_daemon () {
	runuser -u daemon -- "$@"
}

test_expect_success 'setup' '
	setup_worker &&
	mkdir bin &&
	cp "$HOOKDIR" bin/hookdir &&
	chmod 755 bin bin/hookdir &&
	cat >pipelines/who.json <<-\EOF &&
	{
	  "on": { "source": "test" },
	  "jobs": { "w": { "steps": [ { "name": "id", "run": "id -un; echo home=$HOME" } ] } }
	}
	EOF
	chmod 644 hookdir.conf pipelines/who.json
'

test_expect_success 'as root with no state directory yet, the worker refuses' '
	queue_event push &&
	test_expect_code 77 hookdir worker --once 2>err &&
	test_grep "refusing to run as root" err &&
	test_grep "allow-root" err &&
	test_path_is_file spool/new/$event &&
	test_path_is_missing state
'

test_expect_success 'and with a state directory of root'"'"'s' '
	mkdir state &&
	test_expect_code 77 hookdir worker --once 2>err &&
	test_grep "refusing to run as root" err &&
	test_path_is_file spool/new/$event &&
	test_path_is_missing state/hookdir.db
'

test_expect_success 'a state directory of another user: the worker becomes that user' '
	chown -R daemon: state spool &&
	hookdir worker --once &&
	run_status_is $event success &&
	run=$(last_run who) &&
	hookdir log $run w id >log.out &&
	test_grep "^daemon\$" log.out &&
	test_grep "^home=$(getent passwd daemon | cut -d: -f6)\$" log.out &&
	find state spool -not -user daemon >not-daemon &&
	test_line_count = 0 not-daemon
'

test_expect_success 'commands run by root on it leave no file of root'"'"'s there' '
	queue_event push &&
	chown daemon: spool/new/$event &&
	hookdir worker --once &&
	rm -f state/hookdir.db-wal state/hookdir.db-shm &&
	hookdir runs >/dev/null &&
	hookdir status >/dev/null &&
	hookdir show $event >/dev/null &&
	hookdir gc >/dev/null &&
	find state spool -not -user daemon >not-daemon &&
	test_line_count = 0 not-daemon
'

test_expect_success 'worker.user names the user, whatever owns the state' '
	mkdir ustate &&
	chown daemon: ustate &&
	chmod 700 ustate &&
	cat >user.conf <<-\EOF &&
	{ "state": "ustate", "worker": { "user": "daemon" },
	  "sources": { "test": { "provider": "generic", "secret": "s3cret-s3cret-s3cret" } } }
	EOF
	chmod 644 user.conf &&
	queue_event push &&
	chown daemon: spool/new/$event &&
	hookdir -c user.conf worker --once &&
	test "$(sqlite3 ustate/hookdir.db "SELECT status FROM runs WHERE event = '\''$event'\''")" = success &&
	find ustate -not -user daemon >not-daemon &&
	test_line_count = 0 not-daemon
'

test_expect_success 'worker.user naming no user is a configuration error' '
	sed "s/\"daemon\"/\"no-such-user-here\"/" user.conf >bad.conf &&
	test_expect_code 78 hookdir -c bad.conf check >check.out 2>&1 &&
	test_grep "bad.conf:1: error: worker.user: no user named" check.out
'

test_expect_success '--allow-root runs as root where the state is root'"'"'s' '
	mkdir rstate &&
	sed "s/\"ustate\", \"worker\": { \"user\": \"daemon\" }/\"rstate\"/" user.conf >root.conf &&
	test_grep "\"rstate\"" root.conf &&
	queue_event push &&
	hookdir -c root.conf worker --once --allow-root &&
	test "$(sqlite3 rstate/hookdir.db "SELECT status FROM runs WHERE event = '\''$event'\''")" = success &&
	test "$(stat -c %U rstate/hookdir.db)" = root
'

test_expect_success 'hookdir log exits non-zero when a log cannot be read' '
	run=$(last_run who) &&
	log=$(ls state/logs/$run/w/*.log) &&
	chown root: "$log" &&
	chmod 600 "$log" &&
	test_expect_code 66 as_daemon bin/hookdir log $run >out 2>err &&
	test_grep "Permission denied" err &&
	test_expect_code 66 as_daemon bin/hookdir log $run w id >out 2>err &&
	test_grep "Permission denied" err
'

test_expect_success 'hookdir show exits non-zero when the spool file cannot be read' '
	id=$(ls spool/done | head -n 1) &&
	chown root: spool/done/$id &&
	chmod 600 spool/done/$id &&
	test_expect_code 66 as_daemon bin/hookdir show $id >out 2>err &&
	test_grep "Permission denied" err
'

test_done
