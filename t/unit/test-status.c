/*
 * Unit tests of the status table (worker/status.c): every status goes
 * from its name to its value and back, and the predicates and colours
 * say what hookdir(1) documents.
 */
#include "autoconf.h"

#include <string.h>

#include "status.h"
#include "tap.h"

/*
 * hookdir(1): a status other than queued, running and processing has
 * ended; `status --once` prints the runs that ended failure, timed_out,
 * interrupted or cancelled, and events moved to failed/; colours are
 * green for success and done, red for failure, failed and timed_out,
 * yellow for running, queued and processing, dim for skipped,
 * cancelled, interrupted and duplicate.
 */
static const struct {
	const char	*name;
	int		 run;
	int		 ended;
	int		 trouble;
	const char	*sgr;
} want[] = {
	{ "queued",	 1, 0, 0, "33" },
	{ "running",	 1, 0, 0, "33" },
	{ "success",	 1, 1, 0, "32" },
	{ "failure",	 1, 1, 1, "31" },
	{ "skipped",	 1, 1, 0, "2" },
	{ "cancelled",	 1, 1, 1, "2" },
	{ "timed_out",	 1, 1, 1, "31" },
	{ "interrupted", 1, 1, 1, "2" },
	{ "done",	 0, 1, 0, "32" },
	{ "failed",	 0, 1, 1, "31" },
	{ "duplicate",	 0, 1, 0, "2" },
	{ "processing",	 0, 0, 0, "33" },
};
#define NWANT	(sizeof(want) / sizeof(want[0]))

int
main(void)
{
	const struct status_page_colour	*c, *q;
	size_t				 i;
	int				 s, nrun = 0;

	ok(NWANT == RS_NSTATUS, "the table has the %d documented statuses",
	    (int)NWANT);
	for (i = 0; i < NWANT; i++) {
		s = status_from_name(want[i].name);
		ok(s != RS_NONE, "%s is known", want[i].name);
		if (s == RS_NONE)
			continue;
		is_str(status_name(s), want[i].name, "%s round-trips",
		    want[i].name);
		ok((status_run_from_name(want[i].name) == s) == want[i].run,
		    "%s is %sa run's status", want[i].name,
		    want[i].run ? "" : "not ");
		ok(status_ended(s) == want[i].ended, "%s has %sended",
		    want[i].name, want[i].ended ? "" : "not ");
		ok(status_trouble(s) == want[i].trouble, "%s is %strouble",
		    want[i].name, want[i].trouble ? "" : "not ");
		is_str(status_term_colour(s), want[i].sgr, "%s is SGR %s",
		    want[i].name, want[i].sgr);
		c = status_page_colour(s);
		ok(c != NULL && c->fill != NULL && c->text != NULL,
		    "%s has page colours", want[i].name);
		nrun += want[i].run;
	}
	ok(nrun == RS_NRUN, "the run statuses come first (%d)", nrun);

	/* Every run status has page colours of its own. */
	for (s = 0; s < RS_NRUN; s++)
		for (i = s + 1; i < RS_NRUN; i++)
			ok(strcmp(status_page_colour(s)->fill,
			    status_page_colour(i)->fill) != 0,
			    "%s and %s differ on a page", status_name(s),
			    status_name(i));

	/* Not known: no name, not ended, not trouble, drawn as queued. */
	q = status_page_colour(RS_QUEUED);
	ok(status_from_name("bogus") == RS_NONE, "bogus is not a status");
	ok(status_from_name(NULL) == RS_NONE, "NULL is not a status");
	ok(status_run_from_name("done") == RS_NONE, "done is not a run's");
	ok(status_name(RS_NONE) == NULL, "RS_NONE has no name");
	ok(!status_ended(RS_NONE) && !status_trouble(RS_NONE),
	    "RS_NONE has not ended and is not trouble");
	ok(status_term_colour(RS_NONE) == NULL, "RS_NONE is not painted");
	ok(status_page_colour(RS_NONE) == q, "RS_NONE is drawn as queued");
	ok(status_page_colour(RS_DONE) == q, "an event's is drawn as queued");
	return tap_done();
}
