/* SPDX-License-Identifier: MIT */
/*
 * The NVMe workload: an fio-like closed loop of jobs, each pinned to one CPU with its own queue
 * pair, driving one NVMe device through the guest's DMA API (docs/workload.md).
 *
 * Per I/O on job j's CPU: fio's loop and the driver's submission work, the data mapping
 * (dma_map_page for up to 2 pages, dma_map_sg beyond), the doorbell; the device serves I/Os one
 * at a time in doorbell order (a timed server bounded by its IOPS and bandwidth ceilings), then
 * takes a seeded latency draw; the completion interrupt runs on CPU j: completion work, unmap,
 * latency recorded, the job's next I/O submitted. A failed mapping fails the I/O and the job
 * goes on with its next one, so every submitted I/O ends as completed or failed.
 */
#ifndef ISIM_WORKLOAD_NVME_H
#define ISIM_WORKLOAD_NVME_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/cost.h>
#include <iommusim/device.h>
#include <iommusim/engine.h>
#include <iommusim/mem.h>
#include <iommusim/sim.h>

#include "stats/exposure.h"
#include "stats/hist.h"

struct isim_nvme;

/*
 * The span of device offsets that random I/O is drawn from and sequential I/O wraps in. Only
 * recorded, never timed: the device model's latency does not depend on the offset.
 */
#define ISIM_NVME_NAMESPACE_BYTES (1ull << 40)

/* Random stream numbers under the simulation's seed: the device's, then one per job. */
#define ISIM_NVME_STREAM_DEVICE 0u
#define ISIM_NVME_STREAM_JOB0	1u

/*
 * struct isim_nvme_setup - what the workload runs on.
 * @engine:     its CPUs run the jobs (job j on CPU j); it must outlive the workload.
 * @dev:        the NVMe function, its DMA ops installed; it must outlive the workload.
 * @cost:       nvme.* and fio.* are read from it. The DMA calls' own part, like the rest of the
 *              guest's work, is reported by the DMA API and charged by the CPUs' work hook.
 * @job:        jobs, iodepth, block size, pattern, direction (checked by the caller).
 * @seed:       seeds the device's and the jobs' random streams.
 * @phys_base:  first guest-physical byte the rings and buffers may use (page aligned).
 * @phys_limit: guest-physical bytes available from 0 (the guest's memory size).
 * @steps:      run each DMA call in an event of its own at the time the CPU reaches it, so
 *              that the firmware calls inside reach a shared server (QEMU's big lock) in time
 *              order; needed when the platform has one, wasted work otherwise.
 * @exposure:   NULL, or the tracker told of every data unmap (its IOVA pages, when it begins
 *              and returns) for the DMA exposure window; it must outlive the workload.
 * @kernel_page: the guest kernel's page size, which its coherent memory comes in (rings and
 *              the PRP pool's pages are rounded up to it); 0 means 4 KiB.
 * @errbuf:     NULL, or receives why isim_nvme_create() failed (@errlen bytes).
 */
struct isim_nvme_setup {
	struct iommusim_engine *engine;
	struct iommusim_device *dev;
	const struct iommusim_cost *cost;
	const struct iommusim_nvme_config *job;
	uint64_t seed;
	uint64_t phys_base;
	uint64_t phys_limit;
	bool steps;
	struct isim_exposure *exposure;
	uint64_t kernel_page;
	char *errbuf;
	size_t errlen;
};

/*
 * struct isim_nvme_counters - running totals since creation (levels where noted).
 * @submitted:       I/Os whose submission began (a mapping was attempted).
 * @completed:       I/Os completed (unmapped, latency known).
 * @failed:          I/Os whose mapping failed.
 * @completed_bytes: bytes of the completed I/Os.
 * @in_flight:       level: I/Os submitted and not yet completed or failed (their map may
 *                   still be pending).
 * @coherent:        level: coherent allocations live (rings and PRP-list pages).
 */
struct isim_nvme_counters {
	uint64_t submitted;
	uint64_t completed;
	uint64_t failed;
	uint64_t completed_bytes;
	uint64_t in_flight;
	uint64_t coherent;
};

/*
 * Build the workload: request slots, scatter lists, the device server and random streams, and
 * the driver's long-lived coherent memory (SQ and CQ rings per queue pair, a PRP-list page per
 * request when an I/O spans more than two pages), allocated on CPU 0 at the engine's now.
 * Return: 0; -EINVAL when the rings and buffers do not fit in guest memory or a coherent
 * allocation is refused by the DMA stack; -ENOMEM when the memory context refuses an
 * allocation (also one inside the DMA stack that made it refuse a coherent allocation).
 */
int isim_nvme_create(struct iommusim_mem *mem, const struct isim_nvme_setup *setup,
		     struct isim_nvme **out);

/* Unmap what is still in flight (a run cut short), free the coherent memory (on CPU 0) and all. */
void isim_nvme_destroy(struct isim_nvme *n);

/* Queue every request slot's first submission at the engine's now. Return: 0 or -ENOMEM. */
int isim_nvme_start(struct isim_nvme *n);

/* Record the latency of I/Os completing from now on (@on) or not. */
void isim_nvme_measure(struct isim_nvme *n, bool on);

/*
 * Submit nothing more. Return: true when I/Os are still in flight: the last completion then
 * stops the engine, so iommusim_engine_run() drains them.
 */
bool isim_nvme_stop(struct isim_nvme *n);

/*
 * The first error the event callbacks met, or 0: -ENOMEM when the engine could not queue an
 * event, or when a map failed and the memory context had refused an allocation since the
 * workload was built (the failure is the host's, not the guest's).
 */
int isim_nvme_error(const struct isim_nvme *n);

/* Read the counters. */
void isim_nvme_counters(const struct isim_nvme *n, struct isim_nvme_counters *out);

/* The latencies recorded while measuring, in cycles. */
const struct isim_hist *isim_nvme_latency(const struct isim_nvme *n);

/*
 * A second latency histogram for a time series: every completion from now on is recorded in
 * it, measuring or not (@on), until it is turned off. Returns it, for the caller to read and
 * empty at each interval's end.
 */
struct isim_hist *isim_nvme_interval_latency(struct isim_nvme *n, bool on);

/* The device's server ("nvme"), for its utilisation. */
struct iommusim_server *isim_nvme_server(const struct isim_nvme *n);

#endif /* ISIM_WORKLOAD_NVME_H */
