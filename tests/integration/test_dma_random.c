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
 * - the flush queues behave as dma-iommu's flush queues do (sources.md S16) (capacity size - 1, a
 * full flush when a queue is still full, FIFO reclaim after a flush that started later, a one-shot
 * timer armed by the first entry and run on the CPU that armed it): the test models them and
 * predicts every flush;
 * - the legacy allocator behaves as the legacy ops do (sources.md S19) (next-fit iommu_area_alloc
 * that never hands out the last bit, lazy bits merged on a wrap, one global RPCIT per lazy wrap):
 * the test models its bitmap and predicts every DMA address and every wrap;
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
 *
 * The model: dma_random_model.h; the checks after each op: dma_random_checks.h.
 */
#include "dma_random_checks.h"

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

			m->chunk[i] = (struct dma_chunk){.iova = cur,
							 .pages = pages,
							 .phys = orig[i].phys & ~PAGE_LOW,
							 .prot = dma_dir_prot(m->dir)};
			cur += pages * PAGE;
		}
		m->iova_pages = (cur - m->iova) / PAGE;
	} else {
		/* the bus address keeps the offset in the page */
		assert_int_equal(m->dma & PAGE_LOW, m->phys & PAGE_LOW);
		m->iova = m->dma & ~PAGE_LOW;
		m->iova_pages = dma_pages_of(m->phys, m->size);
		m->nchunks = 1;
		m->chunk[0] = (struct dma_chunk){.iova = m->iova,
						 .pages = m->iova_pages,
						 .phys = m->phys & ~PAGE_LOW,
						 .prot = dma_dir_prot(m->dir)};
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
	struct iommusim_sg orig[MAX_SG] = {0};
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
		.zpci = {.fh = FH, .tlb_refresh = tlb_refresh},
		.dma = {.fq_size = policies[pol].fq_size, .forcedac = true},
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
		unsigned int size = pol == POL_FQ_PERCPU      ? IOMMUSIM_FQ_PER_CPU_SIZE
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
		      pt->c->name, tlb_refresh ? "paging guest" : "LPAR", (unsigned long)e.maps,
		      (unsigned long)e.flushes, (unsigned long)e.full_flushes,
		      (unsigned long)e.timer_flushes, (unsigned long)e.wraps,
		      (unsigned long)e.log_len, (unsigned long)e.enomem);

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
