#!/bin/bash
test_description='split users: the responder holds the secrets, the worker never reads them

The README'"'"'s layout with two real unprivileged users: hookdir.fcgi runs
as nobody (through nginx) and alone may read the source'"'"'s secret file;
the worker runs as daemon, which shares the spool through its group.
The worker, check and status work without reading the secret; only sign
needs it.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

httpd_require nginx
test_require_prog curl openssl sqlite3 runuser

if ! test_have_prereq ROOT,NOBODY_USER || ! getent passwd daemon >/dev/null; then
	skip_all='needs root and the users nobody and daemon'
	test_done
fi

event_base=1763890
SECRET=split-users-secret-7f3c9e21a4b8

# as_worker CMD...: hookdir as the worker's user.
as_worker () {
	runuser -u daemon -- "$TRASH/bin/hookdir" "$@"
}

test_expect_success 'setup: secrets the responder'"'"'s alone, a spool shared by group' '
	mkdir bin secrets pipelines state &&
	cp "$HOOKDIR" bin/hookdir &&
	chmod 755 bin bin/hookdir &&
	setup_spool &&
	printf "%s\n" "$SECRET" >secrets/site &&
	chmod 600 secrets/site &&
	chmod 700 secrets &&
	chown -R "$HTTPD_USER" secrets &&
	# The spool: the responder owns it, the worker shares its group.
	chown -R "$HTTPD_USER:daemon" spool &&
	chmod 2770 spool spool/tmp spool/new spool/cur spool/done spool/failed &&
	chown daemon: state &&
	chmod 700 state &&
	cat >hookdir.conf <<-EOF &&
	{
	  "spool": "spool", "state": "state", "pipelines": "pipelines",
	  "sources": { "site": { "provider": "github", "secret_file": "secrets/site" } }
	}
	EOF
	cat >pipelines/hello.json <<-\EOF &&
	{ "on": { "source": "site", "events": ["push"] },
	  "jobs": { "a": { "steps": [ { "run": "echo hello $HOOKDIR_EVENT" } ] } } }
	EOF
	chmod 644 hookdir.conf pipelines/hello.json &&
	test_must_fail runuser -u daemon -- cat secrets/site 2>/dev/null &&
	start_nginx_fcgi 1
'

test_expect_success 'the responder, as its user, verifies with the secret and spools' '
	printf "{\"ref\": \"refs/heads/main\"}" >push.json &&
	sig=$(openssl dgst -sha256 -hmac "$SECRET" -r push.json | cut -d" " -f1) &&
	hookdir_post "$HOOK_URL_BASE/site" push.json \
		-H "Content-Type: application/json" -H "X-GitHub-Event: push" \
		-H "X-GitHub-Delivery: split-1" \
		-H "X-Hub-Signature-256: sha256=$sig" >status &&
	echo 202 >expect &&
	test_cmp expect status &&
	ls spool/new >ids &&
	test_line_count = 1 ids &&
	test "$(stat -c %G:%a spool/new/$(cat ids))" = daemon:640
'

test_expect_success 'the worker, as its user, runs it without reading the secret' '
	id=$(cat ids) &&
	as_worker worker --once 2>err &&
	test_line_count = 0 err &&
	test_path_is_file spool/done/$id &&
	test "$(sql "SELECT status FROM runs WHERE event = '\''$id'\''")" = success &&
	as_worker log 1 >log.out &&
	test_grep "hello push" log.out
'

test_expect_success 'check, as the worker'"'"'s user, passes and says what it could not read' '
	as_worker check >check.out 2>&1 &&
	test_grep "secrets/site: not readable by this user: not checked" check.out &&
	test_grep ! "error" check.out
'

test_expect_success 'check, as the responder'"'"'s user, checks the secret itself' '
	runuser -u "$HTTPD_USER" -- "$TRASH/bin/hookdir" check >check2.out 2>&1 &&
	test_grep ! "not readable" check2.out &&
	printf "short\n" >secrets/site &&
	runuser -u "$HTTPD_USER" -- "$TRASH/bin/hookdir" check >check3.out 2>&1 &&
	test_grep "secrets/site.*5 bytes\|the secret has 5 bytes" check3.out &&
	printf "%s\n" "$SECRET" >secrets/site
'

test_expect_success 'status and runs, as the worker'"'"'s user' '
	as_worker status >status.out &&
	test_grep "^done  *1" status.out &&
	as_worker runs >runs.out &&
	test_grep "hello" runs.out
'

test_expect_success 'sign needs the secret: as the worker'"'"'s user it says why' '
	test_must_fail as_worker sign site push.json >sign.out 2>sign.err &&
	test_grep "secrets/site: Permission denied" sign.err &&
	runuser -u "$HTTPD_USER" -- "$TRASH/bin/hookdir" sign site push.json >sign2.out &&
	test_grep "X-Hub-Signature-256: sha256=" sign2.out
'

test_done
