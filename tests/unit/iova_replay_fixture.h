/* SPDX-License-Identifier: MIT */
/*
 * What the tests of the IOVA op replay's input side share (iommusim_iova_replay, the format of
 * tests/data/golden/iova/README.md): running an in-memory script with either depot, and
 * checking its output or its one error line.
 */
#ifndef TESTS_UNIT_IOVA_REPLAY_FIXTURE_H
#define TESTS_UNIT_IOVA_REPLAY_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iommusim/iova_replay.h>

#define NAME "in.ops"

struct result {
	int rc;
	char *out;
	size_t outlen;
	char err[512];
};

/* Replay @len bytes of @bytes (which may hold NULs) with the @depot. */
static inline void replay_len(const char *bytes, size_t len, enum iommusim_iova_depot depot,
			      struct result *res)
{
	struct iommusim_iova_replay_opts opts = {.depot = depot};
	char *text = malloc(len + 1);
	FILE *in, *out;

	assert_non_null(text);
	memcpy(text, bytes, len);
	memset(res, 0, sizeof(*res));
	in = fmemopen(text, len, "r");
	assert_non_null(in);
	out = open_memstream(&res->out, &res->outlen);
	assert_non_null(out);
	/* Pre-fill, so a missing message cannot pass as an old one. */
	strcpy(res->err, "untouched");
	res->rc = iommusim_iova_replay(in, NAME, &opts, out, res->err, sizeof(res->err));
	assert_int_equal(fclose(out), 0);
	fclose(in);
	free(text);
}

static inline void replay_depot(const char *script, enum iommusim_iova_depot depot,
				struct result *res)
{
	replay_len(script, strlen(script), depot, res);
}

/*
 * A last line that puts every line before it 80 bytes or more from the end of the script,
 * where the parser reads a common line with its fast path (fast_line() in
 * sim/workload/iova_ops_parse.c) rather than the general one: a script followed by it must
 * give the same answers and the same error as the script alone.
 */
static const char far_from_end[] =
	"\n# this comment puts every line above it 80 bytes or more from the end of the script\n";

/* @script followed by far_from_end, replayed with the @depot. */
static inline void replay_far_from_end(const char *script, enum iommusim_iova_depot depot,
				       struct result *res)
{
	size_t len = strlen(script);
	char *padded = malloc(len + sizeof(far_from_end));

	assert_non_null(padded);
	memcpy(padded, script, len);
	memcpy(padded + len, far_from_end, sizeof(far_from_end));
	replay_len(padded, len + sizeof(far_from_end) - 1, depot, res);
	free(padded);
}

static inline void result_free(struct result *res)
{
	free(res->out);
	res->out = NULL;
}

/* The whole script must produce exactly @expected. */
static inline void expect_output(const char *script, enum iommusim_iova_depot depot,
				 const char *expected)
{
	struct result res;

	replay_depot(script, depot, &res);
	if (res.rc)
		fail_msg("replay failed (%d): %s", res.rc, res.err);
	assert_int_equal(res.outlen, strlen(expected));
	assert_string_equal(res.out, expected);
	result_free(&res);
	/* the same far from the end of the script */
	replay_far_from_end(script, depot, &res);
	if (res.rc)
		fail_msg("replay failed far from the end (%d): %s", res.rc, res.err);
	assert_int_equal(res.outlen, strlen(expected));
	assert_string_equal(res.out, expected);
	result_free(&res);
}

#endif /* TESTS_UNIT_IOVA_REPLAY_FIXTURE_H */
