/* SPDX-License-Identifier: MIT */
/*
 * s390 DMA translation tables: a region-third table (2048 entries, 2 GiB each) pointing to
 * segment tables (2048 entries, 1 MiB each) pointing to page tables (256 PTEs, 4 KiB each), as
 * the table code of drivers/iommu/s390-iommu.c (Linux 6.7) builds them.
 *
 * The entries hold the kernel's bit layout, so a platform model or a test can read them as the
 * hardware would. What they cannot hold is the origin of the lower table: the simulation gives
 * tables no addresses, so the origin bits stay zero and the host pointer of each lower table
 * sits in a side array beside the entries. Lower tables are installed lock-free: concurrent
 * walkers race with a compare-exchange on the side pointer (the kernel races on the entry
 * itself), the loser frees its copy, and the winner then makes the entry valid. Readers that
 * follow the entries (translate) see a valid entry only after its pointer is in place.
 *
 * Each page table also keeps an occupancy summary, one bit per PTE, that the kernel does not
 * have: it changes nothing the kernel layers see and lets a hypervisor model skip the empty
 * parts of a range a segment at a time. A PTE write updates its bit with an atomic or/and
 * right after the PTE, so writers of different PTEs of a page table never lose each other's
 * bits.
 */
#include <assert.h>
#include <errno.h>

#include "base/compiler.h"
#include "base/cpu_work.h"
#include "base/memory.h"
#include "arch/s390/s390_tables.h"

#include <iommusim/s390.h>

#define ZPCI_INDEX_MASK (ZPCI_TABLE_ENTRIES - 1)
#define ZPCI_PT_MASK	(ZPCI_PT_ENTRIES - 1)

#define ZPCI_PT_WORDS (ZPCI_PT_ENTRIES / 64)
_Static_assert(ZPCI_PT_WORDS == 4, "isim_s390_table_segment() reports four occupancy words");

/* 2 KiB of PTEs (ZPCI_PT_SIZE), then the occupancy: bit i of valid[i / 64] = PTE i valid. */
struct page_table {
	_Atomic uint64_t pte[ZPCI_PT_ENTRIES];
	_Atomic uint64_t valid[ZPCI_PT_WORDS];
};

/* 16 KiB of entries (ZPCI_TABLE_SIZE) plus 16 KiB of host pointers to the page tables. */
struct seg_table {
	_Atomic uint64_t ste[ZPCI_TABLE_ENTRIES];
	_Atomic(struct page_table *) pto[ZPCI_TABLE_ENTRIES];
};

/* The root: the region-third table and the host pointers to its segment tables. */
struct iommusim_s390_io_table {
	struct iommusim_mem *mem;
	/* segment + page tables installed (losers of an install race are not counted) */
	atomic_uint_fast64_t ntables;
	_Atomic uint64_t rte[ZPCI_TABLE_ENTRIES];
	_Atomic(struct seg_table *) sto[ZPCI_TABLE_ENTRIES];
};

static unsigned int calc_rtx(uint64_t iova)
{
	return (unsigned int)(iova >> ZPCI_RT_SHIFT) & ZPCI_INDEX_MASK;
}

static unsigned int calc_sx(uint64_t iova)
{
	return (unsigned int)(iova >> ZPCI_ST_SHIFT) & ZPCI_INDEX_MASK;
}

static unsigned int calc_px(uint64_t iova)
{
	return (unsigned int)(iova >> ZPCI_PAGE_SHIFT) & ZPCI_PT_MASK;
}

static bool reg_entry_isvalid(uint64_t entry)
{
	return (entry & ZPCI_TABLE_VALID_MASK) == ZPCI_TABLE_VALID;
}

static bool pt_entry_isvalid(uint64_t entry)
{
	return (entry & ZPCI_PTE_VALID_MASK) == ZPCI_PTE_VALID;
}

/*
 * The region-third entry for a new segment table, built from the invalid entry as the kernel
 * does (set_rt_sto, validate_rt_entry, entry_clr_protected) with a zero origin: valid, type
 * RTX, table length 0x3, unprotected.
 */
static uint64_t new_rte(void)
{
	uint64_t rte = ZPCI_TABLE_INVALID;

	rte &= ZPCI_RTE_FLAG_MASK;
	rte |= ZPCI_TABLE_TYPE_RTX;
	rte &= ~(ZPCI_TABLE_VALID_MASK | ZPCI_TABLE_OFFSET_MASK);
	rte |= ZPCI_TABLE_VALID | ZPCI_TABLE_LEN_RTX;
	rte &= ~ZPCI_TABLE_PROT_MASK;
	return rte | ZPCI_TABLE_UNPROTECTED;
}

/* The segment entry for a new page table (set_st_pto, validate_st_entry, unprotected). */
static uint64_t new_ste(void)
{
	uint64_t ste = ZPCI_TABLE_INVALID;

	ste &= ZPCI_STE_FLAG_MASK;
	ste |= ZPCI_TABLE_TYPE_SX;
	ste &= ~ZPCI_TABLE_VALID_MASK;
	ste |= ZPCI_TABLE_VALID;
	ste &= ~ZPCI_TABLE_PROT_MASK;
	return ste | ZPCI_TABLE_UNPROTECTED;
}

/* mirrors dma_alloc_cpu_table(): every entry invalid */
static struct seg_table *alloc_seg_table(struct iommusim_mem *mem)
{
	struct seg_table *st = isim_alloc(mem, sizeof(*st), ISIM_CACHELINE);

	if (!st)
		return NULL;
	for (unsigned int i = 0; i < ZPCI_TABLE_ENTRIES; i++) {
		atomic_init(&st->ste[i], ZPCI_TABLE_INVALID);
		atomic_init(&st->pto[i], NULL);
	}
	return st;
}

/* mirrors dma_alloc_page_table(): every PTE invalid */
static struct page_table *alloc_page_table(struct iommusim_mem *mem)
{
	struct page_table *pt = isim_alloc(mem, sizeof(*pt), ISIM_CACHELINE);

	if (!pt)
		return NULL;
	for (unsigned int i = 0; i < ZPCI_PT_ENTRIES; i++)
		atomic_init(&pt->pte[i], ZPCI_PTE_INVALID);
	for (unsigned int i = 0; i < ZPCI_PT_WORDS; i++)
		atomic_init(&pt->valid[i], 0);
	return pt;
}

int isim_s390_table_create(struct iommusim_mem *mem, struct iommusim_s390_io_table **out)
{
	struct iommusim_s390_io_table *t = isim_alloc(mem, sizeof(*t), ISIM_CACHELINE);

	if (!t)
		return -ENOMEM;
	t->mem = mem;
	atomic_init(&t->ntables, 0);
	for (unsigned int i = 0; i < ZPCI_TABLE_ENTRIES; i++) {
		atomic_init(&t->rte[i], ZPCI_TABLE_INVALID);
		atomic_init(&t->sto[i], NULL);
	}
	*out = t;
	return 0;
}

/* mirrors dma_cleanup_tables(); nobody may walk @t any more */
void isim_s390_table_destroy(struct iommusim_s390_io_table *t)
{
	if (!t)
		return;
	for (unsigned int rtx = 0; rtx < ZPCI_TABLE_ENTRIES; rtx++) {
		struct seg_table *st = atomic_load_explicit(&t->sto[rtx], memory_order_acquire);

		if (!st)
			continue;
		for (unsigned int sx = 0; sx < ZPCI_TABLE_ENTRIES; sx++) {
			struct page_table *pt =
				atomic_load_explicit(&st->pto[sx], memory_order_acquire);

			if (pt)
				isim_free(t->mem, pt, sizeof(*pt), ISIM_CACHELINE);
		}
		isim_free(t->mem, st, sizeof(*st), ISIM_CACHELINE);
	}
	isim_free(t->mem, t, sizeof(*t), ISIM_CACHELINE);
}

/*
 * A lower table is in use from the moment its pointer is published, so whoever obtains it
 * (winner, loser of the install race, or a later walker) makes sure the parent entry is
 * valid before writing through it. Otherwise a map could return while a translation of it
 * still stops at an invalid entry. The kernel gets this for free by publishing the table
 * origin and the valid bit with one cmpxchg of the entry; here the host pointer lives beside
 * the entry, and the entry's valid value is a constant that every party may store.
 */
static void make_valid(_Atomic uint64_t *entry, uint64_t valid)
{
	if (!reg_entry_isvalid(atomic_load_explicit(entry, memory_order_acquire)))
		atomic_store_explicit(entry, valid, memory_order_release);
}

/* mirrors dma_get_seg_table_origin() */
static struct seg_table *get_seg_table(struct iommusim_s390_io_table *t, struct iommusim_cpu *cpu,
				       unsigned int rtx, bool alloc)
{
	struct seg_table *st = atomic_load_explicit(&t->sto[rtx], memory_order_acquire);
	struct seg_table *theirs = NULL;

	if (!st) {
		if (!alloc)
			return NULL;
		st = alloc_seg_table(t->mem);
		if (!st)
			return NULL;
		isim_work(cpu, IOMMUSIM_WORK_MEM_ALLOC, 1);
		if (atomic_compare_exchange_strong_explicit(&t->sto[rtx], &theirs, st,
							    memory_order_acq_rel,
							    memory_order_acquire)) {
			atomic_fetch_add_explicit(&t->ntables, 1, memory_order_relaxed);
		} else {
			/* Another walker installed one first: use theirs. */
			isim_free(t->mem, st, sizeof(*st), ISIM_CACHELINE);
			isim_work(cpu, IOMMUSIM_WORK_MEM_FREE, 1);
			st = theirs;
		}
	}
	make_valid(&t->rte[rtx], new_rte());
	return st;
}

/* mirrors dma_get_page_table_origin() */
static struct page_table *get_page_table(struct iommusim_s390_io_table *t, struct iommusim_cpu *cpu,
					 struct seg_table *st, unsigned int sx, bool alloc)
{
	struct page_table *pt = atomic_load_explicit(&st->pto[sx], memory_order_acquire);
	struct page_table *theirs = NULL;

	if (!pt) {
		if (!alloc)
			return NULL;
		pt = alloc_page_table(t->mem);
		if (!pt)
			return NULL;
		isim_work(cpu, IOMMUSIM_WORK_MEM_ALLOC, 1);
		if (atomic_compare_exchange_strong_explicit(&st->pto[sx], &theirs, pt,
							    memory_order_acq_rel,
							    memory_order_acquire)) {
			atomic_fetch_add_explicit(&t->ntables, 1, memory_order_relaxed);
		} else {
			isim_free(t->mem, pt, sizeof(*pt), ISIM_CACHELINE);
			isim_work(cpu, IOMMUSIM_WORK_MEM_FREE, 1);
			pt = theirs;
		}
	}
	make_valid(&st->ste[sx], new_ste());
	return pt;
}

/* mirrors dma_walk_cpu_trans(); like the kernel's index arithmetic, @iova wraps at 4 TiB */
struct isim_s390_pte isim_s390_table_walk(struct iommusim_s390_io_table *t,
					  struct iommusim_cpu *cpu, uint64_t iova, bool alloc)
{
	struct isim_s390_pte ref = {.pte = NULL};
	unsigned int px = calc_px(iova);
	struct seg_table *st;
	struct page_table *pt;

	st = get_seg_table(t, cpu, calc_rtx(iova), alloc);
	if (!st)
		return ref;
	pt = get_page_table(t, cpu, st, calc_sx(iova), alloc);
	if (!pt)
		return ref;
	ref.pte = &pt->pte[px];
	ref.valid_word = &pt->valid[px / 64];
	ref.bit = 1ull << (px % 64);
	return ref;
}

/* mirrors dma_update_cpu_trans() */
bool isim_s390_pte_update(struct iommusim_cpu *cpu, struct isim_s390_pte ref, uint64_t pa,
			  uint64_t valid_flag, bool protected)
{
	_Atomic uint64_t *pte = ref.pte;
	uint64_t old = atomic_load_explicit(pte, memory_order_relaxed), val = old;
	bool changed;

	if (valid_flag & ZPCI_PTE_INVALID) {
		/* The address stays behind in an invalid PTE, as in the kernel. */
		changed = pt_entry_isvalid(old);
		val = (val & ~ZPCI_PTE_VALID_MASK) | ZPCI_PTE_INVALID;
	} else {
		changed = !pt_entry_isvalid(old);
		val = (val & ZPCI_PTE_FLAG_MASK) | (pa & ZPCI_PTE_ADDR_MASK);
		val = (val & ~ZPCI_PTE_VALID_MASK) | ZPCI_PTE_VALID;
	}
	val &= ~ZPCI_TABLE_PROT_MASK;
	val |= protected ? ZPCI_TABLE_PROTECTED : ZPCI_TABLE_UNPROTECTED;
	/* A full barrier, as the kernel's xchg: the flush that follows must see the entry. */
	atomic_exchange(pte, val);
	/*
	 * After the PTE, so a reader that sees a bit set (acquire) sees the valid PTE too. The
	 * summary follows the value written, not the change, so a repeated write keeps it right.
	 */
	if (pt_entry_isvalid(val))
		atomic_fetch_or_explicit(ref.valid_word, ref.bit, memory_order_release);
	else
		atomic_fetch_and_explicit(ref.valid_word, ~ref.bit, memory_order_release);
	isim_work(cpu, IOMMUSIM_WORK_PTE_WRITE, 1);
	return changed;
}

int isim_s390_table_entries(const struct iommusim_s390_io_table *t, uint64_t iova, uint64_t *rte,
			    uint64_t *ste, uint64_t *pte)
{
	struct iommusim_s390_io_table *tt = (struct iommusim_s390_io_table *)t;
	unsigned int rtx = calc_rtx(iova), sx = calc_sx(iova);
	struct seg_table *st;
	struct page_table *pt;

	*rte = *ste = ZPCI_TABLE_INVALID;
	*pte = ZPCI_PTE_INVALID;
	if (iova >= IOMMUSIM_ZPCI_TABLE_SIZE_RT)
		return -EFAULT;
	/* Follow the entries as the hardware does; a valid entry's table pointer is published. */
	*rte = atomic_load_explicit(&tt->rte[rtx], memory_order_acquire);
	if (!reg_entry_isvalid(*rte))
		return 0;
	st = atomic_load_explicit(&tt->sto[rtx], memory_order_acquire);
	*ste = atomic_load_explicit(&st->ste[sx], memory_order_acquire);
	if (!reg_entry_isvalid(*ste))
		return 0;
	pt = atomic_load_explicit(&st->pto[sx], memory_order_acquire);
	*pte = atomic_load_explicit(&pt->pte[calc_px(iova)], memory_order_acquire);
	return 0;
}

/*
 * the table walk of s390_iommu_iova_to_phys(), plus the permission; like the 6.7 driver it
 * gives the page's address, without the offset of @iova in the page
 */
int isim_s390_table_translate(const struct iommusim_s390_io_table *t, uint64_t iova, uint64_t *pa,
			      int *prot)
{
	uint64_t rte, ste, pte;

	if (isim_s390_table_entries(t, iova, &rte, &ste, &pte) || !pt_entry_isvalid(pte))
		return -EFAULT;
	*pa = pte & ZPCI_PTE_ADDR_MASK;
	*prot = IOMMUSIM_PROT_READ;
	if ((pte & ZPCI_TABLE_PROT_MASK) != ZPCI_TABLE_PROTECTED)
		*prot |= IOMMUSIM_PROT_WRITE;
	return 0;
}

uint64_t isim_s390_table_count(const struct iommusim_s390_io_table *t)
{
	struct iommusim_s390_io_table *tt = (struct iommusim_s390_io_table *)t;

	return atomic_load_explicit(&tt->ntables, memory_order_relaxed);
}

/* What isim_s390_table_segment() reports for a segment without a page table. */
static enum isim_s390_seg_kind no_page_table(enum isim_s390_seg_kind kind, uint64_t valid[4],
					     const _Atomic uint64_t **ptes)
{
	for (unsigned int i = 0; i < ZPCI_PT_WORDS; i++)
		valid[i] = 0;
	if (ptes)
		*ptes = NULL;
	return kind;
}

enum isim_s390_seg_kind isim_s390_table_segment(const struct iommusim_s390_io_table *t,
						uint64_t iova, uint64_t valid[4],
						const _Atomic uint64_t **ptes)
{
	struct iommusim_s390_io_table *tt = (struct iommusim_s390_io_table *)t;
	unsigned int rtx = calc_rtx(iova), sx = calc_sx(iova);
	struct seg_table *st;
	struct page_table *pt;

	if (iova >= IOMMUSIM_ZPCI_TABLE_SIZE_RT)
		return no_page_table(ISIM_S390_SEG_REGION_INVALID, valid, ptes);
	/* The same path as isim_s390_table_entries(): entries first, pointers once valid. */
	if (!reg_entry_isvalid(atomic_load_explicit(&tt->rte[rtx], memory_order_acquire)))
		return no_page_table(ISIM_S390_SEG_REGION_INVALID, valid, ptes);
	st = atomic_load_explicit(&tt->sto[rtx], memory_order_acquire);
	if (!reg_entry_isvalid(atomic_load_explicit(&st->ste[sx], memory_order_acquire)))
		return no_page_table(ISIM_S390_SEG_INVALID, valid, ptes);
	pt = atomic_load_explicit(&st->pto[sx], memory_order_acquire);
	/* written out: a platform's walk asks once per segment, and a loop of atomics stays one */
	valid[0] = atomic_load_explicit(&pt->valid[0], memory_order_acquire);
	valid[1] = atomic_load_explicit(&pt->valid[1], memory_order_acquire);
	valid[2] = atomic_load_explicit(&pt->valid[2], memory_order_acquire);
	valid[3] = atomic_load_explicit(&pt->valid[3], memory_order_acquire);
	if (ptes)
		*ptes = pt->pte;
	return ISIM_S390_SEG_PAGES;
}

uint64_t isim_s390_table_invalid_segments(const struct iommusim_s390_io_table *t, uint64_t iova,
					  uint64_t max)
{
	struct iommusim_s390_io_table *tt = (struct iommusim_s390_io_table *)t;
	unsigned int rtx = calc_rtx(iova), sx = calc_sx(iova);
	const struct seg_table *st;
	uint64_t n = 0;

	if (iova >= IOMMUSIM_ZPCI_TABLE_SIZE_RT ||
	    !reg_entry_isvalid(atomic_load_explicit(&tt->rte[rtx], memory_order_acquire)))
		return 0;
	st = atomic_load_explicit(&tt->sto[rtx], memory_order_acquire);
	while (n < max && sx + n < ZPCI_TABLE_ENTRIES &&
	       !reg_entry_isvalid(atomic_load_explicit(&st->ste[sx + n], memory_order_acquire)))
		n++;
	return n;
}
