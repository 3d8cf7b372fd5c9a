/* SPDX-License-Identifier: MIT */
/*
 * The mlx5 workload's DMA calls per packet (IOMMUSIM_WORKLOAD_MLX5, sim/workload/mlx5*.c)
 * against counts worked out by hand from the driver (docs/sources.md S28): a TX packet maps
 * and unmaps its linear part and each page fragment; an RX packet's page-pool pages stay
 * mapped, and only the pages the pool loses are unmapped and replaced by new, mapped ones.
 * The same configuration and seed give the same figures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "mlx5_fixture.h"
#include "sim_run.h"
#include "suite_main.h"

/*
 * By hand: up to 2 KiB a packet is linear (one dma_map_single); beyond, 66 bytes of headers
 * are linear and the payload fills 4 KiB fragments: 9000 - 66 = 8934 bytes in 3 fragments,
 * 65536 - 66 = 65470 bytes in 16 (a TSO send of MAX_SKB_FRAGS' size).
 */
static const struct {
	uint32_t bytes;
	unsigned int tx_maps; /* 1 + fragments */
	unsigned int rx_pages;
} sizes[] = {
	{64, 1, 1}, {1500, 1, 1}, {2048, 1, 1}, {2049, 2, 1}, {9000, 4, 3}, {65536, 17, 16},
};

static void test_mlx5_tx_maps_by_hand(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		assert_int_equal(iommusim_mlx5_tx_maps(sizes[i].bytes), sizes[i].tx_maps);
}

/*
 * A TX packet's completion unmaps what its xmit mapped, and the next xmit in its place maps
 * as much: in the measured interval both are exactly 1 + fragments per packet.
 */
static void test_mlx5_tx_pairs_per_packet(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct iommusim_mlx5_config m = {.packet_bytes = sizes[i].bytes,
						 .traffic = IOMMUSIM_MLX5_TX};
		struct iommusim_sim_config cfg = mlx5_config(f, "lpar", IOMMUSIM_POLICY_STRICT, m);
		struct iommusim_sim_stats st = sim_run_once(f->mem, &cfg);

		assert_true(st.packets > 100);
		assert_int_equal(st.packets, st.ios_completed);
		assert_true(st.maps_per_packet == (double)sizes[i].tx_maps);
		assert_true(st.unmaps_per_packet == (double)sizes[i].tx_maps);
		assert_true(st.pps == st.iops);
		assert_true(fabs(st.gbps - st.mbps * 8 / 1000) < 1e-9);
		assert_int_equal(st.io_errors, 0);
	}
}

/* A pool that gets every page back maps none after its first fill, whatever the size. */
static void test_mlx5_rx_recycled_pages_stay_mapped(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct iommusim_mlx5_config m = {.packet_bytes = sizes[i].bytes,
						 .traffic = IOMMUSIM_MLX5_RX};
		struct iommusim_sim_config cfg = mlx5_config(f, "zvm", IOMMUSIM_POLICY_STRICT, m);
		struct iommusim_sim_stats st = sim_run_once(f->mem, &cfg);

		assert_true(st.packets > 10);
		assert_true(st.maps_per_packet == 0.0);
		assert_true(st.unmaps_per_packet == 0.0);
		assert_int_equal(st.rpcit_unmap, 0);
	}
}

/* A pool that loses every page unmaps and maps each page of each packet. */
static void test_mlx5_rx_lost_pages_are_mapped_again(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct iommusim_mlx5_config m = {.packet_bytes = sizes[i].bytes,
						 .traffic = IOMMUSIM_MLX5_RX,
						 .rx_miss_pct = 100};
		struct iommusim_sim_config cfg =
			mlx5_config(f, "lpar", IOMMUSIM_POLICY_FQ_PERCPU, m);
		struct iommusim_sim_stats st = sim_run_once(f->mem, &cfg);

		assert_true(st.packets > 10);
		assert_true(st.maps_per_packet == (double)sizes[i].rx_pages);
		assert_true(st.unmaps_per_packet == (double)sizes[i].rx_pages);
	}
}

/* Half the pages lost: about half a map and unmap per one-page packet, drawn per channel. */
static void test_mlx5_rx_partial_recycling(void **state)
{
	struct fixture *f = *state;
	struct iommusim_mlx5_config m = {.traffic = IOMMUSIM_MLX5_RX, .rx_miss_pct = 50};
	struct iommusim_sim_config cfg = mlx5_config(f, "lpar", IOMMUSIM_POLICY_STRICT, m);
	struct iommusim_sim_stats st = sim_run_once(f->mem, &cfg);

	assert_true(st.packets > 1000);
	assert_true(fabs(st.maps_per_packet - 0.5) < 0.05);
	assert_true(st.maps_per_packet == st.unmaps_per_packet);
}

/* Both ways: TX packets (one pair) and RX packets (no call) in about equal numbers. */
static void test_mlx5_bidi_halves(void **state)
{
	struct fixture *f = *state;
	struct iommusim_mlx5_config m = {.traffic = IOMMUSIM_MLX5_BIDI};
	struct iommusim_sim_config cfg = mlx5_config(f, "lpar", IOMMUSIM_POLICY_FQ_SINGLE, m);
	struct iommusim_sim_stats st = sim_run_once(f->mem, &cfg);

	assert_true(st.maps_per_packet > 0.3 && st.maps_per_packet < 0.7);
	assert_true(st.maps_per_packet == st.unmaps_per_packet);
	assert_true(st.mapped_end > 0); /* the pool's pages: mapped until the device goes */
}

/* The link's rate bounds the packets: 25 Gb/s of 1524-byte frames on the wire. */
static void test_mlx5_link_bound(void **state)
{
	struct fixture *f = *state;
	struct iommusim_mlx5_config m = {.traffic = IOMMUSIM_MLX5_TX};
	struct iommusim_sim_config cfg = mlx5_config(f, "lpar", IOMMUSIM_POLICY_FQ_PERCPU, m);
	struct iommusim_sim_stats st;

	cfg.cpus = 4;
	st = sim_run_once(f->mem, &cfg);
	assert_true(st.pps <= 3125e6 / 1524 * 1.001);
	assert_true(st.device_util > 0.9);
}

/* The same configuration twice, closed loop or a mix at a rate: the same draws and figures. */
static void test_mlx5_deterministic(void **state)
{
	struct fixture *f = *state;
	static const struct iommusim_mlx5_config runs[] = {
		{.packet_bytes = 9000, .traffic = IOMMUSIM_MLX5_BIDI, .rx_miss_pct = 30},
		{.traffic = IOMMUSIM_MLX5_BIDI,
		 .rx_miss_pct = 20,
		 .mix = {{64, 40}, {1500, 50}, {65536, 10}},
		 .rate_pps = 400000},
	};

	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct iommusim_sim_config cfg =
			mlx5_config(f, "zvm", IOMMUSIM_POLICY_FQ_PERCPU, runs[i]);
		struct iommusim_sim_stats a = sim_run_once(f->mem, &cfg);
		struct iommusim_sim_stats b = sim_run_once(f->mem, &cfg);

		assert_true(a.packets > 0);
		assert_int_equal(a.packets, b.packets);
		assert_true(a.pps == b.pps && a.gbps == b.gbps);
		assert_true(a.maps_per_packet == b.maps_per_packet);
		assert_true(a.lat_mean_us == b.lat_mean_us);
		assert_int_equal(a.rpcit_map, b.rpcit_map);
		assert_int_equal(a.late_starts, b.late_starts);
	}
}

SUITE_MAIN(cmocka_unit_test(test_mlx5_tx_maps_by_hand),
	   cmocka_unit_test_setup_teardown(test_mlx5_tx_pairs_per_packet, mlx5_setup,
					   mlx5_teardown),
	   cmocka_unit_test_setup_teardown(test_mlx5_rx_recycled_pages_stay_mapped, mlx5_setup,
					   mlx5_teardown),
	   cmocka_unit_test_setup_teardown(test_mlx5_rx_lost_pages_are_mapped_again, mlx5_setup,
					   mlx5_teardown),
	   cmocka_unit_test_setup_teardown(test_mlx5_rx_partial_recycling, mlx5_setup,
					   mlx5_teardown),
	   cmocka_unit_test_setup_teardown(test_mlx5_bidi_halves, mlx5_setup, mlx5_teardown),
	   cmocka_unit_test_setup_teardown(test_mlx5_link_bound, mlx5_setup, mlx5_teardown),
	   cmocka_unit_test_setup_teardown(test_mlx5_deterministic, mlx5_setup, mlx5_teardown))
