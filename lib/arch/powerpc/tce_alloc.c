/* SPDX-License-Identifier: MIT */
/*
 * The powerpc TCE allocator: iommu_range_alloc() and __iommu_free() of
 * arch/powerpc/kernel/iommu.c, on the bitmap search of lib/iommu-helper.c (lib/bitmap). The
 * order in which pools are searched, where each search starts and where the hints end up are
 * the kernel's, so that every answer and every later state is too. sources.md S20, S21.
 */
#include <errno.h>
#include <stddef.h>

#include "arch/powerpc/tce_table.h"
#include "base/cpu_work.h"
#include "bitmap/bitmap.h"

/*
 * Where one pass searches: the pool it runs under (whose hint moves on success), and the
 * table-relative start and limit given to iommu_area_alloc().
 */
struct search {
	struct isim_tce_pool *pool;
	uint64_t start;
	uint64_t limit;
};

/*
 * The start and limit of a pass, from the top of iommu_range_alloc()'s retry loop. May switch
 * @s->pool to pool 0 when the DMA mask ends inside the pool: the masked hint is tried first
 * (a cheap guess), and every later pass goes to the bottom of the table, where the space below
 * the mask is.
 */
static void plan_pass(struct iommusim_tce_table *tbl, struct iommusim_cpu *cpu, struct search *s,
		      unsigned int pass, uint64_t mask, const uint64_t *handle)
{
	struct isim_tce_pool *pool = s->pool;
	uint64_t start, limit;

	/* a scatter-gather list continues right after its previous segment when it can */
	if (pass == 0 && handle && *handle && *handle >= pool->start && *handle < pool->end)
		start = *handle;
	else
		start = pool->hint;
	limit = pool->end;
	/* a hint left at the end of the pool (or a handle from a larger one) starts over */
	if (start >= limit)
		start = pool->start;

	/* mask >= offset (checked by the caller), so the limit is at least 1 */
	if (limit + tbl->offset > mask) {
		limit = mask - tbl->offset + 1;
		if ((start & mask) >= limit || pass > 0) {
			pool = &tbl->pools[0];
			isim_work(cpu, IOMMUSIM_WORK_LOCK, 1);
			start = pool->start;
		} else {
			start &= mask;
		}
	}
	*s = (struct search){.pool = pool, .start = start, .limit = limit};
}

/*
 * After a failed pass: the pool to search next, its hint reset to its start. Pass 0 searched
 * from the hint; pass 1 searches the same pool from its start; then each small pool in turn,
 * from the one after the CPU's own up to the CPU's own again; then the large pool. false
 * when all of them failed.
 */
static bool next_pool(struct iommusim_tce_table *tbl, struct iommusim_cpu *cpu, struct search *s,
		      unsigned int pass, unsigned int *pool_nr)
{
	if (pass == 0) {
		/* the same pool, from its start this time */
	} else if (pass <= tbl->nr_pools) {
		*pool_nr = (*pool_nr + 1) & (tbl->nr_pools - 1);
		s->pool = &tbl->pools[*pool_nr];
		isim_work(cpu, IOMMUSIM_WORK_LOCK, 1);
	} else if (pass == tbl->nr_pools + 1) {
		s->pool = &tbl->large_pool;
		isim_work(cpu, IOMMUSIM_WORK_LOCK, 1);
	} else {
		return false;
	}
	s->pool->hint = s->pool->start;
	return true;
}

static int check_alloc(const struct iommusim_tce_table *tbl, const struct iommusim_cpu *cpu,
		       uint64_t npages, uint64_t mask, unsigned int align_order)
{
	if (cpu->id >= IOMMUSIM_TCE_MAX_CPUS || align_order > IOMMUSIM_TCE_MAX_ALIGN_ORDER)
		return -EINVAL;
	/* a run longer than the boundary never fits, and the kernel would search forever */
	if (npages > IOMMUSIM_TCE_MAX_NPAGES || npages > tbl->boundary)
		return -EINVAL;
	/* a mask below the window would make the kernel search outside its bitmap */
	if (mask < tbl->offset)
		return -EINVAL;
	return 0;
}

/* mirrors iommu_range_alloc(), plus the offset iommu_alloc() adds */
int iommusim_tce_alloc(struct iommusim_tce_table *tbl, struct iommusim_cpu *cpu, uint64_t npages,
		       uint64_t mask, unsigned int align_order, uint64_t *handle, uint64_t *entry)
{
	bool large = npages > IOMMUSIM_TCE_LARGE_THRESHOLD;
	uint64_t align_mask, n, end, words = 0;
	unsigned int pool_nr, pass;
	struct search s;
	int err;

	if (!tbl || !cpu || !entry)
		return -EINVAL;
	err = check_alloc(tbl, cpu, npages, mask, align_order);
	if (err)
		return err;
	/* the kernel warns and gives up */
	if (npages == 0)
		return -ENOSPC;

	align_mask = (UINT64_C(1) << align_order) - 1;
	pool_nr = isim_tce_pool_hash(cpu->id) & (tbl->nr_pools - 1);
	s.pool = large ? &tbl->large_pool : &tbl->pools[pool_nr];
	isim_work(cpu, IOMMUSIM_WORK_LOCK, 1);

	for (pass = 0;; pass++) {
		plan_pass(tbl, cpu, &s, pass, mask, handle);
		n = isim_iommu_area_alloc(tbl->map, s.limit, s.start, npages, tbl->offset,
					  tbl->boundary, align_mask, &words);
		if (n != ISIM_AREA_FAIL)
			break;
		if (!next_pool(tbl, cpu, &s, pass, &pool_nr)) {
			isim_work(cpu, IOMMUSIM_WORK_BITMAP_WORD, words);
			return -ENOSPC;
		}
	}
	isim_work(cpu, IOMMUSIM_WORK_BITMAP_WORD, words);

	end = n + npages;
	/*
	 * Small runs send the next search to a fresh block of it_blocksize entries (16 TCEs of
	 * 8 bytes: a 128-byte cache line of the table); large runs pack, against fragmentation.
	 * The pool is the one searched last, which under a DMA mask may be pool 0 rather than
	 * the one the CPU started from. A hint at or past the pool's end is dealt with by the
	 * next allocation.
	 */
	if (large)
		s.pool->hint = end;
	else
		s.pool->hint = (end + tbl->blocksize - 1) & ~(tbl->blocksize - 1);
	if (handle)
		*handle = end;
	*entry = n + tbl->offset;
	return 0;
}

/* mirrors __iommu_free() with iommu_free_check() (the TCEs themselves are not modelled) */
int iommusim_tce_free(struct iommusim_tce_table *tbl, struct iommusim_cpu *cpu, uint64_t entry,
		      uint64_t npages)
{
	uint64_t rel;

	if (!tbl || !cpu)
		return -EINVAL;
	/* the kernel is handed entry << page_shift as a dma_addr_t and npages as 32 bits */
	if (entry > (UINT64_MAX >> tbl->page_shift) || npages > UINT32_MAX)
		return -EINVAL;
	/*
	 * Below the window the subtraction wraps (the second test catches that); from the
	 * window up rel + npages cannot wrap, since entry < 2^52 and npages < 2^32.
	 */
	rel = entry - tbl->offset;
	if (rel + npages > tbl->size || entry < tbl->offset)
		return -ERANGE;
	isim_work(cpu, IOMMUSIM_WORK_LOCK, 1);
	isim_bitmap_clear(tbl->map, rel, npages);
	isim_work(cpu, IOMMUSIM_WORK_BITMAP_WORD, isim_bitmap_span_words(rel, npages));
	return 0;
}
