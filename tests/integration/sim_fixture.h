/* SPDX-License-Identifier: MIT */
/*
 * Whole simulations: the NVMe workload through each DMA policy on each platform. Every I/O is
 * accounted for, nothing stays mapped, runs repeat bit for bit, each policy's RPCIT stream has
 * its shape, the vfio budget's exhaustion is answered as s390.enomem says, and bad
 * configurations are refused. Runs are tens of simulated milliseconds.
 *
 * The helpers and fixtures of test_sim_policies.c and test_sim_runner.c, which include this header
 * after <cmocka.h>.
 */
#ifndef TESTS_SIM_FIXTURE_H
#define TESTS_SIM_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "fields.h"
#include "sim_run.h"
#include "fixture_state.h"

/* A counter and the value it must have, for EXPECT_FIELDS(). */
#define SIM_STATS(field, value) FIELD(struct iommusim_sim_stats, field, value)

#define MS  1000000ull
#define GiB (1ull << 30)
#define KiB 1024u

struct fixture {
	struct iommusim_mem *mem;
	struct iommusim_cost *cost;
	struct iommusim_sim_config cfg;
};

/* The platform's profile, then @sets: what `compare` resolves before a run. */
static inline void configure(struct fixture *f, enum iommusim_platform_kind platform,
			     const char *const *sets, size_t nsets)
{
	char err[256] = "";
	long bad = -1;

	assert_int_equal(iommusim_cost_configure(f->cost, iommusim_platform_name(platform), sets,
						 nsets, err, sizeof(err), &bad),
			 0);
	f->cfg.platform = platform;
}

/* 2 CPUs, 2 jobs x QD 8, 4 KiB random reads, 1 GiB guest, 5 ms warm-up, 20 ms measured. */
static inline void fixture_up(struct fixture *f, enum iommusim_platform_kind platform,
			      enum iommusim_policy policy)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &f->mem), 0);
	assert_int_equal(iommusim_cost_create(f->mem, &f->cost), 0);
	f->cfg = (struct iommusim_sim_config){
		.policy = policy,
		.cpus = 2,
		.guest_memory = 1 * GiB,
		.nvme = {.jobs = 2, .iodepth = 8, .block_size = 4 * KiB},
		.cost = f->cost,
		.seed = 1,
		.warmup_ns = 5 * MS,
		.measure_ns = 20 * MS,
	};
	configure(f, platform, NULL, 0);
}

/* fixture_up(), then the platform's profile again with @sets on top. */
static inline void fixture_up_sets(struct fixture *f, enum iommusim_platform_kind platform,
				   enum iommusim_policy policy, const char *const *sets,
				   size_t nsets)
{
	fixture_up(f, platform, policy);
	configure(f, platform, sets, nsets);
}

static inline void fixture_down(struct fixture *f)
{
	iommusim_cost_destroy(f->cost);
	assert_int_equal(iommusim_mem_live_objects(f->mem), 0);
	iommusim_mem_destroy(f->mem);
}

/* What most tests start from: LPAR with the strict policy. */
FIXTURE_STATE(sim, struct fixture, fixture_up, fixture_down, IOMMUSIM_PLATFORM_LPAR,
	      IOMMUSIM_POLICY_STRICT)

/* Create, run, read the statistics, destroy; no object may outlive the simulation. */
static inline void run(struct fixture *f, struct iommusim_sim_stats *st)
{
	uint64_t before = iommusim_mem_live_objects(f->mem);

	*st = sim_run_once(f->mem, &f->cfg);
	assert_int_equal(iommusim_mem_live_objects(f->mem), before);
}

/*
 * What every finished run must satisfy: I/Os submitted in the interval end as completed,
 * failed, or still in flight at its end, less those already in flight at its start; over the
 * whole run each submitted I/O completed or failed; the drain leaves no data mapping.
 */
static inline void check_conservation(const struct iommusim_sim_config *cfg,
				      const struct iommusim_sim_stats *st)
{
	uint64_t slots = (uint64_t)cfg->nvme.jobs * cfg->nvme.iodepth;

	assert_true(st->ios_completed > 0);
	assert_int_equal(st->ios_submitted + st->in_flight_start,
			 st->ios_completed + st->io_errors + st->in_flight_end);
	assert_int_equal(st->ios_submitted_total, st->ios_completed_total + st->io_errors_total);
	assert_true(st->ios_submitted_total >= st->ios_submitted);
	assert_true(st->in_flight_start <= slots && st->in_flight_end <= slots);
	/*
	 * Without a shared server a slot resubmits in the event that completes it, so without
	 * failures all are busy; with one (KVM) the steps are events of their own and a slot may
	 * sit between its unmap and its next submission.
	 */
	if (st->io_errors_total == 0 && cfg->platform != IOMMUSIM_PLATFORM_KVM)
		assert_int_equal(st->in_flight_end, slots);
	assert_int_equal(st->mapped_end, 0);
	assert_int_equal(st->map_failures, st->io_errors);
	/* measure_ns exactly: the interval is measure_ns converted to cycles and back. */
	assert_true(fabs(st->sim_seconds - (double)cfg->measure_ns / 1e9) < 1e-12);
	assert_true(st->iops == (double)st->ios_completed / st->sim_seconds);
	assert_true(st->mbps ==
		    (double)st->ios_completed * cfg->nvme.block_size / st->sim_seconds / 1e6);
	assert_true(st->lat_mean_us > 0 && st->lat_p50_us <= st->lat_p99_us);
	/* quantiles never above the largest latency, fractions never above 1 */
	assert_true(st->lat_p99_us <= st->lat_max_us);
	assert_true(st->lat_mean_us <= st->lat_max_us);
	assert_true(st->cpu_util > 0 && st->cpu_util <= 1.0);
	assert_true(st->device_util > 0 && st->device_util <= 1.0);
}

/* run(), then what every finished run must satisfy (check_conservation()). */
static inline void run_checked(struct fixture *f, struct iommusim_sim_stats *st)
{
	run(f, st);
	check_conservation(&f->cfg, st);
}

static const __attribute__((unused)) enum iommusim_policy all_policies[] = {
	IOMMUSIM_POLICY_STRICT,
	IOMMUSIM_POLICY_FQ_PERCPU,
	IOMMUSIM_POLICY_FQ_SINGLE,
	IOMMUSIM_POLICY_LEGACY,
};

/*
 * Every policy on KVM and on z/VM: the same accounting, and every mapped I/O got its map
 * RPCIT. QEMU serves RPCITs one at a time, and so does CP (zvm.serialize_rpcit=1 by default).
 */
/*
 * One map RPCIT per I/O mapped in the interval. An I/O counts as submitted when its
 * submission work starts; on a platform with an RPCIT server its map is an event of its own
 * that may fall on the other side of an interval boundary, so there the two may differ by the
 * slots in between.
 */
static inline void check_map_rpcits(const struct iommusim_sim_config *cfg,
				    const struct iommusim_sim_stats *st)
{
	uint64_t mapped = st->ios_submitted - st->io_errors;
	uint64_t slots = (uint64_t)cfg->nvme.jobs * cfg->nvme.iodepth;

	if (st->server_util == 0.0) {
		assert_int_equal(st->rpcit_map, mapped);
		return;
	}
	assert_true(st->rpcit_map + slots >= mapped && mapped + slots >= st->rpcit_map);
}

/*
 * 128 KiB sequential reads on KVM with the single flush queue and no aperture shrink: the
 * queue holds far more pages than a 2048-entry vfio budget, so the budget runs out. The 6.7
 * answer, a global RPCIT, keeps every I/O going; with no answer the maps fail, each failure
 * is an I/O error, and the accounting still closes.
 */
static inline struct iommusim_sim_stats run_budget(enum iommusim_s390_enomem mode)
{
	const char *sets[] = {"qemu.aperture_shrink=0", "vfio.dma_entry_limit=2048",
			      mode == IOMMUSIM_S390_ENOMEM_NONE ? "s390.enomem=none"
								: "s390.enomem=global-flush"};
	struct iommusim_sim_stats st;
	struct fixture f;

	fixture_up(&f, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_FQ_SINGLE);
	configure(&f, IOMMUSIM_PLATFORM_KVM, sets, 3);
	f.cfg.nvme.block_size = 128 * KiB;
	f.cfg.nvme.sequential = true;
	f.cfg.measure_ns = 30 * MS;
	run(&f, &st);
	check_conservation(&f.cfg, &st);
	assert_true(st.budget_exhausted > 0);
	assert_int_equal(st.budget_exhausted, st.platform.budget_exhausted);
	fixture_down(&f);
	return st;
}

struct progress_log {
	uint64_t calls;
	uint64_t last_done;
	uint64_t total;
	bool backwards;
};

static inline void log_progress(void *arg, uint64_t done_ns, uint64_t total_ns)
{
	struct progress_log *log = arg;

	log->backwards |= done_ns < log->last_done;
	log->last_done = done_ns;
	log->total = total_ns;
	log->calls++;
}

#endif /* TESTS_SIM_FIXTURE_H */
