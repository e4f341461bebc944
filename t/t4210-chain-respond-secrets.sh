#!/bin/bash
test_description='hookdir respond masks the run'"'"'s secrets in the answer

An answer a step gives with `hookdir respond` leaves the machine: the
values of the pipeline'"'"'s secrets are replaced by *** in its headers
and body, as in the step'"'"'s log and in emitted events. Through real
nginx and a real worker.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3
httpd_require nginx

TOKEN=tok-5d41402abc4b2a76b9719d911017c592

test_expect_success 'setup' '
	setup_spool &&
	mkdir pipelines respond secrets &&
	chown_web respond &&
	printf "%s\n" "$TOKEN" >secrets/DEPLOY_TOKEN &&
	chmod 600 secrets/DEPLOY_TOKEN &&
	cat >hookdir.conf <<-\EOF &&
	{ "sources": { "sync": { "provider": "generic", "respond": { "wait": "15s" } } } }
	EOF
	chown_web hookdir.conf &&
	cat >pipelines/answer.json <<-\EOF &&
	{
	  "on": { "source": "sync" },
	  "secrets": ["DEPLOY_TOKEN"],
	  "jobs": { "reply": { "steps": [
	    { "run": "hookdir respond --status 200 --header \"X-Token: $DEPLOY_TOKEN\" --body \"token=$DEPLOY_TOKEN, length ${#DEPLOY_TOKEN}\"" }
	  ] } }
	}
	EOF
	check_config &&
	echo "{\"n\":1}" >body.json &&
	start_nginx_fcgi 1 &&
	{ hookdir worker --watch 2>worker.err & } &&
	worker_pid=$! &&
	stop_at_exit $worker_pid
'

test_expect_success 'the answer carries *** where the step put the secret' '
	hookdir_post "$HOOK_URL_BASE/sync" body.json >status &&
	echo 200 >expect &&
	test_cmp expect status &&
	tr -d "\r" <response.headers >headers &&
	test_grep "^X-Token: \*\*\*$" headers &&
	printf "token=***, length %s" ${#TOKEN} >expect &&
	test_cmp expect response &&
	test_grep ! "$TOKEN" headers response
'

test_expect_success 'and nothing of it is left in respond_dir' '
	test_dir_is_empty respond &&
	kill $worker_pid &&
	wait_exit $worker_pid
'

test_done
