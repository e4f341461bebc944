#!/bin/bash
test_description='two worker hosts, one spool, one PostgreSQL history: leases

Host b claims an event and is killed with -9 while its step runs. Host
a, sharing the spool and the database, leaves the event in cur/ while
b'"'"'s lease holds, and recovers it once the lease expired: b'"'"'s run
is recorded interrupted on b, the new one runs on a.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

pg_require_backend

# host_runs EVENT: "host status" of its runs, oldest first.
host_runs () {
	pg_psql -c "select concat_ws(chr(32), host, status) from runs
		where event = \$\$$1\$\$ order by id"
}

test_expect_success 'setup' '
	start_pg &&
	setup_worker &&
	cat >pipelines/slow.json <<-EOF &&
	{ "on": { "source": "test", "events": ["push"] },
	  "jobs": { "work": { "steps": [ {
	    "run": "echo started; echo \$\$ >\"$TRASH/step.\$HOOKDIR_RUN_ID\"; test -f \"$TRASH/quick\" || exec sleep 60" } ] } } }
	EOF
	pg_host_conf host-a &&
	pg_host_conf host-b &&
	hookdir -c host-a.conf check >check.out 2>&1
'

test_expect_success 'host b claims an event and dies with -9 in its step' '
	queue_event push &&
	ev=$event &&
	{ hookdir -c host-b.conf worker --once 2>b.err & } &&
	pid=$! &&
	stop_at_exit $pid &&
	wait_for test -f step.1 &&
	kill -9 $pid &&
	{ wait $pid; test $? = 137; } &&
	test_atexit "kill -9 $(cat step.1) 2>/dev/null; :" &&
	test_path_is_file "spool/cur/$ev" &&
	echo "host-b running" >expect &&
	host_runs "$ev" >actual &&
	test_cmp expect actual &&
	echo t >expect &&
	pg_psql -c "select expires > now() from leases where host = \$\$host-b\$\$" >actual &&
	test_cmp expect actual
'

test_expect_success 'while its lease holds, host a leaves the event to it' '
	hookdir -v -c host-a.conf worker --once 2>a1.err &&
	test_grep "claimed by host host-b, whose lease holds: left to it" a1.err &&
	test_path_is_file "spool/cur/$ev" &&
	echo "host-b running" >expect &&
	host_runs "$ev" >actual &&
	test_cmp expect actual
'

test_expect_success 'once the lease expired, host a recovers it, once' '
	pg_psql -c "update leases set expires = now() - interval '"'"'1 second'"'"' where host = \$\$host-b\$\$" &&
	touch quick &&
	hookdir -v -c host-a.conf worker --once 2>a2.err &&
	test_grep "recovered from cur/" a2.err &&
	test_path_is_file "spool/done/$ev" &&
	cat >expect <<-\EOF &&
	host-b interrupted
	host-a success
	EOF
	host_runs "$ev" >runs &&
	test_cmp expect runs &&
	echo host-a >expect &&
	pg_psql -c "select host from events where id = \$\$$ev\$\$" >actual &&
	test_cmp expect actual &&
	test_path_is_dir state-host-a/logs &&
	hookdir -c host-a.conf worker --once 2>a3.err &&
	host_runs "$ev" >runs.again &&
	test_cmp runs runs.again
'

test_expect_success 'show, on either host, says which host each run ran on' '
	hookdir -c host-b.conf show "$ev" >show-b.out &&
	sed -n "/^Runs:/,/^Headers:/p" show-b.out >runs-b &&
	test_grep -A1 "^  run 1 .*interrupted" runs-b >run1 &&
	test_grep "^    on host host-b$" run1 &&
	test_grep -A1 "^  run 2 .*success" runs-b >run2 &&
	test_grep "^    on host host-a$" run2 &&
	hookdir -c host-a.conf show "$ev" >show-a.out &&
	test_cmp show-b.out show-a.out
'

test_expect_success 'hookdir log of a run another host ran says where its logs are' '
	run=$(pg_psql -c "select id from runs where host = \$\$host-a\$\$") &&
	hookdir -c host-a.conf log $run >log.a &&
	test_grep "==> work/1: success" log.a &&
	# As on another machine, where host a'"'"'s files are not.
	mv state-host-a state-host-a.away &&
	test_when_finished "mv state-host-a.away state-host-a" &&
	test_expect_code 66 hookdir -c host-b.conf log $run >log.b 2>err &&
	test_grep "run $run ran on host host-a: its logs are there" err
'

test_expect_success 'cancel_in_progress on one host ends the group'"'"'s run on another' '
	cat >pipelines/deploy.json <<-EOF &&
	{ "on": { "source": "test", "events": ["deploy"] },
	  "concurrency": { "group": "deploy", "mode": "cancel_in_progress" },
	  "jobs": { "d": { "steps": [ {
	    "run": "ls \"$TRASH\"/deploy.* >/dev/null 2>&1 && exit 0; echo \$\$ >\"$TRASH/deploy.\$HOOKDIR_RUN_ID\"; exec sleep 60" } ] } } }
	EOF
	queue_event deploy &&
	first=$event &&
	{ hookdir -v -c host-b.conf worker --once 2>b2.err & } &&
	pid=$! &&
	stop_at_exit $pid &&
	wait_for eval "ls deploy.* >/dev/null 2>&1" &&
	brun=$(pg_psql -c "select id from runs where event = \$\$$first\$\$") &&
	step=$(cat deploy.$brun) &&
	test_atexit "kill -9 $step 2>/dev/null; :" &&
	queue_event deploy &&
	second=$event &&
	start=$(date +%s) &&
	hookdir -v -c host-a.conf worker --once 2>a4.err &&
	took=$(( $(date +%s) - start )) &&
	{ wait $pid || :; } &&
	say "host a cancelled host b'"'"'s run and ran its own in ${took}s" &&
	test $took -le 5 &&
	wait_for eval "! process_alive $step" &&
	echo "host-b cancelled" >expect &&
	host_runs "$first" >actual &&
	test_cmp expect actual &&
	echo "host-a success" >expect &&
	host_runs "$second" >actual &&
	test_cmp expect actual &&
	pg_psql -c "select reason from runs where id = $brun" >reason &&
	test_grep "cancelled by run .* (concurrency group .deploy.)" reason
'

test_done
