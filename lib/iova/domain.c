/* SPDX-License-Identifier: MIT */
/* IOVA domain life cycle and inspection: init_iova_domain(), put_iova_domain() and read-outs. */
#include <assert.h>
#include <errno.h>

#include "base/bitops.h"
#include "base/memory.h"
#include "iova/iova_internal.h"

static int check_config(const struct iommusim_iova_config *cfg)
{
	if (!cfg->mem)
		return -EINVAL;
	/* The kernel BUGs on these; here they are the caller's input errors. */
	if (!isim_is_pow2(cfg->granule) || cfg->granule > IOMMUSIM_IOVA_MAX_GRANULE)
		return -EINVAL;
	if (cfg->possible_cpus == 0 || cfg->possible_cpus > IOMMUSIM_IOVA_MAX_CPUS)
		return -EINVAL;
	if (cfg->online_cpus > cfg->possible_cpus)
		return -EINVAL;
	if (cfg->depot != IOMMUSIM_IOVA_DEPOT_LIST && cfg->depot != IOMMUSIM_IOVA_DEPOT_ARRAY)
		return -EINVAL;
	return 0;
}

/* mirrors init_iova_domain() followed by iova_domain_init_rcaches() */
int iommusim_iova_domain_create(const struct iommusim_iova_config *cfg,
				struct iommusim_iova_domain **out)
{
	struct iommusim_iova_domain *d;
	int err = check_config(cfg);

	if (err)
		return err;
	d = isim_zalloc(cfg->mem, sizeof(*d), ISIM_CACHELINE);
	if (!d)
		return -ENOMEM;
	d->mem = cfg->mem;
	d->clock = cfg->clock;
	d->granule = cfg->granule;
	d->shift = isim_ffs64(cfg->granule);
	d->start_pfn = cfg->start_pfn;
	d->dma_32bit_pfn = (uint64_t)1 << (32 - d->shift);
	/* "Nothing has failed yet": no 32-bit request is as large as the whole 32-bit space. */
	d->max32_alloc_size = d->dma_32bit_pfn;
	d->possible_cpus = cfg->possible_cpus;
	atomic_init(&d->online_cpus, cfg->online_cpus ? cfg->online_cpus : cfg->possible_cpus);
	d->depot = cfg->depot;
	atomic_init(&d->magazines, 0);
	atomic_init(&d->rcache_flushes, 0);
	isim_spin_init(&d->tree_lock);

	d->anchor.pfn_lo = IOMMUSIM_IOVA_ANCHOR_PFN;
	d->anchor.pfn_hi = IOMMUSIM_IOVA_ANCHOR_PFN;
	isim_rb_link(&d->anchor.rb, NULL, &d->root.node);
	isim_rb_insert_fixup(&d->root, &d->anchor.rb);
	d->cached_node = &d->anchor.rb;
	d->cached32_node = &d->anchor.rb;

	err = isim_iova_rcaches_init(d);
	if (err) {
		iommusim_iova_domain_destroy(d);
		return err;
	}
	*out = d;
	return 0;
}

/* mirrors put_iova_domain() */
void iommusim_iova_domain_destroy(struct iommusim_iova_domain *d)
{
	if (!d)
		return;
	isim_iova_rcaches_destroy(d);
	isim_iova_tree_destroy(d);
	assert(atomic_load(&d->magazines) == 0);
	isim_free(d->mem, d, sizeof(*d), ISIM_CACHELINE);
}

int iommusim_iova_set_online_cpus(struct iommusim_iova_domain *d, unsigned int n)
{
	if (n == 0 || n > d->possible_cpus)
		return -EINVAL;
	atomic_store(&d->online_cpus, n);
	return 0;
}

unsigned int iommusim_iova_online_cpus(const struct iommusim_iova_domain *d)
{
	return atomic_load(&((struct iommusim_iova_domain *)d)->online_cpus);
}

unsigned int iommusim_iova_possible_cpus(const struct iommusim_iova_domain *d)
{
	return d->possible_cpus;
}

uint64_t iommusim_iova_granule(const struct iommusim_iova_domain *d)
{
	return d->granule;
}

uint64_t iommusim_iova_start_pfn(const struct iommusim_iova_domain *d)
{
	return d->start_pfn;
}

uint64_t iommusim_iova_dma_32bit_pfn(const struct iommusim_iova_domain *d)
{
	return d->dma_32bit_pfn;
}

int iommusim_iova_rcache_state(struct iommusim_iova_domain *d, unsigned int order,
			       struct iommusim_iova_rcache_state *out)
{
	struct iova_rcache *rc;

	if (order >= IOMMUSIM_IOVA_CACHE_ORDERS)
		return -EINVAL;
	rc = &d->rcaches[order];
	isim_spin_lock(&rc->lock);
	out->depot_size = rc->depot_size;
	isim_spin_unlock(&rc->lock);
	out->work_pending = rc->trim_work && iommusim_timer_pending(rc->trim_work);
	return 0;
}

int iommusim_iova_rcache_fill(struct iommusim_iova_domain *d, unsigned int order,
			      unsigned int cpu_id, unsigned int *loaded, unsigned int *prev)
{
	struct iova_cpu_rcache *cr;

	if (order >= IOMMUSIM_IOVA_CACHE_ORDERS || cpu_id >= d->possible_cpus)
		return -EINVAL;
	cr = &d->rcaches[order].cpu_rcaches[cpu_id];
	isim_spin_lock(&cr->lock);
	*loaded = cr->loaded ? (unsigned int)cr->loaded->size : 0;
	*prev = cr->prev ? (unsigned int)cr->prev->size : 0;
	isim_spin_unlock(&cr->lock);
	return 0;
}

void iommusim_iova_get_stats(struct iommusim_iova_domain *d, struct iommusim_iova_stats *out)
{
	*out = (struct iommusim_iova_stats){0};
	isim_spin_lock(&d->tree_lock);
	out->nodes = d->nodes;
	out->tree_allocs = d->tree_allocs;
	out->tree_failures = d->tree_failures;
	isim_spin_unlock(&d->tree_lock);
	out->magazines = atomic_load_explicit(&d->magazines, memory_order_relaxed);
	out->rcache_flushes = atomic_load_explicit(&d->rcache_flushes, memory_order_relaxed);
	for (unsigned int k = 0; k < IOMMUSIM_IOVA_CACHE_ORDERS; k++) {
		struct iova_rcache *rc = &d->rcaches[k];

		isim_spin_lock(&rc->lock);
		out->depot_trims += rc->trims;
		out->depot_spills += rc->spills;
		isim_spin_unlock(&rc->lock);
		for (unsigned int c = 0; c < d->possible_cpus; c++) {
			struct iova_cpu_rcache *cr = &rc->cpu_rcaches[c];

			isim_spin_lock(&cr->lock);
			out->rcache_hits += cr->hits;
			out->rcache_misses += cr->misses;
			isim_spin_unlock(&cr->lock);
		}
	}
}
