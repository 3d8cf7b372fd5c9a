/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of dma-iommu's map_page and map_sg: the page offset, protection from the
 * direction, undo of failures, concatenated segments, the maximum segment size, offsets, the
 * segment boundary with and without padding, and the list restored on failure.
 */
#include "dma_iommu_fixture.h"

/*
 * __iommu_dma_map(): the IOVA keeps phys's offset in the granule and covers every granule the
 * buffer touches. 0x12345678 + 0x100 is one page: pfn 0xFFFFF, dma 0xFFFFF678. 0x12345678 + 0x1000
 * spans two: size 2 from the cached node 0xFFFFF gives (0xFFFFF - 2) & ~1 = 0xFFFFC. The unmap
 * aligns the same way and syncs exactly those two pages.
 */
static void test_dma_iommu_map_page_offset(void **state)
{
	uint64_t a, b;
	struct mock_fx *fx = *state;

	a = map(fx, 0, 0x12345678, 0x100);
	assert_int_equal(a, 0xFFFFF678);
	expect_translate(fx, 0xFFFFF000, 0x12345000);
	b = map(fx, 0, 0x12345678, 0x1000);
	assert_int_equal(b, 0xFFFFC678);
	expect_translate(fx, 0xFFFFC000, 0x12345000);
	expect_translate(fx, 0xFFFFD000, 0x12346000);
	assert_int_equal(mock_mapped_pages(fx->m), 3);
	/* The one iotlb_sync_map of each map covers its aligned range. */
	expect_call(fx, 0, MOCK_CALL_SYNC_MAP, 0xFFFFF000, PAGE);
	expect_call(fx, 1, MOCK_CALL_SYNC_MAP, 0xFFFFC000, 2 * PAGE);

	mock_log_clear(fx->m);
	unmap(fx, 0, b, 0x1000);
	assert_int_equal(mock_log_len(fx->m), 1);
	expect_call(fx, 0, MOCK_CALL_SYNC, 0xFFFFC000, 2 * PAGE);
	assert_int_equal(mock_mapped_pages(fx->m), 1);
	unmap(fx, 0, a, 0x100);
	assert_int_equal(mock_mapped_pages(fx->m), 0);
}

/* dma_info_to_prot(): TO_DEVICE reads, FROM_DEVICE writes, BIDIRECTIONAL both; NONE refused. */
static void test_dma_iommu_prot_from_direction(void **state)
{
	const struct {
		enum iommusim_dma_dir dir;
		int prot;
	} cases[] = {
		{IOMMUSIM_DMA_TO_DEVICE, IOMMUSIM_PROT_READ},
		{IOMMUSIM_DMA_FROM_DEVICE, IOMMUSIM_PROT_WRITE},
		{IOMMUSIM_DMA_BIDIRECTIONAL, IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE},
	};
	uint64_t dma = BAD_DMA;
	struct mock_fx *fx = *state;

	for (size_t i = 0; i < 3; i++) {
		int prot = -1;

		assert_int_equal(iommusim_dma_map_page(fx->dev, fx->cpu[0], 0x1000, PAGE,
						       cases[i].dir, &dma),
				 0);
		assert_true(mock_lookup(fx->m, dma, NULL, &prot));
		assert_int_equal(prot, cases[i].prot);
		iommusim_dma_unmap_page(fx->dev, fx->cpu[0], dma, PAGE, cases[i].dir);
	}
	assert_int_equal(
		iommusim_dma_map_page(fx->dev, fx->cpu[0], 0x1000, PAGE, IOMMUSIM_DMA_NONE, &dma),
		-EINVAL);
	assert_int_equal(
		iommusim_dma_map_page(fx->dev, fx->cpu[0], 0x1000, 0, IOMMUSIM_DMA_TO_DEVICE, &dma),
		-EINVAL);
	assert_int_equal(mock_mapped_pages(fx->m), 0);
}

/*
 * __iommu_dma_map() and __iommu_map(): map_pages maps one of four pages and fails; iommu_map
 * unmaps that page (with a sync) and dma-iommu frees the IOVA at once, even in lazy mode, never
 * through the queue. The range (pfn (0x100000 - 4) & ~3 = 0xFFFFC) sits in CPU 0's order-2 magazine
 * and the next map of the same size gets it back; after a cache flush the tree is empty.
 */
static void test_dma_iommu_map_pages_failure_leaves_nothing(void **state)
{
	struct iommusim_dma_stats st;
	uint64_t dma = BAD_DMA;
	struct mock_fx *fx = *state;

	fx_up_lazy(fx, NULL, 0);

	mock_fail_map_pages(fx->m, -EIO, 0, 1);
	assert_int_equal(iommusim_dma_map_page(fx->dev, fx->cpu[0], 0x100000, 4 * PAGE,
					       IOMMUSIM_DMA_TO_DEVICE, &dma),
			 -EIO);
	assert_int_equal(dma, BAD_DMA);
	assert_int_equal(mock_mapped_pages(fx->m), 0);
	/* The undo of the one mapped page synced it; no sync_map was reached. */
	assert_int_equal(mock_log_len(fx->m), 1);
	expect_call(fx, 0, MOCK_CALL_SYNC, 0xFFFFC000, PAGE);
	st = stats(fx);
	assert_int_equal(st.map_failures, 1);
	assert_int_equal(st.maps, 0);
	assert_int_equal(st.fq_entries, 0);
	assert_int_equal(rcache_fill(fx, 2, 0), 1);
	iommusim_iova_flush_rcaches(fx->iovad, fx->cpu[0]);
	assert_int_equal(iova_nodes(fx), 0);

	assert_int_equal(map(fx, 0, 0x100000, 4 * PAGE), 0xFFFFC000);
}

/*
 * iommu_map() (6.7): a failing iotlb_sync_map makes iommu_map unmap the whole range with a sync;
 * dma-iommu then returns the error with the IOVA freed.
 */
static void test_dma_iommu_sync_map_failure_leaves_nothing(void **state)
{
	uint64_t dma = BAD_DMA;
	struct mock_fx *fx = *state;

	mock_fail_sync_map(fx->m, -ENOMEM, 0);
	assert_int_equal(iommusim_dma_map_page(fx->dev, fx->cpu[0], 0x100000, 4 * PAGE,
					       IOMMUSIM_DMA_TO_DEVICE, &dma),
			 -ENOMEM);
	assert_int_equal(mock_mapped_pages(fx->m), 0);
	assert_int_equal(mock_log_len(fx->m), 2);
	expect_call(fx, 0, MOCK_CALL_SYNC_MAP, 0xFFFFC000, 4 * PAGE);
	assert_int_equal(mock_log_at(fx->m, 0).ret, -ENOMEM);
	expect_call(fx, 1, MOCK_CALL_SYNC, 0xFFFFC000, 4 * PAGE);
	assert_int_equal(rcache_fill(fx, 2, 0), 1);
	iommusim_iova_flush_rcaches(fx->iovad, fx->cpu[0]);
	assert_int_equal(iova_nodes(fx), 0);
	assert_int_equal(stats(fx).map_failures, 1);
}

static void expect_seg(const struct iommusim_sg *s, uint64_t addr, uint64_t len)
{
	assert_int_equal(s->dma_address, addr);
	assert_int_equal(s->dma_length, len);
}

/* Three scattered page-aligned 4 KiB elements mapped to the device with map_sg: 0 expected. */
static void map_three_pages(struct mock_fx *fx, struct iommusim_sg *sg, unsigned int *n)
{
	sg_set(&sg[0], 0x100000, PAGE);
	sg_set(&sg[1], 0x200000, PAGE);
	sg_set(&sg[2], 0x300000, PAGE);
	assert_int_equal(iommusim_dma_map_sg(fx->dev, fx->cpu[0], sg, 3, IOMMUSIM_DMA_TO_DEVICE, n),
			 0);
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
	struct mock_fx *fx = *state;

	map_three_pages(fx, sg, &n);
	assert_int_equal(n, 1);
	expect_seg(&sg[0], 0xFFFFC000, 3 * PAGE);
	expect_seg(&sg[1], BAD_DMA, 0);
	expect_seg(&sg[2], BAD_DMA, 0);
	/* The elements themselves are back as they were. */
	assert_int_equal(sg[1].phys, 0x200000);
	assert_int_equal(sg[1].length, PAGE);
	expect_translate(fx, 0xFFFFC000, 0x100000);
	expect_translate(fx, 0xFFFFD000, 0x200000);
	expect_translate(fx, 0xFFFFE000, 0x300000);
	assert_false(mock_lookup(fx->m, 0xFFFFF000, NULL, NULL));
	assert_int_equal(mock_log_len(fx->m), 1);
	expect_call(fx, 0, MOCK_CALL_SYNC_MAP, 0xFFFFC000, 3 * PAGE);
	assert_int_equal(stats(fx).mapped_bytes, 3 * PAGE);
}

/* __finalise_sg(): with max_seg_size 8 KiB the same list splits 8 KiB + 4 KiB. */
static void test_dma_iommu_map_sg_max_seg_size_splits(void **state)
{
	struct iommusim_device_config dcfg = {.max_seg_size = 2 * PAGE};
	struct iommusim_sg sg[3];
	unsigned int n = 0;
	struct mock_fx *fx = *state;

	fx_up(fx, NULL, &dcfg, NULL, NULL);
	map_three_pages(fx, sg, &n);
	assert_int_equal(n, 2);
	expect_seg(&sg[0], 0xFFFFC000, 2 * PAGE);
	expect_seg(&sg[1], 0xFFFFE000, PAGE);
	expect_seg(&sg[2], BAD_DMA, 0);
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
	struct mock_fx *fx = *state;

	sg_set(&sg[0], 0x100000, PAGE);
	sg_set(&sg[1], 0x200100, 100);
	sg_set(&sg[2], 0x300000, PAGE);
	assert_int_equal(
		iommusim_dma_map_sg(fx->dev, fx->cpu[0], sg, 3, IOMMUSIM_DMA_FROM_DEVICE, &n), 0);
	assert_int_equal(n, 3);
	expect_seg(&sg[0], 0xFFFFC000, PAGE);
	expect_seg(&sg[1], 0xFFFFD100, 100);
	expect_seg(&sg[2], 0xFFFFE000, PAGE);
	assert_int_equal(sg[1].phys, 0x200100);
	assert_int_equal(sg[1].length, 100);
	expect_translate(fx, 0xFFFFD000, 0x200000);
	assert_int_equal(stats(fx).mapped_bytes, 2 * PAGE + 100);

	/* unmap_sg: one unmap from 0xFFFFC000 to the end of the last segment, 0xFFFFF000. */
	mock_log_clear(fx->m);
	iommusim_dma_unmap_sg(fx->dev, fx->cpu[0], sg, 3, IOMMUSIM_DMA_FROM_DEVICE);
	assert_int_equal(mock_log_len(fx->m), 1);
	expect_call(fx, 0, MOCK_CALL_SYNC, 0xFFFFC000, 3 * PAGE);
	assert_int_equal(mock_mapped_pages(fx->m), 0);
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
	struct iommusim_device_config dcfg = {.seg_boundary_mask = 0x3FFF};
	struct iommusim_sg sg[2];
	unsigned int n = 0;
	struct mock_fx *fx = *state;

	fx_up(fx, NULL, &dcfg, NULL, NULL);
	sg_set(&sg[0], 0x100000, 2 * PAGE);
	sg_set(&sg[1], 0x200000, 3 * PAGE);
	assert_int_equal(
		iommusim_dma_map_sg(fx->dev, fx->cpu[1], sg, 2, IOMMUSIM_DMA_TO_DEVICE, &n), 0);
	assert_int_equal(n, 2);
	expect_seg(&sg[0], 0xFFFF8000, 2 * PAGE);
	expect_seg(&sg[1], 0xFFFFC000, 3 * PAGE);
	assert_int_equal(sg[0].length, 2 * PAGE);
	assert_int_equal(mock_mapped_pages(fx->m), 7);
	expect_translate(fx, 0xFFFFA000, 0x102000);
	expect_translate(fx, 0xFFFFC000, 0x200000);
	assert_false(mock_lookup(fx->m, 0xFFFFF000, NULL, NULL));
	expect_call(fx, 0, MOCK_CALL_SYNC_MAP, 0xFFFF8000, 7 * PAGE);

	mock_log_clear(fx->m);
	iommusim_dma_unmap_sg(fx->dev, fx->cpu[1], sg, 2, IOMMUSIM_DMA_TO_DEVICE);
	assert_int_equal(mock_log_len(fx->m), 1);
	expect_call(fx, 0, MOCK_CALL_SYNC, 0xFFFF8000, 7 * PAGE);
	assert_int_equal(mock_mapped_pages(fx->m), 0);
	assert_int_equal(rcache_fill(fx, 3, 1), 1);
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
	struct iommusim_device_config m16k = {.seg_boundary_mask = 0x3FFF};
	struct iommusim_device_config m8k = {.seg_boundary_mask = 0x1FFF};
	struct iommusim_sg sg[3];
	unsigned int n = 0;
	struct mock_fx fx;

	(void)state;
	fx_up(&fx, NULL, &m16k, NULL, NULL);
	sg_set(&sg[0], 0x100000, 2 * PAGE);
	sg_set(&sg[1], 0x200000, PAGE);
	assert_int_equal(iommusim_dma_map_sg(fx.dev, fx.cpu[0], sg, 2, IOMMUSIM_DMA_TO_DEVICE, &n),
			 0);
	assert_int_equal(n, 1);
	expect_seg(&sg[0], 0xFFFFC000, 3 * PAGE);
	assert_int_equal(mock_mapped_pages(fx.m), 3);
	mock_fx_down(&fx);

	fx_up(&fx, NULL, &m8k, NULL, NULL);
	sg_set(&sg[0], 0x100000, PAGE);
	sg_set(&sg[1], 0x200000, PAGE);
	sg_set(&sg[2], 0x300000, PAGE);
	assert_int_equal(iommusim_dma_map_sg(fx.dev, fx.cpu[0], sg, 3, IOMMUSIM_DMA_TO_DEVICE, &n),
			 0);
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
	struct mock_fx *fx = *state;

	sg_set(&sg[0], 0x100010, 100);
	sg_set(&sg[1], 0x200000, 2 * PAGE);
	mock_fail_map_pages(fx->m, -EIO, 1, 0);
	assert_int_equal(
		iommusim_dma_map_sg(fx->dev, fx->cpu[0], sg, 2, IOMMUSIM_DMA_TO_DEVICE, &n),
		-EINVAL);
	assert_int_equal(n, 77);
	assert_int_equal(sg[0].phys, 0x100010);
	assert_int_equal(sg[0].length, 100);
	expect_seg(&sg[0], BAD_DMA, 0);
	assert_int_equal(sg[1].phys, 0x200000);
	assert_int_equal(sg[1].length, 2 * PAGE);
	expect_seg(&sg[1], BAD_DMA, 0);
	assert_int_equal(mock_mapped_pages(fx->m), 0);
	/*
	 * 3 pages rounded to 4 at 0xFFFFC. The last sync is the undo of the first run (before
	 * it, the failing run's own empty undo); then the range is cached.
	 */
	expect_call(fx, mock_log_len(fx->m) - 1, MOCK_CALL_SYNC, 0xFFFFC000, PAGE);
	assert_int_equal(rcache_fill(fx, 2, 0), 1);

	mock_fail_sync_map(fx->m, -ENOMEM, 0);
	assert_int_equal(
		iommusim_dma_map_sg(fx->dev, fx->cpu[0], sg, 2, IOMMUSIM_DMA_TO_DEVICE, &n),
		-ENOMEM);
	assert_int_equal(sg[0].phys, 0x100010);
	assert_int_equal(mock_mapped_pages(fx->m), 0);
	assert_int_equal(stats(fx).map_failures, 2);
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_dma_iommu_map_page_offset, dma_setup, dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_prot_from_direction, dma_setup,
					   dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_map_pages_failure_leaves_nothing,
					   dma_alloc, dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_sync_map_failure_leaves_nothing,
					   dma_setup, dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_map_sg_concatenates, dma_setup,
					   dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_map_sg_max_seg_size_splits, dma_alloc,
					   dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_map_sg_offsets_break_concatenation,
					   dma_setup, dma_teardown),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_map_sg_segment_boundary_padding,
					   dma_alloc, dma_teardown),
	   cmocka_unit_test(test_dma_iommu_map_sg_boundary_without_padding),
	   cmocka_unit_test_setup_teardown(test_dma_iommu_map_sg_failure_restores_list, dma_setup,
					   dma_teardown))
