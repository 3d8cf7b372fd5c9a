/* SPDX-License-Identifier: MIT */
/*
 * Whole simulations, by policy and platform: every I/O accounted for and nothing left
 * mapped, runs repeat bit for bit, each policy's RPCIT stream has its shape on KVM, and the
 * vfio budget's exhaustion is answered as s390.enomem says.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"
#include "sim_fixture.h"

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
		IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_PLATFORM_ZVM, IOMMUSIM_PLATFORM_KVM};

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
	struct fixture *f = *state;

	fixture_up(f, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_STRICT);
	run_checked(f, &st);
	assert_int_equal(st.rpcit_unmap, st.ios_completed);
	check_map_rpcits(&f->cfg, &st);
	EXPECT_FIELDS(&st, SIM_STATS(rpcit_global, 0), SIM_STATS(fq_size, 0),
		      SIM_STATS(fq_timeout_ms, 0), SIM_STATS(fq_flushes, 0));
}

/*
 * Per-CPU flush queues on KVM: unmaps are never refreshed one by one; the 10 ms timer (or a
 * full queue of 256) flushes the whole aperture at least once in 20 ms.
 */
static void test_sim_kvm_fq_percpu_shape(void **state)
{
	struct iommusim_sim_stats st;
	struct fixture *f = *state;

	fixture_up(f, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_FQ_PERCPU);
	run_checked(f, &st);
	assert_int_equal(st.rpcit_unmap, 0);
	assert_true(st.rpcit_global > 0);
	EXPECT_FIELDS(&st, SIM_STATS(rpcit_global, st.fq_flushes), SIM_STATS(fq_size, 256),
		      SIM_STATS(fq_timeout_ms, 10));
}

/*
 * The single flush queue, shrunk to 64 entries (dma.fq_size) so that it fills within the run:
 * a global RPCIT per flush, none per unmap; the reported size is the override, the timeout the
 * single queue's 1000 ms.
 */
static void test_sim_kvm_fq_single_shape(void **state)
{
	static const char *const sets[] = {"dma.fq_size=64"};
	struct iommusim_sim_stats st;
	struct fixture *f = *state;

	fixture_up_sets(f, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_FQ_SINGLE, sets, 1);
	run_checked(f, &st);
	assert_int_equal(st.rpcit_unmap, 0);
	assert_true(st.rpcit_global > 0);
	EXPECT_FIELDS(&st, SIM_STATS(rpcit_global, st.fq_flushes), SIM_STATS(fq_size, 64),
		      SIM_STATS(fq_timeout_ms, 1000));
	/* 1000 ms never passes in 25 ms: only full queues flushed. Capacity 63, so at most one
	 * flush per 63 unmaps (completions), at least one per 63 + queued at the start. */
	assert_true(st.fq_flushes * 63 <= st.ios_completed + 63);
}

/*
 * The legacy ops on KVM with a 2048-page aperture (guest.aperture_pages): an RPCIT per map,
 * none per unmap, and exactly one global RPCIT per wrap of the next-fit allocator, which
 * happens about every 2048 maps of one page. At the calibrated ~100 us per RPCIT under QEMU's
 * lock that is one wrap per ~0.2 s: 400 ms hold about two.
 */
static void test_sim_kvm_legacy_shape(void **state)
{
	static const char *const sets[] = {"guest.aperture_pages=2048"};
	struct iommusim_sim_stats st;
	struct fixture *f = *state;

	fixture_up_sets(f, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_LEGACY, sets, 1);
	f->cfg.measure_ns = 400 * MS;
	run_checked(f, &st);
	check_map_rpcits(&f->cfg, &st);
	assert_int_equal(st.rpcit_unmap, 0);
	assert_true(st.legacy_wraps > 0);
	assert_int_equal(st.rpcit_global, st.legacy_wraps);
	/* Wraps come from running through the aperture: at most one per 2048 - 16 pages mapped
	 * (16 slots may hold pages the search skips). */
	assert_true(st.legacy_wraps * (2048 - 16) <= st.rpcit_map + 2048);
	assert_int_equal(st.fq_size, 0);
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

SUITE_MAIN(cmocka_unit_test(test_sim_conserves_every_policy_lpar),
	   cmocka_unit_test(test_sim_conserves_every_policy_kvm_zvm),
	   cmocka_unit_test(test_sim_deterministic),
	   cmocka_unit_test_setup_teardown(test_sim_kvm_strict_shape, sim_alloc, sim_teardown),
	   cmocka_unit_test_setup_teardown(test_sim_kvm_fq_percpu_shape, sim_alloc, sim_teardown),
	   cmocka_unit_test_setup_teardown(test_sim_kvm_fq_single_shape, sim_alloc, sim_teardown),
	   cmocka_unit_test_setup_teardown(test_sim_kvm_legacy_shape, sim_alloc, sim_teardown),
	   cmocka_unit_test(test_sim_budget_global_flush_keeps_ios),
	   cmocka_unit_test(test_sim_budget_no_answer_fails_ios))
