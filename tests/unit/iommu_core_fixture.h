/* SPDX-License-Identifier: MIT */
/*
 * The rig of the IOMMU core's tests (lib/core: map.c, gather.c, domain.c, device.c): a domain of
 * the mock paging-domain driver (common/mock_iommu.h), which keeps a software page table of
 * leaves (iova, paddr, page size), logs every driver call with its arguments and fails on
 * request, and the checks of that log. Every expected call sequence is worked out in the
 * tests' comments from Linux drivers/iommu/iommu.c.
 */
#ifndef TESTS_UNIT_IOMMU_CORE_FIXTURE_H
#define TESTS_UNIT_IOMMU_CORE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <iommusim/cpu.h>
#include <iommusim/device.h>
#include <iommusim/iommu.h>
#include <iommusim/mem.h>

#include "base/memory.h"
#include "base/rcu.h"
#include "core/domain_impl.h"
#include "fields.h"
#include "mock_iommu.h"
#include "sizes.h"
#include "fixture_state.h"
#define MOCK_CALL(field, value) FIELD(struct mock_call, field, value)

#define PGS_4K	     SZ_4K
#define PGS_4K_2M_1G (SZ_4K | SZ_2M | SZ_1G)

#define RW (IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE)

/* ----------------------------------------------------------------------------------------- */
/* Fixture and checks                                                                          */
/* ----------------------------------------------------------------------------------------- */

struct fix {
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu;
	struct mock_domain *m;
	struct iommusim_domain *d;
};

/* A mock domain over [0, 2^48 - 1] (@bitmap 0: no page size at all) logging every call. */
static inline struct mock_domain *mock_new(struct iommusim_mem *mem, enum mock_driver driver,
					   uint64_t bitmap, enum iommusim_kernel kernel)
{
	struct mock_domain_cfg cfg = {
		.pgsize_bitmap = bitmap,
		.empty_pgsizes = !bitmap,
		.kernel = kernel,
		.log = MOCK_LOG_ALL,
		.driver = driver,
	};
	struct mock_domain *m = NULL;

	assert_int_equal(mock_domain_create(mem, &cfg, &m), 0);
	return m;
}

/* libc backend, so that ASan sees every object whatever allocator the library was built with. */
static inline void fix_init_ops(struct fix *f, enum mock_driver driver, uint64_t bitmap,
				enum iommusim_kernel kernel)
{
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &f->mem), 0);
	assert_int_equal(iommusim_cpu_create(f->mem, 0, &f->cpu), 0);
	f->m = mock_new(f->mem, driver, bitmap, kernel);
	f->d = mock_dom(f->m);
}

static inline void fix_init(struct fix *f, uint64_t bitmap, enum iommusim_kernel kernel)
{
	fix_init_ops(f, MOCK_DRIVER_FULL, bitmap, kernel);
}

static inline void fix_fini(struct fix *f)
{
	/* The core never broke the driver contract (a bad page size, an overlap, a split). */
	assert_int_equal(mock_errors(f->m), 0);
	iommusim_domain_destroy(f->d);
	iommusim_cpu_destroy(f->cpu);
	assert_int_equal(iommusim_mem_live_objects(f->mem), 0);
	iommusim_mem_destroy(f->mem);
}

/* What most tests start from: the full mock driver, 4 KiB pages only, kernel 6.7. */
FIXTURE_STATE(core, struct fix, fix_init, fix_fini, PGS_4K, IOMMUSIM_KERNEL_6_7)

/* The @i-th logged call, which must exist and be of @kind. */
static inline struct mock_call logged(struct mock_domain *m, unsigned int i,
				      enum mock_call_kind kind)
{
	struct mock_call c = mock_log_at(m, i);

	assert_true(i < mock_log_len(m));
	assert_int_equal(c.kind, kind);
	return c;
}

static inline void expect_map(struct mock_domain *m, unsigned int i, uint64_t iova, uint64_t paddr,
			      uint64_t pgsize, uint64_t pgcount)
{
	struct mock_call c = logged(m, i, MOCK_CALL_MAP_PAGES);

	EXPECT_FIELDS(&c, MOCK_CALL(iova, iova), MOCK_CALL(paddr, paddr), MOCK_CALL(pgsize, pgsize),
		      MOCK_CALL(pgcount, pgcount));
}

static inline void expect_unmap(struct mock_domain *m, unsigned int i, uint64_t iova,
				uint64_t pgsize, uint64_t pgcount)
{
	struct mock_call c = logged(m, i, MOCK_CALL_UNMAP_PAGES);

	EXPECT_FIELDS(&c, MOCK_CALL(iova, iova), MOCK_CALL(pgsize, pgsize),
		      MOCK_CALL(pgcount, pgcount));
}

/* An iotlb_sync whose gather covered [start, end] (end 0: nothing gathered). */
static inline void expect_sync(struct mock_domain *m, unsigned int i, uint64_t start, uint64_t end)
{
	struct mock_call c = logged(m, i, MOCK_CALL_SYNC);

	assert_int_equal(c.g.start, start);
	assert_int_equal(c.g.end, end);
}

static inline void expect_sync_empty(struct mock_domain *m, unsigned int i)
{
	expect_sync(m, i, UINT64_MAX, 0);
}

static inline void expect_sync_map(struct mock_domain *m, unsigned int i, uint64_t iova,
				   uint64_t size)
{
	struct mock_call c = logged(m, i, MOCK_CALL_SYNC_MAP);

	assert_int_equal(c.iova, iova);
	assert_int_equal(c.size, size);
}

/*
 * The range the page-size tests split, 2 x 4K + 2 x 2M + 3 x 4K from iova 0x1fe000 (paddr
 * 0x801fe000, both congruent modulo 2M), as logged from index @i: its three map_pages calls
 * and the iotlb_sync_map over all of it; its three unmap_pages calls and the sync.
 */
#define HMT_IOVA  UINT64_C(0x1fe000)
#define HMT_PADDR UINT64_C(0x801fe000)
#define HMT_SIZE  (SZ_8K + SZ_4M + 0x3000)

static inline void expect_map_head_middle_tail(struct mock_domain *m, unsigned int i)
{
	expect_map(m, i, 0x1fe000, 0x801fe000, SZ_4K, 2);
	expect_map(m, i + 1, 0x200000, 0x80200000, SZ_2M, 2);
	expect_map(m, i + 2, 0x600000, 0x80600000, SZ_4K, 3);
	expect_sync_map(m, i + 3, HMT_IOVA, HMT_SIZE);
}

static inline void expect_unmap_head_middle_tail(struct mock_domain *m, unsigned int i)
{
	expect_unmap(m, i, 0x1fe000, SZ_4K, 2);
	expect_unmap(m, i + 1, 0x200000, SZ_2M, 2);
	expect_unmap(m, i + 2, 0x600000, SZ_4K, 3);
	expect_sync(m, i + 3, HMT_IOVA, HMT_IOVA + HMT_SIZE - 1);
}

/* Every byte of [iova, iova + size) translates to paddr + offset (checked per 4 KiB). */
static inline void expect_mapped(struct iommusim_domain *d, uint64_t iova, uint64_t paddr,
				 uint64_t size)
{
	for (uint64_t off = 0; off < size; off += SZ_4K) {
		uint64_t phys = 0;
		int prot = 0;

		assert_int_equal(iommusim_iommu_translate(d, iova + off + 8, &phys, &prot), 0);
		assert_int_equal(phys, paddr + off + 8);
	}
}

/*
 * iommu_map of [@iova, @iova + @size) to @paddr on an empty log: one map_pages of @pgcount
 * pages of @pgsize, then one iotlb_sync_map over the whole range; every page translates; the
 * unmap takes all of it back.
 */
static inline void expect_one_run(struct fix *f, uint64_t iova, uint64_t paddr, uint64_t size,
				  uint64_t pgsize, uint64_t pgcount)
{
	assert_int_equal(iommusim_iommu_map(f->d, f->cpu, iova, paddr, size, RW), 0);
	assert_int_equal(mock_log_len(f->m), 2);
	expect_map(f->m, 0, iova, paddr, pgsize, pgcount);
	expect_sync_map(f->m, 1, iova, size);
	expect_mapped(f->d, iova, paddr, size);
	assert_int_equal(iommusim_iommu_unmap(f->d, f->cpu, iova, size), size);
}

#endif /* TESTS_UNIT_IOMMU_CORE_FIXTURE_H */
