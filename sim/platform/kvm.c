/* SPDX-License-Identifier: MIT */
/*
 * KVM + QEMU + vfio type1: every RPCIT leaves SIE, passes through KVM to QEMU and is emulated
 * by rpcit_service_call() under QEMU's big lock.
 *
 * Which part of the trap is serialised is not known (docs/sources.md S1, S2), so each part is
 * its own parameter: kvm.trap_unlocked_ns (SIE exit, KVM's intercept handling, the return from
 * and re-entry into KVM_RUN) runs on the vCPU alone; kvm.trap_locked_ns (QEMU's exit handler
 * takes the lock before it synchronises the vCPU state and dispatches) is spent holding the
 * lock, as is the emulation: a walk of the range page by page that keeps QEMU's shadow (its
 * IOTLB hash table) and vfio's mappings in line with the guest's table. The walk itself is
 * shadow.c; here are the QEMU generation's switches, the cost of the work and the answer, and
 * at the end the rest of what KVM decides (isim_kvm_ops).
 */
#include <errno.h>

#include "arch/s390/s390_tables.h"
#include "platform/charge.h"
#include "platform/platform_internal.h"

/*
 * The cost of the counted work (docs/platforms.md), priced by kvm_setup(); the walk counts
 * every term once per pass.
 */
static uint64_t emulation_ns(const struct isim_walk_prices *pr, const struct isim_walk_counts *n)
{
	return n->pages_walked * pr->pages_walked + n->upper_invalid * pr->upper_invalid +
	       n->upper_pages * pr->upper_pages + n->removes * pr->removes +
	       n->inserts * pr->inserts + n->maps * pr->maps + n->unmap_calls * pr->unmap_calls +
	       n->teardowns * pr->teardowns;
}

/*
 * Charge one RPCIT exit: kvm.trap_unlocked_ns on @cpu, then kvm.trap_locked_ns plus
 * @emulation_ns of work under QEMU's big lock. The one place the trap is split, for an
 * emulated RPCIT and a refused one alike.
 */
static void kvm_charge_trap(struct iommusim_platform *p, struct iommusim_cpu *cpu,
			    uint64_t emulation_ns)
{
	const struct iommusim_cost *c = p->cost;

	isim_platform_charge(
		p, cpu, iommusim_cost_cycles(c, IOMMUSIM_COST_KVM_TRAP_UNLOCKED_NS),
		iommusim_cost_ns_to_cycles(
			c, iommusim_cost_get(c, IOMMUSIM_COST_KVM_TRAP_LOCKED_NS) + emulation_ns));
}

/* mirrors rpcit_service_call() after its checks */
static int kvm_rpcit(struct iommusim_platform *p, struct iommusim_cpu *cpu,
		     struct isim_platform_fn *f, uint64_t first, uint64_t end, uint8_t *status)
{
	struct isim_walk_counts *n = &p->walked;
	/* the walk's time is what it adds to that of all walks (charge.h) */
	uint64_t before = emulation_ns(&p->prices, n);

	/* What the walk did before it stopped is counted; its time is not charged. */
	if (isim_shadow_refresh(f->shadow, f->iota, first, end, &p->rules, &p->container, n))
		return -ENOMEM;
	kvm_charge_trap(p, cpu, emulation_ns(&p->prices, n) - before);
	if (!p->container.limited || p->container.avail > 0)
		return IOMMUSIM_FW_CC_OK;
	/* QEMU answers so whenever the budget ends at 0, even if every page got mapped. */
	p->st.budget_exhausted++;
	*status = IOMMUSIM_FW_STATUS_RESOURCES_ALT;
	return IOMMUSIM_FW_CC_ERROR;
}

/* A refused RPCIT still makes the whole round trip, QEMU's decoding under the lock included. */
static void kvm_refused(struct iommusim_platform *p, struct iommusim_cpu *cpu)
{
	kvm_charge_trap(p, cpu, 0);
}

/*
 * vfio type1's dma_entry_limit as QEMU counts it; the big lock unless serialisation is off;
 * the QEMU generation's walk, and what each count of it costs.
 */
static void kvm_setup(const struct iommusim_cost *c, struct isim_platform_setup *out)
{
	bool coalesce = iommusim_cost_get(c, IOMMUSIM_COST_QEMU_UNMAP_COALESCE);
	uint64_t walk = iommusim_cost_get(c, IOMMUSIM_COST_QEMU_WALK_NS);
	uint64_t hash = iommusim_cost_get(c, IOMMUSIM_COST_QEMU_HASH_NS);
	uint64_t inv = iommusim_cost_get(c, IOMMUSIM_COST_HOST_IOTLB_INV_NS);

	out->budget = iommusim_cost_get(c, IOMMUSIM_COST_VFIO_DMA_ENTRY_LIMIT);
	out->server = iommusim_cost_get(c, IOMMUSIM_COST_QEMU_SERIALIZE_RPCIT) ? "qemu-bql" : NULL;
	out->rules = (struct isim_walk_rules){
		/* QEMU's walk reports a frame from the address it stands on */
		.anchored_frames = true,
		.unmap = coalesce ? ISIM_UNMAP_RUNS : ISIM_UNMAP_PER_PAGE,
		/* since 8.0 the unmap notification left s390_pci_update_iotlb() for the runs */
		.silent_upper_drops = coalesce,
		.second_pass = iommusim_cost_get(c, IOMMUSIM_COST_QEMU_SECOND_PASS),
		.remap_keeps_budget = false,
	};
	out->prices = (struct isim_walk_prices){
		/* a page of a page table: a walk and a lookup; under an upper entry: a lookup */
		.pages_walked = walk + hash,
		.upper_invalid = walk,
		.upper_pages = hash,
		.removes = iommusim_cost_get(c, IOMMUSIM_COST_QEMU_HASH_REMOVE_NS),
		.inserts = iommusim_cost_get(c, IOMMUSIM_COST_QEMU_HASH_INSERT_NS),
		/* a host before Linux 6.2 flushes its own IOTLB inside every map (sources.md S5) */
		.maps = iommusim_cost_get(c, IOMMUSIM_COST_VFIO_MAP_IOCTL_NS) +
			(iommusim_cost_get(c, IOMMUSIM_COST_HOST_FLUSH_ON_MAP) ? inv : 0),
		.unmap_calls = iommusim_cost_get(c, IOMMUSIM_COST_VFIO_UNMAP_IOCTL_NS),
		.teardowns = iommusim_cost_get(c, IOMMUSIM_COST_VFIO_UNMAP_ENTRY_NS) + inv,
	};
}

/* sources.md S11: with QEMU 8.0's shrink the window holds at most the vfio limit */
static void kvm_zpci_config(const struct iommusim_cost *c, struct iommusim_zpci_config *out)
{
	uint64_t size;

	if (!iommusim_cost_get(c, IOMMUSIM_COST_QEMU_APERTURE_SHRINK))
		return;
	/* mirrors s390_pci_read_base() */
	size = iommusim_cost_get(c, IOMMUSIM_COST_VFIO_DMA_ENTRY_LIMIT) << ZPCI_PAGE_SHIFT;
	if (size && size < out->end_dma - out->start_dma + 1)
		out->end_dma = out->start_dma + size - 1;
}

/*
 * mirrors pci_dereg_ioat(): the IOMMU region leaves the address space, so vfio's listener
 * removes the whole window with one UNMAP_DMA, while QEMU forgets its entries without giving
 * their budget back (s390_pci_iommu_disable()).
 */
static void kvm_dereg_ioat(struct iommusim_platform *p, uint64_t pages)
{
	(void)pages;
	p->st.host_unmap_calls++;
}

static const char *const kvm_areas[] = {"kvm.", "qemu.", "vfio.", "host.", ISIM_S390_GUEST_AREAS,
					NULL};

const struct isim_platform_ops isim_kvm_ops = {
	.name = "kvm",
	.arch = IOMMUSIM_ARCH_S390,
	.areas = kvm_areas,
	.shadows = true,
	.rpcit = kvm_rpcit,
	.refused = kvm_refused,
	.setup = kvm_setup,
	.zpci_config = kvm_zpci_config,
	.dereg_ioat = kvm_dereg_ioat,
};
