/*
 * An event: a spool message as the worker sees it, with its payload
 * decoded and the environment that `on.if`, `${{ }}` and job conditions
 * are evaluated in, both made when something first asks for them.
 */
#ifndef HOOKDIR_EVENT_H
#define HOOKDIR_EVENT_H

#include <stddef.h>

#include "message.h"

struct json_object;

struct event {
	char			*id;		/* spool id */
	char			*path;		/* the file it was read from */
	struct message		 msg;
	struct envelope		 envelope;	/* read from msg */
	/* from the envelope, pointers into msg ("" when absent) */
	const char		*source;	/* Hookdir-Source */
	const char		*provider;	/* Hookdir-Provider */
	const char		*type;		/* Hookdir-Event */
	const char		*delivery;	/* Hookdir-Delivery */
	const char		*method;	/* Hookdir-Method */
	const char		*received;	/* Hookdir-Received */
	int			 chain_depth;	/* Hookdir-Chain-Depth, 0 for webhooks */
	/*
	 * Dedup (event_dedup): the key that names this delivery across
	 * the sender's retries ("" for none: dedup is off, or nothing
	 * found), the rule that found it ("$.id (kiket default)"), and
	 * how long an earlier event with the same key counts. malloc'd.
	 */
	char			*dedup_key;
	char			*dedup_rule;
	long long		 dedup_window_ms;
	/*
	 * Made on first use, not when the event is read (a pipeline whose
	 * `on` names only a source needs neither): only event.c touches
	 * these, everything else asks event_payload() and event_env().
	 */
	struct {
		int			 decoded;	/* payload is made */
		struct json_object	*payload;
		struct json_object	*env;
		struct json_object	*inputs;	/* event_set_inputs */
	} lazy;
	/*
	 * What started it: "webhook", "manual" (`hookdir run`, an internal
	 * event of type EVENT_MANUAL), "dispatch" (a source of provider
	 * dispatch) or "event" (other internal events): triggeredBy in
	 * expressions. For manual and dispatch events, the one pipeline
	 * they start (NULL if the body names none), the inputs given (an
	 * object, or NULL) and, for manual ones, the Unix user (or NULL):
	 * pointers into the payload, which these events decode when read.
	 */
	const char		*triggered_by;
	const char		*run_pipeline;
	struct json_object	*run_inputs;
	const char		*user;
};

/* The type of the internal event `hookdir run` spools. */
#define EVENT_MANUAL		"manual"
/* The provider of chat-ops sources that name the pipeline to run. */
#define EVENT_DISPATCH_PROVIDER	"dispatch"

/*
 * Read and decode the message at path (spool id id). 0, or -1 with a
 * static or strerror reason in *why (the file is then a dead letter).
 */
int	event_load(struct event *, const char *id, const char *path,
	    const char **why);
/* The same from fd, open on path and not read yet. */
int	event_load_fd(struct event *, const char *id, const char *path,
	    int fd, const char **why);
void	event_release(struct event *);
/*
 * The decoded body: JSON; for application/x-www-form-urlencoded an
 * object of the fields, with a `payload` field that holds JSON decoded
 * as JSON; NULL when the body is neither. Decoded on the first call
 * and kept: owned by the event.
 */
struct json_object *event_payload(const struct event *);
/*
 * The expression environment (an object): source, provider, eventType,
 * method, headers (lower-case names), query (object of the Hookdir-Uri's
 * query parameters), body (string), payload, triggeredBy, inputs, event
 * ({name, data} for internal events). Built on the first call and
 * kept: owned by the event.
 */
struct json_object *event_env(const struct event *);
/*
 * The inputs a manual or dispatch event starts its pipeline with
 * (checked against the pipeline: an object), inputs in the
 * environment; the event takes them. event_inputs: they, or NULL when
 * none were set.
 */
void	event_set_inputs(struct event *, struct json_object *);
struct json_object *event_inputs(const struct event *);
/*
 * Fill dedup_key, dedup_rule and dedup_window_ms from the event's
 * source in cf: its `dedup` rule, else its provider's default
 * (Hookdir-Provider: for an "auto" source the one detected); when no
 * rule finds a value, the delivery id (Hookdir-Delivery).
 */
struct config;
void	event_dedup(struct event *, const struct config *);
/* A chain depth as text: 0 when NULL, empty or not a small number. */
int	event_chain_depth(const char *);

#endif
