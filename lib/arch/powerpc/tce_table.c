/* SPDX-License-Identifier: MIT */
/*
 * Setting up and inspecting a powerpc TCE table: iommu_init_table() with
 * iommu_table_reserve_pages(), iommu_table_in_use(), the bitmap weight the kernel's debugfs
 * shows, and the teardown. The allocator itself is in tce_alloc.c. sources.md S20, S21.
 */
#include <errno.h>
#include <stddef.h>

#include "arch/powerpc/tce_table.h"
#include "base/bitops.h"
#include "base/memory.h"
#include "bitmap/bitmap.h"

/* Tables with a window this large or larger get IOMMUSIM_TCE_NR_POOLS small pools. */
#define SPLIT_WINDOW_BYTES (UINT64_C(1) << 30)

/*
 * The kernel walks the reserved range with a signed 32-bit counter (and builds with
 * -fno-strict-overflow, so it wraps): entries from 2^31 up are never reached.
 */
#define RESERVE_COUNTER_LIMIT (UINT64_C(1) << 31)

/* dma_get_seg_boundary_nr_pages(): 0 stands for the device that set no mask (ULONG_MAX). */
static uint64_t boundary_entries(uint64_t seg_boundary_mask, unsigned int page_shift)
{
	uint64_t mask = seg_boundary_mask ? seg_boundary_mask : UINT64_MAX;

	return (mask >> page_shift) + 1;
}

/* The limits of tce.h: what the kernel can be given without looping or leaving its bitmap. */
static int check_config(const struct iommusim_tce_config *cfg)
{
	unsigned int shift = cfg->page_shift;

	if (shift < IOMMUSIM_TCE_MIN_PAGE_SHIFT || shift > IOMMUSIM_TCE_MAX_PAGE_SHIFT)
		return -EINVAL;
	if (cfg->size < IOMMUSIM_TCE_MIN_SIZE || cfg->size > IOMMUSIM_TCE_MAX_SIZE)
		return -EINVAL;
	/* (offset + size) << shift may be 2^64 exactly, not more */
	if (cfg->offset > (UINT64_C(1) << (64 - shift)) - cfg->size)
		return -EINVAL;
	if (!isim_is_pow2(cfg->blocksize) || cfg->blocksize > IOMMUSIM_TCE_MAX_BLOCKSIZE)
		return -EINVAL;
	if (!isim_is_pow2(boundary_entries(cfg->seg_boundary_mask, shift)))
		return -EINVAL;
	return 0;
}

/* mirrors iommu_table_reserve_pages() */
static void reserve_pages(struct iommusim_tce_table *tbl, uint64_t res_start, uint64_t res_end)
{
	uint64_t last;

	/* Entry 0 of a window at bus address 0 is never handed out: drivers take 0 as "none". */
	if (tbl->offset == 0)
		isim_bitmap_set(tbl->map, 0, 1);

	if (res_start < tbl->offset)
		res_start = tbl->offset;
	if (res_end > tbl->offset + tbl->size)
		res_end = tbl->offset + tbl->size;
	/* A reversed range (the kernel warns once) is empty like any other. */
	if (res_start >= res_end) {
		tbl->reserved_start = tbl->offset;
		tbl->reserved_end = tbl->offset;
		return;
	}
	tbl->reserved_start = res_start;
	tbl->reserved_end = res_end;

	/*
	 * The kernel's signed 32-bit loop counter stops at 2^31; a range starting there or
	 * above sets nothing inside the bitmap (its counter starts negative, or every bit it
	 * would set lies before the bitmap, which cannot be modelled). Real windows with a
	 * reserved hole start at 0, far from this.
	 */
	if (res_start >= RESERVE_COUNTER_LIMIT)
		return;
	last = res_end < RESERVE_COUNTER_LIMIT ? res_end : RESERVE_COUNTER_LIMIT;
	isim_bitmap_set(tbl->map, res_start - tbl->offset, last - res_start);
}

/* The pool layout of iommu_init_table(): small pools share 3/4 of the table, large the rest. */
static void init_pools(struct iommusim_tce_table *tbl)
{
	unsigned int i;

	/* computed in 64 bits as the kernel does: a 2^64-byte window wraps to 0, one pool */
	if ((tbl->size << tbl->page_shift) >= SPLIT_WINDOW_BYTES)
		tbl->nr_pools = IOMMUSIM_TCE_NR_POOLS;
	else
		tbl->nr_pools = 1;
	tbl->poolsize = (tbl->size * 3 / 4) / tbl->nr_pools;
	for (i = 0; i < tbl->nr_pools; i++) {
		tbl->pools[i].start = tbl->poolsize * i;
		tbl->pools[i].end = tbl->pools[i].start + tbl->poolsize;
		tbl->pools[i].hint = tbl->pools[i].start;
	}
	tbl->large_pool.start = tbl->poolsize * tbl->nr_pools;
	tbl->large_pool.end = tbl->size;
	tbl->large_pool.hint = tbl->large_pool.start;
}

/* mirrors iommu_init_table() (the TCE contents, kdump and debugfs are not modelled) */
int iommusim_tce_table_create(const struct iommusim_tce_config *cfg,
			      struct iommusim_tce_table **out)
{
	struct iommusim_tce_table *tbl;
	int err;

	if (!cfg || !cfg->mem || !out)
		return -EINVAL;
	err = check_config(cfg);
	if (err)
		return err;

	tbl = isim_zalloc(cfg->mem, sizeof(*tbl), 0);
	if (!tbl)
		return -ENOMEM;
	tbl->mem = cfg->mem;
	tbl->offset = cfg->offset;
	tbl->size = cfg->size;
	tbl->page_shift = cfg->page_shift;
	tbl->blocksize = cfg->blocksize;
	tbl->boundary = boundary_entries(cfg->seg_boundary_mask, cfg->page_shift);
	tbl->map_words = isim_bitmap_words(cfg->size);
	tbl->map = isim_zalloc(cfg->mem, tbl->map_words * sizeof(*tbl->map), 0);
	if (!tbl->map) {
		isim_free(cfg->mem, tbl, sizeof(*tbl), 0);
		return -ENOMEM;
	}
	reserve_pages(tbl, cfg->res_start, cfg->res_end);
	init_pools(tbl);
	*out = tbl;
	return 0;
}

void iommusim_tce_table_destroy(struct iommusim_tce_table *tbl)
{
	if (!tbl)
		return;
	isim_free(tbl->mem, tbl->map, tbl->map_words * sizeof(*tbl->map), 0);
	isim_free(tbl->mem, tbl, sizeof(*tbl), 0);
}

/* find_next_bit(map, end, start) != end: a set entry in [start, end) (relative). */
static bool any_set(const struct iommusim_tce_table *tbl, uint64_t start, uint64_t end)
{
	return isim_bitmap_find_next_set(tbl->map, end, start) != end;
}

/* mirrors iommu_table_in_use() */
bool iommusim_tce_in_use(const struct iommusim_tce_table *tbl)
{
	uint64_t start = tbl->offset == 0 ? 1 : 0;

	/* The kernel tests the absolute values for "no reserved range", not the offset. */
	if (tbl->reserved_start == 0 && tbl->reserved_end == 0)
		return any_set(tbl, start, tbl->size);
	if (any_set(tbl, start, tbl->reserved_start - tbl->offset))
		return true;
	return any_set(tbl, tbl->reserved_end - tbl->offset, tbl->size);
}

/* bitmap_weight(it_map, it_size), the "weight" file of the kernel's debugfs */
uint64_t iommusim_tce_weight(const struct iommusim_tce_table *tbl)
{
	uint64_t full = tbl->size / ISIM_BITMAP_WORD_BITS, rest = tbl->size % ISIM_BITMAP_WORD_BITS;
	uint64_t n = 0;

	for (uint64_t w = 0; w < full; w++)
		n += (uint64_t)__builtin_popcountll(tbl->map[w]);
	if (rest)
		n += (uint64_t)__builtin_popcountll(tbl->map[full] & ((UINT64_C(1) << rest) - 1));
	return n;
}

void iommusim_tce_get_pools(const struct iommusim_tce_table *tbl, struct iommusim_tce_pools *out)
{
	*out = (struct iommusim_tce_pools){.nr_pools = tbl->nr_pools, .poolsize = tbl->poolsize};
	for (unsigned int i = 0; i < tbl->nr_pools; i++)
		out->pools[i] = (struct iommusim_tce_pool){tbl->pools[i].start, tbl->pools[i].end,
							   tbl->pools[i].hint};
	out->large = (struct iommusim_tce_pool){tbl->large_pool.start, tbl->large_pool.end,
						tbl->large_pool.hint};
}

void iommusim_tce_reserved(const struct iommusim_tce_table *tbl, uint64_t *start, uint64_t *end)
{
	*start = tbl->reserved_start;
	*end = tbl->reserved_end;
}

bool iommusim_tce_entry_used(const struct iommusim_tce_table *tbl, uint64_t entry)
{
	if (entry < tbl->offset || entry - tbl->offset >= tbl->size)
		return false;
	return isim_bitmap_test(tbl->map, entry - tbl->offset);
}
