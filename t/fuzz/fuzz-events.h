/*
 * Fixed events and pipelines from t/data for the targets that fuzz the
 * other side (fuzz-event, fuzz-pipeline, fuzz-expr).
 */
#ifndef HOOKDIR_FUZZ_EVENTS_H
#define HOOKDIR_FUZZ_EVENTS_H

#include <stddef.h>

struct event;
struct pipeline;

/* Every t/data/events/ *.msg, loaded with event_load(). */
struct event	**fuzz_events(size_t *n);
/* Every t/data/pipelines/trigger/ *.json, loaded. */
struct pipeline	**fuzz_pipelines(size_t *n);

/*
 * Run what the worker runs for a pipeline and an event that could start
 * it: trigger_eval() with its trace, each env template rendered, each
 * job condition evaluated and explained.
 */
void		 fuzz_run_triggers(const struct pipeline *, struct event *);

#endif
