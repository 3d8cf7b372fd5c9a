/* SPDX-License-Identifier: MIT */
/**
 * @file tce.h  The powerpc TCE table allocator (arch/powerpc/kernel/iommu.c of Linux 6.12).
 *
 * A TCE table maps a window of I/O bus addresses, one entry (TCE) per IOMMU page, and a bitmap
 * says which entries are taken. The kernel splits the lower three quarters of the table into
 * pools (four from 1 GiB of window up, else one), each with a next-fit hint, and keeps the top
 * quarter as a large pool for requests of more than 15 entries; a CPU picks its pool by a hash
 * of its number. This is that allocator with the same answers and the same state after every
 * call, so that a sequence of allocations and frees can be replayed exactly
 * (`iommusim_tce_replay()`, docs/powerpc.md).
 *
 * Entry numbers in this API are absolute (bus address >> page_shift, so they include the
 * table's offset), as the kernel's iommu_alloc() returns them. Pool bounds and hints, and the
 * scatter-gather handle, are relative to the table (0 = the entry at the offset), as the
 * kernel stores them.
 *
 * A table is used by one thread at a time: the kernel's pool locks are reported as work on
 * the calling CPU, not taken.
 */
#ifndef IOMMUSIM_TCE_H
#define IOMMUSIM_TCE_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/cpu.h>
#include <iommusim/export.h>
#include <iommusim/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Small pools of a table of 1 GiB or more (the kernel's IOMMU_NR_POOLS). */
#define IOMMUSIM_TCE_NR_POOLS 4
/** Requests of more entries than this use the large pool. */
#define IOMMUSIM_TCE_LARGE_THRESHOLD 15
/** CPU numbers go up to this, exclusive (the largest NR_CPUS of ppc64). */
#define IOMMUSIM_TCE_MAX_CPUS 8192
/** Smallest and largest IOMMU page shift a table may have. */
#define IOMMUSIM_TCE_MIN_PAGE_SHIFT 12
#define IOMMUSIM_TCE_MAX_PAGE_SHIFT 34
/** Smallest and largest table, in entries. */
#define IOMMUSIM_TCE_MIN_SIZE 8
#define IOMMUSIM_TCE_MAX_SIZE (1ull << 30)
/** Largest block size (the hint alignment of small allocations). */
#define IOMMUSIM_TCE_MAX_BLOCKSIZE (1ull << 32)
/** Largest request, in entries. */
#define IOMMUSIM_TCE_MAX_NPAGES (1ull << 30)
/** Largest alignment order of a request. */
#define IOMMUSIM_TCE_MAX_ALIGN_ORDER 63

struct iommusim_tce_table;

/**
 * struct iommusim_tce_config - a table as the platform code sets it up before
 * iommu_init_table().
 * @mem:               memory context for the table and its bitmap (one bit per entry).
 * @offset:            it_offset: the first entry's number (window start >> page_shift).
 * @size:              it_size: entries, IOMMUSIM_TCE_MIN_SIZE..IOMMUSIM_TCE_MAX_SIZE; the
 *                     window's end, (offset + size) << page_shift, may not be above 2^64.
 * @page_shift:        it_page_shift, IOMMUSIM_TCE_MIN_PAGE_SHIFT..IOMMUSIM_TCE_MAX_PAGE_SHIFT.
 * @res_start:         first absolute entry of the range iommu_init_table() reserves (the
 *                     32-bit MMIO hole of a PHB); clipped to the table.
 * @res_end:           entry after it; a range empty after clipping reserves nothing.
 * @blocksize:         it_blocksize: small allocations move the hint to a multiple of this; a
 *                     power of two up to IOMMUSIM_TCE_MAX_BLOCKSIZE (16 on every platform).
 * @seg_boundary_mask: the device's DMA segment boundary mask in bytes (0xffffffff for every
 *                     PCI device); 0 means the device set none, the kernel's ULONG_MAX. No
 *                     allocation crosses a multiple of (mask >> page_shift) + 1 entries,
 *                     which must be a power of two.
 */
struct iommusim_tce_config {
	struct iommusim_mem *mem;
	uint64_t offset;
	uint64_t size;
	unsigned int page_shift;
	uint64_t res_start;
	uint64_t res_end;
	uint64_t blocksize;
	uint64_t seg_boundary_mask;
};

/** struct iommusim_tce_pool - one pool: entries [start, end), next search from hint. */
struct iommusim_tce_pool {
	uint64_t start;
	uint64_t end;
	uint64_t hint;
};

/**
 * struct iommusim_tce_pools - the pool fields of a table.
 * @nr_pools: small pools in use (1 or IOMMUSIM_TCE_NR_POOLS).
 * @poolsize: entries per small pool.
 * @pools:    the small pools; only the first @nr_pools mean anything.
 * @large:    the large pool, from the end of the small ones to the end of the table.
 */
struct iommusim_tce_pools {
	unsigned int nr_pools;
	uint64_t poolsize;
	struct iommusim_tce_pool pools[IOMMUSIM_TCE_NR_POOLS];
	struct iommusim_tce_pool large;
};

/**
 * iommusim_tce_table_create() - build a table (iommu_init_table()): allocate the bitmap, set
 * entry 0 when the offset is 0, reserve the clipped range, lay out the pools.
 * @cfg: the table.
 * @out: receives it.
 *
 * Return: 0; -EINVAL for a field outside the limits above; -ENOMEM (nothing stays allocated).
 */
IOMMUSIM_API int iommusim_tce_table_create(const struct iommusim_tce_config *cfg,
					   struct iommusim_tce_table **out);

/** iommusim_tce_table_destroy() - free a table and its bitmap (NULL is ignored). */
IOMMUSIM_API void iommusim_tce_table_destroy(struct iommusim_tce_table *tbl);

/**
 * iommusim_tce_alloc() - allocate a run of entries (iommu_range_alloc()) on @cpu.
 * @tbl:         the table.
 * @cpu:         the executing CPU: its number picks the small pool; the bitmap words
 *               searched and the locks taken are reported on it.
 * @npages:      entries wanted, up to IOMMUSIM_TCE_MAX_NPAGES and to the segment boundary.
 * @mask:        the device's DMA mask >> page_shift, as iommu_map_page() passes it; at least
 *               the table's offset.
 * @align_order: the run starts at a multiple of 2^align_order (relative to the table), up to
 *               IOMMUSIM_TCE_MAX_ALIGN_ORDER.
 * @handle:      NULL, or the scatter-gather list's handle: a value inside the pool searched
 *               first is where the search starts; it becomes the end of the new run.
 * @entry:       receives the run's first absolute entry.
 *
 * Return: 0; -ENOSPC when the kernel returns DMA_MAPPING_ERROR (nothing fits anywhere it
 * looks, or @npages is 0); -EINVAL for an argument outside the limits above (CPU number at
 * least IOMMUSIM_TCE_MAX_CPUS included).
 */
IOMMUSIM_API int iommusim_tce_alloc(struct iommusim_tce_table *tbl, struct iommusim_cpu *cpu,
				    uint64_t npages, uint64_t mask, unsigned int align_order,
				    uint64_t *handle, uint64_t *entry);

/**
 * iommusim_tce_free() - clear @npages entries from absolute entry @entry (__iommu_free()),
 * whether they were allocated, reserved or entry 0.
 *
 * Return: 0; -ERANGE when the run is not inside the table (the kernel warns and changes
 * nothing); -EINVAL when @entry << page_shift does not fit in 64 bits or @npages is 2^32 or
 * more (no dma_addr_t and npages the kernel can be given).
 */
IOMMUSIM_API int iommusim_tce_free(struct iommusim_tce_table *tbl, struct iommusim_cpu *cpu,
				   uint64_t entry, uint64_t npages);

/**
 * iommusim_tce_in_use() - iommu_table_in_use(): is an entry set outside entry 0 and the
 * reserved range?
 */
IOMMUSIM_API bool iommusim_tce_in_use(const struct iommusim_tce_table *tbl);

/** iommusim_tce_weight() - set entries, entry 0 and the reserved range included. */
IOMMUSIM_API uint64_t iommusim_tce_weight(const struct iommusim_tce_table *tbl);

/** iommusim_tce_get_pools() - the pool layout and hints. */
IOMMUSIM_API void iommusim_tce_get_pools(const struct iommusim_tce_table *tbl,
					 struct iommusim_tce_pools *out);

/**
 * iommusim_tce_reserved() - it_reserved_start and it_reserved_end after clipping (absolute;
 * both the offset when the range was empty).
 */
IOMMUSIM_API void iommusim_tce_reserved(const struct iommusim_tce_table *tbl, uint64_t *start,
					uint64_t *end);

/** iommusim_tce_entry_used() - is absolute entry @entry set? false outside the table. */
IOMMUSIM_API bool iommusim_tce_entry_used(const struct iommusim_tce_table *tbl, uint64_t entry);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_TCE_H */
