/* SPDX-License-Identifier: MIT */
/*
 * The rig of the IOVA tree's tests (lib/iova/tree.c, domain.c): domains made through the public
 * API, allocations and frees that must succeed or fail, and checks of the tree, the search hints
 * and the counters. Expected PFNs in the tests are derived in their comments from the kernel's
 * algorithm (alloc_iova() in Linux drivers/iommu/iova.c, docs/iova.md, docs/sources.md S15).
 */
#ifndef TESTS_UNIT_IOVA_TREE_FIXTURE_H
#define TESTS_UNIT_IOVA_TREE_FIXTURE_H

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
#include "fixture_state.h"
#include "iova_fixture.h"
#include "machine.h"
#include "test_rng.h"

/* A counter and the value it must have, for EXPECT_FIELDS(). */
#define IOVA_CACHED(field, value) FIELD(struct iommusim_iova_cached, field, value)

#define ANCHOR IOMMUSIM_IOVA_ANCHOR_PFN
/* dma_32bit_pfn of a 4 KiB-granule domain: 1 << (32 - 12). */
#define DMA32 UINT64_C(0x100000)
/* Inclusive 32-bit limit, as dma-iommu passes for a 32-bit DMA mask. */
#define LIM32 (DMA32 - 1)
/* Inclusive limits of a 48-bit and a 36-bit DMA mask in 4 KiB pfns. */
#define LIM48 ((UINT64_C(1) << 36) - 1)

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

static inline void make_domain_full(struct fx *f, uint64_t granule, uint64_t start_pfn,
				    bool with_clock)
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
static inline void make_domain(struct fx *f, uint64_t start_pfn)
{
	make_domain_full(f, 4096, start_pfn, false);
}

static inline void assert_tree_ok(struct fx *f)
{
	iova_check_tree(f->dom);
}

/* Check the tree, tear everything down and prove that nothing was leaked. */
static inline void destroy_domain(struct fx *f)
{
	assert_tree_ok(f);
	iommusim_iova_domain_destroy(f->dom);
	machine_down(f->mem, f->clock, &f->cpu, 1);
}

/* What most tests start from: the common domain (4 KiB granule, start_pfn 1). */
FIXTURE_STATE(tree, struct fx, make_domain, destroy_domain, 1)

static inline uint64_t alloc_ok(struct fx *f, uint64_t size, uint64_t limit, bool aligned)
{
	uint64_t pfn = ANCHOR;

	assert_int_equal(iommusim_iova_alloc(f->dom, f->cpu, size, limit, aligned, &pfn), 0);
	return pfn;
}

static inline void alloc_fails(struct fx *f, uint64_t size, uint64_t limit, bool aligned)
{
	uint64_t pfn = 12345;

	assert_int_equal(iommusim_iova_alloc(f->dom, f->cpu, size, limit, aligned, &pfn), -ENOMEM);
}

static inline void free_ok(struct fx *f, uint64_t pfn)
{
	assert_int_equal(iommusim_iova_free(f->dom, f->cpu, pfn), 0);
}

static inline void reserve_ok(struct fx *f, uint64_t lo, uint64_t hi)
{
	assert_int_equal(iommusim_iova_reserve(f->dom, f->cpu, lo, hi), 0);
}

static inline void assert_find(struct fx *f, uint64_t pfn, uint64_t lo, uint64_t hi)
{
	uint64_t got_lo = 0, got_hi = 0;

	assert_int_equal(iommusim_iova_find(f->dom, f->cpu, pfn, &got_lo, &got_hi), 0);
	assert_int_equal(got_lo, lo);
	assert_int_equal(got_hi, hi);
}

static inline void assert_missing(struct fx *f, uint64_t pfn)
{
	assert_int_equal(iommusim_iova_find(f->dom, f->cpu, pfn, NULL, NULL), -ENOENT);
}

static inline struct iommusim_iova_cached cached_of(struct fx *f)
{
	struct iommusim_iova_cached c;

	iommusim_iova_get_cached(f->dom, &c);
	return c;
}

static inline void assert_cached(struct fx *f, uint64_t cached, uint64_t cached32, uint64_t max32)
{
	struct iommusim_iova_cached c = cached_of(f);

	EXPECT_FIELDS(&c, IOVA_CACHED(cached_pfn, cached), IOVA_CACHED(cached32_pfn, cached32),
		      IOVA_CACHED(max32_alloc_size, max32));
}

static inline struct iommusim_iova_stats stats_of(struct fx *f)
{
	struct iommusim_iova_stats s;

	iommusim_iova_get_stats(f->dom, &s);
	return s;
}

struct walk {
	struct range r[MAX_RANGES];
	size_t n;
};

static inline int walk_collect(void *arg, uint64_t pfn_lo, uint64_t pfn_hi)
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
static inline void assert_ranges(struct fx *f, const struct range *exp, size_t n)
{
	struct walk w = {.n = 0};

	assert_int_equal(iommusim_iova_for_each(f->dom, walk_collect, &w), 0);
	assert_int_equal(w.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(w.r[i].lo, exp[i].lo);
		assert_int_equal(w.r[i].hi, exp[i].hi);
	}
	assert_int_equal(stats_of(f).nodes, n);
}

#endif /* TESTS_UNIT_IOVA_TREE_FIXTURE_H */
