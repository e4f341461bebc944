#!/bin/bash
test_description='the hookdir command on a terminal: colours and width

Under a real pseudo-terminal (script(1)), status words are coloured in
runs, show, status and log; NO_COLOR=1 and a pipe leave them plain, and a
pipe keeps the tab-separated output. A table fits the terminal: with 60
columns (stty or COLUMNS) no line of `hookdir runs` is wider, and the
cells cut end in "…".'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3 script stty iconv

ESC=$(printf '\033')

# on_tty CMD: run the shell command CMD on a pseudo-terminal; its output,
# without the terminal's carriage returns, on stdout.
on_tty () {
	script -qec "$1" /dev/null </dev/null | tr -d '\r'
}

# widest FILE: the widest line of FILE in terminal columns, colour codes
# aside.
widest () {
	sed -e "s/$ESC\[[0-9;]*m//g" "$1" | LC_ALL=C.UTF-8 wc -L | tr -d ' '
}

test_expect_success 'setup: one run that succeeds, one that fails' '
	setup_worker &&
	cat >pipelines/a-pipeline-with-a-rather-long-name.json <<-\EOF &&
	{ "on": { "source": "test" }, "jobs": { "build": { "steps": [ { "run": "echo built" } ] } } }
	EOF
	cat >pipelines/breaks.json <<-\EOF &&
	{ "on": { "source": "test" }, "jobs": { "b": { "steps": [ { "run": "echo no; exit 3" } ] } } }
	EOF
	check_config &&
	queue_event push &&
	hookdir worker --once 2>worker.err &&
	run_status_is $event success,failure &&
	ok=$(last_run a-pipeline-with-a-rather-long-name) &&
	bad=$(last_run breaks)
'

test_expect_success 'runs: status words coloured on a terminal' '
	on_tty "hookdir runs" >out &&
	test_grep "${ESC}\[32msuccess${ESC}\[0m" out &&
	test_grep "${ESC}\[31mfailure${ESC}\[0m" out &&
	test_grep "^RUN  *PIPELINE  *STATUS" out
'

test_expect_success 'show, status and log colour their status words' '
	on_tty "hookdir show $event" >show.out &&
	test_grep "^Status:   ${ESC}\[32mdone${ESC}\[0m" show.out &&
	test_grep "breaks  ${ESC}\[31mfailure${ESC}\[0m" show.out &&
	on_tty "hookdir status" >status.out &&
	test_grep "^last run  $bad breaks ${ESC}\[31mfailure${ESC}\[0m" status.out &&
	on_tty "hookdir log $bad" >log.out &&
	test_grep "^==> b/1: ${ESC}\[31mfailure${ESC}\[0m, exit 3 <==" log.out
'

test_expect_success 'NO_COLOR=1 turns colours off, NO_COLOR= does not' '
	on_tty "NO_COLOR=1 hookdir runs; NO_COLOR=1 hookdir log $bad" >out &&
	test_grep "failure" out &&
	test_grep ! "$ESC" out &&
	on_tty "NO_COLOR= hookdir runs" >out &&
	test_grep "$ESC" out
'

test_expect_success 'piped output has no colours and stays TSV' '
	hookdir runs >out &&
	hookdir log $bad >>out &&
	hookdir status >>out &&
	test_grep ! "$ESC" out &&
	test_grep "^$ok	a-pipeline-with-a-rather-long-name	success	$event	" out &&
	test_grep "^==> b/1: failure, exit 3 <==" out
'

test_expect_success 'on a 60-column terminal the table fits' '
	on_tty "hookdir runs" >wide.out &&
	test "$(widest wide.out)" -gt 60 &&
	on_tty "stty cols 60; hookdir runs" >narrow.out &&
	test "$(widest narrow.out)" -le 60 &&
	test_grep "…" narrow.out &&
	test_grep "^RUN  *PIPELINE" narrow.out &&
	test_line_count = 3 narrow.out
'

test_expect_success 'COLUMNS=60 counts when the terminal has no size' '
	on_tty "stty cols 0; COLUMNS=60 hookdir runs" >narrow.out &&
	test "$(widest narrow.out)" -le 60 &&
	test_grep "…" narrow.out &&
	on_tty "stty cols 0; hookdir runs" >wide.out &&
	test "$(widest wide.out)" -gt 60
'

test_expect_success 'a cut cell never splits a UTF-8 character' '
	queue_event "ééééééééééééééééééééééééééééééé.ééééééééé" &&
	on_tty "stty cols 60; hookdir ls" >out &&
	test "$(widest out)" -le 60 &&
	test_grep "é…" out &&
	iconv -f UTF-8 -t UTF-8 out >/dev/null
'

test_done
