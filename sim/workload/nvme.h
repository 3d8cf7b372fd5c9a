/* SPDX-License-Identifier: MIT */
/*
 * The NVMe workload: an fio-like closed loop of jobs, each pinned to one CPU with its own queue
 * pair, driving one NVMe device through the guest's DMA API (docs/workloads.md).
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

#include "workload/workload.h"

/*
 * The span of device offsets that random I/O is drawn from and sequential I/O wraps in. Only
 * recorded, never timed: the device model's latency does not depend on the offset.
 */
#define ISIM_NVME_NAMESPACE_BYTES (1ull << 40)

/* Random stream numbers under the simulation's seed: the device's, then one per job. */
#define ISIM_NVME_STREAM_DEVICE 0u
#define ISIM_NVME_STREAM_JOB0	1u

/* The workload's ops (workload.h): isim_nvme_ops. */

#endif /* ISIM_WORKLOAD_NVME_H */
