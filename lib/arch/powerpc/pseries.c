/* SPDX-License-Identifier: MIT */
/*
 * A pSeries PE: its default window's table (pci_dma_dev_setup_pSeriesLP(): ibm,dma-window with
 * 4 KiB TCEs, no reserved range), the devices that use it, and the hook through which
 * dma_set_mask() reaches enable_ddw() (iommu_bypass_supported_pSeriesLP()). The DDW itself is
 * pseries_ddw.c. sources.md S22, S24.
 */
#include <errno.h>

#include "arch/powerpc/ppc_dma.h"
#include "arch/powerpc/pseries.h"
#include "base/memory.h"

/* The default window's TCEs are 4 KiB on every pSeries (IOMMU_PAGE_SHIFT_4K). */
#define DEFAULT_TCE_SHIFT 12u

static int check_config(const struct isim_pseries_pe_config *cfg)
{
	uint64_t tce = UINT64_C(1) << DEFAULT_TCE_SHIFT;

	if (!cfg->mem || !cfg->fw || (cfg->page_shift != 12 && cfg->page_shift != 16))
		return -EINVAL;
	if ((cfg->default_offset | cfg->default_size) & (tce - 1))
		return -EINVAL;
	/* RAM the window sizes can still name as a power of two of bytes */
	if (cfg->ram_max < cfg->ram_present || cfg->ram_max > (UINT64_C(1) << 62) ||
	    cfg->ext_count > 3)
		return -EINVAL;
	if (cfg->max_physmem_bits > 63 || cfg->mmio32_end < cfg->mmio32_start)
		return -EINVAL;
	return 0;
}

int isim_pseries_pe_create(const struct isim_pseries_pe_config *cfg, struct iommusim_cpu *cpu,
			   struct isim_pseries_pe **out)
{
	struct isim_pseries_pe *pe;
	int err;

	if (!cfg || !cpu || !out)
		return -EINVAL;
	err = check_config(cfg);
	if (err)
		return err;
	pe = isim_zalloc(cfg->mem, sizeof(*pe), 0);
	if (!pe)
		return -ENOMEM;
	pe->cfg = *cfg;
	if (cfg->default_size) {
		struct isim_ppc_table_config tcfg = {
			.mem = cfg->mem,
			.fw = cfg->fw,
			.kind = ISIM_PPC_TABLE_LPAR,
			.liobn = cfg->default_liobn,
			.offset = cfg->default_offset,
			.size = cfg->default_size,
			.page_shift = DEFAULT_TCE_SHIFT,
			.put_tce_ind = cfg->multi_tce,
			.stuff_tce = cfg->multi_tce,
		};

		err = isim_ppc_table_create(&tcfg, cpu, &pe->tables[0]);
		if (err) {
			isim_free(cfg->mem, pe, sizeof(*pe), 0);
			return err;
		}
		pe->default_present = true;
	}
	*out = pe;
	return 0;
}

void isim_pseries_pe_destroy(struct isim_pseries_pe *pe)
{
	if (!pe)
		return;
	isim_ppc_table_put(pe->tables[0]);
	isim_ppc_table_put(pe->tables[1]);
	isim_free(pe->cfg.mem, pe, sizeof(*pe), 0);
}

/* mirrors iommu_bypass_supported_pSeriesLP() */
static int pseries_bypass_supported(void *arg, struct iommusim_device *dev,
				    struct iommusim_cpu *cpu, uint64_t mask, bool *ok)
{
	struct isim_pseries_pe *pe = arg;
	struct isim_ddw_result res;
	int err;

	*ok = false;
	/* a 32-bit device stays in the default window; wider masks ask for a DDW */
	if (mask <= IOMMUSIM_DMA_BIT_MASK(32)) {
		pe->last = (struct isim_ddw_result){.why = ISIM_DDW_MASK32};
		return 0;
	}
	err = isim_ddw_enable(pe, dev, cpu, mask, &res);
	*ok = res.bypass;
	return err;
}

static const struct isim_ppc_platform_ops pseries_ops = {
	.bypass_supported = pseries_bypass_supported,
};

int isim_pseries_dev_setup(struct isim_pseries_pe *pe, struct iommusim_device *dev, bool novmerge)
{
	struct isim_ppc_dma_config cfg = {
		.tbl = pe->tables[0],
		.page_shift = pe->cfg.page_shift,
		.novmerge = novmerge,
		.ram_end = pe->cfg.ram_present,
		/* disable_ddw leaves the hook unset: no mask ever bypasses */
		.plat = pe->cfg.disable_ddw ? NULL : &pseries_ops,
		.plat_arg = pe,
	};

	return isim_ppc_dma_setup(dev, &cfg);
}
