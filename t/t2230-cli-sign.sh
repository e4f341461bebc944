#!/bin/bash
test_description='hookdir sign: a signed curl command that a real receiver accepts

For one source of each signing scheme (GitHub, Stripe, Slack, Standard
Webhooks, a GitLab token, generic HMAC, a bearer token, and auto, which
is signed as GitHub), the command
`hookdir sign` prints is run with sh against nginx + hookdir.fcgi: the
answer is 202 and spool/new/ holds the body byte for byte. The same
command after the body changed is a 401. Sources that cannot be signed
with a secret, unknown ones and unreadable files are errors that say so.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

test_require_prog curl
httpd_require nginx

HOOKDIR_CONF=$TRASH/hookdir.conf
export HOOKDIR_CONF
SOURCES="gh stripe slack std gitlab hmac bearer any"

# send NAME: run cmd.NAME with sh, writing ./response and the status.
send () {
	rm -f response &&
	sh -c "$(cat "cmd.$1") -o response -w %{http_code}"
}

test_expect_success 'setup' '
	setup_spool &&
	cat >hookdir.conf <<-EOF &&
	{
		"spool": "$TRASH/spool",
		"sources": {
			"gh": { "provider": "github", "secret": "It'\''s a secret" },
			"stripe": { "provider": "stripe", "secret": "whsec_stripe1" },
			"slack": { "provider": "slack", "secret": "8f742231b10e8888abcd99yyyzzz85a5" },
			"std": { "provider": "standard",
				 "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
			"gitlab": { "provider": "gitlab", "secret": "a \"token\" with spaces" },
			"hmac": { "provider": "generic", "secret": "s3cr3t",
				  "event_header": "X-Event" },
			"bearer": { "provider": "generic", "algorithm": "bearer",
				    "secret": "b34r3r" },
			"discord": { "provider": "discord", "public_key":
				"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155" },
			"any": { "provider": "auto", "secret": "auto-source-secret-0123" },
			"open": { "provider": "auto" }
		}
	}
	EOF
	chown_web hookdir.conf &&
	hookdir check &&
	printf "{\"type\": \"ping\", \"n\": \"it'\''s \\\\u00e9\"}\n\n" >body.json &&
	start_nginx_fcgi 1
'

for s in $SOURCES
do
	test_expect_success "$s: the printed command is accepted" '
		spool_clear &&
		hookdir sign --url "$HOOK_URL_BASE/" '$s' body.json >cmd.'$s' &&
		test_line_count = 1 cmd.'$s' &&
		test_grep "^curl .* --data-binary '\''@body.json'\'' '\''$HOOK_URL_BASE/'$s''\''\$" cmd.'$s' &&
		status=$(send '$s') &&
		test "$status" = 202 &&
		id=$(response_id) &&
		test "$(spool_count spool/new)" = 1 &&
		test_grep "^Hookdir-Source: '$s'\$" spool/new/$id &&
		spool_body spool/new/$id >actual &&
		test_cmp body.json actual
	'
done

# The HMAC schemes sign the body: the same command for another body fails.
for s in gh stripe slack std hmac any
do
	test_expect_success "$s: the same command with another body is refused" '
		spool_clear &&
		test_when_finished "mv body.orig body.json" &&
		cp body.json body.orig &&
		sed -e s/ping/pong/ body.orig >body.json &&
		status=$(send '$s') &&
		test "$status" = 401 &&
		test "$(spool_count spool/new)" = 0
	'
done

# The token schemes send the secret itself: a wrong one fails.
test_expect_success 'gitlab and bearer: a wrong token is refused' '
	spool_clear &&
	sed -e "s/with spaces/without/" cmd.gitlab >cmd.badgitlab &&
	sed -e "s/Bearer b34r3r/Bearer b34r/" cmd.bearer >cmd.badbearer &&
	! test_cmp cmd.gitlab cmd.badgitlab >/dev/null &&
	! test_cmp cmd.bearer cmd.badbearer >/dev/null &&
	status=$(send badgitlab) &&
	test "$status" = 401 &&
	status=$(send badbearer) &&
	test "$status" = 401 &&
	test "$(spool_count spool/new)" = 0
'

test_expect_success 'the event type goes into the header the provider uses' '
	hookdir sign --event push gh body.json >cmd &&
	test_grep -F -e "-H '\''X-GitHub-Event: push'\''" cmd &&
	test_grep -F -e "'\''http://localhost/hooks/gh'\''" cmd &&
	hookdir sign hmac body.json >cmd &&
	test_grep -F -e "-H '\''X-Event: ping'\''" cmd &&
	hookdir sign --event x stripe body.json >cmd 2>err &&
	test_grep "event ignored" err
'

test_expect_success '--url without a trailing slash is the whole URL' '
	hookdir sign gh body.json --url "http://example.test/a?b=c" >cmd &&
	test_grep "'\''http://example.test/a?b=c'\''\$" cmd
'

test_expect_success 'a quote in the file name is quoted for the shell' '
	spool_clear &&
	cp body.json "it'\''s.json" &&
	hookdir sign --url "$HOOK_URL_BASE/" gh "it'\''s.json" >cmd.quoted &&
	status=$(send quoted) &&
	test "$status" = 202 &&
	id=$(response_id) &&
	spool_body spool/new/$id >actual &&
	test_cmp body.json actual
'

test_expect_success 'an Ed25519 source cannot be signed with a secret' '
	test_expect_code 65 hookdir sign discord body.json >out 2>err &&
	test_line_count = 0 out &&
	test_grep "private key" err
'

test_expect_success 'an auto source is signed as GitHub, which it takes' '
	test_grep -F -e "-H '\''X-GitHub-Event: ping'\''" cmd.any &&
	test_grep -F -e "-H '\''X-Hub-Signature-256: sha256=" cmd.any &&
	spool_clear &&
	status=$(send any) &&
	test "$status" = 202 &&
	test_grep "^Hookdir-Provider: github\$" spool/new/$(response_id)
'

test_expect_success 'an auto source without a secret, an unknown source, an unreadable file' '
	test_expect_code 65 hookdir sign open body.json 2>err &&
	test_grep "source .open. (github) cannot be signed here: the source has no secret" err &&
	test_expect_code 65 hookdir sign nosuch body.json 2>err &&
	test_grep "no source .nosuch." err &&
	test_expect_code 66 hookdir sign gh missing.json 2>err &&
	test_grep "missing.json" err &&
	test_expect_code 64 hookdir sign gh 2>err &&
	test_grep "^usage: hookdir sign" err
'

test_done
