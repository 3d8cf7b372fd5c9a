/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the s390 IOMMU driver's zPCI DMA window: the QEMU default factor and others,
 * an unlimited window, alignment and clamping, bad configurations, the device flags and the
 * domain's geometry.
 */
#include "s390_iommu_fixture.h"

static void expect_window(const struct iommusim_zpci_config *cfg, uint64_t start, uint64_t end)
{
	struct fix f;
	struct iommusim_device *dev;
	uint64_t s = 0, e = 0;

	fix_init(&f);
	dev = new_dev(&f, "win");
	assert_int_equal(iommusim_s390_device_init(dev, f.fw, cfg), 0);
	assert_int_equal(iommusim_s390_device_window(dev, &s, &e), 0);
	assert_int_equal(s, start);
	assert_int_equal(e, end);
	fix_fini(&f);
}

static void test_s390_window_qemu_default_factor(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(1, false);

	(void)state;
	/* aperture = min3(4 GiB x 1, 4 TiB - 4 GiB, huge) = 4 GiB: [4 GiB, 8 GiB - 1] */
	expect_window(&cfg, SZ_4G, 2 * SZ_4G - 1);
	/* factor 0 is "not given", the kernel's default 1 */
	cfg.aperture_factor = 1;
	expect_window(&cfg, SZ_4G, 2 * SZ_4G - 1);
}

static void test_s390_window_factor_two(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(1, false);

	(void)state;
	/* aperture = 2 x 4 GiB = 8 GiB: [4 GiB, 12 GiB - 1] */
	cfg.aperture_factor = 2;
	expect_window(&cfg, SZ_4G, 3 * SZ_4G - 1);
}

static void test_s390_window_unlimited(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(1, false);

	(void)state;
	/* s390_iommu_aperture=0: aperture = 4 TiB - 4 GiB, so the window ends at 4 TiB - 1 */
	cfg.aperture_factor = IOMMUSIM_S390_APERTURE_UNLIMITED;
	expect_window(&cfg, SZ_4G, TIB4 - 1);
}

static void test_s390_window_aligned_and_clamped(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(1, false);

	(void)state;
	/* start PAGE_ALIGNed up; an end beyond 4 TiB is cut to what a 3-level table reaches */
	cfg.start_dma = 0x1234;
	cfg.end_dma = 16 * TIB4;
	cfg.aperture_factor = IOMMUSIM_S390_APERTURE_UNLIMITED;
	expect_window(&cfg, 0x2000, TIB4 - 1);
	/* a firmware end below start + memory wins: min3 picks end - start + 1 */
	cfg = qemu_cfg(1, false);
	cfg.end_dma = SZ_4G + SZ_1M - 1;
	cfg.guest_memory = 64 * SZ_4G;
	expect_window(&cfg, SZ_4G, SZ_4G + SZ_1M - 1);
	/* the whole 64-bit space as the window: its length does not wrap to 0 */
	cfg = qemu_cfg(1, false);
	cfg.start_dma = 0;
	cfg.end_dma = UINT64_MAX;
	cfg.aperture_factor = IOMMUSIM_S390_APERTURE_UNLIMITED;
	expect_window(&cfg, 0, TIB4 - 1);
	/* start 0 is allowed: [0, 4 GiB - 1] with 4 GiB of memory */
	cfg = qemu_cfg(1, false);
	cfg.start_dma = 0;
	expect_window(&cfg, 0, SZ_4G - 1);
}

static void test_s390_window_rejects_bad_config(void **state)
{
	struct iommusim_zpci_config cfg;
	struct iommusim_device *dev;
	uint64_t s, e;
	struct fix *f = *state;

	dev = new_dev(f, "bad");
	/* start_dma > end_dma: the probe refuses it */
	cfg = qemu_cfg(1, false);
	cfg.start_dma = 2 * SZ_4G;
	cfg.end_dma = SZ_4G;
	assert_int_equal(iommusim_s390_device_init(dev, f->fw, &cfg), -EINVAL);
	/* start past what a 3-level table reaches */
	cfg = qemu_cfg(1, false);
	cfg.start_dma = TIB4;
	assert_int_equal(iommusim_s390_device_init(dev, f->fw, &cfg), -EINVAL);
	/* aligning start up leaves nothing: [0x2000, 0x1fff] */
	cfg = qemu_cfg(1, false);
	cfg.start_dma = 0x1001;
	cfg.end_dma = 0x1fff;
	assert_int_equal(iommusim_s390_device_init(dev, f->fw, &cfg), -EINVAL);
	/* no guest memory: an empty aperture */
	cfg = qemu_cfg(1, false);
	cfg.guest_memory = 0;
	assert_int_equal(iommusim_s390_device_init(dev, f->fw, &cfg), -EINVAL);
	/* none of that made it a zPCI function */
	assert_null(isim_zpci_dev(dev));
	assert_int_equal(iommusim_s390_device_window(dev, &s, &e), -EINVAL);
	assert_int_equal(iommusim_iommu_attach_device(f->dom, dev), -ENODEV);
	/* a good config works once, then -EBUSY */
	cfg = qemu_cfg(1, false);
	assert_int_equal(iommusim_s390_device_init(dev, f->fw, &cfg), 0);
	assert_int_equal(iommusim_s390_device_init(dev, f->fw, &cfg), -EBUSY);
}

static void test_s390_device_flags(void **state)
{
	struct iommusim_zpci_config cfg;
	struct iommusim_device *lpar, *zvm, *ism;
	struct fix *f = *state;

	lpar = new_dev(f, "lpar");
	zvm = new_dev(f, "zvm");
	ism = new_dev(f, "ism");
	cfg = qemu_cfg(1, false);
	assert_int_equal(iommusim_s390_device_init(lpar, f->fw, &cfg), 0);
	cfg = qemu_cfg(2, true);
	assert_int_equal(iommusim_s390_device_init(zvm, f->fw, &cfg), 0);
	cfg = qemu_cfg(3, false);
	cfg.ism = true;
	assert_int_equal(iommusim_s390_device_init(ism, f->fw, &cfg), 0);
	/* shadow_on_flush = tlb_refresh (probe_device) */
	assert_false(iommusim_device_shadow_on_flush(lpar));
	assert_true(iommusim_device_shadow_on_flush(zvm));
	assert_false(iommusim_device_shadow_on_flush(ism));
	/* IOMMU_CAP_DEFERRED_FLUSH unless ISM */
	assert_true(lpar->deferred_flush);
	assert_true(zvm->deferred_flush);
	assert_false(ism->deferred_flush);
	/* zPCI functions are PCI devices */
	assert_true(lpar->pci && zvm->pci && ism->pci);
	/* the shared state the legacy DMA ops read */
	assert_int_equal(isim_zpci_dev(zvm)->fh, 2);
	assert_true(isim_zpci_dev(zvm)->tlb_refresh);
	assert_true(isim_zpci_dev(ism)->ism);
	assert_ptr_equal(isim_zpci_dev(zvm)->fw, f->fw);
}

static void test_s390_domain_geometry(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(1, false);
	uint64_t s, e;
	struct fix *f = *state;

	/* s390_domain_alloc_paging: 4K pages only, aperture [0, 4 TiB - 1] */
	assert_int_equal(iommusim_domain_pgsize_bitmap(f->dom), SZ_4K);
	iommusim_domain_aperture(f->dom, &s, &e);
	assert_int_equal(s, 0);
	assert_int_equal(e, TIB4 - 1);
	add_zdev(f, &cfg);
	assert_int_equal(iommusim_domain_devices(f->dom), 1);
}

SUITE_MAIN(cmocka_unit_test(test_s390_window_qemu_default_factor),
	   cmocka_unit_test(test_s390_window_factor_two),
	   cmocka_unit_test(test_s390_window_unlimited),
	   cmocka_unit_test(test_s390_window_aligned_and_clamped),
	   cmocka_unit_test_setup_teardown(test_s390_window_rejects_bad_config, s390_setup,
					   s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_device_flags, s390_setup, s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_domain_geometry, s390_setup, s390_teardown))
