/*
 * The pipeline loader: pipeline_load_file() over any bytes (JSON with
 * comments; `on`, `env`, jobs and their `needs` DAG, expressions,
 * JSONPath, globs, durations). A pipeline that loads is evaluated
 * against every event of t/data/events, as the worker would. An input
 * is a pipeline file.
 */
#include "autoconf.h"

#include <stdlib.h>

#include "fuzz.h"
#include "fuzz-events.h"
#include "jconf.h"
#include "log.h"
#include "pipeline.h"

static char	*file;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t	n;

	(void)argc;
	(void)argv;
	log_init("fuzz-pipeline", 0);
	file = fuzz_path("fuzz.json");
	fuzz_events(&n);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event	**ev;
	struct pipeline	 *p;
	struct diag	  d;
	size_t		  n, i;

	fuzz_write(file, data, size);
	diag_init(&d);
	p = pipeline_load_file(file, &d);
	/* A pipeline is refused with a reason, or loaded without errors. */
	if ((p == NULL) != (d.nerrors > 0))
		abort();
	diag_release(&d);
	if (p == NULL)
		return 0;
	if (p->njobs > 0 && p->order == NULL)
		abort();
	ev = fuzz_events(&n);
	for (i = 0; i < n; i++)
		fuzz_run_triggers(p, ev[i]);
	pipeline_free(p);
	return 0;
}
