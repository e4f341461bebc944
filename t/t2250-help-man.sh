#!/bin/bash
test_description='hookdir help and hookdir(1) agree

The commands `hookdir help` lists are those hookdir(1) describes, and for
each command the long options its --help text names are those the man
page documents in its entry (Fl Fl NAME), --help itself aside; the global
options likewise.'

. "$(dirname "$0")/test-lib.sh"

MAN=$top_builddir/share/man/hookdir.1

# man_options: "COMMAND OPTION" for every Fl Fl OPTION in an entry of
# COMMANDS, and "hookdir OPTION" for the global ones (the .It Fl lines of
# DESCRIPTION).
man_options () {
	awk '
	/^\.Sh DESCRIPTION/ { sect = "d"; cmd = "hookdir"; next }
	/^\.Sh COMMANDS/ { sect = "c"; cmd = ""; depth = 0; next }
	/^\.Sh / { sect = "" }
	sect == "" { next }
	sect == "d" && !/^\.It Fl/ { next }
	sect == "c" && /^\.Bl/ { depth++ }
	sect == "c" && /^\.El/ { depth-- }
	sect == "c" && depth == 1 && /^\.It Cm / { cmd = $3 }
	cmd != "" {
		line = $0
		while (match(line, /Fl Fl [a-z][a-z0-9-]*/)) {
			print cmd, substr(line, RSTART + 6, RLENGTH - 6)
			line = substr(line, RSTART + RLENGTH)
		}
	}' "$MAN" | grep -v " help\$" | sort -u
}

# help_options CMD: "CMD OPTION" for every --OPTION in `hookdir help CMD`.
help_options () {
	hookdir help "$1" >"help.$1" &&
	grep -o -e "--[a-z][a-z0-9-]*" "help.$1" | sed -e "s/^--/$1 /" |
	{ grep -v " help\$" || :; }
}

test_expect_success 'the same commands in hookdir help and the man page' '
	hookdir help >help.all &&
	sed -n -e "/^commands:/,/^\$/s/^  \([a-z][a-z]*\) .*/\1/p" help.all |
		sort >commands.help &&
	test_line_count -ge 15 commands.help &&
	sed -n -e "/^\.Sh COMMANDS/,/^\.Sh /s/^\.It Cm \([a-z][a-z]*\).*/\1/p" \
		"$MAN" | sort >commands.man &&
	test_cmp commands.help commands.man
'

test_expect_success 'every command: the same long options in --help and the man page' '
	for c in $(cat commands.help)
	do
		help_options $c || return 1
	done | sort -u >options.help &&
	man_options | grep -v "^hookdir " >options.man &&
	test_grep "^worker syslog\$" options.help &&
	test_grep "^sign event\$" options.help &&
	test_grep "^sign url\$" options.help &&
	test_grep "^check quiet\$" options.man &&
	test_cmp options.help options.man
'

test_expect_success 'the global options agree too' '
	hookdir --help >help.global &&
	sed -n -e "1,/^commands:/p" help.global |
		grep -o -e "--[a-z][a-z0-9-]*" | sed -e "s/^--/hookdir /" |
		grep -v " help\$" | sort -u >global.help &&
	test_grep "^hookdir config\$" global.help &&
	man_options | grep "^hookdir " >global.man &&
	test_cmp global.help global.man
'

test_expect_success 'the comparison sees a missing option' '
	sed -e "s/Fl Fl syslog/Fl Fl sys/" "$MAN" >broken.1 &&
	MAN=broken.1 &&
	man_options >options.broken &&
	test_must_fail test_cmp options.help options.broken >/dev/null
'

test_done
