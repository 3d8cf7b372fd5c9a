/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of dma-iommu's unmap policies and lifecycle: strict unmap, lazy unmap queued,
 * domains without deferred flush, the single queue of shadowing drivers, a cookie shared by two
 * devices, set-up errors, teardown, the mock page table against a model, and the work
 * reported.
 */
#include "dma_iommu_fixture.h"

/*
 * __iommu_dma_unmap(), strict: the unmap syncs the IOTLB once over exactly the unmapped range, then
 * the IOVA goes to this CPU's rcache, so the next map of that size on the CPU gets it back.
 */
static void test_dma_iommu_strict_unmap_syncs_and_caches(void **state)
{
	uint64_t a, b;
	struct mock_fx *fx = *state;

	a = map(fx, 1, 0x1000, 2 * PAGE);
	assert_int_equal(a, 0xFFFFE000);
	mock_log_clear(fx->m);
	unmap(fx, 1, a, 2 * PAGE);
	assert_int_equal(mock_log_len(fx->m), 1);
	expect_call(fx, 0, MOCK_CALL_SYNC, 0xFFFFE000, 2 * PAGE);
	assert_int_equal(mock_log_count(fx->m, MOCK_CALL_FLUSH_ALL), 0);
	assert_int_equal(rcache_fill(fx, 1, 1), 1);
	assert_int_equal(stats(fx).fq_entries, 0);
	b = map(fx, 1, 0x9000, 2 * PAGE);
	assert_int_equal(b, a);

	/* An address that no longer translates is left alone (the kernel's WARN_ON(!phys)). */
	unmap(fx, 1, b, 2 * PAGE);
	mock_log_clear(fx->m);
	unmap(fx, 1, b, 2 * PAGE);
	assert_int_equal(mock_log_len(fx->m), 0);
	assert_int_equal(rcache_fill(fx, 1, 1), 1);
	assert_int_equal(stats(fx).unmaps, 2);
}

/*
 * __iommu_dma_unmap(), lazy: no sync at unmap; the IOVA waits in the queue, so the next map gets a
 * fresh IOVA (0xFFFFD000 below the busy 0xFFFFE000..0xFFFFF000) until a flush reclaims it.
 */
static void test_dma_iommu_lazy_unmap_queues(void **state)
{
	uint64_t a, b;
	struct mock_fx *fx = *state;

	fx_up_lazy(fx, NULL, 0);

	a = map(fx, 0, 0x1000, PAGE);
	(void)map(fx, 0, 0x2000, PAGE);
	mock_log_clear(fx->m);
	unmap(fx, 0, a, PAGE);
	assert_int_equal(mock_log_len(fx->m), 0);
	assert_int_equal(mock_mapped_pages(fx->m), 1);
	assert_int_equal(stats(fx).fq_entries, 1);
	assert_int_equal(rcache_fill(fx, 0, 0), 0);
	b = map(fx, 0, 0x3000, PAGE);
	assert_int_equal(b, 0xFFFFD000);

	iommusim_dma_iommu_flush_queue(fx->dev, fx->cpu[0]);
	assert_int_equal(mock_log_count(fx->m, MOCK_CALL_FLUSH_ALL), 1);
	assert_int_equal(rcache_fill(fx, 0, 0), 1);
	assert_int_equal(map(fx, 0, 0x4000, PAGE), a);
	assert_int_equal(stats(fx).fq_flushes, 1);
}

/*
 * iommu_dma_init_domain(): a device without IOMMU_CAP_DEFERRED_FLUSH (an s390 ISM device) gets a
 * strict domain even when lazy was asked: unmaps sync, nothing is queued, no timer is armed.
 */
static void test_dma_iommu_no_deferred_flush_is_strict(void **state)
{
	struct mock_device_cfg ism = {.no_deferred_flush = true};
	uint64_t a;
	struct mock_fx *fx = *state;

	fx_up_lazy(fx, &ism, 0);
	a = map(fx, 0, 0x1000, PAGE);
	mock_log_clear(fx->m);
	unmap(fx, 0, a, PAGE);
	assert_int_equal(mock_log_len(fx->m), 1);
	expect_call(fx, 0, MOCK_CALL_SYNC, a, PAGE);
	assert_int_equal(stats(fx).fq_entries, 0);
	assert_int_equal(iommusim_clock_pending(fx->clock), 0);
	assert_int_equal(rcache_fill(fx, 0, 0), 1);
}

/*
 * iommu_dma_init_options(): shadow_on_flush picks the single queue with a 1000 ms
 * timeout. With the size overridden to 4 (capacity 3), unmaps from CPUs 0, 1 and 2 fill it
 * and the fourth, from CPU 3, flushes; per-CPU queues would not have. The timer armed by the
 * first entry expires at 1000 ms.
 */
static void test_dma_iommu_shadow_on_flush_selects_single_queue(void **state)
{
	struct mock_device_cfg shadow = {.shadow_on_flush = true};
	uint64_t dma[4];
	struct mock_fx *fx = *state;

	fx_up_lazy(fx, &shadow, 4);
	for (unsigned int i = 0; i < 4; i++)
		dma[i] = map(fx, i, 0x1000 * (i + 1), PAGE);
	for (unsigned int i = 0; i < 3; i++)
		unmap(fx, i, dma[i], PAGE);
	assert_int_equal(mock_log_count(fx->m, MOCK_CALL_FLUSH_ALL), 0);
	unmap(fx, 3, dma[3], PAGE);
	assert_int_equal(mock_log_count(fx->m, MOCK_CALL_FLUSH_ALL), 1);
	assert_int_equal(stats(fx).fq_full_flushes, 1);

	assert_int_equal(iommusim_manual_clock_tick(fx->clock), 1);
	assert_int_equal(iommusim_clock_now_ns(fx->clock), 1000000000ull);
	assert_int_equal(stats(fx).fq_timer_flushes, 1);
}

/*
 * iommu_dma_init_domain(): a second device on the domain shares the cookie; the domain is not
 * re-initialised, so the second device's reserved regions are not added. A device with DMA
 * ops already, or attached to another domain, is refused with -EBUSY.
 */
static void test_dma_iommu_second_device_shares_cookie(void **state)
{
	const struct isim_resv_region resv2[] = {{0x40000000, 0x1000, ISIM_RESV_RESERVED}};
	struct mock_device_cfg md2 = {.resv = resv2, .nresv = 1};
	struct iommusim_dma_iommu_config cfg;
	struct iommusim_device *dev2, *dev3;
	struct mock_domain *other = NULL;
	uint64_t a, b;
	struct mock_fx *fx = *state;

	cfg = base_cfg(fx);
	dev2 = mock_fx_device(fx, NULL, &md2);
	assert_int_equal(iommusim_dma_iommu_setup(dev2, fx->dom, &cfg), 0);
	assert_ptr_equal(iommusim_dma_iova_domain(dev2), fx->iovad);
	assert_int_equal(iommusim_domain_devices(fx->dom), 2);
	assert_int_equal(iova_nodes(fx), 0);
	/* One IOVA space: the two devices' pages do not collide. */
	a = map(fx, 0, 0x1000, PAGE);
	assert_int_equal(
		iommusim_dma_map_page(dev2, fx->cpu[0], 0x2000, PAGE, IOMMUSIM_DMA_TO_DEVICE, &b),
		0);
	assert_int_equal(a, 0xFFFFF000);
	assert_int_equal(b, 0xFFFFE000);
	assert_int_equal(iommusim_dma_iommu_setup(dev2, fx->dom, &cfg), -EBUSY);

	assert_int_equal(mock_domain_create(fx->mem, NULL, &other), 0);
	dev3 = mock_fx_device(fx, NULL, NULL);
	assert_int_equal(iommusim_iommu_attach_device(mock_dom(other), dev3), 0);
	assert_int_equal(iommusim_dma_iommu_setup(dev3, fx->dom, &cfg), -EBUSY);
	assert_null(iommusim_dma_iova_domain(dev3));

	iommusim_dma_unmap_page(dev2, fx->cpu[0], b, PAGE, IOMMUSIM_DMA_TO_DEVICE);
	iommusim_device_destroy(dev2);
	iommusim_device_destroy(dev3);
	iommusim_domain_destroy(mock_dom(other));
}

/* Bad configurations are refused before anything happens; a refusing driver's -ENODEV too. */
static void test_dma_iommu_setup_errors(void **state)
{
	struct mock_domain_cfg refuse = {.refuse_attach = true};
	struct iommusim_dma_iommu_config cfg;
	struct mock_domain *m2 = NULL;
	struct mock_fx *fx = *state;

	mock_fx_base(fx, NULL);
	fx->dev = mock_fx_device(fx, NULL, NULL);
	cfg = base_cfg(fx);
	cfg.possible_cpus = 0;
	assert_int_equal(iommusim_dma_iommu_setup(fx->dev, fx->dom, &cfg), -EINVAL);
	cfg = base_cfg(fx);
	cfg.mode = IOMMUSIM_DMA_LAZY;
	cfg.clock = NULL;
	assert_int_equal(iommusim_dma_iommu_setup(fx->dev, fx->dom, &cfg), -EINVAL);
	cfg = base_cfg(fx);
	cfg.fq_type = (enum iommusim_fq_type)7;
	assert_int_equal(iommusim_dma_iommu_setup(fx->dev, fx->dom, &cfg), -EINVAL);
	assert_int_equal(iommusim_domain_devices(fx->dom), 0);
	assert_null(fx->dom->dma_cookie);
	assert_null(iommusim_dma_iova_domain(fx->dev));
	assert_int_equal(iommusim_dma_map_page(fx->dev, fx->cpu[0], 0, PAGE, IOMMUSIM_DMA_TO_DEVICE,
					       &(uint64_t){0}),
			 -ENODEV);

	assert_int_equal(mock_domain_create(fx->mem, &refuse, &m2), 0);
	cfg = base_cfg(fx);
	assert_int_equal(iommusim_dma_iommu_setup(fx->dev, mock_dom(m2), &cfg), -ENODEV);
	assert_null(mock_dom(m2)->dma_cookie);
	iommusim_domain_destroy(mock_dom(m2));

	/* Strict needs no clock. */
	cfg.clock = NULL;
	assert_int_equal(iommusim_dma_iommu_setup(fx->dev, fx->dom, &cfg), 0);
}

/* Teardown with mappings and a shared cookie: the device goes, the domain frees the rest. */
static void test_dma_iommu_teardown_leaks_nothing(void **state)
{
	struct mock_fx *fx = *state;

	fx_up_lazy(fx, NULL, 0);
	for (unsigned int i = 0; i < 300; i++)
		(void)map(fx, i % NCPU, 0x1000 * i, PAGE * (1 + i % 5));
	iommusim_device_destroy(fx->dev);
	fx->dev = NULL;
	/* The cookie outlives the device: it dies with the domain. */
	assert_non_null(fx->dom->dma_cookie);
}

/*
 * The mock's page table (a radix tree of PTE tables, grown on demand) against a plain
 * array over 4096 pages: 20000 seeded map/unmap steps through the IOMMU core, every page
 * checked at the end, plus the refusal to map a page twice.
 */
static void test_dma_iommu_mock_page_table_matches_model(void **state)
{
	enum { NPG = 4096 };
	static uint64_t model[NPG]; /* phys + 1, 0 when unmapped */
	struct iommusim_rng rng = test_rng(42);
	size_t mapped = 0;
	struct mock_fx *fx = *state;

	memset(model, 0, sizeof(model));
	mock_fx_base(fx, NULL);
	for (unsigned int step = 0; step < 20000; step++) {
		uint64_t r = iommusim_rng_u64(&rng), pg = r % NPG, iova = 0x40000000 + pg * PAGE;

		if (model[pg]) {
			assert_int_equal(iommusim_iommu_unmap(fx->dom, fx->cpu[0], iova, PAGE),
					 PAGE);
			model[pg] = 0;
			mapped--;
		} else {
			uint64_t phys = (r >> 20) & ~(PAGE - 1);

			assert_int_equal(iommusim_iommu_map(fx->dom, fx->cpu[0], iova, phys, PAGE,
							    IOMMUSIM_PROT_READ),
					 0);
			model[pg] = phys + 1;
			mapped++;
		}
	}
	assert_int_equal(mock_mapped_pages(fx->m), mapped);
	for (uint64_t pg = 0; pg < NPG; pg++) {
		uint64_t phys = 0;
		bool hit = mock_lookup(fx->m, 0x40000000 + pg * PAGE + 0x10, &phys, NULL);

		assert_int_equal(hit, model[pg] != 0);
		if (hit)
			assert_int_equal(phys, model[pg] - 1 + 0x10);
		if (hit) {
			uint64_t iova = 0x40000000 + pg * PAGE;

			assert_int_equal(iommusim_iommu_map(fx->dom, fx->cpu[0], iova, 0, PAGE,
							    IOMMUSIM_PROT_READ),
					 -EEXIST);
		}
	}
}

/* The units of DMA calls reported on @cpu so far. */
static void expect_call_units(struct iommusim_cpu *cpu, uint64_t maps, uint64_t unmaps)
{
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_DMA_MAP), maps);
	assert_int_equal(iommusim_cpu_work(cpu, IOMMUSIM_WORK_DMA_UNMAP), unmaps);
}

/*
 * The DMA API reports every call it hands to the DMA ops as one unit of the call's own work,
 * on the calling CPU: map_page, map_sg and alloc_coherent one IOMMUSIM_WORK_DMA_MAP, their
 * undoing one IOMMUSIM_WORK_DMA_UNMAP, whatever the size. A map the ops refuse was a call all
 * the same; a call refused before the ops (nothing to map, no DMA ops) reports nothing.
 */
static void test_dma_iommu_api_reports_one_unit_per_call(void **state)
{
	struct iommusim_device *bare;
	struct iommusim_cpu *cpu;
	struct iommusim_sg sg[2];
	uint64_t dma = BAD_DMA;
	unsigned int n = 0;
	struct mock_fx *fx = *state;

	cpu = fx->cpu[1];
	assert_int_equal(iommusim_dma_map_page(fx->dev, cpu, 0x100000, 4 * PAGE,
					       IOMMUSIM_DMA_TO_DEVICE, &dma),
			 0);
	expect_call_units(cpu, 1, 0);
	iommusim_dma_unmap_page(fx->dev, cpu, dma, 4 * PAGE, IOMMUSIM_DMA_TO_DEVICE);
	expect_call_units(cpu, 1, 1);

	sg_set(&sg[0], 0x200000, PAGE);
	sg_set(&sg[1], 0x400000, PAGE);
	assert_int_equal(iommusim_dma_map_sg(fx->dev, cpu, sg, 2, IOMMUSIM_DMA_FROM_DEVICE, &n), 0);
	expect_call_units(cpu, 2, 1);
	iommusim_dma_unmap_sg(fx->dev, cpu, sg, 2, IOMMUSIM_DMA_FROM_DEVICE);
	expect_call_units(cpu, 2, 2);

	assert_int_equal(iommusim_dma_alloc_coherent(fx->dev, cpu, 0x600000, 2 * PAGE, &dma), 0);
	expect_call_units(cpu, 3, 2);
	iommusim_dma_free_coherent(fx->dev, cpu, 2 * PAGE, dma);
	expect_call_units(cpu, 3, 3);

	mock_fail_map_pages(fx->m, -EIO, 0, 1);
	assert_int_equal(
		iommusim_dma_map_page(fx->dev, cpu, 0x100000, PAGE, IOMMUSIM_DMA_TO_DEVICE, &dma),
		-EIO);
	expect_call_units(cpu, 4, 3);

	assert_int_equal(iommusim_dma_map_sg(fx->dev, cpu, sg, 0, IOMMUSIM_DMA_TO_DEVICE, &n),
			 -EINVAL);
	iommusim_dma_unmap_sg(fx->dev, cpu, sg, 0, IOMMUSIM_DMA_TO_DEVICE);
	assert_int_equal(iommusim_dma_alloc_coherent(fx->dev, cpu, 0x600000, 0, &dma), -EINVAL);
	bare = mock_fx_device(fx, NULL, NULL);
	assert_int_equal(
		iommusim_dma_map_page(bare, cpu, 0x100000, PAGE, IOMMUSIM_DMA_TO_DEVICE, &dma),
		-ENODEV);
	iommusim_dma_unmap_page(bare, cpu, 0, PAGE, IOMMUSIM_DMA_TO_DEVICE);
	iommusim_dma_free_coherent(bare, cpu, PAGE, 0);
	expect_call_units(cpu, 4, 3);
	/* Only the calling CPU is charged. */
	expect_call_units(fx->cpu[0], 0, 0);
	iommusim_device_destroy(bare);
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_dma_iommu_strict_unmap_syncs_and_caches, dma_setup,
					   dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_lazy_unmap_queues, dma_alloc,
					   dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_no_deferred_flush_is_strict, dma_alloc,
					   dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_shadow_on_flush_selects_single_queue,
					   dma_alloc, dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_second_device_shares_cookie, dma_setup,
					   dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_setup_errors, dma_alloc, dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_teardown_leaks_nothing, dma_alloc,
					   dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_mock_page_table_matches_model, dma_alloc,
					   dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_api_reports_one_unit_per_call, dma_setup,
					   dma_teardown))
