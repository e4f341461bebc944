#!/bin/bash
test_description='the Debian package: built, lintian-clean, installed, used, removed

Builds hookdir_*.deb from the tree (debian/) with dpkg-buildpackage, runs
lintian on it, installs it with apt-get, follows README.Debian'"'"'s first
run (a source, its secret, the nginx snippet in a real nginx, a signed
request, the worker as the packaged user), then removes and purges it and
checks what is left.  It installs packages and creates users: run it as
root on a machine you can spare (CI, or "make deb").  It leaves the
machine as it found it: the package purged, and the users and the spool
the purge keeps removed when they were not there before.'

# The installed programs, not the build tree's.
HOOKDIR=/usr/bin/hookdir
HOOKDIR_FCGI=/usr/bin/hookdir.fcgi
. "$(dirname "$0")/../test-lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip_all='needs root: it installs the package'
	test_done
fi
if ! git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1; then
	skip_all='needs a git checkout: the package is built from its files'
	test_done
fi
# Made when this test installs the package, removed by its clean-up: a
# run killed in between left it.
MARK=/var/tmp/hookdir-package-test
if dpkg-query -W -f='${Status}' hookdir 2>/dev/null | grep -q installed &&
   ! [ -e "$MARK" ]; then
	echo "Bail out! hookdir is installed already: this test would purge it"
	exit 1
fi
test_require_prog dpkg-buildpackage dpkg-checkbuilddeps lintian apt-get \
	git runuser nginx spawn-fcgi curl openssl apache2 lighttpd

. "$TEST_DIRECTORY/lib-httpd.sh"

# The web servers run as Debian's www-data, in whose group the packaged
# socket is.
HTTPD_USER=www-data
HTTPD_GROUP=www-data
export DEBIAN_FRONTEND=noninteractive
README_DEBIAN=$top_srcdir/debian/README.Debian
SPOOL=/var/spool/hookdir

deb_cleanup () {
	stop_httpd
	if dpkg-query -W -f='${Status}' hookdir 2>/dev/null |
	    grep -q -v 'not-installed'; then
		apt-get purge -y -qq hookdir >/dev/null 2>&1
	fi
	[ -n "$spool_before" ] || rm -rf "$SPOOL" /var/spool/hookdir-respond
	case " $users_before " in *" hookdir-fcgi "*) ;; *)
		getent passwd hookdir-fcgi >/dev/null && deluser --quiet hookdir-fcgi 2>/dev/null ;;
	esac
	case " $users_before " in *" hookdir "*) ;; *)
		getent passwd hookdir >/dev/null && deluser --quiet hookdir 2>/dev/null ;;
	esac
	if [ -z "$group_before" ] && getent group hookdir >/dev/null; then
		delgroup --quiet hookdir
	fi
	rm -f "$MARK"
}
# A run killed before its clean-up: clean up now, as that run would have.
users_before= group_before= spool_before=
[ -e "$MARK" ] && deb_cleanup
# What was there before: left alone by the clean-up.
users_before=
for u in hookdir hookdir-fcgi
do
	getent passwd "$u" >/dev/null && users_before="$users_before $u"
done
group_before=
getent group hookdir >/dev/null && group_before=t
spool_before=
[ -e "$SPOOL" ] && spool_before=t

test_atexit deb_cleanup

# owners_modes PATH...: "OWNER:GROUP MODE PATH" lines.
owners_modes () {
	stat -c '%U:%G %a %n' "$@"
}

test_expect_success 'the package builds with dpkg-buildpackage' '
	version=$(dpkg-parsechangelog -l "$top_srcdir/debian/changelog" -S Version) &&
	src=$TRASH/build/hookdir-$version &&
	mkdir -p "$src" &&
	git -C "$top_srcdir" ls-files -z -c -o --exclude-standard >files &&
	(cd "$top_srcdir" && xargs -0 cp --parents -t "$src") <files &&
	(cd "$src" && dpkg-checkbuilddeps) &&
	(cd "$src" && dpkg-buildpackage -us -uc -b) >build.log 2>&1 ||
	{ tail -n 40 build.log; false; } &&
	deb=$(echo "$TRASH"/build/hookdir_"$version"_*.deb) &&
	changes=$(echo "$TRASH"/build/hookdir_"$version"_*.changes) &&
	test_path_is_file "$deb" &&
	test_path_is_file "$changes"
'

test_expect_success 'a later version, for the upgrade' '
	next=$TRASH/next/hookdir-$version+next &&
	mkdir -p "$next" &&
	(cd "$top_srcdir" && xargs -0 cp --parents -t "$next") <files &&
	{
		printf "hookdir (%s) unstable; urgency=medium\n\n" "$version+next" &&
		printf "  * The same, to test an upgrade.\n\n" &&
		printf " -- %s  %s\n\n" \
		    "$(dpkg-parsechangelog -l "$next/debian/changelog" -S Maintainer)" \
		    "$(date -R)" &&
		cat "$next/debian/changelog"
	} >changelog.next &&
	mv changelog.next "$next/debian/changelog" &&
	(cd "$next" && dpkg-buildpackage -us -uc -b) >build-next.log 2>&1 ||
	{ tail -n 40 build-next.log; false; } &&
	deb_next=$(echo "$TRASH"/next/hookdir_"$version"+next_*.deb) &&
	test_path_is_file "$deb_next"
'

test_expect_success 'lintian: no errors, no warnings' '
	lintian --fail-on error,warning --display-info --show-overrides \
	    "$changes" >lintian.out 2>lintian.err ||
	{ cat lintian.out lintian.err; false; } &&
	say "lintian on the .changes and the .deb:" &&
	while read -r line
	do
		say "  $line"
	done <lintian.out &&
	test_grep ! "^[EW]: " lintian.out
'

test_expect_success 'it installs with apt-get' '
	touch "$MARK" &&
	apt-get install -y -qq "$deb" >install.log 2>&1 ||
	{ cat install.log; false; } &&
	dpkg-query -W -f="\${Status}\n" hookdir >status &&
	echo "install ok installed" >expect &&
	test_cmp expect status
'

test_expect_success 'system users for the worker and the responder' '
	for u in hookdir hookdir-fcgi
	do
		echo "$u $(id -gn "$u") $(getent passwd "$u" | cut -d: -f6,7)" ||
		return 1
	done >actual &&
	cat >expect <<-EOF &&
	hookdir hookdir /var/lib/hookdir:/usr/sbin/nologin
	hookdir-fcgi hookdir /nonexistent:/usr/sbin/nologin
	EOF
	test_cmp expect actual &&
	test $(id -u hookdir) -lt 1000 &&
	test $(id -u hookdir-fcgi) -lt 1000
'

test_expect_success 'the directories: owners and modes' '
	owners_modes $SPOOL $SPOOL/tmp $SPOOL/new $SPOOL/cur $SPOOL/done \
	    $SPOOL/failed /var/spool/hookdir-respond /var/lib/hookdir \
	    /var/log/hookdir /etc/hookdir /etc/hookdir/secrets \
	    /etc/hookdir/worker-secrets /etc/hookdir/pipelines \
	    /etc/hookdir/hookdir.conf /run/hookdir >actual &&
	cat >expect <<-EOF &&
	hookdir:hookdir 2770 $SPOOL
	hookdir:hookdir 2770 $SPOOL/tmp
	hookdir:hookdir 2770 $SPOOL/new
	hookdir:hookdir 2770 $SPOOL/cur
	hookdir:hookdir 2770 $SPOOL/done
	hookdir:hookdir 2770 $SPOOL/failed
	hookdir:hookdir 2770 /var/spool/hookdir-respond
	hookdir:hookdir 700 /var/lib/hookdir
	hookdir:hookdir 750 /var/log/hookdir
	root:root 755 /etc/hookdir
	hookdir-fcgi:root 700 /etc/hookdir/secrets
	hookdir:root 700 /etc/hookdir/worker-secrets
	root:root 755 /etc/hookdir/pipelines
	root:root 644 /etc/hookdir/hookdir.conf
	root:root 755 /run/hookdir
	EOF
	test_cmp expect actual
'

test_expect_success 'every file under /etc is a conffile' '
	dpkg-query -W -f="\${Conffiles}\n" hookdir |
	    awk "NF { print \$1 }" | sort >conffiles &&
	dpkg -L hookdir | grep "^/etc/" |
	while read -r f
	do
		[ -d "$f" ] || echo "$f" || return 1
	done | sort >etc-files &&
	test_cmp etc-files conffiles &&
	test_grep "^/etc/hookdir/hookdir.conf\$" conffiles &&
	test_grep "^/etc/nginx/snippets/hookdir.conf\$" conffiles &&
	test_grep "^/etc/apache2/conf-available/hookdir.conf\$" conffiles &&
	test_grep "^/etc/lighttpd/conf-available/50-hookdir.conf\$" conffiles
'

test_expect_success 'as installed, the configuration is valid and has no source' '
	hookdir check >check.out 2>&1 &&
	test_grep "^ok: 0 sources, 1 pipeline" check.out
'

test_expect_success 'built with PostgreSQL: needs libpq5, takes a postgresql:// database' '
	dpkg-deb -f "$deb" Depends >depends &&
	test_grep "libpq5" depends &&
	sed "s|^\t\"state\": .*|&\n\t\"database\": \"postgresql://hookdir@db.invalid/hookdir?passfile=/var/lib/hookdir/pgpass\",|" \
	    /etc/hookdir/hookdir.conf >pg.conf &&
	test_grep "\"database\": \"postgresql:" pg.conf &&
	hookdir -c pg.conf check >check-pg.out 2>&1 &&
	test_grep "^ok: 0 sources, 1 pipeline" check-pg.out
'

test_expect_success 'the units are installed; only the socket and the path are enabled' '
	for u in hookdir.socket hookdir.fcgi.service hookdir-worker.path \
	    hookdir-worker-once.service hookdir-worker.service
	do
		test_path_is_file /lib/systemd/system/$u || return 1
	done &&
	test_path_is_file /etc/systemd/system/sockets.target.wants/hookdir.socket &&
	test_path_is_file /etc/systemd/system/paths.target.wants/hookdir-worker.path &&
	test_path_is_missing /etc/systemd/system/multi-user.target.wants/hookdir-worker.service
'

test_expect_success 'first run: a source and its secret, as README.Debian says' '
	secret_cmd=$(sed -n "s/^	\(openssl rand .*\/etc\/hookdir\/secrets\/site\)\$/\1/p" \
	    "$README_DEBIAN") &&
	test -n "$secret_cmd" &&
	sed -i -e "s|^\(	*\)// \(\"site\": {\)\$|\1\2|" \
	    -e "s|^\(	*\)//	\(\"provider\": \"github\",\)\$|\1	\2|" \
	    -e "s|^\(	*\)//	\(\"secret_file\": \"/etc/hookdir/secrets/site\"\)\$|\1	\2|" \
	    -e "s|^\(	*\)// \(},\)\$|\1\2|" /etc/hookdir/hookdir.conf &&
	eval "$secret_cmd" &&
	owners_modes /etc/hookdir/secrets/site >actual &&
	echo "hookdir-fcgi:root 600 /etc/hookdir/secrets/site" >expect &&
	test_cmp expect actual &&
	hookdir check >check.out 2>&1 &&
	test_grep "^ok: 1 source, 1 pipeline" check.out &&
	runuser -u hookdir-fcgi -- hookdir check >check-fcgi.out 2>&1 &&
	test_grep "^ok: 1 source" check-fcgi.out &&
	test_must_fail runuser -u hookdir -- cat /etc/hookdir/secrets/site
'

test_expect_success 'the responder as hookdir-fcgi, nginx with the packaged snippet' '
	d=$TRASH/nginx &&
	mkdir -p "$d/conf" "$d/logs" "$d/tmp" &&
	ln -s /etc/nginx/snippets "$d/conf/snippets" &&
	rm -f /run/hookdir/fcgi.sock &&
	"$SPAWN_FCGI" -s /run/hookdir/fcgi.sock -M 0660 -G www-data \
	    -u hookdir-fcgi -g hookdir -P "$TRASH/fcgi.pid" -- \
	    /usr/bin/hookdir.fcgi >spawn.log 2>&1 &&
	httpd_register_ responder "" $(cat "$TRASH/fcgi.pid") &&
	owners_modes /run/hookdir/fcgi.sock >actual &&
	echo "hookdir-fcgi:www-data 660 /run/hookdir/fcgi.sock" >expect &&
	test_cmp expect actual &&
	port=$(httpd_free_port_) &&
	echo "	include snippets/hookdir.conf;" >"$d/conf/site.conf" &&
	httpd_nginx_conf_ "$d" "$port" "user www-data www-data;" \
	    "$d/conf/site.conf" >"$d/conf/nginx.conf" &&
	env -u NGINX "$NGINX" -t -p "$d" -c "$d/conf/nginx.conf" -e "$d/logs/error.log" &&
	env -u NGINX "$NGINX" -p "$d" -c "$d/conf/nginx.conf" -e "$d/logs/error.log" \
	    </dev/null 9>&- &&
	httpd_register_ nginx "$d/logs/error.log" "$(cat "$d/logs/nginx.pid")" &&
	httpd_set_url_ "$port" "$d/logs/error.log" /hooks &&
	httpd_wait_http_ "$HTTPD_URL/"
'

# post_signed URL: send README.Debian's signed ping through URL, expect 202.
post_signed () {
	echo "{\"zen\": \"Keep it logically awesome.\"}" >ping.json &&
	hookdir sign --url "$1/" site ping.json >request.sh &&
	sh request.sh >response 2>&1 &&
	test_grep "\"status\":\"queued\"" response
}

test_expect_success 'a signed request through nginx is queued in the spool' '
	post_signed "$HOOK_URL_BASE" &&
	id=$(sed -n "s/.*\"id\":\"\([^\"]*\)\".*/\1/p" response) &&
	test -n "$id" &&
	owners_modes "$SPOOL/new/$id" >actual &&
	echo "hookdir-fcgi:hookdir 640 $SPOOL/new/$id" >expect &&
	test_cmp expect actual
'

test_expect_success 'an unsigned request is refused' '
	code=$("$CURL" -s -o /dev/null -w "%{http_code}" -d "{}" "$HOOK_URL_BASE/site") &&
	test "$code" = 401
'

test_expect_success 'the worker, as the packaged user, runs hello.json' '
	runuser -u hookdir -- hookdir worker --once >worker.out 2>&1 ||
	{ cat worker.out; false; } &&
	test_path_is_file "$SPOOL/done/$id" &&
	hookdir runs --json >runs.json &&
	test_grep "\"status\": *\"success\"" runs.json &&
	hookdir log 1 >log.out &&
	test_grep "event .ping. from site (github)" log.out &&
	owners_modes "$SPOOL/done/$id" /var/lib/hookdir/hookdir.db >actual &&
	cat >expect <<-EOF &&
	hookdir-fcgi:hookdir 640 $SPOOL/done/$id
	hookdir:hookdir 600 /var/lib/hookdir/hookdir.db
	EOF
	test_cmp expect actual &&
	find /var/lib/hookdir ! -user hookdir >not-hookdirs &&
	test_line_count = 0 not-hookdirs
'

test_expect_success 'Apache with the packaged hookdir.conf (a2enconf)' '
	d=$TRASH/apache &&
	mkdir -p "$d/run" "$d/logs" "$d/htdocs" &&
	{
		httpd_apache_conf_ "$d" @PORT@ None mpm_event authz_core mime \
		    proxy proxy_fcgi &&
		echo "Include /etc/apache2/conf-available/hookdir.conf"
	} >"$d/httpd.conf.in" &&
	httpd_apache_run_ apache "$d" /hooks &&
	post_signed "$HOOK_URL_BASE"
'

test_expect_success 'lighttpd with the packaged 50-hookdir.conf' '
	conf=/etc/lighttpd/conf-available/50-hookdir.conf &&
	test_grep "^# -\*- depends: fastcgi -\*-" "$conf" &&
	httpd_lighttpd_run_ "$TRASH/lighttpd" "$conf" \
	    "server.modules += ( \"mod_fastcgi\" )" &&
	post_signed "$HOOK_URL_BASE" &&
	runuser -u hookdir -- hookdir worker --once &&
	hookdir runs --json --status success >runs.json &&
	test $(grep -c "\"pipeline\": \"hello\"" runs.json) = 3
'

test_expect_success 'an upgrade keeps the configuration, the data and the modes' '
	stop_httpd &&
	owners_modes $SPOOL $SPOOL/* /var/lib/hookdir /etc/hookdir/secrets \
	    /etc/hookdir/secrets/site /etc/hookdir/worker-secrets \
	    /var/lib/hookdir/hookdir.db >before &&
	cp /etc/hookdir/hookdir.conf conf.before &&
	apt-get install -y -qq "$deb_next" >upgrade.log 2>&1 ||
	{ cat upgrade.log; false; } &&
	dpkg-query -W -f="\${Version}\n" hookdir >version &&
	echo "$version+next" >expect &&
	test_cmp expect version &&
	owners_modes $SPOOL $SPOOL/* /var/lib/hookdir /etc/hookdir/secrets \
	    /etc/hookdir/secrets/site /etc/hookdir/worker-secrets \
	    /var/lib/hookdir/hookdir.db >after &&
	test_cmp before after &&
	test_cmp conf.before /etc/hookdir/hookdir.conf &&
	hookdir runs --json --status success >runs.json &&
	test $(grep -c "\"pipeline\": \"hello\"" runs.json) = 3
'

test_expect_success 'remove: the programs go, configuration and data stay' '
	stop_httpd &&
	apt-get remove -y -qq hookdir >remove.log 2>&1 ||
	{ cat remove.log; false; } &&
	dpkg-query -W -f="\${Status}\n" hookdir >status &&
	echo "deinstall ok config-files" >expect &&
	test_cmp expect status &&
	test_path_is_missing /usr/bin/hookdir &&
	test_path_is_missing /usr/bin/hookdir.fcgi &&
	test_path_is_file /etc/hookdir/hookdir.conf &&
	test_path_is_file /etc/hookdir/secrets/site &&
	test_path_is_file /etc/nginx/snippets/hookdir.conf &&
	test_path_is_file /var/lib/hookdir/hookdir.db &&
	test_path_is_file "$SPOOL/done/$id" &&
	id hookdir && id hookdir-fcgi
'

test_expect_success 'reinstalled, it goes on where it stopped' '
	apt-get install -y -qq "$deb_next" >install.log 2>&1 ||
	{ cat install.log; false; } &&
	hookdir check >check.out 2>&1 &&
	test_grep "^ok: 1 source, 1 pipeline" check.out &&
	hookdir runs --json --status success >runs.json &&
	test $(grep -c "\"pipeline\": \"hello\"" runs.json) = 3
'

test_expect_success 'purge: configuration and state go; users and events stay' '
	apt-get purge -y -qq hookdir >purge.log 2>&1 ||
	{ cat purge.log; false; } &&
	status=$(dpkg-query -W -f="\${Status}" hookdir 2>/dev/null || :) &&
	case $status in ""|*not-installed) ;; *) false ;; esac &&
	for p in /etc/hookdir /var/lib/hookdir /var/log/hookdir /run/hookdir \
	    /etc/nginx/snippets/hookdir.conf \
	    /etc/apache2/conf-available/hookdir.conf \
	    /etc/lighttpd/conf-available/50-hookdir.conf \
	    /lib/systemd/system/hookdir.socket /usr/lib/tmpfiles.d/hookdir.conf \
	    $SPOOL/tmp $SPOOL/new $SPOOL/cur $SPOOL/failed \
	    /var/spool/hookdir-respond
	do
		test_path_is_missing "$p" || return 1
	done &&
	ls "$SPOOL" >left &&
	echo done >expect &&
	test_cmp expect left &&
	test $(ls "$SPOOL/done" | wc -l) = 3 &&
	id hookdir && id hookdir-fcgi && getent group hookdir
'

test_done
