#!/bin/bash
test_description='worker: jobs as a DAG, skipping, if, parallelism under -j'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

# job_statuses RUN: "name|status" lines, by name
job_statuses () {
	sql "SELECT name, status FROM jobs WHERE run = $1 ORDER BY name"
}

# job_time RUN JOB started|finished
job_time () {
	sql "SELECT $3 FROM jobs WHERE run = $1 AND name = '$2'"
}

# Do the [started, finished] intervals of two jobs of a run intersect?
jobs_overlap () {
	test "$(sql "SELECT a.started < b.finished AND b.started < a.finished
		FROM jobs a, jobs b WHERE a.run = $1 AND b.run = $1
		AND a.name = '$2' AND b.name = '$3'")" = 1
}

# RUN JOB1 JOB2: JOB2 started at or after JOB1 finished
starts_after () {
	test "$(sql "SELECT b.started >= a.finished
		FROM jobs a, jobs b WHERE a.run = $1 AND b.run = $1
		AND a.name = '$2' AND b.name = '$3'")" = 1
}

# A step that waits (at most $2 x 0.05 s) for job $1 to have started,
# and says in its outputs whether it saw it.
rendezvous () {
	printf 'touch \\"$HOOKDIR_WORKSPACE/$HOOKDIR_JOB.started\\"; i=0; while [ ! -f \\"$HOOKDIR_WORKSPACE/%s.started\\" ] && [ $i -lt %s ]; do sleep 0.05; i=$((i + 1)); done; if [ -f \\"$HOOKDIR_WORKSPACE/%s.started\\" ]; then echo saw=yes; else echo saw=no; fi >>\\"$HOOKDIR_OUTPUT\\"' "$1" "$2" "$1"
}

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/diamond.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["diamond"] },
	  "jobs": {
	    "d": { "needs": ["b", "c"], "steps": [ { "run": "echo d" } ] },
	    "b": { "needs": ["a"], "steps": [ { "run": "echo b" } ] },
	    "a": { "steps": [ { "run": "echo a" } ] },
	    "c": { "needs": ["a"], "steps": [ { "run": "echo c" }, { "run": "echo c again" } ] }
	  }
	}
	EOF
	cat >pipelines/failing.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["failing"] },
	  "jobs": {
	    "build": { "steps": [ { "run": "echo building; exit 1" }, { "run": "echo never" } ] },
	    "deploy": { "needs": ["build"], "steps": [ { "run": "echo deploying" } ] },
	    "notify": { "needs": ["deploy"], "steps": [ { "run": "echo notifying" } ] },
	    "report": { "needs": ["build"], "if": "needs.build.status == '\''failure'\''",
	                "steps": [ { "run": "echo the build failed" } ] },
	    "celebrate": { "needs": ["build"], "if": "needs.build.status == '\''success'\''",
	                   "steps": [ { "run": "echo hooray" } ] }
	  }
	}
	EOF
	cat >pipelines/ifskip.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["ifskip"] },
	  "jobs": {
	    "optional": { "if": "payload.n > 1000", "steps": [ { "run": "echo optional" } ] },
	    "after": { "needs": ["optional"], "steps": [ { "run": "echo after" } ] }
	  }
	}
	EOF
	cat >pipelines/parallel.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["parallel"] },
	  "jobs": {
	    "a": { "steps": [ { "run": "echo a" } ] },
	    "b": { "needs": ["a"], "steps": [ { "run": "$(rendezvous c 600)" } ] },
	    "c": { "needs": ["a"], "steps": [ { "run": "$(rendezvous b 600)" } ] }
	  }
	}
	EOF
	cat >pipelines/serial.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["serial"] },
	  "jobs": {
	    "a": { "steps": [ { "run": "echo a" } ] },
	    "b": { "needs": ["a"], "steps": [ { "run": "$(rendezvous c 20)" } ] },
	    "c": { "needs": ["a"], "steps": [ { "run": "$(rendezvous b 20)" } ] }
	  }
	}
	EOF
	check_config
'

test_expect_success 'diamond: every job runs, each after what it needs' '
	queue_event diamond &&
	hookdir worker --once -j 2 2>worker.err &&
	run=$(last_run diamond) &&
	cat >expect <<-\EOF &&
	a|success
	b|success
	c|success
	d|success
	EOF
	job_statuses $run >actual &&
	test_cmp expect actual &&
	starts_after $run a b &&
	starts_after $run a c &&
	starts_after $run b d &&
	starts_after $run c d &&
	sql "SELECT status FROM runs WHERE id = $run" >actual &&
	echo success >expect &&
	test_cmp expect actual
'

test_expect_success 'diamond: steps of a job run in order' '
	sql "SELECT s.idx, s.status FROM steps s JOIN jobs j ON s.job = j.id
		WHERE j.run = $run AND j.name = '\''c'\'' ORDER BY s.idx" >actual &&
	cat >expect <<-\EOF &&
	1|success
	2|success
	EOF
	test_cmp expect actual &&
	test "$(sql "SELECT s2.started >= s1.finished FROM steps s1, steps s2
		WHERE s1.job = s2.job AND s1.idx = 1 AND s2.idx = 2
		AND s1.job = (SELECT id FROM jobs WHERE run = $run AND name = '\''c'\'')")" = 1 &&
	cat >expect <<-\EOF &&
	c
	c again
	EOF
	cat state/logs/$run/c/1.log state/logs/$run/c/2.log >actual &&
	test_cmp expect actual
'

test_expect_success 'a failing job skips its dependents; if overrides that' '
	queue_event failing &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run failing) &&
	cat >expect <<-\EOF &&
	build|failure
	celebrate|skipped
	deploy|skipped
	notify|skipped
	report|success
	EOF
	job_statuses $run >actual &&
	test_cmp expect actual &&
	sql "SELECT name, reason FROM jobs WHERE run = $run AND name IN ('\''deploy'\'', '\''notify'\'', '\''build'\'') ORDER BY name" >actual &&
	cat >expect <<-\EOF &&
	build|step 1: exit status 1
	deploy|needs build: failure
	notify|needs deploy: skipped
	EOF
	test_cmp expect actual &&
	sql "SELECT reason FROM jobs WHERE run = $run AND name = '\''celebrate'\''" >actual &&
	test_grep "if: .needs.build.status == '\''success'\''. was false" actual &&
	sql "SELECT count(*) FROM steps s JOIN jobs j ON s.job = j.id WHERE j.run = $run AND j.name = '\''build'\''" >actual &&
	echo 1 >expect &&
	test_cmp expect actual &&
	sql "SELECT status FROM runs WHERE id = $run" >actual &&
	echo failure >expect &&
	test_cmp expect actual &&
	test_grep "run $run failing: failure (5 jobs)" worker.err
'

test_expect_success 'a job skipped by its own if does not skip its dependents' '
	queue_event ifskip &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run ifskip) &&
	cat >expect <<-\EOF &&
	after|success
	optional|skipped
	EOF
	job_statuses $run >actual &&
	test_cmp expect actual &&
	sql "SELECT status FROM runs WHERE id = $run" >actual &&
	echo success >expect &&
	test_cmp expect actual
'

test_expect_success 'independent jobs overlap under -j 2' '
	queue_event parallel &&
	hookdir worker --once -j 2 2>worker.err &&
	run=$(last_run parallel) &&
	cat >expect <<-\EOF &&
	a|success
	b|success
	c|success
	EOF
	job_statuses $run >actual &&
	test_cmp expect actual &&
	jobs_overlap $run b c &&
	sql "SELECT name, outputs FROM jobs WHERE run = $run AND name IN ('\''b'\'', '\''c'\'') ORDER BY name" >actual &&
	cat >expect <<-\EOF &&
	b|{"saw":"yes"}
	c|{"saw":"yes"}
	EOF
	test_cmp expect actual
'

test_expect_success 'and do not under -j 1' '
	queue_event serial &&
	hookdir worker --once -j 1 2>worker.err &&
	run=$(last_run serial) &&
	! jobs_overlap $run b c &&
	sql "SELECT outputs FROM jobs WHERE run = $run AND name IN ('\''b'\'', '\''c'\'') ORDER BY started" >actual &&
	cat >expect <<-\EOF &&
	{"saw":"no"}
	{"saw":"yes"}
	EOF
	test_cmp expect actual
'

test_expect_success 'worker.jobs in the configuration is the default -j' '
	cat >hookdir.conf <<-\EOF &&
	{ "sources": { "test": { "provider": "generic", "secret": "s3cret" } },
	  "worker": { "jobs": 2 } }
	EOF
	queue_event parallel &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run parallel) &&
	jobs_overlap $run b c
'

test_expect_success '-j caps steps across runs of different events' '
	queue_event serial &&
	queue_event serial &&
	hookdir worker --once -j 1 2>worker.err &&
	runs=$(sql "SELECT id FROM runs WHERE pipeline = '\''serial'\'' ORDER BY id DESC LIMIT 2") &&
	r1=$(echo "$runs" | sed -n 2p) && r2=$(echo "$runs" | sed -n 1p) &&
	test "$(sql "SELECT count(*) FROM steps a, steps b
		WHERE a.run IN ($r1, $r2) AND b.run IN ($r1, $r2) AND a.id < b.id
		AND a.started < b.finished AND b.started < a.finished")" = 0
'

test_expect_success 'usage errors' '
	test_expect_code 64 hookdir worker --once --watch 2>err &&
	test_expect_code 64 hookdir worker -j 0 2>err &&
	test_grep "1..1024" err &&
	test_expect_code 64 hookdir worker --once --poll 5 2>err &&
	test_expect_code 64 hookdir worker --grace soon 2>err &&
	test_expect_code 64 hookdir worker extra 2>err &&
	hookdir worker --help >out &&
	test_grep "usage: hookdir worker" out
'

test_done
