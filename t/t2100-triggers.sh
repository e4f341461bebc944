#!/bin/bash
test_description='triggers: each `on` field alone and combined, with its trace

`hookdir test PIPELINE FILE|ID` evaluates a pipeline against real-shaped
GitHub, Gitea, Bitbucket, Slack and Stripe requests (t/data/events) and
says which `on` field decided and what it saw, without running anything.
At the end the worker itself records the same traces for events that
came through `hookdir inject` and through nginx.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

httpd_prereq nginx
test_lazy_prereq SQLITE3 'command -v sqlite3'
test_lazy_prereq OPENSSL 'command -v openssl'

P=$TEST_DATA/pipelines/trigger
E=$TEST_DATA/events

# The matrix: PIPELINE EVENT EXIT TRACE. Exit 0: it would run its jobs;
# 1: it would not. Each pipeline in t/data/pipelines/trigger tests one
# field, except combined, gitea-release, slack-mention and stripe-paid.
while IFS='|' read -r pipeline event want_code want_trace
do
	case $pipeline in
	''|'#'*) continue ;;
	esac
	test_expect_success "$pipeline on $event: exit $want_code" '
		test_expect_code $want_code hookdir test "$P/$pipeline.json" "$E/$event.msg" >out 2>err &&
		if [ $want_code = 0 ]
		then
			jobs=$(sed -n "s/^would run: //p" out) &&
			printf "%s\nwould run: %s\n" "$want_trace" "$jobs" >expect &&
			test -n "$jobs"
		else
			printf "%s\nwould not run\n" "$want_trace" >expect
		fi &&
		test_cmp expect out &&
		test_line_count = 0 err
	'
done <<\EOF
# source
source-site|github-push|0|matched: source `site`
source-site|stripe-event|1|source: got `pay`, want `site`
# events
events-push|github-push|0|matched: events `push`
events-push|gitea-push|0|matched: events `push`
events-push|github-issues|1|events: got `issues`, want `push`
events-push|slack-command|1|events: got ``, want `push`
# branches, with globs and exclusions
branches-main|github-push|0|matched: branches `main`
branches-main|gitea-push-form|0|matched: branches `release/1.2`
branches-main|github-push-dev|1|branches: ref `refs/heads/dev` matches none of `main`, `release/*`
branches-main|bitbucket-push|1|branches: ref `refs/heads/feature/login` matches none of `main`, `release/*`
branches-main|github-tag|1|branches: ref `refs/tags/v1.2.0` is a tag, not a branch
branches-main|github-issues|1|branches: event `issues` carries no ref (payload.ref is nil)
branches-main|generic-text|1|branches: event `backup` has no JSON payload, so no ref
branches-not-deps|bitbucket-push|0|matched: branches `feature/login`
# tags
tags-v|github-tag|0|matched: tags `v1.2.0`
tags-v|github-push|1|tags: ref `refs/heads/main` is a branch, not a tag
refs-both|github-tag|0|matched: tags `v1.2.0`
refs-both|github-push|0|matched: branches `main`
refs-both|github-push-dev|1|branches: ref `refs/heads/dev` matches none of `main`
# paths
paths-docs|github-push|0|matched: paths `docs/guide/setup.md`
paths-docs|gitea-push|0|matched: paths `docs/index.md`
paths-docs|github-push-dev|1|paths: none of 3 changed files match `docs/**`
paths-docs|github-tag|1|paths: no changed files in 0 commits
paths-docs|github-issues|1|paths: event `issues` lists no changed files (payload.commits is nil)
paths-md|gitea-push|0|matched: paths `CHANGELOG.md`
paths-md|github-push|1|paths: none of 4 changed files match `**/*.md`, `!docs/**`
# match
match-repo|github-push|0|matched: match `$.repository.full_name`
match-repo|gitea-push-form|0|matched: match `$.repository.full_name`
match-repo|github-push-dev|1|match: $.repository.full_name got `"acme/other"`, want `"acme/site"`
match-repo|stripe-event|1|match: $.repository.full_name got nothing, want `"acme/site"`
match-repo|generic-text|1|match: $.repository.full_name: the event has no JSON payload
match-list|github-push|0|matched: match `$.repository.full_name` `$.commits[*].author.username`
match-list|github-push-dev|1|match: $.repository.full_name got `"acme/other"`, want one of `"acme/site"`, `"acme/blog"`
match-amount|stripe-event|0|matched: match `$.data.object.amount` `$.livemode`
match-amount|github-push|1|match: $.data.object.amount got nothing, want one of `1000`, `2000`
# if, nil-safe
if-main|github-push|0|matched: if `payload.ref == 'refs/heads/main'`
if-main|github-push-dev|1|if: `payload.ref == 'refs/heads/main'` was false, payload.ref = `refs/heads/dev`
if-main|stripe-event|1|if: `payload.ref == 'refs/heads/main'` was false, payload.ref = nil
if-nil|github-issues|0|matched: if `payload.pull_request.head.ref == 'x' || payload.issue.labels[0].name == 'docs'`
if-nil|github-push|1|if: `payload.pull_request.head.ref == 'x' || payload.issue.labels[0].name == 'docs'` was false, payload.pull_request.head.ref = nil, payload.issue.labels[0].name = nil
# combined
combined|github-push|0|matched: source `site`, events `push`, branches `main`, paths `docs/guide/setup.md`, match `$.repository.full_name`, if `payload.sender.login != 'dependabot[bot]'`
combined|github-push-dev|1|branches: ref `refs/heads/dev` matches none of `main`, `release/*`
combined|github-issues|1|events: got `issues`, want `push`
combined|gitea-push|1|source: got `forge`, want `site`
gitea-release|gitea-push-form|0|matched: source `forge`, events `push`, branches `release/1.2`, if `payload.repository.full_name == 'acme/site' && len(payload.commits) > 0`
gitea-release|gitea-push|0|matched: source `forge`, events `push`, branches `main`, if `payload.repository.full_name == 'acme/site' && len(payload.commits) > 0`
slack-mention|slack-event|0|matched: source `chat`, events `event_callback`, if `payload.event.type == 'app_mention' && payload.event.text matches 'deploy [a-z]+'`
slack-mention|slack-command|1|events: got ``, want `event_callback`
stripe-paid|stripe-event|0|matched: source `pay`, events `payment_intent.succeeded`, match `$.data.object.metadata.plan`
stripe-paid|github-push|1|source: got `site`, want `pay`
EOF

test_expect_success 'the jobs that would run are listed in dependency order' '
	hookdir test "$P/combined.json" "$E/github-push.msg" >out &&
	test_grep "^would run: jobs build, test, deploy$" out &&
	hookdir test "$P/paths-docs.json" "$E/github-push.msg" >out &&
	test_grep "^would run: job build$" out
'

test_expect_success 'the if decides last: a dependabot push to main' '
	sed -e "s/\"login\": \"alice\"/\"login\": \"dependabot[bot]\"/" \
		"$E/github-push.msg" >bot.msg &&
	test_expect_code 1 hookdir test "$P/combined.json" bot.msg >out &&
	cat >expect <<-\EOF &&
	if: `payload.sender.login != '\''dependabot[bot]'\''` was false, payload.sender.login = `dependabot[bot]`
	would not run
	EOF
	test_cmp expect out
'

test_expect_success 'setup: a configuration, pipelines and a spool' '
	setup_spool &&
	mkdir pipelines secrets &&
	printf "it is a secret\n" >secrets/site &&
	chmod 600 secrets/site &&
	chown_web secrets/site &&
	cat >hookdir.conf <<-\EOF &&
	{
	  "spool": "spool",
	  "state": "state",
	  "pipelines": "pipelines",
	  "sources": {
	    "site": { "provider": "github", "secret_file": "secrets/site" },
	    "forge": { "provider": "gitea", "secret": "forge secret" }
	  }
	}
	EOF
	chown_web hookdir.conf &&
	cat >pipelines/deploy.json <<-\EOF &&
	{
	  "on": {
	    "source": "site",
	    "events": ["push"],
	    "branches": ["main", "release/*"],
	    "if": "payload.sender.login != '\''dependabot[bot]'\''"
	  },
	  "env": { "REF": "${{ payload.ref }}" },
	  "jobs": {
	    "build": { "steps": [ { "run": "echo \"building $REF\"" } ] },
	    "publish": { "needs": ["build"], "steps": [ { "run": "echo published" } ] }
	  }
	}
	EOF
	cp "$P/paths-docs.json" pipelines/docs.json &&
	cp "$P/events-push.json" pipelines/any-push.json &&
	cp "$E/github-push-dev.msg" spool/done/1763787700.M000001P4242R0a1b2c.web1 &&
	cp "$E/github-tag.msg" spool/failed/1763787800.M000002P4242R1c2d3e.web1 &&
	HOOKDIR_CONF=$TRASH/hookdir.conf &&
	export HOOKDIR_CONF
'

test_expect_success 'a pipeline by name, an event by spool id (done/)' '
	test_expect_code 1 hookdir test deploy 1763787700.M000001P4242R0a1b2c.web1 >out &&
	cat >expect <<-\EOF &&
	branches: ref `refs/heads/dev` matches none of `main`, `release/*`
	would not run
	EOF
	test_cmp expect out &&
	test_expect_code 1 hookdir test docs 1763787700.M000001P4242R0a1b2c.web1 >out &&
	test_grep "^paths: none of 3 changed files match \`docs/\*\*\`$" out
'

test_expect_success 'a spool id in failed/; -c names the configuration' '
	hookdir -c "$TRASH/hookdir.conf" test any-push 1763787800.M000002P4242R1c2d3e.web1 >out &&
	test_grep "^matched: events \`push\`$" out &&
	test_grep "^would run: job build$" out
'

test_expect_success 'hookdir test runs nothing and writes nothing' '
	test_path_is_missing state &&
	sleep 1 &&
	touch stamp &&
	hookdir test deploy "$E/github-push.msg" >out &&
	test_grep "^would run: jobs build, publish$" out &&
	find . -newer stamp ! -name out ! -name after ! -name . >after &&
	test_line_count = 0 after &&
	test_path_is_missing state &&
	test "$(spool_count spool/new)" = 0 &&
	test "$(spool_count spool/done)" = 1 &&
	test "$(spool_count spool/failed)" = 1
'

test_expect_success 'errors: unknown pipeline, unknown id, not a message, bad pipeline' '
	test_expect_code 66 hookdir test nosuch "$E/github-push.msg" 2>err &&
	test_grep "no pipeline .nosuch." err &&
	test_expect_code 66 hookdir test deploy 1763787999.M0P0R0.nowhere 2>err &&
	test_grep "no spool file 1763787999.M0P0R0.nowhere in new/, cur/, done/ or failed/" err &&
	test_expect_code 66 hookdir test deploy ../etc/passwd 2>err &&
	test_expect_code 66 hookdir test deploy ..hidden 2>err &&
	printf "not a message" >junk &&
	test_expect_code 65 hookdir test deploy junk 2>err &&
	test_grep "junk: not a spool message" err &&
	printf "{ \"on\": { \"evnts\": \"push\" },\n  \"jobs\": { \"a\": { \"steps\": [ { \"run\": \"true\" } ] } } }\n" >typo.json &&
	test_expect_code 78 hookdir test ./typo.json "$E/github-push.msg" >out 2>err &&
	test_grep "^./typo.json:1: error: on.evnts: unknown key$" err &&
	test_line_count = 0 out &&
	test_expect_code 64 hookdir test "bad name" "$E/github-push.msg" 2>err
'

test_expect_success 'usage' '
	hookdir test --help >out &&
	test_grep "^usage: hookdir test PIPELINE FILE|ID" out &&
	test_expect_code 64 hookdir test deploy 2>err &&
	test_grep "^usage: hookdir test" err
'

test_expect_success SQLITE3 'end to end: the worker records the trace hookdir test shows' '
	sed "1,/^\$/d" "$E/github-push.msg" >push.json &&
	sed "1,/^\$/d" "$E/github-push-dev.msg" >push-dev.json &&
	main=$(hookdir inject --event push --delivery d-main site push.json) &&
	dev=$(hookdir inject --event push --delivery d-dev site push-dev.json) &&
	hookdir worker --once 2>worker.err &&
	sqlite3 state/hookdir.db "SELECT pipeline, matched, trace FROM traces WHERE event = '\''$dev'\'' ORDER BY pipeline" >actual &&
	cat >expect <<-\EOF &&
	any-push|1|matched: events `push`
	deploy|0|branches: ref `refs/heads/dev` matches none of `main`, `release/*`
	docs|0|paths: none of 3 changed files match `docs/**`
	EOF
	test_cmp expect actual &&
	sqlite3 state/hookdir.db "SELECT pipeline, status FROM runs WHERE event = '\''$main'\'' ORDER BY pipeline" >actual &&
	printf "%s\n" "any-push|success" "deploy|success" "docs|success" >expect &&
	test_cmp expect actual &&
	hookdir show "$dev" >show &&
	test_grep "matches none of \`main\`, \`release/\*\`" show &&
	test_expect_code 1 hookdir test deploy "$dev" >out &&
	test_grep "^branches: ref \`refs/heads/dev\` matches none of \`main\`, \`release/\*\`$" out
'

test_expect_success NGINX,SQLITE3,OPENSSL 'end to end through nginx: a signed push, the worker, the trace' '
	start_nginx_fcgi &&
	sed -e "1,/^\$/d" -e "s/\"ref\": \"refs\\/heads\\/main\"/\"ref\": \"refs\\/heads\\/release\\/2.0\"/" \
		"$E/github-push.msg" >release.json &&
	sig=$(openssl dgst -sha256 -hmac "it is a secret" -r release.json | cut -d" " -f1) &&
	hookdir_post "$HOOK_URL_BASE/site" release.json \
		-H "Content-Type: application/json" \
		-H "X-GitHub-Event: push" \
		-H "X-GitHub-Delivery: 5a0e2c4e-cc78-11e3-8000-000000000001" \
		-H "X-Hub-Signature-256: sha256=$sig" >status &&
	echo 202 >expect &&
	test_cmp expect status &&
	id=$(basename "$(spool_files spool/new)") &&
	hookdir test deploy "$id" >dry &&
	test_grep "^matched: source \`site\`, events \`push\`, branches \`release/2.0\`, if " dry &&
	hookdir worker --once 2>worker.err &&
	sqlite3 state/hookdir.db "SELECT trace FROM traces WHERE event = '\''$id'\'' AND pipeline = '\''deploy'\''" >actual &&
	head -n 1 dry >expect &&
	test_cmp expect actual &&
	sqlite3 state/hookdir.db "SELECT status FROM runs WHERE event = '\''$id'\'' AND pipeline = '\''deploy'\''" >actual &&
	echo success >expect &&
	test_cmp expect actual &&
	run=$(sqlite3 state/hookdir.db "SELECT id FROM runs WHERE event = '\''$id'\'' AND pipeline = '\''deploy'\''") &&
	hookdir log "$run" build >log &&
	test_grep "building refs/heads/release/2.0" log
'

test_done
