#!/bin/bash
test_description='hookdir check: every configuration and pipeline error at once

hookdir check loads hookdir.conf and every pipeline, prints each
diagnostic with its file and line first (line:col for expressions),
exits 78 (EX_CONFIG) when there is any error, and 0 with a summary
otherwise, warnings included.'

. "$(dirname "$0")/test-lib.sh"

check () {
	hookdir -c hookdir.conf check "$@"
}

test_expect_success 'setup: a clean configuration' '
	mkdir pipelines secrets &&
	printf "s3cret-that-is-long-enough\n" >secrets/site &&
	printf "token\n" >secrets/DEPLOY_TOKEN &&
	chmod 600 secrets/site secrets/DEPLOY_TOKEN &&
	cat >hookdir.conf <<-\EOF &&
	{
	  "sources": {
	    "site": { "provider": "github", "secret_file": "secrets/site" },
	    "pay": { "provider": "stripe", "secret": "whsec_test-7d2e-4f1c-9a0b" }
	  }
	}
	EOF
	cp "$TEST_DATA/pipelines/trigger/combined.json" pipelines/deploy.json &&
	cat >pipelines/paid.json <<-\EOF
	{
	  "on": {
	    "source": "pay",
	    "events": ["payment_intent.succeeded"],
	    "match": { "$.data.object.metadata.plan": ["pro", "team"] }
	  },
	  "secrets": ["DEPLOY_TOKEN"],
	  "jobs": { "provision": { "steps": [ { "run": "echo provisioning" } ] } }
	}
	EOF
'

test_expect_success 'a clean configuration exits 0 with a summary' '
	check >out 2>err &&
	echo "ok: 2 sources, 2 pipelines" >expect &&
	test_cmp expect out &&
	test_line_count = 0 err
'

test_expect_success '--quiet prints nothing when all is well' '
	check --quiet >out 2>err &&
	test_line_count = 0 out &&
	test_line_count = 0 err
'

test_expect_success 'HOOKDIR_CONF names the configuration too' '
	HOOKDIR_CONF=$TRASH/hookdir.conf hookdir check >out &&
	echo "ok: 2 sources, 2 pipelines" >expect &&
	test_cmp expect out
'

test_expect_success 'a warning alone exits 0 and is printed with its line' '
	test_when_finished "rm -f pipelines/later.json" &&
	cat >pipelines/later.json <<-\EOF &&
	{
	  "on": { "pipeline_complete": { "name": "later" } },
	  "concurrency": { "group": "deploy", "mode": "queue" },
	  "jobs": { "a": { "steps": [ { "run": "true" } ] } }
	}
	EOF
	check >out 2>err &&
	echo "ok: 2 sources, 3 pipelines" >expect &&
	test_cmp expect out &&
	echo "pipelines/later.json:2: warning: on.pipeline_complete.name: '\''later'\'' is this pipeline: each run starts another until max_chain_depth cuts the chain" >expect &&
	test_cmp expect err
'

test_expect_success 'setup: pipelines with errors' '
	cat >pipelines/broken.json <<-\EOF &&
	{
	  "on": {
	    "source": "site",
	    "events": ["push"],
	    "if": "payload.ref == '\''refs/heads/main'\'' && )",
	    "brnaches": ["main"]
	  },
	  "jobs": {
	    "build": { "needs": ["deploy"], "steps": [ { "run": "make" } ] },
	    "deploy": { "needs": ["build"], "steps": [ { "run": "./deploy" } ] }
	  }
	}
	EOF
	cat >pipelines/needs.json <<-\EOF &&
	{
	  "on": { "events": "push" },
	  "timeout": "soon",
	  "jobs": {
	    "build": { "steps": [ { "run": "make", "retry": { "attempts": 2 } } ] },
	    "deploy": { "needs": ["biuld"], "steps": [ { "run": "./deploy" } ] }
	  }
	}
	EOF
	cat >pipelines/refs.json <<-\EOF &&
	{
	  "on": { "source": ["site", "ghost"] },
	  "secrets": ["DEPLOY_TOKEN", "MISSING"],
	  "jobs": { "a": { "steps": [ { "run": "true" } ] } }
	}
	EOF
	printf "{\n  \"on\": {\n    \"events\": [\"push\",]\n    \"x\": 1\n}\n" >pipelines/syntax.json &&
	printf "{}" >"pipelines/bad name.json"
'

test_expect_success 'several errors at once, each with file:line, exit 78' '
	test_expect_code 78 check >out 2>err &&
	test_line_count = 0 out &&
	cat >expect <<-\EOF &&
	pipelines/bad name.json: error: '\''bad name'\'' is not a pipeline name (the file name without .json: 1-64 of [A-Za-z0-9._-], starting with a letter or digit)
	pipelines/bad name.json:1: error: on: missing: say which events start this pipeline
	pipelines/bad name.json:1: error: jobs: missing: nothing would run
	pipelines/broken.json:5:48: error: on.if: expected a value after '\''&&'\'', found '\'')'\''
	pipelines/broken.json:6: error: on.brnaches: unknown key
	pipelines/broken.json:9: error: jobs: dependency cycle: build -> deploy -> build
	pipelines/needs.json:3: error: timeout: '\''soon'\'' is not a duration such as "300s", "5m", "2h"
	pipelines/needs.json:6: error: jobs.deploy.needs: no job named '\''biuld'\''
	pipelines/syntax.json:4:5: error: expected '\'','\'' or '\''}'\''
	pipelines/refs.json:2: error: on.source: no source '\''ghost'\'' in hookdir.conf
	pipelines/refs.json:3: error: secrets: $TRASH/secrets/MISSING: No such file or directory
	11 errors, 0 warnings
	EOF
	sed "s|\\\$TRASH|$TRASH|" expect >expect.real &&
	test_cmp expect.real err
'

test_expect_success 'the expression column points at the offending character' '
	sed -n "s/^pipelines\/broken.json:5:\([0-9]*\): error: on.if: .*/\1/p" err >col &&
	test_line_count = 1 col &&
	sed -n 5p pipelines/broken.json | cut -c"$(cat col)" >char &&
	echo ")" >expect &&
	test_cmp expect char
'

test_expect_success 'a secret readable by others is an error' '
	rm -f pipelines/broken.json pipelines/needs.json pipelines/syntax.json \
		"pipelines/bad name.json" &&
	printf "{ \"on\": {}, \"secrets\": [\"DEPLOY_TOKEN\"],\n \"jobs\": { \"a\": { \"steps\": [ { \"run\": \"true\" } ] } } }\n" >pipelines/refs.json &&
	chmod 644 secrets/DEPLOY_TOKEN &&
	test_expect_code 78 check 2>err &&
	test_grep "^pipelines/paid.json:7: error: secrets: .*/secrets/DEPLOY_TOKEN: readable by group or others (mode 0644); chmod 600 it$" err &&
	test_grep "^pipelines/refs.json:1: error: secrets: .*DEPLOY_TOKEN: readable by group or others" err &&
	chmod 600 secrets/DEPLOY_TOKEN &&
	check >out &&
	echo "ok: 2 sources, 3 pipelines" >expect &&
	test_cmp expect out
'

test_expect_success 'config errors and pipeline errors are reported together' '
	cp hookdir.conf hookdir.conf.good &&
	test_when_finished "mv hookdir.conf.good hookdir.conf" &&
	cat >hookdir.conf <<-\EOF &&
	{
	  "spool": "spool",
	  "limits": { "max_body": "huge" },
	  "sources": {
	    "site": { "provider": "gitbub", "secret": "x" }
	  }
	}
	EOF
	printf "{ \"on\": { \"evnts\": \"push\" },\n  \"jobs\": {} }\n" >pipelines/typo.json &&
	test_when_finished "rm -f pipelines/typo.json" &&
	test_expect_code 78 check 2>err &&
	test_grep "^hookdir.conf:3: error: limits.max_body: " err &&
	test_grep "^hookdir.conf:5: error: sources.site.provider: unknown provider '\''gitbub'\''" err &&
	test_grep "^pipelines/typo.json:1: error: on.evnts: unknown key$" err &&
	test_grep "^pipelines/typo.json:2: error: jobs: no jobs: nothing would run$" err
'

test_expect_success 'settings that would fail open are errors with file:line and key' '
	mkdir open &&
	cat >open/hookdir.conf <<-\EOF &&
	{
	  "pipelines": "../pipelines",
	  "sources": {
	    "a": { "provider": "github", "secret": [] },
	    "b": { "provider": "github", "secret": "0123456789abcdef",
	           "allow_from": [] },
	    "c": { "provider": "stripe", "secret": "whsec_" },
	    "d": { "provider": "standard", "secret": "whsec_" },
	    "e": { "provider": "standard", "secret": "whsec_***" },
	    "f": { "provider": "auto", "secret": "0123456789abcdef",
	           "public_key": "whpk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
	    "g": { "provider": "slack", "secret": "0123456789abcdef" }
	  }
	}
	EOF
	test_expect_code 78 hookdir -c open/hookdir.conf check >out 2>err &&
	test_line_count = 0 out &&
	test_grep "^open/hookdir.conf:4: error: sources.a.secret: an empty list means no secret: unsigned requests would be accepted" err &&
	test_grep "^open/hookdir.conf:6: error: sources.b.allow_from: an empty list means no address: every address would be allowed" err &&
	test_grep "^open/hookdir.conf:7: error: sources.c.secret: the secret is nothing but whsec_: a key everyone knows" err &&
	test_grep "^open/hookdir.conf:8: error: sources.d.secret: the secret is nothing but whsec_" err &&
	test_grep "^open/hookdir.conf:9: error: sources.e.secret: the secret is not base64 after whsec_" err &&
	test_grep "^open/hookdir.conf:10: error: sources.f.public_key: auto takes only providers that sign the body" err &&
	test_grep "^open/hookdir.conf:12: error: sources.g.secret: the secret is also a secret of source [bf], whose provider (github\|auto) signs the body, while this one.s (slack) signs \"v0:TIMESTAMP:body\"" err &&
	test_grep "^8 errors, 0 warnings$" err
'

test_expect_success 'a short secret is a warning: check says so and exits 0' '
	mkdir short &&
	cat >short/hookdir.conf <<-\EOF &&
	{
	  "pipelines": "../pipelines",
	  "secrets": "../secrets",
	  "sources": {
	    "site": { "provider": "github", "secret": "s3cret" },
	    "pay": { "provider": "stripe", "secret": "whsec_12345" }
	  }
	}
	EOF
	hookdir -c short/hookdir.conf check >out 2>err &&
	echo "ok: 2 sources, 3 pipelines" >expect &&
	test_cmp expect out &&
	cat >expect <<-\EOF &&
	short/hookdir.conf:5: warning: sources.site.secret: the secret has 6 bytes, a key anyone could guess; use 16 random bytes or more (openssl rand -hex 32)
	short/hookdir.conf:6: warning: sources.pay.secret: the secret has 5 bytes, a key anyone could guess; use 16 random bytes or more (openssl rand -hex 32)
	EOF
	test_cmp expect err
'

test_expect_success 'a missing configuration file is an error' '
	test_expect_code 78 hookdir -c nowhere.conf check 2>err &&
	test_grep "nowhere.conf" err
'

test_expect_success 'a missing pipelines directory is only a warning' '
	mkdir empty &&
	echo "{ \"sources\": { \"s\": { \"provider\": \"github\", \"secret\": \"0123456789abcdef\" } } }" >empty/hookdir.conf &&
	hookdir -c empty/hookdir.conf check >out 2>err &&
	echo "ok: 1 source, 0 pipelines" >expect &&
	test_cmp expect out &&
	echo "empty/pipelines: warning: No such file or directory: no pipeline will run" >expect &&
	test_cmp expect err
'

test_expect_success 'usage' '
	check --help >out &&
	test_grep "^usage: hookdir check" out &&
	test_expect_code 64 check extra 2>err &&
	test_grep "^usage: hookdir check" err &&
	test_expect_code 64 check --bogus 2>err
'

test_done
