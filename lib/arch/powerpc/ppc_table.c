/* SPDX-License-Identifier: MIT */
/*
 * struct iommu_table with its TCE operations: creation as iommu_init_table() does it (the
 * allocator, the reserved range, the clear of every TCE), the reference count of
 * iommu_tce_table_get()/put(), and the dispatch of it_ops to the pSeries LPAR or PowerNV IODA2
 * code. sources.md S21, S22, S23.
 */
#include <errno.h>

#include "arch/powerpc/ppc_table.h"
#include "base/bitops.h"
#include "base/memory.h"

/* The PCI default segment boundary every device gets unless its driver sets another. */
#define PCI_SEG_BOUNDARY UINT64_C(0xffffffff)

static int check_config(const struct isim_ppc_table_config *cfg)
{
	uint64_t page;

	if (!cfg->mem || !cfg->fw)
		return -EINVAL;
	if (cfg->kind != ISIM_PPC_TABLE_LPAR && cfg->kind != ISIM_PPC_TABLE_IODA2)
		return -EINVAL;
	if (cfg->page_shift < IOMMUSIM_TCE_MIN_PAGE_SHIFT ||
	    cfg->page_shift > IOMMUSIM_TCE_MAX_PAGE_SHIFT)
		return -EINVAL;
	page = UINT64_C(1) << cfg->page_shift;
	if ((cfg->offset | cfg->size) & (page - 1))
		return -EINVAL;
	if (cfg->level_tces && !isim_is_pow2(cfg->level_tces))
		return -EINVAL;
	return 0;
}

/* mirrors iommu_table_setparms_common() + iommu_init_table() */
int isim_ppc_table_create(const struct isim_ppc_table_config *cfg, struct iommusim_cpu *cpu,
			  struct isim_ppc_table **out)
{
	struct iommusim_tce_config tcfg;
	struct isim_ppc_table *tbl;
	int err;

	if (!cfg || !cpu || !out)
		return -EINVAL;
	err = check_config(cfg);
	if (err)
		return err;
	tbl = isim_zalloc(cfg->mem, sizeof(*tbl), 0);
	if (!tbl)
		return -ENOMEM;
	*tbl = (struct isim_ppc_table){.mem = cfg->mem,
				       .fw = cfg->fw,
				       .kind = cfg->kind,
				       .liobn = cfg->liobn,
				       .pe = cfg->pe,
				       .offset = cfg->offset >> cfg->page_shift,
				       .size = cfg->size >> cfg->page_shift,
				       .page_shift = cfg->page_shift,
				       .put_tce_ind = cfg->put_tce_ind,
				       .stuff_tce = cfg->stuff_tce,
				       .refs = 1};
	tcfg = (struct iommusim_tce_config){
		.mem = cfg->mem,
		.offset = tbl->offset,
		.size = tbl->size,
		.page_shift = cfg->page_shift,
		.res_start = cfg->res_start,
		.res_end = cfg->res_end,
		.blocksize = ISIM_PPC_TCE_BLOCKSIZE,
		.seg_boundary_mask =
			cfg->seg_boundary_mask ? cfg->seg_boundary_mask : PCI_SEG_BOUNDARY,
	};
	err = iommusim_tce_table_create(&tcfg, &tbl->alloc);
	if (err)
		goto fail;
	if (tbl->kind == ISIM_PPC_TABLE_IODA2) {
		tbl->level_tces = cfg->level_tces ? cfg->level_tces : ISIM_PNV_LEVEL_TCES;
		tbl->nlevels = (tbl->size + tbl->level_tces - 1) / tbl->level_tces;
		tbl->levels = isim_zalloc(cfg->mem, tbl->nlevels * sizeof(*tbl->levels), 0);
		if (!tbl->levels) {
			err = -ENOMEM;
			goto fail;
		}
	}
	/*
	 * iommu_table_clear(): whatever firmware left in the window goes, TCE by TCE through the
	 * platform's clear. An IODA2 table is not on its PE's list yet, so no kill is sent.
	 */
	isim_ppc_tce_clear(tbl, cpu, tbl->offset, tbl->size);
	*out = tbl;
	return 0;
fail:
	iommusim_tce_table_destroy(tbl->alloc);
	isim_free(cfg->mem, tbl, sizeof(*tbl), 0);
	return err;
}

void isim_ppc_table_get(struct isim_ppc_table *tbl)
{
	tbl->refs++;
}

/* mirrors iommu_tce_table_put() and iommu_table_free() (the "Unexpected TCEs" warning aside) */
void isim_ppc_table_put(struct isim_ppc_table *tbl)
{
	if (!tbl || --tbl->refs)
		return;
	isim_ioda2_free_levels(tbl);
	iommusim_tce_table_destroy(tbl->alloc);
	isim_free(tbl->mem, tbl, sizeof(*tbl), 0);
}

void isim_ppc_table_link(struct isim_ppc_table *tbl, bool linked)
{
	tbl->linked = linked;
}

bool isim_ppc_table_in_use(const struct isim_ppc_table *tbl)
{
	return iommusim_tce_in_use(tbl->alloc);
}

/*
 * The TCE of a page: its real page number in place, plus permissions. pSeries always grants
 * read and adds write unless the device only reads memory (tce_build*_pSeriesLP); PowerNV
 * grants exactly what the direction needs (iommu_direction_to_tce_perm()).
 */
uint64_t isim_ppc_tce_value(const struct isim_ppc_table *tbl, uint64_t phys,
			    enum iommusim_dma_dir dir)
{
	uint64_t rpn = phys & ~((UINT64_C(1) << tbl->page_shift) - 1), perm;

	if (tbl->kind == ISIM_PPC_TABLE_LPAR) {
		perm = ISIM_TCE_READ;
		if (dir != IOMMUSIM_DMA_TO_DEVICE)
			perm |= ISIM_TCE_WRITE;
	} else {
		switch (dir) {
		case IOMMUSIM_DMA_BIDIRECTIONAL:
			perm = ISIM_TCE_READ | ISIM_TCE_WRITE;
			break;
		case IOMMUSIM_DMA_TO_DEVICE:
			perm = ISIM_TCE_READ;
			break;
		case IOMMUSIM_DMA_FROM_DEVICE:
			perm = ISIM_TCE_WRITE;
			break;
		default:
			perm = 0;
		}
	}
	return rpn | perm;
}

int isim_ppc_tce_set(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t entry,
		     uint64_t npages, uint64_t phys, enum iommusim_dma_dir dir)
{
	uint64_t tce = isim_ppc_tce_value(tbl, phys, dir);
	int err;

	tbl->st.set_calls++;
	if (tbl->kind == ISIM_PPC_TABLE_LPAR)
		err = isim_lpar_tce_set(tbl, cpu, entry, npages, tce);
	else
		err = isim_ioda2_tce_set(tbl, cpu, entry, npages, tce);
	if (err)
		tbl->st.set_failures++;
	return err;
}

void isim_ppc_tce_clear(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t entry,
			uint64_t npages)
{
	tbl->st.clear_calls++;
	if (tbl->kind == ISIM_PPC_TABLE_LPAR)
		isim_lpar_tce_clear(tbl, cpu, entry, npages);
	else
		isim_ioda2_tce_clear(tbl, cpu, entry, npages);
}

/* mirrors tce_get_pSeriesLP() and pnv_tce_get() */
uint64_t isim_ppc_tce_get(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t entry)
{
	uint64_t tce;

	if (tbl->kind == ISIM_PPC_TABLE_IODA2)
		return isim_ioda2_tce_get(tbl, entry);
	if (isim_ppc_h_get_tce(tbl->fw, cpu, tbl->liobn, entry << tbl->page_shift, &tce)) {
		tbl->st.fw_ignored++;
		return 0;
	}
	return tce;
}
