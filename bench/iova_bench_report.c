/* SPDX-License-Identifier: MIT */
/*
 * iova-bench's rows and its report: each row's unit and goal, and the table (medians with the
 * row's own decimals), CSV and JSON (3 decimals) of a finished run.
 */
#include <stdio.h>
#include <iommusim/iommusim.h>

#include "iova_bench.h"

const struct iova_bench_row_def iova_bench_rows[NR_ROWS] = {
	[ROW_HIT] = {"rcache_hit_pair", "ns/pair", GOAL_AT_MOST, 50, 1},
	[ROW_TREE_10K] = {"tree_pair_fifo_10k", "ns/pair", GOAL_NONE, 0, 1},
	[ROW_TREE_100K] = {"tree_pair_fifo_100k", "ns/pair", GOAL_AT_MOST, 500, 1},
	/* Tree nodes the pairs above looked at (work reports): what their time is made of. */
	[ROW_WALK_10K] = {"tree_walk_fifo_10k", "nodes/pair", GOAL_NONE, 0, 1},
	[ROW_WALK_100K] = {"tree_walk_fifo_100k", "nodes/pair", GOAL_NONE, 0, 1},
	/*
	 * Mixed sizes (1..4 granules, size-aligned), still FIFO: a freed hole often does not fit
	 * the next request, so the search walks further. Then frees in random order: the search
	 * restarts from the hint each free drags up and walks down across the live ranges. Both
	 * are properties of the kernel's algorithm, shown for scale.
	 */
	[ROW_MIXED_100K] = {"tree_pair_mixed_100k", "ns/pair", GOAL_NONE, 0, 1},
	[ROW_MIXED_WALK_100K] = {"tree_walk_mixed_100k", "nodes/pair", GOAL_NONE, 0, 1},
	[ROW_RANDOM_100K] = {"tree_pair_random_100k", "ns/pair", GOAL_NONE, 0, 1},
	[ROW_RANDOM_WALK_100K] = {"tree_walk_random_100k", "nodes/pair", GOAL_NONE, 0, 1},
	[ROW_REPLAY] = {"replay_throughput", "Mops/s", GOAL_AT_LEAST, 2, 2},
	[ROW_MEM_REQUESTED] = {"mem_requested_per_range", "B/range", GOAL_NONE, 0, 3},
	[ROW_MEM_USABLE] = {"malloc_usable_per_range", "B/range", GOAL_NONE, 0, 3},
	[ROW_MEM_FOOTPRINT] = {"malloc_footprint_per_range", "B/range", GOAL_AT_MOST, 48, 3},
};

/*
 * The table keeps its columns at fixed widths, as a terminal report always has; the figures
 * appear twice, with the row's decimals on screen and with 3 in the files. The goal is
 * "<= 50" on screen, "<=50" in the CSV and {"op": "<=", "value": 50} in JSON; whether the
 * median met it is on screen and in JSON.
 */
enum col {
	B_NAME,
	B_MEDIAN_T,
	B_MEDIAN,
	B_MIN_T,
	B_MIN,
	B_MAX_T,
	B_MAX,
	B_UNIT,
	B_COUNT,
	B_GOAL_T,
	B_GOAL_CSV,
	B_GOAL_JSON,
	B_MET,
	NR_COLS
};

/* clang-format off */
#define SCREEN(n, w, sep)                                                                          \
	{                                                                                          \
		n, IOMMUSIM_REPORT_STRING, IOMMUSIM_REPORT_TABLE,                                  \
			IOMMUSIM_REPORT_RIGHT | IOMMUSIM_REPORT_FIXED | IOMMUSIM_REPORT_NULLABLE,  \
			0, w, sep, NULL, NULL                                                      \
	}
#define FIGURE(n)                                                                                  \
	{                                                                                          \
		n, IOMMUSIM_REPORT_REAL, IOMMUSIM_REPORT_FILES, IOMMUSIM_REPORT_NULLABLE, 3, 0,    \
			NULL, NULL, NULL                                                           \
	}
/* clang-format on */

static const struct iommusim_report_column cols[NR_COLS] = {
	[B_NAME] = {"benchmark", IOMMUSIM_REPORT_STRING, 0, IOMMUSIM_REPORT_FIXED, 0, 27, NULL,
		    NULL, NULL},
	[B_MEDIAN_T] = SCREEN("median", 9, " "),
	[B_MEDIAN] = FIGURE("median"),
	[B_MIN_T] = SCREEN("min", 9, " "),
	[B_MIN] = FIGURE("min"),
	[B_MAX_T] = SCREEN("max", 9, " "),
	[B_MAX] = FIGURE("max"),
	[B_UNIT] = {"unit", IOMMUSIM_REPORT_STRING, 0, IOMMUSIM_REPORT_FIXED, 0, 10, "  ", NULL,
		    NULL},
	[B_COUNT] = {"count", IOMMUSIM_REPORT_UINT, IOMMUSIM_REPORT_JSON, 0, 0, 0, NULL, NULL,
		     NULL},
	[B_GOAL_T] = SCREEN("goal", 6, " "),
	[B_GOAL_CSV] = {"goal", IOMMUSIM_REPORT_STRING, IOMMUSIM_REPORT_CSV,
			IOMMUSIM_REPORT_NULLABLE, 0, 0, NULL, NULL, NULL},
	[B_GOAL_JSON] = {"goal", IOMMUSIM_REPORT_OBJECT, IOMMUSIM_REPORT_JSON,
			 IOMMUSIM_REPORT_NULLABLE, 0, 0, NULL, NULL, NULL},
	[B_MET] = {"met", IOMMUSIM_REPORT_BOOL, IOMMUSIM_REPORT_TABLE | IOMMUSIM_REPORT_JSON,
		   IOMMUSIM_REPORT_NULLABLE, 0, 0, "  ", "yes", "no"},
};

/* 1 met, 0 missed, -1 no goal. */
static int goal_met(const struct iova_bench_row_def *r, double median)
{
	if (r->goal_kind == GOAL_NONE)
		return -1;
	return r->goal_kind == GOAL_AT_MOST ? median <= r->goal : median >= r->goal;
}

/* A figure on screen and in the files. */
static void put_figure(struct iommusim_report *rep, enum col screen, int prec, double v)
{
	iommusim_report_set_strf(rep, screen, "%.*f", prec, v);
	iommusim_report_set_real(rep, screen + 1, v);
}

static void put_goal(struct iommusim_report *rep, const struct iova_bench_row_def *r, double median)
{
	const char *op = r->goal_kind == GOAL_AT_MOST ? "<=" : ">=";
	struct iommusim_report_value *g;
	char value[32];
	int met = goal_met(r, median);

	if (met < 0) {
		iommusim_report_set_null(rep, B_GOAL_T);
		iommusim_report_set_null(rep, B_GOAL_CSV);
		iommusim_report_set_null(rep, B_GOAL_JSON);
		iommusim_report_set_null(rep, B_MET);
		return;
	}
	snprintf(value, sizeof(value), "%g", r->goal);
	iommusim_report_set_strf(rep, B_GOAL_T, "%s %s", op, value);
	iommusim_report_set_strf(rep, B_GOAL_CSV, "%s%s", op, value);
	g = iommusim_report_set_object(rep, B_GOAL_JSON);
	iommusim_report_add_str(g, "op", op);
	iommusim_report_add_number(g, "value", value);
	iommusim_report_set_bool(rep, B_MET, met);
}

/* The meta: how the run was sized, and whose memory it measured. */
static void put_meta(struct iommusim_report *rep, const struct iova_bench *b, const char *backend)
{
	struct iommusim_report_value *m = iommusim_report_meta(rep);

	iommusim_report_add_uint(m, "runs", b->plan.runs);
	iommusim_report_add_bool(m, "quick", b->plan.quick);
	iommusim_report_add_uint(m, "seed", IOVA_BENCH_SEED);
	iommusim_report_add_str(m, "backend", backend);
	iommusim_report_add_str(m, "malloc", b->malloc_name);
}

static void fill_report(struct iommusim_report *rep, const struct iova_bench *b,
			const char *backend)
{
	put_meta(rep, b, backend);
	iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE,
			     "iommusim %s (%s), %u runs, seed %#llx, memory backend %s; malloc_* "
			     "rows: malloc_usable_size() of %s%s\n",
			     iommusim_version(), iommusim_git_describe(), b->plan.runs,
			     IOVA_BENCH_SEED, backend, b->malloc_name,
			     b->malloc_header ? " + its 8-byte chunk header" : "");
	for (int i = 0; i < NR_ROWS; i++) {
		const struct iova_bench_row_def *r = &iova_bench_rows[i];
		const struct iova_bench_result *v = &b->res[i];

		iommusim_report_add_row(rep);
		iommusim_report_set_str(rep, B_NAME, r->name);
		put_figure(rep, B_MEDIAN_T, r->prec, v->median);
		put_figure(rep, B_MIN_T, r->prec, v->min);
		put_figure(rep, B_MAX_T, r->prec, v->max);
		iommusim_report_set_str(rep, B_UNIT, r->unit);
		iommusim_report_set_uint(rep, B_COUNT, b->count[i]);
		put_goal(rep, r, v->median);
	}
}

int iova_bench_report(const struct iova_bench *b, const char *backend, struct iommusim_report **out)
{
	int err = iommusim_report_create(NULL, cols, NR_COLS, out);

	if (!err)
		fill_report(*out, b, backend);
	return err;
}
