#!/bin/bash
test_description='job outputs: hookdir output writes any value safely

A step that copies payload data into $HOOKDIR_OUTPUT with the key<<EOF
form lets the payload end the block early and set other outputs: the
first test shows it, and is the reason `hookdir output` exists. With
`hookdir output NAME VALUE` (or the value on standard input) a value
holding EOF lines, key=value lines and random-looking delimiter lines
reaches needs.JOB.outputs.NAME byte for byte and sets nothing else.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3 setsid

event_base=1764060

# The payload's msg: what an attacker controls.
msg='\nfirst\nEOF\nx=overwritten\nmsg<<EOF\nHOOKDIR_0123456789abcdef0123456789abcdef\nghadelimiter_5d1c0a\n\n'

# step NAME: a step script that knows $TRASH, its body on stdin
step () {
	{
		echo "TRASH=\"$TRASH\"" &&
		cat
	} | write_script "$1"
}

test_expect_success 'setup' '
	setup_worker &&
	printf "{\"msg\": \"%s\"}\n" "$msg" >payload.json &&
	printf "$msg" >expect.msg &&
	step old.sh <<-\EOF &&
	printf "msg<<EOF\n%s\nEOF\n" "$MSG" >>"$HOOKDIR_OUTPUT"
	EOF
	step new.sh <<-\EOF &&
	hookdir output msg "$MSG" &&
	printf %s "$MSG" | hookdir output piped &&
	hookdir output empty ""
	EOF
	step check.sh <<-\EOF &&
	printf %s "$OLD_X" >"$TRASH/old.x" &&
	printf %s "$NEW" >"$TRASH/new.msg" &&
	printf %s "$PIPED" >"$TRASH/piped.msg" &&
	printf %s "$NEW_X" >"$TRASH/new.x" &&
	printf %s "$EMPTY" >"$TRASH/empty.msg"
	EOF
	cat >pipelines/outputs.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["out"] },
	  "env": { "MSG": "\${{ payload.msg }}" },
	  "jobs": {
	    "old": { "steps": [ { "run": "$TRASH/old.sh" } ] },
	    "new": { "steps": [ { "run": "$TRASH/new.sh" } ] },
	    "check": { "needs": ["old", "new"],
	      "env": { "OLD_X": "\${{ needs.old.outputs.x }}",
		       "NEW": "\${{ needs.new.outputs.msg }}",
		       "PIPED": "\${{ needs.new.outputs.piped }}",
		       "EMPTY": "\${{ needs.new.outputs.empty }}",
		       "NEW_X": "\${{ needs.new.outputs.x }}" },
	      "steps": [ { "run": "$TRASH/check.sh" } ] }
	  }
	}
	EOF
	check_config &&
	queue_event out payload.json &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run outputs) &&
	sql "SELECT status FROM runs WHERE id = $run" >actual &&
	echo success >expect &&
	test_cmp expect actual
'

test_expect_success 'key<<EOF with payload data: the payload sets x (the forgery)' '
	printf overwritten >expect &&
	test_cmp expect old.x
'

test_expect_success 'hookdir output: the value round-trips byte for byte' '
	test_cmp expect.msg new.msg &&
	test_cmp expect.msg piped.msg &&
	test ! -s empty.msg
'

test_expect_success 'hookdir output: the payload sets no other output' '
	test ! -s new.x &&
	sql "SELECT outputs FROM jobs WHERE run = $run AND name = '"'new'"'" >actual &&
	test_grep "^{\"msg\":\"[^\"]*\",\"piped\":\"[^\"]*\",\"empty\":\"\"}\$" actual
'

test_expect_success 'hookdir output outside a step, or with a bad name or value' '
	test_expect_code 64 env -u HOOKDIR_OUTPUT hookdir output k v 2>err &&
	test_grep "HOOKDIR_OUTPUT is not set" err &&
	test_expect_code 64 env HOOKDIR_OUTPUT="$TRASH/out" hookdir output "a=b" v &&
	test_expect_code 64 env HOOKDIR_OUTPUT="$TRASH/out" hookdir output &&
	printf "a\0b" >nul &&
	test_expect_code 65 env HOOKDIR_OUTPUT="$TRASH/out" hookdir output k <nul 2>err &&
	test_grep "NUL byte" err &&
	# In a process group of its own, led by a live process, as a step
	# is: the file may be created then.
	test_expect_code 64 env HOOKDIR_OUTPUT="$TRASH/gone/out" \
		setsid -w hookdir output k v 2>err &&
	test_grep "its run has ended" err &&
	test_path_is_missing gone &&
	test_path_is_missing out &&
	env HOOKDIR_OUTPUT="$TRASH/out" setsid -w hookdir output k "EOF" &&
	test_path_is_file out &&
	test "$(stat -c %a out)" = 600 &&
	test_grep "^k<<HOOKDIR_[0-9a-f]\{32\}\$" out &&
	test_line_count = 3 out
'

test_done
