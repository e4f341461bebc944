#!/bin/bash
test_description='a step starts with every signal at its default

The worker ignores SIGPIPE, takes SIGCHLD, SIGTERM, SIGINT and SIGHUP
from a signalfd (blocked), and may itself have been started with
signals ignored (nohup, a shell'\''s trap ""). None of that may reach a
step: its shell starts with no signal ignored and none blocked. (The
shell reads its own status with builtins: while it forks, dash blocks
every signal for a moment.) (Signals
32 and 33 are the C library'\''s own, which it lets no program set: a
worker started with them ignored passes that on, as any program would.)'

. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-worker.sh"

test_expect_success 'setup' '
	setup_worker &&
	cat >pipelines/sig.json <<-EOF &&
	{ "on": { "source": "test", "events": [ "sig" ] },
	  "jobs": { "j": { "steps": [
	    { "run": "while read -r k v; do case \$k in SigBlk:|SigIgn:) printf \"%s\\\\t%s\\\\n\" \$k \$v;; esac; done </proc/\$\$/status >\"$TRASH/sig.out\"" } ] } } }
	EOF
	check_config
'

# sig_default: sig.out says no signal 1-31 ignored, none blocked.
sig_default () {
	cat sig.out &&
	test "$(sed -n "s/^SigBlk:\t//p" sig.out)" = 0000000000000000 &&
	ign=$(sed -n "s/^SigIgn:\t//p" sig.out) &&
	test -n "$ign" &&
	test $((0x$ign & 0x7fffffff)) = 0
}

test_expect_success 'a worker started with signals ignored: its step ignores none' '
	queue_event sig &&
	(trap "" HUP USR1 USR2 PIPE ALRM TERM; exec hookdir worker --once) &&
	sig_default
'

test_expect_success 'and a worker started with none ignored: neither' '
	rm sig.out &&
	queue_event sig &&
	hookdir worker --once &&
	sig_default
'

test_done
