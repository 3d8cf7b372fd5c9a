/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench sweep: compare's matrix at every point of a grid (sweep_grid.c), all runs on
 * one pool of threads, one report whose rows lead with the swept keys. Run whole, or one cell
 * (a point on a platform) with --cell K --cell-out FILE, or cut into cells for GNU parallel or
 * Slurm with --emit-jobs / --emit-slurm (sweep_emit.c) and merged back (cmd_merge.c): the
 * report is built from the runs' exact results the same way in every case, so it is the same
 * bytes whichever way the runs were made.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "cli.h"
#include "commands.h"
#include "jobfile.h"
#include "sweep.h"

#define CMD "sweep"

/* Task numbers: ((cell * npolicies + policy) * repeat + seed offset), cell = point * np + k. */
static size_t runs_per_cell(const struct sweep *sw)
{
	return sw->base.npolicies * sw->base.repeat;
}

struct collect {
	struct sweep *sw;
	struct compare_matrix *m;	      /* one per point */
	size_t first;			      /* the plan's task 0 is this global task */
	struct iommusim_sim_stats *cell_runs; /* --cell: the cell's runs, in task order */
};

static void sweep_task(const struct compare_plan *p, size_t index, struct compare_task *t)
{
	const struct collect *c = p->ctx;
	const struct sweep *sw = c->sw;
	size_t g = c->first + index, rpc = runs_per_cell(sw), cell = g / rpc;
	size_t np = sw->base.nplatforms, in = g % rpc;

	*t = (struct compare_task){
		.o = &sw->points[cell / np],
		.platform = cell % np,
		.policy = sw->base.policies[in / sw->base.repeat],
		.seed = sw->base.seed + in % sw->base.repeat,
		.vary = COMPARE_POINT,
		.param = IOMMUSIM_COST_NR,
	};
}

void sweep_store(struct sweep *sw, struct compare_matrix *m, size_t g,
		 const struct iommusim_sim_stats *st)
{
	size_t rpc = runs_per_cell(sw), cell = g / rpc, in = g % rpc;
	size_t np = sw->base.nplatforms, k = cell % np, r = in % sw->base.repeat;
	size_t row = k * sw->base.npolicies + in / sw->base.repeat;
	struct compare_matrix *pm = &m[cell / np];

	pm->seed_iops[row * sw->base.repeat + r] = st->iops;
	if (r == 0)
		pm->rows[row].st = *st;
}

static void sweep_done(struct compare_plan *p, size_t index, const struct iommusim_sim_stats *st)
{
	struct collect *c = p->ctx;

	if (c->cell_runs) {
		c->cell_runs[index] = *st;
		return;
	}
	sweep_store(c->sw, c->m, c->first + index, st);
}

struct compare_matrix *sweep_matrices(struct sweep *sw)
{
	struct compare_matrix *m = calloc(sw->npoints, sizeof(*m));
	const struct compare_opts *o = &sw->base;
	size_t rows = o->nplatforms * o->npolicies;

	if (!m)
		return NULL;
	for (size_t p = 0; p < sw->npoints; p++) {
		m[p].rows = calloc(rows, sizeof(*m[p].rows));
		m[p].seed_iops = calloc(rows * o->repeat, sizeof(*m[p].seed_iops));
		m[p].draw_ios = calloc(rows, sizeof(*m[p].draw_ios));
		if (!m[p].rows || !m[p].seed_iops || !m[p].draw_ios) {
			sweep_matrices_free(sw, m);
			return NULL;
		}
		for (size_t r = 0; r < rows; r++) {
			m[p].rows[r].platform = o->platforms[r / o->npolicies];
			m[p].rows[r].kind = o->kinds[r / o->npolicies];
			m[p].rows[r].policy = o->policies[r % o->npolicies];
		}
	}
	return m;
}

void sweep_matrices_free(const struct sweep *sw, struct compare_matrix *m)
{
	for (size_t p = 0; m && p < sw->npoints; p++) {
		free(m[p].rows);
		free(m[p].seed_iops);
		free(m[p].draw_ios);
	}
	free(m);
}

int sweep_report(struct sweep *sw, struct compare_matrix *m, struct outfile *csv,
		 struct outfile *json)
{
	const struct compare_opts *o = &sw->base;
	size_t ncols = compare_report_ncols(o), rows = o->nplatforms * o->npolicies;
	struct iommusim_report_column *cols = calloc(ncols, sizeof(*cols));
	struct iommusim_report *rep = NULL;
	int err = -ENOMEM, ret;

	for (size_t p = 0; p < sw->npoints; p++) {
		if (compare_summarise(&sw->points[p], &m[p])) {
			free(cols);
			fprintf(stderr, CMD ": out of memory\n");
			return 1;
		}
	}
	if (cols && compare_report_columns(o, cols) == ncols)
		err = iommusim_report_create(NULL, cols, ncols, &rep);
	free(cols);
	if (!err) {
		compare_report_meta(rep, o, (const struct iommusim_cost *const *)sw->costs);
		compare_table_notes(rep, o, sw->costs[0]);
		for (size_t p = 0; p < sw->npoints; p++) {
			for (size_t r = 0; r < rows; r++) {
				size_t k = r / o->npolicies;

				if (!compare_cell_runs(o, k, o->policies[r % o->npolicies]))
					continue;
				iommusim_report_add_row(rep);
				compare_report_cells(rep, &sw->points[p],
						     sw->costs[p * o->nplatforms + k],
						     &m[p].rows[r]);
			}
		}
	}
	ret = bench_report_emit(CMD, err, rep, csv, json);
	iommusim_report_destroy(rep);
	return ret;
}

/* The whole grid, its report, and its time series when asked for. */
static int run_grid(struct sweep *sw, struct compare_plan *plan, struct outfile *csv,
		    struct outfile *json)
{
	struct collect *c = plan->ctx;
	struct compare_series series = {0};
	int ret;

	c->m = sweep_matrices(sw);
	plan->ntasks = sweep_ncells(sw) * runs_per_cell(sw);
	if (!c->m || (sw->base.interval_ns && compare_series_alloc(&series, plan->ntasks))) {
		fprintf(stderr, CMD ": out of memory\n");
		ret = 1;
		goto out;
	}
	if (sw->base.interval_ns)
		plan->series = &series;
	ret = compare_run(plan);
	if (!ret)
		ret = sweep_report(sw, c->m, csv, json);
	if (!ret && plan->series)
		ret = compare_series_write(plan, &series,
					   (const struct iommusim_cost *const *)sw->costs,
					   sw->points, sw->base.ts);
out:
	compare_series_free(&series);
	sweep_matrices_free(sw, c->m);
	return ret;
}

/* The whole grid here, or one cell to --cell-out. */
static int run_sweep(struct sweep *sw, const struct sweep_args *a, struct outfile *csv,
		     struct outfile *json, struct outfile *cell)
{
	struct collect c = {.sw = sw};
	struct compare_plan plan = {
		.o = &sw->base, .task = sweep_task, .done = sweep_done, .ctx = &c};
	int ret;

	if (a->cell >= 0) {
		if ((size_t)a->cell >= sweep_ncells(sw)) {
			fprintf(stderr, CMD ": --cell: %ld is not a cell of this sweep (0..%zu)\n",
				a->cell, sweep_ncells(sw) - 1);
			return EXIT_BAD_INPUT;
		}
		FILE *f;

		c.first = (size_t)a->cell * runs_per_cell(sw);
		plan.ntasks = runs_per_cell(sw);
		c.cell_runs = calloc(plan.ntasks, sizeof(*c.cell_runs));
		if (!c.cell_runs) {
			fprintf(stderr, CMD ": out of memory\n");
			return 1;
		}
		ret = compare_run(&plan);
		if (!ret) {
			f = outfile_stream(cell);
			if (!f ||
			    sweep_cell_report(sw, (size_t)a->cell, c.cell_runs, plan.ntasks, f) ||
			    outfile_commit(cell))
				ret = 1;
		}
		free(c.cell_runs);
		return ret;
	}
	return run_grid(sw, &plan, csv, json);
}

int sweep_setup(int argc, char **argv, struct sweep *sw, struct sweep_args *a, struct outfile *csv,
		struct outfile *json, struct outfile *ts, struct iommusim_mem **mem)
{
	int ret;

	/* A job file's words come first; the command line adds to them or overrides them. */
	ret = jobfile_argv(CMD, argc, argv, &sw->jf, &sw->jargv, &argc);
	if (ret < 0)
		return EXIT_BAD_INPUT;
	if (!ret) {
		argv = sw->jargv;
		sw->base.job_path = jobfile_path(&sw->jf);
		sw->base.job_lines = sw->jf.lines;
		sw->base.job_words = sw->jf.nwords;
	}
	sw->base.sets = calloc((size_t)argc + 1, sizeof(*sw->base.sets));
	sw->base.quiet_args = calloc(2 * (size_t)argc + 1, sizeof(*sw->base.quiet_args));
	sw->args = calloc((size_t)argc + 1, sizeof(*sw->args));
	if (!sw->base.sets || !sw->base.quiet_args || !sw->args) {
		fprintf(stderr, CMD ": out of memory\n");
		return 1;
	}
	memcpy(sw->args, argv, (size_t)argc * sizeof(*sw->args));
	sw->base.args = (const char *const *)sw->args;
	sw->base.nargs = argc;
	sw->base.ts = ts;
	ret = compare_parse(argc, argv, &sw->base, csv, json, a);
	if (ret)
		return ret > 0 ? -1 : EXIT_BAD_INPUT;
	if (iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, mem)) {
		fprintf(stderr, CMD ": out of memory\n");
		return 1;
	}
	if (sweep_grid(sw, *mem) ||
	    compare_series_check(&sw->base, sweep_ncells(sw) * sw->base.npolicies))
		return EXIT_BAD_INPUT;
	return 0;
}

void sweep_teardown(struct sweep *sw, struct iommusim_mem *mem)
{
	sweep_free(sw);
	iommusim_mem_destroy(mem);
	free(sw->base.sets);
	free(sw->base.quiet_args);
	free(sw->args);
	free(sw->jargv);
	jobfile_free(&sw->jf);
}

int cmd_sweep(int argc, char **argv)
{
	struct outfile csv = {.cmd = CMD, .opt = "--csv"};
	struct outfile json = {.cmd = CMD, .opt = "--json"};
	struct outfile cell = {.cmd = CMD, .opt = "--cell-out"};
	struct outfile ts = {.cmd = CMD, .opt = "--timeseries"};
	struct outfile *files[] = {&csv, &json, &cell, &ts};
	struct sweep sw = {0};
	struct sweep_args a = {0};
	struct iommusim_mem *mem = NULL;
	int ret;

	ret = sweep_setup(argc, argv, &sw, &a, &csv, &json, &ts, &mem);
	if (ret) {
		ret = ret < 0 ? 0 : ret;
		goto out;
	}
	if ((a.cell >= 0) != (a.cell_out != NULL)) {
		fprintf(stderr, CMD ": %s: needs %s\n", a.cell >= 0 ? "--cell" : "--cell-out",
			a.cell >= 0 ? "--cell-out FILE" : "--cell K");
		ret = EXIT_BAD_INPUT;
		goto out;
	}
	if (a.emit_jobs || a.emit_slurm) {
		ret = sweep_emit(&sw, &a);
		goto out;
	}
	cell.path = a.cell_out;
	/* Before the first run: a path that cannot be written fails now, not at the end. */
	if (outfile_open(files, 4)) {
		ret = EXIT_BAD_INPUT;
		goto out;
	}
	ret = run_sweep(&sw, &a, &csv, &json, &cell);
out:
	outfile_abandon(&csv);
	outfile_abandon(&json);
	outfile_abandon(&cell);
	outfile_abandon(&ts);
	sweep_teardown(&sw, mem);
	return ret;
}
