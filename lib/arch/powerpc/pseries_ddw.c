/* SPDX-License-Identifier: MIT */
/*
 * enable_ddw() of arch/powerpc/platforms/pseries/iommu.c as a state machine over the firmware
 * interface: reuse or refuse (existing window, failed list), query, limited addressing for
 * masks below 64 bits, removal of the default window when no window is free, the sizing
 * (ddw_plan.c), creation, then either all of RAM mapped at once (H_PUT_TCE_INDIRECT, 512 TCEs
 * per call) or a new TCE table over the window; on failure the window is removed, the default
 * one reset if it had gone, and the PE is not tried again. sources.md S24.
 */
#include <errno.h>

#include "arch/powerpc/ppc_dma.h"
#include "arch/powerpc/pseries.h"
#include "base/bitops.h"

/* The default window's TCEs are 4 KiB on every pSeries. */
#define DEFAULT_TCE_SHIFT 12u

/* ddw_read_ext(): extension @n is readable when the property lists at least @n. */
static bool has_ext(const struct isim_pseries_pe *pe, unsigned int n)
{
	return pe->cfg.ext_count >= n;
}

/* mirrors query_ddw(): five answer words, six when extension 2 says so */
static int query(struct isim_pseries_pe *pe, struct iommusim_cpu *cpu, struct isim_ddw_query *q)
{
	unsigned int words = has_ext(pe, 2) && pe->cfg.ext_query_out == 1 ? 6 : 5;

	return isim_ppc_rtas_query(pe->cfg.fw, cpu, pe->cfg.cfg_addr, words, q);
}

/* mirrors limited_dma_window(): the reset call with the extra argument 1 */
static bool limited_window(struct isim_pseries_pe *pe, struct iommusim_cpu *cpu)
{
	if (!has_ext(pe, 1) || !has_ext(pe, 3) || pe->cfg.ext_limited == 0)
		return false;
	return isim_ppc_rtas_reset(pe->cfg.fw, cpu, pe->cfg.cfg_addr, true) == ISIM_RTAS_SUCCESS;
}

/* mirrors reset_dma_window(): back to the default window alone (errors are only logged) */
static void reset_window(struct isim_pseries_pe *pe, struct iommusim_cpu *cpu)
{
	if (has_ext(pe, 1))
		(void)isim_ppc_rtas_reset(pe->cfg.fw, cpu, pe->cfg.cfg_addr, false);
}

/*
 * mirrors remove_dma_window(pdn, ddw_avail, default_win, true) for the default window. The
 * clean reads ibm,dma-window through the DDW property's layout, so the TCE shift it finds is
 * the size's high cell (0) and the window shift the size's low cell: the count of pages to
 * clear shifts out to 0 and the clear is one H_STUFF_TCE of no TCE at the window's base
 * (sources.md S24). Then the window goes (errors are only logged).
 */
static void remove_default(struct isim_pseries_pe *pe, struct iommusim_cpu *cpu)
{
	(void)isim_lpar_clearrange(pe->cfg.fw, cpu, pe->cfg.default_liobn, 0,
				   pe->cfg.default_offset, 0);
	(void)isim_ppc_rtas_remove(pe->cfg.fw, cpu, pe->cfg.default_liobn);
}

/* mirrors create_ddw(): retried while RTAS answers busy (here up to a bound) */
static int create(struct isim_pseries_pe *pe, struct iommusim_cpu *cpu, unsigned int page_shift,
		  unsigned int window_shift, struct isim_ddw_window *win)
{
	int rc;

	for (unsigned int i = 0;; i++) {
		rc = isim_ppc_rtas_create(pe->cfg.fw, cpu, pe->cfg.cfg_addr, page_shift,
					  window_shift, win);
		if (rc != ISIM_RTAS_BUSY || i == ISIM_DDW_BUSY_RETRIES)
			return rc;
	}
}

/* mirrors clean_dma_window() for a DDW: H_STUFF_TCE over the whole window, 512 at a time */
static void clean_window(struct isim_pseries_pe *pe, struct iommusim_cpu *cpu,
			 const struct isim_ddw_window *win, unsigned int tce_shift,
			 unsigned int window_shift)
{
	uint64_t ntces = window_shift >= tce_shift ? UINT64_C(1) << (window_shift - tce_shift) : 0;

	(void)isim_lpar_clearrange(pe->cfg.fw, cpu, win->liobn, tce_shift, win->addr, ntces);
}

/* The dynamic table over [base, base + bytes), reserving the PHB's 32-bit MMIO window. */
static int dynamic_table(struct isim_pseries_pe *pe, struct iommusim_cpu *cpu, uint32_t liobn,
			 uint64_t base, uint64_t bytes, unsigned int shift,
			 struct isim_ppc_table **out)
{
	struct isim_ppc_table_config tcfg = {
		.mem = pe->cfg.mem,
		.fw = pe->cfg.fw,
		.kind = ISIM_PPC_TABLE_LPAR,
		.liobn = liobn,
		.offset = base,
		.size = bytes,
		.page_shift = shift,
		.res_start = pe->cfg.mmio32_start >> shift,
		.res_end = pe->cfg.mmio32_end >> shift,
		.put_tce_ind = pe->cfg.multi_tce,
		.stuff_tce = pe->cfg.multi_tce,
	};

	return isim_ppc_table_create(&tcfg, cpu, out);
}

/* The first steps: reuse, refuse, query, limited mode, the default window's removal. */
static enum isim_ddw_why prepare(struct isim_pseries_pe *pe, struct iommusim_cpu *cpu,
				 uint64_t mask, struct isim_ddw_query *q, struct isim_ddw_result *r)
{
	bool in_use = pe->tables[0] && isim_ppc_table_in_use(pe->tables[0]);

	if (!pe->cfg.ddw_applicable)
		return ISIM_DDW_NOT_APPLICABLE;
	if (query(pe, cpu, q))
		return ISIM_DDW_QUERY_FAILED;
	/* a device that cannot address 64 bits needs the PHB's limited addressing mode */
	if (mask != IOMMUSIM_DMA_BIT_MASK(64)) {
		if (!limited_window(pe, cpu))
			return ISIM_DDW_LIMITED_FAILED;
		r->limited = true;
	}
	switch (isim_ddw_precheck(q->windows_available, in_use, pe->default_present,
				  has_ext(pe, 1))) {
	case ISIM_DDW_PRE_GO:
		return ISIM_DDW_CREATED;
	case ISIM_DDW_PRE_IN_USE:
		return ISIM_DDW_DEFAULT_IN_USE;
	case ISIM_DDW_PRE_NO_DEFAULT:
		return ISIM_DDW_NO_DEFAULT;
	case ISIM_DDW_PRE_NO_RESET:
		return ISIM_DDW_NO_RESET_EXT;
	case ISIM_DDW_PRE_REMOVE_DEFAULT:
		break;
	}
	remove_default(pe, cpu);
	r->default_removed = true;
	if (query(pe, cpu, q))
		return ISIM_DDW_QUERY_FAILED;
	return q->windows_available ? ISIM_DDW_CREATED : ISIM_DDW_NO_WINDOW;
}

/* The failure path: undo in the firmware what was done, remember the PE. */
static void failed(struct isim_pseries_pe *pe, struct iommusim_cpu *cpu, struct isim_ddw_result *r,
		   enum isim_ddw_why why)
{
	if (r->default_removed || r->limited)
		reset_window(pe, cpu);
	/* the kernel's property is still there: the reset brought the window back */
	r->default_removed = false;
	r->kind = ISIM_DDW_NONE;
	r->why = why;
	pe->failed = true;
}

/* Map all of RAM (System RAM from 0) into the window; clean it on failure. */
static bool populate(struct isim_pseries_pe *pe, struct iommusim_cpu *cpu,
		     const struct isim_ddw_window *win, const struct isim_ddw_plan *plan)
{
	if (!isim_lpar_setrange(pe->cfg.fw, cpu, pe->cfg.multi_tce, win->liobn, plan->page_shift,
				win->addr, 0, pe->cfg.ram_present))
		return true;
	clean_window(pe, cpu, win, plan->page_shift, plan->window_shift);
	return false;
}

/* mirrors enable_ddw() */
int isim_ddw_enable(struct isim_pseries_pe *pe, struct iommusim_device *dev,
		    struct iommusim_cpu *cpu, uint64_t mask, struct isim_ddw_result *res)
{
	struct isim_ppc_dev *p = isim_ppc_dev(dev);
	struct isim_ddw_result r = {.why = ISIM_DDW_CREATED};
	struct isim_ppc_table *newtbl = NULL;
	struct isim_ddw_window win;
	struct isim_ddw_query q;
	enum isim_ddw_why why;
	int err = 0;

	if (!pe || !p || !cpu || !res)
		return -EINVAL;
	if (pe->has_window) {
		p->dma_offset = pe->window_addr;
		r = pe->last;
		r.why = ISIM_DDW_EXISTING;
		r.bypass = pe->window_direct;
		goto out;
	}
	if (pe->failed) {
		r.why = ISIM_DDW_FAILED_BEFORE;
		goto out;
	}
	why = prepare(pe, cpu, mask, &q, &r);
	if (why != ISIM_DDW_CREATED)
		goto fail;

	isim_ddw_plan(&(struct isim_ddw_plan_in){.dma_mask = mask,
						 .page_sizes = q.page_sizes,
						 .largest_block = q.largest_block,
						 .ram_max = pe->cfg.ram_max,
						 .pmem_present = pe->cfg.pmem_present,
						 .max_physmem_bits = pe->cfg.max_physmem_bits,
						 .default_removed = r.default_removed},
		      &r.plan);
	if (!r.plan.page_shift) {
		why = ISIM_DDW_NO_PAGE_SIZE;
		goto fail;
	}
	/* from here the kernel returns the planned direct mapping, whatever happens next */
	r.bypass = r.plan.direct;
	r.page_shift = r.plan.page_shift;
	r.window_shift = r.plan.window_shift;
	if (create(pe, cpu, r.plan.page_shift, r.plan.window_shift, &win)) {
		why = ISIM_DDW_CREATE_FAILED;
		goto fail;
	}
	r.win_addr = win.addr;
	r.liobn = win.liobn;

	if (r.plan.direct && !populate(pe, cpu, &win, &r.plan)) {
		why = ISIM_DDW_POPULATE_FAILED;
		goto remove_win;
	}
	if (r.plan.dynamic) {
		uint64_t bytes = (UINT64_C(1) << r.plan.window_shift) - r.plan.dynamic_offset;

		err = dynamic_table(pe, cpu, win.liobn, win.addr + r.plan.dynamic_offset, bytes,
				    r.plan.page_shift, &newtbl);
		if (err) {
			why = ISIM_DDW_TABLE_FAILED;
			/* a limit of the model (too many TCEs) is a failure like any other */
			err = err == -ENOMEM ? -ENOMEM : 0;
			goto remove_win;
		}
	}
	/*
	 * Without the default window the new table (or none, for a direct window) takes slot 0,
	 * else slot 1. The kernel drops the default table's reference only on the direct path and
	 * overwrites it on the dynamic one; the model drops it on both, so nothing leaks.
	 */
	if (r.default_removed) {
		isim_ppc_table_put(pe->tables[0]);
		pe->tables[0] = newtbl;
		pe->default_present = false;
	} else if (newtbl) {
		isim_ppc_table_put(pe->tables[1]);
		pe->tables[1] = newtbl;
	}
	if (r.default_removed || newtbl)
		isim_ppc_dev_set_table(p, newtbl);
	r.kind = r.plan.direct ? (r.plan.dynamic ? ISIM_DDW_HYBRID : ISIM_DDW_DIRECT)
			       : ISIM_DDW_DYNAMIC;
	pe->has_window = true;
	pe->window_direct = r.plan.direct;
	pe->window_addr = win.addr;
	p->dma_offset = win.addr;
	goto out;

remove_win:
	/* the window is clean (or cleaned): remove it, then the common failure path */
	(void)isim_ppc_rtas_remove(pe->cfg.fw, cpu, win.liobn);
fail:
	failed(pe, cpu, &r, why);
out:
	/* persistent memory beyond a window that maps only RAM: limit the direct part */
	if (pe->cfg.pmem_present && r.bypass &&
	    r.window_shift != (pe->cfg.max_physmem_bits ? pe->cfg.max_physmem_bits
							: ISIM_PPC_MAX_PHYSMEM_BITS))
		dev->bus_dma_limit = p->dma_offset + (UINT64_C(1) << r.plan.max_ram_len);
	if (r.why != ISIM_DDW_EXISTING)
		pe->last = r;
	*res = r;
	return err;
}
