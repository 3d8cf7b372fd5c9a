/* SPDX-License-Identifier: MIT */
/*
 * What the two halves of a simulation share: sim.c builds and runs it, sim_stats.c turns two
 * snapshots of its counters into the statistics of the measured interval.
 */
#ifndef ISIM_RUN_SIM_IMPL_H
#define ISIM_RUN_SIM_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <iommusim/dma.h>
#include <iommusim/s390.h>
#include <iommusim/sim.h>

#include "arch/powerpc/pseries.h"
#include "firmware/ppc_firmware.h"
#include "stats/exposure.h"
#include "stats/hist.h"
#include "workload/workload.h"

/* Every counter the statistics are differences of, read at one instant. */
struct isim_sim_snapshot {
	uint64_t t;
	struct isim_workload_counters io;
	struct iommusim_dma_stats dma;
	struct iommusim_s390_counters s390;
	struct iommusim_s390_legacy_counters legacy;
	struct iommusim_platform_stats plat;
	struct isim_ppc_fw_stats ppc;
	uint64_t charged;
	struct iommusim_server_stats server;
	struct iommusim_server_stats device;
	/* When each server is next idle from t on: the end of the busy stretch holding t. */
	uint64_t server_idle;
	uint64_t device_idle;
};

struct isim_pseries_pe;
struct isim_pnv_pe;

/* A powerpc guest's DMA set-up (sim_ppc.c): one PE of its platform's kind. */
struct isim_sim_ppc {
	struct isim_pseries_pe *pseries;
	struct isim_pnv_pe *pnv;
	enum iommusim_ppc_window window;
	enum iommusim_ppc_ddw ddw;
	/* enable_ddw()'s answer to the driver's last streaming mask */
	struct isim_ddw_result ddw_first;
	/* CPU 0's cycles when the set-up was done */
	uint64_t setup_cycles;
};

struct iommusim_sim {
	struct iommusim_mem *mem;
	struct iommusim_sim_config cfg;
	const struct iommusim_cost *cost;
	struct iommusim_engine *e;
	struct iommusim_platform *platform;
	struct iommusim_device *dev;
	struct iommusim_domain *domain; /* NULL for the legacy ops and on powerpc */
	bool is_ppc;			/* a powerpc platform: ppc holds the guest's set-up */
	struct isim_sim_ppc ppc;
	/* the workload: its ops (workload.h) and the object they take */
	const struct isim_workload_ops *wl_ops;
	void *wl;
	uint32_t fq_size;
	uint32_t fq_timeout_ms;
	bool ran;
	/*
	 * The memory context's refusals when the simulation began: any refusal after that, even
	 * one the guest's kernel took in its stride (a flush queue it went without, a magazine it
	 * did not cache), makes the results those of another machine, so it is reported as -ENOMEM.
	 */
	uint64_t mem_failed;
	/* iommusim_cost_work_cycles() per kind, read once: the engine charges work by them. */
	uint64_t work_cycles[IOMMUSIM_WORK_NR];
	struct iommusim_sim_stats stats;
	/* the calls logged for cfg.record */
	struct isim_recorder recorder;
	/* the DMA exposure window (docs/exposure.md) */
	struct isim_exposure *exposure;
	/* the time series (sim_series.c): every record allocated at creation, niv filled */
	struct iommusim_sim_interval *iv;
	size_t niv, iv_cap;
	struct isim_sim_snapshot iv_prev; /* the snapshot the next interval starts from */
	struct isim_hist *iv_lat;	  /* the workload's per-interval latency histogram */
	/* What the series' server probes added to the platform server's counters since the
	 * measured interval began, which the interval's statistics leave out. */
	uint64_t probe_requests;
	uint64_t probe_wait;
};

/*
 * -ENOMEM when the host ran out of memory since the simulation began: the memory context
 * refused a request, or the platform could not grow its shadow. 0 otherwise.
 */
int isim_sim_host_error(const struct iommusim_sim *sim);
/* Why a run stops early: the host's memory first, then an event the workload could not queue. */
int isim_sim_error(const struct iommusim_sim *sim);

/* Read every counter at cycle @t (the engine's now). */
void isim_sim_take_snapshot(struct iommusim_sim *sim, uint64_t t, struct isim_sim_snapshot *s);
/* Start the servers' counting at @t, the interval's start. */
void isim_sim_reset_servers(struct iommusim_sim *sim, uint64_t t);
/* The interval's statistics from its two snapshots, into sim->stats. */
void isim_sim_compute_stats(struct iommusim_sim *sim, const struct isim_sim_snapshot *a,
			    const struct isim_sim_snapshot *b);
/* After the drain: the whole run's totals and what stayed mapped. */
void isim_sim_finish_stats(struct iommusim_sim *sim);

/* The RPCITs and flushes between two snapshots, as the statistics count them. */
struct isim_sim_rpcits {
	uint64_t map, unmap, global, fq_flushes, legacy_wraps;
};
void isim_sim_rpcits(const struct iommusim_sim *sim, const struct isim_sim_snapshot *a,
		     const struct isim_sim_snapshot *b, struct isim_sim_rpcits *out);

/* The busy share of [a->t, b->t) of the platform's server (@device false) or the device's. */
double isim_sim_busy_share(const struct isim_sim_snapshot *a, const struct isim_sim_snapshot *b,
			   bool device);

/* ---- the powerpc guest (sim_ppc.c) ---- */

/*
 * The PE and the NVMe function's DMA ops on it, the driver's first mask; 0, -EINVAL or -ENOMEM
 * with the reason in @errbuf.
 */
int isim_sim_ppc_setup(struct iommusim_sim *sim, char *errbuf, size_t errlen);
/* After the driver's rings: its final mask (mask32_first), and the window it ended with. */
int isim_sim_ppc_finish(struct iommusim_sim *sim, char *errbuf, size_t errlen);
void isim_sim_ppc_destroy(struct iommusim_sim *sim);
/* The guest kernel's page size (ppc.kernel_page). */
uint64_t isim_sim_ppc_kernel_page(const struct iommusim_sim *sim);
void isim_sim_ppc_snapshot(struct iommusim_sim *sim, struct isim_sim_snapshot *s);
/* The powerpc members of the interval's statistics. */
void isim_sim_ppc_stats(const struct iommusim_sim *sim, const struct isim_sim_snapshot *a,
			const struct isim_sim_snapshot *b, struct iommusim_sim_stats *st);

/* ---- the time series (sim_series.c) ---- */

/* Check @cfg->interval_ns; 0 or -EINVAL with the message in @errbuf (@errlen bytes). */
int isim_sim_series_check(const struct iommusim_sim_config *cfg, char *errbuf, size_t errlen);

/* Allocate the records (nothing without interval_ns); 0 or -ENOMEM. */
int isim_sim_series_create(struct iommusim_sim *sim);
void isim_sim_series_destroy(struct iommusim_sim *sim);

/* Begin at cycle 0: the first interval's starting snapshot, latencies recorded. */
void isim_sim_series_start(struct iommusim_sim *sim);

/* The cycle at which the next interval ends, or UINT64_MAX when none is left. */
uint64_t isim_sim_series_next(const struct iommusim_sim *sim);

/* Every event before isim_sim_series_next() has run: record the interval that ends there. */
void isim_sim_series_boundary(struct iommusim_sim *sim);

/*
 * A finite workload ended the run at cycle @t, before the series' last boundary: record the
 * shorter interval that ends there (nothing when it would be empty).
 */
void isim_sim_series_close(struct iommusim_sim *sim, uint64_t t);

/* The servers' counters were reset (the measured interval begins). */
void isim_sim_series_servers_reset(struct iommusim_sim *sim);

#endif /* ISIM_RUN_SIM_IMPL_H */
