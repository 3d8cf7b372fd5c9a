/* SPDX-License-Identifier: MIT */
/*
 * `iommusim-bench trace-import` and `compare --trace` / `--record` end to end, on the sample
 * traces of examples/traces: the import keeps every call of the device and says what it
 * skipped; the replay fills a row per platform and policy whose counts are the trace's own,
 * the same bytes for any --jobs; a recorded run replays call for call; and every input error
 * is one line, exit status 2, nothing on standard output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bench_child.h"
#include "suite_main.h"

/* A sample of examples/traces, by name. */
static char *sample(const char *name)
{
	const char *data = env_required("IOMMUSIM_TEST_DATA");
	size_t n = strlen(data) + strlen(name) + 64;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s/../../examples/traces/%s", data, name);
	return p;
}

/* Lines of @text that hold @word. */
static size_t lines_holding(const char *text, const char *word)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, word)) != NULL; p = strchr(p + 1, '\n')) {
		n++;
		if (!strchr(p + 1, '\n'))
			break;
	}
	return n;
}

/* A file at @path holding @text. */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* Exit status 2, nothing on standard output, one line on standard error starting @start. */
static void expect_bad(const struct run *r, const char *start)
{
	if (r->status != 2)
		fail_msg("exit status %d, expected 2; stderr: %s", r->status, r->err);
	assert_int_equal(r->outlen, 0);
	assert_true(r->errlen > 0);
	assert_ptr_equal(strchr(r->err, '\n'), r->err + r->errlen - 1);
	if (strncmp(r->err, start, strlen(start)))
		fail_msg("stderr '%s' does not start '%s'", r->err, start);
}

/* The import keeps every dma map and unmap line of the device, and says what it skipped. */
static void test_bench_trace_import_keeps_every_call(void **state)
{
	char *in = sample("nvme-fio.ftrace");
	const char *args[] = {"trace-import", in, NULL};
	size_t len;
	char *text = slurp(in, &len);
	struct run r;

	(void)state;
	run_bench(args, &r);
	expect_ok(&r);
	assert_int_equal(lines_starting(r.out, "iommusim-trace 1\n"), 1);
	assert_int_equal(lines_holding(r.out, " map from ") + lines_holding(r.out, " map_sg from "),
			 lines_holding(text, "dma_map_page:") + lines_holding(text, "dma_map_sg:"));
	assert_int_equal(
		lines_holding(r.out, " unmap from ") + lines_holding(r.out, " unmap_sg from "),
		lines_holding(text, "dma_unmap_page:") + lines_holding(text, "dma_unmap_sg:"));
	/* the IOMMU core's events and the scheduler's are said, not imported */
	assert_non_null(strstr(r.err, "not replayed: iommu:map "));
	assert_non_null(strstr(r.err, "not understood: sched_switch 1 "));
	run_free(&r);
	free(text);
	free(in);
}

/* --output writes the same bytes as standard output gets, and a trace-cmd report imports. */
static void test_bench_trace_import_output_file(void **state)
{
	char *in = sample("net-flow.report");
	struct dir d;
	const char *to_stdout[] = {"trace-import", "--device", "0001:00:00.0", in, NULL};
	const char *to_file[] = {"trace-import", in, "--output", d.csv, NULL};
	struct run a, b;
	size_t len;
	char *file;

	(void)state;
	dir_make(&d);
	run_bench(to_stdout, &a);
	expect_ok(&a);
	run_bench(to_file, &b);
	expect_ok(&b);
	assert_int_equal(b.outlen, 0);
	file = slurp(d.csv, &len);
	assert_int_equal(len, a.outlen);
	assert_memory_equal(file, a.out, len);
	/* receive buffers still posted when the recording ended */
	assert_non_null(strstr(a.err, "buffers mapped and never unmapped"));
	assert_int_equal(lines_holding(a.out, " alloc bidi "), 1);
	free(file);
	run_free(&a);
	run_free(&b);
	dir_remove(&d);
	free(in);
}

static void test_bench_trace_import_errors(void **state)
{
	struct dir d;
	char bad[4300], two[4300];
	struct run r;

	(void)state;
	dir_make(&d);
	snprintf(bad, sizeof(bad), "%s/bad.txt", d.path);
	write_file(bad, "# tracer: nop\n"
			" fio-1 [000] d..1. 1.000000: dma_map_page: 0000:00:04.0 dir=TO_DEVICE "
			"dma_addr=1000 size=x attrs=\n");
	snprintf(two, sizeof(two), "%s/two.txt", d.path);
	write_file(
		two,
		" a-1 [000] 1.000000: dma_map_page: d1 dir=TO_DEVICE dma_addr=1 size=1 attrs=\n"
		" a-1 [000] 1.000001: dma_map_page: d2 dir=TO_DEVICE dma_addr=1 size=1 attrs=\n");
	{
		const char *args[] = {"trace-import", bad, NULL};

		run_bench(args, &r);
		expect_bad(&r, "trace-import: ");
		assert_non_null(strstr(r.err, "bad.txt:2: size: not a decimal number: 'x'"));
		run_free(&r);
	}
	{
		const char *args[] = {"trace-import", two, NULL};

		run_bench(args, &r);
		expect_bad(&r, "trace-import: ");
		assert_non_null(strstr(r.err, "DMA calls of 2 devices (d1 1 calls, d2 1 calls)"));
		run_free(&r);
	}
	{
		const char *args[] = {"trace-import", d.path, NULL};

		run_bench(args, &r);
		expect_bad(&r, "trace-import: ");
		assert_non_null(strstr(r.err, "is a directory"));
		run_free(&r);
	}
	{
		const char *args[] = {"trace-import", "--bogus", NULL};

		run_bench(args, &r);
		expect_bad(&r, "trace-import: ");
		run_free(&r);
	}
	{
		/* a report file that cannot be written: nothing read, nothing written */
		const char *args[] = {"trace-import", two, "--output", d.path, NULL};

		run_bench(args, &r);
		expect_bad(&r, "trace-import: --output: ");
		run_free(&r);
	}
	dir_remove(&d);
}

/* An integer field of CSV line @line (from 0) in column @name. */
static long long csv_field(const char *csv, size_t line, const char *name)
{
	return strtoll(csv_cell(csv, line, name), NULL, 10);
}

/*
 * Every platform and policy replays the whole trace: each row maps what the trace maps and
 * unmaps what it unmaps, leaves mapped what it leaves mapped, and the CSV is the same bytes
 * for one job and for three.
 */
static void test_bench_trace_replay_rows(void **state)
{
	char *path = sample("net-flow.trace");
	const char *one[] = {"compare", "--trace", path, "--jobs", "1", "--csv", "-", NULL};
	const char *three[] = {"compare", "--trace", path, "--jobs", "3", "--csv", "-", NULL};
	size_t len;
	char *trace = slurp(path, &len), *csv;
	size_t maps = lines_holding(trace, " map from ") + lines_holding(trace, " map to ") +
		      lines_holding(trace, " alloc bidi ");
	size_t unmaps = lines_holding(trace, " unmap from ") + lines_holding(trace, " unmap to ") +
			lines_holding(trace, " free bidi ");
	struct run a;

	(void)state;
	run_bench_same(one, three, &a);
	csv = strstr(a.out, "scenario,platform,");
	assert_non_null(csv);
	/* the default scenario: three platforms under four policies */
	assert_int_equal(lines_starting(csv, "default,"), 12);
	for (size_t row = 0; row < 12; row++) {
		assert_int_equal(csv_field(csv, row, "ios_submitted"), (long long)maps);
		assert_int_equal(csv_field(csv, row, "ios_completed"), (long long)unmaps);
		assert_int_equal(csv_field(csv, row, "left_mapped"), (long long)(maps - unmaps));
		assert_int_equal(csv_field(csv, row, "calls"), (long long)(maps + unmaps));
	}
	assert_non_null(strstr(csv, ",recorded,"));
	/* the NVMe loop's options are no columns of a replay */
	assert_null(strstr(csv, ",iodepth,"));
	run_free(&a);
	free(trace);
	free(path);
}

/* --record writes what compare ran; replayed, it makes as many calls. */
static void test_bench_trace_record_and_replay(void **state)
{
	struct dir d;
	char rec[4300];
	const char *record[] = {"compare",   "--platform", "lpar",     "--policy", "strict",
				"--seconds", "0.002",	   "--warmup", "0",	   "--record",
				rec,	     "--csv",	   "-",	       NULL};
	const char *replay[] = {"compare", "--platform", "lpar", "--policy",
				"strict",  "--trace",	 rec,	 "--trace-timing",
				"closed",  "--csv",	 "-",	 NULL};
	struct run a, b;
	size_t len;
	char *trace;

	(void)state;
	dir_make(&d);
	snprintf(rec, sizeof(rec), "%s/run.trace", d.path);
	run_bench(record, &a);
	expect_ok(&a);
	trace = slurp(rec, &len);
	assert_int_equal(lines_starting(trace, "iommusim-trace 1\n"), 1);
	run_bench(replay, &b);
	expect_ok(&b);
	/* every line after the header, the device and the column comment is a call */
	assert_int_equal(csv_field(strstr(b.out, "scenario,"), 0, "calls"),
			 (long long)(lines_starting(trace, "") - 3));
	assert_non_null(strstr(b.out, ",closed,"));
	free(trace);
	run_free(&a);
	run_free(&b);
	dir_remove(&d);
}

static void test_bench_trace_compare_errors(void **state)
{
	static const struct {
		const char *args[8];
		const char *start;
	} cases[] = {
		{{"compare", "--trace", "/nonexistent/x.trace", NULL},
		 "compare: --trace: cannot read '/nonexistent/x.trace': "},
		{{"compare", "--trace-timing", "closed", NULL},
		 "compare: --trace-timing: needs --trace FILE"},
		{{"compare", "--trace", "T", "--trace-timing", "late", NULL},
		 "compare: --trace-timing: not recorded or closed: 'late'"},
		{{"compare", "--trace", "T", "--bs", "8k", NULL},
		 "compare: --bs: not with --trace (the trace says what is mapped)"},
		{{"compare", "--trace", "T", "--trace", "T", NULL},
		 "compare: --trace: given twice"},
		{{"compare", "--trace", "BAD", NULL}, "compare: --trace: "},
		{{"compare", "--trace", "T", "--cpus", "1", NULL}, "compare: workload: trace: "},
		{{"sweep", "--trace", "T", NULL},
		 "sweep: --trace: not in a sweep (replay a trace with compare)"},
		{{"compare", "--trace", "T", "--uncertainty", "4", NULL},
		 "compare: --uncertainty: not with --trace"},
	};
	char *good = sample("nvme-fio.trace");
	struct dir d;
	char bad[4300];

	(void)state;
	dir_make(&d);
	snprintf(bad, sizeof(bad), "%s/bad.trace", d.path);
	write_file(bad, "iommusim-trace 1\n0 0 unmap to 1 4096 1\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[8];
		struct run r;

		for (size_t k = 0; k < 8; k++)
			args[k] = !cases[i].args[k]		     ? NULL
				  : !strcmp(cases[i].args[k], "T")   ? good
				  : !strcmp(cases[i].args[k], "BAD") ? bad
								     : cases[i].args[k];
		run_bench(args, &r);
		expect_bad(&r, cases[i].start);
		if (!strcmp(cases[i].start, "compare: --trace: "))
			assert_non_null(strstr(r.err, "bad.trace:2: buffer: 1 is not mapped"));
		run_free(&r);
	}
	dir_remove(&d);
	free(good);
}

SUITE_MAIN(cmocka_unit_test(test_bench_trace_import_keeps_every_call),
	   cmocka_unit_test(test_bench_trace_import_output_file),
	   cmocka_unit_test(test_bench_trace_import_errors),
	   cmocka_unit_test(test_bench_trace_replay_rows),
	   cmocka_unit_test(test_bench_trace_record_and_replay),
	   cmocka_unit_test(test_bench_trace_compare_errors))
