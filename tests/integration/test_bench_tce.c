/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of `iommusim-bench tce-replay` ($IOMMUSIM_BENCH), run as a child process
 * with its standard streams in files: a golden script from a file, from standard input
 * (without FILE and with '-'), the one error line and exit status 2 for bad input, a
 * directory, a missing file, bad arguments, and exit status 1 when the answers cannot be
 * written. The scripts are the golden files of tests/data/golden/tce ($IOMMUSIM_TEST_DATA).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "bench_child.h"

/* The golden script and its answers that most tests replay. */
#define SCRIPT "basic-small"

static char *golden_path(const char *stem, const char *ext)
{
	const char *dir = env_required("IOMMUSIM_TEST_DATA");
	size_t n = strlen(dir) + strlen(stem) + strlen(ext) + 32;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s/golden/tce/%s%s", dir, stem, ext);
	return p;
}

/*
 * Run iommusim-bench with @args (NULL-terminated, without argv[0]), standard input from
 * @in (NULL: /dev/null), standard output to @out (NULL: captured), standard error captured.
 */
static void run_tce(const char *const *args, const char *in, const char *out, struct run *r)
{
	run_bench_io(args, in, out, 120, r);
}

/* Exit status 2, nothing on standard output, exactly one line on standard error. */
static void expect_bad_input(const struct run *r)
{
	if (r->status != 2)
		fail_msg("exit status %d, expected 2; stderr: %s", r->status, r->err);
	assert_int_equal(r->outlen, 0);
	assert_true(r->errlen > 0);
	assert_int_equal(r->err[r->errlen - 1], '\n');
	assert_ptr_equal(strchr(r->err, '\n'), r->err + r->errlen - 1);
	assert_int_equal(strncmp(r->err, "tce-replay: ", 12), 0);
}

static void expect_golden(const struct run *r)
{
	char *want_path = golden_path(SCRIPT, ".out");
	size_t wantlen;
	char *want = slurp(want_path, &wantlen);

	if (r->status != 0)
		fail_msg("exit status %d; stderr: %s", r->status, r->err);
	assert_int_equal(r->errlen, 0);
	assert_int_equal(r->outlen, wantlen);
	assert_memory_equal(r->out, want, wantlen);
	free(want);
	free(want_path);
}

static void test_bench_tce_file_prints_golden_answers(void **state)
{
	char *ops = golden_path(SCRIPT, ".ops");
	const char *args[] = {"tce-replay", ops, NULL};
	struct run r;

	(void)state;
	run_tce(args, NULL, NULL, &r);
	expect_golden(&r);
	run_free(&r);
	free(ops);
}

static void test_bench_tce_stdin_prints_same_bytes(void **state)
{
	char *ops = golden_path(SCRIPT, ".ops");
	const char *no_file[] = {"tce-replay", NULL};
	const char *dash[] = {"tce-replay", "-", NULL};
	struct run r;

	(void)state;
	run_tce(no_file, ops, NULL, &r);
	expect_golden(&r);
	run_free(&r);
	run_tce(dash, ops, NULL, &r);
	expect_golden(&r);
	run_free(&r);
	free(ops);
}

static void test_bench_tce_error_line_names_file_line_field(void **state)
{
	const char *no_file[] = {"tce-replay", NULL};
	const char *args[] = {"tce-replay", NULL, NULL};
	char path[4300];
	struct run r;
	struct dir *d = *state;
	FILE *f;

	/* lines 1..3 are good and would print; line 4's PAGE_SHIFT is not 12..34 */
	snprintf(path, sizeof(path), "%s/bad.ops", d->path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("table 0x0 0x20000 12 0x0 0x0 16\npools\n# next\ntable 0x0 0x20000 40 0x0 0x0 16\n",
	      f);
	fclose(f);
	args[1] = path;
	run_tce(args, NULL, NULL, &r);
	expect_bad_input(&r);
	assert_non_null(strstr(r.err, path));
	assert_non_null(strstr(r.err, ":4: PAGE_SHIFT: 40 is outside 12..34"));
	run_free(&r);

	/* from standard input the script is named <stdin> */
	run_tce(no_file, path, NULL, &r);
	expect_bad_input(&r);
	assert_string_equal(r.err, "tce-replay: <stdin>:4: PAGE_SHIFT: 40 is outside 12..34\n");
	run_free(&r);
}

static void test_bench_tce_directory_and_missing_file(void **state)
{
	const char *args[] = {"tce-replay", NULL, NULL};
	char missing[4300];
	struct run r;
	struct dir *d = *state;

	args[1] = d->path;
	run_tce(args, NULL, NULL, &r);
	expect_bad_input(&r);
	assert_non_null(strstr(r.err, "is a directory"));
	run_free(&r);

	snprintf(missing, sizeof(missing), "%s/no-such.ops", d->path);
	args[1] = missing;
	run_tce(args, NULL, NULL, &r);
	expect_bad_input(&r);
	assert_non_null(strstr(r.err, missing));
	assert_non_null(strstr(r.err, "No such file"));
	run_free(&r);
}

static void test_bench_tce_bad_arguments(void **state)
{
	char *ops = golden_path(SCRIPT, ".ops");
	const char *unknown[] = {"tce-replay", "--frobnicate", ops, NULL};
	const char *two[] = {"tce-replay", ops, ops, NULL};
	const char *help[] = {"tce-replay", "--help", NULL};
	const char *top[] = {"--help", NULL};
	struct run r;

	(void)state;
	run_tce(unknown, NULL, NULL, &r);
	expect_bad_input(&r);
	assert_non_null(strstr(r.err, "--frobnicate"));
	run_free(&r);
	run_tce(two, NULL, NULL, &r);
	expect_bad_input(&r);
	assert_non_null(strstr(r.err, "one script at a time"));
	run_free(&r);

	run_tce(help, NULL, NULL, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: iommusim-bench tce-replay [FILE]"));
	run_free(&r);
	/* the command is listed by the top-level help */
	run_tce(top, NULL, NULL, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "tce-replay"));
	run_free(&r);
	free(ops);
}

/* Answers nobody receives are a failure: exit status 1 and a word on standard error. */
static void test_bench_tce_write_error_exits_1(void **state)
{
	char *ops = golden_path(SCRIPT, ".ops");
	const char *args[] = {"tce-replay", ops, NULL};
	struct run r;

	(void)state;
	if (!exists("/dev/full"))
		skip();
	run_tce(args, NULL, "/dev/full", &r);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "tce-replay: write error: standard output"));
	run_free(&r);
	free(ops);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bench_tce_file_prints_golden_answers),
		cmocka_unit_test(test_bench_tce_stdin_prints_same_bytes),
		cmocka_unit_test_setup_teardown(test_bench_tce_error_line_names_file_line_field,
						dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_bench_tce_directory_and_missing_file,
						dir_setup, dir_teardown),
		cmocka_unit_test(test_bench_tce_bad_arguments),
		cmocka_unit_test(test_bench_tce_write_error_exits_1),
	};

	return cmocka_run_group_tests_name("bench_tce", tests, NULL, NULL);
}
