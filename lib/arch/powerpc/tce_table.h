/* SPDX-License-Identifier: MIT */
/*
 * The powerpc TCE table as arch/powerpc/kernel/iommu.c keeps it (struct iommu_table, the
 * allocation side only): shared by the set-up code (tce_table.c) and the allocator
 * (tce_alloc.c). docs/powerpc.md maps each function to the kernel's; sources.md S21.
 */
#ifndef ISIM_ARCH_POWERPC_TCE_TABLE_H
#define ISIM_ARCH_POWERPC_TCE_TABLE_H

#include <stdint.h>
#include <iommusim/tce.h>

/* hash_32()'s multiplier (GOLDEN_RATIO_32 of include/linux/hash.h). */
#define ISIM_TCE_GOLDEN_RATIO_32 0x61C88647u
/* Bits of the pool hash (IOMMU_POOL_HASHBITS): enough for the four pools. */
#define ISIM_TCE_POOL_HASHBITS 2

/* struct iommu_pool without its lock: entries [start, end) relative to the table. */
struct isim_tce_pool {
	uint64_t start;
	uint64_t end;
	uint64_t hint;
};

struct iommusim_tce_table {
	struct iommusim_mem *mem;
	/* it_map: one bit per entry, bit i for absolute entry offset + i. */
	uint64_t *map;
	uint64_t map_words;
	uint64_t offset;
	uint64_t size;
	unsigned int page_shift;
	uint64_t blocksize;
	/* dma_get_seg_boundary_nr_pages(): the boundary, in entries (a power of two). */
	uint64_t boundary;
	/* it_reserved_start / it_reserved_end: absolute, clipped; both offset when empty. */
	uint64_t reserved_start;
	uint64_t reserved_end;
	unsigned int nr_pools;
	uint64_t poolsize;
	struct isim_tce_pool pools[IOMMUSIM_TCE_NR_POOLS];
	struct isim_tce_pool large_pool;
};

/*
 * The small pool a CPU prefers before masking with nr_pools - 1: hash_32(cpu, 2), the
 * per-CPU iommu_pool_hash the kernel computes once at boot. CPUs 0..7 give 0 1 3 0 2 3 1 2.
 */
static inline unsigned int isim_tce_pool_hash(unsigned int cpu)
{
	return (uint32_t)(cpu * ISIM_TCE_GOLDEN_RATIO_32) >> (32 - ISIM_TCE_POOL_HASHBITS);
}

#endif /* ISIM_ARCH_POWERPC_TCE_TABLE_H */
