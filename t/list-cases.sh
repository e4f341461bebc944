#!/bin/sh
# list-cases.sh [--times] [BUILDDIR]: after `make check`, every test of
# every test file, one "FILE<TAB>TITLE" line each, in the order of
# t/Makefile.inc, from the logs the TAP driver left in BUILDDIR (default:
# the current directory).  A test that did not run is not listed: compare
# two lists to see that none was lost (a skipped one ends in " [skipped]").  With --times: "FILE<TAB>WALL-MS
# <TAB>USER-MS<TAB>SYS-MS" for each shell test file, from the "# time:"
# line t/test-lib.sh prints.
times=
if [ "${1:-}" = --times ]; then
	times=t
	shift
fi
build=${1:-.}
src=$(cd "$(dirname "$0")/.." && pwd)
sed -n 's/^[[:space:]]*\(t\/[^ ]*\).*/\1/p' "$src/t/Makefile.inc" |
while read -r t
do
	log=$build/$t.log
	if [ ! -f "$log" ]; then
		echo >&2 "list-cases.sh: no $log (did make check run it?)"
		continue
	fi
	if [ -n "$times" ]; then
		sed -n "s|^# time: \([0-9]*\) ms wall, \([0-9]*\) ms user, \([0-9]*\) ms sys\$|$t	\1	\2	\3|p" "$log"
	else
		sed -n -e "s|^[A-Z]*: $t [0-9]* - \(.*\)\$|$t	\1|p" \
			-e "s|^SKIP: $t [0-9]* # SKIP \(.*\)\$|$t	\1 [skipped]|p" "$log"
	fi
done
