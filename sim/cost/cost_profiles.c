/* SPDX-License-Identifier: MIT */
/*
 * The cost profiles: the values that differ by platform and are read by more than one platform
 * model: whether maps need a refresh (zpci.tlb_refresh, s390), the per-I/O cost of doorbells
 * and interrupts under each hypervisor, the QEMU version switches, and powerpc's default
 * window. Every platform profile sets the shared keys its machine reads, so a profile gives the
 * same configuration whatever the defaults are; calibrated values for a platform go into its
 * profile. Settings are in table order (cost_table.c).
 */
#include <iommusim/cost.h>

#include "base/compiler.h"
#include "cost/cost_internal.h"

/* one entry of a profile, on one line */
/* clang-format off */
#define SET(id_, value_) { .id = IOMMUSIM_COST_##id_, .value = (value_) }
/* clang-format on */

/*
 * Settings in table order; each platform profile sets the same shared keys, and the KVM ones
 * their calibrated value too.
 */
static const struct iommusim_cost_setting lpar_settings[] = {
	SET(ZPCI_TLB_REFRESH, 0),
	SET(NVME_SUBMIT_NS, 1000),
	SET(NVME_COMPLETE_NS, 1500),
};

/*
 * zvm.segment_ns is the calibrated value (docs/calibration.md): the one-parameter fit to the
 * published "plummets to about half" of the plain conversion under z/VM (O3).
 */
#define ZVM_SEGMENT_CALIBRATED 1210

static const struct iommusim_cost_setting zvm_settings[] = {
	SET(ZPCI_TLB_REFRESH, 1),
	SET(ZVM_SEGMENT_NS, ZVM_SEGMENT_CALIBRATED),
	SET(NVME_SUBMIT_NS, 1500),
	SET(NVME_COMPLETE_NS, 3000),
};

/*
 * The calibrated value (docs/calibration.md): kvm.trap_locked_ns fitted to the published
 * strict/legacy ratio of 2022 (O1); the fit ends at the top of the range (a 100 us round trip
 * with the unlocked part). It is a property of the host, not of QEMU's release, so every KVM
 * generation carries it.
 */
#define KVM_TRAP_LOCKED_CALIBRATED 98500

/*
 * The KVM generations (sources.md S4, S5). QEMU 7.1 and 7.2 ran on 2022 hosts, whose s390
 * IOMMU driver still flushed inside every vfio map (Linux < 6.2); QEMU 8.0 shipped in April
 * 2023, after Linux 6.2.
 */
#define KVM_SHARED   SET(ZPCI_TLB_REFRESH, 1), SET(KVM_TRAP_LOCKED_NS, KVM_TRAP_LOCKED_CALIBRATED)
#define KVM_GUEST_IO SET(NVME_SUBMIT_NS, 1000), SET(NVME_COMPLETE_NS, 2000)

static const struct iommusim_cost_setting kvm_settings[] = {
	KVM_SHARED,
	SET(QEMU_UNMAP_COALESCE, 1),
	SET(QEMU_SECOND_PASS, 1),
	SET(QEMU_APERTURE_SHRINK, 1),
	SET(HOST_FLUSH_ON_MAP, 0),
	KVM_GUEST_IO,
};

static const struct iommusim_cost_setting kvm_qemu72_settings[] = {
	KVM_SHARED,
	SET(QEMU_UNMAP_COALESCE, 0),
	SET(QEMU_SECOND_PASS, 1),
	SET(QEMU_APERTURE_SHRINK, 0),
	SET(HOST_FLUSH_ON_MAP, 1),
	KVM_GUEST_IO,
};

static const struct iommusim_cost_setting kvm_qemu71_settings[] = {
	KVM_SHARED,
	SET(QEMU_UNMAP_COALESCE, 0),
	SET(QEMU_SECOND_PASS, 0),
	SET(QEMU_APERTURE_SHRINK, 0),
	SET(HOST_FLUSH_ON_MAP, 1),
	KVM_GUEST_IO,
};

/*
 * powerpc: the NVMe driver's doorbells and interrupts as on the s390 platforms of the same
 * kind (a hypervisor in the interrupt path or not); the default window as each firmware gives
 * it (sources.md S25, S26).
 */
static const struct iommusim_cost_setting powervm_settings[] = {
	SET(NVME_SUBMIT_NS, 1000),
	SET(NVME_COMPLETE_NS, 2000),
	SET(PSERIES_DEFAULT_WINDOW_MB, 2048),
};

static const struct iommusim_cost_setting kvm_ppc_settings[] = {
	SET(NVME_SUBMIT_NS, 1000),
	SET(NVME_COMPLETE_NS, 2000),
	SET(PSERIES_DEFAULT_WINDOW_MB, 1024),
};

static const struct iommusim_cost_setting powernv_settings[] = {
	SET(NVME_SUBMIT_NS, 1000),
	SET(NVME_COMPLETE_NS, 1500),
};

#define PROFILE(name_, platform_, summary_, settings_)                                             \
	{                                                                                          \
		.name = name_, .platform = platform_, .summary = summary_, .settings = settings_,  \
		.nsettings = ISIM_ARRAY_SIZE(settings_),                                           \
	}

const struct iommusim_cost_profile isim_cost_profiles[] = {
	PROFILE("lpar", "lpar",
		"LPAR: no shadowing, no refresh on map; native doorbells and interrupts",
		lpar_settings),
	PROFILE("zvm", "zvm",
		"z/VM: CP shadows the tables and sits in the I/O path (EST, not public)",
		zvm_settings),
	PROFILE("kvm", "kvm",
		"KVM, QEMU >= 8.0, host Linux >= 6.2: coalescing, second pass, aperture shrink",
		kvm_settings),
	PROFILE("kvm-qemu7.2", "kvm",
		"KVM, QEMU 7.2, host Linux < 6.2: second pass; no coalescing or shrink",
		kvm_qemu72_settings),
	PROFILE("kvm-qemu7.1", "kvm",
		"KVM, QEMU <= 7.1, host Linux < 6.2: no second pass, coalescing or shrink",
		kvm_qemu71_settings),
	PROFILE("powervm", "powervm",
		"PowerVM: TCE hcalls and RTAS into the firmware hypervisor (EST, not public)",
		powervm_settings),
	PROFILE("kvm-ppc", "kvm-ppc",
		"KVM pseries on POWER9+: TCE hcalls in the host kernel, DDW calls in QEMU",
		kvm_ppc_settings),
	PROFILE("powernv", "powernv",
		"PowerNV bare metal (POWER9, PHB4): TCE writes plus an OPAL TCE kill",
		powernv_settings),
};

const size_t isim_cost_nr_profiles = ISIM_ARRAY_SIZE(isim_cost_profiles);
