/* SPDX-License-Identifier: MIT */
/*
 * Where iommusim-bench writes its reports: devices and FIFOs in place, standard output
 * for '-' in every command, symbolic links followed, bad paths refused before any run, the
 * same file twice refused, temporary names that never collide, the mode the umask gives.
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

/*
 * A character device is written in place: /dev/full reports its error and stays a device,
 * /dev/null takes the report. First on a node of the test's own (when it may make one).
 */
static void test_outputs_devices_written_in_place(void **state)
{
	char canary[4400], json[4400], want[4600];
	const char *full_args[] = {SHORT, "--csv", NULL, NULL};
	const char *null_args[] = {SHORT, "--csv", "/dev/null", "--json", json, NULL};
	const char *params_args[] = {"params", "--json", "/dev/full", NULL};
	struct stat full;
	struct dir *d = *state;
	struct run r;

	assert_int_equal(stat("/dev/full", &full), 0);
	in_dir(d, "full", canary, sizeof(canary));
	if (!mknod(canary, S_IFCHR | 0666, full.st_rdev)) {
		full_args[12] = canary;
		run_bench_to(full_args, NULL, DEADLINE, &r);
		expect_status(&r, 1);
		snprintf(want, sizeof(want),
			 "compare: --csv: cannot write '%s': No space left on device\n", canary);
		expect_last_err(&r, want);
		expect_kind(canary, S_IFCHR, true);
		run_free(&r);
	}

	full_args[12] = "/dev/full";
	run_bench_to(full_args, NULL, DEADLINE, &r);
	expect_status(&r, 1);
	expect_last_err(&r, "compare: --csv: cannot write '/dev/full': No space left on device\n");
	expect_kind("/dev/full", S_IFCHR, true);
	run_free(&r);

	run_bench_to(params_args, NULL, DEADLINE, &r);
	expect_status(&r, 1);
	expect_err(&r, "params: --json: cannot write '/dev/full': No space left on device\n");
	expect_kind("/dev/full", S_IFCHR, true);
	run_free(&r);

	in_dir(d, "out.json", json, sizeof(json));
	run_bench_to(null_args, NULL, DEADLINE, &r);
	expect_ok(&r);
	expect_kind("/dev/null", S_IFCHR, true);
	expect_prefix(json, "{\"meta\": ");
	run_free(&r);
}

/*
 * "-", /dev/stdout (standard output a file or a pipe) and a link to standard output: the
 * report follows the table on standard output, and no link is replaced. Every compare run
 * here prints the same table, and the CSV does not quote the command line.
 */
static void test_outputs_standard_output(void **state)
{
	char csv_path[4400], link[4400];
	const char *ref_args[] = {SHORT, "--csv", csv_path, NULL};
	const char *args[] = {SHORT, "--csv", NULL, NULL};
	const char *json_dash[] = {SHORT, "--json", "-", NULL};
	const char *targets[] = {"-", link, "/dev/stdout"};
	char *table, *csv;
	struct dir *d = *state;
	struct run r;
	size_t len;

	in_dir(d, "ref.csv", csv_path, sizeof(csv_path));
	in_dir(d, "stdout", link, sizeof(link));
	assert_int_equal(symlink("/proc/self/fd/1", link), 0);
	run_bench(ref_args, &r);
	expect_ok(&r);
	table = strdup(r.out);
	assert_non_null(table);
	csv = slurp(csv_path, &len);
	assert_true(starts_with(csv, "scenario,platform,policy,"));
	run_free(&r);

	/* The test's own link comes before /dev/stdout: a broken build replaces only it. */
	for (size_t i = 0; i < 3; i++) {
		args[12] = targets[i];
		run_bench(args, &r);
		expect_ok(&r);
		expect_out(&r, table, csv);
		run_free(&r);
		expect_kind(link, S_IFLNK, true);

		run_bench_pipe(args, &r);
		expect_ok(&r);
		expect_out(&r, table, csv);
		run_free(&r);
		expect_kind(link, S_IFLNK, true);
	}
	expect_kind("/dev/stdout", S_IFLNK, true);

	run_bench(json_dash, &r);
	expect_ok(&r);
	assert_true(starts_with(r.out, table));
	assert_true(starts_with(r.out + strlen(table), "{\"meta\": "));
	assert_string_equal(r.out + r.outlen - 3, "]}\n");
	run_free(&r);
	free(csv);
	free(table);
}

/* The other commands: "-" puts the report after the table too. */
static void test_outputs_dash_every_command(void **state)
{
	const char *params_args[] = {"params", "--json", "-", NULL};
	const char *dma_args[] = {DMA_SHORT, "--csv", "-", NULL};
	/* Some 50 runs: 1 ms each keeps the sanitizer build quick. */
	const char *sens_args[] = {
		"compare",  "--seconds", "0.001",	  "--warmup", "0", "--platform", "lpar",
		"--policy", "strict",	 "--sensitivity", "--csv",    "-", NULL};
	const char *p;
	struct run r;

	(void)state;
	run_bench(params_args, &r);
	expect_ok(&r);
	assert_true(starts_with(r.out, "# profile: none, overrides: 0\n"));
	p = strstr(r.out, "\n{\"meta\": {\"version\": ");
	assert_non_null(p);
	assert_string_equal(r.out + r.outlen - 3, "]}\n");
	run_free(&r);

	run_bench(dma_args, &r);
	expect_ok(&r);
	assert_true(starts_with(r.out, "dma mapping benchmark (strict)"));
	assert_non_null(strstr(r.out, "\npolicy,threads,granule_pages,map_mean_ns,map_p50_ns,"));
	run_free(&r);

	run_bench(sens_args, &r);
	expect_ok(&r);
	assert_true(starts_with(r.out, "# scenario "));
	assert_non_null(strstr(r.out, "\nparameter,min,max,ratio_at_min,"));
	run_free(&r);
}

/*
 * A link is followed: to an existing file, which is replaced while the link stays; to a
 * missing file in an existing directory, which is created; to a missing directory, an error.
 */
static void test_outputs_symlinks_followed(void **state)
{
	char real[4400], link[4400], dangling[4400], created[4400], broken[4400], want[4600];
	const char *args[] = {SHORT, "--csv", NULL, NULL};
	struct dir *d = *state;
	struct run r;

	in_dir(d, "real.csv", real, sizeof(real));
	in_dir(d, "link.csv", link, sizeof(link));
	in_dir(d, "dangling.csv", dangling, sizeof(dangling));
	in_dir(d, "created.csv", created, sizeof(created));
	in_dir(d, "broken.csv", broken, sizeof(broken));
	write_text(real, "old report\n");
	assert_int_equal(symlink("real.csv", link), 0);
	assert_int_equal(symlink("created.csv", dangling), 0);
	assert_int_equal(symlink("no-such-dir/x.csv", broken), 0);

	args[12] = link;
	run_bench(args, &r);
	expect_ok(&r);
	expect_kind(link, S_IFLNK, true);
	expect_prefix(real, "scenario,platform,policy,");
	run_free(&r);

	args[12] = dangling;
	run_bench(args, &r);
	expect_ok(&r);
	expect_kind(dangling, S_IFLNK, true);
	expect_prefix(created, "scenario,platform,policy,");
	run_free(&r);

	args[12] = broken;
	run_bench_to(args, NULL, QUICK_DEADLINE, &r);
	snprintf(want, sizeof(want),
		 "compare: --csv: cannot write '%s': No such file or directory\n", broken);
	expect_refused(&r, want);
	expect_kind(broken, S_IFLNK, true);
	run_free(&r);

	dir_list(d->path, want, sizeof(want));
	assert_string_equal(want, "broken.csv created.csv dangling.csv link.csv real.csv");
}

/*
 * FIFOs are written in place, one report after the other, so that one reader can take them
 * in turn; they stay FIFOs.
 */
static void test_outputs_fifos_written_in_place(void **state)
{
	char fifo1[4400], fifo2[4400], got1[4400], got2[4400], ref[4400];
	const char *args[] = {SHORT, "--csv", fifo1, "--json", fifo2, NULL};
	const char *ref_args[] = {SHORT, "--csv", ref, NULL};
	char *want;
	struct dir *d = *state;
	struct run r;
	size_t len;
	pid_t reader;
	int st;

	in_dir(d, "fifo1", fifo1, sizeof(fifo1));
	in_dir(d, "fifo2", fifo2, sizeof(fifo2));
	in_dir(d, "got1", got1, sizeof(got1));
	in_dir(d, "got2", got2, sizeof(got2));
	in_dir(d, "ref.csv", ref, sizeof(ref));
	assert_int_equal(mkfifo(fifo1, 0600), 0);
	assert_int_equal(mkfifo(fifo2, 0600), 0);
	run_bench(ref_args, &r);
	expect_ok(&r);
	run_free(&r);
	want = slurp(ref, &len);

	reader = start_reader(fifo1, got1, fifo2, got2);
	run_bench_to(args, NULL, DEADLINE, &r);
	/* A build that never opens the FIFOs leaves the reader waiting: do not wait for it. */
	st = bench_wait(reader, r.status == 0 ? QUICK_DEADLINE : 0.1);
	expect_ok(&r);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	expect_kind(fifo1, S_IFIFO, true);
	expect_kind(fifo2, S_IFIFO, true);
	expect_file(got1, want);
	expect_prefix(got2, "{\"meta\": ");
	run_free(&r);
	free(want);
}

/*
 * A directory, an empty path, a path in a missing directory, a new path ending in '/': one
 * line naming the option and the path, exit status 2 at once (the runs asked for would take
 * minutes), nothing written, for every command.
 */
static void test_outputs_bad_paths_refused_at_once(void **state)
{
	static const char *const cmds[][12] = {
		{LONG},
		{DMA_LONG},
		{"iova-bench"},
		{"params"},
	};
	char sub[4400], missing[4400], slash[4400];
	const char *paths[] = {sub, "", missing, slash};
	const char *const why[] = {"Is a directory", "No such file or directory",
				   "No such file or directory", "Is a directory"};
	char want[4600], names[256];
	struct dir *d = *state;
	struct run r;

	in_dir(d, "sub", sub, sizeof(sub));
	in_dir(d, "no-such-dir/x.csv", missing, sizeof(missing));
	in_dir(d, "new/", slash, sizeof(slash));
	assert_int_equal(mkdir(sub, 0700), 0);
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
			const char *opt = p % 2 ? "--json" : "--csv";
			const char *args[16];
			size_t n = 0;

			for (size_t i = 0; i < 12 && cmds[c][i]; i++)
				args[n++] = cmds[c][i];
			args[n++] = opt;
			args[n++] = paths[p];
			args[n] = NULL;
			run_bench_to(args, NULL, QUICK_DEADLINE, &r);
			snprintf(want, sizeof(want), "%s: %s: cannot write '%s': %s\n", cmds[c][0],
				 opt, paths[p], why[p]);
			expect_refused(&r, want);
			run_free(&r);
			dir_list(d->path, names, sizeof(names));
			assert_string_equal(names, "sub");
		}
	}
}

/*
 * Two options naming one file: by the same new path spelt twice, by an existing file and a
 * link to it, by "-" twice, by "-" and a link to standard output. Refused before anything
 * runs, in one line naming both, nothing written.
 */
static void test_outputs_same_file_refused(void **state)
{
	char a[4400], a2[4400], link[4400], out_link[4400], want[9200];
	const char *args[] = {SHORT, "--csv", NULL, "--json", NULL, NULL};
	const char *params_args[] = {"params", "--csv", "-", "--json", out_link, NULL};
	const char *dma_args[] = {DMA_SHORT, "--json", a, "--csv", a2, NULL};
	const char *iova_args[] = {"iova-bench", "--quick", "--runs", "1", "--csv", a,
				   "--json",	 a2,	    NULL};
	char names[256];
	struct dir *d = *state;
	struct run r;

	in_dir(d, "a.csv", a, sizeof(a));
	in_dir(d, "./a.csv", a2, sizeof(a2));
	in_dir(d, "link.csv", link, sizeof(link));
	in_dir(d, "stdout", out_link, sizeof(out_link));

	args[12] = a;
	args[14] = a2;
	run_bench_to(args, NULL, QUICK_DEADLINE, &r);
	snprintf(want, sizeof(want), "compare: --csv '%s' and --json '%s' name the same file\n", a,
		 a2);
	expect_refused(&r, want);
	expect_dir_empty(d);
	run_free(&r);

	run_bench_to(dma_args, NULL, QUICK_DEADLINE, &r);
	snprintf(want, sizeof(want), "dma-bench: --csv '%s' and --json '%s' name the same file\n",
		 a2, a);
	expect_refused(&r, want);
	expect_dir_empty(d);
	run_free(&r);

	run_bench_to(iova_args, NULL, QUICK_DEADLINE, &r);
	snprintf(want, sizeof(want), "iova-bench: --csv '%s' and --json '%s' name the same file\n",
		 a, a2);
	expect_refused(&r, want);
	expect_dir_empty(d);
	run_free(&r);

	/* An existing file and a link to it. */
	write_text(a, "old report\n");
	assert_int_equal(symlink("a.csv", link), 0);
	args[14] = link;
	run_bench_to(args, NULL, QUICK_DEADLINE, &r);
	snprintf(want, sizeof(want), "compare: --csv '%s' and --json '%s' name the same file\n", a,
		 link);
	expect_refused(&r, want);
	expect_file(a, "old report\n");
	run_free(&r);

	args[12] = "-";
	args[14] = "-";
	run_bench_to(args, NULL, QUICK_DEADLINE, &r);
	expect_refused(&r, "compare: --csv '-' and --json '-' name the same file\n");
	run_free(&r);

	assert_int_equal(symlink("/proc/self/fd/1", out_link), 0);
	run_bench_to(params_args, NULL, QUICK_DEADLINE, &r);
	snprintf(want, sizeof(want), "params: --csv '-' and --json '%s' name the same file\n",
		 out_link);
	expect_refused(&r, want);
	expect_kind(out_link, S_IFLNK, true);
	run_free(&r);

	dir_list(d->path, names, sizeof(names));
	assert_string_equal(names, "a.csv link.csv stdout");
}

/*
 * A report named like another's temporary file in the old scheme (x.tmp beside x) is just
 * another file: both reports arrive, each where it was asked for.
 */
static void test_outputs_temp_names_never_collide(void **state)
{
	char x[4400], xtmp[4400], names[256];
	const char *args[] = {SHORT, "--csv", xtmp, "--json", x, NULL};
	const char *params_args[] = {"params", "--json", xtmp, "--csv", x, NULL};
	struct dir *d = *state;
	struct run r;

	in_dir(d, "x", x, sizeof(x));
	in_dir(d, "x.tmp", xtmp, sizeof(xtmp));
	run_bench(args, &r);
	expect_ok(&r);
	expect_prefix(xtmp, "scenario,platform,policy,");
	expect_prefix(x, "{\"meta\": ");
	run_free(&r);

	/* Over the files of the first run this time. */
	run_bench(params_args, &r);
	expect_ok(&r);
	expect_prefix(xtmp, "{\"meta\": ");
	expect_prefix(x, "name,value,unit,");
	run_free(&r);
	dir_list(d->path, names, sizeof(names));
	assert_string_equal(names, "x x.tmp");
}

/* A report file gets the permissions of any new file: 0666 less the umask. */
static void test_outputs_file_mode_follows_umask(void **state)
{
	static const mode_t masks[] = {022, 027, 077};
	char path[4400];
	const char *args[] = {SHORT, "--csv", path, NULL};
	struct stat st;
	struct dir *d = *state;
	struct run r;

	in_dir(d, "out.csv", path, sizeof(path));
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		mode_t old = umask(masks[i]);

		/* New the first time, replaced afterwards: the same rule. */
		run_bench(args, &r);
		umask(old);
		expect_ok(&r);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0666 & ~masks[i]);
		run_free(&r);
	}
}

SUITE_MAIN(cmocka_unit_test_setup_teardown(test_outputs_devices_written_in_place, dir_setup,
					   dir_teardown),
	   cmocka_unit_test_setup_teardown(test_outputs_standard_output, dir_setup, dir_teardown),
	   cmocka_unit_test(test_outputs_dash_every_command),
	   cmocka_unit_test_setup_teardown(test_outputs_symlinks_followed, dir_setup, dir_teardown),
	   cmocka_unit_test_setup_teardown(test_outputs_fifos_written_in_place, dir_setup,
					   dir_teardown),
	   cmocka_unit_test_setup_teardown(test_outputs_bad_paths_refused_at_once, dir_setup,
					   dir_teardown),
	   cmocka_unit_test_setup_teardown(test_outputs_same_file_refused, dir_setup, dir_teardown),
	   cmocka_unit_test_setup_teardown(test_outputs_temp_names_never_collide, dir_setup,
					   dir_teardown),
	   cmocka_unit_test_setup_teardown(test_outputs_file_mode_follows_umask, dir_setup,
					   dir_teardown))
