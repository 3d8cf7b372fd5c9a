/*
 * Unit tests of dma-iommu (lib/dma/dma_iommu.c) over the mock paging domain of mock_iommu.h:
 * granule and base PFN, reserved regions, DMA masks and the bus limit, 32-bit-first IOVAs for
 * PCI devices, map_page offsets and protections, failed maps, map_sg layout (concatenation,
 * max_seg_size, offsets, segment-boundary padding), unmap_sg, strict and lazy unmaps, the
 * deferred-flush fallback, the single queue of shadow_on_flush devices, shared cookies and
 * setup errors. Expected values are worked out by hand from Linux drivers/iommu/dma-iommu.c,
 * iova.c (top-down first fit, size rounding) and iommu.c, as docs/sources.md S15-S17
 * describe them; each test says how.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <iommusim/clock.h>
#include <iommusim/cpu.h>
#include <iommusim/device.h>
#include <iommusim/dma.h>
#include <iommusim/iommu.h>
#include <iommusim/iova.h>
#include <iommusim/mem.h>

#include "mock_fixture.h"
#include "test_rng.h"

#define NCPU 4
#define PAGE 0x1000ull
#define GiB (1ull << 30)
#define MASK64 IOMMUSIM_DMA_BIT_MASK(64)
/* The top page of the mock's default 48-bit aperture. */
#define TOP48 ((1ull << 48) - PAGE)
#define BAD_DMA (~0ull)

_Static_assert(NCPU == MOCK_FX_CPUS, "the tests use every CPU of the fixture");

/* The config most tests use: strict, 6.7, NCPU CPUs, a manual clock. */
static struct iommusim_dma_iommu_config base_cfg(struct mock_fx *fx)
{
	return (struct iommusim_dma_iommu_config){
		.mode = IOMMUSIM_DMA_STRICT,
		.possible_cpus = NCPU,
		.clock = fx->clock,
	};
}

/* A mock domain and one device set up with @cfg (NULL: base_cfg). */
static void fx_up(struct mock_fx *fx, const struct mock_domain_cfg *mcfg,
		  const struct iommusim_device_config *dcfg, const struct mock_device_cfg *mdcfg,
		  const struct iommusim_dma_iommu_config *cfg)
{
	struct iommusim_dma_iommu_config c;

	mock_fx_base(fx, mcfg);
	c = cfg ? *cfg : base_cfg(fx);
	fx->dev = mock_fx_device(fx, dcfg, mdcfg);
	mock_fx_setup(fx, &c);
}

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
	struct ranges r = { .n = 0 };

	iommusim_iova_for_each(fx->iovad, collect, &r);
	return r;
}

static uint64_t iova_nodes(struct mock_fx *fx)
{
	struct iommusim_iova_stats st;

	iommusim_iova_get_stats(fx->iovad, &st);
	return st.nodes;
}

/* PFNs parked in CPU @cpu's loaded + prev magazines of size class @order. */
static unsigned int rcache_fill(struct mock_fx *fx, unsigned int order, unsigned int cpu)
{
	unsigned int loaded, prev;

	assert_int_equal(iommusim_iova_rcache_fill(fx->iovad, order, cpu, &loaded, &prev), 0);
	return loaded + prev;
}

static uint64_t map(struct mock_fx *fx, unsigned int cpu, uint64_t phys, uint64_t size)
{
	uint64_t dma = BAD_DMA;

	assert_int_equal(iommusim_dma_map_page(fx->dev, fx->cpu[cpu], phys, size,
					       IOMMUSIM_DMA_BIDIRECTIONAL, &dma), 0);
	return dma;
}

static void unmap(struct mock_fx *fx, unsigned int cpu, uint64_t dma, uint64_t size)
{
	iommusim_dma_unmap_page(fx->dev, fx->cpu[cpu], dma, size, IOMMUSIM_DMA_BIDIRECTIONAL);
}

static struct iommusim_dma_stats stats(struct mock_fx *fx)
{
	struct iommusim_dma_stats st;

	iommusim_dma_get_stats(fx->dev, &st);
	return st;
}

static void expect_call(struct mock_fx *fx, size_t i, enum mock_call_kind kind, uint64_t iova,
			uint64_t size)
{
	struct mock_call c = mock_log_at(fx->m, i);

	assert_true(i < mock_log_len(fx->m));
	assert_int_equal(c.kind, kind);
	assert_int_equal(c.iova, iova);
	assert_int_equal(c.size, size);
}

static void expect_translate(struct mock_fx *fx, uint64_t iova, uint64_t phys)
{
	uint64_t p = 0;

	assert_true(mock_lookup(fx->m, iova, &p, NULL));
	assert_int_equal(p, phys);
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
		{ { .pgsize_bitmap = 0x40201000, .aperture_start = 0x10000000 },
		  IOMMUSIM_KERNEL_6_7, 4096, 0x10000 },
		/* aperture at 0: pfn 0 is never allocatable, base 1 */
		{ { .pgsize_bitmap = 0x1000 }, IOMMUSIM_KERNEL_6_7, 4096, 1 },
		/* 2K|4K: granule 2K, base 0x1000 >> 11 = 2 */
		{ { .pgsize_bitmap = 0x1800, .aperture_start = 0x1000 },
		  IOMMUSIM_KERNEL_6_7, 2048, 2 },
		/* no force_aperture: 6.7 still uses the aperture start, 6.6 does not */
		{ { .aperture_start = 0x10000000, .no_force_aperture = true },
		  IOMMUSIM_KERNEL_6_7, 4096, 0x10000 },
		{ { .aperture_start = 0x10000000, .no_force_aperture = true },
		  IOMMUSIM_KERNEL_6_6, 4096, 1 },
		{ { .aperture_start = 0x10000000 }, IOMMUSIM_KERNEL_6_6, 4096, 0x10000 },
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
		{ 0x8000000, 0x100000, ISIM_RESV_RESERVED },
		{ 0x20000000, 0x2000, ISIM_RESV_DIRECT },
		{ 0xFEE00000, 0x100000, ISIM_RESV_MSI },
		{ 0x8000000000, 0x100000, ISIM_RESV_SW_MSI },
	};
	struct mock_device_cfg md = { .resv = resv, .nresv = 4 };
	struct ranges r;
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, NULL, &md, NULL);
	r = iova_ranges(&fx);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.lo[0], 0x8000);
	assert_int_equal(r.hi[0], 0x80FF);
	assert_int_equal(r.lo[1], 0x20000);
	assert_int_equal(r.hi[1], 0x20001);
	assert_int_equal(r.lo[2], 0xFEE00);
	assert_int_equal(r.hi[2], 0xFEEFF);
	mock_fx_down(&fx);
}

/*
 * iommu_dma_alloc_iova() on s390's window: with [0, 4 GiB) reserved (s390's start_dma under QEMU)
 * and forcedac, a 32-bit coherent mask leaves no IOVA at all: -ENOMEM with nothing mapped and only
 * the reservation in the tree. A 64-bit coherent mask gets the top of the aperture: 2 pages below
 * 2^48.
 */
static void test_dma_iommu_coherent_mask_with_low_4g_reserved(void **state)
{
	const struct isim_resv_region resv[] = { { 0, 4 * GiB, ISIM_RESV_RESERVED } };
	struct iommusim_device_config dcfg = { .name = "zpci", .pci = true };
	struct mock_device_cfg md = { .resv = resv, .nresv = 1 };
	struct iommusim_dma_iommu_config cfg;
	struct iommusim_dma_stats st;
	uint64_t dma = BAD_DMA;
	int prot = 0;
	struct mock_fx fx;

	(void)state;
	mock_fx_base(&fx, NULL);
	cfg = base_cfg(&fx);
	cfg.forcedac = true;
	fx.dev = mock_fx_device(&fx, &dcfg, &md);
	assert_int_equal(iommusim_dma_iommu_setup(fx.dev, fx.dom, &cfg), 0);
	fx.iovad = iommusim_dma_iova_domain(fx.dev);
	assert_false(iommusim_device_pci_32bit_workaround(fx.dev));

	assert_int_equal(iommusim_dma_alloc_coherent(fx.dev, fx.cpu[0], 0x40000000, 2 * PAGE,
						     &dma), -ENOMEM);
	assert_int_equal(mock_mapped_pages(fx.m), 0);
	assert_int_equal(iova_nodes(&fx), 1);
	st = stats(&fx);
	assert_int_equal(st.map_failures, 1);
	assert_int_equal(st.maps, 0);

	assert_int_equal(iommusim_device_set_coherent_mask(fx.dev, MASK64), 0);
	assert_int_equal(iommusim_dma_alloc_coherent(fx.dev, fx.cpu[0], 0x40000000, 2 * PAGE,
						     &dma), 0);
	assert_int_equal(dma, (1ull << 48) - 2 * PAGE);
	assert_int_equal(mock_mapped_pages(fx.m), 2);
	/* Coherent buffers are bidirectional. */
	assert_true(mock_lookup(fx.m, dma + PAGE, NULL, &prot));
	assert_int_equal(prot, IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE);
	expect_translate(&fx, dma + PAGE, 0x40001000);

	iommusim_dma_free_coherent(fx.dev, fx.cpu[0], 2 * PAGE, dma);
	assert_int_equal(mock_mapped_pages(fx.m), 0);
	st = stats(&fx);
	assert_int_equal(st.maps, 1);
	assert_int_equal(st.unmaps, 1);
	assert_int_equal(st.mapped_bytes, 2 * PAGE);
	mock_fx_down(&fx);
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
	const struct isim_resv_region resv[] = { { 0, 0xFFFF8000, ISIM_RESV_RESERVED } };
	struct iommusim_device_config dcfg = { .name = "nvme", .pci = true, .dma_mask = MASK64 };
	struct mock_device_cfg md = { .resv = resv, .nresv = 1 };
	uint64_t dma[10];
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, &dcfg, &md, NULL);
	assert_true(iommusim_device_pci_32bit_workaround(fx.dev));
	for (unsigned int i = 0; i < 8; i++) {
		dma[i] = map(&fx, 0, 0x100000 + i * PAGE, PAGE);
		assert_int_equal(dma[i], 0xFFFFF000 - i * PAGE);
		assert_true(iommusim_device_pci_32bit_workaround(fx.dev));
	}
	assert_int_equal(stats(&fx).iova_32bit_fallbacks, 0);

	dma[8] = map(&fx, 0, 0x200000, PAGE);
	assert_int_equal(dma[8], TOP48);
	assert_false(iommusim_device_pci_32bit_workaround(fx.dev));
	assert_int_equal(stats(&fx).iova_32bit_fallbacks, 1);

	/* Free a 32-bit page all the way back to the tree. */
	unmap(&fx, 0, dma[2], PAGE);
	iommusim_iova_flush_rcaches(fx.iovad, fx.cpu[0]);
	dma[9] = map(&fx, 0, 0x300000, PAGE);
	assert_int_equal(dma[9], TOP48 - PAGE);
	assert_int_equal(stats(&fx).iova_32bit_fallbacks, 1);
	assert_false(iommusim_device_pci_32bit_workaround(fx.dev));
	mock_fx_down(&fx);
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
	const struct isim_resv_region resv[] = { { 0, 0xFFFF8000, ISIM_RESV_RESERVED } };
	struct iommusim_device_config pci = { .name = "pci", .pci = true, .dma_mask = MASK64 };
	struct iommusim_device_config plat = { .name = "plat" };
	struct iommusim_device_config pci32 = { .name = "pci32", .pci = true };
	struct mock_device_cfg md = { .resv = resv, .nresv = 1 };
	const struct iommusim_device_config *dcfg[3] = { &pci, &plat, &pci32 };
	const uint64_t expect[3] = { TOP48, 0xFFFFF000, 0xFFFFF000 };

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
	struct iommusim_device_config pci = { .name = "pci", .pci = true, .dma_mask = MASK64 };
	struct iommusim_device_config plat = { .name = "plat", .dma_mask = MASK64 };
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
	struct iommusim_device_config bus16g = { .dma_mask = MASK64,
						 .bus_dma_limit = 0x3FFFFFFFF };
	struct iommusim_device_config mask32_bus16g = { .bus_dma_limit = 0x3FFFFFFFF };
	struct mock_domain_cfg ap64g = { .aperture_end = 0xFFFFFFFFF };
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, &bus16g, NULL, NULL);
	assert_int_equal(map(&fx, 0, 0x1000, PAGE), 0x3FFFFF000);
	mock_fx_down(&fx);

	/* The smaller of the two wins: the default 32-bit mask. */
	fx_up(&fx, NULL, &mask32_bus16g, NULL, NULL);
	assert_int_equal(map(&fx, 0, 0x1000, PAGE), 0xFFFFF000);
	mock_fx_down(&fx);

	fx_up(&fx, &ap64g, &(struct iommusim_device_config){ .dma_mask = MASK64 }, NULL, NULL);
	assert_int_equal(map(&fx, 0, 0x1000, PAGE), 0xFFFFFF000);
	mock_fx_down(&fx);
}

/*
 * __iommu_dma_map(): the IOVA keeps phys's offset in the granule and covers every granule the
 * buffer touches. 0x12345678 + 0x100 is one page: pfn 0xFFFFF, dma 0xFFFFF678. 0x12345678 + 0x1000
 * spans two: size 2 from the cached node 0xFFFFF gives (0xFFFFF - 2) & ~1 = 0xFFFFC. The unmap
 * aligns the same way and syncs exactly those two pages.
 */
static void test_dma_iommu_map_page_offset(void **state)
{
	uint64_t a, b;
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, NULL, NULL, NULL);
	a = map(&fx, 0, 0x12345678, 0x100);
	assert_int_equal(a, 0xFFFFF678);
	expect_translate(&fx, 0xFFFFF000, 0x12345000);
	b = map(&fx, 0, 0x12345678, 0x1000);
	assert_int_equal(b, 0xFFFFC678);
	expect_translate(&fx, 0xFFFFC000, 0x12345000);
	expect_translate(&fx, 0xFFFFD000, 0x12346000);
	assert_int_equal(mock_mapped_pages(fx.m), 3);
	/* The one iotlb_sync_map of each map covers its aligned range. */
	expect_call(&fx, 0, MOCK_CALL_SYNC_MAP, 0xFFFFF000, PAGE);
	expect_call(&fx, 1, MOCK_CALL_SYNC_MAP, 0xFFFFC000, 2 * PAGE);

	mock_log_clear(fx.m);
	unmap(&fx, 0, b, 0x1000);
	assert_int_equal(mock_log_len(fx.m), 1);
	expect_call(&fx, 0, MOCK_CALL_SYNC, 0xFFFFC000, 2 * PAGE);
	assert_int_equal(mock_mapped_pages(fx.m), 1);
	unmap(&fx, 0, a, 0x100);
	assert_int_equal(mock_mapped_pages(fx.m), 0);
	mock_fx_down(&fx);
}

/* dma_info_to_prot(): TO_DEVICE reads, FROM_DEVICE writes, BIDIRECTIONAL both; NONE refused. */
static void test_dma_iommu_prot_from_direction(void **state)
{
	const struct {
		enum iommusim_dma_dir dir;
		int prot;
	} cases[] = {
		{ IOMMUSIM_DMA_TO_DEVICE, IOMMUSIM_PROT_READ },
		{ IOMMUSIM_DMA_FROM_DEVICE, IOMMUSIM_PROT_WRITE },
		{ IOMMUSIM_DMA_BIDIRECTIONAL, IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE },
	};
	uint64_t dma = BAD_DMA;
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, NULL, NULL, NULL);
	for (size_t i = 0; i < 3; i++) {
		int prot = -1;

		assert_int_equal(iommusim_dma_map_page(fx.dev, fx.cpu[0], 0x1000, PAGE,
						       cases[i].dir, &dma), 0);
		assert_true(mock_lookup(fx.m, dma, NULL, &prot));
		assert_int_equal(prot, cases[i].prot);
		iommusim_dma_unmap_page(fx.dev, fx.cpu[0], dma, PAGE, cases[i].dir);
	}
	assert_int_equal(iommusim_dma_map_page(fx.dev, fx.cpu[0], 0x1000, PAGE, IOMMUSIM_DMA_NONE,
					       &dma), -EINVAL);
	assert_int_equal(iommusim_dma_map_page(fx.dev, fx.cpu[0], 0x1000, 0,
					       IOMMUSIM_DMA_TO_DEVICE, &dma), -EINVAL);
	assert_int_equal(mock_mapped_pages(fx.m), 0);
	mock_fx_down(&fx);
}

/*
 * __iommu_dma_map() and __iommu_map(): map_pages maps one of four pages and fails; iommu_map
 * unmaps that page (with a sync) and dma-iommu frees the IOVA at once, even in lazy mode, never
 * through the queue. The range (pfn (0x100000 - 4) & ~3 = 0xFFFFC) sits in CPU 0's order-2 magazine
 * and the next map of the same size gets it back; after a cache flush the tree is empty.
 */
static void test_dma_iommu_map_pages_failure_leaves_nothing(void **state)
{
	struct iommusim_dma_iommu_config cfg;
	struct iommusim_dma_stats st;
	uint64_t dma = BAD_DMA;
	struct mock_fx fx;

	(void)state;
	mock_fx_base(&fx, NULL);
	fx.dev = mock_fx_device(&fx, NULL, NULL);
	cfg = base_cfg(&fx);
	cfg.mode = IOMMUSIM_DMA_LAZY;
	assert_int_equal(iommusim_dma_iommu_setup(fx.dev, fx.dom, &cfg), 0);
	fx.iovad = iommusim_dma_iova_domain(fx.dev);

	mock_fail_map_pages(fx.m, -EIO, 0, 1);
	assert_int_equal(iommusim_dma_map_page(fx.dev, fx.cpu[0], 0x100000, 4 * PAGE,
					       IOMMUSIM_DMA_TO_DEVICE, &dma), -EIO);
	assert_int_equal(dma, BAD_DMA);
	assert_int_equal(mock_mapped_pages(fx.m), 0);
	/* The undo of the one mapped page synced it; no sync_map was reached. */
	assert_int_equal(mock_log_len(fx.m), 1);
	expect_call(&fx, 0, MOCK_CALL_SYNC, 0xFFFFC000, PAGE);
	st = stats(&fx);
	assert_int_equal(st.map_failures, 1);
	assert_int_equal(st.maps, 0);
	assert_int_equal(st.fq_entries, 0);
	assert_int_equal(rcache_fill(&fx, 2, 0), 1);
	iommusim_iova_flush_rcaches(fx.iovad, fx.cpu[0]);
	assert_int_equal(iova_nodes(&fx), 0);

	assert_int_equal(map(&fx, 0, 0x100000, 4 * PAGE), 0xFFFFC000);
	mock_fx_down(&fx);
}

/*
 * iommu_map() (6.7): a failing iotlb_sync_map makes iommu_map unmap the whole range with a sync;
 * dma-iommu then returns the error with the IOVA freed.
 */
static void test_dma_iommu_sync_map_failure_leaves_nothing(void **state)
{
	uint64_t dma = BAD_DMA;
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, NULL, NULL, NULL);
	mock_fail_sync_map(fx.m, -ENOMEM, 0);
	assert_int_equal(iommusim_dma_map_page(fx.dev, fx.cpu[0], 0x100000, 4 * PAGE,
					       IOMMUSIM_DMA_TO_DEVICE, &dma), -ENOMEM);
	assert_int_equal(mock_mapped_pages(fx.m), 0);
	assert_int_equal(mock_log_len(fx.m), 2);
	expect_call(&fx, 0, MOCK_CALL_SYNC_MAP, 0xFFFFC000, 4 * PAGE);
	assert_int_equal(mock_log_at(fx.m, 0).ret, -ENOMEM);
	expect_call(&fx, 1, MOCK_CALL_SYNC, 0xFFFFC000, 4 * PAGE);
	assert_int_equal(rcache_fill(&fx, 2, 0), 1);
	iommusim_iova_flush_rcaches(fx.iovad, fx.cpu[0]);
	assert_int_equal(iova_nodes(&fx), 0);
	assert_int_equal(stats(&fx).map_failures, 1);
	mock_fx_down(&fx);
}

static void sg_set(struct iommusim_sg *sg, uint64_t phys, uint64_t len)
{
	*sg = (struct iommusim_sg){ .phys = phys, .length = len, .dma_address = 0x5a5a,
				    .dma_length = 0x5a5a };
}

static void expect_seg(const struct iommusim_sg *s, uint64_t addr, uint64_t len)
{
	assert_int_equal(s->dma_address, addr);
	assert_int_equal(s->dma_length, len);
}

/*
 * iommu_dma_map_sg(): three page-aligned, physically scattered 4 KiB elements take one IOVA range
 * of 3 pages (rounded to 4, so pfn 0xFFFFC) and, each starting on a granule away from a segment
 * boundary and within 64 KiB, merge into one 12 KiB segment. One iotlb_sync_map covers 3 pages. The
 * unused elements get DMA_MAPPING_ERROR / 0.
 */
static void test_dma_iommu_map_sg_concatenates(void **state)
{
	struct iommusim_sg sg[3];
	unsigned int n = 0;
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, NULL, NULL, NULL);
	sg_set(&sg[0], 0x100000, PAGE);
	sg_set(&sg[1], 0x200000, PAGE);
	sg_set(&sg[2], 0x300000, PAGE);
	assert_int_equal(iommusim_dma_map_sg(fx.dev, fx.cpu[0], sg, 3, IOMMUSIM_DMA_TO_DEVICE,
					     &n), 0);
	assert_int_equal(n, 1);
	expect_seg(&sg[0], 0xFFFFC000, 3 * PAGE);
	expect_seg(&sg[1], BAD_DMA, 0);
	expect_seg(&sg[2], BAD_DMA, 0);
	/* The elements themselves are back as they were. */
	assert_int_equal(sg[1].phys, 0x200000);
	assert_int_equal(sg[1].length, PAGE);
	expect_translate(&fx, 0xFFFFC000, 0x100000);
	expect_translate(&fx, 0xFFFFD000, 0x200000);
	expect_translate(&fx, 0xFFFFE000, 0x300000);
	assert_false(mock_lookup(fx.m, 0xFFFFF000, NULL, NULL));
	assert_int_equal(mock_log_len(fx.m), 1);
	expect_call(&fx, 0, MOCK_CALL_SYNC_MAP, 0xFFFFC000, 3 * PAGE);
	assert_int_equal(stats(&fx).mapped_bytes, 3 * PAGE);
	mock_fx_down(&fx);
}

/* __finalise_sg(): with max_seg_size 8 KiB the same list splits 8 KiB + 4 KiB. */
static void test_dma_iommu_map_sg_max_seg_size_splits(void **state)
{
	struct iommusim_device_config dcfg = { .max_seg_size = 2 * PAGE };
	struct iommusim_sg sg[3];
	unsigned int n = 0;
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, &dcfg, NULL, NULL);
	sg_set(&sg[0], 0x100000, PAGE);
	sg_set(&sg[1], 0x200000, PAGE);
	sg_set(&sg[2], 0x300000, PAGE);
	assert_int_equal(iommusim_dma_map_sg(fx.dev, fx.cpu[0], sg, 3, IOMMUSIM_DMA_TO_DEVICE,
					     &n), 0);
	assert_int_equal(n, 2);
	expect_seg(&sg[0], 0xFFFFC000, 2 * PAGE);
	expect_seg(&sg[1], 0xFFFFE000, PAGE);
	expect_seg(&sg[2], BAD_DMA, 0);
	mock_fx_down(&fx);
}

/*
 * __finalise_sg(): an element with an offset in its granule starts a new segment (at the IOVA of
 * its granule plus the offset), and as it does not fill its granule (0x100 + 100 < 4096) the next
 * element cannot merge onto it either: three segments.
 */
static void test_dma_iommu_map_sg_offsets_break_concatenation(void **state)
{
	struct iommusim_sg sg[3];
	unsigned int n = 0;
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, NULL, NULL, NULL);
	sg_set(&sg[0], 0x100000, PAGE);
	sg_set(&sg[1], 0x200100, 100);
	sg_set(&sg[2], 0x300000, PAGE);
	assert_int_equal(iommusim_dma_map_sg(fx.dev, fx.cpu[0], sg, 3, IOMMUSIM_DMA_FROM_DEVICE,
					     &n), 0);
	assert_int_equal(n, 3);
	expect_seg(&sg[0], 0xFFFFC000, PAGE);
	expect_seg(&sg[1], 0xFFFFD100, 100);
	expect_seg(&sg[2], 0xFFFFE000, PAGE);
	assert_int_equal(sg[1].phys, 0x200100);
	assert_int_equal(sg[1].length, 100);
	expect_translate(&fx, 0xFFFFD000, 0x200000);
	assert_int_equal(stats(&fx).mapped_bytes, 2 * PAGE + 100);

	/* unmap_sg: one unmap from 0xFFFFC000 to the end of the last segment, 0xFFFFF000. */
	mock_log_clear(fx.m);
	iommusim_dma_unmap_sg(fx.dev, fx.cpu[0], sg, 3, IOMMUSIM_DMA_FROM_DEVICE);
	assert_int_equal(mock_log_len(fx.m), 1);
	expect_call(&fx, 0, MOCK_CALL_SYNC, 0xFFFFC000, 3 * PAGE);
	assert_int_equal(mock_mapped_pages(fx.m), 0);
	mock_fx_down(&fx);
}

/*
 * iommu_dma_map_sg()'s padding with seg_boundary_mask 0x3FFF (16 KiB): elements of 8 and 12 KiB.
 * For the second, pad_len = (0x3FFF - 0x2000 + 1) & 0x3FFF = 0x2000 < 0x3000 - 1, so the first
 * grows to 16 KiB and the second starts on the boundary: iova_len 28 KiB = 7 pages, rounded to 8,
 * pfn (0x100000 - 8) & ~7 = 0xFFFF8. Output: [0xFFFF8000, 8K] and [0xFFFFC000, 12K]; the pad pages
 * map the memory after the first buffer, 7 pages in all. unmap_sg unmaps 0x7000 bytes from
 * 0xFFFF8000 in one sync and gives the range to the order-3 magazine.
 */
static void test_dma_iommu_map_sg_segment_boundary_padding(void **state)
{
	struct iommusim_device_config dcfg = { .seg_boundary_mask = 0x3FFF };
	struct iommusim_sg sg[2];
	unsigned int n = 0;
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, &dcfg, NULL, NULL);
	sg_set(&sg[0], 0x100000, 2 * PAGE);
	sg_set(&sg[1], 0x200000, 3 * PAGE);
	assert_int_equal(iommusim_dma_map_sg(fx.dev, fx.cpu[1], sg, 2, IOMMUSIM_DMA_TO_DEVICE,
					     &n), 0);
	assert_int_equal(n, 2);
	expect_seg(&sg[0], 0xFFFF8000, 2 * PAGE);
	expect_seg(&sg[1], 0xFFFFC000, 3 * PAGE);
	assert_int_equal(sg[0].length, 2 * PAGE);
	assert_int_equal(mock_mapped_pages(fx.m), 7);
	expect_translate(&fx, 0xFFFFA000, 0x102000);
	expect_translate(&fx, 0xFFFFC000, 0x200000);
	assert_false(mock_lookup(fx.m, 0xFFFFF000, NULL, NULL));
	expect_call(&fx, 0, MOCK_CALL_SYNC_MAP, 0xFFFF8000, 7 * PAGE);

	mock_log_clear(fx.m);
	iommusim_dma_unmap_sg(fx.dev, fx.cpu[1], sg, 2, IOMMUSIM_DMA_TO_DEVICE);
	assert_int_equal(mock_log_len(fx.m), 1);
	expect_call(&fx, 0, MOCK_CALL_SYNC, 0xFFFF8000, 7 * PAGE);
	assert_int_equal(mock_mapped_pages(fx.m), 0);
	assert_int_equal(rcache_fill(&fx, 3, 1), 1);
	mock_fx_down(&fx);
}

/*
 * iommu_dma_map_sg(): padding only when it helps, and no merge across a boundary.
 * (a) mask 0x3FFF, 8K + 4K: pad_len 0x2000 is not < 0x1000 - 1, so no pad; 3 pages -> pfn
 *     0xFFFFC; the 4K element starts at 0xFFFFE000 (& 0x3FFF = 0x2000, not a boundary) and
 *     merges: one 12K segment.
 * (b) mask 0x1FFF, 3 x 4K: no pads; the third element's IOVA 0xFFFFE000 is on an 8K boundary,
 *     so it starts a segment: [0xFFFFC000, 8K], [0xFFFFE000, 4K].
 */
static void test_dma_iommu_map_sg_boundary_without_padding(void **state)
{
	struct iommusim_device_config m16k = { .seg_boundary_mask = 0x3FFF };
	struct iommusim_device_config m8k = { .seg_boundary_mask = 0x1FFF };
	struct iommusim_sg sg[3];
	unsigned int n = 0;
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, &m16k, NULL, NULL);
	sg_set(&sg[0], 0x100000, 2 * PAGE);
	sg_set(&sg[1], 0x200000, PAGE);
	assert_int_equal(iommusim_dma_map_sg(fx.dev, fx.cpu[0], sg, 2, IOMMUSIM_DMA_TO_DEVICE,
					     &n), 0);
	assert_int_equal(n, 1);
	expect_seg(&sg[0], 0xFFFFC000, 3 * PAGE);
	assert_int_equal(mock_mapped_pages(fx.m), 3);
	mock_fx_down(&fx);

	fx_up(&fx, NULL, &m8k, NULL, NULL);
	sg_set(&sg[0], 0x100000, PAGE);
	sg_set(&sg[1], 0x200000, PAGE);
	sg_set(&sg[2], 0x300000, PAGE);
	assert_int_equal(iommusim_dma_map_sg(fx.dev, fx.cpu[0], sg, 3, IOMMUSIM_DMA_TO_DEVICE,
					     &n), 0);
	assert_int_equal(n, 2);
	expect_seg(&sg[0], 0xFFFFC000, 2 * PAGE);
	expect_seg(&sg[1], 0xFFFFE000, PAGE);
	expect_seg(&sg[2], BAD_DMA, 0);
	mock_fx_down(&fx);
}

/*
 * iommu_dma_map_sg(): a failed map_sg frees the IOVA at once, restores every element (offsets and
 * lengths) with DMA_MAPPING_ERROR / 0 in the DMA fields, and reports -EINVAL for a driver
 * error other than -ENOMEM / -EREMOTEIO; -ENOMEM passes through. Elements 0 (offset 0x10)
 * and 1 (8 KiB) are not contiguous, so iommu_map_sg maps two runs: the second map_pages
 * call fails and the first run is undone with a sync.
 */
static void test_dma_iommu_map_sg_failure_restores_list(void **state)
{
	struct iommusim_sg sg[2];
	unsigned int n = 77;
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, NULL, NULL, NULL);
	sg_set(&sg[0], 0x100010, 100);
	sg_set(&sg[1], 0x200000, 2 * PAGE);
	mock_fail_map_pages(fx.m, -EIO, 1, 0);
	assert_int_equal(iommusim_dma_map_sg(fx.dev, fx.cpu[0], sg, 2, IOMMUSIM_DMA_TO_DEVICE,
					     &n), -EINVAL);
	assert_int_equal(n, 77);
	assert_int_equal(sg[0].phys, 0x100010);
	assert_int_equal(sg[0].length, 100);
	expect_seg(&sg[0], BAD_DMA, 0);
	assert_int_equal(sg[1].phys, 0x200000);
	assert_int_equal(sg[1].length, 2 * PAGE);
	expect_seg(&sg[1], BAD_DMA, 0);
	assert_int_equal(mock_mapped_pages(fx.m), 0);
	/*
	 * 3 pages rounded to 4 at 0xFFFFC. The last sync is the undo of the first run (before
	 * it, the failing run's own empty undo); then the range is cached.
	 */
	expect_call(&fx, mock_log_len(fx.m) - 1, MOCK_CALL_SYNC, 0xFFFFC000, PAGE);
	assert_int_equal(rcache_fill(&fx, 2, 0), 1);

	mock_fail_sync_map(fx.m, -ENOMEM, 0);
	assert_int_equal(iommusim_dma_map_sg(fx.dev, fx.cpu[0], sg, 2, IOMMUSIM_DMA_TO_DEVICE,
					     &n), -ENOMEM);
	assert_int_equal(sg[0].phys, 0x100010);
	assert_int_equal(mock_mapped_pages(fx.m), 0);
	assert_int_equal(stats(&fx).map_failures, 2);
	mock_fx_down(&fx);
}

/*
 * __iommu_dma_unmap(), strict: the unmap syncs the IOTLB once over exactly the unmapped range, then
 * the IOVA goes to this CPU's rcache, so the next map of that size on the CPU gets it back.
 */
static void test_dma_iommu_strict_unmap_syncs_and_caches(void **state)
{
	uint64_t a, b;
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, NULL, NULL, NULL);
	a = map(&fx, 1, 0x1000, 2 * PAGE);
	assert_int_equal(a, 0xFFFFE000);
	mock_log_clear(fx.m);
	unmap(&fx, 1, a, 2 * PAGE);
	assert_int_equal(mock_log_len(fx.m), 1);
	expect_call(&fx, 0, MOCK_CALL_SYNC, 0xFFFFE000, 2 * PAGE);
	assert_int_equal(mock_log_count(fx.m, MOCK_CALL_FLUSH_ALL), 0);
	assert_int_equal(rcache_fill(&fx, 1, 1), 1);
	assert_int_equal(stats(&fx).fq_entries, 0);
	b = map(&fx, 1, 0x9000, 2 * PAGE);
	assert_int_equal(b, a);

	/* An address that no longer translates is left alone (the kernel's WARN_ON(!phys)). */
	unmap(&fx, 1, b, 2 * PAGE);
	mock_log_clear(fx.m);
	unmap(&fx, 1, b, 2 * PAGE);
	assert_int_equal(mock_log_len(fx.m), 0);
	assert_int_equal(rcache_fill(&fx, 1, 1), 1);
	assert_int_equal(stats(&fx).unmaps, 2);
	mock_fx_down(&fx);
}

/*
 * __iommu_dma_unmap(), lazy: no sync at unmap; the IOVA waits in the queue, so the next map gets a
 * fresh IOVA (0xFFFFD000 below the busy 0xFFFFE000..0xFFFFF000) until a flush reclaims it.
 */
static void test_dma_iommu_lazy_unmap_queues(void **state)
{
	struct iommusim_dma_iommu_config cfg;
	uint64_t a, b;
	struct mock_fx fx;

	(void)state;
	mock_fx_base(&fx, NULL);
	cfg = base_cfg(&fx);
	cfg.mode = IOMMUSIM_DMA_LAZY;
	fx.dev = mock_fx_device(&fx, NULL, NULL);
	assert_int_equal(iommusim_dma_iommu_setup(fx.dev, fx.dom, &cfg), 0);
	fx.iovad = iommusim_dma_iova_domain(fx.dev);

	a = map(&fx, 0, 0x1000, PAGE);
	(void)map(&fx, 0, 0x2000, PAGE);
	mock_log_clear(fx.m);
	unmap(&fx, 0, a, PAGE);
	assert_int_equal(mock_log_len(fx.m), 0);
	assert_int_equal(mock_mapped_pages(fx.m), 1);
	assert_int_equal(stats(&fx).fq_entries, 1);
	assert_int_equal(rcache_fill(&fx, 0, 0), 0);
	b = map(&fx, 0, 0x3000, PAGE);
	assert_int_equal(b, 0xFFFFD000);

	iommusim_dma_iommu_flush_queue(fx.dev, fx.cpu[0]);
	assert_int_equal(mock_log_count(fx.m, MOCK_CALL_FLUSH_ALL), 1);
	assert_int_equal(rcache_fill(&fx, 0, 0), 1);
	assert_int_equal(map(&fx, 0, 0x4000, PAGE), a);
	assert_int_equal(stats(&fx).fq_flushes, 1);
	mock_fx_down(&fx);
}

/*
 * iommu_dma_init_domain(): a device without IOMMU_CAP_DEFERRED_FLUSH (an s390 ISM device) gets a
 * strict domain even when lazy was asked: unmaps sync, nothing is queued, no timer is armed.
 */
static void test_dma_iommu_no_deferred_flush_is_strict(void **state)
{
	struct mock_device_cfg ism = { .no_deferred_flush = true };
	struct iommusim_dma_iommu_config cfg;
	uint64_t a;
	struct mock_fx fx;

	(void)state;
	mock_fx_base(&fx, NULL);
	cfg = base_cfg(&fx);
	cfg.mode = IOMMUSIM_DMA_LAZY;
	fx.dev = mock_fx_device(&fx, NULL, &ism);
	assert_int_equal(iommusim_dma_iommu_setup(fx.dev, fx.dom, &cfg), 0);
	fx.iovad = iommusim_dma_iova_domain(fx.dev);
	a = map(&fx, 0, 0x1000, PAGE);
	mock_log_clear(fx.m);
	unmap(&fx, 0, a, PAGE);
	assert_int_equal(mock_log_len(fx.m), 1);
	expect_call(&fx, 0, MOCK_CALL_SYNC, a, PAGE);
	assert_int_equal(stats(&fx).fq_entries, 0);
	assert_int_equal(iommusim_clock_pending(fx.clock), 0);
	assert_int_equal(rcache_fill(&fx, 0, 0), 1);
	mock_fx_down(&fx);
}

/*
 * iommu_dma_init_options(): shadow_on_flush picks the single queue with a 1000 ms
 * timeout. With the size overridden to 4 (capacity 3), unmaps from CPUs 0, 1 and 2 fill it
 * and the fourth, from CPU 3, flushes; per-CPU queues would not have. The timer armed by the
 * first entry expires at 1000 ms.
 */
static void test_dma_iommu_shadow_on_flush_selects_single_queue(void **state)
{
	struct mock_device_cfg shadow = { .shadow_on_flush = true };
	struct iommusim_dma_iommu_config cfg;
	uint64_t dma[4];
	struct mock_fx fx;

	(void)state;
	mock_fx_base(&fx, NULL);
	cfg = base_cfg(&fx);
	cfg.mode = IOMMUSIM_DMA_LAZY;
	cfg.fq_size = 4;
	fx.dev = mock_fx_device(&fx, NULL, &shadow);
	assert_int_equal(iommusim_dma_iommu_setup(fx.dev, fx.dom, &cfg), 0);
	fx.iovad = iommusim_dma_iova_domain(fx.dev);
	for (unsigned int i = 0; i < 4; i++)
		dma[i] = map(&fx, i, 0x1000 * (i + 1), PAGE);
	for (unsigned int i = 0; i < 3; i++)
		unmap(&fx, i, dma[i], PAGE);
	assert_int_equal(mock_log_count(fx.m, MOCK_CALL_FLUSH_ALL), 0);
	unmap(&fx, 3, dma[3], PAGE);
	assert_int_equal(mock_log_count(fx.m, MOCK_CALL_FLUSH_ALL), 1);
	assert_int_equal(stats(&fx).fq_full_flushes, 1);

	assert_int_equal(iommusim_manual_clock_tick(fx.clock), 1);
	assert_int_equal(iommusim_clock_now_ns(fx.clock), 1000000000ull);
	assert_int_equal(stats(&fx).fq_timer_flushes, 1);
	mock_fx_down(&fx);
}

/*
 * iommu_dma_init_domain(): a second device on the domain shares the cookie; the domain is not
 * re-initialised, so the second device's reserved regions are not added. A device with DMA
 * ops already, or attached to another domain, is refused with -EBUSY.
 */
static void test_dma_iommu_second_device_shares_cookie(void **state)
{
	const struct isim_resv_region resv2[] = { { 0x40000000, 0x1000, ISIM_RESV_RESERVED } };
	struct mock_device_cfg md2 = { .resv = resv2, .nresv = 1 };
	struct iommusim_dma_iommu_config cfg;
	struct iommusim_device *dev2, *dev3;
	struct mock_domain *other = NULL;
	uint64_t a, b;
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, NULL, NULL, NULL);
	cfg = base_cfg(&fx);
	dev2 = mock_fx_device(&fx, NULL, &md2);
	assert_int_equal(iommusim_dma_iommu_setup(dev2, fx.dom, &cfg), 0);
	assert_ptr_equal(iommusim_dma_iova_domain(dev2), fx.iovad);
	assert_int_equal(iommusim_domain_devices(fx.dom), 2);
	assert_int_equal(iova_nodes(&fx), 0);
	/* One IOVA space: the two devices' pages do not collide. */
	a = map(&fx, 0, 0x1000, PAGE);
	assert_int_equal(iommusim_dma_map_page(dev2, fx.cpu[0], 0x2000, PAGE,
					       IOMMUSIM_DMA_TO_DEVICE, &b), 0);
	assert_int_equal(a, 0xFFFFF000);
	assert_int_equal(b, 0xFFFFE000);
	assert_int_equal(iommusim_dma_iommu_setup(dev2, fx.dom, &cfg), -EBUSY);

	assert_int_equal(mock_domain_create(fx.mem, NULL, &other), 0);
	dev3 = mock_fx_device(&fx, NULL, NULL);
	assert_int_equal(iommusim_iommu_attach_device(mock_dom(other), dev3), 0);
	assert_int_equal(iommusim_dma_iommu_setup(dev3, fx.dom, &cfg), -EBUSY);
	assert_null(iommusim_dma_iova_domain(dev3));

	iommusim_dma_unmap_page(dev2, fx.cpu[0], b, PAGE, IOMMUSIM_DMA_TO_DEVICE);
	iommusim_device_destroy(dev2);
	iommusim_device_destroy(dev3);
	iommusim_domain_destroy(mock_dom(other));
	mock_fx_down(&fx);
}

/* Bad configurations are refused before anything happens; a refusing driver's -ENODEV too. */
static void test_dma_iommu_setup_errors(void **state)
{
	struct mock_domain_cfg refuse = { .refuse_attach = true };
	struct iommusim_dma_iommu_config cfg;
	struct mock_domain *m2 = NULL;
	struct mock_fx fx;

	(void)state;
	mock_fx_base(&fx, NULL);
	fx.dev = mock_fx_device(&fx, NULL, NULL);
	cfg = base_cfg(&fx);
	cfg.possible_cpus = 0;
	assert_int_equal(iommusim_dma_iommu_setup(fx.dev, fx.dom, &cfg), -EINVAL);
	cfg = base_cfg(&fx);
	cfg.mode = IOMMUSIM_DMA_LAZY;
	cfg.clock = NULL;
	assert_int_equal(iommusim_dma_iommu_setup(fx.dev, fx.dom, &cfg), -EINVAL);
	cfg = base_cfg(&fx);
	cfg.fq_type = (enum iommusim_fq_type)7;
	assert_int_equal(iommusim_dma_iommu_setup(fx.dev, fx.dom, &cfg), -EINVAL);
	assert_int_equal(iommusim_domain_devices(fx.dom), 0);
	assert_null(fx.dom->dma_cookie);
	assert_null(iommusim_dma_iova_domain(fx.dev));
	assert_int_equal(iommusim_dma_map_page(fx.dev, fx.cpu[0], 0, PAGE,
					       IOMMUSIM_DMA_TO_DEVICE, &(uint64_t){ 0 }), -ENODEV);

	assert_int_equal(mock_domain_create(fx.mem, &refuse, &m2), 0);
	cfg = base_cfg(&fx);
	assert_int_equal(iommusim_dma_iommu_setup(fx.dev, mock_dom(m2), &cfg), -ENODEV);
	assert_null(mock_dom(m2)->dma_cookie);
	iommusim_domain_destroy(mock_dom(m2));

	/* Strict needs no clock. */
	cfg.clock = NULL;
	assert_int_equal(iommusim_dma_iommu_setup(fx.dev, fx.dom, &cfg), 0);
	mock_fx_down(&fx);
}

/* Teardown with mappings and a shared cookie: the device goes, the domain frees the rest. */
static void test_dma_iommu_teardown_leaks_nothing(void **state)
{
	struct iommusim_dma_iommu_config cfg;
	struct mock_fx fx;

	(void)state;
	mock_fx_base(&fx, NULL);
	cfg = base_cfg(&fx);
	cfg.mode = IOMMUSIM_DMA_LAZY;
	fx.dev = mock_fx_device(&fx, NULL, NULL);
	assert_int_equal(iommusim_dma_iommu_setup(fx.dev, fx.dom, &cfg), 0);
	fx.iovad = iommusim_dma_iova_domain(fx.dev);
	for (unsigned int i = 0; i < 300; i++)
		(void)map(&fx, i % NCPU, 0x1000 * i, PAGE * (1 + i % 5));
	iommusim_device_destroy(fx.dev);
	fx.dev = NULL;
	/* The cookie outlives the device: it dies with the domain. */
	assert_non_null(fx.dom->dma_cookie);
	mock_fx_down(&fx);
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
	struct mock_fx fx;

	(void)state;
	memset(model, 0, sizeof(model));
	mock_fx_base(&fx, NULL);
	for (unsigned int step = 0; step < 20000; step++) {
		uint64_t r = iommusim_rng_u64(&rng), pg = r % NPG, iova = 0x40000000 + pg * PAGE;

		if (model[pg]) {
			assert_int_equal(iommusim_iommu_unmap(fx.dom, fx.cpu[0], iova, PAGE), PAGE);
			model[pg] = 0;
			mapped--;
		} else {
			uint64_t phys = (r >> 20) & ~(PAGE - 1);

			assert_int_equal(iommusim_iommu_map(fx.dom, fx.cpu[0], iova, phys, PAGE,
							    IOMMUSIM_PROT_READ), 0);
			model[pg] = phys + 1;
			mapped++;
		}
	}
	assert_int_equal(mock_mapped_pages(fx.m), mapped);
	for (uint64_t pg = 0; pg < NPG; pg++) {
		uint64_t phys = 0;
		bool hit = mock_lookup(fx.m, 0x40000000 + pg * PAGE + 0x10, &phys, NULL);

		assert_int_equal(hit, model[pg] != 0);
		if (hit)
			assert_int_equal(phys, model[pg] - 1 + 0x10);
		if (hit) {
			uint64_t iova = 0x40000000 + pg * PAGE;

			assert_int_equal(iommusim_iommu_map(fx.dom, fx.cpu[0], iova, 0, PAGE,
							    IOMMUSIM_PROT_READ),
					 -EEXIST);
		}
	}
	mock_fx_down(&fx);
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
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, NULL, NULL, NULL);
	cpu = fx.cpu[1];
	assert_int_equal(iommusim_dma_map_page(fx.dev, cpu, 0x100000, 4 * PAGE,
					       IOMMUSIM_DMA_TO_DEVICE, &dma),
			 0);
	expect_call_units(cpu, 1, 0);
	iommusim_dma_unmap_page(fx.dev, cpu, dma, 4 * PAGE, IOMMUSIM_DMA_TO_DEVICE);
	expect_call_units(cpu, 1, 1);

	sg_set(&sg[0], 0x200000, PAGE);
	sg_set(&sg[1], 0x400000, PAGE);
	assert_int_equal(iommusim_dma_map_sg(fx.dev, cpu, sg, 2, IOMMUSIM_DMA_FROM_DEVICE, &n), 0);
	expect_call_units(cpu, 2, 1);
	iommusim_dma_unmap_sg(fx.dev, cpu, sg, 2, IOMMUSIM_DMA_FROM_DEVICE);
	expect_call_units(cpu, 2, 2);

	assert_int_equal(iommusim_dma_alloc_coherent(fx.dev, cpu, 0x600000, 2 * PAGE, &dma), 0);
	expect_call_units(cpu, 3, 2);
	iommusim_dma_free_coherent(fx.dev, cpu, 2 * PAGE, dma);
	expect_call_units(cpu, 3, 3);

	mock_fail_map_pages(fx.m, -EIO, 0, 1);
	assert_int_equal(
		iommusim_dma_map_page(fx.dev, cpu, 0x100000, PAGE, IOMMUSIM_DMA_TO_DEVICE, &dma),
		-EIO);
	expect_call_units(cpu, 4, 3);

	assert_int_equal(iommusim_dma_map_sg(fx.dev, cpu, sg, 0, IOMMUSIM_DMA_TO_DEVICE, &n),
			 -EINVAL);
	iommusim_dma_unmap_sg(fx.dev, cpu, sg, 0, IOMMUSIM_DMA_TO_DEVICE);
	assert_int_equal(iommusim_dma_alloc_coherent(fx.dev, cpu, 0x600000, 0, &dma), -EINVAL);
	bare = mock_fx_device(&fx, NULL, NULL);
	assert_int_equal(
		iommusim_dma_map_page(bare, cpu, 0x100000, PAGE, IOMMUSIM_DMA_TO_DEVICE, &dma),
		-ENODEV);
	iommusim_dma_unmap_page(bare, cpu, 0, PAGE, IOMMUSIM_DMA_TO_DEVICE);
	iommusim_dma_free_coherent(bare, cpu, PAGE, 0);
	expect_call_units(cpu, 4, 3);
	/* Only the calling CPU is charged. */
	expect_call_units(fx.cpu[0], 0, 0);
	iommusim_device_destroy(bare);
	mock_fx_down(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dma_iommu_granule_and_base_pfn_from_domain),
		cmocka_unit_test(test_dma_iommu_reserved_regions_become_reservations),
		cmocka_unit_test(test_dma_iommu_coherent_mask_with_low_4g_reserved),
		cmocka_unit_test(test_dma_iommu_pci_32bit_first_until_exhausted),
		cmocka_unit_test(test_dma_iommu_32bit_attempt_does_not_flush_rcache),
		cmocka_unit_test(test_dma_iommu_no_32bit_first_with_forcedac_or_non_pci),
		cmocka_unit_test(test_dma_iommu_bus_limit_and_aperture_end),
		cmocka_unit_test(test_dma_iommu_map_page_offset),
		cmocka_unit_test(test_dma_iommu_prot_from_direction),
		cmocka_unit_test(test_dma_iommu_map_pages_failure_leaves_nothing),
		cmocka_unit_test(test_dma_iommu_sync_map_failure_leaves_nothing),
		cmocka_unit_test(test_dma_iommu_map_sg_concatenates),
		cmocka_unit_test(test_dma_iommu_map_sg_max_seg_size_splits),
		cmocka_unit_test(test_dma_iommu_map_sg_offsets_break_concatenation),
		cmocka_unit_test(test_dma_iommu_map_sg_segment_boundary_padding),
		cmocka_unit_test(test_dma_iommu_map_sg_boundary_without_padding),
		cmocka_unit_test(test_dma_iommu_map_sg_failure_restores_list),
		cmocka_unit_test(test_dma_iommu_strict_unmap_syncs_and_caches),
		cmocka_unit_test(test_dma_iommu_lazy_unmap_queues),
		cmocka_unit_test(test_dma_iommu_no_deferred_flush_is_strict),
		cmocka_unit_test(test_dma_iommu_shadow_on_flush_selects_single_queue),
		cmocka_unit_test(test_dma_iommu_second_device_shares_cookie),
		cmocka_unit_test(test_dma_iommu_setup_errors),
		cmocka_unit_test(test_dma_iommu_teardown_leaks_nothing),
		cmocka_unit_test(test_dma_iommu_mock_page_table_matches_model),
		cmocka_unit_test(test_dma_iommu_api_reports_one_unit_per_call),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
