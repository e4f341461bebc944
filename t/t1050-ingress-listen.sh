#!/bin/bash
test_description='hookdir.fcgi --listen, and re-reading its configuration

hookdir.fcgi serves FastCGI on a socket it opens itself (--listen
unix:PATH and --listen HOST:PORT), behind nginx.  While it keeps running,
a changed secret (in hookdir.conf or in a secret file) takes effect on the
next request, a broken hookdir.conf makes requests fail with 503 and
Retry-After (and logs FILE:LINE), and fixing the file brings back 202.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

test_require_prog curl openssl
httpd_require listen

PUSH=$TEST_DATA/github-push.json

# sign SECRET NAME: NAME.headers, the headers GitHub would send.
sign () {
	{
		echo "Content-Type: application/json" &&
		echo "X-GitHub-Event: push" &&
		echo "X-GitHub-Delivery: 0b9c8d7e-aaaa-4bbb-8ccc-$2" &&
		echo "X-Hub-Signature-256: sha256=$(hmac_sha256_hex "$1" "$PUSH")"
	} >"$2.headers"
}

# write_conf SECRET: hookdir.conf with the GitHub source "site" (an inline
# secret) and "filed" (secret in secrets/filed).
write_conf () {
	cat >hookdir.conf <<-EOF
	{
		"spool": "spool",
		"sources": {
			"site": { "provider": "github", "secret": "$1" },
			"filed": { "provider": "github", "secret_file": "secrets/filed" }
		}
	}
	EOF
}

# Change FILE's mtime for certain: 2 s past its current one, so that even a
# responder comparing whole seconds sees a new file.
bump_mtime () {
	touch -d "@$(($(stat -c %Y "$1") + 2))" "$1"
}

# post NAME: POST the push signed as NAME.headers to source SOURCE (default
# site); prints the status.
post () {
	hookdir_post "$HOOK_URL_BASE/${2:-site}" "$PUSH" -H "@$1.headers"
}

test_expect_success 'setup' '
	setup_spool &&
	mkdir secrets &&
	printf "file-secret-1" >secrets/filed &&
	chmod 0600 secrets/filed &&
	chown_web secrets &&
	write_conf old-secret &&
	chown_web hookdir.conf &&
	sign old-secret old &&
	sign new-secret new &&
	sign file-secret-1 file1 &&
	sign file-secret-2 file2
'

test_expect_success '--listen unix:PATH behind nginx accepts a signed push' '
	start_hookdir_listen "unix:$HTTPD_SOCK_DIR/s.sock" &&
	test -S "$HTTPD_SOCK_DIR/s.sock" &&
	start_nginx "$LISTEN_ADDR" &&
	status=$(post old) &&
	test "$status" = 202 &&
	id=$(response_id) &&
	test_path_is_file "spool/new/$id" &&
	test "$(spool_count spool/new)" = 1 &&
	if test_have_prereq ROOT,NOBODY_USER; then
		test "$(stat -c %U "spool/new/$id")" = nobody
	fi
'

test_expect_success 'a wrong signature is 401 and logged to stderr' '
	status=$(post new) &&
	test "$status" = 401 &&
	test "$(response_error)" = "invalid signature" &&
	test "$(spool_count spool/new)" = 1 &&
	test_grep "401 source=site" "$LISTEN_LOG" &&
	test_grep ! -e old-secret -e new-secret "$LISTEN_LOG"
'

test_expect_success 'a new secret in hookdir.conf is used without a restart' '
	pid=$LISTEN_PID &&
	write_conf new-secret &&
	bump_mtime hookdir.conf &&
	status=$(post old) &&
	test "$status" = 401 &&
	status=$(post new) &&
	test "$status" = 202 &&
	test "$(spool_count spool/new)" = 2 &&
	test "$LISTEN_PID" = "$pid" &&
	httpd_alive_ "$pid"
'

test_expect_success 'a new secret in a secret file is used without a restart' '
	status=$(post file1 filed) &&
	test "$status" = 202 &&
	printf "file-secret-2" >secrets/filed &&
	bump_mtime secrets/filed &&
	status=$(post file1 filed) &&
	test "$status" = 401 &&
	status=$(post file2 filed) &&
	test "$status" = 202 &&
	test "$(spool_count spool/new)" = 4 &&
	httpd_alive_ "$LISTEN_PID"
'

test_expect_success 'a broken hookdir.conf gives 503 with Retry-After, and says where' '
	cp hookdir.conf hookdir.conf.good &&
	# line 4 closes the object with "]": a syntax error on that line.
	cat >hookdir.conf <<-\EOF &&
	{
		"spool": "spool",
		"sources": {
			"site": { "provider": "github", "secret": "new-secret" } ]
		}
	}
	EOF
	bump_mtime hookdir.conf &&
	status=$(post new) &&
	test "$status" = 503 &&
	test "$(response_error)" = "configuration error" &&
	response_header Retry-After >retry &&
	test_grep "^[0-9][0-9]*\$" retry &&
	test "$(spool_count spool/new)" = 4 &&
	test_grep -e "hookdir\.conf:4[^0-9]" "$LISTEN_LOG" &&
	httpd_alive_ "$LISTEN_PID"
'

# A responder may wait a moment before it looks at a broken file again
# (hookdir.fcgi: a second), rather than parse it for every request of a
# flood; senders retry later anyway.  Allow it 3 s.
test_expect_success 'fixing it brings back 202' '
	cat hookdir.conf.good >hookdir.conf &&
	bump_mtime hookdir.conf &&
	for i in $(seq 15)
	do
		status=$(post new) &&
		test "$status" != 503 && break
		sleep 0.2
	done &&
	test "$status" = 202 &&
	test "$(spool_count spool/new)" = 5
'

test_expect_success '--listen 127.0.0.1:PORT (and -c FILE) behind nginx' '
	stop_httpd &&
	start_hookdir_listen 127.0.0.1: -c "$TRASH/hookdir.conf" &&
	case $LISTEN_ADDR in 127.0.0.1:[0-9]*) ;; *) false ;; esac &&
	start_nginx "$LISTEN_ADDR" &&
	before=$(spool_count spool/new) &&
	status=$(post new) &&
	test "$status" = 202 &&
	id=$(response_id) &&
	test_path_is_file "spool/new/$id" &&
	test "$(spool_count spool/new)" = $((before + 1)) &&
	status=$(post old) &&
	test "$status" = 401
'

test_done
