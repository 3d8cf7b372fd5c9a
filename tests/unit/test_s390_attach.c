/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the s390 driver's attach and detach: the domain table registered with SET
 * IOAT, a refused registration, reserved regions outside the window, and the counters, which add
 * up and refuse other domains.
 */
#include "s390_iommu_fixture.h"

static void test_s390_counters_add_up(void **state)
{
	struct iommusim_zpci_config a = qemu_cfg(0xa, true), b = qemu_cfg(0xb, true),
				    l = qemu_cfg(0xc, false);
	enum { PAGES = 512 };
	static bool mapped[PAGES];
	struct iommusim_rng rng = test_rng(42);
	uint64_t live = 0, pushed_errors = 0;
	struct iommusim_s390_counters c;
	struct fix *f = *state;

	memset(mapped, 0, sizeof(mapped));
	fix_init(f);
	add_zdev(f, &a);
	add_zdev(f, &b);
	add_zdev(f, &l);
	for (int op = 0; op < 2000; op++) {
		uint64_t r = iommusim_rng_u64(&rng);
		unsigned int page = (unsigned int)(r % PAGES);
		uint64_t iova = SZ_4G + page * SZ_4K;

		if ((r >> 32) % 16 == 0) {
			iommusim_iommu_flush_iotlb_all(f->dom, f->cpu);
		} else if (!mapped[page]) {
			/* now and then the hypervisor runs out: one extra global RPCIT */
			if ((r >> 40) % 8 == 0) {
				push(f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
				pushed_errors++;
			}
			assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, iova, PHYS, SZ_4K, 3),
					 0);
			mapped[page] = true;
			live++;
		} else {
			assert_int_equal(iommusim_iommu_unmap(f->dom, f->cpu, iova, SZ_4K), SZ_4K);
			mapped[page] = false;
			live--;
		}
	}
	c = ctrs(f);
	/* every RPCIT the firmware saw is counted in exactly one of the four RPCIT counters */
	assert_int_equal(log_len(f), c.sync_map_rpcits + c.sync_rpcits + c.global_rpcits +
					     c.enomem_global_rpcits);
	/* pages still mapped = mapped - unmapped */
	assert_int_equal(c.mapped_pages - c.unmapped_pages, live);
	/* two tlb_refresh functions: two ranged RPCITs per map; three functions per unmap/flush */
	assert_int_equal(c.sync_map_rpcits, 2 * c.mapped_pages);
	assert_int_equal(c.sync_rpcits, 3 * c.unmapped_pages);
	assert_int_equal(c.global_rpcits % 3, 0);
	assert_int_equal(c.enomem_global_rpcits, pushed_errors);
	assert_int_equal(c.rpcit_errors, pushed_errors);
	assert_true(pushed_errors > 0 && c.global_rpcits > 0);
}

static void test_s390_attach_detach(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x6, true);
	struct iommusim_device *dev, *plain;
	struct fix *f = *state;

	dev = add_zdev(f, &cfg);
	plain = new_dev(f, "plain");
	/* not a zPCI function: the driver refuses it, and registers nothing */
	assert_int_equal(iommusim_iommu_attach_device(f->dom, plain), -ENODEV);
	assert_int_equal(iommusim_domain_devices(f->dom), 1);
	/* attached twice: the core says busy before the driver is asked */
	assert_int_equal(iommusim_iommu_attach_device(f->dom, dev), -EBUSY);
	assert_int_equal(log_len(f), 0);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G, PHYS, SZ_4K, 3), 0);
	assert_int_equal(log_len(f), 1);
	/* detached: the table is deregistered (log entry 1), once */
	assert_int_equal(iommusim_iommu_detach_device(f->dom, dev), 0);
	assert_int_equal(iommusim_iommu_detach_device(f->dom, dev), -ENOENT);
	assert_int_equal(log_len(f), 2);
	expect_ioat(f, 1, 0x6, 0, 0, NULL);
	/* no function to refresh any more, so maps, syncs and flushes issue nothing */
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G + SZ_4K, PHYS, SZ_4K, 3), 0);
	assert_int_equal(iommusim_iommu_unmap(f->dom, f->cpu, SZ_4G, SZ_4K), SZ_4K);
	iommusim_iommu_flush_iotlb_all(f->dom, f->cpu);
	assert_int_equal(log_len(f), 2);
	/* attached again: registered again, [4 GiB, 8 GiB - 1], then RPCITs again */
	assert_int_equal(iommusim_iommu_attach_device(f->dom, dev), 0);
	expect_ioat(f, 2, 0x6, SZ_4G, 2 * SZ_4G - 1, f->table);
	assert_int_equal(iommusim_iommu_unmap(f->dom, f->cpu, SZ_4G + SZ_4K, SZ_4K), SZ_4K);
	assert_int_equal(log_len(f), 4);
	expect_call(f, 3, 0x6, SZ_4G + SZ_4K, SZ_4K, 0);
	/* destroying the device detaches it: one more deregistration */
	iommusim_device_destroy(dev);
	f->dev[0] = NULL;
	assert_int_equal(log_len(f), 5);
	expect_ioat(f, 4, 0x6, 0, 0, NULL);
	assert_int_equal(iommusim_domain_devices(f->dom), 0);
}

/*
 * The table the attach registers is the one the domain's maps write: what a platform reads
 * through it is what the domain translates. Two domains register two different tables.
 */
static void test_s390_attach_registers_the_domain_table(void **state)
{
	struct iommusim_zpci_config a = qemu_cfg(0xa, false), b = qemu_cfg(0xb, false);
	struct iommusim_domain *other;
	struct iommusim_device *dev_b;
	uint64_t pa = 0;
	int prot = 0;
	struct fix *f = *state;

	add_zdev(f, &a);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G + 7 * SZ_4K, PHYS, SZ_4K,
					    IOMMUSIM_PROT_READ),
			 0);
	assert_int_equal(isim_s390_table_translate(f->table, SZ_4G + 7 * SZ_4K, &pa, &prot), 0);
	assert_int_equal(pa, PHYS);
	assert_int_equal(prot, IOMMUSIM_PROT_READ);
	assert_int_equal(isim_s390_table_translate(f->table, SZ_4G + 8 * SZ_4K, &pa, &prot),
			 -EFAULT);
	/* a second domain: function 0xb registers a table of its own, empty so far */
	assert_int_equal(iommusim_s390_domain_create(f->mem, IOMMUSIM_KERNEL_6_7, &other), 0);
	dev_b = new_dev(f, "zpci-b");
	assert_int_equal(iommusim_s390_device_init(dev_b, f->fw, &b), 0);
	assert_int_equal(iommusim_iommu_attach_device(other, dev_b), 0);
	assert_int_equal(log_len(f), 1);
	assert_ptr_not_equal(logged_iota(f, 0), f->table);
	expect_ioat(f, 0, 0xb, SZ_4G, 2 * SZ_4G - 1, logged_iota(f, 0));
	assert_int_equal(
		isim_s390_table_translate(logged_iota(f, 0), SZ_4G + 7 * SZ_4K, &pa, &prot),
		-EFAULT);
	assert_int_equal(iommusim_iommu_detach_device(other, dev_b), 0);
	expect_ioat(f, 1, 0xb, 0, 0, NULL);
	iommusim_domain_destroy(other);
}

/*
 * A refused registration fails the attach with the platform's error and leaves nothing
 * behind: the device is not in the domain (no deregistration follows), it can be attached
 * once the platform agrees, and the domain maps without refreshing it.
 */
static void test_s390_attach_fails_when_registration_refused(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x7, true);
	struct ioat_platform r = {.ret = -EIO};
	struct iommusim_firmware *fw;
	struct iommusim_device *dev;
	struct fix *f = *state;

	assert_int_equal(iommusim_firmware_create(f->mem, &ioat_platform_ops, &r, &fw), 0);
	dev = new_dev(f, "zpci");
	assert_int_equal(iommusim_s390_device_init(dev, fw, &cfg), 0);
	assert_int_equal(iommusim_iommu_attach_device(f->dom, dev), -EIO);
	assert_int_equal(r.calls, 1);
	assert_int_equal(iommusim_domain_devices(f->dom), 0);
	/* not attached: detaching finds nothing, and deregisters nothing */
	assert_int_equal(iommusim_iommu_detach_device(f->dom, dev), -ENOENT);
	assert_int_equal(r.calls, 1);
	/* another errno comes back as it is */
	r.ret = -ENOSPC;
	assert_int_equal(iommusim_iommu_attach_device(f->dom, dev), -ENOSPC);
	assert_int_equal(r.calls, 2);
	/* the platform agrees now: attached, and the domain's table registered */
	r.ret = 0;
	assert_int_equal(iommusim_iommu_attach_device(f->dom, dev), 0);
	assert_int_equal(r.calls, 3);
	assert_non_null(r.iota);
	assert_int_equal(iommusim_domain_devices(f->dom), 1);
	/* destroying the device detaches it, and deregisters */
	iommusim_device_destroy(dev);
	f->dev[0] = NULL;
	assert_int_equal(r.calls, 4);
	assert_null(r.iota);
	iommusim_firmware_destroy(fw);
}

static void test_s390_resv_regions_outside_window(void **state)
{
	struct iommusim_zpci_config cfg;
	struct isim_resv_region r[ISIM_MAX_RESV_REGIONS];
	struct iommusim_device *qemu, *full, *low;
	struct fix *f = *state;

	cfg = qemu_cfg(1, false);
	qemu = add_zdev(f, &cfg);
	/* [0, 4 GiB) and [8 GiB, 4 TiB) around QEMU's [4 GiB, 8 GiB - 1] */
	assert_int_equal(f->dom->ops->get_resv_regions(qemu, r, ISIM_MAX_RESV_REGIONS), 2);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].length, SZ_4G);
	assert_int_equal(r[0].type, ISIM_RESV_RESERVED);
	assert_int_equal(r[1].start, 2 * SZ_4G);
	assert_int_equal(r[1].length, TIB4 - 2 * SZ_4G);
	assert_int_equal(r[1].type, ISIM_RESV_RESERVED);
	/* a window over everything leaves nothing to reserve */
	cfg.start_dma = 0;
	cfg.aperture_factor = IOMMUSIM_S390_APERTURE_UNLIMITED;
	full = add_zdev(f, &cfg);
	assert_int_equal(f->dom->ops->get_resv_regions(full, r, ISIM_MAX_RESV_REGIONS), 0);
	/* start 0, limited: only the part above */
	cfg = qemu_cfg(1, false);
	cfg.start_dma = 0;
	low = add_zdev(f, &cfg);
	assert_int_equal(f->dom->ops->get_resv_regions(low, r, ISIM_MAX_RESV_REGIONS), 1);
	assert_int_equal(r[0].start, SZ_4G);
	assert_int_equal(r[0].length, TIB4 - SZ_4G);
}

static void test_s390_counters_refuse_other_domains(void **state)
{
	static const struct isim_domain_ops other_ops = {0};
	struct iommusim_domain other = {.ops = &other_ops};
	struct iommusim_s390_counters c;
	struct fix *f = *state;

	assert_int_equal(iommusim_s390_domain_counters(&other, &c), -EINVAL);
	assert_int_equal(iommusim_s390_domain_counters(f->dom, &c), 0);
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_s390_counters_add_up, s390_alloc, s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_attach_detach, s390_setup, s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_attach_registers_the_domain_table, s390_setup,
					   s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_attach_fails_when_registration_refused,
					   s390_setup, s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_resv_regions_outside_window, s390_setup,
					   s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_counters_refuse_other_domains, s390_setup,
					   s390_teardown))
