#!/bin/bash
test_description='install anywhere: an unprivileged user'"'"'s prefix, a new prefix rebuilds

From a copy of the distributed sources, as an unprivileged user:
configure --prefix=$HOME/.local, make, make install. Everything lands
under the prefix (the service files included, with a note saying so),
nothing outside it; configuring again with another --sysconfdir rebuilds
what embeds the configuration path. For the system'"'"'s prefix the
service files go where the system reads them.'

. "$(dirname "$0")/test-lib.sh"

if ! test_have_prereq ROOT || ! getent passwd nobody >/dev/null; then
	skip_all='needs root (to become the unprivileged user nobody)'
	test_done
fi
test_require_prog runuser

# as_user CMD: run the shell command CMD as nobody in the source copy.
# What is built is not run for its speed: compiled without optimization,
# it builds in about half the time.
as_user () {
	runuser -u nobody -- env HOME="$TRASH/home" MAKEFLAGS= CFLAGS="-O0" \
		sh -c "cd '$TRASH/src' && $1"
}

test_expect_success 'setup: a copy of the distributed sources, the user'"'"'s' '
	${MAKE:-make} -s -C "$top_builddir" distdir distdir="$TRASH/src" >/dev/null &&
	mkdir home &&
	chown -R nobody: src home
'

test_expect_success 'configure --prefix=$HOME/.local says where the service files go' '
	as_user "./configure --prefix=\$HOME/.local" >configure.out 2>&1 ||
		{ tail -n 30 configure.out; false; } &&
	test_grep "is not the system.s" configure.out &&
	test_grep "lib/systemd/system" configure.out
'

test_expect_success 'make and make install as that user' '
	as_user "${MAKE:-make} -j2 >make.out 2>&1 && ${MAKE:-make} install" \
		>install.out 2>&1 ||
		{ tail -n 30 install.out src/make.out; false; } &&
	p=home/.local &&
	test -x $p/bin/hookdir &&
	test -x $p/bin/hookdir.fcgi &&
	test_path_is_file $p/lib/systemd/system/hookdir-worker.service &&
	test_path_is_file $p/lib/tmpfiles.d/hookdir.conf &&
	test_path_is_file $p/etc/logrotate.d/hookdir &&
	test_path_is_file $p/share/bash-completion/completions/hookdir &&
	test_path_is_file $p/share/man/man1/hookdir.1 &&
	# Where a system-wide install would have written.  What find could
	# not read, or saw go while it looked (other programs work in /var
	# meanwhile), is no file of ours: its exit status does not count.
	{ find /etc /usr /lib /var -xdev -user nobody -newer src/Makefile \
		2>/dev/null || :; } >outside &&
	test_line_count = 0 outside
'

test_expect_success 'the installed programs and man pages know their paths' '
	home/.local/bin/hookdir --help >help.out &&
	test_grep "$TRASH/home/.local/etc/hookdir/hookdir.conf" help.out &&
	grep -q "ExecStart=$TRASH/home/.local/bin/hookdir" \
		home/.local/lib/systemd/system/hookdir-worker.service &&
	# and so do the man pages
	grep -q "$TRASH/home/.local/etc/hookdir/hookdir.conf" \
		home/.local/share/man/man1/hookdir.1 &&
	grep -q "$TRASH/home/.local/lib/systemd/system/hookdir-worker.service" \
		home/.local/share/man/man1/hookdir.1 &&
	grep -q "$TRASH/home/.local/etc/hookdir/hookdir.conf" \
		home/.local/share/man/man8/hookdir.fcgi.8 &&
	! grep -q "@[a-z]*dir@" home/.local/share/man/man*/*
'

test_expect_success 'configure again with another --sysconfdir: make rebuilds the path' '
	as_user "./configure -q --prefix=\$HOME/.local --sysconfdir=\$HOME/conf &&
		${MAKE:-make} >make2.out 2>&1" >reconf.out 2>&1 ||
		{ cat reconf.out src/make2.out; false; } &&
	src/worker/hookdir --help >help2.out &&
	test_grep "$TRASH/home/conf/hookdir/hookdir.conf" help2.out &&
	test_grep ! "/.local/etc/hookdir" help2.out &&
	HOOKDIR_CONF= src/cgi/hookdir.fcgi --help >fcgi-help.out &&
	test_grep "$TRASH/home/conf/hookdir/hookdir.conf" fcgi-help.out
'

test_expect_success 'for the system'"'"'s prefix the service files go where the system reads them' '
	as_user "./configure -q --prefix=/usr/local" >sys.out 2>&1 &&
	grep "^logrotatedir = /etc/logrotate.d\$" src/Makefile &&
	grep "^systemdsystemunitdir = /" src/Makefile >unitdir &&
	test_grep ! prefix unitdir
'

test_done
