#!/bin/bash
test_description='a full spool disk: 503 with Retry-After, never a 202

The spool sits on a tmpfs of 512 KiB (when the test may mount one, as
root), and, separately, hookdir.fcgi runs with a file size limit
(RLIMIT_FSIZE, `prlimit --fsize`) that a large body exceeds. Bodies are
posted through nginx until the space is gone: each answer is either a
202 with its complete file in new/, or a 503 with Retry-After and
nothing of it in new/ or tmp/. Once space is freed (a worker drained
new/), requests are accepted again.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

httpd_require nginx

TOKEN=full-disk-1c9d

test_lazy_prereq TMPFS '
	test_have_prereq ROOT &&
	mkdir m &&
	mount -t tmpfs -o size=64k tmpfs m &&
	umount m
'
test_lazy_prereq PRLIMIT 'prlimit --fsize=1000 true'

# post FILE: one signed POST; prints the status.
post () {
	hookdir_post "$HOOK_URL_BASE/full" "$1" -H "X-Token: $TOKEN" \
		-H "Content-Type: application/octet-stream"
}

# check_answer CODE FILE: a 202 whose file in new/ holds FILE, or a 503
# with Retry-After and the spool unchanged (NEW_BEFORE files in new/).
check_answer () {
	case $1 in
	202)
		id=$(response_id) &&
		spool_body "spool/new/$id" >got.body &&
		cmp "$2" got.body ;;
	503)
		test "$(response_header Retry-After)" = 60 &&
		test "$(response_error)" = "spool unavailable" &&
		test "$(spool_count spool/new)" = "$NEW_BEFORE" ;;
	*)
		echo >&2 "status $1:" &&
		cat >&2 response.headers response &&
		return 1 ;;
	esac &&
	test_dir_is_empty spool/tmp
}

# fill_until_full: post 48 KiB bodies until ten 503s in a row; each
# answer checked; RESULTS gets the statuses.
fill_until_full () {
	local i=0 code fulls=0
	: >results
	while [ $fulls -lt 10 ] && [ $i -lt 200 ]
	do
		{ printf "body %d\n" $i; head -c 49152 /dev/zero | tr "\0" "x"; } >b.$i &&
		NEW_BEFORE=$(spool_count spool/new) &&
		code=$(post b.$i) &&
		check_answer "$code" b.$i &&
		echo "$code" >>results || return 1
		if [ "$code" = 503 ]; then
			fulls=$((fulls + 1))
		else
			fulls=0
		fi
		i=$((i + 1))
	done
	test $fulls = 10
}

test_expect_success 'setup: a token source' '
	cat >hookdir.conf <<-EOF &&
	{
		"spool": "spool",
		"state": "state",
		"sources": {
			"full": { "provider": "generic", "algorithm": "token",
				  "signature_header": "X-Token", "secret": "$TOKEN" }
		}
	}
	EOF
	chown_web hookdir.conf
'

test_expect_success TMPFS 'a spool on a full tmpfs: 202s, then only 503s' '
	mkdir spool &&
	mount -t tmpfs -o size=512k,mode=0755 tmpfs spool &&
	test_atexit "umount \"$TRASH/spool\" 2>/dev/null || :" &&
	setup_spool &&
	start_nginx_fcgi 2 &&
	fill_until_full &&
	grep -c 202 results >n202 &&
	say "$(cat n202) accepted before the disk was full" &&
	test "$(cat n202)" -ge 3 &&
	# After the first 503 nothing so large fits again.
	sed -n "/503/,\$p" results >after &&
	test_grep ! 202 after
'

test_expect_success TMPFS 'every file in new/ is complete' '
	for f in $(spool_files spool/new)
	do
		len=$(sed -n "/^\$/q;s/^Content-Length: //p" "$f") &&
		spool_body "$f" >got.body &&
		test "$(wc -c <got.body)" = "$len" &&
		test "$len" = $((49152 + $(head -n 1 got.body | wc -c))) || return 1
	done
'

test_expect_success TMPFS 'a small body still fits, or gets a 503' '
	echo small >small.body &&
	NEW_BEFORE=$(spool_count spool/new) &&
	code=$(post small.body) &&
	check_answer "$code" small.body
'

test_expect_success TMPFS 'once new/ is drained, requests are accepted again' '
	spool_clear &&
	NEW_BEFORE=0 &&
	code=$(post b.0) &&
	test "$code" = 202 &&
	check_answer "$code" b.0 &&
	stop_httpd &&
	spool_clear &&
	umount spool
'

test_expect_success PRLIMIT 'a file size limit: the large body gets a 503' '
	rm -rf spool &&
	setup_spool &&
	# spawn-fcgi runs its program by path, without looking in PATH.
	HTTPD_FCGI_WRAPPER="$(command -v prlimit) --fsize=65536" &&
	start_nginx_fcgi 2 &&
	echo small >small.body &&
	NEW_BEFORE=0 &&
	code=$(post small.body) &&
	check_answer "$code" small.body &&
	{ echo large; head -c 100000 /dev/zero | tr "\0" "y"; } >large.body &&
	for i in 1 2 3
	do
		NEW_BEFORE=$(spool_count spool/new) &&
		code=$(post large.body) &&
		test "$code" = 503 &&
		check_answer "$code" large.body || return 1
	done &&
	# The same processes go on serving: none was killed by SIGXFSZ.
	for p in $SPAWN_FCGI_PIDS
	do
		httpd_alive_ "$p" || return 1
	done &&
	NEW_BEFORE=1 &&
	code=$(post small.body) &&
	check_answer "$code" small.body &&
	test "$(spool_count spool/new)" = 2
'

test_done
