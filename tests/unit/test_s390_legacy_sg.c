/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the legacy s390 DMA ops' scatterlists: coalesced runs, the maximum segment size
 * and the undo of a failure.
 */
#include "s390_legacy_fixture.h"

/*
 * map_sg coalescing (tlb_refresh, so each run shows as one RPCIT):
 *   e0 0x10000100 +0xf00 | e1 0x20000000 +0x1000 | e2 0x30000000 +0x800  -> run 0 (0x2800 bytes
 *     from page start, 3 pages): e1, e2 start on a page and the running size is page aligned
 *   e3 0x40000000 +0x1000 -> run 1: the running size 0x2800 is not page aligned
 *   e4 0x50000200 +0x100  -> run 2: e4 has an offset
 * Output: (start + 0x100, 0x2700), (start + 3 pages, 0x1000), (start + 4 pages + 0x200, 0x100).
 */
static void test_s390_legacy_map_sg_coalesces_runs(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true};
	struct iommusim_sg sg[5] = {
		{.phys = 0x10000100, .length = 0xf00}, {.phys = 0x20000000, .length = 0x1000},
		{.phys = 0x30000000, .length = 0x800}, {.phys = 0x40000000, .length = 0x1000},
		{.phys = 0x50000200, .length = 0x100},
	};
	unsigned int n = 0;
	struct fix *f = *state;

	fix_init(f, &o);
	assert_int_equal(iommusim_dma_map_sg(f->dev, f->cpu, sg, 5, IOMMUSIM_DMA_FROM_DEVICE, &n),
			 0);
	assert_int_equal(n, 3);
	assert_int_equal(sg[0].dma_address, START + 0x100);
	assert_int_equal(sg[0].dma_length, 0x2700);
	assert_int_equal(sg[1].dma_address, START + 3 * PG);
	assert_int_equal(sg[1].dma_length, 0x1000);
	assert_int_equal(sg[2].dma_address, START + 4 * PG + 0x200);
	assert_int_equal(sg[2].dma_length, 0x100);
	assert_int_equal(sg[3].dma_length, 0);
	assert_int_equal(sg[4].dma_length, 0);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 3);
	expect_call(f, 0, START, 3 * PG, 0);
	expect_call(f, 1, START + 3 * PG, PG, 0);
	expect_call(f, 2, START + 4 * PG, PG, 0);
	expect_mapped(f, START + 0x100, 0x10000100, RW);
	expect_mapped(f, START + PG, 0x20000000, RW);
	expect_mapped(f, START + 2 * PG + 0x7ff, 0x300007ff, RW);
	expect_mapped(f, START + 3 * PG, 0x40000000, RW);
	expect_mapped(f, START + 4 * PG + 0x200, 0x50000200, RW);
	assert_int_equal(ctrs(f).mapped_pages, 5);
	assert_int_equal(ctrs(f).map_rpcits, 3);
	assert_int_equal(stats(f).mapped_bytes, 0xf00 + 0x1000 + 0x800 + 0x1000 + 0x100);

	iommusim_dma_unmap_sg(f->dev, f->cpu, sg, 5, IOMMUSIM_DMA_FROM_DEVICE);
	for (unsigned int i = 0; i < 5; i++) {
		expect_unmapped(f, START + i * PG);
		assert_int_equal(sg[i].dma_length, 0);
	}
	assert_int_equal(ctrs(f).unmapped_pages, 5);
	assert_int_equal(stats(f).maps, 1);
	assert_int_equal(stats(f).unmaps, 1);
}

/* A run ends where adding the next element would pass max_seg_size (8 KiB: pairs of pages). */
static void test_s390_legacy_map_sg_max_seg_size(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true, .max_seg_size = 2 * PG};
	struct iommusim_sg sg[4];
	unsigned int n = 0;
	struct fix *f = *state;

	for (unsigned int i = 0; i < 4; i++)
		sg[i] = (struct iommusim_sg){.phys = 0x100000 * (i + 1), .length = PG};
	fix_init(f, &o);
	assert_int_equal(iommusim_dma_map_sg(f->dev, f->cpu, sg, 4, IOMMUSIM_DMA_TO_DEVICE, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(sg[0].dma_address, START);
	assert_int_equal(sg[0].dma_length, 2 * PG);
	assert_int_equal(sg[1].dma_address, START + 2 * PG);
	assert_int_equal(sg[1].dma_length, 2 * PG);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 2);
	/* TO_DEVICE: the device may only read. */
	expect_mapped(f, START + 3 * PG, 0x400000, IOMMUSIM_PROT_READ);
	iommusim_dma_unmap_sg(f->dev, f->cpu, sg, 4, IOMMUSIM_DMA_TO_DEVICE);
}

/*
 * A failing run undoes the whole map_sg. Lazy LPAR, 64 pages, 60 taken: run 0 (2 pages) gets
 * 60..61; run 1 (offset 0x800 + 2 pages = 3 pages) finds only 62, wraps (one global RPCIT,
 * nothing lazily freed) and fails; run 0 is unmapped again.
 */
static void test_s390_legacy_map_sg_failure_unmaps(void **state)
{
	struct iommusim_sg sg[2] = {{.phys = 0x10000, .length = 2 * PG},
				    {.phys = 0x20800, .length = 2 * PG}};
	unsigned int n = 0;
	struct fix *f = *state;

	map_at(f, 60, 0);
	assert_int_equal(iommusim_dma_map_sg(f->dev, f->cpu, sg, 2, IOMMUSIM_DMA_BIDIRECTIONAL, &n),
			 -ENOMEM);
	expect_unmapped(f, START + 60 * PG);
	expect_unmapped(f, START + 61 * PG);
	EXPECT_CTRS(f, LC(mapped_pages, 62), LC(unmapped_pages, 2), LC(global_rpcits, 1));
	assert_int_equal(stats(f).map_failures, 1);
	assert_int_equal(stats(f).maps, 1);
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_s390_legacy_map_sg_coalesces_runs, legacy_alloc,
					   legacy_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_legacy_map_sg_max_seg_size, legacy_alloc,
					   legacy_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_legacy_map_sg_failure_unmaps, legacy_setup,
					   legacy_teardown))
