/*
 * What the worker does with a claimed spool file before it runs
 * anything: event_load() (the message, its JSON or form payload, the
 * expression environment), then every trigger pipeline of t/data
 * evaluated against it, with their env templates and job conditions.
 * An input is a spool file.
 */
#include "autoconf.h"

#include <stdlib.h>

#include "event.h"
#include "fuzz.h"
#include "fuzz-events.h"
#include "log.h"

static char	*msg_path;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t	n;

	(void)argc;
	(void)argv;
	log_init("fuzz-event", 0);
	msg_path = fuzz_path("event.msg");
	fuzz_pipelines(&n);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pipeline	**p;
	struct event	  ev;
	const char	 *why = NULL;
	size_t		  n, i;

	fuzz_write(msg_path, data, size);
	if (event_load(&ev, "fuzz", msg_path, &why) == -1) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (event_env(&ev) == NULL || ev.source == NULL || ev.type == NULL)
		abort();
	p = fuzz_pipelines(&n);
	for (i = 0; i < n; i++)
		fuzz_run_triggers(p[i], &ev);
	event_release(&ev);
	return 0;
}
