/* SPDX-License-Identifier: MIT */
/**
 * @file device.h  A DMA-capable device as the guest kernel sees it.
 *
 * A device carries what the DMA layers consult: its streaming and coherent DMA masks, a bus
 * limit, its scatter-gather segment rules, the per-device IOMMU flags (`shadow_on_flush`, the
 * sticky `pci_32bit_workaround`), and the DMA operations installed for it (dma-iommu or the
 * legacy s390 ops). Platform-specific identity (a zPCI function handle, ...) is attached by the
 * IOMMU driver that probes it.
 */
#ifndef IOMMUSIM_DEVICE_H
#define IOMMUSIM_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/export.h>
#include <iommusim/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iommusim_device;

/** DMA_BIT_MASK(n) of the kernel, for 1 <= n <= 64. */
#define IOMMUSIM_DMA_BIT_MASK(n) ((n) >= 64 ? ~0ull : ((1ull << (n)) - 1))

/** enum iommusim_dma_dir - enum dma_data_direction. */
enum iommusim_dma_dir {
	IOMMUSIM_DMA_BIDIRECTIONAL = 0,
	IOMMUSIM_DMA_TO_DEVICE = 1,
	IOMMUSIM_DMA_FROM_DEVICE = 2,
	IOMMUSIM_DMA_NONE = 3,
};

/**
 * struct iommusim_device_config - a device's DMA properties.
 * @name:              for messages and reports; copied (at most 31 characters kept).
 * @pci:               a PCI device (dev_is_pci): makes dma-iommu try 32-bit IOVAs first
 *                     unless forcedac is set.
 * @dma_mask:          streaming DMA mask; 0 means DMA_BIT_MASK(32), the kernel's default.
 * @coherent_dma_mask: mask for coherent allocations; 0 means DMA_BIT_MASK(32).
 * @bus_dma_limit:     highest bus address the interconnect can reach; 0 means no limit.
 * @max_seg_size:      dma_get_max_seg_size(); 0 means 65536, the kernel's default.
 * @seg_boundary_mask: dma_get_seg_boundary(); 0 means 0xffffffff, the kernel's default.
 */
struct iommusim_device_config {
	const char *name;
	bool pci;
	uint64_t dma_mask;
	uint64_t coherent_dma_mask;
	uint64_t bus_dma_limit;
	uint64_t max_seg_size;
	uint64_t seg_boundary_mask;
};

/**
 * iommusim_device_create() - create a device with no DMA operations installed yet.
 * Return: 0, -EINVAL (NULL config or mem) or -ENOMEM.
 */
IOMMUSIM_API int iommusim_device_create(struct iommusim_mem *mem,
					const struct iommusim_device_config *cfg,
					struct iommusim_device **out);

/**
 * iommusim_device_destroy() - tear down the device's DMA operations, detach it from its
 * domain and free it (NULL is ignored). No DMA call on it may be running.
 */
IOMMUSIM_API void iommusim_device_destroy(struct iommusim_device *dev);

/** iommusim_device_name() - the name given at creation. */
IOMMUSIM_API const char *iommusim_device_name(const struct iommusim_device *dev);

/**
 * iommusim_device_set_dma_mask() - dma_set_mask(); @mask must have at least 12 bits.
 * Return: 0 or -EINVAL.
 */
IOMMUSIM_API int iommusim_device_set_dma_mask(struct iommusim_device *dev, uint64_t mask);

/** iommusim_device_set_coherent_mask() - dma_set_coherent_mask(). Return: 0 or -EINVAL. */
IOMMUSIM_API int iommusim_device_set_coherent_mask(struct iommusim_device *dev, uint64_t mask);

/** iommusim_device_dma_mask() - the streaming DMA mask. */
IOMMUSIM_API uint64_t iommusim_device_dma_mask(const struct iommusim_device *dev);

/** iommusim_device_shadow_on_flush() - whether the IOMMU driver set dev->iommu->shadow_on_flush. */
IOMMUSIM_API bool iommusim_device_shadow_on_flush(const struct iommusim_device *dev);

/**
 * iommusim_device_pci_32bit_workaround() - whether dma-iommu still tries 32-bit IOVAs first
 * for this device (cleared for good by the first failed attempt).
 */
IOMMUSIM_API bool iommusim_device_pci_32bit_workaround(const struct iommusim_device *dev);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_DEVICE_H */
