/*
 * Logging: to stderr (the web server's error log, or the terminal) or to
 * syslog. The "x" variants do not append strerror(errno).
 */
#ifndef HOOKDIR_LOG_H
#define HOOKDIR_LOG_H

#include <stdarg.h>
#include <syslog.h>

void	log_init(const char *progname, int use_syslog);
/*
 * Prefix each line written to stderr with the local time when stderr is
 * a regular file (a log that cron or a service appends to).
 */
void	log_timestamps(void);
void	log_setverbose(int);
int	log_getverbose(void);
/*
 * Notices (LOG_NOTICE) are the lines a daemon logs for each thing it
 * did; printed with -v, or always once log_setnotice(1).
 */
void	log_setnotice(int);
/*
 * log_at: at a syslog priority, LOG_WARNING (always), LOG_NOTICE,
 * LOG_INFO (-v) or LOG_DEBUG (-vv).
 */
void	log_at(int pri, const char *, ...) __attribute__((format(printf, 2, 3)));
void	log_vat(int pri, const char *, va_list);
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * A line on stderr that the next one replaces ("\r" and clear to the
 * end of the line): for a terminal. Any other line erases it first;
 * log_progress_end erases it for good.
 */
void	log_progress(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_progress_end(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
