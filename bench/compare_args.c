/* SPDX-License-Identifier: MIT */
/*
 * The command line of iommusim-bench compare (and sweep): every option checked before
 * anything runs or any file is opened, each problem one line "compare: --option: problem".
 * The values and messages are in compare_args_values.c, what a sweep or a job file adds in
 * compare_args_sweep.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "compare_args.h"

static int parse_options(int argc, char **argv, struct compare_opts *o, struct outfile *csv,
			 struct outfile *json, struct given *g, bool *list, struct sweep_args *sw)
{
	static const struct option longopts[] = {
		CLI_ARG("scenario", 'S'),
		CLI_ARG("platform", 'P'),
		CLI_ARG("policy", 'p'),
		CLI_ARG("set", 's'),
		CLI_ARG("seconds", 't'),
		CLI_ARG("runtime", 't'),
		CLI_ARG("bs", WL_BASE + 0),
		CLI_ARG("iodepth", WL_BASE + 1),
		CLI_ARG("numjobs", WL_BASE + 2),
		CLI_ARG("rw", WL_BASE + 3),
		CLI_ARG("rwmixread", WL_BASE + 4),
		CLI_ARG("cpus", WL_BASE + 5),
		CLI_ARG("mem", WL_BASE + 6),
		CLI_ARG("emit-jobs", 'E'),
		CLI_ARG("emit-slurm", 'L'),
		CLI_ARG("slurm-max", 'M'),
		CLI_ARG("cell", 'K'),
		CLI_ARG("cell-out", 'O'),
		CLI_ARG("warmup", 'w'),
		CLI_ARG("seed", 'r'),
		CLI_ARG("repeat", 'R'),
		CLI_ARG("uncertainty", 'U'),
		CLI_FLAG("uncertainty-all", 'A'),
		CLI_FLAG("sensitivity", 'T'),
		CLI_ARG("jobs", 'J'),
		CLI_ARG("interval-ms", 'I'),
		CLI_ARG("timeseries", 'Y'),
		CLI_ARG("timeseries-format", 'F'),
		CLI_ARG("trace", 'X'),
		CLI_ARG("trace-timing", 'G'),
		CLI_ARG("record", 'Q'),
		CLI_ARG("workload", 'W'),
		CLI_ARG("mlx5", 'N'),
		CLI_ARG("csv", 'c'),
		CLI_ARG("json", 'j'),
		CLI_FLAG("list", 'l'),
		CLI_FLAG("help", 'h'),
		{NULL, 0, NULL, 0},
	};
	int c;

	bool job = o->job_path != NULL;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		/* The command line overrides the job file: what the file gave may be given again.
		 */
		if (job && !args_from_job()) {
			job = false;
			args_file_given(o, g);
		}
		switch (c) {
		case 'S':
			if (args_given_once("--scenario", &g->scenario))
				return -1;
			o->sc = iommusim_scenario_lookup(optarg);
			if (!o->sc) {
				char shown[160];

				fprintf(stderr, "%s: --scenario: unknown scenario '%s' (", args_cmd,
					cli_shown(optarg, shown, sizeof(shown)));
				for (size_t i = 0; i < iommusim_scenario_count(); i++)
					fprintf(stderr, "%s%s", i ? ", " : "",
						iommusim_scenario_get(i)->name);
				fprintf(stderr, ")\n");
				return -1;
			}
			break;
		case 'P':
			if (g->file_platforms && !args_from_job()) {
				/* the command line's platforms replace the job file's */
				g->nplatform_args = 0;
				g->file_platforms = 0;
			}
			if (g->nplatform_args == MAX_PLATFORM_ARGS) {
				fprintf(stderr, "%s: --platform: given more than %d times\n",
					args_cmd, MAX_PLATFORM_ARGS);
				return -1;
			}
			g->platform_args[g->nplatform_args++] = optarg;
			break;
		case 'p':
			if (g->file_policies && !args_from_job()) {
				o->npolicies = 0;
				g->file_policies = 0;
			}
			if (args_add_list(o, false, optarg))
				return -1;
			break;
		case 's':
			if (o->sweep ? 0 : args_scalar_only(o, "--set", optarg))
				return -1;
			o->sets[o->nsets++] = optarg;
			break;
		case 'E':
		case 'L':
		case 'K':
		case 'O':
		case 'M':
			if (args_sweep_option(o, sw, c, argv, g))
				return -1;
			break;
		case 't':
			if (args_parse_seconds_once("--seconds",
						    "not a number of seconds in (0, 3600]:",
						    &g->seconds, &o->measure_ns))
				return -1;
			if (!o->measure_ns)
				return args_bad_value("--seconds", "must be more than 0:", optarg);
			break;
		case 'w':
			if (args_parse_seconds_once(
				    "--warmup", "not a number of seconds in [0, 3600]:", &g->warmup,
				    &o->warmup_ns))
				return -1;
			break;
		case 'r':
			if (args_given_once("--seed", &g->seed))
				return -1;
			if (args_parse_u64(optarg, &o->seed))
				return args_bad_value("--seed",
						      "not an unsigned 64-bit integer:", optarg);
			break;
		case 'R':
			if (args_parse_count("--repeat", "seeds", 1, COMPARE_MAX_REPEAT, &g->repeat,
					     &o->repeat))
				return -1;
			break;
		case 'U':
			if (args_parse_count("--uncertainty", "draws", COMPARE_MIN_DRAWS,
					     COMPARE_MAX_DRAWS, &g->uncertainty, &o->draws))
				return -1;
			break;
		case 'J':
			if (args_parse_count("--jobs", "jobs", 1, COMPARE_MAX_JOBS, &g->jobs,
					     &o->jobs))
				return -1;
			args_note_jobs(o, argv);
			break;
		case 'A':
			g->uncertainty_all = true;
			o->draw_fitted = true;
			break;
		case 'T':
			o->sensitivity = true;
			break;
		case 'c':
		case 'j':
			if (c == 'c' ? args_path_once("--csv", &csv->path)
				     : args_path_once("--json", &json->path))
				return -1;
			if (sw)
				args_note_quiet(o, argv);
			break;
		case 'I':
		case 'Y':
		case 'F':
			if (args_series_option(o, c, argv, g, sw != NULL))
				return -1;
			break;
		case 'X':
		case 'G':
		case 'Q':
			if (args_trace_option(o, c, argv, g, sw != NULL))
				return -1;
			break;
		case 'W':
		case 'N':
			if (args_mlx5_option(o, c, sw != NULL))
				return -1;
			break;
		case 'l':
			*list = true;
			break;
		case 'h':
			if (sw)
				sweep_usage(stdout);
			else
				compare_usage(stdout);
			return 1;
		default:
			if (c >= WL_BASE && c < WL_BASE + COMPARE_WL_OPTS) {
				if (args_workload_option(o, g, c))
					return -1;
				break;
			}
			return cli_bad_option(args_cmd, c, argv);
		}
	}
	const struct outfile *files[] = {csv, json, o->ts, o->record};

	return cli_check_files(args_cmd, argc, argv, files, o->ts ? (o->record ? 4 : 3) : 2);
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
		fprintf(stderr, "%s: --uncertainty-all: needs --uncertainty N\n", args_cmd);
		return -1;
	}
	if (!o->sensitivity)
		return 0;
	if (g->repeat || g->uncertainty || g->uncertainty_all) {
		fprintf(stderr, "%s: --sensitivity: cannot be combined with %s\n", args_cmd,
			g->repeat ? "--repeat" : "--uncertainty");
		return -1;
	}
	if (o->nplatforms != 1) {
		fprintf(stderr,
			"%s: --sensitivity: needs exactly one platform (--platform P), not %zu\n",
			args_cmd, o->nplatforms);
		return -1;
	}
	if (iommusim_platform_arch(o->kinds[0]) != IOMMUSIM_ARCH_S390) {
		fprintf(stderr, "%s: --sensitivity: s390 platforms only (legacy runs alongside)\n",
			args_cmd);
		return -1;
	}
	if (o->npolicies != 1 || o->policies[0] == IOMMUSIM_POLICY_LEGACY) {
		fprintf(stderr,
			"%s: --sensitivity: needs exactly one policy other than legacy "
			"(--policy P; legacy runs alongside)\n",
			args_cmd);
		return -1;
	}
	return 0;
}

int compare_parse(int argc, char **argv, struct compare_opts *o, struct outfile *csv,
		  struct outfile *json, struct sweep_args *sw)
{
	struct given g = {0};
	bool list = false;
	int err;

	args_cmd = sw ? "sweep" : "compare";
	args_parsing = o;
	o->cmd = args_cmd;
	o->sweep = sw != NULL;
	o->seed = 1;
	o->repeat = 1;
	o->jobs = default_jobs();
	if (sw) {
		sw->cell = -1;
		sw->slurm_max = 0;
	}
	err = parse_options(argc, argv, o, csv, json, &g, &list, sw);
	if (err)
		return err;
	if (list) {
		compare_list_scenarios();
		return 1;
	}
	if (!o->sc)
		o->sc = iommusim_scenario_lookup("default");
	if (o->sweep && o->sc->workload == IOMMUSIM_WORKLOAD_MLX5) {
		fprintf(stderr, "%s: --scenario: %s runs the mlx5 workload: in compare only\n",
			args_cmd, o->sc->name);
		return -1;
	}
	if (!g.seconds && !g.file_seconds)
		o->measure_ns = o->sc->measure_ns;
	if (!g.warmup && !g.file_warmup)
		o->warmup_ns = o->sc->warmup_ns;
	for (size_t i = 0; i < g.nplatform_args; i++)
		if (args_add_list(o, true, g.platform_args[i]))
			return -1;
	/* The scenario's own list is built in and always valid. */
	if (!o->nplatforms && args_add_list(o, true, o->sc->platforms))
		return -1;
	if (compare_resolve_policies(o))
		return -1;
	if (compare_check_sets(o))
		return -1;
	if (!o->sweep && compare_apply_workload(o))
		return -1;
	if (args_trace_check(o, &g))
		return -1;
	if (args_series_check(o, &g, sw))
		return -1;
	if (o->sweep && (o->sensitivity || g.uncertainty)) {
		fprintf(stderr, "%s: %s: not in a sweep (run compare on one point)\n", args_cmd,
			o->sensitivity ? "--sensitivity" : "--uncertainty");
		return -1;
	}
	return check_study(o, &g);
}
