#!/bin/bash
test_description='hookdir emit from a step: the run'"'"'s secrets are masked

What a step emits is masked (strings, keys, numbers) before the spool
file is written, so that no secret reaches spool/, the history, the
logs, the next pipeline or the status pages; the raw $HOOKDIR_OUTPUT
file is gone once the step ended.'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

event_base=1764021
secret=Emit-s3cr3t-77
pin=918273645

test_expect_success 'setup' '
	setup_worker &&
	cat >hookdir.conf <<-\EOF &&
	{
	  "sources": { "test": { "provider": "generic", "secret": "s3cret" } },
	  "report": { "html": "www" }
	}
	EOF
	mkdir secrets &&
	printf "%s\n" "$secret" >secrets/TOKEN &&
	printf "%s\n" "$pin" >secrets/PIN &&
	chmod 600 secrets/TOKEN secrets/PIN &&
	{
		echo "TRASH=\"$TRASH\"" &&
		cat <<-\EOF
	hookdir emit leaked "{\"tok\": \"x${TOKEN}y\", \"$TOKEN\": \"key\", \"list\": [\"$TOKEN\", 1], \"pin\": $PIN, \"pins\": \"a${PIN}b\", \"n\": 7}" >>"$TRASH/emitted" &&
	printf "{\"stdin\": \"%s\"}" "$TOKEN" | hookdir emit leaked2 - >>"$TRASH/emitted" &&
	echo "tok=x${TOKEN}y" >>"$HOOKDIR_OUTPUT" || exit 1
	hookdir emit "$TOKEN"
	echo "name $?" >>"$TRASH/codes"
	env -u TOKEN hookdir emit dropped "{}"
	echo "dropped $?" >>"$TRASH/codes"
	EOF
	} | write_script emit.sh &&
	cat >pipelines/leaky.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["leak"] },
	  "keep_workspace": true,
	  "secrets": ["TOKEN", "PIN"],
	  "jobs": { "leak": { "steps": [ { "name": "emit", "run": "$TRASH/emit.sh" } ] } }
	}
	EOF
	cat >pipelines/heard.json <<-EOF &&
	{
	  "on": { "event": { "name": "leaked" } },
	  "env": { "DATA": "\${{ event.data }}" },
	  "jobs": { "hear": { "steps": [ { "run": "printf \"%s\\\\n\" \"\$DATA\" | tee \"$TRASH/heard\"" } ] } }
	}
	EOF
	check_config
'

test_expect_success 'a step emits data holding the secrets: both runs work' '
	queue_event leak &&
	hookdir worker --once 2>worker.err &&
	hookdir worker --once 2>>worker.err &&
	run=$(last_run leaky) &&
	sql "SELECT status FROM runs WHERE id = $run" >actual &&
	echo success >expect &&
	test_cmp expect actual &&
	sql "SELECT status FROM runs WHERE pipeline = '"'heard'"'" >actual &&
	test_cmp expect actual &&
	test_line_count = 2 emitted
'

test_expect_success 'the next pipeline receives the data masked' '
	cat >expect <<-\EOF &&
	{"tok":"x***y","***":"key","list":["***",1],"pin":"***","pins":"a***b","n":7}
	EOF
	test_cmp expect heard
'

test_expect_success 'data from standard input is masked too' '
	test_grep "\"data\":{\"stdin\":\"\*\*\*\"}" "spool/done/$(sed -n 2p emitted)"
'

test_expect_success 'a name holding a secret, or a secret the step dropped: nothing spooled' '
	cat >expect <<-\EOF &&
	name 64
	dropped 78
	EOF
	test_cmp expect codes &&
	test_grep "the event name holds a secret" state/logs/$run/leak/emit.log &&
	test_grep "secret TOKEN is not in the environment" state/logs/$run/leak/emit.log &&
	sql "SELECT count(*) FROM events WHERE type IN ('"'dropped'"', '"'***'"')" >actual &&
	echo 0 >expect &&
	test_cmp expect actual
'

test_expect_success 'the raw output file is removed when the step ends' '
	test_path_is_file state/work/$run/.hookdir-body &&
	test_path_is_missing state/work/$run/.hookdir-output-leak-emit &&
	sql "SELECT outputs FROM jobs WHERE run = $run" >actual &&
	echo "{\"tok\":\"x***y\"}" >expect &&
	test_cmp expect actual
'

test_expect_success 'no secret in spool, state, history, pages or the worker log' '
	hookdir report &&
	test_path_is_dir www &&
	sql .dump >dump &&
	! grep -r -F -e "$secret" -e "$pin" spool state www dump worker.err
'

test_done
