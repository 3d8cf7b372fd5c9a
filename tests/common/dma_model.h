/* SPDX-License-Identifier: MIT */
/*
 * What the randomised tests of the DMA API share: the page arithmetic of the DMA layers, the
 * protection a direction gets on s390, a run of pages as their models keep it, and random
 * buffers, directions and scatterlists drawn from a test's stream. Header-only, so each test
 * executable gets its own copy; include it after <cmocka.h>.
 */
#ifndef TESTS_COMMON_DMA_MODEL_H
#define TESTS_COMMON_DMA_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <iommusim/iommusim.h>

#include "fields.h"
#include "test_rng.h"
#include "zpci_rig.h"

#define DMA_PAGE     4096ull
#define DMA_PAGE_LOW (DMA_PAGE - 1)

/* What a counter of the DMA stats, the legacy ops or the s390 domain must be (EXPECT_FIELDS). */
#define DMA_STATS(field, value)	 FIELD(struct iommusim_dma_stats, field, value)
#define LEGACY_CTR(field, value) FIELD(struct iommusim_s390_legacy_counters, field, value)
#define S390_CTR(field, value)	 FIELD(struct iommusim_s390_counters, field, value)

/* A run of pages mapped to consecutive physical pages with one permission. */
struct dma_chunk {
	uint64_t iova;
	uint64_t pages;
	uint64_t phys;
	int prot;
};

/* For qsort(): chunks by IOVA. */
static inline int dma_chunk_cmp(const void *a, const void *b)
{
	const struct dma_chunk *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

/*
 * Whether @c translates page by page as it should through @r. Return: 0 if so, else the IOVA
 * of the first wrong page, which @why (if not NULL) describes in @len bytes.
 */
static inline uint64_t dma_chunk_bad_page(const struct zpci_rig *r, const struct dma_chunk *c,
					  char *why, size_t len)
{
	for (uint64_t i = 0; i < c->pages; i++) {
		uint64_t iova = c->iova + i * DMA_PAGE, phys = ~0ull;
		int prot = -1, ret = zpci_rig_translate(r, iova, &phys, &prot);

		if (!ret && phys == c->phys + i * DMA_PAGE && prot == c->prot)
			continue;
		if (why)
			snprintf(why, len,
				 "IOVA %#llx translates %d, phys %#llx prot %d; want %#llx prot %d",
				 (unsigned long long)iova, ret, (unsigned long long)phys, prot,
				 (unsigned long long)(c->phys + i * DMA_PAGE), c->prot);
		return iova;
	}
	return 0;
}

static inline uint64_t dma_page_align(uint64_t x)
{
	return (x + DMA_PAGE_LOW) & ~DMA_PAGE_LOW;
}

/* How many pages [@addr, @addr + @len) touches. */
static inline uint64_t dma_pages_of(uint64_t addr, uint64_t len)
{
	return dma_page_align((addr & DMA_PAGE_LOW) + len) / DMA_PAGE;
}

/* No IOMMU_WRITE makes a PTE protected; s390 has no write-only PTE, so FROM_DEVICE is RW. */
static inline int dma_dir_prot(enum iommusim_dma_dir dir)
{
	if (dir == IOMMUSIM_DMA_TO_DEVICE)
		return IOMMUSIM_PROT_READ;
	return IOMMUSIM_PROT_READ | IOMMUSIM_PROT_WRITE;
}

static inline enum iommusim_dma_dir dma_rand_dir(struct iommusim_rng *rng)
{
	static const enum iommusim_dma_dir dirs[] = {
		IOMMUSIM_DMA_BIDIRECTIONAL, IOMMUSIM_DMA_TO_DEVICE, IOMMUSIM_DMA_FROM_DEVICE};

	return dirs[test_rng_below(rng, 3)];
}

/* A length of up to @max_pages pages and a bit more, ending anywhere in a page. */
static inline uint64_t dma_rand_len(struct iommusim_rng *rng, unsigned int max_pages)
{
	return test_rng_below(rng, max_pages) * DMA_PAGE + 1 + test_rng_below(rng, DMA_PAGE);
}

/* One of the 16 GiB of pages from @base. */
static inline uint64_t dma_rand_phys(struct iommusim_rng *rng, uint64_t base)
{
	return base + test_rng_below(rng, 1ull << 22) * DMA_PAGE;
}

/*
 * A list of 2 to @max elements (from the pages of dma_rand_phys(@base)), each whole pages (the
 * kind both implementations merge), any bytes, or bytes right after the previous element; the
 * DMA fields zero. Return: its length.
 */
static inline unsigned int dma_rand_sg(struct iommusim_rng *rng, struct iommusim_sg *sg,
				       unsigned int max, uint64_t base)
{
	unsigned int n = 2 + (unsigned int)test_rng_below(rng, max - 1);

	for (unsigned int i = 0; i < n; i++) {
		unsigned int style = (unsigned int)test_rng_below(rng, 3);

		if (i > 0 && style == 2) {
			sg[i].phys = sg[i - 1].phys + sg[i - 1].length;
			sg[i].length = dma_rand_len(rng, 4);
		} else if (style == 0) {
			sg[i].phys = dma_rand_phys(rng, base);
			sg[i].length = (1 + test_rng_below(rng, 4)) * DMA_PAGE;
		} else {
			sg[i].phys = dma_rand_phys(rng, base) + test_rng_below(rng, DMA_PAGE);
			sg[i].length = dma_rand_len(rng, 4);
		}
		sg[i].dma_address = 0;
		sg[i].dma_length = 0;
	}
	return n;
}

#endif /* TESTS_COMMON_DMA_MODEL_H */
