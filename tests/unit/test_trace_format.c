/* SPDX-License-Identifier: MIT */
/*
 * The trace format (include/iommusim/trace.h, docs/traces.md "The format"): what a valid file
 * holds, that writing it gives back the same bytes, that a buffer number lives again after its
 * unmap, and every input error, each "t.trace:LINE: FIELD: problem" about the right line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"
#include "trace_fixture.h"

#define HEAD "iommusim-trace 1\n"

/* A map, a scatterlist and a coherent buffer on two CPUs, buffer 1 used twice. */
static const char sample[] = HEAD "device 0000:00:04.0\n"
				  "# time_ns cpu op dir buffer bytes segs\n"
				  "0 0 alloc bidi 7 8192 1\n"
				  "100 0 map from 1 4096 1\n"
				  "150 1 map_sg to 2 131072 32\n"
				  "900 1 unmap from 1 4096 1\n"
				  "1000 0 map to 1 512 1\n"
				  "2000 1 unmap_sg to 2 131072 32\n";

static void test_trace_format_reads_every_op(void **state)
{
	struct fixture *f = *state;
	struct iommusim_trace *t = parse_ok(f, sample);
	struct iommusim_trace_info info;

	iommusim_trace_get_info(t, &info);
	assert_int_equal(info.ops, 6);
	/* alloc, map, map_sg and the second map of buffer 1 begin lives; two of them end */
	assert_int_equal(info.maps, 4);
	assert_int_equal(info.unmaps, 2);
	assert_int_equal(info.left_mapped, 2);
	assert_int_equal(info.cpus, 2);
	assert_int_equal(info.duration_ns, 2000);
	assert_string_equal(info.device, "0000:00:04.0");
	assert_int_equal(rec_at(t, 0)->op, IOMMUSIM_TRACE_ALLOC);
	assert_int_equal(rec_at(t, 0)->dir, IOMMUSIM_DMA_BIDIRECTIONAL);
	assert_int_equal(rec_at(t, 2)->op, IOMMUSIM_TRACE_MAP_SG);
	assert_int_equal(rec_at(t, 2)->segs, 32);
	assert_int_equal(rec_at(t, 2)->bytes, 131072);
	assert_int_equal(rec_at(t, 2)->dir, IOMMUSIM_DMA_TO_DEVICE);
	assert_int_equal(rec_at(t, 4)->buffer, 1);
	assert_int_equal(rec_at(t, 4)->bytes, 512);
	iommusim_trace_destroy(t);
}

/* Writing a trace read from a file in the written form gives the same bytes. */
static void test_trace_format_write_gives_same_bytes(void **state)
{
	struct fixture *f = *state;
	struct iommusim_trace *t = parse_ok(f, sample);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(iommusim_trace_write(t, out), 0);
	fclose(out);
	assert_int_equal(len, strlen(sample));
	assert_memory_equal(buf, sample, len);
	free(buf);
	iommusim_trace_destroy(t);
}

/* Built call by call, a trace refuses what a file would, and stays as it was. */
static void test_trace_format_add_checks_each_call(void **state)
{
	struct fixture *f = *state;
	struct iommusim_trace *t;
	struct iommusim_trace_rec r = {.time_ns = 5,
				       .buffer = 3,
				       .bytes = 4096,
				       .segs = 1,
				       .op = IOMMUSIM_TRACE_MAP,
				       .dir = IOMMUSIM_DMA_TO_DEVICE};
	struct iommusim_trace_info info;
	char msg[128];

	assert_int_equal(iommusim_trace_create(f->mem, "bad name", &t), -EINVAL);
	assert_int_equal(iommusim_trace_create(f->mem, NULL, &t), 0);
	assert_int_equal(iommusim_trace_add(t, &r, msg, sizeof(msg)), 0);
	r.time_ns = 4;
	r.op = IOMMUSIM_TRACE_UNMAP;
	assert_int_equal(iommusim_trace_add(t, &r, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "time_ns: 4 is before the previous call's 5");
	r.time_ns = 6;
	r.bytes = 8192;
	assert_int_equal(iommusim_trace_add(t, &r, msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "bytes: 8192 in 1 entries, but buffer 3 was mapped as 4096 in 1");
	iommusim_trace_get_info(t, &info);
	assert_int_equal(info.ops, 1);
	assert_string_equal(info.device, "");
	iommusim_trace_destroy(t);
}

static void test_trace_format_op_names(void **state)
{
	(void)state;
	assert_string_equal(iommusim_trace_op_name(IOMMUSIM_TRACE_UNMAP_SG), "unmap_sg");
	assert_string_equal(iommusim_trace_op_name(IOMMUSIM_TRACE_FREE), "free");
	assert_null(iommusim_trace_op_name(IOMMUSIM_TRACE_OP_NR));
}

/* One bad line each, and the message that names it. */
static void test_trace_format_input_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"", "t.trace:1: header: the first line must be 'iommusim-trace 1'"},
		{"# only a comment\n",
		 "t.trace:1: header: the first line must be 'iommusim-trace 1'"},
		{"iommusim-trace 2\n", "t.trace:1: version: only version 1 is known"},
		{HEAD "device a b\n", "t.trace:2: device: one name of at most 255 bytes"},
		{HEAD "0 0 map from 1 4096\n", "t.trace:2: segs: missing"},
		{HEAD "0 0 map from 1 4096 1 9\n", "t.trace:2: line: more than 7 fields"},
		{HEAD "0 0 mop from 1 4096 1\n", "t.trace:2: op: unknown op 'mop'"},
		{HEAD "0 0 map up 1 4096 1\n", "t.trace:2: dir: not to, from or bidi: 'up'"},
		{HEAD "x 0 map from 1 4096 1\n", "t.trace:2: time_ns: not a number: 'x'"},
		{HEAD "0 4294967296 map from 1 4096 1\n",
		 "t.trace:2: cpu: 4294967296 is larger than 4294967295"},
		{HEAD "0 4096 map from 1 4096 1\n", "t.trace:2: cpu: 4096 is not below 4096"},
		{HEAD "0 0 map from 1 0 1\n", "t.trace:2: bytes: must not be 0"},
		{HEAD "0 0 map from 1 4096 2\n",
		 "t.trace:2: segs: 2: only a scatterlist has other than 1"},
		{HEAD "0 0 map_sg from 1 4096 0\n",
		 "t.trace:2: segs: 0: a scatterlist has at least 1 entry"},
		{HEAD "0 0 map_sg from 1 4 5\n", "t.trace:2: segs: 5 entries of 4 bytes in all"},
		{HEAD "0 0 alloc to 1 4096 1\n", "t.trace:2: dir: coherent memory is bidi, not to"},
		{HEAD "5 0 map from 1 4096 1\n4 0 unmap from 1 4096 1\n",
		 "t.trace:3: time_ns: 4 is before the previous call's 5"},
		{HEAD "0 0 map from 1 4096 1\n1 0 map from 1 4096 1\n",
		 "t.trace:3: buffer: 1 is mapped already (not unmapped since)"},
		{HEAD "0 0 unmap from 1 4096 1\n", "t.trace:2: buffer: 1 is not mapped"},
		{HEAD "0 0 map from 1 4096 1\n1 0 unmap_sg from 1 4096 1\n",
		 "t.trace:3: op: unmap_sg of buffer 1, mapped by map"},
		{HEAD "0 0 map from 1 4096 1\n1 0 unmap to 1 4096 1\n",
		 "t.trace:3: dir: to, but buffer 1 was mapped from"},
		{HEAD "0 0 map from 1 4096 1\n1 0 free bidi 1 4096 1\n",
		 "t.trace:3: op: free of buffer 1, mapped by map"},
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		parse_bad(f, cases[i].text, cases[i].msg);
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_trace_format_reads_every_op, setup, teardown),
	   cmocka_unit_test_setup_teardown(test_trace_format_write_gives_same_bytes, setup,
					   teardown),
	   cmocka_unit_test_setup_teardown(test_trace_format_add_checks_each_call, setup, teardown),
	   cmocka_unit_test(test_trace_format_op_names),
	   cmocka_unit_test_setup_teardown(test_trace_format_input_errors, setup, teardown))
