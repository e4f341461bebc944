#!/bin/bash
test_description='what the worker asks of the kernel for one event

Counted with strace: the worker reads a claimed spool file through the
descriptor it locked it with, and opens its path no second time.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3 strace

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/one.json <<-\EOF &&
	{ "on": { "source": "test" },
	  "jobs": { "j": { "steps": [ { "run": "true" } ] } } }
	EOF
	check_config &&
	queue_event warm &&
	hookdir worker --once &&
	run_status_is $event success
'

# LeakSanitizer refuses to run under ptrace: under ASan the traced worker
# is checked for everything else.
no_leak_check=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

test_expect_success 'a claimed spool file is opened once, and read' '
	queue_event one &&
	ASAN_OPTIONS=$no_leak_check \
	    strace -f -e trace=open,openat -o trace hookdir worker --once &&
	run_status_is $event success &&
	grep "spool/[a-z]*/$event\"" trace >opens &&
	test_line_count = 1 opens &&
	test_grep "spool/new/$event\"" opens &&
	sql "SELECT type FROM events WHERE id = '\''$event'\''" >actual &&
	echo one >expect &&
	test_cmp expect actual
'

test_done
