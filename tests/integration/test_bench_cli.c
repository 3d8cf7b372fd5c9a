/*
 * Integration tests of the iommusim-bench command line ($IOMMUSIM_BENCH), run as a child
 * process with its standard streams in temporary files: `iova-replay` on a file and on
 * standard input, its exit statuses (0 ok, 2 bad input), the single error line naming file,
 * line and field, the --depot option, iova-bench's --write-script and --script-ops, and the
 * top-level command dispatch and --help.
 * Scripts live in tests/data ($IOMMUSIM_TEST_DATA): cli_good.ops, cli_bad.ops, cli_depot.ops.
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
#include <unistd.h>

#include "bench_child.h"

static char *data_path(const char *file)
{
	const char *dir = env_required("IOMMUSIM_TEST_DATA");
	size_t n = strlen(dir) + strlen(file) + 2;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s/%s", dir, file);
	return p;
}

/* Exactly one line on standard error, newline-terminated. */
static void expect_one_line(const struct run *r)
{
	if (r->errlen == 0 || r->err[r->errlen - 1] != '\n' ||
	    strchr(r->err, '\n') != r->err + r->errlen - 1)
		fail_msg("standard error is not exactly one line: '%s'", r->err);
}

static void expect_bad_input(const struct run *r)
{
	if (r->status != 2)
		fail_msg("exit status %d, expected 2; stderr: %s", r->status, r->err);
	assert_int_equal(r->outlen, 0);
	expect_one_line(r);
}

/*
 * cli_good.ops, worked out from the allocator's rules (docs/sources.md S15; granule 4 KiB,
 * dma_32bit_pfn = 2^20 = 1048576):
 *   alloc 4 0xfffff 1    (0x100000 - 4) & ~3 = 1048572 (top down, size-aligned)
 *   alloc 1 0xfffff 1    from cached32 [1048572]: 1048571
 *   fast 3 1048575 1     empty rcache; size 4, aligned, from cached32 [1048571]:
 *                        (1048571 - 4) & ~3 = 1048564
 *   find 1048573         inside [1048572, 1048575]
 *   free 1048574         frees [1048572, 1048575], at/above cached32 [1048564]: cached32
 *                        moves to its successor, the anchor; max32 stays 2^20
 *   dump                 the two remaining ranges
 *   cached               nothing above 4 GiB (anchor), cached32 = anchor, max32 1048576
 *   alloc 2 0xfffff 1    from the anchor: (1048576 - 2) & ~1 = 1048574 fits above [1048571]
 *   pending              no trim work: 0
 */
static const char good_expected[] =
	"ok\n"
	"1048572\n"
	"1048571\n"
	"1048564\n"
	"1048572 1048575\n"
	"ok\n"
	"1048564 1048567\n1048571 1048571\nend\n"
	"cached 18446744073709551615 cached32 18446744073709551615 max32 1048576\n"
	"1048574\n"
	"0\n";

static void test_bench_cli_replay_file_prints_answers(void **state)
{
	char *good = data_path("cli_good.ops");
	const char *args[] = {"iova-replay", good, NULL};
	struct run r;

	(void)state;
	run_bench(args, &r);
	if (r.status != 0)
		fail_msg("exit status %d; stderr: %s", r.status, r.err);
	assert_int_equal(r.errlen, 0);
	assert_int_equal(r.outlen, strlen(good_expected));
	assert_string_equal(r.out, good_expected);
	run_free(&r);
	free(good);
}

static void test_bench_cli_replay_stdin_prints_same_bytes(void **state)
{
	char *good = data_path("cli_good.ops");
	const char *no_file[] = {"iova-replay", NULL};
	const char *dash[] = {"iova-replay", "-", NULL};
	struct run r;

	(void)state;
	run_bench_in(no_file, good, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.errlen, 0);
	assert_string_equal(r.out, good_expected);
	run_free(&r);

	run_bench_in(dash, good, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, good_expected);
	run_free(&r);
	free(good);
}

static void test_bench_cli_replay_error_names_file_line_field(void **state)
{
	char *bad = data_path("cli_bad.ops");
	const char *args[] = {"iova-replay", bad, NULL};
	const char *no_file[] = {"iova-replay", NULL};
	struct run r;

	(void)state;
	/* Line 5 is `fast 3 1048575 2`: lines 2 and 3 are good, but nothing may be printed. */
	run_bench(args, &r);
	expect_bad_input(&r);
	assert_non_null(strstr(r.err, bad));
	assert_non_null(strstr(r.err, ":5:"));
	assert_non_null(strstr(r.err, "FLUSH"));
	run_free(&r);

	/* The same from standard input: the file name is not known, the line and field are. */
	run_bench_in(no_file, bad, &r);
	expect_bad_input(&r);
	assert_non_null(strstr(r.err, ":5:"));
	assert_non_null(strstr(r.err, "FLUSH"));
	run_free(&r);
	free(bad);
}

static void test_bench_cli_replay_missing_file_named(void **state)
{
	char *missing = data_path("no-such-script.ops");
	const char *args[] = {"iova-replay", missing, NULL};
	struct run r;

	(void)state;
	run_bench(args, &r);
	expect_bad_input(&r);
	assert_non_null(strstr(r.err, missing));
	run_free(&r);
	free(missing);
}

/* A directory is bad input, named; an empty file is no error, but the command says so. */
static void test_bench_cli_replay_directory_and_empty_file(void **state)
{
	char dir[] = "/tmp/iommusim-replay-XXXXXX", empty[64];
	const char *args[] = {"iova-replay", dir, NULL};
	struct run r;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	run_bench(args, &r);
	expect_bad_input(&r);
	assert_non_null(strstr(r.err, "is a directory"));
	run_free(&r);

	snprintf(empty, sizeof(empty), "%s/empty.ops", dir);
	f = fopen(empty, "w");
	assert_non_null(f);
	fclose(f);
	args[1] = empty;
	run_bench(args, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.outlen, 0);
	assert_non_null(strstr(r.err, "empty: no ops to replay"));
	run_free(&r);
	unlink(empty);
	rmdir(dir);
}

static void test_bench_cli_replay_bad_options_rejected(void **state)
{
	char *good = data_path("cli_good.ops");
	const char *unknown[] = {"iova-replay", "--frobnicate", good, NULL};
	const char *short_opt[] = {"iova-replay", "-x", good, NULL};
	const char *no_arg[] = {"iova-replay", good, "--depot", NULL};
	const char *bogus[] = {"iova-replay", "--depot=bogus", good, NULL};
	const char *two[] = {"iova-replay", good, good, NULL};
	struct run r;

	(void)state;
	run_bench(unknown, &r);
	expect_bad_input(&r);
	assert_non_null(strstr(r.err, "--frobnicate"));
	run_free(&r);

	run_bench(short_opt, &r);
	expect_bad_input(&r);
	run_free(&r);

	/* --depot needs a value. */
	run_bench(no_arg, &r);
	expect_bad_input(&r);
	run_free(&r);

	run_bench(bogus, &r);
	expect_bad_input(&r);
	assert_non_null(strstr(r.err, "bogus"));
	run_free(&r);

	run_bench(two, &r);
	expect_bad_input(&r);
	run_free(&r);
	free(good);
}

/*
 * cli_depot.ops: one CPU, 255 ffrees of size 1 (PFNs never allocated, accepted). 127 fill the
 * loaded magazine, the 128th swaps it to prev, 127 more fill the new loaded one, and the 255th
 * finds both full: loaded goes to the depot and a fresh one takes the PFN. So order 0 shows
 * depot 1, loaded 1, prev 127; with the list depot (6.7+) the trim work is now pending
 * (work 1, pending 1), the array depot (6.6) has none (work 0, pending 0).
 */
static char *depot_expected(bool list)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	assert_non_null(f);
	fprintf(f, "ok\nok\n");
	for (int i = 0; i < 255; i++)
		fprintf(f, "ok\n");
	fprintf(f, "order 0 depot 1 work %d loaded 1 prev 127\n", list);
	for (int k = 1; k < 6; k++)
		fprintf(f, "order %d depot 0 work 0 loaded 0 prev 0\n", k);
	fprintf(f, "end\n%d\n", list);
	assert_int_equal(fclose(f), 0);
	return s;
}

static void test_bench_cli_replay_depot_option(void **state)
{
	char *script = data_path("cli_depot.ops");
	const char *dflt[] = {"iova-replay", script, NULL};
	const char *list[] = {"iova-replay", "--depot=list", script, NULL};
	const char *array[] = {"iova-replay", "--depot=array", script, NULL};
	char *exp_list = depot_expected(true), *exp_array = depot_expected(false);
	struct run r;

	(void)state;
	run_bench(dflt, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, exp_list);
	run_free(&r);

	run_bench(list, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, exp_list);
	run_free(&r);

	run_bench(array, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.errlen, 0);
	assert_string_equal(r.out, exp_array);
	run_free(&r);

	free(exp_list);
	free(exp_array);
	free(script);
}

/*
 * dma-bench counts every call and reports, per policy, the mean and percentiles of a call's
 * cost: whatever the machine's noise, p50 <= p90 <= p99 <= max, and a mean that cannot lie
 * above the maximum.
 */
static void test_bench_cli_dma_bench_percentiles(void **state)
{
	char dir[] = "/tmp/iommusim-dma-XXXXXX", csv[64];
	const char *args[] = {"dma-bench",     "--seconds", "0.05", "--policy",
			      "strict,legacy", "--csv",	    csv,    NULL};
	char *text, *line, *save = NULL;
	size_t len, rows = 0;
	struct run r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(csv, sizeof(csv), "%s/d.csv", dir);
	run_bench(args, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "average map latency(us):"));
	text = slurp(csv, &len);
	assert_non_null(text);
	line = strtok_r(text, "\n", &save);
	assert_string_equal(line, "policy,threads,granule_pages,map_mean_ns,map_p50_ns,map_p90_ns,"
				  "map_p99_ns,map_max_ns,unmap_mean_ns,unmap_p50_ns,unmap_p90_ns,"
				  "unmap_p99_ns,unmap_max_ns,pair_mean_ns,loops");
	while ((line = strtok_r(NULL, "\n", &save))) {
		double v[15];
		char policy[16];

		assert_int_equal(sscanf(line,
					"%15[^,],%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,"
					"%lf,%lf",
					policy, &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
					&v[8], &v[9], &v[10], &v[11], &v[12], &v[13], &v[14]),
				 15);
		for (int k = 0; k < 2; k++) {
			const double *l = &v[3 + 5 * k]; /* mean, p50, p90, p99, max */

			assert_true(l[1] <= l[2] && l[2] <= l[3] && l[3] <= l[4]);
			assert_true(l[0] > 0 && l[0] <= l[4]);
		}
		assert_true(v[14] > 0);
		rows++;
	}
	assert_int_equal(rows, 2);
	free(text);
	run_free(&r);
	unlink(csv);
	rmdir(dir);
}

/* Ops in an op script: its lines that are neither blank nor comments. */
static size_t count_ops(const char *text)
{
	size_t n = 0;

	for (const char *p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
		n += *p != '#' && *p != '\n';
	return n;
}

/*
 * iova-bench --write-script writes the op script it timed, --script-ops ops long, and the
 * same one for the same length: iova-replay replays it without error, one answer line per op
 * (a script this short has no dump).
 */
static void test_bench_cli_iova_bench_writes_script(void **state)
{
	char script[4400], again[4400];
	const char *args[] = {"iova-bench", "--quick",	      "--runs", "1", "--script-ops",
			      "1234",	    "--write-script", script,	NULL};
	const char *replay[] = {"iova-replay", script, NULL};
	char *text, *text2;
	size_t len, len2;
	struct dir *d = *state;
	struct run r;

	snprintf(script, sizeof(script), "%s/nvme.ops", d->path);
	snprintf(again, sizeof(again), "%s/again.ops", d->path);
	run_bench(args, &r);
	expect_ok(&r);
	assert_non_null(strstr(r.out, "replay_throughput"));
	assert_non_null(strstr(r.err, "1234-op script"));
	run_free(&r);
	text = slurp(script, &len);
	assert_true(!strncmp(text, "# iova-bench: NVMe-like", 23));
	assert_int_equal(count_ops(text), 1234);

	run_bench(replay, &r);
	expect_ok(&r);
	assert_int_equal(r.errlen, 0);
	assert_int_equal(count_ops(r.out), 1234);
	run_free(&r);

	args[7] = again;
	run_bench(args, &r);
	expect_ok(&r);
	run_free(&r);
	text2 = slurp(again, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(text, text2, len);
	free(text);
	free(text2);
}

/*
 * --write-script follows the rules of every report file: an existing directory or a path in a
 * missing one, or the file another option names, is refused in one line before anything
 * runs (the runs asked for here would take minutes); so is a --script-ops out of range.
 */
static void test_bench_cli_iova_bench_script_refused(void **state)
{
	char missing[4400], want[9000];
	const char *to_dir[] = {"iova-bench", "--write-script", NULL, NULL};
	const char *same[] = {"iova-bench", "--json", "-", "--write-script", "-", NULL};
	const char *few[] = {"iova-bench", "--script-ops", "2", NULL};
	const char *many[] = {"iova-bench", "--script-ops", "10000001", NULL};
	struct dir *d = *state;
	struct run r;

	snprintf(missing, sizeof(missing), "%s/no-such-dir/s.ops", d->path);
	to_dir[2] = d->path;
	run_bench_to(to_dir, NULL, 20, &r);
	expect_bad_input(&r);
	snprintf(want, sizeof(want),
		 "iova-bench: --write-script: cannot write '%s': Is a directory\n", d->path);
	assert_string_equal(r.err, want);
	run_free(&r);

	to_dir[2] = missing;
	run_bench_to(to_dir, NULL, 20, &r);
	expect_bad_input(&r);
	snprintf(want, sizeof(want),
		 "iova-bench: --write-script: cannot write '%s': No such file or directory\n",
		 missing);
	assert_string_equal(r.err, want);
	run_free(&r);

	run_bench_to(same, NULL, 20, &r);
	expect_bad_input(&r);
	assert_string_equal(r.err,
			    "iova-bench: --json '-' and --write-script '-' name the same file\n");
	run_free(&r);

	run_bench_to(few, NULL, 20, &r);
	expect_bad_input(&r);
	assert_string_equal(r.err,
			    "iova-bench: --script-ops: '2' is not a number from 3 to 10000000\n");
	run_free(&r);

	run_bench_to(many, NULL, 20, &r);
	expect_bad_input(&r);
	run_free(&r);

	/* Nothing was left behind, not even a temporary file. */
	expect_dir_empty(d);
}

static void test_bench_cli_dispatch_and_help(void **state)
{
	const char *none[] = {NULL};
	const char *unknown[] = {"no-such-command", NULL};
	const char *help[] = {"--help", NULL};
	const char *replay_help[] = {"iova-replay", "--help", NULL};
	struct run r;

	(void)state;
	/* No command: usage on standard error, status 2. */
	run_bench(none, &r);
	assert_int_equal(r.status, 2);
	assert_int_equal(r.outlen, 0);
	assert_true(r.errlen > 0);
	run_free(&r);

	run_bench(unknown, &r);
	expect_bad_input(&r);
	assert_non_null(strstr(r.err, "no-such-command"));
	run_free(&r);

	/* Help goes to standard output and lists the replay command. */
	run_bench(help, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "iova-replay"));
	run_free(&r);

	run_bench(replay_help, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "--depot"));
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bench_cli_replay_file_prints_answers),
		cmocka_unit_test(test_bench_cli_replay_stdin_prints_same_bytes),
		cmocka_unit_test(test_bench_cli_replay_error_names_file_line_field),
		cmocka_unit_test(test_bench_cli_replay_missing_file_named),
		cmocka_unit_test(test_bench_cli_replay_directory_and_empty_file),
		cmocka_unit_test(test_bench_cli_replay_bad_options_rejected),
		cmocka_unit_test(test_bench_cli_replay_depot_option),
		cmocka_unit_test(test_bench_cli_dma_bench_percentiles),
		cmocka_unit_test_setup_teardown(test_bench_cli_iova_bench_writes_script, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_bench_cli_iova_bench_script_refused, dir_setup,
						dir_teardown),
		cmocka_unit_test(test_bench_cli_dispatch_and_help),
	};

	return cmocka_run_group_tests_name("bench_cli", tests, NULL, NULL);
}
