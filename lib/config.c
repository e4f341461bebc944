/*
 * hookdir.conf loading and validation (see config.h).
 *
 * Every problem is reported with file, line and key, and loading goes on
 * after an error so that `hookdir check` can list them all at once.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "config.h"
#include "jconf.h"
#include "jsonpath.h"
#include "log.h"
#include "paths.h"
#include "provider.h"
#include "util.h"
#include "xmalloc.h"

#define SECRET_MAX	(64 * 1024)

/* What the loader carries around while it walks the document. */
struct loader {
	struct config	*cf;
	struct diag	*d;
	const char	*file;
	struct source	*src;		/* the source being loaded */
	enum config_secrets secrets;
};

/* An error at key of parent, named by path (see jconf_report()). */
#define lerr(l, parent, key, path, ...) \
	jconf_report((l)->d, DIAG_ERROR, (l)->file, (parent), (key), (path), \
	    __VA_ARGS__)

const char *
config_default_path(const char *explicit_path)
{
	const char	*env;

	if (explicit_path != NULL && *explicit_path != '\0')
		return explicit_path;
	env = getenv("HOOKDIR_CONF");
	if (env != NULL && *env != '\0')
		return env;
	return SYSCONFDIR "/hookdir/hookdir.conf";
}

char *
config_path(const struct config *cf, const char *p)
{
	char	*r;

	if (p[0] == '/')
		return xstrdup(p);
	xasprintf(&r, "%s/%s", cf->dir, p);
	return r;
}

static void
stamp_add(struct config *cf, const char *path)
{
	struct config_file_stamp	*s;
	struct stat			 st;

	cf->stamps = xreallocarray(cf->stamps, cf->nstamps + 1,
	    sizeof(*cf->stamps));
	s = &cf->stamps[cf->nstamps++];
	memset(s, 0, sizeof(*s));
	s->path = xstrdup(path);
	if (stat(path, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		s->mtime = st.st_mtim;
		s->ctime = st.st_ctim;
		s->mode = st.st_mode;
		s->size = st.st_size;
	}
}

int
config_changed(const struct config *cf)
{
	const struct config_file_stamp	*s;
	struct stat			 st;
	size_t				 i;

	for (i = 0; i < cf->nstamps; i++) {
		s = &cf->stamps[i];
		if (stat(s->path, &st) == -1)
			return 1;
		if (st.st_dev != s->dev || st.st_ino != s->ino ||
		    st.st_size != s->size || st.st_mode != s->mode ||
		    st.st_ctim.tv_sec != s->ctime.tv_sec ||
		    st.st_ctim.tv_nsec != s->ctime.tv_nsec ||
		    st.st_mtim.tv_sec != s->mtime.tv_sec ||
		    st.st_mtim.tv_nsec != s->mtime.tv_nsec)
			return 1;
	}
	return 0;
}

const struct source *
config_source(const struct config *cf, const char *name)
{
	size_t	i;

	for (i = 0; i < cf->nsources; i++)
		if (strcmp(cf->sources[i].name, name) == 0)
			return &cf->sources[i];
	return NULL;
}

static void
source_release(struct source *s)
{
	size_t	i;

	free(s->name);
	for (i = 0; i < s->nsecrets; i++) {
		explicit_bzero(s->secrets[i].data, s->secrets[i].len);
		free(s->secrets[i].data);
	}
	free(s->secrets);
	free(s->public_key);
	for (i = 0; i < s->nmethods; i++)
		free(s->methods[i]);
	free(s->methods);
	free(s->allow_from);
	free(s->public_url);
	free(s->signature_header);
	free(s->prefix);
	free(s->event_header);
	free(s->delivery_header);
	free(s->dedup);
	for (i = 0; i < s->nresponse_headers; i++) {
		free(s->response_headers[i].name);
		free(s->response_headers[i].value);
	}
	free(s->response_headers);
	free(s->response_body);
}

void
config_free(struct config *cf)
{
	size_t	i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->nsources; i++)
		source_release(&cf->sources[i]);
	free(cf->sources);
	for (i = 0; i < cf->nstamps; i++)
		free(cf->stamps[i].path);
	free(cf->stamps);
	free(cf->path);
	free(cf->dir);
	free(cf->spool);
	free(cf->state);
	free(cf->pipelines);
	free(cf->secrets);
	free(cf->respond_dir);
	free(cf->report_html);
	free(cf->host);
	free(cf->database);
	free(cf->worker_user);
	free(cf);
}

/* key is one of the secret keys' names, as a string constant. */
static void
secret_add(struct source *s, struct json_object *o, const char *key,
    const char *data, size_t len)
{
	struct secret	*sec;

	s->secrets = xreallocarray(s->secrets, s->nsecrets + 1,
	    sizeof(*s->secrets));
	sec = &s->secrets[s->nsecrets++];
	sec->data = (unsigned char *)xstrndup(data, len);
	sec->len = len;
	sec->key = key;
	sec->line = jconf_key_line(o, key);
}

/*
 * The add_*() functions are jconf_string_fn callbacks for the keys of a
 * source that take a string or a list: arg is the loader.
 */
static void
add_inline_secret(void *arg, struct json_object *o, const char *key,
    const char *path, const char *v)
{
	struct loader	*l = arg;

	if (*v == '\0') {
		lerr(l, o, key, path, "an empty secret would match anything");
		return;
	}
	if (l->secrets != CONFIG_SECRETS_NONE)
		secret_add(l->src, o, "secret", v, strlen(v));
}

static void
add_env_secret(void *arg, struct json_object *o, const char *key,
    const char *path, const char *v)
{
	struct loader	*l = arg;
	const char	*val = getenv(v);

	if (l->secrets == CONFIG_SECRETS_NONE)
		return;
	/* The responder's environment: check's may lack it. */
	if ((val == NULL || *val == '\0') &&
	    l->secrets == CONFIG_SECRETS_READABLE) {
		jconf_report(l->d, DIAG_WARNING, l->file, o, key, path,
		    "environment variable %s is not set here: not checked", v);
		return;
	}
	if (val == NULL || *val == '\0') {
		lerr(l, o, key, path, "environment variable %s is not set", v);
		return;
	}
	secret_add(l->src, o, "secret_env", val, strlen(val));
}

/*
 * A secret file must be a regular file that neither group nor others
 * can read, as ssh insists for private keys; one trailing newline (as
 * `echo secret >file` leaves) is not part of the secret.
 */
static void
add_file_secret(void *arg, struct json_object *o, const char *key,
    const char *path, const char *v)
{
	struct loader	*l = arg;
	struct buf	 b = BUF_INIT;
	struct stat	 st;
	char		*file;

	if (l->secrets == CONFIG_SECRETS_NONE)
		return;
	file = config_path(l->cf, v);
	stamp_add(l->cf, file);
	if (stat(file, &st) == -1 || access(file, R_OK) == -1) {
		/*
		 * In a split setup only the responder's user may read it:
		 * `hookdir check` as another user checks what it can.
		 */
		if (errno == EACCES && l->secrets == CONFIG_SECRETS_READABLE)
			jconf_report(l->d, DIAG_WARNING, l->file, o, key, path,
			    "%s: not readable by this user: not checked "
			    "(hookdir check as the responder's user checks "
			    "it)", file);
		else
			lerr(l, o, key, path, "%s: %s", file, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		lerr(l, o, key, path, "%s: not a regular file", file);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		lerr(l, o, key, path, "%s: readable by group or others "
		    "(mode %04o); chmod 600 it", file,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (read_file(file, &b, SECRET_MAX) == -1) {
		lerr(l, o, key, path, "%s: %s", file, strerror(errno));
		goto out;
	}
	if (b.len > 0 && b.data[b.len - 1] == '\n')
		b.len--;
	if (b.len > 0 && b.data[b.len - 1] == '\r')
		b.len--;
	if (b.len == 0)
		lerr(l, o, key, path, "%s: the secret file is empty", file);
	else if (memchr(b.data, '\0', b.len) != NULL)
		lerr(l, o, key, path, "%s: the secret contains a NUL byte",
		    file);
	else
		secret_add(l->src, o, "secret_file", b.data, b.len);
out:
	if (b.data != NULL)
		explicit_bzero(b.data, b.cap);
	buf_release(&b);
	free(file);
}

static void
add_method(void *arg, struct json_object *o, const char *key,
    const char *path, const char *v)
{
	struct loader	*l = arg;
	struct source	*s = l->src;
	char		*m;
	size_t		 i;

	if (*v == '\0' || strlen(v) > 16) {
		lerr(l, o, key, path, "'%s' is not an HTTP method", v);
		return;
	}
	m = xstrdup(v);
	for (i = 0; m[i] != '\0'; i++) {
		if (!isalpha((unsigned char)m[i])) {
			lerr(l, o, key, path, "'%s' is not an HTTP method", v);
			free(m);
			return;
		}
		m[i] = (char)toupper((unsigned char)m[i]);
	}
	s->methods = xreallocarray(s->methods, s->nmethods + 1,
	    sizeof(*s->methods));
	s->methods[s->nmethods++] = m;
}

static void
add_cidr(void *arg, struct json_object *o, const char *key,
    const char *path, const char *v)
{
	struct loader	*l = arg;
	struct source	*s = l->src;
	struct cidr	 c;

	if (cidr_parse(v, &c) == -1) {
		lerr(l, o, key, path, "'%s' is not an address or CIDR block",
		    v);
		return;
	}
	s->allow_from = xreallocarray(s->allow_from, s->nallow_from + 1,
	    sizeof(*s->allow_from));
	s->allow_from[s->nallow_from++] = c;
}

/* A size: "25M" or a number of bytes. -1 after reporting an error. */
static long long
get_size(struct loader *l, struct json_object *o, const char *key,
    const char *path, struct json_object *v)
{
	long long	n = -1;

	if (json_object_is_type(v, json_type_int))
		n = json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_string))
		n = parse_size(json_object_get_string(v));
	else {
		lerr(l, o, key, path, "must be a size (\"25M\") or a number "
		    "of bytes, not %s",
		    jconf_type_name(json_object_get_type(v)));
		return -1;
	}
	if (n <= 0) {
		lerr(l, o, key, path, "'%s' is not a size such as \"512k\", "
		    "\"25M\"", json_object_get_string(v));
		return -1;
	}
	return n;
}

static void
load_response(struct loader *l, struct source *s, struct json_object *o)
{
	char	path[256];

	json_object_object_foreach(o, key, v) {
		snprintf(path, sizeof(path), "sources.%s.response.%s",
		    s->name, key);
		if (strcmp(key, "status") == 0) {
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_int) == 0) {
				int st = json_object_get_int(v);
				if (st < 200 || st > 299)
					lerr(l, o, key, path, "%d: a success "
					    "answer must be 2xx", st);
				else
					s->response_status = st;
			}
		} else if (strcmp(key, "body") == 0) {
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_string) == 0)
				s->response_body =
				    xstrdup(json_object_get_string(v));
		} else if (strcmp(key, "headers") == 0) {
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_object) == -1)
				continue;
			json_object_object_foreach(v, hname, hv) {
				const char *val, *c;
				int bad = !json_object_is_type(hv,
				    json_type_string) || *hname == '\0';
				val = json_object_get_string(hv);
				for (c = hname; !bad && *c; c++)
					bad = !isalnum((unsigned char)*c) &&
					    *c != '-' && *c != '_';
				for (c = val; !bad && c && *c; c++)
					bad = (unsigned char)*c < 0x20;
				if (bad) {
					lerr(l, v, hname, path, "header "
					    "'%s' needs a token name and a "
					    "one-line string value", hname);
					continue;
				}
				s->response_headers = xreallocarray(
				    s->response_headers,
				    s->nresponse_headers + 1,
				    sizeof(*s->response_headers));
				s->response_headers[s->nresponse_headers].name =
				    xstrdup(hname);
				s->response_headers[s->nresponse_headers].value =
				    xstrdup(val);
				s->nresponse_headers++;
			}
		} else
			lerr(l, o, key, path, "unknown key");
	}
	if (s->response_status == 0 && (s->response_body != NULL ||
	    s->nresponse_headers > 0))
		s->response_status = 200;
}

/*
 * "dedup": what stays the same across a sender's retries. A header
 * ("header:X-Id" or {"header": "X-Id"}), a JSONPath into the body
 * ("$.id"), or false: every delivery runs.
 */
static void
load_dedup(struct loader *l, struct source *s, struct json_object *o,
    const char *key, const char *path, struct json_object *v)
{
	struct json_object	*hv;
	const char		*t, *c;
	char			*err = NULL;
	struct jsonpath		*jp;

	if (json_object_get_type(v) == json_type_boolean) {
		if (json_object_get_boolean(v))
			lerr(l, o, key, path, "true is the default; use "
			    "false, a header (\"header:X-Id\") or a JSONPath "
			    "(\"$.id\")");
		else
			s->dedup_off = 1;
		return;
	}
	if (json_object_get_type(v) == json_type_object) {
		if (json_object_object_length(v) != 1 ||
		    !json_object_object_get_ex(v, "header", &hv) ||
		    json_object_get_type(hv) != json_type_string) {
			lerr(l, o, key, path, "an object names one "
			    "\"header\": {\"header\": \"X-Id\"}");
			return;
		}
		t = json_object_get_string(hv);
		goto header;
	}
	if (json_object_get_type(v) != json_type_string) {
		lerr(l, o, key, path, "use false, \"header:NAME\", "
		    "{\"header\": \"NAME\"} or a JSONPath (\"$.id\")");
		return;
	}
	t = json_object_get_string(v);
	if (strncmp(t, "header:", 7) == 0) {
		t += 7;
		goto header;
	}
	if (*t != '$') {
		lerr(l, o, key, path, "'%s': use \"header:NAME\" for a "
		    "header or a JSONPath that starts with $", t);
		return;
	}
	if ((jp = jsonpath_compile(t, &err)) == NULL) {
		lerr(l, o, key, path, "'%s': %s", t, err);
		free(err);
		return;
	}
	jsonpath_free(jp);
	s->dedup = xstrdup(t);
	return;
header:
	for (c = t; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
			break;
	if (*t == '\0' || *c != '\0') {
		lerr(l, o, key, path, "'%s' is not a header name", t);
		return;
	}
	xasprintf(&s->dedup, "header:%s", t);
}

/* "respond": {"wait": "5s"}: hold the request open for a step's answer. */
static void
load_respond(struct loader *l, struct source *s, struct json_object *o)
{
	char	path[256];

	json_object_object_foreach(o, key, v) {
		snprintf(path, sizeof(path), "sources.%s.respond.%s",
		    s->name, key);
		if (strcmp(key, "wait") == 0) {
			long long ms = jconf_get_duration(l->d, l->file, o, key,
			    path, v);
			if (ms < 0)
				continue;
			/*
			 * Each waiting request holds a responder process;
			 * senders give up after 10-30 s anyway.
			 */
			if (ms == 0 || ms > RESPOND_MAX_WAIT_MS)
				lerr(l, o, key, path, "must be more than 0 "
				    "and at most %ds", RESPOND_MAX_WAIT_MS /
				    1000);
			else
				s->respond_wait_ms = ms;
		} else
			lerr(l, o, key, path, "unknown key");
	}
	if (s->respond_wait_ms == 0 &&
	    !json_object_object_get_ex(o, "wait", NULL)) {
		snprintf(path, sizeof(path), "sources.%s.respond", s->name);
		diag_add(l->d, DIAG_ERROR, l->file, jconf_line(o), path,
		    "needs \"wait\", e.g. \"5s\"");
	}
}

/* A count for rate_limit: 1..RATE_LIMIT_MAX, or 0 after an error. */
static long
rate_count(struct loader *l, struct json_object *o, const char *key,
    const char *path, struct json_object *v)
{
	long long	n;

	if (jconf_want_type(l->d, l->file, o, key, path, v,
	    json_type_int) == -1)
		return 0;
	n = json_object_get_int64(v);
	if (n < 1 || n > RATE_LIMIT_MAX) {
		lerr(l, o, key, path, "must be 1..%ld", RATE_LIMIT_MAX);
		return 0;
	}
	return (long)n;
}

/*
 * "rate_limit": 120 (requests a minute, as many of them at once), or
 * {"per_minute": 60, "burst": 5}.
 */
static void
load_rate_limit(struct loader *l, struct source *s, struct json_object *o,
    const char *key, const char *path, struct json_object *v)
{
	char	sub[320];

	if (json_object_is_type(v, json_type_int)) {
		s->rate_per_minute = s->rate_burst = rate_count(l, o, key,
		    path, v);
		return;
	}
	if (!json_object_is_type(v, json_type_object)) {
		lerr(l, o, key, path, "must be a number of requests a minute "
		    "or {\"per_minute\": N, \"burst\": M}, not %s",
		    jconf_type_name(json_object_get_type(v)));
		return;
	}
	json_object_object_foreach(v, k, kv) {
		snprintf(sub, sizeof(sub), "%s.%s", path, k);
		if (strcmp(k, "per_minute") == 0)
			s->rate_per_minute = rate_count(l, v, k, sub, kv);
		else if (strcmp(k, "burst") == 0)
			s->rate_burst = rate_count(l, v, k, sub, kv);
		else
			lerr(l, v, k, sub, "unknown key");
	}
	if (!json_object_object_get_ex(v, "per_minute", NULL))
		lerr(l, o, key, path, "needs \"per_minute\"");
	if (!json_object_object_get_ex(v, "burst", NULL))
		s->rate_burst = s->rate_per_minute;
}

/*
 * A string or a list of them, for a key whose empty list would fail
 * open (no secret, no address): that is an error saying what it would
 * do, not a quiet "nothing configured".
 */
static void
load_list(struct loader *l, struct json_object *o, const char *key,
    const char *path, struct json_object *v, jconf_string_fn *fn,
    const char *empty)
{
	if (json_object_is_type(v, json_type_array) &&
	    json_object_array_length(v) == 0) {
		lerr(l, o, key, path, "an empty list means %s; list at least "
		    "one, or leave the key out", empty);
		return;
	}
	jconf_each_string(l->d, l->file, o, key, path, v, JCONF_STOP_AT_BAD,
	    fn, l);
}

/* "provider": a name, or "auto". 0 when it is a string, else -1. */
static int
load_provider(struct loader *l, struct source *s, struct json_object *o,
    const char *key, const char *path, struct json_object *v)
{
	const char	*p;

	if (jconf_want_type(l->d, l->file, o, key, path, v, json_type_string))
		return -1;
	p = json_object_get_string(v);
	if (strcmp(p, "auto") == 0)
		s->provider = NULL;
	else if ((s->provider = provider_find(p)) == NULL)
		lerr(l, o, key, path, "unknown provider '%s'", p);
	return 0;
}

/* "encoding" of the generic provider's signature: hex or base64. */
static void
load_encoding(struct loader *l, struct source *s, struct json_object *o,
    const char *key, const char *path, struct json_object *v)
{
	const char	*e;

	if (jconf_want_type(l->d, l->file, o, key, path, v, json_type_string))
		return;
	e = json_object_get_string(v);
	if (strcmp(e, "hex") == 0)
		s->encoding = ENC_HEX;
	else if (strcmp(e, "base64") == 0)
		s->encoding = ENC_BASE64;
	else
		lerr(l, o, key, path, "'%s': use \"hex\" or \"base64\"", e);
}

/* "algorithm" of the generic provider: an HMAC, or a token's kind. */
static void
load_algorithm(struct loader *l, struct source *s, struct json_object *o,
    const char *key, const char *path, struct json_object *v)
{
	const char	*a;

	if (jconf_want_type(l->d, l->file, o, key, path, v, json_type_string))
		return;
	a = json_object_get_string(v);
	if (strcmp(a, "token") == 0)
		s->auth = GENERIC_TOKEN;
	else if (strcmp(a, "bearer") == 0)
		s->auth = GENERIC_BEARER;
	else if (strcmp(a, "basic") == 0)
		s->auth = GENERIC_BASIC;
	else if ((s->algorithm = hmac_alg_from_name(a)) != HMAC_NONE)
		s->auth = GENERIC_HMAC;
	else {
		s->algorithm = HMAC_SHA256;
		lerr(l, o, key, path, "'%s': use hmac-sha1, hmac-sha256, "
		    "hmac-sha512, token, bearer or basic", a);
	}
}

/*
 * After a source's keys: the default method, then what the source as a
 * whole lacks or does not use, then its provider's own checks.
 */
static void
finish_source(struct loader *l, struct source *s, const char *name,
    struct json_object *parent, struct json_object *o, int have_provider)
{
	const char	*generic_keys[] = { "signature_header", "prefix",
	    "encoding", "algorithm", "event_header", "delivery_header" };
	char		 path[256];
	size_t		 i;

	if (s->nmethods == 0) {
		s->methods = xcalloc(1, sizeof(*s->methods));
		s->methods[0] = xstrdup("POST");
		s->nmethods = 1;
	}
	snprintf(path, sizeof(path), "sources.%s", name);
	if (!have_provider)
		lerr(l, parent, name, path, "no provider (say \"auto\" to "
		    "detect it from the headers)");
	if (s->provider != NULL && !provider_configurable(s->provider)) {
		for (i = 0; i < sizeof(generic_keys) / sizeof(*generic_keys);
		    i++)
			if (json_object_object_get_ex(o, generic_keys[i], NULL))
				diag_add(l->d, DIAG_WARNING, l->file,
				    jconf_key_line(o, generic_keys[i]), path,
				    "%s is only used by the generic provider",
				    generic_keys[i]);
	}
	if (s->nsecrets == 0 && s->public_key == NULL &&
	    !json_object_object_get_ex(o, "secret", NULL) &&
	    !json_object_object_get_ex(o, "secret_file", NULL) &&
	    !json_object_object_get_ex(o, "secret_env", NULL))
		diag_add(l->d, DIAG_WARNING, l->file, s->line, path,
		    "no secret or public_key: unsigned requests are accepted");
	if (have_provider)
		provider_check_source(s->provider, s, l->file, l->d);
}

static void
load_source(struct loader *l, struct source *s, const char *name,
    struct json_object *parent, struct json_object *o)
{
	int		 have_provider = 0;
	char		 path[256];

	memset(s, 0, sizeof(*s));
	l->src = s;
	s->name = xstrdup(name);
	s->line = jconf_key_line(parent, name);
	s->max_body = -1;
	s->tolerance_ms = -1;
	s->dedup_window_ms = -1;
	s->encoding = ENC_HEX;
	s->algorithm = HMAC_SHA256;
	s->auth = GENERIC_HMAC;
	if (!name_is_valid(name)) {
		snprintf(path, sizeof(path), "sources.%s", name);
		lerr(l, parent, name, path, "a source name is 1-64 of "
		    "[A-Za-z0-9._-], starting with a letter or digit");
	}
	if (jconf_want_type(l->d, l->file, parent, name, "sources", o,
	    json_type_object) == -1)
		return;

	json_object_object_foreach(o, key, v) {
		snprintf(path, sizeof(path), "sources.%s.%s", name, key);
		if (strcmp(key, "provider") == 0) {
			if (load_provider(l, s, o, key, path, v) == 0)
				have_provider = 1;
		} else if (strcmp(key, "secret") == 0)
			load_list(l, o, key, path, v, add_inline_secret,
			    "no secret: unsigned requests would be accepted");
		else if (strcmp(key, "secret_file") == 0)
			load_list(l, o, key, path, v, add_file_secret,
			    "no secret: unsigned requests would be accepted");
		else if (strcmp(key, "secret_env") == 0)
			load_list(l, o, key, path, v, add_env_secret,
			    "no secret: unsigned requests would be accepted");
		else if (strcmp(key, "public_key") == 0)
			s->public_key = jconf_get_string(l->d, l->file, o, key,
			    path, v);
		else if (strcmp(key, "methods") == 0)
			jconf_each_string(l->d, l->file, o, key, path, v,
			    JCONF_STOP_AT_BAD, add_method, l);
		else if (strcmp(key, "allow_from") == 0)
			load_list(l, o, key, path, v, add_cidr,
			    "no address: every address would be allowed");
		else if (strcmp(key, "max_body") == 0)
			s->max_body = get_size(l, o, key, path, v);
		else if (strcmp(key, "tolerance") == 0) {
			long long ms = jconf_get_duration(l->d, l->file, o, key,
			    path, v);
			if (ms >= 0)
				s->tolerance_ms = ms;
		} else if (strcmp(key, "public_url") == 0)
			s->public_url = jconf_get_string(l->d, l->file, o, key,
			    path, v);
		else if (strcmp(key, "signature_header") == 0)
			s->signature_header = jconf_get_string(l->d, l->file, o,
			    key, path, v);
		else if (strcmp(key, "prefix") == 0)
			s->prefix = jconf_get_string(l->d, l->file, o, key,
			    path, v);
		else if (strcmp(key, "event_header") == 0)
			s->event_header = jconf_get_string(l->d, l->file, o,
			    key, path, v);
		else if (strcmp(key, "delivery_header") == 0)
			s->delivery_header = jconf_get_string(l->d, l->file, o,
			    key, path, v);
		else if (strcmp(key, "encoding") == 0)
			load_encoding(l, s, o, key, path, v);
		else if (strcmp(key, "algorithm") == 0)
			load_algorithm(l, s, o, key, path, v);
		else if (strcmp(key, "response") == 0) {
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_object) == 0)
				load_response(l, s, v);
		} else if (strcmp(key, "dedup") == 0)
			load_dedup(l, s, o, key, path, v);
		else if (strcmp(key, "dedup_window") == 0) {
			long long ms = jconf_get_duration(l->d, l->file, o, key,
			    path, v);
			if (ms == 0)
				lerr(l, o, key, path, "must be more than 0; "
				    "to turn dedup off use \"dedup\": false");
			else if (ms > 0)
				s->dedup_window_ms = ms;
		} else if (strcmp(key, "respond") == 0) {
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_object) == 0)
				load_respond(l, s, v);
		} else if (strcmp(key, "rate_limit") == 0)
			load_rate_limit(l, s, o, key, path, v);
		else
			lerr(l, o, key, path, "unknown key");
	}
	finish_source(l, s, name, parent, o, have_provider);
}

static void
load_limits(struct loader *l, struct json_object *o)
{
	char	path[64];

	json_object_object_foreach(o, key, v) {
		snprintf(path, sizeof(path), "limits.%s", key);
		if (strcmp(key, "max_body") == 0) {
			long long n = get_size(l, o, key, path, v);
			if (n > 0)
				l->cf->max_body = n;
		} else if (strcmp(key, "max_queue") == 0) {
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_int) == 0) {
				long long n = json_object_get_int64(v);
				if (n < 1 || n > LONG_MAX)
					lerr(l, o, key, path, "must be at "
					    "least 1");
				else
					l->cf->max_queue = (long)n;
			}
		} else
			lerr(l, o, key, path, "unknown key");
	}
}

static void
load_worker(struct loader *l, struct json_object *o)
{
	char	path[64];

	json_object_object_foreach(o, key, v) {
		snprintf(path, sizeof(path), "worker.%s", key);
		if (strcmp(key, "jobs") == 0) {
			if (jconf_want_type(l->d, l->file, o, key, path, v,
			    json_type_int) == 0) {
				int n = json_object_get_int(v);
				if (n < 1 || n > 1024)
					lerr(l, o, key, path, "must be "
					    "1..1024");
				else
					l->cf->worker_jobs = n;
			}
		} else if (strcmp(key, "grace") == 0) {
			long long ms = jconf_get_duration(l->d, l->file, o, key,
			    path, v);
			if (ms >= 0)
				l->cf->worker_grace_ms = ms;
		} else if (strcmp(key, "user") == 0) {
			char *u = jconf_get_string(l->d, l->file, o, key, path,
			    v);
			if (u != NULL && getpwnam(u) == NULL)
				lerr(l, o, key, path, "no user named `%s`", u);
			else if (u != NULL) {
				free(l->cf->worker_user);
				l->cf->worker_user = u;
				u = NULL;
			}
			free(u);
		} else
			lerr(l, o, key, path, "unknown key");
	}
}

/*
 * Set *dst to the absolute form of a path-valued key; path is the key's
 * full name for messages.
 */
static void
load_path_at(struct loader *l, struct json_object *o, const char *key,
    const char *path, struct json_object *v, char **dst)
{
	if (jconf_want_type(l->d, l->file, o, key, path, v,
	    json_type_string) == -1)
		return;
	if (*json_object_get_string(v) == '\0') {
		lerr(l, o, key, path, "must not be empty");
		return;
	}
	free(*dst);
	*dst = config_path(l->cf, json_object_get_string(v));
}

static void
load_path(struct loader *l, struct json_object *o, const char *key,
    struct json_object *v, char **dst)
{
	load_path_at(l, o, key, key, v, dst);
}

/* "report": {"html": DIR}: the status pages the worker keeps fresh. */
static void
load_report(struct loader *l, struct json_object *o)
{
	char	path[64];

	json_object_object_foreach(o, key, v) {
		snprintf(path, sizeof(path), "report.%s", key);
		if (strcmp(key, "html") == 0)
			load_path_at(l, o, key, path, v, &l->cf->report_html);
		else
			lerr(l, o, key, path, "unknown key");
	}
}

/*
 * The responder does not create respond_dir: it could not give it to the
 * worker's user. Say so here rather than at the first waiting request.
 */
static void
check_respond_dir(struct loader *l, struct json_object *root)
{
	struct stat	st;
	size_t		i;

	for (i = 0; i < l->cf->nsources; i++)
		if (l->cf->sources[i].respond_wait_ms > 0)
			break;
	if (i == l->cf->nsources)
		return;
	if (stat(l->cf->respond_dir, &st) == -1)
		diag_add(l->d, DIAG_WARNING, l->file, jconf_line(root),
		    "respond_dir", "%s: %s: requests will be answered "
		    "without waiting", l->cf->respond_dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		diag_add(l->d, DIAG_WARNING, l->file, jconf_line(root),
		    "respond_dir", "%s: not a directory: requests will be "
		    "answered without waiting", l->cf->respond_dir);
}

#define HOST_NAME_RULE	"[A-Za-z0-9.-], 1 to 63 characters"

/*
 * "host": the name this host records its work under and ends its spool
 * ids with (see spool_new_id()), for several hosts on one spool.
 */
static void
load_host(struct loader *l, struct json_object *o, const char *key,
    struct json_object *v)
{
	char	*host;

	if ((host = jconf_get_string(l->d, l->file, o, key, key, v)) == NULL)
		return;
	if (!host_name_is_valid(host)) {
		lerr(l, o, key, key, "`%s` is not a host name: "
		    HOST_NAME_RULE, host);
		free(host);
		return;
	}
	free(l->cf->host);
	l->cf->host = host;
}

#ifdef HAVE_POSTGRESQL
/*
 * Does a postgresql:// URI hold a password: user:password@ before the
 * host, or a password= parameter? Libpq would take it; the
 * configuration is no secret file, so it must not hold one.
 */
static int
uri_has_password(const char *uri)
{
	const char	*p, *end, *at, *q;

	p = strstr(uri, "://") + 3;
	end = p + strcspn(p, "/?");
	at = memchr(p, '@', (size_t)(end - p));
	if (at != NULL && memchr(p, ':', (size_t)(at - p)) != NULL)
		return 1;
	for (q = strchr(uri, '?'); q != NULL; q = strchr(q + 1, '&'))
		if (strncmp(q + 1, "password=", 9) == 0)
			return 1;
	return 0;
}
#endif

/*
 * "database": the history's store. A path is SQLite's directory (as
 * "state" is by default); a postgresql:// URI is PostgreSQL, whose
 * password comes from a password file (PGPASSFILE, ~/.pgpass, or the
 * URI's passfile parameter), never from here.
 */
static void
load_database(struct loader *l, struct json_object *o, const char *key,
    struct json_object *v)
{
	const char	*s;

	if (jconf_want_type(l->d, l->file, o, key, key, v,
	    json_type_string) == -1)
		return;
	s = json_object_get_string(v);
	if (*s == '\0') {
		lerr(l, o, key, key, "must not be empty");
		return;
	}
	if (strstr(s, "://") == NULL) {
		load_path(l, o, key, v, &l->cf->database);
		return;
	}
	if (!database_is_postgresql(s)) {
		lerr(l, o, key, key, "must be a path or a postgresql:// URI");
		return;
	}
#ifndef HAVE_POSTGRESQL
	lerr(l, o, key, key, "this hookdir was built without PostgreSQL "
	    "(./configure --with-postgresql)");
#else
	if (uri_has_password(s)) {
		lerr(l, o, key, key, "holds a password: put it in a password "
		    "file (PGPASSFILE, ~/.pgpass, or ?passfile=FILE)");
		return;
	}
	free(l->cf->database);
	l->cf->database = xstrdup(s);
#endif
}

/* Without "host": $HOOKDIR_HOST, else this machine's name. */
static void
default_host(struct loader *l)
{
	const char	*env;
	char		 name[HOST_NAME_LEN + 1];

	if (l->cf->host != NULL)
		return;
	env = getenv("HOOKDIR_HOST");
	if (env != NULL && *env != '\0') {
		if (!host_name_is_valid(env))
			diag_add(l->d, DIAG_ERROR, NULL, 0, "HOOKDIR_HOST",
			    "not a host name: " HOST_NAME_RULE);
		else
			l->cf->host = xstrdup(env);
		return;
	}
	host_name_default(name);
	l->cf->host = xstrdup(name);
}

static char *
absolute_dir_of(const char *path)
{
	char	*dir, *slash;

	if ((dir = path_absolute(path)) == NULL)
		fatal("getcwd");
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return dir;
}

/* A configuration of path with the defaults of every key. */
static struct config *
config_new(const char *path)
{
	struct config	*cf;

	cf = xcalloc(1, sizeof(*cf));
	cf->path = xstrdup(path);
	cf->dir = absolute_dir_of(path);
	cf->max_body = DEFAULT_MAX_BODY;
	cf->max_queue = DEFAULT_MAX_QUEUE;
	cf->retention_ms = DEFAULT_RETENTION_MS;
	cf->dedup_window_ms = DEFAULT_DEDUP_WINDOW_MS;
	cf->max_chain_depth = DEFAULT_MAX_CHAIN_DEPTH;
	cf->worker_jobs = 1;
	cf->worker_grace_ms = 10000;
	cf->spool = config_path(cf, "spool");
	cf->state = config_path(cf, "state");
	cf->pipelines = config_path(cf, "pipelines");
	cf->secrets = config_path(cf, "secrets");
	cf->respond_dir = config_path(cf, "respond");
	stamp_add(cf, path);
	return cf;
}

/* "sources": each source, then the checks across them. */
static void
load_sources(struct loader *l, struct json_object *root, const char *key,
    struct json_object *v)
{
	struct config	*cf = l->cf;
	size_t		 n;

	if (jconf_want_type(l->d, l->file, root, key, key, v,
	    json_type_object) == -1)
		return;
	n = (size_t)json_object_object_length(v);
	cf->sources = xcalloc(n, sizeof(*cf->sources));
	json_object_object_foreach(v, sname, sv) {
		load_source(l, &cf->sources[cf->nsources++], sname, v, sv);
	}
	provider_check_sources(cf->sources, cf->nsources, l->file, l->d);
}

struct config *
config_load(const char *path, struct diag *d)
{
	return config_load_secrets(path, d, CONFIG_SECRETS_ALL);
}

struct config *
config_load_secrets(const char *path, struct diag *d,
    enum config_secrets secrets)
{
	struct json_object	*root;
	struct loader		 l;
	struct config		*cf;
	char			*err = NULL;

	cf = config_new(path);
	l.cf = cf;
	l.d = d;
	l.file = path;
	l.src = NULL;
	l.secrets = secrets;
	if ((root = jconf_parse_file(path, &err)) == NULL) {
		diag_add(d, DIAG_ERROR, NULL, 0, NULL, "%s", err);
		free(err);
		config_free(cf);
		return NULL;
	}
	if (!json_object_is_type(root, json_type_object)) {
		diag_add(d, DIAG_ERROR, path, jconf_line(root), NULL,
		    "the configuration must be a JSON object");
		goto fail;
	}
	json_object_object_foreach(root, key, v) {
		if (strcmp(key, "spool") == 0)
			load_path(&l, root, key, v, &cf->spool);
		else if (strcmp(key, "state") == 0)
			load_path(&l, root, key, v, &cf->state);
		else if (strcmp(key, "pipelines") == 0)
			load_path(&l, root, key, v, &cf->pipelines);
		else if (strcmp(key, "secrets") == 0)
			load_path(&l, root, key, v, &cf->secrets);
		else if (strcmp(key, "respond_dir") == 0)
			load_path(&l, root, key, v, &cf->respond_dir);
		else if (strcmp(key, "host") == 0)
			load_host(&l, root, key, v);
		else if (strcmp(key, "database") == 0)
			load_database(&l, root, key, v);
		else if (strcmp(key, "limits") == 0) {
			if (jconf_want_type(l.d, l.file, root, key, key, v,
			    json_type_object) == 0)
				load_limits(&l, v);
		} else if (strcmp(key, "worker") == 0) {
			if (jconf_want_type(l.d, l.file, root, key, key, v,
			    json_type_object) == 0)
				load_worker(&l, v);
		} else if (strcmp(key, "report") == 0) {
			if (jconf_want_type(l.d, l.file, root, key, key, v,
			    json_type_object) == 0)
				load_report(&l, v);
		} else if (strcmp(key, "retention") == 0) {
			long long ms = jconf_get_duration(l.d, l.file, root,
			    key, key, v);
			if (ms >= 0)
				cf->retention_ms = ms;
		} else if (strcmp(key, "dedup_window") == 0) {
			long long ms = jconf_get_duration(l.d, l.file, root,
			    key, key, v);
			if (ms == 0)
				lerr(&l, root, key, key, "must be more than 0");
			else if (ms > 0)
				cf->dedup_window_ms = ms;
		} else if (strcmp(key, "max_chain_depth") == 0) {
			if (jconf_want_type(l.d, l.file, root, key, key, v,
			    json_type_int) == 0) {
				int n = json_object_get_int(v);
				if (n < 1 || n > 1000)
					lerr(&l, root, key, key, "must be "
					    "1..1000");
				else
					cf->max_chain_depth = n;
			}
		} else if (strcmp(key, "sources") == 0)
			load_sources(&l, root, key, v);
		else
			lerr(&l, root, key, key, "unknown key");
	}
	if (cf->nsources == 0)
		diag_add(d, DIAG_WARNING, path, jconf_line(root), "sources",
		    "no sources: every request will get 404");
	check_respond_dir(&l, root);
	default_host(&l);
	if (d->nerrors > 0)
		goto fail;
	json_object_put(root);
	return cf;
fail:
	json_object_put(root);
	config_free(cf);
	return NULL;
}
