/*
 * Internal events: what pipelines tell each other. A run's end
 * (pipeline_complete), a job's end (job_complete) and `hookdir emit
 * NAME` become ordinary spool files (Hookdir-Provider: hookdir), so they
 * survive a crash like any webhook and go through the same triggers,
 * history and dedup. See hookdir-pipeline(5), COMPLETION EVENTS.
 *
 * Each carries its chain depth (the parent event's + 1), the run and the
 * event it came from; an event deeper than max_chain_depth is cut:
 * recorded, logged, never run.
 */
#ifndef HOOKDIR_CHAIN_H
#define HOOKDIR_CHAIN_H

#define CHAIN_PROVIDER		"hookdir"
#define CHAIN_SOURCE		"hookdir"
#define CHAIN_PIPELINE_COMPLETE	"pipeline_complete"
#define CHAIN_JOB_COMPLETE	"job_complete"

struct config;
struct event;
struct history;
struct json_object;
struct pipeline_set;
struct spool;

/*
 * A run of pipeline, started by parent, ended with status. outputs is
 * {JOB: {KEY: VALUE}} (borrowed; NULL for none). The delivery id is
 * PARENT_EVENT/PIPELINE/pipeline_complete, so that the run a recovery
 * repeats does not chain twice. 0, or -1 (logged: the file is not in
 * new/).
 */
int	chain_spool_pipeline_complete(struct spool *, const struct event *parent,
	    const char *pipeline, long long run, const char *status,
	    struct json_object *outputs);
/*
 * A job of such a run ended; outputs {KEY: VALUE} (borrowed, may be
 * NULL). Delivery PARENT_EVENT/PIPELINE/JOB/job_complete.
 */
int	chain_spool_job_complete(struct spool *, const struct event *parent,
	    const char *pipeline, const char *job, long long run,
	    const char *status, struct json_object *outputs);
/*
 * `hookdir emit NAME DATA`: data is borrowed (NULL: JSON null); run and
 * parent_event may be NULL or "" when not emitted from a step. The new
 * spool id is copied into id_out (SPOOL_ID_MAX bytes) when not NULL.
 * 0, or -1 (logged).
 */
int	chain_spool_custom(struct spool *, const char *name,
	    struct json_object *data, const char *run, const char *parent_event,
	    int parent_depth, char *id_out);

/*
 * `hookdir run PIPELINE`: an internal event of type EVENT_MANUAL whose
 * body names the pipeline, the inputs as given (an object of strings)
 * and the Unix user; the worker starts that pipeline alone, without
 * evaluating its `on`. Chained like a custom event when run from a
 * step. 0, or -1 (logged).
 */
int	chain_spool_manual(struct spool *, const char *pipeline,
	    struct json_object *inputs, const char *user, const char *run,
	    const char *parent_event, int parent_depth, char *id_out);

/*
 * The data of an event, with every value of mask (NULL-ended, as
 * exec_mask() takes them) replaced by `***` in its strings and its
 * keys; a number or a boolean whose text holds one becomes that text,
 * masked, as a string. data is borrowed; a new reference (NULL for
 * JSON null).
 */
struct json_object *chain_mask(const char *const *mask,
	    struct json_object *data);

/*
 * For a command a step runs (`emit`, `respond`): the values what it
 * sends must not carry, the run's secrets, named by $HOOKDIR_SECRETS,
 * their values in the environment the worker gave the step. Outside a
 * step (no $HOOKDIR_RUN_ID) there are none. *v is NULL-ended, its
 * strings the environment's (free *v); *names holds the copy the caller
 * frees. 0, or an exit status with the error printed ("hookdir CMD:
 * ..."): a secret the step dropped cannot be masked, so nothing is to
 * be sent.
 */
int	chain_step_secrets(const char *cmd, const char ***v, char **names);

/*
 * Does any pipeline of the set listen to type (CHAIN_PIPELINE_COMPLETE
 * or CHAIN_JOB_COMPLETE)? When none does, the worker need not spool
 * completion events at all: a spool without chained pipelines holds
 * only webhooks. 1 or 0.
 */
int	chain_listened(const struct pipeline_set *, const char *type);

/*
 * Loop safety, called once an event is recorded as claimed: is it an
 * internal event deeper than the configuration's max_chain_depth? Then
 * it is recorded as `cut` with the reason and logged, and 1 is
 * returned: the caller runs nothing and retires it to done/. 0 when it
 * may run; -1 on a history error (logged).
 */
int	chain_cut(struct history *, const struct config *, const struct event *);

#endif
