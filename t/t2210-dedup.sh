#!/bin/bash
test_description='dedup: one set of runs per source and delivery id

A sender that retries (it timed out, it got a 5xx) delivers the same
delivery id again. The worker records the second event as a duplicate of
the first, with duplicate_of, moves it to done/ and starts nothing. Checked
with `hookdir inject`, and end to end through nginx and hookdir.fcgi with
a signed GitHub delivery sent twice.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3
httpd_prereq nginx

test_expect_success 'setup' '
	setup_spool &&
	mkdir pipelines &&
	cat >hookdir.conf <<-\EOF &&
	{
	  "spool": "spool",
	  "state": "state",
	  "pipelines": "pipelines",
	  "sources": {
	    "site": { "provider": "github", "secret": "s3cret" },
	    "mirror": { "provider": "github", "secret": "s3cret" }
	  }
	}
	EOF
	cat >pipelines/count.json <<-EOF &&
	{
	  "on": { "source": ["site", "mirror"], "events": ["push"] },
	  "jobs": { "count": { "steps": [ { "run": "echo \"\$HOOKDIR_EVENT_ID\" >>$TRASH/ran" } ] } }
	}
	EOF
	echo "{\"ref\":\"refs/heads/main\",\"after\":\"abc\"}" >push.json
'

test_expect_success 'the same delivery id twice starts runs once' '
	hookdir inject site push.json --event push --delivery X >first &&
	hookdir inject site push.json --event push --delivery X >second &&
	hookdir worker --once &&
	FIRST=$(cat first) SECOND=$(cat second) &&
	test "$(runs_of "$FIRST")" = 1 &&
	test "$(runs_of "$SECOND")" = 0 &&
	test_line_count = 1 ran &&
	test "$(sql "SELECT status FROM events WHERE id = '\''$FIRST'\''")" = done &&
	test "$(sql "SELECT status || '\'' '\'' || duplicate_of FROM events WHERE id = '\''$SECOND'\''")" = "duplicate $FIRST" &&
	test_path_is_file "spool/done/$FIRST" &&
	test_path_is_file "spool/done/$SECOND" &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/cur
'

test_expect_success 'show says what the duplicate duplicates' '
	hookdir show "$(cat second)" >out &&
	test_grep "^Status: *duplicate" out &&
	test_grep "^Duplicate of: $(cat first)" out &&
	test_grep "^Runs: none" out
'

test_expect_success 'a third copy, in a later worker pass, is a duplicate too' '
	hookdir inject site push.json --event push --delivery X >third &&
	hookdir worker --once &&
	test "$(runs_of "$(cat third)")" = 0 &&
	test "$(sql "SELECT duplicate_of FROM events WHERE id = '\''$(cat third)'\''")" = "$(cat first)" &&
	test_line_count = 1 ran
'

test_expect_success 'the same delivery id from another source is not a duplicate' '
	hookdir inject mirror push.json --event push --delivery X >other &&
	hookdir worker --once &&
	test "$(runs_of "$(cat other)")" = 1 &&
	test "$(sql "SELECT status FROM events WHERE id = '\''$(cat other)'\''")" = done &&
	test_line_count = 2 ran
'

test_expect_success 'without a delivery id nothing is deduplicated' '
	hookdir inject site push.json --event push >a &&
	hookdir inject site push.json --event push >b &&
	hookdir worker --once &&
	test "$(runs_of "$(cat a)")" = 1 &&
	test "$(runs_of "$(cat b)")" = 1 &&
	test_line_count = 4 ran
'

test_expect_success 'a requeued duplicate is run: the user asked for it' '
	SECOND=$(cat second) &&
	hookdir requeue "$SECOND" &&
	hookdir worker --once &&
	test "$(runs_of "$SECOND")" = 1 &&
	test "$(sql "SELECT status || attempts FROM events WHERE id = '\''$SECOND'\''")" = done2 &&
	test_line_count = 5 ran
'

test_expect_success NGINX 'through nginx: a signed delivery sent twice runs once' '
	chown_web spool &&
	start_nginx_fcgi &&
	"$TEST_TOOL" sign hookdir.conf site push.json >sig &&
	echo "X-GitHub-Event: push" >>sig &&
	echo "X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958" >>sig &&
	echo "Content-Type: application/json" >>sig &&
	hookdir_post "$HOOK_URL_BASE/site" push.json -H @sig >code &&
	echo 202 >expect &&
	test_cmp expect code &&
	hookdir_post "$HOOK_URL_BASE/site" push.json -H @sig >code &&
	test_cmp expect code &&
	test "$(spool_count spool/new)" = 2 &&
	hookdir worker --once &&
	test_dir_is_empty spool/new &&
	test "$(sql "SELECT count(*) FROM events WHERE delivery = '\''72d3162e-cc78-11e3-81ab-4c9367dc0958'\''")" = 2 &&
	test "$(sql "SELECT count(*) FROM events WHERE delivery = '\''72d3162e-cc78-11e3-81ab-4c9367dc0958'\'' AND status = '\''duplicate'\''")" = 1 &&
	test "$(sql "SELECT count(*) FROM runs JOIN events ON runs.event = events.id WHERE events.delivery = '\''72d3162e-cc78-11e3-81ab-4c9367dc0958'\''")" = 1 &&
	test "$(sql "SELECT d.duplicate_of = o.id FROM events d, events o WHERE d.status = '\''duplicate'\'' AND o.status = '\''done'\'' AND d.delivery = o.delivery AND d.delivery LIKE '\''72d3162e%'\''")" = 1 &&
	test_line_count = 6 ran
'

test_done
