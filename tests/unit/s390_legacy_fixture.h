/* SPDX-License-Identifier: MIT */
/*
 * The rig of the tests of the legacy s390 DMA ops of Linux 6.6 (lib/arch/s390/s390_legacy.c,
 * docs/sources.md S19): a zPCI function on the scriptable firmware with the legacy ops set up,
 * and helpers to map, unmap, count RPCITs and check the tables and counters.
 *
 * The firmware's log shows every RPCIT with address and length, and queued answers inject
 * condition code 1 (status 16 = insufficient resources, or another). Windows are small (64
 * pages) so that wrap-arounds come after a few dozen maps. A global RPCIT covers the whole
 * bitmap, [start_dma, start_dma + iommu_pages * 4096); no ranged RPCIT in the tests is that
 * long, which is how they tell the two apart.
 */
#ifndef TESTS_UNIT_S390_LEGACY_FIXTURE_H
#define TESTS_UNIT_S390_LEGACY_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"
#include "fields.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <iommusim/cpu.h>
#include <iommusim/device.h>
#include <iommusim/dma.h>
#include <iommusim/firmware.h>
#include <iommusim/iommu.h>
#include <iommusim/mem.h>
#include <iommusim/s390.h>

#include "arch/s390/s390_tables.h"
#include "fw_log.h"
#include "ioat_platform.h"
#include "test_rng.h"
#include "fixture_state.h"

#define PG    4096ull
#define START IOMMUSIM_ZPCI_QEMU_START_DMA
#define FH    0x0a0b0c0du
#define RW    (IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE)

struct fix {
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu;
	struct iommusim_firmware *fw;
	struct iommusim_device *dev;
	uint64_t pages;
	/* the table the setup registered */
	const struct iommusim_s390_io_table *table;
};

struct opts {
	uint64_t pages;
	bool tlb_refresh;
	bool strict;
	uint64_t seg_boundary_mask;
	uint64_t max_seg_size;
};

/*
 * The @i-th call must be a registration of FH's [@pba, @pal] with a table (@reg) or a
 * deregistration (addr, len 0, no table). Returns the table.
 */
static inline const struct iommusim_s390_io_table *expect_ioat(struct fix *f, size_t i,
							       uint64_t pba, uint64_t pal, bool reg)
{
	struct iommusim_firmware_call c = fw_expect_ioat(f->fw, i, FH, pba, pal, reg);

	if (reg)
		assert_non_null(c.iota);
	else
		assert_null(c.iota);
	return c.iota;
}

/* libc memory, so ASan sees every object; the window is [START, START + pages * 4 KiB). */
static inline void fix_init(struct fix *f, const struct opts *o)
{
	struct iommusim_device_config dcfg = {
		.name = "zpci",
		.pci = true,
		.dma_mask = IOMMUSIM_DMA_BIT_MASK(64),
		.seg_boundary_mask = o->seg_boundary_mask,
		.max_seg_size = o->max_seg_size,
	};
	struct iommusim_zpci_config zcfg = {
		.fh = FH,
		.tlb_refresh = o->tlb_refresh,
		.start_dma = START,
		.end_dma = START + o->pages * PG - 1,
		/* far more memory than window: the window alone sets the aperture */
		.guest_memory = 1ull << 40,
	};
	struct iommusim_s390_legacy_config lcfg = {.strict = o->strict};

	memset(f, 0, sizeof(*f));
	f->pages = o->pages;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &f->mem), 0);
	assert_int_equal(iommusim_cpu_create(f->mem, 1, &f->cpu), 0);
	assert_int_equal(iommusim_firmware_create_script(f->mem, &f->fw), 0);
	assert_int_equal(iommusim_device_create(f->mem, &dcfg, &f->dev), 0);
	assert_int_equal(iommusim_s390_device_init(f->dev, f->fw, &zcfg), 0);
	assert_int_equal(iommusim_s390_legacy_dma_setup(f->dev, &lcfg), 0);
	/*
	 * The setup registered its table for the window [START, START + pages * 4 KiB - 1] and
	 * made no other call; the entry is cleared so that the tests' RPCIT logs start empty.
	 */
	f->table = expect_ioat(f, 0, START, START + o->pages * PG - 1, true);
	assert_int_equal(iommusim_firmware_script_log_len(f->fw), 1);
	iommusim_firmware_script_log_clear(f->fw);
}

static inline void fix_fini(struct fix *f)
{
	iommusim_device_destroy(f->dev);
	iommusim_firmware_destroy(f->fw);
	iommusim_cpu_destroy(f->cpu);
	/* Table, bitmaps, state, zPCI data, firmware log: everything must be gone. */
	assert_int_equal(iommusim_mem_live_objects(f->mem), 0);
	iommusim_mem_destroy(f->mem);
}

/* What most tests start from: a window of 64 pages, lazy, no TLB refresh, no segment limits. */
FIXTURE_STATE(legacy, struct fix, fix_init, fix_fini, &(const struct opts){.pages = 64})

static inline struct iommusim_s390_legacy_counters ctrs(struct fix *f)
{
	struct iommusim_s390_legacy_counters c;

	assert_int_equal(iommusim_s390_legacy_counters(f->dev, &c), 0);
	return c;
}

/* A counter of the legacy ops and the value it must have, for EXPECT_CTRS(). */
#define LC(field, value) FIELD(struct iommusim_s390_legacy_counters, field, value)

/* The legacy ops' counters of @f, each as EXPECT_CTRS(f, LC(wraps, 1), ...) says. */
#define EXPECT_CTRS(f, ...)                                                                        \
	do {                                                                                       \
		const struct iommusim_s390_legacy_counters ctrs_ = ctrs(f);                        \
		EXPECT_FIELDS(&ctrs_, __VA_ARGS__);                                                \
	} while (0)

static inline struct iommusim_dma_stats stats(struct fix *f)
{
	struct iommusim_dma_stats s;

	iommusim_dma_get_stats(f->dev, &s);
	return s;
}

static inline uint64_t global_len(const struct fix *f)
{
	return f->pages * PG;
}

/* Number of logged RPCITs that were global (whole bitmap) and ranged; all carry our fh. */
static inline void count_rpcits(struct fix *f, size_t *global, size_t *ranged)
{
	struct iommusim_firmware_call c;
	size_t n = iommusim_firmware_script_log_len(f->fw);

	*global = *ranged = 0;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(iommusim_firmware_script_log_get(f->fw, i, &c), 0);
		assert_int_equal(c.fh, FH);
		if (c.addr == START && c.len == global_len(f))
			(*global)++;
		else
			(*ranged)++;
	}
}

static inline void expect_call(struct fix *f, size_t i, uint64_t addr, uint64_t len, uint8_t cc)
{
	fw_expect_rpcit(f->fw, i, FH, addr, len, cc);
}

static inline int map(struct fix *f, uint64_t phys, uint64_t size, uint64_t *iova)
{
	return iommusim_dma_map_page(f->dev, f->cpu, phys, size, IOMMUSIM_DMA_BIDIRECTIONAL, iova);
}

/* Map @npages whole pages and expect them at page @offset of the window. */
static inline uint64_t map_at(struct fix *f, uint64_t npages, uint64_t offset)
{
	uint64_t iova = 0;

	assert_int_equal(map(f, 0x80000000ull + offset * PG, npages * PG, &iova), 0);
	assert_int_equal(iova, START + offset * PG);
	return iova;
}

static inline void unmap(struct fix *f, uint64_t iova, uint64_t size)
{
	iommusim_dma_unmap_page(f->dev, f->cpu, iova, size, IOMMUSIM_DMA_BIDIRECTIONAL);
}

static inline void expect_unmapped(struct fix *f, uint64_t iova)
{
	uint64_t pa;
	int prot;

	assert_int_equal(iommusim_s390_legacy_translate(f->dev, iova, &pa, &prot), -EFAULT);
}

static inline void expect_mapped(struct fix *f, uint64_t iova, uint64_t phys, int prot)
{
	uint64_t pa = 0;
	int p = 0;

	assert_int_equal(iommusim_s390_legacy_translate(f->dev, iova, &pa, &p), 0);
	assert_int_equal(pa, phys);
	assert_int_equal(p, prot);
}

#endif /* TESTS_UNIT_S390_LEGACY_FIXTURE_H */
