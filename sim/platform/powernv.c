/* SPDX-License-Identifier: MIT */
/*
 * PowerNV, bare-metal POWER9 (PHB4): no hypervisor. The kernel writes its TCEs itself (guest
 * work, reported by the TCE code) and asks OPAL to kill the PHB's TCE cache after every build
 * and free; the kill is the only firmware call on the DMA path. sources.md S23.
 */
#include "platform/platform_internal.h"
#include "platform/ppc_platform.h"

static void powernv_prices(const struct iommusim_cost *c,
			   struct isim_ppc_price out[ISIM_PPC_CALL_NR])
{
	for (unsigned int k = 0; k < ISIM_PPC_CALL_NR; k++)
		out[k] = (struct isim_ppc_price){0};
	out[ISIM_PPC_OPAL_TCE_KILL].trap =
		iommusim_cost_cycles(c, IOMMUSIM_COST_POWERNV_TCE_KILL_NS);
}

static const struct isim_ppc_kind_ops powernv_ppc = {
	.pseries = false,
	.prices = powernv_prices,
};

static const char *const powernv_areas[] = {"powernv.", "ppc.", NULL};

const struct isim_platform_ops isim_powernv_ops = {
	.name = "powernv",
	.arch = IOMMUSIM_ARCH_POWERPC,
	.ppc = &powernv_ppc,
	.areas = powernv_areas,
};
