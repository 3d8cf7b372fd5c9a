/* SPDX-License-Identifier: MIT */
#include "zpci_rig.h"

#include <errno.h>
#include <string.h>

static int rig_dma(struct zpci_rig *r, const struct zpci_rig_config *cfg)
{
	struct iommusim_dma_iommu_config dma = cfg->dma;
	int ret;

	if (zpci_rig_policy_legacy(cfg->policy)) {
		struct iommusim_s390_legacy_config lcfg = {
			.strict = cfg->policy == ZPCI_RIG_LEGACY_STRICT,
		};

		return iommusim_s390_legacy_dma_setup(r->dev, &lcfg);
	}
	dma.mode = cfg->policy == ZPCI_RIG_STRICT ? IOMMUSIM_DMA_STRICT : IOMMUSIM_DMA_LAZY;
	dma.fq_type = cfg->policy == ZPCI_RIG_FQ_SINGLE ? IOMMUSIM_FQ_SINGLE
		      : cfg->policy == ZPCI_RIG_FQ_AUTO ? IOMMUSIM_FQ_AUTO
							: IOMMUSIM_FQ_PER_CPU;
	dma.possible_cpus = r->ncpu;
	dma.clock = r->clock;
	ret = iommusim_s390_domain_create(r->mem, dma.kernel, &r->domain);
	if (!ret && cfg->set_enomem)
		ret = iommusim_s390_domain_set_enomem(r->domain, cfg->enomem);
	return ret ? ret : iommusim_dma_iommu_setup(r->dev, r->domain, &dma);
}

int zpci_rig_up(struct zpci_rig *r, const struct zpci_rig_config *cfg)
{
	struct iommusim_device_config dcfg = {
		.name = cfg->name ? cfg->name : "nvme",
		.pci = true,
		.dma_mask = IOMMUSIM_DMA_BIT_MASK(64),
		.coherent_dma_mask = IOMMUSIM_DMA_BIT_MASK(64),
	};
	struct iommusim_zpci_config zcfg = cfg->zpci;
	int ret;

	memset(r, 0, sizeof(*r));
	r->policy = cfg->policy;
	r->legacy = zpci_rig_policy_legacy(cfg->policy);
	r->lazy = zpci_rig_policy_lazy(cfg->policy);
	r->tlb_refresh = cfg->zpci.tlb_refresh;
	if (cfg->ncpu < 1 || cfg->ncpu > ZPCI_RIG_MAX_CPUS)
		return -EINVAL;
	if (!zcfg.start_dma && !zcfg.end_dma) {
		zcfg.start_dma = IOMMUSIM_ZPCI_QEMU_START_DMA;
		zcfg.end_dma = IOMMUSIM_ZPCI_QEMU_END_DMA;
	}
	ret = iommusim_mem_create(cfg->default_mem ? IOMMUSIM_MEM_DEFAULT : IOMMUSIM_MEM_LIBC,
				  &r->mem);
	if (ret)
		return ret;
	ret = cfg->null_firmware ? iommusim_firmware_create_null(r->mem, &r->fw)
				 : iommusim_firmware_create_script(r->mem, &r->fw);
	if (!ret)
		ret = iommusim_manual_clock_create(r->mem, &r->clock);
	for (; !ret && r->ncpu < cfg->ncpu; r->ncpu++)
		ret = iommusim_cpu_create(r->mem, r->ncpu, &r->cpu[r->ncpu]);
	if (!ret)
		ret = iommusim_device_create(r->mem, &dcfg, &r->dev);
	if (!ret)
		ret = iommusim_s390_device_init(r->dev, r->fw, &zcfg);
	if (!ret)
		ret = iommusim_s390_device_window(r->dev, &r->start_dma, &r->end_dma);
	return ret ? ret : rig_dma(r, cfg);
}

int zpci_rig_translate(const struct zpci_rig *r, uint64_t iova, uint64_t *phys, int *prot)
{
	if (r->legacy)
		return iommusim_s390_legacy_translate(r->dev, iova, phys, prot);
	return iommusim_iommu_translate(r->domain, iova, phys, prot);
}

int zpci_rig_pages(const struct zpci_rig *r, uint64_t *mapped, uint64_t *unmapped)
{
	struct iommusim_s390_legacy_counters lc;
	struct iommusim_s390_counters dc;
	int ret;

	if (r->legacy) {
		ret = iommusim_s390_legacy_counters(r->dev, &lc);
		*mapped = lc.mapped_pages;
		*unmapped = lc.unmapped_pages;
	} else {
		ret = iommusim_s390_domain_counters(r->domain, &dc);
		*mapped = dc.mapped_pages;
		*unmapped = dc.unmapped_pages;
	}
	return ret;
}

struct zpci_rig_leftover zpci_rig_down(struct zpci_rig *r)
{
	struct zpci_rig_leftover left = {0, 0};

	iommusim_device_destroy(r->dev);
	iommusim_domain_destroy(r->domain);
	for (unsigned int i = 0; i < r->ncpu; i++)
		iommusim_cpu_destroy(r->cpu[i]);
	iommusim_firmware_destroy(r->fw);
	iommusim_clock_destroy(r->clock);
	if (r->mem) {
		left.objects = iommusim_mem_live_objects(r->mem);
		left.bytes = iommusim_mem_live_bytes(r->mem);
		iommusim_mem_destroy(r->mem);
	}
	memset(r, 0, sizeof(*r));
	return left;
}
