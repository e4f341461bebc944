#!/bin/bash
test_description='hookdir.fcgi against the published signature vectors

Every vector of t/vectors/signatures.json is one request a provider
sent, or a tampered copy of one.
test-tool vectors turns each into a request directory with a
hookdir.conf holding one source "v" with the vector'"'"'s secret or key
(and its replay window); the responder then runs as plain CGI on it,
under faketime at the vector'"'"'s "now" when it has one.  A valid vector
must get 202 and exactly one spool file whose body is the vector'"'"'s
body byte for byte; an invalid one 401, a JSON error, and no spool file.'

. "$(dirname "$0")/test-lib.sh"

VECTORS=${HOOKDIR_VECTORS:-$top_srcdir/t/vectors/signatures.json}

if ! [ -f "$VECTORS" ]; then
	if [ "${HOOKDIR_TEST_REQUIRE:-}" = 1 ]; then
		test_count=1
		test_failure=1
		echo "not ok 1 - no vectors at $VECTORS (HOOKDIR_TEST_REQUIRE=1)"
		test_done
	fi
	skip_all="no vectors at $VECTORS"
	test_done
fi

test_prog_prereq FAKETIME faketime

# faketime works by LD_PRELOAD, which AddressSanitizer wants to be first.
if [ -n "${ASAN_OPTIONS+set}" ] || nm -D "$HOOKDIR_FCGI" 2>/dev/null | grep -q __asan_init
then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	export ASAN_OPTIONS
fi

# The body part of a spool file: what follows the first empty line.
spool_body () {
	local n
	n=$(sed '/^$/q' "$1" | wc -c) &&
	tail -c "+$((n + 1))" "$1"
}

# run_vector DIR: the responder as CGI on the request in DIR; its output
# in DIR.out (CR removed), its log in DIR.err.
run_vector () {
	local d=$1
	if [ -f "$d/now" ]; then
		# A stopped clock: a vector one second past its window must
		# not pass because the responder started a second late.
		"$TEST_TOOL" cgi "$d" -- env TZ=UTC faketime -f \
		    "$(date -u -d "@$(cat "$d/now")" '+%Y-%m-%d %H:%M:%S')" \
		    "$HOOKDIR_FCGI"
	else
		"$TEST_TOOL" cgi "$d" -- "$HOOKDIR_FCGI"
	fi >"$d.raw" 2>"$d.err" &&
	tr -d '\r' <"$d.raw" >"$d.out"
}

# check_vector ID
check_vector () {
	local d=vec/$1 expect f
	expect=$(cat "$d/expect") &&
	run_vector "$d" &&
	case $expect in
	valid)
		test_grep -x "Status: 202 Accepted" "$d.out" &&
		test "$(spool_count "$d/spool/new")" = 1 &&
		test_dir_is_empty "$d/spool/tmp" &&
		f=$(spool_files "$d/spool/new") &&
		test_grep -x "Hookdir-Source: v" "$f" &&
		spool_body "$f" >"$d.spooled" &&
		cmp "$d/body" "$d.spooled" ;;
	invalid)
		test_grep -x "Status: 401 Unauthorized" "$d.out" &&
		test_grep -x "Content-Type: application/json" "$d.out" &&
		test_grep -x "{\"error\":\"invalid signature\"}" "$d.out" &&
		test_grep "hookdir.fcgi: 401 source=v " "$d.err" &&
		{ ! [ -d "$d/spool/new" ] || test_dir_is_empty "$d/spool/new"; } &&
		{ ! [ -d "$d/spool/tmp" ] || test_dir_is_empty "$d/spool/tmp"; } ;;
	*)
		echo >&2 "$d/expect: '$expect'"
		false ;;
	esac
}

test_expect_success 'test-tool vectors writes one request per vector' '
	"$TEST_TOOL" vectors "$VECTORS" vec &&
	grep -c "^ *\"id\": *\"" "$VECTORS" >count.json &&
	ls vec | wc -l | tr -d " " >count.dirs &&
	test_cmp count.json count.dirs &&
	test "$(cat count.dirs)" -gt 0
'

# One test per vector, in the file's order.
ids=$(sed -n 's/^ *"id": *"\([^"]*\)",*$/\1/p' "$VECTORS")
for id in $ids
do
	prereq=
	[ -f "vec/$id/now" ] && prereq=FAKETIME
	test_expect_success $prereq "$id ($(cat "vec/$id/expect" 2>/dev/null))" "
		check_vector '$id'
	"
done

test_expect_success 'both kinds of vector were there' '
	grep -l -x valid vec/*/expect >valid.list &&
	grep -l -x invalid vec/*/expect >invalid.list &&
	test_file_not_empty valid.list &&
	test_file_not_empty invalid.list
'

test_done
