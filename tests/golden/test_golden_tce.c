/* SPDX-License-Identifier: MIT */
/*
 * Golden tests of the powerpc TCE allocator: every NAME.ops in the golden folders (main() says
 * which) is replayed with iommusim_tce_replay() and its output must equal NAME.out byte for
 * byte. The files come from the Linux 6.12 allocator (tests/data/golden/tce/README.md); any
 * difference is a bug here. Files dropped into a folder are picked up without code changes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

/* The files the allocator is known to be checked against; a missing one fails the suite. */
static const char *const required[] = { "basic-small", "default-2g-pools", "mask-limit",
					 "reserved-mmio32" };

static char *read_file(const char *path, size_t *len)
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
static size_t first_diff_line(const char *a, size_t alen, const char *b, size_t blen,
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

static void print_line(const char *what, const char *buf, size_t len, size_t at)
{
	size_t start = at, end = at;

	while (start > 0 && buf[start - 1] != '\n')
		start--;
	while (end < len && buf[end] != '\n')
		end++;
	print_error("  %s: %.*s\n", what, (int)(end - start), buf + start);
}

static void test_golden_tce_replay_matches(void **state)
{
	const char *stem = *state;
	char ops_path[4096], out_path[4096], errbuf[512];
	char *expected, *got = NULL;
	size_t explen = 0, gotlen = 0, at;
	FILE *in, *out;
	int err;

	snprintf(ops_path, sizeof(ops_path), "%s.ops", stem);
	snprintf(out_path, sizeof(out_path), "%s.out", stem);
	expected = read_file(out_path, &explen);
	if (!expected)
		fail_msg("cannot read %s", out_path);
	in = fopen(ops_path, "rb");
	if (!in)
		fail_msg("cannot read %s", ops_path);
	out = open_memstream(&got, &gotlen);
	assert_non_null(out);

	err = iommusim_tce_replay(in, ops_path, NULL, out, errbuf, sizeof(errbuf));
	fclose(in);
	fclose(out);
	if (err)
		fail_msg("replay failed: %s", errbuf);
	if (gotlen != explen || memcmp(got, expected, explen)) {
		size_t line = first_diff_line(expected, explen, got, gotlen, &at);

		print_error("%s: output differs from %s at output line %zu\n", ops_path, out_path,
			    line);
		print_line("expected", expected, explen, at);
		print_line("got     ", got, gotlen, at);
		free(expected);
		free(got);
		fail();
	}
	free(expected);
	free(got);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The stems (path without ".ops") of the golden files found so far. */
struct stems {
	char **v;
	size_t n, cap;
};

/* Add every NAME.ops of folder @dir (@len bytes of a list); 0, or -1 if it cannot be read. */
static int add_folder(struct stems *st, const char *dir, size_t len)
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
static int add_folders(struct stems *st, const char *list)
{
	while (list && *list) {
		const char *colon = strchr(list, ':');
		size_t len = colon ? (size_t)(colon - list) : strlen(list);

		if (len && add_folder(st, list, len))
			return -1;
		list = colon ? colon + 1 : NULL;
	}
	return 0;
}

/*
 * The folders: IOMMUSIM_GOLDEN_TCE_BUILTIN, set by the build to the repository's copy of the
 * Linux outputs (tests/data/golden/tce), must hold the required files;
 * IOMMUSIM_GOLDEN_TCE_DIR, the caller's own environment, adds more folders of the same
 * format (colon-separated).
 */
int main(void)
{
	const char *builtin = getenv("IOMMUSIM_GOLDEN_TCE_BUILTIN");
	struct stems st = { 0 };
	struct CMUnitTest *tests;
	int failed;

	if (!builtin || !*builtin) {
		fprintf(stderr,
			"IOMMUSIM_GOLDEN_TCE_BUILTIN is not set (run through meson test)\n");
		return 1;
	}
	if (add_folders(&st, builtin) || add_folders(&st, getenv("IOMMUSIM_GOLDEN_TCE_DIR")))
		return 1;
	qsort(st.v, st.n, sizeof(*st.v), by_name);

	for (size_t r = 0; r < sizeof(required) / sizeof(required[0]); r++) {
		bool found = false;

		for (size_t i = 0; i < st.n && !found; i++) {
			const char *base = strrchr(st.v[i], '/') + 1;

			found = !strcmp(base, required[r]);
		}
		if (!found) {
			fprintf(stderr, "golden file %s.ops is missing from %s\n", required[r],
				builtin);
			return 1;
		}
	}

	tests = calloc(st.n, sizeof(*tests));
	assert_non_null(tests);
	for (size_t i = 0; i < st.n; i++) {
		/* the whole stem, so the same name in two folders stays two tests */
		tests[i].name = st.v[i];
		tests[i].test_func = test_golden_tce_replay_matches;
		tests[i].initial_state = st.v[i];
	}
	failed = _cmocka_run_group_tests("golden_tce", tests, st.n, NULL, NULL);
	for (size_t i = 0; i < st.n; i++)
		free(st.v[i]);
	free(st.v);
	free(tests);
	return failed;
}
