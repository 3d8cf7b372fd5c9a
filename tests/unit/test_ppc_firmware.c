/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the powerpc firmware interface (lib/firmware/ppc_firmware.h): counting by kind
 * and answer, the null platform, and the scriptable platform: its windows (query, create,
 * remove, reset), the checks QEMU and KVM make (unknown LIOBN, address outside the window, more
 * than 512 TCEs in one list), TCE tracking, the log, failures on demand, out-of-memory
 * (docs/powerpc.md, docs/sources.md S22, S25).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/cpu.h>
#include <iommusim/mem.h>

#include "ppc_fixture.h"

#define DEF_LIOBN PPC_FX_LIOBN
#define SZ_2G	  (UINT64_C(1) << 31)

static int setup(void **state)
{
	return ppc_fx_setup(state, SZ_2G, 3);
}

static struct isim_ppc_fw_stats stats(struct isim_ppc_fw *fw)
{
	struct isim_ppc_fw_stats st;

	isim_ppc_fw_get_stats(fw, &st);
	return st;
}

/* The null platform accepts everything, counts every call and answers QEMU's defaults. */
static void test_null_platform(void **state)
{
	struct ppc_fx *f = *state;
	struct isim_ppc_fw *fw;
	struct isim_ddw_query q;
	struct isim_ddw_window w;
	struct isim_ppc_fw_stats st;
	uint64_t list[3] = {1, 2, 3}, tce = 99;

	assert_int_equal(isim_ppc_fw_create_null(f->mem, &fw), 0);
	assert_int_equal(isim_ppc_h_put_tce(fw, f->cpu, 1, 0x1000, 0x3), ISIM_H_SUCCESS);
	assert_int_equal(isim_ppc_h_put_tce_indirect(fw, f->cpu, 1, 0x2000, list, 3), 0);
	assert_int_equal(isim_ppc_h_stuff_tce(fw, f->cpu, 1, 0x2000, 0, 700), 0);
	assert_int_equal(isim_ppc_h_get_tce(fw, f->cpu, 1, 0x1000, &tce), 0);
	assert_int_equal(tce, 0);
	assert_int_equal(isim_ppc_opal_tce_kill(fw, f->cpu, 7, 16, 0, 4), 0);
	assert_int_equal(isim_ppc_rtas_query(fw, f->cpu, 0x100, 6, &q), ISIM_RTAS_SUCCESS);
	assert_int_equal(q.windows_available, 1);
	assert_int_equal(q.largest_block, UINT64_C(1) << 31);
	assert_int_equal(q.page_sizes, ISIM_DDW_PGSIZE_4K | ISIM_DDW_PGSIZE_64K);
	assert_int_equal(isim_ppc_rtas_create(fw, f->cpu, 0x100, 16, 40, &w), 0);
	assert_int_equal(w.addr, UINT64_C(1) << 63);
	assert_int_equal(isim_ppc_rtas_remove(fw, f->cpu, w.liobn), 0);
	assert_int_equal(isim_ppc_rtas_reset(fw, f->cpu, 0x100, false), 0);
	st = stats(fw);
	for (unsigned int k = 0; k < ISIM_PPC_CALL_NR; k++) {
		assert_int_equal(st.calls[k], 1);
		assert_int_equal(st.failures[k], 0);
	}
	assert_int_equal(st.tces[ISIM_PPC_H_PUT_TCE], 1);
	assert_int_equal(st.tces[ISIM_PPC_H_PUT_TCE_INDIRECT], 3);
	assert_int_equal(st.tces[ISIM_PPC_H_STUFF_TCE], 700);
	assert_int_equal(st.tces[ISIM_PPC_OPAL_TCE_KILL], 4);
	isim_ppc_fw_destroy(fw);
}

/* A platform without a call: hypervisor calls answer H_FUNCTION, RTAS calls a parameter error. */
static void test_missing_calls(void **state)
{
	static const struct isim_ppc_fw_ops none = {0};
	struct ppc_fx *f = *state;
	struct isim_ppc_fw *fw;
	struct isim_ddw_query q;
	struct isim_ppc_fw_stats st;
	uint64_t tce;

	assert_int_equal(isim_ppc_fw_create(f->mem, NULL, NULL, &fw), -EINVAL);
	assert_int_equal(isim_ppc_fw_create(f->mem, &none, NULL, &fw), 0);
	assert_int_equal(isim_ppc_h_put_tce(fw, f->cpu, 1, 0, 1), ISIM_H_FUNCTION);
	assert_int_equal(isim_ppc_h_get_tce(fw, f->cpu, 1, 0, &tce), ISIM_H_FUNCTION);
	assert_int_equal(isim_ppc_rtas_query(fw, f->cpu, 0, 5, &q), ISIM_RTAS_PARAM_ERROR);
	assert_int_equal(isim_ppc_opal_tce_kill(fw, f->cpu, 0, 12, 0, 1), 0);
	st = stats(fw);
	assert_int_equal(st.failures[ISIM_PPC_H_PUT_TCE], 1);
	assert_int_equal(st.failures[ISIM_PPC_RTAS_QUERY], 1);
	assert_string_equal(isim_ppc_call_name(ISIM_PPC_H_STUFF_TCE), "h_stuff_tce");
	assert_string_equal(isim_ppc_call_name(ISIM_PPC_CALL_NR), "unknown");
	isim_ppc_fw_destroy(fw);
}

/* TCEs land in the default window and read back; clears remove them. */
static void test_script_tces(void **state)
{
	struct ppc_fx *f = *state;
	uint64_t list[4] = {0x10003, 0x11003, 0x12003, 0x13003}, tce = 0;

	assert_int_equal(isim_ppc_h_put_tce(f->fw, f->cpu, DEF_LIOBN, 0x5000, 0x77003), 0);
	assert_int_equal(isim_ppc_h_put_tce_indirect(f->fw, f->cpu, DEF_LIOBN, 0x8000, list, 4), 0);
	assert_int_equal(isim_ppc_script_tce(f->fw, DEF_LIOBN, 0x5000), 0x77003);
	assert_int_equal(isim_ppc_script_tce(f->fw, DEF_LIOBN, 0xa000), 0x12003);
	assert_int_equal(isim_ppc_script_tce_count(f->fw, DEF_LIOBN), 5);
	assert_int_equal(isim_ppc_h_get_tce(f->fw, f->cpu, DEF_LIOBN, 0xb000, &tce), 0);
	assert_int_equal(tce, 0x13003);
	/* a stuff of 0 over three of the list */
	assert_int_equal(isim_ppc_h_stuff_tce(f->fw, f->cpu, DEF_LIOBN, 0x9000, 0, 3), 0);
	assert_int_equal(isim_ppc_script_tce_count(f->fw, DEF_LIOBN), 2);
	assert_int_equal(isim_ppc_script_tce(f->fw, DEF_LIOBN, 0x8000), 0x10003);
	assert_int_equal(isim_ppc_script_tce(f->fw, DEF_LIOBN, 0xb000), 0);
	/* a stuff of no TCE is fine (KVM's check passes) */
	assert_int_equal(isim_ppc_h_stuff_tce(f->fw, f->cpu, DEF_LIOBN, 0x9000, 0, 0), 0);
}

/* Many TCEs: the table grows and deletes keep every other one findable. */
static void test_script_many_tces(void **state)
{
	struct ppc_fx *f = *state;

	for (uint64_t i = 0; i < 5000; i++)
		assert_int_equal(
			isim_ppc_h_put_tce(f->fw, f->cpu, DEF_LIOBN, i << 12, (i << 12) | 1), 0);
	for (uint64_t i = 0; i < 5000; i += 2)
		assert_int_equal(isim_ppc_h_put_tce(f->fw, f->cpu, DEF_LIOBN, i << 12, 0), 0);
	assert_int_equal(isim_ppc_script_tce_count(f->fw, DEF_LIOBN), 2500);
	for (uint64_t i = 0; i < 5000; i++)
		assert_int_equal(isim_ppc_script_tce(f->fw, DEF_LIOBN, i << 12),
				 i & 1 ? (i << 12) | 1 : 0);
}

/* QEMU's and KVM's checks: unknown LIOBN, outside the window, a list longer than a page. */
static void test_script_checks(void **state)
{
	struct ppc_fx *f = *state;
	static uint64_t list[513];

	assert_int_equal(isim_ppc_h_put_tce(f->fw, f->cpu, 0x99, 0, 1), ISIM_H_PARAMETER);
	assert_int_equal(isim_ppc_h_put_tce(f->fw, f->cpu, DEF_LIOBN, SZ_2G, 1), ISIM_H_PARAMETER);
	assert_int_equal(isim_ppc_h_put_tce(f->fw, f->cpu, DEF_LIOBN, SZ_2G - 0x1000, 1), 0);
	assert_int_equal(isim_ppc_h_stuff_tce(f->fw, f->cpu, DEF_LIOBN, SZ_2G - 0x1000, 0, 2),
			 ISIM_H_PARAMETER);
	assert_int_equal(isim_ppc_h_put_tce_indirect(f->fw, f->cpu, DEF_LIOBN, 0, list, 513),
			 ISIM_H_PARAMETER);
	assert_int_equal(isim_ppc_h_put_tce_indirect(f->fw, f->cpu, DEF_LIOBN, 0, list, 512), 0);
	assert_int_equal(stats(f->fw).failures[ISIM_PPC_H_PUT_TCE], 2);
	assert_int_equal(stats(f->fw).failures[ISIM_PPC_H_PUT_TCE_INDIRECT], 1);
	assert_int_equal(stats(f->fw).tces[ISIM_PPC_H_PUT_TCE_INDIRECT], 1025);
}

/* Windows: the first query sees one free; a created window goes to 2^59 (another exists). */
static void test_script_windows(void **state)
{
	struct ppc_fx *f = *state;
	struct isim_ddw_query q;
	struct isim_ddw_window w, w2;
	unsigned int ddws;
	bool def;

	assert_int_equal(isim_ppc_rtas_query(f->fw, f->cpu, 0x800, 5, &q), 0);
	assert_int_equal(q.windows_available, 1);
	assert_int_equal(q.largest_block, UINT64_C(1) << 20);
	/* a page size not offered, or a window smaller than a page: parameter errors */
	assert_int_equal(isim_ppc_rtas_create(f->fw, f->cpu, 0x800, 24, 40, &w),
			 ISIM_RTAS_PARAM_ERROR);
	assert_int_equal(isim_ppc_rtas_create(f->fw, f->cpu, 0x800, 16, 15, &w),
			 ISIM_RTAS_PARAM_ERROR);
	/* more TCEs than the largest block: the hypervisor has not got them */
	assert_int_equal(isim_ppc_rtas_create(f->fw, f->cpu, 0x800, 16, 37, &w),
			 ISIM_RTAS_HW_ERROR);
	assert_int_equal(isim_ppc_rtas_create(f->fw, f->cpu, 0x800, 16, 36, &w), 0);
	assert_int_equal(w.addr, UINT64_C(1) << 59);
	assert_int_equal(isim_ppc_rtas_create(f->fw, f->cpu, 0x800, 16, 30, &w2),
			 ISIM_RTAS_HW_ERROR);
	isim_ppc_script_windows(f->fw, &def, &ddws);
	assert_true(def);
	assert_int_equal(ddws, 1);
	/* TCEs of the new window, 64 KiB each */
	assert_int_equal(isim_ppc_h_put_tce(f->fw, f->cpu, w.liobn, w.addr + 0x30000, 0x123), 0);
	assert_int_equal(isim_ppc_script_tce(f->fw, w.liobn, w.addr + 0x3ffff), 0x123);
	/* the default window removed: a new one goes to 0, the first of the PE */
	assert_int_equal(isim_ppc_rtas_remove(f->fw, f->cpu, w.liobn), 0);
	assert_int_equal(isim_ppc_script_tce_count(f->fw, w.liobn), 0);
	assert_int_equal(isim_ppc_rtas_remove(f->fw, f->cpu, DEF_LIOBN), 0);
	assert_int_equal(isim_ppc_rtas_remove(f->fw, f->cpu, DEF_LIOBN), ISIM_RTAS_PARAM_ERROR);
	assert_int_equal(isim_ppc_rtas_query(f->fw, f->cpu, 0x800, 5, &q), 0);
	assert_int_equal(q.windows_available, 2);
	assert_int_equal(isim_ppc_rtas_create(f->fw, f->cpu, 0x800, 16, 33, &w), 0);
	assert_int_equal(w.addr, 0);
	/* a reset brings back the default window alone */
	assert_int_equal(isim_ppc_rtas_reset(f->fw, f->cpu, 0x800, false), 0);
	isim_ppc_script_windows(f->fw, &def, &ddws);
	assert_true(def);
	assert_int_equal(ddws, 0);
	assert_int_equal(stats(f->fw).calls[ISIM_PPC_RTAS_CREATE], 6);
	assert_int_equal(stats(f->fw).failures[ISIM_PPC_RTAS_CREATE], 4);
}

/* Limited addressing mode: windows made after the reset go to the configured address. */
static void test_script_limited(void **state)
{
	struct isim_ppc_script_config cfg = ppc_fx_script(SZ_2G);
	struct ppc_fx *f = *state;
	struct isim_ddw_window w;
	struct isim_ppc_fw *fw;

	cfg.limited_addr = UINT64_C(1) << 32;
	assert_int_equal(isim_ppc_fw_create_script(f->mem, &cfg, &fw), 0);
	assert_int_equal(isim_ppc_rtas_reset(fw, f->cpu, 1, true), 0);
	assert_int_equal(isim_ppc_rtas_create(fw, f->cpu, 1, 16, 33, &w), 0);
	assert_int_equal(w.addr, UINT64_C(1) << 32);
	isim_ppc_fw_destroy(fw);
}

/* The five-word query carries a 32-bit block, whatever the platform has. */
static void test_query_words(void **state)
{
	struct isim_ppc_script_config cfg = ppc_fx_script(SZ_2G);
	struct ppc_fx *f = *state;
	struct isim_ddw_query q;
	struct isim_ppc_fw *fw;

	cfg.largest_block = (UINT64_C(1) << 33) + 5;
	assert_int_equal(isim_ppc_fw_create_script(f->mem, &cfg, &fw), 0);
	assert_int_equal(isim_ppc_rtas_query(fw, f->cpu, 1, 5, &q), 0);
	assert_int_equal(q.largest_block, 5);
	assert_int_equal(isim_ppc_rtas_query(fw, f->cpu, 1, 6, &q), 0);
	assert_int_equal(q.largest_block, (UINT64_C(1) << 33) + 5);
	isim_ppc_fw_destroy(fw);
}

/* Failures on demand: by index of the kind, for a count or for ever; counted as failures. */
static void test_script_fail_rules(void **state)
{
	struct ppc_fx *f = *state;
	struct isim_ddw_window w;
	struct isim_ppc_call_rec r;

	assert_int_equal(
		isim_ppc_script_fail(f->fw, ISIM_PPC_H_PUT_TCE, 1, 2, ISIM_H_NOT_ENOUGH_RESOURCES),
		0);
	assert_int_equal(isim_ppc_script_fail(f->fw, ISIM_PPC_RTAS_CREATE, 0, 0, ISIM_RTAS_BUSY),
			 0);
	assert_int_equal(isim_ppc_script_fail(f->fw, ISIM_PPC_H_PUT_TCE, 0, 0, 0), -EINVAL);
	assert_int_equal(isim_ppc_h_put_tce(f->fw, f->cpu, DEF_LIOBN, 0, 1), 0);
	assert_int_equal(isim_ppc_h_put_tce(f->fw, f->cpu, DEF_LIOBN, 0x1000, 1),
			 ISIM_H_NOT_ENOUGH_RESOURCES);
	assert_int_equal(isim_ppc_h_put_tce(f->fw, f->cpu, DEF_LIOBN, 0x2000, 1),
			 ISIM_H_NOT_ENOUGH_RESOURCES);
	assert_int_equal(isim_ppc_h_put_tce(f->fw, f->cpu, DEF_LIOBN, 0x3000, 1), 0);
	/* a scripted failure changes nothing */
	assert_int_equal(isim_ppc_script_tce(f->fw, DEF_LIOBN, 0x1000), 0);
	assert_int_equal(isim_ppc_script_tce(f->fw, DEF_LIOBN, 0x3000), 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(isim_ppc_rtas_create(f->fw, f->cpu, 1, 16, 30, &w),
				 ISIM_RTAS_BUSY);
	assert_int_equal(stats(f->fw).failures[ISIM_PPC_H_PUT_TCE], 2);
	assert_int_equal(stats(f->fw).busy[ISIM_PPC_RTAS_CREATE], 3);
	assert_int_equal(stats(f->fw).failures[ISIM_PPC_RTAS_CREATE], 0);
	assert_int_equal(isim_ppc_script_calls(f->fw, ISIM_PPC_H_PUT_TCE), 4);
	/* the log, in order, with what each call named */
	assert_int_equal(isim_ppc_script_log_len(f->fw), 7);
	assert_int_equal(isim_ppc_script_log_count(f->fw, ISIM_PPC_H_PUT_TCE), 4);
	assert_int_equal(isim_ppc_script_log_get(f->fw, 1, &r), 0);
	assert_int_equal(r.kind, ISIM_PPC_H_PUT_TCE);
	assert_int_equal(r.cpu_id, 3);
	assert_int_equal(r.target, DEF_LIOBN);
	assert_int_equal(r.ioba, 0x1000);
	assert_int_equal(r.rc, ISIM_H_NOT_ENOUGH_RESOURCES);
	assert_int_equal(isim_ppc_script_log_get(f->fw, 6, &r), 0);
	assert_int_equal(r.kind, ISIM_PPC_RTAS_CREATE);
	assert_int_equal(r.ioba, 16);
	assert_int_equal(r.count, 30);
	assert_int_equal(isim_ppc_script_log_get(f->fw, 7, &r), -ERANGE);
	isim_ppc_script_log_clear(f->fw);
	assert_int_equal(isim_ppc_script_log_len(f->fw), 0);
}

/* The query functions of another platform answer nothing and fail nothing. */
static void test_script_queries_on_null(void **state)
{
	struct ppc_fx *f = *state;
	struct isim_ppc_call_rec r;
	struct isim_ppc_fw *fw;
	unsigned int ddws;
	bool def;

	assert_int_equal(isim_ppc_fw_create_null(f->mem, &fw), 0);
	assert_int_equal(isim_ppc_script_fail(fw, ISIM_PPC_H_PUT_TCE, 0, 0, -1), -EINVAL);
	assert_int_equal(isim_ppc_script_log_len(fw), 0);
	assert_int_equal(isim_ppc_script_log_get(fw, 0, &r), -EINVAL);
	assert_int_equal(isim_ppc_script_tce(fw, 1, 0), 0);
	isim_ppc_script_windows(fw, &def, &ddws);
	assert_false(def);
	isim_ppc_fw_destroy(fw);
}

/* Out of memory: creation fails cleanly; a TCE that cannot be tracked is refused as a
 * hypervisor short of memory refuses it, and counted. */
static void test_script_oom(void **state)
{
	struct ppc_fx *f = *state;
	struct isim_ppc_script_config sc = ppc_fx_script(SZ_2G);
	struct failing fm = {.budget = -1};
	struct iommusim_mem *mem;
	struct isim_ppc_fw *fw;
	long budget;

	assert_int_equal(iommusim_mem_create_custom(&failing_ops, &fm, &mem), 0);
	for (budget = 0; budget < 2; budget++) {
		fm.budget = budget;
		assert_int_equal(isim_ppc_fw_create_script(mem, &sc, &fw), -ENOMEM);
		assert_int_equal(iommusim_mem_live_objects(mem), 0);
	}
	fm.budget = 2;
	assert_int_equal(isim_ppc_fw_create_script(mem, &sc, &fw), 0);
	assert_int_equal(isim_ppc_h_put_tce(fw, f->cpu, DEF_LIOBN, 0, 1),
			 ISIM_H_NOT_ENOUGH_RESOURCES);
	assert_int_equal(isim_ppc_script_track_failures(fw), 1);
	isim_ppc_fw_destroy(fw);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

/* A test run on the rig of setup(), torn down after. */
#define FX_TEST(t) cmocka_unit_test_setup_teardown(t, setup, ppc_fx_teardown)

SUITE_MAIN(FX_TEST(test_null_platform), FX_TEST(test_missing_calls), FX_TEST(test_script_tces),
	   FX_TEST(test_script_many_tces), FX_TEST(test_script_checks),
	   FX_TEST(test_script_windows), FX_TEST(test_script_limited), FX_TEST(test_query_words),
	   FX_TEST(test_script_fail_rules), FX_TEST(test_script_queries_on_null),
	   FX_TEST(test_script_oom))
