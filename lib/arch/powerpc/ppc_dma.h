/* SPDX-License-Identifier: MIT */
/*
 * The powerpc DMA operations: dma_iommu_ops of arch/powerpc/kernel/dma-iommu.c over the
 * TCE-table functions of arch/powerpc/kernel/iommu.c (iommu_map_page(), ppc_iommu_map_sg(),
 * iommu_alloc_coherent() and their frees), and the direct mapping a device uses when its
 * platform lets it bypass the TCEs (dma_ops_bypass: bus address = physical address + dma_offset,
 * no work per map). Installed on a device like dma-iommu: dev->dma_ops, dev->dma_priv,
 * dev->dma_teardown. Every map writes its TCEs at once and every unmap clears them at once:
 * powerpc has no lazy mode. docs/powerpc.md, sources.md S21, S22, S24.
 *
 * A device's table is used by one thread at a time (the allocator is), so these ops are too.
 */
#ifndef ISIM_ARCH_POWERPC_PPC_DMA_H
#define ISIM_ARCH_POWERPC_PPC_DMA_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/dma.h>

#include "arch/powerpc/ppc_table.h"
#include "core/domain_impl.h"
#include "dma/dma_ops.h"

/* get_order() limit of iommu_alloc_coherent(): orders from this up are refused. */
#define ISIM_PPC_IOMAP_MAX_ORDER 13u

/*
 * struct isim_ppc_platform_ops - what the platform contributes to dma_set_mask().
 * @bypass_supported: controller_ops.iommu_bypass_supported(): may a PCI device with @mask skip
 *     the TCEs? Called for every mask a driver sets. The platform may change the device's
 *     table, dma_offset and bus_dma_limit on the way (pSeries DDW does). Sets *@ok; returns 0,
 *     or -ENOMEM when the model ran out of memory (the platform has then fallen back as the
 *     kernel does on failure).
 */
struct isim_ppc_platform_ops {
	int (*bypass_supported)(void *arg, struct iommusim_device *dev, struct iommusim_cpu *cpu,
				uint64_t mask, bool *ok);
};

/*
 * struct isim_ppc_dma_config - how a device starts.
 * @tbl:        archdata.iommu_table_base (a reference is taken); NULL for none.
 * @dma_offset: archdata.dma_offset.
 * @page_shift: the kernel's PAGE_SHIFT: 16 (64 KiB pages, the ppc64 distributions) or 12.
 * @novmerge:   the iommu=novmerge boot option: map_sg never merges.
 * @ram_end:    end of RAM (max_pfn << PAGE_SHIFT), for dma_direct_get_required_mask(); 0 = 4 GiB.
 * @plat, @plat_arg: the platform's hook (NULL: no bypass ever).
 */
struct isim_ppc_dma_config {
	struct isim_ppc_table *tbl;
	uint64_t dma_offset;
	unsigned int page_shift;
	bool novmerge;
	uint64_t ram_end;
	const struct isim_ppc_platform_ops *plat;
	void *plat_arg;
};

/* What the powerpc DMA ops keep per device (dev->dma_priv). */
struct isim_ppc_dev {
	struct isim_ppc_table *tbl;
	uint64_t dma_offset;
	/* dma_ops_bypass: set by dma_set_mask() when the platform granted a bypass */
	bool bypass;
	unsigned int page_shift;
	bool novmerge;
	uint64_t ram_end;
	const struct isim_ppc_platform_ops *plat;
	void *plat_arg;
	struct iommusim_dma_stats st;
	/* maps that went straight to memory (bypass, or under bus_dma_limit) */
	uint64_t direct_maps;
};

/*
 * isim_ppc_dma_setup() - install the powerpc DMA ops on @dev (the TCE ops; dma_set_mask() may
 * switch to the direct ones).
 * Return: 0; -EINVAL (bad page shift); -EBUSY (@dev has DMA ops); -ENOMEM.
 */
int isim_ppc_dma_setup(struct iommusim_device *dev, const struct isim_ppc_dma_config *cfg);
/*
 * isim_ppc_dma_set_mask() - dma_set_mask() through dma_iommu_dma_supported(): the platform's
 * bypass first (for PCI devices), else the table must reach below @mask. Picks the direct ops
 * when the bypass covers RAM under the mask, the TCE ops otherwise.
 * Return: 0; -EIO (no window the mask can reach; the mask is unchanged); -ENODEV (not powerpc
 * ops); -EINVAL (fewer than 12 bits); -ENOMEM (the platform's model ran out of memory; the
 * mask is set as the kernel would have set it).
 */
int isim_ppc_dma_set_mask(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t mask);
/* dma_set_coherent_mask(): the same check for the coherent mask. */
int isim_ppc_dma_set_coherent_mask(struct iommusim_device *dev, struct iommusim_cpu *cpu,
				   uint64_t mask);

/* The device's state, NULL when @dev has no powerpc DMA ops. */
struct isim_ppc_dev *isim_ppc_dev(struct iommusim_device *dev);
/* set_iommu_table_base(): drop the old table's reference, take one on @tbl (may be NULL). */
void isim_ppc_dev_set_table(struct isim_ppc_dev *p, struct isim_ppc_table *tbl);
/* Whether @dev uses the direct ops now. */
bool isim_ppc_dma_is_direct(const struct iommusim_device *dev);

/* Shared by the files of the ops (ppc_dma.c, ppc_sg.c, ppc_direct.c). */
extern const struct isim_dma_ops isim_ppc_iommu_ops;
extern const struct isim_dma_ops isim_ppc_direct_ops;

/* iommu_num_pages(): TCE pages [@addr, @addr + @len) touches. */
static inline uint64_t isim_ppc_num_pages(uint64_t addr, uint64_t len, unsigned int shift)
{
	uint64_t page = UINT64_C(1) << shift;

	return ((addr & (page - 1)) + len + page - 1) >> shift;
}

/*
 * iommu_alloc(): entries under @mask (already >> page_shift) aligned to 2^@align_order, TCEs
 * written for @phys (TCE page aligned). *@entry gets the first (absolute) entry.
 * Return: 0; -ENOMEM (no room, or no memory for a TCE level page); -EIO (firmware refused,
 * the range is free again); -EINVAL (a request the allocator cannot take).
 */
int isim_ppc_iommu_alloc(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t phys,
			 uint64_t npages, enum iommusim_dma_dir dir, uint64_t mask,
			 unsigned int align_order, uint64_t *entry);
/* __iommu_free(): clear the TCEs and the bitmap; a range outside the table does nothing. */
void isim_ppc_iommu_free(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t dma_addr,
			 uint64_t npages);
/* dma-direct's dma_capable() for [@dma, @dma + @size) under @mask and the bus limit. */
bool isim_ppc_dma_capable(const struct iommusim_device *dev, uint64_t dma, uint64_t size,
			  uint64_t mask);
/* dma_go_direct(): bypass granted and @mask (with the bus limit) covers all of RAM. */
bool isim_ppc_go_direct(const struct iommusim_device *dev, const struct isim_ppc_dev *p,
			uint64_t mask);
/* The arch_dma_map_page_direct() test: a bus limit is set and reaches @end (a physical address). */
bool isim_ppc_can_map_direct(const struct iommusim_device *dev, const struct isim_ppc_dev *p,
			     uint64_t end);
/* Count a map call's outcome. */
int isim_ppc_map_done(struct isim_ppc_dev *p, int err, uint64_t bytes);
bool isim_ppc_valid_dir(enum iommusim_dma_dir dir);

int isim_ppc_iommu_map_sg(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			  struct iommusim_sg *sg, unsigned int nents, enum iommusim_dma_dir dir,
			  unsigned int *count);
void isim_ppc_iommu_unmap_sg(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			     struct iommusim_sg *sg, unsigned int nents, enum iommusim_dma_dir dir);
int isim_ppc_iommu_alloc_coherent(struct iommusim_device *dev, struct iommusim_cpu *cpu,
				  uint64_t phys, uint64_t size, uint64_t *dma_addr);
void isim_ppc_iommu_free_coherent(struct iommusim_device *dev, struct iommusim_cpu *cpu,
				  uint64_t size, uint64_t dma_addr);
void isim_ppc_get_stats(struct iommusim_device *dev, struct iommusim_dma_stats *out);

#endif /* ISIM_ARCH_POWERPC_PPC_DMA_H */
