#!/bin/bash
test_description='for_each: a job fanned out over an output array, and a join'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

event_base=1764000

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/fan.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["fan"] },
	  "keep_workspace": true,
	  "jobs": {
	    "discover": { "steps": [
	      { "run": "echo '\''services=[\"api\",\"web\",{\"name\":\"db\"}]'\'' >>\"$HOOKDIR_OUTPUT\"" }
	    ] },
	    "each": { "needs": ["discover"], "for_each": "needs.discover.outputs.services",
	      "env": { "FROM": "discover ${{ needs.discover.status }}" },
	      "steps": [
	        { "name": "from", "run": "echo \"$FROM\" >\"$HOOKDIR_WORKSPACE/from-$HOOKDIR_JOB\"" },
	        { "name": "work", "run": "printf \"%s\\n\" \"$HOOKDIR_ITEM\" >\"$HOOKDIR_WORKSPACE/item-$HOOKDIR_JOB\"; echo \"item $HOOKDIR_ITEM\"; echo last=$HOOKDIR_JOB >>\"$HOOKDIR_OUTPUT\"" }
	      ] },
	    "join": { "needs": ["each"],
	      "if": "needs.each.status == '\''success'\'' && len(needs.each.instances) == 3 && needs.each.instances[2].status == '\''success'\''",
	      "steps": [ { "run": "ls \"$HOOKDIR_WORKSPACE\" | grep ^item- >\"$HOOKDIR_WORKSPACE/joined\"" } ] }
	  }
	}
	EOF
	cat >pipelines/empty.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["empty"] },
	  "jobs": {
	    "each": { "for_each": "payload.list", "steps": [ { "run": "echo never" } ] },
	    "after": { "needs": ["each"], "steps": [ { "run": "echo after" } ] }
	  }
	}
	EOF
	cat >pipelines/notarray.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["notarray"] },
	  "jobs": {
	    "each": { "for_each": "payload.list", "steps": [ { "run": "echo never" } ] },
	    "after": { "needs": ["each"], "steps": [ { "run": "echo never" } ] }
	  }
	}
	EOF
	cat >pipelines/onefails.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["onefails"] },
	  "jobs": {
	    "each": { "for_each": "payload.list",
	      "steps": [ { "run": "test \"$HOOKDIR_ITEM\" != 2" } ] },
	    "after": { "needs": ["each"], "steps": [ { "run": "echo never" } ] }
	  }
	}
	EOF
	check_config
'

test_expect_success 'an output array fans out to one job per element, then the join' '
	queue_event fan &&
	hookdir worker --once -j 4 2>worker.err &&
	run=$(last_run fan) &&
	sql "SELECT name, status FROM jobs WHERE run = $run ORDER BY id" >actual &&
	cat >expect <<-\EOF &&
	discover|success
	each|success
	join|success
	each[0]|success
	each[1]|success
	each[2]|success
	EOF
	test_cmp expect actual
'

test_expect_success 'each instance got its item and its name' '
	echo api >expect &&
	test_cmp expect "state/work/$run/item-each[0]" &&
	echo web >expect &&
	test_cmp expect "state/work/$run/item-each[1]" &&
	echo "{\"name\":\"db\"}" >expect &&
	test_cmp expect "state/work/$run/item-each[2]" &&
	echo "item api" >expect &&
	test_cmp expect "state/logs/$run/each[0]/work.log"
'

test_expect_success 'each instance has its job'"'"'s env, rendered once its needs ended' '
	echo "discover success" >expect &&
	for i in 0 1 2
	do
		test_cmp expect "state/work/$run/from-each[$i]" || return 1
	done
'

test_expect_success 'the join ran after all of them and saw them all' '
	cat >expect <<-\EOF &&
	item-each[0]
	item-each[1]
	item-each[2]
	EOF
	test_cmp expect state/work/$run/joined &&
	test "$(sql "SELECT count(*) FROM jobs j, jobs i WHERE j.run = $run AND i.run = $run AND j.name = '\''join'\'' AND i.name LIKE '\''each[%'\'' AND j.started >= i.finished")" = 3 &&
	sql "SELECT outputs FROM jobs WHERE run = $run AND name = '\''each'\''" >actual &&
	echo "{\"last\":\"each[2]\"}" >expect &&
	test_cmp expect actual
'

test_expect_success 'an empty array: the job is skipped, and jobs needing it run' '
	printf "{\"list\": []}\n" >body.json &&
	queue_event empty body.json &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run empty) &&
	sql "SELECT name, status, reason FROM jobs WHERE run = $run ORDER BY id" >actual &&
	cat >expect <<-\EOF &&
	each|skipped|for_each: `payload.list` is an empty array
	after|success|
	EOF
	test_cmp expect actual
'

test_expect_success 'not an array: the job fails with a clear reason' '
	printf "{\"list\": \"a,b\"}\n" >body.json &&
	queue_event notarray body.json &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run notarray) &&
	sql "SELECT name, status, reason FROM jobs WHERE run = $run ORDER BY id" >actual &&
	cat >expect <<-\EOF &&
	each|failure|for_each: `payload.list` is string, not an array
	after|skipped|needs each: failure
	EOF
	test_cmp expect actual &&
	sql "SELECT status FROM runs WHERE id = $run" >actual &&
	echo failure >expect &&
	test_cmp expect actual
'

test_expect_success 'one instance failing fails the fanned-out job, the others still run' '
	printf "{\"list\": [1, 2, 3]}\n" >body.json &&
	queue_event onefails body.json &&
	hookdir worker --once -j 3 2>worker.err &&
	run=$(last_run onefails) &&
	sql "SELECT name, status, reason FROM jobs WHERE run = $run ORDER BY id" >actual &&
	cat >expect <<-\EOF &&
	each|failure|each[1]: failure
	after|skipped|needs each: failure
	each[0]|success|
	each[1]|failure|step 1: exit status 1
	each[2]|success|
	EOF
	test_cmp expect actual
'

test_done
