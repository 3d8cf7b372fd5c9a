/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the PowerNV (POWER9, PHB4) windows (lib/arch/powerpc/powernv.c): window 0's
 * geometry, the window a device gets for its mask under the kernel's two windows (TCEs from 0,
 * bypass at 2^59) and under the alternative with a direct window at 4 GiB, and a PE's devices
 * mapping through them: TCEs written by the kernel with one OPAL TCE kill per map and unmap,
 * or no work at all when direct. Values worked out by hand from the kernel's rules
 * (docs/powerpc.md "PowerNV", docs/sources.md S23).
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
#include "arch/powerpc/powernv.h"
#include "failing_mem.h"
#include "machine.h"
#include "fixture_state.h"
#include "firmware/ppc_firmware.h"

#define GIB(n) ((uint64_t)(n) << 30)
#define M(n)   IOMMUSIM_DMA_BIT_MASK(n)
#define BIDI   IOMMUSIM_DMA_BIDIRECTIONAL

static struct isim_pnv_config machine(uint64_t ram, enum isim_pnv_option opt)
{
	return (struct isim_pnv_config){.page_shift = 16,
					.dram_end = ram,
					.hotplug_max = ram,
					.m32_pci_base = GIB(2),
					.single_device_pe = true,
					.option = opt};
}

/*
 * 256 GiB of RAM. Bypass needs mask >= 2^59 + 256 GiB - 1: only the 64-bit mask. The 4 GiB
 * window needs mask > 256 GiB + 4 GiB: 40, 48 and 59 bits, not 32.
 */
static void test_choice_table(void **state)
{
	static const struct {
		unsigned int bits;
		enum isim_pnv_window kernel, alt;
	} rows[] = {
		{32, ISIM_PNV_WIN_TCE, ISIM_PNV_WIN_TCE},
		{40, ISIM_PNV_WIN_TCE, ISIM_PNV_WIN_4G},
		{48, ISIM_PNV_WIN_TCE, ISIM_PNV_WIN_4G},
		{59, ISIM_PNV_WIN_TCE, ISIM_PNV_WIN_4G},
		{60, ISIM_PNV_WIN_BYPASS, ISIM_PNV_WIN_BYPASS},
		{64, ISIM_PNV_WIN_BYPASS, ISIM_PNV_WIN_BYPASS},
	};
	struct isim_pnv_config k = machine(GIB(256), ISIM_PNV_OPT_BYPASS59);
	struct isim_pnv_config a = machine(GIB(256), ISIM_PNV_OPT_HUGE4G);
	struct isim_pnv_choice c;

	(void)state;
	for (unsigned int i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(isim_pnv_choose(&k, M(rows[i].bits), &c), rows[i].kernel);
		assert_int_equal(isim_pnv_choose(&a, M(rows[i].bits), &c), rows[i].alt);
	}
	/* the 4 GiB window: 2^39 covers 256 GiB + 4 GiB; 1024 TCEs of 256 MiB map the RAM */
	assert_int_equal(isim_pnv_choose(&a, M(40), &c), ISIM_PNV_WIN_4G);
	assert_int_equal(c.dma_offset, GIB(4));
	assert_int_equal(c.huge_window, UINT64_C(1) << 39);
	assert_int_equal(c.huge_tces, 1024);
	assert_int_equal(isim_pnv_choose(&a, M(64), &c), ISIM_PNV_WIN_BYPASS);
	assert_int_equal(c.dma_offset, UINT64_C(1) << 59);
	/* 1 TiB: a 40-bit mask cannot reach past RAM + 4 GiB, 48 bits can */
	a = machine(GIB(1024), ISIM_PNV_OPT_HUGE4G);
	assert_int_equal(isim_pnv_choose(&a, M(40), &c), ISIM_PNV_WIN_TCE);
	assert_int_equal(isim_pnv_choose(&a, M(48), &c), ISIM_PNV_WIN_4G);
	/* a PE of several devices never gets the 4 GiB window */
	a.single_device_pe = false;
	assert_int_equal(isim_pnv_choose(&a, M(48), &c), ISIM_PNV_WIN_TCE);
	/* iommu=nobypass: even 64 bits go through TCEs */
	k.bypass_disabled = true;
	assert_int_equal(isim_pnv_choose(&k, M(64), &c), ISIM_PNV_WIN_TCE);
}

/*
 * Window 0: as large as RAM (rounded down to a power of two) up to what a bitmap of the largest
 * page block covers (2^43 with 64 KiB pages, 2^39 with 4 KiB), in TCEs of the kernel's page,
 * at least two levels, the 32-bit MMIO hole from 2 GiB to 4 GiB reserved when inside.
 */
static void test_window0_geometry(void **state)
{
	struct isim_pnv_config cfg = machine(GIB(256), ISIM_PNV_OPT_BYPASS59);
	struct isim_pnv_choice c;

	(void)state;
	isim_pnv_default_window(&cfg, &c);
	assert_int_equal(c.tce_window, GIB(256));
	assert_int_equal(c.tce_shift, 16);
	assert_int_equal(c.levels, 2);
	/* 2^22 TCEs over two levels: 2^11 each, raised to a 64 KiB page of TCEs */
	assert_int_equal(c.level_tces, 8192);
	assert_int_equal(c.res_start, GIB(2) >> 16);
	assert_int_equal(c.res_end, GIB(4) >> 16);
	/* 6 GiB rounds down to 4 GiB */
	cfg.hotplug_max = cfg.dram_end = GIB(6);
	isim_pnv_default_window(&cfg, &c);
	assert_int_equal(c.tce_window, GIB(4));
	/* 1 GiB: below the MMIO hole, nothing reserved */
	cfg.hotplug_max = cfg.dram_end = GIB(1);
	isim_pnv_default_window(&cfg, &c);
	assert_int_equal(c.tce_window, GIB(1));
	assert_int_equal(c.res_start, 0);
	assert_int_equal(c.res_end, 0);
	/* 16 TiB: capped at 2^43, 2^27 TCEs, 2^14 per level */
	cfg.hotplug_max = cfg.dram_end = GIB(16384);
	isim_pnv_default_window(&cfg, &c);
	assert_int_equal(c.tce_window, UINT64_C(1) << 43);
	assert_int_equal(c.level_tces, 16384);
	/* 4 KiB pages, 4 TiB: capped at 2^39, 4 KiB TCEs */
	cfg.page_shift = 12;
	cfg.hotplug_max = cfg.dram_end = GIB(4096);
	isim_pnv_default_window(&cfg, &c);
	assert_int_equal(c.tce_window, UINT64_C(1) << 39);
	assert_int_equal(c.tce_shift, 12);
	assert_int_equal(c.levels, 2);
	assert_int_equal(c.level_tces, 16384);
	assert_int_equal(c.res_start, GIB(2) >> 12);
}

struct env {
	struct failing fm;
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu;
	struct isim_ppc_fw *fw;
	struct isim_pnv_pe *pe;
};

static void env_up(struct env *e, enum isim_pnv_option opt)
{
	struct isim_pnv_config cfg = machine(GIB(8), opt);
	struct isim_ppc_script_config sc = {.no_log = false};

	*e = (struct env){.fm.budget = -1};
	assert_int_equal(iommusim_mem_create_custom(&failing_ops, &e->fm, &e->mem), 0);
	assert_int_equal(iommusim_cpu_create(e->mem, 0, &e->cpu), 0);
	assert_int_equal(isim_ppc_fw_create_script(e->mem, &sc, &e->fw), 0);
	assert_int_equal(isim_pnv_pe_create(&cfg, e->mem, e->fw, 7, e->cpu, &e->pe), 0);
}

static void env_down(struct env *e)
{
	isim_pnv_pe_destroy(e->pe);
	isim_ppc_fw_destroy(e->fw);
	machine_down(e->mem, NULL, &e->cpu, 1);
}

static struct iommusim_device *device(struct env *e, unsigned int bits)
{
	struct iommusim_device_config dc = {.pci = true};
	struct iommusim_device *d;

	assert_int_equal(iommusim_device_create(e->mem, &dc, &d), 0);
	assert_int_equal(isim_pnv_dev_setup(e->pe, d, false), 0);
	assert_int_equal(isim_ppc_dma_set_mask(d, e->cpu, M(bits)), 0);
	return d;
}

/* Most tests: the kernel as it is on PHB4, bypass at 2^59 or window 0's TCEs. */
FIXTURE_STATE(env, struct env, env_up, env_down, ISIM_PNV_OPT_BYPASS59)

static uint64_t pte_writes(struct env *e)
{
	return iommusim_cpu_work(e->cpu, IOMMUSIM_WORK_PTE_WRITE);
}

/*
 * A 32-bit device on 8 GiB: window 0 of 8 GiB in 64 KiB TCEs (131072, the MMIO hole reserved).
 * A 64 KiB buffer takes entry 1: one TCE written by the kernel and one OPAL kill; so does the
 * unmap; no hypervisor call.
 */
static void test_tce_window_maps(void **state)
{
	struct isim_ppc_call_rec r;
	struct iommusim_device *d;
	struct env *e = *state;
	uint64_t dma, rs, re;

	assert_int_equal(isim_ppc_script_log_len(e->fw), 0);
	iommusim_tce_reserved(e->pe->tbl->alloc, &rs, &re);
	assert_int_equal(rs, 32768);
	assert_int_equal(re, 65536);
	d = device(e, 32);
	assert_false(isim_ppc_dma_is_direct(d));
	assert_int_equal(iommusim_dma_map_page(d, e->cpu, 0x10000, 0x10000, BIDI, &dma), 0);
	assert_int_equal(dma, 0x10000);
	assert_int_equal(isim_ppc_tce_get(e->pe->tbl, e->cpu, 1), 0x10000 | 3);
	assert_int_equal(pte_writes(e), 1);
	assert_int_equal(isim_ppc_script_log_len(e->fw), 1);
	assert_int_equal(isim_ppc_script_log_get(e->fw, 0, &r), 0);
	assert_int_equal(r.kind, ISIM_PPC_OPAL_TCE_KILL);
	assert_int_equal(r.target, 7);
	assert_int_equal(r.ioba, 0x10000);
	assert_int_equal(r.count, 1);
	iommusim_dma_unmap_page(d, e->cpu, dma, 0x10000, BIDI);
	assert_int_equal(isim_ppc_tce_get(e->pe->tbl, e->cpu, 1), 0);
	assert_int_equal(pte_writes(e), 2);
	assert_int_equal(isim_ppc_script_log_count(e->fw, ISIM_PPC_OPAL_TCE_KILL), 2);
	assert_int_equal(isim_ppc_script_log_len(e->fw), 2);
	iommusim_device_destroy(d);
}

/* A 64-bit device bypasses at 2^59: no TCE, no kill, whatever the option. */
static void test_bypass_maps(void **state)
{
	struct iommusim_device *d;
	struct env *e = *state;
	uint64_t dma;

	env_up(e, ISIM_PNV_OPT_HUGE4G);
	d = device(e, 64);
	assert_true(isim_ppc_dma_is_direct(d));
	assert_int_equal(iommusim_dma_map_page(d, e->cpu, 0x123000, 4096, BIDI, &dma), 0);
	assert_int_equal(dma, (UINT64_C(1) << 59) + 0x123000);
	iommusim_dma_unmap_page(d, e->cpu, dma, 4096, BIDI);
	assert_int_equal(isim_ppc_script_log_len(e->fw), 0);
	assert_int_equal(pte_writes(e), 0);
	iommusim_device_destroy(d);
}

/*
 * A 40-bit GPU: through window 0's TCEs today (a kill per map), direct at 4 GiB with the
 * alternative (32 TCEs of 256 MiB written once for 8 GiB, then nothing per map).
 */
static void test_gpu_40bit(void **state)
{
	struct iommusim_device *d, *d2;
	struct env e;
	uint64_t dma;

	(void)state;
	env_up(&e, ISIM_PNV_OPT_BYPASS59);
	d = device(&e, 40);
	assert_false(isim_ppc_dma_is_direct(d));
	assert_int_equal(iommusim_dma_map_page(d, e.cpu, GIB(6), 0x10000, BIDI, &dma), 0);
	assert_true(dma < GIB(8));
	assert_int_equal(isim_ppc_script_log_count(e.fw, ISIM_PPC_OPAL_TCE_KILL), 1);
	iommusim_device_destroy(d);
	env_down(&e);

	env_up(&e, ISIM_PNV_OPT_HUGE4G);
	d = device(&e, 40);
	assert_true(isim_ppc_dma_is_direct(d));
	assert_int_equal(pte_writes(&e), 32);
	assert_int_equal(iommusim_dma_map_page(d, e.cpu, GIB(6), 0x10000, BIDI, &dma), 0);
	assert_int_equal(dma, GIB(10));
	d2 = device(&e, 48);
	assert_int_equal(pte_writes(&e), 32);
	assert_int_equal(isim_ppc_script_log_len(e.fw), 0);
	iommusim_device_destroy(d2);
	iommusim_device_destroy(d);
	env_down(&e);
}

/* Bad machines are refused; out of memory anywhere leaves nothing behind. */
static void test_pe_errors(void **state)
{
	struct isim_pnv_config cfg = machine(GIB(8), ISIM_PNV_OPT_BYPASS59);
	struct isim_pnv_pe *pe;
	struct env *e = *state;
	int err;

	cfg.page_shift = 14;
	assert_int_equal(isim_pnv_pe_create(&cfg, e->mem, e->fw, 1, e->cpu, &pe), -EINVAL);
	cfg = machine(0, ISIM_PNV_OPT_BYPASS59);
	assert_int_equal(isim_pnv_pe_create(&cfg, e->mem, e->fw, 1, e->cpu, &pe), -EINVAL);
	cfg = machine(GIB(8), 9);
	assert_int_equal(isim_pnv_pe_create(&cfg, e->mem, e->fw, 1, e->cpu, &pe), -EINVAL);
	cfg = machine(GIB(8), ISIM_PNV_OPT_BYPASS59);
	for (long budget = 0;; budget++) {
		uint64_t before = iommusim_mem_live_objects(e->mem);

		e->fm.budget = budget;
		err = isim_pnv_pe_create(&cfg, e->mem, e->fw, 1, e->cpu, &pe);
		e->fm.budget = -1;
		if (!err)
			break;
		assert_int_equal(err, -ENOMEM);
		assert_int_equal(iommusim_mem_live_objects(e->mem), before);
	}
	isim_pnv_pe_destroy(pe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_choice_table),
		cmocka_unit_test(test_window0_geometry),
		cmocka_unit_test_setup_teardown(test_tce_window_maps, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_bypass_maps, env_alloc, env_teardown),
		cmocka_unit_test(test_gpu_40bit),
		cmocka_unit_test_setup_teardown(test_pe_errors, env_setup, env_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
