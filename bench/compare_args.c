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

#include "cli.h"
#include "compare.h"

#define CMD "compare"
#define NS_PER_SEC 1000000000ull
/* Longer than any useful simulation, short enough that ns never overflow. */
#define MAX_SECONDS 3600u

static void usage(FILE *f)
{
	fprintf(f,
		"usage: iommusim-bench compare [--scenario NAME] [--platform P,...]\n"
		"                              [--policy strict,fq-percpu,fq-single,legacy]\n"
		"                              [--set KEY=VALUE ...] [--seconds S] [--warmup S]\n"
		"                              [--seed N] [--csv FILE] [--json FILE] [--list]\n"
		"\n"
		"Simulate a scenario on each platform under each DMA policy and compare what\n"
		"the guest gets: IOPS, bandwidth, latency, RPCITs, vfio budget exhaustion and\n"
		"failures. Same arguments and seed: the same report, byte for byte.\n"
		"\n"
		"  --scenario NAME    a built-in scenario (--list shows them); default 'default'\n"
		"  --platform P,...   platforms to run: lpar, zvm, kvm, or a KVM generation\n"
		"                     (kvm-qemu7.1, kvm-qemu7.2: 'params --profile'); plain\n"
		"                     kvm is the scenario's generation; default the scenario's\n"
		"  --policy P,...     policies to run; default all four\n"
		"  --set KEY=VALUE    override a cost parameter after the platform's profile and\n"
		"                     the scenario's settings; may be repeated (see 'params')\n"
		"  --seconds S        simulated time measured, e.g. 0.5; default the scenario's\n"
		"  --warmup S         simulated time run before measuring; default the scenario's\n"
		"  --seed N           seed of every random stream; default 1\n"
		"  --csv FILE         also write the rows as CSV\n"
		"  --json FILE        also write them as JSON: {\"meta\": {...}, \"rows\": [...]}\n"
		"  --list             list the scenarios and exit\n"
		"\n"
		"Progress and wall-clock times go to standard error. docs/compare.md has the\n"
		"columns and their units.\n");
}

static void list_scenarios(void)
{
	char workload[64], measure[32], warmup[32];

	for (size_t i = 0; i < iommusim_scenario_count(); i++) {
		const struct iommusim_scenario *sc = iommusim_scenario_get(i);

		compare_workload_name(&sc->nvme, workload, sizeof(workload));
		compare_seconds(measure, sizeof(measure), sc->measure_ns);
		compare_seconds(warmup, sizeof(warmup), sc->warmup_ns);
		printf("%-18s %s\n", sc->name, sc->summary);
		printf("%-18s platforms %s; %s; %u CPUs, %llu MiB; %s s after %s s warm-up", "",
		       sc->platforms, workload, sc->cpus,
		       (unsigned long long)(sc->guest_memory >> 20), measure, warmup);
		for (size_t j = 0; j < sc->nsettings; j++)
			printf("%s%s", j ? ", " : "; ", sc->settings[j]);
		putchar('\n');
	}
}

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
	fprintf(stderr, CMD ": %s: %s '%s'\n", opt, problem, value);
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
	char name[64], known[256];
	const char *profile = NULL;
	int err;

	if (!len || len >= sizeof(name)) {
		fprintf(stderr, CMD ": %s: %s name '%.*s'\n", opt, len ? "unknown" : "empty",
			(int)len, item);
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
			platform ? "platform" : "policy", name, known);
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
	bool scenario, seed, seconds, warmup;
	const char *platform_args[MAX_PLATFORM_ARGS];
	size_t nplatform_args;
};

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
				fprintf(stderr, CMD ": --scenario: unknown scenario '%s' (",
					optarg);
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
			usage(stdout);
			return 1;
		default:
			return cli_bad_option(CMD, c, argv);
		}
	}
	return cli_check_rest(CMD, argc, argv, csv, json);
}

int compare_parse(int argc, char **argv, struct compare_opts *o, struct outfile *csv,
		  struct outfile *json)
{
	struct given g = { 0 };
	bool list = false;
	int err;

	o->seed = 1;
	err = parse_options(argc, argv, o, csv, json, &g, &list);
	if (err)
		return err;
	if (list) {
		list_scenarios();
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
	return 0;
}
