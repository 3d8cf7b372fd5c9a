/* SPDX-License-Identifier: MIT */
/*
 * The model the IOVA allocator's randomized invariant tests check against (lib/iova): the live
 * ranges the caller holds (allocated or reserved) plus those it parked with free_fast, in a
 * treap with arrays to pick from at random; the size distribution of requests; and the checks
 * of one range and of the whole tree.
 *
 * A parked range stays in the tree until some flush (alloc_fast's retry, a depot trim, an
 * array-depot spill, a dead CPU, an explicit flush) returns it, so the model only lets a new
 * range overlap a parked one when such a flush has happened since the range was parked.
 */
#ifndef TESTS_STRESS_IOVA_INVARIANTS_MODEL_H
#define TESTS_STRESS_IOVA_INVARIANTS_MODEL_H

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

#include "suite_main.h"

#define NCPU 4

/* ---------------------------------------------------------------------------------------- */
/* The model: disjoint ranges in a treap keyed by pfn_lo, plus arrays to pick from at random. */

enum rkind {
	R_ALLOC,    /* from alloc(): freed with free() (or free_fast() when >= 33 granules) */
	R_FAST,	    /* from alloc_fast(): freed with free() or free_fast() */
	R_RESERVED, /* from reserve(): freed with free() */
	R_PARKED,   /* given to free_fast() and maybe still in the tree */
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

static inline struct range *tr_merge(struct range *a, struct range *b)
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
static inline void tr_split(struct range *t, uint64_t key, struct range **l, struct range **r)
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
static inline struct range *tr_floor(struct range *t, uint64_t x)
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

static inline void rvec_push(struct rvec *v, struct range *r)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 256;
		v->v = realloc(v->v, v->cap * sizeof(*v->v));
		assert_non_null(v->v);
	}
	r->slot = v->n;
	v->v[v->n++] = r;
}

static inline void rvec_remove(struct rvec *v, struct range *r)
{
	assert_true(r->slot < v->n && v->v[r->slot] == r);
	v->v[r->slot] = v->v[--v->n];
	v->v[r->slot]->slot = r->slot;
}

static inline struct rvec *vec_of(struct model *m, const struct range *r)
{
	return r->kind == R_PARKED ? &m->parked : &m->held;
}

static inline struct range *model_add(struct model *m, uint64_t lo, uint64_t hi, uint64_t req,
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

static inline void model_del(struct model *m, struct range *r)
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

static inline void model_set_kind(struct model *m, struct range *r, enum rkind kind)
{
	rvec_remove(vec_of(m, r), r);
	r->kind = kind;
	rvec_push(vec_of(m, r), r);
}

static inline void model_init(struct model *m, uint64_t seed)
{
	memset(m, 0, sizeof(*m));
	/* the treap's priorities: a stream of their own */
	iommusim_rng_seed(&m->prio_rng, seed, 1);
}

static inline void model_clear(struct model *m)
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
static inline uint64_t random_size(struct iommusim_rng *rng)
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

static inline void expect_range(struct iommusim_iova_domain *d, struct iommusim_cpu *c,
				uint64_t pfn, uint64_t lo, uint64_t hi)
{
	uint64_t flo = 0, fhi = 0;
	int err = iommusim_iova_find(d, c, pfn, &flo, &fhi);

	if (err || flo != lo || fhi != hi)
		fail_msg("find(%" PRIu64 ") = %d [%" PRIu64 ", %" PRIu64 "], expected [%" PRIu64
			 ", %" PRIu64 "]",
			 pfn, err, flo, fhi, lo, hi);
}

static inline void expect_tree_ok(struct iommusim_iova_domain *d)
{
	char why[256] = "";

	if (isim_iova_check(d, why, sizeof(why)))
		fail_msg("isim_iova_check: %s", why);
}

#endif /* TESTS_STRESS_IOVA_INVARIANTS_MODEL_H */
