/* SPDX-License-Identifier: MIT */
/*
 * The checks test_dma_random.c runs after every op against its model (dma_random_model.h):
 * live mappings translate and are disjoint, freed and queued ranges fault and stay in the IOVA
 * tree, the window sweep, the RPCIT log and the counters.
 */
#ifndef TESTS_INTEGRATION_DMA_RANDOM_CHECKS_H
#define TESTS_INTEGRATION_DMA_RANDOM_CHECKS_H

#include "dma_random_model.h"

/* ---------------------------------------------------------------------------------------- */
/* Checks */

static inline void check_chunk_maps(struct run *r, const struct dma_chunk *c)
{
	char why[160];

	if (dma_chunk_bad_page(&r->rig, c, why, sizeof(why)))
		fail_msg("%s", why);
}

static inline void check_range_faults(struct run *r, uint64_t iova, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++)
		assert_int_equal(zpci_rig_translate(&r->rig, iova + i * PAGE, NULL, NULL), -EFAULT);
}

static inline void check_live_translate(struct run *r)
{
	for (unsigned int i = 0; i < r->nlive; i++)
		for (unsigned int k = 0; k < r->live[i].nchunks; k++)
			check_chunk_maps(r, &r->live[i].chunk[k]);
}

/* All live chunks inside the window and pairwise disjoint (sorted, neighbours compared). */
static inline void check_live_disjoint(struct run *r)
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

static inline bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn * PAGE && b < a + an * PAGE;
}

/* A new mapping must not land on a range that is still queued for a flush. */
static inline void check_new_vs_queued(struct run *r, const struct mapping *m)
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
static inline void check_iova_node(struct run *r, uint64_t pfn, uint64_t pages)
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
static inline void check_queued(struct run *r)
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
static inline void sweep_window(struct run *r)
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
static inline void check_log(struct run *r)
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

static inline uint64_t live_pages(const struct run *r)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < r->nlive; i++)
		n += r->live[i].pages;
	return n;
}

static inline void check_counters(struct run *r)
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

static inline void check_after_op(struct run *r, unsigned long op)
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

#endif /* TESTS_INTEGRATION_DMA_RANDOM_CHECKS_H */
