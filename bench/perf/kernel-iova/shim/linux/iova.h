/* SPDX-License-Identifier: MIT */
/* The IOVA types iova.c works on, as include/linux/iova.h lays them out (our own stand-in). */
#ifndef KSHIM_LINUX_IOVA_H
#define KSHIM_LINUX_IOVA_H

#include "kshim.h"

/* One allocated range [pfn_lo, pfn_hi] in the domain's tree. */
struct iova {
	struct rb_node node;
	unsigned long pfn_hi;
	unsigned long pfn_lo;
};

struct iova_rcache;

struct iova_domain {
	spinlock_t iova_rbtree_lock;
	struct rb_root rbroot;
	struct rb_node *cached_node;
	struct rb_node *cached32_node;
	unsigned long granule;
	unsigned long start_pfn;
	unsigned long dma_32bit_pfn;
	unsigned long max32_alloc_size;
	struct iova anchor;
	struct iova_rcache *rcaches;
	struct hlist_node cpuhp_dead;
};

static inline unsigned long iova_shift(struct iova_domain *iovad)
{
	return __ffs(iovad->granule);
}

#endif
