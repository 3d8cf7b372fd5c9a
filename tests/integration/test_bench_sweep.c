/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench sweep, merge, job files and compare's workload options, through the real
 * binary: the grid and its columns, the same bytes for any --jobs, a sweep cut into cells
 * (run one by one, and by GNU parallel) merging to the local sweep's bytes, and bad job files
 * and values refused with one line and exit status 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_child.h"

/* A short grid: 2 iodepths x 2 flush-queue sizes on LPAR, two policies, two seeds. */
#define GRID                                                                                       \
	"--platform", "lpar", "--policy", "fq-percpu,legacy", "--seconds", "0.005", "--warmup",    \
		"0.002", "--iodepth", "1,4", "--set", "dma.fq_size=256..1024*4", "--repeat", "2"

static char *read_file(const char *path)
{
	size_t len;

	return slurp(path, &len);
}

/* The first line of @text, in @buf. */
static void first_line(const char *text, char *buf, size_t len)
{
	size_t n = strcspn(text, "\n");

	snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), text);
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

static void rm_rf(const char *path)
{
	char cmd[4400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static void run_grid(const char *jobs, const struct dir *d, struct run *r)
{
	const char *args[] = {"sweep", GRID,	 "--jobs", jobs, "--csv",
			      d->csv,  "--json", d->json,  NULL};

	run_bench(args, r);
	expect_ok(r);
}

/* The grid's rows and columns: swept keys first, as given, then platform, policy, ... */
static void test_sweep_grid_columns(void **state)
{
	struct dir *d = *state;
	struct run r;
	char line[4096], *csv, *json;

	run_grid("2", d, &r);
	csv = read_file(d->csv);
	json = read_file(d->json);
	first_line(csv, line, sizeof(line));
	assert_true(
		!strncmp(line, "iodepth,dma.fq_size,scenario,platform,policy,workload,cpus,",
			 strlen("iodepth,dma.fq_size,scenario,platform,policy,workload,cpus,")));
	/* the swept keys are not repeated at the end with the other keys */
	assert_null(strstr(line + 20, ",iodepth"));
	assert_null(strstr(line + 20, ",dma.fq_size"));
	assert_non_null(strstr(line, ",repeats,iops_mean,iops_ci95_lo,iops_ci95_hi,ratio_mean,"));
	/* 2 x 2 points (256 and 1024: 256..1024*4), 2 policies: 8 rows, first axis slowest */
	assert_int_equal(count_lines(csv), 1 + 8);
	assert_non_null(strstr(csv, "\n1,256,default,lpar,fq-percpu,4k-randread-4x1,4,256,"));
	assert_non_null(strstr(csv, "\n1,1024,default,lpar,legacy,"));
	assert_non_null(strstr(csv, "\n4,1024,default,lpar,legacy,4k-randread-4x4,"));
	assert_non_null(strstr(json, "\"swept\": [\"iodepth\", \"dma.fq_size\"]"));
	/* the table leads with the swept keys too */
	assert_true(!strncmp(strstr(r.out, "\niodepth") + 1, "iodepth  dma.fq_size  platform", 30));
	free(csv);
	free(json);
	run_free(&r);
}

/* Same arguments and seed: the same table, CSV and JSON for --jobs 1 and --jobs 2. */
static void test_sweep_same_bytes_any_jobs(void **state)
{
	struct dir a, b;
	struct run ra, rb;
	char *ca, *cb, *ja, *jb;

	(void)state;
	dir_make(&a);
	dir_make(&b);
	run_grid("1", &a, &ra);
	run_grid("2", &b, &rb);
	ca = read_file(a.csv);
	cb = read_file(b.csv);
	ja = read_file(a.json);
	jb = read_file(b.json);
	assert_string_equal(ca, cb);
	assert_string_equal(ja, jb);
	assert_string_equal(ra.out, rb.out);
	/* --jobs is left out of the command the report quotes */
	assert_null(strstr(ja, "\"--jobs\""));
	free(ca);
	free(cb);
	free(ja);
	free(jb);
	run_free(&ra);
	run_free(&rb);
	dir_remove(&a);
	dir_remove(&b);
}

/*
 * --emit-jobs writes one command per cell; run them with @runner ("sh" line by line, or GNU
 * parallel), merge, and compare with the local sweep, byte for byte.
 */
static void emit_run_merge(const char *runner)
{
	struct dir local, em;
	struct run r, m;
	char jobs[4300], cmd[9000], mcsv[4300], mjson[4300];
	char *lc, *lj, *mc, *mj, *text;
	const char *emit[] = {"sweep", GRID, "--emit-jobs", em.path, NULL};
	const char *merge[] = {"merge", "--csv", mcsv, "--json", mjson, em.path, NULL};

	dir_make(&local);
	dir_make(&em);
	emit[sizeof(emit) / sizeof(emit[0]) - 2] = em.path;
	merge[5] = em.path;
	run_bench(emit, &r);
	expect_ok(&r);
	run_free(&r);
	snprintf(jobs, sizeof(jobs), "%s/jobs.txt", em.path);
	text = read_file(jobs);
	/* one cell per point on the one platform: 4 */
	assert_int_equal(count_lines(text), 4);
	assert_non_null(strstr(text, " --cell 3 --cell-out "));
	free(text);
	snprintf(cmd, sizeof(cmd), "%s < '%s' > /dev/null 2>&1", runner, jobs);
	assert_int_equal(system(cmd), 0);
	snprintf(mcsv, sizeof(mcsv), "%s/merged.csv", local.path);
	snprintf(mjson, sizeof(mjson), "%s/merged.json", local.path);
	run_bench(merge, &m);
	expect_ok(&m);
	run_grid("2", &local, &r);
	lc = read_file(local.csv);
	lj = read_file(local.json);
	mc = read_file(mcsv);
	mj = read_file(mjson);
	assert_string_equal(mc, lc);
	assert_string_equal(mj, lj);
	assert_string_equal(m.out, r.out);
	free(lc);
	free(lj);
	free(mc);
	free(mj);
	run_free(&r);
	run_free(&m);
	rm_rf(em.path);
	rm_rf(local.path);
}

static void test_sweep_cells_merge_to_local(void **state)
{
	(void)state;
	emit_run_merge("sh");
}

static void test_sweep_gnu_parallel_merges_to_local(void **state)
{
	(void)state;
	if (system("parallel --version > /dev/null 2>&1")) {
		printf("# GNU parallel is not installed (scripts/install-deps installs it)\n");
		skip();
	}
	emit_run_merge("parallel --will-cite -j 2");
}

/* A cell missing from the directory: merge names it, exit status 2, nothing written. */
static void test_merge_missing_cell(void **state)
{
	struct dir em;
	struct run r;
	char out[4300], cell[4300];
	const char *emit[] = {"sweep", GRID, "--emit-jobs", em.path, NULL};
	const char *merge[] = {"merge", "--csv", out, em.path, NULL};

	(void)state;
	dir_make(&em);
	emit[sizeof(emit) / sizeof(emit[0]) - 2] = em.path;
	merge[3] = em.path;
	snprintf(out, sizeof(out), "%s/merged.csv", em.path);
	run_bench(emit, &r);
	expect_ok(&r);
	run_free(&r);
	/* a cell of another sweep is refused, not mixed in */
	snprintf(cell, sizeof(cell), "%s/cells/0.csv", em.path);
	FILE *f = fopen(cell, "w");

	assert_non_null(f);
	fputs("sweep,cell\n", f);
	fclose(f);
	run_bench(merge, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "cells/0.csv:1: not a sweep cell file"));
	run_free(&r);
	unlink(cell);
	run_bench(merge, &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "merge: cell 0: no "));
	assert_false(exists(out));
	run_free(&r);
	rm_rf(em.path);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A bad job file: "FILE:LINE: KEY: problem", exit status 2, no report written. */
static void test_job_file_errors(void **state)
{
	static const struct {
		const char *text, *message;
	} bad[] = {
		{"[global]\nplatform = zvm\n[a]\niodepth = 0\n",
		 ":4: iodepth: '0' is not in 1..4096\n"},
		{"[global]\n[a]\ndma.fq_sise = 4\n", ":3: dma.fq_sise: unknown key"},
		{"[a]\nseconds = abc\n", ":2: seconds: not a number of seconds"},
		{"[global]\nplatform = lpar,zvmm\n[a]\n", ":2: platform: unknown platform 'zvmm'"},
		{"[a]\npolicy = strict,lazy\n", ":2: policy: unknown policy 'lazy'"},
		{"[a]\ndma.fq_size = 1000\n", ":2: dma.fq_size: 1000 is not a power of two"},
		{"[a]\niodepth = 1,8\n",
		 ":2: iodepth: lists and ranges are for 'iommusim-bench sweep'"},
		{"[a]\nbs = 4k\nbs = 8k\n", ":3: bs: given twice in [a] (line 2)\n"},
		{"[a]\nthis is not a key\n", ":2: not a key = value line or a [section]\n"},
	};
	struct dir *d = *state;
	char ini[4300];
	const char *args[] = {"compare", "--job", ini, "--csv", d->csv, NULL};

	args[4] = d->csv;
	snprintf(ini, sizeof(ini), "%s/job.ini", d->path);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct run r;
		char want[4600];

		write_text(ini, bad[i].text);
		run_bench(args, &r);
		snprintf(want, sizeof(want), "%s%s", ini, bad[i].message);
		if (r.status != 2 || strncmp(r.err, want, strlen(want)) || count_lines(r.err) != 1)
			fail_msg("job file %zu: status %d, stderr '%s', wanted '%s'", i, r.status,
				 r.err, want);
		assert_string_equal(r.out, "");
		assert_false(exists(d->csv));
		run_free(&r);
	}
	unlink(ini);
}

/* A job file's values run, the command line overrides them, and the report says what ran. */
static void test_job_file_runs(void **state)
{
	struct dir *d = *state;
	struct run r;
	char ini[4300], *csv;
	const char *args[] = {"compare", "--job", ini, "--iodepth", "2", "--csv", d->csv, NULL};

	args[6] = d->csv;
	snprintf(ini, sizeof(ini), "%s/job.ini", d->path);
	write_text(ini, "; z/VM, quickly\n[global]\nplatform = lpar\nseconds = 0.005\n"
			"warmup = 0.002\n\n[qd8]\npolicy = strict,legacy\niodepth = 8\n"
			"rw = randrw\nrwmixread = 70\ndma.fq_size = 1024\n");
	run_bench(args, &r);
	expect_ok(&r);
	csv = read_file(d->csv);
	assert_int_equal(count_lines(csv), 1 + 2);
	/* iodepth 2 from the command line, the rest from the file; the --set key a column */
	assert_non_null(strstr(csv, "\ndefault,lpar,strict,4k-randrw70-4x2,4,0,0,1,0.005000,"));
	assert_non_null(strstr(csv, ",4096,2,4,randrw,70,4294967296,1024\n"));
	assert_non_null(strstr(r.out, " 0.005 s measured after 0.002 s warm-up"));
	free(csv);
	unlink(ini);
	run_free(&r);
}

/* compare's workload options: checked, and refused as lists. */
static void test_compare_workload_options(void **state)
{
	static const struct {
		const char *opt, *value, *message;
	} bad[] = {
		{"--iodepth", "1,8",
		 "compare: --iodepth: lists and ranges are for 'iommusim-bench "
		 "sweep': '1,8'\n"},
		{"--bs", "3k", "compare: --bs: '3k' is not a multiple of 4k from 4k to 2m\n"},
		{"--rw", "trim",
		 "compare: --rw: 'trim' is not read, write, randread, randwrite, rw "
		 "or randrw\n"},
		{"--numjobs", "8",
		 "compare: workload: nvme.jobs: 8 is not in 1..4 (one job per "
		 "CPU)\n"},
		{"--mem", "1g5", "compare: --mem: '1g5' is not a multiple of 1m from 64m to 1t\n"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = {"compare", bad[i].opt, bad[i].value, NULL};
		struct run r;

		run_bench(args, &r);
		assert_int_equal(r.status, 2);
		assert_string_equal(r.err, bad[i].message);
		assert_string_equal(r.out, "");
		run_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sweep_grid_columns, dir_setup, dir_teardown),
		cmocka_unit_test(test_sweep_same_bytes_any_jobs),
		cmocka_unit_test(test_sweep_cells_merge_to_local),
		cmocka_unit_test(test_sweep_gnu_parallel_merges_to_local),
		cmocka_unit_test(test_merge_missing_cell),
		cmocka_unit_test_setup_teardown(test_job_file_errors, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_job_file_runs, dir_setup, dir_teardown),
		cmocka_unit_test(test_compare_workload_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
