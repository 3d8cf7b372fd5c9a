/* SPDX-License-Identifier: MIT */
/*
 * The fixture of the mlx5 tests (test_mlx5_*.c): a memory context that must be empty again
 * when a test ends, a cost set, and the simulation of an mlx5 function on a platform. Include
 * it after <cmocka.h>.
 */
#ifndef TESTS_UNIT_MLX5_FIXTURE_H
#define TESTS_UNIT_MLX5_FIXTURE_H

#include <stdlib.h>
#include <iommusim/iommusim.h>

#include "fixture_state.h"

struct fixture {
	struct iommusim_mem *mem;
	struct iommusim_cost *cost;
	char err[512];
};

static inline void fixture_up(struct fixture *f, int unused)
{
	(void)unused;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &f->mem), 0);
	assert_int_equal(iommusim_cost_create(f->mem, &f->cost), 0);
}

static inline void fixture_down(struct fixture *f)
{
	iommusim_cost_destroy(f->cost);
	/* every simulation gave back all it took */
	assert_int_equal(iommusim_mem_live_objects(f->mem), 0);
	iommusim_mem_destroy(f->mem);
}

FIXTURE_STATE(mlx5, struct fixture, fixture_up, fixture_down, 0)

/*
 * An mlx5 function on @platform under @policy: 2 CPUs and queues, small rings so that a run
 * is short, 5 ms of warm-up and 10 ms measured.
 */
static inline struct iommusim_sim_config mlx5_config(struct fixture *f, const char *platform,
						     enum iommusim_policy policy,
						     struct iommusim_mlx5_config m)
{
	enum iommusim_platform_kind kind;
	long bad;

	assert_int_equal(
		iommusim_cost_configure(f->cost, platform, NULL, 0, f->err, sizeof(f->err), &bad),
		0);
	assert_int_equal(iommusim_platform_lookup(platform, &kind), 0);
	if (!m.tx_ring)
		m.tx_ring = 64;
	if (!m.rx_ring)
		m.rx_ring = 64;
	return (struct iommusim_sim_config){
		.platform = kind,
		.policy = policy,
		.cpus = 2,
		.guest_memory = 1ull << 30,
		.cost = f->cost,
		.seed = 1,
		.warmup_ns = 5000000,
		.measure_ns = 10000000,
		.workload = IOMMUSIM_WORKLOAD_MLX5,
		.mlx5 = m,
	};
}

#endif /* TESTS_UNIT_MLX5_FIXTURE_H */
