/* SPDX-License-Identifier: MIT */
/*
 * The direct mapping a powerpc device uses once its platform lets it bypass the TCEs
 * (dev->dma_ops_bypass, taken by dma_map_*() when dma_go_direct() holds): a bus address is the
 * physical address plus archdata.dma_offset, and no TCE or firmware work happens per map. This
 * is dma-direct without swiotlb: an address the device cannot reach fails the map.
 * Coherent allocations go direct when the coherent mask covers RAM, through the TCE table
 * otherwise, as dma_alloc_direct() decides. sources.md S24.
 */
#include <errno.h>

#include "arch/powerpc/ppc_dma.h"

/* mirrors dma_direct_map_page() (without the bounce buffer) */
static int direct_map_page(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t phys,
			   uint64_t size, enum iommusim_dma_dir dir, uint64_t *dma_addr)
{
	struct isim_ppc_dev *p = dev->dma_priv;
	uint64_t dma = phys + p->dma_offset;

	(void)cpu;
	if (!isim_ppc_valid_dir(dir) || size == 0)
		return -EINVAL;
	if (!isim_ppc_dma_capable(dev, dma, size, dev->dma_mask))
		return isim_ppc_map_done(p, -EIO, 0);
	*dma_addr = dma;
	p->direct_maps++;
	return isim_ppc_map_done(p, 0, size);
}

static void direct_unmap_page(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			      uint64_t dma_addr, uint64_t size, enum iommusim_dma_dir dir)
{
	(void)cpu, (void)dma_addr, (void)size, (void)dir;
	((struct isim_ppc_dev *)dev->dma_priv)->st.unmaps++;
}

/* mirrors dma_direct_map_sg(): one output segment per element, nothing merged */
static int direct_map_sg(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			 struct iommusim_sg *sg, unsigned int nents, enum iommusim_dma_dir dir,
			 unsigned int *count)
{
	struct isim_ppc_dev *p = dev->dma_priv;
	uint64_t bytes = 0;

	(void)cpu;
	if (!isim_ppc_valid_dir(dir) || nents == 0)
		return -EINVAL;
	for (unsigned int i = 0; i < nents; i++) {
		uint64_t dma = sg[i].phys + p->dma_offset;

		if (!isim_ppc_dma_capable(dev, dma, sg[i].length ? sg[i].length : 1, dev->dma_mask))
			return isim_ppc_map_done(p, -EIO, 0);
		sg[i].dma_address = dma;
		sg[i].dma_length = sg[i].length;
		bytes += sg[i].length;
	}
	*count = nents;
	p->direct_maps++;
	return isim_ppc_map_done(p, 0, bytes);
}

static void direct_unmap_sg(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			    struct iommusim_sg *sg, unsigned int nents, enum iommusim_dma_dir dir)
{
	(void)cpu, (void)sg, (void)nents, (void)dir;
	((struct isim_ppc_dev *)dev->dma_priv)->st.unmaps++;
}

/* mirrors dma_alloc_attrs(): direct when the coherent mask reaches all of RAM, else the TCEs */
static int direct_alloc(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t phys,
			uint64_t size, uint64_t *dma_addr)
{
	struct isim_ppc_dev *p = dev->dma_priv;
	uint64_t dma = phys + p->dma_offset;

	if (!isim_ppc_go_direct(dev, p, dev->coherent_dma_mask))
		return isim_ppc_iommu_alloc_coherent(dev, cpu, phys, size, dma_addr);
	if (size == 0 || !isim_ppc_dma_capable(dev, dma, size, dev->coherent_dma_mask))
		return isim_ppc_map_done(p, -EIO, 0);
	*dma_addr = dma;
	p->direct_maps++;
	return isim_ppc_map_done(p, 0, size);
}

static void direct_free(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t size,
			uint64_t dma_addr)
{
	struct isim_ppc_dev *p = dev->dma_priv;

	if (!isim_ppc_go_direct(dev, p, dev->coherent_dma_mask)) {
		isim_ppc_iommu_free_coherent(dev, cpu, size, dma_addr);
		return;
	}
	p->st.unmaps++;
}

const struct isim_dma_ops isim_ppc_direct_ops = {
	.map_page = direct_map_page,
	.unmap_page = direct_unmap_page,
	.map_sg = direct_map_sg,
	.unmap_sg = direct_unmap_sg,
	.alloc = direct_alloc,
	.free = direct_free,
	.get_stats = isim_ppc_get_stats,
};
