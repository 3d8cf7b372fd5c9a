/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the s390 IOMMU driver of Linux 6.7 (drivers/iommu/s390-iommu.c, docs/sources.md
 * S18): zPCI windows, the paging domain's map/unmap (tables only), the RPCITs of iotlb_sync,
 * flush_iotlb_all and iotlb_sync_map with the "insufficient resources" fallback, the counters, and
 * the 3-level tables underneath. RPCITs are observed through the scriptable firmware's call log;
 * expected values are derived from the kernel's rules in the comments next to each assertion.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/clock.h>
#include <iommusim/cpu.h>
#include <iommusim/device.h>
#include <iommusim/dma.h>
#include <iommusim/firmware.h>
#include <iommusim/iommu.h>
#include <iommusim/iova.h>
#include <iommusim/mem.h>
#include <iommusim/s390.h>

#include "core/domain_impl.h"
#include "dma/cookie.h"
#include "arch/s390/s390_internal.h"
#include "arch/s390/s390_tables.h"
#include "failing_mem.h"
#include "fields.h"
#include "fw_log.h"
#include "ioat_platform.h"
#include "sizes.h"
#include "test_rng.h"

/* A counter and the value it must have, for EXPECT_FIELDS(). */
#define DMA_STATS(field, value) FIELD(struct iommusim_dma_stats, field, value)
#define S390_COUNTERS(field, value) FIELD(struct iommusim_s390_counters, field, value)

#define TIB4  IOMMUSIM_ZPCI_TABLE_SIZE_RT
#define PHYS  0x12340000ull

#define MAX_DEVS 4

struct fix {
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu;
	struct iommusim_firmware *fw;
	struct iommusim_domain *dom;
	struct iommusim_device *dev[MAX_DEVS];
	unsigned int ndev;
	/* the domain's table, as the first attach registered it */
	const struct iommusim_s390_io_table *table;
	/* the flush queue's clock, when a test runs dma-iommu on the domain */
	struct iommusim_clock *clock;
};

/* QEMU's window and 4 GiB of guest memory: [4 GiB, 8 GiB - 1] with the default factor. */
static struct iommusim_zpci_config qemu_cfg(uint32_t fh, bool tlb_refresh)
{
	return (struct iommusim_zpci_config){
		.fh = fh,
		.tlb_refresh = tlb_refresh,
		.start_dma = IOMMUSIM_ZPCI_QEMU_START_DMA,
		.end_dma = IOMMUSIM_ZPCI_QEMU_END_DMA,
		.guest_memory = SZ_4G,
	};
}

/* libc backend: under a sanitizer every table is visible to ASan. */
static void fix_init_kernel(struct fix *f, enum iommusim_kernel kernel)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &f->mem), 0);
	assert_int_equal(iommusim_cpu_create(f->mem, 0, &f->cpu), 0);
	assert_int_equal(iommusim_firmware_create_script(f->mem, &f->fw), 0);
	assert_int_equal(iommusim_s390_domain_create(f->mem, kernel, &f->dom), 0);
}

static void fix_init(struct fix *f)
{
	fix_init_kernel(f, IOMMUSIM_KERNEL_6_7);
}

static struct iommusim_device *new_dev(struct fix *f, const char *name)
{
	struct iommusim_device_config dc = {.name = name, .dma_mask = ~0ull};
	struct iommusim_device *dev;

	assert_true(f->ndev < MAX_DEVS);
	assert_int_equal(iommusim_device_create(f->mem, &dc, &dev), 0);
	f->dev[f->ndev++] = dev;
	return dev;
}

static size_t log_len(struct fix *f)
{
	return iommusim_firmware_script_log_len(f->fw);
}

/*
 * The @i-th call must have registered @iota for @fh's [@pba, @pal] (len = pal - pba + 1), or,
 * with @iota NULL, deregistered @fh's table (addr and len 0).
 */
static void expect_ioat(struct fix *f, size_t i, uint32_t fh, uint64_t pba, uint64_t pal,
			const struct iommusim_s390_io_table *iota)
{
	assert_ptr_equal(fw_expect_ioat(f->fw, i, fh, pba, pal, iota != NULL).iota, iota);
}

/* The table the @i-th call registered. */
static const struct iommusim_s390_io_table *logged_iota(struct fix *f, size_t i)
{
	struct iommusim_firmware_call c;

	assert_int_equal(iommusim_firmware_script_log_get(f->fw, i, &c), 0);
	assert_int_equal(c.kind, IOMMUSIM_FIRMWARE_CALL_SET_IOAT);
	assert_non_null(c.iota);
	return c.iota;
}

/*
 * A zPCI function made from @cfg and attached to the fixture's domain. The attach registers
 * the domain's table for the function's window and calls nothing else; that entry is checked
 * and cleared, so the tests' RPCIT logs start empty.
 */
static struct iommusim_device *add_zdev(struct fix *f, const struct iommusim_zpci_config *cfg)
{
	struct iommusim_device *dev = new_dev(f, "zpci");
	uint64_t start, end;

	assert_int_equal(iommusim_s390_device_init(dev, f->fw, cfg), 0);
	assert_int_equal(log_len(f), 0);
	assert_int_equal(iommusim_iommu_attach_device(f->dom, dev), 0);
	assert_int_equal(log_len(f), 1);
	/* one table per domain: every function of the domain gets the same one */
	if (!f->table)
		f->table = logged_iota(f, 0);
	assert_int_equal(iommusim_s390_device_window(dev, &start, &end), 0);
	expect_ioat(f, 0, cfg->fh, start, end, f->table);
	iommusim_firmware_script_log_clear(f->fw);
	return dev;
}

static void fix_fini(struct fix *f)
{
	for (unsigned int i = 0; i < f->ndev; i++)
		iommusim_device_destroy(f->dev[i]); /* detaches too */
	iommusim_domain_destroy(f->dom);
	if (f->clock) {
		assert_int_equal(iommusim_clock_pending(f->clock), 0);
		iommusim_clock_destroy(f->clock);
	}
	iommusim_firmware_destroy(f->fw);
	iommusim_cpu_destroy(f->cpu);
	assert_int_equal(iommusim_mem_live_objects(f->mem), 0);
	iommusim_mem_destroy(f->mem);
}

/* The @i-th RPCIT must have gone to @fh for [@addr, @addr + @len) and been answered @cc. */
static void expect_call(struct fix *f, size_t i, uint32_t fh, uint64_t addr, uint64_t len,
			uint8_t cc)
{
	fw_expect_rpcit(f->fw, i, fh, addr, len, cc);
}

static struct iommusim_s390_counters ctrs(struct fix *f)
{
	struct iommusim_s390_counters c;

	assert_int_equal(iommusim_s390_domain_counters(f->dom, &c), 0);
	return c;
}

static void push(struct fix *f, uint8_t cc, uint8_t status)
{
	assert_int_equal(iommusim_firmware_script_push(f->fw, cc, status), 0);
}

static void expect_window(const struct iommusim_zpci_config *cfg, uint64_t start, uint64_t end)
{
	struct fix f;
	struct iommusim_device *dev;
	uint64_t s = 0, e = 0;

	fix_init(&f);
	dev = new_dev(&f, "win");
	assert_int_equal(iommusim_s390_device_init(dev, f.fw, cfg), 0);
	assert_int_equal(iommusim_s390_device_window(dev, &s, &e), 0);
	assert_int_equal(s, start);
	assert_int_equal(e, end);
	fix_fini(&f);
}

static void test_s390_window_qemu_default_factor(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(1, false);

	(void)state;
	/* aperture = min3(4 GiB x 1, 4 TiB - 4 GiB, huge) = 4 GiB: [4 GiB, 8 GiB - 1] */
	expect_window(&cfg, SZ_4G, 2 * SZ_4G - 1);
	/* factor 0 is "not given", the kernel's default 1 */
	cfg.aperture_factor = 1;
	expect_window(&cfg, SZ_4G, 2 * SZ_4G - 1);
}

static void test_s390_window_factor_two(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(1, false);

	(void)state;
	/* aperture = 2 x 4 GiB = 8 GiB: [4 GiB, 12 GiB - 1] */
	cfg.aperture_factor = 2;
	expect_window(&cfg, SZ_4G, 3 * SZ_4G - 1);
}

static void test_s390_window_unlimited(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(1, false);

	(void)state;
	/* s390_iommu_aperture=0: aperture = 4 TiB - 4 GiB, so the window ends at 4 TiB - 1 */
	cfg.aperture_factor = IOMMUSIM_S390_APERTURE_UNLIMITED;
	expect_window(&cfg, SZ_4G, TIB4 - 1);
}

static void test_s390_window_aligned_and_clamped(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(1, false);

	(void)state;
	/* start PAGE_ALIGNed up; an end beyond 4 TiB is cut to what a 3-level table reaches */
	cfg.start_dma = 0x1234;
	cfg.end_dma = 16 * TIB4;
	cfg.aperture_factor = IOMMUSIM_S390_APERTURE_UNLIMITED;
	expect_window(&cfg, 0x2000, TIB4 - 1);
	/* a firmware end below start + memory wins: min3 picks end - start + 1 */
	cfg = qemu_cfg(1, false);
	cfg.end_dma = SZ_4G + SZ_1M - 1;
	cfg.guest_memory = 64 * SZ_4G;
	expect_window(&cfg, SZ_4G, SZ_4G + SZ_1M - 1);
	/* the whole 64-bit space as the window: its length does not wrap to 0 */
	cfg = qemu_cfg(1, false);
	cfg.start_dma = 0;
	cfg.end_dma = UINT64_MAX;
	cfg.aperture_factor = IOMMUSIM_S390_APERTURE_UNLIMITED;
	expect_window(&cfg, 0, TIB4 - 1);
	/* start 0 is allowed: [0, 4 GiB - 1] with 4 GiB of memory */
	cfg = qemu_cfg(1, false);
	cfg.start_dma = 0;
	expect_window(&cfg, 0, SZ_4G - 1);
}

static void test_s390_window_rejects_bad_config(void **state)
{
	struct iommusim_zpci_config cfg;
	struct iommusim_device *dev;
	uint64_t s, e;
	struct fix f;

	(void)state;
	fix_init(&f);
	dev = new_dev(&f, "bad");
	/* start_dma > end_dma: the probe refuses it */
	cfg = qemu_cfg(1, false);
	cfg.start_dma = 2 * SZ_4G;
	cfg.end_dma = SZ_4G;
	assert_int_equal(iommusim_s390_device_init(dev, f.fw, &cfg), -EINVAL);
	/* start past what a 3-level table reaches */
	cfg = qemu_cfg(1, false);
	cfg.start_dma = TIB4;
	assert_int_equal(iommusim_s390_device_init(dev, f.fw, &cfg), -EINVAL);
	/* aligning start up leaves nothing: [0x2000, 0x1fff] */
	cfg = qemu_cfg(1, false);
	cfg.start_dma = 0x1001;
	cfg.end_dma = 0x1fff;
	assert_int_equal(iommusim_s390_device_init(dev, f.fw, &cfg), -EINVAL);
	/* no guest memory: an empty aperture */
	cfg = qemu_cfg(1, false);
	cfg.guest_memory = 0;
	assert_int_equal(iommusim_s390_device_init(dev, f.fw, &cfg), -EINVAL);
	/* none of that made it a zPCI function */
	assert_null(isim_zpci_dev(dev));
	assert_int_equal(iommusim_s390_device_window(dev, &s, &e), -EINVAL);
	assert_int_equal(iommusim_iommu_attach_device(f.dom, dev), -ENODEV);
	/* a good config works once, then -EBUSY */
	cfg = qemu_cfg(1, false);
	assert_int_equal(iommusim_s390_device_init(dev, f.fw, &cfg), 0);
	assert_int_equal(iommusim_s390_device_init(dev, f.fw, &cfg), -EBUSY);
	fix_fini(&f);
}

static void test_s390_device_flags(void **state)
{
	struct iommusim_zpci_config cfg;
	struct iommusim_device *lpar, *zvm, *ism;
	struct fix f;

	(void)state;
	fix_init(&f);
	lpar = new_dev(&f, "lpar");
	zvm = new_dev(&f, "zvm");
	ism = new_dev(&f, "ism");
	cfg = qemu_cfg(1, false);
	assert_int_equal(iommusim_s390_device_init(lpar, f.fw, &cfg), 0);
	cfg = qemu_cfg(2, true);
	assert_int_equal(iommusim_s390_device_init(zvm, f.fw, &cfg), 0);
	cfg = qemu_cfg(3, false);
	cfg.ism = true;
	assert_int_equal(iommusim_s390_device_init(ism, f.fw, &cfg), 0);
	/* shadow_on_flush = tlb_refresh (probe_device) */
	assert_false(iommusim_device_shadow_on_flush(lpar));
	assert_true(iommusim_device_shadow_on_flush(zvm));
	assert_false(iommusim_device_shadow_on_flush(ism));
	/* IOMMU_CAP_DEFERRED_FLUSH unless ISM */
	assert_true(lpar->deferred_flush);
	assert_true(zvm->deferred_flush);
	assert_false(ism->deferred_flush);
	/* zPCI functions are PCI devices */
	assert_true(lpar->pci && zvm->pci && ism->pci);
	/* the shared state the legacy DMA ops read */
	assert_int_equal(isim_zpci_dev(zvm)->fh, 2);
	assert_true(isim_zpci_dev(zvm)->tlb_refresh);
	assert_true(isim_zpci_dev(ism)->ism);
	assert_ptr_equal(isim_zpci_dev(zvm)->fw, f.fw);
	fix_fini(&f);
}

static void test_s390_domain_geometry(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(1, false);
	uint64_t s, e;
	struct fix f;

	(void)state;
	fix_init(&f);
	/* s390_domain_alloc_paging: 4K pages only, aperture [0, 4 TiB - 1] */
	assert_int_equal(iommusim_domain_pgsize_bitmap(f.dom), SZ_4K);
	iommusim_domain_aperture(f.dom, &s, &e);
	assert_int_equal(s, 0);
	assert_int_equal(e, TIB4 - 1);
	add_zdev(&f, &cfg);
	assert_int_equal(iommusim_domain_devices(f.dom), 1);
	fix_fini(&f);
}

static void test_s390_map_lpar_writes_ptes_without_rpcit(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x10, false);
	struct iommusim_s390_counters c;
	const uint64_t iova = SZ_4G + 16 * SZ_4K, n = 5;
	uint64_t pa;
	int prot;
	struct fix f;

	(void)state;
	fix_init(&f);
	add_zdev(&f, &cfg);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, iova, PHYS, n * SZ_4K,
					    IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE),
			 0);
	/* one PTE written per page; LPAR (tlb_refresh 0): iotlb_sync_map skips the function */
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_PTE_WRITE), n);
	assert_int_equal(log_len(&f), 0);
	for (uint64_t i = 0; i < n; i++) {
		assert_int_equal(iommusim_iommu_translate(f.dom, iova + i * SZ_4K, &pa, &prot), 0);
		assert_int_equal(pa, PHYS + i * SZ_4K);
		assert_int_equal(prot, IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE);
	}
	/* like the 6.7 iova_to_phys, the page address comes back without the offset */
	assert_int_equal(iommusim_iommu_translate(f.dom, iova + 0x123, &pa, NULL), 0);
	assert_int_equal(pa, PHYS);
	c = ctrs(&f);
	assert_int_equal(c.mapped_pages, n);
	assert_int_equal(c.sync_map_rpcits + c.sync_rpcits + c.global_rpcits, 0);
	fix_fini(&f);
}

static void test_s390_map_tlb_refresh_one_ranged_rpcit_per_function(void **state)
{
	struct iommusim_zpci_config a = qemu_cfg(0xa1, true), b = qemu_cfg(0xb2, false),
				    c = qemu_cfg(0xc3, true);
	const uint64_t iova = SZ_4G + SZ_1M, size = 3 * SZ_4K;
	struct iommusim_firmware_call call;
	struct fix f;

	(void)state;
	fix_init(&f);
	add_zdev(&f, &a);
	add_zdev(&f, &b);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, iova, PHYS, size, IOMMUSIM_PROT_READ), 0);
	/* one tlb_refresh function: exactly one RPCIT over [iova, iova + size) for its fh */
	assert_int_equal(log_len(&f), 1);
	expect_call(&f, 0, 0xa1, iova, size, 0);
	assert_int_equal(ctrs(&f).sync_map_rpcits, 1);
	/* a second tlb_refresh function: one more ranged RPCIT per map, none for the LPAR one */
	iommusim_firmware_script_log_clear(f.fw);
	add_zdev(&f, &c);
	assert_int_equal(
		iommusim_iommu_map(f.dom, f.cpu, iova + size, PHYS, SZ_4K, IOMMUSIM_PROT_READ), 0);
	assert_int_equal(log_len(&f), 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(iommusim_firmware_script_log_get(f.fw, i, &call), 0);
		assert_true(call.fh == 0xa1 || call.fh == 0xc3);
		assert_int_equal(call.addr, iova + size);
		assert_int_equal(call.len, SZ_4K);
	}
	assert_int_equal(ctrs(&f).sync_map_rpcits, 3);
	assert_int_equal(ctrs(&f).global_rpcits, 0);
	fix_fini(&f);
}

static void test_s390_unmap_sync_covers_inclusive_gather(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x77, false);
	struct iommusim_iotlb_gather g;
	const uint64_t base = SZ_4G + 64 * SZ_4K;
	struct iommusim_s390_counters c;
	struct fix f;

	(void)state;
	fix_init(&f);
	add_zdev(&f, &cfg);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, base, PHYS, 2 * SZ_4K, 3), 0);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, base + 4 * SZ_4K, PHYS, SZ_4K, 3), 0);
	/* unmap_pages only records: no RPCIT until the sync */
	iommusim_iotlb_gather_init(&g);
	assert_int_equal(iommusim_iommu_unmap_fast(f.dom, f.cpu, base, 2 * SZ_4K, &g), 2 * SZ_4K);
	assert_int_equal(iommusim_iommu_unmap_fast(f.dom, f.cpu, base + 4 * SZ_4K, SZ_4K, &g),
			 SZ_4K);
	assert_int_equal(log_len(&f), 0);
	/* one RPCIT over [start, end] inclusive: 5 pages, the 2-page gap included */
	iommusim_iommu_iotlb_sync(f.dom, f.cpu, &g);
	assert_int_equal(log_len(&f), 1);
	expect_call(&f, 0, 0x77, base, 5 * SZ_4K, 0);
	/* the sync re-initialised the gather: syncing again flushes nothing */
	iommusim_iommu_iotlb_sync(f.dom, f.cpu, &g);
	assert_int_equal(log_len(&f), 1);
	/* iommu_unmap syncs at once */
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, base, PHYS, SZ_4K, 3), 0);
	assert_int_equal(iommusim_iommu_unmap(f.dom, f.cpu, base, SZ_4K), SZ_4K);
	assert_int_equal(log_len(&f), 2);
	expect_call(&f, 1, 0x77, base, SZ_4K, 0);
	c = ctrs(&f);
	EXPECT_FIELDS(&c, S390_COUNTERS(sync_rpcits, 2), S390_COUNTERS(mapped_pages, 4),
		      S390_COUNTERS(unmapped_pages, 4));
	fix_fini(&f);
}

static void test_s390_flush_all_one_global_rpcit_per_function(void **state)
{
	struct iommusim_zpci_config a = qemu_cfg(0x1, false), b = qemu_cfg(0x2, true);
	struct iommusim_firmware_call call;
	struct fix f;

	(void)state;
	fix_init(&f);
	b.aperture_factor = 2;
	add_zdev(&f, &a);
	add_zdev(&f, &b);
	iommusim_iommu_flush_iotlb_all(f.dom, f.cpu);
	/* each function's own window: a [4G, 8G - 1], b [4G, 12G - 1] */
	assert_int_equal(log_len(&f), 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(iommusim_firmware_script_log_get(f.fw, i, &call), 0);
		assert_int_equal(call.addr, SZ_4G);
		assert_int_equal(call.len, call.fh == 0x1 ? SZ_4G : 2 * SZ_4G);
	}
	assert_int_equal(ctrs(&f).global_rpcits, 2);
	assert_int_equal(ctrs(&f).enomem_global_rpcits, 0);
	fix_fini(&f);
}

static void test_s390_map_without_write_is_protected(void **state)
{
	static const struct {
		int prot;
		int seen;
	} cases[] = {
		/* no IOMMU_WRITE -> ZPCI_TABLE_PROTECTED -> device may only read */
		{IOMMUSIM_PROT_READ, IOMMUSIM_PROT_READ},
		{IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE,
		 IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE},
		{IOMMUSIM_PROT_WRITE, IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE},
		/* 6.7 dropped the IOMMU_READ check: prot 0 maps, read-only */
		{0, IOMMUSIM_PROT_READ},
	};
	struct fix f;
	uint64_t pa;
	int prot;

	(void)state;
	fix_init(&f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t iova = SZ_4G + i * SZ_4K;

		assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, iova, PHYS, SZ_4K, cases[i].prot),
				 0);
		assert_int_equal(iommusim_iommu_translate(f.dom, iova, &pa, &prot), 0);
		assert_int_equal(prot, cases[i].seen);
	}
	/* remapping a read-only page writable clears the bit again */
	assert_int_equal(iommusim_iommu_unmap(f.dom, f.cpu, SZ_4G, SZ_4K), SZ_4K);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G, PHYS, SZ_4K, 3), 0);
	assert_int_equal(iommusim_iommu_translate(f.dom, SZ_4G, &pa, &prot), 0);
	assert_int_equal(prot, IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE);
	fix_fini(&f);
}

static void test_s390_translate_faults_when_not_mapped(void **state)
{
	const uint64_t iova = SZ_4G + 5 * SZ_2G;
	struct fix f;
	uint64_t pa;

	(void)state;
	fix_init(&f);
	/* no table at all yet */
	assert_int_equal(iommusim_iommu_translate(f.dom, iova, &pa, NULL), -EFAULT);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, iova, PHYS, 3 * SZ_4K, 3), 0);
	/* the page table exists, the neighbouring PTE is invalid */
	assert_int_equal(iommusim_iommu_translate(f.dom, iova + 3 * SZ_4K, &pa, NULL), -EFAULT);
	/* unmap the middle page only */
	assert_int_equal(iommusim_iommu_unmap(f.dom, f.cpu, iova + SZ_4K, SZ_4K), SZ_4K);
	assert_int_equal(iommusim_iommu_translate(f.dom, iova + SZ_4K, &pa, NULL), -EFAULT);
	assert_int_equal(iommusim_iommu_translate(f.dom, iova, &pa, NULL), 0);
	assert_int_equal(pa, PHYS);
	assert_int_equal(iommusim_iommu_translate(f.dom, iova + 2 * SZ_4K, &pa, NULL), 0);
	assert_int_equal(pa, PHYS + 2 * SZ_4K);
	/* beyond the aperture nothing translates */
	assert_int_equal(iommusim_iommu_translate(f.dom, TIB4, &pa, NULL), -EFAULT);
	assert_int_equal(iommusim_iommu_translate(f.dom, TIB4 + iova, &pa, NULL), -EFAULT);
	fix_fini(&f);
}

static void test_s390_sync_map_no_resources_becomes_global_rpcit(void **state)
{
	static const uint8_t statuses[] = {IOMMUSIM_FW_STATUS_RESOURCES_ALT,
					   IOMMUSIM_FW_STATUS_RESOURCES};

	(void)state;
	for (size_t s = 0; s < 2; s++) {
		struct iommusim_zpci_config cfg = qemu_cfg(0x42, true);
		const uint64_t iova = SZ_4G + 7 * SZ_4K;
		struct iommusim_s390_counters c;
		struct fix f;
		uint64_t pa;

		fix_init(&f);
		add_zdev(&f, &cfg);
		push(&f, IOMMUSIM_FW_CC_ERROR, statuses[s]);
		/* -ENOMEM answered by one global RPCIT over the window; it succeeds: map is fine */
		assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, iova, PHYS, 2 * SZ_4K, 3), 0);
		assert_int_equal(log_len(&f), 2);
		expect_call(&f, 0, 0x42, iova, 2 * SZ_4K, IOMMUSIM_FW_CC_ERROR);
		expect_call(&f, 1, 0x42, SZ_4G, SZ_4G, 0);
		assert_int_equal(iommusim_iommu_translate(f.dom, iova, &pa, NULL), 0);
		c = ctrs(&f);
		/* the kernel counts the ranged one only; the global one is ours to count */
		EXPECT_FIELDS(
			&c, S390_COUNTERS(sync_map_rpcits, 1), S390_COUNTERS(global_rpcits, 0),
			S390_COUNTERS(enomem_global_rpcits, 1), S390_COUNTERS(rpcit_errors, 1));
		fix_fini(&f);
	}
}

/* A map whose ranged RPCIT finds no resources and whose global RPCIT answers @cc/@status. */
static void global_fails(enum iommusim_kernel kernel, uint8_t cc, uint8_t status, int expect)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x99, true);
	const uint64_t iova = SZ_4G + 32 * SZ_4K, size = 4 * SZ_4K;
	struct iommusim_s390_counters c;
	struct fix f;
	uint64_t pa;

	fix_init_kernel(&f, kernel);
	add_zdev(&f, &cfg);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	push(&f, cc, status);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, iova, PHYS, size, 3), expect);
	expect_call(&f, 0, 0x99, iova, size, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 1, 0x99, SZ_4G, SZ_4G, cc);
	c = ctrs(&f);
	EXPECT_FIELDS(&c, S390_COUNTERS(sync_map_rpcits, 1), S390_COUNTERS(enomem_global_rpcits, 1),
		      S390_COUNTERS(rpcit_errors, 2));
	if (expect) {
		/* 6.7: iommu_map unmaps the range again, with its iotlb_sync RPCIT */
		assert_int_equal(log_len(&f), 3);
		expect_call(&f, 2, 0x99, iova, size, 0);
		for (uint64_t i = 0; i < size; i += SZ_4K)
			assert_int_equal(iommusim_iommu_translate(f.dom, iova + i, &pa, NULL),
					 -EFAULT);
		assert_int_equal(c.unmapped_pages, 4);
		assert_int_equal(c.sync_rpcits, 1);
	} else {
		/* 6.6: the result of iotlb_sync_map is ignored, the mapping stays */
		assert_int_equal(log_len(&f), 2);
		assert_int_equal(iommusim_iommu_translate(f.dom, iova, &pa, NULL), 0);
		assert_int_equal(c.unmapped_pages, 0);
	}
	assert_int_equal(c.mapped_pages, 4);
	assert_int_equal(c.global_rpcits, 0);
	fix_fini(&f);
}

static void test_s390_sync_map_global_failure_fails_map(void **state)
{
	(void)state;
	/* the global RPCIT finds no resources either: -ENOMEM */
	global_fails(IOMMUSIM_KERNEL_6_7, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT,
		     -ENOMEM);
	/* the function is not operational: -EIO */
	global_fails(IOMMUSIM_KERNEL_6_7, IOMMUSIM_FW_CC_NOT_OPERATIONAL, 0, -EIO);
}

static void test_s390_sync_map_global_failure_ignored_in_6_6(void **state)
{
	(void)state;
	global_fails(IOMMUSIM_KERNEL_6_6, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT,
		     0);
	global_fails(IOMMUSIM_KERNEL_6_6, IOMMUSIM_FW_CC_NOT_OPERATIONAL, 0, 0);
}

static void test_s390_sync_map_other_error_fails_without_global(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x5, true);
	struct fix f;
	uint64_t pa;

	(void)state;
	fix_init(&f);
	add_zdev(&f, &cfg);
	/* cc 1 with a status other than 4/16 is -EIO: no global fallback, the map is undone */
	push(&f, IOMMUSIM_FW_CC_ERROR, 8);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G, PHYS, SZ_4K, 3), -EIO);
	assert_int_equal(log_len(&f), 2);
	expect_call(&f, 0, 0x5, SZ_4G, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 1, 0x5, SZ_4G, SZ_4K, 0); /* the undo's iotlb_sync */
	assert_int_equal(iommusim_iommu_translate(f.dom, SZ_4G, &pa, NULL), -EFAULT);
	assert_int_equal(ctrs(&f).enomem_global_rpcits, 0);
	assert_int_equal(ctrs(&f).rpcit_errors, 1);
	fix_fini(&f);
}

static void test_s390_sync_map_last_function_decides(void **state)
{
	struct iommusim_zpci_config a = qemu_cfg(0xa, true), b = qemu_cfg(0xb, true);
	struct fix f;
	uint64_t pa;

	(void)state;
	fix_init(&f);
	add_zdev(&f, &a);
	add_zdev(&f, &b);
	/* the first function tried says -EIO, the later one cc 0: the kernel returns 0 */
	push(&f, IOMMUSIM_FW_CC_NOT_OPERATIONAL, 0);
	push(&f, IOMMUSIM_FW_CC_OK, 0);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G, PHYS, SZ_4K, 3), 0);
	assert_int_equal(log_len(&f), 2);
	assert_int_equal(iommusim_iommu_translate(f.dom, SZ_4G, &pa, NULL), 0);
	/* the other way round the error is the last word: the map fails and is undone */
	push(&f, IOMMUSIM_FW_CC_OK, 0);
	push(&f, IOMMUSIM_FW_CC_NOT_OPERATIONAL, 0);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G + SZ_4K, PHYS, SZ_4K, 3), -EIO);
	assert_int_equal(iommusim_iommu_translate(f.dom, SZ_4G + SZ_4K, &pa, NULL), -EFAULT);
	/* 2 + 2 sync_map RPCITs, then the undo's iotlb_sync to both functions */
	assert_int_equal(log_len(&f), 6);
	assert_int_equal(ctrs(&f).sync_map_rpcits, 4);
	assert_int_equal(ctrs(&f).sync_rpcits, 2);
	assert_int_equal(ctrs(&f).rpcit_errors, 2);
	fix_fini(&f);
}

static void test_s390_sync_map_failed_global_stops_the_loop(void **state)
{
	struct iommusim_zpci_config a = qemu_cfg(0xa, true), b = qemu_cfg(0xb, true);
	struct iommusim_firmware_call first;
	struct fix f;

	(void)state;
	fix_init(&f);
	add_zdev(&f, &a);
	add_zdev(&f, &b);
	/* first function: no resources, then its global RPCIT fails too -> break */
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G, PHYS, SZ_4K, 3), -ENOMEM);
	/* the second function got no sync_map RPCIT; the undo syncs both: 2 + 2 */
	assert_int_equal(log_len(&f), 4);
	assert_int_equal(iommusim_firmware_script_log_get(f.fw, 0, &first), 0);
	expect_call(&f, 1, first.fh, SZ_4G, SZ_4G, IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(ctrs(&f).sync_map_rpcits, 1);
	assert_int_equal(ctrs(&f).enomem_global_rpcits, 1);
	assert_int_equal(ctrs(&f).sync_rpcits, 2);
	fix_fini(&f);
}

static void test_s390_rpcit_busy_is_retried(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x3, true);
	struct fix f;

	(void)state;
	fix_init(&f);
	add_zdev(&f, &cfg);
	/* three busy answers, each retried (FW_BUSY_RETRY work), then cc 0 */
	for (int i = 0; i < 3; i++)
		push(&f, IOMMUSIM_FW_CC_BUSY, 0);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G, PHYS, SZ_4K, 3), 0);
	assert_int_equal(log_len(&f), 4);
	expect_call(&f, 3, 0x3, SZ_4G, SZ_4K, 0);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 3);
	assert_int_equal(ctrs(&f).sync_map_rpcits, 1);
	assert_int_equal(ctrs(&f).rpcit_errors, 0);
	fix_fini(&f);
}

static void test_s390_rpcit_busy_bound_fails_map(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x3, true);
	struct fix f;

	(void)state;
	fix_init(&f);
	cfg.max_busy_retries = 2;
	add_zdev(&f, &cfg);
	/* busy beyond the bound: -EBUSY, not -ENOMEM, so no global; the map is undone */
	for (int i = 0; i < 3; i++)
		push(&f, IOMMUSIM_FW_CC_BUSY, 0);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G, PHYS, SZ_4K, 3), -EBUSY);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_FW_BUSY_RETRY), 2);
	assert_int_equal(log_len(&f), 4); /* 3 busy + the undo's sync */
	assert_int_equal(ctrs(&f).enomem_global_rpcits, 0);
	assert_int_equal(ctrs(&f).rpcit_errors, 1);
	fix_fini(&f);
}

/*
 * s390.enomem. A zPCI function (QEMU window [4 GiB, 8 GiB - 1], shadowed) set up for dma-iommu
 * on the fixture's domain, @mode (lazy: shadow_on_flush picks the single 32768-entry queue).
 * forcedac: IOVAs come top-down from the window's end, so the first page is 8 GiB - 4 KiB.
 */
#define WIN_END (2 * SZ_4G)

static struct iommusim_device *add_dma_zdev(struct fix *f, uint32_t fh, enum iommusim_dma_mode mode)
{
	struct iommusim_zpci_config cfg = qemu_cfg(fh, true);
	struct iommusim_dma_iommu_config dcfg = {
		.mode = mode,
		.forcedac = true,
		.possible_cpus = 1,
	};
	struct iommusim_device *dev = new_dev(f, "nvme");

	assert_int_equal(iommusim_manual_clock_create(f->mem, &f->clock), 0);
	dcfg.clock = f->clock;
	assert_int_equal(iommusim_s390_device_init(dev, f->fw, &cfg), 0);
	assert_int_equal(iommusim_dma_iommu_setup(dev, f->dom, &dcfg), 0);
	/* the attach's registration */
	assert_int_equal(log_len(f), 1);
	expect_ioat(f, 0, fh, SZ_4G, WIN_END - 1, logged_iota(f, 0));
	iommusim_firmware_script_log_clear(f->fw);
	return dev;
}

/* Map one page of PHYS for @dev; the map must answer @expect. Returns the DMA address. */
static uint64_t dma_map(struct fix *f, struct iommusim_device *dev, int expect)
{
	uint64_t dma = 0;

	assert_int_equal(iommusim_dma_map_page(dev, f->cpu, PHYS, SZ_4K,
					       IOMMUSIM_DMA_BIDIRECTIONAL, &dma),
			 expect);
	return dma;
}

static void dma_unmap(struct fix *f, struct iommusim_device *dev, uint64_t dma)
{
	iommusim_dma_unmap_page(dev, f->cpu, dma, SZ_4K, IOMMUSIM_DMA_BIDIRECTIONAL);
}

/* IOVAs waiting in the domain's single flush queue. */
static unsigned int fq_pending(struct fix *f)
{
	const struct isim_dma_cookie *c = f->dom->dma_cookie;

	assert_int_equal(c->options.qt, ISIM_FQ_QT_SINGLE);
	return (c->single_fq->tail - c->single_fq->head) & c->single_fq->mod_mask;
}

/*
 * Three pages mapped (one ranged RPCIT each, log 0..2) and unmapped lazily (no RPCIT): their
 * IOVAs 8 GiB - 4 KiB, - 8 KiB, - 12 KiB wait in the flush queue.
 */
static void queue_three(struct fix *f, struct iommusim_device *dev, uint32_t fh)
{
	for (unsigned int i = 1; i <= 3; i++)
		assert_int_equal(dma_map(f, dev, 0), WIN_END - i * SZ_4K);
	for (unsigned int i = 1; i <= 3; i++)
		dma_unmap(f, dev, WIN_END - i * SZ_4K);
	assert_int_equal(log_len(f), 3);
	for (unsigned int i = 0; i < 3; i++)
		expect_call(f, i, fh, WIN_END - (i + 1) * SZ_4K, SZ_4K, 0);
	assert_int_equal(fq_pending(f), 3);
}

static void test_s390_set_enomem_rejects_bad_arguments(void **state)
{
	static const struct isim_domain_ops other_ops = {0};
	struct iommusim_domain other = {.ops = &other_ops};
	struct fix f;

	(void)state;
	fix_init(&f);
	assert_int_equal(iommusim_s390_domain_set_enomem(&other, IOMMUSIM_S390_ENOMEM_NONE),
			 -EINVAL);
	assert_int_equal(iommusim_s390_domain_set_enomem(f.dom, (enum iommusim_s390_enomem)3),
			 -EINVAL);
	assert_int_equal(iommusim_s390_domain_set_enomem(f.dom, (enum iommusim_s390_enomem)-1),
			 -EINVAL);
	for (int m = IOMMUSIM_S390_ENOMEM_GLOBAL_FLUSH; m <= IOMMUSIM_S390_ENOMEM_FLUSH_QUEUE; m++)
		assert_int_equal(iommusim_s390_domain_set_enomem(f.dom, m), 0);
	fix_fini(&f);
}

/*
 * GLOBAL_FLUSH, set explicitly after another mode, is 6.7's answer: ranged RPCIT (cc 1, status
 * 16), then one global RPCIT over the window [4 GiB, 8 GiB) in enomem_global_rpcits, the map
 * succeeds and the flush queue is left alone. A global RPCIT that finds no resources either
 * fails the map and counts as an enomem failure.
 */
static void test_s390_enomem_global_flush(void **state)
{
	struct iommusim_s390_counters c;
	struct iommusim_device *dev;
	struct fix f;
	uint64_t d;

	(void)state;
	fix_init(&f);
	dev = add_dma_zdev(&f, 0x51, IOMMUSIM_DMA_LAZY);
	queue_three(&f, dev, 0x51);
	assert_int_equal(iommusim_s390_domain_set_enomem(f.dom, IOMMUSIM_S390_ENOMEM_NONE), 0);
	assert_int_equal(iommusim_s390_domain_set_enomem(f.dom, IOMMUSIM_S390_ENOMEM_GLOBAL_FLUSH),
			 0);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	/* the fourth page from the top: the queued IOVAs are not free yet */
	d = dma_map(&f, dev, 0);
	assert_int_equal(d, WIN_END - 4 * SZ_4K);
	assert_int_equal(log_len(&f), 5);
	expect_call(&f, 3, 0x51, d, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 4, 0x51, SZ_4G, SZ_4G, 0);
	assert_int_equal(fq_pending(&f), 3);
	c = ctrs(&f);
	EXPECT_FIELDS(&c, S390_COUNTERS(sync_map_rpcits, 4), S390_COUNTERS(enomem_global_rpcits, 1),
		      S390_COUNTERS(global_rpcits, 0), S390_COUNTERS(rpcit_errors, 1),
		      S390_COUNTERS(enomem_failures, 0));
	/* both answer "no resources": -ENOMEM, the range is unmapped again (ranged sync RPCIT) */
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES);
	d = dma_map(&f, dev, -ENOMEM);
	assert_int_equal(log_len(&f), 8);
	expect_call(&f, 5, 0x51, WIN_END - 5 * SZ_4K, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 6, 0x51, SZ_4G, SZ_4G, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 7, 0x51, WIN_END - 5 * SZ_4K, SZ_4K, 0);
	c = ctrs(&f);
	EXPECT_FIELDS(&c, S390_COUNTERS(enomem_global_rpcits, 2), S390_COUNTERS(enomem_failures, 1),
		      S390_COUNTERS(global_rpcits, 0), S390_COUNTERS(rpcit_errors, 3));
	assert_int_equal(fq_pending(&f), 3);
	fix_fini(&f);
}

/*
 * NONE: the "no resources" answer fails the map at once: one ranged RPCIT (cc 1), no global
 * one, -ENOMEM, the pages unmapped again with their sync RPCIT, nothing translates, and the
 * flush queue is untouched. With two shadowed functions the loop stops at the first (the
 * newest attached, head of the list), so the second is never refreshed.
 */
static void test_s390_enomem_none_fails_map(void **state)
{
	struct iommusim_zpci_config a = qemu_cfg(0x61, true), b = qemu_cfg(0x62, true);
	const uint64_t iova = SZ_4G + 16 * SZ_4K;
	struct iommusim_s390_counters c;
	struct iommusim_device *dev;
	struct fix f;
	uint64_t pa;

	(void)state;
	fix_init(&f);
	dev = add_dma_zdev(&f, 0x60, IOMMUSIM_DMA_LAZY);
	queue_three(&f, dev, 0x60);
	assert_int_equal(iommusim_s390_domain_set_enomem(f.dom, IOMMUSIM_S390_ENOMEM_NONE), 0);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES);
	assert_int_equal(dma_map(&f, dev, -ENOMEM), 0);
	assert_int_equal(log_len(&f), 5);
	expect_call(&f, 3, 0x60, WIN_END - 4 * SZ_4K, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 4, 0x60, WIN_END - 4 * SZ_4K, SZ_4K, 0);
	assert_int_equal(iommusim_iommu_translate(f.dom, WIN_END - 4 * SZ_4K, &pa, NULL), -EFAULT);
	assert_int_equal(fq_pending(&f), 3);
	c = ctrs(&f);
	EXPECT_FIELDS(&c, S390_COUNTERS(sync_map_rpcits, 4), S390_COUNTERS(enomem_global_rpcits, 0),
		      S390_COUNTERS(global_rpcits, 0), S390_COUNTERS(enomem_failures, 1),
		      S390_COUNTERS(rpcit_errors, 1));
	/* two more functions; 0x62 is walked first and fails: 0x61 and 0x60 are not asked */
	iommusim_firmware_script_log_clear(f.fw);
	add_zdev(&f, &a);
	add_zdev(&f, &b);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, iova, PHYS, SZ_4K, 3), -ENOMEM);
	/* 0x62's ranged RPCIT, then the undo's sync RPCIT for each of the three functions */
	assert_int_equal(log_len(&f), 4);
	expect_call(&f, 0, 0x62, iova, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	c = ctrs(&f);
	EXPECT_FIELDS(&c, S390_COUNTERS(sync_map_rpcits, 5), S390_COUNTERS(enomem_failures, 2),
		      S390_COUNTERS(sync_rpcits, 1 + 3));
	fix_fini(&f);
}

/*
 * FLUSH_QUEUE: the driver has dma-iommu flush its queue (the queue's own flush: a global
 * RPCIT per function via flush_iotlb_all, counted in global_rpcits and fq_flushes, then the
 * three queued IOVAs freed to the rcache), then repeats the ranged RPCIT, which succeeds.
 * The next one-page map is served from the rcache: the last IOVA freed, 8 GiB - 12 KiB.
 */
static void test_s390_enomem_flush_queue_frees_queued_iovas(void **state)
{
	struct iommusim_iova_stats before, after;
	struct iommusim_s390_counters c;
	struct iommusim_dma_stats st;
	struct iommusim_device *dev;
	struct fix f;
	uint64_t d;

	(void)state;
	fix_init(&f);
	dev = add_dma_zdev(&f, 0x71, IOMMUSIM_DMA_LAZY);
	queue_three(&f, dev, 0x71);
	assert_int_equal(iommusim_s390_domain_set_enomem(f.dom, IOMMUSIM_S390_ENOMEM_FLUSH_QUEUE),
			 0);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	d = dma_map(&f, dev, 0);
	assert_int_equal(d, WIN_END - 4 * SZ_4K);
	assert_int_equal(log_len(&f), 6);
	expect_call(&f, 3, 0x71, d, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 4, 0x71, SZ_4G, SZ_4G, 0);
	expect_call(&f, 5, 0x71, d, SZ_4K, 0);
	assert_int_equal(fq_pending(&f), 0);
	c = ctrs(&f);
	EXPECT_FIELDS(&c, S390_COUNTERS(sync_map_rpcits, 4), S390_COUNTERS(global_rpcits, 1),
		      S390_COUNTERS(enomem_global_rpcits, 0), S390_COUNTERS(enomem_failures, 0),
		      S390_COUNTERS(rpcit_errors, 1));
	iommusim_dma_get_stats(dev, &st);
	EXPECT_FIELDS(&st, DMA_STATS(fq_flushes, 1), DMA_STATS(maps, 4),
		      DMA_STATS(map_failures, 0));
	/* the freed IOVAs are reusable: a cache hit, the last one freed */
	iommusim_iova_get_stats(iommusim_dma_iova_domain(dev), &before);
	assert_int_equal(dma_map(&f, dev, 0), WIN_END - 3 * SZ_4K);
	iommusim_iova_get_stats(iommusim_dma_iova_domain(dev), &after);
	assert_int_equal(after.rcache_hits, before.rcache_hits + 1);
	assert_int_equal(log_len(&f), 7);
	expect_call(&f, 6, 0x71, WIN_END - 3 * SZ_4K, SZ_4K, 0);
	fix_fini(&f);
}

/*
 * FLUSH_QUEUE whose retry finds no resources again: ranged (cc 1), global, ranged (cc 1),
 * -ENOMEM, the map undone (sync RPCIT) and its IOVA given back. The queue was flushed all
 * the same.
 */
static void test_s390_enomem_flush_queue_second_enomem_fails_map(void **state)
{
	struct iommusim_s390_counters c;
	struct iommusim_dma_stats st;
	struct iommusim_device *dev;
	struct fix f;
	uint64_t pa;

	(void)state;
	fix_init(&f);
	dev = add_dma_zdev(&f, 0x72, IOMMUSIM_DMA_LAZY);
	queue_three(&f, dev, 0x72);
	assert_int_equal(iommusim_s390_domain_set_enomem(f.dom, IOMMUSIM_S390_ENOMEM_FLUSH_QUEUE),
			 0);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	push(&f, IOMMUSIM_FW_CC_OK, 0);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES);
	dma_map(&f, dev, -ENOMEM);
	assert_int_equal(log_len(&f), 7);
	expect_call(&f, 3, 0x72, WIN_END - 4 * SZ_4K, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 4, 0x72, SZ_4G, SZ_4G, 0);
	expect_call(&f, 5, 0x72, WIN_END - 4 * SZ_4K, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 6, 0x72, WIN_END - 4 * SZ_4K, SZ_4K, 0);
	assert_int_equal(iommusim_iommu_translate(f.dom, WIN_END - 4 * SZ_4K, &pa, NULL), -EFAULT);
	assert_int_equal(fq_pending(&f), 0);
	c = ctrs(&f);
	EXPECT_FIELDS(&c, S390_COUNTERS(sync_map_rpcits, 4), S390_COUNTERS(global_rpcits, 1),
		      S390_COUNTERS(enomem_failures, 1), S390_COUNTERS(rpcit_errors, 2),
		      S390_COUNTERS(sync_rpcits, 1));
	iommusim_dma_get_stats(dev, &st);
	assert_int_equal(st.map_failures, 1);
	assert_int_equal(st.fq_flushes, 1);
	fix_fini(&f);
}

/*
 * FLUSH_QUEUE without a flush queue: a strict dma-iommu domain, and a domain mapped directly
 * (no DMA layer). Only the retry is left: ranged (cc 1) then ranged again, no global RPCIT; a
 * second "no resources" fails the map.
 */
static void test_s390_enomem_flush_queue_without_queue_only_retries(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x82, true);
	struct iommusim_s390_counters c;
	struct iommusim_device *dev;
	struct fix f;

	(void)state;
	fix_init(&f);
	dev = add_dma_zdev(&f, 0x81, IOMMUSIM_DMA_STRICT);
	assert_null(f.dom->dma_flush_queue);
	assert_int_equal(iommusim_s390_domain_set_enomem(f.dom, IOMMUSIM_S390_ENOMEM_FLUSH_QUEUE),
			 0);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	assert_int_equal(dma_map(&f, dev, 0), WIN_END - SZ_4K);
	assert_int_equal(log_len(&f), 2);
	expect_call(&f, 0, 0x81, WIN_END - SZ_4K, SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 1, 0x81, WIN_END - SZ_4K, SZ_4K, 0);
	c = ctrs(&f);
	assert_int_equal(c.global_rpcits + c.enomem_global_rpcits + c.enomem_failures, 0);
	fix_fini(&f);

	/* no DMA layer at all; twice "no resources": -ENOMEM after the one retry */
	fix_init(&f);
	add_zdev(&f, &cfg);
	assert_null(f.dom->dma_flush_queue);
	assert_int_equal(iommusim_s390_domain_set_enomem(f.dom, IOMMUSIM_S390_ENOMEM_FLUSH_QUEUE),
			 0);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G, PHYS, 2 * SZ_4K, 3), -ENOMEM);
	assert_int_equal(log_len(&f), 3);
	expect_call(&f, 0, 0x82, SZ_4G, 2 * SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 1, 0x82, SZ_4G, 2 * SZ_4K, IOMMUSIM_FW_CC_ERROR);
	expect_call(&f, 2, 0x82, SZ_4G, 2 * SZ_4K, 0);
	c = ctrs(&f);
	assert_int_equal(c.global_rpcits + c.enomem_global_rpcits, 0);
	assert_int_equal(c.enomem_failures, 1);
	assert_int_equal(c.rpcit_errors, 2);
	fix_fini(&f);
}

static void test_s390_map_outside_aperture_is_einval(void **state)
{
	struct iommusim_iotlb_gather g;
	uint64_t mapped = 1;
	struct fix f;

	(void)state;
	fix_init(&f);
	/* crossing 4 TiB, or starting there: -EINVAL, and not a PTE written */
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, TIB4 - SZ_4K, PHYS, 2 * SZ_4K, 3),
			 -EINVAL);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, TIB4, PHYS, SZ_4K, 3), -EINVAL);
	assert_int_equal(f.dom->ops->map_pages(f.dom, f.cpu, UINT64_MAX - SZ_4K + 1, PHYS, SZ_4K, 2,
					       3, &mapped),
			 -EINVAL);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_PTE_WRITE), 0);
	assert_int_equal(ctrs(&f).mapped_pages, 0);
	/* the last page below 4 TiB is fine */
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, TIB4 - SZ_4K, PHYS, SZ_4K, 3), 0);
	/* unmap outside: 0 bytes, nothing gathered */
	iommusim_iotlb_gather_init(&g);
	assert_int_equal(iommusim_iommu_unmap_fast(f.dom, f.cpu, TIB4, SZ_4K, &g), 0);
	assert_int_equal(g.end, 0);
	assert_int_equal(iommusim_iommu_unmap(f.dom, f.cpu, TIB4 - SZ_4K, SZ_4K), SZ_4K);
	fix_fini(&f);
}

static void test_s390_map_misaligned_is_einval(void **state)
{
	uint64_t mapped = 0;
	struct fix f;

	(void)state;
	fix_init(&f);
	/* through iommu_map: the core's alignment check */
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G + 0x800, PHYS, SZ_4K, 3), -EINVAL);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G, PHYS + 0x10, SZ_4K, 3), -EINVAL);
	/* the driver's own checks: only 4K pages, iova | paddr 4K aligned */
	assert_int_equal(f.dom->ops->map_pages(f.dom, f.cpu, SZ_4G, PHYS, 2 * SZ_4K, 1, 3, &mapped),
			 -EINVAL);
	assert_int_equal(
		f.dom->ops->map_pages(f.dom, f.cpu, SZ_4G + 0x200, PHYS, SZ_4K, 1, 3, &mapped),
		-EINVAL);
	assert_int_equal(
		f.dom->ops->map_pages(f.dom, f.cpu, SZ_4G, PHYS + 0x200, SZ_4K, 1, 3, &mapped),
		-EINVAL);
	assert_int_equal(mapped, 0);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_PTE_WRITE), 0);
	fix_fini(&f);
}

static void test_s390_domain_tables_allocated_lazily(void **state)
{
	struct fix f;
	uint64_t objs;

	(void)state;
	fix_init(&f);
	objs = iommusim_mem_live_objects(f.mem);
	/* first page: a segment table and a page table (MEM_ALLOC work 2) */
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G, PHYS, SZ_4K, 3), 0);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_MEM_ALLOC), 2);
	/* same 1 MiB: nothing new */
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G + SZ_4K, PHYS, SZ_4K, 3), 0);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_MEM_ALLOC), 2);
	/* next 1 MiB: one page table */
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G + SZ_1M, PHYS, SZ_4K, 3), 0);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_MEM_ALLOC), 3);
	/* next 2 GiB region: a segment and a page table */
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G + SZ_2G, PHYS, SZ_4K, 3), 0);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_MEM_ALLOC), 5);
	assert_int_equal(iommusim_mem_live_objects(f.mem), objs + 5);
	/* unmapping frees no table */
	assert_int_equal(iommusim_iommu_unmap(f.dom, f.cpu, SZ_4G, 2 * SZ_4K), 2 * SZ_4K);
	assert_int_equal(iommusim_iommu_unmap(f.dom, f.cpu, SZ_4G + SZ_2G, SZ_4K), SZ_4K);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_MEM_FREE), 0);
	assert_int_equal(iommusim_mem_live_objects(f.mem), objs + 5);
	/* a 1 MiB-aligned 4 MiB map spans exactly 4 page tables: 4 more (no new segment table) */
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G + 8 * SZ_1M, PHYS, 4 * SZ_1M, 3),
			 0);
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_MEM_ALLOC), 9);
	fix_fini(&f);
}

static void test_s390_table_alloc_failure_undoes_the_pages(void **state)
{
	struct failing b = {.budget = -1};
	struct iommusim_mem *tmem;
	struct iommusim_domain *dom;
	struct iommusim_s390_counters c;
	struct fix f;
	uint64_t pa;

	(void)state;
	fix_init(&f);
	assert_int_equal(iommusim_mem_create_custom(&failing_ops, &b, &tmem), 0);
	assert_int_equal(iommusim_s390_domain_create(tmem, IOMMUSIM_KERNEL_6_7, &dom), 0);
	/* room for a segment table and one page table: the 257th page needs a second one */
	b.budget = 2;
	assert_int_equal(iommusim_iommu_map(dom, f.cpu, SZ_4G, PHYS, 300 * SZ_4K, 3), -ENOMEM);
	/* 256 validated, then the same 256 invalidated again */
	assert_int_equal(iommusim_cpu_work(f.cpu, IOMMUSIM_WORK_PTE_WRITE), 512);
	for (uint64_t i = 0; i < 300; i += 37)
		assert_int_equal(iommusim_iommu_translate(dom, SZ_4G + i * SZ_4K, &pa, NULL),
				 -EFAULT);
	assert_int_equal(iommusim_s390_domain_counters(dom, &c), 0);
	assert_int_equal(c.mapped_pages, 0);
	/* the tables that were made stay until the domain goes */
	assert_int_equal(iommusim_mem_live_objects(tmem), 2 + 2); /* + root and domain */
	b.budget = -1;
	assert_int_equal(iommusim_iommu_map(dom, f.cpu, SZ_4G, PHYS, 300 * SZ_4K, 3), 0);
	assert_int_equal(iommusim_iommu_translate(dom, SZ_4G + 299 * SZ_4K, &pa, NULL), 0);
	assert_int_equal(pa, PHYS + 299 * SZ_4K);
	/* a domain the allocator cannot even start */
	iommusim_domain_destroy(dom);
	b.budget = 1;
	assert_int_equal(iommusim_s390_domain_create(tmem, IOMMUSIM_KERNEL_6_7, &dom), -ENOMEM);
	assert_int_equal(iommusim_mem_live_objects(tmem), 0);
	iommusim_mem_destroy(tmem);
	fix_fini(&f);
}

static void test_s390_counters_add_up(void **state)
{
	struct iommusim_zpci_config a = qemu_cfg(0xa, true), b = qemu_cfg(0xb, true),
				    l = qemu_cfg(0xc, false);
	enum { PAGES = 512 };
	static bool mapped[PAGES];
	struct iommusim_rng rng = test_rng(42);
	uint64_t live = 0, pushed_errors = 0;
	struct iommusim_s390_counters c;
	struct fix f;

	(void)state;
	memset(mapped, 0, sizeof(mapped));
	fix_init(&f);
	add_zdev(&f, &a);
	add_zdev(&f, &b);
	add_zdev(&f, &l);
	for (int op = 0; op < 2000; op++) {
		uint64_t r = iommusim_rng_u64(&rng);
		unsigned int page = (unsigned int)(r % PAGES);
		uint64_t iova = SZ_4G + page * SZ_4K;

		if ((r >> 32) % 16 == 0) {
			iommusim_iommu_flush_iotlb_all(f.dom, f.cpu);
		} else if (!mapped[page]) {
			/* now and then the hypervisor runs out: one extra global RPCIT */
			if ((r >> 40) % 8 == 0) {
				push(&f, IOMMUSIM_FW_CC_ERROR, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
				pushed_errors++;
			}
			assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, iova, PHYS, SZ_4K, 3), 0);
			mapped[page] = true;
			live++;
		} else {
			assert_int_equal(iommusim_iommu_unmap(f.dom, f.cpu, iova, SZ_4K), SZ_4K);
			mapped[page] = false;
			live--;
		}
	}
	c = ctrs(&f);
	/* every RPCIT the firmware saw is counted in exactly one of the four RPCIT counters */
	assert_int_equal(log_len(&f), c.sync_map_rpcits + c.sync_rpcits + c.global_rpcits +
					      c.enomem_global_rpcits);
	/* pages still mapped = mapped - unmapped */
	assert_int_equal(c.mapped_pages - c.unmapped_pages, live);
	/* two tlb_refresh functions: two ranged RPCITs per map; three functions per unmap/flush */
	assert_int_equal(c.sync_map_rpcits, 2 * c.mapped_pages);
	assert_int_equal(c.sync_rpcits, 3 * c.unmapped_pages);
	assert_int_equal(c.global_rpcits % 3, 0);
	assert_int_equal(c.enomem_global_rpcits, pushed_errors);
	assert_int_equal(c.rpcit_errors, pushed_errors);
	assert_true(pushed_errors > 0 && c.global_rpcits > 0);
	fix_fini(&f);
}

static void test_s390_attach_detach(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x6, true);
	struct iommusim_device *dev, *plain;
	struct fix f;

	(void)state;
	fix_init(&f);
	dev = add_zdev(&f, &cfg);
	plain = new_dev(&f, "plain");
	/* not a zPCI function: the driver refuses it, and registers nothing */
	assert_int_equal(iommusim_iommu_attach_device(f.dom, plain), -ENODEV);
	assert_int_equal(iommusim_domain_devices(f.dom), 1);
	/* attached twice: the core says busy before the driver is asked */
	assert_int_equal(iommusim_iommu_attach_device(f.dom, dev), -EBUSY);
	assert_int_equal(log_len(&f), 0);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G, PHYS, SZ_4K, 3), 0);
	assert_int_equal(log_len(&f), 1);
	/* detached: the table is deregistered (log entry 1), once */
	assert_int_equal(iommusim_iommu_detach_device(f.dom, dev), 0);
	assert_int_equal(iommusim_iommu_detach_device(f.dom, dev), -ENOENT);
	assert_int_equal(log_len(&f), 2);
	expect_ioat(&f, 1, 0x6, 0, 0, NULL);
	/* no function to refresh any more, so maps, syncs and flushes issue nothing */
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G + SZ_4K, PHYS, SZ_4K, 3), 0);
	assert_int_equal(iommusim_iommu_unmap(f.dom, f.cpu, SZ_4G, SZ_4K), SZ_4K);
	iommusim_iommu_flush_iotlb_all(f.dom, f.cpu);
	assert_int_equal(log_len(&f), 2);
	/* attached again: registered again, [4 GiB, 8 GiB - 1], then RPCITs again */
	assert_int_equal(iommusim_iommu_attach_device(f.dom, dev), 0);
	expect_ioat(&f, 2, 0x6, SZ_4G, 2 * SZ_4G - 1, f.table);
	assert_int_equal(iommusim_iommu_unmap(f.dom, f.cpu, SZ_4G + SZ_4K, SZ_4K), SZ_4K);
	assert_int_equal(log_len(&f), 4);
	expect_call(&f, 3, 0x6, SZ_4G + SZ_4K, SZ_4K, 0);
	/* destroying the device detaches it: one more deregistration */
	iommusim_device_destroy(dev);
	f.dev[0] = NULL;
	assert_int_equal(log_len(&f), 5);
	expect_ioat(&f, 4, 0x6, 0, 0, NULL);
	assert_int_equal(iommusim_domain_devices(f.dom), 0);
	fix_fini(&f);
}

/*
 * The table the attach registers is the one the domain's maps write: what a platform reads
 * through it is what the domain translates. Two domains register two different tables.
 */
static void test_s390_attach_registers_the_domain_table(void **state)
{
	struct iommusim_zpci_config a = qemu_cfg(0xa, false), b = qemu_cfg(0xb, false);
	struct iommusim_domain *other;
	struct iommusim_device *dev_b;
	uint64_t pa = 0;
	int prot = 0;
	struct fix f;

	(void)state;
	fix_init(&f);
	add_zdev(&f, &a);
	assert_int_equal(iommusim_iommu_map(f.dom, f.cpu, SZ_4G + 7 * SZ_4K, PHYS, SZ_4K,
					    IOMMUSIM_PROT_READ), 0);
	assert_int_equal(isim_s390_table_translate(f.table, SZ_4G + 7 * SZ_4K, &pa, &prot), 0);
	assert_int_equal(pa, PHYS);
	assert_int_equal(prot, IOMMUSIM_PROT_READ);
	assert_int_equal(isim_s390_table_translate(f.table, SZ_4G + 8 * SZ_4K, &pa, &prot),
			 -EFAULT);
	/* a second domain: function 0xb registers a table of its own, empty so far */
	assert_int_equal(iommusim_s390_domain_create(f.mem, IOMMUSIM_KERNEL_6_7, &other), 0);
	dev_b = new_dev(&f, "zpci-b");
	assert_int_equal(iommusim_s390_device_init(dev_b, f.fw, &b), 0);
	assert_int_equal(iommusim_iommu_attach_device(other, dev_b), 0);
	assert_int_equal(log_len(&f), 1);
	assert_ptr_not_equal(logged_iota(&f, 0), f.table);
	expect_ioat(&f, 0, 0xb, SZ_4G, 2 * SZ_4G - 1, logged_iota(&f, 0));
	assert_int_equal(isim_s390_table_translate(logged_iota(&f, 0), SZ_4G + 7 * SZ_4K, &pa,
						   &prot), -EFAULT);
	assert_int_equal(iommusim_iommu_detach_device(other, dev_b), 0);
	expect_ioat(&f, 1, 0xb, 0, 0, NULL);
	iommusim_domain_destroy(other);
	fix_fini(&f);
}


/*
 * A refused registration fails the attach with the platform's error and leaves nothing
 * behind: the device is not in the domain (no deregistration follows), it can be attached
 * once the platform agrees, and the domain maps without refreshing it.
 */
static void test_s390_attach_fails_when_registration_refused(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x7, true);
	struct ioat_platform r = {.ret = -EIO};
	struct iommusim_firmware *fw;
	struct iommusim_device *dev;
	struct fix f;

	(void)state;
	fix_init(&f);
	assert_int_equal(iommusim_firmware_create(f.mem, &ioat_platform_ops, &r, &fw), 0);
	dev = new_dev(&f, "zpci");
	assert_int_equal(iommusim_s390_device_init(dev, fw, &cfg), 0);
	assert_int_equal(iommusim_iommu_attach_device(f.dom, dev), -EIO);
	assert_int_equal(r.calls, 1);
	assert_int_equal(iommusim_domain_devices(f.dom), 0);
	/* not attached: detaching finds nothing, and deregisters nothing */
	assert_int_equal(iommusim_iommu_detach_device(f.dom, dev), -ENOENT);
	assert_int_equal(r.calls, 1);
	/* another errno comes back as it is */
	r.ret = -ENOSPC;
	assert_int_equal(iommusim_iommu_attach_device(f.dom, dev), -ENOSPC);
	assert_int_equal(r.calls, 2);
	/* the platform agrees now: attached, and the domain's table registered */
	r.ret = 0;
	assert_int_equal(iommusim_iommu_attach_device(f.dom, dev), 0);
	assert_int_equal(r.calls, 3);
	assert_non_null(r.iota);
	assert_int_equal(iommusim_domain_devices(f.dom), 1);
	/* destroying the device detaches it, and deregisters */
	iommusim_device_destroy(dev);
	f.dev[0] = NULL;
	assert_int_equal(r.calls, 4);
	assert_null(r.iota);
	iommusim_firmware_destroy(fw);
	fix_fini(&f);
}

static void test_s390_resv_regions_outside_window(void **state)
{
	struct iommusim_zpci_config cfg;
	struct isim_resv_region r[ISIM_MAX_RESV_REGIONS];
	struct iommusim_device *qemu, *full, *low;
	struct fix f;

	(void)state;
	fix_init(&f);
	cfg = qemu_cfg(1, false);
	qemu = add_zdev(&f, &cfg);
	/* [0, 4 GiB) and [8 GiB, 4 TiB) around QEMU's [4 GiB, 8 GiB - 1] */
	assert_int_equal(f.dom->ops->get_resv_regions(qemu, r, ISIM_MAX_RESV_REGIONS), 2);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].length, SZ_4G);
	assert_int_equal(r[0].type, ISIM_RESV_RESERVED);
	assert_int_equal(r[1].start, 2 * SZ_4G);
	assert_int_equal(r[1].length, TIB4 - 2 * SZ_4G);
	assert_int_equal(r[1].type, ISIM_RESV_RESERVED);
	/* a window over everything leaves nothing to reserve */
	cfg.start_dma = 0;
	cfg.aperture_factor = IOMMUSIM_S390_APERTURE_UNLIMITED;
	full = add_zdev(&f, &cfg);
	assert_int_equal(f.dom->ops->get_resv_regions(full, r, ISIM_MAX_RESV_REGIONS), 0);
	/* start 0, limited: only the part above */
	cfg = qemu_cfg(1, false);
	cfg.start_dma = 0;
	low = add_zdev(&f, &cfg);
	assert_int_equal(f.dom->ops->get_resv_regions(low, r, ISIM_MAX_RESV_REGIONS), 1);
	assert_int_equal(r[0].start, SZ_4G);
	assert_int_equal(r[0].length, TIB4 - SZ_4G);
	fix_fini(&f);
}

static void test_s390_counters_refuse_other_domains(void **state)
{
	static const struct isim_domain_ops other_ops = {0};
	struct iommusim_domain other = {.ops = &other_ops};
	struct iommusim_s390_counters c;
	struct fix f;

	(void)state;
	fix_init(&f);
	assert_int_equal(iommusim_s390_domain_counters(&other, &c), -EINVAL);
	assert_int_equal(iommusim_s390_domain_counters(f.dom, &c), 0);
	fix_fini(&f);
}

/* Threads as CPUs map interleaved pages of the same page tables, racing to install them. */
#define NTHREADS 4
#define RACE_MIB 8

struct race_arg {
	struct iommusim_domain *dom;
	struct iommusim_mem *mem;
	unsigned int id;
	int ret;
};

static void *race_thread(void *p)
{
	struct race_arg *a = p;
	struct iommusim_cpu *cpu;

	a->ret = iommusim_cpu_create(a->mem, a->id, &cpu);
	if (a->ret)
		return NULL;
	for (uint64_t page = a->id - 1; page < RACE_MIB * 256; page += NTHREADS) {
		/* pages of every page table, from the top of each 2 GiB region down */
		uint64_t iova = SZ_4G + SZ_2G - RACE_MIB * SZ_1M + page * SZ_4K;

		a->ret = iommusim_iommu_map(a->dom, cpu, iova, PHYS + page * SZ_4K, SZ_4K, 3);
		if (a->ret)
			break;
		a->ret = iommusim_iommu_map(a->dom, cpu, iova + SZ_2G, PHYS, SZ_4K, 1);
		if (a->ret)
			break;
	}
	iommusim_cpu_destroy(cpu);
	return NULL;
}

static void test_s390_concurrent_maps_share_tables(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x1, false);
	struct race_arg args[NTHREADS];
	pthread_t th[NTHREADS];
	uint64_t objs, pa;
	struct fix f;
	int prot;

	(void)state;
	fix_init(&f);
	cfg.aperture_factor = IOMMUSIM_S390_APERTURE_UNLIMITED;
	add_zdev(&f, &cfg);
	objs = iommusim_mem_live_objects(f.mem);
	for (unsigned int i = 0; i < NTHREADS; i++) {
		args[i] = (struct race_arg){.dom = f.dom, .mem = f.mem, .id = i + 1};
		assert_int_equal(pthread_create(&th[i], NULL, race_thread, &args[i]), 0);
	}
	for (unsigned int i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].ret, 0);
	}
	/* 2 segment tables and 2 x RACE_MIB page tables survive, whoever won each race */
	assert_int_equal(iommusim_mem_live_objects(f.mem), objs + 2 + 2 * RACE_MIB);
	assert_int_equal(ctrs(&f).mapped_pages, 2 * RACE_MIB * 256);
	for (uint64_t page = 0; page < RACE_MIB * 256; page++) {
		uint64_t iova = SZ_4G + SZ_2G - RACE_MIB * SZ_1M + page * SZ_4K;

		assert_int_equal(iommusim_iommu_translate(f.dom, iova, &pa, &prot), 0);
		assert_int_equal(pa, PHYS + page * SZ_4K);
		assert_int_equal(prot, IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE);
		assert_int_equal(iommusim_iommu_translate(f.dom, iova + SZ_2G, &pa, &prot), 0);
		assert_int_equal(prot, IOMMUSIM_PROT_READ);
	}
	fix_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s390_window_qemu_default_factor),
		cmocka_unit_test(test_s390_window_factor_two),
		cmocka_unit_test(test_s390_window_unlimited),
		cmocka_unit_test(test_s390_window_aligned_and_clamped),
		cmocka_unit_test(test_s390_window_rejects_bad_config),
		cmocka_unit_test(test_s390_device_flags),
		cmocka_unit_test(test_s390_domain_geometry),
		cmocka_unit_test(test_s390_map_lpar_writes_ptes_without_rpcit),
		cmocka_unit_test(test_s390_map_tlb_refresh_one_ranged_rpcit_per_function),
		cmocka_unit_test(test_s390_unmap_sync_covers_inclusive_gather),
		cmocka_unit_test(test_s390_flush_all_one_global_rpcit_per_function),
		cmocka_unit_test(test_s390_map_without_write_is_protected),
		cmocka_unit_test(test_s390_translate_faults_when_not_mapped),
		cmocka_unit_test(test_s390_sync_map_no_resources_becomes_global_rpcit),
		cmocka_unit_test(test_s390_sync_map_global_failure_fails_map),
		cmocka_unit_test(test_s390_sync_map_global_failure_ignored_in_6_6),
		cmocka_unit_test(test_s390_sync_map_other_error_fails_without_global),
		cmocka_unit_test(test_s390_sync_map_last_function_decides),
		cmocka_unit_test(test_s390_sync_map_failed_global_stops_the_loop),
		cmocka_unit_test(test_s390_rpcit_busy_is_retried),
		cmocka_unit_test(test_s390_rpcit_busy_bound_fails_map),
		cmocka_unit_test(test_s390_set_enomem_rejects_bad_arguments),
		cmocka_unit_test(test_s390_enomem_global_flush),
		cmocka_unit_test(test_s390_enomem_none_fails_map),
		cmocka_unit_test(test_s390_enomem_flush_queue_frees_queued_iovas),
		cmocka_unit_test(test_s390_enomem_flush_queue_second_enomem_fails_map),
		cmocka_unit_test(test_s390_enomem_flush_queue_without_queue_only_retries),
		cmocka_unit_test(test_s390_map_outside_aperture_is_einval),
		cmocka_unit_test(test_s390_map_misaligned_is_einval),
		cmocka_unit_test(test_s390_domain_tables_allocated_lazily),
		cmocka_unit_test(test_s390_table_alloc_failure_undoes_the_pages),
		cmocka_unit_test(test_s390_counters_add_up),
		cmocka_unit_test(test_s390_attach_detach),
		cmocka_unit_test(test_s390_attach_registers_the_domain_table),
		cmocka_unit_test(test_s390_attach_fails_when_registration_refused),
		cmocka_unit_test(test_s390_resv_regions_outside_window),
		cmocka_unit_test(test_s390_counters_refuse_other_domains),
		cmocka_unit_test(test_s390_concurrent_maps_share_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
