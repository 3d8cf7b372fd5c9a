/* SPDX-License-Identifier: MIT */
/*
 * dma_iommu_ops of arch/powerpc/kernel/dma-iommu.c with the single-buffer and coherent paths of
 * arch/powerpc/kernel/iommu.c (iommu_alloc(), __iommu_free(), iommu_map_page(),
 * iommu_unmap_page(), iommu_alloc_coherent(), iommu_free_coherent()), dma_set_mask() through
 * dma_iommu_dma_supported(), and installing the ops on a device. Scatter-gather is ppc_sg.c, the
 * direct ops ppc_direct.c. sources.md S21, S24.
 *
 * Not modelled: swiotlb bouncing, fail_iommu fault injection, DMA attributes, the VIO bus.
 */
#include <errno.h>

#include "arch/powerpc/ppc_dma.h"
#include "base/bitops.h"
#include "base/memory.h"

/* The kernel's default required mask when nothing says where RAM ends. */
#define DEFAULT_RAM_END (UINT64_C(1) << 32)

bool isim_ppc_valid_dir(enum iommusim_dma_dir dir)
{
	return dir == IOMMUSIM_DMA_BIDIRECTIONAL || dir == IOMMUSIM_DMA_TO_DEVICE ||
	       dir == IOMMUSIM_DMA_FROM_DEVICE;
}

struct isim_ppc_dev *isim_ppc_dev(struct iommusim_device *dev)
{
	if (dev->dma_ops != &isim_ppc_iommu_ops && dev->dma_ops != &isim_ppc_direct_ops)
		return NULL;
	return dev->dma_priv;
}

bool isim_ppc_dma_is_direct(const struct iommusim_device *dev)
{
	return dev->dma_ops == &isim_ppc_direct_ops;
}

void isim_ppc_dev_set_table(struct isim_ppc_dev *p, struct isim_ppc_table *tbl)
{
	if (tbl)
		isim_ppc_table_get(tbl);
	isim_ppc_table_put(p->tbl);
	p->tbl = tbl;
}

int isim_ppc_map_done(struct isim_ppc_dev *p, int err, uint64_t bytes)
{
	if (err) {
		p->st.map_failures++;
	} else {
		p->st.maps++;
		p->st.mapped_bytes += bytes;
	}
	return err;
}

static uint64_t min_not_zero(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

bool isim_ppc_dma_capable(const struct iommusim_device *dev, uint64_t dma, uint64_t size,
			  uint64_t mask)
{
	uint64_t end = dma + size - 1;

	return end >= dma && end <= min_not_zero(mask, dev->bus_dma_limit);
}

/* mirrors dma_direct_get_required_mask(): all ones up to the last page of RAM on the bus */
static uint64_t required_mask(const struct isim_ppc_dev *p)
{
	uint64_t end = p->ram_end ? p->ram_end : DEFAULT_RAM_END;
	uint64_t page = UINT64_C(1) << p->page_shift;
	uint64_t max_dma = (end > page ? end - page : 0) + p->dma_offset, top;

	if (!max_dma)
		return 0;
	top = UINT64_C(1) << (isim_fls64(max_dma) - 1);
	return top + (top - 1);
}

/* mirrors dma_go_direct() for a device with DMA ops */
bool isim_ppc_go_direct(const struct iommusim_device *dev, const struct isim_ppc_dev *p,
			uint64_t mask)
{
	return p->bypass && min_not_zero(mask, dev->bus_dma_limit) >= required_mask(p);
}

/* mirrors can_map_direct() behind arch_dma_map_page_direct() */
bool isim_ppc_can_map_direct(const struct iommusim_device *dev, const struct isim_ppc_dev *p,
			     uint64_t end)
{
	return dev->bus_dma_limit && dev->bus_dma_limit >= end + p->dma_offset;
}

/* mirrors iommu_alloc() */
int isim_ppc_iommu_alloc(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t phys,
			 uint64_t npages, enum iommusim_dma_dir dir, uint64_t mask,
			 unsigned int align_order, uint64_t *entry)
{
	int err;

	err = iommusim_tce_alloc(tbl->alloc, cpu, npages, mask, align_order, NULL, entry);
	if (err)
		return err == -ENOSPC ? -ENOMEM : err;
	err = isim_ppc_tce_set(tbl, cpu, *entry, npages, phys, dir);
	if (err) {
		/* the firmware only refuses for a passing shortage: give the range back */
		isim_ppc_iommu_free(tbl, cpu, *entry << tbl->page_shift, npages);
		return err == -ENOMEM ? -ENOMEM : -EIO;
	}
	isim_ppc_tce_flush(tbl, cpu);
	return 0;
}

/* mirrors __iommu_free() with iommu_free_check() */
void isim_ppc_iommu_free(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t dma_addr,
			 uint64_t npages)
{
	uint64_t entry = dma_addr >> tbl->page_shift;

	if (entry < tbl->offset || entry - tbl->offset + npages > tbl->size)
		return;
	isim_ppc_tce_clear(tbl, cpu, entry, npages);
	(void)iommusim_tce_free(tbl->alloc, cpu, entry, npages);
}

/* The largest buffer the single and coherent paths take: far beyond any table, never wrapping. */
#define MAX_MAP_BYTES (UINT64_C(1) << 62)

/* mirrors dma_iommu_map_page() -> iommu_map_page(), with the arch's direct check in front */
static int ppc_map_page(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t phys,
			uint64_t size, enum iommusim_dma_dir dir, uint64_t *dma_addr)
{
	struct isim_ppc_dev *p = dev->dma_priv;
	struct isim_ppc_table *tbl = p->tbl;
	uint64_t page = UINT64_C(1) << p->page_shift, npages, entry;
	unsigned int align = 0;
	int err;

	if (!isim_ppc_valid_dir(dir) || size == 0 || size > MAX_MAP_BYTES)
		return -EINVAL;
	if (isim_ppc_can_map_direct(dev, p, phys + size)) {
		*dma_addr = phys + p->dma_offset;
		p->direct_maps++;
		return isim_ppc_map_done(p, 0, size);
	}
	if (!tbl)
		return isim_ppc_map_done(p, -EIO, 0);
	npages = isim_ppc_num_pages(phys, size, tbl->page_shift);
	/* a TCE page smaller than the kernel's: keep whole kernel pages aligned on the bus */
	if (tbl->page_shift < p->page_shift && size >= page && !(phys & (page - 1)))
		align = p->page_shift - tbl->page_shift;
	err = isim_ppc_iommu_alloc(tbl, cpu, phys & ~((UINT64_C(1) << tbl->page_shift) - 1), npages,
				   dir, dev->dma_mask >> tbl->page_shift, align, &entry);
	if (!err)
		*dma_addr = (entry << tbl->page_shift) |
			    (phys & ((UINT64_C(1) << tbl->page_shift) - 1));
	return isim_ppc_map_done(p, err, size);
}

/* mirrors dma_iommu_unmap_page() -> iommu_unmap_page() -> iommu_free() */
static void ppc_unmap_page(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t dma_addr,
			   uint64_t size, enum iommusim_dma_dir dir)
{
	struct isim_ppc_dev *p = dev->dma_priv;
	struct isim_ppc_table *tbl = p->tbl;

	(void)dir;
	p->st.unmaps++;
	/* arch_dma_unmap_page_direct(): under a bus limit, handles from the offset up are direct */
	if (dev->bus_dma_limit && dma_addr >= p->dma_offset)
		return;
	if (!tbl || size > MAX_MAP_BYTES)
		return;
	isim_ppc_iommu_free(tbl, cpu, dma_addr,
			    isim_ppc_num_pages(dma_addr, size, tbl->page_shift));
	isim_ppc_tce_flush(tbl, cpu);
}

/* mirrors iommu_alloc_coherent(): whole kernel pages, naturally aligned in the TCE space */
int isim_ppc_iommu_alloc_coherent(struct iommusim_device *dev, struct iommusim_cpu *cpu,
				  uint64_t phys, uint64_t size, uint64_t *dma_addr)
{
	struct isim_ppc_dev *p = dev->dma_priv;
	struct isim_ppc_table *tbl = p->tbl;
	uint64_t page = UINT64_C(1) << p->page_shift, tce, entry;
	unsigned int order, io_order;
	int err;

	if (size == 0 || size > MAX_MAP_BYTES || (phys & (page - 1)))
		return isim_ppc_map_done(p, -EINVAL, 0);
	size = (size + page - 1) & ~(page - 1);
	order = isim_fls64((size - 1) >> p->page_shift);
	/* the kernel refuses what it could not get as one block of pages */
	if (order >= ISIM_PPC_IOMAP_MAX_ORDER)
		return isim_ppc_map_done(p, -EINVAL, 0);
	if (!tbl)
		return isim_ppc_map_done(p, -EIO, 0);
	tce = UINT64_C(1) << tbl->page_shift;
	/* get_iommu_order(): the smallest power of two of TCEs holding the buffer */
	io_order = isim_fls64((size - 1) >> tbl->page_shift);
	err = isim_ppc_iommu_alloc(tbl, cpu, phys & ~(tce - 1), (size + tce - 1) >> tbl->page_shift,
				   IOMMUSIM_DMA_BIDIRECTIONAL,
				   dev->coherent_dma_mask >> tbl->page_shift, io_order, &entry);
	if (!err)
		*dma_addr = (entry << tbl->page_shift) | (phys & (tce - 1));
	return isim_ppc_map_done(p, err, size);
}

/* mirrors iommu_free_coherent() */
void isim_ppc_iommu_free_coherent(struct iommusim_device *dev, struct iommusim_cpu *cpu,
				  uint64_t size, uint64_t dma_addr)
{
	struct isim_ppc_dev *p = dev->dma_priv;
	struct isim_ppc_table *tbl = p->tbl;
	uint64_t page = UINT64_C(1) << p->page_shift, tce;

	p->st.unmaps++;
	if (!tbl || size == 0 || size > MAX_MAP_BYTES)
		return;
	tce = UINT64_C(1) << tbl->page_shift;
	size = (size + page - 1) & ~(page - 1);
	/* counted from the TCE holding the handle, whatever offset it carries */
	isim_ppc_iommu_free(tbl, cpu, dma_addr, (size + tce - 1) >> tbl->page_shift);
	isim_ppc_tce_flush(tbl, cpu);
}

void isim_ppc_get_stats(struct iommusim_device *dev, struct iommusim_dma_stats *out)
{
	*out = ((struct isim_ppc_dev *)dev->dma_priv)->st;
}

const struct isim_dma_ops isim_ppc_iommu_ops = {
	.map_page = ppc_map_page,
	.unmap_page = ppc_unmap_page,
	.map_sg = isim_ppc_iommu_map_sg,
	.unmap_sg = isim_ppc_iommu_unmap_sg,
	.alloc = isim_ppc_iommu_alloc_coherent,
	.free = isim_ppc_iommu_free_coherent,
	.get_stats = isim_ppc_get_stats,
};

static void ppc_teardown(struct iommusim_device *dev)
{
	struct isim_ppc_dev *p = dev->dma_priv;

	isim_ppc_table_put(p->tbl);
	dev->dma_ops = NULL;
	dev->dma_priv = NULL;
	dev->dma_teardown = NULL;
	isim_free(dev->mem, p, sizeof(*p), 0);
}

int isim_ppc_dma_setup(struct iommusim_device *dev, const struct isim_ppc_dma_config *cfg)
{
	struct isim_ppc_dev *p;

	if (!dev || !cfg || (cfg->page_shift != 12 && cfg->page_shift != 16))
		return -EINVAL;
	if (dev->dma_ops)
		return -EBUSY;
	p = isim_zalloc(dev->mem, sizeof(*p), 0);
	if (!p)
		return -ENOMEM;
	*p = (struct isim_ppc_dev){.dma_offset = cfg->dma_offset,
				   .page_shift = cfg->page_shift,
				   .novmerge = cfg->novmerge,
				   .ram_end = cfg->ram_end,
				   .plat = cfg->plat,
				   .plat_arg = cfg->plat_arg};
	isim_ppc_dev_set_table(p, cfg->tbl);
	dev->dma_priv = p;
	dev->dma_ops = &isim_ppc_iommu_ops;
	dev->dma_teardown = ppc_teardown;
	return 0;
}

/*
 * mirrors dma_iommu_dma_supported(): a PCI device first asks the platform for a bypass (which
 * is used only without a bus limit); otherwise the table must start below the mask.
 */
static int dma_supported(struct iommusim_device *dev, struct iommusim_cpu *cpu,
			 struct isim_ppc_dev *p, uint64_t mask, bool *ok)
{
	int err = 0;

	*ok = false;
	if (dev->pci && p->plat && p->plat->bypass_supported) {
		err = p->plat->bypass_supported(p->plat_arg, dev, cpu, mask, ok);
		if (*ok) {
			p->bypass = dev->bus_dma_limit == 0;
			return err;
		}
	}
	if (!p->tbl || p->tbl->offset > (mask >> p->tbl->page_shift))
		return err;
	p->bypass = false;
	*ok = true;
	return err;
}

/* After a mask changed: the direct ops when streaming maps may bypass, the TCE ops otherwise. */
static void pick_ops(struct iommusim_device *dev, struct isim_ppc_dev *p)
{
	dev->dma_ops = isim_ppc_go_direct(dev, p, dev->dma_mask) ? &isim_ppc_direct_ops
								 : &isim_ppc_iommu_ops;
}

static int set_mask(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t mask,
		    bool coherent)
{
	struct isim_ppc_dev *p = isim_ppc_dev(dev);
	bool ok;
	int err;

	if (!p)
		return -ENODEV;
	if (!cpu || mask < IOMMUSIM_DMA_BIT_MASK(12))
		return -EINVAL;
	err = dma_supported(dev, cpu, p, mask, &ok);
	if (ok) {
		if (coherent)
			dev->coherent_dma_mask = mask;
		else
			dev->dma_mask = mask;
	}
	pick_ops(dev, p);
	if (err)
		return err;
	return ok ? 0 : -EIO;
}

int isim_ppc_dma_set_mask(struct iommusim_device *dev, struct iommusim_cpu *cpu, uint64_t mask)
{
	return set_mask(dev, cpu, mask, false);
}

int isim_ppc_dma_set_coherent_mask(struct iommusim_device *dev, struct iommusim_cpu *cpu,
				   uint64_t mask)
{
	return set_mask(dev, cpu, mask, true);
}
