/* SPDX-License-Identifier: MIT */
/*
 * The RPCIT stream each DMA policy produces on s390, end to end: DMA API -> dma-iommu or the
 * legacy ops -> s390 IOMMU driver -> scripted firmware, whose log is checked call by call.
 * Expected streams follow the kernel (Linux 6.7 drivers/iommu/s390-iommu.c and dma-iommu.c,
 * Linux 6.6 arch/s390/pci/pci_dma.c) as docs/dma.md tabulates them (docs/sources.md S18, S19).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <iommusim/iommusim.h>

#include "fixture_state.h"
#include "fw_log.h"
#include "zpci_rig.h"

#define GiB  (1ull << 30)
#define PAGE 4096ull
#define FH   0x0a0b0c0du
/* QEMU's window start; 1 GiB of guest memory makes the window [4 GiB, 5 GiB - 1]. */
#define START_DMA (4 * GiB)
#define END_DMA	  (5 * GiB - 1)

/* Two CPUs, forcedac as on s390, the firmware log empty. */
static void rig_up(struct zpci_rig *r, enum zpci_rig_policy pol, bool tlb_refresh,
		   uint64_t guest_memory)
{
	struct zpci_rig_config cfg = {
		.policy = pol,
		.ncpu = 2,
		.zpci = {.fh = FH, .tlb_refresh = tlb_refresh, .guest_memory = guest_memory},
		.dma = {.forcedac = true},
	};

	assert_int_equal(zpci_rig_up(r, &cfg), 0);
	/* QEMU's window cut to guest memory */
	assert_int_equal(r->start_dma, START_DMA);
	iommusim_firmware_script_log_clear(r->fw);
}

static void rig_down(struct zpci_rig *r)
{
	assert_int_equal(zpci_rig_down(r).objects, 0);
}

/* Most tests: the flush queue (per-CPU or single, as the kernel picks it), TLB refresh on. */
FIXTURE_STATE(rig, struct zpci_rig, rig_up, rig_down, ZPCI_RIG_FQ_AUTO, true, 1 * GiB)

/* Whatever its answer: the tests that script refusals check their effect. */
static void expect_rpcit(struct zpci_rig *r, size_t i, uint64_t addr, uint64_t len)
{
	fw_expect_rpcit(r->fw, i, FH, addr, len, -1);
}

static size_t log_len(struct zpci_rig *r)
{
	return iommusim_firmware_script_log_len(r->fw);
}

/* Map @size bytes at @phys on CPU @cpu, which must succeed; the bus address. */
static uint64_t map(struct zpci_rig *r, unsigned int cpu, uint64_t phys, uint64_t size,
		    enum iommusim_dma_dir dir)
{
	uint64_t dma = 0;

	assert_int_equal(iommusim_dma_map_page(r->dev, r->cpu[cpu], phys, size, dir, &dma), 0);
	return dma;
}

static void unmap(struct zpci_rig *r, unsigned int cpu, uint64_t dma, uint64_t size,
		  enum iommusim_dma_dir dir)
{
	iommusim_dma_unmap_page(r->dev, r->cpu[cpu], dma, size, dir);
}

/* Strict on a paging guest: a ranged RPCIT after every map and after every unmap. */
static void test_policy_strict_paging_guest(void **state)
{
	struct zpci_rig *r = *state;
	uint64_t dma;

	rig_up(r, ZPCI_RIG_STRICT, true, 1 * GiB);
	dma = map(r, 0, 0x1234000, 2 * PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	/* Top-down from the end of the window. */
	assert_int_equal(dma, END_DMA + 1 - 2 * PAGE);
	assert_int_equal(log_len(r), 1);
	expect_rpcit(r, 0, dma, 2 * PAGE);
	unmap(r, 0, dma, 2 * PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	assert_int_equal(log_len(r), 2);
	expect_rpcit(r, 1, dma, 2 * PAGE);
	/* The IOVA went straight back to the rcache: the next map gets it again. */
	dma = map(r, 0, 0x5000, 2 * PAGE, IOMMUSIM_DMA_TO_DEVICE);
	assert_int_equal(dma, END_DMA + 1 - 2 * PAGE);
	unmap(r, 0, dma, 2 * PAGE, IOMMUSIM_DMA_TO_DEVICE);
}

/* Strict on LPAR: no RPCIT on map, one on unmap. */
static void test_policy_strict_lpar(void **state)
{
	struct zpci_rig *r = *state;
	uint64_t dma;

	rig_up(r, ZPCI_RIG_STRICT, false, 1 * GiB);
	dma = map(r, 0, 0x10000, PAGE, IOMMUSIM_DMA_FROM_DEVICE);
	assert_int_equal(log_len(r), 0);
	unmap(r, 0, dma, PAGE, IOMMUSIM_DMA_FROM_DEVICE);
	assert_int_equal(log_len(r), 1);
	expect_rpcit(r, 0, dma, PAGE);
}

/*
 * Per-CPU flush queue on LPAR: capacity 255 per CPU; the 256th unmap on a CPU finds its queue
 * full and flushes globally, once, over the whole window.
 */
static void test_policy_fq_percpu_flushes_at_256(void **state)
{
	struct zpci_rig *r = *state;
	uint64_t dma;

	rig_up(r, ZPCI_RIG_FQ_AUTO, false, 1 * GiB);
	for (int i = 0; i < 255; i++) {
		dma = map(r, 0, 0x10000, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
		unmap(r, 0, dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	}
	/* CPU 1's queue is its own: 255 more there flush nothing either. */
	for (int i = 0; i < 255; i++) {
		dma = map(r, 1, 0x10000, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
		unmap(r, 1, dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	}
	assert_int_equal(log_len(r), 0);
	dma = map(r, 0, 0x10000, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	unmap(r, 0, dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	assert_int_equal(log_len(r), 1);
	expect_rpcit(r, 0, START_DMA, END_DMA - START_DMA + 1);

	/* The 10 ms timer, armed by the first queued entry, flushes once more and drains. */
	assert_true(iommusim_clock_pending(r->clock) > 0);
	iommusim_manual_clock_tick(r->clock);
	assert_int_equal(log_len(r), 2);
	expect_rpcit(r, 1, START_DMA, END_DMA - START_DMA + 1);
}

/*
 * A paging guest (tlb_refresh) gets the single queue: a ranged RPCIT after each map, none on
 * unmap until 32767 entries are pending, then one global RPCIT.
 */
static void test_policy_fq_single_paging_guest(void **state)
{
	struct zpci_rig *r = *state;
	uint64_t dma;
	size_t n;

	assert_true(iommusim_device_shadow_on_flush(r->dev));
	for (int i = 0; i < 32767; i++) {
		dma = map(r, i & 1, 0x10000, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
		unmap(r, i & 1, dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	}
	/* One sync-map RPCIT per map and nothing else. */
	n = log_len(r);
	assert_int_equal(n, 32767);
	for (size_t i = 0; i < n; i += 4096) {
		struct iommusim_firmware_call call;

		iommusim_firmware_script_log_get(r->fw, i, &call);
		assert_int_equal(call.len, PAGE);
	}
	dma = map(r, 0, 0x10000, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	expect_rpcit(r, 32767, dma, PAGE);
	unmap(r, 0, dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	assert_int_equal(log_len(r), 32769);
	expect_rpcit(r, 32768, START_DMA, END_DMA - START_DMA + 1);
}

/*
 * Legacy lazy ops: next-fit through the window and one global RPCIT exactly when the
 * allocator wraps around. A 1 MiB guest makes a 256-page window, of which the last page is
 * never handed out: 255 single-page maps fit before the first wrap.
 */
static void test_policy_legacy_global_flush_per_wrap(void **state)
{
	const uint64_t window = 256 * PAGE;
	struct zpci_rig *r = *state;
	uint64_t dma;

	rig_up(r, ZPCI_RIG_LEGACY_LAZY, false, window);
	for (int i = 0; i < 255; i++) {
		dma = map(r, 0, 0x10000, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
		assert_int_equal(dma, START_DMA + (uint64_t)i * PAGE);
		unmap(r, 0, dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	}
	assert_int_equal(log_len(r), 0);
	/* The 256th wraps: one global RPCIT over the window, then the start is reused. */
	dma = map(r, 0, 0x10000, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	assert_int_equal(dma, START_DMA);
	assert_int_equal(log_len(r), 1);
	expect_rpcit(r, 0, START_DMA, window);
	unmap(r, 0, dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
}

/*
 * Out of resources on a paging guest: the map RPCIT answers cc 1 / status 16; dma-iommu's
 * s390 driver answers with one global RPCIT and the map succeeds.
 */
static void test_policy_enomem_answered_by_global_rpcit(void **state)
{
	struct iommusim_s390_counters ctrs;
	struct zpci_rig *r = *state;
	uint64_t dma;

	assert_int_equal(iommusim_firmware_script_push(r->fw, 1, 16), 0);
	dma = map(r, 0, 0x10000, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	assert_int_equal(log_len(r), 2);
	expect_rpcit(r, 0, dma, PAGE);
	expect_rpcit(r, 1, START_DMA, END_DMA - START_DMA + 1);
	assert_int_equal(iommusim_s390_domain_counters(r->domain, &ctrs), 0);
	assert_int_equal(ctrs.sync_map_rpcits, 1);
	assert_int_equal(ctrs.global_rpcits, 0);
	assert_int_equal(ctrs.enomem_global_rpcits, 1);
	unmap(r, 0, dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);

	/* Both refused: the map fails and leaves nothing mapped. */
	assert_int_equal(iommusim_firmware_script_push(r->fw, 1, 16), 0);
	assert_int_equal(iommusim_firmware_script_push(r->fw, 1, 16), 0);
	assert_int_not_equal(iommusim_dma_map_page(r->dev, r->cpu[0], 0x10000, PAGE,
						   IOMMUSIM_DMA_BIDIRECTIONAL, &dma),
			     0);
}

/*
 * The mlx5 probe-order failure: s390 IOVAs start at 4 GiB and forcedac skips the 32-bit
 * attempt, so a coherent allocation under the default 32-bit coherent mask finds no IOVA and
 * leaves nothing behind; with a 64-bit coherent mask it succeeds.
 */
static void test_policy_coherent_32bit_mask_fails_on_s390(void **state)
{
	struct iommusim_iova_stats before, after;
	struct zpci_rig *r = *state;
	uint64_t dma = 0;

	assert_int_equal(iommusim_device_set_coherent_mask(r->dev, IOMMUSIM_DMA_BIT_MASK(32)), 0);
	iommusim_iova_get_stats(iommusim_dma_iova_domain(r->dev), &before);
	assert_int_equal(iommusim_dma_alloc_coherent(r->dev, r->cpu[0], 0x200000, 4 * PAGE, &dma),
			 -ENOMEM);
	iommusim_iova_get_stats(iommusim_dma_iova_domain(r->dev), &after);
	assert_int_equal(after.nodes, before.nodes);
	assert_int_equal(log_len(r), 0);

	assert_int_equal(iommusim_device_set_coherent_mask(r->dev, IOMMUSIM_DMA_BIT_MASK(64)), 0);
	assert_int_equal(iommusim_dma_alloc_coherent(r->dev, r->cpu[0], 0x200000, 4 * PAGE, &dma),
			 0);
	assert_true(dma >= START_DMA && dma + 4 * PAGE - 1 <= END_DMA);
	iommusim_dma_free_coherent(r->dev, r->cpu[0], 4 * PAGE, dma);
}

/* Lazy unmap: the PTEs are invalid at once, the IOVA stays reserved until a flush reclaims it. */
static void test_policy_lazy_unmap_faults_but_keeps_iova(void **state)
{
	struct zpci_rig *r = *state;
	uint64_t dma, phys;
	int prot;

	rig_up(r, ZPCI_RIG_FQ_PER_CPU, false, 1 * GiB);
	dma = map(r, 0, 0x7000, PAGE, IOMMUSIM_DMA_TO_DEVICE);
	assert_int_equal(iommusim_iommu_translate(r->domain, dma, &phys, &prot), 0);
	assert_int_equal(phys, 0x7000);
	assert_int_equal(prot & IOMMUSIM_PROT_WRITE, 0);
	unmap(r, 0, dma, PAGE, IOMMUSIM_DMA_TO_DEVICE);
	assert_int_equal(iommusim_iommu_translate(r->domain, dma, &phys, &prot), -EFAULT);
	assert_int_equal(iommusim_iova_find(iommusim_dma_iova_domain(r->dev), r->cpu[0], dma >> 12,
					    NULL, NULL),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_policy_strict_paging_guest, rig_alloc,
						rig_teardown),
		cmocka_unit_test_setup_teardown(test_policy_strict_lpar, rig_alloc, rig_teardown),
		cmocka_unit_test_setup_teardown(test_policy_fq_percpu_flushes_at_256, rig_alloc,
						rig_teardown),
		cmocka_unit_test_setup_teardown(test_policy_fq_single_paging_guest, rig_setup,
						rig_teardown),
		cmocka_unit_test_setup_teardown(test_policy_legacy_global_flush_per_wrap, rig_alloc,
						rig_teardown),
		cmocka_unit_test_setup_teardown(test_policy_enomem_answered_by_global_rpcit,
						rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_policy_coherent_32bit_mask_fails_on_s390,
						rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_policy_lazy_unmap_faults_but_keeps_iova,
						rig_alloc, rig_teardown),
	};

	return cmocka_run_group_tests_name("policy_rpcit", tests, NULL, NULL);
}
