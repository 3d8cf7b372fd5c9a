/*
 * Randomized invariant tests of the IOVA allocator (lib/iova): long seeded streams of
 * alloc / alloc_fast / free / free_fast / reserve on several CPU handles, both depot forms,
 * several granules, start PFNs and limits, checked op by op against the test's own model of
 * the live ranges; and a multi-threaded variant where each thread owns one CPU handle and its
 * own ranges on a shared domain.
 *
 * The model holds what the caller holds (allocated or reserved ranges) plus what it parked with
 * free_fast. A parked range stays in the tree until some flush (alloc_fast's retry, a depot trim,
 * an array-depot spill, a dead CPU, an explicit flush) returns it, so the model only lets a new
 * range overlap a parked one when such a flush has happened since the range was parked.
 *
 * IOMMUSIM_STRESS_SCALE (a factor, default 1) shrinks or stretches the op counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iommusim/clock.h>
#include <iommusim/cpu.h>
#include <iommusim/iova.h>
#include <iommusim/mem.h>

#include "iova/iova_check.h"
#include "pow2.h"
#include "stress_scale.h"
#include "test_rng.h"

#define NCPU 4
/* Check the whole tree (and every model range) this often. */
#define CHECK_EVERY 4096
/* Sequential ops at scale 1: 8 configurations of 256 Ki ops = 2 Mi ops. */
#define SEQ_OPS 262144
/* Per thread, on top of the sequential ops. */
#define MT_OPS 150000

/* ---------------------------------------------------------------------------------------- */
/* The model: disjoint ranges in a treap keyed by pfn_lo, plus arrays to pick from at random. */

enum rkind {
	R_ALLOC,	/* from alloc(): freed with free() (or free_fast() when >= 33 granules) */
	R_FAST,		/* from alloc_fast(): freed with free() or free_fast() */
	R_RESERVED,	/* from reserve(): freed with free() */
	R_PARKED,	/* given to free_fast() and maybe still in the tree */
};

struct range {
	struct range *left, *right;
	uint64_t prio;
	uint64_t lo, hi;
	/* Size the caller asked for (before alloc_fast's rounding). */
	uint64_t req;
	/* R_PARKED: the flush epoch right after the range was parked. */
	uint64_t epoch;
	enum rkind kind;
	size_t slot;
};

struct rvec {
	struct range **v;
	size_t n, cap;
};

struct model {
	struct range *root;
	struct rvec held;
	struct rvec parked;
	struct iommusim_rng prio_rng;
};

static struct range *tr_merge(struct range *a, struct range *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (a->prio > b->prio) {
		a->right = tr_merge(a->right, b);
		return a;
	}
	b->left = tr_merge(a, b->left);
	return b;
}

/* Split @t into the ranges starting below @key (*l) and the rest (*r). */
static void tr_split(struct range *t, uint64_t key, struct range **l, struct range **r)
{
	if (!t) {
		*l = *r = NULL;
	} else if (t->lo < key) {
		tr_split(t->right, key, &t->right, r);
		*l = t;
	} else {
		tr_split(t->left, key, l, &t->left);
		*r = t;
	}
}

/* The range with the largest pfn_lo <= @x, or NULL. */
static struct range *tr_floor(struct range *t, uint64_t x)
{
	struct range *best = NULL;

	while (t) {
		if (t->lo <= x) {
			best = t;
			t = t->right;
		} else {
			t = t->left;
		}
	}
	return best;
}

static void rvec_push(struct rvec *v, struct range *r)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 256;
		v->v = realloc(v->v, v->cap * sizeof(*v->v));
		assert_non_null(v->v);
	}
	r->slot = v->n;
	v->v[v->n++] = r;
}

static void rvec_remove(struct rvec *v, struct range *r)
{
	assert_true(r->slot < v->n && v->v[r->slot] == r);
	v->v[r->slot] = v->v[--v->n];
	v->v[r->slot]->slot = r->slot;
}

static struct rvec *vec_of(struct model *m, const struct range *r)
{
	return r->kind == R_PARKED ? &m->parked : &m->held;
}

static struct range *model_add(struct model *m, uint64_t lo, uint64_t hi, uint64_t req,
			       enum rkind kind)
{
	struct range *r = calloc(1, sizeof(*r));
	struct range *a, *b, *below = tr_floor(m->root, hi);

	assert_non_null(r);
	/* The model's ranges are disjoint by construction; a clash here is a test bug. */
	assert_true(!below || below->hi < lo);
	r->lo = lo;
	r->hi = hi;
	r->req = req;
	r->kind = kind;
	r->prio = iommusim_rng_u64(&m->prio_rng);
	tr_split(m->root, lo, &a, &b);
	m->root = tr_merge(tr_merge(a, r), b);
	rvec_push(vec_of(m, r), r);
	return r;
}

static void model_del(struct model *m, struct range *r)
{
	struct range *a, *mid, *c;

	tr_split(m->root, r->lo, &a, &mid);
	tr_split(mid, r->lo + 1, &mid, &c);
	assert_ptr_equal(mid, r);
	r->left = r->right = NULL;
	m->root = tr_merge(a, c);
	rvec_remove(vec_of(m, r), r);
	free(r);
}

static void model_set_kind(struct model *m, struct range *r, enum rkind kind)
{
	rvec_remove(vec_of(m, r), r);
	r->kind = kind;
	rvec_push(vec_of(m, r), r);
}

static void model_init(struct model *m, uint64_t seed)
{
	memset(m, 0, sizeof(*m));
	/* the treap's priorities: a stream of their own */
	iommusim_rng_seed(&m->prio_rng, seed, 1);
}

static void model_clear(struct model *m)
{
	while (m->held.n)
		model_del(m, m->held.v[0]);
	while (m->parked.n)
		model_del(m, m->parked.v[0]);
	free(m->held.v);
	free(m->parked.v);
	memset(m, 0, sizeof(*m));
}

/* Size distribution: mostly 1..4 granules, some up to 32, a few up to 1024. */
static uint64_t random_size(struct iommusim_rng *rng)
{
	uint64_t r = test_rng_below(rng, 100);

	if (r < 60)
		return 1 + test_rng_below(rng, 4);
	if (r < 82)
		return 5 + test_rng_below(rng, 28);
	if (r < 96)
		return 33 + test_rng_below(rng, 224);
	return 257 + test_rng_below(rng, 768);
}

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
static uint64_t seq_epoch(struct seq *s)
{
	iommusim_iova_get_stats(s->dom, &s->st);
	return s->st.rcache_flushes + s->st.depot_trims + s->st.depot_spills + s->own_flushes;
}

static void expect_range(struct iommusim_iova_domain *d, struct iommusim_cpu *c, uint64_t pfn,
			 uint64_t lo, uint64_t hi)
{
	uint64_t flo = 0, fhi = 0;
	int err = iommusim_iova_find(d, c, pfn, &flo, &fhi);

	if (err || flo != lo || fhi != hi)
		fail_msg("find(%" PRIu64 ") = %d [%" PRIu64 ", %" PRIu64 "], expected [%" PRIu64
			 ", %" PRIu64 "]", pfn, err, flo, fhi, lo, hi);
}

static void expect_tree_ok(struct iommusim_iova_domain *d)
{
	char why[256] = "";

	if (isim_iova_check(d, why, sizeof(why)))
		fail_msg("isim_iova_check: %s", why);
}

static uint64_t pick_limit(struct seq *s, int *which)
{
	uint64_t r = test_rng_below(&s->rng, 100);

	*which = r < 35 ? LIM_32 : r < 50 ? LIM_32_LOW : r < 70 ? LIM_40 : r < 95 ? LIM_48 :
								   LIM_TOP;
	return s->limit[*which];
}

/*
 * A range the tree just handed out (not an rcache hit): it must not touch anything the caller
 * holds, and may cover parked ranges only if a flush has run since they were parked (then they
 * are gone from the model too).
 */
static void take_tree_range(struct model *m, uint64_t lo, uint64_t hi, uint64_t req,
			    enum rkind kind, uint64_t epoch)
{
	struct range *r;

	while ((r = tr_floor(m->root, hi)) && r->hi >= lo) {
		if (r->kind != R_PARKED)
			fail_msg("new range [%" PRIu64 ", %" PRIu64 "] overlaps live [%" PRIu64
				 ", %" PRIu64 "]", lo, hi, r->lo, r->hi);
		if (epoch <= r->epoch)
			fail_msg("new range [%" PRIu64 ", %" PRIu64 "] overlaps [%" PRIu64
				 ", %" PRIu64 "], parked with no flush since", lo, hi, r->lo,
				 r->hi);
		model_del(m, r);
	}
	model_add(m, lo, hi, req, kind);
}

static void check_bounds(struct seq *s, uint64_t lo, uint64_t hi, uint64_t limit, uint64_t align)
{
	if (lo < s->ph->start_pfn || hi > limit || hi < lo)
		fail_msg("[%" PRIu64 ", %" PRIu64 "] outside [%" PRIu64 ", %" PRIu64 "]", lo, hi,
			 s->ph->start_pfn, limit);
	if (lo % align)
		fail_msg("pfn %" PRIu64 " not aligned to %" PRIu64, lo, align);
}

static void op_alloc(struct seq *s, struct iommusim_cpu *cpu)
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

static void op_free(struct seq *s, struct iommusim_cpu *cpu)
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
static struct range *do_alloc_fast(struct seq *s, struct iommusim_cpu *cpu, uint64_t size,
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

static void op_alloc_fast(struct seq *s, struct iommusim_cpu *cpu)
{
	uint64_t size = random_size(&s->rng);
	bool flush = test_rng_below(&s->rng, 4) != 0;
	int which;

	pick_limit(s, &which);
	do_alloc_fast(s, cpu, size, which, flush);
}

/* free_fast() of held range @r (from alloc_fast, or a plain one of 33+ granules). */
static void do_free_fast(struct seq *s, struct iommusim_cpu *cpu, struct range *r)
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

static void op_free_fast(struct seq *s, struct iommusim_cpu *cpu)
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
static uint64_t op_burst(struct seq *s)
{
	struct iommusim_cpu *a = s->cpu[test_rng_below(&s->rng, s->online)];
	struct iommusim_cpu *b = s->cpu[test_rng_below(&s->rng, s->online)];
	unsigned int k = (unsigned int)test_rng_below(&s->rng, IOMMUSIM_IOVA_CACHE_ORDERS);
	/*
	 * Two magazines' worth reach the depot; a third of the bursts are big enough to overflow
	 * the array depot's 32 magazines (4064 PFNs beyond the 254 the CPU keeps).
	 */
	uint64_t n = test_rng_below(&s->rng, 3) ?
			     2 * IOMMUSIM_IOVA_MAG_SIZE + test_rng_below(&s->rng, 4000) :
			     4500 + test_rng_below(&s->rng, 1000);
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

static void op_reserve(struct seq *s, struct iommusim_cpu *cpu)
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
static void op_hotplug(struct seq *s, struct iommusim_cpu *cpu)
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
static void op_invalid(struct seq *s, struct iommusim_cpu *cpu)
{
	uint64_t pfn = 12345, before;

	seq_epoch(s);
	before = s->st.nodes;
	assert_int_equal(iommusim_iova_alloc(s->dom, cpu, 0, s->limit[LIM_32], true, &pfn),
			 -EINVAL);
	assert_int_equal(iommusim_iova_alloc_fast(s->dom, cpu, 1, UINT64_MAX, true, &pfn),
			 -EINVAL);
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
					 ", %" PRIu64 "]", r->lo, r->hi, flo, fhi);
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
	{ "list g4096 s1", 4096, 1, IOMMUSIM_IOVA_DEPOT_LIST, 4, 0x1001, false },
	{ "array g4096 s1", 4096, 1, IOMMUSIM_IOVA_DEPOT_ARRAY, 4, 0x1002, true },
	{ "list g512 s4096", 512, 4096, IOMMUSIM_IOVA_DEPOT_LIST, 2, 0x1003, true },
	{ "array g1 s0", 1, 0, IOMMUSIM_IOVA_DEPOT_ARRAY, 3, 0x1004, false },
	{ "list g4096 s0", 4096, 0, IOMMUSIM_IOVA_DEPOT_LIST, 1, 0x1005, false },
	{ "array g64 s7", 64, 7, IOMMUSIM_IOVA_DEPOT_ARRAY, 4, 0x1006, false },
	{ "list g2048 s1", 2048, 1, IOMMUSIM_IOVA_DEPOT_LIST, 3, 0x1007, true },
	{ "array g4096 s256", 4096, 256, IOMMUSIM_IOVA_DEPOT_ARRAY, 2, 0x1008, false },
};

static void test_iova_random_ops_keep_invariants(void **state)
{
	const struct phase *ph = *state;

	run_phase(ph, scaled(SEQ_OPS));
}

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

#define WFAIL(w, ...)                                                   \
	do {                                                            \
		snprintf((w)->err, sizeof((w)->err), __VA_ARGS__);      \
		return false;                                           \
	} while (0)

static bool worker_expect(struct worker *w, uint64_t pfn, uint64_t lo, uint64_t hi)
{
	uint64_t flo = 0, fhi = 0;
	int err = iommusim_iova_find(w->dom, w->cpu, pfn, &flo, &fhi);

	if (err || flo != lo || fhi != hi)
		WFAIL(w, "cpu %u: find(%" PRIu64 ") = %d [%" PRIu64 ", %" PRIu64 "], expected [%"
		      PRIu64 ", %" PRIu64 "]", w->id, pfn, err, flo, fhi, lo, hi);
	return true;
}

static bool worker_take(struct worker *w, uint64_t lo, uint64_t hi, uint64_t req,
			enum rkind kind, uint64_t limit, uint64_t align)
{
	struct range *r = tr_floor(w->m.root, hi);

	if (lo < w->start_pfn || hi > limit || hi < lo || lo % align)
		WFAIL(w, "cpu %u: [%" PRIu64 ", %" PRIu64 "] outside [%" PRIu64 ", %" PRIu64
		      "] or not %" PRIu64 "-aligned", w->id, lo, hi, w->start_pfn, limit, align);
	if (r && r->hi >= lo)
		WFAIL(w, "cpu %u: new [%" PRIu64 ", %" PRIu64 "] overlaps own [%" PRIu64 ", %"
		      PRIu64 "]", w->id, lo, hi, r->lo, r->hi);
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
		int err = fast ? iommusim_iova_alloc_fast(w->dom, w->cpu, size, limit, true, &pfn) :
				 iommusim_iova_alloc(w->dom, w->cpu, size, limit, aligned, &pfn);

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
				WFAIL(w, "cpu %u: free(%" PRIu64 ") of own [%" PRIu64 ", %" PRIu64
				      "] failed", w->id, pfn, h->lo, h->hi);
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
				 "] of two threads overlap", all[i - 1]->lo, all[i - 1]->hi,
				 all[i]->lo, all[i]->hi);
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
		      " flushes, %zu live at the end\n", nthreads,
		      depot == IOMMUSIM_IOVA_DEPOT_LIST ? "list" : "array",
		      allocs, st.rcache_hits, st.rcache_flushes, total);

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

#define PHASE_TEST(i)                                                                   \
	{ "test_iova_random_ops_keep_invariants/" #i, test_iova_random_ops_keep_invariants, \
	  NULL, NULL, (void *)&phases[i] }

int main(void)
{
	const struct CMUnitTest tests[] = {
		PHASE_TEST(0), PHASE_TEST(1), PHASE_TEST(2), PHASE_TEST(3),
		PHASE_TEST(4), PHASE_TEST(5), PHASE_TEST(6), PHASE_TEST(7),
		cmocka_unit_test(test_iova_threads_list_depot_keep_ranges_disjoint),
		cmocka_unit_test(test_iova_threads_array_depot_keep_ranges_disjoint),
	};

	_Static_assert(sizeof(phases) / sizeof(phases[0]) == 8, "one test entry per phase");
	return cmocka_run_group_tests_name("iova_invariants", tests, NULL, NULL);
}
