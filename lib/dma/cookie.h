/* SPDX-License-Identifier: MIT */
/*
 * dma-iommu's per-domain state (struct iommu_dma_cookie of drivers/iommu/dma-iommu.c): the IOVA
 * domain, the options, and the flush queues with their counters and timer. Shared by the DMA
 * operations (dma_iommu.c) and the flush queues (fq.c).
 */
#ifndef ISIM_DMA_COOKIE_H
#define ISIM_DMA_COOKIE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <iommusim/clock.h>
#include <iommusim/dma.h>
#include <iommusim/iova.h>

#include "base/compiler.h"
#include "base/spinlock.h"

/* enum iommu_dma_queue_type */
enum isim_fq_qt {
	ISIM_FQ_QT_PER_CPU,
	ISIM_FQ_QT_SINGLE,
};

/* struct iommu_dma_options (Linux 6.7+; 6.6 behaves as PER_CPU, 256, 10 ms) */
struct isim_dma_options {
	enum isim_fq_qt qt;
	uint32_t fq_size;
	uint32_t fq_timeout_ms;
};

/*
 * struct iova_fq_entry: one IOVA range waiting for an IOTLB flush. @counter is the flush start
 * count when the entry was queued; the entry may be reclaimed once the finish count exceeds it.
 * The kernel's page freelist is left out: the drivers modelled here never free page-table pages
 * on unmap (s390 keeps its tables until the domain dies).
 */
struct isim_fq_entry {
	uint64_t pfn;
	uint64_t pages;
	uint64_t counter;
};

/*
 * struct iova_fq (Linux 6.7 layout): a ring of mod_mask + 1 entries holding at most mod_mask.
 * Each queue sits on its own cache lines so CPUs do not share them.
 */
struct isim_fq {
	_Alignas(ISIM_CACHELINE) struct isim_spinlock lock;
	unsigned int head;
	unsigned int tail;
	unsigned int mod_mask;
	struct isim_fq_entry entries[];
};

/* struct iommu_dma_cookie, IOVA flavour */
struct isim_dma_cookie {
	struct iommusim_domain *domain;
	struct iommusim_mem *mem;
	struct iommusim_iova_domain *iovad;
	unsigned int shift;
	uint64_t granule;
	enum iommusim_kernel kernel;
	unsigned int possible_cpus;
	/* Devices whose DMA ops use this cookie. */
	unsigned int users;

	struct isim_dma_options options;
	/*
	 * The kernel's fq_domain: set (last) when the flush queue is up, so an unmap that sees it
	 * also sees the queues. Never cleared while devices use the cookie.
	 */
	atomic_bool fq_active;
	union {
		struct isim_fq *single_fq;
		/* possible_cpus queues, indexed by the CPU id */
		struct isim_fq **percpu_fq;
	};
	/* Flushes started and finished: an entry is reclaimable once finish > its counter. */
	atomic_uint_fast64_t fq_flush_start_cnt;
	atomic_uint_fast64_t fq_flush_finish_cnt;
	struct iommusim_clock *clock;
	struct iommusim_timer *fq_timer;
	/* 1 while the timer is armed and has not started running. */
	atomic_int fq_timer_on;

	/* Counters reported by iommusim_dma_get_stats() for every device of the domain. */
	atomic_uint_fast64_t st_fq_entries;
	atomic_uint_fast64_t st_fq_flushes;
	atomic_uint_fast64_t st_fq_full_flushes;
	atomic_uint_fast64_t st_fq_timer_flushes;
};

/*
 * mirrors iommu_dma_init_fq(): allocate the queue(s) and the timer as cookie->options say and
 * publish the flush queue. Nothing if it is active already. Return: 0 or -ENOMEM (the caller
 * falls back to strict, as the kernel does).
 */
int isim_fq_init(struct isim_dma_cookie *cookie);

/* mirrors iommu_dma_free_fq(): stop the timer, free the queues; queued IOVAs die with the iovad */
void isim_fq_free(struct isim_dma_cookie *cookie);

/* mirrors queue_iova(): defer freeing [pfn, pfn + pages) until a later IOTLB flush */
void isim_fq_queue_iova(struct isim_dma_cookie *cookie, struct iommusim_cpu *cpu, uint64_t pfn,
			uint64_t pages);

/* One IOTLB flush, then reclaim every queue (iommusim_dma_iommu_flush_queue()). */
void isim_fq_flush_all(struct isim_dma_cookie *cookie, struct iommusim_cpu *cpu);

#endif /* ISIM_DMA_COOKIE_H */
