#!/bin/bash
test_description='hookdir gc: tmp/ leftovers, done/ files, run logs and workspaces, history

tmp/ files older than 36 hours are what writers that died left; done/
files, the logs/RUN and work/RUN directories of ended runs, and the
history of ended events go once older than `retention` (10 days here).
failed/, running runs and anything recent stay. --dry-run removes nothing.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

# The history's time format, some days ago.
days_ago () {
	sqlite3 :memory: "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-$1 days')"
}

test_expect_success 'setup: two events run, one made old' '
	setup_spool &&
	mkdir pipelines &&
	cat >hookdir.conf <<-\EOF &&
	{
	  "spool": "spool",
	  "state": "state",
	  "pipelines": "pipelines",
	  "retention": "10d",
	  "sources": { "site": { "provider": "github" } }
	}
	EOF
	cat >pipelines/p.json <<-\EOF &&
	{
	  "on": { "source": "site" },
	  "keep_workspace": true,
	  "jobs": { "j": { "steps": [ { "name": "s", "run": "echo hi; echo x >made-here" } ] } }
	}
	EOF
	echo "{}" >body.json &&
	hookdir inject site body.json --event push --delivery old >old.id &&
	hookdir inject site body.json --event push --delivery new >new.id &&
	hookdir worker --once &&
	OLD=$(cat old.id) NEW=$(cat new.id) &&
	OLD_RUN=$(sql "SELECT id FROM runs WHERE event = '\''$OLD'\''") &&
	NEW_RUN=$(sql "SELECT id FROM runs WHERE event = '\''$NEW'\''") &&
	test -n "$OLD_RUN" && test -n "$NEW_RUN" &&
	echo "$OLD_RUN" >old.run && echo "$NEW_RUN" >new.run &&
	test_path_is_file "state/logs/$OLD_RUN/j/s.log" &&
	test_path_is_file "state/work/$OLD_RUN/made-here" &&
	test_path_is_dir "state/logs/$NEW_RUN" &&
	test_path_is_dir "state/work/$NEW_RUN" &&

	T=$(days_ago 11) &&
	sql "UPDATE runs SET created = '\''$T'\'', started = '\''$T'\'', finished = '\''$T'\'' WHERE id = $OLD_RUN" &&
	sql "UPDATE jobs SET started = '\''$T'\'', finished = '\''$T'\'' WHERE run = $OLD_RUN" &&
	sql "UPDATE events SET claimed = '\''$T'\'', finished = '\''$T'\'' WHERE id = '\''$OLD'\''" &&
	touch -d "11 days ago" "spool/done/$OLD" &&

	mkdir -p "state/work/$OLD_RUN/ro/sub" &&
	echo x >"state/work/$OLD_RUN/ro/sub/f" &&
	chmod 555 "state/work/$OLD_RUN/ro/sub" "state/work/$OLD_RUN/ro"
'

test_expect_success 'setup: leftovers, dead letters, a run still going' '
	echo partial >spool/tmp/1.M1P1Rold.host &&
	touch -d "40 hours ago" spool/tmp/1.M1P1Rold.host &&
	echo partial >spool/tmp/1.M1P1Rmid.host &&
	touch -d "30 hours ago" spool/tmp/1.M1P1Rmid.host &&
	echo partial >spool/tmp/1.M1P1Rnew.host &&
	echo dead >spool/failed/1.M1P1Rdead.host &&
	touch -d "40 days ago" spool/failed/1.M1P1Rdead.host &&

	mkdir -p state/logs/9001/j state/logs/9002 state/logs/notarun state/work/9001 &&
	touch -d "11 days ago" state/logs/9001 state/logs/notarun state/work/9001 &&

	T=$(days_ago 20) &&
	RUNNING=$(sql "INSERT INTO runs (event, pipeline, status, created, started) VALUES ('\''$(cat new.id)'\'', '\''p'\'', '\''running'\'', '\''$T'\'', '\''$T'\''); SELECT last_insert_rowid();") &&
	echo "$RUNNING" >running.run &&
	mkdir -p "state/logs/$RUNNING" "state/work/$RUNNING" &&
	touch -d "20 days ago" "state/logs/$RUNNING" "state/work/$RUNNING"
'

test_expect_success 'gc --dry-run says what would go and removes nothing' '
	OLD=$(cat old.id) OLD_RUN=$(cat old.run) &&
	find spool state -print | sort >before &&
	sql "SELECT count(*) FROM events; SELECT count(*) FROM runs" >rows.before &&
	hookdir gc --dry-run >out &&
	test_grep "^would remove tmp/1.M1P1Rold.host\$" out &&
	test_grep "^would remove done/$OLD\$" out &&
	test_grep "^would remove logs/$OLD_RUN\$" out &&
	test_grep "^would remove work/$OLD_RUN\$" out &&
	test_grep "^would remove logs/9001\$" out &&
	test_grep "^would remove work/9001\$" out &&
	test_grep "^would remove 2 files, 4 run directories, 1 event of history\$" out &&
	test_grep ! "1.M1P1Rmid.host" out &&
	test_grep ! "1.M1P1Rnew.host" out &&
	find spool state -print | sort >after &&
	test_cmp before after &&
	sql "SELECT count(*) FROM events; SELECT count(*) FROM runs" >rows.after &&
	test_cmp rows.before rows.after
'

test_expect_success 'gc removes old tmp/ leftovers and keeps fresh ones' '
	hookdir gc >out &&
	test_grep "^removed tmp/1.M1P1Rold.host\$" out &&
	test_path_is_missing spool/tmp/1.M1P1Rold.host &&
	test_path_is_file spool/tmp/1.M1P1Rmid.host &&
	test_path_is_file spool/tmp/1.M1P1Rnew.host
'

test_expect_success 'gc removed done/ files past retention, kept newer ones' '
	test_path_is_missing "spool/done/$(cat old.id)" &&
	test_path_is_file "spool/done/$(cat new.id)" &&
	test_path_is_file spool/failed/1.M1P1Rdead.host
'

test_expect_success 'gc removed logs and workspaces of old runs, kept the rest' '
	OLD_RUN=$(cat old.run) NEW_RUN=$(cat new.run) RUNNING=$(cat running.run) &&
	test_path_is_missing "state/logs/$OLD_RUN" &&
	test_path_is_missing "state/work/$OLD_RUN" &&
	test_path_is_dir "state/logs/$NEW_RUN" &&
	test_path_is_dir "state/work/$NEW_RUN" &&
	test_path_is_missing state/logs/9001 &&
	test_path_is_missing state/work/9001 &&
	test_path_is_dir state/logs/9002 &&
	test_path_is_dir state/logs/notarun &&
	test_path_is_dir "state/logs/$RUNNING" &&
	test_path_is_dir "state/work/$RUNNING"
'

test_expect_success 'gc removed the history of the old event only' '
	test "$(sql "SELECT count(*) FROM events WHERE id = '\''$(cat old.id)'\''")" = 0 &&
	test "$(sql "SELECT count(*) FROM runs WHERE id = $(cat old.run)")" = 0 &&
	test "$(sql "SELECT count(*) FROM jobs WHERE run = $(cat old.run)")" = 0 &&
	test "$(sql "SELECT count(*) FROM steps WHERE run = $(cat old.run)")" = 0 &&
	test "$(sql "SELECT count(*) FROM events WHERE id = '\''$(cat new.id)'\''")" = 1 &&
	test "$(sql "SELECT count(*) FROM runs WHERE event = '\''$(cat new.id)'\''")" = 2
'

test_expect_success 'gc again finds nothing' '
	hookdir gc >out &&
	echo "removed 0 files, 0 run directories, 0 events of history" >expect &&
	test_cmp expect out
'

test_expect_success 'gc with no history database yet goes by age' '
	mkdir -p fresh/spool/tmp fresh/spool/new fresh/spool/cur fresh/spool/done fresh/spool/failed fresh/state/logs/7 &&
	touch -d "11 days ago" fresh/state/logs/7 &&
	cat >fresh.conf <<-\EOF &&
	{
	  "spool": "fresh/spool",
	  "state": "fresh/state",
	  "retention": "10d",
	  "sources": { "site": { "provider": "github" } }
	}
	EOF
	hookdir -c fresh.conf gc >out &&
	test_grep "^removed logs/7\$" out &&
	test_path_is_missing fresh/state/hookdir.db
'

test_done
