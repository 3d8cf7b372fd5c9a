/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the s390 driver's iotlb_sync_map: the "insufficient resources" answer turned
 * into a global refresh, its failure, which function decides, other errors, and the retry of a
 * busy RPCIT with its bound.
 */
#include "s390_iommu_fixture.h"

static void test_s390_sync_map_no_resources_becomes_global_rpcit(void **state)
{
	static const uint8_t statuses[] = {IOMMUSIM_FW_STATUS_RESOURCES_ALT,
					   IOMMUSIM_FW_STATUS_RESOURCES};

	(void)state;
	for (size_t s = 0; s < 2; s++) {
		struct iommusim_zpci_config cfg = qemu_cfg(0x42, true);
		const uint64_t iova = SZ_4G + 7 * SZ_4K;
		struct iommusim_s390_counters c;
		struct fix f;
		uint64_t pa;

		fix_init(&f);
		add_zdev(&f, &cfg);
		push(&f, IOMMUSIM_FW_CC_ERROR, statuses[s]);
		/* -ENOMEM answered by one global RPCIT over the window; it succeeds: map is fine */
		assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, iova, PHYS, 2 * SZ_4K, 3), 0);
		assert_int_equal(log_len(&f), 2);
		expect_call(&f, 0, 0x42, iova, 2 * SZ_4K, IOMMUSIM_FW_CC_ERROR);
		expect_call(&f, 1, 0x42, SZ_4G, SZ_4G, 0);
		assert_int_equal(iommusim_iommu_translate(f.dom, iova, &pa, NULL), 0);
		c = ctrs(&f);
		/* the kernel counts the ranged one only; the global one is ours to count */
		EXPECT_FIELDS(
			&c, S390_COUNTERS(sync_map_rpcits, 1), S390_COUNTERS(global_rpcits, 0),
			S390_COUNTERS(enomem_global_rpcits, 1), S390_COUNTERS(rpcit_errors, 1));
		fix_fini(&f);
	}
}

/* A map whose ranged RPCIT finds no resources and whose global RPCIT answers @cc/@status. */
static void global_fails(enum iommusim_kernel kernel, uint8_t cc, uint8_t status, int expect)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x99, true);
	const uint64_t iova = SZ_4G + 32 * SZ_4K, size = 4 * SZ_4K;
	struct iommusim_s390_counters c;
	struct fix f;
	uint64_t pa;

	fix_init_kernel(&f, kernel);
	add_zdev(&f, &cfg);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	push(&f, cc, status);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, iova, PHYS, size, 3), expect);
	expect_call(&f, 0, 0x99, iova, size, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 1, 0x99, SZ_4G, SZ_4G, cc);
	c = ctrs(&f);
	EXPECT_FIELDS(&c, S390_COUNTERS(sync_map_rpcits, 1), S390_COUNTERS(enomem_global_rpcits, 1),
		      S390_COUNTERS(rpcit_errors, 2));
	if (expect) {
		/* 6.7: iommu_map unmaps the range again, with its iotlb_sync RPCIT */
		assert_int_equal(log_len(&f), 3);
		expect_call(&f, 2, 0x99, iova, size, 0);
		for (uint64_t i = 0; i < size; i += SZ_4K)
			assert_int_equal(iommusim_iommu_translate(f.dom, iova + i, &pa, NULL),
					 -EFAULT);
		assert_int_equal(c.unmapped_pages, 4);
		assert_int_equal(c.sync_rpcits, 1);
	} else {
		/* 6.6: the result of iotlb_sync_map is ignored, the mapping stays */
		assert_int_equal(log_len(&f), 2);
		assert_int_equal(iommusim_iommu_translate(f.dom, iova, &pa, NULL), 0);
		assert_int_equal(c.unmapped_pages, 0);
	}
	assert_int_equal(c.mapped_pages, 4);
	assert_int_equal(c.global_rpcits, 0);
	fix_fini(&f);
}

static void test_s390_sync_map_global_failure_fails_map(void **state)
{
	(void)state;
	/* the global RPCIT finds no resources either: -ENOMEM */
	global_fails(IOMMUSIM_KERNEL_6_7, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT,
		     -ENOMEM);
	/* the function is not operational: -EIO */
	global_fails(IOMMUSIM_KERNEL_6_7, IOMMUSIM_FW_CC_NOT_OPERATIONAL, 0, -EIO);
}

static void test_s390_sync_map_global_failure_ignored_in_6_6(void **state)
{
	(void)state;
	global_fails(IOMMUSIM_KERNEL_6_6, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT,
		     0);
	global_fails(IOMMUSIM_KERNEL_6_6, IOMMUSIM_FW_CC_NOT_OPERATIONAL, 0, 0);
}

static void test_s390_sync_map_other_error_fails_without_global(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x5, true);
	struct fix *f = *state;
	uint64_t pa;

	add_zdev(f, &cfg);
	/* cc 1 with a status other than 4/16 is -EIO: no global fallback, the map is undone */
	push(f, IOMMUSIM_FW_CC_ERROR, 8);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G, PHYS, SZ_4K, 3), -EIO);
	assert_int_equal(log_len(f), 2);
	expect_call(f, 0, 0x5, SZ_4G, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(f, 1, 0x5, SZ_4G, SZ_4K, 0); /* the undo's iotlb_sync */
	assert_int_equal(iommusim_iommu_translate(f->dom, SZ_4G, &pa, NULL), -EFAULT);
	assert_int_equal(ctrs(f).enomem_global_rpcits, 0);
	assert_int_equal(ctrs(f).rpcit_errors, 1);
}

static void test_s390_sync_map_last_function_decides(void **state)
{
	struct iommusim_zpci_config a = qemu_cfg(0xa, true), b = qemu_cfg(0xb, true);
	struct fix *f = *state;
	uint64_t pa;

	add_zdev(f, &a);
	add_zdev(f, &b);
	/* the first function tried says -EIO, the later one cc 0: the kernel returns 0 */
	push(f, IOMMUSIM_FW_CC_NOT_OPERATIONAL, 0);
	push(f, IOMMUSIM_FW_CC_OK, 0);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G, PHYS, SZ_4K, 3), 0);
	assert_int_equal(log_len(f), 2);
	assert_int_equal(iommusim_iommu_translate(f->dom, SZ_4G, &pa, NULL), 0);
	/* the other way round the error is the last word: the map fails and is undone */
	push(f, IOMMUSIM_FW_CC_OK, 0);
	push(f, IOMMUSIM_FW_CC_NOT_OPERATIONAL, 0);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G + SZ_4K, PHYS, SZ_4K, 3), -EIO);
	assert_int_equal(iommusim_iommu_translate(f->dom, SZ_4G + SZ_4K, &pa, NULL), -EFAULT);
	/* 2 + 2 sync_map RPCITs, then the undo's iotlb_sync to both functions */
	assert_int_equal(log_len(f), 6);
	assert_int_equal(ctrs(f).sync_map_rpcits, 4);
	assert_int_equal(ctrs(f).sync_rpcits, 2);
	assert_int_equal(ctrs(f).rpcit_errors, 2);
}

static void test_s390_sync_map_failed_global_stops_the_loop(void **state)
{
	struct iommusim_zpci_config a = qemu_cfg(0xa, true), b = qemu_cfg(0xb, true);
	struct iommusim_firmware_call first;
	struct fix *f = *state;

	add_zdev(f, &a);
	add_zdev(f, &b);
	/* first function: no resources, then its global RPCIT fails too -> break */
	push(f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES);
	push(f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G, PHYS, SZ_4K, 3), -ENOMEM);
	/* the second function got no sync_map RPCIT; the undo syncs both: 2 + 2 */
	assert_int_equal(log_len(f), 4);
	assert_int_equal(iommusim_firmware_script_log_get(f->fw, 0, &first), 0);
	expect_call(f, 1, first.fh, SZ_4G, SZ_4G, IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(ctrs(f).sync_map_rpcits, 1);
	assert_int_equal(ctrs(f).enomem_global_rpcits, 1);
	assert_int_equal(ctrs(f).sync_rpcits, 2);
}

static void test_s390_rpcit_busy_is_retried(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x3, true);
	struct fix *f = *state;

	add_zdev(f, &cfg);
	/* three busy answers, each retried (FW_BUSY_RETRY work), then cc 0 */
	for (int i = 0; i < 3; i++)
		push(f, IOMMUSIM_FW_CC_BUSY, 0);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G, PHYS, SZ_4K, 3), 0);
	assert_int_equal(log_len(f), 4);
	expect_call(f, 3, 0x3, SZ_4G, SZ_4K, 0);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 3);
	assert_int_equal(ctrs(f).sync_map_rpcits, 1);
	assert_int_equal(ctrs(f).rpcit_errors, 0);
}

static void test_s390_rpcit_busy_bound_fails_map(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x3, true);
	struct fix *f = *state;

	cfg.max_busy_retries = 2;
	add_zdev(f, &cfg);
	/* busy beyond the bound: -EBUSY, not -ENOMEM, so no global; the map is undone */
	for (int i = 0; i < 3; i++)
		push(f, IOMMUSIM_FW_CC_BUSY, 0);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G, PHYS, SZ_4K, 3), -EBUSY);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 2);
	assert_int_equal(log_len(f), 4); /* 3 busy + the undo's sync */
	assert_int_equal(ctrs(f).enomem_global_rpcits, 0);
	assert_int_equal(ctrs(f).rpcit_errors, 1);
}

SUITE_MAIN(cmocka_unit_test(test_s390_sync_map_no_resources_becomes_global_rpcit),
	   cmocka_unit_test(test_s390_sync_map_global_failure_fails_map),
	   cmocka_unit_test(test_s390_sync_map_global_failure_ignored_in_6_6),
	   cmocka_unit_test_setup_teardown(test_s390_sync_map_other_error_fails_without_global,
					   s390_setup, s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_sync_map_last_function_decides, s390_setup,
					   s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_sync_map_failed_global_stops_the_loop,
					   s390_setup, s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_rpcit_busy_is_retried, s390_setup,
					   s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_rpcit_busy_bound_fails_map, s390_setup,
					   s390_teardown))
