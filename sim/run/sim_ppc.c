/* SPDX-License-Identifier: MIT */
/*
 * A simulation's powerpc guest (docs/powerpc.md): the PE its platform's firmware presents
 * (a pSeries partition endpoint or a PowerNV PHB), the NVMe function on it with the powerpc
 * DMA ops, and the driver's masks, which decide the window: setting a mask wider than 32 bits
 * asks pSeries for a DDW (enable_ddw()) and PowerNV for its bypass. The policy is the kernel's
 * own choice of which windows may exist (the disable_ddw and iommu=nobypass boot options, or
 * the 4 GiB window). Everything here runs on CPU 0 before the run, and its time is reported.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <iommusim/dma.h>
#include <iommusim/error.h>
#include <iommusim/sim.h>

#include "arch/powerpc/powernv.h"
#include "arch/powerpc/ppc_dma.h"
#include "arch/powerpc/pseries.h"
#include "platform/ppc_platform.h"
#include "run/sim_impl.h"

/* The PE's config address and number, as firmware would number the NVMe function's PE. */
#define PPC_CFG_ADDR  0x10000u
#define PPC_PE_NUMBER 1u
/* The PHB's 32-bit MMIO window: the upper half of the 32-bit space, as QEMU and firmware place it.
 */
#define PPC_MMIO32_START 0x80000000ull
#define PPC_MMIO32_END	 0xffffffffull

static const char *const window_names[IOMMUSIM_PPC_WINDOW_NR] = {
	[IOMMUSIM_PPC_WINDOW_NONE] = "",
	[IOMMUSIM_PPC_WINDOW_DEFAULT] = "default",
	[IOMMUSIM_PPC_WINDOW_DDW_DIRECT] = "ddw-direct",
	[IOMMUSIM_PPC_WINDOW_DDW_DYNAMIC] = "ddw-dynamic",
	[IOMMUSIM_PPC_WINDOW_DDW_HYBRID] = "ddw-hybrid",
	[IOMMUSIM_PPC_WINDOW_TCE] = "tce",
	[IOMMUSIM_PPC_WINDOW_BYPASS] = "bypass",
	[IOMMUSIM_PPC_WINDOW_4G] = "window-4g",
};

const char *iommusim_ppc_window_name(enum iommusim_ppc_window w)
{
	return (unsigned int)w < IOMMUSIM_PPC_WINDOW_NR ? window_names[w] : "unknown";
}

/* The public answers, by enum isim_ddw_why: the same order, one further on. */
static const char *const ddw_names[IOMMUSIM_PPC_DDW_NR] = {
	[IOMMUSIM_PPC_DDW_NOT_ASKED] = "",
	[IOMMUSIM_PPC_DDW_CREATED] = "created",
	[IOMMUSIM_PPC_DDW_EXISTING] = "existing",
	[IOMMUSIM_PPC_DDW_MASK32] = "mask32",
	[IOMMUSIM_PPC_DDW_DISABLED] = "disabled",
	[IOMMUSIM_PPC_DDW_FAILED_BEFORE] = "failed-before",
	[IOMMUSIM_PPC_DDW_NOT_APPLICABLE] = "not-applicable",
	[IOMMUSIM_PPC_DDW_QUERY_FAILED] = "query-failed",
	[IOMMUSIM_PPC_DDW_LIMITED_FAILED] = "limited-failed",
	[IOMMUSIM_PPC_DDW_DEFAULT_IN_USE] = "default-in-use",
	[IOMMUSIM_PPC_DDW_NO_DEFAULT] = "no-default",
	[IOMMUSIM_PPC_DDW_NO_RESET_EXT] = "no-reset-ext",
	[IOMMUSIM_PPC_DDW_NO_WINDOW] = "no-window",
	[IOMMUSIM_PPC_DDW_NO_PAGE_SIZE] = "no-page-size",
	[IOMMUSIM_PPC_DDW_CREATE_FAILED] = "create-failed",
	[IOMMUSIM_PPC_DDW_POPULATE_FAILED] = "populate-failed",
	[IOMMUSIM_PPC_DDW_TABLE_FAILED] = "table-failed",
};

_Static_assert(ISIM_DDW_TABLE_FAILED + 1 == IOMMUSIM_PPC_DDW_TABLE_FAILED &&
		       ISIM_DDW_DEFAULT_IN_USE + 1 == IOMMUSIM_PPC_DDW_DEFAULT_IN_USE,
	       "the public answers follow enum isim_ddw_why");

const char *iommusim_ppc_ddw_name(enum iommusim_ppc_ddw d)
{
	return (unsigned int)d < IOMMUSIM_PPC_DDW_NR ? ddw_names[d] : "unknown";
}

static int fail(char *buf, size_t len, int err, const char *what)
{
	if (len)
		snprintf(buf, len, "%s: %s", what,
			 err == -ENOMEM ? "out of memory (the memory context refused an allocation)"
					: iommusim_strerror(err));
	return err == -ENOMEM ? -ENOMEM : -EINVAL;
}

static unsigned int kernel_page_shift(const struct iommusim_cost *c)
{
	/* ppc.kernel_page: "64k" (0) or "4k" (1) */
	return iommusim_cost_get(c, IOMMUSIM_COST_PPC_KERNEL_PAGE) ? 12u : 16u;
}

uint64_t isim_sim_ppc_kernel_page(const struct iommusim_sim *sim)
{
	return UINT64_C(1) << kernel_page_shift(sim->cost);
}

static int pseries_pe(struct iommusim_sim *sim, struct iommusim_cpu *cpu)
{
	const struct isim_ppc_script_config *ep = isim_platform_ppc_endpoint(sim->platform);
	const struct isim_ppc_kind_ops *k = isim_platform_ppc_kind(sim->platform);
	struct isim_pseries_pe_config pc = {
		.mem = sim->mem,
		.fw = isim_platform_ppc_fw(sim->platform),
		.cfg_addr = PPC_CFG_ADDR,
		.default_liobn = ep->default_liobn,
		.default_offset = ep->default_offset,
		.default_size = ep->default_size,
		.multi_tce = iommusim_cost_get(sim->cost, IOMMUSIM_COST_PSERIES_MULTI_TCE) != 0,
		.disable_ddw = sim->cfg.policy == IOMMUSIM_POLICY_DEFAULT_WINDOW,
		.ddw_applicable = true,
		.ext_count = k->ext_count,
		.ext_query_out = k->ext_count >= 2,
		.ext_limited = k->ext_limited,
		.mmio32_start = PPC_MMIO32_START,
		.mmio32_end = PPC_MMIO32_END,
		.ram_present = sim->cfg.guest_memory,
		.ram_max = sim->cfg.guest_memory,
		.page_shift = kernel_page_shift(sim->cost),
	};
	int err = isim_pseries_pe_create(&pc, cpu, &sim->ppc.pseries);

	return err ? err : isim_pseries_dev_setup(sim->ppc.pseries, sim->dev, false);
}

static int powernv_pe(struct iommusim_sim *sim, struct iommusim_cpu *cpu)
{
	struct isim_pnv_config nc = {
		.page_shift = kernel_page_shift(sim->cost),
		.dram_end = sim->cfg.guest_memory,
		.hotplug_max = sim->cfg.guest_memory,
		.m32_pci_base = PPC_MMIO32_START,
		.single_device_pe = true,
		.bypass_disabled = sim->cfg.policy == IOMMUSIM_POLICY_DEFAULT_WINDOW,
		.option = sim->cfg.policy == IOMMUSIM_POLICY_WINDOW_4G ? ISIM_PNV_OPT_HUGE4G
								       : ISIM_PNV_OPT_BYPASS59,
	};
	int err = isim_pnv_pe_create(&nc, sim->mem, isim_platform_ppc_fw(sim->platform),
				     PPC_PE_NUMBER, cpu, &sim->ppc.pnv);

	return err ? err : isim_pnv_dev_setup(sim->ppc.pnv, sim->dev, false);
}

/* dma_set_mask_and_coherent(): both masks, as the drivers set them. */
static int set_masks(struct iommusim_sim *sim, struct iommusim_cpu *cpu, unsigned int bits)
{
	uint64_t mask = IOMMUSIM_DMA_BIT_MASK(bits);
	int err = isim_ppc_dma_set_mask(sim->dev, cpu, mask);

	/* the streaming mask asks first; the coherent one only hears the same answer again */
	if (sim->ppc.pseries)
		sim->ppc.ddw_first = sim->ppc.pseries->last;
	return err ? err : isim_ppc_dma_set_coherent_mask(sim->dev, cpu, mask);
}

static unsigned int driver_bits(const struct iommusim_sim *sim)
{
	return sim->cfg.nvme.dma_bits ? sim->cfg.nvme.dma_bits : 64;
}

int isim_sim_ppc_setup(struct iommusim_sim *sim, char *errbuf, size_t errlen)
{
	struct iommusim_cpu *cpu = iommusim_engine_cpu(sim->e, 0);
	bool pseries = isim_platform_ppc_kind(sim->platform)->pseries;
	int err;

	err = pseries ? pseries_pe(sim, cpu) : powernv_pe(sim, cpu);
	if (err)
		return fail(errbuf, errlen, err,
			    pseries ? "the pSeries PE (pseries.default_window_mb)"
				    : "the PowerNV PE's window 0 (guest_memory)");
	err = set_masks(sim, cpu, sim->cfg.nvme.mask32_first ? 32 : driver_bits(sim));
	if (err)
		return fail(errbuf, errlen, err, "the driver's DMA mask (nvme.dma_bits)");
	return 0;
}

/* The window the device's streaming maps use now. */
static enum iommusim_ppc_window window_now(struct iommusim_sim *sim)
{
	const struct isim_ppc_dev *d = isim_ppc_dev(sim->dev);
	bool direct = isim_ppc_dma_is_direct(sim->dev);

	if (sim->ppc.pnv) {
		if (!direct)
			return IOMMUSIM_PPC_WINDOW_TCE;
		return sim->ppc.pnv->huge_active ? IOMMUSIM_PPC_WINDOW_4G
						 : IOMMUSIM_PPC_WINDOW_BYPASS;
	}
	if (direct)
		return sim->ppc.pseries->last.kind == ISIM_DDW_HYBRID
			       ? IOMMUSIM_PPC_WINDOW_DDW_HYBRID
			       : IOMMUSIM_PPC_WINDOW_DDW_DIRECT;
	if (d->tbl && d->tbl->liobn != ISIM_PPC_DEFAULT_LIOBN)
		return IOMMUSIM_PPC_WINDOW_DDW_DYNAMIC;
	return IOMMUSIM_PPC_WINDOW_DEFAULT;
}

/* What enable_ddw() answered the driver's streaming mask. */
static enum iommusim_ppc_ddw ddw_outcome(const struct iommusim_sim *sim)
{
	const struct isim_ddw_result *r = &sim->ppc.ddw_first;

	if (!sim->ppc.pseries)
		return IOMMUSIM_PPC_DDW_NOT_ASKED;
	if (sim->cfg.policy == IOMMUSIM_POLICY_DEFAULT_WINDOW)
		return IOMMUSIM_PPC_DDW_DISABLED;
	/* a result no call set: created, but no window */
	if (r->why == ISIM_DDW_CREATED && r->kind == ISIM_DDW_NONE)
		return IOMMUSIM_PPC_DDW_NOT_ASKED;
	return (enum iommusim_ppc_ddw)(r->why + 1);
}

int isim_sim_ppc_finish(struct iommusim_sim *sim, char *errbuf, size_t errlen)
{
	struct iommusim_cpu *cpu = iommusim_engine_cpu(sim->e, 0);
	int err;

	/* the driver widens its mask once its rings sit in the default window */
	if (sim->cfg.nvme.mask32_first) {
		err = set_masks(sim, cpu, driver_bits(sim));
		if (err)
			return fail(errbuf, errlen, err, "the driver's wider mask (nvme.dma_bits)");
	}
	sim->ppc.window = window_now(sim);
	sim->ppc.ddw = ddw_outcome(sim);
	sim->ppc.setup_cycles = iommusim_engine_cpu_now(sim->e, cpu);
	return 0;
}

void isim_sim_ppc_destroy(struct iommusim_sim *sim)
{
	isim_pseries_pe_destroy(sim->ppc.pseries);
	isim_pnv_pe_destroy(sim->ppc.pnv);
}

void isim_sim_ppc_snapshot(struct iommusim_sim *sim, struct isim_sim_snapshot *s)
{
	isim_ppc_fw_get_stats(isim_platform_ppc_fw(sim->platform), &s->ppc);
}

void isim_sim_ppc_stats(const struct iommusim_sim *sim, const struct isim_sim_snapshot *a,
			const struct isim_sim_snapshot *b, struct iommusim_sim_stats *st)
{
	const struct isim_ppc_fw_stats *x = &a->ppc, *y = &b->ppc;

	st->ppc_window = sim->ppc.window;
	st->ppc_ddw = sim->ppc.ddw;
	st->setup_ms = (double)sim->ppc.setup_cycles * 1e3 / (double)iommusim_engine_hz(sim->e);
	st->h_put_tce = y->calls[ISIM_PPC_H_PUT_TCE] - x->calls[ISIM_PPC_H_PUT_TCE];
	st->h_put_tce_indirect =
		y->calls[ISIM_PPC_H_PUT_TCE_INDIRECT] - x->calls[ISIM_PPC_H_PUT_TCE_INDIRECT];
	st->h_stuff_tce = y->calls[ISIM_PPC_H_STUFF_TCE] - x->calls[ISIM_PPC_H_STUFF_TCE];
	st->h_get_tce = y->calls[ISIM_PPC_H_GET_TCE] - x->calls[ISIM_PPC_H_GET_TCE];
	st->opal_tce_kills = y->calls[ISIM_PPC_OPAL_TCE_KILL] - x->calls[ISIM_PPC_OPAL_TCE_KILL];
	/* a kill follows every build and free the kernel makes itself: its pages are the writes */
	st->tces_written = y->tces[ISIM_PPC_H_PUT_TCE] - x->tces[ISIM_PPC_H_PUT_TCE] +
			   y->tces[ISIM_PPC_H_PUT_TCE_INDIRECT] -
			   x->tces[ISIM_PPC_H_PUT_TCE_INDIRECT] + y->tces[ISIM_PPC_H_STUFF_TCE] -
			   x->tces[ISIM_PPC_H_STUFF_TCE] + y->tces[ISIM_PPC_OPAL_TCE_KILL] -
			   x->tces[ISIM_PPC_OPAL_TCE_KILL];
	for (unsigned int k = 0; k < ISIM_PPC_CALL_NR; k++)
		st->hcall_failures += y->failures[k] - x->failures[k];
}
