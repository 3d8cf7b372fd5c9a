/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of where iommusim-bench's reports go (--csv FILE, --json FILE, bench/
 * outfile.c) and of its standard output, for every command, run as a child process
 * (bench_child.h): devices and FIFOs written in place and never replaced, "-" and
 * /dev/stdout as standard output, symbolic links followed, a bad path refused before
 * anything runs, two options naming one file refused, an option given twice refused, no
 * temporary file left by a killed run, write errors on standard output, and JSON strings
 * that are valid UTF-8 whatever bytes a file name holds.
 *
 * The tests run as root in CI. A real device node or /dev/stdout is used only after the same
 * case passed on a node or link of the test's own (a device node when the test may make
 * one), so that a broken build damages nothing outside the test's directory. Simulations
 * are 10 ms long; the runs meant to be killed or refused ask for an hour, and a deadline
 * fails the test if one really runs.
 */
/* mknod() is XSI. */
#define _XOPEN_SOURCE 700

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

/* A short compare run: one cell, 10 ms simulated. */
#define SHORT                                                                                  \
	"compare", "--seconds", "0.01", "--warmup", "0.005", "--platform", "lpar", "--policy", \
		"strict", "--jobs", "1"
/* A compare run that would take far longer than any deadline here. */
#define LONG                                                                                   \
	"compare", "--seconds", "3600", "--warmup", "0.005", "--platform", "lpar", "--policy", \
		"strict", "--jobs", "1"
#define DMA_SHORT "dma-bench", "--seconds", "0.01", "--policy", "strict"
#define DMA_LONG  "dma-bench", "--seconds", "300", "--policy", "strict"

/* For runs that finish in well under a second, with room for the sanitizer build. */
#define DEADLINE 60
/* For runs that must stop before they start: they were asked for minutes at least. */
#define QUICK_DEADLINE 20

static void in_dir(const struct dir *d, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", d->path, name);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void expect_file(const char *path, const char *text)
{
	size_t len;
	char *got = slurp(path, &len);

	if (strcmp(got, text))
		fail_msg("'%s' holds '%.200s', expected '%.200s'", path, got, text);
	free(got);
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static void expect_prefix(const char *path, const char *prefix)
{
	size_t len;
	char *got = slurp(path, &len);

	if (!starts_with(got, prefix))
		fail_msg("'%s' starts '%.100s', expected '%s'", path, got, prefix);
	free(got);
}

static void expect_status(const struct run *r, int status)
{
	if (r->status != status)
		fail_msg("exit status %d, expected %d; stderr: %s", r->status, status, r->err);
}

/* Standard error is exactly @line (newline included). */
static void expect_err(const struct run *r, const char *line)
{
	if (strcmp(r->err, line))
		fail_msg("stderr '%s', expected '%s'", r->err, line);
}

/* The last line of standard error is @line (newline included); progress may come first. */
static void expect_last_err(const struct run *r, const char *line)
{
	size_t n = strlen(line);

	if (r->errlen < n || strcmp(r->err + r->errlen - n, line) ||
	    (r->errlen > n && r->err[r->errlen - n - 1] != '\n'))
		fail_msg("stderr '%s', expected it to end with the line '%s'", r->err, line);
}

static void expect_kind(const char *path, mode_t kind, bool link)
{
	struct stat st;

	assert_int_equal(link ? lstat(path, &st) : stat(path, &st), 0);
	if ((st.st_mode & S_IFMT) != kind)
		fail_msg("'%s' has type %o, expected %o", path, (unsigned int)(st.st_mode & S_IFMT),
			 (unsigned int)kind);
}

/* The bad input contract: exit status 2, nothing on standard output, one line. */
static void expect_refused(const struct run *r, const char *line)
{
	expect_status(r, 2);
	assert_int_equal(r->outlen, 0);
	expect_err(r, line);
}

/* ---- devices, standard output, links, FIFOs ---- */

/*
 * A character device is written in place: /dev/full reports its error and stays a device,
 * /dev/null takes the report. First on a node of the test's own (when it may make one).
 */
static void test_outputs_devices_written_in_place(void **state)
{
	char canary[4400], json[4400], want[4600];
	const char *full_args[] = { SHORT, "--csv", NULL, NULL };
	const char *null_args[] = { SHORT, "--csv", "/dev/null", "--json", json, NULL };
	const char *params_args[] = { "params", "--json", "/dev/full", NULL };
	struct stat full;
	struct dir d;
	struct run r;

	(void)state;
	dir_make(&d);
	assert_int_equal(stat("/dev/full", &full), 0);
	in_dir(&d, "full", canary, sizeof(canary));
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

	in_dir(&d, "out.json", json, sizeof(json));
	run_bench_to(null_args, NULL, DEADLINE, &r);
	expect_ok(&r);
	expect_kind("/dev/null", S_IFCHR, true);
	expect_prefix(json, "{\"meta\": ");
	run_free(&r);
	dir_remove(&d);
}

/* Run with standard output a pipe, read by the test while the command runs. */
static void run_bench_pipe(const char *const *args, struct run *r)
{
	struct dir io;
	char err_path[4300];
	size_t cap = 8192;
	int fds[2], st;
	pid_t pid;

	dir_make(&io);
	snprintf(err_path, sizeof(err_path), "%s/stderr", io.path);
	assert_int_equal(pipe(fds), 0);
	pid = bench_start(args, fds[1], NULL, err_path, 0);
	close(fds[1]);
	r->out = malloc(cap);
	assert_non_null(r->out);
	r->outlen = 0;
	for (;;) {
		ssize_t got;

		if (r->outlen + 1 == cap) {
			cap *= 2;
			r->out = realloc(r->out, cap);
			assert_non_null(r->out);
		}
		got = read(fds[0], r->out + r->outlen, cap - r->outlen - 1);
		if (got < 0 && errno == EINTR)
			continue;
		assert_true(got >= 0);
		if (!got)
			break;
		r->outlen += (size_t)got;
	}
	r->out[r->outlen] = '\0';
	close(fds[0]);
	st = bench_wait(pid, DEADLINE);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r->err = slurp(err_path, &r->errlen);
	dir_remove(&io);
}

/* Standard output is @table followed by @report. */
static void expect_out(const struct run *r, const char *table, const char *report)
{
	size_t n = strlen(table);

	if (r->outlen != n + strlen(report) || strncmp(r->out, table, n) ||
	    strcmp(r->out + n, report))
		fail_msg("stdout '%s', expected the table then '%.100s...'", r->out, report);
}

/*
 * "-", /dev/stdout (standard output a file or a pipe) and a link to standard output: the
 * report follows the table on standard output, and no link is replaced. Every compare run
 * here prints the same table, and the CSV does not quote the command line.
 */
static void test_outputs_standard_output(void **state)
{
	char csv_path[4400], link[4400];
	const char *ref_args[] = { SHORT, "--csv", csv_path, NULL };
	const char *args[] = { SHORT, "--csv", NULL, NULL };
	const char *json_dash[] = { SHORT, "--json", "-", NULL };
	const char *targets[] = { "-", link, "/dev/stdout" };
	char *table, *csv;
	struct dir d;
	struct run r;
	size_t len;

	(void)state;
	dir_make(&d);
	in_dir(&d, "ref.csv", csv_path, sizeof(csv_path));
	in_dir(&d, "stdout", link, sizeof(link));
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
	dir_remove(&d);
}

/* The other commands: "-" puts the report after the table too. */
static void test_outputs_dash_every_command(void **state)
{
	const char *params_args[] = { "params", "--json", "-", NULL };
	const char *dma_args[] = { DMA_SHORT, "--csv", "-", NULL };
	/* Some 50 runs: 1 ms each keeps the sanitizer build quick. */
	const char *sens_args[] = { "compare", "--seconds", "0.001", "--warmup", "0",
				    "--platform", "lpar", "--policy", "strict", "--sensitivity",
				    "--csv", "-", NULL };
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
	const char *args[] = { SHORT, "--csv", NULL, NULL };
	struct dir d;
	struct run r;

	(void)state;
	dir_make(&d);
	in_dir(&d, "real.csv", real, sizeof(real));
	in_dir(&d, "link.csv", link, sizeof(link));
	in_dir(&d, "dangling.csv", dangling, sizeof(dangling));
	in_dir(&d, "created.csv", created, sizeof(created));
	in_dir(&d, "broken.csv", broken, sizeof(broken));
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

	dir_list(d.path, want, sizeof(want));
	assert_string_equal(want, "broken.csv created.csv dangling.csv link.csv real.csv");
	dir_remove(&d);
}

/* Read @fifo1, then @fifo2, into @out1 and @out2: a child process, as a reader would be. */
static pid_t start_reader(const char *fifo1, const char *out1, const char *fifo2,
			  const char *out2)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid)
		return pid;
	/* Never outlive the test, even if nobody ever opens the FIFOs. */
	alarm(DEADLINE);
	for (int i = 0; i < 2; i++) {
		int in = open(i ? fifo2 : fifo1, O_RDONLY);
		int out = open(i ? out2 : out1, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		char buf[4096];
		ssize_t n;

		if (in < 0 || out < 0)
			_exit(1);
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				_exit(1);
		close(in);
		close(out);
	}
	_exit(0);
}

/*
 * FIFOs are written in place, one report after the other, so that one reader can take them
 * in turn; they stay FIFOs.
 */
static void test_outputs_fifos_written_in_place(void **state)
{
	char fifo1[4400], fifo2[4400], got1[4400], got2[4400], ref[4400];
	const char *args[] = { SHORT, "--csv", fifo1, "--json", fifo2, NULL };
	const char *ref_args[] = { SHORT, "--csv", ref, NULL };
	char *want;
	struct dir d;
	struct run r;
	size_t len;
	pid_t reader;
	int st;

	(void)state;
	dir_make(&d);
	in_dir(&d, "fifo1", fifo1, sizeof(fifo1));
	in_dir(&d, "fifo2", fifo2, sizeof(fifo2));
	in_dir(&d, "got1", got1, sizeof(got1));
	in_dir(&d, "got2", got2, sizeof(got2));
	in_dir(&d, "ref.csv", ref, sizeof(ref));
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
	dir_remove(&d);
}

/* ---- refused before anything runs ---- */

/*
 * A directory, an empty path, a path in a missing directory, a new path ending in '/': one
 * line naming the option and the path, exit status 2 at once (the runs asked for would take
 * minutes), nothing written, for every command.
 */
static void test_outputs_bad_paths_refused_at_once(void **state)
{
	static const char *const cmds[][12] = {
		{ LONG },
		{ DMA_LONG },
		{ "iova-bench" },
		{ "params" },
	};
	char sub[4400], missing[4400], slash[4400];
	const char *paths[] = { sub, "", missing, slash };
	const char *const why[] = { "Is a directory", "No such file or directory",
				    "No such file or directory", "Is a directory" };
	char want[4600], names[256];
	struct dir d;
	struct run r;

	(void)state;
	dir_make(&d);
	in_dir(&d, "sub", sub, sizeof(sub));
	in_dir(&d, "no-such-dir/x.csv", missing, sizeof(missing));
	in_dir(&d, "new/", slash, sizeof(slash));
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
			dir_list(d.path, names, sizeof(names));
			assert_string_equal(names, "sub");
		}
	}
	dir_remove(&d);
}

/*
 * Two options naming one file: by the same new path spelt twice, by an existing file and a
 * link to it, by "-" twice, by "-" and a link to standard output. Refused before anything
 * runs, in one line naming both, nothing written.
 */
static void test_outputs_same_file_refused(void **state)
{
	char a[4400], a2[4400], link[4400], out_link[4400], want[9200];
	const char *args[] = { SHORT, "--csv", NULL, "--json", NULL, NULL };
	const char *params_args[] = { "params", "--csv", "-", "--json", out_link, NULL };
	const char *dma_args[] = { DMA_SHORT, "--json", a, "--csv", a2, NULL };
	const char *iova_args[] = { "iova-bench", "--quick", "--runs", "1", "--csv", a,
				    "--json", a2, NULL };
	char names[256];
	struct dir d;
	struct run r;

	(void)state;
	dir_make(&d);
	in_dir(&d, "a.csv", a, sizeof(a));
	in_dir(&d, "./a.csv", a2, sizeof(a2));
	in_dir(&d, "link.csv", link, sizeof(link));
	in_dir(&d, "stdout", out_link, sizeof(out_link));

	args[12] = a;
	args[14] = a2;
	run_bench_to(args, NULL, QUICK_DEADLINE, &r);
	snprintf(want, sizeof(want), "compare: --csv '%s' and --json '%s' name the same file\n",
		 a, a2);
	expect_refused(&r, want);
	expect_dir_empty(&d);
	run_free(&r);

	run_bench_to(dma_args, NULL, QUICK_DEADLINE, &r);
	snprintf(want, sizeof(want), "dma-bench: --csv '%s' and --json '%s' name the same file\n",
		 a2, a);
	expect_refused(&r, want);
	expect_dir_empty(&d);
	run_free(&r);

	run_bench_to(iova_args, NULL, QUICK_DEADLINE, &r);
	snprintf(want, sizeof(want),
		 "iova-bench: --csv '%s' and --json '%s' name the same file\n", a, a2);
	expect_refused(&r, want);
	expect_dir_empty(&d);
	run_free(&r);

	/* An existing file and a link to it. */
	write_text(a, "old report\n");
	assert_int_equal(symlink("a.csv", link), 0);
	args[14] = link;
	run_bench_to(args, NULL, QUICK_DEADLINE, &r);
	snprintf(want, sizeof(want), "compare: --csv '%s' and --json '%s' name the same file\n",
		 a, link);
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

	dir_list(d.path, names, sizeof(names));
	assert_string_equal(names, "a.csv link.csv stdout");
	dir_remove(&d);
}

/*
 * A report named like another's temporary file in the old scheme (x.tmp beside x) is just
 * another file: both reports arrive, each where it was asked for.
 */
static void test_outputs_temp_names_never_collide(void **state)
{
	char x[4400], xtmp[4400], names[256];
	const char *args[] = { SHORT, "--csv", xtmp, "--json", x, NULL };
	const char *params_args[] = { "params", "--json", xtmp, "--csv", x, NULL };
	struct dir d;
	struct run r;

	(void)state;
	dir_make(&d);
	in_dir(&d, "x", x, sizeof(x));
	in_dir(&d, "x.tmp", xtmp, sizeof(xtmp));
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
	dir_list(d.path, names, sizeof(names));
	assert_string_equal(names, "x x.tmp");
	dir_remove(&d);
}

/* A report file gets the permissions of any new file: 0666 less the umask. */
static void test_outputs_file_mode_follows_umask(void **state)
{
	static const mode_t masks[] = { 022, 027, 077 };
	char path[4400];
	const char *args[] = { SHORT, "--csv", path, NULL };
	struct stat st;
	struct dir d;
	struct run r;

	(void)state;
	dir_make(&d);
	in_dir(&d, "out.csv", path, sizeof(path));
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
	dir_remove(&d);
}

/* Each command refuses a report option given twice, before writing anything. */
static void test_outputs_option_given_twice(void **state)
{
	static const char *const cmds[][6] = {
		{ "params" },
		{ DMA_SHORT },
		{ "iova-bench", "--quick", "--runs", "1" },
	};
	static const char *const opts[] = { "--csv", "--json" };
	char a[4400], b[4400], want[256];
	struct dir d;
	struct run r;

	(void)state;
	dir_make(&d);
	in_dir(&d, "a", a, sizeof(a));
	in_dir(&d, "b", b, sizeof(b));
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
			expect_dir_empty(&d);
			run_free(&r);
		}
	}
	dir_remove(&d);
}

/* ---- killed runs ---- */

/* Wait until @dir holds at least @n names: the temporary files are there. */
static void wait_for_names(const char *dir, size_t n, pid_t pid)
{
	struct timespec nap = { 0, 5000000 };
	char names[4096];

	for (int i = 0; i < QUICK_DEADLINE * 200; i++) {
		size_t count = 0;

		dir_list(dir, names, sizeof(names));
		for (const char *p = names; *p; p++)
			count += *p == ' ';
		if (names[0] && count + 1 >= n)
			return;
		nanosleep(&nap, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fail_msg("no temporary files in '%s' after %d s", dir, QUICK_DEADLINE);
}

/*
 * Run @cmd (NULL-terminated) with --csv over an existing report and --json to a new file,
 * and send @sig once both temporary files exist, while the run (asked for minutes) goes on:
 * the process dies of the signal, the temporary files are gone and the old report is as it
 * was. @ignore starts ignored (0: none): sent first, it must change nothing.
 */
static void kill_run(const char *const *cmd, int sig, int ignore)
{
	char csv[4400], json[4400], names[4096];
	const char *args[24];
	struct dir d;
	size_t n = 0;
	pid_t pid;
	int st;

	dir_make(&d);
	in_dir(&d, "old.csv", csv, sizeof(csv));
	in_dir(&d, "new.json", json, sizeof(json));
	while (cmd[n]) {
		args[n] = cmd[n];
		n++;
	}
	args[n++] = "--csv";
	args[n++] = csv;
	args[n++] = "--json";
	args[n++] = json;
	args[n] = NULL;
	write_text(csv, "old report\n");
	pid = bench_start(args, -1, "/dev/null", "/dev/null", ignore);
	wait_for_names(d.path, 3, pid);
	if (ignore) {
		struct timespec nap = { 0, 200000000 };

		assert_int_equal(kill(pid, ignore), 0);
		nanosleep(&nap, NULL);
		assert_int_equal(waitpid(pid, &st, WNOHANG), 0);
	}
	assert_int_equal(kill(pid, sig), 0);
	st = bench_wait(pid, QUICK_DEADLINE);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != sig)
		fail_msg("wait status %#x, expected death by signal %d", (unsigned int)st, sig);
	expect_file(csv, "old report\n");
	dir_list(d.path, names, sizeof(names));
	assert_string_equal(names, "old.csv");
	dir_remove(&d);
}

static void test_outputs_killed_run_leaves_nothing(void **state)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	const char *args[] = { LONG, NULL };
	const char *dma_args[] = { DMA_LONG, NULL };

	(void)state;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		kill_run(args, sigs[i], 0);
	kill_run(dma_args, SIGTERM, 0);
	/* Under nohup: SIGHUP does nothing, SIGTERM still cleans up. */
	kill_run(args, SIGTERM, SIGHUP);
}

/* ---- standard output ---- */

/*
 * Writing to a full standard output: every command says so and exits 1. A report file is
 * still written.
 */
static void test_outputs_stdout_write_error(void **state)
{
	static const char *const cmds[][12] = {
		{ SHORT },
		{ "params" },
		{ DMA_SHORT },
		{ "iova-bench", "--quick", "--runs", "1" },
		{ "compare", "--help" },
		{ "--help" },
	};
	char csv[4400], want[256];
	const char *with_csv[] = { SHORT, "--csv", csv, NULL };
	const char *replay[] = { "iova-replay", NULL, NULL };
	const char *data = env_required("IOMMUSIM_TEST_DATA");
	char ops[4400];
	struct dir d;
	struct run r;

	(void)state;
	dir_make(&d);
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		const char *args[16];
		size_t n = 0;

		for (size_t i = 0; i < 12 && cmds[c][i]; i++)
			args[n++] = cmds[c][i];
		args[n] = NULL;
		run_bench_to(args, "/dev/full", DEADLINE, &r);
		expect_status(&r, 1);
		snprintf(want, sizeof(want), "%s: write error: standard output: No space left on "
			 "device\n", c == 5 ? "iommusim-bench" : cmds[c][0]);
		expect_last_err(&r, want);
		run_free(&r);
	}

	snprintf(ops, sizeof(ops), "%s/cli_good.ops", data);
	replay[1] = ops;
	run_bench_to(replay, "/dev/full", DEADLINE, &r);
	expect_status(&r, 1);
	expect_err(&r, "iova-replay: write error: standard output: No space left on device\n");
	run_free(&r);

	in_dir(&d, "out.csv", csv, sizeof(csv));
	run_bench_to(with_csv, "/dev/full", DEADLINE, &r);
	expect_status(&r, 1);
	expect_last_err(&r, "compare: write error: standard output: No space left on device\n");
	expect_prefix(csv, "scenario,platform,policy,");
	run_free(&r);
	expect_kind("/dev/full", S_IFCHR, true);
	dir_remove(&d);
}

/*
 * Standard output closed at start: the report file must not take its descriptor (and the
 * table with it); the table's loss is an error.
 */
static void test_outputs_stdout_closed(void **state)
{
	char csv[4400], ref[4400], err_path[4400];
	const char *args[] = { SHORT, "--csv", csv, NULL };
	const char *ref_args[] = { SHORT, "--csv", ref, NULL };
	char *want;
	struct dir d;
	struct run r;
	size_t len;
	int st;

	(void)state;
	dir_make(&d);
	in_dir(&d, "out.csv", csv, sizeof(csv));
	in_dir(&d, "ref.csv", ref, sizeof(ref));
	in_dir(&d, "stderr", err_path, sizeof(err_path));
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
	dir_remove(&d);
}

/* ---- JSON strings ---- */

/* Strict UTF-8 (Unicode table 3-7): no overlong, no surrogate, nothing above U+10FFFF. */
static bool valid_utf8(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned int c = s[i], n, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
		if (!n || c > 0xf7)
			return false;
		cp = c & (0x3f >> n);
		for (unsigned int k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < (n == 1 ? 0x80u : n == 2 ? 0x800u : 0x10000u) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

#define R "\xef\xbf\xbd" /* U+FFFD */

/*
 * A file name holding every kind of bad byte sequence, quoted in meta.command: valid UTF-8
 * JSON, control characters escaped, each maximal ill-formed subsequence one U+FFFD (as the
 * Unicode standard recommends), valid sequences as they were.
 */
static void test_outputs_json_strings_valid_utf8(void **state)
{
	static const char name[] = "a\xff"
				   "b\x01"
				   "c\xe0\x80\x80"	   /* overlong */
				   "d\xed\xa0\x80"	   /* a surrogate */
				   "e\xf4\x90\x80\x80"	   /* above U+10FFFF */
				   "f\xe2\x82"		   /* truncated */
				   "g\xf0\x9f\x98\x80"	   /* U+1F600 */
				   "h\"i\\j\x7f"	   /* quote, backslash, DEL */
				   "k\xc3\xa9"		   /* U+00E9 */
				   "l\xc0\xaf"		   /* overlong '/' */
				   "m\xf8\x88\x80\x80\x80" /* five bytes */
				   "n\xf4\x8f\xbf\xbf"	   /* U+10FFFF */
				   "o\x1f"
				   "p\xe2\x82\xac"; /* U+20AC */
	static const char quoted[] = "a" R "b\\u0001c" R R R "d" R R R "e" R R R R "f" R
				     "g\xf0\x9f\x98\x80h\\\"i\\\\j\\u007fk\xc3\xa9l" R R
				     "m" R R R R R "n\xf4\x8f\xbf\xbfo\\u001fp\xe2\x82\xac\"";
	char csv[4400], json[4400];
	const char *args[] = { SHORT, "--csv", csv, "--json", json, NULL };
	struct dir d;
	struct run r;
	size_t len;
	char *text;

	(void)state;
	dir_make(&d);
	in_dir(&d, name, csv, sizeof(csv));
	in_dir(&d, "out.json", json, sizeof(json));
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
	dir_remove(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outputs_devices_written_in_place),
		cmocka_unit_test(test_outputs_standard_output),
		cmocka_unit_test(test_outputs_dash_every_command),
		cmocka_unit_test(test_outputs_symlinks_followed),
		cmocka_unit_test(test_outputs_fifos_written_in_place),
		cmocka_unit_test(test_outputs_bad_paths_refused_at_once),
		cmocka_unit_test(test_outputs_same_file_refused),
		cmocka_unit_test(test_outputs_temp_names_never_collide),
		cmocka_unit_test(test_outputs_file_mode_follows_umask),
		cmocka_unit_test(test_outputs_option_given_twice),
		cmocka_unit_test(test_outputs_killed_run_leaves_nothing),
		cmocka_unit_test(test_outputs_stdout_write_error),
		cmocka_unit_test(test_outputs_stdout_closed),
		cmocka_unit_test(test_outputs_json_strings_valid_utf8),
	};

	return cmocka_run_group_tests_name("bench_outputs", tests, NULL, NULL);
}
