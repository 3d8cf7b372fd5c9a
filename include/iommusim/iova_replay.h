/* SPDX-License-Identifier: MIT */
/**
 * @file iova_replay.h  Replaying IOVA allocator op scripts (the format of docs/iova-ops.md).
 *
 * A script is a list of allocator operations, one per line (`init 4096 1`, `alloc 4 0xfffff 1`,
 * `fast 1 0xfffff 1`, `dump`, ...). Replaying it prints exactly what the Linux allocator
 * returns for each op, so a script's output can be compared byte for byte with a reference.
 */
#ifndef IOMMUSIM_IOVA_REPLAY_H
#define IOMMUSIM_IOVA_REPLAY_H

#include <stddef.h>
#include <stdio.h>
#include <iommusim/export.h>
#include <iommusim/iova.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct iommusim_iova_replay_opts - how to replay.
 * @depot: depot form of every domain the script creates (the reference output assumes
 *         IOMMUSIM_IOVA_DEPOT_LIST, Linux 6.7+).
 * @mem:   memory context for everything the replay allocates (the script, its parsed form,
 *         the output buffer, the allocator's domains, CPUs and clock), all given back before
 *         the call returns; NULL: a context of the replay's own.
 */
struct iommusim_iova_replay_opts {
	enum iommusim_iova_depot depot;
	struct iommusim_mem *mem;
};

/**
 * iommusim_iova_replay() - check a whole script, then run it.
 * @in:     the script.
 * @name:   its name in error messages (a path, or "<stdin>").
 * @opts:   options, or NULL for the defaults.
 * @out:    where results go; nothing is written to it when the script has an input error.
 * @errbuf: receives a one-line message ("NAME:LINE: FIELD: problem") on failure.
 * @errlen: size of @errbuf.
 *
 * Return: 0; -EINVAL for an input error (a malformed or unknown op, a value the kernel API
 * would not accept, an op before `init`); -EIO if @in cannot be read or @out written; -ENOMEM
 * when the memory context refused an allocation, wherever it was (also one the allocator
 * would work around, which would change its answers): the output then stops short.
 */
IOMMUSIM_API int iommusim_iova_replay(FILE *in, const char *name,
				      const struct iommusim_iova_replay_opts *opts, FILE *out,
				      char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_IOVA_REPLAY_H */
