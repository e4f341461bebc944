/*
 * hookdir.conf: parsing with positions, validation with file:line:key,
 * and the utilities the loader relies on.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "jconf.h"
#include "util.h"
#include "tap.h"

static char dir[] = "/tmp/hookdir-config-XXXXXX";

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char	path[4096];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static int
diag_has(const struct diag *d, const char *needle)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		if (strstr(d->v[i].text, needle) != NULL)
			return 1;
	return 0;
}

static void
dump(const struct diag *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++)
		diag("%s", d->v[i].text);
}

static struct config *
load(const char *text, struct diag *d)
{
	char	path[4096];

	write_file("hookdir.conf", text, 0644);
	snprintf(path, sizeof(path), "%s/hookdir.conf", dir);
	diag_init(d);
	return config_load(path, d);
}

static void
test_jconf(void)
{
	const char		*text = "{\n  // comment\n  \"a\": 1,\n"
	    "  /* block\n */ \"b\": [true, \"x\\u00e9\",],\n  \"c\": {\"d\": null}\n}\n";
	struct json_object	*o, *v;
	char			*err = NULL;

	o = jconf_parse(text, strlen(text), "f.conf", &err);
	ok(o != NULL, "comments and a trailing comma parse");
	is_int(jconf_key_line(o, "a"), 3, "line of key a");
	is_int(jconf_key_line(o, "b"), 5, "line of key b after a block comment");
	json_object_object_get_ex(o, "b", &v);
	is_str(json_object_get_string(json_object_array_get_idx(v, 1)),
	    "x\xc3\xa9", "\\u escape decoded to UTF-8");
	is_int(jconf_key_line(o, "c"), 6, "line of key c");
	json_object_put(o);

	o = jconf_parse("{\n\"a\": 1\n\"b\": 2}", 16, "f.conf", &err);
	ok(o == NULL && err != NULL && strncmp(err, "f.conf:3:1:", 11) == 0,
	    "missing comma reported at line:col (%s)", err ? err : "");
	free(err);
	o = jconf_parse("{\"a\": 1, \"a\": 2}", 16, "f", &err);
	ok(o == NULL && strstr(err, "duplicate key") != NULL, "duplicate key");
	free(err);
	o = jconf_parse("{\"a\": \"x", 8, "f", &err);
	ok(o == NULL && strstr(err, "unterminated string") != NULL,
	    "unterminated string");
	free(err);
	o = jconf_parse("/* x", 4, "f", &err);
	ok(o == NULL && strstr(err, "unterminated comment") != NULL,
	    "unterminated comment");
	free(err);
	{
		char deep[300];
		memset(deep, '[', sizeof(deep));
		o = jconf_parse(deep, sizeof(deep), "f", &err);
		ok(o == NULL && strstr(err, "nested too deeply") != NULL,
		    "nesting is limited");
		free(err);
	}
}

static void
test_config(void)
{
	struct config		*cf;
	const struct source	*s;
	struct diag		 d;

	write_file("gh.secret", "from-file\n", 0600);
	write_file("open.secret", "x\n", 0644);
	cf = load("{\n"
	    "  \"spool\": \"q\",\n"
	    "  \"limits\": { \"max_body\": \"1M\", \"max_queue\": 5 },\n"
	    "  \"sources\": {\n"
	    "    \"site\": { \"provider\": \"github\", \"secret_file\": \"gh.secret\",\n"
	    "              \"secret\": [\"old\", \"new\"], \"allow_from\": [\"10.0.0.0/8\", \"::1\"] },\n"
	    "    \"any\": { \"provider\": \"generic\", \"secret\": \"s\", \"algorithm\": \"hmac-sha512\",\n"
	    "             \"encoding\": \"base64\", \"tolerance\": \"5m\", \"methods\": [\"post\", \"put\"],\n"
	    "             \"response\": { \"status\": 200, \"body\": \"ok\" } },\n"
	    "    \"open\": { \"provider\": \"auto\" }\n"
	    "  }\n"
	    "}\n", &d);
	dump(&d);
	ok(cf != NULL, "a good config loads");
	if (cf == NULL)
		return;
	ok(strstr(cf->spool, "/q") != NULL && cf->spool[0] == '/',
	    "relative spool path made absolute (%s)", cf->spool);
	is_int(cf->max_body, 1024 * 1024, "max_body 1M");
	is_int(cf->max_queue, 5, "max_queue");
	s = config_source(cf, "site");
	ok(s != NULL && s->nsecrets == 3, "secret_file plus a list of secrets");
	ok(s != NULL && strcmp((char *)s->secrets[0].data, "from-file") == 0,
	    "the trailing newline of a secret file is not part of it");
	ok(s != NULL && s->nallow_from == 2 && cidr_match(&s->allow_from[0],
	    "10.1.2.3") && !cidr_match(&s->allow_from[0], "11.0.0.1") &&
	    cidr_match(&s->allow_from[1], "::1") &&
	    cidr_match(&s->allow_from[0], "::ffff:10.9.9.9"),
	    "allow_from CIDRs, IPv4, IPv6 and v4-mapped");
	s = config_source(cf, "any");
	ok(s != NULL && s->algorithm == HMAC_SHA512 && s->encoding == ENC_BASE64 &&
	    s->tolerance_ms == 300000 && s->nmethods == 2 &&
	    strcmp(s->methods[1], "PUT") == 0 && s->response_status == 200,
	    "generic settings");
	s = config_source(cf, "open");
	ok(s != NULL && s->provider == NULL, "auto provider");
	ok(diag_has(&d, "unsigned requests are accepted"),
	    "a source without a secret is warned about");
	ok(!config_changed(cf), "unchanged config");
	write_file("gh.secret", "rotated\n", 0600);
	ok(config_changed(cf), "a changed secret file is noticed");
	config_free(cf);
	diag_release(&d);

	cf = load("{\n"
	    "  \"sources\": {\n"
	    "    \"a\": { \"provider\": \"github\", \"secret_file\": \"open.secret\" },\n"
	    "    \"b\": { \"provider\": \"nosuch\", \"secret\": \"x\" },\n"
	    "    \"c\": { \"provider\": \"github\", \"secret\": 5 },\n"
	    "    \"d\": { \"provider\": \"github\", \"secret\": \"x\", \"colour\": \"red\" },\n"
	    "    \"../e\": { \"provider\": \"github\", \"secret\": \"x\" },\n"
	    "    \"f\": { \"provider\": \"github\", \"secret_file\": \"missing\" },\n"
	    "    \"g\": { \"provider\": \"generic\", \"secret\": \"x\", \"max_body\": \"lots\" }\n"
	    "  },\n"
	    "  \"spoool\": \"x\"\n"
	    "}\n", &d);
	dump(&d);
	ok(cf == NULL, "a bad config does not load");
	ok(diag_has(&d, "hookdir.conf:3: sources.a.secret_file:") &&
	    diag_has(&d, "readable by group or others"),
	    "group/world-readable secret file refused with file:line:key");
	ok(diag_has(&d, ":4: sources.b.provider: unknown provider 'nosuch'"),
	    "unknown provider");
	ok(diag_has(&d, ":5: sources.c.secret: must be a string or a list"),
	    "wrong type");
	ok(diag_has(&d, ":6: sources.d.colour: unknown key"), "unknown key");
	ok(diag_has(&d, ":7: sources.../e: a source name"),
	    "a name that is a path is refused");
	ok(diag_has(&d, ":8: sources.f.secret_file:") &&
	    diag_has(&d, "No such file"), "missing secret file");
	ok(diag_has(&d, ":9: sources.g.max_body: 'lots'"), "bad size");
	ok(diag_has(&d, ":11: spoool: unknown key"), "unknown top-level key");
	ok(d.nerrors == 8, "every error reported, not just the first (%zu)",
	    d.nerrors);
	diag_release(&d);

	cf = load("{ \"sources\": { \"a\": { \"provider\": \"github\" ", &d);
	ok(cf == NULL && d.nerrors == 1 && diag_has(&d, "hookdir.conf:1:"),
	    "syntax error with line");
	dump(&d);
	diag_release(&d);
}

/*
 * Settings that would fail open are errors at their key: an empty list
 * of secrets or addresses, a secret that is only its provider's prefix.
 * A short secret is a warning and the configuration loads.
 */
static void
test_fail_open(void)
{
	struct config	*cf;
	struct diag	 d;

	setenv("HOOKDIR_TEST_LONG_SECRET", "whsec_not*base64*at*all*0123", 1);
	cf = load("{\n"
	    "  \"sources\": {\n"
	    "    \"a\": { \"provider\": \"github\", \"secret\": [] },\n"
	    "    \"b\": { \"provider\": \"github\", \"secret_file\": [] },\n"
	    "    \"c\": { \"provider\": \"github\",\n"
	    "           \"secret_env\": [] },\n"
	    "    \"d\": { \"provider\": \"github\", \"secret\": \"0123456789abcdef\",\n"
	    "           \"allow_from\": [] },\n"
	    "    \"e\": { \"provider\": \"stripe\", \"secret\": \"whsec_\" },\n"
	    "    \"f\": { \"provider\": \"standard\",\n"
	    "           \"secret\": [\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\", \"whsec_\"] },\n"
	    "    \"g\": { \"provider\": \"gitlab\", \"secret\": \"whsec_\" },\n"
	    "    \"h\": { \"provider\": \"standard\", \"secret_env\": \"HOOKDIR_TEST_LONG_SECRET\" }\n"
	    "  }\n"
	    "}\n", &d);
	dump(&d);
	ok(cf == NULL, "a configuration that fails open does not load");
	ok(diag_has(&d, "hookdir.conf:3: sources.a.secret: an empty list means "
	    "no secret"), "\"secret\": [] is an error at its line");
	ok(diag_has(&d, "hookdir.conf:4: sources.b.secret_file: an empty list"),
	    "\"secret_file\": [] too");
	ok(diag_has(&d, "hookdir.conf:6: sources.c.secret_env: an empty list"),
	    "\"secret_env\": [] too, at the key's own line");
	ok(diag_has(&d, "hookdir.conf:8: sources.d.allow_from: an empty list "
	    "means no address"), "\"allow_from\": [] is an error");
	ok(diag_has(&d, "hookdir.conf:9: sources.e.secret: the secret is "
	    "nothing but whsec_"), "a Stripe secret that is only whsec_");
	ok(diag_has(&d, "hookdir.conf:11: sources.f.secret: secret 2 is "
	    "nothing but whsec_"), "a Standard Webhooks whsec_ in a list");
	ok(diag_has(&d, "hookdir.conf:12: sources.g.secret: the secret is "
	    "nothing but whsec_"), "a GitLab signing token that is only "
	    "whsec_");
	ok(diag_has(&d, "hookdir.conf:13: sources.h.secret_env: the secret is "
	    "not base64 after whsec_"), "a Standard Webhooks secret that "
	    "does not decode, from the environment");
	ok(d.nerrors == 8, "eight errors (%zu)", d.nerrors);
	diag_release(&d);
	unsetenv("HOOKDIR_TEST_LONG_SECRET");

	cf = load("{\n"
	    "  \"sources\": {\n"
	    "    \"a\": { \"provider\": \"github\", \"secret\": \"tok\" },\n"
	    "    \"b\": { \"provider\": \"stripe\", \"secret\": \"whsec_12345\" },\n"
	    "    \"c\": { \"provider\": \"github\", \"secret\": \"0123456789abcdef\" }\n"
	    "  }\n"
	    "}\n", &d);
	dump(&d);
	ok(cf != NULL, "short secrets are no error");
	ok(d.nerrors == 0 && d.n == 2 &&
	    diag_has(&d, "hookdir.conf:3: sources.a.secret: the secret has 3 "
	    "bytes") && diag_has(&d, "hookdir.conf:4: sources.b.secret: the "
	    "secret has 5 bytes"), "but a warning each, counting what follows "
	    "a prefix; 16 bytes are enough");
	config_free(cf);
	diag_release(&d);
}

/*
 * One secret, one framing: a secret shared by sources whose signatures
 * cover differently framed bytes is an error; shared between sources
 * that sign the same way, it is not.
 */
static void
test_shared_secret(void)
{
	struct config	*cf;
	struct diag	 d;

	cf = load("{\n"
	    "  \"sources\": {\n"
	    "    \"slack\": { \"provider\": \"slack\", \"secret\": \"8f742231b10e8888abcd99yyyzzz85a5\" },\n"
	    "    \"pay\": { \"provider\": \"stripe\", \"secret\": \"whsec_stripe-raw-bytes-7d2e\" },\n"
	    "    \"any\": { \"provider\": \"auto\",\n"
	    "             \"secret\": [\"own-secret-0123456789\", \"8f742231b10e8888abcd99yyyzzz85a5\"] },\n"
	    "    \"gh\": { \"provider\": \"github\", \"secret\": \"whsec_stripe-raw-bytes-7d2e\" },\n"
	    "    \"tok\": { \"provider\": \"generic\", \"algorithm\": \"bearer\",\n"
	    "             \"secret\": \"own-secret-0123456789\" }\n"
	    "  }\n"
	    "}\n", &d);
	dump(&d);
	ok(cf == NULL, "a secret shared across framings does not load");
	ok(diag_has(&d, "hookdir.conf:6: sources.any.secret: secret 2 is also "
	    "a secret of source slack"), "auto and slack");
	ok(diag_has(&d, "hookdir.conf:7: sources.gh.secret: the secret is also "
	    "a secret of source pay"), "github and stripe");
	ok(diag_has(&d, "hookdir.conf:9: sources.tok.secret: the secret is also "
	    "a secret of source any"), "a bearer token and an HMAC key");
	ok(d.nerrors == 3, "three errors (%zu)", d.nerrors);
	diag_release(&d);

	cf = load("{\n"
	    "  \"sources\": {\n"
	    "    \"gh\": { \"provider\": \"github\", \"secret\": \"shared-secret-0123456789\" },\n"
	    "    \"gt\": { \"provider\": \"gitea\", \"secret\": \"shared-secret-0123456789\" },\n"
	    "    \"any\": { \"provider\": \"auto\", \"secret\": \"shared-secret-0123456789\" }\n"
	    "  }\n"
	    "}\n", &d);
	dump(&d);
	ok(cf != NULL && d.n == 0, "sources that all sign the body may share "
	    "a secret");
	config_free(cf);
	diag_release(&d);
}

/* n times 'a' (n < 100), in a static buffer. */
static const char *
letters(size_t n)
{
	static char	l[100];

	memset(l, 'a', n);
	l[n] = '\0';
	return l;
}

static void
test_util(void)
{
	is_int(parse_duration_ms("5m"), 300000, "5m");
	is_int(parse_duration_ms("300"), 300000, "bare seconds");
	is_int(parse_duration_ms("250ms"), 250, "milliseconds");
	is_int(parse_duration_ms("1.5h"), 5400000, "fractions");
	is_int(parse_duration_ms("5 parsecs"), -1, "unknown unit");
	is_int(parse_duration_ms("-1s"), -1, "negative");
	is_int(parse_size("25M"), 25 * 1024 * 1024, "25M");
	is_int(parse_size("512kB"), 512 * 1024, "512kB");
	is_int(parse_size("1000"), 1000, "bytes");
	is_int(parse_size("1X"), -1, "bad unit");
	ok(name_is_valid("site") && name_is_valid("a.b-c_d") &&
	    !name_is_valid("..") && !name_is_valid(".x") &&
	    !name_is_valid("a/b") && !name_is_valid("") &&
	    !name_is_valid("a%2fb"), "source names");
	ok(name_is_valid(letters(64)), "64 characters is fine");
	ok(!name_is_valid(letters(65)), "65 is too long");
}

/* "host", $HOOKDIR_HOST and this machine's name, in that order. */
static void
test_host(void)
{
	struct config	*cf;
	struct diag	 d;
	char		 name[HOST_NAME_LEN + 1];

	unsetenv("HOOKDIR_HOST");
	host_name_default(name);
	ok(host_name_is_valid(name), "this machine's name `%s` is a host name",
	    name);
	cf = load("{ \"sources\": {} }\n", &d);
	ok(cf != NULL && strcmp(cf->host, name) == 0,
	    "without \"host\": this machine's name");
	config_free(cf);
	diag_release(&d);

	setenv("HOOKDIR_HOST", "web-2.example", 1);
	cf = load("{ \"sources\": {} }\n", &d);
	ok(cf != NULL && strcmp(cf->host, "web-2.example") == 0,
	    "without \"host\": $HOOKDIR_HOST");
	config_free(cf);
	diag_release(&d);
	cf = load("{ \"sources\": {},\n  \"host\": \"worker3\" }\n", &d);
	ok(cf != NULL && strcmp(cf->host, "worker3") == 0,
	    "\"host\" wins over $HOOKDIR_HOST");
	config_free(cf);
	diag_release(&d);

	cf = load("{ \"sources\": {},\n  \"host\": \"web_1\" }\n", &d);
	ok(cf == NULL && diag_has(&d, "hookdir.conf:2: host: `web_1` is not "
	    "a host name"), "a host name with `_` is an error at file:line:key");
	dump(&d);
	diag_release(&d);
	cf = load("{ \"sources\": {},\n  \"host\": \"\" }\n", &d);
	ok(cf == NULL && diag_has(&d, ":2: host:"), "an empty host name too");
	diag_release(&d);
	cf = load("{ \"sources\": {},\n  \"host\": 7 }\n", &d);
	ok(cf == NULL && diag_has(&d, ":2: host:"), "a number too");
	diag_release(&d);
	setenv("HOOKDIR_HOST", "a/b", 1);
	cf = load("{ \"sources\": {} }\n", &d);
	ok(cf == NULL && diag_has(&d, "HOOKDIR_HOST: not a host name"),
	    "a bad $HOOKDIR_HOST is an error");
	dump(&d);
	diag_release(&d);
	unsetenv("HOOKDIR_HOST");

	ok(host_name_is_valid(letters(63)), "63 characters is a host name");
	ok(!host_name_is_valid(letters(64)), "64 is too long");
	ok(host_name_is_valid("a.b-C9") && !host_name_is_valid("a b") &&
	    !host_name_is_valid("a/b") && !host_name_is_valid("") &&
	    !host_name_is_valid("h\xc3\xa9"), "host name characters");
}

/* "database": a path (SQLite) or a postgresql:// URI without a password. */
static void
test_database(void)
{
	struct config	*cf;
	struct diag	 d;
	char		 want[4200];

	cf = load("{ \"sources\": {} }\n", &d);
	ok(cf != NULL && cf->database == NULL, "no database: SQLite in state");
	config_free(cf);
	diag_release(&d);
	cf = load("{ \"sources\": {}, \"database\": \"db\" }\n", &d);
	snprintf(want, sizeof(want), "%s/db", dir);
	ok(cf != NULL && cf->database != NULL &&
	    strcmp(cf->database, want) == 0,
	    "a path is relative to the configuration's directory");
	config_free(cf);
	diag_release(&d);
	cf = load("{ \"sources\": {},\n  \"database\": \"mysql://h/db\" }\n",
	    &d);
	ok(cf == NULL && diag_has(&d, ":2: database: must be a path or a "
	    "postgresql:// URI"), "another scheme is an error");
	diag_release(&d);
#ifdef HAVE_POSTGRESQL
	cf = load("{ \"sources\": {},\n  \"database\": "
	    "\"postgresql://hookdir@db1/hookdir?passfile=/etc/pgpass\" }\n",
	    &d);
	ok(cf != NULL && cf->database != NULL && strcmp(cf->database,
	    "postgresql://hookdir@db1/hookdir?passfile=/etc/pgpass") == 0,
	    "a postgresql:// URI is kept as it is");
	config_free(cf);
	diag_release(&d);
	cf = load("{ \"sources\": {},\n  \"database\": "
	    "\"postgresql://hookdir:s3cret@db1/hookdir\" }\n", &d);
	ok(cf == NULL && diag_has(&d, ":2: database: holds a password"),
	    "a password in the URI is an error");
	dump(&d);
	diag_release(&d);
	cf = load("{ \"sources\": {},\n  \"database\": "
	    "\"postgres://db1/hookdir?sslmode=require&password=x\" }\n", &d);
	ok(cf == NULL && diag_has(&d, ":2: database: holds a password"),
	    "a password parameter too");
	diag_release(&d);
#else
	cf = load("{ \"sources\": {},\n  \"database\": "
	    "\"postgresql://db1/hookdir\" }\n", &d);
	ok(cf == NULL && diag_has(&d, ":2: database: this hookdir was built "
	    "without PostgreSQL (./configure --with-postgresql)"),
	    "a postgresql:// URI in a build without PostgreSQL is an error");
	dump(&d);
	diag_release(&d);
#endif
}

int
main(void)
{
	char	cmd[128];

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return tap_done();
	}
	test_jconf();
	test_config();
	test_fail_open();
	test_shared_secret();
	test_util();
	test_host();
	test_database();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
	return tap_done();
}
