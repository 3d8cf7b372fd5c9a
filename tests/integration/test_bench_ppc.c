/* SPDX-License-Identifier: MIT */
/*
 * `iommusim-bench compare` on the powerpc platforms ($IOMMUSIM_BENCH): the rows a powerpc run
 * has (only the cells whose platform has the policy), the powerpc columns of its table and
 * files, their absence from an s390 run, missing values in a mixed one, and the one-line
 * refusals of policies and options that do not apply.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bench_child.h"
#include "suite_main.h"

/* compare with @extra (NULL-terminated) after a short run's options; must succeed. */
static void compare_ok(const char *const *extra, struct run *r)
{
	const char *args[24] = {"compare", "--seconds", "0.01", "--jobs", "2"};
	size_t n = 5;

	while (*extra && n < 23)
		args[n++] = *extra++;
	args[n] = NULL;
	run_bench(args, r);
	expect_ok(r);
}

static void test_ppc_scenario_rows_and_columns(void **state)
{
	const char *const extra[] = {
		"--scenario", "ppc-nvme-ddw-direct", "--warmup", "0.3", "--csv", "-", NULL};
	const char *header;
	struct run r;

	(void)state;
	compare_ok(extra, &r);
	header = strstr(r.out, "scenario,platform,policy,");
	assert_non_null(header);
	/* the table (before the CSV): each platform's own policies only, with its window */
	assert_int_equal(lines_starting(r.out, "powervm "), 2);
	assert_int_equal(lines_starting(r.out, "kvm-ppc "), 2);
	assert_int_equal(lines_starting(r.out, "powernv "), 3);
	assert_non_null(strstr(r.out, "ddw-direct"));
	assert_non_null(strstr(r.out, "hcalls_per_io"));
	assert_true(strstr(r.out, "rpcit_map_per_s") > header);
	assert_true(strstr(r.out, "ratio_to_legacy") > header);
	/* the CSV: the powerpc columns, one row per cell that ran */
	assert_non_null(strstr(header, ",ppc_window,ppc_ddw,hcalls_per_io,h_put_tce_per_io,"));
	assert_int_equal(lines_starting(header, "ppc-nvme-ddw-direct,"), 7);
	assert_non_null(strstr(header, ",powervm,default-window,"));
	assert_non_null(strstr(header, ",powernv,window-4g,"));
	assert_null(strstr(header, ",powervm,bypass,"));
	assert_null(strstr(header, ",powernv,ddw,"));
	run_free(&r);
}

/* An s390 run shows none of it; a mixed one leaves the powerpc cells of s390 rows empty. */
static void test_ppc_columns_only_with_powerpc(void **state)
{
	const char *const s390[] = {"--platform", "lpar",  "--policy", "strict", "--warmup",
				    "0.01",	  "--csv", "-",	       NULL};
	const char *const mixed[] = {"--platform", "lpar,powervm", "--warmup", "0.3", "--csv", "-",
				     NULL};
	const char *row;
	struct run r;

	(void)state;
	compare_ok(s390, &r);
	assert_null(strstr(r.out, "ppc_window"));
	assert_null(strstr(r.out, "hcalls_per_io"));
	run_free(&r);

	compare_ok(mixed, &r);
	/* four s390 policies on lpar, two powerpc ones on powervm */
	assert_int_equal(lines_starting(strstr(r.out, "scenario,"), "default,lpar,"), 4);
	assert_int_equal(lines_starting(strstr(r.out, "scenario,"), "default,powervm,"), 2);
	row = strstr(r.out, "default,lpar,legacy,");
	assert_non_null(row);
	/* the eleven powerpc cells, all missing, before the workload's keys (bs 4096 first) */
	assert_non_null(strstr(row, ",,,,,,,,,,,,4096,"));
	row = strstr(r.out, "default,powervm,ddw,");
	assert_non_null(row);
	assert_non_null(strstr(row, ",ddw-direct,created,0.0000,"));
	run_free(&r);
}

/* Exit status 2, nothing on standard output, the one line @want on standard error. */
static void expect_refused(const char *const *args, const char *want)
{
	struct run r;

	run_bench(args, &r);
	assert_int_equal(r.status, 2);
	assert_int_equal(r.outlen, 0);
	assert_string_equal(r.err, want);
	run_free(&r);
}

static void test_ppc_refusals(void **state)
{
	const char *const strict[] = {"compare",  "--platform", "powervm",
				      "--policy", "strict",	NULL};
	const char *const ddw[] = {"compare", "--platform", "lpar,zvm", "--policy", "ddw", NULL};
	const char *const none[] = {"compare",	"--platform", "lpar,powernv",
				    "--policy", "strict",     NULL};
	const char *const sens[] = {"compare", "--platform",	"powervm", "--policy",
				    "ddw",     "--sensitivity", NULL};
	const char *const set[] = {"compare", "--platform",	 "powervm",
				   "--set",   "dma.fq_size=512", NULL};

	(void)state;
	expect_refused(strict, "compare: --policy: strict is no policy of powervm (its policies: "
			       "default-window, ddw)\n");
	expect_refused(ddw, "compare: --policy: ddw is no policy of lpar or the other platforms "
			    "(its policies: strict, fq-percpu, fq-single, legacy)\n");
	expect_refused(none, "compare: --platform: powernv has none of the policies given (its "
			     "policies: default-window, bypass, window-4g)\n");
	expect_refused(sens, "compare: --sensitivity: s390 platforms only (legacy runs "
			     "alongside)\n");
	expect_refused(set, "compare: --set: no platform of this run reads dma.fq_size "
			    "(dma.fq_size=512)\n");
}

/*
 * A sweep over powerpc platforms cut into cells, the cells run one by one and merged: the same
 * bytes as the sweep run at once (the cell files carry the powerpc figures exactly).
 */
static void test_ppc_sweep_cells_merge(void **state)
{
	struct dir *d = *state;
	char em[4200], jobs[4300], cmd[9000], mcsv[4300];
	const char *grid[] = {"sweep",	   "--platform", "powervm,powernv",
			      "--iodepth", "8,16",	 "--seconds",
			      "0.01",	   "--warmup",	 "0.3",
			      "--csv",	   d->csv,	 "--emit-jobs",
			      em,	   NULL};
	const char *merge[] = {"merge", "--csv", mcsv, em, NULL};
	char *local, *merged;
	size_t llen, mlen;
	struct run r;

	snprintf(em, sizeof(em), "%s/cells", d->path);
	snprintf(jobs, sizeof(jobs), "%s/jobs.txt", em);
	snprintf(mcsv, sizeof(mcsv), "%s/merged.csv", d->path);
	/* first the cells (without --csv: what the report says is merge's) */
	grid[9] = "--jobs";
	grid[10] = "1";
	run_bench(grid, &r);
	expect_ok(&r);
	run_free(&r);
	snprintf(cmd, sizeof(cmd), "sh < '%s' > /dev/null 2>&1", jobs);
	assert_int_equal(system(cmd), 0);
	run_bench(merge, &r);
	expect_ok(&r);
	run_free(&r);
	/* then the sweep at once */
	grid[9] = "--csv";
	grid[10] = d->csv;
	grid[11] = NULL;
	run_bench(grid, &r);
	expect_ok(&r);
	run_free(&r);
	local = slurp(d->csv, &llen);
	merged = slurp(mcsv, &mlen);
	assert_int_equal(llen, mlen);
	assert_memory_equal(local, merged, llen);
	/* two points, two pSeries and three PowerNV rows each */
	assert_int_equal(lines_starting(local, "8,"), 5);
	assert_non_null(strstr(local, ",ppc_window,"));
	free(local);
	free(merged);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", em);
	assert_int_equal(system(cmd), 0);
}

SUITE_MAIN(cmocka_unit_test(test_ppc_scenario_rows_and_columns),
	   cmocka_unit_test(test_ppc_columns_only_with_powerpc),
	   cmocka_unit_test(test_ppc_refusals),
	   cmocka_unit_test_setup_teardown(test_ppc_sweep_cells_merge, dir_setup, dir_teardown))
