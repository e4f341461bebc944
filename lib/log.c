/*
 * Logging to stderr or syslog (see log.h).
 */
#include "autoconf.h"

#include <sys/ioctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static const char	*log_progname = "hookdir";
static int		 log_syslog;
static int		 log_verbose;
static int		 log_notices;
static int		 log_progress_shown;
static int		 log_stamp;	/* -1: when stderr is a file */

/*
 * Lines appended to a file (cron's `>>worker.log 2>&1`, spawn-fcgi's
 * log) need the time they were written; a terminal, a pipe (cron's own
 * mail, journald) or syslog add their own, or need none.
 */
static void
log_prefix(void)
{
	struct stat	 st;
	struct tm	 tm;
	time_t		 now;
	char		 when[40];

	if (log_stamp == -1)
		log_stamp = fstat(STDERR_FILENO, &st) == 0 &&
		    S_ISREG(st.st_mode) ? 1 : 0;
	if (log_stamp == 0)
		return;
	now = time(NULL);
	if (localtime_r(&now, &tm) != NULL &&
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", &tm) > 0)
		fprintf(stderr, "%s ", when);
}

void
log_init(const char *progname, int use_syslog)
{
	log_progname = progname;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_timestamps(void)
{
	log_stamp = -1;
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return log_verbose;
}

void
log_setnotice(int on)
{
	log_notices = on;
}

/* Erase the progress line, if one is showing. */
static void
log_progress_erase(void)
{
	if (log_progress_shown) {
		fputs("\r\033[K", stderr);
		log_progress_shown = 0;
	}
}

void
log_progress(const char *fmt, ...)
{
	struct winsize	ws;
	char		msg[1024];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/*
	 * A line that wraps cannot be rewritten with "\r": keep it within
	 * the terminal's width (one column spare), cutting at a character.
	 */
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		msg[utf8_prefix(msg, (size_t)ws.ws_col - 1, NULL)] = '\0';
	fprintf(stderr, "\r%s\033[K", msg);
	fflush(stderr);
	log_progress_shown = 1;
}

void
log_progress_end(void)
{
	log_progress_erase();
	fflush(stderr);
}

static void
log_vwrite(int pri, int with_errno, const char *fmt, va_list ap)
{
	char	 msg[4096];
	int	 saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_syslog) {
		if (with_errno)
			syslog(pri, "%s: %s", msg, strerror(saved));
		else
			syslog(pri, "%s", msg);
	} else {
		log_progress_erase();
		log_prefix();
		if (with_errno)
			fprintf(stderr, "%s: %s: %s\n", log_progname, msg,
			    strerror(saved));
		else
			fprintf(stderr, "%s: %s\n", log_progname, msg);
		fflush(stderr);
	}
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, 1, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
}

void
log_vat(int pri, const char *fmt, va_list ap)
{
	if ((pri == LOG_NOTICE && log_verbose < 1 && !log_notices) ||
	    (pri == LOG_INFO && log_verbose < 1) ||
	    (pri == LOG_DEBUG && log_verbose < 2))
		return;
	log_vwrite(pri, 0, fmt, ap);
}

void
log_at(int pri, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vat(pri, fmt, ap);
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vat(LOG_NOTICE, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vat(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vat(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, 1, fmt, ap);
	va_end(ap);
	exit(70);	/* EX_SOFTWARE */
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(70);	/* EX_SOFTWARE */
}
