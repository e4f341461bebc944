#!/bin/bash
test_description='kill -9 hookdir.fcgi under load: no acknowledged event is lost

Four curl clients post bodies of 1 KiB to 2 MiB through nginx to
hookdir.fcgi processes under spawn-fcgi, while the test kills those
processes with SIGKILL at random moments and starts new ones. Afterwards
every 202 a client received names exactly one file in spool/new/ holding
exactly the body it sent; every file in new/, acknowledged or not, is
complete (its body is as long as its Content-Length and is one of the
bodies sent); and what the killed writers left in tmp/ is removed by
`hookdir gc` once it is old, while a fresh tmp/ file is kept.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

httpd_require nginx

# How long the load runs, and how many clients post at once.
LOAD_SECONDS=${HOOKDIR_TEST_KILL_SECONDS:-10}
CLIENTS=4
NBODIES=24

# SIZE[N]: the bytes of bodies/N.
declare -A SIZE
test_expect_success 'setup: bodies, a token source, nginx and spawn-fcgi' '
	setup_spool &&
	cat >hookdir.conf <<-\EOF &&
	{
		"spool": "spool",
		"state": "state",
		"sources": {
			"load": { "provider": "generic", "algorithm": "token",
				  "signature_header": "X-Token", "secret": "kill-test-5b2e" }
		}
	}
	EOF
	chown_web hookdir.conf &&
	mkdir bodies &&
	# Sizes from 1 KiB to 2 MiB: the large ones keep a writer inside
	# write/fsync long enough for a kill to land there.
	for i in $(seq 0 $((NBODIES - 1)))
	do
		size=$(( 1024 << (i % 12) )) &&
		{
			printf "body %d\n" "$i" &&
			head -c "$size" /dev/urandom | base64 -w 76
		} >bodies/$i &&
		SIZE[$i]=$(wc -c <bodies/$i) || return 1
	done &&
	start_nginx_fcgi 2 &&
	code=$(hookdir_post "$HOOK_URL_BASE/load" bodies/0 -H "X-Token: kill-test-5b2e") &&
	test "$code" = 202 &&
	spool_clear
'

# client.sh K END: post bodies until the clock reaches END; one line per
# request to results.K: "STATUS BODY-NUMBER ID" (ID "-" when none).
write_script client.sh /bin/bash <<\EOF
k=$1 end=$2 i=0
while [ "$(date +%s)" -lt "$end" ]
do
	b=$(( (k * 7 + i * 5) % NBODIES ))
	code=$("$CURL" -s --max-time 30 -o "resp.$k" -w "%{http_code}" \
		-H "X-Token: kill-test-5b2e" -H "Content-Type: text/plain" \
		--data-binary "@bodies/$b" "$HOOK_URL_BASE/load")
	id=$(sed -n -e 's/^{"id":"\([^"]*\)","status":"queued"}$/\1/p' "resp.$k" 2>/dev/null)
	echo "${code:-000} $b ${id:--}" >>"results.$k"
	i=$((i + 1))
done
EOF

# The pids of the hookdir.fcgi processes still alive.
alive_responders () {
	local p
	for p in $SPAWN_FCGI_PIDS
	do
		httpd_alive_ "$p" && echo "$p"
	done
	return 0
}

test_expect_success 'load, killing responders at random moments' '
	end=$(( $(date +%s) + LOAD_SECONDS )) &&
	pids= &&
	for k in $(seq $CLIENTS)
	do
		NBODIES=$NBODIES CURL=$CURL HOOK_URL_BASE=$HOOK_URL_BASE \
			./client.sh "$k" "$end" 9>&- &
		pids="$pids $!"
	done &&
	kills=0 &&
	while [ "$(date +%s)" -lt "$end" ]
	do
		sleep "0.$(( RANDOM % 4 + 1 ))$(( RANDOM % 10 ))" &&
		set -- $(alive_responders) &&
		if [ $# -eq 0 ]
		then
			start_spawn_fcgi 2 || return 1
		else
			shift $(( RANDOM % $# )) &&
			kill -KILL "$1" &&
			kills=$((kills + 1)) || return 1
		fi
	done &&
	# Serve again whatever is left, so that the last requests finish.
	if [ -z "$(alive_responders)" ]
	then
		start_spawn_fcgi 2
	fi &&
	for p in $pids
	do
		wait "$p" || return 1
	done &&
	cat results.* >results &&
	awk "\$1 == 202" results >acked &&
	say "$(wc -l <results) requests, $(wc -l <acked) acknowledged, $kills responders killed" &&
	test "$kills" -ge 5 &&
	test -s acked &&
	# Some requests must have met a dead responder.
	awk "\$1 != 202" results >lost &&
	test -s lost
'

test_expect_success 'every 202 names one file in new/ with the body sent' '
	cut -d" " -f3 acked | sort >ids.acked &&
	sort -u ids.acked >ids.unique &&
	test_cmp ids.acked ids.unique &&
	while read -r code b id
	do
		test_path_is_file "spool/new/$id" &&
		test_path_is_missing "spool/tmp/$id" &&
		spool_body_cmp "spool/new/$id" "bodies/$b" || return 1
	done <acked
'

# complete FILE: the body of spool file FILE is one of the bodies sent,
# whole (its first line says which), and its Content-Length is that
# body's size.  The header is read by the shell: one fork (cmp) a file.
complete () {
	local LC_ALL=C line n=0 len= b=
	{
		while IFS= read -r line
		do
			n=$((n + ${#line} + 1))
			[ -n "$line" ] || break
			case $line in
			"Content-Length: "*)
				len=${line#Content-Length: } ;;
			esac
		done &&
		IFS= read -r line &&
		b=${line#body }
	} <"$1" &&
	test -n "$b" && test -n "${SIZE[$b]-}" &&
	test "$len" = "${SIZE[$b]}" &&
	cmp --ignore-initial="$n:0" -- "$1" "bodies/$b"
}

test_expect_success 'no file in new/ is partial, acknowledged or not' '
	spool_files spool/new >files &&
	say "$(wc -l <files) files in new/ for $(wc -l <acked) acknowledgements" &&
	test "$(wc -l <files)" -ge "$(wc -l <acked)" &&
	while read -r f
	do
		complete "$f" || {
			echo >&2 "$f is not complete"
			return 1
		}
	done <files
'

test_expect_success 'old tmp/ leftovers are collected by gc, fresh ones kept' '
	stale=$(spool_count spool/tmp) &&
	say "$stale file(s) left in tmp/ by killed writers" &&
	# A kill between create and rename leaves a file: add one for sure.
	echo partial >spool/tmp/1.M1P1Rdead.killed &&
	for f in spool/tmp/*
	do
		touch -d "3 days ago" "$f" || return 1
	done &&
	echo writing >spool/tmp/2.M2P2Rfresh.writing &&
	hookdir -c hookdir.conf gc >gc.out 2>&1 &&
	test "$(spool_count spool/tmp)" = 1 &&
	test_path_is_file spool/tmp/2.M2P2Rfresh.writing &&
	test "$(spool_count spool/new)" = "$(wc -l <files)"
'

test_done
