/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of dma-iommu's IOVA domain: granule and base PFN from the domain, reserved regions,
 * the coherent mask, the PCI 32-bit first attempt and when it is skipped, the bus limit and the
 * aperture's end.
 */
#include "dma_iommu_fixture.h"
#define GiB    (1ull << 30)
#define MASK64 IOMMUSIM_DMA_BIT_MASK(64)
/* The top page of the mock's default 48-bit aperture. */
#define TOP48 ((1ull << 48) - PAGE)

struct ranges {
	uint64_t lo[16];
	uint64_t hi[16];
	unsigned int n;
};

static int collect(void *arg, uint64_t lo, uint64_t hi)
{
	struct ranges *r = arg;

	if (r->n < 16) {
		r->lo[r->n] = lo;
		r->hi[r->n] = hi;
	}
	r->n++;
	return 0;
}

static struct ranges iova_ranges(struct mock_fx *fx)
{
	struct ranges r = {.n = 0};

	iommusim_iova_for_each(fx->iovad, collect, &r);
	return r;
}

/*
 * iommu_dma_init_domain(): granule = 1 << __ffs(pgsize_bitmap), base_pfn = max(1, aperture_start >>
 * order). 6.6 only raises the base to the aperture when the domain forces its aperture.
 */
static void test_dma_iommu_granule_and_base_pfn_from_domain(void **state)
{
	struct {
		struct mock_domain_cfg m;
		enum iommusim_kernel kernel;
		uint64_t granule, start_pfn;
	} cases[] = {
		/* 4K|2M|1G, aperture at 256 MiB: granule 4K, base 0x10000000 >> 12 */
		{{.pgsize_bitmap = 0x40201000, .aperture_start = 0x10000000},
		 IOMMUSIM_KERNEL_6_7,
		 4096,
		 0x10000},
		/* aperture at 0: pfn 0 is never allocatable, base 1 */
		{{.pgsize_bitmap = 0x1000}, IOMMUSIM_KERNEL_6_7, 4096, 1},
		/* 2K|4K: granule 2K, base 0x1000 >> 11 = 2 */
		{{.pgsize_bitmap = 0x1800, .aperture_start = 0x1000}, IOMMUSIM_KERNEL_6_7, 2048, 2},
		/* no force_aperture: 6.7 still uses the aperture start, 6.6 does not */
		{{.aperture_start = 0x10000000, .no_force_aperture = true},
		 IOMMUSIM_KERNEL_6_7,
		 4096,
		 0x10000},
		{{.aperture_start = 0x10000000, .no_force_aperture = true},
		 IOMMUSIM_KERNEL_6_6,
		 4096,
		 1},
		{{.aperture_start = 0x10000000}, IOMMUSIM_KERNEL_6_6, 4096, 0x10000},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct iommusim_dma_iommu_config cfg;
		struct mock_fx fx;

		mock_fx_base(&fx, &cases[i].m);
		cfg = base_cfg(&fx);
		cfg.kernel = cases[i].kernel;
		fx.dev = mock_fx_device(&fx, NULL, NULL);
		assert_int_equal(iommusim_dma_iommu_setup(fx.dev, fx.dom, &cfg), 0);
		fx.iovad = iommusim_dma_iova_domain(fx.dev);
		assert_int_equal(iommusim_iova_granule(fx.iovad), cases[i].granule);
		assert_int_equal(iommusim_iova_start_pfn(fx.iovad), cases[i].start_pfn);
		/* Default 32-bit mask, empty domain: the first page lands just below 4 GiB. */
		assert_int_equal(map(&fx, 0, 0x5000, PAGE), 0xFFFFF000);
		mock_fx_down(&fx);
	}
}

/*
 * iova_reserve_iommu_regions(): every region of the device except SW_MSI becomes a reserve_iova
 * node [start >> 12, (start + length - 1) >> 12].
 */
static void test_dma_iommu_reserved_regions_become_reservations(void **state)
{
	const struct isim_resv_region resv[] = {
		{0x8000000, 0x100000, ISIM_RESV_RESERVED},
		{0x20000000, 0x2000, ISIM_RESV_DIRECT},
		{0xFEE00000, 0x100000, ISIM_RESV_MSI},
		{0x8000000000, 0x100000, ISIM_RESV_SW_MSI},
	};
	struct mock_device_cfg md = {.resv = resv, .nresv = 4};
	struct ranges r;
	struct mock_fx *fx = *state;

	fx_up(fx, NULL, NULL, &md, NULL);
	r = iova_ranges(fx);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.lo[0], 0x8000);
	assert_int_equal(r.hi[0], 0x80FF);
	assert_int_equal(r.lo[1], 0x20000);
	assert_int_equal(r.hi[1], 0x20001);
	assert_int_equal(r.lo[2], 0xFEE00);
	assert_int_equal(r.hi[2], 0xFEEFF);
}

/*
 * iommu_dma_alloc_iova() on s390's window: with [0, 4 GiB) reserved (s390's start_dma under QEMU)
 * and forcedac, a 32-bit coherent mask leaves no IOVA at all: -ENOMEM with nothing mapped and only
 * the reservation in the tree. A 64-bit coherent mask gets the top of the aperture: 2 pages below
 * 2^48.
 */
static void test_dma_iommu_coherent_mask_with_low_4g_reserved(void **state)
{
	const struct isim_resv_region resv[] = {{0, 4 * GiB, ISIM_RESV_RESERVED}};
	struct iommusim_device_config dcfg = {.name = "zpci", .pci = true};
	struct mock_device_cfg md = {.resv = resv, .nresv = 1};
	struct iommusim_dma_iommu_config cfg;
	struct iommusim_dma_stats st;
	uint64_t dma = BAD_DMA;
	int prot = 0;
	struct mock_fx *fx = *state;

	mock_fx_base(fx, NULL);
	cfg = base_cfg(fx);
	cfg.forcedac = true;
	fx->dev = mock_fx_device(fx, &dcfg, &md);
	assert_int_equal(iommusim_dma_iommu_setup(fx->dev, fx->dom, &cfg), 0);
	fx->iovad = iommusim_dma_iova_domain(fx->dev);
	assert_false(iommusim_device_pci_32bit_workaround(fx->dev));

	assert_int_equal(
		iommusim_dma_alloc_coherent(fx->dev, fx->cpu[0], 0x40000000, 2 * PAGE, &dma),
		-ENOMEM);
	assert_int_equal(mock_mapped_pages(fx->m), 0);
	assert_int_equal(iova_nodes(fx), 1);
	st = stats(fx);
	assert_int_equal(st.map_failures, 1);
	assert_int_equal(st.maps, 0);

	assert_int_equal(iommusim_device_set_coherent_mask(fx->dev, MASK64), 0);
	assert_int_equal(
		iommusim_dma_alloc_coherent(fx->dev, fx->cpu[0], 0x40000000, 2 * PAGE, &dma), 0);
	assert_int_equal(dma, (1ull << 48) - 2 * PAGE);
	assert_int_equal(mock_mapped_pages(fx->m), 2);
	/* Coherent buffers are bidirectional. */
	assert_true(mock_lookup(fx->m, dma + PAGE, NULL, &prot));
	assert_int_equal(prot, IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE);
	expect_translate(fx, dma + PAGE, 0x40001000);

	iommusim_dma_free_coherent(fx->dev, fx->cpu[0], 2 * PAGE, dma);
	assert_int_equal(mock_mapped_pages(fx->m), 0);
	st = stats(fx);
	assert_int_equal(st.maps, 1);
	assert_int_equal(st.unmaps, 1);
	assert_int_equal(st.mapped_bytes, 2 * PAGE);
}

/*
 * iommu_dma_alloc_iova(), 32-bit first: a PCI device without forcedac and a 64-bit mask gets 32-bit
 * IOVAs while there are any. With [0, 0xFFFF8000) reserved, 8 pages remain below 4 GiB (pfns
 * 0xFFFF8..0xFFFFF, handed out top-down). The 9th map fails the 32-bit attempt, clears the flag
 * for good (counted once) and takes the top of the 48-bit aperture. A 32-bit hole freed afterwards
 * is not used: the next map goes straight to the full mask and gets the next page down.
 */
static void test_dma_iommu_pci_32bit_first_until_exhausted(void **state)
{
	const struct isim_resv_region resv[] = {{0, 0xFFFF8000, ISIM_RESV_RESERVED}};
	struct iommusim_device_config dcfg = {.name = "nvme", .pci = true, .dma_mask = MASK64};
	struct mock_device_cfg md = {.resv = resv, .nresv = 1};
	uint64_t dma[10];
	struct mock_fx *fx = *state;

	fx_up(fx, NULL, &dcfg, &md, NULL);
	assert_true(iommusim_device_pci_32bit_workaround(fx->dev));
	for (unsigned int i = 0; i < 8; i++) {
		dma[i] = map(fx, 0, 0x100000 + i * PAGE, PAGE);
		assert_int_equal(dma[i], 0xFFFFF000 - i * PAGE);
		assert_true(iommusim_device_pci_32bit_workaround(fx->dev));
	}
	assert_int_equal(stats(fx).iova_32bit_fallbacks, 0);

	dma[8] = map(fx, 0, 0x200000, PAGE);
	assert_int_equal(dma[8], TOP48);
	assert_false(iommusim_device_pci_32bit_workaround(fx->dev));
	assert_int_equal(stats(fx).iova_32bit_fallbacks, 1);

	/* Free a 32-bit page all the way back to the tree. */
	unmap(fx, 0, dma[2], PAGE);
	iommusim_iova_flush_rcaches(fx->iovad, fx->cpu[0]);
	dma[9] = map(fx, 0, 0x300000, PAGE);
	assert_int_equal(dma[9], TOP48 - PAGE);
	assert_int_equal(stats(fx).iova_32bit_fallbacks, 1);
	assert_false(iommusim_device_pci_32bit_workaround(fx->dev));
}

/*
 * iommu_dma_alloc_iova(): the 32-bit attempt runs with flush_rcache = false, the full-mask one with
 * true. Below 4 GiB only pfns 0xFFFF8..0xFFFFF are free: a 2-page map takes (0x100000 - 2)
 * & ~1 = 0xFFFFE, six single pages 0xFFFFD..0xFFFF8. The 2-page range is unmapped (strict), so
 * it sits in CPU 0's order-1 magazine, still in the tree. A single page then finds no room:
 * - PCI, 64-bit mask: the 32-bit attempt fails without flushing the caches, the device
 *   falls back for good and gets the top of the aperture;
 * - non-PCI, 32-bit mask: the only attempt flushes the caches and retries; freeing the
 *   2-page node moves cached32 to the anchor, so the retry takes 0xFFFFF;
 * - PCI with a 32-bit mask: the limit is not above DMA_BIT_MASK(32), so there is no separate
 *   32-bit attempt and no fallback, only the flushing one, as for non-PCI.
 */
static void test_dma_iommu_32bit_attempt_does_not_flush_rcache(void **state)
{
	const struct isim_resv_region resv[] = {{0, 0xFFFF8000, ISIM_RESV_RESERVED}};
	struct iommusim_device_config pci = {.name = "pci", .pci = true, .dma_mask = MASK64};
	struct iommusim_device_config plat = {.name = "plat"};
	struct iommusim_device_config pci32 = {.name = "pci32", .pci = true};
	struct mock_device_cfg md = {.resv = resv, .nresv = 1};
	const struct iommusim_device_config *dcfg[3] = {&pci, &plat, &pci32};
	const uint64_t expect[3] = {TOP48, 0xFFFFF000, 0xFFFFF000};

	(void)state;
	for (unsigned int k = 0; k < 3; k++) {
		uint64_t two;
		struct mock_fx fx;

		fx_up(&fx, NULL, dcfg[k], &md, NULL);
		two = map(&fx, 0, 0x100000, 2 * PAGE);
		assert_int_equal(two, 0xFFFFE000);
		for (unsigned int i = 0; i < 6; i++)
			assert_int_equal(map(&fx, 0, 0x200000 + i * PAGE, PAGE),
					 0xFFFFD000 - i * PAGE);
		unmap(&fx, 0, two, 2 * PAGE);
		assert_int_equal(rcache_fill(&fx, 1, 0), 1);
		assert_int_equal(map(&fx, 0, 0x300000, PAGE), expect[k]);
		assert_int_equal(stats(&fx).iova_32bit_fallbacks, k == 0 ? 1 : 0);
		assert_int_equal(iommusim_device_pci_32bit_workaround(fx.dev), k == 2);
		/* Only the full-mask attempt flushed: the 2-page range left the cache then. */
		assert_int_equal(rcache_fill(&fx, 1, 0), k == 0 ? 1 : 0);
		mock_fx_down(&fx);
	}
}

/* iommu_dma_alloc_iova(): forcedac, or a non-PCI device, never tries 32-bit first. */
static void test_dma_iommu_no_32bit_first_with_forcedac_or_non_pci(void **state)
{
	struct iommusim_device_config pci = {.name = "pci", .pci = true, .dma_mask = MASK64};
	struct iommusim_device_config plat = {.name = "plat", .dma_mask = MASK64};
	struct iommusim_dma_iommu_config cfg;
	struct mock_fx fx;

	(void)state;
	mock_fx_base(&fx, NULL);
	cfg = base_cfg(&fx);
	cfg.forcedac = true;
	fx.dev = mock_fx_device(&fx, &pci, NULL);
	assert_int_equal(iommusim_dma_iommu_setup(fx.dev, fx.dom, &cfg), 0);
	assert_false(iommusim_device_pci_32bit_workaround(fx.dev));
	assert_int_equal(map(&fx, 0, 0x1000, PAGE), TOP48);
	mock_fx_down(&fx);

	fx_up(&fx, NULL, &plat, NULL, NULL);
	assert_false(iommusim_device_pci_32bit_workaround(fx.dev));
	assert_int_equal(map(&fx, 0, 0x1000, PAGE), TOP48);
	assert_int_equal(stats(&fx).iova_32bit_fallbacks, 0);
	mock_fx_down(&fx);
}

/*
 * iommu_dma_alloc_iova(): the limit is min_not_zero(mask, bus_dma_limit), then min with
 * aperture_end. Top-down allocation puts a single page at (limit + 1) - 4 KiB.
 */
static void test_dma_iommu_bus_limit_and_aperture_end(void **state)
{
	struct iommusim_device_config bus16g = {.dma_mask = MASK64, .bus_dma_limit = 0x3FFFFFFFF};
	struct iommusim_device_config mask32_bus16g = {.bus_dma_limit = 0x3FFFFFFFF};
	struct mock_domain_cfg ap64g = {.aperture_end = 0xFFFFFFFFF};
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, &bus16g, NULL, NULL);
	assert_int_equal(map(&fx, 0, 0x1000, PAGE), 0x3FFFFF000);
	mock_fx_down(&fx);

	/* The smaller of the two wins: the default 32-bit mask. */
	fx_up(&fx, NULL, &mask32_bus16g, NULL, NULL);
	assert_int_equal(map(&fx, 0, 0x1000, PAGE), 0xFFFFF000);
	mock_fx_down(&fx);

	fx_up(&fx, &ap64g, &(struct iommusim_device_config){.dma_mask = MASK64}, NULL, NULL);
	assert_int_equal(map(&fx, 0, 0x1000, PAGE), 0xFFFFFF000);
	mock_fx_down(&fx);
}

SUITE_MAIN(cmocka_unit_test(test_dma_iommu_granule_and_base_pfn_from_domain),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_reserved_regions_become_reservations,
					   dma_alloc, dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_coherent_mask_with_low_4g_reserved,
					   dma_alloc, dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_pci_32bit_first_until_exhausted,
					   dma_alloc, dma_teardown),
	   cmocka_unit_test(test_dma_iommu_32bit_attempt_does_not_flush_rcache),
	   cmocka_unit_test(test_dma_iommu_no_32bit_first_with_forcedac_or_non_pci),
	   cmocka_unit_test(test_dma_iommu_bus_limit_and_aperture_end))
