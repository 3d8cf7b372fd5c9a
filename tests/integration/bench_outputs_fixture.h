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
 *
 * The helpers and fixtures of test_bench_outputs_paths.c and test_bench_outputs_failures.c, which
 * include this header after <cmocka.h>.
 */
#ifndef TESTS_BENCH_OUTPUTS_FIXTURE_H
#define TESTS_BENCH_OUTPUTS_FIXTURE_H

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
#define SHORT                                                                                      \
	"compare", "--seconds", "0.01", "--warmup", "0.005", "--platform", "lpar", "--policy",     \
		"strict", "--jobs", "1"
/* A compare run that would take far longer than any deadline here. */
#define LONG                                                                                       \
	"compare", "--seconds", "3600", "--warmup", "0.005", "--platform", "lpar", "--policy",     \
		"strict", "--jobs", "1"
#define DMA_SHORT "dma-bench", "--seconds", "0.01", "--policy", "strict"
#define DMA_LONG  "dma-bench", "--seconds", "300", "--policy", "strict"

/* For runs that finish in well under a second, with room for the sanitizer build. */
#define DEADLINE 60
/* For runs that must stop before they start: they were asked for minutes at least. */
#define QUICK_DEADLINE 20

static inline void in_dir(const struct dir *d, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", d->path, name);
}

static inline void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static inline void expect_file(const char *path, const char *text)
{
	size_t len;
	char *got = slurp(path, &len);

	if (strcmp(got, text))
		fail_msg("'%s' holds '%.200s', expected '%.200s'", path, got, text);
	free(got);
}

static inline bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static inline void expect_prefix(const char *path, const char *prefix)
{
	size_t len;
	char *got = slurp(path, &len);

	if (!starts_with(got, prefix))
		fail_msg("'%s' starts '%.100s', expected '%s'", path, got, prefix);
	free(got);
}

static inline void expect_status(const struct run *r, int status)
{
	if (r->status != status)
		fail_msg("exit status %d, expected %d; stderr: %s", r->status, status, r->err);
}

/* Standard error is exactly @line (newline included). */
static inline void expect_err(const struct run *r, const char *line)
{
	if (strcmp(r->err, line))
		fail_msg("stderr '%s', expected '%s'", r->err, line);
}

/* The last line of standard error is @line (newline included); progress may come first. */
static inline void expect_last_err(const struct run *r, const char *line)
{
	size_t n = strlen(line);

	if (r->errlen < n || strcmp(r->err + r->errlen - n, line) ||
	    (r->errlen > n && r->err[r->errlen - n - 1] != '\n'))
		fail_msg("stderr '%s', expected it to end with the line '%s'", r->err, line);
}

static inline void expect_kind(const char *path, mode_t kind, bool link)
{
	struct stat st;

	assert_int_equal(link ? lstat(path, &st) : stat(path, &st), 0);
	if ((st.st_mode & S_IFMT) != kind)
		fail_msg("'%s' has type %o, expected %o", path, (unsigned int)(st.st_mode & S_IFMT),
			 (unsigned int)kind);
}

/* The bad input contract: exit status 2, nothing on standard output, one line. */
static inline void expect_refused(const struct run *r, const char *line)
{
	expect_status(r, 2);
	assert_int_equal(r->outlen, 0);
	expect_err(r, line);
}

/* ---- devices, standard output, links, FIFOs ---- */

/* Run with standard output a pipe, read by the test while the command runs. */
static inline void run_bench_pipe(const char *const *args, struct run *r)
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
static inline void expect_out(const struct run *r, const char *table, const char *report)
{
	size_t n = strlen(table);

	if (r->outlen != n + strlen(report) || strncmp(r->out, table, n) ||
	    strcmp(r->out + n, report))
		fail_msg("stdout '%s', expected the table then '%.100s...'", r->out, report);
}

/* Read @fifo1, then @fifo2, into @out1 and @out2: a child process, as a reader would be. */
static inline pid_t start_reader(const char *fifo1, const char *out1, const char *fifo2,
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

/* ---- refused before anything runs ---- */

/* ---- killed runs ---- */

/* Wait until @dir holds at least @n names: the temporary files are there. */
static inline void wait_for_names(const char *dir, size_t n, pid_t pid)
{
	struct timespec nap = {0, 5000000};
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
static inline void kill_run(const char *const *cmd, int sig, int ignore)
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
		struct timespec nap = {0, 200000000};

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

/* ---- standard output ---- */

/* ---- JSON strings ---- */

/* Strict UTF-8 (Unicode table 3-7): no overlong, no surrogate, nothing above U+10FFFF. */
static inline bool valid_utf8(const unsigned char *s, size_t len)
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
		if (cp < (n == 1   ? 0x80u
			  : n == 2 ? 0x800u
				   : 0x10000u) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

#endif /* TESTS_BENCH_OUTPUTS_FIXTURE_H */
