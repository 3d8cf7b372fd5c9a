/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the IOVA tree's domain set-up and allocation: the initial state and the errors
 * of set-up, top-down first-fit placement, size alignment, inclusive limits, the start PFN,
 * requests larger than the window, and placement around reserved ranges.
 */
#include "iova_tree_fixture.h"

/* ---------------------------------------------------------------------------------------- */
/* init (init_iova_domain)                                                                    */

/* granule 4096 -> shift 12 -> dma32 = 1 << 20; both hints on the anchor; max32 = dma32. */
static void test_iova_tree_init_state_4k(void **state)
{
	struct fx *f = *state;

	assert_int_equal(iommusim_iova_dma_32bit_pfn(f->dom), DMA32);
	assert_int_equal(iommusim_iova_granule(f->dom), 4096);
	assert_int_equal(iommusim_iova_start_pfn(f->dom), 1);
	assert_cached(f, ANCHOR, ANCHOR, DMA32);
	assert_ranges(f, NULL, 0);
	assert_int_equal(stats_of(f).tree_allocs, 0);
	assert_int_equal(stats_of(f).tree_failures, 0);
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
	cfg.granule = 0; /* not a power of two */
	expect_config_einval(mem, &cfg);
	cfg.granule = 3; /* not a power of two */
	expect_config_einval(mem, &cfg);
	cfg.granule = 8192; /* larger than PAGE_SIZE */
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
	struct fx *f = *state;
	uint64_t pfn;

	assert_int_equal(iommusim_iova_alloc(f->dom, f->cpu, 0, LIM32, true, &pfn), -EINVAL);
	assert_int_equal(iommusim_iova_alloc(f->dom, f->cpu, 1, UINT64_MAX, false, &pfn), -EINVAL);
	/* Neither counts as a failed search, so the hint is untouched. */
	assert_cached(f, ANCHOR, ANCHOR, DMA32);
	assert_int_equal(stats_of(f).tree_failures, 0);
}

/* ---------------------------------------------------------------------------------------- */
/* placement (alloc_iova)                                                                     */

/*
 * The example of docs/sources.md S15: size 4, limit 0xFFFFF: new = (0x100000 - 4) & ~3 = 0xFFFFC.
 * The next size-1 request starts at cached32 = [0xFFFFC, 0xFFFFF]: new = 0xFFFFC - 1 = 0xFFFFB.
 */
static void test_iova_tree_alloc_worked_example(void **state)
{
	struct fx *f = *state;

	assert_int_equal(alloc_ok(f, 4, LIM32, true), 0xFFFFC);
	assert_cached(f, ANCHOR, 0xFFFFC, DMA32);
	assert_int_equal(alloc_ok(f, 1, LIM32, true), 0xFFFFB);
	assert_cached(f, ANCHOR, 0xFFFFB, DMA32);
	assert_find(f, 0xFFFFC, 0xFFFFC, 0xFFFFF);
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
		{0xFFFC0, 0xFFFE0}, {0xFFFEB, 0xFFFEB}, {0xFFFEC, 0xFFFEF},
		{0xFFFF0, 0xFFFF5}, {0xFFFF8, 0xFFFFC}, {0xFFFFF, 0xFFFFF},
	};
	struct fx *f = *state;

	assert_int_equal(alloc_ok(f, 1, LIM32, true), 0xFFFFF);
	assert_int_equal(alloc_ok(f, 5, LIM32, true), 0xFFFF8);
	assert_int_equal(alloc_ok(f, 6, LIM32, true), 0xFFFF0);
	assert_int_equal(alloc_ok(f, 4, LIM32, true), 0xFFFEC);
	assert_int_equal(alloc_ok(f, 1, LIM32, true), 0xFFFEB);
	assert_int_equal(alloc_ok(f, 33, LIM32, true), 0xFFFC0);
	assert_ranges(f, exp, 6);
	/* The alignment slack is not part of any range. */
	assert_missing(f, 0xFFFFD);
	assert_missing(f, 0xFFFF7);
}

/*
 * Unaligned requests pack with no gap: each new range ends right below the previous one:
 * 3 -> 0xFFFFD, 5 -> 0xFFFF8, 7 -> 0xFFFF1, 33 -> 0xFFFF1 - 33 = 0xFFFD0.
 */
static void test_iova_tree_alloc_unaligned_packs_tight(void **state)
{
	static const struct range exp[] = {
		{0xFFFD0, 0xFFFF0},
		{0xFFFF1, 0xFFFF7},
		{0xFFFF8, 0xFFFFC},
		{0xFFFFD, 0xFFFFF},
	};
	struct fx *f = *state;

	assert_int_equal(alloc_ok(f, 3, LIM32, false), 0xFFFFD);
	assert_int_equal(alloc_ok(f, 5, LIM32, false), 0xFFFF8);
	assert_int_equal(alloc_ok(f, 7, LIM32, false), 0xFFFF1);
	assert_int_equal(alloc_ok(f, 33, LIM32, false), 0xFFFD0);
	assert_ranges(f, exp, 4);
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
	assert_ranges(&f, (const struct range[]){{16, 23}, {24, 31}}, 2);
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

/*
 * Reserved ranges look like allocations to the search. With [0xFFF80, 0xFFFFF] and
 * [0xFFE00, 0xFFF3F] reserved, 64 aligned from the anchor: 0xFFFC0 hits the first,
 * (0xFFF80 - 64) & ~63 = 0xFFF40 fits the 64-pfn gap exactly. Size 1 then starts at 0xFFF40:
 * 0xFFF3F is reserved, so it continues below the second reservation: 0xFFDFF.
 */
static void test_iova_tree_alloc_skips_reserved(void **state)
{
	struct fx *f = *state;

	reserve_ok(f, 0xFFF80, 0xFFFFF);
	reserve_ok(f, 0xFFE00, 0xFFF3F);
	assert_int_equal(alloc_ok(f, 64, LIM32, true), 0xFFF40);
	assert_int_equal(alloc_ok(f, 1, LIM32, false), 0xFFDFF);
	assert_ranges(f,
		      (const struct range[]){{0xFFDFF, 0xFFDFF},
					     {0xFFE00, 0xFFF3F},
					     {0xFFF40, 0xFFF7F},
					     {0xFFF80, 0xFFFFF}},
		      4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_iova_tree_init_state_4k, tree_setup,
						tree_teardown),
		cmocka_unit_test(test_iova_tree_init_state_small_granule),
		cmocka_unit_test(test_iova_tree_init_rejects_bad_config),
		cmocka_unit_test_setup_teardown(test_iova_tree_alloc_rejects_bad_args, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_alloc_worked_example, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_alloc_size_aligned_to_pow2,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_alloc_unaligned_packs_tight,
						tree_setup, tree_teardown),
		cmocka_unit_test(test_iova_tree_alloc_limit_is_inclusive),
		cmocka_unit_test(test_iova_tree_alloc_never_below_start_pfn),
		cmocka_unit_test(test_iova_tree_alloc_larger_than_window_fails),
		cmocka_unit_test_setup_teardown(test_iova_tree_alloc_skips_reserved, tree_setup,
						tree_teardown),
	};

	return cmocka_run_group_tests_name("iova_tree_alloc", tests, NULL, NULL);
}
