/* SPDX-License-Identifier: MIT */
/*
 * The fixture of the trace tests (test_trace_*.c): a memory context that must be empty again
 * when a test ends, and helpers that read a trace or an ftrace text held in a string. Include
 * it after <cmocka.h>.
 */
#ifndef TESTS_UNIT_TRACE_FIXTURE_H
#define TESTS_UNIT_TRACE_FIXTURE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "workload/trace_ftrace.h"

struct fixture {
	struct iommusim_mem *mem;
	char err[512];
	struct isim_ftrace_report rep;
};

static inline int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || iommusim_mem_create(IOMMUSIM_MEM_LIBC, &f->mem))
		return -1;
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;

	/* Every test gives back all it took, traces included. */
	assert_int_equal(iommusim_mem_live_objects(f->mem), 0);
	iommusim_mem_destroy(f->mem);
	free(f);
	return 0;
}

/* @text in our format, which must be accepted. */
static inline struct iommusim_trace *parse_ok(struct fixture *f, const char *text)
{
	struct iommusim_trace *t = NULL;
	int err = iommusim_trace_parse(f->mem, text, strlen(text), "t.trace", &t, f->err,
				       sizeof(f->err));

	if (err)
		fail_msg("refused (%d): %s", err, f->err);
	assert_string_equal(f->err, "");
	return t;
}

/* @text in our format, which must be refused with exactly @msg. */
static inline void parse_bad(struct fixture *f, const char *text, const char *msg)
{
	struct iommusim_trace *t = NULL;

	assert_int_equal(iommusim_trace_parse(f->mem, text, strlen(text), "t.trace", &t, f->err,
					      sizeof(f->err)),
			 -EINVAL);
	assert_null(t);
	assert_string_equal(f->err, msg);
}

/* An ftrace text that must import, its device @device (NULL: the only one). */
static inline struct iommusim_trace *import_ok(struct fixture *f, const char *text,
					       const char *device)
{
	struct iommusim_trace *t = NULL;
	int err = isim_ftrace_import(f->mem, text, strlen(text), "k.txt", device, &t, &f->rep,
				     f->err, sizeof(f->err));

	if (err)
		fail_msg("refused (%d): %s", err, f->err);
	return t;
}

/* An ftrace text that must be refused with exactly @msg. */
static inline void import_bad(struct fixture *f, const char *text, const char *device,
			      const char *msg)
{
	struct iommusim_trace *t = NULL;
	int err = isim_ftrace_import(f->mem, text, strlen(text), "k.txt", device, &t, &f->rep,
				     f->err, sizeof(f->err));

	if (err != -EINVAL) {
		iommusim_trace_destroy(t);
		fail_msg("accepted (%d), expected '%s'", err, msg);
	}
	assert_null(t);
	assert_string_equal(f->err, msg);
}

/* Call @i of @t. */
static inline const struct iommusim_trace_rec *rec_at(const struct iommusim_trace *t, size_t i)
{
	size_t n;
	const struct iommusim_trace_rec *r = iommusim_trace_records(t, &n);

	assert_true(i < n);
	return &r[i];
}

#endif /* TESTS_UNIT_TRACE_FIXTURE_H */
