/* SPDX-License-Identifier: MIT */
/*
 * The simulation runner itself: the latency of an unloaded path, work charged as reported,
 * the closed loop and the device's ceiling, pages per I/O, offsets, bad configurations and
 * their messages, one run per simulation, progress reports that change nothing, policy names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"
#include "sim_fixture.h"

/*
 * One job at QD 1 on LPAR, strict, no jitter: each I/O's latency is its own path. fio 1.5 +
 * submit 1.0 (lpar) + device service 1.0 (1 M IOPS ceiling) + device 80 + complete 1.5 (lpar)
 * + the unmap's RPCIT 1.0 = 86.0 µs, plus the guest's map and unmap (~70 + ~60 ns): within
 * [86.0, 86.4]. The closed loop keeps exactly one I/O in flight: IOPS = 1 / latency.
 */
static void test_sim_unloaded_latency_is_the_path(void **state)
{
	static const char *const sets[] = {"nvme.device_jitter_ns=0"};
	struct iommusim_sim_stats st;
	struct fixture *f = *state;

	configure(f, IOMMUSIM_PLATFORM_LPAR, sets, 1);
	f->cfg.nvme.jobs = 1;
	f->cfg.nvme.iodepth = 1;
	run_checked(f, &st);
	assert_true(st.lat_mean_us >= 86.0 && st.lat_mean_us <= 86.4);
	assert_true(st.lat_max_us - st.lat_mean_us < 0.1);
	assert_true(fabs(st.iops * st.lat_mean_us * 1e-6 - 1.0) < 0.01);
	assert_int_equal(st.rpcit_unmap, st.ios_completed);
}

/*
 * The kernel's reported work is charged to the CPU that did it: a strict 1-page I/O writes one
 * PTE when mapping and one when unmapping, so raising guest.pte_write_cycles from 20 to 300
 * lengthens every QD-1 latency by 2 x 280 cycles = 560 / 5200 µs = 0.10769 µs.
 */
static void test_sim_reported_work_is_charged(void **state)
{
	static const char *const cheap[] = {"nvme.device_jitter_ns=0", "guest.pte_write_cycles=20"};
	static const char *const dear[] = {"nvme.device_jitter_ns=0", "guest.pte_write_cycles=300"};
	struct iommusim_sim_stats a, b;
	struct fixture *f = *state;

	f->cfg.nvme.jobs = 1;
	f->cfg.nvme.iodepth = 1;
	configure(f, IOMMUSIM_PLATFORM_LPAR, cheap, 2);
	run(f, &a);
	configure(f, IOMMUSIM_PLATFORM_LPAR, dear, 2);
	run(f, &b);
	assert_true(fabs(b.lat_mean_us - a.lat_mean_us - 560.0 / 5200.0) < 1e-4);
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
	static const char *const sets[] = {"fio.loop_ns=300", "nvme.submit_ns=300",
					   "nvme.complete_ns=500"};
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
	static const uint32_t sizes[] = {4 * KiB, 8 * KiB, 16 * KiB, 128 * KiB};

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
	struct fixture *f = *state;

	fixture_up(f, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_FQ_SINGLE);
	f->cfg.warmup_ns = 0;
	run(f, &a);
	f->cfg.nvme.sequential = true;
	run(f, &b);
	check_conservation(&f->cfg, &a);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(a.in_flight_start, 0);
	assert_int_equal(a.ios_submitted, a.ios_submitted_total);
}

/* Bad configurations are refused before anything is built. */
static void test_sim_bad_configs(void **state)
{
	struct iommusim_sim *sim = NULL;
	struct iommusim_sim_config bad[9];
	struct fixture *f = *state;

	for (size_t i = 0; i < 9; i++)
		bad[i] = f->cfg;
	bad[0].nvme.jobs = 3; /* > 2 CPUs */
	bad[1].nvme.jobs = 0;
	bad[2].nvme.iodepth = 0;
	bad[3].nvme.block_size = 1000;
	bad[4].nvme.block_size = 0;
	bad[5].cost = NULL;
	bad[6].measure_ns = 0;
	bad[7].policy = IOMMUSIM_POLICY_NR;
	/* 16 slots of 1 MiB buffers do not fit in 16 MiB of guest memory. */
	bad[8].guest_memory = 16ull << 20;
	bad[8].nvme.block_size = 1024 * KiB;
	for (size_t i = 0; i < 9; i++)
		assert_int_equal(iommusim_sim_create(f->mem, &bad[i], &sim), -EINVAL);
	assert_null(sim);
	assert_int_equal(iommusim_mem_live_objects(f->mem), 1); /* the cost set */
}

/* iommusim_sim_create_msg() names what it refused, and why; "" on success. */
static void test_sim_create_messages(void **state)
{
	static const char *const tiny[] = {"guest.aperture_pages=2"};
	struct iommusim_sim *sim = NULL;
	struct iommusim_sim_config c;
	struct fixture *f = *state;
	char msg[256];

	c = f->cfg;
	c.nvme.jobs = 3;
	assert_int_equal(iommusim_sim_create_msg(f->mem, &c, &sim, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "nvme.jobs: 3 is not in 1..2 (one job per CPU)");
	c = f->cfg;
	c.nvme.block_size = 1000;
	assert_int_equal(iommusim_sim_create_msg(f->mem, &c, &sim, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "nvme.block_size: 1000 is not a positive multiple of 4096");
	c = f->cfg;
	c.guest_memory = 16ull << 20;
	c.nvme.block_size = 1024 * KiB;
	assert_int_equal(iommusim_sim_create_msg(f->mem, &c, &sim, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "nvme: rings and buffers"));
	assert_non_null(strstr(msg, "guest_memory is 16777216"));
	/* A window of 2 pages cannot hold 4 rings: the guest's DMA stack refuses. */
	configure(f, IOMMUSIM_PLATFORM_LPAR, tiny, 1);
	assert_int_equal(iommusim_sim_create_msg(f->mem, &f->cfg, &sim, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "nvme: the guest's DMA stack refused to map the completion queue "
				 "ring (4096 bytes): out of memory or address space");
	/* A message too long for the buffer is cut, and a NULL buffer is fine. */
	c = f->cfg;
	c.cpus = 0;
	assert_int_equal(iommusim_sim_create_msg(f->mem, &c, &sim, msg, 6), -EINVAL);
	assert_string_equal(msg, "cpus:");
	assert_int_equal(iommusim_sim_create_msg(f->mem, &c, &sim, NULL, 0), -EINVAL);
	assert_null(sim);
	configure(f, IOMMUSIM_PLATFORM_LPAR, NULL, 0);
	assert_int_equal(iommusim_sim_create_msg(f->mem, &f->cfg, &sim, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	iommusim_sim_destroy(sim);
}

/* A simulation runs once; its statistics are zeros before that. */
static void test_sim_runs_once(void **state)
{
	struct iommusim_sim_stats st, zero;
	struct iommusim_sim *sim;
	struct fixture *f = *state;

	fixture_up(f, IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_POLICY_LEGACY);
	f->cfg.measure_ns = 1 * MS;
	assert_int_equal(iommusim_sim_create(f->mem, &f->cfg, &sim), 0);
	memset(&zero, 0, sizeof(zero));
	iommusim_sim_get_stats(sim, &st);
	assert_memory_equal(&st, &zero, sizeof(st));
	assert_int_equal(iommusim_sim_run(sim), 0);
	assert_int_equal(iommusim_sim_run(sim), -EALREADY);
	iommusim_sim_destroy(sim);
	iommusim_sim_destroy(NULL);
}

/*
 * The progress callback sees simulated time grow to the end in about 100 steps, and running
 * in those slices changes no result (KVM: servers, steps and timers all in play).
 */
static void test_sim_progress_changes_nothing(void **state)
{
	struct iommusim_sim_stats plain, sliced;
	struct progress_log log = {0};
	struct fixture *f = *state;

	fixture_up(f, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_FQ_PERCPU);
	run(f, &plain);
	f->cfg.progress = log_progress;
	f->cfg.progress_arg = &log;
	run(f, &sliced);
	assert_memory_equal(&plain, &sliced, sizeof(plain));
	assert_false(log.backwards);
	assert_int_equal(log.total, f->cfg.warmup_ns + f->cfg.measure_ns);
	/* the last slice ends one cycle before the end, which is under a ns at these clocks */
	assert_true(log.last_done + 1 >= log.total && log.last_done <= log.total);
	assert_true(log.calls >= 99 && log.calls <= 102);
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

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_sim_unloaded_latency_is_the_path, sim_setup,
					   sim_teardown),
	   cmocka_unit_test_setup_teardown(test_sim_reported_work_is_charged, sim_setup,
					   sim_teardown),
	   cmocka_unit_test(test_sim_closed_loop_and_device_ceiling),
	   cmocka_unit_test(test_sim_kvm_strict_pages_per_io),
	   cmocka_unit_test_setup_teardown(test_sim_offsets_do_not_change_timing, sim_alloc,
					   sim_teardown),
	   cmocka_unit_test_setup_teardown(test_sim_bad_configs, sim_setup, sim_teardown),
	   cmocka_unit_test_setup_teardown(test_sim_create_messages, sim_setup, sim_teardown),
	   cmocka_unit_test_setup_teardown(test_sim_runs_once, sim_alloc, sim_teardown),
	   cmocka_unit_test_setup_teardown(test_sim_progress_changes_nothing, sim_alloc,
					   sim_teardown),
	   cmocka_unit_test(test_sim_policy_names))
