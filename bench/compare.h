/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench compare: the command line (compare_args.c, compare_usage.c), the
 * simulations on a pool of threads (compare_run.c), the matrix and its study over seeds and
 * draws (cmd_compare.c, compare_study.c), the one-cell sensitivity study (compare_sens.c),
 * and the report: its table's columns and notes (compare_table.c), the files' columns and the
 * meta (compare_output.c), written by the library's emitter (report_out.h).
 * docs/compare.md describes all of it.
 */
#ifndef ISIM_BENCH_COMPARE_H
#define ISIM_BENCH_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <iommusim/iommusim.h>

#include "outfile.h"
#include "report_out.h"

/* At most one platform per cost profile: each names a kind or a generation of one. */
#define COMPARE_MAX_PLATFORMS 16
/* Bounds of --jobs, --repeat and --uncertainty. */
#define COMPARE_MAX_JOBS   256
#define COMPARE_MAX_REPEAT 1000
#define COMPARE_MIN_DRAWS  2
#define COMPARE_MAX_DRAWS  10000

/* What to run, checked and resolved from the command line. */
struct compare_opts {
	const struct iommusim_scenario *sc;
	/* the profile each platform runs with ("kvm-qemu7.1"), and its kind */
	const char *platforms[COMPARE_MAX_PLATFORMS];
	enum iommusim_platform_kind kinds[COMPARE_MAX_PLATFORMS];
	size_t nplatforms;
	enum iommusim_policy policies[IOMMUSIM_POLICY_NR];
	size_t npolicies;
	const char **sets; /* the --set values in command-line order */
	size_t nsets;
	uint64_t seed;
	uint64_t warmup_ns;
	uint64_t measure_ns;
	unsigned int jobs;   /* simulations at once: never changes the report */
	unsigned int repeat; /* seeds per cell: seed, seed + 1, ..., seed + repeat - 1 */
	unsigned int draws;  /* --uncertainty: hypercube draws per platform, 0 without */
	bool draw_fitted;    /* --uncertainty-all: draw the fitted parameters too */
	bool sensitivity;    /* --sensitivity: the tornado table of one cell */
	/* The arguments as given (before getopt reorders them), for the JSON meta. */
	const char *const *args;
	int nargs;
	/* The words of args that gave --jobs, which the meta leaves out. */
	const char *jobs_args[2];
};

/* The study of a row over seeds and draws: NaN where a figure does not apply. */
struct compare_study {
	double iops_mean, iops_ci95;   /* over the seeds, and the half-width of its interval */
	double ratio_mean, ratio_ci95; /* each seed's ratio to legacy on that seed */
	double iops_p[3];	       /* 5th, 50th, 95th percentiles over draws */
	double ratio_p[3];	       /* of the ratio within each draw */
	double rank_flips;	       /* share of draws ranking this policy otherwise */
};

/* The rank_flips share above which the table marks a row. */
#define COMPARE_FLIPS_MARK 0.05

/* One run of the matrix and what it reported. */
struct compare_row {
	const char *platform; /* the profile's name */
	enum iommusim_platform_kind kind;
	enum iommusim_policy policy;
	struct iommusim_sim_stats st;
	bool has_ratio; /* legacy ran on this platform and completed I/Os */
	double ratio;	/* iops / legacy's iops on the same platform */
	struct compare_study s;
};

/* How one simulation's costs differ from its platform's resolved set. */
enum compare_vary {
	COMPARE_POINT,	/* as resolved */
	COMPARE_DRAW,	/* a hypercube draw */
	COMPARE_AT_MIN, /* one parameter at its minimum */
	COMPARE_AT_MAX, /* or at its maximum */
};

/* One simulation: a cell, a seed, and its costs. */
struct compare_task {
	size_t platform; /* index in compare_opts.platforms */
	enum iommusim_policy policy;
	uint64_t seed;
	enum compare_vary vary;
	uint32_t draw;		     /* COMPARE_DRAW */
	enum iommusim_cost_id param; /* COMPARE_AT_MIN, COMPARE_AT_MAX */
};

/*
 * A list of simulations for compare_run(). Tasks are numbered 0..ntasks-1 and started in
 * that order; each result lands in the slot its number names, so the report does not depend
 * on which thread ran what, or when.
 */
struct compare_plan {
	const struct compare_opts *o;
	size_t ntasks;
	void (*task)(const struct compare_plan *p, size_t index, struct compare_task *t);
	/* A finished simulation: called under the pool's lock, in any order. */
	void (*done)(struct compare_plan *p, size_t index, const struct iommusim_sim_stats *st);
	void *ctx;
};

/*
 * Parse and check the command line (argv[0] is "compare"). Returns 0 with @o filled, 1 when
 * --help or --list printed what was asked, -1 after a one-line error. @o->sets must have room
 * for argc entries.
 */
int compare_parse(int argc, char **argv, struct compare_opts *o, struct outfile *csv,
		  struct outfile *json);

/* The usage text, and the list of scenarios --list prints. */
void compare_usage(FILE *f);
void compare_list_scenarios(void);

/*
 * Run every task of @plan on o->jobs threads, each with its own memory context and cost set,
 * with progress on stderr. Returns 0, or the exit status after a one-line error naming the
 * first task (in task order) that failed.
 */
int compare_run(struct compare_plan *plan);

/*
 * The matrix: rows (platform-major) filled from the first seed's runs; @seed_iops[c * repeat
 * + r] holds cell c's IOPS with seed + r, @draw_ios[c * draws + d] its I/Os completed in draw
 * d, summed over the seeds.
 */
struct compare_matrix {
	struct compare_row *rows;
	double *seed_iops;
	uint64_t *draw_ios;
};

/* The plan that fills @m: point runs (every seed), then each draw (every seed). */
void compare_matrix_plan(const struct compare_opts *o, struct compare_matrix *m,
			 struct compare_plan *plan);

/* Ratios to legacy and the study columns of every row, from what @m collected; 0 or -1. */
int compare_summarise(const struct compare_opts *o, struct compare_matrix *m);

/*
 * --sensitivity: run the tornado study of o's one cell against legacy and write its report;
 * @cost is the platform's resolved set. Returns the exit status.
 */
int compare_sensitivity(const struct compare_opts *o, const struct iommusim_cost *cost,
			struct outfile *csv, struct outfile *json);

/*
 * Resolve the cost set of platform @platform (an index into @o->platforms): its profile, the
 * scenario's settings, then the --set values that platform reads (compare_parse() refused any
 * that no platform of the run reads). Returns iommusim_scenario_configure()'s answer, with
 * *@bad the failing value's index in @o->sets, or -1.
 */
int compare_configure(const struct compare_opts *o, size_t platform, struct iommusim_cost *cost,
		      char *errbuf, size_t errlen, long *bad);

/* A count of the measured interval as a rate per second of it (NaN for an empty interval). */
double compare_per_second(uint64_t count, const struct iommusim_sim_stats *st);

/* "4k-randread-4x32": block size, pattern and direction, jobs x iodepth. */
void compare_workload_name(const struct iommusim_nvme_config *nvme, char *buf, size_t len);

/* Exact decimal seconds of @ns without trailing zeros: "2", "0.5", "0.02". */
void compare_seconds(char *buf, size_t len, uint64_t ns);

/* The report's table-only columns, first in its schema. */
#define COMPARE_TABLE_COLS 20

/* The table's columns for @o (those a study adds hidden without it) into @cols. */
void compare_table_columns(const struct compare_opts *o, struct iommusim_report_column *cols);

/* The table's cells of @r, in the last row of @rep. */
void compare_table_cells(struct iommusim_report *rep, const struct compare_row *r);

/* The table's header lines: scenario, seed, times, version; the settings when any. */
void compare_report_header(struct iommusim_report *rep, const struct compare_opts *o);

/*
 * The table's notes: the header lines, what the study ran, and the legend; @cost is the
 * first platform's resolved set.
 */
void compare_table_notes(struct iommusim_report *rep, const struct compare_opts *o,
			 const struct iommusim_cost *cost);

/*
 * The JSON meta of a compare run: the command, the scenario, times, seed, study, matrix and
 * every platform's resolved costs (@costs[i] is that of o->platforms[i]).
 */
void compare_report_meta(struct iommusim_report *rep, const struct compare_opts *o,
			 const struct iommusim_cost *const *costs);

/*
 * The matrix's report: the table's columns and notes, the files' columns, the meta and
 * one row per @rows. Returns iommusim_report_create()'s answer; what fails after it is
 * recorded in *@out (iommusim_report_check()).
 */
int compare_report(const struct compare_opts *o, const struct iommusim_cost *const *costs,
		   const struct compare_row *rows, size_t nrows, struct iommusim_report **out);

#endif /* ISIM_BENCH_COMPARE_H */
