/* SPDX-License-Identifier: MIT */
/*
 * What the kinds share to book an RPCIT: its time on the executing CPU and the platform's
 * server, and a shadow walk's counts in the platform's statistics (charge.c).
 */
#ifndef ISIM_PLATFORM_CHARGE_H
#define ISIM_PLATFORM_CHARGE_H

#include <stdint.h>
#include <iommusim/cpu.h>

#include "platform/shadow.h"

struct iommusim_platform;

/*
 * Charge an RPCIT's hypervisor time: @trap cycles on @cpu, then @work cycles on the platform's
 * server if it has one (the CPU is held through the wait and the service), else on @cpu.
 */
void isim_platform_charge(struct iommusim_platform *p, struct iommusim_cpu *cpu, uint64_t trap,
			  uint64_t work);

/* Add a shadow walk's counts to the platform's statistics. */
void isim_platform_add_counts(struct iommusim_platform *p, const struct isim_walk_counts *n);

#endif /* ISIM_PLATFORM_CHARGE_H */
