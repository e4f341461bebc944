#!/bin/bash
test_description='the history at 20 000 runs: every listing in bounded memory

20 000 finished runs, synthesised straight into the history
(t/perf/history-synth.sh, nothing run). hookdir runs (TSV and --json),
report --limit 0 and gc each stay under 20 MiB of peak RSS: the store
gives rows one at a time and nothing holds them all. Memory is
measured, time is not. The listings say the same as the history.'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3
if ! [ -x /usr/bin/time ]; then
	test_require_prog /usr/bin/time
fi

RUNS=20000
MAX_KB=$((20 * 1024))

# peak_kb NAME CMD...: run CMD, its peak RSS in KiB into NAME.kb.
peak_kb () {
	name=$1 &&
	shift &&
	/usr/bin/time -f %M -o "$name.kb" "$@"
}

# peak_under_limit NAME: what peak_kb NAME measured is under the limit.
peak_under_limit () {
	kb=$(tail -n 1 "$1.kb") &&
	echo "$1: peak RSS $kb KiB (limit $MAX_KB)" &&
	test "$kb" -lt "$MAX_KB"
}

# Under ASan or valgrind the peak is the instrumentation's (quarantined
# frees, shadow memory), not hookdir's: the limits are checked without.
test_lazy_prereq PLAIN_RSS '
	test -z "${ASAN_OPTIONS:-}" && test -z "${HOOKDIR_VALGRIND:-}"
'

test_expect_success 'setup: a history of 20 000 finished runs' '
	setup_worker &&
	hookdir worker --once --allow-root &&
	sh "$TEST_DIRECTORY/perf/history-synth.sh" state/hookdir.db $RUNS &&
	test "$(sql "SELECT count(*) FROM runs")" = $RUNS
'

test_expect_success 'runs lists every run, newest first' '
	peak_kb runs hookdir runs >runs.out &&
	test_line_count = $RUNS runs.out &&
	cut -f1 runs.out >ids &&
	sql "SELECT id FROM runs ORDER BY id DESC" >expect &&
	test_cmp expect ids
'

test_expect_success 'runs --json prints every run object' '
	peak_kb runs-json hookdir runs --json >runs.json &&
	test "$(head -n 1 runs.json)" = "[" &&
	test "$(tail -n 1 runs.json)" = "]" &&
	test "$(grep -c "^  {\$" runs.json)" = $RUNS &&
	sqlite3 :memory: "SELECT json_array_length(readfile(\"runs.json\"))" >n &&
	echo $RUNS >expect &&
	test_cmp expect n
'

test_expect_success 'runs -n 20 and --status stream too' '
	hookdir runs -n 20 >top.out &&
	test_line_count = 20 top.out &&
	peak_kb runs-status hookdir runs --status failure >failed.out &&
	test_line_count = $((RUNS / 20)) failed.out
'

test_expect_success 'report --limit 0 writes every run page' '
	peak_kb report hookdir report --html html --limit 0 &&
	ls html | grep -c "^run-[0-9]*\.html\$" >n &&
	echo $RUNS >expect &&
	test_cmp expect n &&
	test "$(grep -c "<tr><td><a href=\"run-" html/index.html)" = $RUNS
'

test_expect_success 'gc forgets the older half' '
	cat >>hookdir.conf.new <<-EOF &&
	$(sed "s/^{/{ \"retention\": \"$((RUNS * 30 / 2))s\",/" hookdir.conf)
	EOF
	mv hookdir.conf.new hookdir.conf &&
	peak_kb gc hookdir gc >gc.out &&
	left=$(sql "SELECT count(*) FROM runs") &&
	echo "left: $left" &&
	test "$left" -ge $((RUNS / 2 - 5)) &&
	test "$left" -le $((RUNS / 2 + 5))
'

for name in runs runs-json runs-status report gc; do
	test_expect_success PLAIN_RSS "$name: peak RSS under 20 MiB" "
		peak_under_limit $name
	"
done

test_done
