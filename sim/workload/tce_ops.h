/* SPDX-License-Identifier: MIT */
/*
 * TCE op scripts (the format of tests/data/golden/tce/README.md): the parsed form shared by
 * the parser (tce_ops_parse.c) and the runner (tce_ops_run.c).
 */
#ifndef ISIM_WORKLOAD_TCE_OPS_H
#define ISIM_WORKLOAD_TCE_OPS_H

#include <stddef.h>
#include <stdint.h>
#include <iommusim/mem.h>

/* Handle slots a script can name: 0 .. TCE_HANDLE_SLOTS - 1. */
#define TCE_HANDLE_SLOTS 64
/* The segment boundary mask a `table` without BOUNDARY has: every PCI device's default. */
#define TCE_DEFAULT_BOUNDARY 0xffffffffull
/* arg[4] of an `alloc` without HANDLE. */
#define TCE_NO_HANDLE UINT64_MAX

enum tce_op_kind {
	TCE_OP_TABLE,
	TCE_OP_ALLOC,
	TCE_OP_FREE,
	TCE_OP_HANDLE,
	TCE_OP_INUSE,
	TCE_OP_WEIGHT,
	TCE_OP_POOLS,
	TCE_OP_RESERVED,
};

/*
 * One op, its fields in script order: table OFFSET SIZE PAGE_SHIFT RES_START RES_END
 * BLOCKSIZE BOUNDARY (the default filled in); alloc CPU NPAGES MASK ALIGN_ORDER HANDLE
 * (TCE_NO_HANDLE when absent); free ENTRY NPAGES; handle HANDLE VALUE.
 */
struct tce_op {
	uint32_t kind;
	uint32_t line;
	uint64_t arg[7];
};

struct tce_script {
	struct iommusim_mem *mem;
	struct tce_op *ops;
	size_t nops;
	size_t cap;
	/* One more than the highest CPU number an `alloc` names (0: none). */
	unsigned int ncpus;
};

/*
 * Parse and check the whole of @text (@len bytes), the ops allocated from @mem. On an input
 * error returns -EINVAL with a "NAME:LINE: FIELD: problem" message in @errbuf; -ENOMEM when
 * out of memory. On failure nothing stays allocated.
 */
int isim_tce_script_parse(struct iommusim_mem *mem, const char *text, size_t len, const char *name,
			  struct tce_script *script, char *errbuf, size_t errlen);
void isim_tce_script_free(struct tce_script *script);

#endif /* ISIM_WORKLOAD_TCE_OPS_H */
