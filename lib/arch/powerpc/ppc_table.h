/* SPDX-License-Identifier: MIT */
/*
 * A powerpc DMA window as the kernel keeps it: struct iommu_table, that is the TCE allocator
 * (tce_table.c, tce_alloc.c) plus the platform's it_ops that write the TCEs. Two platforms:
 * pSeries LPAR (iommu_table_lpar_multi_ops: hypervisor calls through lib/firmware/ppc_firmware.h)
 * and PowerNV IODA2 (pnv_ioda2_iommu_ops: the kernel writes the TCEs in its own table and asks
 * OPAL to kill the PHB's TCE cache). docs/powerpc.md, sources.md S22, S23.
 *
 * A table is used by one thread at a time, like the allocator under it.
 */
#ifndef ISIM_ARCH_POWERPC_PPC_TABLE_H
#define ISIM_ARCH_POWERPC_PPC_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/cpu.h>
#include <iommusim/device.h>
#include <iommusim/mem.h>
#include <iommusim/tce.h>

#include "firmware/ppc_firmware.h"

/* Every powerpc platform sets it_blocksize to 16 (one 128-byte cache line of TCEs). */
#define ISIM_PPC_TCE_BLOCKSIZE 16u
/* TCEs in one level page of a PowerNV table unless the config says (one 4 KiB page). */
#define ISIM_PNV_LEVEL_TCES 512u

enum isim_ppc_table_kind {
	/* pSeries under a hypervisor: iommu_table_lpar_multi_ops */
	ISIM_PPC_TABLE_LPAR,
	/* PowerNV IODA2 (POWER8/9 PHB3/PHB4): pnv_ioda2_iommu_ops, kill through OPAL (PHB4) */
	ISIM_PPC_TABLE_IODA2,
};

/*
 * struct isim_ppc_table_config - what the platform code sets before iommu_init_table().
 * @fw:          the firmware the ops call.
 * @liobn:       it_index of a pSeries window (its LIOBN).
 * @pe:          the PE number a PowerNV TCE kill names.
 * @offset:      bus address of the window's first byte (a multiple of the TCE page).
 * @size:        bytes (a multiple of the TCE page).
 * @page_shift:  the TCE page.
 * @res_start, @res_end: absolute entries iommu_init_table() reserves (the 32-bit MMIO hole),
 *               clipped to the window; equal for none.
 * @put_tce_ind, @stuff_tce: FW_FEATURE_PUT_TCE_IND and FW_FEATURE_STUFF_TCE (both come from
 *               "hcall-multi-tce"; the multitce=off boot option clears both).
 * @seg_boundary_mask: the devices' DMA segment boundary; 0 means 0xffffffff, every PCI device's.
 * @level_tces:  IODA2: TCEs per level page of the table (a power of two; 0 = 512). The kernel
 *               allocates leaf level pages when a TCE in them is first written.
 */
struct isim_ppc_table_config {
	struct iommusim_mem *mem;
	struct isim_ppc_fw *fw;
	enum isim_ppc_table_kind kind;
	uint32_t liobn;
	uint32_t pe;
	uint64_t offset;
	uint64_t size;
	unsigned int page_shift;
	uint64_t res_start;
	uint64_t res_end;
	bool put_tce_ind;
	bool stuff_tce;
	uint64_t seg_boundary_mask;
	uint64_t level_tces;
};

/*
 * struct isim_ppc_table_stats - what the ops did and what the firmware refused.
 * @set_calls, @clear_calls: it_ops->set and ->clear calls.
 * @set_failures: sets that failed (the map fails and its range is freed).
 * @fw_ignored:   failed firmware calls the kernel only logs: a put or stuff that answered
 *                other than "not enough resources", every failed clear.
 */
struct isim_ppc_table_stats {
	uint64_t set_calls;
	uint64_t clear_calls;
	uint64_t set_failures;
	uint64_t fw_ignored;
};

struct isim_ppc_table {
	struct iommusim_mem *mem;
	struct isim_ppc_fw *fw;
	struct iommusim_tce_table *alloc;
	enum isim_ppc_table_kind kind;
	uint32_t liobn;
	uint32_t pe;
	uint64_t offset; /* it_offset: first entry (bus address >> page_shift) */
	uint64_t size;	 /* it_size: entries */
	unsigned int page_shift;
	bool put_tce_ind;
	bool stuff_tce;
	/* IODA2: on the PE's group list, so builds and frees kill the PHB's cached TCEs */
	bool linked;
	/* IODA2: the TCEs, one leaf of level_tces allocated on first write */
	uint64_t **levels;
	uint64_t nlevels;
	uint64_t level_tces;
	unsigned int refs;
	struct isim_ppc_table_stats st;
};

/*
 * isim_ppc_table_create() - iommu_init_table(): the allocator, the reserved range, and the
 * clear of the whole window the kernel does at boot (iommu_table_clear(), through it_ops->clear:
 * on pSeries H_STUFF_TCE in runs of 512, or one H_PUT_TCE per TCE without multi-TCE) on @cpu.
 * The table starts with one reference.
 * Return: 0; -EINVAL (a window the allocator cannot hold: more than 2^30 TCEs, ...); -ENOMEM.
 */
int isim_ppc_table_create(const struct isim_ppc_table_config *cfg, struct iommusim_cpu *cpu,
			  struct isim_ppc_table **out);
/* iommu_tce_table_get() / iommu_tce_table_put(): the last put frees the table. */
void isim_ppc_table_get(struct isim_ppc_table *tbl);
void isim_ppc_table_put(struct isim_ppc_table *tbl);
/* IODA2: the table joined (or left) its PE's group; only then are TCE kills sent. */
void isim_ppc_table_link(struct isim_ppc_table *tbl, bool linked);
/* iommu_table_in_use() */
bool isim_ppc_table_in_use(const struct isim_ppc_table *tbl);

/* The TCE value a platform writes for @phys (TCE page aligned) and @dir. */
uint64_t isim_ppc_tce_value(const struct isim_ppc_table *tbl, uint64_t phys,
			    enum iommusim_dma_dir dir);

/*
 * it_ops->set: write @npages TCEs from absolute entry @entry for [@phys, ...) (TCE page
 * aligned). Return: 0; the hypervisor's ISIM_H_NOT_ENOUGH_RESOURCES (the only answer the
 * kernel fails a map for; the TCEs written are cleared again); -ENOMEM (IODA2: no memory for
 * a level page).
 */
int isim_ppc_tce_set(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t entry,
		     uint64_t npages, uint64_t phys, enum iommusim_dma_dir dir);
/* it_ops->clear: clear @npages TCEs from @entry (errors are only counted, as the kernel logs). */
void isim_ppc_tce_clear(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t entry,
			uint64_t npages);
/* it_ops->get: the TCE at @entry (pSeries: H_GET_TCE, 0 when it fails). */
uint64_t isim_ppc_tce_get(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t entry);
/* it_ops->flush: neither platform has one (hypervisor calls and TCE kills act at once). */
static inline void isim_ppc_tce_flush(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu)
{
	(void)tbl;
	(void)cpu;
}

/* The pSeries LPAR ops (tce_lpar.c) and the IODA2 ops (tce_ioda2.c), behind the calls above. */
int isim_lpar_tce_set(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t entry,
		      uint64_t npages, uint64_t tce);
void isim_lpar_tce_clear(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t entry,
			 uint64_t npages);
/*
 * tce_setrange_multi_pSeriesLP(): map @len bytes of RAM from @start at @dma_base + @start of
 * window @liobn, in lists of 512 (one H_PUT_TCE each without @put_tce_ind), stopping at the
 * first error. tce_clearrange_multi_pSeriesLP()'s loop: clear @ntces TCEs from @ioba, 512 per
 * H_STUFF_TCE. Both serve the direct-mapped DDW. Return: 0 or the first error answer.
 */
long isim_lpar_setrange(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, bool put_tce_ind,
			uint32_t liobn, unsigned int tce_shift, uint64_t dma_base, uint64_t start,
			uint64_t len);
long isim_lpar_clearrange(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t liobn,
			  unsigned int tce_shift, uint64_t ioba, uint64_t ntces);
int isim_ioda2_tce_set(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t entry,
		       uint64_t npages, uint64_t tce);
void isim_ioda2_tce_clear(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t entry,
			  uint64_t npages);
uint64_t isim_ioda2_tce_get(const struct isim_ppc_table *tbl, uint64_t entry);
void isim_ioda2_free_levels(struct isim_ppc_table *tbl);

#endif /* ISIM_ARCH_POWERPC_PPC_TABLE_H */
