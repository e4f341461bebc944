/*
 * The one status table (see status.h).
 */
#include "autoconf.h"

#include <stddef.h>
#include <string.h>

#include "status.h"

/*
 * SGR codes: green for done, red for failed, yellow for going, dim.
 * Page colours: a fill and the text on it; an event's status has none
 * of its own and is drawn as not begun, like queued.
 */
static const struct status_row {
	const char	*name;
	int		 ended;
	int		 trouble;
	const char	*sgr;
	struct status_page_colour page;
} statuses[RS_NSTATUS] = {
	[RS_QUEUED] = { "queued", 0, 0, "33", { "#b0bec5", "#000000" } },
	[RS_RUNNING] = { "running", 0, 0, "33", { "#f9a825", "#000000" } },
	[RS_SUCCESS] = { "success", 1, 0, "32", { "#2e7d32", "#ffffff" } },
	[RS_FAILURE] = { "failure", 1, 1, "31", { "#c62828", "#ffffff" } },
	[RS_SKIPPED] = { "skipped", 1, 0, "2", { "#e0e0e0", "#424242" } },
	[RS_CANCELLED] = { "cancelled", 1, 1, "2", { "#5d4037", "#ffffff" } },
	[RS_TIMED_OUT] = { "timed_out", 1, 1, "31", { "#ad1457", "#ffffff" } },
	[RS_INTERRUPTED] = { "interrupted", 1, 1, "2", { "#6a1b9a", "#ffffff" } },
	[RS_DONE] = { "done", 1, 0, "32", { NULL, NULL } },
	[RS_FAILED] = { "failed", 1, 1, "31", { NULL, NULL } },
	[RS_DUPLICATE] = { "duplicate", 1, 0, "2", { NULL, NULL } },
	[RS_PROCESSING] = { "processing", 0, 0, "33", { NULL, NULL } },
};

const char *
status_name(enum run_status s)
{
	return (unsigned)s < RS_NSTATUS ? statuses[s].name : NULL;
}

int
status_from_name(const char *name)
{
	int	i;

	for (i = 0; name != NULL && i < RS_NSTATUS; i++)
		if (strcmp(name, statuses[i].name) == 0)
			return i;
	return RS_NONE;
}

int
status_run_from_name(const char *name)
{
	int	s;

	return (s = status_from_name(name)) < RS_NRUN ? s : RS_NONE;
}

int
status_ended(enum run_status s)
{
	return (unsigned)s < RS_NSTATUS && statuses[s].ended;
}

int
status_trouble(enum run_status s)
{
	return (unsigned)s < RS_NSTATUS && statuses[s].trouble;
}

const char *
status_term_colour(enum run_status s)
{
	return (unsigned)s < RS_NSTATUS ? statuses[s].sgr : NULL;
}

/* Not begun (queued) for a status of no colour of its own. */
const struct status_page_colour *
status_page_colour(enum run_status s)
{
	if ((unsigned)s >= RS_NSTATUS || statuses[s].page.fill == NULL)
		s = RS_QUEUED;
	return &statuses[s].page;
}
