# lib-httpd.sh: start real web servers with hookdir.fcgi behind them.
# Source it after test-lib.sh:
#
#	. "$(dirname "$0")/test-lib.sh"
#	. "$TEST_DIRECTORY/lib-httpd.sh"
#	httpd_require nginx            # skip the file (or fail it) without nginx
#	test_expect_success 'setup' '
#		setup_spool && printf "%s\n" "$conf" >hookdir.conf && chown_web hookdir.conf &&
#		start_nginx_fcgi
#	'
#	test_expect_success 'push' '
#		hookdir_post "$HOOK_URL_BASE/site" "$TEST_DATA/github-push.json" -H @sig >status
#	'
#
# Every server listens on 127.0.0.1 on a random free port in 20000-60999,
# keeps all its files under $TRASH, runs hookdir.fcgi from a copy in
# $TRASH/bin/ (so that the web-server user can execute it) and, when the
# tests run as root, runs as $HTTPD_USER:$HTTPD_GROUP (nobody).  The
# configuration file hookdir.fcgi is started with is $HTTPD_HOOKDIR_CONF
# (default $TRASH/hookdir.conf): write it, and chown_web the spool and any
# secret files, before sending requests.  As the recipes do, it is given
# where the responder starts, never as a request parameter: spawn-fcgi
# runs "hookdir.fcgi -c FILE"; --listen, mod_fcgid (FcgidInitialEnv) and
# lighttpd (bin-environment) put HOOKDIR_CONF in its environment; plain
# CGI finds hookdir.conf beside the script, a symbolic link to it, as the
# .htaccess recipe does.  A responder already running keeps its file.  Servers are stopped by test_atexit
# (or earlier with stop_httpd).  When a test fails, the lines the servers
# logged during it are printed as TAP comments.
#
# Start functions (each sets HTTPD_URL=http://127.0.0.1:PORT, HTTPD_PORT,
# HTTPD_ERROR_LOG and HOOK_URL_BASE, the URL to which a source name is
# appended: "$HOOK_URL_BASE/site"):
#	start_nginx_fcgi [NPROC]     spawn-fcgi -F NPROC (default 2) hookdir.fcgi on
#	                             a unix socket + nginx with conf/nginx.conf's
#	                             location; HOOK_URL_BASE=$HTTPD_URL/hooks
#	start_spawn_fcgi [NPROC]     only the spawn-fcgi part: SPAWN_FCGI_SOCK,
#	                             SPAWN_FCGI_PIDS
#	start_nginx [ADDRESS]        only nginx, passing /hooks/ to ADDRESS
#	                             (unix:PATH or HOST:PORT; default the
#	                             spawn-fcgi socket)
#	start_apache_fcgid           Apache (mpm_event) + mod_fcgid with
#	                             conf/apache-fcgid.conf; HOOK_URL_BASE=$HTTPD_URL/hooks
#	start_apache_cgi             Apache (mpm_prefork) + mod_cgi, AllowOverride All,
#	                             document root holding hooks.cgi (a copy of
#	                             hookdir.fcgi) and conf/htaccess as .htaccess:
#	                             shared hosting; HOOK_URL_BASE=$HTTPD_URL/hooks.cgi
#	start_apache_userdir cgi|cgid USER [suexec]
#	                             Apache with mod_cgi (mpm_prefork) or mod_cgid
#	                             (mpm_event) and mod_userdir, Debian's
#	                             userdir.conf with the AllowOverride
#	                             conf/htaccess names; hooks.cgi, .htaccess
#	                             and the hookdir.conf link put into USER's
#	                             ~/public_html, owned by USER.  With
#	                             "suexec", suexec runs hooks.cgi as USER
#	                             (Apache then runs as suexec's caller,
#	                             www-data on Debian); without, suexec is off
#	                             and it runs as the web-server user.
#	                             HOOK_URL_BASE=$HTTPD_URL/~USER/hooks.cgi
#	start_lighttpd_fcgi          lighttpd spawning hookdir.fcgi (mod_fastcgi
#	                             bin-path) with conf/lighttpd.conf;
#	                             HOOK_URL_BASE=$HTTPD_URL/hooks
#	start_hookdir_listen ADDR [ARGS...]
#	                             hookdir.fcgi --listen ADDR ARGS in the
#	                             background, as the web-server user (its
#	                             socket 0660 by default, in that user's
#	                             group).  ADDR is
#	                             unix:PATH (put PATH in $HTTPD_SOCK_DIR, which
#	                             that user may write), HOST:PORT, or HOST: for a
#	                             random free port.  Sets LISTEN_ADDR (as
#	                             nginx's fastcgi_pass wants it), LISTEN_PID and
#	                             LISTEN_LOG (its stderr: the rejection log).
#	stop_httpd [KIND...]         stop what was started (all of it by default;
#	                             KIND: nginx spawn-fcgi apache-fcgid apache-cgi
#	                             apache-userdir lighttpd listen), waiting
#	                             until it is gone
# Availability (KIND: nginx apache-fcgid apache-cgi apache-cgid lighttpd
# listen; userdir: mod_userdir, root and useradd; suexec: Apache's suexec
# wrapper built for public_html, as apache2-suexec-pristine installs it,
# and mod_suexec):
#	httpd_require KIND...        skip the whole file unless the servers are
#	                             installed (HOOKDIR_TEST_REQUIRE=1: fail it)
#	httpd_prereq KIND...         set prereqs NGINX, APACHE_FCGID, APACHE_CGI,
#	                             APACHE_CGID, LIGHTTPD, LISTEN, USERDIR, SUEXEC
#	                             for those that are installed
#	                             (HOOKDIR_TEST_REQUIRE=1: a missing one is a
#	                             failed test)
# Knobs (set before starting):
#	HTTPD_HOOKDIR_CONF  the configuration hookdir.fcgi starts with
#	HTTPD_MAX_BODY      the servers' own body limit in bytes (default 256 MiB,
#	                    far above hookdir's: hookdir.fcgi answers the 413s)
#	HTTPD_FCGI_PARAMS   extra request parameters, "NAME VALUE" lines
#	                    (fastcgi_param for nginx, SetEnv for Apache,
#	                    setenv.add-environment for lighttpd)
#	HTTPD_FCGI_WRAPPER  words put before hookdir.fcgi by spawn-fcgi and
#	                    start_hookdir_listen (e.g. "faketime -f @2026-01-01");
#	                    spawn-fcgi does not search PATH: give the first
#	                    word as an absolute path there
#	HTTPD_NGINX_STATIC  "PREFIX DIR": nginx also serves the files of DIR
#	                    (readable by the web-server user) at /PREFIX/
#	HTTPD_NGINX_HTTP    lines for nginx's http { } block (limit_req_zone)
#	HTTPD_NGINX_LOCATION  lines for nginx's location /hooks/ { } block
# Other variables: HTTPD_SOCK_DIR ($TRASH/sock, writable by the web-server
# user), APACHE_MODULES (default /usr/lib/apache2/modules).

HTTPD_HOOKDIR_CONF=${HTTPD_HOOKDIR_CONF:-$TRASH/hookdir.conf}
HTTPD_MAX_BODY=${HTTPD_MAX_BODY:-268435456}
HTTPD_FCGI_PARAMS=${HTTPD_FCGI_PARAMS:-}
HTTPD_FCGI_WRAPPER=${HTTPD_FCGI_WRAPPER:-}
APACHE_MODULES=${APACHE_MODULES:-/usr/lib/apache2/modules}
HTTPD_SOCK_DIR=$TRASH/sock
mkdir -p "$HTTPD_SOCK_DIR" && chown_web "$HTTPD_SOCK_DIR" || {
	echo "Bail out! cannot create $HTTPD_SOCK_DIR"
	exit 1
}

httpd_running_=()		# kinds, in the order they were started
declare -A httpd_pid_		# kind -> pids to stop
declare -A httpd_log_off_	# error log -> its size when the test started
httpd_logs_=()			# error logs worth showing when a test fails
httpd_atexit_=

# ---------------------------------------------------------------- availability
# Print what KIND still needs; nothing when it can run here.
httpd_missing_ () {
	local m=
	case $1 in
	nginx)
		m=$(test_missing_progs_ nginx spawn-fcgi curl) ;;
	apache-fcgid)
		m=$(test_missing_progs_ apache2 curl)
		[ -f "$APACHE_MODULES/mod_fcgid.so" ] || m="$m mod_fcgid"
		[ -f "$APACHE_MODULES/mod_mpm_event.so" ] || m="$m mod_mpm_event" ;;
	apache-cgi)
		m=$(test_missing_progs_ apache2 curl)
		[ -f "$APACHE_MODULES/mod_cgi.so" ] || m="$m mod_cgi"
		[ -f "$APACHE_MODULES/mod_mpm_prefork.so" ] || m="$m mod_mpm_prefork" ;;
	apache-cgid)
		m=$(test_missing_progs_ apache2 curl)
		[ -f "$APACHE_MODULES/mod_cgid.so" ] || m="$m mod_cgid"
		[ -f "$APACHE_MODULES/mod_mpm_event.so" ] || m="$m mod_mpm_event" ;;
	userdir)
		m=$(test_missing_progs_ apache2 curl useradd userdel runuser)
		[ -f "$APACHE_MODULES/mod_userdir.so" ] || m="$m mod_userdir"
		test_have_prereq ROOT || m="$m root" ;;
	suexec)
		m=$(test_missing_progs_ apache2)
		[ -z "$m" ] && m=$(httpd_suexec_missing_) ;;
	lighttpd)
		m=$(test_missing_progs_ lighttpd curl) ;;
	listen)
		m=$(test_missing_progs_ nginx curl) ;;
	*)
		BUG "unknown server kind '$1'" ;;
	esac
	if test_have_prereq ROOT && ! test_have_prereq NOBODY_USER; then
		m="$m user-nobody"
	fi
	printf '%s' "${m# }"
}

# What suexec still needs: Apache's wrapper (SUEXEC_BIN), setuid root,
# built for userdir public_html (Debian: apache2-suexec-pristine), and
# mod_suexec (to turn it on and off).
httpd_suexec_missing_ () {
	local bin
	bin=$("$APACHE2" -V 2>/dev/null | sed -n -e 's/^ *-D SUEXEC_BIN="\(.*\)"$/\1/p')
	if [ -z "$bin" ] || ! [ -u "$bin" ] || [ "$(stat -L -c %u "$bin")" != 0 ]; then
		printf '%s' "suexec-wrapper(apache2-suexec-pristine)"
	elif ! "$bin" -V 2>&1 | grep -q 'AP_USERDIR_SUFFIX="public_html"'; then
		printf '%s' "suexec-for-public_html"
	elif ! [ -f "$APACHE_MODULES/mod_suexec.so" ]; then
		printf '%s' "mod_suexec"
	elif ! test_have_prereq ROOT; then
		printf '%s' "root"
	fi
}

# The user Apache must run as for suexec to serve it (AP_HTTPD_USER).
httpd_suexec_caller_ () {
	local bin
	bin=$("$APACHE2" -V 2>/dev/null | sed -n -e 's/^ *-D SUEXEC_BIN="\(.*\)"$/\1/p')
	"$bin" -V 2>&1 | sed -n -e 's/^ *-D AP_HTTPD_USER="\(.*\)"$/\1/p'
}

httpd_prereq_name_ () {
	printf '%s' "$1" | tr 'a-z-' 'A-Z_'
}

httpd_prereq () {
	local k m
	for k
	do
		m=$(httpd_missing_ "$k")
		if [ -z "$m" ]; then
			test_set_prereq "$(httpd_prereq_name_ "$k")"
		elif [ "${HOOKDIR_TEST_REQUIRE:-}" = 1 ]; then
			test_count=$((test_count + 1))
			test_failure=$((test_failure + 1))
			echo "not ok $test_count - $k: missing $m (HOOKDIR_TEST_REQUIRE=1)"
		fi
	done
}

httpd_require () {
	local k m missing=
	for k
	do
		m=$(httpd_missing_ "$k")
		[ -n "$m" ] && missing="$missing $k ($m)"
	done
	[ -z "$missing" ] && return 0
	if [ "${HOOKDIR_TEST_REQUIRE:-}" = 1 ]; then
		test_count=$((test_count + 1))
		test_failure=$((test_failure + 1))
		echo "not ok $test_count - missing:$missing (HOOKDIR_TEST_REQUIRE=1)"
		test_done
	fi
	[ "$test_count" = 0 ] || BUG "httpd_require after the first test"
	skip_all="missing$missing"
	test_done
}

# ---------------------------------------------------------------- processes
httpd_alive_ () {
	local st
	if [ -d /proc/self ]; then
		{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
		st=${st##*) }
		[ "${st%% *}" != Z ]
	else
		kill -0 "$1" 2>/dev/null
	fi
}

# Signal the given pids, wait up to 10 s for them to go, then KILL them.
httpd_kill_wait_ () {
	local sig=$1 pid i left end
	shift
	for pid
	do
		kill "-$sig" "$pid" 2>/dev/null
	done
	i=0
	end=$((SECONDS + 11))
	while :
	do
		left=
		for pid
		do
			httpd_alive_ "$pid" && left="$left $pid"
		done
		[ -z "$left" ] || [ "$SECONDS" -ge "$end" ] && break
		test_backoff_ $i
		i=$((i + 1))
	done
	for pid in $left
	do
		echo >&2 "lib-httpd: pid $pid did not stop on SIG$sig; killing it"
		kill -KILL "$pid" 2>/dev/null
	done
	for pid
	do
		wait "$pid" 2>/dev/null
	done
	return 0
}

# Processes still running a program from $TRASH (hookdir.fcgi children of
# mod_fcgid or lighttpd outliving their server): stop them by pid.
httpd_reap_strays_ () {
	local p exe pids=
	[ -d /proc/self ] || return 0
	for p in /proc/[0-9]*
	do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		case $exe in
		"$TRASH"/*) pids="$pids ${p#/proc/}" ;;
		esac
	done
	[ -n "$pids" ] && httpd_kill_wait_ TERM $pids
	return 0
}

# Below Linux's ephemeral range (32768-60999): a port there may be the
# local end of some client's connection, and then a server cannot bind
# it although nothing listens on it.
httpd_random_port_ () {
	echo $(( (RANDOM * 32768 + RANDOM) % 12700 + 20000 ))
}

httpd_port_busy_ () {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

httpd_free_port_ () {
	local port i
	for i in $(seq 50)
	do
		port=$(httpd_random_port_)
		httpd_port_busy_ "$port" || { echo "$port"; return 0; }
	done
	echo >&2 "lib-httpd: no free port found"
	return 1
}

# Wait until URL answers with any HTTP status while PID (if given) lives.
httpd_wait_http_ () {
	local url=$1 pid=${2:-} i=0 code end=$((SECONDS + 11))
	while [ "$SECONDS" -lt "$end" ]
	do
		code=$("$CURL" -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null)
		[ -n "$code" ] && [ "$code" != 000 ] && return 0
		if [ -n "$pid" ] && ! httpd_alive_ "$pid"; then
			return 1
		fi
		test_backoff_ $i
		i=$((i + 1))
	done
	echo >&2 "lib-httpd: $url does not answer"
	return 1
}

httpd_register_ () {
	local kind=$1 log=$2 l
	shift 2
	httpd_running_+=("$kind")
	httpd_pid_[$kind]="$*"
	if [ -n "$log" ]; then
		for l in "${httpd_logs_[@]}"
		do
			[ "$l" = "$log" ] && log=
		done
		[ -n "$log" ] && httpd_logs_+=("$log")
	fi
	if [ -z "$httpd_atexit_" ]; then
		httpd_atexit_=t
		test_atexit stop_httpd
	fi
}

httpd_is_running_ () {
	local k
	for k in "${httpd_running_[@]}"
	do
		[ "$k" = "$1" ] && return 0
	done
	return 1
}

httpd_stop_one_ () {
	local kind=$1 k rest=()
	httpd_is_running_ "$kind" || return 0
	# nginx, Apache and lighttpd stop their workers (and mod_fcgid's or
	# lighttpd's hookdir.fcgi) on SIGTERM; spawn-fcgi's children and the
	# --listen responder are hookdir.fcgi itself.
	httpd_kill_wait_ TERM ${httpd_pid_[$kind]}
	for k in "${httpd_running_[@]}"
	do
		[ "$k" = "$kind" ] || rest+=("$k")
	done
	httpd_running_=("${rest[@]}")
	unset "httpd_pid_[$kind]"
}

stop_httpd () {
	local i
	if [ $# = 0 ]; then
		for ((i = ${#httpd_running_[@]} - 1; i >= 0; i--))
		do
			httpd_stop_one_ "${httpd_running_[$i]}"
		done
		httpd_reap_strays_
	else
		for i
		do
			httpd_stop_one_ "$i"
		done
	fi
	return 0
}

# Install the responder where the web-server user can run it.  Renamed
# into place: a running copy cannot be overwritten (ETXTBSY).
httpd_install_bin_ () {
	if ! [ -x "$HOOKDIR_FCGI" ]; then
		echo >&2 "lib-httpd: $HOOKDIR_FCGI is not built"
		return 1
	fi
	mkdir -p "$TRASH/bin" &&
	cp "$HOOKDIR_FCGI" "$TRASH/bin/.hookdir.fcgi.new" &&
	chmod 0755 "$TRASH/bin/.hookdir.fcgi.new" &&
	mv -f "$TRASH/bin/.hookdir.fcgi.new" "$TRASH/bin/hookdir.fcgi"
}

httpd_set_url_ () {
	HTTPD_PORT=$1
	HTTPD_URL=http://127.0.0.1:$1
	HTTPD_ERROR_LOG=$2
	HOOK_URL_BASE=$HTTPD_URL$3
	export HTTPD_PORT HTTPD_URL HTTPD_ERROR_LOG HOOK_URL_BASE
}

# Quote for sed's replacement part.
httpd_sed_quote_ () {
	printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'
}

# ---------------------------------------------------------------- logs
httpd_mark_logs_ () {
	local l
	for l in "${httpd_logs_[@]}"
	do
		httpd_log_off_[$l]=$(stat -c %s "$l" 2>/dev/null || echo 0)
	done
}

httpd_show_logs_ () {
	local l off
	for l in "${httpd_logs_[@]}"
	do
		[ -s "$l" ] || continue
		off=${httpd_log_off_[$l]:-0}
		[ "$(stat -c %s "$l")" -gt "$off" ] || continue
		echo "--- $l (lines logged during the test):"
		tail -c "+$((off + 1))" "$l" | tail -n 60
	done
}

test_on_start httpd_mark_logs_
test_on_failure httpd_show_logs_

# ---------------------------------------------------------------- nginx
# The recipe's location block, with the test's socket, body limit and
# extra parameters.
httpd_nginx_location_ () {
	local addr=$1 name value params=
	while read -r name value
	do
		[ -n "$name" ] && params="$params	fastcgi_param $name $value;\\
"
	done <<<"$HTTPD_FCGI_PARAMS"
	while read -r value
	do
		[ -n "$value" ] && params="$params	$value\\
"
	done <<<"${HTTPD_NGINX_LOCATION:-}"
	awk '
		/^location \/hooks\/ \{/ { on = 1 }
		on { print; depth += gsub(/\{/, "{"); depth -= gsub(/\}/, "}")
		     if (depth == 0) exit }
	' "$top_srcdir/conf/nginx.conf" |
	sed -e "s|fastcgi_pass unix:/run/hookdir/fcgi.sock;|fastcgi_pass $(httpd_sed_quote_ "$addr");|" \
	    -e "s|client_max_body_size [^;]*;|client_max_body_size $HTTPD_MAX_BODY;|" \
	    -e "/fastcgi_pass /a\\
$params"
}

# httpd_nginx_conf_ DIR PORT USER-LINE LOCATION-FILE [MORE]: an nginx.conf
# keeping its files in DIR (logs/, tmp/), serving 127.0.0.1:PORT with
# the location block in LOCATION-FILE (and MORE), 404 elsewhere.
httpd_nginx_conf_ () {
	local d=$1 port=$2 user_line=$3 location=$4 more=${5:-}
	cat <<-EOF
	$user_line
	worker_processes 1;
	pid $d/logs/nginx.pid;
	error_log $d/logs/error.log notice;
	events {
		worker_connections 256;
	}
	http {
		access_log $d/logs/access.log;
		client_body_temp_path $d/tmp/body;
		fastcgi_temp_path $d/tmp/fastcgi;
		proxy_temp_path $d/tmp/proxy;
		scgi_temp_path $d/tmp/scgi;
		uwsgi_temp_path $d/tmp/uwsgi;
		default_type application/octet-stream;
		server_tokens off;
		${HTTPD_NGINX_HTTP:-}
		server {
			listen 127.0.0.1:$port;
			server_name localhost;
			include $location;
			$more
			location / {
				return 404;
			}
		}
	}
	EOF
}

start_nginx () {
	local addr=${1:-unix:${SPAWN_FCGI_SOCK:-$TRASH/spawn-fcgi/hookdir.sock}}
	local d=$TRASH/nginx port tries=0 user_line= static_block=
	stop_httpd nginx
	mkdir -p "$d/conf" "$d/logs" "$d/tmp" || return 1
	httpd_nginx_location_ "$addr" >"$d/conf/hookdir-location.conf" || return 1
	if ! grep -q "fastcgi_pass $addr;" "$d/conf/hookdir-location.conf"
	then
		echo >&2 "lib-httpd: conf/nginx.conf has no usable 'location /hooks/' block:"
		cat >&2 "$d/conf/hookdir-location.conf"
		return 1
	fi
	if test_have_prereq ROOT,NOBODY_USER; then
		user_line="user $HTTPD_USER $HTTPD_GROUP;"
	fi
	if [ -n "${HTTPD_NGINX_STATIC:-}" ]; then
		set -- $HTTPD_NGINX_STATIC
		static_block="location /$1/ { alias $2/; index index.html; }"
	fi
	while :
	do
		port=$(httpd_free_port_) || return 1
		httpd_nginx_conf_ "$d" "$port" "$user_line" \
			"$d/conf/hookdir-location.conf" "$static_block" \
			>"$d/conf/nginx.conf" || return 1
		: >"$d/logs/start.log"
		# nginx binds its port before it goes to the background: a
		# port taken meanwhile shows in its exit status.
		# NGINX in the environment would be read as sockets to inherit.
		if env -u NGINX "$NGINX" -p "$d" -c "$d/conf/nginx.conf" \
			-e "$d/logs/error.log" </dev/null >"$d/logs/start.log" 2>&1 9>&-
		then
			break
		fi
		tries=$((tries + 1))
		if [ $tries -lt 20 ] &&
		   grep -q 'Address already in use' "$d/logs/start.log" "$d/logs/error.log"
		then
			continue
		fi
		echo >&2 "lib-httpd: nginx did not start:"
		cat >&2 "$d/logs/start.log"
		tail >&2 -n 20 "$d/logs/error.log" 2>/dev/null
		return 1
	done
	httpd_register_ nginx "$d/logs/error.log" "$(cat "$d/logs/nginx.pid")"
	httpd_set_url_ "$port" "$d/logs/error.log" /hooks
	httpd_wait_http_ "$HTTPD_URL/" "${httpd_pid_[nginx]}"
}

start_spawn_fcgi () {
	local n=${1:-2} d=$TRASH/spawn-fcgi args
	stop_httpd spawn-fcgi
	httpd_install_bin_ || return 1
	mkdir -p "$d" || return 1
	SPAWN_FCGI_SOCK=$d/hookdir.sock
	rm -f "$SPAWN_FCGI_SOCK" "$d/pids"
	args=(-s "$SPAWN_FCGI_SOCK" -F "$n" -P "$d/pids")
	if test_have_prereq ROOT,NOBODY_USER; then
		# The socket belongs to the web user: nginx's workers run as it.
		args+=(-u "$HTTPD_USER" -g "$HTTPD_GROUP" -U "$HTTPD_USER" -G "$HTTPD_GROUP")
	fi
	if ! "$SPAWN_FCGI" "${args[@]}" -- $HTTPD_FCGI_WRAPPER "$TRASH/bin/hookdir.fcgi" \
		-c "$HTTPD_HOOKDIR_CONF" </dev/null >"$d/spawn.log" 2>&1 9>&-
	then
		echo >&2 "lib-httpd: spawn-fcgi failed:"
		cat >&2 "$d/spawn.log"
		return 1
	fi
	SPAWN_FCGI_PIDS=$(tr '\n' ' ' <"$d/pids")
	export SPAWN_FCGI_SOCK SPAWN_FCGI_PIDS
	httpd_register_ spawn-fcgi "" $SPAWN_FCGI_PIDS
	[ -S "$SPAWN_FCGI_SOCK" ] || {
		echo >&2 "lib-httpd: spawn-fcgi made no socket $SPAWN_FCGI_SOCK"
		return 1
	}
}

start_nginx_fcgi () {
	start_spawn_fcgi "$@" &&
	start_nginx "unix:$SPAWN_FCGI_SOCK"
}

# ---------------------------------------------------------------- apache
# httpd_apache_conf_ DIR PORT OVERRIDE MODULE...: the server part.
httpd_apache_conf_ () {
	local d=$1 port=$2 override=$3 m
	shift 3
	echo "ServerRoot \"$d\""
	echo "ServerName 127.0.0.1"
	echo "Listen 127.0.0.1:$port"
	echo "PidFile \"$d/run/httpd.pid\""
	echo "DefaultRuntimeDir \"$d/run\""
	echo "ErrorLog \"$d/logs/error.log\""
	echo "LogLevel warn"
	for m
	do
		echo "LoadModule ${m}_module \"$APACHE_MODULES/mod_$m.so\""
	done
	if test_have_prereq ROOT,NOBODY_USER; then
		echo "User $HTTPD_USER"
		echo "Group $HTTPD_GROUP"
	fi
	cat <<-EOF
	LogFormat "%h %l %u %t \"%r\" %>s %b" common
	CustomLog "$d/logs/access.log" common
	TypesConfig /dev/null
	Timeout 60
	KeepAlive On
	DocumentRoot "$d/htdocs"
	<Directory />
		Options None
		AllowOverride None
		Require all denied
	</Directory>
	<Directory "$d/htdocs">
		Options None
		AllowOverride $override
		Require all granted
	</Directory>
	EOF
}

# httpd_apache_run_ KIND DIR URL-PATH: start it on a free port.
httpd_apache_run_ () {
	local kind=$1 d=$2 path=$3 port tries=0 pid
	while :
	do
		port=$(httpd_free_port_) || return 1
		sed -e "s/@PORT@/$port/g" "$d/httpd.conf.in" >"$d/httpd.conf" || return 1
		: >"$d/logs/error.log"
		# In the foreground as a child of this shell: its pid is known
		# and a port taken meanwhile shows as its exit.  In a session
		# of its own: prefork signals its whole process group to stop.
		setsid "$APACHE2" -d "$d" -f "$d/httpd.conf" -DFOREGROUND \
			</dev/null >"$d/logs/start.log" 2>&1 9>&- &
		pid=$!
		if httpd_wait_http_ "http://127.0.0.1:$port/" "$pid"
		then
			break
		fi
		httpd_kill_wait_ TERM "$pid"
		tries=$((tries + 1))
		if [ $tries -lt 20 ] &&
		   grep -q 'Address already in use' "$d/logs/start.log" "$d/logs/error.log"
		then
			continue
		fi
		echo >&2 "lib-httpd: apache2 did not start:"
		cat >&2 "$d/logs/start.log"
		tail >&2 -n 20 "$d/logs/error.log"
		return 1
	done
	httpd_register_ "$kind" "$d/logs/error.log" "$pid"
	httpd_set_url_ "$port" "$d/logs/error.log" "$path"
}

# Extra request parameters as SetEnv lines.
httpd_apache_setenv_ () {
	local name value
	while read -r name value
	do
		[ -n "$name" ] && printf 'SetEnv %s "%s"\n' "$name" "$value"
	done <<<"$HTTPD_FCGI_PARAMS"
	return 0
}

start_apache_fcgid () {
	local d=$TRASH/apache-fcgid
	stop_httpd apache-fcgid
	httpd_install_bin_ || return 1
	mkdir -p "$d/run" "$d/logs" "$d/htdocs" "$d/fcgid" || return 1
	chown_web "$d/fcgid" || return 1
	# The recipe, with the test's paths and body limit.
	sed -e "s|/usr/local/bin/hookdir.fcgi|$(httpd_sed_quote_ "$TRASH/bin/hookdir.fcgi")|" \
	    -e "s|/etc/hookdir/hookdir.conf|$(httpd_sed_quote_ "$HTTPD_HOOKDIR_CONF")|" \
	    -e "s|FcgidMaxRequestLen .*|FcgidMaxRequestLen $HTTPD_MAX_BODY|" \
		"$top_srcdir/conf/apache-fcgid.conf" >"$d/hookdir.conf" || return 1
	if ! grep -q "^Alias /hooks $TRASH/bin/hookdir.fcgi" "$d/hookdir.conf" ||
	   ! grep -q "FcgidInitialEnv HOOKDIR_CONF $HTTPD_HOOKDIR_CONF\$" "$d/hookdir.conf"
	then
		echo >&2 "lib-httpd: conf/apache-fcgid.conf lacks the Alias or FcgidInitialEnv line"
		return 1
	fi
	{
		httpd_apache_conf_ "$d" @PORT@ None mpm_event authz_core authz_host \
			mime alias env setenvif fcgid &&
		cat <<-EOF &&
		FcgidIPCDir "$d/fcgid"
		FcgidProcessTableFile "$d/run/fcgid_shm"
		FcgidMaxProcessesPerClass 4
		Include "$d/hookdir.conf"
		<Location /hooks>
		EOF
		httpd_apache_setenv_ &&
		echo "</Location>"
	} >"$d/httpd.conf.in" || return 1
	httpd_apache_run_ apache-fcgid "$d" /hooks
}

start_apache_cgi () {
	local d=$TRASH/apache-cgi
	stop_httpd apache-cgi
	httpd_install_bin_ || return 1
	mkdir -p "$d/run" "$d/logs" "$d/htdocs" || return 1
	cp "$TRASH/bin/hookdir.fcgi" "$d/htdocs/hooks.cgi" &&
	chmod 0755 "$d/htdocs/hooks.cgi" || return 1
	{
		cat "$top_srcdir/conf/htaccess" &&
		httpd_apache_setenv_
	} >"$d/htdocs/.htaccess" || return 1
	chmod 0644 "$d/htdocs/.htaccess" &&
	ln -sfn "$HTTPD_HOOKDIR_CONF" "$d/htdocs/hookdir.conf" || return 1
	{
		httpd_apache_conf_ "$d" @PORT@ All mpm_prefork authz_core authz_host \
			mime alias env setenvif cgi &&
		cat <<-EOF
		StartServers 2
		MinSpareServers 1
		MaxSpareServers 4
		EOF
	} >"$d/httpd.conf.in" || return 1
	httpd_apache_run_ apache-cgi "$d" /hooks.cgi
}

# start_apache_userdir cgi|cgid USER [suexec]: the home page of USER
# (~USER/public_html, from Debian's userdir.conf with the recipe's
# AllowOverride) as shared hosting sets it up.
start_apache_userdir () {
	local mode=$1 user=$2 suexec=${3:-} d=$TRASH/apache-userdir home pub
	local override mods web=$HTTPD_USER webgroup=$HTTPD_GROUP
	stop_httpd apache-userdir
	httpd_install_bin_ || return 1
	home=$(getent passwd "$user" | cut -d: -f6)
	[ -n "$home" ] && [ -d "$home" ] || {
		echo >&2 "lib-httpd: user $user has no home directory"
		return 1
	}
	pub=$home/public_html
	override=$(sed -n -e 's/^#  *AllowOverride \(.*\)$/\1/p' "$top_srcdir/conf/htaccess")
	[ -n "$override" ] || {
		echo >&2 "lib-httpd: conf/htaccess names no AllowOverride"
		return 1
	}
	case $mode in
	cgi)	mods="mpm_prefork cgi" ;;
	cgid)	mods="mpm_event cgid" ;;
	*)	BUG "start_apache_userdir: cgi or cgid, not '$mode'" ;;
	esac
	if [ -n "$suexec" ]; then
		web=$(httpd_suexec_caller_) &&
		webgroup=$(id -gn "$web") || return 1
	fi
	mkdir -p "$d/run" "$d/logs" "$d/htdocs" "$pub" || return 1
	cp "$TRASH/bin/hookdir.fcgi" "$pub/hooks.cgi" &&
	{
		cat "$top_srcdir/conf/htaccess" &&
		httpd_apache_setenv_
	} >"$pub/.htaccess" &&
	ln -sfn "$HTTPD_HOOKDIR_CONF" "$pub/hookdir.conf" &&
	chmod 0755 "$pub" "$pub/hooks.cgi" &&
	chmod 0644 "$pub/.htaccess" &&
	chown -h "$user:" "$pub" "$pub/hooks.cgi" "$pub/.htaccess" \
		"$pub/hookdir.conf" || return 1
	{
		HTTPD_USER=$web HTTPD_GROUP=$webgroup \
		httpd_apache_conf_ "$d" @PORT@ None authz_core authz_host \
			mime alias env setenvif userdir $mods &&
		if [ -f "$APACHE_MODULES/mod_suexec.so" ]; then
			echo "LoadModule suexec_module \"$APACHE_MODULES/mod_suexec.so\""
			if [ -n "$suexec" ]; then echo "Suexec On"; else echo "Suexec Off"; fi
		elif [ -n "$suexec" ]; then
			echo >&2 "lib-httpd: no mod_suexec"
			return 1
		fi &&
		if [ "$mode" = cgid ]; then
			echo "ScriptSock \"$d/run/cgid.sock\""
		else
			echo "StartServers 2"
			echo "MinSpareServers 1"
			echo "MaxSpareServers 4"
		fi &&
		cat <<-EOF
		UserDir public_html
		UserDir disabled root
		<Directory "${home%/*}/*/public_html">
			AllowOverride $override
			Options MultiViews Indexes SymLinksIfOwnerMatch IncludesNoExec
			Require method GET POST OPTIONS
		</Directory>
		EOF
	} >"$d/httpd.conf.in" || return 1
	httpd_apache_run_ apache-userdir "$d" "/~$user/hooks.cgi"
}

# ---------------------------------------------------------------- lighttpd
start_lighttpd_fcgi () {
	local d=$TRASH/lighttpd name value params= setenv=
	stop_httpd lighttpd
	httpd_install_bin_ || return 1
	mkdir -p "$d/run" || return 1
	chown_web "$d/run" || return 1
	while read -r name value
	do
		[ -n "$name" ] && params="$params${params:+, }\"$name\" => \"$value\""
	done <<<"$HTTPD_FCGI_PARAMS"
	# Extra request parameters: mod_setenv, loaded before mod_fastcgi.
	if [ -n "$params" ]; then
		setenv="server.modules += ( \"mod_setenv\" )
\$HTTP[\"url\"] =~ \"^/hooks/\" { setenv.add-environment = ( $params ) }"
	fi
	sed -e "s|/usr/local/bin/hookdir.fcgi|$(httpd_sed_quote_ "$TRASH/bin/hookdir.fcgi")|" \
	    -e "s|/run/lighttpd/hookdir.sock|$(httpd_sed_quote_ "$d/run/hookdir.sock")|" \
	    -e "s|\"/etc/hookdir/hookdir.conf\"|\"$(httpd_sed_quote_ "$HTTPD_HOOKDIR_CONF")\"|" \
	    -e "s|server.max-request-size = .*|server.max-request-size = $((HTTPD_MAX_BODY / 1024))|" \
		"$top_srcdir/conf/lighttpd.conf" >"$d/hookdir.conf" || return 1
	if ! grep -q "\"bin-path\" *=> \"$TRASH/bin/hookdir.fcgi\"" "$d/hookdir.conf" ||
	   ! grep -q "\"bin-environment\" *=> ( \"HOOKDIR_CONF\" => \"$HTTPD_HOOKDIR_CONF\" )" "$d/hookdir.conf"
	then
		echo >&2 "lib-httpd: conf/lighttpd.conf lacks the bin-path or bin-environment line"
		return 1
	fi
	httpd_lighttpd_run_ "$d" "$d/hookdir.conf" "$setenv"
}

# httpd_lighttpd_run_ DIR CONF [MORE]: lighttpd on a free port, keeping
# its files in DIR (logs/, tmp/), with the lines MORE and then an include
# of CONF; registered as "lighttpd".
httpd_lighttpd_run_ () {
	local d=$1 conf=$2 more=${3:-} port tries=0 pid user=
	mkdir -p "$d/logs" "$d/htdocs" "$d/tmp" || return 1
	# lighttpd opens its error log and starts hookdir.fcgi after it has
	# dropped root: those directories belong to the web user.
	chown_web "$d/logs" "$d/tmp" || return 1
	if test_have_prereq ROOT,NOBODY_USER; then
		user="server.username = \"$HTTPD_USER\"
server.groupname = \"$HTTPD_GROUP\""
	fi
	while :
	do
		port=$(httpd_free_port_) || return 1
		cat >"$d/lighttpd.conf" <<-EOF
		server.document-root = "$d/htdocs"
		server.bind = "127.0.0.1"
		server.port = $port
		server.errorlog = "$d/logs/error.log"
		server.upload-dirs = ( "$d/tmp" )
		server.tag = "lighttpd"
		$user
		$more
		include "$conf"
		EOF
		: >"$d/logs/error.log" && chown_web "$d/logs/error.log" || return 1
		setsid "$LIGHTTPD" -D -f "$d/lighttpd.conf" </dev/null >"$d/logs/start.log" 2>&1 9>&- &
		pid=$!
		if httpd_wait_http_ "http://127.0.0.1:$port/" "$pid"
		then
			break
		fi
		httpd_kill_wait_ TERM "$pid"
		tries=$((tries + 1))
		if [ $tries -lt 20 ] &&
		   grep -q 'Address already in use' "$d/logs/start.log" "$d/logs/error.log"
		then
			continue
		fi
		echo >&2 "lib-httpd: lighttpd did not start:"
		cat >&2 "$d/logs/start.log" "$d/logs/error.log"
		return 1
	done
	httpd_register_ lighttpd "$d/logs/error.log" "$pid"
	httpd_set_url_ "$port" "$d/logs/error.log" /hooks
}

# ---------------------------------------------------------------- --listen
# Wait until hookdir.fcgi listens on ADDR (unix:PATH or HOST:PORT),
# without connecting to it: a test connection would be a request to it.
httpd_wait_listen_ () {
	local addr=$1 pid=$2 i=0 ss= end=$((SECONDS + 11))
	command -v ss >/dev/null 2>&1 && ss=t
	while [ "$SECONDS" -lt "$end" ]
	do
		case $ss$addr in
		tunix:*)
			ss -Hlx 2>/dev/null | grep -q -F " ${addr#unix:} " && return 0 ;;
		t*)
			ss -Hltn "sport = :${addr##*:}" 2>/dev/null | grep -q LISTEN && return 0 ;;
		# Without ss: the socket file (bound, perhaps not yet
		# listening), or a connection the responder sees as empty.
		unix:*)
			[ -S "${addr#unix:}" ] && sleep 0.2 && return 0 ;;
		*)
			httpd_port_busy_ "${addr##*:}" && return 0 ;;
		esac
		httpd_alive_ "$pid" || return 1
		test_backoff_ $i
		i=$((i + 1))
	done
	echo >&2 "lib-httpd: hookdir.fcgi does not listen on $addr"
	return 1
}

start_hookdir_listen () {
	local addr=$1 pick= tries=0 pid run=()
	[ -n "$addr" ] || BUG "start_hookdir_listen needs an address"
	shift
	stop_httpd listen
	httpd_install_bin_ || return 1
	LISTEN_LOG=$TRASH/listen.log
	case $addr in
	unix:*)	rm -f "${addr#unix:}" ;;
	*:)	pick=${addr%:} ;;
	esac
	if test_have_prereq ROOT,NOBODY_USER; then
		run=(setpriv "--reuid=$HTTPD_USER" "--regid=$HTTPD_GROUP" --clear-groups --)
	fi
	while :
	do
		if [ -n "$pick" ]; then
			addr=$pick:$(httpd_free_port_) || return 1
		fi
		: >>"$LISTEN_LOG"
		chown_web "$LISTEN_LOG"
		setsid "${run[@]}" env HOOKDIR_CONF="$HTTPD_HOOKDIR_CONF" \
			$HTTPD_FCGI_WRAPPER "$TRASH/bin/hookdir.fcgi" --listen "$addr" "$@" \
			</dev/null >>"$LISTEN_LOG" 2>&1 9>&- &
		pid=$!
		httpd_wait_listen_ "$addr" "$pid" && break
		httpd_kill_wait_ TERM "$pid"
		tries=$((tries + 1))
		if [ -n "$pick" ] && [ $tries -lt 20 ] &&
		   grep -q -i 'in use' "$LISTEN_LOG"
		then
			continue
		fi
		echo >&2 "lib-httpd: hookdir.fcgi --listen $addr did not start:"
		cat >&2 "$LISTEN_LOG"
		return 1
	done
	LISTEN_ADDR=$addr
	LISTEN_PID=$pid
	export LISTEN_ADDR LISTEN_PID LISTEN_LOG
	httpd_register_ listen "$LISTEN_LOG" "$pid"
}
