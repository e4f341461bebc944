#!/bin/bash
test_description='chained pipelines: completion events, custom events, loop safety

A run that ends spools pipeline_complete (and job_complete per job);
`hookdir emit` spools a custom event at once, mid-run. Pipelines start
on them through on.pipeline_complete, on.job_complete and on.event.
Internal events deeper than max_chain_depth are cut, and a worker
killed at the end of a run leaves the chain intact once recovered.'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

# drain: run `worker --once` until nothing is left in new/ (each pass
# processes what was queued when it started, and completion events are
# spooled as runs end).
drain () {
	local i
	for i in $(seq 20)
	do
		hookdir worker --once -j 4 2>>worker.err || return 1
		test -z "$(ls spool/new)" && return 0
	done
	echo >&2 "drain: new/ never emptied"
	return 1
}

# runs PIPELINE: its runs' statuses, oldest first, comma-separated
runs () {
	sql "SELECT coalesce(group_concat(status), '') FROM (SELECT status FROM runs WHERE pipeline = '$1' ORDER BY id)"
}

# runs_are PIPELINE STATUSES: for wait_for
runs_are () {
	test "$(runs "$1")" = "$2"
}

test_expect_success 'setup' '
	setup_worker &&
	cat >hookdir.conf <<-\EOF &&
	{
	  "max_chain_depth": 3,
	  "sources": { "test": { "provider": "generic", "secret": "s3cret" } }
	}
	EOF
	cat >pipelines/build.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["build"] },
	  "env": { "RC": "${{ payload.rc }}" },
	  "jobs": {
	    "compile": { "steps": [ { "run": "echo version=1.2 >>\"$HOOKDIR_OUTPUT\"; exit $RC" } ] }
	  }
	}
	EOF
	cat >pipelines/deploy.json <<-EOF &&
	{
	  "on": { "pipeline_complete": { "name": "build", "status": ["success"] } },
	  "env": {
	    "UPSTREAM": "\${{ event.pipeline }}",
	    "STATUS": "\${{ event.status }}",
	    "VERSION": "\${{ event.outputs.compile.version }}"
	  },
	  "jobs": {
	    "ship": { "steps": [ { "run": "echo \"\$UPSTREAM \$STATUS \$VERSION depth=\$HOOKDIR_CHAIN_DEPTH\" >>\"$TRASH/deployed\"" } ] }
	  }
	}
	EOF
	cat >pipelines/alert.json <<-EOF &&
	{
	  "on": { "pipeline_complete": { "name": "build", "status": ["failure", "timed_out"] } },
	  "jobs": {
	    "page": { "steps": [ { "run": "echo paged >>\"$TRASH/alerted\"" } ] }
	  }
	}
	EOF
	cat >pipelines/compiled.json <<-EOF &&
	{
	  "on": { "job_complete": { "pipeline": "build", "job": "compile" } },
	  "env": { "JOB": "\${{ event.job }}", "STATUS": "\${{ event.status }}" },
	  "jobs": {
	    "note": { "steps": [ { "run": "echo \"\$JOB \$STATUS\" >>\"$TRASH/jobs-seen\"" } ] }
	  }
	}
	EOF
	check_config
'

test_expect_success 'A succeeds: B (status success) runs, with its status and outputs' '
	printf "{\"rc\": 0}\n" >ok.json &&
	queue_event build ok.json &&
	build_event=$event &&
	drain &&
	test "$(runs build)" = success &&
	test "$(runs deploy)" = success &&
	echo "build success 1.2 depth=1" >expect &&
	test_cmp expect deployed &&
	test "$(runs alert)" = "" &&
	test_path_is_missing alerted
'

test_expect_success 'the completion event is an ordinary spool file, recorded with its trace' '
	pc=$(sql "SELECT id FROM events WHERE type = '\''pipeline_complete'\''") &&
	test -n "$pc" &&
	test_path_is_file "spool/done/$pc" &&
	test_grep "^Hookdir-Provider: hookdir$" "spool/done/$pc" &&
	test_grep "^Hookdir-Chain-Depth: 1$" "spool/done/$pc" &&
	test_grep "^Hookdir-Parent-Event: $build_event$" "spool/done/$pc" &&
	test_grep "^Hookdir-Delivery: $build_event/build/pipeline_complete$" "spool/done/$pc" &&
	sql "SELECT matched, trace FROM traces WHERE event = '\''$pc'\'' ORDER BY pipeline" >actual &&
	cat >expect <<-\EOF &&
	0|pipeline_complete.status: got `success`, want one of `failure`, `timed_out`
	0|source: `pipeline_complete` is an internal event; this pipeline listens to webhooks
	0|on: `pipeline_complete` of `build`; this pipeline has no on.pipeline_complete
	1|matched: pipeline_complete.name `build`, pipeline_complete.status `success`
	EOF
	test_cmp expect actual
'

test_expect_success 'job_complete starts a pipeline for each job that ended' '
	echo "compile success" >expect &&
	test_cmp expect jobs-seen &&
	test "$(runs compiled)" = success
'

test_expect_success 'A fails: B (status success) does not run, the failure pipeline does' '
	printf "{\"rc\": 3}\n" >fail.json &&
	queue_event build fail.json &&
	drain &&
	test "$(runs build)" = success,failure &&
	test "$(runs deploy)" = success &&
	test "$(runs alert)" = success &&
	echo paged >expect &&
	test_cmp expect alerted &&
	printf "compile success\ncompile failure\n" >expect &&
	test_cmp expect jobs-seen
'

test_expect_success 'emit mid-run starts another pipeline before the emitting run ended' '
	rm -f pipelines/*.json &&
	cat >pipelines/emitter.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["release"] },
	  "jobs": {
	    "announce": { "steps": [ { "run": "hookdir emit released - <\"$TRASH/release.json\" >\"$TRASH/emitted\" && i=0; while [ ! -f \"$TRASH/heard\" ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done; test -f \"$TRASH/heard\"" } ] }
	  }
	}
	EOF
	cat >pipelines/listener.json <<-EOF &&
	{
	  "on": { "event": { "name": "released", "match": { "\$.env": "prod" }, "if": "event.data.tag != '\''v0'\''" } },
	  "env": { "TAG": "\${{ event.data.tag }}" },
	  "jobs": {
	    "hear": { "steps": [ { "run": "echo \"\$TAG\" >\"$TRASH/heard\"" } ] }
	  }
	}
	EOF
	printf "{\"tag\": \"v2\", \"env\": \"prod\"}\n" >release.json &&
	check_config &&
	queue_event release &&
	{ hookdir worker --watch -j 2 2>watch.err & } &&
	pid=$! &&
	stop_at_exit $pid &&
	wait_for runs_are emitter success &&
	kill -TERM $pid &&
	wait_exit $pid &&
	emitter=$(last_run emitter) &&
	listener=$(last_run listener) &&
	test "$(runs listener)" = success &&
	before=$(sql "SELECT (SELECT started FROM runs WHERE id = $listener) < (SELECT finished FROM runs WHERE id = $emitter)") &&
	test "$before" = 1 &&
	echo v2 >expect &&
	test_cmp expect heard
'

test_expect_success 'the custom event names its run, event and depth' '
	id=$(cat emitted) &&
	f=spool/done/$id &&
	test_path_is_file "$f" &&
	test_grep "^Hookdir-Event: released$" "$f" &&
	test_grep "^Hookdir-Parent-Run: $emitter$" "$f" &&
	test_grep "^Hookdir-Chain-Depth: 1$" "$f" &&
	test_grep "\"data\":{\"tag\":\"v2\",\"env\":\"prod\"}" "$f"
'

test_expect_success 'with -j 1 the emitted event runs once the emitting run ended' '
	cat >pipelines/solo.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["solo"] },
	  "jobs": { "one": { "steps": [
	    { "run": "hookdir emit solo_done >\"$TRASH/solo-emitted\"" },
	    { "run": "sleep 2" }
	  ] } }
	}
	EOF
	cat >pipelines/after.json <<-\EOF &&
	{
	  "on": { "event": { "name": "solo_done" } },
	  "jobs": { "hear": { "steps": [ { "run": "true" } ] } }
	}
	EOF
	check_config &&
	queue_event solo &&
	{ hookdir worker --watch -j 1 2>solo.err & } &&
	pid=$! &&
	stop_at_exit $pid &&
	wait_for runs_are after success &&
	kill -TERM $pid &&
	wait_exit $pid &&
	test "$(runs solo)" = success &&
	solo=$(last_run solo) &&
	after=$(last_run after) &&
	# the one step slot went to the emitting run'"'"'s next step first
	test "$(sql "SELECT (SELECT started FROM runs WHERE id = $after) >= (SELECT finished FROM runs WHERE id = $solo)")" = 1
'

test_expect_success 'emit refuses bad names and data' '
	test_expect_code 64 hookdir emit "bad name" &&
	test_expect_code 64 hookdir emit pipeline_complete &&
	test_expect_code 65 hookdir emit ok "{not json" 2>err &&
	test_grep "not JSON" err &&
	echo "[1, 2]" | hookdir emit fromstdin - >id &&
	test_grep "\"data\":\\[1,2\\]" "spool/new/$(cat id)" &&
	rm "spool/new/$(cat id)"
'

test_expect_success 'a self-triggering pipeline is cut at max_chain_depth' '
	rm -f pipelines/*.json &&
	cat >pipelines/start.json <<-\EOF &&
	{
	  "on": { "source": "test", "events": ["loop"] },
	  "jobs": { "a": { "steps": [ { "run": "true" } ] } }
	}
	EOF
	cat >pipelines/again.json <<-EOF &&
	{
	  "on": { "pipeline_complete": { "name": ["start", "again"] } },
	  "jobs": { "a": { "steps": [ { "run": "echo \$HOOKDIR_CHAIN_DEPTH >>\"$TRASH/depths\"" } ] } }
	}
	EOF
	hookdir check >check.out 2>&1 &&
	test_grep "again.json:2: warning: on.pipeline_complete.name: '\''again'\'' is this pipeline" check.out &&
	: >worker.err &&
	queue_event loop &&
	drain &&
	printf "1\n2\n3\n" >expect &&
	test_cmp expect depths &&
	test "$(runs again)" = success,success,success &&
	sql "SELECT count(*) FROM events WHERE cut = 1" >actual &&
	echo 1 >expect &&
	test_cmp expect actual &&
	cut=$(sql "SELECT id FROM events WHERE cut = 1") &&
	test_path_is_file "spool/done/$cut" &&
	test_grep "chain depth 4 is past max_chain_depth 3: cut, nothing run" worker.err &&
	hookdir show --json "$cut" >show.json &&
	test_grep "\"status\": *\"cut\"" show.json &&
	sql "SELECT count(*) FROM runs WHERE event = '\''$cut'\''" >actual &&
	echo 0 >expect &&
	test_cmp expect actual
'

test_expect_success 'kill -9 of the worker as a run ends leaves the chain intact' '
	rm -f pipelines/*.json depths &&
	cat >pipelines/first.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["crash"] },
	  "jobs": { "a": { "steps": [ { "run": ". \"$TRASH/killer.sh\"" } ] } }
	}
	EOF
	cat >pipelines/second.json <<-EOF &&
	{
	  "on": { "pipeline_complete": { "name": "first", "status": ["success"] } },
	  "jobs": { "b": { "steps": [ { "run": "echo ran >>\"$TRASH/second-ran\"" } ] } }
	}
	EOF
	# Sourced by the step: once (a recovered run must not kill again),
	# a process outside the step waits for the step shell to be reaped
	# by its parent, the worker, then kills the worker: at the very end
	# of the run.
	cat >killer.in <<-\EOF &&
	if [ ! -f "@TRASH@/armed" ]; then
		touch "@TRASH@/armed"
		setsid sh -c '\''touch "$3"; while kill -0 "$2" 2>/dev/null; do :; done; kill -9 "$1"'\'' killer $PPID $$ "@TRASH@/ready" </dev/null >/dev/null 2>&1 &
		while [ ! -f "@TRASH@/ready" ]; do :; done
	fi
	EOF
	sed "s|@TRASH@|$TRASH|g" killer.in >killer.sh &&
	check_config &&
	queue_event crash &&
	crash_event=$event &&
	{ hookdir worker --once 2>crash.err & } &&
	pid=$! &&
	stop_at_exit $pid &&
	{ wait_exit $pid; test $? = 137; } &&
	drain &&
	# On a loaded machine the kill may land later, inside the run of
	# "second" that the completion event started: that run is then
	# interrupted and run again. Either way "second" succeeds once.
	runs second >second-runs &&
	cat second-runs &&
	grep -E -x "(interrupted,)?success" second-runs &&
	test_grep -x ran second-ran &&
	sql "SELECT status FROM runs WHERE pipeline = '\''first'\'' ORDER BY id DESC LIMIT 1" >actual &&
	echo success >expect &&
	test_cmp expect actual &&
	event_status_is $crash_event done &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/cur
'

# The other side of the end of a run: the completion event is in new/
# but the run's end is not yet in the history. A watcher kills the
# worker through inotify the moment the event is renamed into new/.
test_expect_success 'kill -9 as the completion event lands: one chained run after recovery' '
	rm -f pipelines/*.json second-ran go watching &&
	cat >pipelines/first.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["landing"] },
	  "jobs": { "a": { "steps": [ { "run": "while [ ! -f \"$TRASH/go\" ]; do sleep 0.01; done" } ] } }
	}
	EOF
	cat >pipelines/second.json <<-EOF &&
	{
	  "on": { "pipeline_complete": { "name": "first", "status": ["success"] } },
	  "jobs": { "b": { "steps": [ { "run": "echo ran >>\"$TRASH/second-ran\"" } ] } }
	}
	EOF
	check_config &&
	queue_event landing &&
	landing_event=$event &&
	before=$(runs first) &&
	{ hookdir worker --once 2>crash.err & } &&
	pid=$! &&
	stop_at_exit $pid &&
	{ "$TEST_TOOL" kill-on-arrival spool/new $pid watching >arrived & } &&
	wpid=$! &&
	wait_for test -f watching &&
	touch go &&
	{ wait_exit $pid; test $? = 137; } &&
	wait $wpid &&
	name=$(cat arrived) &&
	# In new/, or already claimed into cur/ when the kill came late.
	file=$(find spool/new spool/cur -name "$name") &&
	test_grep -x "Hookdir-Provider: hookdir" "$file" &&
	test_grep "\"pipeline\":\"first\"" "$file" &&
	# Where the kill landed: the run still "running" in the history is
	# the window this test is after; "success" means the worker got as
	# far as recording the end first, which must be as safe.
	after=$(runs first) &&
	echo "first before the kill: [$before]; after: [$after]" &&
	case "$after" in
	"${before:+$before,}running") landed=window ;;
	"${before:+$before,}success") landed=after-end ;;
	*) echo "unexpected: $after"; false ;;
	esac &&
	echo "the kill landed: $landed" &&
	drain &&
	test_grep -x ran second-ran &&
	test "$(wc -l <second-ran)" = 1 &&
	runs second >second-runs &&
	test_grep -E -x "([a-z_]+,)*success" second-runs &&
	test "$(runs first)" = "${before:+$before,}$(test $landed = window && echo interrupted,)success" &&
	event_status_is $landing_event done &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/cur
'

test_done
