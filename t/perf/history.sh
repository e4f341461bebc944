#!/bin/bash
# t/perf/history.sh: the "history" section of `make perf` (t/perf/run.sh
# runs it; PERF_ONLY=history make perf runs it alone).  History at
# scale: for each size in PERF_HISTORY_SIZES it synthesises that many
# finished runs straight into a fresh history (t/perf/history-synth.sh:
# one SQL transaction into the schema the store made, nothing run), then
# times, with the peak RSS of each:
#   status            hookdir status
#   runs -n 20        the newest 20 runs
#   runs              every run, TSV, to /dev/null
#   report            the status pages (default limit), into a directory
#                     that holds the previous report's pages
#   gc                with retention half the history's span: removes
#                     half the runs; "lock wait" is the longest a probe
#                     that takes the write lock every 10 ms waited for it
#                     meanwhile (sqlite3 .timeout: SQLite's busy handler,
#                     as the worker waits)
# status, runs -n 20 and report are the median of PERF_HISTORY_REPS runs;
# runs and gc run once.  Then the verdicts: every command under 20 MiB
# peak RSS at every size; the largest size's time over the smallest's at
# most 2 for status, runs -n 20 and report.  Nothing is asserted: it exits
# 0 whatever the numbers (1 when something it needs is missing).
#
# Environment:
#   PERF_HISTORY_SIZES="10000 100000 1000000"
#   PERF_HISTORY_REPS=5
#   PERF_TMP=/var/tmp   PERF_KEEP=1 (keep the temp dir)
#   top_builddir        the tree whose worker/hookdir is measured
#
# Runs are 30 s apart (history-synth.sh): 1 000 000 runs is a year of a
# busy repository, and the last day holds the same runs at every size.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
set -o pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
HOOKDIR=$top_builddir/worker/hookdir
SYNTH=$top_srcdir/t/perf/history-synth.sh
SIZES=${PERF_HISTORY_SIZES:-"10000 100000 1000000"}
REPS=${PERF_HISTORY_REPS:-5}
SPACING=30
RSS_MAX_KB=$((20 * 1024))

say() { printf '%s perf: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "$*"; exit 1; }

for n in $SIZES $REPS; do
	[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] ||
		die "PERF_HISTORY_SIZES / PERF_HISTORY_REPS: want positive integers, not $n"
done
[ -x "$HOOKDIR" ] || die "$HOOKDIR: run make first"
command -v sqlite3 >/dev/null || die "needs sqlite3 (apt-get install sqlite3)"
[ -x /usr/bin/time ] || die "needs /usr/bin/time (apt-get install time)"
[ -n "${EPOCHREALTIME:-}" ] || die "needs bash 5 (EPOCHREALTIME)"

RUN=$(mktemp -d "${PERF_TMP:-/var/tmp}/hookdir-perf-history.XXXXXX") || die "mktemp failed"
cleanup() { [ -n "${PERF_KEEP:-}" ] || rm -rf "$RUN"; }
trap cleanup EXIT
ROOT=
[ "$(id -u)" = 0 ] && ROOT=--allow-root

declare -A T M		# T[cmd|n] wall ms, M[cmd|n] peak RSS KiB
declare -a CMDS=(status "runs -n 20" runs report gc)

# timed NAME N ARGS...: run hookdir once; wall ms into $ms, RSS KiB into $kb.
timed() {
	local t0 t1
	t0=$EPOCHREALTIME
	/usr/bin/time -f %M -o "$RUN/rss" "$HOOKDIR" -c "$P/hookdir.conf" "$@" \
		>/dev/null 2>"$RUN/err" || { cat "$RUN/err" >&2; die "hookdir $*: failed"; }
	t1=$EPOCHREALTIME
	ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) * 1000}')
	kb=$(tail -n 1 "$RUN/rss")
}

# measure NAME N REPS ARGS...: the median wall time, the largest RSS.
measure() {
	local name=$1 n=$2 reps=$3 i times= maxkb=0
	shift 3
	for i in $(seq "$reps"); do
		timed "$@"
		times="$times $ms"
		[ "$kb" -gt "$maxkb" ] && maxkb=$kb
	done
	T["$name|$n"]=$(printf '%s\n' $times | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
	M["$name|$n"]=$maxkb
}

# The longest wait for the write lock while the file $2 does not exist.
lock_probe() {
	local db=$1 stop=$2 t0 t1 w max=0
	while [ ! -e "$stop" ]; do
		t0=$EPOCHREALTIME
		sqlite3 "$db" ".timeout 30000" "BEGIN IMMEDIATE;" "COMMIT;" >/dev/null
		t1=$EPOCHREALTIME
		w=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%d", (b - a) * 1000}')
		[ "$w" -gt "$max" ] && max=$w
		sleep 0.01
	done
	echo "$max"
}

declare -A LOCK SYN
for n in $SIZES; do
	P=$RUN/h.$n
	mkdir -p "$P/spool/tmp" "$P/spool/new" "$P/spool/cur" "$P/spool/done" \
	    "$P/spool/failed" "$P/state" "$P/pipelines" "$P/html" || die "mkdir $P"
	printf '{"spool":"%s","state":"%s","pipelines":"%s","retention":"%ds",\n"sources":{"bench":{"provider":"github","secret_file":"/dev/null"}}}\n' \
		"$P/spool" "$P/state" "$P/pipelines" $((n * SPACING / 2)) >"$P/hookdir.conf"
	# The store makes its schema (a worker with nothing queued).
	"$HOOKDIR" -c "$P/hookdir.conf" worker --once $ROOT >/dev/null 2>&1 ||
		die "hookdir worker --once: cannot make the history in $P/state"
	say "history: synthesising $n runs"
	t0=$EPOCHREALTIME
	sh "$SYNTH" "$P/state/hookdir.db" "$n" "$SPACING" || die "history-synth.sh failed"
	SYN[$n]=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}')
	# Warm the page cache the way a server that runs these often has it.
	cat "$P/state/hookdir.db" >/dev/null
	say "history: $n runs: status, runs -n 20, runs, report"
	measure status "$n" "$REPS" status
	measure "runs -n 20" "$n" "$REPS" runs -n 20
	measure runs "$n" 1 runs
	timed report --html "$P/html"		# the pages exist, as in use
	measure report "$n" "$REPS" report --html "$P/html"
	say "history: $n runs: gc of half"
	rm -f "$P/stop"
	lock_probe "$P/state/hookdir.db" "$P/stop" >"$P/lock" &
	probe=$!
	measure gc "$n" 1 gc
	touch "$P/stop"
	wait "$probe"
	LOCK[$n]=$(cat "$P/lock")
	left=$(sqlite3 "$P/state/hookdir.db" "SELECT count(*) FROM runs")
	say "history: $n runs: gc left $left"
	rm -f "$P/state/hookdir.db"*	# the disk for the next size
done

# ---------------------------------------------------------------- table
printf '\nhistory at scale (%s; runs %d s apart; median of %d, runs and gc once)\n' \
	"$("$HOOKDIR" -V 2>/dev/null | head -n 1)" "$SPACING" "$REPS"
printf '%-12s' "command"
for n in $SIZES; do printf '%22s' "$n runs"; done
printf '\n%-12s' ""
for n in $SIZES; do printf '%22s' "ms / MiB"; done
printf '\n'
for c in "${CMDS[@]}"; do
	printf '%-12s' "$c"
	for n in $SIZES; do
		printf '%22s' "$(awk -v t="${T["$c|$n"]}" -v k="${M["$c|$n"]}" 'BEGIN {printf "%.1f / %.1f", t, k / 1024}')"
	done
	printf '\n'
done
printf '%-12s' "gc lock wait"
for n in $SIZES; do printf '%22s' "${LOCK[$n]} ms"; done
printf '\n%-12s' "synthesis"
for n in $SIZES; do printf '%22s' "${SYN[$n]} s"; done
printf '\n\n'

# ---------------------------------------------------------------- verdicts
verdict() {	# ok text
	printf '%s  %s\n' "$([ "$1" = 1 ] && echo PASS || echo MISS)" "$2"
}
for c in "${CMDS[@]}"; do
	worst=0
	for n in $SIZES; do [ "${M["$c|$n"]}" -gt "$worst" ] && worst=${M["$c|$n"]}; done
	verdict "$([ "$worst" -lt "$RSS_MAX_KB" ] && echo 1)" \
		"$(printf '%-11s peak RSS < 20 MiB at every size (largest %.1f MiB)' "$c" "$(awk -v k="$worst" 'BEGIN {print k / 1024}')")"
done
set -- $SIZES
small=$1
shift $(($# - 1))
large=$1
for c in status "runs -n 20" report; do
	r=$(awk -v a="${T["$c|$large"]}" -v b="${T["$c|$small"]}" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
	verdict "$(awk -v r="$r" 'BEGIN {print (r <= 2) ? 1 : 0}')" \
		"$(printf '%-11s time at %d runs / at %d runs <= 2 (%s)' "$c" "$large" "$small" "$r")"
done
worst=0
for n in $SIZES; do [ "${LOCK[$n]}" -gt "$worst" ] && worst=${LOCK[$n]}; done
verdict "$([ "$worst" -le 1000 ] && echo 1)" \
	"$(printf 'gc          no wait for the write lock over 1 s while it runs (longest %d ms)' "$worst")"
exit 0
