/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the s390 driver's ENOMEM policies when an RPCIT finds no resources: a global
 * flush, none, and the flush queue's handling of queued IOVAs.
 */
#include "s390_iommu_fixture.h"

/* A counter and the value it must have, for EXPECT_FIELDS(). */
#define DMA_STATS(field, value) FIELD(struct iommusim_dma_stats, field, value)

/*
 * s390.enomem. A zPCI function (QEMU window [4 GiB, 8 GiB - 1], shadowed) set up for dma-iommu
 * on the fixture's domain, @mode (lazy: shadow_on_flush picks the single 32768-entry queue).
 * forcedac: IOVAs come top-down from the window's end, so the first page is 8 GiB - 4 KiB.
 */
#define WIN_END (2 * SZ_4G)

static struct iommusim_device *add_dma_zdev(struct fix *f, uint32_t fh, enum iommusim_dma_mode mode)
{
	struct iommusim_zpci_config cfg = qemu_cfg(fh, true);
	struct iommusim_dma_iommu_config dcfg = {
		.mode = mode,
		.forcedac = true,
		.possible_cpus = 1,
	};
	struct iommusim_device *dev = new_dev(f, "nvme");

	assert_int_equal(iommusim_manual_clock_create(f->mem, &f->clock), 0);
	dcfg.clock = f->clock;
	assert_int_equal(iommusim_s390_device_init(dev, f->fw, &cfg), 0);
	assert_int_equal(iommusim_dma_iommu_setup(dev, f->dom, &dcfg), 0);
	/* the attach's registration */
	assert_int_equal(log_len(f), 1);
	expect_ioat(f, 0, fh, SZ_4G, WIN_END - 1, logged_iota(f, 0));
	iommusim_firmware_script_log_clear(f->fw);
	return dev;
}

/* Map one page of PHYS for @dev; the map must answer @expect. Returns the DMA address. */
static uint64_t dma_map(struct fix *f, struct iommusim_device *dev, int expect)
{
	uint64_t dma = 0;

	assert_int_equal(
		iommusim_dma_map_page(dev, f->cpu, PHYS, SZ_4K, IOMMUSIM_DMA_BIDIRECTIONAL, &dma),
		expect);
	return dma;
}

static void dma_unmap(struct fix *f, struct iommusim_device *dev, uint64_t dma)
{
	iommusim_dma_unmap_page(dev, f->cpu, dma, SZ_4K, IOMMUSIM_DMA_BIDIRECTIONAL);
}

/* IOVAs waiting in the domain's single flush queue. */
static unsigned int fq_pending(struct fix *f)
{
	const struct isim_dma_cookie *c = f->dom->dma_cookie;

	assert_int_equal(c->options.qt, ISIM_FQ_QT_SINGLE);
	return (c->single_fq->tail - c->single_fq->head) & c->single_fq->mod_mask;
}

/*
 * Three pages mapped (one ranged RPCIT each, log 0..2) and unmapped lazily (no RPCIT): their
 * IOVAs 8 GiB - 4 KiB, - 8 KiB, - 12 KiB wait in the flush queue.
 */
static void queue_three(struct fix *f, struct iommusim_device *dev, uint32_t fh)
{
	for (unsigned int i = 1; i <= 3; i++)
		assert_int_equal(dma_map(f, dev, 0), WIN_END - i * SZ_4K);
	for (unsigned int i = 1; i <= 3; i++)
		dma_unmap(f, dev, WIN_END - i * SZ_4K);
	assert_int_equal(log_len(f), 3);
	for (unsigned int i = 0; i < 3; i++)
		expect_call(f, i, fh, WIN_END - (i + 1) * SZ_4K, SZ_4K, 0);
	assert_int_equal(fq_pending(f), 3);
}

static void test_s390_set_enomem_rejects_bad_arguments(void **state)
{
	static const struct isim_domain_ops other_ops = {0};
	struct iommusim_domain other = {.ops = &other_ops};
	struct fix *f = *state;

	assert_int_equal(iommusim_s390_domain_set_enomem(&other, IOMMUSIM_S390_ENOMEM_NONE),
			 -EINVAL);
	assert_int_equal(iommusim_s390_domain_set_enomem(f->dom, (enum iommusim_s390_enomem)3),
			 -EINVAL);
	assert_int_equal(iommusim_s390_domain_set_enomem(f->dom, (enum iommusim_s390_enomem) - 1),
			 -EINVAL);
	for (int m = IOMMUSIM_S390_ENOMEM_GLOBAL_FLUSH; m <= IOMMUSIM_S390_ENOMEM_FLUSH_QUEUE; m++)
		assert_int_equal(iommusim_s390_domain_set_enomem(f->dom, m), 0);
}

/*
 * GLOBAL_FLUSH, set explicitly after another mode, is 6.7's answer: ranged RPCIT (cc 1, status
 * 16), then one global RPCIT over the window [4 GiB, 8 GiB) in enomem_global_rpcits, the map
 * succeeds and the flush queue is left alone. A global RPCIT that finds no resources either
 * fails the map and counts as an enomem failure.
 */
static void test_s390_enomem_global_flush(void **state)
{
	struct iommusim_s390_counters c;
	struct iommusim_device *dev;
	struct fix *f = *state;
	uint64_t d;

	dev = add_dma_zdev(f, 0x51, IOMMUSIM_DMA_LAZY);
	queue_three(f, dev, 0x51);
	assert_int_equal(iommusim_s390_domain_set_enomem(f->dom, IOMMUSIM_S390_ENOMEM_NONE), 0);
	assert_int_equal(iommusim_s390_domain_set_enomem(f->dom, IOMMUSIM_S390_ENOMEM_GLOBAL_FLUSH),
			 0);
	push(f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	/* the fourth page from the top: the queued IOVAs are not free yet */
	d = dma_map(f, dev, 0);
	assert_int_equal(d, WIN_END - 4 * SZ_4K);
	assert_int_equal(log_len(f), 5);
	expect_call(f, 3, 0x51, d, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(f, 4, 0x51, SZ_4G, SZ_4G, 0);
	assert_int_equal(fq_pending(f), 3);
	c = ctrs(f);
	EXPECT_FIELDS(&c, S390_COUNTERS(sync_map_rpcits, 4), S390_COUNTERS(enomem_global_rpcits, 1),
		      S390_COUNTERS(global_rpcits, 0), S390_COUNTERS(rpcit_errors, 1),
		      S390_COUNTERS(enomem_failures, 0));
	/* both answer "no resources": -ENOMEM, the range is unmapped again (ranged sync RPCIT) */
	push(f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	push(f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES);
	d = dma_map(f, dev, -ENOMEM);
	assert_int_equal(log_len(f), 8);
	expect_call(f, 5, 0x51, WIN_END - 5 * SZ_4K, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(f, 6, 0x51, SZ_4G, SZ_4G, IOMMUSIM_FW_CC_ERROR);
	expect_call(f, 7, 0x51, WIN_END - 5 * SZ_4K, SZ_4K, 0);
	c = ctrs(f);
	EXPECT_FIELDS(&c, S390_COUNTERS(enomem_global_rpcits, 2), S390_COUNTERS(enomem_failures, 1),
		      S390_COUNTERS(global_rpcits, 0), S390_COUNTERS(rpcit_errors, 3));
	assert_int_equal(fq_pending(f), 3);
}

/*
 * NONE: the "no resources" answer fails the map at once: one ranged RPCIT (cc 1), no global
 * one, -ENOMEM, the pages unmapped again with their sync RPCIT, nothing translates, and the
 * flush queue is untouched. With two shadowed functions the loop stops at the first (the
 * newest attached, head of the list), so the second is never refreshed.
 */
static void test_s390_enomem_none_fails_map(void **state)
{
	struct iommusim_zpci_config a = qemu_cfg(0x61, true), b = qemu_cfg(0x62, true);
	const uint64_t iova = SZ_4G + 16 * SZ_4K;
	struct iommusim_s390_counters c;
	struct iommusim_device *dev;
	struct fix *f = *state;
	uint64_t pa;

	dev = add_dma_zdev(f, 0x60, IOMMUSIM_DMA_LAZY);
	queue_three(f, dev, 0x60);
	assert_int_equal(iommusim_s390_domain_set_enomem(f->dom, IOMMUSIM_S390_ENOMEM_NONE), 0);
	push(f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES);
	assert_int_equal(dma_map(f, dev, -ENOMEM), 0);
	assert_int_equal(log_len(f), 5);
	expect_call(f, 3, 0x60, WIN_END - 4 * SZ_4K, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(f, 4, 0x60, WIN_END - 4 * SZ_4K, SZ_4K, 0);
	assert_int_equal(iommusim_iommu_translate(f->dom, WIN_END - 4 * SZ_4K, &pa, NULL), -EFAULT);
	assert_int_equal(fq_pending(f), 3);
	c = ctrs(f);
	EXPECT_FIELDS(&c, S390_COUNTERS(sync_map_rpcits, 4), S390_COUNTERS(enomem_global_rpcits, 0),
		      S390_COUNTERS(global_rpcits, 0), S390_COUNTERS(enomem_failures, 1),
		      S390_COUNTERS(rpcit_errors, 1));
	/* two more functions; 0x62 is walked first and fails: 0x61 and 0x60 are not asked */
	iommusim_firmware_script_log_clear(f->fw);
	add_zdev(f, &a);
	add_zdev(f, &b);
	push(f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, iova, PHYS, SZ_4K, 3), -ENOMEM);
	/* 0x62's ranged RPCIT, then the undo's sync RPCIT for each of the three functions */
	assert_int_equal(log_len(f), 4);
	expect_call(f, 0, 0x62, iova, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	c = ctrs(f);
	EXPECT_FIELDS(&c, S390_COUNTERS(sync_map_rpcits, 5), S390_COUNTERS(enomem_failures, 2),
		      S390_COUNTERS(sync_rpcits, 1 + 3));
}

/*
 * FLUSH_QUEUE: the driver has dma-iommu flush its queue (the queue's own flush: a global
 * RPCIT per function via flush_iotlb_all, counted in global_rpcits and fq_flushes, then the
 * three queued IOVAs freed to the rcache), then repeats the ranged RPCIT, which succeeds.
 * The next one-page map is served from the rcache: the last IOVA freed, 8 GiB - 12 KiB.
 */
static void test_s390_enomem_flush_queue_frees_queued_iovas(void **state)
{
	struct iommusim_iova_stats before, after;
	struct iommusim_s390_counters c;
	struct iommusim_dma_stats st;
	struct iommusim_device *dev;
	struct fix *f = *state;
	uint64_t d;

	dev = add_dma_zdev(f, 0x71, IOMMUSIM_DMA_LAZY);
	queue_three(f, dev, 0x71);
	assert_int_equal(iommusim_s390_domain_set_enomem(f->dom, IOMMUSIM_S390_ENOMEM_FLUSH_QUEUE),
			 0);
	push(f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	d = dma_map(f, dev, 0);
	assert_int_equal(d, WIN_END - 4 * SZ_4K);
	assert_int_equal(log_len(f), 6);
	expect_call(f, 3, 0x71, d, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(f, 4, 0x71, SZ_4G, SZ_4G, 0);
	expect_call(f, 5, 0x71, d, SZ_4K, 0);
	assert_int_equal(fq_pending(f), 0);
	c = ctrs(f);
	EXPECT_FIELDS(&c, S390_COUNTERS(sync_map_rpcits, 4), S390_COUNTERS(global_rpcits, 1),
		      S390_COUNTERS(enomem_global_rpcits, 0), S390_COUNTERS(enomem_failures, 0),
		      S390_COUNTERS(rpcit_errors, 1));
	iommusim_dma_get_stats(dev, &st);
	EXPECT_FIELDS(&st, DMA_STATS(fq_flushes, 1), DMA_STATS(maps, 4),
		      DMA_STATS(map_failures, 0));
	/* the freed IOVAs are reusable: a cache hit, the last one freed */
	iommusim_iova_get_stats(iommusim_dma_iova_domain(dev), &before);
	assert_int_equal(dma_map(f, dev, 0), WIN_END - 3 * SZ_4K);
	iommusim_iova_get_stats(iommusim_dma_iova_domain(dev), &after);
	assert_int_equal(after.rcache_hits, before.rcache_hits + 1);
	assert_int_equal(log_len(f), 7);
	expect_call(f, 6, 0x71, WIN_END - 3 * SZ_4K, SZ_4K, 0);
}

/*
 * FLUSH_QUEUE whose retry finds no resources again: ranged (cc 1), global, ranged (cc 1),
 * -ENOMEM, the map undone (sync RPCIT) and its IOVA given back. The queue was flushed all
 * the same.
 */
static void test_s390_enomem_flush_queue_second_enomem_fails_map(void **state)
{
	struct iommusim_s390_counters c;
	struct iommusim_dma_stats st;
	struct iommusim_device *dev;
	struct fix *f = *state;
	uint64_t pa;

	dev = add_dma_zdev(f, 0x72, IOMMUSIM_DMA_LAZY);
	queue_three(f, dev, 0x72);
	assert_int_equal(iommusim_s390_domain_set_enomem(f->dom, IOMMUSIM_S390_ENOMEM_FLUSH_QUEUE),
			 0);
	push(f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	push(f, IOMMUSIM_FW_CC_OK, 0);
	push(f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES);
	dma_map(f, dev, -ENOMEM);
	assert_int_equal(log_len(f), 7);
	expect_call(f, 3, 0x72, WIN_END - 4 * SZ_4K, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(f, 4, 0x72, SZ_4G, SZ_4G, 0);
	expect_call(f, 5, 0x72, WIN_END - 4 * SZ_4K, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(f, 6, 0x72, WIN_END - 4 * SZ_4K, SZ_4K, 0);
	assert_int_equal(iommusim_iommu_translate(f->dom, WIN_END - 4 * SZ_4K, &pa, NULL), -EFAULT);
	assert_int_equal(fq_pending(f), 0);
	c = ctrs(f);
	EXPECT_FIELDS(&c, S390_COUNTERS(sync_map_rpcits, 4), S390_COUNTERS(global_rpcits, 1),
		      S390_COUNTERS(enomem_failures, 1), S390_COUNTERS(rpcit_errors, 2),
		      S390_COUNTERS(sync_rpcits, 1));
	iommusim_dma_get_stats(dev, &st);
	assert_int_equal(st.map_failures, 1);
	assert_int_equal(st.fq_flushes, 1);
}

/*
 * FLUSH_QUEUE without a flush queue: a strict dma-iommu domain, and a domain mapped directly
 * (no DMA layer). Only the retry is left: ranged (cc 1) then ranged again, no global RPCIT; a
 * second "no resources" fails the map.
 */
static void test_s390_enomem_flush_queue_without_queue_only_retries(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x82, true);
	struct iommusim_s390_counters c;
	struct iommusim_device *dev;
	struct fix f;

	(void)state;
	fix_init(&f);
	dev = add_dma_zdev(&f, 0x81, IOMMUSIM_DMA_STRICT);
	assert_null(f.dom->dma_flush_queue);
	assert_int_equal(iommusim_s390_domain_set_enomem(f.dom, IOMMUSIM_S390_ENOMEM_FLUSH_QUEUE),
			 0);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	assert_int_equal(dma_map(&f, dev, 0), WIN_END - SZ_4K);
	assert_int_equal(log_len(&f), 2);
	expect_call(&f, 0, 0x81, WIN_END - SZ_4K, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 1, 0x81, WIN_END - SZ_4K, SZ_4K, 0);
	c = ctrs(&f);
	assert_int_equal(c.global_rpcits + c.enomem_global_rpcits + c.enomem_failures, 0);
	fix_fini(&f);

	/* no DMA layer at all; twice "no resources": -ENOMEM after the one retry */
	fix_init(&f);
	add_zdev(&f, &cfg);
	assert_null(f.dom->dma_flush_queue);
	assert_int_equal(iommusim_s390_domain_set_enomem(f.dom, IOMMUSIM_S390_ENOMEM_FLUSH_QUEUE),
			 0);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G, PHYS, 2 * SZ_4K, 3), -ENOMEM);
	assert_int_equal(log_len(&f), 3);
	expect_call(&f, 0, 0x82, SZ_4G, 2 * SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 1, 0x82, SZ_4G, 2 * SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 2, 0x82, SZ_4G, 2 * SZ_4K, 0);
	c = ctrs(&f);
	assert_int_equal(c.global_rpcits + c.enomem_global_rpcits, 0);
	assert_int_equal(c.enomem_failures, 1);
	assert_int_equal(c.rpcit_errors, 2);
	fix_fini(&f);
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_s390_set_enomem_rejects_bad_arguments, s390_setup,
					   s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_enomem_global_flush, s390_setup,
					   s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_enomem_none_fails_map, s390_setup,
					   s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_enomem_flush_queue_frees_queued_iovas,
					   s390_setup, s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_enomem_flush_queue_second_enomem_fails_map,
					   s390_setup, s390_teardown),
	   cmocka_unit_test(test_s390_enomem_flush_queue_without_queue_only_retries))
