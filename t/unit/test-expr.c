/*
 * Unit tests of expressions and templates (lib/expr.c), evaluated over
 * the environment a pipeline sees for a GitHub push.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "expr.h"
#include "tap.h"

static const char env_json[] =
    "{"
    "\"source\": \"github-main\","
    "\"provider\": \"github\","
    "\"eventType\": \"push\","
    "\"method\": \"POST\","
    "\"headers\": {"
    "  \"x-github-event\": \"push\","
    "  \"x-github-delivery\": \"72d3162e-cc78-11e3-81ab-4c9367dc0958\","
    "  \"content-type\": \"application/json\","
    "  \"user-agent\": \"GitHub-Hookshot/044aadd\""
    "},"
    "\"query\": {\"pipeline\": \"deploy\"},"
    "\"body\": \"{\\\"ref\\\":\\\"refs/heads/main\\\"}\","
    "\"payload\": {"
    "  \"ref\": \"refs/heads/main\","
    "  \"before\": \"6113728f27ae82c7b1a177c8d03f9e96e0adf246\","
    "  \"created\": false,"
    "  \"forced\": true,"
    "  \"base_ref\": null,"
    "  \"repository\": {"
    "    \"id\": 1296269,"
    "    \"full_name\": \"acme/site\","
    "    \"private\": false,"
    "    \"owner\": {\"login\": \"acme\"},"
    "    \"topics\": [\"web\", \"static-site\"],"
    "    \"stargazers_count\": 42,"
    "    \"size\": 3.5,"
    "    \"description\": \"\""
    "  },"
    "  \"pusher\": {\"name\": \"octocat\", \"email\": \"octocat@example.com\"},"
    "  \"sender\": {\"login\": \"octocat\", \"id\": 583231},"
    "  \"commits\": ["
    "    {\"id\": \"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c\","
    "     \"message\": \"Update README.md\\n\\nFix typo\","
    "     \"modified\": [\"README.md\"], \"added\": []},"
    "    {\"id\": \"5f2b1c3d4e5f60718293a4b5c6d7e8f901234567\","
    "     \"message\": \"Deploy docs [skip ci]\","
    "     \"modified\": [\"mkdocs.yml\"], \"added\": [\"docs/index.md\"]}"
    "  ],"
    "  \"pattern\": \"^refs/tags/v[0-9]+$\","
    "  \"badpattern\": \"refs/(heads\","
    "  \"hugepattern\": \"((((((a{9}){9}){9}){9}){9}){9}){9}\","
    "  \"slowpattern\": \"g??????????+++++\","
    "  \"zero\": 0,"
    "  \"half\": 0.5,"
    "  \"big\": 9223372036854775807"
    "},"
    "\"needs\": {"
    "  \"build\": {\"status\": \"success\","
    "    \"outputs\": {\"version\": \"1.4.2\"}},"
    "  \"unit-tests\": {\"status\": \"failure\", \"outputs\": {}}"
    "}"
    "}";

static struct json_object *env;

/*
 * text on one line (and not too long) for a TAP description: a newline
 * in a test name would end the TAP line. Rotating buffers, so that two
 * may appear in one call.
 */
static const char *
nl(const char *text)
{
	static char	bufs[4][160];
	static int	next;
	char		*d = bufs[next++ % 4];
	size_t		 i, n = 0;

	if (text == NULL)
		return "(null)";
	for (i = 0; text[i] != '\0' && n < sizeof(bufs[0]) - 6; i++) {
		if (text[i] == '\n') {
			d[n++] = '\\';
			d[n++] = 'n';
		} else
			d[n++] = text[i];
	}
	if (text[i] != '\0') {
		memcpy(d + n, "...", 3);
		n += 3;
	}
	d[n] = '\0';
	return d;
}

/* Compile text, or report why not and return NULL. */
static struct expr *
compile(const char *text)
{
	struct expr	*e;
	char		*err = NULL;

	if ((e = expr_compile(text, &err)) == NULL) {
		diag("%s: %s", nl(text), nl(err));
		free(err);
	}
	return e;
}

/* Evaluate text; the result as compact JSON ("nil" for nil, "ERROR"). */
static char *
eval_json(const char *text, struct json_object *e_env)
{
	struct expr		*e;
	struct json_object	*v;
	char			*err = NULL, *s;

	if ((e = compile(text)) == NULL)
		return strdup("COMPILE ERROR");
	if (expr_eval(e, e_env, &v, &err) == -1) {
		diag("%s: %s", nl(text), nl(err));
		free(err);
		expr_free(e);
		return strdup("ERROR");
	}
	if (v == NULL)
		s = strdup("nil");
	else
		s = strdup(json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(v);
	expr_free(e);
	return s;
}

static void
is_eval(const char *text, const char *want)
{
	char	*got = eval_json(text, env);

	is_str(got, want, "%s => %s", nl(text), want);
	free(got);
}

static void
is_true(const char *text)
{
	is_eval(text, "true");
}

static void
is_false(const char *text)
{
	is_eval(text, "false");
}

/* Compile errors: exactly want. */
static void
is_error(const char *text, const char *want)
{
	struct expr	*e;
	char		*err = NULL;

	e = expr_compile(text, &err);
	ok(e == NULL, "does not compile: %s", nl(text));
	is_str(err, want, "error for: %s", nl(text));
	free(err);
	expr_free(e);
}

/* Compile errors starting with want (the rest comes from libc). */
static void
is_error_prefix(const char *text, const char *want)
{
	struct expr	*e;
	char		*err = NULL;

	e = expr_compile(text, &err);
	ok(e == NULL && err != NULL && strncmp(err, want, strlen(want)) == 0,
	    "error for: %s: %s", nl(text), nl(err));
	free(err);
	expr_free(e);
}

static void
test_literals(void)
{
	is_eval("'single'", "\"single\"");
	is_eval("\"double\"", "\"double\"");
	is_eval("''", "\"\"");
	is_eval("'it\\'s'", "\"it's\"");
	is_eval("\"say \\\"hi\\\"\"", "\"say \\\"hi\\\"\"");
	is_eval("'a\\\\b'", "\"a\\\\b\"");
	is_eval("'tab\\there'", "\"tab\\there\"");
	is_eval("'line\\nnext'", "\"line\\nnext\"");
	is_eval("'cr\\r'", "\"cr\\r\"");
	is_eval("\"it's\"", "\"it's\"");
	is_eval("'say \"hi\"'", "\"say \\\"hi\\\"\"");
	is_eval("'caf\xc3\xa9'", "\"caf\xc3\xa9\"");
	is_eval("42", "42");
	is_eval("0", "0");
	is_eval("1.5", "1.5");
	is_eval("2e3", "2000.0");
	is_eval("-7", "-7");
	is_eval("- 2.5", "-2.5");
	is_eval("9223372036854775807", "9223372036854775807");
	is_eval("true", "true");
	is_eval("false", "false");
	is_eval("nil", "nil");
	is_eval("null", "nil");
	is_eval("['a', 'b', 1]", "[\"a\",\"b\",1]");
	is_eval("[]", "[]");
	is_eval("[1, [2, 3], nil, true,]", "[1,[2,3],null,true]");
	is_eval("[payload.ref, len(payload.commits)]",
	    "[\"refs/heads/main\",2]");
	is_eval("['x', 'y'][1]", "\"y\"");
	is_eval("(payload.repository).full_name", "\"acme/site\"");
}

static void
test_access(void)
{
	is_eval("eventType", "\"push\"");
	is_eval("payload.ref", "\"refs/heads/main\"");
	is_eval("payload.repository.owner.login", "\"acme\"");
	is_eval("headers['x-github-event']", "\"push\"");
	is_eval("headers[\"content-type\"]", "\"application/json\"");
	is_eval("payload['repository']['full_name']", "\"acme/site\"");
	is_eval("payload.commits[0].id",
	    "\"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c\"");
	is_eval("payload.commits[1].added[0]", "\"docs/index.md\"");
	is_eval("payload.commits[-1].message", "\"Deploy docs [skip ci]\"");
	is_eval("payload.commits[-2].modified", "[\"README.md\"]");
	is_eval("payload.commits[1.0].added[0]", "\"docs/index.md\"");
	is_eval("payload.commits[len(payload.commits) - 1].id",
	    "\"5f2b1c3d4e5f60718293a4b5c6d7e8f901234567\"");
	is_eval("needs.build.outputs.version", "\"1.4.2\"");
	is_eval("needs['unit-tests'].status", "\"failure\"");
	is_eval("payload.repository.owner", "{\"login\":\"acme\"}");
	is_eval("payload[  'ref'  ]", "\"refs/heads/main\"");
	is_eval("payload\n  .repository\n  .full_name", "\"acme/site\"");

	/* Nil-safety: never an error. */
	is_eval("nosuchname", "nil");
	is_eval("payload.nope", "nil");
	is_eval("payload.nope.deeper.still", "nil");
	is_eval("payload.nope[0].x['y']", "nil");
	is_eval("payload.ref.length", "nil");
	is_eval("payload.ref[0]", "nil");
	is_eval("payload.repository.id.x", "nil");
	is_eval("payload.commits[2]", "nil");
	is_eval("payload.commits[-3]", "nil");
	is_eval("payload.commits[99].id", "nil");
	is_eval("payload.commits['0']", "nil");
	is_eval("payload.commits[0.5]", "nil");
	is_eval("payload.repository[0]", "nil");
	is_eval("payload[nil]", "nil");
	is_eval("payload[true]", "nil");
	is_eval("payload.base_ref", "nil");
	is_eval("payload.base_ref.x", "nil");
	is_eval("nil.x", "nil");
	is_eval("nil[0]", "nil");
	is_eval("payload.ref == nil", "false");
	is_eval("payload.nope == nil", "true");
	is_eval("payload.base_ref == nil", "true");
	/* Keywords are fine as member names. */
	is_eval("payload.in", "nil");
	is_eval("payload.contains.not", "nil");
}

static void
test_precedence(void)
{
	is_eval("1 + 2 * 3", "7");
	is_eval("(1 + 2) * 3", "9");
	is_eval("10 - 4 - 3", "3");
	is_eval("2 * 3 % 4", "2");
	is_eval("-2 * 3", "-6");
	is_eval("- (2 + 3)", "-5");
	is_eval("--2", "2");
	/* && binds tighter than ||. */
	is_true("true || false && false");
	is_false("(true || false) && false");
	is_true("false && false || true");
	is_true("payload.forced or payload.created and false");
	/* ! binds tighter than ==. */
	is_true("!payload.created == true");
	is_false("!(payload.created == false)");
	is_true("not payload.created == true");
	is_true("!!payload.forced");
	is_false("not not not payload.forced");
	/* Comparisons bind tighter than && and looser than +. */
	is_true("1 + 1 == 2 && 2 * 2 == 4");
	is_true("payload.repository.stargazers_count + 8 > 49");
	is_true("'refs/heads/' + 'main' == payload.ref");
	is_true("payload.ref == 'refs/heads/main' && "
	    "headers['x-github-event'] == 'push' && "
	    "payload.repository.full_name in ['acme/site', 'acme/docs']");
}

static void
test_equality(void)
{
	is_true("1 == 1.0");
	is_true("payload.repository.stargazers_count == 42.0");
	is_true("0.5 == payload.half");
	is_false("1 == '1'");
	is_false("'42' == payload.repository.stargazers_count");
	is_false("true == 1");
	is_false("false == 0");
	is_false("nil == false");
	is_false("nil == ''");
	is_false("nil == 0");
	is_true("nil == nil");
	is_true("nil == null");
	is_true("payload.nope == payload.base_ref");
	is_true("payload.ref != 'refs/heads/dev'");
	is_false("payload.ref != 'refs/heads/main'");
	is_true("payload.commits[0].modified == ['README.md']");
	is_false("payload.commits[0].modified == ['README.md', 'x']");
	is_true("payload.repository.owner == payload.repository.owner");
	is_false("payload.repository.owner == payload.pusher");
	is_true("[1, 2.0, 'x'] == [1.0, 2, 'x']");
	is_false("[1, 2] == [2, 1]");
	is_true("payload.big == 9223372036854775807");
	is_false("payload.big == 9223372036854775806");
	is_true("9007199254740993 != 9007199254740992.0");
	is_true("'caf\xc3\xa9' == \"caf\xc3\xa9\"");
}

static void
test_ordering(void)
{
	is_true("1 < 2");
	is_false("2 < 1");
	is_false("2 < 2");
	is_true("2 <= 2");
	is_true("3 > 2.5");
	is_true("3 >= 3.0");
	is_false("3 >= 3.5");
	is_true("-1 < 0");
	is_true("payload.repository.stargazers_count >= 42");
	is_false("payload.repository.stargazers_count > 42");
	is_true("'abc' < 'abd'");
	is_true("'ab' < 'abc'");
	is_false("'b' < 'abc'");
	is_true("'B' < 'a'");
	is_true("'v1.10' >= 'v1.1'");
	/* Mixed or non-ordered types are never ordered. */
	is_false("'10' > 9");
	is_false("10 > '9'");
	is_false("nil < 1");
	is_false("nil >= nil");
	is_false("true > false");
	is_false("[2] > [1]");
	is_false("payload.nope <= 0");
}

static void
test_in(void)
{
	is_true("'push' in ['push', 'pull_request']");
	is_false("'issues' in ['push', 'pull_request']");
	is_true("'issues' not in ['push', 'pull_request']");
	is_false("'push' not in ['push', 'pull_request']");
	is_true("1 in [1.0, 2]");
	is_false("'1' in [1, 2]");
	is_true("nil in [1, nil]");
	is_false("nil in [1, 2]");
	is_true("'web' in payload.repository.topics");
	is_false("'blog' in payload.repository.topics");
	is_true("['a'] in [['a'], ['b']]");
	/* Keys of objects. */
	is_true("'x-github-event' in headers");
	is_false("'x-gitlab-event' in headers");
	is_true("'x-gitlab-event' not in headers");
	is_true("'build' in needs");
	is_false("1 in needs");
	/* Substrings of strings. */
	is_true("'heads' in payload.ref");
	is_false("'tags' in payload.ref");
	is_true("'' in payload.ref");
	is_true("'tags' not in payload.ref");
	is_false("1 in '123'");
	/* Anything else holds nothing. */
	is_false("'a' in nil");
	is_false("'a' in payload.nope");
	is_true("'a' not in payload.nope");
	is_false("1 in 1");
	is_true("payload.ref in ['refs/heads/main', 'refs/heads/dev'] && "
	    "payload.sender.login not in ['dependabot[bot]']");
	is_true("payload.ref not\n  in ['refs/heads/dev']");
}

static void
test_string_ops(void)
{
	/* contains, infix and call form. */
	is_true("payload.commits[1].message contains '[skip ci]'");
	is_false("payload.commits[0].message contains '[skip ci]'");
	is_true("contains(payload.commits[1].message, '[skip ci]')");
	is_false("contains(payload.commits[0].message, '[skip ci]')");
	is_true("payload.repository.topics contains 'web'");
	is_false("payload.repository.topics contains 'we'");
	is_true("contains(payload.commits[1].added, 'docs/index.md')");
	is_false("headers contains 'x-github-event'");
	is_false("payload.nope contains 'a'");
	is_false("'abc' contains nil");
	is_false("42 contains 4");
	is_true("'abc' contains ''");
	is_true("not (payload.commits[0].message contains 'skip ci')");

	/* startsWith, endsWith. */
	is_true("payload.ref startsWith 'refs/heads/'");
	is_false("payload.ref startsWith 'refs/tags/'");
	is_true("startsWith(payload.ref, 'refs/')");
	is_false("startsWith('ab', 'abc')");
	is_true("payload.ref endsWith '/main'");
	is_false("payload.ref endsWith '/dev'");
	is_true("endsWith(headers['content-type'], 'json')");
	is_false("endsWith('a', 'ba')");
	is_true("'abc' startsWith ''");
	is_false("payload.nope startsWith ''");
	is_false("payload.repository.topics startsWith 'web'");
	is_false("42 endsWith 2");

	/* matches: POSIX ERE, unanchored unless anchored. */
	is_true("payload.ref matches '^refs/heads/(main|master)$'");
	is_false("payload.ref matches '^refs/heads/(dev|master)$'");
	is_true("payload.ref matches 'heads'");
	is_false("payload.ref matches '^heads'");
	is_false("payload.ref matches 'main/$'");
	is_true("'v1.2.3' matches '^v[0-9]+\\\\.[0-9]+\\\\.[0-9]+$'");
	is_false("'v1x2.3' matches '^v[0-9]+\\\\.[0-9]+\\\\.[0-9]+$'");
	is_true("payload.before matches '^[[:xdigit:]]{40}$'");
	is_false("payload.ref matches '^[[:xdigit:]]{40}$'");
	is_true("payload.sender.login matches '^[a-z]+$'");
	is_false("payload.sender.login matches '^[A-Z]+$'");
	is_true("'refs/tags/v12' matches payload.pattern");
	is_false("payload.ref matches payload.pattern");
	is_true("'ab' matches 'a' + 'b'");
	is_false("payload.nope matches '.*'");
	is_false("42 matches '4'");
	is_false("'a' matches payload.nope");
	is_true("'' matches '^$'");
	is_true("'a' matches ''");

	/* Functions. */
	is_eval("len(payload.ref)", "15");
	is_eval("len('caf\xc3\xa9')", "5");
	is_eval("len(payload.commits)", "2");
	is_eval("len(payload.repository.owner)", "1");
	is_eval("len(payload.nope)", "0");
	is_eval("len(nil)", "0");
	is_eval("len('')", "0");
	is_eval("len([])", "0");
	is_eval("len(42)", "nil");
	is_eval("lower('GitHub-Hookshot')", "\"github-hookshot\"");
	is_eval("upper(payload.sender.login)", "\"OCTOCAT\"");
	is_eval("upper('caf\xc3\xa9')", "\"CAF\xc3\xa9\"");
	is_eval("lower(42)", "nil");
	is_eval("upper(nil)", "nil");
	is_true("lower(headers['user-agent']) startsWith 'github-hookshot/'");
	is_true("len(payload.commits) > 1 && len(payload.commits[0].added) == 0");
	is_eval("len ( payload.commits )", "2");
}

static void
test_arithmetic(void)
{
	is_eval("1 + 2", "3");
	is_eval("1 + 2.5", "3.5");
	is_eval("'a' + 'b'", "\"ab\"");
	is_eval("payload.ref + '@' + payload.before",
	    "\"refs/heads/main@6113728f27ae82c7b1a177c8d03f9e96e0adf246\"");
	is_eval("'a' + 1", "nil");
	is_eval("1 + nil", "nil");
	is_eval("[1] + [2]", "nil");
	is_eval("true + 1", "nil");
	is_eval("5 - 7", "-2");
	is_eval("'ab' - 'b'", "nil");
	is_eval("6 * 7", "42");
	is_eval("0.5 * 3", "1.5");
	is_eval("'ab' * 2", "nil");
	is_eval("6 / 3", "2");
	is_eval("7 / 2", "3.5");
	is_eval("1 / 0", "nil");
	is_eval("1.5 / 0", "nil");
	is_eval("1 / payload.zero", "nil");
	is_eval("7 % 3", "1");
	is_eval("-7 % 3", "-1");
	is_eval("7 % 0", "nil");
	is_eval("7.5 % 2", "nil");
	is_eval("8.0 % 3", "2");
	is_eval("'7' % 3", "nil");
	is_eval("-payload.repository.stargazers_count", "-42");
	is_eval("-'a'", "nil");
	is_eval("-nil", "nil");
	/* Overflow moves to floating point rather than wrapping. */
	is_true("payload.big + 1 > payload.big");
	is_true("payload.big * 2 > 0");
	is_true("-payload.big - 2 < 0");
	is_true("payload.big + 1 != payload.big");
	is_true("payload.big < 9223372036854775808.0");
	is_true("payload.big + 1 == 9223372036854775808.0");
	is_true("1 < 1.5 && 2 > 1.5 && 1 <= 1.0 && -1 > -1.5");
	is_eval("1e308 * 10", "nil");
}

static void
test_logic(void)
{
	/* Truthiness. */
	is_false("!true");
	is_true("!false");
	is_true("!nil");
	is_true("!0");
	is_true("!0.0");
	is_false("!1");
	is_false("!-1");
	is_true("!''");
	is_false("!'x'");
	is_false("!'false'");
	is_true("![]");
	is_false("![0]");
	is_false("!payload.repository.owner");
	is_true("!payload.repository.description");
	is_true("!payload.nope");

	/* && and || yield booleans. */
	is_eval("'a' && 'b'", "true");
	is_eval("'a' || 'b'", "true");
	is_eval("nil || 0", "false");
	is_eval("1 and 0", "false");
	is_eval("0 or []", "false");
	is_eval("payload.forced && payload.ref", "true");
	is_eval("false or 'x'", "true");

	/* Short-circuit: the bad dynamic pattern is never compiled. */
	is_false("false && 'x' matches payload.badpattern");
	is_true("true || 'x' matches payload.badpattern");
	is_true("payload.nope == nil || payload.nope.x == 'y'");

	ok(!expr_truthy(NULL), "truthy(nil)");
	{
		struct json_object *o = json_object_new_object();

		ok(expr_truthy(o), "an empty object is true");
		json_object_put(o);
		o = json_object_new_double(0.0);
		ok(!expr_truthy(o), "0.0 is false");
		json_object_put(o);
		o = json_object_new_string("0");
		ok(expr_truthy(o), "'0' is true");
		json_object_put(o);
	}
}

static void
test_eval_errors(void)
{
	struct expr		*e;
	struct json_object	*v;
	char			*err;

	e = compile("payload.ref matches payload.badpattern");
	v = (struct json_object *)1;
	err = NULL;
	is_int(expr_eval(e, env, &v, &err), -1, "bad dynamic pattern fails");
	ok(v == NULL, "no result on failure");
	ok(err != NULL && strncmp(err, "1:13: invalid regular expression "
	    "\"refs/(heads\": ", 48) == 0, "error names pattern: %s",
	    err ? err : "(none)");
	free(err);
	is_int(expr_eval(e, env, &v, NULL), -1, "errp may be NULL");
	expr_free(e);

	/*
	 * Found by t/fuzz/fuzz-expr: stacked repetitions made regcomp()
	 * take gigabytes. A payload may carry such a pattern.
	 */
	e = compile("payload.ref matches payload.hugepattern");
	err = NULL;
	is_int(expr_eval(e, env, &v, &err), -1, "a huge dynamic pattern "
	    "fails");
	ok(err != NULL && strstr(err, "would need too much memory") != NULL,
	    "and says why: %s", err ? err : "(none)");
	free(err);
	expr_free(e);
	/* And one that made regcomp() run for seconds, in a few bytes. */
	e = compile("payload.ref matches payload.slowpattern");
	err = NULL;
	is_int(expr_eval(e, env, &v, &err), -1, "a slow dynamic pattern "
	    "fails");
	ok(err != NULL && strstr(err, "repetition operators in a row") !=
	    NULL, "and says why: %s", err ? err : "(none)");
	free(err);
	expr_free(e);

	/* Inside an array literal and a function argument too. */
	e = compile("len(['a' matches payload.badpattern])");
	err = NULL;
	is_int(expr_eval(e, env, &v, &err), -1, "nested error propagates");
	free(err);
	expr_free(e);

	e = compile("payload.ref");
	err = (char *)1;
	is_int(expr_eval(e, env, &v, &err), 0, "success");
	ok(err == NULL, "errp cleared on success");
	json_object_put(v);
	/* A NULL environment: every name is nil. */
	is_int(expr_eval(e, NULL, &v, NULL), 0, "NULL env");
	ok(v == NULL, "NULL env gives nil");
	is_str(expr_text(e), "payload.ref", "expr_text");
	expr_free(e);
	expr_free(NULL);
}

static void
test_compile_errors(void)
{
	struct expr	*ok_re;
	char		 deep[512], *err = NULL;
	int		 i;

	is_error("payload.ref == 'refs/heads/main",
	    "1:16: unterminated string");
	is_error("payload.ref == \"refs/heads/main\\\"",
	    "1:16: unterminated string");
	is_error("'abc\ndef'", "1:1: unterminated string");
	is_error("payload.ref ==",
	    "1:15: expected a value after '==', found end of expression");
	is_error("payload.ref == && true",
	    "1:16: expected a value after '==', found '&&'");
	is_error("1 +", "1:4: expected a value after '+', found end of "
	    "expression");
	is_error("!", "1:2: expected a value after '!', found end of "
	    "expression");
	is_error(")", "1:1: expected a value, found ')'");
	is_error("", "1:1: empty expression");
	is_error("  \n ", "2:2: empty expression");
	is_error_prefix("payload.ref matches '^refs/(heads'",
	    "1:21: invalid regular expression: ");
	is_error_prefix("payload.ref matches\n  'a{2,1}'",
	    "2:3: invalid regular expression: ");
	/* Found by t/fuzz/fuzz-expr (see test_eval_errors). */
	is_error("payload.ref matches 'fix s+++++++++++++++++++++++++++++'",
	    "1:21: invalid regular expression: two repetition operators in "
	    "a row (group the first: \"(a?)+\")");
	is_error("body matches '(x++'", "1:14: invalid regular expression: "
	    "two repetition operators in a row (group the first: \"(a?)+\")");
	is_error("body matches 'x{2}{3}'", "1:14: invalid regular "
	    "expression: two repetition operators in a row (group the first: "
	    "\"(a?)+\")");
	is_error("body matches '((((((((x{9}){9}){9}){9}){9}){9}){9}){9})'",
	    "1:14: invalid regular expression: its repetitions would need too "
	    "much memory");
	is_error("body matches '((((((((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)"
	    "+)+)+)+)+)+)+)+'", "1:14: invalid regular expression: its "
	    "repetitions would need too much memory");
	is_error("body matches 'a{5000}'", "1:14: invalid regular expression: "
	    "its repetitions would need too much memory");
	ok_re = expr_compile("body matches '^[a-z]{1,64}(-[0-9]{1,9}){0,9}$' "
	    "&& body matches '([[:alpha:]]{16}){16}' && "
	    "body matches 'a[+]+b[?]?[+?]*' && "
	    "body matches 'x{,8}[]{}+]{3}' && body matches '(a|b)+$'", &err);
	ok(ok_re != NULL, "patterns that repeat within reason compile: %s",
	    err ? err : "yes");
	free(err);
	expr_free(ok_re);
	is_error("lenn(payload.commits) > 0",
	    "1:1: unknown function 'lenn'");
	is_error("payload.ref == foo('x')", "1:16: unknown function 'foo'");
	is_error("len(payload.commits, 1)",
	    "1:1: len() takes 1 argument, got 2");
	is_error("lower()", "1:1: lower() takes 1 argument, got 0");
	is_error("startsWith(payload.ref)",
	    "1:1: startsWith() takes 2 arguments, got 1");
	is_error("len(payload.commits",
	    "1:20: expected ')' after argument list, found end of "
	    "expression");
	is_error("len(payload.commits 1)",
	    "1:21: expected ')' after argument list, found number 1");
	is_error("payload.ref == 'x' )",
	    "1:20: unexpected ')' after the expression");
	is_error("payload.ref 'x'",
	    "1:13: unexpected string 'x' after the expression");
	is_error("true false", "1:6: unexpected 'false' after the expression");
	is_error("payload.ref == 'refs/heads/main' &&\n"
	    "  payload.sender.login = 'octocat'",
	    "2:24: '=' is not an operator; use '==' to compare");
	is_error("payload.ref == 'refs/heads/main'\n"
	    "  && (payload.forced\n"
	    "  || payload.created",
	    "3:21: expected ')' to close the '(' at 2:6, found end of "
	    "expression");
	is_error("payload # comment", "1:9: unexpected character '#'");
	is_error("a & b", "1:3: unexpected character '&'; use '&&' or 'and'");
	is_error("a | b", "1:3: unexpected character '|'; use '||' or 'or'");
	is_error("a } b", "1:3: unexpected character '}'");
	is_error("a }} b", "1:3: unexpected '}}' after the expression");
	/* Columns count characters: the UTF-8 'é' is one. */
	is_error("'caf\xc3\xa9' == x #", "1:13: unexpected character '#'");
	is_error("a \xe2\x89\xa0 b", "1:3: unexpected character '\xe2\x89\xa0'");
	is_error("a \xff b", "1:3: unexpected byte 0xff");
	is_error("'a\\qb'", "1:3: unknown escape '\\q' in string");
	is_error("payload.0", "1:9: expected a member name after '.', "
	    "found number 0 (use [N] for an index)");
	is_error("payload.commits[0", "1:18: expected ']' after index, "
	    "found end of expression");
	is_error("['a', 'b'", "1:10: expected ',' or ']' in the array opened "
	    "at 1:1, found end of expression");
	is_error("['a' 'b']", "1:6: expected ',' or ']' in the array opened "
	    "at 1:1, found string 'b'");
	is_error("1 == 1 == 1", "1:8: comparisons do not chain: '==' after a "
	    "comparison needs parentheses or '&&'");
	is_error("'a' in ['a'] in [true]", "1:14: comparisons do not chain: "
	    "'in' after a comparison needs parentheses or '&&'");
	is_error("a not b", "1:3: expected 'in' after 'not'");
	is_error("a and or b", "1:7: expected a value after 'and', found "
	    "'or'");
	is_error("contains", "1:1: expected a value, found 'contains'");
	is_error("12abc", "1:1: invalid number literal");
	is_error("1.2.3", "1:1: invalid number literal");
	is_error("99999999999999999999", "1:1: integer literal out of range");
	is_error("1e999", "1:1: number literal out of range");
	is_error("payload.ref(1)", "1:12: unexpected '(': only len, lower, "
	    "upper, contains, startsWith and endsWith can be called");
	/* A bad token where a specific one is expected (found by fuzzing). */
	is_error("payload.\xff", "1:9: unexpected byte 0xff");
	is_error("payload.#", "1:9: unexpected character '#'");
	is_error("len(x #", "1:7: unexpected character '#'");
	is_error("payload.commits[0 = 1]",
	    "1:19: '=' is not an operator; use '==' to compare");
	is_error("a.'b'", "1:3: expected a member name after '.', found "
	    "string 'b' (use [N] for an index)");

	/* Hostile nesting is refused, not a stack overflow. */
	for (i = 0; i < 200; i++)
		deep[i] = '(';
	deep[200] = '\0';
	is_error(deep, "1:101: expression nested too deeply (more than 100 "
	    "levels)");
	memset(deep, '!', 300);
	deep[300] = '\0';
	is_error_prefix(deep, "1:100: expression nested too deeply");
	memset(deep, '[', 300);
	is_error_prefix(deep, "1:101: expression nested too deeply");
	memset(deep, '-', 300);
	is_error_prefix(deep, "1:100: expression nested too deeply");
	{
		struct buf	 b = BUF_INIT;
		struct expr	*e;

		/* A long flat chain is fine up to the height limit... */
		buf_addstr(&b, "x");
		for (i = 0; i < 400; i++)
			buf_addstr(&b, " || x");
		e = compile(buf_str(&b));
		ok(e != NULL, "400 alternatives compile");
		expr_free(e);
		/* ...and refused beyond it. */
		for (i = 0; i < 200; i++)
			buf_addstr(&b, " || x");
		is_error_prefix(buf_str(&b), "1:2498: expression too complex");
		buf_reset(&b);
		buf_addstr(&b, "payload");
		for (i = 0; i < 600; i++)
			buf_addstr(&b, ".a");
		is_error_prefix(buf_str(&b), "1:");
		buf_release(&b);
	}
}

static void
is_template(const char *text, const char *want)
{
	struct template	*t;
	struct buf	 out = BUF_INIT;
	char		*err = NULL;

	if ((t = template_compile(text, &err)) == NULL) {
		ok(0, "template compiles: %s: %s", nl(text), nl(err));
		free(err);
		return;
	}
	if (template_render(t, env, &out, &err) == -1) {
		ok(0, "template renders: %s: %s", nl(text), nl(err));
		free(err);
	} else
		is_str(buf_str(&out), want, "template %s", nl(text));
	buf_release(&out);
	template_free(t);
}

static void
is_template_error(const char *text, const char *want)
{
	struct template	*t;
	char		*err = NULL;

	t = template_compile(text, &err);
	ok(t == NULL, "template does not compile: %s", nl(text));
	is_str(err, want, "template error for: %s", nl(text));
	free(err);
	template_free(t);
}

static void
test_templates(void)
{
	struct template	*t;
	struct buf	 out = BUF_INIT;
	char		*err;

	is_template("deploy ${{ payload.ref }} of ${{ payload.repository."
	    "full_name }} for ${{payload.pusher.name}}",
	    "deploy refs/heads/main of acme/site for octocat");
	is_template("${{ payload.ref }}", "refs/heads/main");
	is_template("no expressions here", "no expressions here");
	is_template("", "");
	is_template("[${{ payload.nope }}]", "[]");
	is_template("[${{ nil }}]", "[]");
	is_template("${{ payload.repository.owner }}", "{\"login\":\"acme\"}");
	is_template("${{ payload.commits[1].added }}", "[\"docs/index.md\"]");
	is_template("${{ payload.repository.stargazers_count + 1 }}", "43");
	is_template("${{ payload.repository.size }}", "3.5");
	is_template("${{ payload.forced }}/${{ payload.created }}",
	    "true/false");
	is_template("${{ payload.commits[0].message }}",
	    "Update README.md\n\nFix typo");
	is_template("${{ 'a/b' }}", "a/b");
	is_template("${{ '}}' }}", "}}");
	is_template("${{ \"${{\" }}", "${{");
	is_template("${{ '' }}x", "x");
	is_template("cost: $5 {{ not an expression }} ${ x }",
	    "cost: $5 {{ not an expression }} ${ x }");
	is_template("group-${{ source }}-${{ lower(eventType) }}-"
	    "${{ needs['unit-tests'].status }}",
	    "group-github-main-push-failure");
	is_template("${{\n  payload.ref\n}}", "refs/heads/main");
	is_template("caf\xc3\xa9 ${{ upper('x') }}", "caf\xc3\xa9 X");

	t = template_compile("plain", NULL);
	ok(t != NULL && !template_has_expr(t), "plain has no expression");
	template_free(t);
	t = template_compile("a${{ 1 }}", NULL);
	ok(t != NULL && template_has_expr(t), "a${{ 1 }} has one");
	template_free(t);

	is_template_error("ref ${{ payload.ref",
	    "1:5: unterminated '${{': no '}}' after the expression");
	is_template_error("ref ${{ payload.ref }",
	    "1:21: unexpected character '}'");
	is_template_error("${{ }}", "1:5: empty expression");
	is_template_error("${{}}", "1:4: empty expression");
	is_template_error("${{ payload ref }}",
	    "1:13: expected '}}', found 'ref'");
	is_template_error("line one\nx ${{ payload. }}",
	    "2:16: expected a member name after '.', found '}}' "
	    "(use [N] for an index)");
	is_template_error("${{ 'a' }} ${{ 'b }}", "1:16: unterminated string");
	is_template_error("ok ${{ 1 }}\n${{ a ==\n }}",
	    "3:2: expected a value after '==', found '}}'");
	is_template_error("${{ lenn(x) }}", "1:5: unknown function 'lenn'");
	is_template_error("${{ 'x' matches '(' }}",
	    "1:17: invalid regular expression: "
	    "Unmatched ( or \\(");

	/* An evaluation error surfaces from the render. */
	t = template_compile("x ${{ payload.ref matches payload.badpattern }}",
	    NULL);
	err = NULL;
	ok(t != NULL && template_render(t, env, &out, &err) == -1 &&
	    err != NULL, "template render error: %s", err ? err : "(none)");
	free(err);
	template_free(t);
	buf_release(&out);
}

static void
is_explain(const char *text, struct json_object *e_env, const char *want)
{
	struct expr	*e;
	struct buf	 out = BUF_INIT;

	if ((e = compile(text)) == NULL) {
		ok(0, "compiles: %s", nl(text));
		return;
	}
	expr_explain(e, e_env, &out);
	is_str(buf_str(&out), want, "explain %s", nl(text));
	buf_release(&out);
	expr_free(e);
}

static void
test_explain(void)
{
	struct json_object	*dev;
	struct buf		 b = BUF_INIT;
	int			 i;

	is_explain("payload.ref == 'refs/heads/main'", env,
	    "payload.ref = `refs/heads/main`");
	is_explain("payload.ref == 'refs/heads/main' && "
	    "payload.sender.login != 'dependabot[bot]' || "
	    "headers['x-github-event'] == 'push'", env,
	    "payload.ref = `refs/heads/main`, payload.sender.login = "
	    "`octocat`, headers['x-github-event'] = `push`");
	is_explain("payload.ref == 'a' || payload.ref == 'b' || "
	    "payload['ref'] == 'c'", env, "payload.ref = `refs/heads/main`");
	is_explain("payload.commits[0].id startsWith '0d1a'", env,
	    "payload.commits[0].id = "
	    "`0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c`");
	is_explain("payload.commits[-1].added[0] == 'x'", env,
	    "payload.commits[-1].added[0] = `docs/index.md`");
	is_explain("len(payload.commits[0].added) > 0", env,
	    "payload.commits[0].added = `[]`");
	is_explain("payload.repository.stargazers_count > 100 && "
	    "!payload.forced", env,
	    "payload.repository.stargazers_count = `42`, payload.forced = "
	    "`true`");
	is_explain("payload.repository.owner.login == 'x'", env,
	    "payload.repository.owner.login = `acme`");
	is_explain("payload.repository.owner == nil", env,
	    "payload.repository.owner = `{\"login\":\"acme\"}`");
	is_explain("payload.base_ref == 'x' || payload.nope.deeper", env,
	    "payload.base_ref = nil, payload.nope.deeper = nil");
	is_explain("payload.repository.description == 'x'", env,
	    "payload.repository.description = ``");
	is_explain("needs['unit-tests'].status == 'success'", env,
	    "needs['unit-tests'].status = `failure`");
	is_explain("headers['it\\'s'] == 'x'", env, "headers['it\\'s'] = nil");
	/* Control characters are escaped to keep the trace on one line. */
	is_explain("payload.commits[0].message contains 'skip'", env,
	    "payload.commits[0].message = `Update README.md\\n\\nFix typo`");
	/* A computed key: only the parts that are static chains. */
	is_explain("payload.commits[payload.idx].id == 'x'", env,
	    "payload.idx = nil");
	is_explain("headers[lower('X-GitHub-Event')] == 'push'", env, "");
	is_explain("'a' == 'b'", env, "");
	is_explain("eventType in ['push'] && len(payload.ref) > 3", env,
	    "eventType = `push`, payload.ref = `refs/heads/main`");

	/* Against another event. */
	dev = json_tokener_parse("{\"payload\": {\"ref\": \"refs/heads/dev\", "
	    "\"sender\": {}}}");
	is_explain("payload.ref == 'refs/heads/main' && "
	    "payload.sender.login == 'octocat'", dev,
	    "payload.ref = `refs/heads/dev`, payload.sender.login = nil");
	is_explain("payload.ref == 'x'", NULL, "payload.ref = nil");
	json_object_put(dev);

	/* Long values are cut short. */
	buf_addstr(&b, "{\"body\": \"");
	for (i = 0; i < 300; i++)
		buf_addch(&b, 'a' + i % 26);
	buf_addstr(&b, "\"}");
	dev = json_tokener_parse(buf_str(&b));
	buf_reset(&b);
	{
		struct expr *e = compile("body contains 'x'");

		expr_explain(e, dev, &b);
		ok(strncmp(buf_str(&b), "body = `abcdef", 14) == 0 &&
		    b.len < 150 && strcmp(b.data + b.len - 4, "...`") == 0,
		    "long value cut: %s", nl(buf_str(&b)));
		expr_free(e);
	}
	json_object_put(dev);
	buf_release(&b);
}

static void
test_render(void)
{
	struct buf		 b = BUF_INIT;
	struct json_object	*o;

	expr_render(&b, NULL);
	is_str(buf_str(&b), "", "render nil");
	o = json_object_new_string("a/b \"c\"");
	expr_render(&b, o);
	is_str(buf_str(&b), "a/b \"c\"", "render string as itself");
	json_object_put(o);
	buf_reset(&b);
	o = json_tokener_parse("{\"url\": \"https://x/y\", \"n\": [1, 2.5]}");
	expr_render(&b, o);
	is_str(buf_str(&b), "{\"url\":\"https://x/y\",\"n\":[1,2.5]}",
	    "render object compactly, slashes unescaped");
	json_object_put(o);
	buf_reset(&b);
	o = json_object_new_boolean(0);
	expr_render(&b, o);
	is_str(buf_str(&b), "false", "render boolean");
	json_object_put(o);
	buf_release(&b);

	/* expr_equal directly. */
	{
		struct json_object *a = json_object_new_int64(3);
		struct json_object *d = json_object_new_double(3.0);
		struct json_object *s = json_object_new_string("3");

		ok(expr_equal(a, d), "3 == 3.0");
		ok(!expr_equal(a, s), "3 != '3'");
		ok(expr_equal(NULL, NULL), "nil == nil");
		ok(!expr_equal(NULL, s), "nil != '3'");
		json_object_put(a);
		json_object_put(d);
		json_object_put(s);
	}
}

int
main(void)
{
	env = json_tokener_parse(env_json);
	if (!ok(env != NULL, "test environment parses"))
		return tap_done();
	test_literals();
	test_access();
	test_precedence();
	test_equality();
	test_ordering();
	test_in();
	test_string_ops();
	test_arithmetic();
	test_logic();
	test_eval_errors();
	test_compile_errors();
	test_templates();
	test_explain();
	test_render();
	json_object_put(env);
	return tap_done();
}
