/* SPDX-License-Identifier: MIT */
/*
 * A research harness in a page: run one cell of `iommusim-bench compare` from C, with a
 * parameter of your own. Here: the s390-nvme-2023 scenario on KVM with the single flush
 * queue, asking what a faster VFIO_IOMMU_MAP_DMA (2 us instead of the table's 4 us) would
 * give QEMU, which handles every map RPCIT under its one lock, over 50 ms of simulated
 * time. It prints a few figures and exits 0 only if every I/O is accounted for and no DMA
 * mapping was left behind.
 * Build against an installed library with:
 *   cc harness.c $(pkg-config --cflags --libs iommusim)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <iommusim/iommusim.h>

#define MS 1000000ull

int main(void)
{
	/* Overrides apply after the platform's profile and the scenario's own settings. */
	const char *const sets[] = {"vfio.map_ioctl_ns=2000"};
	const struct iommusim_scenario *sc;
	struct iommusim_sim_config cfg;
	struct iommusim_sim_stats st;
	struct iommusim_cost *cost;
	struct iommusim_sim *sim;
	struct iommusim_mem *mem;
	char errbuf[256];
	long bad;
	int err, ok;

	sc = iommusim_scenario_lookup("s390-nvme-2023");
	if (!sc || iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem))
		return 1;
	err = iommusim_cost_create(mem, &cost);
	if (!err)
		err = iommusim_scenario_configure(sc, "kvm", cost, sets, 1, errbuf, sizeof(errbuf),
						  &bad);
	if (err) {
		fprintf(stderr, "harness: %s\n", err == -ENOMEM ? "out of memory" : errbuf);
		return 1;
	}

	/* The scenario's guest and workload; our own times and seed. */
	iommusim_scenario_sim_config(sc, IOMMUSIM_PLATFORM_KVM, IOMMUSIM_POLICY_FQ_SINGLE, cost,
				     &cfg);
	cfg.warmup_ns = 10 * MS;
	cfg.measure_ns = 50 * MS;
	cfg.seed = 42;
	/* The _msg variant names what could not be built, and why. */
	err = iommusim_sim_create_msg(mem, &cfg, &sim, errbuf, sizeof(errbuf));
	if (err) {
		fprintf(stderr, "harness: %s\n", errbuf);
		return 1;
	}
	err = iommusim_sim_run(sim);
	if (err) {
		fprintf(stderr, "harness: %s\n", iommusim_strerror(err));
		return 1;
	}
	iommusim_sim_get_stats(sim, &st);

	printf("%s on kvm, fq-single, vfio.map_ioctl_ns=2000, %.3f s simulated:\n", sc->name,
	       st.sim_seconds);
	printf("  %.0f IOPS, %.1f MB/s, latency mean %.1f us, p99 %.1f us\n", st.iops, st.mbps,
	       st.lat_mean_us, st.lat_p99_us);
	printf("  RPCITs: %" PRIu64 " on map, %" PRIu64 " global\n", st.rpcit_map, st.rpcit_global);
	printf("  busy: QEMU %.1f %%, vCPUs %.1f %%\n", st.server_util * 100.0,
	       st.cpu_util * 100.0);
	printf("  %" PRIu64 " failed maps, %" PRIu64 " budget exhaustions\n", st.map_failures,
	       st.budget_exhausted);

	/*
	 * Conservation: over the whole run every submitted I/O completed or failed (the run drains
	 * what is in flight), and nothing stayed mapped. Within the interval, what was submitted
	 * is what completed or failed, give or take the I/Os in flight at its two ends.
	 */
	ok = st.ios_submitted_total == st.ios_completed_total + st.io_errors_total &&
	     st.ios_submitted + st.in_flight_start ==
		     st.ios_completed + st.io_errors + st.in_flight_end &&
	     st.mapped_end == 0 && st.ios_completed > 0;
	printf("  %" PRIu64 " I/Os submitted in all, %" PRIu64 " completed, %" PRIu64
	       " failed: %s\n",
	       st.ios_submitted_total, st.ios_completed_total, st.io_errors_total,
	       ok ? "conserved" : "NOT conserved");

	iommusim_sim_destroy(sim);
	iommusim_cost_destroy(cost);
	if (iommusim_mem_live_objects(mem) != 0) {
		fprintf(stderr, "harness: memory left behind\n");
		ok = 0;
	}
	iommusim_mem_destroy(mem);
	return ok ? 0 : 1;
}
