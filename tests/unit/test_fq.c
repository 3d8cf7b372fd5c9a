/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of dma-iommu's flush queues (lib/dma/fq.c) through the DMA API over the mock
 * paging domain: ring capacity size - 1 (small rings, the 256 default and the 32768 single
 * queue), the synchronous flush of a full queue, per-CPU independence, the shared single
 * queue, reclaim only after a flush that started after the unmap, the one-shot timer (armed
 * by the first entry, not pushed back, one flush that drains every queue), teardown with
 * entries queued, the 6.6 layout, bad sizes and the work reported. Expected values follow
 * Linux drivers/iommu/dma-iommu.c (docs/dma.md, docs/sources.md S16); each test says how.
 */
#include "fq_fixture.h"

/*
 * Capacity is fq_size - 1 (fq_full()). With a ring of 8, seven unmaps on CPU 0 queue
 * without a flush; the eighth finds the ring still full after reclaiming nothing (no flush has
 * finished), flushes once, reclaims the seven and is queued after the flush started, so it
 * stays queued until the next flush.
 */
static void test_fq_capacity_is_size_minus_one(void **state)
{
	uint64_t dma[8];
	struct mock_fx *fx = *state;

	fx_up(fx, 8);
	map_many(fx, dma, 8, false);
	unmap_many(fx, dma, 7, false);
	assert_int_equal(flushes(fx), 0);
	assert_int_equal(stats(fx).fq_entries, 7);
	assert_int_equal(fill(fx, 0), 0);

	unmap1(fx, 0, dma[7]);
	assert_int_equal(flushes(fx), 1);
	assert_int_equal(stats(fx).fq_full_flushes, 1);
	assert_int_equal(stats(fx).fq_flushes, 1);
	assert_int_equal(stats(fx).fq_entries, 8);
	assert_int_equal(fill(fx, 0), 7);
	/* No sync for any of them: the queue owns the invalidation. */
	assert_int_equal(mock_log_count(fx->m, MOCK_CALL_SYNC), 0);

	iommusim_dma_iommu_flush_queue(fx->dev, fx->cpu[0]);
	assert_int_equal(flushes(fx), 2);
	assert_int_equal(fill(fx, 0), 8);
}

/*
 * The real per-CPU default (IOVA_DEFAULT_FQ_SIZE 256): 255 queue, the 256th flushes exactly
 * once before being queued. The 255 reclaimed single pages fill loaded and prev (127 each)
 * and push one full magazine to the list depot, whose trim work is then armed (6.7).
 */
static void test_fq_default_per_cpu_flushes_on_256th(void **state)
{
	struct iommusim_iova_rcache_state rs;
	uint64_t dma[256];
	struct mock_fx *fx = *state;

	map_many(fx, dma, 256, false);
	unmap_many(fx, dma, 255, false);
	assert_int_equal(flushes(fx), 0);
	unmap1(fx, 0, dma[255]);
	assert_int_equal(flushes(fx), 1);
	assert_int_equal(fill(fx, 0) + depot0(fx) * IOMMUSIM_IOVA_MAG_SIZE, 255);
	assert_int_equal(depot0(fx), 1);
	assert_int_equal(iommusim_iova_rcache_state(fx->iovad, 0, &rs), 0);
	assert_true(rs.work_pending);
}

/* 255 unmaps on CPU 0 and 255 on CPU 1, interleaved: not one of them flushes. */
static void unmap_255_each(struct mock_fx *fx, const uint64_t *d0, const uint64_t *d1)
{
	for (unsigned int i = 0; i < 255; i++) {
		unmap1(fx, 0, d0[i]);
		unmap1(fx, 1, d1[i]);
	}
	assert_int_equal(flushes(fx), 0);
}

/*
 * Per-CPU queues are independent: 255 on CPU 0 and 255 on CPU 1 fill both without a flush.
 * The 256th on CPU 1 flushes once and reclaims only CPU 1's queue (into CPU 1's cache). CPU
 * 0's next unmap then reclaims its 255 without flushing, because the flush that finished
 * covers them: reclaim comes before the full check.
 */
static void test_fq_per_cpu_queues_are_independent(void **state)
{
	uint64_t d0[256], d1[256];
	struct mock_fx *fx = *state;

	for (unsigned int i = 0; i < 256; i++) {
		d0[i] = map1(fx, 0);
		d1[i] = map1(fx, 1);
	}
	unmap_255_each(fx, d0, d1);

	unmap1(fx, 1, d1[255]);
	assert_int_equal(flushes(fx), 1);
	assert_int_equal(fill(fx, 0), 0);
	assert_int_equal(fill(fx, 1) + depot0(fx) * IOMMUSIM_IOVA_MAG_SIZE, 255);

	unmap1(fx, 0, d0[255]);
	assert_int_equal(flushes(fx), 1);
	assert_int_equal(stats(fx).fq_full_flushes, 1);
	assert_int_equal(fill(fx, 0) + fill(fx, 1) + depot0(fx) * IOMMUSIM_IOVA_MAG_SIZE, 510);
}

/*
 * A single queue of @n entries: @n pages mapped, @n - 1 unmapped over CPUs 0-3 without a flush,
 * the last unmapped on CPU @cpu, which flushes once.
 */
static void fill_single_queue(struct mock_fx *fx, uint64_t *dma, unsigned int n, unsigned int cpu)
{
	map_many(fx, dma, n, true);
	unmap_many(fx, dma, n - 1, true);
	assert_int_equal(flushes(fx), 0);
	unmap1(fx, cpu, dma[n - 1]);
	assert_int_equal(flushes(fx), 1);
}

/*
 * One single queue (IOMMU_DMA_OPTS_SINGLE_QUEUE) for all CPUs: seven unmaps spread over CPUs
 * 0-3 fill a ring of 8; the eighth, from any CPU, flushes and all seven land in that CPU's
 * cache.
 */
static void test_fq_single_queue_shared_by_all_cpus(void **state)
{
	struct iommusim_dma_iommu_config cfg;
	uint64_t dma[8];
	struct mock_fx *fx = *state;

	fx_base(fx, IOMMUSIM_KERNEL_6_7, NULL);
	cfg = lazy_cfg(fx, 8);
	cfg.fq_type = IOMMUSIM_FQ_SINGLE;
	mock_fx_setup(fx, &cfg);
	fill_single_queue(fx, dma, 8, 2);
	assert_int_equal(fill(fx, 2), 7);
	assert_int_equal(fill(fx, 0) + fill(fx, 1) + fill(fx, 3), 0);
}

/*
 * shadow_on_flush with defaults: one queue of IOVA_SINGLE_FQ_SIZE 32768 holds 32767 entries
 * from all CPUs; the 32768th flushes once. The timeout is IOVA_SINGLE_FQ_TIMEOUT, 1000 ms.
 */
static void test_fq_single_default_holds_32767(void **state)
{
	struct mock_device_cfg shadow = {.shadow_on_flush = true};
	struct iommusim_dma_iommu_config cfg;
	static uint64_t dma[32768];
	struct mock_fx *fx = *state;

	fx_base(fx, IOMMUSIM_KERNEL_6_7, &shadow);
	cfg = lazy_cfg(fx, 0);
	mock_fx_setup(fx, &cfg);
	fill_single_queue(fx, dma, 32768, 3);
	assert_int_equal(stats(fx).fq_entries, 32768);
	assert_int_equal(mock_mapped_pages(fx->m), 0);

	/* Time only moves to the timer's expiry: the FQ timer was armed at 0 for 1000 ms. */
	(void)iommusim_manual_clock_tick(fx->clock);
	assert_int_equal(iommusim_clock_now_ns(fx->clock), 1000 * MS);
	assert_int_equal(stats(fx).fq_timer_flushes, 1);
}

struct inflight {
	struct mock_fx *fx;
	uint64_t dma;
	bool done;
};

/* Runs inside flush_iotlb_all: CPU 1 unmaps while the flush has started but not finished. */
static void unmap_during_flush(void *arg, struct mock_domain *m, enum mock_call_kind kind,
			       struct iommusim_cpu *cpu)
{
	struct inflight *in = arg;

	(void)m;
	(void)cpu;
	if (in->done || kind != MOCK_CALL_FLUSH_ALL)
		return;
	in->done = true;
	unmap1(in->fx, 1, in->dma);
}

/*
 * The reclaim rule (fq_ring_free()): an entry queued when start_cnt == c is reclaimable once
 * finish_cnt > c.
 * (a) An IOVA unmapped lazily is not handed out by alloc_iova_fast until a flush reclaims it.
 * (b) An IOVA unmapped while a flush is in flight (start 1, finish 0) gets counter 1; that
 *     flush ends with finish 1, which does not cover it, so the reclaim right after leaves
 *     it queued. Only the next flush, started after the unmap, releases it.
 */
static void test_fq_reclaim_needs_flush_started_after_unmap(void **state)
{
	struct inflight in;
	uint64_t x, y, p;
	struct mock_fx *fx = *state;

	x = map1(fx, 0);
	unmap1(fx, 0, x);
	p = alloc_fast_pfn(fx, 0);
	assert_int_not_equal(p, x >> 12);
	assert_int_equal(iommusim_iova_free(fx->iovad, fx->cpu[0], p), 0);
	iommusim_dma_iommu_flush_queue(fx->dev, fx->cpu[0]);
	assert_int_equal(alloc_fast_pfn(fx, 0), x >> 12);

	y = map1(fx, 1);
	in = (struct inflight){.fx = fx, .dma = y};
	mock_set_sync_hook(fx->m, unmap_during_flush, &in);
	iommusim_dma_iommu_flush_queue(fx->dev, fx->cpu[0]);
	mock_set_sync_hook(fx->m, NULL, NULL);
	assert_true(in.done);
	assert_int_equal(stats(fx).fq_entries, 2);
	assert_int_equal(fill(fx, 0) + fill(fx, 1), 0);
	for (unsigned int c = 0; c < 2; c++) {
		p = alloc_fast_pfn(fx, c);
		assert_int_not_equal(p, y >> 12);
		assert_int_equal(iommusim_iova_free(fx->iovad, fx->cpu[c], p), 0);
	}

	iommusim_dma_iommu_flush_queue(fx->dev, fx->cpu[0]);
	assert_int_equal(fill(fx, 0), 1);
	assert_int_equal(alloc_fast_pfn(fx, 0), y >> 12);
}

struct midway {
	struct mock_fx *fx;
	uint64_t dma;
	uint64_t now_ns;
};

/* A timer at 5 ms that queues one more entry before the FQ timer (10 ms) runs. */
static void unmap_at_5ms(struct iommusim_timer *t, struct iommusim_cpu *cpu, void *arg)
{
	struct midway *mw = arg;

	(void)t;
	(void)cpu;
	mw->now_ns = iommusim_clock_now_ns(mw->fx->clock);
	unmap1(mw->fx, 0, mw->dma);
}

/*
 * queue_iova(): the timer is armed by the first entry after an expiry and later entries do
 * not push it back. A helper timer (5 ms) is armed before the first unmap arms the FQ timer
 * (10 ms); one manual tick runs exactly what was pending: the helper, whose unmap must not
 * re-arm the FQ timer (a re-armed timer would wait for the next tick), then the FQ timer at
 * 10 ms, whose single flush covers all three entries. The next entry arms it again.
 */
static void test_fq_timer_armed_once_not_pushed_back(void **state)
{
	struct iommusim_timer *helper;
	struct midway mw;
	uint64_t a, b;
	struct mock_fx *fx = *state;

	a = map1(fx, 0);
	b = map1(fx, 0);
	mw = (struct midway){.fx = fx, .dma = map1(fx, 0)};
	assert_int_equal(iommusim_timer_create(fx->clock, unmap_at_5ms, &mw, &helper), 0);
	assert_true(iommusim_timer_schedule(helper, fx->cpu[0], 5 * MS));

	unmap1(fx, 0, a);
	assert_int_equal(iommusim_clock_pending(fx->clock), 2);
	unmap1(fx, 0, b);
	assert_int_equal(iommusim_clock_pending(fx->clock), 2);

	assert_int_equal(iommusim_manual_clock_tick(fx->clock), 2);
	assert_int_equal(mw.now_ns, 5 * MS);
	assert_int_equal(iommusim_clock_now_ns(fx->clock), 10 * MS);
	assert_int_equal(iommusim_clock_pending(fx->clock), 0);
	assert_int_equal(flushes(fx), 1);
	assert_int_equal(stats(fx).fq_timer_flushes, 1);
	assert_int_equal(fill(fx, 0), 3);

	unmap1(fx, 0, map1(fx, 0));
	assert_int_equal(iommusim_clock_pending(fx->clock), 1);
	assert_int_equal(iommusim_manual_clock_tick(fx->clock), 1);
	assert_int_equal(iommusim_clock_now_ns(fx->clock), 20 * MS);
	assert_int_equal(stats(fx).fq_timer_flushes, 2);
	iommusim_timer_destroy(helper);
}

/*
 * fq_flush_timeout(): one flush, then every possible CPU's queue is reclaimed, on the CPU
 * that armed the timer (CPU 0 here), so all four pages land in CPU 0's cache.
 */
static void test_fq_timer_flushes_once_and_drains_every_queue(void **state)
{
	uint64_t dma[NCPU];
	struct mock_fx *fx = *state;

	for (unsigned int c = 0; c < NCPU; c++)
		dma[c] = map1(fx, c);
	for (unsigned int c = 0; c < NCPU; c++)
		unmap1(fx, c, dma[c]);
	assert_int_equal(iommusim_clock_pending(fx->clock), 1);
	assert_int_equal(iommusim_manual_clock_tick(fx->clock), 1);
	assert_int_equal(flushes(fx), 1);
	assert_int_equal(mock_log_at(fx->m, 0).cpu, 0);
	assert_int_equal(fill(fx, 0), NCPU);
	for (unsigned int c = 1; c < NCPU; c++)
		assert_int_equal(fill(fx, c), 0);
	assert_int_equal(stats(fx).fq_timer_flushes, 1);
	assert_int_equal(stats(fx).fq_full_flushes, 0);
}

/*
 * Entries still queued and the timer pending when the device goes: the timer may still run
 * (the cookie lives with the domain) and the domain's destruction frees queues, timer, IOVAs.
 * Checked for per-CPU queues and for the single queue.
 */
static void test_fq_teardown_with_queued_entries_leaks_nothing(void **state)
{
	struct iommusim_dma_iommu_config cfg;
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, 8);
	churn(&fx, 20);
	assert_int_equal(iommusim_clock_pending(fx.clock), 1);
	iommusim_device_destroy(fx.dev);
	fx.dev = NULL;
	assert_int_equal(iommusim_manual_clock_tick(fx.clock), 1);
	/* 5 entries per CPU fit rings of 8: the only flush is the timer's. */
	assert_int_equal(flushes(&fx), 1);
	mock_fx_down(&fx);

	fx_base(&fx, IOMMUSIM_KERNEL_6_7, NULL);
	cfg = lazy_cfg(&fx, 0);
	cfg.fq_type = IOMMUSIM_FQ_SINGLE;
	mock_fx_setup(&fx, &cfg);
	churn(&fx, 300);
	assert_int_equal(flushes(&fx), 0);
	assert_int_equal(iommusim_clock_pending(fx.clock), 1);
	mock_fx_down(&fx);
}

/*
 * Linux 6.6: per-CPU queues of 256 with a 10 ms timeout only; a single queue, another size
 * or another timeout is refused before anything is attached. A shadow_on_flush device still
 * gets per-CPU queues. The reclaimed 255 pages push a magazine to the 6.6 array depot, which
 * has no trim work.
 */
static void test_fq_kernel_6_6_per_cpu_256_only(void **state)
{
	struct mock_device_cfg shadow = {.shadow_on_flush = true};
	struct iommusim_dma_iommu_config cfg;
	struct iommusim_iova_rcache_state rs;
	uint64_t d0[256], d1[255];
	struct mock_fx *fx = *state;

	fx_base(fx, IOMMUSIM_KERNEL_6_6, &shadow);
	cfg = lazy_cfg(fx, 0);
	cfg.kernel = IOMMUSIM_KERNEL_6_6;
	cfg.fq_type = IOMMUSIM_FQ_SINGLE;
	assert_int_equal(iommusim_dma_iommu_setup(fx->dev, fx->dom, &cfg), -EINVAL);
	cfg.fq_type = IOMMUSIM_FQ_AUTO;
	cfg.fq_size = 8;
	assert_int_equal(iommusim_dma_iommu_setup(fx->dev, fx->dom, &cfg), -EINVAL);
	cfg.fq_size = 0;
	cfg.fq_timeout_ms = 1000;
	assert_int_equal(iommusim_dma_iommu_setup(fx->dev, fx->dom, &cfg), -EINVAL);
	assert_int_equal(iommusim_domain_devices(fx->dom), 0);
	cfg.fq_timeout_ms = 0;
	mock_fx_setup(fx, &cfg);

	for (unsigned int i = 0; i < 255; i++) {
		d0[i] = map1(fx, 0);
		d1[i] = map1(fx, 1);
	}
	d0[255] = map1(fx, 0);
	unmap_255_each(fx, d0, d1);
	unmap1(fx, 0, d0[255]);
	assert_int_equal(flushes(fx), 1);
	assert_int_equal(depot0(fx), 1);
	assert_int_equal(iommusim_iova_rcache_state(fx->iovad, 0, &rs), 0);
	assert_false(rs.work_pending);
	assert_int_equal(fill(fx, 0) + IOMMUSIM_IOVA_MAG_SIZE, 255);

	assert_int_equal(iommusim_manual_clock_tick(fx->clock), 1);
	assert_int_equal(iommusim_clock_now_ns(fx->clock), 10 * MS);
}

/*
 * fq_size must be a power of two >= 2 (index arithmetic & (size - 1)). Size 2 is the
 * smallest ring: one entry, so every second unmap flushes.
 */
static void test_fq_bad_size_is_einval(void **state)
{
	const uint32_t bad[] = {1, 3, 6, 100, 0x80000001u};
	struct iommusim_dma_iommu_config cfg;
	struct mock_fx *fx = *state;

	fx_base(fx, IOMMUSIM_KERNEL_6_7, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg = lazy_cfg(fx, bad[i]);
		assert_int_equal(iommusim_dma_iommu_setup(fx->dev, fx->dom, &cfg), -EINVAL);
		/* Also when strict: the config is checked as a whole. */
		cfg.mode = IOMMUSIM_DMA_STRICT;
		assert_int_equal(iommusim_dma_iommu_setup(fx->dev, fx->dom, &cfg), -EINVAL);
	}
	assert_int_equal(iommusim_domain_devices(fx->dom), 0);
	cfg = lazy_cfg(fx, 2);
	mock_fx_setup(fx, &cfg);
	unmap1(fx, 0, map1(fx, 0));
	assert_int_equal(flushes(fx), 0);
	unmap1(fx, 0, map1(fx, 0));
	assert_int_equal(flushes(fx), 1);
	unmap1(fx, 0, map1(fx, 0));
	assert_int_equal(flushes(fx), 2);
}

/*
 * FQ_ENTRY work: one per entry appended, one per entry reclaimed, on the CPU doing it. Ring of
 * 8: seven appends (7), the eighth reclaims seven and appends one (15), the timer on CPU 0
 * reclaims the last one (16). CPU 1 did nothing.
 */
static void test_fq_work_reported(void **state)
{
	uint64_t dma[8];
	struct mock_fx *fx = *state;

	fx_up(fx, 8);
	map_many(fx, dma, 8, false);
	iommusim_cpu_work_reset(fx->cpu[0]);
	unmap_many(fx, dma, 7, false);
	assert_int_equal(iommusim_cpu_work(fx->cpu[0], IOMMUSIM_WORK_FQ_ENTRY), 7);
	unmap1(fx, 0, dma[7]);
	assert_int_equal(iommusim_cpu_work(fx->cpu[0], IOMMUSIM_WORK_FQ_ENTRY), 15);
	assert_int_equal(iommusim_manual_clock_tick(fx->clock), 1);
	assert_int_equal(iommusim_cpu_work(fx->cpu[0], IOMMUSIM_WORK_FQ_ENTRY), 16);
	assert_int_equal(iommusim_cpu_work(fx->cpu[1], IOMMUSIM_WORK_FQ_ENTRY), 0);
}

/* The flush helper is a no-op for a strict domain and for a device without dma-iommu. */
static void test_fq_flush_helper_noop_when_strict(void **state)
{
	struct iommusim_dma_iommu_config cfg;
	struct mock_fx *fx = *state;

	fx_base(fx, IOMMUSIM_KERNEL_6_7, NULL);
	iommusim_dma_iommu_flush_queue(fx->dev, fx->cpu[0]);
	cfg = lazy_cfg(fx, 0);
	cfg.mode = IOMMUSIM_DMA_STRICT;
	mock_fx_setup(fx, &cfg);
	unmap1(fx, 0, map1(fx, 0));
	iommusim_dma_iommu_flush_queue(fx->dev, fx->cpu[0]);
	assert_int_equal(flushes(fx), 0);
	assert_int_equal(stats(fx).fq_flushes, 0);
	assert_int_equal(iommusim_clock_pending(fx->clock), 0);
}

SUITE_MAIN(
	cmocka_unit_test_setup_teardown(test_fq_capacity_is_size_minus_one, fq_alloc, fq_teardown),
	cmocka_unit_test_setup_teardown(test_fq_default_per_cpu_flushes_on_256th, fq_setup,
					fq_teardown),
	cmocka_unit_test_setup_teardown(test_fq_per_cpu_queues_are_independent, fq_setup,
					fq_teardown),
	cmocka_unit_test_setup_teardown(test_fq_single_queue_shared_by_all_cpus, fq_alloc,
					fq_teardown),
	cmocka_unit_test_setup_teardown(test_fq_single_default_holds_32767, fq_alloc, fq_teardown),
	cmocka_unit_test_setup_teardown(test_fq_reclaim_needs_flush_started_after_unmap, fq_setup,
					fq_teardown),
	cmocka_unit_test_setup_teardown(test_fq_timer_armed_once_not_pushed_back, fq_setup,
					fq_teardown),
	cmocka_unit_test_setup_teardown(test_fq_timer_flushes_once_and_drains_every_queue, fq_setup,
					fq_teardown),
	cmocka_unit_test(test_fq_teardown_with_queued_entries_leaks_nothing),
	cmocka_unit_test_setup_teardown(test_fq_kernel_6_6_per_cpu_256_only, fq_alloc, fq_teardown),
	cmocka_unit_test_setup_teardown(test_fq_bad_size_is_einval, fq_alloc, fq_teardown),
	cmocka_unit_test_setup_teardown(test_fq_work_reported, fq_alloc, fq_teardown),
	cmocka_unit_test_setup_teardown(test_fq_flush_helper_noop_when_strict, fq_alloc,
					fq_teardown))
