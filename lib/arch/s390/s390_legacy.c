/* SPDX-License-Identifier: MIT */
/*
 * The s390 DMA API of Linux 6.6 and earlier (arch/s390/pci/pci_dma.c, removed in 6.7): each zPCI
 * function has its own translation table and a bitmap over its DMA window, allocated next-fit.
 * Lazy mode (the default) invalidates PTEs on unmap without an RPCIT and only marks the pages in
 * a second, lazy bitmap; the pages become reusable when the allocator wraps around to the start
 * of the window, which costs one global RPCIT every time. Strict mode (s390_iommu=strict) issues
 * a ranged RPCIT on every unmap and frees at once. Functions whose I/O tables the hypervisor
 * shadows (tlb_refresh) need a ranged RPCIT after every map as well. See docs/sources.md S19
 * and docs/dma.md.
 */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <iommusim/s390.h>

#include "base/cpu_work.h"
#include "base/memory.h"
#include "base/spinlock.h"
#include "bitmap/bitmap.h"
#include "core/domain_impl.h"
#include "dma/dma_ops.h"
#include "arch/s390/s390_internal.h"
#include "arch/s390/s390_tables.h"
#include "arch/s390/zpci_insn.h"

#define PAGE_MASK_LOW (ZPCI_PAGE_SIZE - 1)
/* The kernel's DMA_MAPPING_ERROR: no bus address is ever this value. */
#define DMA_MAPPING_ERROR UINT64_MAX

/* The part of struct zpci_dev that pci_dma.c owns, plus what we count beyond the kernel. */
struct legacy {
	struct isim_zpci_dev *zdev;
	struct iommusim_mem *mem;
	struct iommusim_s390_io_table *table;
	bool strict;
	uint64_t start_dma;
	uint64_t iommu_pages;
	uint64_t nwords;

	/* iommu_bitmap_lock: guards both bitmaps and next_bit. */
	struct isim_spinlock bitmap_lock;
	uint64_t *iommu_bitmap;
	/* NULL when strict, as in the kernel. */
	uint64_t *lazy_bitmap;
	uint64_t next_bit;

	/* Several CPUs map and unmap at once, hence atomics (the kernel's are atomic64 too). */
	atomic_uint_fast64_t mapped_pages;
	atomic_uint_fast64_t unmapped_pages;
	atomic_uint_fast64_t allocated_pages;
	atomic_uint_fast64_t map_rpcits;
	atomic_uint_fast64_t unmap_rpcits;
	atomic_uint_fast64_t global_rpcits;
	atomic_uint_fast64_t wraps;
	atomic_uint_fast64_t enomem_purges;
	/* Unmaps whose table update or RPCIT failed: the kernel only logs them. */
	atomic_uint_fast64_t unmap_errors;

	atomic_uint_fast64_t maps;
	atomic_uint_fast64_t unmaps;
	atomic_uint_fast64_t map_failures;
	atomic_uint_fast64_t mapped_bytes;
};

static const struct isim_dma_ops legacy_ops;

static inline void ctr_add(atomic_uint_fast64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline void ctr_sub(atomic_uint_fast64_t *c, uint64_t n)
{
	atomic_fetch_sub_explicit(c, n, memory_order_relaxed);
}

static inline uint64_t ctr_read(atomic_uint_fast64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static struct legacy *to_legacy(struct iommusim_device *dev)
{
	assert(dev->dma_ops == &legacy_ops);
	return dev->dma_priv;
}

static uint64_t page_align(uint64_t size)
{
	return (size + PAGE_MASK_LOW) & ~PAGE_MASK_LOW;
}

/* mirrors iommu_num_pages(): pages touched by [addr, addr + len), offset included */
static uint64_t num_pages(uint64_t addr, uint64_t len)
{
	return ((addr & PAGE_MASK_LOW) + len + PAGE_MASK_LOW) >> ZPCI_PAGE_SHIFT;
}

static void bitmap_lock(struct legacy *l, struct iommusim_cpu *cpu)
{
	isim_spin_lock(&l->bitmap_lock);
	isim_work(cpu, IOMMUSIM_WORK_LOCK, 1);
}

static void bitmap_unlock(struct legacy *l)
{
	isim_spin_unlock(&l->bitmap_lock);
}

/* mirrors zpci_refresh_global() */
static int refresh_global(struct legacy *l, struct iommusim_cpu *cpu)
{
	ctr_add(&l->global_rpcits, 1);
	return isim_zpci_refresh_trans(l->zdev->fw, cpu, l->zdev->fh, l->start_dma,
				       l->iommu_pages * ZPCI_PAGE_SIZE, l->zdev->max_busy_retries);
}

/*
 * bitmap_andnot(iommu, iommu, lazy) + bitmap_zero(lazy): every lazily freed page becomes
 * allocatable. The caller holds the bitmap lock and has just flushed globally.
 */
static void merge_lazy(struct legacy *l, uint64_t *words)
{
	for (uint64_t w = 0; w < l->nwords; w++) {
		l->iommu_bitmap[w] &= ~l->lazy_bitmap[w];
		l->lazy_bitmap[w] = 0;
	}
	/* Both bitmaps are swept, word by word. */
	*words += 2 * l->nwords;
}

/* mirrors __dma_alloc_iommu() */
static uint64_t alloc_iommu(struct iommusim_device *dev, struct legacy *l, uint64_t start,
			    uint64_t size, uint64_t *words)
{
	/* dma_get_seg_boundary_nr_pages(): the boundary mask in pages, plus one */
	uint64_t boundary = (dev->seg_boundary_mask >> ZPCI_PAGE_SHIFT) + 1;

	return isim_iommu_area_alloc(l->iommu_bitmap, l->iommu_pages, start, size,
				     l->start_dma >> ZPCI_PAGE_SHIFT, boundary, 0, words);
}

/* mirrors dma_alloc_address() */
static uint64_t dma_alloc_address(struct iommusim_device *dev, struct legacy *l,
				  struct iommusim_cpu *cpu, uint64_t size)
{
	uint64_t offset, words = 0, ret = DMA_MAPPING_ERROR;

	bitmap_lock(l, cpu);
	offset = alloc_iommu(dev, l, l->next_bit, size, &words);
	if (offset == ISIM_AREA_FAIL) {
		ctr_add(&l->wraps, 1);
		if (!l->strict) {
			/*
			 * Lazily unmapped pages may still sit in the IOTLB: one global flush makes
			 * all of them safe to hand out again, whether there are any or not.
			 */
			if (refresh_global(l, cpu))
				goto out;
			merge_lazy(l, &words);
		}
		offset = alloc_iommu(dev, l, 0, size, &words);
		if (offset == ISIM_AREA_FAIL)
			goto out;
	}
	l->next_bit = offset + size;
	ret = l->start_dma + offset * ZPCI_PAGE_SIZE;
out:
	bitmap_unlock(l);
	isim_work(cpu, IOMMUSIM_WORK_BITMAP_WORD, words);
	return ret;
}

/* mirrors dma_free_address() */
static void dma_free_address(struct legacy *l, struct iommusim_cpu *cpu, uint64_t dma_addr,
			     uint64_t size)
{
	uint64_t offset = (dma_addr - l->start_dma) >> ZPCI_PAGE_SHIFT;

	bitmap_lock(l, cpu);
	/* Lazy: the pages stay taken in iommu_bitmap until a global flush has covered them. */
	if (l->strict)
		isim_bitmap_clear(l->iommu_bitmap, offset, size);
	else
		isim_bitmap_set(l->lazy_bitmap, offset, size);
	bitmap_unlock(l);
	isim_work(cpu, IOMMUSIM_WORK_BITMAP_WORD, isim_bitmap_span_words(offset, size));
}

static bool is_validate(uint64_t flags)
{
	return (flags & ZPCI_PTE_VALID_MASK) == ZPCI_PTE_VALID;
}

static void update_pte(struct iommusim_cpu *cpu, struct isim_s390_pte pte, uint64_t page_addr,
		       uint64_t flags)
{
	/* pci_dma.c does not check the old state (only 6.7+ warns), so the result is unused. */
	(void)isim_s390_pte_update(cpu, pte, page_addr, flags & ZPCI_PTE_VALID_MASK,
				   (flags & ZPCI_TABLE_PROTECTED) != 0);
}

/* mirrors __dma_update_trans() */
static int dma_update_trans_tables(struct legacy *l, struct iommusim_cpu *cpu, uint64_t pa,
				   uint64_t dma_addr, uint64_t size, uint64_t flags)
{
	uint64_t nr_pages = page_align(size) >> ZPCI_PAGE_SHIFT;
	uint64_t page_addr = pa & ~PAGE_MASK_LOW;
	struct isim_s390_pte pte;
	uint64_t i;

	if (!nr_pages)
		return -EINVAL;

	for (i = 0; i < nr_pages; i++) {
		pte = isim_s390_table_walk(l->table, cpu, dma_addr, true);
		if (!pte.pte)
			goto undo;
		update_pte(cpu, pte, page_addr, flags);
		page_addr += ZPCI_PAGE_SIZE;
		dma_addr += ZPCI_PAGE_SIZE;
	}
	return 0;

undo:
	/* A half-made mapping must not stay reachable; a half-done invalidation is left as is. */
	if (is_validate(flags)) {
		while (i-- > 0) {
			page_addr -= ZPCI_PAGE_SIZE;
			dma_addr -= ZPCI_PAGE_SIZE;
			pte = isim_s390_table_walk(l->table, cpu, dma_addr, true);
			if (!pte.pte)
				break;
			update_pte(cpu, pte, page_addr, ZPCI_PTE_INVALID);
		}
	}
	return -ENOMEM;
}

/* mirrors __dma_purge_tlb() */
static int dma_purge_tlb(struct legacy *l, struct iommusim_cpu *cpu, uint64_t dma_addr,
			 uint64_t size, uint64_t flags)
{
	uint64_t words = 0;
	int ret;

	/*
	 * Without shadowing, newly validated entries need no RPCIT; in lazy mode invalidated ones
	 * are flushed by the global RPCIT of the next wrap-around instead.
	 */
	if (is_validate(flags)) {
		if (!l->zdev->tlb_refresh)
			return 0;
		ctr_add(&l->map_rpcits, 1);
	} else {
		if (!l->strict)
			return 0;
		ctr_add(&l->unmap_rpcits, 1);
	}

	ret = isim_zpci_refresh_trans(l->zdev->fw, cpu, l->zdev->fh, dma_addr, page_align(size),
				      l->zdev->max_busy_retries);
	if (ret == -ENOMEM && !l->strict) {
		/*
		 * The hypervisor ran out of shadow resources: a global refresh lets it drop what
		 * the lazily freed pages still hold, and covers this range too, so the ranged
		 * refresh is not repeated.
		 */
		ctr_add(&l->enomem_purges, 1);
		ret = refresh_global(l, cpu);
		if (ret)
			return ret;
		bitmap_lock(l, cpu);
		merge_lazy(l, &words);
		bitmap_unlock(l);
		isim_work(cpu, IOMMUSIM_WORK_BITMAP_WORD, words);
		ret = 0;
	}
	return ret;
}

/* mirrors dma_update_trans() */
static int dma_update_trans(struct legacy *l, struct iommusim_cpu *cpu, uint64_t pa,
			    uint64_t dma_addr, uint64_t size, uint64_t flags)
{
	int rc;

	rc = dma_update_trans_tables(l, cpu, pa, dma_addr, size, flags);
	if (rc)
		return rc;
	rc = dma_purge_tlb(l, cpu, dma_addr, size, flags);
	if (rc && is_validate(flags))
		dma_update_trans_tables(l, cpu, pa, dma_addr, size, ZPCI_PTE_INVALID);
	return rc;
}

static uint64_t dir_flags(enum iommusim_dma_dir dir)
{
	/* The device only reads what it is sent: write-protect the pages. */
	if (dir == IOMMUSIM_DMA_NONE || dir == IOMMUSIM_DMA_TO_DEVICE)
		return ZPCI_PTE_VALID | ZPCI_TABLE_PROTECTED;
	return ZPCI_PTE_VALID;
}

/* mirrors s390_dma_map_pages() */
static int map_pages(struct iommusim_device *dev, struct legacy *l, struct iommusim_cpu *cpu,
		     uint64_t pa, uint64_t size, enum iommusim_dma_dir dir, uint64_t *out)
{
	uint64_t nr_pages = num_pages(pa, size);
	uint64_t dma_addr;
	int ret;

	dma_addr = dma_alloc_address(dev, l, cpu, nr_pages);
	/* The kernel logs -ENOSPC here; the DMA API reports an allocation failure as -ENOMEM. */
	if (dma_addr == DMA_MAPPING_ERROR)
		return -ENOMEM;

	ret = dma_update_trans(l, cpu, pa, dma_addr, nr_pages * ZPCI_PAGE_SIZE, dir_flags(dir));
	if (ret) {
		dma_free_address(l, cpu, dma_addr, nr_pages);
		return ret;
	}
	ctr_add(&l->mapped_pages, nr_pages);
	*out = dma_addr + (pa & PAGE_MASK_LOW);
	return 0;
}

/* mirrors s390_dma_unmap_pages() */
static void unmap_pages(struct legacy *l, struct iommusim_cpu *cpu, uint64_t dma_addr,
			uint64_t size)
{
	uint64_t npages = num_pages(dma_addr, size);
	int ret;

	dma_addr &= ~PAGE_MASK_LOW;
	ret = dma_update_trans(l, cpu, 0, dma_addr, npages * ZPCI_PAGE_SIZE, ZPCI_PTE_INVALID);
	if (ret) {
		/*
		 * The IOTLB may still hold the translation, so the address is not handed out again:
		 * it stays allocated for good, as in the kernel.
		 */
		ctr_add(&l->unmap_errors, 1);
		return;
	}
	ctr_add(&l->unmapped_pages, npages);
	dma_free_address(l, cpu, dma_addr, npages);
}

static int legacy_map_page(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t phys,
			   uint64_t size, enum iommusim_dma_dir dir, uint64_t *dma_addr)
{
	struct legacy *l = to_legacy(dev);
	int ret;

	/*
	 * Bad input, refused as dma-iommu refuses it. (The kernel would run the allocator for
	 * zero pages, or map a whole page when @phys has an offset.)
	 */
	if (size == 0 || dir > IOMMUSIM_DMA_NONE)
		return -EINVAL;
	ret = map_pages(dev, l, cpu, phys, size, dir, dma_addr);
	if (ret) {
		ctr_add(&l->map_failures, 1);
		return ret;
	}
	ctr_add(&l->maps, 1);
	ctr_add(&l->mapped_bytes, size);
	return 0;
}

static void legacy_unmap_page(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			      uint64_t dma_addr, uint64_t size, enum iommusim_dma_dir dir)
{
	struct legacy *l = to_legacy(dev);

	(void)dir;
	unmap_pages(l, cpu, dma_addr, size);
	ctr_add(&l->unmaps, 1);
}

/* mirrors s390_dma_alloc(), with the buffer's pages given by the caller */
static int legacy_alloc(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t phys,
			uint64_t size, uint64_t *dma_addr)
{
	struct legacy *l = to_legacy(dev);
	uint64_t pages = page_align(size);
	int ret;

	ret = map_pages(dev, l, cpu, phys, pages, IOMMUSIM_DMA_BIDIRECTIONAL, dma_addr);
	if (ret) {
		ctr_add(&l->map_failures, 1);
		return ret;
	}
	ctr_add(&l->allocated_pages, pages >> ZPCI_PAGE_SHIFT);
	ctr_add(&l->maps, 1);
	/* the caller's size, as dma-iommu counts it, so the two compare */
	ctr_add(&l->mapped_bytes, size);
	return 0;
}

/* mirrors s390_dma_free() */
static void legacy_free(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t size,
			uint64_t dma_addr)
{
	struct legacy *l = to_legacy(dev);

	size = page_align(size);
	ctr_sub(&l->allocated_pages, size >> ZPCI_PAGE_SHIFT);
	unmap_pages(l, cpu, dma_addr, size);
	ctr_add(&l->unmaps, 1);
}

static uint64_t sg_offset(const struct iommusim_sg *s)
{
	return s->phys & PAGE_MASK_LOW;
}

/* mirrors __s390_dma_map_sg(): one contiguous DMA range for a run of elements */
static int map_sg_run(struct iommusim_device *dev, struct legacy *l, struct iommusim_cpu *cpu,
		      const struct iommusim_sg *sg, uint64_t size, uint64_t *handle,
		      enum iommusim_dma_dir dir)
{
	uint64_t nr_pages = page_align(size) >> ZPCI_PAGE_SHIFT;
	uint64_t flags = dir_flags(dir);
	uint64_t base, dma_addr;
	const struct iommusim_sg *s;
	int ret;

	base = dma_alloc_address(dev, l, cpu, nr_pages);
	if (base == DMA_MAPPING_ERROR)
		return -ENOMEM;

	/*
	 * Each element is mapped from the start of its page; the run's elements after the first
	 * start on a page boundary and all but the last end on one, so the pieces tile the range.
	 */
	dma_addr = base;
	for (s = sg; dma_addr < base + size; s++) {
		ret = dma_update_trans_tables(l, cpu, s->phys & ~PAGE_MASK_LOW, dma_addr,
					      sg_offset(s) + s->length, flags);
		if (ret)
			goto unmap;
		dma_addr += sg_offset(s) + s->length;
	}
	/* One refresh for the whole run. */
	ret = dma_purge_tlb(l, cpu, base, size, flags);
	if (ret)
		goto unmap;

	*handle = base;
	ctr_add(&l->mapped_pages, nr_pages);
	return 0;

unmap:
	dma_update_trans(l, cpu, 0, base, dma_addr - base, ZPCI_PTE_INVALID);
	dma_free_address(l, cpu, base, nr_pages);
	return ret;
}

/* mirrors s390_dma_map_sg() */
static int legacy_map_sg(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			 struct iommusim_sg *sg, unsigned int nents, enum iommusim_dma_dir dir,
			 unsigned int *count_out)
{
	struct legacy *l = to_legacy(dev);
	uint64_t max = dev->max_seg_size;
	uint64_t size = sg_offset(&sg[0]) + sg[0].length;
	uint64_t offset = sg_offset(&sg[0]);
	uint64_t bytes = sg[0].length;
	unsigned int start = 0, dma = 0, count = 0, i;
	int ret;

	for (i = 1; i < nents; i++) {
		struct iommusim_sg *s = &sg[i];

		s->dma_length = 0;
		bytes += s->length;
		/* Extend the run only while it stays contiguous in DMA space and within max. */
		if (sg_offset(s) || (size & PAGE_MASK_LOW) || size + s->length > max) {
			ret = map_sg_run(dev, l, cpu, &sg[start], size, &sg[dma].dma_address, dir);
			if (ret)
				goto unmap;
			sg[dma].dma_address += offset;
			sg[dma].dma_length = size - offset;

			size = offset = sg_offset(s);
			start = i;
			dma++;
			count++;
		}
		size += s->length;
	}
	ret = map_sg_run(dev, l, cpu, &sg[start], size, &sg[dma].dma_address, dir);
	if (ret)
		goto unmap;
	sg[dma].dma_address += offset;
	sg[dma].dma_length = size - offset;

	*count_out = count + 1;
	ctr_add(&l->maps, 1);
	ctr_add(&l->mapped_bytes, bytes);
	return 0;

unmap:
	for (i = 0; i < count; i++) {
		unmap_pages(l, cpu, sg[i].dma_address, sg[i].dma_length);
		/* Not in the kernel: keeps a stray unmap_sg of the failed list harmless. */
		sg[i].dma_length = 0;
	}
	ctr_add(&l->map_failures, 1);
	return ret;
}

/* mirrors s390_dma_unmap_sg() */
static void legacy_unmap_sg(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			    struct iommusim_sg *sg, unsigned int nents, enum iommusim_dma_dir dir)
{
	struct legacy *l = to_legacy(dev);

	(void)dir;
	for (unsigned int i = 0; i < nents; i++) {
		if (sg[i].dma_length)
			unmap_pages(l, cpu, sg[i].dma_address, sg[i].dma_length);
		sg[i].dma_address = 0;
		sg[i].dma_length = 0;
	}
	ctr_add(&l->unmaps, 1);
}

static void legacy_get_stats(struct iommusim_device *dev, struct iommusim_dma_stats *out)
{
	struct legacy *l = to_legacy(dev);

	out->maps = ctr_read(&l->maps);
	out->unmaps = ctr_read(&l->unmaps);
	out->map_failures = ctr_read(&l->map_failures);
	out->mapped_bytes = ctr_read(&l->mapped_bytes);
}

static void legacy_free_state(struct legacy *l)
{
	size_t bytes = l->nwords * sizeof(uint64_t);

	if (l->table)
		isim_s390_table_destroy(l->table);
	if (l->iommu_bitmap)
		isim_free(l->mem, l->iommu_bitmap, bytes, 0);
	if (l->lazy_bitmap)
		isim_free(l->mem, l->lazy_bitmap, bytes, 0);
	isim_free(l->mem, l, sizeof(*l), 0);
}

/* mirrors zpci_dma_exit_device(): the table is deregistered before it is freed */
static void legacy_teardown(struct iommusim_device *dev)
{
	struct legacy *l = to_legacy(dev);

	(void)iommusim_firmware_set_ioat(l->zdev->fw, l->zdev->fh, 0, 0, NULL);
	legacy_free_state(l);
	dev->dma_ops = NULL;
	dev->dma_priv = NULL;
	dev->dma_teardown = NULL;
}

static const struct isim_dma_ops legacy_ops = {
	.map_page = legacy_map_page,
	.unmap_page = legacy_unmap_page,
	.map_sg = legacy_map_sg,
	.unmap_sg = legacy_unmap_sg,
	.alloc = legacy_alloc,
	.free = legacy_free,
	.get_stats = legacy_get_stats,
};

/* mirrors zpci_dma_init_device() */
int iommusim_s390_legacy_dma_setup(struct iommusim_device *dev,
				   const struct iommusim_s390_legacy_config *cfg)
{
	struct isim_zpci_dev *zdev;
	struct legacy *l;
	size_t bytes;
	int ret;

	assert(dev);
	zdev = isim_zpci_dev(dev);
	if (!zdev)
		return -EINVAL;
	if (dev->dma_ops)
		return -EBUSY;

	l = isim_zalloc(dev->mem, sizeof(*l), 0);
	if (!l)
		return -ENOMEM;
	l->zdev = zdev;
	l->mem = dev->mem;
	l->strict = cfg ? cfg->strict : false;
	/* iommusim_s390_device_init() already aligned and clamped the window as this does. */
	l->start_dma = zdev->start_dma;
	l->iommu_pages = (zdev->end_dma - zdev->start_dma + 1) >> ZPCI_PAGE_SHIFT;
	l->nwords = isim_bitmap_words(l->iommu_pages);
	isim_spin_init(&l->bitmap_lock);
	if (!l->iommu_pages) {
		/* A window smaller than a page has nothing to allocate. */
		ret = -EINVAL;
		goto fail;
	}

	ret = -ENOMEM;
	if (isim_s390_table_create(dev->mem, &l->table))
		goto fail;
	bytes = l->nwords * sizeof(uint64_t);
	l->iommu_bitmap = isim_zalloc(dev->mem, bytes, 0);
	if (!l->iommu_bitmap)
		goto fail;
	if (!l->strict) {
		l->lazy_bitmap = isim_zalloc(dev->mem, bytes, 0);
		if (!l->lazy_bitmap)
			goto fail;
	}
	/* zpci_register_ioat(): a refusal undoes the setup with the platform's error */
	ret = iommusim_firmware_set_ioat(zdev->fw, zdev->fh, zdev->start_dma, zdev->end_dma,
					 l->table);
	if (ret)
		goto fail;

	dev->dma_priv = l;
	dev->dma_ops = &legacy_ops;
	dev->dma_teardown = legacy_teardown;
	return 0;

fail:
	legacy_free_state(l);
	return ret;
}

int iommusim_s390_legacy_counters(struct iommusim_device *dev,
				  struct iommusim_s390_legacy_counters *out)
{
	struct legacy *l;

	assert(dev && out);
	if (dev->dma_ops != &legacy_ops)
		return -EINVAL;
	l = dev->dma_priv;
	out->mapped_pages = ctr_read(&l->mapped_pages);
	out->unmapped_pages = ctr_read(&l->unmapped_pages);
	out->allocated_pages = ctr_read(&l->allocated_pages);
	out->map_rpcits = ctr_read(&l->map_rpcits);
	out->unmap_rpcits = ctr_read(&l->unmap_rpcits);
	out->global_rpcits = ctr_read(&l->global_rpcits);
	out->wraps = ctr_read(&l->wraps);
	out->enomem_purges = ctr_read(&l->enomem_purges);
	out->unmap_errors = ctr_read(&l->unmap_errors);
	return 0;
}

int iommusim_s390_legacy_translate(struct iommusim_device *dev, uint64_t iova, uint64_t *phys,
				   int *prot)
{
	uint64_t pa;
	int p, ret;

	assert(dev);
	if (dev->dma_ops != &legacy_ops)
		return -EINVAL;
	ret = isim_s390_table_translate(((struct legacy *)dev->dma_priv)->table, iova, &pa, &p);
	if (ret)
		return ret;
	/* As iova_to_phys: the page's address plus the offset of @iova within it. */
	if (phys)
		*phys = pa | (iova & PAGE_MASK_LOW);
	if (prot)
		*prot = p;
	return 0;
}
