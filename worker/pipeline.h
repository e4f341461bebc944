/*
 * Pipelines: pipelines/NAME.json, validated once when loaded (every
 * error with file:line, see hookdir-pipeline(5)), re-read when changed.
 */
#ifndef HOOKDIR_PIPELINE_H
#define HOOKDIR_PIPELINE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "jconf.h"

struct config;
struct expr;
struct json_object;
struct jsonpath;
struct template;

/*
 * step.retry: a failed attempt is tried again after backoff_ms, doubled
 * each time up to max_backoff_ms, with jitter. attempts counts the
 * first one: 1 (the default) means no retry.
 */
struct step_retry {
	int		 attempts;
	long long	 backoff_ms;
	long long	 max_backoff_ms;	/* 0: no cap */
};

struct step {
	char		*name;		/* given, or its 1-based number */
	char		*run;		/* sh -c text; never templated */
	long long	 timeout_ms;	/* 0: none */
	int		 continue_on_error;
	struct step_retry retry;
	int		 line;
};

struct env_var {
	char		*name;
	struct template	*value;
};

/* job.max_fan_out: its default and the most it may be. */
#define FAN_OUT_DEFAULT	256
#define FAN_OUT_MAX	10000

struct job {
	char		*name;
	char		**needs;
	size_t		 nneeds;
	size_t		*need_idx;	/* indexes into pipeline->jobs */
	struct expr	*if_expr;	/* NULL: run when all needs succeeded */
	struct step	*steps;
	size_t		 nsteps;
	long long	 timeout_ms;	/* 0: none */
	/*
	 * job.for_each: an expression evaluated, once the needs have
	 * finished, in the job's environment; NULL for an ordinary job.
	 */
	struct expr	*for_each;
	char		*for_each_text;	/* as written, for messages */
	/*
	 * job.max_fan_out: an array longer than this fails the job before
	 * any instance exists.
	 */
	size_t		 max_fan_out;
	/*
	 * job.env: rendered when the job is decided, with the event and
	 * `needs` (its needs' statuses and outputs), over the pipeline's.
	 */
	struct env_var	*env;		size_t nenv;
	int		 line;
};

struct match_rule {
	char		*path_text;	/* "$.repository.full_name" */
	struct jsonpath	*path;
	struct json_object *want;	/* value or list of values */
};

/* on.event: custom events spooled by `hookdir emit NAME`. */
struct on_event {
	char		**names;	size_t nnames;	/* ORed */
	struct match_rule *match;	size_t nmatch;	/* on the data */
	struct expr	*if_expr;
};

/* on.pipeline_complete: a run of another (or the same) pipeline ended. */
struct on_pipeline_complete {
	char		**names;	size_t nnames;	/* pipelines */
	char		**statuses;	size_t nstatuses; /* none: any */
};

/* on.job_complete: a job of a run ended. */
struct on_job_complete {
	char		**pipelines;	size_t npipelines; /* none: any */
	char		**jobs;		size_t njobs;	/* none: any */
	char		**statuses;	size_t nstatuses; /* none: any */
};

struct trigger_on {
	char		**sources;	size_t nsources;
	char		**events;	size_t nevents;
	char		**branches;	size_t nbranches;
	char		**tags;		size_t ntags;
	char		**paths;	size_t npaths;
	struct match_rule *match;	size_t nmatch;
	struct expr	*if_expr;
	/*
	 * Internal events (Hookdir-Provider: hookdir): a pipeline listens
	 * to them only through these (NULL when absent), and to webhooks
	 * only through the fields above. internal is set when any of the
	 * three is present.
	 */
	struct on_event	*event;
	struct on_pipeline_complete *pipeline_complete;
	struct on_job_complete *job_complete;
	int		 internal;
	int		 source_line;	/* of on.source, for `hookdir check` */
};

enum concurrency_mode {
	CONCURRENCY_QUEUE,		/* newer runs wait, in order */
	CONCURRENCY_CANCEL_IN_PROGRESS,	/* a newer run cancels the running one */
	CONCURRENCY_SKIP_IF_RUNNING,	/* a newer run is recorded as skipped */
	CONCURRENCY_DEBOUNCE		/* latest wins after `quiet` */
};

/* pipeline.concurrency: at most one run per group value at a time. */
struct concurrency {
	struct template	*group;		/* NULL: no concurrency group */
	enum concurrency_mode mode;
	long long	 quiet_ms;	/* debounce only; > 0 there */
};

/*
 * An input of a manual or dispatched run (`inputs`): what `hookdir run
 * --input` and a dispatch body may give, as inputs.NAME in expressions
 * and HOOKDIR_INPUT_NAME (upper-cased) in steps.
 */
enum input_type {
	INPUT_STRING,
	INPUT_NUMBER,
	INPUT_BOOLEAN,
	INPUT_CHOICE
};

struct pipeline_input {
	char		*name;
	char		*description;	/* NULL: none */
	struct json_object *def;	/* NULL: no default */
	int		 required;
	enum input_type	 type;
	char		**options;	size_t noptions;	/* choice */
};

struct pipeline {
	char		*name;		/* file name without .json */
	char		*file;
	struct trigger_on on;
	struct env_var	*env;		size_t nenv;
	char		**secrets;	size_t nsecrets;
	int		 secrets_line;
	long long	 timeout_ms;	/* 0: none */
	struct concurrency concurrency;
	struct job	*jobs;		size_t njobs;
	size_t		*order;		/* jobs in a topological order */
	struct pipeline_input *inputs;	size_t ninputs;
	int		 dispatch;	/* a dispatch source may start it */
	int		 keep_workspace; /* also after a successful run */
};

struct pipeline_set {
	struct pipeline	**v;
	size_t		  n;
	char		 *dir;
	/* to notice changes: the directory's and each file's mtime */
	struct timespec	  dir_mtime;
	char		**files;	/* every *.json seen, loaded or not */
	struct timespec	 *mtimes;	/* parallel to files */
	size_t		  nfiles;
};

/*
 * Load every *.json in the config's pipelines directory. Every problem
 * goes to d (file:line: key: message). Pipelines with errors are left
 * out; returns the number of errors. A missing directory is a warning.
 */
/*
 * The inputs of a manual or dispatched run of p from given (an object
 * of name: value, values strings or JSON values; NULL for none):
 * defaults filled in, numbers and booleans given as text converted.
 * Returns the new object, or NULL with *err (malloc'd) saying why:
 * an unknown input, a required one missing, a wrong type, a value not
 * among the choices.
 */
struct json_object *pipeline_inputs(const struct pipeline *p,
	    struct json_object *given, char **err);
size_t	pipelines_load(const struct config *, struct pipeline_set *,
	    struct diag *d);
int	pipelines_changed(const struct pipeline_set *);
void	pipelines_release(struct pipeline_set *);
const struct pipeline *pipelines_find(const struct pipeline_set *,
	    const char *name);

/* Load one file (for `hookdir test`): NULL with errors in d. */
struct pipeline *pipeline_load_file(const char *path, struct diag *d);
void	pipeline_free(struct pipeline *);

#endif
