/* SPDX-License-Identifier: MIT */
/**
 * @file mem.h  Memory contexts: where every node, magazine, table and queue comes from.
 *
 * A memory context wraps one backend (jemalloc, libc, or the caller's own functions) and counts
 * what is outstanding, so a test or a harness can prove that a simulation returned everything
 * it took. Contexts are independent: several simulations in one process each use their own.
 */
#ifndef IOMMUSIM_MEM_H
#define IOMMUSIM_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <iommusim/export.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iommusim_mem;

/** enum iommusim_mem_backend - built-in memory backends. */
enum iommusim_mem_backend {
	/** jemalloc when the library was built with it, libc otherwise. */
	IOMMUSIM_MEM_DEFAULT = 0,
	/** malloc/free from the C library. */
	IOMMUSIM_MEM_LIBC,
	/** jemalloc's mallocx/sdallocx (sized deallocation). */
	IOMMUSIM_MEM_JEMALLOC,
};

/**
 * struct iommusim_mem_ops - a caller-supplied backend.
 * @alloc: return @size bytes aligned to @align (a power of two, at most 64), or NULL.
 * @free:  release memory returned by @alloc; @size and @align are those it was asked for.
 */
struct iommusim_mem_ops {
	void *(*alloc)(void *arg, size_t size, size_t align);
	void (*free)(void *arg, void *ptr, size_t size, size_t align);
};

/**
 * iommusim_mem_create() - create a memory context on a built-in backend.
 * @backend: which backend.
 * @out:     receives the new context.
 *
 * Return: 0; -ENOTSUP if @backend is IOMMUSIM_MEM_JEMALLOC and the library was built without
 * jemalloc; -EINVAL for an unknown backend; -ENOMEM.
 */
IOMMUSIM_API int iommusim_mem_create(enum iommusim_mem_backend backend, struct iommusim_mem **out);

/**
 * iommusim_mem_create_custom() - create a memory context on the caller's backend.
 * @ops: the backend's functions; must stay valid for the context's lifetime.
 * @arg: passed to every call of @ops.
 * @out: receives the new context.
 *
 * Return: 0 or -ENOMEM.
 */
IOMMUSIM_API int iommusim_mem_create_custom(const struct iommusim_mem_ops *ops, void *arg,
					    struct iommusim_mem **out);

/**
 * iommusim_mem_destroy() - destroy a memory context.
 * @mem: the context, or NULL. Objects still allocated from it are not freed: check
 *       iommusim_mem_live_objects() first if that matters.
 */
IOMMUSIM_API void iommusim_mem_destroy(struct iommusim_mem *mem);

/** iommusim_mem_live_objects() - objects allocated from @mem and not yet freed. */
IOMMUSIM_API uint64_t iommusim_mem_live_objects(const struct iommusim_mem *mem);

/** iommusim_mem_live_bytes() - bytes requested from @mem and not yet freed (no overhead). */
IOMMUSIM_API uint64_t iommusim_mem_live_bytes(const struct iommusim_mem *mem);

/**
 * iommusim_mem_failed_allocs() - requests the backend refused (returned NULL) since @mem was
 * created. The library handles each refusal where it happens; a simulation also compares this
 * count before and after, so that a run the host's memory shortage changed is reported as
 * -ENOMEM rather than as results.
 */
IOMMUSIM_API uint64_t iommusim_mem_failed_allocs(const struct iommusim_mem *mem);

/** iommusim_mem_backend_name() - "jemalloc", "libc" or "custom". */
IOMMUSIM_API const char *iommusim_mem_backend_name(const struct iommusim_mem *mem);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_MEM_H */
