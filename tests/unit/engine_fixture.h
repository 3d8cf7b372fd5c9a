/* SPDX-License-Identifier: MIT */
/*
 * The pieces the discrete-event engine's tests share: a trace of events run, a memory context
 * and helpers to create and schedule.
 */
#ifndef TESTS_UNIT_ENGINE_FIXTURE_H
#define TESTS_UNIT_ENGINE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <iommusim/iommusim.h>
#include <iommusim/engine.h>

#include "engine/engine_internal.h"
#include "failing_mem.h"
#include "fields.h"

#define HZ_1GHZ 1000000000ull

/* ---- helpers: a trace of which tagged event ran when ---- */

struct trace {
	struct iommusim_engine *e;
	unsigned int n;
	int tag[64];
	uint64_t at[64];
};

/* The @i-th event that ran was @tag's and ran at @at. */
static inline void expect_ran(const struct trace *t, unsigned int i, int tag, uint64_t at)
{
	assert_true(i < t->n);
	assert_int_equal(t->tag[i], tag);
	assert_int_equal(t->at[i], at);
}

struct tagged {
	struct trace *tr;
	int tag;
	/* Optional extra work done by the callback. */
	struct iommusim_cpu *charge_cpu;
	uint64_t charge;
	bool stop;
	uint64_t cancel_id;
};

static inline void record(struct iommusim_engine *e, void *arg)
{
	struct tagged *t = arg;
	struct trace *tr = t->tr;

	assert_true(tr->n < 64);
	tr->tag[tr->n] = t->tag;
	tr->at[tr->n] = iommusim_engine_now(e);
	tr->n++;
	if (t->charge_cpu)
		iommusim_engine_cpu_charge(e, t->charge_cpu, t->charge);
	if (t->cancel_id)
		assert_true(iommusim_engine_cancel(e, t->cancel_id));
	if (t->stop)
		iommusim_engine_stop(e);
}

static inline struct iommusim_mem *new_mem(void)
{
	struct iommusim_mem *mem;

	assert_int_equal(iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem), 0);
	return mem;
}

static inline void done(struct iommusim_engine *e, struct iommusim_mem *mem)
{
	iommusim_engine_destroy(e);
	assert_int_equal(iommusim_mem_live_objects(mem), 0);
	iommusim_mem_destroy(mem);
}

static inline void sched(struct iommusim_engine *e, uint64_t at, struct iommusim_cpu *cpu,
			 struct tagged *t, uint64_t *id)
{
	assert_int_equal(iommusim_engine_schedule(e, at, cpu, record, t, id), 0);
}

/* ---- lifetime and failures ---- */

static inline void noop(struct iommusim_engine *e, void *arg)
{
	(void)e;
	(void)arg;
}

#endif /* TESTS_UNIT_ENGINE_FIXTURE_H */
