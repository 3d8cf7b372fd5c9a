/* SPDX-License-Identifier: MIT */
/* A generated NVMe-like IOVA op script, with the answers the allocator gives to it. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <iommusim/iommusim.h>

#include "iova_bench_script.h"
#include "rng.h"

#define GEN_GRANULE	  4096u
#define GEN_POSSIBLE_CPUS 64u
#define GEN_QUEUES	  4u
#define GEN_QD		  64u
#define GEN_DUMP_EVERY	  10000u
#define LIMIT_32	  0xfffffull

/*
 * The replay benchmark's script: an NVMe-like stream of 4 queues of depth 64, 1- and 32-page I/Os
 * (some 8 and 64) completed in FIFO order per queue, mostly through the rcache (fast/ffree),
 * partly straight through the tree (alloc/free), with a `find` now and then and a `dump` every
 * 10 000 ops. It is written while a domain configured as the replay's answers each op, so the
 * frees name live ranges and the expected output comes for free.
 */
struct io {
	uint64_t pfn;
	uint32_t size;
	bool fast;
};

struct gen {
	struct iommusim_iova_domain *d;
	struct iommusim_cpu *cpus[GEN_QUEUES];
	FILE *ops, *out;
	unsigned int cur;
	size_t n;
	struct io ring[GEN_QUEUES][GEN_QD];
	unsigned int head[GEN_QUEUES], count[GEN_QUEUES];
};

static int dump_range(void *arg, uint64_t lo, uint64_t hi)
{
	fprintf(arg, "%llu %llu\n", (unsigned long long)lo, (unsigned long long)hi);
	return 0;
}

static void gen_submit(struct gen *g, uint64_t r)
{
	static const uint32_t sizes[] = {1, 1, 1,  1,  1,  1,  1,  1,  1, 1,
					 1, 1, 32, 32, 32, 32, 32, 32, 8, 64};
	struct iommusim_cpu *cpu = g->cpus[g->cur];
	struct io io = {.size = sizes[r % 20], .fast = (r >> 8) % 4 != 0};
	int err;

	if (io.fast) {
		fprintf(g->ops, "fast %u 0x%llx 0\n", io.size, LIMIT_32);
		err = iommusim_iova_alloc_fast(g->d, cpu, io.size, LIMIT_32, false, &io.pfn);
		if (!err && !io.pfn)
			err = -ENOMEM;
	} else {
		fprintf(g->ops, "alloc %u 0x%llx 1\n", io.size, LIMIT_32);
		err = iommusim_iova_alloc(g->d, cpu, io.size, LIMIT_32, true, &io.pfn);
	}
	if (err) {
		fputs("fail\n", g->out);
		return;
	}
	fprintf(g->out, "%llu\n", (unsigned long long)io.pfn);
	g->ring[g->cur][(g->head[g->cur] + g->count[g->cur]) % GEN_QD] = io;
	g->count[g->cur]++;
}

static void gen_complete(struct gen *g)
{
	struct io *io = &g->ring[g->cur][g->head[g->cur]];
	struct iommusim_cpu *cpu = g->cpus[g->cur];

	g->head[g->cur] = (g->head[g->cur] + 1) % GEN_QD;
	g->count[g->cur]--;
	if (io->fast) {
		fprintf(g->ops, "ffree %llu %u\n", (unsigned long long)io->pfn, io->size);
		iommusim_iova_free_fast(g->d, cpu, io->pfn, io->size);
		fputs("ok\n", g->out);
	} else {
		fprintf(g->ops, "free %llu\n", (unsigned long long)io->pfn);
		fputs(iommusim_iova_free(g->d, cpu, io->pfn) ? "missing\n" : "ok\n", g->out);
	}
}

static void gen_step(struct gen *g, unsigned int q, uint64_t *rng)
{
	uint64_t r = splitmix64(rng), lo, hi, pfn = 1;

	if (g->n % GEN_DUMP_EVERY == GEN_DUMP_EVERY - 1) {
		fputs("dump\n", g->ops);
		iommusim_iova_for_each(g->d, dump_range, g->out);
		fputs("end\n", g->out);
	} else if (q != g->cur) {
		fprintf(g->ops, "cpu %u\n", q);
		fputs("ok\n", g->out);
		g->cur = q;
	} else if (r % 100 == 0) {
		/* A PFN inside an in-flight range, or PFN 1 (missing) when the queue is idle. */
		if (g->count[q])
			pfn = g->ring[q][(g->head[q] + (r >> 40) % g->count[q]) % GEN_QD].pfn;
		fprintf(g->ops, "find %llu\n", (unsigned long long)pfn);
		if (iommusim_iova_find(g->d, g->cpus[q], pfn, &lo, &hi) == 0)
			dump_range(g->out, lo, hi);
		else
			fputs("missing\n", g->out);
	} else if (!g->count[q] || (g->count[q] < GEN_QD && (r >> 20) % 2)) {
		gen_submit(g, r >> 24);
	} else {
		gen_complete(g);
	}
	g->n++;
}

/* Close a memstream, or throw it away; 0 on success. */
int bench_close_memstream(FILE *f, char **buf)
{
	bool bad = ferror(f);

	if (fclose(f) || bad) {
		free(*buf);
		*buf = NULL;
		return -ENOMEM;
	}
	return 0;
}

int bench_nvme_script(struct iommusim_mem *mem, size_t nops, uint64_t seed, char **script,
		      size_t *script_len, char **expect, size_t *expect_len)
{
	struct iommusim_iova_config cfg = {
		.mem = mem,
		.granule = GEN_GRANULE,
		.start_pfn = 1,
		.possible_cpus = GEN_POSSIBLE_CPUS,
		.online_cpus = GEN_QUEUES,
		.depot = IOMMUSIM_IOVA_DEPOT_LIST,
	};
	uint64_t rng = seed;
	struct gen *g = calloc(1, sizeof(*g));
	int err = 0;

	*script = NULL;
	*expect = NULL;
	if (!g)
		return -ENOMEM;
	g->ops = open_memstream(script, script_len);
	g->out = open_memstream(expect, expect_len);
	if (!g->ops || !g->out)
		err = -ENOMEM;
	for (unsigned int c = 0; !err && c < GEN_QUEUES; c++)
		err = iommusim_cpu_create(mem, c, &g->cpus[c]);
	if (!err)
		err = iommusim_iova_domain_create(&cfg, &g->d);
	if (!err) {
		/* The reserve is the x86 MSI window, which dma-iommu keeps out of every domain. */
		fprintf(g->ops,
			"# iova-bench: NVMe-like, %u queues, QD %u, seed %#llx\n"
			"ncpus %u\ninit %u 1\nreserve 0xfee00 0xfeeff\n",
			GEN_QUEUES, GEN_QD, (unsigned long long)seed, GEN_QUEUES, GEN_GRANULE);
		fputs("ok\nok\n", g->out);
		fputs(iommusim_iova_reserve(g->d, g->cpus[0], 0xfee00, 0xfeeff) ? "fail\n" : "ok\n",
		      g->out);
		g->n = 3;
	}
	while (!err && g->n < nops) {
		unsigned int q = (unsigned int)below(&rng, GEN_QUEUES);

		for (size_t k = 1 + below(&rng, 16); k && g->n < nops; k--)
			gen_step(g, q, &rng);
	}
	iommusim_iova_domain_destroy(g->d);
	for (unsigned int c = 0; c < GEN_QUEUES; c++)
		iommusim_cpu_destroy(g->cpus[c]);
	if (g->ops && bench_close_memstream(g->ops, script))
		err = -ENOMEM;
	if (g->out && bench_close_memstream(g->out, expect))
		err = -ENOMEM;
	free(g);
	return err;
}
