#!/bin/bash
test_description='provider "auto" never lets a request choose how it was framed

Under one secret, Slack'"'"'s signature of "v0:TS:body" is a GitHub
signature of a body that reads "v0:TS:body", and Stripe'"'"'s of "TS.body"
likewise: a captured Slack or Stripe request, however old, could be
replayed as a GitHub push (or a generic HMAC delivery) with an event type
and delivery id of the attacker'"'"'s choosing and no replay window.  So an
auto source takes only the providers that sign the body itself, and
refuses a valid Slack or Stripe request (401, and the log says why);
and no secret may serve two framings: a configuration where the Slack or
Stripe secret is also an auto or generic source'"'"'s is an error (503 for
every request, hookdir check names file, line and key), so the replay
never gets 202.  Through nginx and hookdir.fcgi, signed with openssl.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

httpd_require nginx
test_require_prog openssl

K_SLACK=8f742231b10e8888abcd99yyyzzz85a5
K_STRIPE=whsec_stripe-raw-bytes-7d2e
K_ANY=auto-source-secret-4c1e9b

strhex () {
	printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'
}

# hmac_hex KEY FILE: HMAC-SHA256 of FILE under KEY, in hex.
hmac_hex () {
	openssl mac -digest sha256 -macopt "hexkey:$(strhex "$1")" \
		-in "$2" -binary HMAC | od -An -v -tx1 | tr -d ' \n'
}

# write_conf SLACK-KEY STRIPE-KEY ANY-KEY HMAC-KEY: the sources, each
# with the secret given; replaced by a rename, as an editor would.
write_conf () {
	cat >hookdir.conf.new <<-EOF &&
	{
		"spool": "spool",
		"sources": {
			"slack": { "provider": "slack", "secret": "$1" },
			"pay": { "provider": "stripe", "secret": "$2" },
			"any": { "provider": "auto", "secret": "$3" },
			"hmac": { "provider": "generic", "secret": "$4",
				"event_header": "X-Event", "delivery_header": "X-Delivery" }
		}
	}
	EOF
	chmod 644 hookdir.conf.new &&
	mv -f hookdir.conf.new hookdir.conf
}

good_conf () {
	write_conf "$K_SLACK" "$K_STRIPE" "$K_ANY" "$K_ANY"
}

# What a Slack or Stripe sender sends at time TS: NAME.body is the body,
# NAME.msg the bytes it signs, NAME.hdr the headers.
slack_request () {
	cp body.json "$1.body" &&
	{ printf 'v0:%s:' "$2"; cat body.json; } >"$1.msg" &&
	{
		echo "X-Slack-Request-Timestamp: $2"
		echo "X-Slack-Signature: v0=$(hmac_hex "$3" "$1.msg")"
	} >"$1.hdr"
}

stripe_request () {
	cp body.json "$1.body" &&
	{ printf '%s.' "$2"; cat body.json; } >"$1.msg" &&
	{
		echo "Stripe-Signature: t=$2,v1=$(hmac_hex "$3" "$1.msg")"
	} >"$1.hdr"
}

# replay NAME STYLE: the captured request NAME resent with its signed
# bytes as the body and its MAC as a body HMAC, GitHub's way or the
# generic way, with an event type and delivery id the attacker picks.
replay () {
	local mac
	mac=$(sed -n -e 's/^X-Slack-Signature: v0=//p' \
		-e 's/^Stripe-Signature: t=[0-9]*,v1=//p' "$1.hdr") &&
	test -n "$mac" &&
	cp "$1.msg" "$1.$2.body" &&
	case $2 in
	github)
		printf '%s\n' "X-GitHub-Event: push" \
			"X-GitHub-Delivery: chosen-by-the-attacker" \
			"X-Hub-Signature-256: sha256=$mac" ;;
	generic)
		printf '%s\n' "X-Event: push" \
			"X-Delivery: chosen-by-the-attacker" \
			"X-Webhook-Signature: $mac" ;;
	esac >"$1.$2.hdr"
}

# post SOURCE NAME: send NAME.body with NAME.hdr; prints the status.
post () {
	hookdir_post "$HOOK_URL_BASE/$1" "$2.body" \
		-H "Content-Type: application/json" -H "@$2.hdr"
}

spool_clear () {
	find spool/new -type f -delete
}

log_mark () {
	log_off_=$(stat -c %s "$HTTPD_ERROR_LOG")
}

log_since_mark () {
	tail -c "+$((log_off_ + 1))" "$HTTPD_ERROR_LOG"
}

test_expect_success 'setup: nginx, and genuine Slack and Stripe requests pass' '
	setup_spool &&
	printf "{\"type\":\"event_callback\",\"event_id\":\"Ev0PV52K21\",\"event\":{\"type\":\"app_mention\"}}" >body.json &&
	good_conf &&
	hookdir -c hookdir.conf check &&
	start_nginx_fcgi 1 &&
	now=$(date +%s) &&
	slack_request slack-now "$now" "$K_SLACK" &&
	code=$(post slack slack-now) &&
	test "$code" = 202 &&
	stripe_request stripe-now "$now" "$K_STRIPE" &&
	code=$(post pay stripe-now) &&
	test "$code" = 202 &&
	test "$(spool_count spool/new)" = 2 &&
	spool_clear
'

# ---------------------------------------------------------------- auto
for sender in slack stripe
do
	test_expect_success "auto refuses a valid $sender request: 401, and the log says why" '
		test_when_finished spool_clear &&
		'$sender'_request '$sender'-to-any "$(date +%s)" "$K_ANY" &&
		log_mark &&
		code=$(post any '$sender'-to-any) &&
		test "$code" = 401 &&
		test "$(tr -d "\n" <response)" = "{\"error\":\"invalid signature\"}" &&
		test "$(spool_count spool/new)" = 0 &&
		log_since_mark >log.new &&
		test_grep "401 source=any .*'$sender': refused: a source with provider auto takes only providers that sign the body itself (.*github.*); name this one as the source.s provider" log.new &&
		! grep -F "$K_ANY" log.new
	'
done

# ------------------------------------------------------- replays
# A request captured 30 days ago, replayed to a source holding the same
# secret as a body HMAC: today it would be a fresh GitHub push.
old=$(( $(date +%s) - 30 * 86400 ))
for pair in slack:github:any stripe:github:any slack:generic:hmac \
	stripe:generic:hmac stripe:generic:any
do
	sender=${pair%%:*}
	style=${pair#*:}
	target=${style#*:}
	style=${style%:*}
	case $sender in
	slack) key=$K_SLACK src=slack ;;
	stripe) key=$K_STRIPE src=pay ;;
	esac
	shared="\"$K_SLACK\" \"$K_STRIPE\""
	case $target in
	any) shared="$shared \"$key\" \"$K_ANY\"" ;;
	hmac) shared="$shared \"$K_ANY\" \"$key\"" ;;
	esac

	test_expect_success "$sender -> $style HMAC at $target, sharing the $sender secret: 503, not 202" '
		test_when_finished good_conf &&
		test_when_finished spool_clear &&
		'$sender'_request '$sender'-old '$old' "'$key'" &&
		code=$(post '$src' '$sender'-old) &&
		test "$code" = 401 &&
		replay '$sender'-old '$style' &&
		write_conf '"$shared"' &&
		test_expect_code 78 hookdir -c hookdir.conf check 2>err &&
		line=$(grep -n "\"'$target'\":" hookdir.conf | cut -d: -f1) &&
		test_grep "^hookdir.conf:$line: error: sources.'$target'.secret: the secret is also a secret of source " err &&
		log_mark &&
		code=$(post '$target' '$sender'-old.'$style') &&
		test "$code" = 503 &&
		test "$(tr -d "\n" <response)" = "{\"error\":\"configuration error\"}" &&
		test "$(spool_count spool/new)" = 0 &&
		log_since_mark >log.new &&
		test_grep "sources.'$target'.secret: the secret is also a secret of source " log.new &&
		! grep -F "'$key'" log.new response
	'

	test_expect_success "$sender -> $style HMAC at $target, with its own secret: 401" '
		test_when_finished spool_clear &&
		good_conf &&
		code=$(post '$target' '$sender'-old.'$style') &&
		test "$code" = 401 &&
		test "$(spool_count spool/new)" = 0
	'
done

test_expect_success 'a body-HMAC sender still reaches the auto source' '
	test_when_finished spool_clear &&
	cp body.json gh.body &&
	printf "%s\n" "X-GitHub-Event: push" "X-GitHub-Delivery: d-1" \
		"X-Hub-Signature-256: sha256=$(hmac_hex "$K_ANY" body.json)" >gh.hdr &&
	code=$(post any gh) &&
	test "$code" = 202 &&
	test_grep -x "Hookdir-Provider: github" spool/new/*
'

test_done
