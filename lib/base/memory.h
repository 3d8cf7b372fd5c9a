/* SPDX-License-Identifier: MIT */
/* Allocation from a memory context, for the library's own objects. */
#ifndef ISIM_BASE_MEMORY_H
#define ISIM_BASE_MEMORY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/mem.h>

struct iommusim_mem {
	const struct iommusim_mem_ops *ops;
	void *arg;
	const char *name;
	/* Relaxed atomics: threads acting as CPUs allocate concurrently. */
	atomic_uint_fast64_t live_objects;
	atomic_uint_fast64_t live_bytes;
	/* Requests the backend refused: a simulation that met one is not faithful any more. */
	atomic_uint_fast64_t failed_allocs;
};

/* Memory aligned to 16 bytes (or @align if larger, up to 64); NULL when the backend fails. */
void *isim_alloc(struct iommusim_mem *mem, size_t size, size_t align);
/* Like isim_alloc, zero-filled. */
void *isim_zalloc(struct iommusim_mem *mem, size_t size, size_t align);
/* Give back memory from isim_alloc/isim_zalloc with the same size and alignment. */
void isim_free(struct iommusim_mem *mem, void *ptr, size_t size, size_t align);
/*
 * Ask the kernel to back the 2 MiB-aligned part of [@ptr, @ptr + @size) with huge pages,
 * where it allows that on request (Linux transparent huge pages in "madvise" mode). For a
 * buffer of megabytes that is written once (a replay's script and op array), first touches
 * then cost a few faults instead of one per 4 KiB page, which on a virtual machine is most of
 * a replay's system time. Only a hint: contents and behaviour do not change, and it does
 * nothing where unsupported or for less than 4 MiB.
 */
void isim_mem_hint_huge(void *ptr, size_t size);

#endif /* ISIM_BASE_MEMORY_H */
