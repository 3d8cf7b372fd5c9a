/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the rcache's magazines: pops from the top, the swap and the depot push, misses
 * over the limit, an empty CPU taking a depot magazine, inclusive limits, per-CPU isolation,
 * flush and retry on exhaustion, offline CPUs, a dead CPU's PFNs, and the counters.
 */
#include "iova_rcache_fixture.h"

static uint64_t work(struct iova_fx *fx, unsigned int cpu, enum iommusim_work kind)
{
	return iommusim_cpu_work(fx->cpu[cpu], kind);
}

/*
 * A pop scans from the top for the first pfn within the limit and moves the last entry into
 * the hole. Freed in the order D, A, B, C the magazine is [D, A, B, C] (D = 0xFFFFC lowest);
 * a pop limited to D takes slot 0 after scanning 4 slots and leaves [C, A, B]; unlimited pops
 * then give B, A, C. An order-keeping removal would have given C, B, A.
 */
static void test_rcache_pop_takes_top_and_fills_hole(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t a, b, c, d, scan0, op0;

	fx_init(fx, 1, 1, 0, false);
	a = fast(fx, 0, 1, LIM32, false);
	b = fast(fx, 0, 1, LIM32, false);
	c = fast(fx, 0, 1, LIM32, false);
	d = fast(fx, 0, 1, LIM32, false);
	assert_int_equal(a, 0xFFFFF);
	assert_int_equal(d, 0xFFFFC);

	/* most recently freed comes out first */
	ffree(fx, 0, a, 1);
	ffree(fx, 0, b, 1);
	assert_int_equal(fast(fx, 0, 1, LIM32, false), b);
	assert_int_equal(fast(fx, 0, 1, LIM32, false), a);
	assert_int_equal(fill_loaded(fx, 0, 0), 0);

	ffree(fx, 0, d, 1);
	ffree(fx, 0, a, 1);
	ffree(fx, 0, b, 1);
	ffree(fx, 0, c, 1);
	scan0 = work(fx, 0, IOMMUSIM_WORK_MAG_SCAN);
	op0 = work(fx, 0, IOMMUSIM_WORK_MAG_OP);
	assert_int_equal(fast(fx, 0, 1, d, false), d);
	assert_int_equal(work(fx, 0, IOMMUSIM_WORK_MAG_SCAN) - scan0, 4);
	assert_int_equal(work(fx, 0, IOMMUSIM_WORK_MAG_OP) - op0, 1);
	assert_int_equal(fill_loaded(fx, 0, 0), 3);
	assert_int_equal(fast(fx, 0, 1, LIM32, false), b);
	assert_int_equal(fast(fx, 0, 1, LIM32, false), a);
	assert_int_equal(fast(fx, 0, 1, LIM32, false), c);
	assert_int_equal(stats(fx).rcache_hits, 6);
	assert_int_equal(stats(fx).nodes, 4);
}

/*
 * Magazines hold 127. Free #128 finds loaded full and prev empty: swap, so loaded has 1 and
 * prev 127. Free #255 finds both full: loaded goes to the depot (depot 1, trim work armed) and a
 * new magazine takes the pfn. All 255 ranges stay in the tree.
 */
/*
 * CPU 0's class 0 after a free that swapped its magazines: one pfn loaded, a full previous
 * magazine, and @depot magazines in the depot, with the trim work (and its timer) pending
 * exactly when the depot is not empty.
 */
static void expect_swapped(struct iova_fx *fx, unsigned int depot)
{
	struct iommusim_iova_rcache_state rs = rstate(fx, 0);

	assert_int_equal(fill_loaded(fx, 0, 0), 1);
	assert_int_equal(fill_prev(fx, 0, 0), MAG);
	assert_int_equal(rs.depot_size, depot);
	if (depot)
		assert_true(rs.work_pending);
	else
		assert_false(rs.work_pending);
	assert_int_equal(iommusim_clock_pending(fx->clock), depot);
}

static void test_rcache_magazine_swap_and_depot_push(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t pfns[2 * MAG + 1];
	uint64_t mags;

	tree_alloc_many(fx, pfns, 2 * MAG + 1);

	for (unsigned int i = 0; i < MAG; i++)
		ffree(fx, 0, pfns[i], 1);
	assert_int_equal(fill_loaded(fx, 0, 0), MAG);
	assert_int_equal(fill_prev(fx, 0, 0), 0);

	ffree(fx, 0, pfns[MAG], 1);
	expect_swapped(fx, 0);

	for (unsigned int i = MAG + 1; i < 2 * MAG; i++)
		ffree(fx, 0, pfns[i], 1);
	assert_int_equal(fill_loaded(fx, 0, 0), MAG);
	assert_int_equal(fill_prev(fx, 0, 0), MAG);
	assert_int_equal(work(fx, 0, IOMMUSIM_WORK_DEPOT_OP), 0);

	mags = stats(fx).magazines;
	ffree(fx, 0, pfns[2 * MAG], 1);
	expect_swapped(fx, 1);
	/* one fresh magazine replaced the one that went to the depot */
	assert_int_equal(stats(fx).magazines, mags + 1);
	assert_int_equal(work(fx, 0, IOMMUSIM_WORK_DEPOT_OP), 1);
	assert_int_equal(work(fx, 0, IOMMUSIM_WORK_MAG_OP), 2 * MAG + 1);
	assert_int_equal(stats(fx).nodes, 2 * MAG + 1);
	/* the other classes and the other CPU are untouched */
	assert_int_equal(rstate(fx, 1).depot_size, 0);
	assert_int_equal(fill_loaded(fx, 0, 1), 0);
}

/*
 * Q8: 254 pfns A[i] = 0xFFFFF - i freed lowest first, so prev holds A[253..127]
 * (0xFFF02..0xFFF80) and loaded A[126..0] (0xFFF81..0xFFFFF). A request limited to 0xFFF80
 * finds nothing in loaded after scanning all 127 slots and goes to the tree although prev is
 * full of suitable pfns. The tree starts at cached32 = A[253] = 0xFFF02, the lowest node:
 * high = min(0xFFF81, 0xFFF02), new = 0xFFF01.
 */
static void test_rcache_limit_miss_ignores_prev(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t pfns[2 * MAG];
	uint64_t scan0;
	struct iommusim_iova_stats st;

	tree_alloc_many(fx, pfns, 2 * MAG);
	assert_int_equal(pfns[2 * MAG - 1], 0xFFF02);
	for (unsigned int i = 2 * MAG; i-- > 0;)
		ffree(fx, 0, pfns[i], 1);
	assert_int_equal(fill_loaded(fx, 0, 0), MAG);
	assert_int_equal(fill_prev(fx, 0, 0), MAG);

	scan0 = work(fx, 0, IOMMUSIM_WORK_MAG_SCAN);
	assert_int_equal(fast(fx, 0, 1, pfns[MAG], false), 0xFFF01);
	assert_int_equal(work(fx, 0, IOMMUSIM_WORK_MAG_SCAN) - scan0, MAG);
	/* neither magazine changed: no swap happened */
	assert_int_equal(fill_loaded(fx, 0, 0), MAG);
	assert_int_equal(fill_prev(fx, 0, 0), MAG);
	st = stats(fx);
	EXPECT_FIELDS(&st, IOVA_STATS(rcache_misses, 1), IOVA_STATS(rcache_hits, 0),
		      IOVA_STATS(nodes, 2 * MAG + 1));

	/* without the limit, the top of loaded: the last pfn freed, A[0] */
	assert_int_equal(fast(fx, 0, 1, LIM32, false), pfns[0]);
	assert_int_equal(fill_loaded(fx, 0, 0), MAG - 1);
}

/*
 * Q9: 255 pfns A[i] freed in allocation order on CPU 0: A[0..126] end in prev, A[127..253]
 * in the depot, A[254] in loaded. CPU 1 has nothing, so its pop takes the depot magazine even
 * though no pfn in it is <= 0x1000; the request then goes to the tree: the cached32 node is
 * A[254] = 0xFFF01, the lowest node, so high = min(0x1001, 0xFFF01) and new = 0x1000.
 * The magazine stays on CPU 1 and serves its next unlimited request with its top, A[253].
 */
static void test_rcache_empty_cpu_takes_depot_magazine(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t pfns[2 * MAG + 1];
	uint64_t dop0;

	tree_alloc_many(fx, pfns, 2 * MAG + 1);
	for (unsigned int i = 0; i < 2 * MAG + 1; i++)
		ffree(fx, 0, pfns[i], 1);
	assert_int_equal(rstate(fx, 0).depot_size, 1);

	dop0 = work(fx, 1, IOMMUSIM_WORK_DEPOT_OP);
	assert_int_equal(fast(fx, 1, 1, 0x1000, false), 0x1000);
	assert_int_equal(work(fx, 1, IOMMUSIM_WORK_DEPOT_OP) - dop0, 1);
	assert_int_equal(rstate(fx, 0).depot_size, 0);
	assert_int_equal(fill_loaded(fx, 0, 1), MAG);
	assert_int_equal(fill_prev(fx, 0, 1), 0);
	/* CPU 0 keeps what it had */
	assert_int_equal(fill_loaded(fx, 0, 0), 1);
	assert_int_equal(fill_prev(fx, 0, 0), MAG);
	assert_int_equal(stats(fx).rcache_misses, 1);

	assert_int_equal(fast(fx, 1, 1, LIM32, false), pfns[2 * MAG - 1]);
	assert_int_equal(fill_loaded(fx, 0, 1), MAG - 1);
	assert_int_equal(stats(fx).rcache_hits, 1);
	/* the armed trim finds an empty depot: nothing to give back */
	assert_int_equal(iommusim_manual_clock_drain(fx->clock, 10), 1);
	assert_int_equal(stats(fx).depot_trims, 0);
	assert_int_equal(stats(fx).nodes, 2 * MAG + 2);
}

/*
 * A cached start qualifies iff pfn + size - 1 <= limit (the limit is inclusive). With a
 * size-4 range at P = 0xFFFFC cached: limit P + 2 misses (the tree gives (0xFFFFC - 4) & ~3 =
 * 0xFFFF8, below the cached32 node P), limit P + 3 hits.
 */
static void test_rcache_hit_limit_inclusive(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t p;

	fx_init(fx, 1, 1, 0, false);
	p = fast(fx, 0, 4, LIM32, false);
	assert_int_equal(p, 0xFFFFC);
	ffree(fx, 0, p, 4);

	assert_int_equal(fast(fx, 0, 4, p + 2, false), 0xFFFF8);
	assert_int_equal(fill_loaded(fx, 2, 0), 1);
	assert_int_equal(fast(fx, 0, 4, p + 3, false), p);
	assert_int_equal(fill_loaded(fx, 2, 0), 0);
	/* the same rule for a rounded size: 3 -> 4 pages must end by the limit */
	ffree(fx, 0, p, 3);
	assert_int_equal(fast(fx, 0, 3, p + 2, false), 0xFFFF4);
	assert_int_equal(fast(fx, 0, 3, p + 3, false), p);
	assert_int_equal(stats(fx).rcache_hits, 2);
	assert_int_equal(stats(fx).rcache_misses, 3);
}

/*
 * A pfn parked on CPU 1 is invisible to CPU 0, whose request goes to the tree (0xFFFFE, below
 * the cached32 node 0xFFFFF). After a flush the range is gone from the tree; freeing 0xFFFFF
 * at the cached32 node moved that hint up to the anchor, so CPU 0 then gets 0xFFFFF back.
 */
static void test_rcache_per_cpu_isolation(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t a;

	a = fast(fx, 1, 1, LIM32, false);
	assert_int_equal(a, 0xFFFFF);
	ffree(fx, 1, a, 1);
	assert_int_equal(fast(fx, 0, 1, LIM32, false), 0xFFFFE);
	assert_int_equal(fill_loaded(fx, 0, 1), 1);
	assert_int_equal(fill_loaded(fx, 0, 0), 0);
	assert_true(in_tree(fx, a));

	iommusim_iova_flush_rcaches(fx->dom, fx->cpu[0]);
	assert_int_equal(fill_loaded(fx, 0, 1), 0);
	assert_false(in_tree(fx, a));
	assert_int_equal(fast(fx, 0, 1, LIM32, false), a);
	assert_int_equal(stats(fx).rcache_hits, 0);
	assert_int_equal(stats(fx).nodes, 2);
}

/*
 * pfns 1..8 (limit 8) all allocated, then parked 4 on CPU 0 and 4 on CPU 1. CPU 2 asks for 2
 * pages: its class 1 is empty and the tree is full.
 * - flush_rcache false: -ENOMEM, caches and tree untouched.
 * - flush_rcache true: the tree fails again (max32_alloc_size is now 2, fast fail), every
 *   online CPU and the depot are flushed, and the single retry succeeds. Freeing 8 first (at or
 *   above cached32 = node 1) moved cached32 to the anchor, where it stays while the rest go, so
 *   the retry sees an empty tree: (9 - 2) & ~1 = 6, range [6, 7].
 */
static void test_rcache_exhaustion_flushes_and_retries(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t pfn = UINT64_MAX;
	struct iommusim_iova_stats st;

	fx_init(fx, 1, 3, 3, true);
	for (uint64_t want = 8; want >= 1; want--)
		assert_int_equal(tree_alloc(fx, 1, 8), want);
	for (uint64_t p = 8; p >= 1; p--)
		ffree(fx, p > 4 ? 0 : 1, p, 1);

	assert_int_equal(iommusim_iova_alloc_fast(fx->dom, fx->cpu[2], 2, 8, false, &pfn), -ENOMEM);
	assert_int_equal(fill_loaded(fx, 0, 0), 4);
	assert_int_equal(fill_loaded(fx, 0, 1), 4);
	st = stats(fx);
	EXPECT_FIELDS(&st, IOVA_STATS(nodes, 8), IOVA_STATS(rcache_flushes, 0),
		      IOVA_STATS(tree_failures, 1));

	assert_int_equal(fast(fx, 2, 2, 8, true), 6);
	assert_range(fx, 6, 6, 7);
	for (unsigned int c = 0; c < 3; c++)
		assert_int_equal(fill_loaded(fx, 0, c) + fill_prev(fx, 0, c), 0);
	st = stats(fx);
	EXPECT_FIELDS(&st, IOVA_STATS(nodes, 1), IOVA_STATS(rcache_flushes, 1),
		      IOVA_STATS(tree_failures, 2), IOVA_STATS(rcache_misses, 2),
		      IOVA_STATS(rcache_hits, 0));
}

/*
 * The flush before the retry covers online CPUs only (here 0 and 1 of 4 possible). pfn 8 is
 * parked on offline CPU 3, 7..1 on CPU 0. The flush frees 7 first (>= cached32 = node 1), which
 * moves cached32 to node 8; the retry starts there: high = 8, new = 7. pfn 8 stays allocated and
 * cached until cpu_dead(3) returns it.
 */
static void test_rcache_flush_skips_offline_cpus(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t pfn = UINT64_MAX;

	fx_init(fx, 1, 4, 2, false);
	for (uint64_t want = 8; want >= 1; want--)
		assert_int_equal(tree_alloc(fx, 1, 8), want);
	ffree(fx, 3, 8, 1);
	for (uint64_t p = 7; p >= 1; p--)
		ffree(fx, 0, p, 1);
	assert_int_equal(iommusim_iova_alloc_fast(fx->dom, fx->cpu[1], 1, 8, false, &pfn), -ENOMEM);

	assert_int_equal(fast(fx, 1, 1, 8, true), 7);
	assert_int_equal(stats(fx).rcache_flushes, 1);
	assert_int_equal(fill_loaded(fx, 0, 3), 1);
	assert_int_equal(fill_loaded(fx, 0, 0), 0);
	assert_true(in_tree(fx, 8));
	assert_int_equal(stats(fx).nodes, 2);

	/* the explicit flush has the same scope */
	iommusim_iova_flush_rcaches(fx->dom, fx->cpu[0]);
	assert_int_equal(fill_loaded(fx, 0, 3), 1);
	assert_true(in_tree(fx, 8));

	assert_int_equal(iommusim_iova_cpu_dead(fx->dom, fx->cpu[0], 3), 0);
	assert_int_equal(fill_loaded(fx, 0, 3), 0);
	assert_false(in_tree(fx, 8));
	assert_int_equal(stats(fx).nodes, 1);
}

/*
 * cpu_dead(1) returns every pfn of CPU 1's magazines, in every class, to the tree; other CPUs'
 * caches stay. The magazines remain usable.
 */
static void test_rcache_cpu_dead_returns_pfns(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t one[3], four, mine;

	for (unsigned int i = 0; i < 3; i++)
		one[i] = fast(fx, 1, 1, LIM32, false);
	four = fast(fx, 1, 4, LIM32, false);
	mine = fast(fx, 0, 1, LIM32, false);
	for (unsigned int i = 0; i < 3; i++)
		ffree(fx, 1, one[i], 1);
	ffree(fx, 1, four, 4);
	ffree(fx, 0, mine, 1);
	assert_int_equal(stats(fx).nodes, 5);

	assert_int_equal(iommusim_iova_cpu_dead(fx->dom, fx->cpu[0], 1), 0);
	assert_int_equal(fill_loaded(fx, 0, 1), 0);
	assert_int_equal(fill_loaded(fx, 2, 1), 0);
	for (unsigned int i = 0; i < 3; i++)
		assert_false(in_tree(fx, one[i]));
	assert_false(in_tree(fx, four));
	assert_true(in_tree(fx, mine));
	assert_int_equal(fill_loaded(fx, 0, 0), 1);
	assert_int_equal(stats(fx).nodes, 1);

	assert_int_equal(iommusim_iova_cpu_dead(fx->dom, fx->cpu[0], 2), -EINVAL);
	one[0] = fast(fx, 1, 1, LIM32, false);
	ffree(fx, 1, one[0], 1);
	assert_int_equal(fill_loaded(fx, 0, 1), 1);
}

/*
 * rcache_hits counts requests served from a magazine, rcache_misses cached-size requests that
 * went to the tree, 33+ requests count as neither; tree_allocs = misses + 33+ requests.
 */
static void test_rcache_stats_add_up(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t p[10], q[2];
	struct iommusim_iova_stats st;

	for (unsigned int i = 0; i < 10; i++)
		p[i] = fast(fx, 0, 1, LIM32, false); /* 10 misses */
	for (unsigned int i = 0; i < 10; i++)
		ffree(fx, 0, p[i], 1);
	for (unsigned int i = 0; i < 10; i++)
		assert_int_equal(fast(fx, 0, 1, LIM32, false), p[9 - i]); /* 10 hits */
	fast(fx, 0, 1, LIM32, false);					  /* miss: cache empty */
	fast(fx, 0, 33, LIM32, false);					  /* neither */
	fast(fx, 0, 4, LIM32, false);					  /* miss: class 2 empty */
	q[0] = fast(fx, 1, 2, LIM32, false);				  /* miss on CPU 1 */
	q[1] = fast(fx, 1, 2, LIM32, false);				  /* miss */
	ffree(fx, 1, q[0], 2);
	ffree(fx, 1, q[1], 2);
	assert_int_equal(fast(fx, 1, 2, LIM32, false), q[1]); /* hit */
	fast(fx, 1, 1, LIM32, false);			      /* miss: class 0 of CPU 1 is empty */

	/* misses 10 + 1 + 1 + 2 + 1 = 15, hits 10 + 1, tree allocations 15 misses + one 33 */
	st = stats(fx);
	EXPECT_FIELDS(&st, IOVA_STATS(rcache_hits, 11), IOVA_STATS(rcache_misses, 15),
		      IOVA_STATS(rcache_flushes, 0), IOVA_STATS(tree_allocs, 16),
		      IOVA_STATS(tree_failures, 0));
	/* every tree allocation is still a node; q[0] among them, parked on CPU 1 */
	assert_int_equal(st.nodes, 16);
	assert_int_equal(fill_loaded(fx, 1, 1), 1);
}

/*
 * Work reports: a push or a successful pop is one MAG_OP; a pop reports every slot it
 * compared (MAG_SCAN); moving a magazine onto or off a depot is one DEPOT_OP, on the CPU that
 * did it.
 */
static void test_rcache_work_counters(void **state)
{
	struct iova_fx *fx = *state;
	uint64_t pfns[2 * MAG + 1];

	tree_alloc_many(fx, pfns, 2 * MAG + 1);
	iommusim_cpu_work_reset(fx->cpu[0]);
	iommusim_cpu_work_reset(fx->cpu[1]);

	ffree(fx, 0, pfns[0], 1);
	assert_int_equal(work(fx, 0, IOMMUSIM_WORK_MAG_OP), 1);
	assert_int_equal(work(fx, 0, IOMMUSIM_WORK_MAG_SCAN), 0);
	assert_int_equal(fast(fx, 0, 1, LIM32, false), pfns[0]);
	assert_int_equal(work(fx, 0, IOMMUSIM_WORK_MAG_OP), 2);
	assert_int_equal(work(fx, 0, IOMMUSIM_WORK_MAG_SCAN), 1);
	/* a miss on empty magazines scans nothing and pops nothing */
	fast(fx, 0, 1, LIM32, false);
	assert_int_equal(work(fx, 0, IOMMUSIM_WORK_MAG_OP), 2);
	assert_int_equal(work(fx, 0, IOMMUSIM_WORK_MAG_SCAN), 1);

	for (unsigned int i = 0; i < 2 * MAG + 1; i++)
		ffree(fx, 0, pfns[i], 1);
	assert_int_equal(work(fx, 0, IOMMUSIM_WORK_MAG_OP), 2 + 2 * MAG + 1);
	assert_int_equal(work(fx, 0, IOMMUSIM_WORK_DEPOT_OP), 1);
	assert_int_equal(work(fx, 1, IOMMUSIM_WORK_DEPOT_OP), 0);
	/* CPU 1 takes the depot magazine and pops its top after one comparison */
	assert_int_equal(fast(fx, 1, 1, LIM32, false), pfns[2 * MAG - 1]);
	assert_int_equal(work(fx, 1, IOMMUSIM_WORK_DEPOT_OP), 1);
	assert_int_equal(work(fx, 1, IOMMUSIM_WORK_MAG_OP), 1);
	assert_int_equal(work(fx, 1, IOMMUSIM_WORK_MAG_SCAN), 1);
	assert_true(work(fx, 1, IOMMUSIM_WORK_LOCK) >= 2);
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_rcache_pop_takes_top_and_fills_hole, rcache_alloc,
					   rcache_teardown),
	   cmocka_unit_test_setup_teardown(test_rcache_magazine_swap_and_depot_push,
					   rcache_clock_setup, rcache_clock_teardown),
	   cmocka_unit_test_setup_teardown(test_rcache_limit_miss_ignores_prev, rcache_setup,
					   rcache_teardown),
	   cmocka_unit_test_setup_teardown(test_rcache_empty_cpu_takes_depot_magazine,
					   rcache_clock_setup, rcache_clock_teardown),
	   cmocka_unit_test_setup_teardown(test_rcache_hit_limit_inclusive, rcache_alloc,
					   rcache_teardown),
	   cmocka_unit_test_setup_teardown(test_rcache_per_cpu_isolation, rcache_setup,
					   rcache_teardown),
	   cmocka_unit_test_setup_teardown(test_rcache_exhaustion_flushes_and_retries, rcache_alloc,
					   rcache_teardown),
	   cmocka_unit_test_setup_teardown(test_rcache_flush_skips_offline_cpus, rcache_alloc,
					   rcache_teardown),
	   cmocka_unit_test_setup_teardown(test_rcache_cpu_dead_returns_pfns, rcache_setup,
					   rcache_teardown),
	   cmocka_unit_test_setup_teardown(test_rcache_stats_add_up, rcache_setup, rcache_teardown),
	   cmocka_unit_test_setup_teardown(test_rcache_work_counters, rcache_setup,
					   rcache_teardown))
