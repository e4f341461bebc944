#!/bin/bash
test_description='every crontab line the docs give works as cron runs it

cron runs a line with sh, PATH=/usr/bin:/bin, HOME and the variables the
crontab sets, and nothing else; it mails whatever the command prints.
Each line of share/cron/hookdir.cron, README.md and hookdir(1) runs here
the same way (env -i ... sh -c LINE) against a queued event: it must
process it and print nothing; a failing run must be printed (mailed).'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_require_prog sqlite3

if ! test_have_prereq ROOT || ! getent passwd daemon >/dev/null; then
	skip_all='needs root and the user daemon (cron runs as root here: the worker becomes the state'"'"'s owner)'
	test_done
fi

event_base=1763880

# The crontab lines of a file: "VAR=value" lines and job lines; with
# USERCOL (a cron.d file), the job lines' user column is dropped.
crontab_lines () {
	local usercol=$2
	sed -n -e '/^[A-Z_][A-Z_]*=[^ ]*$/p' \
	    -e '/^[0-9*][0-9*,/-]* [0-9*][0-9*,/-]* [0-9*][0-9*,/-]* [0-9*][0-9*,/-]* [0-9*][0-9*,/-]*  *[^ ]/p' "$1" |
	sed -e 's/  *#.*$//' |
	if [ -n "$usercol" ]; then
		sed -e 's/^\(\([^ ]*  *\)\{5\}\)[^ =]*  */\1/'
	else
		cat
	fi
}

# as_cron LINE: run a crontab's job line (or apply a VAR= line) as cron
# would, with the paths of an installed hookdir mapped to this test's;
# what it prints, stdout and stderr through one pipe as cron reads them
# (the mail), goes to stdout.
cron_env=
as_cron () {
	local line=$1 cmd
	case $line in
	[A-Z_]*=*)
		cron_env="$cron_env $(printf '%s' "$line" |
		    sed -e "s|^HOOKDIR_CONF=.*|HOOKDIR_CONF=$TRASH/hookdir.conf|")"
		return 0 ;;
	esac
	cmd=$(printf '%s\n' "$line" | sed -e 's/^\([^ ]*  *\)\{5\}//' \
	    -e "s|\\\$HOME/.local/bin/hookdir |$TRASH/bin/hookdir |g" \
	    -e "s|^/[^ ]*/bin/hookdir |$TRASH/bin/hookdir |g" \
	    -e "s|-c [^ ]*hookdir.conf|-c $TRASH/hookdir.conf|g" \
	    -e "s|>>[^ ]*worker.log|>>$TRASH/log/worker.log|g") &&
	# shellcheck disable=SC2086
	env -i HOME="$TRASH/home" LOGNAME=root PATH=/usr/bin:/bin \
		SHELL=/bin/sh $cron_env sh -c "$cmd" </dev/null 2>&1 | cat
	return "${PIPESTATUS[0]}"
}

test_expect_success 'setup: a state the user daemon owns, a pipeline' '
	setup_worker &&
	mkdir bin home log state &&
	cp "$HOOKDIR" bin/hookdir &&
	chmod 755 bin bin/hookdir home &&
	cat >pipelines/ok.json <<-\EOF &&
	{ "on": { "source": "test", "events": ["ok"] },
	  "jobs": { "a": { "steps": [ { "run": "echo fine" } ] } } }
	EOF
	cat >pipelines/bad.json <<-\EOF &&
	{ "on": { "source": "test", "events": ["bad"] },
	  "jobs": { "a": { "steps": [ { "run": "echo broken; exit 3" } ] } } }
	EOF
	chmod 644 hookdir.conf pipelines/*.json &&
	chown -R daemon: state spool log &&
	check_config &&
	crontab_lines "$top_builddir/share/cron/hookdir.cron" user >cron.d &&
	sed -n "/^\`\`\`/,/^\`\`\`/p" "$top_srcdir/README.md" >readme-blocks &&
	crontab_lines readme-blocks >readme &&
	crontab_lines "$top_builddir/share/man/hookdir.1" >man &&
	test_line_count = 3 cron.d &&
	test_line_count = 2 readme &&
	test_line_count = 3 man
'

# Every job line, in turn: a queued event is processed, nothing printed.
for doc in cron.d readme man
do
	test_expect_success "$doc: each line runs as cron runs it, silent when all is well" '
		cron_env= &&
		while IFS= read -r line
		do
			queue_event ok &&
			chown daemon: spool/new/$event &&
			as_cron "$line" >mail ||
				{ echo "$line"; cat mail; return 1; }
			case $line in
			*"worker --once"*)
				test_line_count = 0 mail &&
				event_status_is $event done &&
				run_status_is $event success || return 1 ;;
			*" gc"*)
				test_line_count = 0 mail || return 1 ;;
			esac
		done <$doc
	'
done

test_expect_success 'a failed run is what the worker prints: cron mails it' '
	cron_env= &&
	line=$(grep "worker --once" cron.d) &&
	while IFS= read -r v
	do
		as_cron "$v" || return 1
	done <<-EOF &&
	$(grep "^[A-Z_]*=" cron.d)
	EOF
	queue_event bad &&
	chown daemon: spool/new/$event &&
	as_cron "$line" >mail &&
	test_grep "^hookdir: run [0-9]* bad: failure" mail
'

test_expect_success 'appended to a log file instead, each line has its time' '
	queue_event bad &&
	chown daemon: spool/new/$event &&
	as_cron "* * * * * /usr/local/bin/hookdir -c /etc/hookdir/hookdir.conf worker --once >>/var/log/hookdir/worker.log 2>&1" &&
	test_grep "^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]*[-+][0-9]\{4\} hookdir: run [0-9]* bad: failure" log/worker.log
'

test_done
