/*
 * Running steps as processes (see exec.h).
 */
#include "autoconf.h"

#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "exec.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define EXEC_READ_MAX	(64 * 1024)	/* from one pipe per poll() */
#define BOOT_ID_PATH	"/proc/sys/kernel/random/boot_id"
#define END_POLL_MS	20		/* exec_end_group(): looks this often */
#define END_KILL_WAIT_MS (5 * 1000)	/* ... for SIGKILL to take */

/*
 * The gate: the step's shell first reads one line from GATE_FD, which
 * the worker writes once the step's process group is recorded
 * (exec_open_gates()). A shell that reads end-of-file instead (its
 * worker died before the record, or could not make it) runs nothing.
 * It is the shell that waits, not the child of vfork(): that one may
 * not block, its parent is suspended until it has exec'd. The text
 * is on the step's first line, so LINENO and $0 are as without it.
 */
#define GATE_FD		3
#define GATE_TEXT	"read -r _ <&3 || exit 126; exec 3<&-; "
/*
 * With exec_spec.enter, the shell then enters the directory that
 * variable names, which the caller makes while the shell starts and
 * before the gate opens. cd -P sets PWD as a shell started there
 * would; OLDPWD, which cd sets too, goes again.
 */
#define ENTER_TEXT	"cd -P -- \"$%s\" || exit 126; unset OLDPWD; "

/* The secret values of one step, for its log. */
struct mask {
	char		**v;
	size_t		 *len;
	size_t		  n;
};

struct proc {
	pid_t		 pid;		/* also the process group */
	int		 alive;		/* the shell is not reaped */
	int		 timed_out;
	int		 term_sent;
	long long	 deadline_ms;	/* 0: none */
	long long	 grace_ms;
	long long	 kill_at_ms;	/* SIGKILL then; 0: not planned */
	exec_done_fn	 done;
	void		*arg;
	int		 outfd;		/* the pipe's read end, or -1 */
	int		 gatefd;	/* the gate's write end, or -1 */
	int		 logfd;		/* -1 until the step first writes */
	char		*log_path;	/* NULL once the pipe is closed */
	int		 log_failed;	/* a write error was reported */
	struct buf	 pending;	/* read, held back: may begin a secret */
	struct mask	 mask;
};

struct exec {
	int		 sigfd;
	int		 nullfd;	/* the steps' stdin; -1 until needed */
	struct proc	*procs;
	size_t		 nprocs;
	size_t		 running;
	struct pollfd	*pfds;		/* scratch for exec_poll() */
	size_t		 npfds;
	struct proc	*tails;		/* pipes of reaped steps, still open */
	size_t		 ntails;
	/*
	 * The signals whose disposition is not the default (ignored, or
	 * caught) once exec_new() has set the worker's up: a step's child
	 * resets those alone, not all 64 while its parent waits. Handlers
	 * would go with execve anyway; ignored signals would stay ignored.
	 */
	int		 reset[NSIG];
	int		 nreset;
};

/* The signals the worker takes from its signalfd. */
static const int exec_signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };

/* ---------------------------------------------------------------- masking */

static void
mask_init(struct mask *m, const char *const *values)
{
	size_t	i;

	memset(m, 0, sizeof(*m));
	for (i = 0; values != NULL && values[i] != NULL; i++) {
		if (values[i][0] == '\0')
			continue;
		m->v = xreallocarray(m->v, m->n + 1, sizeof(*m->v));
		m->len = xreallocarray(m->len, m->n + 1, sizeof(*m->len));
		m->v[m->n] = xstrdup(values[i]);
		m->len[m->n] = strlen(values[i]);
		m->n++;
	}
}

static void
mask_release(struct mask *m)
{
	size_t	i;

	for (i = 0; i < m->n; i++) {
		explicit_bzero(m->v[i], m->len[i]);
		free(m->v[i]);
	}
	free(m->v);
	free(m->len);
	memset(m, 0, sizeof(*m));
}

/*
 * Mask p[0..len) into out. Unless final, stop before a tail that may be
 * the beginning of a value (its end is still in the pipe) and return
 * how many bytes were consumed; the caller keeps the rest.
 */
static size_t
mask_run(const struct mask *m, const char *p, size_t len, int final,
    struct buf *out)
{
	size_t	i = 0, k, best, plain = 0;
	int	partial;

	while (i < len) {
		best = 0;
		partial = 0;
		for (k = 0; k < m->n; k++) {
			if (len - i >= m->len[k]) {
				if (m->len[k] > best &&
				    memcmp(p + i, m->v[k], m->len[k]) == 0)
					best = m->len[k];
			} else if (!final &&
			    memcmp(p + i, m->v[k], len - i) == 0)
				partial = 1;
		}
		/* A longer value may still match here: wait for its end. */
		if (partial)
			break;
		if (best == 0) {
			i++;
			plain++;
			continue;
		}
		if (plain > 0)
			buf_add(out, p + i - plain, plain);
		plain = 0;
		buf_addstr(out, "***");
		i += best;
	}
	if (plain > 0)
		buf_add(out, p + i - plain, plain);
	return i;
}

void
exec_mask(const char *const *values, const char *s, size_t len,
    struct buf *out)
{
	struct mask	m;

	mask_init(&m, values);
	mask_run(&m, s, len, 1, out);
	mask_release(&m);
}

int
exec_log_open(const char *path)
{
	char	*dir, *slash;
	int	 fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd != -1 || errno != ENOENT || (slash = strrchr(path, '/')) ==
	    NULL)
		return fd;
	dir = xstrndup(path, (size_t)(slash - path));
	if (mkdir_p(dir, 0700) == -1) {
		saved = errno;
		free(dir);
		errno = saved;
		return -1;
	}
	free(dir);
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
}

/*
 * What was read from a step's pipe goes to its log, masked; the log is
 * created with the first byte, so that a silent step has none.
 */
static void
proc_log(struct proc *p, int final)
{
	struct buf	out = BUF_INIT;
	size_t		used;

	used = mask_run(&p->mask, p->pending.data, p->pending.len, final,
	    &out);
	if (out.len > 0 && p->logfd == -1 && !p->log_failed &&
	    (p->logfd = exec_log_open(p->log_path)) == -1) {
		p->log_failed = 1;
		log_warn("step %ld: %s", (long)p->pid, p->log_path);
	}
	if (out.len > 0 && p->logfd != -1 && write_all(p->logfd, out.data,
	    out.len) == -1 && !p->log_failed) {
		p->log_failed = 1;
		log_warn("step %ld: writing its log", (long)p->pid);
	}
	buf_release(&out);
	if (used == 0)
		return;
	memmove(p->pending.data, p->pending.data + used,
	    p->pending.len - used);
	p->pending.len -= used;
	if (p->pending.data != NULL)
		p->pending.data[p->pending.len] = '\0';
}

/* How much proc_read() reads. */
enum proc_read_mode {
	READ_SOME,	/* up to EXEC_READ_MAX: one poll()'s share */
	READ_ALL,	/* all there is now: the shell was reaped */
	READ_FINAL	/* all there is now, then close */
};

/*
 * Read what the pipe has and log it. At the pipe's end (every writer
 * gone, grandchildren included) or with READ_FINAL, what was held back
 * goes out and the pipe and log are closed.
 */
static void
proc_read(struct proc *p, enum proc_read_mode mode)
{
	char	buf[8192];
	size_t	total = 0;
	ssize_t	n;
	int	eof = 0;

	if (p->outfd == -1)
		return;
	for (;;) {
		n = read(p->outfd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			eof = n == 0 || (errno != EAGAIN &&
			    errno != EWOULDBLOCK);
			break;
		}
		buf_add(&p->pending, buf, (size_t)n);
		total += (size_t)n;
		if (mode == READ_SOME && total >= EXEC_READ_MAX)
			break;
	}
	if (eof || mode == READ_FINAL) {
		proc_log(p, 1);
		close(p->outfd);
		if (p->logfd != -1)
			close(p->logfd);
		p->outfd = p->logfd = -1;
		free(p->log_path);
		p->log_path = NULL;
		if (p->pending.data != NULL)
			explicit_bzero(p->pending.data, p->pending.cap);
		buf_release(&p->pending);
		mask_release(&p->mask);
	} else
		proc_log(p, 0);
}

/* ---------------------------------------------------------------- processes */

/* The worker changes no disposition after exec_new(). */
static void
exec_dispositions(struct exec *ex)
{
	struct sigaction	sa;
	int			sig;

	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, NULL, &sa) == -1 ||
		    (sa.sa_flags & SA_SIGINFO) != 0 ||
		    sa.sa_handler != SIG_DFL)
			ex->reset[ex->nreset++] = sig;
	}
}

struct exec *
exec_new(char **errp)
{
	struct exec	*ex;
	sigset_t	 set;
	size_t		 i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(exec_signals) / sizeof(*exec_signals); i++)
		sigaddset(&set, exec_signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
		xasprintf(errp, "sigprocmask: %s", strerror(errno));
		return NULL;
	}
	ex = xcalloc(1, sizeof(*ex));
	ex->nullfd = -1;
	if ((ex->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) ==
	    -1) {
		xasprintf(errp, "signalfd: %s", strerror(errno));
		free(ex);
		return NULL;
	}
	/* A reader that went away must not kill the worker. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Orphaned grandchildren of steps are reparented to the worker,
	 * which reaps them, rather than left as zombies to an init that
	 * may not reap (a container's).
	 */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1)
		log_debug("prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
	exec_dispositions(ex);
	return ex;
}

/* Close the gate without a word: the step's shell runs nothing. */
static void
gate_shut(struct proc *p)
{
	if (p->gatefd != -1) {
		close(p->gatefd);
		p->gatefd = -1;
	}
}

static void
exec_remove(struct exec *ex, size_t i)
{
	gate_shut(&ex->procs[i]);
	if (ex->procs[i].alive)
		ex->running--;
	proc_read(&ex->procs[i], READ_FINAL);
	ex->procs[i] = ex->procs[--ex->nprocs];
}

void
exec_free(struct exec *ex)
{
	size_t	i;
	int	status;

	if (ex == NULL)
		return;
	for (i = 0; i < ex->nprocs; i++) {
		gate_shut(&ex->procs[i]);
		kill(-ex->procs[i].pid, SIGKILL);
		if (ex->procs[i].alive)
			waitpid(ex->procs[i].pid, &status, 0);
		proc_read(&ex->procs[i], READ_FINAL);
	}
	/* Background processes of ended steps live on, unlogged. */
	for (i = 0; i < ex->ntails; i++)
		proc_read(&ex->tails[i], READ_FINAL);
	free(ex->tails);
	while (waitpid(-1, &status, WNOHANG) > 0)
		continue;
	close(ex->sigfd);
	if (ex->nullfd != -1)
		close(ex->nullfd);
	free(ex->procs);
	free(ex->pfds);
	free(ex);
}

size_t
exec_running(const struct exec *ex)
{
	return ex->running;
}

/* Move fd to low or above, so that dup2() below low cannot clobber it. */
static int
child_fd_high(int fd, int low)
{
	int	nfd;

	if (fd >= low)
		return fd;
	if ((nfd = fcntl(fd, F_DUPFD, low)) == -1)
		_exit(127);
	return nfd;
}

static void
child_closefrom(int lowfd)
{
#ifdef HAVE_CLOSEFROM
	closefrom(lowfd);
#else
	long	max, fd;

	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = lowfd; fd < max; fd++)
		close((int)fd);
#endif
}

/*
 * strerror() for the child of vfork(): strerror() may translate, and so
 * allocate in memory the parent shares; strerrordesc_np() only looks up.
 */
static const char *
child_strerror(int e)
{
#ifdef HAVE_STRERRORDESC_NP
	const char	*s = strerrordesc_np(e);

	return s != NULL ? s : "unknown error";
#else
	return strerror(e);
#endif
}

/*
 * In the child, between vfork and exec: only async-signal-safe work on
 * what the parent prepared, nothing written to memory the parent will
 * read (the child shares it until execve), and no return: _exit().
 */
static void __attribute__((noreturn))
child_exec(const struct exec *ex, const struct exec_spec *spec,
    const char *text, int outfd, int gatefd, pid_t parent)
{
	char		*argv[4];
	sigset_t	 none;
	int		 i, nullfd = ex->nullfd;

	/* Dispositions the worker changed (or inherited) go back to default. */
	for (i = 0; i < ex->nreset; i++)
		signal(ex->reset[i], SIG_DFL);
	/* A fresh process group: a timeout kills the step's whole tree. */
	setpgid(0, 0);
	/*
	 * No PR_SET_PDEATHSIG: it would end the shell alone when the
	 * worker dies, and leave the rest of its group running without
	 * the leader whose start time identifies the group. The next
	 * worker's recovery ends the whole group (exec_end_group()).
	 * A worker gone before the step started does not run it.
	 */
	if (getppid() != parent)
		_exit(127);
	/* Above GATE_FD, so that no dup2() below clobbers one of them. */
	outfd = child_fd_high(outfd, GATE_FD + 1);
	nullfd = child_fd_high(nullfd, GATE_FD + 1);
	gatefd = child_fd_high(gatefd, GATE_FD + 1);
	if (dup2(nullfd, 0) == -1 || dup2(outfd, 1) == -1 ||
	    dup2(outfd, 2) == -1 || dup2(gatefd, GATE_FD) == -1)
		_exit(127);
	if (chdir(spec->dir) == -1) {
		dprintf(2, "hookdir: %s: %s\n", spec->dir,
		    child_strerror(errno));
		_exit(127);
	}
	/* Nothing of the worker's leaks: no spool lock, no database. */
	child_closefrom(GATE_FD + 1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)text;
	argv[3] = NULL;
	execve("/bin/sh", argv, spec->envp);
	dprintf(2, "hookdir: /bin/sh: %s\n", child_strerror(errno));
	_exit(127);
}

pid_t
exec_start(struct exec *ex, const struct exec_spec *spec, exec_done_fn done,
    void *arg, char **errp)
{
	struct proc	*p;
	sigset_t	 all, prev;
	pid_t		 pid, parent;
	char		*text;
	int		 saved, pfd[2], gate[2];

	if (ex->nullfd == -1 && (ex->nullfd = open("/dev/null",
	    O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(errp, "/dev/null: %s", strerror(errno));
		return -1;
	}
	/* The step's output reaches its log only through the worker. */
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		xasprintf(errp, "pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(gate, O_CLOEXEC) == -1) {
		xasprintf(errp, "pipe: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (spec->enter != NULL)
		xasprintf(&text, GATE_TEXT ENTER_TEXT "%s", spec->enter,
		    spec->run);
	else
		xasprintf(&text, GATE_TEXT "%s", spec->run);
	parent = getpid();
	/*
	 * No handler may run in the child before it has reset the
	 * dispositions; the parent restores its mask at once.
	 */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &prev);
	/*
	 * vfork: the worker is suspended until the child has exec'd, and
	 * no page tables are copied only to be thrown away by execve; that
	 * is most of a step's start-up cost in a worker that holds SQLite,
	 * OpenSSL and json-c.
	 */
	pid = vfork();
	if (pid == 0)
		child_exec(ex, spec, text, pfd[1], gate[0], parent);
	saved = errno;
	if (pid > 0) {
		/*
		 * Also from the parent, so that a kill(-pid) right after
		 * fork reaches the group (the child may not have run yet).
		 * EACCES once the child has exec'd: it did it itself.
		 */
		setpgid(pid, pid);
	}
	sigprocmask(SIG_SETMASK, &prev, NULL);
	free(text);
	close(pfd[1]);
	close(gate[0]);
	if (pid == -1) {
		xasprintf(errp, "fork: %s", strerror(saved));
		close(pfd[0]);
		close(gate[1]);
		return -1;
	}
	if (fcntl(pfd[0], F_SETFL, O_NONBLOCK) == -1)
		log_warn("pipe of step %ld", (long)pid);
	ex->procs = xreallocarray(ex->procs, ex->nprocs + 1,
	    sizeof(*ex->procs));
	p = &ex->procs[ex->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->alive = 1;
	p->deadline_ms = spec->deadline_ms;
	p->grace_ms = spec->grace_ms;
	p->done = done;
	p->arg = arg;
	p->outfd = pfd[0];
	p->gatefd = gate[1];
	p->logfd = -1;
	p->log_path = xstrdup(spec->log_path);
	mask_init(&p->mask, spec->mask);
	ex->running++;
	return pid;
}

static void
exec_term(struct proc *p, long long now, long long grace_ms)
{
	long long	kill_at = now + grace_ms;

	if (!p->term_sent) {
		p->term_sent = 1;
		if (kill(-p->pid, SIGTERM) == -1 && errno != ESRCH)
			log_warn("kill %ld", (long)-p->pid);
	}
	if (p->kill_at_ms == 0 || kill_at < p->kill_at_ms)
		p->kill_at_ms = kill_at;
}

void
exec_stop(struct exec *ex, pid_t pid, long long grace_ms)
{
	size_t	i;

	for (i = 0; i < ex->nprocs; i++)
		if (ex->procs[i].pid == pid && ex->procs[i].alive) {
			exec_term(&ex->procs[i], monotonic_ms(), grace_ms);
			return;
		}
}

void
exec_open_gates(struct exec *ex, int open)
{
	struct proc	*p;
	size_t		 i;

	for (i = 0; i < ex->nprocs; i++) {
		p = &ex->procs[i];
		if (p->gatefd == -1)
			continue;
		/* A shell already gone (SIGTERM) reads nothing: no error. */
		if (open && write(p->gatefd, "\n", 1) == -1 && errno != EPIPE)
			log_warn("gate of step %ld", (long)p->pid);
		gate_shut(p);
	}
}

void
exec_shut_gate(struct exec *ex, pid_t pid)
{
	size_t	i;

	for (i = 0; i < ex->nprocs; i++)
		if (ex->procs[i].pid == pid)
			gate_shut(&ex->procs[i]);
}

/* Deadlines passed: SIGTERM; grace periods over: SIGKILL. */
static void
exec_timers(struct exec *ex)
{
	struct proc	*p;
	long long	 now = monotonic_ms();
	size_t		 i;

	for (i = 0; i < ex->nprocs; ) {
		p = &ex->procs[i];
		if (p->alive && p->deadline_ms != 0 && !p->term_sent &&
		    now >= p->deadline_ms) {
			p->timed_out = 1;
			exec_term(p, now, p->grace_ms);
		}
		if (p->kill_at_ms != 0 && now >= p->kill_at_ms) {
			p->kill_at_ms = 0;
			if (kill(-p->pid, SIGKILL) == -1 && errno != ESRCH)
				log_warn("kill %ld", (long)-p->pid);
			if (!p->alive) {
				exec_remove(ex, i);
				continue;
			}
		}
		i++;
	}
}

static long long
exec_next_timer(const struct exec *ex, long long wake_ms)
{
	const struct proc	*p;
	long long		 t = wake_ms;
	size_t			 i;

	for (i = 0; i < ex->nprocs; i++) {
		p = &ex->procs[i];
		if (p->alive && p->deadline_ms != 0 && !p->term_sent &&
		    (t == 0 || p->deadline_ms < t))
			t = p->deadline_ms;
		if (p->kill_at_ms != 0 && (t == 0 || p->kill_at_ms < t))
			t = p->kill_at_ms;
	}
	return t;
}

struct exec_done {
	exec_done_fn		done;
	void			*arg;
	struct exec_result	res;
};

static void
exec_reap(struct exec *ex)
{
	struct exec_done	*dv = NULL;
	struct proc		*p;
	size_t			 ndv = 0, i;
	pid_t			 pid;
	int			 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < ex->nprocs; i++)
			if (ex->procs[i].pid == pid && ex->procs[i].alive)
				break;
		if (i == ex->nprocs)
			continue;	/* an orphaned grandchild, now ours */
		p = &ex->procs[i];
		dv = xreallocarray(dv, ndv + 1, sizeof(*dv));
		dv[ndv].done = p->done;
		dv[ndv].arg = p->arg;
		dv[ndv].res.timed_out = p->timed_out;
		if (WIFEXITED(status)) {
			dv[ndv].res.exit_code = WEXITSTATUS(status);
			dv[ndv].res.signal = -1;
		} else {
			dv[ndv].res.exit_code = -1;
			dv[ndv].res.signal = WIFSIGNALED(status) ?
			    WTERMSIG(status) : 0;
		}
		ndv++;
		p->alive = 0;
		gate_shut(p);
		ex->running--;
		/*
		 * All the shell wrote is in the pipe now: the step's log is
		 * complete before its callback runs. A background process
		 * of the step may hold the pipe open: its output is still
		 * logged (a tail) until it closes it.
		 */
		proc_read(p, READ_ALL);
		if (p->outfd != -1) {
			ex->tails = xreallocarray(ex->tails, ex->ntails + 1,
			    sizeof(*ex->tails));
			ex->tails[ex->ntails++] = *p;
			p->outfd = p->logfd = -1;
			p->log_path = NULL;
			memset(&p->pending, 0, sizeof(p->pending));
			memset(&p->mask, 0, sizeof(p->mask));
		}
		/*
		 * A stopped step's group may outlive its shell: keep it
		 * until its SIGKILL is due, unless nothing is left of it.
		 */
		if (p->kill_at_ms == 0 || kill(-p->pid, 0) == -1)
			exec_remove(ex, i);
	}
	/* Callbacks last: they may start and stop processes. */
	for (i = 0; i < ndv; i++)
		dv[i].done(dv[i].arg, &dv[i].res);
	free(dv);
}

int
exec_poll(struct exec *ex, struct pollfd *fds, nfds_t nfds, long long wake_ms)
{
	struct signalfd_siginfo	 si;
	long long		 t, now;
	nfds_t			 i, npipes = 0, total;
	size_t			 k;
	ssize_t			 n;
	int			 timeout, r, got = 0;

	exec_timers(ex);
	t = exec_next_timer(ex, wake_ms);
	if (t == 0)
		timeout = -1;
	else {
		now = monotonic_ms();
		if (t <= now)
			timeout = 0;
		else if (t - now > INT_MAX)
			timeout = INT_MAX;
		else
			timeout = (int)(t - now);
	}
	for (k = 0; k < ex->nprocs; k++)
		if (ex->procs[k].outfd != -1)
			npipes++;
	total = nfds + 1 + npipes + ex->ntails;
	if (ex->npfds < total) {
		ex->pfds = xreallocarray(ex->pfds, total, sizeof(*ex->pfds));
		ex->npfds = total;
	}
	ex->pfds[0].fd = ex->sigfd;
	ex->pfds[0].events = POLLIN;
	ex->pfds[0].revents = 0;
	for (i = 0; i < nfds; i++) {
		ex->pfds[i + 1] = fds[i];
		ex->pfds[i + 1].revents = 0;
	}
	/* The steps' pipes, in the order of procs (unchanged until read). */
	for (k = 0, i = nfds + 1; k < ex->nprocs; k++)
		if (ex->procs[k].outfd != -1) {
			ex->pfds[i].fd = ex->procs[k].outfd;
			ex->pfds[i].events = POLLIN;
			ex->pfds[i].revents = 0;
			i++;
		}
	for (k = 0; k < ex->ntails; k++, i++) {
		ex->pfds[i].fd = ex->tails[k].outfd;
		ex->pfds[i].events = POLLIN;
		ex->pfds[i].revents = 0;
	}
	r = poll(ex->pfds, total, timeout);
	if (r == -1 && errno != EINTR)
		return -1;
	for (i = 0; i < nfds; i++)
		fds[i].revents = r > 0 ? ex->pfds[i + 1].revents : 0;
	for (k = 0, i = nfds + 1; r > 0 && k < ex->nprocs; k++)
		if (ex->procs[k].outfd != -1) {
			if (ex->pfds[i].revents != 0)
				proc_read(&ex->procs[k], READ_SOME);
			i++;
		}
	/* Tails in reverse, so that removing one keeps the others' places. */
	for (k = ex->ntails; r > 0 && k-- > 0; ) {
		if (ex->pfds[nfds + 1 + npipes + k].revents == 0)
			continue;
		proc_read(&ex->tails[k], READ_SOME);
		if (ex->tails[k].outfd == -1)
			ex->tails[k] = ex->tails[--ex->ntails];
	}
	if (r > 0 && (ex->pfds[0].revents & POLLIN)) {
		while ((n = read(ex->sigfd, &si, sizeof(si))) ==
		    (ssize_t)sizeof(si)) {
			if (si.ssi_signo != SIGCHLD)
				got = (int)si.ssi_signo;
		}
	}
	/* Reaping is cheap: do it whatever woke us, no SIGCHLD is lost. */
	exec_reap(ex);
	exec_timers(ex);
	return got;
}

/* ---------------------------------------------------------------- dead workers' steps */

/*
 * The fields of /proc/PID/stat after the command name (which may hold
 * spaces and parentheses: the last `)` ends it). 0, or -1 (errno).
 */
static int
proc_stat(pid_t pid, char *state, pid_t *pgrp, long long *start)
{
	char		 path[64], buf[1024], *p, *end;
	long long	 v;
	ssize_t		 n;
	int		 fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		errno = n == 0 ? ESRCH : errno;
		return -1;
	}
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ') {
		errno = EINVAL;
		return -1;
	}
	p += 2;
	*state = *p;
	/* Field 3 is the state; 5 the process group; 22 the start time. */
	for (field = 3; field < 22; field++) {
		if ((p = strchr(p, ' ')) == NULL) {
			errno = EINVAL;
			return -1;
		}
		p++;
		if (field + 1 == 5 || field + 1 == 22) {
			errno = 0;
			v = strtoll(p, &end, 10);
			if (errno != 0 || end == p) {
				errno = EINVAL;
				return -1;
			}
			if (field + 1 == 5)
				*pgrp = (pid_t)v;
			else
				*start = v;
		}
	}
	return 0;
}

static int
boot_id(char *buf, size_t len)
{
	static char	cached[64];	/* the same until the next boot */
	struct buf	b = BUF_INIT;
	size_t		n;

	if (cached[0] == '\0') {
		if (read_file(BOOT_ID_PATH, &b, 256) == -1)
			return -1;
		n = strcspn(buf_str(&b), "\n");
		if (n == 0 || n >= sizeof(cached)) {
			buf_release(&b);
			errno = EINVAL;
			return -1;
		}
		memcpy(cached, b.data, n);
		cached[n] = '\0';
		buf_release(&b);
	}
	if (strlen(cached) >= len) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, cached, strlen(cached) + 1);
	return 0;
}

int
exec_ident(pid_t pid, struct exec_ident *id)
{
	pid_t	pgrp;
	char	state;

	if (proc_stat(pid, &state, &pgrp, &id->start) == -1)
		return -1;
	return boot_id(id->boot, sizeof(id->boot));
}

/*
 * Is a process of the group still there? A zombie is not: it runs
 * nothing, and its parent, not we, reaps it (init in a container may
 * never do).
 */
static int
group_alive(pid_t pgid)
{
	struct dirent	*de;
	DIR		*d;
	long long	 start;
	pid_t		 pgrp;
	char		 state;
	int		 alive = 0;

	if (kill(-pgid, 0) == -1 && errno == ESRCH)
		return 0;
	if ((d = opendir("/proc")) == NULL)
		return 1;
	while (!alive && (de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (proc_stat((pid_t)strtol(de->d_name, NULL, 10), &state,
		    &pgrp, &start) == 0 && pgrp == pgid && state != 'Z')
			alive = 1;
	}
	closedir(d);
	return alive;
}

/* Wait up to ms for the group to be gone: 1 gone, 0 not yet. */
static int
group_wait_gone(pid_t pgid, long long ms)
{
	long long	until = monotonic_ms() + ms;

	for (;;) {
		if (!group_alive(pgid))
			return 1;
		if (monotonic_ms() >= until)
			return 0;
		usleep(END_POLL_MS * 1000);
	}
}

int
exec_end_group(pid_t pgid, const struct exec_ident *was, long long grace_ms)
{
	struct exec_ident	 now;
	char			 state;
	pid_t			 pgrp;

	if (pgid <= 1 || was->start < 0 || was->boot[0] == '\0')
		return 0;
	/* Another boot: nothing of it runs now. */
	if (boot_id(now.boot, sizeof(now.boot)) == -1 ||
	    strcmp(now.boot, was->boot) != 0)
		return 0;
	/*
	 * The leader identifies the group: while it exists, its pid (and
	 * so the group id) is not reused. A leader that started at another
	 * time is another process that got a recycled pid; one that is
	 * gone leaves nothing that could tell its group from another.
	 */
	if (proc_stat(pgid, &state, &pgrp, &now.start) == -1) {
		log_info("process group %ld: its leader is gone, left alone",
		    (long)pgid);
		return 0;
	}
	if (now.start != was->start) {
		log_info("process group %ld: pid %ld is another process now "
		    "(started at %lld, not %lld), left alone", (long)pgid,
		    (long)pgid, now.start, was->start);
		return 0;
	}
	log_warnx("process group %ld: a step of a stopped worker still "
	    "runs: ending it", (long)pgid);
	if (kill(-pgid, SIGTERM) == -1 && errno != ESRCH)
		log_warn("kill %ld", (long)-pgid);
	if (group_wait_gone(pgid, grace_ms))
		return 1;
	if (kill(-pgid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("kill %ld", (long)-pgid);
	if (group_wait_gone(pgid, END_KILL_WAIT_MS))
		return 1;
	log_warnx("process group %ld: still there after SIGKILL", (long)pgid);
	return -1;
}

int
exec_stop_pending(void)
{
	sigset_t	set;

	if (sigpending(&set) == -1)
		return 0;
	return sigismember(&set, SIGTERM) == 1 ||
	    sigismember(&set, SIGINT) == 1;
}
