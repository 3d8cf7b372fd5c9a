/* SPDX-License-Identifier: MIT */
/*
 * The rcache against a model of its magazines on random sequences of allocations and frees.
 */
#include "iova_rcache_fixture.h"

/*
 * A seeded run of alloc_fast/free_fast on two CPUs, checked step by step against a model of the
 * kernel's rcache (docs/sources.md S15): per CPU and class a loaded and a prev magazine of 127, a
 * depot stack per class (no clock, so never trimmed). Every hit must be the pfn the model pops;
 * every miss must be a fresh, aligned range inside the limit; fills, depot sizes, counters and the
 * node count (live + cached) must agree.
 */
#define MODEL_DEPOT 64
#define MODEL_LIVE  400

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
	struct iova_fx *fx = *state;
	struct iommusim_rng rng = test_rng(UINT64_C(0x1f0a2b3c4d5e6f70));
	uint64_t nlive = 0, hits = 0, misses = 0, big = 0;
	struct iommusim_iova_stats st;

	memset(&m, 0, sizeof(m));
	fx_init(fx, 1, 2, 2, false);
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
			pfn = fast(fx, cpu, size, limit, false);
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
			assert_range(fx, pfn, pfn, pfn + span - 1);
			live[nlive++] = (struct live){pfn, size, span};
		} else {
			uint64_t idx = (r >> 1) % nlive;
			struct live e = live[idx];
			unsigned int k = order_base2(e.size);

			cpu = bias ^ other;
			live[idx] = live[--nlive];
			ffree(fx, cpu, e.pfn, e.size);
			if (k < IOMMUSIM_IOVA_CACHE_ORDERS) {
				model_insert(&m, cpu, k, e.pfn);
				assert_range(fx, e.pfn, e.pfn, e.pfn + e.span - 1);
			} else {
				assert_false(in_tree(fx, e.pfn));
			}
		}

		for (unsigned int k = 0; k < IOMMUSIM_IOVA_CACHE_ORDERS; k++) {
			assert_int_equal(fill_loaded(fx, k, cpu), m.loaded[cpu][k].n);
			assert_int_equal(fill_prev(fx, k, cpu), m.prev[cpu][k].n);
			assert_int_equal(rstate(fx, k).depot_size, m.depot_n[k]);
		}
		st = stats(fx);
		assert_int_equal(st.nodes, nlive + m.cached);
		if (step % 2000 == 1999)
			iova_check_tree(fx->dom);
	}
	st = stats(fx);
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
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_rcache_matches_magazine_model, rcache_alloc,
					   rcache_teardown))
