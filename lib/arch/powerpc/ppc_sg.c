/* SPDX-License-Identifier: MIT */
/*
 * Scatter-gather on a TCE table: ppc_iommu_map_sg() and ppc_iommu_unmap_sg() of
 * arch/powerpc/kernel/iommu.c. Each element gets entries of its own, the allocations sharing
 * one handle so that the next search starts where the last run ended; an element whose bus
 * address follows the previous one's end joins its output segment while the segment stays
 * within max_seg_size, unless iommu=novmerge. sources.md S21, S24.
 */
#include <errno.h>

#include "arch/powerpc/ppc_dma.h"

/* The largest element the model takes: beyond any table, never wrapping. */
#define MAX_ELEMENT (UINT64_C(1) << 62)

/* arch_dma_map_sg_direct(): every element below the bus limit (the kernel adds the offset
 * inside the page twice, and so does this). */
static bool sg_direct(const struct iommusim_device *dev, const struct isim_ppc_dev *p,
		      const struct iommusim_sg *sg, unsigned int nents)
{
	uint64_t page = UINT64_C(1) << p->page_shift;

	if (!dev->bus_dma_limit)
		return false;
	for (unsigned int i = 0; i < nents; i++)
		if (!isim_ppc_can_map_direct(dev, p,
					     sg[i].phys + (sg[i].phys & (page - 1)) + sg[i].length))
			return false;
	return true;
}

static void map_direct(struct isim_ppc_dev *p, struct iommusim_sg *sg, unsigned int nents)
{
	for (unsigned int i = 0; i < nents; i++) {
		sg[i].dma_address = sg[i].phys + p->dma_offset;
		sg[i].dma_length = sg[i].length;
	}
	p->direct_maps++;
}

/*
 * The failure path of ppc_iommu_map_sg(): free every output segment written so far, up to and
 * including @outs. An element whose TCEs failed had its entries allocated but not yet recorded
 * in a segment: like the kernel, this leaves them allocated.
 */
static void unwind(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, struct iommusim_sg *sg,
		   unsigned int nents, unsigned int outs)
{
	uint64_t mask = ~((UINT64_C(1) << tbl->page_shift) - 1);

	for (unsigned int i = 0; i < nents; i++) {
		if (sg[i].dma_length) {
			isim_ppc_iommu_free(tbl, cpu, sg[i].dma_address & mask,
					    isim_ppc_num_pages(sg[i].dma_address, sg[i].dma_length,
							       tbl->page_shift));
			sg[i].dma_length = 0;
		}
		if (i == outs)
			break;
	}
}

/* mirrors dma_iommu_map_sg() -> ppc_iommu_map_sg() */
int isim_ppc_iommu_map_sg(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			  struct iommusim_sg *sg, unsigned int nents, enum iommusim_dma_dir dir,
			  unsigned int *count)
{
	struct isim_ppc_dev *p = dev->dma_priv;
	struct isim_ppc_table *tbl = p->tbl;
	uint64_t page = UINT64_C(1) << p->page_shift, dma_next = 0, handle = 0, bytes = 0;
	unsigned int outs = 0, segstart = 0, outcount = 1;
	uint64_t tce_mask;

	if (!isim_ppc_valid_dir(dir) || nents == 0)
		return -EINVAL;
	for (unsigned int i = 0; i < nents; i++)
		if (sg[i].length > MAX_ELEMENT)
			return -EINVAL;
	if (sg_direct(dev, p, sg, nents)) {
		map_direct(p, sg, nents);
		*count = nents;
		for (unsigned int i = 0; i < nents; i++)
			bytes += sg[i].length;
		return isim_ppc_map_done(p, 0, bytes);
	}
	if (!tbl)
		return isim_ppc_map_done(p, -EINVAL, 0);
	tce_mask = ~((UINT64_C(1) << tbl->page_shift) - 1);
	sg[0].dma_length = 0;

	for (unsigned int i = 0; i < nents; i++) {
		struct iommusim_sg *s = &sg[i];
		uint64_t slen = s->length, npages, entry, dma_addr;
		unsigned int align = 0;
		int err;

		if (slen == 0) {
			dma_next = 0;
			continue;
		}
		npages = isim_ppc_num_pages(s->phys, slen, tbl->page_shift);
		if (tbl->page_shift < p->page_shift && slen >= page && !(s->phys & (page - 1)))
			align = p->page_shift - tbl->page_shift;
		err = iommusim_tce_alloc(tbl->alloc, cpu, npages, dev->dma_mask >> tbl->page_shift,
					 align, &handle, &entry);
		if (err) {
			unwind(tbl, cpu, sg, nents, outs);
			return isim_ppc_map_done(p, -EIO, 0);
		}
		dma_addr = (entry << tbl->page_shift) | (s->phys & ~tce_mask);
		err = isim_ppc_tce_set(tbl, cpu, entry, npages, s->phys & tce_mask, dir);
		if (err) {
			unwind(tbl, cpu, sg, nents, outs);
			return isim_ppc_map_done(p, err == -ENOMEM ? -ENOMEM : -EIO, 0);
		}
		if (segstart != i) {
			if (p->novmerge || dma_addr != dma_next ||
			    sg[outs].dma_length + slen > dev->max_seg_size) {
				segstart = i;
				outcount++;
				outs++;
			} else {
				sg[outs].dma_length += slen;
			}
		}
		if (segstart == i) {
			sg[outs].dma_address = dma_addr;
			sg[outs].dma_length = slen;
		}
		dma_next = dma_addr + slen;
		bytes += slen;
	}
	isim_ppc_tce_flush(tbl, cpu);
	/* the unmap walks segments until a zero length */
	if (outcount < nents)
		sg[outs + 1].dma_length = 0;
	*count = outcount;
	return isim_ppc_map_done(p, 0, bytes);
}

/* mirrors dma_iommu_unmap_sg() -> ppc_iommu_unmap_sg(), with arch_dma_unmap_sg_direct() */
void isim_ppc_iommu_unmap_sg(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			     struct iommusim_sg *sg, unsigned int nents, enum iommusim_dma_dir dir)
{
	struct isim_ppc_dev *p = dev->dma_priv;
	struct isim_ppc_table *tbl = p->tbl;
	bool direct = dev->bus_dma_limit != 0;

	(void)dir;
	p->st.unmaps++;
	for (unsigned int i = 0; direct && i < nents; i++)
		if (sg[i].dma_address + sg[i].length < p->dma_offset)
			direct = false;
	if (direct || !tbl)
		return;
	for (unsigned int i = 0; i < nents && sg[i].dma_length; i++)
		isim_ppc_iommu_free(
			tbl, cpu, sg[i].dma_address,
			isim_ppc_num_pages(sg[i].dma_address, sg[i].dma_length, tbl->page_shift));
	isim_ppc_tce_flush(tbl, cpu);
}
