/*
 * The maildir spool (see spool.h).
 */
#include "autoconf.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "spool.h"
#include "util.h"
#include "xmalloc.h"

static const char *spool_subdirs[] = { "tmp", "new", "cur", "done", "failed" };

int
spool_open(struct spool *sp, const char *dir, int create)
{
	char	path[PATH_MAX];
	size_t	i;
	int	saved;

	memset(sp, 0, sizeof(*sp));
	sp->dirfd = sp->tmpfd = sp->newfd = -1;
	sp->depth = -1;
	if (create) {
		if (mkdir_p(dir, 0770) == -1)
			return -1;
		for (i = 0; i < sizeof(spool_subdirs) / sizeof(*spool_subdirs);
		    i++) {
			if (snprintf(path, sizeof(path), "%s/%s", dir,
			    spool_subdirs[i]) >= (int)sizeof(path)) {
				errno = ENAMETOOLONG;
				return -1;
			}
			if (mkdir(path, 0770) == -1 && errno != EEXIST)
				return -1;
		}
	}
	sp->dir = xstrdup(dir);
	if ((sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (sp->tmpfd = openat(sp->dirfd, "tmp",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (sp->newfd = openat(sp->dirfd, "new",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		saved = errno;
		spool_close(sp);
		errno = saved;
		return -1;
	}
	return 0;
}

void
spool_close(struct spool *sp)
{
	if (sp->newfd != -1)
		close(sp->newfd);
	if (sp->tmpfd != -1)
		close(sp->tmpfd);
	if (sp->dirfd != -1)
		close(sp->dirfd);
	free(sp->dir);
	memset(sp, 0, sizeof(*sp));
	sp->dirfd = sp->tmpfd = sp->newfd = -1;
}

static char	spool_host[HOST_NAME_LEN + 1];

void
spool_set_host(const char *host)
{
	if (host == NULL || !host_name_is_valid(host))
		spool_host[0] = '\0';
	else
		snprintf(spool_host, sizeof(spool_host), "%s", host);
}

void
spool_new_id(char id[SPOOL_ID_MAX])
{
	unsigned char	 rnd[8];
	char		 hex[sizeof(rnd) * 2 + 1];
	struct timeval	 tv;

	if (spool_host[0] == '\0')
		host_name_default(spool_host);
	if (sodium_init() == -1)
		abort();
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	gettimeofday(&tv, NULL);
	snprintf(id, SPOOL_ID_MAX, "%lld.M%06ldP%ldR%s.%s",
	    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), hex,
	    spool_host);
}

/*
 * Files are private to the spool's owner, unless the administrator made
 * new/ group-writable to share the spool between a web-server user and
 * a worker user: then the group may read them too. Nothing secret is
 * ever written into the spool.
 */
static mode_t
spool_file_mode(const struct spool *sp)
{
	struct stat	st;

	if (fstat(sp->newfd, &st) == 0 && (st.st_mode & S_IWGRP))
		return 0640;
	return 0600;
}

static int
writev_all(int fd, const struct iovec *iov, int iovcnt)
{
	struct iovec	 local[16];
	ssize_t		 n;
	int		 i;

	while (iovcnt > 0) {
		if (iovcnt > 16) {
			for (i = 0; i < iovcnt; i++)
				if (write_all(fd, iov[i].iov_base,
				    iov[i].iov_len) == -1)
					return -1;
			return 0;
		}
		memcpy(local, iov, sizeof(*iov) * (size_t)iovcnt);
		iov = local;
		n = writev(fd, local, iovcnt);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		/* Skip what was written; go on with the rest. */
		while (iovcnt > 0 && (size_t)n >= local[0].iov_len) {
			n -= (ssize_t)local[0].iov_len;
			memmove(local, local + 1,
			    sizeof(*local) * (size_t)(iovcnt - 1));
			iovcnt--;
		}
		if (iovcnt > 0 && n > 0) {
			local[0].iov_base = (char *)local[0].iov_base + n;
			local[0].iov_len -= (size_t)n;
		}
	}
	return 0;
}

/*
 * rename(2) would silently replace an existing new/ID; ids are unique,
 * but the spool must never lose an acknowledged file even if one were
 * not. RENAME_NOREPLACE where the filesystem has it, else qmail's
 * link-then-unlink (NFS).
 */
static int
move_noreplace(int fromfd, int tofd, const char *name)
{
#ifdef HAVE_RENAMEAT2
	if (renameat2(fromfd, name, tofd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
#endif
	if (linkat(fromfd, name, tofd, name, 0) == -1)
		return -1;
	unlinkat(fromfd, name, 0);
	return 0;
}

int
spool_deliver(struct spool *sp, const char *id, const struct iovec *iov,
    int iovcnt)
{
	int	fd, saved;

	if (!spool_id_is_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	fd = openat(sp->tmpfd, id,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    spool_file_mode(sp));
	if (fd == -1)
		return -1;
	if (writev_all(fd, iov, iovcnt) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		unlinkat(sp->tmpfd, id, 0);
		errno = saved;
		return -1;
	}
	if (close(fd) == -1) {
		saved = errno;
		unlinkat(sp->tmpfd, id, 0);
		errno = saved;
		return -1;
	}
	if (move_noreplace(sp->tmpfd, sp->newfd, id) == -1) {
		saved = errno;
		unlinkat(sp->tmpfd, id, 0);
		errno = saved;
		return -1;
	}
	/*
	 * The rename is durable only once the directory is: without this
	 * fsync a crash could lose an event that was acknowledged. If it
	 * fails the file stays in new/ (complete) and the sender, who gets
	 * an error, retries: at-least-once, deduplicated by delivery id.
	 */
	if (fsync(sp->newfd) == -1)
		return -1;
	if (sp->depth >= 0)
		sp->depth++;
	return 0;
}

static long
count_dirfd(int dfd)
{
	struct dirent	*de;
	DIR		*d;
	long		 n = 0;

	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

long
spool_count(struct spool *sp, const char *sub)
{
	int	dfd;

	dfd = openat(sp->dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1)
		return -1;
	return count_dirfd(dfd);
}

long
spool_depth(struct spool *sp, long long max_age_ms)
{
	long long	now = monotonic_ms();
	long		n;

	if (sp->depth >= 0 && now - sp->depth_checked_ms < max_age_ms)
		return sp->depth;
	n = spool_count(sp, "new");
	if (n >= 0) {
		sp->depth = n;
		sp->depth_checked_ms = now;
	}
	return n;
}

int
spool_path(const struct spool *sp, const char *sub, const char *id,
    char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/%s/%s", sp->dir, sub, id) >= (int)len)
		return -1;
	return 0;
}

static int
open_locked(struct spool *sp, const char *sub, const char *id)
{
	char	path[PATH_MAX];
	int	fd, saved;

	if (!spool_id_is_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	if (spool_path(sp, sub, id, path, sizeof(path)) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/*
	 * Read-only: flock needs no more, and in a spool shared by group
	 * the worker may read the responder's files (0640), not write them.
	 */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * The lock is taken while the file is still in new/ and travels with
 * it through the rename: there is no moment when a file sits in cur/
 * unlocked while its claimer lives, so a free lock in cur/ always means
 * a dead claimer.
 */
int
spool_claim(struct spool *sp, const char *id)
{
	char	from[PATH_MAX], to[PATH_MAX];
	int	fd, saved;

	if ((fd = open_locked(sp, "new", id)) == -1)
		return -1;
	if (spool_path(sp, "new", id, from, sizeof(from)) == -1 ||
	    spool_path(sp, "cur", id, to, sizeof(to)) == -1 ||
	    rename(from, to) == -1) {
		/* ENOENT: another worker claimed and finished it. */
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
spool_recover(struct spool *sp, const char *id)
{
	return open_locked(sp, "cur", id);
}

int
spool_retire(struct spool *sp, const char *id, int fd, const char *to)
{
	char	from[PATH_MAX], dst[PATH_MAX];
	int	r = 0, saved = 0;

	if (spool_path(sp, "cur", id, from, sizeof(from)) == -1 ||
	    spool_path(sp, to, id, dst, sizeof(dst)) == -1) {
		errno = ENAMETOOLONG;
		r = -1;
	} else if (rename(from, dst) == -1)
		r = -1;
	saved = errno;
	if (fd != -1)
		close(fd);
	errno = saved;
	return r;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

long
spool_list(struct spool *sp, const char *sub, char ***ids)
{
	struct dirent	*de;
	DIR		*d;
	char		**v = NULL;
	size_t		 n = 0, cap = 0;
	int		 dfd;

	*ids = NULL;
	dfd = openat(sp->dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1)
		return -1;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), cmp_names);
	*ids = v;
	return (long)n;
}

void
spool_list_free(char **ids, long n)
{
	long	i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}
