/* SPDX-License-Identifier: MIT */
/*
 * The DMA API entry points: dispatch to the DMA ops installed on the device.
 *
 * Every call dispatched to the ops reports its own part as one unit of IOMMUSIM_WORK_DMA_MAP
 * or IOMMUSIM_WORK_DMA_UNMAP, so whoever prices work prices the call whatever the caller.
 * The unit is reported just before the ops run, ahead of the work they report (IOVA
 * allocation, PTE writes) and of their firmware calls: a work hook that books time as it
 * hears of it (a simulated CPU) puts the call's part first, as the kernel spends it, and an
 * RPCIT inside the call reaches the platform after it. A call refused here (no DMA ops,
 * nothing to map) reaches no ops and reports nothing.
 */
#include <errno.h>

#include "base/cpu_work.h"
#include "core/domain_impl.h"
#include "dma/dma_ops.h"

int iommusim_dma_map_page(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t phys,
			  uint64_t size, enum iommusim_dma_dir dir, uint64_t *dma_addr)
{
	if (!dev->dma_ops)
		return -ENODEV;
	isim_work(cpu, IOMMUSIM_WORK_DMA_MAP, 1);
	return dev->dma_ops->map_page(dev, cpu, phys, size, dir, dma_addr);
}

void iommusim_dma_unmap_page(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			     uint64_t dma_addr, uint64_t size, enum iommusim_dma_dir dir)
{
	if (!dev->dma_ops)
		return;
	isim_work(cpu, IOMMUSIM_WORK_DMA_UNMAP, 1);
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
	isim_work(cpu, IOMMUSIM_WORK_DMA_MAP, 1);
	return dev->dma_ops->map_sg(dev, cpu, sg, nents, dir, count);
}

void iommusim_dma_unmap_sg(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			   struct iommusim_sg *sg, unsigned int nents, enum iommusim_dma_dir dir)
{
	if (!dev->dma_ops || !nents)
		return;
	isim_work(cpu, IOMMUSIM_WORK_DMA_UNMAP, 1);
	dev->dma_ops->unmap_sg(dev, cpu, sg, nents, dir);
}

int iommusim_dma_alloc_coherent(struct iommusim_device *dev, struct iommusim_cpu *cpu,
				uint64_t phys, uint64_t size, uint64_t *dma_addr)
{
	if (!dev->dma_ops)
		return -ENODEV;
	if (size == 0 || (phys & 0xfff))
		return -EINVAL;
	isim_work(cpu, IOMMUSIM_WORK_DMA_MAP, 1);
	return dev->dma_ops->alloc(dev, cpu, phys, size, dma_addr);
}

void iommusim_dma_free_coherent(struct iommusim_device *dev, struct iommusim_cpu *cpu,
				uint64_t size, uint64_t dma_addr)
{
	if (!dev->dma_ops)
		return;
	isim_work(cpu, IOMMUSIM_WORK_DMA_UNMAP, 1);
	dev->dma_ops->free(dev, cpu, size, dma_addr);
}

void iommusim_dma_get_stats(struct iommusim_device *dev, struct iommusim_dma_stats *out)
{
	*out = (struct iommusim_dma_stats){0};
	if (dev->dma_ops && dev->dma_ops->get_stats)
		dev->dma_ops->get_stats(dev, out);
}
