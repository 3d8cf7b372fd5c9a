/* SPDX-License-Identifier: MIT */
/*
 * The smallest use of libiommusim: an IOVA domain as dma-iommu sets one up (4 KiB granule,
 * start_pfn 1), a few DMA-sized allocations on two CPUs, and what the allocator did.
 * Build against an installed library with:
 *   cc hello_iova.c $(pkg-config --cflags --libs iommusim)
 */
#include <stdio.h>
#include <iommusim/iommusim.h>

int main(void)
{
	struct iommusim_iova_config cfg = {
		.granule = 4096,
		.start_pfn = 1,
		.possible_cpus = 2,
	};
	struct iommusim_iova_domain *domain;
	struct iommusim_cpu *cpu[2];
	struct iommusim_iova_stats st;
	struct iommusim_mem *mem;
	uint64_t pfn[4];
	int err;

	err = iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem);
	if (err) {
		fprintf(stderr, "hello_iova: %s\n", iommusim_strerror(err));
		return 1;
	}
	cfg.mem = mem;
	iommusim_cpu_create(mem, 0, &cpu[0]);
	iommusim_cpu_create(mem, 1, &cpu[1]);
	err = iommusim_iova_domain_create(&cfg, &domain);
	if (err) {
		fprintf(stderr, "hello_iova: %s\n", iommusim_strerror(err));
		return 1;
	}

	/* 1, 3 (rounded to 4) and 32 pages below 4 GiB, on CPU 0; then one on CPU 1. */
	iommusim_iova_alloc_fast(domain, cpu[0], 1, 0xfffff, true, &pfn[0]);
	iommusim_iova_alloc_fast(domain, cpu[0], 3, 0xfffff, true, &pfn[1]);
	iommusim_iova_alloc_fast(domain, cpu[0], 32, 0xfffff, true, &pfn[2]);
	iommusim_iova_alloc_fast(domain, cpu[1], 1, 0xfffff, true, &pfn[3]);
	for (int i = 0; i < 4; i++)
		printf("iova %d: 0x%llx\n", i, (unsigned long long)(pfn[i] << 12));

	/* Freed on CPU 0, the single page comes straight back from CPU 0's magazine. */
	iommusim_iova_free_fast(domain, cpu[0], pfn[0], 1);
	iommusim_iova_alloc_fast(domain, cpu[0], 1, 0xfffff, true, &pfn[0]);
	iommusim_iova_get_stats(domain, &st);
	printf("libiommusim %s: %llu ranges, %llu cache hits, %llu misses\n", iommusim_version(),
	       (unsigned long long)st.nodes, (unsigned long long)st.rcache_hits,
	       (unsigned long long)st.rcache_misses);

	iommusim_iova_domain_destroy(domain);
	iommusim_cpu_destroy(cpu[0]);
	iommusim_cpu_destroy(cpu[1]);
	if (iommusim_mem_live_objects(mem) != 0) {
		fprintf(stderr, "hello_iova: memory left behind\n");
		return 1;
	}
	iommusim_mem_destroy(mem);
	return 0;
}
