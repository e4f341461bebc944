#!/bin/sh
# make demo: one signed GitHub push through a real nginx into the spool,
# then through the worker, on the embedded defaults. Needs what
# ./bootstrap installed; cleans up after itself.
set -eu

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
FCGI=$top_builddir/cgi/hookdir.fcgi
HOOKDIR=$top_builddir/worker/hookdir
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
SPAWN_FCGI=${SPAWN_FCGI:-$(command -v spawn-fcgi || echo /usr/bin/spawn-fcgi)}

for p in "$FCGI" "$HOOKDIR"; do
	[ -x "$p" ] || { echo "demo: $p is not built (run make)" >&2; exit 1; }
done
for p in "$NGINX" "$SPAWN_FCGI"; do
	[ -x "$p" ] || { echo "demo: $p is missing (run ./bootstrap as root)" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "demo: curl is missing" >&2; exit 1; }
command -v openssl >/dev/null || { echo "demo: openssl is missing" >&2; exit 1; }

dir=$(mktemp -d /tmp/hookdir-demo.XXXXXX)
chmod 755 "$dir"
cleanup() {
	[ -f "$dir/nginx.pid" ] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null
	[ -f "$dir/fcgi.pid" ] && kill $(cat "$dir/fcgi.pid") 2>/dev/null
	sleep 0.2
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi

# The embedded defaults: one GitHub source, one pipeline.
cp "$FCGI" "$dir/hookdir.fcgi"
mkdir -p "$dir/secrets" "$dir/pipelines" "$dir/nginx"
printf 'demo-secret\n' >"$dir/secrets/site"
chmod 600 "$dir/secrets/site"
cat >"$dir/hookdir.conf" <<CONF
{
  // hookdir demo: everything relative to this file
  "sources": {
    "site": { "provider": "github", "secret_file": "secrets/site" }
  }
}
CONF
cat >"$dir/pipelines/deploy.json" <<'PIPE'
{
  "on": { "source": "site", "events": ["push"], "branches": ["main"] },
  "env": { "REF": "${{ payload.ref }}", "SHA": "${{ payload.after }}",
           "WHO": "${{ payload.pusher.name }}" },
  "jobs": {
    "build": { "steps": [
      { "name": "announce", "run": "echo \"building $REF at $SHA, pushed by $WHO\"" },
      { "name": "size", "run": "echo \"payload: $(wc -c < \"$HOOKDIR_BODY\") bytes\"" } ] },
    "deploy": { "needs": ["build"], "steps": [
      { "run": "echo \"deploying $HOOKDIR_PIPELINE run $HOOKDIR_RUN_ID\"" } ] }
  }
}
PIPE

user_opt=
if [ "$(id -u)" = 0 ]; then
	# As a web server would: the responder runs unprivileged, and its
	# socket belongs to nginx's user and group (nobody here), 0660; the
	# worker, started as root, becomes the owner of the state directory.
	user_opt="-u nobody -g nogroup -U nobody -G nogroup"
	mkdir -p "$dir/spool" "$dir/state"
	chown -R nobody:nogroup "$dir/secrets" "$dir/spool" "$dir/state"
fi

# The configuration is given where the responder starts, not by nginx.
# shellcheck disable=SC2086
"$SPAWN_FCGI" -s "$dir/fcgi.sock" -M 0660 -P "$dir/fcgi.pid" $user_opt \
    -- "$dir/hookdir.fcgi" -c "$dir/hookdir.conf" >/dev/null

# The recipe's own location block (conf/nginx.conf), with this demo's
# socket.
location=$(awk '
	/^location \/hooks\/ \{/ { on = 1 }
	on { print; depth += gsub(/\{/, "{"); depth -= gsub(/\}/, "}")
	     if (depth == 0) exit }
' "$top_srcdir/conf/nginx.conf" |
    sed -e "s|unix:/run/hookdir/fcgi.sock|unix:$dir/fcgi.sock|")

port=$(( 20000 + $$ % 20000 ))
start_nginx() {
	cat >"$dir/nginx/nginx.conf" <<NGX
$( [ "$(id -u)" = 0 ] && echo "user nobody nogroup;" )
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $dir/nginx/body;
    fastcgi_temp_path $dir/nginx/fastcgi;
    proxy_temp_path $dir/nginx/proxy;
    scgi_temp_path $dir/nginx/scgi;
    uwsgi_temp_path $dir/nginx/uwsgi;
    server {
        listen 127.0.0.1:$port;
$location
    }
}
NGX
	# nginx reads inherited sockets from $NGINX: not the program's path.
	env -u NGINX "$NGINX" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" \
	    -e "$dir/nginx/error.log" 2>/dev/null
}
tries=0
until start_nginx; do
	tries=$((tries + 1))
	[ $tries -lt 20 ] || { echo "demo: nginx would not start" >&2; exit 1; }
	port=$(( 20000 + (port + 7919) % 40000 ))
done

body=$top_srcdir/share/demo/push.json
sig=$(openssl dgst -sha256 -hmac demo-secret <"$body" | sed 's/^.*= //')
say "POST /hooks/site (a signed GitHub push) through nginx on 127.0.0.1:$port"
curl -sS -i "http://127.0.0.1:$port/hooks/site" \
    -H 'Content-Type: application/json' \
    -H 'X-GitHub-Event: push' \
    -H 'X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958' \
    -H "X-Hub-Signature-256: sha256=$sig" \
    --data-binary @"$body" | tr -d '\r'

say "the same push with a wrong signature"
curl -sS -o /dev/null -w 'HTTP %{http_code}\n' "http://127.0.0.1:$port/hooks/site" \
    -H 'X-GitHub-Event: push' -H "X-Hub-Signature-256: sha256=$(echo "$sig" | tr 0-9a-f 1-9a-f0)" \
    --data-binary @"$body"

say "the spool: spool/new/ holds the request, byte for byte"
[ -n "$(ls "$dir/spool/new" 2>/dev/null)" ] ||
    { echo "demo: nothing was spooled" >&2; exit 1; }
ls -l "$dir/spool/new"
f=$(ls "$dir"/spool/new/* | head -n 1)
sed -n '1,/^$/p' "$f"
echo "... $(sed '1,/^$/d' "$f" | wc -c) bytes of body"

export HOOKDIR_CONF="$dir/hookdir.conf"
say "hookdir -v worker --once"
"$HOOKDIR" -v worker --once

say "hookdir runs"
"$HOOKDIR" runs

run=$("$HOOKDIR" runs --json | sed -n 's/.*"id": *\([0-9][0-9]*\).*/\1/p' | head -n 1)
say "hookdir log $run"
"$HOOKDIR" log "$run"

say "hookdir status"
"$HOOKDIR" status
