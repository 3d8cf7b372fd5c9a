/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of `iommusim-bench compare` ($IOMMUSIM_BENCH), run as a child process
 * (bench_child.h) with its standard streams in temporary files and its reports in a temporary
 * directory: byte-identical reports for one seed, the documented CSV columns and JSON keys,
 * one row per platform x policy, the flush-queue overrides, and the out-of-resources answers
 * of s390-nvme-bw-2022. Simulated times are tens of milliseconds (0.4 s for the one that needs
 * a vfio budget to run out) so that the sanitizer build stays quick.
 * test_bench_compare_input.c covers what compare refuses, --list and --help;
 * test_bench_study.c covers --repeat, --uncertainty and --sensitivity.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_child.h"

/* The columns docs/compare.md documents, in order; JSON rows use the same keys. */
/* Room for the --set keys' columns after the documented ones. */
#define MAX_SET_COLS 8
static const char *const columns[] = {
	"scenario",
	"platform",
	"policy",
	"workload",
	"cpus",
	"fq_size",
	"fq_timeout_ms",
	"seed",
	"sim_seconds",
	"ios_submitted",
	"ios_completed",
	"iops",
	"mbps",
	"lat_mean_us",
	"lat_p50_us",
	"lat_p99_us",
	"lat_max_us",
	"rpcit_map",
	"rpcit_unmap",
	"rpcit_global",
	"rpcit_map_per_s",
	"rpcit_unmap_per_s",
	"rpcit_global_per_s",
	"fq_flushes",
	"legacy_wraps",
	"budget_exhausted",
	"map_failures",
	"io_errors",
	"server_util",
	"server_wait_us",
	"cpu_util",
	"device_util",
	"ratio_to_legacy",
	"second_passes",
	"host_maps",
	"host_unmaps",
	"shadow_pages_max",
	"repeats",
	"iops_mean",
	"iops_ci95_lo",
	"iops_ci95_hi",
	"ratio_mean",
	"ratio_ci95_lo",
	"ratio_ci95_hi",
	"draws",
	"iops_p5",
	"iops_p50",
	"iops_p95",
	"ratio_p5",
	"ratio_p50",
	"ratio_p95",
	"rank_flips",
	"exposure_mean_us",
	"exposure_p99_us",
	"exposure_max_us",
	"exposed_byte_s_per_s",
	/* the workload options; each --set key follows as a column of its own */
	"bs",
	"iodepth",
	"numjobs",
	"rw",
	"rwmixread",
	"mem",
};
#define NCOLS (sizeof(columns) / sizeof(columns[0]))

/*
 * A CSV report split into cells: lines[i][j] is row i (0 = header), column j. The reports
 * never quote (no cell holds a comma), so splitting at commas is exact.
 */
struct csv {
	char *text;
	size_t nlines;
	char *cell[64][NCOLS + MAX_SET_COLS];
	size_t ncells[64];
};

static void csv_parse(char *text, struct csv *c)
{
	size_t len = strlen(text);
	char *line, *save = NULL;

	memset(c, 0, sizeof(*c));
	c->text = text;
	assert_true(len > 0 && c->text[len - 1] == '\n');
	for (line = strtok_r(c->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = line;

		assert_true(c->nlines < 64);
		for (;;) {
			char *comma = strchr(p, ',');

			assert_true(c->ncells[c->nlines] < NCOLS + MAX_SET_COLS);
			c->cell[c->nlines][c->ncells[c->nlines]++] = p;
			if (!comma)
				break;
			*comma = '\0';
			p = comma + 1;
		}
		c->nlines++;
	}
}

static void csv_read(const char *path, struct csv *c)
{
	size_t len;

	csv_parse(slurp(path, &len), c);
}

static size_t col(const char *name)
{
	for (size_t i = 0; i < NCOLS; i++)
		if (!strcmp(columns[i], name))
			return i;
	fail_msg("no column %s", name);
	return 0;
}

static const char *cell(const struct csv *c, size_t row, const char *name)
{
	return c->cell[row + 1][col(name)];
}

static unsigned long long cell_u64(const struct csv *c, size_t row, const char *name)
{
	return strtoull(cell(c, row, name), NULL, 10);
}

static void test_bench_compare_same_seed_same_bytes(void **state)
{
	struct dir *d = *state;
	const char *args[] = {"compare", "--seconds", "0.02", "--warmup", "0.01", "--csv",
			      NULL,	 "--json",    NULL,   NULL,	  NULL,	  NULL};
	char *csv1, *json1, *csv2, *json2;
	size_t n1, m1, n2, m2;
	struct run r1, r2, r3;
	struct csv one, two;
	bool differs = false;

	args[6] = d->csv;
	args[8] = d->json;
	run_bench(args, &r1);
	expect_ok(&r1);
	csv1 = slurp(d->csv, &n1);
	json1 = slurp(d->json, &m1);
	run_bench(args, &r2);
	expect_ok(&r2);
	csv2 = slurp(d->csv, &n2);
	json2 = slurp(d->json, &m2);
	/* Files and table alike: nothing depends on the wall clock or the machine. */
	assert_int_equal(n1, n2);
	assert_memory_equal(csv1, csv2, n1);
	assert_int_equal(m1, m2);
	assert_memory_equal(json1, json2, m1);
	assert_int_equal(r1.outlen, r2.outlen);
	assert_memory_equal(r1.out, r2.out, r1.outlen);
	/*
	 * Wall-clock time is on standard error only: a progress line per finished run, in the
	 * order they finish (the runs share the CPUs).
	 */
	assert_non_null(strstr(r1.err, "[1/12] "));
	assert_non_null(strstr(r1.err, "[12/12] "));
	assert_non_null(strstr(r1.err, "] lpar strict ... "));
	/* plain kvm is the scenario's generation, and the rows name it */
	assert_non_null(strstr(r1.err, "] kvm-qemu7.1 legacy ... "));
	assert_null(strstr(r1.out, "wall"));

	/* Another seed draws other device latencies: some figure besides the seed moves. */
	args[9] = "--seed";
	args[10] = "2";
	run_bench(args, &r3);
	expect_ok(&r3);
	csv_parse(csv1, &one);
	csv_read(d->csv, &two);
	assert_int_equal(one.nlines, 1 + 12);
	assert_int_equal(two.nlines, one.nlines);
	for (size_t i = 0; i < 12; i++) {
		assert_string_equal(cell(&one, i, "seed"), "1");
		assert_string_equal(cell(&two, i, "seed"), "2");
		if (strcmp(cell(&one, i, "lat_mean_us"), cell(&two, i, "lat_mean_us")))
			differs = true;
	}
	assert_true(differs);
	free(two.text);
	free(csv1);
	free(json1);
	free(csv2);
	free(json2);
	run_free(&r1);
	run_free(&r2);
	run_free(&r3);
}

/* The keys of one JSON row object "{"k": v, "k": v, ...}" in order, checked against columns. */
static void expect_row_keys(const char *row)
{
	const char *p = row;
	size_t k = 0;

	assert_true(*p == '{');
	p++;
	for (;;) {
		const char *end;

		assert_true(*p == '"');
		end = strstr(p + 1, "\": ");
		assert_non_null(end);
		if (k >= NCOLS)
			fail_msg("extra key in row: %s", row);
		if ((size_t)(end - p - 1) != strlen(columns[k]) ||
		    strncmp(p + 1, columns[k], strlen(columns[k])))
			fail_msg("key %zu is not '%s' in row: %s", k, columns[k], row);
		k++;
		/* Values hold no ", \"": names, numbers and null. */
		p = strstr(end, ", \"");
		if (!p)
			break;
		p += 2;
	}
	assert_int_equal(k, NCOLS);
}

static void test_bench_compare_columns_as_documented(void **state)
{
	struct dir *d = *state;
	const char *args[] = {"compare",   "--platform", "kvm,lpar", "--policy", "strict,fq-single",
			      "--seconds", "0.02",	 "--warmup", "0.01",	 "--csv",
			      NULL,	   "--json",	 NULL,	     NULL};
	char header[1024] = "", *json, *p;
	const char *order[4][2] = {{"kvm-qemu7.1", "strict"},
				   {"kvm-qemu7.1", "fq-single"},
				   {"lpar", "strict"},
				   {"lpar", "fq-single"}};
	size_t len, rows = 0;
	struct run r;
	struct csv c;

	args[10] = d->csv;
	args[12] = d->json;
	run_bench(args, &r);
	expect_ok(&r);

	for (size_t i = 0; i < NCOLS; i++) {
		strcat(header, i ? "," : "");
		strcat(header, columns[i]);
	}
	csv_read(d->csv, &c);
	/* Header row and one row per platform x policy, platforms outermost, nothing else. */
	assert_int_equal(c.nlines, 1 + 4);
	assert_int_equal(c.ncells[0], NCOLS);
	for (size_t i = 0; i < NCOLS; i++)
		assert_string_equal(c.cell[0][i], columns[i]);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(c.ncells[i + 1], NCOLS);
		assert_string_equal(cell(&c, i, "scenario"), "default");
		assert_string_equal(cell(&c, i, "platform"), order[i][0]);
		assert_string_equal(cell(&c, i, "policy"), order[i][1]);
		assert_string_equal(cell(&c, i, "workload"), "4k-randread-4x32");
		assert_string_equal(cell(&c, i, "cpus"), "4");
		assert_string_equal(cell(&c, i, "sim_seconds"), "0.020000");
		/* No legacy run: no ratio, an empty cell. */
		assert_string_equal(cell(&c, i, "ratio_to_legacy"), "");
	}
	free(c.text);

	json = slurp(d->json, &len);
	assert_true(!strncmp(json, "{\"meta\": {\"version\": ", 21));
	assert_non_null(strstr(json, "\"settings\": []"));
	assert_non_null(strstr(json, "\"config\": {\n   \"kvm-qemu7.1\": {\"cpu.freq_mhz\": "));
	assert_non_null(strstr(json, "\"ratio_to_legacy\": null"));
	p = strstr(json, "\n \"rows\": [");
	assert_non_null(p);
	for (p = strstr(p, "\n  {"); p; p = strstr(p, "\n  {")) {
		char *eol = strchr(p + 1, '\n');

		assert_non_null(eol);
		*eol = '\0';
		expect_row_keys(p + 3);
		*eol = '\n';
		rows++;
		p = eol;
	}
	assert_int_equal(rows, 4);
	free(json);
	/* The table: a header line naming scenario, seed and seconds, a heading, four rows. */
	assert_true(!strncmp(r.out, "# scenario default (", 20));
	assert_non_null(strstr(r.out, "seed 1, 0.02 s measured after 0.01 s warm-up"));
	run_free(&r);
}

static void test_bench_compare_ratio_to_legacy(void **state)
{
	struct dir *d = *state;
	const char *args[] = {"compare",       "--platform", "lpar", "--policy",
			      "legacy,strict", "--seconds",  "0.02", "--warmup",
			      "0.01",	       "--csv",	     NULL,   NULL};
	struct run r;
	struct csv c;
	double legacy, strict;
	char want[32];

	args[10] = d->csv;
	run_bench(args, &r);
	expect_ok(&r);
	csv_read(d->csv, &c);
	assert_int_equal(c.nlines, 3);
	assert_string_equal(cell(&c, 0, "policy"), "legacy");
	assert_string_equal(cell(&c, 0, "ratio_to_legacy"), "1.0000");
	legacy = strtod(cell(&c, 0, "iops"), NULL);
	strict = strtod(cell(&c, 1, "iops"), NULL);
	assert_true(legacy > 0);
	snprintf(want, sizeof(want), "%.4f", strict / legacy);
	assert_string_equal(cell(&c, 1, "ratio_to_legacy"), want);
	free(c.text);
	run_free(&r);
}

/*
 * The table a person reads uses the files' names: every heading is a CSV column but "fq",
 * which the legend line spells out, and the legend gives the units of what is a rate and what
 * a count.
 */
static void expect_table_names(const char *out)
{
	const char *line = strstr(out, "\nplatform ");
	char heading[512], *tok, *save = NULL;
	size_t len;

	assert_non_null(line);
	line++;
	len = (size_t)(strchr(line, '\n') - line);
	assert_true(len < sizeof(heading));
	memcpy(heading, line, len);
	heading[len] = '\0';
	for (tok = strtok_r(heading, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		bool known = !strcmp(tok, "fq");

		for (size_t i = 0; i < NCOLS && !known; i++)
			known = !strcmp(tok, columns[i]);
		if (!known)
			fail_msg("table heading '%s' is no CSV column", tok);
	}
	assert_non_null(strstr(out, "\n# fq: fq_size/fq_timeout_ms; iops, mbps, rpcit_*_per_s: "
				    "per second of the measured interval;"));
	assert_non_null(strstr(out, "budget_exhausted, map_failures, io_errors: counts in the "
				    "interval"));
}

/* --set dma.fq_size / dma.fq_timeout_ms reach whichever flush queue runs, and only those. */
static void test_bench_compare_fq_overrides_in_rows(void **state)
{
	struct dir *d = *state;
	const char *args[] = {"compare",
			      "--platform",
			      "lpar",
			      "--seconds",
			      "0.01",
			      "--warmup",
			      "0.01",
			      "--set",
			      "dma.fq_size=1024",
			      "--set",
			      "dma.fq_timeout_ms=5",
			      "--csv",
			      NULL,
			      NULL};
	struct run r;
	struct csv c;

	args[12] = d->csv;
	run_bench(args, &r);
	expect_ok(&r);
	csv_read(d->csv, &c);
	assert_int_equal(c.nlines, 1 + 4);
	for (size_t i = 0; i < 4; i++) {
		bool fq = !strncmp(cell(&c, i, "policy"), "fq-", 3);

		assert_string_equal(cell(&c, i, "fq_size"), fq ? "1024" : "0");
		assert_string_equal(cell(&c, i, "fq_timeout_ms"), fq ? "5" : "0");
		/* each --set key a column of its own, named by the key, in every row */
		assert_int_equal(c.ncells[i + 1], NCOLS + 2);
		assert_string_equal(c.cell[i + 1][NCOLS], "1024");
		assert_string_equal(c.cell[i + 1][NCOLS + 1], "5");
	}
	assert_int_equal(c.ncells[0], NCOLS + 2);
	assert_string_equal(c.cell[0][NCOLS], "dma.fq_size");
	assert_string_equal(c.cell[0][NCOLS + 1], "dma.fq_timeout_ms");
	free(c.text);
	/* The table shows them too, and the header line lists the overrides. */
	assert_non_null(strstr(r.out, "1024/5ms"));
	assert_non_null(strstr(r.out, "# settings after each platform's profile (scenario's, then "
				      "--set): dma.fq_size=1024 dma.fq_timeout_ms=5\n"));
	expect_table_names(r.out);
	run_free(&r);
}

/*
 * s390-nvme-bw-2022 on KVM with the single flush queue: 128 KiB reads map 32 pages each and
 * the queue holds up to 32768 unmapped ranges, so QEMU's shadow reaches the 65535-page vfio
 * budget after about 65535 / 32 = 2048 I/Os; at the ~4 k IOPS the serialised map RPCITs allow
 * (about 240 us each under QEMU's lock: the calibrated trap and 32 map ioctls) that takes
 * about 0.5 s; 1 s leaves room for a slower model. Past it, a map RPCIT is answered "insufficient
 * resources": with s390.enomem=none the map fails and the I/O with it; with global-flush the guest
 * flushes the whole IOTLB, QEMU unmaps the pending pages and the map goes through.
 */
static void run_enomem(const char *answer, struct csv *c)
{
	struct dir d;
	char set[64];
	const char *args[] = {"compare",    "--scenario", "s390-nvme-bw-2022",
			      "--platform", "kvm",	  "--policy",
			      "fq-single",  "--seconds",  "1",
			      "--warmup",   "0.01",	  "--set",
			      set,	    "--csv",	  NULL,
			      NULL};
	struct run r;

	snprintf(set, sizeof(set), "s390.enomem=%s", answer);
	dir_make(&d);
	args[14] = d.csv;
	run_bench(args, &r);
	/* A simulated failure is a figure in the row, not an exit status. */
	expect_ok(&r);
	csv_read(d.csv, c);
	assert_int_equal(c->nlines, 2);
	assert_string_equal(cell(c, 0, "workload"), "128k-seqread-4x32");
	run_free(&r);
	dir_remove(&d);
}

static void test_bench_compare_bw_enomem_answers(void **state)
{
	struct csv none, flush;

	(void)state;
	run_enomem("none", &none);
	assert_true(cell_u64(&none, 0, "budget_exhausted") > 0);
	assert_true(cell_u64(&none, 0, "map_failures") > 0);
	assert_true(cell_u64(&none, 0, "io_errors") > 0);
	run_enomem("global-flush", &flush);
	assert_true(cell_u64(&flush, 0, "budget_exhausted") > 0);
	assert_true(cell_u64(&flush, 0, "rpcit_global") > 0);
	assert_string_equal(cell(&flush, 0, "map_failures"), "0");
	assert_string_equal(cell(&flush, 0, "io_errors"), "0");
	free(none.text);
	free(flush.text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bench_compare_same_seed_same_bytes, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_bench_compare_columns_as_documented, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_bench_compare_ratio_to_legacy, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_bench_compare_fq_overrides_in_rows, dir_setup,
						dir_teardown),
		cmocka_unit_test(test_bench_compare_bw_enomem_answers),
	};

	return cmocka_run_group_tests_name("bench_compare", tests, NULL, NULL);
}
