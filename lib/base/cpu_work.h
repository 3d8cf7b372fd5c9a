/* SPDX-License-Identifier: MIT */
/* The executing CPU as the kernel layers see it: an id and the work reported on it. */
#ifndef ISIM_BASE_CPU_WORK_H
#define ISIM_BASE_CPU_WORK_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/cpu.h>

#include "base/compiler.h"

/*
 * Work turned into cycles where it is reported, for whoever runs a set of CPUs (the simulator's
 * engine). A report adds to its CPU's sum of cycles owed; the first one lists the CPU in
 * @owing, which has room for every CPU of the set, so the owner can charge the sums before it
 * reads a CPU's busy time, instead of being called back on each report.
 */
struct isim_work_tally {
	const uint64_t *cycles; /* per unit of each kind */
	uint32_t *owing;	/* ids of the CPUs with @listed set */
	uint32_t nowing;
};

struct iommusim_cpu {
	unsigned int id;
	/* Only the thread acting as this CPU writes these, so they need no atomics. */
	uint64_t work[IOMMUSIM_WORK_NR];
	struct isim_work_tally *tally; /* NULL: the work is only counted */
	uint64_t owed;		       /* cycles summed for the tally's owner */
	bool listed;		       /* in the tally's owing list */
	iommusim_work_hook *hook;
	void *hook_arg;
	struct iommusim_mem *mem;
};

/*
 * Report @n units of @kind on @cpu: a counter bump, plus the cycles owed when a tally is set,
 * plus the hook when one is set.
 */
static inline void isim_work(struct iommusim_cpu *cpu, enum iommusim_work kind, uint64_t n)
{
	struct isim_work_tally *t = cpu->tally;

	cpu->work[kind] += n;
	if (t) {
		cpu->owed += t->cycles[kind] * n;
		if (!cpu->listed) {
			cpu->listed = true;
			t->owing[t->nowing++] = cpu->id;
		}
	}
	if (isim_unlikely(cpu->hook != NULL))
		cpu->hook(cpu->hook_arg, cpu, kind, n);
}

#endif /* ISIM_BASE_CPU_WORK_H */
