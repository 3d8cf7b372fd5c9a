/* SPDX-License-Identifier: MIT */
/*
 * The powerpc tests' common rig: a memory context that can be made to fail (failing_mem.h), one
 * CPU, the scriptable pSeries firmware with a default window of 4 KiB TCEs at bus address 0 and
 * room for one 64-bit window at 2^59 (QEMU's default is 2^63: any address of our choosing
 * serves), and, once a test asks, a PE with one 32-bit PCI device on that window.
 * Header-only; the including file provides CMocka.
 */
#ifndef TESTS_COMMON_PPC_FIXTURE_H
#define TESTS_COMMON_PPC_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <iommusim/cpu.h>
#include <iommusim/device.h>
#include <iommusim/mem.h>

#include "arch/powerpc/ppc_dma.h"
#include "arch/powerpc/ppc_table.h"
#include "arch/powerpc/pseries.h"
#include "failing_mem.h"
#include "machine.h"
#include "firmware/ppc_firmware.h"

#define PPC_FX_LIOBN 0x10u

struct ppc_fx {
	struct failing fm;
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu;
	struct isim_ppc_fw *fw;
	struct isim_pseries_pe *pe;  /* ppc_fx_pe_device() */
	struct iommusim_device *dev; /* ppc_fx_pe_device() */
	struct isim_ppc_table *tbl;  /* a table the test made itself; put at teardown */
	uint64_t default_size;
};

/* The firmware's picture of the PE: two windows, 2^20 TCEs of room, 4K and 64K pages. */
static inline struct isim_ppc_script_config ppc_fx_script(uint64_t default_size)
{
	struct isim_ppc_script_config c = {
		.max_windows = 2,
		.largest_block = UINT64_C(1) << 20,
		.page_sizes = ISIM_DDW_PGSIZE_4K | ISIM_DDW_PGSIZE_64K,
		.ddw_addr = UINT64_C(1) << 59,
		.default_liobn = PPC_FX_LIOBN,
		.default_size = default_size,
		.default_shift = 12,
		.track_tces = true,
	};
	return c;
}

/* Memory (never failing until a test spends its budget), CPU @cpu_id and the firmware. */
static inline void ppc_fx_init(struct ppc_fx *f, uint64_t default_size, unsigned int cpu_id)
{
	struct isim_ppc_script_config sc = ppc_fx_script(default_size);

	f->fm.budget = -1;
	f->default_size = default_size;
	assert_int_equal(iommusim_mem_create_custom(&failing_ops, &f->fm, &f->mem), 0);
	assert_int_equal(iommusim_cpu_create(f->mem, cpu_id, &f->cpu), 0);
	assert_int_equal(isim_ppc_fw_create_script(f->mem, &sc, &f->fw), 0);
}

/* Undo everything, and check nothing was left allocated. */
static inline void ppc_fx_fini(struct ppc_fx *f)
{
	iommusim_device_destroy(f->dev);
	isim_pseries_pe_destroy(f->pe);
	isim_ppc_table_put(f->tbl);
	isim_ppc_fw_destroy(f->fw);
	machine_down(f->mem, NULL, &f->cpu, 1);
}

/* CMocka setup and teardown around a heap-allocated rig. */
static inline int ppc_fx_setup(void **state, uint64_t default_size, unsigned int cpu_id)
{
	struct ppc_fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	ppc_fx_init(f, default_size, cpu_id);
	*state = f;
	return 0;
}

static inline int ppc_fx_teardown(void **state)
{
	struct ppc_fx *f = *state;

	ppc_fx_fini(f);
	free(f);
	return 0;
}

/*
 * A PE over the default window (multi-TCE firmware, 8 GiB of RAM, kernel pages of
 * 2^@page_shift) and a 32-bit PCI device on it with @max_seg (0: the default) and @novmerge;
 * the call log starts empty.
 */
static inline void ppc_fx_pe_device(struct ppc_fx *f, unsigned int page_shift, bool novmerge,
				    uint64_t max_seg)
{
	struct isim_pseries_pe_config pc = {.mem = f->mem,
					    .fw = f->fw,
					    .cfg_addr = 0x800,
					    .default_liobn = PPC_FX_LIOBN,
					    .default_size = f->default_size,
					    .multi_tce = true,
					    .ram_present = UINT64_C(8) << 30,
					    .ram_max = UINT64_C(8) << 30,
					    .page_shift = page_shift};
	struct iommusim_device_config dc = {.pci = true, .max_seg_size = max_seg};

	assert_int_equal(isim_pseries_pe_create(&pc, f->cpu, &f->pe), 0);
	assert_int_equal(iommusim_device_create(f->mem, &dc, &f->dev), 0);
	assert_int_equal(isim_pseries_dev_setup(f->pe, f->dev, novmerge), 0);
	isim_ppc_script_log_clear(f->fw);
}

/* Calls of kind @k in the log since it was last cleared. */
static inline size_t ppc_fx_calls(struct ppc_fx *f, enum isim_ppc_call k)
{
	return isim_ppc_script_log_count(f->fw, k);
}

/* The TCE the firmware holds for bus address @ioba of the default window. */
static inline uint64_t ppc_fx_tce(struct ppc_fx *f, uint64_t ioba)
{
	return isim_ppc_script_tce(f->fw, PPC_FX_LIOBN, ioba);
}

/* The table the device maps through. */
static inline struct isim_ppc_table *ppc_fx_table(struct ppc_fx *f)
{
	return isim_ppc_dev(f->dev)->tbl;
}

#endif /* TESTS_COMMON_PPC_FIXTURE_H */
