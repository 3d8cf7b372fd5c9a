/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench iova-bench [--runs N] [--quick] [--csv FILE] [--json FILE]
 *
 * Wall-clock (CLOCK_MONOTONIC) timings of the IOVA allocator: the rcache hit pair, tree
 * alloc+free pairs with 10k and 100k live ranges, the replay of a generated op script, and the
 * memory a live range costs. Every workload is fixed by one seed; each measurement runs --runs
 * times and the table gives the median and the extremes.
 *
 * The tree pairs run in three patterns. FIFO frees of one size (the oldest range goes, as
 * device completions do) measure the tree itself: the search finds room at its start. Mixed
 * sizes and random frees show the kernel's first-fit search from the cached node walking
 * across live ranges; those walks keep growing for a long time, so their rows average a fixed
 * number of pairs right after the population is built. The tree_walk rows give the nodes a
 * pair looked at, from the library's own work counters.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <iommusim/iommusim.h>

#include "cli.h"
#include "commands.h"
#include "iova_bench_script.h"
#include "outfile.h"
#include "rng.h"

#define SEED 0x10a5eed5ull
#define MAX_RUNS 1000u
#define GRANULE 4096u
/* Inclusive PFN limits with a 4 KiB granule: a 32-bit and a 64-bit DMA mask. */
#define LIMIT_32 0xfffffull
#define LIMIT_64 ((1ull << 52) - 1)
/* The replay creates caches for 64 CPUs unless a script names more (its default). */

enum goal_kind { GOAL_NONE, GOAL_AT_MOST, GOAL_AT_LEAST };

enum row_id {
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

static const struct row_def {
	const char *name;
	const char *unit;
	enum goal_kind goal_kind;
	double goal;
	int prec;
} rows[NR_ROWS] = {
	[ROW_HIT] = { "rcache_hit_pair", "ns/pair", GOAL_AT_MOST, 50, 1 },
	[ROW_TREE_10K] = { "tree_pair_fifo_10k", "ns/pair", GOAL_NONE, 0, 1 },
	[ROW_TREE_100K] = { "tree_pair_fifo_100k", "ns/pair", GOAL_AT_MOST, 500, 1 },
	/* Tree nodes the pairs above looked at (work reports): what their time is made of. */
	[ROW_WALK_10K] = { "tree_walk_fifo_10k", "nodes/pair", GOAL_NONE, 0, 1 },
	[ROW_WALK_100K] = { "tree_walk_fifo_100k", "nodes/pair", GOAL_NONE, 0, 1 },
	/*
	 * Mixed sizes (1..4 granules, size-aligned), still FIFO: a freed hole often does not fit
	 * the next request, so the search walks further. Then frees in random order: the search
	 * restarts from the hint each free drags up and walks down across the live ranges. Both
	 * are properties of the kernel's algorithm, shown for scale.
	 */
	[ROW_MIXED_100K] = { "tree_pair_mixed_100k", "ns/pair", GOAL_NONE, 0, 1 },
	[ROW_MIXED_WALK_100K] = { "tree_walk_mixed_100k", "nodes/pair", GOAL_NONE, 0, 1 },
	[ROW_RANDOM_100K] = { "tree_pair_random_100k", "ns/pair", GOAL_NONE, 0, 1 },
	[ROW_RANDOM_WALK_100K] = { "tree_walk_random_100k", "nodes/pair", GOAL_NONE, 0, 1 },
	[ROW_REPLAY] = { "replay_throughput", "Mops/s", GOAL_AT_LEAST, 2, 2 },
	[ROW_MEM_REQUESTED] = { "mem_requested_per_range", "B/range", GOAL_NONE, 0, 3 },
	[ROW_MEM_USABLE] = { "malloc_usable_per_range", "B/range", GOAL_NONE, 0, 3 },
	[ROW_MEM_FOOTPRINT] = { "malloc_footprint_per_range", "B/range", GOAL_AT_MOST, 48, 3 },
};

/* Workload sizes; --quick shrinks them but keeps the populations the rows are named by. */
struct plan {
	unsigned int runs;
	bool quick;
	uint64_t hit_pairs;
	uint64_t tree_pairs;
	size_t replay_ops;
};

struct result {
	double median, min, max;
};

struct bench {
	struct plan plan;
	struct iommusim_mem *mem;
	struct iommusim_cpu *cpu;
	char *script;
	size_t script_len;
	double *samples;
	struct result res[NR_ROWS];
	/* Pairs or ops timed per run, for the JSON report. */
	uint64_t count[NR_ROWS];
	/* The process's malloc, and the bytes it keeps in front of each block. */
	const char *malloc_name;
	unsigned int malloc_header;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int fail(const char *what, const char *call, int err)
{
	fprintf(stderr, "iova-bench: %s: %s: %s\n", what, call, iommusim_strerror(err));
	return -1;
}

/* The domain dma-iommu sets up: 4 KiB granule, PFN 0 never handed out, Linux 6.7+ depot. */
static int domain_new(struct iommusim_mem *mem, unsigned int possible, unsigned int online,
		      struct iommusim_iova_domain **d)
{
	struct iommusim_iova_config cfg = {
		.mem = mem,
		.granule = GRANULE,
		.start_pfn = 1,
		.possible_cpus = possible,
		.online_cpus = online,
		.depot = IOMMUSIM_IOVA_DEPOT_LIST,
	};

	return iommusim_iova_domain_create(&cfg, d);
}

/* Untimed pairs before each timed loop. */
#define WARM_PAIRS 256u

/* (a) One CPU cycling one PFN through its loaded magazine: every alloc is a magazine hit. */
static int bench_hit(struct bench *b, double *ns)
{
	const char *what = rows[ROW_HIT].name;
	struct iommusim_iova_stats before, after;
	struct iommusim_iova_domain *d;
	uint64_t pairs = b->plan.hit_pairs, pfn = 0, t0, i;
	int err = domain_new(b->mem, 2, 2, &d);

	if (err)
		return fail(what, "domain_create", err);
	/* The first alloc misses and takes the tree; its free parks the PFN in the magazine. */
	for (i = 0; !err && i < WARM_PAIRS; i++) {
		err = iommusim_iova_alloc_fast(d, b->cpu, 1, LIMIT_32, false, &pfn);
		if (!err)
			err = iommusim_iova_free_fast(d, b->cpu, pfn, 1);
	}
	iommusim_iova_get_stats(d, &before);
	t0 = now_ns();
	for (i = 0; !err && i < pairs; i++) {
		err = iommusim_iova_alloc_fast(d, b->cpu, 1, LIMIT_32, false, &pfn);
		if (err)
			break;
		err = iommusim_iova_free_fast(d, b->cpu, pfn, 1);
	}
	*ns = (double)(now_ns() - t0) / (double)i;
	iommusim_iova_get_stats(d, &after);
	iommusim_iova_domain_destroy(d);
	if (err)
		return fail(what, "alloc_fast/free_fast", err);
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

/*
 * @live ranges at random places: allocate 2 * @live top-down, then free a uniformly random
 * half in random order, leaving holes of 1..4 granules everywhere. @pfns needs room for
 * 2 * @live; the survivors end up in its first @live slots.
 */
static int populate(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu, uint64_t *pfns,
		    size_t live, uint64_t *rng, const char *what)
{
	int err;

	for (size_t i = 0; i < 2 * live; i++) {
		err = iommusim_iova_alloc(d, cpu, tree_size(rng), LIMIT_64, true, &pfns[i]);
		if (err)
			return fail(what, "alloc", err);
	}
	for (size_t i = 2 * live; i > live; i--) {
		size_t j = below(rng, i);
		uint64_t t = pfns[j];

		pfns[j] = pfns[i - 1];
		pfns[i - 1] = t;
		err = iommusim_iova_free(d, cpu, t);
		if (err)
			return fail(what, "free", err);
	}
	return 0;
}

/* @live ranges allocated top-down with no holes; @pfns[0] is the oldest. */
static int populate_fifo(struct iommusim_iova_domain *d, struct iommusim_cpu *cpu, uint64_t *pfns,
			 size_t live, bool mixed, uint64_t *rng, const char *what)
{
	for (size_t i = 0; i < live; i++) {
		int err = iommusim_iova_alloc(d, cpu, pair_size(rng, mixed), LIMIT_64, true,
					      &pfns[i]);

		if (err)
			return fail(what, "alloc", err);
	}
	return 0;
}

/*
 * (b) alloc + free pairs with the population held at @live. @fifo: each pair frees the oldest
 * range, as completions of a device queue do; the search then finds room right at its start.
 * Otherwise each pair frees a random live range among randomly placed ones. Every run rebuilds
 * the same population and replays the same pairs.
 */
static int bench_tree(struct bench *b, enum row_id row, size_t live, bool fifo, bool mixed,
		      uint64_t pairs, double *ns, double *nodes)
{
	const char *what = rows[row].name;
	uint64_t rng = SEED ^ live, pfn, t0 = 0, walked = 0, i;
	size_t oldest = 0;
	uint64_t *pfns = malloc(2 * live * sizeof(*pfns));
	struct iommusim_iova_domain *d = NULL;
	int err;

	if (!pfns)
		return fail(what, "malloc", -ENOMEM);
	err = domain_new(b->mem, 2, 2, &d);
	if (err) {
		free(pfns);
		return fail(what, "domain_create", err);
	}
	err = fifo ? populate_fifo(d, b->cpu, pfns, live, mixed, &rng, what)
		   : populate(d, b->cpu, pfns, live, &rng, what);
	for (i = 0; !err && i < WARM_PAIRS + pairs; i++) {
		uint64_t size = pair_size(&rng, mixed);
		size_t k = fifo ? oldest : below(&rng, live);

		if (fifo)
			oldest = oldest + 1 == live ? 0 : oldest + 1;

		if (i == WARM_PAIRS) {
			walked = iommusim_cpu_work(b->cpu, IOMMUSIM_WORK_TREE_NODE);
			t0 = now_ns();
		}
		err = iommusim_iova_alloc(d, b->cpu, size, LIMIT_64, true, &pfn);
		if (err) {
			err = fail(what, "alloc", err);
			break;
		}
		err = iommusim_iova_free(d, b->cpu, pfns[k]);
		if (err) {
			err = fail(what, "free", err);
			break;
		}
		pfns[k] = pfn;
	}
	*ns = (double)(now_ns() - t0) / (double)pairs;
	*nodes = (double)(iommusim_cpu_work(b->cpu, IOMMUSIM_WORK_TREE_NODE) - walked) /
		 (double)pairs;
	iommusim_iova_domain_destroy(d);
	free(pfns);
	return err;
}

static int replay(const struct bench *b, FILE *out, double *seconds)
{
	char errbuf[256];
	FILE *in = fmemopen(b->script, b->script_len, "r");
	uint64_t t0;
	int err;

	if (!in)
		return fail(rows[ROW_REPLAY].name, "fmemopen", -errno);
	t0 = now_ns();
	err = iommusim_iova_replay(in, "<generated>", NULL, out, errbuf, sizeof(errbuf));
	*seconds = (double)(now_ns() - t0) * 1e-9;
	fclose(in);
	if (err) {
		fprintf(stderr, "iova-bench: %s: %s\n", rows[ROW_REPLAY].name, errbuf);
		return -1;
	}
	return 0;
}

/*
 * Generate the script, and replay it once untimed to check it means what the generator
 * thought: a difference is a disagreement between the replay and the allocator's API.
 */
static int replay_prepare(struct bench *b)
{
	char *expect = NULL, *got = NULL;
	size_t expect_len = 0, got_len = 0, line = 1;
	double unused;
	FILE *out;
	int err = bench_nvme_script(b->mem, b->plan.replay_ops, SEED, &b->script,
				    &b->script_len, &expect, &expect_len);

	if (err) {
		free(expect);
		return fail(rows[ROW_REPLAY].name, "generate", err);
	}
	out = open_memstream(&got, &got_len);
	if (!out) {
		free(expect);
		return fail(rows[ROW_REPLAY].name, "open_memstream", -errno);
	}
	err = replay(b, out, &unused);
	if (bench_close_memstream(out, &got) && !err)
		err = fail(rows[ROW_REPLAY].name, "open_memstream", -ENOMEM);
	if (!err && (got_len != expect_len || memcmp(got, expect, got_len))) {
		for (size_t i = 0; i < got_len && i < expect_len && got[i] == expect[i]; i++)
			line += got[i] == '\n';
		fprintf(stderr, "iova-bench: warning: replay output differs from the allocator's "
			"answers at output line %zu\n", line);
	}
	free(expect);
	free(got);
	return err;
}

static int bench_replay(struct bench *b, double *mops)
{
	double s;
	FILE *null = fopen("/dev/null", "w");
	int err;

	if (!null)
		return fail(rows[ROW_REPLAY].name, "/dev/null", -errno);
	err = replay(b, null, &s);
	fclose(null);
	*mops = (double)b->plan.replay_ops / s * 1e-6;
	return err;
}

/*
 * (d) A malloc backend that asks malloc what it really set aside for each block. Which malloc
 * that is depends on the build: a library built with jemalloc brings it into the process,
 * where it replaces the C library's malloc; a sanitizer build has the sanitizer's.
 */
struct counting_malloc {
	uint64_t usable;
	uint64_t blocks;
};

static void *cm_alloc(void *arg, size_t size, size_t align)
{
	struct counting_malloc *cm = arg;
	void *p;

	if (align <= 16)
		p = malloc(size);
	else if (posix_memalign(&p, align, size))
		p = NULL;
	if (p) {
		cm->usable += malloc_usable_size(p);
		cm->blocks++;
	}
	return p;
}

static void cm_free(void *arg, void *ptr, size_t size, size_t align)
{
	struct counting_malloc *cm = arg;

	(void)size;
	(void)align;
	cm->usable -= malloc_usable_size(ptr);
	cm->blocks--;
	free(ptr);
}

static const struct iommusim_mem_ops cm_ops = { .alloc = cm_alloc, .free = cm_free };

/* glibc's chunk header: one size word per block in front of the usable bytes. */
#define GLIBC_CHUNK_HEADER 8u
#define MEM_LIVE 100000u

/* Defined only when jemalloc is in the process; it is not called, just looked for. */
int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
	__attribute__((weak));

#if defined(__SANITIZE_ADDRESS__)
#define ISIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ISIM_ASAN 1
#endif
#endif

/*
 * jemalloc rounds a block up to its size class and keeps no header beside it (its metadata,
 * about 1%, is not counted); glibc puts an 8-byte size word in front of every chunk; ASan's
 * usable size is the request, its redzones are not counted.
 */
static void detect_malloc(struct bench *b)
{
#ifdef ISIM_ASAN
	b->malloc_name = "asan";
	b->malloc_header = 0;
#else
	bool je = mallctl != NULL;

	b->malloc_name = je ? "jemalloc" : "glibc";
	b->malloc_header = je ? 0 : GLIBC_CHUNK_HEADER;
#endif
}

/*
 * What the 100k live ranges of bench_tree() add to the memory context: requested bytes, usable
 * bytes, usable bytes plus malloc's per-block header. The empty domain's own memory is a fixed
 * cost, not a cost per range, and is left out (its size goes to @fixed).
 */
static int bench_mem(struct bench *b, double out[3], uint64_t *fixed)
{
	const char *what = rows[ROW_MEM_FOOTPRINT].name;
	struct counting_malloc cm = { 0, 0 }, base;
	uint64_t base_bytes;
	uint64_t rng = SEED ^ MEM_LIVE;
	uint64_t *pfns = malloc(2 * MEM_LIVE * sizeof(*pfns));
	struct iommusim_iova_domain *d = NULL;
	struct iommusim_mem *mem = NULL;
	int err;

	if (!pfns)
		return fail(what, "malloc", -ENOMEM);
	err = iommusim_mem_create_custom(&cm_ops, &cm, &mem);
	if (!err)
		err = domain_new(mem, 2, 2, &d);
	if (err) {
		free(pfns);
		iommusim_mem_destroy(mem);
		return fail(what, "create", err);
	}
	base = cm;
	base_bytes = iommusim_mem_live_bytes(mem);
	*fixed = base_bytes;
	err = populate(d, b->cpu, pfns, MEM_LIVE, &rng, what);
	out[0] = (double)(iommusim_mem_live_bytes(mem) - base_bytes) / MEM_LIVE;
	out[1] = (double)(cm.usable - base.usable) / MEM_LIVE;
	out[2] = (double)(cm.usable - base.usable +
			  b->malloc_header * (cm.blocks - base.blocks)) / MEM_LIVE;
	iommusim_iova_domain_destroy(d);
	if (!err && (iommusim_mem_live_objects(mem) || cm.blocks)) {
		fprintf(stderr, "iova-bench: %s: %llu objects left after domain_destroy\n", what,
			(unsigned long long)iommusim_mem_live_objects(mem));
		err = -1;
	}
	iommusim_mem_destroy(mem);
	free(pfns);
	return err;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void summarize(struct bench *b, enum row_id row)
{
	unsigned int n = b->plan.runs;
	double *v = &b->samples[(size_t)row * n];

	qsort(v, n, sizeof(*v), cmp_double);
	b->res[row].min = v[0];
	b->res[row].max = v[n - 1];
	b->res[row].median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int run_all(struct bench *b)
{
	static const size_t live[4] = { 10000, 100000, 100000, 100000 };
	unsigned int n = b->plan.runs;
	double *s = b->samples, m[3] = { 0, 0, 0 };
	uint64_t fixed = 0;
	int err = 0;

	b->count[ROW_HIT] = b->plan.hit_pairs;
	fprintf(stderr, "iova-bench: %s: %u runs of %llu pairs\n", rows[ROW_HIT].name, n,
		(unsigned long long)b->plan.hit_pairs);
	for (unsigned int i = 0; !err && i < n; i++)
		err = bench_hit(b, &s[ROW_HIT * n + i]);
	for (int t = 0; t < 4 && !err; t++) {
		static const enum row_id pair_row[4] = { ROW_TREE_10K, ROW_TREE_100K,
							 ROW_MIXED_100K, ROW_RANDOM_100K };
		static const enum row_id walk_row[4] = { ROW_WALK_10K, ROW_WALK_100K,
							 ROW_MIXED_WALK_100K,
							 ROW_RANDOM_WALK_100K };
		enum row_id row = pair_row[t], walk = walk_row[t];
		bool fifo = t < 3, mixed = t >= 2;
		/* Random frees cost tens of microseconds a pair at 100k: fewer of them. */
		uint64_t pairs = fifo ? b->plan.tree_pairs : b->plan.tree_pairs / 40;

		b->count[row] = b->count[walk] = pairs;
		fprintf(stderr, "iova-bench: %s: %u runs of %llu pairs at %zu live ranges\n",
			rows[row].name, n, (unsigned long long)pairs, live[t]);
		for (unsigned int i = 0; !err && i < n; i++)
			err = bench_tree(b, row, live[t], fifo, mixed, pairs, &s[row * n + i],
					 &s[walk * n + i]);
	}
	fprintf(stderr, "iova-bench: %s: %u runs of a %zu-op script\n", rows[ROW_REPLAY].name, n,
		b->plan.replay_ops);
	if (!err)
		err = replay_prepare(b);
	b->count[ROW_REPLAY] = b->plan.replay_ops;
	for (unsigned int i = 0; !err && i < n; i++)
		err = bench_replay(b, &s[ROW_REPLAY * n + i]);
	fprintf(stderr, "iova-bench: memory per range: %u runs at %u live ranges\n", n, MEM_LIVE);
	for (unsigned int i = 0; !err && i < n; i++) {
		err = bench_mem(b, m, &fixed);
		s[ROW_MEM_REQUESTED * n + i] = m[0];
		s[ROW_MEM_USABLE * n + i] = m[1];
		s[ROW_MEM_FOOTPRINT * n + i] = m[2];
	}
	for (int r = ROW_MEM_REQUESTED; r < NR_ROWS; r++)
		b->count[r] = MEM_LIVE;
	if (!err)
		fprintf(stderr, "iova-bench: memory per range: the empty domain itself holds %llu "
			"bytes (not counted per range)\n", (unsigned long long)fixed);
	for (int r = 0; !err && r < NR_ROWS; r++)
		summarize(b, r);
	return err;
}

/* "<= 50", ">= 2" or "-"; @sep goes between the operator and the number. */
static const char *goal_str(const struct row_def *r, const char *sep, char *buf, size_t len)
{
	if (r->goal_kind == GOAL_NONE)
		return "-";
	snprintf(buf, len, "%s%s%g", r->goal_kind == GOAL_AT_MOST ? "<=" : ">=", sep, r->goal);
	return buf;
}

/* 1 met, 0 missed, -1 no goal. */
static int goal_met(const struct row_def *r, double median)
{
	if (r->goal_kind == GOAL_NONE)
		return -1;
	return r->goal_kind == GOAL_AT_MOST ? median <= r->goal : median >= r->goal;
}

static void print_table(const struct bench *b, const char *backend)
{
	static const char *const met[] = { "-", "no", "yes" };
	char goal[32];

	printf("iommusim %s (%s), %u runs, seed %#llx, memory backend %s; malloc_* rows: "
	       "malloc_usable_size() of %s%s\n", iommusim_version(), iommusim_git_describe(),
	       b->plan.runs, SEED, backend, b->malloc_name,
	       b->malloc_header ? " + its 8-byte chunk header" : "");
	printf("%-27s %9s %9s %9s  %-10s %6s  %s\n", "benchmark", "median", "min", "max", "unit",
	       "goal", "met");
	for (int i = 0; i < NR_ROWS; i++) {
		const struct row_def *r = &rows[i];
		const struct result *v = &b->res[i];

		printf("%-27s %9.*f %9.*f %9.*f  %-10s %6s  %s\n", r->name, r->prec, v->median,
		       r->prec, v->min, r->prec, v->max, r->unit,
		       goal_str(r, " ", goal, sizeof(goal)), met[goal_met(r, v->median) + 1]);
	}
}

static void write_csv(FILE *f, const struct bench *b)
{
	char goal[32];

	fputs("benchmark,median,min,max,unit,goal\n", f);
	for (int i = 0; i < NR_ROWS; i++) {
		const struct result *v = &b->res[i];
		const char *g = goal_str(&rows[i], "", goal, sizeof(goal));

		fprintf(f, "%s,%.3f,%.3f,%.3f,%s,%s\n", rows[i].name, v->median, v->min, v->max,
			rows[i].unit, strcmp(g, "-") ? g : "");
	}
}

static void write_json(FILE *f, const struct bench *b, const char *backend)
{
	fputs("{\"meta\": {\"version\": ", f);
	json_string(f, iommusim_version());
	fputs(", \"git\": ", f);
	json_string(f, iommusim_git_describe());
	fprintf(f, ", \"runs\": %u, \"quick\": %s, \"seed\": %llu, \"backend\": ", b->plan.runs,
		b->plan.quick ? "true" : "false", SEED);
	json_string(f, backend);
	fputs(", \"malloc\": ", f);
	json_string(f, b->malloc_name);
	fputs("},\n \"rows\": [", f);
	for (int i = 0; i < NR_ROWS; i++) {
		const struct row_def *r = &rows[i];
		const struct result *v = &b->res[i];
		int met = goal_met(r, v->median);

		fprintf(f, "%s\n  {\"benchmark\": ", i ? "," : "");
		json_string(f, r->name);
		fprintf(f, ", \"median\": %.3f, \"min\": %.3f, \"max\": %.3f, \"unit\": ",
			v->median, v->min, v->max);
		json_string(f, r->unit);
		fprintf(f, ", \"count\": %llu, \"goal\": ", (unsigned long long)b->count[i]);
		if (met < 0) {
			fputs("null, \"met\": null}", f);
		} else {
			fputs("{\"op\": ", f);
			json_string(f, r->goal_kind == GOAL_AT_MOST ? "<=" : ">=");
			fprintf(f, ", \"value\": %g}, \"met\": %s}", r->goal,
				met ? "true" : "false");
		}
	}
	fputs("\n]}\n", f);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: iommusim-bench iova-bench [--runs N] [--quick] [--csv FILE] [--json FILE]\n"
		"\n"
		"Time the IOVA allocator in wall-clock time: the rcache hit pair (alloc_fast +\n"
		"free_fast), tree alloc+free pairs with 10 000 and 100 000 live ranges, the replay of\n"
		"a generated 50 000-op NVMe-like script, and the memory a live range costs. Each\n"
		"measurement runs N times with a fixed seed; the table on standard output gives the\n"
		"median, min and max and whether the median meets its goal. Progress goes to stderr.\n"
		"\n"
		"  --runs N     runs per measurement, 1..%u (default 5)\n"
		"  --quick      smaller counts, for smoke tests (a few seconds)\n"
		"  --csv FILE   also write the table as CSV (benchmark,median,min,max,unit,goal)\n"
		"  --json FILE  also write it as JSON: {\"meta\": {...}, \"rows\": [...]}\n"
		"\n"
		"A FILE of '-' is standard output: the report follows the table. An existing file\n"
		"is replaced only once its report is complete.\n",
		MAX_RUNS);
}

int cmd_iova_bench(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "quick", no_argument, NULL, 'q' },
		{ "csv", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct outfile csv = { .cmd = "iova-bench", .opt = "--csv" };
	struct outfile json = { .cmd = "iova-bench", .opt = "--json" };
	struct outfile *files[] = { &csv, &json };
	struct bench b = {
		.plan = {
			.runs = 5,
			.hit_pairs = 10000000,
			.tree_pairs = 200000,
			.replay_ops = 50000,
		},
	};
	uint64_t t0 = now_ns();
	const char *backend;
	int c, err;
	FILE *f;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (cli_parse_uint(optarg, 1, MAX_RUNS, &b.plan.runs)) {
				fprintf(stderr, "iova-bench: --runs: '%s' is not a number from 1 to %u\n",
					optarg, MAX_RUNS);
				return EXIT_BAD_INPUT;
			}
			break;
		case 'q':
			b.plan.quick = true;
			break;
		case 'c':
			if (outfile_set(&csv, optarg))
				return EXIT_BAD_INPUT;
			break;
		case 'j':
			if (outfile_set(&json, optarg))
				return EXIT_BAD_INPUT;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			cli_bad_option("iova-bench", c, argv);
			return EXIT_BAD_INPUT;
		}
	}
	if (cli_check_rest("iova-bench", argc, argv, &csv, &json))
		return EXIT_BAD_INPUT;
	if (b.plan.quick) {
		b.plan.hit_pairs = 500000;
		b.plan.tree_pairs = 20000;
		b.plan.replay_ops = 10000;
	}
	if (outfile_open(files, 2))
		return EXIT_BAD_INPUT;

	b.samples = calloc((size_t)NR_ROWS * b.plan.runs, sizeof(*b.samples));
	err = b.samples ? 0 : fail("setup", "calloc", -ENOMEM);
	if (!err && (err = iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &b.mem)))
		err = fail("setup", "mem_create", err);
	if (!err && (err = iommusim_cpu_create(b.mem, 0, &b.cpu)))
		err = fail("setup", "cpu_create", err);
	backend = b.mem ? iommusim_mem_backend_name(b.mem) : "?";
	detect_malloc(&b);
	fprintf(stderr, "iova-bench: memory backend %s, malloc %s\n", backend, b.malloc_name);
	if (!err)
		err = run_all(&b);
	if (!err) {
		print_table(&b, backend);
		cli_stdout_flush();
		/* One after the other: a reader of two FIFOs may take them in turn. */
		if ((f = outfile_stream(&csv)))
			write_csv(f, &b);
		if (outfile_commit(&csv))
			err = -1;
		if ((f = outfile_stream(&json)))
			write_json(f, &b, backend);
		if (outfile_commit(&json))
			err = -1;
	}
	outfile_abandon(&csv);
	outfile_abandon(&json);
	iommusim_cpu_destroy(b.cpu);
	iommusim_mem_destroy(b.mem);
	free(b.script);
	free(b.samples);
	fprintf(stderr, "iova-bench: %s after %.1f s\n", err ? "failed" : "done",
		(double)(now_ns() - t0) * 1e-9);
	return err ? 1 : 0;
}
