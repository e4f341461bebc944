/*
 * Internal events: building and spooling them, and cutting chains that
 * go too deep (see chain.h).
 *
 * They are written exactly as the responder writes a webhook (headers,
 * a blank line, the JSON body) and delivered through the same spool
 * protocol, so that everything downstream (claiming, recovery, dedup,
 * `hookdir show`) treats them alike.
 */
#include "autoconf.h"

#include <sys/uio.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <json-c/json.h>

#include "buf.h"
#include "chain.h"
#include "config.h"
#include "event.h"
#include "exec.h"
#include "history.h"
#include "log.h"
#include "message.h"
#include "pipeline.h"
#include "spool.h"
#include "util.h"
#include "xmalloc.h"

/*
 * Write one internal event to the spool. delivery may be NULL (custom
 * events are never deduplicated: two emits are two events).
 */
static int
chain_deliver(struct spool *sp, const char *type, const char *delivery,
    int depth, const char *run, const char *parent_event,
    struct json_object *body, char *id_out)
{
	struct buf	 head = BUF_INIT;
	struct envelope	 env;
	struct iovec	 iov[2];
	const char	*text;
	char		 id[SPOOL_ID_MAX], when[64];
	size_t		 len;
	long long	 sec;
	long		 usec;
	int		 rc = 0;

	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	spool_new_id(id);
	now_timeval(&sec, &usec);
	format_rfc3339(when, sizeof(when), sec, usec);
	memset(&env, 0, sizeof(env));
	env.id = id;
	env.received = when;
	env.source = CHAIN_SOURCE;
	env.provider = CHAIN_PROVIDER;
	env.event = type;
	env.delivery = delivery;
	env.verified = "internal";
	env.chain_depth = depth;
	env.parent_run = run;
	env.parent_event = parent_event;
	env.content_type = "application/json";
	env.content_length = len;
	envelope_write(&env, &head);
	buf_addch(&head, '\n');
	iov[0].iov_base = head.data;
	iov[0].iov_len = head.len;
	iov[1].iov_base = (void *)(uintptr_t)text;
	iov[1].iov_len = len;
	if (spool_deliver(sp, id, iov, 2) == -1) {
		log_warn("spooling a %s event into %s", type, sp->dir);
		rc = -1;
	} else {
		log_debug("event %s: %s spooled (depth %d, run %s)", id, type,
		    depth, run != NULL && *run != '\0' ? run : "-");
		if (id_out != NULL)
			snprintf(id_out, SPOOL_ID_MAX, "%s", id);
	}
	buf_release(&head);
	return rc;
}

/* A body naming its event: {"name": name}. */
static struct json_object *
chain_body(const char *name)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	return o;
}

int
chain_spool_pipeline_complete(struct spool *sp, const struct event *parent,
    const char *pipeline, long long run, const char *status,
    struct json_object *outputs)
{
	struct json_object	*o;
	char			*delivery, runs[32];
	int			 rc;

	snprintf(runs, sizeof(runs), "%lld", run);
	o = chain_body(CHAIN_PIPELINE_COMPLETE);
	json_object_object_add(o, "pipeline", json_object_new_string(pipeline));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "run", json_object_new_int64(run));
	json_object_object_add(o, "event", json_object_new_string(parent->id));
	json_object_object_add(o, "outputs", outputs != NULL ?
	    json_object_get(outputs) : json_object_new_object());
	xasprintf(&delivery, "%s/%s/%s", parent->id, pipeline,
	    CHAIN_PIPELINE_COMPLETE);
	rc = chain_deliver(sp, CHAIN_PIPELINE_COMPLETE, delivery,
	    parent->chain_depth + 1, runs, parent->id, o, NULL);
	free(delivery);
	json_object_put(o);
	return rc;
}

int
chain_spool_job_complete(struct spool *sp, const struct event *parent,
    const char *pipeline, const char *job, long long run, const char *status,
    struct json_object *outputs)
{
	struct json_object	*o;
	char			*delivery, runs[32];
	int			 rc;

	snprintf(runs, sizeof(runs), "%lld", run);
	o = chain_body(CHAIN_JOB_COMPLETE);
	json_object_object_add(o, "pipeline", json_object_new_string(pipeline));
	json_object_object_add(o, "job", json_object_new_string(job));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "run", json_object_new_int64(run));
	json_object_object_add(o, "event", json_object_new_string(parent->id));
	json_object_object_add(o, "outputs", outputs != NULL ?
	    json_object_get(outputs) : json_object_new_object());
	xasprintf(&delivery, "%s/%s/%s/%s", parent->id, pipeline, job,
	    CHAIN_JOB_COMPLETE);
	rc = chain_deliver(sp, CHAIN_JOB_COMPLETE, delivery,
	    parent->chain_depth + 1, runs, parent->id, o, NULL);
	free(delivery);
	json_object_put(o);
	return rc;
}

/* The run and event that spooled o from a step (null without one). */
static void
chain_parent(struct json_object *o, const char *run, const char *parent_event)
{
	char		*end;
	long long	 n;

	/* the run id is a number in completion events: keep it one here */
	if (run != NULL && *run != '\0' &&
	    (n = strtoll(run, &end, 10)) > 0 && *end == '\0')
		json_object_object_add(o, "run", json_object_new_int64(n));
	else
		json_object_object_add(o, "run", NULL);
	json_object_object_add(o, "event", parent_event != NULL &&
	    *parent_event != '\0' ? json_object_new_string(parent_event) :
	    NULL);
}

int
chain_spool_custom(struct spool *sp, const char *name,
    struct json_object *data, const char *run, const char *parent_event,
    int parent_depth, char *id_out)
{
	struct json_object	*o;
	int			 rc;

	o = chain_body(name);
	json_object_object_add(o, "data", json_object_get(data));
	chain_parent(o, run, parent_event);
	rc = chain_deliver(sp, name, NULL, parent_depth + 1, run,
	    parent_event, o, id_out);
	json_object_put(o);
	return rc;
}

int
chain_spool_manual(struct spool *sp, const char *pipeline,
    struct json_object *inputs, const char *user, const char *run,
    const char *parent_event, int parent_depth, char *id_out)
{
	struct json_object	*o;
	int			 rc;

	o = chain_body(EVENT_MANUAL);
	json_object_object_add(o, "pipeline", json_object_new_string(pipeline));
	json_object_object_add(o, "inputs", json_object_get(inputs));
	json_object_object_add(o, "user", user != NULL ?
	    json_object_new_string(user) : NULL);
	chain_parent(o, run, parent_event);
	rc = chain_deliver(sp, EVENT_MANUAL, NULL, parent_depth + 1, run,
	    parent_event, o, id_out);
	json_object_put(o);
	return rc;
}

struct json_object *
chain_mask(const char *const *mask, struct json_object *data)
{
	struct json_object	*o;
	struct buf		 b = BUF_INIT;
	const char		*text;
	size_t			 i, n;

	switch (json_object_get_type(data)) {
	case json_type_null:
		return NULL;
	case json_type_object:
		o = json_object_new_object();
		json_object_object_foreach(data, key, val) {
			buf_reset(&b);
			exec_mask(mask, key, strlen(key), &b);
			json_object_object_add(o, buf_str(&b),
			    chain_mask(mask, val));
		}
		break;
	case json_type_array:
		o = json_object_new_array();
		n = json_object_array_length(data);
		for (i = 0; i < n; i++)
			json_object_array_add(o, chain_mask(mask,
			    json_object_array_get_idx(data, i)));
		break;
	case json_type_string:
		exec_mask(mask, json_object_get_string(data),
		    (size_t)json_object_get_string_len(data), &b);
		o = json_object_new_string_len(buf_str(&b), (int)b.len);
		break;
	default:
		/* A number or a boolean: its text may be a secret too. */
		text = json_object_to_json_string_ext(data,
		    JSON_C_TO_STRING_PLAIN);
		exec_mask(mask, text, strlen(text), &b);
		if (strcmp(buf_str(&b), text) == 0)
			o = json_object_get(data);
		else
			o = json_object_new_string(buf_str(&b));
		break;
	}
	buf_release(&b);
	return o;
}

int
chain_listened(const struct pipeline_set *set, const char *type)
{
	size_t	i;
	int	pc = strcmp(type, CHAIN_PIPELINE_COMPLETE) == 0;

	for (i = 0; i < set->n; i++)
		if (pc ? set->v[i]->on.pipeline_complete != NULL :
		    set->v[i]->on.job_complete != NULL)
			return 1;
	return 0;
}

int
chain_cut(struct history *h, const struct config *cf, const struct event *ev)
{
	char	*reason;
	int	 rc;

	if (strcmp(ev->provider, CHAIN_PROVIDER) != 0 ||
	    ev->chain_depth <= cf->max_chain_depth)
		return 0;
	xasprintf(&reason, "chain depth %d is past max_chain_depth %d: "
	    "cut, nothing run", ev->chain_depth, cf->max_chain_depth);
	rc = history_event_finish(h, ev->id, "cut", reason) == -1 ? -1 : 1;
	log_warnx("event %s type=%s parent-run=%s: %s", ev->id, ev->type,
	    *ev->envelope.parent_run != '\0' ? ev->envelope.parent_run : "-",
	    reason);
	free(reason);
	return rc;
}

int
chain_step_secrets(const char *cmd, const char ***v, char **names)
{
	const char	*run = getenv("HOOKDIR_RUN_ID");
	const char	*list = getenv("HOOKDIR_SECRETS");
	char		*name, *val, *sp;
	size_t		 n = 0;

	*v = xcalloc(1, sizeof(**v));
	*names = NULL;
	if (run == NULL || *run == '\0')
		return 0;
	if (list == NULL) {
		fprintf(stderr, "hookdir %s: HOOKDIR_RUN_ID is set but not "
		    "HOOKDIR_SECRETS: the run's secrets cannot be masked\n",
		    cmd);
		return EX_CONFIG;
	}
	*names = xstrdup(list);
	for (name = strtok_r(*names, " ", &sp); name != NULL;
	    name = strtok_r(NULL, " ", &sp)) {
		if ((val = getenv(name)) == NULL) {
			fprintf(stderr, "hookdir %s: the run's secret %s is "
			    "not in the environment: it cannot be masked\n",
			    cmd, name);
			return EX_CONFIG;
		}
		*v = xreallocarray(*v, n + 2, sizeof(**v));
		(*v)[n++] = val;
		(*v)[n] = NULL;
	}
	return 0;
}
