/*
 * Expressions and templates: expr_compile(), expr_eval(), expr_explain()
 * and expr_render(), template_compile() and template_render().
 *
 * An input is the text (up to its first NUL byte), then, optionally, a
 * JSON document whose members are the top-level names. Without one, or
 * when it does not parse, the environment is that of a real GitHub push
 * event (t/data/events/github-push.msg), so that member chains have
 * something to walk. The first byte chooses: even, an expression; odd,
 * a template.
 */
#include "autoconf.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "event.h"
#include "expr.h"
#include "fuzz.h"
#include "fuzz-events.h"
#include "log.h"
#include "xmalloc.h"

#define ENV_JSON_DEPTH	64

static struct json_object	*push_env;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct event	**ev;
	size_t		  n, i;

	(void)argc;
	(void)argv;
	log_init("fuzz-expr", 0);
	ev = fuzz_events(&n);
	for (i = 0; i < n; i++)
		if (strstr(ev[i]->path, "/github-push.msg") != NULL)
			push_env = event_env(ev[i]);
	if (push_env == NULL)
		fatalx("t/data/events/github-push.msg is missing");
	return 0;
}

static struct json_object *
env_parse(const uint8_t *s, size_t len)
{
	struct json_tokener	*tok;
	struct json_object	*o;

	if (len == 0 || len > INT_MAX)
		return NULL;
	if ((tok = json_tokener_new_ex(ENV_JSON_DEPTH)) == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, (const char *)s, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*env, *own, *res = NULL;
	struct template		*t;
	struct expr		*e;
	struct buf		 b = BUF_INIT;
	const uint8_t		*nul;
	char			*text, *err = NULL;
	size_t			 tlen;
	int			 mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	nul = memchr(data, '\0', size);
	tlen = nul != NULL ? (size_t)(nul - data) : size;
	text = xstrndup((const char *)data, tlen);
	own = nul != NULL ? env_parse(nul + 1, size - tlen - 1) : NULL;
	env = own != NULL ? own : push_env;

	if ((mode & 1) == 0) {
		if ((e = expr_compile(text, &err)) == NULL) {
			if (err == NULL)
				abort();
			goto out;
		}
		if (strcmp(expr_text(e), text) != 0)
			abort();
		if (expr_eval(e, env, &res, &err) == 0) {
			expr_truthy(res);
			expr_render(&b, res);
			if (!expr_equal(res, res))
				abort();
			json_object_put(res);
		} else if (err == NULL)
			abort();
		expr_explain(e, env, &b);
		expr_free(e);
	} else {
		if ((t = template_compile(text, &err)) == NULL) {
			if (err == NULL)
				abort();
			goto out;
		}
		template_has_expr(t);
		if (template_render(t, env, &b, &err) == -1 && err == NULL)
			abort();
		template_free(t);
	}
out:
	free(err);
	free(text);
	buf_release(&b);
	json_object_put(own);
	return 0;
}
