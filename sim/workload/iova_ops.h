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

struct iova_op {
	uint32_t kind;
	uint32_t line;
	uint64_t arg[3];
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
