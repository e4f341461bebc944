#!/bin/bash
test_description='hookdir init: a working start in one command

hookdir init DIR writes a hookdir.conf that hookdir check passes, a 0600
secret in the form its provider wants, a pipeline, the spool and the
state. What it prints works as printed: the spawn-fcgi command and the
nginx location block serve a real nginx, the hookdir sign command gets a
202, the worker command runs the pipeline. An existing configuration, a
bad source name, an unknown provider and a key-pair provider are refused.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

test_require_prog curl
httpd_require nginx
httpd_prereq apache-cgi apache-fcgid

# The printed spawn-fcgi command gives the socket to www-data, nginx's
# user on Debian: this nginx runs as www-data.
test_lazy_prereq WWW_DATA 'id www-data >/dev/null 2>&1'

# The nginx location block of conf/nginx.conf without its comments and
# without a HOOKDIR_CONF parameter (the responder's start chooses the
# configuration), and the printed one, into ./expect and ./actual.
recipe_location () {
	awk '
		/^location \/hooks\/ \{/ { on = 1 }
		on { print; depth += gsub(/\{/, "{"); depth -= gsub(/\}/, "}")
		     if (depth == 0) exit }
	' "$top_srcdir/conf/nginx.conf" |
	sed -e "/^[	 ]*#/d" -e "/^[	 ]*\$/d" -e "/HOOKDIR_CONF/d" \
	    -e "s|fastcgi_pass unix:[^;]*;|fastcgi_pass unix:SOCK;|"
}

printed_block () {
	sed -n -e "/^location \/hooks\/ {/,/^}/p" "$1"
}

printed_location () {
	printed_block "$1" |
	sed -e "s|fastcgi_pass unix:[^;]*;|fastcgi_pass unix:SOCK;|"
}

test_expect_success 'setup: hookdir and hookdir.fcgi installed side by side' '
	mkdir bin &&
	cp "$HOOKDIR" "$HOOKDIR_FCGI" bin/ &&
	chmod 0755 bin/hookdir bin/hookdir.fcgi
'

test_expect_success ROOT,NOBODY_USER 'init writes a configuration that check passes' '
	port=$(httpd_free_port_) &&
	url=http://127.0.0.1:$port/hooks/ &&
	sock=$HTTPD_SOCK_DIR/init/fcgi.sock &&
	bin/hookdir init --provider github --source site --user nobody \
		--socket "$sock" --url "$url" site >out 2>err &&
	test_line_count = 0 err &&
	bin/hookdir -c "$TRASH/site/hookdir.conf" check >check.out 2>&1 &&
	test_grep "^ok: 1 source, 1 pipeline" check.out &&
	test_grep ! -i warning check.out
'

test_expect_success ROOT,NOBODY_USER 'the files belong to --user, with their modes' '
	for f in hookdir.conf:644 pipelines:755 pipelines/hello.json:644 \
		hello-event.json:644 secrets:700 secrets/site:600 state:700 \
		spool:700 spool/tmp:700 spool/new:700 spool/cur:700 \
		spool/done:700 spool/failed:700
	do
		echo "${f%%:*} ${f##*:} nobody" || return 1
	done >expect &&
	for f in $(cut -d" " -f1 expect)
	do
		echo "$f $(stat -c "%a %U" "site/$f")" || return 1
	done >actual &&
	test_cmp expect actual &&
	test "$(stat -c %a site)" = 755
'

test_expect_success ROOT,NOBODY_USER 'the secret: 32 random bytes in hex; github signs with it' '
	grep -E "^[0-9a-f]{64}\$" site/secrets/site &&
	test_line_count = 1 site/secrets/site &&
	test_grep "\"provider\": \"github\"" site/hookdir.conf &&
	test_grep "\"secret_file\": \"secrets/site\"" site/hookdir.conf &&
	test_grep ! "$(cat site/secrets/site)" out
'

test_expect_success ROOT,NOBODY_USER 'it names the real paths: the config, hookdir.fcgi beside hookdir' '
	test_grep "spawn-fcgi -s $sock .* -- $TRASH/bin/hookdir.fcgi -c $TRASH/site/hookdir.conf\$" out &&
	test_grep "^Alias /hooks $TRASH/bin/hookdir.fcgi\$" out &&
	test_grep "FcgidInitialEnv HOOKDIR_CONF $TRASH/site/hookdir.conf\$" out &&
	test_grep "^    ln -s $TRASH/site/hookdir.conf ~/public_html/hookdir.conf\$" out &&
	test_grep "cp $TRASH/bin/hookdir.fcgi .*hooks.cgi" out &&
	test_grep "^    $TRASH/bin/hookdir -c $TRASH/site/hookdir.conf worker --once\$" out
'

test_expect_success ROOT,NOBODY_USER 'the printed location block is conf/nginx.conf'\''s' '
	recipe_location >expect &&
	printed_location out >actual &&
	test_cmp expect actual &&
	test_grep "fastcgi_pass unix:$sock;" out
'

test_expect_success ROOT,NOBODY_USER,WWW_DATA 'as printed: spawn-fcgi, nginx, sign, worker' '
	d=$TRASH/nginx &&
	mkdir -p "$d/logs" "$d/tmp" &&
	printed_block out >"$d/location.conf" &&
	httpd_nginx_conf_ "$d" "$port" "user www-data;" "$d/location.conf" \
		>"$d/nginx.conf" &&
	sed -n -e "s/^    \(install -d .*\)/\1/p" -e "s/^    \(spawn-fcgi .*\)/\1/p" \
		out >start.sh &&
	test_line_count = 2 start.sh &&
	sh -e start.sh &&
	# Stopped with the servers: stop_httpd ends what runs from $TRASH.
	httpd_register_ spawn-fcgi "" &&
	test -S "$sock" &&
	env -u NGINX "$NGINX" -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" \
		</dev/null 9>&- &&
	httpd_register_ nginx "$d/logs/error.log" "$(cat "$d/logs/nginx.pid")" &&
	httpd_wait_http_ "http://127.0.0.1:$port/" &&

	sed -n -e "s/^    \(.* sign .*\)/\1/p" out >sign.sh &&
	test_line_count = 1 sign.sh &&
	sh -e sign.sh >response &&
	test_grep "\"status\":\"queued\"" response &&
	test "$(spool_count site/spool/new)" = 1 &&
	id=$(response_id) &&
	test_grep "^Hookdir-Verified: hmac-sha256\$" site/spool/new/$id &&

	sed -n -e "s/^    \(.* worker --once\)\$/\1/p" out >worker.sh &&
	test_line_count = 1 worker.sh &&
	sh -e worker.sh &&
	test "$(spool_count site/spool/done)" = 1 &&
	bin/hookdir -c "$TRASH/site/hookdir.conf" runs >runs &&
	test_grep "hello.*success" runs &&
	bin/hookdir -c "$TRASH/site/hookdir.conf" log 1 >log &&
	test_grep "event .ping. from site (github)" log &&
	test_grep "a test event from hookdir init" log &&
	test "$(stat -c %U site/state/hookdir.db)" = nobody
'

# send_signed: the printed sign command, to $HOOK_URL_BASE/ instead; a
# 202 puts one more file into spool/new/.
send_signed () {
	sed -e "s| --url [^ ]* | --url $HOOK_URL_BASE/ |" sign.sh >sign-here.sh &&
	sh -e sign-here.sh >response &&
	test_grep "\"status\":\"queued\"" response &&
	test_path_is_file "site/spool/new/$(response_id)"
}

test_expect_success ROOT,NOBODY_USER,APACHE_CGI 'as printed: the .htaccess, Apache with plain CGI' '
	d=$TRASH/apache-cgi &&
	mkdir -p "$d/run" "$d/logs" "$d/htdocs" &&
	ln -s htdocs "$d/public_html" &&
	sed -n -e "s/^    \(cp .*hooks.cgi\)\$/\1/p" \
		-e "s/^    \(ln -s .*hookdir.conf\)\$/\1/p" out >cp.sh &&
	test_line_count = 2 cp.sh &&
	HOME=$d sh -e cp.sh &&
	sed -n -e "/^Options +ExecCGI/,/^CGIPassAuth On/p" out >"$d/htdocs/.htaccess" &&
	grep -v -e "^#" -e "^\$" "$top_srcdir/conf/htaccess" >expect &&
	test_cmp expect "$d/htdocs/.htaccess" &&
	chmod 0644 "$d/htdocs/.htaccess" &&
	httpd_apache_conf_ "$d" @PORT@ All mpm_prefork authz_core mime alias env cgi \
		>"$d/httpd.conf.in" &&
	httpd_apache_run_ apache-cgi "$d" /hooks.cgi &&
	send_signed
'

test_expect_success ROOT,NOBODY_USER,APACHE_FCGID 'as printed: the mod_fcgid snippet, Apache' '
	d=$TRASH/apache-fcgid &&
	mkdir -p "$d/run" "$d/logs" "$d/htdocs" "$d/fcgid" &&
	chown_web "$d/fcgid" &&
	sed -n -e "/^<IfModule mod_fcgid.c>/,/^<\/Location>/p" out >"$d/site.conf" &&
	test_grep "^Alias /hooks $TRASH/bin/hookdir.fcgi\$" "$d/site.conf" &&
	{
		httpd_apache_conf_ "$d" @PORT@ None mpm_event authz_core mime alias fcgid &&
		echo "FcgidIPCDir $d/fcgid" &&
		echo "FcgidProcessTableFile $d/run/fcgid_shm" &&
		echo "Include $d/site.conf"
	} >"$d/httpd.conf.in" &&
	httpd_apache_run_ apache-fcgid "$d" /hooks &&
	send_signed
'

test_expect_success ROOT,NOBODY_USER 'an existing hookdir.conf is not replaced: 73' '
	cp site/hookdir.conf conf.before &&
	cp site/secrets/site secret.before &&
	test_expect_code 73 bin/hookdir init --provider github --source site site 2>err &&
	test_grep "site/hookdir.conf exists" err &&
	test_cmp conf.before site/hookdir.conf
'

test_expect_success ROOT,NOBODY_USER '--force replaces it and keeps the secret' '
	bin/hookdir init --force --provider gitlab --source site --user nobody site >out 2>err &&
	test_grep "kept the secret" out &&
	test_grep "\"provider\": \"gitlab\"" site/hookdir.conf &&
	test_cmp secret.before site/secrets/site &&
	bin/hookdir -c site/hookdir.conf check
'

test_expect_success 'an invalid source name: 64, nothing written' '
	test_expect_code 64 bin/hookdir init --source ../x bad 2>err &&
	test_grep "not a source name" err &&
	test_expect_code 64 bin/hookdir init --source "" bad 2>err &&
	test_expect_code 64 bin/hookdir init --source .x bad 2>err &&
	test_path_is_missing bad
'

test_expect_success 'what the printed commands would run unquoted is refused: 64' '
	test_expect_code 64 bin/hookdir init --url "http://x/\$(id)/" bad 2>err &&
	test_grep "not an http:// or https:// URL" err &&
	test_expect_code 64 bin/hookdir init --url "http://x/a;id" bad &&
	test_expect_code 64 bin/hookdir init --url ftp://x/ bad &&
	test_expect_code 64 bin/hookdir init --socket "/run/a b" bad &&
	test_expect_code 64 bin/hookdir init --socket run/sock bad &&
	test_expect_code 64 bin/hookdir init "b\`id\`ad" 2>err &&
	test_grep "not a path of" err &&
	test_expect_code 64 bin/hookdir -c other.conf init bad 2>err &&
	test_grep "does not apply" err &&
	test_path_is_missing bad
'

test_expect_success 'a secret that is there but not a file is not kept: 73' '
	mkdir -p link/secrets &&
	ln -s "$TRASH/bin/hookdir" link/secrets/site &&
	test_expect_code 73 bin/hookdir init --source site link 2>err &&
	test_grep "secrets/site: there, but not a file" err &&
	test_path_is_missing link/hookdir.conf
'

test_expect_success 'an unknown provider: 64 and the list' '
	test_expect_code 64 bin/hookdir init --provider gitbucket bad 2>err &&
	test_grep "no provider .gitbucket.; one of:.* github .*stripe.* generic" err &&
	test_path_is_missing bad
'

test_expect_success 'discord and sendgrid sign with a key pair: refused, saying so' '
	for p in discord sendgrid
	do
		test_expect_code 64 bin/hookdir init --provider $p bad 2>err &&
		test_grep "$p does not verify with a shared secret" err &&
		test_grep "public_key" err || return 1
	done &&
	test_path_is_missing bad
'

test_expect_success 'dispatch: refused, its source would never start the echo pipeline' '
	test_expect_code 64 bin/hookdir init --provider dispatch bad 2>err &&
	test_grep "a dispatch source starts only the pipelines that opt in" err &&
	test_path_is_missing bad &&
	bin/hookdir help init >out &&
	! grep "^providers:.* dispatch" out
'

test_expect_success 'standard: a whsec_ secret, 32 bytes in base64' '
	bin/hookdir init --provider standard std >out 2>err &&
	grep -E "^whsec_[A-Za-z0-9+/]{43}=\$" std/secrets/standard &&
	bin/hookdir -c std/hookdir.conf check &&
	test_grep " sign --url http://localhost/hooks/ standard " out
'

test_expect_success 'by default a generic source; as root without --user, a warning' '
	bin/hookdir init gen >out 2>err &&
	test_grep "\"provider\": \"generic\"" gen/hookdir.conf &&
	test_grep "\"generic\": {" gen/hookdir.conf &&
	bin/hookdir -c gen/hookdir.conf check &&
	if test_have_prereq ROOT
	then
		test_grep "warning: run as root" err &&
		test_grep "chown -R hookdir: " err
	fi
'

test_expect_success 'mailgun cannot be signed here: inject is printed instead' '
	bin/hookdir init --provider mailgun mg >out &&
	test_grep " inject mailgun .*/mg/hello-event.json\$" out &&
	test_grep ! " sign " out
'

test_done
