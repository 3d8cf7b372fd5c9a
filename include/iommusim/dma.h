/* SPDX-License-Identifier: MIT */
/**
 * @file dma.h  The DMA API a device driver calls (dma_map_page, dma_map_sg, dma_alloc_coherent
 * and their unmaps), and dma-iommu, its implementation over an IOMMU domain.
 *
 * A device gets its DMA operations from one setup call: iommusim_dma_iommu_setup() here
 * (strict or lazy with a per-CPU or single flush queue, drivers/iommu/dma-iommu.c), or
 * iommusim_s390_legacy_dma_setup() in s390.h (arch/s390/pci/pci_dma.c of Linux 6.6). The map
 * and unmap calls below then dispatch to whichever is installed.
 *
 * Coherent allocations take the physical address of the buffer from the caller: the simulator
 * models addresses, not memory contents.
 */
#ifndef IOMMUSIM_DMA_H
#define IOMMUSIM_DMA_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/clock.h>
#include <iommusim/cpu.h>
#include <iommusim/device.h>
#include <iommusim/export.h>
#include <iommusim/iommu.h>
#include <iommusim/iova.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Per-CPU flush queue entries (IOVA_DEFAULT_FQ_SIZE, and IOVA_FQ_SIZE of Linux 6.6). */
#define IOMMUSIM_FQ_PER_CPU_SIZE 256u
/** Per-CPU flush queue timeout in ms (IOVA_DEFAULT_FQ_TIMEOUT). */
#define IOMMUSIM_FQ_PER_CPU_TIMEOUT_MS 10u
/** Single flush queue entries (IOVA_SINGLE_FQ_SIZE, Linux 6.7+). */
#define IOMMUSIM_FQ_SINGLE_SIZE 32768u
/** Single flush queue timeout in ms (IOVA_SINGLE_FQ_TIMEOUT). */
#define IOMMUSIM_FQ_SINGLE_TIMEOUT_MS 1000u

/** enum iommusim_dma_mode - the default domain type. */
enum iommusim_dma_mode {
	/** IOMMU_DOMAIN_DMA_FQ: unmaps are flushed lazily through a flush queue (default). */
	IOMMUSIM_DMA_LAZY = 0,
	/** IOMMU_DOMAIN_DMA: every unmap syncs the IOTLB before the IOVA is reused. */
	IOMMUSIM_DMA_STRICT,
};

/** enum iommusim_fq_type - which flush queue a lazy domain uses. */
enum iommusim_fq_type {
	/** As the kernel chooses: single if the device has shadow_on_flush, else per-CPU. */
	IOMMUSIM_FQ_AUTO = 0,
	/** One queue per CPU (IOMMU_DMA_OPTS_PER_CPU_QUEUE). */
	IOMMUSIM_FQ_PER_CPU,
	/** One queue for the domain (IOMMU_DMA_OPTS_SINGLE_QUEUE, Linux 6.7+). */
	IOMMUSIM_FQ_SINGLE,
};

/**
 * struct iommusim_dma_iommu_config - how dma-iommu sets up a device's domain.
 * @mode:           strict or lazy; a device without deferred-flush capability (an s390 ISM
 *                  device) is strict whatever this says, as in the kernel.
 * @fq_type:        queue layout of a lazy domain.
 * @fq_size:        entries per queue, a power of two >= 2; 0 = the type's default (256 or
 *                  32768). Capacity is @fq_size - 1.
 * @fq_timeout_ms:  ms from the first queued entry to the timed flush; 0 = the type's default
 *                  (10 or 1000).
 * @kernel:         IOMMUSIM_KERNEL_6_6 gives per-CPU queues of 256 only and the array depot
 *                  of 6.6 in the IOVA domain; 6.7 is the default.
 * @forcedac:       iommu.forcedac=1 (s390 sets it): no 32-bit-first IOVA attempt.
 * @possible_cpus:  CPUs that may call the DMA API: per-CPU caches and queues exist for them.
 * @clock:          where the flush-queue timer and the IOVA depot trim run (required for a
 *                  lazy domain; its timers run on the CPU that armed them).
 */
struct iommusim_dma_iommu_config {
	enum iommusim_dma_mode mode;
	enum iommusim_fq_type fq_type;
	uint32_t fq_size;
	uint32_t fq_timeout_ms;
	enum iommusim_kernel kernel;
	bool forcedac;
	unsigned int possible_cpus;
	struct iommusim_clock *clock;
};

/**
 * struct iommusim_dma_stats - what a device's DMA operations did.
 * @maps:            successful map_page, map_sg and alloc calls.
 * @unmaps:          unmap_page, unmap_sg and free calls.
 * @map_failures:    map calls that failed (no IOVA, a failed mapping, firmware refusal).
 * @mapped_bytes:    bytes mapped by successful maps.
 * @fq_entries:      IOVAs queued for lazy freeing. The fq_* counters belong to the domain:
 *                   every device on it reports the same values.
 * @fq_flushes:      flush-queue IOTLB flushes, all causes.
 * @fq_full_flushes: flushes because a queue was still full.
 * @fq_timer_flushes: flushes by the timeout.
 * @iova_32bit_fallbacks: 32-bit-first attempts that failed and switched the device to its
 *                   full mask (happens at most once per device).
 */
struct iommusim_dma_stats {
	uint64_t maps;
	uint64_t unmaps;
	uint64_t map_failures;
	uint64_t mapped_bytes;
	uint64_t fq_entries;
	uint64_t fq_flushes;
	uint64_t fq_full_flushes;
	uint64_t fq_timer_flushes;
	uint64_t iova_32bit_fallbacks;
};

/**
 * iommusim_dma_iommu_setup() - attach @dev to @domain and make dma-iommu its DMA API
 * (iommu_setup_dma_ops + iommu_dma_init_domain): IOVA domain with the smallest page size as
 * granule and base PFN max(1, aperture start), the device's reserved regions reserved,
 * options and flush queue by @cfg. A second device on the same domain shares its IOVA space.
 * A later device on a domain shares the first one's cookie: its mode and queue options are
 * those of the first device.
 * Return: 0; -EINVAL for a bad @cfg (e.g. fq_size not a power of two); -EBUSY if @dev already
 * has DMA ops or is attached to another domain; -EFAULT if the domain's cookie was built for
 * another granule or base; the driver's error if it refuses the device; -ENOMEM.
 */
IOMMUSIM_API int iommusim_dma_iommu_setup(struct iommusim_device *dev,
					  struct iommusim_domain *domain,
					  const struct iommusim_dma_iommu_config *cfg);

/**
 * iommusim_dma_map_page() - dma_map_page(): make [phys, phys + size) reachable by @dev.
 * @dma_addr: receives the bus address (with phys's offset in the granule).
 * Return: 0; -ENOMEM (no IOVA) or the mapping's error, with nothing left mapped or allocated;
 * -ENODEV if @dev has no DMA ops.
 */
IOMMUSIM_API int iommusim_dma_map_page(struct iommusim_device *dev, struct iommusim_cpu *cpu,
				       uint64_t phys, uint64_t size, enum iommusim_dma_dir dir,
				       uint64_t *dma_addr);

/** iommusim_dma_unmap_page() - dma_unmap_page() of a mapping made by iommusim_dma_map_page(). */
IOMMUSIM_API void iommusim_dma_unmap_page(struct iommusim_device *dev, struct iommusim_cpu *cpu,
					  uint64_t dma_addr, uint64_t size,
					  enum iommusim_dma_dir dir);

/**
 * iommusim_dma_map_sg() - dma_map_sg(): map a scatter-gather list; dma-iommu maps it as one
 * IOVA range. Output segments are written to the elements' dma_address/dma_length.
 * @count: receives the number of output segments.
 * Return: 0, or an error with nothing left mapped.
 */
IOMMUSIM_API int iommusim_dma_map_sg(struct iommusim_device *dev, struct iommusim_cpu *cpu,
				     struct iommusim_sg *sg, unsigned int nents,
				     enum iommusim_dma_dir dir, unsigned int *count);

/** iommusim_dma_unmap_sg() - dma_unmap_sg() with the list and nents passed to the map. */
IOMMUSIM_API void iommusim_dma_unmap_sg(struct iommusim_device *dev, struct iommusim_cpu *cpu,
					struct iommusim_sg *sg, unsigned int nents,
					enum iommusim_dma_dir dir);

/**
 * iommusim_dma_alloc_coherent() - dma_alloc_coherent() of the buffer at @phys (page aligned),
 * mapped bidirectionally under the coherent DMA mask.
 * Return: 0, or an error with nothing left mapped.
 */
IOMMUSIM_API int iommusim_dma_alloc_coherent(struct iommusim_device *dev, struct iommusim_cpu *cpu,
					     uint64_t phys, uint64_t size, uint64_t *dma_addr);

/** iommusim_dma_free_coherent() - dma_free_coherent(). */
IOMMUSIM_API void iommusim_dma_free_coherent(struct iommusim_device *dev, struct iommusim_cpu *cpu,
					     uint64_t size, uint64_t dma_addr);

/** iommusim_dma_get_stats() - counters of @dev's DMA operations (zeros if none). */
IOMMUSIM_API void iommusim_dma_get_stats(struct iommusim_device *dev,
					 struct iommusim_dma_stats *out);

/**
 * iommusim_dma_iommu_flush_queue() - iommu_dma_flush_fq-like helper for tests and harnesses:
 * flush the IOTLB once and reclaim every queued IOVA of @dev's domain (no-op when strict).
 */
IOMMUSIM_API void iommusim_dma_iommu_flush_queue(struct iommusim_device *dev,
						 struct iommusim_cpu *cpu);

/**
 * iommusim_dma_iommu_lazy() - whether @dev's dma-iommu domain defers its IOTLB flushes through
 * a flush queue: false for a strict domain, for a device without dma-iommu ops, and for a lazy
 * one whose queue could not be allocated (dma-iommu then runs strict, as the kernel does).
 */
IOMMUSIM_API bool iommusim_dma_iommu_lazy(struct iommusim_device *dev);

/**
 * iommusim_dma_iova_domain() - the IOVA domain behind @dev's dma-iommu cookie (NULL if none),
 * for inspection.
 */
IOMMUSIM_API struct iommusim_iova_domain *iommusim_dma_iova_domain(struct iommusim_device *dev);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_DMA_H */
