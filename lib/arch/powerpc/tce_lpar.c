/* SPDX-License-Identifier: MIT */
/*
 * The TCE operations of a pSeries partition (iommu_table_lpar_multi_ops of
 * arch/powerpc/platforms/pseries/iommu.c): every TCE change is a hypervisor call, and the
 * guest chooses how many it takes. sources.md S22.
 *
 * - set: one TCE, or no multi-TCE firmware: one H_PUT_TCE per TCE. Otherwise the TCEs are
 *   written into a 4 KiB page and handed over with H_PUT_TCE_INDIRECT, 512 per call, until
 *   done or a call fails. Only "not enough resources" fails the map (the TCEs written so far
 *   are cleared first); any other error is logged and the map goes on as if it had worked.
 * - clear: H_STUFF_TCE with 0, 512 per call, until done or a call fails; without multi-TCE
 *   firmware one H_PUT_TCE of 0 per TCE. Errors are only logged.
 */
#include "arch/powerpc/ppc_table.h"

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* mirrors tce_free_pSeriesLP(): one H_PUT_TCE of 0 per TCE, each error only logged */
static void free_lp(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t liobn,
		    unsigned int shift, uint64_t entry, uint64_t npages, uint64_t *ignored)
{
	for (uint64_t i = 0; i < npages; i++)
		if (isim_ppc_h_put_tce(fw, cpu, liobn, (entry + i) << shift, 0))
			(*ignored)++;
}

/*
 * mirrors tce_build_pSeriesLP(): one H_PUT_TCE per TCE. "Not enough resources" clears the
 * TCEs put before it and ends the build with that answer; other errors are logged and the
 * build carries on.
 */
static long build_lp(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t liobn,
		     unsigned int shift, uint64_t entry, uint64_t npages, uint64_t tce,
		     uint64_t *ignored)
{
	for (uint64_t i = 0; i < npages; i++) {
		long rc = isim_ppc_h_put_tce(fw, cpu, liobn, (entry + i) << shift,
					     tce + (i << shift));

		if (rc == ISIM_H_NOT_ENOUGH_RESOURCES) {
			free_lp(fw, cpu, liobn, shift, entry, i, ignored);
			return rc;
		}
		if (rc)
			(*ignored)++;
	}
	return 0;
}

/* mirrors tce_freemulti_pSeriesLP() */
void isim_lpar_tce_clear(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t entry,
			 uint64_t npages)
{
	uint64_t limit;
	long rc;

	if (!tbl->stuff_tce) {
		free_lp(tbl->fw, cpu, tbl->liobn, tbl->page_shift, entry, npages,
			&tbl->st.fw_ignored);
		return;
	}
	/* a do-while, as in the kernel: a clear of 0 TCEs still makes one call */
	do {
		limit = min_u64(npages, ISIM_PPC_TCES_PER_CALL);
		rc = isim_ppc_h_stuff_tce(tbl->fw, cpu, tbl->liobn, entry << tbl->page_shift, 0,
					  limit);
		npages -= limit;
		entry += limit;
	} while (npages > 0 && !rc);
	if (rc)
		tbl->st.fw_ignored++;
}

/* mirrors tce_buildmulti_pSeriesLP() (the per-CPU list page is a buffer here, never missing) */
int isim_lpar_tce_set(struct isim_ppc_table *tbl, struct iommusim_cpu *cpu, uint64_t entry,
		      uint64_t npages, uint64_t tce)
{
	uint64_t list[ISIM_PPC_TCES_PER_CALL];
	uint64_t start = entry, left = npages, limit, done = 0;
	unsigned int shift = tbl->page_shift;
	long rc;

	if (npages == 1 || !tbl->put_tce_ind)
		return (int)build_lp(tbl->fw, cpu, tbl->liobn, shift, entry, npages, tce,
				     &tbl->st.fw_ignored);
	/* a list of 0 TCEs is still handed over (the page is never read then) */
	list[0] = 0;
	do {
		limit = min_u64(left, ISIM_PPC_TCES_PER_CALL);
		for (uint64_t l = 0; l < limit; l++)
			list[l] = tce + ((done + l) << shift);
		rc = isim_ppc_h_put_tce_indirect(tbl->fw, cpu, tbl->liobn, entry << shift, list,
						 limit);
		left -= limit;
		entry += limit;
		done += limit;
	} while (left > 0 && !rc);

	if (rc == ISIM_H_NOT_ENOUGH_RESOURCES) {
		/* the calls before the failed one worked: clear exactly those (maybe none) */
		isim_lpar_tce_clear(tbl, cpu, start, npages - (left + limit));
		return (int)rc;
	}
	if (rc)
		tbl->st.fw_ignored++;
	return 0;
}

/*
 * mirrors tce_setrange_multi_pSeriesLP(): map @len bytes of RAM from @start into the window at
 * @dma_base + @start, read and write allowed. Without multi-TCE firmware it is the one-by-one
 * build (which counts whole TCEs only); with it, lists of 512 that stop at the first error.
 */
long isim_lpar_setrange(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, bool put_tce_ind,
			uint32_t liobn, unsigned int tce_shift, uint64_t dma_base, uint64_t start,
			uint64_t len)
{
	uint64_t list[ISIM_PPC_TCES_PER_CALL], tce_size = UINT64_C(1) << tce_shift;
	uint64_t proto = ISIM_TCE_READ | ISIM_TCE_WRITE, next, num, limit, ignored = 0;
	long rc;

	if (!put_tce_ind)
		return build_lp(fw, cpu, liobn, tce_shift, (start + dma_base) >> tce_shift,
				len >> tce_shift, proto | (start & ~(tce_size - 1)), &ignored);
	/* back to the start of the TCE page, then the kernel's count of TCEs */
	num = len + (start & (tce_size - 1));
	next = start & ~(tce_size - 1);
	num = (num | (tce_size - 1)) >> tce_shift;
	list[0] = 0;
	do {
		uint64_t ioba = next + dma_base;

		limit = min_u64(num, ISIM_PPC_TCES_PER_CALL);
		for (uint64_t l = 0; l < limit; l++, next += tce_size)
			list[l] = proto | next;
		rc = isim_ppc_h_put_tce_indirect(fw, cpu, liobn, ioba, list, limit);
		num -= limit;
	} while (num > 0 && !rc);
	return rc;
}

/*
 * mirrors the loop of tce_clearrange_multi_pSeriesLP(): clear @ntces TCEs of 2^@tce_shift
 * bytes from bus address @ioba, 512 per H_STUFF_TCE, stopping at the first error (a count of
 * 0 still makes one call).
 */
long isim_lpar_clearrange(struct isim_ppc_fw *fw, struct iommusim_cpu *cpu, uint32_t liobn,
			  unsigned int tce_shift, uint64_t ioba, uint64_t ntces)
{
	uint64_t limit;
	long rc;

	do {
		limit = min_u64(ntces, ISIM_PPC_TCES_PER_CALL);
		rc = isim_ppc_h_stuff_tce(fw, cpu, liobn, ioba, 0, limit);
		ioba += limit << tce_shift;
		ntces -= limit;
	} while (ntces > 0 && !rc);
	return rc;
}
