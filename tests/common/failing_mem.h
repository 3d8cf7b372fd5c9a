/* SPDX-License-Identifier: MIT */
/*
 * A memory backend for out-of-memory tests: it refuses every allocation once its budget is
 * spent, so a test can fail each allocation of a call in turn. Memory comes from malloc(),
 * not zeroed, so that code relying on the backend to clear memory fails its tests.
 * Header-only: with a struct failing f, iommusim_mem_create_custom(&failing_ops, &f, &mem).
 */
#ifndef TESTS_COMMON_FAILING_MEM_H
#define TESTS_COMMON_FAILING_MEM_H

#include <stddef.h>
#include <stdlib.h>
#include <iommusim/mem.h>

struct failing {
	long budget; /* allocations left before failing; negative: never fail */
};

static inline void *failing_alloc(void *arg, size_t size, size_t align)
{
	struct failing *f = arg;

	(void)align;
	if (f->budget == 0)
		return NULL;
	if (f->budget > 0)
		f->budget--;
	return malloc(size);
}

static inline void failing_free(void *arg, void *ptr, size_t size, size_t align)
{
	(void)arg;
	(void)size;
	(void)align;
	free(ptr);
}

static const struct iommusim_mem_ops failing_ops = { failing_alloc, failing_free };

#endif /* TESTS_COMMON_FAILING_MEM_H */
