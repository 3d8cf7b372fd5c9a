/* SPDX-License-Identifier: MIT */
/*
 * The mock IOMMU driver of mock_iommu.h: its page table and the ops that use it, map, unmap
 * and translate (the rest is in mock_iommu_domain.c). The page table is a radix tree of
 * 512-entry tables indexed by the IOVA's minimum-size page number, interior tables installed
 * with a compare-and-swap, so mapping and unmapping take no lock; the log, the injected
 * failures and the hooks live under one mutex.
 *
 * A PTE holds the physical address of its minimum-size page, a valid bit, the protection and
 * log2 of the size of the page it was mapped as, which lets unmap tell a page cut in two.
 */
#include "mock_iommu_impl.h"

/* ---------------------------------------------------------------------------------------- */
/* The page table                                                                            */

/* The PTE of the minimum-size page at @iova; NULL if its table is absent and not @create. */
static _Atomic uint64_t *pte_of(struct mock *m, uint64_t iova, bool create)
{
	uint64_t pfn = iova >> m->shift;
	struct table *t = m->root;

	for (unsigned int l = m->levels - 1; l > 0; l--) {
		_Atomic(struct table *) *slot = &t->next[(pfn >> (LVL_BITS * l)) & (LVL_SIZE - 1)];
		struct table *next = atomic_load(slot);

		if (!next) {
			struct table *fresh;

			if (!create)
				return NULL;
			fresh = isim_zalloc(m->pub.dom.mem, sizeof(*fresh), 0);
			if (!fresh)
				return NULL;
			/* Another thread may have installed one meanwhile: use the winner. */
			if (atomic_compare_exchange_strong(slot, &next, fresh))
				next = fresh;
			else
				isim_free(m->pub.dom.mem, fresh, sizeof(*fresh), 0);
		}
		t = next;
	}
	return &t->pte[pfn & (LVL_SIZE - 1)];
}

/* Along consecutive minimum-size pages: one walk to the leaf table for each 512 of them. */
struct pte_cursor {
	bool valid;
	uint64_t block; /* pfn >> LVL_BITS of the leaf below */
	struct table *leaf;
};

static _Atomic uint64_t *cursor_pte(struct mock *m, struct pte_cursor *c, uint64_t iova,
				    bool create)
{
	uint64_t pfn = iova >> m->shift, i = pfn & (LVL_SIZE - 1);

	if (!c->valid || c->block != pfn >> LVL_BITS || (create && !c->leaf)) {
		_Atomic uint64_t *pte = pte_of(m, iova, create);

		c->valid = true;
		c->block = pfn >> LVL_BITS;
		/* the PTEs are the table's first member: entry i is i entries into it */
		c->leaf = pte ? (struct table *)(void *)(pte - i) : NULL;
	}
	return c->leaf ? &c->leaf->pte[i] : NULL;
}

void mock_table_free(struct mock *m, struct table *t, unsigned int level)
{
	if (level > 0)
		for (unsigned int i = 0; i < LVL_SIZE; i++) {
			struct table *next = atomic_load(&t->next[i]);

			if (next)
				mock_table_free(m, next, level - 1);
		}
	isim_free(m->pub.dom.mem, t, sizeof(*t), 0);
}

static void contract_error(struct mock *m)
{
	atomic_fetch_add(&m->errors, 1);
}

static bool in_aperture(const struct mock *m, uint64_t iova, uint64_t size)
{
	const struct iommusim_domain *d = &m->pub.dom;

	if (!d->force_aperture)
		return true;
	return iova >= d->aperture_start && size && iova + size - 1 >= iova &&
	       iova + size - 1 <= d->aperture_end;
}

/* A page size the domain supports, and an address aligned to it. */
static bool pgsize_ok(const struct mock *m, uint64_t pgsize, uint64_t addr)
{
	return pgsize && !(pgsize & (pgsize - 1)) && (m->pub.dom.pgsize_bitmap & pgsize) &&
	       !(addr & (pgsize - 1));
}

static void charge(struct iommusim_cpu *cpu, uint64_t pages)
{
	if (cpu)
		isim_work(cpu, IOMMUSIM_WORK_PTE_WRITE, pages);
}

/* ---------------------------------------------------------------------------------------- */
/* The driver                                                                                */

/* How many pages of the call to map before failing with the returned errno (0: all). */
static int map_injected(struct mock *m, uint64_t iova, uint64_t paddr, uint64_t pgsize,
			uint64_t pgcount, uint64_t *pages)
{
	mock_map_fault *fault;
	void *arg;
	int err = 0;

	*pages = pgcount;
	if (atomic_load(&m->map_fail_armed)) {
		pthread_mutex_lock(&m->lock);
		if (m->map_fail_err && m->map_fail_skip) {
			m->map_fail_skip--;
		} else if (m->map_fail_err) {
			err = m->map_fail_err;
			m->map_fail_err = 0;
			atomic_store(&m->map_fail_armed, false);
			*pages = m->map_fail_pages < pgcount ? m->map_fail_pages : pgcount;
		}
		pthread_mutex_unlock(&m->lock);
	}
	arg = atomic_load(&m->map_fault_arg);
	fault = atomic_load(&m->map_fault);
	if (!err && fault) {
		err = fault(arg, iova, paddr, pgsize, pgcount, pages);
		if (*pages > pgcount)
			*pages = pgcount;
	}
	return err;
}

int mock_map_pages(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
		   uint64_t paddr, uint64_t pgsize, uint64_t pgcount, int prot, uint64_t *mapped)
{
	struct mock *m = mock_of(d);
	uint64_t small = 1ull << m->shift, limit, pages = 0, flags;
	struct pte_cursor cur = {0};
	int err;

	*mapped = 0;
	mock_log_call(m,
		      (struct mock_call){.kind = MOCK_CALL_MAP_PAGES,
					 .iova = iova,
					 .paddr = paddr,
					 .pgsize = pgsize,
					 .pgcount = pgcount,
					 .prot = prot},
		      cpu);
	if (!pgsize_ok(m, pgsize, iova | paddr) || !in_aperture(m, iova, pgsize * pgcount)) {
		contract_error(m);
		return -EINVAL;
	}
	err = map_injected(m, iova, paddr, pgsize, pgcount, &pages);
	limit = pages * pgsize;
	flags = PTE_VALID | ((uint64_t)prot & PTE_PROT_MASK) << PTE_PROT_SHIFT |
		(uint64_t)log2_of(pgsize) << PTE_SIZE_SHIFT;
	for (uint64_t off = 0; off < limit; off += small) {
		_Atomic uint64_t *pte = cursor_pte(m, &cur, iova + off, true);
		uint64_t none = 0;

		if (!pte) {
			err = -ENOMEM;
			break;
		}
		if (!atomic_compare_exchange_strong(pte, &none, (paddr + off) | flags)) {
			contract_error(m);
			err = -EEXIST;
			break;
		}
		*mapped += small;
	}
	/* once per call: the threads would fight over the counter's line page by page */
	atomic_fetch_add(&m->mapped, *mapped >> m->shift);
	charge(cpu, *mapped >> m->shift);
	return err;
}

/*
 * Clears the pages in [@a, @a + @size), all of which must lie inside it; false if none was
 * mapped or one belongs to a page that crosses an end (which is left alone).
 */
static bool unmap_unit(struct mock *m, struct pte_cursor *cur, uint64_t a, uint64_t size,
		       uint64_t *cleared)
{
	uint64_t small = 1ull << m->shift;
	bool found = false;

	for (uint64_t off = 0; off < size; off += small) {
		_Atomic uint64_t *pte = cursor_pte(m, cur, a + off, false);
		uint64_t v = pte ? atomic_load(pte) : 0, leaf, base;

		if (!(v & PTE_VALID))
			continue;
		leaf = 1ull << ((v >> PTE_SIZE_SHIFT) & PTE_SIZE_MASK);
		base = (a + off) & ~(leaf - 1);
		if (base < a || base + leaf - 1 > a + size - 1) {
			/* io-pgtable would have to split the page; the core never asks for that */
			contract_error(m);
			return false;
		}
		if (atomic_exchange(pte, 0) & PTE_VALID)
			(*cleared)++;
		found = true;
	}
	return found;
}

/* Unmaps page by page up to the first that holds nothing; returns the bytes done. */
uint64_t mock_unmap_pages(struct iommusim_domain *d, struct iommusim_cpu *cpu, uint64_t iova,
			  uint64_t pgsize, uint64_t pgcount, struct iommusim_iotlb_gather *g)
{
	struct mock *m = mock_of(d);
	uint64_t done = 0, cleared = 0;
	struct pte_cursor cur = {0};

	mock_log_call(m,
		      (struct mock_call){.kind = MOCK_CALL_UNMAP_PAGES,
					 .iova = iova,
					 .pgsize = pgsize,
					 .pgcount = pgcount},
		      cpu);
	if (!pgsize_ok(m, pgsize, iova)) {
		contract_error(m);
		return 0;
	}
	if (!in_aperture(m, iova, pgsize * pgcount))
		return 0;
	for (uint64_t i = 0; i < pgcount; i++) {
		if (!unmap_unit(m, &cur, iova + i * pgsize, pgsize, &cleared))
			break;
		done += pgsize;
	}
	atomic_fetch_sub(&m->mapped, cleared);
	charge(cpu, cleared);
	if (done)
		iommusim_iotlb_gather_add_range(g, iova, done);
	return done;
}

int mock_iova_to_phys(struct iommusim_domain *d, uint64_t iova, uint64_t *phys, int *prot)
{
	struct mock *m = mock_of(d);
	_Atomic uint64_t *pte = pte_of(m, iova, false);
	uint64_t v = pte ? atomic_load(pte) : 0;

	if (!(v & PTE_VALID))
		return -EFAULT;
	*phys = (v & ~((1ull << m->shift) - 1)) + (iova & ((1ull << m->shift) - 1));
	*prot = (int)((v >> PTE_PROT_SHIFT) & PTE_PROT_MASK);
	return 0;
}
