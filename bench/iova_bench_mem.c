/* SPDX-License-Identifier: MIT */
/*
 * iova-bench's memory rows: what a live range costs a memory context, in bytes requested and
 * in what the process's malloc really sets aside for it.
 */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <iommusim/iommusim.h>

#include "iova_bench.h"

/*
 * (d) A malloc backend that asks malloc what it really set aside for each block. Which malloc
 * that is depends on the build: a library built with jemalloc brings it into the process,
 * where it replaces the C library's malloc; a sanitizer build has the sanitizer's.
 */
struct counting_malloc {
	uint64_t usable;
	uint64_t blocks;
};

static void *cm_alloc(void *arg, size_t size, size_t align)
{
	struct counting_malloc *cm = arg;
	void *p;

	if (align <= 16)
		p = malloc(size);
	else if (posix_memalign(&p, align, size))
		p = NULL;
	if (p) {
		cm->usable += malloc_usable_size(p);
		cm->blocks++;
	}
	return p;
}

static void cm_free(void *arg, void *ptr, size_t size, size_t align)
{
	struct counting_malloc *cm = arg;

	(void)size;
	(void)align;
	cm->usable -= malloc_usable_size(ptr);
	cm->blocks--;
	free(ptr);
}

static const struct iommusim_mem_ops cm_ops = {.alloc = cm_alloc, .free = cm_free};

/* glibc's chunk header: one size word per block in front of the usable bytes. */
#define GLIBC_CHUNK_HEADER 8u

/* Defined only when jemalloc is in the process; it is not called, just looked for. */
int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
	__attribute__((weak));

#if defined(__SANITIZE_ADDRESS__)
#define ISIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ISIM_ASAN 1
#endif
#endif

/*
 * jemalloc rounds a block up to its size class and keeps no header beside it (its metadata,
 * about 1%, is not counted); glibc puts an 8-byte size word in front of every chunk; ASan's
 * usable size is the request, its redzones are not counted.
 */
void iova_bench_detect_malloc(struct iova_bench *b)
{
#ifdef ISIM_ASAN
	b->malloc_name = "asan";
	b->malloc_header = 0;
#else
	bool je = mallctl != NULL;

	b->malloc_name = je ? "jemalloc" : "glibc";
	b->malloc_header = je ? 0 : GLIBC_CHUNK_HEADER;
#endif
}

/*
 * What the 100k live ranges of bench_tree() add to the memory context: requested bytes, usable
 * bytes, usable bytes plus malloc's per-block header. The empty domain's own memory is a fixed
 * cost, not a cost per range, and is left out (its size goes to @fixed).
 */
int iova_bench_mem(struct iova_bench *b, double out[3], uint64_t *fixed)
{
	const char *what = iova_bench_rows[ROW_MEM_FOOTPRINT].name;
	struct counting_malloc cm = {0, 0}, base;
	uint64_t base_bytes;
	uint64_t rng = IOVA_BENCH_SEED ^ IOVA_BENCH_MEM_LIVE;
	uint64_t *pfns = malloc(2 * IOVA_BENCH_MEM_LIVE * sizeof(*pfns));
	struct iommusim_iova_domain *d = NULL;
	struct iommusim_mem *mem = NULL;
	int err;

	if (!pfns)
		return iova_bench_fail(what, "malloc", -ENOMEM);
	err = iommusim_mem_create_custom(&cm_ops, &cm, &mem);
	if (!err)
		err = iova_bench_domain(mem, &d);
	if (err) {
		free(pfns);
		iommusim_mem_destroy(mem);
		return iova_bench_fail(what, "create", err);
	}
	base = cm;
	base_bytes = iommusim_mem_live_bytes(mem);
	*fixed = base_bytes;
	err = iova_bench_populate(d, b->cpu, pfns, IOVA_BENCH_MEM_LIVE, &rng, what);
	out[0] = (double)(iommusim_mem_live_bytes(mem) - base_bytes) / IOVA_BENCH_MEM_LIVE;
	out[1] = (double)(cm.usable - base.usable) / IOVA_BENCH_MEM_LIVE;
	out[2] = (double)(cm.usable - base.usable + b->malloc_header * (cm.blocks - base.blocks)) /
		 IOVA_BENCH_MEM_LIVE;
	iommusim_iova_domain_destroy(d);
	if (!err && (iommusim_mem_live_objects(mem) || cm.blocks)) {
		fprintf(stderr, "iova-bench: %s: %llu objects left after domain_destroy\n", what,
			(unsigned long long)iommusim_mem_live_objects(mem));
		err = -1;
	}
	iommusim_mem_destroy(mem);
	free(pfns);
	return err;
}
