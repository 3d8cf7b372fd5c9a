/* SPDX-License-Identifier: MIT */
/*
 * A cost set on its own memory context, for the tests of the cost table and of the studies
 * built on it: setup/teardown for CMocka (teardown fails a test that leaves anything
 * allocated) and a lookup that fails on an unknown name. Header-only, so each test executable
 * gets its own copy; include it after <cmocka.h>.
 */
#ifndef TESTS_COMMON_COST_FIXTURE_H
#define TESTS_COMMON_COST_FIXTURE_H

#include <stdlib.h>
#include <iommusim/cost.h>
#include <iommusim/mem.h>

struct fixture {
	struct iommusim_mem *mem;
	struct iommusim_cost *cost;
	char err[256];
};

static inline int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || iommusim_mem_create(IOMMUSIM_MEM_LIBC, &f->mem) ||
	    iommusim_cost_create(f->mem, &f->cost))
		return -1;
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;

	iommusim_cost_destroy(f->cost);
	/* Every test ends with nothing left allocated. */
	assert_int_equal(iommusim_mem_live_objects(f->mem), 0);
	iommusim_mem_destroy(f->mem);
	free(f);
	return 0;
}

static inline enum iommusim_cost_id id_of(const char *name)
{
	enum iommusim_cost_id id = IOMMUSIM_COST_NR;

	assert_int_equal(iommusim_cost_lookup(name, &id), 0);
	return id;
}

#endif /* TESTS_COMMON_COST_FIXTURE_H */
