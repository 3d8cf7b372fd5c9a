/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench compare: run a scenario's matrix of platforms x DMA policies, one simulation
 * per cell, and report them side by side (docs/compare.md). Everything the user typed is
 * checked, and every platform's cost set resolved, before the report files are created and
 * the first run starts; a simulated failure is a figure in its row, never an exit status.
 * Wall-clock time goes to standard error only, so the report stays byte-identical.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <iommusim/iommusim.h>

#include "commands.h"
#include "compare.h"
#include "outfile.h"

#define CMD "compare"

static double wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
		err = iommusim_scenario_configure(o->sc, o->platforms[i], costs[i], o->sets,
						  o->nsets, errbuf, sizeof(errbuf), &bad);
		if (err) {
			fprintf(stderr, CMD ": %s: %s\n", bad < 0 ? "--scenario" : "--set", errbuf);
			return EXIT_BAD_INPUT;
		}
	}
	return 0;
}

/*
 * On a terminal, the run's progress line shows how much of its simulated time is done,
 * rewritten in place; in a log it stays one line per run.
 */
struct progress {
	const char *line; /* "[k/n] platform policy ..." */
	int shown;	  /* last percentage printed */
};

static void show_progress(void *arg, uint64_t done_ns, uint64_t total_ns)
{
	struct progress *pr = arg;
	int pct = total_ns ? (int)(done_ns * 100.0 / (double)total_ns) : 100;

	if (pct == pr->shown)
		return;
	pr->shown = pct;
	fprintf(stderr, "\r%s %3d%%", pr->line, pct);
	fflush(stderr);
}

/* One simulation; 0, or the exit status after a one-line error. */
static int run_one(struct iommusim_mem *mem, const struct compare_opts *o,
		   const struct iommusim_cost *cost, struct compare_row *row,
		   struct progress *pr)
{
	struct iommusim_sim_config cfg;
	struct iommusim_sim *sim;
	int err;

	iommusim_scenario_sim_config(o->sc, row->kind, row->policy, cost, &cfg);
	cfg.seed = o->seed;
	cfg.warmup_ns = o->warmup_ns;
	cfg.measure_ns = o->measure_ns;
	if (pr) {
		cfg.progress = show_progress;
		cfg.progress_arg = pr;
	}
	err = iommusim_sim_create(mem, &cfg, &sim);
	if (err) {
		/* The scenario itself is valid, so only the overrides can make it unbuildable. */
		/* The progress line is left open: end it, then the error on a line of its own. */
		fprintf(stderr,
			" failed\n" CMD ": --set: %s %s cannot be built with these values: %s\n",
			row->platform, iommusim_policy_name(row->policy),
			iommusim_strerror(err));
		return err == -EINVAL ? EXIT_BAD_INPUT : 1;
	}
	err = iommusim_sim_run(sim);
	if (!err)
		iommusim_sim_get_stats(sim, &row->st);
	iommusim_sim_destroy(sim);
	if (err) {
		fprintf(stderr, " failed\n" CMD ": %s %s: %s\n",
			row->platform, iommusim_policy_name(row->policy),
			iommusim_strerror(err));
		return 1;
	}
	return 0;
}

static int run_matrix(struct iommusim_mem *mem, const struct compare_opts *o,
		      struct iommusim_cost *const *costs, struct compare_row *rows)
{
	size_t n = o->nplatforms * o->npolicies, k = 0;
	double start = wall_seconds();
	int ret;

	bool tty = isatty(STDERR_FILENO);

	for (size_t i = 0; i < o->nplatforms; i++) {
		for (size_t j = 0; j < o->npolicies; j++, k++) {
			double t0 = wall_seconds();
			char line[96];
			struct progress pr = { .line = line, .shown = -1 };

			rows[k].platform = o->platforms[i];
			rows[k].kind = o->kinds[i];
			rows[k].policy = o->policies[j];
			snprintf(line, sizeof(line), "[%zu/%zu] %s %s ...", k + 1, n,
				 rows[k].platform,
				 iommusim_policy_name(rows[k].policy));
			fputs(line, stderr);
			fflush(stderr);
			ret = run_one(mem, o, costs[i], &rows[k], tty ? &pr : NULL);
			if (ret)
				return ret;
			/* On a terminal the percentage is overwritten (spaces cover "100%"). */
			fprintf(stderr, "%s%s %.1f s wall%s\n", tty ? "\r" : "", tty ? line : "",
				wall_seconds() - t0, tty ? "    " : "");
		}
	}
	fprintf(stderr, CMD ": %zu runs in %.1f s wall\n", n, wall_seconds() - start);
	return 0;
}

/* Each policy's IOPS over legacy's on the same platform, where legacy ran and completed I/O. */
static void set_ratios(const struct compare_opts *o, struct compare_row *rows)
{
	for (size_t i = 0; i < o->nplatforms; i++) {
		struct compare_row *r = &rows[i * o->npolicies];
		const struct compare_row *legacy = NULL;

		for (size_t j = 0; j < o->npolicies; j++)
			if (r[j].policy == IOMMUSIM_POLICY_LEGACY)
				legacy = &r[j];
		for (size_t j = 0; j < o->npolicies; j++) {
			r[j].has_ratio = legacy && legacy->st.iops > 0;
			r[j].ratio = r[j].has_ratio ? r[j].st.iops / legacy->st.iops : 0;
		}
	}
}

int cmd_compare(int argc, char **argv)
{
	struct outfile csv = { .cmd = CMD, .opt = "--csv" };
	struct outfile json = { .cmd = CMD, .opt = "--json" };
	struct iommusim_cost *costs[COMPARE_MAX_PLATFORMS] = { 0 };
	struct compare_opts o = { 0 };
	struct iommusim_mem *mem = NULL;
	struct compare_row *rows = NULL;
	char **args = NULL;
	int ret, err;

	/* getopt_long reorders argv; the report quotes the command as typed. */
	args = calloc((size_t)argc + 1, sizeof(*args));
	o.sets = calloc((size_t)argc + 1, sizeof(*o.sets));
	if (!args || !o.sets) {
		fprintf(stderr, CMD ": out of memory\n");
		ret = 1;
		goto out;
	}
	memcpy(args, argv, (size_t)argc * sizeof(*args));
	o.args = (const char *const *)args;
	o.nargs = argc;
	ret = compare_parse(argc, argv, &o, &csv, &json);
	if (ret) {
		ret = ret > 0 ? 0 : EXIT_BAD_INPUT;
		goto out;
	}
	err = iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &mem);
	rows = calloc(o.nplatforms * o.npolicies, sizeof(*rows));
	if (err || !rows) {
		fprintf(stderr, CMD ": out of memory\n");
		ret = 1;
		goto out;
	}
	ret = resolve_costs(mem, &o, costs);
	if (ret)
		goto out;
	if (outfile_open(&csv) || outfile_open(&json)) {
		ret = EXIT_BAD_INPUT;
		goto abandon;
	}
	ret = run_matrix(mem, &o, costs, rows);
	if (ret)
		goto abandon;
	set_ratios(&o, rows);
	compare_print_table(&o, rows, o.nplatforms * o.npolicies);
	if (csv.f)
		compare_write_csv(csv.f, &o, rows, o.nplatforms * o.npolicies);
	if (json.f)
		compare_write_json(json.f, &o, (const struct iommusim_cost *const *)costs, rows,
				   o.nplatforms * o.npolicies);
	if (outfile_close(&csv, true) | outfile_close(&json, true))
		ret = 1;
	goto out;
abandon:
	outfile_close(&csv, false);
	outfile_close(&json, false);
out:
	for (size_t i = 0; i < COMPARE_MAX_PLATFORMS; i++)
		iommusim_cost_destroy(costs[i]);
	iommusim_mem_destroy(mem);
	free(rows);
	free(o.sets);
	free(args);
	return ret;
}
