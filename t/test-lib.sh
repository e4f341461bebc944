# test-lib.sh: the harness every t/tNNNN-*.sh test sources (bash).
#
# A test file looks like this (git's t/ style):
#
#	#!/bin/bash
#	test_description='what this file checks'
#	. "$(dirname "$0")/test-lib.sh"
#	test_expect_success 'setup' '
#		mkdir -p spool/new
#	'
#	test_expect_success ROOT 'title' '
#		test_when_finished "rm -f x" &&
#		test_must_fail false &&
#		test_cmp expect actual
#	'
#	test_done
#
# It prints TAP, for automake's tap-driver.sh.  Run one file by hand from
# the build directory:
#	top_srcdir=/path/to/src top_builddir=$PWD bash /path/to/src/t/t0000-harness.sh -v
# Options: -v/--verbose (show every test's output as "# " comments),
# -x (trace the test bodies; implies -v), -i/--immediate (stop at the first
# failure), -d/--debug (keep the scratch directory).
#
# Environment (set by "make check"; derived from this file's location and
# the current directory when unset):
#	top_srcdir, top_builddir   the source and build trees (absolute)
#	TEST_DATA                  $top_srcdir/t/data (payload fixtures)
#	HOOKDIR_FCGI               the built responder, cgi/hookdir.fcgi
#	HOOKDIR                    the built command, worker/hookdir
#	TEST_TOOL                  the built t/helper/test-tool
#	NGINX APACHE2 SPAWN_FCGI LIGHTTPD CURL   configure's paths (empty: missing)
#	HOOKDIR_TEST_REQUIRE=1     a missing program fails the file instead of skipping it
#	HOOKDIR_TEST_KEEP=1        keep the scratch directory (as --debug)
#	HOOKDIR_VALGRIND=1         run hookdir and the responder under valgrind
#	                           (make check-valgrind; see below)
# The build directories holding those programs are put first in PATH.
#
# Each file runs in its own scratch directory, $TRASH (also
# $TRASH_DIRECTORY), a fresh mktemp directory under /tmp with mode 0755 so
# that the unprivileged web-server user can traverse it.  Tests start in it
# and HOME points at it.  It is removed by test_done when every test passed,
# unless --debug or HOOKDIR_TEST_KEEP=1; after a failure it is kept and its
# path is printed.
#
# Test declarations:
#	test_expect_success [PREREQ] TITLE CODE   CODE must succeed
#	test_expect_failure [PREREQ] TITLE CODE   known breakage (TAP "# TODO")
#	test_done                    print the plan; exit 1 if a test failed
#	skip_all=REASON; test_done   skip the whole file (before any test)
# CODE is eval'ed in the test script's own shell (variables it sets
# persist), with stdin from /dev/null and its output captured: shown as
# TAP comments with -v, or when the test fails.  Join commands with &&.
#
# Helpers for use inside CODE:
#	test_must_fail CMD...        CMD must exit 1..125 (not 0, not a signal, not 126/127)
#	test_might_fail CMD...       CMD may fail (but not crash)
#	test_expect_code N CMD...    CMD must exit with status N
#	test_cmp EXPECT ACTUAL       files equal (diff -u shown otherwise)
#	test_grep [!] [GREP-OPTS] PATTERN FILE   grep that shows FILE on failure
#	test_when_finished CMD       run CMD after this test, even if it failed
#	                             (last registered runs first; a failing CMD fails the test)
#	test_atexit CMD              run CMD when the script exits (test_done,
#	                             die, INT/TERM/HUP): stopping servers
#	test_path_is_file F, test_path_is_dir D, test_path_is_missing P
#	test_file_not_empty F, test_dir_is_empty D
#	test_line_count OP N FILE    e.g. test_line_count = 3 lines
#	write_script FILE [SHELL] <<EOF   an executable script (#!/bin/sh default)
#	say MSG...                   a "# MSG" line (captured when inside CODE)
#	chown_web PATH...            give PATH (recursively) to the web-server user
#	                             when running as root; no-op otherwise
#	setup_spool [DIR]            DIR (default spool) with tmp new cur done failed,
#	                             owned by the web-server user
#	spool_count DIR              number of files in DIR (e.g. spool/new)
#	spool_files DIR              their paths, sorted, one a line
#	spool_body FILE              the body of a spool file: what follows the
#	                             first empty line
#	spool_body_cmp FILE EXPECT   the body of spool file FILE is the file
#	                             EXPECT, byte for byte (cmp)
#	spool_clear                  move the files of spool/new to seen/ (kept
#	                             for a failed test's report)
#	hookdir_curl URL [CURL-ARGS] request URL: body -> ./response, headers ->
#	                             ./response.headers, prints the status code
#	hookdir_post URL FILE [CURL-ARGS]  POST FILE as the exact body
#	                             (--data-binary @FILE); as hookdir_curl.  Pass
#	                             -H "Content-Type: ..." (curl's default is
#	                             application/x-www-form-urlencoded) and the
#	                             signature headers (-H @FILE reads them from a file)
#	response_header NAME         the value of NAME in ./response.headers
#	response_id                  the ID of a {"id":"ID","status":"queued"} ./response
#	response_error               the MESSAGE of an {"error":"MESSAGE"} ./response
#	hmac_sha256_hex SECRET FILE  hex HMAC-SHA256 of FILE (openssl)
#	hmac_hex ALG SECRET FILE     lower-case hex HMAC (ALG: sha1, sha256...)
#	                             of FILE, the secret taken as bytes (openssl mac)
#
# Prerequisites:
#	test_set_prereq NAME, test_have_prereq 'A,!B', test_lazy_prereq NAME 'CODE'
#	Built in: ROOT (uid 0: servers can drop to the web user), NOBODY_USER
#	(user nobody exists), SANITY (permissions are enforced: not root).
#	test_require_prog PROG...    skip the whole file (or, with
#	                             HOOKDIR_TEST_REQUIRE=1, fail it) unless every PROG
#	                             is there; nginx, apache2, spawn-fcgi, lighttpd and
#	                             curl are looked up through configure's variables
#	test_prog_prereq NAME PROG...  set prereq NAME when every PROG is there;
#	                             otherwise tests needing NAME are skipped (with
#	                             HOOKDIR_TEST_REQUIRE=1: one failing test says why)
#	test_find_prog PROG          print the path of PROG or fail
#
# The web-server user: HTTPD_USER and HTTPD_GROUP (nobody and its group when
# root, else the current user).  t/lib-httpd.sh starts real servers.

if [ -z "${BASH_VERSION:-}" ]; then
	echo "Bail out! t/test-lib.sh needs bash"
	exit 1
fi

# ---------------------------------------------------------------- options
verbose=
immediate=
debug=
trace=
for test_arg_
do
	case $test_arg_ in
	-v|--verbose)	verbose=t ;;
	-x)		trace=t; verbose=t ;;
	-i|--immediate)	immediate=t ;;
	-d|--debug)	debug=t ;;
	-h|--help)
		echo "usage: $0 [-v] [-x] [-i] [-d]"
		echo "${test_description:-}"
		exit 0 ;;
	*)
		echo "Bail out! unknown option '$test_arg_'"
		exit 1 ;;
	esac
done
unset test_arg_
[ "${HOOKDIR_TEST_KEEP:-}" = 1 ] && debug=t

# ---------------------------------------------------------------- environment
# Results must not depend on the caller's locale, clock zone or proxies.
export LC_ALL=C LANG=C TZ=UTC
unset LANGUAGE HOOKDIR_CONF CDPATH GREP_OPTIONS
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy='*' NO_PROXY='*'
umask 022

TEST_NAME=$(basename "$0" .sh)
test_start_us_=${EPOCHREALTIME/./}

if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fi
top_srcdir=$(cd "$top_srcdir" && pwd) || {
	echo "Bail out! top_srcdir '$top_srcdir' is not a directory"
	exit 1
}
if [ -z "${top_builddir:-}" ]; then
	if [ -f config.status ]; then
		top_builddir=$PWD
	elif [ -f ../config.status ]; then
		top_builddir=$(cd .. && pwd)
	else
		top_builddir=$top_srcdir
	fi
fi
top_builddir=$(cd "$top_builddir" && pwd) || {
	echo "Bail out! top_builddir '$top_builddir' is not a directory"
	exit 1
}
export top_srcdir top_builddir

TEST_DIRECTORY=$top_srcdir/t
TEST_DATA=$top_srcdir/t/data
HOOKDIR_FCGI=${HOOKDIR_FCGI:-$top_builddir/cgi/hookdir.fcgi}
HOOKDIR=${HOOKDIR:-$top_builddir/worker/hookdir}
TEST_TOOL=${TEST_TOOL:-$top_builddir/t/helper/test-tool}
export TEST_DIRECTORY TEST_DATA HOOKDIR_FCGI HOOKDIR TEST_TOOL
PATH=$(dirname "$HOOKDIR_FCGI"):$(dirname "$HOOKDIR"):$(dirname "$TEST_TOOL"):$PATH
export PATH

# Programs found by configure; when a variable is unset (a test run by
# hand), look the program up, in sbin directories too.  Set but empty means
# configure did not find it.
test_lookup_ () {
	PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin command -v "$1" 2>/dev/null
}
[ -n "${NGINX+set}" ] || NGINX=$(test_lookup_ nginx)
[ -n "${APACHE2+set}" ] || APACHE2=$(test_lookup_ apache2 || test_lookup_ httpd)
[ -n "${SPAWN_FCGI+set}" ] || SPAWN_FCGI=$(test_lookup_ spawn-fcgi)
[ -n "${LIGHTTPD+set}" ] || LIGHTTPD=$(test_lookup_ lighttpd)
[ -n "${CURL+set}" ] || CURL=$(test_lookup_ curl)
export NGINX APACHE2 SPAWN_FCGI LIGHTTPD CURL

# ---------------------------------------------------------------- counters
test_count=0
test_success=0
test_failure=0
test_fixed=0
test_broken=0
test_skipped=0
test_cleanup=:
test_atexit_cleanup=:
test_in_body_=
test_done_called_=
test_hooks_start_=()
test_hooks_failure_=()

# ---------------------------------------------------------------- scratch
TEST_ROOT=$(mktemp -d "${HOOKDIR_TEST_TMP:-/tmp}/hookdir-$TEST_NAME.XXXXXX") || {
	echo "Bail out! cannot create a scratch directory"
	exit 1
}
TRASH_DIRECTORY=$TEST_ROOT/trash
TRASH=$TRASH_DIRECTORY
test_lib_dir_=$TEST_ROOT/.lib
mkdir "$TRASH" "$test_lib_dir_" &&
chmod 0755 "$TEST_ROOT" "$TRASH" || {
	echo "Bail out! cannot set up $TEST_ROOT"
	exit 1
}
export TRASH TRASH_DIRECTORY
HOME=$TRASH
export HOME
cd "$TRASH" || exit 1

# HOOKDIR_VALGRIND=1 (make check-valgrind): `hookdir` (a wrapper first
# in PATH, also $HOOKDIR) and the responders t/lib-httpd.sh starts
# (HTTPD_FCGI_WRAPPER) run under valgrind, which writes what it finds
# to $TEST_ROOT/valgrind/; test_done fails the file if it found anything.
test_valgrind_dir_=
if [ "${HOOKDIR_VALGRIND:-}" = 1 ]; then
	test_valgrind_dir_=$TEST_ROOT/valgrind
	test_valgrind_=$(command -v valgrind) || {
		echo "Bail out! HOOKDIR_VALGRIND=1, but there is no valgrind"
		exit 1
	}
	test_valgrind_="$test_valgrind_ -q --leak-check=full --log-file=$test_valgrind_dir_/%p.log"
	mkdir "$test_valgrind_dir_" "$test_lib_dir_/valgrind" &&
	chmod 1777 "$test_valgrind_dir_" &&
	printf '#!/bin/sh\nexec %s %s "$@"\n' "$test_valgrind_" "$HOOKDIR" \
		>"$test_lib_dir_/valgrind/hookdir" &&
	chmod 0755 "$test_lib_dir_/valgrind/hookdir" || {
		echo "Bail out! cannot set up valgrind in $test_lib_dir_"
		exit 1
	}
	HOOKDIR=$test_lib_dir_/valgrind/hookdir
	PATH=$test_lib_dir_/valgrind:$PATH
	HTTPD_FCGI_WRAPPER=$test_valgrind_
	export HOOKDIR PATH HTTPD_FCGI_WRAPPER
fi

# Under the sanitizers (ASAN_OPTIONS set, as .ci/run does for its
# --enable-sanitizers pass), a report from a process in the background
# (a responder under spawn-fcgi, a worker stopped by SIGTERM) would go to
# a log nobody reads: send every report to $TEST_ROOT/sanitizer/, which
# test_done fails the file for, as for valgrind.
test_sanitizer_dir_=
if [ -n "${ASAN_OPTIONS:-}" ]; then
	test_sanitizer_dir_=$TEST_ROOT/sanitizer
	mkdir "$test_sanitizer_dir_" && chmod 1777 "$test_sanitizer_dir_" || {
		echo "Bail out! cannot make $test_sanitizer_dir_"
		exit 1
	}
	ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$test_sanitizer_dir_/asan"
	UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:log_path=$test_sanitizer_dir_/ubsan"
	export ASAN_OPTIONS UBSAN_OPTIONS
fi

# ---------------------------------------------------------------- output
say () {
	local line
	printf '%s\n' "$*" | while IFS= read -r line
	do
		printf '# %s\n' "$line"
	done
}

# Print FILE as TAP comments, the last line ended even when FILE's is
# not (else the next "ok" line would be part of the comment).
test_comment_file_ () {
	awk '{ print ($0 == "" ? "#" : "# " $0) }' "$1"
}

BUG () {
	echo "Bail out! BUG in the test script: $*"
	exit 1
}

# ---------------------------------------------------------------- exit paths
test_run_atexit_ () {
	local out=$test_lib_dir_/atexit.out
	local eval_ret=0
	[ "$test_atexit_cleanup" = : ] && return 0
	cd "$TRASH" 2>/dev/null || :
	eval "$test_atexit_cleanup" >"$out" 2>&1 </dev/null
	test_atexit_cleanup=:
	if [ -n "$verbose" ] && [ -s "$out" ]; then
		echo "# test_atexit:"
		test_comment_file_ "$out"
	fi
	return 0
}

test_die_ () {
	local code=$?
	trap - EXIT
	test_run_atexit_
	if [ -z "$test_done_called_" ]; then
		# Inside a test body stdout is the body's output file: write
		# to the saved TAP stdout.
		{
			if [ -n "$test_in_body_" ]; then
				test_show_output_
			fi
			echo "Bail out! $TEST_NAME: unexpected exit with code $code${test_in_body_:+ inside test $test_count}"
			echo "# scratch directory kept: $TEST_ROOT"
		} >&9
		exit 1
	fi
	exit "$code"
}
# fd 9 is the TAP output, for when a test body exits.  Programs started
# in the background must not hold it open (t/lib-httpd.sh closes it for
# the servers), or the TAP driver waits for them.
exec 9>&1
trap test_die_ EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------- prereqs
test_prereqs_=" "
test_lazy_prereqs_=" "

test_set_prereq () {
	case " $test_prereqs_ " in
	*" $1 "*) ;;
	*) test_prereqs_="$test_prereqs_$1 " ;;
	esac
}

test_lazy_prereq () {
	eval "test_lazy_prereq_code_$1=\$2"
	test_lazy_prereqs_="$test_lazy_prereqs_$1 "
}

test_unset_prereq () {
	test_prereqs_=${test_prereqs_/ $1 / }
}

# Evaluate a lazy prerequisite once, in a subshell and its own directory.
test_lazy_eval_ () {
	local name=$1 code dir
	eval "code=\${test_lazy_prereq_code_$name}"
	test_lazy_prereqs_=${test_lazy_prereqs_/ $name / }
	dir=$test_lib_dir_/prereq-$name
	mkdir -p "$dir"
	if (cd "$dir" && eval "$code") >/dev/null 2>&1 </dev/null
	then
		test_set_prereq "$name"
	fi
}

# test_have_prereq 'A,!B': all of them hold.
test_have_prereq () {
	local p neg list
	IFS=, read -r -a list <<<"$1"
	for p in "${list[@]}"
	do
		neg=
		case $p in
		!*) neg=t; p=${p#!} ;;
		esac
		[ -z "$p" ] && continue
		case "$test_lazy_prereqs_" in
		*" $p "*) test_lazy_eval_ "$p" ;;
		esac
		case "$test_prereqs_" in
		*" $p "*)
			[ -n "$neg" ] && { test_missing_prereq_=!$p; return 1; } ;;
		*)
			[ -z "$neg" ] && { test_missing_prereq_=$p; return 1; } ;;
		esac
	done
	return 0
}

if [ "$(id -u)" = 0 ]; then
	test_set_prereq ROOT
	# The tests' state directories are root's: a worker may run as
	# root there (t2070 tests what it does without this).
	HOOKDIR_ALLOW_ROOT=1
	export HOOKDIR_ALLOW_ROOT
fi
if getent passwd nobody >/dev/null 2>&1; then
	test_set_prereq NOBODY_USER
fi
test_lazy_prereq SANITY '
	mkdir d && chmod a-w d && ! (: >d/f) 2>/dev/null
	ret=$?; chmod u+w d; exit $ret
'

if test_have_prereq ROOT,NOBODY_USER; then
	HTTPD_USER=nobody
	HTTPD_GROUP=$(id -gn nobody)
else
	HTTPD_USER=$(id -un)
	HTTPD_GROUP=$(id -gn)
fi
export HTTPD_USER HTTPD_GROUP

test_find_prog () {
	local var= p
	case $1 in
	nginx) var=NGINX ;;
	apache2|httpd) var=APACHE2 ;;
	spawn-fcgi) var=SPAWN_FCGI ;;
	lighttpd) var=LIGHTTPD ;;
	curl) var=CURL ;;
	esac
	if [ -n "$var" ]; then
		p=${!var}
	else
		p=$(test_lookup_ "$1")
	fi
	[ -n "$p" ] && [ -x "$p" ] || return 1
	printf '%s\n' "$p"
}

test_missing_progs_ () {
	local p missing=
	for p
	do
		test_find_prog "$p" >/dev/null || missing="$missing $p"
	done
	printf '%s' "${missing# }"
}

test_require_prog () {
	local missing
	missing=$(test_missing_progs_ "$@")
	[ -z "$missing" ] && return 0
	if [ "${HOOKDIR_TEST_REQUIRE:-}" = 1 ]; then
		test_count=$((test_count + 1))
		test_failure=$((test_failure + 1))
		echo "not ok $test_count - required program(s) missing: $missing (HOOKDIR_TEST_REQUIRE=1)"
		test_done
	fi
	[ "$test_count" = 0 ] || BUG "test_require_prog after the first test"
	skip_all="missing $missing"
	test_done
}

test_prog_prereq () {
	local name=$1 missing
	shift
	missing=$(test_missing_progs_ "$@")
	if [ -z "$missing" ]; then
		test_set_prereq "$name"
		return 0
	fi
	test_unset_prereq "$name"
	if [ "${HOOKDIR_TEST_REQUIRE:-}" = 1 ]; then
		test_count=$((test_count + 1))
		test_failure=$((test_failure + 1))
		echo "not ok $test_count - $name: missing $missing (HOOKDIR_TEST_REQUIRE=1)"
	fi
	return 0
}

# ---------------------------------------------------------------- running
# Functions registered here run before each test and when a test fails
# (t/lib-httpd.sh prints the servers' error logs that way).
test_on_start () {
	test_hooks_start_+=("$1")
}

test_on_failure () {
	test_hooks_failure_+=("$1")
}

test_eval_ () {
	if [ -n "$trace" ]; then
		set -x
	fi
	eval "$1"
	{ test_eval_ret_=$?; set +x; } 2>/dev/null
	return $test_eval_ret_
}

# Run CODE; 0 when it and its cleanups succeeded.
test_run_ () {
	local out=$test_lib_dir_/test-$test_count.out
	local h
	test_output_=$out
	test_cleanup=:
	test_in_body_=t
	test_subshell_=$BASH_SUBSHELL
	for h in "${test_hooks_start_[@]}"
	do
		"$h"
	done
	cd "$TRASH" || BUG "cannot cd to $TRASH"
	test_eval_ "$1" >"$out" 2>&1 </dev/null
	eval_ret=$?
	cd "$TRASH" 2>/dev/null || BUG "$TRASH disappeared"
	if [ -n "$trace" ]; then
		set -x
	fi
	eval "$test_cleanup" >>"$out" 2>&1 </dev/null
	{ set +x; } 2>/dev/null
	test_cleanup=:
	test_in_body_=
	cd "$TRASH" 2>/dev/null || :
	return $eval_ret
}

test_show_output_ () {
	if [ -s "$test_output_" ]; then
		test_comment_file_ "$test_output_"
	fi
}

test_ok_ () {
	test_success=$((test_success + 1))
	echo "ok $test_count - $1"
	[ -n "$verbose" ] && test_show_output_
	return 0
}

test_failure_ () {
	local h
	test_failure=$((test_failure + 1))
	echo "not ok $test_count - $1"
	printf '%s\n' "$2" | sed -e 's/^/#	/'
	test_show_output_
	for h in "${test_hooks_failure_[@]}"
	do
		"$h" 2>&1 | sed -e 's/^/# /'
	done
	if [ -n "$immediate" ]; then
		echo "# stopping at the first failure (--immediate)"
		test_done
	fi
}

test_skip_ () {
	if [ -n "$2" ] && ! test_have_prereq "$2"; then
		test_skipped=$((test_skipped + 1))
		echo "ok $test_count # skip $1 (missing $test_missing_prereq_)"
		return 0
	fi
	return 1
}

test_expect_success () {
	local prereq=
	[ $# = 3 ] && { prereq=$1; shift; }
	[ $# = 2 ] || BUG "test_expect_success needs 2 or 3 arguments"
	[ -z "$test_in_body_" ] || BUG "test_expect_success inside a test"
	test_count=$((test_count + 1))
	if test_skip_ "$1" "$prereq"; then
		return 0
	fi
	if test_run_ "$2"; then
		test_ok_ "$1"
	else
		test_failure_ "$1" "$2"
	fi
	return 0
}

test_expect_failure () {
	local prereq=
	[ $# = 3 ] && { prereq=$1; shift; }
	[ $# = 2 ] || BUG "test_expect_failure needs 2 or 3 arguments"
	test_count=$((test_count + 1))
	if test_skip_ "$1" "$prereq"; then
		return 0
	fi
	if test_run_ "$2"; then
		test_fixed=$((test_fixed + 1))
		echo "ok $test_count - $1 # TODO known breakage vanished"
	else
		test_broken=$((test_broken + 1))
		echo "not ok $test_count - $1 # TODO known breakage"
	fi
	[ -n "$verbose" ] && test_show_output_
	return 0
}

# test_reports_ DIR WHAT: one more failed test, with the reports, when a
# checker left any in DIR.
test_reports_ () {
	local f
	[ -n "$1" ] && [ -n "$(find "$1" -type f -size +0)" ] || return 0
	test_count=$((test_count + 1))
	test_failure=$((test_failure + 1))
	echo "not ok $test_count - $2"
	for f in "$1"/*
	do
		[ -s "$f" ] || continue
		echo "# $f:"
		test_comment_file_ "$f"
	done
}

# ms_ TIME: milliseconds of a time as the times builtin prints it (1m2.345s).
ms_ () {
	local m=${1%%m*} s=${1#*m}
	s=${s%s}
	echo $(( 10#$m * 60000 + 10#${s%.*} * 1000 + 10#${s#*.} ))
}

# A comment line with the file's wall-clock time and the CPU time of the
# shell and of the processes it waited for: make check's logs keep it
# (grep "^# time:" t/*.log).
test_time_report_ () {
	local f=$test_lib_dir_/times su ss cu cs now=${EPOCHREALTIME/./}
	[ -n "$test_start_us_" ] && [ -n "$now" ] || return 0
	times >"$f" 2>/dev/null && read -r su ss cu cs <<<"$(tr '\n' ' ' <"$f")" ||
		return 0
	printf '# time: %d ms wall, %d ms user, %d ms sys\n' \
		$(( (now - test_start_us_) / 1000 )) \
		$(( $(ms_ "$su") + $(ms_ "$cu") )) $(( $(ms_ "$ss") + $(ms_ "$cs") ))
}

test_done () {
	test_done_called_=t
	trap - EXIT
	test_run_atexit_
	test_time_report_
	test_reports_ "$test_valgrind_dir_" "valgrind found errors (HOOKDIR_VALGRIND=1)"
	test_reports_ "$test_sanitizer_dir_" "a sanitizer reported errors (see ASAN_OPTIONS)"
	if [ -n "${skip_all:-}" ] && [ "$test_count" = 0 ]; then
		echo "1..0 # SKIP $skip_all"
	else
		echo "1..$test_count"
	fi
	if [ "$test_fixed" != 0 ]; then
		echo "# $test_fixed known breakage(s) vanished"
	fi
	if [ "$test_broken" != 0 ]; then
		echo "# still have $test_broken known breakage(s)"
	fi
	if [ "$test_skipped" != 0 ]; then
		echo "# skipped $test_skipped test(s)"
	fi
	cd /
	if [ "$test_failure" != 0 ]; then
		echo "# failed $test_failure among $test_count test(s)"
		echo "# scratch directory kept: $TEST_ROOT"
		exit 1
	fi
	if [ -n "$debug" ]; then
		echo "# scratch directory kept: $TEST_ROOT"
	else
		rm -rf "$TEST_ROOT" ||
		echo "# could not remove $TEST_ROOT"
	fi
	exit 0
}

# ---------------------------------------------------------------- polling
# test_backoff_ N: the pause after the N-th look (from 0) of a loop that
# polls for a condition: short at first, as most conditions come true
# within milliseconds, then 0.1 s, so that a long wait costs few forks.
# Such loops give up by the clock ($SECONDS), not by a count of looks.
test_backoff_ () {
	if [ "$1" -lt 10 ]; then
		sleep 0.01
	elif [ "$1" -lt 20 ]; then
		sleep 0.03
	else
		sleep 0.1
	fi
}

# ---------------------------------------------------------------- cleanups
test_when_finished () {
	[ -n "$test_in_body_" ] || BUG "test_when_finished outside a test"
	[ "$BASH_SUBSHELL" = "$test_subshell_" ] ||
		BUG "test_when_finished does nothing in a subshell"
	test_cleanup="{ $*
		} && (exit \"\$eval_ret\"); eval_ret=\$?; $test_cleanup"
}

test_atexit () {
	[ "$BASH_SUBSHELL" = 0 ] || BUG "test_atexit does nothing in a subshell"
	test_atexit_cleanup="{ $*
		} && (exit \"\$eval_ret\"); eval_ret=\$?; $test_atexit_cleanup"
}

# ---------------------------------------------------------------- assertions
test_must_fail () {
	local code
	"$@"
	code=$?
	if [ $code = 0 ]; then
		echo >&2 "test_must_fail: command succeeded: $*"
		return 1
	elif [ $code -gt 128 ] && [ $code -le 192 ]; then
		echo >&2 "test_must_fail: died by signal $((code - 128)): $*"
		return 1
	elif [ $code = 127 ]; then
		echo >&2 "test_must_fail: command not found: $*"
		return 1
	elif [ $code = 126 ]; then
		echo >&2 "test_must_fail: cannot execute: $*"
		return 1
	fi
	return 0
}

test_might_fail () {
	local code
	"$@"
	code=$?
	if [ $code -gt 128 ] && [ $code -le 192 ] || [ $code = 127 ] || [ $code = 126 ]; then
		echo >&2 "test_might_fail: exit $code: $*"
		return 1
	fi
	return 0
}

test_expect_code () {
	local want=$1 code
	shift
	"$@"
	code=$?
	if [ "$code" = "$want" ]; then
		return 0
	fi
	echo >&2 "test_expect_code: command exited with $code, we wanted $want: $*"
	return 1
}

test_cmp () {
	[ $# = 2 ] || BUG "test_cmp needs 2 arguments"
	diff -u -- "$1" "$2"
}

test_grep () {
	local neg=
	if [ "$1" = "!" ]; then
		neg=t
		shift
	fi
	[ $# -ge 2 ] || BUG "test_grep needs a pattern and a file"
	local file=${!#}
	if [ -z "$neg" ]; then
		grep "$@" && return 0
		echo >&2 "test_grep: no match for '${*:$#-1:1}' in $file:"
	else
		! grep "$@" && return 0
		echo >&2 "test_grep: unexpected match for '${*:$#-1:1}' in $file:"
	fi
	if [ -f "$file" ]; then
		sed -e 's/^/	/' "$file" >&2
	else
		echo >&2 "	($file does not exist)"
	fi
	return 1
}

test_path_is_file () {
	[ -f "$1" ] && return 0
	echo >&2 "file $1 does not exist"
	return 1
}

test_path_is_dir () {
	[ -d "$1" ] && return 0
	echo >&2 "directory $1 does not exist"
	return 1
}

test_path_is_missing () {
	[ -e "$1" ] || [ -L "$1" ] || return 0
	echo >&2 "path $1 exists:"
	ls -ld "$1" >&2
	return 1
}

test_file_not_empty () {
	[ -s "$1" ] && return 0
	echo >&2 "'$1' is empty or missing"
	return 1
}

test_dir_is_empty () {
	local f
	test_path_is_dir "$1" || return 1
	for f in "$1"/* "$1"/.[!.]* "$1"/..?*
	do
		if [ -e "$f" ] || [ -L "$f" ]; then
			echo >&2 "directory $1 is not empty:"
			ls -la "$1" >&2
			return 1
		fi
	done
	return 0
}

test_line_count () {
	[ $# = 3 ] || BUG "test_line_count needs 3 arguments"
	local n
	n=$(wc -l <"$3") || return 1
	if ! [ "$n" "$1" "$2" ]; then
		echo >&2 "test_line_count: line count for $3 !$1 $2 (it is $n):"
		sed -e 's/^/	/' "$3" >&2
		return 1
	fi
	return 0
}

write_script () {
	{
		echo "#!${2:-/bin/sh}"
		cat
	} >"$1" &&
	chmod +x "$1"
}

# ---------------------------------------------------------------- hookdir
chown_web () {
	if test_have_prereq ROOT,NOBODY_USER; then
		chown -R "$HTTPD_USER:$HTTPD_GROUP" "$@"
	fi
}

setup_spool () {
	local d=${1:-spool}
	mkdir -p "$d/tmp" "$d/new" "$d/cur" "$d/done" "$d/failed" &&
	chown_web "$d"
}

spool_files () {
	[ -d "$1" ] || { echo >&2 "spool_files: no directory $1"; return 1; }
	find "$1" -mindepth 1 -maxdepth 1 -type f ! -name '.*' | sort
}

# Counted without a fork: the suite calls it thousands of times.
spool_count () {
	local f n=0
	[ -d "$1" ] || { echo >&2 "spool_count: no directory $1"; return 1; }
	for f in "$1"/*
	do
		if [ -f "$f" ] && [ ! -L "$f" ]; then
			n=$((n + 1))
		fi
	done
	echo "$n"
}

# spool_head_len_ FILE: sets spool_head_bytes_ to the bytes of FILE's
# header block, its empty line included (the whole file if it has none),
# read by the shell itself.
spool_head_len_ () {
	local LC_ALL=C line
	spool_head_bytes_=0
	{
		while IFS= read -r line
		do
			spool_head_bytes_=$((spool_head_bytes_ + ${#line} + 1))
			[ -n "$line" ] || break
		done
	} <"$1"
}

spool_body () {
	spool_head_len_ "$1" &&
	tail -c "+$((spool_head_bytes_ + 1))" "$1"
}

spool_body_cmp () {
	spool_head_len_ "$1" &&
	cmp --ignore-initial="$spool_head_bytes_:0" -- "$1" "$2"
}

spool_clear () {
	mkdir -p seen &&
	find spool/new -type f -exec mv {} seen/ \;
}

hookdir_curl () {
	[ $# -ge 1 ] || BUG "hookdir_curl needs a URL"
	local url=$1
	shift
	rm -f response response.headers
	"$CURL" -sS --max-time 60 -o response -D response.headers \
		-w '%{http_code}\n' "$@" "$url"
}

hookdir_post () {
	[ $# -ge 2 ] || BUG "hookdir_post needs a URL and a file"
	local url=$1 file=$2
	shift 2
	[ -f "$file" ] || { echo >&2 "hookdir_post: no file $file"; return 1; }
	hookdir_curl "$url" --data-binary "@$file" "$@"
}

# hmac_sha256_hex SECRET FILE: the lower-case hex HMAC-SHA256 of FILE's
# bytes (openssl; an oracle independent of hookdir's own code).
hmac_sha256_hex () {
	openssl dgst -sha256 -hmac "$1" -r "$2" | sed -e 's/ .*//'
}

# hmac_hex ALG SECRET FILE: the same for any digest (openssl mac); the
# secret is handed over in hex, so that openssl takes it byte for byte.
hmac_hex () {
	openssl mac -digest "$1" \
		-macopt "hexkey:$(printf '%s' "$2" | od -An -v -tx1 | tr -d ' \n')" \
		-in "$3" HMAC | tr 'A-F' 'a-f'
}

# response_id: the id from a {"id":"ID","status":"queued"} ./response.
response_id () {
	tr -d ' \t\r\n' <response |
	sed -n -e 's/^{"id":"\([^"]*\)","status":"queued"}$/\1/p' |
	grep .
}

# response_error: the message of an {"error":"MESSAGE"} ./response.
response_error () {
	tr -d '\r\n' <response |
	sed -n -e 's/^ *{ *"error" *: *"\([^"]*\)" *} *$/\1/p' |
	grep .
}

response_header () {
	local name
	name=$(printf '%s' "$1" | tr 'A-Z' 'a-z')
	tr -d '\r' <response.headers |
	awk -v n="$name" 'BEGIN { FS = ": *" }
		tolower($1) == n { sub(/^[^:]*: */, ""); print; found = 1 }
		END { exit !found }'
}
