#!/bin/bash
test_description='conf/examples: hookdir check accepts every example pipeline

One example per feature of hookdir-pipeline(5) lives in conf/examples,
with the hookdir.conf they are checked against. They are checked where
they would be used: copied with the secret files they name.'
. "$(dirname "$0")/test-lib.sh"

examples=$TEST_DIRECTORY/../conf/examples

test_expect_success 'setup: the examples with their secrets' '
	mkdir ex &&
	cp "$examples"/*.json "$examples"/hookdir.conf ex/ &&
	mkdir -m 700 ex/secrets ex/respond &&
	for f in forge-hmac chat-token DEPLOY_TOKEN
	do
		echo "example-$f" >ex/secrets/$f || return 1
	done &&
	chmod 600 ex/secrets/*
'

test_expect_success 'hookdir check accepts them all, without a warning' '
	hookdir -c ex/hookdir.conf check >out 2>err &&
	n=$(ls "$examples"/*.json | wc -l) &&
	echo "ok: 2 sources, $n pipelines" >expect &&
	test_cmp expect out &&
	test_line_count = 0 err
'

test_expect_success 'there is an example for every issue-4 feature' '
	for f in outputs fan-out pipeline-complete job-complete emit on-event \
		concurrency-queue concurrency-cancel concurrency-skip \
		concurrency-debounce retry secrets respond
	do
		test_path_is_file "$examples/$f.json" || return 1
	done &&
	grep -l "\"for_each\"" "$examples"/*.json >/dev/null &&
	grep -l "\"max_chain_depth\"" "$examples"/hookdir.conf >/dev/null
'

test_done
