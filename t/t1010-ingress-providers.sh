#!/bin/bash
test_description='every provider'"'"'s signature scheme, end to end through nginx

For each provider hookdir knows, a request is signed now, the way that
provider signs it, and sent with curl through nginx to hookdir.fcgi
(running as the web-server user).  The signatures are computed by
test-tool sigreq (t/helper/sigmatrix.c) with OpenSSL and libsodium,
independently of the responder'"'"'s own code.  A valid request must get
202 and exactly one spool file whose body is what was sent, byte for
byte, with the right Hookdir-Provider, Hookdir-Event, Hookdir-Delivery
and Hookdir-Verified.  A wrong secret, a flipped body byte, a missing or
malformed signature and a stale timestamp must each get 401 and leave
the spool alone: that matrix runs in one process, test-tool sigmatrix,
through the responder'"'"'s own request handling (handle_request_memory(),
the path every FastCGI and CGI request takes), each case reported here
under its own title.  Then: the Slack and Discord handshakes, key
rotation, provider "auto", and secrets that must never reach the spool.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

httpd_require nginx
test_require_prog openssl

# One secret for the senders that sign the body (and the auto source);
# each other framing has its own, as hookdir.conf(5) requires.
S=provider-shared-secret-4f1c9a
S_SLACK=8f742231b10e8888abcd99yyyzzz85a5
S_TOKEN=provider-token-secret-5e2b
S_TWILIO=twilio-auth-token-9c3d7e
S_MAILGUN=mailgun-signing-key-1a6f
WHSEC_GL=whsec_yFqNqGdR0yatSY48yxdryW4W0q44l+HC
WHSEC_AUTO=whsec_Ju4irnrS6YsQmtmz0fnT8I6KQ9PA8EH/
WHSEC=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
WHSEC2=whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD
STRIPE_SECRET=whsec_stripe-raw-bytes-7d2e
PADDLE_SECRET=pdl_ntfset_01hv8wptq8987qeep44cyrewp9_secret
BASIC=hookuser:hook-pass-w0rd

# ---------------------------------------------------------------- keys
tob64 () {
	base64 -w0
}

# The raw Ed25519 public key of a PEM private key.
ed_pub_raw () {
	openssl pkey -in "$1" -pubout -outform DER | tail -c 32
}

# ---------------------------------------------------------------- cases
# defcase NAME FIELD=VALUE...: one way of signing, sent to one source.
#	source    the source it is sent to
#	sign      the signer (sign_X in t/helper/sigmatrix.c)
#	body      the body file (in bodies/)
#	key       what the signer signs with; wrong: another one
#	provider, verified, event, delivery   what the spool file must say
#	                                      (event/delivery empty: no such line)
#	sigre     ERE for the signature line(s) of the headers (removed for
#	          "missing", replaced by "malformed")
#	malformed the line(s) put in their place ("\n" between lines)
#	flip      sed expression changing one byte of the body (default:
#	          "n":1 -> "n":3)
#	missing_sed, malformed_sed  for signatures in the body: sed
#	          expressions that remove or spoil it
#	flags     ts (a signed timestamp: try a stale one), nobody (the
#	          body is not signed), auto (only valid and wrong secret),
#	          refused (signed with the source's secret, yet refused)
declare -A C
CASES=()
FIELDS="source sign body key wrong provider verified event delivery sigre malformed flip missing_sed malformed_sed flags"

defcase () {
	local name=$1 kv f
	shift
	CASES+=("$name")
	for f in $FIELDS
	do
		C[$name.$f]=
	done
	C[$name.flip]='s/"n":1/"n":3/'
	for kv
	do
		C[$name.${kv%%=*}]=${kv#*=}
	done
}

has_flag () {
	case " ${C[$1.flags]} " in
	*" $2 "*) return 0 ;;
	esac
	return 1
}

defcase github source=github sign=sign_github body=json key=$S wrong=x$S \
	provider=github verified=hmac-sha256 event=push \
	delivery=72d3162e-cc78-11e3-81ab-4c9367dc0958 \
	sigre='X-Hub-Signature-256:' malformed='X-Hub-Signature-256: sha256=zz0011'
defcase github-sha1 source=github sign=sign_github_sha1 body=json key=$S wrong=x$S \
	provider=github verified=hmac-sha1 event=push \
	delivery=72d3162e-cc78-11e3-81ab-4c9367dc0959 \
	sigre='X-Hub-Signature:' malformed='X-Hub-Signature: md5=0011'
defcase gitea source=gitea sign=sign_gitea body=json key=$S wrong=x$S \
	provider=gitea verified=hmac-sha256 event=push \
	delivery=2f0bd0b4-7a2a-4f6e-b6a1-6f0c3e0f9b11 \
	sigre='X-[A-Za-z]+-Signature:|X-Hub-Signature(-256)?:' \
	malformed='X-Gitea-Signature: 12345'
defcase forgejo source=forgejo sign=sign_forgejo body=json key=$S wrong=x$S \
	provider=forgejo verified=hmac-sha256 event=push \
	delivery=8c3b1c2e-0f6d-4b0a-9f1e-5d2a7c9e4b21 \
	sigre='X-[A-Za-z]+-Signature:|X-Hub-Signature(-256)?:' \
	malformed='X-Forgejo-Signature: not hex at all'
defcase gogs source=gogs sign=sign_gogs body=json key=$S wrong=x$S \
	provider=gogs verified=hmac-sha256 event=push \
	delivery=5a1d7c3e-9b2f-4e8a-a1c4-3f6b8d0e2c71 \
	sigre='X-Gogs-Signature:' malformed='X-Gogs-Signature: sha256=00'
defcase gitlab source=gitlab sign=sign_gitlab body=json key=$S_TOKEN wrong=x$S_TOKEN \
	provider=gitlab verified=token event="Push Hook" \
	delivery=13792a34-cac6-4fda-95a8-c58e00a3954e \
	sigre='X-Gitlab-Token:' malformed="X-Gitlab-Token: $S_TOKEN, $S_TOKEN" flags=nobody
defcase gitlab-signing source=gitlab-signing sign=sign_gitlab_signing body=json \
	key=$WHSEC_GL wrong=$WHSEC2 provider=gitlab verified=hmac-sha256 \
	event="Push Hook" delivery=0f4d9e8c-1b2a-4c3d-8e7f-6a5b4c3d2e1f \
	sigre='webhook-signature:' malformed='webhook-signature: v1,@@@' flags=ts
defcase bitbucket source=bitbucket sign=sign_bitbucket body=json key=$S wrong=x$S \
	provider=bitbucket verified=hmac-sha256 event=repo:push \
	delivery=9d2c7e1a-3b4f-4a5e-8c6d-7e8f9a0b1c2d \
	sigre='X-Hub-Signature:' malformed='X-Hub-Signature: sha256'
defcase slack source=slack sign=sign_slack body=slack key=$S_SLACK wrong=x$S_SLACK \
	provider=slack verified=hmac-sha256 event=event_callback delivery=Ev0PV52K21 \
	sigre='X-Slack-Signature:' malformed='X-Slack-Signature: v1=00ff' flags=ts
defcase stripe source=stripe sign=sign_stripe body=stripe key=$STRIPE_SECRET \
	wrong=${STRIPE_SECRET}x provider=stripe verified=hmac-sha256 \
	event=payment_intent.succeeded delivery=evt_1NG8Du2eZvKYlo2CUI79vXWy \
	sigre='Stripe-Signature:' malformed='Stripe-Signature: t=soon,v1=00' flags=ts
defcase standard source=standard sign=sign_standard body=standard key=$WHSEC \
	wrong=$WHSEC2 provider=standard verified=hmac-sha256 event=invoice.paid \
	delivery=msg_2KWPBgLlAfxdpx2AI54pPJ85f4W \
	sigre='webhook-signature:' malformed='webhook-signature: v1=abc' flags=ts
defcase svix source=svix sign=sign_svix body=standard key=$WHSEC \
	wrong=$WHSEC2 provider=standard verified=hmac-sha256 event=invoice.paid \
	delivery=msg_p5jXN8AQM9LWM0D4loKWxJek \
	sigre='svix-signature:' malformed='svix-signature: v1,' flags=ts
defcase standard-v1a source=standard-ed sign=sign_standard_ed body=standard \
	key=ed.pem wrong=ed2.pem provider=standard verified=ed25519 \
	event=invoice.paid delivery=msg_ed25519_6c1a9f \
	sigre='webhook-signature:' malformed='webhook-signature: v1a,AAAA' flags=ts
defcase discord source=discord sign=sign_discord body=discord key=ed.pem wrong=ed2.pem \
	provider=discord verified=ed25519 event=2 delivery=1093947826283433984 \
	sigre='X-Signature-Ed25519:' malformed='X-Signature-Ed25519: 00ff' flags=ts
defcase shopify source=shopify sign=sign_shopify body=json key=$S wrong=x$S \
	provider=shopify verified=hmac-sha256 event=orders/create \
	delivery=b54557e4-bdd9-4b37-8a5f-bf7d70bcd043 \
	sigre='X-Shopify-Hmac-Sha256:' malformed='X-Shopify-Hmac-Sha256: %%%'
defcase kiket source=kiket sign=sign_kiket body=json key=$S wrong=x$S \
	provider=kiket verified=hmac-sha256 event=issue.created delivery=inv_8f2a1c \
	sigre='X-Kiket-Signature:' malformed='X-Kiket-Signature: sha256='
defcase paddle source=paddle sign=sign_paddle body=paddle key=$PADDLE_SECRET \
	wrong=x$PADDLE_SECRET provider=paddle verified=hmac-sha256 \
	event=transaction.completed delivery=ntf_01hv8x2mq \
	sigre='Paddle-Signature:' malformed='Paddle-Signature: h1=00;ts=' flags=ts
defcase sendgrid source=sendgrid sign=sign_sendgrid body=sendgrid key=ec.pem \
	wrong=ec2.pem provider=sendgrid verified=ecdsa-p256 \
	sigre='X-Twilio-Email-Event-Webhook-Signature:' \
	malformed='X-Twilio-Email-Event-Webhook-Signature: MEUCIQ' flags=ts
defcase twilio source=twilio sign=sign_twilio body=twilio key=$S_TWILIO wrong=x$S_TWILIO \
	provider=twilio verified=hmac-sha1 delivery=idem-3f1e2d \
	sigre='X-Twilio-Signature:' malformed='X-Twilio-Signature: ***' \
	flip='s/Body=hello/Body=hellp/'
defcase linear source=linear sign=sign_linear body=json key=$S wrong=x$S \
	provider=linear verified=hmac-sha256 event=Issue \
	delivery=234d1a4e-b617-4388-90fe-adc3633d6b72 \
	sigre='Linear-Signature:' malformed='Linear-Signature: -'
defcase sentry source=sentry sign=sign_sentry body=json key=$S wrong=x$S \
	provider=sentry verified=hmac-sha256 event=issue \
	delivery=0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e \
	sigre='Sentry-Hook-Signature:' malformed='Sentry-Hook-Signature: 0'
defcase mailgun source=mailgun sign=sign_mailgun body=mailgun key=$S_MAILGUN wrong=x$S_MAILGUN \
	provider=mailgun verified=hmac-sha256 event=delivered delivery=tok7f8a9c1e0b \
	flip='s/"token":"tok7/"token":"tok8/' \
	missing_sed='s/"signature":"[0-9a-f]*"/"sig":"none"/' \
	malformed_sed='s/"signature":"[0-9a-f]*"/"signature":"zz-not-hex"/' flags=ts
defcase generic-hex source=generic-hex sign=sign_generic_hex body=json key=$S \
	wrong=x$S provider=generic verified=hmac-sha256 event=build.done delivery=d-42 \
	sigre='X-Webhook-Signature:' malformed='X-Webhook-Signature: 0x12'
defcase generic-base64 source=generic-base64 sign=sign_generic_b64 body=json key=$S \
	wrong=x$S provider=generic verified=hmac-sha256 \
	sigre='X-Signature:' malformed='X-Signature: ****'
defcase generic-prefix source=generic-prefix sign=sign_generic_prefix body=json key=$S \
	wrong=x$S provider=generic verified=hmac-sha256 \
	sigre='X-Sig:' malformed="X-Sig: sha1=00"
defcase generic-sha512 source=generic-sha512 sign=sign_generic_sha512 body=json key=$S \
	wrong=x$S provider=generic verified=hmac-sha512 \
	sigre='X-Webhook-Signature:' malformed='X-Webhook-Signature: abcd'
defcase generic-query source=generic-query sign=sign_generic_query body=json key=$S \
	wrong=x$S provider=generic verified=hmac-sha256 \
	sigre='\?signature=' malformed='?signature=%zz'
defcase generic-token source=generic-token sign=sign_generic_token body=json key=$S_TOKEN \
	wrong=x$S_TOKEN provider=generic verified=token \
	sigre='X-Token:' malformed="X-Token: $S_TOKEN, $S_TOKEN" flags=nobody
defcase generic-bearer source=generic-bearer sign=sign_generic_bearer body=json key=$S_TOKEN \
	wrong=x$S_TOKEN provider=generic verified=bearer \
	sigre='Authorization:' malformed="Authorization: Token $S_TOKEN" flags=nobody
defcase generic-basic source=generic-basic sign=sign_generic_basic body=json key=$BASIC \
	wrong=${BASIC}x provider=generic verified=basic \
	sigre='Authorization:' malformed="Authorization: Basic $BASIC" flags=nobody

# provider "auto": one source, the providers found from the headers, if
# they sign the body; a request signed any other way is refused (see
# t1070-ingress-auto.sh for why).
for c in github github-sha1 gitea forgejo gogs bitbucket shopify kiket \
	linear sentry generic-hex
do
	defcase "auto-$c" source=auto sign=${C[$c.sign]} body=${C[$c.body]} \
		key=$S wrong=x$S provider=${C[$c.provider]} \
		verified=${C[$c.verified]} event="${C[$c.event]}" \
		delivery="${C[$c.delivery]}" flags=auto
done
C[auto-generic-hex.event]=
C[auto-generic-hex.delivery]=
for c in gitlab slack stripe paddle twilio
do
	defcase "auto-$c" source=auto sign=${C[$c.sign]} body=${C[$c.body]} \
		key=$S provider=${C[$c.provider]} flags=refused
done
for c in standard gitlab-signing
do
	defcase "auto-$c" source=auto sign=${C[$c.sign]} body=${C[$c.body]} \
		key=$WHSEC_AUTO provider=${C[$c.provider]} flags=refused
done

# ---------------------------------------------------------------- requests
# case_line CASE: the case as test-tool sigreq and sigmatrix read it, its
# fields (FIELDS) after its name, tab-separated.
case_line () {
	local f line=$1
	for f in $FIELDS
	do
		line+=$'\t'${C[$1.$f]}
	done
	printf '%s\n' "$line"
}

# make_request CASE NAME [TS [KEY]]: req/NAME.body (what is sent) and
# req/NAME.hdr (curl -H @ lines), signed now unless TS is given.
make_request () {
	mkdir -p req &&
	"$TEST_TOOL" sigreq "$(case_line "$1")" "req/$2" \
		${3:+--ts "$3"} ${4:+--key "$4"} --url-base "$HOOK_URL_BASE"
}

# post_request CASE NAME: send it; prints the status code.
post_request () {
	local r=req/$2 q
	q=$(sed -n 's/^?//p' "$r.hdr")
	grep -v '^?' "$r.hdr" >"$r.curl"
	grep -qi '^Content-Type:' "$r.curl" ||
		echo "Content-Type: application/json" >>"$r.curl"
	hookdir_post "$HOOK_URL_BASE/${C[$1.source]}${q:+?$q}" "$r.body" -H "@$r.curl"
}

# The body part of a spool file: what follows the first empty line.
spool_body () {
	local n
	n=$(sed '/^$/q' "$1" | wc -c) &&
	tail -c "+$((n + 1))" "$1"
}

spool_clear () {
	mkdir -p seen &&
	find spool/new -type f -exec mv {} seen/ \;
}

# check_header HEAD NAME VALUE: in the header block HEAD (a file), NAME
# is VALUE (no NAME line at all when VALUE is empty).
check_header () {
	if [ -z "$3" ]; then
		test_grep ! -i "^$2:" "$1"
	else
		test_grep -x -F "$2: $3" "$1"
	fi
}

# check_spooled CASE NAME: one new file holding req/NAME.body, with the
# case's Hookdir-* lines and no secret.
check_spooled () {
	local c=$1 r=req/$2 f
	test "$(spool_count spool/new)" = 1 &&
	test_dir_is_empty spool/tmp &&
	f=$(spool_files spool/new) &&
	spool_body "$f" >"$r.spooled" &&
	cmp "$r.body" "$r.spooled" &&
	sed '/^$/q' "$f" >"$r.head" &&
	check_header "$r.head" Hookdir-Source "${C[$c.source]}" &&
	check_header "$r.head" Hookdir-Provider "${C[$c.provider]}" &&
	check_header "$r.head" Hookdir-Verified "${C[$c.verified]}" &&
	check_header "$r.head" Hookdir-Event "${C[$c.event]}" &&
	check_header "$r.head" Hookdir-Delivery "${C[$c.delivery]}" &&
	check_header "$r.head" Hookdir-Method POST &&
	check_header "$r.head" Content-Length "$(wc -c <"$r.body" | tr -d " ")" &&
	no_secrets "$f"
}

# FILE... hold no secret (those in secrets.list), and no header that
# carries one.
no_secrets () {
	if grep -n -i -e "^X-Gitlab-Token:" -e "^Authorization:" "$@" >&2 ||
	   grep -n -F -f secrets.list "$@" >&2
	then
		echo >&2 "a secret, or a header carrying one, is in $*"
		return 1
	fi
}

run_valid () {
	local code
	test_when_finished spool_clear &&
	spool_clear &&
	make_request "$1" "$1.valid" &&
	code=$(post_request "$1" "$1.valid") &&
	if [ "$code" != 202 ]; then
		echo >&2 "status $code, expected 202"
		cat >&2 "req/$1.valid.curl" response
		return 1
	fi &&
	check_spooled "$1" "$1.valid"
}

# expect_401 CASE NAME: sent, refused with the JSON error, nothing spooled.
expect_401 () {
	local code before
	before=$(spool_files spool/new) &&
	code=$(post_request "$1" "$2") &&
	if [ "$code" != 401 ]; then
		echo >&2 "status $code, expected 401; request headers:"
		cat >&2 "req/$2.curl" response
		spool_clear
		return 1
	fi &&
	test "$(response_header Content-Type)" = application/json &&
	test "$(tr -d '\n' <response)" = '{"error":"invalid signature"}' &&
	test "$(spool_files spool/new)" = "$before" &&
	test_dir_is_empty spool/tmp
}

# ---------------------------------------------------------------- setup
test_expect_success 'setup: keys, bodies, sources, nginx' '
	openssl genpkey -algorithm ed25519 -out ed.pem &&
	openssl genpkey -algorithm ed25519 -out ed2.pem &&
	openssl ecparam -genkey -name prime256v1 -noout -out ec.pem &&
	openssl ecparam -genkey -name prime256v1 -noout -out ec2.pem &&
	ED_HEX=$(ed_pub_raw ed.pem | od -An -v -tx1 | tr -d " \n") &&
	test ${#ED_HEX} = 64 &&
	ED_WHPK=whpk_$(ed_pub_raw ed.pem | tob64) &&
	EC_SPKI=$(openssl ec -in ec.pem -pubout -outform DER 2>/dev/null | tob64) &&
	test -n "$EC_SPKI" &&

	mkdir bodies &&
	printf "{\n  \"ref\": \"refs/heads/main\",\n  \"n\":1,\n  \"text\": \"h\303\251llo \\\\u001B\"\n}\n" >bodies/json &&
	printf "{\"type\":\"event_callback\",\"event_id\":\"Ev0PV52K21\",\"n\":1,\"event\":{\"type\":\"app_mention\",\"text\":\"hi\"}}" >bodies/slack &&
	printf "{\n  \"id\": \"evt_1NG8Du2eZvKYlo2CUI79vXWy\",\n  \"object\": \"event\",\n  \"n\":1,\n  \"type\": \"payment_intent.succeeded\"\n}" >bodies/stripe &&
	printf "{\"type\":\"invoice.paid\",\"n\":1,\"data\":{\"id\":\"inv_1\"}}" >bodies/standard &&
	printf "{\"type\":2,\"id\":\"1093947826283433984\",\"n\":1,\"data\":{\"name\":\"ping\"}}" >bodies/discord &&
	printf "{\"event_id\":\"evt_01hv8x2mq\",\"notification_id\":\"ntf_01hv8x2mq\",\"event_type\":\"transaction.completed\",\"n\":1}" >bodies/paddle &&
	printf "[{\"email\":\"a@example.com\",\"event\":\"delivered\",\"n\":1,\"sg_event_id\":\"c2ctZXZlbnQ\"}]\r\n" >bodies/sendgrid &&
	printf "CallSid=CA1234567890&From=%%2B15551234567&To=%%2B15557654321&Body=hello+world&n=1" >bodies/twilio &&
	printf "{\"signature\":{\"timestamp\":\"@TS@\",\"token\":\"tok7f8a9c1e0b\",\"signature\":\"@SIG@\"},\"event-data\":{\"event\":\"delivered\",\"id\":\"ev-1\",\"n\":1}}" >bodies/mailgun &&
	grep -c "\"n\":1" bodies/json bodies/slack bodies/stripe bodies/standard \
		bodies/discord bodies/paddle bodies/sendgrid bodies/mailgun >counts &&
	! grep -v ":1\$" counts &&

	printf "%s\n" "$S" "$BASIC" "$(printf "%s" "$BASIC" | tob64)" \
		"$PADDLE_SECRET" "$STRIPE_SECRET" "${WHSEC#whsec_}" \
		"${WHSEC2#whsec_}" "$S_SLACK" "$S_TOKEN" "$S_TWILIO" \
		"$S_MAILGUN" "${WHSEC_GL#whsec_}" "${WHSEC_AUTO#whsec_}" >secrets.list &&

	setup_spool &&
	cat >hookdir.conf <<-EOF &&
	{
		"spool": "spool",
		"sources": {
			"github": { "provider": "github", "secret": "$S" },
			"gitea": { "provider": "gitea", "secret": "$S" },
			"forgejo": { "provider": "forgejo", "secret": "$S" },
			"gogs": { "provider": "gogs", "secret": "$S" },
			"gitlab": { "provider": "gitlab", "secret": "$S_TOKEN" },
			"gitlab-signing": { "provider": "gitlab", "secret": "$WHSEC_GL" },
			"bitbucket": { "provider": "bitbucket", "secret": "$S" },
			"slack": { "provider": "slack", "secret": "$S_SLACK" },
			"stripe": { "provider": "stripe", "secret": "$STRIPE_SECRET" },
			"standard": { "provider": "standard", "secret": "$WHSEC" },
			"svix": { "provider": "svix", "secret": "$WHSEC" },
			"standard-ed": { "provider": "standard-webhooks", "public_key": "$ED_WHPK" },
			"discord": { "provider": "discord", "public_key": "$ED_HEX" },
			"shopify": { "provider": "shopify", "secret": "$S" },
			"kiket": { "provider": "kiket", "secret": "$S" },
			"paddle": { "provider": "paddle", "secret": "$PADDLE_SECRET" },
			"sendgrid": { "provider": "sendgrid", "public_key": "$EC_SPKI", "tolerance": "5m" },
			"twilio": { "provider": "twilio", "secret": "$S_TWILIO" },
			"linear": { "provider": "linear", "secret": "$S" },
			"sentry": { "provider": "sentry", "secret": "$S" },
			"mailgun": { "provider": "mailgun", "secret": "$S_MAILGUN", "tolerance": "5m" },
			"generic-hex": { "provider": "generic", "secret": "$S",
				"event_header": "X-Event", "delivery_header": "X-Delivery" },
			"generic-base64": { "provider": "generic", "secret": "$S",
				"signature_header": "X-Signature", "encoding": "base64" },
			"generic-prefix": { "provider": "generic", "secret": "$S",
				"signature_header": "X-Sig", "prefix": "sha256=" },
			"generic-sha512": { "provider": "generic", "secret": "$S",
				"algorithm": "hmac-sha512" },
			"generic-query": { "provider": "generic", "secret": "$S" },
			"generic-token": { "provider": "generic", "secret": "$S_TOKEN",
				"algorithm": "token", "signature_header": "X-Token" },
			"generic-bearer": { "provider": "generic", "secret": "$S_TOKEN",
				"algorithm": "bearer" },
			"generic-basic": { "provider": "generic", "secret": "$BASIC",
				"algorithm": "basic" },
			"auto": { "provider": "auto", "secret": ["$S", "$WHSEC_AUTO"] },
			"rotate": { "provider": "github", "secret": ["old-$S", "$S"] }
		}
	}
	EOF
	start_nginx_fcgi 2 &&
	code=$(hookdir_curl "$HOOK_URL_BASE/github") &&
	test "$code" = 405
'

# ---------------------------------------------------------------- per case
# Each case'"'"'s valid request goes through nginx; its 401s are checked by
# test-tool sigmatrix, in one process, each under its own title below.
# PLAN holds the titles in order, KIND each one'"'"'s: "valid" (nginx) or
# "matrix".
PLAN=()
KIND=()
plan () {
	PLAN+=("$1: $2")
	KIND+=("$3")
}
for c in "${CASES[@]}"
do
	if has_flag "$c" refused; then
		plan "$c" "a valid request is refused -> 401" matrix
		continue
	fi
	plan "$c" "a valid request is spooled as sent" valid
	plan "$c" "wrong secret or key -> 401" matrix
	has_flag "$c" auto && continue
	has_flag "$c" nobody ||
	plan "$c" "one flipped body byte -> 401" matrix
	plan "$c" "no signature -> 401" matrix
	plan "$c" "malformed signature -> 401" matrix
	has_flag "$c" ts &&
	plan "$c" "stale timestamp -> 401" matrix
done

# The spool the in-process responder writes to is its own: matrix/spool.
declare -A MATRIX
test_expect_success 'setup: the signature matrix, in-process (test-tool sigmatrix)' '
	for c in "${CASES[@]}"
	do
		case_line "$c" || return 1
	done >cases.tsv &&
	mkdir matrix &&
	cp hookdir.conf matrix/ &&
	setup_spool matrix/spool &&
	"$TEST_TOOL" sigmatrix matrix/hookdir.conf cases.tsv secrets.list \
		"$HOOK_URL_BASE" >matrix.out &&
	cut -f 2 matrix.out | sort >matrix.titles &&
	for i in "${!PLAN[@]}"
	do
		if [ "${KIND[$i]}" = matrix ]; then
			printf "%s\n" "${PLAN[$i]}"
		fi
	done | sort >plan.titles &&
	test_cmp plan.titles matrix.titles &&
	while IFS=$'"'"'\t'"'"' read -r result title reason
	do
		MATRIX[$title]=$result${reason:+: $reason}
	done <matrix.out
'

# matrix_result TITLE: what test-tool sigmatrix found for it.
matrix_result () {
	case ${MATRIX[$1]-} in
	ok)	return 0 ;;
	"")	echo >&2 "test-tool sigmatrix did not check this" ;;
	*)	printf >&2 '%s\n' "${MATRIX[$1]}" "(log: matrix/sigmatrix.log)" ;;
	esac
	return 1
}

for i in "${!PLAN[@]}"
do
	if [ "${KIND[$i]}" = valid ]; then
		test_expect_success "${PLAN[$i]}" "run_valid ${PLAN[$i]%%: *}"
	else
		test_expect_success "${PLAN[$i]}" "matrix_result \"\${PLAN[$i]}\""
	fi
done

# ---------------------------------------------------------------- test-tool
# test-tool sign signs with lib/provider.c (other tests use it): what it
# makes must pass through nginx too.
run_tt_sign () {
	local src=$1 r=req/tt-$1 code extra=()
	test_when_finished spool_clear &&
	spool_clear &&
	defcase "tt-$src" source="$src" &&
	cp "bodies/$2" "$r.body" &&
	if [ "$src" = twilio ]; then
		extra=(--url "$HOOK_URL_BASE/twilio"
			--header "Content-Type: application/x-www-form-urlencoded")
	fi &&
	"$TEST_TOOL" sign hookdir.conf "$src" "$r.body" "${extra[@]}" >"$r.hdr" &&
	test_file_not_empty "$r.hdr" &&
	if [ "$src" = twilio ]; then
		echo "Content-Type: application/x-www-form-urlencoded" >>"$r.hdr"
	fi &&
	code=$(post_request "tt-$src" "tt-$src") &&
	if [ "$code" != 202 ]; then
		echo >&2 "status $code, expected 202"
		cat >&2 "$r.curl" response
		return 1
	fi &&
	test "$(spool_count spool/new)" = 1 &&
	spool_body "$(spool_files spool/new)" >"$r.spooled" &&
	cmp "$r.body" "$r.spooled" &&
	test_grep -x "Hookdir-Provider: $3" "$(spool_files spool/new)"
}

while read -r src body provider
do
	test_expect_success "test-tool sign: $src" "run_tt_sign $src $body $provider"
done <<EOF
github json github
gitea json gitea
forgejo json forgejo
gogs json gogs
gitlab json gitlab
bitbucket json bitbucket
slack slack slack
stripe stripe stripe
standard standard standard
svix standard standard
shopify json shopify
kiket json kiket
paddle paddle paddle
twilio twilio twilio
linear json linear
sentry json sentry
generic-hex json generic
generic-base64 json generic
generic-prefix json generic
generic-sha512 json generic
generic-token json generic
generic-bearer json generic
generic-basic json generic
EOF

# ---------------------------------------------------------------- more
test_expect_success 'stripe: a timestamp 10 minutes ahead -> 401' '
	make_request stripe stripe.future "$(( $(date +%s) + 600 ))" &&
	expect_401 stripe stripe.future
'

test_expect_success 'standard: a timestamp 10 minutes ahead -> 401' '
	make_request standard standard.future "$(( $(date +%s) + 600 ))" &&
	expect_401 standard standard.future
'

test_expect_success 'Slack url_verification is answered 200 {"challenge":...}' '
	test_when_finished spool_clear &&
	printf "{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\",\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\",\"type\":\"url_verification\"}" >bodies/slack-challenge &&
	defcase slack-challenge source=slack sign=sign_slack body=slack-challenge \
		key=$S_SLACK provider=slack verified=hmac-sha256 event=url_verification &&
	make_request slack-challenge challenge &&
	code=$(post_request slack-challenge challenge) &&
	test "$code" = 200 &&
	test "$(response_header Content-Type)" = application/json &&
	test "$(tr -d "\n" <response)" = "{\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\"}" &&
	check_spooled slack-challenge challenge
'

test_expect_success 'Slack url_verification with a bad signature -> 401, no challenge' '
	make_request slack-challenge challenge.bad "" "x$S_SLACK" &&
	expect_401 slack-challenge challenge.bad &&
	test_grep ! 3eZbrw1aBm2rZgRNFdxV response
'

test_expect_success 'Discord PING is answered 200 {"type":1}' '
	test_when_finished spool_clear &&
	printf "{\"id\":\"1093947826283433985\",\"application_id\":\"1093947826283433000\",\"type\":1,\"version\":1}" >bodies/discord-ping &&
	defcase discord-ping source=discord sign=sign_discord body=discord-ping \
		key=ed.pem provider=discord verified=ed25519 event=1 \
		delivery=1093947826283433985 &&
	make_request discord-ping ping &&
	code=$(post_request discord-ping ping) &&
	test "$code" = 200 &&
	test "$(response_header Content-Type)" = application/json &&
	test "$(tr -d "\n" <response)" = "{\"type\":1}" &&
	check_spooled discord-ping ping
'

test_expect_success 'Discord PING with an invalid signature -> 401 (Discord checks this)' '
	make_request discord-ping ping.bad "" ed2.pem &&
	expect_401 discord-ping ping.bad
'

test_expect_success 'key rotation: either of two secrets verifies' '
	defcase rotate source=rotate sign=sign_github body=json key=$S \
		provider=github verified=hmac-sha256 event=push \
		delivery=72d3162e-cc78-11e3-81ab-4c9367dc0958 &&
	run_valid rotate &&
	C[rotate.key]=old-$S &&
	run_valid rotate &&
	make_request rotate rotate.third "" "new-$S" &&
	expect_401 rotate rotate.third
'

test_expect_success 'Gitea in form mode: the HMAC covers the decoded payload field' '
	test_when_finished spool_clear &&
	printf "{\"ref\":\"refs/heads/main\",\"n\":1}" >form.json &&
	printf "payload=%%7B%%22ref%%22%%3A%%22refs%%2Fheads%%2Fmain%%22%%2C%%22n%%22%%3A1%%7D" >bodies/gitea-form &&
	defcase gitea-form source=gitea sign=sign_gitea body=gitea-form key=$S \
		provider=gitea verified=hmac-sha256 event=push \
		delivery=2f0bd0b4-7a2a-4f6e-b6a1-6f0c3e0f9b11 &&
	make_request gitea-form form &&
	"$TEST_TOOL" sigreq "$(case_line gitea-form)" req/form-json \
		--body form.json --ts 0 &&
	cp req/form-json.hdr req/form.hdr &&
	echo "Content-Type: application/x-www-form-urlencoded" >>req/form.hdr &&
	code=$(post_request gitea-form form) &&
	test "$code" = 202 &&
	check_spooled gitea-form form
'

test_expect_success 'no secret, token or credentials in the error log or any spool file' '
	test_file_not_empty secrets.list &&
	ls seen >seen.list &&
	test_line_count -gt 50 seen.list &&
	no_secrets "$HTTPD_ERROR_LOG" matrix/sigmatrix.log seen/*
'

test_done
