/* SPDX-License-Identifier: MIT */
/*
 * What a simulation asks of its workload (sim.h, enum iommusim_workload_kind): an ops table
 * the runner (sim.c, sim_stats.c, sim_series.c) calls and each workload fills, so that the
 * runner knows no workload's details. The NVMe closed loop (nvme.c) and the replay of a
 * recorded DMA trace (trace_run.c) are its implementations.
 */
#ifndef ISIM_WORKLOAD_WORKLOAD_H
#define ISIM_WORKLOAD_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/cost.h>
#include <iommusim/device.h>
#include <iommusim/engine.h>
#include <iommusim/iommu.h>
#include <iommusim/mem.h>
#include <iommusim/sim.h>

#include "stats/exposure.h"
#include "stats/hist.h"
#include "workload/trace_record.h"

/*
 * struct isim_workload_setup - what a workload runs on.
 * @engine:     its CPUs run the workload; it must outlive the workload.
 * @dev:        the device, its DMA ops installed; it must outlive the workload.
 * @cost:       the workload's parameters are read from it. The DMA calls' own part, like the
 *              rest of the guest's work, is reported by the DMA API and charged by the CPUs'
 *              work hook.
 * @cfg:        the simulation's configuration (checked by the workload's check first).
 * @seed:       seeds the workload's random streams.
 * @phys_base:  first guest-physical byte its buffers may use (page aligned).
 * @phys_limit: guest-physical bytes available from 0 (the guest's memory size).
 * @steps:      run each DMA call in an event of its own at the time the CPU reaches it, so
 *              that the firmware calls inside reach a shared server (QEMU's big lock) in time
 *              order; needed when the platform has one, wasted work otherwise.
 * @exposure:   NULL, or the tracker told of every data unmap (its IOVA pages, when it begins
 *              and returns) for the DMA exposure window; it must outlive the workload.
 * @record:     NULL, or the log of the data maps and unmaps the workload makes.
 * @kernel_page: the guest kernel's page size, which its coherent memory comes in (the NVMe
 *              rings and the PRP pool's pages are rounded up to it); 0 means 4 KiB.
 * @errbuf:     NULL, or receives why the workload's create failed (@errlen bytes).
 */
struct isim_workload_setup {
	struct iommusim_engine *engine;
	struct iommusim_device *dev;
	const struct iommusim_cost *cost;
	const struct iommusim_sim_config *cfg;
	uint64_t seed;
	uint64_t phys_base;
	uint64_t phys_limit;
	bool steps;
	struct isim_exposure *exposure;
	struct isim_recorder *record;
	uint64_t kernel_page;
	char *errbuf;
	size_t errlen;
};

/*
 * struct isim_workload_counters - running totals since creation (levels where noted). An
 * "I/O" is the workload's unit of work: an NVMe request; a trace's buffer (its map to its
 * unmap).
 * @submitted:       I/Os whose submission began (a mapping was attempted).
 * @completed:       I/Os completed (unmapped, latency known).
 * @failed:          I/Os whose mapping failed.
 * @completed_bytes: bytes of the completed I/Os.
 * @in_flight:       level: I/Os submitted and not yet completed or failed.
 * @coherent:        level: coherent allocations live.
 */
struct isim_workload_counters {
	uint64_t submitted;
	uint64_t completed;
	uint64_t failed;
	uint64_t completed_bytes;
	uint64_t in_flight;
	uint64_t coherent;
};

/*
 * struct isim_workload_state - what every workload keeps for the runner, the first member of
 * its own struct, so that the ops which only read or set it are shared (workload.c).
 * @ctr:          the counters.
 * @stopping:     a closed loop's: submit nothing more (isim_workload_stop()).
 * @measuring:    record latencies in @lat.
 * @interval_on:  record them in @interval_lat too (a time series).
 * @err:          the first error the workload's events met.
 */
struct isim_workload_state {
	struct isim_workload_counters ctr;
	bool stopping;
	bool measuring;
	bool interval_on;
	int err;
	struct isim_hist lat;
	struct isim_hist interval_lat;
};

/* The shared ops, for a workload whose struct starts with its struct isim_workload_state. */
void isim_workload_measure(void *w, bool on);
int isim_workload_error(const void *w);
void isim_workload_counters(const void *w, struct isim_workload_counters *out);
const struct isim_hist *isim_workload_latency(const void *w);
struct isim_hist *isim_workload_interval_latency(void *w, bool on);
/* A closed loop's: stop submitting; true while I/Os are in flight. */
bool isim_workload_stop(void *w);
/* A closed loop's: it never runs out of work, only the runner ends it. */
bool isim_workload_endless(const void *w);

/* A latency, in cycles, into the histograms that are on. */
void isim_workload_record_latency(struct isim_workload_state *s, uint64_t cycles);

/*
 * When the guest's DMA set-up is done: the cycle from which every CPU is free of the work
 * booked before the run (a DDW's population takes ~0.1 s on powerpc; s390's set-up much less).
 */
uint64_t isim_workload_setup_done(const struct iommusim_engine *e);

/* An event could not go on faithfully: keep the first error, and the run ends here. */
void isim_workload_fail(struct isim_workload_state *s, struct iommusim_engine *e, int err);

/*
 * struct isim_workload_ops - a workload. Every function but @stats is required; each takes the
 * object @create made.
 * @check:    check the workload's part of a configuration, before anything is built: 0, or
 *            -EINVAL with a one-line message naming the member in @errbuf (@errlen bytes).
 * @create:   build it (0, -EINVAL with the reason in setup->errbuf, -ENOMEM).
 * @destroy:  give back what it still holds mapped, free everything (NULL is ignored).
 * @start:    queue its first events at the engine's now; 0 or -ENOMEM.
 * @measure:  record latencies from now on (@on) or not.
 * @stop:     submit nothing more; true when work is still in flight, whose end then stops the
 *            engine (the runner drains it with iommusim_engine_run()).
 * @finished: it has nothing left to do and stopped the engine: a finite workload (a trace)
 *            ends the run early, and the measured interval with it.
 * @error:    the first error its events met, or 0 (-ENOMEM: an event it could not queue, or a
 *            refusal of the host's memory).
 * @counters: read the counters.
 * @latency:  the latencies recorded while measuring, in cycles.
 * @interval_latency: a second histogram for a time series, recording every completion while
 *            @on, measuring or not; returned for the caller to read and empty.
 * @server:   the device's server, for its utilisation; NULL when the workload has none.
 * @stats:    NULL, or add the workload's own figures of the measured interval to @st, whose
 *            common figures are filled (engine at @hz cycles per second).
 * @after_setup: its time 0 is when the guest's DMA set-up is done (isim_workload_setup_done()),
 *            and so is the earliest start of its measured interval: a trace, timed by its
 *            recording. A closed loop's warm-up covers the set-up instead.
 */
struct isim_workload_ops {
	int (*check)(const struct iommusim_sim_config *cfg, char *errbuf, size_t errlen);
	int (*create)(struct iommusim_mem *mem, const struct isim_workload_setup *setup,
		      void **out);
	void (*destroy)(void *w);
	int (*start)(void *w);
	void (*measure)(void *w, bool on);
	bool (*stop)(void *w);
	bool (*finished)(const void *w);
	int (*error)(const void *w);
	void (*counters)(const void *w, struct isim_workload_counters *out);
	const struct isim_hist *(*latency)(const void *w);
	struct isim_hist *(*interval_latency)(void *w, bool on);
	struct iommusim_server *(*server)(const void *w);
	void (*stats)(const void *w, uint64_t hz, struct iommusim_sim_stats *st);
	bool after_setup;
};

/* The hull [*lo, *hi) of the bus addresses of the @n output segments of a mapped list. */
static inline void isim_workload_sg_hull(const struct iommusim_sg *sg, unsigned int n, uint64_t *lo,
					 uint64_t *hi)
{
	*lo = UINT64_MAX;
	*hi = 0;
	for (unsigned int i = 0; i < n; i++) {
		if (sg[i].dma_address < *lo)
			*lo = sg[i].dma_address;
		if (sg[i].dma_address + sg[i].dma_length > *hi)
			*hi = sg[i].dma_address + sg[i].dma_length;
	}
}

/* The workloads. */
extern const struct isim_workload_ops isim_nvme_ops;
extern const struct isim_workload_ops isim_trace_ops;
extern const struct isim_workload_ops isim_mlx5_ops;

/* The ops of workload @kind, or NULL for a value that names none. */
const struct isim_workload_ops *isim_workload_ops(enum iommusim_workload_kind kind);

#endif /* ISIM_WORKLOAD_WORKLOAD_H */
