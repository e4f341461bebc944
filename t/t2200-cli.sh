#!/bin/bash
test_description='the hookdir command: inject, ls, show, runs, log, status, requeue

Events go into a real spool with `hookdir inject`, the real worker runs
them, and every inspecting subcommand is checked against the spool files,
the SQLite history (through the sqlite3 CLI) and the step logs. JSON
output is read with sqlite3 json_extract(), so neither jq nor python is
needed.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

# json_q FILE PATH: a value of the JSON in FILE (sqlite3's json_extract).
json_q () {
	sqlite3 :memory: "SELECT json_extract(CAST(readfile('$1') AS TEXT), '$2')"
}

# json_len FILE: the length of the JSON array in FILE.
json_len () {
	sqlite3 :memory: "SELECT json_array_length(CAST(readfile('$1') AS TEXT))"
}

# json_type FILE PATH: object, array, text, integer, null ...
json_type () {
	sqlite3 :memory: "SELECT json_type(CAST(readfile('$1') AS TEXT), '$2')"
}

test_must_be_empty_ () {
	test -f "$1" && ! test -s "$1"
}

test_expect_success 'setup' '
	setup_spool &&
	mkdir pipelines &&
	cat >hookdir.conf <<-\EOF &&
	{
	  "spool": "spool",
	  "state": "state",
	  "pipelines": "pipelines",
	  "sources": {
	    "site": { "provider": "github" },
	    "any": { "provider": "auto" }
	  }
	}
	EOF
	cat >pipelines/deploy.json <<-\EOF &&
	{
	  "on": { "source": "site", "events": ["push"] },
	  "jobs": {
	    "build": {
	      "steps": [
	        { "name": "hello", "run": "echo \"hello $HOOKDIR_EVENT\"; echo to-stderr >&2" },
	        { "run": "echo \"conf=$HOOKDIR_CONF\"" }
	      ]
	    },
	    "report": {
	      "needs": ["build"],
	      "steps": [ { "name": "fail", "run": "echo reporting; exit 3" } ]
	    }
	  }
	}
	EOF
	cat >pipelines/issues.json <<-\EOF &&
	{
	  "on": { "source": "site", "events": ["issues"] },
	  "jobs": { "triage": { "steps": [ { "run": "echo triage" } ] } }
	}
	EOF
	printf "%s\n" "{\"ref\":\"refs/heads/main\",\"after\":\"abc123\",\"repository\":{\"full_name\":\"acme/site\"},\"note\":\"caf\\u00e9\"}" >push.json &&
	printf "plain\001text\377end\n" >binary.txt
'

for cmd in worker check test ls show requeue inject runs log status gc
do
	test_expect_success "$cmd --help and help $cmd exit 0" "
		hookdir $cmd --help >out 2>err &&
		test_grep 'usage: hookdir $cmd' out &&
		hookdir help $cmd >out2 &&
		test_cmp out out2
	"
done

test_expect_success 'usage errors exit 64' '
	test_expect_code 64 hookdir 2>err &&
	test_grep "usage: hookdir" err &&
	test_expect_code 64 hookdir no-such-command 2>err &&
	test_grep "no command .no-such-command." err &&
	test_expect_code 64 hookdir help no-such-command 2>err &&
	test_expect_code 64 hookdir --no-such-option ls 2>err &&
	test_expect_code 64 hookdir ls --no-such-option 2>err &&
	test_expect_code 64 hookdir ls sideways 2>err &&
	test_expect_code 64 hookdir show 2>err &&
	test_expect_code 64 hookdir log 2>err &&
	test_expect_code 64 hookdir log notanumber 2>err &&
	test_expect_code 64 hookdir runs -n many 2>err
'

test_expect_success 'hookdir --help, help and --version' '
	hookdir --help >out &&
	test_grep "^  requeue " out &&
	hookdir help >out2 &&
	test_cmp out out2 &&
	hookdir --version >out &&
	test_grep "^hookdir [0-9]" out
'

test_expect_success 'a broken configuration exits 78 with file and line' '
	printf "{\n  \"spool\": 1\n}\n" >broken.conf &&
	test_expect_code 78 hookdir -c broken.conf ls 2>err &&
	test_grep "broken.conf:2" err
'

test_expect_success 'inject refuses what it cannot enqueue' '
	test_expect_code 65 hookdir inject nosuch push.json 2>err &&
	test_grep "no source .nosuch." err &&
	test_expect_code 66 hookdir inject site missing.json 2>err &&
	test_expect_code 64 hookdir inject site push.json --header "no colon" 2>err &&
	test_expect_code 64 hookdir inject site push.json --header "Hookdir-Source: x" 2>err &&
	test_expect_code 64 hookdir inject site 2>err &&
	test_dir_is_empty spool/new &&
	test_dir_is_empty spool/tmp
'

test_expect_success 'inject writes a spool message through the spool writer' '
	hookdir inject site push.json --event push --delivery d-1 \
		--header "X-Extra: yes" >id &&
	test_line_count = 1 id &&
	ID=$(cat id) &&
	test_path_is_file "spool/new/$ID" &&
	test_dir_is_empty spool/tmp &&
	sed -n "1,/^\$/p" "spool/new/$ID" >head &&
	test_grep "^Hookdir-Id: $ID\$" head &&
	test_grep "^Hookdir-Source: site\$" head &&
	test_grep "^Hookdir-Provider: github\$" head &&
	test_grep "^Hookdir-Event: push\$" head &&
	test_grep "^Hookdir-Delivery: d-1\$" head &&
	test_grep "^Hookdir-Verified: injected\$" head &&
	test_grep "^Content-Type: application/json\$" head &&
	test_grep "^Content-Length: $(wc -c <push.json | tr -d " ")\$" head &&
	test_grep "^X-Extra: yes\$" head &&
	sed "1,/^\$/d" "spool/new/$ID" >body &&
	test_cmp push.json body &&
	echo "$ID" >push.id
'

test_expect_success 'inject takes the event type from the headers as the provider does' '
	hookdir inject site push.json --header "X-GitHub-Event: issues" \
		--header "X-GitHub-Delivery: d-2" >id &&
	ID=$(cat id) &&
	test_grep "^Hookdir-Event: issues\$" "spool/new/$ID" &&
	test_grep "^Hookdir-Delivery: d-2\$" "spool/new/$ID" &&
	echo "$ID" >issues.id
'

test_expect_success 'inject reads standard input; auto sources say inject' '
	hookdir inject any - --content-type text/plain <binary.txt >id &&
	ID=$(cat id) &&
	test_grep "^Hookdir-Provider: inject\$" "spool/new/$ID" &&
	test_grep "^Content-Type: text/plain\$" "spool/new/$ID" &&
	test_grep ! "^Hookdir-Event:" "spool/new/$ID" &&
	sed "1,/^\$/d" "spool/new/$ID" >body &&
	cmp binary.txt body &&
	echo "$ID" >binary.id
'

test_expect_success 'ls lists new/ oldest first, TSV for scripts' '
	hookdir ls >out &&
	test_line_count = 3 out &&
	cut -f1 out >ids &&
	cat push.id issues.id binary.id >expect &&
	test_cmp expect ids &&
	head -n 1 out | cut -f4,5,6 >got &&
	printf "site\tpush\t%s\n" "$(wc -c <push.json | tr -d " ")" >expect &&
	test_cmp expect got &&
	sed -n 3p out | cut -f4,5 >got &&
	printf "any\t-\n" >expect &&
	test_cmp expect got &&
	hookdir ls new >out2 &&
	cut -f1,2,4- out >expect &&
	cut -f1,2,4- out2 >got &&
	test_cmp expect got &&
	hookdir ls done >out &&
	test_must_be_empty_ out
'

test_expect_success 'ls --json' '
	hookdir ls --json >ls.json &&
	test "$(json_q ls.json "\$[0].id")" = "$(cat push.id)" &&
	test "$(json_q ls.json "\$[0].dir")" = new &&
	test "$(json_q ls.json "\$[0].delivery")" = d-1 &&
	test "$(json_q ls.json "\$[0].size")" = "$(wc -c <push.json | tr -d " ")" &&
	test "$(json_len ls.json)" = 3
'

test_expect_success 'show prints headers and the JSON body pretty' '
	hookdir show "$(cat push.id)" >out &&
	test_grep "^File: .*/spool/new/$(cat push.id) (new)\$" out &&
	test_grep "^Status: *not processed yet" out &&
	test_grep "^  Hookdir-Delivery: d-1\$" out &&
	test_grep "^  \"ref\": \"refs/heads/main\",\$" out &&
	test_grep "^    \"full_name\": \"acme/site\"\$" out &&
	test_grep "\"note\": \"café\"" out
'

test_expect_success 'show escapes what a terminal should not get raw' '
	hookdir show "$(cat binary.id)" >out &&
	test_grep -F "plain\\x01text\\xffend" out
'

test_expect_success 'show --json' '
	hookdir show --json "$(cat push.id)" >show.json &&
	test "$(json_q show.json "\$.dir")" = new &&
	test "$(json_q show.json "\$.body.repository.full_name")" = acme/site &&
	test "$(json_q show.json "\$.headers[2].name")" = Hookdir-Source &&
	test "$(json_q show.json "\$.headers[2].value")" = site &&
	test "$(json_q show.json "\$.history")" = ""
'

test_expect_success 'show: unknown and malformed ids' '
	test_expect_code 66 hookdir show 1.M1P1R1.nowhere 2>err &&
	test_grep "no event" err &&
	test_expect_code 64 hookdir show ../hookdir.conf 2>err
'

test_expect_success 'status --json counts the spool before the worker' '
	hookdir status --json >status.json &&
	test "$(json_q status.json "\$.spool.new")" = 3 &&
	test "$(json_q status.json "\$.spool.done")" = 0 &&
	test "$(json_q status.json "\$.oldest_new.id")" = "$(cat push.id)" &&
	test "$(json_q status.json "\$.runs.running")" = 0 &&
	test "$(json_q status.json "\$.last_run")" = ""
'

test_expect_success 'runs with no history yet: nothing, no error' '
	hookdir runs >out &&
	test_must_be_empty_ out &&
	hookdir runs --json >runs.json &&
	test "$(json_len runs.json)" = 0
'

test_expect_success 'the worker runs them (config given relative with -c)' '
	env -u HOOKDIR_CONF hookdir -c hookdir.conf worker --once &&
	test_dir_is_empty spool/new &&
	test "$(spool_count spool/done)" = 3 &&
	test "$(sql "SELECT count(*) FROM runs")" = 2
'

test_expect_success 'runs --json has the documented shape' '
	hookdir runs --json >runs.json &&
	test "$(json_len runs.json)" = 2 &&
	test "$(json_q runs.json "\$[0].pipeline")" = issues &&
	test "$(json_q runs.json "\$[0].event")" = "$(cat issues.id)" &&
	test "$(json_q runs.json "\$[0].status")" = success &&
	test "$(json_q runs.json "\$[1].pipeline")" = deploy &&
	test "$(json_q runs.json "\$[1].event")" = "$(cat push.id)" &&
	test "$(json_q runs.json "\$[1].status")" = failure &&
	test "$(json_q runs.json "\$[1].id")" = "$(sql "SELECT id FROM runs WHERE pipeline = '\''deploy'\''")" &&
	test "$(json_q runs.json "\$[1].started")" = "$(sql "SELECT started FROM runs WHERE pipeline = '\''deploy'\''")" &&
	test "$(json_q runs.json "\$[1].finished")" = "$(sql "SELECT finished FROM runs WHERE pipeline = '\''deploy'\''")" &&
	test "$(json_q runs.json "\$[1].jobs[0].name")" = build &&
	test "$(json_q runs.json "\$[1].jobs[0].status")" = success &&
	test "$(json_q runs.json "\$[1].jobs[1].name")" = report &&
	test "$(json_q runs.json "\$[1].jobs[1].status")" = failure &&
	test -n "$(json_q runs.json "\$[1].created")" &&
	test "$(json_type runs.json "\$[1].jobs[0].outputs")" = object &&
	test "$(json_type runs.json "\$[1].reason")" = text &&
	test "$(json_type runs.json "\$[0].reason")" = null
'

test_expect_success 'runs: TSV and filters' '
	hookdir runs >out &&
	test_line_count = 2 out &&
	cut -f2,3 out >got &&
	printf "issues\tsuccess\ndeploy\tfailure\n" >expect &&
	test_cmp expect got &&
	hookdir runs --pipeline deploy >out &&
	test_line_count = 1 out &&
	hookdir runs --status success >out &&
	cut -f2 out >got &&
	echo issues >expect &&
	test_cmp expect got &&
	hookdir runs --event "$(cat push.id)" >out &&
	cut -f2 out >got &&
	echo deploy >expect &&
	test_cmp expect got &&
	hookdir runs -n 1 >out &&
	test_line_count = 1 out &&
	hookdir runs --pipeline nope >out &&
	test_must_be_empty_ out
'

test_expect_success 'show after the worker: status, triggers and runs' '
	hookdir show "$(cat push.id)" >out &&
	test_grep "^File: .*/spool/done/$(cat push.id) (done)\$" out &&
	test_grep "^Status: *done" out &&
	test_grep "^  deploy: ran: run [0-9]*, failure\$" out &&
	test_grep "^  issues: did not run\$" out &&
	test_grep "events: .*push" out &&
	test_grep "run [0-9]*  deploy  failure" out &&
	test_grep "job report: failure" out &&
	hookdir show --json "$(cat push.id)" >show.json &&
	test "$(json_q show.json "\$.history.status")" = done &&
	test "$(json_q show.json "\$.history.runs[0].pipeline")" = deploy &&
	test "$(json_q show.json "\$.history.traces[0].pipeline")" = deploy &&
	test "$(json_q show.json "\$.history.traces[0].matched")" = 1 &&
	test "$(json_q show.json "\$.history.traces[1].matched")" = 0
'

test_expect_success 'log prints every step of a run with a header each' '
	RUN=$(sql "SELECT id FROM runs WHERE pipeline = '\''deploy'\''") &&
	hookdir log "$RUN" >out &&
	test_grep "^==> build/hello: success, exit 0 <==\$" out &&
	test_grep "^hello push\$" out &&
	test_grep "^to-stderr\$" out &&
	test_grep "^==> build/2: success" out &&
	test_grep "^==> report/fail: failure, exit 3 <==\$" out &&
	test_grep "^reporting\$" out
'

test_expect_success 'log of one job, and one step raw' '
	RUN=$(sql "SELECT id FROM runs WHERE pipeline = '\''deploy'\''") &&
	hookdir log "$RUN" report >out &&
	test_grep ! "hello" out &&
	test_grep "^reporting\$" out &&
	hookdir log "$RUN" build hello >out &&
	printf "hello push\nto-stderr\n" >expect &&
	test_cmp expect out &&
	hookdir log "$RUN" build 1 >out &&
	test_cmp expect out
'

test_expect_success 'steps see HOOKDIR_CONF as an absolute path' '
	RUN=$(sql "SELECT id FROM runs WHERE pipeline = '\''deploy'\''") &&
	hookdir log "$RUN" build 2 >out &&
	echo "conf=$TRASH/hookdir.conf" >expect &&
	test_cmp expect out
'

test_expect_success 'log: no such run, job or step' '
	test_expect_code 66 hookdir log 9999 2>err &&
	test_grep "no run 9999" err &&
	RUN=$(sql "SELECT id FROM runs WHERE pipeline = '\''deploy'\''") &&
	test_expect_code 66 hookdir log "$RUN" nojob 2>err &&
	test_expect_code 66 hookdir log "$RUN" build nostep 2>err
'

test_expect_success 'status after the worker' '
	hookdir status --json >status.json &&
	test "$(json_q status.json "\$.spool.new")" = 0 &&
	test "$(json_q status.json "\$.spool.done")" = 3 &&
	test "$(json_q status.json "\$.spool.failed")" = 0 &&
	test "$(json_q status.json "\$.oldest_new")" = "" &&
	test "$(json_q status.json "\$.runs.failed_24h")" = 1 &&
	test "$(json_q status.json "\$.last_run.pipeline")" = issues &&
	hookdir status >out &&
	test_grep "^done  *3" out &&
	test_grep "^failures  *1 run," out
'

test_expect_success 'an unreadable file ends in failed/' '
	printf "no headers here" >spool/tmp/1.M1P1Rbad.host &&
	mv spool/tmp/1.M1P1Rbad.host spool/new/ &&
	hookdir worker --once &&
	test_path_is_file spool/failed/1.M1P1Rbad.host &&
	test "$(sql "SELECT status FROM events WHERE id = '\''1.M1P1Rbad.host'\''")" = failed &&
	hookdir ls failed >out &&
	cut -f1,4,5,6 out >got &&
	printf "1.M1P1Rbad.host\t-\t-\t15\n" >expect &&
	test_cmp expect got &&
	hookdir show 1.M1P1Rbad.host >out &&
	test_grep "^Status: *failed" out &&
	test_grep "^Reason: " out &&
	test_grep "^Not a spool message" out &&
	test_grep "^no headers here\$" out
'

test_expect_success 'requeue moves a file from failed/ back to new/' '
	hookdir requeue 1.M1P1Rbad.host >out &&
	test_grep "requeued 1.M1P1Rbad.host from failed/" out &&
	test_path_is_file spool/new/1.M1P1Rbad.host &&
	test_path_is_missing spool/failed/1.M1P1Rbad.host &&
	test "$(sql "SELECT requeued FROM events WHERE id = '\''1.M1P1Rbad.host'\''")" = 1 &&
	rm spool/new/1.M1P1Rbad.host
'

test_expect_success 'a requeued done event runs again as a new attempt' '
	ID=$(cat push.id) &&
	hookdir requeue "$ID" &&
	test_path_is_file "spool/new/$ID" &&
	hookdir worker --once &&
	test_path_is_file "spool/done/$ID" &&
	test "$(sql "SELECT attempts || status FROM events WHERE id = '\''$ID'\''")" = 2done &&
	hookdir runs --event "$ID" --json >runs.json &&
	test "$(json_len runs.json)" = 2 &&
	test "$(json_q runs.json "\$[0].attempt")" = 2
'

test_expect_success 'requeue: unknown, busy and malformed ids' '
	test_expect_code 66 hookdir requeue 1.M1P1Rnone.host 2>err &&
	test_grep "no 1.M1P1Rnone.host" err &&
	test_expect_code 64 hookdir requeue ../x 2>err &&
	test_expect_code 64 hookdir requeue 2>err
'

test_expect_success 'log --follow prints a running step until it ends' '
	cat >pipelines/slow.json <<-\EOF &&
	{
	  "on": { "source": "any" },
	  "jobs": { "slow": { "steps": [ { "name": "s", "run": "echo first; sleep 1; echo second" } ] } }
	}
	EOF
	hookdir inject any push.json >id &&
	{ hookdir worker --once >worker.out 2>&1 & } &&
	WPID=$! &&
	test_when_finished "kill $WPID 2>/dev/null; wait $WPID 2>/dev/null; :" &&
	n=0 &&
	while RUN=$(sql "SELECT id FROM runs WHERE pipeline = '\''slow'\''" 2>/dev/null) &&
		test -z "$RUN" && test $n -lt 300
	do
		sleep 0.1; n=$((n + 1))
	done &&
	test -n "$RUN" &&
	timeout 60 hookdir log --follow "$RUN" slow s >out &&
	printf "first\nsecond\n" >expect &&
	test_cmp expect out &&
	test "$(sql "SELECT status FROM steps WHERE run = $RUN")" = success
'

test_done
