#!/bin/bash
test_description='hookdir run: manual runs with inputs

`hookdir run PIPELINE` spools an internal event naming the pipeline;
the worker starts that pipeline alone, without evaluating its `on`,
while the `if` of its jobs still decides. Inputs are checked before
anything is queued, reach expressions as inputs.NAME and steps as
HOOKDIR_INPUT_NAME, and the run records that it was manual and who
started it. --wait follows the run and exits with its status.'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

# nothing_queued: the spool holds no new event
nothing_queued () {
	test -z "$(find spool/new spool/tmp -type f)"
}

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/deploy.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["never"] },
	  "inputs": {
	    "env": { "type": "choice", "options": ["staging", "prod"],
	      "default": "staging", "description": "where to" },
	    "version": { "type": "string", "required": true },
	    "dry": { "type": "boolean", "default": false },
	    "count": { "type": "number", "default": 1 }
	  },
	  "env": { "VIA": "${{ triggeredBy }}/${{ inputs.version }}" },
	  "jobs": {
	    "a": { "steps": [ { "run": "printf \"%s %s %s %s %s\\n\" \"$HOOKDIR_INPUT_ENV\" \"$HOOKDIR_INPUT_VERSION\" \"$HOOKDIR_INPUT_DRY\" \"$HOOKDIR_INPUT_COUNT\" \"$VIA\" >>out.a; echo step-a-ran" } ] },
	    "prod": { "if": "inputs.env == '\''prod'\'' && !inputs.dry",
	      "steps": [ { "run": "echo prod >>out.prod" } ] }
	  }
	}
	EOF
	cat >pipelines/fail.json <<-\EOF &&
	{
	  "on": { "source": "test" },
	  "jobs": { "f": { "steps": [ { "run": "echo failing; exit 3" } ] } }
	}
	EOF
	cat >pipelines/hook.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["push"] },
	  "jobs": { "w": { "steps": [ { "run": "echo \"$VIA\" >>out.hook" } ] } },
	  "env": { "VIA": "${{ triggeredBy }}" }
	}
	EOF
	sed -i "s|out\.|$TRASH/out.|g" pipelines/*.json &&
	check_config
'

test_expect_success 'an unknown input is refused, nothing queued' '
	test_expect_code 65 hookdir run --input version=1 --input nope=1 \
		deploy 2>err &&
	test_grep "input nope: pipeline deploy has no such input" err &&
	nothing_queued
'

test_expect_success 'a required input missing is refused' '
	test_expect_code 65 hookdir run deploy 2>err &&
	test_grep "input version: required" err &&
	nothing_queued
'

test_expect_success 'a number that is not one is refused' '
	test_expect_code 65 hookdir run --input version=1 --input count=ten \
		deploy 2>err &&
	test_grep "input count: a string .ten. is not a number" err &&
	nothing_queued
'

test_expect_success 'a boolean that is not one is refused' '
	test_expect_code 65 hookdir run --input version=1 --input dry=yes \
		deploy 2>err &&
	test_grep "input dry: .* is not a boolean" err &&
	nothing_queued
'

test_expect_success 'a value not among the choices is refused' '
	test_expect_code 65 hookdir run --input version=1 --input env=dev \
		deploy 2>err &&
	test_grep "input env: .dev. is not one of its options" err &&
	nothing_queued
'

test_expect_success 'a malformed --input, an input twice, no pipeline' '
	test_expect_code 64 hookdir run --input version deploy 2>err &&
	test_grep "not NAME=VALUE" err &&
	test_expect_code 64 hookdir run --input version=1 --input version=2 \
		deploy 2>err &&
	test_grep "input version given twice" err &&
	test_expect_code 66 hookdir run nosuch 2>err &&
	test_grep "no pipeline nosuch" err &&
	nothing_queued
'

test_expect_success 'a pipeline whose inputs are wrong does not load' '
	mkdir bad && cat >bad/p.json <<-\EOF &&
	{ "on": {}, "inputs": { "x": { "type": "choice" },
	    "y": { "type": "number", "default": "abc" },
	    "Y": { "type": "string" } },
	  "jobs": { "a": { "steps": [ { "run": "true" } ] } } }
	EOF
	sed "s|\"sources\"|\"pipelines\": \"$TRASH/bad\", \"sources\"|" \
		hookdir.conf >bad.conf &&
	test_expect_code 78 hookdir -c bad.conf check >out 2>&1 &&
	test_grep "inputs.x: a choice needs \"options\"" out &&
	test_grep "inputs.y: default: input y: a string .abc. is not a number" out &&
	test_grep "inputs.Y: HOOKDIR_INPUT_Y is also input y" out
'

test_expect_success 'a manual run bypasses on, with inputs in env and expressions' '
	hookdir run --input version=1.2 --input env=prod deploy >id &&
	test $(wc -l <id) = 1 &&
	hookdir worker --once 2>worker.err &&
	run_status_is $(cat id) success &&
	echo "prod 1.2 false 1 manual/1.2" >expect &&
	test_cmp expect out.a &&
	echo prod >expect &&
	test_cmp expect out.prod
'

test_expect_success 'the job if still decides: defaults skip the prod job' '
	rm -f out.a out.prod &&
	hookdir run --input version=2 deploy >id &&
	hookdir worker --once 2>worker.err &&
	echo "staging 2 false 1 manual/2" >expect &&
	test_cmp expect out.a &&
	test_path_is_missing out.prod &&
	test "$(sql "SELECT status FROM jobs WHERE name = '\''prod'\'' AND run = (SELECT id FROM runs WHERE event = '\''$(cat id)'\'')")" = skipped
'

test_expect_success 'only the named pipeline runs, the others say why' '
	hookdir show $(cat id) >show.out &&
	test_grep "a manual run of this pipeline by .$(id -un). (.on. is not evaluated)" show.out &&
	test_grep "pipeline: a manual run names .deploy." show.out &&
	test "$(sql "SELECT count(*) FROM runs WHERE event = '\''$(cat id)'\''")" = 1
'

test_expect_success 'the run records triggered_by and the user' '
	test "$(sql "SELECT triggered_by || '\'' '\'' || triggered_user FROM runs WHERE event = '\''$(cat id)'\''")" = "manual $(id -un)" &&
	hookdir runs --json >runs.json &&
	test_grep "\"triggered_by\": \"manual\"" runs.json &&
	test_grep "\"user\": \"$(id -un)\"" runs.json &&
	hookdir runs --event $(cat id) | cut -f9,10 >got &&
	printf "manual\t%s\n" $(id -un) >expect &&
	test_cmp expect got &&
	hookdir show $(cat id) >show.out &&
	test_grep "triggered by manual, user $(id -un)" show.out
'

test_expect_success 'the report page of the run says who started it' '
	run=$(sql "SELECT id FROM runs WHERE event = '\''$(cat id)'\''") &&
	hookdir report --html www &&
	test_grep "<th>triggered by</th><td>manual ($(id -un))" www/run-$run.html
'

test_expect_success 'a webhook run is triggered_by webhook' '
	queue_event push &&
	hookdir worker --once 2>worker.err &&
	echo webhook >expect &&
	test_cmp expect out.hook &&
	test "$(sql "SELECT triggered_by || '\''/'\'' || coalesce(triggered_user, '\''-'\'') FROM runs WHERE event = '\''$event'\'' AND pipeline = '\''hook'\''")" = webhook/-
'

test_expect_success 'emit cannot forge a manual event' '
	test_expect_code 64 hookdir emit manual "{}" 2>err &&
	test_grep "spooled by .hookdir run." err
'

test_expect_success '--wait follows the run and exits 0 on success' '
	hookdir worker --watch 2>watch.err &
	pid=$! && stop_at_exit $pid &&
	hookdir run --wait --input version=3 deploy >out 2>err &&
	test_grep "step-a-ran" out &&
	test_grep "run [0-9]*: success" err
'

test_expect_success '--wait exits 1 when the run fails' '
	test_expect_code 1 hookdir run --wait fail >out 2>err &&
	test_grep "failing" out &&
	test_grep "run [0-9]*: failure" err &&
	kill $pid && wait_exit $pid
'

test_expect_success '--wait without a worker says it waits' '
	hookdir run --wait --input version=4 deploy >out 2>err &
	waiter=$! && stop_at_exit $waiter &&
	wait_for grep -q "waiting for a worker to claim event" err &&
	hookdir worker --once 2>worker.err &&
	wait_exit $waiter &&
	test_grep "step-a-ran" out
'

test_done
