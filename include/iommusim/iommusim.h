/* SPDX-License-Identifier: MIT */
/**
 * @file iommusim.h  Everything public in iommusim, in one include.
 *
 * iommusim reimplements the guest kernel's IOMMU DMA stack with Linux semantics and runs it
 * on simulated CPUs against models of the platform underneath, so IOTLB flushing policies can
 * be compared deterministically.
 */
#ifndef IOMMUSIM_IOMMUSIM_H
#define IOMMUSIM_IOMMUSIM_H

#include <iommusim/version.h>
#include <iommusim/export.h>
#include <iommusim/error.h>
#include <iommusim/mem.h>
#include <iommusim/cpu.h>
#include <iommusim/clock.h>
#include <iommusim/firmware.h>
#include <iommusim/iova.h>
#include <iommusim/iova_replay.h>
#include <iommusim/device.h>
#include <iommusim/iommu.h>
#include <iommusim/dma.h>
#include <iommusim/s390.h>
#include <iommusim/cost.h>
#include <iommusim/engine.h>
#include <iommusim/platform.h>
#include <iommusim/sim.h>
#include <iommusim/study.h>
#include <iommusim/report.h>
#include <iommusim/tce.h>
#include <iommusim/tce_replay.h>
#include <iommusim/trace.h>

#endif /* IOMMUSIM_IOMMUSIM_H */
