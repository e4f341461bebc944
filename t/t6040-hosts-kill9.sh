#!/bin/bash
test_description='three worker hosts, one spool, one PostgreSQL: one killed with -9

Three workers with distinct host names (separate processes and state
directories) share one spool and one PostgreSQL history, and drain 600
events of a pipeline whose runs queue in 10 concurrency groups. One of
them is killed with -9 in the middle. Its lease is then let expire (as
30 seconds would) and a surviving host recovers what it had claimed.
Every event ends with exactly one successful run, whose step completed
once (a step host-2 completed just before the kill, unrecorded, ran
again elsewhere: delivery is at-least-once), no two runs of a group
overlap, and the dead host'"'"'s claims were recovered, each once.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

pg_require_backend

# T6040_EVENTS: fewer events, when trying the test by hand.
EVENTS=${T6040_EVENTS:-600}
NGROUPS=10

# q SQL: one value from the history.
q () {
	pg_psql -c "$1"
}

# q_test SQL OP N: the value of SQL compares to N (test OP), read anew
# at each call.
q_test () {
	test "$(q "$1")" "$2" "$3"
}

# wait_long CMD...: up to 5 minutes for CMD to succeed.
wait_long () {
	local i
	for i in $(seq 1200)
	do
		"$@" && return 0
		sleep 0.25
	done
	echo >&2 "wait_long: gave up on: $*"
	return 1
}

test_expect_success 'setup: 600 events, three hosts' '
	start_pg &&
	setup_worker &&
	cat >pipelines/work.json <<-EOF &&
	{ "on": { "source": "test" },
	  "concurrency": { "group": "g-\${{ payload.g }}", "mode": "queue" },
	  "jobs": { "step": { "steps": [ {
	    "run": "sleep 0.2; echo \"\$HOOKDIR_RUN_ID\" >>\"$TRASH/ended\"" } ] } } }
	EOF
	for h in host-1 host-2 host-3
	do
		pg_host_conf $h || return 1
	done &&
	hookdir -c host-1.conf check >check.out 2>&1 &&
	for g in $(seq 0 $((NGROUPS - 1)))
	do
		echo "{\"g\": $g}" >body.$g || return 1
	done &&
	for i in $(seq $EVENTS)
	do
		queue_event push body.$((i % NGROUPS)) || return 1
	done &&
	test "$(spool_count spool/new)" = $EVENTS
'

test_expect_success 'three hosts drain it; host-2 is killed with -9 in the middle' '
	for h in host-1 host-2 host-3
	do
		{ hookdir -v -c $h.conf worker --watch -j 4 2>$h.err & } &&
		eval "pid_${h#host-}=\$!" &&
		stop_at_exit $! || return 1
	done &&
	wait_long q_test "select count(*) from runs where status = \$\$success\$\$" -ge $((EVENTS / 4)) &&
	wait_long q_test "select count(*) from runs where host = \$\$host-2\$\$ and status = \$\$running\$\$" -ge 1 &&
	kill -9 $pid_2 &&
	{ wait $pid_2; test $? = 137; } &&
	q "select count(*) from events where host = \$\$host-2\$\$ and status = \$\$processing\$\$" >claims &&
	say "host-2 killed holding $(cat claims) events, $(spool_count spool/new) left in new/" &&
	test "$(cat claims)" -ge 1
'

test_expect_success 'once its lease expired, the surviving hosts recover what it held, once' '
	q "update leases set expires = now() - interval \$\$1 second\$\$ where host = \$\$host-2\$\$" &&
	# SIGHUP: look at cur/ now rather than within the minute.
	kill -HUP $pid_1 $pid_3 &&
	wait_long eval "test \$(spool_count spool/done) = $EVENTS" &&
	wait_long q_test "select count(*) from runs where status in (\$\$queued\$\$, \$\$running\$\$)" = 0 &&
	kill -TERM $pid_1 $pid_3 &&
	wait $pid_1 && wait $pid_3 &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/cur &&
	cat host-1.err host-3.err >survivors.err &&
	test "$(grep -c "recovered from cur/: its worker is gone" survivors.err)" = "$(cat claims)" &&
	echo 0 >expect &&
	q "select count(*) from events where host = \$\$host-2\$\$ and status = \$\$processing\$\$" >actual &&
	test_cmp expect actual
'

test_expect_success 'every event ran exactly once to the end' '
	echo $EVENTS >expect &&
	q "select count(distinct event) from runs where status = \$\$success\$\$" >actual &&
	test_cmp expect actual &&
	echo 0 >expect &&
	q "select count(*) from (select event from runs where status = \$\$success\$\$ group by event having count(*) > 1) t" >actual &&
	test_cmp expect actual &&
	q "select id from runs where status = \$\$success\$\$ order by id" >success.ids &&
	sort ended >ended.ids &&
	sort success.ids >success.sorted &&
	# The step of each successful run completed once. A step host-2
	# completed just before the kill, unrecorded, is an interrupted
	# run of host-2 whose event ran again (at-least-once).
	comm -23 success.sorted ended.ids >missing &&
	test_line_count = 0 missing &&
	uniq -d ended.ids >twice &&
	test_line_count = 0 twice &&
	comm -13 success.sorted ended.ids >again &&
	q "select id from runs where status = \$\$interrupted\$\$ and host = \$\$host-2\$\$" | sort >host2.interrupted &&
	comm -23 again host2.interrupted >strange &&
	test_line_count = 0 strange &&
	say "$(wc -l <again) steps completed on host-2 unrecorded when it was killed" &&
	q "select count(*) from runs where status = \$\$interrupted\$\$" >interrupted &&
	q "select count(*) from runs" >all &&
	test $(cat all) = $(( EVENTS + $(cat interrupted) )) &&
	say "$(cat all) runs: $EVENTS success, $(cat interrupted) interrupted (host-2)" &&
	echo 0 >expect &&
	q "select count(*) from runs where status = \$\$interrupted\$\$ and host <> \$\$host-2\$\$" >actual &&
	test_cmp expect actual
'

test_expect_success 'no two runs of a group overlapped, across hosts' '
	echo 0 >expect &&
	q "select count(*) from runs a join runs b on a.concurrency_group = b.concurrency_group and a.id < b.id where a.started < coalesce(b.finished, a.started) and b.started < coalesce(a.finished, b.started)" >actual &&
	test_cmp expect actual &&
	q "select count(distinct host) from runs where status = \$\$success\$\$" >hosts &&
	say "successful runs on $(cat hosts) hosts: $(q "select string_agg(host || chr(61) || n, chr(32) order by host) from (select host, count(*) n from runs where status = \$\$success\$\$ group by host) t")" &&
	test "$(cat hosts)" = 3
'

test_done
