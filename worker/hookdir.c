/*
 * The hookdir command: global options, the subcommand table, and what
 * the subcommands share (the configuration, tables, JSON output).
 */
#include "autoconf.h"

#include <sys/ioctl.h>
#include <sys/stat.h>

#include <ctype.h>
#include <grp.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "config.h"
#include "history.h"
#include "hookdir.h"
#include "jconf.h"
#include "log.h"
#include "paths.h"
#include "spool.h"
#include "status.h"
#include "util.h"
#include "xmalloc.h"

struct command {
	const char	*name;
	int		(*fn)(struct cli *, int, char **);
	const char	*what;
	enum cli_root	 root;		/* what it does when run as root */
};

static const struct command commands[] = {
	/* It writes files for whoever runs it; as root, see cmd_init.c. */
	{ "init",	cmd_init,
	    "start: a configuration, a secret, a pipeline, the next steps",
	    CLI_ROOT_KEEP },
	{ "worker",	cmd_worker,
	    "claim spool files and run the pipelines they trigger",
	    CLI_ROOT_REFUSE },
	{ "check",	cmd_check,
	    "validate the configuration and every pipeline", CLI_ROOT_KEEP },
	{ "test",	cmd_test,
	    "dry-run a pipeline's triggers against a request", CLI_ROOT_KEEP },
	{ "ls",		cmd_ls,		"list the spool's files", CLI_ROOT_DROP },
	{ "show",	cmd_show,
	    "show an event: headers, body, triggers, runs", CLI_ROOT_DROP },
	{ "why",	cmd_why,
	    "why an event ran its pipelines or did not", CLI_ROOT_DROP },
	{ "requeue",	cmd_requeue,
	    "put events from failed/ or done/ back into new/", CLI_ROOT_DROP },
	{ "inject",	cmd_inject,
	    "enqueue a file as if it had been received", CLI_ROOT_DROP },
	{ "sign",	cmd_sign,
	    "print a signed curl request as a source's sender would send",
	    CLI_ROOT_KEEP },
	{ "runs",	cmd_runs,	"list runs", CLI_ROOT_DROP },
	{ "log",	cmd_log,
	    "print the logs of a run, a job or a step", CLI_ROOT_DROP },
	{ "status",	cmd_status,
	    "queue depth, running runs, recent failures", CLI_ROOT_DROP },
	{ "gc",		cmd_gc,
	    "remove old spool files, logs and history", CLI_ROOT_DROP },
	{ "emit",	cmd_emit,
	    "from a step: spool a custom event for other pipelines",
	    CLI_ROOT_DROP },
	{ "output",	cmd_output,
	    "from a step: set a job output, safely for any value",
	    CLI_ROOT_DROP },
	{ "run",	cmd_run,
	    "start a pipeline by hand, with its inputs", CLI_ROOT_DROP },
	{ "cancel",	cmd_cancel,	"cancel a running run", CLI_ROOT_DROP },
	{ "respond",	cmd_respond,
	    "from a step: answer the request that is waiting", CLI_ROOT_DROP },
	{ "report",	cmd_report,
	    "write the status pages: runs, job graphs, logs, queue",
	    CLI_ROOT_DROP },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: hookdir [-v] [-c file] command [args]\n"
	    "       hookdir help command\n"
	    "       hookdir --version\n\n"
	    "options:\n"
	    "  -c, --config FILE   the configuration (default: $HOOKDIR_CONF, else\n"
	    "                      %s)\n"
	    "  -v, --verbose       say more; twice for debugging output\n"
	    "  -h, --help          this text\n"
	    "  -V, --version       the version\n\n"
	    "commands:\n", SYSCONFDIR "/hookdir/hookdir.conf");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\n'hookdir help COMMAND' shows a command's options; "
	    "see hookdir(1).\n");
}

static const struct command *
command_find(const char *name)
{
	size_t	i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/*
 * hookdir's files belong to one unprivileged user: the owner of the
 * state directory (or the configuration's worker.user). A command run
 * as root that wrote there would leave files that user cannot write
 * (logs, the history's -wal and -shm), and a worker would run the steps
 * as root. So as root a command that touches the state or the spool
 * becomes that user first; a worker that cannot tell whom to become
 * refuses to start unless told --allow-root. 0, or an exit status with
 * the error printed.
 */
static int
cli_drop_root(struct cli *cli, const char *cmd)
{
	const struct passwd	*pw = NULL;
	const struct config	*cf = cli->cf;
	struct stat		 st;
	const char		*why, *e;
	uid_t			 uid;
	gid_t			 gid;

	if (geteuid() != 0 || cli->root == CLI_ROOT_KEEP)
		return 0;
	if (cf->worker_user != NULL) {
		if ((pw = getpwnam(cf->worker_user)) == NULL) {
			fprintf(stderr, "hookdir %s: worker.user: no user "
			    "named `%s`\n", cmd, cf->worker_user);
			return EX_NOUSER;
		}
		why = "worker.user";
	} else if (stat(cf->state, &st) == 0 && st.st_uid != 0) {
		pw = getpwuid(st.st_uid);
		why = "the owner of the state directory";
		uid = st.st_uid;
		gid = st.st_gid;
	} else if (cli->root == CLI_ROOT_REFUSE && !cli->allow_root &&
	    ((e = getenv("HOOKDIR_ALLOW_ROOT")) == NULL ||
	    strcmp(e, "1") != 0)) {
		fprintf(stderr, "hookdir %s: refusing to run as root: the "
		    "state directory %s is %s; run it as the user who owns "
		    "the state, set worker.user in %s, or pass --allow-root\n",
		    cmd, cf->state, access(cf->state, F_OK) == 0 ?
		    "root's" : "not there yet", cf->path);
		return EX_NOPERM;
	} else
		return 0;
	if (pw != NULL) {
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (uid == 0)
		return 0;
	if ((pw != NULL ? initgroups(pw->pw_name, gid) :
	    setgroups(0, NULL)) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1 || setuid(0) != -1) {
		fprintf(stderr, "hookdir %s: becoming uid %lu (%s): %s\n", cmd,
		    (unsigned long)uid, why, strerror(errno));
		return EX_NOPERM;
	}
	/* Steps get HOME; `hookdir` run from one gets the same user. */
	if (pw != NULL) {
		setenv("HOME", pw->pw_dir, 1);
		setenv("USER", pw->pw_name, 1);
		setenv("LOGNAME", pw->pw_name, 1);
	}
	log_info("running as %s (uid %lu), %s", pw != NULL ? pw->pw_name :
	    "-", (unsigned long)uid, why);
	return 0;
}

struct config *
cli_config(struct cli *cli)
{
	struct diag	 d;
	const char	*path;
	char		*abs;
	int		 r;

	if (cli->cf != NULL)
		return cli->cf;
	path = config_default_path(cli->conf_path);
	diag_init(&d);
	/* Only sign signs: the others never hold a source's secret. */
	cli->cf = config_load_secrets(path, &d, cli->cmd != NULL &&
	    strcmp(cli->cmd, "sign") == 0 ?
	    CONFIG_SECRETS_ALL : CONFIG_SECRETS_NONE);
	if (cli->cf == NULL || cli->verbose > 0)
		diag_print(&d);
	diag_release(&d);
	if (cli->cf == NULL)
		exit(EX_CONFIG);
	spool_set_host(cli->cf->host);
	if ((r = cli_drop_root(cli, cli->cmd)) != 0)
		exit(r);
	/*
	 * Steps inherit it through the worker's environment, so that a
	 * `hookdir` run from a step reads the same configuration; absolute,
	 * as steps run elsewhere.
	 */
	if ((abs = realpath(path, NULL)) == NULL &&
	    (abs = path_absolute(path)) == NULL)
		abs = xstrdup(path);
	if (setenv("HOOKDIR_CONF", abs, 1) == -1)
		log_warn("setenv HOOKDIR_CONF");
	free(abs);
	return cli->cf;
}

int
cli_isatty(void)
{
	static int	tty = -1;

	if (tty == -1)
		tty = isatty(STDOUT_FILENO);
	return tty;
}

int
cli_usage_exit(const char *text, int help)
{
	fputs(text, help ? stdout : stderr);
	return help ? 0 : EX_USAGE;
}

int
cli_read_body(const char *cmd, struct cli *cli, const struct source *src,
    const char *file, struct buf *body)
{
	struct config	*cf = cli_config(cli);
	long long	 max;

	max = src->max_body > 0 ? src->max_body : cf->max_body;
	if ((strcmp(file, "-") == 0 ?
	    read_fd(STDIN_FILENO, body, (size_t)max) :
	    read_file(file, body, (size_t)max)) == 0)
		return 0;
	if (errno == EFBIG) {
		fprintf(stderr, "hookdir %s: %s is larger than max_body "
		    "(%lld bytes)\n", cmd, file, max);
		return EX_DATAERR;
	}
	fprintf(stderr, "hookdir %s: %s: %s\n", cmd, file, strerror(errno));
	return EX_NOINPUT;
}

int
cli_looks_like_json(const struct buf *b)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	size_t			 i = 0, end;
	int			 r;

	while (i < b->len && isspace((unsigned char)b->data[i]))
		i++;
	if (i == b->len || (b->data[i] != '{' && b->data[i] != '['))
		return 0;
	if ((tok = json_tokener_new()) == NULL)
		return 0;
	o = json_tokener_parse_ex(tok, b->data, (int)b->len);
	r = o != NULL && json_tokener_get_error(tok) == json_tokener_success;
	for (end = json_tokener_get_parse_end(tok); r && end < b->len; end++)
		if (!isspace((unsigned char)b->data[end]))
			r = 0;
	json_object_put(o);
	json_tokener_free(tok);
	return r;
}

int
cli_colour(void)
{
	static int	 colour = -1;
	const char	*nc;

	if (colour == -1)
		colour = cli_isatty() && ((nc = getenv("NO_COLOR")) == NULL ||
		    *nc == '\0');
	return colour;
}

const char *
cli_paint(const char *status)
{
	static char	 ring[4][64];
	static int	 next;
	const char	*sgr;
	char		*b;

	if (status == NULL || !cli_colour() ||
	    (sgr = status_term_colour(status_from_name(status))) == NULL)
		return status;
	b = ring[next++ % 4];
	snprintf(b, sizeof(ring[0]), "\033[%sm%s\033[0m", sgr, status);
	return b;
}

struct history *
cli_history(struct cli *cli, int *missing)
{
	struct config	*cf = cli_config(cli);
	struct history	*h;
	struct stat	 st;
	char		*path, *err = NULL;

	*missing = 0;
	/* SQLite's file: none yet is no history yet, not an error. */
	if (cf->database == NULL || !database_is_postgresql(cf->database)) {
		xasprintf(&path, "%s/hookdir.db", cf->database != NULL ?
		    cf->database : cf->state);
		if (stat(path, &st) == -1 && errno == ENOENT) {
			free(path);
			*missing = 1;
			return NULL;
		}
		free(path);
	}
	if ((h = history_open_uri(cf->database, cf->state, 0, &err)) == NULL) {
		log_warnx("history: %s", err);
		free(err);
	} else
		history_set_host(h, cf->host);
	return h;
}

int
cli_spool(struct cli *cli, struct spool *sp, int create)
{
	struct config	*cf = cli_config(cli);

	if (spool_open(sp, cf->spool, create) == -1) {
		log_warn("spool %s", cf->spool);
		return -1;
	}
	return 0;
}

int
cli_spool_history(struct cli *cli, struct spool *sp, struct history **h)
{
	int	missing;

	if (cli_spool(cli, sp, 0) == -1)
		return EX_NOINPUT;
	if ((*h = cli_history(cli, &missing)) == NULL && !missing) {
		spool_close(sp);
		return EX_SOFTWARE;
	}
	return EX_OK;
}

#define CLI_JSON_FLAGS \
	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
	JSON_C_TO_STRING_NOSLASHESCAPE)

void
cli_print_json(struct json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o, CLI_JSON_FLAGS));
}

/*
 * json-c prints an array's element on a new line, indented two spaces
 * more than the array: every line of the element's own text.
 */
void
cli_json_item(size_t *n, struct json_object *o)
{
	const char	*s;

	fputs((*n)++ > 0 ? ",\n  " : "[\n  ", stdout);
	for (s = json_object_to_json_string_ext(o, CLI_JSON_FLAGS); *s != '\0';
	    s++) {
		putchar(*s);
		if (*s == '\n')
			fputs("  ", stdout);
	}
}

void
cli_json_end(size_t n)
{
	fputs(n > 0 ? "\n]\n" : "[\n]\n", stdout);
}

const char *
cli_jstr(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

long long
cli_jint(struct json_object *o, const char *key, long long dflt)
{
	struct json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return dflt;
	return json_object_get_int64(v);
}

const char *
cli_jtext(struct json_object *o, const char *key)
{
	const char	*s = cli_jstr(o, key);

	return s != NULL ? s : "";
}

int
cli_parse_time(const char *s, long long *sec)
{
	struct tm	tm;
	int		n = 0;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n == 0)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*sec = (long long)timegm(&tm);
	return 0;
}

void
cli_format_age(char *buf, size_t len, long long s)
{
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, len, "%llds", s);
	else if (s < 120 * 60)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 48 * 3600)
		snprintf(buf, len, "%lldh", s / 3600);
	else
		snprintf(buf, len, "%lldd", s / 86400);
}

/* ---------------------------------------------------------------- text */

/* The length a UTF-8 sequence starting with byte c has, or 0. */
static size_t
utf8_need(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/*
 * Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not one
 * (*cut: it is the start of one that n bytes cut short).
 */
static size_t
utf8_len(const unsigned char *p, size_t n, int *cut)
{
	size_t	len, i;

	*cut = 0;
	if ((len = utf8_need(p[0])) == 0)
		return 0;
	for (i = 1; i < len && i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (len > n) {
		*cut = 1;
		return 0;
	}
	/* Overlong forms and surrogates. */
	if (p[0] == 0xe0 && p[1] < 0xa0)
		return 0;
	if (p[0] == 0xed && p[1] >= 0xa0)
		return 0;
	if (p[0] == 0xf0 && p[1] < 0x90)
		return 0;
	if (p[0] == 0xf4 && p[1] >= 0x90)
		return 0;
	return len;
}

size_t
cli_escape_some(struct buf *out, const void *data, size_t n, int final)
{
	const unsigned char	*p = data;
	size_t			 i = 0, k, len;
	int			 cut = 0;

	while (i < n) {
		if (p[i] == '\n' || p[i] == '\t') {
			buf_addch(out, p[i++]);
			continue;
		}
		len = p[i] < 0x20 || p[i] == 0x7f ? 0 :
		    utf8_len(p + i, n - i, &cut);
		if (len == 0 && cut && !final)
			break;
		/* C1 controls (U+0080..U+009F) are controls too. */
		if (len == 0 || (len == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			for (k = 0; k < (len > 0 ? len : 1); k++)
				buf_printf(out, "\\x%02x", p[i++]);
			continue;
		}
		buf_add(out, p + i, len);
		i += len;
	}
	return i;
}

void
cli_escape(struct buf *out, const void *data, size_t n)
{
	cli_escape_some(out, data, n, 1);
}

const char *
cli_text(const char *s)
{
	static struct buf	ring[8];
	static size_t		next;
	struct buf		*b;

	if (s == NULL || !cli_isatty())
		return s;
	b = &ring[next++ % 8];
	buf_reset(b);
	cli_escape(b, s, strlen(s));
	return buf_str(b);
}

/* A cell for TSV: one line, no tabs, "-" when empty. */
static void
table_print_tsv_cell(const char *s)
{
	if (*s == '\0') {
		putchar('-');
		return;
	}
	for (; *s != '\0'; s++)
		putchar(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
}

void
cli_table_init(struct cli_table *t, size_t ncols, const char *const *header)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->header = header;
	t->status_col = -1;
}

void
cli_table_add(struct cli_table *t, ...)
{
	va_list		 ap;
	const char	*s;
	size_t		 i;

	if (t->stream && !cli_isatty()) {
		va_start(ap, t);
		for (i = 0; i < t->ncols; i++) {
			s = va_arg(ap, const char *);
			table_print_tsv_cell(s != NULL ? s : "");
			putchar(i + 1 < t->ncols ? '\t' : '\n');
		}
		va_end(ap);
		return;
	}
	t->cells = xreallocarray(t->cells, (t->nrows + 1) * t->ncols,
	    sizeof(*t->cells));
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		s = va_arg(ap, const char *);
		t->cells[t->nrows * t->ncols + i] = xstrdup(s != NULL ? s : "");
	}
	va_end(ap);
	t->nrows++;
}

/* Columns a string takes on a terminal: one per UTF-8 character. */
static size_t
table_width(const char *s)
{
	size_t	cols;

	utf8_prefix(s, (size_t)-1, &cols);
	return cols;
}

/*
 * The width of the terminal: TIOCGWINSZ, else $COLUMNS, else 0 for
 * no limit.
 */
static size_t
table_limit(void)
{
	struct winsize	 ws;
	const char	*e;
	char		*end;
	long		 n;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if ((e = getenv("COLUMNS")) != NULL) {
		n = strtol(e, &end, 10);
		if (*e != '\0' && *end == '\0' && n > 0)
			return (size_t)n;
	}
	return 0;
}

/*
 * Shrink the widest columns until the row fits limit, keeping each at
 * least TABLE_MIN_WIDTH wide (or as wide as it is).
 */
#define TABLE_MIN_WIDTH	4
static void
table_fit(size_t *w, size_t ncols, size_t limit)
{
	size_t	c, widest, total = 0;

	for (c = 0; c < ncols; c++)
		total += w[c] + (c + 1 < ncols ? 2 : 0);
	while (limit > 0 && total > limit) {
		widest = 0;
		for (c = 1; c < ncols; c++)
			if (w[c] > w[widest])
				widest = c;
		if (w[widest] <= TABLE_MIN_WIDTH)
			break;
		w[widest]--;
		total--;
	}
}

/*
 * One cell in w columns, cut with "…" when longer (never inside a UTF-8
 * character); padded unless it is the last. A status cell is painted.
 */
static void
table_print_cell(const char *s, size_t w, int last, int painted)
{
	size_t		 n = table_width(s);
	const char	*paint_s;

	if (n > w) {
		fwrite(s, 1, utf8_prefix(s, w - 1, NULL), stdout);
		fputs("\xe2\x80\xa6", stdout);	/* … */
		n = w;
	} else if (painted && (paint_s = cli_paint(s)) != NULL)
		fputs(paint_s, stdout);
	else
		fputs(s, stdout);
	if (last)
		putchar('\n');
	else
		printf("%*s", (int)(w - n + 2), "");
}

void
cli_table_print(struct cli_table *t)
{
	size_t	*w, r, c, n;
	char	*cell;

	if (!cli_isatty()) {
		for (r = 0; r < t->nrows; r++)
			for (c = 0; c < t->ncols; c++) {
				table_print_tsv_cell(t->cells[r * t->ncols + c]);
				putchar(c + 1 < t->ncols ? '\t' : '\n');
			}
		return;
	}
	w = xcalloc(t->ncols, sizeof(*w));
	for (c = 0; c < t->ncols; c++)
		w[c] = table_width(t->header[c]);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			cell = t->cells[r * t->ncols + c];
			/* Tables are for people: one line per row. */
			cell[strcspn(cell, "\r\n")] = '\0';
			cell = xstrdup(cli_text(cell));
			free(t->cells[r * t->ncols + c]);
			t->cells[r * t->ncols + c] = cell;
			if ((n = table_width(cell)) > w[c])
				w[c] = n;
		}
	table_fit(w, t->ncols, table_limit());
	for (c = 0; c < t->ncols; c++)
		table_print_cell(t->header[c], w[c], c + 1 == t->ncols, 0);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			table_print_cell(t->cells[r * t->ncols + c], w[c],
			    c + 1 == t->ncols, (int)c == t->status_col);
	free(w);
}

void
cli_table_release(struct cli_table *t)
{
	size_t	i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 }
	};
	static char		 help_opt[] = "--help";
	const struct command	*cmd;
	struct cli		 cli;
	char			*help_argv[3];
	int			 ch, r;

	log_init("hookdir", 0);
	memset(&cli, 0, sizeof(cli));
	/* "+": options after the command's name are the command's own. */
	while ((ch = getopt_long(argc, argv, "+c:vhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli.conf_path = optarg;
			break;
		case 'v':
			cli.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("hookdir %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	log_setverbose(cli.verbose);
	if (argc == 0) {
		usage(stderr);
		return EX_USAGE;
	}

	if (strcmp(argv[0], "help") == 0) {
		if (argc == 1) {
			usage(stdout);
			return 0;
		}
		if ((cmd = command_find(argv[1])) == NULL) {
			fprintf(stderr, "hookdir: no command `%s`\n", argv[1]);
			usage(stderr);
			return EX_USAGE;
		}
		help_argv[0] = argv[1];
		help_argv[1] = help_opt;
		help_argv[2] = NULL;
		argc = 2;
		argv = help_argv;
	} else if ((cmd = command_find(argv[0])) == NULL) {
		fprintf(stderr, "hookdir: no command `%s`\n", argv[0]);
		usage(stderr);
		return EX_USAGE;
	}

	cli.cmd = cmd->name;
	cli.root = cmd->root;
	/* Each command parses its own options from its argv[1]. */
	optind = 0;
	r = cmd->fn(&cli, argc, argv);
	if (cli.cf != NULL)
		config_free(cli.cf);
	return r;
}
