/* SPDX-License-Identifier: MIT */
/*
 * What most tests stand on: a memory context, CPU handles with ids 0 to ncpu - 1 and, when asked
 * for, a manual clock; taken down with the checks every test ends with (no timer left pending,
 * nothing left allocated). Header-only, so each test executable gets its own copy; include it
 * after <cmocka.h>.
 */
#ifndef TESTS_COMMON_MACHINE_H
#define TESTS_COMMON_MACHINE_H

#include <stddef.h>
#include <iommusim/clock.h>
#include <iommusim/cpu.h>
#include <iommusim/mem.h>

/* @clock NULL: no clock. */
static inline void machine_up(enum iommusim_mem_backend backend, struct iommusim_mem **mem,
			      struct iommusim_clock **clock, struct iommusim_cpu **cpu,
			      unsigned int ncpu)
{
	assert_int_equal(iommusim_mem_create(backend, mem), 0);
	if (clock)
		assert_int_equal(iommusim_manual_clock_create(*mem, clock), 0);
	for (unsigned int i = 0; i < ncpu; i++)
		assert_int_equal(iommusim_cpu_create(*mem, i, &cpu[i]), 0);
}

/* Destroy what machine_up() made, once everything built on it is gone. @clock may be NULL. */
static inline void machine_down(struct iommusim_mem *mem, struct iommusim_clock *clock,
				struct iommusim_cpu **cpu, unsigned int ncpu)
{
	if (clock) {
		assert_int_equal(iommusim_clock_pending(clock), 0);
		iommusim_clock_destroy(clock);
	}
	for (unsigned int i = 0; i < ncpu; i++)
		iommusim_cpu_destroy(cpu[i]);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

#endif /* TESTS_COMMON_MACHINE_H */
