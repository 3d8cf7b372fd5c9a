/* SPDX-License-Identifier: MIT */
/*
 * dma-iommu's flush queues (drivers/iommu/dma-iommu.c): a lazy unmap parks its IOVA in a ring
 * until an IOTLB flush that started after the unmap has finished, so one flush_iotlb_all covers
 * many unmaps. A flush happens when a queue is still full after reclaiming, or when the one-shot
 * timer armed by the first entry after the previous expiry runs out. Per-CPU queues of 256 or
 * one queue of 32768 (Linux 6.7+); the ring arithmetic is the same for both.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>

#include "base/bitops.h"
#include "base/cpu_work.h"
#include "base/memory.h"
#include "core/domain_impl.h"
#include "dma/cookie.h"

#define NS_PER_MS 1000000ull

static size_t fq_bytes(uint32_t fq_size)
{
	return offsetof(struct isim_fq, entries) + (size_t)fq_size * sizeof(struct isim_fq_entry);
}

/* mirrors fq_full(): one slot stays free, so capacity is fq_size - 1 */
static bool fq_full(const struct isim_fq *fq)
{
	return ((fq->tail + 1) & fq->mod_mask) == fq->head;
}

/* mirrors fq_ring_add(): the slot to fill is the old tail */
static unsigned int fq_ring_add(struct isim_fq *fq)
{
	unsigned int idx = fq->tail;

	fq->tail = (idx + 1) & fq->mod_mask;
	return idx;
}

static void fq_lock(struct isim_fq *fq, struct iommusim_cpu *cpu)
{
	isim_spin_lock(&fq->lock);
	isim_work(cpu, IOMMUSIM_WORK_LOCK, 1);
}

static void fq_unlock(struct isim_fq *fq)
{
	isim_spin_unlock(&fq->lock);
}

/*
 * mirrors fq_ring_free_locked(): strict FIFO from the head, stopping at the first entry no
 * finished flush covers. The finish count is read once, so a flush that ends meanwhile is left
 * for the next call. Reclaimed IOVAs go to this CPU's rcache, not straight to the tree.
 */
static void fq_ring_free_locked(struct isim_dma_cookie *c, struct isim_fq *fq,
				struct iommusim_cpu *cpu)
{
	uint64_t finish = atomic_load(&c->fq_flush_finish_cnt);
	uint64_t n = 0;

	for (unsigned int idx = fq->head; idx != fq->tail; idx = (idx + 1) & fq->mod_mask) {
		const struct isim_fq_entry *e = &fq->entries[idx];

		if (e->counter >= finish)
			break;
		iommusim_iova_free_fast(c->iovad, cpu, e->pfn, e->pages);
		fq->head = (fq->head + 1) & fq->mod_mask;
		n++;
	}
	if (n)
		isim_work(cpu, IOMMUSIM_WORK_FQ_ENTRY, n);
}

/* mirrors fq_ring_free() */
static void fq_ring_free(struct isim_dma_cookie *c, struct isim_fq *fq, struct iommusim_cpu *cpu)
{
	fq_lock(fq, cpu);
	fq_ring_free_locked(c, fq, cpu);
	fq_unlock(fq);
}

/* mirrors fq_flush_iotlb(): the counters bracket the flush so in-flight ones do not count */
static void fq_flush_iotlb(struct isim_dma_cookie *c, struct iommusim_cpu *cpu)
{
	atomic_fetch_add(&c->fq_flush_start_cnt, 1);
	iommusim_iommu_flush_iotlb_all(c->domain, cpu);
	atomic_fetch_add(&c->fq_flush_finish_cnt, 1);
	atomic_fetch_add_explicit(&c->st_fq_flushes, 1, memory_order_relaxed);
}

/* The reclaim half of fq_flush_timeout(): the single queue or every possible CPU's. */
static void fq_ring_free_all(struct isim_dma_cookie *c, struct iommusim_cpu *cpu)
{
	if (c->options.qt == ISIM_FQ_QT_SINGLE) {
		fq_ring_free(c, c->single_fq, cpu);
		return;
	}
	for (unsigned int i = 0; i < c->possible_cpus; i++)
		fq_ring_free(c, c->percpu_fq[i], cpu);
}

/*
 * mirrors fq_flush_timeout(): one flush, then every queue of every possible CPU. It does not
 * re-arm itself; the next queued entry does.
 */
static void fq_flush_timeout(struct iommusim_timer *t, struct iommusim_cpu *cpu, void *arg)
{
	struct isim_dma_cookie *c = arg;

	(void)t;
	atomic_store(&c->fq_timer_on, 0);
	fq_flush_iotlb(c, cpu);
	atomic_fetch_add_explicit(&c->st_fq_timer_flushes, 1, memory_order_relaxed);
	fq_ring_free_all(c, cpu);
}

/* mirrors queue_iova() */
void isim_fq_queue_iova(struct isim_dma_cookie *c, struct iommusim_cpu *cpu, uint64_t pfn,
			uint64_t pages)
{
	struct isim_fq *fq;
	unsigned int idx;

	/* Orders the page-table clear before a flush another CPU may run (the kernel's smp_mb). */
	atomic_thread_fence(memory_order_seq_cst);

	if (c->options.qt == ISIM_FQ_QT_SINGLE) {
		fq = c->single_fq;
	} else {
		assert(cpu->id < c->possible_cpus && "CPU id beyond the configured possible CPUs");
		fq = c->percpu_fq[cpu->id];
	}

	fq_lock(fq, cpu);
	/* What other CPUs' flushes already covered goes first, so the queue is less often full. */
	fq_ring_free_locked(c, fq, cpu);
	if (fq_full(fq)) {
		fq_flush_iotlb(c, cpu);
		atomic_fetch_add_explicit(&c->st_fq_full_flushes, 1, memory_order_relaxed);
		fq_ring_free_locked(c, fq, cpu);
	}
	idx = fq_ring_add(fq);
	fq->entries[idx].pfn = pfn;
	fq->entries[idx].pages = pages;
	fq->entries[idx].counter = atomic_load(&c->fq_flush_start_cnt);
	isim_work(cpu, IOMMUSIM_WORK_FQ_ENTRY, 1);
	fq_unlock(fq);
	atomic_fetch_add_explicit(&c->st_fq_entries, 1, memory_order_relaxed);

	/*
	 * Armed by the first entry after the last expiry and never pushed back; the plain load
	 * first keeps CPUs from bouncing the line with exchanges while the timer is pending.
	 */
	if (!atomic_load_explicit(&c->fq_timer_on, memory_order_relaxed) &&
	    !atomic_exchange(&c->fq_timer_on, 1))
		iommusim_timer_schedule(c->fq_timer, cpu,
					(uint64_t)c->options.fq_timeout_ms * NS_PER_MS);
}

void isim_fq_flush_all(struct isim_dma_cookie *c, struct iommusim_cpu *cpu)
{
	if (!atomic_load(&c->fq_active))
		return;
	fq_flush_iotlb(c, cpu);
	fq_ring_free_all(c, cpu);
}

static struct isim_fq *fq_alloc(struct isim_dma_cookie *c)
{
	uint32_t size = c->options.fq_size;
	struct isim_fq *fq = isim_alloc(c->mem, fq_bytes(size), ISIM_CACHELINE);

	if (!fq)
		return NULL;
	/* mirrors iommu_dma_init_one_fq() */
	isim_spin_init(&fq->lock);
	fq->head = 0;
	fq->tail = 0;
	fq->mod_mask = size - 1;
	return fq;
}

static void fq_release(struct isim_dma_cookie *c, struct isim_fq *fq)
{
	if (fq)
		isim_free(c->mem, fq, fq_bytes(c->options.fq_size), ISIM_CACHELINE);
}

static void fq_free_queues(struct isim_dma_cookie *c)
{
	if (c->options.qt == ISIM_FQ_QT_SINGLE) {
		fq_release(c, c->single_fq);
		c->single_fq = NULL;
		return;
	}
	if (!c->percpu_fq)
		return;
	for (unsigned int i = 0; i < c->possible_cpus; i++)
		fq_release(c, c->percpu_fq[i]);
	isim_free(c->mem, c->percpu_fq, sizeof(*c->percpu_fq) * c->possible_cpus, 0);
	c->percpu_fq = NULL;
}

/* mirrors iommu_dma_init_fq() */
int isim_fq_init(struct isim_dma_cookie *c)
{
	if (atomic_load(&c->fq_active))
		return 0;
	assert(c->clock && isim_is_pow2(c->options.fq_size) && c->options.fq_size >= 2);

	atomic_store(&c->fq_flush_start_cnt, 0);
	atomic_store(&c->fq_flush_finish_cnt, 0);

	if (c->options.qt == ISIM_FQ_QT_SINGLE) {
		c->single_fq = fq_alloc(c);
		if (!c->single_fq)
			goto fail;
	} else {
		c->percpu_fq = isim_zalloc(c->mem, sizeof(*c->percpu_fq) * c->possible_cpus, 0);
		if (!c->percpu_fq)
			goto fail;
		for (unsigned int i = 0; i < c->possible_cpus; i++) {
			c->percpu_fq[i] = fq_alloc(c);
			if (!c->percpu_fq[i])
				goto fail;
		}
	}
	if (iommusim_timer_create(c->clock, fq_flush_timeout, c, &c->fq_timer))
		goto fail;
	atomic_store(&c->fq_timer_on, 0);
	/* Published last: an unmap that sees the flush queue active sees it complete. */
	atomic_store_explicit(&c->fq_active, true, memory_order_release);
	return 0;
fail:
	fq_free_queues(c);
	return -ENOMEM;
}

/* mirrors iommu_dma_free_fq() */
void isim_fq_free(struct isim_dma_cookie *c)
{
	if (!atomic_load(&c->fq_active))
		return;
	/* The kernel's del_timer_sync(): no expiry may run on freed queues. */
	iommusim_timer_destroy(c->fq_timer);
	c->fq_timer = NULL;
	fq_free_queues(c);
	atomic_store(&c->fq_active, false);
}
