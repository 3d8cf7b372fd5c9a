/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the IOMMU core's page-size splitting (iommu_pgsize()): 4 KiB only, aligned 2 MiB
 * pages, an unaligned head with big middles, ranges not congruent, the next page rule and no
 * fitting size.
 */
#include "iommu_core_fixture.h"

/* iommu_pgsize() picks @want pages, @want_count of them, for the first run of the range. */
static void expect_pgsize(uint64_t bitmap, uint64_t iova, uint64_t paddr, uint64_t size,
			  uint64_t want, uint64_t want_count)
{
	uint64_t count = UINT64_MAX;

	assert_int_equal(iommusim_iommu_pgsize(bitmap, iova, paddr, size, &count), want);
	assert_int_equal(count, want_count);
}

/* ----------------------------------------------------------------------------------------- */
/* iommu_pgsize                                                                                */
/* ----------------------------------------------------------------------------------------- */

static void test_iommu_core_pgsize_4k_only_one_call(void **state)
{
	struct fix *f = *state;

	/* 4K-only (s390): no larger size exists, so count = size / 4K = 1 MiB / 4K = 256. */
	expect_pgsize(PGS_4K, 0x100000, 0x5000, SZ_1M, SZ_4K, 256);

	fix_init(f, PGS_4K, IOMMUSIM_KERNEL_6_7);
	/* One map_pages for everything, then one iotlb_sync_map over the whole range. */
	expect_one_run(f, 0x100000, 0x5000, SZ_1M, SZ_4K, 256);
	assert_int_equal(mock_log_at(f->m, 0).prot, RW);
}

static void test_iommu_core_pgsize_aligned_2m_pages(void **state)
{
	struct fix *f = *state;

	/*
	 * iova 0x200000 | paddr 0x40200000: lowest set bit 21, so sizes <= 2M; size 4M allows
	 * up to 4M: pgsize 2M. Next size 1G: iova ^ paddr = 0x40000000 is 0 modulo 1G
	 * (congruent), offset to the next 1G boundary = 1G - 2M, and offset + 1G > 4M, so no cap:
	 * count = 4M >> 21 = 2.
	 */
	expect_pgsize(PGS_4K_2M_1G, 0x200000, 0x40200000, SZ_4M, SZ_2M, 2);

	fix_init(f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	expect_one_run(f, 0x200000, 0x40200000, SZ_4M, SZ_2M, 2);
}

static void test_iommu_core_pgsize_unaligned_head_big_middle_tail(void **state)
{
	const uint64_t iova = 0x1fe000, paddr = 0x801fe000, size = SZ_8K + SZ_4M + 0x3000;
	struct fix *f = *state;

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

	fix_init(f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	assert_int_equal(iommusim_iommu_map(f->d, f->cpu, iova, paddr, size, RW), 0);
	assert_int_equal(mock_log_len(f->m), 4);
	expect_map_head_middle_tail(f->m, 0);
	assert_int_equal(mock_mapped_bytes(f->m), size);
	expect_mapped(f->d, iova, paddr, size);

	/* Unmap splits by iova alone (iova, iova) the same way: same three calls, one sync. */
	mock_log_clear(f->m);
	assert_int_equal(iommusim_iommu_unmap(f->d, f->cpu, iova, size), size);
	assert_int_equal(mock_log_len(f->m), 4);
	expect_unmap_head_middle_tail(f->m, 0);
	assert_int_equal(mock_mapped_pages(f->m), 0);
}

static void test_iommu_core_pgsize_not_congruent_stays_4k(void **state)
{
	struct fix *f = *state;

	/*
	 * iova 0x200000, paddr 0x80201000: iova | paddr has lowest bit 12, so 4K; the next size
	 * 2M is skipped because iova ^ paddr = 0x80001000 is not 0 modulo 2M: one run of
	 * 4M / 4K = 1024 pages.
	 */
	expect_pgsize(PGS_4K_2M_1G, 0x200000, 0x80201000, SZ_4M, SZ_4K, 1024);
	/* Both 1M-aligned but 1M apart modulo 2M: same answer. */
	expect_pgsize(PGS_4K_2M_1G, 0x200000, 0x80300000, SZ_4M, SZ_4K, 1024);

	fix_init(f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	/* Unaligned iova as well: never a 2M page, so never a cap at a 2M boundary either. */
	expect_one_run(f, 0x1fe000, 0x80301000, SZ_4M, SZ_4K, 1024);
	assert_int_equal(mock_mapped_pages(f->m), 0);
}

static void test_iommu_core_pgsize_plus_one_next_page_rule(void **state)
{
	struct fix *f = *state;

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

	fix_init(f, PGS_4K_2M_1G, IOMMUSIM_KERNEL_6_7);
	expect_one_run(f, 0x1fe000, 0x1fe000, 0x201000, SZ_4K, 513);

	mock_log_clear(f->m);
	assert_int_equal(iommusim_iommu_map(f->d, f->cpu, 0x1fe000, 0x1fe000, 0x202000, RW), 0);
	assert_int_equal(mock_log_len(f->m), 3);
	expect_map(f->m, 0, 0x1fe000, 0x1fe000, SZ_4K, 2);
	expect_map(f->m, 1, 0x200000, 0x200000, SZ_2M, 1);
	expect_sync_map(f->m, 2, 0x1fe000, 0x202000);
	assert_int_equal(iommusim_iommu_unmap(f->d, f->cpu, 0x1fe000, 0x202000), 0x202000);

	mock_log_clear(f->m);
	assert_int_equal(
		iommusim_iommu_map(f->d, f->cpu, 0x3fe00000, 0x7fe00000, SZ_2M + SZ_1G, RW), 0);
	assert_int_equal(mock_log_len(f->m), 3);
	expect_map(f->m, 0, 0x3fe00000, 0x7fe00000, SZ_2M, 1);
	expect_map(f->m, 1, 0x40000000, 0x80000000, SZ_1G, 1);
	expect_sync_map(f->m, 2, 0x3fe00000, SZ_2M + SZ_1G);
	assert_int_equal(iommusim_iommu_unmap(f->d, f->cpu, 0x3fe00000, SZ_2M + SZ_1G),
			 SZ_2M + SZ_1G);
	assert_int_equal(mock_mapped_pages(f->m), 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_iommu_core_pgsize_4k_only_one_call, core_alloc,
						core_teardown),
		cmocka_unit_test_setup_teardown(test_iommu_core_pgsize_aligned_2m_pages, core_alloc,
						core_teardown),
		cmocka_unit_test_setup_teardown(
			test_iommu_core_pgsize_unaligned_head_big_middle_tail, core_alloc,
			core_teardown),
		cmocka_unit_test_setup_teardown(test_iommu_core_pgsize_not_congruent_stays_4k,
						core_alloc, core_teardown),
		cmocka_unit_test_setup_teardown(test_iommu_core_pgsize_plus_one_next_page_rule,
						core_alloc, core_teardown),
		cmocka_unit_test(test_iommu_core_pgsize_no_fitting_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
