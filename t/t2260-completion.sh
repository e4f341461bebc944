#!/bin/bash
test_description='bash completion: share/bash-completion/hookdir

The file is sourced in bash and its function called as bash would, with
COMP_WORDS and COMP_CWORD set: it offers the commands, each command'\''s
options, spool ids, run ids, pipeline and source names from the real
spool and history, and follows -c FILE.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

COMPLETION=$top_srcdir/share/bash-completion/hookdir

# complete_words WORD...: what completing the last WORD offers, sorted,
# one a line, into ./actual.
complete_words () {
	COMP_WORDS=("$@") &&
	COMP_CWORD=$(($# - 1)) &&
	COMPREPLY=() &&
	_hookdir &&
	if [ ${#COMPREPLY[@]} -gt 0 ]; then
		printf "%s\n" "${COMPREPLY[@]}"
	fi | sort >actual
}

test_expect_success 'setup: a source, pipelines, events in done/ and new/' '
	setup_worker &&
	cat >hookdir.conf <<-\EOF &&
	{ "sources": { "test": { "provider": "generic", "secret": "s3cret" },
		       "site": { "provider": "github", "secret": "x" } } }
	EOF
	cat >pipelines/deploy.json <<-\EOF &&
	{ "on": { "source": "test" }, "jobs": { "a": { "steps": [ { "run": "true" } ] } } }
	EOF
	cat >pipelines/docs.json <<-\EOF &&
	{ "on": { "source": "test" }, "jobs": { "a": { "steps": [ { "run": "exit 1" } ] } } }
	EOF
	check_config &&
	queue_event push &&
	done_id=$event &&
	hookdir worker --once &&
	queue_event push &&
	new_id=$event &&
	. "$COMPLETION" &&
	complete -p hookdir >out &&
	test_grep "_hookdir hookdir" out
'

test_expect_success 'the commands, from hookdir help' '
	complete_words hookdir "" &&
	for c in init worker check test ls show why requeue inject sign runs log status gc emit output run cancel respond report help
	do
		echo $c || return 1
	done | sort >expect &&
	test_cmp expect actual &&
	complete_words hookdir s &&
	printf "%s\n" show sign status >expect &&
	test_cmp expect actual &&
	complete_words hookdir o &&
	echo output >expect &&
	test_cmp expect actual &&
	complete_words hookdir output -- &&
	echo --help >expect &&
	test_cmp expect actual
'

test_expect_success 'global options, and the command after them' '
	complete_words hookdir --c &&
	echo --config >expect &&
	test_cmp expect actual &&
	complete_words hookdir -v -c hookdir.conf ca &&
	echo cancel >expect &&
	test_cmp expect actual
'

test_expect_success 'each command'\''s options' '
	complete_words hookdir worker -- &&
	printf "%s\n" --allow-root --grace --help --jobs --once --poll --syslog --watch >expect &&
	test_cmp expect actual &&
	complete_words hookdir sign -- &&
	printf "%s\n" --event --help --url >expect &&
	test_cmp expect actual &&
	complete_words hookdir runs --st &&
	echo --status >expect &&
	test_cmp expect actual &&
	complete_words hookdir runs --status f &&
	echo failure >expect &&
	test_cmp expect actual &&
	complete_words hookdir report -- &&
	printf "%s\n" --help --html --limit >expect &&
	test_cmp expect actual &&
	mkdir -p pages.d &&
	complete_words hookdir report --html pages &&
	echo pages.d >expect &&
	test_cmp expect actual
'

test_expect_success 'show and why: spool ids from every directory; requeue: done and failed' '
	complete_words hookdir show "" &&
	printf "%s\n" $done_id $new_id | sort >expect &&
	test_cmp expect actual &&
	complete_words hookdir why "" &&
	test_cmp expect actual &&
	complete_words hookdir show -- &&
	printf "%s\n" --full --help --json >expect &&
	test_cmp expect actual &&
	printf "%s\n" $done_id $new_id | sort >expect &&
	complete_words hookdir show --full "" &&
	test_cmp expect actual &&
	complete_words hookdir requeue "" &&
	echo $done_id >expect &&
	test_cmp expect actual &&
	complete_words hookdir ls "" &&
	printf "%s\n" cur done failed new >expect &&
	test_cmp expect actual
'

test_expect_success 'log: run ids; cancel: only running or queued runs' '
	complete_words hookdir log "" &&
	sql "SELECT id FROM runs" | sort >expect &&
	test_line_count = 2 expect &&
	test_cmp expect actual &&
	complete_words hookdir log 1 "" &&
	test_line_count = 0 actual &&
	complete_words hookdir cancel "" &&
	test_line_count = 0 actual &&
	sql "UPDATE runs SET status = '\''running'\'' WHERE pipeline = '\''docs'\''" &&
	complete_words hookdir cancel "" &&
	sql "SELECT id FROM runs WHERE pipeline = '\''docs'\''" >expect &&
	test_cmp expect actual
'

test_expect_success 'init: its options, providers that take a secret, a directory' '
	complete_words hookdir init -- &&
	printf "%s\n" --force --help --provider --socket --source --url --user >expect &&
	test_cmp expect actual &&
	complete_words hookdir init --provider gi &&
	printf "%s\n" gitea github gitlab >expect &&
	test_cmp expect actual &&
	complete_words hookdir init --provider d &&
	test_line_count = 0 actual &&
	mkdir -p hooks.d &&
	complete_words hookdir init --provider github hooks &&
	echo hooks.d >expect &&
	test_cmp expect actual &&
	complete_words hookdir init --user roo &&
	echo root >expect &&
	test_cmp expect actual
'

test_expect_success 'test: pipeline names; inject and sign: source names' '
	complete_words hookdir test d &&
	printf "%s\n" deploy docs >expect &&
	test_cmp expect actual &&
	complete_words hookdir runs --pipeline de &&
	echo deploy >expect &&
	test_cmp expect actual &&
	complete_words hookdir sign "" &&
	printf "%s\n" site test >expect &&
	test_cmp expect actual &&
	complete_words hookdir inject --event push t &&
	echo test >expect &&
	test_cmp expect actual
'

test_expect_success 'run: pipeline names, once, after any --input' '
	complete_words hookdir run --input x=1 d &&
	printf "%s\n" deploy docs >expect &&
	test_cmp expect actual &&
	complete_words hookdir run deploy "" &&
	test ! -s actual
'

test_expect_success 'the second argument of sign is a file' '
	: >payload.json &&
	complete_words hookdir sign site payl &&
	echo payload.json >expect &&
	test_cmp expect actual
'

test_expect_success 'names come from the configuration given with -c' '
	mkdir other &&
	cat >other/hookdir.conf <<-\EOF &&
	{ "sources": { "elsewhere": { "provider": "generic", "secret": "x" } } }
	EOF
	complete_words hookdir -c other/hookdir.conf sign "" &&
	echo elsewhere >expect &&
	test_cmp expect actual
'

test_done
