/*
 * hookdir emit, output and cancel (hookdir(1)): what a step (or a
 * person) tells the worker from outside it. They only write: emit a
 * spool file, output a block of the step's $HOOKDIR_OUTPUT file, cancel
 * a flag in the history that the worker owning the run polls. None
 * needs to find the worker.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "chain.h"
#include "event.h"
#include "exec.h"
#include "history.h"
#include "hookdir.h"
#include "run.h"
#include "spool.h"
#include "util.h"
#include "xmalloc.h"

/* The most `hookdir emit NAME -` reads from its standard input. */
#define EMIT_DATA_MAX	(1024 * 1024)

static const struct option chain_help_opts[] = {
	{ "help",	no_argument,	NULL, 'h' },
	{ NULL,		0,		NULL, 0 }
};

static int
chain_usage(const char *text, int help)
{
	fputs(text, help ? stdout : stderr);
	return help ? 0 : EX_USAGE;
}

/* ---------------------------------------------------------------- emit */

static const char usage_emit[] =
    "usage: hookdir emit NAME [JSON | -]\n"
    "\n"
    "Spool a custom event NAME at once, for pipelines with\n"
    "on.event.name NAME. JSON (or standard input with -) is its data:\n"
    "`event.data` in expressions; without it, null. Run from a step, the\n"
    "event carries the step's run and event ids and the chain depth\n"
    "(HOOKDIR_RUN_ID, HOOKDIR_EVENT_ID, HOOKDIR_CHAIN_DEPTH).\n"
    "Prints the new event's id.\n";

static struct json_object *
emit_data(const char *arg)
{
	struct json_object	*data;
	enum json_tokener_error	 jerr;
	struct buf		 b = BUF_INIT;
	const char		*text = arg;

	if (strcmp(arg, "-") == 0) {
		if (read_fd(STDIN_FILENO, &b, EMIT_DATA_MAX) == -1) {
			fprintf(stderr, "hookdir emit: reading standard input: "
			    "%s\n", strerror(errno));
			return NULL;
		}
		text = buf_str(&b);
	}
	data = json_tokener_parse_verbose(text, &jerr);
	if (data == NULL && jerr != json_tokener_success)
		fprintf(stderr, "hookdir emit: the data is not JSON: %s\n",
		    json_tokener_error_desc(jerr));
	else if (data == NULL)
		/* the text `null` */
		data = json_object_new_null();
	buf_release(&b);
	return data;
}

int
cmd_emit(struct cli *cli, int argc, char **argv)
{
	struct json_object	*data = NULL, *masked;
	struct spool		 sp;
	struct buf		 b = BUF_INIT;
	const char		*name, **secrets;
	char			*names, id[SPOOL_ID_MAX];
	int			 ch, rc = 0;

	while ((ch = getopt_long(argc, argv, "+h", chain_help_opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			return chain_usage(usage_emit, 1);
		default:
			return chain_usage(usage_emit, 0);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return chain_usage(usage_emit, 0);
	name = argv[optind];
	if (!name_is_valid(name)) {
		fprintf(stderr, "hookdir emit: `%s` is not an event name (1-64 "
		    "of [A-Za-z0-9._-], starting with a letter or digit)\n",
		    name);
		return EX_USAGE;
	}
	if (strcmp(name, CHAIN_PIPELINE_COMPLETE) == 0 ||
	    strcmp(name, CHAIN_JOB_COMPLETE) == 0) {
		fprintf(stderr, "hookdir emit: `%s` is spooled by the worker "
		    "itself when a run or job ends\n", name);
		return EX_USAGE;
	}
	if (strcmp(name, EVENT_MANUAL) == 0) {
		fprintf(stderr, "hookdir emit: `%s` is spooled by `hookdir "
		    "run`\n", name);
		return EX_USAGE;
	}
	if ((rc = chain_step_secrets("emit", &secrets, &names)) != 0)
		goto out;
	exec_mask(secrets, name, strlen(name), &b);
	if (strcmp(buf_str(&b), name) != 0) {
		fprintf(stderr, "hookdir emit: the event name holds a secret "
		    "of the run\n");
		rc = EX_USAGE;
		goto out;
	}
	if (argc - optind == 2 && (data = emit_data(argv[optind + 1])) == NULL) {
		rc = EX_DATAERR;
		goto out;
	}
	/* Masked before the spool file is written, as step logs are. */
	masked = chain_mask(secrets, data);
	json_object_put(data);
	data = masked;
	if (cli_spool(cli, &sp, 0) == -1) {
		rc = EX_TEMPFAIL;
		goto out;
	}
	if (chain_spool_custom(&sp, name, data, getenv("HOOKDIR_RUN_ID"),
	    getenv("HOOKDIR_EVENT_ID"),
	    event_chain_depth(getenv("HOOKDIR_CHAIN_DEPTH")), id) == -1)
		rc = EX_TEMPFAIL;
	else
		printf("%s\n", id);
	spool_close(&sp);
out:
	json_object_put(data);
	buf_release(&b);
	free(secrets);
	free(names);
	return rc;
}

/* ---------------------------------------------------------------- output */

static const char usage_output[] =
    "usage: hookdir output NAME [VALUE]\n"
    "\n"
    "From a step: set the job's output NAME ([A-Za-z0-9_-]) to VALUE, or\n"
    "to standard input byte for byte when VALUE is absent, by appending to\n"
    "$HOOKDIR_OUTPUT with a random delimiter that the value does not hold:\n"
    "whatever the value holds, it sets NAME and nothing else. Use it for\n"
    "every value that comes from the payload. Exit status 64 outside a\n"
    "step (also once the step has ended) or for a bad name, 65 for a\n"
    "value holding a NUL byte or too large for the file.\n";

int
cmd_output(struct cli *cli, int argc, char **argv)
{
	struct buf	 in = BUF_INIT, out = BUF_INIT;
	struct stat	 st;
	const char	*path, *name, *val;
	size_t		 vlen;
	int		 ch, fd = -1, rc = 0, flags;

	(void)cli;
	while ((ch = getopt_long(argc, argv, "+h", chain_help_opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			return chain_usage(usage_output, 1);
		default:
			return chain_usage(usage_output, 0);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return chain_usage(usage_output, 0);
	name = argv[optind];
	if (!run_output_key_valid(name, strlen(name))) {
		fprintf(stderr, "hookdir output: `%s` is not an output name "
		    "(letters, digits, _ and -)\n", name);
		return EX_USAGE;
	}
	if ((path = getenv("HOOKDIR_OUTPUT")) == NULL || *path == '\0') {
		fprintf(stderr, "hookdir output: HOOKDIR_OUTPUT is not set: "
		    "run it from a pipeline's step\n");
		return EX_USAGE;
	}
	if (argc - optind == 2) {
		val = argv[optind + 1];
		vlen = strlen(val);
	} else {
		if (read_fd(STDIN_FILENO, &in, RUN_OUTPUT_MAX) == -1) {
			rc = errno == EFBIG ? EX_DATAERR : EX_IOERR;
			fprintf(stderr, "hookdir output: reading standard "
			    "input: %s\n", strerror(errno));
			goto out;
		}
		val = buf_str(&in);
		vlen = in.len;
	}
	if (run_output_format(name, val, vlen, &out) == -1) {
		fprintf(stderr, "hookdir output: the value holds a NUL byte, "
		    "which no output can carry\n");
		rc = EX_DATAERR;
		goto out;
	}
	/*
	 * The first output creates the file (a step without outputs
	 * leaves none); the worker reads and removes it when the step
	 * ends.  A process the step left behind must not leave a raw
	 * value where nothing reads (or removes) it: the file is created
	 * only while the step's shell, the leader of its process group,
	 * runs.  Once the run's workspace is gone (a successful run's,
	 * as it ends), its directory is missing: the run has ended.
	 */
	flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC;
	if (kill(getpgrp(), 0) == 0 || errno == EPERM)
		flags |= O_CREAT;
	if ((fd = open(path, flags, 0600)) == -1 && errno == ENOENT) {
		fprintf(stderr, "hookdir output: %s: %s\n", path,
		    (flags & O_CREAT) != 0 ? "no such directory: its run "
		    "has ended" : "its step has ended");
		rc = EX_USAGE;
		goto out;
	}
	if (fd == -1 || fstat(fd, &st) == -1) {
		fprintf(stderr, "hookdir output: %s: %s\n", path,
		    strerror(errno));
		rc = EX_CANTCREAT;
		goto out;
	}
	if ((size_t)st.st_size + out.len > RUN_OUTPUT_MAX) {
		fprintf(stderr, "hookdir output: %s would hold more than %d "
		    "bytes\n", path, RUN_OUTPUT_MAX);
		rc = EX_DATAERR;
		goto out;
	}
	/* One write: O_APPEND keeps it whole beside other writers. */
	if (write_all(fd, out.data, out.len) == -1) {
		fprintf(stderr, "hookdir output: %s: %s\n", path,
		    strerror(errno));
		rc = EX_IOERR;
	}
out:
	if (fd != -1 && close(fd) == -1 && rc == 0) {
		fprintf(stderr, "hookdir output: %s: %s\n", path,
		    strerror(errno));
		rc = EX_IOERR;
	}
	buf_release(&in);
	buf_release(&out);
	return rc;
}

/* ---------------------------------------------------------------- cancel */

static const char usage_cancel[] =
    "usage: hookdir cancel RUN...\n"
    "\n"
    "Cancel runs that have not ended: the worker running one stops its\n"
    "steps (SIGTERM to their process groups, SIGKILL after the grace\n"
    "period) within about a second and records it as cancelled. A run\n"
    "that has already ended is left as it is.\n"
    "\n"
    "Exit status 66 when a run is not in the history.\n";

int
cmd_cancel(struct cli *cli, int argc, char **argv)
{
	struct history	*h;
	long long	 run;
	char		*end;
	int		 ch, i, r, missing, rc = 0;

	while ((ch = getopt_long(argc, argv, "h", chain_help_opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			return chain_usage(usage_cancel, 1);
		default:
			return chain_usage(usage_cancel, 0);
		}
	}
	if (argc == optind)
		return chain_usage(usage_cancel, 0);
	for (i = optind; i < argc; i++) {
		errno = 0;
		run = strtoll(argv[i], &end, 10);
		if (errno != 0 || *argv[i] == '\0' || *end != '\0' || run <= 0) {
			fprintf(stderr, "hookdir cancel: `%s` is not a run id\n",
			    argv[i]);
			return EX_USAGE;
		}
	}
	if ((h = cli_history(cli, &missing)) == NULL) {
		if (!missing)
			return EX_SOFTWARE;
		fprintf(stderr, "hookdir cancel: no run has been recorded "
		    "yet\n");
		return EX_NOINPUT;
	}
	for (i = optind; i < argc; i++) {
		run = strtoll(argv[i], NULL, 10);
		if ((r = history_run_request_cancel(h, run)) == -1) {
			rc = EX_SOFTWARE;
			continue;
		}
		if (r == 1) {
			printf("run %lld: cancel requested\n", run);
			continue;
		}
		if ((r = history_run_known(h, run)) == -1)
			rc = EX_SOFTWARE;
		else if (r == 0) {
			fprintf(stderr, "hookdir cancel: no run %lld\n", run);
			if (rc == 0)
				rc = EX_NOINPUT;
		} else
			printf("run %lld: already ended\n", run);
	}
	history_close(h);
	return rc;
}
