#!/bin/bash
test_description='configuration errors, through the real responder

nginx and spawn-fcgi run hookdir.fcgi (as nobody when the tests run as
root).  Each kind of mistake in hookdir.conf (an unknown key, a value of
the wrong type, a syntax error, a secret_file that group or others may
read, a secret_file the responder cannot read) must make every request
get 503 {"error":"configuration error"} with Retry-After, so that senders
retry and nothing is lost; the web server'"'"'s error log must name
FILE:LINE: KEY; the answer must never show a secret or a path; and
fixing the file must bring back 202 at once, without a restart.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

httpd_require nginx

FILE_SECRET=file-SECRET-7781-abcdef
INLINE_SECRET=INLINE-secret-4242-zyxw
CONF=$HTTPD_HOOKDIR_CONF

hmac_hex () {
	openssl mac -digest "$1" \
		-macopt "hexkey:$(printf '%s' "$2" | od -An -v -tx1 | tr -d ' \n')" \
		-in "$3" HMAC | tr 'A-F' 'a-f'
}

log_mark () {
	log_off_=$(stat -c %s "$HTTPD_ERROR_LOG")
}

log_since_mark () {
	tail -c "+$((log_off_ + 1))" "$HTTPD_ERROR_LOG"
}

# write_conf SITE-KEYS [TOP-KEYS]: hookdir.conf with source "site" (the
# generic provider, SITE-KEYS added to it) and source "inline"; replaced
# by a rename, as an editor or a configuration manager would.
write_conf () {
	cat >"$CONF.new" <<-EOF &&
	{
		"spool": "spool",$2
		"limits": { "max_body": "1M" },
		"sources": {
			"site": {
				"provider": "generic",
				$1
			},
			"inline": { "provider": "generic", "secret": "$INLINE_SECRET" }
		}
	}
	EOF
	chmod 644 "$CONF.new" &&
	mv -f "$CONF.new" "$CONF"
}

good_conf () {
	write_conf '"secret_file": "site.secret"'
}

# The line of the first occurrence of STRING in hookdir.conf.
conf_line () {
	grep -n -F "$1" "$CONF" | sed -n '1s/:.*//p'
}

post_site () {
	hookdir_post "$HOOK_URL_BASE/site" payload.json \
		-H "X-Webhook-Signature: $(cat payload.sig)"
}

post_inline () {
	hookdir_post "$HOOK_URL_BASE/inline" payload.json \
		-H "X-Webhook-Signature: $(cat payload.inline.sig)"
}

# check_broken PATTERN: requests to either source get the configuration
# error answer, nothing is spooled, and the error log has a line
# "configuration error: ...PATTERN" (a fixed string).
check_broken () {
	local code
	rm -f spool/new/* &&
	log_mark &&
	for post in post_site post_inline
	do
		code=$($post) &&
		check_conf_error "$code" || return 1
	done &&
	test "$(spool_count spool/new)" = 0 &&
	test_dir_is_empty spool/tmp &&
	log_since_mark >log.new &&
	grep "hookdir\.fcgi: configuration error: " log.new >log.conf &&
	test_grep -F "$1" log.conf &&
	test_grep "hookdir\.fcgi: 503 " log.new &&
	! grep -F -e "$FILE_SECRET" -e "$INLINE_SECRET" "$HTTPD_ERROR_LOG"
}

# check_conf_error CODE: 503 {"error":"configuration error"} with
# Retry-After, and nothing in the answer that names a file or a secret.
check_conf_error () {
	if [ "$1" != 503 ]; then
		echo >&2 "status $1, expected 503:"
		cat >&2 response.headers response
		return 1
	fi
	test "$(response_header Content-Type)" = application/json &&
	printf '{"error":"configuration error"}' >response.expect &&
	tr -d '\n' <response >response.actual &&
	test_cmp response.expect response.actual &&
	response_header Retry-After >retry &&
	test_grep -x "[1-9][0-9]*" retry &&
	cat response.headers response >answer &&
	! grep -F -e "$FILE_SECRET" -e "$INLINE_SECRET" -e "$TRASH" \
		-e hookdir.conf -e .secret answer
}

check_fixed () {
	local code
	rm -f spool/new/* &&
	good_conf &&
	code=$(post_site) &&
	test "$code" = 202 &&
	code=$(post_inline) &&
	test "$code" = 202 &&
	test "$(spool_count spool/new)" = 2 &&
	rm -f spool/new/*
}

# A responder that has seen no configuration yet: each kind of mistake
# is checked on its own, whatever an earlier test left the responder
# thinking.  (Changes while it runs are the subject of their own tests.)
fresh_responder () {
	stop_httpd spawn-fcgi &&
	start_spawn_fcgi 1
}

test_expect_success 'setup: a good configuration answers 202' '
	setup_spool &&
	printf "%s\n" "$FILE_SECRET" >site.secret &&
	chmod 600 site.secret &&
	chown_web site.secret &&
	printf "{\"zen\":\"Keep it logically awesome.\"}\n" >payload.json &&
	hmac_hex sha256 "$FILE_SECRET" payload.json >payload.sig &&
	hmac_hex sha256 "$INLINE_SECRET" payload.json >payload.inline.sig &&
	good_conf &&
	start_nginx_fcgi 1 &&
	check_fixed
'

# ---------------------------------------------------------------- each kind
test_expect_success 'an unknown key: 503, and the log names FILE:LINE: KEY' '
	test_when_finished good_conf &&
	write_conf "\"secret_file\": \"site.secret\", \"colour\": \"blue\"" &&
	fresh_responder &&
	line=$(conf_line "\"colour\"") &&
	test -n "$line" &&
	check_broken "hookdir.conf:$line: sources.site.colour: "
'

test_expect_success 'an unknown top-level key' '
	test_when_finished good_conf &&
	write_conf "\"secret_file\": \"site.secret\"" "
	\"spoool\": \"spool\"," &&
	fresh_responder &&
	line=$(conf_line "\"spoool\"") &&
	check_broken "hookdir.conf:$line: spoool: "
'

test_expect_success 'a value of the wrong type in a source' '
	test_when_finished good_conf &&
	write_conf "\"secret_file\": \"site.secret\",
			\"max_body\": true" &&
	fresh_responder &&
	line=$(conf_line "\"max_body\": true") &&
	check_broken "hookdir.conf:$line: sources.site.max_body: "
'

test_expect_success 'a value of the wrong type in limits' '
	test_when_finished good_conf &&
	write_conf "\"secret_file\": \"site.secret\"" &&
	sed -e "s/\"max_body\": \"1M\" }/\"max_body\": \"1M\", \"max_queue\": \"lots\" }/" \
		"$CONF" >"$CONF.new" &&
	mv "$CONF.new" "$CONF" &&
	fresh_responder &&
	line=$(conf_line "\"max_queue\"") &&
	test -n "$line" &&
	check_broken "hookdir.conf:$line: limits.max_queue: "
'

test_expect_success 'a secret of the wrong type' '
	test_when_finished good_conf &&
	write_conf "\"secret\": 12345" &&
	fresh_responder &&
	line=$(conf_line "\"secret\": 12345") &&
	check_broken "hookdir.conf:$line: sources.site.secret: "
'

# Lists that would fail open: with no secret the site would take
# unsigned requests (post_site's signature then means nothing), with no
# address every client.
for key in secret secret_file secret_env allow_from
do
	test_expect_success "\"$key\": [] fails closed: 503, not 202" '
		test_when_finished good_conf &&
		write_conf "\"'$key'\": []" &&
		fresh_responder &&
		line=$(conf_line "\"'$key'\": []") &&
		test -n "$line" &&
		check_broken "hookdir.conf:$line: sources.site.'$key': an empty list means"
	'
done

test_expect_success 'a syntax error: 503 and FILE:LINE in the log' '
	test_when_finished good_conf &&
	write_conf "\"secret_file\": \"site.secret\"
			\"max_body\": \"1k\"" &&
	fresh_responder &&
	line=$(conf_line "\"max_body\": \"1k\"") &&
	check_broken "hookdir.conf:" &&
	test_grep -E "hookdir\.conf:($((line - 1))|$line)[:,]" log.conf
'

for mode in 640 604 644
do
	test_expect_success "a secret_file with mode $mode (readable by group or others)" "
		test_when_finished good_conf &&
		cp site.secret open-$mode.secret &&
		chmod $mode open-$mode.secret &&
		chown_web open-$mode.secret &&
		write_conf '\"secret_file\": \"open-$mode.secret\"' &&
		fresh_responder &&
		line=\$(conf_line '\"secret_file\"') &&
		check_broken \"hookdir.conf:\$line: sources.site.secret_file: \"
	"
done

test_expect_success ROOT,NOBODY_USER 'a secret_file the responder cannot read (root'"'"'s, 0600)' '
	test_when_finished good_conf &&
	cp site.secret root.secret &&
	chown root:root root.secret &&
	chmod 600 root.secret &&
	write_conf "\"secret_file\": \"root.secret\"" &&
	fresh_responder &&
	line=$(conf_line "\"secret_file\"") &&
	check_broken "hookdir.conf:$line: sources.site.secret_file: " &&
	test_grep "Permission denied" log.conf
'

test_expect_success 'a missing secret_file' '
	test_when_finished good_conf &&
	write_conf "\"secret_file\": \"no-such.secret\"" &&
	fresh_responder &&
	line=$(conf_line "\"secret_file\"") &&
	check_broken "hookdir.conf:$line: sources.site.secret_file: "
'

test_expect_success 'a missing configuration file' '
	test_when_finished "good_conf" &&
	mv "$CONF" "$CONF.away" &&
	fresh_responder &&
	log_mark &&
	code=$(post_site) &&
	check_conf_error "$code" &&
	log_since_mark >log.new &&
	test_grep "configuration error: .*hookdir.conf" log.new
'

# ---------------------------------------------------------------- changes
test_expect_success 'setup: a responder that has loaded the good file' '
	fresh_responder &&
	check_fixed
'

test_expect_success 'a mistake made while it runs: 503 at once' '
	write_conf "\"secret_file\": \"site.secret\", \"colour\": \"blue\"" &&
	line=$(conf_line "\"colour\"") &&
	check_broken "hookdir.conf:$line: sources.site.colour: "
'

test_expect_success 'fixing it brings back 202 at once, without a restart' '
	check_fixed
'

test_expect_success 'a second, different mistake is logged too' '
	fresh_responder &&
	write_conf "\"secret_file\": \"site.secret\", \"colour\": \"blue\"" &&
	line=$(conf_line "\"colour\"") &&
	check_broken "hookdir.conf:$line: sources.site.colour: " &&
	write_conf "\"secret_file\": \"site.secret\",
			\"flavour\": \"mint\"" &&
	line=$(conf_line "\"flavour\"") &&
	check_broken "hookdir.conf:$line: sources.site.flavour: "
'

test_expect_success 'a secret_file made group-readable while in use' '
	test_when_finished "chmod 600 site.secret" &&
	fresh_responder &&
	check_fixed &&
	chmod 640 site.secret &&
	line=$(conf_line "\"secret_file\"") &&
	check_broken "hookdir.conf:$line: sources.site.secret_file: "
'

test_expect_success 'a changed secret_file is read again' '
	test_when_finished "hmac_hex sha256 \"\$FILE_SECRET\" payload.json >payload.sig" &&
	fresh_responder &&
	check_fixed &&
	printf "%s\n" "rotated-$FILE_SECRET" >site.secret.new &&
	chmod 600 site.secret.new &&
	chown_web site.secret.new &&
	mv site.secret.new site.secret &&
	code=$(post_site) &&
	test "$code" = 401 &&
	hmac_hex sha256 "rotated-$FILE_SECRET" payload.json >payload.sig &&
	code=$(post_site) &&
	test "$code" = 202 &&
	rm -f spool/new/*
'

test_done
