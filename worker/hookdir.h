/*
 * The hookdir command: shared state of one invocation and the
 * subcommands (see hookdir(1)).
 */
#ifndef HOOKDIR_HOOKDIR_H
#define HOOKDIR_HOOKDIR_H

#include <stddef.h>
#include <sysexits.h>

struct config;

/* What a command does when run as root (see cli_config()). */
enum cli_root {
	CLI_ROOT_DROP,		/* become the state's owner, if not root */
	CLI_ROOT_REFUSE,	/* the same, or refuse without --allow-root */
	CLI_ROOT_KEEP		/* stay root: it writes nothing of hookdir's */
};

struct cli {
	const char	*conf_path;	/* -c FILE, or NULL */
	struct config	*cf;		/* loaded by cli_config() */
	int		 verbose;
	const char	*cmd;		/* the command's name */
	enum cli_root	 root;
	int		 allow_root;	/* worker --allow-root */
};

/*
 * The configuration, loaded on first use. On errors they are printed
 * (file:line: key: message) and the program exits with EX_CONFIG.
 * Run as root, a command that is not CLI_ROOT_KEEP then becomes the
 * owner of the state directory (or worker.user) before it touches
 * anything; a worker that cannot tell whom to become exits EX_NOPERM
 * unless cli->allow_root.
 */
struct config	*cli_config(struct cli *);
/* Is standard output a terminal (tables) or not (TSV)? */
int		 cli_isatty(void);
/*
 * Colour: only for a terminal, and never when NO_COLOR is set to
 * anything but "" (no-color.org). cli_paint returns a status word
 * (run, job, step or event) in its colour, else the word itself; the
 * result lives until the fourth call after it.
 */
int		 cli_colour(void);
const char	*cli_paint(const char *status);
/*
 * Text from the payload, steps and senders is data: on a terminal it
 * must not reach the terminal as control sequences (a title change, a
 * cleared screen). cli_escape appends n bytes to out with newlines,
 * tabs and valid UTF-8 as they are and every other byte (C0 and C1
 * controls, DEL, invalid UTF-8) as \xNN. cli_escape_some does the
 * same, but unless final stops before a UTF-8 sequence that the end
 * cuts short and returns how many bytes it took (a stream's next read
 * completes it). cli_text returns s escaped when standard output is a
 * terminal, else s itself; the result lives until the eighth call
 * after it. Every command prints data through one of them.
 */
struct buf;
void		 cli_escape(struct buf *out, const void *, size_t n);
size_t		 cli_escape_some(struct buf *out, const void *, size_t n,
		    int final);
const char	*cli_text(const char *s);
/* Print a usage text: to stdout for --help (0), else stderr (EX_USAGE). */
int		 cli_usage_exit(const char *text, int help);

/*
 * Helpers the inspecting subcommands share (hookdir.c).
 *
 * cli_history: the history database of the configuration, opened without
 * creating it. NULL when there is none yet (*missing = 1: an empty
 * history, not an error) or on an error (printed; *missing = 0).
 */
struct history;
struct json_object;
struct spool;
struct history	*cli_history(struct cli *, int *missing);
/* The spool of the configuration: 0, or -1 with the error printed. */
int		 cli_spool(struct cli *, struct spool *, int create);
/*
 * Both, for commands that read the spool and the history: *h is NULL
 * when there is no history yet. 0, or the exit status with the error
 * printed and nothing left open.
 */
int		 cli_spool_history(struct cli *, struct spool *,
		    struct history **);
/*
 * What `hookdir status --json` prints: spool counts, the oldest waiting
 * event, runs running, queued and failed in the last 24 hours, the last
 * run. h may be NULL (no history yet). A new reference, or NULL on a
 * history error.
 */
struct json_object *cli_status_object(struct spool *, struct history *);
/* Print a JSON value, pretty, with a newline. */
void		 cli_print_json(struct json_object *);
/*
 * Print a JSON array one element at a time, byte for byte what
 * cli_print_json() prints for the whole array: cli_json_item() for
 * each element (n counts them; start at 0), then cli_json_end().
 */
void		 cli_json_item(size_t *n, struct json_object *);
void		 cli_json_end(size_t n);
/*
 * Members of the history's JSON objects: a string member (NULL when
 * missing or null; cli_jtext: ""), an integer member (dflt when missing
 * or null). o may be NULL.
 */
const char	*cli_jstr(struct json_object *, const char *key);
const char	*cli_jtext(struct json_object *, const char *key);
long long	 cli_jint(struct json_object *, const char *key, long long dflt);
/* RFC 3339 (as in headers and history) to unix seconds: 0, or -1. */
int		 cli_parse_time(const char *, long long *sec);
/*
 * Read a request body for source src from file ("-": standard input),
 * at most its max_body: 0, or an exit status with the error printed
 * ("hookdir CMD: ..."): EX_DATAERR when too large, EX_NOINPUT.
 */
struct buf;
struct source;
int		 cli_read_body(const char *cmd, struct cli *,
		    const struct source *src, const char *file, struct buf *);
/* Is it one JSON object or array (then application/json)? */
int		 cli_looks_like_json(const struct buf *);
/* A duration for people: "45s", "12m", "3h", "9d". */
void		 cli_format_age(char *buf, size_t len, long long seconds);

/*
 * Output rows: on a terminal an aligned table under a header line; for
 * scripts tab-separated values, no header, "-" for an empty cell.
 */
struct cli_table {
	size_t		  ncols;
	int		  status_col;	/* painted by cli_paint; -1: none */
	const char	*const *header;
	char		**cells;	/* rows * ncols, malloc'd */
	size_t		  nrows;
	int		  stream;	/* for scripts, print each row as added */
};
void	cli_table_init(struct cli_table *, size_t ncols,
	    const char *const *header);
/* Add one row: ncols strings (NULL: empty); copied. */
void	cli_table_add(struct cli_table *, ...);
/*
 * On a terminal, the table fits its width (TIOCGWINSZ, else $COLUMNS):
 * the widest columns shrink and a cut cell ends in "…".
 */
void	cli_table_print(struct cli_table *);
void	cli_table_release(struct cli_table *);

/*
 * Subcommands: argv[0] is the subcommand's name; each parses its own
 * options (getopt_long, --help) and returns a sysexits.h code.
 */
int	cmd_init(struct cli *, int, char **);
int	cmd_worker(struct cli *, int, char **);
int	cmd_check(struct cli *, int, char **);
int	cmd_test(struct cli *, int, char **);
int	cmd_ls(struct cli *, int, char **);
int	cmd_show(struct cli *, int, char **);
int	cmd_why(struct cli *, int, char **);
int	cmd_requeue(struct cli *, int, char **);
int	cmd_inject(struct cli *, int, char **);
int	cmd_runs(struct cli *, int, char **);
int	cmd_log(struct cli *, int, char **);
int	cmd_status(struct cli *, int, char **);
int	cmd_gc(struct cli *, int, char **);
int	cmd_emit(struct cli *, int, char **);
int	cmd_run(struct cli *, int, char **);
/*
 * Print the logs of run id (all of it, or one job, or one step) as
 * `hookdir log [--follow] [--raw]` does; with status, wait (follow)
 * and set *status (malloc'd) to how it ended. Returns 0 or an exit
 * code, the error printed.
 */
int	cli_log_run(struct cli *, struct history *, long long id,
	    const char *job, const char *step, int follow, int raw,
	    char **status);
int	cmd_output(struct cli *, int, char **);
int	cmd_cancel(struct cli *, int, char **);
int	cmd_respond(struct cli *, int, char **);
void	respond_note(const char *, const char *, const long long *, size_t,
	    int);
int	cmd_report(struct cli *, int, char **);
int	cmd_sign(struct cli *, int, char **);

#endif
