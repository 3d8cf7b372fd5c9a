/* SPDX-License-Identifier: MIT */
/*
 * PowerNV PHB4 windows: window 0's geometry (pnv_pci_ioda2_setup_default_config()), the choice
 * between it, the bypass at 2^59 and the alternative 4 GiB direct window
 * (pnv_pci_ioda_iommu_bypass_supported(), pnv_pci_ioda_dma_64bit_bypass()), and a PE whose
 * devices use them. sources.md S23.
 */
#include <errno.h>

#include "arch/powerpc/ppc_dma.h"
#include "arch/powerpc/powernv.h"
#include "base/bitops.h"
#include "base/cpu_work.h"
#include "base/memory.h"

#define SZ_4G (UINT64_C(1) << 32)

static unsigned int max_page_order(const struct isim_pnv_config *cfg)
{
	if (cfg->max_page_order)
		return cfg->max_page_order;
	return cfg->page_shift == 16 ? 8 : 12;
}

static uint64_t rounddown_pow2(uint64_t x)
{
	return x ? UINT64_C(1) << (isim_fls64(x) - 1) : 0;
}

void isim_pnv_default_window(const struct isim_pnv_config *cfg, struct isim_pnv_choice *out)
{
	unsigned int shift = cfg->page_shift, order = max_page_order(cfg);
	/* a power of two: a crash kernel's memory limit need not be one */
	uint64_t max_memory = rounddown_pow2(cfg->hotplug_max);
	/* the largest block the page allocator gives, and the window its bitmap could cover */
	uint64_t maxblock = UINT64_C(1) << (shift + order);
	uint64_t window = (maxblock * 8) << shift;
	unsigned int tces_order, level_order, levels, entries_shift;

	if (max_memory < window)
		window = max_memory;
	tces_order = isim_fls64(window >> shift) - 1;
	level_order = isim_fls64(maxblock >> 3) - 1;
	levels = tces_order / level_order + (tces_order % level_order ? 1 : 0);
	if (levels < ISIM_PNV_DEFAULT_LEVELS)
		levels = ISIM_PNV_DEFAULT_LEVELS;
	/* each level page holds 2^ceil(entries_shift / levels) TCEs, at least one kernel page */
	entries_shift = (tces_order + levels - 1) / levels;
	if (entries_shift + 3 < shift)
		entries_shift = shift - 3;

	out->tce_window = window;
	out->tce_shift = shift;
	out->levels = levels;
	out->level_tces = UINT64_C(1) << entries_shift;
	/* the top of the 32-bit space is MMIO: keep it out of the window */
	out->res_start = out->res_end = 0;
	if (window > cfg->m32_pci_base) {
		out->res_start = cfg->m32_pci_base >> shift;
		out->res_end = (window < SZ_4G ? window : SZ_4G) >> shift;
	}
}

enum isim_pnv_window isim_pnv_choose(const struct isim_pnv_config *cfg, uint64_t mask,
				     struct isim_pnv_choice *out)
{
	isim_pnv_default_window(cfg, out);
	out->huge_window = 0;
	out->huge_tces = 0;
	/* the bypass maps RAM at 2^59: the mask must reach its last byte */
	if (!cfg->bypass_disabled && mask >= ISIM_PNV_BYPASS_BASE + cfg->dram_end - 1) {
		out->window = ISIM_PNV_WIN_BYPASS;
		out->dma_offset = ISIM_PNV_BYPASS_BASE;
		return out->window;
	}
	/* the 4 GiB window covers RAM from 4 GiB: the mask must reach past it */
	if (cfg->option == ISIM_PNV_OPT_HUGE4G && (mask >> 32) && mask > cfg->hotplug_max + SZ_4G &&
	    cfg->single_device_pe) {
		out->window = ISIM_PNV_WIN_4G;
		out->dma_offset = ISIM_PNV_4G_BASE;
		out->huge_window = isim_roundup_pow2(cfg->hotplug_max + SZ_4G);
		out->huge_tces = (cfg->hotplug_max + (UINT64_C(1) << ISIM_PNV_4G_TCE_SHIFT) - 1) >>
				 ISIM_PNV_4G_TCE_SHIFT;
		return out->window;
	}
	out->window = ISIM_PNV_WIN_TCE;
	out->dma_offset = 0;
	return out->window;
}

static int check_config(const struct isim_pnv_config *cfg)
{
	if (cfg->page_shift != 12 && cfg->page_shift != 16)
		return -EINVAL;
	if (cfg->max_page_order > 16 || cfg->dram_end == 0 || cfg->hotplug_max < cfg->dram_end)
		return -EINVAL;
	if (cfg->dram_end > ISIM_PNV_BYPASS_BASE || cfg->hotplug_max > (UINT64_C(1) << 58))
		return -EINVAL;
	if (cfg->option != ISIM_PNV_OPT_BYPASS59 && cfg->option != ISIM_PNV_OPT_HUGE4G)
		return -EINVAL;
	return 0;
}

int isim_pnv_pe_create(const struct isim_pnv_config *cfg, struct iommusim_mem *mem,
		       struct isim_ppc_fw *fw, uint32_t pe_number, struct iommusim_cpu *cpu,
		       struct isim_pnv_pe **out)
{
	struct isim_ppc_table_config tcfg;
	struct isim_pnv_pe *pe;
	int err;

	if (!cfg || !mem || !fw || !cpu || !out)
		return -EINVAL;
	err = check_config(cfg);
	if (err)
		return err;
	pe = isim_zalloc(mem, sizeof(*pe), 0);
	if (!pe)
		return -ENOMEM;
	*pe = (struct isim_pnv_pe){.cfg = *cfg, .mem = mem, .fw = fw, .pe_number = pe_number};
	isim_pnv_default_window(cfg, &pe->geometry);
	tcfg = (struct isim_ppc_table_config){.mem = mem,
					      .fw = fw,
					      .kind = ISIM_PPC_TABLE_IODA2,
					      .pe = pe_number,
					      .size = pe->geometry.tce_window,
					      .page_shift = pe->geometry.tce_shift,
					      .res_start = pe->geometry.res_start,
					      .res_end = pe->geometry.res_end,
					      .level_tces = pe->geometry.level_tces};
	err = isim_ppc_table_create(&tcfg, cpu, &pe->tbl);
	if (err) {
		isim_free(mem, pe, sizeof(*pe), 0);
		return err;
	}
	/* pnv_pci_ioda2_set_window(): the table joins the PE, and kills reach the PHB */
	isim_ppc_table_link(pe->tbl, true);
	*out = pe;
	return 0;
}

void isim_pnv_pe_destroy(struct isim_pnv_pe *pe)
{
	if (!pe)
		return;
	isim_ppc_table_put(pe->tbl);
	isim_free(pe->mem, pe, sizeof(*pe), 0);
}

/* mirrors pnv_pci_ioda_iommu_bypass_supported(), with the 4 GiB window as the alternative */
static int pnv_bypass_supported(void *arg, struct iommusim_device *dev, struct iommusim_cpu *cpu,
				uint64_t mask, bool *ok)
{
	struct isim_pnv_pe *pe = arg;
	struct isim_ppc_dev *p = isim_ppc_dev(dev);
	struct isim_pnv_choice c;

	switch (isim_pnv_choose(&pe->cfg, mask, &c)) {
	case ISIM_PNV_WIN_BYPASS:
		p->dma_offset = ISIM_PNV_BYPASS_BASE;
		*ok = true;
		return 0;
	case ISIM_PNV_WIN_4G:
		/* the kernel fills the table once, a TCE per 256 MiB of RAM, on the first device */
		if (!pe->huge_active)
			isim_work(cpu, IOMMUSIM_WORK_PTE_WRITE, c.huge_tces);
		pe->huge_active = true;
		p->dma_offset = ISIM_PNV_4G_BASE;
		*ok = true;
		return 0;
	case ISIM_PNV_WIN_TCE:
		break;
	}
	*ok = false;
	return 0;
}

static const struct isim_ppc_platform_ops pnv_ops = {
	.bypass_supported = pnv_bypass_supported,
};

int isim_pnv_dev_setup(struct isim_pnv_pe *pe, struct iommusim_device *dev, bool novmerge)
{
	struct isim_ppc_dma_config cfg = {
		.tbl = pe->tbl,
		.dma_offset = ISIM_PNV_BYPASS_BASE,
		.page_shift = pe->cfg.page_shift,
		.novmerge = novmerge,
		.ram_end = pe->cfg.dram_end,
		.plat = &pnv_ops,
		.plat_arg = pe,
	};

	return isim_ppc_dma_setup(dev, &cfg);
}
