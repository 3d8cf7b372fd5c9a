/* SPDX-License-Identifier: MIT */
/* IOVA op scripts: the parsed form shared by the parser and the runner. */
#ifndef ISIM_WORKLOAD_IOVA_OPS_H
#define ISIM_WORKLOAD_IOVA_OPS_H

#include <stddef.h>
#include <stdint.h>
#include <iommusim/mem.h>

enum iova_op_kind {
	OP_INIT,
	OP_NCPUS,
	OP_CPU,
	OP_ALLOC,
	OP_FREE,
	OP_RESERVE,
	OP_FAST,
	OP_FFREE,
	OP_DRAIN,
	OP_TICK,
	OP_DUMP,
	OP_FIND,
	OP_CPUDEAD,
	OP_RCACHE,
	OP_CACHED,
	OP_PENDING,
};

/*
 * One op as it runs: 24 bytes, so that a long script's op array is three quarters of what it
 * was with a third 64-bit field. No op has more than two fields that need 64 bits: the third
 * field of `alloc` and `fast` (ALIGNED, FLUSH) is 0 or 1. The line number is not kept: every
 * error that names a line is found while parsing.
 */
struct iova_op {
	uint32_t kind;
	/* ALIGNED of alloc, FLUSH of fast */
	uint32_t flag;
	uint64_t arg[2];
};

struct iova_script {
	struct iommusim_mem *mem;
	struct iova_op *ops;
	size_t nops;
	size_t cap;
	/* CPUs the script can touch: every domain gets per-CPU caches for this many. */
	unsigned int possible_cpus;
};

/*
 * Parse and check the whole of @text (@len bytes), the ops allocated from @mem. On an input
 * error returns -EINVAL with a "NAME:LINE: FIELD: problem" message in @errbuf; -ENOMEM when
 * out of memory. On failure nothing stays allocated.
 */
int isim_iova_script_parse(struct iommusim_mem *mem, const char *text, size_t len, const char *name,
			   struct iova_script *script, char *errbuf, size_t errlen);
void isim_iova_script_free(struct iova_script *script);

#endif /* ISIM_WORKLOAD_IOVA_OPS_H */
