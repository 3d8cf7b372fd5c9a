/* SPDX-License-Identifier: MIT */
/*
 * KVM + QEMU + vfio type1: every RPCIT leaves SIE, passes through KVM to QEMU
 * (kvm.trap_user_ns in all) and is emulated by rpcit_service_call() under QEMU's big lock.
 *
 * Which part of the trap is serialised: the SIE exit, KVM's intercept handling and the return
 * from and re-entry into KVM_RUN are what any exit costs (kvm.trap_kernel_ns) and run on the
 * vCPU alone. QEMU's exit handler takes the big lock before it synchronises the vCPU state and
 * dispatches (hypervisor.md §1.1), so the rest of the round trip, kvm.trap_user_ns -
 * kvm.trap_kernel_ns, is spent holding the lock, as is the emulation: a walk of
 * the range page by page that keeps QEMU's shadow (its IOTLB hash table) and vfio's mappings in
 * line with the guest's table (hypervisor.md §1.2-§1.7, §2). The walk itself is shadow.c; here
 * are the QEMU version's switches, the cost of the work (§9.2) and the answer.
 */
#include "platform/platform_internal.h"

/* hypervisor.md §9.2, with the cost table's names; the walk counts every term once per pass */
static uint64_t emulation_ns(const struct iommusim_cost *c, const struct isim_walk_counts *n)
{
	uint64_t walk = iommusim_cost_get(c, IOMMUSIM_COST_QEMU_WALK_NS);
	uint64_t hash = iommusim_cost_get(c, IOMMUSIM_COST_QEMU_HASH_NS);

	return n->pages_walked * (walk + hash) + n->upper_invalid * walk + n->upper_pages * hash +
	       n->removes * iommusim_cost_get(c, IOMMUSIM_COST_QEMU_HASH_REMOVE_NS) +
	       n->inserts * iommusim_cost_get(c, IOMMUSIM_COST_QEMU_HASH_INSERT_NS) +
	       n->maps * iommusim_cost_get(c, IOMMUSIM_COST_VFIO_MAP_IOCTL_NS) +
	       n->unmap_calls * iommusim_cost_get(c, IOMMUSIM_COST_VFIO_UNMAP_IOCTL_NS) +
	       n->teardowns * (iommusim_cost_get(c, IOMMUSIM_COST_VFIO_UNMAP_ENTRY_NS) +
			       iommusim_cost_get(c, IOMMUSIM_COST_HOST_IOTLB_INV_NS));
}

uint64_t isim_kvm_locked_trap_ns(const struct iommusim_cost *c)
{
	uint64_t user = iommusim_cost_get(c, IOMMUSIM_COST_KVM_TRAP_USER_NS);
	uint64_t kernel = iommusim_cost_get(c, IOMMUSIM_COST_KVM_TRAP_KERNEL_NS);

	/* both are in range, and the ranges do not overlap; saturate anyway */
	return user > kernel ? user - kernel : 0;
}

/* mirrors rpcit_service_call() after its checks */
int isim_kvm_rpcit(struct iommusim_platform *p, struct iommusim_cpu *cpu,
		   struct isim_platform_fn *f, uint64_t first, uint64_t end, uint8_t *status)
{
	const struct iommusim_cost *c = p->cost;
	bool coalesce = iommusim_cost_get(c, IOMMUSIM_COST_QEMU_UNMAP_COALESCE);
	const struct isim_walk_rules rules = {
		/* QEMU's walk reports a frame from the address it stands on */
		.anchored_frames = true,
		.unmap = coalesce ? ISIM_UNMAP_RUNS : ISIM_UNMAP_PER_PAGE,
		/* since 7.2 the unmap notification left s390_pci_update_iotlb() for the runs */
		.silent_upper_drops = coalesce,
		.second_pass = iommusim_cost_get(c, IOMMUSIM_COST_QEMU_SECOND_PASS),
		.remap_keeps_budget = false,
	};
	struct isim_walk_counts n = {0};

	isim_shadow_refresh(f->shadow, f->iota, first, end, &rules, &p->container, &n);
	isim_platform_charge(p, cpu, iommusim_cost_cycles(c, IOMMUSIM_COST_KVM_TRAP_KERNEL_NS),
			     iommusim_cost_ns_to_cycles(c, isim_kvm_locked_trap_ns(c) +
							       emulation_ns(c, &n)));
	isim_platform_add_counts(p, &n);
	if (!p->container.limited || p->container.avail > 0)
		return IOMMUSIM_FW_CC_OK;
	/* QEMU answers so whenever the budget ends at 0, even if every page got mapped. */
	p->st.budget_exhausted++;
	*status = IOMMUSIM_FW_STATUS_RESOURCES_ALT;
	return IOMMUSIM_FW_CC_ERROR;
}
