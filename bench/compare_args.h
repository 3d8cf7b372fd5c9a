/* SPDX-License-Identifier: MIT */
/*
 * What the three parts of compare's command-line parser share: the main loop and the checks
 * after it (compare_args.c), values and messages (compare_args_values.c), and what a sweep or
 * a job file adds (compare_args_sweep.c). Private to them.
 */
#ifndef ISIM_BENCH_COMPARE_ARGS_H
#define ISIM_BENCH_COMPARE_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compare.h"

/* getopt_long's values for the workload options, in iommusim_sim_option_name()'s order. */
#define WL_BASE 0x100

/* --platform values are resolved once the scenario is known: plain kvm depends on it. */
#define MAX_PLATFORM_ARGS 64

/* What has been given so far, and what of it came from the job file. */
struct given {
	bool scenario, seed, seconds, warmup, jobs, repeat, uncertainty, uncertainty_all, cell;
	bool wl_file[COMPARE_WL_OPTS]; /* a workload option the job file gave */
	bool file_seconds, file_warmup;
	size_t file_platforms, file_policies; /* the job file's --platform and --policy */
	const char *platform_args[MAX_PLATFORM_ARGS];
	size_t nplatform_args;
	bool interval;	       /* --interval-ms */
	bool trace_timing;     /* --trace-timing */
	const char *ts_format; /* --timeseries-format */
};

/* The command whose line this is, for messages: "compare" or "sweep". */
extern const char *args_cmd;
/* The options being parsed: where a job file's words came from. */
extern const struct compare_opts *args_parsing;

/* Digits only, no sign or blanks; 0 or -1. */
int args_parse_u64(const char *s, uint64_t *out);

/* Decimal seconds in [0, 3600] with at most nine decimals, to exact ns; 0 or -1. */
int args_parse_seconds(const char *s, uint64_t *ns);

/* Whether the word getopt_long last read came from the job file. */
bool args_from_job(void);

/* "CMD: OPT: PROBLEM 'VALUE'" (or the job file's "FILE:LINE: key: ..."); returns -1. */
int args_bad_value(const char *opt, const char *problem, const char *value);

/* "CMD: OPT: given twice" when @given; -1 then, else 0. */
int args_given_twice(const char *opt, bool given);

/* The same for an option that must be given once: records in *@given that it now has been. */
int args_given_once(const char *opt, bool *given);

/* An option naming a file or folder, given once: optarg into *@path (NULL until given). */
int args_path_once(const char *opt, const char **path);

/* --seconds, --warmup: a time in seconds into *@ns, given once; @problem names the range. */
int args_parse_seconds_once(const char *opt, const char *problem, bool *given, uint64_t *ns);

/* A comma-separated list of platforms (@platform) or policies added to @o's; 0 or -1. */
int args_add_list(struct compare_opts *o, bool platform, const char *text);

/* --repeat K, --uncertainty N, --jobs N: a count in [@lo, @hi] of @what, given once. */
int args_parse_count(const char *opt, const char *what, unsigned int lo, unsigned int hi,
		     bool *given, unsigned int *out);

/* Remember the words that gave --jobs, which the report leaves out. */
void args_note_jobs(struct compare_opts *o, char **argv);

/* The command line's words start: what the job file gave may be given once more. */
void args_file_given(struct compare_opts *o, struct given *g);

/* A list or a range is a sweep's, never compare's; 0 or -1. */
int args_scalar_only(const struct compare_opts *o, const char *opt, const char *value);

/* --bs, --iodepth, ...: kept as text until the scenario is known; 0 or -1. */
int args_workload_option(struct compare_opts *o, struct given *g, int c);

/* The words of an option that changes where a sweep's report goes, not what it says. */
void args_note_quiet(struct compare_opts *o, char **argv);

/* Options of sweep alone (@sw NULL: compare, which refuses them); 0 or -1. */
int args_sweep_option(struct compare_opts *o, struct sweep_args *sw, int c, char **argv,
		      struct given *g);

/* --interval-ms, --timeseries, --timeseries-format (@c 'I', 'Y', 'F'); 0 or -1. */
int args_series_option(struct compare_opts *o, int c, char **argv, struct given *g, bool sweep);

/*
 * After the options: what the series' options need of each other and of the rest, and the
 * series' format; 0 or -1 after a one-line error.
 */
int args_series_check(struct compare_opts *o, const struct given *g, const struct sweep_args *sw);

/* --trace FILE, --trace-timing MODE, --record FILE (@c 'X', 'G', 'Q'); compare's only. 0 or -1. */
int args_trace_option(struct compare_opts *o, int c, char **argv, struct given *g, bool sweep);

/*
 * After the workload options: what --trace refuses beside it, the trace loaded (its errors
 * "CMD: --trace: FILE:LINE: FIELD: problem"), its times and CPUs; 0 or -1.
 */
int args_trace_check(struct compare_opts *o, const struct given *g);

/* --workload NAME, --mlx5 LIST (@c 'W', 'N'); compare's only. 0 or -1. */
int args_mlx5_option(struct compare_opts *o, int c, bool sweep);

#endif /* ISIM_BENCH_COMPARE_ARGS_H */
