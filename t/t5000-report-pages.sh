#!/bin/bash
test_description='status pages: hookdir report --html, in a real browser

A signed webhook goes through nginx into the spool, the worker runs a
pipeline with a fan-out, a failing step and a payload holding a <script>
tag, and writes the status pages ("report": {"html": "www"}).  The same
nginx serves the pages; headless Chromium loads the index and the run
page, and the DOM it renders must hold the job graph (a node per job, the
fanned-out instances inside their group, the needs as edges), the
timeline, the logs, and the <script> as text.  A screenshot is kept in the
scratch directory.  Also: the queue page, the filter pages, atomic
rewrites, the worker refreshing the pages under --watch, and errors.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog curl openssl sqlite3 chromium
httpd_require nginx

# chromium_dom URL: the DOM after the page loaded (no JavaScript runs in
# these pages; --dump-dom shows what the browser parsed and built).
chromium_dom () {
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-dev-shm-usage \
		--user-data-dir="$TRASH/chromium" --virtual-time-budget=2000 \
		--dump-dom "$1" 2>chromium.err
}

chromium_shot () {
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-dev-shm-usage \
		--user-data-dir="$TRASH/chromium" --hide-scrollbars \
		--window-size=1100,1400 --screenshot="$2" "$1" 2>chromium.err
}

test_expect_success 'setup: a pipeline, nginx with hookdir.fcgi and the pages' '
	setup_worker &&
	cat >hookdir.conf <<-\EOF &&
	{
		"sources": { "test": { "provider": "generic", "secret": "s3cret",
				       "event_header": "X-Event" } },
		"report": { "html": "www" }
	}
	EOF
	cat >pipelines/deploy.json <<-\EOF &&
	{
	  "on": { "source": "test" },
	  "env": { "TITLE": "${{ payload.title }}" },
	  "jobs": {
	    "build": { "steps": [
	      { "name": "compile", "run": "echo compiling the site; echo hosts=[\\\"web1\\\",\\\"web2\\\"] >>\"$HOOKDIR_OUTPUT\"" },
	      { "name": "title", "run": "printf \"title: %s\\n\" \"$TITLE\"" } ] },
	    "lint": { "needs": ["build"],
	      "steps": [ { "name": "check", "run": "echo lint failed >&2; exit 3" } ] },
	    "ship": { "needs": ["build"], "for_each": "needs.build.outputs.hosts",
	      "steps": [ { "name": "copy", "run": "echo shipping to $HOOKDIR_ITEM" } ] },
	    "notify": { "needs": ["lint", "ship"], "if": "true",
	      "steps": [ { "name": "mail", "run": "echo all done" },
			 { "run": "echo unnamed" } ] }
	  }
	}
	EOF
	check_config &&
	cat >body.json <<-\EOF &&
	{"title": "<script>document.title=\"pwned\"</script> & more"}
	EOF
	mkdir www && chown_web www &&
	HTTPD_NGINX_STATIC="status $TRASH/www" start_nginx_fcgi 1
'

test_expect_success 'a signed webhook through nginx runs the pipeline' '
	hookdir_post "$HOOK_URL_BASE/test" body.json \
		-H "Content-Type: application/json" -H "X-Event: push" \
		-H "X-Webhook-Signature: $(hmac_sha256_hex s3cret body.json)" >status &&
	echo 202 >expect && test_cmp expect status &&
	hookdir worker --once 2>worker.err &&
	run=$(last_run deploy) && test "$run" = 1 &&
	run_status_is "$(response_id)" failure
'

test_expect_success 'the worker wrote the pages, each whole' '
	for f in index queue run-1 pipeline-deploy status-failure \
	    status-success status-queued status-running status-skipped \
	    status-cancelled status-timed_out status-interrupted
	do
		test_path_is_file "www/$f.html" &&
		tail -n 1 "www/$f.html" >last &&
		test_grep "</html>" last || return 1
	done &&
	find www -name ".*" >temps &&
	test_line_count = 0 temps &&
	test "$(stat -c %a www/run-1.html)" = 644
'

test_expect_success 'Chromium: the index lists the run with its status' '
	chromium_dom "$HTTPD_URL/status/" >index.dom &&
	test_grep "<a href=\"run-1.html\">#1</a>" index.dom &&
	test_grep "class=\"badge status-failure\"" index.dom &&
	test_grep "<a href=\"pipeline-deploy.html\">deploy</a>" index.dom
'

test_expect_success 'Chromium: the run page draws the job graph' '
	chromium_dom "$HTTPD_URL/status/run-1.html" >run.dom &&
	test_grep "<title>Run #1 - hookdir</title>" run.dom &&
	for j in build lint notify
	do
		test_grep "<g class=\"node status-[a-z_]*\" data-job=\"$j\">" run.dom ||
		return 1
	done &&
	test_grep "class=\"node status-success\" data-job=\"build\"" run.dom &&
	test_grep "class=\"node status-failure\" data-job=\"lint\"" run.dom &&
	test_grep "<g class=\"group\" data-job=\"ship\">" run.dom &&
	test_grep "data-job=\"ship\\[0\\]\"" run.dom &&
	test_grep "data-job=\"ship\\[1\\]\"" run.dom &&
	test_grep "data-from=\"build\" data-to=\"lint\"" run.dom &&
	test_grep "data-from=\"build\" data-to=\"ship\"" run.dom &&
	test_grep "data-from=\"lint\" data-to=\"notify\"" run.dom &&
	test_grep "data-from=\"ship\" data-to=\"notify\"" run.dom &&
	test_must_fail grep "data-to=\"build\"" run.dom
'

test_expect_success 'Chromium: the timeline and the logs are on the page' '
	test_grep "<svg class=\"timeline\"" run.dom &&
	test_grep "<rect class=\"bar\"" run.dom &&
	test_grep "compiling the site" run.dom &&
	test_grep "lint failed" run.dom &&
	test_grep "shipping to web1" run.dom &&
	test_grep "shipping to web2" run.dom &&
	test_grep "exit 3" run.dom &&
	test_grep "<summary>step 2 <span" run.dom &&
	test_grep "<code>hosts</code>" run.dom
'

test_expect_success 'Chromium: a <script> in the payload shows as text' '
	test_grep "title: &lt;script&gt;document.title=\"pwned\"&lt;/script&gt; &amp; more" run.dom &&
	test_must_fail grep "<script" run.dom &&
	test_must_fail grep pwned www/index.html &&
	test_must_fail grep "<title>pwned" run.dom
'

test_expect_success 'Chromium: a screenshot of the run page' '
	chromium_shot "$HTTPD_URL/status/run-1.html" run.png &&
	test_file_not_empty run.png &&
	printf "\211PNG" >png.magic &&
	head -c 4 run.png >magic &&
	test_cmp png.magic magic &&
	say "screenshot: $TRASH/run.png" &&
	# The README shows one: HOOKDIR_SCREENSHOTS=DIR keeps a copy there.
	if [ -n "${HOOKDIR_SCREENSHOTS:-}" ]
	then
		cp run.png "$HOOKDIR_SCREENSHOTS/report-run.png"
	fi
'

test_expect_success 'the filter pages hold only their runs' '
	test_grep "run-1.html" www/status-failure.html &&
	test_must_fail grep "run-1.html" www/status-success.html &&
	test_grep "run-1.html" www/pipeline-deploy.html
'

test_expect_success 'the queue page counts the spool' '
	new_message push &&
	echo "not a message" >"spool/tmp/$event" &&
	mv "spool/tmp/$event" "spool/new/$event" &&
	queue_event push &&
	hookdir report &&
	chromium_dom "$HTTPD_URL/status/queue.html" >queue.dom &&
	test_grep "<td id=\"count-new\">2</td>" queue.dom &&
	test_grep "<td id=\"count-failed\">0</td>" queue.dom &&
	hookdir worker --once 2>worker.err &&
	chromium_dom "$HTTPD_URL/status/queue.html" >queue.dom &&
	test_grep "<td id=\"count-new\">0</td>" queue.dom &&
	test_grep "<td id=\"count-failed\">1</td>" queue.dom &&
	test_grep "<code>$event_base" queue.dom &&
	test_grep "none" queue.dom
'

test_expect_success 'the worker refreshes the index after each run' '
	test_grep "run-2.html" www/index.html &&
	test_path_is_file www/run-2.html
'

test_expect_success 'hookdir worker --watch refreshes the pages by itself' '
	hookdir worker --watch 2>watch.err &
	pid=$! &&
	stop_at_exit $pid &&
	queue_event push &&
	wait_for test -f www/run-3.html &&
	wait_for grep -q "run-3.html" www/index.html &&
	kill -TERM $pid &&
	wait_exit $pid
'

test_expect_success 'a reader never sees half a page' '
	( for i in $(seq 30); do hookdir report --html www || exit 1; done ) &
	writer=$! &&
	: >torn &&
	while process_alive $writer
	do
		cat www/index.html www/run-1.html >read.html 2>/dev/null &&
		{ test "$(grep -c "</html>" read.html)" = 2 || echo torn >>torn; }
	done &&
	wait $writer &&
	test_line_count = 0 torn
'

test_expect_success 'hookdir report removes the pages of runs gc forgot' '
	echo stale >www/run-999.html &&
	echo kept >www/run-notes.html &&
	hookdir report &&
	test_path_is_missing www/run-999.html &&
	test_path_is_file www/run-notes.html &&
	test_path_is_file www/run-1.html
'

test_expect_success 'without a history: empty listings, no database made' '
	mkdir fresh &&
	setup_spool fresh/spool &&
	echo "{ \"sources\": {} }" >fresh/hookdir.conf &&
	hookdir -c fresh/hookdir.conf report --html fresh/www 2>err &&
	test_grep "No runs." fresh/www/index.html &&
	test_path_is_file fresh/www/queue.html &&
	test_path_is_missing fresh/state/hookdir.db
'

test_expect_success 'errors: no directory, bad --limit, bad report keys' '
	echo "{ \"sources\": {} }" >fresh/bare.conf &&
	test_expect_code 64 hookdir -c fresh/bare.conf report 2>err &&
	test_grep "report.*html" err &&
	test_expect_code 64 hookdir report --limit many 2>err &&
	test_grep "limit" err &&
	printf "{\n \"sources\": {},\n \"report\": { \"html\": 5, \"web\": 1 }\n}\n" >fresh/bad.conf &&
	test_must_fail hookdir -c fresh/bad.conf check >err 2>&1 &&
	test_grep "bad.conf:3:.*report.html" err &&
	test_grep "bad.conf:3:.*report.web: unknown key" err
'

test_expect_success 'pages that cannot be written: an error, the worker goes on' '
	echo "not a directory" >plainfile &&
	sed -e "s/\"html\": \"www\"/\"html\": \"plainfile\/www\"/" hookdir.conf >bad-report.conf &&
	test_grep plainfile bad-report.conf &&
	test_must_fail hookdir -c bad-report.conf report 2>err &&
	test_grep "report: .*plainfile" err &&
	queue_event push &&
	hookdir -c bad-report.conf worker --once 2>worker.err &&
	test_grep "report: .*plainfile" worker.err &&
	run_status_is "$event" failure
'

test_done
