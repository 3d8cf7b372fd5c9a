/* SPDX-License-Identifier: MIT */
/* Devices: DMA masks and segment rules, the IOMMU flags, and the installed DMA ops. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/memory.h"
#include "core/domain_impl.h"

/* The kernel's defaults for a device whose driver sets nothing (include/linux/dma-mapping.h). */
#define DEFAULT_MASK	     IOMMUSIM_DMA_BIT_MASK(32)
#define DEFAULT_MAX_SEG_SIZE 65536ull
#define DEFAULT_SEG_BOUNDARY 0xffffffffull
/* dma_set_mask() refuses masks that cannot reach a page. */
#define MIN_MASK 0xfffull

int iommusim_device_create(struct iommusim_mem *mem, const struct iommusim_device_config *cfg,
			   struct iommusim_device **out)
{
	struct iommusim_device *dev;

	if (!mem || !cfg)
		return -EINVAL;
	dev = isim_zalloc(mem, sizeof(*dev), 0);
	if (!dev)
		return -ENOMEM;
	dev->mem = mem;
	if (cfg->name)
		snprintf(dev->name, sizeof(dev->name), "%s", cfg->name);
	dev->pci = cfg->pci;
	dev->dma_mask = cfg->dma_mask ? cfg->dma_mask : DEFAULT_MASK;
	dev->coherent_dma_mask = cfg->coherent_dma_mask ? cfg->coherent_dma_mask : DEFAULT_MASK;
	dev->bus_dma_limit = cfg->bus_dma_limit;
	dev->max_seg_size = cfg->max_seg_size ? cfg->max_seg_size : DEFAULT_MAX_SEG_SIZE;
	dev->seg_boundary_mask =
		cfg->seg_boundary_mask ? cfg->seg_boundary_mask : DEFAULT_SEG_BOUNDARY;
	/* Until a driver says otherwise a device can take a flush queue. */
	dev->deferred_flush = true;
	atomic_init(&dev->pci_32bit_workaround, false);
	atomic_init(&dev->domain, NULL);
	CDS_INIT_LIST_HEAD(&dev->domain_node);
	*out = dev;
	return 0;
}

void iommusim_device_destroy(struct iommusim_device *dev)
{
	if (!dev)
		return;
	if (dev->dma_teardown)
		dev->dma_teardown(dev);
	dev->dma_ops = NULL;
	dev->dma_teardown = NULL;
	if (atomic_load(&dev->domain))
		iommusim_iommu_detach_device(atomic_load(&dev->domain), dev);
	if (dev->iommu_priv_free)
		dev->iommu_priv_free(dev);
	isim_free(dev->mem, dev, sizeof(*dev), 0);
}

const char *iommusim_device_name(const struct iommusim_device *dev)
{
	return dev->name;
}

int iommusim_device_set_dma_mask(struct iommusim_device *dev, uint64_t mask)
{
	if (mask < MIN_MASK)
		return -EINVAL;
	dev->dma_mask = mask;
	return 0;
}

int iommusim_device_set_coherent_mask(struct iommusim_device *dev, uint64_t mask)
{
	if (mask < MIN_MASK)
		return -EINVAL;
	dev->coherent_dma_mask = mask;
	return 0;
}

uint64_t iommusim_device_dma_mask(const struct iommusim_device *dev)
{
	return dev->dma_mask;
}

bool iommusim_device_shadow_on_flush(const struct iommusim_device *dev)
{
	return dev->shadow_on_flush;
}

bool iommusim_device_pci_32bit_workaround(const struct iommusim_device *dev)
{
	return atomic_load(&((struct iommusim_device *)dev)->pci_32bit_workaround);
}
