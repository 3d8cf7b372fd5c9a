/* SPDX-License-Identifier: MIT */
/*
 * Where a report file's path leads (outfile_path.c), for outfile.c, which creates, writes and
 * commits the files.
 */
#ifndef ISIM_BENCH_OUTFILE_PATH_H
#define ISIM_BENCH_OUTFILE_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "outfile.h"

/*
 * Where a path leads. Two outputs are one file when both are standard output, when both
 * exist with the same device and inode, or when neither exists yet and their real paths are
 * equal (outputs are resolved before any is created).
 */
struct outfile_where {
	enum outfile_kind kind;
	char *target; /* OUTFILE_REPLACE: the real path */
	bool exists;
	dev_t dev;
	ino_t ino;
};

/*
 * Resolve every path of @files into @w (@n of each, at most OUTFILE_MAX), and compare them;
 * 0, or -1 after one line with nothing left to free.
 */
int outfile_resolve(const struct outfile *const *files, size_t n, struct outfile_where *w);

/* Free what outfile_resolve() put in @w. */
void outfile_where_free(struct outfile_where *w, size_t n);

/* The last component of @path (what follows its last '/'). */
const char *outfile_base_of(const char *path);

#endif /* ISIM_BENCH_OUTFILE_PATH_H */
