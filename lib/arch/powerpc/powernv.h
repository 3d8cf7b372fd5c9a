/* SPDX-License-Identifier: MIT */
/*
 * PowerNV (bare-metal POWER9, PHB4) DMA windows, as arch/powerpc/platforms/powernv/pci-ioda.c
 * sets them up for a PE: window 0 from bus address 0, translated by a TCE table of the kernel's
 * page size with the 32-bit MMIO hole reserved, and the bypass window selected by bus address
 * bit 59, mapping all of RAM directly. A device whose mask reaches 2^59 plus the end of RAM
 * bypasses; any other goes through window 0's TCEs. The alternative this models next to it (a
 * configuration switch, not a kernel option): window 0 turned into a direct window of 256 MiB
 * TCEs at 4 GiB over all of RAM, as the kernel does on PHB3 for a single-device PE, so that a
 * device with a 40- to 58-bit mask still maps RAM directly. docs/powerpc.md, sources.md S23.
 */
#ifndef ISIM_ARCH_POWERPC_POWERNV_H
#define ISIM_ARCH_POWERPC_POWERNV_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/cpu.h>
#include <iommusim/device.h>

#include "arch/powerpc/ppc_table.h"

/* Bus address bit that selects the bypass window (TVE #1). */
#define ISIM_PNV_BYPASS_BASE (UINT64_C(1) << 59)
/* The alternative direct window: at 4 GiB, past the 32-bit space, in 256 MiB TCEs. */
#define ISIM_PNV_4G_BASE      (UINT64_C(1) << 32)
#define ISIM_PNV_4G_TCE_SHIFT 28u
/* POWERNV_IOMMU_DEFAULT_LEVELS: window 0's table has at least this many levels. */
#define ISIM_PNV_DEFAULT_LEVELS 2u

enum isim_pnv_option {
	/* the kernel as it is on PHB4: bypass at 2^59 or window 0's TCEs */
	ISIM_PNV_OPT_BYPASS59,
	/* and also the direct window at 4 GiB for masks that cover RAM above 4 GiB */
	ISIM_PNV_OPT_HUGE4G,
};

enum isim_pnv_window {
	ISIM_PNV_WIN_TCE,    /* window 0, a TCE per page, work per map */
	ISIM_PNV_WIN_BYPASS, /* direct at 2^59 */
	ISIM_PNV_WIN_4G,     /* direct at 4 GiB (the alternative) */
};

/*
 * struct isim_pnv_config - the machine and the kernel.
 * @page_shift:       the kernel's PAGE_SHIFT (16 or 12), also window 0's TCE page.
 * @max_page_order:   MAX_PAGE_ORDER (0: 8 with 64 KiB pages, 12 with 4 KiB, the ppc64 defaults).
 * @dram_end:         memblock_end_of_DRAM().
 * @hotplug_max:      memory_hotplug_max() (at least @dram_end).
 * @m32_pci_base:     where the PHB's 32-bit MMIO window starts in PCI space.
 * @single_device_pe: the PE holds one device (the 4 GiB window is only for such PEs).
 * @bypass_disabled:  iommu=nobypass.
 * @option:           which windows exist.
 */
struct isim_pnv_config {
	unsigned int page_shift;
	unsigned int max_page_order;
	uint64_t dram_end;
	uint64_t hotplug_max;
	uint64_t m32_pci_base;
	bool single_device_pe;
	bool bypass_disabled;
	enum isim_pnv_option option;
};

/*
 * struct isim_pnv_choice - the window a device gets and the geometry behind it.
 * @window:        which.
 * @dma_offset:    bus address = physical + this for the direct windows; 0 for TCEs.
 * @tce_window:    window 0's size in bytes; @tce_shift its TCE page; @levels its table levels;
 *                 @level_tces TCEs per level page; @res_start, @res_end its reserved entries.
 * @huge_window:   the 4 GiB window's size (a power of two covering RAM + 4 GiB) and
 *                 @huge_tces the TCEs written when it is set up (one per 256 MiB of RAM).
 */
struct isim_pnv_choice {
	enum isim_pnv_window window;
	uint64_t dma_offset;
	uint64_t tce_window;
	unsigned int tce_shift;
	unsigned int levels;
	uint64_t level_tces;
	uint64_t res_start;
	uint64_t res_end;
	uint64_t huge_window;
	uint64_t huge_tces;
};

/* mirrors pnv_pci_ioda2_setup_default_config(): window 0's geometry, into @out */
void isim_pnv_default_window(const struct isim_pnv_config *cfg, struct isim_pnv_choice *out);
/*
 * mirrors pnv_pci_ioda_iommu_bypass_supported() under @cfg->option: the window a device with
 * @mask gets (and the geometry, into @out).
 */
enum isim_pnv_window isim_pnv_choose(const struct isim_pnv_config *cfg, uint64_t mask,
				     struct isim_pnv_choice *out);

/* A PowerNV PE: window 0's IODA2 table (linked to the PE, so TCE kills go out) and the choice. */
struct isim_pnv_pe {
	struct isim_pnv_config cfg;
	struct iommusim_mem *mem;
	struct isim_ppc_fw *fw;
	uint32_t pe_number;
	struct isim_ppc_table *tbl;
	/* the 4 GiB window replaced window 0 in the PHB */
	bool huge_active;
	struct isim_pnv_choice geometry;
};

/* The PE with window 0 (built on @cpu). Return: 0; -EINVAL; -ENOMEM. */
int isim_pnv_pe_create(const struct isim_pnv_config *cfg, struct iommusim_mem *mem,
		       struct isim_ppc_fw *fw, uint32_t pe_number, struct iommusim_cpu *cpu,
		       struct isim_pnv_pe **out);
void isim_pnv_pe_destroy(struct isim_pnv_pe *pe);
/*
 * pnv_pci_ioda_dma_dev_setup(): the powerpc DMA ops on @dev with window 0's table and the
 * bypass offset; dma_set_mask() then picks the window. Return: as isim_ppc_dma_setup().
 */
int isim_pnv_dev_setup(struct isim_pnv_pe *pe, struct iommusim_device *dev, bool novmerge);

#endif /* ISIM_ARCH_POWERPC_POWERNV_H */
