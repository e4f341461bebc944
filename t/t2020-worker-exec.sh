#!/bin/bash
test_description='worker: step environment, payload safety, timeouts, outputs'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

# Nothing of the worker's own environment may reach a step.
LEAKED_TO_STEP=should-not-be-seen
export LEAKED_TO_STEP

event_base=1763810

test_expect_success 'setup' '
	setup_worker &&
	mkdir secrets &&
	printf "%s\n" "tok-123" >secrets/DEPLOY_TOKEN &&
	chmod 600 secrets/DEPLOY_TOKEN &&
	cat >pipelines/envcheck.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["envtest"] },
	  "env": {
	    "TITLE": "${{ payload.title }}",
	    "EVIL": "${{ payload.evil }}",
	    "TICK": "${{ payload.tick }}",
	    "TMPL": "${{ payload.tmpl }}",
	    "REPO": "repo=${{ payload.repository.name }}"
	  },
	  "secrets": ["DEPLOY_TOKEN"],
	  "keep_workspace": true,
	  "jobs": {
	    "check": { "steps": [
	      { "name": "env", "run": "env >\"$HOOKDIR_WORKSPACE/env.out\"" },
	      { "name": "values", "run": "printf \"%s\\n\" \"$TITLE\" \"$EVIL\" \"$TICK\" \"$TMPL\" \"$REPO\" >\"$HOOKDIR_WORKSPACE/values.out\"; cp \"$HOOKDIR_BODY\" \"$HOOKDIR_WORKSPACE/body.copy\"" },
	      { "name": "unquoted", "run": "echo $TITLE $EVIL $TICK" },
	      { "name": "where", "run": "pwd; test -f .hookdir-body" }
	    ] }
	  }
	}
	EOF
	cat >pipelines/timeout.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["timeout"] },
	  "jobs": {
	    "sleepy": { "steps": [
	      { "name": "nap", "timeout": "1s",
	        "run": "sleep 300 & echo $! >\"$HOOKDIR_WORKSPACE/grandchild.pid\"; wait" }
	    ] },
	    "stubborn": { "steps": [
	      { "name": "deaf", "timeout": "1s",
	        "run": "sh -c \"trap \\\"\\\" TERM; exec sleep 300\" & echo $! >\"$HOOKDIR_WORKSPACE/deaf.pid\"; wait" }
	    ] }
	  }
	}
	EOF
	cat >pipelines/jobtimeout.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["jobtimeout"] },
	  "timeout": "1h",
	  "jobs": {
	    "slow": { "timeout": "1s", "steps": [ { "run": "true" }, { "run": "sleep 300" }, { "run": "echo never" } ] },
	    "after": { "needs": ["slow"], "steps": [ { "run": "echo never" } ] }
	  }
	}
	EOF
	cat >pipelines/pipelinetimeout.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["pipelinetimeout"] },
	  "timeout": "1s",
	  "jobs": {
	    "slow": { "steps": [ { "run": "sleep 300" } ] },
	    "after": { "needs": ["slow"], "steps": [ { "run": "echo never" } ] }
	  }
	}
	EOF
	cat >pipelines/tolerant.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["tolerant"] },
	  "jobs": {
	    "work": { "steps": [
	      { "name": "flaky", "run": "echo trying; exit 2", "continue_on_error": true },
	      { "name": "slow", "run": "sleep 300", "timeout": "1s", "continue_on_error": true },
	      { "name": "after", "run": "echo after" }
	    ] },
	    "next": { "needs": ["work"], "steps": [ { "run": "echo next" } ] },
	    "strict": { "steps": [ { "name": "fails", "run": "exit 3" }, { "name": "never", "run": "echo never" } ] }
	  }
	}
	EOF
	cat >pipelines/outputs.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["outputs"] },
	  "jobs": {
	    "produce": { "steps": [
	      { "name": "one", "run": "echo version=1.0 >>\"$HOOKDIR_OUTPUT\"; printf \"notes<<EOF\\nline one\\nline two\\nEOF\\n\" >>\"$HOOKDIR_OUTPUT\"" },
	      { "name": "two", "run": "echo version=1.2.3 >>\"$HOOKDIR_OUTPUT\"; echo empty= >>\"$HOOKDIR_OUTPUT\"; echo url=https://example.org/a=b >>\"$HOOKDIR_OUTPUT\"" }
	    ] },
	    "consume": { "needs": ["produce"],
	      "if": "needs.produce.outputs.version == '\''1.2.3'\'' && needs.produce.outputs.notes == '\''line one\\nline two'\''",
	      "env": { "VERSION": "v${{ needs.produce.outputs.version }}",
	        "NOTES": "${{ needs.produce.outputs.notes }}",
	        "URL": "${{ needs.produce.outputs.url }}",
	        "WAS": "${{ needs.produce.status }}" },
	      "steps": [ { "run": "printf \"%s|%s|%s|%s\\n\" \"$VERSION\" \"$NOTES\" \"$URL\" \"$WAS\" >\"$HOME/consumed\"" } ] },
	    "stale": { "needs": ["produce"], "if": "needs.produce.outputs.version == '\''1.0'\''",
	      "steps": [ { "run": "echo never" } ] }
	  }
	}
	EOF
	check_config &&
	echo canary >"$HOME/canary"
'

test_expect_success 'payload values reach a step through env and HOOKDIR_BODY only' '
	cat >payload.json <<-EOF &&
	{"title": "\$(touch /tmp/pwned-$$)",
	 "evil": "\"; rm -rf ~; \"",
	 "tick": "\`touch /tmp/pwned-$$-b\`",
	 "tmpl": "\${{ payload.evil }}",
	 "repository": {"name": "site"}}
	EOF
	queue_event envtest payload.json &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run envcheck) &&
	sql "SELECT status FROM runs WHERE id = $run" >actual &&
	echo success >expect &&
	test_cmp expect actual &&
	cat >expect <<-EOF &&
	\$(touch /tmp/pwned-$$)
	"; rm -rf ~; "
	\`touch /tmp/pwned-$$-b\`
	\${{ payload.evil }}
	repo=site
	EOF
	test_cmp expect state/work/$run/values.out &&
	test_cmp payload.json state/work/$run/body.copy &&
	test_cmp payload.json state/work/$run/.hookdir-body
'

test_expect_success 'and nothing in them was executed' '
	test_path_is_missing /tmp/pwned-$$ &&
	test_path_is_missing /tmp/pwned-$$-b &&
	test_path_is_file "$HOME/canary" &&
	test_path_is_file hookdir.conf &&
	test_grep "rm -rf" state/logs/$run/check/unquoted.log
'

test_expect_success 'the step environment is clean and complete' '
	env=state/work/$run/env.out &&
	sed -n "s/=.*//p" $env | grep -v -x -e PWD -e OLDPWD -e SHLVL -e _ | sort >actual &&
	sort >expect <<-\EOF &&
	DEPLOY_TOKEN
	EVIL
	HOME
	HOOKDIR_BODY
	HOOKDIR_CHAIN_DEPTH
	HOOKDIR_CONF
	HOOKDIR_DELIVERY
	HOOKDIR_EVENT
	HOOKDIR_EVENT_ID
	HOOKDIR_JOB
	HOOKDIR_MESSAGE
	HOOKDIR_OUTPUT
	HOOKDIR_PIPELINE
	HOOKDIR_PROVIDER
	HOOKDIR_RUN_ID
	HOOKDIR_SECRETS
	HOOKDIR_SOURCE
	HOOKDIR_STEP
	HOOKDIR_WORKSPACE
	LANG
	LC_ALL
	PATH
	REPO
	TICK
	TITLE
	TMPL
	TZ
	EOF
	test_cmp expect actual &&
	cat >expect <<-EOF &&
	DEPLOY_TOKEN=tok-123
	HOME=$HOME
	HOOKDIR_BODY=$TRASH/state/work/$run/.hookdir-body
	HOOKDIR_CHAIN_DEPTH=0
	HOOKDIR_CONF=$TRASH/hookdir.conf
	HOOKDIR_DELIVERY=delivery-1
	HOOKDIR_EVENT=envtest
	HOOKDIR_EVENT_ID=$event
	HOOKDIR_JOB=check
	HOOKDIR_MESSAGE=$TRASH/spool/cur/$event
	HOOKDIR_OUTPUT=$TRASH/state/work/$run/.hookdir-output-check-env
	HOOKDIR_PIPELINE=envcheck
	HOOKDIR_PROVIDER=generic
	HOOKDIR_RUN_ID=$run
	HOOKDIR_SECRETS=DEPLOY_TOKEN
	HOOKDIR_SOURCE=test
	HOOKDIR_STEP=env
	HOOKDIR_WORKSPACE=$TRASH/state/work/$run
	PATH=$PATH
	EOF
	grep -e ^DEPLOY_TOKEN= -e ^HOME= -e ^HOOKDIR_ -e ^PATH= $env | sort >actual &&
	test_cmp expect actual &&
	echo "$TRASH/state/work/$run" >expect &&
	test_cmp expect state/logs/$run/check/where.log
'

test_expect_success 'a secret file readable by others fails the run' '
	printf "%s\n" "open" >secrets/OPEN_TOKEN &&
	chmod 644 secrets/OPEN_TOKEN &&
	cat >pipelines/leaky.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["leaky"] },
	  "secrets": ["OPEN_TOKEN"],
	  "jobs": { "j": { "steps": [ { "run": "echo should not run" } ] } }
	}
	EOF
	echo "{}" >empty.json &&
	queue_event leaky empty.json &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run leaky) &&
	sql "SELECT status, reason FROM runs WHERE id = $run" >actual &&
	test_grep "^failure|secret OPEN_TOKEN: .*readable by group or others" actual &&
	sql "SELECT count(*) FROM steps WHERE run = $run" >actual &&
	echo 0 >expect &&
	test_cmp expect actual &&
	test_path_is_file "spool/done/$event"
'

test_expect_success 'a step timeout kills the whole process group' '
	queue_event timeout empty.json &&
	hookdir worker --once -j 2 --grace 1s 2>worker.err &&
	run=$(last_run timeout) &&
	sql "SELECT j.name, s.status, s.signal, s.reason FROM steps s JOIN jobs j ON s.job = j.id WHERE s.run = $run ORDER BY j.name" >actual &&
	cat >expect <<-\EOF &&
	sleepy|timed_out|15|step timeout 1s
	stubborn|timed_out|15|step timeout 1s
	EOF
	test_cmp expect actual &&
	sql "SELECT name, status FROM jobs WHERE run = $run ORDER BY name" >actual &&
	cat >expect <<-\EOF &&
	sleepy|timed_out
	stubborn|timed_out
	EOF
	test_cmp expect actual &&
	sql "SELECT status FROM runs WHERE id = $run" >actual &&
	echo failure >expect &&
	test_cmp expect actual &&
	pid=$(cat state/work/$run/grandchild.pid) &&
	test -n "$pid" &&
	! process_alive "$pid" &&
	pid=$(cat state/work/$run/deaf.pid) &&
	test -n "$pid" &&
	! process_alive "$pid"
'

test_expect_success 'a job timeout ends the job and skips its dependents' '
	queue_event jobtimeout empty.json &&
	hookdir worker --once --grace 1s 2>worker.err &&
	run=$(last_run jobtimeout) &&
	sql "SELECT name, status, reason FROM jobs WHERE run = $run ORDER BY name" >actual &&
	cat >expect <<-\EOF &&
	after|skipped|needs slow: timed_out
	slow|timed_out|step 2: job timeout 1s
	EOF
	test_cmp expect actual &&
	sql "SELECT idx, status FROM steps WHERE run = $run ORDER BY idx" >actual &&
	cat >expect <<-\EOF &&
	1|success
	2|timed_out
	EOF
	test_cmp expect actual &&
	sql "SELECT status FROM runs WHERE id = $run" >actual &&
	echo failure >expect &&
	test_cmp expect actual
'

test_expect_success 'a pipeline timeout times the run out' '
	queue_event pipelinetimeout empty.json &&
	hookdir worker --once --grace 1s 2>worker.err &&
	run=$(last_run pipelinetimeout) &&
	sql "SELECT status, reason FROM runs WHERE id = $run" >actual &&
	echo "timed_out|pipeline timeout 1s" >expect &&
	test_cmp expect actual &&
	sql "SELECT name, status FROM jobs WHERE run = $run ORDER BY name" >actual &&
	cat >expect <<-\EOF &&
	after|cancelled
	slow|timed_out
	EOF
	test_cmp expect actual
'

test_expect_success 'continue_on_error lets a job go on after a failed step' '
	queue_event tolerant empty.json &&
	hookdir worker --once --grace 1s 2>worker.err &&
	run=$(last_run tolerant) &&
	sql "SELECT j.name, s.name, s.status, coalesce(s.exit_code, -1) FROM steps s JOIN jobs j ON s.job = j.id WHERE s.run = $run ORDER BY j.name, s.idx" >actual &&
	cat >expect <<-\EOF &&
	next|1|success|0
	strict|fails|failure|3
	work|flaky|failure|2
	work|slow|timed_out|-1
	work|after|success|0
	EOF
	test_cmp expect actual &&
	sql "SELECT name, status FROM jobs WHERE run = $run ORDER BY name" >actual &&
	cat >expect <<-\EOF &&
	next|success
	strict|failure
	work|success
	EOF
	test_cmp expect actual
'

test_expect_success 'outputs pass from job to job' '
	queue_event outputs empty.json &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run outputs) &&
	sql "SELECT name, status FROM jobs WHERE run = $run ORDER BY name" >actual &&
	cat >expect <<-\EOF &&
	consume|success
	produce|success
	stale|skipped
	EOF
	test_cmp expect actual &&
	sql "SELECT json_extract(outputs, '\''\$.version'\''),
		json_extract(outputs, '\''\$.notes'\''),
		json_extract(outputs, '\''\$.empty'\'') = '\'''\'',
		json_extract(outputs, '\''\$.url'\'')
		FROM jobs WHERE run = $run AND name = '\''produce'\''" >actual &&
	cat >expect <<-\EOF &&
	1.2.3|line one
	line two|1|https://example.org/a=b
	EOF
	test_cmp expect actual
'

test_expect_success 'a job'"'"'s env renders its needs'"'"' outputs and status' '
	cat >expect <<-\EOF &&
	v1.2.3|line one
	line two|https://example.org/a=b|success
	EOF
	test_cmp expect "$HOME/consumed"
'

test_expect_success 'outputs in hookdir runs --json and hookdir show' '
	run=$(last_run outputs) &&
	ev=$(sql "SELECT event FROM runs WHERE id = $run") &&
	hookdir runs --json --pipeline outputs >runs.json &&
	sqlite3 :memory: "SELECT json_extract(j.value, '"'"'\$.outputs.version'"'"'),
		json_extract(j.value, '"'"'\$.outputs.notes'"'"')
		FROM json_each(CAST(readfile('"'"'runs.json'"'"') AS TEXT)) AS r,
		json_each(r.value, '"'"'\$.jobs'"'"') AS j
		WHERE json_extract(j.value, '"'"'\$.name'"'"') = '"'"'produce'"'"'" >actual &&
	cat >expect <<-\EOF &&
	1.2.3|line one
	line two
	EOF
	test_cmp expect actual &&
	NO_COLOR=1 hookdir show "$ev" >show.out &&
	sed -n "/job produce:/,/job /p" show.out >actual &&
	test_grep "^      version = 1.2.3\$" actual &&
	test_grep "^      notes = line one\$" actual &&
	test_grep "^        line two\$" actual &&
	test_grep "^      url = https://example.org/a=b\$" actual
'

test_expect_success 'a job env template that cannot render fails the job, with why' '
	cat >pipelines/badenv.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["badenv"] },
	  "jobs": {
	    "first": { "steps": [ { "run": "echo re=\"(\" >>\"$HOOKDIR_OUTPUT\"" } ] },
	    "second": { "needs": ["first"],
	      "env": { "X": "${{ '"'"'a'"'"' matches needs.first.outputs.re }}" },
	      "steps": [ { "run": "echo never >\"$HOME/badenv\"" } ] }
	  }
	}
	EOF
	queue_event badenv empty.json &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run badenv) &&
	sql "SELECT status FROM runs WHERE id = $run" >actual &&
	echo failure >expect &&
	test_cmp expect actual &&
	sql "SELECT status, reason FROM jobs WHERE run = $run AND name = '"'"'second'"'"'" >actual &&
	test_grep "^failure|env X: .*invalid regular expression" actual &&
	test_path_is_missing "$HOME/badenv"
'

test_done
