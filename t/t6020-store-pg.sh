#!/bin/bash
test_description='the store'"'"'s unit tests against a real PostgreSQL

t/unit/test-history runs its cases against the PostgreSQL backend (a
build configured --with-postgresql), with the server t/lib-pg.sh starts:
the same cases as against SQLite.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

pg_require_backend

test_expect_success 'setup' '
	start_pg
'

test_expect_success 'test-history passes against PostgreSQL' '
	HOOKDIR_TEST_DATABASE=$PG_URI "$top_builddir/t/unit/test-history" >out 2>&1 ||
	{ cat out; false; } &&
	test_grep "^# backend: PostgreSQL" out &&
	test_grep ! "^not ok" out &&
	ok=$(grep -c "^ok " out) &&
	say "$ok cases passed against PostgreSQL" &&
	test "$ok" -ge 100
'

test_expect_success 'a worker records its runs in the database "database" names' '
	setup_worker &&
	cat >hookdir.conf <<-EOF &&
	{ "database": "$PG_URI", "host": "wk-a",
	  "sources": { "test": { "provider": "generic", "secret": "s3cret" } } }
	EOF
	cat >pipelines/hello.json <<-\EOF &&
	{ "on": { "source": "test" },
	  "jobs": { "a": { "steps": [ { "run": "echo hi" } ] } } }
	EOF
	check_config &&
	queue_event push &&
	hookdir worker --once &&
	test_path_is_missing state/hookdir.db &&
	echo "hello success wk-a" >expect &&
	pg_psql -c "select concat_ws(chr(32), pipeline, status, host) from runs where event = \$\$$event\$\$" >actual &&
	test_cmp expect actual &&
	hookdir runs --json >runs.json &&
	test_grep "\"event\": *\"$event\"" runs.json &&
	test_grep "\"status\": *\"success\"" runs.json &&
	test_grep "\"host\": *\"wk-a\"" runs.json
'

test_expect_success 'without the password the worker fails and claims nothing' '
	queue_event push &&
	test_must_fail env PGPASSFILE=/dev/null hookdir worker --once 2>err &&
	test_grep "database: .*password" err &&
	test_path_is_file "spool/new/$event"
'

test_expect_success 'a password in the URI is a configuration error' '
	cat >pw.conf <<-EOF &&
	{ "database": "postgresql://hookdir:$(cat "$PG_PASSWORD_FILE")@127.0.0.1:$PG_PORT/hookdir",
	  "sources": {} }
	EOF
	test_expect_code 78 hookdir -c pw.conf runs 2>err &&
	test_grep "pw.conf:1: database: holds a password" err &&
	test_grep ! "$(cat "$PG_PASSWORD_FILE")" err
'

test_done
