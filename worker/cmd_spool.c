/*
 * The subcommands that change the spool: requeue, inject, gc
 * (hookdir(1)).
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/uio.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "config.h"
#include "history.h"
#include "hookdir.h"
#include "log.h"
#include "message.h"
#include "provider.h"
#include "spool.h"
#include "util.h"
#include "xmalloc.h"

/* A tmp/ file older than this was left by a writer that died (DESIGN §4). */
#define TMP_MAX_AGE	(36LL * 3600)

static const struct option help_opts[] = {
	{ "help",	no_argument,	NULL, 'h' },
	{ NULL,		0,		NULL, 0 }
};

/* ---------------------------------------------------------------- requeue */

static const char usage_requeue[] =
    "usage: hookdir requeue ID...\n"
    "\n"
    "Move spool files from failed/ or done/ back to new/, so that the\n"
    "worker processes them again. The history records the requeue: the\n"
    "next claim is a new attempt of the same event (its runs are started\n"
    "again), even for an event that had been recorded as a duplicate.\n"
    "\n"
    "Exit status 66 when an id is in neither failed/ nor done/, 75 when it\n"
    "is being processed (cur/).\n";

int
cmd_requeue(struct cli *cli, int argc, char **argv)
{
	static const char *const from_dirs[] = { "failed", "done", NULL };
	struct history	*h;
	struct spool	 sp;
	const char	*id, *from;
	char		 src[PATH_MAX], dst[PATH_MAX];
	int		 ch, i, k, rc = 0, moved = 0;

	while ((ch = getopt_long(argc, argv, "h", help_opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cli_usage_exit(usage_requeue, 1);
		default:
			return cli_usage_exit(usage_requeue, 0);
		}
	}
	if (argc == optind)
		return cli_usage_exit(usage_requeue, 0);
	for (i = optind; i < argc; i++)
		if (!spool_id_is_valid(argv[i])) {
			fprintf(stderr, "hookdir requeue: `%s` is not a spool "
			    "id\n", argv[i]);
			return EX_USAGE;
		}
	if ((rc = cli_spool_history(cli, &sp, &h)) != EX_OK)
		return rc;

	for (i = optind; i < argc; i++) {
		id = argv[i];
		from = NULL;
		for (k = 0; from_dirs[k] != NULL; k++) {
			if (spool_path(&sp, from_dirs[k], id, src,
			    sizeof(src)) == 0 && access(src, F_OK) == 0) {
				from = from_dirs[k];
				break;
			}
		}
		if (from == NULL) {
			if (spool_path(&sp, "cur", id, src, sizeof(src)) == 0 &&
			    access(src, F_OK) == 0) {
				fprintf(stderr, "hookdir requeue: %s is being "
				    "processed (in cur/)\n", id);
				rc = EX_TEMPFAIL;
			} else if (spool_path(&sp, "new", id, src,
			    sizeof(src)) == 0 && access(src, F_OK) == 0)
				fprintf(stderr, "hookdir requeue: %s is already "
				    "waiting in new/\n", id);
			else {
				fprintf(stderr, "hookdir requeue: no %s in "
				    "failed/ or done/\n", id);
				rc = EX_NOINPUT;
			}
			continue;
		}
		/*
		 * Record first: should the rename fail, an extra requeue
		 * mark is harmless; a file back in new/ without it would be
		 * taken for its own duplicate.
		 */
		if (h != NULL && history_event_requeue(h, id) == -1) {
			rc = EX_SOFTWARE;
			continue;
		}
		if (spool_path(&sp, "new", id, dst, sizeof(dst)) == -1 ||
		    rename(src, dst) == -1) {
			log_warn("requeue %s", id);
			rc = EX_IOERR;
			continue;
		}
		moved++;
		printf("requeued %s from %s/\n", id, from);
	}
	if (moved > 0 && spool_path(&sp, "new", "", dst, sizeof(dst)) == 0 &&
	    fsync_dir(dst) == -1)
		log_warn("fsync %s", dst);
	history_close(h);
	spool_close(&sp);
	return rc;
}

/* ---------------------------------------------------------------- inject */

struct inject_header {
	char	*name;
	char	*value;
};

struct inject {
	struct inject_header	*v;
	size_t			 n;
};

static const char *
inject_header_get(const void *ctx, const char *name)
{
	const struct inject	*in = ctx;
	size_t			 i;

	for (i = 0; i < in->n; i++)
		if (ascii_casecmp(in->v[i].name, name) == 0)
			return in->v[i].value;
	return NULL;
}

/* "Name: value" into the list; -1 if it is not a header line. */
static int
inject_header_add(struct inject *in, const char *line)
{
	const char	*colon, *p, *v;

	if ((colon = strchr(line, ':')) == NULL || colon == line)
		return -1;
	for (p = line; p < colon; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return -1;
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	in->v = xreallocarray(in->v, in->n + 1, sizeof(*in->v));
	in->v[in->n].name = xstrndup(line, (size_t)(colon - line));
	in->v[in->n].value = xstrdup(v);
	in->n++;
	return 0;
}

static void
inject_release(struct inject *in)
{
	size_t	i;

	for (i = 0; i < in->n; i++) {
		free(in->v[i].name);
		free(in->v[i].value);
	}
	free(in->v);
}

static const char usage_inject[] =
    "usage: hookdir inject [--event E] [--delivery D] [--header 'K: V']...\n"
    "                      [--content-type T] SOURCE FILE\n"
    "\n"
    "Put FILE's bytes (- for standard input) into the spool as a request\n"
    "received for SOURCE, through the same spool writer as the receiver,\n"
    "and print its id. Nothing is verified (Hookdir-Verified: injected).\n"
    "The event type and delivery id are taken from the headers and body\n"
    "as SOURCE's provider would, unless given.\n"
    "\n"
    "  --event E          the event type (Hookdir-Event)\n"
    "  --delivery D       the delivery id (Hookdir-Delivery); the dedup\n"
    "                     key when no dedup rule finds one\n"
    "  --header 'K: V'    a request header; may be repeated\n"
    "  --content-type T   default application/json when FILE is JSON\n"
    "\n"
    "Exit status 65 for an unknown source or a body over max_body, 66 when\n"
    "FILE cannot be read, 75 when the spool cannot be written.\n";

int
cmd_inject(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "event",		required_argument,	NULL, 'e' },
		{ "delivery",		required_argument,	NULL, 'd' },
		{ "header",		required_argument,	NULL, 'H' },
		{ "content-type",	required_argument,	NULL, 't' },
		{ "help",		no_argument,		NULL, 'h' },
		{ NULL,			0,			NULL, 0 }
	};
	const struct provider	*prov;
	const struct source	*src;
	struct verify_result	 vr;
	struct hook_request	 req;
	struct source		 unsigned_src;
	struct config		*cf;
	struct inject		 in;
	struct spool		 sp;
	struct iovec		 iov[2];
	struct buf		 body = BUF_INIT, head = BUF_INIT;
	struct envelope		 env;
	const char		*event = NULL, *delivery = NULL, *ctype = NULL;
	const char		*file, *pname, *name;
	char			 id[SPOOL_ID_MAX], when[40], *uri;
	long long		 sec;
	long			 usec;
	size_t			 i;
	int			 ch, rc = 0;

	memset(&in, 0, sizeof(in));
	memset(&vr, 0, sizeof(vr));
	while ((ch = getopt_long(argc, argv, "e:d:H:t:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			event = optarg;
			break;
		case 'd':
			delivery = optarg;
			break;
		case 'H':
			if (inject_header_add(&in, optarg) == -1) {
				fprintf(stderr, "hookdir inject: `%s` is not "
				    "a header (Name: value)\n", optarg);
				inject_release(&in);
				return EX_USAGE;
			}
			break;
		case 't':
			ctype = optarg;
			break;
		case 'h':
			inject_release(&in);
			return cli_usage_exit(usage_inject, 1);
		default:
			inject_release(&in);
			return cli_usage_exit(usage_inject, 0);
		}
	}
	if (argc - optind != 2) {
		inject_release(&in);
		return cli_usage_exit(usage_inject, 0);
	}
	file = argv[optind + 1];
	cf = cli_config(cli);
	if ((src = config_source(cf, argv[optind])) == NULL) {
		fprintf(stderr, "hookdir inject: no source `%s` in %s\n",
		    argv[optind], cf->path);
		rc = EX_DATAERR;
		goto done;
	}
	for (i = 0; i < in.n; i++) {
		name = in.v[i].name;
		if (envelope_reserved(name)) {
			fprintf(stderr, "hookdir inject: %s is set by hookdir, "
			    "not by --header\n", name);
			rc = EX_USAGE;
			goto done;
		}
		if (ascii_casecmp(name, "Content-Type") == 0 && ctype == NULL)
			ctype = in.v[i].value;
	}

	if ((rc = cli_read_body("inject", cli, src, file, &body)) != 0)
		goto done;
	if (ctype == NULL && cli_looks_like_json(&body))
		ctype = "application/json";

	/*
	 * Let the provider find the event type and delivery id in the
	 * headers and body, as for a received request, but verify nothing:
	 * a copy of the source without its secrets accepts anything.
	 */
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.query = "";
	req.content_type = ctype != NULL ? ctype : "";
	req.body = (const unsigned char *)body.data;
	req.body_len = body.len;
	now_timeval(&sec, &usec);
	req.now = sec;
	req.header = inject_header_get;
	req.ctx = &in;
	prov = src->provider;
	if (prov == NULL) {
		prov = provider_detect(&req);
		/* Nothing says who sent it: do not pretend to know. */
		if (strcmp(provider_name(prov), "generic") == 0)
			prov = NULL;
	}
	pname = prov != NULL ? provider_name(prov) : "inject";
	if (prov != NULL) {
		unsigned_src = *src;
		unsigned_src.secrets = NULL;
		unsigned_src.nsecrets = 0;
		unsigned_src.public_key = NULL;
		if (provider_verify(prov, &unsigned_src, &req, &vr) == -1)
			verify_result_release(&vr);
	}
	if (event == NULL)
		event = vr.event;
	if (delivery == NULL)
		delivery = vr.delivery;

	spool_new_id(id);
	format_rfc3339(when, sizeof(when), sec, usec);
	xasprintf(&uri, "/hooks/%s", src->name);
	memset(&env, 0, sizeof(env));
	env.id = id;
	env.received = when;
	env.source = src->name;
	env.provider = pname;
	env.event = event;
	env.delivery = delivery;
	env.verified = "injected";
	env.method = "POST";
	env.uri = uri;
	env.chain_depth = -1;
	env.content_type = ctype;
	env.content_length = body.len;
	envelope_write(&env, &head);
	free(uri);
	for (i = 0; i < in.n; i++) {
		if (ascii_casecmp(in.v[i].name, "Content-Type") == 0)
			continue;
		/* The secret itself (a token, credentials) stays out. */
		if (provider_is_secret_header(in.v[i].name)) {
			log_warnx("inject: %s left out: it carries a secret",
			    in.v[i].name);
			continue;
		}
		message_add_header(&head, in.v[i].name, in.v[i].value);
	}
	buf_addch(&head, '\n');

	if (cli_spool(cli, &sp, 1) == -1) {
		rc = EX_TEMPFAIL;
		goto done;
	}
	iov[0].iov_base = head.data;
	iov[0].iov_len = head.len;
	iov[1].iov_base = body.data;
	iov[1].iov_len = body.len;
	if (spool_deliver(&sp, id, iov, 2) == -1) {
		log_warn("spool %s", sp.dir);
		rc = EX_TEMPFAIL;
	} else
		printf("%s\n", id);
	spool_close(&sp);
done:
	verify_result_release(&vr);
	buf_release(&body);
	buf_release(&head);
	inject_release(&in);
	return rc;
}

/* ---------------------------------------------------------------- gc */

struct gc {
	int	dry_run;
	long	files;
	long	dirs;
	int	errors;
};

/*
 * Remove name under dirfd, a file or a whole tree, without following
 * symbolic links. A step may have left directories without write
 * permission (read-only checkouts): they are made writable first.
 */
static int
rm_tree(int parent, const char *name)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, r = 0;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	(void)fchmod(fd, 0700);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (rm_tree(dirfd(d), de->d_name) == -1)
			r = -1;
	}
	closedir(d);
	if (r == 0 && unlinkat(parent, name, AT_REMOVEDIR) == -1 &&
	    errno != ENOENT)
		r = -1;
	return r;
}

static void
gc_remove(struct gc *g, const char *parent, const char *name,
    const char *label, int is_dir)
{
	int	fd;

	if (g->dry_run) {
		printf("would remove %s/%s\n", label, name);
	} else {
		if ((fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
		    == -1 || rm_tree(fd, name) == -1) {
			log_warn("remove %s/%s", parent, name);
			g->errors++;
			if (fd != -1)
				close(fd);
			return;
		}
		close(fd);
		printf("removed %s/%s\n", label, name);
	}
	if (is_dir)
		g->dirs++;
	else
		g->files++;
}

/* Files in a spool subdirectory last modified before cutoff. */
static void
gc_spool_dir(struct gc *g, struct spool *sp, const char *sub,
    long long cutoff)
{
	struct stat	 st;
	char		 path[PATH_MAX], dir[PATH_MAX], **ids;
	long		 n, i;

	if ((n = spool_list(sp, sub, &ids)) == -1) {
		log_warn("%s/%s", sp->dir, sub);
		g->errors++;
		return;
	}
	snprintf(dir, sizeof(dir), "%s/%s", sp->dir, sub);
	for (i = 0; i < n; i++) {
		if (spool_path(sp, sub, ids[i], path, sizeof(path)) == -1 ||
		    lstat(path, &st) == -1)
			continue;
		if ((long long)st.st_mtime < cutoff)
			gc_remove(g, dir, ids[i], sub, 0);
	}
	spool_list_free(ids, n);
}

static int
is_run_id(const char *s, long long *id)
{
	char	*end;

	if (*s < '1' || *s > '9')
		return 0;
	errno = 0;
	*id = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* A run's directory under state/sub, if there is one. */
static void
gc_run_dir(struct gc *g, const char *state, const char *sub, long long id)
{
	struct stat	 st;
	char		 dir[PATH_MAX], name[32], path[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/%s", state, sub);
	snprintf(name, sizeof(name), "%lld", id);
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) <
	    (int)sizeof(path) && lstat(path, &st) == 0)
		gc_remove(g, dir, name, sub, 1);
}

struct gc_runs {
	struct gc	*g;
	const char	*state;
};

/*
 * A run that ended before the cutoff: its logs and workspace go as the
 * history's cursor reaches it, a batch of ids at a time.
 */
static int
gc_old_run(void *arg, long long id)
{
	struct gc_runs	*gr = arg;

	gc_run_dir(gr->g, gr->state, "logs", id);
	gc_run_dir(gr->g, gr->state, "work", id);
	return 0;
}

/*
 * logs/RUN and work/RUN the history does not know (a lost or pruned
 * database): by their age. The known ones are the cursor's above; a run
 * still going is never touched. One directory entry at a time.
 */
static void
gc_unknown_dirs(struct gc *g, struct history *h, const char *state,
    const char *sub, long long cutoff)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 dir[PATH_MAX], path[PATH_MAX];
	long long	 id;
	int		 known;

	snprintf(dir, sizeof(dir), "%s/%s", state, sub);
	if ((d = opendir(dir)) == NULL) {
		if (errno != ENOENT) {
			log_warn("%s", dir);
			g->errors++;
		}
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_run_id(de->d_name, &id))
			continue;
		known = h != NULL ? history_run_known(h, id) : 0;
		if (known == -1)
			g->errors++;
		else if (known == 0 && snprintf(path, sizeof(path), "%s/%s",
		    dir, de->d_name) < (int)sizeof(path) &&
		    lstat(path, &st) == 0 && (long long)st.st_mtime < cutoff)
			gc_remove(g, dir, de->d_name, sub, 1);
	}
	closedir(d);
}

static const char usage_gc[] =
    "usage: hookdir gc [--dry-run]\n"
    "\n"
    "Remove what has outlived its use: spool files left in tmp/ for more\n"
    "than 36 hours (writers that died), and, older than `retention` (default\n"
    "30 days): files in done/, the logs/RUN and work/RUN directories of runs\n"
    "that ended, and the history of events that ended (done or duplicate)\n"
    "with their runs. Files in failed/ and their history are kept. Prints\n"
    "what it removes.\n"
    "\n"
    "  -n, --dry-run   print what would be removed; remove nothing\n";

int
cmd_gc(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run",	no_argument,	NULL, 'n' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 }
	};
	struct config	*cf;
	struct history	*h;
	struct spool	 sp;
	struct gc	 g;
	struct gc_runs	 gr;
	char		 before[40];
	long long	 now, cutoff;
	long		 usec, events = 0;
	int		 ch, missing;

	memset(&g, 0, sizeof(g));
	while ((ch = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			g.dry_run = 1;
			break;
		case 'h':
			return cli_usage_exit(usage_gc, 1);
		default:
			return cli_usage_exit(usage_gc, 0);
		}
	}
	if (argc != optind)
		return cli_usage_exit(usage_gc, 0);
	cf = cli_config(cli);
	now_timeval(&now, &usec);
	cutoff = now - cf->retention_ms / 1000;

	if (cli_spool(cli, &sp, 0) == -1)
		return EX_NOINPUT;
	gc_spool_dir(&g, &sp, "tmp", now - TMP_MAX_AGE);
	gc_spool_dir(&g, &sp, "done", cutoff);
	spool_close(&sp);

	h = cli_history(cli, &missing);
	if (h == NULL && !missing)
		return EX_SOFTWARE;
	format_rfc3339(before, sizeof(before), cutoff, 0);
	gr.g = &g;
	gr.state = cf->state;
	if (h != NULL && history_gc_runs_each(h, before, gc_old_run,
	    &gr) == -1)
		g.errors++;
	gc_unknown_dirs(&g, h, cf->state, "logs", cutoff);
	gc_unknown_dirs(&g, h, cf->state, "work", cutoff);
	/* Rows last: the run directories were found through them. */
	if (h != NULL && history_gc_events(h, before, g.dry_run, &events) == -1)
		g.errors++;
	history_close(h);

	printf("%s %ld file%s, %ld run director%s, %ld event%s of history\n",
	    g.dry_run ? "would remove" : "removed", g.files,
	    g.files == 1 ? "" : "s", g.dirs, g.dirs == 1 ? "y" : "ies",
	    events, events == 1 ? "" : "s");
	return g.errors > 0 ? EX_IOERR : 0;
}
