/* SPDX-License-Identifier: MIT */
/*
 * The IOVA range cache: per-CPU magazines of recently freed start PFNs for sizes of 1..32
 * granules, in front of a per-size depot of full magazines. A cached PFN stays allocated in the
 * tree until its magazine is flushed. Follows drivers/iommu/iova.c of Linux 6.7+ (list depot,
 * 100 ms trim) and, as a domain option, 6.6 (array depot of 32, spill to the tree).
 */
#include <assert.h>
#include <errno.h>

#include "base/bitops.h"
#include "base/memory.h"
#include "iova/iova_internal.h"

/* Sizes below this are rounded up to a power of two by alloc_iova_fast(). */
#define ROUND_BELOW (1u << (IOMMUSIM_IOVA_CACHE_ORDERS - 1))

static struct iova_magazine *mag_alloc(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu)
{
	struct iova_magazine *mag = isim_alloc(d->mem, sizeof(*mag), 0);

	isim_work(cpu, IOMMUSIM_WORK_MEM_ALLOC, 1);
	if (mag) {
		mag->size = 0;
		atomic_fetch_add_explicit(&d->magazines, 1, memory_order_relaxed);
	}
	return mag;
}

static void mag_free(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu,
		     struct iova_magazine *mag)
{
	if (!mag)
		return;
	if (cpu)
		isim_work(cpu, IOMMUSIM_WORK_MEM_FREE, 1);
	atomic_fetch_sub_explicit(&d->magazines, 1, memory_order_relaxed);
	isim_free(d->mem, mag, sizeof(*mag), 0);
}

static bool mag_full(const struct iova_magazine *mag)
{
	return mag && mag->size == IOMMUSIM_IOVA_MAG_SIZE;
}

static bool mag_empty(const struct iova_magazine *mag)
{
	return !mag || mag->size == 0;
}

/* mirrors iova_magazine_free_pfns(): every PFN back to the tree, the magazine kept, empty */
static void mag_drain_to_tree(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu,
			      struct iova_magazine *mag)
{
	if (mag_empty(mag))
		return;
	isim_iova_tree_free_pfns(d, cpu, mag->pfns, mag->size);
	mag->size = 0;
}

/*
 * mirrors iova_magazine_pop(): the first PFN from the top that is <= @limit, replaced by the
 * last entry. No match is a miss even if other magazines hold a suitable PFN.
 */
static uint64_t mag_pop(struct iommusim_cpu *cpu, struct iova_magazine *mag, uint64_t limit)
{
	uint64_t i = mag->size - 1;
	uint64_t pfn;

	while (mag->pfns[i] > limit) {
		if (i == 0) {
			isim_work(cpu, IOMMUSIM_WORK_MAG_SCAN, mag->size);
			return 0;
		}
		i--;
	}
	isim_work(cpu, IOMMUSIM_WORK_MAG_SCAN, mag->size - i);
	isim_work(cpu, IOMMUSIM_WORK_MAG_OP, 1);
	pfn = mag->pfns[i];
	mag->pfns[i] = mag->pfns[--mag->size];
	return pfn;
}

/* mirrors iova_depot_push(); depot lock held */
static void depot_push(struct iommusim_cpu *cpu, struct iova_rcache *rc, struct iova_magazine *mag)
{
	mag->next = rc->depot;
	rc->depot = mag;
	rc->depot_size++;
	isim_work(cpu, IOMMUSIM_WORK_DEPOT_OP, 1);
}

/* mirrors iova_depot_pop(); depot lock held, depot not empty */
static struct iova_magazine *depot_pop(struct iommusim_cpu *cpu, struct iova_rcache *rc)
{
	struct iova_magazine *mag = rc->depot;

	rc->depot = mag->next;
	/* Only full magazines enter the depot, so the count the link overwrote is known. */
	mag->size = IOMMUSIM_IOVA_MAG_SIZE;
	rc->depot_size--;
	isim_work(cpu, IOMMUSIM_WORK_DEPOT_OP, 1);
	return mag;
}

static void depot_lock(struct iommusim_cpu *cpu, struct iova_rcache *rc)
{
	isim_spin_lock(&rc->lock);
	isim_work(cpu, IOMMUSIM_WORK_LOCK, 1);
}

static struct iova_cpu_rcache *cpu_rcache_lock(struct iova_rcache *rc, struct iommusim_cpu *cpu)
{
	struct iova_cpu_rcache *cr;

	/* A CPU the domain has no cache for is the caller's mistake, not the simulation's. */
	assert(cpu->id < rc->iovad->possible_cpus);
	cr = &rc->cpu_rcaches[cpu->id];
	isim_spin_lock(&cr->lock);
	isim_work(cpu, IOMMUSIM_WORK_LOCK, 1);
	return cr;
}

/*
 * mirrors iova_depot_work_func(): while the depot holds more than one magazine per online CPU,
 * give one back to the tree and come back in another period.
 */
static void depot_trim(struct iommusim_timer *timer, struct iommusim_cpu *cpu, void *arg)
{
	struct iova_rcache *rc = arg;
	struct iommusim_iova_domain *d = rc->iovad;
	struct iova_magazine *mag = NULL;

	depot_lock(cpu, rc);
	if (rc->depot_size > atomic_load_explicit(&d->online_cpus, memory_order_relaxed)) {
		mag = depot_pop(cpu, rc);
		rc->trims++;
	}
	isim_spin_unlock(&rc->lock);
	if (mag) {
		mag_drain_to_tree(d, cpu, mag);
		mag_free(d, cpu, mag);
		iommusim_timer_schedule(timer, cpu, IOMMUSIM_IOVA_DEPOT_DELAY_NS);
	}
}

/*
 * A full loaded magazine goes to the depot (6.7+). The 6.6 array depot takes it only while it
 * holds fewer than 32; otherwise it is handed back to be emptied into the tree.
 */
static struct iova_magazine *depot_take_full(struct iommusim_iova_domain *d,
					     struct iommusim_cpu *cpu, struct iova_rcache *rc,
					     struct iova_magazine *full)
{
	struct iova_magazine *spill = NULL;

	depot_lock(cpu, rc);
	if (d->depot == IOMMUSIM_IOVA_DEPOT_ARRAY &&
	    rc->depot_size >= IOMMUSIM_IOVA_DEPOT_ARRAY_MAGS) {
		spill = full;
		rc->spills++;
	} else {
		depot_push(cpu, rc, full);
	}
	isim_spin_unlock(&rc->lock);
	if (!spill && d->depot == IOMMUSIM_IOVA_DEPOT_LIST && rc->trim_work)
		iommusim_timer_schedule(rc->trim_work, cpu, IOMMUSIM_IOVA_DEPOT_DELAY_NS);
	return spill;
}

static void swap_loaded_prev(struct iova_cpu_rcache *cr)
{
	struct iova_magazine *tmp = cr->loaded;

	cr->loaded = cr->prev;
	cr->prev = tmp;
}

/* mirrors __iova_rcache_insert(); false means the caller frees the PFN to the tree */
static bool rcache_insert(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu,
			  struct iova_rcache *rc, uint64_t pfn)
{
	struct iova_cpu_rcache *cr = cpu_rcache_lock(rc, cpu);
	struct iova_magazine *spill = NULL;
	bool can_insert = false;

	if (!mag_full(cr->loaded)) {
		can_insert = true;
	} else if (!mag_full(cr->prev)) {
		swap_loaded_prev(cr);
		can_insert = true;
	} else {
		struct iova_magazine *fresh = mag_alloc(d, cpu);

		if (fresh) {
			spill = depot_take_full(d, cpu, rc, cr->loaded);
			cr->loaded = fresh;
			can_insert = true;
		}
	}
	/* Magazines are allocated on first use rather than for every possible CPU up front. */
	if (can_insert && !cr->loaded) {
		cr->loaded = mag_alloc(d, cpu);
		can_insert = cr->loaded != NULL;
	}
	if (can_insert) {
		cr->loaded->pfns[cr->loaded->size++] = pfn;
		isim_work(cpu, IOMMUSIM_WORK_MAG_OP, 1);
	}
	isim_spin_unlock(&cr->lock);

	if (spill) {
		mag_drain_to_tree(d, cpu, spill);
		mag_free(d, cpu, spill);
	}
	return can_insert;
}

/* mirrors __iova_rcache_get(): @limit is the highest acceptable start PFN */
static uint64_t rcache_get(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu,
			   struct iova_rcache *rc, uint64_t limit)
{
	struct iova_cpu_rcache *cr = cpu_rcache_lock(rc, cpu);
	bool has_pfn = false;
	uint64_t pfn = 0;

	if (!mag_empty(cr->loaded)) {
		has_pfn = true;
	} else if (!mag_empty(cr->prev)) {
		swap_loaded_prev(cr);
		has_pfn = true;
	} else {
		depot_lock(cpu, rc);
		if (rc->depot) {
			mag_free(d, cpu, cr->loaded);
			cr->loaded = depot_pop(cpu, rc);
			has_pfn = true;
		}
		isim_spin_unlock(&rc->lock);
	}
	if (has_pfn)
		pfn = mag_pop(cpu, cr->loaded, limit);
	if (pfn)
		cr->hits++;
	else
		cr->misses++;
	isim_spin_unlock(&cr->lock);
	return pfn;
}

/* mirrors free_cpu_cached_iovas() */
static void flush_cpu(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu, unsigned int id)
{
	for (unsigned int k = 0; k < IOMMUSIM_IOVA_CACHE_ORDERS; k++) {
		struct iova_cpu_rcache *cr = &d->rcaches[k].cpu_rcaches[id];

		isim_spin_lock(&cr->lock);
		isim_work(cpu, IOMMUSIM_WORK_LOCK, 1);
		mag_drain_to_tree(d, cpu, cr->loaded);
		mag_drain_to_tree(d, cpu, cr->prev);
		isim_spin_unlock(&cr->lock);
	}
}

/*
 * mirrors free_global_cached_iovas(). The 6.7 list is emptied from the top (newest first); the
 * 6.6 array was emptied from index 0 (oldest first), so for it the stack is reversed first.
 * The order matters: each free moves the search hints.
 */
static void flush_depots(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu)
{
	for (unsigned int k = 0; k < IOMMUSIM_IOVA_CACHE_ORDERS; k++) {
		struct iova_rcache *rc = &d->rcaches[k];

		depot_lock(cpu, rc);
		if (d->depot == IOMMUSIM_IOVA_DEPOT_ARRAY) {
			struct iova_magazine *rev = NULL;

			while (rc->depot) {
				struct iova_magazine *m = rc->depot;

				rc->depot = m->next;
				m->next = rev;
				rev = m;
			}
			rc->depot = rev;
		}
		while (rc->depot) {
			struct iova_magazine *mag = depot_pop(cpu, rc);

			mag_drain_to_tree(d, cpu, mag);
			mag_free(d, cpu, mag);
		}
		isim_spin_unlock(&rc->lock);
	}
}

void iommusim_iova_flush_rcaches(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu)
{
	unsigned int online = atomic_load_explicit(&d->online_cpus, memory_order_relaxed);

	for (unsigned int id = 0; id < online; id++)
		flush_cpu(d, cpu, id);
	flush_depots(d, cpu);
}

/* mirrors alloc_iova_fast() */
int iommusim_iova_alloc_fast(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu,
			     uint64_t size, uint64_t limit_pfn, bool flush_rcache, uint64_t *pfn)
{
	unsigned int order;
	uint64_t cached;
	int err;

	if (size == 0 || limit_pfn == UINT64_MAX)
		return -EINVAL;
	if (size < ROUND_BELOW)
		size = isim_roundup_pow2(size);

	/* mirrors iova_rcache_get(): a cached start qualifies if the range ends by the limit */
	order = isim_order_base_2(size);
	if (order < IOMMUSIM_IOVA_CACHE_ORDERS) {
		/* Unsigned, as in the kernel: a size above limit + 1 wraps and accepts any PFN. */
		cached = rcache_get(d, cpu, &d->rcaches[order], limit_pfn + 1 - size);
		if (cached) {
			*pfn = cached;
			return 0;
		}
	}

	for (;;) {
		err = isim_iova_tree_alloc(d, cpu, size, limit_pfn, true, pfn);
		if (err != -ENOMEM || !flush_rcache)
			return err;
		flush_rcache = false;
		atomic_fetch_add_explicit(&d->rcache_flushes, 1, memory_order_relaxed);
		iommusim_iova_flush_rcaches(d, cpu);
	}
}

/* mirrors free_iova_fast() */
int iommusim_iova_free_fast(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu, uint64_t pfn,
			    uint64_t size)
{
	unsigned int order;

	if (size == 0)
		return -EINVAL;
	order = isim_order_base_2(size);
	if (order < IOMMUSIM_IOVA_CACHE_ORDERS && rcache_insert(d, cpu, &d->rcaches[order], pfn))
		return 0;
	iommusim_iova_free(d, cpu, pfn);
	return 0;
}

int iommusim_iova_cpu_dead(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu,
			   unsigned int dead_cpu)
{
	if (dead_cpu >= d->possible_cpus)
		return -EINVAL;
	flush_cpu(d, cpu, dead_cpu);
	return 0;
}

/* mirrors iova_domain_init_rcaches() */
int isim_iova_rcaches_init(struct iommusim_iova_domain *d)
{
	for (unsigned int k = 0; k < IOMMUSIM_IOVA_CACHE_ORDERS; k++) {
		struct iova_rcache *rc = &d->rcaches[k];

		isim_spin_init(&rc->lock);
		rc->iovad = d;
		rc->cpu_rcaches = isim_zalloc(d->mem, sizeof(*rc->cpu_rcaches) * d->possible_cpus,
					      ISIM_CACHELINE);
		if (!rc->cpu_rcaches)
			return -ENOMEM;
		for (unsigned int c = 0; c < d->possible_cpus; c++)
			isim_spin_init(&rc->cpu_rcaches[c].lock);
		if (d->depot == IOMMUSIM_IOVA_DEPOT_LIST && d->clock &&
		    iommusim_timer_create(d->clock, depot_trim, rc, &rc->trim_work))
			return -ENOMEM;
	}
	return 0;
}

/* mirrors iova_domain_free_rcaches(): the magazines go, their PFNs die with the tree */
void isim_iova_rcaches_destroy(struct iommusim_iova_domain *d)
{
	for (unsigned int k = 0; k < IOMMUSIM_IOVA_CACHE_ORDERS; k++) {
		struct iova_rcache *rc = &d->rcaches[k];

		iommusim_timer_destroy(rc->trim_work);
		rc->trim_work = NULL;
		if (rc->cpu_rcaches) {
			for (unsigned int c = 0; c < d->possible_cpus; c++) {
				mag_free(d, NULL, rc->cpu_rcaches[c].loaded);
				mag_free(d, NULL, rc->cpu_rcaches[c].prev);
			}
			isim_free(d->mem, rc->cpu_rcaches,
				  sizeof(*rc->cpu_rcaches) * d->possible_cpus, ISIM_CACHELINE);
			rc->cpu_rcaches = NULL;
		}
		while (rc->depot) {
			struct iova_magazine *mag = rc->depot;

			rc->depot = mag->next;
			mag_free(d, NULL, mag);
		}
		rc->depot_size = 0;
	}
}
