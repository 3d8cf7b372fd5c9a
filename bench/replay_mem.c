/* SPDX-License-Identifier: MIT */
/* A replay command's memory: huge-page regions, carved in order, with per-size free lists. */
/* MAP_ANONYMOUS, madvise() and MADV_HUGEPAGE are outside POSIX, which the build sticks to. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "base/memory.h"
#include "replay_mem.h"

#define HUGE_PAGE ((size_t)2 << 20)
#define PAGE	  ((size_t)4 << 10)
/*
 * Address space reserved at a time. Only the huge pages touched are ever backed, so a short
 * replay costs one or two of them however large this is.
 */
#define REGION_SIZE ((size_t)64 << 20)
/* Blocks up to SMALL_MAX bytes come in 16-byte steps, or 64-byte ones when more aligned. */
#define SMALL_MAX    ((size_t)2 << 10)
#define SMALL_STEP   ((size_t)16)
#define ALIGNED_STEP ((size_t)64)
/* Larger ones in whole pages up to MEDIUM_MAX; beyond it each has a mapping of its own. */
#define MEDIUM_MAX ((size_t)1 << 20)

struct free_block {
	struct free_block *next;
};

/* The start of each region, which holds this header. */
struct region {
	struct region *next;
	size_t size;
};

struct replay_mem {
	/* The part of the newest region not yet carved. */
	char *next;
	char *end;
	/* Every region, newest first; the oldest also holds this structure. */
	struct region *regions;
	/* Freed blocks by size: a block of each class is used again before new memory is. */
	struct free_block *small[SMALL_MAX / SMALL_STEP];
	struct free_block *aligned[SMALL_MAX / ALIGNED_STEP];
	struct free_block *medium[MEDIUM_MAX / PAGE];
};

static size_t round_up(size_t v, size_t step)
{
	return (v + step - 1) & ~(step - 1);
}

/*
 * @size bytes (a multiple of HUGE_PAGE, at most SIZE_MAX - HUGE_PAGE) of fresh address space
 * at a huge page boundary, marked for transparent huge pages; NULL when the kernel refuses.
 * Where huge pages are not granted this is ordinary memory, faulted a page at a time.
 */
static void *map_huge(size_t size)
{
	char *p, *start;
	size_t lead;

	p = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* keep the aligned part, give back what is before and after it */
	start = (char *)round_up((uintptr_t)p, HUGE_PAGE);
	lead = (size_t)(start - p);
	if (lead)
		munmap(p, lead);
	munmap(start + size, HUGE_PAGE - lead);
	(void)madvise(start, size, MADV_HUGEPAGE);
	return start;
}

/* A new region, its header written; NULL when the kernel refuses. */
static struct region *new_region(struct region *older)
{
	struct region *r = map_huge(REGION_SIZE);

	if (r) {
		r->next = older;
		r->size = REGION_SIZE;
	}
	return r;
}

/* @size bytes at a multiple of @align from the newest region, or from a new one. */
static void *carve(struct replay_mem *m, size_t size, size_t align)
{
	char *p = (char *)round_up((uintptr_t)m->next, align);
	struct region *r;

	if (size <= (size_t)(m->end - p)) {
		m->next = p + size;
		return p;
	}
	/* the rest of the full region stays unused: blocks are at most MEDIUM_MAX bytes */
	r = new_region(m->regions);
	if (!r)
		return NULL;
	m->regions = r;
	m->end = (char *)r + REGION_SIZE;
	p = (char *)round_up((uintptr_t)(r + 1), align);
	m->next = p + size;
	return p;
}

/*
 * The free list a block of @size bytes aligned to @align belongs on, with *@size rounded to
 * its class; NULL for a block that has a mapping of its own.
 */
static struct free_block **class_of(struct replay_mem *m, size_t *size, size_t align)
{
	size_t n = *size ? *size : 1;

	if (n <= SMALL_MAX && align <= SMALL_STEP) {
		*size = round_up(n, SMALL_STEP);
		return &m->small[*size / SMALL_STEP - 1];
	}
	if (n <= SMALL_MAX) {
		*size = round_up(n, ALIGNED_STEP);
		return &m->aligned[*size / ALIGNED_STEP - 1];
	}
	if (n <= MEDIUM_MAX) {
		*size = round_up(n, PAGE);
		return &m->medium[*size / PAGE - 1];
	}
	/* 0: too large to be mapped at all */
	*size = n <= SIZE_MAX - HUGE_PAGE ? round_up(n, HUGE_PAGE) : 0;
	return NULL;
}

static void *mem_alloc(void *arg, size_t size, size_t align)
{
	struct replay_mem *m = arg;
	struct free_block **list = class_of(m, &size, align);
	struct free_block *b;
	size_t step;

	if (!list)
		return size ? map_huge(size) : NULL;
	b = *list;
	if (b) {
		*list = b->next;
		return b;
	}
	/* a new block is aligned to its class's step, which is at least what was asked for */
	if (size > SMALL_MAX)
		step = PAGE;
	else if (align > SMALL_STEP)
		step = ALIGNED_STEP;
	else
		step = SMALL_STEP;
	return carve(m, size, step);
}

static void mem_free(void *arg, void *ptr, size_t size, size_t align)
{
	struct replay_mem *m = arg;
	struct free_block **list = class_of(m, &size, align);
	struct free_block *b = ptr;

	if (!list) {
		munmap(ptr, size);
		return;
	}
	b->next = *list;
	*list = b;
}

static const struct iommusim_mem_ops replay_mem_ops = {
	.alloc = mem_alloc,
	.free = mem_free,
};

int replay_mem_create(struct iommusim_mem **out)
{
	struct region *r = new_region(NULL);
	struct replay_mem *m;
	int err;

	if (!r)
		return -ENOMEM;
	/* the structure itself is the first thing in the first region; the memory is zero */
	m = (struct replay_mem *)round_up((uintptr_t)(r + 1), ALIGNED_STEP);
	m->regions = r;
	m->next = (char *)(m + 1);
	m->end = (char *)r + REGION_SIZE;
	err = iommusim_mem_create_custom(&replay_mem_ops, m, out);
	if (err)
		munmap(r, REGION_SIZE);
	return err;
}

void replay_mem_destroy(struct iommusim_mem *mem)
{
	struct replay_mem *m;
	struct region *r;

	if (!mem)
		return;
	m = mem->arg;
	r = m->regions;
	iommusim_mem_destroy(mem);
	/* the last region unmapped holds @m, which is not read after the list head */
	while (r) {
		struct region *older = r->next;

		munmap(r, r->size);
		r = older;
	}
}
