/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the rcache's size classes: small sizes rounded and aligned, the class a free
 * selects, large sizes bypassing the cache, a start PFN of zero and bad arguments.
 */
#include "iova_rcache_fixture.h"

/*
 * Sizes below 32 are rounded up to a power of two and size-aligned; 32 stays 32; 33 and 48
 * keep their size but start on a 64 boundary. All top-down from 0x100000 (alloc_iova()):
 *   3 -> 4:  (0x100000 - 4) & ~3   = 0xFFFFC, range [0xFFFFC, 0xFFFFF]
 *   5 -> 8:  (0xFFFFC - 8) & ~7    = 0xFFFF0, range [0xFFFF0, 0xFFFF7]
 *   17 -> 32: (0xFFFF0 - 32) & ~31 = 0xFFFC0, range [0xFFFC0, 0xFFFDF]
 *   32:      (0xFFFC0 - 32) & ~31  = 0xFFFA0, range [0xFFFA0, 0xFFFBF]
 *   33:      (0xFFFA0 - 33) & ~63  = 0xFFF40, range [0xFFF40, 0xFFF60] (33 pages, not 64)
 *   48:      (0xFFF40 - 48) & ~63  = 0xFFF00, range [0xFFF00, 0xFFF2F]
 *   1:       0xFFF00 - 1           = 0xFFEFF
 */
static void test_rcache_small_sizes_rounded_and_aligned(void **state)
{
	struct iova_fx *fx = *state;
	struct iommusim_iova_stats st;

	fx_init(fx, 1, 1, 0, false);

	/* the sizes above in order: the range each gets, first and last PFN */
	static const struct {
		uint64_t size, pfn, last;
	} want[] = {
		{3, 0xFFFFC, 0xFFFFF},	{5, 0xFFFF0, 0xFFFF7},	{17, 0xFFFC0, 0xFFFDF},
		{32, 0xFFFA0, 0xFFFBF}, {33, 0xFFF40, 0xFFF60}, {48, 0xFFF00, 0xFFF2F},
		{1, 0xFFEFF, 0xFFEFF},
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(fast(fx, 0, want[i].size, LIM32, false), want[i].pfn);
		assert_range(fx, want[i].pfn, want[i].pfn, want[i].last);
	}
	/* 0xFFFF8..0xFFFFB is a hole left by the 8-alignment, not part of any range */
	assert_false(in_tree(fx, 0xFFFF8));
	/* and 0xFFF61 is past the 33-page range, in the hole its 64-alignment left */
	assert_false(in_tree(fx, 0xFFF61));

	/* all from the tree: 5 cached-size misses (3, 5, 17, 32, 1); 33 and 48 are not counted */
	st = stats(fx);
	EXPECT_FIELDS(&st, IOVA_STATS(nodes, 7), IOVA_STATS(tree_allocs, 7),
		      IOVA_STATS(rcache_hits, 0), IOVA_STATS(rcache_misses, 5));
}

/*
 * free_iova_fast files a pfn under order_base_2(size) of the size it is given, which for an
 * unrounded size is the class its rounded range belongs to: 3 -> class 2, 5 -> 3, 17 -> 5.
 * The range stays in the tree, and a later request of any size of that class gets it back.
 */
static void test_rcache_free_size_selects_class(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t p3, p5, p17;

	fx_init(fx, 1, 1, 0, false);
	p3 = fast(fx, 0, 3, LIM32, false);
	p5 = fast(fx, 0, 5, LIM32, false);
	p17 = fast(fx, 0, 17, LIM32, false);

	ffree(fx, 0, p3, 3);
	ffree(fx, 0, p5, 5);
	ffree(fx, 0, p17, 17);
	for (unsigned int k = 0; k < IOMMUSIM_IOVA_CACHE_ORDERS; k++) {
		unsigned int want = (k == 2 || k == 3 || k == 5) ? 1 : 0;

		assert_int_equal(fill_loaded(fx, k, 0), want);
		assert_int_equal(fill_prev(fx, k, 0), 0);
	}
	/* cached, not freed: the full rounded ranges are still in the tree */
	assert_int_equal(stats(fx).nodes, 3);
	assert_range(fx, p3 + 3, p3, p3 + 3);
	assert_range(fx, p5 + 7, p5, p5 + 7);
	assert_range(fx, p17 + 31, p17, p17 + 31);

	/* 4 and 3 are both class 2; 8 is class 3; 32 and 20 are class 5 */
	assert_int_equal(fast(fx, 0, 4, LIM32, false), p3);
	assert_int_equal(fast(fx, 0, 8, LIM32, false), p5);
	assert_int_equal(fast(fx, 0, 20, LIM32, false), p17);
	assert_int_equal(stats(fx).rcache_hits, 3);
	ffree(fx, 0, p3, 4);
	assert_int_equal(fast(fx, 0, 3, LIM32, false), p3);
	assert_int_equal(stats(fx).rcache_hits, 4);
	assert_int_equal(stats(fx).nodes, 3);
}

/* order_base_2(33..) >= 6: never put into a magazine and never looked up in one. */
static void test_rcache_large_sizes_bypass_cache(void **state)
{
	struct iova_fx *fx = *state;
	struct iommusim_iova_stats st;
	uint64_t p32, p33, p64, q;

	fx_init(fx, 1, 1, 0, false);
	p32 = fast(fx, 0, 32, LIM32, false);
	p33 = fast(fx, 0, 33, LIM32, false);
	p64 = fast(fx, 0, 64, LIM32, false);
	assert_int_equal(stats(fx).nodes, 3);

	/* free side: 33 and 64 go straight back to the tree */
	ffree(fx, 0, p33, 33);
	assert_false(in_tree(fx, p33));
	ffree(fx, 0, p64, 64);
	assert_false(in_tree(fx, p64));
	assert_int_equal(stats(fx).nodes, 1);
	for (unsigned int k = 0; k < IOMMUSIM_IOVA_CACHE_ORDERS; k++)
		assert_int_equal(fill_loaded(fx, k, 0) + fill_prev(fx, k, 0), 0);

	/* alloc side: a cached 32-page range is not handed to a 33-page request */
	ffree(fx, 0, p32, 32);
	assert_int_equal(fill_loaded(fx, 5, 0), 1);
	/*
	 * Freeing p33 = 0xFFF80 (at or above cached32 = p64 = 0xFFF40) moved cached32 up to p32 =
	 * 0xFFFE0, so the tree places 33 pages at (0xFFFE0 - 33) & ~63 = 0xFFF80 again.
	 */
	q = fast(fx, 0, 33, LIM32, false);
	assert_int_equal(p32, 0xFFFE0);
	assert_int_equal(q, 0xFFF80);
	assert_range(fx, q, q, q + 32);
	assert_int_equal(fill_loaded(fx, 5, 0), 1);
	st = stats(fx);
	/* only the first 32-page request consulted the cache */
	EXPECT_FIELDS(&st, IOVA_STATS(rcache_hits, 0), IOVA_STATS(rcache_misses, 1),
		      IOVA_STATS(nodes, 2));
}

/*
 * Q10: with start_pfn 0 a tree allocation may return pfn 0 (limit 0: high = 1, new = 0 >= low
 * = 0). The kernel would call that a failure; the API returns 0 with pfn 0, and the range is
 * allocated: a tree allocation under limit 1 must skip it and return 1.
 */
static void test_rcache_start_pfn_zero(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t pfn = UINT64_MAX;

	fx_init(fx, 0, 1, 0, false);
	assert_int_equal(iommusim_iova_alloc_fast(fx->dom, fx->cpu[0], 1, 0, false, &pfn), 0);
	assert_int_equal(pfn, 0);
	assert_range(fx, 0, 0, 0);
	assert_int_equal(tree_alloc(fx, 1, 1), 1);
	assert_int_equal(stats(fx).nodes, 2);
	assert_int_equal(iommusim_iova_alloc_fast(fx->dom, fx->cpu[0], 1, 1, false, &pfn), -ENOMEM);
}

/* Input the kernel API would not accept, and bad indices of the inspection calls. */
static void test_rcache_invalid_arguments(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t pfn = 12345;
	unsigned int l, p;
	struct iommusim_iova_rcache_state rs;

	assert_int_equal(iommusim_iova_alloc_fast(fx->dom, fx->cpu[0], 0, LIM32, true, &pfn),
			 -EINVAL);
	assert_int_equal(iommusim_iova_alloc_fast(fx->dom, fx->cpu[0], 1, UINT64_MAX, true, &pfn),
			 -EINVAL);
	assert_int_equal(pfn, 12345);
	assert_int_equal(iommusim_iova_free_fast(fx->dom, fx->cpu[0], 5, 0), -EINVAL);
	assert_int_equal(iommusim_iova_rcache_state(fx->dom, IOMMUSIM_IOVA_CACHE_ORDERS, &rs),
			 -EINVAL);
	assert_int_equal(iommusim_iova_rcache_fill(fx->dom, IOMMUSIM_IOVA_CACHE_ORDERS, 0, &l, &p),
			 -EINVAL);
	assert_int_equal(iommusim_iova_rcache_fill(fx->dom, 0, 2, &l, &p), -EINVAL);
	assert_int_equal(iommusim_iova_cpu_dead(fx->dom, fx->cpu[0], 2), -EINVAL);
	assert_int_equal(iommusim_iova_set_online_cpus(fx->dom, 0), -EINVAL);
	assert_int_equal(iommusim_iova_set_online_cpus(fx->dom, 3), -EINVAL);
	assert_int_equal(iommusim_iova_online_cpus(fx->dom), 2);

	/* nothing was allocated, cached or counted */
	assert_int_equal(stats(fx).nodes, 0);
	assert_int_equal(stats(fx).rcache_misses, 0);
	assert_int_equal(fill_loaded(fx, 0, 0), 0);
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_rcache_small_sizes_rounded_and_aligned,
					   rcache_alloc, rcache_teardown),
	   cmocka_unit_test_setup_teardown(test_rcache_free_size_selects_class, rcache_alloc,
					   rcache_teardown),
	   cmocka_unit_test_setup_teardown(test_rcache_large_sizes_bypass_cache, rcache_alloc,
					   rcache_teardown),
	   cmocka_unit_test_setup_teardown(test_rcache_start_pfn_zero, rcache_alloc,
					   rcache_teardown),
	   cmocka_unit_test_setup_teardown(test_rcache_invalid_arguments, rcache_setup,
					   rcache_teardown))
