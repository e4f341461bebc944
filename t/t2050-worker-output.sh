#!/bin/bash
test_description='what the worker says, and where

From cron (stderr not a terminal) `worker --once` is silent when all went
well and prints a line for each run that went wrong; -v prints a line per
event and per run. On a terminal it shows one progress line, rewritten in
place and erased at the end. --watch prints every event and run line.
Each of those lines names the event. --syslog sends them to syslog
(captured on a datagram socket at /dev/log in a private mount namespace)
and nothing to stderr.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3 script

ESC=$(printf '\033')
CR=$(printf '\r')

# Appended to a file, the worker's lines begin with the local time.
STAMP='[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9][-+][0-9]\{4\}'

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/ok.json <<-\EOF &&
	{ "on": { "source": "test", "events": [ "good", "mixed" ] },
	  "jobs": { "a": { "steps": [ { "run": "echo fine" } ] } } }
	EOF
	cat >pipelines/breaks.json <<-\EOF &&
	{ "on": { "source": "test", "events": [ "mixed" ] },
	  "jobs": { "b": { "steps": [ { "run": "exit 3" } ] } } }
	EOF
	check_config
'

test_expect_success '--once from cron: silent when every run succeeds' '
	queue_event good &&
	hookdir worker --once 2>err &&
	run_status_is $event success &&
	test_line_count = 0 err &&
	test ! -s err
'

test_expect_success '--once from cron: a line for the run that failed, only, with its time' '
	queue_event mixed &&
	hookdir worker --once 2>err &&
	run_status_is $event failure,success &&
	bad=$(last_run breaks) &&
	test_grep "^$STAMP hookdir: run $bad breaks: failure (1 job): .*; event $event\$" err &&
	test_line_count = 1 err
'

test_expect_success '-v: a line for each event and each run' '
	queue_event mixed &&
	hookdir -v worker --once 2>err &&
	ok=$(last_run ok) && bad=$(last_run breaks) &&
	test_grep "^$STAMP hookdir: event $event source=test type=mixed: 2 runs\$" err &&
	test_grep "^$STAMP hookdir: run $ok ok: success (1 job); event $event\$" err &&
	test_grep "^$STAMP hookdir: run $bad breaks: failure (1 job): .*; event $event\$" err &&
	test_grep "^$STAMP hookdir: run $ok ok/a: success; event $event\$" err
'

test_expect_success 'a duplicate delivery is a line with -v only' '
	new_message good &&
	sed -i -e "s/^Hookdir-Delivery: .*/Hookdir-Delivery: same/" spool/tmp/$event &&
	mv spool/tmp/$event spool/new/ &&
	first=$event &&
	hookdir worker --once 2>err &&
	new_message good &&
	sed -i -e "s/^Hookdir-Delivery: .*/Hookdir-Delivery: same/" spool/tmp/$event &&
	mv spool/tmp/$event spool/new/ &&
	hookdir worker --once 2>err &&
	event_status_is $event duplicate &&
	test_line_count = 0 err
'

test_expect_success 'on a terminal: one progress line, erased at the end' '
	queue_event good &&
	one=$event &&
	queue_event good &&
	two=$event &&
	script -qec "hookdir worker --once" /dev/null </dev/null >out &&
	run_status_is $two success &&
	test_grep "${CR}\[1/2\] event $one source=test${ESC}\[K" out &&
	test_grep "${CR}\[2/2\] event $two source=test${ESC}\[K" out &&
	test_grep "${CR}${ESC}\[K\$" out &&
	test_grep ! "success" out
'

test_expect_success 'the progress line is cut to the terminal'\''s width' '
	queue_event good &&
	script -qec "stty cols 30; hookdir worker --once" /dev/null </dev/null >out &&
	run_status_is $event success &&
	test_grep "${CR}\[1/1\] event ${event:0:17}${ESC}\[K" out
'

test_expect_success 'on a terminal, trouble erases the progress line first' '
	queue_event mixed &&
	script -qec "hookdir worker --once" /dev/null </dev/null >out &&
	test_grep "${CR}${ESC}\[Khookdir: run [0-9]* breaks: failure" out
'

test_expect_success '--watch: every event and run line' '
	{ hookdir worker --watch 2>watch.err & } &&
	pid=$! &&
	stop_at_exit $pid &&
	queue_event good &&
	wait_for event_status_is $event done &&
	wait_for grep -q "run [0-9]* ok: success" watch.err &&
	kill -TERM $pid &&
	wait_exit $pid &&
	test_grep "^$STAMP hookdir: event $event source=test type=good: 1 run\$" watch.err &&
	test_grep "^$STAMP hookdir: run $(last_run ok) ok: success (1 job); event $event\$" watch.err &&
	test_grep ! "ok/a" watch.err
'

test_expect_success '--syslog: nothing on stderr, not even trouble' '
	queue_event mixed &&
	hookdir worker --once --syslog 2>err &&
	run_status_is $event failure,success &&
	test_line_count = 0 err &&
	queue_event mixed &&
	script -qec "hookdir worker --once --syslog" /dev/null </dev/null >out &&
	run_status_is $event failure,success &&
	test_line_count = 0 out
'

# A syslog daemon of our own: /dev/log in a private mount namespace
# (root, unshare, python3), so the machine's /dev is left alone.
test_lazy_prereq SYSLOG_CAPTURE '
	test "$(id -u)" = 0 &&
	command -v python3 >/dev/null &&
	unshare -m true
'

test_expect_success SYSLOG_CAPTURE '--syslog: the lines reach syslog, facility daemon' '
	write_script capture-syslog <<-\EOS &&
	# capture-syslog OUT CMD...: run CMD with /dev/log a datagram socket
	# whose messages go to OUT, one a line.
	out=$1
	shift
	old=$(mktemp -d)
	mount --bind /dev "$old" &&
	mount -t tmpfs tmpfs /dev &&
	for n in null zero random urandom tty ptmx
	do
		touch /dev/$n && mount --bind "$old/$n" /dev/$n || exit 1
	done
	python3 -c "
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(\"/dev/log\")
os.chmod(\"/dev/log\", 0o666)
print(\"ready\", flush=True)
with open(sys.argv[1], \"ab\", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b\"\\n\")
" "$out" >ready &
	daemon=$!
	while ! test -s ready; do sleep 0.1; done
	"$@"
	rc=$?
	sleep 0.5
	kill $daemon
	exit $rc
	EOS
	queue_event mixed &&
	unshare -m ./capture-syslog "$TRASH/syslog.out" \
		hookdir -v worker --once --syslog 2>err &&
	run_status_is $event failure,success &&
	test_line_count = 0 err &&
	bad=$(last_run breaks) && ok=$(last_run ok) &&
	test_grep "^<28>.*hookdir\[[0-9]*\]: run $bad breaks: failure (1 job): .*; event $event\$" syslog.out &&
	test_grep "^<29>.*hookdir\[[0-9]*\]: event $event source=test type=mixed: 2 runs\$" syslog.out &&
	test_grep "^<29>.*hookdir\[[0-9]*\]: run $ok ok: success (1 job); event $event\$" syslog.out &&
	test_grep "^<30>.*hookdir\[[0-9]*\]: run $ok ok/a: success; event $event\$" syslog.out
'

test_done
