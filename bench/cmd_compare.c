/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench compare: run a scenario's matrix of platforms x DMA policies, one simulation
 * per cell and seed (and per draw of the costs, with --uncertainty), and report them side by
 * side (docs/compare.md); or, with --sensitivity, one cell's tornado table. Everything the
 * user typed is checked, and every platform's cost set resolved, before the report files are
 * created and the first run starts; a simulated failure is a figure in its row, never an
 * exit status. Wall-clock time goes to standard error only, so the report stays
 * byte-identical.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "cli.h"
#include "commands.h"
#include "compare.h"
#include "jobfile.h"
#include "outfile.h"

#define CMD "compare"

/* One cost set per platform: its profile, the scenario's settings, then every --set. */
static int resolve_costs(struct iommusim_mem *mem, const struct compare_opts *o,
			 struct iommusim_cost **costs)
{
	char errbuf[512];
	long bad;
	int err;

	for (size_t i = 0; i < o->nplatforms; i++) {
		err = iommusim_cost_create(mem, &costs[i]);
		if (err) {
			fprintf(stderr, CMD ": %s\n", iommusim_strerror(err));
			return 1;
		}
		err = compare_configure(o, i, costs[i], errbuf, sizeof(errbuf), &bad);
		if (err) {
			fprintf(stderr, CMD ": %s: %s\n", bad < 0 ? "--scenario" : "--set", errbuf);
			return EXIT_BAD_INPUT;
		}
	}
	return 0;
}

/* Room for every run's results, zeroed; 0 or -1. */
static int matrix_alloc(const struct compare_opts *o, struct compare_matrix *m)
{
	size_t cells = o->nplatforms * o->npolicies;

	m->rows = calloc(cells, sizeof(*m->rows));
	m->seed_iops = calloc(cells * o->repeat, sizeof(*m->seed_iops));
	m->draw_ios = calloc(cells * (o->draws ? o->draws : 1), sizeof(*m->draw_ios));
	return m->rows && m->seed_iops && m->draw_ios ? 0 : -1;
}

static void matrix_free(struct compare_matrix *m)
{
	free(m->rows);
	free(m->seed_iops);
	free(m->draw_ios);
}

/* The matrix with its study, then the report (the files are open); the exit status. */
static int run_matrix(const struct compare_opts *o, struct iommusim_cost *const *costs,
		      struct outfile *csv, struct outfile *json)
{
	size_t nrows = o->nplatforms * o->npolicies;
	struct compare_matrix m = {0};
	struct compare_series series = {0};
	struct iommusim_report *rep = NULL;
	struct compare_plan plan = {0};
	int ret, err;

	if (matrix_alloc(o, &m)) {
		fprintf(stderr, CMD ": out of memory\n");
		ret = 1;
		goto out;
	}
	compare_matrix_plan(o, &m, &plan);
	if (o->interval_ns) {
		if (compare_series_alloc(&series, plan.ntasks)) {
			fprintf(stderr, CMD ": out of memory\n");
			ret = 1;
			goto out;
		}
		plan.series = &series;
	}
	ret = compare_run(&plan);
	if (ret)
		goto out;
	if (compare_summarise(o, &m)) {
		fprintf(stderr, CMD ": out of memory\n");
		ret = 1;
		goto out;
	}
	err = compare_report(o, (const struct iommusim_cost *const *)costs, m.rows, nrows, &rep);
	ret = bench_report_emit(CMD, err, rep, csv, json);
	if (!ret && plan.series)
		ret = compare_series_write(&plan, &series,
					   (const struct iommusim_cost *const *)costs, NULL, o->ts);
out:
	iommusim_report_destroy(rep);
	compare_series_free(&series);
	matrix_free(&m);
	return ret;
}

int cmd_compare(int argc, char **argv)
{
	struct outfile csv = {.cmd = CMD, .opt = "--csv"};
	struct outfile json = {.cmd = CMD, .opt = "--json"};
	struct outfile ts = {.cmd = CMD, .opt = "--timeseries"};
	struct outfile record = {.cmd = CMD, .opt = "--record"};
	struct outfile *files[] = {&csv, &json, &ts, &record};
	struct iommusim_cost *costs[COMPARE_MAX_PLATFORMS] = {0};
	struct compare_opts o = {0};
	struct iommusim_mem *mem = NULL;
	struct jobfile jf = {0};
	char **args = NULL, **jargv = NULL;
	int ret, err;

	/* A job file's words come first; the command line adds to them or overrides them. */
	ret = jobfile_argv(CMD, argc, argv, &jf, &jargv, &argc);
	if (ret < 0)
		return EXIT_BAD_INPUT;
	if (!ret)
		argv = jargv;

	/* getopt_long reorders argv; the report quotes the command as typed. */
	args = calloc((size_t)argc + 1, sizeof(*args));
	o.sets = calloc((size_t)argc + 1, sizeof(*o.sets));
	o.quiet_args = calloc((size_t)argc + 1, sizeof(*o.quiet_args));
	if (!args || !o.sets || !o.quiet_args) {
		fprintf(stderr, CMD ": out of memory\n");
		ret = 1;
		goto out;
	}
	memcpy(args, argv, (size_t)argc * sizeof(*args));
	o.args = (const char *const *)args;
	o.nargs = argc;
	if (jargv) {
		o.job_path = jobfile_path(&jf);
		o.job_lines = jf.lines;
		o.job_words = jf.nwords;
	}
	o.ts = &ts;
	o.record = &record;
	ret = compare_parse(argc, argv, &o, &csv, &json, NULL);
	if (ret) {
		ret = ret > 0 ? 0 : EXIT_BAD_INPUT;
		goto out;
	}
	err = iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem);
	if (err) {
		fprintf(stderr, CMD ": out of memory\n");
		ret = 1;
		goto out;
	}
	ret = resolve_costs(mem, &o, costs);
	if (ret)
		goto out;
	/* Before the first run: a path that cannot be written fails now, not at the end. */
	if (outfile_open(files, 4) || compare_record_start(&o)) {
		ret = EXIT_BAD_INPUT;
		goto out;
	}
	if (o.sensitivity)
		ret = compare_sensitivity(&o, costs[0], &csv, &json);
	else
		ret = run_matrix(&o, costs, &csv, &json);
	if (!ret)
		ret = compare_record_write(&o);
out:
	/* Whatever was not committed: a failed run leaves no file behind. */
	outfile_abandon(&csv);
	outfile_abandon(&json);
	outfile_abandon(&ts);
	outfile_abandon(&record);
	for (size_t i = 0; i < COMPARE_MAX_PLATFORMS; i++)
		iommusim_cost_destroy(costs[i]);
	iommusim_mem_destroy(mem);
	compare_trace_free(&o);
	free(o.sets);
	free(o.quiet_args);
	free(args);
	free(jargv);
	jobfile_free(&jf);
	return ret;
}
