/* SPDX-License-Identifier: MIT */
/*
 * PowerVM: the hypervisor is firmware (pHyp). A TCE hcall enters it and returns without any
 * userspace: its entry, the TCEs it writes or clears, and the invalidation of the PHB's TCE
 * cache when it changed any; an RTAS DDW call is a slower firmware service. No per-call figure
 * is public: every price is an estimate (sources.md S26). Nothing is shared between CPUs.
 */
#include "platform/platform_internal.h"
#include "platform/ppc_platform.h"

static void powervm_prices(const struct iommusim_cost *c,
			   struct isim_ppc_price out[ISIM_PPC_CALL_NR])
{
	uint64_t hcall = iommusim_cost_cycles(c, IOMMUSIM_COST_POWERVM_HCALL_NS);
	uint64_t tce = iommusim_cost_cycles(c, IOMMUSIM_COST_POWERVM_TCE_NS);
	uint64_t inval = iommusim_cost_cycles(c, IOMMUSIM_COST_POWERVM_TCE_INVAL_NS);
	uint64_t rtas = iommusim_cost_cycles(c, IOMMUSIM_COST_POWERVM_RTAS_NS);

	for (unsigned int k = 0; k < ISIM_PPC_CALL_NR; k++)
		out[k] = (struct isim_ppc_price){.trap = rtas};
	out[ISIM_PPC_H_PUT_TCE] =
		(struct isim_ppc_price){.trap = hcall + inval, .trap_per_tce = tce};
	out[ISIM_PPC_H_PUT_TCE_INDIRECT] = out[ISIM_PPC_H_PUT_TCE];
	out[ISIM_PPC_H_STUFF_TCE] = out[ISIM_PPC_H_PUT_TCE];
	out[ISIM_PPC_H_GET_TCE] = (struct isim_ppc_price){.trap = hcall};
	out[ISIM_PPC_OPAL_TCE_KILL] = (struct isim_ppc_price){0};
}

/* Assumed as QEMU's: a second window at 2^63; the reset and limited-addressing extensions. */
static const struct isim_ppc_kind_ops powervm_ppc = {
	.pseries = true,
	.ddw_addr = UINT64_C(1) << 63,
	.ext_count = 3,
	.ext_limited = 1,
	.prices = powervm_prices,
};

static const char *const powervm_areas[] = {"powervm.", "pseries.", "ppc.", NULL};

const struct isim_platform_ops isim_powervm_ops = {
	.name = "powervm",
	.arch = IOMMUSIM_ARCH_POWERPC,
	.ppc = &powervm_ppc,
	.areas = powervm_areas,
};
