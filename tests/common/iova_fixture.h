/* SPDX-License-Identifier: MIT */
/*
 * IOVA domains for the allocator's tests: the configuration they start from, and the structural
 * check of its tree that fails the test with the checker's reason.
 * Header-only, so each test executable gets its own copy; include it after <cmocka.h>.
 */
#ifndef TESTS_COMMON_IOVA_FIXTURE_H
#define TESTS_COMMON_IOVA_FIXTURE_H

#include <string.h>
#include <stdbool.h>
#include <iommusim/iova.h>

#include "iova/iova_check.h"
#include "machine.h"

/*
 * What the allocator's tests start from: 4 KiB pages from pfn 1, two possible CPUs, all of
 * them online, the kernel's list depot, @clock (may be NULL) for its trim work.
 */
static inline struct iommusim_iova_config iova_test_config(struct iommusim_mem *mem,
							   struct iommusim_clock *clock)
{
	return (struct iommusim_iova_config){
		.mem = mem,
		.clock = clock,
		.granule = 4096,
		.start_pfn = 1,
		.possible_cpus = 2,
		.online_cpus = 0,
		.depot = IOMMUSIM_IOVA_DEPOT_LIST,
	};
}

static inline struct iommusim_iova_domain *iova_domain_up(const struct iommusim_iova_config *cfg)
{
	struct iommusim_iova_domain *dom = NULL;

	assert_int_equal(iommusim_iova_domain_create(cfg, &dom), 0);
	return dom;
}

/* isim_iova_check(): the tree, the hints and the caches agree with each other. */
static inline void iova_check_tree(struct iommusim_iova_domain *dom)
{
	char why[256] = "";

	if (isim_iova_check(dom, why, sizeof(why)) != 0)
		fail_msg("isim_iova_check: %s", why);
}

#define IOVA_FX_MAX_CPUS 4

/* A domain on a machine of its own: what the rcache and depot tests run on. */
struct iova_fx {
	struct iommusim_mem *mem;
	struct iommusim_clock *clock;
	struct iommusim_cpu *cpu[IOVA_FX_MAX_CPUS];
	unsigned int ncpu;
	struct iommusim_iova_domain *dom;
};

/*
 * @ncpu CPU handles, a manual clock if @with_clock (for the depot's trim work), and a domain of
 * 4 KiB pages from @start_pfn with @possible CPUs, @online of them online, and @depot.
 */
static inline void iova_fx_up(struct iova_fx *fx, unsigned int ncpu, bool with_clock,
			      uint64_t start_pfn, unsigned int possible, unsigned int online,
			      enum iommusim_iova_depot depot)
{
	struct iommusim_iova_config cfg;

	memset(fx, 0, sizeof(*fx));
	fx->ncpu = ncpu;
	machine_up(IOMMUSIM_MEM_DEFAULT, &fx->mem, with_clock ? &fx->clock : NULL, fx->cpu, ncpu);
	cfg = iova_test_config(fx->mem, fx->clock);
	cfg.start_pfn = start_pfn;
	cfg.possible_cpus = possible;
	cfg.online_cpus = online;
	cfg.depot = depot;
	fx->dom = iova_domain_up(&cfg);
}

/* Check the tree, destroy the domain (if the test has not) and prove nothing is left behind. */
static inline void iova_fx_down(struct iova_fx *fx)
{
	if (fx->dom) {
		iova_check_tree(fx->dom);
		iommusim_iova_domain_destroy(fx->dom);
	}
	machine_down(fx->mem, fx->clock, fx->cpu, fx->ncpu);
}

#endif /* TESTS_COMMON_IOVA_FIXTURE_H */
