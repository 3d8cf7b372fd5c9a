/* SPDX-License-Identifier: MIT */
/*
 * Randomized invariant tests of the IOVA allocator (lib/iova) on several threads: each thread
 * owns one CPU handle and its own ranges on one shared domain (list and array depot), checked
 * against its own model (iova_invariants_model.h) as it goes and all together at the end.
 *
 * IOMMUSIM_STRESS_SCALE (a factor, default 1) shrinks or stretches the op counts.
 */
#include "iova_invariants_model.h"

/* Per thread, on top of the sequential ops. */
#define MT_OPS 150000

/* ---------------------------------------------------------------------------------------- */
/* Threads: each one a CPU with its own ranges on one shared domain. */

struct worker {
	pthread_t tid;
	unsigned int id;
	struct iommusim_iova_domain *dom;
	struct iommusim_cpu *cpu;
	uint64_t start_pfn;
	uint64_t limit[3];
	struct iommusim_rng rng;
	uint64_t ops;
	struct model m;
	pthread_barrier_t *start;
	/* First failure, reported by the main thread (CMocka asserts must not run here). */
	char err[256];
	uint64_t allocs;
};

#define WFAIL(w, ...)                                                                              \
	do {                                                                                       \
		snprintf((w)->err, sizeof((w)->err), __VA_ARGS__);                                 \
		return false;                                                                      \
	} while (0)

static bool worker_expect(struct worker *w, uint64_t pfn, uint64_t lo, uint64_t hi)
{
	uint64_t flo = 0, fhi = 0;
	int err = iommusim_iova_find(w->dom, w->cpu, pfn, &flo, &fhi);

	if (err || flo != lo || fhi != hi)
		WFAIL(w,
		      "cpu %u: find(%" PRIu64 ") = %d [%" PRIu64 ", %" PRIu64
		      "], expected [%" PRIu64 ", %" PRIu64 "]",
		      w->id, pfn, err, flo, fhi, lo, hi);
	return true;
}

static bool worker_take(struct worker *w, uint64_t lo, uint64_t hi, uint64_t req, enum rkind kind,
			uint64_t limit, uint64_t align)
{
	struct range *r = tr_floor(w->m.root, hi);

	if (lo < w->start_pfn || hi > limit || hi < lo || lo % align)
		WFAIL(w,
		      "cpu %u: [%" PRIu64 ", %" PRIu64 "] outside [%" PRIu64 ", %" PRIu64
		      "] or not %" PRIu64 "-aligned",
		      w->id, lo, hi, w->start_pfn, limit, align);
	if (r && r->hi >= lo)
		WFAIL(w,
		      "cpu %u: new [%" PRIu64 ", %" PRIu64 "] overlaps own [%" PRIu64 ", %" PRIu64
		      "]",
		      w->id, lo, hi, r->lo, r->hi);
	model_add(&w->m, lo, hi, req, kind);
	w->allocs++;
	return worker_expect(w, lo, lo, hi) && worker_expect(w, hi, lo, hi);
}

static bool worker_step(struct worker *w, uint64_t i)
{
	uint64_t r = test_rng_below(&w->rng, 100);
	size_t live = w->m.held.n;
	uint64_t alloc_share = live < 128 ? 70 : live > 1024 ? 30 : 50;

	if (w->id == 0 && i % 8192 == 8191) {
		char why[200] = "";

		/* The checker takes the tree lock, so it may run while the others allocate. */
		if (isim_iova_check(w->dom, why, sizeof(why)))
			WFAIL(w, "isim_iova_check during the run: %s", why);
	}
	if (live == 0 || r < alloc_share) {
		uint64_t size = random_size(&w->rng), pfn = 0;
		unsigned int which = (unsigned int)test_rng_below(&w->rng, 3);
		uint64_t limit = w->limit[which];
		bool fast = test_rng_below(&w->rng, 3) != 0;
		bool aligned = fast || test_rng_below(&w->rng, 2);
		uint64_t eff = fast && size < 32 ? pow2_up(size) : size;
		int err = fast ? iommusim_iova_alloc_fast(w->dom, w->cpu, size, limit, true, &pfn)
			       : iommusim_iova_alloc(w->dom, w->cpu, size, limit, aligned, &pfn);

		if (err) {
			/* Only the 32-bit limits can run out (see op_alloc). */
			if (err != -ENOMEM || which == 2)
				WFAIL(w, "cpu %u: alloc of %" PRIu64 " under %" PRIu64 ": %d",
				      w->id, size, limit, err);
			return true;
		}
		return worker_take(w, pfn, pfn + eff - 1, size, fast ? R_FAST : R_ALLOC, limit,
				   aligned ? pow2_up(size) : 1);
	} else {
		struct range *h = w->m.held.v[test_rng_below(&w->rng, live)];

		if (h->kind == R_FAST && test_rng_below(&w->rng, 4) != 0) {
			uint64_t size = test_rng_below(&w->rng, 2) ? h->req : h->hi - h->lo + 1;

			if (iommusim_iova_free_fast(w->dom, w->cpu, h->lo, size))
				WFAIL(w, "cpu %u: free_fast(%" PRIu64 ") failed", w->id, h->lo);
		} else {
			uint64_t pfn = h->lo + test_rng_below(&w->rng, h->hi - h->lo + 1);

			if (iommusim_iova_free(w->dom, w->cpu, pfn))
				WFAIL(w,
				      "cpu %u: free(%" PRIu64 ") of own [%" PRIu64 ", %" PRIu64
				      "] failed",
				      w->id, pfn, h->lo, h->hi);
		}
		model_del(&w->m, h);
	}
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	/* Start together, so the threads really contend for the locks. */
	pthread_barrier_wait(w->start);
	for (uint64_t i = 0; i < w->ops; i++)
		if (!worker_step(w, i))
			break;
	return NULL;
}

static int cmp_range_ptr(const void *a, const void *b)
{
	const struct range *x = *(struct range *const *)a, *y = *(struct range *const *)b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void run_threads(enum iommusim_iova_depot depot, unsigned int nthreads, uint64_t seed)
{
	struct iommusim_iova_config cfg = {
		.granule = 4096,
		.start_pfn = 1,
		.possible_cpus = nthreads,
		.depot = depot,
	};
	struct iommusim_mem *mem;
	struct iommusim_clock *clock = NULL;
	struct iommusim_iova_domain *dom;
	struct iommusim_iova_stats st;
	struct worker *w = calloc(nthreads, sizeof(*w));
	struct range **all;
	size_t total = 0, k = 0;
	uint64_t allocs = 0;
	pthread_barrier_t start;

	assert_non_null(w);
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem), 0);
	if (depot == IOMMUSIM_IOVA_DEPOT_LIST)
		assert_int_equal(iommusim_manual_clock_create(mem, &clock), 0);
	cfg.mem = mem;
	cfg.clock = clock;
	assert_int_equal(iommusim_iova_domain_create(&cfg, &dom), 0);

	for (unsigned int t = 0; t < nthreads; t++) {
		w[t].id = t;
		w[t].start = &start;
		w[t].dom = dom;
		w[t].start_pfn = cfg.start_pfn;
		/* A small 32-bit window shared by all, the whole 32-bit space, and 48 bits. */
		w[t].limit[0] = 0x7fff;
		w[t].limit[1] = 0xfffff;
		w[t].limit[2] = (UINT64_C(1) << 48) - 1;
		w[t].rng = test_rng(seed + t);
		w[t].ops = scaled(MT_OPS);
		model_init(&w[t].m, seed + 100 + t);
		assert_int_equal(iommusim_cpu_create(mem, t, &w[t].cpu), 0);
	}
	assert_int_equal(pthread_barrier_init(&start, NULL, nthreads), 0);
	for (unsigned int t = 0; t < nthreads; t++)
		assert_int_equal(pthread_create(&w[t].tid, NULL, worker_main, &w[t]), 0);
	for (unsigned int t = 0; t < nthreads; t++)
		assert_int_equal(pthread_join(w[t].tid, NULL), 0);
	pthread_barrier_destroy(&start);
	for (unsigned int t = 0; t < nthreads; t++) {
		if (w[t].err[0])
			fail_msg("%s", w[t].err);
		total += w[t].m.held.n;
		allocs += w[t].allocs;
	}

	expect_tree_ok(dom);
	/* Every thread's ranges are disjoint from every other thread's, and all are in the tree. */
	all = calloc(total ? total : 1, sizeof(*all));
	assert_non_null(all);
	for (unsigned int t = 0; t < nthreads; t++)
		for (size_t i = 0; i < w[t].m.held.n; i++)
			all[k++] = w[t].m.held.v[i];
	qsort(all, total, sizeof(*all), cmp_range_ptr);
	for (size_t i = 0; i < total; i++) {
		if (i && all[i]->lo <= all[i - 1]->hi)
			fail_msg("ranges [%" PRIu64 ", %" PRIu64 "] and [%" PRIu64 ", %" PRIu64
				 "] of two threads overlap",
				 all[i - 1]->lo, all[i - 1]->hi, all[i]->lo, all[i]->hi);
		expect_range(dom, w[0].cpu, all[i]->lo, all[i]->lo, all[i]->hi);
	}
	free(all);

	/* With every magazine and the depot flushed, the tree holds exactly the held ranges. */
	if (clock)
		iommusim_manual_clock_drain(clock, 0);
	iommusim_iova_flush_rcaches(dom, w[0].cpu);
	iommusim_iova_get_stats(dom, &st);
	assert_int_equal(st.nodes, total);
	assert_true(st.rcache_hits > 0);
	print_message("%u threads, %s depot: %" PRIu64 " allocs, %" PRIu64 " hits, %" PRIu64
		      " flushes, %zu live at the end\n",
		      nthreads, depot == IOMMUSIM_IOVA_DEPOT_LIST ? "list" : "array", allocs,
		      st.rcache_hits, st.rcache_flushes, total);

	/* Half the threads give their ranges back; the domain takes the rest with it. */
	for (unsigned int t = 0; t < nthreads; t++) {
		while (t % 2 == 0 && w[t].m.held.n) {
			struct range *r = w[t].m.held.v[0];

			assert_int_equal(iommusim_iova_free(dom, w[t].cpu, r->lo), 0);
			model_del(&w[t].m, r);
		}
	}
	expect_tree_ok(dom);
	iommusim_iova_domain_destroy(dom);
	for (unsigned int t = 0; t < nthreads; t++) {
		iommusim_cpu_destroy(w[t].cpu);
		model_clear(&w[t].m);
	}
	iommusim_clock_destroy(clock);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
	free(w);
}

static void test_iova_threads_list_depot_keep_ranges_disjoint(void **state)
{
	(void)state;
	run_threads(IOMMUSIM_IOVA_DEPOT_LIST, 4, 0x7001);
}

static void test_iova_threads_array_depot_keep_ranges_disjoint(void **state)
{
	(void)state;
	run_threads(IOMMUSIM_IOVA_DEPOT_ARRAY, 3, 0x7002);
}

SUITE_MAIN(cmocka_unit_test(test_iova_threads_list_depot_keep_ranges_disjoint),
	   cmocka_unit_test(test_iova_threads_array_depot_keep_ranges_disjoint))
