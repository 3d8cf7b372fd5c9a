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
struct iommusim_platform_stats;

/*
 * Charge an RPCIT's hypervisor time: @trap cycles on @cpu, then @work cycles on the platform's
 * server if it has one (the CPU is held through the wait and the service), else on @cpu.
 */
void isim_platform_charge(struct iommusim_platform *p, struct iommusim_cpu *cpu, uint64_t trap,
			  uint64_t work);

/*
 * Add the shadow walks' counts @n (the platform's sum of them) to statistics @st.
 *
 * A kind walks into that sum, whatever the walk's outcome, and prices a walk by how much a
 * time linear in the counts grew over it: the counts only grow, and the growth of a linear
 * form is the form of the growth, exactly, in unsigned (modulo 2^64) arithmetic.
 */
void isim_platform_walk_stats(const struct isim_walk_counts *n, struct iommusim_platform_stats *st);

#endif /* ISIM_PLATFORM_CHARGE_H */
