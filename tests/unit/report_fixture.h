/* SPDX-License-Identifier: MIT */
/*
 * What the report emitter's tests (include/iommusim/report.h) share: writing a report to a string
 * in a given form and comparing it with what is expected, and the columns most of them use.
 */
#ifndef TESTS_UNIT_REPORT_FIXTURE_H
#define TESTS_UNIT_REPORT_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "failing_mem.h"

/* What a writer printed, as a string the test frees. */
typedef int (*writer)(const struct iommusim_report *r, FILE *f);

/* A stream into memory: mem_open() opens it, mem_close() closes it and gives the string. */
struct memout {
	char *buf;
	size_t len;
};

static inline FILE *mem_open(struct memout *m)
{
	FILE *f;

	m->buf = NULL;
	m->len = 0;
	f = open_memstream(&m->buf, &m->len);
	assert_non_null(f);
	return f;
}

static inline char *mem_close(struct memout *m, FILE *f)
{
	assert_int_equal(fclose(f), 0);
	return m->buf;
}

static inline char *written(const struct iommusim_report *r, writer w, int *err)
{
	struct memout m;
	FILE *f = mem_open(&m);

	*err = w(r, f);
	return mem_close(&m, f);
}

#define COL(n, t, o, fl, d, w, sep, yes, no)                                                       \
	{                                                                                          \
		n, t, o, fl, d, w, sep, yes, no                                                    \
	}

#endif /* TESTS_UNIT_REPORT_FIXTURE_H */
