#!/bin/bash
test_description='shared hosting: hooks.cgi in ~USER/public_html

The .htaccess recipe (conf/htaccess) on Debian'"'"'s userdir set-up,
with the AllowOverride the recipe names, for a real unprivileged user:
Apache with mod_cgi (mpm_prefork) and with mod_cgid (mpm_event), each
with and without suexec.  hookdir.conf is a link beside hooks.cgi to the
user'"'"'s ~/hookdir-KIND/hookdir.conf; a signed push is answered 202, its
spool file belongs to the user under suexec (which also creates the
spool) and to the web server'"'"'s user without it, the link is not
served, and the worker, as the user, runs its pipeline.  Under mod_cgid the error answers (404, 413,
503) given before the body is read arrive whole.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

httpd_require userdir
httpd_prereq apache-cgi apache-cgid suexec
test_require_prog curl openssl sqlite3

HDUSER=hdt$$
HOME_DIR=$TRASH/home/$HDUSER
SECRET=shared-hosting-secret-5e1d07
PUSH=$TEST_DATA/github-push.json

# as_user CMD...: CMD as the home's owner, in its home.
as_user () {
	(cd "$HOME_DIR" && runuser -u "$HDUSER" -- "$@")
}

test_expect_success 'setup: a user with a home directory' '
	mkdir -p home bin &&
	chmod 0711 home &&
	useradd -m -d "$HOME_DIR" -s /bin/sh -U "$HDUSER" &&
	test_atexit "userdel $HDUSER" &&
	chmod 0711 "$HOME_DIR" &&
	cp "$HOOKDIR" bin/hookdir &&
	chmod 0755 bin bin/hookdir &&
	{
		echo "Content-Type: application/json" &&
		echo "X-GitHub-Event: push" &&
		echo "X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958" &&
		echo "X-Hub-Signature-256: sha256=$(hmac_sha256_hex "$SECRET" "$PUSH")"
	} >push.headers &&
	echo "{ broken" >broken.conf &&
	chmod 0644 broken.conf
'

# setup_site KIND [suexec]: ~/hookdir-KIND as the user writes it (the
# configuration, a secret, a pipeline).  Under suexec it stays the user's
# alone and hookdir.fcgi creates the spool; without, the host gives the
# web server's user the secret and a spool shared with the user's group.
setup_site () {
	local dir=$HOME_DIR/hookdir-$1
	as_user mkdir -m 0700 "$dir" "$dir/secrets" "$dir/pipelines" &&
	as_user sh -c "printf %s '$SECRET' >'$dir/secrets/site' &&
		chmod 0600 '$dir/secrets/site'" &&
	as_user sh -c "cat >'$dir/hookdir.conf'" <<-\EOF &&
	{
		"spool": "spool",
		"sources": {
			"site": { "provider": "github", "secret_file": "secrets/site" },
			"small": { "provider": "github", "secret_file": "secrets/site",
				   "max_body": "1k" }
		}
	}
	EOF
	as_user sh -c "cat >'$dir/pipelines/hello.json'" <<-\EOF &&
	{ "on": { "source": "site", "events": ["push"] },
	  "jobs": { "a": { "steps": [ { "run": "echo hello $HOOKDIR_EVENT" } ] } } }
	EOF
	if [ "${2:-}" != suexec ]; then
		chmod 0711 "$dir" &&
		chmod 0644 "$dir/hookdir.conf" &&
		chown -R "$HTTPD_USER" "$dir/secrets" &&
		mkdir "$dir/spool" "$dir/spool/tmp" "$dir/spool/new" \
			"$dir/spool/cur" "$dir/spool/done" "$dir/spool/failed" &&
		chown -R "$HTTPD_USER:$HDUSER" "$dir/spool" &&
		chmod 2770 "$dir/spool" "$dir/spool"/*
	fi &&
	HTTPD_HOOKDIR_CONF=$dir/hookdir.conf
}

# check_push KIND [suexec]: the signed push is queued, by the user under
# suexec, and the worker as the user runs the pipeline for it.
check_push () {
	local dir=$HOME_DIR/hookdir-$1 status id owner=$HTTPD_USER:$HDUSER:640
	[ "${2:-}" = suexec ] && owner=$HDUSER:$HDUSER:600
	status=$(hookdir_post "$HOOK_URL_BASE/site" "$PUSH" -H @push.headers) &&
	test "$status" = 202 &&
	id=$(response_id) &&
	test_path_is_file "$dir/spool/new/$id" &&
	test "$(stat -c %U:%G:%a "$dir/spool/new/$id")" = "$owner" &&
	test "$(stat -c %U "$dir/spool/new")" = "${owner%%:*}" &&
	status=$(hookdir_curl "$HTTPD_URL/~$HDUSER/hookdir.conf") &&
	test "$status" = 403 &&
	test_grep ! "secret_file" response &&
	as_user "$TRASH/bin/hookdir" -c "$dir/hookdir.conf" worker --once 2>err &&
	test_line_count = 0 err &&
	test_path_is_file "$dir/spool/done/$id" &&
	as_user "$TRASH/bin/hookdir" -c "$dir/hookdir.conf" log 1 >log.out &&
	test_grep "hello push" log.out
}

# check_errors: answers given before the body is read arrive whole.
check_errors () {
	local link=$HOME_DIR/public_html/hookdir.conf status
	head -c 102400 /dev/zero | tr "\0" a >body.100k &&
	status=$(hookdir_post "$HOOK_URL_BASE/nosuch" body.100k \
		-H "Content-Type: application/json") &&
	test "$status" = 404 &&
	test "$(response_error)" = "unknown source" &&
	status=$(hookdir_post "$HOOK_URL_BASE/small" body.100k \
		-H "Content-Type: application/json") &&
	test "$status" = 413 &&
	test "$(response_error)" = "payload too large" &&
	ln -sfn "$TRASH/broken.conf" "$link" &&
	status=$(hookdir_post "$HOOK_URL_BASE/site" body.100k \
		-H "Content-Type: application/json") &&
	ln -sfn "$HTTPD_HOOKDIR_CONF" "$link" &&
	test "$status" = 503 &&
	test "$(response_error)" = "configuration error" &&
	test "$(response_header Retry-After)" = 60
}

test_expect_success APACHE_CGI 'mod_cgi (prefork), no suexec' '
	setup_site cgi &&
	start_apache_userdir cgi "$HDUSER" &&
	check_push cgi &&
	stop_httpd
'

test_expect_success APACHE_CGI,SUEXEC 'mod_cgi (prefork), suexec' '
	setup_site cgi-suexec suexec &&
	start_apache_userdir cgi "$HDUSER" suexec &&
	check_push cgi-suexec suexec &&
	stop_httpd
'

test_expect_success APACHE_CGID 'mod_cgid (event), no suexec' '
	setup_site cgid &&
	start_apache_userdir cgid "$HDUSER" &&
	check_push cgid
'

test_expect_success APACHE_CGID 'mod_cgid: 404, 413 and 503 before the body arrive whole' '
	check_errors &&
	stop_httpd
'

test_expect_success APACHE_CGID,SUEXEC 'mod_cgid (event), suexec' '
	setup_site cgid-suexec suexec &&
	start_apache_userdir cgid "$HDUSER" suexec &&
	check_push cgid-suexec suexec
'

test_expect_success APACHE_CGID,SUEXEC 'mod_cgid under suexec: error answers arrive whole' '
	check_errors &&
	stop_httpd
'

test_done
