/* SPDX-License-Identifier: MIT */
/*
 * Randomized invariant tests of the IOVA allocator (lib/iova) on one thread: long seeded
 * streams of alloc / alloc_fast / free / free_fast / reserve on several CPU handles, both depot
 * forms, several granules, start PFNs and limits (one test a phase), checked op by op against
 * the model of iova_invariants_model.h. The ops: iova_invariants_seq_ops.h.
 *
 * IOMMUSIM_STRESS_SCALE (a factor, default 1) shrinks or stretches the op counts.
 */
#include "iova_invariants_seq_ops.h"

/* Check the whole tree (and every model range) this often. */
#define CHECK_EVERY 4096
/* Sequential ops at scale 1: 8 configurations of 256 Ki ops = 2 Mi ops. */
#define SEQ_OPS 262144

/*
 * Full check: the tree's own consistency, then every model range against find(). Parked ranges
 * that are gone must have been flushed since they were parked; afterwards the model and the
 * tree hold exactly the same number of ranges.
 */
static void seq_full_check(struct seq *s)
{
	struct iommusim_cpu *cpu = s->cpu[0];
	uint64_t epoch = seq_epoch(s);

	expect_tree_ok(s->dom);
	for (size_t i = 0; i < s->m.held.n; i++) {
		struct range *r = s->m.held.v[i];

		expect_range(s->dom, cpu, r->lo, r->lo, r->hi);
		expect_range(s->dom, cpu, r->hi, r->lo, r->hi);
	}
	for (size_t i = 0; i < s->m.parked.n;) {
		struct range *r = s->m.parked.v[i];
		uint64_t flo, fhi;

		if (iommusim_iova_find(s->dom, cpu, r->lo, &flo, &fhi) == 0) {
			if (flo != r->lo || fhi != r->hi)
				fail_msg("parked [%" PRIu64 ", %" PRIu64 "] found as [%" PRIu64
					 ", %" PRIu64 "]",
					 r->lo, r->hi, flo, fhi);
			i++;
			continue;
		}
		if (epoch <= r->epoch)
			fail_msg("parked [%" PRIu64 ", %" PRIu64 "] left the tree without a flush",
				 r->lo, r->hi);
		model_del(&s->m, r);
	}
	seq_epoch(s);
	assert_int_equal(s->st.nodes, s->m.held.n + s->m.parked.n);
}

static void seq_setup(struct seq *s, const struct phase *ph)
{
	struct iommusim_iova_config cfg = {
		.granule = ph->granule,
		.start_pfn = ph->start_pfn,
		.possible_cpus = NCPU,
		.online_cpus = ph->online,
		.depot = ph->depot,
	};
	uint64_t dma32;

	memset(s, 0, sizeof(*s));
	s->ph = ph;
	s->rng = test_rng(ph->seed);
	s->online = ph->online;
	model_init(&s->m, ph->seed);
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &s->mem), 0);
	if (ph->depot == IOMMUSIM_IOVA_DEPOT_LIST)
		assert_int_equal(iommusim_manual_clock_create(s->mem, &s->clock), 0);
	for (unsigned int i = 0; i < NCPU; i++)
		assert_int_equal(iommusim_cpu_create(s->mem, i, &s->cpu[i]), 0);
	cfg.mem = s->mem;
	cfg.clock = s->clock;
	assert_int_equal(iommusim_iova_domain_create(&cfg, &s->dom), 0);

	/* dma_32bit_pfn = 2^32 / granule (spec 1.1). */
	dma32 = iommusim_iova_dma_32bit_pfn(s->dom);
	assert_int_equal(dma32, (UINT64_C(1) << 32) / ph->granule);
	s->limit[LIM_32] = dma32 - 1;
	/* A small 32-bit window, so that exhaustion, fast-fail and the flush retry happen. */
	s->limit[LIM_32_LOW] = ph->start_pfn + (1 << 14) - 1;
	s->limit[LIM_40] = (UINT64_C(1) << 40) - 1;
	s->limit[LIM_48] = (UINT64_C(1) << 48) - 1;
	s->limit[LIM_TOP] = UINT64_MAX - 1;
	seq_epoch(s);
}

static void seq_teardown(struct seq *s)
{
	struct iommusim_cpu *cpu = s->cpu[0];

	seq_full_check(s);
	if (!s->ph->destroy_full) {
		uint64_t epoch;

		/* Every CPU's magazines and the depot back to the tree: only held ranges remain. */
		if (s->online < NCPU)
			assert_int_equal(iommusim_iova_set_online_cpus(s->dom, NCPU), 0);
		iommusim_iova_flush_rcaches(s->dom, cpu);
		s->own_flushes++;
		epoch = seq_epoch(s);
		while (s->m.parked.n) {
			struct range *r = s->m.parked.v[0];

			/*
			 * With start_pfn 0 a cached PFN 0 reads as the kernel's "no hit": the pop
			 * drops it from the magazine and the range stays in the tree for good.
			 */
			if (iommusim_iova_find(s->dom, cpu, r->lo, NULL, NULL) == 0) {
				assert_int_equal(r->lo, 0);
				assert_int_equal(s->ph->start_pfn, 0);
				assert_int_equal(iommusim_iova_free(s->dom, cpu, 0), 0);
			} else {
				assert_true(epoch > r->epoch);
			}
			model_del(&s->m, r);
		}
		seq_epoch(s);
		assert_int_equal(s->st.nodes, s->m.held.n);
		while (s->m.held.n) {
			struct range *r = s->m.held.v[s->m.held.n - 1];

			assert_int_equal(iommusim_iova_free(s->dom, cpu, r->hi), 0);
			model_del(&s->m, r);
		}
		seq_epoch(s);
		assert_int_equal(s->st.nodes, 0);
		expect_tree_ok(s->dom);
		if (s->clock)
			iommusim_manual_clock_drain(s->clock, 0);
	}
	/* Destroying with nodes, magazines, a loaded depot and armed trim work must free all. */
	iommusim_iova_domain_destroy(s->dom);
	for (unsigned int i = 0; i < NCPU; i++)
		iommusim_cpu_destroy(s->cpu[i]);
	iommusim_clock_destroy(s->clock);
	assert_int_equal(iommusim_mem_live_objects(s->mem), 0);
	assert_int_equal(iommusim_mem_live_bytes(s->mem), 0);
	iommusim_mem_destroy(s->mem);
	model_clear(&s->m);
}

static void run_phase(const struct phase *ph, uint64_t nops)
{
	struct seq *s = malloc(sizeof(*s));
	uint64_t i, next_check = CHECK_EVERY;

	assert_non_null(s);
	seq_setup(s, ph);
	/* A burst counts every op it does, so the loop may end a little past @nops. */
	for (i = 0; i < nops; i++) {
		struct iommusim_cpu *cpu = s->cpu[test_rng_below(&s->rng, s->online)];
		size_t live = s->m.held.n;
		uint64_t r = test_rng_below(&s->rng, 1000);
		/* Keep a few hundred to a few thousand ranges live: allocate more when few are. */
		uint64_t alloc_share = live < 256 ? 700 : live > 3000 ? 300 : 500;

		if (r == 999 && test_rng_below(&s->rng, 20) == 0) {
			i += op_burst(s);
		} else if (r < 3) {
			if (s->clock) {
				iommusim_manual_clock_tick(s->clock);
				s->n_ticks++;
			}
		} else if (r < 4) {
			op_hotplug(s, cpu);
		} else if (r < 5) {
			uint64_t who = test_rng_below(&s->rng, NCPU);

			assert_int_equal(iommusim_iova_cpu_dead(s->dom, cpu, (unsigned int)who), 0);
			s->own_flushes++;
		} else if (r < 6) {
			if (test_rng_below(&s->rng, 4) == 0) {
				iommusim_iova_flush_rcaches(s->dom, cpu);
				s->own_flushes++;
			} else {
				op_invalid(s, cpu);
			}
		} else if (r < 26) {
			op_reserve(s, cpu);
		} else if (live == 0 || r < 26 + alloc_share) {
			if (test_rng_below(&s->rng, 3) == 0)
				op_alloc(s, cpu);
			else
				op_alloc_fast(s, cpu);
		} else if (test_rng_below(&s->rng, 5) < 3) {
			op_free_fast(s, cpu);
		} else {
			op_free(s, cpu);
		}
		if (i + 1 >= next_check) {
			seq_full_check(s);
			next_check = i + 1 + CHECK_EVERY;
		}
	}
	seq_epoch(s);
	print_message("%s: %" PRIu64 " ops, %" PRIu64 " allocs (%" PRIu64 " rcache hits), %" PRIu64
		      " failures, %" PRIu64 " parked, %" PRIu64 " reserves, %" PRIu64
		      " ticks, flushes %" PRIu64 " trims %" PRIu64 " spills %" PRIu64 "\n",
		      ph->name, i, s->n_alloc_ok, s->n_hits, s->n_alloc_fail, s->n_parked,
		      s->n_reserve, s->n_ticks, s->st.rcache_flushes, s->st.depot_trims,
		      s->st.depot_spills);
	/*
	 * Each mechanism must actually have been exercised, or the run proves little (checked at
	 * the full op count only: a shrunk run may legitimately miss the rarer ones).
	 */
	assert_true(s->n_alloc_ok > nops / 4);
	if (nops >= SEQ_OPS) {
		assert_true(s->n_hits > 0);
		assert_true(s->n_alloc_fail > 0);
		assert_true(s->n_reserve > 0);
		assert_true(s->st.rcache_flushes > 0);
		if (ph->depot == IOMMUSIM_IOVA_DEPOT_LIST)
			assert_true(s->st.depot_trims > 0);
		else
			assert_true(s->st.depot_spills > 0);
	}
	seq_teardown(s);
	free(s);
}

static const struct phase phases[] = {
	{"list g4096 s1", 4096, 1, IOMMUSIM_IOVA_DEPOT_LIST, 4, 0x1001, false},
	{"array g4096 s1", 4096, 1, IOMMUSIM_IOVA_DEPOT_ARRAY, 4, 0x1002, true},
	{"list g512 s4096", 512, 4096, IOMMUSIM_IOVA_DEPOT_LIST, 2, 0x1003, true},
	{"array g1 s0", 1, 0, IOMMUSIM_IOVA_DEPOT_ARRAY, 3, 0x1004, false},
	{"list g4096 s0", 4096, 0, IOMMUSIM_IOVA_DEPOT_LIST, 1, 0x1005, false},
	{"array g64 s7", 64, 7, IOMMUSIM_IOVA_DEPOT_ARRAY, 4, 0x1006, false},
	{"list g2048 s1", 2048, 1, IOMMUSIM_IOVA_DEPOT_LIST, 3, 0x1007, true},
	{"array g4096 s256", 4096, 256, IOMMUSIM_IOVA_DEPOT_ARRAY, 2, 0x1008, false},
};

static void test_iova_random_ops_keep_invariants(void **state)
{
	const struct phase *ph = *state;

	run_phase(ph, scaled(SEQ_OPS));
}

#define PHASE_TEST(i)                                                                              \
	{                                                                                          \
		"test_iova_random_ops_keep_invariants/" #i, test_iova_random_ops_keep_invariants,  \
			NULL, NULL, (void *)&phases[i]                                             \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		PHASE_TEST(0), PHASE_TEST(1), PHASE_TEST(2), PHASE_TEST(3),
		PHASE_TEST(4), PHASE_TEST(5), PHASE_TEST(6), PHASE_TEST(7),
	};

	_Static_assert(sizeof(phases) / sizeof(phases[0]) == 8, "one test entry per phase");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
