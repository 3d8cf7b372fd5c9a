/* SPDX-License-Identifier: MIT */
/*
 * powerpc simulations through the public API (docs/powerpc.md): the window each policy gives,
 * the firmware calls per I/O against the counts the kernel's code implies, the set-up's time
 * against the prices, the TCE budget's refusals, QEMU's lock when KVM passes TCE calls on, the
 * configurations refused, and determinism.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <iommusim/iommusim.h>

#include "sim_run.h"
#include "suite_main.h"

#define MS  (1000ull * 1000ull)
#define GiB (1ull << 30)

struct ppc_sim {
	struct iommusim_mem *mem;
	struct iommusim_cost *cost;
	struct iommusim_sim_config cfg;
};

static int ppc_sim_setup(void **state)
{
	static struct ppc_sim f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &f.mem), 0);
	assert_int_equal(iommusim_cost_create(f.mem, &f.cost), 0);
	*state = &f;
	return 0;
}

static int ppc_sim_teardown(void **state)
{
	struct ppc_sim *f = *state;

	iommusim_cost_destroy(f->cost);
	assert_int_equal(iommusim_mem_live_objects(f->mem), 0);
	iommusim_mem_destroy(f->mem);
	return 0;
}

/* 4 KiB random reads of 2 jobs x 8 on a 64 GiB guest of @profile with @sets. */
static struct iommusim_sim_config *configure(struct ppc_sim *f, const char *profile,
					     enum iommusim_policy policy, const char *const *sets,
					     size_t nsets)
{
	enum iommusim_platform_kind kind;
	char err[256];

	assert_int_equal(iommusim_platform_lookup(profile, &kind), 0);
	assert_int_equal(
		iommusim_cost_configure(f->cost, profile, sets, nsets, err, sizeof(err), NULL), 0);
	f->cfg = (struct iommusim_sim_config){
		.platform = kind,
		.policy = policy,
		.cpus = 2,
		.guest_memory = 64 * GiB,
		.nvme = {.jobs = 2, .iodepth = 8, .block_size = 4096},
		.cost = f->cost,
		.seed = 3,
		.warmup_ns = 400 * MS,
		.measure_ns = 20 * MS,
	};
	return &f->cfg;
}

/* Every submitted I/O is accounted for, and something ran. */
static void expect_conserved(const struct iommusim_sim_stats *st)
{
	assert_true(st->ios_completed > 500);
	assert_int_equal(st->ios_submitted + st->in_flight_start,
			 st->ios_completed + st->io_errors + st->in_flight_end);
	assert_int_equal(st->ios_submitted_total, st->ios_completed_total + st->io_errors_total);
	assert_int_equal(st->mapped_end, 0);
}

/*
 * One page per I/O through a TCE window: its map is one H_PUT_TCE (a single TCE is never a
 * list), its unmap one H_STUFF_TCE; maps happen at submission, unmaps at completion.
 */
static void expect_tce_hcalls(const struct iommusim_sim_stats *st)
{
	expect_conserved(st);
	assert_int_equal(st->h_put_tce, st->ios_submitted);
	assert_int_equal(st->h_stuff_tce, st->ios_completed);
	assert_int_equal(st->h_put_tce_indirect, 0);
	assert_int_equal(st->h_get_tce, 0);
	assert_int_equal(st->opal_tce_kills, 0);
	assert_int_equal(st->tces_written, st->h_put_tce + st->h_stuff_tce);
	assert_int_equal(st->hcall_failures, 0);
	assert_true(isnan(st->exposure_mean_us));
	assert_int_equal(st->rpcit_map + st->rpcit_unmap + st->rpcit_global, 0);
}

static void test_ppc_default_window_two_hcalls_per_io(void **state)
{
	struct ppc_sim *f = *state;
	const char *const platforms[] = {"powervm", "kvm-ppc"};

	for (size_t i = 0; i < 2; i++) {
		struct iommusim_sim_stats st =
			sim_run_once(f->mem, configure(f, platforms[i],
						       IOMMUSIM_POLICY_DEFAULT_WINDOW, NULL, 0));

		assert_int_equal(st.ppc_window, IOMMUSIM_PPC_WINDOW_DEFAULT);
		assert_string_equal(iommusim_ppc_ddw_name(st.ppc_ddw), "disabled");
		expect_tce_hcalls(&st);
		assert_true(st.platform.hyp_cycles > 0);
	}
}

/*
 * A 128 KiB I/O is 32 pages, not contiguous: 32 scatter-gather elements, each its own TCE
 * allocation and so one H_PUT_TCE each (a single TCE is never a list); at unmap one
 * H_STUFF_TCE per merged DMA segment, 1 to 32. Every TCE is set once and cleared once.
 */
static void test_ppc_sg_io_one_put_per_element(void **state)
{
	struct ppc_sim *f = *state;
	struct iommusim_sim_config *cfg =
		configure(f, "powervm", IOMMUSIM_POLICY_DEFAULT_WINDOW, NULL, 0);
	struct iommusim_sim_stats st;

	cfg->nvme.block_size = 128 * 1024;
	st = sim_run_once(f->mem, cfg);
	assert_true(st.ios_completed > 100);
	assert_int_equal(st.h_put_tce, 32 * st.ios_submitted);
	assert_true(st.h_stuff_tce >= st.ios_completed && st.h_stuff_tce <= 32 * st.ios_completed);
	assert_int_equal(st.tces_written, 32 * (st.ios_submitted + st.ios_completed));
	assert_int_equal(st.h_put_tce_indirect, 0);
}

/*
 * A direct DDW: no call per I/O. Its set-up on PowerVM, by the prices: the 2 GiB default
 * window cleared in 1024 H_STUFF_TCE of 512 TCEs, the 64 GiB of RAM populated in 2048
 * H_PUT_TCE_INDIRECT of 512 64 KiB TCEs, each (800 + 500 + 512 x 100) ns = 52.5 us, and two
 * RTAS calls (query, create) of 100 us: 161.48 ms, plus the guest's own work.
 */
static void test_ppc_ddw_direct_no_hcalls(void **state)
{
	struct ppc_sim *f = *state;
	struct iommusim_sim_stats st =
		sim_run_once(f->mem, configure(f, "powervm", IOMMUSIM_POLICY_DDW, NULL, 0));

	assert_int_equal(st.ppc_window, IOMMUSIM_PPC_WINDOW_DDW_DIRECT);
	assert_string_equal(iommusim_ppc_ddw_name(st.ppc_ddw), "created");
	expect_conserved(&st);
	assert_int_equal(st.h_put_tce + st.h_put_tce_indirect + st.h_stuff_tce, 0);
	assert_int_equal(st.tces_written, 0);
	assert_int_equal(st.platform.hyp_cycles, 0);
	assert_true(st.setup_ms >= 161.48 && st.setup_ms < 161.48 * 1.01);
}

/* RAM larger than the largest window: a dynamic DDW, used per map like the default one. */
static void test_ppc_ddw_dynamic_when_ram_exceeds_window(void **state)
{
	struct ppc_sim *f = *state;
	const char *const sets[] = {"pseries.ddw_block_log2=19"};
	struct iommusim_sim_stats st =
		sim_run_once(f->mem, configure(f, "kvm-ppc", IOMMUSIM_POLICY_DDW, sets, 1));

	assert_int_equal(st.ppc_window, IOMMUSIM_PPC_WINDOW_DDW_DYNAMIC);
	assert_string_equal(iommusim_ppc_ddw_name(st.ppc_ddw), "created");
	expect_tce_hcalls(&st);
}

/*
 * One window per PE: enable_ddw() removes the default window and maps RAM directly, unless
 * the driver mapped through the default window first (iommu_table_in_use()).
 */
static void test_ppc_table_in_use_keeps_default_window(void **state)
{
	struct ppc_sim *f = *state;
	const char *const sets[] = {"pseries.ddw_windows=1"};
	struct iommusim_sim_config *cfg;
	struct iommusim_sim_stats st;

	st = sim_run_once(f->mem, configure(f, "powervm", IOMMUSIM_POLICY_DDW, sets, 1));
	assert_int_equal(st.ppc_window, IOMMUSIM_PPC_WINDOW_DDW_DIRECT);
	assert_string_equal(iommusim_ppc_ddw_name(st.ppc_ddw), "created");

	cfg = configure(f, "powervm", IOMMUSIM_POLICY_DDW, sets, 1);
	cfg->nvme.mask32_first = true;
	st = sim_run_once(f->mem, cfg);
	assert_int_equal(st.ppc_window, IOMMUSIM_PPC_WINDOW_DEFAULT);
	assert_string_equal(iommusim_ppc_ddw_name(st.ppc_ddw), "default-in-use");
	expect_tce_hcalls(&st);
}

/* PowerNV: window 0 kills the PHB's cache after every build and free; a bypass does nothing. */
static void test_ppc_powernv_windows(void **state)
{
	struct ppc_sim *f = *state;
	struct iommusim_sim_config *cfg;
	struct iommusim_sim_stats st;

	st = sim_run_once(f->mem, configure(f, "powernv", IOMMUSIM_POLICY_DEFAULT_WINDOW, NULL, 0));
	assert_int_equal(st.ppc_window, IOMMUSIM_PPC_WINDOW_TCE);
	expect_conserved(&st);
	assert_int_equal(st.opal_tce_kills, st.ios_submitted + st.ios_completed);
	assert_int_equal(st.tces_written, st.opal_tce_kills);
	assert_int_equal(st.h_put_tce + st.h_stuff_tce, 0);

	st = sim_run_once(f->mem, configure(f, "powernv", IOMMUSIM_POLICY_BYPASS, NULL, 0));
	assert_int_equal(st.ppc_window, IOMMUSIM_PPC_WINDOW_BYPASS);
	assert_int_equal(st.opal_tce_kills, 0);

	/* a 48-bit mask cannot reach 2^59: window 0, unless the 4 GiB window exists */
	cfg = configure(f, "powernv", IOMMUSIM_POLICY_BYPASS, NULL, 0);
	cfg->nvme.dma_bits = 48;
	st = sim_run_once(f->mem, cfg);
	assert_int_equal(st.ppc_window, IOMMUSIM_PPC_WINDOW_TCE);
	assert_int_equal(st.opal_tce_kills, st.ios_submitted + st.ios_completed);

	cfg = configure(f, "powernv", IOMMUSIM_POLICY_WINDOW_4G, NULL, 0);
	cfg->nvme.dma_bits = 48;
	st = sim_run_once(f->mem, cfg);
	assert_int_equal(st.ppc_window, IOMMUSIM_PPC_WINDOW_4G);
	assert_int_equal(st.opal_tce_kills, 0);
}

/*
 * A budget of 72 valid TCEs: the four 64 KiB rings take 16 4 KiB TCEs each, which leaves 8
 * for 16 I/Os in flight. Maps beyond are refused with H_NOT_ENOUGH_RESOURCES, each failing
 * its I/O; every refusal is counted, none lost.
 */
static void test_ppc_tce_budget_refuses_maps(void **state)
{
	struct ppc_sim *f = *state;
	const char *const sets[] = {"pseries.tce_limit=72"};
	struct iommusim_sim_stats st = sim_run_once(
		f->mem, configure(f, "powervm", IOMMUSIM_POLICY_DEFAULT_WINDOW, sets, 1));

	expect_conserved(&st);
	assert_true(st.io_errors > 0);
	assert_int_equal(st.map_failures, st.io_errors);
	assert_int_equal(st.hcall_failures, st.map_failures);
	/* a refused map made its one call; nothing was written to undo */
	assert_int_equal(st.h_put_tce, st.ios_submitted);
}

/*
 * With in-kernel TCE handling off, QEMU does the work under its lock: one server, busier.
 * The boot-time clear of the 1 GiB window then takes 256 calls of 512 TCEs at 4 us each,
 * about half a second, so the warm-up is longer.
 */
static void test_ppc_kvm_without_in_kernel_tce_serialises(void **state)
{
	struct ppc_sim *f = *state;
	const char *const sets[] = {"kvm_ppc.in_kernel_tce=0"};
	struct iommusim_sim_config *cfg;
	struct iommusim_sim_stats fast, slow;

	fast = sim_run_once(f->mem,
			    configure(f, "kvm-ppc", IOMMUSIM_POLICY_DEFAULT_WINDOW, NULL, 0));
	cfg = configure(f, "kvm-ppc", IOMMUSIM_POLICY_DEFAULT_WINDOW, sets, 1);
	cfg->warmup_ns = 1500 * MS;
	slow = sim_run_once(f->mem, cfg);
	assert_true(slow.setup_ms > 500.0 && fast.setup_ms < 100.0);
	assert_true(fast.server_util == 0.0);
	assert_true(slow.server_util > 0.1);
	assert_true(slow.iops < fast.iops);
	expect_tce_hcalls(&slow);
}

static void test_ppc_refused_configurations(void **state)
{
	struct ppc_sim *f = *state;
	struct iommusim_sim_config *cfg;
	struct iommusim_sim *sim = NULL;
	char err[256];

	cfg = configure(f, "powervm", IOMMUSIM_POLICY_STRICT, NULL, 0);
	assert_int_equal(iommusim_sim_create_msg(f->mem, cfg, &sim, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "policy: strict is not a policy of powervm");
	cfg = configure(f, "powernv", IOMMUSIM_POLICY_DDW, NULL, 0);
	assert_int_equal(iommusim_sim_create_msg(f->mem, cfg, &sim, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "policy: ddw is not a policy of powernv");
	cfg = configure(f, "powervm", IOMMUSIM_POLICY_DDW, NULL, 0);
	cfg->nvme.dma_bits = 20;
	assert_int_equal(iommusim_sim_config_check(cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "nvme.dma_bits: 20 is not in 32..64");
	cfg = configure(f, "lpar", IOMMUSIM_POLICY_STRICT, NULL, 0);
	cfg->nvme.mask32_first = true;
	assert_int_equal(iommusim_sim_config_check(cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "nvme.mask32_first: modelled on powerpc platforms only");
	assert_null(sim);

	assert_true(iommusim_policy_applies(IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_POLICY_LEGACY));
	assert_false(iommusim_policy_applies(IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_POLICY_DDW));
	assert_true(
		iommusim_policy_applies(IOMMUSIM_PLATFORM_POWERNV, IOMMUSIM_POLICY_DEFAULT_WINDOW));
	assert_false(iommusim_policy_applies(IOMMUSIM_PLATFORM_POWERVM, IOMMUSIM_POLICY_BYPASS));
	assert_false(iommusim_policy_applies(IOMMUSIM_PLATFORM_NR, IOMMUSIM_POLICY_DDW));
	assert_string_equal(iommusim_ppc_window_name(IOMMUSIM_PPC_WINDOW_4G), "window-4g");
	assert_string_equal(iommusim_ppc_window_name(IOMMUSIM_PPC_WINDOW_NR), "unknown");
}

/* The same configuration and seed give the same figures. */
static void test_ppc_deterministic(void **state)
{
	struct ppc_sim *f = *state;
	struct iommusim_sim_stats a, b;

	a = sim_run_once(f->mem, configure(f, "kvm-ppc", IOMMUSIM_POLICY_DEFAULT_WINDOW, NULL, 0));
	b = sim_run_once(f->mem, configure(f, "kvm-ppc", IOMMUSIM_POLICY_DEFAULT_WINDOW, NULL, 0));
	assert_int_equal(a.ios_completed, b.ios_completed);
	assert_true(a.lat_p99_us == b.lat_p99_us && a.setup_ms == b.setup_ms);
	assert_int_equal(a.h_put_tce, b.h_put_tce);
	assert_int_equal(a.platform.hyp_cycles, b.platform.hyp_cycles);
}

#define PPC_TEST(t) cmocka_unit_test_setup_teardown(t, ppc_sim_setup, ppc_sim_teardown)

SUITE_MAIN(PPC_TEST(test_ppc_default_window_two_hcalls_per_io),
	   PPC_TEST(test_ppc_sg_io_one_put_per_element), PPC_TEST(test_ppc_ddw_direct_no_hcalls),
	   PPC_TEST(test_ppc_ddw_dynamic_when_ram_exceeds_window),
	   PPC_TEST(test_ppc_table_in_use_keeps_default_window), PPC_TEST(test_ppc_powernv_windows),
	   PPC_TEST(test_ppc_tce_budget_refuses_maps),
	   PPC_TEST(test_ppc_kvm_without_in_kernel_tce_serialises),
	   PPC_TEST(test_ppc_refused_configurations), PPC_TEST(test_ppc_deterministic))
