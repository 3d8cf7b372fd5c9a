/* SPDX-License-Identifier: MIT */
/*
 * Memory backends for out-of-memory tests. struct failing refuses every allocation once its
 * budget is spent, so a test can fail each allocation of a call in turn; struct failing_inject
 * also counts the allocations, can refuse only the one that finds the budget spent (@once),
 * and refuses any larger than @max_size. Memory comes from posix_memalign() at the alignment
 * asked for, not zeroed, so that code relying on the backend to clear memory fails its tests.
 * Header-only: with a struct failing f, iommusim_mem_create_custom(&failing_ops, &f, &mem);
 * with a struct failing_inject, &failing_inject_ops.
 */
#ifndef TESTS_COMMON_FAILING_MEM_H
#define TESTS_COMMON_FAILING_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <iommusim/mem.h>

struct failing {
	long budget; /* allocations left before failing; negative: never fail */
};

struct failing_inject {
	long budget;	 /* as in struct failing */
	bool once;	 /* the allocation that finds the budget spent fails, the next succeed */
	size_t max_size; /* refuse any larger allocation; 0: no limit */
	uint64_t calls;	 /* allocations asked for so far */
};

static inline void *failing_get(size_t size, size_t align)
{
	void *p = NULL;

	if (align < _Alignof(max_align_t))
		align = _Alignof(max_align_t);
	return posix_memalign(&p, align, size ? size : 1) ? NULL : p;
}

/* Whether the budget @b allows one more allocation, spending it. */
static inline bool failing_spend(long *b)
{
	if (*b == 0)
		return false;
	if (*b > 0)
		(*b)--;
	return true;
}

static inline void *failing_alloc(void *arg, size_t size, size_t align)
{
	struct failing *f = arg;

	return failing_spend(&f->budget) ? failing_get(size, align) : NULL;
}

static inline void *failing_inject_alloc(void *arg, size_t size, size_t align)
{
	struct failing_inject *f = arg;

	f->calls++;
	if (f->max_size && size > f->max_size)
		return NULL;
	if (!failing_spend(&f->budget)) {
		if (f->once)
			f->budget = -1;
		return NULL;
	}
	return failing_get(size, align);
}

static inline void failing_free(void *arg, void *ptr, size_t size, size_t align)
{
	(void)arg;
	(void)size;
	(void)align;
	free(ptr);
}

static const struct iommusim_mem_ops failing_ops = {failing_alloc, failing_free};
static const struct iommusim_mem_ops failing_inject_ops = {failing_inject_alloc, failing_free};

#endif /* TESTS_COMMON_FAILING_MEM_H */
