/* SPDX-License-Identifier: MIT */
/**
 * @file tce_replay.h  Replaying powerpc TCE allocator op scripts (the format of
 * tests/data/golden/tce/README.md).
 *
 * A script is a list of operations on a TCE table, one per line (`table 0x0 0x80000 12 0x0 0x0
 * 16`, `alloc 0 1 0xfffffffffffff 0`, `free 0x10 1`, `pools`, ...). Replaying it prints exactly
 * what the Linux 6.12 allocator answers to each op, so a script's output can be compared byte
 * for byte with a reference (docs/powerpc.md).
 */
#ifndef IOMMUSIM_TCE_REPLAY_H
#define IOMMUSIM_TCE_REPLAY_H

#include <stddef.h>
#include <stdio.h>
#include <iommusim/export.h>
#include <iommusim/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct iommusim_tce_replay_opts - how to replay.
 * @mem: memory context for everything the replay allocates (the script, its parsed form, the
 *       output buffer, the tables and CPUs), all given back before the call returns; NULL: a
 *       context of the replay's own.
 */
struct iommusim_tce_replay_opts {
	struct iommusim_mem *mem;
};

/**
 * iommusim_tce_replay() - check a whole script, then run it.
 * @in:     the script.
 * @name:   its name in error messages (a path, or "<stdin>").
 * @opts:   options, or NULL for the defaults.
 * @out:    where results go; nothing is written to it when the script has an input error.
 * @errbuf: receives a one-line message ("NAME:LINE: FIELD: problem") on failure.
 * @errlen: size of @errbuf.
 *
 * Return: 0; -EINVAL for an input error (an unknown op, a wrong number of fields, a malformed
 * number or one above 2^64 - 1, a value the kernel functions cannot take, an op before the
 * first `table`); -EIO if @in cannot be read or @out written; -ENOMEM when the memory
 * context refused an allocation: the output then stops short.
 */
IOMMUSIM_API int iommusim_tce_replay(FILE *in, const char *name,
				     const struct iommusim_tce_replay_opts *opts, FILE *out,
				     char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_TCE_REPLAY_H */
