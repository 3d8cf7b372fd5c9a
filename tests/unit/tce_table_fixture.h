/* SPDX-License-Identifier: MIT */
/*
 * What the powerpc TCE allocator's tests (lib/arch/powerpc/, include/iommusim/tce.h) share: a
 * table per test made through the public API (CMocka setup and teardown), allocations that must
 * succeed or find no fit, and the pools' fields. Every expected entry in the tests is worked out
 * by hand in their comments from the kernel's rules (arch/powerpc/kernel/iommu.c, Linux 6.12;
 * docs/powerpc.md, docs/sources.md S20, S21). Entries are absolute (offset included), pool
 * fields relative.
 */
#ifndef TESTS_UNIT_TCE_TABLE_FIXTURE_H
#define TESTS_UNIT_TCE_TABLE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iommusim/cpu.h>
#include <iommusim/mem.h>
#include <iommusim/tce.h>
#include <iommusim/tce_replay.h>

#include "arch/powerpc/tce_table.h"
#include "failing_mem.h"

/* A mask that never limits: 52 bits of 4 KiB pages, a 64-bit DMA mask >> 12. */
#define NO_MASK UINT64_C(0xfffffffffffff)
#define NCPUS	8

struct fx {
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu[NCPUS];
	struct iommusim_tce_table *tbl;
};

static inline int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &f->mem), 0);
	for (unsigned int c = 0; c < NCPUS; c++)
		assert_int_equal(iommusim_cpu_create(f->mem, c, &f->cpu[c]), 0);
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *f = *state;

	iommusim_tce_table_destroy(f->tbl);
	for (unsigned int c = 0; c < NCPUS; c++)
		iommusim_cpu_destroy(f->cpu[c]);
	/* everything the tables took came back */
	assert_int_equal(iommusim_mem_live_objects(f->mem), 0);
	assert_int_equal(iommusim_mem_live_bytes(f->mem), 0);
	iommusim_mem_destroy(f->mem);
	free(f);
	return 0;
}

/* Replace the fixture's table; the segment boundary mask is the PCI default, 0xffffffff. */
static inline void make_bounded(struct fx *f, uint64_t offset, uint64_t size, unsigned int shift,
				uint64_t res_start, uint64_t res_end, uint64_t blocksize,
				uint64_t boundary_mask)
{
	struct iommusim_tce_config cfg = {
		.mem = f->mem,
		.offset = offset,
		.size = size,
		.page_shift = shift,
		.res_start = res_start,
		.res_end = res_end,
		.blocksize = blocksize,
		.seg_boundary_mask = boundary_mask,
	};

	iommusim_tce_table_destroy(f->tbl);
	f->tbl = NULL;
	assert_int_equal(iommusim_tce_table_create(&cfg, &f->tbl), 0);
}

static inline void make(struct fx *f, uint64_t offset, uint64_t size, unsigned int shift,
			uint64_t res_start, uint64_t res_end)
{
	make_bounded(f, offset, size, shift, res_start, res_end, 16, 0xffffffff);
}

static inline uint64_t alloc_h(struct fx *f, unsigned int cpu, uint64_t npages, uint64_t mask,
			       unsigned int align, uint64_t *handle)
{
	uint64_t entry = 0;
	int err = iommusim_tce_alloc(f->tbl, f->cpu[cpu], npages, mask, align, handle, &entry);

	if (err)
		fail_msg("alloc of %llu on CPU %u failed: %d", (unsigned long long)npages, cpu,
			 err);
	return entry;
}

static inline uint64_t alloc(struct fx *f, unsigned int cpu, uint64_t npages)
{
	return alloc_h(f, cpu, npages, NO_MASK, 0, NULL);
}

static inline struct iommusim_tce_pools pools_of(struct fx *f)
{
	struct iommusim_tce_pools p;

	iommusim_tce_get_pools(f->tbl, &p);
	return p;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

#endif /* TESTS_UNIT_TCE_TABLE_FIXTURE_H */
