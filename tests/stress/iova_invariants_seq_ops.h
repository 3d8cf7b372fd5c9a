/* SPDX-License-Identifier: MIT */
/*
 * The operations of the IOVA allocator's sequential invariant tests (test_iova_invariants_seq.c):
 * the state of one stream (a phase's configuration, the domain, its CPU handles, the model) and
 * one op each of alloc, free, alloc_fast, free_fast, a burst of both, reserve, CPU hotplug and
 * calls that must be refused, each checked against the model of iova_invariants_model.h.
 */
#ifndef TESTS_STRESS_IOVA_INVARIANTS_SEQ_OPS_H
#define TESTS_STRESS_IOVA_INVARIANTS_SEQ_OPS_H

#include "iova_invariants_model.h"

/* ---------------------------------------------------------------------------------------- */
/* Sequential stress. */

struct phase {
	const char *name;
	uint64_t granule;
	uint64_t start_pfn;
	enum iommusim_iova_depot depot;
	unsigned int online;
	uint64_t seed;
	/* Destroy the domain with everything still in it instead of freeing range by range. */
	bool destroy_full;
};

enum { LIM_32, LIM_32_LOW, LIM_40, LIM_48, LIM_TOP, NLIMITS };

struct seq {
	const struct phase *ph;
	struct iommusim_rng rng;
	struct iommusim_mem *mem;
	struct iommusim_clock *clock;
	struct iommusim_cpu *cpu[NCPU];
	struct iommusim_iova_domain *dom;
	unsigned int online;
	uint64_t limit[NLIMITS];
	/* Flushes the test itself caused (cpu_dead, flush_rcaches, hot-unplug). */
	uint64_t own_flushes;
	struct iommusim_iova_stats st;
	struct model m;
	uint64_t n_alloc_ok, n_alloc_fail, n_hits, n_parked, n_reserve, n_ticks;
};

/*
 * Every event that can take a parked PFN out of the tree bumps one of these counters, so a
 * parked range may only disappear (or be overlapped) once this sum has grown past its value at
 * parking time.
 */
static inline uint64_t seq_epoch(struct seq *s)
{
	iommusim_iova_get_stats(s->dom, &s->st);
	return s->st.rcache_flushes + s->st.depot_trims + s->st.depot_spills + s->own_flushes;
}

static inline uint64_t pick_limit(struct seq *s, int *which)
{
	uint64_t r = test_rng_below(&s->rng, 100);

	*which = r < 35	  ? LIM_32
		 : r < 50 ? LIM_32_LOW
		 : r < 70 ? LIM_40
		 : r < 95 ? LIM_48
			  : LIM_TOP;
	return s->limit[*which];
}

/*
 * A range the tree just handed out (not an rcache hit): it must not touch anything the caller
 * holds, and may cover parked ranges only if a flush has run since they were parked (then they
 * are gone from the model too).
 */
static inline void take_tree_range(struct model *m, uint64_t lo, uint64_t hi, uint64_t req,
				   enum rkind kind, uint64_t epoch)
{
	struct range *r;

	while ((r = tr_floor(m->root, hi)) && r->hi >= lo) {
		if (r->kind != R_PARKED)
			fail_msg("new range [%" PRIu64 ", %" PRIu64 "] overlaps live [%" PRIu64
				 ", %" PRIu64 "]",
				 lo, hi, r->lo, r->hi);
		if (epoch <= r->epoch)
			fail_msg("new range [%" PRIu64 ", %" PRIu64 "] overlaps [%" PRIu64
				 ", %" PRIu64 "], parked with no flush since",
				 lo, hi, r->lo, r->hi);
		model_del(m, r);
	}
	model_add(m, lo, hi, req, kind);
}

static inline void check_bounds(struct seq *s, uint64_t lo, uint64_t hi, uint64_t limit,
				uint64_t align)
{
	if (lo < s->ph->start_pfn || hi > limit || hi < lo)
		fail_msg("[%" PRIu64 ", %" PRIu64 "] outside [%" PRIu64 ", %" PRIu64 "]", lo, hi,
			 s->ph->start_pfn, limit);
	if (lo % align)
		fail_msg("pfn %" PRIu64 " not aligned to %" PRIu64, lo, align);
}

static inline void op_alloc(struct seq *s, struct iommusim_cpu *cpu)
{
	uint64_t size = random_size(&s->rng), pfn = 0, epoch;
	bool aligned = test_rng_below(&s->rng, 2);
	int which;
	uint64_t limit = pick_limit(s, &which);
	int err = iommusim_iova_alloc(s->dom, cpu, size, limit, aligned, &pfn);

	if (err) {
		assert_int_equal(err, -ENOMEM);
		/*
		 * Above 4 GiB there are at least 2^40 - 2^32 free PFNs minus the few million the
		 * model can hold, and the two passes of the walk together see every gap below the
		 * limit, so a 40-bit or wider request can never fail.
		 */
		assert_true(which == LIM_32 || which == LIM_32_LOW);
		s->n_alloc_fail++;
		return;
	}
	check_bounds(s, pfn, pfn + size - 1, limit, aligned ? pow2_up(size) : 1);
	epoch = seq_epoch(s);
	take_tree_range(&s->m, pfn, pfn + size - 1, size, R_ALLOC, epoch);
	expect_range(s->dom, cpu, pfn, pfn, pfn + size - 1);
	expect_range(s->dom, cpu, pfn + size - 1, pfn, pfn + size - 1);
	s->n_alloc_ok++;
}

static inline void op_free(struct seq *s, struct iommusim_cpu *cpu)
{
	struct range *r = s->m.held.v[test_rng_below(&s->rng, s->m.held.n)];
	uint64_t lo = r->lo;
	/* find_iova() takes any PFN of the range. */
	uint64_t pfn = r->lo + test_rng_below(&s->rng, r->hi - r->lo + 1);

	assert_int_equal(iommusim_iova_free(s->dom, cpu, pfn), 0);
	model_del(&s->m, r);
	/* Nothing else in the model covered it, so nothing may be there now. */
	assert_int_equal(iommusim_iova_find(s->dom, cpu, lo, NULL, NULL), -ENOENT);
	assert_int_equal(iommusim_iova_find(s->dom, cpu, pfn, NULL, NULL), -ENOENT);
}

/* alloc_fast() of @size under limit number @which; the new range, or NULL if it failed. */
static inline struct range *do_alloc_fast(struct seq *s, struct iommusim_cpu *cpu, uint64_t size,
					  int which, bool flush)
{
	uint64_t limit = s->limit[which], pfn = 0, hits = s->st.rcache_hits, epoch;
	/* alloc_iova_fast() rounds sizes below 32 up to a power of two and aligns every size. */
	uint64_t eff = size < 32 ? pow2_up(size) : size;
	int err = iommusim_iova_alloc_fast(s->dom, cpu, size, limit, flush, &pfn);
	struct range *r;

	epoch = seq_epoch(s);
	if (err) {
		assert_int_equal(err, -ENOMEM);
		/* See op_alloc(): only 32-bit limits can run out. */
		assert_true(which == LIM_32 || which == LIM_32_LOW);
		assert_int_equal(s->st.rcache_hits, hits);
		s->n_alloc_fail++;
		return NULL;
	}
	check_bounds(s, pfn, pfn + eff - 1, limit, pow2_up(size));
	if (s->st.rcache_hits != hits) {
		/* A hit hands back a parked start PFN of the same size class, unchanged. */
		r = tr_floor(s->m.root, pfn);
		assert_int_equal(s->st.rcache_hits, hits + 1);
		if (!r || r->lo != pfn || r->kind != R_PARKED || r->hi != pfn + eff - 1)
			fail_msg("rcache hit %" PRIu64 " (size %" PRIu64 ") is not a parked range",
				 pfn, eff);
		r->req = size;
		model_set_kind(&s->m, r, R_FAST);
		s->n_hits++;
	} else {
		take_tree_range(&s->m, pfn, pfn + eff - 1, size, R_FAST, epoch);
		r = tr_floor(s->m.root, pfn);
	}
	expect_range(s->dom, cpu, pfn, pfn, pfn + eff - 1);
	expect_range(s->dom, cpu, pfn + eff - 1, pfn, pfn + eff - 1);
	s->n_alloc_ok++;
	return r;
}

static inline void op_alloc_fast(struct seq *s, struct iommusim_cpu *cpu)
{
	uint64_t size = random_size(&s->rng);
	bool flush = test_rng_below(&s->rng, 4) != 0;
	int which;

	pick_limit(s, &which);
	do_alloc_fast(s, cpu, size, which, flush);
}

/* free_fast() of held range @r (from alloc_fast, or a plain one of 33+ granules). */
static inline void do_free_fast(struct seq *s, struct iommusim_cpu *cpu, struct range *r)
{
	/* The caller may give back the size it asked for or the rounded one: same class. */
	uint64_t size = test_rng_below(&s->rng, 2) ? r->req : r->hi - r->lo + 1;
	uint64_t epoch;

	assert_int_equal(iommusim_iova_free_fast(s->dom, cpu, r->lo, size), 0);
	epoch = seq_epoch(s);
	if (order_base2(size) >= IOMMUSIM_IOVA_CACHE_ORDERS) {
		/* 33 granules and up are never cached: straight back to the tree. */
		uint64_t lo = r->lo;

		model_del(&s->m, r);
		assert_int_equal(iommusim_iova_find(s->dom, cpu, lo, NULL, NULL), -ENOENT);
		return;
	}
	/*
	 * Parked in this CPU's loaded magazine, which nothing in free_fast() empties (a spill
	 * empties the magazine that was full before), so the range is still in the tree.
	 */
	expect_range(s->dom, cpu, r->lo, r->lo, r->hi);
	r->epoch = epoch;
	model_set_kind(&s->m, r, R_PARKED);
	s->n_parked++;
}

static inline void op_free_fast(struct seq *s, struct iommusim_cpu *cpu)
{
	/* A few tries to find a fast range (or a big plain one, which bypasses the cache). */
	for (int i = 0; i < 4; i++) {
		struct range *c = s->m.held.v[test_rng_below(&s->rng, s->m.held.n)];

		if (c->kind == R_FAST || (c->kind == R_ALLOC && c->req > 32)) {
			do_free_fast(s, cpu, c);
			return;
		}
	}
}

/*
 * A burst: one CPU allocates hundreds to thousands of ranges of one size class, then one CPU
 * (maybe another) gives them all back with free_fast. More than two magazines' worth fills
 * the depot, so the trim work (list) and the 32-magazine spill (array) get exercised, and
 * later allocations on other CPUs pull magazines out of the depot. Returns the ops done.
 */
static inline uint64_t op_burst(struct seq *s)
{
	struct iommusim_cpu *a = s->cpu[test_rng_below(&s->rng, s->online)];
	struct iommusim_cpu *b = s->cpu[test_rng_below(&s->rng, s->online)];
	unsigned int k = (unsigned int)test_rng_below(&s->rng, IOMMUSIM_IOVA_CACHE_ORDERS);
	/*
	 * Two magazines' worth reach the depot; a third of the bursts are big enough to overflow
	 * the array depot's 32 magazines (4064 PFNs beyond the 254 the CPU keeps).
	 */
	uint64_t n = test_rng_below(&s->rng, 3)
			     ? 2 * IOMMUSIM_IOVA_MAG_SIZE + test_rng_below(&s->rng, 4000)
			     : 4500 + test_rng_below(&s->rng, 1000);
	uint64_t lo_size = k ? (UINT64_C(1) << (k - 1)) + 1 : 1;
	uint64_t hi_size = UINT64_C(1) << k;
	struct range **got = calloc(n, sizeof(*got));
	uint64_t ngot = 0;

	assert_non_null(got);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t size = lo_size + test_rng_below(&s->rng, hi_size - lo_size + 1);
		struct range *r = do_alloc_fast(s, a, size, LIM_48, true);

		/* 48-bit requests never fail (see op_alloc). */
		assert_non_null(r);
		got[ngot++] = r;
	}
	for (uint64_t i = 0; i < ngot; i++)
		do_free_fast(s, b, got[i]);
	free(got);
	return 2 * n;
}

static inline void op_reserve(struct seq *s, struct iommusim_cpu *cpu)
{
	uint64_t limit = s->limit[test_rng_below(&s->rng, 2) ? LIM_32 : LIM_48];
	uint64_t lo = limit - test_rng_below(&s->rng, 1 << 16);
	uint64_t hi = lo + test_rng_below(&s->rng, 64);
	struct range *r;

	if (hi > limit || lo < s->ph->start_pfn)
		return;
	/* Only where the model knows of nothing: a reservation over a range widens it. */
	r = tr_floor(s->m.root, hi);
	if (r && r->hi >= lo)
		return;
	assert_int_equal(iommusim_iova_reserve(s->dom, cpu, lo, hi), 0);
	model_add(&s->m, lo, hi, hi - lo + 1, R_RESERVED);
	expect_range(s->dom, cpu, lo, lo, hi);
	expect_range(s->dom, cpu, hi, lo, hi);
	s->n_reserve++;
}

/* CPU hotplug: CPUs going offline have their magazines flushed by the dead callback. */
static inline void op_hotplug(struct seq *s, struct iommusim_cpu *cpu)
{
	unsigned int n = 1 + (unsigned int)test_rng_below(&s->rng, NCPU);

	for (unsigned int id = n; id < s->online; id++) {
		assert_int_equal(iommusim_iova_cpu_dead(s->dom, cpu, id), 0);
		s->own_flushes++;
	}
	assert_int_equal(iommusim_iova_set_online_cpus(s->dom, n), 0);
	assert_int_equal(iommusim_iova_online_cpus(s->dom), n);
	s->online = n;
}

/* Rejected inputs change nothing. */
static inline void op_invalid(struct seq *s, struct iommusim_cpu *cpu)
{
	uint64_t pfn = 12345, before;

	seq_epoch(s);
	before = s->st.nodes;
	assert_int_equal(iommusim_iova_alloc(s->dom, cpu, 0, s->limit[LIM_32], true, &pfn),
			 -EINVAL);
	assert_int_equal(iommusim_iova_alloc_fast(s->dom, cpu, 1, UINT64_MAX, true, &pfn), -EINVAL);
	assert_int_equal(iommusim_iova_free_fast(s->dom, cpu, 1, 0), -EINVAL);
	assert_int_equal(iommusim_iova_reserve(s->dom, cpu, 10, 9), -EINVAL);
	/* The anchor closes the tree but is not a range. */
	assert_int_equal(iommusim_iova_free(s->dom, cpu, IOMMUSIM_IOVA_ANCHOR_PFN), -ENOENT);
	assert_int_equal(iommusim_iova_find(s->dom, cpu, IOMMUSIM_IOVA_ANCHOR_PFN, NULL, NULL),
			 -ENOENT);
	assert_int_equal(pfn, 12345);
	seq_epoch(s);
	assert_int_equal(s->st.nodes, before);
}

#endif /* TESTS_STRESS_IOVA_INVARIANTS_SEQ_OPS_H */
