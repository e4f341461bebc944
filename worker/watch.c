/*
 * --watch: inotify on new/ (or, without it, --poll), a listing of new/
 * now and then even without news, and a look for dead workers' files in
 * cur/.
 */
#include "autoconf.h"

#include <sys/inotify.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "exec.h"
#include "log.h"
#include "spool.h"
#include "util.h"
#include "worker-int.h"

/*
 * Look for dead workers' files in cur/, and list new/ even without
 * inotify news, this often; poll this often without inotify.
 */
#define RECOVER_EVERY_MS	(60 * 1000)
#define RESCAN_EVERY_MS		(60 * 1000)
#define FALLBACK_POLL_MS	(5 * 1000)

void
worker_inotify_drain(struct worker *w)
{
	char	buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t	n;

	/* Any news (IN_Q_OVERFLOW included) means: list new/ again. */
	while ((n = read(w->ifd, buf, sizeof(buf))) > 0) {
		if (!w->want_list)
			log_debug("inotify: new/ changed");
		w->want_list = 1;
	}
	if (n == -1 && errno != EAGAIN && errno != EINTR) {
		log_warn("inotify; polling every %llds instead",
		    (long long)FALLBACK_POLL_MS / 1000);
		close(w->ifd);
		w->ifd = -1;
		w->poll_ms = FALLBACK_POLL_MS;
		w->next_scan_ms = monotonic_ms() + w->poll_ms;
	}
}

void
worker_watch_setup(struct worker *w)
{
	char	path[PATH_MAX];

	w->next_recover_ms = monotonic_ms() + RECOVER_EVERY_MS;
	if (w->poll_ms == 0) {
		snprintf(path, sizeof(path), "%s/new", w->sp.dir);
		if ((w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
		    inotify_add_watch(w->ifd, path, IN_MOVED_TO | IN_CREATE) ==
		    -1) {
			log_warn("inotify on %s; polling every %llds instead",
			    path, (long long)FALLBACK_POLL_MS / 1000);
			if (w->ifd != -1)
				close(w->ifd);
			w->ifd = -1;
			w->poll_ms = FALLBACK_POLL_MS;
		}
	}
	w->next_scan_ms = monotonic_ms() +
	    (w->poll_ms != 0 ? w->poll_ms : RESCAN_EVERY_MS);
}

/* When worker_watch_tick() next has work (monotonic_ms() clock). */
long long
worker_watch_wake(const struct worker *w)
{
	long long	t = w->next_scan_ms;

	if (w->next_recover_ms < t)
		t = w->next_recover_ms;
	if (w->ps->nerrors > 0 && monotonic_ms() + BROKEN_CHECK_MS < t)
		t = monotonic_ms() + BROKEN_CHECK_MS;
	return t;
}

/*
 * Time-driven work of --watch: list new/ again, look for dead workers'
 * files, say again that broken pipelines keep events waiting.
 */
void
worker_watch_tick(struct worker *w)
{
	long long	now = monotonic_ms();

	if (now >= w->next_scan_ms) {
		w->want_list = 1;
		w->next_scan_ms = now +
		    (w->poll_ms != 0 ? w->poll_ms : RESCAN_EVERY_MS);
	}
	if (now >= w->next_recover_ms) {
		w->need_recover = 1;
		w->next_recover_ms = now + RECOVER_EVERY_MS;
	}
	if (w->ps->nerrors > 0 && now >= w->next_remind_ms) {
		log_warnx("the pipelines in %s still have errors; "
		    "%ld event%s waiting in new/", w->cf->pipelines,
		    spool_count(&w->sp, "new"),
		    spool_count(&w->sp, "new") == 1 ? "" : "s");
		w->next_remind_ms = now + BROKEN_REMIND_MS;
	}
}
