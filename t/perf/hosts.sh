# t/perf/hosts.sh: the "hosts" section of `make perf`, sourced by
# t/perf/run.sh (it uses run.sh's fresh_prefix, start_spawned,
# start_nginx, add, row_line, tline...).  Several worker hosts on one
# spool and one PostgreSQL history against one worker on SQLite:
#
#   drain    PERF_HOSTS_EVENTS one-step events (`run: "true"`, written
#            into new/ by perf-tool fill) drained by 1, 2 and 3 workers
#            on PostgreSQL (separate processes, each its own host name,
#            its own state directory; one spool, one database; each
#            `worker --once -j 2`, started together) and by one
#            `worker --once -j 2` on SQLite.  Rate: events in done/ over
#            the time from the start to the last worker's exit.  Every
#            run has a database (or a history file) of its own, its
#            schema made beforehand by a worker on an empty queue.
#   ingest   nginx + hookdir.fcgi -F 2, wrk -t2 -c16 with 1 KiB bodies,
#            with PERF_HOSTS_EVENTS queued, while 2 PostgreSQL workers
#            (`worker --watch -j 2`) drain, and with no worker running.
#
# PostgreSQL runs as the package installs it, with its defaults: fsync,
# synchronous_commit and full_page_writes on, every commit on the disk.
# It runs from $RUN/pg, as nobody when make perf runs as root, on a unix
# socket only, in a directory only its owner (and root) may enter, and
# trusts the connections on that socket.  No targets: the ratios are
# printed for the reader.  The section is skipped (said in the output)
# when hookdir was built without --with-postgresql or when initdb,
# pg_ctl, postgres or psql is missing.
#
#   PERF_HOSTS_EVENTS=3000   events queued for each run
#   PG_BINDIR                where initdb, pg_ctl and postgres are

HOSTS_EVENTS=${PERF_HOSTS_EVENTS:-3000}
HOSTS_SKIP=
HPG_BINDIR=
HPG_DIR=
HPG_SOCK=
HPG_PORT=5432
HPG_RUNNING=
HPG_NDB=0
HPG_VERSION=
HPG_FSYNC=

hosts_find_bindir() {
	local d
	if [ -n "${PG_BINDIR:-}" ]; then
		echo "$PG_BINDIR"
		return
	fi
	d=$(pg_config --bindir 2>/dev/null)
	[ -n "$d" ] && [ -x "$d/initdb" ] && { echo "$d"; return; }
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/initdb" ] && { echo "$d"; return; }
	done
}

# Why the section cannot run here; nothing when it can.
hosts_missing() {
	local p
	grep -q '^#define HAVE_POSTGRESQL 1' "$top_builddir/autoconf.h" 2>/dev/null || {
		echo "hookdir was configured without --with-postgresql"
		return
	}
	for p in initdb pg_ctl postgres psql; do
		[ -n "$HPG_BINDIR" ] && [ -x "$HPG_BINDIR/$p" ] ||
			{ echo "no PostgreSQL server ($p; apt-get install postgresql)"; return; }
	done
	[ "$(id -u)" != 0 ] || id nobody >/dev/null 2>&1 ||
		echo "no user nobody to run PostgreSQL as (it refuses root)"
}

# Run a command as the server's user (nobody when we are root).
hpg_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		(cd "$HPG_DIR" && setpriv --reuid=nobody --regid="$(id -g nobody)" \
			--clear-groups -- env HOME="$HPG_DIR" "$@")
	else
		(cd "$HPG_DIR" && "$@")
	fi
}

hpg_start() {
	HPG_DIR=$RUN/pg
	HPG_SOCK=$HPG_DIR/sock
	# The server trusts its socket: only its owner (and root, who runs
	# the workers when make perf runs as root) may reach it.
	mkdir -p "$HPG_DIR/data" "$HPG_SOCK" && chmod 0700 "$HPG_DIR/data" "$HPG_SOCK" ||
		die "mkdir $HPG_DIR"
	if [ "$(id -u)" = 0 ]; then
		# nobody must reach its data under the temp dir (not list it).
		chmod 0711 "$RUN" &&
		chown -R nobody "$HPG_DIR" || die "chown $HPG_DIR"
	fi
	hpg_as_owner "$HPG_BINDIR/initdb" -D "$HPG_DIR/data" -U hookdir \
		--auth=trust -E UTF8 --no-locale >"$HPG_DIR/initdb.log" 2>&1 ||
		die "initdb failed: $(tail -3 "$HPG_DIR/initdb.log")"
	hpg_as_owner "$HPG_BINDIR/pg_ctl" -D "$HPG_DIR/data" -l "$HPG_DIR/server.log" -w -t 60 \
		-o "-c listen_addresses= -p $HPG_PORT -c unix_socket_directories='$HPG_SOCK'" \
		start >"$HPG_DIR/pg_ctl.log" 2>&1 </dev/null ||
		die "PostgreSQL did not start: $(tail -3 "$HPG_DIR/server.log")"
	HPG_RUNNING=1
	# Stopped however the run ends.
	trap 'hpg_stop; cleanup' EXIT
	HPG_VERSION=$("$HPG_BINDIR/postgres" --version | awk '{print $3}')
	HPG_FSYNC="fsync $(hpg_sql postgres 'show fsync'), synchronous_commit $(hpg_sql postgres 'show synchronous_commit')"
	say "PostgreSQL $HPG_VERSION in $HPG_DIR, $HPG_FSYNC"
}

hpg_stop() {
	[ -n "$HPG_RUNNING" ] || return 0
	HPG_RUNNING=
	hpg_as_owner "$HPG_BINDIR/pg_ctl" -D "$HPG_DIR/data" -m fast -w -t 60 \
		stop >>"$HPG_DIR/pg_ctl.log" 2>&1 </dev/null ||
		say "pg_ctl stop failed: $(tail -1 "$HPG_DIR/pg_ctl.log")"
}

hpg_uri() { echo "postgresql://hookdir@/$1?host=$HPG_SOCK&port=$HPG_PORT"; }
hpg_sql() {	# database sql
	"$HPG_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$(hpg_uri "$1")" -c "$2" </dev/null
}

# Transactions committed in this run's database so far (the statistics
# of sessions that ended: read with no worker connected).
hpg_commits() {
	hpg_sql postgres "select xact_commit from pg_stat_database where datname = 'perf$HPG_NDB'"
}

# A fresh database for one run; its URI in $HPG_URI.
hpg_fresh_db() {
	HPG_NDB=$((HPG_NDB + 1))
	hpg_sql postgres "create database perf$HPG_NDB owner hookdir" ||
		die "create database perf$HPG_NDB failed"
	HPG_URI=$(hpg_uri "perf$HPG_NDB")
}

# $P/hN.conf for hosts 1..k: host hN on $HPG_URI, the prefix's spool and
# pipelines, a state directory of its own; the schema made by host h1
# on the (still empty) queue.
hosts_confs() {	# k
	local i
	for i in $(seq "$1"); do
		mkdir -p "$P/state-h$i"
		printf '{"host":"h%s","database":"%s",\n"spool":"%s","state":"%s","pipelines":"%s",\n"limits":{"max_queue":10000000},\n"sources":{"bench":{"provider":"github","secret_file":"%s"}}}\n' \
			"$i" "$HPG_URI" "$P/spool" "$P/state-h$i" "$P/pipelines" "$P/secret" >"$P/h$i.conf"
	done
	"$BIN/hookdir" -c "$P/h1.conf" worker $WORKER_ROOT --once >"$P/warm.log" 2>&1 ||
		die "hosts: the first worker on $HPG_URI failed: $(tail -1 "$P/warm.log")"
}

# k workers on PostgreSQL (k = 0: one on SQLite) drain the queue.
hosts_drain() {	# row k
	local row=$1 k=$2 out t0 t1 i n failed c0= c1 pids=() confs=()
	fresh_prefix "$PIPE_TRUE"
	if [ "$k" = 0 ]; then
		"$BIN/hookdir" -c "$P/hookdir.conf" worker $WORKER_ROOT --once >"$P/warm.log" 2>&1 ||
			die "hosts: the first worker on SQLite failed: $(tail -1 "$P/warm.log")"
		confs=("$P/hookdir.conf")
	else
		hpg_fresh_db
		hosts_confs "$k"
		for i in $(seq "$k"); do confs+=("$P/h$i.conf"); done
	fi
	out=$("$BIN/perf-tool" fill "$P/spool" "$HOSTS_EVENTS" bench 1024) || die "fill: $out"
	sync
	quiet_gate "hosts drain $row"
	[ "$k" = 0 ] || c0=$(hpg_commits)
	t0=$EPOCHREALTIME
	for i in "${!confs[@]}"; do
		"$BIN/hookdir" -c "${confs[$i]}" worker $WORKER_ROOT --once -j 2 \
			</dev/null >"$P/worker-$i.log" 2>&1 &
		pids+=($!)
		track "$!"
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || say "hosts $row: worker ${confs[$i]##*/} exit $? ($(tail -1 "$P/worker-$i.log"))"
	done
	t1=$EPOCHREALTIME
	stop_all
	n=$(count_files "$P/spool/done")
	failed=$(count_files "$P/spool/failed")
	[ "$n" = "$HOSTS_EVENTS" ] || say "hosts $row: $n of $HOSTS_EVENTS in done/, $failed in failed/"
	add rate "$row" "$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", n / (b - a)}')"
	if [ -n "$c0" ]; then
		c1=$(hpg_commits)
		add commits "$row" "$(awk -v a="$c0" -v b="$c1" -v n="$n" 'BEGIN {if (n) printf "%.1f", (b - a) / n}')"
	fi
	say "hosts $row: $n done in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s"
}

# Ingest through nginx + hookdir.fcgi F2 with the queue in new/, while
# k PostgreSQL workers --watch -j 2 drain it (k = 0: none runs).
hosts_ingest() {	# row k
	local row=$1 k=$2 q=$HOSTS_EVENTS out i n dur
	fresh_prefix "$PIPE_TRUE"
	if [ "$k" -gt 0 ]; then
		hpg_fresh_db
		hosts_confs "$k"
	fi
	out=$("$BIN/perf-tool" fill "$P/spool" "$q" bench 1024) || die "fill: $out"
	sync
	start_spawned 2 "$P/hookdir.sock" "$BIN/hookdir.fcgi" -c "$P/hookdir.conf"
	start_nginx
	quiet_gate "hosts ingest $row"
	for i in $(seq "$k"); do
		"$BIN/hookdir" -c "$P/h$i.conf" worker $WORKER_ROOT --watch -j 2 \
			</dev/null >"$P/worker-h$i.log" 2>&1 &
		track "$!"
	done
	ingest_wrk "$row" "$q" "hosts ingest $row" || return
	[ "$k" -gt 0 ] && add rate "$row|drained" "$(awk -v n="$n" -v d="$dur" 'BEGIN {printf "%.1f", n / d}')"
	say "hosts ingest $row: $INGEST_SAID, workers moved $n to done/"
}

hosts_section() {
	local rep
	HPG_BINDIR=$(hosts_find_bindir)
	HOSTS_SKIP=$(hosts_missing)
	if [ -n "$HOSTS_SKIP" ]; then
		say "hosts: skipped: $HOSTS_SKIP"
		return 0
	fi
	[[ $HOSTS_EVENTS =~ ^[0-9]+$ ]] && [ "$HOSTS_EVENTS" -ge 1 ] ||
		die "PERF_HOSTS_EVENTS=$HOSTS_EVENTS: want a positive integer"
	hpg_start
	for rep in $(seq "$REPS"); do
		# Interleaved: rows compared are measured together.
		hosts_drain "hosts|sqlite" 0
		hosts_drain "hosts|pg1" 1
		hosts_drain "hosts|pg2" 2
		hosts_drain "hosts|pg3" 3
		hosts_ingest "hosts|ingest-alone" 0
		hosts_ingest "hosts|ingest-pg2" 2
	done
	hpg_stop
}

# The section's rows in run.sh's table.
hosts_rows() {
	local i
	if [ -n "$HOSTS_SKIP" ]; then
		printf '| hosts: skipped: %s | - | - | - | - | - | - | - | - | - |\n' "$HOSTS_SKIP"
		return
	fi
	row_line "hosts: drain $HOSTS_EVENTS queued, 1 worker --once -j 2 on SQLite (rate: start to exit)" 1k - "hosts|sqlite" 0
	for i in 1 2 3; do
		row_line "hosts: drain $HOSTS_EVENTS queued, $i worker host(s) --once -j 2 on PostgreSQL $HPG_VERSION ($HPG_FSYNC), one spool" 1k - "hosts|pg$i" 0
	done
	row_line "hosts: ingest, hookdir.fcgi F2, $HOSTS_EVENTS queued, no worker running" 1k 16 "hosts|ingest-alone" 0
	row_line "hosts: ingest, hookdir.fcgi F2, while 2 worker hosts --watch -j 2 on PostgreSQL drain $HOSTS_EVENTS" 1k 16 "hosts|ingest-pg2" 0
	row_line "… the 2 hosts' drain rate meanwhile" 1k - "hosts|ingest-pg2|drained" 0
}

# Its ratios in the verdict table: no targets, informational.
hosts_ratio_line() {	# text row-a row-b
	local a b
	a=$(med rate "$2"); b=$(med rate "$3")
	[ -n "$a" ] && [ -n "$b" ] || return 0
	printf '| %s (informational) | %s (%s / %s) | - |\n' "$1" \
		"$(pair_ratio rate "$2" "$3")" "${a%.*}" "${b%.*}"
}
hosts_verdicts() {
	[ -z "$HOSTS_SKIP" ] || return 0
	hosts_ratio_line "drain PG 1 host / SQLite, median of the runs' pairs" "hosts|pg1" "hosts|sqlite"
	hosts_ratio_line "drain PG 2 hosts / PG 1 host" "hosts|pg2" "hosts|pg1"
	hosts_ratio_line "drain PG 3 hosts / PG 1 host" "hosts|pg3" "hosts|pg1"
	hosts_ratio_line "ingest while 2 PG hosts drain / ingest alone" "hosts|ingest-pg2" "hosts|ingest-alone"
	printf '| PostgreSQL transactions committed per event (pg_stat_database), 1 / 2 / 3 hosts (informational) | %s / %s / %s | - |\n' \
		"$(fmt commits "hosts|pg1" 1)" "$(fmt commits "hosts|pg2" 1)" "$(fmt commits "hosts|pg3" 1)"
}
