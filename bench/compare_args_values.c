/* SPDX-License-Identifier: MIT */
/*
 * The values and messages of compare's and sweep's command line: numbers and times, the
 * platform and policy lists, and the one-line errors "CMD: --option: problem" (or
 * "FILE:LINE: key: problem" for a value a job file gave).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "compare_args.h"

/* The command whose line this is, for messages: "compare" or "sweep". */
const char *args_cmd = "compare";
/* The options being parsed: where a job file's words came from. */
const struct compare_opts *args_parsing;

#define NS_PER_SEC 1000000000ull
/* Longer than any useful simulation, short enough that ns never overflow. */
#define MAX_SECONDS 3600u

/* Digits only, no sign or blanks; 0 or -1. */
int args_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (*s < '0' || *s > '9' || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/*
 * Decimal seconds ("2", "0.5", ".25") in [0, MAX_SECONDS], to exact nanoseconds: at most nine
 * decimals, so that no rounding hides in the simulated time. 0 or -1.
 */
int args_parse_seconds(const char *s, uint64_t *ns)
{
	uint64_t whole = 0, frac = 0, scale = NS_PER_SEC;
	bool digits = false;

	for (; *s >= '0' && *s <= '9'; s++, digits = true) {
		whole = whole * 10 + (uint64_t)(*s - '0');
		if (whole > MAX_SECONDS)
			return -1;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, digits = true) {
			if (scale == 1)
				return -1;
			scale /= 10;
			frac += (uint64_t)(*s - '0') * scale;
		}
	}
	if (*s || !digits)
		return -1;
	*ns = whole * NS_PER_SEC + frac;
	return *ns > MAX_SECONDS * NS_PER_SEC ? -1 : 0;
}

/* Whether the word getopt_long last read came from the job file. */
bool args_from_job(void)
{
	int i = optind - 1;

	return args_parsing && args_parsing->job_path && i >= 1 &&
	       (size_t)i <= args_parsing->job_words;
}

/* "compare: --opt: ", or "FILE:LINE: key: " for a value of the job file. */
static void err_prefix(const char *opt)
{
	if (args_from_job())
		fprintf(stderr, "%s:%u: %s: ", args_parsing->job_path,
			args_parsing->job_lines[optind - 2], opt + 2);
	else
		fprintf(stderr, "%s: %s: ", args_cmd, opt);
}

int args_bad_value(const char *opt, const char *problem, const char *value)
{
	char shown[160];

	err_prefix(opt);
	fprintf(stderr, "%s '%s'\n", problem, cli_shown(value, shown, sizeof(shown)));
	return -1;
}

int args_given_twice(const char *opt, bool given)
{
	if (given) {
		err_prefix(opt);
		fprintf(stderr, "given twice\n");
	}
	return given ? -1 : 0;
}

int args_given_once(const char *opt, bool *given)
{
	if (args_given_twice(opt, *given))
		return -1;
	*given = true;
	return 0;
}

int args_path_once(const char *opt, const char **path)
{
	if (args_given_twice(opt, *path != NULL))
		return -1;
	*path = optarg;
	return 0;
}

int args_parse_seconds_once(const char *opt, const char *problem, bool *given, uint64_t *ns)
{
	if (args_given_once(opt, given))
		return -1;
	if (args_parse_seconds(optarg, ns))
		return args_bad_value(opt, problem, optarg);
	return 0;
}

/* The known names, "a, b, c", for an error message: every profile is a platform. */
static void platform_names(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < iommusim_cost_profile_count() && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
					 iommusim_cost_profile(i)->name);
}

static void policy_names(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < IOMMUSIM_POLICY_NR && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
					 iommusim_policy_name((enum iommusim_policy)i));
}

/*
 * One comma-separated item of --platform (@platform) or --policy: looked up and added to
 * @o's list, rejecting empty, unknown and repeated names. 0 or -1.
 */
static int add_item(struct compare_opts *o, bool platform, const char *item, size_t len)
{
	const char *opt = platform ? "--platform" : "--policy";
	unsigned int id = 0, have[COMPARE_MAX_PLATFORMS + IOMMUSIM_POLICY_NR];
	size_t n = platform ? o->nplatforms : o->npolicies;
	char name[64], known[256], shown[160];
	const char *profile = NULL;
	int err;

	if (!len || len >= sizeof(name)) {
		char whole[sizeof(shown)];

		snprintf(whole, sizeof(whole), "%.*s", (int)len, item);
		fprintf(stderr, "%s: %s: %s name '%s'\n", args_cmd, opt, len ? "unknown" : "empty",
			cli_shown(whole, shown, sizeof(shown)));
		return -1;
	}
	memcpy(name, item, len);
	name[len] = '\0';
	if (platform) {
		/* names are compared as the profiles they stand for: kvm may be kvm-qemu7.1 */
		profile = iommusim_scenario_platform(o->sc, name);
		err = profile ? 0 : -ENOENT;
		platform_names(known, sizeof(known));
		for (size_t i = 0; i < n; i++)
			have[i] = o->platforms[i] == profile;
		id = 1;
	} else {
		enum iommusim_policy p;

		err = iommusim_policy_lookup(name, &p);
		id = (unsigned int)p;
		policy_names(known, sizeof(known));
		for (size_t i = 0; i < n; i++)
			have[i] = (unsigned int)o->policies[i];
	}
	if (err) {
		fprintf(stderr, "%s: %s: unknown %s '%s' (%s)\n", args_cmd, opt,
			platform ? "platform" : "policy", cli_shown(name, shown, sizeof(shown)),
			known);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (have[i] == id) {
			fprintf(stderr, "%s: %s: '%s' given twice\n", args_cmd, opt, name);
			return -1;
		}
	}
	/* Names are distinct and known, so a list never outgrows its array. */
	if (platform) {
		enum iommusim_platform_kind kind;

		iommusim_platform_lookup(profile, &kind);
		o->kinds[o->nplatforms] = kind;
		o->platforms[o->nplatforms++] = profile;
	} else {
		o->policies[o->npolicies++] = (enum iommusim_policy)id;
	}
	return 0;
}

int args_add_list(struct compare_opts *o, bool platform, const char *text)
{
	for (;;) {
		const char *comma = strchr(text, ',');
		size_t len = comma ? (size_t)(comma - text) : strlen(text);

		if (add_item(o, platform, text, len))
			return -1;
		if (!comma)
			return 0;
		text = comma + 1;
	}
}

/* --repeat K, --uncertainty N, --jobs N: a count in [@lo, @hi] of @what, given once. */
int args_parse_count(const char *opt, const char *what, unsigned int lo, unsigned int hi,
		     bool *given, unsigned int *out)
{
	char problem[64];

	if (args_given_once(opt, given))
		return -1;
	if (!cli_parse_uint(optarg, lo, hi, out))
		return 0;
	snprintf(problem, sizeof(problem), "not a number of %s in [%u, %u]:", what, lo, hi);
	return args_bad_value(opt, problem, optarg);
}

/*
 * The report must not depend on --jobs, so the command line it quotes leaves out the words
 * that gave it: "--jobs N" is two, "--jobs=N" one. They are the last ones getopt_long read,
 * and they are known by address, which its reordering of argv does not change.
 */
void args_note_jobs(struct compare_opts *o, char **argv)
{
	bool separate = optarg == argv[optind - 1];

	o->jobs_args[0] = separate ? argv[optind - 2] : argv[optind - 1];
	o->jobs_args[1] = separate ? optarg : NULL;
}
