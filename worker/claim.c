/*
 * Claiming (spool.h): rename new/ID to cur/ID under an flock that lives
 * as long as this process holds the file, and recovering a file in cur/
 * whose lock is free, which belongs to a dead worker. worker_fill() goes
 * through the listings while the runner has room.
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "exec.h"
#include "history.h"
#include "hookdir.h"
#include "log.h"
#include "run.h"
#include "spool.h"
#include "worker-int.h"

/*
 * Events claimed between two looks at signals, step output and timers:
 * events that start no run are processed at once, and a queue of them
 * must not keep a SIGTERM waiting until the whole listing is done.
 */
#define FILL_BATCH		64

/*
 * Several hosts on one spool: a file in cur/ that another host claimed
 * is that host's to recover while its lease holds (its lock may seem
 * free to us when the shared filesystem lost it). Only a host whose
 * lease expired is gone for the others.
 */
static int
worker_claimer_alive(struct worker *w, const char *id)
{
	struct json_object	*ev = NULL;
	const char		*host;
	int			 alive = 0;

	if (history_event_get(w->h, id, &ev) != 1)
		return 0;
	host = cli_jstr(ev, "host");
	if (host != NULL && strcmp(host, w->cf->host) != 0 &&
	    history_host_alive(w->h, host) == 1) {
		log_info("event %s: claimed by host %s, whose lease holds: "
		    "left to it", id, host);
		alive = 1;
	}
	json_object_put(ev);
	return alive;
}

/*
 * A file in cur/ whose lock we got: its claimer died. Unless it was
 * retired between our open and our flock (its claimer then released
 * the lock by moving it on): the name must still be this inode.
 */
static int
worker_recover_one(struct worker *w, const char *id)
{
	struct stat	 st_fd, st_path;
	char		 path[PATH_MAX];
	int		 fd;

	if ((fd = spool_recover(&w->sp, id)) == -1) {
		if (errno != EWOULDBLOCK && errno != ENOENT)
			log_warn("recovering %s", id);
		return -1;
	}
	if (spool_path(&w->sp, "cur", id, path, sizeof(path)) == -1 ||
	    fstat(fd, &st_fd) == -1 || stat(path, &st_path) == -1 ||
	    st_fd.st_dev != st_path.st_dev || st_fd.st_ino != st_path.st_ino) {
		close(fd);
		return -1;
	}
	if (worker_claimer_alive(w, id)) {
		close(fd);
		return -1;
	}
	log_info("event %s: recovered from cur/: its worker is gone", id);
	/* Nothing of its old runs may go on while it runs again. */
	if (runner_recover(w->rn, id) == -1) {
		log_warnx("event %s: its stopped worker's steps could not be "
		    "ended; left in cur/", id);
		close(fd);
		w->rc = EX_TEMPFAIL;
		return -1;
	}
	return fd;
}

static int
worker_claim_one(struct worker *w, const char *id)
{
	int	fd;

	if ((fd = spool_claim(&w->sp, id)) == -1) {
		/* Another worker was faster: normal. */
		if (errno != ENOENT && errno != EWOULDBLOCK) {
			log_warn("claiming %s", id);
			w->rc = EX_TEMPFAIL;
		}
		return -1;
	}
	log_debug("event %s: claimed", id);
	return fd;
}

static void
worker_list(struct worker *w, int cur)
{
	spool_list_free(w->ids, w->nids);
	w->ids = NULL;
	w->nids = w->next = 0;
	w->listing_cur = cur;
	w->pass_claimed = 0;
	w->seen_listed = w->seen;
	if ((w->nids = spool_list(&w->sp, cur ? "cur" : "new", &w->ids)) ==
	    -1) {
		log_warn("listing %s/%s", w->sp.dir, cur ? "cur" : "new");
		w->nids = 0;
		w->ids = NULL;
		w->rc = EX_TEMPFAIL;
	}
}

/*
 * Claim and start events while the runner has room: first dead
 * workers' files in cur/, then new/ oldest first, listing new/ again
 * until a whole pass over it claims nothing.
 */
void
worker_fill(struct worker *w)
{
	const char	*id;
	int		 fd, n = 0;

	w->fill_more = 0;
	for (;;) {
		if (w->stopping || !runner_has_room(w->rn) ||
		    exec_stop_pending() || worker_broken(w))
			return;
		if (w->next < w->nids) {
			if (n++ == FILL_BATCH) {
				w->fill_more = 1;
				return;
			}
			id = w->ids[w->next++];
			fd = w->listing_cur ? worker_recover_one(w, id) :
			    worker_claim_one(w, id);
			if (fd == -1)
				continue;
			w->pass_claimed++;
			event_process(w, id, fd, w->listing_cur);
			continue;
		}
		if (!w->listing_cur && w->pass_claimed > 0)
			w->want_list = 1;
		w->pass_claimed = 0;
		if (w->need_recover) {
			w->need_recover = 0;
			worker_list(w, 1);
			continue;
		}
		if (!w->want_list)
			return;
		w->want_list = 0;
		worker_list(w, 0);
		if (w->nids == 0)
			return;
	}
}

/* Nothing left in the listing and nothing asks for another one. */
int
worker_drained(const struct worker *w)
{
	return w->next >= w->nids && !w->want_list && !w->need_recover;
}
