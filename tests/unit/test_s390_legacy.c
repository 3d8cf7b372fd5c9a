/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the legacy s390 DMA ops of Linux 6.6 (lib/arch/s390/s390_legacy.c, docs/sources.md S19):
 * next-fit bitmap allocation that never hands out the last page, one global RPCIT per wrap-around
 * in lazy mode and the lazily freed pages reused only after it, strict mode's RPCIT per unmap, the
 * map RPCIT of shadowed (tlb_refresh) functions with its "insufficient resources" fallback, the
 * scatter-gather coalescing, translation, counters and leaks.
 *
 * The firmware is the scriptable platform: its log shows every RPCIT with address and length,
 * and queued answers inject condition code 1 (status 16 = insufficient resources, or another).
 * Windows are small (64 pages) so that wrap-arounds come after a few dozen maps. A global RPCIT
 * covers the whole bitmap, [start_dma, start_dma + iommu_pages * 4096); no ranged RPCIT here is
 * that long, which is how the tests tell them apart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

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
static const struct iommusim_s390_io_table *expect_ioat(struct fix *f, size_t i, uint64_t pba,
							uint64_t pal, bool reg)
{
	struct iommusim_firmware_call c = fw_expect_ioat(f->fw, i, FH, pba, pal, reg);

	if (reg)
		assert_non_null(c.iota);
	else
		assert_null(c.iota);
	return c.iota;
}

/* libc memory, so ASan sees every object; the window is [START, START + pages * 4 KiB). */
static void fix_init(struct fix *f, const struct opts *o)
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

static void fix_fini(struct fix *f)
{
	iommusim_device_destroy(f->dev);
	iommusim_firmware_destroy(f->fw);
	iommusim_cpu_destroy(f->cpu);
	/* Table, bitmaps, state, zPCI data, firmware log: everything must be gone. */
	assert_int_equal(iommusim_mem_live_objects(f->mem), 0);
	iommusim_mem_destroy(f->mem);
}

static struct iommusim_s390_legacy_counters ctrs(struct fix *f)
{
	struct iommusim_s390_legacy_counters c;

	assert_int_equal(iommusim_s390_legacy_counters(f->dev, &c), 0);
	return c;
}

static struct iommusim_dma_stats stats(struct fix *f)
{
	struct iommusim_dma_stats s;

	iommusim_dma_get_stats(f->dev, &s);
	return s;
}

static uint64_t global_len(const struct fix *f)
{
	return f->pages * PG;
}

/* Number of logged RPCITs that were global (whole bitmap) and ranged; all carry our fh. */
static void count_rpcits(struct fix *f, size_t *global, size_t *ranged)
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

static void expect_call(struct fix *f, size_t i, uint64_t addr, uint64_t len, uint8_t cc)
{
	fw_expect_rpcit(f->fw, i, FH, addr, len, cc);
}

static int map(struct fix *f, uint64_t phys, uint64_t size, uint64_t *iova)
{
	return iommusim_dma_map_page(f->dev, f->cpu, phys, size, IOMMUSIM_DMA_BIDIRECTIONAL, iova);
}

/* Map @npages whole pages and expect them at page @offset of the window. */
static uint64_t map_at(struct fix *f, uint64_t npages, uint64_t offset)
{
	uint64_t iova = 0;

	assert_int_equal(map(f, 0x80000000ull + offset * PG, npages * PG, &iova), 0);
	assert_int_equal(iova, START + offset * PG);
	return iova;
}

static void unmap(struct fix *f, uint64_t iova, uint64_t size)
{
	iommusim_dma_unmap_page(f->dev, f->cpu, iova, size, IOMMUSIM_DMA_BIDIRECTIONAL);
}

static void expect_unmapped(struct fix *f, uint64_t iova)
{
	uint64_t pa;
	int prot;

	assert_int_equal(iommusim_s390_legacy_translate(f->dev, iova, &pa, &prot), -EFAULT);
}

static void expect_mapped(struct fix *f, uint64_t iova, uint64_t phys, int prot)
{
	uint64_t pa = 0;
	int p = 0;

	assert_int_equal(iommusim_s390_legacy_translate(f->dev, iova, &pa, &p), 0);
	assert_int_equal(pa, phys);
	assert_int_equal(p, prot);
}

static void test_s390_legacy_setup_errors(void **state)
{
	struct iommusim_device_config dcfg = {.name = "plain", .pci = true};
	struct iommusim_s390_legacy_config lcfg = {.strict = false};
	struct iommusim_s390_legacy_counters c;
	struct opts o = {.pages = 64};
	struct iommusim_device *plain;
	uint64_t pa;
	struct fix f;

	(void)state;
	fix_init(&f, &o);
	/* Not a zPCI function: -EINVAL; no ops, so no counters and nothing to translate. */
	assert_int_equal(iommusim_device_create(f.mem, &dcfg, &plain), 0);
	assert_int_equal(iommusim_s390_legacy_dma_setup(plain, &lcfg), -EINVAL);
	assert_int_equal(iommusim_s390_legacy_counters(plain, &c), -EINVAL);
	assert_int_equal(iommusim_s390_legacy_translate(plain, START, &pa, NULL), -EINVAL);
	iommusim_device_destroy(plain);
	/* The DMA ops are already installed: -EBUSY. */
	assert_int_equal(iommusim_s390_legacy_dma_setup(f.dev, &lcfg), -EBUSY);
	/* A fresh setup has counted nothing and maps nothing. */
	c = ctrs(&f);
	assert_int_equal(c.mapped_pages + c.unmapped_pages + c.allocated_pages + c.map_rpcits +
				 c.unmap_rpcits + c.global_rpcits + c.wraps + c.enomem_purges,
			 0);
	expect_unmapped(&f, START);
	/* Zero bytes or a bad direction: refused before the allocator runs, not a map failure. */
	assert_int_equal(map(&f, 0x1234, 0, &pa), -EINVAL);
	assert_int_equal(
		iommusim_dma_map_page(f.dev, f.cpu, 0x1000, PG, (enum iommusim_dma_dir)4, &pa),
		-EINVAL);
	assert_int_equal(stats(&f).map_failures, 0);
	map_at(&f, 1, 0);
	fix_fini(&f);
}

/*
 * The setup registered the table its maps write (a platform reading it sees the legacy
 * translations), and tearing the ops down deregisters it, before the table is freed.
 */
static void test_s390_legacy_setup_registers_teardown_deregisters(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true};
	uint64_t pa = 0;
	int prot = 0;
	struct fix f;

	(void)state;
	fix_init(&f, &o);
	/* a map at offset 0: [START, START + 4 KiB) -> 0x80000000, read-write */
	map_at(&f, 1, 0);
	assert_int_equal(isim_s390_table_translate(f.table, START, &pa, &prot), 0);
	assert_int_equal(pa, 0x80000000ull);
	assert_int_equal(prot, RW);
	assert_int_equal(isim_s390_table_translate(f.table, START + PG, &pa, &prot), -EFAULT);
	/* the map's ranged RPCIT (tlb_refresh), then the teardown's deregistration */
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 1);
	iommusim_device_destroy(f.dev);
	f.dev = NULL;
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 2);
	expect_ioat(&f, 1, 0, 0, false);
	fix_fini(&f);
}


/*
 * A refused registration fails the setup with the platform's error and leaves nothing behind:
 * table and bitmaps freed (the live object count is back where it was), no DMA ops, no
 * deregistration; the next setup, once the platform agrees, works.
 */
static void test_s390_legacy_setup_fails_when_registration_refused(void **state)
{
	struct iommusim_device_config dcfg = {.name = "zpci", .pci = true};
	struct iommusim_zpci_config zcfg = {
		.fh = FH,
		.start_dma = START,
		.end_dma = START + 64 * PG - 1,
		.guest_memory = 1ull << 40,
	};
	struct iommusim_s390_legacy_config lcfg = {.strict = false};
	struct iommusim_s390_legacy_counters c;
	struct ioat_platform r = {.ret = -EIO};
	struct iommusim_firmware *fw;
	struct iommusim_device *dev;
	struct iommusim_mem *mem;
	uint64_t objs;

	(void)state;
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem), 0);
	assert_int_equal(iommusim_firmware_create(mem, &ioat_platform_ops, &r, &fw), 0);
	assert_int_equal(iommusim_device_create(mem, &dcfg, &dev), 0);
	assert_int_equal(iommusim_s390_device_init(dev, fw, &zcfg), 0);
	objs = iommusim_mem_live_objects(mem);
	/* lazy (table + two bitmaps + state) and strict (one bitmap fewer) alike */
	for (int strict = 0; strict < 2; strict++) {
		lcfg.strict = strict;
		assert_int_equal(iommusim_s390_legacy_dma_setup(dev, &lcfg), -EIO);
		assert_int_equal(iommusim_mem_live_objects(mem), objs);
		assert_int_equal(iommusim_s390_legacy_counters(dev, &c), -EINVAL);
	}
	assert_int_equal(r.calls, 2);
	/* the errno is the platform's */
	r.ret = -ENOSPC;
	assert_int_equal(iommusim_s390_legacy_dma_setup(dev, &lcfg), -ENOSPC);
	assert_int_equal(r.calls, 3);
	r.ret = 0;
	assert_int_equal(iommusim_s390_legacy_dma_setup(dev, &lcfg), 0);
	assert_int_equal(r.calls, 4);
	assert_non_null(r.iota);
	assert_int_equal(r.fh, FH);
	assert_int_equal(iommusim_s390_legacy_counters(dev, &c), 0);
	/* destroying the device tears the ops down: deregistered */
	iommusim_device_destroy(dev);
	assert_int_equal(r.calls, 5);
	assert_null(r.iota);
	iommusim_firmware_destroy(fw);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

/*
 * Next fit from next_bit: IOVAs start at start_dma and grow in request order; a page offset is
 * kept in the returned address and counts towards the pages (iommu_num_pages). Lazy on LPAR:
 * no RPCIT at all. Work: one lock, the PTE writes, and bitmap words.
 */
static void test_s390_legacy_next_fit_from_start(void **state)
{
	struct opts o = {.pages = 64};
	uint64_t iova, lock0, pte0, bw0;
	struct fix f;

	(void)state;
	fix_init(&f, &o);
	for (unsigned int i = 0; i < 5; i++)
		map_at(&f, 1, i);
	/* 0x800 + 0x2000 bytes touch 3 pages: offsets 5..7, the address keeps 0x800. */
	lock0 = iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_LOCK);
	pte0 = iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_PTE_WRITE);
	bw0 = iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_BITMAP_WORD);
	assert_int_equal(map(&f, 0x12345800ull, 0x2000, &iova), 0);
	assert_int_equal(iova, START + 5 * PG + 0x800);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_LOCK) - lock0, 1);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_PTE_WRITE) - pte0, 3);
	assert_true(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_BITMAP_WORD) > bw0);
	expect_mapped(&f, iova, 0x12345800ull, RW);
	expect_mapped(&f, START + 7 * PG + 0x10, 0x12347010ull, RW);
	map_at(&f, 1, 8);
	/* Unmap (lazy): 3 PTEs invalidated, one lock, one word of the lazy bitmap set. */
	lock0 = iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_LOCK);
	pte0 = iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_PTE_WRITE);
	bw0 = iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_BITMAP_WORD);
	unmap(&f, iova, 0x2000);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_LOCK) - lock0, 1);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_PTE_WRITE) - pte0, 3);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_BITMAP_WORD) - bw0, 1);
	for (unsigned int i = 5; i < 8; i++)
		expect_unmapped(&f, START + i * PG);
	/* Lazily freed pages are not reused before a wrap: next fit goes on at 9. */
	map_at(&f, 1, 9);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 0);
	assert_int_equal(ctrs(&f).mapped_pages, 5 + 3 + 1 + 1);
	assert_int_equal(ctrs(&f).unmapped_pages, 3);
	fix_fini(&f);
}

/*
 * iommu_area_alloc() never hands out the last bit: a 64-page window serves 63 pages. A
 * 63-page map fits on a fresh window, a 64-page one never does; single pages stop at offset 62.
 */
static void test_s390_legacy_last_page_never_used(void **state)
{
	struct opts o = {.pages = 64, .strict = true};
	uint64_t iova;
	struct fix f;

	(void)state;
	fix_init(&f, &o);
	assert_int_equal(map(&f, 0, 64 * PG, &iova), -ENOMEM);
	map_at(&f, 63, 0);
	fix_fini(&f);

	fix_init(&f, &o);
	for (unsigned int i = 0; i < 63; i++)
		map_at(&f, 1, i);
	/* Strict: the wrap finds nothing free and costs no RPCIT. */
	assert_int_equal(map(&f, 0, PG, &iova), -ENOMEM);
	expect_unmapped(&f, START + 63 * PG);
	assert_int_equal(ctrs(&f).wraps, 1);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 0);
	assert_int_equal(stats(&f).map_failures, 1);
	assert_int_equal(stats(&f).maps, 63);
	for (unsigned int i = 0; i < 63; i++)
		unmap(&f, START + i * PG, PG);
	fix_fini(&f);
}

/*
 * Lazy, LPAR, 64 pages (63 usable), map + unmap one page 200 times. Map k gets offset k % 63:
 * the lazily freed pages come back only after a wrap, which happens at maps 63, 126 and 189,
 * each with exactly one global RPCIT over the whole bitmap (start_dma, 64 pages) and nothing
 * else in the log.
 */
static void test_s390_legacy_lazy_wrap_global_rpcit_count(void **state)
{
	struct opts o = {.pages = 64};
	struct fix f;
	size_t g, r;

	(void)state;
	fix_init(&f, &o);
	for (unsigned int k = 0; k < 200; k++) {
		uint64_t iova = map_at(&f, 1, k % 63);

		/* the log grows by one exactly at each wrap */
		assert_int_equal(iommusim_firmware_script_log_len(f.fw), k / 63);
		unmap(&f, iova, PG);
	}
	count_rpcits(&f, &g, &r);
	assert_int_equal(g, 3);
	assert_int_equal(r, 0);
	for (size_t i = 0; i < 3; i++)
		expect_call(&f, i, START, 64 * PG, 0);
	assert_int_equal(ctrs(&f).wraps, 3);
	assert_int_equal(ctrs(&f).global_rpcits, 3);
	assert_int_equal(ctrs(&f).map_rpcits, 0);
	assert_int_equal(ctrs(&f).unmap_rpcits, 0);
	assert_int_equal(ctrs(&f).mapped_pages, 200);
	assert_int_equal(ctrs(&f).unmapped_pages, 200);
	fix_fini(&f);
}

/*
 * Every lazy wrap flushes globally, even with an empty lazy bitmap, successful or not.
 * 64 pages: A = 0..9, B = 10..19, Y = 20..59, T = 60..62; unmap A and Y.
 *   C (8)  wraps (#1, lazy bits merged) -> 0..7, next_bit 8
 *   D (20) from 8: 8..9 too short, Y's old 20..39 -> 20..39
 *   E (20) -> 40..59, next_bit 60
 *   F (2)  from 60: T -> wrap #2 with nothing lazily freed -> 8..9
 *   G (1)  from 10: all taken -> wrap #3, nothing freed -> fails
 */
static void test_s390_legacy_lazy_wrap_without_lazy_frees_still_flushes(void **state)
{
	struct opts o = {.pages = 64};
	uint64_t a, y, iova;
	struct fix f;
	size_t g, r;

	(void)state;
	fix_init(&f, &o);
	a = map_at(&f, 10, 0);
	map_at(&f, 10, 10);
	y = map_at(&f, 40, 20);
	map_at(&f, 3, 60);
	unmap(&f, a, 10 * PG);
	unmap(&f, y, 40 * PG);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 0);

	map_at(&f, 8, 0);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 1);
	map_at(&f, 20, 20);
	map_at(&f, 20, 40);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 1);
	map_at(&f, 2, 8);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 2);
	assert_int_equal(map(&f, 0x1000, PG, &iova), -ENOMEM);
	count_rpcits(&f, &g, &r);
	assert_int_equal(g, 3);
	assert_int_equal(r, 0);
	assert_int_equal(ctrs(&f).wraps, 3);
	assert_int_equal(ctrs(&f).global_rpcits, 3);
	assert_int_equal(stats(&f).map_failures, 1);
	fix_fini(&f);
}

/*
 * Strict, LPAR: every unmap is one ranged RPCIT over its pages, no global RPCIT ever, and the
 * freed pages are free at once: after filling the window, the wrap hands out the unmapped
 * pages 0..1 without any flush.
 */
static void test_s390_legacy_strict_rpcit_per_unmap(void **state)
{
	struct opts o = {.pages = 64, .strict = true};
	uint64_t a, b;
	struct fix f;
	size_t g, r;

	(void)state;
	fix_init(&f, &o);
	a = map_at(&f, 2, 0);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 0);
	unmap(&f, a, 2 * PG);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 1);
	expect_call(&f, 0, a, 2 * PG, 0);
	expect_unmapped(&f, a);
	for (unsigned int i = 2; i < 63; i++)
		map_at(&f, 1, i);
	b = map_at(&f, 2, 0);
	unmap(&f, b + 0x123, 2 * PG - 0x123);
	expect_call(&f, 1, b, 2 * PG, 0);
	count_rpcits(&f, &g, &r);
	assert_int_equal(g, 0);
	assert_int_equal(r, 2);
	assert_int_equal(ctrs(&f).unmap_rpcits, 2);
	assert_int_equal(ctrs(&f).global_rpcits, 0);
	assert_int_equal(ctrs(&f).wraps, 1);
	assert_int_equal(ctrs(&f).unmapped_pages, 4);
	fix_fini(&f);
}

/*
 * tlb_refresh (shadowing hypervisor), lazy: one ranged RPCIT per map over the page-aligned
 * range of the mapping (offset-inclusive page count), none on unmap.
 */
static void test_s390_legacy_tlb_refresh_rpcit_per_map(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true};
	uint64_t iova[3];
	struct fix f;

	(void)state;
	fix_init(&f, &o);
	assert_int_equal(map(&f, 0x5000, PG, &iova[0]), 0);
	assert_int_equal(map(&f, 0x6ff0, 0x20, &iova[1]), 0);
	assert_int_equal(map(&f, 0x9800, 3 * PG, &iova[2]), 0);
	assert_int_equal(iova[0], START);
	assert_int_equal(iova[1], START + PG + 0xff0);
	assert_int_equal(iova[2], START + 3 * PG + 0x800);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 3);
	expect_call(&f, 0, START, PG, 0);
	expect_call(&f, 1, START + PG, 2 * PG, 0);
	expect_call(&f, 2, START + 3 * PG, 4 * PG, 0);
	for (unsigned int i = 0; i < 3; i++)
		unmap(&f, iova[i], i == 0 ? PG : i == 1 ? 0x20 : 3 * PG);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 3);
	assert_int_equal(ctrs(&f).map_rpcits, 3);
	assert_int_equal(ctrs(&f).unmap_rpcits, 0);
	assert_int_equal(ctrs(&f).mapped_pages, 7);
	assert_int_equal(ctrs(&f).unmapped_pages, 7);
	fix_fini(&f);
}

/* LPAR (tlb_refresh false), lazy: map_page, map_sg and alloc issue no RPCIT at all. */
static void test_s390_legacy_lpar_no_map_rpcit(void **state)
{
	struct opts o = {.pages = 64};
	struct iommusim_sg sg[2] = {{.phys = 0x10000, .length = PG},
				    {.phys = 0x20000, .length = PG}};
	uint64_t a, b;
	unsigned int n;
	struct fix f;

	(void)state;
	fix_init(&f, &o);
	assert_int_equal(map(&f, 0x3000, 100, &a), 0);
	assert_int_equal(iommusim_dma_map_sg(f.dev, f.cpu, sg, 2, IOMMUSIM_DMA_TO_DEVICE, &n), 0);
	assert_int_equal(iommusim_dma_alloc_coherent(f.dev, f.cpu, 0x40000, 3 * PG, &b), 0);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 0);
	assert_int_equal(ctrs(&f).map_rpcits, 0);
	iommusim_dma_free_coherent(f.dev, f.cpu, 3 * PG, b);
	iommusim_dma_unmap_sg(f.dev, f.cpu, sg, 2, IOMMUSIM_DMA_TO_DEVICE);
	unmap(&f, a, 100);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 0);
	fix_fini(&f);
}

/*
 * map_sg coalescing (tlb_refresh, so each run shows as one RPCIT):
 *   e0 0x10000100 +0xf00 | e1 0x20000000 +0x1000 | e2 0x30000000 +0x800  -> run 0 (0x2800 bytes
 *     from page start, 3 pages): e1, e2 start on a page and the running size is page aligned
 *   e3 0x40000000 +0x1000 -> run 1: the running size 0x2800 is not page aligned
 *   e4 0x50000200 +0x100  -> run 2: e4 has an offset
 * Output: (start + 0x100, 0x2700), (start + 3 pages, 0x1000), (start + 4 pages + 0x200, 0x100).
 */
static void test_s390_legacy_map_sg_coalesces_runs(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true};
	struct iommusim_sg sg[5] = {
		{.phys = 0x10000100, .length = 0xf00}, {.phys = 0x20000000, .length = 0x1000},
		{.phys = 0x30000000, .length = 0x800}, {.phys = 0x40000000, .length = 0x1000},
		{.phys = 0x50000200, .length = 0x100},
	};
	unsigned int n = 0;
	struct fix f;

	(void)state;
	fix_init(&f, &o);
	assert_int_equal(iommusim_dma_map_sg(f.dev, f.cpu, sg, 5, IOMMUSIM_DMA_FROM_DEVICE, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(sg[0].dma_address, START + 0x100);
	assert_int_equal(sg[0].dma_length, 0x2700);
	assert_int_equal(sg[1].dma_address, START + 3 * PG);
	assert_int_equal(sg[1].dma_length, 0x1000);
	assert_int_equal(sg[2].dma_address, START + 4 * PG + 0x200);
	assert_int_equal(sg[2].dma_length, 0x100);
	assert_int_equal(sg[3].dma_length, 0);
	assert_int_equal(sg[4].dma_length, 0);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 3);
	expect_call(&f, 0, START, 3 * PG, 0);
	expect_call(&f, 1, START + 3 * PG, PG, 0);
	expect_call(&f, 2, START + 4 * PG, PG, 0);
	expect_mapped(&f, START + 0x100, 0x10000100, RW);
	expect_mapped(&f, START + PG, 0x20000000, RW);
	expect_mapped(&f, START + 2 * PG + 0x7ff, 0x300007ff, RW);
	expect_mapped(&f, START + 3 * PG, 0x40000000, RW);
	expect_mapped(&f, START + 4 * PG + 0x200, 0x50000200, RW);
	assert_int_equal(ctrs(&f).mapped_pages, 5);
	assert_int_equal(ctrs(&f).map_rpcits, 3);
	assert_int_equal(stats(&f).mapped_bytes, 0xf00 + 0x1000 + 0x800 + 0x1000 + 0x100);

	iommusim_dma_unmap_sg(f.dev, f.cpu, sg, 5, IOMMUSIM_DMA_FROM_DEVICE);
	for (unsigned int i = 0; i < 5; i++) {
		expect_unmapped(&f, START + i * PG);
		assert_int_equal(sg[i].dma_length, 0);
	}
	assert_int_equal(ctrs(&f).unmapped_pages, 5);
	assert_int_equal(stats(&f).maps, 1);
	assert_int_equal(stats(&f).unmaps, 1);
	fix_fini(&f);
}

/* A run ends where adding the next element would pass max_seg_size (8 KiB: pairs of pages). */
static void test_s390_legacy_map_sg_max_seg_size(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true, .max_seg_size = 2 * PG};
	struct iommusim_sg sg[4];
	unsigned int n = 0;
	struct fix f;

	(void)state;
	for (unsigned int i = 0; i < 4; i++)
		sg[i] = (struct iommusim_sg){.phys = 0x100000 * (i + 1), .length = PG};
	fix_init(&f, &o);
	assert_int_equal(iommusim_dma_map_sg(f.dev, f.cpu, sg, 4, IOMMUSIM_DMA_TO_DEVICE, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(sg[0].dma_address, START);
	assert_int_equal(sg[0].dma_length, 2 * PG);
	assert_int_equal(sg[1].dma_address, START + 2 * PG);
	assert_int_equal(sg[1].dma_length, 2 * PG);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 2);
	/* TO_DEVICE: the device may only read. */
	expect_mapped(&f, START + 3 * PG, 0x400000, IOMMUSIM_PROT_READ);
	iommusim_dma_unmap_sg(f.dev, f.cpu, sg, 4, IOMMUSIM_DMA_TO_DEVICE);
	fix_fini(&f);
}

/*
 * A failing run undoes the whole map_sg. Lazy LPAR, 64 pages, 60 taken: run 0 (2 pages) gets
 * 60..61; run 1 (offset 0x800 + 2 pages = 3 pages) finds only 62, wraps (one global RPCIT,
 * nothing lazily freed) and fails; run 0 is unmapped again.
 */
static void test_s390_legacy_map_sg_failure_unmaps(void **state)
{
	struct opts o = {.pages = 64};
	struct iommusim_sg sg[2] = {{.phys = 0x10000, .length = 2 * PG},
				    {.phys = 0x20800, .length = 2 * PG}};
	unsigned int n = 0;
	struct fix f;

	(void)state;
	fix_init(&f, &o);
	map_at(&f, 60, 0);
	assert_int_equal(iommusim_dma_map_sg(f.dev, f.cpu, sg, 2, IOMMUSIM_DMA_BIDIRECTIONAL, &n),
			 -ENOMEM);
	expect_unmapped(&f, START + 60 * PG);
	expect_unmapped(&f, START + 61 * PG);
	assert_int_equal(ctrs(&f).mapped_pages, 62);
	assert_int_equal(ctrs(&f).unmapped_pages, 2);
	assert_int_equal(ctrs(&f).global_rpcits, 1);
	assert_int_equal(stats(&f).map_failures, 1);
	assert_int_equal(stats(&f).maps, 1);
	fix_fini(&f);
}

/*
 * Lazy, tlb_refresh: the map RPCIT answers cc 1 / status 16 (insufficient resources). The
 * driver issues one global RPCIT instead (not the ranged one again), merges the lazy bitmap and
 * the map succeeds. Setup: fill 0..62, unmap 0 and 1, map X -> wrap #1 -> 0, next_bit 1; unmap
 * page 40 (lazy). Y -> 1, its RPCIT fails, global RPCIT, merge frees 40. Z (next fit from 2)
 * then gets 40 with no wrap: without the merge it would have to wrap.
 */
static void test_s390_legacy_enomem_map_rpcit_purges_lazy(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true};
	uint64_t pages[63], y;
	size_t base;
	struct fix f;

	(void)state;
	fix_init(&f, &o);
	for (unsigned int i = 0; i < 63; i++)
		pages[i] = map_at(&f, 1, i);
	unmap(&f, pages[0], PG);
	unmap(&f, pages[1], PG);
	map_at(&f, 1, 0);
	assert_int_equal(ctrs(&f).wraps, 1);
	unmap(&f, pages[40], PG);

	base = iommusim_firmware_script_log_len(f.fw);
	assert_int_equal(iommusim_firmware_script_push(f.fw, IOMMUSIM_FW_CC_ERROR, 16), 0);
	y = map_at(&f, 1, 1);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), base + 2);
	expect_call(&f, base, y, PG, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, base + 1, START, 64 * PG, 0);
	expect_mapped(&f, y, 0x80000000ull + PG, RW);
	assert_int_equal(ctrs(&f).enomem_purges, 1);
	assert_int_equal(ctrs(&f).global_rpcits, 2);

	map_at(&f, 1, 40);
	assert_int_equal(ctrs(&f).wraps, 1);
	assert_int_equal(ctrs(&f).global_rpcits, 2);
	/* 63 + X + Y + Z maps, each with its ranged RPCIT */
	assert_int_equal(ctrs(&f).map_rpcits, 66);
	assert_int_equal(stats(&f).map_failures, 0);
	fix_fini(&f);
}

/*
 * As above, but the global RPCIT fails too (cc 3): the map fails with -EIO, the range is
 * invalid again and its address was freed (lazily): after filling 1..62 the wrap hands out
 * offset 0 again.
 */
static void test_s390_legacy_enomem_global_fails_map_fails(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true};
	uint64_t iova = 0;
	struct fix f;

	(void)state;
	fix_init(&f, &o);
	assert_int_equal(iommusim_firmware_script_push(f.fw, IOMMUSIM_FW_CC_ERROR, 16), 0);
	assert_int_equal(iommusim_firmware_script_push(f.fw, IOMMUSIM_FW_CC_NOT_OPERATIONAL, 0), 0);
	assert_int_equal(map(&f, 0x7000, PG, &iova), -EIO);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 2);
	expect_call(&f, 0, START, PG, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 1, START, 64 * PG, IOMMUSIM_FW_CC_NOT_OPERATIONAL);
	expect_unmapped(&f, START);
	assert_int_equal(ctrs(&f).mapped_pages, 0);
	assert_int_equal(ctrs(&f).enomem_purges, 1);
	assert_int_equal(ctrs(&f).global_rpcits, 1);
	assert_int_equal(stats(&f).map_failures, 1);

	for (unsigned int i = 1; i < 63; i++)
		map_at(&f, 1, i);
	map_at(&f, 1, 0);
	assert_int_equal(ctrs(&f).wraps, 1);
	fix_fini(&f);
}

/* Strict, tlb_refresh: cc 1 / 16 on the map RPCIT fails the map; no global RPCIT. */
static void test_s390_legacy_strict_enomem_map_fails(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true, .strict = true};
	uint64_t iova = 0;
	struct fix f;
	size_t g, r;

	(void)state;
	fix_init(&f, &o);
	assert_int_equal(iommusim_firmware_script_push(f.fw, IOMMUSIM_FW_CC_ERROR, 16), 0);
	assert_int_equal(map(&f, 0x7000, 2 * PG, &iova), -ENOMEM);
	assert_int_equal(iommusim_firmware_script_log_len(f.fw), 1);
	expect_call(&f, 0, START, 2 * PG, IOMMUSIM_FW_CC_ERROR);
	expect_unmapped(&f, START);
	expect_unmapped(&f, START + PG);
	assert_int_equal(ctrs(&f).enomem_purges, 0);
	/* Strict frees at once: after 2..62 the wrap hands out 0 with no flush. */
	for (unsigned int i = 2; i < 63; i++)
		map_at(&f, 1, i);
	map_at(&f, 2, 0);
	count_rpcits(&f, &g, &r);
	assert_int_equal(g, 0);
	assert_int_equal(ctrs(&f).global_rpcits, 0);
	fix_fini(&f);
}

/*
 * Strict: an unmap whose RPCIT fails returns without freeing the address (the IOTLB may
 * still hold it): not counted as unmapped, and never handed out again.
 */
static void test_s390_legacy_strict_unmap_error_keeps_address(void **state)
{
	struct opts o = {.pages = 64, .strict = true};
	uint64_t a, iova;
	struct fix f;

	(void)state;
	fix_init(&f, &o);
	a = map_at(&f, 1, 0);
	assert_int_equal(iommusim_firmware_script_push(f.fw, IOMMUSIM_FW_CC_ERROR, 16), 0);
	unmap(&f, a, PG);
	expect_unmapped(&f, a);
	assert_int_equal(ctrs(&f).unmapped_pages, 0);
	assert_int_equal(ctrs(&f).unmap_errors, 1);
	for (unsigned int i = 1; i < 63; i++)
		map_at(&f, 1, i);
	assert_int_equal(map(&f, 0, PG, &iova), -ENOMEM);
	assert_int_equal(ctrs(&f).wraps, 1);
	fix_fini(&f);
}

/*
 * The segment boundary is (seg_boundary_mask >> 12) + 1 pages (dma_get_seg_boundary_nr_pages):
 * with a 16 KiB mask a run may not cross a 4-page line (start_dma is 4 GiB, so lines are at
 * multiples of 4 pages in the window). 1 -> 0, 3 -> 1..3, 2 -> 4..5, 3 -> 8..10 (6..8 crosses),
 * 2 -> 12..13 (11..12 crosses; with a boundary of 8 pages it would not).
 */
static void test_s390_legacy_seg_boundary(void **state)
{
	struct opts o = {.pages = 64, .seg_boundary_mask = 4 * PG - 1};
	struct fix f;

	(void)state;
	fix_init(&f, &o);
	map_at(&f, 1, 0);
	map_at(&f, 3, 1);
	map_at(&f, 2, 4);
	map_at(&f, 3, 8);
	map_at(&f, 2, 12);
	fix_fini(&f);
}

/* Directions: TO_DEVICE and NONE write-protect; FROM_DEVICE and BIDIRECTIONAL do not. */
static void test_s390_legacy_translate_prot(void **state)
{
	static const struct {
		enum iommusim_dma_dir dir;
		int prot;
	} cases[] = {
		{IOMMUSIM_DMA_BIDIRECTIONAL, RW},
		{IOMMUSIM_DMA_TO_DEVICE, IOMMUSIM_PROT_READ},
		{IOMMUSIM_DMA_FROM_DEVICE, RW},
		{IOMMUSIM_DMA_NONE, IOMMUSIM_PROT_READ},
	};
	struct opts o = {.pages = 64};
	uint64_t iova, pa;
	struct fix f;

	(void)state;
	fix_init(&f, &o);
	for (unsigned int i = 0; i < 4; i++) {
		uint64_t phys = 0x100000ull * (i + 1) + 0x42;

		assert_int_equal(
			iommusim_dma_map_page(f.dev, f.cpu, phys, 0x10, cases[i].dir, &iova), 0);
		assert_int_equal(iova, START + i * PG + 0x42);
		expect_mapped(&f, iova, phys, cases[i].prot);
		expect_mapped(&f, iova - 0x42, phys - 0x42, cases[i].prot);
		/* NULL outputs are allowed */
		assert_int_equal(iommusim_s390_legacy_translate(f.dev, iova, NULL, NULL), 0);
		iommusim_dma_unmap_page(f.dev, f.cpu, iova, 0x10, cases[i].dir);
		assert_int_equal(iommusim_s390_legacy_translate(f.dev, iova, &pa, NULL), -EFAULT);
	}
	/* Outside the window: nothing there. */
	expect_unmapped(&f, START - PG);
	fix_fini(&f);
}

/* alloc/free: page-rounded, bidirectional, allocated_pages goes up and back down. */
static void test_s390_legacy_alloc_free_counters(void **state)
{
	struct opts o = {.pages = 64, .tlb_refresh = true};
	uint64_t a, b;
	struct fix f;

	(void)state;
	fix_init(&f, &o);
	assert_int_equal(iommusim_dma_alloc_coherent(f.dev, f.cpu, 0x200000, 5000, &a), 0);
	assert_int_equal(iommusim_dma_alloc_coherent(f.dev, f.cpu, 0x300000, PG, &b), 0);
	assert_int_equal(a, START);
	assert_int_equal(b, START + 2 * PG);
	expect_mapped(&f, a + PG, 0x201000, RW);
	assert_int_equal(ctrs(&f).allocated_pages, 3);
	assert_int_equal(ctrs(&f).mapped_pages, 3);
	expect_call(&f, 0, START, 2 * PG, 0);
	iommusim_dma_free_coherent(f.dev, f.cpu, 5000, a);
	assert_int_equal(ctrs(&f).allocated_pages, 1);
	assert_int_equal(ctrs(&f).unmapped_pages, 2);
	expect_unmapped(&f, a + PG);
	iommusim_dma_free_coherent(f.dev, f.cpu, PG, b);
	assert_int_equal(ctrs(&f).allocated_pages, 0);
	assert_int_equal(stats(&f).maps, 2);
	assert_int_equal(stats(&f).unmaps, 2);
	/* bytes asked for, not page-rounded (as dma-iommu counts them) */
	assert_int_equal(stats(&f).mapped_bytes, 5000 + PG);
	fix_fini(&f);
}

/*
 * A reference model of the allocator (pci_dma.c's dma_alloc_address() and dma_free_address(), bit
 * by bit): next fit over [next_bit, pages - 1), on failure a wrap (lazy: global flush + merge) and
 * first fit from 0.
 */
#define MODEL_PAGES 128
struct model {
	bool strict;
	bool used[MODEL_PAGES];
	bool lazy[MODEL_PAGES];
	uint64_t next_bit;
	uint64_t wraps, globals;
};

static int64_t model_fit(struct model *m, uint64_t from, uint64_t nr)
{
	for (uint64_t i = from; i + nr <= MODEL_PAGES - 1; i++) {
		uint64_t j = 0;

		while (j < nr && !m->used[i + j])
			j++;
		if (j == nr)
			return (int64_t)i;
	}
	return -1;
}

static int64_t model_alloc(struct model *m, uint64_t nr)
{
	int64_t off = model_fit(m, m->next_bit, nr);

	if (off < 0) {
		m->wraps++;
		if (!m->strict) {
			m->globals++;
			for (unsigned int i = 0; i < MODEL_PAGES; i++) {
				if (m->lazy[i])
					m->used[i] = false;
				m->lazy[i] = false;
			}
		}
		off = model_fit(m, 0, nr);
		if (off < 0)
			return -1;
	}
	for (uint64_t i = 0; i < nr; i++)
		m->used[off + i] = true;
	m->next_bit = (uint64_t)off + nr;
	return off;
}

static void model_free(struct model *m, uint64_t off, uint64_t nr)
{
	for (uint64_t i = 0; i < nr; i++) {
		if (m->strict)
			m->used[off + i] = false;
		else
			m->lazy[off + i] = true;
	}
}

enum live_kind { LIVE_PAGE, LIVE_ALLOC, LIVE_SG };

struct live {
	enum live_kind kind;
	uint64_t iova, size, phys, pages;
	struct iommusim_sg sg[4];
	unsigned int nents;
};

/*
 * Random map_page / alloc / map_sg / unmap traffic (fixed seed) on a 128-page window, checked
 * call by call against the model: every IOVA, every failure, the wrap and RPCIT counts (one
 * map RPCIT per successful map with tlb_refresh, one unmap RPCIT per unmap when strict, one
 * global per lazy wrap), and the counters at the end, when everything is unmapped again.
 */
static void run_random(bool strict)
{
	struct opts o = {.pages = MODEL_PAGES, .tlb_refresh = true, .strict = strict};
	static struct live live[24];
	static struct model m;
	struct iommusim_rng rng = test_rng(strict ? 0x5eed0002 : 0x5eed0001);
	uint64_t mapped = 0, unmapped = 0, maps = 0, unmaps = 0, fails = 0, bytes = 0;
	unsigned int nlive = 0;
	struct fix f;
	size_t g, r;

	memset(&m, 0, sizeof(m));
	m.strict = strict;
	fix_init(&f, &o);
	for (unsigned int step = 0; step < 3000; step++) {
		uint64_t x = iommusim_rng_u64(&rng);

		if (nlive < 24 && (x & 1)) {
			struct live *l = &live[nlive];
			uint64_t pg = 1 + (x >> 8) % 12, off = (x >> 16) % PG;
			int64_t want;
			int ret;

			memset(l, 0, sizeof(*l));
			l->kind = (enum live_kind)((x >> 1) % 3);
			l->phys = ((x >> 32) & 0xfffff) * PG + off;
			if (l->kind == LIVE_SG) {
				/* page-sized, page-aligned elements: one run, as long as <= 64 KiB
				 */
				l->nents = 1 + (unsigned int)((x >> 4) % 4);
				l->pages = l->nents;
				for (unsigned int i = 0; i < l->nents; i++)
					l->sg[i] = (struct iommusim_sg){
						.phys = (i + 1) * 0x1000000ull, .length = PG};
			} else if (l->kind == LIVE_ALLOC) {
				l->phys &= ~(PG - 1);
				l->size = pg * PG - (x >> 20) % PG;
				l->pages = pg;
			} else {
				l->size = pg * PG - off;
				l->pages = (off + l->size + PG - 1) / PG;
			}
			want = model_alloc(&m, l->pages);
			if (l->kind == LIVE_SG) {
				unsigned int n = 0;

				ret = iommusim_dma_map_sg(f.dev, f.cpu, l->sg, l->nents,
							  IOMMUSIM_DMA_BIDIRECTIONAL, &n);
				if (!ret) {
					assert_int_equal(n, 1);
					l->iova = l->sg[0].dma_address;
					assert_int_equal(l->sg[0].dma_length, l->pages * PG);
				}
			} else if (l->kind == LIVE_ALLOC) {
				ret = iommusim_dma_alloc_coherent(f.dev, f.cpu, l->phys, l->size,
								  &l->iova);
			} else {
				ret = map(&f, l->phys, l->size, &l->iova);
			}
			if (want < 0) {
				assert_int_equal(ret, -ENOMEM);
				fails++;
				continue;
			}
			assert_int_equal(ret, 0);
			assert_int_equal(l->iova, START + (uint64_t)want * PG +
							  (l->kind == LIVE_PAGE ? off : 0));
			mapped += l->pages;
			maps++;
			/* the bytes asked for: sg elements are whole pages */
			bytes += l->kind == LIVE_SG ? l->pages * PG : l->size;
			nlive++;
		} else if (nlive) {
			unsigned int i = (unsigned int)((x >> 8) % nlive);
			struct live *l = &live[i];

			if (l->kind == LIVE_SG)
				iommusim_dma_unmap_sg(f.dev, f.cpu, l->sg, l->nents,
						      IOMMUSIM_DMA_BIDIRECTIONAL);
			else if (l->kind == LIVE_ALLOC)
				iommusim_dma_free_coherent(f.dev, f.cpu, l->size, l->iova);
			else
				unmap(&f, l->iova, l->size);
			model_free(&m, (l->iova - START) / PG, l->pages);
			expect_unmapped(&f, l->iova);
			unmapped += l->pages;
			unmaps++;
			live[i] = live[--nlive];
		}
	}
	while (nlive) {
		struct live *l = &live[--nlive];

		if (l->kind == LIVE_SG)
			iommusim_dma_unmap_sg(f.dev, f.cpu, l->sg, l->nents,
					      IOMMUSIM_DMA_BIDIRECTIONAL);
		else if (l->kind == LIVE_ALLOC)
			iommusim_dma_free_coherent(f.dev, f.cpu, l->size, l->iova);
		else
			unmap(&f, l->iova, l->size);
		unmapped += l->pages;
		unmaps++;
	}
	for (unsigned int i = 0; i < MODEL_PAGES; i++)
		expect_unmapped(&f, START + i * PG);

	/* the traffic must have exercised wraps and failures for the checks to mean much */
	assert_true(m.wraps >= 20);
	assert_true(fails >= 10);
	assert_int_equal(ctrs(&f).wraps, m.wraps);
	assert_int_equal(ctrs(&f).global_rpcits, m.globals);
	assert_int_equal(ctrs(&f).map_rpcits, maps);
	assert_int_equal(ctrs(&f).unmap_rpcits, strict ? unmaps : 0);
	assert_int_equal(ctrs(&f).mapped_pages, mapped);
	assert_int_equal(ctrs(&f).unmapped_pages, unmapped);
	assert_int_equal(mapped, unmapped);
	assert_int_equal(ctrs(&f).allocated_pages, 0);
	assert_int_equal(ctrs(&f).enomem_purges, 0);
	assert_int_equal(stats(&f).maps, maps);
	assert_int_equal(stats(&f).unmaps, unmaps);
	assert_int_equal(stats(&f).map_failures, fails);
	assert_int_equal(stats(&f).mapped_bytes, bytes);
	count_rpcits(&f, &g, &r);
	assert_int_equal(g, m.globals);
	assert_int_equal(r, maps + (strict ? unmaps : 0));
	fix_fini(&f);
}

static void test_s390_legacy_random_vs_model_lazy(void **state)
{
	(void)state;
	run_random(false);
}

static void test_s390_legacy_random_vs_model_strict(void **state)
{
	(void)state;
	run_random(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s390_legacy_setup_errors),
		cmocka_unit_test(test_s390_legacy_setup_registers_teardown_deregisters),
		cmocka_unit_test(test_s390_legacy_setup_fails_when_registration_refused),
		cmocka_unit_test(test_s390_legacy_next_fit_from_start),
		cmocka_unit_test(test_s390_legacy_last_page_never_used),
		cmocka_unit_test(test_s390_legacy_lazy_wrap_global_rpcit_count),
		cmocka_unit_test(test_s390_legacy_lazy_wrap_without_lazy_frees_still_flushes),
		cmocka_unit_test(test_s390_legacy_strict_rpcit_per_unmap),
		cmocka_unit_test(test_s390_legacy_tlb_refresh_rpcit_per_map),
		cmocka_unit_test(test_s390_legacy_lpar_no_map_rpcit),
		cmocka_unit_test(test_s390_legacy_map_sg_coalesces_runs),
		cmocka_unit_test(test_s390_legacy_map_sg_max_seg_size),
		cmocka_unit_test(test_s390_legacy_map_sg_failure_unmaps),
		cmocka_unit_test(test_s390_legacy_enomem_map_rpcit_purges_lazy),
		cmocka_unit_test(test_s390_legacy_enomem_global_fails_map_fails),
		cmocka_unit_test(test_s390_legacy_strict_enomem_map_fails),
		cmocka_unit_test(test_s390_legacy_strict_unmap_error_keeps_address),
		cmocka_unit_test(test_s390_legacy_seg_boundary),
		cmocka_unit_test(test_s390_legacy_translate_prot),
		cmocka_unit_test(test_s390_legacy_alloc_free_counters),
		cmocka_unit_test(test_s390_legacy_random_vs_model_lazy),
		cmocka_unit_test(test_s390_legacy_random_vs_model_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
