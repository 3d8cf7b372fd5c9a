/*
 * Unit tests for the IOVA range cache (lib/iova/rcache.c) through the public API: size rounding
 * and alignment of alloc_iova_fast, the size classes free_iova_fast files a range under, the
 * 33+ bypass, magazine pop/push order, the loaded/prev swap and the push to the depot, pops that
 * miss on the limit (Q8) or that take a depot magazine and still miss (Q9), per-CPU isolation,
 * the flush-and-retry on exhaustion, CPU hot-unplug, start_pfn 0 (Q10), statistics and work
 * counters, argument checks, and a seeded run against a small model of the magazines.
 * Expected values are derived from Linux drivers/iommu/iova.c (alloc_iova_fast() and the
 * rcache; docs/iova.md, docs/sources.md S15).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <iommusim/clock.h>
#include <iommusim/cpu.h>
#include <iommusim/iova.h>
#include <iommusim/mem.h>

#include "fields.h"
#include "iova_fixture.h"
#include "pow2.h"
#include "test_rng.h"

/* A counter and the value it must have, for EXPECT_FIELDS(). */
#define IOVA_STATS(field, value) FIELD(struct iommusim_iova_stats, field, value)

/* Highest 32-bit pfn with a 4 KiB granule; dma_32bit_pfn is LIM32 + 1 = 0x100000. */
#define LIM32 UINT64_C(0xFFFFF)
#define MAG IOMMUSIM_IOVA_MAG_SIZE
#define NCPU 4

/*
 * A domain with a 4 KiB granule and @possible CPUs of which @online are online, CPU handles
 * with ids 0..NCPU-1, and (if @with_clock) a manual clock for the depot trim work.
 */
static void fx_init(struct iova_fx *fx, uint64_t start_pfn, unsigned int possible,
		    unsigned int online, bool with_clock)
{
	iova_fx_up(fx, NCPU, with_clock, start_pfn, possible, online, IOMMUSIM_IOVA_DEPOT_LIST);
}

/* Tear everything down and prove that every node, magazine and timer went back. */
static void fx_fini(struct iova_fx *fx)
{
	iova_fx_down(fx);
}

static uint64_t fast(struct iova_fx *fx, unsigned int cpu, uint64_t size, uint64_t limit,
		     bool flush)
{
	uint64_t pfn = UINT64_MAX;

	assert_int_equal(iommusim_iova_alloc_fast(fx->dom, fx->cpu[cpu], size, limit, flush, &pfn),
			 0);
	return pfn;
}

static void ffree(struct iova_fx *fx, unsigned int cpu, uint64_t pfn, uint64_t size)
{
	assert_int_equal(iommusim_iova_free_fast(fx->dom, fx->cpu[cpu], pfn, size), 0);
}

/* A plain size-aligned tree allocation (alloc_iova), used to set up ranges without the cache. */
static uint64_t tree_alloc(struct iova_fx *fx, uint64_t size, uint64_t limit)
{
	uint64_t pfn = UINT64_MAX;

	assert_int_equal(iommusim_iova_alloc(fx->dom, fx->cpu[0], size, limit, true, &pfn), 0);
	return pfn;
}

static void assert_range(struct iova_fx *fx, uint64_t pfn, uint64_t lo, uint64_t hi)
{
	uint64_t l = 0, h = 0;

	assert_int_equal(iommusim_iova_find(fx->dom, fx->cpu[0], pfn, &l, &h), 0);
	assert_int_equal(l, lo);
	assert_int_equal(h, hi);
}

static bool in_tree(struct iova_fx *fx, uint64_t pfn)
{
	return iommusim_iova_find(fx->dom, fx->cpu[0], pfn, NULL, NULL) == 0;
}

static unsigned int fill_loaded(struct iova_fx *fx, unsigned int order, unsigned int cpu)
{
	unsigned int l = 0, p = 0;

	assert_int_equal(iommusim_iova_rcache_fill(fx->dom, order, cpu, &l, &p), 0);
	return l;
}

static unsigned int fill_prev(struct iova_fx *fx, unsigned int order, unsigned int cpu)
{
	unsigned int l = 0, p = 0;

	assert_int_equal(iommusim_iova_rcache_fill(fx->dom, order, cpu, &l, &p), 0);
	return p;
}

static struct iommusim_iova_rcache_state rstate(struct iova_fx *fx, unsigned int order)
{
	struct iommusim_iova_rcache_state st;

	memset(&st, 0xff, sizeof(st));
	assert_int_equal(iommusim_iova_rcache_state(fx->dom, order, &st), 0);
	return st;
}

static struct iommusim_iova_stats stats(struct iova_fx *fx)
{
	struct iommusim_iova_stats st;

	iommusim_iova_get_stats(fx->dom, &st);
	return st;
}

static uint64_t work(struct iova_fx *fx, unsigned int cpu, enum iommusim_work kind)
{
	return iommusim_cpu_work(fx->cpu[cpu], kind);
}

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
	struct iova_fx fx;
	struct iommusim_iova_stats st;

	(void)state;
	fx_init(&fx, 1, 1, 0, false);

	assert_int_equal(fast(&fx, 0, 3, LIM32, false), 0xFFFFC);
	assert_range(&fx, 0xFFFFC, 0xFFFFC, 0xFFFFF);
	assert_int_equal(fast(&fx, 0, 5, LIM32, false), 0xFFFF0);
	assert_range(&fx, 0xFFFF0, 0xFFFF0, 0xFFFF7);
	/* 0xFFFF8..0xFFFFB is a hole left by the 8-alignment, not part of any range */
	assert_false(in_tree(&fx, 0xFFFF8));
	assert_int_equal(fast(&fx, 0, 17, LIM32, false), 0xFFFC0);
	assert_range(&fx, 0xFFFC0, 0xFFFC0, 0xFFFDF);
	assert_int_equal(fast(&fx, 0, 32, LIM32, false), 0xFFFA0);
	assert_range(&fx, 0xFFFA0, 0xFFFA0, 0xFFFBF);
	assert_int_equal(fast(&fx, 0, 33, LIM32, false), 0xFFF40);
	assert_range(&fx, 0xFFF40, 0xFFF40, 0xFFF60);
	assert_false(in_tree(&fx, 0xFFF61));
	assert_int_equal(fast(&fx, 0, 48, LIM32, false), 0xFFF00);
	assert_range(&fx, 0xFFF00, 0xFFF00, 0xFFF2F);
	assert_int_equal(fast(&fx, 0, 1, LIM32, false), 0xFFEFF);
	assert_range(&fx, 0xFFEFF, 0xFFEFF, 0xFFEFF);

	/* all from the tree: 5 cached-size misses (3, 5, 17, 32, 1); 33 and 48 are not counted */
	st = stats(&fx);
	EXPECT_FIELDS(&st, IOVA_STATS(nodes, 7), IOVA_STATS(tree_allocs, 7),
		      IOVA_STATS(rcache_hits, 0), IOVA_STATS(rcache_misses, 5));
	fx_fini(&fx);
}

/*
 * free_iova_fast files a pfn under order_base_2(size) of the size it is given, which for an
 * unrounded size is the class its rounded range belongs to: 3 -> class 2, 5 -> 3, 17 -> 5.
 * The range stays in the tree, and a later request of any size of that class gets it back.
 */
static void test_rcache_free_size_selects_class(void **state)
{
	struct iova_fx fx;
	uint64_t p3, p5, p17;

	(void)state;
	fx_init(&fx, 1, 1, 0, false);
	p3 = fast(&fx, 0, 3, LIM32, false);
	p5 = fast(&fx, 0, 5, LIM32, false);
	p17 = fast(&fx, 0, 17, LIM32, false);

	ffree(&fx, 0, p3, 3);
	ffree(&fx, 0, p5, 5);
	ffree(&fx, 0, p17, 17);
	for (unsigned int k = 0; k < IOMMUSIM_IOVA_CACHE_ORDERS; k++) {
		unsigned int want = (k == 2 || k == 3 || k == 5) ? 1 : 0;

		assert_int_equal(fill_loaded(&fx, k, 0), want);
		assert_int_equal(fill_prev(&fx, k, 0), 0);
	}
	/* cached, not freed: the full rounded ranges are still in the tree */
	assert_int_equal(stats(&fx).nodes, 3);
	assert_range(&fx, p3 + 3, p3, p3 + 3);
	assert_range(&fx, p5 + 7, p5, p5 + 7);
	assert_range(&fx, p17 + 31, p17, p17 + 31);

	/* 4 and 3 are both class 2; 8 is class 3; 32 and 20 are class 5 */
	assert_int_equal(fast(&fx, 0, 4, LIM32, false), p3);
	assert_int_equal(fast(&fx, 0, 8, LIM32, false), p5);
	assert_int_equal(fast(&fx, 0, 20, LIM32, false), p17);
	assert_int_equal(stats(&fx).rcache_hits, 3);
	ffree(&fx, 0, p3, 4);
	assert_int_equal(fast(&fx, 0, 3, LIM32, false), p3);
	assert_int_equal(stats(&fx).rcache_hits, 4);
	assert_int_equal(stats(&fx).nodes, 3);
	fx_fini(&fx);
}

/* order_base_2(33..) >= 6: never put into a magazine and never looked up in one. */
static void test_rcache_large_sizes_bypass_cache(void **state)
{
	struct iova_fx fx;
	struct iommusim_iova_stats st;
	uint64_t p32, p33, p64, q;

	(void)state;
	fx_init(&fx, 1, 1, 0, false);
	p32 = fast(&fx, 0, 32, LIM32, false);
	p33 = fast(&fx, 0, 33, LIM32, false);
	p64 = fast(&fx, 0, 64, LIM32, false);
	assert_int_equal(stats(&fx).nodes, 3);

	/* free side: 33 and 64 go straight back to the tree */
	ffree(&fx, 0, p33, 33);
	assert_false(in_tree(&fx, p33));
	ffree(&fx, 0, p64, 64);
	assert_false(in_tree(&fx, p64));
	assert_int_equal(stats(&fx).nodes, 1);
	for (unsigned int k = 0; k < IOMMUSIM_IOVA_CACHE_ORDERS; k++)
		assert_int_equal(fill_loaded(&fx, k, 0) + fill_prev(&fx, k, 0), 0);

	/* alloc side: a cached 32-page range is not handed to a 33-page request */
	ffree(&fx, 0, p32, 32);
	assert_int_equal(fill_loaded(&fx, 5, 0), 1);
	/*
	 * Freeing p33 = 0xFFF80 (at or above cached32 = p64 = 0xFFF40) moved cached32 up to p32 =
	 * 0xFFFE0, so the tree places 33 pages at (0xFFFE0 - 33) & ~63 = 0xFFF80 again.
	 */
	q = fast(&fx, 0, 33, LIM32, false);
	assert_int_equal(p32, 0xFFFE0);
	assert_int_equal(q, 0xFFF80);
	assert_range(&fx, q, q, q + 32);
	assert_int_equal(fill_loaded(&fx, 5, 0), 1);
	st = stats(&fx);
	/* only the first 32-page request consulted the cache */
	EXPECT_FIELDS(&st, IOVA_STATS(rcache_hits, 0), IOVA_STATS(rcache_misses, 1),
		      IOVA_STATS(nodes, 2));
	fx_fini(&fx);
}

/*
 * A pop scans from the top for the first pfn within the limit and moves the last entry into
 * the hole. Freed in the order D, A, B, C the magazine is [D, A, B, C] (D = 0xFFFFC lowest);
 * a pop limited to D takes slot 0 after scanning 4 slots and leaves [C, A, B]; unlimited pops
 * then give B, A, C. An order-keeping removal would have given C, B, A.
 */
static void test_rcache_pop_takes_top_and_fills_hole(void **state)
{
	struct iova_fx fx;
	uint64_t a, b, c, d, scan0, op0;

	(void)state;
	fx_init(&fx, 1, 1, 0, false);
	a = fast(&fx, 0, 1, LIM32, false);
	b = fast(&fx, 0, 1, LIM32, false);
	c = fast(&fx, 0, 1, LIM32, false);
	d = fast(&fx, 0, 1, LIM32, false);
	assert_int_equal(a, 0xFFFFF);
	assert_int_equal(d, 0xFFFFC);

	/* most recently freed comes out first */
	ffree(&fx, 0, a, 1);
	ffree(&fx, 0, b, 1);
	assert_int_equal(fast(&fx, 0, 1, LIM32, false), b);
	assert_int_equal(fast(&fx, 0, 1, LIM32, false), a);
	assert_int_equal(fill_loaded(&fx, 0, 0), 0);

	ffree(&fx, 0, d, 1);
	ffree(&fx, 0, a, 1);
	ffree(&fx, 0, b, 1);
	ffree(&fx, 0, c, 1);
	scan0 = work(&fx, 0, IOMMUSIM_WORK_MAG_SCAN);
	op0 = work(&fx, 0, IOMMUSIM_WORK_MAG_OP);
	assert_int_equal(fast(&fx, 0, 1, d, false), d);
	assert_int_equal(work(&fx, 0, IOMMUSIM_WORK_MAG_SCAN) - scan0, 4);
	assert_int_equal(work(&fx, 0, IOMMUSIM_WORK_MAG_OP) - op0, 1);
	assert_int_equal(fill_loaded(&fx, 0, 0), 3);
	assert_int_equal(fast(&fx, 0, 1, LIM32, false), b);
	assert_int_equal(fast(&fx, 0, 1, LIM32, false), a);
	assert_int_equal(fast(&fx, 0, 1, LIM32, false), c);
	assert_int_equal(stats(&fx).rcache_hits, 6);
	assert_int_equal(stats(&fx).nodes, 4);
	fx_fini(&fx);
}

/*
 * Magazines hold 127. Free #128 finds loaded full and prev empty: swap, so loaded has 1 and
 * prev 127. Free #255 finds both full: loaded goes to the depot (depot 1, trim work armed) and a
 * new magazine takes the pfn. All 255 ranges stay in the tree.
 */
static void test_rcache_magazine_swap_and_depot_push(void **state)
{
	struct iova_fx fx;
	uint64_t pfns[2 * MAG + 1];
	uint64_t mags;
	struct iommusim_iova_rcache_state rs;

	(void)state;
	fx_init(&fx, 1, 2, 2, true);
	for (unsigned int i = 0; i < 2 * MAG + 1; i++)
		pfns[i] = tree_alloc(&fx, 1, LIM32);

	for (unsigned int i = 0; i < MAG; i++)
		ffree(&fx, 0, pfns[i], 1);
	assert_int_equal(fill_loaded(&fx, 0, 0), MAG);
	assert_int_equal(fill_prev(&fx, 0, 0), 0);

	ffree(&fx, 0, pfns[MAG], 1);
	assert_int_equal(fill_loaded(&fx, 0, 0), 1);
	assert_int_equal(fill_prev(&fx, 0, 0), MAG);
	rs = rstate(&fx, 0);
	assert_int_equal(rs.depot_size, 0);
	assert_false(rs.work_pending);
	assert_int_equal(iommusim_clock_pending(fx.clock), 0);

	for (unsigned int i = MAG + 1; i < 2 * MAG; i++)
		ffree(&fx, 0, pfns[i], 1);
	assert_int_equal(fill_loaded(&fx, 0, 0), MAG);
	assert_int_equal(fill_prev(&fx, 0, 0), MAG);
	assert_int_equal(work(&fx, 0, IOMMUSIM_WORK_DEPOT_OP), 0);

	mags = stats(&fx).magazines;
	ffree(&fx, 0, pfns[2 * MAG], 1);
	assert_int_equal(fill_loaded(&fx, 0, 0), 1);
	assert_int_equal(fill_prev(&fx, 0, 0), MAG);
	rs = rstate(&fx, 0);
	assert_int_equal(rs.depot_size, 1);
	assert_true(rs.work_pending);
	assert_int_equal(iommusim_clock_pending(fx.clock), 1);
	/* one fresh magazine replaced the one that went to the depot */
	assert_int_equal(stats(&fx).magazines, mags + 1);
	assert_int_equal(work(&fx, 0, IOMMUSIM_WORK_DEPOT_OP), 1);
	assert_int_equal(work(&fx, 0, IOMMUSIM_WORK_MAG_OP), 2 * MAG + 1);
	assert_int_equal(stats(&fx).nodes, 2 * MAG + 1);
	/* the other classes and the other CPU are untouched */
	assert_int_equal(rstate(&fx, 1).depot_size, 0);
	assert_int_equal(fill_loaded(&fx, 0, 1), 0);
	fx_fini(&fx);
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
	struct iova_fx fx;
	uint64_t pfns[2 * MAG];
	uint64_t scan0;
	struct iommusim_iova_stats st;

	(void)state;
	fx_init(&fx, 1, 2, 2, false);
	for (unsigned int i = 0; i < 2 * MAG; i++)
		pfns[i] = tree_alloc(&fx, 1, LIM32);
	assert_int_equal(pfns[2 * MAG - 1], 0xFFF02);
	for (unsigned int i = 2 * MAG; i-- > 0;)
		ffree(&fx, 0, pfns[i], 1);
	assert_int_equal(fill_loaded(&fx, 0, 0), MAG);
	assert_int_equal(fill_prev(&fx, 0, 0), MAG);

	scan0 = work(&fx, 0, IOMMUSIM_WORK_MAG_SCAN);
	assert_int_equal(fast(&fx, 0, 1, pfns[MAG], false), 0xFFF01);
	assert_int_equal(work(&fx, 0, IOMMUSIM_WORK_MAG_SCAN) - scan0, MAG);
	/* neither magazine changed: no swap happened */
	assert_int_equal(fill_loaded(&fx, 0, 0), MAG);
	assert_int_equal(fill_prev(&fx, 0, 0), MAG);
	st = stats(&fx);
	EXPECT_FIELDS(&st, IOVA_STATS(rcache_misses, 1), IOVA_STATS(rcache_hits, 0),
		      IOVA_STATS(nodes, 2 * MAG + 1));

	/* without the limit, the top of loaded: the last pfn freed, A[0] */
	assert_int_equal(fast(&fx, 0, 1, LIM32, false), pfns[0]);
	assert_int_equal(fill_loaded(&fx, 0, 0), MAG - 1);
	fx_fini(&fx);
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
	struct iova_fx fx;
	uint64_t pfns[2 * MAG + 1];
	uint64_t dop0;

	(void)state;
	fx_init(&fx, 1, 2, 2, true);
	for (unsigned int i = 0; i < 2 * MAG + 1; i++)
		pfns[i] = tree_alloc(&fx, 1, LIM32);
	for (unsigned int i = 0; i < 2 * MAG + 1; i++)
		ffree(&fx, 0, pfns[i], 1);
	assert_int_equal(rstate(&fx, 0).depot_size, 1);

	dop0 = work(&fx, 1, IOMMUSIM_WORK_DEPOT_OP);
	assert_int_equal(fast(&fx, 1, 1, 0x1000, false), 0x1000);
	assert_int_equal(work(&fx, 1, IOMMUSIM_WORK_DEPOT_OP) - dop0, 1);
	assert_int_equal(rstate(&fx, 0).depot_size, 0);
	assert_int_equal(fill_loaded(&fx, 0, 1), MAG);
	assert_int_equal(fill_prev(&fx, 0, 1), 0);
	/* CPU 0 keeps what it had */
	assert_int_equal(fill_loaded(&fx, 0, 0), 1);
	assert_int_equal(fill_prev(&fx, 0, 0), MAG);
	assert_int_equal(stats(&fx).rcache_misses, 1);

	assert_int_equal(fast(&fx, 1, 1, LIM32, false), pfns[2 * MAG - 1]);
	assert_int_equal(fill_loaded(&fx, 0, 1), MAG - 1);
	assert_int_equal(stats(&fx).rcache_hits, 1);
	/* the armed trim finds an empty depot: nothing to give back */
	assert_int_equal(iommusim_manual_clock_drain(fx.clock, 10), 1);
	assert_int_equal(stats(&fx).depot_trims, 0);
	assert_int_equal(stats(&fx).nodes, 2 * MAG + 2);
	fx_fini(&fx);
}

/*
 * A cached start qualifies iff pfn + size - 1 <= limit (the limit is inclusive). With a
 * size-4 range at P = 0xFFFFC cached: limit P + 2 misses (the tree gives (0xFFFFC - 4) & ~3 =
 * 0xFFFF8, below the cached32 node P), limit P + 3 hits.
 */
static void test_rcache_hit_limit_inclusive(void **state)
{
	struct iova_fx fx;
	uint64_t p;

	(void)state;
	fx_init(&fx, 1, 1, 0, false);
	p = fast(&fx, 0, 4, LIM32, false);
	assert_int_equal(p, 0xFFFFC);
	ffree(&fx, 0, p, 4);

	assert_int_equal(fast(&fx, 0, 4, p + 2, false), 0xFFFF8);
	assert_int_equal(fill_loaded(&fx, 2, 0), 1);
	assert_int_equal(fast(&fx, 0, 4, p + 3, false), p);
	assert_int_equal(fill_loaded(&fx, 2, 0), 0);
	/* the same rule for a rounded size: 3 -> 4 pages must end by the limit */
	ffree(&fx, 0, p, 3);
	assert_int_equal(fast(&fx, 0, 3, p + 2, false), 0xFFFF4);
	assert_int_equal(fast(&fx, 0, 3, p + 3, false), p);
	assert_int_equal(stats(&fx).rcache_hits, 2);
	assert_int_equal(stats(&fx).rcache_misses, 3);
	fx_fini(&fx);
}

/*
 * A pfn parked on CPU 1 is invisible to CPU 0, whose request goes to the tree (0xFFFFE, below
 * the cached32 node 0xFFFFF). After a flush the range is gone from the tree; freeing 0xFFFFF
 * at the cached32 node moved that hint up to the anchor, so CPU 0 then gets 0xFFFFF back.
 */
static void test_rcache_per_cpu_isolation(void **state)
{
	struct iova_fx fx;
	uint64_t a;

	(void)state;
	fx_init(&fx, 1, 2, 2, false);
	a = fast(&fx, 1, 1, LIM32, false);
	assert_int_equal(a, 0xFFFFF);
	ffree(&fx, 1, a, 1);
	assert_int_equal(fast(&fx, 0, 1, LIM32, false), 0xFFFFE);
	assert_int_equal(fill_loaded(&fx, 0, 1), 1);
	assert_int_equal(fill_loaded(&fx, 0, 0), 0);
	assert_true(in_tree(&fx, a));

	iommusim_iova_flush_rcaches(fx.dom, fx.cpu[0]);
	assert_int_equal(fill_loaded(&fx, 0, 1), 0);
	assert_false(in_tree(&fx, a));
	assert_int_equal(fast(&fx, 0, 1, LIM32, false), a);
	assert_int_equal(stats(&fx).rcache_hits, 0);
	assert_int_equal(stats(&fx).nodes, 2);
	fx_fini(&fx);
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
	struct iova_fx fx;
	uint64_t pfn = UINT64_MAX;
	struct iommusim_iova_stats st;

	(void)state;
	fx_init(&fx, 1, 3, 3, true);
	for (uint64_t want = 8; want >= 1; want--)
		assert_int_equal(tree_alloc(&fx, 1, 8), want);
	for (uint64_t p = 8; p >= 1; p--)
		ffree(&fx, p > 4 ? 0 : 1, p, 1);

	assert_int_equal(iommusim_iova_alloc_fast(fx.dom, fx.cpu[2], 2, 8, false, &pfn), -ENOMEM);
	assert_int_equal(fill_loaded(&fx, 0, 0), 4);
	assert_int_equal(fill_loaded(&fx, 0, 1), 4);
	st = stats(&fx);
	EXPECT_FIELDS(&st, IOVA_STATS(nodes, 8), IOVA_STATS(rcache_flushes, 0),
		      IOVA_STATS(tree_failures, 1));

	assert_int_equal(fast(&fx, 2, 2, 8, true), 6);
	assert_range(&fx, 6, 6, 7);
	for (unsigned int c = 0; c < 3; c++)
		assert_int_equal(fill_loaded(&fx, 0, c) + fill_prev(&fx, 0, c), 0);
	st = stats(&fx);
	EXPECT_FIELDS(&st, IOVA_STATS(nodes, 1), IOVA_STATS(rcache_flushes, 1),
		      IOVA_STATS(tree_failures, 2), IOVA_STATS(rcache_misses, 2),
		      IOVA_STATS(rcache_hits, 0));
	fx_fini(&fx);
}

/*
 * The flush before the retry covers online CPUs only (here 0 and 1 of 4 possible). pfn 8 is
 * parked on offline CPU 3, 7..1 on CPU 0. The flush frees 7 first (>= cached32 = node 1), which
 * moves cached32 to node 8; the retry starts there: high = 8, new = 7. pfn 8 stays allocated and
 * cached until cpu_dead(3) returns it.
 */
static void test_rcache_flush_skips_offline_cpus(void **state)
{
	struct iova_fx fx;
	uint64_t pfn = UINT64_MAX;

	(void)state;
	fx_init(&fx, 1, 4, 2, false);
	for (uint64_t want = 8; want >= 1; want--)
		assert_int_equal(tree_alloc(&fx, 1, 8), want);
	ffree(&fx, 3, 8, 1);
	for (uint64_t p = 7; p >= 1; p--)
		ffree(&fx, 0, p, 1);
	assert_int_equal(iommusim_iova_alloc_fast(fx.dom, fx.cpu[1], 1, 8, false, &pfn), -ENOMEM);

	assert_int_equal(fast(&fx, 1, 1, 8, true), 7);
	assert_int_equal(stats(&fx).rcache_flushes, 1);
	assert_int_equal(fill_loaded(&fx, 0, 3), 1);
	assert_int_equal(fill_loaded(&fx, 0, 0), 0);
	assert_true(in_tree(&fx, 8));
	assert_int_equal(stats(&fx).nodes, 2);

	/* the explicit flush has the same scope */
	iommusim_iova_flush_rcaches(fx.dom, fx.cpu[0]);
	assert_int_equal(fill_loaded(&fx, 0, 3), 1);
	assert_true(in_tree(&fx, 8));

	assert_int_equal(iommusim_iova_cpu_dead(fx.dom, fx.cpu[0], 3), 0);
	assert_int_equal(fill_loaded(&fx, 0, 3), 0);
	assert_false(in_tree(&fx, 8));
	assert_int_equal(stats(&fx).nodes, 1);
	fx_fini(&fx);
}

/*
 * cpu_dead(1) returns every pfn of CPU 1's magazines, in every class, to the tree; other CPUs'
 * caches stay. The magazines remain usable.
 */
static void test_rcache_cpu_dead_returns_pfns(void **state)
{
	struct iova_fx fx;
	uint64_t one[3], four, mine;

	(void)state;
	fx_init(&fx, 1, 2, 2, false);
	for (unsigned int i = 0; i < 3; i++)
		one[i] = fast(&fx, 1, 1, LIM32, false);
	four = fast(&fx, 1, 4, LIM32, false);
	mine = fast(&fx, 0, 1, LIM32, false);
	for (unsigned int i = 0; i < 3; i++)
		ffree(&fx, 1, one[i], 1);
	ffree(&fx, 1, four, 4);
	ffree(&fx, 0, mine, 1);
	assert_int_equal(stats(&fx).nodes, 5);

	assert_int_equal(iommusim_iova_cpu_dead(fx.dom, fx.cpu[0], 1), 0);
	assert_int_equal(fill_loaded(&fx, 0, 1), 0);
	assert_int_equal(fill_loaded(&fx, 2, 1), 0);
	for (unsigned int i = 0; i < 3; i++)
		assert_false(in_tree(&fx, one[i]));
	assert_false(in_tree(&fx, four));
	assert_true(in_tree(&fx, mine));
	assert_int_equal(fill_loaded(&fx, 0, 0), 1);
	assert_int_equal(stats(&fx).nodes, 1);

	assert_int_equal(iommusim_iova_cpu_dead(fx.dom, fx.cpu[0], 2), -EINVAL);
	one[0] = fast(&fx, 1, 1, LIM32, false);
	ffree(&fx, 1, one[0], 1);
	assert_int_equal(fill_loaded(&fx, 0, 1), 1);
	fx_fini(&fx);
}

/*
 * Q10: with start_pfn 0 a tree allocation may return pfn 0 (limit 0: high = 1, new = 0 >= low
 * = 0). The kernel would call that a failure; the API returns 0 with pfn 0, and the range is
 * allocated: a tree allocation under limit 1 must skip it and return 1.
 */
static void test_rcache_start_pfn_zero(void **state)
{
	struct iova_fx fx;
	uint64_t pfn = UINT64_MAX;

	(void)state;
	fx_init(&fx, 0, 1, 0, false);
	assert_int_equal(iommusim_iova_alloc_fast(fx.dom, fx.cpu[0], 1, 0, false, &pfn), 0);
	assert_int_equal(pfn, 0);
	assert_range(&fx, 0, 0, 0);
	assert_int_equal(tree_alloc(&fx, 1, 1), 1);
	assert_int_equal(stats(&fx).nodes, 2);
	assert_int_equal(iommusim_iova_alloc_fast(fx.dom, fx.cpu[0], 1, 1, false, &pfn), -ENOMEM);
	fx_fini(&fx);
}

/*
 * rcache_hits counts requests served from a magazine, rcache_misses cached-size requests that
 * went to the tree, 33+ requests count as neither; tree_allocs = misses + 33+ requests.
 */
static void test_rcache_stats_add_up(void **state)
{
	struct iova_fx fx;
	uint64_t p[10], q[2];
	struct iommusim_iova_stats st;

	(void)state;
	fx_init(&fx, 1, 2, 2, false);
	for (unsigned int i = 0; i < 10; i++)
		p[i] = fast(&fx, 0, 1, LIM32, false);	/* 10 misses */
	for (unsigned int i = 0; i < 10; i++)
		ffree(&fx, 0, p[i], 1);
	for (unsigned int i = 0; i < 10; i++)
		assert_int_equal(fast(&fx, 0, 1, LIM32, false), p[9 - i]);	/* 10 hits */
	fast(&fx, 0, 1, LIM32, false);		/* miss: cache empty */
	fast(&fx, 0, 33, LIM32, false);		/* neither */
	fast(&fx, 0, 4, LIM32, false);		/* miss: class 2 empty */
	q[0] = fast(&fx, 1, 2, LIM32, false);	/* miss on CPU 1 */
	q[1] = fast(&fx, 1, 2, LIM32, false);	/* miss */
	ffree(&fx, 1, q[0], 2);
	ffree(&fx, 1, q[1], 2);
	assert_int_equal(fast(&fx, 1, 2, LIM32, false), q[1]);	/* hit */
	fast(&fx, 1, 1, LIM32, false);		/* miss: class 0 of CPU 1 is empty */

	/* misses 10 + 1 + 1 + 2 + 1 = 15, hits 10 + 1, tree allocations 15 misses + one 33 */
	st = stats(&fx);
	EXPECT_FIELDS(&st, IOVA_STATS(rcache_hits, 11), IOVA_STATS(rcache_misses, 15),
		      IOVA_STATS(rcache_flushes, 0), IOVA_STATS(tree_allocs, 16),
		      IOVA_STATS(tree_failures, 0));
	/* every tree allocation is still a node; q[0] among them, parked on CPU 1 */
	assert_int_equal(st.nodes, 16);
	assert_int_equal(fill_loaded(&fx, 1, 1), 1);
	fx_fini(&fx);
}

/*
 * Work reports: a push or a successful pop is one MAG_OP; a pop reports every slot it
 * compared (MAG_SCAN); moving a magazine onto or off a depot is one DEPOT_OP, on the CPU that
 * did it.
 */
static void test_rcache_work_counters(void **state)
{
	struct iova_fx fx;
	uint64_t pfns[2 * MAG + 1];

	(void)state;
	fx_init(&fx, 1, 2, 2, false);
	for (unsigned int i = 0; i < 2 * MAG + 1; i++)
		pfns[i] = tree_alloc(&fx, 1, LIM32);
	iommusim_cpu_work_reset(fx.cpu[0]);
	iommusim_cpu_work_reset(fx.cpu[1]);

	ffree(&fx, 0, pfns[0], 1);
	assert_int_equal(work(&fx, 0, IOMMUSIM_WORK_MAG_OP), 1);
	assert_int_equal(work(&fx, 0, IOMMUSIM_WORK_MAG_SCAN), 0);
	assert_int_equal(fast(&fx, 0, 1, LIM32, false), pfns[0]);
	assert_int_equal(work(&fx, 0, IOMMUSIM_WORK_MAG_OP), 2);
	assert_int_equal(work(&fx, 0, IOMMUSIM_WORK_MAG_SCAN), 1);
	/* a miss on empty magazines scans nothing and pops nothing */
	fast(&fx, 0, 1, LIM32, false);
	assert_int_equal(work(&fx, 0, IOMMUSIM_WORK_MAG_OP), 2);
	assert_int_equal(work(&fx, 0, IOMMUSIM_WORK_MAG_SCAN), 1);

	for (unsigned int i = 0; i < 2 * MAG + 1; i++)
		ffree(&fx, 0, pfns[i], 1);
	assert_int_equal(work(&fx, 0, IOMMUSIM_WORK_MAG_OP), 2 + 2 * MAG + 1);
	assert_int_equal(work(&fx, 0, IOMMUSIM_WORK_DEPOT_OP), 1);
	assert_int_equal(work(&fx, 1, IOMMUSIM_WORK_DEPOT_OP), 0);
	/* CPU 1 takes the depot magazine and pops its top after one comparison */
	assert_int_equal(fast(&fx, 1, 1, LIM32, false), pfns[2 * MAG - 1]);
	assert_int_equal(work(&fx, 1, IOMMUSIM_WORK_DEPOT_OP), 1);
	assert_int_equal(work(&fx, 1, IOMMUSIM_WORK_MAG_OP), 1);
	assert_int_equal(work(&fx, 1, IOMMUSIM_WORK_MAG_SCAN), 1);
	assert_true(work(&fx, 1, IOMMUSIM_WORK_LOCK) >= 2);
	fx_fini(&fx);
}

/* Input the kernel API would not accept, and bad indices of the inspection calls. */
static void test_rcache_invalid_arguments(void **state)
{
	struct iova_fx fx;
	uint64_t pfn = 12345;
	unsigned int l, p;
	struct iommusim_iova_rcache_state rs;

	(void)state;
	fx_init(&fx, 1, 2, 2, false);
	assert_int_equal(iommusim_iova_alloc_fast(fx.dom, fx.cpu[0], 0, LIM32, true, &pfn),
			 -EINVAL);
	assert_int_equal(iommusim_iova_alloc_fast(fx.dom, fx.cpu[0], 1, UINT64_MAX, true, &pfn),
			 -EINVAL);
	assert_int_equal(pfn, 12345);
	assert_int_equal(iommusim_iova_free_fast(fx.dom, fx.cpu[0], 5, 0), -EINVAL);
	assert_int_equal(iommusim_iova_rcache_state(fx.dom, IOMMUSIM_IOVA_CACHE_ORDERS, &rs),
			 -EINVAL);
	assert_int_equal(iommusim_iova_rcache_fill(fx.dom, IOMMUSIM_IOVA_CACHE_ORDERS, 0, &l, &p),
			 -EINVAL);
	assert_int_equal(iommusim_iova_rcache_fill(fx.dom, 0, 2, &l, &p), -EINVAL);
	assert_int_equal(iommusim_iova_cpu_dead(fx.dom, fx.cpu[0], 2), -EINVAL);
	assert_int_equal(iommusim_iova_set_online_cpus(fx.dom, 0), -EINVAL);
	assert_int_equal(iommusim_iova_set_online_cpus(fx.dom, 3), -EINVAL);
	assert_int_equal(iommusim_iova_online_cpus(fx.dom), 2);

	/* nothing was allocated, cached or counted */
	assert_int_equal(stats(&fx).nodes, 0);
	assert_int_equal(stats(&fx).rcache_misses, 0);
	assert_int_equal(fill_loaded(&fx, 0, 0), 0);
	fx_fini(&fx);
}

/*
 * A seeded run of alloc_fast/free_fast on two CPUs, checked step by step against a model of the
 * kernel's rcache (docs/sources.md S15): per CPU and class a loaded and a prev magazine of 127, a
 * depot stack per class (no clock, so never trimmed). Every hit must be the pfn the model pops;
 * every miss must be a fresh, aligned range inside the limit; fills, depot sizes, counters and the
 * node count (live + cached) must agree.
 */
#define MODEL_DEPOT 64
#define MODEL_LIVE 400

struct mmag {
	unsigned int n;
	uint64_t pfns[MAG];
};

struct model {
	struct mmag loaded[2][IOMMUSIM_IOVA_CACHE_ORDERS];
	struct mmag prev[2][IOMMUSIM_IOVA_CACHE_ORDERS];
	struct mmag depot[IOMMUSIM_IOVA_CACHE_ORDERS][MODEL_DEPOT];
	unsigned int depot_n[IOMMUSIM_IOVA_CACHE_ORDERS];
	uint64_t cached;
	/* coverage: depot pushes and takes, pops that missed on the limit with pfns present */
	uint64_t pushes, takes, limit_misses;
};

static void mmag_swap(struct mmag *a, struct mmag *b)
{
	struct mmag t = *a;

	*a = *b;
	*b = t;
}

static void model_insert(struct model *m, unsigned int cpu, unsigned int k, uint64_t pfn)
{
	struct mmag *ld = &m->loaded[cpu][k];

	if (ld->n == MAG && m->prev[cpu][k].n < MAG) {
		mmag_swap(ld, &m->prev[cpu][k]);
	} else if (ld->n == MAG) {
		assert_true(m->depot_n[k] < MODEL_DEPOT);
		m->depot[k][m->depot_n[k]++] = *ld;
		ld->n = 0;
		m->pushes++;
	}
	ld->pfns[ld->n++] = pfn;
	m->cached++;
}

/* Returns the popped pfn, or 0 for a miss; @limit is the highest acceptable start. */
static uint64_t model_get(struct model *m, unsigned int cpu, unsigned int k, uint64_t limit)
{
	struct mmag *ld = &m->loaded[cpu][k];
	uint64_t pfn;

	if (ld->n == 0 && m->prev[cpu][k].n > 0)
		mmag_swap(ld, &m->prev[cpu][k]);
	else if (ld->n == 0 && m->prev[cpu][k].n == 0 && m->depot_n[k] > 0) {
		*ld = m->depot[k][--m->depot_n[k]];
		m->takes++;
	}
	for (unsigned int i = ld->n; i-- > 0;) {
		if (ld->pfns[i] <= limit) {
			pfn = ld->pfns[i];
			ld->pfns[i] = ld->pfns[--ld->n];
			m->cached--;
			return pfn;
		}
	}
	if (ld->n)
		m->limit_misses++;
	return 0;
}

struct live {
	uint64_t pfn;
	uint64_t size;
	uint64_t span;
};

static void test_rcache_matches_magazine_model(void **state)
{
	static struct model m;
	static struct live live[MODEL_LIVE];
	struct iova_fx fx;
	struct iommusim_rng rng = test_rng(UINT64_C(0x1f0a2b3c4d5e6f70));
	uint64_t nlive = 0, hits = 0, misses = 0, big = 0;
	struct iommusim_iova_stats st;

	(void)state;
	memset(&m, 0, sizeof(m));
	fx_init(&fx, 1, 2, 2, false);
	for (unsigned int step = 0; step < 12000; step++) {
		/*
		 * Phases of 3000 steps: one CPU mostly frees and the other mostly allocates, so
		 * magazines fill up and reach the depot on one side and run dry on the other.
		 */
		unsigned int bias = (step / 3000) & 1;
		unsigned int other = (iommusim_rng_u64(&rng) & 7) == 0;
		uint64_t r = iommusim_rng_u64(&rng);
		unsigned int cpu;

		if (nlive == 0 || (nlive < MODEL_LIVE && (r & 1))) {
			cpu = !bias ^ other;
			uint64_t sel = (r >> 1) % 10, size, span, limit, want, pfn;
			unsigned int k;

			if (sel < 6)
				size = 1 + (r >> 8) % 4;
			else if (sel < 9)
				size = 1 + (r >> 8) % 32;
			else
				size = 33 + (r >> 8) % 40;
			/* a quarter of the requests get a lower limit, far above what is in use */
			limit = ((r >> 20) & 3) == 0 ? LIM32 - (r >> 24) % 0x80000 : LIM32;
			span = size < 32 ? pow2_up(size) : size;
			k = order_base2(span);
			want = 0;
			if (k < IOMMUSIM_IOVA_CACHE_ORDERS)
				want = model_get(&m, cpu, k, limit + 1 - span);
			pfn = fast(&fx, cpu, size, limit, false);
			if (want) {
				if (pfn != want)
					fail_msg("step %u: hit %#llx, model pops %#llx", step,
						 (unsigned long long)pfn, (unsigned long long)want);
				hits++;
			} else if (k < IOMMUSIM_IOVA_CACHE_ORDERS) {
				misses++;
			} else {
				big++;
			}
			assert_int_equal(pfn % pow2_up(size), 0);
			assert_true(pfn + span - 1 <= limit);
			assert_range(&fx, pfn, pfn, pfn + span - 1);
			live[nlive++] = (struct live){ pfn, size, span };
		} else {
			uint64_t idx = (r >> 1) % nlive;
			struct live e = live[idx];
			unsigned int k = order_base2(e.size);

			cpu = bias ^ other;
			live[idx] = live[--nlive];
			ffree(&fx, cpu, e.pfn, e.size);
			if (k < IOMMUSIM_IOVA_CACHE_ORDERS) {
				model_insert(&m, cpu, k, e.pfn);
				assert_range(&fx, e.pfn, e.pfn, e.pfn + e.span - 1);
			} else {
				assert_false(in_tree(&fx, e.pfn));
			}
		}

		for (unsigned int k = 0; k < IOMMUSIM_IOVA_CACHE_ORDERS; k++) {
			assert_int_equal(fill_loaded(&fx, k, cpu), m.loaded[cpu][k].n);
			assert_int_equal(fill_prev(&fx, k, cpu), m.prev[cpu][k].n);
			assert_int_equal(rstate(&fx, k).depot_size, m.depot_n[k]);
		}
		st = stats(&fx);
		assert_int_equal(st.nodes, nlive + m.cached);
		if (step % 2000 == 1999)
			iova_check_tree(fx.dom);
	}
	st = stats(&fx);
	EXPECT_FIELDS(&st, IOVA_STATS(rcache_hits, hits), IOVA_STATS(rcache_misses, misses),
		      IOVA_STATS(tree_allocs, misses + big), IOVA_STATS(rcache_flushes, 0));
	/*
	 * The run must really have exercised every path (this seed gives 4370 hits, 1051 misses,
	 * 588 large requests, 6 depot pushes and takes and 7 limit-only misses).
	 */
	assert_true(hits > 2000);
	assert_true(misses > 500);
	assert_true(big > 200);
	assert_true(m.pushes >= 3);
	assert_true(m.takes >= 3);
	assert_true(m.limit_misses >= 3);
	fx_fini(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rcache_small_sizes_rounded_and_aligned),
		cmocka_unit_test(test_rcache_free_size_selects_class),
		cmocka_unit_test(test_rcache_large_sizes_bypass_cache),
		cmocka_unit_test(test_rcache_pop_takes_top_and_fills_hole),
		cmocka_unit_test(test_rcache_magazine_swap_and_depot_push),
		cmocka_unit_test(test_rcache_limit_miss_ignores_prev),
		cmocka_unit_test(test_rcache_empty_cpu_takes_depot_magazine),
		cmocka_unit_test(test_rcache_hit_limit_inclusive),
		cmocka_unit_test(test_rcache_per_cpu_isolation),
		cmocka_unit_test(test_rcache_exhaustion_flushes_and_retries),
		cmocka_unit_test(test_rcache_flush_skips_offline_cpus),
		cmocka_unit_test(test_rcache_cpu_dead_returns_pfns),
		cmocka_unit_test(test_rcache_start_pfn_zero),
		cmocka_unit_test(test_rcache_stats_add_up),
		cmocka_unit_test(test_rcache_work_counters),
		cmocka_unit_test(test_rcache_invalid_arguments),
		cmocka_unit_test(test_rcache_matches_magazine_model),
	};

	return cmocka_run_group_tests_name("iova_rcache", tests, NULL, NULL);
}
