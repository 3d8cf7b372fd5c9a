/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the IOVA tree's lookups and reservations: find and free by any PFN of a range,
 * unknown PFNs, the anchor, the ordered walk, and reservations (new nodes, widening, trimming,
 * no-ops, hints left alone, refused ranges).
 */
#include "iova_tree_fixture.h"

/* ---------------------------------------------------------------------------------------- */
/* find / free / walk                                                                        */

/*
 * 1000 aligned pfns: 1024-aligned, (0x100000 - 1000) & ~1023 = 0xFFC18 & ~0x3FF = 0xFFC00,
 * range [0xFFC00, 0xFFC00 + 999 = 0xFFFE7]. Any pfn inside finds it; the slack above does not.
 */
static void test_iova_tree_find_any_interior_pfn(void **state)
{
	struct fx *f = *state;

	assert_int_equal(alloc_ok(f, 1000, LIM32, true), 0xFFC00);
	assert_find(f, 0xFFC00, 0xFFC00, 0xFFFE7);
	assert_find(f, 0xFFD37, 0xFFC00, 0xFFFE7);
	assert_find(f, 0xFFFE7, 0xFFC00, 0xFFFE7);
	assert_missing(f, 0xFFFE8);
	assert_missing(f, 0xFFBFF);
}

/* Q5: free takes any pfn inside the range and removes the whole range. */
static void test_iova_tree_free_by_interior_pfn(void **state)
{
	struct fx *f = *state;

	assert_int_equal(alloc_ok(f, 1000, LIM32, true), 0xFFC00);
	assert_int_equal(alloc_ok(f, 3, LIM32, false), 0xFFBFD);
	free_ok(f, 0xFFE00);
	assert_missing(f, 0xFFC00);
	assert_missing(f, 0xFFFE7);
	assert_ranges(f, (const struct range[]){{0xFFBFD, 0xFFBFF}}, 1);
	assert_int_equal(iommusim_iova_free(f->dom, f->cpu, 0xFFC00), -ENOENT);
}

/* A pfn in no range: -ENOENT from both find and free, on an empty and a populated tree. */
static void test_iova_tree_unknown_pfn_is_enoent(void **state)
{
	struct fx *f = *state;
	struct iommusim_iova_cached before;

	assert_int_equal(iommusim_iova_free(f->dom, f->cpu, 5), -ENOENT);
	assert_missing(f, 5);
	assert_int_equal(alloc_ok(f, 5, LIM32, true), 0xFFFF8);
	before = cached_of(f);
	/* 0xFFFFD is alignment slack above [0xFFFF8, 0xFFFFC]; 0 is below start_pfn. */
	assert_int_equal(iommusim_iova_free(f->dom, f->cpu, 0xFFFFD), -ENOENT);
	assert_int_equal(iommusim_iova_free(f->dom, f->cpu, 0), -ENOENT);
	assert_missing(f, 0xFFFFD);
	/* Nothing was removed, so no hint moved. */
	assert_cached(f, before.cached_pfn, before.cached32_pfn, before.max32_alloc_size);
	assert_ranges(f, (const struct range[]){{0xFFFF8, 0xFFFFC}}, 1);
}

/* The anchor closes the tree but is not a range: not findable, not freeable, not walked. */
static void test_iova_tree_anchor_is_not_a_range(void **state)
{
	struct fx *f = *state;

	assert_int_equal(iommusim_iova_free(f->dom, f->cpu, ANCHOR), -ENOENT);
	assert_missing(f, ANCHOR);
	assert_ranges(f, NULL, 0);
	assert_int_equal(alloc_ok(f, 1, LIM48, false), LIM48);
	assert_int_equal(iommusim_iova_free(f->dom, f->cpu, ANCHOR), -ENOENT);
	assert_missing(f, ANCHOR);
	assert_ranges(f, (const struct range[]){{LIM48, LIM48}}, 1);
	/* The anchor must still be in place as the last node for the check to pass. */
	assert_tree_ok(f);
}

struct stop_walk {
	uint64_t seen[8];
	unsigned int calls;
};

static int walk_stop_second(void *arg, uint64_t pfn_lo, uint64_t pfn_hi)
{
	struct stop_walk *w = arg;

	(void)pfn_hi;
	w->seen[w->calls++] = pfn_lo;
	return w->calls == 2 ? 7 : 0;
}

/* Top-down allocation inserts in descending order; the walk still yields ascending pfn_lo. */
static void test_iova_tree_walk_ascending_and_stops(void **state)
{
	struct fx *f = *state;
	struct stop_walk w = {.calls = 0};

	assert_int_equal(alloc_ok(f, 4, LIM32, true), 0xFFFFC);
	assert_int_equal(alloc_ok(f, 4, LIM32, true), 0xFFFF8);
	assert_int_equal(alloc_ok(f, 4, LIM32, true), 0xFFFF4);
	assert_ranges(
		f,
		(const struct range[]){{0xFFFF4, 0xFFFF7}, {0xFFFF8, 0xFFFFB}, {0xFFFFC, 0xFFFFF}},
		3);
	/* A non-zero return stops the walk and is passed back. */
	assert_int_equal(iommusim_iova_for_each(f->dom, walk_stop_second, &w), 7);
	assert_int_equal(w.calls, 2);
	assert_int_equal(w.seen[0], 0xFFFF4);
	assert_int_equal(w.seen[1], 0xFFFF8);
}

/* ---------------------------------------------------------------------------------------- */
/* reserve (reserve_iova)                                                                    */

/* A reservation in empty space is a new node, findable and (like any node) freeable. */
static void test_iova_tree_reserve_new_node(void **state)
{
	struct fx *f = *state;

	reserve_ok(f, 100, 199);
	assert_ranges(f, (const struct range[]){{100, 199}}, 1);
	assert_find(f, 150, 100, 199);
	assert_cached(f, ANCHOR, ANCHOR, DMA32);
	free_ok(f, 150);
	assert_ranges(f, NULL, 0);
}

/*
 * Q6: allocations A = [0xFFFF8, 0xFFFFF], B = [0xFFFF0, 0xFFFF7]; reserve R = [0xFFFE0,
 * 0xFFFE3] (no overlap: new node). Reserving [0xFFFD6, 0xFFFFA], walking from the lowest node:
 *   R overlaps: grow R down to 0xFFFD6; request continues at 0xFFFE4;
 *   B overlaps: grow B down to 0xFFFE4; request continues at 0xFFFF8;
 *   A now holds [0xFFFF8, 0xFFFFA] entirely -> done, no new node.
 * B, an allocation, now covers the gap it was widened over: freeing 0xFFFE6 removes all of
 * [0xFFFE4, 0xFFFF7]. B is the cached32 node; it still is, with its new start, until that free
 * moves the hint to its successor A.
 */
static void test_iova_tree_reserve_widens_overlapped_allocation(void **state)
{
	static const struct range widened[] = {
		{0xFFFD6, 0xFFFE3},
		{0xFFFE4, 0xFFFF7},
		{0xFFFF8, 0xFFFFF},
	};
	struct fx *f = *state;

	assert_int_equal(alloc_ok(f, 8, LIM32, true), 0xFFFF8);
	assert_int_equal(alloc_ok(f, 8, LIM32, true), 0xFFFF0);
	reserve_ok(f, 0xFFFE0, 0xFFFE3);
	reserve_ok(f, 0xFFFD6, 0xFFFFA);
	assert_ranges(f, widened, 3);
	assert_cached(f, ANCHOR, 0xFFFE4, DMA32);
	free_ok(f, 0xFFFE6);
	assert_ranges(f, (const struct range[]){{0xFFFD6, 0xFFFE3}, {0xFFFF8, 0xFFFFF}}, 2);
	assert_cached(f, ANCHOR, 0xFFFF8, DMA32);
}

/*
 * Reserving [0xFF0, 0x100F] over the allocation [0xFF8, 0xFFF]: the allocation grows down to
 * 0xFF0, the request is trimmed to start at 0x1000, the next node (the anchor) does not
 * overlap, so the remainder [0x1000, 0x100F] becomes a new node.
 */
static void test_iova_tree_reserve_trims_request_past_range(void **state)
{
	struct fx *f = *state;

	assert_int_equal(alloc_ok(f, 8, 0xFFF, true), 0xFF8);
	reserve_ok(f, 0xFF0, 0x100F);
	assert_ranges(f, (const struct range[]){{0xFF0, 0xFFF}, {0x1000, 0x100F}}, 2);
}

/* A reservation inside one range (or equal to it) changes nothing and allocates nothing. */
static void test_iova_tree_reserve_inside_range_is_noop(void **state)
{
	struct fx *f = *state;
	uint64_t allocs;

	assert_int_equal(alloc_ok(f, 8, LIM32, true), 0xFFFF8);
	allocs = iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_MEM_ALLOC);
	reserve_ok(f, 0xFFFF9, 0xFFFFC);
	reserve_ok(f, 0xFFFF8, 0xFFFFF);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_MEM_ALLOC), allocs);
	assert_ranges(f, (const struct range[]){{0xFFFF8, 0xFFFFF}}, 1);
	assert_cached(f, ANCHOR, 0xFFFF8, DMA32);
}

/*
 * A bound above ULLONG_MAX >> shift is rejected (the kernel WARNs and returns NULL): with a
 * 4 KiB granule the last accepted pfn is 2^52 - 1; with 512 bytes it is 2^55 - 1.
 */
static void test_iova_tree_reserve_rejects_unaddressable_pfn(void **state)
{
	const uint64_t max4k = UINT64_MAX >> 12;
	const uint64_t max512 = UINT64_MAX >> 9;
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(iommusim_iova_reserve(f.dom, f.cpu, 0, max4k + 1), -EINVAL);
	assert_int_equal(iommusim_iova_reserve(f.dom, f.cpu, max4k + 1, max4k + 5), -EINVAL);
	assert_int_equal(iommusim_iova_reserve(f.dom, f.cpu, ANCHOR, ANCHOR), -EINVAL);
	assert_ranges(&f, NULL, 0);
	reserve_ok(&f, max4k, max4k);
	assert_ranges(&f, (const struct range[]){{max4k, max4k}}, 1);
	destroy_domain(&f);

	make_domain_full(&f, 512, 1, false);
	reserve_ok(&f, max4k + 1, max4k + 1);
	assert_int_equal(iommusim_iova_reserve(f.dom, f.cpu, max512 + 1, max512 + 1), -EINVAL);
	assert_ranges(&f, (const struct range[]){{max4k + 1, max4k + 1}}, 1);
	destroy_domain(&f);
}

static void test_iova_tree_reserve_rejects_inverted_range(void **state)
{
	struct fx *f = *state;

	assert_int_equal(iommusim_iova_reserve(f->dom, f->cpu, 200, 100), -EINVAL);
	assert_int_equal(iommusim_iova_reserve(f->dom, f->cpu, 1, 0), -EINVAL);
	assert_ranges(f, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_iova_tree_find_any_interior_pfn, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_free_by_interior_pfn, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_unknown_pfn_is_enoent, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_anchor_is_not_a_range, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_walk_ascending_and_stops, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_reserve_new_node, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_reserve_widens_overlapped_allocation,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_reserve_trims_request_past_range,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_reserve_inside_range_is_noop,
						tree_setup, tree_teardown),
		cmocka_unit_test(test_iova_tree_reserve_rejects_unaddressable_pfn),
		cmocka_unit_test_setup_teardown(test_iova_tree_reserve_rejects_inverted_range,
						tree_setup, tree_teardown),
	};

	return cmocka_run_group_tests_name("iova_tree_find", tests, NULL, NULL);
}
