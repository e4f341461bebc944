/*
 * The JSONPath subset that pipeline `match` fields use:
 *
 *	$			the root
 *	.name			a member ([A-Za-z0-9_-] and non-ASCII bytes)
 *	['name'] ["name"]	a member with any characters (\\ \' \" escapes)
 *	[N] [-N]		an array element, negative counting from the end
 *	[*] .*			every element of an array or member of an object
 *
 * Filters, slices, unions and recursive descent are rejected at compile
 * time rather than silently matching nothing.
 */
#ifndef HOOKDIR_JSONPATH_H
#define HOOKDIR_JSONPATH_H

#include <stddef.h>

struct json_object;
struct buf;
struct jsonpath;

/*
 * Compile text. NULL on a syntax error, with *errp set to a malloc'd
 * "column N: message" (1-based); the caller frees it.
 */
struct jsonpath	*jsonpath_compile(const char *text, char **errp);
void		 jsonpath_free(struct jsonpath *);
/* The text the path was compiled from. */
const char	*jsonpath_text(const struct jsonpath *);

/*
 * Every value the path selects, in document order, into *out: a malloc'd
 * array of borrowed pointers (no reference taken; valid while root is),
 * which the caller frees (NULL when nothing is selected). Returns the
 * count. A selected JSON null counts, as a NULL pointer.
 */
size_t	jsonpath_select(const struct jsonpath *, struct json_object *root,
	    struct json_object ***out);

/*
 * Does any selected value equal want? want is a string, number, boolean
 * or null (a NULL pointer), or an array of them, any of which may match.
 * Numbers compare numerically (1 == 1.0); a string never equals a number
 * and an object or array never equals anything. If seen != NULL, a short
 * rendering of what was selected is appended to it for the trigger
 * trace: `"acme/site"`, `["a","b"]`, or `nothing`.
 */
int	jsonpath_match(const struct jsonpath *, struct json_object *root,
	    struct json_object *want, struct buf *seen);

#endif
