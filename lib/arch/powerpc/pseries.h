/* SPDX-License-Identifier: MIT */
/*
 * A pSeries partition endpoint (PE) and its DMA windows, as arch/powerpc/platforms/pseries/
 * iommu.c keeps them: the default window the firmware gives (ibm,dma-window, 4 KiB TCEs), and
 * the dynamic DMA window (DDW) enable_ddw() asks for when a driver sets a mask wider than 32
 * bits. The decision is two pure functions (isim_ddw_precheck(), isim_ddw_plan()); the state
 * machine that carries it out through the firmware, with its rollback and the failed-PE list,
 * is isim_ddw_enable(). docs/powerpc.md, sources.md S22, S24, S25.
 */
#ifndef ISIM_ARCH_POWERPC_PSERIES_H
#define ISIM_ARCH_POWERPC_PSERIES_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/cpu.h>
#include <iommusim/device.h>

#include "arch/powerpc/ppc_table.h"
#include "firmware/ppc_firmware.h"

/* MAX_PHYSMEM_BITS of a Book3S-64 kernel with 64 KiB pages (the DDW size for persistent memory). */
#define ISIM_PPC_MAX_PHYSMEM_BITS 51u
/* MIN_DDW_VPMEM_DMA_WINDOW: room a split DDW keeps for persistent memory beyond RAM. */
#define ISIM_DDW_VPMEM_MIN_WINDOW (UINT64_C(2) << 30)
/* Busy answers to ibm,create-pe-dma-window retried before giving up (the kernel never does). */
#define ISIM_DDW_BUSY_RETRIES 64u

/*
 * struct isim_pseries_pe_config - a PE as the device tree and the boot options describe it.
 * @cfg_addr:       the PE's config address, named by the RTAS calls.
 * @default_liobn, @default_offset, @default_size: ibm,dma-window (0 size: no default window).
 * @multi_tce:      "hcall-multi-tce" offered and not turned off (H_PUT_TCE_INDIRECT, H_STUFF_TCE).
 * @disable_ddw:    the disable_ddw boot option.
 * @ddw_applicable: ibm,ddw-applicable present (the RTAS tokens for query, create, remove).
 * @ext_count:      entries of ibm,ddw-extensions (0: none): 1 has the reset call, 2 the query
 *                  output size, 3 the limited addressing mode.
 * @ext_query_out:  extension 2: 1 asks for the six-word query answer (a 64-bit largest block).
 * @ext_limited:    extension 3: 1 when limited addressing mode is supported.
 * @mmio32_start, @mmio32_end: the PHB's 32-bit MMIO window (first and last byte; both 0: none),
 *                  which a dynamic DDW's table reserves.
 * @ram_present:    System RAM, from 0 (what a direct DDW maps).
 * @ram_max:        ddw_memory_hotplug_max(): the end of RAM with hotplug (what a DDW must cover).
 * @pmem_present:   an ibm,pmemory node exists.
 * @max_physmem_bits: MAX_PHYSMEM_BITS (0: ISIM_PPC_MAX_PHYSMEM_BITS).
 * @page_shift:     the kernel's PAGE_SHIFT (16 or 12).
 */
struct isim_pseries_pe_config {
	struct iommusim_mem *mem;
	struct isim_ppc_fw *fw;
	uint32_t cfg_addr;
	uint32_t default_liobn;
	uint64_t default_offset;
	uint64_t default_size;
	bool multi_tce;
	bool disable_ddw;
	bool ddw_applicable;
	unsigned int ext_count;
	uint32_t ext_query_out;
	uint32_t ext_limited;
	uint64_t mmio32_start;
	uint64_t mmio32_end;
	uint64_t ram_present;
	uint64_t ram_max;
	bool pmem_present;
	unsigned int max_physmem_bits;
	unsigned int page_shift;
};

/* What enable_ddw() does before sizing, given the first query's answer. */
enum isim_ddw_pre {
	ISIM_DDW_PRE_GO,	     /* a window is free */
	ISIM_DDW_PRE_REMOVE_DEFAULT, /* none free: remove the default window, query again */
	ISIM_DDW_PRE_IN_USE,	     /* none free and the default table has mappings: give up */
	ISIM_DDW_PRE_NO_DEFAULT,     /* none free and no default window to remove */
	ISIM_DDW_PRE_NO_RESET,	     /* none free and no reset extension to undo a removal */
};

/* mirrors the windows_available == 0 branch of enable_ddw() */
enum isim_ddw_pre isim_ddw_precheck(uint32_t windows_available, bool default_in_use,
				    bool default_present, bool reset_ext);

/* The inputs of enable_ddw()'s sizing. */
struct isim_ddw_plan_in {
	uint64_t dma_mask;
	uint32_t page_sizes;	/* ISIM_DDW_PGSIZE_* of the query that counts */
	uint64_t largest_block; /* TCEs */
	uint64_t ram_max;	/* ddw_memory_hotplug_max() */
	bool pmem_present;
	unsigned int max_physmem_bits;
	bool default_removed;
};

/*
 * struct isim_ddw_plan - the window enable_ddw() asks for.
 * @page_shift:     the largest TCE page offered (0: none, the DDW fails).
 * @window_shift:   log2 of the window ("len").
 * @direct:         the window maps all of RAM at its base (dma_offset = base).
 * @dynamic:        a TCE table serves (part of) the window.
 * @dynamic_offset: where the dynamic part starts in the window (non-zero only when split).
 * @max_ram_len:    order_base_2(ram_max).
 * @ddw_sz:         log2 of the largest window the device and the firmware allow.
 */
struct isim_ddw_plan {
	unsigned int page_shift;
	unsigned int window_shift;
	bool direct;
	bool dynamic;
	uint64_t dynamic_offset;
	unsigned int max_ram_len;
	unsigned int ddw_sz;
};

/* iommu_get_page_shift(): the largest page shift of the query's page-size word, 0 for none. */
unsigned int isim_ddw_page_shift(uint32_t page_sizes);
/* mirrors the sizing part of enable_ddw() (page size, window size, direct or dynamic) */
void isim_ddw_plan(const struct isim_ddw_plan_in *in, struct isim_ddw_plan *out);

enum isim_ddw_kind {
	ISIM_DDW_NONE,
	ISIM_DDW_DIRECT,  /* all of RAM mapped once; no TCE work per I/O */
	ISIM_DDW_DYNAMIC, /* a 64-bit TCE table used like the default one */
	ISIM_DDW_HYBRID,  /* RAM direct, the rest of the window dynamic (persistent memory) */
};

enum isim_ddw_why {
	ISIM_DDW_CREATED,
	ISIM_DDW_EXISTING,	/* the PE already has its window */
	ISIM_DDW_MASK32,	/* masks of 32 bits or less never ask */
	ISIM_DDW_DISABLED,	/* disable_ddw */
	ISIM_DDW_FAILED_BEFORE, /* the PE is on the failed list */
	ISIM_DDW_NOT_APPLICABLE,
	ISIM_DDW_QUERY_FAILED,
	ISIM_DDW_LIMITED_FAILED, /* mask < 64 bits and limited addressing unavailable or refused */
	ISIM_DDW_DEFAULT_IN_USE,
	ISIM_DDW_NO_DEFAULT,
	ISIM_DDW_NO_RESET_EXT,
	ISIM_DDW_NO_WINDOW, /* still none free after removing the default */
	ISIM_DDW_NO_PAGE_SIZE,
	ISIM_DDW_CREATE_FAILED,
	ISIM_DDW_POPULATE_FAILED, /* a direct window's TCEs could not all be written */
	ISIM_DDW_TABLE_FAILED,	  /* the dynamic table could not be made (model: memory, size) */
};

/*
 * struct isim_ddw_result - what enable_ddw() did for a PE.
 * @kind:            the window the PE has now (ISIM_DDW_NONE when it has none).
 * @why:             why, or what failed.
 * @bypass:          what enable_ddw() returned, i.e. whether the device bypasses the TCEs.
 *                   The kernel returns the planned direct mapping even when a later step
 *                   failed; so does this (sources.md S24).
 * @page_shift, @window_shift, @win_addr, @liobn: the window.
 * @default_removed: the default window is gone.
 * @limited:         the PHB was put in limited addressing mode.
 * @plan:            the sizing decision, when one was made.
 */
struct isim_ddw_result {
	enum isim_ddw_kind kind;
	enum isim_ddw_why why;
	bool bypass;
	unsigned int page_shift;
	unsigned int window_shift;
	uint64_t win_addr;
	uint32_t liobn;
	bool default_removed;
	bool limited;
	struct isim_ddw_plan plan;
};

struct isim_pseries_pe {
	struct isim_pseries_pe_config cfg;
	/* table_group->tables[]: [0] the default window's (or the DDW's once it replaced it) */
	struct isim_ppc_table *tables[2];
	/* the ibm,dma-window property is still there */
	bool default_present;
	/* on failed_ddw_pdn_list */
	bool failed;
	/* the PE's entry on dma_win_list */
	bool has_window;
	bool window_direct;
	uint64_t window_addr;
	struct isim_ddw_result last;
};

/*
 * isim_pseries_pe_create() - the PE with its default window's table (iommu_init_table(), whose
 * clear of the whole window is firmware work on @cpu). Return: 0; -EINVAL; -ENOMEM.
 */
int isim_pseries_pe_create(const struct isim_pseries_pe_config *cfg, struct iommusim_cpu *cpu,
			   struct isim_pseries_pe **out);
void isim_pseries_pe_destroy(struct isim_pseries_pe *pe);
/*
 * isim_pseries_dev_setup() - pci_dma_dev_setup_pSeriesLP(): the powerpc DMA ops on @dev with the
 * PE's current table, and the PE's DDW as its bypass (unless disable_ddw).
 * Return: as isim_ppc_dma_setup().
 */
int isim_pseries_dev_setup(struct isim_pseries_pe *pe, struct iommusim_device *dev, bool novmerge);
/*
 * isim_ddw_enable() - enable_ddw() for @dev (whose powerpc DMA state it updates: table,
 * dma_offset, bus_dma_limit) with @mask. *@res says what happened; pe->last keeps it.
 * Return: 0; -ENOMEM (the model ran out of memory: rolled back as a failure); -EINVAL.
 */
int isim_ddw_enable(struct isim_pseries_pe *pe, struct iommusim_device *dev,
		    struct iommusim_cpu *cpu, uint64_t mask, struct isim_ddw_result *res);

#endif /* ISIM_ARCH_POWERPC_PSERIES_H */
