/* SPDX-License-Identifier: MIT */
/*
 * The time series' options of compare and sweep: --interval-ms N, --timeseries FILE and
 * --timeseries-format csv|json, and what they need of each other and of the rest.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "compare_args.h"

#define NS_PER_MS 1000000ull
/* An hour: the longest simulation compare runs. */
#define MAX_INTERVAL_MS 3600000u

int args_series_option(struct compare_opts *o, int c, char **argv, struct given *g, bool sweep)
{
	unsigned int ms;

	if (!o->ts)
		return cli_bad_option(args_cmd, '?', argv);
	/* Like --csv, they say where a sweep's series goes, not what its report says. */
	if (sweep)
		args_note_quiet(o, argv);
	switch (c) {
	case 'I':
		if (args_given_once("--interval-ms", &g->interval))
			return -1;
		if (cli_parse_uint(optarg, 1, MAX_INTERVAL_MS, &ms))
			return args_bad_value(
				"--interval-ms",
				"not a number of milliseconds in [1, 3600000]:", optarg);
		o->interval_ns = ms * NS_PER_MS;
		return 0;
	case 'Y':
		return outfile_set(o->ts, optarg);
	default: /* 'F' */
		if (args_path_once("--timeseries-format", &g->ts_format))
			return -1;
		if (strcmp(optarg, "csv") && strcmp(optarg, "json"))
			return args_bad_value("--timeseries-format", "not csv or json:", optarg);
		return 0;
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int args_series_check(struct compare_opts *o, const struct given *g, const struct sweep_args *sw)
{
	const char *path = o->ts ? o->ts->path : NULL;

	if (path && !o->interval_ns) {
		fprintf(stderr, "%s: --timeseries: needs --interval-ms N\n", args_cmd);
		return -1;
	}
	if (!path && (o->interval_ns || g->ts_format)) {
		fprintf(stderr, "%s: %s: needs --timeseries FILE\n", args_cmd,
			o->interval_ns ? "--interval-ms" : "--timeseries-format");
		return -1;
	}
	if (!path)
		return 0;
	if (o->sensitivity) {
		fprintf(stderr, "%s: --timeseries: not with --sensitivity\n", args_cmd);
		return -1;
	}
	if (sw && (sw->emit_jobs || sw->emit_slurm || sw->cell >= 0)) {
		fprintf(stderr,
			"%s: --timeseries: not with --emit-jobs, --emit-slurm or --cell (a cell's "
			"series is not merged)\n",
			args_cmd);
		return -1;
	}
	o->ts_json = g->ts_format ? !strcmp(g->ts_format, "json") : ends_with(path, ".json");
	/* a sweep's cells are known once its grid is */
	return sw ? 0 : compare_series_check(o, o->nplatforms * o->npolicies);
}
