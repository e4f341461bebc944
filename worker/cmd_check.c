/*
 * `hookdir check`: every error of the configuration and the pipelines
 * at once, like `nginx -t`; `hookdir test`: a dry run of one pipeline's
 * trigger against a saved request, with the trace that explains it.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "config.h"
#include "event.h"
#include "hookdir.h"
#include "jconf.h"
#include "log.h"
#include "pipeline.h"
#include "trigger.h"
#include "util.h"
#include "xmalloc.h"

/* Skip ":N" and ":N:M" after a file name; the end of the location. */
static const char *
skip_numbers(const char *p)
{
	const char	*q;
	int		 fields;

	for (fields = 0; fields < 2 && p[0] == ':'; fields++) {
		for (q = p + 1; *q >= '0' && *q <= '9'; q++)
			;
		if (q == p + 1)
			break;
		p = q;
	}
	return p;
}

/*
 * The length of the location that starts a diagnostic: one of the files
 * that were read, with its line (and column), or else any leading
 * "NAME:LINE" such as an included file's. 0 when there is none.
 */
static size_t
location_len(const char *s, const char *const *files, size_t nfiles)
{
	const char	*p, *sep;
	size_t		 i, n;

	for (i = 0; i < nfiles; i++) {
		if (files[i] == NULL)
			continue;
		n = strlen(files[i]);
		if (strncmp(s, files[i], n) == 0 && s[n] == ':') {
			p = skip_numbers(s + n);
			if (p[0] == ':' && p[1] == ' ')
				return (size_t)(p - s);
		}
	}
	if ((sep = strstr(s, ": ")) == NULL)
		return 0;
	for (p = sep; p > s && p[-1] != ':' && p[-1] != ' '; p--)
		;
	if (p == s || p[-1] != ':' || skip_numbers(p - 1) != sep)
		return 0;
	return (size_t)(sep - s);
}

/*
 * Print the diagnostics compiler-style, the location first so that
 * editors can jump to it: "FILE:LINE: error: KEY: message". Locations
 * under the current directory are shown relative to it.
 */
static void
check_print(const struct diag *d, const char *const *files, size_t nfiles)
{
	const char	*text, *level, *loc;
	char		 cwd[PATH_MAX];
	size_t		 i, n, cwdlen = 0;

	if (getcwd(cwd, sizeof(cwd)) != NULL && strcmp(cwd, "/") != 0)
		cwdlen = strlen(cwd);
	for (i = 0; i < d->n; i++) {
		text = d->v[i].text;
		level = d->v[i].level == DIAG_ERROR ? "error" : "warning";
		if ((n = location_len(text, files, nfiles)) == 0) {
			fprintf(stderr, "%s: %s\n", level, text);
			continue;
		}
		loc = text;
		if (cwdlen > 0 && n > cwdlen + 1 &&
		    strncmp(loc, cwd, cwdlen) == 0 && loc[cwdlen] == '/')
			loc += cwdlen + 1;
		fprintf(stderr, "%.*s: %s: %s\n", (int)(text + n - loc), loc,
		    level, text + n + 2);
	}
}

/* The files a check read, to recognize locations by. */
static const char **
check_files(const char *conf, const struct pipeline_set *set, size_t *n)
{
	const char	**v;
	size_t		  i;

	v = xcalloc(set->nfiles + 2, sizeof(*v));
	v[0] = conf;
	v[1] = set->dir;
	for (i = 0; i < set->nfiles; i++)
		v[i + 2] = set->files[i];
	*n = set->nfiles + 2;
	return v;
}

/*
 * When hookdir.conf has errors there is no config to ask where the
 * pipelines are; read its "pipelines" key directly so that their
 * errors are reported in the same run.
 */
static char *
fallback_pipelines_dir(const char *conf)
{
	struct json_object	*root, *v;
	const char		*rel = "pipelines";
	char			*err = NULL, *dir, *r;

	if ((root = jconf_parse_file(conf, &err)) == NULL) {
		free(err);
		return NULL;
	}
	if (json_object_object_get_ex(root, "pipelines", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    *json_object_get_string(v) != '\0')
		rel = json_object_get_string(v);
	/* absolute, as config_load makes its paths */
	if (rel[0] == '/')
		r = xstrdup(rel);
	else {
		if ((dir = path_absolute(conf)) == NULL)
			dir = xstrdup(".");
		else
			*strrchr(dir, '/') = '\0';
		xasprintf(&r, "%s/%s", dir, rel);
		free(dir);
	}
	json_object_put(root);
	return r;
}

/* What only the config can tell: sources that exist, secrets that are safe. */
static void
check_pipeline_refs(const struct config *cf, const struct pipeline *p,
    struct diag *d)
{
	struct stat	 st;
	char		*path;
	size_t		 i;

	for (i = 0; i < p->on.nsources; i++)
		if (config_source(cf, p->on.sources[i]) == NULL)
			diag_add(d, DIAG_ERROR, p->file, p->on.source_line,
			    "on.source", "no source '%s' in %s",
			    p->on.sources[i], cf->path);
	for (i = 0; i < p->nsecrets; i++) {
		xasprintf(&path, "%s/%s", cf->secrets, p->secrets[i]);
		if (stat(path, &st) == -1)
			diag_add(d, DIAG_ERROR, p->file, p->secrets_line,
			    "secrets", "%s: %s", path, strerror(errno));
		else if (!S_ISREG(st.st_mode))
			diag_add(d, DIAG_ERROR, p->file, p->secrets_line,
			    "secrets", "%s: not a regular file", path);
		else if ((st.st_mode & 077) != 0)
			diag_add(d, DIAG_ERROR, p->file, p->secrets_line,
			    "secrets", "%s: readable by group or others "
			    "(mode %04o); chmod 600 it", path,
			    (unsigned)(st.st_mode & 07777));
		free(path);
	}
}

static void
check_usage(FILE *f)
{
	fprintf(f, "usage: hookdir check [-q | --quiet] [--list]\n"
	    "Validate hookdir.conf and every pipeline; print all errors "
	    "with file:line.\n"
	    "Exits 0 when there is no error, %d otherwise.\n"
	    "\n"
	    "  -q, --quiet   print nothing when all is well\n"
	    "  --list        print `source NAME` and `pipeline NAME` lines, one\n"
	    "                for each source and each pipeline that loads\n"
	    "                (shell completion uses them)\n", EX_CONFIG);
}

int
cmd_check(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet",	no_argument,	NULL, 'q' },
		{ "list",	no_argument,	NULL, 'l' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 }
	};
	struct pipeline_set	 set;
	struct config		*cf, fake;
	struct diag		 d;
	const char		*path, **files;
	size_t			 i, nfiles, nsources = 0;
	int			 c, quiet = 0, list = 0, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = 1;
			break;
		case 'l':
			list = quiet = 1;
			break;
		case 'h':
			check_usage(stdout);
			return 0;
		default:
			check_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		check_usage(stderr);
		return EX_USAGE;
	}
	path = config_default_path(cli->conf_path);
	diag_init(&d);
	memset(&set, 0, sizeof(set));
	/*
	 * Run as the responder's user it checks every secret; as another
	 * (the worker's) those it may read, and says which it could not.
	 */
	if ((cf = config_load_secrets(path, &d, CONFIG_SECRETS_READABLE)) !=
	    NULL) {
		nsources = cf->nsources;
		pipelines_load(cf, &set, &d);
		for (i = 0; i < set.n; i++)
			check_pipeline_refs(cf, set.v[i], &d);
	} else {
		memset(&fake, 0, sizeof(fake));
		if ((fake.pipelines = fallback_pipelines_dir(path)) != NULL) {
			pipelines_load(&fake, &set, &d);
			free(fake.pipelines);
		}
	}
	for (i = 0; list && cf != NULL && i < cf->nsources; i++)
		printf("source %s\n", cf->sources[i].name);
	for (i = 0; list && i < set.n; i++)
		printf("pipeline %s\n", set.v[i]->name);
	files = check_files(path, &set, &nfiles);
	check_print(&d, files, nfiles);
	free(files);
	if (d.nerrors > 0) {
		fprintf(stderr, "%zu error%s, %zu warning%s\n", d.nerrors,
		    d.nerrors == 1 ? "" : "s", d.n - d.nerrors,
		    d.n - d.nerrors == 1 ? "" : "s");
		rc = EX_CONFIG;
	} else {
		if (!quiet)
			printf("ok: %zu source%s, %zu pipeline%s\n", nsources,
			    nsources == 1 ? "" : "s", set.n,
			    set.n == 1 ? "" : "s");
		rc = 0;
	}
	pipelines_release(&set);
	config_free(cf);
	diag_release(&d);
	return rc;
}

static void
test_usage(FILE *f)
{
	fprintf(f, "usage: hookdir test PIPELINE FILE|ID\n"
	    "Evaluate PIPELINE's trigger (a name in the pipelines directory, "
	    "or a .json file)\n"
	    "against a spool message (a file, or a spool id in new/, cur/, "
	    "done/ or failed/),\n"
	    "print why it would or would not run, and run nothing.\n"
	    "Exits 0 if it would run, 1 if not.\n");
}

static int
is_pipeline_path(const char *s)
{
	size_t	n = strlen(s);

	return strchr(s, '/') != NULL || (n > 5 && strcmp(s + n - 5,
	    ".json") == 0);
}

/* Find spool id in the spool's subdirectories; malloc'd path or NULL. */
static char *
test_find_id(const struct config *cf, const char *id)
{
	static const char *const subs[] = { "new", "cur", "done", "failed" };
	struct stat	 st;
	char		*path;
	size_t		 i;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		xasprintf(&path, "%s/%s/%s", cf->spool, subs[i], id);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return path;
		free(path);
	}
	return NULL;
}

/*
 * PIPELINE: a path, or a name in the pipelines directory. The
 * malloc'd path in *pathp, or an exit status printed.
 */
static int
test_pipeline_path(struct cli *cli, const char *parg, char **pathp)
{
	struct config	*cf;
	struct stat	 st;

	if (is_pipeline_path(parg)) {
		*pathp = xstrdup(parg);
		return 0;
	}
	if (!name_is_valid(parg)) {
		log_warnx("test: '%s' is neither a pipeline name nor a "
		    ".json file", parg);
		return EX_USAGE;
	}
	cf = cli_config(cli);
	xasprintf(pathp, "%s/%s.json", cf->pipelines, parg);
	if (stat(*pathp, &st) == -1) {
		log_warnx("test: no pipeline '%s' (%s: %s)", parg,
		    *pathp, strerror(errno));
		return EX_NOINPUT;
	}
	return 0;
}

/*
 * FILE|ID: an existing file wins; otherwise the name is a spool id. The
 * malloc'd path in *pathp, or an exit status printed.
 */
static int
test_event_path(struct cli *cli, const char *earg, char **pathp)
{
	struct config	*cf;
	struct stat	 st;

	if (stat(earg, &st) == 0) {
		*pathp = xstrdup(earg);
		return 0;
	}
	if (strchr(earg, '/') != NULL || !spool_id_is_valid(earg)) {
		log_warnx("test: %s: %s", earg, strerror(ENOENT));
		return EX_NOINPUT;
	}
	cf = cli_config(cli);
	if ((*pathp = test_find_id(cf, earg)) == NULL) {
		log_warnx("test: no spool file %s in new/, cur/, "
		    "done/ or failed/ of %s", earg, cf->spool);
		return EX_NOINPUT;
	}
	return 0;
}

/* The trace and the verdict: 0 if p would run for ev, 1 if not. */
static int
test_verdict(const struct pipeline *p, struct event *ev, struct buf *trace)
{
	size_t	i;

	if (trigger_eval(p, ev, trace)) {
		printf("%s\nwould run: job%s ", cli_text(buf_str(trace)),
		    p->njobs == 1 ? "" : "s");
		for (i = 0; i < p->njobs; i++)
			printf("%s%s", i > 0 ? ", " : "",
			    cli_text(p->jobs[p->order[i]].name));
		printf("\n");
		return 0;
	}
	printf("%s\nwould not run\n", cli_text(buf_str(trace)));
	return 1;
}

int
cmd_test(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 }
	};
	struct pipeline	*p = NULL;
	struct event	 ev;
	struct diag	 d;
	struct buf	 trace = BUF_INIT;
	const char	*parg, *earg, *why, *base;
	char		*ppath = NULL, *epath = NULL;
	int		 c, rc, loaded = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			test_usage(stdout);
			return 0;
		default:
			test_usage(stderr);
			return EX_USAGE;
		}
	}
	if (argc - optind != 2) {
		test_usage(stderr);
		return EX_USAGE;
	}
	parg = argv[optind];
	earg = argv[optind + 1];
	diag_init(&d);

	if ((rc = test_pipeline_path(cli, parg, &ppath)) != 0)
		goto out;
	p = pipeline_load_file(ppath, &d);
	check_print(&d, (const char *const *)&ppath, 1);
	if (p == NULL) {
		rc = EX_CONFIG;
		goto out;
	}

	if ((rc = test_event_path(cli, earg, &epath)) != 0)
		goto out;
	base = strrchr(epath, '/');
	base = base != NULL ? base + 1 : epath;
	if (event_load(&ev, base, epath, &why) == -1) {
		log_warnx("test: %s: not a spool message: %s", epath, why);
		rc = EX_DATAERR;
		goto out;
	}
	loaded = 1;

	rc = test_verdict(p, &ev, &trace);
out:
	if (loaded)
		event_release(&ev);
	buf_release(&trace);
	pipeline_free(p);
	free(ppath);
	free(epath);
	diag_release(&d);
	return rc;
}
