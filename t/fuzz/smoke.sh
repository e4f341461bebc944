#!/bin/sh
# make fuzz-smoke: run every libFuzzer target of t/fuzz/ for a bounded
# time on its seed corpus (t/fuzz/corpus/TARGET/, which also keeps every
# input that ever crashed a target); fail on any crash, leak or timeout.
#
# Environment (set by make):
#	FUZZ_BUILDDIR   a build configured with --enable-fuzz; empty: make
#	                one in $FUZZ_SCRATCH (default $top_builddir/fuzz-build)
#	                with clang, and build the targets there (from a
#	                clean copy of the sources when top_srcdir is
#	                configured in place)
#	top_srcdir, top_builddir
# Knobs: FUZZ_SECONDS (per target, default 12), FUZZ_ONLY (names, default
# all), FUZZ_JOBS (targets run at once, default 2), CC_FUZZ (default clang).
set -u

: "${top_srcdir:?}" "${top_builddir:?}"
seconds=${FUZZ_SECONDS:-12}
jobs=${FUZZ_JOBS:-2}
targets=${FUZZ_ONLY:-"request provider message event expr jsonpath config pipeline"}
corpora=$top_srcdir/t/fuzz/corpus

builddir=${FUZZ_BUILDDIR:-}
if [ -z "$builddir" ]; then
	builddir=${FUZZ_SCRATCH:-$top_builddir/fuzz-build}
	cc=${CC_FUZZ:-clang}
	if ! command -v "$cc" >/dev/null 2>&1; then
		echo "fuzz-smoke: $cc not found; libFuzzer needs clang" >&2
		exit 1
	fi
	# configure refuses a second build of a source tree that is
	# configured in place: then build in a clean copy of it.
	src=$top_srcdir
	if [ -f "$top_srcdir/config.status" ]; then
		src=$builddir/src
		if ! [ -f "$src/configure" ]; then
			echo "fuzz-smoke: copying the sources to $src"
			mkdir -p "$builddir" &&
			make -C "$top_builddir" -s distdir distdir="$src" \
				>"$builddir/distdir.log" 2>&1 || {
				tail -n 40 "$builddir/distdir.log" >&2
				exit 1
			}
		fi
		builddir=$src
	fi
	mkdir -p "$builddir" || exit 1
	if ! [ -f "$builddir/Makefile" ]; then
		echo "fuzz-smoke: configuring a fuzzing build in $builddir"
		(cd "$builddir" && "$src/configure" -q --enable-fuzz \
			CC="$cc" CFLAGS="-O1 -g") || exit 1
	fi
fi
echo "fuzz-smoke: building the targets in $builddir"
make -C "$builddir" -s fuzz-targets >"$builddir/fuzz-build.log" 2>&1 || {
	tail -n 40 "$builddir/fuzz-build.log" >&2
	exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/hookdir-fuzz-smoke.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

# run_one NAME: fuzz for $seconds; new inputs go to a scratch directory,
# never into the source tree's corpus.  Requests may be longer than the
# responder's 64 KiB of headers, so that both sides of it are reached.
run_one () {
	local max_len=65536
	[ "$1" = request ] && max_len=131072
	mkdir -p "$work/$1" &&
	top_srcdir=$top_srcdir \
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$builddir/t/fuzz/fuzz-$1" -max_total_time="$seconds" -timeout=10 \
		-rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 \
		-artifact_prefix="$work/$1/crash-" \
		"$work/$1" "$corpora/$1" >"$work/$1.log" 2>&1
}

failed=
running=0
for t in $targets
do
	[ -x "$builddir/t/fuzz/fuzz-$t" ] || {
		echo "fuzz-smoke: no target fuzz-$t" >&2
		exit 1
	}
	( run_one "$t"; echo $? >"$work/$t.rc" ) &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

for t in $targets
do
	rc=$(cat "$work/$t.rc" 2>/dev/null || echo 1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
	if [ "$rc" = 0 ]; then
		echo "fuzz-smoke: fuzz-$t: ok, ${runs:-?} runs in ${seconds}s"
	else
		echo "fuzz-smoke: fuzz-$t: FAILED (exit $rc); the input that did it:"
		ls "$work/$t"/crash-* 2>/dev/null | sed -e 's/^/  /'
		tail -n 60 "$work/$t.log"
		for f in "$work/$t"/crash-*
		do
			[ -f "$f" ] || continue
			mkdir -p "$top_builddir/fuzz-crashes/$t" &&
			cp "$f" "$top_builddir/fuzz-crashes/$t/"
		done
		failed="$failed $t"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz-smoke: failed:$failed (inputs kept in $top_builddir/fuzz-crashes/)"
	exit 1
fi
exit 0
