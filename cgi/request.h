/*
 * One webhook request as hookdir.fcgi handles it: parameters and body
 * from the web server (FastCGI or CGI), what was decided about it, and
 * the answer. cleanup_request() frees everything one request allocated.
 */
#ifndef HOOKDIR_REQUEST_H
#define HOOKDIR_REQUEST_H

#include <fcgiapp.h>

#include "buf.h"
#include "provider.h"
#include "spool.h"

struct config;
struct source;

/* The responder's state across requests. */
struct responder {
	const char	*conf_arg;	/* -c FILE, or NULL */
	char		*conf_env;	/* HOOKDIR_CONF at start, or NULL */
	int		 conf_param;	/* --conf-param: a request may name it */
	int		 conf_param_warned;	/* said a request's is ignored */
	char		*conf_checked;	/* the last one a request named, resolved */
	char		*conf_beside;	/* CGI: hookdir.conf beside the script */
	struct config	*cf;		/* loaded config, or NULL */
	char		*cf_path;	/* the path cf (or its failure) is for */
	long long	 cf_error_logged;	/* when a broken config was last logged */
	char		*cf_errors;	/* what was logged then */
	int		 cf_broken;
	struct spool	 spool;
	int		 spool_open;
	struct buf	 body;		/* reused between requests */
	int		 log_stderr;	/* log to stderr, not the FastCGI stream */
};

struct request {
	FCGX_Request		*fcgx;		/* NULL: plain CGI, or in memory */
	char			**envp;		/* the parameters; NULL: environ */
	int			 log_stderr;	/* see struct responder */
	/* Why the configuration the request named is not used, or NULL. */
	const char		*conf_refused;
	char			 id[SPOOL_ID_MAX];

	const char		*method;
	const char		*path_info;
	const char		*query;
	const char		*content_type;
	const char		*remote_addr;
	long long		 content_length;	/* -1: not given */

	const struct source	*source;
	const struct provider	*provider;
	struct verify_result	 vr;
	int			 status;	/* the answer's status, for the log */
	struct buf		*body;		/* the responder's */
	int			 body_done;	/* read, or given up on */
	struct buf		 head;		/* the spool header block */
	struct buf		 url;		/* external URL for Twilio */

	/* In memory (handle_request_memory()): the body and the answer. */
	const char		*mem_in;
	size_t			 mem_in_len;
	size_t			 mem_in_off;
	struct buf		*mem_out;	/* NULL: not in memory */
};

void	handle_request(struct responder *, struct request *);
void	cleanup_request(struct request *);

/*
 * Handle one request given in memory, as a web server would have passed
 * it: params are "NAME=value" strings (NULL-terminated), body its bytes;
 * the answer, as a CGI program writes it (Status: line, headers, blank
 * line, body), is appended to out. rs->cf must be loaded. The same path
 * as every other request, for tests and fuzzing.
 */
void	handle_request_memory(struct responder *rs, char **params,
	    const char *body, size_t len, struct buf *out);

#endif
