/*
 * Helpers the fuzz targets share (see fuzz.h).
 */
#include "autoconf.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fuzz.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

static char	*fuzz_dir;
static pid_t	 fuzz_dir_pid;

static int
fuzz_rm_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void
fuzz_rm_tmpdir(void)
{
	/* Forked children (libFuzzer -fork, pipelines) leave it alone. */
	if (fuzz_dir != NULL && getpid() == fuzz_dir_pid)
		nftw(fuzz_dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
fuzz_tmpdir(void)
{
	struct stat	 st;
	const char	*base = "/dev/shm";

	if (fuzz_dir != NULL)
		return fuzz_dir;
	if (stat(base, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    access(base, W_OK) == -1)
		base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	xasprintf(&fuzz_dir, "%s/hookdir-fuzz-XXXXXX", base);
	if (mkdtemp(fuzz_dir) == NULL)
		fatal("mkdtemp %s", fuzz_dir);
	fuzz_dir_pid = getpid();
	atexit(fuzz_rm_tmpdir);
	return fuzz_dir;
}

char *
fuzz_path(const char *name)
{
	char	*p;

	xasprintf(&p, "%s/%s", fuzz_tmpdir(), name);
	return p;
}

void
fuzz_write(const char *path, const void *data, size_t len)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		fatal("open %s", path);
	if (write_all(fd, data, len) == -1)
		fatal("write %s", path);
	if (close(fd) == -1)
		fatal("close %s", path);
}

void
fuzz_empty_dir(const char *path)
{
	struct dirent	*de;
	DIR		*d;
	int		 dfd;

	if ((d = opendir(path)) == NULL)
		return;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		unlinkat(dfd, de->d_name, 0);
	}
	closedir(d);
}

long
fuzz_count_dir(const char *path)
{
	struct dirent	*de;
	DIR		*d;
	long		 n = 0;

	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

char *
fuzz_data_path(const char *rel)
{
	const char	*top = getenv("top_srcdir");
	char		*p;

	if (top == NULL || *top == '\0')
		top = TOP_SRCDIR;
	xasprintf(&p, "%s/t/data/%s", top, rel);
	return p;
}

void
fuzz_read_data(const char *rel, struct buf *b)
{
	char	*path = fuzz_data_path(rel);

	if (read_file(path, b, 16 * 1024 * 1024) == -1)
		fatal("%s (set top_srcdir to the source tree)", path);
	free(path);
}

void
fuzz_split(const uint8_t *data, size_t size, const uint8_t **head,
    size_t *headlen, const uint8_t **rest, size_t *restlen)
{
	size_t	i;

	*head = data;
	for (i = 0; i + 1 < size; i++) {
		if (data[i] == '\n' && data[i + 1] == '\n') {
			*headlen = i + 1;
			*rest = data + i + 2;
			*restlen = size - i - 2;
			return;
		}
	}
	*headlen = size;
	*rest = data + size;
	*restlen = 0;
}

int
fuzz_line(const uint8_t **p, const uint8_t *end, const uint8_t **line,
    size_t *len)
{
	const uint8_t	*nl;

	if (*p >= end)
		return 0;
	*line = *p;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	if (nl == NULL) {
		*len = (size_t)(end - *p);
		*p = end;
	} else {
		*len = (size_t)(nl - *p);
		*p = nl + 1;
	}
	return 1;
}
