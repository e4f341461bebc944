/*
 * Does an event start a pipeline? `on` fields are ANDed, a list inside
 * one field is ORed. Every decision leaves a trace saying which field
 * decided and what it saw, e.g.
 *	events: got `issues`, want `push`
 *	if: `payload.ref == 'refs/heads/main'` was false, payload.ref = `refs/heads/dev`
 *	matched: source `site`, events `push`, branches `main`
 */
#ifndef HOOKDIR_TRIGGER_H
#define HOOKDIR_TRIGGER_H

#include "buf.h"

struct event;
struct pipeline;

/*
 * 1 if the pipeline runs for the event, 0 if not. One line (without a
 * newline) is appended to trace: the field that decided and what it saw.
 */
int	trigger_eval(const struct pipeline *, struct event *, struct buf *trace);

/* Glob matching for branches, tags and paths: *, ?, [...], and ** across '/'. */
int	glob_match(const char *pattern, const char *s);
/* Is pattern a well-formed glob? 0, or -1 with a static reason in *why. */
int	glob_check(const char *pattern, const char **why);

#endif
