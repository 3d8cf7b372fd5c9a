/* SPDX-License-Identifier: MIT */
/*
 * The calibration's verdict (docs/calibration.md): with the cost table's profile values, the
 * three published observations fall inside their bands. Each observation is a ratio of two
 * simulations of a built-in scenario with seed 1, run as `compare` runs them; the windows are
 * shorter than scripts/calibrate's, chosen so that each gives the same verdict (the numbers
 * in the comments are those of this file's windows).
 *
 * A change to the model or to a profile that moves an observation out of its band fails
 * here, and the calibration must then be redone (scripts/calibrate).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <iommusim/iommusim.h>

#include "sim_run.h"

#define MS 1000000ull

/* IOPS of @policy on @platform in scenario @name, seed 1, the given times. */
static double iops(const char *name, const char *platform, enum iommusim_policy policy,
		   uint64_t warmup_ns, uint64_t measure_ns)
{
	const struct iommusim_scenario *sc = iommusim_scenario_lookup(name);
	struct iommusim_sim_config cfg;
	struct iommusim_sim_stats st;
	enum iommusim_platform_kind kind;
	struct iommusim_cost *cost;
	struct iommusim_mem *mem;
	char err[256] = "";

	assert_non_null(sc);
	assert_int_equal(iommusim_platform_lookup(platform, &kind), 0);
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem), 0);
	assert_int_equal(iommusim_cost_create(mem, &cost), 0);
	assert_int_equal(
		iommusim_scenario_configure(sc, platform, cost, NULL, 0, err, sizeof(err), NULL),
		0);
	iommusim_scenario_sim_config(sc, kind, policy, cost, &cfg);
	cfg.warmup_ns = warmup_ns;
	cfg.measure_ns = measure_ns;
	st = sim_run_once(mem, &cfg);
	iommusim_cost_destroy(cost);
	assert_int_equal(iommusim_mem_live_bytes(mem), 0);
	iommusim_mem_destroy(mem);
	assert_true(st.iops > 0);
	return st.iops;
}

static double ratio(const char *name, const char *platform, enum iommusim_policy policy,
		    uint64_t warmup_ns, uint64_t measure_ns)
{
	double r = iops(name, platform, policy, warmup_ns, measure_ns) /
		   iops(name, platform, IOMMUSIM_POLICY_LEGACY, warmup_ns, measure_ns);

	printf("# %s %s %s / legacy = %.4f\n", name, platform, iommusim_policy_name(policy), r);
	return r;
}

/* O1: KVM of September 2022 (QEMU 7.1, host < 6.2), strict / legacy "about half" (0.507). */
static void test_calibration_o1_kvm_strict_half_of_legacy(void **state)
{
	double r;

	(void)state;
	r = ratio("s390-nvme-2022", "kvm", IOMMUSIM_POLICY_STRICT, 2000 * MS, 2000 * MS);
	assert_true(r >= 0.45 && r <= 0.55);
}

/* O2: on LPAR the per-CPU flush queue matches the legacy ops (0.996). */
static void test_calibration_o2_lpar_fq_matches_legacy(void **state)
{
	double r;

	(void)state;
	r = ratio("s390-nvme-2022", "lpar", IOMMUSIM_POLICY_FQ_PERCPU, 100 * MS, 500 * MS);
	assert_true(r >= 0.95 && r <= 1.05);
}

/* O3: under z/VM the plain 6.7 conversion "plummets to about half" (0.512). */
static void test_calibration_o3_zvm_fq_half_of_legacy(void **state)
{
	double r;

	(void)state;
	r = ratio("s390-nvme-2023", "zvm", IOMMUSIM_POLICY_FQ_PERCPU, 1000 * MS, 3000 * MS);
	assert_true(r >= 0.40 && r <= 0.60);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calibration_o1_kvm_strict_half_of_legacy),
		cmocka_unit_test(test_calibration_o2_lpar_fq_matches_legacy),
		cmocka_unit_test(test_calibration_o3_zvm_fq_half_of_legacy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
