/* SPDX-License-Identifier: MIT */
/*
 * The mlx5 workload's configuration and probe (sim/workload/mlx5_setup.c, mlx5_config.c): its
 * members set from text, the checks, and the coherent-mask probe failure (docs/dma.md): with
 * mlx5_cmd_init() before the 64-bit mask, the command queue's coherent allocation under the
 * default 32-bit mask finds no IOVA on s390, and the simulation says so in one line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "mlx5_fixture.h"
#include "sim_run.h"
#include "suite_main.h"

static void test_mlx5_config_set(void **state)
{
	struct iommusim_mlx5_config m = {0};
	char err[256];

	(void)state;
	assert_int_equal(iommusim_mlx5_config_set(&m, "pkt", "9k", err, sizeof(err)), 0);
	assert_int_equal(m.packet_bytes, 9216);
	assert_int_equal(iommusim_mlx5_config_set(&m, "traffic", "bidi", err, sizeof(err)), 0);
	assert_int_equal(m.traffic, IOMMUSIM_MLX5_BIDI);
	assert_int_equal(iommusim_mlx5_config_set(&m, "rx_miss", "5", err, sizeof(err)), 0);
	assert_int_equal(m.rx_miss_pct, 5);
	assert_int_equal(iommusim_mlx5_config_set(&m, "budget", "16", err, sizeof(err)), 0);
	assert_int_equal(m.napi_budget, 16);
	assert_int_equal(
		iommusim_mlx5_config_set(&m, "cmd_init_before_mask", "1", err, sizeof(err)), 0);
	assert_true(m.cmd_init_before_mask);

	assert_int_equal(iommusim_mlx5_config_set(&m, "pkt", "63", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "mlx5.pkt: '63' is not a number in 64..65536");
	assert_int_equal(m.packet_bytes, 9216);
	assert_int_equal(iommusim_mlx5_config_set(&m, "traffic", "up", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "mlx5.traffic: 'up' is not tx, rx or bidi");
	assert_int_equal(iommusim_mlx5_config_set(&m, "rx_miss", "101", err, sizeof(err)), -EINVAL);
	assert_int_equal(iommusim_mlx5_config_set(&m, "tx_ring", "", err, sizeof(err)), -EINVAL);
	assert_int_equal(iommusim_mlx5_config_set(&m, "mtu", "1500", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "unknown key 'mtu'"));
	assert_string_equal(iommusim_mlx5_traffic_name(IOMMUSIM_MLX5_TRAFFIC_NR), "unknown");
}

static void test_mlx5_checks(void **state)
{
	struct fixture *f = *state;
	struct iommusim_mlx5_config m = {.queues = 3};
	struct iommusim_sim_config cfg = mlx5_config(f, "lpar", IOMMUSIM_POLICY_STRICT, m);

	assert_int_equal(iommusim_sim_config_check(&cfg, f->err, sizeof(f->err)), -EINVAL);
	assert_non_null(strstr(f->err, "mlx5.queues: out of range"));
	cfg.mlx5.queues = 0;
	cfg.mlx5.packet_bytes = 70000;
	assert_int_equal(iommusim_sim_config_check(&cfg, f->err, sizeof(f->err)), -EINVAL);
	assert_non_null(strstr(f->err, "mlx5.packet_bytes"));
	cfg.mlx5.packet_bytes = 0;
	cfg.mlx5.rx_ring = 8193;
	assert_int_equal(iommusim_sim_config_check(&cfg, f->err, sizeof(f->err)), -EINVAL);
	assert_non_null(strstr(f->err, "mlx5.rx_ring: out of range"));
	cfg.mlx5.rx_ring = 64;
	assert_int_equal(iommusim_sim_config_check(&cfg, f->err, sizeof(f->err)), 0);
	/* a TSO ring larger than guest memory is refused while building */
	cfg.mlx5.packet_bytes = 65536;
	cfg.mlx5.tx_ring = 8192;
	cfg.guest_memory = 256ull << 20;
	assert_int_equal(iommusim_sim_create_msg(f->mem, &cfg, &(struct iommusim_sim *){NULL},
						 f->err, sizeof(f->err)),
			 -EINVAL);
	assert_non_null(strstr(f->err, "need more guest memory"));
}

/* Every s390 platform refuses the probe in the wrong order; in the right one it builds. */
static void test_mlx5_probe_failure_on_s390(void **state)
{
	struct fixture *f = *state;
	static const char *const platforms[] = {"lpar", "zvm", "kvm"};

	for (size_t i = 0; i < 3; i++) {
		struct iommusim_mlx5_config m = {.cmd_init_before_mask = true};
		struct iommusim_sim_config cfg =
			mlx5_config(f, platforms[i], IOMMUSIM_POLICY_FQ_PERCPU, m);
		struct iommusim_sim *sim = NULL;

		assert_int_equal(
			iommusim_sim_create_msg(f->mem, &cfg, &sim, f->err, sizeof(f->err)),
			-EINVAL);
		assert_null(sim);
		assert_null(strchr(f->err, '\n'));
		assert_non_null(strstr(f->err, "mlx5: the guest's DMA stack refused the command "
					       "queue"));
		assert_non_null(strstr(f->err, "cmd_init_before_mask"));
		cfg.mlx5.cmd_init_before_mask = false;
		assert_int_equal(
			iommusim_sim_create_msg(f->mem, &cfg, &sim, f->err, sizeof(f->err)), 0);
		iommusim_sim_destroy(sim);
	}
}

/* powerpc runs the workload; the probe order is modelled on s390 only. */
static void test_mlx5_powerpc(void **state)
{
	struct fixture *f = *state;
	struct iommusim_mlx5_config m = {.traffic = IOMMUSIM_MLX5_BIDI};
	struct iommusim_sim_config cfg = mlx5_config(f, "powervm", IOMMUSIM_POLICY_DDW, m);
	struct iommusim_sim_stats st;

	cfg.warmup_ns = 300000000; /* past the DDW's population */
	st = sim_run_once(f->mem, &cfg);
	assert_true(st.packets > 100);
	assert_true(st.maps_per_packet > 0.3 && st.maps_per_packet < 0.7);
	cfg.mlx5.cmd_init_before_mask = true;
	assert_int_equal(iommusim_sim_config_check(&cfg, f->err, sizeof(f->err)), -EINVAL);
	assert_string_equal(f->err, "mlx5.cmd_init_before_mask: modelled on s390 platforms only");
}

SUITE_MAIN(cmocka_unit_test(test_mlx5_config_set),
	   cmocka_unit_test_setup_teardown(test_mlx5_checks, mlx5_setup, mlx5_teardown),
	   cmocka_unit_test_setup_teardown(test_mlx5_probe_failure_on_s390, mlx5_setup,
					   mlx5_teardown),
	   cmocka_unit_test_setup_teardown(test_mlx5_powerpc, mlx5_setup, mlx5_teardown))
