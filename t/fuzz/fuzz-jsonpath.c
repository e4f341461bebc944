/*
 * JSONPath: jsonpath_compile(), jsonpath_select() and jsonpath_match()
 * with its trace. An input is the path (up to its first NUL byte), then
 * the JSON document to select from; the values to match are a string, a
 * number, null and a list of them.
 */
#include "autoconf.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "fuzz.h"
#include "jsonpath.h"
#include "xmalloc.h"

#define DOC_JSON_DEPTH	64

static struct json_object	*wants[4];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	wants[0] = json_object_new_string("acme/site");
	wants[1] = json_object_new_int(1);
	wants[2] = NULL;
	wants[3] = json_tokener_parse("[\"main\", 2.5, true, null]");
	return 0;
}

static struct json_object *
doc_parse(const uint8_t *s, size_t len)
{
	struct json_tokener	*tok;
	struct json_object	*o;

	if (len == 0 || len > INT_MAX)
		return NULL;
	if ((tok = json_tokener_new_ex(DOC_JSON_DEPTH)) == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, (const char *)s, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*doc, **sel;
	struct jsonpath		*jp;
	struct buf		 seen = BUF_INIT;
	const uint8_t		*nul;
	char			*text, *err = NULL;
	size_t			 tlen, n, i;

	nul = memchr(data, '\0', size);
	tlen = nul != NULL ? (size_t)(nul - data) : size;
	text = xstrndup((const char *)data, tlen);
	if ((jp = jsonpath_compile(text, &err)) == NULL) {
		if (err == NULL)
			abort();
		free(err);
		free(text);
		return 0;
	}
	if (strcmp(jsonpath_text(jp), text) != 0)
		abort();
	doc = nul != NULL ? doc_parse(nul + 1, size - tlen - 1) : NULL;
	n = jsonpath_select(jp, doc, &sel);
	if ((n == 0) != (sel == NULL))
		abort();
	free(sel);
	for (i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		buf_reset(&seen);
		jsonpath_match(jp, doc, wants[i], &seen);
		if (seen.len == 0)
			abort();
	}
	buf_release(&seen);
	json_object_put(doc);
	jsonpath_free(jp);
	free(text);
	return 0;
}
