/* SPDX-License-Identifier: MIT */
/**
 * @file s390.h  s390 PCI: zPCI functions, the s390 IOMMU paging domain of Linux 6.7+
 * (drivers/iommu/s390-iommu.c, 3-level translation tables, RPCIT through the firmware) and the
 * legacy s390 DMA API of Linux 6.6 and earlier (arch/s390/pci/pci_dma.c: a bitmap allocator
 * with one global RPCIT per wrap-around).
 */
#ifndef IOMMUSIM_S390_H
#define IOMMUSIM_S390_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/cpu.h>
#include <iommusim/device.h>
#include <iommusim/export.h>
#include <iommusim/firmware.h>
#include <iommusim/iommu.h>
#include <iommusim/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Reach of a 3-level (region-third rooted) table: 4 TiB (ZPCI_TABLE_SIZE_RT). */
#define IOMMUSIM_ZPCI_TABLE_SIZE_RT (1ull << 42)
/** Start of DMA addresses QEMU reports for a zPCI function (ZPCI_SDMA_ADDR, 4 GiB). */
#define IOMMUSIM_ZPCI_QEMU_START_DMA 0x100000000ull
/** End of DMA addresses QEMU reports (ZPCI_EDMA_ADDR). */
#define IOMMUSIM_ZPCI_QEMU_END_DMA 0x1ffffffffffffffull
/** aperture_factor value meaning s390_iommu_aperture=0: no limit from guest memory. */
#define IOMMUSIM_S390_APERTURE_UNLIMITED 0xffffffffu

/**
 * struct iommusim_zpci_config - a zPCI function as firmware (CLP) describes it, and the
 * kernel parameters that shape its DMA window.
 * @fh:               function handle; RPCITs carry it.
 * @tlb_refresh:      the hypervisor shadows the I/O tables (z/VM or KVM paging guest): new
 *                    mappings need an RPCIT too; sets the device's shadow_on_flush.
 * @ism:              an ISM function: no deferred flush, so its DMA domain is always strict.
 * @start_dma:        first usable DMA address (page aligned up by the kernel).
 * @end_dma:          last usable DMA address.
 * @guest_memory:     bytes of guest memory (virt_to_phys(high_memory)).
 * @aperture_factor:  s390_iommu_aperture=N: the window is at most N x guest memory; 0 means
 *                    the default 1, IOMMUSIM_S390_APERTURE_UNLIMITED means the kernel's 0.
 * @max_busy_retries: bound on RPCIT "busy" retries (the kernel retries forever); 0 = 10^6.
 */
struct iommusim_zpci_config {
	uint32_t fh;
	bool tlb_refresh;
	bool ism;
	uint64_t start_dma;
	uint64_t end_dma;
	uint64_t guest_memory;
	uint32_t aperture_factor;
	uint32_t max_busy_retries;
};

/**
 * iommusim_s390_device_init() - make @dev a zPCI function (zpci_init_iommu + probe_device):
 * start_dma page-aligned up, aperture = min(guest memory x factor, 4 TiB - start_dma,
 * end_dma - start_dma + 1), end_dma = start_dma + aperture - 1; shadow_on_flush = tlb_refresh;
 * deferred flush unless ISM.
 * Return: 0; -EINVAL if start_dma > end_dma or the window is empty; -EBUSY if already a zPCI
 * function; -ENOMEM.
 */
IOMMUSIM_API int iommusim_s390_device_init(struct iommusim_device *dev,
					   struct iommusim_firmware *fw,
					   const struct iommusim_zpci_config *cfg);

/** iommusim_s390_device_window() - the function's [start_dma, end_dma] after init. */
IOMMUSIM_API int iommusim_s390_device_window(const struct iommusim_device *dev, uint64_t *start_dma,
					     uint64_t *end_dma);

/**
 * iommusim_s390_domain_create() - s390_domain_alloc_paging(): a paging domain with a 3-level
 * table, aperture [0, 4 TiB - 1], 4 KiB pages only. Attach zPCI functions to it (directly, or
 * through iommusim_dma_iommu_setup()).
 * Return: 0 or -ENOMEM.
 */
IOMMUSIM_API int iommusim_s390_domain_create(struct iommusim_mem *mem, enum iommusim_kernel kernel,
					     struct iommusim_domain **out);

/**
 * enum iommusim_s390_enomem - what the paging domain does when the RPCIT for new mappings
 * answers "insufficient resources" (-ENOMEM from zpci_refresh_trans).
 */
enum iommusim_s390_enomem {
	/** Linux 6.7: a global RPCIT instead (lets the hypervisor drop stale entries). */
	IOMMUSIM_S390_ENOMEM_GLOBAL_FLUSH = 0,
	/** No answer: the error goes back and the DMA map fails. */
	IOMMUSIM_S390_ENOMEM_NONE,
	/**
	 * Earlier postings of the series: flush the DMA layer's flush queue (a global RPCIT per
	 * function, counted in global_rpcits, that also frees the queued IOVAs), then retry the
	 * ranged RPCIT once and fail the map if that fails too; a domain without a flush queue
	 * (strict, or not used through dma-iommu) only retries.
	 */
	IOMMUSIM_S390_ENOMEM_FLUSH_QUEUE,
};

/**
 * iommusim_s390_domain_set_enomem() - choose the domain's answer to "insufficient resources".
 * @domain: an s390 paging domain.
 * @mode:   the answer; the default is IOMMUSIM_S390_ENOMEM_GLOBAL_FLUSH.
 * Return: 0; -EINVAL if @domain is not an s390 domain or @mode is unknown.
 */
IOMMUSIM_API int iommusim_s390_domain_set_enomem(struct iommusim_domain *domain,
						 enum iommusim_s390_enomem mode);

/**
 * struct iommusim_s390_counters - struct zpci_iommu_ctrs of a paging domain (debugfs:
 * "Mapped pages", "Unmapped pages", "Global RPCITs", "Sync Map RPCITs", "Sync RPCITs"), plus
 * what the kernel does not count.
 * @enomem_global_rpcits: global RPCITs issued as the answer to an "insufficient resources"
 *                        map RPCIT (the kernel does not count them in global_rpcits).
 * @rpcit_errors:         RPCITs that failed (any error), per function.
 * @enomem_failures:      iotlb_sync_map calls that gave up on "insufficient resources" and
 *                        returned -ENOMEM (a 6.7+ core then fails the map; 6.6 ignores it):
 *                        every such answer with IOMMUSIM_S390_ENOMEM_NONE, a retry answered
 *                        so again with IOMMUSIM_S390_ENOMEM_FLUSH_QUEUE, a global RPCIT
 *                        answered so with IOMMUSIM_S390_ENOMEM_GLOBAL_FLUSH.
 */
struct iommusim_s390_counters {
	uint64_t mapped_pages;
	uint64_t unmapped_pages;
	uint64_t global_rpcits;
	uint64_t sync_map_rpcits;
	uint64_t sync_rpcits;
	uint64_t enomem_global_rpcits;
	uint64_t rpcit_errors;
	uint64_t enomem_failures;
};

/** iommusim_s390_domain_counters() - read a paging domain's counters. Return: 0 or -EINVAL. */
IOMMUSIM_API int iommusim_s390_domain_counters(struct iommusim_domain *domain,
					       struct iommusim_s390_counters *out);

/**
 * struct iommusim_s390_legacy_config - the legacy DMA API's parameters.
 * @strict: s390_iommu=strict: RPCIT on every unmap, no lazy bitmap, no global flush on wrap.
 */
struct iommusim_s390_legacy_config {
	bool strict;
};

/**
 * iommusim_s390_legacy_dma_setup() - install the Linux 6.6 s390 DMA ops on a zPCI function
 * (zpci_dma_init_device): its own table, a bitmap over [start_dma, end_dma], the lazy bitmap
 * unless strict.
 * Return: 0; -EINVAL if @dev is not a zPCI function; -EBUSY if it has DMA ops; -ENOMEM.
 */
IOMMUSIM_API int iommusim_s390_legacy_dma_setup(struct iommusim_device *dev,
						const struct iommusim_s390_legacy_config *cfg);

/**
 * struct iommusim_s390_legacy_counters - counters of the legacy DMA ops.
 * @mapped_pages, @unmapped_pages, @allocated_pages: the zdev counters of Linux 6.6.
 * @map_rpcits:     ranged RPCITs after a map (tlb_refresh functions only).
 * @unmap_rpcits:   ranged RPCITs after an unmap (strict only).
 * @global_rpcits:  global RPCITs: one per wrap-around in lazy mode, plus ENOMEM answers.
 * @wraps:          times the allocator wrapped to the start of the bitmap.
 * @enomem_purges:  "insufficient resources" map RPCITs answered by a global RPCIT and a purge.
 * @unmap_errors:   unmaps whose RPCIT failed; the kernel only logs them and keeps the
 *                  address allocated, so these addresses are lost until the device goes away.
 */
struct iommusim_s390_legacy_counters {
	uint64_t mapped_pages;
	uint64_t unmapped_pages;
	uint64_t allocated_pages;
	uint64_t map_rpcits;
	uint64_t unmap_rpcits;
	uint64_t global_rpcits;
	uint64_t wraps;
	uint64_t enomem_purges;
	uint64_t unmap_errors;
};

/** iommusim_s390_legacy_counters() - read them. Return: 0, or -EINVAL if not legacy ops. */
IOMMUSIM_API int iommusim_s390_legacy_counters(struct iommusim_device *dev,
					       struct iommusim_s390_legacy_counters *out);

/**
 * iommusim_s390_legacy_translate() - what @dev sees at @iova through the legacy table.
 * Return: 0; -EFAULT if not mapped; -EINVAL if @dev does not use the legacy ops.
 */
IOMMUSIM_API int iommusim_s390_legacy_translate(struct iommusim_device *dev, uint64_t iova,
						uint64_t *phys, int *prot);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_S390_H */
