#!/bin/bash
test_description='one signed GitHub push through every web server

The same signed push goes to hookdir.fcgi behind nginx (spawn-fcgi,
FastCGI), Apache with mod_fcgid, Apache with mod_cgi and the shared-hosting
.htaccess, and lighttpd (mod_fastcgi), each set up from the recipe in
conf/.  Each must answer 202 {"id":...,"status":"queued"} and leave one
file in spool/new/, written by the web-server user; the files must be the
same apart from the id, the time and the URI, and carry the body byte for
byte.  A wrong signature and a bearer-token source (the Authorization
header must reach the responder) are checked on each server too.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

test_require_prog curl openssl
httpd_prereq nginx apache-fcgid apache-cgi lighttpd

PUSH=$TEST_DATA/github-push.json
SECRET='It'\''s a Secret to Everybody'
TOKEN=0a1b2c3d4e5f-token

test_expect_success 'setup' '
	{
		echo "User-Agent: GitHub-Hookshot/5f0c8d1" &&
		echo "Host: hooks.acme.example" &&
		echo "Content-Type: application/json" &&
		echo "X-GitHub-Event: push" &&
		echo "X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958" &&
		echo "X-GitHub-Hook-ID: 292430182" &&
		echo "X-GitHub-Hook-Installation-Target-ID: 873456120" &&
		echo "X-GitHub-Hook-Installation-Target-Type: repository" &&
		echo "X-Hub-Signature-256: sha256=$(hmac_sha256_hex "$SECRET" "$PUSH")"
	} >push.headers &&
	sed -e "s/^X-Hub-Signature-256: sha256=./&0/" push.headers >bad.headers &&
	! test_cmp push.headers bad.headers >/dev/null
'

# setup_site DIR: DIR/hookdir.conf with the GitHub source "site" (secret in
# a file) and the bearer-token source "tok"; DIR/spool.
setup_site () {
	mkdir -p "$1/secrets" &&
	printf "%s" "$SECRET" >"$1/secrets/site" &&
	chmod 0600 "$1/secrets/site" &&
	cat >"$1/hookdir.conf" <<-EOF &&
	{
		"spool": "spool",
		"sources": {
			"site": { "provider": "github", "secret_file": "secrets/site" },
			"tok": { "provider": "generic", "algorithm": "bearer",
				 "secret": "$TOKEN" }
		}
	}
	EOF
	setup_spool "$1/spool" &&
	chown_web "$1" &&
	HTTPD_HOOKDIR_CONF=$TRASH/$1/hookdir.conf
}

# check_push KIND: send the push to the running server, check the answer and
# the spool, keep the message as msg.KIND.
check_push () {
	local dir=h-$1 status id
	status=$(hookdir_post "$HOOK_URL_BASE/site" "$PUSH" -H @push.headers) &&
	test "$status" = 202 &&
	response_header Content-Type >ctype &&
	test_grep "^application/json" ctype &&
	id=$(response_id) &&
	test "$(spool_count "$dir/spool/new")" = 1 &&
	test_path_is_file "$dir/spool/new/$id" &&
	test_dir_is_empty "$dir/spool/tmp" &&
	test "$(stat -c %a "$dir/spool/new/$id")" = 600 &&
	if test_have_prereq ROOT,NOBODY_USER; then
		test "$(stat -c %U "$dir/spool/new/$id")" = nobody
	fi &&
	test_grep "^Hookdir-Id: $id\$" "$dir/spool/new/$id" &&
	cp "$dir/spool/new/$id" "msg.$1"
}

# check_rejects KIND: a bad signature is 401 and spools nothing; the
# bearer source needs its token, which arrives in Authorization.
check_rejects () {
	local dir=h-$1 status id
	status=$(hookdir_post "$HOOK_URL_BASE/site" "$PUSH" -H @bad.headers) &&
	test "$status" = 401 &&
	test "$(response_error)" = "invalid signature" &&
	status=$(hookdir_post "$HOOK_URL_BASE/tok" "$PUSH" \
		-H "Content-Type: application/json" -H "Authorization: Bearer wrong") &&
	test "$status" = 401 &&
	test "$(spool_count "$dir/spool/new")" = 1 &&
	status=$(hookdir_post "$HOOK_URL_BASE/tok" "$PUSH" \
		-H "Content-Type: application/json" -H "Authorization: Bearer $TOKEN") &&
	test "$status" = 202 &&
	id=$(response_id) &&
	test_path_is_file "$dir/spool/new/$id" &&
	test_grep ! -i "^Authorization:" "$dir/spool/new/$id" &&
	test_grep ! -e "$TOKEN" "$dir/spool/new/$id" &&
	rm "$dir/spool/new/$id"
}

test_expect_success 'test-tool sign agrees with openssl' '
	setup_site h-sign &&
	"$TEST_TOOL" sign h-sign/hookdir.conf site "$PUSH" >sign.out &&
	grep "^X-Hub-Signature-256: " push.headers >expect &&
	grep "^X-Hub-Signature-256: " sign.out >actual &&
	test_cmp expect actual
'

test_expect_success NGINX 'nginx + spawn-fcgi (FastCGI)' '
	setup_site h-nginx &&
	start_nginx_fcgi 2 &&
	check_push nginx &&
	check_rejects nginx &&
	stop_httpd
'

test_expect_success APACHE_FCGID 'Apache + mod_fcgid' '
	setup_site h-apache-fcgid &&
	start_apache_fcgid &&
	check_push apache-fcgid &&
	check_rejects apache-fcgid &&
	stop_httpd
'

test_expect_success APACHE_CGI 'Apache + mod_cgi + .htaccess (shared hosting)' '
	setup_site h-apache-cgi &&
	start_apache_cgi &&
	check_push apache-cgi &&
	check_rejects apache-cgi &&
	stop_httpd
'

test_expect_success LIGHTTPD 'lighttpd + mod_fastcgi' '
	setup_site h-lighttpd &&
	start_lighttpd_fcgi &&
	check_push lighttpd &&
	check_rejects lighttpd &&
	stop_httpd
'

# The message without the lines that differ from one delivery to the next
# (id, time) or from one server's URL layout to another's (URI).
strip_message () {
	grep -v -e "^Hookdir-Id: " -e "^Hookdir-Received: " -e "^Hookdir-Uri: " "$1"
}

# The body: everything after the first blank line, byte for byte.
message_body () {
	sed -e "1,/^\$/d" "$1"
}

test_expect_success NGINX,APACHE_FCGID,APACHE_CGI 'the three messages are the same' '
	strip_message msg.nginx >nginx.stripped &&
	strip_message msg.apache-fcgid >fcgid.stripped &&
	strip_message msg.apache-cgi >cgi.stripped &&
	test_cmp nginx.stripped fcgid.stripped &&
	test_cmp nginx.stripped cgi.stripped
'

test_expect_success LIGHTTPD,NGINX 'the lighttpd message is the same too' '
	strip_message msg.nginx >nginx.stripped &&
	strip_message msg.lighttpd >lighttpd.stripped &&
	test_cmp nginx.stripped lighttpd.stripped
'

for kind in nginx apache-fcgid apache-cgi lighttpd
do
	test_expect_success "$(httpd_prereq_name_ $kind)" "$kind: the body is the payload, byte for byte" '
		message_body msg.'$kind' >body.'$kind' &&
		cmp "$PUSH" body.'$kind'
	'
done

test_expect_success NGINX,APACHE_FCGID,APACHE_CGI 'headers and URIs' '
	for kind in nginx apache-fcgid apache-cgi
	do
		test_grep "^Hookdir-Source: site\$" msg.$kind &&
		test_grep "^Hookdir-Provider: github\$" msg.$kind &&
		test_grep "^Hookdir-Event: push\$" msg.$kind &&
		test_grep "^Hookdir-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958\$" msg.$kind &&
		test_grep "^Hookdir-Verified: hmac-sha256\$" msg.$kind &&
		test_grep "^Hookdir-Remote-Addr: 127.0.0.1\$" msg.$kind &&
		test_grep "^Hookdir-Method: POST\$" msg.$kind &&
		test_grep "^Content-Type: application/json\$" msg.$kind &&
		test_grep "^Content-Length: $(wc -c <"$PUSH")\$" msg.$kind &&
		test_grep "^X-Github-Event: push\$" msg.$kind || return 1
	done &&
	test_grep "^Hookdir-Uri: /hooks/site\$" msg.nginx &&
	test_grep "^Hookdir-Uri: /hooks/site\$" msg.apache-fcgid &&
	test_grep "^Hookdir-Uri: /hooks.cgi/site\$" msg.apache-cgi
'

test_done
