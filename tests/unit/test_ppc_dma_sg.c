/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the powerpc DMA ops' scatter-gather (lib/arch/powerpc/ppc_sg.c) and of the
 * direct and mixed mappings (ppc_direct.c, the bus-limit checks of ppc_dma.c), on a pSeries
 * default window of 2 GiB of 4 KiB TCEs at 0 with multi-TCE firmware and 64 KiB kernel pages:
 * which entries each element gets (one allocation each, sharing the list's handle), how
 * elements merge into segments (adjacent bus addresses, max_seg_size, iommu=novmerge), the
 * hypervisor calls, the failure path, and the maps that bypass the TCEs. Expected values follow
 * from the allocator's rules as in test_ppc_dma.c (docs/powerpc.md, sources.md S21, S24).
 */
#include "ppc_dma_fixture.h"

/* Three 4 KiB pages mapped as one list: entries 1, 2, 3 (the handle), merged into one segment. */
static void test_map_sg_merge(void **state)
{
	struct ppc_fx *f = *state;
	struct iommusim_sg sg[3] = {{.phys = 0x100000, .length = 0x1000},
				    {.phys = 0x200000, .length = 0x1000},
				    {.phys = 0x300000, .length = 0x1000}};
	unsigned int n = 0;

	ppc_fx_pe_device(f, 16, false, 0);
	assert_int_equal(iommusim_dma_map_sg(f->dev, f->cpu, sg, 3, BIDI, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sg[0].dma_address, 0x1000);
	assert_int_equal(sg[0].dma_length, 0x3000);
	assert_int_equal(sg[1].dma_length, 0);
	/* one TCE each: three H_PUT_TCE, no list */
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_PUT_TCE), 3);
	assert_int_equal(ppc_fx_tce(f, 0x3000), 0x300003);
	iommusim_dma_unmap_sg(f->dev, f->cpu, sg, 3, BIDI);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_STUFF_TCE), 1);
	assert_false(isim_ppc_table_in_use(ppc_fx_table(f)));
}

/* iommu=novmerge: the same list gives three segments. */
static void test_map_sg_novmerge(void **state)
{
	struct ppc_fx *f = *state;
	struct iommusim_sg sg[3] = {{.phys = 0x100000, .length = 0x1000},
				    {.phys = 0x200000, .length = 0x1000},
				    {.phys = 0x300000, .length = 0x1000}};
	unsigned int n = 0;

	ppc_fx_pe_device(f, 16, true, 0);
	assert_int_equal(iommusim_dma_map_sg(f->dev, f->cpu, sg, 3, BIDI, &n), 0);
	assert_int_equal(n, 3);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(sg[i].dma_address, (i + 1) << 12);
		assert_int_equal(sg[i].dma_length, 0x1000);
	}
	iommusim_dma_unmap_sg(f->dev, f->cpu, sg, 3, BIDI);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_STUFF_TCE), 3);
}

/*
 * Segments end at max_seg_size (8 KiB: the third page starts a second segment), at a gap in
 * the bus addresses (an element not starting on a TCE page leaves one), and after an empty
 * element.
 */
static void test_map_sg_breaks(void **state)
{
	struct ppc_fx *f = *state;
	struct iommusim_sg sg[3] = {{.phys = 0x100000, .length = 0x1000},
				    {.phys = 0x200000, .length = 0x1000},
				    {.phys = 0x300000, .length = 0x1000}};
	struct iommusim_sg odd[2] = {{.phys = 0x100800, .length = 0x1000},
				     {.phys = 0x200000, .length = 0x1000}};
	struct iommusim_sg hole[3] = {{.phys = 0x100000, .length = 0x1000},
				      {.phys = 0x500000, .length = 0},
				      {.phys = 0x200000, .length = 0x1000}};
	unsigned int n = 0;

	ppc_fx_pe_device(f, 16, false, 8192);
	assert_int_equal(iommusim_dma_map_sg(f->dev, f->cpu, sg, 3, BIDI, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(sg[0].dma_length, 0x2000);
	assert_int_equal(sg[1].dma_address, 0x3000);
	assert_int_equal(sg[1].dma_length, 0x1000);
	assert_int_equal(sg[2].dma_length, 0);
	iommusim_dma_unmap_sg(f->dev, f->cpu, sg, 3, BIDI);
	/* handle from 0 again: the hint of pool 0 is at 16 now, so entries 16, 17 and 18 */
	assert_int_equal(iommusim_dma_map_sg(f->dev, f->cpu, odd, 2, BIDI, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(odd[0].dma_address, (UINT64_C(16) << 12) | 0x800);
	assert_int_equal(odd[1].dma_address, UINT64_C(18) << 12);
	iommusim_dma_unmap_sg(f->dev, f->cpu, odd, 2, BIDI);
	assert_int_equal(iommusim_dma_map_sg(f->dev, f->cpu, hole, 3, BIDI, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(hole[1].dma_address, UINT64_C(33) << 12);
	iommusim_dma_unmap_sg(f->dev, f->cpu, hole, 3, BIDI);
	assert_false(isim_ppc_table_in_use(ppc_fx_table(f)));
}

/*
 * A refused TCE in the third element: the segment made of the first two is freed (one stuff of
 * 2), the call fails with -EIO, and, as in the kernel, the third element's own entry stays
 * allocated (nothing recorded it in a segment).
 */
static void test_map_sg_failure(void **state)
{
	struct ppc_fx *f = *state;
	struct iommusim_sg sg[3] = {{.phys = 0x100000, .length = 0x1000},
				    {.phys = 0x200000, .length = 0x1000},
				    {.phys = 0x300000, .length = 0x1000}};
	struct iommusim_dma_stats st;
	unsigned int n = 0;

	ppc_fx_pe_device(f, 16, false, 0);
	assert_int_equal(
		isim_ppc_script_fail(f->fw, ISIM_PPC_H_PUT_TCE, 2, 1, ISIM_H_NOT_ENOUGH_RESOURCES),
		0);
	assert_int_equal(iommusim_dma_map_sg(f->dev, f->cpu, sg, 3, BIDI, &n), -EIO);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_STUFF_TCE), 1);
	assert_int_equal(isim_ppc_script_tce_count(f->fw, DEF_LIOBN), 0);
	assert_int_equal(sg[0].dma_length, 0);
	assert_true(iommusim_tce_entry_used(ppc_fx_table(f)->alloc, 3));
	assert_false(iommusim_tce_entry_used(ppc_fx_table(f)->alloc, 1));
	assert_int_equal(iommusim_tce_weight(ppc_fx_table(f)->alloc), 2);
	iommusim_dma_get_stats(f->dev, &st);
	assert_int_equal(st.map_failures, 1);
	assert_int_equal(st.maps, 0);
}

/* A platform that grants the bypass at 2^59 (or, with a bus limit, only below it). */
struct grant {
	uint64_t offset;
	uint64_t limit;
};

static int grant_bypass(void *arg, struct iommusim_device *dev, struct iommusim_cpu *cpu,
			uint64_t mask, bool *ok)
{
	struct grant *g = arg;

	(void)cpu;
	*ok = mask == IOMMUSIM_DMA_BIT_MASK(64);
	if (*ok) {
		isim_ppc_dev(dev)->dma_offset = g->offset;
		dev->bus_dma_limit = g->limit;
	}
	return 0;
}

static const struct isim_ppc_platform_ops grant_ops = {.bypass_supported = grant_bypass};

/* The bypass: bus = phys + 2^59, no TCE and no firmware call; coherent by the coherent mask. */
static void test_direct_ops(void **state)
{
	struct ppc_fx *f = *state;
	struct grant g = {.offset = UINT64_C(1) << 59};
	struct iommusim_device_config dc = {.pci = true};
	struct isim_ppc_dma_config c = {
		.page_shift = 16, .ram_end = UINT64_C(8) << 30, .plat = &grant_ops, .plat_arg = &g};
	struct iommusim_sg sg[2] = {{.phys = 0x100000, .length = 0x1000},
				    {.phys = 0x101000, .length = 0x1000}};
	struct iommusim_device *d;
	unsigned int n;
	uint64_t a, b;

	ppc_fx_pe_device(f, 16, false, 0);
	c.tbl = f->pe->tables[0];
	assert_int_equal(iommusim_device_create(f->mem, &dc, &d), 0);
	assert_int_equal(isim_ppc_dma_setup(d, &c), 0);
	assert_int_equal(isim_ppc_dma_set_mask(d, f->cpu, IOMMUSIM_DMA_BIT_MASK(64)), 0);
	assert_true(isim_ppc_dma_is_direct(d));
	assert_int_equal(iommusim_dma_map_page(d, f->cpu, 0x123456, 100, BIDI, &a), 0);
	assert_int_equal(a, g.offset + 0x123456);
	assert_int_equal(iommusim_dma_map_sg(d, f->cpu, sg, 2, BIDI, &n), 0);
	assert_int_equal(n, 2); /* dma-direct never merges */
	assert_int_equal(sg[1].dma_address, g.offset + 0x101000);
	iommusim_dma_unmap_sg(d, f->cpu, sg, 2, BIDI);
	iommusim_dma_unmap_page(d, f->cpu, a, 100, BIDI);
	assert_int_equal(isim_ppc_script_log_len(f->fw), 0);
	/* the coherent mask is still 32 bits: that goes through the TCEs */
	assert_int_equal(iommusim_dma_alloc_coherent(d, f->cpu, 0x10000, SZ_64K, &b), 0);
	assert_int_equal(b, LARGE0 << 12);
	iommusim_dma_free_coherent(d, f->cpu, SZ_64K, b);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_PUT_TCE_INDIRECT), 1);
	assert_int_equal(isim_ppc_dma_set_coherent_mask(d, f->cpu, IOMMUSIM_DMA_BIT_MASK(64)), 0);
	assert_int_equal(iommusim_dma_alloc_coherent(d, f->cpu, 0x10000, SZ_64K, &b), 0);
	assert_int_equal(b, g.offset + 0x10000);
	iommusim_dma_free_coherent(d, f->cpu, SZ_64K, b);
	/* back to 32 bits: the TCE ops again */
	assert_int_equal(isim_ppc_dma_set_mask(d, f->cpu, IOMMUSIM_DMA_BIT_MASK(32)), 0);
	assert_false(isim_ppc_dma_is_direct(d));
	iommusim_device_destroy(d);
}

/*
 * Mixed: a bypass limited by a bus limit (pSeries with persistent memory) keeps the TCE ops,
 * but maps below the limit go direct and their unmaps do nothing.
 */
static void test_bus_limit_mixed(void **state)
{
	struct ppc_fx *f = *state;
	struct grant g = {.offset = UINT64_C(1) << 59, .limit = (UINT64_C(1) << 59) + SZ_2G};
	struct iommusim_device_config dc = {.pci = true};
	struct isim_ppc_dma_config c = {
		.page_shift = 16, .ram_end = UINT64_C(8) << 30, .plat = &grant_ops, .plat_arg = &g};
	struct iommusim_sg sg[1] = {{.phys = 0x100000, .length = 0x1000}};
	struct iommusim_device *d;
	unsigned int n;
	uint64_t a, b;

	ppc_fx_pe_device(f, 16, false, 0);
	c.tbl = f->pe->tables[0];
	assert_int_equal(iommusim_device_create(f->mem, &dc, &d), 0);
	assert_int_equal(isim_ppc_dma_setup(d, &c), 0);
	assert_int_equal(isim_ppc_dma_set_mask(d, f->cpu, IOMMUSIM_DMA_BIT_MASK(64)), 0);
	assert_false(isim_ppc_dma_is_direct(d));
	assert_int_equal(iommusim_dma_map_page(d, f->cpu, 0x10000, 4096, BIDI, &a), 0);
	assert_int_equal(a, g.offset + 0x10000);
	assert_int_equal(iommusim_dma_map_page(d, f->cpu, UINT64_C(4) << 30, 4096, BIDI, &b), 0);
	assert_int_equal(b, 0x1000);
	assert_int_equal(iommusim_dma_map_sg(d, f->cpu, sg, 1, BIDI, &n), 0);
	assert_int_equal(sg[0].dma_address, g.offset + 0x100000);
	iommusim_dma_unmap_sg(d, f->cpu, sg, 1, BIDI);
	iommusim_dma_unmap_page(d, f->cpu, a, 4096, BIDI);
	iommusim_dma_unmap_page(d, f->cpu, b, 4096, BIDI);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_PUT_TCE), 1);
	assert_int_equal(ppc_fx_calls(f, ISIM_PPC_H_STUFF_TCE), 1);
	assert_false(isim_ppc_table_in_use(f->pe->tables[0]));
	iommusim_device_destroy(d);
}

SUITE_MAIN(WINDOW_TEST(test_map_sg_merge), WINDOW_TEST(test_map_sg_novmerge),
	   WINDOW_TEST(test_map_sg_breaks), WINDOW_TEST(test_map_sg_failure),
	   WINDOW_TEST(test_direct_ops), WINDOW_TEST(test_bus_limit_mixed))
