#!/bin/bash
test_description='what hookdir.fcgi takes from whoever talks to it

Anything that can connect to the FastCGI socket sends the request
parameters, so none of them may choose the configuration (the secrets
and the spool): a local user (daemon) speaking FastCGI to the socket
with HOOKDIR_CONF naming a file of its own gets nothing spooled, in the
real spool or in its own.  With --conf-param a request may name a
configuration, but only one that root or the responder'"'"'s user owns and
no one else can write, nor any directory above it.  Parameters that are
not what a web server makes of a header (HTTP_hookdir_delivery) do not
become spool headers.  The socket --listen makes is 0660, closed to users
outside its group.  And what is answered 202 is readable by the worker:
a request whose spool header line would be too long for it (a 64 KiB
URI) is answered 431 instead, one just short of that is processed.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

test_require_prog openssl

REAL=real-secret-5c0a41
POOL=pool-secret-9e7d12
EVIL=attacker-secret-77f0

# Another local user than the responder's (nobody) and outside its group.
if test_have_prereq ROOT,NOBODY_USER && id daemon >/dev/null 2>&1 &&
   command -v setpriv >/dev/null &&
   ! id -G daemon | tr ' ' '\n' | grep -qx "$(id -g nobody)"
then
	test_set_prereq PEER
elif [ "${HOOKDIR_TEST_REQUIRE:-}" = 1 ]; then
	echo "not ok 1 - needs root, the users nobody and daemon, setpriv (HOOKDIR_TEST_REQUIRE=1)"
	test_count=1 test_failure=1
	test_done
fi

# peer CMD...: CMD as daemon, with no supplementary groups.
peer () {
	setpriv --reuid=daemon --regid=daemon --clear-groups -- "$@"
}

# fcgi SOCKET BODY [--in-group] NAME=VALUE...: a POST of BODY to the
# responder on SOCKET, as daemon speaking FastCGI itself (in the
# responder's group with --in-group).  The answer in ./answer, stderr in
# ./answer.err; prints the status.
fcgi () {
	local sock=$1 body=$2 run=peer
	shift 2
	if [ "$1" = --in-group ]; then
		run=(setpriv --reuid=daemon --regid=daemon "--groups=$(id -g nobody)" --)
		shift
	fi
	"${run[@]}" "$TEST_TOOL" fcgi-request "$sock" --body "$body" \
		REQUEST_METHOD=POST SCRIPT_NAME=/hooks REMOTE_ADDR=127.0.0.1 \
		CONTENT_LENGTH="$(wc -c <"$body")" CONTENT_TYPE=application/json \
		"$@" >answer 2>answer.err &&
	sed -n '1s/^Status: \([0-9]*\) .*/\1/p' answer
}

# github SECRET: the parameters of a GitHub push of payload.json signed
# with SECRET, to source "site".
github () {
	echo PATH_INFO=/site REQUEST_URI=/hooks/site HTTP_X_GITHUB_EVENT=push \
		"HTTP_X_HUB_SIGNATURE_256=sha256=$(hmac_sha256_hex "$1" payload.json)"
}

test_expect_success PEER 'setup: the real configuration and an attacker'"'"'s' '
	printf "{\"zen\":\"Design for failure.\"}\n" >payload.json &&
	setup_spool &&
	cat >hookdir.conf <<-EOF &&
	{
		"spool": "spool",
		"sources": {
			"site": { "provider": "github", "secret": "$REAL" },
			"open": { "provider": "generic" }
		}
	}
	EOF
	chown_web hookdir.conf &&
	# What a local user can write: its own directory, with a
	# configuration naming the real spool and one with a spool of its
	# own, both with a secret it knows.
	mkdir attacker &&
	chown daemon attacker &&
	peer sh -c "
		cat >attacker/real-spool.conf <<-EOF &&
		{ \"spool\": \"$TRASH/spool\",
		  \"sources\": { \"site\": { \"provider\": \"github\", \"secret\": \"$EVIL\" } } }
		EOF
		sed \"s|$TRASH/spool|spool|\" attacker/real-spool.conf >attacker/own-spool.conf &&
		mkdir -p attacker/spool/tmp attacker/spool/new attacker/spool/cur \
			attacker/spool/done attacker/spool/failed &&
		chmod -R 0777 attacker/spool &&
		chmod 0644 attacker/*.conf
	" &&
	test "$(stat -c %U attacker/real-spool.conf)" = daemon
'

test_expect_success PEER 'a peer'"'"'s HOOKDIR_CONF does not choose the configuration' '
	start_hookdir_listen "unix:$HTTPD_SOCK_DIR/open.sock" --socket-mode 0666 &&
	for c in real-spool own-spool
	do
		st=$(fcgi "$HTTPD_SOCK_DIR/open.sock" payload.json $(github "$EVIL") \
			"HOOKDIR_CONF=$TRASH/attacker/$c.conf") &&
		echo "$c: $st" &&
		test "$st" = 401 || return 1
	done &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty attacker/spool/new &&
	# Said once, for whoever set up a web server to send it.
	grep "HOOKDIR_CONF=.* is ignored" "$LISTEN_LOG" >ignored &&
	test_line_count = 1 ignored &&
	test_grep "HOOKDIR_CONF=$TRASH/attacker/real-spool.conf is ignored; the configuration is $TRASH/hookdir.conf" ignored &&
	# The responder'"'"'s own configuration serves the request instead.
	st=$(fcgi "$HTTPD_SOCK_DIR/open.sock" payload.json $(github "$REAL") \
		"HOOKDIR_CONF=$TRASH/attacker/real-spool.conf") &&
	test "$st" = 202 &&
	test "$(spool_count spool/new)" = 1 &&
	test_dir_is_empty attacker/spool/new &&
	spool_clear
'

test_expect_success PEER 'parameters no web server sends do not become spool headers' '
	st=$(fcgi "$HTTPD_SOCK_DIR/open.sock" payload.json \
		PATH_INFO=/open REQUEST_URI=/hooks/open \
		HTTP_hookdir_delivery=forged-1 HTTP_Hookdir_Event=forged-2 \
		HTTP_HOOKDIR_CHAIN_DEPTH=forged-3 HTTP_HOOKDIR-EVENT=forged-4 \
		HTTP_X_lower=forged-5 HTTP_X.DOT=forged-6 HTTP_X_KEPT=kept) &&
	test "$st" = 202 &&
	f=$(spool_files spool/new) &&
	sed "/^\$/q" "$f" >head &&
	test_grep -x "X-Kept: kept" head &&
	test_grep ! forged head &&
	test_grep ! -i "^hookdir-delivery:" head &&
	test_grep ! -i "^hookdir-event:" head &&
	spool_clear
'

test_expect_success PEER '--listen makes a 0660 socket that others cannot connect to' '
	start_hookdir_listen "unix:$HTTPD_SOCK_DIR/default.sock" &&
	test "$(stat -c "%a %U %G" "$HTTPD_SOCK_DIR/default.sock")" = \
		"660 $HTTPD_USER $HTTPD_GROUP" &&
	test_must_fail fcgi "$HTTPD_SOCK_DIR/default.sock" payload.json \
		PATH_INFO=/open REQUEST_URI=/hooks/open &&
	test_grep "connect: Permission denied" answer.err &&
	test_dir_is_empty spool/new &&
	st=$(fcgi "$HTTPD_SOCK_DIR/default.sock" payload.json --in-group \
		PATH_INFO=/open REQUEST_URI=/hooks/open) &&
	test "$st" = 202 &&
	test "$(spool_count spool/new)" = 1 &&
	spool_clear
'

test_expect_success PEER 'setup: configurations for --conf-param' '
	mkdir pool &&
	setup_spool pool-spool &&
	cat >pool/ok.conf <<-EOF &&
	{
		"spool": "$TRASH/pool-spool",
		"sources": { "site": { "provider": "github", "secret": "$POOL" } }
	}
	EOF
	cp pool/ok.conf pool/group-writable.conf &&
	chmod 0664 pool/group-writable.conf &&
	cp pool/ok.conf pool/world-writable.conf &&
	chmod 0646 pool/world-writable.conf &&
	cp pool/ok.conf attacker/root-owned.conf &&
	ln -s ../attacker/real-spool.conf pool/link-to-attacker.conf &&
	ln pool/ok.conf pool/hard-link.conf &&
	cp pool/ok.conf pool/linked.conf &&
	ln -s linked.conf pool/symlink.conf
'

# refused CONF REASON: a request naming CONF gets 503 and the log says
# REASON.
refused () {
	local st
	: >"$LISTEN_LOG" &&
	st=$(fcgi "$HTTPD_SOCK_DIR/param.sock" payload.json $(github "$POOL") \
		"HOOKDIR_CONF=$1") &&
	if [ "$st" != 503 ]; then
		echo "$1: status $st, expected 503"
		return 1
	fi &&
	test_grep "{\"error\":\"configuration error\"}" answer &&
	test_grep "HOOKDIR_CONF is refused: .*$2" "$LISTEN_LOG"
}

test_expect_success PEER '--conf-param: a file others could have written is refused' '
	start_hookdir_listen "unix:$HTTPD_SOCK_DIR/param.sock" --conf-param \
		--socket-mode 0666 &&
	refused "$TRASH/attacker/real-spool.conf" "belongs to uid $(id -u daemon)" &&
	refused "$TRASH/pool/group-writable.conf" "writable by its group or others" &&
	refused "$TRASH/pool/world-writable.conf" "writable by its group or others" &&
	refused "$TRASH/attacker/root-owned.conf" "$TRASH/attacker belongs to uid" &&
	refused "$TRASH/pool/link-to-attacker.conf" "attacker/real-spool.conf belongs to uid" &&
	refused "$TRASH/pool/hard-link.conf" "has other hard links" &&
	refused pool/ok.conf "not an absolute path" &&
	refused "$TRASH/pool/none.conf" "No such file" &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty pool-spool/new &&
	test_dir_is_empty attacker/spool/new
'

test_expect_success PEER '--conf-param: root'"'"'s own file is used; without one, the default' '
	rm pool/hard-link.conf &&
	st=$(fcgi "$HTTPD_SOCK_DIR/param.sock" payload.json $(github "$POOL") \
		"HOOKDIR_CONF=$TRASH/pool/ok.conf") &&
	test "$st" = 202 &&
	test "$(spool_count pool-spool/new)" = 1 &&
	st=$(fcgi "$HTTPD_SOCK_DIR/param.sock" payload.json $(github "$POOL") \
		"HOOKDIR_CONF=$TRASH/pool/symlink.conf") &&
	test "$st" = 202 &&
	test "$(spool_count pool-spool/new)" = 2 &&
	st=$(fcgi "$HTTPD_SOCK_DIR/param.sock" payload.json $(github "$REAL")) &&
	test "$st" = 202 &&
	test "$(spool_count spool/new)" = 1 &&
	spool_clear
'

test_expect_success '-c and --conf-param exclude each other' '
	test_expect_code 64 "$HOOKDIR_FCGI" -c hookdir.conf --conf-param \
		--listen "unix:$TRASH/x.sock" 2>err &&
	test_grep "exclude each other" err &&
	test_path_is_missing x.sock
'

# cgi [NAME=VALUE...]: hookdir.fcgi as plain CGI, a POST of payload.json
# to source "open"; the answer in ./answer, its log in ./answer.err;
# prints the status.
cgi () {
	env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST \
		PATH_INFO=/open REQUEST_URI=/hooks.cgi/open REMOTE_ADDR=127.0.0.1 \
		CONTENT_LENGTH="$(wc -c <payload.json)" "$@" \
		"$HOOKDIR_FCGI" <payload.json >answer 2>answer.err
	sed -n '1s/^Status: \([0-9]*\) .*/\1/p' answer
}

test_expect_success 'plain CGI without HOOKDIR_CONF: hookdir.conf beside the script' '
	printf "{\"zen\":\"Design for failure.\"}\n" >payload.json &&
	mkdir -p site &&
	setup_spool site/spool &&
	echo "{ \"sources\": { \"open\": { \"provider\": \"generic\" } } }" >site/hookdir.conf &&
	st=$(cgi SCRIPT_FILENAME="$TRASH/site/hooks.cgi") &&
	test "$st" = 202 &&
	test "$(spool_count site/spool/new)" = 1 &&
	# HOOKDIR_CONF (SetEnv) comes first.
	mkdir -p other &&
	setup_spool other/spool &&
	cp site/hookdir.conf other/ &&
	st=$(cgi SCRIPT_FILENAME="$TRASH/site/hooks.cgi" \
		HOOKDIR_CONF="$TRASH/other/hookdir.conf") &&
	test "$st" = 202 &&
	test "$(spool_count site/spool/new)" = 1 &&
	test "$(spool_count other/spool/new)" = 1
'

# ---------------------------------------------------------------- 202 => readable
# uri N: a request URI of N bytes for source "open".
uri () {
	printf "/hooks/open?q="
	head -c "$(($1 - 14))" /dev/zero | tr "\0" a
}

test_expect_success 'setup: a spool and a worker for long URIs' '
	mkdir -p long &&
	setup_spool long/spool &&
	echo "{ \"sources\": { \"open\": { \"provider\": \"generic\" } } }" >long/hookdir.conf &&
	# The spool line is "Hookdir-Uri: " and the URI: the worker reads
	# lines of up to 65536 bytes.
	test "$(uri 65523 | wc -c)" = 65523
'

test_expect_success 'a 64 KiB URI the worker could not read: 431, nothing spooled' '
	st=$(cgi HOOKDIR_CONF="$TRASH/long/hookdir.conf" \
		REQUEST_URI="$(uri 65530)") &&
	if [ "$st" != 431 ]; then
		hookdir -c long/hookdir.conf worker --once &&
		ls -l long/spool/done long/spool/failed
		echo "status $st, expected 431"
		false
	fi &&
	test_grep "{\"error\":\"request headers too large\"}" answer &&
	test_grep "431 source=open .*header line too long" answer.err &&
	test_dir_is_empty long/spool/new &&
	test_dir_is_empty long/spool/tmp
'

test_expect_success 'a URI just short of that: 202, and the worker processes it' '
	st=$(cgi HOOKDIR_CONF="$TRASH/long/hookdir.conf" \
		REQUEST_URI="$(uri 65523)") &&
	test "$st" = 202 &&
	id=$(sed -n "s/.*\"id\":\"\([^\"]*\)\".*/\1/p" answer) &&
	test_path_is_file "long/spool/new/$id" &&
	hookdir -c long/hookdir.conf worker --once &&
	test_path_is_file "long/spool/done/$id" &&
	test_path_is_missing "long/spool/failed/$id"
'

test_done
