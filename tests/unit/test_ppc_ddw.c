/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the pSeries dynamic DMA window (lib/arch/powerpc/ddw_plan.c, pseries_ddw.c,
 * pseries.c): the pure decisions (which TCE page, how large a window, direct or dynamic, what
 * to do when no window is free) and the whole enable_ddw() run through the scriptable firmware,
 * as a decision table worked out by hand from the kernel's rules (docs/powerpc.md "Dynamic DMA
 * windows", docs/sources.md S24): RAM x mask x free windows x page sizes offered x default table
 * in use (and a few more inputs) -> window kind, TCE page, window size, whether the default
 * window went, and every hypervisor and RTAS call.
 *
 * The PE: a 256 MiB default window of 4 KiB TCEs (LIOBN 0x10), multi-TCE firmware, all three
 * DDW extensions (six-word query, limited addressing supported), the 32-bit MMIO window at
 * 2..4 GiB, 64 KiB kernel pages. A window the firmware creates goes to 0 when the PE has no
 * other, else to 2^59 (2^32 in limited addressing mode): QEMU's placement, with a 64-bit
 * address of our choosing (QEMU's default is 2^63).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <iommusim/cpu.h>
#include <iommusim/dma.h>
#include <iommusim/mem.h>

#include "arch/powerpc/ppc_dma.h"
#include "arch/powerpc/pseries.h"
#include "failing_mem.h"
#include "machine.h"
#include "firmware/ppc_firmware.h"

#define GIB(n)	  ((uint64_t)(n) << 30)
#define DEF_LIOBN 0x10u
#define PG4K_64K  (ISIM_DDW_PGSIZE_4K | ISIM_DDW_PGSIZE_64K)
#define B59	  (UINT64_C(1) << 59)

/* One row: the inputs, then what must happen. Counts are calls made by dma_set_mask(). */
struct row {
	const char *name;
	uint64_t ram;
	unsigned int mask_bits;
	unsigned int free_windows;
	uint32_t pgs;
	uint64_t lb; /* largest block, TCEs */
	bool in_use;
	unsigned int ext_count;
	bool pmem;
	bool no_multi;
	/* a scripted failure: calls @fail_first.. of @fail_kind answer @fail_rc (0: none) */
	enum isim_ppc_call fail_kind;
	uint64_t fail_first, fail_count;
	long fail_rc;

	enum isim_ddw_kind kind;
	enum isim_ddw_why why;
	unsigned int ps, ws;
	bool removed, bypass;
	uint64_t offset;
	uint64_t put, ind, stuff;
	uint64_t query, create, remove, reset;
	bool direct_ops;
};

/* One row, its fields in the order of struct row. */
#define ROW(...)                                                                                   \
	{                                                                                          \
		__VA_ARGS__                                                                        \
	}

/*
 * Worked out by hand. RAM 8 GiB: order_base_2 = 33. A 64 KiB page with 2^31 TCEs offers a
 * 2^47 window, with 2^20 TCEs 2^36; 4 KiB with 2^31: 2^43; 256 MiB with 2^31: 2^59. A direct
 * window maps RAM in lists of 512: 8 GiB / 64 KiB = 131072 TCEs -> 256 lists; 8 GiB / 4 KiB ->
 * 4096 lists; 8 GiB / 256 MiB -> 32 TCEs, one list. A dynamic table's creation clears it in
 * stuffs of 512: 2^36 / 64 KiB = 2^20 TCEs -> 2048; 2^40 / 64 KiB -> 32768. Removing the
 * default window costs one stuff of no TCE (S24) and one RTAS remove.
 */
static const struct row rows[] = {
	ROW("8G: direct at 2^59", GIB(8), 64, 1, PG4K_64K, 1u << 31, false, 3, false, false, 0, 0,
	    0, 0, ISIM_DDW_DIRECT, ISIM_DDW_CREATED, 16, 33, false, true, B59, 0, 256, 0, 1, 1, 0,
	    0, true),
	ROW("no free window: default removed, direct at 0", GIB(8), 64, 0, PG4K_64K, 1u << 31,
	    false, 3, false, false, 0, 0, 0, 0, ISIM_DDW_DIRECT, ISIM_DDW_CREATED, 16, 33, true,
	    true, 0, 0, 256, 1, 2, 1, 1, 0, true),
	ROW("no free window, default table in use: refused", GIB(8), 64, 0, PG4K_64K, 1u << 31,
	    true, 3, false, false, 0, 0, 0, 0, ISIM_DDW_NONE, ISIM_DDW_DEFAULT_IN_USE, 0, 0, false,
	    false, 0, 0, 0, 0, 1, 0, 0, 0, false),
	ROW("1T: dynamic 2^36 at 2^59", GIB(1024), 64, 1, PG4K_64K, 1u << 20, false, 3, false,
	    false, 0, 0, 0, 0, ISIM_DDW_DYNAMIC, ISIM_DDW_CREATED, 16, 36, false, false, B59, 0, 0,
	    2048, 1, 1, 0, 0, false),
	ROW("4K pages only: direct in 4 KiB TCEs", GIB(8), 64, 1, ISIM_DDW_PGSIZE_4K, 1u << 31,
	    false, 3, false, false, 0, 0, 0, 0, ISIM_DDW_DIRECT, ISIM_DDW_CREATED, 12, 33, false,
	    true, B59, 0, 4096, 0, 1, 1, 0, 0, true),
	ROW("48-bit mask: limited mode, direct at 4G", GIB(8), 48, 1, PG4K_64K, 1u << 31, false, 3,
	    false, false, 0, 0, 0, 0, ISIM_DDW_DIRECT, ISIM_DDW_CREATED, 16, 33, false, true,
	    GIB(4), 0, 256, 0, 1, 1, 0, 1, true),
	ROW("48-bit mask without the extension: refused", GIB(8), 48, 1, PG4K_64K, 1u << 31, false,
	    2, false, false, 0, 0, 0, 0, ISIM_DDW_NONE, ISIM_DDW_LIMITED_FAILED, 0, 0, false, false,
	    0, 0, 0, 0, 1, 0, 0, 0, false),
	ROW("1T, no free window: dynamic at 0", GIB(1024), 64, 0, PG4K_64K, 1u << 20, false, 3,
	    false, false, 0, 0, 0, 0, ISIM_DDW_DYNAMIC, ISIM_DDW_CREATED, 16, 36, true, false, 0, 0,
	    0, 2049, 2, 1, 1, 0, false),
	ROW("no free window, no reset call: refused", GIB(8), 64, 0, PG4K_64K, 1u << 31, false, 0,
	    false, false, 0, 0, 0, 0, ISIM_DDW_NONE, ISIM_DDW_NO_RESET_EXT, 0, 0, false, false, 0,
	    0, 0, 0, 1, 0, 0, 0, false),
	ROW("16M and 256M offered: 256 MiB TCEs", GIB(8), 64, 1,
	    ISIM_DDW_PGSIZE_16M | ISIM_DDW_PGSIZE_256M, 1u << 31, false, 3, false, false, 0, 0, 0,
	    0, ISIM_DDW_DIRECT, ISIM_DDW_CREATED, 28, 33, false, true, B59, 0, 1, 0, 1, 1, 0, 0,
	    true),
	ROW("no page size offered", GIB(8), 64, 1, 0, 1u << 31, false, 3, false, false, 0, 0, 0, 0,
	    ISIM_DDW_NONE, ISIM_DDW_NO_PAGE_SIZE, 0, 0, false, false, 0, 0, 0, 0, 1, 0, 0, 0,
	    false),
	ROW("create fails: the planned bypass is returned anyway", GIB(8), 64, 1, PG4K_64K,
	    1u << 31, false, 3, false, false, ISIM_PPC_RTAS_CREATE, 0, 1, ISIM_RTAS_HW_ERROR,
	    ISIM_DDW_NONE, ISIM_DDW_CREATE_FAILED, 16, 33, false, true, 0, 0, 0, 0, 1, 1, 0, 0,
	    true),
	ROW("create fails after the removal: default reset", GIB(8), 64, 0, PG4K_64K, 1u << 31,
	    false, 3, false, false, ISIM_PPC_RTAS_CREATE, 0, 1, ISIM_RTAS_HW_ERROR, ISIM_DDW_NONE,
	    ISIM_DDW_CREATE_FAILED, 16, 33, false, true, 0, 0, 0, 1, 2, 1, 1, 1, true),
	ROW("fourth list refused: window cleaned and removed", GIB(8), 64, 1, PG4K_64K, 1u << 31,
	    false, 3, false, false, ISIM_PPC_H_PUT_TCE_INDIRECT, 3, 1, ISIM_H_NOT_ENOUGH_RESOURCES,
	    ISIM_DDW_NONE, ISIM_DDW_POPULATE_FAILED, 16, 33, false, true, 0, 0, 4, 256, 1, 1, 1, 0,
	    true),
	ROW("create busy twice: retried", GIB(8), 64, 1, PG4K_64K, 1u << 31, false, 3, false, false,
	    ISIM_PPC_RTAS_CREATE, 0, 2, ISIM_RTAS_BUSY, ISIM_DDW_DIRECT, ISIM_DDW_CREATED, 16, 33,
	    false, true, B59, 0, 256, 0, 1, 3, 0, 0, true),
	ROW("persistent memory: direct for RAM under a bus limit", GIB(8), 64, 1, PG4K_64K,
	    1u << 31, false, 3, true, false, 0, 0, 0, 0, ISIM_DDW_DIRECT, ISIM_DDW_CREATED, 16, 33,
	    false, true, B59, 0, 256, 0, 1, 1, 0, 0, false),
	ROW("persistent memory, no free window: split", GIB(8), 64, 0, PG4K_64K, 1u << 20, false, 3,
	    true, false, 0, 0, 0, 0, ISIM_DDW_HYBRID, ISIM_DDW_CREATED, 16, 36, true, true, 0, 0,
	    256, 1793, 2, 1, 1, 0, false),
	ROW("no multi-TCE: one H_PUT_TCE per TCE", GIB(1), 64, 1, PG4K_64K, 1u << 31, false, 3,
	    false, true, 0, 0, 0, 0, ISIM_DDW_DIRECT, ISIM_DDW_CREATED, 16, 30, false, true, B59,
	    16384, 0, 0, 1, 1, 0, 0, true),
	ROW("40-bit mask, 2T: dynamic 2^40 at 4G", GIB(2048), 40, 1, PG4K_64K, 1u << 31, false, 3,
	    false, false, 0, 0, 0, 0, ISIM_DDW_DYNAMIC, ISIM_DDW_CREATED, 16, 40, false, false,
	    GIB(4), 0, 0, 32768, 1, 1, 0, 1, false),
	ROW("32-bit mask: never asks", GIB(8), 32, 1, PG4K_64K, 1u << 31, false, 3, false, false, 0,
	    0, 0, 0, ISIM_DDW_NONE, ISIM_DDW_MASK32, 0, 0, false, false, 0, 0, 0, 0, 0, 0, 0, 0,
	    false),
};

struct env {
	struct failing fm;
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu;
	struct isim_ppc_fw *fw;
	struct isim_pseries_pe *pe;
	struct iommusim_device *dev;
};

static void env_up(struct env *e, const struct row *r)
{
	struct isim_ppc_script_config sc = {.max_windows = 1 + r->free_windows,
					    .largest_block = r->lb,
					    .page_sizes = r->pgs,
					    .ddw_addr = B59,
					    .limited_addr = GIB(4),
					    .default_liobn = DEF_LIOBN,
					    .default_size = UINT64_C(256) << 20,
					    .default_shift = 12};
	struct isim_pseries_pe_config pc = {.fw = NULL,
					    .cfg_addr = 0x800,
					    .default_liobn = DEF_LIOBN,
					    .default_size = UINT64_C(256) << 20,
					    .multi_tce = !r->no_multi,
					    .ddw_applicable = true,
					    .ext_count = r->ext_count,
					    .ext_query_out = 1,
					    .ext_limited = 1,
					    .mmio32_start = GIB(2),
					    .mmio32_end = GIB(4) - 1,
					    .ram_present = r->ram,
					    .ram_max = r->ram,
					    .pmem_present = r->pmem,
					    .page_shift = 16};
	struct iommusim_device_config dc = {.pci = true};

	*e = (struct env){.fm.budget = -1};
	assert_int_equal(iommusim_mem_create_custom(&failing_ops, &e->fm, &e->mem), 0);
	assert_int_equal(iommusim_cpu_create(e->mem, 0, &e->cpu), 0);
	assert_int_equal(isim_ppc_fw_create_script(e->mem, &sc, &e->fw), 0);
	pc.mem = e->mem;
	pc.fw = e->fw;
	assert_int_equal(isim_pseries_pe_create(&pc, e->cpu, &e->pe), 0);
	assert_int_equal(iommusim_device_create(e->mem, &dc, &e->dev), 0);
	assert_int_equal(isim_pseries_dev_setup(e->pe, e->dev, false), 0);
}

static void env_down(struct env *e)
{
	iommusim_device_destroy(e->dev);
	isim_pseries_pe_destroy(e->pe);
	isim_ppc_fw_destroy(e->fw);
	machine_down(e->mem, NULL, &e->cpu, 1);
}

static void check_row(const struct row *r)
{
	struct isim_ppc_fw_stats a, b;
	const struct isim_ddw_result *res;
	struct isim_ppc_dev *p;
	struct env e;
	uint64_t dma;

	print_message("row: %s\n", r->name);
	env_up(&e, r);
	/* a driver that mapped through the default window with its 32-bit mask first */
	if (r->in_use)
		assert_int_equal(iommusim_dma_map_page(e.dev, e.cpu, 0x10000, 4096,
						       IOMMUSIM_DMA_BIDIRECTIONAL, &dma),
				 0);
	if (r->fail_rc)
		assert_int_equal(isim_ppc_script_fail(e.fw, r->fail_kind, r->fail_first,
						      r->fail_count, r->fail_rc),
				 0);
	isim_ppc_fw_get_stats(e.fw, &a);
	assert_int_equal(isim_ppc_dma_set_mask(e.dev, e.cpu, IOMMUSIM_DMA_BIT_MASK(r->mask_bits)),
			 0);
	isim_ppc_fw_get_stats(e.fw, &b);
	res = &e.pe->last;
	p = isim_ppc_dev(e.dev);

	assert_int_equal(res->kind, r->kind);
	assert_int_equal(res->why, r->why);
	assert_int_equal(res->page_shift, r->ps);
	assert_int_equal(res->window_shift, r->ws);
	assert_int_equal(res->default_removed, r->removed);
	assert_int_equal(res->bypass, r->bypass);
	assert_int_equal(p->dma_offset, r->offset);
	assert_int_equal(isim_ppc_dma_is_direct(e.dev), r->direct_ops);
	assert_int_equal(b.calls[ISIM_PPC_H_PUT_TCE] - a.calls[ISIM_PPC_H_PUT_TCE], r->put);
	assert_int_equal(b.calls[ISIM_PPC_H_PUT_TCE_INDIRECT] -
				 a.calls[ISIM_PPC_H_PUT_TCE_INDIRECT],
			 r->ind);
	assert_int_equal(b.calls[ISIM_PPC_H_STUFF_TCE] - a.calls[ISIM_PPC_H_STUFF_TCE], r->stuff);
	assert_int_equal(b.calls[ISIM_PPC_RTAS_QUERY] - a.calls[ISIM_PPC_RTAS_QUERY], r->query);
	assert_int_equal(b.calls[ISIM_PPC_RTAS_CREATE] - a.calls[ISIM_PPC_RTAS_CREATE], r->create);
	assert_int_equal(b.calls[ISIM_PPC_RTAS_REMOVE] - a.calls[ISIM_PPC_RTAS_REMOVE], r->remove);
	assert_int_equal(b.calls[ISIM_PPC_RTAS_RESET] - a.calls[ISIM_PPC_RTAS_RESET], r->reset);
	/* only a window that was made leaves the failed list alone */
	assert_int_equal(e.pe->failed, r->kind == ISIM_DDW_NONE && r->why != ISIM_DDW_MASK32);
	assert_int_equal(e.pe->default_present, !r->removed);
	env_down(&e);
}

static void test_decision_table(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(&rows[i]);
}

/* What the pure sizing function says for the table's main shapes, and a few more. */
static void test_plan(void **state)
{
	struct isim_ddw_plan p;
	struct isim_ddw_plan_in in = {.dma_mask = ~UINT64_C(0),
				      .page_sizes = PG4K_64K,
				      .largest_block = UINT64_C(1) << 31,
				      .ram_max = GIB(8)};

	(void)state;
	isim_ddw_plan(&in, &p);
	assert_int_equal(p.page_shift, 16);
	assert_int_equal(p.ddw_sz, 47);
	assert_int_equal(p.max_ram_len, 33);
	assert_true(p.direct && !p.dynamic);
	assert_int_equal(p.window_shift, 33);
	/* RAM not a power of two: the window rounds up (6 GiB -> 2^33) */
	in.ram_max = GIB(6);
	isim_ddw_plan(&in, &p);
	assert_int_equal(p.window_shift, 33);
	/* a 40-bit device with 2 TiB: the device's reach is the limit, dynamic */
	in.ram_max = GIB(2048);
	in.dma_mask = IOMMUSIM_DMA_BIT_MASK(40);
	isim_ddw_plan(&in, &p);
	assert_true(p.dynamic && !p.direct);
	assert_int_equal(p.window_shift, 40);
	/* persistent memory and a window reaching 2^51: everything direct up to MAX_PHYSMEM_BITS */
	in.dma_mask = ~UINT64_C(0);
	in.ram_max = GIB(8);
	in.pmem_present = true;
	in.largest_block = UINT64_C(1) << 40;
	isim_ddw_plan(&in, &p);
	assert_true(p.direct && !p.dynamic);
	assert_int_equal(p.window_shift, 51);
	/* persistent memory, smaller window, default removed: split at 2^33, dynamic above */
	in.largest_block = UINT64_C(1) << 31;
	in.default_removed = true;
	isim_ddw_plan(&in, &p);
	assert_true(p.direct && p.dynamic);
	assert_int_equal(p.dynamic_offset, GIB(8));
	assert_int_equal(p.window_shift, 47);
	/* ... just RAM's size, too small to hold 2 GiB more: dynamic only */
	in.largest_block = GIB(8) >> 16;
	isim_ddw_plan(&in, &p);
	assert_true(!p.direct && p.dynamic);
	assert_int_equal(p.window_shift, 33);
	/* no page size */
	in.page_sizes = 0;
	isim_ddw_plan(&in, &p);
	assert_int_equal(p.page_shift, 0);
}

/* The largest offered page wins; 2 MiB sits at bit 8, out of order. */
static void test_page_shift(void **state)
{
	(void)state;
	assert_int_equal(isim_ddw_page_shift(ISIM_DDW_PGSIZE_4K), 12);
	assert_int_equal(isim_ddw_page_shift(PG4K_64K), 16);
	assert_int_equal(isim_ddw_page_shift(ISIM_DDW_PGSIZE_64K | ISIM_DDW_PGSIZE_2M), 21);
	assert_int_equal(isim_ddw_page_shift(ISIM_DDW_PGSIZE_2M | ISIM_DDW_PGSIZE_16M), 24);
	assert_int_equal(isim_ddw_page_shift(ISIM_DDW_PGSIZE_16G | ISIM_DDW_PGSIZE_4K), 34);
	assert_int_equal(isim_ddw_page_shift(0), 0);
	assert_int_equal(isim_ddw_page_shift(1u << 9), 0);
}

static void test_precheck(void **state)
{
	(void)state;
	assert_int_equal(isim_ddw_precheck(1, true, false, false), ISIM_DDW_PRE_GO);
	assert_int_equal(isim_ddw_precheck(0, true, true, true), ISIM_DDW_PRE_IN_USE);
	assert_int_equal(isim_ddw_precheck(0, false, false, true), ISIM_DDW_PRE_NO_DEFAULT);
	assert_int_equal(isim_ddw_precheck(0, false, true, false), ISIM_DDW_PRE_NO_RESET);
	assert_int_equal(isim_ddw_precheck(0, false, true, true), ISIM_DDW_PRE_REMOVE_DEFAULT);
}

/*
 * After a window was made, another function of the PE reuses it without a call; after a
 * failure, the PE is never tried again, and the in-use mapping is still there.
 */
static void test_reuse_and_failed_list(void **state)
{
	struct iommusim_device_config dc = {.pci = true};
	struct iommusim_device *d2;
	struct isim_ppc_fw_stats a, b;
	struct env e;
	uint64_t dma;

	(void)state;
	env_up(&e, &rows[0]);
	assert_int_equal(isim_ppc_dma_set_mask(e.dev, e.cpu, ~UINT64_C(0)), 0);
	assert_int_equal(iommusim_device_create(e.mem, &dc, &d2), 0);
	assert_int_equal(isim_pseries_dev_setup(e.pe, d2, false), 0);
	isim_ppc_fw_get_stats(e.fw, &a);
	assert_int_equal(isim_ppc_dma_set_mask(d2, e.cpu, ~UINT64_C(0)), 0);
	isim_ppc_fw_get_stats(e.fw, &b);
	for (unsigned int k = 0; k < ISIM_PPC_CALL_NR; k++)
		assert_int_equal(b.calls[k], a.calls[k]);
	assert_true(isim_ppc_dma_is_direct(d2));
	assert_int_equal(isim_ppc_dev(d2)->dma_offset, B59);
	/* a direct map: RAM at 2^59, nothing else */
	assert_int_equal(
		iommusim_dma_map_page(d2, e.cpu, 0x10000, 4096, IOMMUSIM_DMA_BIDIRECTIONAL, &dma),
		0);
	assert_int_equal(dma, B59 + 0x10000);
	iommusim_device_destroy(d2);
	env_down(&e);

	env_up(&e, &rows[2]);
	assert_int_equal(iommusim_dma_map_page(e.dev, e.cpu, 0x10000, 4096,
					       IOMMUSIM_DMA_BIDIRECTIONAL, &dma),
			 0);
	assert_int_equal(isim_ppc_dma_set_mask(e.dev, e.cpu, ~UINT64_C(0)), 0);
	assert_int_equal(e.pe->last.why, ISIM_DDW_DEFAULT_IN_USE);
	isim_ppc_fw_get_stats(e.fw, &a);
	assert_int_equal(isim_ppc_dma_set_mask(e.dev, e.cpu, ~UINT64_C(0)), 0);
	isim_ppc_fw_get_stats(e.fw, &b);
	assert_int_equal(e.pe->last.why, ISIM_DDW_FAILED_BEFORE);
	assert_int_equal(b.calls[ISIM_PPC_RTAS_QUERY], a.calls[ISIM_PPC_RTAS_QUERY]);
	/* the 32-bit mapping survived, and the device keeps mapping through the default window */
	assert_true(isim_ppc_table_in_use(e.pe->tables[0]));
	assert_int_equal(iommusim_dma_map_page(e.dev, e.cpu, 0x20000, 4096,
					       IOMMUSIM_DMA_BIDIRECTIONAL, &dma),
			 0);
	assert_true(dma < (UINT64_C(256) << 20));
	env_down(&e);
}

/*
 * The dynamic window at 0 (default removed) reserves the 32-bit MMIO hole in its table; maps
 * go through it with H_PUT_TCE, and the reserved entries are never handed out.
 */
static void test_dynamic_window_maps(void **state)
{
	struct isim_ppc_call_rec r;
	struct isim_ppc_table *t;
	uint64_t rs, re, dma;
	struct env e;

	(void)state;
	env_up(&e, &rows[7]);
	assert_int_equal(isim_ppc_dma_set_mask(e.dev, e.cpu, ~UINT64_C(0)), 0);
	t = isim_ppc_dev(e.dev)->tbl;
	assert_ptr_equal(t, e.pe->tables[0]);
	assert_int_equal(t->page_shift, 16);
	iommusim_tce_reserved(t->alloc, &rs, &re);
	assert_int_equal(rs, GIB(2) >> 16);
	assert_int_equal(re, (GIB(4) - 1) >> 16);
	assert_int_equal(iommusim_dma_map_page(e.dev, e.cpu, GIB(700), 0x10000,
					       IOMMUSIM_DMA_BIDIRECTIONAL, &dma),
			 0);
	assert_int_equal(dma, 0x10000);
	/* the map's one call, the last in the log */
	assert_int_equal(isim_ppc_script_log_get(e.fw, isim_ppc_script_log_len(e.fw) - 1, &r), 0);
	assert_int_equal(r.kind, ISIM_PPC_H_PUT_TCE);
	assert_int_equal(r.target, e.pe->last.liobn);
	assert_int_equal(r.value, GIB(700) | 3);
	iommusim_dma_unmap_page(e.dev, e.cpu, dma, 0x10000, IOMMUSIM_DMA_BIDIRECTIONAL);
	assert_false(isim_ppc_table_in_use(t));
	env_down(&e);
}

/* The split window: RAM below 8 GiB direct, persistent memory above through the TCEs. */
static void test_hybrid_maps(void **state)
{
	uint64_t a, b;
	struct env e;

	(void)state;
	env_up(&e, &rows[16]);
	assert_int_equal(isim_ppc_dma_set_mask(e.dev, e.cpu, ~UINT64_C(0)), 0);
	assert_int_equal(e.dev->bus_dma_limit, GIB(8));
	assert_int_equal(
		iommusim_dma_map_page(e.dev, e.cpu, GIB(1), 4096, IOMMUSIM_DMA_BIDIRECTIONAL, &a),
		0);
	assert_int_equal(a, GIB(1));
	assert_int_equal(
		iommusim_dma_map_page(e.dev, e.cpu, GIB(16), 4096, IOMMUSIM_DMA_BIDIRECTIONAL, &b),
		0);
	assert_true(b >= GIB(8) && b < GIB(64));
	env_down(&e);
}

/*
 * The model runs out of memory for the dynamic table: the DDW fails as the kernel fails when
 * it cannot allocate that table (window removed, PE on the failed list, default window kept),
 * and dma_set_mask() reports -ENOMEM with the device still on the default window.
 */
static void test_table_oom(void **state)
{
	struct isim_ppc_fw_stats a, b;
	struct env e;

	(void)state;
	env_up(&e, &rows[3]);
	isim_ppc_fw_get_stats(e.fw, &a);
	e.fm.budget = 0;
	assert_int_equal(isim_ppc_dma_set_mask(e.dev, e.cpu, ~UINT64_C(0)), -ENOMEM);
	e.fm.budget = -1;
	isim_ppc_fw_get_stats(e.fw, &b);
	assert_int_equal(e.pe->last.why, ISIM_DDW_TABLE_FAILED);
	assert_true(e.pe->failed);
	assert_int_equal(b.calls[ISIM_PPC_RTAS_CREATE] - a.calls[ISIM_PPC_RTAS_CREATE], 1);
	assert_int_equal(b.calls[ISIM_PPC_RTAS_REMOVE] - a.calls[ISIM_PPC_RTAS_REMOVE], 1);
	assert_ptr_equal(isim_ppc_dev(e.dev)->tbl, e.pe->tables[0]);
	assert_true(e.pe->default_present);
	assert_int_equal(iommusim_device_dma_mask(e.dev), ~UINT64_C(0));
	assert_false(isim_ppc_dma_is_direct(e.dev));
	env_down(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_page_shift),
		cmocka_unit_test(test_precheck),
		cmocka_unit_test(test_reuse_and_failed_list),
		cmocka_unit_test(test_dynamic_window_maps),
		cmocka_unit_test(test_hybrid_maps),
		cmocka_unit_test(test_table_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
