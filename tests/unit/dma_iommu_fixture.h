/* SPDX-License-Identifier: MIT */
/*
 * The rig of dma-iommu's tests (lib/dma): a device behind the mock paging domain, DMA mapped
 * through the API, with checks of the driver calls, the IOVA tree and the rcache.
 */
#ifndef TESTS_UNIT_DMA_IOMMU_FIXTURE_H
#define TESTS_UNIT_DMA_IOMMU_FIXTURE_H

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
#include "test_rng.h"
#include "fixture_state.h"

#define NCPU	4
#define PAGE	0x1000ull
#define BAD_DMA (~0ull)

_Static_assert(NCPU == MOCK_FX_CPUS, "the tests use every CPU of the fixture");

/* The config most tests use: strict, 6.7, NCPU CPUs, a manual clock. */
static inline struct iommusim_dma_iommu_config base_cfg(struct mock_fx *fx)
{
	return (struct iommusim_dma_iommu_config){
		.mode = IOMMUSIM_DMA_STRICT,
		.possible_cpus = NCPU,
		.clock = fx->clock,
	};
}

/* A mock domain and one device set up with @cfg (NULL: base_cfg). */
static inline void fx_up(struct mock_fx *fx, const struct mock_domain_cfg *mcfg,
			 const struct iommusim_device_config *dcfg,
			 const struct mock_device_cfg *mdcfg,
			 const struct iommusim_dma_iommu_config *cfg)
{
	struct iommusim_dma_iommu_config c;

	mock_fx_base(fx, mcfg);
	c = cfg ? *cfg : base_cfg(fx);
	fx->dev = mock_fx_device(fx, dcfg, mdcfg);
	mock_fx_setup(fx, &c);
}

/* A mock domain and one device (@mdcfg) set up lazy with base_cfg and a flush queue of
 * @fq_size entries (0: the default). */
static inline void fx_up_lazy(struct mock_fx *fx, const struct mock_device_cfg *mdcfg,
			      unsigned int fq_size)
{
	struct iommusim_dma_iommu_config cfg;

	mock_fx_base(fx, NULL);
	cfg = base_cfg(fx);
	cfg.mode = IOMMUSIM_DMA_LAZY;
	cfg.fq_size = fq_size;
	fx->dev = mock_fx_device(fx, NULL, mdcfg);
	assert_int_equal(iommusim_dma_iommu_setup(fx->dev, fx->dom, &cfg), 0);
	fx->iovad = iommusim_dma_iova_domain(fx->dev);
}

/* What most tests start from: a strict domain and one device with base_cfg(). */
FIXTURE_STATE(dma, struct mock_fx, fx_up, mock_fx_down, NULL, NULL, NULL, NULL)

static inline uint64_t iova_nodes(struct mock_fx *fx)
{
	struct iommusim_iova_stats st;

	iommusim_iova_get_stats(fx->iovad, &st);
	return st.nodes;
}

/* PFNs parked in CPU @cpu's loaded + prev magazines of size class @order. */
static inline unsigned int rcache_fill(struct mock_fx *fx, unsigned int order, unsigned int cpu)
{
	unsigned int loaded, prev;

	assert_int_equal(iommusim_iova_rcache_fill(fx->iovad, order, cpu, &loaded, &prev), 0);
	return loaded + prev;
}

static inline uint64_t map(struct mock_fx *fx, unsigned int cpu, uint64_t phys, uint64_t size)
{
	uint64_t dma = BAD_DMA;

	assert_int_equal(iommusim_dma_map_page(fx->dev, fx->cpu[cpu], phys, size,
					       IOMMUSIM_DMA_BIDIRECTIONAL, &dma),
			 0);
	return dma;
}

static inline void unmap(struct mock_fx *fx, unsigned int cpu, uint64_t dma, uint64_t size)
{
	iommusim_dma_unmap_page(fx->dev, fx->cpu[cpu], dma, size, IOMMUSIM_DMA_BIDIRECTIONAL);
}

static inline struct iommusim_dma_stats stats(struct mock_fx *fx)
{
	struct iommusim_dma_stats st;

	iommusim_dma_get_stats(fx->dev, &st);
	return st;
}

static inline void expect_call(struct mock_fx *fx, size_t i, enum mock_call_kind kind,
			       uint64_t iova, uint64_t size)
{
	struct mock_call c = mock_log_at(fx->m, i);

	assert_true(i < mock_log_len(fx->m));
	assert_int_equal(c.kind, kind);
	assert_int_equal(c.iova, iova);
	assert_int_equal(c.size, size);
}

static inline void expect_translate(struct mock_fx *fx, uint64_t iova, uint64_t phys)
{
	uint64_t p = 0;

	assert_true(mock_lookup(fx->m, iova, &p, NULL));
	assert_int_equal(p, phys);
}

static inline void sg_set(struct iommusim_sg *sg, uint64_t phys, uint64_t len)
{
	*sg = (struct iommusim_sg){
		.phys = phys, .length = len, .dma_address = 0x5a5a, .dma_length = 0x5a5a};
}

#endif /* TESTS_UNIT_DMA_IOMMU_FIXTURE_H */
