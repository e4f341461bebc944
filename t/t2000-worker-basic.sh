#!/bin/bash
test_description='worker: a signed push through nginx runs a pipeline'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

httpd_require nginx
test_require_prog openssl sqlite3

# queue_raw ID FILE: put FILE into spool/new/ID as a delivery would.
queue_raw () {
	cp "$2" "spool/tmp/$1" &&
	mv "spool/tmp/$1" "spool/new/$1"
}

test_expect_success 'setup' '
	setup_spool &&
	mkdir pipelines secrets &&
	printf "%s\n" "it is a secret" >secrets/site &&
	chmod 600 secrets/site &&
	chown_web secrets/site &&
	cat >hookdir.conf <<-\EOF &&
	{
	  "spool": "spool",
	  "state": "state",
	  "pipelines": "pipelines",
	  "sources": { "site": { "provider": "github", "secret_file": "secrets/site" } }
	}
	EOF
	cat >pipelines/greet.json <<-\EOF &&
	{
	  "on": { "source": "site", "events": ["push"], "branches": ["main"] },
	  "env": { "REF": "${{ payload.ref }}", "WHO": "${{ payload.pusher.name }}" },
	  "jobs": {
	    "hello": { "steps": [ { "name": "say", "run": "echo \"hello from $HOOKDIR_PIPELINE: $WHO pushed $REF\"; echo to stderr >&2" } ] }
	  }
	}
	EOF
	cat >pipelines/issues.json <<-\EOF &&
	{
	  "on": { "source": "site", "events": ["issues"] },
	  "jobs": { "never": { "steps": [ { "run": "echo should not run" } ] } }
	}
	EOF
	cat >push.json <<-\EOF &&
	{"ref":"refs/heads/main","before":"6113728f27ae82c7b1a177c8d03f9e96e0adf246",
	 "after":"9f3c2a8b7e6d5c4b3a291807f6e5d4c3b2a19080",
	 "repository":{"full_name":"acme/site","name":"site"},
	 "pusher":{"name":"octocat","email":"octocat@example.org"},
	 "commits":[{"id":"9f3c2a8b","message":"Fix docs","added":[],"modified":["docs/index.md"],"removed":[]}]}
	EOF
	start_nginx_fcgi
'

test_expect_success 'a signed GitHub push is accepted and spooled' '
	sig=$(openssl dgst -sha256 -hmac "it is a secret" -r push.json | cut -d" " -f1) &&
	hookdir_post "$HOOK_URL_BASE/site" push.json \
		-H "Content-Type: application/json" \
		-H "X-GitHub-Event: push" \
		-H "X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958" \
		-H "X-Hub-Signature-256: sha256=$sig" >status &&
	echo 202 >expect &&
	test_cmp expect status &&
	test "$(spool_count spool/new)" = 1
'

test_expect_success 'worker --once runs the matching pipeline' '
	id=$(basename "$(spool_files spool/new)") &&
	hookdir -v worker --once 2>worker.err &&
	test_grep "event $id source=site type=push: 1 run" worker.err &&
	echo success >expect &&
	sql "SELECT status FROM runs WHERE event = '\''$id'\'' AND pipeline = '\''greet'\''" >actual &&
	test_cmp expect actual &&
	sql "SELECT status FROM events WHERE id = '\''$id'\''" >actual &&
	echo done >expect &&
	test_cmp expect actual
'

test_expect_success 'the step log holds its output, stdout and stderr' '
	run=$(sql "SELECT id FROM runs WHERE pipeline = '\''greet'\''") &&
	log=$(sql "SELECT log FROM steps WHERE run = $run") &&
	test "$log" = "$TRASH/state/logs/$run/hello/say.log" &&
	cat >expect <<-\EOF &&
	hello from greet: octocat pushed refs/heads/main
	to stderr
	EOF
	test_cmp expect "$log" &&
	sql "SELECT status, exit_code FROM steps WHERE run = $run" >actual &&
	echo "success|0" >expect &&
	test_cmp expect actual
'

test_expect_success 'the spool file moved from new/ to done/' '
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/cur &&
	test_path_is_file "spool/done/$id" &&
	test "$(spool_count spool/done)" = 1
'

test_expect_success 'a pipeline that does not match leaves no run, but a trace' '
	sql "SELECT count(*) FROM runs WHERE pipeline = '\''issues'\''" >actual &&
	echo 0 >expect &&
	test_cmp expect actual &&
	sql "SELECT matched, trace FROM traces WHERE event = '\''$id'\'' AND pipeline = '\''issues'\''" >actual &&
	test_grep "^0|events: got .push., want .issues." actual
'

test_expect_success 'an unparseable spool file goes to failed/ with its reason' '
	printf "no blank line, no header either" >garbage &&
	bad=1763790000.M000001P1R0001.test &&
	queue_raw $bad garbage &&
	hookdir worker --once 2>worker.err &&
	test_path_is_file "spool/failed/$bad" &&
	test_path_is_missing "spool/new/$bad" &&
	test_path_is_missing "spool/cur/$bad" &&
	test_grep "event $bad: unreadable: " worker.err &&
	sql "SELECT status FROM events WHERE id = '\''$bad'\''" >actual &&
	echo failed >expect &&
	test_cmp expect actual &&
	reason=$(sql "SELECT reason FROM events WHERE id = '\''$bad'\''") &&
	test -n "$reason" &&
	test_grep "$reason" worker.err &&
	sql "SELECT count(*) FROM runs WHERE event = '\''$bad'\''" >actual &&
	echo 0 >expect &&
	test_cmp expect actual
'

test_expect_success 'a failing pipeline is not the worker'\''s failure' '
	cat >pipelines/broken.json <<-\EOF &&
	{
	  "on": { "source": "site" },
	  "jobs": { "fail": { "steps": [ { "run": "exit 7" } ] } }
	}
	EOF
	sig=$(openssl dgst -sha256 -hmac "it is a secret" -r push.json | cut -d" " -f1) &&
	hookdir_post "$HOOK_URL_BASE/site" push.json \
		-H "Content-Type: application/json" \
		-H "X-GitHub-Event: push" \
		-H "X-GitHub-Delivery: 0b1c2d3e-0000-11e3-81ab-4c9367dc0958" \
		-H "X-Hub-Signature-256: sha256=$sig" >status &&
	echo 202 >expect &&
	test_cmp expect status &&
	id2=$(basename "$(spool_files spool/new)") &&
	hookdir worker --once 2>worker.err &&
	sql "SELECT pipeline, status FROM runs WHERE event = '\''$id2'\'' ORDER BY pipeline" >actual &&
	cat >expect <<-\EOF &&
	broken|failure
	greet|success
	EOF
	test_cmp expect actual &&
	sql "SELECT exit_code, reason FROM steps WHERE run = (SELECT id FROM runs WHERE event = '\''$id2'\'' AND pipeline = '\''broken'\'')" >actual &&
	echo "7|exit status 7" >expect &&
	test_cmp expect actual &&
	test_path_is_file "spool/done/$id2"
'

test_expect_success 'an empty spool is nothing to do' '
	hookdir worker --once 2>worker.err &&
	test_must_fail test -s worker.err
'

test_done
