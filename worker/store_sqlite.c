/*
 * The SQLite backend of the store (see store.h): the history in
 * state/hookdir.db. Every SQL statement of this backend is in this file.
 *
 * Several worker processes write at once, and the hookdir command reads
 * while they do: the database runs in WAL mode with a busy timeout, and
 * a read-modify-write (claiming an event, dedup) happens inside one
 * BEGIN IMMEDIATE transaction, which takes the write lock up front so
 * that two workers cannot both decide an event is new.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sqlite3.h>

#include "event.h"
#include "history.h"
#include "store.h"
#include "status.h"
#include "util.h"
#include "xmalloc.h"

#include "schema.h"

#define HISTORY_DB		"hookdir.db"
#define HISTORY_BUSY_MS		10000
#define nitems(a)		(sizeof(a) / sizeof((a)[0]))

/*
 * The tables' (a quoted list) CHECK (status IN (...)), whatever its
 * spacing, replaced with check (SQL text that gives one).
 */
#define MIGRATE_CHECK(tables, check) \
	"UPDATE sqlite_master SET sql = substr(sql, 1, instr(sql, " \
	"'CHECK (status IN (') - 1) || " check " || substr(sql, " \
	"instr(sql, 'CHECK (status IN (') + instr(substr(sql, " \
	"instr(sql, 'CHECK (status IN (')), '))') + 1) " \
	"WHERE type = 'table' AND name IN (" tables ") AND " \
	"instr(sql, 'CHECK (status IN (') > 0;\n"

/*
 * Migrations: entry i brings a database from user_version i to i + 1.
 * Version 1 is share/schema.sql. A new version is one more entry here
 * (ALTER TABLE ..., new tables), never an edit of an earlier one.
 */
static const char *const history_migrations[] = {
	schema_sql,
	/*
	 * Version 2: chained pipelines. A run `hookdir cancel` asked to
	 * stop, the concurrency group a run holds, the attempt a step row
	 * records (retries add rows). A cut event (past max_chain_depth)
	 * keeps status 'done', which gc forgets as usual, with cut = 1:
	 * the CHECK on status cannot change without rebuilding the table.
	 */
	"ALTER TABLE runs ADD COLUMN cancel_requested INTEGER NOT NULL "
	"DEFAULT 0;\n"
	"ALTER TABLE runs ADD COLUMN concurrency_group TEXT;\n"
	"ALTER TABLE steps ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;\n"
	"ALTER TABLE events ADD COLUMN cut INTEGER NOT NULL DEFAULT 0;\n",
	/*
	 * Version 3: the status pages draw a run's job graph as it ran,
	 * not as the pipeline file says now: each job keeps its `needs`
	 * (a JSON array of job names).
	 */
	"ALTER TABLE jobs ADD COLUMN needs TEXT;\n",
	/*
	 * Version 4: a running step's process group and the identity of
	 * its leader (start time in clock ticks after boot, and the boot
	 * id), so that the worker recovering a dead worker's event ends
	 * what still runs of it, and never a process that got the pid
	 * later.
	 */
	"ALTER TABLE steps ADD COLUMN pgid INTEGER;\n"
	"ALTER TABLE steps ADD COLUMN pgid_start INTEGER;\n"
	"ALTER TABLE steps ADD COLUMN boot_id TEXT;\n",
	/*
	 * Version 5 (dedup keys): an event is a duplicate when an earlier
	 * one from its source has the same dedup_key (what the sender
	 * says stays the same across its retries: a header, or a value
	 * in the body such as Kiket's and Stripe's "id"), within the
	 * dedup window; dedup_rule says which rule found the key. The
	 * delivery id stays what the responder wrote, for show and why;
	 * it is no longer unique per source (a source may turn dedup
	 * off, and a key past its window runs again). Events from before
	 * keep their delivery id as their key.
	 * And what started a run (webhook, manual, dispatch, event) and,
	 * for `hookdir run`, the Unix user who ran it; runs from before
	 * have NULL in both.
	 */
	"DROP INDEX events_delivery;\n"
	"CREATE INDEX events_delivery ON events (source, delivery) "
	"WHERE delivery <> '';\n"
	"ALTER TABLE events ADD COLUMN dedup_key TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE events ADD COLUMN dedup_rule TEXT;\n"
	"UPDATE events SET dedup_key = delivery, dedup_rule = 'delivery id' "
	"WHERE delivery <> '';\n"
	"CREATE INDEX events_dedup ON events (source, dedup_key) "
	"WHERE duplicate_of IS NULL AND dedup_key <> '';\n"
	"ALTER TABLE runs ADD COLUMN triggered_by TEXT;\n"
	"ALTER TABLE runs ADD COLUMN triggered_user TEXT;\n",
	/*
	 * Version 6 (several hosts): the host that last claimed an event,
	 * and the host a run and its jobs ran on (and so where their logs
	 * are). NULL for what came before.
	 */
	"ALTER TABLE events ADD COLUMN host TEXT;\n"
	"ALTER TABLE runs ADD COLUMN host TEXT;\n"
	"ALTER TABLE jobs ADD COLUMN host TEXT;\n",
	/* Version 7: each host's lease, which its workers keep renewing. */
	"CREATE TABLE leases (\n"
	"	host		TEXT PRIMARY KEY,\n"
	"	renewed		TEXT NOT NULL,\n"
	"	expires		TEXT NOT NULL\n"
	");\n",
	/*
	 * Version 8: the CHECKs on status are comparisons instead of IN
	 * lists, which SQLite built as a temporary b-tree at every insert
	 * or update of a status (a quarter of the worker's time per
	 * event). The rows on disk do not change, as only an equivalent
	 * constraint replaces each: SQLite's documented way is to edit
	 * sqlite_master's text (ALTER TABLE, "making other kinds of table
	 * schema changes"); hist_migrate() then bumps schema_version.
	 */
	"PRAGMA writable_schema = ON;\n"
	MIGRATE_CHECK("'events'",
	    "'CHECK (status = ''processing'' OR "
	    "status = ''done'' OR status = ''failed'' OR "
	    "status = ''duplicate'')'")
	MIGRATE_CHECK("'runs', 'jobs', 'steps'",
	    "'CHECK (status = ''queued'' OR "
	    "status = ''running'' OR status = ''success'' OR "
	    "status = ''failure'' OR status = ''skipped'' OR "
	    "status = ''cancelled'' OR "
	    "status = ''timed_out'' OR "
	    "status = ''interrupted'')'")
	"PRAGMA writable_schema = OFF;\n",
	/*
	 * Version 9: runs_finished holds only the runs that finished,
	 * the ones its queries (finished >= ?) look for: a run's start
	 * no longer writes an index page for its NULL.
	 */
	"DROP INDEX runs_finished;\n"
	"CREATE INDEX runs_finished ON runs (finished) "
	"WHERE finished IS NOT NULL;\n",
	/*
	 * Version 10: fewer pages written per event. events_finished
	 * holds only the events that finished, as runs_finished does:
	 * claiming an event no longer writes an entry for its NULL, nor
	 * finishing it removes one from another page. gc's other kind
	 * of event, one that ended but whose finished was cleared
	 * (requeued), is found through events_unfinished, which no event
	 * is in while it is processed or once it finished. traces is
	 * keyed by (event, pipeline) itself, WITHOUT ROWID: one b-tree
	 * where a rowid table and its primary key index were two.
	 * runs_status has the newest runs of a status first: a run that
	 * ends moves from `running` to the start of its new status's
	 * range, next to it (on the same page, mostly), where its end
	 * used to write a page at the far end of that range as well.
	 */
	"DROP INDEX events_finished;\n"
	"CREATE INDEX events_finished ON events (finished) "
	"WHERE finished IS NOT NULL;\n"
	"CREATE INDEX events_unfinished ON events "
	"(coalesce(claimed, received)) "
	"WHERE finished IS NULL AND status IN ('done', 'duplicate');\n"
	"CREATE TABLE traces_v10 (\n"
	"	event		TEXT NOT NULL REFERENCES events (id) "
	"ON DELETE CASCADE,\n"
	"	pipeline	TEXT NOT NULL,\n"
	"	matched		INTEGER NOT NULL,\n"
	"	trace		TEXT NOT NULL DEFAULT '',\n"
	"	PRIMARY KEY (event, pipeline)\n"
	") WITHOUT ROWID;\n"
	"INSERT INTO traces_v10 (event, pipeline, matched, trace) "
	"SELECT event, pipeline, matched, trace FROM traces;\n"
	"DROP TABLE traces;\n"
	"ALTER TABLE traces_v10 RENAME TO traces;\n"
	"DROP INDEX runs_status;\n"
	"CREATE INDEX runs_status ON runs (status, id DESC);\n",
};

/* Prepared statements, cached per handle. */
enum hist_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_USER_VERSION,
	ST_SCHEMA_VERSION,
	ST_EVENT_FIND,
	ST_EVENT_FIND_KEY,
	ST_EVENT_INSERT,
	ST_EVENT_RECOVER,
	ST_STEPS_INTERRUPT,
	ST_JOBS_INTERRUPT,
	ST_RUNS_INTERRUPT,
	ST_EVENT_UNREADABLE,
	ST_EVENT_TRACE,
	ST_EVENT_FINISH,
	ST_EVENT_REQUEUE,
	ST_RUN_CREATE,
	ST_RUN_SET,
	ST_JOB_CREATE,
	ST_JOB_SET,
	ST_STEP_CREATE,
	ST_STEP_SET,
	ST_RUN_GET,
	ST_JOBS_OF_RUN,
	ST_STEPS_OF_JOB,
	ST_EVENT_GET,
	ST_TRACES_OF_EVENT,
	ST_COUNT_RUNS_STATUS,
	ST_COUNT_RUNS_FAILED,
	ST_COUNT_EVENTS_FAILED,
	ST_GC_RUNS,
	ST_RUN_KNOWN,
	ST_GC_EVENTS_COUNT,
	ST_GC_EVENTS_DELETE,
	ST_RUN_CANCEL_REQUEST,
	ST_RUN_CANCEL_REQUESTED,
	ST_RUN_SET_GROUP,
	ST_EVENT_PROCS,
	ST_GROUP_OTHER,
	ST_GROUP_CANCEL_OTHERS,
	ST_GROUP_SUPERSEDE,
	ST_GROUP_END_SELF,
	ST_GROUP_STATUS,
	ST_GROUP_BLOCKER,
	ST_GROUP_START,
	ST_PIPELINES,
	ST_EVENT_CAME_BACK,
	ST_EVENTS_BY_DELIVERY,
	ST_LEASE_RENEW,
	ST_HOST_ALIVE,
	ST_MAX
};

#define RUN_COLUMNS \
	"id, event, pipeline, status, created, started, finished, reason, " \
	"attempt, (SELECT source FROM events WHERE events.id = runs.event), " \
	"triggered_by, triggered_user, host"
#define RUN_NOT_ENDED	"('queued', 'running')"
/*
 * Events gc may forget: ended before ?1 (finished, else claimed or
 * received), and none of their runs still going. Spelt so that SQLite
 * finds them through events_finished and events_unfinished (whose
 * WHERE the second term repeats, so that SQLite may use that partial
 * index): the last batch of a gc, and one that finds nothing, read
 * only the old events, not the whole table while holding the write
 * lock.
 */
#define GC_EVENTS_WHERE \
	"status IN ('done', 'duplicate') AND (finished < ?1 OR " \
	"(finished IS NULL AND status IN ('done', 'duplicate') AND " \
	"coalesce(claimed, received) < ?1)) AND " \
	"NOT EXISTS " \
	"(SELECT 1 FROM runs WHERE runs.event = events.id AND " \
	"runs.status IN " RUN_NOT_ENDED ")"

static const char *const hist_sql[ST_MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_USER_VERSION] = "PRAGMA user_version",
	[ST_SCHEMA_VERSION] = "PRAGMA schema_version",
	[ST_EVENT_FIND] =
	    "SELECT status, requeued, duplicate_of FROM events WHERE id = ?1",
	/*
	 * The terms of events_dedup's WHERE are repeated so that SQLite
	 * may use that partial index; without them it scans the table for
	 * every event. An original counts while it was received within
	 * the window (?5 ms) before this event (?4). The latest, by max():
	 * SQLite takes the bare id from the row max() chose, with no
	 * temporary b-tree as ORDER BY ... LIMIT 1 built at every event;
	 * HAVING leaves no row when none matched.
	 */
	[ST_EVENT_FIND_KEY] =
	    "SELECT id, max(coalesce(received, claimed)) FROM events "
	    "WHERE source = ?1 AND dedup_key = ?2 "
	    "AND duplicate_of IS NULL AND dedup_key <> '' AND id <> ?3 "
	    "AND (?5 IS NULL OR coalesce(received, claimed) >= strftime("
	    "'%Y-%m-%dT%H:%M:%fZ', coalesce(julianday(?4), "
	    "julianday('now')) - ?5 / 86400000.0)) "
	    "HAVING count(*) > 0",
	[ST_EVENT_INSERT] =
	    "INSERT INTO events (id, source, provider, type, delivery, "
	    "received, claimed, status, duplicate_of, dedup_key, dedup_rule, "
	    "host) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	/*
	 * A file recorded as unreadable has no source or delivery id yet:
	 * fill them in now that it parses (it was mended and requeued),
	 * unless another event already holds that delivery id.
	 */
	[ST_EVENT_RECOVER] =
	    "UPDATE events SET attempts = attempts + 1, claimed = ?2, "
	    "status = ?3, finished = NULL, reason = NULL, host = ?11, "
	    "provider = CASE WHEN source = '' THEN ?5 ELSE provider END, "
	    "type = CASE WHEN source = '' THEN ?6 ELSE type END, "
	    "received = CASE WHEN source = '' THEN ?8 ELSE received END, "
	    "delivery = CASE WHEN source = '' AND NOT EXISTS (SELECT 1 FROM "
	    "events e WHERE e.source = ?4 AND e.delivery = ?7 AND "
	    "e.duplicate_of IS NULL AND e.delivery <> '' AND e.id <> ?1) "
	    "THEN ?7 ELSE delivery END, "
	    "dedup_key = CASE WHEN source = '' THEN ?9 ELSE dedup_key END, "
	    "dedup_rule = CASE WHEN source = '' THEN ?10 ELSE dedup_rule "
	    "END, "
	    "source = CASE WHEN source = '' THEN ?4 ELSE source END "
	    "WHERE id = ?1",
	[ST_STEPS_INTERRUPT] =
	    "UPDATE steps SET status = 'interrupted', finished = ?2, "
	    "reason = coalesce(reason, ?3) WHERE run IN "
	    "(SELECT id FROM runs WHERE event = ?1) "
	    "AND status IN " RUN_NOT_ENDED,
	[ST_JOBS_INTERRUPT] =
	    "UPDATE jobs SET status = 'interrupted', finished = ?2, "
	    "reason = coalesce(reason, ?3) WHERE run IN "
	    "(SELECT id FROM runs WHERE event = ?1) "
	    "AND status IN " RUN_NOT_ENDED,
	[ST_RUNS_INTERRUPT] =
	    "UPDATE runs SET status = 'interrupted', finished = ?2, "
	    "reason = coalesce(reason, ?3) WHERE event = ?1 "
	    "AND status IN " RUN_NOT_ENDED,
	[ST_EVENT_UNREADABLE] =
	    "INSERT INTO events (id, claimed, finished, status, reason) "
	    "VALUES (?1, ?2, ?2, 'failed', ?3) ON CONFLICT (id) DO UPDATE "
	    "SET claimed = excluded.claimed, finished = excluded.finished, "
	    "status = 'failed', reason = excluded.reason",
	[ST_EVENT_TRACE] =
	    "INSERT OR REPLACE INTO traces (event, pipeline, matched, trace) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[ST_EVENT_FINISH] =
	    "UPDATE events SET status = ?2, reason = ?3, finished = ?4, "
	    "cut = ?5 WHERE id = ?1",
	/*
	 * finished = NULL tells the claim that comes next (see
	 * ST_EVENT_CAME_BACK) that this requeue is already counted.
	 */
	[ST_EVENT_REQUEUE] =
	    "UPDATE events SET requeued = requeued + 1, finished = NULL "
	    "WHERE id = ?1",
	[ST_RUN_CREATE] =
	    "INSERT INTO runs (event, pipeline, status, created, started, "
	    "attempt, triggered_by, triggered_user, host) "
	    "VALUES (?1, ?2, ?7, ?3, CASE WHEN ?7 = 'running' THEN ?3 END, "
	    "coalesce((SELECT attempts FROM events WHERE id = ?1), 1), "
	    "?4, ?5, ?6)",
	[ST_RUN_SET] =
	    "UPDATE runs SET status = ?2, reason = coalesce(?3, reason), "
	    "started = CASE WHEN ?2 = 'running' THEN coalesce(started, ?4) "
	    "ELSE started END, "
	    "finished = CASE WHEN ?5 THEN ?4 ELSE finished END WHERE id = ?1",
	[ST_JOB_CREATE] =
	    "INSERT INTO jobs (run, name, status, needs, host) "
	    "VALUES (?1, ?2, 'queued', ?3, ?4)",
	[ST_JOB_SET] =
	    "UPDATE jobs SET status = ?2, reason = coalesce(?3, reason), "
	    "started = CASE WHEN ?2 = 'running' THEN coalesce(started, ?4) "
	    "ELSE started END, "
	    "finished = CASE WHEN ?5 THEN ?4 ELSE finished END, "
	    "outputs = coalesce(?6, outputs) WHERE id = ?1",
	[ST_STEP_CREATE] =
	    "INSERT INTO steps (run, job, idx, name, log, attempt, status, "
	    "started, finished, reason, pgid, pgid_start, boot_id) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_STEP_SET] =
	    "UPDATE steps SET status = ?2, reason = coalesce(?3, reason), "
	    "started = CASE WHEN ?2 = 'running' THEN coalesce(started, ?4) "
	    "ELSE started END, "
	    "finished = CASE WHEN ?5 THEN ?4 ELSE finished END, "
	    "exit_code = coalesce(?6, exit_code), "
	    "signal = coalesce(?7, signal) WHERE id = ?1",
	[ST_RUN_GET] =
	    "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?1",
	[ST_JOBS_OF_RUN] =
	    "SELECT id, name, status, started, finished, reason, outputs, "
	    "needs FROM jobs WHERE run = ?1 ORDER BY id",
	[ST_STEPS_OF_JOB] =
	    "SELECT id, idx, name, status, exit_code, signal, started, "
	    "finished, reason, log, attempt FROM steps WHERE job = ?1 "
	    "ORDER BY idx, id",
	[ST_EVENT_GET] =
	    "SELECT id, source, provider, type, delivery, received, claimed, "
	    "finished, CASE WHEN cut THEN 'cut' ELSE status END, "
	    "duplicate_of, reason, attempts, requeued, dedup_key, dedup_rule, "
	    "host FROM events WHERE id = ?1",
	[ST_TRACES_OF_EVENT] =
	    "SELECT pipeline, matched, trace FROM traces WHERE event = ?1 "
	    "ORDER BY pipeline",
	[ST_COUNT_RUNS_STATUS] =
	    "SELECT count(*) FROM runs WHERE status = ?1",
	/*
	 * By runs_finished, the runs of the last day: the unary + keeps
	 * SQLite from walking runs_status instead, every failure ever.
	 */
	[ST_COUNT_RUNS_FAILED] =
	    "SELECT count(*) FROM runs WHERE +status IN "
	    "('failure', 'timed_out', 'interrupted') AND finished >= ?1",
	[ST_COUNT_EVENTS_FAILED] =
	    "SELECT count(*) FROM events WHERE status = 'failed' "
	    "AND finished >= ?1",
	/* A batch of gc's cursor: ?2 the last id of the batch before. */
	[ST_GC_RUNS] =
	    "SELECT id FROM runs WHERE id > ?2 AND status NOT IN "
	    RUN_NOT_ENDED " AND coalesce(finished, created) < ?1 "
	    "ORDER BY id LIMIT ?3",
	[ST_RUN_KNOWN] = "SELECT 1 FROM runs WHERE id = ?1",
	[ST_GC_EVENTS_COUNT] =
	    "SELECT count(*) FROM events WHERE " GC_EVENTS_WHERE,
	[ST_GC_EVENTS_DELETE] =
	    "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE "
	    GC_EVENTS_WHERE " LIMIT ?2)",
	[ST_RUN_CANCEL_REQUEST] =
	    "UPDATE runs SET cancel_requested = 1 WHERE id = ?1 AND "
	    "status IN " RUN_NOT_ENDED,
	[ST_RUN_CANCEL_REQUESTED] =
	    "SELECT cancel_requested FROM runs WHERE id = ?1",
	[ST_RUN_SET_GROUP] =
	    "UPDATE runs SET concurrency_group = ?2 WHERE id = ?1",
	[ST_EVENT_PROCS] =
	    "SELECT pgid, pgid_start, boot_id FROM steps WHERE run IN "
	    "(SELECT id FROM runs WHERE event = ?1 AND status IN "
	    RUN_NOT_ENDED ") AND status IN " RUN_NOT_ENDED
	    " AND pgid IS NOT NULL ORDER BY id",
	/* Concurrency groups: ?1 the run deciding, ?2 its group. */
	[ST_GROUP_OTHER] =
	    "SELECT id FROM runs WHERE concurrency_group = ?2 AND id <> ?1 "
	    "AND status IN " RUN_NOT_ENDED " ORDER BY id LIMIT 1",
	[ST_GROUP_CANCEL_OTHERS] =
	    "UPDATE runs SET cancel_requested = 1, reason = ?3 "
	    "WHERE concurrency_group = ?2 AND id <> ?1 AND status IN "
	    RUN_NOT_ENDED,
	[ST_GROUP_SUPERSEDE] =
	    "UPDATE runs SET status = 'skipped', finished = ?4, reason = ?3 "
	    "WHERE concurrency_group = ?2 AND id <> ?1 AND status = 'queued'",
	[ST_GROUP_END_SELF] =
	    "UPDATE runs SET status = 'skipped', finished = ?4, reason = ?3 "
	    "WHERE id = ?1",
	[ST_GROUP_STATUS] =
	    "SELECT status FROM runs WHERE id = ?1",
	/* Runs go one at a time, older waiting ones first. */
	[ST_GROUP_BLOCKER] =
	    "SELECT id FROM runs WHERE concurrency_group = ?2 AND id <> ?1 "
	    "AND (status = 'running' OR (status = 'queued' AND id < ?1)) "
	    "ORDER BY id LIMIT 1",
	[ST_GROUP_START] =
	    "UPDATE runs SET status = 'running', "
	    "started = coalesce(started, ?4) WHERE id = ?1",
	/*
	 * The names in runs_pipeline, one index seek each (a loose index
	 * scan), not a walk over every run.
	 */
	[ST_PIPELINES] =
	    "WITH RECURSIVE p(name) AS (SELECT min(pipeline) FROM runs "
	    "UNION ALL SELECT (SELECT min(pipeline) FROM runs "
	    "WHERE pipeline > p.name) FROM p WHERE p.name IS NOT NULL) "
	    "SELECT name FROM p WHERE name IS NOT NULL",
	/*
	 * An event that had ended, claimed from new/ again: someone put
	 * it back. Counted here unless `hookdir requeue` counted it (it
	 * clears finished). Comparisons, not an IN list, which SQLite
	 * builds as a temporary b-tree at every claim.
	 */
	[ST_EVENT_CAME_BACK] =
	    "UPDATE events SET requeued = requeued + (finished IS NOT NULL), "
	    "finished = NULL WHERE id = ?1 AND (status = 'done' OR "
	    "status = 'failed' OR status = 'duplicate')",
	[ST_EVENTS_BY_DELIVERY] =
	    "SELECT id, source, type, status, received FROM events "
	    "WHERE (delivery = ?1 OR dedup_key = ?1) AND ?1 <> '' "
	    "ORDER BY coalesce(received, claimed) DESC, id DESC",
	[ST_LEASE_RENEW] =
	    "INSERT INTO leases (host, renewed, expires) VALUES (?1, ?2, ?3) "
	    "ON CONFLICT (host) DO UPDATE SET renewed = excluded.renewed, "
	    "expires = excluded.expires",
	[ST_HOST_ALIVE] =
	    "SELECT expires > ?2 FROM leases WHERE host = ?1",
};

/* The runs listings: one statement for each set of filters and order. */
#define RUNS_VARIANTS	16

struct sq_store {
	struct history	 h;		/* first: a struct history * is one */
	sqlite3		*db;
	sqlite3_stmt	*st[ST_MAX];
	sqlite3_stmt	*runs_st[RUNS_VARIANTS];
};

static inline struct sq_store *
sq(struct history *h)
{
	return (struct sq_store *)h;
}

/*
 * How long to wait for a lock another connection holds. The tests that
 * hold one on purpose (t/t3030-fault-sqlite.sh) shorten the wait with
 * HOOKDIR_TEST_BUSY_MS; it is not meant for anything else.
 */
static int
hist_busy_ms(void)
{
	const char	*e = getenv("HOOKDIR_TEST_BUSY_MS");
	char		*end;
	long		 ms;

	if (e == NULL || *e == '\0')
		return HISTORY_BUSY_MS;
	ms = strtol(e, &end, 10);
	if (*end != '\0' || ms < 0 || ms > HISTORY_BUSY_MS)
		return HISTORY_BUSY_MS;
	return (int)ms;
}

static void
hist_now(char buf[40])
{
	long long	sec;
	long		usec;

	now_timeval(&sec, &usec);
	format_rfc3339(buf, 40, sec, usec);
}

/* Record the database's error for what we were doing; -1. */
static int
hist_dberr(struct history *h, const char *what)
{
	return store_dberr(h, "%s: %s", what, sqlite3_errmsg(sq(h)->db));
}

static sqlite3_stmt *
hist_stmt(struct history *h, enum hist_stmt id)
{
	if (sq(h)->st[id] == NULL && sqlite3_prepare_v3(sq(h)->db, hist_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &sq(h)->st[id], NULL) != SQLITE_OK) {
		hist_dberr(h, hist_sql[id]);
		sq(h)->st[id] = NULL;
		return NULL;
	}
	return sq(h)->st[id];
}

static void
hist_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* s as ?i, or NULL; SQLite copies it (SQLITE_TRANSIENT) or not. */
static void
bind_text_as(sqlite3_stmt *st, int i, const char *s,
    sqlite3_destructor_type how)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, how);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	bind_text_as(st, i, s, SQLITE_TRANSIENT);
}

/*
 * The same without SQLite's copy of s: only for a statement that
 * hist_run() or hist_done() clears before the function binding it
 * returns, while s is still there.
 */
static void
bind_text_now(sqlite3_stmt *st, int i, const char *s)
{
	bind_text_as(st, i, s, SQLITE_STATIC);
}

/* Run a statement that returns no rows: 0, or -1 with the error recorded. */
static int
hist_run(struct history *h, sqlite3_stmt *st, const char *what)
{
	int	rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		hist_dberr(h, what);
		hist_done(st);
		return -1;
	}
	hist_done(st);
	return 0;
}

static int
hist_exec(struct history *h, enum hist_stmt id, const char *what)
{
	sqlite3_stmt	*st;

	if ((st = hist_stmt(h, id)) == NULL)
		return -1;
	return hist_run(h, st, what);
}

static void
hist_rollback(struct history *h)
{
	char	saved[sizeof(h->err)];

	/* Keep the error that made us roll back, not the rollback's own. */
	memcpy(saved, h->err, sizeof(saved));
	if (sqlite3_get_autocommit(sq(h)->db) == 0)
		hist_exec(h, ST_ROLLBACK, "rollback");
	memcpy(h->err, saved, sizeof(saved));
}

/* A one-integer query: 0 with *out, or -1. */
static int
hist_count(struct history *h, enum hist_stmt id, const char *arg,
    long long *out)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = hist_stmt(h, id)) == NULL)
		return -1;
	if (arg != NULL)
		bind_text(st, 1, arg);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		hist_dberr(h, hist_sql[id]);
		hist_done(st);
		return -1;
	}
	*out = sqlite3_column_int64(st, 0);
	hist_done(st);
	return 0;
}

/*
 * Bring the schema to the newest version. Readers of an up-to-date
 * database never take the write lock; otherwise the version is read
 * again under BEGIN IMMEDIATE, so that two processes opening a fresh
 * database at once apply each migration once.
 */
static int
hist_migrate(struct history *h)
{
	long long	v, sv;
	char		*msg = NULL;
	size_t		 n = nitems(history_migrations);

	if (hist_count(h, ST_USER_VERSION, NULL, &v) == -1)
		return -1;
	if (v == (long long)n)
		return 0;
	if (hist_exec(h, ST_BEGIN, "begin migration") == -1)
		return -1;
	if (hist_count(h, ST_USER_VERSION, NULL, &v) == -1)
		goto fail;
	if (v < 0 || v > (long long)n) {
		store_seterr(h, "the database has schema version %lld; this "
		    "hookdir knows versions up to %zu", v, n);
		goto fail;
	}
	for (; v < (long long)n; v++) {
		char	*pragma;

		if (sqlite3_exec(sq(h)->db, history_migrations[v], NULL, NULL,
		    &msg) != SQLITE_OK) {
			store_seterr(h, "migration to schema version %lld: %s",
			    v + 1, msg ? msg : sqlite3_errmsg(sq(h)->db));
			sqlite3_free(msg);
			goto fail;
		}
		/*
		 * And one more schema_version: a migration that edits
		 * sqlite_master's text needs it to make every connection
		 * read the schema again (for the others it is one more).
		 */
		if (hist_count(h, ST_SCHEMA_VERSION, NULL, &sv) == -1)
			goto fail;
		xasprintf(&pragma, "PRAGMA user_version = %lld; "
		    "PRAGMA schema_version = %lld", v + 1, sv + 1);
		if (sqlite3_exec(sq(h)->db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
			free(pragma);
			hist_dberr(h, "setting the schema version");
			goto fail;
		}
		free(pragma);
	}
	if (hist_exec(h, ST_COMMIT, "commit migration") == -1)
		goto fail;
	return 0;
fail:
	hist_rollback(h);
	return -1;
}

/* A setting of this connection. */
static int
hist_pragma(struct history *h, const char *sql)
{
	if (sqlite3_exec(sq(h)->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return hist_dberr(h, sql);
	return 0;
}

/*
 * WAL is a property of the file, set once. Switching to it needs a
 * moment alone with the database, and SQLite answers SQLITE_BUSY at
 * once instead of calling the busy handler while another connection is
 * opening the same fresh file: so wait and retry here, for up to the
 * busy timeout.
 */
static int
hist_wal(struct history *h)
{
	sqlite3_stmt		*st;
	const unsigned char	*mode;
	int			 rc, waited = 0;

	for (;;) {
		if (sqlite3_prepare_v2(sq(h)->db, "PRAGMA journal_mode = WAL", -1,
		    &st, NULL) != SQLITE_OK)
			rc = sqlite3_extended_errcode(sq(h)->db);
		else {
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW) {
				mode = sqlite3_column_text(st, 0);
				rc = mode != NULL && strcmp((const char *)mode,
				    "wal") == 0 ? SQLITE_OK : SQLITE_BUSY;
			}
			sqlite3_finalize(st);
		}
		if (rc == SQLITE_OK)
			return 0;
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			return hist_dberr(h, "setting WAL mode");
		if (waited >= hist_busy_ms()) {
			store_seterr(h, "setting WAL mode: the database stayed "
			    "busy for %d ms", hist_busy_ms());
			return -1;
		}
		usleep(20 * 1000);
		waited += 20;
	}
}

static const struct store_ops sq_ops;
static void	sq_close(struct history *);
static int	sq_txn_begin(struct history *);

struct history *
store_sqlite_open(const char *state_dir, int create, char **errp)
{
	struct history	*h;
	char		*path;
	int		 fd, rc;

	*errp = NULL;
	xasprintf(&path, "%s/%s", state_dir, HISTORY_DB);
	h = &((struct sq_store *)xcalloc(1, sizeof(struct sq_store)))->h;
	h->ops = &sq_ops;
	if (create) {
		if (mkdir_p(state_dir, 0700) == -1) {
			xasprintf(errp, "%s: %s", state_dir, strerror(errno));
			goto fail;
		}
		/*
		 * Create the file ourselves so that it is 0600 whatever the
		 * umask; SQLite gives its -wal and -shm files the same mode.
		 */
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST) {
			xasprintf(errp, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (fd != -1)
			close(fd);
	}
	/*
	 * hookdir has no threads: SQLite needs no mutex, around the
	 * connection or its allocator. Only SQLite's first use can set
	 * it; a later call is refused and the mutexes stay, as before.
	 */
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	rc = sqlite3_open_v2(path, &sq(h)->db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		xasprintf(errp, "%s: %s", path, sq(h)->db ?
		    sqlite3_errmsg(sq(h)->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(sq(h)->db, 1);
	sqlite3_busy_timeout(sq(h)->db, hist_busy_ms());
	if (hist_wal(h) == -1 ||
	    hist_pragma(h, "PRAGMA synchronous = NORMAL") == -1 ||
	    hist_pragma(h, "PRAGMA foreign_keys = ON") == -1 ||
	    hist_migrate(h) == -1) {
		xasprintf(errp, "%s: %s", path, h->err);
		goto fail;
	}
	free(path);
	return h;
fail:
	free(path);
	sq_close(h);
	return NULL;
}

static void
sq_close(struct history *h)
{
	size_t	i;

	for (i = 0; i < ST_MAX; i++)
		if (sq(h)->st[i] != NULL)
			sqlite3_finalize(sq(h)->st[i]);
	for (i = 0; i < RUNS_VARIANTS; i++)
		if (sq(h)->runs_st[i] != NULL)
			sqlite3_finalize(sq(h)->runs_st[i]);
	if (sq(h)->db != NULL)
		sqlite3_close(sq(h)->db);
	free(sq(h));
}

static unsigned long
hist_fullscans(sqlite3_stmt *const *v, size_t n)
{
	unsigned long	sum = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		if (v[i] != NULL)
			sum += (unsigned long)sqlite3_stmt_status(v[i],
			    SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
	return sum;
}

static unsigned long
sq_scan_steps(struct history *h)
{
	return hist_fullscans(sq(h)->st, ST_MAX) +
	    hist_fullscans(sq(h)->runs_st, RUNS_VARIANTS);
}

static const char *
nonnull(const char *s)
{
	return s != NULL ? s : "";
}

/* Runs, jobs and steps left queued or running by a dead worker. */
static int
hist_interrupt(struct history *h, const char *event_id, const char *now)
{
	static const enum hist_stmt	 which[] = {
		ST_STEPS_INTERRUPT, ST_JOBS_INTERRUPT, ST_RUNS_INTERRUPT
	};
	static const char		*reason =
	    "the worker stopped before it ended; the event was claimed again";
	sqlite3_stmt			*st;
	size_t				 i;

	for (i = 0; i < nitems(which); i++) {
		if ((st = hist_stmt(h, which[i])) == NULL)
			return -1;
		bind_text(st, 1, event_id);
		bind_text(st, 2, now);
		bind_text(st, 3, reason);
		if (hist_run(h, st, "marking interrupted runs") == -1)
			return -1;
	}
	return 0;
}

/*
 * The event's id is already recorded: its worker died (the file was
 * recovered from cur/), or `hookdir requeue` put it back. Either way it
 * is a new attempt, except for an event recorded as a duplicate that
 * nobody requeued: a dead worker's duplicate is still a duplicate.
 */
static int
hist_event_again(struct history *h, const struct event *ev, const char *now,
    sqlite3_stmt *found, char **dup_of)
{
	const char	*id = ev->id;
	sqlite3_stmt	*st;
	const char	*status, *dup;
	int		 duplicate;

	status = (const char *)sqlite3_column_text(found, 0);
	dup = (const char *)sqlite3_column_text(found, 2);
	duplicate = status != NULL && strcmp(status, "duplicate") == 0 &&
	    sqlite3_column_int64(found, 1) == 0;
	if (duplicate && dup != NULL)
		*dup_of = xstrdup(dup);
	hist_done(found);

	if (!duplicate && hist_interrupt(h, id, now) == -1)
		return -1;
	if ((st = hist_stmt(h, ST_EVENT_RECOVER)) == NULL)
		return -1;
	bind_text(st, 1, id);
	bind_text(st, 2, now);
	bind_text(st, 3, duplicate ? "duplicate" : "processing");
	bind_text(st, 4, nonnull(ev->source));
	bind_text(st, 5, nonnull(ev->provider));
	bind_text(st, 6, nonnull(ev->type));
	bind_text(st, 7, nonnull(ev->delivery));
	bind_text(st, 8, ev->received != NULL && *ev->received != '\0' ?
	    ev->received : NULL);
	bind_text(st, 9, ev->dedup_key != NULL ? ev->dedup_key :
	    nonnull(ev->delivery));
	bind_text(st, 10, ev->dedup_rule);
	bind_text(st, 11, store_host(h));
	if (hist_run(h, st, "recording a new attempt") == -1)
		return -1;
	return duplicate ? EVENT_DUPLICATE : EVENT_RECOVERED;
}

static int
sq_event_begin(struct history *h, const struct event *ev, char **dup_of)
{
	sqlite3_stmt	*st;
	const char	*delivery = nonnull(ev->delivery);
	/* Without event_dedup, the delivery id is the key. */
	const char	*key = ev->dedup_key != NULL ? ev->dedup_key :
			    delivery;
	char		 now[40];
	int		 rc, r = EVENT_NEW, began;

	*dup_of = NULL;
	hist_now(now);
	/* The caller's transaction, if one is open (see store.h). */
	if ((began = sq_txn_begin(h)) == -1)
		goto fail;

	if ((st = hist_stmt(h, ST_EVENT_FIND)) == NULL)
		goto fail;
	bind_text_now(st, 1, ev->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if ((r = hist_event_again(h, ev, now, st, dup_of)) == -1)
			goto fail;
		goto commit;
	}
	if (rc != SQLITE_DONE) {
		hist_dberr(h, "looking the event up");
		hist_done(st);
		goto fail;
	}
	hist_done(st);

	if (*key != '\0') {
		if ((st = hist_stmt(h, ST_EVENT_FIND_KEY)) == NULL)
			goto fail;
		bind_text_now(st, 1, nonnull(ev->source));
		bind_text_now(st, 2, key);
		bind_text_now(st, 3, ev->id);
		bind_text_now(st, 4, ev->received != NULL &&
		    *ev->received != '\0' ? ev->received : now);
		if (ev->dedup_window_ms > 0)
			sqlite3_bind_int64(st, 5, ev->dedup_window_ms);
		else
			sqlite3_bind_null(st, 5);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*dup_of = xstrdup((const char *)
			    sqlite3_column_text(st, 0));
			r = EVENT_DUPLICATE;
		} else if (rc != SQLITE_DONE) {
			hist_dberr(h, "looking the delivery id up");
			hist_done(st);
			goto fail;
		}
		hist_done(st);
	}

	if ((st = hist_stmt(h, ST_EVENT_INSERT)) == NULL)
		goto fail;
	bind_text_now(st, 1, ev->id);
	bind_text_now(st, 2, nonnull(ev->source));
	bind_text_now(st, 3, nonnull(ev->provider));
	bind_text_now(st, 4, nonnull(ev->type));
	bind_text_now(st, 5, delivery);
	bind_text_now(st, 6, ev->received != NULL && *ev->received != '\0' ?
	    ev->received : NULL);
	bind_text_now(st, 7, now);
	bind_text_now(st, 8, r == EVENT_DUPLICATE ? "duplicate" : "processing");
	bind_text_now(st, 9, *dup_of);
	bind_text_now(st, 10, key);
	bind_text_now(st, 11, ev->dedup_key != NULL ? ev->dedup_rule :
	    *delivery != '\0' ? "delivery id" : NULL);
	bind_text_now(st, 12, store_host(h));
	if (hist_run(h, st, "recording the event") == -1)
		goto fail;
commit:
	if (began && hist_exec(h, ST_COMMIT, "commit") == -1)
		goto fail;
	return r;
fail:
	hist_rollback(h);
	free(*dup_of);
	*dup_of = NULL;
	return -1;
}

static int
sq_event_unreadable(struct history *h, const char *id,
    const char *reason)
{
	sqlite3_stmt	*st;
	char		 now[40];

	hist_now(now);
	if ((st = hist_stmt(h, ST_EVENT_UNREADABLE)) == NULL)
		return -1;
	bind_text(st, 1, id);
	bind_text(st, 2, now);
	bind_text(st, 3, reason);
	if (hist_run(h, st, "recording an unreadable event") == -1)
		return -1;
	return 0;
}

static int
sq_event_trace(struct history *h, const char *event_id,
    const char *pipeline, int matched, const char *trace)
{
	sqlite3_stmt	*st;

	if ((st = hist_stmt(h, ST_EVENT_TRACE)) == NULL)
		return -1;
	bind_text_now(st, 1, event_id);
	bind_text_now(st, 2, pipeline);
	sqlite3_bind_int(st, 3, matched != 0);
	bind_text_now(st, 4, nonnull(trace));
	if (hist_run(h, st, "recording a trigger trace") == -1)
		return -1;
	return 0;
}

/* After an UPDATE by id: did it find its row? */
static int
hist_changed(struct history *h, const char *what, const char *kind,
    const char *id)
{
	if (sqlite3_changes(sq(h)->db) == 0) {
		store_seterr(h, "%s: no such %s %s", what, kind, id);
		return -1;
	}
	return 0;
}

static int
sq_event_finish(struct history *h, const char *event_id,
    const char *status, const char *reason)
{
	sqlite3_stmt	*st;
	char		 now[40];

	int		 cut;

	/* "cut" is stored as done + cut (see the migrations) */
	cut = strcmp(status, "cut") == 0;
	if (cut)
		status = "done";
	else if (strcmp(status, "done") != 0 && strcmp(status, "failed") != 0 &&
	    strcmp(status, "duplicate") != 0) {
		store_seterr(h, "event %s: no event status `%s`", event_id,
		    status);
		return -1;
	}
	hist_now(now);
	if ((st = hist_stmt(h, ST_EVENT_FINISH)) == NULL)
		return -1;
	bind_text_now(st, 1, event_id);
	bind_text_now(st, 2, status);
	bind_text_now(st, 3, reason);
	bind_text_now(st, 4, now);
	sqlite3_bind_int(st, 5, cut);
	if (hist_run(h, st, "finishing an event") == -1)
		return -1;
	return hist_changed(h, "finishing an event", "event", event_id);
}

/* An UPDATE of one event by id: 1 it changed the row, 0 not, -1 error. */
static int
hist_event_update(struct history *h, enum hist_stmt which,
    const char *event_id, const char *what)
{
	sqlite3_stmt	*st;

	if ((st = hist_stmt(h, which)) == NULL)
		return -1;
	bind_text_now(st, 1, event_id);
	if (hist_run(h, st, what) == -1)
		return -1;
	return sqlite3_changes(sq(h)->db) > 0;
}

static int
sq_event_requeue(struct history *h, const char *event_id)
{
	return hist_event_update(h, ST_EVENT_REQUEUE, event_id,
	    "recording a requeue") == -1 ? -1 : 0;
}

static int
sq_event_came_back(struct history *h, const char *event_id)
{
	return hist_event_update(h, ST_EVENT_CAME_BACK, event_id,
	    "recording a requeue");
}

static long long
sq_run_create(struct history *h, const char *event_id,
    const char *pipeline, const char *triggered_by, const char *user,
    enum run_status status)
{
	sqlite3_stmt	*st;
	char		 now[40];

	hist_now(now);
	if ((st = hist_stmt(h, ST_RUN_CREATE)) == NULL)
		return -1;
	bind_text_now(st, 1, event_id);
	bind_text_now(st, 2, pipeline);
	bind_text_now(st, 3, now);
	if (triggered_by != NULL)
		bind_text_now(st, 4, triggered_by);
	if (user != NULL && *user != '\0')
		bind_text_now(st, 5, user);
	bind_text_now(st, 6, store_host(h));
	bind_text_now(st, 7, status_name(status));
	if (hist_run(h, st, "creating a run") == -1)
		return -1;
	return sqlite3_last_insert_rowid(sq(h)->db);
}

static long long
sq_job_create(struct history *h, long long run, const char *name,
    char *const *needs, size_t nneeds)
{
	struct json_object	*a;
	sqlite3_stmt		*st;
	size_t			 i;
	int			 r;

	if ((st = hist_stmt(h, ST_JOB_CREATE)) == NULL)
		return -1;
	a = json_object_new_array();
	for (i = 0; i < nneeds; i++)
		json_object_array_add(a, json_object_new_string(needs[i]));
	sqlite3_bind_int64(st, 1, run);
	bind_text_now(st, 2, name);
	bind_text_now(st, 3, json_object_to_json_string_ext(a,
	    JSON_C_TO_STRING_PLAIN));
	bind_text_now(st, 4, store_host(h));
	r = hist_run(h, st, "creating a job");
	json_object_put(a);
	if (r == -1)
		return -1;
	return sqlite3_last_insert_rowid(sq(h)->db);
}

static long long
sq_step_create(struct history *h, const struct history_step *s)
{
	sqlite3_stmt	*st;
	char		 now[40];

	if ((unsigned)s->status >= RS_NRUN) {
		store_seterr(h, "step %s: no status %d", s->name,
		    (int)s->status);
		return -1;
	}
	if ((st = hist_stmt(h, ST_STEP_CREATE)) == NULL)
		return -1;
	hist_now(now);
	sqlite3_bind_int64(st, 1, s->run);
	sqlite3_bind_int64(st, 2, s->job);
	sqlite3_bind_int(st, 3, s->index);
	bind_text_now(st, 4, s->name);
	bind_text_now(st, 5, s->log_path);
	sqlite3_bind_int(st, 6, s->attempt);
	bind_text_now(st, 7, status_name(s->status));
	bind_text_now(st, 8, s->status != RS_QUEUED ? now : NULL);
	bind_text_now(st, 9, status_ended(s->status) ? now : NULL);
	bind_text_now(st, 10, s->reason);
	if (s->pgid > 0) {
		sqlite3_bind_int64(st, 11, s->pgid);
		sqlite3_bind_int64(st, 12, s->start);
		bind_text_now(st, 13, s->boot);
	}
	if (hist_run(h, st, "creating a step") == -1)
		return -1;
	return sqlite3_last_insert_rowid(sq(h)->db);
}

/*
 * The common part of setting a run's, job's or step's status: ?1 id,
 * ?2 status, ?3 reason, ?4 now, ?5 whether the status is final.
 */
static sqlite3_stmt *
hist_status_stmt(struct history *h, enum hist_stmt id, const char *what,
    long long row, enum run_status status, const char *reason)
{
	sqlite3_stmt	*st;
	char		 now[40];

	if ((unsigned)status >= RS_NRUN) {
		store_seterr(h, "%s %lld: no status %d", what, row,
		    (int)status);
		return NULL;
	}
	if ((st = hist_stmt(h, id)) == NULL)
		return NULL;
	hist_now(now);
	sqlite3_bind_int64(st, 1, row);
	bind_text_now(st, 2, status_name(status));
	bind_text_now(st, 3, reason);
	/* Copied: now is gone when the caller steps the statement. */
	bind_text(st, 4, now);
	sqlite3_bind_int(st, 5, status_ended(status));
	return st;
}

static int
hist_status_run(struct history *h, sqlite3_stmt *st, const char *what,
    const char *kind, long long row)
{
	char	idbuf[32];

	if (hist_run(h, st, what) == -1)
		return -1;
	snprintf(idbuf, sizeof(idbuf), "%lld", row);
	return hist_changed(h, what, kind, idbuf);
}

static int
sq_run_set(struct history *h, long long run, enum run_status status,
    const char *reason)
{
	sqlite3_stmt	*st;

	st = hist_status_stmt(h, ST_RUN_SET, "run", run, status, reason);
	if (st == NULL)
		return -1;
	return hist_status_run(h, st, "setting a run's status", "run", run);
}

static int
sq_job_set(struct history *h, long long job, enum run_status status,
    const char *reason, const char *outputs)
{
	sqlite3_stmt	*st;

	st = hist_status_stmt(h, ST_JOB_SET, "job", job, status, reason);
	if (st == NULL)
		return -1;
	bind_text(st, 6, outputs);
	return hist_status_run(h, st, "setting a job's status", "job", job);
}

static int
sq_step_set(struct history *h, long long step,
    enum run_status status, int exit_code, int signal, const char *reason)
{
	sqlite3_stmt	*st;

	st = hist_status_stmt(h, ST_STEP_SET, "step", step, status, reason);
	if (st == NULL)
		return -1;
	if (exit_code >= 0)
		sqlite3_bind_int(st, 6, exit_code);
	if (signal >= 0)
		sqlite3_bind_int(st, 7, signal);
	return hist_status_run(h, st, "setting a step's status", "step",
	    step);
}

/* ---------------------------------------------------------------- queries */

/* A column as a json-c value: NULL (JSON null) for SQL NULL. */
static struct json_object *
col_json(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		return NULL;
	case SQLITE_INTEGER:
		return json_object_new_int64(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_object_new_double(sqlite3_column_double(st, i));
	default:
		return json_object_new_string_len(
		    (const char *)sqlite3_column_text(st, i),
		    sqlite3_column_bytes(st, i));
	}
}

/* The current row as an object, with the given names for its columns. */
static struct json_object *
row_json(sqlite3_stmt *st, const char *const *names)
{
	struct json_object	*o;
	int			 i;

	o = json_object_new_object();
	for (i = 0; names[i] != NULL; i++)
		json_object_object_add(o, names[i], col_json(st, i));
	return o;
}


static int
hist_steps_of_job(struct history *h, long long job, struct json_object *arr)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = hist_stmt(h, ST_STEPS_OF_JOB)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, job);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_object_array_add(arr, row_json(st, store_step_fields));
	if (rc != SQLITE_DONE) {
		hist_dberr(h, "reading steps");
		hist_done(st);
		return -1;
	}
	hist_done(st);
	return 0;
}

/* The jobs of a run into run["jobs"]; with their steps if with_steps. */
static int
hist_jobs_of_run(struct history *h, struct json_object *run, int with_steps)
{
	struct json_object	*jobs, *job, *out, *steps;
	sqlite3_stmt		*st;
	const char		*text;
	size_t			 i;
	int			 rc;

	if ((st = hist_stmt(h, ST_JOBS_OF_RUN)) == NULL)
		return -1;
	jobs = json_object_new_array();
	json_object_object_add(run, "jobs", jobs);
	sqlite3_bind_int64(st, 1, json_object_get_int64(
	    json_object_object_get(run, "id")));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		job = row_json(st, store_job_fields);
		text = (const char *)sqlite3_column_text(st, 6);
		out = text != NULL ? json_tokener_parse(text) : NULL;
		if (out == NULL || !json_object_is_type(out, json_type_object)) {
			json_object_put(out);
			out = json_object_new_object();
		}
		json_object_object_add(job, "outputs", out);
		/* Rows from before schema version 3 have no needs. */
		text = (const char *)sqlite3_column_text(st, 7);
		out = text != NULL ? json_tokener_parse(text) : NULL;
		if (out == NULL || !json_object_is_type(out, json_type_array)) {
			json_object_put(out);
			out = json_object_new_array();
		}
		json_object_object_add(job, "needs", out);
		json_object_array_add(jobs, job);
	}
	if (rc != SQLITE_DONE) {
		hist_dberr(h, "reading jobs");
		hist_done(st);
		return -1;
	}
	hist_done(st);
	if (!with_steps)
		return 0;
	/* The jobs statement is reset: now each job's steps. */
	for (i = 0; i < json_object_array_length(jobs); i++) {
		job = json_object_array_get_idx(jobs, i);
		steps = json_object_new_array();
		json_object_object_add(job, "steps", steps);
		if (hist_steps_of_job(h, json_object_get_int64(
		    json_object_object_get(job, "id")), steps) == -1)
			return -1;
	}
	return 0;
}

/*
 * The runs listing for a filter: only the filters that are set are in
 * the statement, so that SQLite walks the index that answers them
 * (runs_pipeline, runs_status, runs_event, or the table by id) in the
 * order asked and stops at the limit: `runs -n 20` reads 20 rows, not
 * the history. One cached statement per combination.
 */
static sqlite3_stmt *
hist_runs_stmt(struct history *h, const struct history_filter *f)
{
	sqlite3_stmt	**st;
	char		 *sql;
	unsigned	  v;

	v = (f->pipeline != NULL) | (f->status != NULL) << 1 |
	    (f->event != NULL) << 2 | (f->oldest_first != 0) << 3;
	st = &sq(h)->runs_st[v];
	if (*st != NULL)
		return *st;
	xasprintf(&sql, "SELECT " RUN_COLUMNS " FROM runs WHERE 1%s%s%s "
	    "ORDER BY id %s LIMIT ?4", v & 1 ? " AND pipeline = ?1" : "",
	    v & 2 ? " AND status = ?2" : "", v & 4 ? " AND event = ?3" : "",
	    v & 8 ? "ASC" : "DESC");
	if (sqlite3_prepare_v3(sq(h)->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    st, NULL) != SQLITE_OK) {
		hist_dberr(h, "listing runs");
		*st = NULL;
	}
	free(sql);
	return *st;
}

static int
sq_runs_each(struct history *h, const struct history_filter *f,
    int with_jobs, history_row_fn *fn, void *arg)
{
	struct json_object	*run;
	sqlite3_stmt		*st;
	int			 rc, r = 0;

	if ((st = hist_runs_stmt(h, f)) == NULL)
		return -1;
	bind_text(st, 1, f->pipeline);
	bind_text(st, 2, f->status);
	bind_text(st, 3, f->event);
	sqlite3_bind_int64(st, 4, f->limit > 0 ? f->limit : -1);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		run = row_json(st, store_run_fields);
		if (with_jobs && hist_jobs_of_run(h, run, 0) == -1)
			r = -1;
		else
			r = fn(arg, run);
		json_object_put(run);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = hist_dberr(h, "reading runs");
	hist_done(st);
	return r;
}

/* Every row of a bound statement, one object at a time, to fn. */
static int
hist_rows_each(struct history *h, sqlite3_stmt *st, const char *const *names,
    const char *what, history_row_fn *fn, void *arg)
{
	struct json_object	*o;
	int			 rc, r = 0;

	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		o = row_json(st, names);
		r = fn(arg, o);
		json_object_put(o);
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = hist_dberr(h, what);
	hist_done(st);
	return r;
}

static int
sq_pipelines_each(struct history *h, history_row_fn *fn, void *arg)
{
	static const char *const names[] = { "name", NULL };
	sqlite3_stmt		*st;

	if ((st = hist_stmt(h, ST_PIPELINES)) == NULL)
		return -1;
	return hist_rows_each(h, st, names, "reading pipelines", fn, arg);
}

static int
sq_events_by_delivery_each(struct history *h, const char *delivery,
    history_row_fn *fn, void *arg)
{
	static const char *const names[] = {
		"id", "source", "type", "status", "received", NULL
	};
	sqlite3_stmt		*st;

	if ((st = hist_stmt(h, ST_EVENTS_BY_DELIVERY)) == NULL)
		return -1;
	bind_text(st, 1, delivery);
	return hist_rows_each(h, st, names, "looking a delivery id up", fn,
	    arg);
}

/* The one row of a bound statement: 1 (*o), 0 none, -1. */
static int
hist_one_row(struct history *h, sqlite3_stmt *st, const char *const *names,
    const char *what, struct json_object **o)
{
	int	rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*o = row_json(st, names);
	else if (rc != SQLITE_DONE)
		hist_dberr(h, what);
	hist_done(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
sq_run_get(struct history *h, long long run, struct json_object **out)
{
	struct json_object	*o;
	sqlite3_stmt		*st;
	int			 rc;

	*out = NULL;
	if ((st = hist_stmt(h, ST_RUN_GET)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, run);
	if ((rc = hist_one_row(h, st, store_run_fields, "reading a run", &o)) != 1)
		return rc;
	if (hist_jobs_of_run(h, o, 1) == -1) {
		json_object_put(o);
		return -1;
	}
	*out = o;
	return 1;
}

static int
sq_event_get(struct history *h, const char *event_id,
    struct json_object **out)
{
	struct json_object	*o, *traces, *t;
	sqlite3_stmt		*st;
	int			 rc;

	*out = NULL;
	if ((st = hist_stmt(h, ST_EVENT_GET)) == NULL)
		return -1;
	bind_text(st, 1, event_id);
	if ((rc = hist_one_row(h, st, store_event_fields, "reading an event",
	    &o)) != 1)
		return rc;

	if ((st = hist_stmt(h, ST_TRACES_OF_EVENT)) == NULL)
		goto fail;
	traces = json_object_new_array();
	json_object_object_add(o, "traces", traces);
	bind_text(st, 1, event_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t = json_object_new_object();
		json_object_object_add(t, "pipeline", col_json(st, 0));
		json_object_object_add(t, "matched", json_object_new_boolean(
		    sqlite3_column_int(st, 1)));
		json_object_object_add(t, "trace", col_json(st, 2));
		json_object_array_add(traces, t);
	}
	if (rc != SQLITE_DONE) {
		hist_dberr(h, "reading traces");
		hist_done(st);
		goto fail;
	}
	hist_done(st);
	*out = o;
	return 1;
fail:
	json_object_put(o);
	return -1;
}

static int
sq_counts(struct history *h, const char *since, struct store_counts *c)
{
	if (hist_count(h, ST_COUNT_RUNS_STATUS, "running", &c->running) == -1 ||
	    hist_count(h, ST_COUNT_RUNS_STATUS, "queued", &c->queued) == -1 ||
	    hist_count(h, ST_COUNT_RUNS_FAILED, since, &c->failed) == -1 ||
	    hist_count(h, ST_COUNT_EVENTS_FAILED, since,
	    &c->failed_events) == -1)
		return -1;
	return 0;
}

static int
sq_gc_runs(struct history *h, const char *before, long long after,
    long long *ids, size_t max, size_t *n)
{
	sqlite3_stmt	*st;
	int		 rc = SQLITE_DONE;	/* max 0: nothing to read */

	*n = 0;
	if ((st = hist_stmt(h, ST_GC_RUNS)) == NULL)
		return -1;
	bind_text(st, 1, before);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ids[(*n)++] = sqlite3_column_int64(st, 0);
	if (*n < max && rc != SQLITE_DONE) {
		hist_dberr(h, "listing old runs");
		hist_done(st);
		return -1;
	}
	hist_done(st);
	return 0;
}

static int
sq_run_request_cancel(struct history *h, long long run)
{
	sqlite3_stmt	*st;

	if ((st = hist_stmt(h, ST_RUN_CANCEL_REQUEST)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, run);
	if (hist_run(h, st, "requesting a cancel") == -1)
		return -1;
	return sqlite3_changes(sq(h)->db) > 0;
}

static int
sq_run_cancel_requested(struct history *h, long long run)
{
	sqlite3_stmt	*st;
	int		 rc, r = 0;

	if ((st = hist_stmt(h, ST_RUN_CANCEL_REQUESTED)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, run);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		hist_dberr(h, "reading a cancel request");
		hist_done(st);
		return -1;
	}
	if (rc == SQLITE_ROW)
		r = sqlite3_column_int(st, 0) != 0;
	hist_done(st);
	return r;
}

static int
sq_run_set_group(struct history *h, long long run, const char *group)
{
	sqlite3_stmt	*st;

	if ((st = hist_stmt(h, ST_RUN_SET_GROUP)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, run);
	bind_text(st, 2, group);
	if (hist_run(h, st, "recording a concurrency group") == -1)
		return -1;
	return 0;
}

static int
sq_event_procs(struct history *h, const char *event_id,
    struct history_proc **out, size_t *n)
{
	sqlite3_stmt		*st;
	struct history_proc	*v = NULL, *p;
	const char		*boot;
	int			 rc;

	*out = NULL;
	*n = 0;
	if ((st = hist_stmt(h, ST_EVENT_PROCS)) == NULL)
		return -1;
	bind_text(st, 1, event_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, *n + 1, sizeof(*v));
		p = &v[(*n)++];
		memset(p, 0, sizeof(*p));
		p->pgid = sqlite3_column_int64(st, 0);
		p->start = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 1);
		boot = (const char *)sqlite3_column_text(st, 2);
		if (boot != NULL)
			snprintf(p->boot, sizeof(p->boot), "%s", boot);
	}
	if (rc != SQLITE_DONE) {
		hist_dberr(h, "listing a dead worker's process groups");
		hist_done(st);
		free(v);
		*n = 0;
		return -1;
	}
	hist_done(st);
	*out = v;
	return 0;
}

/*
 * A group statement with the run, the group, a reason and the time;
 * for a query, *found gets the first column of its row (0: no row).
 */
static int
hist_group_stmt(struct history *h, enum hist_stmt id, long long run,
    const char *group, const char *reason, const char *now,
    long long *found, char *text, size_t textlen)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = hist_stmt(h, id)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, run);
	if (id != ST_GROUP_STATUS) {
		bind_text(st, 2, group);
		if (id != ST_GROUP_OTHER && id != ST_GROUP_BLOCKER &&
		    id != ST_GROUP_START)
			bind_text(st, 3, reason);
		if (id == ST_GROUP_SUPERSEDE || id == ST_GROUP_END_SELF ||
		    id == ST_GROUP_START)
			bind_text(st, 4, now);
	}
	if (found == NULL && text == NULL)
		return hist_run(h, st, "deciding a concurrency group");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		hist_dberr(h, "deciding a concurrency group");
		hist_done(st);
		return -1;
	}
	if (found != NULL)
		*found = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	if (text != NULL)
		snprintf(text, textlen, "%s", rc == SQLITE_ROW &&
		    sqlite3_column_text(st, 0) != NULL ?
		    (const char *)sqlite3_column_text(st, 0) : "");
	hist_done(st);
	return 0;
}

/* Inside the transaction: may the run start now? Marks it running. */
static int
hist_group_try_locked(struct history *h, long long run, const char *group,
    const char *now, const char **status)
{
	char		 cur[32];
	long long	 blocker;

	if (hist_group_stmt(h, ST_GROUP_STATUS, run, NULL, NULL, NULL, NULL,
	    cur, sizeof(cur)) == -1)
		return -1;
	/* Superseded, skipped or ended meanwhile by another process. */
	if (strcmp(cur, "queued") != 0) {
		*status = store_static_status(cur);
		return HISTORY_GROUP_ENDED;
	}
	if (hist_group_stmt(h, ST_GROUP_BLOCKER, run, group, NULL, NULL,
	    &blocker, NULL, 0) == -1)
		return -1;
	if (blocker != 0)
		return HISTORY_GROUP_WAIT;
	if (hist_group_stmt(h, ST_GROUP_START, run, group, NULL, now, NULL,
	    NULL, 0) == -1)
		return -1;
	return HISTORY_GROUP_START;
}

static int
sq_group_enter(struct history *h, long long run, const char *group,
    const char *mode, int may_start, const char **status)
{
	char		 now[40], *reason = NULL;
	long long	 other;
	int		 r = HISTORY_GROUP_WAIT;

	*status = NULL;
	if (hist_exec(h, ST_BEGIN, "begin") == -1)
		goto fail;
	/*
	 * The time is read once the write lock is held: a run of the group
	 * that another worker ended before is then recorded as ended before
	 * this one starts, never a moment after.
	 */
	hist_now(now);
	if (sq_run_set_group(h, run, group) == -1)
		goto fail;
	if (strcmp(mode, "skip_if_running") == 0) {
		if (hist_group_stmt(h, ST_GROUP_OTHER, run, group, NULL, NULL,
		    &other, NULL, 0) == -1)
			goto fail;
		if (other != 0) {
			xasprintf(&reason, "concurrency group `%s`: run %lld "
			    "has not ended", group, other);
			if (hist_group_stmt(h, ST_GROUP_END_SELF, run, group,
			    reason, now, NULL, NULL, 0) == -1)
				goto fail;
			*status = "skipped";
			r = HISTORY_GROUP_ENDED;
			goto commit;
		}
	} else if (strcmp(mode, "cancel_in_progress") == 0) {
		xasprintf(&reason, "cancelled by run %lld (concurrency group "
		    "`%s`)", run, group);
		if (hist_group_stmt(h, ST_GROUP_CANCEL_OTHERS, run, group,
		    reason, now, NULL, NULL, 0) == -1)
			goto fail;
	} else if (strcmp(mode, "debounce") == 0) {
		xasprintf(&reason, "superseded by run %lld (concurrency group "
		    "`%s`, debounce)", run, group);
		if (hist_group_stmt(h, ST_GROUP_SUPERSEDE, run, group,
		    reason, now, NULL, NULL, 0) == -1)
			goto fail;
	}
	if (may_start && (r = hist_group_try_locked(h, run, group, now,
	    status)) == -1)
		goto fail;
commit:
	if (hist_exec(h, ST_COMMIT, "commit") == -1)
		goto fail;
	free(reason);
	return r;
fail:
	hist_rollback(h);
	free(reason);
	return -1;
}

static int
sq_group_try(struct history *h, long long run, const char *group,
    const char **status)
{
	char	now[40];
	int	r;

	*status = NULL;
	if (hist_exec(h, ST_BEGIN, "begin") == -1)
		goto fail;
	/* Under the lock, as in history_group_enter(). */
	hist_now(now);
	if ((r = hist_group_try_locked(h, run, group, now, status)) == -1)
		goto fail;
	if (hist_exec(h, ST_COMMIT, "commit") == -1)
		goto fail;
	return r;
fail:
	hist_rollback(h);
	return -1;
}

static int
sq_run_known(struct history *h, long long run)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = hist_stmt(h, ST_RUN_KNOWN)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, run);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		hist_dberr(h, "looking a run up");
		hist_done(st);
		return -1;
	}
	hist_done(st);
	return rc == SQLITE_ROW;
}

static int
sq_gc_events(struct history *h, const char *before, int dry_run, long limit,
    long *count)
{
	sqlite3_stmt	*st;
	long long	 n;

	*count = 0;
	if (dry_run) {
		if (hist_count(h, ST_GC_EVENTS_COUNT, before, &n) == -1)
			return -1;
		*count = (long)n;
		return 0;
	}
	if (hist_exec(h, ST_BEGIN, "begin gc") == -1)
		return -1;
	if ((st = hist_stmt(h, ST_GC_EVENTS_DELETE)) == NULL)
		goto fail;
	bind_text(st, 1, before);
	sqlite3_bind_int64(st, 2, limit);
	if (hist_run(h, st, "deleting old events") == -1)
		goto fail;
	*count = sqlite3_changes(sq(h)->db);
	if (hist_exec(h, ST_COMMIT, "commit gc") == -1)
		goto fail;
	return 0;
fail:
	*count = 0;
	hist_rollback(h);
	return -1;
}

/* ---------------------------------------------------------------- step transactions */

static int
sq_txn_begin(struct history *h)
{
	if (sqlite3_get_autocommit(sq(h)->db) == 0)
		return 0;
	return hist_exec(h, ST_BEGIN, "begin") == -1 ? -1 : 1;
}

static int
sq_txn_end(struct history *h)
{
	if (sqlite3_get_autocommit(sq(h)->db) != 0)
		return 0;
	if (hist_exec(h, ST_COMMIT, "commit") == -1) {
		hist_rollback(h);
		return -1;
	}
	return 0;
}

static int
sq_lease_renew(struct history *h, long long ttl_ms)
{
	sqlite3_stmt	*st;
	char		 now[40], until[40];
	long long	 sec;
	long		 usec;

	now_timeval(&sec, &usec);
	format_rfc3339(now, sizeof(now), sec, usec);
	usec += (long)(ttl_ms % 1000) * 1000;
	sec += ttl_ms / 1000 + usec / 1000000;
	format_rfc3339(until, sizeof(until), sec, usec % 1000000);
	if ((st = hist_stmt(h, ST_LEASE_RENEW)) == NULL)
		return -1;
	bind_text(st, 1, store_host(h));
	bind_text(st, 2, now);
	bind_text(st, 3, until);
	return hist_run(h, st, "renewing the host's lease");
}

static int
sq_host_alive(struct history *h, const char *host)
{
	sqlite3_stmt	*st;
	char		 now[40];
	int		 rc, r = 0;

	hist_now(now);
	if ((st = hist_stmt(h, ST_HOST_ALIVE)) == NULL)
		return -1;
	bind_text(st, 1, host);
	bind_text(st, 2, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = sqlite3_column_int(st, 0) != 0;
	else if (rc != SQLITE_DONE)
		r = hist_dberr(h, "reading a host's lease");
	hist_done(st);
	return r;
}

static const struct store_ops sq_ops = {
	.name = "sqlite",
	.close = sq_close,
	.scan_steps = sq_scan_steps,
	.event_begin = sq_event_begin,
	.event_unreadable = sq_event_unreadable,
	.event_trace = sq_event_trace,
	.event_finish = sq_event_finish,
	.event_requeue = sq_event_requeue,
	.event_came_back = sq_event_came_back,
	.run_create = sq_run_create,
	.run_set = sq_run_set,
	.job_create = sq_job_create,
	.job_set = sq_job_set,
	.step_create = sq_step_create,
	.step_set = sq_step_set,
	.run_request_cancel = sq_run_request_cancel,
	.run_cancel_requested = sq_run_cancel_requested,
	.run_set_group = sq_run_set_group,
	.event_procs = sq_event_procs,
	.group_enter = sq_group_enter,
	.group_try = sq_group_try,
	.run_known = sq_run_known,
	.runs_each = sq_runs_each,
	.run_get = sq_run_get,
	.event_get = sq_event_get,
	.events_by_delivery_each = sq_events_by_delivery_each,
	.pipelines_each = sq_pipelines_each,
	.counts = sq_counts,
	.gc_runs = sq_gc_runs,
	.gc_events = sq_gc_events,
	.txn_begin = sq_txn_begin,
	.txn_end = sq_txn_end,
	.lease_renew = sq_lease_renew,
	.host_alive = sq_host_alive,
};
