/* SPDX-License-Identifier: MIT */
/*
 * The TCE operations of a PowerNV IODA2 PHB (pnv_ioda2_iommu_ops of
 * arch/powerpc/platforms/powernv/pci-ioda.c over pnv_tce_build()/pnv_tce_free() of
 * pci-ioda-tce.c): the kernel writes the TCEs into its own table, whose leaf level pages it
 * allocates when a TCE in them is first written, then asks OPAL to drop the PHB's cached copies
 * of the range (PHB4; PHB3 writes its kill register directly, not modelled). sources.md S23.
 */
#include <errno.h>

#include "arch/powerpc/ppc_table.h"
#include "base/cpu_work.h"
#include "base/memory.h"

/* mirrors pnv_tce(): the slot of relative TCE @idx; a missing leaf is allocated if @alloc */
static uint64_t *tce_slot(struct isim_ppc_table *tbl, uint64_t idx, bool alloc)
{
	uint64_t **leaf = &tbl->levels[idx / tbl->level_tces];

	if (!*leaf) {
		if (!alloc)
			return NULL;
		*leaf = isim_zalloc(tbl->mem, tbl->level_tces * sizeof(**leaf), 0);
		if (!*leaf)
			return NULL;
	}
	return &(*leaf)[idx % tbl->level_tces];
}

/* mirrors pnv_pci_ioda2_tce_invalidate() on a PHB4: one OPAL_PCI_TCE_KILL of the pages */
static void invalidate(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t entry,
		       uint64_t npages)
{
	/* a table not yet on its PE's list has no PHB to tell */
	if (!tbl->linked)
		return;
	if (isim_ppc_opal_tce_kill(tbl->fw, cpu, tbl->pe, tbl->page_shift, entry << tbl->page_shift,
				   npages))
		tbl->st.fw_ignored++;
}

/*
 * mirrors pnv_ioda2_tce_build(): the TCEs, then the kill. A leaf that cannot be allocated ends
 * the build with -ENOMEM and no kill (the caller frees the range, which clears what was written).
 */
int isim_ioda2_tce_set(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t entry,
		       uint64_t npages, uint64_t tce)
{
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t *p = tce_slot(tbl, entry - tbl->offset + i, true);

		if (!p)
			return -ENOMEM;
		*p = tce + (i << tbl->page_shift);
		isim_work(cpu, IOMMUSIM_WORK_PTE_WRITE, 1);
	}
	invalidate(tbl, cpu, entry, npages);
	return 0;
}

/*
 * mirrors pnv_ioda2_tce_free(): zero the TCEs that have a leaf, then the kill. Like the kernel,
 * a missing leaf skips to the next multiple of the level size in the loop's own count.
 */
void isim_ioda2_tce_clear(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t entry,
			  uint64_t npages)
{
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t *p = tce_slot(tbl, entry - tbl->offset + i, false);

		if (p) {
			*p = 0;
			isim_work(cpu, IOMMUSIM_WORK_PTE_WRITE, 1);
		} else {
			i |= tbl->level_tces - 1;
		}
	}
	invalidate(tbl, cpu, entry, npages);
}

/* mirrors pnv_tce_get(): 0 where no leaf exists */
uint64_t isim_ioda2_tce_get(const struct isim_ppc_table *tbl, uint64_t entry)
{
	uint64_t idx = entry - tbl->offset;
	const uint64_t *leaf;

	if (entry < tbl->offset || idx >= tbl->size)
		return 0;
	leaf = tbl->levels[idx / tbl->level_tces];
	return leaf ? leaf[idx % tbl->level_tces] : 0;
}

void isim_ioda2_free_levels(struct isim_ppc_table *tbl)
{
	if (!tbl->levels)
		return;
	for (uint64_t i = 0; i < tbl->nlevels; i++)
		isim_free(tbl->mem, tbl->levels[i], tbl->level_tces * sizeof(uint64_t), 0);
	isim_free(tbl->mem, tbl->levels, tbl->nlevels * sizeof(*tbl->levels), 0);
	tbl->levels = NULL;
}
