/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the IOVA tree's two search hints (cached and cached32) and of the 32-bit
 * fast-fail size max32_alloc_size, with the kernel's quirks: where the hints land and move on
 * free, holes above the hint, a higher 32-bit limit, and what sets and resets max32.
 */
#include "iova_tree_fixture.h"
#define LIM36 ((UINT64_C(1) << 24) - 1)

/* ---------------------------------------------------------------------------------------- */
/* cached-node maintenance                                                                    */

/*
 * Q3: the hint that moves is chosen by where the node landed. With [0x100000, 0xFFFFFFF]
 * reserved, a 64-bit request (excl 0x10000000 > dma32, so it starts at cached = anchor) walks
 * past the reservation to new = 0x100000 - 1 = 0xFFFFF: pfn_hi < dma32, so cached32 moves and
 * cached stays on the anchor.
 */
static void test_iova_tree_hint_follows_landing_not_limit(void **state)
{
	struct fx *f = *state;

	reserve_ok(f, DMA32, 0xFFFFFFF);
	assert_int_equal(alloc_ok(f, 1, 0xFFFFFFF, false), 0xFFFFF);
	assert_cached(f, ANCHOR, 0xFFFFF, DMA32);
	/* A 32-bit request now continues below that node. */
	assert_int_equal(alloc_ok(f, 1, LIM32, false), 0xFFFFE);
	assert_cached(f, ANCHOR, 0xFFFFE, DMA32);
}

/*
 * A node straddling 4 GiB has pfn_hi >= dma32, so it becomes the 64-bit hint. With
 * [0x100008, 0x1FFFFF] reserved, 16 unaligned pfns under 0x1FFFFF land at 0x100008 - 16 =
 * 0xFFFF8 ([0xFFFF8, 0x100007]). A 32-bit size-1 request then starts from the anchor (cached32
 * unchanged), walks past both nodes and takes 0xFFFF8 - 1 = 0xFFFF7.
 */
static void test_iova_tree_hint_straddling_node_is_64bit(void **state)
{
	struct fx *f = *state;

	reserve_ok(f, 0x100008, 0x1FFFFF);
	assert_int_equal(alloc_ok(f, 16, 0x1FFFFF, false), 0xFFFF8);
	assert_cached(f, 0xFFFF8, ANCHOR, DMA32);
	assert_int_equal(alloc_ok(f, 1, LIM32, false), 0xFFFF7);
	assert_cached(f, 0xFFFF8, 0xFFFF7, DMA32);
}

/*
 * dma32 depends on the granule: with 512-byte granules, pfn 0x1FFFFF is below 1 << 23, so a
 * request under limit 0x1FFFFF is 32-bit and moves cached32; with 4 KiB granules the same
 * request is 64-bit (excl 0x200000 > 0x100000) and moves cached.
 */
static void test_iova_tree_hint_boundary_scales_with_granule(void **state)
{
	struct fx f;

	(void)state;
	make_domain_full(&f, 512, 1, false);
	assert_int_equal(alloc_ok(&f, 1, 0x1FFFFF, false), 0x1FFFFF);
	assert_cached(&f, ANCHOR, 0x1FFFFF, 0x800000);
	destroy_domain(&f);

	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 1, 0x1FFFFF, false), 0x1FFFFF);
	assert_cached(&f, 0x1FFFFF, ANCHOR, DMA32);
	destroy_domain(&f);
}

/*
 * Q3: a 36-bit-mask allocation (limit 2^24-1) becomes the 64-bit hint, and the next 48-bit
 * request starts from it:
 *   16 under LIM48: 2^36 - 16                  (cached = it)
 *   16 under LIM36: start at cached, high = min(2^24, 2^36-16) = 2^24 -> 2^24 - 16
 *   16 under LIM48: start at [2^24-16], high = 2^24 - 16  -> 2^24 - 32, not 2^36 - 32.
 */
static void test_iova_tree_cached_drags_64bit_allocs_down(void **state)
{
	struct fx *f = *state;

	assert_int_equal(alloc_ok(f, 16, LIM48, true), (UINT64_C(1) << 36) - 16);
	assert_int_equal(alloc_ok(f, 16, LIM36, true), (UINT64_C(1) << 24) - 16);
	assert_cached(f, (UINT64_C(1) << 24) - 16, ANCHOR, DMA32);
	assert_int_equal(alloc_ok(f, 16, LIM48, true), (UINT64_C(1) << 24) - 32);
	assert_cached(f, (UINT64_C(1) << 24) - 32, ANCHOR, DMA32);
}

/*
 * Freeing at or above cached_node: after the three allocations above (cached = 2^24-32), freeing
 * 2^24-16 (at or above the hint) moves cached to its successor 2^36-16, so the next 48-bit request
 * lands at 2^36 - 32 again. Freeing 2^24-32, now below the hint, leaves it where it is.
 */
static void test_iova_tree_free_at_cached_moves_to_successor(void **state)
{
	const uint64_t top = (UINT64_C(1) << 36) - 16;
	const uint64_t mid = (UINT64_C(1) << 24) - 16;
	struct fx *f = *state;

	assert_int_equal(alloc_ok(f, 16, LIM48, true), top);
	assert_int_equal(alloc_ok(f, 16, LIM36, true), mid);
	assert_int_equal(alloc_ok(f, 16, LIM48, true), mid - 16);
	free_ok(f, mid);
	assert_cached(f, top, ANCHOR, DMA32);
	assert_int_equal(alloc_ok(f, 16, LIM48, true), top - 16);
	assert_cached(f, top - 16, ANCHOR, DMA32);
	free_ok(f, mid - 16);
	assert_cached(f, top - 16, ANCHOR, DMA32);
}

/*
 * Freeing at or above cached32_node: size 1 under limit 7 gives 7, 6, 5, 4, 3 (cached32 = 3).
 * Freeing 5 (>= 3) moves cached32 to its successor 6; freeing 3 (below 6) does not move it. The
 * next request starts at 6: new = 5, which clears node 4 -> the hole is reused.
 */
static void test_iova_tree_free_at_cached32_moves_to_successor(void **state)
{
	struct fx *f = *state;

	for (uint64_t want = 7; want >= 3; want--)
		assert_int_equal(alloc_ok(f, 1, 7, true), want);
	assert_cached(f, ANCHOR, 3, DMA32);
	free_ok(f, 5);
	assert_cached(f, ANCHOR, 6, DMA32);
	free_ok(f, 3);
	assert_cached(f, ANCHOR, 6, DMA32);
	assert_int_equal(alloc_ok(f, 1, 7, true), 5);
}

/* Freeing the highest node hands the hint to its successor, the anchor, in both halves. */
static void test_iova_tree_free_last_node_returns_hint_to_anchor(void **state)
{
	struct fx *f = *state;

	assert_int_equal(alloc_ok(f, 1, LIM32, false), 0xFFFFF);
	assert_int_equal(alloc_ok(f, 1, 0x1FFFFF, false), 0x1FFFFF);
	assert_cached(f, 0x1FFFFF, 0xFFFFF, DMA32);
	free_ok(f, 0x1FFFFF);
	assert_cached(f, ANCHOR, 0xFFFFF, DMA32);
	free_ok(f, 0xFFFFF);
	assert_cached(f, ANCHOR, ANCHOR, DMA32);
	assert_ranges(f, NULL, 0);
}

/*
 * Q4: the search starts at the hint, so a hole above it waits for the retry pass.
 * start_pfn 8, limit 15: size 1 x4 -> 15, 14, 13, 12 (cached32 = 12). Free 14 -> cached32 = 15.
 * Size 2 aligned from 15: (15-2)&~1 = 12 collides with 13; (13-2)&~1 = 10 clears 12 -> [10,11],
 * cached32 = 10: hole 14 is now above the hint. Size 1 -> 9, then 8 (first pass). Next: 7 <
 * start_pfn; retry_pfn = 8 < excl 16, so search [9, 15] from the anchor: 15 taken, 14 free ->
 * 14. Then the window is full: both passes fail and max32 = 1.
 */
static void test_iova_tree_search_skips_hole_above_cached(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 8);
	for (uint64_t want = 15; want >= 12; want--)
		assert_int_equal(alloc_ok(&f, 1, 15, true), want);
	free_ok(&f, 14);
	assert_cached(&f, ANCHOR, 15, DMA32);
	assert_int_equal(alloc_ok(&f, 2, 15, true), 10);
	assert_cached(&f, ANCHOR, 10, DMA32);
	assert_int_equal(alloc_ok(&f, 1, 15, true), 9);
	assert_int_equal(alloc_ok(&f, 1, 15, true), 8);
	assert_int_equal(alloc_ok(&f, 1, 15, true), 14);
	alloc_fails(&f, 1, 15, true);
	assert_cached(&f, ANCHOR, 14, 1);
	destroy_domain(&f);
}

/*
 * Q2: both limits are 32-bit, so both start at cached32. 64 aligned under 255: 192, 128
 * (cached32 = 128). Under 511, [256, 511] is untouched, yet the search starts at 128:
 * new = 128 - 64 = 64. Only when that fails (new = 0 < start_pfn) does the retry over
 * [128, 511] from the anchor find (512 - 64) = 448.
 */
static void test_iova_tree_higher_32bit_limit_blind_between_limits(void **state)
{
	struct fx *f = *state;

	assert_int_equal(alloc_ok(f, 64, 255, true), 192);
	assert_int_equal(alloc_ok(f, 64, 255, true), 128);
	assert_int_equal(alloc_ok(f, 64, 511, true), 64);
	assert_missing(f, 448);
	assert_int_equal(alloc_ok(f, 64, 511, true), 448);
}

/* ---------------------------------------------------------------------------------------- */
/* max32_alloc_size                                                                           */

/*
 * Leaves exactly one hole below 4 GiB, [0xFFF50, 0xFFFAF] (96 pfns), that straddles the
 * 64-aligned boundary 0xFFF80: no 64-aligned block fits (0xFFF40 starts below it, 0xFFF80 ends
 * at 0xFFFBF), but 64 or 96 unaligned pfns do. Everything else up to 0x1FFFFF is reserved.
 * Then a 64-bit request of 64 aligned pfns fails: from the anchor, 0x1FFFC0 hits the upper
 * reservation, (0xFFFB0 - 64) & ~63 = 0xFFF40 hits the lower one, then high = 1 < 64; no retry
 * (retry_pfn is the anchor's, not below the limit) -> max32 = 64 although the limit is 64-bit.
 */
static void make_max32_scenario(struct fx *f)
{
	make_domain(f, 1);
	reserve_ok(f, 1, 0xFFF4F);
	reserve_ok(f, 0xFFFB0, 0x1FFFFF);
	alloc_fails(f, 64, 0x1FFFFF, true);
}

/* Even a failure under a 64-bit limit sets max32_alloc_size (a quirk of the kernel). */
static void test_iova_tree_max32_set_by_64bit_failure(void **state)
{
	struct fx f;

	(void)state;
	make_max32_scenario(&f);
	assert_cached(&f, ANCHOR, ANCHOR, 64);
	assert_int_equal(stats_of(&f).tree_failures, 1);
	destroy_domain(&f);
}

/*
 * Q1: 32-bit requests of size >= 64 fail without a search although 64 and 96 unaligned pfns
 * fit in the hole; no tree node is even looked at. Size 63 is searched normally: from cached32
 * (the anchor) past the upper reservation, new = 0xFFFB0 - 63 = 0xFFF71, above the lower one.
 */
static void test_iova_tree_max32_fast_fails_even_if_unaligned_fits(void **state)
{
	struct fx f;
	uint64_t before;

	(void)state;
	make_max32_scenario(&f);
	before = iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_TREE_NODE);
	alloc_fails(&f, 64, LIM32, false);
	alloc_fails(&f, 96, LIM32, false);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_TREE_NODE), before);
	assert_missing(&f, 0xFFF50);
	assert_missing(&f, 0xFFFAF);
	/* The fast path does not rewrite the hint. */
	assert_int_equal(cached_of(&f).max32_alloc_size, 64);
	assert_int_equal(alloc_ok(&f, 63, LIM32, false), 0xFFF71);
	assert_int_equal(stats_of(&f).tree_failures, 3);
	destroy_domain(&f);
}

/*
 * The fast fail applies to excl <= dma32 only: limit 0xFFFFF is 32-bit and fails at once;
 * limit 0x100000 (excl 0x100001) is 64-bit and searched from the anchor: 0xFFFC1 hits the
 * upper reservation, 0xFFFB0 - 64 = 0xFFF70 clears the lower one. Success keeps max32.
 */
static void test_iova_tree_max32_only_limits_32bit_requests(void **state)
{
	struct fx f;

	(void)state;
	make_max32_scenario(&f);
	alloc_fails(&f, 64, LIM32, false);
	assert_int_equal(alloc_ok(&f, 64, DMA32, false), 0xFFF70);
	assert_cached(&f, ANCHOR, 0xFFF70, 64);
	destroy_domain(&f);
}

/*
 * Freeing a node with pfn_lo < dma32 resets max32 to dma32. After the size-63
 * allocation at 0xFFF71, free it by an interior pfn: max32 = 0x100000 and cached32 moves to
 * its successor (the upper reservation), so 64 unaligned now succeeds at 0xFFFB0 - 64.
 */
static void test_iova_tree_max32_reset_by_free_below_4g(void **state)
{
	struct fx f;

	(void)state;
	make_max32_scenario(&f);
	assert_int_equal(alloc_ok(&f, 63, LIM32, false), 0xFFF71);
	assert_int_equal(cached_of(&f).max32_alloc_size, 64);
	free_ok(&f, 0xFFF80);
	assert_cached(&f, ANCHOR, 0xFFFB0, DMA32);
	assert_int_equal(alloc_ok(&f, 64, LIM32, false), 0xFFF70);
	destroy_domain(&f);
}

/*
 * Only a free below 4 GiB resets max32. L = 0xFFFFF (size 1). 0xFFFFF unaligned pfns would
 * need [1, 0xFFFFF]: first pass new = 0 < 1, retry over [0x100000, 0xFFFFF] is empty -> fail,
 * max32 = 0xFFFFF. H = 0x1FFFFF (64-bit). Freeing H (pfn_lo >= dma32) keeps max32; freeing L
 * resets it to dma32.
 */
static void test_iova_tree_max32_not_reset_by_free_above_4g(void **state)
{
	struct fx *f = *state;

	assert_int_equal(alloc_ok(f, 1, LIM32, false), 0xFFFFF);
	alloc_fails(f, 0xFFFFF, LIM32, false);
	assert_int_equal(cached_of(f).max32_alloc_size, 0xFFFFF);
	assert_int_equal(alloc_ok(f, 1, 0x1FFFFF, false), 0x1FFFFF);
	free_ok(f, 0x1FFFFF);
	assert_int_equal(cached_of(f).max32_alloc_size, 0xFFFFF);
	free_ok(f, 0xFFFFF);
	assert_int_equal(cached_of(f).max32_alloc_size, DMA32);
}

/*
 * Reservations never touch the hints or max32, wherever they land (below cached32, between
 * the halves, above cached). Set-up: L = 0xFFFFF, H = 0x1FFFFF, then a failed search of
 * 0xFFFFF pfns (as in the max32-above-4G test) -> max32 = 0xFFFFF.
 */
static void test_iova_tree_reserve_leaves_hints_and_max32(void **state)
{
	struct fx *f = *state;

	assert_int_equal(alloc_ok(f, 1, LIM32, false), 0xFFFFF);
	assert_int_equal(alloc_ok(f, 1, 0x1FFFFF, false), 0x1FFFFF);
	alloc_fails(f, 0xFFFFF, LIM32, false);
	assert_cached(f, 0x1FFFFF, 0xFFFFF, 0xFFFFF);
	reserve_ok(f, 0x10, 0x1F);
	reserve_ok(f, 0x150000, 0x15FFFF);
	reserve_ok(f, 0x300000, 0x3FFFFF);
	assert_cached(f, 0x1FFFFF, 0xFFFFF, 0xFFFFF);
	assert_int_equal(stats_of(f).nodes, 5);
	assert_int_equal(stats_of(f).tree_allocs, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_iova_tree_hint_follows_landing_not_limit,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_hint_straddling_node_is_64bit,
						tree_setup, tree_teardown),
		cmocka_unit_test(test_iova_tree_hint_boundary_scales_with_granule),
		cmocka_unit_test_setup_teardown(test_iova_tree_cached_drags_64bit_allocs_down,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_free_at_cached_moves_to_successor,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_free_at_cached32_moves_to_successor,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(
			test_iova_tree_free_last_node_returns_hint_to_anchor, tree_setup,
			tree_teardown),
		cmocka_unit_test(test_iova_tree_search_skips_hole_above_cached),
		cmocka_unit_test_setup_teardown(
			test_iova_tree_higher_32bit_limit_blind_between_limits, tree_setup,
			tree_teardown),
		cmocka_unit_test(test_iova_tree_max32_set_by_64bit_failure),
		cmocka_unit_test(test_iova_tree_max32_fast_fails_even_if_unaligned_fits),
		cmocka_unit_test(test_iova_tree_max32_only_limits_32bit_requests),
		cmocka_unit_test(test_iova_tree_max32_reset_by_free_below_4g),
		cmocka_unit_test_setup_teardown(test_iova_tree_max32_not_reset_by_free_above_4g,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_reserve_leaves_hints_and_max32,
						tree_setup, tree_teardown),
	};

	return cmocka_run_group_tests_name("iova_tree_hints", tests, NULL, NULL);
}
