/*
 * The inspecting subcommands: ls, show, runs, log, status (hookdir(1)).
 * They read the spool and the history and change nothing.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
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
#include "log.h"
#include "message.h"
#include "pipeline.h"
#include "spool.h"
#include "status.h"
#include "util.h"
#include "xmalloc.h"

/* Where a spool file can be, in the order files move through them. */
static const char *const spool_dirs[] = {
	"new", "cur", "done", "failed", NULL
};

/* How much of a file `ls` reads looking for the end of the headers. */
#define HEAD_MAX	(1024 * 1024)
/* How much of an unparseable file `show` prints. */
#define SHOW_RAW_MAX	(1024 * 1024)
/* Lines of a body `show` prints on a terminal without --full. */
#define SHOW_BODY_LINES	40
/* How often `log --follow` looks again. */
#define FOLLOW_POLL_US	200000

static const struct option json_help_opts[] = {
	{ "json",	no_argument,	NULL, 'j' },
	{ "help",	no_argument,	NULL, 'h' },
	{ NULL,		0,		NULL, 0 }
};

/*
 * The options of a subcommand that takes only --json and --help: sets
 * *json; -1 to go on, or the exit status once the usage is printed.
 */
static int
json_opts(int argc, char **argv, const char *usage, int *json)
{
	int	ch;

	while ((ch = getopt_long(argc, argv, "jh", json_help_opts, NULL))
	    != -1) {
		switch (ch) {
		case 'j':
			*json = 1;
			break;
		case 'h':
			return cli_usage_exit(usage, 1);
		default:
			return cli_usage_exit(usage, 0);
		}
	}
	return -1;
}

static long long
now_seconds(void)
{
	long long	sec;
	long		usec;

	now_timeval(&sec, &usec);
	return sec;
}

/* "2026-11-22T05:00:54.123456Z" -> "2026-11-22 05:00:54" for tables. */
static void
short_time(char *buf, size_t len, const char *t)
{
	if (t == NULL || strlen(t) < 19) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%.10s %.8s", t, t + 11);
}

/* The time between two RFC 3339 times, for people; "-" if unknown. */
static void
duration(char *buf, size_t len, const char *from, const char *to)
{
	long long	a, b;

	if (cli_parse_time(from, &a) == -1) {
		snprintf(buf, len, "-");
		return;
	}
	if (to == NULL || cli_parse_time(to, &b) == -1)
		b = now_seconds();
	cli_format_age(buf, len, b - a);
}

/*
 * Read just the header block of a spool file: ls must stay quick on a
 * spool of large bodies. *body_size is what follows the blank line.
 * 0; 1 when the file is gone; -1 with *why (when the file could be
 * opened, *mtime is set and *body_size is the whole file's size).
 */
static int
head_read(const char *path, struct message *m, long long *body_size,
    long long *mtime, const char **why)
{
	struct stat	 st;
	struct buf	 b = BUF_INIT;
	char		 chunk[8192], *end;
	ssize_t		 n;
	size_t		 hlen = 0;
	int		 fd, r = -1;

	memset(m, 0, sizeof(*m));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		*why = strerror(errno);
		return errno == ENOENT ? 1 : -1;
	}
	if (fstat(fd, &st) == -1) {
		*why = strerror(errno);
		goto done;
	}
	*mtime = (long long)st.st_mtime;
	*body_size = (long long)st.st_size;
	for (;;) {
		if (b.len > 0 && b.data[0] == '\n') {
			hlen = 1;
			break;
		}
		if (b.len > 0 && (end = memmem(b.data, b.len, "\n\n", 2))
		    != NULL) {
			hlen = (size_t)(end - b.data) + 2;
			break;
		}
		if (b.len >= HEAD_MAX) {
			*why = "no end of headers in the first megabyte";
			goto done;
		}
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*why = strerror(errno);
			goto done;
		}
		if (n == 0) {
			*why = "no blank line between headers and body";
			goto done;
		}
		buf_add(&b, chunk, (size_t)n);
	}
	if (message_parse(m, b.data, hlen, why) == -1)
		goto done;
	*body_size = (long long)st.st_size - (long long)hlen;
	r = 0;
done:
	close(fd);
	buf_release(&b);
	return r;
}

static void
format_size(char *buf, size_t len, long long n)
{
	if (n < 10 * 1024)
		snprintf(buf, len, "%lld", n);
	else if (n < 10LL * 1024 * 1024)
		snprintf(buf, len, "%lldK", n / 1024);
	else
		snprintf(buf, len, "%lldM", n / (1024 * 1024));
}

static const char usage_ls[] =
    "usage: hookdir ls [--json] [new|cur|done|failed]\n"
    "\n"
    "List the spool files in a directory (default new/), oldest first:\n"
    "id, age, source, event type and body size, read from their headers.\n"
    "On a terminal a table; otherwise tab-separated id, received time,\n"
    "age in seconds, source, event, size in bytes.\n"
    "\n"
    "  --json   an array of objects {id, dir, received, age, source,\n"
    "           provider, event, delivery, size}\n";

/* One spool file's row of `ls`: JSON, a terminal's table or TSV. */
struct ls_out {
	struct cli_table	 t;
	const char		*dir;
	long long		 now;
	int			 json, tty;
	size_t			 nout;
};

static void
ls_row(struct ls_out *lo, const char *id, const struct message *m,
    long long body, long long mtime)
{
	struct json_object	*o;
	struct envelope		 env;
	const char		*recv;
	char			 age[32], size[32], rfc[40], agesec[32];
	char			 bytes[32];
	long long		 t0;

	envelope_read(&env, m);
	recv = env.received;
	if (cli_parse_time(recv, &t0) == -1) {
		t0 = mtime;
		format_rfc3339(rfc, sizeof(rfc), mtime, 0);
		recv = rfc;
	}
	if (lo->json) {
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(id));
		json_object_object_add(o, "dir",
		    json_object_new_string(lo->dir));
		json_object_object_add(o, "received",
		    json_object_new_string(recv));
		json_object_object_add(o, "age",
		    json_object_new_int64(lo->now - t0));
		json_object_object_add(o, "source",
		    json_object_new_string(env.source));
		json_object_object_add(o, "provider",
		    json_object_new_string(env.provider));
		json_object_object_add(o, "event",
		    json_object_new_string(env.event));
		json_object_object_add(o, "delivery",
		    json_object_new_string(env.delivery));
		json_object_object_add(o, "size", json_object_new_int64(body));
		cli_json_item(&lo->nout, o);
		json_object_put(o);
	} else if (lo->tty) {
		cli_format_age(age, sizeof(age), lo->now - t0);
		format_size(size, sizeof(size), body);
		cli_table_add(&lo->t, id, age, env.source, env.event, size);
	} else {
		snprintf(agesec, sizeof(agesec), "%lld", lo->now - t0);
		snprintf(bytes, sizeof(bytes), "%lld", body);
		cli_table_add(&lo->t, id, recv, agesec, env.source, env.event,
		    bytes);
	}
}

int
cmd_ls(struct cli *cli, int argc, char **argv)
{
	struct ls_out		 lo;
	struct message		 m;
	struct spool		 sp;
	const char		*dir = "new", *why;
	static const char *const header[] = {
		"ID", "AGE", "SOURCE", "EVENT", "SIZE"
	};
	char			 path[PATH_MAX], **ids;
	long long		 body, mtime;
	long			 n, i;
	int			 rc, json = 0, k;

	if ((rc = json_opts(argc, argv, usage_ls, &json)) != -1)
		return rc;
	if (argc - optind > 1)
		return cli_usage_exit(usage_ls, 0);
	if (argc - optind == 1) {
		dir = argv[optind];
		for (k = 0; spool_dirs[k] != NULL; k++)
			if (strcmp(spool_dirs[k], dir) == 0)
				break;
		if (spool_dirs[k] == NULL) {
			fprintf(stderr, "hookdir ls: no spool directory `%s` "
			    "(new, cur, done or failed)\n", dir);
			return EX_USAGE;
		}
	}
	if (cli_spool(cli, &sp, 0) == -1)
		return EX_NOINPUT;
	if ((n = spool_list(&sp, dir, &ids)) == -1) {
		log_warn("%s/%s", sp.dir, dir);
		spool_close(&sp);
		return EX_NOINPUT;
	}

	memset(&lo, 0, sizeof(lo));
	lo.dir = dir;
	lo.json = json;
	lo.tty = cli_isatty();
	lo.now = now_seconds();
	/* Each file's row is printed as it is read (a terminal's table aside). */
	cli_table_init(&lo.t, lo.tty ? 5 : 6, header);
	lo.t.stream = 1;
	for (i = 0; i < n; i++) {
		if (spool_path(&sp, dir, ids[i], path, sizeof(path)) == -1)
			continue;
		/* A file claimed or retired while we looked is gone: skip it. */
		mtime = -1;
		if ((k = head_read(path, &m, &body, &mtime, &why)) == 1)
			continue;
		/* A dead letter need not parse: list it all the same. */
		if (k == -1) {
			message_release(&m);
			if (mtime == -1) {
				log_warnx("%s: %s", path, why);
				continue;
			}
		}
		ls_row(&lo, ids[i], &m, body, mtime);
		message_release(&m);
	}
	if (json)
		cli_json_end(lo.nout);
	else
		cli_table_print(&lo.t);
	cli_table_release(&lo.t);
	spool_list_free(ids, n);
	spool_close(&sp);
	return 0;
}

/* ---------------------------------------------------------------- show */

/* The body parsed as JSON when it is JSON (an object or an array). */
static struct json_object *
body_json(const struct message *m)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	size_t			 i = 0;

	while (i < m->body_len && (m->body[i] == ' ' || m->body[i] == '\n' ||
	    m->body[i] == '\r' || m->body[i] == '\t'))
		i++;
	if (i == m->body_len || (m->body[i] != '{' && m->body[i] != '['))
		return NULL;
	if ((tok = json_tokener_new()) == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, (const char *)m->body,
	    (int)m->body_len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	/* Trailing garbage (beyond white space) makes it not JSON. */
	for (i = json_tokener_get_parse_end(tok); o != NULL &&
	    i < m->body_len; i++)
		if (m->body[i] != ' ' && m->body[i] != '\n' &&
		    m->body[i] != '\r' && m->body[i] != '\t') {
			json_object_put(o);
			o = NULL;
		}
	json_tokener_free(tok);
	return o;
}

/* Find the spool file of an id: its directory, or NULL. */
static const char *
spool_find(const struct spool *sp, const char *id, char *path, size_t len)
{
	size_t	i;

	for (i = 0; spool_dirs[i] != NULL; i++) {
		if (spool_path(sp, spool_dirs[i], id, path, len) == -1)
			return NULL;
		if (access(path, F_OK) == 0)
			return spool_dirs[i];
	}
	return NULL;
}

static void
print_indented(const char *prefix, const char *text)
{
	const char	*p = cli_text(text), *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		printf("%s%.*s\n", prefix, nl ? (int)(nl - p) : (int)strlen(p),
		    p);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/*
 * A job's outputs, a line each (a value's further lines indented under
 * it), escaped as bodies are: a value is whatever a step wrote.
 */
static void
show_outputs(struct json_object *outputs)
{
	struct buf	 b = BUF_INIT;
	const char	*v, *p;

	if (!json_object_is_type(outputs, json_type_object))
		return;
	json_object_object_foreach(outputs, key, val) {
		buf_reset(&b);
		v = json_object_get_string(val);
		cli_escape(&b, key, strlen(key));
		buf_addstr(&b, " = ");
		cli_escape(&b, v, (size_t)json_object_get_string_len(val));
		printf("      ");
		for (p = buf_str(&b); *p != '\0'; p++) {
			putchar(*p);
			if (*p == '\n')
				printf("        ");
		}
		printf("\n");
	}
	buf_release(&b);
}

static void
show_runs(struct json_object *runs)
{
	struct json_object	*run, *jobs, *job;
	size_t			 i, j;
	char			 started[32], took[32];

	if (runs == NULL || json_object_array_length(runs) == 0) {
		printf("\nRuns: none\n");
		return;
	}
	printf("\nRuns:\n");
	for (i = 0; i < json_object_array_length(runs); i++) {
		run = json_object_array_get_idx(runs, i);
		short_time(started, sizeof(started), cli_jstr(run, "started"));
		duration(took, sizeof(took), cli_jstr(run, "started"),
		    cli_jstr(run, "finished"));
		printf("  run %lld  %s  %s  started %s  took %s%s%s\n",
		    cli_jint(run, "id", 0), cli_text(cli_jtext(run, "pipeline")),
		    cli_paint(cli_jtext(run, "status")), started,
		    cli_jstr(run, "started") ? took : "-",
		    cli_jstr(run, "reason") ? "  " : "",
		    cli_text(cli_jtext(run, "reason")));
		if (cli_jstr(run, "host") != NULL)
			printf("    on host %s\n", cli_text(cli_jstr(run, "host")));
		if (cli_jstr(run, "triggered_by") != NULL)
			printf("    triggered by %s%s%s\n",
			    cli_text(cli_jtext(run, "triggered_by")),
			    cli_jstr(run, "user") != NULL ? ", user " : "",
			    cli_text(cli_jtext(run, "user")));
		jobs = json_object_object_get(run, "jobs");
		for (j = 0; jobs != NULL && j < json_object_array_length(jobs);
		    j++) {
			job = json_object_array_get_idx(jobs, j);
			printf("    job %s: %s", cli_text(cli_jtext(job, "name")),
			    cli_paint(cli_jtext(job, "status")));
			if (cli_jstr(job, "reason") != NULL)
				printf(" (%s)", cli_text(cli_jstr(job, "reason")));
			printf("\n");
			show_outputs(json_object_object_get(job, "outputs"));
		}
	}
}

/* The newest run of a pipeline among an event's runs, or NULL. */
static struct json_object *
event_run_of(struct json_object *ev, const char *pipeline)
{
	struct json_object	*runs, *run, *found = NULL;
	size_t			 i;

	runs = json_object_object_get(ev, "runs");
	for (i = 0; runs != NULL && i < json_object_array_length(runs); i++) {
		run = json_object_array_get_idx(runs, i);
		if (strcmp(cli_jtext(run, "pipeline"), pipeline) == 0)
			found = run;
	}
	return found;
}

/*
 * For every pipeline considered: "NAME: ran: run N, STATUS" or "NAME:
 * did not run: TRACE", the trace naming the `on` field that decided
 * and the values seen. show also prints the trace of those that ran,
 * on a line of its own. Returns how many pipelines there were.
 */
static size_t
print_traces(struct json_object *ev, int brief)
{
	struct json_object	*traces, *t, *run;
	const char		*name;
	size_t			 i, n;

	traces = json_object_object_get(ev, "traces");
	n = traces != NULL ? json_object_array_length(traces) : 0;
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(traces, i);
		name = cli_jtext(t, "pipeline");
		if (!json_object_get_boolean(json_object_object_get(t,
		    "matched"))) {
			printf("  %s: did not run", cli_text(name));
			if (brief)
				printf(": %s\n", cli_text(cli_jtext(t, "trace")));
			else {
				printf("\n");
				print_indented("    ", cli_jtext(t, "trace"));
			}
			continue;
		}
		printf("  %s: ran", cli_text(name));
		if ((run = event_run_of(ev, name)) != NULL)
			printf(": run %lld, %s", cli_jint(run, "id", 0),
			    cli_paint(cli_jtext(run, "status")));
		printf("\n");
		if (!brief)
			print_indented("    ", cli_jtext(t, "trace"));
	}
	return n;
}

/*
 * A body (or a file) as show prints it: on a terminal, unless full, its
 * first SHOW_BODY_LINES lines and how to see the rest.
 */
static void
show_body_text(const char *text, size_t len, const char *id, int full)
{
	const char	*p = text, *end = text + len, *nl;
	size_t		 n = 0, more = 0;

	if (!full && cli_isatty()) {
		for (; p < end && n < SHOW_BODY_LINES; n++) {
			nl = memchr(p, '\n', (size_t)(end - p));
			p = nl != NULL ? nl + 1 : end;
		}
		for (nl = p; nl < end; more++) {
			nl = memchr(nl, '\n', (size_t)(end - nl));
			nl = nl != NULL ? nl + 1 : end;
		}
	} else
		p = end;
	fwrite(text, 1, (size_t)(p - text), stdout);
	if (p > text && p[-1] != '\n')
		putchar('\n');
	if (more > 0)
		printf("\xe2\x80\xa6 %zu more line%s; hookdir show --full "
		    "%s\n", more, more == 1 ? "" : "s", id);
}

static void
show_text(const char *id, const char *dir, const char *path,
    const struct message *m, struct json_object *body, struct json_object *ev,
    int full)
{
	struct json_object	*traces;
	struct buf		 b = BUF_INIT;
	const char		*ctype, *text;
	size_t			 i;

	printf("Event:    %s\n", id);
	if (dir != NULL)
		printf("File:     %s (%s)\n", path, dir);
	else
		printf("File:     none (removed from the spool)\n");
	if (ev != NULL) {
		printf("Status:   %s", cli_paint(cli_jtext(ev, "status")));
		if (cli_jint(ev, "attempts", 1) > 1)
			printf(" (attempt %lld)", cli_jint(ev, "attempts", 1));
		printf("\n");
		if (cli_jstr(ev, "reason") != NULL)
			printf("Reason:   %s\n", cli_text(cli_jstr(ev, "reason")));
		if (cli_jstr(ev, "duplicate_of") != NULL)
			printf("Duplicate of: %s (same source and dedup key)\n",
			    cli_jstr(ev, "duplicate_of"));
		if (cli_jstr(ev, "dedup_rule") != NULL &&
		    *cli_jtext(ev, "dedup_key") == '\0')
			printf("Dedup key: none (%s)\n",
			    cli_text(cli_jstr(ev, "dedup_rule")));
		else if (cli_jstr(ev, "dedup_rule") != NULL)
			printf("Dedup key: %s by %s\n",
			    cli_text(cli_jtext(ev, "dedup_key")),
			    cli_text(cli_jstr(ev, "dedup_rule")));
	} else
		printf("Status:   not processed yet\n");

	/* Why it ran or did not first: the body can be long. */
	if (ev != NULL) {
		traces = json_object_object_get(ev, "traces");
		if (traces != NULL && json_object_array_length(traces) > 0) {
			printf("\nTriggers:\n");
			print_traces(ev, 0);
		} else if (cli_jstr(ev, "status") != NULL &&
		    strcmp(cli_jstr(ev, "status"), "duplicate") != 0)
			printf("\nTriggers: no pipeline was considered\n");
		show_runs(json_object_object_get(ev, "runs"));
	}

	if (m == NULL)
		return;
	printf("\nHeaders:\n");
	for (i = 0; i < m->nheaders; i++)
		printf("  %s: %s\n", cli_text(m->headers[i].name),
		    cli_text(m->headers[i].value));
	ctype = cli_text(message_get(m, "Content-Type"));
	printf("\nBody (%s%s%zu bytes):\n", ctype ? ctype : "",
	    ctype ? ", " : "", m->body_len);
	if (body != NULL) {
		text = cli_text(json_object_to_json_string_ext(body,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		show_body_text(text, strlen(text), id, full);
	} else if (m->body_len > 0) {
		cli_escape(&b, m->body, m->body_len);
		show_body_text(buf_str(&b), b.len, id, full);
		buf_release(&b);
	}
}

static struct json_object *
show_json(const char *id, const char *dir, const char *path,
    const struct message *m, struct json_object *body, struct json_object *ev)
{
	struct json_object	*o, *hs, *h;
	struct buf		 b = BUF_INIT;
	size_t			 i;

	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "dir", dir ? json_object_new_string(dir) :
	    NULL);
	json_object_object_add(o, "path", dir ? json_object_new_string(path) :
	    NULL);
	if (m != NULL) {
		hs = json_object_new_array();
		for (i = 0; i < m->nheaders; i++) {
			h = json_object_new_object();
			json_object_object_add(h, "name",
			    json_object_new_string(m->headers[i].name));
			json_object_object_add(h, "value",
			    json_object_new_string(m->headers[i].value));
			json_object_array_add(hs, h);
		}
		json_object_object_add(o, "headers", hs);
		json_object_object_add(o, "size",
		    json_object_new_int64((int64_t)m->body_len));
		if (body != NULL)
			json_object_object_add(o, "body", json_object_get(body));
		else {
			cli_escape(&b, m->body, m->body_len);
			json_object_object_add(o, "body",
			    json_object_new_string_len(buf_str(&b),
			    (int)b.len));
			buf_release(&b);
		}
	}
	json_object_object_add(o, "history", json_object_get(ev));
	return o;
}

/*
 * The events waiting in new/ (not in the history yet) with a delivery
 * id, added to found as {id, source, type, status: null, received}.
 */
static void
spool_find_delivery(struct spool *sp, const char *delivery,
    struct json_object *found)
{
	struct json_object	*o;
	struct message		 m;
	struct envelope		 env;
	const char		*why;
	char			 path[PATH_MAX], **ids;
	long long		 body, mtime;
	long			 n, i;
	size_t			 k;

	if ((n = spool_list(sp, "new", &ids)) == -1)
		return;
	for (i = 0; i < n; i++) {
		memset(&m, 0, sizeof(m));
		for (k = 0; k < json_object_array_length(found); k++)
			if (strcmp(cli_jtext(json_object_array_get_idx(found,
			    k), "id"), ids[i]) == 0)
				break;
		if (k < json_object_array_length(found) ||
		    spool_path(sp, "new", ids[i], path, sizeof(path)) == -1 ||
		    head_read(path, &m, &body, &mtime, &why) != 0) {
			message_release(&m);
			continue;
		}
		envelope_read(&env, &m);
		if (strcmp(env.delivery, delivery) == 0) {
			o = json_object_new_object();
			json_object_object_add(o, "id",
			    json_object_new_string(ids[i]));
			json_object_object_add(o, "source",
			    json_object_new_string(env.source));
			json_object_object_add(o, "type",
			    json_object_new_string(env.event));
			json_object_object_add(o, "status", NULL);
			json_object_object_add(o, "received",
			    json_object_new_string(env.received));
			json_object_array_add(found, o);
		}
		message_release(&m);
	}
	spool_list_free(ids, n);
}

/* Newest first: by the time received, then by id (which starts with it). */
static int
event_newer_first(const void *a, const void *b)
{
	struct json_object	*x = *(struct json_object *const *)a;
	struct json_object	*y = *(struct json_object *const *)b;
	int			 c;

	if ((c = strcmp(cli_jtext(y, "received"), cli_jtext(x, "received")))
	    != 0)
		return c;
	return strcmp(cli_jtext(y, "id"), cli_jtext(x, "id"));
}

/*
 * show and why take a spool id or a provider's delivery id (the
 * Hookdir-Delivery header, the history's events.delivery). A delivery
 * id can name several events (redeliveries, several sources): they are
 * listed on stderr and the newest is taken. 0 with *id (malloc'd), or
 * an exit status with the error printed. h may be NULL (no history).
 */
static int
event_resolve(const char *cmd, struct spool *sp, struct history *h,
    const char *arg, char **id)
{
	struct json_object	*found = NULL, *ev, *o;
	char			 path[PATH_MAX];
	size_t			 i, n;
	int			 r;

	*id = NULL;
	if (spool_id_is_valid(arg)) {
		if (spool_find(sp, arg, path, sizeof(path)) != NULL) {
			*id = xstrdup(arg);
			return 0;
		}
		if (h != NULL && (r = history_event_get(h, arg, &ev)) != 0) {
			json_object_put(ev);
			if (r == -1)
				return EX_SOFTWARE;
			*id = xstrdup(arg);
			return 0;
		}
	}
	if (h != NULL && (found = history_events_by_delivery(h, arg)) == NULL)
		return EX_SOFTWARE;
	if (found == NULL)
		found = json_object_new_array();
	spool_find_delivery(sp, arg, found);
	if ((n = json_object_array_length(found)) == 0) {
		json_object_put(found);
		if (!spool_id_is_valid(arg)) {
			fprintf(stderr, "hookdir %s: `%s` is neither a spool id "
			    "nor a delivery id the history knows\n", cmd,
			    cli_text(arg));
			return EX_USAGE;
		}
		fprintf(stderr, "hookdir %s: no event %s in the spool or the "
		    "history (as spool id or delivery id)\n", cmd, arg);
		return EX_NOINPUT;
	}
	json_object_array_sort(found, event_newer_first);
	if (n > 1) {
		fprintf(stderr, "hookdir %s: delivery %s names %zu events; "
		    "this is the newest, %s:\n", cmd, cli_text(arg), n,
		    cli_jtext(json_object_array_get_idx(found, 0), "id"));
		for (i = 0; i < n; i++) {
			o = json_object_array_get_idx(found, i);
			fprintf(stderr, "  %s  %s  %s  %s  %s\n",
			    cli_jtext(o, "id"), cli_text(cli_jtext(o, "source")),
			    cli_text(cli_jtext(o, "type")),
			    cli_jstr(o, "status") != NULL ?
			    cli_jstr(o, "status") : "waiting in new/",
			    cli_text(cli_jtext(o, "received")));
		}
	}
	*id = xstrdup(cli_jtext(json_object_array_get_idx(found, 0), "id"));
	json_object_put(found);
	return 0;
}

static const char usage_show[] =
    "usage: hookdir show [--json] [--full] ID|DELIVERY\n"
    "\n"
    "Show a spool file and what became of it: where it is (new, cur, done\n"
    "or failed), its status in the history, for every pipeline whether it\n"
    "ran (its run) or why not, the runs it started with the host each ran\n"
    "on and their jobs, then its headers and its body (JSON\n"
    "pretty-printed). On a terminal the body stops after 40 lines.\n"
    "DELIVERY is a provider's delivery id\n"
    "(Hookdir-Delivery): when it names several events they are listed on\n"
    "standard error and the newest is shown.\n"
    "\n"
    "  --full   the whole body, also on a terminal\n"
    "  --json   one object {id, dir, path, headers: [{name, value}], size,\n"
    "           body, history}\n"
    "\n"
    "Exit status 66 when the id is neither in the spool nor in the history.\n";

/*
 * What `show` found of an event: its spool file (dir NULL when none or
 * unreadable), parsed as a message or, failing that, its raw bytes.
 */
struct show_file {
	const char		*dir;
	char			 path[PATH_MAX];
	struct message		 m;
	int			 have_msg;
	struct json_object	*body;
	struct buf		 raw;
	const char		*parse_error;	/* raw holds the file */
	int			 unreadable;
};

static void
show_file_load(struct show_file *f, struct spool *sp, const char *id)
{
	const char	*why;

	if ((f->dir = spool_find(sp, id, f->path, sizeof(f->path))) == NULL)
		return;
	if (message_read_file(&f->m, f->path, &why) == 0) {
		f->have_msg = 1;
		f->body = body_json(&f->m);
		return;
	}
	/* A dead letter may well be unparseable: show it raw. */
	message_release(&f->m);
	/* Past SHOW_RAW_MAX, what was read is shown. */
	if (read_file(f->path, &f->raw, SHOW_RAW_MAX) == -1 && errno != EFBIG) {
		fprintf(stderr, "hookdir show: %s: %s\n", f->path,
		    strerror(errno));
		f->dir = NULL;
		f->unreadable = 1;
	} else
		f->parse_error = why;
}

static void
show_file_release(struct show_file *f)
{
	json_object_put(f->body);
	buf_release(&f->raw);
	message_release(&f->m);
}

static void
show_print(const char *id, struct show_file *f, struct json_object *ev,
    int json, int full)
{
	struct json_object	*o;
	struct message		*m = f->have_msg ? &f->m : NULL;
	struct buf		 esc = BUF_INIT;

	if (f->parse_error != NULL)
		cli_escape(&esc, f->raw.data, f->raw.len);
	if (json) {
		o = show_json(id, f->dir, f->path, m, f->body, ev);
		if (f->parse_error != NULL) {
			json_object_object_add(o, "error",
			    json_object_new_string(f->parse_error));
			json_object_object_add(o, "raw",
			    json_object_new_string_len(buf_str(&esc),
			    (int)esc.len));
		}
		cli_print_json(o);
		json_object_put(o);
	} else {
		show_text(id, f->dir, f->path, m, f->body, ev, full);
		if (f->parse_error != NULL) {
			printf("\nNot a spool message (%s); the file:\n",
			    cli_text(f->parse_error));
			show_body_text(buf_str(&esc), esc.len, id, full);
		}
	}
	buf_release(&esc);
}

int
cmd_show(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json",	no_argument,	NULL, 'j' },
		{ "full",	no_argument,	NULL, 'F' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 }
	};
	struct json_object	*ev = NULL;
	struct history		*h;
	struct show_file	 f;
	struct spool		 sp;
	char			*id = NULL;
	int			 ch, json = 0, full = 0, missing, r = 0;

	while ((ch = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'F':
			full = 1;
			break;
		case 'h':
			return cli_usage_exit(usage_show, 1);
		default:
			return cli_usage_exit(usage_show, 0);
		}
	}
	if (argc - optind != 1)
		return cli_usage_exit(usage_show, 0);
	if (cli_spool(cli, &sp, 0) == -1)
		return EX_NOINPUT;
	memset(&f, 0, sizeof(f));
	h = cli_history(cli, &missing);
	if (h == NULL && !missing) {
		r = EX_SOFTWARE;
		goto done;
	}
	if ((r = event_resolve("show", &sp, h, argv[optind], &id)) != 0)
		goto done;

	show_file_load(&f, &sp, id);
	if (h != NULL && history_event_get(h, id, &ev) == -1) {
		r = EX_SOFTWARE;
		goto done;
	}
	if (f.dir == NULL && ev == NULL) {
		fprintf(stderr, "hookdir show: no event %s in the spool or the "
		    "history\n", id);
		r = EX_NOINPUT;
		goto done;
	}
	show_print(id, &f, ev, json, full);
	/* The history was shown, but not the file it should have shown. */
	if (f.unreadable)
		r = EX_NOINPUT;
done:
	free(id);
	show_file_release(&f);
	json_object_put(ev);
	history_close(h);
	spool_close(&sp);
	return r;
}

/* ---------------------------------------------------------------- runs */

static const char usage_runs[] =
    "usage: hookdir runs [--json] [--pipeline P] [--status S] [--event ID]\n"
    "                    [-n N]\n"
    "\n"
    "List runs, newest first. On a terminal a table of the last 20; for\n"
    "scripts every run, tab-separated: id, pipeline, status, event, created,\n"
    "started, finished, reason, triggered by (webhook, manual, dispatch,\n"
    "event), user (of a manual run).\n"
    "\n"
    "  --pipeline P   only runs of pipeline P\n"
    "  --status S     only runs with status S (queued, running, success,\n"
    "                 failure, skipped, cancelled, timed_out, interrupted)\n"
    "  --event ID     only runs started by event ID\n"
    "  -n N           at most N runs (0: all)\n"
    "  --json         an array of objects {id, event, pipeline, status,\n"
    "                 created, started, finished, reason, attempt,\n"
    "                 triggered_by, user, jobs:\n"
    "                 [{id, name, status, started, finished, reason,\n"
    "                 outputs}]}\n";

/*
 * `hookdir runs` prints each run as the history gives it: JSON element
 * by element, TSV line by line; only a terminal's table, which needs
 * its column widths, keeps its rows (20 unless told).
 */
struct runs_list {
	struct cli_table	t;
	size_t			n;
	int			json;
	int			tty;
};

static int
runs_row(void *arg, struct json_object *run)
{
	struct runs_list	*rl = arg;
	char			 idbuf[32], started[32], took[32];

	if (rl->json) {
		cli_json_item(&rl->n, run);
		return 0;
	}
	snprintf(idbuf, sizeof(idbuf), "%lld", cli_jint(run, "id", 0));
	if (rl->tty) {
		short_time(started, sizeof(started), cli_jstr(run, "started"));
		duration(took, sizeof(took), cli_jstr(run, "started"),
		    cli_jstr(run, "finished"));
		cli_table_add(&rl->t, idbuf, cli_jstr(run, "pipeline"),
		    cli_jstr(run, "status"), started,
		    cli_jstr(run, "started") ? took : "-",
		    cli_jstr(run, "event"));
	} else
		cli_table_add(&rl->t, idbuf, cli_jstr(run, "pipeline"),
		    cli_jstr(run, "status"), cli_jstr(run, "event"),
		    cli_jstr(run, "created"), cli_jstr(run, "started"),
		    cli_jstr(run, "finished"), cli_jstr(run, "reason"),
		    cli_jstr(run, "triggered_by"), cli_jstr(run, "user"));
	return 0;
}

int
cmd_runs(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json",	no_argument,		NULL, 'j' },
		{ "pipeline",	required_argument,	NULL, 'p' },
		{ "status",	required_argument,	NULL, 's' },
		{ "event",	required_argument,	NULL, 'e' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	static const char *const header[] = {
		"RUN", "PIPELINE", "STATUS", "STARTED", "TOOK", "EVENT"
	};
	struct history_filter	 f;
	struct history		*h;
	struct runs_list	 rl;
	char			*end;
	int			 ch, json = 0, tty, missing, limit_set = 0, r;

	memset(&f, 0, sizeof(f));
	while ((ch = getopt_long(argc, argv, "jn:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'p':
			f.pipeline = optarg;
			break;
		case 's':
			f.status = optarg;
			break;
		case 'e':
			f.event = optarg;
			break;
		case 'n':
			errno = 0;
			f.limit = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    f.limit < 0) {
				fprintf(stderr, "hookdir runs: -n wants a "
				    "number, not `%s`\n", optarg);
				return EX_USAGE;
			}
			limit_set = 1;
			break;
		case 'h':
			return cli_usage_exit(usage_runs, 1);
		default:
			return cli_usage_exit(usage_runs, 0);
		}
	}
	if (argc != optind)
		return cli_usage_exit(usage_runs, 0);
	tty = cli_isatty();
	if (!limit_set && tty && !json)
		f.limit = 20;

	h = cli_history(cli, &missing);
	if (h == NULL && !missing)
		return EX_SOFTWARE;
	memset(&rl, 0, sizeof(rl));
	rl.json = json;
	rl.tty = tty;
	if (!json) {
		cli_table_init(&rl.t, tty ? 6 : 10, header);
		rl.t.status_col = 2;
		rl.t.stream = 1;
	}
	r = h != NULL ? history_runs_each(h, &f, runs_row, &rl) : 0;
	history_close(h);
	if (json)
		cli_json_end(rl.n);
	else {
		cli_table_print(&rl.t);
		cli_table_release(&rl.t);
	}
	return r == -1 ? EX_SOFTWARE : 0;
}

/* ---------------------------------------------------------------- log */

/* How far `log` has got in one step's log. */
struct log_pos {
	long long	step;
	off_t		off;
	int		started;	/* header printed */
	int		done;
};

struct log_state {
	struct log_pos	*v;
	size_t		 n;
	int		 headers;	/* more than one step: a header each */
	int		 unreadable;	/* logs that are there but not readable */
	int		 escape;	/* a terminal, without --raw */
	int		 elsewhere;	/* said that the logs are on another host */
};

/*
 * Several hosts share one history, not their logs: a run that ran on
 * another host has them there. Said once, and a failure.
 */
static void
log_elsewhere(struct cli *cli, struct json_object *run, struct log_state *ls)
{
	const char	*host = cli_jstr(run, "host");

	if (host == NULL || strcmp(host, cli_config(cli)->host) == 0 ||
	    ls->elsewhere)
		return;
	fprintf(stderr, "hookdir %s: run %lld ran on host %s: its logs are "
	    "there\n", cli->cmd, cli_jint(run, "id", 0), host);
	ls->elsewhere = 1;
	ls->unreadable++;
}

static struct log_pos *
log_pos(struct log_state *ls, long long step)
{
	size_t	i;

	for (i = 0; i < ls->n; i++)
		if (ls->v[i].step == step)
			return &ls->v[i];
	ls->v = xreallocarray(ls->v, ls->n + 1, sizeof(*ls->v));
	memset(&ls->v[ls->n], 0, sizeof(*ls->v));
	ls->v[ls->n].step = step;
	return &ls->v[ls->n++];
}

/*
 * Copy what the file holds from pos->off on to stdout, escaped for a
 * terminal when escape is set. Unless final (the step has ended) a
 * UTF-8 character cut short at the end is left for the next pass.
 */
static int
log_copy(const char *path, struct log_pos *pos, int escape, int final)
{
	struct buf	 b = BUF_INIT;
	char		 chunk[16384];
	ssize_t		 n;
	size_t		 have = 0, used;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (lseek(fd, pos->off, SEEK_SET) == -1) {
		close(fd);
		return -1;
	}
	for (;;) {
		n = read(fd, chunk + have, sizeof(chunk) - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!escape) {
			if (fwrite(chunk, 1, (size_t)n, stdout) != (size_t)n)
				break;
			pos->off += n;
			continue;
		}
		have += (size_t)n;
		buf_reset(&b);
		used = cli_escape_some(&b, chunk, have, 0);
		if (fwrite(b.data, 1, b.len, stdout) != b.len)
			break;
		pos->off += (off_t)used;
		/* At most three bytes of a character wait for the rest. */
		memmove(chunk, chunk + used, have - used);
		have -= used;
	}
	if (escape && final && have > 0) {
		buf_reset(&b);
		cli_escape(&b, chunk, have);
		if (fwrite(b.data, 1, b.len, stdout) == b.len)
			pos->off += (off_t)have;
	}
	buf_release(&b);
	fflush(stdout);
	close(fd);
	return 0;
}

static int
step_matches(struct json_object *step, const char *want, size_t position)
{
	char	num[32];

	if (want == NULL)
		return 1;
	if (strcmp(cli_jtext(step, "name"), want) == 0)
		return 1;
	snprintf(num, sizeof(num), "%zu", position);
	return strcmp(num, want) == 0;
}

/*
 * A skipped job has no steps, hence no log: say so, and why, once. Asked
 * for that job alone, as a message; in the whole run's log, as its
 * header.
 */
static void
log_skipped(struct json_object *run, struct json_object *job,
    struct log_state *ls, int alone)
{
	struct log_pos	*pos;
	const char	*reason = cli_jstr(job, "reason"), *why;

	why = reason != NULL ? cli_text(reason) : "";
	pos = log_pos(ls, -cli_jint(job, "id", 0));
	if (pos->done)
		return;
	pos->done = 1;
	if (alone)
		fprintf(stderr, "hookdir log: run %lld job %s was skipped%s%s\n",
		    cli_jint(run, "id", 0), cli_text(cli_jtext(job, "name")),
		    reason != NULL ? ": " : "", why);
	else {
		printf("%s==> %s: %s%s%s%s <==\n", ls->n > 1 ? "\n" : "",
		    cli_text(cli_jtext(job, "name")), cli_paint("skipped"),
		    reason != NULL ? " (" : "", why,
		    reason != NULL ? ")" : "");
		fflush(stdout);
	}
}

/*
 * One pass over the run's steps, in job order and step order: print
 * what is new. Returns 1 when every selected step is over and printed,
 * 0 when there is more to wait for (a step queued or running), -1 if
 * nothing matched the selection.
 */
static int
log_pass(struct cli *cli, struct json_object *run, const char *want_job,
    const char *want_step, struct log_state *ls, int follow)
{
	struct json_object	*jobs, *job, *steps, *step;
	struct log_pos		*pos;
	const char		*status, *logp;
	char			*path;
	size_t			 i, j;
	int			 matched = 0, finished;

	jobs = json_object_object_get(run, "jobs");
	for (i = 0; jobs != NULL && i < json_object_array_length(jobs); i++) {
		job = json_object_array_get_idx(jobs, i);
		if (want_job != NULL && strcmp(cli_jtext(job, "name"), want_job))
			continue;
		steps = json_object_object_get(job, "steps");
		if (want_step == NULL && json_object_array_length(steps) == 0 &&
		    strcmp(cli_jtext(job, "status"), "skipped") == 0) {
			matched++;
			log_skipped(run, job, ls, want_job != NULL);
			continue;
		}
		for (j = 0; steps != NULL &&
		    j < json_object_array_length(steps); j++) {
			step = json_object_array_get_idx(steps, j);
			if (!step_matches(step, want_step, j + 1))
				continue;
			matched++;
			pos = log_pos(ls, cli_jint(step, "id", 0));
			if (pos->done)
				continue;
			status = cli_jtext(step, "status");
			finished = status_ended(status_from_name(status));
			if (!finished && !follow && strcmp(status, "queued") == 0)
				continue;
			if (!finished && follow && strcmp(status, "queued") == 0)
				return 0;
			if (ls->headers && !pos->started) {
				printf("%s==> %s/%s: %s", ls->n > 1 ? "\n" : "",
				    cli_text(cli_jtext(job, "name")),
				    cli_text(cli_jtext(step, "name")),
				    cli_paint(status));
				if (cli_jint(step, "exit_code", -1) >= 0)
					printf(", exit %lld",
					    cli_jint(step, "exit_code", -1));
				if (cli_jint(step, "signal", -1) >= 0)
					printf(", signal %lld",
					    cli_jint(step, "signal", -1));
				printf(" <==\n");
				fflush(stdout);
			}
			pos->started = 1;
			logp = cli_jstr(step, "log");
			if (logp != NULL)
				path = xstrdup(logp);
			else
				xasprintf(&path, "%s/logs/%lld/%s/%s.log",
				    cli_config(cli)->state, cli_jint(run, "id", 0),
				    cli_jtext(job, "name"), cli_jtext(step, "name"));
			if (log_copy(path, pos, ls->escape, finished ||
			    !follow) == -1) {
				if (errno != ENOENT) {
					log_warn("%s", path);
					ls->unreadable++;
				} else
					log_elsewhere(cli, run, ls);
			}
			free(path);
			/*
			 * The status was read before the file: a step that
			 * had ended then has all of its log written now.
			 */
			if (finished || !follow)
				pos->done = 1;
			else
				return 0;
		}
	}
	if (matched == 0)
		return -1;
	return 1;
}

static const char usage_log[] =
    "usage: hookdir log [--follow] [--raw] RUN [JOB [STEP]]\n"
    "\n"
    "Print the logs (stdout and stderr) of a run's steps: every job and\n"
    "step in order with a header line each, or one job's, or one step's\n"
    "log as it is. STEP is the step's name or its number in the job.\n"
    "On a terminal, control characters other than newline and tab (and\n"
    "invalid UTF-8) are shown as \\xNN, so that a step cannot drive the\n"
    "terminal; piped, the bytes are as the step wrote them.\n"
    "\n"
    "A skipped job has no log: its reason is printed instead.\n"
    "\n"
    "  -f, --follow   keep printing as the steps write, until they end\n"
    "  --raw          the bytes as they are, also on a terminal\n"
    "\n"
    "Exit status 66 when there is no such run, job or step, or a log\n"
    "cannot be read.\n";

int
cli_log_run(struct cli *cli, struct history *h, long long id,
    const char *want_job, const char *want_step, int follow, int raw,
    char **status)
{
	struct json_object	*run = NULL;
	struct log_state	 ls;
	int			 r, ended, rc = 0;

	if (status != NULL)
		*status = NULL;
	memset(&ls, 0, sizeof(ls));
	ls.headers = want_step == NULL;
	ls.escape = !raw && cli_isatty();
	for (;;) {
		if ((r = history_run_get(h, id, &run)) == -1) {
			rc = EX_SOFTWARE;
			break;
		}
		if (r == 0) {
			fprintf(stderr, "hookdir %s: no run %lld\n", cli->cmd,
			    id);
			rc = EX_NOINPUT;
			break;
		}
		ended = status_ended(status_from_name(cli_jstr(run,
		    "status")));
		if (ended && status != NULL) {
			free(*status);
			*status = xstrdup(cli_jstr(run, "status"));
		}
		r = log_pass(cli, run, want_job, want_step, &ls, follow);
		json_object_put(run);
		run = NULL;
		if (r == -1 && (!follow || ended)) {
			/* A run that ended before any step: nothing to print. */
			if (want_job == NULL && status != NULL)
				break;
			fprintf(stderr, "hookdir %s: run %lld has no %s%s%s\n",
			    cli->cmd, id, want_job ? "job " : "steps",
			    want_job ? want_job : "",
			    want_step ? " with that step" : "");
			rc = EX_NOINPUT;
			break;
		}
		/* Steps of a running run may still be created: wait for it. */
		if (!follow || (r == 1 && ended))
			break;
		usleep(FOLLOW_POLL_US);
	}
	/* What it should have printed and could not read is a failure. */
	if (rc == EX_OK && ls.unreadable > 0)
		rc = EX_NOINPUT;
	free(ls.v);
	return rc;
}

int
cmd_log(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow",	no_argument,	NULL, 'f' },
		{ "raw",	no_argument,	NULL, 'r' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 }
	};
	struct history		*h;
	const char		*want_job = NULL, *want_step = NULL;
	char			*end;
	long long		 id;
	int			 ch, follow = 0, raw = 0, missing, rc;

	while ((ch = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			follow = 1;
			break;
		case 'r':
			raw = 1;
			break;
		case 'h':
			return cli_usage_exit(usage_log, 1);
		default:
			return cli_usage_exit(usage_log, 0);
		}
	}
	if (argc - optind < 1 || argc - optind > 3)
		return cli_usage_exit(usage_log, 0);
	errno = 0;
	id = strtoll(argv[optind], &end, 10);
	if (errno != 0 || *end != '\0' || end == argv[optind] || id <= 0) {
		fprintf(stderr, "hookdir log: `%s` is not a run id\n",
		    argv[optind]);
		return EX_USAGE;
	}
	if (argc - optind >= 2)
		want_job = argv[optind + 1];
	if (argc - optind == 3)
		want_step = argv[optind + 2];

	h = cli_history(cli, &missing);
	if (h == NULL) {
		if (!missing)
			return EX_SOFTWARE;
		fprintf(stderr, "hookdir log: no run %lld\n", id);
		return EX_NOINPUT;
	}
	rc = cli_log_run(cli, h, id, want_job, want_step, follow, raw, NULL);
	history_close(h);
	return rc;
}

/* ---------------------------------------------------------------- status */

static const char usage_status[] =
    "usage: hookdir status [--json]\n"
    "\n"
    "The spool's files in new/, cur/, done/ and failed/, how long the\n"
    "oldest waiting one has waited, runs running, failures in the last\n"
    "24 hours, and the last run.\n"
    "\n"
    "  --json   {spool: {new, cur, done, failed}, oldest_new: {id, age} or\n"
    "           null, runs: {running, queued, failed_24h},\n"
    "           failed_events_24h, last_run: run object or null,\n"
    "           pipeline_errors: [TEXT]}\n"
    "\n"
    "Exit status 78 when a pipeline file does not load: the worker then\n"
    "claims no event until it is fixed.\n";

/*
 * The errors of the pipeline files, as `hookdir check` prints them: the
 * worker claims nothing while there is one, so status must say so.
 */
static struct json_object *
status_pipeline_errors(struct cli *cli)
{
	struct pipeline_set	 set;
	struct json_object	*a;
	struct diag		 d;
	size_t			 i;

	diag_init(&d);
	pipelines_load(cli_config(cli), &set, &d);
	a = json_object_new_array();
	for (i = 0; i < d.n; i++)
		if (d.v[i].level == DIAG_ERROR)
			json_object_array_add(a,
			    json_object_new_string(d.v[i].text));
	diag_release(&d);
	pipelines_release(&set);
	return a;
}

struct json_object *
cli_status_object(struct spool *sp, struct history *h)
{
	struct json_object	*o, *counts, *sum = NULL, *oldest = NULL, *runs;
	struct json_object	*last;
	char			 since[40], **ids;
	long long		 now, t0;
	long			 n, nnew;
	size_t			 i;

	now = now_seconds();
	if (h != NULL) {
		format_rfc3339(since, sizeof(since), now - 24 * 3600, 0);
		if ((sum = history_summary(h, since)) == NULL)
			return NULL;
	}
	o = json_object_new_object();
	counts = json_object_new_object();
	for (i = 0; i < 4; i++) {
		n = spool_count(sp, spool_dirs[i]);
		json_object_object_add(counts, spool_dirs[i], n >= 0 ?
		    json_object_new_int64(n) : NULL);
	}
	json_object_object_add(o, "spool", counts);
	/* Names begin with the time they were received: sorted, oldest first. */
	if ((nnew = spool_list(sp, "new", &ids)) > 0) {
		oldest = json_object_new_object();
		json_object_object_add(oldest, "id",
		    json_object_new_string(ids[0]));
		t0 = strtoll(ids[0], NULL, 10);
		json_object_object_add(oldest, "age",
		    json_object_new_int64(t0 > 0 ? now - t0 : 0));
	}
	if (nnew >= 0)
		spool_list_free(ids, nnew);
	json_object_object_add(o, "oldest_new", oldest);
	runs = json_object_new_object();
	json_object_object_add(runs, "running",
	    json_object_new_int64(cli_jint(sum, "running", 0)));
	json_object_object_add(runs, "queued",
	    json_object_new_int64(cli_jint(sum, "queued", 0)));
	json_object_object_add(runs, "failed_24h",
	    json_object_new_int64(cli_jint(sum, "failed_since", 0)));
	json_object_object_add(o, "runs", runs);
	json_object_object_add(o, "failed_events_24h",
	    json_object_new_int64(cli_jint(sum, "failed_events_since", 0)));
	last = sum != NULL ? json_object_object_get(sum, "last_run") : NULL;
	json_object_object_add(o, "last_run", json_object_get(last));
	json_object_put(sum);
	return o;
}

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	struct json_object	*o, *oldest, *last, *runs, *counts, *perrors;
	struct history		*h;
	struct spool		 sp;
	char			 age[32], started[32];
	size_t			 i;
	int			 rc, json = 0;

	if ((rc = json_opts(argc, argv, usage_status, &json)) != -1)
		return rc;
	if (argc != optind)
		return cli_usage_exit(usage_status, 0);
	if ((rc = cli_spool_history(cli, &sp, &h)) != EX_OK)
		return rc;
	o = cli_status_object(&sp, h);
	spool_close(&sp);
	if (h != NULL)
		history_close(h);
	if (o == NULL)
		return EX_SOFTWARE;
	perrors = status_pipeline_errors(cli);
	json_object_object_add(o, "pipeline_errors", perrors);
	counts = json_object_object_get(o, "spool");
	oldest = json_object_object_get(o, "oldest_new");
	runs = json_object_object_get(o, "runs");
	last = json_object_object_get(o, "last_run");

	if (json)
		cli_print_json(o);
	else {
		for (i = 0; i < 4; i++) {
			printf("%-9s %lld", spool_dirs[i],
			    cli_jint(counts, spool_dirs[i], -1));
			if (i == 0 && oldest != NULL) {
				cli_format_age(age, sizeof(age),
				    cli_jint(oldest, "age", 0));
				printf(" (oldest waiting %s)", age);
			}
			printf("\n");
		}
		printf("running   %lld run%s\n", cli_jint(runs, "running", 0),
		    cli_jint(runs, "running", 0) == 1 ? "" : "s");
		printf("failures  %lld run%s, %lld event%s in the last 24 h\n",
		    cli_jint(runs, "failed_24h", 0),
		    cli_jint(runs, "failed_24h", 0) == 1 ? "" : "s",
		    cli_jint(o, "failed_events_24h", 0),
		    cli_jint(o, "failed_events_24h", 0) == 1 ? "" : "s");
		if (last != NULL) {
			short_time(started, sizeof(started),
			    cli_jstr(last, "started") ? cli_jstr(last, "started") :
			    cli_jstr(last, "created"));
			printf("last run  %lld %s %s, %s\n", cli_jint(last, "id", 0),
			    cli_text(cli_jtext(last, "pipeline")),
			    cli_paint(cli_jtext(last, "status")), started);
		} else
			printf("last run  none\n");
		if (json_object_array_length(perrors) > 0)
			printf("pipelines do not load: no event is claimed "
			    "until they are fixed\n");
		for (i = 0; i < json_object_array_length(perrors); i++)
			printf("  %s\n", json_object_get_string(
			    json_object_array_get_idx(perrors, i)));
	}
	rc = json_object_array_length(perrors) > 0 ? EX_CONFIG : EX_OK;
	json_object_put(o);
	return rc;
}

/* ---------------------------------------------------------------- why */

static const char usage_why[] =
    "usage: hookdir why ID|DELIVERY\n"
    "\n"
    "Why an event ran pipelines or did not, in its first lines: where it\n"
    "is (waiting in new/, and whether the worker can claim it; being\n"
    "processed; done; a duplicate; unreadable), then for every pipeline\n"
    "whether it ran (its run and status) or the `on` field that decided it\n"
    "did not, with the values seen. DELIVERY is a provider's delivery id\n"
    "(Hookdir-Delivery): when it names several events they are listed on\n"
    "standard error and the newest is explained.\n"
    "\n"
    "Exit status 66 when the event is neither in the spool nor in the\n"
    "history.\n";

/* An event the history does not know yet: in the spool only. */
static void
why_spool_only(struct cli *cli, const char *id, const char *dir)
{
	struct json_object	*perrors;
	size_t			 i, n;

	if (strcmp(dir, "cur") == 0) {
		printf("%s: claimed: a worker is processing it\n", id);
		return;
	}
	if (strcmp(dir, "new") != 0) {
		printf("%s: in %s/; the history has no record of it "
		    "(hookdir gc may have removed it)\n", id, dir);
		return;
	}
	perrors = status_pipeline_errors(cli);
	n = json_object_array_length(perrors);
	if (n == 0)
		printf("%s: waiting in new/: no worker has claimed it yet\n",
		    id);
	else
		printf("%s: waiting in new/: the pipelines do not load, and "
		    "the worker claims no event until they are fixed:\n", id);
	for (i = 0; i < n; i++)
		printf("  %s\n", json_object_get_string(
		    json_object_array_get_idx(perrors, i)));
	json_object_put(perrors);
}

static void
why_print(struct cli *cli, const char *id, const char *dir,
    struct json_object *ev)
{
	struct json_object	*runs;
	const char		*status, *reason;
	long long		 nruns;

	if (ev == NULL) {
		why_spool_only(cli, id, dir);
		return;
	}
	status = cli_jtext(ev, "status");
	reason = cli_text(cli_jtext(ev, "reason"));
	runs = json_object_object_get(ev, "runs");
	nruns = runs != NULL ? (long long)json_object_array_length(runs) : 0;
	if (dir != NULL && strcmp(dir, "new") == 0 &&
	    strcmp(status, "processing") != 0) {
		printf("%s: requeued: waiting in new/; before, it was %s\n",
		    id, status);
		why_spool_only(cli, id, dir);
	} else if (strcmp(status, "duplicate") == 0) {
		printf("%s: a duplicate of %s (the same source, and dedup "
		    "key %s by %s): ran nothing\n", id,
		    cli_jtext(ev, "duplicate_of"),
		    cli_text(cli_jtext(ev, "dedup_key")),
		    cli_text(cli_jtext(ev, "dedup_rule")));
		return;
	} else if (strcmp(status, "failed") == 0 &&
	    *cli_jtext(ev, "source") == '\0') {
		printf("%s: unreadable, moved to failed/: %s\n", id, reason);
		return;
	} else if (strcmp(status, "processing") == 0)
		printf("%s: claimed: %s\n", id, dir != NULL &&
		    strcmp(dir, "cur") == 0 ? "a worker is processing it" :
		    "a worker was processing it");
	else {
		printf("%s: %s", id, cli_paint(status));
		if (*reason != '\0')
			printf(": %s", reason);
		printf(", %lld run%s", nruns, nruns == 1 ? "" : "s");
		if (cli_jint(ev, "attempts", 1) > 1)
			printf(" (attempt %lld)", cli_jint(ev, "attempts", 1));
		printf("\n");
	}
	if (print_traces(ev, 1) == 0 && strcmp(status, "processing") != 0)
		printf("  no pipeline was considered (there were none)\n");
}

int
cmd_why(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 }
	};
	struct json_object	*ev = NULL;
	struct history		*h;
	struct spool		 sp;
	const char		*dir;
	char			 path[PATH_MAX], *id = NULL;
	int			 ch, rc;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cli_usage_exit(usage_why, 1);
		default:
			return cli_usage_exit(usage_why, 0);
		}
	}
	if (argc - optind != 1)
		return cli_usage_exit(usage_why, 0);
	if ((rc = cli_spool_history(cli, &sp, &h)) != EX_OK)
		return rc;
	if ((rc = event_resolve("why", &sp, h, argv[optind], &id)) != 0)
		goto done;
	dir = spool_find(&sp, id, path, sizeof(path));
	if (h != NULL && history_event_get(h, id, &ev) == -1) {
		rc = EX_SOFTWARE;
		goto done;
	}
	if (dir == NULL && ev == NULL) {
		fprintf(stderr, "hookdir why: no event %s in the spool or the "
		    "history\n", id);
		rc = EX_NOINPUT;
		goto done;
	}
	why_print(cli, id, dir, ev);
done:
	free(id);
	json_object_put(ev);
	history_close(h);
	spool_close(&sp);
	return rc;
}
