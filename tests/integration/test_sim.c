/* SPDX-License-Identifier: MIT */
/*
 * Whole simulations: the NVMe workload through each DMA policy on each platform. Every I/O is
 * accounted for, nothing stays mapped, runs repeat bit for bit, each policy's RPCIT stream has
 * its shape, the vfio budget's exhaustion is answered as s390.enomem says, and bad
 * configurations are refused. Runs are tens of simulated milliseconds.
 */
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

/* A counter and the value it must have, for EXPECT_FIELDS(). */
#define SIM_STATS(field, value) FIELD(struct iommusim_sim_stats, field, value)

#define MS 1000000ull
#define GiB (1ull << 30)
#define KiB 1024u

struct fixture {
	struct iommusim_mem *mem;
	struct iommusim_cost *cost;
	struct iommusim_sim_config cfg;
};

/* The platform's profile, then @sets: what `compare` resolves before a run. */
static void configure(struct fixture *f, enum iommusim_platform_kind platform,
		      const char *const *sets, size_t nsets)
{
	char err[256] = "";
	long bad = -1;

	assert_int_equal(iommusim_cost_configure(f->cost, iommusim_platform_name(platform), sets,
						 nsets, err, sizeof(err), &bad), 0);
	f->cfg.platform = platform;
}

/* 2 CPUs, 2 jobs x QD 8, 4 KiB random reads, 1 GiB guest, 5 ms warm-up, 20 ms measured. */
static void fixture_up(struct fixture *f, enum iommusim_platform_kind platform,
		       enum iommusim_policy policy)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &f->mem), 0);
	assert_int_equal(iommusim_cost_create(f->mem, &f->cost), 0);
	f->cfg = (struct iommusim_sim_config){
		.policy = policy,
		.cpus = 2,
		.guest_memory = 1 * GiB,
		.nvme = { .jobs = 2, .iodepth = 8, .block_size = 4 * KiB },
		.cost = f->cost,
		.seed = 1,
		.warmup_ns = 5 * MS,
		.measure_ns = 20 * MS,
	};
	configure(f, platform, NULL, 0);
}

static void fixture_down(struct fixture *f)
{
	iommusim_cost_destroy(f->cost);
	assert_int_equal(iommusim_mem_live_objects(f->mem), 0);
	iommusim_mem_destroy(f->mem);
}

/* Create, run, read the statistics, destroy; no object may outlive the simulation. */
static void run(struct fixture *f, struct iommusim_sim_stats *st)
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
static void check_conservation(const struct iommusim_sim_config *cfg,
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
	assert_true(st->mbps == (double)st->ios_completed * cfg->nvme.block_size /
				       st->sim_seconds / 1e6);
	assert_true(st->lat_mean_us > 0 && st->lat_p50_us <= st->lat_p99_us);
	/* quantiles never above the largest latency, fractions never above 1 */
	assert_true(st->lat_p99_us <= st->lat_max_us);
	assert_true(st->lat_mean_us <= st->lat_max_us);
	assert_true(st->cpu_util > 0 && st->cpu_util <= 1.0);
	assert_true(st->device_util > 0 && st->device_util <= 1.0);
}

static const enum iommusim_policy all_policies[] = {
	IOMMUSIM_POLICY_STRICT,
	IOMMUSIM_POLICY_FQ_PERCPU,
	IOMMUSIM_POLICY_FQ_SINGLE,
	IOMMUSIM_POLICY_LEGACY,
};

/* Every policy on LPAR: I/Os conserved, nothing mapped, and no RPCIT for a new mapping. */
static void test_sim_conserves_every_policy_lpar(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct iommusim_sim_stats st;
		struct fixture f;

		fixture_up(&f, IOMMUSIM_PLATFORM_LPAR, all_policies[i]);
		run(&f, &st);
		check_conservation(&f.cfg, &st);
		/* LPAR reports tlb_refresh 0: maps are never refreshed. */
		assert_int_equal(st.rpcit_map, 0);
		assert_int_equal(st.io_errors, 0);
		/* No hypervisor server on LPAR. */
		assert_true(st.server_util == 0.0 && st.server_wait_us == 0.0);
		fixture_down(&f);
	}
}

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
static void check_map_rpcits(const struct iommusim_sim_config *cfg,
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

static void test_sim_conserves_every_policy_kvm_zvm(void **state)
{
	(void)state;
	for (size_t i = 0; i < 8; i++) {
		struct iommusim_sim_stats st;
		struct fixture f;

		fixture_up(&f, i < 4 ? IOMMUSIM_PLATFORM_KVM : IOMMUSIM_PLATFORM_ZVM,
			   all_policies[i % 4]);
		run(&f, &st);
		check_conservation(&f.cfg, &st);
		assert_int_equal(st.io_errors, 0);
		check_map_rpcits(&f.cfg, &st);
		assert_true(st.server_util > 0 && st.server_util <= 1.0);
		assert_true(st.platform.rpcits >= st.rpcit_map + st.rpcit_unmap + st.rpcit_global);
		fixture_down(&f);
	}
}

/*
 * Same configuration and seed: the same statistics, bit for bit, on every platform. Another
 * seed draws other device latencies: on LPAR, where nothing else queues the I/Os, the latency
 * figures move. (On KVM at this load QEMU's RPCIT server paces the closed loop, and Little's
 * law then fixes the mean latency whatever the draws.)
 */
static void test_sim_deterministic(void **state)
{
	static const enum iommusim_platform_kind kinds[] = {
		IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_PLATFORM_ZVM, IOMMUSIM_PLATFORM_KVM };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct iommusim_sim_stats a, b, c;
		struct fixture f;

		fixture_up(&f, kinds[i], IOMMUSIM_POLICY_FQ_PERCPU);
		f.cfg.seed = 42;
		run(&f, &a);
		run(&f, &b);
		assert_memory_equal(&a, &b, sizeof(a));
		/* The doubles once more, by value, so a failure names the figure. */
		assert_true(a.iops == b.iops && a.mbps == b.mbps);
		assert_true(a.lat_mean_us == b.lat_mean_us && a.lat_p99_us == b.lat_p99_us);
		assert_true(a.server_util == b.server_util && a.server_wait_us == b.server_wait_us);
		assert_true(a.cpu_util == b.cpu_util && a.device_util == b.device_util);
		if (kinds[i] == IOMMUSIM_PLATFORM_LPAR) {
			f.cfg.seed = 43;
			run(&f, &c);
			check_conservation(&f.cfg, &c);
			assert_true(c.lat_mean_us != a.lat_mean_us);
			assert_true(c.lat_max_us != a.lat_max_us);
		}
		fixture_down(&f);
	}
}

/* Strict on KVM: one ranged RPCIT per unmap, one per map, no global one. */
static void test_sim_kvm_strict_shape(void **state)
{
	struct iommusim_sim_stats st;
	struct fixture f;

	(void)state;
	fixture_up(&f, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_STRICT);
	run(&f, &st);
	check_conservation(&f.cfg, &st);
	assert_int_equal(st.rpcit_unmap, st.ios_completed);
	check_map_rpcits(&f.cfg, &st);
	EXPECT_FIELDS(&st, SIM_STATS(rpcit_global, 0), SIM_STATS(fq_size, 0),
		      SIM_STATS(fq_timeout_ms, 0), SIM_STATS(fq_flushes, 0));
	fixture_down(&f);
}

/*
 * Per-CPU flush queues on KVM: unmaps are never refreshed one by one; the 10 ms timer (or a
 * full queue of 256) flushes the whole aperture at least once in 20 ms.
 */
static void test_sim_kvm_fq_percpu_shape(void **state)
{
	struct iommusim_sim_stats st;
	struct fixture f;

	(void)state;
	fixture_up(&f, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_FQ_PERCPU);
	run(&f, &st);
	check_conservation(&f.cfg, &st);
	assert_int_equal(st.rpcit_unmap, 0);
	assert_true(st.rpcit_global > 0);
	EXPECT_FIELDS(&st, SIM_STATS(rpcit_global, st.fq_flushes), SIM_STATS(fq_size, 256),
		      SIM_STATS(fq_timeout_ms, 10));
	fixture_down(&f);
}

/*
 * The single flush queue, shrunk to 64 entries (dma.fq_size) so that it fills within the run:
 * a global RPCIT per flush, none per unmap; the reported size is the override, the timeout the
 * single queue's 1000 ms.
 */
static void test_sim_kvm_fq_single_shape(void **state)
{
	static const char *const sets[] = { "dma.fq_size=64" };
	struct iommusim_sim_stats st;
	struct fixture f;

	(void)state;
	fixture_up(&f, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_FQ_SINGLE);
	configure(&f, IOMMUSIM_PLATFORM_KVM, sets, 1);
	run(&f, &st);
	check_conservation(&f.cfg, &st);
	assert_int_equal(st.rpcit_unmap, 0);
	assert_true(st.rpcit_global > 0);
	EXPECT_FIELDS(&st, SIM_STATS(rpcit_global, st.fq_flushes), SIM_STATS(fq_size, 64),
		      SIM_STATS(fq_timeout_ms, 1000));
	/* 1000 ms never passes in 25 ms: only full queues flushed. Capacity 63, so at most one
	 * flush per 63 unmaps (completions), at least one per 63 + queued at the start. */
	assert_true(st.fq_flushes * 63 <= st.ios_completed + 63);
	fixture_down(&f);
}

/*
 * The legacy ops on KVM with a 2048-page aperture (guest.aperture_pages): an RPCIT per map,
 * none per unmap, and exactly one global RPCIT per wrap of the next-fit allocator, which
 * happens about every 2048 maps of one page. At the calibrated ~100 us per RPCIT under QEMU's
 * lock that is one wrap per ~0.2 s: 400 ms hold about two.
 */
static void test_sim_kvm_legacy_shape(void **state)
{
	static const char *const sets[] = { "guest.aperture_pages=2048" };
	struct iommusim_sim_stats st;
	struct fixture f;

	(void)state;
	fixture_up(&f, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_LEGACY);
	configure(&f, IOMMUSIM_PLATFORM_KVM, sets, 1);
	f.cfg.measure_ns = 400 * MS;
	run(&f, &st);
	check_conservation(&f.cfg, &st);
	check_map_rpcits(&f.cfg, &st);
	assert_int_equal(st.rpcit_unmap, 0);
	assert_true(st.legacy_wraps > 0);
	assert_int_equal(st.rpcit_global, st.legacy_wraps);
	/* Wraps come from running through the aperture: at most one per 2048 - 16 pages mapped
	 * (16 slots may hold pages the search skips). */
	assert_true(st.legacy_wraps * (2048 - 16) <= st.rpcit_map + 2048);
	assert_int_equal(st.fq_size, 0);
	fixture_down(&f);
}

/*
 * 128 KiB sequential reads on KVM with the single flush queue and no aperture shrink: the
 * queue holds far more pages than a 2048-entry vfio budget, so the budget runs out. The 6.7
 * answer, a global RPCIT, keeps every I/O going; with no answer the maps fail, each failure
 * is an I/O error, and the accounting still closes.
 */
static struct iommusim_sim_stats run_budget(enum iommusim_s390_enomem mode)
{
	const char *sets[] = { "qemu.aperture_shrink=0", "vfio.dma_entry_limit=2048",
			       mode == IOMMUSIM_S390_ENOMEM_NONE ? "s390.enomem=none"
								  : "s390.enomem=global-flush" };
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

static void test_sim_budget_global_flush_keeps_ios(void **state)
{
	struct iommusim_sim_stats st = run_budget(IOMMUSIM_S390_ENOMEM_GLOBAL_FLUSH);

	(void)state;
	assert_int_equal(st.io_errors, 0);
	assert_int_equal(st.map_failures, 0);
	assert_true(st.rpcit_global > 0);
}

static void test_sim_budget_no_answer_fails_ios(void **state)
{
	struct iommusim_sim_stats st = run_budget(IOMMUSIM_S390_ENOMEM_NONE);

	(void)state;
	/* More failures than slots: a slot whose I/O failed goes on with the next one. */
	assert_true(st.io_errors > 2 * 8);
	assert_int_equal(st.map_failures, st.io_errors);
	assert_true(st.io_errors_total >= st.io_errors);
}

/*
 * One job at QD 1 on LPAR, strict, no jitter: each I/O's latency is its own path. fio 1.5 +
 * submit 1.0 (lpar) + device service 1.0 (1 M IOPS ceiling) + device 80 + complete 1.5 (lpar)
 * + the unmap's RPCIT 1.0 = 86.0 µs, plus the guest's map and unmap (~70 + ~60 ns): within
 * [86.0, 86.4]. The closed loop keeps exactly one I/O in flight: IOPS = 1 / latency.
 */
static void test_sim_unloaded_latency_is_the_path(void **state)
{
	static const char *const sets[] = { "nvme.device_jitter_ns=0" };
	struct iommusim_sim_stats st;
	struct fixture f;

	(void)state;
	fixture_up(&f, IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_POLICY_STRICT);
	configure(&f, IOMMUSIM_PLATFORM_LPAR, sets, 1);
	f.cfg.nvme.jobs = 1;
	f.cfg.nvme.iodepth = 1;
	run(&f, &st);
	check_conservation(&f.cfg, &st);
	assert_true(st.lat_mean_us >= 86.0 && st.lat_mean_us <= 86.4);
	assert_true(st.lat_max_us - st.lat_mean_us < 0.1);
	assert_true(fabs(st.iops * st.lat_mean_us * 1e-6 - 1.0) < 0.01);
	assert_int_equal(st.rpcit_unmap, st.ios_completed);
	fixture_down(&f);
}

/*
 * The kernel's reported work is charged to the CPU that did it: a strict 1-page I/O writes one
 * PTE when mapping and one when unmapping, so raising guest.pte_write_cycles from 20 to 300
 * lengthens every QD-1 latency by 2 x 280 cycles = 560 / 5200 µs = 0.10769 µs.
 */
static void test_sim_reported_work_is_charged(void **state)
{
	static const char *const cheap[] = { "nvme.device_jitter_ns=0",
					     "guest.pte_write_cycles=20" };
	static const char *const dear[] = { "nvme.device_jitter_ns=0",
					    "guest.pte_write_cycles=300" };
	struct iommusim_sim_stats a, b;
	struct fixture f;

	(void)state;
	fixture_up(&f, IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_POLICY_STRICT);
	f.cfg.nvme.jobs = 1;
	f.cfg.nvme.iodepth = 1;
	configure(&f, IOMMUSIM_PLATFORM_LPAR, cheap, 2);
	run(&f, &a);
	configure(&f, IOMMUSIM_PLATFORM_LPAR, dear, 2);
	run(&f, &b);
	assert_true(fabs(b.lat_mean_us - a.lat_mean_us - 560.0 / 5200.0) < 1e-4);
	fixture_down(&f);
}

/*
 * Little's law for the closed loop: slots = IOPS x mean latency, since a slot starts its next
 * I/O in the event that completes the last one. With the default CPU costs (lpar: fio 1.5 +
 * submit 1.0 + complete 1.5 µs) two CPUs top out near 2 / 4.1 µs = 0.48 M IOPS; cut to
 * 0.3 + 0.3 + 0.5 µs they could do ~1.6 M, so the drive becomes the bottleneck: it queues
 * the I/Os (utilisation ~1) and IOPS sit at its ceiling.
 */
static void test_sim_closed_loop_and_device_ceiling(void **state)
{
	static const char *const sets[] = { "fio.loop_ns=300", "nvme.submit_ns=300",
					    "nvme.complete_ns=500" };
	struct iommusim_sim_stats st;
	struct fixture f;

	(void)state;
	fixture_up(&f, IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_POLICY_FQ_PERCPU);
	f.cfg.nvme.iodepth = 64;
	run(&f, &st);
	check_conservation(&f.cfg, &st);
	assert_true(fabs(st.iops * st.lat_mean_us * 1e-6 / 128.0 - 1.0) < 0.02);
	/* CPU-bound: both CPUs busy all the time, IOPS = 2 / (per-I/O CPU time). */
	assert_true(st.cpu_util > 0.99);
	assert_true(st.iops > 2 / 4.2e-6 && st.iops < 2 / 4.1e-6);
	assert_true(st.device_util < 0.6);
	fixture_down(&f);

	fixture_up(&f, IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_POLICY_FQ_PERCPU);
	configure(&f, IOMMUSIM_PLATFORM_LPAR, sets, 3);
	f.cfg.nvme.iodepth = 64;
	run(&f, &st);
	check_conservation(&f.cfg, &st);
	assert_true(fabs(st.iops * st.lat_mean_us * 1e-6 / 128.0 - 1.0) < 0.02);
	/* 4096 B at 7000 MB/s occupies the drive 0.585 µs, less than 1 / 1 M IOPS: the IOPS
	 * ceiling binds, 1 M IOPS. */
	assert_true(st.iops <= 1e6 * 1.001);
	assert_true(st.iops > 1e6 * 0.98);
	assert_true(st.mbps <= 4096.0 * 1.001);
	assert_true(st.device_util > 0.98);
	assert_true(st.cpu_util < 0.7);
	fixture_down(&f);

	fixture_up(&f, IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_POLICY_FQ_PERCPU);
	f.cfg.nvme.block_size = 128 * 1024;
	run(&f, &st);
	check_conservation(&f.cfg, &st);
	assert_true(st.iops <= 53406.0 * 1.001 && st.iops > 53406.0 * 0.98);
	assert_true(st.mbps <= 7000.0 * 1.001);
	assert_true(st.device_util > 0.98);
	fixture_down(&f);
}

/*
 * Strict on KVM maps and unmaps every page of every I/O in QEMU's shadow: each map RPCIT makes
 * block_size / 4096 pages newly valid (one VFIO map each), each unmap RPCIT removes as many.
 * 4 KiB and 8 KiB take dma_map_page, 16 KiB and 128 KiB one dma_map_sg with one RPCIT for all
 * its pages; writes map DMA_TO_DEVICE, which the shadow maps all the same.
 */
static void test_sim_kvm_strict_pages_per_io(void **state)
{
	static const uint32_t sizes[] = { 4 * KiB, 8 * KiB, 16 * KiB, 128 * KiB };

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		uint64_t pages = sizes[i] / 4096;
		struct iommusim_sim_stats st;
		struct fixture f;

		fixture_up(&f, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_STRICT);
		f.cfg.nvme.block_size = sizes[i];
		f.cfg.nvme.write = i % 2;
		run(&f, &st);
		check_conservation(&f.cfg, &st);
		check_map_rpcits(&f.cfg, &st);
		assert_int_equal(st.rpcit_unmap, st.ios_completed);
		assert_int_equal(st.platform.host_maps, pages * st.rpcit_map);
		assert_int_equal(st.platform.host_unmaps, pages * st.rpcit_unmap);
		/* The shadow holds the rings and the I/Os in flight, no more. */
		assert_true(st.platform.shadow_pages <= 2 * 2 + 16 * (pages + (pages > 2)));
		fixture_down(&f);
	}
}

/*
 * Offsets are recorded, never timed: sequential and random runs of one configuration are the
 * same run. And with no warm-up the interval starts at time 0, before any I/O.
 */
static void test_sim_offsets_do_not_change_timing(void **state)
{
	struct iommusim_sim_stats a, b;
	struct fixture f;

	(void)state;
	fixture_up(&f, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_FQ_SINGLE);
	f.cfg.warmup_ns = 0;
	run(&f, &a);
	f.cfg.nvme.sequential = true;
	run(&f, &b);
	check_conservation(&f.cfg, &a);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(a.in_flight_start, 0);
	assert_int_equal(a.ios_submitted, a.ios_submitted_total);
	fixture_down(&f);
}

/* Bad configurations are refused before anything is built. */
static void test_sim_bad_configs(void **state)
{
	struct iommusim_sim *sim = NULL;
	struct iommusim_sim_config c;
	struct fixture f;

	(void)state;
	fixture_up(&f, IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_POLICY_STRICT);
	c = f.cfg;
	c.nvme.jobs = 3; /* > 2 CPUs */
	assert_int_equal(iommusim_sim_create(f.mem, &c, &sim), -EINVAL);
	c = f.cfg;
	c.nvme.jobs = 0;
	assert_int_equal(iommusim_sim_create(f.mem, &c, &sim), -EINVAL);
	c = f.cfg;
	c.nvme.iodepth = 0;
	assert_int_equal(iommusim_sim_create(f.mem, &c, &sim), -EINVAL);
	c = f.cfg;
	c.nvme.block_size = 1000;
	assert_int_equal(iommusim_sim_create(f.mem, &c, &sim), -EINVAL);
	c = f.cfg;
	c.nvme.block_size = 0;
	assert_int_equal(iommusim_sim_create(f.mem, &c, &sim), -EINVAL);
	c = f.cfg;
	c.cost = NULL;
	assert_int_equal(iommusim_sim_create(f.mem, &c, &sim), -EINVAL);
	c = f.cfg;
	c.measure_ns = 0;
	assert_int_equal(iommusim_sim_create(f.mem, &c, &sim), -EINVAL);
	c = f.cfg;
	c.policy = IOMMUSIM_POLICY_NR;
	assert_int_equal(iommusim_sim_create(f.mem, &c, &sim), -EINVAL);
	/* 16 slots of 1 MiB buffers do not fit in 16 MiB of guest memory. */
	c = f.cfg;
	c.guest_memory = 16ull << 20;
	c.nvme.block_size = 1024 * KiB;
	assert_int_equal(iommusim_sim_create(f.mem, &c, &sim), -EINVAL);
	assert_null(sim);
	assert_int_equal(iommusim_mem_live_objects(f.mem), 1); /* the cost set */
	fixture_down(&f);
}

/* iommusim_sim_create_msg() names what it refused, and why; "" on success. */
static void test_sim_create_messages(void **state)
{
	static const char *const tiny[] = { "guest.aperture_pages=2" };
	struct iommusim_sim *sim = NULL;
	struct iommusim_sim_config c;
	struct fixture f;
	char msg[256];

	(void)state;
	fixture_up(&f, IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_POLICY_STRICT);
	c = f.cfg;
	c.nvme.jobs = 3;
	assert_int_equal(iommusim_sim_create_msg(f.mem, &c, &sim, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "nvme.jobs: 3 is not in 1..2 (one job per CPU)");
	c = f.cfg;
	c.nvme.block_size = 1000;
	assert_int_equal(iommusim_sim_create_msg(f.mem, &c, &sim, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "nvme.block_size: 1000 is not a positive multiple of 4096");
	c = f.cfg;
	c.guest_memory = 16ull << 20;
	c.nvme.block_size = 1024 * KiB;
	assert_int_equal(iommusim_sim_create_msg(f.mem, &c, &sim, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "nvme: rings and buffers"));
	assert_non_null(strstr(msg, "guest_memory is 16777216"));
	/* A window of 2 pages cannot hold 4 rings: the guest's DMA stack refuses. */
	configure(&f, IOMMUSIM_PLATFORM_LPAR, tiny, 1);
	assert_int_equal(iommusim_sim_create_msg(f.mem, &f.cfg, &sim, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "nvme: the guest's DMA stack refused to map the completion queue "
				 "ring (4096 bytes): out of memory or address space");
	/* A message too long for the buffer is cut, and a NULL buffer is fine. */
	c = f.cfg;
	c.cpus = 0;
	assert_int_equal(iommusim_sim_create_msg(f.mem, &c, &sim, msg, 6), -EINVAL);
	assert_string_equal(msg, "cpus:");
	assert_int_equal(iommusim_sim_create_msg(f.mem, &c, &sim, NULL, 0), -EINVAL);
	assert_null(sim);
	configure(&f, IOMMUSIM_PLATFORM_LPAR, NULL, 0);
	assert_int_equal(iommusim_sim_create_msg(f.mem, &f.cfg, &sim, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	iommusim_sim_destroy(sim);
	fixture_down(&f);
}

/* A simulation runs once; its statistics are zeros before that. */
static void test_sim_runs_once(void **state)
{
	struct iommusim_sim_stats st, zero;
	struct iommusim_sim *sim;
	struct fixture f;

	(void)state;
	fixture_up(&f, IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_POLICY_LEGACY);
	f.cfg.measure_ns = 1 * MS;
	assert_int_equal(iommusim_sim_create(f.mem, &f.cfg, &sim), 0);
	memset(&zero, 0, sizeof(zero));
	iommusim_sim_get_stats(sim, &st);
	assert_memory_equal(&st, &zero, sizeof(st));
	assert_int_equal(iommusim_sim_run(sim), 0);
	assert_int_equal(iommusim_sim_run(sim), -EALREADY);
	iommusim_sim_destroy(sim);
	iommusim_sim_destroy(NULL);
	fixture_down(&f);
}

struct progress_log {
	uint64_t calls;
	uint64_t last_done;
	uint64_t total;
	bool backwards;
};

static void log_progress(void *arg, uint64_t done_ns, uint64_t total_ns)
{
	struct progress_log *log = arg;

	log->backwards |= done_ns < log->last_done;
	log->last_done = done_ns;
	log->total = total_ns;
	log->calls++;
}

/*
 * The progress callback sees simulated time grow to the end in about 100 steps, and running
 * in those slices changes no result (KVM: servers, steps and timers all in play).
 */
static void test_sim_progress_changes_nothing(void **state)
{
	struct iommusim_sim_stats plain, sliced;
	struct progress_log log = {0};
	struct fixture f;

	(void)state;
	fixture_up(&f, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_FQ_PERCPU);
	run(&f, &plain);
	f.cfg.progress = log_progress;
	f.cfg.progress_arg = &log;
	run(&f, &sliced);
	assert_memory_equal(&plain, &sliced, sizeof(plain));
	assert_false(log.backwards);
	assert_int_equal(log.total, f.cfg.warmup_ns + f.cfg.measure_ns);
	/* the last slice ends one cycle before the end, which is under a ns at these clocks */
	assert_true(log.last_done + 1 >= log.total && log.last_done <= log.total);
	assert_true(log.calls >= 99 && log.calls <= 102);
	fixture_down(&f);
}

/* Names round-trip; unknown ones are refused. */
static void test_sim_policy_names(void **state)
{
	enum iommusim_policy p;

	(void)state;
	for (unsigned int i = 0; i < IOMMUSIM_POLICY_NR; i++) {
		assert_int_equal(iommusim_policy_lookup(iommusim_policy_name(i), &p), 0);
		assert_int_equal(p, i);
	}
	assert_string_equal(iommusim_policy_name(IOMMUSIM_POLICY_FQ_SINGLE), "fq-single");
	assert_string_equal(iommusim_policy_name(IOMMUSIM_POLICY_NR), "unknown");
	assert_int_equal(iommusim_policy_lookup("fq", &p), -ENOENT);
	assert_int_equal(iommusim_policy_lookup("Strict", &p), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim_conserves_every_policy_lpar),
		cmocka_unit_test(test_sim_conserves_every_policy_kvm_zvm),
		cmocka_unit_test(test_sim_deterministic),
		cmocka_unit_test(test_sim_kvm_strict_shape),
		cmocka_unit_test(test_sim_kvm_fq_percpu_shape),
		cmocka_unit_test(test_sim_kvm_fq_single_shape),
		cmocka_unit_test(test_sim_kvm_legacy_shape),
		cmocka_unit_test(test_sim_budget_global_flush_keeps_ios),
		cmocka_unit_test(test_sim_budget_no_answer_fails_ios),
		cmocka_unit_test(test_sim_unloaded_latency_is_the_path),
		cmocka_unit_test(test_sim_reported_work_is_charged),
		cmocka_unit_test(test_sim_closed_loop_and_device_ceiling),
		cmocka_unit_test(test_sim_kvm_strict_pages_per_io),
		cmocka_unit_test(test_sim_offsets_do_not_change_timing),
		cmocka_unit_test(test_sim_bad_configs),
		cmocka_unit_test(test_sim_create_messages),
		cmocka_unit_test(test_sim_runs_once),
		cmocka_unit_test(test_sim_progress_changes_nothing),
		cmocka_unit_test(test_sim_policy_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
