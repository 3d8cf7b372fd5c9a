/* SPDX-License-Identifier: MIT */
/*
 * What the firmware layer's tests (lib/s390/firmware.c) share: a firmware over a memory context
 * and a CPU, scripted answers pushed to it and the calls it logged.
 */
#ifndef TESTS_UNIT_FIRMWARE_FIXTURE_H
#define TESTS_UNIT_FIRMWARE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <iommusim/cpu.h>
#include <iommusim/firmware.h>
#include <iommusim/mem.h>

#include "arch/s390/zpci_insn.h"
#include "ioat_platform.h"
#include "test_rng.h"
#include "fixture_state.h"

struct fix {
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu;
	struct iommusim_firmware *fw;
};

/*
 * libc rather than the default backend: under a sanitizer every object the firmware handle
 * allocates is then visible to ASan, whichever allocator the library was built with.
 */
static inline void fix_init(struct fix *f, int script)
{
	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &f->mem), 0);
	assert_int_equal(iommusim_cpu_create(f->mem, 2, &f->cpu), 0);
	if (script)
		assert_int_equal(iommusim_firmware_create_script(f->mem, &f->fw), 0);
	else
		assert_int_equal(iommusim_firmware_create_null(f->mem, &f->fw), 0);
}

static inline void fix_fini(struct fix *f)
{
	iommusim_firmware_destroy(f->fw);
	iommusim_cpu_destroy(f->cpu);
	assert_int_equal(iommusim_mem_live_objects(f->mem), 0);
	iommusim_mem_destroy(f->mem);
}

/* What most tests start from: the scripted firmware. */
FIXTURE_STATE(fw, struct fix, fix_init, fix_fini, 1)

/* Queue @n answers cc @cc with status @status. */
static inline void push(struct fix *f, unsigned int n, uint8_t cc, uint8_t status)
{
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(iommusim_firmware_script_push(f->fw, cc, status), 0);
}

static inline void get_call(struct iommusim_firmware *fw, size_t i,
			    struct iommusim_firmware_call *c)
{
	assert_int_equal(iommusim_firmware_script_log_get(fw, i, c), 0);
}

#endif /* TESTS_UNIT_FIRMWARE_FIXTURE_H */
