/* SPDX-License-Identifier: MIT */
/* Memory contexts: one backend behind a counting front, so leaks are visible per context. */
/* madvise() and MADV_HUGEPAGE are outside POSIX, which the build otherwise sticks to. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/memory.h"
#include "config.h"

#ifdef ISIM_HAVE_JEMALLOC
#include <strings.h> /* ffs(), which jemalloc's MALLOCX_ALIGN() expands to */
#include <jemalloc/jemalloc.h>
#endif

#define MIN_ALIGN 16

static void *libc_alloc(void *arg, size_t size, size_t align)
{
	void *p;

	(void)arg;
	if (align <= MIN_ALIGN)
		return malloc(size);
	if (posix_memalign(&p, align, size))
		return NULL;
	return p;
}

static void libc_free(void *arg, void *ptr, size_t size, size_t align)
{
	(void)arg;
	(void)size;
	(void)align;
	free(ptr);
}

static const struct iommusim_mem_ops libc_ops = {
	.alloc = libc_alloc,
	.free = libc_free,
};

#ifdef ISIM_HAVE_JEMALLOC
/* Sized deallocation lets jemalloc skip the size lookup on every free. */
static void *je_alloc(void *arg, size_t size, size_t align)
{
	(void)arg;
	return mallocx(size, align > MIN_ALIGN ? MALLOCX_ALIGN(align) : 0);
}

static void je_free(void *arg, void *ptr, size_t size, size_t align)
{
	(void)arg;
	sdallocx(ptr, size, align > MIN_ALIGN ? MALLOCX_ALIGN(align) : 0);
}

static const struct iommusim_mem_ops je_ops = {
	.alloc = je_alloc,
	.free = je_free,
};
#endif

static int mem_new(const struct iommusim_mem_ops *ops, void *arg, const char *name,
		   struct iommusim_mem **out)
{
	struct iommusim_mem *mem = malloc(sizeof(*mem));

	if (!mem)
		return -ENOMEM;
	mem->ops = ops;
	mem->arg = arg;
	mem->name = name;
	atomic_init(&mem->live_objects, 0);
	atomic_init(&mem->live_bytes, 0);
	atomic_init(&mem->failed_allocs, 0);
	*out = mem;
	return 0;
}

int iommusim_mem_create(enum iommusim_mem_backend backend, struct iommusim_mem **out)
{
	switch (backend) {
	case IOMMUSIM_MEM_DEFAULT:
#ifdef ISIM_HAVE_JEMALLOC
		return mem_new(&je_ops, NULL, "jemalloc", out);
#else
		return mem_new(&libc_ops, NULL, "libc", out);
#endif
	case IOMMUSIM_MEM_LIBC:
		return mem_new(&libc_ops, NULL, "libc", out);
	case IOMMUSIM_MEM_JEMALLOC:
#ifdef ISIM_HAVE_JEMALLOC
		return mem_new(&je_ops, NULL, "jemalloc", out);
#else
		return -ENOTSUP;
#endif
	}
	return -EINVAL;
}

int iommusim_mem_create_custom(const struct iommusim_mem_ops *ops, void *arg,
			       struct iommusim_mem **out)
{
	return mem_new(ops, arg, "custom", out);
}

void iommusim_mem_destroy(struct iommusim_mem *mem)
{
	free(mem);
}

uint64_t iommusim_mem_live_objects(const struct iommusim_mem *mem)
{
	return atomic_load_explicit(&mem->live_objects, memory_order_relaxed);
}

uint64_t iommusim_mem_live_bytes(const struct iommusim_mem *mem)
{
	return atomic_load_explicit(&mem->live_bytes, memory_order_relaxed);
}

uint64_t iommusim_mem_failed_allocs(const struct iommusim_mem *mem)
{
	return atomic_load_explicit(&mem->failed_allocs, memory_order_relaxed);
}

const char *iommusim_mem_backend_name(const struct iommusim_mem *mem)
{
	return mem->name;
}

void *isim_alloc(struct iommusim_mem *mem, size_t size, size_t align)
{
	void *p = mem->ops->alloc(mem->arg, size, align);

	if (p) {
		atomic_fetch_add_explicit(&mem->live_objects, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&mem->live_bytes, size, memory_order_relaxed);
	} else {
		atomic_fetch_add_explicit(&mem->failed_allocs, 1, memory_order_relaxed);
	}
	return p;
}

void *isim_zalloc(struct iommusim_mem *mem, size_t size, size_t align)
{
	void *p = isim_alloc(mem, size, align);

	if (p)
		memset(p, 0, size);
	return p;
}

void isim_free(struct iommusim_mem *mem, void *ptr, size_t size, size_t align)
{
	if (!ptr)
		return;
	atomic_fetch_sub_explicit(&mem->live_objects, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&mem->live_bytes, size, memory_order_relaxed);
	mem->ops->free(mem->arg, ptr, size, align);
}

#define HUGE_PAGE ((uintptr_t)2 << 20)

void isim_mem_hint_huge(void *ptr, size_t size)
{
#ifdef MADV_HUGEPAGE
	uintptr_t lo = ((uintptr_t)ptr + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	uintptr_t hi = ((uintptr_t)ptr + size) & ~(HUGE_PAGE - 1);

	if (size >= 2 * HUGE_PAGE && hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
	(void)ptr;
	(void)size;
#endif
}
