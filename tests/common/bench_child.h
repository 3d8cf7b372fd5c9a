/* SPDX-License-Identifier: MIT */
/*
 * Running iommusim-bench ($IOMMUSIM_BENCH) from an integration test: as a child process
 * with its standard streams in temporary files, its reports in a temporary directory that
 * the test names. Header-only (include it after cmocka.h), so each test executable gets its
 * own copy.
 */
#ifndef TESTS_COMMON_BENCH_CHILD_H
#define TESTS_COMMON_BENCH_CHILD_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture_state.h"

extern char **environ;

struct run {
	int status; /* exit status, or -1 if the child did not exit normally */
	char *out;
	size_t outlen;
	char *err;
	size_t errlen;
};

/* A temporary directory for one test's reports; files in it are named by the test. */
struct dir {
	char path[4096];
	char csv[4200];
	char json[4200];
};

static inline const char *env_required(const char *var)
{
	const char *v = getenv(var);

	if (!v || !*v)
		fail_msg("%s is not set (run through meson test)", var);
	return v;
}

static inline char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		fail_msg("cannot read '%s'", path);
	for (;;) {
		size_t got;

		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static inline bool exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static inline void dir_make(struct dir *d)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(d->path, sizeof(d->path), "%s/bench_XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(d->path));
	snprintf(d->csv, sizeof(d->csv), "%s/out.csv", d->path);
	snprintf(d->json, sizeof(d->json), "%s/out.json", d->path);
}

/* Everything in the directory (reports, temporary files, FIFOs, empty directories), then it. */
static inline void dir_remove(struct dir *d)
{
	DIR *dir = opendir(d->path);
	struct dirent *e;
	char path[4400];

	while (dir && (e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", d->path, e->d_name);
		if (unlink(path))
			rmdir(path);
	}
	if (dir)
		closedir(dir);
	rmdir(d->path);
}

/* CMocka setup and teardown of a test that writes into a fresh directory of its own. */
static inline int dir_setup(void **state)
{
	if (fixture_state_alloc(state, sizeof(struct dir)) != 0)
		return -1;
	dir_make(*state);
	return 0;
}

static inline int dir_teardown(void **state)
{
	dir_remove(*state);
	free(*state);
	return 0;
}

/* The names in the directory, "." and ".." left out, as "a b c" (sorted: readdir order is not). */
static inline void dir_list(const char *path, char *buf, size_t len)
{
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	size_t used = 0;

	assert_true(n >= 0);
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..") && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "",
						 names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

/* Nothing under the directory: no report, no leftover temporary file of any name. */
static inline void expect_dir_empty(const struct dir *d)
{
	char names[4096];

	dir_list(d->path, names, sizeof(names));
	if (names[0])
		fail_msg("'%s' holds '%s', expected nothing", d->path, names);
}

/*
 * Start iommusim-bench with @args (NULL-terminated, without argv[0]): standard input from the
 * file @in (NULL: /dev/null), standard output to @out_fd (if >= 0), the file @out, or closed
 * (neither), standard error to @err.
 * The signals a test sends start at their default action, as from a shell, whatever the
 * test runner ignores; except @ignore (0: none), which starts ignored, as under nohup.
 */
static inline pid_t bench_start_in(const char *const *args, const char *in, int out_fd,
				   const char *out, const char *err, int ignore)
{
	static const int sigs[] = {SIGHUP, SIGINT, SIGTERM, SIGPIPE};
	const char *bench = env_required("IOMMUSIM_BENCH");
	char *argv[48];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigset_t dfl, none;
	pid_t pid;
	int n = 0;

	argv[n++] = (char *)bench;
	while (args[n - 1]) {
		assert_true(n < 47);
		argv[n] = (char *)args[n - 1];
		n++;
	}
	argv[n] = NULL;

	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(
		posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null", O_RDONLY, 0), 0);
	if (out_fd >= 0)
		assert_int_equal(posix_spawn_file_actions_adddup2(&fa, out_fd, 1), 0);
	else if (out)
		assert_int_equal(posix_spawn_file_actions_addopen(
					 &fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600),
				 0);
	else
		assert_int_equal(posix_spawn_file_actions_addclose(&fa, 1), 0);
	assert_int_equal(
		posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600),
		0);
	sigemptyset(&dfl);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigs[i] != ignore)
			sigaddset(&dfl, sigs[i]);
	sigemptyset(&none);
	assert_int_equal(posix_spawnattr_init(&attr), 0);
	assert_int_equal(posix_spawnattr_setsigdefault(&attr, &dfl), 0);
	assert_int_equal(posix_spawnattr_setsigmask(&attr, &none), 0);
	assert_int_equal(
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK), 0);
	/* An ignored signal stays ignored across exec: that is how nohup works. */
	if (ignore)
		assert_int_equal(sigaction(ignore, &ign, &old), 0);
	assert_int_equal(posix_spawn(&pid, bench, &fa, &attr, argv, environ), 0);
	if (ignore)
		assert_int_equal(sigaction(ignore, &old, NULL), 0);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

/* bench_start_in() with standard input from /dev/null. */
static inline pid_t bench_start(const char *const *args, int out_fd, const char *out,
				const char *err, int ignore)
{
	return bench_start_in(args, NULL, out_fd, out, err, ignore);
}

/*
 * Wait for the child @pid at most @seconds: its wait status, or a failed test (after
 * SIGKILL) if it is still running, so that a command that runs when it should not fails the
 * test quickly.
 */
static inline int bench_wait(pid_t pid, double seconds)
{
	struct timespec nap = {0, 5000000};
	int st;

	for (double waited = 0; waited < seconds; waited += 0.005) {
		pid_t got = waitpid(pid, &st, WNOHANG);

		assert_true(got >= 0);
		if (got == pid)
			return st;
		nanosleep(&nap, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	fail_msg("process %d still running after %.0f s", (int)pid, seconds);
	return -1;
}

/*
 * Run iommusim-bench with @args, at most @seconds; standard input from the file @in (NULL:
 * /dev/null); standard output to @out when not NULL (r->out is then empty), else captured
 * like standard error.
 */
static inline void run_bench_io(const char *const *args, const char *in, const char *out,
				double seconds, struct run *r)
{
	struct dir io;
	char out_path[4300], err_path[4300];
	int st;

	dir_make(&io);
	snprintf(out_path, sizeof(out_path), "%s/stdout", io.path);
	snprintf(err_path, sizeof(err_path), "%s/stderr", io.path);
	if (out) {
		int fd = open(out, O_WRONLY);

		assert_true(fd >= 0);
		st = bench_wait(bench_start_in(args, in, fd, NULL, err_path, 0), seconds);
		close(fd);
		r->out = calloc(1, 1);
		assert_non_null(r->out);
		r->outlen = 0;
	} else {
		st = bench_wait(bench_start_in(args, in, -1, out_path, err_path, 0), seconds);
		r->out = slurp(out_path, &r->outlen);
	}
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r->err = slurp(err_path, &r->errlen);
	dir_remove(&io);
}

/* run_bench_io() with standard input from /dev/null. */
static inline void run_bench_to(const char *const *args, const char *out, double seconds,
				struct run *r)
{
	run_bench_io(args, NULL, out, seconds, r);
}

/* Run iommusim-bench with @args (NULL-terminated, without argv[0]), streams captured. */
static inline void run_bench(const char *const *args, struct run *r)
{
	run_bench_io(args, NULL, NULL, 600, r);
}

/* The same with standard input from the file @in. */
static inline void run_bench_in(const char *const *args, const char *in, struct run *r)
{
	run_bench_io(args, in, NULL, 600, r);
}

static inline void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static inline void expect_ok(const struct run *r)
{
	if (r->status != 0)
		fail_msg("exit status %d; stderr: %s", r->status, r->err);
}

/* Run @a_args and @b_args, both successfully and with the same output, kept in @a. */
static inline void run_bench_same(const char *const *a_args, const char *const *b_args,
				  struct run *a)
{
	struct run b;

	run_bench(a_args, a);
	expect_ok(a);
	run_bench(b_args, &b);
	expect_ok(&b);
	assert_int_equal(a->outlen, b.outlen);
	assert_memory_equal(a->out, b.out, a->outlen);
	run_free(&b);
}

/* The text of CSV line @line (from 0) in column @name of the header @csv starts with. */
static inline const char *csv_cell(const char *csv, size_t line, const char *name)
{
	const char *row = csv, *h = csv;
	size_t col = 0;

	for (size_t i = 0; i <= line; i++)
		row = strchr(row, '\n') + 1;
	for (;
	     strncmp(h, name, strlen(name)) || (h[strlen(name)] != ',' && h[strlen(name)] != '\n');
	     h++)
		if (*h == ',')
			col++;
		else if (*h == '\n')
			fail_msg("no column %s", name);
	for (size_t i = 0; i < col; i++)
		row = strchr(row, ',') + 1;
	return row;
}

/* iommusim-bench @args succeeds, and its standard output holds each of the @n @words. */
static inline void expect_out_has(const char *const *args, const char *const *words, size_t n)
{
	struct run r;

	run_bench(args, &r);
	expect_ok(&r);
	for (size_t i = 0; i < n; i++)
		if (!strstr(r.out, words[i]))
			fail_msg("standard output lacks '%s': %s", words[i], r.out);
	run_free(&r);
}

/*
 * `compare --json FILE` and the @n words @words refused before anything runs: exit status 2,
 * nothing on standard output, one line on standard error starting with @message, and no file
 * left in the directory that FILE was in.
 */
static inline void expect_compare_refused(const char *const *words, size_t n, const char *message)
{
	const char *args[16] = {"compare", "--json", NULL};
	struct dir d;
	struct run r;

	assert_true(n <= 12);
	for (size_t k = 0; k < n; k++)
		args[3 + k] = words[k];
	args[3 + n] = NULL;
	dir_make(&d);
	args[2] = d.json;
	run_bench(args, &r);
	if (r.status != 2)
		fail_msg("%s: exit status %d, expected 2", message, r.status);
	assert_int_equal(r.outlen, 0);
	if (r.errlen == 0 || r.err[r.errlen - 1] != '\n' ||
	    strchr(r.err, '\n') != r.err + r.errlen - 1)
		fail_msg("%s: stderr is not one line: '%s'", message, r.err);
	if (strncmp(r.err, message, strlen(message)))
		fail_msg("got '%s', expected '%s...'", r.err, message);
	expect_dir_empty(&d);
	run_free(&r);
	dir_remove(&d);
}

/* Lines of @text (NULL: none) that start with @prefix. */
static inline size_t lines_starting(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += !strncmp(p, prefix, len);
	return n;
}

#endif /* TESTS_COMMON_BENCH_CHILD_H */
