/*
 * JSON with comments, as hookdir.conf and pipeline files are written:
 * standard JSON plus comments and trailing commas, parsed into json-c
 * objects that remember where they stood in the file, so that every
 * error can name file, line and key.
 *
 * Also the diagnostics list that config and pipeline loaders fill:
 * `hookdir check` reports every entry, not just the first.
 */
#ifndef HOOKDIR_JCONF_H
#define HOOKDIR_JCONF_H

#include <stddef.h>

#include <json-c/json.h>

/*
 * Parse text; on error return NULL and set *errp to a malloc'd
 * "FILE:LINE:COL: message" (the caller frees it). Nesting deeper than
 * 64 levels is an error.
 */
struct json_object *jconf_parse(const char *text, size_t len,
	    const char *file, char **errp);
struct json_object *jconf_parse_file(const char *path, char **errp);

/* The line of a value parsed by jconf (0 if unknown, e.g. for null). */
int	jconf_line(struct json_object *);
/* The column of a value's first character (1-based; 0 if unknown). */
int	jconf_col(struct json_object *);
/* The line of member key in object obj (falls back to the object's line). */
int	jconf_key_line(struct json_object *obj, const char *key);

enum diag_level {
	DIAG_WARNING,
	DIAG_ERROR
};

struct diag_entry {
	enum diag_level	 level;
	char		*text;		/* "FILE:LINE: KEY: message" */
};

struct diag {
	struct diag_entry	*v;
	size_t			 n;
	size_t			 nerrors;
};

void	diag_init(struct diag *);
void	diag_release(struct diag *);
/* file may be NULL; line 0 is left out; key may be NULL. */
void	diag_add(struct diag *, enum diag_level, const char *file, int line,
	    const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
/* Print every entry to stderr ("warning: " / "error: " prefixed). */
void	diag_print(const struct diag *);

/*
 * Checks the config and pipeline loaders share. Each reports into d as
 * "FILE:LINE: PATH: message", where LINE is that of member key of parent
 * (of parent itself when key is NULL) and path names the key in full
 * ("sources.github.secret"), so that the message points at the value.
 */
void	jconf_report(struct diag *d, enum diag_level, const char *file,
	    struct json_object *parent, const char *key, const char *path,
	    const char *fmt, ...)
	    __attribute__((format(printf, 7, 8)));
/* "a string", "a list", "an object"...: a type as messages name it. */
const char *jconf_type_name(json_type);
/* 0 if v is of type t; otherwise -1 after reporting "must be T, not U". */
int	jconf_want_type(struct diag *d, const char *file,
	    struct json_object *parent, const char *key, const char *path,
	    struct json_object *v, json_type t);
/* v's string, malloc'd (the caller frees it); NULL after an error. */
char	*jconf_get_string(struct diag *d, const char *file,
	    struct json_object *parent, const char *key, const char *path,
	    struct json_object *v);
/* "5m", "300s", or a number of seconds, in ms; -1 after an error. */
long long jconf_get_duration(struct diag *d, const char *file,
	    struct json_object *parent, const char *key, const char *path,
	    struct json_object *v);

/* Called by jconf_each_string() for each string, with its arg. */
typedef void jconf_string_fn(void *arg, struct json_object *parent,
	    const char *key, const char *path, const char *s);
/* jconf_each_string() flags */
#define JCONF_STOP_AT_BAD	0x01	/* stop at the first non-string */

/*
 * A string, or a list of strings: calls fn for each string. Reports a
 * value of another shape, and each element that is not a string (only
 * the first with JCONF_STOP_AT_BAD, which also skips the rest); -1 if
 * anything was reported.
 */
int	jconf_each_string(struct diag *d, const char *file,
	    struct json_object *parent, const char *key, const char *path,
	    struct json_object *v, int flags, jconf_string_fn *fn, void *arg);

#endif
