/* SPDX-License-Identifier: MIT */
/**
 * @file cost.h  The cost table: every number the simulator charges work with.
 *
 * The kernel layers count work (tree nodes visited, PTEs written, ...) and the platform models
 * count hypervisor events (traps, walks, ioctls); the simulator turns counts into time as
 * cycles = sum(count_i * cost_i). Each cost_i is a named parameter here, with a unit, a
 * default, a range, the reason for its value and where that reason comes from (mostly a
 * section of docs/sources.md, cited as "sources.md S<n>"). Parameters marked EST are estimates
 * a calibration may fit within their range.
 *
 * A struct iommusim_cost holds one resolved value per parameter: the defaults, then a named
 * platform profile (lpar, zvm, kvm, ...), then the user's NAME=VALUE overrides, in that
 * order. Values are unsigned integers; booleans are 0 or 1. Listing is always in table order
 * (the order of enum iommusim_cost_id), so printed configurations are byte-identical between
 * runs.
 */
#ifndef IOMMUSIM_COST_H
#define IOMMUSIM_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <iommusim/cpu.h>
#include <iommusim/export.h>
#include <iommusim/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iommusim_cost;

/**
 * enum iommusim_cost_id - one per parameter, in table (listing) order.
 *
 * The comment after each gives its name; iommusim_cost_param() gives the rest.
 */
enum iommusim_cost_id {
	IOMMUSIM_COST_CPU_FREQ_MHZ,		 /* cpu.freq_mhz */
	IOMMUSIM_COST_GUEST_DMA_MAP_CYCLES,	 /* guest.dma_map_cycles */
	IOMMUSIM_COST_GUEST_DMA_UNMAP_CYCLES,	 /* guest.dma_unmap_cycles */
	IOMMUSIM_COST_GUEST_TREE_NODE_CYCLES,	 /* guest.tree_node_cycles */
	IOMMUSIM_COST_GUEST_TREE_INSERT_CYCLES,	 /* guest.tree_insert_cycles */
	IOMMUSIM_COST_GUEST_TREE_ERASE_CYCLES,	 /* guest.tree_erase_cycles */
	IOMMUSIM_COST_GUEST_MAG_OP_CYCLES,	 /* guest.mag_op_cycles */
	IOMMUSIM_COST_GUEST_MAG_SCAN_CYCLES,	 /* guest.mag_scan_cycles */
	IOMMUSIM_COST_GUEST_DEPOT_OP_CYCLES,	 /* guest.depot_op_cycles */
	IOMMUSIM_COST_GUEST_LOCK_CYCLES,	 /* guest.lock_cycles */
	IOMMUSIM_COST_GUEST_MEM_ALLOC_CYCLES,	 /* guest.mem_alloc_cycles */
	IOMMUSIM_COST_GUEST_MEM_FREE_CYCLES,	 /* guest.mem_free_cycles */
	IOMMUSIM_COST_GUEST_BITMAP_WORD_CYCLES,	 /* guest.bitmap_word_cycles */
	IOMMUSIM_COST_GUEST_PTE_WRITE_CYCLES,	 /* guest.pte_write_cycles */
	IOMMUSIM_COST_GUEST_FQ_ENTRY_CYCLES,	 /* guest.fq_entry_cycles */
	IOMMUSIM_COST_GUEST_FW_BUSY_RETRY_NS,	 /* guest.fw_busy_retry_ns */
	IOMMUSIM_COST_GUEST_APERTURE_PAGES,	 /* guest.aperture_pages */
	IOMMUSIM_COST_DMA_FQ_SIZE,		 /* dma.fq_size */
	IOMMUSIM_COST_DMA_FQ_TIMEOUT_MS,	 /* dma.fq_timeout_ms */
	IOMMUSIM_COST_ZPCI_TLB_REFRESH,		 /* zpci.tlb_refresh */
	IOMMUSIM_COST_S390_ENOMEM,		 /* s390.enomem */
	IOMMUSIM_COST_LPAR_RPCIT_NS,		 /* lpar.rpcit_ns */
	IOMMUSIM_COST_ZVM_TRAP_NS,		 /* zvm.trap_ns */
	IOMMUSIM_COST_ZVM_SEGMENT_NS,		 /* zvm.segment_ns */
	IOMMUSIM_COST_ZVM_SHADOW_PAGE_NS,	 /* zvm.shadow_page_ns */
	IOMMUSIM_COST_ZVM_MAP_PAGE_NS,		 /* zvm.map_page_ns */
	IOMMUSIM_COST_ZVM_UNMAP_PAGE_NS,	 /* zvm.unmap_page_ns */
	IOMMUSIM_COST_ZVM_SERIALIZE_RPCIT,	 /* zvm.serialize_rpcit */
	IOMMUSIM_COST_ZVM_DMA_ENTRY_LIMIT,	 /* zvm.dma_entry_limit */
	IOMMUSIM_COST_KVM_TRAP_UNLOCKED_NS,	 /* kvm.trap_unlocked_ns */
	IOMMUSIM_COST_KVM_TRAP_LOCKED_NS,	 /* kvm.trap_locked_ns */
	IOMMUSIM_COST_QEMU_SERIALIZE_RPCIT,	 /* qemu.serialize_rpcit */
	IOMMUSIM_COST_QEMU_WALK_NS,		 /* qemu.walk_ns */
	IOMMUSIM_COST_QEMU_HASH_NS,		 /* qemu.hash_ns */
	IOMMUSIM_COST_QEMU_HASH_INSERT_NS,	 /* qemu.hash_insert_ns */
	IOMMUSIM_COST_QEMU_HASH_REMOVE_NS,	 /* qemu.hash_remove_ns */
	IOMMUSIM_COST_QEMU_UNMAP_COALESCE,	 /* qemu.unmap_coalesce */
	IOMMUSIM_COST_QEMU_SECOND_PASS,		 /* qemu.second_pass */
	IOMMUSIM_COST_QEMU_APERTURE_SHRINK,	 /* qemu.aperture_shrink */
	IOMMUSIM_COST_VFIO_MAP_IOCTL_NS,	 /* vfio.map_ioctl_ns */
	IOMMUSIM_COST_VFIO_UNMAP_IOCTL_NS,	 /* vfio.unmap_ioctl_ns */
	IOMMUSIM_COST_VFIO_UNMAP_ENTRY_NS,	 /* vfio.unmap_entry_ns */
	IOMMUSIM_COST_VFIO_DMA_ENTRY_LIMIT,	 /* vfio.dma_entry_limit */
	IOMMUSIM_COST_HOST_IOTLB_INV_NS,	 /* host.iotlb_inv_ns */
	IOMMUSIM_COST_HOST_FLUSH_ON_MAP,	 /* host.flush_on_map */
	IOMMUSIM_COST_NVME_SUBMIT_NS,		 /* nvme.submit_ns */
	IOMMUSIM_COST_NVME_COMPLETE_NS,		 /* nvme.complete_ns */
	IOMMUSIM_COST_NVME_DEVICE_LATENCY_NS,	 /* nvme.device_latency_ns */
	IOMMUSIM_COST_NVME_DEVICE_JITTER_NS,	 /* nvme.device_jitter_ns */
	IOMMUSIM_COST_NVME_DEVICE_IOPS,		 /* nvme.device_iops */
	IOMMUSIM_COST_NVME_DEVICE_MBPS,		 /* nvme.device_mbps */
	IOMMUSIM_COST_FIO_LOOP_NS,		 /* fio.loop_ns */
	IOMMUSIM_COST_PPC_KERNEL_PAGE,		 /* ppc.kernel_page */
	IOMMUSIM_COST_PSERIES_DEFAULT_WINDOW_MB, /* pseries.default_window_mb */
	IOMMUSIM_COST_PSERIES_MULTI_TCE,	 /* pseries.multi_tce */
	IOMMUSIM_COST_PSERIES_DDW_WINDOWS,	 /* pseries.ddw_windows */
	IOMMUSIM_COST_PSERIES_DDW_BLOCK_LOG2,	 /* pseries.ddw_block_log2 */
	IOMMUSIM_COST_PSERIES_DDW_PAGE_SIZES,	 /* pseries.ddw_page_sizes */
	IOMMUSIM_COST_PSERIES_TCE_LIMIT,	 /* pseries.tce_limit */
	IOMMUSIM_COST_POWERVM_HCALL_NS,		 /* powervm.hcall_ns */
	IOMMUSIM_COST_POWERVM_TCE_NS,		 /* powervm.tce_ns */
	IOMMUSIM_COST_POWERVM_TCE_INVAL_NS,	 /* powervm.tce_inval_ns */
	IOMMUSIM_COST_POWERVM_RTAS_NS,		 /* powervm.rtas_ns */
	IOMMUSIM_COST_KVM_PPC_HCALL_EXIT_NS,	 /* kvm_ppc.hcall_exit_ns */
	IOMMUSIM_COST_KVM_PPC_TCE_NS,		 /* kvm_ppc.tce_ns */
	IOMMUSIM_COST_KVM_PPC_TCE_KILL_NS,	 /* kvm_ppc.tce_kill_ns */
	IOMMUSIM_COST_KVM_PPC_IN_KERNEL_TCE,	 /* kvm_ppc.in_kernel_tce */
	IOMMUSIM_COST_KVM_PPC_QEMU_EXIT_NS,	 /* kvm_ppc.qemu_exit_ns */
	IOMMUSIM_COST_KVM_PPC_QEMU_TCE_NS,	 /* kvm_ppc.qemu_tce_ns */
	IOMMUSIM_COST_KVM_PPC_RTAS_NS,		 /* kvm_ppc.rtas_ns */
	IOMMUSIM_COST_POWERNV_TCE_KILL_NS,	 /* powernv.tce_kill_ns */
	IOMMUSIM_COST_MLX5_LINK_MBPS,		 /* mlx5.link_mbps */
	IOMMUSIM_COST_MLX5_TX_XMIT_NS,		 /* mlx5.tx_xmit_ns */
	IOMMUSIM_COST_MLX5_TX_COMPLETE_NS,	 /* mlx5.tx_complete_ns */
	IOMMUSIM_COST_MLX5_RX_PACKET_NS,	 /* mlx5.rx_packet_ns */
	IOMMUSIM_COST_MLX5_NAPI_POLL_NS,	 /* mlx5.napi_poll_ns */
	/** Number of parameters; not a parameter. */
	IOMMUSIM_COST_NR
};

/** enum iommusim_cost_unit - what a parameter's value counts. */
enum iommusim_cost_unit {
	IOMMUSIM_COST_UNIT_NS,	   /**< nanoseconds of CPU or hypervisor time */
	IOMMUSIM_COST_UNIT_MS,	   /**< milliseconds (timeouts) */
	IOMMUSIM_COST_UNIT_CYCLES, /**< CPU cycles at cpu.freq_mhz */
	IOMMUSIM_COST_UNIT_MHZ,	   /**< clock frequency */
	IOMMUSIM_COST_UNIT_COUNT,  /**< a number of things (entries, mappings) */
	IOMMUSIM_COST_UNIT_PAGES,  /**< 4 KiB pages */
	IOMMUSIM_COST_UNIT_BOOL,   /**< 0 or 1 */
	IOMMUSIM_COST_UNIT_CHOICE, /**< one of the parameter's named choices, by index */
	IOMMUSIM_COST_UNIT_IOPS,   /**< operations per second */
	IOMMUSIM_COST_UNIT_MBPS,   /**< 10^6 bytes per second */
	IOMMUSIM_COST_UNIT_NR
};

/** The value is an estimate (EST, sources.md S14) that calibration may fit within [min, max]. */
#define IOMMUSIM_COST_EST (1u << 0)
/**
 * Besides [min, max], a non-zero value must be a power of two of at least 2 (0 keeps a policy
 * default).
 */
#define IOMMUSIM_COST_POW2 (1u << 1)
/**
 * An EST parameter whose profile value was fitted to a published observation
 * (docs/calibration.md); uncertainty studies hold it at its fit unless told otherwise.
 */
#define IOMMUSIM_COST_FITTED (1u << 2)
/**
 * A parameter of a workload other than the default NVMe loop (mlx5.*): read only when that
 * workload runs, so a profile's listing leaves it out and studies do not vary it.
 */
#define IOMMUSIM_COST_WORKLOAD (1u << 3)

/**
 * struct iommusim_cost_param - the description of one parameter (static data).
 * @name:          dotted snake_case name, "<area>.<what>_<unit>" ("qemu.walk_ns").
 * @unit:          unit of the value.
 * @default_value: value before any profile or override.
 * @min:           smallest accepted value.
 * @max:           largest accepted value.
 * @flags:         IOMMUSIM_COST_EST, IOMMUSIM_COST_POW2, IOMMUSIM_COST_FITTED,
 *                 IOMMUSIM_COST_WORKLOAD.
 * @reason:        one line: why this value and range.
 * @source:        where the reason comes from ("sources.md S14" for section S14 of
 *                 docs/sources.md, or "EST" for a guess with no published basis).
 * @choices:       for IOMMUSIM_COST_UNIT_CHOICE, the names of the values 0, 1, ...,
 *                 NULL-terminated; NULL for every other unit.
 */
struct iommusim_cost_param {
	const char *name;
	enum iommusim_cost_unit unit;
	uint64_t default_value;
	uint64_t min;
	uint64_t max;
	unsigned int flags;
	const char *reason;
	const char *source;
	const char *const *choices;
};

/**
 * struct iommusim_cost_setting - one value a profile sets.
 * @id:    the parameter.
 * @value: its value under the profile (always within the parameter's range).
 */
struct iommusim_cost_setting {
	enum iommusim_cost_id id;
	uint64_t value;
};

/**
 * struct iommusim_cost_profile - a named group of values for one platform (static data).
 * @name:      "lpar", "zvm", "kvm", "kvm-qemu7.1", ...: also a platform name compare accepts.
 * @platform:  the kind of platform it configures: "lpar", "zvm" or "kvm".
 * @summary:   one line: what platform and version it stands for.
 * @settings:  the values it sets, in table order.
 * @nsettings: how many.
 */
struct iommusim_cost_profile {
	const char *name;
	const char *platform;
	const char *summary;
	const struct iommusim_cost_setting *settings;
	size_t nsettings;
};

/** enum iommusim_cost_origin - what decided a parameter's current value. */
enum iommusim_cost_origin {
	IOMMUSIM_COST_FROM_DEFAULT, /**< the table's default */
	IOMMUSIM_COST_FROM_PROFILE, /**< the applied profile */
	IOMMUSIM_COST_FROM_SET,	    /**< an explicit override */
};

/**
 * iommusim_cost_create() - a cost set holding every parameter's default.
 * @mem: memory context it is allocated from.
 * @out: receives the set.
 *
 * Return: 0 or -ENOMEM.
 */
IOMMUSIM_API int iommusim_cost_create(struct iommusim_mem *mem, struct iommusim_cost **out);

/** iommusim_cost_destroy() - free a cost set (NULL is ignored). */
IOMMUSIM_API void iommusim_cost_destroy(struct iommusim_cost *cost);

/** iommusim_cost_reset() - back to every default, no profile. */
IOMMUSIM_API void iommusim_cost_reset(struct iommusim_cost *cost);

/**
 * iommusim_cost_apply_profile() - set every value a named profile holds.
 * @cost:   the set.
 * @name:   the profile's name.
 * @errbuf: receives a one-line message on failure (may be NULL).
 * @errlen: size of @errbuf.
 *
 * Profiles are meant to come before overrides: applying one overwrites earlier overrides of the
 * values it holds. iommusim_cost_configure() does it in the right order.
 *
 * Return: 0; -ENOENT for an unknown name ("unknown profile 'x' (lpar, zvm, kvm, ...)"), and
 * @cost is left unchanged.
 */
IOMMUSIM_API int iommusim_cost_apply_profile(struct iommusim_cost *cost, const char *name,
					     char *errbuf, size_t errlen);

/**
 * iommusim_cost_set() - override one value from "NAME=VALUE" text.
 * @cost:       the set.
 * @assignment: "qemu.walk_ns=200". VALUE is a decimal integer; a bool also takes true/false,
 *              a choice also takes its name ("s390.enomem=none").
 * @errbuf:     receives a one-line message on failure (may be NULL):
 *              "unknown parameter 'KEY' (did you mean 'NAME'?)",
 *              "'TEXT' is not NAME=VALUE",
 *              "NAME: 'VALUE' is not an unsigned integer" (or "... is not 0, 1, true or false",
 *              "... is not one of A, B, C"),
 *              "NAME: VALUE is out of range [MIN, MAX] UNIT",
 *              "NAME: VALUE is not a power of two of at least 2 (0 keeps the policy default)".
 * @errlen:     size of @errbuf.
 *
 * Return: 0; -ENOENT for an unknown name; -EINVAL for malformed text; -ERANGE for a value
 * outside the range. On failure @cost is unchanged.
 */
IOMMUSIM_API int iommusim_cost_set(struct iommusim_cost *cost, const char *assignment, char *errbuf,
				   size_t errlen);

/**
 * iommusim_cost_set_value() - override one value by id, with the same checks.
 * @cost:   the set.
 * @id:     the parameter.
 * @value:  the new value.
 * @errbuf: receives the out-of-range message on failure (may be NULL).
 * @errlen: size of @errbuf.
 *
 * Return: 0 or -ERANGE (value unchanged).
 */
IOMMUSIM_API int iommusim_cost_set_value(struct iommusim_cost *cost, enum iommusim_cost_id id,
					 uint64_t value, char *errbuf, size_t errlen);

/**
 * iommusim_cost_configure() - reset, apply a profile, then overrides, all or nothing.
 * @cost:    the set.
 * @profile: profile name, or NULL for none.
 * @sets:    "NAME=VALUE" strings applied in order after the profile (a later one wins).
 * @nsets:   how many.
 * @errbuf:  receives the first error's message (may be NULL), as the two functions above
 *           word it; @bad tells the caller which input to name.
 * @errlen:  size of @errbuf.
 * @bad:     if not NULL, receives the index in @sets of the failing override, or -1 when the
 *           profile failed (or nothing did).
 *
 * Return: 0, or the error of iommusim_cost_apply_profile()/iommusim_cost_set(); on failure
 * @cost is unchanged.
 */
IOMMUSIM_API int iommusim_cost_configure(struct iommusim_cost *cost, const char *profile,
					 const char *const *sets, size_t nsets, char *errbuf,
					 size_t errlen, long *bad);

/** iommusim_cost_get() - a parameter's current value (an array read). */
IOMMUSIM_API uint64_t iommusim_cost_get(const struct iommusim_cost *cost, enum iommusim_cost_id id);

/**
 * iommusim_cost_cycles() - a time parameter's current value in CPU cycles.
 * @cost: the set.
 * @id:   a parameter in ns, ms or cycles (anything else is misuse and asserts).
 *
 * ns and ms are converted at cpu.freq_mhz, rounding half up; kept up to date by every change.
 * Return: the cycles.
 */
IOMMUSIM_API uint64_t iommusim_cost_cycles(const struct iommusim_cost *cost,
					   enum iommusim_cost_id id);

/**
 * iommusim_cost_work_cycles() - the cycles one unit of guest work costs.
 * @cost: the set.
 * @kind: a work kind of cpu.h.
 *
 * Return: the cost of guest.<kind>_cycles (guest.fw_busy_retry_ns converted to cycles);
 * 0 for an out-of-range kind.
 */
IOMMUSIM_API uint64_t iommusim_cost_work_cycles(const struct iommusim_cost *cost,
						enum iommusim_work kind);

/**
 * iommusim_cost_cpu_cycles() - sum(work count * cost) over a CPU's work counters.
 * @cost: the set.
 * @cpu:  the CPU whose counters are read (they are not reset).
 *
 * Return: the cycles, saturating at UINT64_MAX.
 */
IOMMUSIM_API uint64_t iommusim_cost_cpu_cycles(const struct iommusim_cost *cost,
					       const struct iommusim_cpu *cpu);

/**
 * iommusim_cost_ns_to_cycles() - convert a time at this set's cpu.freq_mhz.
 * Return: round(@ns * MHz / 1000), half up, saturating at UINT64_MAX.
 */
IOMMUSIM_API uint64_t iommusim_cost_ns_to_cycles(const struct iommusim_cost *cost, uint64_t ns);

/**
 * iommusim_cost_cycles_to_ns() - convert cycles to time at this set's cpu.freq_mhz.
 * Return: round(@cycles * 1000 / MHz), half up, saturating at UINT64_MAX.
 */
IOMMUSIM_API uint64_t iommusim_cost_cycles_to_ns(const struct iommusim_cost *cost, uint64_t cycles);

/**
 * iommusim_cost_origin() - what set a parameter's current value.
 * Return: default, profile or an explicit override.
 */
IOMMUSIM_API enum iommusim_cost_origin iommusim_cost_origin(const struct iommusim_cost *cost,
							    enum iommusim_cost_id id);

/** iommusim_cost_origin_name() - "default", "profile" or "set"; "unknown" otherwise. */
IOMMUSIM_API const char *iommusim_cost_origin_name(enum iommusim_cost_origin origin);

/** iommusim_cost_profile_name() - the applied profile's name, or NULL when none. */
IOMMUSIM_API const char *iommusim_cost_profile_name(const struct iommusim_cost *cost);

/**
 * iommusim_cost_lookup() - find a parameter by exact name.
 * @name: "qemu.walk_ns".
 * @out:  receives the id.
 *
 * Return: 0 or -ENOENT.
 */
IOMMUSIM_API int iommusim_cost_lookup(const char *name, enum iommusim_cost_id *out);

/**
 * iommusim_cost_setting_id() - the parameter a "NAME=VALUE" setting names.
 * @assignment: "qemu.walk_ns=200" (the value is not looked at).
 * @out:        receives the id.
 * Return: 0, or -ENOENT when there is no NAME= part or no parameter of that name.
 */
IOMMUSIM_API int iommusim_cost_setting_id(const char *assignment, enum iommusim_cost_id *out);

/**
 * iommusim_cost_suggest() - the parameter whose name is closest to @key.
 *
 * Edit distance to the full name, or to the part after the dot plus one (so "walk_ns" finds
 * "qemu.walk_ns"); ties go to the earlier parameter in table order.
 * Return: the id.
 */
IOMMUSIM_API enum iommusim_cost_id iommusim_cost_suggest(const char *key);

/**
 * iommusim_cost_param() - the static description of a parameter.
 * Return: the description; NULL for an out-of-range id.
 */
IOMMUSIM_API const struct iommusim_cost_param *iommusim_cost_param(enum iommusim_cost_id id);

/**
 * iommusim_cost_choice_name() - the name of value @value of a choice parameter.
 * Return: the name; NULL if @id is not a choice or @value is not one of its values.
 */
IOMMUSIM_API const char *iommusim_cost_choice_name(enum iommusim_cost_id id, uint64_t value);

/** iommusim_cost_unit_name() - "ns", "ms", "cycles", "MHz", "count", "pages", "bool". */
IOMMUSIM_API const char *iommusim_cost_unit_name(enum iommusim_cost_unit unit);

/** iommusim_cost_profile_count() - number of named profiles. */
IOMMUSIM_API size_t iommusim_cost_profile_count(void);

/**
 * iommusim_cost_profile() - a named profile, by index (listing order).
 * Return: the profile; NULL when @index >= iommusim_cost_profile_count().
 */
IOMMUSIM_API const struct iommusim_cost_profile *iommusim_cost_profile(size_t index);

struct iommusim_report_value;

/**
 * iommusim_cost_add_to_report() - add the resolved values to a report's meta data.
 * @to:   an object of a report (e.g. iommusim_report_meta()).
 * @key:  the member's name.
 * @cost: the set.
 *
 * Adds an object @key of parameter name -> value, in table order: what the CLI writes as
 * "config"; only the parameters the set's machine reads (iommusim_platform_set_reads()). Errors are
 * the report's (sticky, see report.h). Return: the object added (a placeholder if the report has
 * failed, as report.h describes).
 */
IOMMUSIM_API struct iommusim_report_value *
iommusim_cost_add_to_report(struct iommusim_report_value *to, const char *key,
			    const struct iommusim_cost *cost);

/**
 * iommusim_cost_write_json() - the resolved values as one JSON object, in table order.
 * @cost: the set.
 * @f:    where to write `{"cpu.freq_mhz": 5200, ...}` (no newline), e.g. into a "meta" object.
 *
 * Return: 0, -ENOMEM if the report it builds cannot be allocated, or -EIO if @f reports an
 * error.
 */
IOMMUSIM_API int iommusim_cost_write_json(const struct iommusim_cost *cost, FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_COST_H */
