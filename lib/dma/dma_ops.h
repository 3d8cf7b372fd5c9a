/* SPDX-License-Identifier: MIT */
/* struct dma_map_ops: what a DMA implementation (dma-iommu, legacy s390) provides. */
#ifndef ISIM_DMA_DMA_OPS_H
#define ISIM_DMA_DMA_OPS_H

#include <stdint.h>
#include <iommusim/dma.h>

struct isim_dma_ops {
	int (*map_page)(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t phys,
			uint64_t size, enum iommusim_dma_dir dir, uint64_t *dma_addr);
	void (*unmap_page)(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t dma_addr,
			   uint64_t size, enum iommusim_dma_dir dir);
	int (*map_sg)(struct iommusim_device *dev, struct iommusim_cpu *cpu, struct iommusim_sg *sg,
		      unsigned int nents, enum iommusim_dma_dir dir, unsigned int *count);
	void (*unmap_sg)(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			 struct iommusim_sg *sg, unsigned int nents, enum iommusim_dma_dir dir);
	int (*alloc)(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t phys,
		     uint64_t size, uint64_t *dma_addr);
	void (*free)(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t size,
		     uint64_t dma_addr);
	void (*get_stats)(struct iommusim_device *dev, struct iommusim_dma_stats *out);
};

#endif /* ISIM_DMA_DMA_OPS_H */
