#!/bin/bash
test_description='the test harness itself, and each web-server helper

The first part checks t/test-lib.sh: assertions, prerequisites, cleanup
order, and (through small test scripts run here) the TAP it prints for
failures, known breakages, skips and missing programs.  The second part
starts every server t/lib-httpd.sh knows with hookdir.fcgi behind it and
checks that each answers on its port, that the responder behind it
answers, and that stopping it frees the port.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

httpd_prereq nginx apache-fcgid apache-cgi lighttpd listen

# run_sub_test NAME 'CODE': run CODE as a test script of its own, with the
# real test-lib.sh; its TAP goes to NAME.out, its exit code to NAME.code.
run_sub_test () {
	{
		echo "#!/bin/bash"
		echo "test_description='sub-test $1'"
		echo ". \"\$TEST_DIRECTORY/test-lib.sh\""
		echo ". \"\$TEST_DIRECTORY/lib-httpd.sh\""
		printf '%s\n' "$2"
	} >"$1.sh" &&
	mkdir -p sub &&
	HOOKDIR_TEST_TMP=$TRASH/sub bash "$1.sh" >"$1.out" 2>&1 </dev/null
	echo $? >"$1.code"
}

# ---------------------------------------------------------------- assertions
test_expect_success 'test_must_fail accepts an ordinary failure' '
	test_must_fail false &&
	test_must_fail sh -c "exit 3"
'

test_expect_success 'test_must_fail refuses success, signals and missing commands' '
	! test_must_fail true &&
	! test_must_fail sh -c "kill -TERM \$\$" &&
	! test_must_fail hookdir-no-such-command
'

test_expect_success 'test_expect_code' '
	test_expect_code 3 sh -c "exit 3" &&
	! test_expect_code 3 sh -c "exit 4" &&
	! test_expect_code 1 true
'

test_expect_success 'test_cmp' '
	printf "a\nb\n" >one &&
	printf "a\nb\n" >two &&
	printf "a\nc\n" >three &&
	test_cmp one two &&
	! test_cmp one three >diff &&
	test_grep "^+c" diff
'

test_expect_success 'path and count helpers' '
	mkdir empty full &&
	: >full/f &&
	test_dir_is_empty empty &&
	! test_dir_is_empty full &&
	test_path_is_file full/f &&
	! test_path_is_file empty &&
	test_path_is_dir empty &&
	test_path_is_missing nothing &&
	! test_path_is_missing full &&
	printf "1\n2\n3\n" >lines &&
	test_line_count = 3 lines &&
	test_line_count -gt 2 lines &&
	! test_line_count = 2 lines
'

test_expect_success 'spool_count and spool_files' '
	mkdir -p sp/new &&
	test "$(spool_count sp/new)" = 0 &&
	: >sp/new/b && : >sp/new/a && : >sp/new/.hidden && mkdir sp/new/dir &&
	test "$(spool_count sp/new)" = 2 &&
	printf "sp/new/a\nsp/new/b\n" >expect &&
	spool_files sp/new >actual &&
	test_cmp expect actual &&
	test_must_fail spool_count sp/none
'

test_expect_success 'variables set in a test persist' '
	persisted=yes
'

test_expect_success 'tests run in the scratch directory, with the tree known' '
	test "$persisted" = yes &&
	test "$PWD" = "$TRASH" &&
	test "$HOME" = "$TRASH" &&
	test "$(stat -c %a "$TRASH")" = 755 &&
	test -f "$top_srcdir/t/test-lib.sh" &&
	test -f "$top_builddir/config.status" &&
	test -d "$TEST_DATA"
'

# ---------------------------------------------------------------- prereqs
test_set_prereq HAVEIT
test_lazy_prereq LAZY_TRUE 'true'
test_lazy_prereq LAZY_FALSE 'false'
prereq_ran=
test_expect_success HAVEIT 'a test with a prerequisite that holds runs' '
	prereq_ran=t
'

test_expect_success DONTHAVEIT 'a test with a missing prerequisite is skipped' '
	echo >&2 "this test should have been skipped" &&
	false
'

test_expect_success 'prerequisite logic' '
	test "$prereq_ran" = t &&
	test_have_prereq HAVEIT &&
	! test_have_prereq DONTHAVEIT &&
	test_have_prereq !DONTHAVEIT &&
	! test_have_prereq HAVEIT,DONTHAVEIT &&
	test_have_prereq HAVEIT,!DONTHAVEIT &&
	test_have_prereq LAZY_TRUE &&
	! test_have_prereq LAZY_FALSE &&
	if [ "$(id -u)" = 0 ]; then
		test_have_prereq ROOT && ! test_have_prereq SANITY
	else
		! test_have_prereq ROOT && test_have_prereq SANITY
	fi
'

# ---------------------------------------------------------------- cleanups
test_expect_success 'test_when_finished runs its commands last first' '
	: >order &&
	test_when_finished "echo first >>order" &&
	test_when_finished "echo second >>order" &&
	echo body >>order
'

test_expect_success '... after the body' '
	printf "body\nsecond\nfirst\n" >expect &&
	test_cmp expect order
'

test_expect_success 'failures, cleanups after a failure, known breakages' '
	run_sub_test fail "
test_expect_success \"passes\" \"true\"
test_expect_success \"fails\" \"
	test_when_finished \\\"echo cleaned >$TRASH/cleaned\\\" &&
	echo visible-output &&
	false
\"
test_expect_failure \"broken\" \"false\"
test_expect_failure \"fixed\" \"true\"
test_done
" &&
	test "$(cat fail.code)" = 1 &&
	test_grep "^ok 1 - passes\$" fail.out &&
	test_grep "^not ok 2 - fails\$" fail.out &&
	test_grep "^# visible-output\$" fail.out &&
	test_grep "^not ok 3 - broken # TODO known breakage\$" fail.out &&
	test_grep "^ok 4 - fixed # TODO known breakage vanished\$" fail.out &&
	test_grep "^1\\.\\.4\$" fail.out &&
	test "$(cat cleaned)" = cleaned
'

test_expect_success 'a failing cleanup fails its test' '
	run_sub_test badcleanup "
test_expect_success \"cleanup fails\" \"test_when_finished false && true\"
test_done
" &&
	test "$(cat badcleanup.code)" = 1 &&
	test_grep "^not ok 1 - cleanup fails" badcleanup.out
'

test_expect_success 'output is hidden unless -v' '
	run_sub_test quiet "
test_expect_success \"talks\" \"echo chatter\"
test_done
" &&
	test "$(cat quiet.code)" = 0 &&
	test_grep ! chatter quiet.out &&
	HOOKDIR_TEST_TMP=$TRASH/sub bash quiet.sh -v >verbose.out 2>&1 &&
	test_grep "^# chatter\$" verbose.out
'

test_expect_success 'skip_all, test_require_prog and HOOKDIR_TEST_REQUIRE' '
	run_sub_test skip "
skip_all=\"nothing to do here\"
test_done
" &&
	test "$(cat skip.code)" = 0 &&
	test_grep "^1\\.\\.0 # SKIP nothing to do here\$" skip.out &&
	HOOKDIR_TEST_REQUIRE= run_sub_test noprog "
test_require_prog hookdir-no-such-program
test_expect_success \"never\" \"false\"
test_done
" &&
	test "$(cat noprog.code)" = 0 &&
	test_grep "^1\\.\\.0 # SKIP missing hookdir-no-such-program\$" noprog.out &&
	HOOKDIR_TEST_REQUIRE=1 run_sub_test noprog "
test_require_prog hookdir-no-such-program
test_done
" &&
	test "$(cat noprog.code)" = 1 &&
	test_grep "^not ok 1 - required program(s) missing: hookdir-no-such-program" noprog.out
'

test_expect_success 'test_atexit runs at the end, and on an unexpected exit' '
	run_sub_test atexit "
test_atexit \"echo done >$TRASH/atexit-ran\"
test_expect_success \"ok\" \"true\"
test_done
" &&
	test "$(cat atexit.code)" = 0 &&
	test_path_is_file atexit-ran &&
	run_sub_test dies "
test_atexit \"echo done >$TRASH/atexit-died\"
test_expect_success \"exits\" \"exit 7\"
test_done
" &&
	test "$(cat dies.code)" = 1 &&
	test_grep "^Bail out!" dies.out &&
	test_path_is_file atexit-died
'

test_expect_success 'the scratch directory goes away unless the file failed' '
	dirs=$(ls -d sub/hookdir-quiet.* 2>/dev/null | wc -l) &&
	test "$dirs" = 0 &&
	ls -d sub/hookdir-fail.*/trash
'

# ---------------------------------------------------------------- servers
test_expect_success 'setup: a configuration with no sources' '
	setup_spool &&
	printf "{ \"spool\": \"spool\", \"sources\": {} }\n" >hookdir.conf &&
	chown_web hookdir.conf &&
	printf "{\"error\":\"unknown source\"}\n" >expect.unknown
'

# check_server URL-PATH-OF-THE-RESPONDER: the server answers 404 for /nope,
# and the responder behind it answers 404 unknown source.
check_server () {
	status=$(hookdir_curl "$HTTPD_URL/nope") &&
	test "$status" = 404 &&
	status=$(hookdir_curl "$HOOK_URL_BASE/nope" -X POST -d x) &&
	test "$status" = 404 &&
	tr -d "\n" <response >actual && echo >>actual &&
	test_cmp expect.unknown actual &&
	response_header Content-Type >ctype &&
	test_grep "^application/json" ctype
}

check_stopped () {
	stop_httpd &&
	test_must_fail httpd_port_busy_ "$1"
}

test_expect_success NGINX 'nginx + spawn-fcgi answer' '
	start_nginx_fcgi 2 &&
	test "$HOOK_URL_BASE" = "$HTTPD_URL/hooks" &&
	test_path_is_file "$HTTPD_ERROR_LOG" &&
	check_server &&
	check_stopped $HTTPD_PORT
'

test_expect_success APACHE_FCGID 'Apache + mod_fcgid answer' '
	start_apache_fcgid &&
	test "$HOOK_URL_BASE" = "$HTTPD_URL/hooks" &&
	check_server &&
	check_stopped $HTTPD_PORT
'

test_expect_success APACHE_CGI 'Apache + mod_cgi + .htaccess answer' '
	start_apache_cgi &&
	test "$HOOK_URL_BASE" = "$HTTPD_URL/hooks.cgi" &&
	check_server &&
	check_stopped $HTTPD_PORT
'

test_expect_success LIGHTTPD 'lighttpd + mod_fastcgi answer' '
	start_lighttpd_fcgi &&
	check_server &&
	check_stopped $HTTPD_PORT
'

test_expect_success LISTEN 'hookdir.fcgi --listen behind nginx answers' '
	start_hookdir_listen "unix:$HTTPD_SOCK_DIR/listen.sock" &&
	start_nginx "$LISTEN_ADDR" &&
	check_server &&
	stop_httpd &&
	test_must_fail httpd_alive_ $LISTEN_PID &&
	start_hookdir_listen 127.0.0.1: &&
	start_nginx "$LISTEN_ADDR" &&
	check_server &&
	check_stopped $HTTPD_PORT
'

test_expect_success NGINX 'two servers at once; stop_httpd stops both' '
	start_nginx_fcgi 1 &&
	nginx_port=$HTTPD_PORT &&
	start_hookdir_listen 127.0.0.1: &&
	listen_port=${LISTEN_ADDR##*:} &&
	httpd_port_busy_ $nginx_port &&
	stop_httpd &&
	test_must_fail httpd_port_busy_ $nginx_port &&
	test_must_fail httpd_port_busy_ $listen_port
'

test_expect_success NGINX 'a failing test shows the server log; test_atexit stops servers' '
	run_sub_test srvfail "
test_expect_success \"fails with nginx up\" \"
	setup_spool &&
	echo {} >hookdir.conf && chown_web hookdir.conf &&
	start_nginx_fcgi 1 &&
	echo \\\$HTTPD_PORT >$TRASH/srv.port &&
	hookdir_curl \\\$HTTPD_URL/hooks/x &&
	false
\"
test_done
" &&
	test "$(cat srvfail.code)" = 1 &&
	test_grep "^# --- .*/nginx/logs/error.log (lines logged during the test):" srvfail.out &&
	test_must_fail httpd_port_busy_ $(cat srv.port)
'

test_expect_success NGINX 'servers are stopped when the test file is killed' '
	run_sub_test killed "
test_expect_success \"killed with nginx up\" \"
	setup_spool &&
	start_nginx_fcgi 1 &&
	echo \\\$HTTPD_PORT >$TRASH/killed.port &&
	kill -TERM \\\$\\\$
\"
test_done
" &&
	test "$(cat killed.code)" = 1 &&
	test_grep "^Bail out!" killed.out &&
	test_must_fail httpd_port_busy_ $(cat killed.port)
'

test_done
