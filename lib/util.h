/*
 * Small utilities: durations and sizes as the configuration writes them,
 * names that may become path components, CIDR matching, times.
 */
#ifndef HOOKDIR_UTIL_H
#define HOOKDIR_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* "30s", "5m", "2h", "1d", "250ms", "10" (seconds) -> milliseconds; -1 if malformed. */
long long	parse_duration_ms(const char *);
/* "25M", "512k", "1G", "1000" (bytes) -> bytes; -1 if malformed. */
long long	parse_size(const char *);

/* [A-Za-z0-9][A-Za-z0-9._-]{0,63}: a source, pipeline, job or secret name. */
int	name_is_valid(const char *);
/* A spool id: [A-Za-z0-9._-]{1,200}, no leading dot. */
int	spool_id_is_valid(const char *);

/*
 * A host name as hookdir records it and ends spool ids with:
 * [A-Za-z0-9.-]{1,63}. host_name_default() writes this machine's
 * (gethostname), each other byte made '-' and cut at 63 bytes,
 * "localhost" when it has none.
 */
#define HOST_NAME_LEN	63
int	host_name_is_valid(const char *);
void	host_name_default(char buf[HOST_NAME_LEN + 1]);

/* A "database" that names PostgreSQL: postgresql:// or postgres://. */
int	database_is_postgresql(const char *);

/* A CIDR block, IPv4 or IPv6 ("10.0.0.0/8", "::1", "2001:db8::/32"). */
struct cidr {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];
	int		prefix;
};
int	cidr_parse(const char *, struct cidr *);		/* 0 ok, -1 bad */
/* Does the textual address (IPv4, IPv6, or IPv4-mapped IPv6) fall in the block? */
int	cidr_match(const struct cidr *, const char *addr);

/* Current wall-clock time with microseconds. */
void	now_timeval(long long *sec, long *usec);
/* A clock for timeouts, in milliseconds: never set back. */
long long monotonic_ms(void);
/* RFC 3339 UTC with microseconds: 2026-11-22T05:00:54.123456Z (buf >= 32). */
void	format_rfc3339(char *buf, size_t len, long long sec, long usec);

/* Case-insensitive ASCII comparison helpers. */
int	ascii_casecmp(const char *, const char *);
int	ascii_ncasecmp(const char *, const char *, size_t);

/* Write all of buf to fd, retrying on EINTR and short writes: 0 or -1. */
int	write_all(int fd, const void *buf, size_t len);
/*
 * Append a whole file, or what fd gives until end of file, to a buffer
 * (at most max bytes; more is EFBIG): 0 or -1 (errno).
 */
struct buf;
int	read_file(const char *path, struct buf *, size_t max);
int	read_fd(int fd, struct buf *, size_t max);

/* fsync a directory by path: 0 or -1. */
int	fsync_dir(const char *path);
/* mkdir -p: create path and its missing parents with mode: 0 or -1 (errno). */
int	mkdir_p(const char *path, mode_t mode);
/*
 * rm -rf name under the directory parent (an fd), without following
 * symbolic links; directories a step left without write permission are
 * made writable first: 0 or -1 (errno).
 */
int	rm_tree(int parent, const char *name);
/*
 * path made absolute against the current directory, as written (not
 * resolved): a new string, or NULL when getcwd(3) fails.
 */
char	*path_absolute(const char *path);

/*
 * The bytes of UTF-8 text s that fill at most max terminal columns, one
 * column a character, never cutting one; *cols gets the columns they
 * take. With max (size_t)-1: all of s, and its width.
 */
size_t	utf8_prefix(const char *s, size_t max, size_t *cols);

#endif
