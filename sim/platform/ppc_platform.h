/* SPDX-License-Identifier: MIT */
/*
 * The powerpc platforms' common part: the firmware a pSeries partition endpoint or a PowerNV
 * PHB presents to the guest's kernel, and what each call costs. The answers come from the
 * scriptable endpoint of lib/firmware (its windows, and the checks QEMU and KVM make); this
 * wraps it, books each call's time on the calling CPU (and on the kind's server, where it has
 * one) and keeps the hypervisor's TCE budget (pseries.tce_limit).
 * Each kind (powervm.c, kvm_ppc.c, powernv.c) says only what its calls cost and what its
 * endpoint offers. docs/powerpc.md, "The platforms".
 */
#ifndef ISIM_PLATFORM_PPC_PLATFORM_H
#define ISIM_PLATFORM_PPC_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/cost.h>

#include "firmware/ppc_firmware.h"

struct iommusim_platform;

/*
 * What one call costs, in cycles: @trap on the calling CPU, then @work on the platform's
 * server when it has one (the CPU waits for it), else on the CPU; each plus its per-TCE part
 * times the TCEs the call names (the pages of a TCE kill).
 */
struct isim_ppc_price {
	uint64_t trap;
	uint64_t trap_per_tce;
	uint64_t work;
	uint64_t work_per_tce;
};

/*
 * struct isim_ppc_kind_ops - a powerpc kind.
 * @pseries:      a partition under a hypervisor (TCE hcalls, RTAS, DDW); PowerNV otherwise.
 * @ddw_addr:     where the endpoint puts a second window (pSeries).
 * @ext_count, @ext_limited: the ibm,ddw-extensions the firmware lists (pseries.h).
 * @prices:       every kind of call's price, from the cost set.
 */
struct isim_ppc_kind_ops {
	bool pseries;
	uint64_t ddw_addr;
	unsigned int ext_count;
	uint32_t ext_limited;
	void (*prices)(const struct iommusim_cost *c, struct isim_ppc_price out[ISIM_PPC_CALL_NR]);
};

/* The LIOBN of a pSeries PE's default window. */
#define ISIM_PPC_DEFAULT_LIOBN 0x10u

/* Build the powerpc part of @p (its ops have @ppc). Return: 0 or -ENOMEM. */
int isim_ppc_platform_create(struct iommusim_platform *p);
void isim_ppc_platform_destroy(struct iommusim_platform *p);

/* The handle the guest's kernel calls (owned by the platform), NULL on s390. */
struct isim_ppc_fw *isim_platform_ppc_fw(struct iommusim_platform *p);
/* The endpoint as configured: the default window, windows, sizes offered. */
const struct isim_ppc_script_config *isim_platform_ppc_endpoint(const struct iommusim_platform *p);
/* The kind's own description. */
const struct isim_ppc_kind_ops *isim_platform_ppc_kind(const struct iommusim_platform *p);

/* The TCE page sizes pseries.ddw_page_sizes offers (ISIM_DDW_PGSIZE_*). */
uint32_t isim_ppc_ddw_page_sizes(uint64_t choice);

#endif /* ISIM_PLATFORM_PPC_PLATFORM_H */
