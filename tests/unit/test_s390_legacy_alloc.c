/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the legacy s390 DMA ops' address allocation and flushing: next fit from the
 * start, the last page never used, the global RPCIT at a lazy wrap, strict RPCITs per unmap, one
 * per map when the TLB must be refreshed and none on LPAR, segment boundaries, protection, the
 * counters and the errors of ENOMEM.
 */
#include "s390_legacy_fixture.h"

/*
 * Next fit from next_bit: IOVAs start at start_dma and grow in request order; a page offset is
 * kept in the returned address and counts towards the pages (iommu_num_pages). Lazy on LPAR:
 * no RPCIT at all. Work: one lock, the PTE writes, and bitmap words.
 */
static void test_s390_legacy_next_fit_from_start(void **state)
{
	uint64_t iova, lock0, pte0, bw0;
	struct fix *f = *state;

	for (unsigned int i = 0; i < 5; i++)
		map_at(f, 1, i);
	/* 0x800 + 0x2000 bytes touch 3 pages: offsets 5..7, the address keeps 0x800. */
	lock0 = iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_LOCK);
	pte0 = iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_PTE_WRITE);
	bw0 = iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_BITMAP_WORD);
	assert_int_equal(map(f, 0x12345800ull, 0x2000, &iova), 0);
	assert_int_equal(iova, START + 5 * PG + 0x800);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_LOCK) - lock0, 1);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_PTE_WRITE) - pte0, 3);
	assert_true(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_BITMAP_WORD) > bw0);
	expect_mapped(f, iova, 0x12345800ull, RW);
	expect_mapped(f, START + 7 * PG + 0x10, 0x12347010ull, RW);
	map_at(f, 1, 8);
	/* Unmap (lazy): 3 PTEs invalidated, one lock, one word of the lazy bitmap set. */
	lock0 = iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_LOCK);
	pte0 = iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_PTE_WRITE);
	bw0 = iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_BITMAP_WORD);
	unmap(f, iova, 0x2000);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_LOCK) - lock0, 1);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_PTE_WRITE) - pte0, 3);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_BITMAP_WORD) - bw0, 1);
	for (unsigned int i = 5; i < 8; i++)
		expect_unmapped(f, START + i * PG);
	/* Lazily freed pages are not reused before a wrap: next fit goes on at 9. */
	map_at(f, 1, 9);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 0);
	assert_int_equal(ctrs(f).mapped_pages, 5 + 3 + 1 + 1);
	assert_int_equal(ctrs(f).unmapped_pages, 3);
}

/*
 * iommu_area_alloc() never hands out the last bit: a 64-page window serves 63 pages. A
 * 63-page map fits on a fresh window, a 64-page one never does; single pages stop at offset 62.
 */
static void test_s390_legacy_last_page_never_used(void **state)
{
	struct opts o = {.pages = 64, .strict = true};
	uint64_t iova;
	struct fix f;

	(void)state;
	fix_init(&f, &o);
	assert_int_equal(map(&f, 0, 64 * PG, &iova), -ENOMEM);
	map_at(&f, 63, 0);
	fix_fini(&f);

	fix_init(&f, &o);
	for (unsigned int i = 0; i < 63; i++)
		map_at(&f, 1, i);
	/* Strict: the wrap finds nothing free and costs no RPCIT. */
	assert_int_equal(map(&f, 0, PG, &iova), -ENOMEM);
	expect_unmapped(&f, START + 63 * PG);
	assert_int_equal(ctrs(&f).wraps, 1);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 0);
	assert_int_equal(stats(&f).map_failures, 1);
	assert_int_equal(stats(&f).maps, 63);
	for (unsigned int i = 0; i < 63; i++)
		unmap(&f, START + i * PG, PG);
	fix_fini(&f);
}

/*
 * Lazy, LPAR, 64 pages (63 usable), map + unmap one page 200 times. Map k gets offset k % 63:
 * the lazily freed pages come back only after a wrap, which happens at maps 63, 126 and 189,
 * each with exactly one global RPCIT over the whole bitmap (start_dma, 64 pages) and nothing
 * else in the log.
 */
static void test_s390_legacy_lazy_wrap_global_rpcit_count(void **state)
{
	struct fix *f = *state;
	size_t g, r;

	for (unsigned int k = 0; k < 200; k++) {
		uint64_t iova = map_at(f, 1, k % 63);

		/* the log grows by one exactly at each wrap */
		assert_int_equal(iommusim_firmware_script_log_len(f->fw), k / 63);
		unmap(f, iova, PG);
	}
	count_rpcits(f, &g, &r);
	assert_int_equal(g, 3);
	assert_int_equal(r, 0);
	for (size_t i = 0; i < 3; i++)
		expect_call(f, i, START, 64 * PG, 0);
	EXPECT_CTRS(f, LC(wraps, 3), LC(global_rpcits, 3), LC(map_rpcits, 0), LC(unmap_rpcits, 0),
		    LC(mapped_pages, 200), LC(unmapped_pages, 200));
}

/*
 * Every lazy wrap flushes globally, even with an empty lazy bitmap, successful or not.
 * 64 pages: A = 0..9, B = 10..19, Y = 20..59, T = 60..62; unmap A and Y.
 *   C (8)  wraps (#1, lazy bits merged) -> 0..7, next_bit 8
 *   D (20) from 8: 8..9 too short, Y's old 20..39 -> 20..39
 *   E (20) -> 40..59, next_bit 60
 *   F (2)  from 60: T -> wrap #2 with nothing lazily freed -> 8..9
 *   G (1)  from 10: all taken -> wrap #3, nothing freed -> fails
 */
static void test_s390_legacy_lazy_wrap_without_lazy_frees_still_flushes(void **state)
{
	uint64_t a, y, iova;
	struct fix *f = *state;
	size_t g, r;

	a = map_at(f, 10, 0);
	map_at(f, 10, 10);
	y = map_at(f, 40, 20);
	map_at(f, 3, 60);
	unmap(f, a, 10 * PG);
	unmap(f, y, 40 * PG);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 0);

	map_at(f, 8, 0);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 1);
	map_at(f, 20, 20);
	map_at(f, 20, 40);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 1);
	map_at(f, 2, 8);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 2);
	assert_int_equal(map(f, 0x1000, PG, &iova), -ENOMEM);
	count_rpcits(f, &g, &r);
	assert_int_equal(g, 3);
	assert_int_equal(r, 0);
	assert_int_equal(ctrs(f).wraps, 3);
	assert_int_equal(ctrs(f).global_rpcits, 3);
	assert_int_equal(stats(f).map_failures, 1);
}

/*
 * Strict, LPAR: every unmap is one ranged RPCIT over its pages, no global RPCIT ever, and the
 * freed pages are free at once: after filling the window, the wrap hands out the unmapped
 * pages 0..1 without any flush.
 */
static void test_s390_legacy_strict_rpcit_per_unmap(void **state)
{
	struct opts o = {.pages = 64, .strict = true};
	uint64_t a, b;
	struct fix *f = *state;
	size_t g, r;

	fix_init(f, &o);
	a = map_at(f, 2, 0);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 0);
	unmap(f, a, 2 * PG);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 1);
	expect_call(f, 0, a, 2 * PG, 0);
	expect_unmapped(f, a);
	for (unsigned int i = 2; i < 63; i++)
		map_at(f, 1, i);
	b = map_at(f, 2, 0);
	unmap(f, b + 0x123, 2 * PG - 0x123);
	expect_call(f, 1, b, 2 * PG, 0);
	count_rpcits(f, &g, &r);
	assert_int_equal(g, 0);
	assert_int_equal(r, 2);
	EXPECT_CTRS(f, LC(unmap_rpcits, 2), LC(global_rpcits, 0), LC(wraps, 1),
		    LC(unmapped_pages, 4));
}

/*
 * tlb_refresh (shadowing hypervisor), lazy: one ranged RPCIT per map over the page-aligned
 * range of the mapping (offset-inclusive page count), none on unmap.
 */
static void test_s390_legacy_tlb_refresh_rpcit_per_map(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true};
	uint64_t iova[3];
	struct fix *f = *state;

	fix_init(f, &o);
	assert_int_equal(map(f, 0x5000, PG, &iova[0]), 0);
	assert_int_equal(map(f, 0x6ff0, 0x20, &iova[1]), 0);
	assert_int_equal(map(f, 0x9800, 3 * PG, &iova[2]), 0);
	assert_int_equal(iova[0], START);
	assert_int_equal(iova[1], START + PG + 0xff0);
	assert_int_equal(iova[2], START + 3 * PG + 0x800);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 3);
	expect_call(f, 0, START, PG, 0);
	expect_call(f, 1, START + PG, 2 * PG, 0);
	expect_call(f, 2, START + 3 * PG, 4 * PG, 0);
	for (unsigned int i = 0; i < 3; i++)
		unmap(f, iova[i], i == 0 ? PG : i == 1 ? 0x20 : 3 * PG);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 3);
	EXPECT_CTRS(f, LC(map_rpcits, 3), LC(unmap_rpcits, 0), LC(mapped_pages, 7),
		    LC(unmapped_pages, 7));
}

/* LPAR (tlb_refresh false), lazy: map_page, map_sg and alloc issue no RPCIT at all. */
static void test_s390_legacy_lpar_no_map_rpcit(void **state)
{
	struct iommusim_sg sg[2] = {{.phys = 0x10000, .length = PG},
				    {.phys = 0x20000, .length = PG}};
	uint64_t a, b;
	unsigned int n;
	struct fix *f = *state;

	assert_int_equal(map(f, 0x3000, 100, &a), 0);
	assert_int_equal(iommusim_dma_map_sg(f->dev, f->cpu, sg, 2, IOMMUSIM_DMA_TO_DEVICE, &n), 0);
	assert_int_equal(iommusim_dma_alloc_coherent(f->dev, f->cpu, 0x40000, 3 * PG, &b), 0);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 0);
	assert_int_equal(ctrs(f).map_rpcits, 0);
	iommusim_dma_free_coherent(f->dev, f->cpu, 3 * PG, b);
	iommusim_dma_unmap_sg(f->dev, f->cpu, sg, 2, IOMMUSIM_DMA_TO_DEVICE);
	unmap(f, a, 100);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 0);
}

/*
 * Lazy, tlb_refresh: the map RPCIT answers cc 1 / status 16 (insufficient resources). The
 * driver issues one global RPCIT instead (not the ranged one again), merges the lazy bitmap and
 * the map succeeds. Setup: fill 0..62, unmap 0 and 1, map X -> wrap #1 -> 0, next_bit 1; unmap
 * page 40 (lazy). Y -> 1, its RPCIT fails, global RPCIT, merge frees 40. Z (next fit from 2)
 * then gets 40 with no wrap: without the merge it would have to wrap.
 */
static void test_s390_legacy_enomem_map_rpcit_purges_lazy(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true};
	uint64_t pages[63], y;
	size_t base;
	struct fix *f = *state;

	fix_init(f, &o);
	for (unsigned int i = 0; i < 63; i++)
		pages[i] = map_at(f, 1, i);
	unmap(f, pages[0], PG);
	unmap(f, pages[1], PG);
	map_at(f, 1, 0);
	assert_int_equal(ctrs(f).wraps, 1);
	unmap(f, pages[40], PG);

	base = iommusim_firmware_script_log_len(f->fw);
	assert_int_equal(iommusim_firmware_script_push(f->fw, IOMMUSIM_FW_CC_ERROR, 16), 0);
	y = map_at(f, 1, 1);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), base + 2);
	expect_call(f, base, y, PG, IOMMUSIM_FW_CC_ERROR);
	expect_call(f, base + 1, START, 64 * PG, 0);
	expect_mapped(f, y, 0x80000000ull + PG, RW);
	assert_int_equal(ctrs(f).enomem_purges, 1);
	assert_int_equal(ctrs(f).global_rpcits, 2);

	map_at(f, 1, 40);
	assert_int_equal(ctrs(f).wraps, 1);
	assert_int_equal(ctrs(f).global_rpcits, 2);
	/* 63 + X + Y + Z maps, each with its ranged RPCIT */
	assert_int_equal(ctrs(f).map_rpcits, 66);
	assert_int_equal(stats(f).map_failures, 0);
}

/*
 * As above, but the global RPCIT fails too (cc 3): the map fails with -EIO, the range is
 * invalid again and its address was freed (lazily): after filling 1..62 the wrap hands out
 * offset 0 again.
 */
static void test_s390_legacy_enomem_global_fails_map_fails(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true};
	uint64_t iova = 0;
	struct fix *f = *state;

	fix_init(f, &o);
	assert_int_equal(iommusim_firmware_script_push(f->fw, IOMMUSIM_FW_CC_ERROR, 16), 0);
	assert_int_equal(iommusim_firmware_script_push(f->fw, IOMMUSIM_FW_CC_NOT_OPERATIONAL, 0),
			 0);
	assert_int_equal(map(f, 0x7000, PG, &iova), -EIO);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 2);
	expect_call(f, 0, START, PG, IOMMUSIM_FW_CC_ERROR);
	expect_call(f, 1, START, 64 * PG, IOMMUSIM_FW_CC_NOT_OPERATIONAL);
	expect_unmapped(f, START);
	EXPECT_CTRS(f, LC(mapped_pages, 0), LC(enomem_purges, 1), LC(global_rpcits, 1));
	assert_int_equal(stats(f).map_failures, 1);

	for (unsigned int i = 1; i < 63; i++)
		map_at(f, 1, i);
	map_at(f, 1, 0);
	assert_int_equal(ctrs(f).wraps, 1);
}

/* Strict, tlb_refresh: cc 1 / 16 on the map RPCIT fails the map; no global RPCIT. */
static void test_s390_legacy_strict_enomem_map_fails(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true, .strict = true};
	uint64_t iova = 0;
	struct fix *f = *state;
	size_t g, r;

	fix_init(f, &o);
	assert_int_equal(iommusim_firmware_script_push(f->fw, IOMMUSIM_FW_CC_ERROR, 16), 0);
	assert_int_equal(map(f, 0x7000, 2 * PG, &iova), -ENOMEM);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 1);
	expect_call(f, 0, START, 2 * PG, IOMMUSIM_FW_CC_ERROR);
	expect_unmapped(f, START);
	expect_unmapped(f, START + PG);
	assert_int_equal(ctrs(f).enomem_purges, 0);
	/* Strict frees at once: after 2..62 the wrap hands out 0 with no flush. */
	for (unsigned int i = 2; i < 63; i++)
		map_at(f, 1, i);
	map_at(f, 2, 0);
	count_rpcits(f, &g, &r);
	assert_int_equal(g, 0);
	assert_int_equal(ctrs(f).global_rpcits, 0);
}

/*
 * Strict: an unmap whose RPCIT fails returns without freeing the address (the IOTLB may
 * still hold it): not counted as unmapped, and never handed out again.
 */
static void test_s390_legacy_strict_unmap_error_keeps_address(void **state)
{
	struct opts o = {.pages = 64, .strict = true};
	uint64_t a, iova;
	struct fix *f = *state;

	fix_init(f, &o);
	a = map_at(f, 1, 0);
	assert_int_equal(iommusim_firmware_script_push(f->fw, IOMMUSIM_FW_CC_ERROR, 16), 0);
	unmap(f, a, PG);
	expect_unmapped(f, a);
	assert_int_equal(ctrs(f).unmapped_pages, 0);
	assert_int_equal(ctrs(f).unmap_errors, 1);
	for (unsigned int i = 1; i < 63; i++)
		map_at(f, 1, i);
	assert_int_equal(map(f, 0, PG, &iova), -ENOMEM);
	assert_int_equal(ctrs(f).wraps, 1);
}

/*
 * The segment boundary is (seg_boundary_mask >> 12) + 1 pages (dma_get_seg_boundary_nr_pages):
 * with a 16 KiB mask a run may not cross a 4-page line (start_dma is 4 GiB, so lines are at
 * multiples of 4 pages in the window). 1 -> 0, 3 -> 1..3, 2 -> 4..5, 3 -> 8..10 (6..8 crosses),
 * 2 -> 12..13 (11..12 crosses; with a boundary of 8 pages it would not).
 */
static void test_s390_legacy_seg_boundary(void **state)
{
	struct opts o = {.pages = 64, .seg_boundary_mask = 4 * PG - 1};
	struct fix *f = *state;

	fix_init(f, &o);
	map_at(f, 1, 0);
	map_at(f, 3, 1);
	map_at(f, 2, 4);
	map_at(f, 3, 8);
	map_at(f, 2, 12);
}

/* Directions: TO_DEVICE and NONE write-protect; FROM_DEVICE and BIDIRECTIONAL do not. */
static void test_s390_legacy_translate_prot(void **state)
{
	static const struct {
		enum iommusim_dma_dir dir;
		int prot;
	} cases[] = {
		{IOMMUSIM_DMA_BIDIRECTIONAL, RW},
		{IOMMUSIM_DMA_TO_DEVICE, IOMMUSIM_PROT_READ},
		{IOMMUSIM_DMA_FROM_DEVICE, RW},
		{IOMMUSIM_DMA_NONE, IOMMUSIM_PROT_READ},
	};
	uint64_t iova, pa;
	struct fix *f = *state;

	for (unsigned int i = 0; i < 4; i++) {
		uint64_t phys = 0x100000ull * (i + 1) + 0x42;

		assert_int_equal(
			iommusim_dma_map_page(f->dev, f->cpu, phys, 0x10, cases[i].dir, &iova), 0);
		assert_int_equal(iova, START + i * PG + 0x42);
		expect_mapped(f, iova, phys, cases[i].prot);
		expect_mapped(f, iova - 0x42, phys - 0x42, cases[i].prot);
		/* NULL outputs are allowed */
		assert_int_equal(iommusim_s390_legacy_translate(f->dev, iova, NULL, NULL), 0);
		iommusim_dma_unmap_page(f->dev, f->cpu, iova, 0x10, cases[i].dir);
		assert_int_equal(iommusim_s390_legacy_translate(f->dev, iova, &pa, NULL), -EFAULT);
	}
	/* Outside the window: nothing there. */
	expect_unmapped(f, START - PG);
}

/* alloc/free: page-rounded, bidirectional, allocated_pages goes up and back down. */
static void test_s390_legacy_alloc_free_counters(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true};
	uint64_t a, b;
	struct fix *f = *state;

	fix_init(f, &o);
	assert_int_equal(iommusim_dma_alloc_coherent(f->dev, f->cpu, 0x200000, 5000, &a), 0);
	assert_int_equal(iommusim_dma_alloc_coherent(f->dev, f->cpu, 0x300000, PG, &b), 0);
	assert_int_equal(a, START);
	assert_int_equal(b, START + 2 * PG);
	expect_mapped(f, a + PG, 0x201000, RW);
	assert_int_equal(ctrs(f).allocated_pages, 3);
	assert_int_equal(ctrs(f).mapped_pages, 3);
	expect_call(f, 0, START, 2 * PG, 0);
	iommusim_dma_free_coherent(f->dev, f->cpu, 5000, a);
	assert_int_equal(ctrs(f).allocated_pages, 1);
	assert_int_equal(ctrs(f).unmapped_pages, 2);
	expect_unmapped(f, a + PG);
	iommusim_dma_free_coherent(f->dev, f->cpu, PG, b);
	assert_int_equal(ctrs(f).allocated_pages, 0);
	assert_int_equal(stats(f).maps, 2);
	assert_int_equal(stats(f).unmaps, 2);
	/* bytes asked for, not page-rounded (as dma-iommu counts them) */
	assert_int_equal(stats(f).mapped_bytes, 5000 + PG);
}

SUITE_MAIN(
	cmocka_unit_test_setup_teardown(test_s390_legacy_next_fit_from_start, legacy_setup,
					legacy_teardown),
	cmocka_unit_test(test_s390_legacy_last_page_never_used),
	cmocka_unit_test_setup_teardown(test_s390_legacy_lazy_wrap_global_rpcit_count, legacy_setup,
					legacy_teardown),
	cmocka_unit_test_setup_teardown(test_s390_legacy_lazy_wrap_without_lazy_frees_still_flushes,
					legacy_setup, legacy_teardown),
	cmocka_unit_test_setup_teardown(test_s390_legacy_strict_rpcit_per_unmap, legacy_alloc,
					legacy_teardown),
	cmocka_unit_test_setup_teardown(test_s390_legacy_tlb_refresh_rpcit_per_map, legacy_alloc,
					legacy_teardown),
	cmocka_unit_test_setup_teardown(test_s390_legacy_lpar_no_map_rpcit, legacy_setup,
					legacy_teardown),
	cmocka_unit_test_setup_teardown(test_s390_legacy_enomem_map_rpcit_purges_lazy, legacy_alloc,
					legacy_teardown),
	cmocka_unit_test_setup_teardown(test_s390_legacy_enomem_global_fails_map_fails,
					legacy_alloc, legacy_teardown),
	cmocka_unit_test_setup_teardown(test_s390_legacy_strict_enomem_map_fails, legacy_alloc,
					legacy_teardown),
	cmocka_unit_test_setup_teardown(test_s390_legacy_strict_unmap_error_keeps_address,
					legacy_alloc, legacy_teardown),
	cmocka_unit_test_setup_teardown(test_s390_legacy_seg_boundary, legacy_alloc,
					legacy_teardown),
	cmocka_unit_test_setup_teardown(test_s390_legacy_translate_prot, legacy_setup,
					legacy_teardown),
	cmocka_unit_test_setup_teardown(test_s390_legacy_alloc_free_counters, legacy_alloc,
					legacy_teardown))
