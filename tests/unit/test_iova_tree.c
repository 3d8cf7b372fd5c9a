/*
 * Unit tests for the red-black-tree half of the IOVA allocator (lib/iova/tree.c, domain.c),
 * through the public API: domain set-up and its errors, top-down first-fit placement, size
 * alignment, inclusive limits, the two search hints and the 32-bit fast-fail size
 * (max32_alloc_size) with the kernel's quirks, find/free by any pfn, reservations, the work
 * reported on the CPU, the domain counters and leak-free teardown. Expected values follow Linux
 * drivers/iommu/iova.c as docs/iova.md and docs/sources.md S15 describe it.
 *
 * Every expected PFN below is derived in a comment from the kernel's algorithm (alloc_iova(),
 * the hint updates on insert and free, reserve_iova()), with
 * "excl" meaning the exclusive limit (inclusive limit + 1) the worker uses, and dma32 meaning
 * dma_32bit_pfn (0x100000 with a 4 KiB granule).
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
#include "machine.h"
#include "test_rng.h"

/* A counter and the value it must have, for EXPECT_FIELDS(). */
#define IOVA_CACHED(field, value) FIELD(struct iommusim_iova_cached, field, value)
#define IOVA_STATS(field, value) FIELD(struct iommusim_iova_stats, field, value)

#define ANCHOR IOMMUSIM_IOVA_ANCHOR_PFN
/* dma_32bit_pfn of a 4 KiB-granule domain: 1 << (32 - 12). */
#define DMA32 UINT64_C(0x100000)
/* Inclusive 32-bit limit, as dma-iommu passes for a 32-bit DMA mask. */
#define LIM32 (DMA32 - 1)
/* Inclusive limits of a 48-bit and a 36-bit DMA mask in 4 KiB pfns. */
#define LIM48 ((UINT64_C(1) << 36) - 1)
#define LIM36 ((UINT64_C(1) << 24) - 1)

#define MAX_RANGES 64

struct range {
	uint64_t lo;
	uint64_t hi;
};

/* Everything one test needs: a memory context, an optional clock, CPU 0 and the domain. */
struct fx {
	struct iommusim_mem *mem;
	struct iommusim_clock *clock;
	struct iommusim_cpu *cpu;
	struct iommusim_iova_domain *dom;
};

static void make_domain_full(struct fx *f, uint64_t granule, uint64_t start_pfn, bool with_clock)
{
	struct iommusim_iova_config cfg;

	memset(f, 0, sizeof(*f));
	machine_up(IOMMUSIM_MEM_DEFAULT, &f->mem, with_clock ? &f->clock : NULL, &f->cpu, 1);
	cfg = iova_test_config(f->mem, f->clock);
	cfg.granule = granule;
	cfg.start_pfn = start_pfn;
	f->dom = iova_domain_up(&cfg);
}

/* The common case: 4 KiB granule, no clock (the tree half never arms a timer). */
static void make_domain(struct fx *f, uint64_t start_pfn)
{
	make_domain_full(f, 4096, start_pfn, false);
}

static void assert_tree_ok(struct fx *f)
{
	iova_check_tree(f->dom);
}

/* Check the tree, tear everything down and prove that nothing was leaked. */
static void destroy_domain(struct fx *f)
{
	assert_tree_ok(f);
	iommusim_iova_domain_destroy(f->dom);
	machine_down(f->mem, f->clock, &f->cpu, 1);
}

static uint64_t alloc_ok(struct fx *f, uint64_t size, uint64_t limit, bool aligned)
{
	uint64_t pfn = ANCHOR;

	assert_int_equal(iommusim_iova_alloc(f->dom, f->cpu, size, limit, aligned, &pfn), 0);
	return pfn;
}

static void alloc_fails(struct fx *f, uint64_t size, uint64_t limit, bool aligned)
{
	uint64_t pfn = 12345;

	assert_int_equal(iommusim_iova_alloc(f->dom, f->cpu, size, limit, aligned, &pfn),
			 -ENOMEM);
}

static void free_ok(struct fx *f, uint64_t pfn)
{
	assert_int_equal(iommusim_iova_free(f->dom, f->cpu, pfn), 0);
}

static void reserve_ok(struct fx *f, uint64_t lo, uint64_t hi)
{
	assert_int_equal(iommusim_iova_reserve(f->dom, f->cpu, lo, hi), 0);
}

static void assert_find(struct fx *f, uint64_t pfn, uint64_t lo, uint64_t hi)
{
	uint64_t got_lo = 0, got_hi = 0;

	assert_int_equal(iommusim_iova_find(f->dom, f->cpu, pfn, &got_lo, &got_hi), 0);
	assert_int_equal(got_lo, lo);
	assert_int_equal(got_hi, hi);
}

static void assert_missing(struct fx *f, uint64_t pfn)
{
	assert_int_equal(iommusim_iova_find(f->dom, f->cpu, pfn, NULL, NULL), -ENOENT);
}

static struct iommusim_iova_cached cached_of(struct fx *f)
{
	struct iommusim_iova_cached c;

	iommusim_iova_get_cached(f->dom, &c);
	return c;
}

static void assert_cached(struct fx *f, uint64_t cached, uint64_t cached32, uint64_t max32)
{
	struct iommusim_iova_cached c = cached_of(f);

	EXPECT_FIELDS(&c, IOVA_CACHED(cached_pfn, cached), IOVA_CACHED(cached32_pfn, cached32),
		      IOVA_CACHED(max32_alloc_size, max32));
}

static struct iommusim_iova_stats stats_of(struct fx *f)
{
	struct iommusim_iova_stats s;

	iommusim_iova_get_stats(f->dom, &s);
	return s;
}

struct walk {
	struct range r[MAX_RANGES];
	size_t n;
};

static int walk_collect(void *arg, uint64_t pfn_lo, uint64_t pfn_hi)
{
	struct walk *w = arg;

	if (w->n == MAX_RANGES)
		return -1;
	w->r[w->n].lo = pfn_lo;
	w->r[w->n].hi = pfn_hi;
	w->n++;
	return 0;
}

/* The in-order walk must list exactly @exp (ascending). */
static void assert_ranges(struct fx *f, const struct range *exp, size_t n)
{
	struct walk w = { .n = 0 };

	assert_int_equal(iommusim_iova_for_each(f->dom, walk_collect, &w), 0);
	assert_int_equal(w.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(w.r[i].lo, exp[i].lo);
		assert_int_equal(w.r[i].hi, exp[i].hi);
	}
	assert_int_equal(stats_of(f).nodes, n);
}

/* ---------------------------------------------------------------------------------------- */
/* init (init_iova_domain)                                                                    */

/* granule 4096 -> shift 12 -> dma32 = 1 << 20; both hints on the anchor; max32 = dma32. */
static void test_iova_tree_init_state_4k(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(iommusim_iova_dma_32bit_pfn(f.dom), DMA32);
	assert_int_equal(iommusim_iova_granule(f.dom), 4096);
	assert_int_equal(iommusim_iova_start_pfn(f.dom), 1);
	assert_cached(&f, ANCHOR, ANCHOR, DMA32);
	assert_ranges(&f, NULL, 0);
	assert_int_equal(stats_of(&f).tree_allocs, 0);
	assert_int_equal(stats_of(&f).tree_failures, 0);
	destroy_domain(&f);
}

/* dma32 = 1 << (32 - shift): granule 512 (shift 9) -> 1 << 23; granule 1 (shift 0) -> 2^32. */
static void test_iova_tree_init_state_small_granule(void **state)
{
	struct fx f;

	(void)state;
	make_domain_full(&f, 512, 1, false);
	assert_int_equal(iommusim_iova_dma_32bit_pfn(f.dom), UINT64_C(0x800000));
	assert_cached(&f, ANCHOR, ANCHOR, UINT64_C(0x800000));
	assert_ranges(&f, NULL, 0);
	destroy_domain(&f);

	make_domain_full(&f, 1, 0, true);
	assert_int_equal(iommusim_iova_dma_32bit_pfn(f.dom), UINT64_C(1) << 32);
	assert_cached(&f, ANCHOR, ANCHOR, UINT64_C(1) << 32);
	destroy_domain(&f);
}

static void expect_config_einval(struct iommusim_mem *mem, const struct iommusim_iova_config *cfg)
{
	struct iommusim_iova_domain *d = NULL;

	assert_int_equal(iommusim_iova_domain_create(cfg, &d), -EINVAL);
	/* A rejected configuration must not leave anything allocated behind. */
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
}

/* The kernel BUGs on a bad granule; the API reports it, and the other input errors, as -EINVAL. */
static void test_iova_tree_init_rejects_bad_config(void **state)
{
	struct iommusim_mem *mem;
	struct iommusim_iova_config cfg;

	(void)state;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem), 0);

	cfg = iova_test_config(mem, NULL);
	cfg.granule = 0;	/* not a power of two */
	expect_config_einval(mem, &cfg);
	cfg.granule = 3;	/* not a power of two */
	expect_config_einval(mem, &cfg);
	cfg.granule = 8192;	/* larger than PAGE_SIZE */
	expect_config_einval(mem, &cfg);

	cfg = iova_test_config(mem, NULL);
	cfg.possible_cpus = 0;
	expect_config_einval(mem, &cfg);
	cfg.possible_cpus = IOMMUSIM_IOVA_MAX_CPUS + 1;
	expect_config_einval(mem, &cfg);

	cfg = iova_test_config(mem, NULL);
	cfg.online_cpus = cfg.possible_cpus + 1;
	expect_config_einval(mem, &cfg);

	cfg = iova_test_config(mem, NULL);
	cfg.depot = (enum iommusim_iova_depot)99;
	expect_config_einval(mem, &cfg);

	cfg = iova_test_config(mem, NULL);
	cfg.mem = NULL;
	expect_config_einval(mem, &cfg);

	iommusim_mem_destroy(mem);
}

/* size 0 and a limit of 2^64-1 (whose exclusive form would wrap) are not kernel input. */
static void test_iova_tree_alloc_rejects_bad_args(void **state)
{
	struct fx f;
	uint64_t pfn;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(iommusim_iova_alloc(f.dom, f.cpu, 0, LIM32, true, &pfn), -EINVAL);
	assert_int_equal(iommusim_iova_alloc(f.dom, f.cpu, 1, UINT64_MAX, false, &pfn), -EINVAL);
	/* Neither counts as a failed search, so the hint is untouched. */
	assert_cached(&f, ANCHOR, ANCHOR, DMA32);
	assert_int_equal(stats_of(&f).tree_failures, 0);
	destroy_domain(&f);
}

/* ---------------------------------------------------------------------------------------- */
/* placement (alloc_iova)                                                                     */

/*
 * The example of docs/sources.md S15: size 4, limit 0xFFFFF: new = (0x100000 - 4) & ~3 = 0xFFFFC.
 * The next size-1 request starts at cached32 = [0xFFFFC, 0xFFFFF]: new = 0xFFFFC - 1 = 0xFFFFB.
 */
static void test_iova_tree_alloc_worked_example(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 4, LIM32, true), 0xFFFFC);
	assert_cached(&f, ANCHOR, 0xFFFFC, DMA32);
	assert_int_equal(alloc_ok(&f, 1, LIM32, true), 0xFFFFB);
	assert_cached(&f, ANCHOR, 0xFFFFB, DMA32);
	assert_find(&f, 0xFFFFC, 0xFFFFC, 0xFFFFF);
	destroy_domain(&f);
}

/*
 * Aligned: the start is a multiple of roundup_pow_of_two(size), each search starting at the
 * node placed before it (cached32):
 *   1  -> no alignment:            0x100000 - 1           = 0xFFFFF
 *   5  -> 8-aligned:  (0xFFFFF - 5) & ~7 = 0xFFFFA & ~7   = 0xFFFF8  (slack 0xFFFFD-E)
 *   6  -> 8-aligned:  (0xFFFF8 - 6) & ~7 = 0xFFFF2 & ~7   = 0xFFFF0  (slack 0xFFFF6-7)
 *   4  -> 4-aligned:  (0xFFFF0 - 4) & ~3                  = 0xFFFEC
 *   1  -> unaligned:  0xFFFEC - 1                         = 0xFFFEB  (odd: no alignment)
 *   33 -> 64-aligned: (0xFFFEB - 33) & ~63 = 0xFFFCA & ~63 = 0xFFFC0
 */
static void test_iova_tree_alloc_size_aligned_to_pow2(void **state)
{
	static const struct range exp[] = {
		{ 0xFFFC0, 0xFFFE0 }, { 0xFFFEB, 0xFFFEB }, { 0xFFFEC, 0xFFFEF },
		{ 0xFFFF0, 0xFFFF5 }, { 0xFFFF8, 0xFFFFC }, { 0xFFFFF, 0xFFFFF },
	};
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 1, LIM32, true), 0xFFFFF);
	assert_int_equal(alloc_ok(&f, 5, LIM32, true), 0xFFFF8);
	assert_int_equal(alloc_ok(&f, 6, LIM32, true), 0xFFFF0);
	assert_int_equal(alloc_ok(&f, 4, LIM32, true), 0xFFFEC);
	assert_int_equal(alloc_ok(&f, 1, LIM32, true), 0xFFFEB);
	assert_int_equal(alloc_ok(&f, 33, LIM32, true), 0xFFFC0);
	assert_ranges(&f, exp, 6);
	/* The alignment slack is not part of any range. */
	assert_missing(&f, 0xFFFFD);
	assert_missing(&f, 0xFFFF7);
	destroy_domain(&f);
}

/*
 * Unaligned requests pack with no gap: each new range ends right below the previous one:
 * 3 -> 0xFFFFD, 5 -> 0xFFFF8, 7 -> 0xFFFF1, 33 -> 0xFFFF1 - 33 = 0xFFFD0.
 */
static void test_iova_tree_alloc_unaligned_packs_tight(void **state)
{
	static const struct range exp[] = {
		{ 0xFFFD0, 0xFFFF0 }, { 0xFFFF1, 0xFFFF7 },
		{ 0xFFFF8, 0xFFFFC }, { 0xFFFFD, 0xFFFFF },
	};
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 3, LIM32, false), 0xFFFFD);
	assert_int_equal(alloc_ok(&f, 5, LIM32, false), 0xFFFF8);
	assert_int_equal(alloc_ok(&f, 7, LIM32, false), 0xFFFF1);
	assert_int_equal(alloc_ok(&f, 33, LIM32, false), 0xFFFD0);
	assert_ranges(&f, exp, 4);
	destroy_domain(&f);
}

/*
 * The API limit is inclusive. Size 16 under limit 0x100F: excl 0x1010, new = 0x1000,
 * so the range ends exactly on the limit. A 64-bit limit gets pfn == limit for size 1. A
 * window [1, 16] holds a 16-pfn request exactly (excl 17 - 16 = 1 = start_pfn).
 */
static void test_iova_tree_alloc_limit_is_inclusive(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 16, 0x100F, true), 0x1000);
	assert_find(&f, 0x100F, 0x1000, 0x100F);
	assert_int_equal(alloc_ok(&f, 1, 0x3FFFFFF, false), 0x3FFFFFF);
	destroy_domain(&f);

	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 16, 16, false), 1);
	assert_find(&f, 16, 1, 16);
	destroy_domain(&f);
}

/*
 * start_pfn 16, limit 31, size 8 aligned: 24, then 16 (high = 24). The third: from cached32
 * [16,23], new = 8 < 16; retry above it (low = 24, from the anchor) only sees [24,31] -> fail.
 * A size-1 request then fails too (both passes find no pfn >= the pass's low): max32 = 1.
 * With start_pfn 0, pfn 0 is an ordinary result.
 */
static void test_iova_tree_alloc_never_below_start_pfn(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 16);
	assert_int_equal(alloc_ok(&f, 8, 31, true), 24);
	assert_int_equal(alloc_ok(&f, 8, 31, true), 16);
	alloc_fails(&f, 8, 31, true);
	assert_int_equal(cached_of(&f).max32_alloc_size, 8);
	alloc_fails(&f, 1, 31, false);
	assert_int_equal(cached_of(&f).max32_alloc_size, 1);
	assert_missing(&f, 15);
	assert_ranges(&f, (const struct range[]){ { 16, 23 }, { 24, 31 } }, 2);
	destroy_domain(&f);

	make_domain(&f, 0);
	assert_int_equal(alloc_ok(&f, 1, 0, false), 0);
	alloc_fails(&f, 1, 0, false);
	destroy_domain(&f);
}

/*
 * A request larger than the whole window (32 pfns under excl 16) fails with high < size
 * instead of wrapping around, and the failure records max32 = 32.
 */
static void test_iova_tree_alloc_larger_than_window_fails(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 0);
	alloc_fails(&f, 32, 15, true);
	alloc_fails(&f, 17, 15, false);
	assert_cached(&f, ANCHOR, ANCHOR, 17);
	assert_ranges(&f, NULL, 0);
	assert_int_equal(stats_of(&f).tree_failures, 2);
	destroy_domain(&f);
}

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
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	reserve_ok(&f, DMA32, 0xFFFFFFF);
	assert_int_equal(alloc_ok(&f, 1, 0xFFFFFFF, false), 0xFFFFF);
	assert_cached(&f, ANCHOR, 0xFFFFF, DMA32);
	/* A 32-bit request now continues below that node. */
	assert_int_equal(alloc_ok(&f, 1, LIM32, false), 0xFFFFE);
	assert_cached(&f, ANCHOR, 0xFFFFE, DMA32);
	destroy_domain(&f);
}

/*
 * A node straddling 4 GiB has pfn_hi >= dma32, so it becomes the 64-bit hint. With
 * [0x100008, 0x1FFFFF] reserved, 16 unaligned pfns under 0x1FFFFF land at 0x100008 - 16 =
 * 0xFFFF8 ([0xFFFF8, 0x100007]). A 32-bit size-1 request then starts from the anchor (cached32
 * unchanged), walks past both nodes and takes 0xFFFF8 - 1 = 0xFFFF7.
 */
static void test_iova_tree_hint_straddling_node_is_64bit(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	reserve_ok(&f, 0x100008, 0x1FFFFF);
	assert_int_equal(alloc_ok(&f, 16, 0x1FFFFF, false), 0xFFFF8);
	assert_cached(&f, 0xFFFF8, ANCHOR, DMA32);
	assert_int_equal(alloc_ok(&f, 1, LIM32, false), 0xFFFF7);
	assert_cached(&f, 0xFFFF8, 0xFFFF7, DMA32);
	destroy_domain(&f);
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
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 16, LIM48, true), (UINT64_C(1) << 36) - 16);
	assert_int_equal(alloc_ok(&f, 16, LIM36, true), (UINT64_C(1) << 24) - 16);
	assert_cached(&f, (UINT64_C(1) << 24) - 16, ANCHOR, DMA32);
	assert_int_equal(alloc_ok(&f, 16, LIM48, true), (UINT64_C(1) << 24) - 32);
	assert_cached(&f, (UINT64_C(1) << 24) - 32, ANCHOR, DMA32);
	destroy_domain(&f);
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
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 16, LIM48, true), top);
	assert_int_equal(alloc_ok(&f, 16, LIM36, true), mid);
	assert_int_equal(alloc_ok(&f, 16, LIM48, true), mid - 16);
	free_ok(&f, mid);
	assert_cached(&f, top, ANCHOR, DMA32);
	assert_int_equal(alloc_ok(&f, 16, LIM48, true), top - 16);
	assert_cached(&f, top - 16, ANCHOR, DMA32);
	free_ok(&f, mid - 16);
	assert_cached(&f, top - 16, ANCHOR, DMA32);
	destroy_domain(&f);
}

/*
 * Freeing at or above cached32_node: size 1 under limit 7 gives 7, 6, 5, 4, 3 (cached32 = 3).
 * Freeing 5 (>= 3) moves cached32 to its successor 6; freeing 3 (below 6) does not move it. The
 * next request starts at 6: new = 5, which clears node 4 -> the hole is reused.
 */
static void test_iova_tree_free_at_cached32_moves_to_successor(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	for (uint64_t want = 7; want >= 3; want--)
		assert_int_equal(alloc_ok(&f, 1, 7, true), want);
	assert_cached(&f, ANCHOR, 3, DMA32);
	free_ok(&f, 5);
	assert_cached(&f, ANCHOR, 6, DMA32);
	free_ok(&f, 3);
	assert_cached(&f, ANCHOR, 6, DMA32);
	assert_int_equal(alloc_ok(&f, 1, 7, true), 5);
	destroy_domain(&f);
}

/* Freeing the highest node hands the hint to its successor, the anchor, in both halves. */
static void test_iova_tree_free_last_node_returns_hint_to_anchor(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 1, LIM32, false), 0xFFFFF);
	assert_int_equal(alloc_ok(&f, 1, 0x1FFFFF, false), 0x1FFFFF);
	assert_cached(&f, 0x1FFFFF, 0xFFFFF, DMA32);
	free_ok(&f, 0x1FFFFF);
	assert_cached(&f, ANCHOR, 0xFFFFF, DMA32);
	free_ok(&f, 0xFFFFF);
	assert_cached(&f, ANCHOR, ANCHOR, DMA32);
	assert_ranges(&f, NULL, 0);
	destroy_domain(&f);
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
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 64, 255, true), 192);
	assert_int_equal(alloc_ok(&f, 64, 255, true), 128);
	assert_int_equal(alloc_ok(&f, 64, 511, true), 64);
	assert_missing(&f, 448);
	assert_int_equal(alloc_ok(&f, 64, 511, true), 448);
	destroy_domain(&f);
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
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 1, LIM32, false), 0xFFFFF);
	alloc_fails(&f, 0xFFFFF, LIM32, false);
	assert_int_equal(cached_of(&f).max32_alloc_size, 0xFFFFF);
	assert_int_equal(alloc_ok(&f, 1, 0x1FFFFF, false), 0x1FFFFF);
	free_ok(&f, 0x1FFFFF);
	assert_int_equal(cached_of(&f).max32_alloc_size, 0xFFFFF);
	free_ok(&f, 0xFFFFF);
	assert_int_equal(cached_of(&f).max32_alloc_size, DMA32);
	destroy_domain(&f);
}

/* ---------------------------------------------------------------------------------------- */
/* find / free / walk                                                                        */

/*
 * 1000 aligned pfns: 1024-aligned, (0x100000 - 1000) & ~1023 = 0xFFC18 & ~0x3FF = 0xFFC00,
 * range [0xFFC00, 0xFFC00 + 999 = 0xFFFE7]. Any pfn inside finds it; the slack above does not.
 */
static void test_iova_tree_find_any_interior_pfn(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 1000, LIM32, true), 0xFFC00);
	assert_find(&f, 0xFFC00, 0xFFC00, 0xFFFE7);
	assert_find(&f, 0xFFD37, 0xFFC00, 0xFFFE7);
	assert_find(&f, 0xFFFE7, 0xFFC00, 0xFFFE7);
	assert_missing(&f, 0xFFFE8);
	assert_missing(&f, 0xFFBFF);
	destroy_domain(&f);
}

/* Q5: free takes any pfn inside the range and removes the whole range. */
static void test_iova_tree_free_by_interior_pfn(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 1000, LIM32, true), 0xFFC00);
	assert_int_equal(alloc_ok(&f, 3, LIM32, false), 0xFFBFD);
	free_ok(&f, 0xFFE00);
	assert_missing(&f, 0xFFC00);
	assert_missing(&f, 0xFFFE7);
	assert_ranges(&f, (const struct range[]){ { 0xFFBFD, 0xFFBFF } }, 1);
	assert_int_equal(iommusim_iova_free(f.dom, f.cpu, 0xFFC00), -ENOENT);
	destroy_domain(&f);
}

/* A pfn in no range: -ENOENT from both find and free, on an empty and a populated tree. */
static void test_iova_tree_unknown_pfn_is_enoent(void **state)
{
	struct fx f;
	struct iommusim_iova_cached before;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(iommusim_iova_free(f.dom, f.cpu, 5), -ENOENT);
	assert_missing(&f, 5);
	assert_int_equal(alloc_ok(&f, 5, LIM32, true), 0xFFFF8);
	before = cached_of(&f);
	/* 0xFFFFD is alignment slack above [0xFFFF8, 0xFFFFC]; 0 is below start_pfn. */
	assert_int_equal(iommusim_iova_free(f.dom, f.cpu, 0xFFFFD), -ENOENT);
	assert_int_equal(iommusim_iova_free(f.dom, f.cpu, 0), -ENOENT);
	assert_missing(&f, 0xFFFFD);
	/* Nothing was removed, so no hint moved. */
	assert_cached(&f, before.cached_pfn, before.cached32_pfn, before.max32_alloc_size);
	assert_ranges(&f, (const struct range[]){ { 0xFFFF8, 0xFFFFC } }, 1);
	destroy_domain(&f);
}

/* The anchor closes the tree but is not a range: not findable, not freeable, not walked. */
static void test_iova_tree_anchor_is_not_a_range(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(iommusim_iova_free(f.dom, f.cpu, ANCHOR), -ENOENT);
	assert_missing(&f, ANCHOR);
	assert_ranges(&f, NULL, 0);
	assert_int_equal(alloc_ok(&f, 1, LIM48, false), LIM48);
	assert_int_equal(iommusim_iova_free(f.dom, f.cpu, ANCHOR), -ENOENT);
	assert_missing(&f, ANCHOR);
	assert_ranges(&f, (const struct range[]){ { LIM48, LIM48 } }, 1);
	/* The anchor must still be in place as the last node for the check to pass. */
	assert_tree_ok(&f);
	destroy_domain(&f);
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
	struct fx f;
	struct stop_walk w = { .calls = 0 };

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 4, LIM32, true), 0xFFFFC);
	assert_int_equal(alloc_ok(&f, 4, LIM32, true), 0xFFFF8);
	assert_int_equal(alloc_ok(&f, 4, LIM32, true), 0xFFFF4);
	assert_ranges(&f, (const struct range[]){ { 0xFFFF4, 0xFFFF7 }, { 0xFFFF8, 0xFFFFB },
			{ 0xFFFFC, 0xFFFFF } }, 3);
	/* A non-zero return stops the walk and is passed back. */
	assert_int_equal(iommusim_iova_for_each(f.dom, walk_stop_second, &w), 7);
	assert_int_equal(w.calls, 2);
	assert_int_equal(w.seen[0], 0xFFFF4);
	assert_int_equal(w.seen[1], 0xFFFF8);
	destroy_domain(&f);
}

/* ---------------------------------------------------------------------------------------- */
/* reserve (reserve_iova)                                                                    */

/* A reservation in empty space is a new node, findable and (like any node) freeable. */
static void test_iova_tree_reserve_new_node(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	reserve_ok(&f, 100, 199);
	assert_ranges(&f, (const struct range[]){ { 100, 199 } }, 1);
	assert_find(&f, 150, 100, 199);
	assert_cached(&f, ANCHOR, ANCHOR, DMA32);
	free_ok(&f, 150);
	assert_ranges(&f, NULL, 0);
	destroy_domain(&f);
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
		{ 0xFFFD6, 0xFFFE3 }, { 0xFFFE4, 0xFFFF7 }, { 0xFFFF8, 0xFFFFF },
	};
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 8, LIM32, true), 0xFFFF8);
	assert_int_equal(alloc_ok(&f, 8, LIM32, true), 0xFFFF0);
	reserve_ok(&f, 0xFFFE0, 0xFFFE3);
	reserve_ok(&f, 0xFFFD6, 0xFFFFA);
	assert_ranges(&f, widened, 3);
	assert_cached(&f, ANCHOR, 0xFFFE4, DMA32);
	free_ok(&f, 0xFFFE6);
	assert_ranges(&f, (const struct range[]){ { 0xFFFD6, 0xFFFE3 }, { 0xFFFF8, 0xFFFFF } }, 2);
	assert_cached(&f, ANCHOR, 0xFFFF8, DMA32);
	destroy_domain(&f);
}

/*
 * Reserving [0xFF0, 0x100F] over the allocation [0xFF8, 0xFFF]: the allocation grows down to
 * 0xFF0, the request is trimmed to start at 0x1000, the next node (the anchor) does not
 * overlap, so the remainder [0x1000, 0x100F] becomes a new node.
 */
static void test_iova_tree_reserve_trims_request_past_range(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 8, 0xFFF, true), 0xFF8);
	reserve_ok(&f, 0xFF0, 0x100F);
	assert_ranges(&f, (const struct range[]){ { 0xFF0, 0xFFF }, { 0x1000, 0x100F } }, 2);
	destroy_domain(&f);
}

/* A reservation inside one range (or equal to it) changes nothing and allocates nothing. */
static void test_iova_tree_reserve_inside_range_is_noop(void **state)
{
	struct fx f;
	uint64_t allocs;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 8, LIM32, true), 0xFFFF8);
	allocs = iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_MEM_ALLOC);
	reserve_ok(&f, 0xFFFF9, 0xFFFFC);
	reserve_ok(&f, 0xFFFF8, 0xFFFFF);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_MEM_ALLOC), allocs);
	assert_ranges(&f, (const struct range[]){ { 0xFFFF8, 0xFFFFF } }, 1);
	assert_cached(&f, ANCHOR, 0xFFFF8, DMA32);
	destroy_domain(&f);
}

/*
 * Reservations never touch the hints or max32, wherever they land (below cached32, between
 * the halves, above cached). Set-up: L = 0xFFFFF, H = 0x1FFFFF, then a failed search of
 * 0xFFFFF pfns (as in the max32-above-4G test) -> max32 = 0xFFFFF.
 */
static void test_iova_tree_reserve_leaves_hints_and_max32(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 1, LIM32, false), 0xFFFFF);
	assert_int_equal(alloc_ok(&f, 1, 0x1FFFFF, false), 0x1FFFFF);
	alloc_fails(&f, 0xFFFFF, LIM32, false);
	assert_cached(&f, 0x1FFFFF, 0xFFFFF, 0xFFFFF);
	reserve_ok(&f, 0x10, 0x1F);
	reserve_ok(&f, 0x150000, 0x15FFFF);
	reserve_ok(&f, 0x300000, 0x3FFFFF);
	assert_cached(&f, 0x1FFFFF, 0xFFFFF, 0xFFFFF);
	assert_int_equal(stats_of(&f).nodes, 5);
	assert_int_equal(stats_of(&f).tree_allocs, 2);
	destroy_domain(&f);
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
	assert_ranges(&f, (const struct range[]){ { max4k, max4k } }, 1);
	destroy_domain(&f);

	make_domain_full(&f, 512, 1, false);
	reserve_ok(&f, max4k + 1, max4k + 1);
	assert_int_equal(iommusim_iova_reserve(f.dom, f.cpu, max512 + 1, max512 + 1), -EINVAL);
	assert_ranges(&f, (const struct range[]){ { max4k + 1, max4k + 1 } }, 1);
	destroy_domain(&f);
}

static void test_iova_tree_reserve_rejects_inverted_range(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(iommusim_iova_reserve(f.dom, f.cpu, 200, 100), -EINVAL);
	assert_int_equal(iommusim_iova_reserve(f.dom, f.cpu, 1, 0), -EINVAL);
	assert_ranges(&f, NULL, 0);
	destroy_domain(&f);
}

/*
 * Reserved ranges look like allocations to the search. With [0xFFF80, 0xFFFFF] and
 * [0xFFE00, 0xFFF3F] reserved, 64 aligned from the anchor: 0xFFFC0 hits the first,
 * (0xFFF80 - 64) & ~63 = 0xFFF40 fits the 64-pfn gap exactly. Size 1 then starts at 0xFFF40:
 * 0xFFF3F is reserved, so it continues below the second reservation: 0xFFDFF.
 */
static void test_iova_tree_alloc_skips_reserved(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	reserve_ok(&f, 0xFFF80, 0xFFFFF);
	reserve_ok(&f, 0xFFE00, 0xFFF3F);
	assert_int_equal(alloc_ok(&f, 64, LIM32, true), 0xFFF40);
	assert_int_equal(alloc_ok(&f, 1, LIM32, false), 0xFFDFF);
	assert_ranges(&f, (const struct range[]){ { 0xFFDFF, 0xFFDFF }, { 0xFFE00, 0xFFF3F },
			{ 0xFFF40, 0xFFF7F }, { 0xFFF80, 0xFFFFF } }, 4);
	destroy_domain(&f);
}

/* ---------------------------------------------------------------------------------------- */
/* Work reported on the CPU                                                                  */

/*
 * One successful alloc_iova: one node allocated, one insertion, the tree lock taken, and at
 * least the start node (the anchor) looked at.
 */
static void test_iova_tree_work_counters_after_alloc(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	iommusim_cpu_work_reset(f.cpu);
	assert_int_equal(alloc_ok(&f, 4, LIM32, true), 0xFFFFC);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_MEM_ALLOC), 1);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_TREE_INSERT), 1);
	assert_true(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_LOCK) >= 1);
	assert_true(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_TREE_NODE) >= 1);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_TREE_ERASE), 0);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_MEM_FREE), 0);
	destroy_domain(&f);
}

/*
 * alloc_iova allocates its node before searching and frees it on failure, so a failed search
 * costs one allocation and one free and no insertion. A free costs one erase and one free.
 */
static void test_iova_tree_work_counters_failure_and_free(void **state)
{
	struct fx f;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 1, 7, false), 7);
	iommusim_cpu_work_reset(f.cpu);
	alloc_fails(&f, 8, 7, false);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_MEM_ALLOC), 1);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_MEM_FREE), 1);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_TREE_INSERT), 0);
	iommusim_cpu_work_reset(f.cpu);
	free_ok(&f, 7);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_TREE_ERASE), 1);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_MEM_FREE), 1);
	assert_true(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_LOCK) >= 1);
	destroy_domain(&f);
}

struct hook_totals {
	uint64_t n[IOMMUSIM_WORK_NR];
	struct iommusim_cpu *cpu;
	bool wrong_cpu;
};

static void hook_sum(void *arg, struct iommusim_cpu *cpu, enum iommusim_work kind, uint64_t n)
{
	struct hook_totals *t = arg;

	if (cpu != t->cpu || (unsigned int)kind >= IOMMUSIM_WORK_NR) {
		t->wrong_cpu = true;
		return;
	}
	t->n[kind] += n;
}

/* The hook sees every report: its per-kind sums equal the counters, and removing it stops it. */
static void test_iova_tree_work_hook_matches_counters(void **state)
{
	struct fx f;
	struct hook_totals t;

	(void)state;
	make_domain(&f, 1);
	memset(&t, 0, sizeof(t));
	t.cpu = f.cpu;
	iommusim_cpu_work_reset(f.cpu);
	iommusim_cpu_set_work_hook(f.cpu, hook_sum, &t);
	for (unsigned int i = 0; i < 20; i++)
		(void)alloc_ok(&f, 1 + i % 5, LIM32, i & 1);
	/* A searched failure: 2^40 pfns exceed the whole 48-bit window (high = 2^36 < size). */
	alloc_fails(&f, UINT64_C(1) << 40, LIM48, false);
	reserve_ok(&f, 0x1000, 0x1FFF);
	assert_find(&f, 0x1800, 0x1000, 0x1FFF);
	free_ok(&f, 0x1800);
	free_ok(&f, 0xFFFFF);
	assert_int_equal(iommusim_iova_free(f.dom, f.cpu, 5), -ENOENT);
	assert_false(t.wrong_cpu);
	for (unsigned int k = 0; k < IOMMUSIM_WORK_NR; k++)
		assert_int_equal(t.n[k], iommusim_cpu_work(f.cpu, (enum iommusim_work)k));
	assert_int_equal(t.n[IOMMUSIM_WORK_TREE_INSERT], 21);
	assert_int_equal(t.n[IOMMUSIM_WORK_TREE_ERASE], 2);

	iommusim_cpu_set_work_hook(f.cpu, NULL, NULL);
	(void)alloc_ok(&f, 1, LIM32, false);
	assert_int_equal(t.n[IOMMUSIM_WORK_TREE_INSERT], 21);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_TREE_INSERT), 22);
	destroy_domain(&f);
}

/* ---------------------------------------------------------------------------------------- */
/* Counters and teardown                                                                     */

/*
 * Window [1, 255]: 64 aligned -> 192, 128, 64; the fourth fails after both passes (max32 = 64)
 * and the fifth fast-fails. 1 -> 63 and 2 unaligned -> 61 are below the failed size. Frees of
 * 128 and 63, a new reservation [2, 5], one inside it and an unknown free:
 * nodes = 5 - 2 + 1 = 4, tree_allocs = 5, tree_failures = 2 (fast fail included).
 */
static void test_iova_tree_stats_add_up(void **state)
{
	struct fx f;
	struct iommusim_iova_stats s;

	(void)state;
	make_domain(&f, 1);
	assert_int_equal(alloc_ok(&f, 64, 255, true), 192);
	assert_int_equal(alloc_ok(&f, 64, 255, true), 128);
	assert_int_equal(alloc_ok(&f, 64, 255, true), 64);
	alloc_fails(&f, 64, 255, true);
	assert_int_equal(cached_of(&f).max32_alloc_size, 64);
	alloc_fails(&f, 64, 255, true);
	assert_int_equal(alloc_ok(&f, 1, 255, false), 63);
	assert_int_equal(alloc_ok(&f, 2, 255, false), 61);
	free_ok(&f, 130);
	free_ok(&f, 63);
	reserve_ok(&f, 2, 5);
	reserve_ok(&f, 3, 4);
	assert_int_equal(iommusim_iova_free(f.dom, f.cpu, 300), -ENOENT);
	s = stats_of(&f);
	EXPECT_FIELDS(&s, IOVA_STATS(nodes, 4), IOVA_STATS(tree_allocs, 5),
		      IOVA_STATS(tree_failures, 2));
	/* The tree half never touches the caches. */
	assert_int_equal(s.rcache_hits + s.rcache_misses + s.rcache_flushes, 0);
	assert_ranges(&f, (const struct range[]){ { 2, 5 }, { 61, 62 }, { 64, 127 },
			{ 192, 255 } }, 4);
	destroy_domain(&f);
}

struct live {
	uint64_t lo;
	uint64_t size;
};

/*
 * A fixed-seed mix of allocations (1..64 pfns, 32- or 48-bit limit, aligned or not), frees by
 * a random interior pfn and a few reservations, with the tree checked after every step. Each
 * result must respect start_pfn, the limit and the requested alignment; the demand (< 2000 *
 * 64 pfns) is far below the 32-bit window, so nothing may fail. The domain is then destroyed
 * with everything still live, on a manual clock: nothing may leak.
 */
static void test_iova_tree_teardown_with_live_ranges(void **state)
{
	static struct live live[2000];
	struct iommusim_rng rng = test_rng(UINT64_C(0x10fa11ce));
	size_t nlive = 0, nres = 0;
	struct fx f;

	(void)state;
	make_domain_full(&f, 4096, 1, true);
	for (unsigned int step = 0; step < 2000; step++) {
		uint64_t r = iommusim_rng_u64(&rng);

		if (nlive == 0 || r % 8 < 5) {
			uint64_t size = 1 + (r >> 8) % 64;
			uint64_t limit = (r >> 16) & 1 ? LIM48 : LIM32;
			bool aligned = (r >> 17) & 1;
			uint64_t pfn = alloc_ok(&f, size, limit, aligned);
			uint64_t pow2 = 1;

			while (pow2 < size)
				pow2 <<= 1;
			assert_true(pfn >= 1);
			assert_true(pfn + size - 1 <= limit);
			if (aligned)
				assert_int_equal(pfn % pow2, 0);
			live[nlive].lo = pfn;
			live[nlive].size = size;
			nlive++;
		} else if (r % 8 < 7) {
			size_t i = (size_t)((r >> 8) % nlive);

			free_ok(&f, live[i].lo + (r >> 24) % live[i].size);
			live[i] = live[--nlive];
		} else {
			/* Far below everything the 2000 steps can reach: never overlaps. */
			uint64_t lo = 0x1000 + (uint64_t)nres * 0x100;

			reserve_ok(&f, lo, lo + (r >> 8) % 0x80);
			nres++;
		}
		assert_tree_ok(&f);
	}
	assert_int_equal(stats_of(&f).nodes, nlive + nres);
	assert_true(nlive > 0);
	destroy_domain(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iova_tree_init_state_4k),
		cmocka_unit_test(test_iova_tree_init_state_small_granule),
		cmocka_unit_test(test_iova_tree_init_rejects_bad_config),
		cmocka_unit_test(test_iova_tree_alloc_rejects_bad_args),
		cmocka_unit_test(test_iova_tree_alloc_worked_example),
		cmocka_unit_test(test_iova_tree_alloc_size_aligned_to_pow2),
		cmocka_unit_test(test_iova_tree_alloc_unaligned_packs_tight),
		cmocka_unit_test(test_iova_tree_alloc_limit_is_inclusive),
		cmocka_unit_test(test_iova_tree_alloc_never_below_start_pfn),
		cmocka_unit_test(test_iova_tree_alloc_larger_than_window_fails),
		cmocka_unit_test(test_iova_tree_hint_follows_landing_not_limit),
		cmocka_unit_test(test_iova_tree_hint_straddling_node_is_64bit),
		cmocka_unit_test(test_iova_tree_hint_boundary_scales_with_granule),
		cmocka_unit_test(test_iova_tree_cached_drags_64bit_allocs_down),
		cmocka_unit_test(test_iova_tree_free_at_cached_moves_to_successor),
		cmocka_unit_test(test_iova_tree_free_at_cached32_moves_to_successor),
		cmocka_unit_test(test_iova_tree_free_last_node_returns_hint_to_anchor),
		cmocka_unit_test(test_iova_tree_search_skips_hole_above_cached),
		cmocka_unit_test(test_iova_tree_higher_32bit_limit_blind_between_limits),
		cmocka_unit_test(test_iova_tree_max32_set_by_64bit_failure),
		cmocka_unit_test(test_iova_tree_max32_fast_fails_even_if_unaligned_fits),
		cmocka_unit_test(test_iova_tree_max32_only_limits_32bit_requests),
		cmocka_unit_test(test_iova_tree_max32_reset_by_free_below_4g),
		cmocka_unit_test(test_iova_tree_max32_not_reset_by_free_above_4g),
		cmocka_unit_test(test_iova_tree_find_any_interior_pfn),
		cmocka_unit_test(test_iova_tree_free_by_interior_pfn),
		cmocka_unit_test(test_iova_tree_unknown_pfn_is_enoent),
		cmocka_unit_test(test_iova_tree_anchor_is_not_a_range),
		cmocka_unit_test(test_iova_tree_walk_ascending_and_stops),
		cmocka_unit_test(test_iova_tree_reserve_new_node),
		cmocka_unit_test(test_iova_tree_reserve_widens_overlapped_allocation),
		cmocka_unit_test(test_iova_tree_reserve_trims_request_past_range),
		cmocka_unit_test(test_iova_tree_reserve_inside_range_is_noop),
		cmocka_unit_test(test_iova_tree_reserve_leaves_hints_and_max32),
		cmocka_unit_test(test_iova_tree_reserve_rejects_unaddressable_pfn),
		cmocka_unit_test(test_iova_tree_reserve_rejects_inverted_range),
		cmocka_unit_test(test_iova_tree_alloc_skips_reserved),
		cmocka_unit_test(test_iova_tree_work_counters_after_alloc),
		cmocka_unit_test(test_iova_tree_work_counters_failure_and_free),
		cmocka_unit_test(test_iova_tree_work_hook_matches_counters),
		cmocka_unit_test(test_iova_tree_stats_add_up),
		cmocka_unit_test(test_iova_tree_teardown_with_live_ranges),
	};

	return cmocka_run_group_tests_name("iova_tree", tests, NULL, NULL);
}
