/* SPDX-License-Identifier: MIT */
/* The executing CPU as the kernel layers see it: an id and the work reported on it. */
#ifndef ISIM_BASE_CPU_WORK_H
#define ISIM_BASE_CPU_WORK_H

#include <stdint.h>
#include <iommusim/cpu.h>

#include "base/compiler.h"

struct iommusim_cpu {
	unsigned int id;
	/* Only the thread acting as this CPU writes these, so they need no atomics. */
	uint64_t work[IOMMUSIM_WORK_NR];
	iommusim_work_hook *hook;
	void *hook_arg;
	struct iommusim_mem *mem;
};

/* Report @n units of @kind on @cpu: a counter bump, plus the hook when one is set. */
static inline void isim_work(struct iommusim_cpu *cpu, enum iommusim_work kind, uint64_t n)
{
	cpu->work[kind] += n;
	if (isim_unlikely(cpu->hook != NULL))
		cpu->hook(cpu->hook_arg, cpu, kind, n);
}

#endif /* ISIM_BASE_CPU_WORK_H */
