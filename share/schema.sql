-- hookdir history, schema version 1 (PRAGMA user_version = 1).
--
-- This file is the one source of the schema: worker/store_sqlite.c (the
-- SQLite store) embeds it as migration 1 and applies it to an empty
-- database. A later version is one more migration in store_sqlite.c;
-- this file then keeps describing
-- version 1, and the migrations say how to get from there: version 2
-- adds runs.cancel_requested, runs.concurrency_group, steps.attempt and
-- events.cut; 3 jobs.needs; 4 steps.pgid, steps.pgid_start and
-- steps.boot_id (a running step's process group, its leader's start
-- time in clock ticks after boot, and the boot's id); 5 events.dedup_key
-- and events.dedup_rule (what dedup compares, and the rule that found
-- it), with events_delivery no longer unique and events_dedup added, and
-- runs.triggered_by (webhook, manual, dispatch, event) and
-- runs.triggered_user (the Unix user of `hookdir run`); 6 events.host,
-- runs.host and jobs.host (the host that last claimed the event, and the
-- one a run and its jobs ran on); 7 leases (each host's, renewed by
-- its workers while they run); 8 the CHECKs on status spelt as
-- comparisons (status = 'queued' OR ...), which SQLite evaluates without
-- building a temporary b-tree at every write; 9 runs_finished only over
-- the runs that finished (WHERE finished IS NOT NULL); 10 the same for
-- events_finished, with events_unfinished for the events that ended but
-- whose finished was cleared (requeued), traces WITHOUT ROWID, and
-- runs_status on (status, id DESC): a run's end writes its new entry next
-- to the one it removes from `running`.
--
-- Times are RFC 3339 UTC text with microseconds
-- (2026-11-22T05:00:54.123456Z): they sort as text and read as text.

-- One row per spool file the worker claimed (or could not read).
CREATE TABLE events (
	id		TEXT PRIMARY KEY,	-- the spool id
	source		TEXT NOT NULL DEFAULT '',
	provider	TEXT NOT NULL DEFAULT '',
	type		TEXT NOT NULL DEFAULT '',	-- Hookdir-Event
	delivery	TEXT NOT NULL DEFAULT '',	-- Hookdir-Delivery
	received	TEXT,			-- Hookdir-Received
	claimed		TEXT,			-- last claim by a worker
	finished	TEXT,
	status		TEXT NOT NULL DEFAULT 'processing'
	    CHECK (status IN ('processing', 'done', 'failed', 'duplicate')),
	-- The event that first came with this source + delivery id. Plain
	-- text, not a foreign key: gc may remove the original first.
	duplicate_of	TEXT,
	reason		TEXT,
	attempts	INTEGER NOT NULL DEFAULT 1,	-- claims: 1 + recoveries + requeues
	requeued	INTEGER NOT NULL DEFAULT 0	-- times `hookdir requeue` put it back
);

-- Dedup: one original event per source and delivery id. Duplicates are
-- recorded too (with duplicate_of) but stay out of the index.
CREATE UNIQUE INDEX events_delivery ON events (source, delivery)
    WHERE duplicate_of IS NULL AND delivery <> '';
CREATE INDEX events_finished ON events (finished);

-- For every event and every pipeline considered: did it match, and why.
CREATE TABLE traces (
	event		TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
	pipeline	TEXT NOT NULL,
	matched		INTEGER NOT NULL,
	trace		TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (event, pipeline)
);

CREATE TABLE runs (
	id		INTEGER PRIMARY KEY,
	event		TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
	pipeline	TEXT NOT NULL,
	status		TEXT NOT NULL DEFAULT 'queued'
	    CHECK (status IN ('queued', 'running', 'success', 'failure',
	    'skipped', 'cancelled', 'timed_out', 'interrupted')),
	created		TEXT NOT NULL,
	started		TEXT,
	finished	TEXT,
	reason		TEXT,
	attempt		INTEGER NOT NULL DEFAULT 1	-- the event's attempt that made it
);
CREATE INDEX runs_event ON runs (event);
CREATE INDEX runs_pipeline ON runs (pipeline, id);
CREATE INDEX runs_status ON runs (status);
CREATE INDEX runs_finished ON runs (finished);

CREATE TABLE jobs (
	id		INTEGER PRIMARY KEY,
	run		INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	name		TEXT NOT NULL,
	status		TEXT NOT NULL DEFAULT 'queued'
	    CHECK (status IN ('queued', 'running', 'success', 'failure',
	    'skipped', 'cancelled', 'timed_out', 'interrupted')),
	started		TEXT,
	finished	TEXT,
	reason		TEXT,
	outputs		TEXT		-- a JSON object
);
CREATE INDEX jobs_run ON jobs (run);

CREATE TABLE steps (
	id		INTEGER PRIMARY KEY,
	run		INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	job		INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	idx		INTEGER NOT NULL,	-- 1-based, in the job
	name		TEXT NOT NULL,
	status		TEXT NOT NULL DEFAULT 'queued'
	    CHECK (status IN ('queued', 'running', 'success', 'failure',
	    'skipped', 'cancelled', 'timed_out', 'interrupted')),
	exit_code	INTEGER,
	signal		INTEGER,
	started		TEXT,
	finished	TEXT,
	reason		TEXT,
	log		TEXT		-- the log file's path
);
CREATE INDEX steps_job ON steps (job);
CREATE INDEX steps_run ON steps (run);
