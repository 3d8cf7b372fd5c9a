/* SPDX-License-Identifier: MIT */
/*
 * The runner of a golden test suite: every NAME.ops in the suite's folders is replayed and
 * its output must equal NAME.out byte for byte; the first difference is shown by line. The
 * folders come from two environment variables of colon-separated lists: one set by the build,
 * which must hold the suite's required files, and one the caller may set to add more. Files
 * dropped into a folder are picked up without code changes; the same name in two folders
 * stays two tests. Header-only (include it after cmocka.h): golden_suites[] holds the two
 * suites (the IOVA and the TCE allocator), each with its replay, its variables and its
 * required files, and a suite's main() hands its entry to golden_main().
 */
#ifndef TESTS_COMMON_GOLDEN_RUNNER_H
#define TESTS_COMMON_GOLDEN_RUNNER_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iova_replay.h>
#include <iommusim/tce_replay.h>

/* A replay with its default options (iommusim_iova_replay(), iommusim_tce_replay()). */
typedef int (*golden_replay_fn)(FILE *in, const char *name, FILE *out, char *errbuf, size_t errlen);

struct golden_suite {
	/* the CMocka group */
	const char *name;
	golden_replay_fn replay;
	/* set by the build: folders that must hold every required file */
	const char *builtin_env;
	/* the caller's own: more folders of the same format */
	const char *extra_env;
	/* stems (NAME of NAME.ops) the suite is known to be checked against */
	const char *const *required;
	size_t nrequired;
};

/* One test: a golden file's stem (its path without ".ops"), and how to replay it. */
struct golden_case {
	const struct golden_suite *suite;
	const char *stem;
};

static inline char *golden_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else if (buf) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/* Line number (from 1) of the first difference, for a readable failure. */
static inline size_t golden_first_diff_line(const char *a, size_t alen, const char *b, size_t blen,
					    size_t *offset)
{
	size_t line = 1, i = 0;

	while (i < alen && i < blen && a[i] == b[i]) {
		if (a[i] == '\n')
			line++;
		i++;
	}
	*offset = i;
	return line;
}

static inline void golden_print_line(const char *what, const char *buf, size_t len, size_t at)
{
	size_t start = at, end = at;

	while (start > 0 && buf[start - 1] != '\n')
		start--;
	while (end < len && buf[end] != '\n')
		end++;
	print_error("  %s: %.*s\n", what, (int)(end - start), buf + start);
}

static inline void golden_replay_matches(void **state)
{
	const struct golden_case *c = *state;
	char ops_path[4096], out_path[4096], errbuf[512];
	char *expected, *got = NULL;
	size_t explen = 0, gotlen = 0, at;
	FILE *in, *out;
	int err;

	snprintf(ops_path, sizeof(ops_path), "%s.ops", c->stem);
	snprintf(out_path, sizeof(out_path), "%s.out", c->stem);
	expected = golden_read_file(out_path, &explen);
	if (!expected)
		fail_msg("cannot read %s", out_path);
	in = fopen(ops_path, "rb");
	if (!in)
		fail_msg("cannot read %s", ops_path);
	out = open_memstream(&got, &gotlen);
	assert_non_null(out);

	err = c->suite->replay(in, ops_path, out, errbuf, sizeof(errbuf));
	fclose(in);
	fclose(out);
	if (err)
		fail_msg("replay failed: %s", errbuf);
	if (gotlen != explen || memcmp(got, expected, explen)) {
		size_t line = golden_first_diff_line(expected, explen, got, gotlen, &at);

		print_error("%s: output differs from %s at output line %zu\n", ops_path, out_path,
			    line);
		golden_print_line("expected", expected, explen, at);
		golden_print_line("got     ", got, gotlen, at);
		free(expected);
		free(got);
		fail();
	}
	free(expected);
	free(got);
}

static inline int golden_by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The stems of the golden files found so far. */
struct golden_stems {
	char **v;
	size_t n, cap;
};

/* Add every NAME.ops of folder @dir (@len bytes of a list); 0, or -1 if it cannot be read. */
static inline int golden_add_folder(struct golden_stems *st, const char *dir, size_t len)
{
	struct dirent *e;
	DIR *d;
	char *path = strndup(dir, len);

	if (!path || !(d = opendir(path))) {
		fprintf(stderr, "golden folder '%.*s' cannot be read\n", (int)len, dir);
		free(path);
		return -1;
	}
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n < 5 || strcmp(e->d_name + n - 4, ".ops"))
			continue;
		if (st->n == st->cap) {
			st->cap = st->cap ? st->cap * 2 : 16;
			st->v = realloc(st->v, st->cap * sizeof(*st->v));
			assert_non_null(st->v);
		}
		st->v[st->n] = malloc(len + n + 2);
		assert_non_null(st->v[st->n]);
		sprintf(st->v[st->n], "%s/%.*s", path, (int)(n - 4), e->d_name);
		st->n++;
	}
	closedir(d);
	free(path);
	return 0;
}

/* Every folder of a colon-separated list (empty items are skipped); 0 or -1. */
static inline int golden_add_folders(struct golden_stems *st, const char *list)
{
	while (list && *list) {
		const char *colon = strchr(list, ':');
		size_t len = colon ? (size_t)(colon - list) : strlen(list);

		if (len && golden_add_folder(st, list, len))
			return -1;
		list = colon ? colon + 1 : NULL;
	}
	return 0;
}

/* Every required stem is among those found (by its file name, in any folder); 0 or -1. */
static inline int golden_check_required(const struct golden_suite *suite,
					const struct golden_stems *st, const char *builtin)
{
	for (size_t r = 0; r < suite->nrequired; r++) {
		bool found = false;

		for (size_t i = 0; i < st->n && !found; i++) {
			const char *base = strrchr(st->v[i], '/') + 1;

			found = !strcmp(base, suite->required[r]);
		}
		if (!found) {
			fprintf(stderr, "golden file %s.ops is missing from %s\n",
				suite->required[r], builtin);
			return -1;
		}
	}
	return 0;
}

/* The whole suite: the exit status of its main(). */
static inline int golden_main(const struct golden_suite *suite)
{
	const char *builtin = getenv(suite->builtin_env);
	struct golden_stems st = {0};
	struct golden_case *cases;
	struct CMUnitTest *tests;
	int failed;

	if (!builtin || !*builtin) {
		fprintf(stderr, "%s is not set (run through meson test)\n", suite->builtin_env);
		return 1;
	}
	if (golden_add_folders(&st, builtin) || golden_add_folders(&st, getenv(suite->extra_env)))
		return 1;
	qsort(st.v, st.n, sizeof(*st.v), golden_by_name);
	if (golden_check_required(suite, &st, builtin))
		return 1;

	tests = calloc(st.n, sizeof(*tests));
	cases = calloc(st.n, sizeof(*cases));
	assert_non_null(tests);
	assert_non_null(cases);
	for (size_t i = 0; i < st.n; i++) {
		cases[i] = (struct golden_case){.suite = suite, .stem = st.v[i]};
		/* the whole stem, so the same name in two folders stays two tests */
		tests[i].name = st.v[i];
		tests[i].test_func = golden_replay_matches;
		tests[i].initial_state = &cases[i];
	}
	failed = _cmocka_run_group_tests(suite->name, tests, st.n, NULL, NULL);
	for (size_t i = 0; i < st.n; i++)
		free(st.v[i]);
	free(st.v);
	free(cases);
	free(tests);
	return failed;
}

static inline int golden_replay_iova(FILE *in, const char *name, FILE *out, char *errbuf,
				     size_t errlen)
{
	return iommusim_iova_replay(in, name, NULL, out, errbuf, errlen);
}

static inline int golden_replay_tce(FILE *in, const char *name, FILE *out, char *errbuf,
				    size_t errlen)
{
	return iommusim_tce_replay(in, name, NULL, out, errbuf, errlen);
}

/* The files each allocator is known to be checked against; a missing one fails the suite. */
static const char *const golden_iova_required[] = {"quirks", "random-32bit", "random-64bit",
						   "nvme-rbtree"};
static const char *const golden_tce_required[] = {"basic-small", "default-2g-pools", "mask-limit",
						  "reserved-mmio32"};

enum { GOLDEN_IOVA, GOLDEN_TCE };

/*
 * The suites. IOMMUSIM_GOLDEN_BUILTIN is set by the build to the repository's copy of the
 * Linux IOVA outputs (tests/data/golden/iova) and the Meson option golden_dir,
 * IOMMUSIM_GOLDEN_TCE_BUILTIN to that of the TCE outputs (tests/data/golden/tce);
 * IOMMUSIM_GOLDEN_DIR and IOMMUSIM_GOLDEN_TCE_DIR, the caller's own environment, add more
 * folders of the same format (colon-separated).
 */
static const struct golden_suite golden_suites[] = {
	[GOLDEN_IOVA] = {"golden_iova", golden_replay_iova, "IOMMUSIM_GOLDEN_BUILTIN",
			 "IOMMUSIM_GOLDEN_DIR", golden_iova_required,
			 sizeof(golden_iova_required) / sizeof(golden_iova_required[0])},
	[GOLDEN_TCE] = {"golden_tce", golden_replay_tce, "IOMMUSIM_GOLDEN_TCE_BUILTIN",
			"IOMMUSIM_GOLDEN_TCE_DIR", golden_tce_required,
			sizeof(golden_tce_required) / sizeof(golden_tce_required[0])},
};

#endif /* TESTS_COMMON_GOLDEN_RUNNER_H */
