/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the IOMMU core's unmap and gather: bytes returned, misalignment, the fast unmap
 * filling the gather, translation, and the gather's ranges.
 */
#include "iommu_core_fixture.h"

/* A counter and the value it must have, for EXPECT_FIELDS(). */
#define IOTLB_GATHER(field, value) FIELD(struct iommusim_iotlb_gather, field, value)

/* ----------------------------------------------------------------------------------------- */
/* Unmap, the gather and sync                                                                  */
/* ----------------------------------------------------------------------------------------- */

static void test_iommu_core_unmap_returns_bytes_and_always_syncs(void **state)
{
	struct fix *f = *state;

	assert_int_equal(iommusim_iommu_map(f->d, f->cpu, 0x100000, 0x5000, SZ_64K, RW), 0);

	/* Part of a mapping: 4 pages from the middle, then one sync of exactly that range. */
	mock_log_clear(f->m);
	assert_int_equal(iommusim_iommu_unmap(f->d, f->cpu, 0x104000, 0x4000), 0x4000);
	assert_int_equal(mock_log_len(f->m), 2);
	expect_unmap(f->m, 0, 0x104000, SZ_4K, 4);
	expect_sync(f->m, 1, 0x104000, 0x107fff);
	assert_int_equal(mock_mapped_bytes(f->m), SZ_64K - 0x4000);

	/* Nothing mapped there: 0 bytes, and the IOTLB is synced all the same. */
	mock_log_clear(f->m);
	assert_int_equal(iommusim_iommu_unmap(f->d, f->cpu, 0x900000, SZ_8K), 0);
	assert_int_equal(mock_log_len(f->m), 2);
	expect_unmap(f->m, 0, 0x900000, SZ_4K, 2);
	expect_sync_empty(f->m, 1);

	/*
	 * The rest (0x100000..0x103fff) through a range that runs past it: the driver stops at
	 * the first unmapped page and returns 4 pages, so unmap returns 0x4000.
	 */
	mock_log_clear(f->m);
	assert_int_equal(iommusim_iommu_unmap(f->d, f->cpu, 0x100000, 0x6000), 0x4000);
	expect_unmap(f->m, 0, 0x100000, SZ_4K, 6);
	expect_sync(f->m, mock_log_len(f->m) - 1, 0x100000, 0x103fff);
	assert_int_equal(iommusim_iommu_unmap(f->d, f->cpu, 0x108000, 0x8000), 0x8000);
	assert_int_equal(mock_mapped_pages(f->m), 0);
}

static void test_iommu_core_unmap_misaligned_returns_zero(void **state)
{
	struct fix *f = *state;

	assert_int_equal(iommusim_iommu_map(f->d, f->cpu, 0x100000, 0x5000, SZ_8K, RW), 0);
	mock_log_clear(f->m);
	/* iova or size not a multiple of 4K: 0, and the driver is not asked to unmap. */
	assert_int_equal(iommusim_iommu_unmap(f->d, f->cpu, 0x100800, SZ_4K), 0);
	assert_int_equal(iommusim_iommu_unmap(f->d, f->cpu, 0x100000, 0x1800), 0);
	assert_int_equal(mock_log_count(f->m, MOCK_CALL_UNMAP_PAGES), 0);
	assert_int_equal(mock_mapped_bytes(f->m), SZ_8K);
	{
		struct iommusim_iotlb_gather g;

		iommusim_iotlb_gather_init(&g);
		assert_int_equal(iommusim_iommu_unmap_fast(f->d, f->cpu, 0x100800, SZ_4K, &g), 0);
		assert_int_equal(g.end, 0);
	}
	expect_mapped(f->d, 0x100000, 0x5000, SZ_8K);
	assert_int_equal(iommusim_iommu_unmap(f->d, f->cpu, 0x100000, SZ_8K), SZ_8K);
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
	struct fix *f = *state;
	uint64_t phys = 0;
	int prot = 0;

	fix_init(f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	assert_int_equal(
		iommusim_iommu_map(f->d, f->cpu, 0x200000, 0x40200000, SZ_2M, IOMMUSIM_PROT_WRITE),
		0);
	assert_int_equal(iommusim_iommu_translate(f->d, 0x2abcde, &phys, &prot), 0);
	assert_int_equal(phys, 0x402abcde);
	assert_int_equal(prot, IOMMUSIM_PROT_WRITE);
	assert_int_equal(iommusim_iommu_translate(f->d, 0x2abcde, NULL, NULL), 0);
	assert_int_equal(iommusim_iommu_translate(f->d, 0x400000, &phys, &prot), -EFAULT);
	assert_int_equal(iommusim_iommu_unmap(f->d, f->cpu, 0x200000, SZ_2M), SZ_2M);
	assert_int_equal(iommusim_iommu_translate(f->d, 0x2abcde, &phys, &prot), -EFAULT);
}

/* add_range(@iova, @size) leaves the gather's one interval at [@start, @end]. */
static void expect_add_range(struct iommusim_iotlb_gather *g, uint64_t iova, uint64_t size,
			     uint64_t start, uint64_t end)
{
	iommusim_iotlb_gather_add_range(g, iova, size);
	assert_int_equal(g->start, start);
	assert_int_equal(g->end, end);
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
	expect_add_range(&g, 0x5000, 0x2000, 0x5000, 0x6fff);
	/* Inside: unchanged. */
	expect_add_range(&g, 0x5000, 0x1000, 0x5000, 0x6fff);
	/* Above with a gap: the gap is covered. */
	expect_add_range(&g, 0x10000, 0x1000, 0x5000, 0x10fff);
	/* Below. */
	expect_add_range(&g, 0x1000, 0x1000, 0x1000, 0x10fff);
	/* A range ending at the top of the address space: end = ~0. */
	expect_add_range(&g, UINT64_MAX - 0xfff, 0x1000, 0x1000, UINT64_MAX);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_iommu_core_unmap_returns_bytes_and_always_syncs, core_setup,
			core_teardown),
		cmocka_unit_test_setup_teardown(test_iommu_core_unmap_misaligned_returns_zero,
						core_setup, core_teardown),
		cmocka_unit_test(test_iommu_core_unmap_fast_fills_gather_without_sync),
		cmocka_unit_test_setup_teardown(test_iommu_core_translate, core_alloc,
						core_teardown),
		cmocka_unit_test(test_iommu_core_gather_init_and_add_range),
		cmocka_unit_test(test_iommu_core_gather_is_disjoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
