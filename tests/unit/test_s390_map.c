/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the s390 paging domain's map and unmap: page-table entries written without an
 * RPCIT on LPAR and with one ranged RPCIT where the TLB must be refreshed, the gather of unmap,
 * the global flush, protection, faults of translation, bad ranges, the lazily allocated tables
 * and their allocation failures, and concurrent maps sharing tables.
 */
#include "s390_iommu_fixture.h"

static void test_s390_map_lpar_writes_ptes_without_rpcit(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x10, false);
	struct iommusim_s390_counters c;
	const uint64_t iova = SZ_4G + 16 * SZ_4K, n = 5;
	uint64_t pa;
	int prot;
	struct fix *f = *state;

	add_zdev(f, &cfg);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, iova, PHYS, n * SZ_4K,
					    IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE),
			 0);
	/* one PTE written per page; LPAR (tlb_refresh 0): iotlb_sync_map skips the function */
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_PTE_WRITE), n);
	assert_int_equal(log_len(f), 0);
	for (uint64_t i = 0; i < n; i++) {
		assert_int_equal(iommusim_iommu_translate(f->dom, iova + i * SZ_4K, &pa, &prot), 0);
		assert_int_equal(pa, PHYS + i * SZ_4K);
		assert_int_equal(prot, IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE);
	}
	/* like the 6.7 iova_to_phys, the page address comes back without the offset */
	assert_int_equal(iommusim_iommu_translate(f->dom, iova + 0x123, &pa, NULL), 0);
	assert_int_equal(pa, PHYS);
	c = ctrs(f);
	assert_int_equal(c.mapped_pages, n);
	assert_int_equal(c.sync_map_rpcits + c.sync_rpcits + c.global_rpcits, 0);
}

static void test_s390_map_tlb_refresh_one_ranged_rpcit_per_function(void **state)
{
	struct iommusim_zpci_config a = qemu_cfg(0xa1, true), b = qemu_cfg(0xb2, false),
				    c = qemu_cfg(0xc3, true);
	const uint64_t iova = SZ_4G + SZ_1M, size = 3 * SZ_4K;
	struct iommusim_firmware_call call;
	struct fix *f = *state;

	add_zdev(f, &a);
	add_zdev(f, &b);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, iova, PHYS, size, IOMMUSIM_PROT_READ),
			 0);
	/* one tlb_refresh function: exactly one RPCIT over [iova, iova + size) for its fh */
	assert_int_equal(log_len(f), 1);
	expect_call(f, 0, 0xa1, iova, size, 0);
	assert_int_equal(ctrs(f).sync_map_rpcits, 1);
	/* a second tlb_refresh function: one more ranged RPCIT per map, none for the LPAR one */
	iommusim_firmware_script_log_clear(f->fw);
	add_zdev(f, &c);
	assert_int_equal(
		iommusim_iommu_map(f->dom, f->cpu, iova + size, PHYS, SZ_4K, IOMMUSIM_PROT_READ),
		0);
	assert_int_equal(log_len(f), 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(iommusim_firmware_script_log_get(f->fw, i, &call), 0);
		assert_true(call.fh == 0xa1 || call.fh == 0xc3);
		assert_int_equal(call.addr, iova + size);
		assert_int_equal(call.len, SZ_4K);
	}
	assert_int_equal(ctrs(f).sync_map_rpcits, 3);
	assert_int_equal(ctrs(f).global_rpcits, 0);
}

static void test_s390_unmap_sync_covers_inclusive_gather(void **state)
{
	struct iommusim_zpci_config cfg = qemu_cfg(0x77, false);
	struct iommusim_iotlb_gather g;
	const uint64_t base = SZ_4G + 64 * SZ_4K;
	struct iommusim_s390_counters c;
	struct fix *f = *state;

	add_zdev(f, &cfg);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, base, PHYS, 2 * SZ_4K, 3), 0);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, base + 4 * SZ_4K, PHYS, SZ_4K, 3), 0);
	/* unmap_pages only records: no RPCIT until the sync */
	iommusim_iotlb_gather_init(&g);
	assert_int_equal(iommusim_iommu_unmap_fast(f->dom, f->cpu, base, 2 * SZ_4K, &g), 2 * SZ_4K);
	assert_int_equal(iommusim_iommu_unmap_fast(f->dom, f->cpu, base + 4 * SZ_4K, SZ_4K, &g),
			 SZ_4K);
	assert_int_equal(log_len(f), 0);
	/* one RPCIT over [start, end] inclusive: 5 pages, the 2-page gap included */
	iommusim_iommu_iotlb_sync(f->dom, f->cpu, &g);
	assert_int_equal(log_len(f), 1);
	expect_call(f, 0, 0x77, base, 5 * SZ_4K, 0);
	/* the sync re-initialised the gather: syncing again flushes nothing */
	iommusim_iommu_iotlb_sync(f->dom, f->cpu, &g);
	assert_int_equal(log_len(f), 1);
	/* iommu_unmap syncs at once */
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, base, PHYS, SZ_4K, 3), 0);
	assert_int_equal(iommusim_iommu_unmap(f->dom, f->cpu, base, SZ_4K), SZ_4K);
	assert_int_equal(log_len(f), 2);
	expect_call(f, 1, 0x77, base, SZ_4K, 0);
	c = ctrs(f);
	EXPECT_FIELDS(&c, S390_COUNTERS(sync_rpcits, 2), S390_COUNTERS(mapped_pages, 4),
		      S390_COUNTERS(unmapped_pages, 4));
}

static void test_s390_flush_all_one_global_rpcit_per_function(void **state)
{
	struct iommusim_zpci_config a = qemu_cfg(0x1, false), b = qemu_cfg(0x2, true);
	struct iommusim_firmware_call call;
	struct fix *f = *state;

	b.aperture_factor = 2;
	add_zdev(f, &a);
	add_zdev(f, &b);
	iommusim_iommu_flush_iotlb_all(f->dom, f->cpu);
	/* each function's own window: a [4G, 8G - 1], b [4G, 12G - 1] */
	assert_int_equal(log_len(f), 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(iommusim_firmware_script_log_get(f->fw, i, &call), 0);
		assert_int_equal(call.addr, SZ_4G);
		assert_int_equal(call.len, call.fh == 0x1 ? SZ_4G : 2 * SZ_4G);
	}
	assert_int_equal(ctrs(f).global_rpcits, 2);
	assert_int_equal(ctrs(f).enomem_global_rpcits, 0);
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
	struct fix *f = *state;
	uint64_t pa;
	int prot;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t iova = SZ_4G + i * SZ_4K;

		assert_int_equal(
			iommusim_iommu_map(f->dom, f->cpu, iova, PHYS, SZ_4K, cases[i].prot), 0);
		assert_int_equal(iommusim_iommu_translate(f->dom, iova, &pa, &prot), 0);
		assert_int_equal(prot, cases[i].seen);
	}
	/* remapping a read-only page writable clears the bit again */
	assert_int_equal(iommusim_iommu_unmap(f->dom, f->cpu, SZ_4G, SZ_4K), SZ_4K);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G, PHYS, SZ_4K, 3), 0);
	assert_int_equal(iommusim_iommu_translate(f->dom, SZ_4G, &pa, &prot), 0);
	assert_int_equal(prot, IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE);
}

static void test_s390_translate_faults_when_not_mapped(void **state)
{
	const uint64_t iova = SZ_4G + 5 * SZ_2G;
	struct fix *f = *state;
	uint64_t pa;

	/* no table at all yet */
	assert_int_equal(iommusim_iommu_translate(f->dom, iova, &pa, NULL), -EFAULT);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, iova, PHYS, 3 * SZ_4K, 3), 0);
	/* the page table exists, the neighbouring PTE is invalid */
	assert_int_equal(iommusim_iommu_translate(f->dom, iova + 3 * SZ_4K, &pa, NULL), -EFAULT);
	/* unmap the middle page only */
	assert_int_equal(iommusim_iommu_unmap(f->dom, f->cpu, iova + SZ_4K, SZ_4K), SZ_4K);
	assert_int_equal(iommusim_iommu_translate(f->dom, iova + SZ_4K, &pa, NULL), -EFAULT);
	assert_int_equal(iommusim_iommu_translate(f->dom, iova, &pa, NULL), 0);
	assert_int_equal(pa, PHYS);
	assert_int_equal(iommusim_iommu_translate(f->dom, iova + 2 * SZ_4K, &pa, NULL), 0);
	assert_int_equal(pa, PHYS + 2 * SZ_4K);
	/* beyond the aperture nothing translates */
	assert_int_equal(iommusim_iommu_translate(f->dom, TIB4, &pa, NULL), -EFAULT);
	assert_int_equal(iommusim_iommu_translate(f->dom, TIB4 + iova, &pa, NULL), -EFAULT);
}

static void test_s390_map_outside_aperture_is_einval(void **state)
{
	struct iommusim_iotlb_gather g;
	uint64_t mapped = 1;
	struct fix *f = *state;

	/* crossing 4 TiB, or starting there: -EINVAL, and not a PTE written */
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, TIB4 - SZ_4K, PHYS, 2 * SZ_4K, 3),
			 -EINVAL);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, TIB4, PHYS, SZ_4K, 3), -EINVAL);
	assert_int_equal(f->dom->ops->map_pages(f->dom, f->cpu, UINT64_MAX - SZ_4K + 1, PHYS, SZ_4K,
						2, 3, &mapped),
			 -EINVAL);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_PTE_WRITE), 0);
	assert_int_equal(ctrs(f).mapped_pages, 0);
	/* the last page below 4 TiB is fine */
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, TIB4 - SZ_4K, PHYS, SZ_4K, 3), 0);
	/* unmap outside: 0 bytes, nothing gathered */
	iommusim_iotlb_gather_init(&g);
	assert_int_equal(iommusim_iommu_unmap_fast(f->dom, f->cpu, TIB4, SZ_4K, &g), 0);
	assert_int_equal(g.end, 0);
	assert_int_equal(iommusim_iommu_unmap(f->dom, f->cpu, TIB4 - SZ_4K, SZ_4K), SZ_4K);
}

static void test_s390_map_misaligned_is_einval(void **state)
{
	uint64_t mapped = 0;
	struct fix *f = *state;

	/* through iommu_map: the core's alignment check */
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G + 0x800, PHYS, SZ_4K, 3),
			 -EINVAL);
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G, PHYS + 0x10, SZ_4K, 3), -EINVAL);
	/* the driver's own checks: only 4K pages, iova | paddr 4K aligned */
	assert_int_equal(
		f->dom->ops->map_pages(f->dom, f->cpu, SZ_4G, PHYS, 2 * SZ_4K, 1, 3, &mapped),
		-EINVAL);
	assert_int_equal(
		f->dom->ops->map_pages(f->dom, f->cpu, SZ_4G + 0x200, PHYS, SZ_4K, 1, 3, &mapped),
		-EINVAL);
	assert_int_equal(
		f->dom->ops->map_pages(f->dom, f->cpu, SZ_4G, PHYS + 0x200, SZ_4K, 1, 3, &mapped),
		-EINVAL);
	assert_int_equal(mapped, 0);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_PTE_WRITE), 0);
}

static void test_s390_domain_tables_allocated_lazily(void **state)
{
	struct fix *f = *state;
	uint64_t objs;

	objs = iommusim_mem_live_objects(f->mem);
	/* first page: a segment table and a page table (MEM_ALLOC work 2) */
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G, PHYS, SZ_4K, 3), 0);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_MEM_ALLOC), 2);
	/* same 1 MiB: nothing new */
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G + SZ_4K, PHYS, SZ_4K, 3), 0);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_MEM_ALLOC), 2);
	/* next 1 MiB: one page table */
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G + SZ_1M, PHYS, SZ_4K, 3), 0);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_MEM_ALLOC), 3);
	/* next 2 GiB region: a segment and a page table */
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G + SZ_2G, PHYS, SZ_4K, 3), 0);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_MEM_ALLOC), 5);
	assert_int_equal(iommusim_mem_live_objects(f->mem), objs + 5);
	/* unmapping frees no table */
	assert_int_equal(iommusim_iommu_unmap(f->dom, f->cpu, SZ_4G, 2 * SZ_4K), 2 * SZ_4K);
	assert_int_equal(iommusim_iommu_unmap(f->dom, f->cpu, SZ_4G + SZ_2G, SZ_4K), SZ_4K);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_MEM_FREE), 0);
	assert_int_equal(iommusim_mem_live_objects(f->mem), objs + 5);
	/* a 1 MiB-aligned 4 MiB map spans exactly 4 page tables: 4 more (no new segment table) */
	assert_int_equal(iommusim_iommu_map(f->dom, f->cpu, SZ_4G + 8 * SZ_1M, PHYS, 4 * SZ_1M, 3),
			 0);
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_MEM_ALLOC), 9);
}

static void test_s390_table_alloc_failure_undoes_the_pages(void **state)
{
	struct failing b = {.budget = -1};
	struct iommusim_mem *tmem;
	struct iommusim_domain *dom;
	struct iommusim_s390_counters c;
	struct fix *f = *state;
	uint64_t pa;

	assert_int_equal(iommusim_mem_create_custom(&failing_ops, &b, &tmem), 0);
	assert_int_equal(iommusim_s390_domain_create(tmem, IOMMUSIM_KERNEL_6_7, &dom), 0);
	/* room for a segment table and one page table: the 257th page needs a second one */
	b.budget = 2;
	assert_int_equal(iommusim_iommu_map(dom, f->cpu, SZ_4G, PHYS, 300 * SZ_4K, 3), -ENOMEM);
	/* 256 validated, then the same 256 invalidated again */
	assert_int_equal(iommusim_cpu_work(f->cpu, IOMMUSIM_WORK_PTE_WRITE), 512);
	for (uint64_t i = 0; i < 300; i += 37)
		assert_int_equal(iommusim_iommu_translate(dom, SZ_4G + i * SZ_4K, &pa, NULL),
				 -EFAULT);
	assert_int_equal(iommusim_s390_domain_counters(dom, &c), 0);
	assert_int_equal(c.mapped_pages, 0);
	/* the tables that were made stay until the domain goes */
	assert_int_equal(iommusim_mem_live_objects(tmem), 2 + 2); /* + root and domain */
	b.budget = -1;
	assert_int_equal(iommusim_iommu_map(dom, f->cpu, SZ_4G, PHYS, 300 * SZ_4K, 3), 0);
	assert_int_equal(iommusim_iommu_translate(dom, SZ_4G + 299 * SZ_4K, &pa, NULL), 0);
	assert_int_equal(pa, PHYS + 299 * SZ_4K);
	/* a domain the allocator cannot even start */
	iommusim_domain_destroy(dom);
	b.budget = 1;
	assert_int_equal(iommusim_s390_domain_create(tmem, IOMMUSIM_KERNEL_6_7, &dom), -ENOMEM);
	assert_int_equal(iommusim_mem_live_objects(tmem), 0);
	iommusim_mem_destroy(tmem);
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
	struct fix *f = *state;
	int prot;

	cfg.aperture_factor = IOMMUSIM_S390_APERTURE_UNLIMITED;
	add_zdev(f, &cfg);
	objs = iommusim_mem_live_objects(f->mem);
	for (unsigned int i = 0; i < NTHREADS; i++) {
		args[i] = (struct race_arg){.dom = f->dom, .mem = f->mem, .id = i + 1};
		assert_int_equal(pthread_create(&th[i], NULL, race_thread, &args[i]), 0);
	}
	for (unsigned int i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].ret, 0);
	}
	/* 2 segment tables and 2 x RACE_MIB page tables survive, whoever won each race */
	assert_int_equal(iommusim_mem_live_objects(f->mem), objs + 2 + 2 * RACE_MIB);
	assert_int_equal(ctrs(f).mapped_pages, 2 * RACE_MIB * 256);
	for (uint64_t page = 0; page < RACE_MIB * 256; page++) {
		uint64_t iova = SZ_4G + SZ_2G - RACE_MIB * SZ_1M + page * SZ_4K;

		assert_int_equal(iommusim_iommu_translate(f->dom, iova, &pa, &prot), 0);
		assert_int_equal(pa, PHYS + page * SZ_4K);
		assert_int_equal(prot, IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE);
		assert_int_equal(iommusim_iommu_translate(f->dom, iova + SZ_2G, &pa, &prot), 0);
		assert_int_equal(prot, IOMMUSIM_PROT_READ);
	}
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_s390_map_lpar_writes_ptes_without_rpcit, s390_setup,
					   s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_map_tlb_refresh_one_ranged_rpcit_per_function,
					   s390_setup, s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_unmap_sync_covers_inclusive_gather, s390_setup,
					   s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_flush_all_one_global_rpcit_per_function,
					   s390_setup, s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_map_without_write_is_protected, s390_setup,
					   s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_translate_faults_when_not_mapped, s390_setup,
					   s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_map_outside_aperture_is_einval, s390_setup,
					   s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_map_misaligned_is_einval, s390_setup,
					   s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_domain_tables_allocated_lazily, s390_setup,
					   s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_table_alloc_failure_undoes_the_pages,
					   s390_setup, s390_teardown),
	   cmocka_unit_test_setup_teardown(test_s390_concurrent_maps_share_tables, s390_setup,
					   s390_teardown))
