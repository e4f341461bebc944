#!/bin/bash
test_description='the rows an event writes into the history

What the worker records per event costs it a statement per row write:
a step'\''s start is one row written whole (its attempt, status running,
its process group), and a run that has no concurrency group to wait
for is created running. Triggers in the database count the INSERTs and
UPDATEs of runs, jobs and steps while the worker runs.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

# count_writes: a table w(t, op) and triggers that add a row to it for
# every INSERT and UPDATE of runs, jobs and steps.
count_writes () {
	for t in runs jobs steps
	do
		echo "CREATE TRIGGER w_${t}_i AFTER INSERT ON $t BEGIN" \
			"INSERT INTO w VALUES ('$t', 'insert'); END;" &&
		echo "CREATE TRIGGER w_${t}_u AFTER UPDATE ON $t BEGIN" \
			"INSERT INTO w VALUES ('$t', 'update'); END;" ||
		return 1
	done >triggers.sql &&
	sql "CREATE TABLE w (t TEXT, op TEXT)" &&
	sql <triggers.sql
}

# writes_are "TABLE INSERTS UPDATES"...: the writes counted since the
# last call were those (every table that had one, in order), and w is
# emptied.
writes_are () {
	sql "SELECT t, op, count(*) FROM w GROUP BY t, op ORDER BY t, op" \
		>actual &&
	sql "DELETE FROM w" &&
	for tw
	do
		set -- $tw &&
		printf "%s|insert|%s\n%s|update|%s\n" $1 $2 $1 $3 ||
		return 1
	done >expect &&
	test_cmp expect actual
}

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/one.json <<-\EOF &&
	{ "on": { "source": "test", "events": ["one"] },
	  "jobs": { "j": { "steps": [ { "run": "true" } ] } } }
	EOF
	cat >pipelines/retry.json <<-\EOF &&
	{ "on": { "source": "test", "events": ["retry"] },
	  "jobs": { "j": { "steps": [ { "name": "s",
	    "run": "test -f \"$HOOKDIR_WORKSPACE/../../again\" || { touch \"$HOOKDIR_WORKSPACE/../../again\"; false; }",
	    "retry": { "attempts": 2, "backoff": "10ms" } } ] } } }
	EOF
	cat >pipelines/group.json <<-\EOF &&
	{ "on": { "source": "test", "events": ["group"] },
	  "concurrency": { "group": "g" },
	  "jobs": { "j": { "steps": [ { "run": "true" } ] } } }
	EOF
	check_config &&
	hookdir worker --once &&
	count_writes
'

test_expect_success 'a one-step run: one row write for its start, one for its end' '
	queue_event one &&
	hookdir worker --once &&
	run_status_is $event success &&
	writes_are "jobs 1 2" "runs 1 1" "steps 1 1"
'

test_expect_success 'the step row has its start whole' '
	sql "SELECT status, attempt, started IS NOT NULL, pgid > 0,
		pgid_start IS NOT NULL, boot_id IS NOT NULL, log IS NOT NULL
		FROM steps WHERE run = (SELECT max(id) FROM runs)" >actual &&
	echo "success|1|1|1|1|1|1" >expect &&
	test_cmp expect actual
'

test_expect_success 'a retried step: each attempt one row, written once as it starts' '
	queue_event retry &&
	hookdir worker --once &&
	run_status_is $event success &&
	writes_are "jobs 1 2" "runs 1 1" "steps 2 2" &&
	sql "SELECT attempt, status, pgid > 0 FROM steps
		WHERE run = (SELECT max(id) FROM runs) ORDER BY id" >actual &&
	printf "%s\n" "1|failure|1" "2|success|1" >expect &&
	test_cmp expect actual
'

test_expect_success 'the run was created running: started when created' '
	sql "SELECT status, started = created FROM runs
		WHERE id = (SELECT max(id) FROM runs WHERE pipeline = '\''one'\'')" >actual &&
	echo "success|1" >expect &&
	test_cmp expect actual
'

test_expect_success 'a run in a concurrency group: started once, by the group'\''s decision' '
	queue_event group &&
	hookdir worker --once &&
	run_status_is $event success &&
	writes_are "jobs 1 2" "runs 1 3" "steps 1 1" &&
	sql "SELECT concurrency_group, started IS NOT NULL FROM runs
		WHERE id = (SELECT max(id) FROM runs)" >actual &&
	echo "g|1" >expect &&
	test_cmp expect actual
'

test_done
