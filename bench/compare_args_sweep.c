/* SPDX-License-Identifier: MIT */
/*
 * The options that only a sweep or a job file brings to compare's command line: where a job
 * file's values give way to the command line's, lists and ranges (a sweep's only), the
 * workload options kept as text until the scenario is known, and sweep's own options
 * (--emit-jobs, --emit-slurm, --slurm-max, --cell, --cell-out).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "compare_args.h"

/*
 * The command line's words start: the job file's values stay, but each option may be given
 * once more (the command line's value wins), and --platform or --policy replace its lists.
 */
void args_file_given(struct compare_opts *o, struct given *g)
{
	g->file_seconds = g->seconds;
	g->file_warmup = g->warmup;
	g->scenario = g->seed = g->seconds = g->warmup = g->repeat = false;
	for (size_t i = 0; i < COMPARE_WL_OPTS; i++)
		g->wl_file[i] = o->wl_text[i] != NULL;
	g->file_platforms = g->nplatform_args;
	g->file_policies = o->npolicies;
}

/* A list or a range is a sweep's, never compare's. */
int args_scalar_only(const struct compare_opts *o, const char *opt, const char *value)
{
	if (o->sweep || (!strchr(value, ',') && !strstr(value, "..")))
		return 0;
	return args_bad_value(opt, "lists and ranges are for 'iommusim-bench sweep':", value);
}

/* --bs, --iodepth, ...: kept as text until the scenario is known, then applied. */
int args_workload_option(struct compare_opts *o, struct given *g, int c)
{
	size_t i = (size_t)(c - WL_BASE);
	char opt[32];

	snprintf(opt, sizeof(opt), "--%s", iommusim_sim_option_name(i));
	if (g->wl_file[i]) {
		g->wl_file[i] = false;
		o->wl_text[i] = NULL;
	}
	if (args_given_twice(opt, o->wl_text[i] != NULL) || args_scalar_only(o, opt, optarg))
		return -1;
	o->wl_text[i] = optarg;
	return 0;
}

/* The words of an option that changes where a sweep's report goes, not what it says. */
void args_note_quiet(struct compare_opts *o, char **argv)
{
	bool separate = optarg == argv[optind - 1];

	o->quiet_args[o->nquiet++] = separate ? argv[optind - 2] : argv[optind - 1];
	if (separate)
		o->quiet_args[o->nquiet++] = optarg;
}

/* Options of sweep alone. */
int args_sweep_option(struct compare_opts *o, struct sweep_args *sw, int c, char **argv,
		      struct given *g)
{
	long max = 1L << 30;
	unsigned int v;

	if (!sw) {
		cli_bad_option(args_cmd, '?', argv);
		return -1;
	}
	args_note_quiet(o, argv);
	switch (c) {
	case 'E':
		return args_path_once("--emit-jobs", &sw->emit_jobs);
	case 'L':
		return args_path_once("--emit-slurm", &sw->emit_slurm);
	case 'K':
		if (args_given_once("--cell", &g->cell))
			return -1;
		if (cli_parse_uint(optarg, 0, (unsigned int)max, &v))
			return args_bad_value("--cell", "not a cell number:", optarg);
		sw->cell = (long)v;
		return 0;
	case 'O':
		return args_path_once("--cell-out", &sw->cell_out);
	default: /* 'M' */
		if (cli_parse_uint(optarg, 1, 100000, &sw->slurm_max))
			return args_bad_value("--slurm-max",
					      "not a number of tasks in [1, 100000]:", optarg);
		return 0;
	}
}
