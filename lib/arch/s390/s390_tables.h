/* SPDX-License-Identifier: MIT */
/*
 * s390 DMA translation tables (the table code of arch/s390/pci/pci_dma.c, moved to
 * drivers/iommu/s390-iommu.c in 6.7): region-third table -> segment tables -> page tables,
 * 2048 / 2048 / 256 entries, allocated on demand and freed only with the whole table. Shared
 * by the paging domain and the legacy DMA ops.
 */
#ifndef ISIM_DRIVERS_S390_TABLES_H
#define ISIM_DRIVERS_S390_TABLES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <iommusim/cpu.h>
#include <iommusim/firmware.h>
#include <iommusim/mem.h>

#define ZPCI_TABLE_ENTRIES 2048u
#define ZPCI_PT_ENTRIES	   256u
#define ZPCI_ST_SHIFT	   20
#define ZPCI_RT_SHIFT	   31
#define ZPCI_PAGE_SHIFT	   12
#define ZPCI_PAGE_SIZE	   4096ull

#define ZPCI_PTE_VALID_MASK    0x400ull
#define ZPCI_PTE_INVALID       0x400ull
#define ZPCI_PTE_VALID	       0x000ull
#define ZPCI_PTE_FLAG_MASK     0xfffull
#define ZPCI_TABLE_PROTECTED   0x200ull
#define ZPCI_TABLE_INVALID     0x20ull
#define ZPCI_TABLE_VALID       0x00ull
#define ZPCI_TABLE_VALID_MASK  0x20ull
#define ZPCI_TABLE_PROT_MASK   0x200ull
#define ZPCI_TABLE_UNPROTECTED 0x000ull
/* Region/segment entry type field: which kind of table the entry points to. */
#define ZPCI_TABLE_TYPE_MASK 0xcull
#define ZPCI_TABLE_TYPE_RTX  0x4ull
#define ZPCI_TABLE_TYPE_SX   0x0ull
/* Table length field of a region entry: a full 2048-entry segment table. */
#define ZPCI_TABLE_LEN_RTX     0x3ull
#define ZPCI_TABLE_OFFSET_MASK 0xc0ull
#define ZPCI_RTE_FLAG_MASK     0x3fffull
#define ZPCI_STE_FLAG_MASK     0x7ffull
#define ZPCI_PTE_ADDR_MASK     (~ZPCI_PTE_FLAG_MASK)

struct iommusim_s390_io_table;

/*
 * A PTE found by a walk, with the occupancy word of its page table, so that an update keeps
 * the summary right without another walk. @pte is NULL when the walk found no PTE.
 */
struct isim_s390_pte {
	_Atomic uint64_t *pte;
	_Atomic uint64_t *valid_word;
	uint64_t bit;
};

/* A root (region-third) table; 0 or -ENOMEM. */
int isim_s390_table_create(struct iommusim_mem *mem, struct iommusim_s390_io_table **out);
/* Free the root and every lower table. */
void isim_s390_table_destroy(struct iommusim_s390_io_table *t);

/*
 * dma_walk_cpu_trans(): the PTE for @iova, creating missing segment and page tables when
 * @alloc (each creation reported as MEM_ALLOC work); .pte NULL if a table is missing and
 * !@alloc, or allocation failed. Safe against concurrent walkers (lock-free install, as the
 * kernel's).
 */
struct isim_s390_pte isim_s390_table_walk(struct iommusim_s390_io_table *t,
					  struct iommusim_cpu *cpu, uint64_t iova, bool alloc);

/*
 * dma_update_cpu_trans(): validate the PTE for physical address @pa (ZPCI_PTE_VALID), or
 * invalidate it (ZPCI_PTE_INVALID); @protected adds ZPCI_TABLE_PROTECTED (device read-only).
 * Keeps the page table's occupancy summary in step. Reports a PTE_WRITE. Returns false if the
 * PTE was already in the requested state (the kernel WARNs), true otherwise.
 */
bool isim_s390_pte_update(struct iommusim_cpu *cpu, struct isim_s390_pte pte, uint64_t pa,
			  uint64_t valid_flag, bool protected);

/* What a device sees at @iova: 0 with the physical address and IOMMUSIM_PROT_*, or -EFAULT. */
int isim_s390_table_translate(const struct iommusim_s390_io_table *t, uint64_t iova, uint64_t *pa,
			      int *prot);

/* Tables allocated so far (segment + page tables, not the root). */
uint64_t isim_s390_table_count(const struct iommusim_s390_io_table *t);

/*
 * The raw entries on the path to @iova, as a platform model walking the guest's tables (or a
 * test) reads them: the region-third entry, the segment entry (ZPCI_TABLE_INVALID when the
 * region entry is invalid) and the PTE (ZPCI_PTE_INVALID when there is no page table). Their
 * origin bits are zero: the simulation does not give tables addresses. -EFAULT if @iova is
 * beyond the table's 4 TiB reach, else 0.
 */
int isim_s390_table_entries(const struct iommusim_s390_io_table *t, uint64_t iova, uint64_t *rte,
			    uint64_t *ste, uint64_t *pte);

enum isim_s390_seg_kind {
	ISIM_S390_SEG_REGION_INVALID, /* region-third entry invalid (or @iova >= 4 TiB) */
	ISIM_S390_SEG_INVALID,	      /* segment entry invalid: the 1 MiB is unmapped */
	ISIM_S390_SEG_PAGES,	      /* a page table: see @valid and @ptes */
};

/*
 * What a table walk finds for the 1 MiB segment holding @iova. For ISIM_S390_SEG_PAGES,
 * @valid receives the occupancy (bit i of valid[i / 64] set = PTE i valid) and *@ptes (if
 * @ptes is not NULL) the page table's 256 PTEs, to read targets and protection.
 *
 * The occupancy is a summary the kernel does not keep; it lets a hypervisor model walk a range
 * segment by segment. Each PTE write updates it right after the PTE, so while writers run
 * concurrently it may lag the PTEs by the writes in flight; once they are done (as they are
 * for the range of an RPCIT that follows them) it equals a scan of the PTEs. For the other
 * kinds @valid is all zero and *@ptes NULL.
 */
enum isim_s390_seg_kind isim_s390_table_segment(const struct iommusim_s390_io_table *t,
						uint64_t iova, uint64_t valid[4],
						const _Atomic uint64_t **ptes);

/*
 * How many segment entries in a row, from the one for @iova on and at most @max, are invalid
 * under a valid region entry, within that region's segment table: the 1 MiB segments a
 * platform model's walk can pass in one step. 0 when the region entry is invalid, @iova is
 * beyond the table's reach, or the first segment entry is valid.
 */
uint64_t isim_s390_table_invalid_segments(const struct iommusim_s390_io_table *t, uint64_t iova,
					  uint64_t max);

#endif /* ISIM_DRIVERS_S390_TABLES_H */
