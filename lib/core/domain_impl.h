/* SPDX-License-Identifier: MIT */
/*
 * What an IOMMU driver implements and what the core keeps per domain and per device: the
 * counterpart of struct iommu_domain_ops, struct iommu_ops' device hooks, struct iommu_domain
 * and the IOMMU part of struct device.
 */
#ifndef ISIM_CORE_DOMAIN_IMPL_H
#define ISIM_CORE_DOMAIN_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <iommusim/device.h>
#include <iommusim/iommu.h>

#include "base/rcu.h"

enum isim_resv_type {
	ISIM_RESV_DIRECT,
	ISIM_RESV_RESERVED,
	ISIM_RESV_MSI,
	ISIM_RESV_SW_MSI,
};

/* struct iommu_resv_region: an IOVA range a device must never be handed. */
struct isim_resv_region {
	uint64_t start;
	uint64_t length;
	enum isim_resv_type type;
};

#define ISIM_MAX_RESV_REGIONS 8

struct isim_domain_ops {
	/* Map @pgcount pages of @pgsize; *mapped gets the bytes done even on error. */
	int (*map_pages)(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
			 uint64_t paddr, uint64_t pgsize, uint64_t pgcount, int prot,
			 uint64_t *mapped);
	/* Unmap; record what needs flushing in @g. Returns bytes unmapped, 0 on error. */
	uint64_t (*unmap_pages)(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
				uint64_t pgsize, uint64_t pgcount, struct iommusim_iotlb_gather *g);
	void (*flush_iotlb_all)(struct iommusim_domain *d, struct iommusim_cpu *cpu);
	/* Optional. 6.7+: an error makes iommu_map() undo the map. */
	int (*iotlb_sync_map)(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
			      uint64_t size);
	/* Optional. */
	void (*iotlb_sync)(struct iommusim_domain *d, struct iommusim_cpu *cpu,
			   struct iommusim_iotlb_gather *g);
	int (*iova_to_phys)(struct iommusim_domain *d, uint64_t iova, uint64_t *phys, int *prot);
	/* Optional: refuse a device (negative errno). */
	int (*attach_dev)(struct iommusim_domain *d, struct iommusim_device *dev);
	/*
	 * Optional: undo what attach_dev set up outside the domain (s390: the table registered
	 * with the firmware). Called once the device is off the list, under devices_lock, before
	 * the grace period: readers may still issue calls for it, as in the kernel.
	 */
	void (*detach_dev)(struct iommusim_domain *d, struct iommusim_device *dev);
	/* Optional: the device's reserved regions (iommu_get_resv_regions); returns how many. */
	unsigned int (*get_resv_regions)(struct iommusim_device *dev, struct isim_resv_region *out,
					 unsigned int max);
	/* Free the driver's part and the domain itself. */
	void (*free)(struct iommusim_domain *d);
};

struct iommusim_domain {
	const struct isim_domain_ops *ops;
	struct iommusim_mem *mem;
	uint64_t pgsize_bitmap;
	uint64_t aperture_start;
	uint64_t aperture_end;
	bool force_aperture;
	enum iommusim_kernel kernel;
	/* Attached devices: read under RCU by drivers, changed under devices_lock. */
	struct cds_list_head devices;
	pthread_mutex_t devices_lock;
	unsigned int ndevices;
	/*
	 * dma-iommu's cookie (the IOVA domain and flush queues), when the DMA API uses the
	 * domain; it lives as long as the domain, and dma_cookie_free releases it.
	 */
	void *dma_cookie;
	void (*dma_cookie_free)(struct iommusim_domain *d);
	/*
	 * The one upward call from a driver into the DMA layer: flush dma-iommu's flush queue
	 * (one flush_iotlb_all, then every queued IOVA freed), the kernel's iommu_dma_flush_fq()
	 * that earlier postings of the s390 conversion called on "insufficient resources". Set
	 * by dma-iommu while the domain has a flush queue, NULL otherwise (strict, or no DMA
	 * layer). Written before the devices map and when the domain dies, so plain.
	 */
	void (*dma_flush_queue)(struct iommusim_domain *d, struct iommusim_cpu *cpu);
};

/* The IOMMU and DMA parts of struct device. */
struct iommusim_device {
	struct iommusim_mem *mem;
	char name[32];
	bool pci;
	uint64_t dma_mask;
	uint64_t coherent_dma_mask;
	uint64_t bus_dma_limit;
	uint64_t max_seg_size;
	uint64_t seg_boundary_mask;

	/* dev->iommu, set by the driver's probe */
	bool shadow_on_flush;
	/* iommu_capable(dev, IOMMU_CAP_DEFERRED_FLUSH); false forces a strict domain */
	bool deferred_flush;
	/* Sticky: cleared by the first failed 32-bit IOVA attempt. Threads race to clear it. */
	atomic_bool pci_32bit_workaround;

	/*
	 * The domain the device belongs to: claimed by attach with a compare-and-swap and
	 * released by detach only after the grace period, so no second attach can reuse
	 * domain_node while a reader may still be on it. linked says whether it is on the list.
	 */
	_Atomic(struct iommusim_domain *) domain;
	bool linked;
	struct cds_list_head domain_node;

	/* Driver's per-device state (a zPCI function) and how to free it. */
	void *iommu_priv;
	void (*iommu_priv_free)(struct iommusim_device *dev);

	/*
	 * The DMA API installed for the device (dma-iommu or legacy s390), and how it undoes its
	 * setup: the DMA layer registers the teardown when it installs its ops, so destroying a
	 * device needs nothing of that layer but this call.
	 */
	const struct isim_dma_ops *dma_ops;
	void *dma_priv;
	void (*dma_teardown)(struct iommusim_device *dev);
};

/* Set up the generic part of a domain the driver allocated. */
int isim_domain_init(struct iommusim_domain *d, const struct isim_domain_ops *ops,
		     struct iommusim_mem *mem, uint64_t pgsize_bitmap, uint64_t aperture_start,
		     uint64_t aperture_end, enum iommusim_kernel kernel);
/* Undo isim_domain_init (called by drivers' free). */
void isim_domain_fini(struct iommusim_domain *d);

/* Iterate the attached devices; the caller holds isim_rcu_read_lock(). */
#define isim_domain_for_each_device(d, dev)                                                        \
	isim_list_for_each_entry_rcu(dev, &(d)->devices, domain_node)

#endif /* ISIM_CORE_DOMAIN_IMPL_H */
