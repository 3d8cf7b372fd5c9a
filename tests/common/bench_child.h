/* SPDX-License-Identifier: MIT */
/*
 * Running iommusim-bench ($IOMMUSIM_BENCH) from an integration test: as a child process
 * with its standard streams in temporary files, its reports in a temporary directory that
 * the test names. Header-only (include it after cmocka.h), so each test executable gets its
 * own copy.
 */
#ifndef TESTS_COMMON_BENCH_CHILD_H
#define TESTS_COMMON_BENCH_CHILD_H

#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

static inline void dir_remove(struct dir *d)
{
	char tmp[4300];

	unlink(d->csv);
	unlink(d->json);
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->csv);
	unlink(tmp);
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->json);
	unlink(tmp);
	rmdir(d->path);
}

/* Nothing under the directory: no report, no leftover PATH.tmp. */
static inline void expect_dir_empty(const struct dir *d)
{
	char tmp[4300];

	assert_false(exists(d->csv));
	assert_false(exists(d->json));
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->csv);
	assert_false(exists(tmp));
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->json);
	assert_false(exists(tmp));
}

/* Run iommusim-bench with @args (NULL-terminated, without argv[0]), streams captured. */
static inline void run_bench(const char *const *args, struct run *r)
{
	const char *bench = env_required("IOMMUSIM_BENCH");
	struct dir io;
	char out_path[4300], err_path[4300];
	char *argv[48];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, n = 0;

	dir_make(&io);
	snprintf(out_path, sizeof(out_path), "%s/stdout", io.path);
	snprintf(err_path, sizeof(err_path), "%s/stderr", io.path);
	argv[n++] = (char *)bench;
	while (args[n - 1]) {
		assert_true(n < 47);
		argv[n] = (char *)args[n - 1];
		n++;
	}
	argv[n] = NULL;

	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 1, out_path,
							  O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 2, err_path,
							  O_WRONLY | O_CREAT | O_TRUNC, 0600), 0);
	assert_int_equal(posix_spawn(&pid, bench, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r->out = slurp(out_path, &r->outlen);
	r->err = slurp(err_path, &r->errlen);
	unlink(out_path);
	unlink(err_path);
	rmdir(io.path);
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

#endif /* TESTS_COMMON_BENCH_CHILD_H */
