/* SPDX-License-Identifier: MIT */
/*
 * The DMA exposure window (docs/exposure.md): for every unmapped IOVA range, the simulated
 * time from the return of the unmap call to the first invalidation that covers the whole
 * range, when a device could still reach the freed pages through a stale IOTLB (or host
 * shadow) entry. The workload says when an unmap begins and returns; the platform says when
 * an RPCIT it executed invalidated a range of pages. Times are the CPUs' cycles.
 *
 * Ranges waiting for their invalidation are kept in unmap order, with a bitmap of their pages
 * over the DMA window, so that the RPCIT of every new mapping (which never covers a waiting
 * range: the kernel does not reuse an IOVA before its flush) is checked in a few word reads,
 * and a global invalidation settles every waiting range in one pass.
 */
#ifndef ISIM_STATS_EXPOSURE_H
#define ISIM_STATS_EXPOSURE_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/mem.h>

#include "stats/hist.h"

struct isim_exposure;

/*
 * Create a tracker for IOVA pages [@first, @end) (the device's DMA window); a range outside
 * it is still tracked, but only a global invalidation settles it. Return: 0 or -ENOMEM.
 */
int isim_exposure_create(struct iommusim_mem *mem, uint64_t first, uint64_t end,
			 struct isim_exposure **out);

/* Free the tracker (NULL is ignored). */
void isim_exposure_destroy(struct isim_exposure *x);

/*
 * An unmap of IOVA pages [@first, @end) begins: an invalidation covering the range before it
 * returns comes after the call cleared the page-table entries (the kernel clears, then
 * flushes), so the range is never exposed.
 */
void isim_exposure_unmap_begin(struct isim_exposure *x, uint64_t first, uint64_t end);

/*
 * The unmap returned at cycle @t: the range is settled, or waits for its invalidation. A
 * range that cannot be recorded (the memory context refused a block) is dropped; the refusal
 * is counted on the memory context, which fails the simulation.
 */
void isim_exposure_unmap_end(struct isim_exposure *x, uint64_t t);

/* The platform invalidated IOVA pages [@first, @end); the RPCIT returned at cycle @t. */
void isim_exposure_invalidate(struct isim_exposure *x, uint64_t first, uint64_t end, uint64_t t);

/*
 * The three calls below take NULL for a simulation without a tracker (powerpc) and do nothing.
 *
 * The measured window [@a, @b): exposed bytes are integrated over it, until
 * isim_exposure_close(); settled exposures are recorded while isim_exposure_measure() is on.
 */
void isim_exposure_window(struct isim_exposure *x, uint64_t a, uint64_t b);
void isim_exposure_measure(struct isim_exposure *x, bool on);

/* At the window's end: add what the waiting ranges were exposed in it, and integrate no more. */
void isim_exposure_close(struct isim_exposure *x);

/* The exposures settled while measuring, in cycles. */
const struct isim_hist *isim_exposure_hist(const struct isim_exposure *x);

/* Bytes x cycles exposed within the window (exact until isim_exposure_close()). */
double isim_exposure_byte_cycles(const struct isim_exposure *x);

/* Ranges waiting for their invalidation now. */
uint64_t isim_exposure_waiting(const struct isim_exposure *x);

#endif /* ISIM_STATS_EXPOSURE_H */
