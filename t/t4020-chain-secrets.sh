#!/bin/bash
test_description='secrets: masked in step logs (also split across writes) and outputs'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

event_base=1764020
secret=s3cr3t-Value-42

test_expect_success 'setup' '
	setup_worker &&
	mkdir secrets &&
	printf "%s\n" "$secret" >secrets/TOKEN &&
	printf "%s\n" "other-secret" >secrets/OTHER &&
	echo loose >secrets/LOOSE &&
	chmod 600 secrets/TOKEN secrets/OTHER secrets/LOOSE &&
	cat >pipelines/leaky.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["leak"] },
	  "secrets": ["TOKEN", "OTHER"],
	  "jobs": {
	    "leak": { "steps": [
	      { "name": "whole", "run": "echo \"token is $TOKEN.\"; echo \"on stderr $OTHER\" >&2" },
	      { "name": "split", "run": "printf \"a-%s\" \"$(printf %s \"$TOKEN\" | cut -c1-6)\"; sleep 0.5; printf \"%s-b\\n\" \"$(printf %s \"$TOKEN\" | cut -c7-)\"" },
	      { "name": "bytes", "run": "i=1; while [ $i -le ${#TOKEN} ]; do printf %s \"$(printf %s \"$TOKEN\" | cut -c$i)\"; sleep 0.02; i=$((i + 1)); done; echo" },
	      { "name": "nearmiss", "run": "printf s3cr3t-; sleep 0.3; printf \"other\\n\"; printf s3cr" },
	      { "name": "background", "run": "(sleep 0.3; echo \"late $TOKEN\") & echo early" },
	      { "name": "output", "run": "sleep 1; echo \"tok=x${TOKEN}y\" >>\"$HOOKDIR_OUTPUT\"; echo plain=visible >>\"$HOOKDIR_OUTPUT\"" }
	    ] }
	  }
	}
	EOF
	cat >pipelines/loose.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["loose"] },
	  "secrets": ["LOOSE"],
	  "jobs": { "a": { "steps": [ { "run": "echo never" } ] } }
	}
	EOF
	check_config
'

test_expect_success 'a step printing its secrets: the run works' '
	queue_event leak &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run leaky) &&
	sql "SELECT status FROM runs WHERE id = $run" >actual &&
	echo success >expect &&
	test_cmp expect actual
'

test_expect_success 'whole values on stdout and stderr are masked' '
	cat >expect <<-\EOF &&
	token is ***.
	on stderr ***
	EOF
	test_cmp expect state/logs/$run/leak/whole.log
'

test_expect_success 'a value split across two writes is masked' '
	echo "a-***-b" >expect &&
	test_cmp expect state/logs/$run/leak/split.log
'

test_expect_success 'a value written one byte at a time is masked' '
	echo "***" >expect &&
	test_cmp expect state/logs/$run/leak/bytes.log
'

test_expect_success 'what only looks like the start of a value is written as it is' '
	printf "s3cr3t-other\ns3cr" >expect &&
	test_cmp expect state/logs/$run/leak/nearmiss.log
'

test_expect_success 'what a background process writes after its step ended is logged, masked' '
	cat >expect <<-\EOF &&
	early
	late ***
	EOF
	test_cmp expect state/logs/$run/leak/background.log
'

test_expect_success 'outputs are masked' '
	sql "SELECT outputs FROM jobs WHERE run = $run" >actual &&
	echo "{\"tok\":\"x***y\",\"plain\":\"visible\"}" >expect &&
	test_cmp expect actual
'

test_expect_success 'no secret anywhere in the logs or the history' '
	! grep -r -e "$secret" -e other-secret state/logs &&
	! sql .dump | grep -e "$secret" -e other-secret
'

test_expect_success 'a secret file readable by others is refused' '
	chmod 644 secrets/LOOSE &&
	queue_event loose &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run loose) &&
	sql "SELECT status, reason FROM runs WHERE id = $run" >actual &&
	test_grep "^failure|secret LOOSE: .*readable by group or others" actual
'

test_done
