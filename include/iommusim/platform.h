/* SPDX-License-Identifier: MIT */
/**
 * @file platform.h  The machine under the guest: LPAR, z/VM, or KVM with QEMU and vfio; on
 * powerpc PowerVM, KVM pseries or bare-metal PowerNV.
 *
 * A platform answers the guest's firmware calls (RPCIT) on the simulation engine and charges
 * what they cost, in cycles, to the executing CPU and to the platform's shared servers. It also
 * says what firmware reports to the guest about a zPCI function (DMA window, whether the
 * hypervisor needs RPCIT on map).
 *
 * - LPAR: RPCIT is a hardware IOTLB purge with its completion wait (lpar.rpcit_ns); maps need
 *   no RPCIT (the lpar profile's zpci.tlb_refresh 0).
 * - KVM + QEMU + vfio: every RPCIT traps to QEMU (kvm.trap_unlocked_ns + kvm.trap_locked_ns,
 *   the second under QEMU's big lock), which walks the range of
 *   the guest's I/O table page by page and keeps its shadow of the guest's mappings, exactly per
 *   4 KiB page: one VFIO_IOMMU_MAP_DMA per newly valid page, coalesced VFIO_IOMMU_UNMAP_DMA per
 *   power-of-two piece of each run of invalid PTEs, the vfio.dma_entry_limit budget shared by
 *   every function of the container, the second pass, and cc 1 / status 16 when the budget ends
 *   at zero. The qemu.* switches select the QEMU version's behaviour.
 * - z/VM: a shadowing hypervisor whose internals are not public; its per-page parameters are
 *   estimates (zvm.*), documented in docs/platforms.md.
 *
 * - powerpc (`powervm`, `kvm-ppc`, `powernv`): the firmware under a powerpc guest's TCE tables:
 *   TCE hypervisor calls, RTAS DDW calls, OPAL TCE kills, each priced per call and per TCE
 *   (docs/powerpc.md). Such a platform has no s390 firmware handle; a simulation builds its
 *   powerpc one.
 *
 * Walk work is computed from the table's occupancy, segment by segment, so a global refresh of
 * millions of pages costs wall time proportional to its segments and to the pages that changed;
 * the shadow state it changes (host mappings, budget) is exact.
 *
 * Like the engine it runs on, a platform is driven by one thread. docs/platforms.md gives the
 * formulas, the parameters and what is not modelled.
 */
#ifndef IOMMUSIM_PLATFORM_H
#define IOMMUSIM_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/cost.h>
#include <iommusim/engine.h>
#include <iommusim/export.h>
#include <iommusim/firmware.h>
#include <iommusim/mem.h>
#include <iommusim/s390.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iommusim_platform;

/**
 * RPCIT status with condition code 1: the function is in error (QEMU's ZPCI_PCI_ST_FUNC_IN_ERR),
 * the answer to a range entirely outside the registered [pba, pal]. The s390 driver reports it
 * as -EIO. The model does not put the function into an error state: later RPCITs are answered
 * as usual.
 */
#define IOMMUSIM_PLATFORM_STATUS_FUNC_IN_ERROR 8

/** enum iommusim_platform_kind - which machine the guest runs on. */
enum iommusim_platform_kind {
	IOMMUSIM_PLATFORM_LPAR = 0, /**< "lpar": bare LPAR, no shadowing */
	IOMMUSIM_PLATFORM_ZVM,	    /**< "zvm": z/VM guest, CP shadows the I/O tables */
	IOMMUSIM_PLATFORM_KVM,	    /**< "kvm": KVM guest, QEMU shadows into vfio type1 */
	IOMMUSIM_PLATFORM_POWERVM,  /**< "powervm": pSeries LPAR under PowerVM's hypervisor */
	IOMMUSIM_PLATFORM_KVM_PPC,  /**< "kvm-ppc": pSeries guest of KVM, QEMU and vfio */
	IOMMUSIM_PLATFORM_POWERNV,  /**< "powernv": bare-metal POWER9, the kernel owns the PHB */
	IOMMUSIM_PLATFORM_NR	    /**< number of kinds; not a kind */
};

/** enum iommusim_arch - the architecture a platform kind runs: which guest DMA stack. */
enum iommusim_arch {
	IOMMUSIM_ARCH_S390 = 0, /**< zPCI: RPCIT, the s390 policies */
	IOMMUSIM_ARCH_POWERPC,	/**< TCE tables, hcalls and DMA windows (docs/powerpc.md) */
};

/** iommusim_platform_name() - "lpar", "zvm", "kvm", "powervm", ...; "unknown" otherwise. */
IOMMUSIM_API const char *iommusim_platform_name(enum iommusim_platform_kind kind);

/** iommusim_platform_arch() - the architecture of @kind (s390 for an unknown kind). */
IOMMUSIM_API enum iommusim_arch iommusim_platform_arch(enum iommusim_platform_kind kind);

/**
 * iommusim_platform_lookup() - a kind by name: the kind's own ("kvm") or that of a cost profile
 * configuring it ("kvm-qemu7.1", a generation of the kind's software).
 * Return: 0 with *@out set; -ENOENT for an unknown name.
 */
IOMMUSIM_API int iommusim_platform_lookup(const char *name, enum iommusim_platform_kind *out);

/**
 * iommusim_platform_reads() - whether a platform of @kind reads cost parameter @id.
 * The parameters of a platform model are read only by it: `lpar.*` by LPAR, `zvm.*` by z/VM,
 * `kvm.*`, `qemu.*`, `vfio.*` and `host.*` by KVM; every other parameter (the guest's, the
 * workload's, the device's) is read on every platform. A value set for a parameter its
 * platform does not read would change nothing, so iommusim_scenario_configure() refuses it.
 * Return: true or false (false for an out-of-range @kind or @id).
 */
IOMMUSIM_API bool iommusim_platform_reads(enum iommusim_platform_kind kind,
					  enum iommusim_cost_id id);

/**
 * iommusim_platform_set_reads() - whether a platform of the architecture @cost's profile
 * configures reads parameter @id (iommusim_platform_reads()); true for every parameter of a
 * set without a profile. What a set's machine cannot read is left out of its listings
 * ("config" in reports, `params`) and of uncertainty draws: an s390 set shows no powerpc
 * parameter, a powerpc one no s390 parameter.
 */
IOMMUSIM_API bool iommusim_platform_set_reads(const struct iommusim_cost *cost,
					      enum iommusim_cost_id id);

/**
 * struct iommusim_platform_config - what the platform is built from.
 * @kind:         which machine.
 * @guest_memory: bytes of guest memory; the guest's default aperture is as large.
 * @cost:         the resolved parameter set (read at creation and on every call; it must stay
 *                valid and unchanged for the platform's lifetime).
 */
struct iommusim_platform_config {
	enum iommusim_platform_kind kind;
	uint64_t guest_memory;
	const struct iommusim_cost *cost;
};

/**
 * iommusim_platform_create() - a platform on @e.
 * @mem: memory context for the platform, its firmware handle and shadow state.
 * @e:   the engine whose CPUs execute the firmware calls; it must outlive the platform.
 * @cfg: the configuration.
 * @out: receives the platform.
 *
 * The shadow state grows while RPCITs run; a firmware call has no way to report a lack of
 * memory, so if @mem cannot supply it the RPCIT is answered with an error and the platform
 * records the failure (iommusim_platform_error()).
 *
 * Return: 0; -EINVAL for a bad kind or zero guest memory; -ENOMEM.
 */
IOMMUSIM_API int iommusim_platform_create(struct iommusim_mem *mem, struct iommusim_engine *e,
					  const struct iommusim_platform_config *cfg,
					  struct iommusim_platform **out);

/** iommusim_platform_destroy() - free the platform and its firmware handle (NULL is ignored). */
IOMMUSIM_API void iommusim_platform_destroy(struct iommusim_platform *p);

/** iommusim_platform_kind() - the platform's kind. */
IOMMUSIM_API enum iommusim_platform_kind iommusim_platform_kind(const struct iommusim_platform *p);

/**
 * iommusim_platform_firmware() - the firmware handle the guest's drivers call (owned by the
 * platform; do not destroy it).
 *
 * Its set_ioat registers a function's table, as QEMU's reg_ioat does: pba is rounded down and
 * pal up to pages; it answers -EINVAL for a window outside what iommusim_platform_zpci_config()
 * reports, -EBUSY for a function that already has a table, -ENOMEM; a deregistration answers
 * -ENOENT for a function without a table. RPCITs of a function without a table answer cc 3 (on
 * LPAR every RPCIT answers 0). NULL for a powerpc kind, whose firmware is the powerpc one.
 */
IOMMUSIM_API struct iommusim_firmware *iommusim_platform_firmware(struct iommusim_platform *p);

/**
 * iommusim_platform_zpci_config() - what firmware reports for function @fh: start_dma and
 * end_dma (QEMU's window, cut to vfio.dma_entry_limit pages when qemu.aperture_shrink is set
 * on KVM, or to guest.aperture_pages when that is not 0), tlb_refresh (zpci.tlb_refresh: the
 * lpar profile sets 0, the shadowing ones 1), guest memory and the default aperture factor.
 * @p:   the platform.
 * @fh:  the function handle to report.
 * @out: receives the configuration, ready for iommusim_s390_device_init().
 */
IOMMUSIM_API void iommusim_platform_zpci_config(const struct iommusim_platform *p, uint32_t fh,
						struct iommusim_zpci_config *out);

/**
 * struct iommusim_platform_stats - what the platform did. Counters only grow, except the three
 * levels shadow_pages, shadow_pages_max and dma_avail. Members are only ever appended.
 * @rpcits:            RPCIT instructions answered.
 * @rpcit_errors:      answers other than cc 0 and the budget's cc 1 / status 16: cc 3 for a
 *                     function with no registered table (unknown, or deregistered), cc 1 /
 *                     IOMMUSIM_PLATFORM_STATUS_FUNC_IN_ERROR for a range outside the window.
 * @budget_exhausted:  answers cc 1 / status 16. KVM: the vfio budget ended at 0 (even when every
 *                     page got mapped, as QEMU answers). z/VM (only with zvm.dma_entry_limit
 *                     set): pages were left unshadowed for want of budget.
 * @passes:            walks of an RPCIT range, second passes included (0 on LPAR).
 * @second_passes:     walks repeated because the budget ran out and unmaps freed some.
 * @tables_walked:     page tables entered by walks (valid segment-table entries met).
 * @pages_walked:      4 KiB pages walked inside existing page tables, each a full table walk.
 * @upper_invalid:     invalid segment or region entries met by the walks.
 * @host_maps:         pages mapped in the host (VFIO_IOMMU_MAP_DMA ioctls on KVM).
 * @host_unmap_calls:  VFIO_IOMMU_UNMAP_DMA ioctls (KVM; 0 on z/VM).
 * @host_unmaps:       pages unmapped in the host, each with a host IOTLB invalidation.
 * @maps_skipped:      newly valid pages left unmapped because the budget was 0.
 * @hyp_cycles:        cycles spent in the hypervisor for RPCITs (traps and emulation), waits
 *                     for the server excluded.
 * @shadow_pages:      pages mapped in the host now.
 * @shadow_pages_max:  the most ever mapped at once.
 * @dma_avail:         budget left now (UINT64_MAX when there is no limit).
 * @upper_pages:       pages under the invalid upper entries met; QEMU looks each up in its
 *                     shadow (one hash operation), CP is assumed to skip them.
 * @silent_drops:      shadow pages under an invalid upper entry that QEMU (>= 7.2) forgets
 *                     and whose budget it takes back without unmapping them in vfio, so the
 *                     host keeps the mapping (sources.md S10, caveat). Not in host_unmaps.
 * @remaps:            valid pages whose target or permission changed while shadowed: unmapped
 *                     and mapped again (counted in host_unmaps and host_maps as well). On KVM
 *                     each keeps one unit of budget for good, as QEMU's counter does.
 * @range_errors:      RPCITs whose range lay entirely outside [pba, pal] (in rpcit_errors).
 */
struct iommusim_platform_stats {
	uint64_t rpcits;
	uint64_t rpcit_errors;
	uint64_t budget_exhausted;
	uint64_t passes;
	uint64_t second_passes;
	uint64_t tables_walked;
	uint64_t pages_walked;
	uint64_t upper_invalid;
	uint64_t host_maps;
	uint64_t host_unmap_calls;
	uint64_t host_unmaps;
	uint64_t maps_skipped;
	uint64_t hyp_cycles;
	uint64_t shadow_pages;
	uint64_t shadow_pages_max;
	uint64_t dma_avail;
	uint64_t upper_pages;
	uint64_t silent_drops;
	uint64_t remaps;
	uint64_t range_errors;
};

/** iommusim_platform_get_stats() - read the counters. */
IOMMUSIM_API void iommusim_platform_get_stats(const struct iommusim_platform *p,
					      struct iommusim_platform_stats *out);

/**
 * iommusim_platform_server() - the server that serialises RPCIT emulation (QEMU's big lock
 * on KVM with qemu.serialize_rpcit; CP's with zvm.serialize_rpcit), for its utilisation and
 * waits; NULL when there is none (LPAR, or no serialisation).
 */
IOMMUSIM_API struct iommusim_server *iommusim_platform_server(const struct iommusim_platform *p);

/**
 * iommusim_platform_error() - the first host failure the platform met, or 0.
 *
 * A shadowing hypervisor allocates its shadow as the guest maps; if the memory context
 * refuses, the RPCIT that needed it is answered condition code 1 with status
 * IOMMUSIM_PLATFORM_STATUS_FUNC_IN_ERROR (the guest sees an error, -EIO, and carries on), the
 * engine is stopped after the running event, and this returns -ENOMEM from then on: what the
 * simulation does afterwards no longer models the platform.
 */
IOMMUSIM_API int iommusim_platform_error(const struct iommusim_platform *p);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_PLATFORM_H */
