/* SPDX-License-Identifier: MIT */
/*
 * `iommusim-bench compare` with the mlx5 workload end to end: its scenarios and
 * --workload mlx5 fill a row per platform and policy with packets per second, Gb/s and the
 * maps and unmaps per packet, the same bytes for any --jobs; an NVMe run has none of those
 * columns; a packet mix and a rate show in the row; the probe-order failure is one line; and
 * every input error is one line, exit status 2, nothing on standard output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "bench_child.h"
#include "suite_main.h"

/* TX-only 9000-byte packets: 1 + 3 maps and unmaps each, on LPAR and z/VM under each policy. */
static void test_bench_mlx5_rows(void **state)
{
	const char *one[] = {
		"compare",    "--workload", "mlx5",	 "--mlx5", "pkt=9000,tx_ring=64",
		"--platform", "lpar,zvm",   "--seconds", "0.01",   "--warmup",
		"0.05",	      "--jobs",	    "1",	 "--csv",  "-",
		NULL};
	const char *three[] = {
		"compare",    "--workload", "mlx5",	 "--mlx5", "pkt=9000,tx_ring=64",
		"--platform", "lpar,zvm",   "--seconds", "0.01",   "--warmup",
		"0.05",	      "--jobs",	    "3",	 "--csv",  "-",
		NULL};
	struct run a;
	const char *csv;

	(void)state;
	run_bench_same(one, three, &a);
	csv = strstr(a.out, "scenario,platform,");
	assert_non_null(csv);
	assert_non_null(strstr(csv, ",pps,gbps,maps_per_pkt,unmaps_per_pkt\n"));
	/* the NVMe loop's options are no columns of an mlx5 run */
	assert_null(strstr(csv, ",iodepth,"));
	for (size_t row = 0; row < 8; row++) {
		assert_true(strtod(csv_cell(csv, row, "pps"), NULL) > 0);
		assert_true(strtod(csv_cell(csv, row, "maps_per_pkt"), NULL) == 4.0);
		assert_true(strtod(csv_cell(csv, row, "unmaps_per_pkt"), NULL) == 4.0);
		assert_int_equal(strncmp(csv_cell(csv, row, "workload"), "mlx5-9000b-tx-4q,", 17),
				 0);
	}
	run_free(&a);
}

/* The scenarios are listed, and the table of an mlx5 run shows its packet rate. */
static void test_bench_mlx5_scenarios(void **state)
{
	const char *list[] = {"compare", "--list", NULL};
	const char *small[] = {"compare",    "--scenario", "s390-mlx5-smallpkt",
			       "--platform", "lpar",	   "--seconds",
			       "0.005",	     "--warmup",   "0.01",
			       "--jobs",     "1",	   NULL};
	const char *nvme[] = {"compare", "--platform", "lpar", "--policy", "strict", "--seconds",
			      "0.01",	 "--warmup",   "0",    "--csv",	   "-",	     NULL};
	const char *small_json[] = {"compare",	  "--scenario", "s390-mlx5-smallpkt",
				    "--platform", "lpar",	"--policy",
				    "strict",	  "--seconds",	"0.005",
				    "--warmup",	  "0.01",	"--json",
				    "-",	  NULL};
	const char *nvme_json[] = {"compare", "--platform", "lpar", "--policy",
				   "strict",  "--seconds",  "0.01", "--warmup",
				   "0",	      "--json",	    "-",    NULL};
	struct run r;

	(void)state;
	run_bench(list, &r);
	expect_ok(&r);
	assert_non_null(strstr(r.out, "s390-mlx5-2023"));
	assert_non_null(strstr(r.out, "s390-mlx5-smallpkt"));
	run_free(&r);
	run_bench(small, &r);
	expect_ok(&r);
	assert_non_null(strstr(r.out, "mlx5-64b-tx-4q"));
	assert_non_null(strstr(r.out, " pps "));
	assert_non_null(strstr(r.out, " maps_per_pkt "));
	run_free(&r);
	/* an NVMe run keeps its columns */
	run_bench(nvme, &r);
	expect_ok(&r);
	assert_null(strstr(r.out, "pps"));
	assert_null(strstr(r.out, "maps_per_pkt"));
	run_free(&r);
	/* the meta of an mlx5 scenario describes its packets, and no NVMe job it does not run */
	run_bench(small_json, &r);
	expect_ok(&r);
	assert_non_null(strstr(r.out, "\"mlx5\": {"));
	assert_non_null(strstr(r.out, "\"packet_bytes\": 64"));
	assert_null(strstr(r.out, "\"iodepth\""));
	assert_null(strstr(r.out, "\"block_size_bytes\""));
	run_free(&r);
	run_bench(nvme_json, &r);
	expect_ok(&r);
	assert_non_null(strstr(r.out, "\"iodepth\": 32"));
	assert_non_null(strstr(r.out, "\"block_size_bytes\": 4096"));
	run_free(&r);
}

/* compare --workload mlx5 --mlx5 @list on LPAR under strict, briefly, as CSV: into @args. */
static void lpar_strict(const char *list, const char *args[16])
{
	static const char *const rest[] = {"--platform", "lpar", "--policy", "strict",
					   "--seconds",	 "0.01", "--warmup", "0.05",
					   "--csv",	 "-"};
	size_t n = 0;

	args[n++] = "compare";
	args[n++] = "--workload";
	args[n++] = "mlx5";
	args[n++] = "--mlx5";
	args[n++] = list;
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++)
		args[n++] = rest[i];
	args[n] = NULL;
}

/*
 * A mix of 64, 1500 and 9000 bytes (40, 50, 10 %: 1676 bytes and 1.3 TX maps a packet on
 * average) at 200 000 packets per second, which LPAR keeps: the row names both, has the rate's
 * columns, and meets the rate. Without a rate the rate's columns are not there.
 */
static void test_bench_mlx5_mix_rate(void **state)
{
	const char *paced[16], *closed[16];
	struct run r;
	const char *csv;

	(void)state;
	lpar_strict("tx_ring=64,mix=64:40,1500:50,9000:10,rate=200000", paced);
	lpar_strict("mix=64:50,9000:50", closed);
	run_bench(paced, &r);
	expect_ok(&r);
	csv = strstr(r.out, "scenario,platform,");
	assert_non_null(csv);
	assert_non_null(strstr(csv, ",maps_per_pkt,unmaps_per_pkt,offered_pps,late_pct\n"));
	assert_int_equal(
		strncmp(csv_cell(csv, 0, "workload"), "mlx5-mix1676b-tx-4q-200000pps,", 30), 0);
	assert_int_equal(strtoul(csv_cell(csv, 0, "packet_bytes"), NULL, 10), 1676);
	assert_true(strtod(csv_cell(csv, 0, "offered_pps"), NULL) == 200000);
	/* 4 channels, each a packet off at either edge of 0.01 s at most */
	assert_true(fabs(strtod(csv_cell(csv, 0, "pps"), NULL) - 200000) <= 800);
	assert_true(strtod(csv_cell(csv, 0, "late_pct"), NULL) == 0);
	assert_true(fabs(strtod(csv_cell(csv, 0, "maps_per_pkt"), NULL) - 1.3) < 0.2);
	run_free(&r);
	run_bench(closed, &r);
	expect_ok(&r);
	csv = strstr(r.out, "scenario,platform,");
	assert_non_null(csv);
	assert_non_null(strstr(csv, ",maps_per_pkt,unmaps_per_pkt\n"));
	assert_null(strstr(csv, "offered_pps"));
	assert_true(fabs(strtod(csv_cell(csv, 0, "unmaps_per_pkt"), NULL) - 2.5) < 0.3);
	run_free(&r);
}

/* Exit status 2, nothing on standard output, one line on standard error starting @start. */
static void expect_bad_line(const struct run *r, const char *start)
{
	if (r->status != 2)
		fail_msg("exit status %d, expected 2; stderr: %s", r->status, r->err);
	assert_int_equal(r->outlen, 0);
	assert_ptr_equal(strchr(r->err, '\n'), r->err + r->errlen - 1);
	if (strncmp(r->err, start, strlen(start)))
		fail_msg("stderr '%s' does not start '%s'", r->err, start);
}

static void test_bench_mlx5_errors(void **state)
{
	static const struct {
		const char *args[10];
		const char *start;
	} cases[] = {
		{{"compare", "--workload", "rdma"}, "compare: --workload: not nvme or mlx5"},
		{{"compare", "--mlx5", "pkt=1500"}, "compare: --mlx5: needs the mlx5 workload"},
		{{"compare", "--workload", "mlx5", "--mlx5", "pkt=10"},
		 "compare: --mlx5: mlx5.pkt: '10' is not a number in 64..65536"},
		{{"compare", "--workload", "mlx5", "--mlx5", "mtu"},
		 "compare: --mlx5: not KEY=VALUE: 'mtu'"},
		{{"compare", "--workload", "mlx5", "--mlx5", "mix=64:40,1500:50,traffic=rx"},
		 "compare: --mlx5: mlx5.mix: weights sum to 90, not 100"},
		{{"compare", "--workload", "mlx5", "--mlx5", "mix=64:50,64k"},
		 "compare: --mlx5: mlx5.mix: '64k' is not SIZE:PERCENT"},
		{{"compare", "--workload", "mlx5", "--mlx5", "rate=fast"},
		 "compare: --mlx5: mlx5.rate: 'fast' is not a number in 0..1000000000"},
		{{"compare", "--workload", "mlx5", "--bs", "8k"},
		 "compare: --bs: not with the mlx5 workload"},
		{{"compare", "--workload", "mlx5", "--sensitivity", "--platform", "lpar",
		  "--policy", "strict"},
		 "compare: --sensitivity: not with the mlx5 workload"},
		{{"compare", "--workload", "mlx5", "--mlx5", "cmd_init_before_mask=1", "--platform",
		  "powervm"},
		 "compare: workload: mlx5.cmd_init_before_mask: modelled on s390 platforms only"},
		{{"sweep", "--workload", "mlx5"}, "sweep: --workload: not in a sweep"},
		{{"sweep", "--scenario", "s390-mlx5-2023"}, "sweep: --scenario: s390-mlx5-2023"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run_bench(cases[i].args, &r);
		expect_bad_line(&r, cases[i].start);
		run_free(&r);
	}
}

/* The probe in mlx5's old order fails on s390: the row's run says why, in one line. */
static void test_bench_mlx5_probe_failure(void **state)
{
	const char *args[] = {
		"compare",    "--workload", "mlx5",	"--mlx5", "cmd_init_before_mask=1",
		"--platform", "lpar",	    "--policy", "strict", "--seconds",
		"0.01",	      NULL};
	struct run r;

	(void)state;
	run_bench(args, &r);
	/* a configuration that cannot be built, named by what was chosen: no --set here */
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "compare: lpar strict cannot be built: mlx5: "));
	assert_non_null(strstr(r.err, "refused the command queue"));
	assert_non_null(strstr(r.err, "no IOVA below 4 GiB"));
	run_free(&r);
}

SUITE_MAIN(cmocka_unit_test(test_bench_mlx5_rows), cmocka_unit_test(test_bench_mlx5_scenarios),
	   cmocka_unit_test(test_bench_mlx5_mix_rate), cmocka_unit_test(test_bench_mlx5_errors),
	   cmocka_unit_test(test_bench_mlx5_probe_failure))
