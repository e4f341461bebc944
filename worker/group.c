/*
 * Concurrency groups (see run.h): at most one running run per group
 * value. Each decision (queue, cancel_in_progress, skip_if_running,
 * debounce) is one transaction in the history, so that every worker
 * process sees the same groups; a run waiting for its group is asked
 * about again once a second.
 */
#include "autoconf.h"

#include <stdlib.h>

#include "buf.h"
#include "event.h"
#include "exec.h"
#include "expr.h"
#include "history.h"
#include "log.h"
#include "pipeline.h"
#include "run.h"
#include "run-int.h"
#include "status.h"
#include "util.h"
#include "xmalloc.h"

static const char *
group_mode_name(enum concurrency_mode m)
{
	switch (m) {
	case CONCURRENCY_CANCEL_IN_PROGRESS:
		return "cancel_in_progress";
	case CONCURRENCY_SKIP_IF_RUNNING:
		return "skip_if_running";
	case CONCURRENCY_DEBOUNCE:
		return "debounce";
	default:
		return "queue";
	}
}

/*
 * The group ended the run before it started (skipped, superseded,
 * cancelled): with the status the history recorded, the one name it
 * gives, which is a run's ended status unless the history is damaged.
 */
static void
group_ended(struct run *r, const char *name)
{
	int	s;

	run_log(r, LOG_INFO, ": concurrency group `%s`: %s", r->group, name);
	if ((s = status_run_from_name(name)) == RS_NONE || !status_ended(s))
		s = RS_FAILURE;
	run_end(r, s, NULL);
}

/*
 * The concurrency group's decision, made in the history so that every
 * worker process sees the same groups: start, wait (queued), or end.
 */
void
run_group_enter(struct run *r)
{
	struct runner		*rn = r->rn;
	const struct concurrency *c = &r->pl->concurrency;
	struct buf		 b = BUF_INIT;
	const char		*status = NULL;
	char			*err = NULL;
	int			 rc;

	if (template_render(c->group, event_env(r->ev), &b, &err) == -1) {
		buf_reset(&b);
		buf_printf(&b, "concurrency.group: %s", err);
		free(err);
		run_end(r, RS_FAILURE, buf_str(&b));
		buf_release(&b);
		return;
	}
	r->group = buf_detach(&b, NULL);
	if (r->group == NULL)
		r->group = xstrdup("");
	rc = history_group_enter(rn->h, r->id, r->group,
	    group_mode_name(c->mode), c->mode != CONCURRENCY_DEBOUNCE,
	    &status);
	if (rc == -1) {
		run_end(r, RS_FAILURE, "concurrency group: the history "
		    "could not record it");
		return;
	}
	if (rc == HISTORY_GROUP_ENDED) {
		group_ended(r, status);
		return;
	}
	if (rc == HISTORY_GROUP_START) {
		run_begin(r);
		return;
	}
	r->group_wait = 1;
	r->group_ready_ms = monotonic_ms() +
	    (c->mode == CONCURRENCY_DEBOUNCE ? c->quiet_ms : 0);
	/* A run it cancels may be this worker's: look at once. */
	if (c->mode == CONCURRENCY_CANCEL_IN_PROGRESS)
		rn->next_poll_ms = 0;
	run_log(r, LOG_INFO, ": waits for concurrency group `%s` (%s)",
	    r->group, group_mode_name(c->mode));
}

/*
 * Whether runs waiting for their concurrency group may start now (or
 * were superseded, skipped, cancelled meanwhile): runner_poll().
 */
void
group_poll(struct runner *rn, long long now)
{
	struct run	*r;
	const char	*status;
	size_t		 i;
	int		 rc;

	for (i = rn->nruns; i-- > 0; ) {
		if (i >= rn->nruns)
			continue;
		r = rn->runs[i];
		if (!r->group_wait || now < r->group_ready_ms)
			continue;
		status = NULL;
		/* Its own transaction: the worker's open batch goes first. */
		history_txn_end(rn->h, 1);
		rc = history_group_try(rn->h, r->id, r->group, &status);
		if (rc == HISTORY_GROUP_START) {
			run_log(r, LOG_INFO, ": concurrency group `%s`: its "
			    "turn", r->group);
			run_begin(r);
		} else if (rc == HISTORY_GROUP_ENDED)
			group_ended(r, status);
	}
}
