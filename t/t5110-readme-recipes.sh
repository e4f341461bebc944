#!/bin/bash
test_description='the README and conf/: recipes, the annotated config, make demo

The README gives each server recipe of conf/ as a block to copy: each
must be its file without comments, so that what the README shows is what
t1030 runs against the real server.  The annotated conf/hookdir.conf must
pass "hookdir check" once its secrets exist.  "make demo", the quick
start, must take a signed push through nginx and the worker.'

. "$(dirname "$0")/test-lib.sh"

README=$top_srcdir/README.md
test_prog_prereq DEMO nginx spawn-fcgi curl openssl

# strip FILE: without comment lines and blank lines.
strip () {
	grep -v -E '^[[:space:]]*(#|$)' "$1"
}

# readme_blocks LANG: every ```LANG block of the README into
# block-LANG.N, N from 1; prints how many.
readme_blocks () {
	awk -v lang="$1" '
		$0 == "```" lang { n++; out = "block-" lang "." n; printf "" >out; next }
		out != "" && $0 == "```" { close(out); out = ""; next }
		out != "" { print >out }
		END { print n + 0 }
	' "$README"
}

# in_readme LANG FILE: FILE is one of the README's LANG blocks.
in_readme () {
	local n i
	n=$(readme_blocks "$1") &&
	for i in $(seq "$n")
	do
		cmp -s "$2" "block-$1.$i" && return 0
	done
	echo "$2 is none of the README's $n \`\`\`$1 blocks; it should read:"
	cat "$2"
	return 1
}

test_expect_success 'the nginx block is conf/nginx.conf'"'"'s location block' '
	awk "/^location \\/hooks\\/ \\{/ { on = 1 }
		on { print; d += gsub(/\\{/, \"{\"); d -= gsub(/\\}/, \"}\")
		     if (d == 0) exit }" "$top_srcdir/conf/nginx.conf" >location &&
	test_grep "fastcgi_pass unix:/run/hookdir/fcgi.sock;" location &&
	strip location >want &&
	in_readme nginx want
'

test_expect_success 'the limit_req blocks are conf/nginx.conf'"'"'s commented recipe' '
	sed -n "s/^#\t\(limit_req_zone .*\)/\1/p" "$top_srcdir/conf/nginx.conf" >want &&
	test_line_count = 1 want &&
	in_readme nginx want &&
	sed -n "s/^#\t\(limit_req .*\)/\1/p; s/^#\t\(limit_req_status .*\)/\1/p" \
		"$top_srcdir/conf/nginx.conf" >want &&
	test_line_count = 2 want &&
	in_readme nginx want
'

test_expect_success 'the Apache blocks are conf/apache-fcgid.conf and conf/htaccess' '
	strip "$top_srcdir/conf/apache-fcgid.conf" >want &&
	in_readme apache want &&
	strip "$top_srcdir/conf/htaccess" >want &&
	in_readme apache want
'

test_expect_success 'the lighttpd block is conf/lighttpd.conf' '
	strip "$top_srcdir/conf/lighttpd.conf" >want &&
	in_readme lighttpd want
'

test_expect_success 'a changed recipe is caught' '
	strip "$top_srcdir/conf/lighttpd.conf" >orig &&
	sed "s/\"max-procs\"   => 2/\"max-procs\"   => 3/" orig >want &&
	! cmp -s want orig &&
	! in_readme lighttpd want >/dev/null
'

test_expect_success 'the annotated conf/hookdir.conf passes hookdir check' '
	mkdir annotated annotated/pipelines annotated/secrets &&
	cp "$top_srcdir/conf/hookdir.conf" annotated/ &&
	for s in site shop shop.next stripe mailgun ci cron
	do
		echo "secret-$s" >"annotated/secrets/$s" &&
		chmod 600 "annotated/secrets/$s" || return 1
	done &&
	SHOP_WEBHOOK_SECRET=s TWILIO_AUTH_TOKEN=t \
		hookdir -c annotated/hookdir.conf check >check.out 2>&1 ||
		{ cat check.out; false; } &&
	cat check.out &&
	! grep -i error check.out
'

test_expect_success DEMO 'make demo: a signed push through nginx, the spool and the worker' '
	top_srcdir=$top_srcdir top_builddir=$top_builddir \
		sh "$top_srcdir/share/demo.sh" >demo.out 2>&1 ||
		{ cat demo.out; false; } &&
	cat demo.out &&
	test_grep "^HTTP/1.1 202 Accepted" demo.out &&
	test_grep "^HTTP 401$" demo.out &&
	test_grep "^Hookdir-Event: push$" demo.out &&
	test_grep "run 1 deploy: success (2 jobs)" demo.out &&
	test_grep "building refs/heads/main at 59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5, pushed by octocat" demo.out &&
	test_grep "^done *1$" demo.out
'

test_done
