/* SPDX-License-Identifier: MIT */
/*
 * Reports when something goes wrong: an option given twice, a run killed midway leaves no
 * file behind, errors writing standard output or its closing, and JSON strings that stay
 * valid UTF-8 whatever bytes they were given.
 */
/* mknod() is XSI. */
#define _XOPEN_SOURCE 700

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"
#include "bench_outputs_fixture.h"
#include "ill_formed_utf8.h"

/* Each command refuses a report option given twice, before writing anything. */
static void test_outputs_option_given_twice(void **state)
{
	static const char *const cmds[][6] = {
		{"params"},
		{DMA_SHORT},
		{"iova-bench", "--quick", "--runs", "1"},
	};
	static const char *const opts[] = {"--csv", "--json"};
	char a[4400], b[4400], want[256];
	struct dir *d = *state;
	struct run r;

	in_dir(d, "a", a, sizeof(a));
	in_dir(d, "b", b, sizeof(b));
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		for (size_t o = 0; o < 2; o++) {
			const char *args[16];
			size_t n = 0;

			for (size_t i = 0; i < 6 && cmds[c][i]; i++)
				args[n++] = cmds[c][i];
			args[n++] = opts[o];
			args[n++] = a;
			args[n++] = opts[o];
			args[n++] = b;
			args[n] = NULL;
			run_bench_to(args, NULL, QUICK_DEADLINE, &r);
			snprintf(want, sizeof(want), "%s: %s: given twice\n", cmds[c][0], opts[o]);
			expect_refused(&r, want);
			expect_dir_empty(d);
			run_free(&r);
		}
	}
}

static void test_outputs_killed_run_leaves_nothing(void **state)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
	const char *args[] = {LONG, NULL};
	const char *dma_args[] = {DMA_LONG, NULL};

	(void)state;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		kill_run(args, sigs[i], 0);
	kill_run(dma_args, SIGTERM, 0);
	/* Under nohup: SIGHUP does nothing, SIGTERM still cleans up. */
	kill_run(args, SIGTERM, SIGHUP);
}

/*
 * Writing to a full standard output: every command says so and exits 1. A report file is
 * still written.
 */
static void test_outputs_stdout_write_error(void **state)
{
	static const char *const cmds[][12] = {
		{SHORT},
		{"params"},
		{DMA_SHORT},
		{"iova-bench", "--quick", "--runs", "1"},
		{"compare", "--help"},
		{"--help"},
	};
	char csv[4400], want[256];
	const char *with_csv[] = {SHORT, "--csv", csv, NULL};
	const char *replay[] = {"iova-replay", NULL, NULL};
	const char *data = env_required("IOMMUSIM_TEST_DATA");
	char ops[4400];
	struct dir *d = *state;
	struct run r;

	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		const char *args[16];
		size_t n = 0;

		for (size_t i = 0; i < 12 && cmds[c][i]; i++)
			args[n++] = cmds[c][i];
		args[n] = NULL;
		run_bench_to(args, "/dev/full", DEADLINE, &r);
		expect_status(&r, 1);
		snprintf(want, sizeof(want),
			 "%s: write error: standard output: No space left on "
			 "device\n",
			 c == 5 ? "iommusim-bench" : cmds[c][0]);
		expect_last_err(&r, want);
		run_free(&r);
	}

	snprintf(ops, sizeof(ops), "%s/cli_good.ops", data);
	replay[1] = ops;
	run_bench_to(replay, "/dev/full", DEADLINE, &r);
	expect_status(&r, 1);
	expect_err(&r, "iova-replay: write error: standard output: No space left on device\n");
	run_free(&r);

	in_dir(d, "out.csv", csv, sizeof(csv));
	run_bench_to(with_csv, "/dev/full", DEADLINE, &r);
	expect_status(&r, 1);
	expect_last_err(&r, "compare: write error: standard output: No space left on device\n");
	expect_prefix(csv, "scenario,platform,policy,");
	run_free(&r);
	expect_kind("/dev/full", S_IFCHR, true);
}

/*
 * Standard output closed at start: the report file must not take its descriptor (and the
 * table with it); the table's loss is an error.
 */
static void test_outputs_stdout_closed(void **state)
{
	char csv[4400], ref[4400], err_path[4400];
	const char *args[] = {SHORT, "--csv", csv, NULL};
	const char *ref_args[] = {SHORT, "--csv", ref, NULL};
	char *want;
	struct dir *d = *state;
	struct run r;
	size_t len;
	int st;

	in_dir(d, "out.csv", csv, sizeof(csv));
	in_dir(d, "ref.csv", ref, sizeof(ref));
	in_dir(d, "stderr", err_path, sizeof(err_path));
	run_bench(ref_args, &r);
	expect_ok(&r);
	run_free(&r);
	want = slurp(ref, &len);

	st = bench_wait(bench_start(args, -1, NULL, err_path, 0), DEADLINE);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r.err = slurp(err_path, &r.errlen);
	r.out = NULL;
	expect_status(&r, 1);
	expect_last_err(&r, "compare: write error: standard output: Bad file descriptor\n");
	expect_file(csv, want);
	run_free(&r);
	free(want);
}

/*
 * A file name holding every kind of bad byte sequence, quoted in meta.command: valid UTF-8
 * JSON, control characters escaped, each maximal ill-formed subsequence one U+FFFD (as the
 * Unicode standard recommends), valid sequences as they were.
 */
static void test_outputs_json_strings_valid_utf8(void **state)
{
	static const char name[] = ILL_UTF8 "p\xe2\x82\xac";		/* U+20AC */
	static const char quoted[] = ILL_UTF8_QUOTED "p\xe2\x82\xac\""; /* U+20AC */
	char csv[4400], json[4400];
	const char *args[] = {SHORT, "--csv", csv, "--json", json, NULL};
	struct dir *d = *state;
	struct run r;
	size_t len;
	char *text;

	in_dir(d, name, csv, sizeof(csv));
	in_dir(d, "out.json", json, sizeof(json));
	run_bench(args, &r);
	expect_ok(&r);
	run_free(&r);
	text = slurp(json, &len);
	assert_true(valid_utf8((const unsigned char *)text, len));
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 && text[i] != '\n')
			fail_msg("raw control character %#x at byte %zu", text[i], i);
	if (!strstr(text, quoted))
		fail_msg("meta.command does not quote the name as expected: %.600s", text);
	free(text);
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_outputs_option_given_twice, dir_setup,
					   dir_teardown),
	   cmocka_unit_test(test_outputs_killed_run_leaves_nothing),
	   cmocka_unit_test_setup_teardown(test_outputs_stdout_write_error, dir_setup,
					   dir_teardown),
	   cmocka_unit_test_setup_teardown(test_outputs_stdout_closed, dir_setup, dir_teardown),
	   cmocka_unit_test_setup_teardown(test_outputs_json_strings_valid_utf8, dir_setup,
					   dir_teardown))
