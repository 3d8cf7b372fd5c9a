/* SPDX-License-Identifier: MIT */
/*
 * KVM pseries with QEMU and vfio, POWER9 or later: every hcall exits to the host's virtual
 * mode, where KVM handles the TCE calls of a vfio device itself (book3s_64_vio.c): each TCE
 * goes into the host's table and the call ends with a kill of the PHB's TCE cache. With
 * kvm_ppc.in_kernel_tce 0 KVM answers H_TOO_HARD and QEMU does the work under its big lock
 * (one server for every vCPU). The DDW RTAS calls always go to QEMU. sources.md S25, S26.
 */
#include "platform/platform_internal.h"
#include "platform/ppc_platform.h"

static void kvm_ppc_prices(const struct iommusim_cost *c,
			   struct isim_ppc_price out[ISIM_PPC_CALL_NR])
{
	uint64_t exit = iommusim_cost_cycles(c, IOMMUSIM_COST_KVM_PPC_HCALL_EXIT_NS);
	uint64_t tce = iommusim_cost_cycles(c, IOMMUSIM_COST_KVM_PPC_TCE_NS);
	uint64_t kill = iommusim_cost_cycles(c, IOMMUSIM_COST_KVM_PPC_TCE_KILL_NS);
	uint64_t qexit = iommusim_cost_cycles(c, IOMMUSIM_COST_KVM_PPC_QEMU_EXIT_NS);
	uint64_t qtce = iommusim_cost_cycles(c, IOMMUSIM_COST_KVM_PPC_QEMU_TCE_NS);
	uint64_t rtas = iommusim_cost_cycles(c, IOMMUSIM_COST_KVM_PPC_RTAS_NS);
	struct isim_ppc_price change = {.trap = exit + kill, .trap_per_tce = tce};

	for (unsigned int k = 0; k < ISIM_PPC_CALL_NR; k++)
		out[k] = (struct isim_ppc_price){.trap = exit, .work = qexit + rtas};
	if (!iommusim_cost_get(c, IOMMUSIM_COST_KVM_PPC_IN_KERNEL_TCE))
		change = (struct isim_ppc_price){
			.trap = exit, .work = qexit + kill, .work_per_tce = qtce};
	out[ISIM_PPC_H_PUT_TCE] = change;
	out[ISIM_PPC_H_PUT_TCE_INDIRECT] = change;
	out[ISIM_PPC_H_STUFF_TCE] = change;
	out[ISIM_PPC_H_GET_TCE] = (struct isim_ppc_price){.trap = exit};
	out[ISIM_PPC_OPAL_TCE_KILL] = (struct isim_ppc_price){0};
}

/*
 * QEMU's big lock: when QEMU handles the TCE calls, what it does for every vCPU is served by
 * one server. Otherwise only the set-up's RTAS calls reach QEMU, one CPU at a time anyway.
 */
static void kvm_ppc_setup(const struct iommusim_cost *c, struct isim_platform_setup *out)
{
	out->budget = 0;
	out->server = iommusim_cost_get(c, IOMMUSIM_COST_KVM_PPC_IN_KERNEL_TCE) ? NULL : "qemu-bql";
}

/* sources.md S25: QEMU's second window at 2^63; it lists the reset extension only. */
static const struct isim_ppc_kind_ops kvm_ppc_ppc = {
	.pseries = true,
	.ddw_addr = UINT64_C(1) << 63,
	.ext_count = 1,
	.prices = kvm_ppc_prices,
};

static const char *const kvm_ppc_areas[] = {"kvm_ppc.", "pseries.", "ppc.", NULL};

const struct isim_platform_ops isim_kvm_ppc_ops = {
	.name = "kvm-ppc",
	.arch = IOMMUSIM_ARCH_POWERPC,
	.ppc = &kvm_ppc_ppc,
	.areas = kvm_ppc_areas,
	.setup = kvm_ppc_setup,
};
