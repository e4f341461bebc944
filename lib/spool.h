/*
 * The spool: a maildir (tmp/ new/ cur/ done/ failed/) shared by the
 * responder, which delivers into new/, and the worker, which claims
 * from new/ into cur/ and retires into done/ or failed/.
 *
 * Delivery follows qmail's protocol: create tmp/ID with O_EXCL, write,
 * fsync, rename to new/ID, fsync new/. Only then is the event acknowledged.
 */
#ifndef HOOKDIR_SPOOL_H
#define HOOKDIR_SPOOL_H

#include <stddef.h>
#include <sys/uio.h>

#define SPOOL_ID_MAX	128

struct spool {
	char	*dir;		/* the spool's own path */
	int	 dirfd;
	int	 tmpfd;		/* tmp/ */
	int	 newfd;		/* new/ */
	/* queue depth cache for max_queue checks */
	long	 depth;
	long long depth_checked_ms;
};

/*
 * Open the spool at dir; with create, make dir and its five
 * subdirectories (mode 0770 & ~umask) where missing. 0 or -1 (errno).
 */
int	spool_open(struct spool *, const char *dir, int create);
void	spool_close(struct spool *);

/*
 * A new unique id: SECONDS.M<usec>P<pid>R<random hex>.<host>, with the
 * host set by spool_set_host() (the configuration's "host"), else this
 * machine's name (host_name_default()).  Writers on several hosts share
 * one spool safely: the time, pid and 64 random bits already tell ids
 * apart, the host tells the reader where each came from, and delivery
 * never replaces a file in new/ (see spool_deliver()).
 */
void	spool_new_id(char id[SPOOL_ID_MAX]);
/* host must pass host_name_is_valid(); NULL: this machine's name again. */
void	spool_set_host(const char *host);

/*
 * Deliver a message as new/ID: write the iovecs to tmp/ID (0600,
 * O_EXCL|O_NOFOLLOW), fsync, rename to new/ID, fsync new/.
 * 0 on success; -1 with errno set, and nothing left in new/.
 */
int	spool_deliver(struct spool *, const char *id, const struct iovec *,
	    int iovcnt);

/*
 * How many messages wait in new/. Counted with one directory scan at most
 * every max_age_ms milliseconds; between scans, the cached figure.
 */
long	spool_depth(struct spool *, long long max_age_ms);

/* Count entries of a subdirectory ("new", "cur", ...); -1 on error. */
long	spool_count(struct spool *, const char *sub);

/*
 * Claiming (the worker's side). spool_claim() renames new/ID to cur/ID
 * (only one claimer wins: others get -1 with errno ENOENT), opens it and
 * takes an exclusive flock, returning the open fd. spool_recover() takes
 * a file already in cur/ whose lock is free (its claimer died); -1 with
 * EWOULDBLOCK while a live worker holds it. spool_retire() moves cur/ID to
 * done/ID or failed/ID and closes fd (which releases the lock).
 */
int	spool_claim(struct spool *, const char *id);
int	spool_recover(struct spool *, const char *id);
int	spool_retire(struct spool *, const char *id, int fd, const char *to);

/*
 * Names in a subdirectory, oldest first (names begin with the time),
 * skipping dot files. *ids is a malloc'd array of malloc'd strings;
 * free with spool_list_free(). Returns the count or -1.
 */
long	spool_list(struct spool *, const char *sub, char ***ids);
void	spool_list_free(char **, long);

/* Path of ID in sub, into buf: 0 or -1 if it does not fit. */
int	spool_path(const struct spool *, const char *sub, const char *id,
	    char *buf, size_t len);

#endif
