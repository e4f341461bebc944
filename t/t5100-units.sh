#!/bin/bash
test_description='service files: systemd units, tmpfiles.d, logrotate, cron

"make install DESTDIR=root" from the build tree, then: no @var@ is left
unsubstituted, every ExecStart names an installed binary, each unit passes
"systemd-analyze verify --root" with nothing said about it (unknown keys
and bad values are only warnings there, so the output must be empty too),
and systemd-tmpfiles creates the spool, state and respond directories with
the modes the README asks for.'

. "$(dirname "$0")/test-lib.sh"

test_require_prog systemd-analyze

ROOT=$TRASH/root
UNITS="hookdir-worker.service hookdir-worker.path
hookdir-worker-once.service hookdir.socket hookdir.fcgi.service"

# The host's targets and slices, which every unit depends on implicitly
# (sysinit.target, basic.target, ...): with --root, systemd-analyze looks
# for them in the root only.
copy_host_targets () {
	local d
	for d in /usr/lib/systemd/system /lib/systemd/system; do
		if [ -e "$d/sysinit.target" ]; then
			cp -P "$d"/*.target "$d"/*.slice "$ROOT/usr/lib/systemd/system/"
			return
		fi
	done
	echo "no sysinit.target on this host" >&2
	return 1
}

test_expect_success 'setup: make install DESTDIR' '
	${MAKE:-make} -s -C "$top_builddir" install DESTDIR="$ROOT" >install.out &&
	test_path_is_dir "$ROOT" &&
	mkdir -p "$ROOT/usr/lib/systemd/system" "$ROOT/etc/systemd/system" &&
	for u in $UNITS
	do
		f=$(find "$ROOT" -type f -name "$u" | head -n 1) &&
		# --without-systemdsystemunitdir: check the built ones.
		f=${f:-$top_builddir/share/systemd/$u} &&
		# A unit directory inside a scratch prefix (as under
		# distcheck) is not on the search path of "verify --root".
		cp "$f" "$ROOT/etc/systemd/system/" &&
		echo "/etc/systemd/system/$u" >>units || return 1
	done &&
	test_line_count = 5 units &&
	conf=$(find "$ROOT" -path "*/tmpfiles.d/hookdir.conf" | head -n 1) &&
	echo "${conf:-$top_builddir/share/tmpfiles/hookdir.conf}" >tmpfiles-conf &&
	copy_host_targets
'

test_expect_success 'built files have no @var@ left' '
	for f in systemd/hookdir-worker.service systemd/hookdir-worker.path \
	    systemd/hookdir-worker-once.service systemd/hookdir.socket \
	    systemd/hookdir.fcgi.service tmpfiles/hookdir.conf \
	    logrotate/hookdir cron/hookdir.cron
	do
		test_path_is_file "$top_builddir/share/$f" &&
		test_must_fail grep -n "@[a-z_]*@" "$top_builddir/share/$f" ||
		return 1
	done
'

test_expect_success 'ExecStart and cron lines name installed binaries' '
	sed -n "s/^ExecStart=\([^ ]*\).*/\1/p" $(sed "s|^|$ROOT|" units) >exec &&
	sed -n "s/^[0-9*][^a-z]*hookdir  *\(\/[^ ]*\) .*/\1/p" \
	    "$top_builddir/share/cron/hookdir.cron" >>exec &&
	test_line_count = 5 exec &&
	while read -r p
	do
		case $p in
		*/hookdir|*/hookdir.fcgi) ;;
		*) echo "unexpected program $p"; return 1 ;;
		esac &&
		test -x "$ROOT$p" || { echo "$p: not installed"; return 1; }
	done <exec
'

test_expect_success 'systemd-analyze verify: every unit, nothing said' '
	while read -r u
	do
		SYSTEMD_LOG_LEVEL=notice SYSTEMD_PAGER= SYSTEMD_COLORS=0 \
		    systemd-analyze verify --man=no --root="$ROOT" "$u" \
		    >verify.out 2>&1 ||
		{ cat verify.out; echo "$u: verify failed"; return 1; }
		if [ -s verify.out ]
		then
			cat verify.out; echo "$u: verify said something"
			return 1
		fi
	done <units
'

# A negative control: the check above does see a bad unit.
test_expect_success 'systemd-analyze verify complains about a broken unit' '
	u=/etc/systemd/system/hookdir-broken.service &&
	sed -e "s/^NoNewPrivileges=yes/NoNewPrivileges=maybe/" \
	    -e "s|^ExecStart=[^ ]*|ExecStart=/nonexistent/hookdir|" \
	    "$ROOT$(grep worker.service units)" >"$ROOT$u" &&
	test_when_finished "rm -f \"$ROOT$u\"" &&
	test_might_fail systemd-analyze verify --man=no --root="$ROOT" "$u" \
	    >verify.out 2>&1 &&
	test_grep "hookdir-broken.service:[0-9]*: Failed to parse" verify.out &&
	test_grep "/nonexistent/hookdir" verify.out
'

test_expect_success 'the socket hands its fd to hookdir.fcgi on stdin' '
	f=$ROOT$(grep "hookdir.socket" units) &&
	s=$ROOT$(grep "hookdir.fcgi.service" units) &&
	test_grep "^ListenStream=/run/hookdir/fcgi.sock$" "$f" &&
	test_grep "^Service=hookdir.fcgi.service$" "$f" &&
	test_grep "^StandardInput=socket$" "$s" &&
	test_must_fail grep "^ExecStart=.*--listen" "$s"
'

test_lazy_prereq TMPFILES 'command -v systemd-tmpfiles'

test_expect_success TMPFILES 'tmpfiles.d makes the spool, state, respond dirs' '
	conf=$(cat tmpfiles-conf) &&
	mkdir -p tmproot/etc &&
	echo "hookdir:x:$(id -u):$(id -g)::/:/bin/sh" >tmproot/etc/passwd &&
	echo "hookdir:x:$(id -g):" >tmproot/etc/group &&
	systemd-tmpfiles --root="$TRASH/tmproot" --create "$conf" &&
	spool=$(sed -n "s|^d \(/.*/spool/hookdir\)[[:space:]].*|\1|p" "$conf") &&
	state=$(sed -n "s|^d \(/.*/lib/hookdir\)[[:space:]].*|\1|p" "$conf") &&
	respond=$(sed -n "s|^d \(/.*-respond\)[[:space:]].*|\1|p" "$conf") &&
	for d in "$spool" "$spool/tmp" "$spool/new" "$spool/cur" \
	    "$spool/done" "$spool/failed" "$respond"
	do
		echo "2770 $d" || return 1
	done >expect &&
	echo "700 $state" >>expect &&
	for d in "$spool" "$spool/tmp" "$spool/new" "$spool/cur" \
	    "$spool/done" "$spool/failed" "$respond" "$state"
	do
		echo "$(stat -c %a "tmproot$d") $d" || return 1
	done >actual &&
	test_cmp expect actual
'

test_expect_success 'units, tmpfiles and logrotate agree on the paths' '
	w=$ROOT$(grep "hookdir-worker.service" units) &&
	conf=$(cat tmpfiles-conf) &&
	rw=$(sed -n "s/^ReadWritePaths=//p" "$w") &&
	for d in $rw
	do
		test_grep "^d $d[[:space:]]" "$conf" || return 1
	done &&
	lr=$(find "$ROOT" -path "*/logrotate.d/hookdir") &&
	logdir=$(sed -n "s|^\(/.*\)/\*\.log {$|\1|p" "$lr") &&
	test_grep "^d $logdir[[:space:]]" "$conf" &&
	sock=$(sed -n "s/^ListenStream=//p" "$ROOT$(grep "hookdir.socket" units)") &&
	test_grep "^d ${sock%/*}[[:space:]]" "$conf"
'

test_done
