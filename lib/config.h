/*
 * hookdir.conf: paths, limits and sources. JSON with comments; relative
 * paths are relative to the file's own directory.
 */
#ifndef HOOKDIR_CONFIG_H
#define HOOKDIR_CONFIG_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "codec.h"
#include "jconf.h"
#include "util.h"

struct provider;

#define DEFAULT_MAX_BODY	(25LL * 1024 * 1024)	/* GitHub's own cap */
#define DEFAULT_MAX_QUEUE	100000L
#define DEFAULT_RETENTION_MS	(30LL * 24 * 3600 * 1000)
/* Stripe and Paddle retry for up to 3 days: remember ids for a week. */
#define DEFAULT_DEDUP_WINDOW_MS	(7LL * 24 * 3600 * 1000)
#define DEFAULT_MAX_CHAIN_DEPTH	8
/* A source's rate_limit: requests a minute, and the bucket's size. */
#define RATE_LIMIT_MAX		1000000L

/*
 * Synchronous responses (a source's "respond"; the exchange is in
 * respond.h): the longest a request may be held open waiting for a
 * step's `hookdir respond`.
 */
#define RESPOND_MAX_WAIT_MS	30000

struct secret {
	unsigned char	*data;		/* as configured, NUL-terminated */
	size_t		 len;
	const char	*key;		/* "secret", "secret_file" or "secret_env" */
	int		 line;		/* where that key is */
};

/* How the generic provider authenticates a request. */
enum generic_auth {
	GENERIC_HMAC,		/* HMAC of the body in a header or ?signature= */
	GENERIC_TOKEN,		/* the secret itself in signature_header */
	GENERIC_BEARER,		/* Authorization: Bearer SECRET */
	GENERIC_BASIC		/* Authorization: Basic base64(SECRET = "user:password") */
};

enum generic_encoding {
	ENC_HEX,
	ENC_BASE64
};

struct response_header {
	char	*name;
	char	*value;
};

struct source {
	char			*name;
	int			 line;		/* where it is defined */
	const struct provider	*provider;	/* NULL: "auto" */
	struct secret		*secrets;	/* any one may match (key rotation) */
	size_t			 nsecrets;
	char			*public_key;	/* Ed25519 / ECDSA verification key, as configured */
	char			**methods;	/* upper case; default POST */
	size_t			 nmethods;
	struct cidr		*allow_from;
	size_t			 nallow_from;
	long long		 max_body;	/* bytes; the global limit if not set */
	long long		 tolerance_ms;	/* -1: the provider's default; 0: no window */
	char			*public_url;	/* Twilio: scheme://host/path the sender calls */

	/* the generic scheme */
	char			*signature_header;	/* default X-Webhook-Signature */
	char			*prefix;		/* e.g. "sha256=" */
	enum generic_encoding	 encoding;
	enum hmac_alg		 algorithm;
	enum generic_auth	 auth;
	char			*event_header;
	char			*delivery_header;

	/*
	 * dedup: what names a delivery across the sender's retries,
	 * "header:NAME" or a JSONPath ("$.id"); NULL: the provider's
	 * default (provider_dedup_rule). dedup_off: "dedup": false.
	 * dedup_window_ms: how long a key is remembered; -1: the
	 * configuration's dedup_window.
	 */
	char			*dedup;
	int			 dedup_off;
	long long		 dedup_window_ms;

	/* a fixed answer instead of 202 {"id":..} */
	int			 response_status;	/* 0: none */
	struct response_header	*response_headers;
	size_t			 nresponse_headers;
	char			*response_body;

	/* how long to wait for a step's `hookdir respond`; 0: do not wait */
	long long		 respond_wait_ms;

	/*
	 * rate_limit: a token bucket of rate_burst requests, refilled at
	 * rate_per_minute, shared by every responder process (see
	 * lib/ratelimit.h); rate_per_minute 0: no limit.
	 */
	long			 rate_per_minute;
	long			 rate_burst;
};

struct config_file_stamp {
	char		*path;
	dev_t		 dev;
	ino_t		 ino;
	struct timespec	 mtime;
	struct timespec	 ctime;		/* catches chmod and chown too */
	mode_t		 mode;
	off_t		 size;
};

struct config {
	char		*path;		/* the file loaded */
	char		*dir;		/* its directory */
	char		*spool;		/* absolute paths */
	char		*state;
	char		*pipelines;
	char		*secrets;	/* pipeline secrets: one file per name */
	char		*respond_dir;	/* synchronous responses (see above) */
	char		*report_html;	/* status pages the worker refreshes; NULL: none */
	char		*host;		/* "host", else $HOOKDIR_HOST, else gethostname() */
	char		*database;	/* NULL: SQLite in state; an absolute path; or a postgresql:// URI */
	long long	 max_body;
	long		 max_queue;
	long long	 retention_ms;
	long long	 dedup_window_ms;	/* dedup_window */
	int		 max_chain_depth;
	int		 worker_jobs;	/* default -j */
	long long	 worker_grace_ms;	/* SIGTERM to SIGKILL */
	char		*worker_user;	/* root drops to this user; NULL: the state's owner */
	struct source	*sources;
	size_t		 nsources;

	/* every file read (the config and secret files), to notice changes */
	struct config_file_stamp *stamps;
	size_t		 nstamps;
};

/*
 * The config file to use: explicit if not NULL, else $HOOKDIR_CONF, else
 * SYSCONFDIR/hookdir/hookdir.conf. Returns a pointer into its arguments,
 * the environment or a static string.
 */
const char	*config_default_path(const char *explicit_path);

/*
 * Load and validate. Every problem found is added to d (errors and
 * warnings, with file, line and key). Returns the config, or NULL if
 * there was any error; free with config_free().
 */
struct config	*config_load(const char *path, struct diag *d);

/*
 * The sources' secrets are the responder's (and `hookdir sign`'s): the
 * worker and the other commands run as another user that may not read
 * them, and need none. Loaded without them, a source has no secrets
 * (nsecrets 0) and nothing about them is checked; the rest is checked
 * as always.
 */
enum config_secrets {
	CONFIG_SECRETS_ALL,		/* read and check every one */
	CONFIG_SECRETS_READABLE,	/* those this user may read; a warning for the others */
	CONFIG_SECRETS_NONE		/* none */
};
struct config	*config_load_secrets(const char *path, struct diag *d,
		    enum config_secrets);
void		 config_free(struct config *);

/* Has any file the config was built from changed since it was loaded? */
int		 config_changed(const struct config *);

const struct source *config_source(const struct config *, const char *name);

/* Resolve a path relative to the config's directory (malloc'd). */
char		*config_path(const struct config *, const char *);

#endif
