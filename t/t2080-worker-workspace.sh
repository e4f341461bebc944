#!/bin/bash
test_description='a run'\''s workspace and logs: what it creates, what it keeps

A run that succeeds keeps its logs but not its workspace (state/work/RUN),
unless its pipeline says "keep_workspace": true; a run that fails keeps
both, for inspection until gc. A step that writes nothing has no log
file; the outputs file is created by the first output, so a step without
outputs leaves none; `hookdir output` once the run has ended says so.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/ok.json <<-\EOF &&
	{ "on": { "source": "test", "events": [ "ok" ] },
	  "jobs": { "j": { "steps": [
	    { "name": "say", "run": "echo said; echo x >made-here" },
	    { "name": "quiet", "run": "true" },
	    { "name": "out", "run": "hookdir output v 42; echo \"$HOOKDIR_OUTPUT\" >../out-path" }
	  ] } } }
	EOF
	cat >pipelines/kept.json <<-\EOF &&
	{ "on": { "source": "test", "events": [ "kept" ] },
	  "keep_workspace": true,
	  "jobs": { "j": { "steps": [
	    { "name": "make", "run": "echo x >made-here; mkdir -p ro/sub; chmod 555 ro/sub ro" },
	    { "name": "quiet", "run": "true" }
	  ] } } }
	EOF
	cat >pipelines/bad.json <<-\EOF &&
	{ "on": { "source": "test", "events": [ "bad" ] },
	  "jobs": { "j": { "steps": [
	    { "name": "make", "run": "echo x >made-here; mkdir -p ro/sub; chmod 555 ro/sub ro" },
	    { "name": "fail", "run": "echo failing; exit 3" }
	  ] } } }
	EOF
	cat >pipelines/late.json <<-\EOF &&
	{ "on": { "source": "test", "events": [ "late" ] },
	  "jobs": { "j": { "steps": [
	    { "name": "bg", "run": "(sleep 1; hookdir output late yes; echo $? >\"$HOOKDIR_CONF.late\") >/dev/null 2>&1 &" }
	  ] } } }
	EOF
	cat >pipelines/straggle.json <<-\EOF &&
	{ "on": { "source": "test", "events": [ "straggle" ] },
	  "keep_workspace": true,
	  "jobs": { "j": { "steps": [
	    { "name": "bg", "run": "(sleep 0.5; hookdir output late yes; echo $? >../straggle.rc) >/dev/null 2>&1 &" },
	    { "name": "wait", "run": "i=0; while [ ! -s ../straggle.rc ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done" }
	  ] } } }
	EOF
	check_config
'

test_expect_success 'a successful run: its workspace is gone, its logs stay' '
	queue_event ok &&
	hookdir worker --once &&
	run_status_is $event success &&
	run=$(last_run ok) &&
	test_path_is_missing state/work/$run &&
	echo said >expect &&
	test_cmp expect state/logs/$run/j/say.log &&
	hookdir log $run >out &&
	test_grep "^said\$" out
'

test_expect_success 'a step that wrote nothing has no log file; its history row is there' '
	run=$(last_run ok) &&
	test_path_is_missing state/logs/$run/j/quiet.log &&
	test_path_is_missing state/logs/$run/j/out.log &&
	sql "SELECT name, status FROM steps WHERE run = $run ORDER BY idx" >actual &&
	cat >expect <<-\EOF &&
	say|success
	quiet|success
	out|success
	EOF
	test_cmp expect actual
'

test_expect_success 'hookdir output created the outputs file, the worker read and removed it' '
	run=$(last_run ok) &&
	sql "SELECT outputs FROM jobs WHERE run = $run" >actual &&
	echo "{\"v\":\"42\"}" >expect &&
	test_cmp expect actual &&
	echo "$TRASH/state/work/$run/.hookdir-output-j-out" >expect &&
	test_cmp expect state/work/out-path
'

test_expect_success 'keep_workspace: the workspace stays, read-only directories too' '
	queue_event kept &&
	hookdir worker --once &&
	run_status_is $event success &&
	run=$(last_run kept) &&
	test_path_is_file state/work/$run/made-here &&
	test_path_is_file state/work/$run/.hookdir-body &&
	test_path_is_dir state/work/$run/ro/sub
'

test_expect_success 'a step without outputs leaves no outputs file' '
	run=$(last_run kept) &&
	ls -A state/work/$run >actual &&
	cat >expect <<-\EOF &&
	.hookdir-body
	made-here
	ro
	EOF
	test_cmp expect actual
'

test_expect_success 'without keep_workspace, read-only directories a step made go too' '
	queue_event ok &&
	(
		cd pipelines &&
		sed "s/echo x >made-here/echo x >made-here; mkdir -p ro\/sub; chmod 555 ro\/sub ro/" \
			ok.json >ok.tmp && mv ok.tmp ok.json
	) &&
	hookdir worker --once 2>err &&
	run_status_is $event success &&
	run=$(last_run ok) &&
	test_path_is_missing state/work/$run &&
	test_grep ! "removing its workspace" err
'

test_expect_success 'a failed run keeps its workspace and its logs' '
	queue_event bad &&
	hookdir worker --once 2>err &&
	run_status_is $event failure &&
	run=$(last_run bad) &&
	test_path_is_file state/work/$run/made-here &&
	test_path_is_file state/work/$run/.hookdir-body &&
	echo failing >expect &&
	test_cmp expect state/logs/$run/j/fail.log
'

test_expect_success 'hookdir output after its run ended: exit 64, nothing left behind' '
	rm -f hookdir.conf.late &&
	queue_event late &&
	hookdir worker --once &&
	run_status_is $event success &&
	run=$(last_run late) &&
	wait_for test -s hookdir.conf.late &&
	echo 64 >expect &&
	test_cmp expect hookdir.conf.late &&
	test_path_is_missing state/work/$run
'

test_expect_success 'hookdir output from what a step left behind, its step ended: exit 64' '
	queue_event straggle &&
	hookdir worker --once &&
	run_status_is $event success &&
	run=$(last_run straggle) &&
	echo 64 >expect &&
	test_cmp expect state/work/straggle.rc &&
	test_path_is_missing state/work/$run/.hookdir-output-j-bg &&
	sql "SELECT outputs FROM jobs WHERE run = $run" >actual &&
	echo "{}" >expect &&
	test_cmp expect actual
'

test_expect_success 'a silent one-step run leaves nothing in state/ but the history' '
	rm -rf state/work state/logs &&
	cat >pipelines/ok.json <<-\EOF &&
	{ "on": { "source": "test", "events": [ "ok" ] },
	  "jobs": { "j": { "steps": [ { "run": "true" } ] } } }
	EOF
	queue_event ok &&
	hookdir worker --once &&
	run_status_is $event success &&
	(cd state && find . -mindepth 1 ! -name "hookdir.db*" | sort) >actual &&
	echo ./work >expect &&
	test_cmp expect actual
'

test_expect_success 'a workspace that cannot be made: the step runs nothing and says why' '
	next=$(( $(sql "SELECT coalesce(max(id), 0) FROM runs") + 1 )) &&
	mkdir -p state/work &&
	echo in-the-way >state/work/$next &&
	cat >pipelines/ok.json <<-\EOF &&
	{ "on": { "source": "test", "events": [ "ok" ] },
	  "jobs": { "j": { "steps": [ { "name": "say", "run": "echo said" } ] } } }
	EOF
	queue_event ok &&
	test_might_fail hookdir worker --once 2>err &&
	run_status_is $event failure &&
	test "$(last_run ok)" = $next &&
	sql "SELECT status, exit_code = 126, reason FROM steps WHERE run = $next" >actual &&
	test_grep "^failure|1|.*state/work/$next/.hookdir-body: " actual &&
	test_grep "/j/say: .*state/work/$next/.hookdir-body: .*, not run" err &&
	test_grep ! "hookdir-output" err &&
	test_path_is_missing state/logs/$next/j/say.log &&
	echo in-the-way >expect &&
	test_cmp expect state/work/$next &&
	rm state/work/$next
'

test_expect_success 'a run none of whose steps runs makes no workspace, even kept' '
	cat >pipelines/ok.json <<-\EOF &&
	{ "on": { "source": "test", "events": [ "ok" ] },
	  "keep_workspace": true,
	  "jobs": { "j": { "if": "false", "steps": [ { "run": "true" } ] } } }
	EOF
	queue_event ok &&
	hookdir worker --once &&
	run=$(last_run ok) &&
	test "$(sql "SELECT status FROM jobs WHERE run = $run")" = skipped &&
	test_path_is_missing state/work/$run
'

test_expect_success 'keep_workspace must be a boolean: file, line and key' '
	cat >pipelines/wrong.json <<-\EOF &&
	{ "on": { "source": "test" },
	  "keep_workspace": "yes",
	  "jobs": { "j": { "steps": [ { "run": "true" } ] } } }
	EOF
	test_must_fail hookdir check >out 2>&1 &&
	test_grep "pipelines/wrong.json:2: error: keep_workspace: must be a boolean" out &&
	rm pipelines/wrong.json
'

test_done
