/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the import of the kernel's trace text (sim/workload/trace_ftrace*.c) and
 * the trace format it writes (iommusim_trace_write(), iommusim_trace_parse()). The input is
 * the text. Invariants checked on every input:
 * - the answer is 0 or -EINVAL (nothing else can happen to a text held in memory);
 * - a refused text gives one line "fuzz.txt:LINE: FIELD: problem" or "fuzz.txt: problem",
 *   and no trace;
 * - an accepted one conserves its buffers: maps = unmaps + left mapped, and the report's
 *   counts agree with the trace;
 * - the trace written reads back to the same calls, and writes again to the same bytes;
 * - everything allocated from the memory context is given back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <iommusim/iommusim.h>

#include "fuzz_common.h"
#include "workload/trace_ftrace.h"

/* The import reads the text whole; longer ones add lines, not new kinds of line. */
#define MAX_TEXT 16384

static char *written(const struct iommusim_trace *t, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	FUZZ_CHECK(f);
	FUZZ_CHECK(iommusim_trace_write(t, f) == 0);
	FUZZ_CHECK(fclose(f) == 0);
	return buf;
}

static void check_round_trip(struct iommusim_mem *mem, const struct iommusim_trace *t)
{
	const struct iommusim_trace_rec *ra, *rb;
	struct iommusim_trace_info a, b;
	struct iommusim_trace *again = NULL;
	size_t len, len2, n, n2;
	char msg[512], *text = written(t, &len), *text2;

	FUZZ_CHECK(iommusim_trace_parse(mem, text, len, "w.trace", &again, msg, sizeof(msg)) == 0);
	iommusim_trace_get_info(t, &a);
	iommusim_trace_get_info(again, &b);
	FUZZ_CHECK(a.ops == b.ops && a.maps == b.maps && a.left_mapped == b.left_mapped);
	FUZZ_CHECK(!strcmp(a.device, b.device));
	ra = iommusim_trace_records(t, &n);
	rb = iommusim_trace_records(again, &n2);
	FUZZ_CHECK(n == n2);
	/* field by field: a record's padding holds nothing */
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(ra[i].time_ns == rb[i].time_ns && ra[i].buffer == rb[i].buffer &&
			   ra[i].bytes == rb[i].bytes && ra[i].cpu == rb[i].cpu &&
			   ra[i].segs == rb[i].segs && ra[i].op == rb[i].op &&
			   ra[i].dir == rb[i].dir);
	text2 = written(again, &len2);
	FUZZ_CHECK(len == len2 && !memcmp(text, text2, len));
	free(text);
	free(text2);
	iommusim_trace_destroy(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct isim_ftrace_report rep;
	struct iommusim_trace_info info;
	struct iommusim_trace *t = NULL;
	struct iommusim_mem *mem;
	char msg[512];
	int err;

	if (size > MAX_TEXT)
		return -1;
	FUZZ_CHECK(iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem) == 0);
	err = isim_ftrace_import(mem, (const char *)data, size, "fuzz.txt", NULL, &t, &rep, msg,
				 sizeof(msg));
	FUZZ_CHECK(err == 0 || err == -EINVAL);
	if (err) {
		FUZZ_CHECK(!t);
		FUZZ_CHECK(!strncmp(msg, "fuzz.txt:", 9) && !strchr(msg, '\n'));
	} else {
		iommusim_trace_get_info(t, &info);
		FUZZ_CHECK(info.maps == info.unmaps + info.left_mapped);
		FUZZ_CHECK(rep.calls == info.ops && rep.left_mapped == info.left_mapped);
		FUZZ_CHECK(!strcmp(rep.device, info.device));
		check_round_trip(mem, t);
		iommusim_trace_destroy(t);
	}
	FUZZ_CHECK(iommusim_mem_live_objects(mem) == 0);
	iommusim_mem_destroy(mem);
	return 0;
}
