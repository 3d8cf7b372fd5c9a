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

#define GiB (1ull << 30)
#define PAGE 4096ull
#define FH 0x0a0b0c0du
/* QEMU's window start; 1 GiB of guest memory makes the window [4 GiB, 5 GiB - 1]. */
#define START_DMA (4 * GiB)
#define END_DMA (5 * GiB - 1)

struct rig {
	struct iommusim_mem *mem;
	struct iommusim_firmware *fw;
	struct iommusim_clock *clock;
	struct iommusim_domain *domain;
	struct iommusim_device *dev;
	struct iommusim_cpu *cpu[2];
};

enum policy { STRICT, LAZY_AUTO, LAZY_PERCPU, LEGACY_LAZY };

static void rig_up(struct rig *r, enum policy pol, bool tlb_refresh, uint64_t guest_memory)
{
	struct iommusim_device_config dcfg = {
		.name = "nvme",
		.pci = true,
		.dma_mask = IOMMUSIM_DMA_BIT_MASK(64),
		.coherent_dma_mask = IOMMUSIM_DMA_BIT_MASK(64),
	};
	struct iommusim_zpci_config zcfg = {
		.fh = FH,
		.tlb_refresh = tlb_refresh,
		.start_dma = START_DMA,
		.end_dma = IOMMUSIM_ZPCI_QEMU_END_DMA,
		.guest_memory = guest_memory,
	};

	*r = (struct rig){ 0 };
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &r->mem), 0);
	assert_int_equal(iommusim_firmware_create_script(r->mem, &r->fw), 0);
	assert_int_equal(iommusim_manual_clock_create(r->mem, &r->clock), 0);
	assert_int_equal(iommusim_cpu_create(r->mem, 0, &r->cpu[0]), 0);
	assert_int_equal(iommusim_cpu_create(r->mem, 1, &r->cpu[1]), 0);
	assert_int_equal(iommusim_device_create(r->mem, &dcfg, &r->dev), 0);
	assert_int_equal(iommusim_s390_device_init(r->dev, r->fw, &zcfg), 0);
	if (pol == LEGACY_LAZY) {
		struct iommusim_s390_legacy_config lcfg = { .strict = false };

		assert_int_equal(iommusim_s390_legacy_dma_setup(r->dev, &lcfg), 0);
	} else {
		struct iommusim_dma_iommu_config cfg = {
			.mode = pol == STRICT ? IOMMUSIM_DMA_STRICT : IOMMUSIM_DMA_LAZY,
			.fq_type = pol == LAZY_PERCPU ? IOMMUSIM_FQ_PER_CPU : IOMMUSIM_FQ_AUTO,
			.forcedac = true,
			.possible_cpus = 2,
			.clock = r->clock,
		};

		assert_int_equal(iommusim_s390_domain_create(r->mem, IOMMUSIM_KERNEL_6_7,
							     &r->domain), 0);
		assert_int_equal(iommusim_dma_iommu_setup(r->dev, r->domain, &cfg), 0);
	}
	iommusim_firmware_script_log_clear(r->fw);
}

static void rig_down(struct rig *r)
{
	iommusim_device_destroy(r->dev);
	iommusim_domain_destroy(r->domain);
	iommusim_cpu_destroy(r->cpu[0]);
	iommusim_cpu_destroy(r->cpu[1]);
	iommusim_firmware_destroy(r->fw);
	iommusim_clock_destroy(r->clock);
	assert_int_equal(iommusim_mem_live_objects(r->mem), 0);
	iommusim_mem_destroy(r->mem);
}

static void expect_rpcit(struct rig *r, size_t i, uint64_t addr, uint64_t len)
{
	struct iommusim_firmware_call call;

	assert_int_equal(iommusim_firmware_script_log_get(r->fw, i, &call), 0);
	assert_int_equal(call.kind, IOMMUSIM_FIRMWARE_CALL_RPCIT);
	assert_int_equal(call.fh, FH);
	assert_int_equal(call.addr, addr);
	assert_int_equal(call.len, len);
}

static size_t log_len(struct rig *r)
{
	return iommusim_firmware_script_log_len(r->fw);
}

/* Strict on a paging guest: a ranged RPCIT after every map and after every unmap. */
static void test_policy_strict_paging_guest(void **state)
{
	struct rig r;
	uint64_t dma;

	(void)state;
	rig_up(&r, STRICT, true, 1 * GiB);
	assert_int_equal(iommusim_dma_map_page(r.dev, r.cpu[0], 0x1234000, 2 * PAGE,
					       IOMMUSIM_DMA_BIDIRECTIONAL, &dma), 0);
	/* Top-down from the end of the window. */
	assert_int_equal(dma, END_DMA + 1 - 2 * PAGE);
	assert_int_equal(log_len(&r), 1);
	expect_rpcit(&r, 0, dma, 2 * PAGE);
	iommusim_dma_unmap_page(r.dev, r.cpu[0], dma, 2 * PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	assert_int_equal(log_len(&r), 2);
	expect_rpcit(&r, 1, dma, 2 * PAGE);
	/* The IOVA went straight back to the rcache: the next map gets it again. */
	assert_int_equal(iommusim_dma_map_page(r.dev, r.cpu[0], 0x5000, 2 * PAGE,
					       IOMMUSIM_DMA_TO_DEVICE, &dma), 0);
	assert_int_equal(dma, END_DMA + 1 - 2 * PAGE);
	iommusim_dma_unmap_page(r.dev, r.cpu[0], dma, 2 * PAGE, IOMMUSIM_DMA_TO_DEVICE);
	rig_down(&r);
}

/* Strict on LPAR: no RPCIT on map, one on unmap. */
static void test_policy_strict_lpar(void **state)
{
	struct rig r;
	uint64_t dma;

	(void)state;
	rig_up(&r, STRICT, false, 1 * GiB);
	assert_int_equal(iommusim_dma_map_page(r.dev, r.cpu[0], 0x10000, PAGE,
					       IOMMUSIM_DMA_FROM_DEVICE, &dma), 0);
	assert_int_equal(log_len(&r), 0);
	iommusim_dma_unmap_page(r.dev, r.cpu[0], dma, PAGE, IOMMUSIM_DMA_FROM_DEVICE);
	assert_int_equal(log_len(&r), 1);
	expect_rpcit(&r, 0, dma, PAGE);
	rig_down(&r);
}

/*
 * Per-CPU flush queue on LPAR: capacity 255 per CPU; the 256th unmap on a CPU finds its queue
 * full and flushes globally, once, over the whole window.
 */
static void test_policy_fq_percpu_flushes_at_256(void **state)
{
	struct rig r;
	uint64_t dma;

	(void)state;
	rig_up(&r, LAZY_AUTO, false, 1 * GiB);
	for (int i = 0; i < 255; i++) {
		assert_int_equal(iommusim_dma_map_page(r.dev, r.cpu[0], 0x10000, PAGE,
						       IOMMUSIM_DMA_BIDIRECTIONAL, &dma), 0);
		iommusim_dma_unmap_page(r.dev, r.cpu[0], dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	}
	/* CPU 1's queue is its own: 255 more there flush nothing either. */
	for (int i = 0; i < 255; i++) {
		assert_int_equal(iommusim_dma_map_page(r.dev, r.cpu[1], 0x10000, PAGE,
						       IOMMUSIM_DMA_BIDIRECTIONAL, &dma), 0);
		iommusim_dma_unmap_page(r.dev, r.cpu[1], dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	}
	assert_int_equal(log_len(&r), 0);
	assert_int_equal(iommusim_dma_map_page(r.dev, r.cpu[0], 0x10000, PAGE,
					       IOMMUSIM_DMA_BIDIRECTIONAL, &dma), 0);
	iommusim_dma_unmap_page(r.dev, r.cpu[0], dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	assert_int_equal(log_len(&r), 1);
	expect_rpcit(&r, 0, START_DMA, END_DMA - START_DMA + 1);

	/* The 10 ms timer, armed by the first queued entry, flushes once more and drains. */
	assert_true(iommusim_clock_pending(r.clock) > 0);
	iommusim_manual_clock_tick(r.clock);
	assert_int_equal(log_len(&r), 2);
	expect_rpcit(&r, 1, START_DMA, END_DMA - START_DMA + 1);
	rig_down(&r);
}

/*
 * A paging guest (tlb_refresh) gets the single queue: a ranged RPCIT after each map, none on
 * unmap until 32767 entries are pending, then one global RPCIT.
 */
static void test_policy_fq_single_paging_guest(void **state)
{
	struct rig r;
	uint64_t dma;
	size_t n;

	(void)state;
	rig_up(&r, LAZY_AUTO, true, 1 * GiB);
	assert_true(iommusim_device_shadow_on_flush(r.dev));
	for (int i = 0; i < 32767; i++) {
		assert_int_equal(iommusim_dma_map_page(r.dev, r.cpu[i & 1], 0x10000, PAGE,
						       IOMMUSIM_DMA_BIDIRECTIONAL, &dma), 0);
		iommusim_dma_unmap_page(r.dev, r.cpu[i & 1], dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	}
	/* One sync-map RPCIT per map and nothing else. */
	n = log_len(&r);
	assert_int_equal(n, 32767);
	for (size_t i = 0; i < n; i += 4096) {
		struct iommusim_firmware_call call;

		iommusim_firmware_script_log_get(r.fw, i, &call);
		assert_int_equal(call.len, PAGE);
	}
	assert_int_equal(iommusim_dma_map_page(r.dev, r.cpu[0], 0x10000, PAGE,
					       IOMMUSIM_DMA_BIDIRECTIONAL, &dma), 0);
	expect_rpcit(&r, 32767, dma, PAGE);
	iommusim_dma_unmap_page(r.dev, r.cpu[0], dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	assert_int_equal(log_len(&r), 32769);
	expect_rpcit(&r, 32768, START_DMA, END_DMA - START_DMA + 1);
	rig_down(&r);
}

/*
 * Legacy lazy ops: next-fit through the window and one global RPCIT exactly when the
 * allocator wraps around. A 1 MiB guest makes a 256-page window, of which the last page is
 * never handed out: 255 single-page maps fit before the first wrap.
 */
static void test_policy_legacy_global_flush_per_wrap(void **state)
{
	const uint64_t window = 256 * PAGE;
	struct rig r;
	uint64_t dma;

	(void)state;
	rig_up(&r, LEGACY_LAZY, false, window);
	for (int i = 0; i < 255; i++) {
		assert_int_equal(iommusim_dma_map_page(r.dev, r.cpu[0], 0x10000, PAGE,
						       IOMMUSIM_DMA_BIDIRECTIONAL, &dma), 0);
		assert_int_equal(dma, START_DMA + (uint64_t)i * PAGE);
		iommusim_dma_unmap_page(r.dev, r.cpu[0], dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	}
	assert_int_equal(log_len(&r), 0);
	/* The 256th wraps: one global RPCIT over the window, then the start is reused. */
	assert_int_equal(iommusim_dma_map_page(r.dev, r.cpu[0], 0x10000, PAGE,
					       IOMMUSIM_DMA_BIDIRECTIONAL, &dma), 0);
	assert_int_equal(dma, START_DMA);
	assert_int_equal(log_len(&r), 1);
	expect_rpcit(&r, 0, START_DMA, window);
	iommusim_dma_unmap_page(r.dev, r.cpu[0], dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);
	rig_down(&r);
}

/*
 * Out of resources on a paging guest: the map RPCIT answers cc 1 / status 16; dma-iommu's
 * s390 driver answers with one global RPCIT and the map succeeds.
 */
static void test_policy_enomem_answered_by_global_rpcit(void **state)
{
	struct iommusim_s390_counters ctrs;
	struct rig r;
	uint64_t dma;

	(void)state;
	rig_up(&r, LAZY_AUTO, true, 1 * GiB);
	assert_int_equal(iommusim_firmware_script_push(r.fw, 1, 16), 0);
	assert_int_equal(iommusim_dma_map_page(r.dev, r.cpu[0], 0x10000, PAGE,
					       IOMMUSIM_DMA_BIDIRECTIONAL, &dma), 0);
	assert_int_equal(log_len(&r), 2);
	expect_rpcit(&r, 0, dma, PAGE);
	expect_rpcit(&r, 1, START_DMA, END_DMA - START_DMA + 1);
	assert_int_equal(iommusim_s390_domain_counters(r.domain, &ctrs), 0);
	assert_int_equal(ctrs.sync_map_rpcits, 1);
	assert_int_equal(ctrs.global_rpcits, 0);
	assert_int_equal(ctrs.enomem_global_rpcits, 1);
	iommusim_dma_unmap_page(r.dev, r.cpu[0], dma, PAGE, IOMMUSIM_DMA_BIDIRECTIONAL);

	/* Both refused: the map fails and leaves nothing mapped. */
	assert_int_equal(iommusim_firmware_script_push(r.fw, 1, 16), 0);
	assert_int_equal(iommusim_firmware_script_push(r.fw, 1, 16), 0);
	assert_int_not_equal(iommusim_dma_map_page(r.dev, r.cpu[0], 0x10000, PAGE,
						   IOMMUSIM_DMA_BIDIRECTIONAL, &dma), 0);
	rig_down(&r);
}

/*
 * The mlx5 probe-order failure: s390 IOVAs start at 4 GiB and forcedac skips the 32-bit
 * attempt, so a coherent allocation under the default 32-bit coherent mask finds no IOVA and
 * leaves nothing behind; with a 64-bit coherent mask it succeeds.
 */
static void test_policy_coherent_32bit_mask_fails_on_s390(void **state)
{
	struct iommusim_iova_stats before, after;
	struct rig r;
	uint64_t dma = 0;

	(void)state;
	rig_up(&r, LAZY_AUTO, true, 1 * GiB);
	assert_int_equal(iommusim_device_set_coherent_mask(r.dev, IOMMUSIM_DMA_BIT_MASK(32)), 0);
	iommusim_iova_get_stats(iommusim_dma_iova_domain(r.dev), &before);
	assert_int_equal(iommusim_dma_alloc_coherent(r.dev, r.cpu[0], 0x200000, 4 * PAGE, &dma),
			 -ENOMEM);
	iommusim_iova_get_stats(iommusim_dma_iova_domain(r.dev), &after);
	assert_int_equal(after.nodes, before.nodes);
	assert_int_equal(log_len(&r), 0);

	assert_int_equal(iommusim_device_set_coherent_mask(r.dev, IOMMUSIM_DMA_BIT_MASK(64)), 0);
	assert_int_equal(iommusim_dma_alloc_coherent(r.dev, r.cpu[0], 0x200000, 4 * PAGE, &dma), 0);
	assert_true(dma >= START_DMA && dma + 4 * PAGE - 1 <= END_DMA);
	iommusim_dma_free_coherent(r.dev, r.cpu[0], 4 * PAGE, dma);
	rig_down(&r);
}

/* Lazy unmap: the PTEs are invalid at once, the IOVA stays reserved until a flush reclaims it. */
static void test_policy_lazy_unmap_faults_but_keeps_iova(void **state)
{
	struct rig r;
	uint64_t dma, phys;
	int prot;

	(void)state;
	rig_up(&r, LAZY_PERCPU, false, 1 * GiB);
	assert_int_equal(iommusim_dma_map_page(r.dev, r.cpu[0], 0x7000, PAGE,
					       IOMMUSIM_DMA_TO_DEVICE, &dma), 0);
	assert_int_equal(iommusim_iommu_translate(r.domain, dma, &phys, &prot), 0);
	assert_int_equal(phys, 0x7000);
	assert_int_equal(prot & IOMMUSIM_PROT_WRITE, 0);
	iommusim_dma_unmap_page(r.dev, r.cpu[0], dma, PAGE, IOMMUSIM_DMA_TO_DEVICE);
	assert_int_equal(iommusim_iommu_translate(r.domain, dma, &phys, &prot), -EFAULT);
	assert_int_equal(iommusim_iova_find(iommusim_dma_iova_domain(r.dev), r.cpu[0],
					    dma >> 12, NULL, NULL), 0);
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_strict_paging_guest),
		cmocka_unit_test(test_policy_strict_lpar),
		cmocka_unit_test(test_policy_fq_percpu_flushes_at_256),
		cmocka_unit_test(test_policy_fq_single_paging_guest),
		cmocka_unit_test(test_policy_legacy_global_flush_per_wrap),
		cmocka_unit_test(test_policy_enomem_answered_by_global_rpcit),
		cmocka_unit_test(test_policy_coherent_32bit_mask_fails_on_s390),
		cmocka_unit_test(test_policy_lazy_unmap_faults_but_keeps_iova),
	};

	return cmocka_run_group_tests_name("policy_rpcit", tests, NULL, NULL);
}
