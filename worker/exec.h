/*
 * Processes: every step is `/bin/sh -c RUN` in a fresh process group,
 * with a clean environment, stdin from /dev/null and stdout and stderr
 * on a pipe that the worker reads and appends to the step's log file,
 * with every secret value replaced by `***` (also one that straddles
 * two reads). One event loop in one thread watches them all: SIGCHLD
 * (and the worker's SIGTERM, SIGINT, SIGHUP) arrive on a signalfd, the
 * pipes are polled, and poll() sleeps until the nearest deadline.
 *
 * A deadline passed, or exec_stop(), sends SIGTERM to the whole process
 * group and SIGKILL after the grace period, so that grandchildren (a
 * backgrounded `sleep`) die with the step.
 */
#ifndef HOOKDIR_EXEC_H
#define HOOKDIR_EXEC_H

#include <poll.h>
#include <stddef.h>
#include <sys/types.h>

struct buf;
struct exec;

struct exec_spec {
	const char	*run;		/* passed to sh -c verbatim */
	const char	*dir;		/* working directory */
	/*
	 * Or NULL: an environment variable (a name, not payload) naming
	 * the directory the shell enters once its gate opens; it need
	 * not exist until then.
	 */
	const char	*enter;
	char *const	*envp;		/* the whole environment */
	const char	*log_path;	/* created 0600 at the first byte */
	long long	 deadline_ms;	/* monotonic_ms() clock; 0: none */
	long long	 grace_ms;	/* SIGTERM to SIGKILL */
	/*
	 * Values never to reach the log: NULL-ended, may be NULL; copied.
	 * Empty ones are ignored.
	 */
	const char *const *mask;
};

struct exec_result {
	int	exit_code;	/* -1 when killed by a signal */
	int	signal;		/* -1 when it exited */
	int	timed_out;	/* its deadline passed: it got SIGTERM */
};

/*
 * Open a step's log to append to, created 0600 with its missing
 * directories (0700): the fd, or -1 with errno.
 */
int	exec_log_open(const char *path);

/*
 * Append s[0..len) to out with every occurrence of a value of mask
 * (NULL-ended) replaced by `***`; where two overlap at one place the
 * longer one is taken. For outputs and other text the logs do not see.
 */
void	exec_mask(const char *const *mask, const char *s, size_t len,
	    struct buf *out);

/*
 * Called from exec_poll() when the step's shell has been reaped (and
 * what it wrote is in its log). It may
 * start other processes and stop others.
 */
typedef void	(*exec_done_fn)(void *arg, const struct exec_result *);

/*
 * Block SIGCHLD, SIGTERM, SIGINT and SIGHUP (they are read from the
 * signalfd from now on), ignore SIGPIPE, and become the subreaper of
 * the steps' orphans. NULL with *errp (malloc'd) on failure.
 */
struct exec	*exec_new(char **errp);
/*
 * SIGKILL every process group still known (lingering grandchildren of
 * stopped steps), reap what can be reaped, free.
 */
void		 exec_free(struct exec *);

/*
 * Fork and exec. Returns the pid (also the process group id), or -1
 * with *errp (malloc'd) when the log file cannot be opened or fork
 * fails; done is then never called.
 */
pid_t		 exec_start(struct exec *, const struct exec_spec *,
		    exec_done_fn done, void *arg, char **errp);
/*
 * A started step's shell waits at a gate, in its own process group,
 * before it runs anything: exec_open_gates(ex, 1) lets every waiting
 * one run; the caller has committed their process groups to the
 * history by then. exec_open_gates(ex, 0), when it could not, and
 * exec_shut_gate(), for one, end them instead (they exit 126 unrun).
 */
void		 exec_open_gates(struct exec *, int open);
void		 exec_shut_gate(struct exec *, pid_t);
/*
 * SIGTERM to the process group now, SIGKILL after grace_ms unless it
 * is gone by then. Unknown or finished pids are ignored.
 */
void		 exec_stop(struct exec *, pid_t, long long grace_ms);
/* Steps running (shells not yet reaped). */
size_t		 exec_running(const struct exec *);

/*
 * Which process a pid was when it was looked at: its start time (clock
 * ticks after boot, field 22 of /proc/PID/stat) and the boot it started
 * in (/proc/sys/kernel/random/boot_id). A pid that names another
 * process later, or after a reboot, has another identity.
 */
struct exec_ident {
	long long	start;
	char		boot[40];
};
#define EXEC_IDENT_INIT	{ -1, "" }

/* The identity of a process that exists now: 0, or -1 (errno). */
int		 exec_ident(pid_t, struct exec_ident *);
/*
 * End a process group that a step of a dead worker left: only if its
 * leader pgid is still the process of that identity (a recycled pid is
 * left alone), SIGTERM the group, SIGKILL it after grace_ms, and wait
 * until no process of it is left (zombies aside). Blocks. 1 ended, 0
 * not that group any more (nothing sent), -1 something of it is still
 * there after the SIGKILL.
 */
int		 exec_end_group(pid_t pgid, const struct exec_ident *,
		    long long grace_ms);
/*
 * A SIGTERM or SIGINT waits to be read from the signalfd: long loops
 * ask, and return to exec_poll() early so that it is honoured in time.
 */
int		 exec_stop_pending(void);

/*
 * Wait until a process ends, a signal arrives, one of fds is ready or
 * the clock reaches wake_ms (0: no limit but the processes' own
 * deadlines), and handle what happened: deadlines, reaping, callbacks.
 * Returns SIGTERM, SIGINT or SIGHUP if one arrived, else 0; -1 on a
 * poll error other than EINTR. fds[].revents are set for the caller.
 */
int		 exec_poll(struct exec *, struct pollfd *fds, nfds_t nfds,
		    long long wake_ms);

#endif
