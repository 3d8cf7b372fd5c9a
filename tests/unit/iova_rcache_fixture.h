/* SPDX-License-Identifier: MIT */
/*
 * The rig of the IOVA rcache's tests (lib/iova/rcache.c): a domain on two CPUs, fast-path
 * allocations and frees, and helpers that fill magazines and read the rcache's state.
 */
#ifndef TESTS_UNIT_IOVA_RCACHE_FIXTURE_H
#define TESTS_UNIT_IOVA_RCACHE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <iommusim/clock.h>
#include <iommusim/cpu.h>
#include <iommusim/iova.h>
#include <iommusim/mem.h>

#include "fields.h"
#include "iova_fixture.h"
#include "pow2.h"
#include "test_rng.h"
#include "fixture_state.h"

/* A counter and the value it must have, for EXPECT_FIELDS(). */
#define IOVA_STATS(field, value) FIELD(struct iommusim_iova_stats, field, value)

/* Highest 32-bit pfn with a 4 KiB granule; dma_32bit_pfn is LIM32 + 1 = 0x100000. */
#define LIM32 UINT64_C(0xFFFFF)
#define MAG   IOMMUSIM_IOVA_MAG_SIZE
#define NCPU  4

/*
 * A domain with a 4 KiB granule and @possible CPUs of which @online are online, CPU handles
 * with ids 0..NCPU-1, and (if @with_clock) a manual clock for the depot trim work.
 */
static inline void fx_init(struct iova_fx *fx, uint64_t start_pfn, unsigned int possible,
			   unsigned int online, bool with_clock)
{
	iova_fx_up(fx, NCPU, with_clock, start_pfn, possible, online, IOMMUSIM_IOVA_DEPOT_LIST);
}

/* Tear everything down and prove that every node, magazine and timer went back. */
static inline void fx_fini(struct iova_fx *fx)
{
	iova_fx_down(fx);
}

/* What most tests start from: two possible CPUs, both online, no clock. */
FIXTURE_STATE(rcache, struct iova_fx, fx_init, fx_fini, 1, 2, 2, false)

/* The same with the clock the depot's trim work runs on. */
FIXTURE_STATE(rcache_clock, struct iova_fx, fx_init, fx_fini, 1, 2, 2, true)

static inline uint64_t fast(struct iova_fx *fx, unsigned int cpu, uint64_t size, uint64_t limit,
			    bool flush)
{
	uint64_t pfn = UINT64_MAX;

	assert_int_equal(iommusim_iova_alloc_fast(fx->dom, fx->cpu[cpu], size, limit, flush, &pfn),
			 0);
	return pfn;
}

static inline void ffree(struct iova_fx *fx, unsigned int cpu, uint64_t pfn, uint64_t size)
{
	assert_int_equal(iommusim_iova_free_fast(fx->dom, fx->cpu[cpu], pfn, size), 0);
}

/* A plain size-aligned tree allocation (alloc_iova), used to set up ranges without the cache. */
static inline uint64_t tree_alloc(struct iova_fx *fx, uint64_t size, uint64_t limit)
{
	uint64_t pfn = UINT64_MAX;

	assert_int_equal(iommusim_iova_alloc(fx->dom, fx->cpu[0], size, limit, true, &pfn), 0);
	return pfn;
}

/* @n ranges of one pfn from the tree (below the 32-bit limit) into @pfns. */
static inline void tree_alloc_many(struct iova_fx *fx, uint64_t *pfns, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		pfns[i] = tree_alloc(fx, 1, LIM32);
}

static inline void assert_range(struct iova_fx *fx, uint64_t pfn, uint64_t lo, uint64_t hi)
{
	uint64_t l = 0, h = 0;

	assert_int_equal(iommusim_iova_find(fx->dom, fx->cpu[0], pfn, &l, &h), 0);
	assert_int_equal(l, lo);
	assert_int_equal(h, hi);
}

static inline bool in_tree(struct iova_fx *fx, uint64_t pfn)
{
	return iommusim_iova_find(fx->dom, fx->cpu[0], pfn, NULL, NULL) == 0;
}

static inline unsigned int fill_loaded(struct iova_fx *fx, unsigned int order, unsigned int cpu)
{
	unsigned int l = 0, p = 0;

	assert_int_equal(iommusim_iova_rcache_fill(fx->dom, order, cpu, &l, &p), 0);
	return l;
}

static inline unsigned int fill_prev(struct iova_fx *fx, unsigned int order, unsigned int cpu)
{
	unsigned int l = 0, p = 0;

	assert_int_equal(iommusim_iova_rcache_fill(fx->dom, order, cpu, &l, &p), 0);
	return p;
}

static inline struct iommusim_iova_rcache_state rstate(struct iova_fx *fx, unsigned int order)
{
	struct iommusim_iova_rcache_state st;

	memset(&st, 0xff, sizeof(st));
	assert_int_equal(iommusim_iova_rcache_state(fx->dom, order, &st), 0);
	return st;
}

static inline struct iommusim_iova_stats stats(struct iova_fx *fx)
{
	struct iommusim_iova_stats st;

	iommusim_iova_get_stats(fx->dom, &st);
	return st;
}

#endif /* TESTS_UNIT_IOVA_RCACHE_FIXTURE_H */
