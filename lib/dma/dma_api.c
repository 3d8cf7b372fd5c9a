/* SPDX-License-Identifier: MIT */
/* The DMA API entry points: dispatch to the DMA ops installed on the device. */
#include <errno.h>

#include "core/domain_impl.h"
#include "dma/dma_ops.h"

int iommusim_dma_map_page(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t phys,
			  uint64_t size, enum iommusim_dma_dir dir, uint64_t *dma_addr)
{
	if (!dev->dma_ops)
		return -ENODEV;
	return dev->dma_ops->map_page(dev, cpu, phys, size, dir, dma_addr);
}

void iommusim_dma_unmap_page(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			     uint64_t dma_addr, uint64_t size, enum iommusim_dma_dir dir)
{
	if (dev->dma_ops)
		dev->dma_ops->unmap_page(dev, cpu, dma_addr, size, dir);
}

int iommusim_dma_map_sg(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			struct iommusim_sg *sg, unsigned int nents, enum iommusim_dma_dir dir,
			unsigned int *count)
{
	if (!dev->dma_ops)
		return -ENODEV;
	if (nents == 0)
		return -EINVAL;
	return dev->dma_ops->map_sg(dev, cpu, sg, nents, dir, count);
}

void iommusim_dma_unmap_sg(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			   struct iommusim_sg *sg, unsigned int nents, enum iommusim_dma_dir dir)
{
	if (dev->dma_ops && nents)
		dev->dma_ops->unmap_sg(dev, cpu, sg, nents, dir);
}

int iommusim_dma_alloc_coherent(struct iommusim_device *dev, struct iommusim_cpu *cpu,
				uint64_t phys, uint64_t size, uint64_t *dma_addr)
{
	if (!dev->dma_ops)
		return -ENODEV;
	if (size == 0 || (phys & 0xfff))
		return -EINVAL;
	return dev->dma_ops->alloc(dev, cpu, phys, size, dma_addr);
}

void iommusim_dma_free_coherent(struct iommusim_device *dev, struct iommusim_cpu *cpu,
				uint64_t size, uint64_t dma_addr)
{
	if (dev->dma_ops)
		dev->dma_ops->free(dev, cpu, size, dma_addr);
}

void iommusim_dma_get_stats(struct iommusim_device *dev, struct iommusim_dma_stats *out)
{
	*out = (struct iommusim_dma_stats){ 0 };
	if (dev->dma_ops && dev->dma_ops->get_stats)
		dev->dma_ops->get_stats(dev, out);
}
