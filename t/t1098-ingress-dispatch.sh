#!/bin/bash
test_description='dispatch sources: chat-ops start a pipeline over HTTP

A source of provider dispatch is signed as a generic source is; its
JSON body {"pipeline": NAME, "inputs": {...}} names the pipeline and
its inputs. The worker starts that pipeline alone (its `on` is not
evaluated) only if it says "dispatch": true, with the inputs checked as
for `hookdir run`; otherwise nothing runs and the event'"'"'s history
says why. Through real nginx and the real worker.'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3
httpd_require nginx

SECRET=dispatch-test-secret-0123456789abcdef

# dispatch BODY: sign BODY (a JSON text) and post it to source chatops;
# the status in status, the answer in response.
dispatch () {
	printf "%s" "$1" >body.json &&
	hookdir_post "$HOOK_URL_BASE/chatops" body.json \
		-H "Content-Type: application/json" \
		-H "X-Webhook-Signature: $(hmac_sha256_hex "$SECRET" body.json)" \
		>status
}

# last_event: the id of the event the last answer named
last_event () {
	sed -n 's/.*"id":"\([^"]*\)".*/\1/p' response
}

test_expect_success 'setup' '
	setup_spool &&
	mkdir pipelines &&
	cat >hookdir.conf <<-EOF &&
	{
	  "spool": "spool",
	  "state": "state",
	  "pipelines": "pipelines",
	  "sources": {
	    "chatops": { "provider": "dispatch", "secret": "$SECRET" },
	    "test": { "provider": "generic", "secret": "$SECRET" }
	  }
	}
	EOF
	chown_web hookdir.conf &&
	cat >pipelines/deploy.json <<-EOF &&
	{
	  "on": { "source": "test", "events": ["never"] },
	  "dispatch": true,
	  "inputs": {
	    "env": { "type": "choice", "options": ["staging", "prod"], "default": "staging" },
	    "version": { "type": "string", "required": true }
	  },
	  "jobs": { "d": { "steps": [ { "run": "echo \"\$HOOKDIR_INPUT_ENV \$HOOKDIR_INPUT_VERSION \$VIA\" >>$TRASH/out.deploy" } ] } },
	  "env": { "VIA": "\${{ triggeredBy }}/\${{ provider }}/\${{ eventType }}/\${{ inputs.env }}" }
	}
	EOF
	cat >pipelines/secret.json <<-EOF &&
	{
	  "on": { "source": "chatops" },
	  "jobs": { "s": { "steps": [ { "run": "echo ran >>$TRASH/out.secret" } ] } }
	}
	EOF
	check_config &&
	start_nginx_fcgi
'

test_expect_success 'an opted-in pipeline runs with its inputs' '
	dispatch "{\"pipeline\": \"deploy\", \"inputs\": {\"version\": \"1.4\", \"env\": \"prod\"}}" &&
	echo 202 >expect && test_cmp expect status &&
	ev=$(last_event) && test -n "$ev" &&
	hookdir worker --once 2>worker.err &&
	run_status_is "$ev" success &&
	echo "prod 1.4 dispatch/dispatch/deploy/prod" >expect &&
	test_cmp expect out.deploy &&
	test "$(sql "SELECT triggered_by FROM runs WHERE event = '\''$ev'\''")" = dispatch
'

test_expect_success 'a pipeline that does not opt in is refused, and show says why' '
	dispatch "{\"pipeline\": \"secret\"}" &&
	echo 202 >expect && test_cmp expect status &&
	ev=$(last_event) &&
	hookdir worker --once 2>worker.err &&
	test_path_is_missing out.secret &&
	test "$(sql "SELECT count(*) FROM runs WHERE event = '\''$ev'\''")" = 0 &&
	hookdir show "$ev" >show.out &&
	test_grep "dispatch: refused, this pipeline does not opt in (\"dispatch\": true)" show.out &&
	{ hookdir why "$ev" >why.out 2>&1 || :; } &&
	test_grep "does not opt in" why.out
'

test_expect_success 'inputs are checked: a bad one starts nothing' '
	rm -f out.deploy &&
	dispatch "{\"pipeline\": \"deploy\", \"inputs\": {\"version\": \"1\", \"env\": \"dev\"}}" &&
	ev=$(last_event) &&
	dispatch "{\"pipeline\": \"deploy\", \"inputs\": {\"env\": \"prod\"}}" &&
	ev2=$(last_event) &&
	hookdir worker --once 2>worker.err &&
	test_path_is_missing out.deploy &&
	hookdir show "$ev" >show.out &&
	test_grep "input env: .dev. is not one of its options" show.out &&
	hookdir show "$ev2" >show.out &&
	test_grep "input version: required, and not given" show.out
'

test_expect_success 'a bad signature is 401 and queues nothing' '
	printf "{\"pipeline\": \"deploy\"}" >body.json &&
	hookdir_post "$HOOK_URL_BASE/chatops" body.json \
		-H "X-Webhook-Signature: $(hmac_sha256_hex "x$SECRET" body.json)" \
		>status &&
	echo 401 >expect && test_cmp expect status &&
	test -z "$(find spool/new -type f)"
'

test_expect_success 'the signature may be in ?signature=' '
	rm -f out.deploy &&
	printf "{\"pipeline\": \"deploy\", \"inputs\": {\"version\": \"2\"}}" >body.json &&
	hookdir_post "$HOOK_URL_BASE/chatops?signature=$(hmac_sha256_hex "$SECRET" body.json)" \
		body.json -H "Content-Type: application/json" >status &&
	echo 202 >expect && test_cmp expect status &&
	hookdir worker --once 2>worker.err &&
	echo "staging 2 dispatch/dispatch/deploy/staging" >expect &&
	test_cmp expect out.deploy
'

test_done
