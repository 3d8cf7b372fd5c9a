/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of the studies of `iommusim-bench compare` (bench_child.h runs it):
 * --repeat and --uncertainty reports byte-identical across runs and across --jobs, different
 * for another seed, their bands ordered and their means consistent with single-seed runs;
 * a plain run's columns unchanged by a study; what --uncertainty-all draws; the
 * --sensitivity table sorted and deterministic; bad input to every new option. Simulated
 * times are 10 ms after 5 ms of warm-up, and studies small, so the sanitizer build stays
 * quick.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "bench_child.h"

#define MAX_LINES 64
#define MAX_COLS  64

/* A CSV report split into cells; columns are found by their header name. */
struct csv {
	char *text;
	size_t nrows; /* without the header */
	size_t ncols;
	char *cell[MAX_LINES][MAX_COLS];
};

static void csv_read(const char *path, struct csv *c)
{
	size_t len, line = 0;
	char *p, *save = NULL;

	memset(c, 0, sizeof(*c));
	c->text = slurp(path, &len);
	assert_true(len > 0 && c->text[len - 1] == '\n');
	for (p = strtok_r(c->text, "\n", &save); p; p = strtok_r(NULL, "\n", &save), line++) {
		size_t n = 0;

		assert_true(line < MAX_LINES);
		for (;;) {
			char *comma = strchr(p, ',');

			assert_true(n < MAX_COLS);
			c->cell[line][n++] = p;
			if (!comma)
				break;
			*comma = '\0';
			p = comma + 1;
		}
		if (line == 0)
			c->ncols = n;
		assert_int_equal(n, c->ncols);
	}
	c->nrows = line - 1;
}

static const char *get(const struct csv *c, size_t row, const char *name)
{
	for (size_t i = 0; i < c->ncols; i++)
		if (!strcmp(c->cell[0][i], name))
			return c->cell[row + 1][i];
	fail_msg("no column %s", name);
	return "";
}

/* A number that must be there. */
static double num(const struct csv *c, size_t row, const char *name)
{
	const char *v = get(c, row, name);
	char *end;
	double d = strtod(v, &end);

	if (!*v || *end)
		fail_msg("row %zu: %s is '%s', not a number", row, name, v);
	return d;
}

/* The whole run: standard output and both reports, for byte comparisons. */
struct report {
	struct run r;
	char *csv, *json;
	size_t ncsv, njson;
};

/* Run compare with @args plus --csv and --json into @d; must succeed. */
static void run_report(const char *const *args, struct dir *d, struct report *rep)
{
	const char *all[48];
	size_t n = 0;

	for (; args[n]; n++) {
		assert_true(n < 40);
		all[n] = args[n];
	}
	all[n++] = "--csv";
	all[n++] = d->csv;
	all[n++] = "--json";
	all[n++] = d->json;
	all[n] = NULL;
	run_bench(all, &rep->r);
	expect_ok(&rep->r);
	rep->csv = slurp(d->csv, &rep->ncsv);
	rep->json = slurp(d->json, &rep->njson);
}

static void report_free(struct report *rep)
{
	run_free(&rep->r);
	free(rep->csv);
	free(rep->json);
}

static void expect_same(const struct report *a, const struct report *b)
{
	assert_int_equal(a->r.outlen, b->r.outlen);
	assert_memory_equal(a->r.out, b->r.out, a->r.outlen);
	assert_int_equal(a->ncsv, b->ncsv);
	assert_memory_equal(a->csv, b->csv, a->ncsv);
	assert_int_equal(a->njson, b->njson);
	assert_memory_equal(a->json, b->json, a->njson);
}

/* The study most tests run, then @extra (NULL-terminated, at most 3) into @args[20]. */
static void study_args(const char **args, const char *const *extra)
{
	static const char *const base[] = {
		"compare",   "--platform",    "lpar",	  "--policy", "strict,fq-percpu,legacy",
		"--seconds", "0.01",	      "--warmup", "0.005",    "--repeat",
		"2",	     "--uncertainty", "4"};
	size_t n = 0;

	for (; n < sizeof(base) / sizeof(base[0]); n++)
		args[n] = base[n];
	for (size_t i = 0; extra[i]; i++)
		args[n++] = extra[i];
	args[n] = NULL;
}

/*
 * 3 policies x 2 seeds x (1 + 4 draws) = 30 runs. Twice on two threads, once on one (given
 * as --jobs=1: the meta leaves out either form), then with another seed.
 */
static void test_bench_study_same_bytes_any_jobs(void **state)
{
	const char *two[20], *one[20], *other[20];
	struct report a, b, c, d;
	struct dir dir;

	(void)state;
	study_args(two, (const char *const[]){"--jobs", "2", NULL});
	study_args(one, (const char *const[]){"--jobs=1", NULL});
	study_args(other, (const char *const[]){"--seed", "2", NULL});
	dir_make(&dir);
	run_report(two, &dir, &a);
	run_report(two, &dir, &b);
	run_report(one, &dir, &c);
	expect_same(&a, &b);
	expect_same(&a, &c);
	/* --jobs is not in the meta's command: the report does not depend on it */
	assert_null(strstr(a.json, "\"--jobs"));
	/* One progress line per finished run on a pipe, then the total. */
	assert_int_equal(lines_starting(c.r.err, "["), 30);
	assert_non_null(strstr(c.r.err, "[30/30] lpar legacy seed 2 draw 4 ... "));
	assert_non_null(strstr(a.r.err, "\ncompare: 30 runs in "));
	/* Another seed: other device draws and another hypercube. */
	run_report(other, &dir, &d);
	assert_true(a.ncsv != d.ncsv || memcmp(a.csv, d.csv, a.ncsv));
	assert_non_null(strstr(d.r.out, "seeds 2-3 per cell"));
	report_free(&a);
	report_free(&b);
	report_free(&c);
	report_free(&d);
	dir_remove(&dir);
}

/* In row @row, column WHAT@lo <= WHAT@mid <= WHAT@hi (a band or an interval around a value). */
static void expect_ordered(const struct csv *c, size_t row, const char *what, const char *lo,
			   const char *mid, const char *hi)
{
	char l[32], m[32], h[32];

	snprintf(l, sizeof(l), "%s%s", what, lo);
	snprintf(m, sizeof(m), "%s%s", what, mid);
	snprintf(h, sizeof(h), "%s%s", what, hi);
	assert_true(num(c, row, l) <= num(c, row, m));
	assert_true(num(c, row, m) <= num(c, row, h));
}

static void expect_band(const struct csv *c, size_t row, const char *what)
{
	expect_ordered(c, row, what, "_p5", "_p50", "_p95");
}

static void expect_interval(const struct csv *c, size_t row, const char *what)
{
	expect_ordered(c, row, what, "_ci95_lo", "_mean", "_ci95_hi");
}

/* The table marks exactly the rows whose rank_flips exceed 5 %, and explains the mark. */
static void expect_marks(const struct csv *c, const char *table)
{
	for (size_t i = 0; i < c->nrows; i++) {
		char start[64];
		const char *line;
		const char *eol;
		bool marked;

		snprintf(start, sizeof(start), "\nlpar      %-10s", get(c, i, "policy"));
		line = strstr(table, start);
		assert_non_null(line);
		eol = strchr(line + 1, '\n');
		marked = eol[-1] == '*';
		assert_int_equal(marked, num(c, i, "rank_flips") > 0.05);
	}
	assert_non_null(
		strstr(table, "\n# iops, ratio_to_legacy: the point run [5th-95th percentile"));
}

static void test_bench_study_bands_ordered(void **state)
{
	const char *args[20];
	struct report rep;
	struct dir dir;
	struct csv c;

	(void)state;
	study_args(args, (const char *const[]){"--seed", "3", NULL});
	dir_make(&dir);
	run_report(args, &dir, &rep);
	csv_read(dir.csv, &c);
	assert_int_equal(c.nrows, 3);
	for (size_t i = 0; i < c.nrows; i++) {
		double flips = num(&c, i, "rank_flips");

		assert_string_equal(get(&c, i, "repeats"), "2");
		assert_string_equal(get(&c, i, "draws"), "4");
		expect_interval(&c, i, "iops");
		expect_interval(&c, i, "ratio");
		expect_band(&c, i, "iops");
		expect_band(&c, i, "ratio");
		/* a share of 4 draws */
		assert_true(flips >= 0 && flips <= 1 && fmod(flips * 4, 1) == 0);
	}
	/* Legacy against itself: 1 in every seed and every draw. */
	assert_string_equal(get(&c, 2, "ratio_mean"), "1.0000");
	assert_string_equal(get(&c, 2, "ratio_ci95_lo"), "1.0000");
	assert_string_equal(get(&c, 2, "ratio_p5"), "1.0000");
	assert_string_equal(get(&c, 2, "ratio_p95"), "1.0000");
	expect_marks(&c, rep.r.out);
	free(c.text);
	report_free(&rep);
	dir_remove(&dir);
}

/*
 * A study leaves the columns of a plain run alone (they are the first seed's), and its means
 * are the means of plain runs with each seed.
 */
static void test_bench_study_plain_columns_unchanged(void **state)
{
	const char *plain[] = {"compare",	"--platform", "zvm",  "--policy",
			       "strict,legacy", "--seconds",  "0.01", "--warmup",
			       "0.005",		NULL,	      NULL,   NULL};
	const char *rep2[] = {"compare",       "--platform", "zvm",  "--policy",
			      "strict,legacy", "--seconds",  "0.01", "--warmup",
			      "0.005",	       "--repeat",   "2",    NULL};
	struct report r1, r2, rr;
	struct csv c1, c2, cr;
	struct dir dir;

	(void)state;
	dir_make(&dir);
	run_report(plain, &dir, &r1);
	csv_read(dir.csv, &c1);
	plain[9] = "--seed";
	plain[10] = "2";
	run_report(plain, &dir, &r2);
	csv_read(dir.csv, &c2);
	run_report(rep2, &dir, &rr);
	csv_read(dir.csv, &cr);
	for (size_t i = 0; i < 2; i++) {
		const char *first_new = "repeats";
		double m;

		for (size_t k = 0; strcmp(c1.cell[0][k], first_new); k++)
			assert_string_equal(c1.cell[i + 1][k], cr.cell[i + 1][k]);
		/* one seed: a mean without an interval, no draws */
		assert_string_equal(get(&c1, i, "repeats"), "1");
		assert_string_equal(get(&c1, i, "iops_mean"), get(&c1, i, "iops"));
		assert_string_equal(get(&c1, i, "iops_ci95_lo"), "");
		assert_string_equal(get(&c1, i, "ratio_mean"), get(&c1, i, "ratio_to_legacy"));
		assert_string_equal(get(&c1, i, "draws"), "0");
		assert_string_equal(get(&c1, i, "iops_p50"), "");
		assert_string_equal(get(&c1, i, "rank_flips"), "");
		/* two seeds: the mean of the two plain runs */
		m = (num(&c1, i, "iops") + num(&c2, i, "iops")) / 2;
		assert_true(fabs(num(&cr, i, "iops_mean") - m) < 0.051);
		m = (num(&c1, i, "ratio_to_legacy") + num(&c2, i, "ratio_to_legacy")) / 2;
		assert_true(fabs(num(&cr, i, "ratio_mean") - m) < 1.1e-4);
	}
	/* The table adds the means next to the figures of the first seed. */
	assert_non_null(strstr(rr.r.out, "iops_mean"));
	assert_null(strstr(r1.r.out, "iops_mean"));
	assert_null(strstr(r1.r.out, "# study:"));
	free(c1.text);
	free(c2.text);
	free(cr.text);
	report_free(&r1);
	report_free(&r2);
	report_free(&rr);
	dir_remove(&dir);
}

/* The JSON meta lists the parameters a draw varies: EST ones, fitted ones only when asked. */
static void expect_drawn(const char *json, bool all)
{
	const char *list = strstr(json, "\"uncertainty_params\": [");

	assert_non_null(list);
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		const struct iommusim_cost_param *p = iommusim_cost_param((enum iommusim_cost_id)i);
		/* an s390 run: what an s390 platform reads */
		bool s390 = iommusim_platform_reads(IOMMUSIM_PLATFORM_LPAR, i) ||
			    iommusim_platform_reads(IOMMUSIM_PLATFORM_ZVM, i) ||
			    iommusim_platform_reads(IOMMUSIM_PLATFORM_KVM, i);
		/* another workload's parameters change nothing an NVMe run does */
		bool want = (p->flags & IOMMUSIM_COST_EST) && s390 &&
			    !(p->flags & IOMMUSIM_COST_WORKLOAD) &&
			    (all || !(p->flags & IOMMUSIM_COST_FITTED));
		char quoted[96];
		const char *at;

		snprintf(quoted, sizeof(quoted), "\"%s\"", p->name);
		at = strstr(list, quoted);
		assert_int_equal(at && at < strchr(list, ']'), want);
	}
}

static void test_bench_study_uncertainty_all_draws_fitted(void **state)
{
	const char *args[] = {"compare",   "--platform", "zvm",	     "--policy", "strict",
			      "--seconds", "0.01",	 "--warmup", "0.005",	 "--uncertainty",
			      "2",	   NULL,	 NULL};
	struct report held, all;
	struct dir dir;

	(void)state;
	dir_make(&dir);
	run_report(args, &dir, &held);
	args[11] = "--uncertainty-all";
	run_report(args, &dir, &all);
	assert_non_null(strstr(held.json, "\"uncertainty\": 2, \"uncertainty_all\": false"));
	assert_non_null(strstr(all.json, "\"uncertainty\": 2, \"uncertainty_all\": true"));
	expect_drawn(held.json, false);
	expect_drawn(all.json, true);
	assert_non_null(strstr(held.r.out, "fitted ones held"));
	assert_non_null(strstr(all.r.out, "fitted ones included"));
	report_free(&held);
	report_free(&all);
	dir_remove(&dir);
}

/* @name's place in the cost table. */
static unsigned int table_index(const char *name)
{
	enum iommusim_cost_id id;

	assert_int_equal(iommusim_cost_lookup(name, &id), 0);
	return (unsigned int)id;
}

/*
 * The EST parameters z/VM reads but the one set (zvm.map_page_ns) x 2 extremes x 2 policies +
 * 2 runs, on one thread and on two. Other platforms' parameters are not listed: z/VM does not
 * read them.
 */
static void test_bench_study_sensitivity_sorted(void **state)
{
	const char *args[] = {
		"compare", "--platform", "zvm",	  "--policy",	   "strict", "--seconds",
		"0.01",	   "--warmup",	 "0.005", "--sensitivity", "--set",  "zvm.map_page_ns=1000",
		"--jobs",  "1",		 NULL};
	size_t est = 0;
	struct report one, two;
	struct dir dir;
	struct csv c;

	(void)state;
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		unsigned int flags = iommusim_cost_param((enum iommusim_cost_id)i)->flags;

		if ((flags & IOMMUSIM_COST_EST) && !(flags & IOMMUSIM_COST_WORKLOAD) &&
		    iommusim_platform_reads(IOMMUSIM_PLATFORM_ZVM, (enum iommusim_cost_id)i))
			est++;
	}
	dir_make(&dir);
	run_report(args, &dir, &one);
	args[13] = "2";
	run_report(args, &dir, &two);
	expect_same(&one, &two);
	assert_non_null(strstr(one.r.out, "# sensitivity of strict against legacy on zvm: "));
	assert_non_null(strstr(one.r.out, "baseline ratio 0."));
	assert_non_null(strstr(one.json, "\"sensitivity\": {\"platform\": \"zvm\""));
	csv_read(dir.csv, &c);
	assert_int_equal(c.ncols, 8);
	assert_string_equal(c.cell[0][0], "parameter");
	assert_string_equal(c.cell[0][7], "effect");
	/* Every EST parameter z/VM reads but the one set, once. */
	assert_int_equal(c.nrows, est - 1);
	for (size_t i = 0; i < c.nrows; i++) {
		const char *name = get(&c, i, "parameter");
		double effect = num(&c, i, "effect");

		assert_string_not_equal(name, "zvm.map_page_ns");
		assert_true(iommusim_platform_reads(IOMMUSIM_PLATFORM_ZVM,
						    (enum iommusim_cost_id)table_index(name)));
		assert_true(fabs(effect - fabs(num(&c, i, "ratio_at_max") -
					       num(&c, i, "ratio_at_min"))) < 1.1e-4);
		if (i)
			assert_true(effect <= num(&c, i - 1, "effect"));
	}
	/* z/VM's own parameters are listed */
	assert_non_null(strstr(one.r.out, "\nzvm.segment_ns "));
	free(c.text);
	report_free(&one);
	report_free(&two);
	dir_remove(&dir);
}

static void test_bench_study_bad_input_one_line(void **state)
{
	static const struct {
		const char *args[8];
		const char *message;
	} cases[] = {
		{{"--jobs", "0"}, "compare: --jobs: not a number of jobs in [1, 256]: '0'"},
		{{"--jobs", "257"}, "compare: --jobs: not a number of jobs in [1, 256]: '257'"},
		{{"--jobs", "-1"}, "compare: --jobs: not a number of jobs in [1, 256]: '-1'"},
		{{"--jobs=x"}, "compare: --jobs: not a number of jobs in [1, 256]: 'x'"},
		{{"--jobs", "1", "--jobs", "2"}, "compare: --jobs: given twice"},
		{{"--repeat", "0"}, "compare: --repeat: not a number of seeds in [1, 1000]: '0'"},
		{{"--repeat", "1001"}, "compare: --repeat: not a number of seeds in [1, 1000]"},
		{{"--repeat", "2.5"}, "compare: --repeat: not a number of seeds in [1, 1000]"},
		{{"--repeat", "2", "--repeat", "2"}, "compare: --repeat: given twice"},
		{{"--uncertainty", "1"},
		 "compare: --uncertainty: not a number of draws in [2, 10000]: '1'"},
		{{"--uncertainty", "10001"}, "compare: --uncertainty: not a number of draws"},
		{{"--uncertainty", ""}, "compare: --uncertainty: not a number of draws"},
		{{"--uncertainty", "3", "--uncertainty", "4"},
		 "compare: --uncertainty: given twice"},
		{{"--uncertainty-all"}, "compare: --uncertainty-all: needs --uncertainty N"},
		{{"--uncertainty-all", "--repeat", "2"},
		 "compare: --uncertainty-all: needs --uncertainty N"},
		{{"--sensitivity"}, "compare: --sensitivity: needs exactly one platform"},
		{{"--sensitivity", "--platform", "lpar"},
		 "compare: --sensitivity: needs exactly one policy other than legacy"},
		{{"--sensitivity", "--platform", "lpar", "--policy", "legacy"},
		 "compare: --sensitivity: needs exactly one policy other than legacy"},
		{{"--sensitivity", "--platform", "lpar", "--policy", "strict", "--repeat", "2"},
		 "compare: --sensitivity: cannot be combined with --repeat"},
		{{"--sensitivity", "--platform", "lpar", "--policy", "strict", "--uncertainty",
		  "2"},
		 "compare: --sensitivity: cannot be combined with --uncertainty"},
	};

	(void)state;
	/* Every check comes before the first run: nothing is simulated here. */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = 0;

		while (n < 8 && cases[i].args[n])
			n++;
		expect_compare_refused(cases[i].args, n, cases[i].message);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bench_study_same_bytes_any_jobs),
		cmocka_unit_test(test_bench_study_bands_ordered),
		cmocka_unit_test(test_bench_study_plain_columns_unchanged),
		cmocka_unit_test(test_bench_study_uncertainty_all_draws_fitted),
		cmocka_unit_test(test_bench_study_sensitivity_sorted),
		cmocka_unit_test(test_bench_study_bad_input_one_line),
	};

	return cmocka_run_group_tests_name("bench_study", tests, NULL, NULL);
}
