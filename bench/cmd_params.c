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
		{ "profile", required_argument, NULL, 'p' },
		{ "set", required_argument, NULL, 's' },
		{ "csv", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

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
		case 'c':
			if (outfile_set(csv, optarg))
				return -1;
			break;
		case 'j':
			if (outfile_set(json, optarg))
				return -1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return cli_bad_option("params", c, argv);
		}
	}
	return cli_check_rest("params", argc, argv, csv, json);
}

/* Columns on screen; "§" is two bytes but one column, so widths count code points. */
static size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void cell(const char *s, size_t w, bool right)
{
	size_t n = width(s);

	if (right)
		printf("%*s%s", (int)(w > n ? w - n : 0), "", s);
	else
		printf("%s%*s", s, (int)(w > n ? w - n : 0), "");
}

enum col { C_NAME, C_VALUE, C_UNIT, C_DEFAULT, C_MIN, C_MAX, C_EST, C_FITTED, C_SET_BY,
	   C_SOURCE, C_REASON, NR_COLS };

static const char *const col_names[NR_COLS] = {
	"name", "value", "unit", "default", "min", "max", "est", "fitted", "set_by", "source",
	"reason",
};

static const bool col_right[NR_COLS] = {
	[C_VALUE] = true, [C_DEFAULT] = true, [C_MIN] = true, [C_MAX] = true,
};

/* One row as text, the same strings for every output form. */
struct row {
	char num[4][24];
	const char *col[NR_COLS];
};

static void make_row(const struct iommusim_cost *cost, enum iommusim_cost_id id, struct row *r)
{
	const struct iommusim_cost_param *p = iommusim_cost_param(id);
	const uint64_t nums[4] = { iommusim_cost_get(cost, id), p->default_value, p->min, p->max };

	for (int i = 0; i < 4; i++)
		snprintf(r->num[i], sizeof(r->num[i]), "%llu", (unsigned long long)nums[i]);
	r->col[C_NAME] = p->name;
	r->col[C_VALUE] = r->num[0];
	r->col[C_UNIT] = iommusim_cost_unit_name(p->unit);
	r->col[C_DEFAULT] = r->num[1];
	r->col[C_MIN] = r->num[2];
	r->col[C_MAX] = r->num[3];
	r->col[C_EST] = p->flags & IOMMUSIM_COST_EST ? "EST" : "-";
	r->col[C_FITTED] = p->flags & IOMMUSIM_COST_FITTED ? "FIT" : "-";
	r->col[C_SET_BY] = iommusim_cost_origin_name(iommusim_cost_origin(cost, id));
	r->col[C_SOURCE] = p->source;
	r->col[C_REASON] = p->reason;
}

static void print_table(const struct iommusim_cost *cost, const struct options *opt)
{
	size_t w[NR_COLS];
	struct row r;

	for (int c = 0; c < NR_COLS; c++)
		w[c] = width(col_names[c]);
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		make_row(cost, (enum iommusim_cost_id)i, &r);
		for (int c = 0; c < NR_COLS; c++)
			if (width(r.col[c]) > w[c])
				w[c] = width(r.col[c]);
	}
	printf("# profile: %s, overrides: %zu\n", opt->profile ? opt->profile : "none",
	       opt->nsets);
	for (int c = 0; c < NR_COLS; c++) {
		if (c)
			fputs("  ", stdout);
		/* The last column is not padded: no trailing blanks. */
		cell(col_names[c], c == NR_COLS - 1 ? 0 : w[c], col_right[c]);
	}
	putchar('\n');
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		make_row(cost, (enum iommusim_cost_id)i, &r);
		for (int c = 0; c < NR_COLS; c++) {
			if (c)
				fputs("  ", stdout);
			cell(r.col[c], c == NR_COLS - 1 ? 0 : w[c], col_right[c]);
		}
		putchar('\n');
	}
}

/* RFC 4180: quote a field that holds a comma, a quote or a line break. */
static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void write_csv(FILE *f, const struct iommusim_cost *cost)
{
	struct row r;

	for (int c = 0; c < NR_COLS; c++)
		fprintf(f, "%s%s", c ? "," : "", col_names[c]);
	fputc('\n', f);
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		make_row(cost, (enum iommusim_cost_id)i, &r);
		/* A column for a program: 1/0 rather than EST/-. */
		r.col[C_EST] = r.col[C_EST][0] == 'E' ? "1" : "0";
		r.col[C_FITTED] = r.col[C_FITTED][0] == 'F' ? "1" : "0";
		for (int c = 0; c < NR_COLS; c++) {
			if (c)
				fputc(',', f);
			csv_field(f, r.col[c]);
		}
		fputc('\n', f);
	}
}

static void write_json(FILE *f, const struct iommusim_cost *cost, const struct options *opt)
{
	struct row r;

	fputs("{\"meta\": {\"version\": ", f);
	json_string(f, iommusim_version());
	fputs(", \"git\": ", f);
	json_string(f, iommusim_git_describe());
	fputs(", \"profile\": ", f);
	if (opt->profile)
		json_string(f, opt->profile);
	else
		fputs("null", f);
	fputs(", \"sets\": [", f);
	for (size_t i = 0; i < opt->nsets; i++) {
		fputs(i ? ", " : "", f);
		json_string(f, opt->sets[i]);
	}
	fputs("], \"config\": ", f);
	iommusim_cost_write_json(cost, f);
	fputs("},\n \"rows\": [", f);
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		make_row(cost, (enum iommusim_cost_id)i, &r);
		fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
		json_string(f, r.col[C_NAME]);
		fprintf(f, ", \"value\": %s, \"unit\": ", r.col[C_VALUE]);
		json_string(f, r.col[C_UNIT]);
		fprintf(f,
			", \"default\": %s, \"min\": %s, \"max\": %s, \"est\": %s, \"fitted\": %s"
			", \"set_by\": ",
			r.col[C_DEFAULT], r.col[C_MIN], r.col[C_MAX],
			r.col[C_EST][0] == 'E' ? "true" : "false",
			r.col[C_FITTED][0] == 'F' ? "true" : "false");
		json_string(f, r.col[C_SET_BY]);
		fputs(", \"source\": ", f);
		json_string(f, r.col[C_SOURCE]);
		fputs(", \"reason\": ", f);
		json_string(f, r.col[C_REASON]);
		fputc('}', f);
	}
	fputs("\n]}\n", f);
}

int cmd_params(int argc, char **argv)
{
	struct outfile csv = { .cmd = "params", .opt = "--csv" };
	struct outfile json = { .cmd = "params", .opt = "--json" };
	struct outfile *files[] = { &csv, &json };
	struct options opt = { 0 };
	FILE *f;
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
	print_table(cost, &opt);
	cli_stdout_flush();
	/* One after the other: a reader of two FIFOs may take them in turn. */
	if ((f = outfile_stream(&csv)))
		write_csv(f, cost);
	if (outfile_commit(&csv))
		ret = 1;
	if ((f = outfile_stream(&json)))
		write_json(f, cost, &opt);
	if (outfile_commit(&json))
		ret = 1;
out:
	outfile_abandon(&csv);
	outfile_abandon(&json);
	iommusim_cost_destroy(cost);
	iommusim_mem_destroy(mem);
	free(opt.sets);
	return ret;
}
