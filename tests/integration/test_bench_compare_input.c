/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of what `iommusim-bench compare` ($IOMMUSIM_BENCH) refuses, run as a child
 * process (bench_child.h): bad input (one line, exit status 2, no file), an option given twice,
 * a configuration the simulation refuses (exit status 2, no file), and --list and --help.
 * test_bench_compare.c covers the reports.
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

struct bad_case {
	const char *opt;
	const char *value;
	const char *message; /* the line starts with this */
};

static void test_bench_compare_bad_input_one_line(void **state)
{
	static const struct bad_case cases[] = {
		{"--scenario", "nope", "compare: --scenario: unknown scenario 'nope' (default, "},
		{"--platform", "kvm,ppc", "compare: --platform: unknown platform 'ppc' (lpar, "},
		{"--platform", "kvm,lpar,kvm", "compare: --platform: 'kvm' given twice"},
		{"--platform", "kvm,", "compare: --platform: empty name"},
		{"--policy", "strict,lazy", "compare: --policy: unknown policy 'lazy' (strict, "},
		{"--policy", "legacy,legacy", "compare: --policy: 'legacy' given twice"},
		{"--set", "qemu.walk=1", "compare: --set: unknown parameter 'qemu.walk'"},
		{"--set", "dma.fq_size=1000", "compare: --set: dma.fq_size: 1000 is not a power"},
		{"--set", "s390.enomem=maybe", "compare: --set: s390.enomem: 'maybe' is not one"},
		{"--seconds", "abc", "compare: --seconds: not a number of seconds"},
		{"--seconds", "0", "compare: --seconds: must be more than 0"},
		{"--seconds", "-1", "compare: --seconds: not a number of seconds"},
		{"--seconds", "0.0000000001", "compare: --seconds: not a number of seconds"},
		{"--seconds", "3601", "compare: --seconds: not a number of seconds"},
		{"--warmup", "1e3", "compare: --warmup: not a number of seconds"},
		{"--seed", "-1", "compare: --seed: not an unsigned 64-bit integer"},
		{"--seed", "18446744073709551616", "compare: --seed: not an unsigned 64-bit"},
		{"--csv", "/nonexistent-dir/x.csv",
		 "compare: --csv: cannot write '/nonexistent-dir/x.csv'"},
		/* a value that holds a newline stays on the message's one line */
		{"--scenario", "a\nb", "compare: --scenario: unknown scenario 'a\\x0ab' ("},
		{"--seconds", "1\n2",
		 "compare: --seconds: not a number of seconds in (0, 3600]: "
		 "'1\\x0a2'"},
		{"--platform", "kvm,\x1b[2J", "compare: --platform: unknown platform '\\x1b[2J'"},
		/* a short option in a group is named as itself, not by its neighbour */
		{"--seed", "-xh", "compare: --seed: not an unsigned 64-bit integer: '-xh'"},
		{"-xh", "--list", "compare: unknown option '-x' (try --help)"},
	};

	(void)state;
	/* Every check comes before the first run: nothing is simulated here. */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_compare_refused((const char *const[]){cases[i].opt, cases[i].value}, 2,
				       cases[i].message);
}

static void test_bench_compare_options_given_twice(void **state)
{
	const char *twice[][5] = {
		{"compare", "--seed", "1", "--seed", "2"},
		{"compare", "--scenario", "default", "--scenario", "default"},
		{"compare", "--warmup", "1", "--warmup", "1"},
	};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		const char *args[] = {twice[i][0], twice[i][1], twice[i][2],
				      twice[i][3], twice[i][4], NULL};
		char want[64];
		struct run r;

		run_bench(args, &r);
		assert_int_equal(r.status, 2);
		assert_int_equal(r.outlen, 0);
		snprintf(want, sizeof(want), "compare: %s: given twice\n", twice[i][1]);
		assert_string_equal(r.err, want);
		run_free(&r);
	}
}

/*
 * A value every check accepts but the simulation refuses: a one-page DMA window cannot hold the
 * driver's queues. The error names the first run in row order that failed, on the last line
 * whatever ran in parallel; exit status 2, and the reports that were opened are removed.
 */
static void test_bench_compare_refused_config_writes_nothing(void **state)
{
	struct dir *d = *state;
	const char *args[] = {"compare",  "--platform", "lpar,kvm",
			      "--policy", "strict",	"--seconds",
			      "0.01",	  "--set",	"guest.aperture_pages=1",
			      "--csv",	  NULL,		"--json",
			      NULL,	  NULL};
	const char *want = "compare: --set: lpar strict cannot be built with these values: ";
	const char *last;
	struct run r;

	args[10] = d->csv;
	args[12] = d->json;
	run_bench(args, &r);
	assert_int_equal(r.status, 2);
	assert_int_equal(r.outlen, 0);
	assert_true(r.errlen > 0 && r.err[r.errlen - 1] == '\n');
	r.err[r.errlen - 1] = '\0';
	last = strrchr(r.err, '\n') ? strrchr(r.err, '\n') + 1 : r.err;
	if (strncmp(last, want, strlen(want)))
		fail_msg("stderr: '%s'", r.err);
	expect_dir_empty(d);
	run_free(&r);
}

static void test_bench_compare_list_and_help(void **state)
{
	const char *list[] = {"compare", "--list", NULL};
	const char *help[] = {"compare", "--help", NULL};
	const char *names[] = {"default", "s390-nvme-2022", "s390-nvme-2023", "s390-nvme-bw-2022"};
	struct run r;

	(void)state;
	run_bench(list, &r);
	expect_ok(&r);
	assert_int_equal(r.errlen, 0);
	for (size_t i = 0; i < 4; i++) {
		char line[64];

		snprintf(line, sizeof(line), "%-18s ", names[i]);
		assert_non_null(strstr(r.out, line));
	}
	run_free(&r);

	expect_out_has(help, (const char *const[]){"--scenario NAME", "--seconds S"}, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bench_compare_bad_input_one_line),
		cmocka_unit_test(test_bench_compare_options_given_twice),
		cmocka_unit_test_setup_teardown(test_bench_compare_refused_config_writes_nothing,
						dir_setup, dir_teardown),
		cmocka_unit_test(test_bench_compare_list_and_help),
	};

	return cmocka_run_group_tests_name("bench_compare_input", tests, NULL, NULL);
}
