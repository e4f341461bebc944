/*
 * Events: a spool message read back, its payload decoded, and the
 * environment expressions are evaluated in (see event.h); the last two
 * when first asked for, since a pipeline that filters on the source
 * alone needs neither.
 *
 * Nothing in a payload is trusted: JSON is parsed with a depth limit,
 * bodies that are not JSON or a form simply have no payload (they are
 * still reachable as `body`), and only a file that is not a message at
 * all is refused.
 */
#include "autoconf.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "codec.h"
#include "config.h"
#include "event.h"
#include "jsonpath.h"
#include "message.h"
#include "provider.h"
#include "util.h"
#include "xmalloc.h"

/* Real payloads nest a handful of levels; this only stops abuse. */
#define EVENT_JSON_DEPTH	64

/* The provider name of events the worker spools itself. */
#define EVENT_INTERNAL_PROVIDER	"hookdir"

static const char *
header_or_empty(const struct message *m, const char *name)
{
	const char	*v;

	v = message_get(m, name);
	return v != NULL ? v : "";
}

/*
 * The media type of a Content-Type value, lower-cased and without its
 * parameters, into out.
 */
static void
media_type(const char *ct, char *out, size_t outlen)
{
	size_t	i = 0;

	while (*ct == ' ' || *ct == '\t')
		ct++;
	for (; *ct != '\0' && *ct != ';' && *ct != ' ' && i + 1 < outlen; ct++)
		out[i++] = (char)tolower((unsigned char)*ct);
	out[i] = '\0';
}

static int
media_is_json(const char *mt)
{
	size_t	n = strlen(mt);

	return strcmp(mt, "application/json") == 0 ||
	    strcmp(mt, "text/json") == 0 ||
	    (n > 5 && strcmp(mt + n - 5, "+json") == 0);
}

/*
 * Parse exactly one JSON document filling all of s (surrounding white
 * space allowed). Returns 0 with *out set (NULL for a JSON null), or -1.
 */
static int
json_decode(const char *s, size_t len, struct json_object **out)
{
	struct json_tokener	*tok;
	struct json_object	*o;
	size_t			 end;

	*out = NULL;
	if (len == 0 || len > INT_MAX || memchr(s, '\0', len) != NULL)
		return -1;
	if ((tok = json_tokener_new_ex(EVENT_JSON_DEPTH)) == NULL)
		return -1;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		json_tokener_free(tok);
		return -1;
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (; end < len; end++) {
		if (s[end] != ' ' && s[end] != '\t' && s[end] != '\n' &&
		    s[end] != '\r') {
			json_object_put(o);
			return -1;
		}
	}
	*out = o;
	return 0;
}

/*
 * Add name = value to an object of form fields. A name given more than
 * once becomes a list of its values, in order, so that nothing the
 * sender said is lost.
 */
static void
fields_add(struct json_object *obj, const struct buf *name,
    const struct buf *value)
{
	struct json_object	*v, *old, *list;
	const char		*key = name->data;	/* name->len > 0 */

	v = json_object_new_string_len(value->len ? value->data : "",
	    (int)value->len);
	if (!json_object_object_get_ex(obj, key, &old)) {
		json_object_object_add(obj, key, v);
		return;
	}
	if (json_object_is_type(old, json_type_array)) {
		json_object_array_add(old, v);
		return;
	}
	list = json_object_new_array();
	json_object_array_add(list, json_object_get(old));
	json_object_array_add(list, v);
	json_object_object_add(obj, key, list);
}

static struct json_object *
fields_decode(const char *s, size_t len)
{
	struct json_object	*obj;
	struct buf		 name = BUF_INIT, value = BUF_INIT;
	size_t			 pos = 0;

	obj = json_object_new_object();
	while (form_next(s, len, &pos, &name, &value)) {
		if (name.len > 0 && value.len < INT_MAX)
			fields_add(obj, &name, &value);
	}
	buf_release(&name);
	buf_release(&value);
	return obj;
}

/*
 * application/x-www-form-urlencoded: GitHub, Gitea, Gogs and Slack's
 * interactive messages send the JSON document as the `payload` field;
 * then that document is the payload, so that `payload.ref` means the
 * same in both delivery modes. Other forms (Slack's slash commands)
 * are the object of their fields.
 */
static struct json_object *
form_decode(const char *s, size_t len)
{
	struct json_object	*fields, *p, *doc;
	const char		*text;

	fields = fields_decode(s, len);
	if (json_object_object_get_ex(fields, "payload", &p) &&
	    json_object_is_type(p, json_type_string)) {
		text = json_object_get_string(p);
		if (json_decode(text, (size_t)json_object_get_string_len(p),
		    &doc) == 0 && (json_object_is_type(doc, json_type_object) ||
		    json_object_is_type(doc, json_type_array))) {
			json_object_put(fields);
			return doc;
		}
		json_object_put(doc);
	}
	return fields;
}

static struct json_object *
payload_decode(const struct message *m)
{
	struct json_object	*o;
	const char		*body = (const char *)m->body;
	char			 mt[128];
	size_t			 i;

	media_type(header_or_empty(m, "Content-Type"), mt, sizeof(mt));
	if (strcmp(mt, "application/x-www-form-urlencoded") == 0)
		return form_decode(body, m->body_len);
	/*
	 * Senders label JSON loosely (text/plain, no type at all), so a body
	 * that starts like a JSON document is tried as one.
	 */
	for (i = 0; i < m->body_len; i++)
		if (!isspace((unsigned char)body[i]))
			break;
	if (!media_is_json(mt) &&
	    (i == m->body_len || (body[i] != '{' && body[i] != '[')))
		return NULL;
	if (json_decode(body, m->body_len, &o) == -1)
		return NULL;
	return o;
}

/*
 * Headers with lower-case names, as `headers['x-github-event']` reads
 * them. A header given twice is joined with ", " as HTTP allows.
 */
static struct json_object *
env_headers(const struct message *m)
{
	struct json_object	*obj, *old;
	struct buf		 name = BUF_INIT, joined = BUF_INIT;
	const char		*p;
	size_t			 i;

	obj = json_object_new_object();
	for (i = 0; i < m->nheaders; i++) {
		buf_reset(&name);
		for (p = m->headers[i].name; *p != '\0'; p++)
			buf_addch(&name, tolower((unsigned char)*p));
		if (json_object_object_get_ex(obj, buf_str(&name), &old)) {
			buf_reset(&joined);
			buf_addstr(&joined, json_object_get_string(old));
			buf_addstr(&joined, ", ");
			buf_addstr(&joined, m->headers[i].value);
			json_object_object_add(obj, buf_str(&name),
			    json_object_new_string(buf_str(&joined)));
		} else
			json_object_object_add(obj, buf_str(&name),
			    json_object_new_string(m->headers[i].value));
	}
	buf_release(&name);
	buf_release(&joined);
	return obj;
}

static struct json_object *
env_query(const char *uri)
{
	const char	*q, *end;

	if ((q = strchr(uri, '?')) == NULL)
		return json_object_new_object();
	q++;
	if ((end = strchr(q, '#')) == NULL)
		end = q + strlen(q);
	return fields_decode(q, (size_t)(end - q));
}

/* A string member of the payload, or NULL. */
static const char *
payload_string(const struct event *ev, const char *key)
{
	struct json_object	*payload = event_payload(ev), *v;

	if (!json_object_is_type(payload, json_type_object) ||
	    !json_object_object_get_ex(payload, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * triggered_by, and what a manual or dispatch event asks to run: the
 * only events whose payload is decoded as they are read.
 */
static void
event_trigger(struct event *ev)
{
	struct json_object	*payload;
	int			 internal;

	internal = strcmp(ev->provider, EVENT_INTERNAL_PROVIDER) == 0;

	if (internal && strcmp(ev->type, EVENT_MANUAL) == 0)
		ev->triggered_by = "manual";
	else if (internal)
		ev->triggered_by = "event";
	else if (strcmp(ev->provider, EVENT_DISPATCH_PROVIDER) == 0)
		ev->triggered_by = "dispatch";
	else
		ev->triggered_by = "webhook";
	if (strcmp(ev->triggered_by, "manual") != 0 &&
	    strcmp(ev->triggered_by, "dispatch") != 0)
		return;
	ev->run_pipeline = payload_string(ev, "pipeline");
	payload = event_payload(ev);
	if (json_object_is_type(payload, json_type_object))
		json_object_object_get_ex(payload, "inputs", &ev->run_inputs);
	/* Only the local `hookdir run` says who it is. */
	if (strcmp(ev->triggered_by, "manual") == 0)
		ev->user = payload_string(ev, "user");
}

static struct json_object *
env_build(const struct event *ev)
{
	struct json_object	*env, *e, *data, *payload = event_payload(ev);
	const struct message	*m = &ev->msg;

	env = json_object_new_object();
	json_object_object_add(env, "source", json_object_new_string(ev->source));
	json_object_object_add(env, "provider",
	    json_object_new_string(ev->provider));
	json_object_object_add(env, "eventType",
	    json_object_new_string(ev->type));
	json_object_object_add(env, "method", json_object_new_string(ev->method));
	json_object_object_add(env, "headers", env_headers(m));
	json_object_object_add(env, "query",
	    env_query(ev->envelope.uri));
	json_object_object_add(env, "body", json_object_new_string_len(
	    m->body_len ? (const char *)m->body : "",
	    m->body_len < INT_MAX ? (int)m->body_len : INT_MAX));
	json_object_object_add(env, "payload", json_object_get(payload));
	json_object_object_add(env, "triggeredBy",
	    json_object_new_string(ev->triggered_by));
	/* set when a manual or dispatch event starts its pipeline */
	json_object_object_add(env, "inputs", ev->lazy.inputs != NULL ?
	    json_object_get(ev->lazy.inputs) : json_object_new_object());
	if (strcmp(ev->triggered_by, "manual") == 0)
		json_object_object_add(env, "event", NULL);
	else if (strcmp(ev->provider, EVENT_INTERNAL_PROVIDER) == 0 &&
	    (strcmp(ev->type, "pipeline_complete") == 0 ||
	    strcmp(ev->type, "job_complete") == 0) &&
	    json_object_is_type(payload, json_type_object))
		/* event.status, event.pipeline, event.outputs... */
		json_object_object_add(env, "event",
		    json_object_get(payload));
	else if (strcmp(ev->provider, EVENT_INTERNAL_PROVIDER) == 0) {
		/* `hookdir emit NAME DATA` spools {"name", "data", ...} */
		e = json_object_new_object();
		json_object_object_add(e, "name",
		    json_object_new_string(ev->type));
		if (!json_object_is_type(payload, json_type_object) ||
		    !json_object_object_get_ex(payload, "data", &data))
			data = NULL;
		json_object_object_add(e, "data", json_object_get(data));
		json_object_object_add(env, "event", e);
	} else
		json_object_object_add(env, "event", NULL);
	return env;
}

/*
 * The event's lazy parts are made through a const event: they follow
 * from its message alone, so making them changes nothing a reader of
 * the event could tell but the time it took.
 */
static struct event *
event_cache(const struct event *ev)
{
	return (struct event *)ev;
}

struct json_object *
event_payload(const struct event *ev)
{
	struct event	*c = event_cache(ev);

	if (!c->lazy.decoded) {
		c->lazy.payload = payload_decode(&ev->msg);
		c->lazy.decoded = 1;
	}
	return c->lazy.payload;
}

struct json_object *
event_env(const struct event *ev)
{
	struct event	*c = event_cache(ev);

	if (c->lazy.env == NULL)
		c->lazy.env = env_build(ev);
	return c->lazy.env;
}

void
event_set_inputs(struct event *ev, struct json_object *inputs)
{
	json_object_put(ev->lazy.inputs);
	ev->lazy.inputs = inputs;
	if (ev->lazy.env != NULL)
		json_object_object_add(ev->lazy.env, "inputs",
		    json_object_get(inputs));
}

struct json_object *
event_inputs(const struct event *ev)
{
	return ev->lazy.inputs;
}

int
event_chain_depth(const char *s)
{
	int	n;

	return (n = envelope_chain_depth(s)) > 0 ? n : 0;
}

int
event_load(struct event *ev, const char *id, const char *path,
    const char **why)
{
	return event_load_fd(ev, id, path, -1, why);
}

int
event_load_fd(struct event *ev, const char *id, const char *path, int fd,
    const char **why)
{
	memset(ev, 0, sizeof(*ev));
	if (message_read_fd(&ev->msg, fd, path, why) == -1)
		return -1;
	ev->id = xstrdup(id);
	ev->path = xstrdup(path);
	envelope_read(&ev->envelope, &ev->msg);
	ev->source = ev->envelope.source;
	ev->provider = ev->envelope.provider;
	ev->type = ev->envelope.event;
	ev->delivery = ev->envelope.delivery;
	ev->method = ev->envelope.method;
	ev->received = ev->envelope.received;
	ev->chain_depth = ev->envelope.chain_depth > 0 ?
	    ev->envelope.chain_depth : 0;
	event_trigger(ev);
	return 0;
}

void
event_release(struct event *ev)
{
	free(ev->id);
	free(ev->path);
	json_object_put(ev->lazy.env);
	json_object_put(ev->lazy.payload);
	json_object_put(ev->lazy.inputs);
	free(ev->dedup_key);
	free(ev->dedup_rule);
	message_release(&ev->msg);
	memset(ev, 0, sizeof(*ev));
}

/* A longer key is no id a sender documents: it names nothing. */
#define DEDUP_MAX_KEY	512

/*
 * A key goes into log lines and the reason show prints: a body's string
 * with control characters in it (a terminal's escapes) names nothing.
 */
static int
dedup_printable(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 0;
	return 1;
}

/*
 * The value one dedup rule finds in the event: a header's value, or the
 * first string or integer a JSONPath selects in the payload. NULL when
 * there is none, or it is too long or not printable.
 */
static char *
dedup_value(const struct event *ev, const char *rule)
{
	struct json_object	**vals = NULL;
	struct jsonpath		 *jp;
	const char		 *v = NULL;
	char			 *r = NULL;
	size_t			  n;

	if (strncmp(rule, "header:", 7) == 0)
		v = message_get(&ev->msg, rule + 7);
	else if ((jp = jsonpath_compile(rule, NULL)) != NULL) {
		n = jsonpath_select(jp, event_payload(ev), &vals);
		if (n > 0 && vals[0] != NULL && (json_object_is_type(vals[0],
		    json_type_string) || json_object_is_type(vals[0],
		    json_type_int)))
			v = json_object_get_string(vals[0]);
		if (v != NULL)
			r = xstrdup(v);
		free(vals);
		jsonpath_free(jp);
		v = r;
	}
	if (v == NULL || *v == '\0' || strlen(v) > DEDUP_MAX_KEY ||
	    !dedup_printable(v)) {
		free(r);
		return NULL;
	}
	return r != NULL ? r : xstrdup(v);
}

void
event_dedup(struct event *ev, const struct config *cf)
{
	const struct source	*s;
	const struct provider	*p;
	struct buf		 rule = BUF_INIT;
	size_t			 i;

	free(ev->dedup_key);
	free(ev->dedup_rule);
	ev->dedup_key = NULL;
	ev->dedup_rule = NULL;
	s = *ev->source != '\0' ? config_source(cf, ev->source) : NULL;
	ev->dedup_window_ms = s != NULL && s->dedup_window_ms > 0 ?
	    s->dedup_window_ms : cf->dedup_window_ms;
	if (s != NULL && s->dedup_off) {
		ev->dedup_key = xstrdup("");
		ev->dedup_rule = xstrdup("source dedup: false");
		return;
	}
	if (s != NULL && s->dedup != NULL) {
		if ((ev->dedup_key = dedup_value(ev, s->dedup)) != NULL)
			xasprintf(&ev->dedup_rule, "%s (source dedup)",
			    s->dedup);
	} else if (s != NULL && (p = provider_find(ev->provider)) != NULL) {
		for (i = 0; ev->dedup_key == NULL &&
		    provider_dedup_rule(p, s, i, &rule) == 0; i++)
			if ((ev->dedup_key = dedup_value(ev,
			    buf_str(&rule))) != NULL)
				xasprintf(&ev->dedup_rule, "%s (%s default)",
				    buf_str(&rule), provider_name(p));
	}
	buf_release(&rule);
	if (ev->dedup_key == NULL) {
		ev->dedup_key = xstrdup(ev->delivery);
		if (*ev->delivery != '\0')
			ev->dedup_rule = xstrdup("delivery id");
	}
}
