/* SPDX-License-Identifier: MIT */
/*
 * What the flush queues' tests (test_fq.c, lib/dma/fq.c) use: a mock paging domain and a device
 * set up lazy with a flush queue of a given type and size, one-page maps and unmaps, and the
 * counters of the queues and the depot.
 */
#ifndef TESTS_UNIT_FQ_FIXTURE_H
#define TESTS_UNIT_FQ_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <iommusim/clock.h>
#include <iommusim/cpu.h>
#include <iommusim/device.h>
#include <iommusim/dma.h>
#include <iommusim/iommu.h>
#include <iommusim/iova.h>
#include <iommusim/mem.h>

#include "mock_fixture.h"
#include "fixture_state.h"

#define NCPU   4
#define PAGE   0x1000ull
#define MASK64 IOMMUSIM_DMA_BIT_MASK(64)
/* Highest PFN of the mock's 48-bit aperture. */
#define LIMIT48 ((1ull << 36) - 1)
#define MS	1000000ull

_Static_assert(NCPU == MOCK_FX_CPUS, "the tests use every CPU of the fixture");

/* Lazy, 6.7, NCPU CPUs, per-CPU queues of @fq_size (0: default), the manual clock. */
static inline struct iommusim_dma_iommu_config lazy_cfg(struct mock_fx *fx, uint32_t fq_size)
{
	return (struct iommusim_dma_iommu_config){
		.mode = IOMMUSIM_DMA_LAZY,
		.fq_type = IOMMUSIM_FQ_AUTO,
		.fq_size = fq_size,
		.possible_cpus = NCPU,
		.clock = fx->clock,
	};
}

/* The fixture with one device ("fqdev", 64-bit mask) of the mock's properties @md. */
static inline void fx_base(struct mock_fx *fx, enum iommusim_kernel kernel,
			   const struct mock_device_cfg *md)
{
	struct iommusim_device_config dcfg = {.name = "fqdev", .dma_mask = MASK64};
	struct mock_domain_cfg mcfg = {.kernel = kernel};

	mock_fx_base(fx, &mcfg);
	fx->dev = mock_fx_device(fx, &dcfg, md);
	fx->next_phys = 0x100000;
}

static inline void fx_up(struct mock_fx *fx, uint32_t fq_size)
{
	struct iommusim_dma_iommu_config cfg;

	fx_base(fx, IOMMUSIM_KERNEL_6_7, NULL);
	cfg = lazy_cfg(fx, fq_size);
	mock_fx_setup(fx, &cfg);
}

/* What most tests start from: a lazy domain with the default flush queue. */
FIXTURE_STATE(fq, struct mock_fx, fx_up, mock_fx_down, 0)

/* Map one page of fresh memory on @cpu. */
static inline uint64_t map1(struct mock_fx *fx, unsigned int cpu)
{
	uint64_t dma = ~0ull;

	assert_int_equal(iommusim_dma_map_page(fx->dev, fx->cpu[cpu], fx->next_phys, PAGE,
					       IOMMUSIM_DMA_TO_DEVICE, &dma),
			 0);
	fx->next_phys += PAGE;
	return dma;
}

static inline void unmap1(struct mock_fx *fx, unsigned int cpu, uint64_t dma)
{
	iommusim_dma_unmap_page(fx->dev, fx->cpu[cpu], dma, PAGE, IOMMUSIM_DMA_TO_DEVICE);
}

/* Map @n pages into @dma, on CPU 0 or (@spread) on each CPU in turn. */
static inline void map_many(struct mock_fx *fx, uint64_t *dma, unsigned int n, bool spread)
{
	for (unsigned int i = 0; i < n; i++)
		dma[i] = map1(fx, spread ? i % NCPU : 0);
}

/* Unmap the first @n of @dma on the CPUs map_many() mapped them on. */
static inline void unmap_many(struct mock_fx *fx, const uint64_t *dma, unsigned int n, bool spread)
{
	for (unsigned int i = 0; i < n; i++)
		unmap1(fx, spread ? i % NCPU : 0, dma[i]);
}

/* @n pages mapped and unmapped at once, on each CPU in turn. */
static inline void churn(struct mock_fx *fx, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		unmap1(fx, i % NCPU, map1(fx, i % NCPU));
}

static inline size_t flushes(struct mock_fx *fx)
{
	return mock_log_count(fx->m, MOCK_CALL_FLUSH_ALL);
}

static inline struct iommusim_dma_stats stats(struct mock_fx *fx)
{
	struct iommusim_dma_stats st;

	iommusim_dma_get_stats(fx->dev, &st);
	return st;
}

/* Single pages reclaimed into CPU @cpu's order-0 magazines. */
static inline unsigned int fill(struct mock_fx *fx, unsigned int cpu)
{
	unsigned int loaded, prev;

	assert_int_equal(iommusim_iova_rcache_fill(fx->iovad, 0, cpu, &loaded, &prev), 0);
	return loaded + prev;
}

static inline uint64_t depot0(struct mock_fx *fx)
{
	struct iommusim_iova_rcache_state rs;

	assert_int_equal(iommusim_iova_rcache_state(fx->iovad, 0, &rs), 0);
	return rs.depot_size;
}

static inline uint64_t alloc_fast_pfn(struct mock_fx *fx, unsigned int cpu)
{
	uint64_t pfn = 0;

	assert_int_equal(iommusim_iova_alloc_fast(fx->iovad, fx->cpu[cpu], 1, LIMIT48, true, &pfn),
			 0);
	return pfn;
}

#endif /* TESTS_UNIT_FQ_FIXTURE_H */
