/*
 * Fixed events and pipelines from t/data (see fuzz-events.h).
 */
#include "autoconf.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "event.h"
#include "expr.h"
#include "fuzz.h"
#include "fuzz-events.h"
#include "jconf.h"
#include "log.h"
#include "pipeline.h"
#include "trigger.h"
#include "xmalloc.h"

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of a t/data directory ending in suffix, sorted (malloc'd). */
static char **
data_files(const char *rel, const char *suffix, size_t *n)
{
	struct dirent	*de;
	DIR		*d;
	char		*dir, **v = NULL;
	size_t		 len, slen = strlen(suffix);

	*n = 0;
	dir = fuzz_data_path(rel);
	if ((d = opendir(dir)) == NULL)
		fatal("%s", dir);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= slen || strcmp(de->d_name + len - slen, suffix) != 0)
			continue;
		v = xreallocarray(v, *n + 1, sizeof(*v));
		xasprintf(&v[(*n)++], "%s/%s", dir, de->d_name);
	}
	closedir(d);
	free(dir);
	qsort(v, *n, sizeof(*v), name_cmp);
	return v;
}

struct event **
fuzz_events(size_t *n)
{
	static struct event	**v;
	static size_t		  nv;
	const char		 *why;
	char			**files;
	size_t			  nf, i;

	if (v != NULL) {
		*n = nv;
		return v;
	}
	files = data_files("events", ".msg", &nf);
	v = xcalloc(nf + 1, sizeof(*v));
	for (i = 0; i < nf; i++) {
		v[nv] = xcalloc(1, sizeof(**v));
		if (event_load(v[nv], "fixed", files[i], &why) == -1)
			fatalx("%s: %s", files[i], why);
		nv++;
		free(files[i]);
	}
	free(files);
	*n = nv;
	return v;
}

struct pipeline **
fuzz_pipelines(size_t *n)
{
	static struct pipeline	**v;
	static size_t		  nv;
	struct diag		  d;
	char			**files;
	size_t			  nf, i;

	if (v != NULL) {
		*n = nv;
		return v;
	}
	files = data_files("pipelines/trigger", ".json", &nf);
	v = xcalloc(nf + 1, sizeof(*v));
	for (i = 0; i < nf; i++) {
		diag_init(&d);
		if ((v[nv] = pipeline_load_file(files[i], &d)) == NULL) {
			diag_print(&d);
			fatalx("%s does not load", files[i]);
		}
		diag_release(&d);
		nv++;
		free(files[i]);
	}
	free(files);
	*n = nv;
	return v;
}

void
fuzz_run_triggers(const struct pipeline *p, struct event *ev)
{
	struct json_object	*res;
	struct buf		 b = BUF_INIT;
	char			*err = NULL;
	size_t			 i;

	trigger_eval(p, ev, &b);
	for (i = 0; i < p->nenv; i++) {
		buf_reset(&b);
		if (template_render(p->env[i].value, event_env(ev), &b,
		    &err) == -1) {
			if (err == NULL)
				abort();
			free(err);
			err = NULL;
		}
	}
	for (i = 0; i < p->njobs; i++) {
		if (p->jobs[i].if_expr == NULL)
			continue;
		res = NULL;
		if (expr_eval(p->jobs[i].if_expr, event_env(ev), &res,
		    &err) == -1) {
			if (err == NULL)
				abort();
			free(err);
			err = NULL;
		}
		expr_truthy(res);
		json_object_put(res);
		buf_reset(&b);
		expr_explain(p->jobs[i].if_expr, event_env(ev), &b);
	}
	buf_release(&b);
}
