/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench compare, in three parts: the command line (compare_args.c), the runs
 * (cmd_compare.c) and the report as a table, CSV and JSON (compare_output.c). docs/compare.md
 * describes all of it.
 */
#ifndef ISIM_BENCH_COMPARE_H
#define ISIM_BENCH_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <iommusim/iommusim.h>

#include "outfile.h"

/* At most one platform per cost profile: each names a kind or a generation of one. */
#define COMPARE_MAX_PLATFORMS 16

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
	/* The arguments as given (before getopt reorders them), for the JSON meta. */
	const char *const *args;
	int nargs;
};

/* One run of the matrix and what it reported. */
struct compare_row {
	const char *platform; /* the profile's name */
	enum iommusim_platform_kind kind;
	enum iommusim_policy policy;
	struct iommusim_sim_stats st;
	bool has_ratio; /* legacy ran on this platform and completed I/Os */
	double ratio;	/* iops / legacy's iops on the same platform */
};

/*
 * Parse and check the command line (argv[0] is "compare"). Returns 0 with @o filled, 1 when
 * --help or --list printed what was asked, -1 after a one-line error. @o->sets must have room
 * for argc entries.
 */
int compare_parse(int argc, char **argv, struct compare_opts *o, struct outfile *csv,
		  struct outfile *json);

/* "4k-randread-4x32": block size, pattern and direction, jobs x iodepth. */
void compare_workload_name(const struct iommusim_nvme_config *nvme, char *buf, size_t len);

/* Exact decimal seconds of @ns without trailing zeros: "2", "0.5", "0.02". */
void compare_seconds(char *buf, size_t len, uint64_t ns);

/* The human table on stdout, its header line first. */
void compare_print_table(const struct compare_opts *o, const struct compare_row *rows,
			 size_t nrows);

/* The CSV report: one header row, one line per row. */
void compare_write_csv(FILE *f, const struct compare_opts *o, const struct compare_row *rows,
		       size_t nrows);

/*
 * The JSON report: {"meta": {...}, "rows": [...]}; @costs[i] is the resolved cost set of
 * o->platforms[i].
 */
void compare_write_json(FILE *f, const struct compare_opts *o,
			const struct iommusim_cost *const *costs, const struct compare_row *rows,
			size_t nrows);

#endif /* ISIM_BENCH_COMPARE_H */
