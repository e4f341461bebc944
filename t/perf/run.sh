#!/bin/bash
# t/perf/run.sh: `make perf`.  Measures hookdir against its yardsticks and
# prints ONE table (every row measured in this run, median of PERF_REPS
# repetitions with min-max), then how that table stands against the
# targets.  Nothing is asserted on time: it exits 0 whatever the numbers
# (1 only when something it needs is missing or a server does not start).
#
#   make perf                                   # everything, ~13 min
#   PERF_ONLY=worker,drain make perf            # a subset
#   PERF_SECONDS=10 PERF_REPS=5 make perf       # longer, more repetitions
#
# Sections (PERF_ONLY, comma-separated; default all):
#   ingress  wrk -t2 on loopback, signed GitHub-style 1 KiB and 64 KiB bodies,
#            16 and 64 connections, against: hookdir.fcgi under spawn-fcgi
#            -F 2 / -F 4 behind nginx; ref-fcgi (the bench's minimal
#            responder, fsync mode) with the same process counts; webhook
#            (the append-body hook, async as users run it); hookdir.fcgi as
#            plain CGI (nginx + fcgiwrap -c 4).  Goodput = events stored
#            (files in spool/new/, lines appended by webhook) / wrk duration.
#   worker   hookdir worker --once (-j 1, -j 2) on a queue of a one-step
#            pipeline (`run: "true"`) against fork+exec of /bin/true
#            (forkexec-bench), and the latency from the 202 (taken by the
#            client) to the step's start (`date +%s.%N` in the step) under
#            --watch.
#   rss      peak RSS (VmHWM) of hookdir.fcgi, ref-fcgi and the worker; taken
#            from the other sections' runs (alone: a short run of its own).
#   ratelimit  the cost of a source's rate_limit: hookdir.fcgi -F 2 behind
#            nginx, 1 KiB bodies, PERF_CONNS connections, with and without a
#            rate_limit on the source (1 000 000 a minute: never hit, every
#            request takes a token), interleaved; the target is goodput with
#            it >= 0.95 of goodput without.
#   drain    worker --once -j 2 with 1 000 / 10 000 / 100 000 files queued
#            (written straight into new/ by perf-tool fill, not via HTTP),
#            with the step pipeline and with no pipeline matching (claim +
#            history only); and ingest through nginx while a worker drains.
#   history  the history at scale (t/perf/history.sh): 10 000, 100 000 and
#            1 000 000 runs synthesised straight into the store; status,
#            runs, report and gc timed with their peak RSS.
#   perevent what one event costs the worker, one-step pipeline (`run:
#            "true"`), PERF_PEREVENT_EVENTS queued by perf-tool fill:
#            inodes created per event (strace of worker --once: successful
#            mkdir, open with O_CREAT, link, symlink; what remains after
#            the run besides), the worker's own CPU per event (its
#            RUSAGE_SELF, children excluded, via perf-tool rusage), its
#            drain rate (-j 1) against fork+exec of /bin/sh -c true in one
#            process, measured side by side; pwrite, fsync/fdatasync and
#            fcntl calls per event (strace -c).
#   hosts    several worker hosts on one spool and one PostgreSQL
#            (t/perf/hosts.sh; fsync on): drain rate of PERF_HOSTS_EVENTS
#            one-step events with 1, 2 and 3 hosts against one worker on
#            SQLite, and ingest while 2 hosts drain against ingest alone.
#            Skipped (said why) without --with-postgresql or a server.
#
# Needs (Debian packages): nginx (nginx-light), spawn-fcgi, fcgiwrap, wrk,
# webhook, curl, openssl, gcc, libfcgi-dev, libssl-dev; a built tree
# ($top_builddir/cgi/hookdir.fcgi, worker/hookdir); the yardsticks in
# $HOOKDIR_BENCH (default $top_srcdir/t/perf/yardstick: ref-fcgi.c,
# fsync-bench.c, forkexec-bench.c, post.lua, hooks.json.in,
# append-body.sh), compiled into a temp dir at every run.  It is not run by
# CI.  Run it as root or as a user who may start servers on 127.0.0.1.
#
# Environment:
#   PERF_SECONDS=4      length of each wrk run
#   PERF_DRAIN_SECONDS=3      length of each drain window
#   PERF_REPS=3         repetitions of every measurement
#   PERF_ONLY=          subset: ingress,worker,rss,drain,ratelimit,history,perevent,hosts
#   PERF_HISTORY_SIZES="10000 100000 1000000"   PERF_HISTORY_REPS=5
#   PERF_CONNS="16 64"  PERF_BODIES="1k 64k"
#   PERF_INGRESS="R2 H2 R4 H4 WH CGI"   ingress configurations, in run order
#   PERF_MICRO_SECONDS=2      each forkexec-bench run
#   PERF_WORKER_EVENTS=2000   events queued for each worker --once run
#   PERF_LATENCY_EVENTS=30    requests per --watch latency run (100 ms apart)
#   PERF_PEREVENT_EVENTS=2000 events queued for each perevent run
#   PERF_STRACE_EVENTS=200    events queued for each perevent strace run
#   PERF_HOSTS_EVENTS=3000    events queued for each hosts run
#   PERF_DRAIN_QUEUES="1000 10000 100000"   PERF_INGEST_QUEUE=10000
#   PERF_TMP=/var/tmp   where the temp dir goes (a disk file system, not tmpfs)
#   PERF_KEEP=1         keep the temp dir (raw wrk output, logs, spools)
#   PERF_QUIET_WAIT=5   seconds to wait for an idle machine before each run
#   PERF_WH_DRAIN=30    seconds to wait for webhook's queued commands
#   HOOKDIR_BENCH       the bench directory
#
# Files under the temp dir are never deleted during the run (spool files are
# truncated, their inodes kept): on ext4 without a journal, inodes freed in
# the last minutes slow file creation several-fold (see BASELINE.md).

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -u
set -o pipefail

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
BENCH=${HOOKDIR_BENCH:-$top_srcdir/t/perf/yardstick}

S=${PERF_SECONDS:-4}
DRAIN_S=${PERF_DRAIN_SECONDS:-3}
REPS=${PERF_REPS:-3}
CONNS=${PERF_CONNS:-"16 64"}
BODIES=${PERF_BODIES:-"1k 64k"}
MICRO_S=${PERF_MICRO_SECONDS:-2}
WORKER_EVENTS=${PERF_WORKER_EVENTS:-2000}
PEREVENT_EVENTS=${PERF_PEREVENT_EVENTS:-2000}
STRACE_EVENTS=${PERF_STRACE_EVENTS:-200}
LAT_EVENTS=${PERF_LATENCY_EVENTS:-30}
DRAIN_QUEUES=${PERF_DRAIN_QUEUES:-"1000 10000 100000"}
INGEST_QUEUE=${PERF_INGEST_QUEUE:-10000}
QUIET_WAIT=${PERF_QUIET_WAIT:-5}
WH_DRAIN=${PERF_WH_DRAIN:-30}
SECRET=bench-secret-7f3c9a1e5b
ONLY=${PERF_ONLY:-ingress,worker,rss,drain,ratelimit,history,perevent,hosts}
ONLY=",${ONLY// /,},"

want() { [[ $ONLY == *",$1,"* ]]; }
say() { printf '%s perf: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "$*"; exit 1; }

for v in S DRAIN_S REPS MICRO_S WORKER_EVENTS PEREVENT_EVENTS STRACE_EVENTS LAT_EVENTS INGEST_QUEUE QUIET_WAIT WH_DRAIN; do
	[[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] ||
		die "PERF_* setting $v=${!v}: want a positive integer"
done
for s in ingress worker rss drain ratelimit history perevent hosts; do ONLY=${ONLY/,$s,/,}; done
[ "$ONLY" = , ] || die "PERF_ONLY: unknown section(s) ${ONLY//,/ } (want ingress,worker,rss,drain,ratelimit,history,perevent,hosts)"
ONLY=",${PERF_ONLY:-ingress,worker,rss,drain,ratelimit,history,perevent,hosts},"
ONLY=${ONLY// /,}
# The history section needs none of the servers: alone, it runs alone.
[ "$ONLY" = ",history," ] && exec bash "$top_srcdir/t/perf/history.sh"

# ---------------------------------------------------------------- needs
missing=()
need_prog() {	# program debian-package
	command -v "$1" >/dev/null 2>&1 || missing+=("$1 (apt-get install $2)")
}
need_prog cc gcc
need_prog openssl openssl
need_prog curl curl
want perevent && need_prog strace strace
if want ingress || want rss || want drain || want worker || want ratelimit || want hosts; then
	need_prog nginx nginx-light
	need_prog spawn-fcgi spawn-fcgi
fi
if want ingress || want rss || want drain || want ratelimit || want hosts; then
	need_prog wrk wrk
fi
if want ingress; then
	need_prog fcgiwrap fcgiwrap
	need_prog webhook webhook
fi
for f in ref-fcgi.c fsync-bench.c forkexec-bench.c post.lua hooks.json.in append-body.sh; do
	[ -r "$BENCH/$f" ] || missing+=("$BENCH/$f (set HOOKDIR_BENCH to the bench directory)")
done
for f in cgi/hookdir.fcgi worker/hookdir; do
	[ -x "$top_builddir/$f" ] || missing+=("$top_builddir/$f (run make first)")
done
[ -r "$top_srcdir/conf/nginx.conf" ] || missing+=("$top_srcdir/conf/nginx.conf")
if command -v cc >/dev/null 2>&1; then
	printf '#include <fcgiapp.h>\n#include <openssl/hmac.h>\nint main(void){return 0;}\n' |
		cc -x c -o /dev/null - -lfcgi -lcrypto >/dev/null 2>&1 ||
		missing+=("libfcgi-dev / libssl-dev (apt-get install libfcgi-dev libssl-dev)")
fi
if [ ${#missing[@]} -gt 0 ]; then
	say "cannot run; missing:"
	printf '  %s\n' "${missing[@]}" >&2
	exit 1
fi

[ -n "${EPOCHREALTIME:-}" ] || die "needs bash 5 (EPOCHREALTIME)"
RUN=$(mktemp -d "${PERF_TMP:-/var/tmp}/hookdir-perf.XXXXXX") || die "mktemp failed"
# A pipe nobody writes to: `read -t` on it sleeps without a fork.
exec {NAPFD}<> <(:)
BIN=$RUN/bin
NPFX=0		# per-run prefixes $RUN/r.N
P=

# The worker refuses root's state unless told: the temp dir is root's
# when make perf runs as root.
WORKER_ROOT=
[ "$(id -u)" = 0 ] && WORKER_ROOT=--allow-root

# ---------------------------------------------------------------- processes
# Every server is recorded as "pid:comm" and stopped by that pid only.
TRACKED=()
track() {
	local c
	c=$(cat "/proc/$1/comm" 2>/dev/null) || return 0
	TRACKED+=("$1:$c")
}
alive() {	# pid comm
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}
stop_pid() {	# pid comm signal
	local pid=$1 comm=$2 sig=$3 i c
	alive "$pid" "$comm" || return 0
	kill "-$sig" "$pid" 2>/dev/null
	for i in $(seq 200); do
		alive "$pid" "$comm" || return 0
		sleep 0.05
	done
	say "pid $pid ($comm) ignored SIG$sig; killing it"
	# perf-tool rusage's child first: it would outlive it otherwise.
	for c in $(children "$pid"); do kill -KILL "$c" 2>/dev/null; done
	kill -KILL "$pid" 2>/dev/null
}
stop_all() {
	local e pid comm
	# In start order: nginx gracefully (it flushes its access log), then
	# the backends; fcgiwrap's parent before its children.
	for e in "${TRACKED[@]+"${TRACKED[@]}"}"; do
		pid=${e%%:*}
		comm=${e#*:}
		case $comm in
		nginx) stop_pid "$pid" "$comm" QUIT ;;
		*) stop_pid "$pid" "$comm" TERM ;;
		esac
	done
	TRACKED=()
	wait 2>/dev/null
}
cleanup() {
	stop_all
	if [ "${PERF_KEEP:-0}" = 1 ]; then
		say "kept $RUN (PERF_KEEP=1)"
	else
		rm -rf "$RUN"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

children() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '; }

# ---------------------------------------------------------------- numbers
# V[metric|row] holds the repetitions' values, space-separated.
declare -A V
declare -A ROWSEEN
ROWS=()
add() {	# metric row value
	[ -n "$3" ] || return 0
	V["$1|$2"]+=" $3"
	if [ -z "${ROWSEEN[$2]:-}" ]; then
		ROWSEEN[$2]=1
		ROWS+=("$2")
	fi
}
# "median min max" of a metric's values (empty when none)
stat3() {
	printf '%s\n' ${V["$1|$2"]:-} | awk 'NF {v[n++] = $1}
	END {
		if (n == 0) exit
		for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
			if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		m = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
		print m, v[0], v[n - 1]
	}'
}
med() { local s; s=$(stat3 "$1" "$2"); echo "${s%% *}"; }
sum() { printf '%s\n' ${V["$1|$2"]:-} | awk 'NF {s += $1; n++} END {if (n) printf "%d", s}'; }
maxv() { printf '%s\n' ${V["$1|$2"]:-} | awk 'NF {if (!n || $1 > m) m = $1; n++} END {if (n) print m}'; }
# "1234 (1100–1300)" with the given decimals, or "-"
fmt() {	# metric row decimals
	local s
	s=$(stat3 "$1" "$2")
	[ -n "$s" ] || { echo -; return; }
	awk -v s="$s" -v d="$3" 'BEGIN {
		split(s, x, " "); f = "%." d "f"
		if (x[2] == x[3]) printf f "\n", x[1]
		else printf f " (" f "–" f ")\n", x[1], x[2], x[3]
	}'
}
# The median of the ratios of two rows' values, repetition by repetition.
pair_ratio() {	# metric row-a row-b
	awk -v a="${V["$1|$2"]:-}" -v b="${V["$1|$3"]:-}" 'BEGIN {
		n = split(a, x, " "); m = split(b, y, " ")
		if (m < n) n = m
		for (i = 1; i <= n; i++) if (y[i] + 0 > 0) r[k++] = x[i] / y[i]
		if (k == 0) { print "-"; exit }
		for (i = 0; i < k; i++) for (j = i + 1; j < k; j++)
			if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
		printf "%.3f\n", k % 2 ? r[(k - 1) / 2] : (r[k / 2 - 1] + r[k / 2]) / 2
	}'
}
ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b}'; }

# ---------------------------------------------------------------- machine
sys_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat; }
pid_ticks() {	# utime+stime+cutime+cstime
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo $(( ${12} + ${13} + ${14} + ${15} ))
}
group_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(pid_ticks "$p"))); done; echo "$t"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null; }
CLK=$(getconf CLK_TCK)

# Others run tests on this machine too: wait (a while) until it is idle.
BUSY_RUNS=0
quiet_gate() {
	local a b busy i
	for i in $(seq $((QUIET_WAIT * 2))); do
		a=$(sys_ticks); sleep 0.3; b=$(sys_ticks)
		busy=$(awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " ");
			t = (y[1] - x[1]) + (y[2] - x[2]); printf "%d", t ? 100 * (y[1] - x[1]) / t : 0}')
		[ "$busy" -le 10 ] && return 0
		sleep 0.2
	done
	BUSY_RUNS=$((BUSY_RUNS + 1))
	say "machine still ${busy}% busy before $1 (someone else's load)"
}

count_files() { find "$1" -mindepth 1 -maxdepth 1 -type f -printf . 2>/dev/null | wc -c; }

# Retire a run's spool without freeing inodes (see the header): the data
# of large files is released, small files are kept whole (cheaper).
retire() {
	[ -n "$P" ] && [ -d "$P" ] || return 0
	find "$P" -type f -size +16k -exec truncate -s 0 {} + 2>/dev/null
}

# ---------------------------------------------------------------- setup
build() {
	mkdir -p "$BIN"
	cc -O2 -Wall -o "$BIN/ref-fcgi" "$BENCH/ref-fcgi.c" -lfcgi -lcrypto &&
	cc -O2 -Wall -pthread -o "$BIN/fsync-bench" "$BENCH/fsync-bench.c" &&
	cc -O2 -Wall -o "$BIN/forkexec-bench" "$BENCH/forkexec-bench.c" &&
	cc -O2 -Wall -D_GNU_SOURCE -o "$BIN/perf-tool" "$top_srcdir/t/perf/perf-tool.c" &&
	cp "$top_builddir/cgi/hookdir.fcgi" "$BIN/hookdir.fcgi" &&
	cp "$top_builddir/worker/hookdir" "$BIN/hookdir" ||
		die "building the yardsticks failed"
}

make_body() {	# size file: one-line JSON of exactly size bytes (final \n included)
	local size=$1 f=$2 head tail pad
	head='{"ref":"refs/heads/main","before":"6113728f27ae82c7b1a177c8d03f9e96e0adf246","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c","repository":{"id":1296269,"full_name":"octocat/Hello-World","private":false},"pusher":{"name":"octocat","email":"octocat@example.com"},"pad":"'
	tail='"}'
	pad=$((size - ${#head} - ${#tail} - 1))
	{ printf '%s' "$head"; head -c "$pad" /dev/zero | tr '\0' x; printf '%s\n' "$tail"; } >"$f"
	openssl dgst -sha256 -hmac "$SECRET" -r "$f" | cut -d' ' -f1 >"$f.sig"
}

free_port() {
	local p i
	for i in $(seq 50); do
		# below the ephemeral range, where wrk's connections are
		p=$(( (RANDOM * 32768 + RANDOM) % 12700 + 20000 ))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}

# The recipe's location block (conf/nginx.conf), with this run's socket:
# the benchmark serves what users are told to use.  The responder is
# started with the configuration file (-c).
recipe_location() {
	awk '
		/^location \/hooks\/ \{/ { on = 1 }
		on { print; depth += gsub(/\{/, "{"); depth -= gsub(/\}/, "}")
		     if (depth == 0) exit }
	' "$top_srcdir/conf/nginx.conf" |
	sed -e "s|fastcgi_pass unix:/run/hookdir/fcgi.sock;|fastcgi_pass unix:$P/hookdir.sock;|"
}

# A fresh per-run prefix $P: spool, state, secret, hookdir.conf, pipelines
# (given as JSON text), nginx and webhook configuration.  With
# PREFIX_RATE_LIMIT set, the source has that rate_limit (JSON).
PREFIX_RATE_LIMIT=
fresh_prefix() {	# [pipeline-json]
	local user_line= rate=
	retire
	sync	# the previous run's dirty pages are not flushed during this one
	NPFX=$((NPFX + 1))
	P=$RUN/r.$NPFX
	mkdir -p "$P/tmp" "$P/spool/tmp" "$P/spool/new" "$P/spool/cur" "$P/spool/done" \
	    "$P/spool/failed" "$P/state" "$P/pipelines" "$P/webhook-tmp" || die "mkdir $P"
	printf '%s' "$SECRET" >"$P/secret"
	chmod 600 "$P/secret"
	[ -n "$PREFIX_RATE_LIMIT" ] && rate=",\"rate_limit\":$PREFIX_RATE_LIMIT"
	printf '{"spool":"%s","state":"%s","pipelines":"%s",\n"limits":{"max_queue":10000000},\n"sources":{"bench":{"provider":"github","secret_file":"%s"%s}}}\n' \
		"$P/spool" "$P/state" "$P/pipelines" "$P/secret" "$rate" >"$P/hookdir.conf"
	[ -n "${1:-}" ] && printf '%s\n' "$1" >"$P/pipelines/bench.json"
	[ "$(id -u)" = 0 ] && user_line="user root;"	# workers must reach the 0700 temp dir
	PORT=$(free_port) || die "no free port"
	cat >"$P/nginx.conf" <<-EOF
	$user_line
	worker_processes auto;
	pid $P/nginx.pid;
	error_log $P/error.log warn;
	daemon off;
	events {
		worker_connections 4096;
	}
	http {
		log_format perf '\$status';
		access_log $P/access.log perf buffer=64k flush=1s;
		client_body_temp_path $P/tmp/body;
		fastcgi_temp_path $P/tmp/fastcgi;
		proxy_temp_path $P/tmp/proxy;
		scgi_temp_path $P/tmp/scgi;
		uwsgi_temp_path $P/tmp/uwsgi;
		# 64 KiB bodies stay in memory (the 16k default spills them to disk).
		client_body_buffer_size 128k;
		client_max_body_size 1m;
		keepalive_requests 100000;
		server_tokens off;
		server {
			listen 127.0.0.1:$PORT default_server;
			$(recipe_location)
			location = /hook {
				fastcgi_pass unix:$P/ref.sock;
				include $BENCH/fastcgi.inc;
			}
			location /cgi/ {
				fastcgi_split_path_info ^(/cgi)(/.*)\$;
				fastcgi_pass unix:$P/fcgiwrap.sock;
				include $BENCH/fastcgi.inc;
				fastcgi_param PATH_INFO \$fastcgi_path_info;
				fastcgi_param SCRIPT_FILENAME $BIN/hookdir.fcgi;
				fastcgi_param HOOKDIR_CONF $P/hookdir.conf;
			}
			location / {
				return 404;
			}
		}
	}
	EOF
	sed -e "s|@PREFIX@|$P|g" -e "s|@BENCH@|$BENCH|g" -e "s|@SECRET@|$SECRET|g" \
		"$BENCH/hooks.json.in" >"$P/hooks.json"
}

wait_http() {	# url
	local i
	for i in $(seq 200); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null)" != 000 ] && return 0
		sleep 0.05
	done
	die "no answer from $1"
}
wait_sock() { local i; for i in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.05; done; die "no socket $1"; }

NGINX_PID=
BACK_PIDS=
start_nginx() {
	local w
	nginx -p "$P" -c "$P/nginx.conf" -e "$P/error.log" </dev/null >"$P/nginx.out" 2>&1 &
	NGINX_PID=$!
	wait_http "http://127.0.0.1:$PORT/none"
	track "$NGINX_PID"
	for w in $(children "$NGINX_PID"); do track "$w"; done
}
start_spawned() {	# n sock prog args...
	local n=$1 sock=$2 b
	shift 2
	spawn-fcgi -s "$sock" -b 1024 -F "$n" -P "$P/spawned.pid" -- "$@" >"$P/spawn-fcgi.log" 2>&1 ||
		die "spawn-fcgi $*: $(cat "$P/spawn-fcgi.log")"
	wait_sock "$sock"
	BACK_PIDS=$(tr -s ' \n' ' ' <"$P/spawned.pid")
	for b in $BACK_PIDS; do track "$b"; done
}
start_fcgiwrap() {	# children
	local fw c i
	setsid fcgiwrap -c "$1" -s "unix:$P/fcgiwrap.sock" </dev/null >"$P/fcgiwrap.log" 2>&1 &
	fw=$!
	wait_sock "$P/fcgiwrap.sock"
	for i in $(seq 100); do [ "$(children "$fw" | wc -l)" -ge "$1" ] && break; sleep 0.05; done
	track "$fw"
	BACK_PIDS=$fw
	for c in $(children "$fw"); do track "$c"; BACK_PIDS="$BACK_PIDS $c"; done
}
WH_PORT=
start_webhook() {
	WH_PORT=$(free_port) || die "no free port"
	webhook -hooks "$P/hooks.json" -ip 127.0.0.1 -port "$WH_PORT" </dev/null >"$P/webhook.log" 2>&1 &
	BACK_PIDS=$!
	wait_http "http://127.0.0.1:$WH_PORT/"
	track "$BACK_PIDS"
}

# ---------------------------------------------------------------- ingress
# Configurations: H2 H4 hookdir.fcgi -F n; R2 R4 ref-fcgi fsync -F n;
# WH webhook append-body (async); CGI hookdir.fcgi via fcgiwrap -c 4.
declare -A CFG_NAME=(
	[R2]="ref-fcgi fsync, F2" [H2]="hookdir.fcgi, F2"
	[R4]="ref-fcgi fsync, F4" [H4]="hookdir.fcgi, F4"
	[WH]="webhook append-body (async)" [CGI]="hookdir.fcgi as CGI (fcgiwrap -c 4)"
	[L2]="hookdir.fcgi, F2, rate_limit never hit" [L4]="hookdir.fcgi, F4, rate_limit never hit"
)
# The ratelimit section's rate_limit: far above any goodput, so that
# every request pays for its token and none is refused.
RATE_NEVER_HIT='{"per_minute":1000000,"burst":1000000}'
URL=
start_config() {	# cfg
	BACK_PIDS=
	NGINX_PID=
	case $1 in
	L*) PREFIX_RATE_LIMIT=$RATE_NEVER_HIT ;;
	*) PREFIX_RATE_LIMIT= ;;
	esac
	fresh_prefix
	PREFIX_RATE_LIMIT=
	case $1 in
	H2|H4|L2|L4)
		start_spawned "${1:1}" "$P/hookdir.sock" "$BIN/hookdir.fcgi" -c "$P/hookdir.conf"
		start_nginx
		URL="http://127.0.0.1:$PORT/hooks/bench" ;;
	R2|R4)
		mkdir -p "$P/spool/tmp" "$P/spool/new" "$P/spool/cur"
		start_spawned "${1#R}" "$P/ref.sock" "$BIN/ref-fcgi" fsync "$P/spool" "$P/secret"
		start_nginx
		URL="http://127.0.0.1:$PORT/hook" ;;
	WH)
		start_webhook
		URL="http://127.0.0.1:$WH_PORT/hooks/bench-append" ;;
	CGI)
		start_fcgiwrap 4
		start_nginx
		URL="http://127.0.0.1:$PORT/cgi/bench" ;;
	esac
}

stored() {	# cfg: events on disk
	case $1 in
	WH) if [ -f "$P/append.log" ]; then wc -l <"$P/append.log"; else echo 0; fi ;;
	*) count_files "$P/spool/new" ;;
	esac
}

# webhook answers before its command has run: wait until no command runs,
# no temp body file is left and nothing more is appended, for 1 s.
webhook_settle() {
	local quiet=0 last= now i t0=$EPOCHREALTIME
	for i in $(seq $((WH_DRAIN * 10))); do
		now="$(children "$BACK_PIDS" | wc -l) $(count_files "$P/webhook-tmp") $(stored WH)"
		if [ "${now%% *}" = 0 ] && [ "$now" = "$last" ]; then
			quiet=$((quiet + 1))
			if [ "$quiet" -ge 10 ]; then
				add settle "$1" "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a - 1}')"
				return 0
			fi
		else
			quiet=0
		fi
		last=$now
		sleep 0.1
	done
	add settle "$1" "$WH_DRAIN"
	say "webhook still busy after ${WH_DRAIN}s; counting what it stored so far"
}

declare -A R
parse_result() {	# file: wrk's RESULT line into R[]
	local kv
	R=()
	for kv in $(grep '^RESULT' "$1" | head -1); do
		[ "$kv" = RESULT ] && continue
		R[${kv%%=*}]=${kv#*=}
	done
	[ -n "${R[requests]:-}" ]
}

# wrk against the running configuration; records the row's metrics.
load_run() {	# row cfg body conns tag
	local row=$1 cfg=$2 body=$3 c=$4 tag=$5 raw b0 b1 hwm=0 h p st ans dur
	raw=$RUN/wrk.$tag.txt
	quiet_gate "$tag"
	b0=$(group_ticks $BACK_PIDS)
	wrk -t2 -c"$c" -d"${S}s" --timeout 10s -s "$BENCH/post.lua" "$URL" \
		-- "$RUN/body-$body.json" "$(cat "$RUN/body-$body.json.sig")" >"$raw" 2>&1
	b1=$(group_ticks $BACK_PIDS)
	for p in $BACK_PIDS; do
		h=$(hwm_kb "$p")
		[ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
	done
	[ "$cfg" = WH ] && webhook_settle "$row"
	stop_all
	if ! parse_result "$raw"; then
		say "$tag: wrk gave no result: $(tail -3 "$raw" | tr '\n' ' ')"
		add fail "$row" 1
		return
	fi
	st=$(stored "$cfg")
	# Answers: nginx's log (exact) or, without nginx, wrk's count.
	if [ -n "$NGINX_PID" ]; then
		ans=$(awk '$1 ~ /^2/ {n++} END {print n + 0}' "$P/access.log")
	else
		ans=$((R[requests] - R[non2xx]))
	fi
	dur=$(awk -v d="${R[duration_us]}" 'BEGIN {printf "%.6f", d / 1e6}')
	add rate "$row" "$(awk -v s="$st" -v d="$dur" 'BEGIN {printf "%.1f", s / d}')"
	add p50 "$row" "$(awk -v v="${R[p50_us]}" 'BEGIN {printf "%.2f", v / 1000}')"
	add p99 "$row" "$(awk -v v="${R[p99_us]}" 'BEGIN {printf "%.2f", v / 1000}')"
	add lost "$row" $((ans > st ? ans - st : 0))
	add err "$row" $((R[non2xx] + R[err_connect] + R[err_read] + R[err_write] + R[err_timeout]))
	[ "$cfg" != CGI ] && [ "$hwm" -gt 0 ] && add rss "$row" "$hwm"
	[ "$cfg" != CGI ] && [ "$st" -gt 0 ] &&
		add cpu "$row" "$(awk -v t=$((b1 - b0)) -v k="$CLK" -v n="$st" 'BEGIN {printf "%.0f", t / k * 1e6 / n}')"
	say "$tag: stored $st ($(awk -v s="$st" -v d="$dur" 'BEGIN {printf "%.0f", s / d}')/s), 2xx $ans, p50 ${R[p50_us]}us p99 ${R[p99_us]}us"
}

INGRESS_CFGS=${PERF_INGRESS:-"R2 H2 R4 H4 WH CGI"}
ingress() {
	local rep body c cfg
	for rep in $(seq "$REPS"); do
		for body in $BODIES; do
			for c in $CONNS; do
				# Interleaved: the disk's fsync cost drifts over
				# minutes, so rows compared are measured together.
				for cfg in $INGRESS_CFGS; do
					start_config "$cfg"
					load_run "ingress|$cfg|$body|$c" "$cfg" "$body" "$c" "$cfg.$body.c$c.r$rep"
				done
			done
		done
	done
}

# hookdir.fcgi F2 with and without a rate_limit, in pairs run one after
# the other, which goes first alternating (the disk's fsync cost and the
# machine's other load drift: rows compared are measured together).
RATE_CFGS="H2 L2"
ratelimit_section() {
	local rep c cfg order
	for rep in $(seq "$REPS"); do
		for c in $CONNS; do
			order=$RATE_CFGS
			[ $((rep % 2)) = 0 ] && order="L2 H2"
			for cfg in $order; do
				start_config "$cfg"
				load_run "ratelimit|$cfg|1k|$c" "$cfg" 1k "$c" "rate.$cfg.1k.c$c.r$rep"
			done
		done
	done
}

# The responder as CGI: one process per request, so its peak RSS comes
# from getrusage of a single 64 KiB request.
cgi_rss() {
	local body=$RUN/body-64k.json rep
	for rep in $(seq "$REPS"); do
		fresh_prefix
		env -i PATH=/usr/bin:/bin REQUEST_METHOD=POST SCRIPT_NAME=/cgi PATH_INFO=/bench \
			REQUEST_URI=/cgi/bench REMOTE_ADDR=127.0.0.1 CONTENT_TYPE=application/json \
			CONTENT_LENGTH="$(wc -c <"$body")" HTTP_X_GITHUB_EVENT=push \
			HTTP_X_GITHUB_DELIVERY=cgi-rss-$rep \
			HTTP_X_HUB_SIGNATURE_256="sha256=$(cat "$body.sig")" HOOKDIR_CONF="$P/hookdir.conf" \
			"$BIN/perf-tool" rusage "$P/ru.txt" "$BIN/hookdir.fcgi" <"$body" >"$P/cgi.out" 2>&1
		grep -q '^Status: 202' "$P/cgi.out" || say "CGI request: $(head -1 "$P/cgi.out")"
		add rss "rss|cgi" "$(sed 's/.*maxrss_kb=\([0-9]*\).*/\1/' "$P/ru.txt")"
	done
}

# ---------------------------------------------------------------- worker
PIPE_TRUE='{ "on": { "source": "bench" }, "jobs": { "j": { "steps": [ { "run": "true" } ] } } }'
PIPE_NONE='{ "on": { "source": "none" }, "jobs": { "j": { "steps": [ { "run": "true" } ] } } }'

worker_once() {	# row jobs
	local row=$1 j=$2 out done_n rate
	fresh_prefix "$PIPE_TRUE"
	out=$("$BIN/perf-tool" fill "$P/spool" "$WORKER_EVENTS" bench 1024) || die "fill: $out"
	sync
	quiet_gate "worker -j $j"
	"$BIN/perf-tool" rusage "$P/ru.txt" "$BIN/hookdir" -c "$P/hookdir.conf" worker $WORKER_ROOT --once -j "$j" \
		>"$P/worker.log" 2>&1 || say "worker --once -j $j: exit $? ($(tail -1 "$P/worker.log"))"
	done_n=$(count_files "$P/spool/done")
	[ "$done_n" = "$WORKER_EVENTS" ] || say "worker --once -j $j: $done_n of $WORKER_EVENTS in done/"
	rate=$(awk -v n="$done_n" -v r="$(cat "$P/ru.txt")" 'BEGIN {
		sub(/^wall_s=/, "", r); sub(/ .*/, "", r); printf "%.1f", n / r}')
	add rate "$row" "$rate"
	add rss "$row" "$(sed 's/.*maxrss_kb=\([0-9]*\).*/\1/' "$P/ru.txt")"
	say "worker --once -j $j: $done_n events, $rate/s"
}

forkexec() {	# row workers prog...
	local row=$1 w=$2 out
	shift 2
	quiet_gate "forkexec $w $*"
	out=$("$BIN/forkexec-bench" "$w" "$MICRO_S" fork "$@")
	add rate "$row" "$(echo "$out" | sed 's/.*execs_per_s=\([0-9]*\).*/\1/')"
}

# --watch: nginx + hookdir.fcgi F2, a worker watching new/, requests 100 ms
# apart; latency = the step's start (date in the step) - the 202's arrival.
watch_latency() {
	local row=$1 i wpid lat
	fresh_prefix
	cat >"$P/pipelines/bench.json" <<-EOF
	{ "on": { "source": "bench" }, "jobs": { "j": { "steps": [
		{ "run": "echo \"\$HOOKDIR_EVENT_ID \$(date +%s.%N)\" >>$P/starts" } ] } } }
	EOF
	start_spawned 2 "$P/hookdir.sock" "$BIN/hookdir.fcgi" -c "$P/hookdir.conf"
	start_nginx
	"$BIN/perf-tool" rusage "$P/ru.txt" "$BIN/hookdir" -c "$P/hookdir.conf" worker $WORKER_ROOT --watch -j 1 \
		</dev/null >"$P/worker.log" 2>&1 &
	wpid=$!
	track "$wpid"
	sleep 0.5	# the worker is watching
	quiet_gate "watch latency"
	"$BIN/perf-tool" post 127.0.0.1 "$PORT" /hooks/bench "$RUN/body-1k.json" \
		"$(cat "$RUN/body-1k.json.sig")" "$LAT_EVENTS" 100 "$P/posts" 2>>"$P/post.log" ||
		say "watch latency: some requests failed: $(tail -1 "$P/post.log")"
	for i in $(seq 100); do
		[ "$(wc -l <"$P/starts" 2>/dev/null || echo 0)" -ge "$(wc -l <"$P/posts")" ] && break
		sleep 0.1
	done
	# The worker's own peak RSS (not its steps'), before it exits.
	for i in $(children "$wpid"); do
		add rss "rss|watch" "$(hwm_kb "$i")"
	done
	stop_all
	lat=$(awk 'NR == FNR {t[$1] = $2; next} ($1 in t) {printf "%.3f\n", ($2 - t[$1]) * 1000}' \
		"$P/posts" "$P/starts" 2>/dev/null | sort -n)
	[ -n "$lat" ] || { say "watch latency: no step started"; return; }
	add p50 "$row" "$(echo "$lat" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')"
	add p99 "$row" "$(echo "$lat" | tail -1)"
	say "watch latency: $(echo "$lat" | wc -l) events, p50 $(echo "$lat" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}') ms"
}

worker_section() {
	local rep
	for rep in $(seq "$REPS"); do
		forkexec "worker|fe1" 1 /bin/true
		worker_once "worker|j1" 1
		forkexec "worker|fe2" 2 /bin/true
		worker_once "worker|j2" 2
		forkexec "worker|fesh" 1 /bin/sh -c true
		watch_latency "worker|watch"
	done
}

# ---------------------------------------------------------------- perevent
# A fresh prefix with the one-step pipeline, its history created by one
# event already (so that no run counts the database's creation), and n
# events queued.
perevent_prefix() {	# n
	local out
	fresh_prefix "$PIPE_TRUE"
	out=$("$BIN/perf-tool" fill "$P/spool" 1 bench 1024) || die "fill: $out"
	"$BIN/hookdir" -c "$P/hookdir.conf" worker $WORKER_ROOT --once >"$P/warm.log" 2>&1 ||
		die "perevent: the first event failed: $(tail -1 "$P/warm.log")"
	out=$("$BIN/perf-tool" fill "$P/spool" "$1" bench 1024) || die "fill: $out"
	sync
}
# Inodes under the spool and the state directory.
inodes() { find "$P/spool" "$P/state" -printf . 2>/dev/null | wc -c; }

# One timed run: the drain rate, the worker's own CPU per event, and the
# inodes left per event.
perevent_once() {	# row
	local row=$1 n=$PEREVENT_EVENTS before after done_n ru
	perevent_prefix "$n"
	before=$(inodes)
	quiet_gate "perevent"
	"$BIN/perf-tool" rusage "$P/ru.txt" "$BIN/hookdir" -c "$P/hookdir.conf" worker $WORKER_ROOT \
		--once -j 1 >"$P/worker.log" 2>&1 || say "perevent: worker exit $? ($(tail -1 "$P/worker.log"))"
	done_n=$(count_files "$P/spool/done")
	[ "$done_n" -gt "$n" ] || say "perevent: $((done_n - 1)) of $n in done/"
	done_n=$((done_n - 1))
	after=$(inodes)
	ru=$(cat "$P/ru.txt")
	add rate "$row" "$(awk -v n="$done_n" -v r="$ru" 'BEGIN {
		sub(/^wall_s=/, "", r); sub(/ .*/, "", r); printf "%.1f", n / r}')"
	add cpu "$row" "$(awk -v n="$done_n" -v r="$ru" 'BEGIN {
		sub(/.*self_cpu_s=/, "", r); sub(/ .*/, "", r); printf "%.1f", r / n * 1e6}')"
	add cpu_user "$row" "$(awk -v n="$done_n" -v r="$ru" 'BEGIN {
		sub(/.*self_user_s=/, "", r); sub(/ .*/, "", r); printf "%.1f", r / n * 1e6}')"
	add cpu_sys "$row" "$(awk -v n="$done_n" -v r="$ru" 'BEGIN {
		sub(/.*self_sys_s=/, "", r); sub(/ .*/, "", r); printf "%.1f", r / n * 1e6}')"
	add left "$row" "$(awk -v a="$before" -v b="$after" -v n="$done_n" 'BEGIN {printf "%.2f", (b - a) / n}')"
	add rss "$row" "$(sed 's/.*maxrss_kb=\([0-9]*\).*/\1/' "$P/ru.txt")"
	say "perevent: $done_n events, $ru"
}

# Under strace: the inodes the worker creates (successful mkdir, open
# with O_CREAT, link, symlink; an open of an existing file with O_CREAT
# counts too: an upper bound; the database's files, opened once per
# process, do not) and, in a second run, its system calls.
perevent_strace() {	# row
	local row=$1 n=$STRACE_EVENTS
	perevent_prefix "$n"
	strace -qq -o "$P/files.trace" -e trace=mkdir,mkdirat,open,openat,creat,link,linkat,symlink,symlinkat,rename,renameat,renameat2 \
		"$BIN/hookdir" -c "$P/hookdir.conf" worker $WORKER_ROOT --once -j 1 >"$P/worker.log" 2>&1 ||
		say "perevent strace: worker exit $?"
	add created "$row" "$(awk -v n="$n" '
		/= -1 / || / = -1$/ { next }
		# once per worker process, not per event
		/\/hookdir\.db(-wal|-shm|-journal)?"/ { next }
		/^(mkdir|mkdirat|link|linkat|symlink|symlinkat)\(/ { c++ }
		/^(open|openat|creat)\(/ && (/O_CREAT/ || /^creat/) { c++ }
		END { printf "%.2f", c / n }' "$P/files.trace")"
	add renamed "$row" "$(awk -v n="$n" '/^rename/ && !/= -1/ { r++ } END { printf "%.2f", r / n }' "$P/files.trace")"
	perevent_prefix "$n"
	strace -qq -c -o "$P/calls.trace" \
		"$BIN/hookdir" -c "$P/hookdir.conf" worker $WORKER_ROOT --once -j 1 >"$P/worker.log" 2>&1 ||
		say "perevent strace -c: worker exit $?"
	add pwrite "$row" "$(awk -v n="$n" '$NF ~ /^pwrite/ { c += $4 } END { printf "%.1f", c / n }' "$P/calls.trace")"
	add fsync "$row" "$(awk -v n="$n" '$NF ~ /^(fsync|fdatasync)$/ { c += $4 } END { printf "%.2f", c / n }' "$P/calls.trace")"
	add fcntl "$row" "$(awk -v n="$n" '$NF ~ /^fcntl/ { c += $4 } END { printf "%.1f", c / n }' "$P/calls.trace")"
	add syscalls "$row" "$(awk -v n="$n" '$NF == "total" { printf "%.0f", $4 / n }' "$P/calls.trace")"
}

# Under callgrind (when valgrind is there): the worker's instructions
# per event, exact where times are not: (300 events - 100) / 200, so
# that start-up and exit do not count.
perevent_instructions() {	# row
	local row=$1 n t=()
	command -v valgrind >/dev/null 2>&1 || return 0
	for n in 100 300; do
		perevent_prefix "$n"
		valgrind --tool=callgrind --callgrind-out-file="$P/cg.out" \
			"$BIN/hookdir" -c "$P/hookdir.conf" worker $WORKER_ROOT --once -j 1 \
			>"$P/worker.log" 2>&1 || { say "perevent callgrind: worker exit $?"; return 0; }
		t+=("$(sed -n 's/^summary: *//p' "$P/cg.out")")
	done
	add instr "$row" "$(awk -v a="${t[0]}" -v b="${t[1]}" 'BEGIN {printf "%.0f", (b - a) / 200 / 1000}')"
}

perevent_section() {
	local rep
	for rep in $(seq "$REPS"); do
		# Side by side: the yardstick, then the worker.
		forkexec "perevent|fesh" 1 /bin/sh -c true
		perevent_once "perevent|j1"
	done
	perevent_strace "perevent|strace"
	perevent_instructions "perevent|cg"
}

# ---------------------------------------------------------------- drain
# worker --once -j 2 on a queue of q files, for at most PERF_DRAIN_SECONDS.  The
# rate counts from the first event (its claim in cur/, or its file in done/:
# --once is silent from cron) to the end, so that it
# compares queues of any size; the time to that first event (start-up and
# listing new/) is recorded apart.  Polled every 10 ms with shell builtins
# only (no fork that would compete with the worker).
drain_one() {	# row q pipeline
	local row=$1 q=$2 out wpid t0 tf= t1 ts deadline n w
	fresh_prefix "$3"
	out=$("$BIN/perf-tool" fill "$P/spool" "$q" bench 1024) || die "fill: $out"
	add rate "drain|fill|$q" "$(echo "$out" | sed 's/.*files_per_s=\([0-9]*\).*/\1/')"
	sync
	quiet_gate "drain $q"
	t0=$EPOCHREALTIME
	deadline=$(( ${t0%.*} + DRAIN_S ))${t0#*.}
	"$BIN/perf-tool" rusage "$P/ru.txt" "$BIN/hookdir" -c "$P/hookdir.conf" worker $WORKER_ROOT --once -j 2 \
		</dev/null >"$P/worker.log" 2>&1 &
	wpid=$!
	track "$wpid"
	while [ ! -s "$P/ru.txt" ] && [ "${EPOCHREALTIME/./}" -lt "${deadline/./}" ]; do
		# Both are empty until then: the globs stay cheap.
		[ -z "$tf" ] && { compgen -G "$P/spool/cur/*" ||
			compgen -G "$P/spool/done/*"; } >/dev/null && tf=$EPOCHREALTIME
		read -r -t 0.01 -u "$NAPFD"
	done
	t1=$EPOCHREALTIME
	# Frozen while done/ is counted: only the worker moves files there.
	w=$(children "$wpid")
	[ -n "$w" ] && kill -STOP $w 2>/dev/null
	n=$(count_files "$P/spool/done")
	if [ -n "$w" ]; then
		# How long it takes to honour SIGTERM (capped at 5 s).
		kill -CONT $w 2>/dev/null
		ts=$EPOCHREALTIME
		deadline=$(( ${ts%.*} + 5 ))${ts#*.}
		kill -TERM "$wpid" 2>/dev/null
		while [ ! -s "$P/ru.txt" ] && [ "${EPOCHREALTIME/./}" -lt "${deadline/./}" ]; do
			read -r -t 0.01 -u "$NAPFD"
		done
		add p99 "$row" "$(awk -v a="$ts" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", (b - a) * 1000}')"
		[ -s "$P/ru.txt" ] || kill -KILL $w 2>/dev/null
	fi
	stop_all
	[ -n "$tf" ] || { say "drain $q: no event processed"; return; }
	add rate "$row" "$(awk -v n="$n" -v a="$tf" -v b="$t1" 'BEGIN {printf "%.1f", (n - 1) / (b - a)}')"
	add p50 "$row" "$(awk -v a="$t0" -v b="$tf" 'BEGIN {printf "%.1f", (b - a) * 1000}')"
	add rss "$row" "$(sed 's/.*maxrss_kb=\([0-9]*\).*/\1/' "$P/ru.txt")"
	say "drain $q ($row): $n done in $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s"
}

# wrk -t2 -c16, 1 KiB bodies, PERF_SECONDS at the running nginx, then
# stop_all.  The row's goodput counts what reached the spool by HTTP
# (all of new/ cur/ done/ failed/ minus the q queued before), not what
# is still in new/.  Sets the caller's n (files in done/ when wrk ended)
# and dur (wrk's seconds), and INGEST_SAID.
INGEST_SAID=
ingest_wrk() {	# row q what
	local row=$1 q=$2 raw=$RUN/wrk.ingest.$NPFX.txt d st ans
	wrk -t2 -c16 -d"${S}s" --timeout 10s -s "$BENCH/post.lua" "http://127.0.0.1:$PORT/hooks/bench" \
		-- "$RUN/body-1k.json" "$(cat "$RUN/body-1k.json.sig")" >"$raw" 2>&1
	n=$(count_files "$P/spool/done")
	stop_all
	parse_result "$raw" || { say "$3: wrk gave no result"; return 1; }
	dur=$(awk -v d="${R[duration_us]}" 'BEGIN {printf "%.6f", d / 1e6}')
	st=0
	for d in new cur done failed; do st=$((st + $(count_files "$P/spool/$d"))); done
	st=$((st - q))
	ans=$(awk '$1 ~ /^2/ {n++} END {print n + 0}' "$P/access.log")
	add rate "$row" "$(awk -v s="$st" -v d="$dur" 'BEGIN {printf "%.1f", s / d}')"
	add p50 "$row" "$(awk -v v="${R[p50_us]}" 'BEGIN {printf "%.2f", v / 1000}')"
	add p99 "$row" "$(awk -v v="${R[p99_us]}" 'BEGIN {printf "%.2f", v / 1000}')"
	add lost "$row" $((ans > st ? ans - st : 0))
	add err "$row" $((R[non2xx] + R[err_connect] + R[err_read] + R[err_write] + R[err_timeout]))
	INGEST_SAID="stored $st by HTTP, 2xx $ans"
}

# Ingest through nginx + hookdir.fcgi F2 while worker --watch -j 2 drains
# a queue: goodput counts what reached the spool by HTTP (all of new/ cur/
# done/ failed/ minus the queue), not what is still in new/.
ingest_draining() {
	local row=$1 q=$INGEST_QUEUE out wpid n dur
	fresh_prefix "$PIPE_TRUE"
	out=$("$BIN/perf-tool" fill "$P/spool" "$q" bench 1024) || die "fill: $out"
	sync
	start_spawned 2 "$P/hookdir.sock" "$BIN/hookdir.fcgi" -c "$P/hookdir.conf"
	start_nginx
	quiet_gate "ingest while draining"
	"$BIN/perf-tool" rusage "$P/ru.txt" "$BIN/hookdir" -c "$P/hookdir.conf" worker $WORKER_ROOT --watch -j 2 \
		</dev/null >"$P/worker.log" 2>&1 &
	wpid=$!
	track "$wpid"
	ingest_wrk "$row" "$q" "ingest while draining" || return
	add rate "drain|during-ingest" "$(awk -v n="$n" -v d="$dur" 'BEGIN {printf "%.1f", n / d}')"
	say "ingest while draining: $INGEST_SAID, worker moved $n to done/"
}

drain_section() {
	local rep q
	for rep in $(seq "$REPS"); do
		for q in $DRAIN_QUEUES; do
			drain_one "drain|true|$q" "$q" "$PIPE_TRUE"
			drain_one "drain|none|$q" "$q" "$PIPE_NONE"
		done
		ingest_draining "drain|ingest"
	done
}

# rss alone: short runs of its own.
rss_section() {
	local rep cfg
	for rep in $(seq "$REPS"); do
		for cfg in R2 H2; do
			start_config "$cfg"
			load_run "ingress|$cfg|64k|16" "$cfg" 64k 16 "rss.$cfg.r$rep"
		done
		want worker || worker_once "worker|j1" 1
	done
}

# ---------------------------------------------------------------- hosts
. "$top_srcdir/t/perf/hosts.sh"

# ---------------------------------------------------------------- report
mib() {	# KiB values -> "max MiB"
	local m
	m=$(maxv rss "$1")
	[ -n "$m" ] || { echo -; return; }
	awk -v k="$m" 'BEGIN {printf "%.1f", k / 1024}'
}
# The largest peak RSS of the rows matching any of the glob patterns.
rss_line() {	# label pattern...
	local label=$1 row pat m=0 v
	shift
	for row in "${ROWS[@]}"; do
		for pat; do
			# shellcheck disable=SC2053
			[[ $row == $pat ]] || continue
			v=$(maxv rss "$row")
			[ -n "$v" ] && [ "$v" -gt "$m" ] && m=$v
		done
	done
	[ "$m" -gt 0 ] || return 0
	printf '| %s | - | - | - | - | - | - | - | - | %s |\n' "$label" "$(awk -v k="$m" 'BEGIN {printf "%.1f", k / 1024}')"
}

row_line() {	# label body conns row rate-decimals
	local row=$4 l e
	l=$(sum lost "$row"); e=$(sum err "$row")
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" \
		"$(fmt rate "$row" "$5")" "$(fmt p50 "$row" 2)" "$(fmt p99 "$row" 2)" \
		"${l:--}" "${e:--}" "$(fmt cpu "$row" 0)" "$(mib "$row")"
}

report() {
	local body c cfg q row instr
	echo
	echo "## hookdir perf: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo
	echo "Median of $REPS repetitions (min–max); wrk -t2, ${S} s runs. rate: events stored per second (ingress:"
	echo "files in spool/new/ or bodies appended, divided by wrk's duration), events drained per second, or"
	echo "execs per second. 2xx-not-stored and errors (non-2xx + socket errors) are sums over the repetitions."
	echo "CPU: the backend's CPU time per stored event (webhook's includes its commands). RSS: peak VmHWM per"
	echo "process (max over repetitions)."
	echo
	echo "| what | body | conns | rate/s | p50 ms | p99 ms | 2xx not stored | errors | CPU µs/event | peak RSS MiB |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	if want ingress; then
		for body in $BODIES; do
			for c in $CONNS; do
				for cfg in $INGRESS_CFGS; do
					row="ingress|$cfg|$body|$c"
					[ -n "${ROWSEEN[$row]:-}" ] && row_line "${CFG_NAME[$cfg]}" "$body" "$c" "$row" 0
				done
			done
		done
	elif want rss; then
		for cfg in R2 H2; do row_line "${CFG_NAME[$cfg]}" 64k 16 "ingress|$cfg|64k|16" 0; done
	fi
	if want ratelimit; then
		for c in $CONNS; do
			for cfg in $RATE_CFGS; do
				row_line "${CFG_NAME[$cfg]}" 1k "$c" "ratelimit|$cfg|1k|$c" 0
			done
		done
	fi
	if want worker; then
		row_line "fork+exec /bin/true, 1 process (forkexec-bench)" - - "worker|fe1" 0
		row_line "hookdir worker --once -j 1, step \`true\` ($WORKER_EVENTS queued)" 1k - "worker|j1" 0
		row_line "fork+exec /bin/true, 2 processes" - - "worker|fe2" 0
		row_line "hookdir worker --once -j 2, step \`true\`" 1k - "worker|j2" 0
		row_line "fork+exec /bin/sh -c true, 1 process" - - "worker|fesh" 0
		printf '| %s | 1k | 1 | - | %s | %s | - | - | - | %s |\n' \
			"--watch -j 1: 202 → step start, ms (p99 column: max; $LAT_EVENTS requests 100 ms apart)" \
			"$(fmt p50 "worker|watch" 2)" "$(fmt p99 "worker|watch" 2)" "$(mib "rss|watch")"
	elif want rss; then
		row_line "hookdir worker --once -j 1, step \`true\` ($WORKER_EVENTS queued)" 1k - "worker|j1" 0
	fi
	if want rss; then
		rss_line "peak RSS: hookdir.fcgi under spawn-fcgi, per process, all runs" 'ingress|H*'
		rss_line "peak RSS: ref-fcgi under spawn-fcgi, per process, all runs" 'ingress|R*'
		rss_line "peak RSS: hookdir.fcgi as CGI, one 64 KiB request (getrusage)" 'rss|cgi'
		rss_line "peak RSS: hookdir worker, all --once, --watch and drain runs" 'worker|*' 'rss|watch' 'drain|*'
		rss_line "peak RSS: webhook, all runs" 'ingress|WH*'
	fi
	if want drain; then
		for q in $DRAIN_QUEUES; do
			row_line "fill new/ with $q files (perf-tool, no fsync, not via HTTP)" 1k - "drain|fill|$q" 0
			row_line "drain $q queued: worker --once -j 2, step \`true\` (p50 column: ms to the first event; p99 column: ms from SIGTERM to exit, capped at 5000, when still running)" 1k - "drain|true|$q" 0
			row_line "drain $q queued: worker --once -j 2, no pipeline matches (same columns)" 1k - "drain|none|$q" 0
		done
		row_line "ingest, hookdir.fcgi F2, while worker --watch -j 2 drains $INGEST_QUEUE" 1k 16 "drain|ingest" 0
		row_line "… the worker's drain rate meanwhile" 1k - "drain|during-ingest" 0
	fi
	if want perevent; then
		row_line "perevent: fork+exec /bin/sh -c true, 1 process (forkexec-bench)" - - "perevent|fesh" 0
		row_line "perevent: worker --once -j 1, step \`true\` ($PEREVENT_EVENTS queued; CPU: the worker's own)" 1k - "perevent|j1" 0
		echo
		printf 'perevent, per event (strace of worker --once -j 1 over %s events): inodes created %s (and renamed %s),\n' \
			"$STRACE_EVENTS" "$(fmt created "perevent|strace" 2)" "$(fmt renamed "perevent|strace" 2)"
		printf 'inodes left after the run %s; pwrite %s, fsync+fdatasync %s, fcntl %s, system calls %s.\n' \
			"$(fmt left "perevent|j1" 2)" "$(fmt pwrite "perevent|strace" 1)" "$(fmt fsync "perevent|strace" 2)" \
			"$(fmt fcntl "perevent|strace" 1)" "$(fmt syscalls "perevent|strace" 0)"
		instr=$(med instr "perevent|cg")
		printf "The worker's own CPU per event: user %s µs, system %s µs (medians)%s.\n" \
			"$(fmt cpu_user "perevent|j1" 1)" "$(fmt cpu_sys "perevent|j1" 1)" \
			"${instr:+; its instructions (callgrind, (300 - 100 events) / 200): $instr k}"
		echo "Inodes counted: what the worker creates (its run's directories and files, kept or removed"
		echo "later); the spool file, written before by the responder (here perf-tool fill), is one more."
	fi
	want hosts && hosts_rows
	if want ingress && [ -n "$(maxv settle "ingress|WH|${BODIES%% *}|${CONNS%% *}")" ]; then
		echo
		printf 'webhook answers before its command has run: after each run it needed this long (s, median) to finish\n'
		printf 'what it had queued; its rate counts every body appended by then, over the wrk duration only:'
		for body in $BODIES; do
			for c in $CONNS; do
				printf ' %s c%s %s;' "$body" "$c" "$(med settle "ingress|WH|$body|$c")"
			done
		done
		echo
	fi
	[ "$BUSY_RUNS" -gt 0 ] &&
		printf '\n%d measurement(s) started while the machine was more than 10%% busy with other work.\n' "$BUSY_RUNS"
	targets
}

# One target line, left out when the run did not measure it.
tline() {	# text measured value op limit
	[ "$3" = - ] || [ -z "$3" ] && return 0
	printf '| %s | %s | %s |\n' "$1" "$2" "$(verdict "$3" "$4" "$5")"
}

verdict() {	# value op limit -> "ok" | "MISS"
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v == "-" || v == "") { print "n/a"; exit }
		ok = (op == ">=") ? v + 0 >= l + 0 : v + 0 <= l + 0
		print ok ? "ok" : "MISS"
	}'
}

targets() {
	local body c n h r w v lost_all=0 l rs rh
	echo
	echo "## against the targets (medians from the table)"
	echo
	echo "| target | measured | verdict |"
	echo "| --- | --- | --- |"
	if want ingress; then
		for body in $BODIES; do
			for c in $CONNS; do
				for n in 2 4; do
					h=$(med rate "ingress|H$n|$body|$c"); r=$(med rate "ingress|R$n|$body|$c")
					v=$(ratio "$h" "$r")
					tline "goodput hookdir F$n / ref-fcgi F$n ≥ 0.9, $body c$c" "$v (${h%.*} / ${r%.*})" "$v" '>=' 0.9
				done
			done
		done
		for body in $BODIES; do
			for c in $CONNS; do
				for n in 2 4; do
					h=$(med p99 "ingress|H$n|$body|$c"); r=$(med p99 "ingress|R$n|$body|$c")
					v=$(ratio "$h" "$r")
					tline "p99 hookdir F$n / ref-fcgi F$n ≤ 1.5, $body c$c" "$v ($h / $r ms)" "$v" '<=' 1.5
				done
			done
		done
		for body in $BODIES; do
			for c in $CONNS; do
				w=$(med rate "ingress|WH|$body|$c")
				for n in 2 4; do
					h=$(med rate "ingress|H$n|$body|$c")
					v=$(ratio "$h" "$w")
					tline "goodput hookdir F$n / webhook ≥ 4, $body c$c" "$v (${h%.*} / ${w%.*})" "$v" '>=' 4
				done
			done
		done
		for body in $BODIES; do
			for c in $CONNS; do
				for n in 2 4; do
					h=$(med cpu "ingress|H$n|$body|$c"); r=$(med cpu "ingress|R$n|$body|$c")
					v=$(ratio "$h" "$r")
					tline "CPU per event hookdir F$n / ref-fcgi F$n ≤ 2 (BASELINE.md's guidance), $body c$c" \
						"$v ($h / $r µs)" "$v" '<=' 2
				done
			done
		done
		for row in "${ROWS[@]}"; do
			case $row in ingress\|H*|ingress\|CGI*) l=$(sum lost "$row"); lost_all=$((lost_all + ${l:-0})) ;; esac
		done
		l=0
		for row in "${ROWS[@]}"; do
			case $row in ingress\|WH*) w=$(sum lost "$row"); l=$((l + ${w:-0})) ;; esac
		done
		printf '| hookdir answered 2xx but not stored = 0 (all hookdir rows) | %s (webhook: %s) | %s |\n' \
			"$lost_all" "$l" "$([ "$lost_all" = 0 ] && echo ok || echo MISS)"
	fi
	if want ratelimit; then
		for c in $CONNS; do
			h=$(med rate "ratelimit|L2|1k|$c"); r=$(med rate "ratelimit|H2|1k|$c")
			v=$(pair_ratio rate "ratelimit|L2|1k|$c" "ratelimit|H2|1k|$c")
			tline "goodput with a rate_limit (never hit) / without ≥ 0.95 (median of the runs' pairs), F2 1k c$c" \
				"$v (medians ${h%.*} / ${r%.*})" "$v" '>=' 0.95
			v=$(pair_ratio cpu "ratelimit|L2|1k|$c" "ratelimit|H2|1k|$c")
			printf '| CPU per event with a rate_limit / without (median of the pairs; informational), F2 1k c%s | %s | - |\n' "$c" "$v"
		done
	fi
	if want worker; then
		h=$(med rate "worker|j1"); r=$(med rate "worker|fe1"); v=$(ratio "$h" "$r")
		tline "worker --once -j 1 / fork+exec 1 process ≥ 0.5" "$v (${h%.*} / ${r%.*})" "$v" '>=' 0.5
		h=$(med rate "worker|j2"); r=$(med rate "worker|fe2"); v=$(ratio "$h" "$r")
		tline "worker --once -j 2 / fork+exec 2 processes ≥ 0.5" "$v (${h%.*} / ${r%.*})" "$v" '>=' 0.5
	fi
	if want rss || want ingress; then
		rh=0; rs=0
		for row in "${ROWS[@]}"; do
			case $row in
			ingress\|H*) v=$(maxv rss "$row"); [ -n "$v" ] && [ "$v" -gt "$rh" ] && rh=$v ;;
			ingress\|R*) v=$(maxv rss "$row"); [ -n "$v" ] && [ "$v" -gt "$rs" ] && rs=$v ;;
			esac
		done
		v=$(ratio "$rh" "$rs")
		tline "hookdir.fcgi peak RSS / ref-fcgi ≤ 2 (per process, max over runs)" \
			"$v ($(awk -v k="$rh" 'BEGIN {printf "%.1f", k / 1024}') / $(awk -v k="$rs" 'BEGIN {printf "%.1f", k / 1024}') MiB)" \
			"$v" '<=' 2
	fi
	if want perevent; then
		v=$(med created "perevent|strace")
		tline "inodes the worker creates per event ≤ 2 (≤ 3 with the spool file), one-step pipeline" \
			"${v:--} (+1 the spool file; left after the run: $(med left "perevent|j1"))" "$v" '<=' 2
		v=$(med cpu "perevent|j1")
		tline "worker's own CPU per event ≤ 150 µs (children excluded), one-step pipeline" "$v µs" "$v" '<=' 150
		h=$(med rate "perevent|j1"); r=$(med rate "perevent|fesh"); v=$(pair_ratio rate "perevent|j1" "perevent|fesh")
		tline "drain rate worker --once -j 1 / fork+exec sh -c true ≥ 0.8 (median of the runs' pairs)" \
			"$v (medians ${h%.*} / ${r%.*})" "$v" '>=' 0.8
	fi
	if want drain; then
		# Queues as given: the last two compare equally long windows
		# (the queue's size), the first two a short drain with a
		# window of several thousand events (the history's growth).
		set -- $DRAIN_QUEUES
		if [ $# -ge 3 ]; then
			v=$(ratio "$(med rate "drain|none|$3")" "$(med rate "drain|none|$2")")
			tline "no-match drain rate, $3 / $2 queued ≥ 0.9 (new/ is not rescanned per file)" "$v" "$v" '>=' 0.9
		fi
		if [ $# -ge 2 ]; then
			v=$(ratio "$(med rate "drain|none|$2")" "$(med rate "drain|none|$1")")
			tline "no-match drain rate, $2 / $1 queued ≥ 0.9 (per-event cost does not grow with the history)" "$v" "$v" '>=' 0.9
		fi
		h=$(med rate "ingress|H2|1k|16")
		if [ -n "$h" ]; then
			v=$(ratio "$(med rate "drain|ingest")" "$h")
			printf '| ingest while draining / ingest alone (F2, 1k, c16; informational) | %s (%s / %s) | - |\n' \
				"$v" "$(med rate "drain|ingest" | cut -d. -f1)" "${h%.*}"
		fi
	fi
	want hosts && hosts_verdicts
}

header() {
	local dev
	dev=$(df --output=source "$RUN" | tail -1)
	echo "# hookdir perf (t/perf/run.sh)"
	echo
	echo "- machine: $(uname -sr), $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "- temp dir file system: $(findmnt -n -o FSTYPE -T "$RUN") on ${dev##*/}, journal: $(compgen -G "/proc/fs/jbd2/${dev##*/}-*" >/dev/null && echo yes || echo no), options: $(findmnt -n -o OPTIONS -T "$RUN")"
	echo "- hookdir build: $top_builddir, $(sed -n 's/^CFLAGS = //p' "$top_builddir/Makefile" 2>/dev/null)"
	echo "- versions: $(nginx -v 2>&1 | sed 's/.*: //'), webhook $(webhook -version 2>/dev/null | awk '{print $3}'), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), $(spawn-fcgi -v 2>&1 | head -1 | awk '{print $1, $2}'), fcgiwrap $(dpkg-query -W -f='${Version}' fcgiwrap 2>/dev/null), libfcgi $(dpkg-query -W -f='${Version}' libfcgi-dev 2>/dev/null), $(openssl version | awk '{print $1, $2}')"
	echo "- open files limit: $(ulimit -n); yardsticks from $BENCH"
	echo "- params: PERF_SECONDS=$S PERF_DRAIN_SECONDS=$DRAIN_S PERF_REPS=$REPS PERF_CONNS='$CONNS' PERF_BODIES='$BODIES' PERF_ONLY=${PERF_ONLY:-all}"
	echo "- preflight (create+write+rename, no fsync, 1 KiB, 1 s): $PREFLIGHT"
}

# File creation must not be slowed by recently freed inodes.
PREFLIGHT=
preflight() {
	local i rate
	sync
	for i in 1 2 3 4; do
		PREFLIGHT=$("$BIN/fsync-bench" "$RUN/preflight.$i" 1 1 1024 nofsync)
		rate=$(echo "$PREFLIGHT" | sed 's/.*files_per_s=\([0-9]*\).*/\1/')
		[ "$rate" -ge 20000 ] && return 0
		say "file creation only $rate/s (< 20000): waiting 15 s for recently freed inodes to age"
		sleep 15
	done
}

# ---------------------------------------------------------------- main
T0=$(date +%s)
say "building the yardsticks in $RUN"
build
make_body 1024 "$RUN/body-1k.json"
make_body 65536 "$RUN/body-64k.json"
for b in $BODIES; do
	[ -f "$RUN/body-$b.json" ] || make_body "$(( ${b%k} * 1024 ))" "$RUN/body-$b.json"
done
preflight
want ingress && { say "ingress"; ingress; }
want ratelimit && { say "ratelimit"; ratelimit_section; }
want rss && ! want ingress && { say "rss"; rss_section; }
want rss && cgi_rss
want worker && { say "worker"; worker_section; }
want drain && { say "drain"; drain_section; }
want perevent && { say "perevent"; perevent_section; }
want hosts && { say "hosts"; hosts_section; }
retire
say "done in $(( $(date +%s) - T0 )) s"
header
report
if want history; then
	say "history"
	bash "$top_srcdir/t/perf/history.sh"
fi
