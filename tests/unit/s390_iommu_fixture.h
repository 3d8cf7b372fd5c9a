/* SPDX-License-Identifier: MIT */
/*
 * The rig of the s390 IOMMU driver's tests (drivers/iommu/s390-iommu.c of Linux 6.7,
 * docs/sources.md S18): zPCI devices on the scriptable firmware, whose call log shows every RPCIT
 * and SET IOAT, and helpers that check the log and the counters.
 */
#ifndef TESTS_UNIT_S390_IOMMU_FIXTURE_H
#define TESTS_UNIT_S390_IOMMU_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

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
#include "fixture_state.h"
#define S390_COUNTERS(field, value) FIELD(struct iommusim_s390_counters, field, value)

#define TIB4 IOMMUSIM_ZPCI_TABLE_SIZE_RT
#define PHYS 0x12340000ull

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
static inline struct iommusim_zpci_config qemu_cfg(uint32_t fh, bool tlb_refresh)
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
static inline void fix_init_kernel(struct fix *f, enum iommusim_kernel kernel)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &f->mem), 0);
	assert_int_equal(iommusim_cpu_create(f->mem, 0, &f->cpu), 0);
	assert_int_equal(iommusim_firmware_create_script(f->mem, &f->fw), 0);
	assert_int_equal(iommusim_s390_domain_create(f->mem, kernel, &f->dom), 0);
}

static inline void fix_init(struct fix *f)
{
	fix_init_kernel(f, IOMMUSIM_KERNEL_6_7);
}

static inline struct iommusim_device *new_dev(struct fix *f, const char *name)
{
	struct iommusim_device_config dc = {.name = name, .dma_mask = ~0ull};
	struct iommusim_device *dev;

	assert_true(f->ndev < MAX_DEVS);
	assert_int_equal(iommusim_device_create(f->mem, &dc, &dev), 0);
	f->dev[f->ndev++] = dev;
	return dev;
}

static inline size_t log_len(struct fix *f)
{
	return iommusim_firmware_script_log_len(f->fw);
}

/*
 * The @i-th call must have registered @iota for @fh's [@pba, @pal] (len = pal - pba + 1), or,
 * with @iota NULL, deregistered @fh's table (addr and len 0).
 */
static inline void expect_ioat(struct fix *f, size_t i, uint32_t fh, uint64_t pba, uint64_t pal,
			       const struct iommusim_s390_io_table *iota)
{
	assert_ptr_equal(fw_expect_ioat(f->fw, i, fh, pba, pal, iota != NULL).iota, iota);
}

/* The table the @i-th call registered. */
static inline const struct iommusim_s390_io_table *logged_iota(struct fix *f, size_t i)
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
static inline struct iommusim_device *add_zdev(struct fix *f,
					       const struct iommusim_zpci_config *cfg)
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

static inline void fix_fini(struct fix *f)
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

/* What most tests start from: the kernel 6.7 s390 IOMMU driver. */
FIXTURE_STATE(s390, struct fix, fix_init_kernel, fix_fini, IOMMUSIM_KERNEL_6_7)

/* The @i-th RPCIT must have gone to @fh for [@addr, @addr + @len) and been answered @cc. */
static inline void expect_call(struct fix *f, size_t i, uint32_t fh, uint64_t addr, uint64_t len,
			       uint8_t cc)
{
	fw_expect_rpcit(f->fw, i, fh, addr, len, cc);
}

static inline struct iommusim_s390_counters ctrs(struct fix *f)
{
	struct iommusim_s390_counters c;

	assert_int_equal(iommusim_s390_domain_counters(f->dom, &c), 0);
	return c;
}

static inline void push(struct fix *f, uint8_t cc, uint8_t status)
{
	assert_int_equal(iommusim_firmware_script_push(f->fw, cc, status), 0);
}

#endif /* TESTS_UNIT_S390_IOMMU_FIXTURE_H */
