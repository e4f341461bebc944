/*
 * What run.c (the run and its job DAG), step.c (a job's steps) and
 * group.c (concurrency groups) share; nothing else includes it.
 */
#ifndef HOOKDIR_RUN_INT_H
#define HOOKDIR_RUN_INT_H

#include <sys/types.h>

#include <stddef.h>

#include "run.h"
#include "status.h"

struct json_object;

/*
 * hookdir's own files in a run's workspace start with this: the body
 * (.hookdir-body) and the steps' outputs (.hookdir-output-JOB-STEP).
 */
#define RUN_PRIVATE		".hookdir-"

extern const char	 stopped_reason[];	/* "the worker was stopped" */
extern const char	 cancelled_reason[];	/* "the run was cancelled" */


/* An environment under construction: "NAME=value" strings, NULL-ended. */
struct envv {
	char	**v;
	size_t	  n;
	size_t	  cap;		/* room in v, the NULL included */
};

enum job_state {
	J_WAITING,	/* for its needs */
	J_QUEUED,	/* for a step slot (-j) */
	J_RUNNING,	/* a step of it runs */
	J_BETWEEN,	/* between two steps, being decided */
	J_RETRY,	/* waiting for a step's next attempt */
	J_FANNED,	/* for_each: waiting for its instances */
	J_DONE
};

/* Which limit a running step's deadline comes from. */
enum deadline_kind {
	DL_NONE,
	DL_STEP,
	DL_JOB,
	DL_PIPELINE
};

struct rjob {
	struct run		*run;
	const struct job	*job;
	const char		*name;		/* job->name, or JOB[INDEX] */
	char			*name_buf;	/* an instance's name */
	char			*item;		/* an instance's HOOKDIR_ITEM */
	struct rjob		*parent;	/* an instance's fanned-out job */
	struct rjob		**inst;		/* a fanned-out job's */
	size_t			 ninst;
	size_t			 ninst_done;
	int			 attempt;	/* of the step, from 1 */
	long long		 retry_at_ms;	/* J_RETRY: when */
	int			 cancelled;	/* its step is being cancelled */
	long long		 id;
	enum job_state		 state;
	enum run_status		 status;	/* RS_QUEUED until J_DONE */
	int			 skipped_by_if;
	int			 started;	/* its first step started */
	size_t			 next_step;
	long long		 deadline_ms;	/* job timeout; 0: none */
	struct json_object	*outputs;
	struct envv		 env;		/* job.env, rendered */
	/* the step running */
	pid_t			 pid;
	long long		 step_id;
	enum deadline_kind	 dl_kind;
	int			 stopped;	/* by runner_stop() */
	char			*output_path;
	char			*unrun;		/* why its step ran nothing */
};

struct run {
	struct runner		*rn;
	const struct event	*ev;
	const struct pipeline	*pl;
	long long		 id;
	char			*work;		/* state/work/RUN */
	char			*logs;		/* state/logs/RUN */
	char			*body_path;
	int			 work_made;	/* run_workspace_make() */
	struct envv		 env;		/* pipeline env, secrets */
	char			**secrets;	/* values to mask, NULL-ended */
	size_t			 nsecrets;
	long long		 deadline_ms;	/* 0: no pipeline timeout */
	int			 timed_out;
	int			 cancelled;
	struct rjob		*jobs;		/* indexed like pl->jobs */
	struct rjob		**inst;		/* every for_each instance */
	size_t			 ninst;
	size_t			 ndone;		/* of jobs (not instances) */
	char			*group;		/* concurrency group, or NULL */
	int			 group_wait;	/* not started: waits for it */
	long long		 group_ready_ms; /* debounce: ask from then */
	run_done_fn		 done;
	void			*arg;
	unsigned long		 hist_errors;	/* history_errors() at start */
};

struct runner {
	struct exec		*ex;
	struct history		*h;
	const struct config	*cf;
	int			 max_steps;
	long long		 grace_ms;
	struct run		**runs;
	size_t			 nruns;
	struct rjob		**q;		/* waiting for a slot */
	size_t			 nq;
	int			 running;	/* steps */
	int			 stopping;
	long long		 stop_at_ms;
	int			 stop_sent;
	int			 in_dispatch;
	struct envv		 base;		/* PATH ... HOOKDIR_CONF */
	struct spool		*sp;		/* for completion events */
	runner_listens_fn	 listens;
	void			*listens_arg;
	long long		 next_poll_ms;
	/* workspaces of ended runs, removed by runner_sweep() */
	struct trash {
		long long	 run;
		char		*work;
	}			*trash;
	size_t			 ntrash;
};

/* run.c */
/* Every job of a run, the for_each instances after the pipeline's. */
size_t		 run_njobs(const struct run *);
struct rjob	*run_job(const struct run *, size_t);
/*
 * A line about a run, at a syslog priority (log_at): "run ID PIPELINE",
 * then fmt, then "; event ID".
 */
void		 run_log(const struct run *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 fmt_duration(char *, size_t, long long);
int		 is_final(const struct rjob *, enum run_status);
void		 q_push(struct runner *, struct rjob *, int);
void		 q_remove(struct runner *, struct rjob *);
void		 run_end(struct run *, enum run_status, const char *);
void		 run_begin(struct run *);
int		 run_workspace_make(struct run *, char **);
void		 job_finish(struct rjob *, enum run_status, const char *);
void		 run_advance(struct run *);
void		 dispatch(struct runner *);

/* step.c */
void		 env_put(struct envv *, char *);
void		 env_set(struct envv *, const char *, const char *);
void		 env_release(struct envv *);
void		 step_start(struct rjob *);

/* group.c */
void		 run_group_enter(struct run *);
void		 group_poll(struct runner *, long long);

#endif
