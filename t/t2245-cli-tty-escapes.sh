#!/bin/bash
test_description='the hookdir command on a terminal: data cannot drive it

A step that prints escape sequences (a window title, a cleared screen),
an event type and a job output holding them: on a real pseudo-terminal
(script(1)) log, show, ls, runs and test print them as \xNN, and valid
UTF-8, newlines and tabs as they are. log --raw prints the bytes, and so
does log into a pipe.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3 script

ESC=$(printf '\033')
BEL=$(printf '\007')

# on_tty CMD: CMD on a pseudo-terminal, colours off; its output without
# the terminal's carriage returns.
on_tty () {
	NO_COLOR=1 script -qec "$1" /dev/null </dev/null | tr -d '\r'
}

test_expect_success 'setup: a run whose step and event carry escapes' '
	setup_worker &&
	write_script pwn.sh <<-\EOF &&
	printf "\033]0;pwned\007\033[2J\n"
	printf "caf\303\251\tok \302\233c\n"
	hookdir output note "$(printf "a\033[31mb")"
	EOF
	write_script long.sh <<-\EOF &&
	head -c 16383 /dev/zero | tr "\\0" a
	printf "\303\251\n"
	EOF
	cat >pipelines/esc.json <<-EOF &&
	{ "on": { "source": "test" },
	  "jobs": { "j": { "steps": [ { "name": "pwn", "run": "$TRASH/pwn.sh" },
	    { "name": "long", "run": "$TRASH/long.sh" } ] } } }
	EOF
	cat >pipelines/picky.json <<-\EOF &&
	{ "on": { "source": "test", "if": "eventType == '"'push'"'" },
	  "jobs": { "j": { "steps": [ { "run": "true" } ] } } }
	EOF
	check_config &&
	queue_event "ev${ESC}[2Jx" &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run esc) &&
	run_status_is $event success &&
	printf "${ESC}]0;pwned${BEL}${ESC}[2J\n" >expect.raw &&
	test_grep "pwned" state/logs/$run/j/pwn.log
'

test_expect_success 'log on a terminal: escapes shown as \xNN, UTF-8 and tabs kept' '
	on_tty "hookdir log $run" >out &&
	test_grep ! "$ESC" out &&
	test_grep ! "$BEL" out &&
	test_grep "^\\\\x1b]0;pwned\\\\x07\\\\x1b\[2J\$" out &&
	test_grep "^café	ok \\\\xc2\\\\x9bc\$" out &&
	on_tty "hookdir log $run j pwn" >out &&
	test_grep ! "$ESC" out &&
	test_grep "^\\\\x1b]0;pwned" out
'

test_expect_success 'log on a terminal: a character across two reads is whole' '
	on_tty "hookdir log $run j long" >out &&
	test_grep "aé\$" out &&
	test_grep ! "x[0-9a-f][0-9a-f]" out
'

test_expect_success 'log --raw on a terminal, and log into a pipe: the bytes' '
	on_tty "hookdir log --raw $run j pwn" >out &&
	test_grep "^${ESC}]0;pwned${BEL}${ESC}\[2J\$" out &&
	hookdir log $run j pwn >out &&
	test_cmp state/logs/$run/j/pwn.log out
'

test_expect_success 'show: the event type header and the output escaped' '
	on_tty "hookdir show $event" >out &&
	test_grep ! "$ESC" out &&
	test_grep "^  Hookdir-Event: ev\\\\x1b\[2Jx\$" out &&
	test_grep "note = a\\\\x1b\[31mb" out
'

test_expect_success 'ls, runs and test: no escape reaches the terminal' '
	on_tty "hookdir ls done" >out &&
	test_grep ! "$ESC" out &&
	test_grep "ev\\\\x1b\[2Jx" out &&
	on_tty "hookdir runs" >out &&
	test_grep ! "$ESC" out &&
	on_tty "hookdir test picky $event; true" >out &&
	test_grep ! "$ESC" out &&
	test_grep "ev\\\\x1b\[2Jx" out
'

test_done
