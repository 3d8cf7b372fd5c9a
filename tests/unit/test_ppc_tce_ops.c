/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the TCE operations under the powerpc DMA ops (lib/arch/powerpc/tce_lpar.c,
 * tce_ioda2.c, ppc_table.c): how many hypervisor calls of which kind a pSeries partition makes
 * per set and clear (one H_PUT_TCE for a single TCE, H_PUT_TCE_INDIRECT in lists of at most
 * 512, H_STUFF_TCE in runs of 512, one call per TCE without multi-TCE firmware), what each
 * firmware error does, the TCE values, the direct-window range calls, and PowerNV's direct
 * writes with their OPAL TCE kills. Every count is worked out in the comments from the kernel's
 * rules (docs/powerpc.md "How many hypervisor calls", docs/sources.md S22, S23).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <errno.h>
#include <stdlib.h>
#include <iommusim/cpu.h>
#include <iommusim/mem.h>

#include "arch/powerpc/ppc_table.h"

#include "ppc_fixture.h"

#define DEF_LIOBN PPC_FX_LIOBN
#define SZ_16M	  (UINT64_C(1) << 24)

static int setup(void **state)
{
	return ppc_fx_setup(state, SZ_16M, 0);
}

/* The configuration of the default window's table, with or without multi-TCE firmware. */
static struct isim_ppc_table_config lpar_cfg(struct ppc_fx *f, bool multi)
{
	return (struct isim_ppc_table_config){.mem = f->mem,
					      .fw = f->fw,
					      .kind = ISIM_PPC_TABLE_LPAR,
					      .liobn = DEF_LIOBN,
					      .size = SZ_16M,
					      .page_shift = 12,
					      .put_tce_ind = multi,
					      .stuff_tce = multi};
}

/* The default window's table, with or without multi-TCE firmware; the log starts empty. */
static void make_lpar(struct ppc_fx *f, bool multi)
{
	struct isim_ppc_table_config cfg = lpar_cfg(f, multi);

	assert_int_equal(isim_ppc_table_create(&cfg, f->cpu, &f->tbl), 0);
	isim_ppc_script_log_clear(f->fw);
}

static size_t n_calls(struct ppc_fx *f, enum isim_ppc_call kind)
{
	return isim_ppc_script_log_count(f->fw, kind);
}

static struct isim_ppc_call_rec rec(struct ppc_fx *f, size_t i)
{
	struct isim_ppc_call_rec r;

	assert_int_equal(isim_ppc_script_log_get(f->fw, i, &r), 0);
	return r;
}

/* iommu_init_table() clears the whole window: 4096 TCEs are 8 stuffs of 512, or 4096 puts. */
static void test_init_clear(void **state)
{
	struct ppc_fx *f = *state;
	struct isim_ppc_table_config cfg = lpar_cfg(f, true);
	struct isim_ppc_table *t2;
	struct isim_ppc_fw_stats st;

	assert_int_equal(isim_ppc_table_create(&cfg, f->cpu, &f->tbl), 0);
	assert_int_equal(n_calls(f, ISIM_PPC_H_STUFF_TCE), 8);
	assert_int_equal(rec(f, 7).ioba, UINT64_C(7) * 512 * 4096);
	assert_int_equal(rec(f, 7).count, 512);
	cfg.put_tce_ind = cfg.stuff_tce = false;
	assert_int_equal(isim_ppc_table_create(&cfg, f->cpu, &t2), 0);
	isim_ppc_fw_get_stats(f->fw, &st);
	assert_int_equal(st.calls[ISIM_PPC_H_PUT_TCE], 4096);
	isim_ppc_table_put(t2);
	/* a window the allocator cannot hold, or one not in whole TCE pages */
	cfg.size = UINT64_C(1) << 43;
	assert_int_equal(isim_ppc_table_create(&cfg, f->cpu, &t2), -EINVAL);
	cfg.size = SZ_16M + 1;
	assert_int_equal(isim_ppc_table_create(&cfg, f->cpu, &t2), -EINVAL);
}

/* One TCE is one H_PUT_TCE; pSeries grants read always and write unless the device only reads. */
static void test_set_one(void **state)
{
	struct ppc_fx *f = *state;

	make_lpar(f, true);
	assert_int_equal(isim_ppc_tce_set(f->tbl, f->cpu, 5, 1, 0x123000, IOMMUSIM_DMA_TO_DEVICE),
			 0);
	assert_int_equal(isim_ppc_tce_set(f->tbl, f->cpu, 6, 1, 0x456000, IOMMUSIM_DMA_FROM_DEVICE),
			 0);
	assert_int_equal(n_calls(f, ISIM_PPC_H_PUT_TCE), 2);
	assert_int_equal(isim_ppc_script_log_len(f->fw), 2);
	assert_int_equal(isim_ppc_script_tce(f->fw, DEF_LIOBN, 0x5000), 0x123000 | ISIM_TCE_READ);
	assert_int_equal(isim_ppc_script_tce(f->fw, DEF_LIOBN, 0x6000),
			 0x456000 | ISIM_TCE_READ | ISIM_TCE_WRITE);
	assert_int_equal(isim_ppc_tce_get(f->tbl, f->cpu, 6), 0x456003);
	assert_int_equal(n_calls(f, ISIM_PPC_H_GET_TCE), 1);
}

/* Runs: lists of at most 512 per H_PUT_TCE_INDIRECT, each at its own bus address. */
static void test_set_runs(void **state)
{
	static const struct {
		uint64_t npages;
		size_t calls;
		uint64_t last;
	} cases[] = {
		{2, 1, 2}, {512, 1, 512}, {513, 2, 1}, {1024, 2, 512}, {1025, 3, 1},
	};
	struct ppc_fx *f = *state;

	make_lpar(f, true);
	for (unsigned int c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t n = cases[c].calls;
		struct isim_ppc_call_rec r;

		isim_ppc_script_log_clear(f->fw);
		assert_int_equal(isim_ppc_tce_set(f->tbl, f->cpu, 1, cases[c].npages, 0x800000,
						  IOMMUSIM_DMA_BIDIRECTIONAL),
				 0);
		assert_int_equal(n_calls(f, ISIM_PPC_H_PUT_TCE_INDIRECT), n);
		assert_int_equal(isim_ppc_script_log_len(f->fw), n);
		r = rec(f, n - 1);
		assert_int_equal(r.count, cases[c].last);
		assert_int_equal(r.ioba, (1 + (n - 1) * 512) << 12);
		/* the list's first TCE: RAM from 0x800000 on, one 4 KiB page per TCE */
		assert_int_equal(r.value, (0x800000 + ((n - 1) * 512 << 12)) | 3);
		assert_int_equal(isim_ppc_script_tce_count(f->fw, DEF_LIOBN), cases[c].npages);
		isim_ppc_tce_clear(f->tbl, f->cpu, 1, cases[c].npages);
		/* the clear: stuffs of 512, as many as the lists */
		assert_int_equal(n_calls(f, ISIM_PPC_H_STUFF_TCE), n);
		assert_int_equal(isim_ppc_script_tce_count(f->fw, DEF_LIOBN), 0);
	}
}

/* Without multi-TCE firmware every TCE is a call of its own, set and clear alike. */
static void test_no_multi_tce(void **state)
{
	struct ppc_fx *f = *state;

	make_lpar(f, false);
	assert_int_equal(isim_ppc_tce_set(f->tbl, f->cpu, 1, 3, 0x10000, IOMMUSIM_DMA_TO_DEVICE),
			 0);
	assert_int_equal(n_calls(f, ISIM_PPC_H_PUT_TCE), 3);
	assert_int_equal(isim_ppc_script_tce(f->fw, DEF_LIOBN, 0x3000), 0x12000 | ISIM_TCE_READ);
	isim_ppc_tce_clear(f->tbl, f->cpu, 1, 3);
	assert_int_equal(n_calls(f, ISIM_PPC_H_PUT_TCE), 6);
	assert_int_equal(rec(f, 5).value, 0);
	assert_int_equal(n_calls(f, ISIM_PPC_H_STUFF_TCE), 0);
	assert_int_equal(isim_ppc_script_tce_count(f->fw, DEF_LIOBN), 0);
}

/*
 * On an LPAR with multi-TCE, a set of 1025 TCEs (three lists) whose H_PUT_TCE_INDIRECT number
 * @list (from 0) is answered "not enough resources": the set fails with that answer, after
 * @list + 1 lists and one stuff.
 */
static void set_1025_refused_on_list(struct ppc_fx *f, unsigned int list)
{
	make_lpar(f, true);
	assert_int_equal(isim_ppc_script_fail(f->fw, ISIM_PPC_H_PUT_TCE_INDIRECT, list, 1,
					      ISIM_H_NOT_ENOUGH_RESOURCES),
			 0);
	assert_int_equal(isim_ppc_tce_set(f->tbl, f->cpu, 1, 1025, 0, IOMMUSIM_DMA_TO_DEVICE),
			 ISIM_H_NOT_ENOUGH_RESOURCES);
	/* the lists up to the refused one were offered, and one stuff cleared what went before */
	assert_int_equal(n_calls(f, ISIM_PPC_H_PUT_TCE_INDIRECT), list + 1);
	assert_int_equal(n_calls(f, ISIM_PPC_H_STUFF_TCE), 1);
}

/*
 * "Not enough resources" on the second list of 1025: the first list (512 TCEs) is cleared by
 * one stuff of 512, and the set fails with that answer.
 */
static void test_indirect_resources_second(void **state)
{
	struct ppc_fx *f = *state;

	set_1025_refused_on_list(f, 1);
	assert_int_equal(rec(f, 2).count, 512);
	assert_int_equal(rec(f, 2).ioba, 0x1000);
	assert_int_equal(isim_ppc_script_tce_count(f->fw, DEF_LIOBN), 0);
	assert_int_equal(f->tbl->st.set_failures, 1);
}

/* ... on the first list: nothing to clear, yet the kernel's loop still makes one stuff of 0. */
static void test_indirect_resources_first(void **state)
{
	struct ppc_fx *f = *state;

	set_1025_refused_on_list(f, 0);
	assert_int_equal(rec(f, 1).count, 0);
}

/* One by one, the third put refused: the two before it are put back to 0, two more calls. */
static void test_put_resources(void **state)
{
	struct ppc_fx *f = *state;

	make_lpar(f, false);
	/* failures are named by the index of the call since creation: the clear made 4096 */
	assert_int_equal(isim_ppc_script_fail(f->fw, ISIM_PPC_H_PUT_TCE,
					      isim_ppc_script_calls(f->fw, ISIM_PPC_H_PUT_TCE) + 2,
					      1, ISIM_H_NOT_ENOUGH_RESOURCES),
			 0);
	assert_int_equal(isim_ppc_tce_set(f->tbl, f->cpu, 1, 5, 0, IOMMUSIM_DMA_TO_DEVICE),
			 ISIM_H_NOT_ENOUGH_RESOURCES);
	assert_int_equal(n_calls(f, ISIM_PPC_H_PUT_TCE), 5);
	assert_int_equal(rec(f, 3).ioba, 0x1000);
	assert_int_equal(rec(f, 4).ioba, 0x2000);
	assert_int_equal(isim_ppc_script_tce_count(f->fw, DEF_LIOBN), 0);
}

/*
 * Any other error is only logged: a list that fails ends the loop and the set "succeeds" with
 * the rest unwritten; a put that fails is skipped and the next ones go on. Both are counted.
 */
static void test_other_errors_ignored(void **state)
{
	struct ppc_fx *f = *state;

	make_lpar(f, true);
	assert_int_equal(
		isim_ppc_script_fail(f->fw, ISIM_PPC_H_PUT_TCE_INDIRECT, 1, 1, ISIM_H_PARAMETER),
		0);
	assert_int_equal(isim_ppc_tce_set(f->tbl, f->cpu, 1, 1025, 0, IOMMUSIM_DMA_TO_DEVICE), 0);
	assert_int_equal(n_calls(f, ISIM_PPC_H_PUT_TCE_INDIRECT), 2);
	assert_int_equal(isim_ppc_script_tce_count(f->fw, DEF_LIOBN), 512);
	assert_int_equal(f->tbl->st.fw_ignored, 1);
	assert_int_equal(f->tbl->st.set_failures, 0);
	/* a stuff that fails ends the clear: 1025 TCEs, one call, the rest stay */
	assert_int_equal(isim_ppc_script_fail(f->fw, ISIM_PPC_H_STUFF_TCE,
					      isim_ppc_script_calls(f->fw, ISIM_PPC_H_STUFF_TCE), 1,
					      ISIM_H_HARDWARE),
			 0);
	isim_ppc_tce_clear(f->tbl, f->cpu, 1, 1025);
	assert_int_equal(n_calls(f, ISIM_PPC_H_STUFF_TCE), 1);
	assert_int_equal(isim_ppc_script_tce_count(f->fw, DEF_LIOBN), 512);
	assert_int_equal(f->tbl->st.fw_ignored, 2);
}

/* The direct window's ranges: RAM in lists of 512 (read and write), cleared in stuffs of 512. */
static void test_ranges(void **state)
{
	struct ppc_fx *f = *state;
	struct isim_ddw_window w;
	struct isim_ppc_call_rec r;

	assert_int_equal(isim_ppc_rtas_create(f->fw, f->cpu, 1, 16, 33, &w), 0);
	isim_ppc_script_log_clear(f->fw);
	/* 64 MiB of RAM in 64 KiB TCEs: 1024, two lists */
	assert_int_equal(
		isim_lpar_setrange(f->fw, f->cpu, true, w.liobn, 16, w.addr, 0, UINT64_C(64) << 20),
		0);
	assert_int_equal(n_calls(f, ISIM_PPC_H_PUT_TCE_INDIRECT), 2);
	r = rec(f, 1);
	assert_int_equal(r.ioba, w.addr + (UINT64_C(512) << 16));
	assert_int_equal(r.value, (UINT64_C(512) << 16) | 3);
	assert_int_equal(isim_ppc_script_tce_count(f->fw, w.liobn), 1024);
	/* the whole 8 GiB window: 2^17 TCEs, 256 stuffs */
	assert_int_equal(isim_lpar_clearrange(f->fw, f->cpu, w.liobn, 16, w.addr, 1u << 17), 0);
	assert_int_equal(n_calls(f, ISIM_PPC_H_STUFF_TCE), 256);
	assert_int_equal(rec(f, 257).ioba, w.addr + (UINT64_C(255) << 25));
	assert_int_equal(isim_ppc_script_tce_count(f->fw, w.liobn), 0);
	/* without multi-TCE firmware: one put per TCE, 16 for 1 MiB */
	assert_int_equal(
		isim_lpar_setrange(f->fw, f->cpu, false, w.liobn, 16, w.addr, 0, UINT64_C(1) << 20),
		0);
	assert_int_equal(n_calls(f, ISIM_PPC_H_PUT_TCE), 16);
	/* a list that fails ends the range with its answer */
	assert_int_equal(isim_ppc_script_fail(f->fw, ISIM_PPC_H_PUT_TCE_INDIRECT, 3, 1,
					      ISIM_H_NOT_ENOUGH_RESOURCES),
			 0);
	assert_int_equal(
		isim_lpar_setrange(f->fw, f->cpu, true, w.liobn, 16, w.addr, 0, UINT64_C(64) << 20),
		ISIM_H_NOT_ENOUGH_RESOURCES);
	assert_int_equal(n_calls(f, ISIM_PPC_H_PUT_TCE_INDIRECT), 4);
}

/* A PowerNV table: level pages on first write, direct TCE writes, a kill per set and clear. */
static void make_ioda2(struct ppc_fx *f)
{
	struct isim_ppc_table_config cfg = {.mem = f->mem,
					    .fw = f->fw,
					    .kind = ISIM_PPC_TABLE_IODA2,
					    .pe = 5,
					    .size = UINT64_C(64) << 20,
					    .page_shift = 16,
					    .level_tces = 512};

	assert_int_equal(isim_ppc_table_create(&cfg, f->cpu, &f->tbl), 0);
}

static void test_ioda2(void **state)
{
	struct ppc_fx *f = *state;
	struct isim_ppc_call_rec r;

	make_ioda2(f);
	/* not yet on the PE: no kill, and a fresh table writes nothing */
	assert_int_equal(isim_ppc_script_log_len(f->fw), 0);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_PTE_WRITE), 0);
	isim_ppc_table_link(f->tbl, true);
	assert_int_equal(isim_ppc_tce_set(f->tbl, f->cpu, 3, 2, 0x40000, IOMMUSIM_DMA_FROM_DEVICE),
			 0);
	/* PowerNV grants exactly the direction: write only */
	assert_int_equal(isim_ppc_tce_get(f->tbl, f->cpu, 3), 0x40000 | ISIM_TCE_WRITE);
	assert_int_equal(isim_ppc_tce_get(f->tbl, f->cpu, 4), 0x50000 | ISIM_TCE_WRITE);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_PTE_WRITE), 2);
	assert_int_equal(n_calls(f, ISIM_PPC_OPAL_TCE_KILL), 1);
	r = rec(f, 0);
	assert_int_equal(r.target, 5);
	assert_int_equal(r.ioba, 3 << 16);
	assert_int_equal(r.count, 2);
	assert_int_equal(r.value, 16);
	isim_ppc_tce_clear(f->tbl, f->cpu, 3, 2);
	assert_int_equal(isim_ppc_tce_get(f->tbl, f->cpu, 3), 0);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_PTE_WRITE), 4);
	assert_int_equal(n_calls(f, ISIM_PPC_OPAL_TCE_KILL), 2);
	/* no hypervisor call at all on bare metal */
	assert_int_equal(n_calls(f, ISIM_PPC_H_PUT_TCE) + n_calls(f, ISIM_PPC_H_STUFF_TCE), 0);
}

/*
 * The kernel's free skips a missing level page by rounding its loop count up to the level
 * size: a clear that starts in a missing page and runs into a present one misses the latter.
 */
static void test_ioda2_level_skip(void **state)
{
	struct ppc_fx *f = *state;

	make_ioda2(f);
	isim_ppc_table_link(f->tbl, true);
	assert_int_equal(isim_ppc_tce_set(f->tbl, f->cpu, 512, 4, 0, IOMMUSIM_DMA_TO_DEVICE), 0);
	isim_ppc_tce_clear(f->tbl, f->cpu, 500, 20);
	assert_int_equal(isim_ppc_tce_get(f->tbl, f->cpu, 512), ISIM_TCE_READ);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_PTE_WRITE), 4);
	assert_int_equal(n_calls(f, ISIM_PPC_OPAL_TCE_KILL), 2);
}

/* No memory for a level page: the set fails with -ENOMEM and sends no kill. */
static void test_ioda2_oom(void **state)
{
	struct ppc_fx *f = *state;

	make_ioda2(f);
	isim_ppc_table_link(f->tbl, true);
	f->fm.budget = 0;
	assert_int_equal(isim_ppc_tce_set(f->tbl, f->cpu, 3, 1, 0, IOMMUSIM_DMA_TO_DEVICE),
			 -ENOMEM);
	f->fm.budget = -1;
	assert_int_equal(n_calls(f, ISIM_PPC_OPAL_TCE_KILL), 0);
	assert_int_equal(f->tbl->st.set_failures, 1);
}

/* A test run on the rig of setup(), torn down after. */
#define FX_TEST(t) cmocka_unit_test_setup_teardown(t, setup, ppc_fx_teardown)

SUITE_MAIN(FX_TEST(test_init_clear), FX_TEST(test_set_one), FX_TEST(test_set_runs),
	   FX_TEST(test_no_multi_tce), FX_TEST(test_indirect_resources_second),
	   FX_TEST(test_indirect_resources_first), FX_TEST(test_put_resources),
	   FX_TEST(test_other_errors_ignored), FX_TEST(test_ranges), FX_TEST(test_ioda2),
	   FX_TEST(test_ioda2_level_skip), FX_TEST(test_ioda2_oom))
