/* SPDX-License-Identifier: MIT */
/*
 * The machine the tests of dma-iommu and its flush queues run on: CPU handles, a manual clock,
 * a domain of the mock driver (mock_iommu.h) and a device that dma-iommu sets up over it.
 * Header-only, so each test executable gets its own copy; include it after <cmocka.h>.
 */
#ifndef TESTS_COMMON_MOCK_FIXTURE_H
#define TESTS_COMMON_MOCK_FIXTURE_H

#include <string.h>
#include <iommusim/dma.h>
#include <iommusim/iova.h>

#include "machine.h"
#include "mock_iommu.h"

#define MOCK_FX_CPUS 4

struct mock_fx {
	struct iommusim_mem *mem;
	struct iommusim_clock *clock;
	struct iommusim_cpu *cpu[MOCK_FX_CPUS];
	struct mock_domain *m;
	struct iommusim_domain *dom;
	struct iommusim_device *dev;
	struct iommusim_iova_domain *iovad;
	/* where the next buffer a test maps starts, for tests that keep one */
	uint64_t next_phys;
};

/* The default memory backend, MOCK_FX_CPUS CPUs, the clock and a domain of @mcfg (NULL: defaults).
 */
static inline void mock_fx_base(struct mock_fx *fx, const struct mock_domain_cfg *mcfg)
{
	memset(fx, 0, sizeof(*fx));
	machine_up(IOMMUSIM_MEM_DEFAULT, &fx->mem, &fx->clock, fx->cpu, MOCK_FX_CPUS);
	assert_int_equal(mock_domain_create(fx->mem, mcfg, &fx->m), 0);
	fx->dom = mock_dom(fx->m);
}

/* A device of @dcfg (NULL: one named "dev") with the mock's properties @mdcfg (NULL: none). */
static inline struct iommusim_device *mock_fx_device(struct mock_fx *fx,
						     const struct iommusim_device_config *dcfg,
						     const struct mock_device_cfg *mdcfg)
{
	struct iommusim_device_config def = {.name = "dev"};
	struct mock_device_cfg mdef = {0};
	struct iommusim_device *dev;

	assert_int_equal(iommusim_device_create(fx->mem, dcfg ? dcfg : &def, &dev), 0);
	assert_int_equal(mock_device_set(dev, mdcfg ? mdcfg : &mdef), 0);
	return dev;
}

/* dma-iommu for fx->dev over the domain with @cfg (lazy without a clock: the fixture's). */
static inline void mock_fx_setup(struct mock_fx *fx, const struct iommusim_dma_iommu_config *cfg)
{
	struct iommusim_dma_iommu_config c = *cfg;

	if (!c.clock && c.mode == IOMMUSIM_DMA_LAZY)
		c.clock = fx->clock;
	assert_int_equal(iommusim_dma_iommu_setup(fx->dev, fx->dom, &c), 0);
	fx->iovad = iommusim_dma_iova_domain(fx->dev);
	assert_non_null(fx->iovad);
}

/* Destroy the device and the domain; nothing may be left, no timer pending. */
static inline void mock_fx_down(struct mock_fx *fx)
{
	iommusim_device_destroy(fx->dev);
	iommusim_domain_destroy(fx->dom);
	machine_down(fx->mem, fx->clock, fx->cpu, MOCK_FX_CPUS);
}

#endif /* TESTS_COMMON_MOCK_FIXTURE_H */
