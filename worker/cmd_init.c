/*
 * hookdir init: a working configuration in one command (hookdir(1)).
 * It writes DIR/hookdir.conf with one source, that source's secret, a
 * pipeline that echoes every event, the spool and the state, checks
 * what it wrote as `hookdir check` would, and prints the next steps
 * with the real paths: the web server's snippet, the command that
 * starts the responder, a signed test request, the worker.
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "codec.h"
#include "config.h"
#include "hookdir.h"
#include "paths.h"
#include "provider.h"
#include "spool.h"
#include "util.h"
#include "xmalloc.h"

#define INIT_PROVIDER	"generic"
/* Its sources would never start the pipeline init writes. */
#define INIT_NOT_PROVIDER	"dispatch"
#define INIT_URL	"http://localhost/hooks/"
#define INIT_SOCKET	"/run/hookdir/fcgi.sock"
/* The user the printed commands name when root runs init without --user. */
#define INIT_USER	"hookdir"
#define INIT_SECRET_BYTES 32

static const char usage_init[] =
    "usage: hookdir init [--provider NAME] [--source NAME] [--user USER]\n"
    "                    [--url URL] [--socket PATH] [--force] DIR\n"
    "\n"
    "Write a working DIR/hookdir.conf with one source, a random secret for it\n"
    "(DIR/secrets/SOURCE, mode 0600), a pipeline that echoes every event\n"
    "(DIR/pipelines/hello.json), a test event (DIR/hello-event.json), the\n"
    "spool and the state; then print the next steps with DIR's real paths.\n"
    "\n"
    "  --provider NAME  the sender (default " INIT_PROVIDER "), one of the\n"
    "                   providers below; those that sign with a key pair\n"
    "                   (discord, sendgrid) are refused\n"
    "  --source NAME    the source's name, /hooks/NAME (default: the\n"
    "                   provider's name)\n"
    "  --user USER      the user hookdir.fcgi and the worker run as; run as\n"
    "                   root, init gives the files it creates to USER\n"
    "                   (default: you)\n"
    "  --url URL        where senders reach /hooks/, for the printed test\n"
    "                   request (default " INIT_URL ")\n"
    "  --socket PATH    the responder's socket in the nginx recipe (default\n"
    "                   " INIT_SOCKET ")\n"
    "  --force          replace an existing hookdir.conf, hello.json and\n"
    "                   hello-event.json (an existing secret is kept)\n"
    "\n"
    "Paths, the URL and the user are printed unquoted: they may hold only\n"
    "letters, digits and /._-+@,~ (the URL also :%=).\n"
    "\n"
    "Exit status 64 for an unknown provider, a provider without a shared\n"
    "secret, an invalid name or such a path, URL or user; 73 when\n"
    "DIR/hookdir.conf exists (without --force) or a file cannot be created.\n"
    "\n";

enum init_form {
	INIT_HEX,		/* 64 hex digits: any byte string scheme */
	INIT_WHSEC		/* whsec_ and base64 (Standard Webhooks) */
};

struct init {
	const struct provider	*p;
	const char		*source;
	const char		*url;		/* ends in '/' */
	const char		*sock;
	char			*user;		/* for the printed commands */
	uid_t			 uid;		/* chown to it when chown */
	gid_t			 gid;
	int			 chown;
	int			 force;
	char			*dir;		/* absolute */
	char			*conf;
	char			*secret;
	char			*self;		/* this hookdir */
	char			*fcgi;		/* hookdir.fcgi */
	char			**created;	/* init's paths, for chown */
	size_t			 ncreated;
};

/*
 * How the provider takes its secret, asked of its own configuration
 * check (lib/provider.c) rather than decided here by its name: a
 * "whsec_" that is not base64 failing the check while whsec_ and base64
 * pass means the provider decodes whsec_ secrets (Standard Webhooks);
 * else if 64 hex digits pass, any bytes do; and if no secret passes, the
 * provider verifies with a public key. 0, or -1 with the check's
 * messages for the hex secret in d.
 */
static int
init_secret_form(const struct provider *p, const char *name, const char *hex,
    const char *whsec, enum init_form *form, struct diag *d)
{
	static const char	 bad[] = "whsec_*";
	const char		*try[3] = { hex, whsec, bad };
	struct source		 s;
	struct secret		 sec;
	struct diag		 probe;
	int			 ok[3];
	size_t			 i;

	for (i = 0; i < 3; i++) {
		memset(&s, 0, sizeof(s));
		s.name = (char *)name;
		s.provider = p;
		s.tolerance_ms = -1;
		sec.data = (unsigned char *)try[i];
		sec.len = strlen(try[i]);
		s.secrets = &sec;
		s.nsecrets = 1;
		diag_init(&probe);
		provider_check_source(p, &s, NULL, &probe);
		ok[i] = probe.nerrors == 0;
		if (i == 0)
			*d = probe;
		else
			diag_release(&probe);
	}
	if (!ok[0] && !ok[1])
		return -1;
	diag_release(d);
	*form = ok[1] && !ok[2] ? INIT_WHSEC : ok[0] ? INIT_HEX : INIT_WHSEC;
	return 0;
}

/*
 * The path of hookdir.fcgi: beside this hookdir when it is there (an
 * installed pair, in any prefix, even moved since), else where `make
 * install` puts it (BINDIR). /proc/self/exe, not argv[0]: a PATH
 * lookup or a symbolic link is already resolved there.
 */
static void
init_find_programs(struct init *in)
{
	char	*slash;

	if ((in->self = realpath("/proc/self/exe", NULL)) != NULL &&
	    (slash = strrchr(in->self, '/')) != NULL) {
		xasprintf(&in->fcgi, "%.*s/hookdir.fcgi",
		    (int)(slash - in->self), in->self);
		if (access(in->fcgi, X_OK) == 0)
			return;
		free(in->fcgi);
	}
	if (in->self == NULL)
		in->self = xstrdup(BINDIR "/hookdir");
	in->fcgi = xstrdup(BINDIR "/hookdir.fcgi");
}

/*
 * The snippets and commands name paths, URLs and users unquoted
 * (nginx, Apache and the shell each quote differently, and the operator
 * pastes them): a word with other characters than these is refused.
 */
#define INIT_PLAIN	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789/._-+@,~"

static int
init_path_is_plain(const char *s)
{
	return *s != '\0' && s[strspn(s, INIT_PLAIN)] == '\0';
}

static int
init_url_is_plain(const char *s)
{
	return (strncmp(s, "http://", 7) == 0 ||
	    strncmp(s, "https://", 8) == 0) &&
	    s[strspn(s, INIT_PLAIN ":%=")] == '\0';
}

/* A path that is init's: --user gets it, whether new or there before. */
static void
init_created(struct init *in, const char *path)
{
	in->created = xreallocarray(in->created, in->ncreated + 1,
	    sizeof(*in->created));
	in->created[in->ncreated++] = xstrdup(path);
}

/* A directory DIR/sub, or the one there: 0, or -1 printed. */
static int
init_mkdir(struct init *in, const char *sub, mode_t mode, char **pathp)
{
	struct stat	 st;
	char		*path;

	xasprintf(&path, "%s/%s", in->dir, sub);
	if (mkdir(path, mode) == 0) {
		/* The mode as said, whatever the umask. */
		if (chmod(path, mode) == -1)
			goto fail;
	} else if (errno != EEXIST || lstat(path, &st) == -1)
		goto fail;
	else if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		goto fail;
	}
	init_created(in, path);
	if (pathp != NULL)
		*pathp = path;
	else
		free(path);
	return 0;
fail:
	fprintf(stderr, "hookdir init: %s: %s\n", path, strerror(errno));
	free(path);
	return -1;
}

/*
 * Write a file: a new one, or with replace one that is there (a
 * rename: never half written). 0, or -1 with errno (EEXIST: it is
 * there and replace is 0).
 */
static int
init_write(const char *path, const char *text, mode_t mode, int replace)
{
	char	*tmp;
	int	 fd, r, saved;

	xasprintf(&tmp, "%s.init%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode)) == -1) {
		free(tmp);
		return -1;
	}
	r = write_all(fd, text, strlen(text)) == -1 || fchmod(fd, mode) == -1 ||
	    fsync(fd) == -1 ? -1 : 0;
	if (close(fd) == -1)
		r = -1;
	/* link(2) fails if the name is taken; rename(2) replaces it. */
	if (r == 0)
		r = replace ? rename(tmp, path) : link(tmp, path);
	saved = errno;
	if (r == -1 || !replace)
		(void)unlink(tmp);
	free(tmp);
	errno = saved;
	return r;
}

/* A macro, so that the compiler checks it as a format at any -O. */
#define PIPELINE_TEXT \
    "// Written by hookdir init: every event of source `%s`, echoed (see\n" \
    "// hookdir-pipeline(5)). Its log: hookdir log RUN.\n" \
    "{\n" \
    "\t\"on\": { \"source\": [\"%s\"] },\n" \
    "\t\"jobs\": {\n" \
    "\t\t\"hello\": {\n" \
    "\t\t\t\"steps\": [\n" \
    "\t\t\t\t{ \"name\": \"echo\", \"run\": \"echo \\\"event " \
    "'$HOOKDIR_EVENT' from $HOOKDIR_SOURCE ($HOOKDIR_PROVIDER), delivery " \
    "$HOOKDIR_DELIVERY\\\"; cat \\\"$HOOKDIR_BODY\\\"\" }\n" \
    "\t\t\t]\n" \
    "\t\t}\n" \
    "\t}\n" \
    "}\n"

/* No "id": senders that take the delivery id from the body would dedup. */
static const char *const event_text =
    "{\"type\": \"hello\", \"message\": \"a test event from hookdir init\"}\n";

static void
init_conf_text(const struct init *in, struct buf *b)
{
	buf_printf(b,
	    "// hookdir.conf, written by hookdir init (see hookdir.conf(5)).\n"
	    "// Relative paths are relative to this file's directory.\n"
	    "// Check it after a change: hookdir -c %s check\n"
	    "{\n"
	    "\t\"spool\": \"spool\",\n"
	    "\t\"state\": \"state\",\n"
	    "\t\"pipelines\": \"pipelines\",\n"
	    "\t\"sources\": {\n"
	    "\t\t// Senders post to %s%s\n"
	    "\t\t\"%s\": {\n"
	    "\t\t\t\"provider\": \"%s\",\n"
	    "\t\t\t\"secret_file\": \"secrets/%s\"\n"
	    "\t\t}\n"
	    "\t}\n"
	    "}\n", in->conf, in->url, in->source, in->source,
	    provider_name(in->p), in->source);
}

/* The secret, unless the file is there (a sender may use it): 0 or -1. */
static int
init_secret(struct init *in, enum init_form form, const char *hex,
    const char *whsec)
{
	struct buf	b = BUF_INIT;
	struct stat	st;
	int		r;

	buf_printf(&b, "%s\n", form == INIT_WHSEC ? whsec : hex);
	r = init_write(in->secret, buf_str(&b), 0600, 0);
	sodium_memzero(b.data, b.len);
	buf_release(&b);
	if (r == 0) {
		init_created(in, in->secret);
		return 0;
	}
	if (errno == EEXIST && lstat(in->secret, &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		printf("hookdir init: kept the secret that was there, %s\n",
		    in->secret);
		init_created(in, in->secret);
		return 0;
	}
	fprintf(stderr, "hookdir init: %s: %s\n", in->secret, errno == EEXIST ?
	    "there, but not a file" : strerror(errno));
	return -1;
}

static void
init_print_steps(const struct init *in, int can_sign, const char *why)
{
	const char	*u = in->user, *s = in->source;

	printf("\nhookdir init: %s is ready: source `%s` (%s), its secret in "
	    "%s.\nGive the sender the URL %s%s and that secret (cat %s).\n",
	    in->conf, s, provider_name(in->p), in->secret, in->url, s,
	    in->secret);

	printf("\n1. Hand /hooks/ to hookdir.fcgi, in one of three ways.\n"
	    "\nnginx: start the responder as root (it runs as %s, its socket "
	    "is for nginx's user, www-data on Debian):\n\n", u);
	printf("    install -d -m 0755 %.*s\n", (int)(strrchr(in->sock, '/') -
	    in->sock), in->sock);
	printf("    spawn-fcgi -s %s -M 0660 -U www-data -u %s -F 2 -- %s -c "
	    "%s\n\n", in->sock, u, in->fcgi, in->conf);
	printf("and put this into the server { } block of the site, then "
	    "nginx -t && systemctl reload nginx:\n\n");
	printf(
	    "location /hooks/ {\n"
	    "\tclient_max_body_size 26m;\n"
	    "\tfastcgi_request_buffering on;\n"
	    "\tfastcgi_split_path_info ^(/hooks)(/.*)$;\n"
	    "\tfastcgi_pass unix:%s;\n"
	    "\tfastcgi_param PATH_INFO         $fastcgi_path_info;\n"
	    "\tfastcgi_param SCRIPT_NAME       $fastcgi_script_name;\n"
	    "\tfastcgi_param REQUEST_METHOD    $request_method;\n"
	    "\tfastcgi_param REQUEST_URI       $request_uri;\n"
	    "\tfastcgi_param QUERY_STRING      $query_string;\n"
	    "\tfastcgi_param CONTENT_TYPE      $content_type;\n"
	    "\tfastcgi_param CONTENT_LENGTH    $content_length;\n"
	    "\tfastcgi_param REQUEST_SCHEME    $scheme;\n"
	    "\tfastcgi_param HTTPS             $https if_not_empty;\n"
	    "\tfastcgi_param SERVER_PROTOCOL   $server_protocol;\n"
	    "\tfastcgi_param SERVER_NAME       $server_name;\n"
	    "\tfastcgi_param SERVER_ADDR       $server_addr;\n"
	    "\tfastcgi_param SERVER_PORT       $server_port;\n"
	    "\tfastcgi_param REMOTE_ADDR       $remote_addr;\n"
	    "\tfastcgi_param REMOTE_PORT       $remote_port;\n"
	    "\tfastcgi_param GATEWAY_INTERFACE CGI/1.1;\n"
	    "\tfastcgi_param SERVER_SOFTWARE   nginx/$nginx_version;\n"
	    "}\n", in->sock);

	printf("\nApache with mod_fcgid (a2enmod fcgid alias): it runs "
	    "hookdir.fcgi as Apache's user,\nso give that user the files "
	    "(hookdir init --user www-data); in the site's <VirtualHost>:\n\n");
	printf(
	    "<IfModule mod_fcgid.c>\n"
	    "\tFcgidMaxRequestLen 27262976\n"
	    "\tFcgidMaxRequestInMem 262144\n"
	    "\tFcgidInitialEnv HOOKDIR_CONF %s\n"
	    "</IfModule>\n"
	    "Alias /hooks %s\n"
	    "<Location /hooks>\n"
	    "\tSetHandler fcgid-script\n"
	    "\tOptions +ExecCGI\n"
	    "\tAcceptPathInfo On\n"
	    "\tRequire all granted\n"
	    "\tCGIPassAuth On\n"
	    "</Location>\n", in->conf, in->fcgi);

	/*
	 * suexec drops SetEnv: the responder finds the configuration
	 * through the link beside it, with or without suexec.
	 */
	printf("\nShared hosting (Apache, plain CGI, with or without "
	    "suexec): keep %s outside the\ndocument root, copy the "
	    "responder into it, link the configuration beside it\nand "
	    "write this .htaccess there (it needs AllowOverride FileInfo "
	    "AuthConfig\nOptions=ExecCGI,Indexes); senders then post to "
	    "https://example.org/~USER/hooks.cgi/%s:\n\n", in->dir, s);
	printf("    cp %s ~/public_html/hooks.cgi && chmod 0755 "
	    "~/public_html/hooks.cgi\n", in->fcgi);
	printf("    ln -s %s ~/public_html/hookdir.conf\n\n", in->conf);
	printf(
	    "Options +ExecCGI -Indexes\n"
	    "AddHandler cgi-script .cgi\n"
	    "<Files \"hookdir.conf\">\n"
	    "\tRequire all denied\n"
	    "</Files>\n"
	    "CGIPassAuth On\n");

	printf("\n2. Send a signed test request; the answer is 202 "
	    "{\"id\":...,\"status\":\"queued\"}:\n\n");
	if (can_sign)
		printf("    %s -c %s sign --url %s %s %s/hello-event.json | "
		    "sh\n", in->self, in->conf, in->url, s, in->dir);
	else
		printf("    (%s cannot be signed here: %s; queue the test "
		    "event without HTTP instead)\n    %s -c %s inject %s "
		    "%s/hello-event.json\n", provider_name(in->p), why,
		    in->self, in->conf, s, in->dir);

	printf("\n3. Run the pipelines, once (from cron: every minute) or "
	    "as a daemon (worker --watch), and look:\n\n");
	printf("    %s -c %s worker --once\n", in->self, in->conf);
	printf("    %s -c %s runs\n", in->self, in->conf);
	printf("    %s -c %s log 1\n", in->self, in->conf);
}

/*
 * Can hookdir sign send a request for this source? Asked of the provider
 * (provider_sign) with the source as written.
 */
static int
init_can_sign(struct config *cf, const char *name, const char **why)
{
	const struct source	*src = config_source(cf, name);
	struct hook_request	 req;
	struct buf		 out = BUF_INIT;
	int			 r;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.query = "";
	req.url = INIT_URL;
	req.content_type = "application/json";
	req.body = (const unsigned char *)event_text;
	req.body_len = strlen(event_text);
	req.now = (long long)time(NULL);
	r = src != NULL && src->provider != NULL &&
	    provider_sign(src->provider, src, &req, &out, why) == 0;
	buf_release(&out);
	return r;
}

/* Give what init created to --user. 0, or -1 printed. */
static int
init_chown(const struct init *in)
{
	size_t	i;

	for (i = 0; in->chown && i < in->ncreated; i++)
		if (lchown(in->created[i], in->uid, in->gid) == -1) {
			fprintf(stderr, "hookdir init: chown %s: %s\n",
			    in->created[i], strerror(errno));
			return -1;
		}
	return 0;
}

static void
init_release(struct init *in)
{
	size_t	i;

	for (i = 0; i < in->ncreated; i++)
		free(in->created[i]);
	free(in->created);
	free(in->dir);
	free(in->conf);
	free(in->secret);
	free(in->self);
	free(in->fcgi);
}

/*
 * The usage, and on its last line the providers init takes (those that
 * verify with a shared secret), for people and bash completion.
 */
static int
init_usage(int help)
{
	const char * const	*n;
	enum init_form		 form;
	struct diag		 d;
	FILE			*f = help ? stdout : stderr;

	cli_usage_exit(usage_init, help);
	fprintf(f, "providers:");
	/* The check decodes base64 with libsodium. */
	for (n = provider_names(); sodium_init() >= 0 && *n != NULL; n++)
		if (strcmp(*n, INIT_NOT_PROVIDER) != 0 &&
		    init_secret_form(provider_find(*n), "x", "00",
		    "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &form, &d) == 0)
			fprintf(f, " %s", *n);
		else
			diag_release(&d);
	fprintf(f, "\n");
	return help ? 0 : EX_USAGE;
}

/* Unknown provider: say which there are. */
static int
init_unknown_provider(const char *name)
{
	const char * const	*n;

	fprintf(stderr, "hookdir init: no provider `%s`; one of:", name);
	for (n = provider_names(); *n != NULL; n++)
		fprintf(stderr, " %s", *n);
	fprintf(stderr, "\n");
	return EX_USAGE;
}

/* --user, and whom the printed commands name: 0 or an exit status. */
static int
init_user(struct init *in, const char *user)
{
	const struct passwd	*pw;

	if (user == NULL) {
		if (geteuid() == 0) {
			in->user = xstrdup(INIT_USER);
			return 0;
		}
		if ((pw = getpwuid(geteuid())) == NULL) {
			fprintf(stderr, "hookdir init: uid %lu has no name\n",
			    (unsigned long)geteuid());
			return EX_NOUSER;
		}
		in->user = xstrdup(pw->pw_name);
		return 0;
	}
	if ((pw = getpwnam(user)) == NULL) {
		fprintf(stderr, "hookdir init: --user: no user named `%s`\n",
		    user);
		return EX_NOUSER;
	}
	if (pw->pw_uid != geteuid()) {
		if (geteuid() != 0) {
			fprintf(stderr, "hookdir init: --user %s: only root "
			    "can give files to another user\n", user);
			return EX_NOPERM;
		}
		in->chown = 1;
	}
	if (!init_path_is_plain(user)) {
		fprintf(stderr, "hookdir init: --user %s: a name of letters, "
		    "digits and ._-+@,~ please\n", user);
		return EX_USAGE;
	}
	in->user = xstrdup(user);
	in->uid = pw->pw_uid;
	in->gid = pw->pw_gid;
	return 0;
}

/* Create it all; the files' paths are set. 0 or an exit status. */
static int
init_create(struct init *in, const char *hex, const char *whsec,
    enum init_form form)
{
	static const char *const mine[] = { "pipelines/hello.json",
	    "hello-event.json" };
	static const char *const subs[] = { "tmp", "new", "cur", "done",
	    "failed" };
	struct spool	 sp;
	struct buf	 text = BUF_INIT;
	char		*spool, *path;
	size_t		 i;
	int		 r = 0;

	/* Before anything is written, a configuration there stops it all. */
	if (!in->force && access(in->conf, F_OK) == 0) {
		fprintf(stderr, "hookdir init: %s exists; not replacing it "
		    "(--force does)\n", in->conf);
		return EX_CANTCREAT;
	}
	for (i = 0; !in->force && i < 2; i++) {
		xasprintf(&path, "%s/%s", in->dir, mine[i]);
		if (access(path, F_OK) == 0) {
			fprintf(stderr, "hookdir init: %s exists; not "
			    "replacing it (--force does)\n", path);
			r = EX_CANTCREAT;
		}
		free(path);
	}
	if (r != 0)
		return r;
	if (init_mkdir(in, "secrets", 0700, NULL) == -1 ||
	    init_mkdir(in, "pipelines", 0755, NULL) == -1 ||
	    init_mkdir(in, "state", 0700, NULL) == -1 ||
	    init_mkdir(in, "spool", 0700, &spool) == -1)
		return EX_CANTCREAT;
	/* The umask is 077 here: the spool's directories are 0700. */
	if (spool_open(&sp, spool, 1) == -1) {
		fprintf(stderr, "hookdir init: %s: %s\n", spool,
		    strerror(errno));
		free(spool);
		return EX_CANTCREAT;
	}
	spool_close(&sp);
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		xasprintf(&path, "%s/%s", spool, subs[i]);
		init_created(in, path);
		free(path);
	}
	free(spool);
	if (init_secret(in, form, hex, whsec) == -1)
		return EX_CANTCREAT;

	init_conf_text(in, &text);
	for (i = 0; i < 3 && r == 0; i++) {
		if (i == 0)
			path = xstrdup(in->conf);
		else
			xasprintf(&path, "%s/%s", in->dir, mine[i - 1]);
		if (i == 1) {
			buf_reset(&text);
			buf_printf(&text, PIPELINE_TEXT, in->source,
			    in->source);
		} else if (i == 2) {
			buf_reset(&text);
			buf_addstr(&text, event_text);
		}
		if (init_write(path, buf_str(&text), 0644, in->force) == -1) {
			fprintf(stderr, "hookdir init: %s: %s\n", path,
			    errno == EEXIST ? "exists" : strerror(errno));
			r = EX_CANTCREAT;
		} else
			init_created(in, path);
		free(path);
	}
	buf_release(&text);
	if (r == 0 && init_chown(in) == -1)
		r = EX_NOPERM;
	return r;
}

/* Root without --user made root's files: say so, and how to hand them on. */
static void
init_warn_root(const struct init *in)
{
	fprintf(stderr, "hookdir init: warning: run as root, so %s and the "
	    "files in it are root's;\nhookdir.fcgi and the worker should not "
	    "run as root. Give them to the user\nthat runs both "
	    "(hookdir init --force --user USER does), e.g.:\n"
	    "    chown -R %s: %s/secrets %s/pipelines %s/state %s/spool\n"
	    "or, with a worker user and a responder user sharing a group "
	    "(README, Users and permissions):\n"
	    "    chown -R hookdir:hookdir %s/pipelines %s/state %s/secrets "
	    "&& chmod 0750 %s/secrets\n"
	    "    chown hookdir-fcgi %s\n"
	    "    chown -R hookdir-fcgi:hookdir %s/spool && chmod 2770 %s/spool "
	    "%s/spool/*\n",
	    in->dir, INIT_USER, in->dir, in->dir, in->dir, in->dir, in->dir,
	    in->dir, in->dir, in->dir, in->secret, in->dir, in->dir, in->dir);
}

/*
 * The words on the command line, checked before anything is made: 0, or
 * an exit status printed.
 */
static int
init_check_args(struct cli *cli, struct init *in, const char *provider,
    const char *dir)
{
	if (cli->conf_path != NULL) {
		fprintf(stderr, "hookdir init: it writes DIR/hookdir.conf; "
		    "-c %s does not apply\n", cli->conf_path);
		return EX_USAGE;
	}
	if ((in->p = provider_find(provider)) == NULL)
		return init_unknown_provider(provider);
	if (strcmp(provider, INIT_NOT_PROVIDER) == 0) {
		fprintf(stderr, "hookdir init: a %s source starts only the "
		    "pipelines that opt in and that its body names, never the "
		    "echo pipeline init writes: add one to a configuration by "
		    "hand (hookdir.conf(5))\n", provider);
		return EX_USAGE;
	}
	if (in->source == NULL)
		in->source = provider_name(in->p);
	if (!name_is_valid(in->source)) {
		fprintf(stderr, "hookdir init: `%s` is not a source name: 1 to "
		    "64 of A-Z a-z 0-9 . _ -, starting with a letter or "
		    "digit\n", in->source);
		return EX_USAGE;
	}
	if (in->sock[0] != '/' || !init_path_is_plain(in->sock)) {
		fprintf(stderr, "hookdir init: --socket %s: not an absolute "
		    "path of letters, digits and /._-+@,~\n", in->sock);
		return EX_USAGE;
	}
	if (!init_url_is_plain(in->url)) {
		fprintf(stderr, "hookdir init: --url %s: not an http:// or "
		    "https:// URL of letters, digits and /._-+@,~:%%=\n",
		    in->url);
		return EX_USAGE;
	}
	if (!init_path_is_plain(dir)) {
		fprintf(stderr, "hookdir init: %s: not a path of letters, "
		    "digits and /._-+@,~ (the printed snippets name it)\n",
		    dir);
		return EX_USAGE;
	}
	return 0;
}

/*
 * A random secret in both spellings, and the one the provider takes:
 * a provider that takes none stops init here. 0, or an exit status
 * printed.
 */
static int
init_new_secret(const struct init *in, struct buf *hex, struct buf *whsec,
    enum init_form *form)
{
	unsigned char	 raw[INIT_SECRET_BYTES];
	struct diag	 d;
	size_t		 i;

	randombytes_buf(raw, sizeof(raw));
	hex_encode(hex, raw, sizeof(raw));
	buf_addstr(whsec, "whsec_");
	base64_encode(whsec, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	if (init_secret_form(in->p, in->source, buf_str(hex), buf_str(whsec),
	    form, &d) == 0)
		return 0;
	fprintf(stderr, "hookdir init: %s does not verify with a "
	    "shared secret, which is what init writes:\n",
	    provider_name(in->p));
	/* Its errors only: a warning about the secret confuses. */
	for (i = 0; i < d.n; i++)
		if (d.v[i].level == DIAG_ERROR)
			fprintf(stderr, "    %s\n", d.v[i].text);
	diag_release(&d);
	fprintf(stderr, "Write its source into hookdir.conf by hand, "
	    "with the sender's public_key (hookdir.conf(5)).\n");
	return EX_USAGE;
}

/*
 * DIR and the paths init names: the configuration, the secret, this
 * hookdir and hookdir.fcgi. 0, or an exit status printed.
 */
static int
init_dir(struct init *in, const char *dir)
{
	int	fresh;

	/*
	 * DIR and its missing parents 0755: the web server's user walks
	 * through them. Inside, each file gets its mode as it is created.
	 */
	fresh = access(dir, F_OK) == -1;
	umask(022);
	if (mkdir_p(dir, 0755) == -1 || (in->dir = realpath(dir, NULL)) ==
	    NULL) {
		fprintf(stderr, "hookdir init: %s: %s\n", dir,
		    strerror(errno));
		return EX_CANTCREAT;
	}
	umask(077);
	if (fresh)
		init_created(in, in->dir);
	xasprintf(&in->conf, "%s/hookdir.conf", in->dir);
	xasprintf(&in->secret, "%s/secrets/%s", in->dir, in->source);
	init_find_programs(in);
	/* The working directory and the installation are paths too. */
	if (!init_path_is_plain(in->dir) || !init_path_is_plain(in->self) ||
	    !init_path_is_plain(in->fcgi)) {
		fprintf(stderr, "hookdir init: %s, %s, %s: the printed "
		    "snippets need paths of letters, digits and /._-+@,~\n",
		    in->dir, in->self, in->fcgi);
		return EX_USAGE;
	}
	return 0;
}

/*
 * What it wrote must pass `hookdir check`; then the next steps. 0, or
 * an exit status printed.
 */
static int
init_check_and_print(const struct init *in, const char *user)
{
	struct diag	 d;
	struct config	*cf;
	const char	*why = NULL;
	int		 can_sign;

	diag_init(&d);
	cf = config_load(in->conf, &d);
	diag_print(&d);
	diag_release(&d);
	if (cf == NULL) {
		fprintf(stderr, "hookdir init: %s does not load\n", in->conf);
		return EX_SOFTWARE;
	}
	can_sign = init_can_sign(cf, in->source, &why);
	config_free(cf);
	init_print_steps(in, can_sign, why);
	fflush(stdout);
	if (geteuid() == 0 && user == NULL)
		init_warn_root(in);
	return 0;
}

int
cmd_init(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "provider",	required_argument,	NULL, 'p' },
		{ "source",	required_argument,	NULL, 's' },
		{ "user",	required_argument,	NULL, 'u' },
		{ "url",	required_argument,	NULL, 'U' },
		{ "socket",	required_argument,	NULL, 'S' },
		{ "force",	no_argument,		NULL, 'f' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct init	 in;
	struct buf	 hex = BUF_INIT, whsec = BUF_INIT;
	enum init_form	 form;
	const char	*provider = INIT_PROVIDER, *user = NULL;
	char		*url = NULL;
	int		 ch, r;

	memset(&in, 0, sizeof(in));
	in.url = INIT_URL;
	in.sock = INIT_SOCKET;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			provider = optarg;
			break;
		case 's':
			in.source = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'U':
			in.url = optarg;
			break;
		case 'S':
			in.sock = optarg;
			break;
		case 'f':
			in.force = 1;
			break;
		case 'h':
			return init_usage(1);
		default:
			return init_usage(0);
		}
	}
	if (argc - optind != 1)
		return init_usage(0);
	if ((r = init_check_args(cli, &in, provider, argv[optind])) != 0)
		return r;
	if (in.url[strlen(in.url) - 1] != '/') {
		xasprintf(&url, "%s/", in.url);
		in.url = url;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "hookdir init: libsodium failed to "
		    "initialize\n");
		free(url);
		return EX_SOFTWARE;
	}

	if ((r = init_new_secret(&in, &hex, &whsec, &form)) != 0 ||
	    (r = init_user(&in, user)) != 0 ||
	    (r = init_dir(&in, argv[optind])) != 0 ||
	    (r = init_create(&in, buf_str(&hex), buf_str(&whsec), form)) != 0)
		goto done;
	r = init_check_and_print(&in, user);
done:
	sodium_memzero(hex.data, hex.len);
	sodium_memzero(whsec.data, whsec.len);
	buf_release(&hex);
	buf_release(&whsec);
	free(in.user);
	init_release(&in);
	free(url);
	return r;
}
