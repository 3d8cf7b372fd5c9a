/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench iova-bench: the command line (cmd_iova_bench.c), the timed benchmarks
 * (iova_bench_run.c), the memory a live range costs under the process's malloc
 * (iova_bench_mem.c), the report (iova_bench_report.c) and the generated op script it
 * replays (iova_bench_script.c).
 */
#ifndef ISIM_BENCH_IOVA_BENCH_H
#define ISIM_BENCH_IOVA_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/iommusim.h>

/* Every workload is drawn from this seed. */
#define IOVA_BENCH_SEED 0x10a5eed5ull
/* Inclusive PFN limits with a 4 KiB granule: a 32-bit and a 64-bit DMA mask. */
#define IOVA_BENCH_LIMIT_32 0xfffffull
#define IOVA_BENCH_LIMIT_64 ((1ull << 52) - 1)
/* Live ranges of the memory measurement (and of the 100k tree rows). */
#define IOVA_BENCH_MEM_LIVE 100000u

enum iova_bench_goal { GOAL_NONE, GOAL_AT_MOST, GOAL_AT_LEAST };

enum iova_bench_row {
	ROW_HIT,
	ROW_TREE_10K,
	ROW_TREE_100K,
	ROW_WALK_10K,
	ROW_WALK_100K,
	ROW_MIXED_100K,
	ROW_MIXED_WALK_100K,
	ROW_RANDOM_100K,
	ROW_RANDOM_WALK_100K,
	ROW_REPLAY,
	ROW_MEM_REQUESTED,
	ROW_MEM_USABLE,
	ROW_MEM_FOOTPRINT,
	NR_ROWS
};

/* What a row measures, in what unit, its goal, and the decimals the table shows. */
struct iova_bench_row_def {
	const char *name;
	const char *unit;
	enum iova_bench_goal goal_kind;
	double goal;
	int prec;
};

extern const struct iova_bench_row_def iova_bench_rows[NR_ROWS];

/* Workload sizes; --quick shrinks them but keeps the populations the rows are named by. */
struct iova_bench_plan {
	unsigned int runs;
	bool quick;
	uint64_t hit_pairs;
	uint64_t tree_pairs;
	size_t replay_ops; /* the generated script's length */
};

struct iova_bench_result {
	double median, min, max;
};

struct iova_bench {
	struct iova_bench_plan plan;
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu;
	char *script; /* the generated op script, replay_ops ops */
	size_t script_len;
	double *samples;
	struct iova_bench_result res[NR_ROWS];
	/* Pairs or ops timed per run, for the JSON report. */
	uint64_t count[NR_ROWS];
	/* The process's malloc, and the bytes it keeps in front of each block. */
	const char *malloc_name;
	unsigned int malloc_header;
};

/* CLOCK_MONOTONIC in ns. */
uint64_t iova_bench_now_ns(void);

/* "iova-bench: WHAT: CALL: reason" on stderr; returns -1. */
int iova_bench_fail(const char *what, const char *call, int err);

/* The domain dma-iommu sets up: 4 KiB granule, PFN 0 never handed out, Linux 6.7+ depot. */
int iova_bench_domain(struct iommusim_mem *mem, struct iommusim_iova_domain **d);

/*
 * @live ranges at random places: allocate 2 * @live top-down, then free a uniformly random
 * half in random order, leaving holes of 1..4 granules everywhere. @pfns needs room for
 * 2 * @live; the survivors end up in its first @live slots. 0, or -1 after a one-line error.
 */
int iova_bench_populate(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu, uint64_t *pfns,
			size_t live, uint64_t *rng, const char *what);

/*
 * Every benchmark, plan.runs times, with progress on stderr; fills res[] and count[], and
 * leaves the generated script in b->script. 0, or -1 after a one-line error.
 */
int iova_bench_run(struct iova_bench *b);

/* Name the process's malloc and its per-block header in @b. */
void iova_bench_detect_malloc(struct iova_bench *b);

/*
 * What IOVA_BENCH_MEM_LIVE live ranges add to a memory context, per range: requested bytes,
 * usable bytes, and usable bytes with malloc's block header, in @out; the empty domain's own
 * bytes in *@fixed. 0, or -1 after a one-line error.
 */
int iova_bench_mem(struct iova_bench *b, double out[3], uint64_t *fixed);

/*
 * The report of a finished run: the table's header line, the rows with their goals, and the
 * meta (@backend: the memory context's backend). Returns iommusim_report_create()'s answer.
 */
int iova_bench_report(const struct iova_bench *b, const char *backend,
		      struct iommusim_report **out);

#endif /* ISIM_BENCH_IOVA_BENCH_H */
