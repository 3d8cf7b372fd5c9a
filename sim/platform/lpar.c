/* SPDX-License-Identifier: MIT */
/*
 * LPAR: the guest runs on the machine's own firmware, which translates through the guest's
 * table directly. An RPCIT purges the adapter's IOTLB for the range and waits for the purge;
 * nothing is shadowed and nothing can run out, so every RPCIT costs the same and succeeds.
 */
#include "platform/charge.h"
#include "platform/platform_internal.h"

static int lpar_rpcit(struct iommusim_platform *p, struct iommusim_cpu *cpu,
		      struct isim_platform_fn *f, uint64_t first, uint64_t end, uint8_t *status)
{
	(void)f;
	(void)first;
	(void)end;
	(void)status;
	isim_platform_charge(p, cpu, iommusim_cost_cycles(p->cost, IOMMUSIM_COST_LPAR_RPCIT_NS), 0);
	return IOMMUSIM_FW_CC_OK;
}

static const char *const lpar_areas[] = {"lpar.", ISIM_S390_GUEST_AREAS, NULL};

/* No shadow, so no checks, no budget, no server, and the hardware's window. */
const struct isim_platform_ops isim_lpar_ops = {
	.name = "lpar",
	.arch = IOMMUSIM_ARCH_S390,
	.areas = lpar_areas,
	.shadows = false,
	.rpcit = lpar_rpcit,
};
