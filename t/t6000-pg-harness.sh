#!/bin/bash
test_description='t/lib-pg.sh starts a real PostgreSQL server and stops it

The server runs as an unprivileged user in the scratch directory,
answers on its unix socket and on a loopback port, only with the
password from the password file, and is gone after stop_pg, after the
test file ends, and after a test file that failed.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"
. "$TEST_DIRECTORY/lib-pg.sh"

pg_require

# run_sub_test NAME 'CODE': CODE as a test file of its own using
# lib-pg.sh; its TAP to NAME.out, its exit code to NAME.code.
run_sub_test () {
	{
		echo "#!/bin/bash"
		echo "test_description='sub-test $1'"
		echo ". \"\$TEST_DIRECTORY/test-lib.sh\""
		echo ". \"\$TEST_DIRECTORY/lib-pg.sh\""
		printf '%s\n' "$2"
	} >"$1.sh" &&
	mkdir -p sub && chmod 0755 sub &&
	HOOKDIR_TEST_TMP=$TRASH/sub bash "$1.sh" >"$1.out" 2>&1 </dev/null
	echo $? >"$1.code"
}

test_expect_success 'start_pg starts a server as an unprivileged user' '
	start_pg &&
	pid=$PG_PID &&
	process_uid=$(stat -c %u "/proc/$pid") &&
	test "$process_uid" = "$(id -u "$PG_OS_USER")" &&
	if test_have_prereq ROOT; then test "$process_uid" != 0; fi &&
	test -S "$PG_SOCK_DIR/.s.PGSQL.$PG_PORT"
'

test_expect_success 'psql reaches it over the socket and over TCP' '
	pg_psql -c "create table t (n int primary key)" \
		-c "insert into t values (1), (2)" &&
	echo 3 >expect &&
	pg_psql -c "select sum(n) from t" >actual &&
	test_cmp expect actual &&
	"$PG_BINDIR/psql" -X -A -t "$PG_TCP_URI" -c "select sum(n) from t" >actual &&
	test_cmp expect actual &&
	echo "127.0.0.1" >expect &&
	"$PG_BINDIR/psql" -X -A -t "$PG_TCP_URI" -c "select inet_server_addr()" >actual &&
	test_cmp expect actual
'

test_expect_success 'without the password file no connection is allowed' '
	test_must_fail env PGPASSFILE=/dev/null "$PG_BINDIR/psql" -X -w "$PG_URI" \
		-c "select 1" 2>err &&
	test_grep "password" err &&
	test_must_fail env PGPASSFILE=/dev/null "$PG_BINDIR/psql" -X -w "$PG_TCP_URI" \
		-c "select 1" 2>err &&
	test_grep "password" err &&
	echo 1 >expect &&
	PGPASSFILE=/dev/null "$PG_BINDIR/psql" -X -A -t \
		"$PG_TCP_URI?password=$(cat "$PG_PASSWORD_FILE")" -c "select 1" >actual &&
	test_cmp expect actual
'

test_expect_success 'pg_create_db makes a second database' '
	uri=$(pg_create_db other) &&
	echo other >expect &&
	"$PG_BINDIR/psql" -X -A -t "$uri" -c "select current_database()" >actual &&
	test_cmp expect actual
'

test_expect_success 'stop_pg stops it' '
	pid=$PG_PID &&
	stop_pg &&
	test_must_fail process_alive "$pid" &&
	test_must_fail pg_psql -c "select 1" 2>err
'

# A file that passes, one with a failing test, and one that exits in the
# middle of a test: each leaves no server behind.
for how in "true 0" "false 1" "exit 7 1"
do
	body=${how% *} code=${how##* } name=${how%% *}
	test_expect_success "a server does not outlive a file whose test runs \"$body\"" '
		run_sub_test $name "
test_expect_success \"start\" \"start_pg && echo \\\$PG_PID >$TRASH/$name.pid\"
test_expect_success \"then\" \"$body\"
test_done
" &&
		test "$(cat $name.code)" = $code &&
		pid=$(cat $name.pid) && test -n "$pid" &&
		test_must_fail process_alive "$pid"
	'
done

test_expect_success 'without PostgreSQL a file is skipped, or fails when required' '
	PG_BINDIR=/nonexistent HOOKDIR_TEST_REQUIRE= run_sub_test nopg "
pg_require
test_expect_success \"never\" \"false\"
test_done
" &&
	test "$(cat nopg.code)" = 0 &&
	test_grep "^1\\.\\.0 # SKIP missing PostgreSQL (initdb pg_ctl postgres psql)\$" nopg.out &&
	PG_BINDIR=/nonexistent HOOKDIR_TEST_REQUIRE=1 run_sub_test nopg "
pg_require
test_done
" &&
	test "$(cat nopg.code)" = 1 &&
	test_grep "^not ok 1 - missing PostgreSQL: initdb pg_ctl postgres psql (HOOKDIR_TEST_REQUIRE=1)" nopg.out
'

test_done
