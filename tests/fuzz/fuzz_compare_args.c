/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the command line of iommusim-bench compare (compare_parse(), in
 * bench/compare_args.c). The input is the argument list, NUL-separated, after an implicit
 * argv[0] of "compare". Invariants checked on every input:
 * - the answer is 0 (run), 1 (--help or --list printed) or -1 (an error);
 * - -1 prints one error line "compare: ..." on standard error and nothing on standard output
 *   (a value echoed in the message may hold newlines of its own, and only those add lines);
 *   1 prints something on standard output and nothing on standard error; 0 prints nothing;
 * - on 0 the options are consistent: a scenario; 1 to COMPARE_MAX_PLATFORMS platforms, each a
 *   known cost profile given once, with its kind; 1 to IOMMUSIM_POLICY_NR distinct policies;
 *   repeat, draws, jobs and the times within the bounds the parser promises; at most argc
 *   --set values, each one of the arguments; --sensitivity only with what it needs;
 * - a second parse of the same arguments gives the same answer, the same messages and the
 *   same options (nothing depends on getopt's state or memory left over from the first).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "compare.h"
#include "fuzz_common.h"

/* Longer inputs add arguments, not new kinds of argument; they only slow the search. */
#define MAX_INPUT 4096
/*
 * Arguments after argv[0]: beyond 64 so that a list of --platform=X alone reaches the
 * parser's limit of 64 --platform options (MAX_PLATFORM_ARGS in compare_args.c).
 */
#define MAX_ARGS 72

/* The long options that name a report file, in full. */
static const char *const file_options[] = {"csv", "json"};

/*
 * Whether @arg is an option naming a report file as getopt_long reads it: "--csv",
 * "--csv=X", or a prefix of the name, which getopt_long accepts when no other option shares
 * it ("--cs", "--c", "--js"; "--j" is also jobs, an error, dropped all the same). *@joined
 * says whether the value is in @arg ("--csv=X") rather than the next argument.
 */
static bool is_file_option(const char *arg, bool *joined)
{
	const char *name = arg + 2, *eq;
	size_t len;

	if (strncmp(arg, "--", 2))
		return false;
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	/* "--" ends the options; "--=X" matches every option, which is ambiguous: an error. */
	if (!len)
		return false;
	*joined = eq != NULL;
	for (size_t i = 0; i < sizeof(file_options) / sizeof(file_options[0]); i++)
		if (len <= strlen(file_options[i]) && !strncmp(name, file_options[i], len))
			return true;
	return false;
}

/*
 * Split @data into arguments at NUL bytes, dropping every --csv and --json option with its
 * value. Why: compare_parse() checks a report path as soon as it has read it (outfile_check:
 * stat, lstat, readlink and realpath on it, through links and up to its directory), so a
 * fuzzed path would make the target probe the host's file system: /proc, automounts,
 * whatever the machine has. What it answers differs between machines and can change between
 * two parses, which would break the reproducibility of a crash and the second-parse check,
 * and it is slow. The path checks have their own tests (tests/integration/
 * test_bench_outputs.c); here the options themselves are what is fuzzed. The parser creates
 * no file in any case: outfile_open() does, in cmd_compare.c, after compare_parse(), and the
 * target never calls it, so it needs no directory of its own to clean up.
 *
 * Dropping is deliberately generous: any argument that could be read as such an option is
 * dropped with the one after it, even where getopt_long would have read it as another
 * option's value or after "--". That only removes inputs; it never lets a path through, and
 * the target checks after each parse that none came through.
 *
 * Returns argc (argv[0] included); @buf holds the strings, NUL-terminated.
 */
static int split_args(const uint8_t *data, size_t size, char *buf, char **argv)
{
	char *args[MAX_ARGS];
	size_t nargs = 0;
	int argc = 0;

	memcpy(buf, data, size);
	buf[size] = '\0';
	/* A trailing NUL ends the last argument rather than starting an empty one. */
	if (size) {
		size_t end = data[size - 1] == '\0' ? size - 1 : size, start = 0;

		for (size_t i = 0; i <= end && nargs < MAX_ARGS; i++) {
			if (i == end || buf[i] == '\0') {
				args[nargs++] = buf + start;
				start = i + 1;
			}
		}
	}
	argv[argc++] = (char *)"compare";
	for (size_t i = 0; i < nargs; i++) {
		bool joined = false;

		if (is_file_option(args[i], &joined)) {
			if (!joined)
				i++; /* its value */
			continue;
		}
		argv[argc++] = args[i];
	}
	argv[argc] = NULL;
	return argc;
}

/* What one parse did: its answer, its options, and what it printed where. */
struct parse {
	int ret;
	struct compare_opts o;
	struct outfile csv, json;
	char *out, *err;
	size_t outlen, errlen;
};

/*
 * Parse @argv (argc entries) as cmd_compare() does, on a copy of the pointer array (getopt_long
 * reorders it), with standard output and error caught in memory. glibc lets a program assign
 * stdout and stderr; the sanitizers and libFuzzer write to file descriptor 2 directly, so a
 * crash inside the parser is still reported where it should be.
 */
static void parse(int argc, char *const *argv, struct parse *p)
{
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	FILE *real_out = stdout, *real_err = stderr, *out, *err;

	*p = (struct parse){.csv = {.cmd = "compare", .opt = "--csv"},
			    .json = {.cmd = "compare", .opt = "--json"}};
	p->o.sets = calloc((size_t)argc + 1, sizeof(*p->o.sets));
	FUZZ_CHECK(args && p->o.sets);
	memcpy(args, argv, (size_t)argc * sizeof(*args));
	p->o.args = (const char *const *)argv;
	p->o.nargs = argc;
	out = open_memstream(&p->out, &p->outlen);
	err = open_memstream(&p->err, &p->errlen);
	FUZZ_CHECK(out && err);

	/* 0, not 1: glibc then also forgets a half-read cluster of short options ("-xy"). */
	optind = 0;
	stdout = out;
	stderr = err;
	p->ret = compare_parse(argc, args, &p->o, &p->csv, &p->json, NULL);
	stdout = real_out;
	stderr = real_err;

	FUZZ_CHECK(!fclose(out) && !fclose(err));
	/* What cmd_compare() releases after a parse; the parser itself keeps no memory. */
	outfile_abandon(&p->csv);
	outfile_abandon(&p->json);
	free(args);
}

static void parse_free(struct parse *p)
{
	free(p->o.sets);
	free(p->out);
	free(p->err);
}

static size_t count_char(const char *s, size_t len, char c)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == c;
	return n;
}

static bool is_profile(const char *name)
{
	for (size_t i = 0; i < iommusim_cost_profile_count(); i++)
		if (name == iommusim_cost_profile(i)->name)
			return true;
	return false;
}

static bool is_arg(const char *s, int argc, char *const *argv)
{
	for (int i = 1; i < argc; i++)
		if (s == argv[i])
			return true;
	return false;
}

/* @s is an argument, or the value in one after its '=' ("--set=X"). All live in one buffer. */
static bool is_value(const char *s, int argc, char *const *argv)
{
	for (int i = 1; i < argc; i++)
		if (s == argv[i] || (s > argv[i] && s <= argv[i] + strlen(argv[i]) && s[-1] == '='))
			return true;
	return false;
}

/* The options of a parse that answered 0. */
static void check_opts(const struct compare_opts *o, int argc, char *const *argv)
{
	FUZZ_CHECK(o->sc != NULL);
	FUZZ_CHECK(o->nplatforms >= 1 && o->nplatforms <= COMPARE_MAX_PLATFORMS);
	for (size_t i = 0; i < o->nplatforms; i++) {
		enum iommusim_platform_kind kind;

		/* The profile's own name, resolved, not the text given. */
		FUZZ_CHECK(is_profile(o->platforms[i]));
		FUZZ_CHECK(!iommusim_platform_lookup(o->platforms[i], &kind) &&
			   kind == o->kinds[i]);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(o->platforms[j] != o->platforms[i]);
	}
	FUZZ_CHECK(o->npolicies >= 1 && o->npolicies <= IOMMUSIM_POLICY_NR);
	for (size_t i = 0; i < o->npolicies; i++) {
		FUZZ_CHECK((unsigned int)o->policies[i] < IOMMUSIM_POLICY_NR);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(o->policies[j] != o->policies[i]);
	}
	FUZZ_CHECK(o->repeat >= 1 && o->repeat <= COMPARE_MAX_REPEAT);
	FUZZ_CHECK(o->draws == 0 ||
		   (o->draws >= COMPARE_MIN_DRAWS && o->draws <= COMPARE_MAX_DRAWS));
	FUZZ_CHECK(o->jobs >= 1 && o->jobs <= COMPARE_MAX_JOBS);
	FUZZ_CHECK(o->measure_ns > 0 && o->measure_ns <= UINT64_C(3600000000000));
	FUZZ_CHECK(o->warmup_ns <= UINT64_C(3600000000000));
	FUZZ_CHECK(o->nsets <= (size_t)argc);
	for (size_t i = 0; i < o->nsets; i++)
		FUZZ_CHECK(is_value(o->sets[i], argc, argv));
	/* The words that gave --jobs: "--jobs N" (two arguments) or "--jobs=N" (one). */
	FUZZ_CHECK(!o->jobs_args[0] || is_arg(o->jobs_args[0], argc, argv));
	FUZZ_CHECK(!o->jobs_args[1] || is_arg(o->jobs_args[1], argc, argv));
	FUZZ_CHECK(!o->draw_fitted || o->draws);
	if (o->sensitivity) {
		FUZZ_CHECK(o->nplatforms == 1 && o->npolicies == 1);
		FUZZ_CHECK(o->policies[0] != IOMMUSIM_POLICY_LEGACY);
		FUZZ_CHECK(o->repeat == 1 && o->draws == 0 && !o->draw_fitted);
	}
}

static bool same_opts(const struct compare_opts *a, const struct compare_opts *b)
{
	if (a->sc != b->sc || a->nplatforms != b->nplatforms || a->npolicies != b->npolicies ||
	    a->nsets != b->nsets || a->seed != b->seed || a->warmup_ns != b->warmup_ns ||
	    a->measure_ns != b->measure_ns || a->jobs != b->jobs || a->repeat != b->repeat ||
	    a->draws != b->draws || a->draw_fitted != b->draw_fitted ||
	    a->sensitivity != b->sensitivity || a->jobs_args[0] != b->jobs_args[0] ||
	    a->jobs_args[1] != b->jobs_args[1])
		return false;
	/* Both parses read the same strings: equal values are equal pointers. */
	for (size_t i = 0; i < a->nplatforms; i++)
		if (a->platforms[i] != b->platforms[i] || a->kinds[i] != b->kinds[i])
			return false;
	for (size_t i = 0; i < a->npolicies; i++)
		if (a->policies[i] != b->policies[i])
			return false;
	for (size_t i = 0; i < a->nsets; i++)
		if (a->sets[i] != b->sets[i])
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[MAX_INPUT + 1], *argv[MAX_ARGS + 2];
	struct parse a, b;
	size_t arg_newlines;
	int argc;

	if (size > MAX_INPUT)
		return -1;
	argc = split_args(data, size, buf, argv);
	arg_newlines = count_char(buf, size, '\n');

	parse(argc, argv, &a);
	FUZZ_CHECK(a.ret == 0 || a.ret == 1 || a.ret == -1);
	/* The file options were dropped before the parse; none may have come through. */
	FUZZ_CHECK(!a.csv.path && !a.json.path);
	if (a.ret == -1) {
		FUZZ_CHECK(a.outlen == 0);
		FUZZ_CHECK(a.errlen > 9 && !strncmp(a.err, "compare: ", 9));
		FUZZ_CHECK(a.err[a.errlen - 1] == '\n' && strlen(a.err) == a.errlen);
		FUZZ_CHECK(count_char(a.err, a.errlen, '\n') <= 1 + arg_newlines);
	} else if (a.ret == 1) {
		FUZZ_CHECK(a.errlen == 0 && a.outlen > 0);
	} else {
		FUZZ_CHECK(a.errlen == 0 && a.outlen == 0);
		check_opts(&a.o, argc, argv);
	}

	parse(argc, argv, &b);
	FUZZ_CHECK(b.ret == a.ret);
	FUZZ_CHECK(b.outlen == a.outlen && !memcmp(b.out, a.out, a.outlen));
	FUZZ_CHECK(b.errlen == a.errlen && !memcmp(b.err, a.err, a.errlen));
	if (a.ret == 0)
		FUZZ_CHECK(same_opts(&a.o, &b.o));
	parse_free(&a);
	parse_free(&b);
	return 0;
}
