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

/* The workload options (iommusim_sim_option_name(): bs, iodepth, ..., cpus, mem). */
#define COMPARE_WL_OPTS 7
/* The index of "cpus" among them: a column of its own in every report. */
#define COMPARE_WL_CPUS 5

/* What to run, checked and resolved from the command line. */
struct compare_opts {
	const char *cmd; /* "compare" or "sweep", for messages */
	bool sweep;	 /* values may be lists and ranges (sweep_grid.c expands them) */
	const struct iommusim_scenario *sc;
	/* cpus, guest_memory and nvme: the scenario's, then the workload options */
	struct iommusim_sim_config wl;
	/* the workload options as given (a list in a sweep), NULL: the scenario's */
	const char *wl_text[COMPARE_WL_OPTS];
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
	/* sweep: the words that change nothing in the report (--csv, --emit-jobs, ...) */
	const char **quiet_args;
	size_t nquiet;
	/* sweep: the swept keys as columns leading every row, in command-line order */
	const char *const *lead;
	size_t nlead;
	/* sweep: the grid point this is, for progress lines ("iodepth=8 dma.fq_size=256") */
	const char *point;
	/* --job FILE: its words are args[1..job_words], from these lines of it */
	const char *job_path;
	const unsigned int *job_lines;
	size_t job_words;
	/* --interval-ms N (as ns; 0 without) and --timeseries FILE, which @ts names */
	uint64_t interval_ns;
	struct outfile *ts;
	bool ts_json; /* JSON rather than CSV: --timeseries-format, or the file's name */
	/* --trace FILE (compare_trace.c): the trace replayed, its memory, its timing */
	const char *trace_path;
	struct iommusim_trace *trace;
	struct iommusim_mem *trace_mem;
	enum iommusim_trace_timing trace_timing;
	/* --record FILE: the first row's run, as a trace, written after the report */
	struct outfile *record;
	struct iommusim_trace *record_trace;
	/* --workload and --mlx5 as given (compare_mlx5.c); NULL: the scenario's */
	const char *workload_text;
	const char *mlx5_text;
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

/* Whether a platform of @arch is in the run (its columns are shown only then). */
bool compare_has_arch(const struct compare_opts *o, enum iommusim_arch arch);
/* The powerpc firmware calls a row counts. */
uint64_t compare_hcalls(const struct iommusim_sim_stats *st);

/* Default the policies to the platforms', or check those given; 0 or -1 (said on stderr). */
int compare_resolve_policies(struct compare_opts *o);
/* Whether the cell of platform @platform (an index) and @policy runs and has a row. */
bool compare_cell_runs(const struct compare_opts *o, size_t platform, enum iommusim_policy policy);

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
	const struct compare_opts *o; /* the grid point's options; NULL: the plan's */
	size_t platform;	      /* index in compare_opts.platforms */
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
	/* NULL, or where the runs compare_series_wanted() names keep their time series */
	struct compare_series *series;
};

/* The time series of a plan's runs (compare_series.c), by task: iv[i] has n[i] records. */
struct compare_series {
	struct iommusim_sim_interval **iv;
	size_t *n;
	size_t ntasks;
};

/*
 * Whether @name is a column compare's rows (compare_output.c) or its time series
 * (compare_series.c) write for what ran and what came out, as opposed to a setting's column
 * (a --set key or a workload option): what plot may not take as the swept key.
 */
bool compare_result_column(const char *name);
bool compare_series_column(const char *name);

/* Room for @ntasks tasks' series, none kept yet; 0 or -ENOMEM. */
int compare_series_alloc(struct compare_series *s, size_t ntasks);
void compare_series_free(struct compare_series *s);

/* Whether task @t of a plan of @o records a series: the first seed's point runs. */
bool compare_series_wanted(const struct compare_opts *o, const struct compare_task *t);

/* Keep the series of @sim, task @index's finished run; 0 or -ENOMEM. */
int compare_series_keep(struct compare_series *s, size_t index, const struct iommusim_sim *sim);

/*
 * --interval-ms over @cells cells: refuse more rows than a series file holds; 0, or -1 after a
 * one-line error.
 */
int compare_series_check(const struct compare_opts *o, size_t cells);

/*
 * Write the series kept in @s to @ts (CSV, or JSON with o->ts_json) and commit it: one row per
 * interval per cell in task order. @costs[point * nplatforms + platform] is each run's cost
 * set, @points the sweep's points (NULL for compare: one point). Returns the exit status.
 */
int compare_series_write(const struct compare_plan *plan, const struct compare_series *s,
			 const struct iommusim_cost *const *costs,
			 const struct compare_opts *points, struct outfile *ts);

/* A key's column (a swept key, a workload option or a --set key) for @outputs. */
struct iommusim_report_column compare_key_column(const char *name, unsigned int outputs);

/* The value key @name had in a row of @o with cost set @cost, in column @col of @rep. */
void compare_key_cell(struct iommusim_report *rep, size_t col, const char *name,
		      const struct compare_opts *o, const struct iommusim_cost *cost);

/* What sweep adds to compare's command line. */
struct sweep_args {
	const char *emit_jobs;	/* --emit-jobs DIR */
	const char *emit_slurm; /* --emit-slurm DIR */
	long cell;		/* --cell K: run one cell of the grid; -1 for all */
	const char *cell_out;	/* --cell-out FILE: that cell's exact results */
	unsigned int slurm_max; /* --slurm-max M: array tasks at once */
};

/*
 * Parse and check the command line (argv[0] is "compare" or "sweep"; @sw is NULL for
 * compare). Returns 0 with @o filled, 1 when --help or --list printed what was asked, -1 after
 * a one-line error. @o->sets and @o->quiet_args must have room for argc entries.
 */
int compare_parse(int argc, char **argv, struct compare_opts *o, struct outfile *csv,
		  struct outfile *json, struct sweep_args *sw);

/*
 * Apply the workload options of @o->wl_text (each a single value) to @o->wl, after the
 * scenario's; 0, or -1 after a one-line error "CMD: --OPTION: problem".
 */
int compare_apply_workload(struct compare_opts *o);

/*
 * Refuse a --set that no platform of the run reads (it would change nothing); 0, or -1 after
 * a one-line error.
 */
int compare_check_sets(const struct compare_opts *o);

/* The usage text of sweep. */
void sweep_usage(FILE *f);

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

/*
 * The report's schema for @o: the table's columns, then the files' (the swept keys first, the
 * workload options and every --set key last). Returns the number of columns in @cols, which
 * must have room for compare_report_ncols(o).
 */
size_t compare_report_ncols(const struct compare_opts *o);
size_t compare_report_columns(const struct compare_opts *o, struct iommusim_report_column *cols);

/*
 * One row's cells in the last row of @rep, a report with compare_report_columns(@o)'s schema;
 * @cost is the row's platform's resolved set.
 */
void compare_report_cells(struct iommusim_report *rep, const struct compare_opts *o,
			  const struct iommusim_cost *cost, const struct compare_row *r);

/* The files' columns of compare's rows (all but the keys), and one row's cells. */
#define COMPARE_FILE_COLS 67
size_t compare_file_columns(const struct compare_opts *o, struct iommusim_report_column *out);
void compare_file_cells(struct iommusim_report *rep, const struct compare_opts *o,
			const struct compare_row *r);

/*
 * A word of @o->args that changes nothing in the report: --jobs and its value, and in a sweep
 * where the report goes (--csv, --json, --emit-jobs, --cell, ...).
 */
bool compare_quiet_arg(const struct compare_opts *o, const char *arg);

/* The index of @r's platform in @o->platforms. */
size_t compare_platform_index(const struct compare_opts *o, const char *platform);

/* Exact decimal seconds of @ns without trailing zeros: "2", "0.5", "0.02". */
void compare_seconds(char *buf, size_t len, uint64_t ns);

/* ---- the mlx5 workload (compare_mlx5.c) ---- */

/* Whether the run's workload is the mlx5 function. */
bool compare_mlx5_runs(const struct compare_opts *o);
/* The scenario's workload, then --workload and --mlx5, checked against the rest; 0 or -1. */
int compare_mlx5_apply(struct compare_opts *o);
/* The workload column's text of an mlx5 run: "mlx5-1500b-bidi-4q". */
void compare_mlx5_name(const struct iommusim_mlx5_config *m, unsigned int cpus, char *buf,
		       size_t len);
/* The mlx5 columns (none for other workloads) into @out when not NULL; returns how many. */
size_t compare_mlx5_columns(const struct compare_opts *o, struct iommusim_report_column *out);
/* Whether @name is one of them. */
bool compare_mlx5_column(const char *name);
/* Their cells of one row, from column @at on. */
void compare_mlx5_cells(struct iommusim_report *rep, size_t at, const struct compare_opts *o,
			const struct iommusim_sim_stats *st);
/* The meta's "mlx5" object: the function's configuration. */
void compare_mlx5_meta(struct iommusim_report_value *m, const struct compare_opts *o);
/* The workload's name of scenario @sc as a row shows it. */
void compare_scenario_workload_name(const struct iommusim_scenario *sc, char *buf, size_t len);

/* ---- a trace's replay (compare_trace.c) ---- */

/* The measured time a replay runs at most without --seconds: an hour, --seconds' bound. */
#define COMPARE_TRACE_MAX_NS (3600ull * 1000000000ull)

/* Whether a replay reads workload option @opt (cpus and mem; not the NVMe loop's). */
bool compare_trace_reads(size_t opt);

/* Free the trace --trace loaded and the one --record fills. */
void compare_trace_free(struct compare_opts *o);

/* Whether task @t is the run --record records: the first row's, first seed, resolved costs. */
bool compare_trace_recorded(const struct compare_opts *o, const struct compare_task *t);

/* --record: make the empty trace the run fills (0), or -1 after a one-line error. */
int compare_record_start(struct compare_opts *o);

/* --record: write the trace the run filled and commit the file; the exit status. */
int compare_record_write(struct compare_opts *o);

/* The workload column's text: the NVMe loop's name, or "trace:FILE:TIMING". */
void compare_run_workload_name(const struct compare_opts *o, char *buf, size_t len);

/* The replay's columns (none without a trace) into @out when not NULL; returns how many. */
size_t compare_trace_columns(const struct compare_opts *o, struct iommusim_report_column *out);

/* Whether @name is one of the replay's columns. */
bool compare_trace_column(const char *name);

/* A row's replay cells, from column @at of @rep's last row. */
void compare_trace_cells(struct iommusim_report *rep, size_t at, const struct compare_opts *o,
			 const struct iommusim_sim_stats *st);

/* The meta's "trace" object: the file, its device, timing and size. */
void compare_trace_meta(struct iommusim_report_value *m, const struct compare_opts *o);

/* The report's table-only columns, first in its schema. */
#define COMPARE_TABLE_COLS 22

/* The table's columns for @o (those a study adds hidden without it) into @cols. */
void compare_table_columns(const struct compare_opts *o, struct iommusim_report_column *cols);

/* The table's cells of @r, in the last row of @rep, its columns from @base on. */
void compare_table_cells(struct iommusim_report *rep, size_t base, const struct compare_row *r);

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
