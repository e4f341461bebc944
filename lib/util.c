/*
 * Small utilities (see util.h).
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "util.h"
#include "xmalloc.h"

/*
 * A number followed by an optional unit. Returns the number of
 * characters of the unit in *unit, or -1 when there is no number.
 */
static int
split_number(const char *s, double *val, const char **unit)
{
	char	*end;

	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s) && *s != '.')
		return -1;
	errno = 0;
	*val = strtod(s, &end);
	if (errno != 0 || end == s || *val < 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	*unit = end;
	return 0;
}

long long
parse_duration_ms(const char *s)
{
	static const struct {
		const char	*unit;
		double		 ms;
	} units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "sec", 1000 },
		{ "m", 60000 }, { "min", 60000 }, { "h", 3600000 },
		{ "d", 86400000 }, { "w", 604800000 },
	};
	const char	*unit;
	double		 v;
	size_t		 i;

	if (s == NULL || split_number(s, &v, &unit) == -1)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].unit) == 0) {
			v *= units[i].ms;
			if (v > (double)LLONG_MAX / 2)
				return -1;
			return (long long)v;
		}
	}
	return -1;
}

long long
parse_size(const char *s)
{
	const char	*unit;
	double		 v, mul;

	if (s == NULL || split_number(s, &v, &unit) == -1)
		return -1;
	switch (toupper((unsigned char)unit[0])) {
	case '\0':
		mul = 1;
		break;
	case 'K':
		mul = 1024.0;
		break;
	case 'M':
		mul = 1024.0 * 1024;
		break;
	case 'G':
		mul = 1024.0 * 1024 * 1024;
		break;
	default:
		return -1;
	}
	/* "25M", "25MB", "25MiB" */
	if (unit[0] != '\0' && unit[1] != '\0' && strcasecmp(unit + 1, "B") != 0 &&
	    strcasecmp(unit + 1, "iB") != 0)
		return -1;
	if (unit[0] == '\0' && v != (double)(long long)v)
		return -1;
	v *= mul;
	if (v > (double)LLONG_MAX / 2)
		return -1;
	return (long long)v;
}

/* At most max characters, each of [A-Za-z0-9._-]. */
static int
name_chars_ok(const char *s, size_t max)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max)
			return 0;
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '_' && s[i] != '-')
			return 0;
	}
	return 1;
}

int
name_is_valid(const char *s)
{
	if (s == NULL || !isalnum((unsigned char)s[0]))
		return 0;
	return name_chars_ok(s, 64);
}

int
spool_id_is_valid(const char *s)
{
	if (s == NULL || s[0] == '\0' || s[0] == '.')
		return 0;
	return name_chars_ok(s, 200);
}

static int
host_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '-';
}

int
host_name_is_valid(const char *s)
{
	size_t	i;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= HOST_NAME_LEN || !host_char_ok(s[i]))
			return 0;
	return 1;
}

void
host_name_default(char buf[HOST_NAME_LEN + 1])
{
	char	name[256];
	size_t	i;

	memset(name, 0, sizeof(name));
	if (gethostname(name, sizeof(name) - 1) == -1 || name[0] == '\0')
		snprintf(name, sizeof(name), "localhost");
	/* One safe path component, as spool ids must be. */
	for (i = 0; i < HOST_NAME_LEN && name[i] != '\0'; i++)
		buf[i] = host_char_ok(name[i]) ? name[i] : '-';
	buf[i] = '\0';
}

int
database_is_postgresql(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 ||
	    strncmp(s, "postgres://", 11) == 0;
}

int
cidr_parse(const char *s, struct cidr *c)
{
	char		 host[INET6_ADDRSTRLEN + 1];
	const char	*slash;
	char		*end;
	size_t		 len;
	long		 prefix;

	memset(c, 0, sizeof(*c));
	slash = strchr(s, '/');
	len = slash ? (size_t)(slash - s) : strlen(s);
	if (len == 0 || len >= sizeof(host))
		return -1;
	memcpy(host, s, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->family = AF_INET;
		c->prefix = 32;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->family = AF_INET6;
		c->prefix = 128;
	} else
		return -1;
	if (slash != NULL) {
		if (!isdigit((unsigned char)slash[1]))
			return -1;
		errno = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (errno != 0 || *end != '\0' || prefix < 0 ||
		    prefix > c->prefix)
			return -1;
		c->prefix = (int)prefix;
	}
	return 0;
}

static int
prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
	int	full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[full] ^ b[full]) & (0xff << (8 - rest))) == 0;
}

int
cidr_match(const struct cidr *c, const char *addr)
{
	static const unsigned char v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	unsigned char	a[16];

	if (addr == NULL)
		return 0;
	if (inet_pton(AF_INET, addr, a) == 1) {
		if (c->family == AF_INET)
			return prefix_equal(a, c->addr, c->prefix);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, a) != 1)
		return 0;
	if (c->family == AF_INET6)
		return prefix_equal(a, c->addr, c->prefix);
	/* An IPv4 client seen through an IPv6 socket: ::ffff:a.b.c.d */
	if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0)
		return prefix_equal(a + 12, c->addr, c->prefix);
	return 0;
}

void
now_timeval(long long *sec, long *usec)
{
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	*sec = (long long)tv.tv_sec;
	*usec = (long)tv.tv_usec;
}

long long
monotonic_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* n as width decimal digits at p, zero-padded. */
static void
put_digits(char *p, unsigned long n, int width)
{
	while (width-- > 0) {
		p[width] = (char)('0' + n % 10);
		n /= 10;
	}
}

void
format_rfc3339(char *buf, size_t len, long long sec, long usec)
{
	struct tm	tm;
	time_t		t = (time_t)sec;
	char		base[32];
	size_t		n;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 || usec < 0 ||
	    usec > 999999) {
		strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(buf, len, "%s.%06ldZ", base, usec);
		return;
	}
	/*
	 * By hand: the worker writes some ten of them an event, and
	 * strftime and snprintf cost ten times as much.
	 */
	memcpy(base, "0000-00-00T00:00:00.000000Z", 28);
	put_digits(base, (unsigned long)tm.tm_year + 1900, 4);
	put_digits(base + 5, (unsigned long)tm.tm_mon + 1, 2);
	put_digits(base + 8, (unsigned long)tm.tm_mday, 2);
	put_digits(base + 11, (unsigned long)tm.tm_hour, 2);
	put_digits(base + 14, (unsigned long)tm.tm_min, 2);
	put_digits(base + 17, (unsigned long)tm.tm_sec, 2);
	put_digits(base + 20, (unsigned long)usec, 6);
	if (len > 0) {
		n = len - 1 < 27 ? len - 1 : 27;
		memcpy(buf, base, n);
		buf[n] = '\0';
	}
}

int
ascii_casecmp(const char *a, const char *b)
{
	int	ca, cb;

	do {
		ca = tolower((unsigned char)*a++);
		cb = tolower((unsigned char)*b++);
	} while (ca == cb && ca != '\0');
	return ca - cb;
}

int
ascii_ncasecmp(const char *a, const char *b, size_t n)
{
	int	ca = 0, cb = 0;

	while (n-- > 0) {
		ca = tolower((unsigned char)*a++);
		cb = tolower((unsigned char)*b++);
		if (ca != cb || ca == '\0')
			break;
	}
	return ca - cb;
}

int
write_all(int fd, const void *p, size_t len)
{
	const char	*s = p;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, s, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int
read_fd(int fd, struct buf *b, size_t max)
{
	char	 chunk[8192];
	ssize_t	 n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		if (b->len + (size_t)n > max) {
			errno = EFBIG;
			return -1;
		}
		buf_add(b, chunk, (size_t)n);
	}
	if (b->data == NULL)
		buf_grow(b, 0);
	return 0;
}

int
read_file(const char *path, struct buf *b, size_t max)
{
	int	 fd, r, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	r = read_fd(fd, b, max);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

int
fsync_dir(const char *path)
{
	int	fd, r, saved;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

char *
path_absolute(const char *path)
{
	char	 cwd[PATH_MAX], *r;

	if (path[0] == '/')
		return xstrdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	xasprintf(&r, "%s/%s", cwd, path);
	return r;
}

int
mkdir_p(const char *path, mode_t mode)
{
	char	*p, *slash;
	int	 r, saved;

	/* Usually only the last component is missing: try it first. */
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -1;
	p = xstrdup(path);
	r = 0;
	for (slash = p + 1; r == 0 && (slash = strchr(slash, '/')) != NULL;
	    slash++) {
		*slash = '\0';
		if (mkdir(p, mode) == -1 && errno != EEXIST)
			r = -1;
		*slash = '/';
	}
	if (r == 0 && mkdir(p, mode) == -1 && errno != EEXIST)
		r = -1;
	saved = errno;
	free(p);
	errno = saved;
	return r;
}

/*
 * Remove name under dirfd, a file or a whole tree, without following
 * symbolic links. A step may have left directories without write
 * permission (read-only checkouts): they are made writable first.
 */
int
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

size_t
utf8_prefix(const char *s, size_t max, size_t *cols)
{
	size_t	n, c = 0;

	for (n = 0; s[n] != '\0'; n++)
		if (((unsigned char)s[n] & 0xc0) != 0x80 && c++ == max) {
			c--;
			break;
		}
	if (cols != NULL)
		*cols = c;
	return n;
}
