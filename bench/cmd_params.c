/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench params: print the cost table (sim/cost/) as it resolves for a profile and
 * overrides, so a run's configuration can be read, diffed and archived. Everything is checked
 * before any file is opened: a bad --profile or --set is one line on stderr, exit status 2,
 * and nothing written.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>
#include <iommusim/cost.h>

#include "cli.h"
#include "commands.h"
#include "outfile.h"
#include "report_out.h"

struct options {
	const char *profile;
	const char **sets;
	size_t nsets;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: iommusim-bench params [--profile NAME] [--set KEY=VALUE ...]\n"
		"                             [--csv FILE] [--json FILE]\n"
		"\n"
		"Print every cost parameter: name, value, unit, default, range, whether it is an\n"
		"estimate calibration may fit (EST), whether calibration fitted it (FIT, the value\n"
		"then comes from the profile), what set it, source and reason. Values are\n"
		"the defaults, then the profile's, then each --set in order (a later one wins).\n"
		"\n"
		"  --profile NAME   apply a platform profile first (one of those below)\n"
		"  --set KEY=VALUE  override one parameter; VALUE is a decimal integer (a bool\n"
		"                   also takes true/false); may be repeated\n"
		"  --csv FILE       also write the table as CSV\n"
		"  --json FILE      also write it as JSON: {\"meta\": {...}, \"rows\": [...]}\n"
		"\n"
		"A FILE of '-' is standard output: the report follows the table. An existing file\n"
		"is replaced only once its report is complete.\n"
		"\n"
		"profiles:\n");
	for (size_t i = 0; i < iommusim_cost_profile_count(); i++)
		fprintf(f, "  %-12s %s\n", iommusim_cost_profile(i)->name,
			iommusim_cost_profile(i)->summary);
}

static int parse_args(int argc, char **argv, struct options *opt, struct outfile *csv,
		      struct outfile *json)
{
	static const struct option longopts[] = {
		CLI_ARG("profile", 'p'),
		CLI_ARG("set", 's'),
		CLI_REPORT_OPTS,
	};
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (opt->profile) {
				fprintf(stderr, "params: --profile: given twice ('%s' and '%s')\n",
					opt->profile, optarg);
				return -1;
			}
			opt->profile = optarg;
			break;
		case 's':
			opt->sets[opt->nsets++] = optarg;
			break;
		default:
			rc = cli_report_option("params", c, argv, csv, json, usage);
			if (rc)
				return rc;
		}
	}
	return cli_check_rest("params", argc, argv, csv, json);
}

enum col {
	C_NAME,
	C_VALUE,
	C_UNIT,
	C_DEFAULT,
	C_MIN,
	C_MAX,
	C_EST,
	C_FITTED,
	C_SET_BY,
	C_SOURCE,
	C_REASON,
	NR_COLS
};

/* clang-format off */
#define TEXT(n) { n, IOMMUSIM_REPORT_STRING, 0, 0, 0, 0, NULL, NULL, NULL }
#define NUM(n) { n, IOMMUSIM_REPORT_UINT, 0, IOMMUSIM_REPORT_RIGHT, 0, 0, NULL, NULL, NULL }
/* A mark on screen ("EST" or "-"), 1 or 0 in the CSV, true or false in JSON. */
#define MARK(n, word) { n, IOMMUSIM_REPORT_BOOL, 0, 0, 0, 0, NULL, word, "-" }
/* clang-format on */

static const struct iommusim_report_column cols[NR_COLS] = {
	[C_NAME] = TEXT("name"),      [C_VALUE] = NUM("value"),
	[C_UNIT] = TEXT("unit"),      [C_DEFAULT] = NUM("default"),
	[C_MIN] = NUM("min"),	      [C_MAX] = NUM("max"),
	[C_EST] = MARK("est", "EST"), [C_FITTED] = MARK("fitted", "FIT"),
	[C_SET_BY] = TEXT("set_by"),  [C_SOURCE] = TEXT("source"),
	[C_REASON] = TEXT("reason"),
};

/* The meta: what was asked for, and what it resolved to. */
static void put_meta(struct iommusim_report *rep, const struct iommusim_cost *cost,
		     const struct options *opt)
{
	struct iommusim_report_value *m = iommusim_report_meta(rep);

	if (opt->profile)
		iommusim_report_add_str(m, "profile", opt->profile);
	else
		iommusim_report_add_null(m, "profile");
	bench_report_strings(m, "sets", opt->sets, opt->nsets);
	(void)iommusim_cost_add_to_report(m, "config", cost);
}

/* The report of @cost: its meta, then one row per parameter, in table order. */
static void fill_report(struct iommusim_report *rep, const struct iommusim_cost *cost,
			const struct options *opt)
{
	put_meta(rep, cost, opt);
	iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE, "# profile: %s, overrides: %zu\n",
			     opt->profile ? opt->profile : "none", opt->nsets);
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		enum iommusim_cost_id id = (enum iommusim_cost_id)i;
		const struct iommusim_cost_param *p = iommusim_cost_param(id);

		/* a profile's listing shows what its machine reads with the NVMe loop */
		if (!iommusim_platform_set_reads(cost, id) ||
		    (opt->profile && (p->flags & IOMMUSIM_COST_WORKLOAD)))
			continue;
		iommusim_report_add_row(rep);
		iommusim_report_set_str(rep, C_NAME, p->name);
		iommusim_report_set_uint(rep, C_VALUE, iommusim_cost_get(cost, id));
		iommusim_report_set_str(rep, C_UNIT, iommusim_cost_unit_name(p->unit));
		iommusim_report_set_uint(rep, C_DEFAULT, p->default_value);
		iommusim_report_set_uint(rep, C_MIN, p->min);
		iommusim_report_set_uint(rep, C_MAX, p->max);
		iommusim_report_set_bool(rep, C_EST, p->flags & IOMMUSIM_COST_EST);
		iommusim_report_set_bool(rep, C_FITTED, p->flags & IOMMUSIM_COST_FITTED);
		iommusim_report_set_str(rep, C_SET_BY,
					iommusim_cost_origin_name(iommusim_cost_origin(cost, id)));
		iommusim_report_set_str(rep, C_SOURCE, p->source);
		iommusim_report_set_str(rep, C_REASON, p->reason);
	}
}

int cmd_params(int argc, char **argv)
{
	struct outfile csv = {.cmd = "params", .opt = "--csv"};
	struct outfile json = {.cmd = "params", .opt = "--json"};
	struct outfile *files[] = {&csv, &json};
	struct options opt = {0};
	struct iommusim_report *rep = NULL;
	struct iommusim_mem *mem = NULL;
	struct iommusim_cost *cost = NULL;
	char errbuf[512];
	long bad;
	int ret = 0, err;

	/* Every --set fits in argc slots; getopt_long permutes argv but never adds to it. */
	opt.sets = calloc((size_t)argc + 1, sizeof(*opt.sets));
	if (!opt.sets) {
		fprintf(stderr, "params: out of memory\n");
		return 1;
	}
	err = parse_args(argc, argv, &opt, &csv, &json);
	if (err) {
		free(opt.sets);
		return err > 0 ? 0 : EXIT_BAD_INPUT;
	}
	err = iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem);
	if (!err)
		err = iommusim_cost_create(mem, &cost);
	if (err) {
		fprintf(stderr, "params: %s\n", iommusim_strerror(err));
		ret = 1;
		goto out;
	}
	err = iommusim_cost_configure(cost, opt.profile, opt.sets, opt.nsets, errbuf,
				      sizeof(errbuf), &bad);
	if (err) {
		fprintf(stderr, "params: %s: %s\n", bad < 0 ? "--profile" : "--set", errbuf);
		ret = EXIT_BAD_INPUT;
		goto out;
	}
	if (outfile_open(files, 2)) {
		ret = EXIT_BAD_INPUT;
		goto out;
	}
	err = iommusim_report_create(NULL, cols, NR_COLS, &rep);
	if (!err)
		fill_report(rep, cost, &opt);
	ret = bench_report_emit("params", err, rep, &csv, &json);
out:
	iommusim_report_destroy(rep);
	outfile_abandon(&csv);
	outfile_abandon(&json);
	iommusim_cost_destroy(cost);
	iommusim_mem_destroy(mem);
	free(opt.sets);
	return ret;
}
