/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of iommu_map() and iommu_map_sg(): misalignment, drivers without map_pages, undo on
 * failure, iotlb_sync_map called once and the 6.6 / 6.7 difference on its failure, merged
 * scatterlist runs and their failures.
 */
#include "iommu_core_fixture.h"

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
	struct fix *f = *state;

	fix_init(f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	/*
	 * The runs are (4K x 2), (2M x 2), (4K x 3) as above. The second call maps one 2M page
	 * and fails: mapped so far = 8K + 2M, which iommu_unmap(iova, 0x202000) undoes, split
	 * by iova as (4K x 2) then (2M x 1), followed by one iotlb_sync of [iova, iova+0x201fff].
	 */
	mock_fail_map_pages(f->m, -ENOMEM, 1, 1);
	assert_int_equal(iommusim_iommu_map(f->d, f->cpu, iova, paddr, size, RW), -ENOMEM);
	assert_int_equal(mock_log_len(f->m), 5);
	expect_map(f->m, 0, 0x1fe000, 0x801fe000, SZ_4K, 2);
	expect_map(f->m, 1, 0x200000, 0x80200000, SZ_2M, 2);
	expect_unmap(f->m, 2, 0x1fe000, SZ_4K, 2);
	expect_unmap(f->m, 3, 0x200000, SZ_2M, 1);
	expect_sync(f->m, 4, iova, iova + SZ_8K + SZ_2M - 1);
	/* No iotlb_sync_map for a failed map, and nothing left behind. */
	assert_int_equal(mock_log_count(f->m, MOCK_CALL_SYNC_MAP), 0);
	assert_int_equal(mock_mapped_pages(f->m), 0);
	assert_int_equal(iommusim_iommu_translate(f->d, iova, NULL, NULL), -EFAULT);
}

static void test_iommu_core_map_failure_first_call_syncs_nothing(void **state)
{
	struct fix *f = *state;

	/* Nothing mapped: iommu_unmap of 0 bytes calls no unmap_pages but still syncs. */
	mock_fail_map_pages(f->m, -EIO, 0, 0);
	assert_int_equal(iommusim_iommu_map(f->d, f->cpu, 0x100000, 0x5000, SZ_64K, RW), -EIO);
	assert_int_equal(mock_log_len(f->m), 2);
	expect_map(f->m, 0, 0x100000, 0x5000, SZ_4K, 16);
	expect_sync_empty(f->m, 1);
	assert_int_equal(mock_mapped_pages(f->m), 0);

	/* A failure after 5 of 16 pages: exactly those 5 are unmapped. */
	mock_log_clear(f->m);
	mock_fail_map_pages(f->m, -EIO, 0, 5);
	assert_int_equal(iommusim_iommu_map(f->d, f->cpu, 0x100000, 0x5000, SZ_64K, RW), -EIO);
	assert_int_equal(mock_log_len(f->m), 3);
	expect_map(f->m, 0, 0x100000, 0x5000, SZ_4K, 16);
	expect_unmap(f->m, 1, 0x100000, SZ_4K, 5);
	expect_sync(f->m, 2, 0x100000, 0x100000 + 5 * SZ_4K - 1);
	assert_int_equal(mock_mapped_pages(f->m), 0);
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
	struct fix *f = *state;

	fix_init(f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	/* 6.7: iommu_map undoes the whole range with iommu_unmap (split by iova, then sync). */
	mock_fail_sync_map(f->m, -ENOMEM, 0);
	assert_int_equal(iommusim_iommu_map(f->d, f->cpu, iova, paddr, size, RW), -ENOMEM);
	assert_int_equal(mock_log_len(f->m), 8);
	expect_map_head_middle_tail(f->m, 0);
	expect_unmap_head_middle_tail(f->m, 4);
	assert_int_equal(mock_mapped_pages(f->m), 0);
}

static void test_iommu_core_map_sync_map_failure_6_6_ignored(void **state)
{
	struct fix *f = *state;

	fix_init(f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_6);
	/* 6.6: iotlb_sync_map returned void; the map stands. */
	mock_fail_sync_map(f->m, -ENOMEM, 0);
	expect_one_run(f, 0x200000, 0x40200000, SZ_4M, SZ_2M, 2);
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

/*
 * map_sg of sg5 with map_pages call @call failing after @after pages: -ENOSPC, nothing mapped,
 * six driver calls logged, the first two the maps of the first two runs.
 */
static void expect_sg5_fails(struct fix *f, unsigned int call, unsigned int after)
{
	uint64_t mapped = 77;

	mock_fail_map_pages(f->m, -ENOSPC, call, after);
	assert_int_equal(iommusim_iommu_map_sg(f->d, f->cpu, 0x100000, sg5, 5, RW, &mapped),
			 -ENOSPC);
	assert_int_equal(mapped, 0);
	assert_int_equal(mock_log_len(f->m), 6);
	expect_map(f->m, 0, 0x100000, 0x10000, SZ_4K, 3);
	expect_map(f->m, 1, 0x103000, 0x20000, SZ_4K, 2);
}

static void test_iommu_core_map_sg_failure_unmaps_everything(void **state)
{
	struct fix *f = *state;
	uint64_t mapped = 77;

	/*
	 * The third run fails before mapping anything: its own __iommu_map undo unmaps 0 bytes
	 * (a sync with an empty gather), then map_sg unmaps the 0x5000 bytes of the first two
	 * runs: one unmap_pages of 5 pages and a sync of [0x100000, 0x104fff].
	 */
	expect_sg5_fails(f, 2, 0);
	expect_map(f->m, 2, 0x105000, 0x30000, SZ_4K, 1);
	expect_sync_empty(f->m, 3);
	expect_unmap(f->m, 4, 0x100000, SZ_4K, 5);
	expect_sync(f->m, 5, 0x100000, 0x104fff);
	assert_int_equal(mock_log_count(f->m, MOCK_CALL_SYNC_MAP), 0);
	assert_int_equal(mock_mapped_pages(f->m), 0);

	/* The second run fails after one of its two pages: that page, then the first run. */
	mock_log_clear(f->m);
	expect_sg5_fails(f, 1, 1);
	expect_unmap(f->m, 2, 0x103000, SZ_4K, 1);
	expect_sync(f->m, 3, 0x103000, 0x103fff);
	expect_unmap(f->m, 4, 0x100000, SZ_4K, 3);
	expect_sync(f->m, 5, 0x100000, 0x102fff);
	assert_int_equal(mock_mapped_pages(f->m), 0);

	/* A misaligned element fails the map of its run with -EINVAL, and undoes the rest. */
	mock_log_clear(f->m);
	{
		const struct iommusim_sg bad[] = {
			{.phys = 0x10000, .length = SZ_4K},
			{.phys = 0x20800, .length = SZ_4K},
		};

		assert_int_equal(iommusim_iommu_map_sg(f->d, f->cpu, 0x100000, bad, 2, RW, &mapped),
				 -EINVAL);
		assert_int_equal(mapped, 0);
		assert_int_equal(mock_mapped_pages(f->m), 0);
		assert_int_equal(mock_log_count(f->m, MOCK_CALL_SYNC_MAP), 0);
	}
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iommu_core_map_rejects_misalignment),
		cmocka_unit_test(test_iommu_core_map_without_map_pages_or_sizes),
		cmocka_unit_test_setup_teardown(
			test_iommu_core_map_failure_midway_unmaps_what_was_mapped, core_alloc,
			core_teardown),
		cmocka_unit_test_setup_teardown(
			test_iommu_core_map_failure_first_call_syncs_nothing, core_setup,
			core_teardown),
		cmocka_unit_test(test_iommu_core_map_calls_sync_map_once),
		cmocka_unit_test_setup_teardown(test_iommu_core_map_sync_map_failure_6_7_unmaps,
						core_alloc, core_teardown),
		cmocka_unit_test_setup_teardown(test_iommu_core_map_sync_map_failure_6_6_ignored,
						core_alloc, core_teardown),
		cmocka_unit_test(test_iommu_core_map_sg_merges_contiguous_runs),
		cmocka_unit_test_setup_teardown(test_iommu_core_map_sg_failure_unmaps_everything,
						core_setup, core_teardown),
		cmocka_unit_test(test_iommu_core_map_sg_sync_map_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
