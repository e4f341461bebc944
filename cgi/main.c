/*
 * hookdir.fcgi: the webhook responder. Runs as plain CGI (one request),
 * as FastCGI with the listening socket on fd 0 (mod_fcgid, spawn-fcgi),
 * or listening itself (--listen).
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "buf.h"
#include "config.h"
#include "jconf.h"
#include "log.h"
#include "paths.h"
#include "request.h"
#include "spool.h"
#include "xmalloc.h"

/* How often a broken configuration is logged again while it stays broken. */
#define CONF_ERROR_LOG_INTERVAL	10

static void
usage(FILE *f)
{
	fputs(
"usage: hookdir.fcgi [-v] [-c FILE | --conf-param]\n"
"                    [--listen unix:PATH|HOST:PORT] [--backlog N]\n"
"                    [--socket-mode MODE]\n"
"\n"
"Receives webhooks: checks each request's source and signature, writes it\n"
"durably into the spool and answers 202. Without --listen it serves FastCGI\n"
"when its standard input is a socket, and one CGI request otherwise.\n"
"\n"
"  -c, --config FILE      configuration (default: $HOOKDIR_CONF as started,\n"
"                         for CGI then hookdir.conf beside the script,\n"
"                         then " SYSCONFDIR "/hookdir/hookdir.conf)\n"
"  --conf-param           FastCGI: a request's HOOKDIR_CONF parameter may\n"
"                         name the configuration, if owned by root or this\n"
"                         user and writable by no one else\n"
"  --listen ADDR          listen on unix:PATH or HOST:PORT for FastCGI\n"
"  --backlog N            listen backlog (default 128)\n"
"  --socket-mode MODE     permissions of a unix socket (default 0660)\n"
"  -v, --verbose          log accepted requests too\n"
"  -h, --help             this text\n"
"  -V, --version          the version\n", f);
}

/*
 * Log a broken configuration's errors: at once when they differ from the
 * last ones logged, and otherwise at most every few seconds, so that a
 * busy endpoint does not flood the log with the same lines.
 */
static void
log_config_errors(struct responder *rs, struct diag *d, FCGX_Request *fr)
{
	struct buf	 all = BUF_INIT;
	time_t		 now = time(NULL);
	size_t		 i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].level == DIAG_ERROR)
			buf_printf(&all, "%s\n", d->v[i].text);
	if (rs->cf_errors != NULL && strcmp(rs->cf_errors, buf_str(&all)) == 0 &&
	    now - rs->cf_error_logged < CONF_ERROR_LOG_INTERVAL) {
		buf_release(&all);
		return;
	}
	rs->cf_error_logged = now;
	for (i = 0; i < d->n; i++) {
		if (d->v[i].level != DIAG_ERROR)
			continue;
		if (fr != NULL && !rs->log_stderr)
			FCGX_FPrintF(fr->err, "hookdir.fcgi: configuration "
			    "error: %s\n", d->v[i].text);
		else
			log_warnx("configuration error: %s", d->v[i].text);
	}
	free(rs->cf_errors);
	rs->cf_errors = buf_detach(&all, NULL);
}

/*
 * Make rs->cf the configuration for path, loading it when it is a
 * different file or one of its files changed since it was loaded.
 */
static void
responder_config(struct responder *rs, const char *path, FCGX_Request *fr)
{
	struct config	*cf;
	struct diag	 d;

	if (rs->cf_path != NULL && strcmp(rs->cf_path, path) == 0) {
		/*
		 * While the configuration is broken it is read again for
		 * every request, so that a fix takes effect at once.
		 */
		if (rs->cf != NULL && !config_changed(rs->cf))
			return;
	}
	diag_init(&d);
	cf = config_load(path, &d);
	if (cf == NULL) {
		log_config_errors(rs, &d, fr);
		rs->cf_broken = 1;
	} else {
		rs->cf_broken = 0;
		spool_set_host(cf->host);
	}
	diag_release(&d);
	if (rs->spool_open && (cf == NULL || rs->cf == NULL ||
	    strcmp(cf->spool, rs->cf->spool) != 0)) {
		spool_close(&rs->spool);
		rs->spool_open = 0;
	}
	config_free(rs->cf);
	rs->cf = cf;
	if (rs->cf_path == NULL || strcmp(rs->cf_path, path) != 0) {
		free(rs->cf_path);
		rs->cf_path = xstrdup(path);
	}
}

/* Replace control bytes in s, which came with a request, for the log. */
static void
log_safe(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* Could only root or this process's user have changed what st is? */
static int
conf_owner_ok(const char *path, const struct stat *st, char *why,
    size_t len)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(why, len, "%s belongs to uid %u, neither root nor "
		    "this responder's user (uid %u)", path,
		    (unsigned)st->st_uid, (unsigned)geteuid());
		return -1;
	}
	/*
	 * In a sticky directory (/tmp) others may add names, but only the
	 * owner of a name can remove or replace it: the one below is
	 * checked in its turn.
	 */
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) != 0)) {
		snprintf(why, len, "%s is writable by its group or others "
		    "(mode %04o)", path, (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

/*
 * The configuration a request's HOOKDIR_CONF names (--conf-param).
 * Whoever reaches the socket sends parameters, so the file is used only
 * if nobody but root and this responder's user can have written it or
 * put it there: an absolute path whose file and every directory above it
 * belong to root or to this user and are writable by no one else (as
 * sshd's StrictModes checks a user's files; a sticky directory such as
 * /tmp may be writable by others). Symbolic links are resolved
 * first; the checks, and the loading, are for what they lead to, so that
 * relative paths in the file are relative to its real directory. The
 * path to load (rs->conf_checked), or NULL with the reason in why.
 */
static const char *
conf_param_check(struct responder *rs, const char *param, char *why,
    size_t len)
{
	char		 real[PATH_MAX], *slash;
	struct stat	 st;

	if (param[0] != '/') {
		snprintf(why, len, "%s: not an absolute path", param);
		return NULL;
	}
	if (realpath(param, real) == NULL) {
		snprintf(why, len, "%s: %s", param, strerror(errno));
		return NULL;
	}
	if (lstat(real, &st) == -1) {
		snprintf(why, len, "%s: %s", real, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, len, "%s: not a regular file", real);
		return NULL;
	}
	/* A second name for it could be in a directory nobody checks. */
	if (st.st_nlink != 1) {
		snprintf(why, len, "%s has other hard links", real);
		return NULL;
	}
	if (conf_owner_ok(real, &st, why, len) == -1)
		return NULL;
	free(rs->conf_checked);
	rs->conf_checked = xstrdup(real);
	/* Then every directory up to the root. */
	while ((slash = strrchr(real, '/')) != NULL) {
		slash[slash == real ? 1 : 0] = '\0';
		if (stat(real, &st) == -1) {
			snprintf(why, len, "%s: %s", real, strerror(errno));
			return NULL;
		}
		if (conf_owner_ok(real, &st, why, len) == -1)
			return NULL;
		if (slash == real)
			break;
	}
	return rs->conf_checked;
}

/*
 * Plain CGI without HOOKDIR_CONF (suexec leaves it out of the
 * environment): hookdir.conf beside the script, if there is one. A
 * symbolic link there stands for the file it leads to (one outside the
 * document root, whose relative paths then stay out of it too).
 */
static const char *
conf_beside_script(struct responder *rs)
{
	const char	*sf, *slash;
	char		*real;
	struct stat	 st;

	if ((sf = getenv("SCRIPT_FILENAME")) == NULL ||
	    (slash = strrchr(sf, '/')) == NULL)
		return NULL;
	free(rs->conf_beside);
	xasprintf(&rs->conf_beside, "%.*s/hookdir.conf", (int)(slash - sf),
	    sf);
	if (stat(rs->conf_beside, &st) == -1 || !S_ISREG(st.st_mode))
		return NULL;
	if ((real = realpath(rs->conf_beside, NULL)) != NULL) {
		free(rs->conf_beside);
		rs->conf_beside = real;
	}
	return rs->conf_beside;
}

/*
 * Which configuration serves a request (hookdir.fcgi(8), CONFIGURATION):
 * -c FILE; the request's HOOKDIR_CONF with --conf-param, if it passes
 * conf_param_check(); HOOKDIR_CONF in the environment the process started
 * with; for plain CGI hookdir.conf beside the script; the default. envp
 * is a FastCGI request's parameters, NULL for plain CGI, whose
 * environment is the one it started with. NULL with *why (in buf) when
 * the request named a file that is refused.
 */
static const char *
conf_for(struct responder *rs, char **envp, char *buf, size_t len,
    const char **why)
{
	const char	*p;

	*why = NULL;
	if (rs->conf_arg != NULL)
		return rs->conf_arg;
	if (rs->conf_param && envp != NULL &&
	    (p = FCGX_GetParam("HOOKDIR_CONF", envp)) != NULL && *p != '\0') {
		if ((p = conf_param_check(rs, p, buf, len)) == NULL) {
			log_safe(buf);
			*why = buf;
		}
		return p;
	}
	if (rs->conf_env != NULL)
		return rs->conf_env;
	if (envp == NULL && (p = conf_beside_script(rs)) != NULL)
		return p;
	return config_default_path(NULL);
}

static int
serve_cgi(struct responder *rs)
{
	struct request	 req;
	const char	*path;
	char		 why[PATH_MAX + 256];

	memset(&req, 0, sizeof(req));
	req.body = &rs->body;
	if ((path = conf_for(rs, NULL, why, sizeof(why),
	    &req.conf_refused)) != NULL)
		responder_config(rs, path, NULL);
	handle_request(rs, &req);
	fflush(stdout);
	cleanup_request(&req);
	return 0;
}

/*
 * A web server set up for a responder that took its configuration from
 * the request (nginx's fastcgi_param HOOKDIR_CONF) would otherwise get
 * another configuration without a word: say so, once.
 */
static void
warn_ignored_param(struct responder *rs, FCGX_Request *fr, const char *path)
{
	const char	*p;
	char		 v[PATH_MAX];

	if (rs->conf_param || rs->conf_param_warned || path == NULL ||
	    (p = FCGX_GetParam("HOOKDIR_CONF", fr->envp)) == NULL ||
	    *p == '\0' || strcmp(p, path) == 0)
		return;
	rs->conf_param_warned = 1;
	snprintf(v, sizeof(v), "%s", p);
	log_safe(v);
	if (!rs->log_stderr)
		FCGX_FPrintF(fr->err, "hookdir.fcgi: the request parameter "
		    "HOOKDIR_CONF=%s is ignored; the configuration is %s "
		    "(hookdir.fcgi(8), CONFIGURATION)\n", v, path);
	else
		log_warnx("the request parameter HOOKDIR_CONF=%s is ignored; "
		    "the configuration is %s (hookdir.fcgi(8), CONFIGURATION)",
		    v, path);
}

static int
serve_fastcgi(struct responder *rs, int sock)
{
	FCGX_Request	 fr;
	struct request	 req;
	const char	*path;
	char		 why[PATH_MAX + 256];

	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, sock, 0) != 0)
		fatalx("cannot set up the FastCGI library");
	while (FCGX_Accept_r(&fr) >= 0) {
		memset(&req, 0, sizeof(req));
		req.fcgx = &fr;
		req.envp = fr.envp;
		req.log_stderr = rs->log_stderr;
		req.body = &rs->body;
		if ((path = conf_for(rs, fr.envp, why, sizeof(why),
		    &req.conf_refused)) != NULL)
			responder_config(rs, path, &fr);
		warn_ignored_param(rs, &fr, path);
		handle_request(rs, &req);
		cleanup_request(&req);
		FCGX_Finish_r(&fr);
	}
	return 0;
}

static int
open_listener(const char *addr, int backlog, const char *mode_s)
{
	const char	*path = addr;
	char		*end;
	long		 mode;
	int		 fd;

	errno = 0;
	mode = strtol(mode_s, &end, 8);
	if (*end != '\0' || mode < 0 || mode > 0777)
		fatalx("--socket-mode %s: not an octal mode", mode_s);
	if (strncmp(addr, "unix:", 5) == 0) {
		path = addr + 5;
		if (*path == '\0')
			fatalx("--listen unix: needs a path");
		/* A stale socket from an earlier run would make bind fail. */
		{
			struct stat st;
			if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
				unlink(path);
		}
	} else if (strchr(addr, ':') == NULL)
		fatalx("--listen %s: use unix:PATH or HOST:PORT", addr);
	if ((fd = FCGX_OpenSocket(path, backlog)) < 0)
		fatalx("--listen %s: cannot listen there", addr);
	if (path != addr && chmod(path, (mode_t)mode) == -1)
		fatal("chmod %s", path);
	return fd;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",	 required_argument, NULL, 'c' },
		{ "conf-param",	 no_argument,	    NULL, 'p' },
		{ "listen",	 required_argument, NULL, 'l' },
		{ "backlog",	 required_argument, NULL, 'b' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "verbose",	 no_argument,	    NULL, 'v' },
		{ "help",	 no_argument,	    NULL, 'h' },
		{ "version",	 no_argument,	    NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct responder	 rs;
	const char		*listen_addr = NULL, *sock_mode = "0660", *e;
	int			 ch, backlog = 128, verbose = 0, fd;

	memset(&rs, 0, sizeof(rs));
	log_init("hookdir.fcgi", 0);
	while ((ch = getopt_long(argc, argv, "c:vhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			rs.conf_arg = optarg;
			break;
		case 'p':
			rs.conf_param = 1;
			break;
		case 'l':
			listen_addr = optarg;
			break;
		case 'b':
			backlog = atoi(optarg);
			if (backlog < 1)
				backlog = 128;
			break;
		case 'm':
			sock_mode = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("hookdir.fcgi %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 64;	/* EX_USAGE */
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 64;
	}
	if (rs.conf_arg != NULL && rs.conf_param) {
		fprintf(stderr, "hookdir.fcgi: -c and --conf-param exclude "
		    "each other\n");
		return 64;
	}
	log_setverbose(verbose);
	/*
	 * Spool files are created 0600 (0640 in a group-shared spool);
	 * nothing this process creates is for others.
	 */
	umask(027);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Under a file size limit (RLIMIT_FSIZE, common on shared hosting)
	 * a large body must fail its write with EFBIG and get a 503, not
	 * kill the process.
	 */
	signal(SIGXFSZ, SIG_IGN);
	if ((e = getenv("HOOKDIR_CONF")) != NULL && *e != '\0')
		rs.conf_env = xstrdup(e);

	if (listen_addr != NULL) {
		fd = open_listener(listen_addr, backlog, sock_mode);
		/* Started by hand or by a service manager: our stderr is the log. */
		rs.log_stderr = 1;
		serve_fastcgi(&rs, fd);
	} else if (FCGX_IsCGI())
		serve_cgi(&rs);
	else
		serve_fastcgi(&rs, 0);

	if (rs.spool_open)
		spool_close(&rs.spool);
	config_free(rs.cf);
	free(rs.cf_path);
	free(rs.cf_errors);
	free(rs.conf_env);
	free(rs.conf_checked);
	free(rs.conf_beside);
	buf_release(&rs.body);
	return 0;
}
