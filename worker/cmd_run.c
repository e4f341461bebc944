/*
 * hookdir run (hookdir(1)): start a pipeline by hand. It spools an
 * internal event naming the pipeline, its inputs and the user, so that
 * the run goes through the worker like any other (history, concurrency,
 * reports); the worker starts that pipeline alone, without its `on`.
 * The inputs are checked here first, so that a mistake queues nothing.
 */
#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "chain.h"
#include "config.h"
#include "event.h"
#include "history.h"
#include "hookdir.h"
#include "jconf.h"
#include "pipeline.h"
#include "spool.h"
#include "util.h"
#include "xmalloc.h"

/* How often --wait looks for the run, and when it says it waits. */
#define RUN_POLL_US	200000
#define RUN_WAIT_SAY_S	2

static const char usage_run[] =
    "usage: hookdir run [--input NAME=VALUE]... [--wait] PIPELINE\n"
    "\n"
    "Start PIPELINE by hand: its `on` is not evaluated, the `if` of its\n"
    "jobs is. The inputs are checked against the pipeline's `inputs`\n"
    "(unknown, missing, wrong type, not a choice: nothing is queued) and\n"
    "reach expressions as inputs.NAME and steps as HOOKDIR_INPUT_NAME.\n"
    "A worker starts the run; the event's id is printed.\n"
    "\n"
    "  -i, --input NAME=VALUE  an input (once per input)\n"
    "  -w, --wait              follow the run's logs; exit 0 if it\n"
    "                          succeeded, 1 if not\n"
    "\n"
    "Exit status 64 for a wrong command line, 65 for inputs the pipeline\n"
    "refuses (or, with --wait, if the worker started nothing), 66 when\n"
    "there is no such pipeline.\n";

/* Who runs it: the real user, before any change to the state's owner. */
static char *
run_user(void)
{
	const struct passwd	*pw;
	char			*s;

	if ((pw = getpwuid(getuid())) != NULL)
		return xstrdup(pw->pw_name);
	xasprintf(&s, "%lu", (unsigned long)getuid());
	return s;
}

static int
run_input_add(struct json_object *given, const char *arg)
{
	const char	*eq;
	char		*name;

	if ((eq = strchr(arg, '=')) == NULL || eq == arg) {
		fprintf(stderr, "hookdir run: --input `%s`: not NAME=VALUE\n",
		    arg);
		return EX_USAGE;
	}
	name = xstrndup(arg, (size_t)(eq - arg));
	if (json_object_object_get_ex(given, name, NULL)) {
		fprintf(stderr, "hookdir run: input %s given twice\n", name);
		free(name);
		return EX_USAGE;
	}
	json_object_object_add(given, name, json_object_new_string(eq + 1));
	free(name);
	return 0;
}

/*
 * The pipeline's inputs checked, with the pipelines as they are now.
 * 0, or an exit code with the error printed.
 */
static int
run_check(struct cli *cli, const char *name, struct json_object *given)
{
	struct pipeline_set	 set;
	const struct pipeline	*p;
	struct json_object	*inputs;
	struct diag		 d;
	char			*err;
	size_t			 i;
	int			 rc = 0;

	diag_init(&d);
	pipelines_load(cli_config(cli), &set, &d);
	if ((p = pipelines_find(&set, name)) == NULL) {
		for (i = 0; i < d.n; i++)
			if (d.v[i].level == DIAG_ERROR)
				fprintf(stderr, "%s\n", d.v[i].text);
		fprintf(stderr, "hookdir run: no pipeline %s (loaded) in %s\n",
		    name, cli_config(cli)->pipelines);
		rc = EX_NOINPUT;
	} else if ((inputs = pipeline_inputs(p, given, &err)) == NULL) {
		fprintf(stderr, "hookdir run: pipeline %s: %s\n", name, err);
		free(err);
		rc = EX_DATAERR;
	} else
		json_object_put(inputs);
	diag_release(&d);
	pipelines_release(&set);
	return rc;
}

/*
 * --wait: the first run of event id, once a worker started it; 0 when
 * the worker started none (its traces printed), -1 on errors.
 */
static long long
run_wait_start(struct cli *cli, struct history **hp, const char *id,
    const char *pipeline)
{
	struct json_object	*ev, *runs, *traces, *t;
	time_t			 start = time(NULL);
	long long		 run = -1;
	size_t			 i;
	int			 missing, said = 0, r;

	for (;;) {
		if (*hp == NULL && (*hp = cli_history(cli, &missing)) == NULL &&
		    !missing)
			return -1;
		r = *hp != NULL ? history_event_get(*hp, id, &ev) : 0;
		if (r == -1)
			return -1;
		if (r == 1) {
			runs = json_object_object_get(ev, "runs");
			if (runs != NULL && json_object_array_length(runs) > 0)
				run = cli_jint(json_object_array_get_idx(runs,
				    0), "id", -1);
			else if (cli_jstr(ev, "finished") != NULL) {
				traces = json_object_object_get(ev, "traces");
				for (i = 0; traces != NULL &&
				    i < json_object_array_length(traces); i++) {
					t = json_object_array_get_idx(traces, i);
					if (strcmp(cli_jtext(t, "pipeline"),
					    pipeline) == 0)
						fprintf(stderr, "hookdir run: "
						    "%s\n", cli_text(cli_jtext(t,
						    "trace")));
				}
				fprintf(stderr, "hookdir run: event %s started "
				    "no run\n", id);
				run = 0;
			}
			json_object_put(ev);
			if (run >= 0)
				return run;
		}
		if (!said && time(NULL) - start >= RUN_WAIT_SAY_S) {
			fprintf(stderr, "hookdir run: waiting for a worker to "
			    "claim event %s\n", id);
			said = 1;
		}
		usleep(RUN_POLL_US);
	}
}

static int
run_wait(struct cli *cli, const char *id, const char *pipeline)
{
	struct history	*h = NULL;
	char		*status = NULL;
	long long	 run;
	int		 rc;

	if ((run = run_wait_start(cli, &h, id, pipeline)) <= 0) {
		if (h != NULL)
			history_close(h);
		return run == 0 ? EX_DATAERR : EX_SOFTWARE;
	}
	fprintf(stderr, "hookdir run: run %lld\n", run);
	rc = cli_log_run(cli, h, run, NULL, NULL, 1, 0, &status);
	if (rc == 0) {
		fprintf(stderr, "hookdir run: run %lld: %s\n", run,
		    status != NULL ? status : "?");
		rc = status != NULL && strcmp(status, "success") == 0 ? 0 : 1;
	}
	free(status);
	history_close(h);
	return rc;
}

int
cmd_run(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input",	required_argument,	NULL, 'i' },
		{ "wait",	no_argument,		NULL, 'w' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct json_object	*given, *masked;
	struct spool		 sp;
	const char		*pipeline, **secrets = NULL;
	char			*user, *names = NULL, id[SPOOL_ID_MAX];
	int			 ch, wait = 0, rc = 0;

	/* before cli_config(), which may become the state's owner */
	user = run_user();
	given = json_object_new_object();
	while ((ch = getopt_long(argc, argv, "i:wh", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			if ((rc = run_input_add(given, optarg)) != 0)
				goto out;
			break;
		case 'w':
			wait = 1;
			break;
		case 'h':
			rc = cli_usage_exit(usage_run, 1);
			goto out;
		default:
			rc = cli_usage_exit(usage_run, 0);
			goto out;
		}
	}
	if (argc - optind != 1) {
		rc = cli_usage_exit(usage_run, 0);
		goto out;
	}
	pipeline = argv[optind];
	if ((rc = run_check(cli, pipeline, given)) != 0)
		goto out;
	/* From a step, masked and chained as `hookdir emit` is. */
	if ((rc = chain_step_secrets("run", &secrets, &names)) != 0)
		goto out;
	masked = chain_mask(secrets, given);
	json_object_put(given);
	given = masked != NULL ? masked : json_object_new_object();
	if (cli_spool(cli, &sp, 0) == -1) {
		rc = EX_TEMPFAIL;
		goto out;
	}
	if (chain_spool_manual(&sp, pipeline, given, user,
	    getenv("HOOKDIR_RUN_ID"), getenv("HOOKDIR_EVENT_ID"),
	    event_chain_depth(getenv("HOOKDIR_CHAIN_DEPTH")), id) == -1)
		rc = EX_TEMPFAIL;
	else {
		printf("%s\n", id);
		fflush(stdout);
	}
	spool_close(&sp);
	if (rc == 0 && wait)
		rc = run_wait(cli, id, pipeline);
out:
	free(secrets);
	free(names);
	free(user);
	json_object_put(given);
	return rc;
}
