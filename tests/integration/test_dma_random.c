/* SPDX-License-Identifier: MIT */
/*
 * Seeded random DMA traffic through the whole s390 stack: DMA API -> dma-iommu (strict, lazy
 * with per-CPU queues, lazy with the single queue) or the legacy s390 ops (lazy, strict) ->
 * s390 driver -> scripted firmware, on LPAR (tlb_refresh off) and on a paging guest (on).
 *
 * Four CPU handles are used from one thread: map_page, map_sg, alloc_coherent and the matching
 * unmaps in random order, now and then a manual clock tick (the flush-queue timeout) or an
 * explicit flush of the queues. The test keeps its own model and checks after every op:
 *
 * - every live mapping translates page by page to its physical page, read-only exactly when
 *   the direction is TO_DEVICE (s390 has no write-only PTE: FROM_DEVICE is read/write);
 * - no two live mappings (nor a new mapping and a lazily freed, still queued range) overlap;
 * - the pages of an unmapped buffer fault at once, lazy policies included, and while a lazily
 *   freed range sits in a flush queue the IOVA tree still holds it (iommusim_iova_find; checked
 *   at the unmap and for every queued range every 256 ops);
 * - the flush queues behave as dma-iommu's flush queues do (sources.md S16) (capacity size - 1, a full flush when a
 *   queue is still full, FIFO reclaim after a flush that started later, a one-shot timer armed
 *   by the first entry and run on the CPU that armed it): the test models them and predicts
 *   every flush;
 * - the legacy allocator behaves as the legacy ops do (sources.md S19) (next-fit iommu_area_alloc that never
 *   hands out the last bit, lazy bits merged on a wrap, one global RPCIT per lazy wrap): the
 *   test models its bitmap and predicts every DMA address and every wrap;
 * - dma-iommu IOVAs come from the window, aligned to and (below 32 pages) sized as the next
 *   power of two (sources.md S15); map_sg output segments are those of __finalise_sg (S17)
 *   or of the legacy run coalescing (§5.6);
 * - the RPCITs of each op are exactly the expected ones (§4.3, §4.4, §5.5), in order, on the
 *   right CPU; the s390 domain or legacy counters equal the model, mapped - unmapped equals
 *   the live pages, the log length equals the sum of the RPCIT counters, and the DMA stats
 *   count maps, unmaps, failures, bytes and flush-queue events as the model does.
 *
 * Windows are small (guest memory 64 MiB for dma-iommu, 16 MiB for legacy) so per-CPU queues
 * fill, the single queue can exhaust the window (a map then fails with -ENOMEM, leaving nothing
 * behind; the test flushes the queues and the retry must succeed) and the legacy bitmap wraps
 * dozens of times. A full sweep of the window every 1024 ops checks that nothing outside the
 * live mappings translates. At the end everything is unmapped and freed.
 */
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

#define PAGE	      4096ull
#define PAGE_LOW      (PAGE - 1)
#define MiB	      (1ull << 20)
#define FH	      0x0a0b0c0du
#define NCPU	      4
#define OPS	      20000
#define MAX_LIVE      32
#define MAX_SG	      8
/* The device defaults: dma_get_max_seg_size() and dma_get_seg_boundary(). */
#define MAX_SEG	      65536ull
#define SEG_MASK      0xffffffffull
/* IOVA sizes below this many granules are allocated rounded up to a power of two. */
#define ROUND_BELOW   32u
#define SWEEP_EVERY   1024
#define PENDING_EVERY 256
/* One op in this many is a clock tick, one in FLUSH_ONE_IN an explicit queue flush. */
#define TICK_ONE_IN   3000
#define FLUSH_ONE_IN  6000
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
	[POL_STRICT] = { "strict", ZPCI_RIG_STRICT },
	[POL_FQ_PERCPU] = { "fq_percpu", ZPCI_RIG_FQ_PER_CPU },
	[POL_FQ_SINGLE] = { "fq_single", ZPCI_RIG_FQ_SINGLE },
	[POL_FQ_SINGLE_1K] = { "fq_single_1k", ZPCI_RIG_FQ_SINGLE, 1024 },
	[POL_LEGACY_LAZY] = { "legacy_lazy", ZPCI_RIG_LEGACY_LAZY },
	[POL_LEGACY_STRICT] = { "legacy_strict", ZPCI_RIG_LEGACY_STRICT },
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
static uint64_t below(struct run *r, uint64_t n)
{
	return test_rng_below(&r->rng, n);
}

static void expect_rpcit(struct run *r, uint64_t addr, uint64_t len, unsigned int cpu)
{
	assert_true(r->nexp < sizeof(r->exp) / sizeof(r->exp[0]));
	r->exp[r->nexp++] = (struct rpcit){ .addr = addr, .len = len, .cpu = cpu };
}

static void expect_global(struct run *r, unsigned int cpu)
{
	expect_rpcit(r, r->rig.start_dma, r->window_pages * PAGE, cpu);
}

/* ---------------------------------------------------------------------------------------- */
/* Flush-queue model (sources.md S16). Single-threaded, a flush starts and finishes within one
 * call, so an entry queued after F flushes is reclaimable once F + 1 have been done. */

static unsigned int fq_count(const struct fq_model *q)
{
	return (q->tail - q->head) & (q->size - 1);
}

static void fq_reclaim(struct run *r, struct fq_model *q)
{
	while (q->head != q->tail && q->ring[q->head].epoch < r->e.flushes)
		q->head = (q->head + 1) & (q->size - 1);
}

static void fq_reclaim_all(struct run *r)
{
	for (unsigned int i = 0; i < r->nfq; i++)
		fq_reclaim(r, &r->fq[i]);
}

static void fq_flush(struct run *r, unsigned int cpu)
{
	r->e.flushes++;
	expect_global(r, cpu);
}

/* queue_iova(): reclaim, flush if still full, append, arm the timer if it is not armed */
static void fq_queue(struct run *r, unsigned int cpu, uint64_t pfn, uint64_t pages)
{
	struct fq_model *q = &r->fq[r->nfq == 1 ? 0 : cpu];

	fq_reclaim(r, q);
	if (fq_count(q) == q->size - 1) {
		fq_flush(r, cpu);
		r->e.full_flushes++;
		fq_reclaim(r, q);
	}
	q->ring[q->tail] = (struct fq_entry){ .pfn = pfn, .pages = pages, .epoch = r->e.flushes };
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
static bool area_find(const struct legacy_model *lg, uint64_t start, uint64_t nr, uint64_t *out)
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
static uint64_t legacy_alloc(struct run *r, uint64_t nr, unsigned int cpu)
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

static void legacy_free(struct run *r, uint64_t bit, uint64_t nr)
{
	if (r->rig.lazy)
		memset(r->lg.lazy + bit, 1, nr);
	else
		memset(r->lg.taken + bit, 0, nr);
}

/* ---------------------------------------------------------------------------------------- */
/* Checks */

static void check_chunk_maps(struct run *r, const struct dma_chunk *c)
{
	char why[160];

	if (dma_chunk_bad_page(&r->rig, c, why, sizeof(why)))
		fail_msg("%s", why);
}

static void check_range_faults(struct run *r, uint64_t iova, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++)
		assert_int_equal(zpci_rig_translate(&r->rig, iova + i * PAGE, NULL, NULL), -EFAULT);
}

static void check_live_translate(struct run *r)
{
	for (unsigned int i = 0; i < r->nlive; i++)
		for (unsigned int k = 0; k < r->live[i].nchunks; k++)
			check_chunk_maps(r, &r->live[i].chunk[k]);
}

/* All live chunks inside the window and pairwise disjoint (sorted, neighbours compared). */
static void check_live_disjoint(struct run *r)
{
	static struct dma_chunk all[MAX_LIVE * MAX_SG];
	unsigned int n = 0;

	for (unsigned int i = 0; i < r->nlive; i++)
		for (unsigned int k = 0; k < r->live[i].nchunks; k++)
			all[n++] = r->live[i].chunk[k];
	qsort(all, n, sizeof(all[0]), dma_chunk_cmp);
	for (unsigned int i = 0; i < n; i++) {
		assert_true(all[i].iova >= r->rig.start_dma);
		assert_true(all[i].iova + all[i].pages * PAGE - 1 <= r->rig.end_dma);
		if (i + 1 < n)
			assert_true(all[i].iova + all[i].pages * PAGE <= all[i + 1].iova);
	}
}

static bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn * PAGE && b < a + an * PAGE;
}

/* A new mapping must not land on a range that is still queued for a flush. */
static void check_new_vs_queued(struct run *r, const struct mapping *m)
{
	for (unsigned int q = 0; q < r->nfq; q++) {
		const struct fq_model *f = &r->fq[q];

		for (unsigned int i = f->head; i != f->tail; i = (i + 1) & (f->size - 1))
			for (unsigned int k = 0; k < m->nchunks; k++)
				assert_false(overlaps(m->chunk[k].iova, m->chunk[k].pages,
						      f->ring[i].pfn * PAGE, f->ring[i].pages));
	}
}

/* The IOVA node of a dma-iommu range: starts at @pfn, sized and aligned as alloc_iova_fast. */
static void check_iova_node(struct run *r, uint64_t pfn, uint64_t pages)
{
	struct iommusim_iova_domain *iovad = iommusim_dma_iova_domain(r->rig.dev);
	uint64_t lo = 0, hi = 0, alloc = pages < ROUND_BELOW ? pow2_up(pages) : pages;

	assert_non_null(iovad);
	assert_int_equal(iommusim_iova_find(iovad, r->rig.cpu[0], pfn, &lo, &hi), 0);
	assert_int_equal(lo, pfn);
	assert_int_equal(hi - lo + 1, alloc);
	assert_int_equal(lo % pow2_up(pages), 0);
	assert_true(lo >= r->rig.start_dma / PAGE && hi <= r->rig.end_dma / PAGE);
}

/* Everything still queued: invalid PTEs, IOVA still allocated. */
static void check_queued(struct run *r)
{
	for (unsigned int q = 0; q < r->nfq; q++) {
		const struct fq_model *f = &r->fq[q];

		for (unsigned int i = f->head; i != f->tail; i = (i + 1) & (f->size - 1)) {
			check_range_faults(r, f->ring[i].pfn * PAGE, f->ring[i].pages);
			check_iova_node(r, f->ring[i].pfn, f->ring[i].pages);
		}
	}
}

/* Every page of the window: live pages as the model says, every other page faults. */
static void sweep_window(struct run *r)
{
	static uint64_t want[16384];
	static int want_prot[16384];

	assert_true(r->window_pages <= 16384);
	memset(want, 0xff, sizeof(want[0]) * r->window_pages);
	for (unsigned int i = 0; i < r->nlive; i++) {
		for (unsigned int k = 0; k < r->live[i].nchunks; k++) {
			const struct dma_chunk *c = &r->live[i].chunk[k];
			uint64_t first = (c->iova - r->rig.start_dma) / PAGE;

			for (uint64_t p = 0; p < c->pages; p++) {
				want[first + p] = c->phys + p * PAGE;
				want_prot[first + p] = c->prot;
			}
		}
	}
	for (uint64_t p = 0; p < r->window_pages; p++) {
		uint64_t phys;
		int prot;

		uint64_t iova = r->rig.start_dma + p * PAGE;

		if (want[p] == ~0ull) {
			assert_int_equal(zpci_rig_translate(&r->rig, iova, NULL, NULL), -EFAULT);
			continue;
		}
		assert_int_equal(zpci_rig_translate(&r->rig, iova, &phys, &prot), 0);
		assert_int_equal(phys, want[p]);
		assert_int_equal(prot, want_prot[p]);
	}
	/* Legacy lazily freed pages are still taken in the model's bitmap, and fault. */
	if (r->rig.legacy && r->rig.lazy)
		for (uint64_t p = 0; p < r->window_pages; p++)
			if (r->lg.lazy[p])
				assert_true(r->lg.taken[p] && want[p] == ~0ull);
}

/* The RPCITs the op issued are exactly r->exp, in order. */
static void check_log(struct run *r)
{
	size_t len = iommusim_firmware_script_log_len(r->rig.fw);

	assert_int_equal(len - r->log_seen, r->nexp);
	for (unsigned int i = 0; i < r->nexp; i++) {
		struct iommusim_firmware_call call = fw_expect_rpcit(
			r->rig.fw, r->log_seen + i, FH, r->exp[i].addr, r->exp[i].len, 0);

		assert_int_equal(call.cpu_id, r->exp[i].cpu);
	}
	r->e.log_len += r->nexp;
	r->log_seen = len;
	r->nexp = 0;
}

static uint64_t live_pages(const struct run *r)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < r->nlive; i++)
		n += r->live[i].pages;
	return n;
}

static void check_counters(struct run *r)
{
	struct iommusim_dma_stats st;
	size_t log_len = iommusim_firmware_script_log_len(r->rig.fw);
	uint64_t mapped = 0, unmapped = 0;

	iommusim_dma_get_stats(r->rig.dev, &st);
	EXPECT_FIELDS(&st, DMA_STATS(maps, r->e.maps), DMA_STATS(unmaps, r->e.unmaps),
		      DMA_STATS(map_failures, r->e.failures),
		      DMA_STATS(mapped_bytes, r->e.mapped_bytes),
		      DMA_STATS(fq_entries, r->e.fq_entries), DMA_STATS(fq_flushes, r->e.flushes),
		      DMA_STATS(fq_full_flushes, r->e.full_flushes),
		      DMA_STATS(fq_timer_flushes, r->e.timer_flushes),
		      DMA_STATS(iova_32bit_fallbacks, 0));
	assert_int_equal(log_len, r->e.log_len);
	assert_int_equal(zpci_rig_pages(&r->rig, &mapped, &unmapped), 0);
	assert_int_equal(mapped, r->e.mapped_pages);
	assert_int_equal(unmapped, r->e.unmapped_pages);
	assert_int_equal(mapped - unmapped, live_pages(r));

	if (r->rig.legacy) {
		struct iommusim_s390_legacy_counters c;

		assert_int_equal(iommusim_s390_legacy_counters(r->rig.dev, &c), 0);
		EXPECT_FIELDS(&c, LEGACY_CTR(allocated_pages, r->e.allocated_pages),
			      LEGACY_CTR(map_rpcits, r->e.map_rpcits),
			      LEGACY_CTR(unmap_rpcits, r->e.unmap_rpcits),
			      LEGACY_CTR(global_rpcits, r->e.global_rpcits),
			      LEGACY_CTR(wraps, r->e.wraps), LEGACY_CTR(enomem_purges, 0));
		assert_int_equal(log_len, c.map_rpcits + c.unmap_rpcits + c.global_rpcits);
	} else {
		struct iommusim_s390_counters c;

		assert_int_equal(iommusim_s390_domain_counters(r->rig.domain, &c), 0);
		/* one device: every flush-queue flush is one flush_iotlb_all, one global RPCIT */
		EXPECT_FIELDS(&c, S390_CTR(sync_map_rpcits, r->e.sync_map),
			      S390_CTR(sync_rpcits, r->e.sync),
			      S390_CTR(global_rpcits, r->e.flushes),
			      S390_CTR(enomem_global_rpcits, 0), S390_CTR(rpcit_errors, 0));
		assert_int_equal(log_len, c.sync_map_rpcits + c.sync_rpcits + c.global_rpcits +
						  c.enomem_global_rpcits);
	}
}

static void check_after_op(struct run *r, unsigned long op)
{
	check_log(r);
	check_counters(r);
	check_live_translate(r);
	check_live_disjoint(r);
	if (op % PENDING_EVERY == 0)
		check_queued(r);
	if (op % SWEEP_EVERY == 0)
		sweep_window(r);
}

/* ---------------------------------------------------------------------------------------- */
/* Expected layout of a mapped list. */

struct seg {
	uint64_t addr;
	uint64_t len;
};

/* __finalise_sg() of dma-iommu (sources.md S17) on the original list (no padding: the lists are far below the
 * 4 GiB segment boundary), for a list mapped at @iova. Return: the number of segments. */
static unsigned int iommu_segments(const struct iommusim_sg *sg, unsigned int n, uint64_t iova,
				   struct seg *out)
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
static unsigned int legacy_runs(const struct iommusim_sg *sg, unsigned int n, struct lrun *out)
{
	uint64_t size = (sg[0].phys & PAGE_LOW) + sg[0].length, offset = sg[0].phys & PAGE_LOW;
	unsigned int start = 0, k = 0;

	for (unsigned int i = 1; i < n; i++) {
		uint64_t off = sg[i].phys & PAGE_LOW;

		if (off || (size & PAGE_LOW) || size + sg[i].length > MAX_SEG) {
			out[k++] = (struct lrun){ start, i - 1, size, offset };
			size = offset = off;
			start = i;
		}
		size += sg[i].length;
	}
	out[k++] = (struct lrun){ start, n - 1, size, offset };
	return k;
}

/* ---------------------------------------------------------------------------------------- */
/* Ops */

/* Fill in the model of a successful map from the call's results and check them. */
static void record_iommu_map(struct run *r, struct mapping *m, unsigned int cpu,
			     const struct iommusim_sg *orig, unsigned int count)
{
	if (m->kind == K_SG) {
		struct seg segs[MAX_SG];
		uint64_t cur, n;

		/* Element 0 always opens segment 0, at the IOVA plus its offset. */
		m->iova = m->sg[0].dma_address - (orig[0].phys & PAGE_LOW);
		n = iommu_segments(orig, m->nents, m->iova, segs);
		assert_int_equal(count, n);
		for (unsigned int i = 0; i < m->nents; i++) {
			/* the list is given back as it came, with the DMA fields filled in */
			assert_int_equal(m->sg[i].phys, orig[i].phys);
			assert_int_equal(m->sg[i].length, orig[i].length);
			if (i < count) {
				assert_int_equal(m->sg[i].dma_address, segs[i].addr);
				assert_int_equal(m->sg[i].dma_length, segs[i].len);
			} else {
				assert_int_equal(m->sg[i].dma_address, DMA_MAPPING_ERROR);
				assert_int_equal(m->sg[i].dma_length, 0);
			}
		}
		cur = m->iova;
		m->nchunks = m->nents;
		for (unsigned int i = 0; i < m->nents; i++) {
			uint64_t pages = dma_pages_of(orig[i].phys, orig[i].length);

			m->chunk[i] = (struct dma_chunk){ .iova = cur, .pages = pages,
						      .phys = orig[i].phys & ~PAGE_LOW,
						      .prot = dma_dir_prot(m->dir) };
			cur += pages * PAGE;
		}
		m->iova_pages = (cur - m->iova) / PAGE;
	} else {
		/* the bus address keeps the offset in the page */
		assert_int_equal(m->dma & PAGE_LOW, m->phys & PAGE_LOW);
		m->iova = m->dma & ~PAGE_LOW;
		m->iova_pages = dma_pages_of(m->phys, m->size);
		m->nchunks = 1;
		m->chunk[0] = (struct dma_chunk){ .iova = m->iova, .pages = m->iova_pages,
					      .phys = m->phys & ~PAGE_LOW,
					      .prot = dma_dir_prot(m->dir) };
	}
	m->pages = m->iova_pages;
	check_iova_node(r, m->iova / PAGE, m->iova_pages);
	check_new_vs_queued(r, m);
	/* a paging guest needs an RPCIT for the new entries: one over the whole range */
	if (r->rig.tlb_refresh) {
		expect_rpcit(r, m->iova, m->iova_pages * PAGE, cpu);
		r->e.sync_map++;
	}
}

/* Predict the legacy map (addresses included) before the call. */
static void predict_legacy_map(struct run *r, struct mapping *m, unsigned int cpu)
{
	if (m->kind == K_SG) {
		struct lrun runs[MAX_SG];
		unsigned int n = legacy_runs(m->sg, m->nents, runs);

		m->nruns = n;
		m->nchunks = 0;
		m->pages = 0;
		for (unsigned int k = 0; k < n; k++) {
			uint64_t pages = dma_page_align(runs[k].size) / PAGE;
			uint64_t bit = legacy_alloc(r, pages, cpu);
			uint64_t cur = r->rig.start_dma + bit * PAGE;

			m->run_bit[k] = bit;
			m->run_pages[k] = pages;
			m->pages += pages;
			for (unsigned int i = runs[k].first; i <= runs[k].last; i++) {
				uint64_t off = m->sg[i].phys & PAGE_LOW;

				m->chunk[m->nchunks++] = (struct dma_chunk){
					.iova = cur & ~PAGE_LOW,
					.pages = dma_pages_of(off, m->sg[i].length),
					.phys = m->sg[i].phys & ~PAGE_LOW,
					.prot = dma_dir_prot(m->dir),
				};
				cur += off + m->sg[i].length;
			}
			if (r->rig.tlb_refresh) {
				expect_rpcit(r, r->rig.start_dma + bit * PAGE, pages * PAGE, cpu);
				r->e.map_rpcits++;
			}
		}
		return;
	}
	m->nruns = 1;
	m->run_pages[0] = m->pages = dma_pages_of(m->phys, m->size);
	m->run_bit[0] = legacy_alloc(r, m->pages, cpu);
	m->nchunks = 1;
	m->chunk[0] = (struct dma_chunk){
		.iova = r->rig.start_dma + m->run_bit[0] * PAGE,
		.pages = m->pages,
		.phys = m->phys & ~PAGE_LOW,
		.prot = dma_dir_prot(m->dir),
	};
	if (r->rig.tlb_refresh) {
		expect_rpcit(r, m->chunk[0].iova, m->pages * PAGE, cpu);
		r->e.map_rpcits++;
	}
}

/* The legacy results against the prediction. */
static void check_legacy_map(struct run *r, const struct mapping *m, unsigned int count)
{
	struct lrun runs[MAX_SG];

	if (m->kind != K_SG) {
		assert_int_equal(m->dma, m->chunk[0].iova + (m->phys & PAGE_LOW));
		return;
	}
	legacy_runs(m->sg, m->nents, runs);
	assert_int_equal(count, m->nruns);
	for (unsigned int i = 0; i < m->nents; i++) {
		if (i >= m->nruns) {
			assert_int_equal(m->sg[i].dma_length, 0);
			continue;
		}
		/* one output segment per run, at the run's address plus its first offset */
		assert_int_equal(m->sg[i].dma_address,
				 r->rig.start_dma + m->run_bit[i] * PAGE + runs[i].offset);
		assert_int_equal(m->sg[i].dma_length, runs[i].size - runs[i].offset);
	}
}

static int call_map(struct run *r, struct mapping *m, unsigned int cpu, unsigned int *count)
{
	struct iommusim_cpu *c = r->rig.cpu[cpu];

	switch (m->kind) {
	case K_PAGE:
		return iommusim_dma_map_page(r->rig.dev, c, m->phys, m->size, m->dir, &m->dma);
	case K_SG:
		return iommusim_dma_map_sg(r->rig.dev, c, m->sg, m->nents, m->dir, count);
	default:
		return iommusim_dma_alloc_coherent(r->rig.dev, c, m->phys, m->size, &m->dma);
	}
}

static uint64_t map_bytes(const struct mapping *m)
{
	uint64_t b = 0;

	if (m->kind != K_SG)
		return m->size;
	for (unsigned int i = 0; i < m->nents; i++)
		b += m->sg[i].length;
	return b;
}

static void op_flush(struct run *r, unsigned int cpu)
{
	iommusim_dma_iommu_flush_queue(r->rig.dev, r->rig.cpu[cpu]);
	/* a flush of every queue, whether anything is queued or not; no-op when strict */
	if (!r->rig.legacy && r->rig.lazy) {
		fq_flush(r, cpu);
		fq_reclaim_all(r);
	}
}

static void op_tick(struct run *r)
{
	iommusim_manual_clock_tick(r->rig.clock);
	/* the timeout flushes once, on the CPU that armed it, and drains every queue */
	if (!r->rig.legacy && r->rig.lazy && r->timer_on) {
		r->timer_on = false;
		fq_flush(r, r->timer_cpu);
		r->e.timer_flushes++;
		fq_reclaim_all(r);
	}
}

static void op_map(struct run *r, unsigned long op)
{
	struct mapping *m = &r->live[r->nlive];
	struct iommusim_sg orig[MAX_SG] = { 0 };
	unsigned int cpu = (unsigned int)below(r, NCPU), count = 0;
	uint64_t bytes;
	int ret;

	memset(m, 0, sizeof(*m));
	m->kind = (enum kind)(below(r, 20) < 11 ? K_PAGE : below(r, 9) < 5 ? K_SG : K_COHERENT);
	m->dir = dma_rand_dir(&r->rng);
	if (m->kind == K_PAGE) {
		m->phys = dma_rand_phys(&r->rng, 0) + (below(r, 2) ? below(r, PAGE) : 0);
		m->size = dma_rand_len(&r->rng, 16);
	} else if (m->kind == K_COHERENT) {
		m->dir = IOMMUSIM_DMA_BIDIRECTIONAL;
		m->phys = dma_rand_phys(&r->rng, 0);
		m->size = below(r, 2) ? (1 + below(r, 16)) * PAGE : dma_rand_len(&r->rng, 16);
	} else {
		m->nents = dma_rand_sg(&r->rng, m->sg, MAX_SG, 0);
		memcpy(orig, m->sg, sizeof(orig));
	}
	bytes = map_bytes(m);

	if (r->rig.legacy) {
		predict_legacy_map(r, m, cpu);
		ret = call_map(r, m, cpu, &count);
		assert_int_equal(ret, 0);
		check_legacy_map(r, m, count);
		if (m->kind == K_COHERENT)
			r->e.allocated_pages += m->pages;
	} else {
		ret = call_map(r, m, cpu, &count);
		if (ret) {
			/*
			 * Only an exhausted window (queued and cached IOVAs included) may refuse a
			 * map; nothing may be left behind: no RPCIT, no PTE, the list restored.
			 */
			assert_int_equal(ret, -ENOMEM);
			r->e.failures++;
			r->e.enomem++;
			if (m->kind == K_SG)
				for (unsigned int i = 0; i < m->nents; i++) {
					assert_int_equal(m->sg[i].phys, orig[i].phys);
					assert_int_equal(m->sg[i].length, orig[i].length);
				}
			check_after_op(r, op);
			/* Once the queues are drained and the caches flushed, it fits. */
			op_flush(r, cpu);
			check_after_op(r, op);
			ret = call_map(r, m, cpu, &count);
			assert_int_equal(ret, 0);
		}
		record_iommu_map(r, m, cpu, orig, count);
	}
	r->e.maps++;
	r->e.mapped_bytes += bytes;
	r->e.mapped_pages += m->pages;
	r->nlive++;
}

static void op_unmap(struct run *r, unsigned int idx)
{
	struct mapping m = r->live[idx];
	unsigned int cpu = (unsigned int)below(r, NCPU);

	r->live[idx] = r->live[--r->nlive];
	switch (m.kind) {
	case K_PAGE:
		iommusim_dma_unmap_page(r->rig.dev, r->rig.cpu[cpu], m.dma, m.size, m.dir);
		break;
	case K_SG:
		iommusim_dma_unmap_sg(r->rig.dev, r->rig.cpu[cpu], m.sg, m.nents, m.dir);
		break;
	default:
		iommusim_dma_free_coherent(r->rig.dev, r->rig.cpu[cpu], m.size, m.dma);
		break;
	}
	r->e.unmaps++;
	r->e.unmapped_pages += m.pages;

	if (r->rig.legacy) {
		for (unsigned int k = 0; k < m.nruns; k++) {
			if (!r->rig.lazy) {
				expect_rpcit(r, r->rig.start_dma + m.run_bit[k] * PAGE,
					     m.run_pages[k] * PAGE, cpu);
				r->e.unmap_rpcits++;
			}
			legacy_free(r, m.run_bit[k], m.run_pages[k]);
		}
		if (m.kind == K_COHERENT)
			r->e.allocated_pages -= m.pages;
	} else if (r->rig.lazy) {
		fq_queue(r, cpu, m.iova / PAGE, m.iova_pages);
		/* Queued, not freed: the tree still holds the range until a flush. */
		check_iova_node(r, m.iova / PAGE, m.iova_pages);
	} else {
		expect_rpcit(r, m.iova, m.iova_pages * PAGE, cpu);
		r->e.sync++;
	}
	/* The PTEs are invalid at once, whatever the policy. */
	for (unsigned int k = 0; k < m.nchunks; k++)
		check_range_faults(r, m.chunk[k].iova, m.chunk[k].pages);
}

/* ---------------------------------------------------------------------------------------- */

static void run_up(struct run *r, enum policy pol, bool tlb_refresh)
{
	struct iommusim_firmware_call call;
	struct zpci_rig_config cfg = {
		.policy = policies[pol].policy,
		.ncpu = NCPU,
		.zpci = { .fh = FH, .tlb_refresh = tlb_refresh },
		.dma = { .fq_size = policies[pol].fq_size, .forcedac = true },
	};

	memset(r, 0, sizeof(*r));
	r->pol = pol;
	r->rng = test_rng(0x5eed0000u + (uint64_t)pol * 2 + tlb_refresh);
	cfg.zpci.guest_memory = zpci_rig_policy_legacy(cfg.policy) ? 16 * MiB : 64 * MiB;

	assert_int_equal(zpci_rig_up(&r->rig, &cfg), 0);
	/* QEMU's window cut to guest memory (sources.md S11) */
	assert_int_equal(r->rig.start_dma, IOMMUSIM_ZPCI_QEMU_START_DMA);
	assert_int_equal(r->rig.end_dma, r->rig.start_dma + cfg.zpci.guest_memory - 1);
	r->window_pages = cfg.zpci.guest_memory / PAGE;

	if (r->rig.legacy) {
		r->lg.npages = r->window_pages;
		r->lg.taken = calloc(r->window_pages, 1);
		r->lg.lazy = calloc(r->window_pages, 1);
		assert_non_null(r->lg.taken);
		assert_non_null(r->lg.lazy);
	} else if (r->rig.lazy) {
		unsigned int size = pol == POL_FQ_PERCPU     ? IOMMUSIM_FQ_PER_CPU_SIZE
				    : pol == POL_FQ_SINGLE_1K ? 1024
							      : IOMMUSIM_FQ_SINGLE_SIZE;

		r->nfq = pol == POL_FQ_PERCPU ? NCPU : 1;
		for (unsigned int i = 0; i < r->nfq; i++) {
			r->fq[i].size = size;
			r->fq[i].ring = calloc(size, sizeof(struct fq_entry));
			assert_non_null(r->fq[i].ring);
		}
	}
	/* setup issues no RPCIT: its one call registers the table, and the log starts after it */
	assert_int_equal(iommusim_firmware_script_log_len(r->rig.fw), 1);
	assert_int_equal(iommusim_firmware_script_log_get(r->rig.fw, 0, &call), 0);
	assert_int_equal(call.kind, IOMMUSIM_FIRMWARE_CALL_SET_IOAT);
	iommusim_firmware_script_log_clear(r->rig.fw);
}

static void run_down(struct run *r)
{
	/* Unmap what is left in random order, flush, and nothing may translate any more. */
	while (r->nlive) {
		op_unmap(r, (unsigned int)below(r, r->nlive));
		check_after_op(r, 1);
	}
	op_flush(r, 0);
	check_after_op(r, 0);
	sweep_window(r);
	for (unsigned int i = 0; i < r->nfq; i++)
		assert_int_equal(fq_count(&r->fq[i]), 0);
	assert_int_equal(r->e.mapped_pages, r->e.unmapped_pages);
	assert_int_equal(r->e.maps, r->e.unmaps);

	assert_int_equal(zpci_rig_down(&r->rig).objects, 0);
	for (unsigned int i = 0; i < r->nfq; i++)
		free(r->fq[i].ring);
	free(r->lg.taken);
	free(r->lg.lazy);
}

static struct run the_run;

static void test_dma_random(void **state)
{
	const struct policy_test *pt = *state;
	enum policy pol = (enum policy)(pt->c - policies);
	bool tlb_refresh = pt->paging;
	struct run *r = &the_run;
	struct expect e;

	run_up(r, pol, tlb_refresh);
	for (unsigned long op = 1; op <= OPS; op++) {
		r->log_seen = iommusim_firmware_script_log_len(r->rig.fw);
		if (below(r, TICK_ONE_IN) == 0)
			op_tick(r);
		else if (below(r, FLUSH_ONE_IN) == 0)
			op_flush(r, (unsigned int)below(r, NCPU));
		else if (r->nlive == MAX_LIVE || (r->nlive && below(r, 100) < 45))
			op_unmap(r, (unsigned int)below(r, r->nlive));
		else
			op_map(r, op);
		check_after_op(r, op);
	}
	e = r->e;
	print_message("%s %s: %lu maps, %lu flushes (%lu full, %lu timer), %lu wraps, "
		      "%lu RPCITs, %lu -ENOMEM answered by a flush\n",
		      pt->c->name, tlb_refresh ? "paging guest" : "LPAR",
		      (unsigned long)e.maps, (unsigned long)e.flushes,
		      (unsigned long)e.full_flushes, (unsigned long)e.timer_flushes,
		      (unsigned long)e.wraps, (unsigned long)e.log_len, (unsigned long)e.enomem);

	/* The run must have exercised what it is about (fixed seed: deterministic). */
	switch (pol) {
	case POL_FQ_PERCPU:
		assert_true(e.full_flushes > 0);
		assert_true(e.timer_flushes > 0);
		break;
	case POL_FQ_SINGLE:
		assert_true(e.timer_flushes > 0);
		break;
	case POL_FQ_SINGLE_1K:
		assert_true(e.full_flushes > 0);
		break;
	case POL_LEGACY_LAZY:
		assert_true(e.wraps >= 10);
		break;
	case POL_LEGACY_STRICT:
		assert_true(e.wraps >= 10);
		break;
	default:
		break;
	}
	/* Strict frees at once: its live set never comes near the window. */
	if (pol == POL_STRICT)
		assert_int_equal(e.enomem, 0);
	run_down(r);
}

int main(void)
{
	return policy_matrix_run("dma_random", "test_dma_random", policies,
				 sizeof(policies) / sizeof(policies[0]), test_dma_random);
}
