/* SPDX-License-Identifier: MIT */
/*
 * The rig of the platform models' tests: an engine, a platform of one kind, the firmware and
 * two s390 guest I/O tables, with helpers that write page-table entries and issue RPCITs.
 *
 * Costs are set to round values at cpu.freq_mhz=1000, so one ns is one cycle and every expected
 * number in the tests is a sum their comments derive:
 *   kvm.trap_unlocked_ns 500, kvm.trap_locked_ns 4500, qemu.walk_ns 100, qemu.hash_ns 20,
 *   qemu.hash_insert_ns 200, qemu.hash_remove_ns 40, vfio.map_ioctl_ns 4000,
 *   vfio.unmap_ioctl_ns 1000, vfio.unmap_entry_ns 2000, host.iotlb_inv_ns 300, lpar.rpcit_ns 1000,
 *   zvm.trap_ns 2000, zvm.segment_ns 50, zvm.shadow_page_ns 100, zvm.map_page_ns 1000,
 *   zvm.unmap_page_ns 500.
 * So on KVM a page walked in a page table costs 120, a new map 4200 more, a shadowed page gone
 * invalid 40 + 2300 = 2340 more, and each UNMAP ioctl 1000.
 */
#ifndef TESTS_UNIT_PLATFORM_FIXTURE_H
#define TESTS_UNIT_PLATFORM_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/cost.h>
#include <iommusim/engine.h>
#include <iommusim/firmware.h>
#include <iommusim/mem.h>
#include <iommusim/platform.h>
#include <iommusim/s390.h>

#include "arch/s390/s390_tables.h"
#include "platform/platform_internal.h"
#include "platform/ppc_platform.h"
#include "platform/shadow.h"

#include "fields.h"
#include "fixture_state.h"

/* A platform statistic and the value it must have, for EXPECT_FIELDS(). */
#define PS(field, value) FIELD(struct iommusim_platform_stats, field, value)

#define PG    4096ull
#define START IOMMUSIM_ZPCI_QEMU_START_DMA
/* page number of START: 2^20, aligned to a region (2^19 pages) */
#define START_PAGE (START / PG)
#define SEG	   256ull
#define REGION	   (1ull << 19)

#define C_WALK	      120ull  /* walk + hash */
#define C_MAP	      4200ull /* hash insert + map ioctl */
#define C_GONE	      2340ull /* hash remove + unmap entry + host invalidation */
#define C_UNMAP_IOCTL 1000ull
#define C_TRAP_KERNEL 500ull  /* the part on the vCPU alone, kvm.trap_unlocked_ns */
#define C_TRAP_LOCKED 4500ull /* the part under QEMU's big lock, kvm.trap_locked_ns */
#define C_TRAP	      (C_TRAP_KERNEL + C_TRAP_LOCKED) /* the whole round trip */

static const char *const round_costs[] = {
	"cpu.freq_mhz=1000",	    "kvm.trap_locked_ns=4500", "kvm.trap_unlocked_ns=500",
	"qemu.walk_ns=100",	    "qemu.hash_ns=20",	       "qemu.hash_insert_ns=200",
	"qemu.hash_remove_ns=40",   "vfio.map_ioctl_ns=4000",  "vfio.unmap_ioctl_ns=1000",
	"vfio.unmap_entry_ns=2000", "host.iotlb_inv_ns=300",   "lpar.rpcit_ns=1000",
	"zvm.trap_ns=2000",	    "zvm.shadow_page_ns=100",  "zvm.map_page_ns=1000",
	"zvm.unmap_page_ns=500",    "zvm.segment_ns=50",
};

struct fx {
	struct iommusim_mem *mem;
	struct iommusim_cost *cost;
	struct iommusim_engine *e;
	struct iommusim_platform *p;
	struct iommusim_firmware *fw;
	struct iommusim_cpu *cpu;
	struct iommusim_s390_io_table *t[2];
};

/*
 * A platform of @kind on a 2-CPU engine: cost profile @profile (NULL for none), round costs,
 * then @n further settings.
 */
static inline void fx_init_as(struct fx *x, enum iommusim_platform_kind kind, const char *profile,
			      const char *const *sets, size_t n)
{
	struct iommusim_platform_config cfg = {0};
	char err[200];

	memset(x, 0, sizeof(*x));
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &x->mem), 0);
	assert_int_equal(iommusim_cost_create(x->mem, &x->cost), 0);
	if (profile)
		assert_int_equal(iommusim_cost_apply_profile(x->cost, profile, err, sizeof(err)),
				 0);
	for (size_t i = 0; i < sizeof(round_costs) / sizeof(round_costs[0]); i++)
		assert_int_equal(iommusim_cost_set(x->cost, round_costs[i], err, sizeof(err)), 0);
	for (size_t i = 0; i < n; i++) {
		int ret = iommusim_cost_set(x->cost, sets[i], err, sizeof(err));

		if (ret)
			fail_msg("%s: %s", sets[i], err);
	}
	assert_int_equal(
		iommusim_engine_create(
			x->mem, 2,
			iommusim_cost_get(x->cost, IOMMUSIM_COST_CPU_FREQ_MHZ) * 1000000ull, &x->e),
		0);
	x->cpu = iommusim_engine_cpu(x->e, 0);
	cfg.kind = kind;
	cfg.guest_memory = 16ull << 30;
	cfg.cost = x->cost;
	assert_int_equal(iommusim_platform_create(x->mem, x->e, &cfg, &x->p), 0);
	x->fw = iommusim_platform_firmware(x->p);
	for (int i = 0; i < 2; i++)
		assert_int_equal(isim_s390_table_create(x->mem, &x->t[i]), 0);
}

static inline void fx_init(struct fx *x, enum iommusim_platform_kind kind, const char *const *sets,
			   size_t n)
{
	fx_init_as(x, kind, NULL, sets, n);
}

static inline void fx_done(struct fx *x)
{
	iommusim_platform_destroy(x->p);
	for (int i = 0; i < 2; i++)
		isim_s390_table_destroy(x->t[i]);
	iommusim_engine_destroy(x->e);
	iommusim_cost_destroy(x->cost);
	assert_int_equal(iommusim_mem_live_objects(x->mem), 0);
	iommusim_mem_destroy(x->mem);
}

/* What most tests start from: the KVM platform with its default settings. */
FIXTURE_STATE(plat, struct fx, fx_init, fx_done, IOMMUSIM_PLATFORM_KVM, NULL, 0)

/*
 * The platform a test starts on and its settings, given as the test's CMocka initial state:
 * PLAT_TEST(test, kind, "key=value", ...) in the test table sets the test up with
 * fx_init(kind, those settings) and tears it down with fx_done().
 */
struct plat_start {
	enum iommusim_platform_kind kind;
	const char *const *sets;
	size_t nsets;
};

static inline int plat_start_setup(void **state)
{
	const struct plat_start *start = *state;

	if (plat_alloc(state) != 0)
		return -1;
	fx_init(*state, start->kind, start->sets, start->nsets);
	return 0;
}

#define PLAT_SETS(...) ((const char *const[]){__VA_ARGS__})
#define PLAT_TEST(test, kind, ...)                                                                 \
	cmocka_unit_test_prestate_setup_teardown(                                                  \
		test, plat_start_setup, plat_teardown,                                             \
		(&(struct plat_start){kind, PLAT_SETS(__VA_ARGS__),                                \
				      sizeof(PLAT_SETS(__VA_ARGS__)) / sizeof(const char *)}))

/* Register table @ti for function @fh over the window firmware reports. */
static inline void reg(struct fx *x, uint32_t fh, int ti)
{
	struct iommusim_zpci_config zc;

	iommusim_platform_zpci_config(x->p, fh, &zc);
	assert_int_equal(iommusim_firmware_set_ioat(x->fw, fh, zc.start_dma, zc.end_dma, x->t[ti]),
			 0);
}

/* Validate the PTE of page @page (absolute page number) in table @ti to target @pa. */
static inline void pte_set(struct fx *x, int ti, uint64_t page, uint64_t pa, bool ro)
{
	struct isim_s390_pte ref = isim_s390_table_walk(x->t[ti], x->cpu, page * PG, true);

	assert_non_null(ref.pte);
	isim_s390_pte_update(x->cpu, ref, pa, ZPCI_PTE_VALID, ro);
}

static inline void pte_clear(struct fx *x, int ti, uint64_t page)
{
	struct isim_s390_pte ref = isim_s390_table_walk(x->t[ti], x->cpu, page * PG, false);

	assert_non_null(ref.pte);
	isim_s390_pte_update(x->cpu, ref, 0, ZPCI_PTE_INVALID, false);
}

/* Map @n pages from @page, page i to target 0x10000000 + i * 4096. */
static inline void map_pages(struct fx *x, int ti, uint64_t page, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		pte_set(x, ti, page + i, 0x10000000ull + (page + i) * PG, false);
}

static inline void unmap_pages(struct fx *x, int ti, uint64_t page, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		pte_clear(x, ti, page + i);
}

static inline int rpcit_on(struct fx *x, struct iommusim_cpu *cpu, uint32_t fh, uint64_t page,
			   uint64_t n, uint8_t *status)
{
	return iommusim_firmware_rpcit(x->fw, cpu, fh, page * PG, n * PG, status);
}

static inline int rpcit(struct fx *x, uint32_t fh, uint64_t page, uint64_t n, uint8_t *status)
{
	return rpcit_on(x, x->cpu, fh, page, n, status);
}

static inline struct iommusim_platform_stats stats(struct fx *x)
{
	struct iommusim_platform_stats st;

	iommusim_platform_get_stats(x->p, &st);
	return st;
}

static inline uint64_t cpu_now(struct fx *x)
{
	return iommusim_engine_cpu_now(x->e, x->cpu);
}

/* An RPCIT on CPU 0 that must succeed (cc 0): the cycles it moved the CPU's clock by. */
static inline uint64_t rpcit_cycles(struct fx *x, uint32_t fh, uint64_t page, uint64_t n)
{
	uint64_t t0 = cpu_now(x);
	uint8_t status = 0;

	assert_int_equal(rpcit(x, fh, page, n, &status), 0);
	return cpu_now(x) - t0;
}

/* ---- the reference: QEMU's loop, page by page ---- */

struct ref_fn {
	uint64_t ent[4096];
	bool have[4096];
};

struct ref {
	uint64_t base;
	struct ref_fn fn[2];
	uint64_t avail;
	uint64_t shadow;
	bool coalesce;
	bool second_pass;
	struct isim_walk_counts n;
};

#endif /* TESTS_UNIT_PLATFORM_FIXTURE_H */
