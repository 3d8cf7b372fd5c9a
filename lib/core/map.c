/* SPDX-License-Identifier: MIT */
/*
 * Map and unmap through a paging domain (drivers/iommu/iommu.c): page-size splitting,
 * undo on failure, scatter-gather runs, the gather and sync. Linux 6.7+ lets iotlb_sync_map
 * fail and undoes the map; 6.6 ignored its result.
 */
#include <errno.h>

#include "base/bitops.h"
#include "core/domain_impl.h"

static uint64_t genmask(unsigned int hi)
{
	return hi >= 63 ? ~0ull : ((1ull << (hi + 1)) - 1);
}

/* mirrors iommu_pgsize() */
uint64_t iommusim_iommu_pgsize(uint64_t pgsize_bitmap, uint64_t iova, uint64_t paddr, uint64_t size,
			       uint64_t *count)
{
	uint64_t addr_merge = iova | paddr, pgsizes, pgsize, next_size;
	unsigned int idx, next;

	/*
	 * A domain of one page size (s390's) is answered directly: the search below would find
	 * that size, or none, and no larger one to stop at. Every map and unmap asks.
	 */
	if (isim_is_pow2(pgsize_bitmap)) {
		if (size < pgsize_bitmap || (addr_merge & (pgsize_bitmap - 1))) {
			*count = 0;
			return 0;
		}
		*count = size >> isim_ffs64(pgsize_bitmap);
		return pgsize_bitmap;
	}
	/* Page sizes that fit in what is left, and that the addresses are aligned to. */
	pgsizes = pgsize_bitmap & genmask(isim_fls64(size) - 1);
	if (addr_merge)
		pgsizes &= genmask(isim_ffs64(addr_merge));
	if (!pgsizes || !size) {
		*count = 0;
		return 0;
	}
	idx = isim_fls64(pgsizes) - 1;
	pgsize = 1ull << idx;

	/*
	 * If a larger page size exists and the addresses are congruent modulo it, stop this run
	 * at its next boundary, provided a whole larger page follows, so the next call can use it.
	 */
	pgsizes = pgsize_bitmap & ~genmask(idx);
	if (pgsizes) {
		next = isim_ffs64(pgsizes);
		next_size = 1ull << next;
		if (!((iova ^ paddr) & (next_size - 1))) {
			uint64_t offset = next_size - (addr_merge & (next_size - 1));

			if (offset + next_size > offset && offset + next_size <= size)
				size = offset;
		}
	}
	*count = size >> idx;
	return pgsize;
}

static bool is_aligned(uint64_t x, uint64_t a)
{
	return (x & (a - 1)) == 0;
}

static uint64_t min_pagesz(const struct iommusim_domain *d)
{
	return 1ull << isim_ffs64(d->pgsize_bitmap);
}

/* mirrors __iommu_map() (iommu_map_nosync() in the newest kernels) */
static int map_nosync(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
		      uint64_t paddr, uint64_t size, int prot)
{
	uint64_t orig_iova = iova, orig_size = size;
	int ret = 0;

	if (!d->ops->map_pages || !d->pgsize_bitmap)
		return -ENODEV;
	if (!is_aligned(iova | paddr | size, min_pagesz(d)))
		return -EINVAL;

	while (size) {
		uint64_t count, mapped = 0;
		uint64_t pgsize =
			iommusim_iommu_pgsize(d->pgsize_bitmap, iova, paddr, size, &count);

		if (!pgsize) {
			ret = -EINVAL;
			break;
		}
		ret = d->ops->map_pages(d, cpu, iova, paddr, pgsize, count, prot, &mapped);
		/* What the driver did is subtracted even on error, so the undo covers it. */
		size -= mapped;
		if (ret)
			break;
		iova += mapped;
		paddr += mapped;
	}
	if (ret)
		iommusim_iommu_unmap(d, cpu, orig_iova, orig_size - size);
	return ret;
}

/* the driver's iotlb_sync_map; in 6.6 its result did not exist */
static int sync_map(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
		    uint64_t size)
{
	int ret;

	if (!d->ops->iotlb_sync_map)
		return 0;
	ret = d->ops->iotlb_sync_map(d, cpu, iova, size);
	return d->kernel == IOMMUSIM_KERNEL_6_6 ? 0 : ret;
}

/* mirrors iommu_map() */
int iommusim_iommu_map(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
		       uint64_t paddr, uint64_t size, int prot)
{
	int ret = map_nosync(d, cpu, iova, paddr, size, prot);

	if (ret)
		return ret;
	ret = sync_map(d, cpu, iova, size);
	if (ret)
		iommusim_iommu_unmap(d, cpu, iova, size);
	return ret;
}

/* mirrors iommu_map_sg(): physically contiguous elements are mapped as one run */
int iommusim_iommu_map_sg(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
			  const struct iommusim_sg *sg, unsigned int nents, int prot,
			  uint64_t *mapped_out)
{
	uint64_t mapped = 0, start = 0, len = 0;
	int ret = 0;

	*mapped_out = 0;
	for (unsigned int i = 0; i < nents; i++) {
		if (len && sg[i].phys != start + len) {
			ret = map_nosync(d, cpu, iova + mapped, start, len, prot);
			if (ret)
				goto undo;
			mapped += len;
			len = 0;
		}
		if (len) {
			len += sg[i].length;
		} else {
			start = sg[i].phys;
			len = sg[i].length;
		}
	}
	if (len) {
		ret = map_nosync(d, cpu, iova + mapped, start, len, prot);
		if (ret)
			goto undo;
		mapped += len;
	}
	/* One sync for the whole list, however many runs it took. */
	ret = sync_map(d, cpu, iova, mapped);
	if (ret)
		goto undo;
	*mapped_out = mapped;
	return 0;
undo:
	iommusim_iommu_unmap(d, cpu, iova, mapped);
	return ret;
}

/* mirrors __iommu_unmap() */
static uint64_t unmap_range(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
			    uint64_t size, struct iommusim_iotlb_gather *g)
{
	uint64_t unmapped = 0;

	if (!d->ops->unmap_pages || !d->pgsize_bitmap)
		return 0;
	if (!is_aligned(iova | size, min_pagesz(d)))
		return 0;
	while (unmapped < size) {
		uint64_t count, done;
		uint64_t pgsize = iommusim_iommu_pgsize(d->pgsize_bitmap, iova, iova,
							size - unmapped, &count);

		if (!pgsize)
			break;
		done = d->ops->unmap_pages(d, cpu, iova, pgsize, count, g);
		if (!done)
			break;
		iova += done;
		unmapped += done;
	}
	return unmapped;
}

/* mirrors iommu_unmap(): always syncs */
uint64_t iommusim_iommu_unmap(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
			      uint64_t size)
{
	struct iommusim_iotlb_gather g;
	uint64_t unmapped;

	iommusim_iotlb_gather_init(&g);
	unmapped = unmap_range(d, cpu, iova, size, &g);
	iommusim_iommu_iotlb_sync(d, cpu, &g);
	return unmapped;
}

/* mirrors iommu_unmap_fast() */
uint64_t iommusim_iommu_unmap_fast(struct iommusim_domain *d, struct iommusim_cpu *cpu,
				   uint64_t iova, uint64_t size, struct iommusim_iotlb_gather *g)
{
	return unmap_range(d, cpu, iova, size, g);
}

/* mirrors iommu_iotlb_sync() */
void iommusim_iommu_iotlb_sync(struct iommusim_domain *d, struct iommusim_cpu *cpu,
			       struct iommusim_iotlb_gather *g)
{
	if (d->ops->iotlb_sync)
		d->ops->iotlb_sync(d, cpu, g);
	iommusim_iotlb_gather_init(g);
}

/* mirrors iommu_flush_iotlb_all() */
void iommusim_iommu_flush_iotlb_all(struct iommusim_domain *d, struct iommusim_cpu *cpu)
{
	if (d->ops->flush_iotlb_all)
		d->ops->flush_iotlb_all(d, cpu);
}

int iommusim_iommu_translate(struct iommusim_domain *d, uint64_t iova, uint64_t *phys, int *prot)
{
	uint64_t pa = 0;
	int p = 0, ret;

	if (!d->ops->iova_to_phys)
		return -EFAULT;
	ret = d->ops->iova_to_phys(d, iova, &pa, &p);
	if (ret)
		return ret;
	if (phys)
		*phys = pa;
	if (prot)
		*prot = p;
	return 0;
}
