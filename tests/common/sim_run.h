/* SPDX-License-Identifier: MIT */
/*
 * One whole simulation for the tests that look at its outcome: create, run to the end, read
 * the statistics, destroy. Header-only, so each test executable gets its own copy; include it
 * after <cmocka.h>.
 */
#ifndef TESTS_COMMON_SIM_RUN_H
#define TESTS_COMMON_SIM_RUN_H

#include <iommusim/mem.h>
#include <iommusim/sim.h>

static inline struct iommusim_sim_stats sim_run_once(struct iommusim_mem *mem,
						     const struct iommusim_sim_config *cfg)
{
	struct iommusim_sim_stats st;
	struct iommusim_sim *sim;

	assert_int_equal(iommusim_sim_create(mem, cfg, &sim), 0);
	assert_int_equal(iommusim_sim_run(sim), 0);
	iommusim_sim_get_stats(sim, &st);
	iommusim_sim_destroy(sim);
	return st;
}

#endif /* TESTS_COMMON_SIM_RUN_H */
