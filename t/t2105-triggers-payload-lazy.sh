#!/bin/bash
test_description='triggers: the payload is decoded when something asks for it

A pipeline whose `on` names only its source starts without the body
being decoded; whatever the body holds, its steps get it byte for
byte. Pipelines evaluated after it on the same event (an `if`, `env`
templates, a job `if`) still see the decoded payload, and a body that
is not JSON is still no payload to them.'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

# sql_of ID COLUMN TABLE [AND ...]: a column of the rows of event ID
sql_of () {
	sql "SELECT $2 FROM $3 WHERE event = '$1' $4"
}

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/a-source.json <<-\EOF &&
	{
	  "on": { "source": "test" },
	  "jobs": { "copy": { "steps": [ { "run": "cat \"$HOOKDIR_BODY\" >\"$TRASH/body.$HOOKDIR_EVENT_ID\"" } ] } }
	}
	EOF
	cat >pipelines/b-if.json <<-\EOF &&
	{
	  "on": { "source": "test", "if": "payload.ref == '\''refs/heads/main'\''" },
	  "env": { "REF": "${{ payload.ref }}", "N": "${{ len(payload.commits) }}" },
	  "jobs": {
	    "env": { "steps": [ { "run": "echo \"$REF $N\" >\"$TRASH/env.$HOOKDIR_EVENT_ID\"" } ] },
	    "two": { "if": "payload.commits[1].id == '\''c2'\''",
	      "steps": [ { "run": "echo c2 >\"$TRASH/two.$HOOKDIR_EVENT_ID\"" } ] }
	  }
	}
	EOF
	sed -i "s|\\\$TRASH|$TRASH|g" pipelines/*.json &&
	check_config
'

test_expect_success 'a body labelled JSON that is not: the source alone starts a run' '
	{
		printf "{\"ref\": \"refs/heads/main\", \"x\": " &&
		head -c 200000 /dev/zero | tr "\\0" "[" &&
		printf "\\001 not json\\n"
	} >garbage &&
	queue_event push garbage &&
	hookdir worker --once 2>worker.err &&
	run_status_is $event success &&
	test "$(sql_of $event pipeline runs)" = a-source &&
	test_cmp garbage "body.$event" &&
	echo "if: \`payload.ref == '\''refs/heads/main'\''\` was false," \
		"payload.ref = nil" >expect &&
	sql_of $event trace traces "AND pipeline = '\''b-if'\''" >actual &&
	test_cmp expect actual
'

test_expect_success 'after a source-only pipeline, an if, env and a job if see the payload' '
	printf "%s\\n" "{\"ref\": \"refs/heads/main\"," \
		"\"commits\": [{\"id\": \"c1\"}, {\"id\": \"c2\"}]}" >push &&
	queue_event push push &&
	hookdir worker --once 2>worker.err &&
	run_status_is $event success,success &&
	test_cmp push "body.$event" &&
	echo "refs/heads/main 2" >expect &&
	test_cmp expect "env.$event" &&
	echo c2 >expect &&
	test_cmp expect "two.$event"
'

test_done
