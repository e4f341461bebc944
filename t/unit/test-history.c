/*
 * The run history on a real SQLite file: schema and version, claiming
 * (new, recovered, duplicate), status transitions, queries, gc, and
 * several processes opening and writing one database at once.
 *
 * With HOOKDIR_TEST_DATABASE set to a postgresql:// URI (a build with
 * --with-postgresql; t/t6020-store-pg.sh starts the server), the same
 * cases run against the PostgreSQL backend: each state directory of a
 * case is then a schema of its own in that database.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <regex.h>
#include <sqlite3.h>
#ifdef HAVE_POSTGRESQL
#include <libpq-fe.h>
#endif

#include "buf.h"
#include "event.h"
#include "history.h"
#include "log.h"
#include "xmalloc.h"

#include "tap.h"

/* mkdtemp(3) template: six X at the end. */
static char	 tmpdir[] = "/tmp/test-history.XX" "XXXX";

/* The PostgreSQL database under test; NULL: SQLite. */
static const char *pg_uri;

#ifdef HAVE_POSTGRESQL
/* The schema that stands for a state directory: s_ and its path's letters. */
static char *
pg_schema(const char *state)
{
	const char	*p = state + strlen(tmpdir);
	char		*s;
	size_t		 i;

	xasprintf(&s, "s_%s", *p == '/' ? p + 1 : p);
	for (i = 0; s[i] != '\0'; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= '0' && s[i] <= '9'))
			s[i] = '_';
	return s;
}

/* The test database's URI with search_path set to the state's schema. */
static char *
pg_state_uri(const char *state)
{
	char	*schema, *uri;

	schema = pg_schema(state);
	xasprintf(&uri, "%s%coptions=-csearch_path%%3D%s", pg_uri,
	    strchr(pg_uri, '?') != NULL ? '&' : '?', schema);
	free(schema);
	return uri;
}

/* Run sql on the test database itself: 0, or -1 (said unless quiet). */
static int
pg_admin_run(const char *sql, int quiet)
{
	PGconn		*c;
	PGresult	*res;
	int		 r = 0;

	c = PQconnectdb(pg_uri);
	res = PQexec(c, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		if (!quiet)
			diag("%s: %s", sql, PQerrorMessage(c));
		r = -1;
	}
	PQclear(res);
	PQfinish(c);
	return r;
}

static int
pg_admin(const char *sql)
{
	return pg_admin_run(sql, 0);
}

static int
pg_admin_quiet(const char *sql)
{
	return pg_admin_run(sql, 1);
}

/*
 * The state's schema, with what the checks below need from SQLite's
 * dialect: group_concat.
 */
static void
pg_make_schema(const char *state)
{
	char	*schema, *sql;

	schema = pg_schema(state);
	/* Made once, before any process races to open it. */
	xasprintf(&sql, "DO 'BEGIN IF EXISTS (SELECT 1 FROM pg_namespace "
	    "WHERE nspname = ''%s'') THEN RAISE EXCEPTION ''exists''; "
	    "END IF; END'", schema);
	if (pg_admin_quiet(sql) == -1) {
		free(sql);
		free(schema);
		return;
	}
	free(sql);
	xasprintf(&sql, "SET client_min_messages = warning; "
	    "CREATE SCHEMA IF NOT EXISTS %s; "
	    "CREATE OR REPLACE FUNCTION %s.gc_step(text, anyelement, text) "
	    "RETURNS text LANGUAGE sql AS 'SELECT CASE WHEN $1 IS NULL "
	    "THEN $2::text ELSE $1 || $3 || $2::text END'; "
	    "CREATE OR REPLACE FUNCTION %s.gc_step1(text, anyelement) "
	    "RETURNS text LANGUAGE sql AS 'SELECT CASE WHEN $1 IS NULL "
	    "THEN $2::text ELSE $1 || '','' || $2::text END'; "
	    "CREATE AGGREGATE %s.group_concat(anyelement, text) "
	    "(sfunc = %s.gc_step, stype = text); "
	    "CREATE AGGREGATE %s.group_concat(anyelement) "
	    "(sfunc = %s.gc_step1, stype = text)",
	    schema, schema, schema, schema, schema, schema, schema);
	pg_admin(sql);
	free(sql);
	free(schema);
}

/*
 * The checks are written in SQLite's dialect. For PostgreSQL, a
 * comparison in a concatenation becomes 0 or 1 as SQLite's does, and a
 * number coalesced with text becomes text first.
 */
static char *
pg_dialect(const char *sql)
{
	static const struct {
		const char	*re, *to;
	} rules[] = {
		{ "\\(([a-z_]+ (IS NOT NULL|IS NULL|>= [a-z_]+))\\)",
		    "(\\1)::int::text" },
		{ "coalesce\\(([a-z_]+), 'n'\\)", "coalesce(\\1::text, 'n')" },
		{ "(WHERE 1) ", "\\1 = 1 " },
		{ "LIMIT (-1)", "LIMIT ALL" },
		/* A subquery in FROM needs a name. */
		{ "(ORDER BY [a-z]+( ASC| DESC)?( LIMIT [0-9A-Z]+)?)\\)$",
		    "\\1) t" },
	};
	regmatch_t	 m[2];
	regex_t		 re;
	struct buf	 out = BUF_INIT;
	char		*cur = xstrdup(sql);
	const char	*from, *to;
	size_t		 i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (regcomp(&re, rules[i].re, REG_EXTENDED) != 0)
			abort();
		for (from = cur; regexec(&re, from, 2, m, 0) == 0;
		    from += m[0].rm_eo) {
			/* The text before the match, then the replacement. */
			buf_add(&out, from, (size_t)m[0].rm_so);
			for (to = rules[i].to; *to != '\0'; to++)
				if (to[0] == '\\' && to[1] == '1') {
					buf_add(&out, from + m[1].rm_so,
					    (size_t)(m[1].rm_eo - m[1].rm_so));
					to++;
				} else
					buf_addch(&out, *to);
		}
		buf_addstr(&out, from);
		regfree(&re);
		free(cur);
		cur = buf_detach(&out, NULL);
	}
	return cur;
}

static char *
q_pg(const char *state, const char *sql)
{
	PGconn		*c;
	PGresult	*res;
	char		*uri, *pgsql, *r;

	uri = pg_state_uri(state);
	c = PQconnectdb(uri);
	free(uri);
	pgsql = pg_dialect(sql);
	res = PQexec(c, pgsql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		diag("%s: %s", pgsql, PQerrorMessage(c));
		r = xstrdup("(query failed)");
	} else if (PQntuples(res) == 0)
		r = xstrdup("(no row)");
	else if (PQgetisnull(res, 0, 0))
		r = xstrdup("NULL");
	else if (PQftype(res, 0) == 16)		/* a boolean: as SQLite's */
		r = xstrdup(strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? "1" :
		    "0");
	else
		r = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(c);
	free(pgsql);
	return r;
}
#endif

/* Open the store of a state directory, SQLite's or PostgreSQL's. */
static struct history *
open_store(const char *state, int create, char **errp)
{
#ifdef HAVE_POSTGRESQL
	struct history	*h;
	char		*uri;

	if (pg_uri != NULL) {
		if (create)
			pg_make_schema(state);
		uri = pg_state_uri(state);
		h = history_open_uri(uri, state, create, errp);
		free(uri);
		return h;
	}
#endif
	return history_open(state, create, errp);
}

/* The first column of the first row of sql, on a connection of our own. */
static char *
q(const char *state, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		*path, *r = NULL;

#ifdef HAVE_POSTGRESQL
	if (pg_uri != NULL)
		return q_pg(state, sql);
#endif
	xasprintf(&path, "%s/hookdir.db", state);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		diag("open %s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		free(path);
		return xstrdup("(open failed)");
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		diag("%s: %s", sql, sqlite3_errmsg(db));
		r = xstrdup("(prepare failed)");
	} else {
		if (sqlite3_step(st) == SQLITE_ROW)
			r = xstrdup(sqlite3_column_type(st, 0) == SQLITE_NULL ?
			    "NULL" : (const char *)sqlite3_column_text(st, 0));
		else
			r = xstrdup("(no row)");
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	free(path);
	return r;
}

static void
is_q(const char *state, const char *sql, const char *want, const char *name)
{
	char	*got = q(state, sql);

	is_str(got, want, "%s", name);
	free(got);
}

/*
 * SQLite's `how sql` (EXPLAIN or EXPLAIN QUERY PLAN) on the database in
 * state, opened with flags, or NULL; explain_close() ends it.
 */
static sqlite3_stmt *
explain_open(const char *state, const char *how, const char *sql,
    int flags)
{
	sqlite3		*db;
	sqlite3_stmt	*st = NULL;
	char		*path, *explain;

	xasprintf(&path, "%s/hookdir.db", state);
	xasprintf(&explain, "%s %s", how, sql);
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, explain, -1, &st, NULL) != SQLITE_OK) {
		diag("%s: %s", explain, sqlite3_errmsg(db));
		sqlite3_close(db);
	}
	free(explain);
	free(path);
	return st;
}

static void
explain_close(sqlite3_stmt *st)
{
	sqlite3	*db = sqlite3_db_handle(st);

	sqlite3_finalize(st);
	sqlite3_close(db);
}

/*
 * How many temporary b-trees (OpenEphemeral) SQLite's program for sql
 * builds, or -1.
 */
static int
ephemerals(const char *state, const char *sql)
{
	sqlite3_stmt	*st;
	int		 n = 0;

	/* Read-write: SQLite leaves CHECKs out of a read-only program. */
	if ((st = explain_open(state, "EXPLAIN", sql,
	    SQLITE_OPEN_READWRITE)) == NULL)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW)
		if (strcmp((const char *)sqlite3_column_text(st, 1),
		    "OpenEphemeral") == 0)
			n++;
	explain_close(st);
	return n;
}

/*
 * A status is written with no temporary b-tree: the CHECKs on status
 * are comparisons, not IN lists, and still refuse what is not one.
 */
static void
status_checks(const char *state, const char *name)
{
	sqlite3	*db;
	char	*path, *what;
	int	 rc;

	ok(ephemerals(state, "INSERT INTO steps (run, job, idx, name, "
	    "status) VALUES (?1, ?2, ?3, ?4, ?5)") == 0 &&
	    ephemerals(state, "UPDATE runs SET status = ?1 WHERE id = ?2")
	    == 0 &&
	    ephemerals(state, "UPDATE jobs SET status = ?1 WHERE id = ?2")
	    == 0 &&
	    ephemerals(state, "UPDATE events SET status = ?1 WHERE id = ?2")
	    == 0,
	    "%s: writing a status builds no temporary b-tree", name);
	xasprintf(&what, "%s: runs, jobs and steps check their status", name);
	is_q(state, "SELECT count(*) FROM sqlite_master WHERE "
	    "sql LIKE '%CHECK (status = ''queued'' OR %'", "3", what);
	free(what);
	xasprintf(&path, "%s/hookdir.db", state);
	sqlite3_open(path, &db);
	rc = sqlite3_exec(db, "INSERT INTO events (id, status) "
	    "VALUES ('bad', 'nonsense')", NULL, NULL, NULL);
	ok(rc == SQLITE_CONSTRAINT, "%s: an unknown status is refused (%d)",
	    name, rc);
	rc = sqlite3_exec(db, "INSERT INTO events (id, status) "
	    "VALUES ('good', 'duplicate')", NULL, NULL, NULL);
	ok(rc == SQLITE_OK, "%s: a known one is taken", name);
	sqlite3_exec(db, "DELETE FROM events WHERE id = 'good'", NULL, NULL,
	    NULL);
	sqlite3_close(db);
	free(path);
	xasprintf(&what, "%s: integrity_check", name);
	is_q(state, "PRAGMA integrity_check", "ok", what);
	free(what);
}

/*
 * The query plan SQLite chooses for sql, its details joined by "; ",
 * or NULL.
 */
static char *
query_plan(const char *state, const char *sql)
{
	sqlite3_stmt	*st;
	char		*plan = NULL, *p;

	if ((st = explain_open(state, "EXPLAIN QUERY PLAN", sql,
	    SQLITE_OPEN_READONLY)) == NULL)
		return NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		xasprintf(&p, "%s%s%s", plan ? plan : "", plan ? "; " : "",
		    (const char *)sqlite3_column_text(st, 3));
		free(plan);
		plan = p;
	}
	explain_close(st);
	return plan;
}

/*
 * runs_finished holds only the runs that finished, and the runs failed
 * in the last day are still counted through it.
 */
static void
finished_index(const char *state, const char *name)
{
	char	*plan, *what;

	xasprintf(&what, "%s: runs_finished leaves unfinished runs out", name);
	is_q(state, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'runs_finished' AND sql LIKE '%WHERE finished IS NOT NULL'",
	    "1", what);
	free(what);
	plan = query_plan(state, "SELECT count(*) FROM runs WHERE +status "
	    "IN ('failure', 'timed_out', 'interrupted') AND finished >= "
	    "'2026-01-01T00:00:00Z'");
	ok(plan != NULL && strstr(plan, "USING INDEX runs_finished") != NULL,
	    "%s: the failed runs of a day are counted by runs_finished "
	    "(%s)", name, plan ? plan : "no plan");
	free(plan);

	/* Version 10: the same for events; traces is one b-tree. */
	xasprintf(&what, "%s: events_finished leaves unfinished events out",
	    name);
	is_q(state, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'events_finished' AND sql LIKE '%WHERE finished IS NOT NULL'",
	    "1", what);
	free(what);
	xasprintf(&what, "%s: events_unfinished holds the ended ones only",
	    name);
	is_q(state, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'events_unfinished' AND sql LIKE '%WHERE finished IS NULL AND "
	    "status IN (''done'', ''duplicate'')'", "1", what);
	free(what);
	xasprintf(&what, "%s: runs_status has the newest runs first", name);
	is_q(state, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'runs_status' AND sql LIKE '%ON runs (status, id DESC)'", "1",
	    what);
	free(what);
	xasprintf(&what, "%s: traces is WITHOUT ROWID", name);
	is_q(state, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'traces' AND sql LIKE '%) WITHOUT ROWID'", "1", what);
	free(what);
	plan = query_plan(state, "SELECT count(*) FROM events WHERE status = "
	    "'failed' AND finished >= '2026-01-01T00:00:00Z'");
	ok(plan != NULL && strstr(plan, "USING INDEX events_finished") !=
	    NULL, "%s: the failed events of a day are counted by "
	    "events_finished (%s)", name, plan ? plan : "no plan");
	free(plan);
}

static void
event_fill(struct event *ev, const char *id, const char *source,
    const char *delivery)
{
	memset(ev, 0, sizeof(*ev));
	ev->id = (char *)id;
	ev->source = source;
	ev->provider = "github";
	ev->type = "push";
	ev->delivery = delivery;
	ev->method = "POST";
	ev->received = "2026-11-22T05:00:54.123456Z";
}

static char *
state_dir(const char *name)
{
	char	*p;

	xasprintf(&p, "%s/%s", tmpdir, name);
	return p;
}

/*
 * PostgreSQL: the schema at its newest version with its tables and
 * the dedup constraint; open again; no schema and no create: error.
 */
static void
test_open_pg(struct history *h, const char *state)
{
	char	*err = NULL, *missing;

	is_q(state, "SELECT max(version) FROM hookdir_schema", "3",
	    "the schema is version 3");
	is_q(state, "SELECT count(*) FROM information_schema.tables WHERE "
	    "table_schema = current_schema() AND table_name IN ('events', "
	    "'traces', 'runs', 'jobs', 'steps')", "5", "the five tables exist");
	is_q(state, "SELECT count(*) FROM information_schema.table_constraints "
	    "WHERE table_schema = current_schema() AND table_name = "
	    "'dedup_keys' AND constraint_type = 'PRIMARY KEY'", "1",
	    "the dedup key is a unique constraint");
	history_close(h);
	h = open_store(state, 0, &err);
	ok(h != NULL && err == NULL, "reopen without create");
	history_close(h);
	free(err);
	err = NULL;
	missing = state_dir("missing");
	h = open_store(missing, 0, &err);
	ok(h == NULL && err != NULL, "no schema and no create: error (%s)",
	    err ? err : "");
	history_close(h);
	free(err);
	free(missing);
	free((char *)state);
}

static void
test_open(void)
{
	struct history	*h;
	struct stat	 st;
	sqlite3		*conn;
	char		*state, *db, *err = NULL;

	state = state_dir("a/state");
	h = open_store(state, 1, &err);
	ok(h != NULL, "open creates the database%s%s", err ? ": " : "",
	    err ? err : "");
	free(err);
	if (pg_uri != NULL) {
		test_open_pg(h, state);
		return;
	}
	ok(stat(state, &st) == 0 && (st.st_mode & 0777) == 0700,
	    "state directory created 0700");
	xasprintf(&db, "%s/hookdir.db", state);
	ok(stat(db, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "database created 0600");
	/* hookdir has no threads: SQLite, set up by the store, locks none. */
	if (sqlite3_open_v2(db, &conn, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK)
		ok(sqlite3_db_mutex(conn) == NULL,
		    "SQLite runs without mutexes");
	else
		ok(0, "%s: %s", db, sqlite3_errmsg(conn));
	sqlite3_close(conn);
	free(db);
	is_q(state, "PRAGMA user_version", "10", "user_version is 10");
	is_q(state, "PRAGMA journal_mode", "wal", "journal mode is WAL");
	is_q(state, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
	    "AND name IN ('events', 'traces', 'runs', 'jobs', 'steps')", "5",
	    "the five tables exist");
	is_q(state, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'events_delivery'", "1", "the dedup index exists");
	status_checks(state, "new database");
	finished_index(state, "new database");
	history_close(h);

	/* Again: already at the newest version, nothing to migrate. */
	h = history_open(state, 0, &err);
	ok(h != NULL && err == NULL, "reopen without create");
	history_close(h);
	free(err);
	err = NULL;
	free(state);

	state = state_dir("missing");
	h = history_open(state, 0, &err);
	ok(h == NULL && err != NULL, "no database and no create: error (%s)",
	    err ? err : "");
	free(err);
	err = NULL;
	free(state);

	/* A `database` setting: a path is SQLite there, a URI its backend. */
	state = state_dir("a/state");
	h = history_open_uri(state, "/nonexistent", 0, &err);
	ok(h != NULL && err == NULL, "database: a path opens SQLite there");
	history_close(h);
	free(err);
	err = NULL;
	h = history_open_uri(NULL, state, 0, &err);
	ok(h != NULL && err == NULL, "database: none is the state directory");
	history_close(h);
	free(err);
	err = NULL;
	h = history_open_uri("nosuch://host/db", state, 1, &err);
	ok(h == NULL && err != NULL && strstr(err, "`nosuch://`") != NULL,
	    "database: a scheme without a backend is an error (%s)",
	    err ? err : "");
	free(err);
	err = NULL;
	free(state);
}

static void
test_migrations(void)
{
	struct history	*h;
	sqlite3		*db;
	char		*state, *path, *err = NULL;
	int		 fd;

	if (pg_uri != NULL) {
#ifdef HAVE_POSTGRESQL
		/* A database from a newer hookdir is refused, not damaged. */
		state = state_dir("newer");
		pg_make_schema(state);
		path = pg_schema(state);
		xasprintf(&err, "CREATE TABLE %s.hookdir_schema (version "
		    "INTEGER NOT NULL); INSERT INTO %s.hookdir_schema "
		    "VALUES (70)", path, path);
		pg_admin(err);
		free(err);
		err = NULL;
		h = open_store(state, 1, &err);
		ok(h == NULL && err != NULL && strstr(err, "version 70") != NULL,
		    "a newer schema version is refused (%s)", err ? err : "");
		history_close(h);
		free(err);
		is_q(state, "SELECT count(*) FROM information_schema.tables "
		    "WHERE table_schema = current_schema()", "1",
		    "and left as it was");
		free(path);
		free(state);
#endif
		return;
	}

	/* An empty file (as a crash right after creating it leaves). */
	state = state_dir("empty");
	mkdir(state, 0700);
	xasprintf(&path, "%s/hookdir.db", state);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	h = history_open(state, 0, &err);
	ok(h != NULL, "an empty database file is migrated%s%s",
	    err ? ": " : "", err ? err : "");
	free(err);
	err = NULL;
	history_close(h);
	is_q(state, "PRAGMA user_version", "10",
	    "empty file: user_version 10");
	is_q(state, "SELECT count(*) FROM runs", "0", "empty file: tables made");
	free(path);
	free(state);

	/* A database from a newer hookdir is refused, not damaged. */
	state = state_dir("newer");
	mkdir(state, 0700);
	xasprintf(&path, "%s/hookdir.db", state);
	sqlite3_open(path, &db);
	sqlite3_exec(db, "CREATE TABLE x (y); PRAGMA user_version = 70",
	    NULL, NULL, NULL);
	sqlite3_close(db);
	h = history_open(state, 1, &err);
	ok(h == NULL && err != NULL && strstr(err, "version 70") != NULL,
	    "a newer schema version is refused (%s)", err ? err : "");
	free(err);
	err = NULL;
	is_q(state, "PRAGMA user_version", "70", "and left as it was");
	free(path);
	free(state);
}

static void
test_begin(struct history *h, const char *state)
{
	struct event	 ev;
	char		*dup = NULL, *err = NULL;
	int		 r;

	event_fill(&ev, "1.M1P1R1.host", "site", "d-1");
	r = history_event_begin(h, &ev, &dup, &err);
	is_int(r, EVENT_NEW, "a first event is new");
	ok(dup == NULL && err == NULL, "no dup_of, no error");
	is_q(state, "SELECT status || ' ' || attempts || ' ' || source || ' ' "
	    "|| type || ' ' || delivery FROM events WHERE id = '1.M1P1R1.host'",
	    "processing 1 site push d-1", "recorded as processing");
	is_q(state, "SELECT claimed IS NOT NULL AND received = "
	    "'2026-11-22T05:00:54.123456Z' FROM events "
	    "WHERE id = '1.M1P1R1.host'", "1", "claimed and received times");

	event_fill(&ev, "2.M1P1R2.host", "site", "d-1");
	r = history_event_begin(h, &ev, &dup, &err);
	is_int(r, EVENT_DUPLICATE, "same source and delivery: duplicate");
	is_str(dup, "1.M1P1R1.host", "dup_of names the first event");
	free(dup);
	is_q(state, "SELECT status || ' ' || duplicate_of FROM events "
	    "WHERE id = '2.M1P1R2.host'", "duplicate 1.M1P1R1.host",
	    "the duplicate is recorded with duplicate_of");

	event_fill(&ev, "3.M1P1R3.host", "other", "d-1");
	r = history_event_begin(h, &ev, &dup, &err);
	is_int(r, EVENT_NEW, "same delivery id, other source: new");
	free(dup);

	event_fill(&ev, "4.M1P1R4.host", "site", "");
	r = history_event_begin(h, &ev, &dup, &err);
	is_int(r, EVENT_NEW, "no delivery id: new");
	free(dup);
	event_fill(&ev, "5.M1P1R5.host", "site", NULL);
	r = history_event_begin(h, &ev, &dup, &err);
	is_int(r, EVENT_NEW, "no delivery id again: still new");
	free(dup);

	/* The duplicate's worker died: recovering it keeps it a duplicate. */
	event_fill(&ev, "2.M1P1R2.host", "site", "d-1");
	r = history_event_begin(h, &ev, &dup, &err);
	is_int(r, EVENT_DUPLICATE, "a recovered duplicate is still one");
	is_str(dup, "1.M1P1R1.host", "with its dup_of");
	free(dup);

	/* Requeued by hand: a new attempt, not a duplicate. */
	is_int(history_event_requeue(h, "2.M1P1R2.host"), 0, "requeue");
	r = history_event_begin(h, &ev, &dup, &err);
	is_int(r, EVENT_RECOVERED, "a requeued duplicate runs again");
	ok(dup == NULL, "no dup_of then");
	is_q(state, "SELECT status || ' ' || attempts || ' ' || requeued "
	    "FROM events WHERE id = '2.M1P1R2.host'", "processing 3 1",
	    "processing, third attempt, requeued once");
	is_int(history_event_requeue(h, "never.seen"), 0,
	    "requeue of an unrecorded event is no error");
}

/*
 * A step's row as the worker writes it (a queued one the worker never
 * writes: a step is recorded as it starts), with its process group
 * when pgid > 0.
 */
static long long
step_add(struct history *h, long long run, long long job, int index,
    const char *name, const char *log, enum run_status status,
    const char *reason, int attempt, long long pgid)
{
	struct history_step	s;

	memset(&s, 0, sizeof(s));
	s.run = run;
	s.job = job;
	s.index = index;
	s.attempt = attempt;
	s.name = name;
	s.log_path = log;
	s.status = status;
	s.reason = reason;
	s.pgid = pgid;
	s.start = pgid > 0 ? 987654 : -1;
	s.boot = pgid > 0 ? "b-1" : NULL;
	return history_step_create(h, &s);
}

static void
test_runs(struct history *h, const char *state)
{
	struct event	 ev;
	struct history_proc *procs = NULL;
	size_t		 nprocs = 0;
	long long	 run, run2, job, job2, step, step2;
	char		*dup = NULL, *err = NULL, sql[256];
	int		 r;

	run = history_run_create(h, "1.M1P1R1.host", "deploy", NULL, NULL, RS_QUEUED);
	ok(run > 0, "run created (%lld)", run);
	snprintf(sql, sizeof(sql), "SELECT status || ' ' || attempt || ' ' || "
	    "(created IS NOT NULL) || ' ' || (started IS NULL) FROM runs "
	    "WHERE id = %lld", run);
	is_q(state, sql, "queued 1 1 1", "queued, attempt 1, created set");
	job = history_job_create(h, run, "build", NULL, 0);
	ok(job > 0, "job created");
	step = step_add(h, run, job, 1, "make", "/x/logs/1/build/make.log",
	    RS_QUEUED, NULL, 1, 0);
	ok(step > 0, "step created");
	step2 = step_add(h, run, job, 2, "2", NULL, RS_QUEUED, NULL, 1, 0);
	ok(step2 > step, "second step created");

	is_int(history_run_set(h, run, RS_RUNNING, NULL), 0, "run running");
	is_int(history_job_set(h, job, RS_RUNNING, NULL, NULL), 0,
	    "job running");
	is_int(history_step_set(h, step, RS_RUNNING, -1, -1, NULL), 0,
	    "step running");
	snprintf(sql, sizeof(sql), "SELECT (started IS NOT NULL) || "
	    "(finished IS NULL) || coalesce(exit_code, 'n') FROM steps "
	    "WHERE id = %lld", step);
	is_q(state, sql, "11n", "running: started set, finished not");
	is_int(history_step_set(h, step, RS_SUCCESS, 0, -1, NULL), 0,
	    "step success");
	snprintf(sql, sizeof(sql), "SELECT status || ' ' || exit_code || ' ' "
	    "|| coalesce(signal, 'n') || ' ' || (finished >= started) "
	    "FROM steps WHERE id = %lld", step);
	is_q(state, sql, "success 0 n 1", "success: exit 0, finished");
	is_int(history_step_set(h, step2, RS_TIMED_OUT, -1, 15, "timeout 1s"),
	    0, "step timed out");
	snprintf(sql, sizeof(sql), "SELECT status || ' ' || signal || ' ' || "
	    "reason || ' ' || (started IS NULL) || (finished IS NOT NULL) "
	    "FROM steps WHERE id = %lld", step2);
	is_q(state, sql, "timed_out 15 timeout 1s 11",
	    "never started but finished, signal and reason kept");
	is_int(history_job_set(h, job, RS_FAILURE, "step 2 timed out",
	    "{\"version\":\"1.2\"}"), 0, "job failure with outputs");
	is_int(history_job_set(h, job, RS_FAILURE, NULL, NULL), 0,
	    "setting again without outputs");
	snprintf(sql, sizeof(sql), "SELECT status || ' ' || outputs || ' ' || "
	    "reason FROM jobs WHERE id = %lld", job);
	is_q(state, sql, "failure {\"version\":\"1.2\"} step 2 timed out",
	    "outputs and reason kept when NULL is given");
	is_int(history_run_set(h, run, RS_FAILURE, NULL), 0, "run failure");

	ok(history_run_set(h, run, RS_NONE, NULL) == -1,
	    "an unknown status is an error");
	ok(strstr(history_error(h), "no status -1") != NULL,
	    "and the error says which (%s)", history_error(h));
	ok(history_run_set(h, run, RS_DONE, NULL) == -1,
	    "an event's status is not a run's");
	ok(history_run_set(h, 99999, RS_SUCCESS, NULL) == -1,
	    "an unknown run is an error");
	ok(history_run_create(h, "no.such.event", "deploy", NULL, NULL,
	    RS_QUEUED) == -1, "a run of an unrecorded event is an error");
	ok(history_event_finish(h, "1.M1P1R1.host", "finished", NULL) == -1,
	    "an unknown event status is an error");

	/* A second run is left running: then its worker dies. */
	run2 = history_run_create(h, "1.M1P1R1.host", "notify", NULL, NULL, RS_QUEUED);
	job2 = history_job_create(h, run2, "send", NULL, 0);
	history_job_create(h, run2, "later", NULL, 0);
	history_run_set(h, run2, RS_RUNNING, NULL);
	history_job_set(h, job2, RS_RUNNING, NULL, NULL);
	step2 = step_add(h, run2, job2, 1, "curl", NULL, RS_RUNNING, NULL, 2,
	    4242);
	ok(step2 > 0, "a running step recorded with its process group");
	snprintf(sql, sizeof(sql), "SELECT status || ' ' || attempt || ' ' || "
	    "(started IS NOT NULL) || (finished IS NULL) || ' ' || pgid || "
	    "' ' || pgid_start || ' ' || boot_id FROM steps WHERE id = %lld",
	    step2);
	is_q(state, sql, "running 2 11 4242 987654 b-1",
	    "one row: running, its attempt, started, its group");
	is_int(history_event_procs(h, "1.M1P1R1.host", &procs, &nprocs), 0,
	    "the event's process groups listed");
	ok(nprocs == 1 && procs[0].pgid == 4242 && procs[0].start == 987654 &&
	    strcmp(procs[0].boot, "b-1") == 0,
	    "the running step's group, its leader's start and the boot");
	free(procs);

	event_fill(&ev, "1.M1P1R1.host", "site", "d-1");
	r = history_event_begin(h, &ev, &dup, &err);
	is_int(r, EVENT_RECOVERED, "the same id again: recovered");
	ok(dup == NULL && err == NULL, "not a duplicate of itself");
	is_q(state, "SELECT attempts || status FROM events WHERE id = "
	    "'1.M1P1R1.host'", "2processing", "attempts 2, processing");
	snprintf(sql, sizeof(sql), "SELECT group_concat(status || "
	    "(finished IS NOT NULL), ',') FROM (SELECT status, finished FROM "
	    "runs WHERE id = %lld UNION ALL SELECT status, finished FROM jobs "
	    "WHERE run = %lld UNION ALL SELECT status, finished FROM steps "
	    "WHERE run = %lld) t", run2, run2, run2);
	is_q(state, sql, "interrupted1,interrupted1,interrupted1,interrupted1",
	    "its running and queued run, jobs and steps are interrupted");
	is_int(history_event_procs(h, "1.M1P1R1.host", &procs, &nprocs), 0,
	    "listed again");
	is_int((int)nprocs, 0, "an interrupted step's group is not listed");
	free(procs);
	snprintf(sql, sizeof(sql), "SELECT status FROM runs WHERE id = %lld",
	    run);
	is_q(state, sql, "failure", "an ended run is left alone");
	run2 = history_run_create(h, "1.M1P1R1.host", "notify", NULL, NULL, RS_QUEUED);
	snprintf(sql, sizeof(sql), "SELECT attempt FROM runs WHERE id = %lld",
	    run2);
	is_q(state, sql, "2", "a run of the second attempt says so");
	history_run_set(h, run2, RS_SUCCESS, NULL);

	is_int(history_event_trace(h, "1.M1P1R1.host", "deploy", 1,
	    "matched: source `site`"), 0, "trace stored");
	is_int(history_event_trace(h, "1.M1P1R1.host", "lint", 0,
	    "events: got `push`, want `pull_request`"), 0, "second trace");
	is_int(history_event_trace(h, "1.M1P1R1.host", "deploy", 1,
	    "matched: source `site`, events `push`"), 0, "trace replaced");
	is_q(state, "SELECT count(*) || ' ' || group_concat(matched, '') FROM "
	    "(SELECT matched FROM traces WHERE event = '1.M1P1R1.host' "
	    "ORDER BY pipeline) t", "2 10", "one trace per pipeline");
	ok(history_event_trace(h, "nope", "deploy", 0, "x") == -1,
	    "a trace of an unrecorded event is an error");

	is_int(history_event_finish(h, "1.M1P1R1.host", "done", NULL), 0,
	    "event done");
	is_q(state, "SELECT status || (finished IS NOT NULL) FROM events "
	    "WHERE id = '1.M1P1R1.host'", "done1", "done, finished set");
	is_int(history_event_unreadable(h, "9.M1P1R9.host",
	    "no blank line between headers and body"), 0, "unreadable");
	is_q(state, "SELECT status || ': ' || reason FROM events WHERE id = "
	    "'9.M1P1R9.host'", "failed: no blank line between headers and body",
	    "an unreadable file is a failed event with its reason");

	/* Mended and requeued: it parses now, and its fields are filled in. */
	history_event_unreadable(h, "7.M1P1R7.host", "bad");
	event_fill(&ev, "7.M1P1R7.host", "site", "d-7");
	r = history_event_begin(h, &ev, &dup, &err);
	is_int(r, EVENT_RECOVERED, "a mended unreadable file: a new attempt");
	is_q(state, "SELECT status || ' ' || source || ' ' || provider || ' ' "
	    "|| type || ' ' || delivery || ' ' || coalesce(reason, 'n') FROM "
	    "events WHERE id = '7.M1P1R7.host'",
	    "processing site github push d-7 n", "its fields filled in");
	history_event_unreadable(h, "8.M1P1R8.host", "bad");
	event_fill(&ev, "8.M1P1R8.host", "site", "d-1");
	r = history_event_begin(h, &ev, &dup, &err);
	ok(r == EVENT_RECOVERED && err == NULL,
	    "mended, with a delivery id already taken: no error");
	free(err);
	err = NULL;
	is_q(state, "SELECT source || '/' || delivery FROM events WHERE id = "
	    "'8.M1P1R8.host'", "site/", "the taken delivery id is left out");
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return json_object_get_string(v);
}

static void
test_queries(struct history *h)
{
	struct history_filter	 f;
	struct json_object	*a, *o, *jobs, *steps, *v;
	int			 r;

	memset(&f, 0, sizeof(f));
	a = history_runs(h, &f);
	ok(a != NULL && json_object_array_length(a) == 3, "three runs");
	o = json_object_array_get_idx(a, 0);
	is_str(jstr(o, "pipeline"), "notify", "newest first");
	ok(json_object_object_get_ex(o, "jobs", &jobs) &&
	    json_object_is_type(jobs, json_type_array), "with jobs");
	ok(json_object_object_get_ex(o, "finished", &v) && v != NULL,
	    "finished is set");
	ok(json_object_object_get_ex(o, "reason", &v) && v == NULL,
	    "a NULL reason is null");
	json_object_put(a);

	f.pipeline = "deploy";
	a = history_runs(h, &f);
	ok(a != NULL && json_object_array_length(a) == 1, "--pipeline");
	o = json_object_array_get_idx(a, 0);
	jobs = json_object_object_get(o, "jobs");
	o = json_object_array_get_idx(jobs, 0);
	is_str(jstr(o, "name"), "build", "the job");
	is_str(jstr(json_object_object_get(o, "outputs"), "version"), "1.2",
	    "its outputs, as an object");
	json_object_put(a);

	f.pipeline = NULL;
	f.status = "interrupted";
	a = history_runs(h, &f);
	ok(a != NULL && json_object_array_length(a) == 1, "--status");
	json_object_put(a);
	f.status = NULL;
	f.event = "nope";
	a = history_runs(h, &f);
	ok(a != NULL && json_object_array_length(a) == 0, "--event, none");
	json_object_put(a);
	f.event = NULL;
	f.limit = 2;
	a = history_runs(h, &f);
	ok(a != NULL && json_object_array_length(a) == 2, "-n 2");
	json_object_put(a);

	r = history_run_get(h, 1, &o);
	is_int(r, 1, "run 1 found");
	jobs = json_object_object_get(o, "jobs");
	steps = json_object_object_get(json_object_array_get_idx(jobs, 0),
	    "steps");
	ok(steps != NULL && json_object_array_length(steps) == 2,
	    "with its job's two steps");
	is_str(jstr(json_object_array_get_idx(steps, 0), "log"),
	    "/x/logs/1/build/make.log", "the step's log path");
	is_str(jstr(json_object_array_get_idx(steps, 1), "name"), "2",
	    "an unnamed step is its number");
	json_object_put(o);
	is_int(history_run_get(h, 4242, &o), 0, "no such run");
	ok(o == NULL, "and nothing returned");

	r = history_event_get(h, "1.M1P1R1.host", &o);
	is_int(r, 1, "event found");
	is_str(jstr(o, "status"), "done", "its status");
	ok(json_object_array_length(json_object_object_get(o, "traces")) == 2,
	    "its traces");
	ok(json_object_array_length(json_object_object_get(o, "runs")) == 3,
	    "its runs");
	is_str(jstr(json_object_array_get_idx(json_object_object_get(o,
	    "traces"), 1), "trace"), "events: got `push`, want `pull_request`",
	    "a trace's text");
	json_object_put(o);
	is_int(history_event_get(h, "nope", &o), 0, "unrecorded event");

	o = history_summary(h, "2000-01-01T00:00:00Z");
	ok(o != NULL, "summary");
	is_int(json_object_get_int(json_object_object_get(o, "running")), 0,
	    "nothing running");
	is_int(json_object_get_int(json_object_object_get(o,
	    "failed_since")), 2, "two failed runs (failure, interrupted)");
	is_int(json_object_get_int(json_object_object_get(o,
	    "failed_events_since")), 1, "one failed event");
	is_str(jstr(json_object_object_get(o, "last_run"), "pipeline"),
	    "notify", "the last run");
	json_object_put(o);
	o = history_summary(h, "2999-01-01T00:00:00Z");
	is_int(json_object_get_int(json_object_object_get(o,
	    "failed_since")), 0, "no failures after a later time");
	json_object_put(o);
}

/* gc's cursor: the ids it gives, in order. */
struct ids {
	long long	*v;
	size_t		 n;
	size_t		 stop;		/* stop after this many (0: never) */
};

static int
ids_add(void *arg, long long id)
{
	struct ids	*ids = arg;

	ids->v = realloc(ids->v, (ids->n + 1) * sizeof(*ids->v));
	ids->v[ids->n++] = id;
	return ids->stop != 0 && ids->n == ids->stop ? 7 : 0;
}

static void
test_gc(struct history *h, const char *state)
{
	struct ids	 ids;
	long		 count;

	memset(&ids, 0, sizeof(ids));
	is_int(history_gc_runs_each(h, "2000-01-01T00:00:00Z", ids_add,
	    &ids), 0, "gc runs, early cutoff");
	is_int((long long)ids.n, 0, "none that old");
	is_int(history_gc_runs_each(h, "2999-01-01T00:00:00Z", ids_add,
	    &ids), 0, "gc runs, late cutoff");
	is_int((long long)ids.n, 3, "every ended run");
	ok(ids.n == 3 && ids.v[0] < ids.v[1] && ids.v[1] < ids.v[2],
	    "oldest first");
	free(ids.v);
	memset(&ids, 0, sizeof(ids));
	ids.stop = 2;
	is_int(history_gc_runs_each(h, "2999-01-01T00:00:00Z", ids_add,
	    &ids), 7, "gc runs: the callback's stop value");
	is_int((long long)ids.n, 2, "and no id after it");
	free(ids.v);
	is_int(history_run_known(h, 1), 1, "run 1 is known");
	is_int(history_run_known(h, 777), 0, "run 777 is not");

	is_int(history_gc_events(h, "2999-01-01T00:00:00Z", 1, &count), 0,
	    "gc events, dry run");
	/* done: 1; duplicate: none ended (2 is processing again). */
	is_int(count, 1, "one event would go");
	is_q(state, "SELECT count(*) FROM events", "8", "nothing deleted");
	history_event_finish(h, "2.M1P1R2.host", "duplicate", NULL);
	is_int(history_gc_events(h, "2999-01-01T00:00:00Z", 0, &count), 0,
	    "gc events");
	is_int(count, 2, "two events deleted");
	is_q(state, "SELECT count(*) FROM runs", "0", "their runs went too");
	is_q(state, "SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) "
	    "FROM steps) + (SELECT count(*) FROM traces)", "0",
	    "and their jobs, steps and traces");
	is_q(state, "SELECT count(*) FROM events WHERE status = 'failed'", "1",
	    "failed events are kept");
}

/*
 * Several processes open one fresh database at once and claim events
 * with the same delivery id: the schema is made once and exactly one
 * of them gets EVENT_NEW.
 */
/* A row callback that writes the rows' ids, comma-separated, into a buf. */
struct idlist {
	char	s[4096];
	int	n;
	int	stop;		/* stop after this many rows (0: never) */
};

static int
idlist_add(void *arg, struct json_object *row)
{
	struct idlist	*l = arg;
	size_t		 len = strlen(l->s);
	const char	*id = jstr(row, "id") != NULL ? jstr(row, "id") :
			    jstr(row, "name");

	snprintf(l->s + len, sizeof(l->s) - len, "%s%s", len ? "," : "",
	    id != NULL ? id : "?");
	l->n++;
	return l->stop != 0 && l->n == l->stop ? 5 : 0;
}

/* history_runs_each() with a filter against the same SELECT in SQL. */
static void
is_runs_each(struct history *h, const char *state,
    const struct history_filter *f, const char *where, const char *name)
{
	struct idlist	 l;
	char		*sql;

	memset(&l, 0, sizeof(l));
	xasprintf(&sql, "SELECT coalesce(group_concat(id), '') FROM (SELECT "
	    "id FROM runs WHERE %s ORDER BY id %s LIMIT %ld)", where,
	    f->oldest_first ? "ASC" : "DESC", f->limit > 0 ? f->limit : -1);
	is_int(history_runs_each(h, f, idlist_add, &l), 0, "%s: 0", name);
	is_q(state, sql, l.s, name);
	free(sql);
}

/*
 * The streaming listings give the rows the SELECTs say, in their order,
 * with every filter and limit; a callback stops them.
 */
static void
test_streaming(struct history *h, const char *state)
{
	struct history_filter	 f;
	struct idlist		 l;

	memset(&f, 0, sizeof(f));
	is_runs_each(h, state, &f, "1", "each: every run, newest first");
	f.oldest_first = 1;
	is_runs_each(h, state, &f, "1", "each: oldest first");
	f.limit = 2;
	is_runs_each(h, state, &f, "1", "each: oldest first, -n 2");
	f.oldest_first = 0;
	is_runs_each(h, state, &f, "1", "each: -n 2");
	f.limit = 0;
	f.pipeline = "deploy";
	is_runs_each(h, state, &f, "pipeline = 'deploy'", "each: --pipeline");
	f.status = "success";
	is_runs_each(h, state, &f, "pipeline = 'deploy' AND status = "
	    "'success'", "each: --pipeline --status");
	f.pipeline = NULL;
	is_runs_each(h, state, &f, "status = 'success'", "each: --status");
	f.status = NULL;
	f.event = "1.M1P1R1.host";
	is_runs_each(h, state, &f, "event = '1.M1P1R1.host'",
	    "each: --event");
	f.limit = 1;
	f.pipeline = "notify";
	is_runs_each(h, state, &f, "event = '1.M1P1R1.host' AND pipeline = "
	    "'notify'", "each: --event --pipeline -n 1");

	memset(&f, 0, sizeof(f));
	memset(&l, 0, sizeof(l));
	l.stop = 2;
	is_int(history_runs_each(h, &f, idlist_add, &l), 5,
	    "each: the callback's stop value is returned");
	is_int(l.n, 2, "each: and no row after it");

	memset(&l, 0, sizeof(l));
	is_int(history_pipelines_each(h, idlist_add, &l), 0, "pipelines: 0");
	is_q(state, "SELECT group_concat(pipeline) FROM (SELECT DISTINCT "
	    "pipeline FROM runs ORDER BY pipeline)", l.s,
	    "pipelines: every name, by name");
}

/*
 * gc over a history larger than one batch (HISTORY_GC_BATCH): the
 * cursor gives every old run once, oldest first, and the events go in
 * several short transactions, all of them. Listings with a limit, the
 * status counts and the pipeline names read no table in full.
 */
static void
test_gc_batches(void)
{
	struct history_filter	 f;
	struct history		*h;
	struct event		 ev;
	struct ids		 ids;
	struct idlist		 l;
	struct json_object	*o;
	char			*state, *err = NULL, *dup = NULL, id[64];
	char			 delivery[32];
	unsigned long		 before;
	long long		 run;
	long			 count;
	int			 i, bad = 0, n = 2 * HISTORY_GC_BATCH + 234;
	size_t			 k;

	state = state_dir("batches");
	if ((h = open_store(state, 1, &err)) == NULL) {
		ok(0, "batches: open: %s", err);
		free(err);
		free(state);
		return;
	}
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "7%05d.M1P1R1.gc", i);
		snprintf(delivery, sizeof(delivery), "gc-%d", i);
		event_fill(&ev, id, "site", delivery);
		if (history_event_begin(h, &ev, &dup, &err) != EVENT_NEW)
			bad++;
		free(dup);
		dup = NULL;
		run = history_run_create(h, id, i % 2 ? "odd" : "even",
		    "webhook", NULL, RS_QUEUED);
		if (run <= 0 || history_run_set(h, run, i % 7 ? RS_SUCCESS :
		    RS_FAILURE, NULL) == -1 ||
		    history_event_finish(h, id, "done", NULL) == -1)
			bad++;
	}
	is_int(bad, 0, "batches: %d events, each with a run", n);

	before = history_scan_steps(h);
	memset(&f, 0, sizeof(f));
	memset(&l, 0, sizeof(l));
	f.limit = 20;
	history_runs_each(h, &f, idlist_add, &l);
	is_int(l.n, 20, "batches: -n 20 gives 20");
	ok(history_scan_steps(h) - before <= 20,
	    "batches: -n 20 reads 20 rows, not %d (%lu)", n,
	    history_scan_steps(h) - before);
	before = history_scan_steps(h);
	f.status = "failure";
	memset(&l, 0, sizeof(l));
	history_runs_each(h, &f, idlist_add, &l);
	f.status = NULL;
	f.pipeline = "odd";
	history_runs_each(h, &f, idlist_add, &l);
	memset(&l, 0, sizeof(l));
	history_pipelines_each(h, idlist_add, &l);
	is_str(l.s, "even,odd", "batches: the pipelines");
	o = history_summary(h, "2000-01-01T00:00:00Z");
	json_object_put(o);
	is_int((int)(history_scan_steps(h) - before), 0,
	    "batches: --status, --pipeline, pipelines and the summary "
	    "scanned no table");

	memset(&ids, 0, sizeof(ids));
	is_int(history_gc_runs_each(h, "2999-01-01T00:00:00Z", ids_add,
	    &ids), 0, "batches: gc runs");
	is_int((long long)ids.n, n, "batches: every run, across batches");
	for (k = 1, bad = 0; k < ids.n; k++)
		if (ids.v[k] <= ids.v[k - 1])
			bad++;
	is_int(bad, 0, "batches: oldest first, each once");
	free(ids.v);
	before = history_scan_steps(h);
	is_int(history_gc_events(h, "2000-01-01T00:00:00Z", 1, &count), 0,
	    "batches: gc --dry-run of nothing old enough");
	is_int((int)count, 0, "batches: finds nothing");
	is_int((int)(history_scan_steps(h) - before), 0,
	    "batches: and scans no table for it");
	/* An ended event put back (finished cleared) is forgotten too. */
	is_int(history_event_requeue(h, "700003.M1P1R1.gc"), 0,
	    "batches: one requeued");
	is_int(history_gc_events(h, "2999-01-01T00:00:00Z", 1, &count), 0,
	    "batches: gc --dry-run");
	is_int(count, n, "batches: counts them all");
	is_int((int)(history_scan_steps(h) - before), 0,
	    "batches: through indexes");
	is_int(history_gc_events(h, "2999-01-01T00:00:00Z", 0, &count), 0,
	    "batches: gc");
	is_int(count, n, "batches: deletes them all, batch after batch");
	is_q(state, "SELECT (SELECT count(*) FROM events) + "
	    "(SELECT count(*) FROM runs)", "0", "batches: nothing is left");
	history_close(h);
	free(state);
}

/*
 * The frames the WAL got since the last call (each a page written), as
 * a connection of our own sees them; the log is then checkpointed and
 * truncated, so that the next count starts from none. -1 on error.
 */
static int
wal_pages(const char *state)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		*path;
	int		 n = -1;

	xasprintf(&path, "%s/hookdir.db", state);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
	    SQLITE_OK && sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint("
	    "PASSIVE)", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_int(st, 0) == 0)
			n = sqlite3_column_int(st, 1);
		sqlite3_finalize(st);
		if (sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
		    NULL, NULL) != SQLITE_OK)
			n = -1;
	}
	sqlite3_close(db);
	free(path);
	return n;
}

/*
 * What the worker records for an event that runs a one-step pipeline,
 * in its two transactions: the claim up to the step's start, and the
 * step's end up to the event's.
 */
static void
pages_event(struct history *h, int i)
{
	struct event	 ev;
	char		 id[64], delivery[32], *dup = NULL, *err = NULL;
	long long	 run, job, step;

	snprintf(id, sizeof(id), "8%05d.M1P1R1.pages", i);
	snprintf(delivery, sizeof(delivery), "pages-%d", i);
	event_fill(&ev, id, "site", delivery);
	history_txn_begin(h);
	history_event_begin(h, &ev, &dup, &err);
	history_event_trace(h, id, "bench", 1, "source: site");
	run = history_run_create(h, id, "bench", "webhook", NULL, RS_RUNNING);
	job = history_job_create(h, run, "j", NULL, 0);
	history_job_set(h, job, RS_RUNNING, NULL, NULL);
	step = step_add(h, run, job, 1, "1", "/x/logs/j/1.log", RS_RUNNING,
	    NULL, 1, 4242);
	history_txn_end(h, 1);
	history_txn_begin(h);
	history_step_set(h, step, RS_SUCCESS, 0, -1, NULL);
	history_job_set(h, job, RS_SUCCESS, NULL, "{}");
	history_run_set(h, run, RS_SUCCESS, NULL);
	history_event_finish(h, id, "done", NULL);
	history_txn_end(h, 1);
	free(dup);
	free(err);
}

/*
 * The pages one event writes: each one is a WAL frame to checksum and
 * write, and then to checkpoint. In a small history every b-tree is
 * one page, so this counts the b-trees an event touches in each of its
 * two transactions (version 9: 16 + 7).
 */
static void
test_pages(void)
{
	struct history	*h;
	char		*state, *err = NULL;
	unsigned long	 errors;
	int		 i, n;

	if (pg_uri != NULL)
		return;
	state = state_dir("pages");
	if ((h = history_open(state, 1, &err)) == NULL) {
		ok(0, "pages: open: %s", err);
		free(err);
		free(state);
		return;
	}
	errors = history_errors(h);
	for (i = 0; i < 3; i++)
		pages_event(h, i);
	wal_pages(state);
	pages_event(h, i);
	n = wal_pages(state);
	is_int((int)(history_errors(h) - errors), 0,
	    "pages: events recorded without an error");
	ok(n > 0 && n <= 21, "pages: an event and its one-step run write %d "
	    "pages (at most 14 + 7)", n);
	history_close(h);
	free(state);
}

static void
test_concurrent(void)
{
	struct history	*h;
	struct event	 ev;
	char		*state, *dup, *err, id[64];
	int		 p[2], i, status, news = 0, dups = 0, bad = 0;
	pid_t		 pid[8];
	char		 c;

	state = state_dir("concurrent/state");
#ifdef HAVE_POSTGRESQL
	/* The schema, not its tables: those the processes race to make. */
	if (pg_uri != NULL)
		pg_make_schema(state);
#endif
	if (pipe(p) == -1)
		return;
	for (i = 0; i < 8; i++) {
		if ((pid[i] = fork()) == 0) {
			close(p[1]);
			/* Start together: wait until the parent closes the pipe. */
			while (read(p[0], &c, 1) > 0)
				;
			h = open_store(state, 1, &err);
			if (h == NULL) {
				fprintf(stderr, "child %d: %s\n", i, err);
				_exit(10);
			}
			snprintf(id, sizeof(id), "%d.M0P%dR0.host", i, i);
			event_fill(&ev, id, "site", "same-delivery");
			dup = err = NULL;
			status = history_event_begin(h, &ev, &dup, &err);
			if (status == -1)
				fprintf(stderr, "child %d: %s\n", i, err);
			if (status == EVENT_NEW && history_run_create(h, id,
			    "p", NULL, NULL, RS_QUEUED) <= 0)
				status = 11;
			free(dup);
			free(err);
			history_close(h);
			_exit(status == -1 ? 12 : status);
		}
	}
	close(p[0]);
	close(p[1]);
	for (i = 0; i < 8; i++) {
		if (waitpid(pid[i], &status, 0) == -1 || !WIFEXITED(status)) {
			bad++;
			continue;
		}
		switch (WEXITSTATUS(status)) {
		case EVENT_NEW:
			news++;
			break;
		case EVENT_DUPLICATE:
			dups++;
			break;
		default:
			diag("child %d exited %d", i, WEXITSTATUS(status));
			bad++;
		}
	}
	is_int(bad, 0, "eight processes open and write at once without error");
	is_int(news, 1, "exactly one claims the delivery as new");
	is_int(dups, 7, "the others are duplicates");
	is_q(state, "SELECT count(*) FROM runs", "1", "one run in all");
	is_q(state, "SELECT count(DISTINCT duplicate_of) FROM events WHERE "
	    "status = 'duplicate'", "1", "all duplicates name the same event");
	free(state);
}

/*
 * An event with the dedup key "latest-key", received at when, with a
 * window of hours: what history_event_begin() says, and *dup.
 */
static int
dedup_at(struct history *h, const char *id, const char *when, int hours,
    char **dup)
{
	struct event	 ev;
	char		*err = NULL;
	int		 r;

	event_fill(&ev, id, "site", "latest-key");
	ev.received = when;
	ev.dedup_window_ms = hours * 3600LL * 1000;
	*dup = NULL;
	r = history_event_begin(h, &ev, dup, &err);
	free(err);
	return r;
}

/*
 * Of two originals with one dedup key inside the window, a duplicate
 * names the one received last.
 */
static void
test_dedup_latest(struct history *h)
{
	char	*dup;

	is_int(dedup_at(h, "7.M1P1R1.latest", "2026-11-22T01:00:00.000000Z",
	    1, &dup), EVENT_NEW, "latest: the first is new");
	free(dup);
	is_int(dedup_at(h, "7.M2P1R1.latest", "2026-11-22T03:00:00.000000Z",
	    1, &dup), EVENT_NEW, "latest: past the window, the second is new");
	free(dup);
	is_int(dedup_at(h, "7.M3P1R1.latest", "2026-11-22T03:30:00.000000Z",
	    4, &dup), EVENT_DUPLICATE, "latest: the third is a duplicate");
	is_str(dup, "7.M2P1R1.latest", "latest: of the one received last");
	free(dup);
}

/* Schema version 2: cut events, cancel requests, groups, attempts. */
static void
test_chain(struct history *h, const char *state)
{
	struct json_object	*o = NULL, *v, *jobs, *steps;
	struct event		 ev;
	char			*dup = NULL, *err = NULL, q[256];
	long long		 run, job, step;

	event_fill(&ev, "77.M7P7R77.host", "hookdir", "e/p/pipeline_complete");
	ev.provider = "hookdir";
	is_int(history_event_begin(h, &ev, &dup, &err), EVENT_NEW,
	    "chain: an internal event is recorded");
	free(dup);
	is_int(history_event_finish(h, "77.M7P7R77.host", "cut", "too deep"), 0,
	    "chain: cut is an event status");
	is_q(state, "SELECT status || ' ' || cut || ' ' || reason FROM events "
	    "WHERE id = '77.M7P7R77.host'", "done 1 too deep",
	    "chain: stored as done with cut set");
	if (history_event_get(h, "77.M7P7R77.host", &o) == 1 &&
	    json_object_object_get_ex(o, "status", &v))
		is_str(json_object_get_string(v), "cut",
		    "chain: history_event_get says cut");
	else
		ok(0, "chain: history_event_get");
	json_object_put(o);
	o = NULL;

	run = history_run_create(h, "77.M7P7R77.host", "p", NULL, NULL, RS_QUEUED);
	ok(run > 0, "chain: a run");
	is_int(history_run_cancel_requested(h, run), 0, "no cancel requested");
	is_int(history_run_request_cancel(h, run), 1,
	    "a run not ended can be cancelled");
	is_int(history_run_cancel_requested(h, run), 1, "the flag is seen");
	is_int(history_run_set(h, run, RS_CANCELLED, "cancelled by hand"), 0,
	    "recorded cancelled");
	is_int(history_run_request_cancel(h, run), 0,
	    "an ended run is left as it is");
	is_int(history_run_request_cancel(h, 999999), 0, "no such run: 0");
	is_int(history_run_cancel_requested(h, 999999), 0,
	    "no such run: no flag");
	is_int(history_run_set_group(h, run, "deploy-main"), 0, "set a group");
	is_q(state, "SELECT concurrency_group FROM runs WHERE id = (SELECT "
	    "max(id) FROM runs)", "deploy-main", "the group is stored");
	job = history_job_create(h, run, "a", NULL, 0);
	step = step_add(h, run, job, 1, "s", "/dev/null", RS_RUNNING, NULL, 3,
	    0);
	ok(step > 0, "a step's third attempt");
	step = step_add(h, run, job, 2, "nope", NULL, RS_FAILURE,
	    "fork: no", 1, 0);
	snprintf(q, sizeof(q), "SELECT status || ' ' || reason || ' ' || "
	    "(started IS NOT NULL) || (finished IS NOT NULL) || ' ' || "
	    "coalesce(pgid, 'n') FROM steps WHERE id = %lld", step);
	is_q(state, q, "failure fork: no 11 n",
	    "a step that could not start: one row, failed, with why");
	ok(step_add(h, run, job, 3, "bad", NULL, RS_NONE, NULL, 1, 0) == -1,
	    "a step with an unknown status is an error");
	if (history_run_get(h, run, &o) == 1 &&
	    json_object_object_get_ex(o, "jobs", &jobs) &&
	    (steps = json_object_object_get(json_object_array_get_idx(jobs,
	    0), "steps")) != NULL &&
	    json_object_object_get_ex(json_object_array_get_idx(steps, 0),
	    "attempt", &v))
		is_int(json_object_get_int(v), 3, "steps show their attempt");
	else
		ok(0, "history_run_get with steps");
	json_object_put(o);
	run = history_run_create(h, "77.M7P7R77.host", "now", NULL, NULL,
	    RS_RUNNING);
	snprintf(q, sizeof(q), "SELECT status || ' ' || CASE WHEN started = "
	    "created THEN 'started when created' END FROM runs WHERE id = "
	    "%lld", run);
	is_q(state, q, "running started when created",
	    "a run created running: started then");
	ok(history_run_create(h, "77.M7P7R77.host", "p", NULL, NULL,
	    RS_SUCCESS) == -1, "a run is not created ended");
}

/*
 * Claiming an event looks it up by id and by source + delivery id:
 * indexes, not scans, so that the cost per event does not grow with
 * the history.
 */
static void
test_no_scans(struct history *h)
{
	struct event	 ev;
	char		 id[64], delivery[32], *dup = NULL, *err = NULL;
	struct history_proc *procs = NULL;
	size_t		 nprocs;
	unsigned long	 before;
	int		 i, bad = 0;

	for (i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "5%05d.M1P1R1.scan", i);
		snprintf(delivery, sizeof(delivery), "scan-%d", i);
		event_fill(&ev, id, "site", delivery);
		if (history_event_begin(h, &ev, &dup, &err) != EVENT_NEW)
			bad++;
		free(dup);
		dup = NULL;
		history_event_finish(h, id, "done", NULL);
	}
	is_int(bad, 0, "scan: 300 new events");
	before = history_scan_steps(h);
	event_fill(&ev, "600000.M1P1R1.scan", "site", "scan-299");
	is_int(history_event_begin(h, &ev, &dup, &err), EVENT_DUPLICATE,
	    "scan: a duplicate among them is found");
	free(dup);
	dup = NULL;
	event_fill(&ev, "600001.M1P1R1.scan", "site", "scan-new");
	is_int(history_event_came_back(h, ev.id), 0,
	    "scan: a new one did not come back");
	is_int(history_event_begin(h, &ev, &dup, &err), EVENT_NEW,
	    "scan: a new one is new");
	free(dup);
	history_event_procs(h, "600001.M1P1R1.scan", &procs, &nprocs);
	free(procs);
	is_int((int)(history_scan_steps(h) - before), 0,
	    "scan: claiming scanned no table (%lu rows before)", before);
}

/*
 * A claim from new/ of an event that had ended: someone put it back,
 * by hand or with `hookdir requeue` (which counts it itself). And the
 * events a delivery id names, newest first.
 */
static void
test_came_back(struct history *h, const char *state)
{
	struct json_object	*a;
	struct event		 ev;
	char			*dup = NULL, *err = NULL;

	event_fill(&ev, "7.M1P1R7.back", "site", "d-back");
	history_event_begin(h, &ev, &dup, &err);
	event_fill(&ev, "8.M1P1R8.back", "other", "d-back");
	history_event_begin(h, &ev, &dup, &err);
	is_int(history_event_came_back(h, "never.seen"), 0,
	    "came back: not recorded");
	is_int(history_event_came_back(h, "7.M1P1R7.back"), 0,
	    "came back: not while it is processed");
	history_event_finish(h, "7.M1P1R7.back", "done", NULL);
	is_int(history_event_came_back(h, "7.M1P1R7.back"), 1,
	    "came back: done, put back by hand");
	is_q(state, "SELECT requeued FROM events WHERE id = '7.M1P1R7.back'",
	    "1", "came back: counted as a requeue");
	history_event_finish(h, "7.M1P1R7.back", "done", NULL);
	history_event_requeue(h, "7.M1P1R7.back");
	is_int(history_event_came_back(h, "7.M1P1R7.back"), 1,
	    "came back: after hookdir requeue");
	is_q(state, "SELECT requeued FROM events WHERE id = '7.M1P1R7.back'",
	    "2", "came back: hookdir requeue is counted once");

	a = history_events_by_delivery(h, "d-back");
	is_int(a != NULL ? (int)json_object_array_length(a) : -1, 2,
	    "by delivery: both sources");
	is_str(json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(a, 0), "id")), "8.M1P1R8.back",
	    "by delivery: newest first");
	json_object_put(a);
	a = history_events_by_delivery(h, "");
	is_int(a != NULL ? (int)json_object_array_length(a) : -1, 0,
	    "by delivery: an empty one names nothing");
	json_object_put(a);
}

/*
 * Several hosts: the host a handle records with the events it claims
 * and the runs and jobs it creates, and the run and event objects that
 * say so.
 */
static void
test_host(struct history *h, const char *state)
{
	struct json_object	*o = NULL;
	struct event		 ev;
	char			*dup = NULL, *err = NULL, sql[256];
	long long		 run;

	history_set_host(h, "host-a");
	event_fill(&ev, "90.M9P9R90.host-a", "site", "host-1");
	is_int(history_event_begin(h, &ev, &dup, &err), EVENT_NEW,
	    "host: event recorded");
	free(dup);
	dup = NULL;
	run = history_run_create(h, ev.id, "deploy", NULL, NULL, RS_QUEUED);
	history_job_create(h, run, "build", NULL, 0);
	is_q(state, "SELECT host FROM events WHERE id = '90.M9P9R90.host-a'",
	    "host-a", "host: the event's claim names its host");
	snprintf(sql, sizeof(sql), "SELECT r.host || ' ' || j.host FROM runs r "
	    "JOIN jobs j ON j.run = r.id WHERE r.id = %lld", run);
	is_q(state, sql, "host-a host-a", "host: so do its run and job");
	if (history_run_get(h, run, &o) == 1)
		is_str(jstr(o, "host"), "host-a", "host: the run object says it");
	else
		ok(0, "host: history_run_get");
	json_object_put(o);
	o = NULL;

	/* Host a died; host b claims the event again. */
	history_set_host(h, "host-b");
	is_int(history_event_begin(h, &ev, &dup, &err), EVENT_RECOVERED,
	    "host: another host recovers it");
	free(dup);
	if (history_event_get(h, ev.id, &o) == 1)
		is_str(jstr(o, "host"), "host-b",
		    "host: the event object names the last claim's host");
	else
		ok(0, "host: history_event_get");
	json_object_put(o);
	is_q(state, sql, "host-a host-a", "host: the old run stays host a's");
	history_set_host(h, NULL);
	run = history_run_create(h, ev.id, "deploy", NULL, NULL, RS_QUEUED);
	snprintf(sql, sizeof(sql), "SELECT coalesce(host, 'none') FROM runs "
	    "WHERE id = %lld", run);
	is_q(state, sql, "none", "host: none set, none recorded");
}

/* Leases: renewed, alive, expired, alive again. */
static void
test_lease(struct history *h)
{
	history_set_host(h, "lease-a");
	is_int(history_lease_renew(h, 60000), 0, "lease: renewed");
	is_int(history_host_alive(h, "lease-a"), 1, "lease: its host is alive");
	is_int(history_host_alive(h, "lease-b"), 0,
	    "lease: a host that never had one is not");
	is_int(history_lease_renew(h, 1), 0, "lease: renewed for 1 ms");
	usleep(50 * 1000);
	is_int(history_host_alive(h, "lease-a"), 0,
	    "lease: not renewed in time, it expired");
	is_int(history_lease_renew(h, 60000), 0, "lease: renewed again");
	is_int(history_host_alive(h, "lease-a"), 1, "lease: alive again");
	history_set_host(h, NULL);
	is_int(history_lease_renew(h, 60000), 0,
	    "lease: a handle without a host renews nothing");
}

/* needs and source in the run objects the status pages draw from. */
static void
test_graph(struct history *h, const char *state)
{
	struct json_object	*o = NULL, *jobs, *job, *v;
	struct event		 ev;
	char			*dup = NULL, *err = NULL;
	char			*needs[] = { "build", "test" };
	long long		 run;

	event_fill(&ev, "88.M8P8R88.host", "site", "graph-1");
	is_int(history_event_begin(h, &ev, &dup, &err), EVENT_NEW,
	    "graph: event recorded");
	free(dup);
	run = history_run_create(h, "88.M8P8R88.host", "deploy", NULL, NULL, RS_QUEUED);
	history_job_create(h, run, "build", NULL, 0);
	history_job_create(h, run, "test", needs, 1);
	history_job_create(h, run, "deploy[0]", needs, 2);
	is_q(state, "SELECT needs FROM jobs WHERE run = (SELECT max(id) FROM "
	    "runs) AND name = 'deploy[0]'", "[\"build\",\"test\"]",
	    "graph: needs stored as a JSON array");
	if (history_run_get(h, run, &o) != 1 ||
	    !json_object_object_get_ex(o, "jobs", &jobs) ||
	    json_object_array_length(jobs) != 3) {
		ok(0, "graph: history_run_get");
		json_object_put(o);
		return;
	}
	json_object_object_get_ex(o, "source", &v);
	is_str(json_object_get_string(v), "site", "graph: a run has its source");
	job = json_object_array_get_idx(jobs, 0);
	json_object_object_get_ex(job, "needs", &v);
	ok(json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) == 0, "graph: no needs: []");
	job = json_object_array_get_idx(jobs, 2);
	json_object_object_get_ex(job, "needs", &v);
	is_str(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
	    "[\"build\",\"test\"]", "graph: needs come back as they went in");
	json_object_put(o);
}

/* A version 2 database (before jobs.needs) is migrated, its jobs kept. */
/* What a version 9 hookdir had instead of version 10's (see v9 below). */
#define UNDO_V10 \
	"DROP INDEX events_unfinished; DROP INDEX events_finished; " \
	"CREATE INDEX events_finished ON events (finished); " \
	"DROP TABLE traces; " \
	"CREATE TABLE traces (event TEXT NOT NULL REFERENCES events (id) " \
	"ON DELETE CASCADE, pipeline TEXT NOT NULL, matched INTEGER NOT NULL, " \
	"trace TEXT NOT NULL DEFAULT '', PRIMARY KEY (event, pipeline)); "

/*
 * A new history at the newest version, closed, to take back to an
 * older one by hand: its state directory, and the database's path in
 * *path (both malloc'd).
 */
static char *
state_made(const char *name, char **path)
{
	struct history	*h;
	char		*state, *err = NULL;

	state = state_dir(name);
	h = history_open(state, 1, &err);
	history_close(h);
	free(err);
	xasprintf(path, "%s/hookdir.db", state);
	return state;
}

static void
test_migrate_v2(void)
{
	struct json_object	*o = NULL, *jobs, *v;
	struct history		*h;
	sqlite3			*db;
	char			*state, *path, *err = NULL;

	/* Undo versions 3 to 10 by hand: what a version 2 hookdir left. */
	state = state_made("v2", &path);
	sqlite3_open(path, &db);
	sqlite3_exec(db, UNDO_V10 "DROP TABLE leases; "
	    "ALTER TABLE events DROP COLUMN host; "
	    "ALTER TABLE runs DROP COLUMN host; "
	    "ALTER TABLE jobs DROP COLUMN host; "
	    "ALTER TABLE jobs DROP COLUMN needs; "
	    "ALTER TABLE steps DROP COLUMN pgid; "
	    "ALTER TABLE steps DROP COLUMN pgid_start; "
	    "ALTER TABLE steps DROP COLUMN boot_id; "
	    "DROP INDEX events_dedup; DROP INDEX events_delivery; "
	    "ALTER TABLE events DROP COLUMN dedup_key; "
	    "ALTER TABLE events DROP COLUMN dedup_rule; "
	    "CREATE UNIQUE INDEX events_delivery ON events (source, delivery) "
	    "WHERE duplicate_of IS NULL AND delivery <> ''; "
	    "ALTER TABLE runs DROP COLUMN triggered_by; "
	    "ALTER TABLE runs DROP COLUMN triggered_user; "
	    "DROP INDEX runs_finished; "
	    "CREATE INDEX runs_finished ON runs (finished); "
	    "INSERT INTO events (id, source, delivery) "
	    "VALUES ('1.M1.old', 'site', 'd1'); "
	    "INSERT INTO runs (id, event, pipeline, created) "
	    "VALUES (5, '1.M1.old', 'p', '2026-01-01T00:00:00Z'); "
	    "INSERT INTO jobs (run, name) VALUES (5, 'old'); "
	    /* The CHECKs of share/schema.sql (version 1), as spelt there. */
	    "PRAGMA writable_schema = ON; "
	    "UPDATE sqlite_master SET sql = replace(sql, "
	    "'CHECK (status = ''processing'' OR status = ''done'' OR "
	    "status = ''failed'' OR status = ''duplicate'')', "
	    "'CHECK (status IN (''processing'', ''done'', ''failed'', "
	    "''duplicate''))') WHERE name = 'events'; "
	    "UPDATE sqlite_master SET sql = replace(sql, "
	    "'CHECK (status = ''queued'' OR status = ''running'' OR "
	    "status = ''success'' OR status = ''failure'' OR "
	    "status = ''skipped'' OR status = ''cancelled'' OR "
	    "status = ''timed_out'' OR status = ''interrupted'')', "
	    "'CHECK (status IN (''queued'', ''running'', ''success'', "
	    "''failure'',' || char(10, 9) || '    ''skipped'', "
	    "''cancelled'', ''timed_out'', ''interrupted''))') "
	    "WHERE name IN ('runs', 'jobs', 'steps'); "
	    "PRAGMA schema_version = 100; "
	    "PRAGMA writable_schema = OFF; "
	    "PRAGMA user_version = 2", NULL, NULL, NULL);
	sqlite3_close(db);
	is_q(state, "PRAGMA user_version", "2", "v2: made by hand");
	is_q(state, "SELECT count(*) FROM sqlite_master WHERE "
	    "sql LIKE '%CHECK (status IN (%'", "4", "v2: CHECKs with IN");
	h = history_open(state, 0, &err);
	ok(h != NULL, "v2: migrated on open%s%s", err ? ": " : "",
	    err ? err : "");
	free(err);
	is_q(state, "PRAGMA user_version", "10", "v2: now version 10");
	status_checks(state, "v2");
	finished_index(state, "v2");
	is_q(state, "SELECT dedup_key || ' ' || dedup_rule FROM events "
	    "WHERE id = '1.M1.old'", "d1 delivery id",
	    "v2: an old event's delivery id is its dedup key");
	is_q(state, "SELECT count(*) FROM pragma_table_info('runs') WHERE "
	    "name IN ('triggered_by', 'triggered_user')", "2",
	    "v2: runs record what triggered them");
	is_q(state, "SELECT count(*) FROM pragma_table_info('steps') WHERE "
	    "name IN ('pgid', 'pgid_start', 'boot_id')", "3",
	    "v2: steps record their process groups");
	if (h != NULL && history_run_get(h, 5, &o) == 1 &&
	    json_object_object_get_ex(o, "jobs", &jobs) &&
	    json_object_object_get_ex(json_object_array_get_idx(jobs, 0),
	    "needs", &v))
		ok(json_object_array_length(v) == 0,
		    "v2: an old job has needs []");
	else
		ok(0, "v2: the old run reads back");
	json_object_put(o);
	history_close(h);
	free(path);
	free(state);
}

/*
 * A version 9 history: its traces are copied into version 10's table,
 * and gc still finds an ended event whose finished was cleared.
 */
static void
test_migrate_v9(void)
{
	struct history	*h;
	sqlite3		*db;
	char		*state, *path, *err = NULL;
	long		 count = -1;

	state = state_made("v9", &path);
	sqlite3_open(path, &db);
	sqlite3_exec(db, UNDO_V10
	    "INSERT INTO events (id, source, delivery, claimed, finished, "
	    "status) VALUES ('1.M1.v9', 'site', 'd1', '2026-01-01T00:00:00Z', "
	    "'2026-01-01T00:00:01Z', 'done'), ('2.M1.v9', 'site', 'd2', "
	    "'2026-01-01T00:00:00Z', NULL, 'done'), ('3.M1.v9', 'site', 'd3', "
	    "'2026-01-01T00:00:00Z', NULL, 'processing'); "
	    "INSERT INTO traces VALUES ('1.M1.v9', 'a', 1, 'source: site'), "
	    "('1.M1.v9', 'b', 0, 'events: got `push`, want `tag`'), "
	    "('2.M1.v9', 'a', 1, ''); "
	    "PRAGMA user_version = 9", NULL, NULL, NULL);
	sqlite3_close(db);
	is_q(state, "PRAGMA user_version", "9", "v9: made by hand");
	is_q(state, "SELECT count(*) FROM sqlite_master WHERE name = "
	    "'traces' AND sql LIKE '%WITHOUT ROWID%'", "0",
	    "v9: traces with a rowid");
	h = history_open(state, 0, &err);
	ok(h != NULL, "v9: migrated on open%s%s", err ? ": " : "",
	    err ? err : "");
	free(err);
	is_q(state, "PRAGMA user_version", "10", "v9: now version 10");
	finished_index(state, "v9");
	is_q(state, "SELECT group_concat(event || '/' || pipeline || '/' || "
	    "matched || '/' || trace, ',') FROM traces", "1.M1.v9/a/1/source: "
	    "site,1.M1.v9/b/0/events: got `push`, want `tag`,2.M1.v9/a/1/",
	    "v9: the traces are kept");
	is_int(h != NULL ? history_gc_events(h, "2026-06-01T00:00:00Z", 1,
	    &count) : -1, 0, "v9: gc --dry-run");
	is_int((int)count, 2, "v9: the ended events, finished or not, "
	    "not the one processing");
	is_q(state, "PRAGMA integrity_check", "ok", "v9: integrity_check");
	history_close(h);
	free(path);
	free(state);
}

/*
 * The worker's transactions: writes between txn_begin and txn_end
 * commit together, event_begin joins. With PostgreSQL a statement that
 * fails inside one aborts it: txn_end must roll it back and fail (not
 * take PostgreSQL's ROLLBACK-for-COMMIT as a commit), the handle must
 * work afterwards, and a group's decision is refused inside one.
 */
static void
test_txn(struct history *h, const char *state)
{
	struct event	 ev;
	const char	*status;
	char		*dup = NULL, *err = NULL, sql[200];
	long long	 run;

	event_fill(&ev, "95.M9P9R95.txn", "site", "txn-1");
	is_int(history_txn_begin(h), 1, "txn: begin opens one");
	is_int(history_txn_begin(h), 0, "txn: a second begin joins it");
	is_int(history_event_begin(h, &ev, &dup, &err), EVENT_NEW,
	    "txn: the claim joins it");
	run = history_run_create(h, ev.id, "deploy", NULL, NULL, RS_QUEUED);
	ok(run > 0, "txn: a run recorded in it");
	is_q(state, "SELECT count(*) FROM events WHERE id = '95.M9P9R95.txn'",
	    "0", "txn: not seen by others before it commits");
	is_int(history_txn_end(h, 1), 0, "txn: end commits");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE id = %lld "
	    "AND event = '95.M9P9R95.txn'", run);
	is_q(state, sql, "1", "txn: its claim and run are committed");
	is_int(history_txn_end(h, 1), 0, "txn: end without one open");

	if (pg_uri == NULL)
		return;
	/* A write that fails (no such run) inside it. */
	event_fill(&ev, "96.M9P9R96.txn", "site", "txn-2");
	is_int(history_txn_begin(h), 1, "txn: failure: begin");
	is_int(history_event_begin(h, &ev, &dup, &err), EVENT_NEW,
	    "txn: failure: the claim");
	ok(history_job_create(h, 987654321, "build", NULL, 0) == -1,
	    "txn: failure: the failing write says so");
	ok(history_run_create(h, ev.id, "deploy", NULL, NULL, RS_QUEUED) == -1,
	    "txn: failure: so does a write after it");
	is_int(history_txn_end(h, 1), -1, "txn: failure: end fails");
	is_q(state, "SELECT count(*) FROM events WHERE id = '96.M9P9R96.txn'",
	    "0", "txn: failure: nothing of it was committed");
	is_int(history_event_begin(h, &ev, &dup, &err), EVENT_NEW,
	    "txn: failure: the handle works afterwards");
	is_q(state, "SELECT count(*) FROM events WHERE id = '96.M9P9R96.txn'",
	    "1", "txn: failure: and commits on its own");
	is_int(history_txn_begin(h), 1, "txn: failure: a new one opens");
	ok(history_run_create(h, ev.id, "deploy", NULL, NULL, RS_QUEUED) > 0,
	    "txn: failure: and records");
	is_int(history_txn_end(h, 1), 0, "txn: failure: and commits");
	is_q(state, "SELECT count(*) FROM runs WHERE event = '96.M9P9R96.txn'",
	    "1", "txn: failure: its run is committed");

	/* Concurrency groups decide in transactions of their own. */
	is_int(history_txn_begin(h), 1, "txn: group: begin");
	run = history_run_create(h, ev.id, "grouped", NULL, NULL, RS_QUEUED);
	is_int(history_group_enter(h, run, "g-txn", "queue", 1, &status), -1,
	    "txn: group: no decision inside one");
	is_int(history_txn_end(h, 1), 0,
	    "txn: group: what it had recorded still commits");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM runs WHERE id = %lld",
	    run);
	is_q(state, sql, "1", "txn: group: its run is there");
	is_int(history_group_enter(h, run, "g-txn", "queue", 1, &status),
	    HISTORY_GROUP_START, "txn: group: decided outside one");
}

int
main(void)
{
	struct history	*h;
	char		*state, *err = NULL, *cmd;

	log_init("test-history", 0);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	pg_uri = getenv("HOOKDIR_TEST_DATABASE");
	if (pg_uri != NULL && *pg_uri == '\0')
		pg_uri = NULL;
#ifndef HAVE_POSTGRESQL
	if (pg_uri != NULL) {
		printf("Bail out! HOOKDIR_TEST_DATABASE is set, but this build "
		    "has no PostgreSQL (./configure --with-postgresql)\n");
		return 1;
	}
#endif
	if (pg_uri != NULL)
		diag("backend: PostgreSQL");
	test_open();
	test_migrations();

	state = state_dir("main");
	h = open_store(state, 1, &err);
	if (h == NULL) {
		ok(0, "open: %s", err);
		free(err);
		return tap_done();
	}
	test_begin(h, state);
	test_runs(h, state);
	test_queries(h);
	test_streaming(h, state);
	test_gc(h, state);
	test_chain(h, state);
	test_graph(h, state);
	test_host(h, state);
	test_lease(h);
	test_no_scans(h);
	test_dedup_latest(h);
	test_came_back(h, state);
	test_txn(h, state);
	history_close(h);
	free(state);

	test_pages();
	test_concurrent();
	/* SQLite's own history of versions. */
	if (pg_uri == NULL) {
		test_migrate_v2();
		test_migrate_v9();
	}
	test_gc_batches();

	xasprintf(&cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	free(cmd);
	return tap_done();
}
