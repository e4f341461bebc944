/*
 * What the libFuzzer targets in t/fuzz/ share: a scratch directory, small
 * file helpers, and the source tree's test data. Each target is one
 * LLVMFuzzerTestOneInput() over one entry point of lib/, cgi/ or worker/.
 *
 * Build them with ./configure --enable-fuzz CC=clang && make fuzz-targets;
 * `make fuzz-smoke` runs each briefly. To fuzz one for longer, keep what
 * it finds out of the source tree:
 *	mkdir new && t/fuzz/fuzz-expr -max_total_time=3600 new \
 *	    $srcdir/t/fuzz/corpus/expr
 * t/fuzz/corpus/TARGET/ holds the seeds and every input that once
 * crashed the target (regress-*); `fuzz-TARGET FILE...` runs just those.
 */
#ifndef HOOKDIR_FUZZ_H
#define HOOKDIR_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct buf;

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A scratch directory for this process (under /dev/shm when there is
 * one, so that fsync costs nothing), removed at exit. Fatal on failure.
 */
const char	*fuzz_tmpdir(void);
/* The path of name inside fuzz_tmpdir() (malloc'd). */
char		*fuzz_path(const char *name);
/* Write len bytes to path (created or truncated, mode 0600); fatal on error. */
void		 fuzz_write(const char *path, const void *data, size_t len);
/* Remove every entry of directory path (not the directory itself). */
void		 fuzz_empty_dir(const char *path);
/* Number of entries in directory path (dot files left out). */
long		 fuzz_count_dir(const char *path);
/* The source tree's t/data/REL, read into b (fatal if missing). */
void		 fuzz_read_data(const char *rel, struct buf *b);
/* The path of the source tree's t/data/REL (malloc'd). */
char		*fuzz_data_path(const char *rel);

/*
 * Split an input at its first blank line ("\n\n"): the head (before it)
 * and the rest. Without a blank line all of it is head and the rest is
 * empty. Neither is NUL-terminated.
 */
void		 fuzz_split(const uint8_t *data, size_t size,
		    const uint8_t **head, size_t *headlen,
		    const uint8_t **rest, size_t *restlen);
/* The next line of [*p, end) (without its '\n'); 0 when none is left. */
int		 fuzz_line(const uint8_t **p, const uint8_t *end,
		    const uint8_t **line, size_t *len);

#endif
