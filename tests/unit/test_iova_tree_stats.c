/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the IOVA tree's accounting: the work reported on the CPU after allocations,
 * failures and frees, the work hook, the domain counters, and teardown with live ranges.
 */
#include "iova_tree_fixture.h"
#define IOVA_STATS(field, value) FIELD(struct iommusim_iova_stats, field, value)

/* ---------------------------------------------------------------------------------------- */
/* Work reported on the CPU                                                                  */

/*
 * One successful alloc_iova: one node allocated, one insertion, the tree lock taken, and at
 * least the start node (the anchor) looked at.
 */
static void test_iova_tree_work_counters_after_alloc(void **state)
{
	struct fx *f = *state;

	iommusim_cpu_work_reset(f->cpu);
	assert_int_equal(alloc_ok(f, 4, LIM32, true), 0xFFFFC);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_MEM_ALLOC), 1);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_TREE_INSERT), 1);
	assert_true(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_LOCK) >= 1);
	assert_true(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_TREE_NODE) >= 1);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_TREE_ERASE), 0);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_MEM_FREE), 0);
}

/*
 * alloc_iova allocates its node before searching and frees it on failure, so a failed search
 * costs one allocation and one free and no insertion. A free costs one erase and one free.
 */
static void test_iova_tree_work_counters_failure_and_free(void **state)
{
	struct fx *f = *state;

	assert_int_equal(alloc_ok(f, 1, 7, false), 7);
	iommusim_cpu_work_reset(f->cpu);
	alloc_fails(f, 8, 7, false);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_MEM_ALLOC), 1);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_MEM_FREE), 1);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_TREE_INSERT), 0);
	iommusim_cpu_work_reset(f->cpu);
	free_ok(f, 7);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_TREE_ERASE), 1);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_MEM_FREE), 1);
	assert_true(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_LOCK) >= 1);
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
	struct fx *f = *state;
	struct hook_totals t;

	memset(&t, 0, sizeof(t));
	t.cpu = f->cpu;
	iommusim_cpu_work_reset(f->cpu);
	iommusim_cpu_set_work_hook(f->cpu, hook_sum, &t);
	for (unsigned int i = 0; i < 20; i++)
		(void)alloc_ok(f, 1 + i % 5, LIM32, i & 1);
	/* A searched failure: 2^40 pfns exceed the whole 48-bit window (high = 2^36 < size). */
	alloc_fails(f, UINT64_C(1) << 40, LIM48, false);
	reserve_ok(f, 0x1000, 0x1FFF);
	assert_find(f, 0x1800, 0x1000, 0x1FFF);
	free_ok(f, 0x1800);
	free_ok(f, 0xFFFFF);
	assert_int_equal(iommusim_iova_free(f->dom, f->cpu, 5), -ENOENT);
	assert_false(t.wrong_cpu);
	for (unsigned int k = 0; k < IOMMUSIM_WORK_NR; k++)
		assert_int_equal(t.n[k], iommusim_cpu_work(f->cpu, (enum iommusim_work)k));
	assert_int_equal(t.n[IOMMUSIM_WORK_TREE_INSERT], 21);
	assert_int_equal(t.n[IOMMUSIM_WORK_TREE_ERASE], 2);

	iommusim_cpu_set_work_hook(f->cpu, NULL, NULL);
	(void)alloc_ok(f, 1, LIM32, false);
	assert_int_equal(t.n[IOMMUSIM_WORK_TREE_INSERT], 21);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_TREE_INSERT), 22);
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
	struct fx *f = *state;
	struct iommusim_iova_stats s;

	assert_int_equal(alloc_ok(f, 64, 255, true), 192);
	assert_int_equal(alloc_ok(f, 64, 255, true), 128);
	assert_int_equal(alloc_ok(f, 64, 255, true), 64);
	alloc_fails(f, 64, 255, true);
	assert_int_equal(cached_of(f).max32_alloc_size, 64);
	alloc_fails(f, 64, 255, true);
	assert_int_equal(alloc_ok(f, 1, 255, false), 63);
	assert_int_equal(alloc_ok(f, 2, 255, false), 61);
	free_ok(f, 130);
	free_ok(f, 63);
	reserve_ok(f, 2, 5);
	reserve_ok(f, 3, 4);
	assert_int_equal(iommusim_iova_free(f->dom, f->cpu, 300), -ENOENT);
	s = stats_of(f);
	EXPECT_FIELDS(&s, IOVA_STATS(nodes, 4), IOVA_STATS(tree_allocs, 5),
		      IOVA_STATS(tree_failures, 2));
	/* The tree half never touches the caches. */
	assert_int_equal(s.rcache_hits + s.rcache_misses + s.rcache_flushes, 0);
	assert_ranges(f, (const struct range[]){{2, 5}, {61, 62}, {64, 127}, {192, 255}}, 4);
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
		cmocka_unit_test_setup_teardown(test_iova_tree_work_counters_after_alloc,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_work_counters_failure_and_free,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_work_hook_matches_counters,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_iova_tree_stats_add_up, tree_setup,
						tree_teardown),
		cmocka_unit_test(test_iova_tree_teardown_with_live_ranges),
	};

	return cmocka_run_group_tests_name("iova_tree_stats", tests, NULL, NULL);
}
