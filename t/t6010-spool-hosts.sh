#!/bin/bash
test_description='host names in spool ids, and two web hosts writing one spool

Every spool id ends with the name of the host that wrote it: the
configuration'"'"'s "host", else $HOOKDIR_HOST, else the machine'"'"'s own
name.  Two responders on two "hosts" (each in its own UTS and PID
namespace, so that both run as pid 1, as in two containers) behind one
nginx write 4000 requests into one spool at once: every acknowledged
request is a file in new/ under the id it was acknowledged with, and no
two ids are the same.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

httpd_require nginx

test_lazy_prereq UNSHARE '
	test_have_prereq ROOT &&
	unshare -u -p -f --kill-child sh -c "hostname t6010 && test \$\$ = 1"
'

# The host part of a spool id.
id_host () {
	printf '%s\n' "${1#*R*.}"
}

test_expect_success 'setup' '
	setup_worker &&
	echo "{\"n\": 1}" >body.json &&
	cat >hostkey.conf <<-\EOF &&
	{ "spool": "spool", "host": "worker3",
	  "sources": { "test": { "provider": "generic", "secret": "s3cret" } } }
	EOF
	cat >badhost.conf <<-\EOF
	{ "spool": "spool",
	  "host": "worker_3",
	  "sources": { "test": { "provider": "generic", "secret": "s3cret" } } }
	EOF
'

test_expect_success 'inject names its file after the "host" key' '
	id=$(HOOKDIR_HOST=other hookdir -c hostkey.conf inject test body.json) &&
	test "$(id_host "$id")" = worker3 &&
	test_path_is_file "spool/new/$id"
'

test_expect_success 'else after $HOOKDIR_HOST' '
	id=$(HOOKDIR_HOST=web-2.example hookdir inject test body.json) &&
	test "$(id_host "$id")" = web-2.example &&
	test_path_is_file "spool/new/$id"
'

test_expect_success UNSHARE 'else after the name of the machine it runs on' '
	id=$(unshare -u sh -c "hostname box-7 && exec hookdir inject test body.json") &&
	test "$(id_host "$id")" = box-7 &&
	test_path_is_file "spool/new/$id"
'

test_expect_success 'a host name that cannot be one is an error at its line' '
	test_expect_code 78 hookdir -c badhost.conf inject test body.json 2>err &&
	test_grep "badhost.conf:2: host: .worker_3. is not a host name" err &&
	test_expect_code 78 env HOOKDIR_HOST=../x hookdir inject test body.json 2>err &&
	test_grep "HOOKDIR_HOST: not a host name" err
'

test_expect_success 'the events a worker and its steps spool carry its host name' '
	spool_clear &&
	cat >hookdir.conf <<-\EOF &&
	{ "host": "wk-1",
	  "sources": { "test": { "provider": "generic", "secret": "s3cret" } } }
	EOF
	cat >pipelines/first.json <<-\EOF &&
	{ "on": { "source": "test" },
	  "jobs": { "a": { "steps": [ { "run": "hookdir emit custom-event" } ] } } }
	EOF
	cat >pipelines/then.json <<-\EOF &&
	{ "on": { "pipeline_complete": { "name": "first" } },
	  "jobs": { "a": { "steps": [ { "run": "true" } ] } } }
	EOF
	queue_event push &&
	hookdir worker --once &&
	ls spool/new spool/done | grep -v -x -e "$event" -e "spool/.*:" -e "" >spooled &&
	test_line_count -ge 2 spooled &&
	for id in $(cat spooled)
	do
		test "$(id_host "$id")" = wk-1 || return 1
	done
'

# start_web_host NAME: hookdir.fcgi --listen on $HTTPD_SOCK_DIR/NAME.sock
# as the web-server user, in UTS and PID namespaces of its own: its host
# name is NAME and its pid 1.
start_web_host () {
	local name=$1 sock=$HTTPD_SOCK_DIR/$1.sock i
	rm -f "$sock"
	setsid unshare -u -p -f --kill-child sh -c '
		hostname "$1" && exec setpriv "--reuid=$2" "--regid=$3" --clear-groups -- \
			"$4" --listen "unix:$5"
	' sh "$name" "$HTTPD_USER" "$HTTPD_GROUP" "$TRASH/bin/hookdir.fcgi" "$sock" \
		</dev/null >>"$name.log" 2>&1 9>&- &
	stop_at_exit $!
	for i in $(seq 100)
	do
		[ -S "$sock" ] && return 0
		sleep 0.05
	done
	echo >&2 "$name did not listen:"
	cat >&2 "$name.log"
	return 1
}

# post_many N PREFIX: N requests through nginx, 16 at a time, each answer
# into PREFIX.N; their status codes into PREFIX.codes.
post_many () {
	local n=$1 prefix=$2 i
	for i in $(seq "$n")
	do
		printf 'url = "%s"\noutput = "%s"\n' "$HOOK_URL_BASE/open" "$prefix.$i"
	done >"$prefix.curlrc" &&
	"$CURL" -s --no-progress-meter -Z --parallel-max 16 -K "$prefix.curlrc" \
		-H "Content-Type: application/json" --data-binary @body.json \
		-w "%{http_code}\n" >"$prefix.codes"
}

test_expect_success UNSHARE 'two web hosts, one spool: 2 x 2000 requests, no id twice, none lost' '
	spool_clear &&
	cat >web.conf <<-\EOF &&
	{ "spool": "spool", "limits": { "max_queue": 100000 },
	  "sources": { "open": { "provider": "generic" } } }
	EOF
	chown_web web.conf spool &&
	httpd_install_bin_ &&
	HOOKDIR_CONF=$TRASH/web.conf start_web_host web1 &&
	HOOKDIR_CONF=$TRASH/web.conf start_web_host web2 &&
	HTTPD_NGINX_HTTP="upstream webhosts { server unix:$HTTPD_SOCK_DIR/web1.sock; server unix:$HTTPD_SOCK_DIR/web2.sock; }" &&
	start_nginx webhosts &&
	mkdir answers &&
	{ post_many 2000 answers/a & } &&
	post_many 2000 answers/b &&
	wait $! &&
	cat answers/a.codes answers/b.codes | sort | uniq -c >codes &&
	echo "   4000 202" >expect &&
	test_cmp expect codes &&
	sed -e "s/^{\"id\":\"\([^\"]*\)\".*/\1/" answers/a.[0-9]* answers/b.[0-9]* |
		sort >acked &&
	test_line_count = 4000 acked &&
	sort -u acked >acked.unique &&
	test_cmp acked acked.unique &&
	ls spool/new | sort >spooled &&
	test_cmp acked spooled &&
	test_dir_is_empty spool/tmp &&
	grep -c "P1R.*\.web1$" spooled >web1 &&
	grep -c "P1R.*\.web2$" spooled >web2 &&
	say "web1 wrote $(cat web1), web2 $(cat web2), both as pid 1" &&
	test "$(cat web1)" -ge 1000 &&
	test "$(cat web2)" -ge 1000 &&
	test $(( $(cat web1) + $(cat web2) )) = 4000
'

test_done
