#!/bin/bash
test_description='dedup keys: what each sender keeps the same across its retries

A retry is recognised by what its provider documents as stable across
retries, not by a per-attempt header: Kiket and Stripe by the body'"'"'s
"id", Slack by "event_id", Standard Webhooks by webhook-id, Shopify by
X-Shopify-Event-Id, GitLab by Idempotency-Key, and so on. For every
provider default: a retry (same stable id, new per-attempt headers) runs
once, and a new delivery runs again. Then the source'"'"'s "dedup"
override (a header, a JSONPath, false), the dedup window, what show and
why say, and a signed Kiket retry end to end through nginx.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3
httpd_prereq nginx

# deliver SOURCE 'H: V|H: V' BODY: inject it; its spool id in $ev.
deliver () {
	local a=() h IFS='|'
	for h in $2
	do
		a+=(--header "$h")
	done
	printf '%s\n' "$3" >body.json &&
	ev=$(hookdir inject --event e "${a[@]}" "$1" body.json)
}

# retried SOURCE FIRST-HEADERS FIRST-BODY RETRY-HEADERS RETRY-BODY
#     NEW-HEADERS NEW-BODY: the retry runs nothing, the new one runs.
retried () {
	deliver "$1" "$2" "$3" && first=$ev &&
	deliver "$1" "$4" "$5" && retry=$ev &&
	deliver "$1" "$6" "$7" && new=$ev &&
	hookdir worker --once &&
	test "$(runs_of $first)" = 1 &&
	test "$(runs_of $retry)" = 0 &&
	test "$(sql "SELECT status || ' ' || duplicate_of FROM events WHERE id = '$retry'")" = "duplicate $first" &&
	test "$(runs_of $new)" = 1
}

test_expect_success 'setup' '
	setup_spool &&
	mkdir pipelines &&
	S=0123456789abcdef0123456789abcdef &&
	cat >hookdir.conf <<-EOF &&
	{
	  "spool": "spool",
	  "state": "state",
	  "pipelines": "pipelines",
	  "sources": {
	    "github": { "provider": "github", "secret": "${S}github" },
	    "gitea": { "provider": "gitea", "secret": "${S}gitea" },
	    "forgejo": { "provider": "forgejo", "secret": "${S}forgejo" },
	    "gogs": { "provider": "gogs", "secret": "${S}gogs" },
	    "gitlab": { "provider": "gitlab", "secret": "${S}gitlab" },
	    "bitbucket": { "provider": "bitbucket", "secret": "${S}bitbucket" },
	    "slack": { "provider": "slack", "secret": "${S}slack" },
	    "stripe": { "provider": "stripe", "secret": "whsec_${S}stripe" },
	    "standard": { "provider": "standard", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
	    "discord": { "provider": "discord", "public_key": "$S$S" },
	    "shopify": { "provider": "shopify", "secret": "${S}shopify" },
	    "kiket": { "provider": "kiket", "secret": "${S}kiket" },
	    "paddle": { "provider": "paddle", "secret": "${S}paddle" },
	    "twilio": { "provider": "twilio", "secret": "${S}twilio", "public_url": "https://example.com/hook/twilio" },
	    "linear": { "provider": "linear", "secret": "${S}linear" },
	    "sentry": { "provider": "sentry", "secret": "${S}sentry" },
	    "mailgun": { "provider": "mailgun", "secret": "${S}mailgun" },
	    "generic": { "provider": "generic", "secret": "${S}generic", "delivery_header": "X-Delivery" },
	    "auto": { "provider": "auto", "secret": "${S}auto" },
	    "by-header": { "provider": "kiket", "secret": "${S}by-header", "dedup": "header:X-Id" },
	    "by-object": { "provider": "kiket", "secret": "${S}by-object", "dedup": { "header": "X-Id" } },
	    "by-path": { "provider": "github", "secret": "${S}by-path", "dedup": "\$.data.key" },
	    "no-dedup": { "provider": "kiket", "secret": "${S}no-dedup", "dedup": false },
	    "short": { "provider": "kiket", "secret": "${S}short", "dedup_window": "1s" }
	  }
	}
	EOF
	cat >pipelines/count.json <<-EOF &&
	{
	  "on": { "events": ["e", "issue.created"] },
	  "jobs": { "count": { "steps": [ { "run": "true" } ] } }
	}
	EOF
	check_config
'

test_expect_success 'kiket: $.id; a retry with a new X-Kiket-Invocation runs once' '
	retried kiket "X-Kiket-Invocation: inv_1" "{\"id\":\"k1\",\"attempt\":1}" \
		"X-Kiket-Invocation: inv_2" "{\"id\":\"k1\",\"attempt\":2}" \
		"X-Kiket-Invocation: inv_3" "{\"id\":\"k2\",\"attempt\":1}"
'

test_expect_success 'stripe: $.id; a retry with a new Stripe-Signature runs once' '
	retried stripe "Stripe-Signature: t=1,v1=aa" "{\"id\":\"evt_1\"}" \
		"Stripe-Signature: t=2,v1=bb" "{\"id\":\"evt_1\"}" \
		"Stripe-Signature: t=3,v1=cc" "{\"id\":\"evt_2\"}"
'

test_expect_success 'slack: $.event_id; a retry with X-Slack-Retry-Num runs once' '
	retried slack "X-Slack-Request-Timestamp: 1" "{\"type\":\"event_callback\",\"event_id\":\"Ev1\"}" \
		"X-Slack-Request-Timestamp: 2|X-Slack-Retry-Num: 1|X-Slack-Retry-Reason: http_timeout" \
		"{\"type\":\"event_callback\",\"event_id\":\"Ev1\"}" \
		"X-Slack-Request-Timestamp: 3" "{\"type\":\"event_callback\",\"event_id\":\"Ev2\"}"
'

test_expect_success 'standard: webhook-id; a retry with a new webhook-timestamp runs once' '
	retried standard "webhook-id: msg_1|webhook-timestamp: 1" "{\"type\":\"a\"}" \
		"webhook-id: msg_1|webhook-timestamp: 2" "{\"type\":\"a\"}" \
		"webhook-id: msg_2|webhook-timestamp: 3" "{\"type\":\"a\"}"
'

test_expect_success 'github, gitea, forgejo, gogs: their delivery headers' '
	retried github "X-GitHub-Delivery: g1" "{}" "X-GitHub-Delivery: g1" "{}" \
		"X-GitHub-Delivery: g2" "{}" &&
	retried gitea "X-Gitea-Delivery: t1" "{}" "X-Gitea-Delivery: t1" "{}" \
		"X-Gitea-Delivery: t2" "{}" &&
	retried forgejo "X-Forgejo-Delivery: f1" "{}" "X-Forgejo-Delivery: f1" "{}" \
		"X-Forgejo-Delivery: f2" "{}" &&
	retried gogs "X-Gogs-Delivery: o1" "{}" "X-Gogs-Delivery: o1" "{}" \
		"X-Gogs-Delivery: o2" "{}"
'

test_expect_success 'gitlab: Idempotency-Key where sent, else X-Gitlab-Event-UUID' '
	retried gitlab "Idempotency-Key: i1|X-Gitlab-Webhook-UUID: w1|X-Gitlab-Event-UUID: u1" "{}" \
		"Idempotency-Key: i1|X-Gitlab-Webhook-UUID: w2|X-Gitlab-Event-UUID: u1" "{}" \
		"Idempotency-Key: i2|X-Gitlab-Webhook-UUID: w3|X-Gitlab-Event-UUID: u1" "{}" &&
	retried gitlab "X-Gitlab-Event-UUID: u5|X-Gitlab-Webhook-UUID: w5" "{}" \
		"X-Gitlab-Event-UUID: u5|X-Gitlab-Webhook-UUID: w6" "{}" \
		"X-Gitlab-Event-UUID: u6|X-Gitlab-Webhook-UUID: w7" "{}"
'

test_expect_success 'bitbucket: X-Request-UUID; a retry with X-Attempt-Number runs once' '
	retried bitbucket "X-Request-UUID: b1" "{}" "X-Request-UUID: b1|X-Attempt-Number: 2" "{}" \
		"X-Request-UUID: b2" "{}"
'

test_expect_success 'shopify: X-Shopify-Event-Id, whatever X-Shopify-Webhook-Id says' '
	retried shopify "X-Shopify-Event-Id: s1|X-Shopify-Webhook-Id: w1" "{}" \
		"X-Shopify-Event-Id: s1|X-Shopify-Webhook-Id: w2" "{}" \
		"X-Shopify-Event-Id: s2|X-Shopify-Webhook-Id: w1" "{}"
'

test_expect_success 'discord $.id, paddle $.notification_id, mailgun $.signature.token' '
	retried discord "X-Signature-Timestamp: 1" "{\"id\":\"d1\",\"type\":2}" \
		"X-Signature-Timestamp: 2" "{\"id\":\"d1\",\"type\":2}" \
		"X-Signature-Timestamp: 3" "{\"id\":\"d2\",\"type\":2}" &&
	retried paddle "Paddle-Signature: ts=1;h1=a" "{\"notification_id\":\"ntf_1\",\"event_id\":\"evt_1\"}" \
		"Paddle-Signature: ts=2;h1=b" "{\"notification_id\":\"ntf_1\",\"event_id\":\"evt_1\"}" \
		"Paddle-Signature: ts=3;h1=c" "{\"notification_id\":\"ntf_2\",\"event_id\":\"evt_1\"}" &&
	retried mailgun "" "{\"signature\":{\"token\":\"m1\",\"timestamp\":\"1\"}}" \
		"" "{\"signature\":{\"token\":\"m1\",\"timestamp\":\"2\"}}" \
		"" "{\"signature\":{\"token\":\"m2\",\"timestamp\":\"1\"}}"
'

test_expect_success 'twilio, linear, sentry: their idempotency and delivery headers' '
	retried twilio "I-Twilio-Idempotency-Token: w1" "{}" "I-Twilio-Idempotency-Token: w1" "{}" \
		"I-Twilio-Idempotency-Token: w2" "{}" &&
	retried linear "Linear-Delivery: l1" "{}" "Linear-Delivery: l1" "{}" \
		"Linear-Delivery: l2" "{}" &&
	retried sentry "Request-ID: r1" "{}" "Request-ID: r1" "{}" "Request-ID: r2" "{}"
'

test_expect_success 'generic: its delivery_header' '
	retried generic "X-Delivery: x1" "{}" "X-Delivery: x1" "{}" "X-Delivery: x2" "{}"
'

test_expect_success 'auto: the detected provider default (kiket: $.id)' '
	retried auto "X-Kiket-Signature: 00|X-Kiket-Invocation: a1" "{\"id\":\"ak1\"}" \
		"X-Kiket-Signature: 00|X-Kiket-Invocation: a2" "{\"id\":\"ak1\"}" \
		"X-Kiket-Signature: 00|X-Kiket-Invocation: a3" "{\"id\":\"ak2\"}"
'

test_expect_success 'dedup: a header, as "header:X-Id" and {"header": "X-Id"}' '
	retried by-header "X-Id: h1" "{\"id\":\"same\"}" "X-Id: h1" "{\"id\":\"other\"}" \
		"X-Id: h2" "{\"id\":\"same\"}" &&
	retried by-object "X-Id: h1" "{\"id\":\"same\"}" "X-Id: h1" "{\"id\":\"other\"}" \
		"X-Id: h2" "{\"id\":\"same\"}"
'

test_expect_success 'dedup: a JSONPath into the body' '
	retried by-path "X-GitHub-Delivery: p1" "{\"data\":{\"key\":7}}" \
		"X-GitHub-Delivery: p2" "{\"data\":{\"key\":7}}" \
		"X-GitHub-Delivery: p1" "{\"data\":{\"key\":8}}"
'

test_expect_success 'dedup: false runs every delivery' '
	deliver no-dedup "X-Kiket-Invocation: n1" "{\"id\":\"n\"}" && a=$ev &&
	deliver no-dedup "X-Kiket-Invocation: n1" "{\"id\":\"n\"}" && b=$ev &&
	hookdir worker --once &&
	test "$(runs_of $a)" = 1 &&
	test "$(runs_of $b)" = 1 &&
	hookdir show $b >out &&
	test_grep "^Dedup key: none (source dedup: false)\$" out
'

test_expect_success 'a key past the dedup window runs again' '
	deliver short "" "{\"id\":\"w\"}" && a=$ev &&
	hookdir worker --once &&
	sleep 1.5 &&
	deliver short "" "{\"id\":\"w\"}" && b=$ev &&
	deliver short "" "{\"id\":\"w\"}" && c=$ev &&
	hookdir worker --once &&
	test "$(runs_of $a)" = 1 &&
	test "$(runs_of $b)" = 1 &&
	test "$(runs_of $c)" = 0 &&
	test "$(sql "SELECT duplicate_of FROM events WHERE id = '\''$c'\''")" = "$b"
'

test_expect_success 'show and why name the key and the rule that found it' '
	deliver kiket "X-Kiket-Invocation: inv_7" "{\"id\":\"k7\"}" && a=$ev &&
	deliver kiket "X-Kiket-Invocation: inv_8" "{\"id\":\"k7\"}" && b=$ev &&
	hookdir worker --once &&
	hookdir show $a >out &&
	test_grep "^Dedup key: k7 by \$\.id (kiket default)\$" out &&
	hookdir show $b >out &&
	test_grep "^Duplicate of: $a" out &&
	test_grep "^Reason: *duplicate of $a by \$\.id (kiket default) = k7\$" out &&
	hookdir why $b >out &&
	echo "$b: a duplicate of $a (the same source, and dedup key k7 by \$.id (kiket default)): ran nothing" >expect &&
	test_cmp expect out &&
	hookdir show --json $b >out.json &&
	test_grep "\"dedup_rule\": *\"\$\.id (kiket default)\"" out.json
'

test_expect_success 'a key with control characters is no key: the delivery id counts' '
	deliver kiket "X-Kiket-Invocation: inv_c1" "{\"id\":\"k\\u001b[2Jc\"}" && a=$ev &&
	deliver kiket "X-Kiket-Invocation: inv_c2" "{\"id\":\"k\\u001b[2Jc\"}" && b=$ev &&
	hookdir worker --once &&
	test "$(runs_of $a)" = 1 &&
	test "$(runs_of $b)" = 1 &&
	test "$(sql "SELECT dedup_key || '\'' '\'' || dedup_rule FROM events WHERE id = '\''$b'\''")" = "inv_c2 delivery id"
'

test_expect_success 'a wrong dedup or dedup_window is an error with file, line and key' '
	mkdir bad &&
	while IFS="|" read -r v why
	do
		cat >bad/hookdir.conf <<-EOF &&
		{
		  "sources": {
		    "s": { "provider": "kiket", "secret": "$S",
		      "dedup": $v }
		  }
		}
		EOF
		test_must_fail hookdir -c bad/hookdir.conf check >out 2>&1 &&
		test_grep "bad/hookdir.conf:4: error: sources.s.dedup: .*$why" out || return 1
	done <<-\EOF &&
	"nope"|use "header:NAME" for a header or a JSONPath
	true|true is the default
	"$.["|column
	{"header":"a b"}|is not a header name
	{"name":"X"}|an object names one "header"
	3|use false, "header:NAME"
	"header:"|is not a header name
	EOF
	cat >bad/hookdir.conf <<-EOF &&
	{
	  "dedup_window": "0s",
	  "sources": { "s": { "provider": "kiket", "secret": "$S",
	    "dedup_window": "0s" } }
	}
	EOF
	test_must_fail hookdir -c bad/hookdir.conf check >out 2>&1 &&
	test_grep "bad/hookdir.conf:2: error: dedup_window: must be more than 0" out &&
	test_grep "bad/hookdir.conf:4: error: sources.s.dedup_window: must be more than 0" out
'

test_expect_success NGINX 'through nginx: a signed Kiket retry with a new invocation runs once' '
	chown_web spool &&
	start_nginx_fcgi &&
	printf "{\"id\":\"evt_kiket_1\",\"attempt\":1}" >k1.json &&
	printf "{\"id\":\"evt_kiket_1\",\"attempt\":2}" >k2.json &&
	printf "{\"id\":\"evt_kiket_2\",\"attempt\":1}" >k3.json &&
	for n in 1 2 3
	do
		"$TEST_TOOL" sign hookdir.conf kiket k$n.json >sig$n &&
		echo "X-Kiket-Event: issue.created" >>sig$n &&
		echo "X-Kiket-Invocation: inv_$n" >>sig$n &&
		echo "Content-Type: application/json" >>sig$n &&
		hookdir_post "$HOOK_URL_BASE/kiket" k$n.json -H @sig$n >code &&
		echo 202 >expect &&
		test_cmp expect code || return 1
	done &&
	hookdir worker --once &&
	test_dir_is_empty spool/new &&
	test "$(sql "SELECT group_concat(status || '\'':'\'' || delivery, '\'' '\'') FROM (SELECT * FROM events WHERE dedup_key LIKE '\''evt_kiket_%'\'' ORDER BY received)")" = "done:inv_1 duplicate:inv_2 done:inv_3" &&
	test "$(sql "SELECT count(*) FROM runs JOIN events ON runs.event = events.id WHERE events.dedup_key LIKE '\''evt_kiket_%'\''")" = 2
'

test_done
