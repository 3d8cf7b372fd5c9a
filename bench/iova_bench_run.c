/* SPDX-License-Identifier: MIT */
/*
 * iova-bench's timed benchmarks: the rcache hit pair, tree alloc+free pairs in three patterns,
 * and the replay of the generated op script; each runs plan.runs times and reports the median
 * and the extremes. Every workload is fixed by one seed.
 *
 * The tree pairs run in three patterns. FIFO frees of one size (the oldest range goes, as
 * device completions do) measure the tree itself: the search finds room at its start. Mixed
 * sizes and random frees show the kernel's first-fit search from the cached node walking
 * across live ranges; those walks keep growing for a long time, so their rows average a fixed
 * number of pairs right after the population is built. The tree_walk rows give the nodes a
 * pair looked at, from the library's own work counters.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <iommusim/iommusim.h>

#include "iova_bench.h"
#include "iova_bench_script.h"
#include "rng.h"

#define GRANULE 4096u

uint64_t iova_bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int iova_bench_fail(const char *what, const char *call, int err)
{
	fprintf(stderr, "iova-bench: %s: %s: %s\n", what, call, iommusim_strerror(err));
	return -1;
}

/* Two CPUs, both online: the one the benchmarks use and one whose caches stay cold. */
int iova_bench_domain(struct iommusim_mem *mem, struct iommusim_iova_domain **d)
{
	struct iommusim_iova_config cfg = {
		.mem = mem,
		.granule = GRANULE,
		.start_pfn = 1,
		.possible_cpus = 2,
		.online_cpus = 2,
		.depot = IOMMUSIM_IOVA_DEPOT_LIST,
	};

	return iommusim_iova_domain_create(&cfg, d);
}

/* Untimed pairs before each timed loop. */
#define WARM_PAIRS 256u

/* (a) One CPU cycling one PFN through its loaded magazine: every alloc is a magazine hit. */
static int bench_hit(struct iova_bench *b, double *ns)
{
	const char *what = iova_bench_rows[ROW_HIT].name;
	struct iommusim_iova_stats before, after;
	struct iommusim_iova_domain *d;
	uint64_t pairs = b->plan.hit_pairs, pfn = 0, t0, i;
	int err = iova_bench_domain(b->mem, &d);

	if (err)
		return iova_bench_fail(what, "domain_create", err);
	/* The first alloc misses and takes the tree; its free parks the PFN in the magazine. */
	for (i = 0; !err && i < WARM_PAIRS; i++) {
		err = iommusim_iova_alloc_fast(d, b->cpu, 1, IOVA_BENCH_LIMIT_32, false, &pfn);
		if (!err)
			err = iommusim_iova_free_fast(d, b->cpu, pfn, 1);
	}
	iommusim_iova_get_stats(d, &before);
	t0 = iova_bench_now_ns();
	for (i = 0; !err && i < pairs; i++) {
		err = iommusim_iova_alloc_fast(d, b->cpu, 1, IOVA_BENCH_LIMIT_32, false, &pfn);
		if (err)
			break;
		err = iommusim_iova_free_fast(d, b->cpu, pfn, 1);
	}
	*ns = (double)(iova_bench_now_ns() - t0) / (double)i;
	iommusim_iova_get_stats(d, &after);
	iommusim_iova_domain_destroy(d);
	if (err)
		return iova_bench_fail(what, "alloc_fast/free_fast", err);
	if (after.rcache_hits - before.rcache_hits != i) {
		fprintf(stderr, "iova-bench: %s: %llu of %llu timed allocs missed the rcache\n",
			what, (unsigned long long)(i - (after.rcache_hits - before.rcache_hits)),
			(unsigned long long)i);
		return -1;
	}
	return 0;
}

/* Sizes of the tree workload: 1..4 granules, size-aligned (so 3 takes a 4-aligned start). */
static uint64_t tree_size(uint64_t *rng)
{
	return 1 + (splitmix64(rng) & 3);
}

/* Whether the timed pairs of a tree benchmark use one size or 1..4 granules. */
static uint64_t pair_size(uint64_t *rng, bool mixed)
{
	return mixed ? tree_size(rng) : 1;
}

/* Random places, random holes (iova_bench.h). */
int iova_bench_populate(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu, uint64_t *pfns,
			size_t live, uint64_t *rng, const char *what)
{
	int err;

	for (size_t i = 0; i < 2 * live; i++) {
		err = iommusim_iova_alloc(d, cpu, tree_size(rng), IOVA_BENCH_LIMIT_64, true,
					  &pfns[i]);
		if (err)
			return iova_bench_fail(what, "alloc", err);
	}
	for (size_t i = 2 * live; i > live; i--) {
		size_t j = below(rng, i);
		uint64_t t = pfns[j];

		pfns[j] = pfns[i - 1];
		pfns[i - 1] = t;
		err = iommusim_iova_free(d, cpu, t);
		if (err)
			return iova_bench_fail(what, "free", err);
	}
	return 0;
}

/* @live ranges allocated top-down with no holes; @pfns[0] is the oldest. */
static int populate_fifo(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu, uint64_t *pfns,
			 size_t live, bool mixed, uint64_t *rng, const char *what)
{
	for (size_t i = 0; i < live; i++) {
		int err = iommusim_iova_alloc(d, cpu, pair_size(rng, mixed), IOVA_BENCH_LIMIT_64,
					      true, &pfns[i]);

		if (err)
			return iova_bench_fail(what, "alloc", err);
	}
	return 0;
}

/*
 * (b) alloc + free pairs with the population held at @live. @fifo: each pair frees the oldest
 * range, as completions of a device queue do; the search then finds room right at its start.
 * Otherwise each pair frees a random live range among randomly placed ones. Every run rebuilds
 * the same population and replays the same pairs.
 */
static int bench_tree(struct iova_bench *b, enum iova_bench_row row, size_t live, bool fifo,
		      bool mixed, uint64_t pairs, double *ns, double *nodes)
{
	const char *what = iova_bench_rows[row].name;
	uint64_t rng = IOVA_BENCH_SEED ^ live, pfn, t0 = 0, walked = 0, i;
	size_t oldest = 0;
	uint64_t *pfns = malloc(2 * live * sizeof(*pfns));
	struct iommusim_iova_domain *d = NULL;
	int err;

	if (!pfns)
		return iova_bench_fail(what, "malloc", -ENOMEM);
	err = iova_bench_domain(b->mem, &d);
	if (err) {
		free(pfns);
		return iova_bench_fail(what, "domain_create", err);
	}
	err = fifo ? populate_fifo(d, b->cpu, pfns, live, mixed, &rng, what)
		   : iova_bench_populate(d, b->cpu, pfns, live, &rng, what);
	for (i = 0; !err && i < WARM_PAIRS + pairs; i++) {
		uint64_t size = pair_size(&rng, mixed);
		size_t k = fifo ? oldest : below(&rng, live);

		if (fifo)
			oldest = oldest + 1 == live ? 0 : oldest + 1;

		if (i == WARM_PAIRS) {
			walked = iommusim_cpu_work(b->cpu, IOMMUSIM_WORK_TREE_NODE);
			t0 = iova_bench_now_ns();
		}
		err = iommusim_iova_alloc(d, b->cpu, size, IOVA_BENCH_LIMIT_64, true, &pfn);
		if (err) {
			err = iova_bench_fail(what, "alloc", err);
			break;
		}
		err = iommusim_iova_free(d, b->cpu, pfns[k]);
		if (err) {
			err = iova_bench_fail(what, "free", err);
			break;
		}
		pfns[k] = pfn;
	}
	*ns = (double)(iova_bench_now_ns() - t0) / (double)pairs;
	*nodes = (double)(iommusim_cpu_work(b->cpu, IOMMUSIM_WORK_TREE_NODE) - walked) /
		 (double)pairs;
	iommusim_iova_domain_destroy(d);
	free(pfns);
	return err;
}

static int replay(const struct iova_bench *b, FILE *out, double *seconds)
{
	char errbuf[256];
	FILE *in = fmemopen(b->script, b->script_len, "r");
	uint64_t t0;
	int err;

	if (!in)
		return iova_bench_fail(iova_bench_rows[ROW_REPLAY].name, "fmemopen", -errno);
	t0 = iova_bench_now_ns();
	err = iommusim_iova_replay(in, "<generated>", NULL, out, errbuf, sizeof(errbuf));
	*seconds = (double)(iova_bench_now_ns() - t0) * 1e-9;
	fclose(in);
	if (err) {
		fprintf(stderr, "iova-bench: %s: %s\n", iova_bench_rows[ROW_REPLAY].name, errbuf);
		return -1;
	}
	return 0;
}

/*
 * Generate the script, and replay it once untimed to check it means what the generator
 * thought: a difference is a disagreement between the replay and the allocator's API.
 */
static int replay_prepare(struct iova_bench *b)
{
	char *expect = NULL, *got = NULL;
	size_t expect_len = 0, got_len = 0, line = 1;
	double unused;
	FILE *out;
	int err = bench_nvme_script(b->mem, b->plan.replay_ops, IOVA_BENCH_SEED, &b->script,
				    &b->script_len, &expect, &expect_len);

	if (err) {
		free(expect);
		return iova_bench_fail(iova_bench_rows[ROW_REPLAY].name, "generate", err);
	}
	out = open_memstream(&got, &got_len);
	if (!out) {
		free(expect);
		return iova_bench_fail(iova_bench_rows[ROW_REPLAY].name, "open_memstream", -errno);
	}
	err = replay(b, out, &unused);
	if (bench_close_memstream(out, &got) && !err)
		err = iova_bench_fail(iova_bench_rows[ROW_REPLAY].name, "open_memstream", -ENOMEM);
	if (!err && (got_len != expect_len || memcmp(got, expect, got_len))) {
		for (size_t i = 0; i < got_len && i < expect_len && got[i] == expect[i]; i++)
			line += got[i] == '\n';
		fprintf(stderr,
			"iova-bench: warning: replay output differs from the allocator's "
			"answers at output line %zu\n",
			line);
	}
	free(expect);
	free(got);
	return err;
}

static int bench_replay(struct iova_bench *b, double *mops)
{
	double s;
	FILE *null = fopen("/dev/null", "w");
	int err;

	if (!null)
		return iova_bench_fail(iova_bench_rows[ROW_REPLAY].name, "/dev/null", -errno);
	err = replay(b, null, &s);
	fclose(null);
	*mops = (double)b->plan.replay_ops / s * 1e-6;
	return err;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void summarize(struct iova_bench *b, enum iova_bench_row row)
{
	unsigned int n = b->plan.runs;
	double *v = &b->samples[(size_t)row * n];

	qsort(v, n, sizeof(*v), cmp_double);
	b->res[row].min = v[0];
	b->res[row].max = v[n - 1];
	b->res[row].median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int iova_bench_run(struct iova_bench *b)
{
	static const size_t live[4] = {10000, 100000, 100000, 100000};
	unsigned int n = b->plan.runs;
	double *s = b->samples, m[3] = {0, 0, 0};
	uint64_t fixed = 0;
	int err = 0;

	b->count[ROW_HIT] = b->plan.hit_pairs;
	fprintf(stderr, "iova-bench: %s: %u runs of %llu pairs\n", iova_bench_rows[ROW_HIT].name, n,
		(unsigned long long)b->plan.hit_pairs);
	for (unsigned int i = 0; !err && i < n; i++)
		err = bench_hit(b, &s[ROW_HIT * n + i]);
	for (int t = 0; t < 4 && !err; t++) {
		static const enum iova_bench_row pair_row[4] = {ROW_TREE_10K, ROW_TREE_100K,
								ROW_MIXED_100K, ROW_RANDOM_100K};
		static const enum iova_bench_row walk_row[4] = {
			ROW_WALK_10K, ROW_WALK_100K, ROW_MIXED_WALK_100K, ROW_RANDOM_WALK_100K};
		enum iova_bench_row row = pair_row[t], walk = walk_row[t];
		bool fifo = t < 3, mixed = t >= 2;
		/* Random frees cost tens of microseconds a pair at 100k: fewer of them. */
		uint64_t pairs = fifo ? b->plan.tree_pairs : b->plan.tree_pairs / 40;

		b->count[row] = b->count[walk] = pairs;
		fprintf(stderr, "iova-bench: %s: %u runs of %llu pairs at %zu live ranges\n",
			iova_bench_rows[row].name, n, (unsigned long long)pairs, live[t]);
		for (unsigned int i = 0; !err && i < n; i++)
			err = bench_tree(b, row, live[t], fifo, mixed, pairs, &s[row * n + i],
					 &s[walk * n + i]);
	}
	fprintf(stderr, "iova-bench: %s: %u runs of a %zu-op script\n",
		iova_bench_rows[ROW_REPLAY].name, n, b->plan.replay_ops);
	if (!err)
		err = replay_prepare(b);
	b->count[ROW_REPLAY] = b->plan.replay_ops;
	for (unsigned int i = 0; !err && i < n; i++)
		err = bench_replay(b, &s[ROW_REPLAY * n + i]);
	fprintf(stderr, "iova-bench: memory per range: %u runs at %u live ranges\n", n,
		IOVA_BENCH_MEM_LIVE);
	for (unsigned int i = 0; !err && i < n; i++) {
		err = iova_bench_mem(b, m, &fixed);
		s[ROW_MEM_REQUESTED * n + i] = m[0];
		s[ROW_MEM_USABLE * n + i] = m[1];
		s[ROW_MEM_FOOTPRINT * n + i] = m[2];
	}
	for (int r = ROW_MEM_REQUESTED; r < NR_ROWS; r++)
		b->count[r] = IOVA_BENCH_MEM_LIVE;
	if (!err)
		fprintf(stderr,
			"iova-bench: memory per range: the empty domain itself holds %llu "
			"bytes (not counted per range)\n",
			(unsigned long long)fixed);
	for (int r = 0; !err && r < NR_ROWS; r++)
		summarize(b, r);
	return err;
}
