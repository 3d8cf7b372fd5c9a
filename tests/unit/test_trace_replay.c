/* SPDX-License-Identifier: MIT */
/*
 * Replaying a trace (IOMMUSIM_WORKLOAD_TRACE, sim/workload/trace_run.c): the same trace and
 * seed give the same statistics; every map is unmapped, failed or counted as left mapped; at
 * its recorded times an idle CPU makes each call on time and a slow platform builds a
 * backlog, while closed timing runs the calls back to back; an unmap waits for its map on
 * another CPU; a simulation records what it runs, and that trace replays call for call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "sim_run.h"
#include "suite_main.h"
#include "trace_fixture.h"

#define MS  1000000ull
#define GiB (1ull << 30)

/* A simulation of @t on @platform under @policy, 2 CPUs, 1 GiB, no warm-up, 1 s at most. */
static struct iommusim_sim_config config(struct iommusim_cost *cost, const char *platform,
					 enum iommusim_policy policy,
					 const struct iommusim_trace *t,
					 enum iommusim_trace_timing timing)
{
	char err[256];
	long bad;
	enum iommusim_platform_kind kind = IOMMUSIM_PLATFORM_LPAR;

	assert_int_equal(iommusim_cost_configure(cost, platform, NULL, 0, err, sizeof(err), &bad),
			 0);
	assert_int_equal(iommusim_platform_lookup(platform, &kind), 0);
	return (struct iommusim_sim_config){
		.platform = kind,
		.policy = policy,
		.cpus = 2,
		.guest_memory = 1 * GiB,
		.cost = cost,
		.seed = 1,
		.measure_ns = 1000 * MS,
		.workload = IOMMUSIM_WORKLOAD_TRACE,
		.trace = t,
		.trace_timing = timing,
	};
}

/*
 * @n buffers of 4 KiB on CPU @cpu, mapped @gap_ns apart from @start and each unmapped @life_ns
 * after its map; buffer numbers from @first.
 */
static void add_flow(struct iommusim_trace *t, uint32_t cpu, uint64_t first, size_t n,
		     uint64_t start, uint64_t gap_ns, uint64_t life_ns)
{
	for (size_t i = 0; i < n; i++) {
		struct iommusim_trace_rec r = {.time_ns = start + i * gap_ns,
					       .buffer = first + i,
					       .bytes = 4096,
					       .cpu = cpu,
					       .segs = 1,
					       .op = IOMMUSIM_TRACE_MAP,
					       .dir = IOMMUSIM_DMA_FROM_DEVICE};

		assert_int_equal(iommusim_trace_add(t, &r, NULL, 0), 0);
		r.time_ns += life_ns;
		r.op = IOMMUSIM_TRACE_UNMAP;
		assert_int_equal(iommusim_trace_add(t, &r, NULL, 0), 0);
	}
}

static struct iommusim_trace *flow(struct fixture *f, size_t n, uint64_t gap_ns)
{
	struct iommusim_trace *t;

	assert_int_equal(iommusim_trace_create(f->mem, "dev", &t), 0);
	add_flow(t, 0, 1, n, 0, gap_ns, gap_ns / 2);
	return t;
}

/* One replay of @t on @platform under @policy with a cost set of its own. */
static struct iommusim_sim_stats replay(struct fixture *f, const char *platform,
					enum iommusim_policy policy, const struct iommusim_trace *t,
					enum iommusim_trace_timing timing)
{
	struct iommusim_sim_config cfg;
	struct iommusim_sim_stats st;
	struct iommusim_cost *cost;

	assert_int_equal(iommusim_cost_create(f->mem, &cost), 0);
	cfg = config(cost, platform, policy, t, timing);
	st = sim_run_once(f->mem, &cfg);
	iommusim_cost_destroy(cost);
	return st;
}

/* Same trace, same seed: the same bytes of statistics, in either timing. */
static void test_trace_replay_is_deterministic(void **state)
{
	struct fixture *f = *state;
	struct iommusim_trace *t = parse_ok(f, "iommusim-trace 1\n"
					       "0 0 alloc bidi 9 65536 1\n"
					       "10 0 map from 1 4096 1\n"
					       "20 1 map_sg to 2 131072 32\n"
					       "30 1 unmap from 1 4096 1\n"
					       "40 0 unmap_sg to 2 131072 32\n"
					       "50 1 map to 3 8192 1\n"
					       "60 0 unmap to 3 8192 1\n");
	struct iommusim_cost *cost;

	assert_int_equal(iommusim_cost_create(f->mem, &cost), 0);
	for (int timing = 0; timing < IOMMUSIM_TRACE_TIMING_NR; timing++) {
		struct iommusim_sim_config cfg = config(cost, "kvm", IOMMUSIM_POLICY_STRICT, t,
							(enum iommusim_trace_timing)timing);
		struct iommusim_sim_stats a = sim_run_once(f->mem, &cfg);
		struct iommusim_sim_stats b = sim_run_once(f->mem, &cfg);

		assert_memory_equal(&a, &b, sizeof(a));
		/* map, map_sg, alloc, map; unmap, unmap_sg, unmap: seven calls */
		assert_int_equal(a.calls, 7);
		assert_int_equal(a.ios_completed, 3);
	}
	iommusim_cost_destroy(cost);
	iommusim_trace_destroy(t);
}

/*
 * Conservation: the maps begun are the unmaps made, the maps failed and the buffers left
 * mapped, and what stays mapped after the run is what the trace never unmapped.
 */
static void test_trace_replay_conserves_buffers(void **state)
{
	struct fixture *f = *state;
	struct iommusim_trace *t = flow(f, 40, 2000);
	struct iommusim_trace_rec open = {.time_ns = 100000,
					  .buffer = 1000,
					  .bytes = 4096,
					  .cpu = 1,
					  .segs = 1,
					  .op = IOMMUSIM_TRACE_MAP,
					  .dir = IOMMUSIM_DMA_TO_DEVICE};
	struct iommusim_trace_info info;
	struct iommusim_cost *cost;

	/* two buffers the trace never unmaps */
	assert_int_equal(iommusim_trace_add(t, &open, NULL, 0), 0);
	open.buffer++;
	assert_int_equal(iommusim_trace_add(t, &open, NULL, 0), 0);
	iommusim_trace_get_info(t, &info);
	assert_int_equal(iommusim_cost_create(f->mem, &cost), 0);
	/* every policy of an s390 and of a powerpc platform */
	for (int p = 0; p < 2 * IOMMUSIM_POLICY_NR; p++) {
		const char *platform = p < IOMMUSIM_POLICY_NR ? "zvm" : "powervm";
		enum iommusim_policy policy = (enum iommusim_policy)(p % IOMMUSIM_POLICY_NR);
		enum iommusim_platform_kind kind;

		assert_int_equal(iommusim_platform_lookup(platform, &kind), 0);
		if (!iommusim_policy_applies(kind, policy))
			continue;
		struct iommusim_sim_config cfg =
			config(cost, platform, policy, t, IOMMUSIM_TRACE_RECORDED);
		struct iommusim_sim_stats st = sim_run_once(f->mem, &cfg);

		assert_int_equal(st.ios_submitted_total, info.maps);
		assert_int_equal(st.ios_submitted_total,
				 st.ios_completed_total + st.io_errors_total + st.left_mapped);
		assert_int_equal(st.left_mapped, info.left_mapped);
		assert_int_equal(st.mapped_end, info.left_mapped);
		assert_int_equal(st.calls, info.ops);
	}
	iommusim_cost_destroy(cost);
	iommusim_trace_destroy(t);
}

/*
 * At the recorded times an idle CPU is never late, and the run lasts as long as the trace;
 * closed, the same calls run back to back in a fraction of that, with no backlog to report.
 */
static void test_trace_replay_timing_modes(void **state)
{
	struct fixture *f = *state;
	struct iommusim_trace *t = flow(f, 20, 1 * MS);
	struct iommusim_trace_info info;
	struct iommusim_sim_config cfg;
	struct iommusim_sim_stats rec, closed;
	struct iommusim_cost *cost;

	iommusim_trace_get_info(t, &info);
	assert_int_equal(iommusim_cost_create(f->mem, &cost), 0);
	cfg = config(cost, "lpar", IOMMUSIM_POLICY_STRICT, t, IOMMUSIM_TRACE_RECORDED);
	rec = sim_run_once(f->mem, &cfg);
	cfg.trace_timing = IOMMUSIM_TRACE_CLOSED;
	closed = sim_run_once(f->mem, &cfg);
	assert_true(rec.backlog_max_us == 0.0);
	assert_true(rec.sim_seconds * 1e9 >= (double)info.duration_ns);
	/* the last call's own time, a few µs at most, ends the run */
	assert_true(rec.sim_seconds * 1e9 < (double)info.duration_ns + 100000.0);
	assert_true(isnan(closed.backlog_mean_us) && isnan(closed.backlog_max_us));
	assert_true(closed.sim_seconds * 1e9 < (double)info.duration_ns / 10);
	assert_int_equal(rec.calls, closed.calls);
	iommusim_cost_destroy(cost);
	iommusim_trace_destroy(t);
}

/* Calls 100 ns apart are more than KVM's strict RPCITs can keep up with: a backlog builds. */
static void test_trace_replay_backlog_on_slow_platform(void **state)
{
	struct fixture *f = *state;
	struct iommusim_trace *t = flow(f, 50, 100);
	struct iommusim_sim_stats st =
		replay(f, "kvm", IOMMUSIM_POLICY_STRICT, t, IOMMUSIM_TRACE_RECORDED);

	/*
	 * The last of the 100 calls waits for the 99 before it, each longer than the 100 ns
	 * between two recorded times: its delay is about 99 calls' time.
	 */
	assert_true(st.backlog_max_us > st.backlog_mean_us);
	assert_true(st.backlog_max_us > 99 * st.lat_mean_us / 2);
	assert_true(st.lat_mean_us > 1.0);
	iommusim_trace_destroy(t);
}

/* A buffer mapped on CPU 0 and unmapped on CPU 1 at the same instant: the unmap waits. */
static void test_trace_replay_unmap_waits_for_map(void **state)
{
	struct fixture *f = *state;
	struct iommusim_trace *t = parse_ok(f, "iommusim-trace 1\n"
					       "0 0 map from 1 4096 1\n"
					       "0 1 unmap from 1 4096 1\n");
	struct iommusim_sim_stats st =
		replay(f, "kvm", IOMMUSIM_POLICY_STRICT, t, IOMMUSIM_TRACE_RECORDED);

	assert_int_equal(st.ios_completed, 1);
	assert_int_equal(st.left_mapped, 0);
	/* the unmap began when the map returned: behind its time by the map's whole call */
	assert_true(st.backlog_max_us >= st.lat_min_us);
	assert_true(st.backlog_max_us > 0.0);
	iommusim_trace_destroy(t);
}

static void test_trace_replay_config_errors(void **state)
{
	struct fixture *f = *state;
	struct iommusim_trace *t = parse_ok(f, "iommusim-trace 1\n0 3 map from 1 4096 1\n");
	struct iommusim_sim_config cfg;
	struct iommusim_cost *cost;
	struct iommusim_sim *sim = NULL;
	char err[256];

	assert_int_equal(iommusim_cost_create(f->mem, &cost), 0);
	cfg = config(cost, "lpar", IOMMUSIM_POLICY_STRICT, t, IOMMUSIM_TRACE_CLOSED);
	assert_int_equal(iommusim_sim_create_msg(f->mem, &cfg, &sim, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "trace: it names CPU 3, and cpus is 2");
	cfg.trace = NULL;
	assert_int_equal(iommusim_sim_config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "trace: no trace given");
	cfg.trace = t;
	cfg.cpus = 4;
	cfg.trace_timing = IOMMUSIM_TRACE_TIMING_NR;
	assert_int_equal(iommusim_sim_config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "trace_timing: 2 is not a timing mode");
	cfg.workload = IOMMUSIM_WORKLOAD_NR;
	assert_int_equal(iommusim_sim_config_check(&cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "workload: 3 is not a workload kind");
	assert_null(sim);
	iommusim_cost_destroy(cost);
	iommusim_trace_destroy(t);
}

/*
 * An NVMe run records its data calls; the recording holds each I/O's map and unmap, and
 * replayed on the same machine it makes the same calls.
 */
static void test_trace_replay_records_what_ran(void **state)
{
	struct fixture *f = *state;
	struct iommusim_sim_config cfg;
	struct iommusim_sim_stats nvme, again;
	struct iommusim_trace_info info;
	struct iommusim_trace *t;
	struct iommusim_cost *cost;

	assert_int_equal(iommusim_cost_create(f->mem, &cost), 0);
	assert_int_equal(iommusim_trace_create(f->mem, "nvme", &t), 0);
	cfg = config(cost, "zvm", IOMMUSIM_POLICY_FQ_SINGLE, NULL, IOMMUSIM_TRACE_RECORDED);
	cfg.workload = IOMMUSIM_WORKLOAD_NVME;
	cfg.nvme = (struct iommusim_nvme_config){.jobs = 2, .iodepth = 4, .block_size = 65536};
	cfg.measure_ns = 2 * MS;
	cfg.record = t;
	nvme = sim_run_once(f->mem, &cfg);
	iommusim_trace_get_info(t, &info);
	assert_int_equal(info.maps, nvme.ios_submitted_total - nvme.io_errors_total);
	assert_int_equal(info.unmaps, nvme.ios_completed_total);
	assert_int_equal(info.left_mapped, 0);
	assert_int_equal(info.cpus, 2);
	/* 64 KiB I/Os are scatterlists of 16 pages */
	assert_int_equal(rec_at(t, 0)->op, IOMMUSIM_TRACE_MAP_SG);
	assert_int_equal(rec_at(t, 0)->segs, 16);
	cfg.workload = IOMMUSIM_WORKLOAD_TRACE;
	cfg.trace = t;
	cfg.record = NULL;
	cfg.measure_ns = 1000 * MS;
	again = sim_run_once(f->mem, &cfg);
	assert_int_equal(again.calls, info.ops);
	assert_int_equal(again.ios_completed, info.unmaps);
	iommusim_cost_destroy(cost);
	iommusim_trace_destroy(t);
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_trace_replay_is_deterministic, setup, teardown),
	   cmocka_unit_test_setup_teardown(test_trace_replay_conserves_buffers, setup, teardown),
	   cmocka_unit_test_setup_teardown(test_trace_replay_timing_modes, setup, teardown),
	   cmocka_unit_test_setup_teardown(test_trace_replay_backlog_on_slow_platform, setup,
					   teardown),
	   cmocka_unit_test_setup_teardown(test_trace_replay_unmap_waits_for_map, setup, teardown),
	   cmocka_unit_test_setup_teardown(test_trace_replay_config_errors, setup, teardown),
	   cmocka_unit_test_setup_teardown(test_trace_replay_records_what_ran, setup, teardown))
