# lib-pg.sh: a real PostgreSQL server for a test file, in its scratch
# directory.  Source it after test-lib.sh:
#
#	. "$(dirname "$0")/test-lib.sh"
#	. "$TEST_DIRECTORY/lib-pg.sh"
#	pg_require                   # skip the file (or fail it) without PostgreSQL
#	test_expect_success 'setup' '
#		start_pg
#	'
#	test_expect_success 'a query' '
#		pg_psql -c "select 1"
#	'
#
# start_pg runs initdb into $TRASH/pg/data and starts the server with
# pg_ctl, as $PG_OS_USER: the web-server user (nobody) when the tests run
# as root, since PostgreSQL refuses to run as root, else the current user.
# The server listens on a unix socket in $TRASH/pg/sock and on 127.0.0.1
# at a random free port; it has one role, "hookdir", whose password (every
# connection needs it, on the socket too) is in a password file, and one
# database, "hookdir", owned by that role.  It is stopped (pg_ctl stop -m
# immediate) by test_atexit, however the script ends, or earlier by
# stop_pg.
#
#	pg_require                   skip the whole file unless initdb,
#	                             pg_ctl, postgres and psql are installed
#	                             (HOOKDIR_TEST_REQUIRE=1: fail it)
#	pg_require_backend           skip the whole file unless hookdir was
#	                             configured --with-postgresql; then
#	                             pg_require
#	start_pg                     initdb, start, create the role and the
#	                             database; sets and exports:
#	    PG_URI          postgresql:// URI of the database over the socket
#	                    (no password in it)
#	    PG_TCP_URI      the same over TCP, postgresql://hookdir@127.0.0.1:PORT/hookdir
#	    PG_PORT PG_SOCK_DIR PG_DATA PG_LOG
#	    PG_PID          the postmaster's pid
#	    PGPASSFILE      the password file (0600, libpq's format) that
#	                    libpq, and so hookdir and psql, read the password from
#	    PG_PASSWORD_FILE  the password alone, on one line (0600)
#	pg_psql [PSQL-ARGS...]       psql on $PG_URI, quiet, stopping at the
#	                             first error, unaligned and tuples only
#	pg_create_db NAME            another database owned by "hookdir"; prints
#	                             its URI
#	stop_pg                      stop the server now (immediate mode)
#	pg_host_conf NAME            NAME.conf: a worker host named NAME on
#	                             the database $PG_URI, sharing spool/ and
#	                             pipelines/ with the other hosts, with a
#	                             state directory (logs, workspaces) of its
#	                             own, state-NAME; source "test" as
#	                             lib-worker.sh's
# Knob: PG_BINDIR, where initdb, pg_ctl and postgres are (default: what
# pg_config --bindir says, else the newest /usr/lib/postgresql/*/bin, else
# PATH).

PG_DIR=$TRASH/pg
PG_DATA=$PG_DIR/data
PG_SOCK_DIR=$PG_DIR/sock
PG_LOG=$PG_DIR/server.log
PG_OS_USER=$HTTPD_USER
PG_OS_GROUP=$HTTPD_GROUP
pg_running_=

# ---------------------------------------------------------------- programs
pg_find_bindir_ () {
	local d
	if [ -n "${PG_BINDIR:-}" ]; then
		printf '%s\n' "$PG_BINDIR"
		return 0
	fi
	d=$(pg_config --bindir 2>/dev/null)
	if [ -n "$d" ] && [ -x "$d/initdb" ]; then
		printf '%s\n' "$d"
		return 0
	fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r)
	do
		[ -x "$d/initdb" ] && { printf '%s\n' "$d"; return 0; }
	done
	d=$(test_lookup_ initdb) && printf '%s\n' "${d%/*}"
}
PG_BINDIR=$(pg_find_bindir_)

# Print what is missing; nothing when a server can run here.
pg_missing_ () {
	local p m=
	for p in initdb pg_ctl postgres psql
	do
		[ -n "$PG_BINDIR" ] && [ -x "$PG_BINDIR/$p" ] || m="$m $p"
	done
	if test_have_prereq ROOT && ! test_have_prereq NOBODY_USER; then
		m="$m user-nobody"
	fi
	printf '%s' "${m# }"
}

pg_require () {
	local m
	m=$(pg_missing_)
	[ -z "$m" ] && return 0
	if [ "${HOOKDIR_TEST_REQUIRE:-}" = 1 ]; then
		test_count=$((test_count + 1))
		test_failure=$((test_failure + 1))
		echo "not ok $test_count - missing PostgreSQL: $m (HOOKDIR_TEST_REQUIRE=1)"
		test_done
	fi
	[ "$test_count" = 0 ] || BUG "pg_require after the first test"
	skip_all="missing PostgreSQL ($m)"
	test_done
}

pg_require_backend () {
	if ! grep -q '^#define HAVE_POSTGRESQL 1' "$top_builddir/autoconf.h" \
		2>/dev/null
	then
		[ "$test_count" = 0 ] || BUG "pg_require_backend after the first test"
		skip_all="hookdir was configured without --with-postgresql"
		test_done
	fi
	pg_require
}

# Run a command as the server's user, in $PG_DIR.
pg_as_owner_ () {
	if test_have_prereq ROOT; then
		(cd "$PG_DIR" && setpriv "--reuid=$PG_OS_USER" "--regid=$PG_OS_GROUP" \
			--clear-groups -- env HOME="$PG_DIR" "$@")
	else
		(cd "$PG_DIR" && "$@")
	fi
}

# ---------------------------------------------------------------- server
# Below Linux's ephemeral range, as lib-httpd.sh picks its ports.
pg_random_port_ () {
	echo $(( (RANDOM * 32768 + RANDOM) % 12700 + 20000 ))
}

start_pg () {
	local pw tries=0
	[ -z "$pg_running_" ] || BUG "start_pg: a server is running already"
	rm -rf "$PG_DIR" &&
	mkdir -p "$PG_DATA" "$PG_SOCK_DIR" &&
	chmod 0700 "$PG_DATA" &&
	chmod 0755 "$PG_DIR" "$PG_SOCK_DIR" || return 1
	# A password nobody can guess, so that the tests cannot pass by
	# connecting without one.
	pw=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n') &&
	[ ${#pw} = 32 ] || return 1
	(umask 077 && printf '%s\n' "$pw" >"$PG_DIR/pwfile") || return 1
	if test_have_prereq ROOT; then
		chown -R "$PG_OS_USER:$PG_OS_GROUP" "$PG_DIR" || return 1
	fi
	pg_as_owner_ "$PG_BINDIR/initdb" -D "$PG_DATA" -U hookdir \
		--pwfile="$PG_DIR/pwfile" --auth=scram-sha-256 \
		-E UTF8 --no-locale --no-sync >"$PG_DIR/initdb.log" 2>&1 || {
		echo >&2 "lib-pg: initdb failed:"
		cat >&2 "$PG_DIR/initdb.log"
		return 1
	}
	# The passwords the clients use belong to the test's user.
	mv "$PG_DIR/pwfile" "$PG_DIR/password" &&
	chown "$(id -u):$(id -g)" "$PG_DIR/password" || return 1
	PG_PASSWORD_FILE=$PG_DIR/password
	PGPASSFILE=$PG_DIR/pgpass
	(umask 077 && printf '*:*:*:hookdir:%s\n' "$pw" >"$PGPASSFILE") || return 1
	while :
	do
		PG_PORT=$(pg_random_port_)
		: >"$PG_LOG" && chown "$PG_OS_USER:$PG_OS_GROUP" "$PG_LOG" 2>/dev/null
		# fsync off: the data is thrown away with the scratch directory.
		if pg_as_owner_ "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories='$PG_SOCK_DIR' -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=100 -c log_min_messages=warning" \
			start >"$PG_DIR/pg_ctl.log" 2>&1 </dev/null 9>&-
		then
			break
		fi
		tries=$((tries + 1))
		if [ $tries -lt 20 ] && grep -q 'could not bind\|already in use' "$PG_LOG"
		then
			continue
		fi
		echo >&2 "lib-pg: the server did not start:"
		cat >&2 "$PG_DIR/pg_ctl.log" "$PG_LOG"
		return 1
	done
	pg_running_=t
	PG_PID=$(head -n 1 "$PG_DATA/postmaster.pid")
	if [ -z "${pg_atexit_:-}" ]; then
		pg_atexit_=t
		test_atexit stop_pg
	fi
	PG_URI="postgresql://hookdir@/hookdir?host=$PG_SOCK_DIR&port=$PG_PORT"
	PG_TCP_URI="postgresql://hookdir@127.0.0.1:$PG_PORT/hookdir"
	export PG_URI PG_TCP_URI PG_PORT PG_SOCK_DIR PG_DATA PG_LOG PG_PID \
		PGPASSFILE PG_PASSWORD_FILE
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 \
		"postgresql://hookdir@/postgres?host=$PG_SOCK_DIR&port=$PG_PORT" \
		-c "create database hookdir owner hookdir" </dev/null
}

pg_host_conf () {
	cat >"$1.conf" <<-EOF
	{ "host": "$1", "database": "$PG_URI",
	  "spool": "spool", "pipelines": "pipelines", "state": "state-$1",
	  "sources": { "test": { "provider": "generic", "secret": "s3cret" } } }
	EOF
}

pg_psql () {
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -A -t "$PG_URI" "$@"
}

pg_create_db () {
	local name=$1
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$PG_URI" \
		-c "create database \"$name\" owner hookdir" </dev/null &&
	printf '%s\n' "postgresql://hookdir@/$name?host=$PG_SOCK_DIR&port=$PG_PORT"
}

# Is the postmaster still there (and not a zombie)?
pg_alive_ () {
	local st
	st=$(cat "/proc/$PG_PID/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

stop_pg () {
	local i
	[ -n "$pg_running_" ] || return 0
	pg_running_=
	pg_as_owner_ "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m immediate -w -t 30 \
		stop >>"$PG_DIR/pg_ctl.log" 2>&1 </dev/null 9>&- || {
		echo >&2 "lib-pg: pg_ctl stop failed:"
		cat >&2 "$PG_DIR/pg_ctl.log"
		return 1
	}
	# pg_ctl returns once the pid file is gone, a moment before the
	# postmaster itself.
	for i in $(seq 100)
	do
		pg_alive_ || return 0
		sleep 0.1
	done
	echo >&2 "lib-pg: the postmaster $PG_PID did not exit"
	return 1
}

pg_show_log_ () {
	[ -s "$PG_LOG" ] || return 0
	echo "--- $PG_LOG (its last lines):"
	tail -n 30 "$PG_LOG"
}
test_on_failure pg_show_log_
