/* SPDX-License-Identifier: MIT */
/*
 * The command line of iommusim-bench compare: every option checked before anything runs or
 * any file is opened, each problem one line "compare: --option: problem".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "compare.h"

#define CMD "compare"
#define NS_PER_SEC 1000000000ull
/* Longer than any useful simulation, short enough that ns never overflow. */
#define MAX_SECONDS 3600u

/* Digits only, no sign or blanks; 0 or -1. */
static int parse_u64(const char *s, uint64_t *out)
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
static int parse_seconds(const char *s, uint64_t *ns)
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

static int bad_value(const char *opt, const char *problem, const char *value)
{
	char shown[160];

	fprintf(stderr, CMD ": %s: %s '%s'\n", opt, problem, cli_shown(value, shown, sizeof(shown)));
	return -1;
}

static int given_twice(const char *opt, bool given)
{
	if (given)
		fprintf(stderr, CMD ": %s: given twice\n", opt);
	return given ? -1 : 0;
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
		fprintf(stderr, CMD ": %s: %s name '%s'\n", opt, len ? "unknown" : "empty",
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
		fprintf(stderr, CMD ": %s: unknown %s '%s' (%s)\n", opt,
			platform ? "platform" : "policy", cli_shown(name, shown, sizeof(shown)), known);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (have[i] == id) {
			fprintf(stderr, CMD ": %s: '%s' given twice\n", opt, name);
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

static int add_list(struct compare_opts *o, bool platform, const char *text)
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

/* --platform values are resolved once the scenario is known: plain kvm depends on it. */
#define MAX_PLATFORM_ARGS 64

struct given {
	bool scenario, seed, seconds, warmup, jobs, repeat, uncertainty, uncertainty_all;
	const char *platform_args[MAX_PLATFORM_ARGS];
	size_t nplatform_args;
};

/* --repeat K, --uncertainty N, --jobs N: a count in [@lo, @hi] of @what, given once. */
static int parse_count(const char *opt, const char *what, unsigned int lo, unsigned int hi,
		       bool *given, unsigned int *out)
{
	char problem[64];

	if (given_twice(opt, *given))
		return -1;
	*given = true;
	if (!cli_parse_uint(optarg, lo, hi, out))
		return 0;
	snprintf(problem, sizeof(problem), "not a number of %s in [%u, %u]:", what, lo, hi);
	return bad_value(opt, problem, optarg);
}

/*
 * The report must not depend on --jobs, so the command line it quotes leaves out the words
 * that gave it: "--jobs N" is two, "--jobs=N" one. They are the last ones getopt_long read,
 * and they are known by address, which its reordering of argv does not change.
 */
static void note_jobs_args(struct compare_opts *o, char **argv)
{
	bool separate = optarg == argv[optind - 1];

	o->jobs_args[0] = separate ? argv[optind - 2] : argv[optind - 1];
	o->jobs_args[1] = separate ? optarg : NULL;
}

static int parse_options(int argc, char **argv, struct compare_opts *o, struct outfile *csv,
			 struct outfile *json, struct given *g, bool *list)
{
	static const struct option longopts[] = {
		{ "scenario", required_argument, NULL, 'S' },
		{ "platform", required_argument, NULL, 'P' },
		{ "policy", required_argument, NULL, 'p' },
		{ "set", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "seed", required_argument, NULL, 'r' },
		{ "repeat", required_argument, NULL, 'R' },
		{ "uncertainty", required_argument, NULL, 'U' },
		{ "uncertainty-all", no_argument, NULL, 'A' },
		{ "sensitivity", no_argument, NULL, 'T' },
		{ "jobs", required_argument, NULL, 'J' },
		{ "csv", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			if (given_twice("--scenario", g->scenario))
				return -1;
			g->scenario = true;
			o->sc = iommusim_scenario_lookup(optarg);
			if (!o->sc) {
				char shown[160];

				fprintf(stderr, CMD ": --scenario: unknown scenario '%s' (",
					cli_shown(optarg, shown, sizeof(shown)));
				for (size_t i = 0; i < iommusim_scenario_count(); i++)
					fprintf(stderr, "%s%s", i ? ", " : "",
						iommusim_scenario_get(i)->name);
				fprintf(stderr, ")\n");
				return -1;
			}
			break;
		case 'P':
			if (g->nplatform_args == MAX_PLATFORM_ARGS) {
				fprintf(stderr, CMD ": --platform: given more than %d times\n",
					MAX_PLATFORM_ARGS);
				return -1;
			}
			g->platform_args[g->nplatform_args++] = optarg;
			break;
		case 'p':
			if (add_list(o, false, optarg))
				return -1;
			break;
		case 's':
			o->sets[o->nsets++] = optarg;
			break;
		case 't':
			if (given_twice("--seconds", g->seconds))
				return -1;
			g->seconds = true;
			if (parse_seconds(optarg, &o->measure_ns))
				return bad_value("--seconds",
						 "not a number of seconds in (0, 3600]:", optarg);
			if (!o->measure_ns)
				return bad_value("--seconds", "must be more than 0:", optarg);
			break;
		case 'w':
			if (given_twice("--warmup", g->warmup))
				return -1;
			g->warmup = true;
			if (parse_seconds(optarg, &o->warmup_ns))
				return bad_value("--warmup",
						 "not a number of seconds in [0, 3600]:", optarg);
			break;
		case 'r':
			if (given_twice("--seed", g->seed))
				return -1;
			g->seed = true;
			if (parse_u64(optarg, &o->seed))
				return bad_value("--seed", "not an unsigned 64-bit integer:",
						 optarg);
			break;
		case 'R':
			if (parse_count("--repeat", "seeds", 1, COMPARE_MAX_REPEAT, &g->repeat,
					&o->repeat))
				return -1;
			break;
		case 'U':
			if (parse_count("--uncertainty", "draws", COMPARE_MIN_DRAWS,
					COMPARE_MAX_DRAWS, &g->uncertainty, &o->draws))
				return -1;
			break;
		case 'J':
			if (parse_count("--jobs", "jobs", 1, COMPARE_MAX_JOBS, &g->jobs, &o->jobs))
				return -1;
			note_jobs_args(o, argv);
			break;
		case 'A':
			g->uncertainty_all = true;
			o->draw_fitted = true;
			break;
		case 'T':
			o->sensitivity = true;
			break;
		case 'c':
			if (csv->path)
				return given_twice("--csv", true);
			csv->path = optarg;
			break;
		case 'j':
			if (json->path)
				return given_twice("--json", true);
			json->path = optarg;
			break;
		case 'l':
			*list = true;
			break;
		case 'h':
			compare_usage(stdout);
			return 1;
		default:
			return cli_bad_option(CMD, c, argv);
		}
	}
	return cli_check_rest(CMD, argc, argv, csv, json);
}

/* The online CPUs, within what --jobs accepts. */
static unsigned int default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > COMPARE_MAX_JOBS ? COMPARE_MAX_JOBS : (unsigned int)n;
}

/* The options that only make sense together, or not at all together. */
static int check_study(const struct compare_opts *o, const struct given *g)
{
	if (g->uncertainty_all && !g->uncertainty) {
		fprintf(stderr, CMD ": --uncertainty-all: needs --uncertainty N\n");
		return -1;
	}
	if (!o->sensitivity)
		return 0;
	if (g->repeat || g->uncertainty || g->uncertainty_all) {
		fprintf(stderr, CMD ": --sensitivity: cannot be combined with %s\n",
			g->repeat ? "--repeat" : "--uncertainty");
		return -1;
	}
	if (o->nplatforms != 1) {
		fprintf(stderr,
			CMD ": --sensitivity: needs exactly one platform (--platform P), not %zu\n",
			o->nplatforms);
		return -1;
	}
	if (o->npolicies != 1 || o->policies[0] == IOMMUSIM_POLICY_LEGACY) {
		fprintf(stderr,
			CMD ": --sensitivity: needs exactly one policy other than legacy "
			"(--policy P; legacy runs alongside)\n");
		return -1;
	}
	return 0;
}

/*
 * A --set applies to the platforms of the run that read it (lpar.* only to LPAR, qemu.* only
 * to KVM, ...); one that none of them reads would change nothing, and is refused.
 */
static int check_sets_read(const struct compare_opts *o)
{
	for (size_t i = 0; i < o->nsets; i++) {
		enum iommusim_cost_id id;
		bool read = false;

		if (iommusim_cost_setting_id(o->sets[i], &id))
			continue; /* unknown: the cost table names it when it is applied */
		for (size_t k = 0; k < o->nplatforms && !read; k++)
			read = iommusim_platform_reads(o->kinds[k], id);
		if (!read) {
			fprintf(stderr, CMD ": --set: no platform of this run reads %s (%s)\n",
				iommusim_cost_param(id)->name, o->sets[i]);
			return -1;
		}
	}
	return 0;
}

int compare_configure(const struct compare_opts *o, size_t platform, struct iommusim_cost *cost,
		      char *errbuf, size_t errlen, long *bad)
{
	const char **sets = calloc(o->nsets ? o->nsets : 1, sizeof(*sets));
	size_t *index = calloc(o->nsets ? o->nsets : 1, sizeof(*index));
	size_t n = 0;
	long at = -1;
	int err;

	if (!sets || !index) {
		free(sets);
		free(index);
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < o->nsets; i++) {
		enum iommusim_cost_id id;

		if (!iommusim_cost_setting_id(o->sets[i], &id) &&
		    !iommusim_platform_reads(o->kinds[platform], id))
			continue;
		index[n] = i;
		sets[n++] = o->sets[i];
	}
	err = iommusim_scenario_configure(o->sc, o->platforms[platform], cost, sets, n, errbuf,
					  errlen, &at);
	if (bad)
		*bad = at < 0 ? -1 : (long)index[at];
	free(sets);
	free(index);
	return err;
}

int compare_parse(int argc, char **argv, struct compare_opts *o, struct outfile *csv,
		  struct outfile *json)
{
	struct given g = { 0 };
	bool list = false;
	int err;

	o->seed = 1;
	o->repeat = 1;
	o->jobs = default_jobs();
	err = parse_options(argc, argv, o, csv, json, &g, &list);
	if (err)
		return err;
	if (list) {
		compare_list_scenarios();
		return 1;
	}
	if (!o->sc)
		o->sc = iommusim_scenario_lookup("default");
	if (!g.seconds)
		o->measure_ns = o->sc->measure_ns;
	if (!g.warmup)
		o->warmup_ns = o->sc->warmup_ns;
	for (size_t i = 0; i < g.nplatform_args; i++)
		if (add_list(o, true, g.platform_args[i]))
			return -1;
	/* The scenario's own list is built in and always valid. */
	if (!o->nplatforms && add_list(o, true, o->sc->platforms))
		return -1;
	if (!o->npolicies)
		for (unsigned int i = 0; i < IOMMUSIM_POLICY_NR; i++)
			o->policies[o->npolicies++] = (enum iommusim_policy)i;
	if (check_sets_read(o))
		return -1;
	return check_study(o, &g);
}
