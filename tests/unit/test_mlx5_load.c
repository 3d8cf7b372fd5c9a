/* SPDX-License-Identifier: MIT */
/*
 * The mlx5 workload's packet-size mix and offered load (struct iommusim_mlx5_config's mix and
 * rate_pps; sim/workload/mlx5_config.c, mlx5_pace.c): a mix's maps per packet against its
 * weights, within the spread of its draws; its text and its one-line errors; a mix of one
 * class is the run of its size; a rate the function sustains is met to the packet, one it
 * does not shows late starts (test_mlx5_counts.c checks that they are deterministic).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "mlx5_fixture.h"
#include "sim_run.h"
#include "suite_main.h"

/* The fixture's measured interval, in seconds. */
#define MEASURED 0.01

static void test_mlx5_mix_text(void **state)
{
	static const struct {
		const char *mix, *err;
	} bad[] = {
		{"64:40,1500:50", "mlx5.mix: weights sum to 90, not 100"},
		{"10:100", "mlx5.mix: 10 is not in 64..65536"},
		{"65537:100", "mlx5.mix: 65537 is not in 64..65536"},
		{"64:0,1500:100", "mlx5.mix: weight 0 is not in 1..100"},
		{"64:20,128:20,256:20,512:20,1024:20", "mlx5.mix: more than 4 classes"},
		{"64-40", "mlx5.mix: '64-40' is not SIZE:PERCENT"},
		{"64:100,", "mlx5.mix: '' is not SIZE:PERCENT"},
		{"64:x", "mlx5.mix: '64:x' is not SIZE:PERCENT"},
	};
	struct iommusim_mlx5_config m = {.packet_bytes = 1500};
	char err[256];

	(void)state;
	assert_int_equal(iommusim_mlx5_config_set(&m, "mix", "64:40,1500:50,9k:10", err, 256), 0);
	assert_int_equal(m.mix[0].bytes, 64);
	assert_int_equal(m.mix[1].pct, 50);
	assert_int_equal(m.mix[2].bytes, 9216);
	assert_int_equal(m.mix[3].pct, 0);
	assert_int_equal(m.packet_bytes, 0); /* the mix replaces the size */
	assert_int_equal(iommusim_mlx5_config_set(&m, "rate", "250000", err, 256), 0);
	assert_int_equal(m.rate_pps, 250000);

	/* each error names the problem, and leaves the mix as it was */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(iommusim_mlx5_config_set(&m, "mix", bad[i].mix, err, 256),
				 -EINVAL);
		assert_string_equal(err, bad[i].err);
	}
	assert_int_equal(m.mix[2].bytes, 9216);
	assert_int_equal(iommusim_mlx5_config_set(&m, "rate", "1000000001", err, 256), -EINVAL);
	assert_int_equal(m.rate_pps, 250000);

	/* a size replaces the mix */
	assert_int_equal(iommusim_mlx5_config_set(&m, "pkt", "9000", err, 256), 0);
	assert_int_equal(m.mix[0].pct, 0);
	assert_int_equal(m.packet_bytes, 9000);
}

/* The library checks a mix it did not parse the same way. */
static void test_mlx5_mix_checked(void **state)
{
	struct fixture *f = *state;
	struct iommusim_mlx5_config m = {.mix = {{64, 50}, {9000, 49}}};
	struct iommusim_sim_config cfg = mlx5_config(f, "lpar", IOMMUSIM_POLICY_STRICT, m);

	assert_int_equal(iommusim_sim_config_check(&cfg, f->err, sizeof(f->err)), -EINVAL);
	assert_non_null(strstr(f->err, "mlx5.mix: weights sum to 99, not 100"));
	cfg.mlx5.mix[1] = (struct iommusim_mlx5_class){70000, 50};
	assert_int_equal(iommusim_sim_config_check(&cfg, f->err, sizeof(f->err)), -EINVAL);
	assert_non_null(strstr(f->err, "mlx5.mix: 70000 is not in 64..65536"));
}

/*
 * 64 and 9000 bytes half each: 1 or 1 + 3 TX maps, 2.5 per packet expected. The unmaps of the
 * interval are those of the packets it completed, whose 9000-byte share is binomial: within
 * five standard deviations, 3 * 5 * sqrt(0.25 / n). The maps are those of the packets sent in
 * it: the packets in flight at its edges (two rings of 64, each up to 3 maps off) add 2 * 128
 * * 3 / n. The bytes per packet follow the same draws: (64 + 9000) / 2 on average.
 */
static void test_mlx5_mix_tx_maps(void **state)
{
	struct fixture *f = *state;
	struct iommusim_mlx5_config m = {.traffic = IOMMUSIM_MLX5_TX,
					 .mix = {{64, 50}, {9000, 50}}};
	struct iommusim_sim_config cfg = mlx5_config(f, "lpar", IOMMUSIM_POLICY_STRICT, m);
	struct iommusim_sim_stats st = sim_run_once(f->mem, &cfg);
	double n = (double)st.packets, spread = 3 * 5 * sqrt(0.25 / n);
	double bytes = st.mbps * 1e6 / st.iops;

	assert_true(n > 2000);
	assert_true(fabs(st.unmaps_per_packet - 2.5) <= spread);
	assert_true(fabs(st.maps_per_packet - 2.5) <= spread + 2 * 128 * 3 / n);
	/* not the maps of either size alone */
	assert_true(st.unmaps_per_packet > 1.5 && st.unmaps_per_packet < 3.5);
	assert_true(fabs(bytes - 4532) <= 8936 * 5 * sqrt(0.25 / n));
	assert_int_equal(st.io_errors, 0);
}

/* RX with every page lost: each packet maps the pages it filled, 1 or 3, 2 on average. */
static void test_mlx5_mix_rx_pages(void **state)
{
	struct fixture *f = *state;
	struct iommusim_mlx5_config m = {
		.traffic = IOMMUSIM_MLX5_RX, .rx_miss_pct = 100, .mix = {{64, 50}, {9000, 50}}};
	struct iommusim_sim_config cfg = mlx5_config(f, "lpar", IOMMUSIM_POLICY_STRICT, m);
	struct iommusim_sim_stats st = sim_run_once(f->mem, &cfg);
	double n = (double)st.packets;

	assert_true(n > 1000);
	/* unmapped when the packet is processed: exactly its pages, 1 + 2 per 9000-byte one */
	assert_true(fabs(st.unmaps_per_packet - 2.0) <= 2 * 5 * sqrt(0.25 / n));
	assert_true(fabs(st.maps_per_packet - 2.0) <= 2 * 5 * sqrt(0.25 / n) + 2 * 128 * 2 / n);
}

/* A mix of one class draws nothing: the run of its size, to the last figure. */
static void test_mlx5_mix_of_one_is_its_size(void **state)
{
	struct fixture *f = *state;
	struct iommusim_mlx5_config size = {
		.packet_bytes = 9000, .traffic = IOMMUSIM_MLX5_BIDI, .rx_miss_pct = 30};
	struct iommusim_mlx5_config mix = {
		.traffic = IOMMUSIM_MLX5_BIDI, .rx_miss_pct = 30, .mix = {{9000, 100}}};
	struct iommusim_sim_config a = mlx5_config(f, "zvm", IOMMUSIM_POLICY_FQ_PERCPU, size);
	struct iommusim_sim_config b = mlx5_config(f, "zvm", IOMMUSIM_POLICY_FQ_PERCPU, mix);
	struct iommusim_sim_stats x = sim_run_once(f->mem, &a), y = sim_run_once(f->mem, &b);

	assert_int_equal(x.packets, y.packets);
	assert_true(x.maps_per_packet == y.maps_per_packet);
	assert_true(x.lat_mean_us == y.lat_mean_us && x.gbps == y.gbps);
	assert_int_equal(x.rpcit_map, y.rpcit_map);
}

/*
 * 100 000 packets per second, which LPAR sustains many times over: each of the 2 channels
 * starts one every 20 us on its time, so the interval completes rate * its length packets,
 * give or take one per channel at each of its edges, and no start is late.
 */
static void test_mlx5_rate_kept(void **state)
{
	struct fixture *f = *state;
	static const enum iommusim_mlx5_traffic ways[] = {IOMMUSIM_MLX5_TX, IOMMUSIM_MLX5_RX,
							  IOMMUSIM_MLX5_BIDI};

	for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
		struct iommusim_mlx5_config m = {.traffic = ways[i], .rate_pps = 100000};
		struct iommusim_sim_config cfg = mlx5_config(f, "lpar", IOMMUSIM_POLICY_STRICT, m);
		struct iommusim_sim_stats st = sim_run_once(f->mem, &cfg);
		double offered = ways[i] == IOMMUSIM_MLX5_BIDI ? 200000 : 100000;
		double edge = 2.0 * 2 * (ways[i] == IOMMUSIM_MLX5_BIDI ? 2 : 1);

		assert_true(st.offered_pps == offered);
		assert_true(fabs((double)st.packets - offered * MEASURED) <= edge);
		assert_int_equal(st.late_starts, 0);
		assert_int_equal(st.io_errors, 0);
	}
}

/*
 * Ten million 64-byte packets per second on z/VM under strict, whose RPCITs bound it far
 * below: the function falls behind, and its starts are late.
 */
static void test_mlx5_rate_not_kept(void **state)
{
	struct fixture *f = *state;
	struct iommusim_mlx5_config m = {
		.packet_bytes = 64, .traffic = IOMMUSIM_MLX5_TX, .rate_pps = 10000000};
	struct iommusim_sim_config cfg = mlx5_config(f, "zvm", IOMMUSIM_POLICY_STRICT, m);
	struct iommusim_sim_stats st = sim_run_once(f->mem, &cfg);

	assert_true(st.packets > 0);
	assert_true(st.pps < st.offered_pps / 2);
	assert_true(st.late_starts > 0);
	assert_true(st.late_starts <= st.ios_submitted);
}

/* A test of the suite, on the fixture. */
#define MLX5_TEST(fn) cmocka_unit_test_setup_teardown(fn, mlx5_setup, mlx5_teardown)

SUITE_MAIN(cmocka_unit_test(test_mlx5_mix_text), MLX5_TEST(test_mlx5_mix_checked),
	   MLX5_TEST(test_mlx5_mix_tx_maps), MLX5_TEST(test_mlx5_mix_rx_pages),
	   MLX5_TEST(test_mlx5_mix_of_one_is_its_size), MLX5_TEST(test_mlx5_rate_kept),
	   MLX5_TEST(test_mlx5_rate_not_kept))
