/*
 * Runs: one pipeline started by one event. Its jobs form a DAG by
 * `needs`; a job whose needs have all ended is decided (its `if`, or
 * the skipping rules of hookdir-pipeline(5)) and queued; queued jobs
 * run their steps in order, in the run's workspace, through exec.h.
 * One runner schedules every run of a worker process, so that `-j N`
 * caps the steps running at once across all of them.
 *
 * Every status, time, exit code and reason goes to the history as it
 * happens: a worker killed at any moment leaves rows that its
 * successor's recovery marks `interrupted`.
 *
 * A job with for_each becomes one job per element (JOB[0], JOB[1] ...)
 * once its needs ended; a step with retry is tried again after an
 * exponential backoff with jitter, each attempt its own history row and
 * log (STEP.log, STEP.attempt2.log ...). Step output reaches the logs
 * through exec.h with the run's secret values masked, and so do outputs.
 * What other processes decide lives in the history and is polled once a
 * second while runs go on: `hookdir cancel` flags, and concurrency
 * groups (at most one running run per group value; the queue,
 * cancel_in_progress, skip_if_running and debounce decisions are each
 * one transaction there). When a run ends (unless interrupted, or
 * skipped by its group) its job_complete and pipeline_complete events
 * are spooled (chain.h) before its end is recorded.
 */
#ifndef HOOKDIR_RUN_H
#define HOOKDIR_RUN_H

#include <stddef.h>

#include "status.h"

struct config;
struct event;
struct exec;
struct history;
struct pipeline;
struct runner;
struct spool;

/*
 * Called once when a run has ended, with its final status (RS_SUCCESS,
 * RS_FAILURE, RS_TIMED_OUT, RS_INTERRUPTED, RS_CANCELLED, RS_SKIPPED). It
 * may be called from inside run_start() when the run ends at once
 * (every job skipped, a secret that cannot be read, its concurrency
 * group skipping it).
 */
typedef void	(*run_done_fn)(void *arg, long long run,
		    enum run_status status);

/*
 * max_steps: the -j cap; grace_ms: SIGTERM to SIGKILL for timeouts, and
 * how long running steps may go on after runner_stop(). The runner
 * keeps the pointers; they must outlive it.
 */
struct runner	*runner_new(struct exec *, struct history *,
		    const struct config *, int max_steps, long long grace_ms);
/* Only when no run is active (runner_runs() == 0). */
void		 runner_free(struct runner *);
/*
 * Completion events: the spool they go to (it must outlive the runner;
 * without one, the default, none are spooled), and who listens: at a
 * run's end listens(arg, kind, pipeline, job) is asked for each event
 * (kind "pipeline_complete" with job NULL, or "job_complete"), and only
 * those some pipeline listens to are spooled. NULL listens: all are.
 */
typedef int	(*runner_listens_fn)(void *arg, const char *kind,
		    const char *pipeline, const char *job);
void		 runner_set_spool(struct runner *, struct spool *,
		    runner_listens_fn listens, void *arg);

/*
 * Start a run of the pipeline for the event: record it, make its
 * workspace and logs, render its env, read its secrets, start what can
 * start. The event and the pipeline must stay valid until done is
 * called. Returns the run id, or -1 when it could not even be recorded
 * (done is then not called).
 */
long long	 run_start(struct runner *, const struct event *,
		    const struct pipeline *, run_done_fn done, void *arg);

/* Runs not ended yet. */
unsigned long	 runner_runs(const struct runner *);
/*
 * Is there room for more work: fewer steps running or waiting for a
 * slot than the -j cap, and not too many runs waiting for their
 * concurrency group? The worker claims events only then.
 */
int		 runner_has_room(const struct runner *);

/*
 * Before an event recovered from a dead worker is processed again: end
 * the process groups its running steps left (recorded in the history,
 * each only while its leader is still the process that started the
 * step). Blocks: up to the grace period, and a few seconds more after
 * SIGKILL. 0, or -1 when the history cannot say or a group would not
 * end: the event must wait.
 */
int		 runner_recover(struct runner *, const char *event_id);

/*
 * Stop: start no more steps; jobs waiting for a slot or between steps
 * end `interrupted`; running steps may finish for grace_ms, then get
 * SIGTERM and, after the grace period, SIGKILL, and end `interrupted`.
 * Called again (a second signal), the grace is cut to grace_ms from now
 * if that is sooner.
 */
void		 runner_stop(struct runner *, long long grace_ms);

/*
 * Time-driven work: pipeline and job timeouts of jobs waiting for a
 * slot, the end of the stop grace period. Call after every exec_poll().
 */
void		 runner_tick(struct runner *);
/* When runner_tick() next has work (monotonic_ms() clock); 0: never. */
long long	 runner_next_wake(const struct runner *);
/*
 * Remove the workspaces of the runs that ended and keep none: the
 * worker does it once what it recorded is committed and the steps it
 * started run, not while they wait.
 */
void		 runner_sweep(struct runner *);

/*
 * Outputs: what a step writes to $HOOKDIR_OUTPUT (hookdir-pipeline(5),
 * OUTPUTS), read by the worker when the step ends.
 */
#define RUN_OUTPUT_MAX	(1024 * 1024)	/* the most the file may hold */
/* Is k[0..n) an output's name: [A-Za-z0-9_-]+? 1 or 0. */
int		 run_output_key_valid(const char *k, size_t n);
/*
 * Append to out the `key<<DELIM` block that sets key to val[0..vlen)
 * byte for byte, DELIM fresh random text that val does not hold, so
 * that no value can end its block early and set other keys. -1 (and
 * nothing appended) when val holds a NUL byte.
 */
struct buf;
int		 run_output_format(const char *key, const char *val,
		    size_t vlen, struct buf *out);

#endif
