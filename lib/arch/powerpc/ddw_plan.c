/* SPDX-License-Identifier: MIT */
/*
 * The decisions of pSeries enable_ddw() (arch/powerpc/platforms/pseries/iommu.c) as pure
 * functions: what to do when no window is free, which TCE page to ask for, how large a window,
 * and whether it maps all of RAM directly or serves as a dynamic TCE table. sources.md S24.
 */
#include "arch/powerpc/pseries.h"
#include "base/bitops.h"

/* mirrors the windows_available == 0 branch of enable_ddw() */
enum isim_ddw_pre isim_ddw_precheck(uint32_t windows_available, bool default_in_use,
				    bool default_present, bool reset_ext)
{
	if (windows_available)
		return ISIM_DDW_PRE_GO;
	/* mappings made through the default window must survive: no replacing it */
	if (default_in_use)
		return ISIM_DDW_PRE_IN_USE;
	if (!default_present)
		return ISIM_DDW_PRE_NO_DEFAULT;
	/* a removal that fails later must be undone, which takes the reset call */
	if (!reset_ext)
		return ISIM_DDW_PRE_NO_RESET;
	return ISIM_DDW_PRE_REMOVE_DEFAULT;
}

/* mirrors iommu_get_page_shift(): bit i of the word names shift[i]; the largest offered wins */
unsigned int isim_ddw_page_shift(uint32_t page_sizes)
{
	static const unsigned int shift[] = {12, 16, 24, 25, 26, 27, 28, 34, 21};
	unsigned int best = 0;

	for (unsigned int i = 0; i < sizeof(shift) / sizeof(shift[0]); i++)
		if ((page_sizes & (1u << i)) && shift[i] > best)
			best = shift[i];
	return best;
}

/* mirrors the sizing of enable_ddw(), from the page size to direct_mapping */
void isim_ddw_plan(const struct isim_ddw_plan_in *in, struct isim_ddw_plan *out)
{
	unsigned int max_bits =
		in->max_physmem_bits ? in->max_physmem_bits : ISIM_PPC_MAX_PHYSMEM_BITS;
	unsigned int len, dev_max, block;

	*out = (struct isim_ddw_plan){.page_shift = isim_ddw_page_shift(in->page_sizes),
				      .max_ram_len = isim_order_base_2(in->ram_max)};
	if (!out->page_shift)
		return;
	/* the largest window the firmware grants, no larger than the device can address */
	dev_max = isim_fls64(in->dma_mask);
	block = isim_order_base_2(in->largest_block << out->page_shift);
	out->ddw_sz = block < dev_max ? block : dev_max;

	/* persistent memory may sit anywhere: cover all physical addresses when the window can */
	len = out->max_ram_len;
	if (in->pmem_present && out->ddw_sz >= max_bits)
		len = max_bits;

	if (out->ddw_sz < len) {
		/* RAM does not fit: a TCE table as large as the window may be */
		len = out->ddw_sz;
		out->dynamic = true;
	} else {
		out->direct = !in->default_removed || len == max_bits ||
			      (!in->pmem_present && len == out->max_ram_len);
		/*
		 * Without the default window, persistent memory needs TCEs too: RAM direct in the
		 * first part if the window has room for 2 GiB more, the rest dynamic.
		 */
		if (in->default_removed && in->pmem_present && !out->direct) {
			if ((UINT64_C(1) << out->ddw_sz) >=
			    ISIM_DDW_VPMEM_MIN_WINDOW + (UINT64_C(1) << out->max_ram_len)) {
				out->direct = true;
				out->dynamic_offset = UINT64_C(1) << out->max_ram_len;
			}
			out->dynamic = true;
			len = out->ddw_sz;
		}
	}
	out->window_shift = len;
}
