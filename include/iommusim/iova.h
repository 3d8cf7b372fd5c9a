/* SPDX-License-Identifier: MIT */
/**
 * @file iova.h  The Linux IOVA allocator (drivers/iommu/iova.c), reproduced exactly.
 *
 * An IOVA domain hands out ranges of page frame numbers (in units of the granule) from a
 * red-black tree, top-down and first-fit from a cached node, with a per-CPU magazine cache
 * ("rcache") and a global depot in front of it for the sizes 1..32. Results, including the
 * non-obvious ones (the 32-bit fast-fail hint, the cached-node walk, magazine pops that only
 * look at the loaded magazine), are those of Linux 6.7 and later; a domain option gives the
 * depot of Linux 6.6 and earlier. See docs/iova.md.
 *
 * PFN limits are inclusive, as in the kernel API. Every call takes the executing CPU: its id
 * selects the per-CPU cache and the work done is reported on it.
 *
 * Thread safety: a domain may be used from several threads at once, each acting as a distinct
 * CPU; the kernel's locks (tree lock, per-CPU cache locks, depot locks) are taken inside.
 */
#ifndef IOMMUSIM_IOVA_H
#define IOMMUSIM_IOVA_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/clock.h>
#include <iommusim/cpu.h>
#include <iommusim/export.h>
#include <iommusim/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Number of cached size classes: orders 0..5, i.e. 1..32 granules (IOVA_RANGE_CACHE_MAX_SIZE). */
#define IOMMUSIM_IOVA_CACHE_ORDERS 6
/** PFNs per magazine (IOVA_MAG_SIZE since Linux 5.19). */
#define IOMMUSIM_IOVA_MAG_SIZE 127
/** Depot capacity per size class of the Linux 6.6 array depot (MAX_GLOBAL_MAGS). */
#define IOMMUSIM_IOVA_DEPOT_ARRAY_MAGS 32
/** Period of the depot trim work of Linux 6.7+ (IOVA_DEPOT_DELAY, 100 ms). */
#define IOMMUSIM_IOVA_DEPOT_DELAY_NS 100000000ull
/** pfn_lo and pfn_hi of the anchor node that closes the tree at the top (IOVA_ANCHOR). */
#define IOMMUSIM_IOVA_ANCHOR_PFN UINT64_MAX
/** Largest granule: the kernel's PAGE_SIZE. */
#define IOMMUSIM_IOVA_MAX_GRANULE 4096u
/** Most CPUs a domain can have per-CPU caches for. */
#define IOMMUSIM_IOVA_MAX_CPUS 4096u

struct iommusim_iova_domain;

/** enum iommusim_iova_depot - which form of the rcache depot a domain uses. */
enum iommusim_iova_depot {
	/**
	 * Linux 6.7+: an unbounded list of full magazines per size class, trimmed by one
	 * magazine every 100 ms while it holds more than one per online CPU.
	 */
	IOMMUSIM_IOVA_DEPOT_LIST = 0,
	/**
	 * Linux 6.6 and earlier: an array of 32 magazines per size class; a full magazine that
	 * finds the array full has all its PFNs returned to the tree. No trimming.
	 */
	IOMMUSIM_IOVA_DEPOT_ARRAY,
};

/**
 * struct iommusim_iova_config - parameters of init_iova_domain() and its rcaches.
 * @mem:           memory context for nodes and magazines (required).
 * @clock:         clock for the depot trim work; NULL means the depot is never trimmed.
 * @granule:       bytes per PFN: a power of two, at most IOMMUSIM_IOVA_MAX_GRANULE.
 * @start_pfn:     lowest PFN the allocator hands out (dma-iommu uses at least 1).
 * @possible_cpus: per-CPU caches exist for CPU ids 0..possible_cpus-1 (1..IOMMUSIM_IOVA_MAX_CPUS).
 * @online_cpus:   CPUs 0..online_cpus-1 are online; 0 means all possible ones.
 * @depot:         depot form.
 */
struct iommusim_iova_config {
	struct iommusim_mem *mem;
	struct iommusim_clock *clock;
	uint64_t granule;
	uint64_t start_pfn;
	unsigned int possible_cpus;
	unsigned int online_cpus;
	enum iommusim_iova_depot depot;
};

/**
 * struct iommusim_iova_cached - the allocator's search hints (for inspection and tests).
 * @cached_pfn:       pfn_lo of cached_node (IOMMUSIM_IOVA_ANCHOR_PFN when it is the anchor).
 * @cached32_pfn:     pfn_lo of cached32_node.
 * @max32_alloc_size: 32-bit requests of at least this size fail without searching.
 */
struct iommusim_iova_cached {
	uint64_t cached_pfn;
	uint64_t cached32_pfn;
	uint64_t max32_alloc_size;
};

/**
 * struct iommusim_iova_stats - what a domain holds and has done.
 * @nodes:          tree nodes, allocated or reserved, including those parked in magazines;
 *                  the anchor is not counted.
 * @magazines:      magazines allocated (per-CPU and depot).
 * @tree_allocs:    successful tree allocations (alloc_iova).
 * @tree_failures:  failed tree allocations, including fast-fail on max32_alloc_size.
 * @rcache_hits:    alloc_fast calls served from a magazine.
 * @rcache_misses:  alloc_fast calls of a cached size that went to the tree.
 * @rcache_flushes: alloc_fast retries that first flushed every cache.
 * @depot_trims:    magazines returned to the tree by the depot trim work.
 * @depot_spills:   magazines returned to the tree because the array depot was full.
 */
struct iommusim_iova_stats {
	uint64_t nodes;
	uint64_t magazines;
	uint64_t tree_allocs;
	uint64_t tree_failures;
	uint64_t rcache_hits;
	uint64_t rcache_misses;
	uint64_t rcache_flushes;
	uint64_t depot_trims;
	uint64_t depot_spills;
};

/**
 * struct iommusim_iova_rcache_state - one size class of the rcache.
 * @depot_size:   full magazines in the depot.
 * @work_pending: whether the depot trim work is armed.
 */
struct iommusim_iova_rcache_state {
	uint64_t depot_size;
	bool work_pending;
};

/**
 * iommusim_iova_domain_create() - init_iova_domain() + iova_domain_init_rcaches().
 * @cfg: parameters; copied.
 * @out: receives the domain: an empty tree holding only the anchor, caches empty.
 *
 * Return: 0; -EINVAL for a bad granule, CPU count or depot value, or a missing @cfg->mem;
 * -ENOMEM.
 */
IOMMUSIM_API int iommusim_iova_domain_create(const struct iommusim_iova_config *cfg,
					     struct iommusim_iova_domain **out);

/**
 * iommusim_iova_domain_destroy() - put_iova_domain(): free the caches and every node.
 * @domain: the domain, or NULL. No call on it may be running.
 */
IOMMUSIM_API void iommusim_iova_domain_destroy(struct iommusim_iova_domain *domain);

/**
 * iommusim_iova_alloc() - alloc_iova(): allocate from the tree.
 * @domain:       the domain.
 * @cpu:          the executing CPU.
 * @size:         granules, at least 1.
 * @limit_pfn:    highest PFN the range may use (inclusive); below UINT64_MAX.
 * @size_aligned: align the start to the next power of two of @size.
 * @pfn:          receives pfn_lo.
 *
 * Return: 0; -ENOMEM when no range fits (max32_alloc_size is then set to @size); -EINVAL for
 * a zero @size or @limit_pfn of UINT64_MAX.
 */
IOMMUSIM_API int iommusim_iova_alloc(struct iommusim_iova_domain *domain, struct iommusim_cpu *cpu,
				     uint64_t size, uint64_t limit_pfn, bool size_aligned,
				     uint64_t *pfn);

/**
 * iommusim_iova_free() - find_iova() + __free_iova(): free the range containing @pfn.
 * Return: 0, or -ENOENT when no range contains @pfn (the anchor is not a range).
 */
IOMMUSIM_API int iommusim_iova_free(struct iommusim_iova_domain *domain, struct iommusim_cpu *cpu,
				    uint64_t pfn);

/**
 * iommusim_iova_find() - find_iova(): the range containing @pfn.
 * @pfn_lo, @pfn_hi: receive the range (either may be NULL).
 * Return: 0, or -ENOENT.
 */
IOMMUSIM_API int iommusim_iova_find(struct iommusim_iova_domain *domain, struct iommusim_cpu *cpu,
				    uint64_t pfn, uint64_t *pfn_lo, uint64_t *pfn_hi);

/**
 * iommusim_iova_reserve() - reserve_iova(): take [@pfn_lo, @pfn_hi] out of allocation.
 *
 * Existing ranges that overlap are widened in place to cover the reservation; the search
 * hints are not touched.
 *
 * Return: 0; -EINVAL if @pfn_lo > @pfn_hi or a bound exceeds what the granule can address
 * (the kernel's NULL return); -ENOMEM.
 */
IOMMUSIM_API int iommusim_iova_reserve(struct iommusim_iova_domain *domain,
				       struct iommusim_cpu *cpu, uint64_t pfn_lo, uint64_t pfn_hi);

/**
 * iommusim_iova_alloc_fast() - alloc_iova_fast(): the rcache first, then the tree.
 * @size:         granules, at least 1; sizes below 32 are rounded up to a power of two.
 * @limit_pfn:    inclusive limit, below UINT64_MAX.
 * @flush_rcache: on a tree failure, flush every online CPU's cache and the depot and retry once.
 * @pfn:          receives the start PFN.
 *
 * The kernel reports failure as PFN 0; this function returns -ENOMEM instead and may return
 * success with PFN 0 when the domain's start_pfn is 0 (the kernel's caller would take it as a
 * failure and keep the range).
 *
 * Return: 0, -ENOMEM or -EINVAL.
 */
IOMMUSIM_API int iommusim_iova_alloc_fast(struct iommusim_iova_domain *domain,
					  struct iommusim_cpu *cpu, uint64_t size,
					  uint64_t limit_pfn, bool flush_rcache, uint64_t *pfn);

/**
 * iommusim_iova_free_fast() - free_iova_fast(): park @pfn in this CPU's cache, or free it.
 *
 * Ranges of 33 granules or more, and any PFN the cache cannot take, go back to the tree
 * (silently nothing if no range contains @pfn). A cached PFN is not checked against the tree,
 * exactly as in the kernel.
 *
 * Return: 0, or -EINVAL for a zero @size.
 */
IOMMUSIM_API int iommusim_iova_free_fast(struct iommusim_iova_domain *domain,
					 struct iommusim_cpu *cpu, uint64_t pfn, uint64_t size);

/**
 * iommusim_iova_cpu_dead() - free_cpu_cached_iovas() for CPU @dead_cpu (the hotplug hook):
 * every PFN in its magazines goes back to the tree.
 * Return: 0, or -EINVAL if @dead_cpu is not a possible CPU.
 */
IOMMUSIM_API int iommusim_iova_cpu_dead(struct iommusim_iova_domain *domain,
					struct iommusim_cpu *cpu, unsigned int dead_cpu);

/**
 * iommusim_iova_flush_rcaches() - every online CPU's magazines and the whole depot back to the
 * tree, as alloc_iova_fast() does before its retry.
 */
IOMMUSIM_API void iommusim_iova_flush_rcaches(struct iommusim_iova_domain *domain,
					      struct iommusim_cpu *cpu);

/**
 * iommusim_iova_set_online_cpus() - change num_online_cpus(); CPUs 0..@n-1 are online.
 * Return: 0, or -EINVAL unless 1 <= @n <= possible CPUs.
 */
IOMMUSIM_API int iommusim_iova_set_online_cpus(struct iommusim_iova_domain *domain, unsigned int n);

/** iommusim_iova_online_cpus() - the current num_online_cpus(). */
IOMMUSIM_API unsigned int iommusim_iova_online_cpus(const struct iommusim_iova_domain *domain);

/** iommusim_iova_possible_cpus() - CPUs with per-CPU caches. */
IOMMUSIM_API unsigned int iommusim_iova_possible_cpus(const struct iommusim_iova_domain *domain);

/** iommusim_iova_granule() - bytes per PFN. */
IOMMUSIM_API uint64_t iommusim_iova_granule(const struct iommusim_iova_domain *domain);

/** iommusim_iova_start_pfn() - lowest PFN handed out. */
IOMMUSIM_API uint64_t iommusim_iova_start_pfn(const struct iommusim_iova_domain *domain);

/** iommusim_iova_dma_32bit_pfn() - first PFN at or above 4 GiB (dma_32bit_pfn). */
IOMMUSIM_API uint64_t iommusim_iova_dma_32bit_pfn(const struct iommusim_iova_domain *domain);

/**
 * typedef iommusim_iova_range_fn - callback of iommusim_iova_for_each().
 * Return: 0 to go on, anything else to stop the walk and return that value.
 */
typedef int iommusim_iova_range_fn(void *arg, uint64_t pfn_lo, uint64_t pfn_hi);

/**
 * iommusim_iova_for_each() - visit every range in ascending order, the anchor excluded.
 * The tree lock is held during the walk: @fn must not call back into @domain.
 * Return: 0, or the first non-zero value @fn returned.
 */
IOMMUSIM_API int iommusim_iova_for_each(struct iommusim_iova_domain *domain,
					iommusim_iova_range_fn *fn, void *arg);

/** iommusim_iova_get_cached() - read the search hints. */
IOMMUSIM_API void iommusim_iova_get_cached(struct iommusim_iova_domain *domain,
					   struct iommusim_iova_cached *out);

/**
 * iommusim_iova_rcache_state() - depot size and trim-work state of size class @order.
 * Return: 0, or -EINVAL if @order >= IOMMUSIM_IOVA_CACHE_ORDERS.
 */
IOMMUSIM_API int iommusim_iova_rcache_state(struct iommusim_iova_domain *domain, unsigned int order,
					    struct iommusim_iova_rcache_state *out);

/**
 * iommusim_iova_rcache_fill() - PFNs in CPU @cpu_id's loaded and prev magazines of @order.
 * Return: 0, or -EINVAL for a bad @order or @cpu_id.
 */
IOMMUSIM_API int iommusim_iova_rcache_fill(struct iommusim_iova_domain *domain, unsigned int order,
					   unsigned int cpu_id, unsigned int *loaded,
					   unsigned int *prev);

/** iommusim_iova_get_stats() - counters of @domain (a consistent snapshot when idle). */
IOMMUSIM_API void iommusim_iova_get_stats(struct iommusim_iova_domain *domain,
					  struct iommusim_iova_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_IOVA_H */
