/* SPDX-License-Identifier: MIT */
/*
 * compare's and sweep's time series (--interval-ms, --timeseries) and the DMA exposure
 * columns, through the real binary: one row per interval per cell, the measured intervals'
 * completions adding up to the row's, the same bytes for any --jobs, the main report unchanged
 * by a series, bad values refused with one line and exit status 2 and nothing written; strict
 * never exposed, the lazy policies exposed, legacy the most.
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

#define MAX_ROWS 2048
#define MAX_COLS 96

/* A CSV without quoted fields (none of these reports quotes) split into cells. */
struct table {
	char *text;
	size_t nrows; /* the header is row 0 */
	size_t ncols;
	char *cell[MAX_ROWS][MAX_COLS];
};

static void table_read(const char *path, struct table *t)
{
	size_t len;
	char *line, *save = NULL;

	memset(t, 0, sizeof(*t));
	t->text = slurp(path, &len);
	assert_non_null(t->text);
	for (line = strtok_r(t->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t n = 0;
		char *s = line;

		assert_true(t->nrows < MAX_ROWS);
		for (;;) {
			char *comma = strchr(s, ',');

			assert_true(n < MAX_COLS);
			t->cell[t->nrows][n++] = s;
			if (!comma)
				break;
			*comma = '\0';
			s = comma + 1;
		}
		if (!t->nrows)
			t->ncols = n;
		assert_int_equal(n, t->ncols);
		t->nrows++;
	}
}

static int col(const struct table *t, const char *name)
{
	for (size_t c = 0; c < t->ncols; c++)
		if (!strcmp(t->cell[0][c], name))
			return (int)c;
	fail_msg("no column %s", name);
	return -1;
}

static const char *get(const struct table *t, size_t row, const char *name)
{
	return t->cell[row][col(t, name)];
}

static double num(const struct table *t, size_t row, const char *name)
{
	const char *s = get(t, row, name);

	if (!*s)
		fail_msg("row %zu: %s is empty", row, name);
	return strtod(s, NULL);
}

/* Two s390 platforms, three policies; 4.5 ms of warm-up (5 intervals, the last 0.5 ms). */
#define SMALL                                                                                      \
	"--platform", "lpar,zvm", "--policy", "strict,fq-single,legacy", "--seconds", "0.01",      \
		"--warmup", "0.0045", "--interval-ms", "1"

static void run_small(const char *jobs, const struct dir *d, const char *ts, struct run *r)
{
	const char *args[] = {"compare", SMALL,		 "--jobs", jobs, "--csv",
			      d->csv,	 "--timeseries", ts,	   NULL};

	run_bench(args, r);
	expect_ok(r);
}

/* One row per interval per cell, in row order; the measured ones add up to the row. */
static void test_series_rows_add_up(void **state)
{
	static struct table ts, main;
	struct dir *d = *state;
	struct run r;
	char path[4400];

	snprintf(path, sizeof(path), "%s/ts.csv", d->path);
	run_small("2", d, path, &r);
	table_read(path, &ts);
	table_read(d->csv, &main);
	assert_string_equal(ts.cell[0][0], "scenario");
	assert_int_equal(col(&ts, "seed"), 3);
	assert_int_equal(col(&ts, "t_s"), 4);
	assert_int_equal(col(&ts, "measured"), 5);
	/* 2 platforms x 3 policies, 5 + 10 intervals each */
	assert_int_equal(main.nrows - 1, 6);
	assert_int_equal(ts.nrows - 1, 6 * 15);
	for (size_t c = 1; c < main.nrows; c++) {
		uint64_t sum = 0;
		size_t measured = 0;

		for (size_t i = 0; i < 15; i++) {
			size_t row = (c - 1) * 15 + 1 + i;

			assert_string_equal(get(&ts, row, "platform"), get(&main, c, "platform"));
			assert_string_equal(get(&ts, row, "policy"), get(&main, c, "policy"));
			if (!strcmp(get(&ts, row, "measured"), "1")) {
				measured++;
				sum += strtoull(get(&ts, row, "ios_completed"), NULL, 10);
			}
		}
		assert_int_equal(measured, 10);
		assert_int_equal(sum, strtoull(get(&main, c, "ios_completed"), NULL, 10));
		/* the warm-up's last interval ends at its end; the run's last at 14.5 ms */
		assert_string_equal(get(&ts, (c - 1) * 15 + 4, "t_s"), "0.004");
		assert_string_equal(get(&ts, (c - 1) * 15 + 5, "t_s"), "0.0045");
		assert_string_equal(get(&ts, (c - 1) * 15 + 15, "t_s"), "0.0145");
	}
	/* LPAR has no budget: an empty dma_avail; z/VM's default has none either */
	assert_string_equal(get(&ts, 1, "dma_avail"), "");
	/* strict unmaps with a ranged RPCIT in every measured interval that completed I/O */
	assert_true(num(&ts, 10, "rpcit_unmap") > 0);
	free(ts.text);
	free(main.text);
	run_free(&r);
}

/* The same series for any --jobs; the main report the same with or without a series. */
static void test_series_same_bytes(void **state)
{
	struct dir a, b, c;
	struct run ra, rb, rc;
	char pa[4400], pb[4400];
	char *ta, *tb, *ca, *cb, *cc;
	size_t len;

	(void)state;
	dir_make(&a);
	dir_make(&b);
	dir_make(&c);
	snprintf(pa, sizeof(pa), "%s/ts.csv", a.path);
	snprintf(pb, sizeof(pb), "%s/ts.csv", b.path);
	run_small("1", &a, pa, &ra);
	run_small("2", &b, pb, &rb);
	ta = slurp(pa, &len);
	tb = slurp(pb, &len);
	assert_string_equal(ta, tb);
	/* the same run without a series */
	{
		const char *args[] = {"compare",
				      "--platform",
				      "lpar,zvm",
				      "--policy",
				      "strict,fq-single,legacy",
				      "--seconds",
				      "0.01",
				      "--warmup",
				      "0.0045",
				      "--jobs",
				      "2",
				      "--csv",
				      c.csv,
				      NULL};

		run_bench(args, &rc);
		expect_ok(&rc);
	}
	ca = slurp(a.csv, &len);
	cb = slurp(b.csv, &len);
	cc = slurp(c.csv, &len);
	assert_string_equal(ca, cb);
	assert_string_equal(ca, cc);
	assert_string_equal(ra.out, rc.out);
	free(ta);
	free(tb);
	free(ca);
	free(cb);
	free(cc);
	run_free(&ra);
	run_free(&rb);
	run_free(&rc);
	dir_remove(&a);
	dir_remove(&b);
	dir_remove(&c);
}

/* A sweep's series: the swept key after the seed, JSON by the file's name. */
static void test_series_sweep_json(void **state)
{
	struct dir *d = *state;
	struct run r;
	char path[4400], *json;
	size_t len, rows = 0;
	const char *args[] = {"sweep",	   "--platform",   "lpar",  "--policy",
			      "fq-percpu", "--iodepth",	   "1,4",   "--seconds",
			      "0.003",	   "--warmup",	   "0.002", "--interval-ms",
			      "1",	   "--timeseries", path,    NULL};

	snprintf(path, sizeof(path), "%s/ts.json", d->path);
	run_bench(args, &r);
	expect_ok(&r);
	json = slurp(path, &len);
	assert_true(!strncmp(json, "{\"meta\": {", 10));
	assert_non_null(strstr(json, "\"interval_seconds\": 0.001"));
	assert_non_null(strstr(json,
			       "{\"scenario\": \"default\", \"platform\": \"lpar\", \"policy\": "
			       "\"fq-percpu\", \"seed\": 1, \"iodepth\": 1, \"t_s\": 0.001, "
			       "\"measured\": false, "));
	assert_non_null(strstr(json, "\"iodepth\": 4, \"t_s\": 0.005, \"measured\": true, "));
	for (const char *s = json; (s = strstr(s, "\n  {\"scenario\"")); s++)
		rows++;
	/* 2 points, 2 + 3 intervals each */
	assert_int_equal(rows, 10);
	free(json);
	run_free(&r);
}

static void expect_refused(const char *const *args, const char *message)
{
	struct dir d;
	struct run r;
	char path[4400];
	const char *argv[32];
	size_t n = 0;

	dir_make(&d);
	snprintf(path, sizeof(path), "%s/ts.csv", d.path);
	for (; args[n]; n++)
		argv[n] = !strcmp(args[n], "TS") ? path : args[n];
	argv[n] = NULL;
	run_bench(argv, &r);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.out, "");
	if (!strstr(r.err, message))
		fail_msg("expected '%s' in: %s", message, r.err);
	/* one line */
	assert_int_equal(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err));
	expect_dir_empty(&d);
	run_free(&r);
	dir_remove(&d);
}

static void test_series_bad_values(void **state)
{
	(void)state;
	expect_refused(
		(const char *[]){"compare", "--interval-ms", "0", "--timeseries", "TS", NULL},
		"compare: --interval-ms: not a number of milliseconds in [1, 3600000]: '0'");
	expect_refused(
		(const char *[]){"compare", "--interval-ms", "1.5", "--timeseries", "TS", NULL},
		"compare: --interval-ms: not a number of milliseconds");
	expect_refused((const char *[]){"compare", "--interval-ms", "1", NULL},
		       "compare: --interval-ms: needs --timeseries FILE");
	expect_refused((const char *[]){"compare", "--timeseries", "TS", NULL},
		       "compare: --timeseries: needs --interval-ms N");
	expect_refused((const char *[]){"compare", "--interval-ms", "1", "--timeseries", "TS",
					"--timeseries-format", "xml", NULL},
		       "compare: --timeseries-format: not csv or json: 'xml'");
	expect_refused((const char *[]){"compare", "--interval-ms", "1", "--interval-ms", "2",
					"--timeseries", "TS", NULL},
		       "compare: --interval-ms: given twice");
	expect_refused((const char *[]){"compare", "--platform", "zvm", "--policy", "fq-single",
					"--sensitivity", "--interval-ms", "1", "--timeseries", "TS",
					NULL},
		       "compare: --timeseries: not with --sensitivity");
	/* 12 cells x 3620000 intervals (the default warm-up is 20 s) */
	expect_refused(
		(const char *[]){"compare", "--seconds", "3600", "--interval-ms", "1",
				 "--timeseries", "TS", NULL},
		"compare: --interval-ms: 1 ms makes 43440000 rows of time series (12 cells x "
		"3620000 intervals)");
	expect_refused((const char *[]){"sweep", "--iodepth", "1,2", "--interval-ms", "1",
					"--timeseries", "TS", "--emit-jobs", "TS.d", NULL},
		       "sweep: --timeseries: not with --emit-jobs, --emit-slurm or --cell");
	expect_refused((const char *[]){"compare", "--interval-ms", "1", "--timeseries", "TS",
					"--csv", "TS", NULL},
		       "name the same file");
}

/*
 * The exposure columns on the default scenario, briefly: strict is never exposed (its RPCIT
 * comes inside the unmap), the flush queues are, and legacy, which flushes only when its
 * allocator wraps around, keeps the most bytes exposed.
 */
static void test_exposure_by_policy(void **state)
{
	static struct table t;
	struct dir *d = *state;
	struct run r;
	const char *args[] = {"compare", "--platform", "lpar,zvm", "--seconds", "0.2", "--warmup",
			      "0.1",	 "--jobs",     "2",	   "--csv",	NULL,  NULL};

	args[10] = d->csv;
	run_bench(args, &r);
	expect_ok(&r);
	table_read(d->csv, &t);
	assert_int_equal(t.nrows - 1, 8);
	for (size_t p = 0; p < 2; p++) {
		size_t strict = 1 + 4 * p, percpu = strict + 1, single = strict + 2,
		       legacy = strict + 3;

		assert_string_equal(get(&t, strict, "policy"), "strict");
		assert_string_equal(get(&t, legacy, "policy"), "legacy");
		assert_true(num(&t, strict, "exposure_mean_us") == 0.0);
		assert_true(num(&t, strict, "exposure_p99_us") == 0.0);
		assert_true(num(&t, strict, "exposure_max_us") == 0.0);
		assert_true(num(&t, strict, "exposed_byte_s_per_s") == 0.0);
		assert_true(num(&t, percpu, "exposure_mean_us") > 0.0);
		assert_true(num(&t, percpu, "exposure_p99_us") >=
			    num(&t, percpu, "exposure_mean_us"));
		assert_true(num(&t, percpu, "exposure_max_us") >=
			    num(&t, percpu, "exposure_p99_us") * 63 / 64);
		assert_true(num(&t, single, "exposed_byte_s_per_s") >
			    num(&t, percpu, "exposed_byte_s_per_s"));
		assert_true(num(&t, legacy, "exposed_byte_s_per_s") >
			    num(&t, single, "exposed_byte_s_per_s"));
	}
	free(t.text);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_series_rows_add_up, dir_setup, dir_teardown),
		cmocka_unit_test(test_series_same_bytes),
		cmocka_unit_test_setup_teardown(test_series_sweep_json, dir_setup, dir_teardown),
		cmocka_unit_test(test_series_bad_values),
		cmocka_unit_test_setup_teardown(test_exposure_by_policy, dir_setup, dir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
