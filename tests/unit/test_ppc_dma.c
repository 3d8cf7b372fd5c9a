/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the powerpc DMA ops (lib/arch/powerpc/ppc_dma.c) on a pSeries default window
 * (2 GiB of 4 KiB TCEs at 0, multi-TCE firmware, 64 KiB kernel pages unless a test says
 * otherwise), through the public DMA API: bus addresses, the hypervisor calls of each map and
 * unmap, coherent alignment and its order limit, the DMA mask, 64 KiB TCE pages, failure paths,
 * out of memory and determinism. Scatter-gather and the direct mappings: test_ppc_dma_sg.c.
 *
 * How the expected entries follow from the allocator (docs/powerpc.md, sources.md S21): the
 * window's 524288 entries make four small pools of 98304 and a large pool from entry 393216;
 * CPU 0 uses small pool 0; entry 0 is reserved; a small run moves its pool's hint to the next
 * multiple of 16, a large one (more than 15 entries) to its end.
 */
#include "ppc_dma_fixture.h"

/* One 4 KiB buffer: entry 1, one H_PUT_TCE; its unmap one H_STUFF_TCE of 1. */
static void test_map_page_single(void **state)
{
	struct ppc_fx *f = *state;
	struct iommusim_dma_stats st;
	uint64_t dma;

	ppc_fx_pe_device(f, 16, false, 0);
	assert_int_equal(iommusim_dma_map_page(f->dev, f->cpu, 0x10000, 4096, BIDI, &dma), 0);
	assert_int_equal(dma, 0x1000);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_PUT_TCE), 1);
	assert_int_equal(isim_ppc_script_log_len(f->fw), 1);
	assert_int_equal(ppc_fx_tce(f, 0x1000), 0x10000 | ISIM_TCE_READ | ISIM_TCE_WRITE);
	iommusim_dma_unmap_page(f->dev, f->cpu, dma, 4096, BIDI);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_STUFF_TCE), 1);
	assert_int_equal(ppc_fx_tce(f, 0x1000), 0);
	assert_false(isim_ppc_table_in_use(ppc_fx_table(f)));
	/* the byte offset inside the TCE page carries over: 100 bytes at 0x10800 */
	assert_int_equal(iommusim_dma_map_page(f->dev, f->cpu, 0x10800, 100, BIDI, &dma), 0);
	assert_int_equal(dma, (UINT64_C(16) << 12) | 0x800);
	iommusim_dma_get_stats(f->dev, &st);
	assert_int_equal(st.maps, 2);
	assert_int_equal(st.unmaps, 1);
	assert_int_equal(st.mapped_bytes, 4196);
}

/*
 * Runs: 64 KiB (16 TCEs, a large run aligned to 16 as the kernel page asks) from the large
 * pool in one list; 8 KiB from pool 0; 4 MiB + 4 KiB (1025 TCEs) in three lists, right after
 * the first large run; its unmap in three stuffs.
 */
static void test_map_page_runs(void **state)
{
	struct ppc_fx *f = *state;
	uint64_t a, b, c;

	ppc_fx_pe_device(f, 16, false, 0);
	assert_int_equal(iommusim_dma_map_page(f->dev, f->cpu, 0x20000, SZ_64K, BIDI, &a), 0);
	assert_int_equal(a, LARGE0 << 12);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_PUT_TCE_INDIRECT), 1);
	assert_int_equal(ppc_fx_tce(f, (LARGE0 + 15) << 12), 0x2f003);
	assert_int_equal(iommusim_dma_map_page(f->dev, f->cpu, 0x30000, 8192, BIDI, &b), 0);
	assert_int_equal(b, 0x1000);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_PUT_TCE_INDIRECT), 2);
	assert_int_equal(iommusim_dma_map_page(f->dev, f->cpu, 0x1000000,
					       (UINT64_C(4) << 20) + 4096, IOMMUSIM_DMA_TO_DEVICE,
					       &c),
			 0);
	assert_int_equal(c, (LARGE0 + 16) << 12);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_PUT_TCE_INDIRECT), 5);
	assert_int_equal(ppc_fx_tce(f, c + (UINT64_C(1024) << 12)), 0x1400000 | ISIM_TCE_READ);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_PUT_TCE), 0);
	iommusim_dma_unmap_page(f->dev, f->cpu, c, (UINT64_C(4) << 20) + 4096,
				IOMMUSIM_DMA_TO_DEVICE);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_STUFF_TCE), 3);
	iommusim_dma_unmap_page(f->dev, f->cpu, a, SZ_64K, BIDI);
	iommusim_dma_unmap_page(f->dev, f->cpu, b, 8192, BIDI);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_STUFF_TCE), 5);
	assert_int_equal(isim_ppc_script_tce_count(f->fw, DEF_LIOBN), 0);
	assert_false(isim_ppc_table_in_use(ppc_fx_table(f)));
}

/*
 * A refused list in a single map: 1025 TCEs, the second list refused. The set clears the first
 * list (one stuff of 512), the free clears the whole run (three more), the range is free again
 * and the map fails with -EIO; the next map reuses the same entries.
 */
static void test_map_page_resources(void **state)
{
	struct ppc_fx *f = *state;
	uint64_t len = (UINT64_C(4) << 20) + 4096, dma = 0;

	ppc_fx_pe_device(f, 16, false, 0);
	assert_int_equal(isim_ppc_script_fail(f->fw, ISIM_PPC_H_PUT_TCE_INDIRECT, 1, 1,
					      ISIM_H_NOT_ENOUGH_RESOURCES),
			 0);
	assert_int_equal(iommusim_dma_map_page(f->dev, f->cpu, 0x1000000, len, BIDI, &dma), -EIO);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_PUT_TCE_INDIRECT), 2);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_STUFF_TCE), 4);
	assert_int_equal(isim_ppc_script_tce_count(f->fw, DEF_LIOBN), 0);
	assert_false(isim_ppc_table_in_use(ppc_fx_table(f)));
	assert_int_equal(ppc_fx_table(f)->st.set_failures, 1);
	/* the large pool's hint moved past the failed run: the retry lands after it */
	assert_int_equal(iommusim_dma_map_page(f->dev, f->cpu, 0x1000000, len, BIDI, &dma), 0);
	assert_int_equal(dma, (LARGE0 + 1040) << 12);
}

/*
 * Coherent buffers: whole kernel pages, aligned to their power of two in TCEs. 64 KiB: 16 TCEs
 * aligned to 16 at the large pool's start; 100 KiB: 128 KiB, 32 TCEs aligned to 32 after it.
 */
static void test_coherent(void **state)
{
	struct ppc_fx *f = *state;
	uint64_t a, b, c;

	ppc_fx_pe_device(f, 16, false, 0);
	assert_int_equal(iommusim_dma_alloc_coherent(f->dev, f->cpu, 0x10000, SZ_64K, &a), 0);
	assert_int_equal(a, LARGE0 << 12);
	assert_int_equal(iommusim_dma_alloc_coherent(f->dev, f->cpu, 0x40000, 100 * 1024, &b), 0);
	assert_int_equal(b, (LARGE0 + 32) << 12);
	assert_int_equal(ppc_fx_tce(f, b + (UINT64_C(31) << 12)), 0x5f003);
	iommusim_dma_free_coherent(f->dev, f->cpu, 100 * 1024, b);
	iommusim_dma_free_coherent(f->dev, f->cpu, SZ_64K, a);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_STUFF_TCE), 2);
	assert_false(isim_ppc_table_in_use(ppc_fx_table(f)));
	/* order 13 (512 MiB of 64 KiB pages) is refused; order 12 (256 MiB) fits */
	assert_int_equal(iommusim_dma_alloc_coherent(f->dev, f->cpu, 0, UINT64_C(512) << 20, &c),
			 -EINVAL);
	assert_int_equal(iommusim_dma_alloc_coherent(f->dev, f->cpu, 0, UINT64_C(256) << 20, &c),
			 0);
	assert_int_equal(c % (UINT64_C(256) << 20), 0);
	/* a buffer not on a kernel page */
	assert_int_equal(iommusim_dma_alloc_coherent(f->dev, f->cpu, 0x1000, 4096, &c), -EINVAL);
}

/* With 4 KiB kernel pages the limit is order 13 of 4 KiB: 32 MiB refused, 16 MiB taken. */
static void test_coherent_4k_pages(void **state)
{
	struct ppc_fx *f = *state;
	uint64_t c;

	ppc_fx_pe_device(f, 12, false, 0);
	assert_int_equal(iommusim_dma_alloc_coherent(f->dev, f->cpu, 0, UINT64_C(32) << 20, &c),
			 -EINVAL);
	assert_int_equal(iommusim_dma_alloc_coherent(f->dev, f->cpu, 0, UINT64_C(16) << 20, &c), 0);
	/* and a 4 KiB buffer needs no alignment beyond its one TCE */
	assert_int_equal(iommusim_dma_alloc_coherent(f->dev, f->cpu, 0x1000, 4096, &c), 0);
	assert_int_equal(c, 0x1000);
}

/*
 * A 24-bit mask: 4096 entries below it, of which entry 0 and the last one below the mask are
 * never handed out: 4094 one-page maps fit, all under the mask, and the next fails.
 */
static void test_mask_limit(void **state)
{
	struct ppc_fx *f = *state;
	uint64_t dma;
	int n = 0;

	ppc_fx_pe_device(f, 16, false, 0);
	assert_int_equal(isim_ppc_dma_set_mask(f->dev, f->cpu, IOMMUSIM_DMA_BIT_MASK(24)), 0);
	while (!iommusim_dma_map_page(f->dev, f->cpu, 0x10000, 4096, BIDI, &dma)) {
		assert_true(dma + 4095 <= IOMMUSIM_DMA_BIT_MASK(24));
		n++;
	}
	assert_int_equal(n, 4094);
	assert_int_equal(iommusim_dma_map_page(f->dev, f->cpu, 0x10000, 4096, BIDI, &dma), -ENOMEM);
	/* a mask the window cannot serve is refused and left as it was */
	assert_int_equal(isim_ppc_dma_set_mask(f->dev, f->cpu, 0x7ff), -EINVAL);
}

/*
 * A 64 KiB TCE window (a created window of 1 GiB at 2^59) shared by devices with 64 KiB and
 * 4 KiB kernel pages: one TCE per 64 KiB page; a 4 KiB buffer keeps its offset in the TCE page.
 */
static void test_64k_tces(void **state)
{
	struct ppc_fx *f = *state;
	struct isim_ppc_table_config tc = {.mem = f->mem, .fw = f->fw, .kind = ISIM_PPC_TABLE_LPAR};
	struct iommusim_device_config dc = {.pci = true,
					    .dma_mask = IOMMUSIM_DMA_BIT_MASK(64),
					    .coherent_dma_mask = IOMMUSIM_DMA_BIT_MASK(64)};
	struct isim_ppc_dma_config c64 = {.page_shift = 16}, c4 = {.page_shift = 12};
	struct iommusim_device *d64, *d4;
	struct isim_ppc_table *tbl;
	struct isim_ddw_window w;
	uint64_t a, b, c;

	ppc_fx_pe_device(f, 16, false, 0);
	assert_int_equal(isim_ppc_rtas_create(f->fw, f->cpu, 0x800, 16, 30, &w), 0);
	tc.liobn = w.liobn;
	tc.offset = w.addr;
	tc.size = UINT64_C(1) << 30;
	tc.page_shift = 16;
	tc.put_tce_ind = tc.stuff_tce = true;
	assert_int_equal(isim_ppc_table_create(&tc, f->cpu, &tbl), 0);
	c64.tbl = c4.tbl = tbl;
	assert_int_equal(iommusim_device_create(f->mem, &dc, &d64), 0);
	assert_int_equal(iommusim_device_create(f->mem, &dc, &d4), 0);
	assert_int_equal(isim_ppc_dma_setup(d64, &c64), 0);
	assert_int_equal(isim_ppc_dma_setup(d4, &c4), 0);
	isim_ppc_table_put(tbl);
	isim_ppc_script_log_clear(f->fw);

	/* window at 2^59, no entry reserved; 1 GiB: four pools of 3072 entries */
	assert_int_equal(iommusim_dma_map_page(d64, f->cpu, 0x10000, SZ_64K, BIDI, &a), 0);
	assert_int_equal(a, w.addr);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_PUT_TCE), 1);
	assert_int_equal(isim_ppc_script_tce(f->fw, w.liobn, a), 0x10003);
	assert_int_equal(iommusim_dma_map_page(d4, f->cpu, 0x21000, 4096, BIDI, &b), 0);
	assert_int_equal(b, w.addr + (UINT64_C(16) << 16) + 0x1000);
	assert_int_equal(isim_ppc_script_tce(f->fw, w.liobn, b), 0x20003);
	/* coherent 4 KiB at 0x1000 with 4 KiB pages: one TCE, the handle keeps 0x1000 */
	assert_int_equal(iommusim_dma_alloc_coherent(d4, f->cpu, 0x1000, 4096, &c), 0);
	assert_int_equal(c & 0xffff, 0x1000);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_PUT_TCE), 3);
	iommusim_dma_free_coherent(d4, f->cpu, 4096, c);
	iommusim_dma_unmap_page(d4, f->cpu, b, 4096, BIDI);
	iommusim_dma_unmap_page(d64, f->cpu, a, SZ_64K, BIDI);
	assert_int_equal(isim_ppc_script_tce_count(f->fw, w.liobn), 0);
	/* a 32-bit mask cannot reach a window at 2^59: refused */
	assert_int_equal(isim_ppc_dma_set_mask(d4, f->cpu, IOMMUSIM_DMA_BIT_MASK(32)), -EIO);
	assert_int_equal(iommusim_device_dma_mask(d4), IOMMUSIM_DMA_BIT_MASK(64));
	iommusim_device_destroy(d64);
	iommusim_device_destroy(d4);
}

/* With 4 KiB TCEs and 4 KiB kernel pages a 64 KiB buffer needs no alignment. */
static void test_4k_pages_no_align(void **state)
{
	struct ppc_fx *f = *state;
	uint64_t a, b;

	ppc_fx_pe_device(f, 12, false, 0);
	assert_int_equal(iommusim_dma_map_page(f->dev, f->cpu, 0x1000, 4096, BIDI, &a), 0);
	assert_int_equal(iommusim_dma_map_page(f->dev, f->cpu, 0x20000, 0x3000, BIDI, &b), 0);
	assert_int_equal(a, 0x1000);
	assert_int_equal(b, UINT64_C(16) << 12);
	assert_int_equal(iommusim_dma_map_page(f->dev, f->cpu, 0x40000, SZ_64K, BIDI, &b), 0);
	assert_int_equal(b, LARGE0 << 12);
}

/* Two runs of the same calls give the same addresses and the same hypervisor calls. */
static void run_sequence(uint64_t *out, size_t n, struct isim_ppc_call_rec *log, size_t *nlog)
{
	struct ppc_fx f = {0};
	uint64_t x = 12345, live[8] = {0}, len[8] = {0};

	ppc_fx_init(&f, SZ_2G, 2);
	ppc_fx_pe_device(&f, 16, false, 0);
	for (size_t i = 0; i < n; i++) {
		size_t s = i % 8;

		x = x * 6364136223846793005u + 1442695040888963407u;
		if (len[s])
			iommusim_dma_unmap_page(f.dev, f.cpu, live[s], len[s], BIDI);
		len[s] = ((x >> 33) % 40 + 1) * 4096;
		assert_int_equal(iommusim_dma_map_page(f.dev, f.cpu, (x >> 20) & ~UINT64_C(0xfff),
						       len[s], BIDI, &live[s]),
				 0);
		out[i] = live[s];
	}
	*nlog = isim_ppc_script_log_len(f.fw);
	for (size_t i = 0; i < *nlog && i < 4096; i++)
		assert_int_equal(isim_ppc_script_log_get(f.fw, i, &log[i]), 0);
	ppc_fx_fini(&f);
}

static void test_determinism(void **state)
{
	static uint64_t a[300], b[300];
	static struct isim_ppc_call_rec la[4096], lb[4096];
	size_t na, nb;

	(void)state;
	run_sequence(a, 300, la, &na);
	run_sequence(b, 300, lb, &nb);
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(na, nb);
	assert_memory_equal(la, lb, (na < 4096 ? na : 4096) * sizeof(la[0]));
}

/* Out of memory anywhere in the set-up: -ENOMEM and nothing left allocated. */
static void test_setup_oom(void **state)
{
	struct ppc_fx *f = *state;
	struct isim_ppc_fw *null_fw;
	int err;

	/* the null platform allocates nothing per call, so only the set-up's objects count */
	assert_int_equal(isim_ppc_fw_create_null(f->mem, &null_fw), 0);
	for (long budget = 0;; budget++) {
		struct isim_pseries_pe_config pc = {.mem = f->mem,
						    .fw = null_fw,
						    .default_liobn = DEF_LIOBN,
						    .default_size = SZ_2G,
						    .multi_tce = true,
						    .ram_present = SZ_2G,
						    .ram_max = SZ_2G,
						    .page_shift = 16};
		struct iommusim_device_config dc = {.pci = true};
		uint64_t before = iommusim_mem_live_objects(f->mem);

		f->fm.budget = budget;
		err = isim_pseries_pe_create(&pc, f->cpu, &f->pe);
		if (!err) {
			err = iommusim_device_create(f->mem, &dc, &f->dev);
			if (!err)
				err = isim_pseries_dev_setup(f->pe, f->dev, false);
		}
		f->fm.budget = -1;
		if (!err)
			break;
		assert_int_equal(err, -ENOMEM);
		iommusim_device_destroy(f->dev);
		f->dev = NULL;
		isim_pseries_pe_destroy(f->pe);
		f->pe = NULL;
		assert_int_equal(iommusim_mem_live_objects(f->mem), before);
	}
	assert_non_null(isim_ppc_dev(f->dev));
	assert_int_equal(
		isim_ppc_dma_setup(f->dev, &(struct isim_ppc_dma_config){.page_shift = 16}),
		-EBUSY);
	iommusim_device_destroy(f->dev);
	f->dev = NULL;
	isim_pseries_pe_destroy(f->pe);
	f->pe = NULL;
	isim_ppc_fw_destroy(null_fw);
}

SUITE_MAIN(WINDOW_TEST(test_map_page_single), WINDOW_TEST(test_map_page_runs),
	   WINDOW_TEST(test_map_page_resources), WINDOW_TEST(test_coherent),
	   WINDOW_TEST(test_coherent_4k_pages), WINDOW_TEST(test_mask_limit),
	   WINDOW_TEST(test_64k_tces), WINDOW_TEST(test_4k_pages_no_align),
	   cmocka_unit_test(test_determinism), WINDOW_TEST(test_setup_oom))
