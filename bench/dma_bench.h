/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench dma-bench: the command (cmd_dma_bench.c: options, report) and the timed
 * map/unmap loops per DMA policy (dma_bench_run.c).
 */
#ifndef ISIM_BENCH_DMA_BENCH_H
#define ISIM_BENCH_DMA_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/iommusim.h>

#define DMA_BENCH_MAX_THREADS 64u

enum dma_bench_policy { POL_STRICT, POL_FQ_PERCPU, POL_FQ_SINGLE, POL_LEGACY, NR_POLICIES };

/* The policies as --policy names them, and the directions as the kernel's tool prints them. */
extern const char *const dma_bench_policies[NR_POLICIES];
extern const char *const dma_bench_dirs[3];

struct dma_bench_opts {
	bool policy[NR_POLICIES];
	unsigned int threads;
	double seconds;
	unsigned int granule;
	enum iommusim_dma_dir dir;
	unsigned int dma_bits;
	bool tlb_refresh;
};

/* One kind of call's latencies over all threads, in ns. */
struct dma_bench_latency {
	double mean, sd;
	uint64_t p50, p90, p99, max;
};

struct dma_bench_result {
	enum dma_bench_policy policy;
	uint64_t loops, failures;
	struct dma_bench_latency map, unmap;
};

/*
 * Run @pol's loops on opt->threads threads for opt->seconds and fill @res. 0, or -1 after a
 * one-line error.
 */
int dma_bench_run(enum dma_bench_policy pol, const struct dma_bench_opts *opt,
		  struct dma_bench_result *res);

#endif /* ISIM_BENCH_DMA_BENCH_H */
