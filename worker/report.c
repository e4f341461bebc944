/*
 * Status pages (see report.h): listings of runs, a page per run with its
 * job graph and timeline drawn as inline SVG, and the queue.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "history.h"
#include "hookdir.h"
#include "log.h"
#include "report.h"
#include "spool.h"
#include "status.h"
#include "util.h"
#include "xmalloc.h"

/* The end of a log a run page shows; `hookdir log` has all of it. */
#define REPORT_LOG_MAX		(128 * 1024)
/* Ids of failed/ and cur/ files the queue page lists. */
#define REPORT_QUEUE_LIST	50

/* The graph: node sizes and gaps, in SVG user units (pixels). */
#define G_COL_W		250
#define G_NODE_W	190
#define G_NODE_H	40
#define G_INST_W	170
#define G_INST_H	28
#define G_GROUP_HEAD	26
#define G_GAP		18
#define G_MARGIN	16
/* The timeline: label, bar and duration columns, row height. */
#define T_LABEL_W	240
#define T_BAR_W		560
#define T_DUR_W		90
#define T_ROW_H		22

/* The page colours of a status; one not known is drawn as not begun. */
static const struct status_page_colour *
status_colour(const char *status)
{
	return status_page_colour(status_from_name(status));
}

/* The CSS class word of a status: a run's, or queued (not begun). */
static const char *
status_class(const char *status)
{
	int	rs = status_run_from_name(status);

	return status_name(rs == RS_NONE ? RS_QUEUED : rs);
}

static const char page_css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#212121;"
	"background:#fafafa}"
	"header{background:#263238;color:#eceff1;padding:8px 16px}"
	"header a{color:#eceff1;margin-right:12px;text-decoration:none}"
	"header a.here{text-decoration:underline}"
	"header .brand{font-weight:bold;margin-right:24px}"
	"nav.sub{padding:6px 16px;background:#eceff1;font-size:13px}"
	"nav.sub a{margin-right:10px}"
	"main{padding:8px 16px 32px}"
	"table{border-collapse:collapse;margin:8px 0}"
	"th,td{text-align:left;padding:4px 10px;border-bottom:1px solid #e0e0e0;"
	"vertical-align:top}"
	"th{background:#eceff1;font-weight:600}"
	".badge{display:inline-block;padding:0 8px;border-radius:9px;"
	"font-size:12px;font-weight:600}"
	"code,pre{font:12px/1.35 ui-monospace,monospace}"
	"pre.log{background:#1e1e1e;color:#e0e0e0;padding:8px;overflow:auto;"
	"max-height:480px;white-space:pre-wrap;word-break:break-all}"
	"details{margin:6px 0}summary{cursor:pointer}"
	"section.job{border-left:4px solid #b0bec5;padding-left:10px;"
	"margin:16px 0}"
	".muted{color:#757575}"
	"svg text{font:12px system-ui,sans-serif}";

/* ---------------------------------------------------------------- text */

/*
 * HTML-escape n bytes. Control characters other than tab and newline
 * (terminal colours in a log, say) become U+FFFD: they mean nothing in
 * a page and some would make it invalid.
 */
static void
esc_n(struct buf *b, const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '&':
			buf_addstr(b, "&amp;");
			break;
		case '<':
			buf_addstr(b, "&lt;");
			break;
		case '>':
			buf_addstr(b, "&gt;");
			break;
		case '"':
			buf_addstr(b, "&quot;");
			break;
		case '\'':
			buf_addstr(b, "&#39;");
			break;
		default:
			if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
				buf_addstr(b, "\xef\xbf\xbd");
			else
				buf_addch(b, c);
		}
	}
}

static void
esc(struct buf *b, const char *s)
{
	if (s != NULL)
		esc_n(b, s, strlen(s));
}

/* At most max characters of s (whole UTF-8 sequences), then "…". */
static void
esc_cut(struct buf *b, const char *s, size_t max)
{
	size_t	i, chars = 0;

	if (s == NULL)
		return;
	for (i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == max) {
			esc_n(b, s, i);
			buf_addstr(b, "\xe2\x80\xa6");
			return;
		}
	}
	esc_n(b, s, i);
}

/* RFC 3339 with microseconds to unix seconds; -1 if absent or bad. */
static double
report_time(const char *t)
{
	long long	 sec;
	const char	*frac;
	double		 f = 0, scale = 0.1;

	if (t == NULL || cli_parse_time(t, &sec) == -1)
		return -1;
	if ((frac = strchr(t, '.')) != NULL)
		for (frac++; *frac >= '0' && *frac <= '9'; frac++) {
			f += (*frac - '0') * scale;
			scale /= 10;
		}
	return (double)sec + f;
}

static double
report_now(void)
{
	long long	sec;
	long		usec;

	now_timeval(&sec, &usec);
	return (double)sec + usec / 1e6;
}

/* A duration for people, to the millisecond when short. */
static void
report_duration(struct buf *b, double s)
{
	long long	t;

	if (s < 0)
		s = 0;
	if (s < 1)
		buf_printf(b, "%.0fms", s * 1000);
	else if (s < 10)
		buf_printf(b, "%.2fs", s);
	else if (s < 60)
		buf_printf(b, "%.1fs", s);
	else if ((t = (long long)s) < 3600)
		buf_printf(b, "%lldm %llds", t / 60, t % 60);
	else
		buf_printf(b, "%lldh %lldm", t / 3600, t / 60 % 60);
}

/* From one time to another, or to now when it has not ended; "-". */
static void
report_span(struct buf *b, const char *from, const char *to)
{
	double	a = report_time(from), e = report_time(to);

	if (a < 0) {
		buf_addstr(b, "-");
		return;
	}
	report_duration(b, (e >= 0 ? e : report_now()) - a);
}

/* "2026-11-22T05:00:54.123456Z" as "2026-11-22 05:00:54". */
static void
report_when(struct buf *b, const char *t)
{
	if (t == NULL || strlen(t) < 19)
		buf_addstr(b, "-");
	else {
		esc_n(b, t, 10);
		buf_addch(b, ' ');
		esc_n(b, t + 11, 8);
	}
}

static void
badge(struct buf *b, const char *status)
{
	const struct status_page_colour *c = status_colour(status);

	buf_printf(b, "<span class=\"badge status-%s\" style=\"background:%s;"
	    "color:%s\">", status_class(status), c->fill, c->text);
	esc(b, status != NULL ? status : "queued");
	buf_addstr(b, "</span>");
}

/* Is s a run's status that has not ended (queued, running)? */
static int
status_going(const char *s)
{
	int	rs = status_run_from_name(s);

	return rs != RS_NONE && !status_ended(rs);
}

/* ---------------------------------------------------------------- pages */

struct report {
	struct history		*h;
	struct spool		*sp;
	const char		*dir;
	long			 limit;
	struct json_object	*pipelines;	/* [{name}] */
	int			 failed;
	/*
	 * Which run pages the listings written so far have written: the
	 * index every run with an id >= index_min, the page of status S
	 * every run of S with an id >= status_min[S] (LLONG_MAX: none
	 * yet; 0: all). No list of ids, however many runs are listed.
	 */
	long long		 index_min;
	long long		 status_min[RS_NRUN];
	const long long		*runs;		/* report_write()'s, sorted */
	size_t			 nruns;
};

/*
 * A page being written: a temporary file in dir, renamed over its name
 * when complete, so that a reader never sees half a page. Its text
 * goes to the file whenever the buffer holds PAGE_FLUSH bytes: a
 * listing of every run is written in the memory of a few rows.
 */
#define PAGE_FLUSH	(64 * 1024)

struct page {
	struct buf	b;
	char		tmp[PATH_MAX];
	int		fd;		/* -1: failed (logged) */
};

static void
page_open(struct report *rp, const char *name, struct page *pg)
{
	memset(pg, 0, sizeof(*pg));
	snprintf(pg->tmp, sizeof(pg->tmp), "%s/.%s.XXXXXX", rp->dir, name);
	/* Pages are for the web server to serve: readable by all. */
	if ((pg->fd = mkstemp(pg->tmp)) == -1 || fchmod(pg->fd, 0644) == -1) {
		log_warn("report: %s", pg->tmp);
		if (pg->fd != -1) {
			close(pg->fd);
			unlink(pg->tmp);
		}
		pg->fd = -1;
		rp->failed = 1;
	}
}

/* Write out what the buffer holds (always, or with PAGE_FLUSH bytes). */
static void
page_flush(struct report *rp, struct page *pg, int always)
{
	if (!always && pg->b.len < PAGE_FLUSH)
		return;
	if (pg->fd != -1 && write_all(pg->fd, pg->b.data, pg->b.len) == -1) {
		log_warn("report: %s", pg->tmp);
		close(pg->fd);
		unlink(pg->tmp);
		pg->fd = -1;
		rp->failed = 1;
	}
	buf_reset(&pg->b);
}

static void
page_close(struct report *rp, const char *name, struct page *pg)
{
	char	path[PATH_MAX];

	page_flush(rp, pg, 1);
	buf_release(&pg->b);
	if (pg->fd == -1)
		return;
	snprintf(path, sizeof(path), "%s/%s", rp->dir, name);
	if (close(pg->fd) == -1) {
		log_warn("report: %s", pg->tmp);
		unlink(pg->tmp);
		rp->failed = 1;
	} else if (rename(pg->tmp, path) == -1) {
		log_warn("report: rename to %s", path);
		unlink(pg->tmp);
		rp->failed = 1;
	}
}

/* Write a page made in one buffer. */
static void
page_commit(struct report *rp, const char *name, struct buf *b)
{
	struct page	pg;

	page_open(rp, name, &pg);
	pg.b = *b;
	page_close(rp, name, &pg);
	memset(b, 0, sizeof(*b));
}

static void
page_begin(struct report *rp, struct buf *b, const char *title,
    const char *here, int refresh)
{
	struct json_object	*p;
	const char		*name;
	size_t			 i;

	buf_addstr(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">");
	if (refresh)
		buf_addstr(b, "<meta http-equiv=\"refresh\" content=\"30\">");
	buf_addstr(b, "<title>");
	esc(b, title);
	buf_addstr(b, " - hookdir</title><style>");
	buf_addstr(b, page_css);
	buf_addstr(b, "</style></head><body>\n<header>"
	    "<span class=\"brand\">hookdir</span>");
	buf_printf(b, "<a href=\"index.html\"%s>Runs</a>",
	    strcmp(here, "index") == 0 ? " class=\"here\"" : "");
	buf_printf(b, "<a href=\"queue.html\"%s>Queue</a>",
	    strcmp(here, "queue") == 0 ? " class=\"here\"" : "");
	buf_addstr(b, "</header>\n<nav class=\"sub\">Status: ");
	for (i = 0; i < RS_NRUN; i++)
		buf_printf(b, "<a href=\"status-%s.html\">%s</a>",
		    status_name(i), status_name(i));
	buf_addstr(b, " &middot; Pipeline: ");
	for (i = 0; i < json_object_array_length(rp->pipelines); i++) {
		p = json_object_array_get_idx(rp->pipelines, i);
		name = cli_jtext(p, "name");
		if (!name_is_valid(name))
			continue;
		buf_printf(b, "<a href=\"pipeline-%s.html\">", name);
		esc(b, name);
		buf_addstr(b, "</a>");
	}
	buf_addstr(b, "</nav>\n<main>\n<h1>");
	esc(b, title);
	buf_addstr(b, "</h1>\n");
}

static void
page_end(struct buf *b)
{
	char	now[40];
	long long sec;
	long	usec;

	now_timeval(&sec, &usec);
	format_rfc3339(now, sizeof(now), sec, 0);
	buf_addstr(b, "<p class=\"muted\">Written ");
	report_when(b, now);
	buf_printf(b, " UTC by hookdir %s.</p>\n</main></body></html>\n",
	    PACKAGE_VERSION);
}

/* ---------------------------------------------------------------- listings */

/* One run's row of a listing; the table's head comes before the first. */
static void
runs_row(struct buf *b, struct json_object *r, int first)
{
	const char	*pipeline;

	if (first)
		buf_addstr(b, "<table class=\"runs\"><thead><tr><th>Run</th>"
		    "<th>Status</th><th>Pipeline</th><th>Event</th>"
		    "<th>Source</th><th>Started</th><th>Duration</th></tr>"
		    "</thead><tbody>\n");
	pipeline = cli_jtext(r, "pipeline");
	buf_printf(b, "<tr><td><a href=\"run-%lld.html\">#%lld</a></td>"
	    "<td>", cli_jint(r, "id", 0), cli_jint(r, "id", 0));
	badge(b, cli_jstr(r, "status"));
	buf_addstr(b, "</td><td>");
	if (name_is_valid(pipeline))
		buf_printf(b, "<a href=\"pipeline-%s.html\">", pipeline);
	esc(b, pipeline);
	buf_addstr(b, name_is_valid(pipeline) ? "</a>" : "");
	buf_addstr(b, "</td><td><code>");
	esc_cut(b, cli_jstr(r, "event"), 24);
	buf_addstr(b, "</code></td><td>");
	esc(b, cli_jstr(r, "source"));
	buf_addstr(b, "</td><td>");
	report_when(b, cli_jstr(r, "started") != NULL ?
	    cli_jstr(r, "started") : cli_jstr(r, "created"));
	buf_addstr(b, "</td><td>");
	report_span(b, cli_jstr(r, "started"), cli_jstr(r, "finished"));
	buf_addstr(b, "</td></tr>\n");
}

enum listing_kind {
	LISTING_INDEX,
	LISTING_STATUS,
	LISTING_PIPELINE
};

/* A listing being written, row by row as the history gives them. */
struct listing {
	struct report		*rp;
	struct page		 pg;
	enum listing_kind	 kind;
	long			 n;
	long long		 last;		/* the last (smallest) id listed */
};

static void	run_page(struct report *, long long);

static int
cmp_id(const void *a, const void *b)
{
	long long	x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * Does this row of a listing need its run page written now? Every run
 * a listing shows gets one page (with runs given, only those not ended
 * yet, the given ones being written apart), once: the listings before
 * this one have written the pages of the runs they showed.
 */
static int
listing_wants_page(struct listing *ls, struct json_object *run)
{
	struct report	*rp = ls->rp;
	long long	 id = cli_jint(run, "id", 0);
	int		 s;

	if (id <= 0)
		return 0;
	if (rp->runs != NULL && (!status_going(cli_jstr(run, "status")) ||
	    bsearch(&id, rp->runs, rp->nruns, sizeof(id), cmp_id) != NULL))
		return 0;
	if (ls->kind == LISTING_INDEX)
		return 1;
	if (id >= rp->index_min)
		return 0;
	if (ls->kind == LISTING_STATUS)
		return 1;
	s = status_run_from_name(cli_jtext(run, "status"));
	return s == RS_NONE || id < rp->status_min[s];
}

static int
listing_row(void *arg, struct json_object *run)
{
	struct listing	*ls = arg;

	runs_row(&ls->pg.b, run, ls->n++ == 0);
	ls->last = cli_jint(run, "id", 0);
	page_flush(ls->rp, &ls->pg, 0);
	if (listing_wants_page(ls, run))
		run_page(ls->rp, ls->last);
	return 0;
}

/*
 * One listing page, streamed to its file; the pages of its runs are
 * written as they come. Returns the smallest id the page covers: 0
 * when it lists every run the filter selects, LLONG_MAX on error.
 */
static long long
listing(struct report *rp, const char *file, const char *title,
    const char *here, const struct history_filter *f, enum listing_kind kind)
{
	struct listing	ls;
	int		r = 0;

	memset(&ls, 0, sizeof(ls));
	ls.rp = rp;
	ls.kind = kind;
	page_open(rp, file, &ls.pg);
	page_begin(rp, &ls.pg.b, title, here, 1);
	if (rp->h != NULL && (r = history_runs_each(rp->h, f, listing_row,
	    &ls)) == -1)
		rp->failed = 1;
	buf_addstr(&ls.pg.b, ls.n == 0 ? "<p class=\"muted\">No runs.</p>\n" :
	    "</tbody></table>\n");
	page_end(&ls.pg.b);
	page_close(rp, file, &ls.pg);
	if (r == -1)
		return LLONG_MAX;
	return f->limit == 0 || ls.n < f->limit ? 0 : ls.last;
}

/* ---------------------------------------------------------------- queue */

static void
queue_ids(struct report *rp, struct buf *b, const char *sub,
    const char *what)
{
	char	**ids;
	long	  n, i, from;

	if ((n = spool_list(rp->sp, sub, &ids)) < 0) {
		buf_printf(b, "<p>%s: cannot be read.</p>\n", sub);
		return;
	}
	buf_printf(b, "<h2>%s/ <span class=\"muted\">(%ld)</span></h2>\n",
	    sub, n);
	if (n == 0)
		buf_printf(b, "<p class=\"muted\">No %s.</p>\n", what);
	else {
		/* Newest last in the listing: show the newest. */
		from = n > REPORT_QUEUE_LIST ? n - REPORT_QUEUE_LIST : 0;
		buf_addstr(b, "<ul>\n");
		for (i = n - 1; i >= from; i--) {
			buf_addstr(b, "<li><code>");
			esc(b, ids[i]);
			buf_addstr(b, "</code></li>\n");
		}
		buf_addstr(b, "</ul>\n");
		if (from > 0)
			buf_printf(b, "<p class=\"muted\">and %ld more: "
			    "<code>hookdir ls %s</code></p>\n", from, sub);
	}
	spool_list_free(ids, n);
}

static void
queue_page(struct report *rp)
{
	struct json_object	*o, *counts, *oldest, *runs, *last;
	struct buf		 b = BUF_INIT;
	char			 age[32];
	static const char *const dirs[] = { "new", "cur", "done", "failed" };
	size_t			 i;

	if ((o = cli_status_object(rp->sp, rp->h)) == NULL) {
		rp->failed = 1;
		return;
	}
	counts = json_object_object_get(o, "spool");
	oldest = json_object_object_get(o, "oldest_new");
	runs = json_object_object_get(o, "runs");
	last = json_object_object_get(o, "last_run");
	page_begin(rp, &b, "Queue", "queue", 1);
	buf_addstr(&b, "<table class=\"queue\"><tbody>\n");
	for (i = 0; i < 4; i++)
		buf_printf(&b, "<tr><th>%s/</th><td id=\"count-%s\">%lld</td>"
		    "</tr>\n", dirs[i], dirs[i], cli_jint(counts, dirs[i], -1));
	buf_addstr(&b, "<tr><th>oldest waiting</th><td id=\"oldest\">");
	if (oldest != NULL) {
		cli_format_age(age, sizeof(age), cli_jint(oldest, "age", 0));
		buf_printf(&b, "%s <code>", age);
		esc(&b, cli_jstr(oldest, "id"));
		buf_addstr(&b, "</code>");
	} else
		buf_addstr(&b, "none");
	buf_printf(&b, "</td></tr>\n<tr><th>runs running</th><td>%lld</td></tr>"
	    "\n<tr><th>runs waiting</th><td>%lld</td></tr>\n"
	    "<tr><th>failed runs, 24 h</th><td>%lld</td></tr>\n"
	    "<tr><th>failed events, 24 h</th><td>%lld</td></tr>\n",
	    cli_jint(runs, "running", 0), cli_jint(runs, "queued", 0),
	    cli_jint(runs, "failed_24h", 0),
	    cli_jint(o, "failed_events_24h", 0));
	buf_addstr(&b, "<tr><th>last run</th><td>");
	if (last != NULL) {
		buf_printf(&b, "<a href=\"run-%lld.html\">#%lld</a> ",
		    cli_jint(last, "id", 0), cli_jint(last, "id", 0));
		esc(&b, cli_jstr(last, "pipeline"));
		buf_addch(&b, ' ');
		badge(&b, cli_jstr(last, "status"));
	} else
		buf_addstr(&b, "none");
	buf_addstr(&b, "</td></tr>\n</tbody></table>\n");
	queue_ids(rp, &b, "cur", "claimed events");
	queue_ids(rp, &b, "failed", "dead letters");
	page_end(&b);
	page_commit(rp, "queue.html", &b);
	buf_release(&b);
	json_object_put(o);
}

/* ---------------------------------------------------------------- graph */

/*
 * A box of the graph: a job, or a fanned-out job with its instances
 * ("JOB[0]", "JOB[1]" ...) drawn inside it.
 */
struct gbox {
	char			*name;		/* the job's name in the pipeline */
	struct json_object	*job;		/* its own row; NULL: none */
	struct json_object	*needs;		/* names */
	struct json_object	**inst;
	size_t			 ninst;
	int			 level;
	int			 x, y, w, h;
};

/* "JOB[12]" -> 1 with *len = strlen("JOB"); else 0. */
static int
instance_of(const char *name, size_t *len)
{
	size_t	n = strlen(name), i;

	if (n < 4 || name[n - 1] != ']')
		return 0;
	for (i = n - 2; i > 0 && name[i] >= '0' && name[i] <= '9'; i--)
		;
	if (name[i] != '[' || i == n - 2 || i == 0)
		return 0;
	*len = i;
	return 1;
}

/* The job of that name (the first len bytes of name), or NULL. */
static struct json_object *
gbox_find_job(struct json_object *jobs, const char *name, size_t len)
{
	struct json_object	*j;
	const char		*s;
	size_t			 i;

	for (i = 0; i < json_object_array_length(jobs); i++) {
		j = json_object_array_get_idx(jobs, i);
		s = cli_jtext(j, "name");
		if (strlen(s) == len && strncmp(s, name, len) == 0)
			return j;
	}
	return NULL;
}

static struct gbox *
gbox_find(struct gbox *g, size_t n, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strlen(g[i].name) == len &&
		    strncmp(g[i].name, name, len) == 0)
			return &g[i];
	return NULL;
}

/* The boxes of a run's jobs, in the order the jobs were recorded. */
static struct gbox *
graph_boxes(struct json_object *jobs, size_t *np)
{
	struct json_object	*j;
	struct gbox		*g, *box;
	const char		*name;
	size_t			 n = 0, i, len;
	int			 inst;

	g = xcalloc(json_object_array_length(jobs) + 1, sizeof(*g));
	for (i = 0; i < json_object_array_length(jobs); i++) {
		j = json_object_array_get_idx(jobs, i);
		name = cli_jtext(j, "name");
		if (!(inst = instance_of(name, &len)))
			len = strlen(name);
		if ((box = gbox_find(g, n, name, len)) == NULL) {
			box = &g[n++];
			box->name = xstrndup(name, len);
			box->needs = json_object_object_get(j, "needs");
		}
		if (inst) {
			box->inst = xreallocarray(box->inst, box->ninst + 1,
			    sizeof(*box->inst));
			box->inst[box->ninst++] = j;
		} else {
			box->job = j;
			box->needs = json_object_object_get(j, "needs");
		}
	}
	*np = n;
	return g;
}

static void
graph_free(struct gbox *g, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(g[i].name);
		free(g[i].inst);
	}
	free(g);
}

/*
 * Columns by the longest chain of needs leading to a box; rows in the
 * order the jobs were recorded (the order they could run). Needs of
 * jobs that are not in the run are left out.
 */
static void
graph_layout(struct gbox *g, size_t n, int *width, int *height)
{
	struct gbox	*d;
	const char	*need;
	size_t		 i, k, pass;
	int		 changed, col_y[64], maxlevel = 0;

	for (pass = 0, changed = 1; changed && pass <= n; pass++) {
		changed = 0;
		for (i = 0; i < n; i++)
			for (k = 0; k < json_object_array_length(g[i].needs);
			    k++) {
				need = json_object_get_string(
				    json_object_array_get_idx(g[i].needs, k));
				if (need == NULL || (d = gbox_find(g, n, need,
				    strlen(need))) == NULL || d == &g[i])
					continue;
				if (g[i].level < d->level + 1 &&
				    d->level + 1 < 63) {
					g[i].level = d->level + 1;
					changed = 1;
				}
			}
	}
	memset(col_y, 0, sizeof(col_y));
	for (i = 0; i < n; i++) {
		g[i].w = G_NODE_W;
		g[i].h = g[i].ninst == 0 ? G_NODE_H : G_GROUP_HEAD +
		    (int)g[i].ninst * (G_INST_H + 6) + 4;
		g[i].x = G_MARGIN + g[i].level * G_COL_W;
		g[i].y = G_MARGIN + col_y[g[i].level];
		col_y[g[i].level] += g[i].h + G_GAP;
		if (g[i].level > maxlevel)
			maxlevel = g[i].level;
	}
	*width = 2 * G_MARGIN + maxlevel * G_COL_W + G_NODE_W;
	*height = G_MARGIN;
	for (i = 0; i < 64; i++)
		if (col_y[i] + G_MARGIN > *height)
			*height = col_y[i] + G_MARGIN;
}

/* One node: a link to the job's section, coloured by its status. */
static void
graph_node(struct buf *b, struct json_object *job, const char *label,
    int x, int y, int w, int h, int dashed)
{
	const char			*status = cli_jstr(job, "status");
	const struct status_page_colour	*c = status_colour(status);

	buf_printf(b, "<a href=\"#job-%lld\"><g class=\"node status-%s\" "
	    "data-job=\"", cli_jint(job, "id", 0), status_class(status));
	esc(b, cli_jstr(job, "name"));
	buf_addstr(b, "\"><title>");
	esc(b, cli_jstr(job, "name"));
	buf_addstr(b, ": ");
	esc(b, status);
	buf_printf(b, "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" "
	    "height=\"%d\" rx=\"6\" fill=\"%s\"%s/>", x, y, w, h, c->fill,
	    dashed ? " stroke=\"#455a64\" stroke-dasharray=\"4 3\"" : "");
	buf_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"%s\" "
	    "font-weight=\"600\">", x + 10, y + (h > 30 ? 17 : 18), c->text);
	esc_cut(b, label, 24);
	buf_addstr(b, "</text>");
	if (h > 30) {
		buf_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"%s\">", x + 10,
		    y + 32, c->text);
		esc(b, status);
		buf_addstr(b, "</text>");
	}
	buf_addstr(b, "</g></a>\n");
}

static void
graph_svg(struct buf *b, struct json_object *jobs)
{
	struct gbox	*g, *d;
	const char	*need, *fill;
	size_t		 n, i, k;
	int		 width, height, x1, y1, x2, y2, y;

	if (json_object_array_length(jobs) == 0) {
		buf_addstr(b, "<p class=\"muted\">No jobs were recorded.</p>\n");
		return;
	}
	g = graph_boxes(jobs, &n);
	graph_layout(g, n, &width, &height);
	buf_printf(b, "<svg class=\"dag\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"job graph\">\n<defs><marker id=\"arrow\" "
	    "viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
	    "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" "
	    "fill=\"#78909c\"/></marker></defs>\n", width, height, width,
	    height);
	/* Edges first, under the nodes. */
	for (i = 0; i < n; i++)
		for (k = 0; k < json_object_array_length(g[i].needs); k++) {
			need = json_object_get_string(
			    json_object_array_get_idx(g[i].needs, k));
			if (need == NULL || (d = gbox_find(g, n, need,
			    strlen(need))) == NULL || d == &g[i])
				continue;
			x1 = d->x + d->w;
			y1 = d->y + d->h / 2;
			x2 = g[i].x;
			y2 = g[i].y + g[i].h / 2;
			buf_printf(b, "<path class=\"edge\" data-from=\"");
			esc(b, d->name);
			buf_addstr(b, "\" data-to=\"");
			esc(b, g[i].name);
			buf_printf(b, "\" d=\"M%d,%d C%d,%d %d,%d %d,%d\" "
			    "fill=\"none\" stroke=\"#78909c\" stroke-width=\"1.5\" "
			    "marker-end=\"url(#arrow)\"/>\n", x1, y1,
			    (x1 + x2) / 2, y1, (x1 + x2) / 2, y2, x2, y2);
		}
	for (i = 0; i < n; i++) {
		if (g[i].ninst == 0) {
			if (g[i].job != NULL)
				graph_node(b, g[i].job, g[i].name, g[i].x,
				    g[i].y, g[i].w, g[i].h, 0);
			continue;
		}
		/* A fanned-out job: a group box, its instances inside. */
		fill = status_colour(cli_jstr(g[i].job, "status"))->fill;
		buf_addstr(b, "<g class=\"group\" data-job=\"");
		esc(b, g[i].name);
		buf_printf(b, "\"><rect x=\"%d\" y=\"%d\" width=\"%d\" "
		    "height=\"%d\" rx=\"8\" fill=\"#ffffff\" stroke=\"%s\" "
		    "stroke-width=\"2\"/><text x=\"%d\" y=\"%d\" "
		    "font-weight=\"600\">", g[i].x, g[i].y, g[i].w, g[i].h,
		    fill, g[i].x + 10, g[i].y + 17);
		esc_cut(b, g[i].name, 18);
		buf_printf(b, " &#215;%zu</text></g>\n", g[i].ninst);
		for (k = 0, y = g[i].y + G_GROUP_HEAD; k < g[i].ninst; k++,
		    y += G_INST_H + 6)
			graph_node(b, g[i].inst[k], cli_jtext(g[i].inst[k],
			    "name"), g[i].x + (G_NODE_W - G_INST_W) / 2, y,
			    G_INST_W, G_INST_H, 0);
	}
	buf_addstr(b, "</svg>\n");
	graph_free(g, n);
}

/*
 * The jobs in the order people read them: as recorded (the order they
 * could run), each fanned-out job followed by its instances. A new
 * array of references (the caller puts it).
 */
static struct json_object *
jobs_in_order(struct json_object *jobs)
{
	struct json_object	*out, *j, *k;
	const char		*name, *kname;
	size_t			 i, m, n = json_object_array_length(jobs), len;

	out = json_object_new_array();
	for (i = 0; i < n; i++) {
		j = json_object_array_get_idx(jobs, i);
		name = cli_jtext(j, "name");
		if (instance_of(name, &len) &&
		    gbox_find_job(jobs, name, len) != NULL)
			continue;	/* added after its job */
		json_object_array_add(out, json_object_get(j));
		for (m = 0; m < n; m++) {
			k = json_object_array_get_idx(jobs, m);
			kname = cli_jtext(k, "name");
			if (instance_of(kname, &len) &&
			    len == strlen(name) &&
			    strncmp(kname, name, len) == 0)
				json_object_array_add(out, json_object_get(k));
		}
	}
	return out;
}

/*
 * A step as people name it: its name ("step N" for a step without one,
 * which the history names by its index), and its attempt after the first.
 */
static void
step_label(char *buf, size_t len, struct json_object *step)
{
	const char	*name = cli_jtext(step, "name");
	long long	 attempt = cli_jint(step, "attempt", 1);
	int		 n;

	n = snprintf(buf, len, "%s%s", strspn(name, "0123456789") ==
	    strlen(name) ? "step " : "", name);
	if (attempt > 1 && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, " (attempt %lld)", attempt);
}

/* ---------------------------------------------------------------- timeline */

static void
timeline_row(struct buf *b, int row, int indent, const char *label,
    struct json_object *o, double t0, double scale, double now)
{
	const struct status_page_colour	*c =
	    status_colour(cli_jstr(o, "status"));
	double	s = report_time(cli_jstr(o, "started"));
	double	e = report_time(cli_jstr(o, "finished"));
	int	y = row * T_ROW_H, x, w;

	buf_printf(b, "<text x=\"%d\" y=\"%d\"%s>", 4 + indent, y + 15,
	    indent ? "" : " font-weight=\"600\"");
	esc_cut(b, label, indent ? 30 : 32);
	buf_addstr(b, "</text>");
	if (s < 0) {
		buf_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"#757575\">"
		    "not started</text>\n", T_LABEL_W, y + 15);
		return;
	}
	if (e < 0)
		e = now;
	x = T_LABEL_W + (int)((s - t0) * scale);
	w = (int)((e - s) * scale);
	if (w < 2)
		w = 2;
	buf_printf(b, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%d\" "
	    "height=\"%d\" rx=\"3\" fill=\"%s\"><title>", x, y + 4, w,
	    T_ROW_H - 8, c->fill);
	esc(b, label);
	buf_addstr(b, ": ");
	report_when(b, cli_jstr(o, "started"));
	buf_addstr(b, " to ");
	report_when(b, cli_jstr(o, "finished"));
	buf_printf(b, "</title></rect><text x=\"%d\" y=\"%d\">",
	    T_LABEL_W + T_BAR_W + 8, y + 15);
	report_duration(b, e - s);
	buf_addstr(b, "</text>\n");
}

static void
timeline_svg(struct buf *b, struct json_object *run)
{
	struct json_object	*jobs, *job, *steps, *step;
	double			 t0, t1, now = report_now(), e, scale;
	size_t			 i, k, rows = 0;
	int			 row = 0;
	char			 label[160];

	jobs = json_object_object_get(run, "ordered");
	t0 = report_time(cli_jstr(run, "started"));
	if (t0 < 0)
		t0 = report_time(cli_jstr(run, "created"));
	if (t0 < 0 || json_object_array_length(jobs) == 0)
		return;
	/* The right edge: the run's end, or the latest end seen, or now. */
	if ((t1 = report_time(cli_jstr(run, "finished"))) < 0)
		t1 = now;
	for (i = 0; i < json_object_array_length(jobs); i++) {
		job = json_object_array_get_idx(jobs, i);
		steps = json_object_object_get(job, "steps");
		rows += 1 + json_object_array_length(steps);
		if ((e = report_time(cli_jstr(job, "finished"))) > t1)
			t1 = e;
	}
	if (t1 - t0 < 0.001)
		t1 = t0 + 0.001;
	scale = T_BAR_W / (t1 - t0);
	buf_printf(b, "<h2>Timeline</h2>\n<svg class=\"timeline\" "
	    "xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%zu\" "
	    "viewBox=\"0 0 %d %zu\" role=\"img\" aria-label=\"timeline\">\n"
	    "<rect x=\"%d\" y=\"0\" width=\"%d\" height=\"%zu\" "
	    "fill=\"#f5f5f5\"/>\n", T_LABEL_W + T_BAR_W + T_DUR_W,
	    rows * T_ROW_H, T_LABEL_W + T_BAR_W + T_DUR_W, rows * T_ROW_H,
	    T_LABEL_W, T_BAR_W, rows * T_ROW_H);
	for (i = 0; i < json_object_array_length(jobs); i++) {
		job = json_object_array_get_idx(jobs, i);
		timeline_row(b, row++, 0, cli_jtext(job, "name"), job, t0,
		    scale, now);
		steps = json_object_object_get(job, "steps");
		for (k = 0; k < json_object_array_length(steps); k++) {
			step = json_object_array_get_idx(steps, k);
			step_label(label, sizeof(label), step);
			timeline_row(b, row++, 16, label, step, t0, scale,
			    now);
		}
	}
	buf_addstr(b, "</svg>\n");
}

/* ---------------------------------------------------------------- run */

/* The end of a step's log, escaped; a note when some was left out. */
static void
step_log(struct buf *b, const char *path, long long run, const char *job,
    const char *step)
{
	struct buf	 text = BUF_INIT;
	struct stat	 st;
	off_t		 skip = 0;
	int		 fd;

	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		buf_addstr(b, "<p class=\"muted\">No log.</p>\n");
		return;
	}
	if (fstat(fd, &st) == 0 && st.st_size > REPORT_LOG_MAX) {
		skip = st.st_size - REPORT_LOG_MAX;
		if (lseek(fd, skip, SEEK_SET) == -1)
			skip = 0;
	}
	if (read_fd(fd, &text, REPORT_LOG_MAX + 4096) == -1 && text.len == 0) {
		close(fd);
		buf_addstr(b, "<p class=\"muted\">The log cannot be read.</p>\n");
		buf_release(&text);
		return;
	}
	close(fd);
	if (skip > 0) {
		buf_printf(b, "<p class=\"muted\">The first %lld bytes are left "
		    "out: <code>hookdir log %lld ", (long long)skip, run);
		esc(b, job);
		buf_addch(b, ' ');
		esc(b, step);
		buf_addstr(b, "</code></p>\n");
	}
	buf_addstr(b, "<pre class=\"log\">");
	esc_n(b, text.data, text.len);
	buf_addstr(b, "</pre>\n");
	buf_release(&text);
}

static void
outputs_table(struct buf *b, struct json_object *outputs)
{
	if (outputs == NULL || json_object_object_length(outputs) == 0)
		return;
	buf_addstr(b, "<table class=\"outputs\"><thead><tr><th>output</th>"
	    "<th>value</th></tr></thead><tbody>\n");
	json_object_object_foreach(outputs, key, v) {
		buf_addstr(b, "<tr><td><code>");
		esc(b, key);
		buf_addstr(b, "</code></td><td><code>");
		esc(b, json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) : json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN));
		buf_addstr(b, "</code></td></tr>\n");
	}
	buf_addstr(b, "</tbody></table>\n");
}

static void
job_section(struct buf *b, long long run, struct json_object *job,
    int open_all)
{
	struct json_object	*steps, *step;
	const char		*status = cli_jstr(job, "status");
	char			 label[160];
	size_t			 k;

	buf_printf(b, "<section class=\"job\" id=\"job-%lld\" style=\""
	    "border-color:%s\"><h3>", cli_jint(job, "id", 0),
	    status_colour(status)->fill);
	esc(b, cli_jstr(job, "name"));
	buf_addch(b, ' ');
	badge(b, status);
	buf_addstr(b, " <span class=\"muted\">");
	report_span(b, cli_jstr(job, "started"), cli_jstr(job, "finished"));
	buf_addstr(b, "</span></h3>\n");
	if (cli_jstr(job, "reason") != NULL) {
		buf_addstr(b, "<p class=\"reason\">");
		esc(b, cli_jstr(job, "reason"));
		buf_addstr(b, "</p>\n");
	}
	outputs_table(b, json_object_object_get(job, "outputs"));
	steps = json_object_object_get(job, "steps");
	for (k = 0; k < json_object_array_length(steps); k++) {
		step = json_object_array_get_idx(steps, k);
		status = cli_jstr(step, "status");
		buf_printf(b, "<details class=\"step\"%s><summary>",
		    open_all || (status != NULL && strcmp(status, "success") &&
		    strcmp(status, "skipped")) ? " open" : "");
		step_label(label, sizeof(label), step);
		esc(b, label);
		buf_addch(b, ' ');
		badge(b, status);
		if (cli_jstr(step, "exit_code") != NULL)
			buf_printf(b, " exit %lld", cli_jint(step, "exit_code",
			    0));
		if (cli_jstr(step, "signal") != NULL)
			buf_printf(b, " signal %lld", cli_jint(step, "signal",
			    0));
		buf_addstr(b, " <span class=\"muted\">");
		report_span(b, cli_jstr(step, "started"),
		    cli_jstr(step, "finished"));
		buf_addstr(b, "</span></summary>\n");
		if (cli_jstr(step, "reason") != NULL) {
			buf_addstr(b, "<p class=\"reason\">");
			esc(b, cli_jstr(step, "reason"));
			buf_addstr(b, "</p>\n");
		}
		step_log(b, cli_jstr(step, "log"), run, cli_jtext(job, "name"),
		    cli_jtext(step, "name"));
		buf_addstr(b, "</details>\n");
	}
	buf_addstr(b, "</section>\n");
}

static void
run_page(struct report *rp, long long id)
{
	struct json_object	*run, *jobs;
	struct buf		 b = BUF_INIT;
	char			 title[64], file[64];
	size_t			 i, nsteps = 0;
	int			 r;

	if ((r = history_run_get(rp->h, id, &run)) != 1) {
		if (r == -1)
			rp->failed = 1;
		return;
	}
	snprintf(title, sizeof(title), "Run #%lld", id);
	snprintf(file, sizeof(file), "run-%lld.html", id);
	page_begin(rp, &b, title, "run", !status_ended(
	    status_from_name(cli_jstr(run, "status"))));
	buf_addstr(&b, "<table class=\"run\"><tbody>\n<tr><th>status</th><td>");
	badge(&b, cli_jstr(run, "status"));
	buf_addstr(&b, "</td></tr>\n<tr><th>pipeline</th><td>");
	if (name_is_valid(cli_jtext(run, "pipeline")))
		buf_printf(&b, "<a href=\"pipeline-%s.html\">%s</a>",
		    cli_jtext(run, "pipeline"), cli_jtext(run, "pipeline"));
	buf_addstr(&b, "</td></tr>\n<tr><th>event</th><td><code>");
	esc(&b, cli_jstr(run, "event"));
	buf_addstr(&b, "</code> <span class=\"muted\">(<code>hookdir show ");
	esc(&b, cli_jstr(run, "event"));
	buf_addstr(&b, "</code>)</span></td></tr>\n<tr><th>source</th><td>");
	esc(&b, cli_jstr(run, "source"));
	if (cli_jstr(run, "triggered_by") != NULL) {
		buf_addstr(&b, "</td></tr>\n<tr><th>triggered by</th><td>");
		esc(&b, cli_jstr(run, "triggered_by"));
		if (cli_jstr(run, "user") != NULL) {
			buf_addstr(&b, " (");
			esc(&b, cli_jstr(run, "user"));
			buf_addstr(&b, ")");
		}
	}
	buf_addstr(&b, "</td></tr>\n<tr><th>created</th><td>");
	report_when(&b, cli_jstr(run, "created"));
	buf_addstr(&b, "</td></tr>\n<tr><th>started</th><td>");
	report_when(&b, cli_jstr(run, "started"));
	buf_addstr(&b, "</td></tr>\n<tr><th>finished</th><td>");
	report_when(&b, cli_jstr(run, "finished"));
	buf_addstr(&b, "</td></tr>\n<tr><th>duration</th><td>");
	report_span(&b, cli_jstr(run, "started"), cli_jstr(run, "finished"));
	buf_printf(&b, "</td></tr>\n<tr><th>attempt</th><td>%lld</td></tr>\n",
	    cli_jint(run, "attempt", 1));
	if (cli_jstr(run, "reason") != NULL) {
		buf_addstr(&b, "<tr><th>reason</th><td class=\"reason\">");
		esc(&b, cli_jstr(run, "reason"));
		buf_addstr(&b, "</td></tr>\n");
	}
	buf_addstr(&b, "</tbody></table>\n<h2>Jobs</h2>\n");
	graph_svg(&b, json_object_object_get(run, "jobs"));
	jobs = jobs_in_order(json_object_object_get(run, "jobs"));
	json_object_object_add(run, "ordered", jobs);
	timeline_svg(&b, run);
	buf_addstr(&b, "<h2>Logs</h2>\n");
	for (i = 0; i < json_object_array_length(jobs); i++)
		nsteps += json_object_array_length(json_object_object_get(
		    json_object_array_get_idx(jobs, i), "steps"));
	for (i = 0; i < json_object_array_length(jobs); i++)
		job_section(&b, id, json_object_array_get_idx(jobs, i),
		    nsteps <= 8);
	page_end(&b);
	page_commit(rp, file, &b);
	buf_release(&b);
	json_object_put(run);
}

/* ---------------------------------------------------------------- all */

/*
 * Remove the pages of runs the history no longer has (`hookdir gc`
 * forgot them): nothing links to them any more.
 */
static void
report_prune(struct report *rp)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[PATH_MAX], tail[8];
	long long	 id;
	int		 known;

	if ((d = opendir(rp->dir)) == NULL) {
		log_warn("report: %s", rp->dir);
		rp->failed = 1;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (sscanf(de->d_name, "run-%lld%7s", &id, tail) != 2 ||
		    strcmp(tail, ".html") != 0 || id <= 0)
			continue;
		if ((known = history_run_known(rp->h, id)) == -1) {
			rp->failed = 1;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", rp->dir, de->d_name);
		if (known == 0 && unlink(path) == -1 && errno != ENOENT) {
			log_warn("report: %s", path);
			rp->failed = 1;
		}
	}
	closedir(d);
}

int
report_write(struct history *h, struct spool *sp, const char *dir,
    long limit, const long long *runs, size_t nruns)
{
	struct history_filter	 f;
	struct json_object	*p;
	struct report		 rp;
	const char		*name;
	char			 file[128], title[128];
	long long		*ids = NULL;
	size_t			 i, n = 0;

	if (mkdir_p(dir, 0755) == -1) {
		log_warn("report: %s", dir);
		return -1;
	}
	memset(&rp, 0, sizeof(rp));
	rp.h = h;
	rp.sp = sp;
	rp.dir = dir;
	rp.limit = limit;
	if (h == NULL)
		rp.pipelines = json_object_new_array();
	else if ((rp.pipelines = history_pipelines(h)) == NULL)
		return -1;
	/* The given runs, each once: their pages are written below. */
	if (runs != NULL) {
		ids = xcalloc(nruns + 1, sizeof(*ids));
		for (i = 0; i < nruns; i++)
			if (runs[i] > 0)
				ids[n++] = runs[i];
		qsort(ids, n, sizeof(*ids), cmp_id);
		rp.runs = ids;
		rp.nruns = n;
	}
	rp.index_min = LLONG_MAX;
	for (i = 0; i < RS_NRUN; i++)
		rp.status_min[i] = LLONG_MAX;

	memset(&f, 0, sizeof(f));
	f.limit = limit;
	rp.index_min = listing(&rp, "index.html", "Recent runs", "index", &f,
	    LISTING_INDEX);
	for (i = 0; i < RS_NRUN; i++) {
		f.status = status_name(i);
		snprintf(file, sizeof(file), "status-%s.html", f.status);
		snprintf(title, sizeof(title), "Runs: %s", f.status);
		rp.status_min[i] = listing(&rp, file, title, "status", &f,
		    LISTING_STATUS);
	}
	f.status = NULL;
	for (i = 0; i < json_object_array_length(rp.pipelines); i++) {
		p = json_object_array_get_idx(rp.pipelines, i);
		name = cli_jtext(p, "name");
		/* Names come from pipelines/NAME.json: checked all the same. */
		if (!name_is_valid(name))
			continue;
		f.pipeline = name;
		snprintf(file, sizeof(file), "pipeline-%s.html", name);
		snprintf(title, sizeof(title), "Pipeline %s", name);
		listing(&rp, file, title, "pipeline", &f, LISTING_PIPELINE);
	}
	queue_page(&rp);

	for (i = 0; i < n; i++)
		if (i == 0 || ids[i] != ids[i - 1])
			run_page(&rp, ids[i]);
	free(ids);
	if (runs == NULL && h != NULL)
		report_prune(&rp);
	json_object_put(rp.pipelines);
	return rp.failed ? -1 : 0;
}
