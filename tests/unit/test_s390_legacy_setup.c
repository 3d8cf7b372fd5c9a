/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the legacy s390 DMA ops' set-up and teardown: bad arguments, the registration
 * of the table and its refusal.
 */
#include "s390_legacy_fixture.h"

static void test_s390_legacy_setup_errors(void **state)
{
	struct iommusim_device_config dcfg = {.name = "plain", .pci = true};
	struct iommusim_s390_legacy_config lcfg = {.strict = false};
	struct iommusim_s390_legacy_counters c;
	struct iommusim_device *plain;
	uint64_t pa;
	struct fix *f = *state;

	/* Not a zPCI function: -EINVAL; no ops, so no counters and nothing to translate. */
	assert_int_equal(iommusim_device_create(f->mem, &dcfg, &plain), 0);
	assert_int_equal(iommusim_s390_legacy_dma_setup(plain, &lcfg), -EINVAL);
	assert_int_equal(iommusim_s390_legacy_counters(plain, &c), -EINVAL);
	assert_int_equal(iommusim_s390_legacy_translate(plain, START, &pa, NULL), -EINVAL);
	iommusim_device_destroy(plain);
	/* The DMA ops are already installed: -EBUSY. */
	assert_int_equal(iommusim_s390_legacy_dma_setup(f->dev, &lcfg), -EBUSY);
	/* A fresh setup has counted nothing and maps nothing. */
	c = ctrs(f);
	assert_int_equal(c.mapped_pages + c.unmapped_pages + c.allocated_pages + c.map_rpcits +
				 c.unmap_rpcits + c.global_rpcits + c.wraps + c.enomem_purges,
			 0);
	expect_unmapped(f, START);
	/* Zero bytes or a bad direction: refused before the allocator runs, not a map failure. */
	assert_int_equal(map(f, 0x1234, 0, &pa), -EINVAL);
	assert_int_equal(
		iommusim_dma_map_page(f->dev, f->cpu, 0x1000, PG, (enum iommusim_dma_dir)4, &pa),
		-EINVAL);
	assert_int_equal(stats(f).map_failures, 0);
	map_at(f, 1, 0);
}

/*
 * The setup registered the table its maps write (a platform reading it sees the legacy
 * translations), and tearing the ops down deregisters it, before the table is freed.
 */
static void test_s390_legacy_setup_registers_teardown_deregisters(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true};
	uint64_t pa = 0;
	int prot = 0;
	struct fix *f = *state;

	fix_init(f, &o);
	/* a map at offset 0: [START, START + 4 KiB) -> 0x80000000, read-write */
	map_at(f, 1, 0);
	assert_int_equal(isim_s390_table_translate(f->table, START, &pa, &prot), 0);
	assert_int_equal(pa, 0x80000000ull);
	assert_int_equal(prot, RW);
	assert_int_equal(isim_s390_table_translate(f->table, START + PG, &pa, &prot), -EFAULT);
	/* the map's ranged RPCIT (tlb_refresh), then the teardown's deregistration */
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 1);
	iommusim_device_destroy(f->dev);
	f->dev = NULL;
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 2);
	expect_ioat(f, 1, 0, 0, false);
}

/*
 * A refused registration fails the setup with the platform's error and leaves nothing behind:
 * table and bitmaps freed (the live object count is back where it was), no DMA ops, no
 * deregistration; the next setup, once the platform agrees, works.
 */
static void test_s390_legacy_setup_fails_when_registration_refused(void **state)
{
	struct iommusim_device_config dcfg = {.name = "zpci", .pci = true};
	struct iommusim_zpci_config zcfg = {
		.fh = FH,
		.start_dma = START,
		.end_dma = START + 64 * PG - 1,
		.guest_memory = 1ull << 40,
	};
	struct iommusim_s390_legacy_config lcfg = {.strict = false};
	struct iommusim_s390_legacy_counters c;
	struct ioat_platform r = {.ret = -EIO};
	struct iommusim_firmware *fw;
	struct iommusim_device *dev;
	struct iommusim_mem *mem;
	uint64_t objs;

	(void)state;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem), 0);
	assert_int_equal(iommusim_firmware_create(mem, &ioat_platform_ops, &r, &fw), 0);
	assert_int_equal(iommusim_device_create(mem, &dcfg, &dev), 0);
	assert_int_equal(iommusim_s390_device_init(dev, fw, &zcfg), 0);
	objs = iommusim_mem_live_objects(mem);
	/* lazy (table + two bitmaps + state) and strict (one bitmap fewer) alike */
	for (int strict = 0; strict < 2; strict++) {
		lcfg.strict = strict;
		assert_int_equal(iommusim_s390_legacy_dma_setup(dev, &lcfg), -EIO);
		assert_int_equal(iommusim_mem_live_objects(mem), objs);
		assert_int_equal(iommusim_s390_legacy_counters(dev, &c), -EINVAL);
	}
	assert_int_equal(r.calls, 2);
	/* the errno is the platform's */
	r.ret = -ENOSPC;
	assert_int_equal(iommusim_s390_legacy_dma_setup(dev, &lcfg), -ENOSPC);
	assert_int_equal(r.calls, 3);
	r.ret = 0;
	assert_int_equal(iommusim_s390_legacy_dma_setup(dev, &lcfg), 0);
	assert_int_equal(r.calls, 4);
	assert_non_null(r.iota);
	assert_int_equal(r.fh, FH);
	assert_int_equal(iommusim_s390_legacy_counters(dev, &c), 0);
	/* destroying the device tears the ops down: deregistered */
	iommusim_device_destroy(dev);
	assert_int_equal(r.calls, 5);
	assert_null(r.iota);
	iommusim_firmware_destroy(fw);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_s390_legacy_setup_errors, legacy_setup,
					   legacy_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_legacy_setup_registers_teardown_deregisters,
					   legacy_alloc, legacy_teardown),
	   cmocka_unit_test(test_s390_legacy_setup_fails_when_registration_refused))
