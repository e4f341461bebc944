/*
 * test-tool: the helpers the tests need, one program with subcommands.
 *
 *	test-tool vectors JSONFILE OUTDIR
 *	test-tool cgi DIR [--env NAME=VALUE]... -- CMD [ARGS...]
 *	test-tool ed25519-keygen
 *	test-tool ed25519-sign SECRET_HEX FILE [PREFIX] [--base64]
 *	test-tool sign CONFFILE SOURCE BODYFILE [--now T] [--query Q]
 *	    [--url URL] [--header 'Name: value']...
 *	test-tool verify CONFFILE SOURCE DIR
 *	test-tool kill-on-arrival DIR PID READYFILE
 *	test-tool fcgi-request SOCKET [--body FILE] [NAME=VALUE]...
 *	test-tool sigreq CASELINE PREFIX [--ts T] [--key K] [--url-base U]
 *	    [--body FILE]
 *	test-tool sigmatrix CONF CASES SECRETS URLBASE
 *
 * sigreq and sigmatrix (t/helper/sigmatrix.c) sign and check
 * t1010-ingress-providers.sh's cases.
 *
 * A request directory (what `vectors` writes and `cgi` reads) holds
 * body, headers ("Name: value" lines), method, query, optionally now,
 * path_info and expect, and a hookdir.conf with one source "v".
 */
#include "autoconf.h"

#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "buf.h"
#include "codec.h"
#include "config.h"
#include "jconf.h"
#include "provider.h"
#include "util.h"
#include "xmalloc.h"

#include "test-tool.h"

#define MAX_FILE	(256 * 1024 * 1024)

extern char **environ;

struct header {
	char	*name;
	char	*value;
};

struct headers {
	struct header	*v;
	size_t		 n;
};

void
die(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "test-tool: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

void
usage(void)
{
	fprintf(stderr,
	    "usage: test-tool vectors JSONFILE OUTDIR\n"
	    "       test-tool cgi DIR [--env NAME=VALUE]... -- CMD [ARGS...]\n"
	    "       test-tool ed25519-keygen\n"
	    "       test-tool ed25519-sign SECRET_HEX FILE [PREFIX] "
	    "[--base64]\n"
	    "       test-tool sign CONFFILE SOURCE BODYFILE [--now T] "
	    "[--query Q] [--url URL] [--header 'Name: value']...\n"
	    "       test-tool verify CONFFILE SOURCE DIR\n"
	    "       test-tool kill-on-arrival DIR PID READYFILE\n"
	    "       test-tool fcgi-request SOCKET [--body FILE] "
	    "[NAME=VALUE]...\n"
	    "       test-tool sigreq CASELINE PREFIX [--ts T] [--key K] "
	    "[--url-base U] [--body FILE]\n"
	    "       test-tool sigmatrix CONF CASES SECRETS URLBASE\n");
	exit(2);
}

static void
write_path(const char *dir, const char *name, const void *data, size_t len)
{
	char	path[PATH_MAX];
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		die("%s: %s", path, strerror(errno));
	if (write_all(fd, data, len) == -1 || close(fd) == -1)
		die("%s: %s", path, strerror(errno));
}

static void
write_str(const char *dir, const char *name, const char *text)
{
	write_path(dir, name, text, strlen(text));
}

/* Read DIR/NAME; 0 if it exists, -1 if not. */
static int
read_path(const char *dir, const char *name, struct buf *b)
{
	char	path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	buf_reset(b);
	if (read_file(path, b, MAX_FILE) == -1) {
		if (errno == ENOENT)
			return -1;
		die("%s: %s", path, strerror(errno));
	}
	return 0;
}

/* The first line of a small file, without its newline; def if absent. */
static char *
read_line(const char *dir, const char *name, const char *def)
{
	struct buf	b = BUF_INIT;

	if (read_path(dir, name, &b) == -1) {
		buf_release(&b);
		return def != NULL ? xstrdup(def) : NULL;
	}
	b.len = strcspn(buf_str(&b), "\r\n");
	if (b.data != NULL)
		b.data[b.len] = '\0';
	return xstrdup(buf_str(&b));
}

static void
headers_add(struct headers *h, const char *line)
{
	const char	*colon = strchr(line, ':');
	const char	*v;

	if (colon == NULL || colon == line)
		die("bad header line '%s' (want 'Name: value')", line);
	v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	h->v = xreallocarray(h->v, h->n + 1, sizeof(*h->v));
	h->v[h->n].name = xstrndup(line, (size_t)(colon - line));
	h->v[h->n].value = xstrdup(v);
	h->n++;
}

static void
headers_read(const char *dir, struct headers *h)
{
	struct buf	 b = BUF_INIT;
	char		*line, *next;

	if (read_path(dir, "headers", &b) == 0 && b.data != NULL) {
		for (line = b.data; *line != '\0'; line = next) {
			next = line + strcspn(line, "\n");
			if (*next == '\n')
				*next++ = '\0';
			if (next - line > 1 && next[-2] == '\r')
				next[-2] = '\0';
			if (*line != '\0')
				headers_add(h, line);
		}
	}
	buf_release(&b);
}

static void
headers_release(struct headers *h)
{
	size_t	i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].name);
		free(h->v[i].value);
	}
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

static const char *
headers_get(const void *ctx, const char *name)
{
	const struct headers	*h = ctx;
	size_t			 i;

	for (i = 0; i < h->n; i++)
		if (ascii_casecmp(h->v[i].name, name) == 0)
			return h->v[i].value;
	return NULL;
}

static const char *
vector_str(struct json_object *v, const char *key)
{
	struct json_object	*o;

	if (!json_object_object_get_ex(v, key, &o) ||
	    !json_object_is_type(o, json_type_string))
		return NULL;
	return json_object_get_string(o);
}

/* hookdir.conf for one vector: a source "v" with only the keys that apply. */
static void
vector_conf(struct json_object *v, const char *dir)
{
	struct json_object	*root, *sources, *src, *o;
	const char		*provider, *s, *q;
	char			 tol[32];

	provider = vector_str(v, "provider");
	if (provider == NULL)
		die("vector without provider");
	if (strcmp(provider, "standard-webhooks") == 0 ||
	    strcmp(provider, "svix") == 0)
		provider = "standard";
	root = json_object_new_object();
	json_object_object_add(root, "spool", json_object_new_string("spool"));
	json_object_object_add(root, "state", json_object_new_string("state"));
	sources = json_object_new_object();
	src = json_object_new_object();
	json_object_object_add(src, "provider",
	    json_object_new_string(provider));
	if ((s = vector_str(v, "secret")) != NULL)
		json_object_object_add(src, "secret",
		    json_object_new_string(s));
	if ((s = vector_str(v, "public_key")) != NULL)
		json_object_object_add(src, "public_key",
		    json_object_new_string(s));
	if (json_object_object_get_ex(v, "tolerance_s", &o) && o != NULL &&
	    !json_object_is_type(o, json_type_null)) {
		snprintf(tol, sizeof(tol), "%llds",
		    (long long)json_object_get_int64(o));
		json_object_object_add(src, "tolerance",
		    json_object_new_string(tol));
	}
	if (strcmp(provider, "twilio") == 0 &&
	    (s = vector_str(v, "url")) != NULL) {
		q = strchr(s, '?');
		json_object_object_add(src, "public_url",
		    json_object_new_string_len(s, q != NULL ?
		    (int)(q - s) : (int)strlen(s)));
	}
	json_object_object_add(sources, "v", src);
	json_object_object_add(root, "sources", sources);
	write_str(dir, "hookdir.conf", json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static int
cmd_vectors(int argc, char **argv)
{
	struct json_object	*all, *v, *o;
	struct buf		 b = BUF_INIT;
	unsigned char		 hash[32];
	const char		*id, *body, *s, *q;
	char			 dir[PATH_MAX];
	size_t			 i, n, len;

	if (argc != 3)
		usage();
	if ((all = json_object_from_file(argv[1])) == NULL ||
	    !json_object_is_type(all, json_type_array))
		die("%s: not a JSON array of vectors", argv[1]);
	if (mkdir(argv[2], 0755) == -1 && errno != EEXIST)
		die("%s: %s", argv[2], strerror(errno));
	n = json_object_array_length(all);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(all, i);
		if ((id = vector_str(v, "id")) == NULL || !name_is_valid(id))
			die("vector %zu: missing or unusable id", i);
		snprintf(dir, sizeof(dir), "%s/%s", argv[2], id);
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			die("%s: %s", dir, strerror(errno));

		if (!json_object_object_get_ex(v, "body", &o) ||
		    !json_object_is_type(o, json_type_string))
			die("%s: no body", id);
		body = json_object_get_string(o);
		len = (size_t)json_object_get_string_len(o);
		sha256_buf(body, len, hash);
		buf_reset(&b);
		hex_encode(&b, hash, sizeof(hash));
		if ((s = vector_str(v, "body_sha256")) != NULL &&
		    ascii_casecmp(s, b.data) != 0)
			die("%s: body decodes to sha256 %s, the vector says "
			    "%s", id, b.data, s);
		write_path(dir, "body", body, len);

		buf_reset(&b);
		if (json_object_object_get_ex(v, "headers", &o) &&
		    json_object_is_type(o, json_type_object)) {
			json_object_object_foreach(o, name, hv)
				buf_printf(&b, "%s: %s\n", name,
				    json_object_get_string(hv));
		}
		write_path(dir, "headers", buf_str(&b), b.len);

		write_str(dir, "expect", (s = vector_str(v, "expect")) ?
		    s : "valid");
		write_str(dir, "method", (s = vector_str(v, "method")) ?
		    s : "POST");
		if ((s = vector_str(v, "url")) != NULL &&
		    (q = strchr(s, '?')) != NULL)
			write_str(dir, "query", q + 1);
		else
			write_str(dir, "query", "");
		if (json_object_object_get_ex(v, "now", &o) && o != NULL &&
		    !json_object_is_type(o, json_type_null)) {
			buf_reset(&b);
			buf_printf(&b, "%lld\n",
			    (long long)json_object_get_int64(o));
			write_str(dir, "now", b.data);
		} else {
			char path[PATH_MAX + 8];
			snprintf(path, sizeof(path), "%s/now", dir);
			unlink(path);
		}
		vector_conf(v, dir);
	}
	buf_release(&b);
	json_object_put(all);
	return 0;
}

/* Environment under construction: later settings replace earlier ones. */
struct env {
	char	**v;
	size_t	  n;
};

static void
env_set(struct env *e, const char *name, const char *value)
{
	size_t	i, len = strlen(name);
	char	*s;

	xasprintf(&s, "%s=%s", name, value);
	for (i = 0; i < e->n; i++) {
		if (strncmp(e->v[i], name, len) == 0 && e->v[i][len] == '=') {
			free(e->v[i]);
			e->v[i] = s;
			return;
		}
	}
	e->v = xreallocarray(e->v, e->n + 2, sizeof(*e->v));
	e->v[e->n++] = s;
	e->v[e->n] = NULL;
}

static const char *
env_get(const struct env *e, const char *name)
{
	size_t	i, len = strlen(name);

	for (i = 0; i < e->n; i++)
		if (strncmp(e->v[i], name, len) == 0 && e->v[i][len] == '=')
			return e->v[i] + len + 1;
	return NULL;
}

static int
cmd_cgi(int argc, char **argv)
{
	static const char	*pass[] = { "LD_PRELOAD", "FAKETIME", "TZ",
	    "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
	    "FAKETIME_NO_CACHE", NULL };
	struct headers		 h = { NULL, 0 };
	struct env		 e = { NULL, 0 };
	struct buf		 name = BUF_INIT, joined = BUF_INIT;
	struct stat		 st;
	char			 dir[PATH_MAX], path[PATH_MAX + 32], len[32];
	char			*method, *query, *pi, *uri;
	const char		*p, *old;
	size_t			 i;
	int			 a, fd;

	if (argc < 4)
		usage();
	if (realpath(argv[1], dir) == NULL)
		die("%s: %s", argv[1], strerror(errno));
	for (a = 2; a < argc && strcmp(argv[a], "--") != 0; a += 2)
		if (strcmp(argv[a], "--env") != 0 || a + 1 >= argc ||
		    strchr(argv[a + 1], '=') == NULL)
			usage();
	if (a + 1 >= argc)
		usage();

	e.v = xcalloc(1, sizeof(*e.v));
	p = getenv("PATH");
	env_set(&e, "PATH", p != NULL ? p : "/usr/local/bin:/usr/bin:/bin");
	snprintf(path, sizeof(path), "%s/hookdir.conf", dir);
	env_set(&e, "HOOKDIR_CONF", path);
	env_set(&e, "GATEWAY_INTERFACE", "CGI/1.1");
	method = read_line(dir, "method", "POST");
	env_set(&e, "REQUEST_METHOD", method);
	pi = read_line(dir, "path_info", "/v");
	env_set(&e, "PATH_INFO", pi);
	query = read_line(dir, "query", "");
	env_set(&e, "QUERY_STRING", query);
	env_set(&e, "SCRIPT_NAME", "/hooks");
	env_set(&e, "REMOTE_ADDR", "127.0.0.1");
	env_set(&e, "SERVER_PROTOCOL", "HTTP/1.1");
	env_set(&e, "SERVER_NAME", "localhost");
	env_set(&e, "SERVER_PORT", "80");
	snprintf(path, sizeof(path), "%s/body", dir);
	snprintf(len, sizeof(len), "%lld",
	    stat(path, &st) == 0 ? (long long)st.st_size : 0LL);
	env_set(&e, "CONTENT_LENGTH", len);

	headers_read(dir, &h);
	for (i = 0; i < h.n; i++) {
		if (ascii_casecmp(h.v[i].name, "Content-Type") == 0) {
			env_set(&e, "CONTENT_TYPE", h.v[i].value);
			continue;
		}
		if (ascii_casecmp(h.v[i].name, "Content-Length") == 0) {
			/* A test may lie about the length on purpose. */
			env_set(&e, "CONTENT_LENGTH", h.v[i].value);
			continue;
		}
		buf_reset(&name);
		buf_addstr(&name, "HTTP_");
		for (p = h.v[i].name; *p != '\0'; p++)
			buf_addch(&name, *p == '-' ? '_' :
			    (*p >= 'a' && *p <= 'z' ? *p - 32 : *p));
		/* Repeated headers reach a CGI program joined by ", ". */
		buf_reset(&joined);
		if ((old = env_get(&e, name.data)) != NULL)
			buf_printf(&joined, "%s, ", old);
		buf_addstr(&joined, h.v[i].value);
		env_set(&e, name.data, joined.data);
	}
	for (i = 0; pass[i] != NULL; i++)
		if ((p = getenv(pass[i])) != NULL)
			env_set(&e, pass[i], p);
	for (a = 2; strcmp(argv[a], "--") != 0; a += 2) {
		char *eq = strchr(argv[a + 1], '=');
		*eq = '\0';
		env_set(&e, argv[a + 1], eq + 1);
		*eq = '=';
	}
	/* The URI follows PATH_INFO and QUERY_STRING unless given itself. */
	if (env_get(&e, "REQUEST_URI") == NULL) {
		p = env_get(&e, "PATH_INFO");
		old = env_get(&e, "QUERY_STRING");
		xasprintf(&uri, "/hooks%s%s%s", p, *old ? "?" : "", old);
		env_set(&e, "REQUEST_URI", uri);
	}

	fd = open(path, O_RDONLY);
	if (fd == -1 && (fd = open("/dev/null", O_RDONLY)) == -1)
		die("/dev/null: %s", strerror(errno));
	if (fd != STDIN_FILENO) {
		if (dup2(fd, STDIN_FILENO) == -1)
			die("dup2: %s", strerror(errno));
		close(fd);
	}
	environ = e.v;
	execvp(argv[a + 1], argv + a + 1);
	fprintf(stderr, "test-tool: %s: %s\n", argv[a + 1], strerror(errno));
	_exit(127);
}

static int
cmd_ed25519_keygen(int argc, char **argv)
{
	unsigned char	pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char	sk[crypto_sign_SECRETKEYBYTES];
	struct buf	b = BUF_INIT;

	if (argc != 1)
		usage();
	crypto_sign_keypair(pk, sk);
	hex_encode(&b, pk, sizeof(pk));
	buf_addch(&b, ' ');
	hex_encode(&b, sk, sizeof(sk));
	printf("%s\n", b.data);
	sodium_memzero(sk, sizeof(sk));
	buf_release(&b);
	return 0;
}

static int
cmd_ed25519_sign(int argc, char **argv)
{
	unsigned char	 sk[crypto_sign_SECRETKEYBYTES], pk[32], seed[32];
	unsigned char	 sig[crypto_sign_BYTES];
	struct buf	 msg = BUF_INIT, file = BUF_INIT, out = BUF_INIT;
	const char	*prefix = NULL;
	int		 b64 = 0, i;
	long		 n;

	if (argc < 3)
		usage();
	for (i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--base64") == 0)
			b64 = 1;
		else if (prefix == NULL)
			prefix = argv[i];
		else
			usage();
	}
	n = hex_decode(argv[1], strlen(argv[1]), sk, sizeof(sk));
	if (n == 32) {
		/* A seed: expand it to libsodium's secret key. */
		memcpy(seed, sk, 32);
		crypto_sign_seed_keypair(pk, sk, seed);
		sodium_memzero(seed, sizeof(seed));
	} else if (n != 64)
		die("the secret key is 32 (seed) or 64 bytes in hex");
	if (read_file(argv[2], &file, MAX_FILE) == -1)
		die("%s: %s", argv[2], strerror(errno));
	if (prefix != NULL)
		buf_addstr(&msg, prefix);
	buf_add(&msg, file.data != NULL ? file.data : "", file.len);
	crypto_sign_detached(sig, NULL, (unsigned char *)msg.data, msg.len, sk);
	if (b64)
		base64_encode(&out, sig, sizeof(sig));
	else
		hex_encode(&out, sig, sizeof(sig));
	printf("%s\n", out.data);
	sodium_memzero(sk, sizeof(sk));
	buf_release(&msg);
	buf_release(&file);
	buf_release(&out);
	return 0;
}

static struct config *
load_config(const char *path)
{
	struct config	*cf;
	struct diag	 d;

	diag_init(&d);
	cf = config_load(path, &d);
	if (cf == NULL) {
		diag_print(&d);
		diag_release(&d);
		die("%s: configuration does not load", path);
	}
	diag_release(&d);
	return cf;
}

static int
cmd_sign(int argc, char **argv)
{
	struct config		*cf;
	const struct source	*s;
	const struct provider	*p;
	struct hook_request	 req;
	struct headers		 h = { NULL, 0 };
	struct buf		 body = BUF_INIT, out = BUF_INIT;
	const char		*why, *ct;
	int			 i, r;

	if (argc < 4)
		usage();
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.query = "";
	req.now = (long long)time(NULL);
	for (i = 4; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--now") == 0)
			req.now = strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--header") == 0)
			headers_add(&h, argv[++i]);
		else if (strcmp(argv[i], "--query") == 0)
			req.query = argv[++i];
		else if (strcmp(argv[i], "--url") == 0)
			req.url = argv[++i];
		else
			usage();
	}
	cf = load_config(argv[1]);
	if ((s = config_source(cf, argv[2])) == NULL)
		die("no source '%s' in %s", argv[2], argv[1]);
	if (read_file(argv[3], &body, MAX_FILE) == -1)
		die("%s: %s", argv[3], strerror(errno));
	ct = headers_get(&h, "Content-Type");
	req.content_type = ct != NULL ? ct : "";
	req.body = (const unsigned char *)(body.data != NULL ? body.data : "");
	req.body_len = body.len;
	req.header = headers_get;
	req.ctx = &h;
	p = s->provider != NULL ? s->provider : provider_detect(&req);
	r = provider_sign(p, s, &req, &out, &why);
	if (r == 0)
		fputs(buf_str(&out), stdout);
	else
		fprintf(stderr, "test-tool: %s: %s\n", provider_name(p), why);
	buf_release(&out);
	buf_release(&body);
	headers_release(&h);
	config_free(cf);
	return r == 0 ? 0 : 1;
}

/* Verify a request directory against a source, without a web server. */
static int
cmd_verify(int argc, char **argv)
{
	struct config		*cf;
	const struct source	*s;
	const struct provider	*p;
	struct hook_request	 req;
	struct verify_result	 vr;
	struct headers		 h = { NULL, 0 };
	struct buf		 body = BUF_INIT;
	char			*method, *query, *now;
	const char		*ct;
	int			 r;

	if (argc != 4)
		usage();
	cf = load_config(argv[1]);
	if ((s = config_source(cf, argv[2])) == NULL)
		die("no source '%s' in %s", argv[2], argv[1]);
	headers_read(argv[3], &h);
	read_path(argv[3], "body", &body);
	method = read_line(argv[3], "method", "POST");
	query = read_line(argv[3], "query", "");
	now = read_line(argv[3], "now", NULL);
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.query = query;
	ct = headers_get(&h, "Content-Type");
	req.content_type = ct != NULL ? ct : "";
	req.body = (const unsigned char *)(body.data != NULL ? body.data : "");
	req.body_len = body.len;
	req.now = now != NULL ? strtoll(now, NULL, 10) : (long long)time(NULL);
	req.header = headers_get;
	req.ctx = &h;
	p = s->provider != NULL ? s->provider : provider_detect(&req);
	r = provider_verify(p, s, &req, &vr);
	if (r == 0)
		printf("valid %s %s event=%s delivery=%s%s%s\n",
		    provider_name(p), vr.scheme, vr.event ? vr.event : "",
		    vr.delivery ? vr.delivery : "",
		    vr.handshake_body ? " handshake=" : "",
		    vr.handshake_body ? vr.handshake_body : "");
	else
		printf("invalid %s %s\n", provider_name(p), vr.reason);
	verify_result_release(&vr);
	free(method);
	free(query);
	free(now);
	buf_release(&body);
	headers_release(&h);
	config_free(cf);
	return r == 0 ? 0 : 1;
}

/*
 * kill-on-arrival DIR PID READYFILE: SIGKILL PID the moment a file is
 * renamed into DIR (as the spool's tmp/ -> new/), through inotify; prints
 * the file's name. READYFILE is created once the watch is in place.
 * Exits 1 if nothing arrives within 60 s.
 */
static int
cmd_kill_on_arrival(int argc, char **argv)
{
	char		 ev[sizeof(struct inotify_event) + NAME_MAX + 1]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	struct inotify_event *ie;
	struct pollfd	 pfd;
	pid_t		 pid;
	ssize_t		 n;
	int		 fd, rfd;

	if (argc != 4)
		usage();
	pid = (pid_t)strtol(argv[2], NULL, 10);
	if ((fd = inotify_init1(IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(fd, argv[1], IN_MOVED_TO) == -1)
		die("inotify %s: %s", argv[1], strerror(errno));
	if ((rfd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		die("%s: %s", argv[3], strerror(errno));
	close(rfd);
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 60000) != 1)
		return 1;
	if ((n = read(fd, ev, sizeof(ev))) <= 0)
		die("inotify read: %s", strerror(errno));
	kill(pid, SIGKILL);
	ie = (struct inotify_event *)(void *)ev;
	printf("%s\n", ie->len > 0 ? ie->name : "");
	return 0;
}

/* FastCGI (the specification, 1996): record types and a record's head. */
#define FCGI_BEGIN_REQUEST	1
#define FCGI_END_REQUEST	3
#define FCGI_PARAMS		4
#define FCGI_STDIN		5
#define FCGI_STDOUT		6
#define FCGI_STDERR		7
#define FCGI_RESPONDER		1
#define FCGI_MAX_CONTENT	65535

static void
fcgi_write_all(int fd, const void *p, size_t n)
{
	if (write_all(fd, p, n) == -1)
		die("write: %s", strerror(errno));
}

/* The stream type's records for data (any length), then its empty end. */
static void
fcgi_stream(int fd, int type, const char *data, size_t len)
{
	unsigned char	h[8];
	size_t		n;

	do {
		n = len > FCGI_MAX_CONTENT ? FCGI_MAX_CONTENT : len;
		h[0] = 1;
		h[1] = (unsigned char)type;
		h[2] = 0;
		h[3] = 1;	/* request id 1 */
		h[4] = (unsigned char)(n >> 8);
		h[5] = (unsigned char)n;
		h[6] = h[7] = 0;
		fcgi_write_all(fd, h, sizeof(h));
		fcgi_write_all(fd, data, n);
		data += n;
		len -= n;
	} while (n > 0);
}

static void
fcgi_length(struct buf *b, size_t n)
{
	if (n < 128)
		buf_addch(b, (char)n);
	else {
		buf_addch(b, (char)(0x80 | (n >> 24)));
		buf_addch(b, (char)(n >> 16));
		buf_addch(b, (char)(n >> 8));
		buf_addch(b, (char)n);
	}
}

static int
fcgi_read_all(int fd, void *p, size_t n)
{
	char	*c = p;
	ssize_t	 r;

	while (n > 0) {
		if ((r = read(fd, c, n)) == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * A FastCGI client, as a web server is one: one request to the unix
 * socket SOCKET with the parameters NAME=VALUE (nothing else) and the
 * body FILE; the answer's stdout goes to stdout, its stderr to stderr.
 * Exit 0 after the end of the request; 1 if the connection fails (the
 * reason on stderr: "connect: Permission denied").
 */
static int
cmd_fcgi_request(int argc, char **argv)
{
	struct sockaddr_un	 sun;
	struct buf		 params = BUF_INIT, body = BUF_INIT;
	/* Version 1, request id 1, 8 bytes: role responder, no keep-alive. */
	static const unsigned char begin_head[8] = { 1, FCGI_BEGIN_REQUEST,
	    0, 1, 0, 8, 0, 0 };
	static const unsigned char begin[8] = { 0, FCGI_RESPONDER, 0 };
	unsigned char		 h[8];
	char			 content[FCGI_MAX_CONTENT + 255], *eq;
	size_t			 n;
	int			 a, fd, ended = 0;

	if (argc < 2)
		usage();
	for (a = 2; a < argc; a++) {
		if (strcmp(argv[a], "--body") == 0 && a + 1 < argc) {
			if (read_file(argv[++a], &body, MAX_FILE) == -1)
				die("%s: %s", argv[a], strerror(errno));
			continue;
		}
		if ((eq = strchr(argv[a], '=')) == NULL)
			usage();
		fcgi_length(&params, (size_t)(eq - argv[a]));
		fcgi_length(&params, strlen(eq + 1));
		buf_add(&params, argv[a], (size_t)(eq - argv[a]));
		buf_addstr(&params, eq + 1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof(sun.sun_path))
		die("%s: path too long", argv[1]);
	memcpy(sun.sun_path, argv[1], strlen(argv[1]));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die("connect: %s", strerror(errno));

	fcgi_write_all(fd, begin_head, sizeof(begin_head));
	fcgi_write_all(fd, begin, sizeof(begin));
	fcgi_stream(fd, FCGI_PARAMS, params.data ? params.data : "",
	    params.len);
	fcgi_stream(fd, FCGI_STDIN, body.data ? body.data : "", body.len);

	while (!ended && fcgi_read_all(fd, h, sizeof(h)) == 0) {
		n = ((size_t)h[4] << 8 | h[5]) + h[6];
		if (fcgi_read_all(fd, content, n) == -1)
			break;
		n -= h[6];
		if (h[1] == FCGI_STDOUT)
			fwrite(content, 1, n, stdout);
		else if (h[1] == FCGI_STDERR)
			fwrite(content, 1, n, stderr);
		else if (h[1] == FCGI_END_REQUEST)
			ended = 1;
	}
	close(fd);
	buf_release(&params);
	buf_release(&body);
	if (!ended)
		die("the connection ended before the request did");
	return 0;
}

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
} commands[] = {
	{ "fcgi-request",	cmd_fcgi_request },
	{ "vectors",		cmd_vectors },
	{ "cgi",		cmd_cgi },
	{ "ed25519-keygen",	cmd_ed25519_keygen },
	{ "ed25519-sign",	cmd_ed25519_sign },
	{ "sign",		cmd_sign },
	{ "verify",		cmd_verify },
	{ "kill-on-arrival",	cmd_kill_on_arrival },
	{ "sigreq",		cmd_sigreq },
	{ "sigmatrix",		cmd_sigmatrix },
};

int
main(int argc, char **argv)
{
	size_t	i;

	if (argc < 2)
		usage();
	if (sodium_init() < 0)
		die("libsodium failed to initialize");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	usage();
}
