/* SPDX-License-Identifier: MIT */
/**
 * @file iommu.h  The IOMMU core (drivers/iommu/iommu.c): paging domains, map and unmap with
 * page-size splitting, scatter-gather maps, the IOTLB gather and sync.
 *
 * A domain is created by an IOMMU driver (for example iommusim_s390_domain_create()); devices
 * are attached to it; the DMA layer, or a harness acting like vfio, maps and unmaps through
 * these calls. Semantics are those of Linux 6.7+, where a failing iotlb_sync_map() undoes the
 * map; IOMMUSIM_KERNEL_6_6 gives the earlier behaviour where its result was ignored.
 */
#ifndef IOMMUSIM_IOMMU_H
#define IOMMUSIM_IOMMU_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/cpu.h>
#include <iommusim/device.h>
#include <iommusim/export.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iommusim_domain;

/** enum iommusim_kernel - kernel version whose behaviour a layer follows where it changed. */
enum iommusim_kernel {
	/** Linux 6.7 and later (the default). */
	IOMMUSIM_KERNEL_6_7 = 0,
	/** Linux 6.6 and earlier. */
	IOMMUSIM_KERNEL_6_6,
};

/** Device may read (IOMMU_READ). */
#define IOMMUSIM_PROT_READ 0x1
/** Device may write (IOMMU_WRITE). */
#define IOMMUSIM_PROT_WRITE 0x2

/**
 * struct iommusim_iotlb_gather - struct iommu_iotlb_gather: what an unmap left to invalidate.
 * @start:  first IOVA to flush.
 * @end:    last IOVA to flush, inclusive; 0 means nothing gathered.
 * @pgsize: flush granule, for drivers that use one.
 * @queued: the flush will be done later by flush_iotlb_all (a flush queue), not iotlb_sync.
 */
struct iommusim_iotlb_gather {
	uint64_t start;
	uint64_t end;
	uint64_t pgsize;
	bool queued;
};

/**
 * struct iommusim_sg - one scatter-gather element.
 * @phys:        physical address of the data (page address plus offset).
 * @length:      bytes.
 * @dma_address: set by a DMA map: the bus address of this output segment.
 * @dma_length:  set by a DMA map: its length; 0 ends the list of output segments.
 */
struct iommusim_sg {
	uint64_t phys;
	uint64_t length;
	uint64_t dma_address;
	uint64_t dma_length;
};

/** iommusim_iotlb_gather_init() - iommu_iotlb_gather_init(): start = ~0, end = 0. */
IOMMUSIM_API void iommusim_iotlb_gather_init(struct iommusim_iotlb_gather *g);

/**
 * iommusim_iotlb_gather_add_range() - grow the gather to cover [iova, iova + size - 1]; the
 * result is one interval, so a gap between ranges is flushed too.
 */
IOMMUSIM_API void iommusim_iotlb_gather_add_range(struct iommusim_iotlb_gather *g, uint64_t iova,
						  uint64_t size);

/**
 * iommusim_iotlb_gather_is_disjoint() - the range neither overlaps nor touches a non-empty
 * gather (adjacent ranges are not disjoint).
 */
IOMMUSIM_API bool iommusim_iotlb_gather_is_disjoint(const struct iommusim_iotlb_gather *g,
						    uint64_t iova, uint64_t size);

/**
 * iommusim_iommu_pgsize() - iommu_pgsize(): the page size for the next piece of a map or
 * unmap of @size bytes at @iova -> @paddr, and in @count how many such pages to do at once.
 * Return: the page size, or 0 if the domain supports no size that fits (the kernel BUGs).
 */
IOMMUSIM_API uint64_t iommusim_iommu_pgsize(uint64_t pgsize_bitmap, uint64_t iova, uint64_t paddr,
					    uint64_t size, uint64_t *count);

/**
 * iommusim_iommu_attach_device() - attach @dev to @domain; drivers see it in the domain's
 * device list (read under RCU, so attach and detach are safe while maps run).
 * Return: 0; -EBUSY if @dev is attached to a domain already (or still being detached from
 * one); the driver's error if it refuses the device (the s390 driver: -ENODEV).
 */
IOMMUSIM_API int iommusim_iommu_attach_device(struct iommusim_domain *domain,
					      struct iommusim_device *dev);

/**
 * iommusim_iommu_detach_device() - detach @dev; returns once no reader can still see it.
 * Return: 0, or -ENOENT if @dev is not attached to @domain.
 */
IOMMUSIM_API int iommusim_iommu_detach_device(struct iommusim_domain *domain,
					      struct iommusim_device *dev);

/**
 * iommusim_iommu_map() - iommu_map(): map [iova, iova + size) to @paddr in page-size pieces,
 * then iotlb_sync_map. On any failure whatever was mapped is unmapped again (with an IOTLB
 * sync), and in 6.7 mode a failing iotlb_sync_map fails the map the same way.
 * Return: 0; -EINVAL for misaligned arguments; -ENODEV for a domain that cannot map (no
 * map_pages or no page sizes); the driver's error.
 */
IOMMUSIM_API int iommusim_iommu_map(struct iommusim_domain *domain, struct iommusim_cpu *cpu,
				    uint64_t iova, uint64_t paddr, uint64_t size, int prot);

/**
 * iommusim_iommu_map_sg() - iommu_map_sg(): map the elements back to back from @iova,
 * merging physically contiguous ones, with one iotlb_sync_map over the total.
 * @mapped: receives the bytes mapped (0 on failure).
 * Return: 0, or an error after unmapping everything this call mapped.
 */
IOMMUSIM_API int iommusim_iommu_map_sg(struct iommusim_domain *domain, struct iommusim_cpu *cpu,
				       uint64_t iova, const struct iommusim_sg *sg,
				       unsigned int nents, int prot, uint64_t *mapped);

/**
 * iommusim_iommu_unmap() - iommu_unmap(): unmap and sync the IOTLB.
 * Return: bytes unmapped (0 if @iova or @size is misaligned).
 */
IOMMUSIM_API uint64_t iommusim_iommu_unmap(struct iommusim_domain *domain, struct iommusim_cpu *cpu,
					   uint64_t iova, uint64_t size);

/**
 * iommusim_iommu_unmap_fast() - iommu_unmap_fast(): unmap, recording what to flush in @g;
 * the caller syncs (or queues the flush).
 * Return: bytes unmapped.
 */
IOMMUSIM_API uint64_t iommusim_iommu_unmap_fast(struct iommusim_domain *domain,
						struct iommusim_cpu *cpu, uint64_t iova,
						uint64_t size, struct iommusim_iotlb_gather *g);

/** iommusim_iommu_iotlb_sync() - iommu_iotlb_sync(): the driver's iotlb_sync, then re-init @g. */
IOMMUSIM_API void iommusim_iommu_iotlb_sync(struct iommusim_domain *domain,
					    struct iommusim_cpu *cpu,
					    struct iommusim_iotlb_gather *g);

/** iommusim_iommu_flush_iotlb_all() - iommu_flush_iotlb_all(): invalidate everything. */
IOMMUSIM_API void iommusim_iommu_flush_iotlb_all(struct iommusim_domain *domain,
						 struct iommusim_cpu *cpu);

/**
 * iommusim_iommu_translate() - what a device would see at @iova: iommu_iova_to_phys() plus
 * the permission.
 * @phys: receives the physical address (may be NULL).
 * @prot: receives IOMMUSIM_PROT_* (may be NULL).
 * Return: 0, or -EFAULT when @iova is not mapped (a device access there faults).
 */
IOMMUSIM_API int iommusim_iommu_translate(struct iommusim_domain *domain, uint64_t iova,
					  uint64_t *phys, int *prot);

/** iommusim_domain_pgsize_bitmap() - the page sizes the domain supports. */
IOMMUSIM_API uint64_t iommusim_domain_pgsize_bitmap(const struct iommusim_domain *domain);

/** iommusim_domain_aperture() - the domain's geometry; either pointer may be NULL. */
IOMMUSIM_API void iommusim_domain_aperture(const struct iommusim_domain *domain, uint64_t *start,
					   uint64_t *end);

/** iommusim_domain_devices() - number of devices attached. */
IOMMUSIM_API unsigned int iommusim_domain_devices(const struct iommusim_domain *domain);

/**
 * iommusim_domain_destroy() - free a domain (the driver's tables with it); every device must
 * have been detached (asserted). NULL is ignored.
 */
IOMMUSIM_API void iommusim_domain_destroy(struct iommusim_domain *domain);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_IOMMU_H */
