/* SPDX-License-Identifier: MIT */
/*
 * What the cost table's tests (sim/cost/) share beyond common/cost_fixture.h: reading a
 * parameter back by name, setting one that must succeed, and T(), a test run on that fixture.
 */
#ifndef TESTS_UNIT_COST_UNIT_FIXTURE_H
#define TESTS_UNIT_COST_UNIT_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>
#include <iommusim/cost.h>

#include "base/cpu_work.h"

#include "cost_fixture.h"

static inline uint64_t val(struct fixture *f, const char *name)
{
	return iommusim_cost_get(f->cost, id_of(name));
}

/* Set, expecting success. */
static inline void set_ok(struct fixture *f, const char *text)
{
	f->err[0] = '\0';
	assert_int_equal(iommusim_cost_set(f->cost, text, f->err, sizeof(f->err)), 0);
	assert_string_equal(f->err, "");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

#endif /* TESTS_UNIT_COST_UNIT_FIXTURE_H */
