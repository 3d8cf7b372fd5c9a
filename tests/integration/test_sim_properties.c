/* SPDX-License-Identifier: MIT */
/*
 * Properties every run's statistics must have, whatever the platform, policy, workload or
 * seed: latency quantiles ordered and inside [min, max], the mean inside it too, every
 * utilisation a fraction, rates and counts that agree. Checked over many short runs, so that
 * a figure that cannot be true (a p99 above the maximum, a CPU busy 100.0002 % of the time)
 * fails here whichever corner produces it.
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

static void check(const char *what, const struct iommusim_sim_stats *st)
{
	const double fractions[] = {st->server_util, st->cpu_util, st->device_util};

	if (st->ios_completed) {
		if (!(st->lat_min_us <= st->lat_p50_us && st->lat_p50_us <= st->lat_p99_us &&
		      st->lat_p99_us <= st->lat_max_us))
			fail_msg("%s: latencies out of order: min %.3f p50 %.3f p99 %.3f max %.3f",
				 what, st->lat_min_us, st->lat_p50_us, st->lat_p99_us,
				 st->lat_max_us);
		if (!(st->lat_min_us <= st->lat_mean_us && st->lat_mean_us <= st->lat_max_us))
			fail_msg("%s: mean %.3f outside [%.3f, %.3f]", what, st->lat_mean_us,
				 st->lat_min_us, st->lat_max_us);
	}
	for (size_t i = 0; i < sizeof(fractions) / sizeof(fractions[0]); i++)
		if (!(fractions[i] >= 0.0 && fractions[i] <= 1.0))
			fail_msg("%s: utilisation %zu is %.9f", what, i, fractions[i]);
	assert_true(st->iops == (double)st->ios_completed / st->sim_seconds);
	assert_int_equal(st->map_failures, st->io_errors);
	assert_int_equal(st->ios_submitted_total, st->ios_completed_total + st->io_errors_total);
}

/* One short run; @sets follow the profile. */
static void run(const char *platform, enum iommusim_policy policy, uint64_t seed,
		const struct iommusim_nvme_config *nvme, const char *const *sets, size_t nsets)
{
	struct iommusim_sim_config cfg;
	struct iommusim_sim_stats st;
	enum iommusim_platform_kind kind;
	struct iommusim_cost *cost;
	struct iommusim_mem *mem;
	char what[160], err[256] = "";

	snprintf(what, sizeof(what), "%s %s seed %llu, %u KiB x %u", platform,
		 iommusim_policy_name(policy), (unsigned long long)seed, nvme->block_size / 1024,
		 nvme->iodepth);
	assert_int_equal(iommusim_platform_lookup(platform, &kind), 0);
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem), 0);
	assert_int_equal(iommusim_cost_create(mem, &cost), 0);
	if (iommusim_cost_configure(cost, platform, sets, nsets, err, sizeof(err), NULL))
		fail_msg("%s: %s", what, err);
	cfg = (struct iommusim_sim_config){
		.platform = kind,
		.policy = policy,
		.cpus = 2,
		.guest_memory = 1ull << 30,
		.nvme = *nvme,
		.cost = cost,
		.seed = seed,
		.warmup_ns = 2 * MS,
		.measure_ns = 8 * MS,
	};
	st = sim_run_once(mem, &cfg);
	check(what, &st);
	iommusim_cost_destroy(cost);
	iommusim_mem_destroy(mem);
}

static void test_sim_properties_every_platform_policy_seed(void **state)
{
	static const char *const platforms[] = {"lpar", "zvm", "kvm-qemu7.1", "kvm"};
	/* a drive with no jitter, where every latency may be the same, and a jittery one */
	static const char *const steady[] = {"nvme.device_jitter_ns=0"};
	static const char *const jittery[] = {"nvme.device_jitter_ns=40000",
					      "vfio.dma_entry_limit=2048"};
	const struct iommusim_nvme_config small = {.jobs = 2, .iodepth = 8, .block_size = 4096};
	const struct iommusim_nvme_config big = {
		.jobs = 2, .iodepth = 4, .block_size = 128 * 1024, .sequential = true};

	(void)state;
	for (size_t p = 0; p < sizeof(platforms) / sizeof(platforms[0]); p++) {
		bool kvm = platforms[p][0] == 'k';

		/* the s390 policies (tests/integration/test_ppc_sim.c has powerpc's) */
		for (unsigned int pol = 0; pol <= IOMMUSIM_POLICY_LEGACY; pol++) {
			for (uint64_t seed = 1; seed <= 3; seed++)
				run(platforms[p], (enum iommusim_policy)pol, seed, &small, NULL, 0);
			run(platforms[p], (enum iommusim_policy)pol, 7, &small, steady, 1);
			run(platforms[p], (enum iommusim_policy)pol, 8, &big, jittery, kvm ? 2 : 1);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_properties_every_platform_policy_seed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
