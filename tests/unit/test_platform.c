/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the platform models: LPAR, KVM + QEMU + vfio (exact shadow walk, budget, costs)
 * and z/VM, on real s390 guest tables.
 *
 * Costs are set to round values at cpu.freq_mhz=1000, so one ns is one cycle and every expected
 * number below is a sum the comments derive:
 *   kvm.trap_unlocked_ns 500, kvm.trap_locked_ns 4500, qemu.walk_ns 100, qemu.hash_ns 20, qemu.hash_insert_ns 200,
 *   qemu.hash_remove_ns 40, vfio.map_ioctl_ns 4000, vfio.unmap_ioctl_ns 1000,
 *   vfio.unmap_entry_ns 2000, host.iotlb_inv_ns 300, lpar.rpcit_ns 1000, zvm.trap_ns 2000,
 *   zvm.segment_ns 50, zvm.shadow_page_ns 100, zvm.map_page_ns 1000, zvm.unmap_page_ns 500.
 * So on KVM a page walked in a page table costs 120, a new map 4200 more, a shadowed page gone
 * invalid 40 + 2300 = 2340 more, and each UNMAP ioctl 1000.
 *
 * A reference model of QEMU's loop that visits every page (ref_rpcit) checks the platform's
 * segment-at-a-time walk on random tables, counts and shadow contents alike.
 */
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
#include "platform/shadow.h"

#include "fields.h"

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
	"cpu.freq_mhz=1000",	  "kvm.trap_locked_ns=4500",  "kvm.trap_unlocked_ns=500",
	"qemu.walk_ns=100",
	"qemu.hash_ns=20",	  "qemu.hash_insert_ns=200",  "qemu.hash_remove_ns=40",
	"vfio.map_ioctl_ns=4000", "vfio.unmap_ioctl_ns=1000", "vfio.unmap_entry_ns=2000",
	"host.iotlb_inv_ns=300",  "lpar.rpcit_ns=1000",	      "zvm.trap_ns=2000",
	"zvm.shadow_page_ns=100", "zvm.map_page_ns=1000",     "zvm.unmap_page_ns=500",
	"zvm.segment_ns=50",
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
static void fx_init_as(struct fx *x, enum iommusim_platform_kind kind, const char *profile,
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

static void fx_init(struct fx *x, enum iommusim_platform_kind kind, const char *const *sets,
		    size_t n)
{
	fx_init_as(x, kind, NULL, sets, n);
}

static void fx_done(struct fx *x)
{
	iommusim_platform_destroy(x->p);
	for (int i = 0; i < 2; i++)
		isim_s390_table_destroy(x->t[i]);
	iommusim_engine_destroy(x->e);
	iommusim_cost_destroy(x->cost);
	assert_int_equal(iommusim_mem_live_objects(x->mem), 0);
	iommusim_mem_destroy(x->mem);
}

/* Register table @ti for function @fh over the window firmware reports. */
static void reg(struct fx *x, uint32_t fh, int ti)
{
	struct iommusim_zpci_config zc;

	iommusim_platform_zpci_config(x->p, fh, &zc);
	assert_int_equal(iommusim_firmware_set_ioat(x->fw, fh, zc.start_dma, zc.end_dma, x->t[ti]),
			 0);
}

/* Validate the PTE of page @page (absolute page number) in table @ti to target @pa. */
static void pte_set(struct fx *x, int ti, uint64_t page, uint64_t pa, bool ro)
{
	struct isim_s390_pte ref = isim_s390_table_walk(x->t[ti], x->cpu, page * PG, true);

	assert_non_null(ref.pte);
	isim_s390_pte_update(x->cpu, ref, pa, ZPCI_PTE_VALID, ro);
}

static void pte_clear(struct fx *x, int ti, uint64_t page)
{
	struct isim_s390_pte ref = isim_s390_table_walk(x->t[ti], x->cpu, page * PG, false);

	assert_non_null(ref.pte);
	isim_s390_pte_update(x->cpu, ref, 0, ZPCI_PTE_INVALID, false);
}

/* Map @n pages from @page, page i to target 0x10000000 + i * 4096. */
static void map_pages(struct fx *x, int ti, uint64_t page, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		pte_set(x, ti, page + i, 0x10000000ull + (page + i) * PG, false);
}

static void unmap_pages(struct fx *x, int ti, uint64_t page, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		pte_clear(x, ti, page + i);
}

static int rpcit_on(struct fx *x, struct iommusim_cpu *cpu, uint32_t fh, uint64_t page, uint64_t n,
		    uint8_t *status)
{
	return iommusim_firmware_rpcit(x->fw, cpu, fh, page * PG, n * PG, status);
}

static int rpcit(struct fx *x, uint32_t fh, uint64_t page, uint64_t n, uint8_t *status)
{
	return rpcit_on(x, x->cpu, fh, page, n, status);
}

static struct iommusim_platform_stats stats(struct fx *x)
{
	struct iommusim_platform_stats st;

	iommusim_platform_get_stats(x->p, &st);
	return st;
}

static uint64_t cpu_now(struct fx *x)
{
	return iommusim_engine_cpu_now(x->e, x->cpu);
}

/* ---- names, creation, windows ---- */

static void test_platform_names_and_create_errors(void **state)
{
	struct iommusim_platform_config cfg = {0};
	enum iommusim_platform_kind k;
	struct iommusim_platform *p = NULL;
	struct fx x;

	(void)state;
	assert_string_equal(iommusim_platform_name(IOMMUSIM_PLATFORM_LPAR), "lpar");
	assert_string_equal(iommusim_platform_name(IOMMUSIM_PLATFORM_ZVM), "zvm");
	assert_string_equal(iommusim_platform_name(IOMMUSIM_PLATFORM_KVM), "kvm");
	assert_string_equal(iommusim_platform_name(IOMMUSIM_PLATFORM_NR), "unknown");
	assert_int_equal(iommusim_platform_lookup("kvm", &k), 0);
	assert_int_equal(k, IOMMUSIM_PLATFORM_KVM);
	assert_int_equal(iommusim_platform_lookup("zvm", &k), 0);
	assert_int_equal(k, IOMMUSIM_PLATFORM_ZVM);
	assert_int_equal(iommusim_platform_lookup("KVM", &k), -ENOENT);
	assert_int_equal(iommusim_platform_lookup("kvm-qemu7.2", &k), 0);
	assert_int_equal(k, IOMMUSIM_PLATFORM_KVM);

	/* each model's parameters are its own; the guest's are everybody's */
	assert_true(iommusim_platform_reads(IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_COST_LPAR_RPCIT_NS));
	assert_false(iommusim_platform_reads(IOMMUSIM_PLATFORM_KVM, IOMMUSIM_COST_LPAR_RPCIT_NS));
	assert_false(iommusim_platform_reads(IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_COST_QEMU_WALK_NS));
	assert_true(iommusim_platform_reads(IOMMUSIM_PLATFORM_KVM, IOMMUSIM_COST_QEMU_WALK_NS));
	assert_true(iommusim_platform_reads(IOMMUSIM_PLATFORM_KVM, IOMMUSIM_COST_HOST_FLUSH_ON_MAP));
	assert_false(iommusim_platform_reads(IOMMUSIM_PLATFORM_ZVM, IOMMUSIM_COST_VFIO_DMA_ENTRY_LIMIT));
	assert_true(iommusim_platform_reads(IOMMUSIM_PLATFORM_ZVM, IOMMUSIM_COST_ZVM_SEGMENT_NS));
	for (unsigned int kind = 0; kind < IOMMUSIM_PLATFORM_NR; kind++) {
		assert_true(iommusim_platform_reads(kind, IOMMUSIM_COST_ZPCI_TLB_REFRESH));
		assert_true(iommusim_platform_reads(kind, IOMMUSIM_COST_NVME_SUBMIT_NS));
		assert_true(iommusim_platform_reads(kind, IOMMUSIM_COST_GUEST_PTE_WRITE_CYCLES));
	}
	assert_false(iommusim_platform_reads(IOMMUSIM_PLATFORM_NR, IOMMUSIM_COST_NVME_SUBMIT_NS));
	assert_false(iommusim_platform_reads(IOMMUSIM_PLATFORM_LPAR, IOMMUSIM_COST_NR));

	fx_init(&x, IOMMUSIM_PLATFORM_LPAR, NULL, 0);
	cfg.cost = x.cost;
	cfg.kind = IOMMUSIM_PLATFORM_NR;
	cfg.guest_memory = 1ull << 30;
	assert_int_equal(iommusim_platform_create(x.mem, x.e, &cfg, &p), -EINVAL);
	cfg.kind = IOMMUSIM_PLATFORM_KVM;
	cfg.guest_memory = 0;
	assert_int_equal(iommusim_platform_create(x.mem, x.e, &cfg, &p), -EINVAL);
	assert_null(p);
	assert_int_equal(iommusim_platform_kind(x.p), IOMMUSIM_PLATFORM_LPAR);
	fx_done(&x);
}

static void test_platform_zpci_config_windows(void **state)
{
	const char *noshrink[] = {"qemu.aperture_shrink=0"};
	const char *pages[] = {"guest.aperture_pages=1000"};
	const char *notlb[] = {"zpci.tlb_refresh=0"};
	struct iommusim_zpci_config zc;
	struct fx x;

	(void)state;
	/* KVM, QEMU 8.0 shrink with the default limit 65535: 4 GiB + 65535 pages - 1 */
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, NULL, 0);
	iommusim_platform_zpci_config(x.p, 0x123, &zc);
	assert_int_equal(zc.fh, 0x123);
	assert_true(zc.tlb_refresh);
	assert_false(zc.ism);
	assert_int_equal(zc.start_dma, START);
	assert_int_equal(zc.end_dma, START + 65535 * PG - 1);
	assert_int_equal(zc.guest_memory, 16ull << 30);
	assert_int_equal(zc.aperture_factor, 0);
	fx_done(&x);

	/* no shrink: the hardware's window */
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, noshrink, 1);
	iommusim_platform_zpci_config(x.p, 1, &zc);
	assert_int_equal(zc.end_dma, IOMMUSIM_ZPCI_QEMU_END_DMA);
	fx_done(&x);

	/* an explicit aperture replaces the shrink, on every kind */
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, pages, 1);
	iommusim_platform_zpci_config(x.p, 1, &zc);
	assert_int_equal(zc.end_dma, START + 1000 * PG - 1);
	fx_done(&x);
	fx_init_as(&x, IOMMUSIM_PLATFORM_LPAR, "lpar", pages, 1);
	iommusim_platform_zpci_config(x.p, 1, &zc);
	assert_int_equal(zc.start_dma, START);
	assert_int_equal(zc.end_dma, START + 1000 * PG - 1);
	/* LPAR needs no RPCIT on map: its profile says so */
	assert_false(zc.tlb_refresh);
	fx_done(&x);
	/* and a user who asks for refreshes on map on LPAR gets them */
	fx_init(&x, IOMMUSIM_PLATFORM_LPAR, NULL, 0);
	iommusim_platform_zpci_config(x.p, 1, &zc);
	assert_true(zc.tlb_refresh);
	fx_done(&x);

	/* z/VM: no shrink (no vfio); tlb_refresh from zpci.tlb_refresh */
	fx_init(&x, IOMMUSIM_PLATFORM_ZVM, notlb, 1);
	iommusim_platform_zpci_config(x.p, 1, &zc);
	assert_int_equal(zc.end_dma, IOMMUSIM_ZPCI_QEMU_END_DMA);
	assert_false(zc.tlb_refresh);
	fx_done(&x);
}

static void test_platform_set_ioat_checks(void **state)
{
	struct iommusim_zpci_config zc;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, NULL, 0);
	iommusim_platform_zpci_config(x.p, 1, &zc);
	/* below start_dma, beyond end_dma (pba > pal is the interface's assert) */
	assert_int_equal(iommusim_firmware_set_ioat(x.fw, 1, 0, zc.end_dma, x.t[0]), -EINVAL);
	assert_int_equal(iommusim_firmware_set_ioat(x.fw, 1, START, zc.end_dma + 1, x.t[0]),
			 -EINVAL);
	/* deregistering what was never registered */
	assert_int_equal(iommusim_firmware_set_ioat(x.fw, 1, 0, 0, NULL), -ENOENT);
	reg(&x, 1, 0);
	assert_int_equal(iommusim_firmware_set_ioat(x.fw, 1, START, zc.end_dma, x.t[1]), -EBUSY);
	assert_int_equal(iommusim_firmware_set_ioat(x.fw, 1, 0, 0, NULL), 0);
	assert_int_equal(iommusim_firmware_set_ioat(x.fw, 1, 0, 0, NULL), -ENOENT);
	/* registering again after deregistration is fine */
	reg(&x, 1, 1);
	fx_done(&x);
}

/* ---- LPAR ---- */

static void test_platform_lpar_charges_rpcit_ns(void **state)
{
	struct iommusim_platform_stats st;
	uint8_t status = 0xff;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_LPAR, NULL, 0);
	assert_null(iommusim_platform_server(x.p));
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE, 4);
	/* a refresh on LPAR is an IOTLB purge: 1000 cycles whatever the range */
	assert_int_equal(rpcit(&x, 1, START_PAGE, 4, &status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(iommusim_engine_cpu_charged(x.e, x.cpu), 1000);
	/* even for a function the platform never heard of */
	assert_int_equal(rpcit(&x, 99, START_PAGE, 65535, &status), 0);
	assert_int_equal(iommusim_engine_cpu_charged(x.e, x.cpu), 2000);
	assert_int_equal(cpu_now(&x), 2000);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(rpcits, 2), PS(hyp_cycles, 2000), PS(passes, 0), PS(pages_walked, 0),
		      PS(host_maps, 0), PS(dma_avail, UINT64_MAX));
	fx_done(&x);
}

/* ---- KVM: single RPCITs by hand ---- */

static void test_platform_kvm_map_one_page(void **state)
{
	struct iommusim_server_stats ss;
	struct iommusim_platform_stats st;
	uint8_t status = 0xff;
	uint64_t target;
	bool ro;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, NULL, 0);
	assert_non_null(iommusim_platform_server(x.p));
	assert_string_equal(iommusim_engine_server_name(iommusim_platform_server(x.p)), "qemu-bql");
	reg(&x, 1, 0);
	pte_set(&x, 0, START_PAGE + 5, 0xabc000, true);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 5, 1, &status), 0);
	assert_int_equal(status, 0);
	/*
	 * the kernel's part of the trap, 500, on the CPU; QEMU's part, 4500, and the emulation =
	 * walk 100 + hash 20 + insert 200 + map ioctl 4000 = 4320 on the QEMU server, which holds
	 * the CPU: CPU free at 500 + 4500 + 4320 = 9320.
	 */
	assert_int_equal(iommusim_engine_cpu_charged(x.e, x.cpu), C_TRAP_KERNEL);
	assert_int_equal(cpu_now(&x), C_TRAP + 4320);
	iommusim_engine_server_stats(iommusim_platform_server(x.p), &ss);
	assert_int_equal(ss.requests, 1);
	assert_int_equal(ss.busy, C_TRAP_LOCKED + 4320);
	assert_int_equal(ss.waited, 0);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(rpcits, 1), PS(passes, 1), PS(pages_walked, 1), PS(upper_invalid, 0),
		      PS(host_maps, 1), PS(host_unmap_calls, 0), PS(shadow_pages, 1),
		      PS(shadow_pages_max, 1), PS(dma_avail, 65534), PS(hyp_cycles, 9320));
	/* the shadow holds the target and the read-only permission */
	assert_true(isim_shadow_lookup(x.p->fns[0]->shadow, START + 5 * PG, &target, &ro));
	assert_int_equal(target, 0xabc000);
	assert_true(ro);
	assert_false(isim_shadow_lookup(x.p->fns[0]->shadow, START + 4 * PG, &target, &ro));

	/* the same RPCIT again: a hash hit, only the walk: 120 */
	assert_int_equal(rpcit(&x, 1, START_PAGE + 5, 1, &status), 0);
	assert_int_equal(cpu_now(&x), 9320 + C_TRAP + C_WALK);
	assert_int_equal(stats(&x).host_maps, 1);
	fx_done(&x);
}

static void test_platform_kvm_unmap_one_page(void **state)
{
	struct iommusim_platform_stats st;
	uint8_t status;
	uint64_t t0;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, NULL, 0);
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE + 9, 1);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 9, 1, &status), 0);
	t0 = cpu_now(&x);
	unmap_pages(&x, 0, START_PAGE + 9, 1);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 9, 1, &status), 0);
	/* trap + walk 120 + remove/teardown/invalidation 2340 + one UNMAP ioctl 1000 */
	assert_int_equal(cpu_now(&x) - t0, C_TRAP + C_WALK + C_GONE + C_UNMAP_IOCTL);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(host_unmap_calls, 1), PS(host_unmaps, 1), PS(shadow_pages, 0),
		      PS(shadow_pages_max, 1), PS(dma_avail, 65535));
	/* the empty shadow segment is gone again */
	assert_int_equal(isim_shadow_segments(x.p->fns[0]->shadow), 0);
	fx_done(&x);
}

static void test_platform_kvm_unmap_runs(void **state)
{
	struct iommusim_platform_stats st;
	uint8_t status;
	uint64_t t0;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, NULL, 0);
	reg(&x, 1, 0);
	/* 8 pages at 16 (aligned to 8): map RPCIT = 8 x (120 + 4200) = 34560 */
	map_pages(&x, 0, START_PAGE + 16, 8);
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 16, 8, &status), 0);
	assert_int_equal(cpu_now(&x) - t0, C_TRAP + 8 * (C_WALK + C_MAP));
	unmap_pages(&x, 0, START_PAGE + 16, 8);
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 16, 8, &status), 0);
	/* one naturally aligned run of 8: one ioctl; 8 x (120 + 2340) + 1000 = 20680 */
	assert_int_equal(cpu_now(&x) - t0, C_TRAP + 8 * (C_WALK + C_GONE) + C_UNMAP_IOCTL);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(host_unmap_calls, 1), PS(host_unmaps, 8));

	/* 5 pages at 33: pieces [33], [34,36), [36,38): 3 ioctls */
	map_pages(&x, 0, START_PAGE + 33, 5);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 33, 5, &status), 0);
	unmap_pages(&x, 0, START_PAGE + 33, 5);
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 33, 5, &status), 0);
	assert_int_equal(cpu_now(&x) - t0, C_TRAP + 5 * (C_WALK + C_GONE) + 3 * C_UNMAP_IOCTL);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(host_unmap_calls, 1 + 3), PS(host_unmaps, 8 + 5), PS(shadow_pages, 0),
		      PS(dma_avail, 65535));
	fx_done(&x);
}

static void test_platform_pow2_pieces(void **state)
{
	(void)state;
	assert_int_equal(isim_pow2_pieces(16, 0), 0);
	assert_int_equal(isim_pow2_pieces(16, 8), 1);
	assert_int_equal(isim_pow2_pieces(0, 8), 1);
	/* page 0 is aligned to everything: 0..9 = [0,8) + [8,10) */
	assert_int_equal(isim_pow2_pieces(0, 10), 2);
	/* 33..37: [33] [34,36) [36,38) */
	assert_int_equal(isim_pow2_pieces(33, 5), 3);
	/* 1..255: 1 + 2 + 4 + ... + 128 */
	assert_int_equal(isim_pow2_pieces(1, 255), 8);
	/* 12..99: [12,16) [16,32) [32,64) [64,96) [96,100) */
	assert_int_equal(isim_pow2_pieces(12, 88), 5);
	assert_int_equal(isim_pow2_pieces(1ull << 40, 1ull << 40), 1);
}

/*
 * A global refresh over a warm aperture of 8 segments (2048 pages) with one valid page at the
 * start of each segment and nothing changed: every page is walked (2048 x 120), nothing is
 * mapped, and each run of 255 invalid PTEs (offsets 1..255 of a segment) is split into 1, 2,
 * 4, ..., 128 pages: 8 ioctls per run, 64 in all.
 */
static void test_platform_kvm_global_refresh_warm(void **state)
{
	const char *sets[] = {"guest.aperture_pages=2048"};
	struct iommusim_platform_stats st0, st;
	uint8_t status;
	uint64_t t0;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, sets, 1);
	reg(&x, 1, 0);
	for (uint64_t s = 0; s < 8; s++) {
		/* warm: a page table exists everywhere, offset 0 valid, the rest invalid */
		map_pages(&x, 0, START_PAGE + s * SEG, 2);
		unmap_pages(&x, 0, START_PAGE + s * SEG + 1, 1);
	}
	assert_int_equal(rpcit(&x, 1, START_PAGE, 2048, &status), 0);
	st0 = stats(&x);
	assert_int_equal(st0.host_maps, 8);
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE, 2048, &status), 0);
	assert_int_equal(cpu_now(&x) - t0, C_TRAP + 2048 * C_WALK + 64 * C_UNMAP_IOCTL);
	st = stats(&x);
	assert_int_equal(st.pages_walked - st0.pages_walked, 2048);
	assert_int_equal(st.host_unmap_calls - st0.host_unmap_calls, 64);
	EXPECT_FIELDS(&st, PS(host_maps, 8), PS(host_unmaps, 0), PS(upper_invalid, 0));
	fx_done(&x);
}

/*
 * Invalid upper entries inside the range: segments without a page table cost one walk and 256
 * hash lookups each; an invalid region one walk and a lookup for every page under it.
 */
static void test_platform_kvm_invalid_segment_and_region(void **state)
{
	const char *sets[] = {"guest.aperture_pages=1048576"};
	struct iommusim_platform_stats st;
	uint8_t status;
	uint64_t t0;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, sets, 1);
	reg(&x, 1, 0);
	/* page tables in segments 0 and 2 of region 2; segment 1 has none */
	map_pages(&x, 0, START_PAGE, 1);
	map_pages(&x, 0, START_PAGE + 2 * SEG, 1);
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE, 3 * SEG, &status), 0);
	/*
	 * 512 pages walked in page tables, 2 mapped; segment 1: walk 100 + 256 x hash 20; the
	 * runs [1,256) and [513,768) give 8 ioctls each.
	 */
	assert_int_equal(cpu_now(&x) - t0,
			 C_TRAP + 512 * C_WALK + 2 * C_MAP + 100 + 256 * 20 + 16 * C_UNMAP_IOCTL);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(pages_walked, 512), PS(upper_invalid, 1), PS(upper_pages, 256));
	/* the invalid segment ends the run: [1,256) and [512+1,768) separately */
	assert_int_equal(st.host_unmap_calls, 16);

	/* region 3 (pages 2^20 + 2^19 ...) has no segment table: one walk, 524288 lookups */
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE + REGION, REGION, &status), 0);
	assert_int_equal(cpu_now(&x) - t0, C_TRAP + 100 + REGION * 20);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(upper_invalid, 2), PS(upper_pages, 256 + REGION));
	/* a range ending inside the region counts only its own pages: 1000 lookups */
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE + REGION, 1000, &status), 0);
	assert_int_equal(cpu_now(&x) - t0, C_TRAP + 100 + 1000 * 20);
	fx_done(&x);
}

/* ---- KVM: the budget ---- */

static void test_platform_kvm_budget_exhausted(void **state)
{
	const char *sets[] = {"vfio.dma_entry_limit=4"};
	struct iommusim_platform_stats st;
	struct iommusim_zpci_config zc;
	uint8_t status = 0;
	uint64_t t0;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, sets, 1);
	/* the shrink makes the window 4 pages; register a wider one is refused */
	iommusim_platform_zpci_config(x.p, 1, &zc);
	assert_int_equal(zc.end_dma, START + 4 * PG - 1);
	fx_done(&x);

	{
		const char *sets2[] = {"vfio.dma_entry_limit=4", "qemu.aperture_shrink=0"};

		fx_init(&x, IOMMUSIM_PLATFORM_KVM, sets2, 2);
	}
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE, 6);
	t0 = cpu_now(&x);
	/* 6 new pages, budget 4: 4 mapped, 2 skipped, no second pass (budget 0) */
	assert_int_equal(rpcit(&x, 1, START_PAGE, 6, &status), IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	assert_int_equal(cpu_now(&x) - t0, C_TRAP + 6 * C_WALK + 4 * C_MAP);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(host_maps, 4), PS(maps_skipped, 2), PS(budget_exhausted, 1),
		      PS(passes, 1), PS(second_passes, 0), PS(dma_avail, 0), PS(rpcit_errors, 0));
	fx_done(&x);
}

/* cc 1 / status 16 when the budget ends at exactly 0, although every page got mapped */
static void test_platform_kvm_budget_ends_at_zero(void **state)
{
	const char *sets[] = {"vfio.dma_entry_limit=4", "qemu.aperture_shrink=0"};
	struct iommusim_firmware_stats fs;
	uint8_t status = 0;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, sets, 2);
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE + 10, 4);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 10, 4, &status), IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	assert_int_equal(stats(&x).host_maps, 4);
	assert_int_equal(stats(&x).maps_skipped, 0);
	iommusim_firmware_get_stats(x.fw, &fs);
	assert_int_equal(fs.rpcit_no_resources, 1);
	fx_done(&x);
}

/*
 * Budget 4, all used by pages 10..13. The guest then unmaps 10..11 and maps 0..1, and refreshes
 * [0, 14). Pass 1: 0..1 find no budget (skipped, again), 2..9 invalid, 10..11 leave the shadow
 * (budget 2), 12..13 are hits; the run [2, 12) is [2,4) [4,8) [8,12): 3 ioctls. With the second
 * pass: 0..1 mapped (budget 0), the same run again (3 ioctls), 12..13 passed over at budget 0.
 */
static void second_pass_case(bool second_pass)
{
	const char *on[] = {"vfio.dma_entry_limit=4", "qemu.aperture_shrink=0"};
	const char *off[] = {"vfio.dma_entry_limit=4", "qemu.aperture_shrink=0",
			     "qemu.second_pass=0"};
	struct iommusim_platform_stats st;
	uint8_t status = 0;
	uint64_t t0;
	struct fx x;
	int cc;

	fx_init(&x, IOMMUSIM_PLATFORM_KVM, second_pass ? on : off, second_pass ? 2 : 3);
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE + 10, 4);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 10, 4, &status), IOMMUSIM_FW_CC_ERROR);
	unmap_pages(&x, 0, START_PAGE + 10, 2);
	map_pages(&x, 0, START_PAGE, 2);
	t0 = cpu_now(&x);
	status = 0;
	cc = rpcit(&x, 1, START_PAGE, 14, &status);
	st = stats(&x);
	if (second_pass) {
		/* pass 1: 14 walks, 2 x 2340, 3 ioctls; pass 2: 14 walks, 2 maps, 3 ioctls */
		assert_int_equal(cpu_now(&x) - t0, C_TRAP + 2 * 14 * C_WALK + 2 * C_GONE +
							   2 * C_MAP + 6 * C_UNMAP_IOCTL);
		assert_int_equal(cc, IOMMUSIM_FW_CC_ERROR);
		assert_int_equal(status, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
		EXPECT_FIELDS(&st, PS(passes, 1 + 2), PS(second_passes, 1), PS(host_maps, 4 + 2),
			      PS(maps_skipped, 2), PS(dma_avail, 0), PS(shadow_pages, 4));
	} else {
		/* QEMU < 7.2: one pass; 0..1 stay unmapped, yet the budget is 2: cc 0 */
		assert_int_equal(cpu_now(&x) - t0,
				 C_TRAP + 14 * C_WALK + 2 * C_GONE + 3 * C_UNMAP_IOCTL);
		assert_int_equal(cc, IOMMUSIM_FW_CC_OK);
		EXPECT_FIELDS(&st, PS(passes, 2), PS(second_passes, 0), PS(host_maps, 4),
			      PS(maps_skipped, 2), PS(dma_avail, 2), PS(shadow_pages, 2));
	}
	assert_int_equal(st.host_unmaps, 2);
	fx_done(&x);
}

static void test_platform_kvm_second_pass(void **state)
{
	(void)state;
	second_pass_case(true);
	second_pass_case(false);
}

static void test_platform_kvm_budget_shared_by_functions(void **state)
{
	const char *sets[] = {"vfio.dma_entry_limit=4", "qemu.aperture_shrink=0"};
	struct iommusim_platform_stats st;
	uint8_t status = 0;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, sets, 2);
	reg(&x, 1, 0);
	reg(&x, 2, 1);
	map_pages(&x, 0, START_PAGE, 3);
	map_pages(&x, 1, START_PAGE, 2);
	assert_int_equal(rpcit(&x, 1, START_PAGE, 3, &status), IOMMUSIM_FW_CC_OK);
	assert_int_equal(stats(&x).dma_avail, 1);
	/* the second function finds one unit left: 1 mapped, 1 skipped, budget 0 */
	assert_int_equal(rpcit(&x, 2, START_PAGE, 2, &status), IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(host_maps, 4), PS(maps_skipped, 1), PS(shadow_pages, 4));
	assert_int_equal(isim_shadow_pages(x.p->fns[0]->shadow), 3);
	assert_int_equal(isim_shadow_pages(x.p->fns[1]->shadow), 1);
	/* the first function frees a page: the budget comes back for both */
	unmap_pages(&x, 0, START_PAGE, 1);
	assert_int_equal(rpcit(&x, 1, START_PAGE, 1, &status), IOMMUSIM_FW_CC_OK);
	assert_int_equal(rpcit(&x, 2, START_PAGE, 2, &status), IOMMUSIM_FW_CC_ERROR);
	st = stats(&x);
	assert_int_equal(st.host_maps, 5);
	assert_int_equal(isim_shadow_pages(x.p->fns[1]->shadow), 2);
	fx_done(&x);
}

/*
 * The three KVM generations on one scripted sequence (docs/sources.md S4, S5), with a 64-page
 * aperture for all and a budget of 8 (vfio.dma_entry_limit). Every difference below is one of
 * the three switches or the host's flush on map (host.iotlb_inv_ns = 300 per map on 7.x):
 *
 *   RPCIT 1 over [2, 10): 8 new pages take the whole budget; it ends at 0, so cc 1 / 16.
 *   The guest unmaps 4..9 and maps 0..1.
 *   RPCIT 2 over [0, 10), pass 1: 0..1 are new but find no budget (skipped, "again"), 2..3 are
 *   passed over at budget 0, 4..9 leave the shadow (6 teardowns, budget 6) as one run of
 *   invalid PTEs [4, 10).
 *     7.1: no second pass; 6 UNMAP ioctls, one per page; 0..1 stay unmapped, cc 0.
 *     7.2: second pass: 0..1 mapped (budget 4); 6 ioctls in pass 1, none in pass 2 (4..9 are
 *          no longer shadowed, and per-page unmaps only name shadowed pages).
 *     8.0: second pass; the run [4, 10) is [4, 8) + [8, 10): 2 ioctls per pass, 4 in all,
 *          because the coalesced run counts invalid PTEs whether mapped or not.
 */
struct generation {
	const char *profile;
	uint64_t window_end;	/* end_dma without an explicit aperture */
	uint64_t map;		/* one new page: hash insert + ioctl (+ host flush) */
	uint64_t rpcit2;	/* cycles of RPCIT 2 */
	uint64_t passes2, unmap_calls2, maps2, avail2, shadow2;
};

static void generation_case(const struct generation *g)
{
	const char *sets[] = {"vfio.dma_entry_limit=8", "guest.aperture_pages=64"};
	const char *limit_only[] = {"vfio.dma_entry_limit=8"};
	struct iommusim_platform_stats st0, st;
	struct iommusim_zpci_config zc;
	uint8_t status = 0;
	uint64_t t0;
	struct fx x;

	/* the window firmware reports: only 8.0 cuts it to the vfio limit */
	fx_init_as(&x, IOMMUSIM_PLATFORM_KVM, g->profile, limit_only, 1);
	iommusim_platform_zpci_config(x.p, 1, &zc);
	assert_int_equal(zc.end_dma, g->window_end);
	fx_done(&x);

	fx_init_as(&x, IOMMUSIM_PLATFORM_KVM, g->profile, sets, 2);
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE + 2, 8);
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 2, 8, &status), IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	assert_int_equal(cpu_now(&x) - t0, C_TRAP + 8 * C_WALK + 8 * g->map);
	st0 = stats(&x);
	assert_int_equal(st0.host_maps, 8);
	assert_int_equal(st0.dma_avail, 0);

	unmap_pages(&x, 0, START_PAGE + 4, 6);
	map_pages(&x, 0, START_PAGE, 2);
	t0 = cpu_now(&x);
	status = 0;
	assert_int_equal(rpcit(&x, 1, START_PAGE, 10, &status), IOMMUSIM_FW_CC_OK);
	assert_int_equal(cpu_now(&x) - t0, g->rpcit2);
	st = stats(&x);
	assert_int_equal(st.passes - st0.passes, g->passes2);
	assert_int_equal(st.second_passes - st0.second_passes, g->passes2 - 1);
	assert_int_equal(st.pages_walked - st0.pages_walked, 10 * g->passes2);
	assert_int_equal(st.host_unmaps - st0.host_unmaps, 6);
	assert_int_equal(st.host_unmap_calls - st0.host_unmap_calls, g->unmap_calls2);
	assert_int_equal(st.host_maps - st0.host_maps, g->maps2);
	assert_int_equal(st.maps_skipped - st0.maps_skipped, 2);
	EXPECT_FIELDS(&st, PS(dma_avail, g->avail2), PS(shadow_pages, g->shadow2));
	fx_done(&x);
}

static void test_platform_kvm_generations(void **state)
{
	const uint64_t flush = 300; /* host.iotlb_inv_ns in a 7.x map */
	const struct generation gens[] = {
		{ "kvm-qemu7.1", IOMMUSIM_ZPCI_QEMU_END_DMA, C_MAP + flush,
		  C_TRAP + 10 * C_WALK + 6 * (C_GONE + C_UNMAP_IOCTL), 1, 6, 0, 6, 2 },
		{ "kvm-qemu7.2", IOMMUSIM_ZPCI_QEMU_END_DMA, C_MAP + flush,
		  C_TRAP + 20 * C_WALK + 6 * (C_GONE + C_UNMAP_IOCTL) + 2 * (C_MAP + flush), 2, 6,
		  2, 4, 4 },
		{ "kvm", START + 8 * PG - 1, C_MAP,
		  C_TRAP + 20 * C_WALK + 6 * C_GONE + 4 * C_UNMAP_IOCTL + 2 * C_MAP, 2, 4, 2, 4, 4 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(gens) / sizeof(gens[0]); i++)
		generation_case(&gens[i]);
}

/* ---- KVM: older QEMU, changed pages, silent drops, errors ---- */

static void test_platform_kvm_no_coalesce(void **state)
{
	const char *sets[] = {"qemu.unmap_coalesce=0", "guest.aperture_pages=2048"};
	struct iommusim_platform_stats st;
	uint8_t status;
	uint64_t t0;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, sets, 2);
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE + 16, 8);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 16, 8, &status), 0);
	unmap_pages(&x, 0, START_PAGE + 16, 8);
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 16, 8, &status), 0);
	/* QEMU < 8.0: one UNMAP per shadowed page: 8 x (120 + 2340 + 1000) = 27680 */
	assert_int_equal(cpu_now(&x) - t0, C_TRAP + 8 * (C_WALK + C_GONE + C_UNMAP_IOCTL));
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(host_unmap_calls, 8), PS(host_unmaps, 8));
	/* a global refresh over invalid PTEs nobody mapped: no ioctl at all */
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE, 256, &status), 0);
	assert_int_equal(cpu_now(&x) - t0, C_TRAP + 256 * C_WALK);
	assert_int_equal(stats(&x).host_unmap_calls, 8);
	fx_done(&x);
}

static void test_platform_kvm_changed_target(void **state)
{
	struct iommusim_platform_stats st;
	uint8_t status;
	uint64_t t0, target;
	bool ro;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, NULL, 0);
	reg(&x, 1, 0);
	pte_set(&x, 0, START_PAGE + 3, 0x5000, false);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 3, 1, &status), 0);
	assert_int_equal(stats(&x).dma_avail, 65534);
	/* the PTE now points elsewhere, never invalidated in between */
	pte_set(&x, 0, START_PAGE + 3, 0x9000, false);
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 3, 1, &status), 0);
	/* walk 120 + remove 40 + UNMAP 1000 + entry 2000 + inv 300 + insert 200 + MAP 4000 */
	assert_int_equal(cpu_now(&x) - t0, C_TRAP + 120 + 40 + 1000 + 2000 + 300 + 200 + 4000);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(remaps, 1), PS(host_maps, 2), PS(host_unmaps, 1),
		      PS(host_unmap_calls, 1), PS(shadow_pages, 1));
	/* QEMU's counter gives nothing back for the replaced entry: one unit gone for good */
	assert_int_equal(st.dma_avail, 65533);
	assert_true(isim_shadow_lookup(x.p->fns[0]->shadow, START + 3 * PG, &target, &ro));
	assert_int_equal(target, 0x9000);
	assert_false(ro);
	/* only the permission changes: a remap as well */
	pte_set(&x, 0, START_PAGE + 3, 0x9000, true);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 3, 1, &status), 0);
	assert_int_equal(stats(&x).remaps, 2);
	assert_true(isim_shadow_lookup(x.p->fns[0]->shadow, START + 3 * PG, &target, &ro));
	assert_true(ro);
	fx_done(&x);
}

/*
 * QEMU's frame for an invalid segment starts where its walk stands: a range that begins in the
 * middle of segment 1 (no page table) covers 256 pages from there, i.e. pages 0..127 of
 * segment 2 too, and the pages QEMU shadowed there leave its shadow without a vfio unmap.
 * z/VM (assumed to skip the entry to its aligned end) walks segment 2 as it is.
 */
static void test_platform_kvm_silent_drops(void **state)
{
	struct iommusim_platform_stats st;
	uint8_t status;
	uint64_t t0;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, NULL, 0);
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE + 2 * SEG, 4);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 2 * SEG, 4, &status), 0);
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE + SEG + 128, 256 + 8, &status), 0);
	/*
	 * frame [SEG+128, 2*SEG+128): walk 100 + 256 lookups, 4 removes (40 each); then pages
	 * 2*SEG+128..135 of segment 2's page table: 8 walks, one run of 8 from 128: 1 ioctl
	 */
	assert_int_equal(cpu_now(&x) - t0,
			 C_TRAP + 100 + 256 * 20 + 4 * 40 + 8 * C_WALK + C_UNMAP_IOCTL);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(silent_drops, 4), PS(host_unmaps, 0), PS(shadow_pages, 0),
		      PS(dma_avail, 65535));
	/* the guest's PTEs are still valid: the next refresh maps them again */
	assert_int_equal(rpcit(&x, 1, START_PAGE + 2 * SEG, 4, &status), 0);
	assert_int_equal(stats(&x).host_maps, 8);
	fx_done(&x);

	fx_init(&x, IOMMUSIM_PLATFORM_ZVM, NULL, 0);
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE + 2 * SEG, 4);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 2 * SEG, 4, &status), 0);
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE + SEG + 128, 256 + 8, &status), 0);
	/*
	 * trap 2000; one step for [SEG+128, 2*SEG) and one page table entered (2 x 50), then 136
	 * pages walked (x 100)
	 */
	assert_int_equal(cpu_now(&x) - t0, 2000 + 2 * 50 + 136 * 100);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(silent_drops, 0), PS(shadow_pages, 4));
	fx_done(&x);
}

static void test_platform_kvm_errors(void **state)
{
	const char *sets[] = {"guest.aperture_pages=16"};
	struct iommusim_platform_stats st;
	struct iommusim_firmware_stats fs;
	uint8_t status = 0;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, sets, 1);
	/* nothing registered: cc 3, the trap is still paid */
	assert_int_equal(rpcit(&x, 7, START_PAGE, 1, &status), IOMMUSIM_FW_CC_NOT_OPERATIONAL);
	assert_int_equal(cpu_now(&x), C_TRAP);
	reg(&x, 7, 0);
	/* entirely beyond pal (16 pages): cc 1, function in error */
	assert_int_equal(rpcit(&x, 7, START_PAGE + 16, 1, &status), IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, IOMMUSIM_PLATFORM_STATUS_FUNC_IN_ERROR);
	/* entirely below pba */
	status = 0;
	assert_int_equal(rpcit(&x, 7, 0, 1, &status), IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, IOMMUSIM_PLATFORM_STATUS_FUNC_IN_ERROR);
	/* overlapping the window is walked as asked, beyond pal included */
	map_pages(&x, 0, START_PAGE + 15, 2);
	assert_int_equal(rpcit(&x, 7, START_PAGE + 15, 2, &status), IOMMUSIM_FW_CC_OK);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(rpcits, 4), PS(rpcit_errors, 3), PS(range_errors, 2),
		      PS(host_maps, 2));
	iommusim_firmware_get_stats(x.fw, &fs);
	assert_int_equal(fs.rpcit_cc[3], 1);
	assert_int_equal(fs.rpcit_cc[1], 2);
	assert_int_equal(fs.rpcit_no_resources, 0);

	/* deregistration: vfio removes the window in one UNMAP; QEMU keeps the budget used */
	assert_int_equal(iommusim_firmware_set_ioat(x.fw, 7, 0, 0, NULL), 0);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(host_unmap_calls, 1), PS(host_unmaps, 2), PS(shadow_pages, 0),
		      PS(dma_avail, 65533));
	assert_int_equal(rpcit(&x, 7, START_PAGE, 1, &status), IOMMUSIM_FW_CC_NOT_OPERATIONAL);
	fx_done(&x);
}

/* ---- servers ---- */

static void test_platform_kvm_server_wait(void **state)
{
	struct iommusim_cpu *cpu1;
	struct iommusim_server_stats ss;
	uint8_t status;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, NULL, 0);
	cpu1 = iommusim_engine_cpu(x.e, 1);
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE, 2);
	/*
	 * Both CPUs trap at 0 and reach QEMU's lock at 500. CPU 0 holds it [500, 9320) (4500 of
	 * trap, 4320 of emulation); CPU 1 waits 8820 and holds it [9320, 18140).
	 */
	assert_int_equal(rpcit_on(&x, x.cpu, 1, START_PAGE, 1, &status), 0);
	assert_int_equal(rpcit_on(&x, cpu1, 1, START_PAGE + 1, 1, &status), 0);
	assert_int_equal(iommusim_engine_cpu_now(x.e, x.cpu), 9320);
	assert_int_equal(iommusim_engine_cpu_now(x.e, cpu1), 18140);
	assert_int_equal(iommusim_engine_cpu_charged(x.e, cpu1), C_TRAP_KERNEL);
	iommusim_engine_server_stats(iommusim_platform_server(x.p), &ss);
	assert_int_equal(ss.requests, 2);
	assert_int_equal(ss.waited, 1);
	assert_int_equal(ss.wait_total, 8820);
	assert_int_equal(ss.busy, 2 * (C_TRAP_LOCKED + 4320));
	/* waits are not hypervisor work */
	assert_int_equal(stats(&x).hyp_cycles, 2 * (C_TRAP + 4320));
	fx_done(&x);

	/* without the big lock both emulations run on their own CPUs at once */
	{
		const char *sets[] = {"qemu.serialize_rpcit=0"};

		fx_init(&x, IOMMUSIM_PLATFORM_KVM, sets, 1);
	}
	cpu1 = iommusim_engine_cpu(x.e, 1);
	assert_null(iommusim_platform_server(x.p));
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE, 2);
	assert_int_equal(rpcit_on(&x, x.cpu, 1, START_PAGE, 1, &status), 0);
	assert_int_equal(rpcit_on(&x, cpu1, 1, START_PAGE + 1, 1, &status), 0);
	assert_int_equal(iommusim_engine_cpu_now(x.e, cpu1), 9320);
	assert_int_equal(iommusim_engine_cpu_charged(x.e, cpu1), 9320);
	fx_done(&x);
}

/* ---- z/VM ---- */

static void test_platform_zvm_costs(void **state)
{
	const char *sets[] = {"guest.aperture_pages=2048", "zvm.serialize_rpcit=0"};
	struct iommusim_platform_stats st;
	uint8_t status;
	uint64_t t0;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_ZVM, sets, 2);
	assert_null(iommusim_platform_server(x.p));
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE, 1);
	/* trap 2000 + 1 page table x 50 + 1 page x 100 + 1 map x 1000, all on the CPU */
	assert_int_equal(rpcit(&x, 1, START_PAGE, 1, &status), 0);
	assert_int_equal(iommusim_engine_cpu_charged(x.e, x.cpu), 3150);
	map_pages(&x, 0, START_PAGE + 8, 8);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 8, 8, &status), 0);
	unmap_pages(&x, 0, START_PAGE + 8, 8);
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE + 8, 8, &status), 0);
	/* one page table, 8 x (100 + 500), no unmap calls */
	assert_int_equal(cpu_now(&x) - t0, 2000 + 50 + 8 * 600);
	/*
	 * a global refresh: 8 segment entries (one page table, 7 invalid segments skipped) x 50,
	 * 256 pages in the page table x 100
	 */
	t0 = cpu_now(&x);
	assert_int_equal(rpcit(&x, 1, START_PAGE, 2048, &status), 0);
	assert_int_equal(cpu_now(&x) - t0, 2000 + 8 * 50 + 256 * 100);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(host_unmap_calls, 0), PS(host_unmaps, 8), PS(host_maps, 9),
		      PS(upper_invalid, 7));
	/* the three refreshes above, then the global one: one page table each */
	EXPECT_FIELDS(&st, PS(tables_walked, 4), PS(dma_avail, UINT64_MAX));
	fx_done(&x);
}

static void test_platform_zvm_limit_and_server(void **state)
{
	const char *sets[] = {"zvm.dma_entry_limit=4", "zvm.serialize_rpcit=1"};
	struct iommusim_server_stats ss;
	uint8_t status = 0;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_ZVM, sets, 2);
	assert_string_equal(iommusim_engine_server_name(iommusim_platform_server(x.p)), "zvm-cp");
	reg(&x, 1, 0);
	map_pages(&x, 0, START_PAGE, 6);
	/* 4 pages: the budget ends at 0 but nothing was left out: cc 0 (unlike QEMU) */
	assert_int_equal(rpcit(&x, 1, START_PAGE, 4, &status), IOMMUSIM_FW_CC_OK);
	assert_int_equal(stats(&x).dma_avail, 0);
	/* 2 more find no budget: cc 1 / 16 */
	assert_int_equal(rpcit(&x, 1, START_PAGE + 4, 2, &status), IOMMUSIM_FW_CC_ERROR);
	assert_int_equal(status, IOMMUSIM_FW_STATUS_RESOURCES_ALT);
	assert_int_equal(stats(&x).maps_skipped, 2);
	assert_int_equal(stats(&x).budget_exhausted, 1);
	iommusim_engine_server_stats(iommusim_platform_server(x.p), &ss);
	/* a page table (50) and 4 x (100 + 1000); a page table and 2 x 100 */
	assert_int_equal(ss.busy, 50 + 4400 + 50 + 200);
	/* deregistration gives CP's budget back */
	assert_int_equal(iommusim_firmware_set_ioat(x.fw, 1, 0, 0, NULL), 0);
	assert_int_equal(stats(&x).dma_avail, 4);
	assert_int_equal(stats(&x).host_unmaps, 4);
	fx_done(&x);
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

/* QEMU's dma_aligned_pow2_mask() on byte addresses, written out again */
static uint64_t ref_pieces(uint64_t page, uint64_t npages)
{
	uint64_t start = page * PG, end = (page + npages) * PG - 1, remain = npages * PG, k = 0;

	while (remain >= PG) {
		uint64_t amask = start ? (start & -start) - 1 : UINT64_MAX;
		uint64_t smask = end - start, mask;

		if (amask <= smask)
			mask = amask;
		else
			mask = (1ull << (63 - __builtin_clzll(smask + 1))) - 1;
		start += mask + 1;
		remain -= mask + 1;
		k++;
	}
	return k;
}

static uint64_t ref_avail(const struct ref *r)
{
	return r->avail;
}

/* s390_pci_update_iotlb() for one page; @pte_level: the entry came from a page table */
static void ref_update(struct ref *r, struct ref_fn *f, uint64_t page, bool valid, uint64_t ent,
		       bool pte_level)
{
	uint64_t i = page - r->base;

	assert_true(i < 4096);
	if (!valid) {
		if (!f->have[i])
			return;
		f->have[i] = false;
		r->shadow--;
		r->avail++;
		r->n.removes++;
		if (!r->coalesce) {
			r->n.unmap_calls++;
			r->n.teardowns++;
		} else if (pte_level) {
			r->n.teardowns++;
		} else {
			r->n.silent_drops++;
		}
		return;
	}
	if (f->have[i] && f->ent[i] == ent)
		return;
	if (f->have[i]) {
		r->n.remaps++;
		r->n.removes++;
		r->n.teardowns++;
		r->n.unmap_calls++;
	} else {
		r->shadow++;
	}
	f->have[i] = true;
	f->ent[i] = ent;
	r->avail--;
	r->n.inserts++;
	r->n.maps++;
}

static int ref_rpcit(struct ref *r, int fi, const struct iommusim_s390_io_table *t, uint64_t s,
		     uint64_t e)
{
	struct ref_fn *f = &r->fn[fi];
	uint64_t dma_avail = ref_avail(r);
	bool again;

retry:
	again = false;
	{
		uint64_t start = s, run_start = 0, run_len = 0;

		while (start < e) {
			uint64_t rte, ste, pte, flen, next, iova, ent = 0;
			bool pte_level = false, valid = false;

			isim_s390_table_entries(t, start * PG, &rte, &ste, &pte);
			if ((rte & ZPCI_TABLE_VALID_MASK) != ZPCI_TABLE_VALID) {
				flen = REGION;
			} else if ((ste & ZPCI_TABLE_VALID_MASK) != ZPCI_TABLE_VALID) {
				flen = SEG;
			} else {
				flen = 1;
				pte_level = true;
				valid = (pte & ZPCI_PTE_VALID_MASK) == ZPCI_PTE_VALID;
				ent = (pte & ZPCI_PTE_ADDR_MASK) |
				      ((pte & ZPCI_TABLE_PROT_MASK) == ZPCI_TABLE_PROTECTED);
			}
			if (pte_level && !valid && r->coalesce) {
				if (!run_len)
					run_start = start;
				run_len++;
			} else if (run_len) {
				r->n.unmap_calls += ref_pieces(run_start, run_len);
				run_len = 0;
			}
			if (pte_level)
				r->n.pages_walked++;
			else
				r->n.upper_invalid++;
			next = start + flen;
			for (iova = start; iova < next && iova < e; iova++) {
				if (!pte_level)
					r->n.upper_pages++;
				if (dma_avail > 0 || !valid) {
					ref_update(r, f, iova, valid, ent, pte_level);
					dma_avail = ref_avail(r);
				} else {
					uint64_t i = iova - r->base;

					if (!(f->have[i] && f->ent[i] == ent))
						r->n.skipped++;
					again = true;
					break;
				}
			}
			start = next;
		}
		if (run_len)
			r->n.unmap_calls += ref_pieces(run_start, run_len);
	}
	r->n.passes++;
	if (again && dma_avail > 0 && r->second_pass) {
		r->n.second_passes++;
		goto retry;
	}
	return dma_avail > 0 ? 0 : 1;
}

static void compare(struct fx *x, const struct ref *r, int step)
{
	struct iommusim_platform_stats st = stats(x);

#define EQ(a, b)                                                                                   \
	do {                                                                                       \
		if ((uint64_t)(a) != (uint64_t)(b))                                                \
			fail_msg("step %d: %s = %llu, reference %llu", step, #a,                   \
				 (unsigned long long)(a), (unsigned long long)(b));                \
	} while (0)
	EQ(st.passes, r->n.passes);
	EQ(st.second_passes, r->n.second_passes);
	EQ(st.pages_walked, r->n.pages_walked);
	EQ(st.upper_invalid, r->n.upper_invalid);
	EQ(st.upper_pages, r->n.upper_pages);
	EQ(st.host_maps, r->n.maps);
	EQ(st.host_unmap_calls, r->n.unmap_calls);
	EQ(st.host_unmaps, r->n.teardowns);
	EQ(st.maps_skipped, r->n.skipped);
	EQ(st.silent_drops, r->n.silent_drops);
	EQ(st.remaps, r->n.remaps);
	EQ(st.shadow_pages, r->shadow);
	EQ(st.dma_avail, r->avail);
	for (int fi = 0; fi < 2; fi++) {
		const struct isim_shadow *sh = x->p->fns[fi]->shadow;

		for (uint64_t i = 0; i < 4096; i++) {
			uint64_t target = 0;
			bool ro = false;
			bool have = isim_shadow_lookup(sh, (r->base + i) * PG, &target, &ro);

			EQ(have, r->fn[fi].have[i]);
			if (have)
				EQ(target | ro, r->fn[fi].ent[i]);
		}
	}
#undef EQ
}

/*
 * Random tables and RPCITs, checked against the reference after every call. The window is the
 * last 1024 pages of region 2 and the first 3072 of region 3; function 0 maps only in region 2
 * and in some of its segments, so its walks meet invalid segments and an invalid region, in
 * ranges that start anywhere.
 */
static void differential(bool coalesce, bool second_pass, uint64_t limit, uint64_t seed,
			 struct isim_walk_counts *tot)
{
	char lim[64], co[64], sp[64];
	const char *sets[] = {lim, co, sp, "guest.aperture_pages=1048576"};
	static struct ref r;
	struct iommusim_rng rng;
	struct fx x;
	uint64_t base = START_PAGE + REGION - 1024;

	snprintf(lim, sizeof(lim), "vfio.dma_entry_limit=%llu", (unsigned long long)limit);
	snprintf(co, sizeof(co), "qemu.unmap_coalesce=%d", coalesce);
	snprintf(sp, sizeof(sp), "qemu.second_pass=%d", second_pass);
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, sets, 4);
	memset(&r, 0, sizeof(r));
	r.base = base;
	r.avail = limit;
	r.coalesce = coalesce;
	r.second_pass = second_pass;
	reg(&x, 1, 0);
	reg(&x, 2, 1);
	iommusim_rng_seed(&rng, seed, 0);
	for (int step = 0; step < 400; step++) {
		int fi = (int)iommusim_rng_below(&rng, 2);
		uint64_t op = iommusim_rng_below(&rng, 12);

		if (op < 3) {
			/* validate a few pages, some with a new target or protection */
			uint64_t n = 1 + iommusim_rng_below(&rng, 40);
			uint64_t at = iommusim_rng_below(&rng, 4096);

			for (uint64_t k = 0; k < n && at + k < 4096; k++) {
				uint64_t page = base + at + k;
				uint64_t seg = (at + k) / SEG;

				/* function 0: segments 0, 2 of region 2 only (1 and 3 stay invalid)
				 */
				if (fi == 0 && (seg == 1 || seg == 3 || seg >= 4))
					continue;
				pte_set(&x, fi, page, (iommusim_rng_below(&rng, 3) + 1) << 20,
					iommusim_rng_below(&rng, 4) == 0);
			}
		} else if (op < 6) {
			uint64_t n = 1 + iommusim_rng_below(&rng, 200);
			uint64_t at = iommusim_rng_below(&rng, 4096);

			for (uint64_t k = 0; k < n && at + k < 4096; k++) {
				struct isim_s390_pte ref = isim_s390_table_walk(
					x.t[fi], x.cpu, (base + at + k) * PG, false);

				if (ref.pte)
					isim_s390_pte_update(x.cpu, ref, 0, ZPCI_PTE_INVALID,
							     false);
			}
		} else if (op == 11) {
			/*
			 * What a lazy guest does before a global refresh: a stretch unmapped high,
			 * new pages mapped low, so the refresh meets maps before the unmaps that
			 * would pay for them (the reason for QEMU's second pass).
			 */
			uint64_t hi = 2048 + iommusim_rng_below(&rng, 1024);
			uint64_t lo = iommusim_rng_below(&rng, 1024);

			for (uint64_t k = 0; k < 200; k++) {
				struct isim_s390_pte ref = isim_s390_table_walk(
					x.t[fi], x.cpu, (base + hi + k) * PG, false);

				if (ref.pte)
					isim_s390_pte_update(x.cpu, ref, 0, ZPCI_PTE_INVALID,
							     false);
			}
			for (uint64_t k = 0; k < 40; k++)
				if (fi == 1 || (lo + k) / SEG == 0 || (lo + k) / SEG == 2)
					pte_set(&x, fi, base + lo + k, 7ull << 20, false);
		} else {
			uint64_t a, b, cc;
			uint8_t status = 0;

			if (op >= 9) {
				a = 0;
				b = 4096;
			} else {
				a = iommusim_rng_below(&rng, 4096);
				b = a + 1 + iommusim_rng_below(&rng, 4096 - a);
			}
			cc = (uint64_t)rpcit(&x, (uint32_t)fi + 1, base + a, b - a, &status);
			assert_int_equal(cc, ref_rpcit(&r, fi, x.t[fi], base + a, base + b));
			assert_int_equal(status, cc ? IOMMUSIM_FW_STATUS_RESOURCES_ALT : 0);
			compare(&x, &r, step);
		}
	}
	tot->second_passes += r.n.second_passes;
	tot->silent_drops += r.n.silent_drops;
	tot->remaps += r.n.remaps;
	tot->skipped += r.n.skipped;
	tot->upper_invalid += r.n.upper_invalid;
	fx_done(&x);
}

static void test_platform_kvm_matches_reference(void **state)
{
	static const uint64_t limits[] = {50, 300, 1000, 65535};
	struct isim_walk_counts tot = {0};
	uint64_t seed = 1;

	(void)state;
	for (int c = 0; c < 2; c++)
		for (int s = 0; s < 2; s++)
			for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++)
				differential(c, s, limits[l], seed++, &tot);
	/* the random cases did reach every rule they are meant to check */
	assert_true(tot.second_passes > 0);
	assert_true(tot.silent_drops > 0);
	assert_true(tot.remaps > 0);
	assert_true(tot.skipped > 0);
	assert_true(tot.upper_invalid > 0);
}

/*
 * A 16 GiB aperture (4M pages, 16384 segments), every segment with a page table and one valid
 * page in every fourth: 4096 pages. The first refresh maps them; the second changes nothing
 * and issues, per run of 1023 invalid PTEs from offset 1 of a 1024-page stretch, 10 ioctls.
 * This must finish quickly (the walk goes by segments); its wall time is measured by hand.
 */
static void test_platform_kvm_global_refresh_16g(void **state)
{
	const char *sets[] = {"guest.aperture_pages=4194304", "vfio.dma_entry_limit=4194304"};
	struct iommusim_platform_stats st;
	uint8_t status;
	struct fx x;

	(void)state;
	fx_init(&x, IOMMUSIM_PLATFORM_KVM, sets, 2);
	reg(&x, 1, 0);
	for (uint64_t s = 0; s < 16384; s++) {
		pte_set(&x, 0, START_PAGE + s * SEG + 1, 0x1000, false);
		pte_clear(&x, 0, START_PAGE + s * SEG + 1);
		if (s % 4 == 0)
			pte_set(&x, 0, START_PAGE + s * SEG, (s + 1) << 12, false);
	}
	assert_int_equal(rpcit(&x, 1, START_PAGE, 4194304, &status), 0);
	assert_int_equal(rpcit(&x, 1, START_PAGE, 4194304, &status), 0);
	st = stats(&x);
	EXPECT_FIELDS(&st, PS(pages_walked, 2 * 4194304ull), PS(host_maps, 4096),
		      PS(host_unmap_calls, 2 * 4096 * 10), PS(shadow_pages, 4096));
	assert_int_equal(isim_shadow_segments(x.p->fns[0]->shadow), 4096);
	fx_done(&x);
}

/* ---- the kinds' tables ---- */

static const struct isim_platform_ops *kind_ops(unsigned int k)
{
	return isim_platform_kind_ops((enum iommusim_platform_kind)k);
}

/* Whether some parameter of the cost table is in @area ("qemu."). */
static bool area_has_params(const char *area)
{
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++)
		if (!strncmp(iommusim_cost_param((enum iommusim_cost_id)i)->name, area,
			     strlen(area)))
			return true;
	return false;
}

/*
 * Every kind has its table, named as the kind, with its RPCIT model; a kind that shadows checks
 * each RPCIT against the registration, so it also says what a refused one costs. Each area of
 * parameters is claimed by one kind at most and holds parameters of the table.
 */
static void test_platform_every_kind_has_complete_ops(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < IOMMUSIM_PLATFORM_NR; k++) {
		const struct isim_platform_ops *ops = kind_ops(k);

		assert_non_null(ops);
		assert_non_null(ops->name);
		assert_string_equal(ops->name,
				    iommusim_platform_name((enum iommusim_platform_kind)k));
		assert_non_null(ops->rpcit);
		if (ops->shadows)
			assert_non_null(ops->refused);
		for (const char *const *a = ops->areas; a && *a; a++) {
			assert_true(area_has_params(*a));
			for (unsigned int j = 0; j < k; j++)
				for (const char *const *b = kind_ops(j)->areas; b && *b; b++)
					assert_string_not_equal(*a, *b);
		}
	}
	assert_null(isim_platform_kind_ops(IOMMUSIM_PLATFORM_NR));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_platform_names_and_create_errors),
		cmocka_unit_test(test_platform_zpci_config_windows),
		cmocka_unit_test(test_platform_set_ioat_checks),
		cmocka_unit_test(test_platform_lpar_charges_rpcit_ns),
		cmocka_unit_test(test_platform_kvm_map_one_page),
		cmocka_unit_test(test_platform_kvm_unmap_one_page),
		cmocka_unit_test(test_platform_kvm_unmap_runs),
		cmocka_unit_test(test_platform_pow2_pieces),
		cmocka_unit_test(test_platform_kvm_global_refresh_warm),
		cmocka_unit_test(test_platform_kvm_invalid_segment_and_region),
		cmocka_unit_test(test_platform_kvm_budget_exhausted),
		cmocka_unit_test(test_platform_kvm_budget_ends_at_zero),
		cmocka_unit_test(test_platform_kvm_second_pass),
		cmocka_unit_test(test_platform_kvm_budget_shared_by_functions),
		cmocka_unit_test(test_platform_kvm_generations),
		cmocka_unit_test(test_platform_kvm_no_coalesce),
		cmocka_unit_test(test_platform_kvm_changed_target),
		cmocka_unit_test(test_platform_kvm_silent_drops),
		cmocka_unit_test(test_platform_kvm_errors),
		cmocka_unit_test(test_platform_kvm_server_wait),
		cmocka_unit_test(test_platform_zvm_costs),
		cmocka_unit_test(test_platform_zvm_limit_and_server),
		cmocka_unit_test(test_platform_kvm_matches_reference),
		cmocka_unit_test(test_platform_kvm_global_refresh_16g),
		cmocka_unit_test(test_platform_every_kind_has_complete_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
