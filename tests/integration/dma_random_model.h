/* SPDX-License-Identifier: MIT */
/*
 * The model of test_dma_random.c: the policies it runs, its own record of every live mapping,
 * the RPCITs and counters it expects, the flush queues as dma-iommu keeps them (sources.md
 * S16), the legacy bitmap as the legacy ops keep it (S19), and the segments a mapped list must
 * come out as (__finalise_sg, S17, or the legacy run coalescing, §5.6).
 */
#ifndef TESTS_INTEGRATION_DMA_RANDOM_MODEL_H
#define TESTS_INTEGRATION_DMA_RANDOM_MODEL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <iommusim/iommusim.h>

#include "dma_model.h"
#include "fw_log.h"
#include "policy_matrix.h"
#include "pow2.h"
#include "test_rng.h"
#include "zpci_rig.h"

#define PAGE	 4096ull
#define PAGE_LOW (PAGE - 1)
#define MiB	 (1ull << 20)
#define FH	 0x0a0b0c0du
#define NCPU	 4
#define OPS	 20000
#define MAX_LIVE 32
#define MAX_SG	 8
/* The device defaults: dma_get_max_seg_size() and dma_get_seg_boundary(). */
#define MAX_SEG	 65536ull
#define SEG_MASK 0xffffffffull
/* IOVA sizes below this many granules are allocated rounded up to a power of two. */
#define ROUND_BELOW   32u
#define SWEEP_EVERY   1024
#define PENDING_EVERY 256
/* One op in this many is a clock tick, one in FLUSH_ONE_IN an explicit queue flush. */
#define TICK_ONE_IN	  3000
#define FLUSH_ONE_IN	  6000
#define DMA_MAPPING_ERROR (~0ull)

enum policy {
	POL_STRICT,
	POL_FQ_PERCPU,
	POL_FQ_SINGLE,
	/* The single queue with 1024 entries, so its ring wraps and fills within the run. */
	POL_FQ_SINGLE_1K,
	POL_LEGACY_LAZY,
	POL_LEGACY_STRICT,
};

static const struct policy_case policies[] = {
	[POL_STRICT] = {"strict", ZPCI_RIG_STRICT},
	[POL_FQ_PERCPU] = {"fq_percpu", ZPCI_RIG_FQ_PER_CPU},
	[POL_FQ_SINGLE] = {"fq_single", ZPCI_RIG_FQ_SINGLE},
	[POL_FQ_SINGLE_1K] = {"fq_single_1k", ZPCI_RIG_FQ_SINGLE, 1024},
	[POL_LEGACY_LAZY] = {"legacy_lazy", ZPCI_RIG_LEGACY_LAZY},
	[POL_LEGACY_STRICT] = {"legacy_strict", ZPCI_RIG_LEGACY_STRICT},
};

enum kind { K_PAGE, K_SG, K_COHERENT };

struct mapping {
	enum kind kind;
	enum iommusim_dma_dir dir;
	uint64_t phys;
	uint64_t size;
	uint64_t dma;
	unsigned int nents;
	/* The list as the map left it: handed back to unmap_sg. */
	struct iommusim_sg sg[MAX_SG];
	unsigned int nchunks;
	struct dma_chunk chunk[MAX_SG];
	/* dma-iommu: the one IOVA range of the map (the whole list for map_sg). */
	uint64_t iova;
	uint64_t iova_pages;
	/* legacy: the bitmap range of each output segment */
	unsigned int nruns;
	uint64_t run_bit[MAX_SG];
	uint64_t run_pages[MAX_SG];
	uint64_t pages;
};

/* An RPCIT the current op must issue. */
struct rpcit {
	uint64_t addr;
	uint64_t len;
	unsigned int cpu;
};

struct fq_entry {
	uint64_t pfn;
	uint64_t pages;
	/* flushes done when it was queued: reclaimable once more have been done */
	uint64_t epoch;
};

/* A flush queue ring as dma-iommu keeps it (sources.md S16): size slots, size - 1 usable. */
struct fq_model {
	struct fq_entry *ring;
	unsigned int size;
	unsigned int head;
	unsigned int tail;
};

/* The legacy iommu_bitmap and lazy_bitmap, one byte per page. */
struct legacy_model {
	uint8_t *taken;
	uint8_t *lazy;
	uint64_t npages;
	uint64_t next_bit;
};

/* What the library's counters must say. */
struct expect {
	uint64_t maps, unmaps, failures, mapped_bytes;
	uint64_t mapped_pages, unmapped_pages;
	/* dma-iommu */
	uint64_t sync_map, sync, flushes, full_flushes, timer_flushes, fq_entries;
	/* legacy */
	uint64_t map_rpcits, unmap_rpcits, global_rpcits, wraps, allocated_pages;
	uint64_t log_len;
	/* not library counters: how often the test saw -ENOMEM and answered with a flush */
	uint64_t enomem;
};

struct run {
	enum policy pol;
	struct zpci_rig rig;
	uint64_t window_pages;
	struct iommusim_rng rng;

	struct mapping live[MAX_LIVE];
	unsigned int nlive;

	struct fq_model fq[NCPU];
	unsigned int nfq;
	bool timer_on;
	unsigned int timer_cpu;

	struct legacy_model lg;

	struct rpcit exp[4 * MAX_SG];
	unsigned int nexp;
	size_t log_seen;

	struct expect e;
};

/* A draw from the run's own stream. */
static inline uint64_t below(struct run *r, uint64_t n)
{
	return test_rng_below(&r->rng, n);
}

static inline void expect_rpcit(struct run *r, uint64_t addr, uint64_t len, unsigned int cpu)
{
	assert_true(r->nexp < sizeof(r->exp) / sizeof(r->exp[0]));
	r->exp[r->nexp++] = (struct rpcit){.addr = addr, .len = len, .cpu = cpu};
}

static inline void expect_global(struct run *r, unsigned int cpu)
{
	expect_rpcit(r, r->rig.start_dma, r->window_pages * PAGE, cpu);
}

/* ---------------------------------------------------------------------------------------- */
/* Flush-queue model (sources.md S16). Single-threaded, a flush starts and finishes within one
 * call, so an entry queued after F flushes is reclaimable once F + 1 have been done. */

static inline unsigned int fq_count(const struct fq_model *q)
{
	return (q->tail - q->head) & (q->size - 1);
}

static inline void fq_reclaim(struct run *r, struct fq_model *q)
{
	while (q->head != q->tail && q->ring[q->head].epoch < r->e.flushes)
		q->head = (q->head + 1) & (q->size - 1);
}

static inline void fq_reclaim_all(struct run *r)
{
	for (unsigned int i = 0; i < r->nfq; i++)
		fq_reclaim(r, &r->fq[i]);
}

static inline void fq_flush(struct run *r, unsigned int cpu)
{
	r->e.flushes++;
	expect_global(r, cpu);
}

/* queue_iova(): reclaim, flush if still full, append, arm the timer if it is not armed */
static inline void fq_queue(struct run *r, unsigned int cpu, uint64_t pfn, uint64_t pages)
{
	struct fq_model *q = &r->fq[r->nfq == 1 ? 0 : cpu];

	fq_reclaim(r, q);
	if (fq_count(q) == q->size - 1) {
		fq_flush(r, cpu);
		r->e.full_flushes++;
		fq_reclaim(r, q);
	}
	q->ring[q->tail] = (struct fq_entry){.pfn = pfn, .pages = pages, .epoch = r->e.flushes};
	q->tail = (q->tail + 1) & (q->size - 1);
	r->e.fq_entries++;
	if (!r->timer_on) {
		r->timer_on = true;
		r->timer_cpu = cpu;
	}
}

/* ---------------------------------------------------------------------------------------- */
/* Legacy bitmap model (sources.md S19). */

/*
 * iommu_area_alloc() with align_mask 0: first zero run of @nr bits from @start below
 * npages - 1 (the last bit is never handed out). The segment boundary (4 GiB of pages) cannot
 * be crossed inside a window of a few MiB that starts at 4 GiB, so it is not modelled.
 */
static inline bool area_find(const struct legacy_model *lg, uint64_t start, uint64_t nr,
			     uint64_t *out)
{
	uint64_t size = lg->npages - 1, index, end;

	for (;;) {
		uint64_t i;

		index = start;
		while (index < size && lg->taken[index])
			index++;
		end = index + nr;
		if (end > size)
			return false;
		for (i = index; i < end && !lg->taken[i]; i++)
			;
		if (i == end)
			break;
		start = i + 1;
	}
	*out = index;
	return true;
}

/* dma_alloc_address(): next-fit, wrapping with a global RPCIT and a merge when lazy */
static inline uint64_t legacy_alloc(struct run *r, uint64_t nr, unsigned int cpu)
{
	struct legacy_model *lg = &r->lg;
	uint64_t bit = 0;

	if (!area_find(lg, lg->next_bit, nr, &bit)) {
		r->e.wraps++;
		if (r->rig.lazy) {
			r->e.global_rpcits++;
			expect_global(r, cpu);
			for (uint64_t i = 0; i < lg->npages; i++) {
				if (lg->lazy[i])
					lg->taken[i] = 0;
				lg->lazy[i] = 0;
			}
		}
		/* The windows here are far larger than the live set: a wrap always finds room. */
		assert_true(area_find(lg, 0, nr, &bit));
	}
	memset(lg->taken + bit, 1, nr);
	lg->next_bit = bit + nr;
	return bit;
}

static inline void legacy_free(struct run *r, uint64_t bit, uint64_t nr)
{
	if (r->rig.lazy)
		memset(r->lg.lazy + bit, 1, nr);
	else
		memset(r->lg.taken + bit, 0, nr);
}

/* ---------------------------------------------------------------------------------------- */
/* Expected layout of a mapped list. */

struct seg {
	uint64_t addr;
	uint64_t len;
};

/* __finalise_sg() of dma-iommu (sources.md S17) on the original list (no padding: the lists are far
 * below the 4 GiB segment boundary), for a list mapped at @iova. Return: the number of segments. */
static inline unsigned int iommu_segments(const struct iommusim_sg *sg, unsigned int n,
					  uint64_t iova, struct seg *out)
{
	uint64_t dma = iova, cur_len = 0;
	unsigned int count = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t off = sg[i].phys & PAGE_LOW, len = sg[i].length;
		uint64_t ilen = dma_page_align(len + off);

		if (cur_len && !off && (dma & SEG_MASK) && MAX_SEG - cur_len >= len) {
			cur_len += len;
		} else {
			cur_len = len;
			out[count++].addr = dma + off;
		}
		out[count - 1].len = cur_len;
		dma += ilen;
		if (len + off < ilen)
			cur_len = 0;
	}
	return count;
}

struct lrun {
	unsigned int first;
	unsigned int last;
	uint64_t size;
	uint64_t offset;
};

/* s390_dma_map_sg()'s coalescing (sources.md S19). Return: the number of runs. */
static inline unsigned int legacy_runs(const struct iommusim_sg *sg, unsigned int n,
				       struct lrun *out)
{
	uint64_t size = (sg[0].phys & PAGE_LOW) + sg[0].length, offset = sg[0].phys & PAGE_LOW;
	unsigned int start = 0, k = 0;

	for (unsigned int i = 1; i < n; i++) {
		uint64_t off = sg[i].phys & PAGE_LOW;

		if (off || (size & PAGE_LOW) || size + sg[i].length > MAX_SEG) {
			out[k++] = (struct lrun){start, i - 1, size, offset};
			size = offset = off;
			start = i;
		}
		size += sg[i].length;
	}
	out[k++] = (struct lrun){start, n - 1, size, offset};
	return k;
}

#endif /* TESTS_INTEGRATION_DMA_RANDOM_MODEL_H */
