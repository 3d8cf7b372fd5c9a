/* SPDX-License-Identifier: MIT */
/*
 * What the rcache depot's tests (test_iova_depot.c, lib/iova/rcache.c) use: a domain on a manual
 * clock with its CPUs, frees that fill magazines and depots, and the checks of the depot, the
 * pending work, the counters and the tree.
 */
#ifndef TESTS_UNIT_IOVA_DEPOT_FIXTURE_H
#define TESTS_UNIT_IOVA_DEPOT_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <iommusim/clock.h>
#include <iommusim/cpu.h>
#include <iommusim/iova.h>
#include <iommusim/mem.h>

#include "iova_fixture.h"
#include "fixture_state.h"

#define LIM32 UINT64_C(0xFFFFF)
#define MAG   IOMMUSIM_IOVA_MAG_SIZE
#define NCPU  2

/* Frees that leave exactly @d magazines in the depot (see the file comment). */
#define FREES_FOR_DEPOT(d) (MAG * ((d) + 1) + 1)

static inline void fx_init(struct iova_fx *fx, enum iommusim_iova_depot depot,
			   unsigned int possible, unsigned int online, bool with_clock)
{
	iova_fx_up(fx, NCPU, with_clock, 1, possible, online, depot);
}

/* Destroy the domain (if the test has not) and prove that nothing is left: no timer, no object. */
static inline void fx_fini(struct iova_fx *fx)
{
	iova_fx_down(fx);
}

/* What most tests start from: the list depot, one CPU, a clock for the trim work. */
FIXTURE_STATE(depot, struct iova_fx, fx_init, fx_fini, IOMMUSIM_IOVA_DEPOT_LIST, 1, 1, true)

/* @n size-aligned tree allocations of @size, top-down; the caller frees the array. */
static inline uint64_t *alloc_many(struct iova_fx *fx, uint64_t size, unsigned int n)
{
	uint64_t *pfns = calloc(n, sizeof(*pfns));

	assert_non_null(pfns);
	for (unsigned int i = 0; i < n; i++) {
		int err = iommusim_iova_alloc(fx->dom, fx->cpu[0], size, LIM32, true, &pfns[i]);

		assert_int_equal(err, 0);
	}
	return pfns;
}

/* free_iova_fast of pfns[from..to) in order on @cpu. */
static inline void free_range(struct iova_fx *fx, unsigned int cpu, const uint64_t *pfns,
			      uint64_t size, unsigned int from, unsigned int to)
{
	for (unsigned int i = from; i < to; i++)
		assert_int_equal(iommusim_iova_free_fast(fx->dom, fx->cpu[cpu], pfns[i], size), 0);
}

/* @n single-pfn ranges from the tree, all freed in order on CPU 0; the caller frees the array. */
static inline uint64_t *alloc_and_free(struct iova_fx *fx, unsigned int n)
{
	uint64_t *pfns = alloc_many(fx, 1, n);

	free_range(fx, 0, pfns, 1, 0, n);
	return pfns;
}

static inline uint64_t depot(struct iova_fx *fx, unsigned int order)
{
	struct iommusim_iova_rcache_state st;

	assert_int_equal(iommusim_iova_rcache_state(fx->dom, order, &st), 0);
	return st.depot_size;
}

static inline bool pending(struct iova_fx *fx, unsigned int order)
{
	struct iommusim_iova_rcache_state st;

	assert_int_equal(iommusim_iova_rcache_state(fx->dom, order, &st), 0);
	return st.work_pending;
}

static inline struct iommusim_iova_stats stats(struct iova_fx *fx)
{
	struct iommusim_iova_stats st;

	iommusim_iova_get_stats(fx->dom, &st);
	return st;
}

static inline bool in_tree(struct iova_fx *fx, uint64_t pfn)
{
	return iommusim_iova_find(fx->dom, fx->cpu[0], pfn, NULL, NULL) == 0;
}

/* pfns[from..to) are all in the tree (@want) or all gone. */
static inline void assert_all_in_tree(struct iova_fx *fx, const uint64_t *pfns, unsigned int from,
				      unsigned int to, bool want)
{
	for (unsigned int i = from; i < to; i++)
		if (in_tree(fx, pfns[i]) != want)
			fail_msg("pfn %#llx (index %u) %s the tree", (unsigned long long)pfns[i], i,
				 want ? "missing from" : "still in");
}

#endif /* TESTS_UNIT_IOVA_DEPOT_FIXTURE_H */
