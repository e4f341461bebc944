#!/bin/sh
# t/perf/history-synth.sh DB N [SPACING]: add N finished runs to the
# history DB (a state/hookdir.db the store has created, so that its
# migrations made the schema), in one transaction, without running
# anything.  Each run is what the worker records for a webhook event of a
# two-job pipeline: its event (done, with a delivery id and a trigger
# trace), the run (95% success, 5% failure; pipelines deploy, test and
# lint in turn), jobs build and deploy (deploy needs build) with one step
# each.  Runs are SPACING seconds apart (default 30: 2 880 a day), the
# newest ending now, so that a larger N is a longer history at the same
# rate, as a busy repository's grows: the last day holds the same runs
# whatever N.  Used by t/perf/history.sh and the history-at-scale test.
set -eu
db=$1 n=$2 spacing=${3:-30}
now=$(date +%s)
sqlite3 -batch -bail "$db" >/dev/null <<EOF
.timeout 10000
PRAGMA synchronous = OFF;
PRAGMA cache_size = -65536;
BEGIN IMMEDIATE;
CREATE TEMP TABLE synth AS
WITH RECURSIVE seq(i) AS (
	SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $n
)
SELECT i, $now - ($n - i) * $spacing AS t,
    coalesce((SELECT max(id) FROM runs), 0) + i AS run,
    coalesce((SELECT max(id) FROM jobs), 0) + 2 * i - 1 AS job
FROM seq;
CREATE TEMP VIEW synth_times AS SELECT i, run, job,
    printf('%d.M%06dP1R%d.perf', t - 12, i % 1000000, run) AS event,
    strftime('%Y-%m-%dT%H:%M:%S', t - 12, 'unixepoch') || '.100000Z' AS received,
    strftime('%Y-%m-%dT%H:%M:%S', t - 10, 'unixepoch') || '.200000Z' AS started,
    strftime('%Y-%m-%dT%H:%M:%S', t - 5, 'unixepoch') || '.300000Z' AS middle,
    strftime('%Y-%m-%dT%H:%M:%S', t, 'unixepoch') || '.400000Z' AS finished,
    CASE WHEN i % 20 = 0 THEN 'failure' ELSE 'success' END AS status,
    CASE i % 3 WHEN 0 THEN 'deploy' WHEN 1 THEN 'test' ELSE 'lint' END
	AS pipeline
FROM synth;
INSERT INTO events (id, source, provider, type, delivery, received, claimed,
    finished, status, dedup_key, dedup_rule)
SELECT event, 'bench', 'github', 'push', 'd-' || run, received, received,
    finished, 'done', 'd-' || run, 'delivery id' FROM synth_times;
INSERT INTO traces (event, pipeline, matched, trace)
SELECT event, pipeline, 1, 'on: push (matched)' FROM synth_times;
INSERT INTO runs (id, event, pipeline, status, created, started, finished,
    reason, attempt, triggered_by)
SELECT run, event, pipeline, status, received, started, finished,
    CASE WHEN status = 'failure' THEN 'job deploy failed' END, 1, 'webhook'
FROM synth_times;
INSERT INTO jobs (id, run, name, status, started, finished, reason, outputs,
    needs)
SELECT job, run, 'build', 'success', started, middle, NULL, '{}', '[]'
FROM synth_times
UNION ALL
SELECT job + 1, run, 'deploy', status, middle, finished,
    CASE WHEN status = 'failure' THEN 'step 1 exited 1' END, '{}',
    '["build"]'
FROM synth_times;
INSERT INTO steps (run, job, idx, name, status, exit_code, signal, started,
    finished, log)
SELECT run, job, 1, 'make', 'success', 0, NULL, started, middle,
    'logs/' || run || '/build.1.log' FROM synth_times
UNION ALL
SELECT run, job + 1, 1, './deploy', status,
    CASE WHEN status = 'failure' THEN 1 ELSE 0 END, NULL, middle, finished,
    'logs/' || run || '/deploy.1.log' FROM synth_times;
COMMIT;
EOF
