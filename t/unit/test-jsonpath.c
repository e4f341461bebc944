/*
 * Unit tests of the JSONPath subset (lib/jsonpath.c), over a GitHub push
 * payload as GitHub sends it (trimmed).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "jsonpath.h"
#include "tap.h"

static const char push_json[] =
    "{"
    "\"ref\": \"refs/heads/main\","
    "\"before\": \"6113728f27ae82c7b1a177c8d03f9e96e0adf246\","
    "\"after\": \"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c\","
    "\"created\": false,"
    "\"deleted\": false,"
    "\"forced\": true,"
    "\"base_ref\": null,"
    "\"compare\": \"https://github.com/acme/site/compare/"
    "6113728f27ae...0d1a26e67d8f\","
    "\"repository\": {"
    "  \"id\": 1296269,"
    "  \"name\": \"site\","
    "  \"full_name\": \"acme/site\","
    "  \"private\": false,"
    "  \"owner\": {\"login\": \"acme\"},"
    "  \"topics\": [\"web\", \"static-site\"],"
    "  \"size\": 3.5,"
    "  \"custom_properties\": {\"deploy-env\": \"prod\","
    "    \"team.name\": \"web\"}"
    "},"
    "\"pusher\": {\"name\": \"octocat\", \"email\": \"octocat@example.com\"},"
    "\"sender\": {\"login\": \"octocat\", \"id\": 583231, \"type\": \"User\"},"
    "\"commits\": ["
    "  {\"id\": \"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c\","
    "   \"message\": \"Update README.md\","
    "   \"distinct\": true,"
    "   \"author\": {\"name\": \"Mona\", \"username\": \"octocat\"},"
    "   \"added\": [], \"removed\": [], \"modified\": [\"README.md\"]},"
    "  {\"id\": \"5f2b1c3d4e5f60718293a4b5c6d7e8f901234567\","
    "   \"message\": \"Deploy docs\","
    "   \"distinct\": false,"
    "   \"author\": {\"name\": \"Hubot\", \"username\": \"hubot\"},"
    "   \"added\": [\"docs/index.md\", \"docs/setup.md\"], \"removed\": [],"
    "   \"modified\": [\"mkdocs.yml\"]}"
    "]"
    "}";

static struct json_object *push;

/* Compile path, or fail the test and return NULL. */
static struct jsonpath *
compile(const char *path)
{
	struct jsonpath	*jp;
	char		*err = NULL;

	jp = jsonpath_compile(path, &err);
	if (jp == NULL) {
		diag("%s: %s", path, err);
		free(err);
	}
	return jp;
}

/* What path selects from push, rendered as by jsonpath_match(). */
static void
is_seen(const char *path, const char *want)
{
	struct jsonpath	*jp;
	struct buf	 seen = BUF_INIT;

	if ((jp = compile(path)) == NULL) {
		ok(0, "compile %s", path);
		return;
	}
	jsonpath_match(jp, push, NULL, &seen);
	is_str(buf_str(&seen), want, "%s selects %s", path, want);
	buf_release(&seen);
	jsonpath_free(jp);
}

/* Does path match want (JSON text) in push? */
static void
is_match(const char *path, const char *want_json, int want)
{
	struct jsonpath		*jp;
	struct json_object	*w;

	if ((jp = compile(path)) == NULL) {
		ok(0, "compile %s", path);
		return;
	}
	w = json_tokener_parse(want_json);
	is_int(jsonpath_match(jp, push, w, NULL), want, "%s %s %s", path,
	    want ? "matches" : "does not match", want_json);
	json_object_put(w);
	jsonpath_free(jp);
}

static void
is_error(const char *path, const char *want)
{
	struct jsonpath	*jp;
	char		*err = NULL;

	jp = jsonpath_compile(path, &err);
	ok(jp == NULL, "'%s' does not compile", path);
	is_str(err, want, "'%s' error", path);
	free(err);
	jsonpath_free(jp);
}

static void
test_select(void)
{
	struct jsonpath		 *jp;
	struct json_object	**v;
	size_t			  n;

	is_seen("$.ref", "\"refs/heads/main\"");
	is_seen("$.repository.full_name", "\"acme/site\"");
	is_seen("$.repository.owner.login", "\"acme\"");
	is_seen("$['repository']['full_name']", "\"acme/site\"");
	is_seen("$[\"repository\"].name", "\"site\"");
	is_seen("$.repository['custom_properties']['deploy-env']", "\"prod\"");
	is_seen("$.repository.custom_properties['team.name']", "\"web\"");
	is_seen("$.repository.custom_properties.deploy-env", "\"prod\"");
	is_seen("$.repository.custom_properties.team.name", "nothing");
	is_seen("$[ 'ref' ]", "\"refs/heads/main\"");
	is_seen("$.repository.id", "1296269");
	is_seen("$.repository.size", "3.5");
	is_seen("$.forced", "true");
	is_seen("$.base_ref", "null");
	is_seen("$.missing", "nothing");
	is_seen("$.missing.deeper[0]", "nothing");
	is_seen("$.repository.topics", "[\"web\",\"static-site\"]");
	is_seen("$.repository.owner", "{\"login\":\"acme\"}");

	/* Indexes, negative ones from the end. */
	is_seen("$.commits[0].author.name", "\"Mona\"");
	is_seen("$.commits[1].author.name", "\"Hubot\"");
	is_seen("$.commits[-1].author.name", "\"Hubot\"");
	is_seen("$.commits[-2].author.name", "\"Mona\"");
	is_seen("$.commits[2]", "nothing");
	is_seen("$.commits[-3]", "nothing");
	is_seen("$.repository[0]", "nothing");
	is_seen("$.commits.0", "nothing");
	is_seen("$.ref[0]", "nothing");

	/* Wildcards over arrays of objects and over objects. */
	is_seen("$.commits[*].id",
	    "[\"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c\","
	    "\"5f2b1c3d4e5f60718293a4b5c6d7e8f901234567\"]");
	is_seen("$.commits.*.author.username", "[\"octocat\",\"hubot\"]");
	is_seen("$.commits[*].added[*]",
	    "[\"docs/index.md\",\"docs/setup.md\"]");
	is_seen("$.commits[*].modified[*]", "[\"README.md\",\"mkdocs.yml\"]");
	is_seen("$.commits[*].removed[*]", "nothing");
	is_seen("$.pusher.*", "[\"octocat\",\"octocat@example.com\"]");
	is_seen("$.sender[*]", "[\"octocat\",583231,\"User\"]");
	is_seen("$.ref.*", "nothing");
	is_seen("$.commits[*].distinct", "[true,false]");

	/* The root itself. */
	if ((jp = compile("$")) != NULL) {
		n = jsonpath_select(jp, push, &v);
		ok(n == 1 && v[0] == push, "$ selects the root");
		free(v);
		n = jsonpath_select(jp, NULL, &v);
		ok(n == 1 && v[0] == NULL, "$ of a null document is one null");
		free(v);
		jsonpath_free(jp);
	}

	/* Borrowed pointers, in document order, nulls counted. */
	if ((jp = compile("$.commits[*].author")) != NULL) {
		struct json_object *c0 = json_object_array_get_idx(
		    json_object_object_get(push, "commits"), 0);

		n = jsonpath_select(jp, push, &v);
		is_int(n, 2, "two authors");
		ok(n == 2 && v[0] == json_object_object_get(c0, "author"),
		    "first author is the payload's own object");
		free(v);
		jsonpath_free(jp);
	}
	if ((jp = compile("$.base_ref")) != NULL) {
		n = jsonpath_select(jp, push, &v);
		ok(n == 1 && v[0] == NULL, "a null member is selected as NULL");
		free(v);
		jsonpath_free(jp);
	}
	if ((jp = compile("$.nope")) != NULL) {
		v = (struct json_object **)&n;
		n = jsonpath_select(jp, push, &v);
		ok(n == 0 && v == NULL, "nothing selected: count 0, NULL array");
		jsonpath_free(jp);
	}
	if ((jp = compile("$['a\\'b']['c\\\\d']")) != NULL) {
		struct json_object *o = json_tokener_parse(
		    "{\"a'b\": {\"c\\\\d\": 7}}");
		struct buf seen = BUF_INIT;

		jsonpath_match(jp, o, NULL, &seen);
		is_str(buf_str(&seen), "7", "escaped quote and backslash keys");
		is_str(jsonpath_text(jp), "$['a\\'b']['c\\\\d']",
		    "jsonpath_text");
		buf_release(&seen);
		json_object_put(o);
		jsonpath_free(jp);
	}
}

static void
test_match(void)
{
	struct jsonpath		*jp;
	struct json_object	*o, *w;
	struct buf		 seen = BUF_INIT;
	int			 i;

	is_match("$.ref", "\"refs/heads/main\"", 1);
	is_match("$.ref", "\"refs/heads/dev\"", 0);
	is_match("$.ref", "\"refs/heads/MAIN\"", 0);
	is_match("$.ref", "[\"refs/heads/dev\", \"refs/heads/main\"]", 1);
	is_match("$.ref", "[\"refs/heads/dev\", \"refs/tags/v1\"]", 0);
	is_match("$.ref", "[]", 0);
	is_match("$.missing", "\"x\"", 0);
	is_match("$.missing", "[\"x\", 1, true]", 0);

	/* Numbers compare numerically, never with strings. */
	is_match("$.repository.id", "1296269", 1);
	is_match("$.repository.id", "1296269.0", 1);
	is_match("$.repository.id", "1296270", 0);
	is_match("$.repository.id", "\"1296269\"", 0);
	is_match("$.repository.size", "3.5", 1);
	is_match("$.repository.size", "\"3.5\"", 0);
	is_match("$.repository.full_name", "1", 0);
	is_match("$.repository.id", "[\"1296269\", 1296269]", 1);

	/* Booleans are neither strings nor numbers. */
	is_match("$.forced", "true", 1);
	is_match("$.forced", "false", 0);
	is_match("$.created", "false", 1);
	is_match("$.created", "\"false\"", 0);
	is_match("$.created", "0", 0);

	/* null matches null only. */
	is_match("$.base_ref", "null", 1);
	is_match("$.base_ref", "\"\"", 0);
	is_match("$.missing", "null", 0);

	/* Objects and arrays never equal a scalar. */
	is_match("$.repository.owner", "\"acme\"", 0);
	is_match("$.repository.topics", "\"web\"", 0);
	is_match("$.repository.topics[*]", "\"web\"", 1);

	/* A wildcard matches if any selected value does. */
	is_match("$.commits[*].author.username", "\"hubot\"", 1);
	is_match("$.commits[*].author.username", "\"nobody\"", 0);
	is_match("$.commits[*].author.username", "[\"nobody\", \"octocat\"]",
	    1);
	is_match("$.commits[*].added[*]", "\"docs/setup.md\"", 1);
	is_match("$.commits[*].distinct", "false", 1);
	is_match("$.repository.custom_properties['deploy-env']",
	    "[\"staging\", \"prod\"]", 1);

	/* What was seen, for the trace. */
	jp = compile("$.repository.full_name");
	w = json_tokener_parse("\"acme/other\"");
	buf_addstr(&seen, "match: got ");
	ok(jp != NULL && !jsonpath_match(jp, push, w, &seen), "no match");
	is_str(buf_str(&seen), "match: got \"acme/site\"",
	    "seen is appended to the buffer");
	json_object_put(w);
	jsonpath_free(jp);
	buf_release(&seen);

	/* A long selection is cut short. */
	o = json_object_new_array();
	for (i = 0; i < 100; i++)
		json_object_array_add(o, json_object_new_string("abcdefgh"));
	jp = compile("$[*]");
	w = json_object_new_string("zzz");
	ok(jp != NULL && !jsonpath_match(jp, o, w, &seen), "no zzz");
	ok(seen.len > 20 && seen.len <= 210 &&
	    strncmp(seen.data, "[\"abcdefgh\",\"abcdefgh\"", 22) == 0 &&
	    strcmp(seen.data + seen.len - 3, "...") == 0,
	    "long selection cut: %s", buf_str(&seen));
	json_object_put(w);
	w = json_object_new_string("abcdefgh");
	ok(jsonpath_match(jp, o, w, NULL), "long selection still matches");
	json_object_put(w);
	json_object_put(o);
	jsonpath_free(jp);
	buf_release(&seen);
}

static void
test_errors(void)
{
	is_error("", "column 1: a path starts with '$'");
	is_error("repository.name", "column 1: a path starts with '$'");
	is_error("$.", "column 3: expected a member name or '*' after '.'");
	is_error("$.a.", "column 5: expected a member name or '*' after '.'");
	is_error("$.a.[0]",
	    "column 5: expected a member name or '*' after '.'");
	is_error("$..name", "column 2: recursive descent '..' is not supported");
	is_error("$['a", "column 3: unterminated quoted name");
	is_error("$[\"a']", "column 3: unterminated quoted name");
	is_error("$['a\\x']",
	    "column 5: unknown escape in a quoted name (only \\\\, \\' and \\\")");
	is_error("$[1:2]", "column 4: array slices are not supported");
	is_error("$[:2]", "column 3: array slices are not supported");
	is_error("$[?(@.id > 1)]",
	    "column 3: filter and script expressions are not supported");
	is_error("$[a]",
	    "column 3: expected a quoted name, an index or '*' after '['");
	is_error("$[]",
	    "column 3: expected a quoted name, an index or '*' after '['");
	is_error("$['a','b']", "column 6: unions are not supported");
	is_error("$[1", "column 4: expected ']'");
	is_error("$['a' x]", "column 7: expected ']'");
	is_error("$[-]", "column 3: expected digits after '-'");
	is_error("$[99999999999999999999]",
	    "column 3: array index out of range");
	is_error("$.a b", "column 4: unexpected space");
	is_error("$.a]", "column 4: unexpected character ']'");
	is_error("$ .a", "column 2: unexpected space");
	/* Columns count characters, not bytes. */
	is_error("$.caf\xc3\xa9#", "column 7: unexpected character '#'");
	is_error("$.a\tb", "column 4: unexpected byte 0x09");
}

int
main(void)
{
	push = json_tokener_parse(push_json);
	if (!ok(push != NULL, "test payload parses"))
		return tap_done();
	test_select();
	test_match();
	test_errors();
	json_object_put(push);
	return tap_done();
}
