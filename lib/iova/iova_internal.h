/* SPDX-License-Identifier: MIT */
/*
 * The IOVA domain's layout, shared by the tree allocator (tree.c), the magazine cache
 * (rcache.c) and the domain's life cycle (domain.c). Mirrors struct iova_domain and friends
 * of include/linux/iova.h.
 */
#ifndef ISIM_IOVA_INTERNAL_H
#define ISIM_IOVA_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <iommusim/iova.h>

#include "base/compiler.h"
#include "base/cpu_work.h"
#include "base/rbtree.h"
#include "base/spinlock.h"

/* One allocated or reserved range [pfn_lo, pfn_hi], keyed by pfn_lo: 40 bytes on LP64. */
struct iova_node {
	struct isim_rb_node rb;
	uint64_t pfn_hi;
	uint64_t pfn_lo;
};

/*
 * 1024 bytes, as in the kernel: the fill count shares its word with the depot link, because a
 * magazine only sits in a depot when it is full and its count is known.
 */
struct iova_magazine {
	union {
		uint64_t size;
		struct iova_magazine *next;
	};
	uint64_t pfns[IOMMUSIM_IOVA_MAG_SIZE];
};

/* A CPU's two magazines for one size class; a line of its own so CPUs do not share it. */
struct iova_cpu_rcache {
	_Alignas(ISIM_CACHELINE) struct isim_spinlock lock;
	/* NULL stands for an empty magazine not allocated yet. */
	struct iova_magazine *loaded;
	struct iova_magazine *prev;
	uint64_t hits;
	uint64_t misses;
};

/* One size class: the depot (a stack of full magazines) and the per-CPU caches. */
struct iova_rcache {
	struct isim_spinlock lock;
	uint64_t depot_size;
	struct iova_magazine *depot;
	struct iova_cpu_rcache *cpu_rcaches;
	struct iommusim_timer *trim_work;
	struct iommusim_iova_domain *iovad;
	uint64_t trims;
	uint64_t spills;
};

struct iommusim_iova_domain {
	struct isim_spinlock tree_lock;
	struct isim_rb_root root;
	/* Where the next top-down search starts, above and below 4 GiB. */
	struct isim_rb_node *cached_node;
	struct isim_rb_node *cached32_node;
	uint64_t granule;
	unsigned int shift;
	uint64_t start_pfn;
	uint64_t dma_32bit_pfn;
	/* Size of the last failed allocation: 32-bit requests this big fail without a search. */
	uint64_t max32_alloc_size;
	/* Closes the tree at the top, so every search has a node to start from. */
	struct iova_node anchor;
	uint64_t nodes;
	uint64_t tree_allocs;
	uint64_t tree_failures;

	struct iova_rcache rcaches[IOMMUSIM_IOVA_CACHE_ORDERS];
	atomic_uint online_cpus;
	unsigned int possible_cpus;
	enum iommusim_iova_depot depot;
	atomic_uint_fast64_t magazines;
	atomic_uint_fast64_t rcache_flushes;
	struct iommusim_mem *mem;
	struct iommusim_clock *clock;
};

static inline struct iova_node *to_iova_node(struct isim_rb_node *rb)
{
	return isim_rb_entry(rb, struct iova_node, rb);
}

static inline void tree_lock(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu)
{
	isim_spin_lock(&d->tree_lock);
	isim_work(cpu, IOMMUSIM_WORK_LOCK, 1);
}

static inline void tree_unlock(struct iommusim_iova_domain *d)
{
	isim_spin_unlock(&d->tree_lock);
}

/* Tree side (tree.c), for the cache and the domain. */
int isim_iova_tree_alloc(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu, uint64_t size,
			 uint64_t limit_pfn, bool size_aligned, uint64_t *pfn);
/* Free every range that holds one of @pfns, in order; the tree lock is taken once. */
void isim_iova_tree_free_pfns(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu,
			      const uint64_t *pfns, uint64_t n);
/* Free every node, anchor excepted, without rebalancing (teardown). */
void isim_iova_tree_destroy(struct iommusim_iova_domain *d);

/* Cache side (rcache.c). */
int isim_iova_rcaches_init(struct iommusim_iova_domain *d);
void isim_iova_rcaches_destroy(struct iommusim_iova_domain *d);

#endif /* ISIM_IOVA_INTERNAL_H */
