/*
 * perf-tool: the small helpers t/perf/run.sh needs, built by it at run
 * time (not part of the build or of `make check`).
 *
 *   perf-tool fill SPOOL N SOURCE SIZE
 *	Queue N valid spool messages for SOURCE (a GitHub push, a JSON body
 *	of SIZE bytes, a distinct delivery id each) in SPOOL/new/: written
 *	to tmp/, renamed into new/, no fsync.  Prints
 *	"files=N secs=S files_per_s=R".
 *   perf-tool rusage OUT PROG [ARG...]
 *	Run PROG, forwarding SIGTERM and SIGINT to it; write
 *	"wall_s=S maxrss_kb=K status=X self_cpu_s=C self_user_s=U
 *	self_sys_s=Y children_cpu_s=D" to OUT when it has exited.  self_*
 *	is PROG's own CPU time (its RUSAGE_SELF: what its children and
 *	their children used is in children_cpu_s), read from /proc while
 *	it is a zombie; self_cpu_s comes from schedstat (nanoseconds) when
 *	the kernel has it, else from the clock ticks.  Exits with PROG's
 *	status.
 *   perf-tool post HOST PORT PATH BODY_FILE SIG COUNT INTERVAL_MS OUT
 *	COUNT signed POSTs, one after the other on one connection, INTERVAL_MS
 *	apart; for every 2xx answer write "ID SECONDS" to OUT: the "id" of
 *	its JSON body and the wall-clock time (CLOCK_REALTIME) at which the
 *	whole answer had arrived.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
perf_now(clockid_t clk)
{
	struct timespec	ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
perf_die(const char *what)
{
	perror(what);
	exit(1);
}

static int
perf_write_all(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---------------------------------------------------------------- fill */

static int
perf_fill(int argc, char **argv)
{
	char	 path[4096], id[128], when[64], head[2048], *body;
	double	 t0, el;
	long	 n, i, size;
	size_t	 blen;
	int	 tmpfd, newfd, fd, hl;
	struct tm tm;
	time_t	 now;

	if (argc != 6) {
		fprintf(stderr, "usage: perf-tool fill SPOOL N SOURCE SIZE\n");
		return 2;
	}
	n = atol(argv[3]);
	size = atol(argv[5]);
	if (n < 0 || size < 64)
		return 2;
	snprintf(path, sizeof(path), "%s/tmp", argv[2]);
	if ((tmpfd = open(path, O_RDONLY | O_DIRECTORY)) == -1)
		perf_die(path);
	snprintf(path, sizeof(path), "%s/new", argv[2]);
	if ((newfd = open(path, O_RDONLY | O_DIRECTORY)) == -1)
		perf_die(path);

	/* A one-line JSON push of exactly size bytes, final newline included. */
	body = malloc((size_t)size + 1);
	if (body == NULL)
		perf_die("malloc");
	blen = (size_t)snprintf(body, (size_t)size + 1,
	    "{\"ref\":\"refs/heads/main\",\"after\":"
	    "\"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c\","
	    "\"repository\":{\"full_name\":\"octocat/Hello-World\"},\"pad\":\"");
	while (blen < (size_t)size - 3)
		body[blen++] = 'x';
	memcpy(body + blen, "\"}\n", 3);
	blen += 3;

	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
	t0 = perf_now(CLOCK_MONOTONIC);
	for (i = 0; i < n; i++) {
		/* Ids sort in the order written, like the responder's. */
		snprintf(id, sizeof(id), "%lld.M%06ldP%ldR%016lx.perf",
		    (long long)now, i % 1000000, (long)getpid(), i);
		hl = snprintf(head, sizeof(head),
		    "Hookdir-Id: %s\n"
		    "Hookdir-Received: %s\n"
		    "Hookdir-Source: %s\n"
		    "Hookdir-Provider: github\n"
		    "Hookdir-Event: push\n"
		    "Hookdir-Delivery: fill-%ld-%ld\n"
		    "Hookdir-Verified: hmac-sha256\n"
		    "Hookdir-Remote-Addr: 127.0.0.1\n"
		    "Hookdir-Method: POST\n"
		    "Hookdir-Uri: /hooks/%s\n"
		    "Content-Type: application/json\n"
		    "Content-Length: %zu\n"
		    "X-Github-Delivery: fill-%ld-%ld\n"
		    "X-Github-Event: push\n"
		    "\n", id, when, argv[4], (long)getpid(), i, argv[4], blen,
		    (long)getpid(), i);
		if (hl < 0 || hl >= (int)sizeof(head))
			return 1;
		fd = openat(tmpfd, id, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
		if (fd == -1)
			perf_die("open");
		if (perf_write_all(fd, head, (size_t)hl) == -1 ||
		    perf_write_all(fd, body, blen) == -1)
			perf_die("write");
		if (close(fd) == -1)
			perf_die("close");
		if (renameat(tmpfd, id, newfd, id) == -1)
			perf_die("rename");
	}
	el = perf_now(CLOCK_MONOTONIC) - t0;
	printf("files=%ld secs=%.2f files_per_s=%.0f\n", n, el,
	    el > 0 ? (double)n / el : 0);
	free(body);
	return 0;
}

/* ---------------------------------------------------------------- rusage */

static volatile sig_atomic_t	perf_child;

static void
perf_forward(int sig)
{
	if (perf_child > 0)
		kill(perf_child, sig);
}

/*
 * The CPU time of a process that has exited and is not yet reaped: its
 * own (utime, stime) and its waited-for descendants' (cutime, cstime),
 * in seconds.  -1 when /proc cannot tell.
 */
static int
perf_zombie_cpu(pid_t pid, double *self, double *user, double *sys,
    double *children)
{
	char			 path[64], line[2048], *p;
	unsigned long long	 ut, st, cut, cst, ns;
	double			 hz = (double)sysconf(_SC_CLK_TCK);
	FILE			*fp;
	int			 ok;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	ok = fgets(line, sizeof(line), fp) != NULL;
	fclose(fp);
	/* Fields 14-17, counted after the command's closing parenthesis. */
	if (!ok || (p = strrchr(line, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu %llu %llu", &ut, &st, &cut, &cst) != 4)
		return -1;
	*user = (double)ut / hz;
	*sys = (double)st / hz;
	*children = (double)(cut + cst) / hz;
	*self = *user + *sys;
	snprintf(path, sizeof(path), "/proc/%ld/schedstat", (long)pid);
	if ((fp = fopen(path, "r")) != NULL) {
		if (fscanf(fp, "%llu", &ns) == 1)
			*self = (double)ns / 1e9;
		fclose(fp);
	}
	return 0;
}

static int
perf_rusage(int argc, char **argv)
{
	struct sigaction sa;
	struct rusage	 ru;
	siginfo_t	 si;
	double		 t0, el, self = -1, user = -1, sys = -1, children = -1;
	pid_t		 pid;
	FILE		*fp;
	int		 st;

	if (argc < 4) {
		fprintf(stderr, "usage: perf-tool rusage OUT PROG [ARG...]\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = perf_forward;
	sigemptyset(&sa.sa_mask);
	t0 = perf_now(CLOCK_MONOTONIC);
	if ((pid = fork()) == -1)
		perf_die("fork");
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		perror(argv[3]);
		_exit(127);
	}
	perf_child = pid;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Exited but not reaped: /proc still has its times. */
	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) == -1)
		if (errno != EINTR)
			perf_die("waitid");
	if (perf_zombie_cpu(pid, &self, &user, &sys, &children) == -1)
		self = user = sys = children = -1;
	while (wait4(pid, &st, 0, &ru) == -1)
		if (errno != EINTR)
			perf_die("wait4");
	el = perf_now(CLOCK_MONOTONIC) - t0;
	if ((fp = fopen(argv[2], "w")) == NULL)
		perf_die(argv[2]);
	fprintf(fp, "wall_s=%.3f maxrss_kb=%ld status=%d self_cpu_s=%.6f "
	    "self_user_s=%.3f self_sys_s=%.3f children_cpu_s=%.3f\n", el,
	    ru.ru_maxrss, WIFEXITED(st) ? WEXITSTATUS(st) :
	    128 + WTERMSIG(st), self, user, sys, children);
	fclose(fp);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* ---------------------------------------------------------------- post */

static int
perf_connect(const char *host, int port)
{
	struct sockaddr_in	sin;
	int			fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		fprintf(stderr, "perf-tool: %s: not an IPv4 address\n", host);
		exit(2);
	}
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		perf_die("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		perf_die("connect");
	return fd;
}

/*
 * Read one HTTP/1.1 answer with a Content-Length into buf; returns its
 * status, or -1.
 */
static int
perf_read_answer(int fd, char *buf, size_t cap, char **bodyp)
{
	size_t	 have = 0;
	ssize_t	 n;
	char	*end, *cl;
	long	 clen;

	buf[0] = '\0';
	for (;;) {
		if ((end = strstr(buf, "\r\n\r\n")) != NULL) {
			if ((cl = strcasestr(buf, "\r\nContent-Length:")) ==
			    NULL || cl > end)
				return -1;
			clen = strtol(cl + 17, NULL, 10);
			if (have >= (size_t)(end + 4 - buf) + (size_t)clen) {
				*bodyp = end + 4;
				(*bodyp)[clen] = '\0';
				return atoi(buf + 9);
			}
		}
		if (have + 1 >= cap)
			return -1;
		if ((n = read(fd, buf + have, cap - 1 - have)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return -1;
		}
		have += (size_t)n;
		buf[have] = '\0';
	}
}

static int
perf_post(int argc, char **argv)
{
	struct stat	 st;
	struct timespec	 gap;
	char		 head[1024], ans[65536], *body, *abody, *p, *q;
	double		 t;
	long		 count, i, ms;
	FILE		*out;
	int		 fd, bfd, hl, status, bad = 0;

	if (argc != 10) {
		fprintf(stderr, "usage: perf-tool post HOST PORT PATH "
		    "BODY_FILE SIG COUNT INTERVAL_MS OUT\n");
		return 2;
	}
	count = atol(argv[7]);
	ms = atol(argv[8]);
	if ((bfd = open(argv[5], O_RDONLY)) == -1 || fstat(bfd, &st) == -1)
		perf_die(argv[5]);
	if ((body = malloc((size_t)st.st_size)) == NULL)
		perf_die("malloc");
	if (read(bfd, body, (size_t)st.st_size) != st.st_size)
		perf_die(argv[5]);
	close(bfd);
	if ((out = fopen(argv[9], "w")) == NULL)
		perf_die(argv[9]);
	fd = perf_connect(argv[2], atoi(argv[3]));
	gap.tv_sec = ms / 1000;
	gap.tv_nsec = (ms % 1000) * 1000000;
	for (i = 0; i < count; i++) {
		hl = snprintf(head, sizeof(head),
		    "POST %s HTTP/1.1\r\n"
		    "Host: 127.0.0.1\r\n"
		    "Content-Type: application/json\r\n"
		    "User-Agent: GitHub-Hookshot/perf\r\n"
		    "X-GitHub-Event: push\r\n"
		    "X-GitHub-Delivery: post-%ld-%ld\r\n"
		    "X-Hub-Signature-256: sha256=%s\r\n"
		    "Content-Length: %lld\r\n"
		    "\r\n", argv[4], (long)getpid(), i, argv[6],
		    (long long)st.st_size);
		if (hl < 0 || hl >= (int)sizeof(head))
			return 1;
		if (perf_write_all(fd, head, (size_t)hl) == -1 ||
		    perf_write_all(fd, body, (size_t)st.st_size) == -1)
			perf_die("send");
		status = perf_read_answer(fd, ans, sizeof(ans), &abody);
		t = perf_now(CLOCK_REALTIME);
		if (status < 200 || status > 299 ||
		    (p = strstr(abody, "\"id\":\"")) == NULL ||
		    (q = strchr(p + 6, '"')) == NULL) {
			bad++;
			fprintf(stderr, "perf-tool post: request %ld: status "
			    "%d\n", i, status);
			if (status == -1)
				break;
		} else {
			*q = '\0';
			fprintf(out, "%s %.6f\n", p + 6, t);
		}
		nanosleep(&gap, NULL);
	}
	close(fd);
	fclose(out);
	free(body);
	return bad ? 1 : 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "fill") == 0)
		return perf_fill(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "rusage") == 0)
		return perf_rusage(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "post") == 0)
		return perf_post(argc, argv);
	fprintf(stderr, "usage: perf-tool fill|rusage|post ...\n");
	return 2;
}
