/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the IOMMU core (lib/core: map.c, gather.c, domain.c, device.c) against a small
 * mock paging-domain driver: page-size splitting (iommu_pgsize()), iommu_map / iommu_map_sg
 * with their undo paths and the 6.6 / 6.7 iotlb_sync_map difference, unmap and the gather,
 * attach/detach, and the device defaults.
 *
 * The mock keeps a software page table of leaves (iova, paddr, page size), logs every driver
 * call with its arguments, and fails on request. Every expected call sequence below is worked
 * out by hand from the rules of Linux drivers/iommu/iommu.c (docs/sources.md S17); the comment
 * next to it shows the arithmetic.
 */
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

/* A counter and the value it must have, for EXPECT_FIELDS(). */
#define IOTLB_GATHER(field, value) FIELD(struct iommusim_iotlb_gather, field, value)
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
static struct mock_domain *mock_new(struct iommusim_mem *mem, enum mock_driver driver,
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
static void fix_init_ops(struct fix *f, enum mock_driver driver, uint64_t bitmap,
			 enum iommusim_kernel kernel)
{
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &f->mem), 0);
	assert_int_equal(iommusim_cpu_create(f->mem, 0, &f->cpu), 0);
	f->m = mock_new(f->mem, driver, bitmap, kernel);
	f->d = mock_dom(f->m);
}

static void fix_init(struct fix *f, uint64_t bitmap, enum iommusim_kernel kernel)
{
	fix_init_ops(f, MOCK_DRIVER_FULL, bitmap, kernel);
}

static void fix_fini(struct fix *f)
{
	/* The core never broke the driver contract (a bad page size, an overlap, a split). */
	assert_int_equal(mock_errors(f->m), 0);
	iommusim_domain_destroy(f->d);
	iommusim_cpu_destroy(f->cpu);
	assert_int_equal(iommusim_mem_live_objects(f->mem), 0);
	iommusim_mem_destroy(f->mem);
}

/* The @i-th logged call, which must exist and be of @kind. */
static struct mock_call logged(struct mock_domain *m, unsigned int i, enum mock_call_kind kind)
{
	struct mock_call c = mock_log_at(m, i);

	assert_true(i < mock_log_len(m));
	assert_int_equal(c.kind, kind);
	return c;
}

static void expect_map(struct mock_domain *m, unsigned int i, uint64_t iova, uint64_t paddr,
		       uint64_t pgsize, uint64_t pgcount)
{
	struct mock_call c = logged(m, i, MOCK_CALL_MAP_PAGES);

	EXPECT_FIELDS(&c, MOCK_CALL(iova, iova), MOCK_CALL(paddr, paddr), MOCK_CALL(pgsize, pgsize),
		      MOCK_CALL(pgcount, pgcount));
}

static void expect_unmap(struct mock_domain *m, unsigned int i, uint64_t iova, uint64_t pgsize,
			 uint64_t pgcount)
{
	struct mock_call c = logged(m, i, MOCK_CALL_UNMAP_PAGES);

	EXPECT_FIELDS(&c, MOCK_CALL(iova, iova), MOCK_CALL(pgsize, pgsize),
		      MOCK_CALL(pgcount, pgcount));
}

/* An iotlb_sync whose gather covered [start, end] (end 0: nothing gathered). */
static void expect_sync(struct mock_domain *m, unsigned int i, uint64_t start, uint64_t end)
{
	struct mock_call c = logged(m, i, MOCK_CALL_SYNC);

	assert_int_equal(c.g.start, start);
	assert_int_equal(c.g.end, end);
}

static void expect_sync_empty(struct mock_domain *m, unsigned int i)
{
	expect_sync(m, i, UINT64_MAX, 0);
}

static void expect_sync_map(struct mock_domain *m, unsigned int i, uint64_t iova, uint64_t size)
{
	struct mock_call c = logged(m, i, MOCK_CALL_SYNC_MAP);

	assert_int_equal(c.iova, iova);
	assert_int_equal(c.size, size);
}

/* Every byte of [iova, iova + size) translates to paddr + offset (checked per 4 KiB). */
static void expect_mapped(struct iommusim_domain *d, uint64_t iova, uint64_t paddr, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += SZ_4K) {
		uint64_t phys = 0;
		int prot = 0;

		assert_int_equal(iommusim_iommu_translate(d, iova + off + 8, &phys, &prot), 0);
		assert_int_equal(phys, paddr + off + 8);
	}
}

/* iommu_pgsize() picks @want pages, @want_count of them, for the first run of the range. */
static void expect_pgsize(uint64_t bitmap, uint64_t iova, uint64_t paddr, uint64_t size,
			  uint64_t want, uint64_t want_count)
{
	uint64_t count = UINT64_MAX;

	assert_int_equal(iommusim_iommu_pgsize(bitmap, iova, paddr, size, &count), want);
	assert_int_equal(count, want_count);
}

/*
 * iommu_map of [@iova, @iova + @size) to @paddr on an empty log: one map_pages of @pgcount
 * pages of @pgsize, then one iotlb_sync_map over the whole range; every page translates; the
 * unmap takes all of it back.
 */
static void expect_one_run(struct fix *f, uint64_t iova, uint64_t paddr, uint64_t size,
			   uint64_t pgsize, uint64_t pgcount)
{
	assert_int_equal(iommusim_iommu_map(f->d, f->cpu, iova, paddr, size, RW), 0);
	assert_int_equal(mock_log_len(f->m), 2);
	expect_map(f->m, 0, iova, paddr, pgsize, pgcount);
	expect_sync_map(f->m, 1, iova, size);
	expect_mapped(f->d, iova, paddr, size);
	assert_int_equal(iommusim_iommu_unmap(f->d, f->cpu, iova, size), size);
}

/* ----------------------------------------------------------------------------------------- */
/* iommu_pgsize                                                                                */
/* ----------------------------------------------------------------------------------------- */

static void test_iommu_core_pgsize_4k_only_one_call(void **state)
{
	struct fix f;

	(void)state;
	/* 4K-only (s390): no larger size exists, so count = size / 4K = 1 MiB / 4K = 256. */
	expect_pgsize(PGS_4K, 0x100000, 0x5000, SZ_1M, SZ_4K, 256);

	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	/* One map_pages for everything, then one iotlb_sync_map over the whole range. */
	expect_one_run(&f, 0x100000, 0x5000, SZ_1M, SZ_4K, 256);
	assert_int_equal(mock_log_at(f.m, 0).prot, RW);
	fix_fini(&f);
}

static void test_iommu_core_pgsize_aligned_2m_pages(void **state)
{
	struct fix f;

	(void)state;
	/*
	 * iova 0x200000 | paddr 0x40200000: lowest set bit 21, so sizes <= 2M; size 4M allows
	 * up to 4M: pgsize 2M. Next size 1G: iova ^ paddr = 0x40000000 is 0 modulo 1G
	 * (congruent), offset to the next 1G boundary = 1G - 2M, and offset + 1G > 4M, so no cap:
	 * count = 4M >> 21 = 2.
	 */
	expect_pgsize(PGS_4K_2M_1G, 0x200000, 0x40200000, SZ_4M, SZ_2M, 2);

	fix_init(&f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	expect_one_run(&f, 0x200000, 0x40200000, SZ_4M, SZ_2M, 2);
	fix_fini(&f);
}

static void test_iommu_core_pgsize_unaligned_head_big_middle_tail(void **state)
{
	const uint64_t iova = 0x1fe000, paddr = 0x801fe000, size = SZ_8K + SZ_4M + 0x3000;
	struct fix f;

	(void)state;
	/*
	 * iova = 2M - 8K, paddr congruent modulo 2M (and 1G), size = 8K + 4M + 12K = 0x405000.
	 * 1) iova | paddr has lowest bit 13: pgsize 4K. Next size 2M, congruent; offset to the
	 *    2M boundary = 0x2000; 0x2000 + 2M <= size, so the run stops there: count 2.
	 * 2) at 0x200000 -> 0x80200000, 0x403000 left: both 2M-aligned, size < 8M: pgsize 2M;
	 *    next 1G congruent but 1G - 2M + 1G > left, so count = 0x403000 >> 21 = 2.
	 * 3) at 0x600000, 0x3000 left: 4K pages, count 3 (no 2M page fits after the boundary).
	 */
	expect_pgsize(PGS_4K_2M_1G, iova, paddr, size, SZ_4K, 2);
	expect_pgsize(PGS_4K_2M_1G, 0x200000, 0x80200000, 0x403000, SZ_2M, 2);
	expect_pgsize(PGS_4K_2M_1G, 0x600000, 0x80600000, 0x3000, SZ_4K, 3);

	fix_init(&f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, iova, paddr, size, RW), 0);
	assert_int_equal(mock_log_len(f.m), 4);
	expect_map(f.m, 0, 0x1fe000, 0x801fe000, SZ_4K, 2);
	expect_map(f.m, 1, 0x200000, 0x80200000, SZ_2M, 2);
	expect_map(f.m, 2, 0x600000, 0x80600000, SZ_4K, 3);
	expect_sync_map(f.m, 3, iova, size);
	assert_int_equal(mock_mapped_bytes(f.m), size);
	expect_mapped(f.d, iova, paddr, size);

	/* Unmap splits by iova alone (iova, iova) the same way: same three calls, one sync. */
	mock_log_clear(f.m);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, iova, size), size);
	assert_int_equal(mock_log_len(f.m), 4);
	expect_unmap(f.m, 0, 0x1fe000, SZ_4K, 2);
	expect_unmap(f.m, 1, 0x200000, SZ_2M, 2);
	expect_unmap(f.m, 2, 0x600000, SZ_4K, 3);
	expect_sync(f.m, 3, iova, iova + size - 1);
	assert_int_equal(mock_mapped_pages(f.m), 0);
	fix_fini(&f);
}

static void test_iommu_core_pgsize_not_congruent_stays_4k(void **state)
{
	struct fix f;

	(void)state;
	/*
	 * iova 0x200000, paddr 0x80201000: iova | paddr has lowest bit 12, so 4K; the next size
	 * 2M is skipped because iova ^ paddr = 0x80001000 is not 0 modulo 2M: one run of
	 * 4M / 4K = 1024 pages.
	 */
	expect_pgsize(PGS_4K_2M_1G, 0x200000, 0x80201000, SZ_4M, SZ_4K, 1024);
	/* Both 1M-aligned but 1M apart modulo 2M: same answer. */
	expect_pgsize(PGS_4K_2M_1G, 0x200000, 0x80300000, SZ_4M, SZ_4K, 1024);

	fix_init(&f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	/* Unaligned iova as well: never a 2M page, so never a cap at a 2M boundary either. */
	expect_one_run(&f, 0x1fe000, 0x80301000, SZ_4M, SZ_4K, 1024);
	assert_int_equal(mock_mapped_pages(f.m), 0);
	fix_fini(&f);
}

static void test_iommu_core_pgsize_plus_one_next_page_rule(void **state)
{
	struct fix f;

	(void)state;
	/*
	 * iova 2M - 8K, congruent paddr: the run is capped at the 2M boundary (offset 0x2000)
	 * only if offset + one whole 2M page fits in size.
	 * size 0x201000 = offset + 2M - 4K: does not fit, 0x201000 / 4K = 513 small pages.
	 */
	expect_pgsize(PGS_4K_2M_1G, 0x1fe000, 0x1fe000, 0x201000, SZ_4K, 513);
	/* size 0x202000 = offset + 2M exactly: fits (<=), so 2 small pages, then a 2M page. */
	expect_pgsize(PGS_4K_2M_1G, 0x1fe000, 0x1fe000, 0x202000, SZ_4K, 2);
	/*
	 * One level up: iova 1G - 2M, paddr congruent modulo 1G (0x7fe00000), size 2M + 1G:
	 * 2M pages; offset to 1G = 2M, 2M + 1G <= size: one 2M page, then one 1G page.
	 */
	expect_pgsize(PGS_4K_2M_1G, 0x3fe00000, 0x7fe00000, SZ_2M + SZ_1G, SZ_2M, 1);
	expect_pgsize(PGS_4K_2M_1G, 0x40000000, 0x80000000, SZ_1G, SZ_1G, 1);
	/* Not congruent modulo 1G (paddr 0x5fe00000): (2M + 1G) / 2M = 513 pages of 2M. */
	expect_pgsize(PGS_4K_2M_1G, 0x3fe00000, 0x5fe00000, SZ_2M + SZ_1G, SZ_2M, 513);

	fix_init(&f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	expect_one_run(&f, 0x1fe000, 0x1fe000, 0x201000, SZ_4K, 513);

	mock_log_clear(f.m);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, 0x1fe000, 0x1fe000, 0x202000, RW), 0);
	assert_int_equal(mock_log_len(f.m), 3);
	expect_map(f.m, 0, 0x1fe000, 0x1fe000, SZ_4K, 2);
	expect_map(f.m, 1, 0x200000, 0x200000, SZ_2M, 1);
	expect_sync_map(f.m, 2, 0x1fe000, 0x202000);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x1fe000, 0x202000), 0x202000);

	mock_log_clear(f.m);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, 0x3fe00000, 0x7fe00000, SZ_2M + SZ_1G, RW),
			 0);
	assert_int_equal(mock_log_len(f.m), 3);
	expect_map(f.m, 0, 0x3fe00000, 0x7fe00000, SZ_2M, 1);
	expect_map(f.m, 1, 0x40000000, 0x80000000, SZ_1G, 1);
	expect_sync_map(f.m, 2, 0x3fe00000, SZ_2M + SZ_1G);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x3fe00000, SZ_2M + SZ_1G),
			 SZ_2M + SZ_1G);
	assert_int_equal(mock_mapped_pages(f.m), 0);
	fix_fini(&f);
}

static void test_iommu_core_pgsize_no_fitting_size(void **state)
{
	uint64_t count = 99;

	(void)state;
	/* Where the kernel BUGs the library answers 0: nothing below 4K, nothing 2M at 4K. */
	expect_pgsize(PGS_4K, 0, 0, 0x800, 0, 0);
	assert_int_equal(iommusim_iommu_pgsize(SZ_2M, 0x1000, 0, SZ_4M, &count), 0);
	/* iova = paddr = 0 constrains nothing: the largest size <= size. */
	expect_pgsize(PGS_4K_2M_1G, 0, 0, SZ_2M + SZ_1G, SZ_1G, 1);
}

/* ----------------------------------------------------------------------------------------- */
/* iommu_map                                                                                   */
/* ----------------------------------------------------------------------------------------- */

static void test_iommu_core_map_rejects_misalignment(void **state)
{
	struct fix f;

	(void)state;
	fix_init(&f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	/* iova | paddr | size must be a multiple of the smallest page (4K). */
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, 0x100800, 0x5000, SZ_4K, RW), -EINVAL);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, 0x100000, 0x5200, SZ_4K, RW), -EINVAL);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, 0x100000, 0x5000, 0x1800, RW), -EINVAL);
	/* Rejected up front: the driver was never called, nothing to undo. */
	assert_int_equal(mock_log_len(f.m), 0);
	fix_fini(&f);

	/* A 2M-only domain: 4K alignment is not enough. */
	fix_init(&f, SZ_2M, IOMMUSIM_KERNEL_6_7);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, 0x201000, 0x200000, SZ_2M, RW), -EINVAL);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, 0x200000, 0x200000, SZ_2M, RW), 0);
	expect_map(f.m, 0, 0x200000, 0x200000, SZ_2M, 1);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x200000, SZ_2M), SZ_2M);
	fix_fini(&f);
}

static void test_iommu_core_map_without_map_pages_or_sizes(void **state)
{
	struct fix f;

	(void)state;
	/* No map_pages, or an empty pgsize_bitmap: -ENODEV (__iommu_map()). */
	fix_init_ops(&f, MOCK_DRIVER_NO_MAP, PGS_4K, IOMMUSIM_KERNEL_6_7);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, 0x100000, 0x5000, SZ_4K, RW), -ENODEV);
	assert_int_equal(mock_log_len(f.m), 0);
	fix_fini(&f);

	fix_init(&f, 0, IOMMUSIM_KERNEL_6_7);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, 0x100000, 0x5000, SZ_4K, RW), -ENODEV);
	assert_int_equal(mock_log_len(f.m), 0);
	/* Unmap on such a domain does nothing but still syncs (iommu_unmap always does). */
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x100000, SZ_4K), 0);
	assert_int_equal(mock_log_count(f.m, MOCK_CALL_UNMAP_PAGES), 0);
	fix_fini(&f);
}

static void test_iommu_core_map_failure_midway_unmaps_what_was_mapped(void **state)
{
	const uint64_t iova = 0x1fe000, paddr = 0x801fe000, size = SZ_8K + SZ_4M + 0x3000;
	struct fix f;

	(void)state;
	fix_init(&f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	/*
	 * The runs are (4K x 2), (2M x 2), (4K x 3) as above. The second call maps one 2M page
	 * and fails: mapped so far = 8K + 2M, which iommu_unmap(iova, 0x202000) undoes, split
	 * by iova as (4K x 2) then (2M x 1), followed by one iotlb_sync of [iova, iova+0x201fff].
	 */
	mock_fail_map_pages(f.m, -ENOMEM, 1, 1);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, iova, paddr, size, RW), -ENOMEM);
	assert_int_equal(mock_log_len(f.m), 5);
	expect_map(f.m, 0, 0x1fe000, 0x801fe000, SZ_4K, 2);
	expect_map(f.m, 1, 0x200000, 0x80200000, SZ_2M, 2);
	expect_unmap(f.m, 2, 0x1fe000, SZ_4K, 2);
	expect_unmap(f.m, 3, 0x200000, SZ_2M, 1);
	expect_sync(f.m, 4, iova, iova + SZ_8K + SZ_2M - 1);
	/* No iotlb_sync_map for a failed map, and nothing left behind. */
	assert_int_equal(mock_log_count(f.m, MOCK_CALL_SYNC_MAP), 0);
	assert_int_equal(mock_mapped_pages(f.m), 0);
	assert_int_equal(iommusim_iommu_translate(f.d, iova, NULL, NULL), -EFAULT);
	fix_fini(&f);
}

static void test_iommu_core_map_failure_first_call_syncs_nothing(void **state)
{
	struct fix f;

	(void)state;
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	/* Nothing mapped: iommu_unmap of 0 bytes calls no unmap_pages but still syncs. */
	mock_fail_map_pages(f.m, -EIO, 0, 0);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, 0x100000, 0x5000, SZ_64K, RW), -EIO);
	assert_int_equal(mock_log_len(f.m), 2);
	expect_map(f.m, 0, 0x100000, 0x5000, SZ_4K, 16);
	expect_sync_empty(f.m, 1);
	assert_int_equal(mock_mapped_pages(f.m), 0);

	/* A failure after 5 of 16 pages: exactly those 5 are unmapped. */
	mock_log_clear(f.m);
	mock_fail_map_pages(f.m, -EIO, 0, 5);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, 0x100000, 0x5000, SZ_64K, RW), -EIO);
	assert_int_equal(mock_log_len(f.m), 3);
	expect_map(f.m, 0, 0x100000, 0x5000, SZ_4K, 16);
	expect_unmap(f.m, 1, 0x100000, SZ_4K, 5);
	expect_sync(f.m, 2, 0x100000, 0x100000 + 5 * SZ_4K - 1);
	assert_int_equal(mock_mapped_pages(f.m), 0);
	fix_fini(&f);
}

static void test_iommu_core_map_calls_sync_map_once(void **state)
{
	struct fix f;

	(void)state;
	fix_init(&f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	/* Three map_pages calls (see the head/middle/tail test), then one sync_map(iova, size). */
	assert_int_equal(
		iommusim_iommu_map(f.d, f.cpu, 0x1fe000, 0x801fe000, 0x405000, IOMMUSIM_PROT_READ),
		0);
	assert_int_equal(mock_log_count(f.m, MOCK_CALL_MAP_PAGES), 3);
	assert_int_equal(mock_log_count(f.m, MOCK_CALL_SYNC_MAP), 1);
	expect_sync_map(f.m, mock_log_len(f.m) - 1, 0x1fe000, 0x405000);
	/* A successful map does not flush. */
	assert_int_equal(mock_log_count(f.m, MOCK_CALL_SYNC), 0);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(mock_log_at(f.m, i).prot, IOMMUSIM_PROT_READ);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x1fe000, 0x405000), 0x405000);
	fix_fini(&f);

	/* A driver without iotlb_sync_map (or iotlb_sync): map and unmap still work. */
	fix_init_ops(&f, MOCK_DRIVER_MINIMAL, PGS_4K, IOMMUSIM_KERNEL_6_7);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, 0x100000, 0x5000, SZ_8K, RW), 0);
	assert_int_equal(mock_log_len(f.m), 1);
	expect_map(f.m, 0, 0x100000, 0x5000, SZ_4K, 2);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x100000, SZ_8K), SZ_8K);
	assert_int_equal(mock_mapped_pages(f.m), 0);
	fix_fini(&f);
}

static void test_iommu_core_map_sync_map_failure_6_7_unmaps(void **state)
{
	const uint64_t iova = 0x1fe000, paddr = 0x801fe000, size = 0x405000;
	struct fix f;

	(void)state;
	fix_init(&f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	/* 6.7: iommu_map undoes the whole range with iommu_unmap (split by iova, then sync). */
	mock_fail_sync_map(f.m, -ENOMEM, 0);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, iova, paddr, size, RW), -ENOMEM);
	assert_int_equal(mock_log_len(f.m), 8);
	expect_map(f.m, 0, 0x1fe000, 0x801fe000, SZ_4K, 2);
	expect_map(f.m, 1, 0x200000, 0x80200000, SZ_2M, 2);
	expect_map(f.m, 2, 0x600000, 0x80600000, SZ_4K, 3);
	expect_sync_map(f.m, 3, iova, size);
	expect_unmap(f.m, 4, 0x1fe000, SZ_4K, 2);
	expect_unmap(f.m, 5, 0x200000, SZ_2M, 2);
	expect_unmap(f.m, 6, 0x600000, SZ_4K, 3);
	expect_sync(f.m, 7, iova, iova + size - 1);
	assert_int_equal(mock_mapped_pages(f.m), 0);
	fix_fini(&f);
}

static void test_iommu_core_map_sync_map_failure_6_6_ignored(void **state)
{
	struct fix f;

	(void)state;
	fix_init(&f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_6);
	/* 6.6: iotlb_sync_map returned void; the map stands. */
	mock_fail_sync_map(f.m, -ENOMEM, 0);
	expect_one_run(&f, 0x200000, 0x40200000, SZ_4M, SZ_2M, 2);
	fix_fini(&f);
}

/* ----------------------------------------------------------------------------------------- */
/* iommu_map_sg                                                                                */
/* ----------------------------------------------------------------------------------------- */

/* Runs: 0x10000+12K (elements 0, 1), 0x20000+8K (2, 3), 0x30000+4K (4). */
static const struct iommusim_sg sg5[] = {
	{.phys = 0x10000, .length = SZ_4K}, {.phys = 0x11000, .length = SZ_8K},
	{.phys = 0x20000, .length = SZ_4K}, {.phys = 0x21000, .length = SZ_4K},
	{.phys = 0x30000, .length = SZ_4K},
};

static void test_iommu_core_map_sg_merges_contiguous_runs(void **state)
{
	struct fix f;
	uint64_t mapped = 0;

	(void)state;
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	/* The runs go back to back from iova: 0x100000 (3 pages), 0x103000 (2), 0x105000 (1). */
	assert_int_equal(iommusim_iommu_map_sg(f.d, f.cpu, 0x100000, sg5, 5, RW, &mapped), 0);
	assert_int_equal(mapped, 0x6000);
	assert_int_equal(mock_log_len(f.m), 4);
	expect_map(f.m, 0, 0x100000, 0x10000, SZ_4K, 3);
	expect_map(f.m, 1, 0x103000, 0x20000, SZ_4K, 2);
	expect_map(f.m, 2, 0x105000, 0x30000, SZ_4K, 1);
	/* One iotlb_sync_map for the total, not one per run. */
	expect_sync_map(f.m, 3, 0x100000, 0x6000);
	expect_mapped(f.d, 0x100000, 0x10000, 0x3000);
	expect_mapped(f.d, 0x103000, 0x20000, 0x2000);
	expect_mapped(f.d, 0x105000, 0x30000, 0x1000);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x100000, 0x6000), 0x6000);

	/* A single element, and a list that is entirely contiguous: one run each. */
	mock_log_clear(f.m);
	assert_int_equal(iommusim_iommu_map_sg(f.d, f.cpu, 0x200000, sg5, 2, RW, &mapped), 0);
	assert_int_equal(mapped, 0x3000);
	assert_int_equal(mock_log_len(f.m), 2);
	expect_map(f.m, 0, 0x200000, 0x10000, SZ_4K, 3);
	expect_sync_map(f.m, 1, 0x200000, 0x3000);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x200000, 0x3000), 0x3000);
	fix_fini(&f);

	/* With large pages each run is split on its own: a 4M run 2M-congruent gives 2M pages. */
	fix_init(&f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	{
		const struct iommusim_sg sg[] = {
			{.phys = 0x40000000, .length = SZ_2M},
			{.phys = 0x40200000, .length = SZ_2M},
			{.phys = 0x50001000, .length = SZ_4K},
		};

		assert_int_equal(iommusim_iommu_map_sg(f.d, f.cpu, 0x600000, sg, 3, RW, &mapped),
				 0);
		assert_int_equal(mapped, SZ_4M + SZ_4K);
		assert_int_equal(mock_log_len(f.m), 3);
		expect_map(f.m, 0, 0x600000, 0x40000000, SZ_2M, 2);
		expect_map(f.m, 1, 0xa00000, 0x50001000, SZ_4K, 1);
		expect_sync_map(f.m, 2, 0x600000, SZ_4M + SZ_4K);
		assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x600000, SZ_4M + SZ_4K),
				 SZ_4M + SZ_4K);
	}
	fix_fini(&f);
}

static void test_iommu_core_map_sg_failure_unmaps_everything(void **state)
{
	struct fix f;
	uint64_t mapped = 77;

	(void)state;
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	/*
	 * The third run fails before mapping anything: its own __iommu_map undo unmaps 0 bytes
	 * (a sync with an empty gather), then map_sg unmaps the 0x5000 bytes of the first two
	 * runs: one unmap_pages of 5 pages and a sync of [0x100000, 0x104fff].
	 */
	mock_fail_map_pages(f.m, -ENOSPC, 2, 0);
	assert_int_equal(iommusim_iommu_map_sg(f.d, f.cpu, 0x100000, sg5, 5, RW, &mapped), -ENOSPC);
	assert_int_equal(mapped, 0);
	assert_int_equal(mock_log_len(f.m), 6);
	expect_map(f.m, 0, 0x100000, 0x10000, SZ_4K, 3);
	expect_map(f.m, 1, 0x103000, 0x20000, SZ_4K, 2);
	expect_map(f.m, 2, 0x105000, 0x30000, SZ_4K, 1);
	expect_sync_empty(f.m, 3);
	expect_unmap(f.m, 4, 0x100000, SZ_4K, 5);
	expect_sync(f.m, 5, 0x100000, 0x104fff);
	assert_int_equal(mock_log_count(f.m, MOCK_CALL_SYNC_MAP), 0);
	assert_int_equal(mock_mapped_pages(f.m), 0);

	/* The second run fails after one of its two pages: that page, then the first run. */
	mock_log_clear(f.m);
	mock_fail_map_pages(f.m, -ENOSPC, 1, 1);
	assert_int_equal(iommusim_iommu_map_sg(f.d, f.cpu, 0x100000, sg5, 5, RW, &mapped), -ENOSPC);
	assert_int_equal(mapped, 0);
	assert_int_equal(mock_log_len(f.m), 6);
	expect_map(f.m, 0, 0x100000, 0x10000, SZ_4K, 3);
	expect_map(f.m, 1, 0x103000, 0x20000, SZ_4K, 2);
	expect_unmap(f.m, 2, 0x103000, SZ_4K, 1);
	expect_sync(f.m, 3, 0x103000, 0x103fff);
	expect_unmap(f.m, 4, 0x100000, SZ_4K, 3);
	expect_sync(f.m, 5, 0x100000, 0x102fff);
	assert_int_equal(mock_mapped_pages(f.m), 0);

	/* A misaligned element fails the map of its run with -EINVAL, and undoes the rest. */
	mock_log_clear(f.m);
	{
		const struct iommusim_sg bad[] = {
			{.phys = 0x10000, .length = SZ_4K},
			{.phys = 0x20800, .length = SZ_4K},
		};

		assert_int_equal(iommusim_iommu_map_sg(f.d, f.cpu, 0x100000, bad, 2, RW, &mapped),
				 -EINVAL);
		assert_int_equal(mapped, 0);
		assert_int_equal(mock_mapped_pages(f.m), 0);
		assert_int_equal(mock_log_count(f.m, MOCK_CALL_SYNC_MAP), 0);
	}
	fix_fini(&f);
}

static void test_iommu_core_map_sg_sync_map_failure(void **state)
{
	struct fix f;
	uint64_t mapped = 77;

	(void)state;
	/* 6.7: a failing iotlb_sync_map over the total undoes all 0x6000 bytes. */
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	mock_fail_sync_map(f.m, -EIO, 0);
	assert_int_equal(iommusim_iommu_map_sg(f.d, f.cpu, 0x100000, sg5, 5, RW, &mapped), -EIO);
	assert_int_equal(mapped, 0);
	assert_int_equal(mock_log_len(f.m), 6);
	expect_sync_map(f.m, 3, 0x100000, 0x6000);
	expect_unmap(f.m, 4, 0x100000, SZ_4K, 6);
	expect_sync(f.m, 5, 0x100000, 0x105fff);
	assert_int_equal(mock_mapped_pages(f.m), 0);
	fix_fini(&f);

	/* 6.6: ignored; the list stays mapped. */
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_6);
	mock_fail_sync_map(f.m, -EIO, 0);
	assert_int_equal(iommusim_iommu_map_sg(f.d, f.cpu, 0x100000, sg5, 5, RW, &mapped), 0);
	assert_int_equal(mapped, 0x6000);
	assert_int_equal(mock_log_len(f.m), 4);
	assert_int_equal(mock_mapped_bytes(f.m), 0x6000);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x100000, 0x6000), 0x6000);
	fix_fini(&f);
}

/* ----------------------------------------------------------------------------------------- */
/* Unmap, the gather and sync                                                                  */
/* ----------------------------------------------------------------------------------------- */

static void test_iommu_core_unmap_returns_bytes_and_always_syncs(void **state)
{
	struct fix f;

	(void)state;
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, 0x100000, 0x5000, SZ_64K, RW), 0);

	/* Part of a mapping: 4 pages from the middle, then one sync of exactly that range. */
	mock_log_clear(f.m);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x104000, 0x4000), 0x4000);
	assert_int_equal(mock_log_len(f.m), 2);
	expect_unmap(f.m, 0, 0x104000, SZ_4K, 4);
	expect_sync(f.m, 1, 0x104000, 0x107fff);
	assert_int_equal(mock_mapped_bytes(f.m), SZ_64K - 0x4000);

	/* Nothing mapped there: 0 bytes, and the IOTLB is synced all the same. */
	mock_log_clear(f.m);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x900000, SZ_8K), 0);
	assert_int_equal(mock_log_len(f.m), 2);
	expect_unmap(f.m, 0, 0x900000, SZ_4K, 2);
	expect_sync_empty(f.m, 1);

	/*
	 * The rest (0x100000..0x103fff) through a range that runs past it: the driver stops at
	 * the first unmapped page and returns 4 pages, so unmap returns 0x4000.
	 */
	mock_log_clear(f.m);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x100000, 0x6000), 0x4000);
	expect_unmap(f.m, 0, 0x100000, SZ_4K, 6);
	expect_sync(f.m, mock_log_len(f.m) - 1, 0x100000, 0x103fff);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x108000, 0x8000), 0x8000);
	assert_int_equal(mock_mapped_pages(f.m), 0);
	fix_fini(&f);
}

static void test_iommu_core_unmap_misaligned_returns_zero(void **state)
{
	struct fix f;

	(void)state;
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, 0x100000, 0x5000, SZ_8K, RW), 0);
	mock_log_clear(f.m);
	/* iova or size not a multiple of 4K: 0, and the driver is not asked to unmap. */
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x100800, SZ_4K), 0);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x100000, 0x1800), 0);
	assert_int_equal(mock_log_count(f.m, MOCK_CALL_UNMAP_PAGES), 0);
	assert_int_equal(mock_mapped_bytes(f.m), SZ_8K);
	{
		struct iommusim_iotlb_gather g;

		iommusim_iotlb_gather_init(&g);
		assert_int_equal(iommusim_iommu_unmap_fast(f.d, f.cpu, 0x100800, SZ_4K, &g), 0);
		assert_int_equal(g.end, 0);
	}
	expect_mapped(f.d, 0x100000, 0x5000, SZ_8K);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x100000, SZ_8K), SZ_8K);
	fix_fini(&f);
}

static void test_iommu_core_unmap_fast_fills_gather_without_sync(void **state)
{
	struct iommusim_iotlb_gather g;
	struct fix f;

	(void)state;
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	assert_int_equal(iommusim_iommu_map(f.d, f.cpu, 0x100000, 0x5000, SZ_64K, RW), 0);
	mock_log_clear(f.m);

	iommusim_iotlb_gather_init(&g);
	assert_int_equal(iommusim_iommu_unmap_fast(f.d, f.cpu, 0x100000, SZ_8K, &g), SZ_8K);
	assert_int_equal(g.start, 0x100000);
	assert_int_equal(g.end, 0x101fff);
	/* A second, non-adjacent range widens the one interval over the gap. */
	assert_int_equal(iommusim_iommu_unmap_fast(f.d, f.cpu, 0x108000, SZ_4K, &g), SZ_4K);
	assert_int_equal(g.start, 0x100000);
	assert_int_equal(g.end, 0x108fff);
	assert_int_equal(mock_log_count(f.m, MOCK_CALL_SYNC), 0);
	assert_int_equal(mock_log_count(f.m, MOCK_CALL_UNMAP_PAGES), 2);

	/* iotlb_sync hands the driver the gather as it is, then re-inits it completely. */
	g.pgsize = SZ_4K;
	g.queued = true;
	iommusim_iommu_iotlb_sync(f.d, f.cpu, &g);
	assert_int_equal(mock_log_len(f.m), 3);
	expect_sync(f.m, 2, 0x100000, 0x108fff);
	assert_int_equal(mock_log_at(f.m, 2).g.pgsize, SZ_4K);
	assert_true(mock_log_at(f.m, 2).g.queued);
	EXPECT_FIELDS(&g, IOTLB_GATHER(start, UINT64_MAX), IOTLB_GATHER(end, 0),
		      IOTLB_GATHER(pgsize, 0));
	assert_false(g.queued);

	/* flush_iotlb_all goes straight to the driver. */
	iommusim_iommu_flush_iotlb_all(f.d, f.cpu);
	assert_int_equal(mock_log_len(f.m), 4);
	assert_int_equal(mock_log_at(f.m, 3).kind, MOCK_CALL_FLUSH_ALL);

	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x102000, 0x6000), 0x6000);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x109000, 0x7000), 0x7000);
	assert_int_equal(mock_mapped_pages(f.m), 0);
	fix_fini(&f);

	/* Without a driver iotlb_sync the gather is still re-initialised. */
	fix_init_ops(&f, MOCK_DRIVER_MINIMAL, PGS_4K, IOMMUSIM_KERNEL_6_7);
	g = (struct iommusim_iotlb_gather){.start = 5, .end = 9, .pgsize = 3, .queued = true};
	iommusim_iommu_iotlb_sync(f.d, f.cpu, &g);
	EXPECT_FIELDS(&g, IOTLB_GATHER(start, UINT64_MAX), IOTLB_GATHER(end, 0),
		      IOTLB_GATHER(pgsize, 0));
	assert_false(g.queued);
	fix_fini(&f);
}

static void test_iommu_core_translate(void **state)
{
	struct fix f;
	uint64_t phys = 0;
	int prot = 0;

	(void)state;
	fix_init(&f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	assert_int_equal(
		iommusim_iommu_map(f.d, f.cpu, 0x200000, 0x40200000, SZ_2M, IOMMUSIM_PROT_WRITE),
		0);
	assert_int_equal(iommusim_iommu_translate(f.d, 0x2abcde, &phys, &prot), 0);
	assert_int_equal(phys, 0x402abcde);
	assert_int_equal(prot, IOMMUSIM_PROT_WRITE);
	assert_int_equal(iommusim_iommu_translate(f.d, 0x2abcde, NULL, NULL), 0);
	assert_int_equal(iommusim_iommu_translate(f.d, 0x400000, &phys, &prot), -EFAULT);
	assert_int_equal(iommusim_iommu_unmap(f.d, f.cpu, 0x200000, SZ_2M), SZ_2M);
	assert_int_equal(iommusim_iommu_translate(f.d, 0x2abcde, &phys, &prot), -EFAULT);
	fix_fini(&f);
}

static void test_iommu_core_gather_init_and_add_range(void **state)
{
	struct iommusim_iotlb_gather g = {.start = 1, .end = 2, .pgsize = 3, .queued = true};

	(void)state;
	/* init: start = ~0, end = 0, pgsize 0, not queued (iommu_iotlb_gather_init()). */
	iommusim_iotlb_gather_init(&g);
	EXPECT_FIELDS(&g, IOTLB_GATHER(start, UINT64_MAX), IOTLB_GATHER(end, 0),
		      IOTLB_GATHER(pgsize, 0));
	assert_false(g.queued);

	/* add_range keeps one interval with an inclusive end. */
	iommusim_iotlb_gather_add_range(&g, 0x5000, 0x2000);
	assert_int_equal(g.start, 0x5000);
	assert_int_equal(g.end, 0x6fff);
	/* Inside: unchanged. */
	iommusim_iotlb_gather_add_range(&g, 0x5000, 0x1000);
	assert_int_equal(g.start, 0x5000);
	assert_int_equal(g.end, 0x6fff);
	/* Above with a gap: the gap is covered. */
	iommusim_iotlb_gather_add_range(&g, 0x10000, 0x1000);
	assert_int_equal(g.start, 0x5000);
	assert_int_equal(g.end, 0x10fff);
	/* Below. */
	iommusim_iotlb_gather_add_range(&g, 0x1000, 0x1000);
	assert_int_equal(g.start, 0x1000);
	assert_int_equal(g.end, 0x10fff);
	/* A range ending at the top of the address space: end = ~0. */
	iommusim_iotlb_gather_add_range(&g, UINT64_MAX - 0xfff, 0x1000);
	assert_int_equal(g.start, 0x1000);
	assert_int_equal(g.end, UINT64_MAX);
}

static void test_iommu_core_gather_is_disjoint(void **state)
{
	struct iommusim_iotlb_gather g;

	(void)state;
	iommusim_iotlb_gather_init(&g);
	/* An empty gather (end == 0) is never disjoint from anything. */
	assert_false(iommusim_iotlb_gather_is_disjoint(&g, 0x100000, 0x1000));
	assert_false(iommusim_iotlb_gather_is_disjoint(&g, 0, 0x1000));

	iommusim_iotlb_gather_add_range(&g, 0x10000, 0x2000); /* [0x10000, 0x11fff] */
	/* Overlapping: not disjoint. */
	assert_false(iommusim_iotlb_gather_is_disjoint(&g, 0x11000, 0x2000));
	assert_false(iommusim_iotlb_gather_is_disjoint(&g, 0xf000, 0x2000));
	assert_false(iommusim_iotlb_gather_is_disjoint(&g, 0x10000, 0x2000));
	/* Touching from above (start == end + 1) or below (end + 1 == start): not disjoint. */
	assert_false(iommusim_iotlb_gather_is_disjoint(&g, 0x12000, 0x1000));
	assert_false(iommusim_iotlb_gather_is_disjoint(&g, 0xf000, 0x1000));
	/* One byte of gap on either side: disjoint. */
	assert_true(iommusim_iotlb_gather_is_disjoint(&g, 0x12001, 0x1000));
	assert_true(iommusim_iotlb_gather_is_disjoint(&g, 0xefff, 0x1000));
	assert_true(iommusim_iotlb_gather_is_disjoint(&g, 0x100000, 0x1000));
	assert_true(iommusim_iotlb_gather_is_disjoint(&g, 0, 0x1000));
}

/* ----------------------------------------------------------------------------------------- */
/* Domains and devices                                                                         */
/* ----------------------------------------------------------------------------------------- */

static struct iommusim_device *dev_new(struct iommusim_mem *mem, const char *name)
{
	struct iommusim_device_config cfg = {.name = name, .pci = true};
	struct iommusim_device *dev = NULL;

	assert_int_equal(iommusim_device_create(mem, &cfg, &dev), 0);
	assert_non_null(dev);
	return dev;
}

static void test_iommu_core_attach_detach(void **state)
{
	struct iommusim_device *a, *b;
	struct mock_domain *m2;
	struct fix f;

	(void)state;
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	m2 = mock_new(f.mem, MOCK_DRIVER_FULL, PGS_4K, IOMMUSIM_KERNEL_6_7);
	a = dev_new(f.mem, "dev-a");
	b = dev_new(f.mem, "dev-b");

	assert_int_equal(iommusim_domain_devices(f.d), 0);
	assert_int_equal(iommusim_iommu_attach_device(f.d, a), 0);
	assert_int_equal(iommusim_iommu_attach_device(f.d, b), 0);
	assert_int_equal(iommusim_domain_devices(f.d), 2);
	/* The driver was asked once per device. */
	assert_int_equal(mock_log_count(f.m, MOCK_CALL_ATTACH), 2);
	/* The driver's RCU walk sees both, newest first (added at the head, as s390 does). */
	iommusim_iommu_flush_iotlb_all(f.d, f.cpu);
	assert_int_equal(mock_walk_devices(f.m), 2);
	assert_string_equal(mock_walk_name(f.m, 0), "dev-b");
	assert_string_equal(mock_walk_name(f.m, 1), "dev-a");

	/* Attached already, to this domain or to another: -EBUSY, nothing changes. */
	assert_int_equal(iommusim_iommu_attach_device(f.d, a), -EBUSY);
	assert_int_equal(iommusim_iommu_attach_device(&m2->dom, a), -EBUSY);
	assert_int_equal(iommusim_domain_devices(f.d), 2);
	assert_int_equal(iommusim_domain_devices(&m2->dom), 0);
	assert_int_equal(mock_log_count(m2, MOCK_CALL_ATTACH), 0);

	/* Detaching from a domain it is not attached to: -ENOENT. */
	assert_int_equal(iommusim_iommu_detach_device(&m2->dom, a), -ENOENT);
	assert_int_equal(iommusim_iommu_detach_device(f.d, a), 0);
	assert_int_equal(iommusim_domain_devices(f.d), 1);
	assert_int_equal(iommusim_iommu_detach_device(f.d, a), -ENOENT);
	iommusim_iommu_flush_iotlb_all(f.d, f.cpu);
	assert_int_equal(mock_walk_devices(f.m), 1);
	assert_string_equal(mock_walk_name(f.m, 0), "dev-b");

	/* Detached, it can go to the other domain, and come back. */
	assert_int_equal(iommusim_iommu_attach_device(&m2->dom, a), 0);
	assert_int_equal(iommusim_domain_devices(&m2->dom), 1);
	iommusim_iommu_flush_iotlb_all(&m2->dom, f.cpu);
	assert_int_equal(mock_walk_devices(m2), 1);
	assert_string_equal(mock_walk_name(m2, 0), "dev-a");
	assert_int_equal(iommusim_iommu_detach_device(&m2->dom, a), 0);
	assert_int_equal(iommusim_iommu_attach_device(f.d, a), 0);
	iommusim_iommu_flush_iotlb_all(f.d, f.cpu);
	assert_int_equal(mock_walk_devices(f.m), 2);
	assert_string_equal(mock_walk_name(f.m, 0), "dev-a");
	assert_string_equal(mock_walk_name(f.m, 1), "dev-b");

	assert_int_equal(iommusim_iommu_detach_device(f.d, a), 0);
	assert_int_equal(iommusim_iommu_detach_device(f.d, b), 0);
	assert_int_equal(iommusim_domain_devices(f.d), 0);
	iommusim_iommu_flush_iotlb_all(f.d, f.cpu);
	assert_int_equal(mock_walk_devices(f.m), 0);
	iommusim_device_destroy(a);
	iommusim_device_destroy(b);
	iommusim_domain_destroy(&m2->dom);
	fix_fini(&f);
}

static void test_iommu_core_attach_driver_refusal_propagated(void **state)
{
	struct iommusim_device *a;
	struct mock_domain *m2;
	struct fix f;

	(void)state;
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	m2 = mock_new(f.mem, MOCK_DRIVER_FULL, PGS_4K, IOMMUSIM_KERNEL_6_7);
	a = dev_new(f.mem, "dev-a");

	/* The driver's errno comes back unchanged and the device stays unattached. */
	mock_fail_attach(f.m, -ENODEV);
	assert_int_equal(iommusim_iommu_attach_device(f.d, a), -ENODEV);
	mock_fail_attach(f.m, -EINVAL);
	assert_int_equal(iommusim_iommu_attach_device(f.d, a), -EINVAL);
	assert_int_equal(iommusim_domain_devices(f.d), 0);
	assert_int_equal(iommusim_iommu_detach_device(f.d, a), -ENOENT);
	iommusim_iommu_flush_iotlb_all(f.d, f.cpu);
	assert_int_equal(mock_walk_devices(f.m), 0);
	/* Not half-attached: another domain takes it. */
	assert_int_equal(iommusim_iommu_attach_device(&m2->dom, a), 0);
	assert_int_equal(iommusim_iommu_detach_device(&m2->dom, a), 0);
	iommusim_device_destroy(a);
	iommusim_domain_destroy(&m2->dom);
	fix_fini(&f);

	/* A driver without attach_dev accepts every device. */
	fix_init_ops(&f, MOCK_DRIVER_MINIMAL, PGS_4K, IOMMUSIM_KERNEL_6_7);
	a = dev_new(f.mem, "dev-a");
	assert_int_equal(iommusim_iommu_attach_device(f.d, a), 0);
	assert_int_equal(iommusim_domain_devices(f.d), 1);
	assert_int_equal(iommusim_iommu_detach_device(f.d, a), 0);
	iommusim_device_destroy(a);
	fix_fini(&f);
}

static void test_iommu_core_device_defaults(void **state)
{
	struct iommusim_device_config cfg = {0};
	struct iommusim_device *dev = NULL;
	struct iommusim_mem *mem;

	(void)state;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem), 0);
	assert_int_equal(iommusim_device_create(mem, &cfg, &dev), 0);
	/* The kernel's defaults for a device whose driver sets nothing (dma-mapping.h). */
	assert_int_equal(iommusim_device_dma_mask(dev), 0xffffffffull);
	assert_int_equal(dev->dma_mask, 0xffffffffull);
	assert_int_equal(dev->coherent_dma_mask, 0xffffffffull);
	assert_int_equal(dev->max_seg_size, 65536);
	assert_int_equal(dev->seg_boundary_mask, 0xffffffffull);
	assert_int_equal(dev->bus_dma_limit, 0);
	assert_false(dev->pci);
	assert_string_equal(iommusim_device_name(dev), "");
	assert_false(iommusim_device_shadow_on_flush(dev));
	assert_false(iommusim_device_pci_32bit_workaround(dev));
	assert_null(dev->domain);
	assert_null(dev->dma_ops);
	iommusim_device_destroy(dev);

	/* Given values are kept; the name is cut to 31 characters. */
	cfg = (struct iommusim_device_config){
		.name = "0123456789abcdef0123456789ABCDEF-tail",
		.pci = true,
		.dma_mask = IOMMUSIM_DMA_BIT_MASK(64),
		.coherent_dma_mask = IOMMUSIM_DMA_BIT_MASK(48),
		.bus_dma_limit = 0xffffffffffull,
		.max_seg_size = 1ull << 20,
		.seg_boundary_mask = 0xffff,
	};
	assert_int_equal(iommusim_device_create(mem, &cfg, &dev), 0);
	assert_string_equal(iommusim_device_name(dev), "0123456789abcdef0123456789ABCDE");
	assert_true(dev->pci);
	assert_int_equal(iommusim_device_dma_mask(dev), UINT64_MAX);
	assert_int_equal(dev->coherent_dma_mask, (1ull << 48) - 1);
	assert_int_equal(dev->bus_dma_limit, 0xffffffffffull);
	assert_int_equal(dev->max_seg_size, 1ull << 20);
	assert_int_equal(dev->seg_boundary_mask, 0xffff);
	iommusim_device_destroy(dev);

	/* Bad arguments. */
	assert_int_equal(iommusim_device_create(mem, NULL, &dev), -EINVAL);
	assert_int_equal(iommusim_device_create(NULL, &cfg, &dev), -EINVAL);
	iommusim_device_destroy(NULL);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

static void test_iommu_core_device_set_dma_mask(void **state)
{
	struct iommusim_device_config cfg = {.name = "nvme0"};
	struct iommusim_device *dev = NULL;
	struct iommusim_mem *mem;

	(void)state;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem), 0);
	assert_int_equal(iommusim_device_create(mem, &cfg, &dev), 0);
	/* At least 12 bits (a 4K page): DMA_BIT_MASK(12) passes, anything smaller fails. */
	assert_int_equal(iommusim_device_set_dma_mask(dev, IOMMUSIM_DMA_BIT_MASK(12)), 0);
	assert_int_equal(iommusim_device_dma_mask(dev), 0xfff);
	assert_int_equal(iommusim_device_set_dma_mask(dev, IOMMUSIM_DMA_BIT_MASK(11)), -EINVAL);
	assert_int_equal(iommusim_device_set_dma_mask(dev, 0), -EINVAL);
	/* A refused mask leaves the old one. */
	assert_int_equal(iommusim_device_dma_mask(dev), 0xfff);
	assert_int_equal(iommusim_device_set_dma_mask(dev, IOMMUSIM_DMA_BIT_MASK(64)), 0);
	assert_int_equal(iommusim_device_dma_mask(dev), UINT64_MAX);
	assert_int_equal(iommusim_device_set_dma_mask(dev, IOMMUSIM_DMA_BIT_MASK(39)), 0);
	assert_int_equal(iommusim_device_dma_mask(dev), (1ull << 39) - 1);
	/* The coherent mask is separate and follows the same rule. */
	assert_int_equal(dev->coherent_dma_mask, 0xffffffffull);
	assert_int_equal(iommusim_device_set_coherent_mask(dev, IOMMUSIM_DMA_BIT_MASK(11)),
			 -EINVAL);
	assert_int_equal(iommusim_device_set_coherent_mask(dev, IOMMUSIM_DMA_BIT_MASK(64)), 0);
	assert_int_equal(dev->coherent_dma_mask, UINT64_MAX);
	assert_int_equal(iommusim_device_dma_mask(dev), (1ull << 39) - 1);
	iommusim_device_destroy(dev);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

static void test_iommu_core_device_destroy_detaches(void **state)
{
	struct iommusim_device *a, *b;
	struct fix f;

	(void)state;
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	a = dev_new(f.mem, "dev-a");
	b = dev_new(f.mem, "dev-b");
	assert_int_equal(iommusim_iommu_attach_device(f.d, a), 0);
	assert_int_equal(iommusim_iommu_attach_device(f.d, b), 0);
	/* Destroying an attached device takes it off the domain's list first. */
	iommusim_device_destroy(a);
	assert_int_equal(iommusim_domain_devices(f.d), 1);
	iommusim_iommu_flush_iotlb_all(f.d, f.cpu);
	assert_int_equal(mock_walk_devices(f.m), 1);
	assert_string_equal(mock_walk_name(f.m, 0), "dev-b");
	iommusim_device_destroy(b);
	assert_int_equal(iommusim_domain_devices(f.d), 0);
	iommusim_iommu_flush_iotlb_all(f.d, f.cpu);
	assert_int_equal(mock_walk_devices(f.m), 0);
	/* fix_fini destroys the (now empty) domain and checks nothing leaked. */
	fix_fini(&f);
}

static bool cookie_freed;

static void cookie_free(struct iommusim_domain *d)
{
	/* Called before the driver frees the domain, so the domain is still whole. */
	assert_int_equal(d->pgsize_bitmap, PGS_4K_2M_1G);
	isim_free(d->mem, d->dma_cookie, 64, 0);
	d->dma_cookie = NULL;
	cookie_freed = true;
}

static void test_iommu_core_domain_accessors_and_destroy(void **state)
{
	struct iommusim_mem *mem;
	struct mock_domain *m;
	uint64_t start = 1, end = 1;
	bool freed = false;
	/* The mock leaves force_aperture as isim_domain_init() sets it. */
	struct mock_domain_cfg cfg = {
		.pgsize_bitmap = PGS_4K_2M_1G,
		.aperture_start = 0x1000,
		.aperture_end = 0xffffffffffull,
		.kernel = IOMMUSIM_KERNEL_6_6,
		.freed = &freed,
	};

	(void)state;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem), 0);
	assert_int_equal(mock_domain_create(mem, &cfg, &m), 0);
	assert_int_equal(iommusim_domain_pgsize_bitmap(&m->dom), PGS_4K_2M_1G);
	iommusim_domain_aperture(&m->dom, &start, &end);
	assert_int_equal(start, 0x1000);
	assert_int_equal(end, 0xffffffffffull);
	iommusim_domain_aperture(&m->dom, NULL, NULL);
	assert_int_equal(iommusim_domain_devices(&m->dom), 0);
	assert_true(m->dom.force_aperture);
	assert_int_equal(m->dom.kernel, IOMMUSIM_KERNEL_6_6);

	/* destroy: the DMA cookie first, then the driver's free. */
	m->dom.dma_cookie = isim_alloc(mem, 64, 0);
	m->dom.dma_cookie_free = cookie_free;
	cookie_freed = false;
	iommusim_domain_destroy(&m->dom);
	assert_true(cookie_freed);
	assert_true(freed);
	iommusim_domain_destroy(NULL);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

/* ----------------------------------------------------------------------------------------- */
/* Concurrent attach/detach of one device (the kernel serialises these per device group)      */
/* ----------------------------------------------------------------------------------------- */

/*
 * Wait on a semaphore for at most 2 s. The time bound never decides a result: it only keeps a
 * library that (correctly) blocks the second operation from deadlocking against the test.
 */
static void sem_wait_bounded(sem_t *s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	while (sem_timedwait(s, &ts) != 0 && errno == EINTR)
		;
}

struct race {
	struct mock_domain *m1, *m2;
	struct iommusim_device *dev;
	sem_t a_in, b_done;
	int ret_a;
};

/* Runs inside domain 1's attach_dev: the other attach happens while this one is in flight. */
static void race_attach_hook(void *arg, struct iommusim_device *dev)
{
	struct race *r = arg;

	(void)dev;
	sem_post(&r->a_in);
	sem_wait_bounded(&r->b_done);
}

static void *race_attach_thread(void *arg)
{
	struct race *r = arg;

	r->ret_a = iommusim_iommu_attach_device(&r->m1->dom, r->dev);
	return NULL;
}

static void test_iommu_core_attach_one_device_to_two_domains_concurrently(void **state)
{
	struct race r = {0};
	pthread_t t;
	struct fix f;
	int ret_b;
	unsigned int n1, n2;

	(void)state;
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	r.m1 = f.m;
	r.m2 = mock_new(f.mem, MOCK_DRIVER_FULL, PGS_4K, IOMMUSIM_KERNEL_6_7);
	r.dev = dev_new(f.mem, "dev-a");
	sem_init(&r.a_in, 0, 0);
	sem_init(&r.b_done, 0, 0);
	mock_set_attach_hook(f.m, race_attach_hook, &r);

	/*
	 * Attach to domain 1 is in progress (inside the driver's attach_dev) when a second
	 * thread attaches the same device to domain 2. A device belongs to at most one domain:
	 * exactly one of the two attaches may succeed, the other gets -EBUSY (the kernel holds
	 * the device's group mutex across the whole attach). Ordering is forced by semaphores.
	 */
	assert_int_equal(pthread_create(&t, NULL, race_attach_thread, &r), 0);
	sem_wait_bounded(&r.a_in);
	ret_b = iommusim_iommu_attach_device(&r.m2->dom, r.dev);
	sem_post(&r.b_done);
	pthread_join(t, NULL);
	n1 = iommusim_domain_devices(&r.m1->dom);
	n2 = iommusim_domain_devices(&r.m2->dom);

	/* Undo by hand whatever happened, so that a failure leaks nothing. */
	mock_set_attach_hook(f.m, NULL, NULL);
	if (n1 && n2) {
		CDS_INIT_LIST_HEAD(&r.m1->dom.devices);
		CDS_INIT_LIST_HEAD(&r.m2->dom.devices);
		r.m1->dom.ndevices = r.m2->dom.ndevices = 0;
		r.dev->domain = NULL;
	} else if (r.dev->domain) {
		assert_int_equal(iommusim_iommu_detach_device(r.dev->domain, r.dev), 0);
	}
	iommusim_device_destroy(r.dev);
	iommusim_domain_destroy(&r.m2->dom);
	sem_destroy(&r.a_in);
	sem_destroy(&r.b_done);
	fix_fini(&f);

	assert_int_equal(n1 + n2, 1);
	assert_true((r.ret_a == 0 && ret_b == -EBUSY) || (r.ret_a == -EBUSY && ret_b == 0));
}

struct grace {
	struct mock_domain *m1;
	struct iommusim_device *dev;
	sem_t r_in, r_go;
	int ret_detach;
};

/* An RCU reader that stays inside its read-side section until told to leave. */
static void *grace_reader_thread(void *arg)
{
	struct grace *g = arg;

	isim_rcu_read_lock();
	sem_post(&g->r_in);
	sem_wait_bounded(&g->r_go);
	isim_rcu_read_unlock();
	return NULL;
}

static void *grace_detach_thread(void *arg)
{
	struct grace *g = arg;

	g->ret_detach = iommusim_iommu_detach_device(&g->m1->dom, g->dev);
	return NULL;
}

static void test_iommu_core_reattach_during_detach_grace_period(void **state)
{
	struct grace g = {0};
	pthread_t reader, detacher;
	struct mock_domain *m2;
	struct fix f;
	bool linked = true;
	int ret;

	(void)state;
	fix_init(&f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	m2 = mock_new(f.mem, MOCK_DRIVER_FULL, PGS_4K, IOMMUSIM_KERNEL_6_7);
	g.m1 = f.m;
	g.dev = dev_new(f.mem, "dev-a");
	sem_init(&g.r_in, 0, 0);
	sem_init(&g.r_go, 0, 0);
	assert_int_equal(iommusim_iommu_attach_device(f.d, g.dev), 0);

	/*
	 * A reader holds RCU, so detach from domain 1 waits in its grace period once it has
	 * unlinked the device (domain 1's count drops to 0). Now the device is attached to
	 * domain 2. The kernel would make that attach wait for the detach (group mutex); -EBUSY
	 * would do too. What must not happen is an attach that succeeds and is then undone by
	 * the detach finishing: the device must end up on domain 2's list, properly linked,
	 * head -> dev -> head.
	 */
	assert_int_equal(pthread_create(&reader, NULL, grace_reader_thread, &g), 0);
	sem_wait_bounded(&g.r_in);
	assert_int_equal(pthread_create(&detacher, NULL, grace_detach_thread, &g), 0);
	while (__atomic_load_n(&f.d->ndevices, __ATOMIC_ACQUIRE) != 0)
		sched_yield();
	ret = iommusim_iommu_attach_device(&m2->dom, g.dev);
	sem_post(&g.r_go);
	pthread_join(detacher, NULL);
	pthread_join(reader, NULL);
	if (ret == -EBUSY)
		ret = iommusim_iommu_attach_device(&m2->dom, g.dev);

	if (ret == 0)
		linked = m2->dom.devices.next == &g.dev->domain_node &&
			 g.dev->domain_node.next == &m2->dom.devices &&
			 g.dev->domain_node.prev == &m2->dom.devices && g.dev->domain == &m2->dom;
	/* Repair by hand if the list was broken, so that cleanup cannot loop or leak. */
	if (!linked) {
		CDS_INIT_LIST_HEAD(&m2->dom.devices);
		CDS_INIT_LIST_HEAD(&g.dev->domain_node);
		m2->dom.ndevices = 0;
		g.dev->domain = NULL;
	} else if (ret == 0) {
		assert_int_equal(iommusim_iommu_detach_device(&m2->dom, g.dev), 0);
	}
	iommusim_device_destroy(g.dev);
	iommusim_domain_destroy(&m2->dom);
	sem_destroy(&g.r_in);
	sem_destroy(&g.r_go);
	fix_fini(&f);

	assert_int_equal(g.ret_detach, 0);
	assert_int_equal(ret, 0);
	assert_true(linked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iommu_core_pgsize_4k_only_one_call),
		cmocka_unit_test(test_iommu_core_pgsize_aligned_2m_pages),
		cmocka_unit_test(test_iommu_core_pgsize_unaligned_head_big_middle_tail),
		cmocka_unit_test(test_iommu_core_pgsize_not_congruent_stays_4k),
		cmocka_unit_test(test_iommu_core_pgsize_plus_one_next_page_rule),
		cmocka_unit_test(test_iommu_core_pgsize_no_fitting_size),
		cmocka_unit_test(test_iommu_core_map_rejects_misalignment),
		cmocka_unit_test(test_iommu_core_map_without_map_pages_or_sizes),
		cmocka_unit_test(test_iommu_core_map_failure_midway_unmaps_what_was_mapped),
		cmocka_unit_test(test_iommu_core_map_failure_first_call_syncs_nothing),
		cmocka_unit_test(test_iommu_core_map_calls_sync_map_once),
		cmocka_unit_test(test_iommu_core_map_sync_map_failure_6_7_unmaps),
		cmocka_unit_test(test_iommu_core_map_sync_map_failure_6_6_ignored),
		cmocka_unit_test(test_iommu_core_map_sg_merges_contiguous_runs),
		cmocka_unit_test(test_iommu_core_map_sg_failure_unmaps_everything),
		cmocka_unit_test(test_iommu_core_map_sg_sync_map_failure),
		cmocka_unit_test(test_iommu_core_unmap_returns_bytes_and_always_syncs),
		cmocka_unit_test(test_iommu_core_unmap_misaligned_returns_zero),
		cmocka_unit_test(test_iommu_core_unmap_fast_fills_gather_without_sync),
		cmocka_unit_test(test_iommu_core_translate),
		cmocka_unit_test(test_iommu_core_gather_init_and_add_range),
		cmocka_unit_test(test_iommu_core_gather_is_disjoint),
		cmocka_unit_test(test_iommu_core_attach_detach),
		cmocka_unit_test(test_iommu_core_attach_driver_refusal_propagated),
		cmocka_unit_test(test_iommu_core_device_defaults),
		cmocka_unit_test(test_iommu_core_device_set_dma_mask),
		cmocka_unit_test(test_iommu_core_device_destroy_detaches),
		cmocka_unit_test(test_iommu_core_domain_accessors_and_destroy),
		cmocka_unit_test(test_iommu_core_attach_one_device_to_two_domains_concurrently),
		cmocka_unit_test(test_iommu_core_reattach_during_detach_grace_period),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
