/* SPDX-License-Identifier: MIT */
/*
 * Stress test of the DMA API on s390 under real threads: dma-iommu strict, lazy with per-CPU
 * queues, lazy with the single queue, and the legacy s390 ops (lazy and strict), each on LPAR
 * with the null firmware and on a paging guest with the scripted one.
 *
 * Four threads share one device; each owns one CPU handle (ids 0..3) and runs a seeded random
 * stream of map_page/unmap_page and map_sg/unmap_sg over its own model, now and then flushing
 * the queues itself (iommusim_dma_iommu_flush_queue), as the timer would from any CPU. The
 * clock is not ticked while they run: timer callbacks would run on the ticking thread.
 *
 * Each thread maps buffers from its own 64 GiB slice of physical addresses, so a mapping that
 * lands on another thread's IOVA shows up as a wrong translation. What must hold whatever the
 * interleaving:
 * - while running, every mapping a thread holds translates page by page to its physical pages
 *   with its permission (read-only exactly for TO_DEVICE), and its own mappings never overlap;
 * - a map fails only with -ENOMEM (the small window is full of queued IOVAs); after a flush of
 *   the queues it succeeds;
 * - after the join: no two threads' mappings overlap, all translate; the s390 counters say
 *   mapped - unmapped = the live pages of all models; the RPCIT counters are what the ops
 *   imply (a sync-map RPCIT per map on a paging guest, a sync RPCIT per strict unmap, one
 *   global RPCIT per flush-queue flush; legacy: one map RPCIT per run on a paging guest, one
 *   unmap RPCIT per strict run, one global per lazy wrap) and their sum is the number of
 *   RPCITs the firmware saw; the flush-queue flushes are the full ones plus the explicit ones;
 *   the one timer armed during the run fires on the first tick afterwards;
 * - after unmapping everything and flushing, nothing in the window translates, mapped equals
 *   unmapped, and every object has been freed.
 *
 * IOMMUSIM_STRESS_SCALE (a factor, default 1) shrinks or stretches the op counts. The worker
 * threads: dma_threads_worker.h.
 */
#include "dma_threads_worker.h"

/* ---------------------------------------------------------------------------------------- */

static void setup(struct shared *s, const struct policy_test *pt)
{
	struct zpci_rig_config cfg = {
		.policy = pt->c->policy,
		.ncpu = NTHREADS,
		.default_mem = true,
		/* LPAR: the null platform; a paging guest: the scripted one, logging every call */
		.null_firmware = !pt->paging,
		.zpci = {.fh = FH, .tlb_refresh = pt->paging},
		.dma = {.fq_size = pt->c->fq_size, .forcedac = true},
	};

	memset(s, 0, sizeof(*s));
	s->ops = scaled(THREAD_OPS);
	/* small windows: queues and wraps matter (legacy: a few hundred wraps) */
	cfg.zpci.guest_memory = zpci_rig_policy_legacy(pt->c->policy) ? 32 * MiB : 64 * MiB;
	atomic_init(&s->stop, false);

	assert_int_equal(zpci_rig_up(&s->rig, &cfg), 0);
	/* The log is compared with the RPCIT count: drop the setup's table registration. */
	iommusim_firmware_script_log_clear(s->rig.fw);
}

/* Every live chunk of every thread translates; sorted, no two overlap. */
static void check_all_live(struct shared *s, struct worker *w)
{
	static struct dma_chunk all[NTHREADS * MAX_LIVE * MAX_SG];
	unsigned int n = 0;

	for (unsigned int t = 0; t < NTHREADS; t++)
		for (unsigned int i = 0; i < w[t].nlive; i++)
			for (unsigned int k = 0; k < w[t].live[i].nchunks; k++)
				all[n++] = w[t].live[i].chunk[k];
	qsort(all, n, sizeof(all[0]), dma_chunk_cmp);
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(dma_chunk_bad_page(&s->rig, &all[i], NULL, 0), 0);
		if (i + 1 < n)
			assert_true(all[i].iova + all[i].pages * PAGE <= all[i + 1].iova);
	}
}

/* RPCITs the firmware saw: the scripted platform's log, or the null platform's count. */
static uint64_t rpcits_seen(struct shared *s)
{
	struct iommusim_firmware_stats st;

	iommusim_firmware_get_stats(s->rig.fw, &st);
	assert_int_equal(st.rpcit_calls, st.rpcit_cc[0]);
	if (s->rig.tlb_refresh)
		assert_int_equal(iommusim_firmware_script_log_len(s->rig.fw), st.rpcit_calls);
	return st.rpcit_calls;
}

/* The counters against the sums of the threads' models. */
static void check_counters(struct shared *s, struct worker *w, uint64_t main_flushes)
{
	uint64_t maps = 0, unmaps = 0, failures = 0, bytes = 0, mapped = 0, unmapped = 0;
	uint64_t runs_mapped = 0, runs_unmapped = 0, flushes = main_flushes;
	uint64_t rig_mapped = 0, rig_unmapped = 0;
	struct iommusim_dma_stats st;

	for (unsigned int t = 0; t < NTHREADS; t++) {
		maps += w[t].maps;
		unmaps += w[t].unmaps;
		failures += w[t].failures;
		bytes += w[t].mapped_bytes;
		mapped += w[t].mapped_pages;
		unmapped += w[t].unmapped_pages;
		runs_mapped += w[t].runs_mapped;
		runs_unmapped += w[t].runs_unmapped;
		flushes += w[t].flush_calls;
	}
	iommusim_dma_get_stats(s->rig.dev, &st);
	EXPECT_FIELDS(&st, DMA_STATS(maps, maps), DMA_STATS(unmaps, unmaps),
		      DMA_STATS(map_failures, failures), DMA_STATS(mapped_bytes, bytes));
	assert_int_equal(zpci_rig_pages(&s->rig, &rig_mapped, &rig_unmapped), 0);
	assert_int_equal(rig_mapped, mapped);
	assert_int_equal(rig_unmapped, unmapped);

	if (s->rig.legacy) {
		struct iommusim_s390_legacy_counters c;

		assert_int_equal(iommusim_s390_legacy_counters(s->rig.dev, &c), 0);
		EXPECT_FIELDS(&c, LEGACY_CTR(map_rpcits, s->rig.tlb_refresh ? runs_mapped : 0),
			      LEGACY_CTR(unmap_rpcits, s->rig.lazy ? 0 : runs_unmapped),
			      LEGACY_CTR(global_rpcits, s->rig.lazy ? c.wraps : 0),
			      LEGACY_CTR(enomem_purges, 0));
		assert_int_equal(rpcits_seen(s), c.map_rpcits + c.unmap_rpcits + c.global_rpcits);
		/* the legacy ops fail only when even a wrap finds no room */
		assert_int_equal(failures, 0);
	} else {
		struct iommusim_s390_counters c;

		assert_int_equal(iommusim_s390_domain_counters(s->rig.domain, &c), 0);
		EXPECT_FIELDS(&c, S390_CTR(sync_map_rpcits, s->rig.tlb_refresh ? maps : 0),
			      S390_CTR(sync_rpcits, s->rig.lazy ? 0 : unmaps),
			      S390_CTR(global_rpcits, st.fq_flushes),
			      S390_CTR(enomem_global_rpcits, 0), S390_CTR(rpcit_errors, 0));
		assert_int_equal(rpcits_seen(s), c.sync_map_rpcits + c.sync_rpcits +
							 c.global_rpcits + c.enomem_global_rpcits);
		assert_int_equal(st.fq_entries, s->rig.lazy ? unmaps : 0);
		/* no tick while the threads ran: every flush is a full one or an explicit one */
		assert_int_equal(st.fq_flushes,
				 s->rig.lazy ? st.fq_full_flushes + st.fq_timer_flushes + flushes
					     : 0);
		if (!s->rig.lazy)
			assert_int_equal(failures, 0);
	}
}

static void test_dma_threads(void **state)
{
	const struct policy_test *pt = *state;
	unsigned int pol = (unsigned int)(pt->c - policy_cases_s390);
	struct shared s;
	static struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	struct iommusim_dma_stats st;
	uint64_t main_flushes = 0;

	setup(&s, pt);
	for (unsigned int t = 0; t < NTHREADS; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].s = &s;
		w[t].id = t;
		w[t].rng = test_rng(0xd3a7000u + (uint64_t)pol * 64 + pt->paging * 16 + t);
	}
	for (unsigned int t = 0; t < NTHREADS; t++)
		assert_int_equal(pthread_create(&th[t], NULL, worker_main, &w[t]), 0);
	for (unsigned int t = 0; t < NTHREADS; t++)
		assert_int_equal(pthread_join(th[t], NULL), 0);
	/* a failed check stops every thread: report it before the counts it cut short */
	for (unsigned int t = 0; t < NTHREADS; t++)
		if (w[t].fail_line)
			fail_msg("thread %u: check at line %d failed: %s", t, w[t].fail_line,
				 w[t].fail_msg);
	for (unsigned int t = 0; t < NTHREADS; t++)
		assert_int_equal(w[t].ops_done, s.ops);

	check_all_live(&s, w);
	check_counters(&s, w, 0);
	iommusim_dma_get_stats(s.rig.dev, &st);
	print_message("%s %s: %lu maps, %lu -ENOMEM, %lu fq flushes (%lu full)\n", pt->c->name,
		      pt->paging ? "paging guest" : "LPAR", (unsigned long)st.maps,
		      (unsigned long)st.map_failures, (unsigned long)st.fq_flushes,
		      (unsigned long)st.fq_full_flushes);

	/* The timer armed by the first queued entry has waited for a tick all along. */
	if (!s.rig.legacy && s.rig.lazy) {
		assert_int_equal(st.fq_timer_flushes, 0);
		iommusim_manual_clock_tick(s.rig.clock);
		iommusim_dma_get_stats(s.rig.dev, &st);
		assert_int_equal(st.fq_timer_flushes, 1);
	}

	/* Unmap everything on the owners' CPU handles, flush, and nothing translates. */
	for (unsigned int t = 0; t < NTHREADS; t++) {
		for (unsigned int i = 0; i < w[t].nlive; i++) {
			struct tmap *m = &w[t].live[i];

			unmap_one(&s, s.rig.cpu[t], m);
			w[t].unmaps++;
			w[t].unmapped_pages += m->pages;
			w[t].runs_unmapped += m->runs;
			for (unsigned int k = 0; k < m->nchunks; k++)
				for (uint64_t p = 0; p < m->chunk[k].pages; p++)
					assert_int_equal(
						zpci_rig_translate(&s.rig,
								   m->chunk[k].iova + p * PAGE,
								   NULL, NULL),
						-EFAULT);
		}
		w[t].nlive = 0;
	}
	if (!s.rig.legacy) {
		iommusim_dma_iommu_flush_queue(s.rig.dev, s.rig.cpu[0]);
		main_flushes++;
	}
	check_counters(&s, w, main_flushes);
	for (uint64_t a = s.rig.start_dma; a < s.rig.end_dma; a += PAGE)
		assert_int_equal(zpci_rig_translate(&s.rig, a, NULL, NULL), -EFAULT);

	assert_int_equal(zpci_rig_down(&s.rig).objects, 0);
}

int main(void)
{
	return policy_matrix_run("dma_threads", "test_dma_threads", policy_cases_s390,
				 sizeof(policy_cases_s390) / sizeof(policy_cases_s390[0]),
				 test_dma_threads);
}
