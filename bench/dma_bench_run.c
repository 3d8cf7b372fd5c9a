/* SPDX-License-Identifier: MIT */
/*
 * dma-bench's timed loops: threads, each acting as one CPU, map and unmap a buffer of GRANULE
 * pages on one policy's machine until the time is up, and the latencies they saw.
 *
 * Flush-queue timers are not run here (nothing ticks the clock): lazy policies flush when a
 * queue fills, which is what dominates a tight map/unmap loop anyway.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "stats/hist.h"
#include "dma_bench.h"

#define PAGE 4096ull

const char *const dma_bench_policies[NR_POLICIES] = {
	[POL_STRICT] = "strict",
	[POL_FQ_PERCPU] = "fq-percpu",
	[POL_FQ_SINGLE] = "fq-single",
	[POL_LEGACY] = "legacy",
};

const char *const dma_bench_dirs[3] = {"BIDIRECTIONAL", "TO_DEVICE", "FROM_DEVICE"};

/* One policy's machine: a zPCI function on the null firmware with the policy's DMA ops. */
struct rig {
	struct iommusim_mem *mem;
	struct iommusim_firmware *fw;
	struct iommusim_clock *clock;
	struct iommusim_domain *domain;
	struct iommusim_device *dev;
};

/*
 * Every timed call goes into a log-linear histogram of ns (sim/stats/hist.h: at most 1/64
 * above the true value, exact below 64 ns): percentiles describe a small VM's latencies, where
 * a few preempted calls make the standard deviation many times the mean, and no sample is
 * dropped.
 */
struct worker {
	pthread_t thread;
	struct rig *rig;
	const struct dma_bench_opts *opt;
	struct iommusim_cpu *cpu;
	atomic_bool *stop;
	uint64_t loops, failures;
	double map_sum, map_sq, unmap_sum, unmap_sq;
	struct isim_hist *map_hist, *unmap_hist;
	int err;
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void rig_destroy(struct rig *r)
{
	iommusim_device_destroy(r->dev);
	iommusim_domain_destroy(r->domain);
	iommusim_firmware_destroy(r->fw);
	iommusim_clock_destroy(r->clock);
	if (r->mem && iommusim_mem_live_objects(r->mem))
		fprintf(stderr, "dma-bench: warning: %llu objects not freed\n",
			(unsigned long long)iommusim_mem_live_objects(r->mem));
	iommusim_mem_destroy(r->mem);
}

static int rig_create(struct rig *r, enum dma_bench_policy pol, const struct dma_bench_opts *opt)
{
	struct iommusim_device_config dcfg = {
		.name = "bench",
		.pci = true,
		.dma_mask = IOMMUSIM_DMA_BIT_MASK(opt->dma_bits),
		.coherent_dma_mask = IOMMUSIM_DMA_BIT_MASK(opt->dma_bits),
	};
	struct iommusim_zpci_config zcfg = {
		.fh = 0x1,
		.tlb_refresh = opt->tlb_refresh,
		.start_dma = IOMMUSIM_ZPCI_QEMU_START_DMA,
		.end_dma = IOMMUSIM_ZPCI_QEMU_END_DMA,
		.guest_memory = 16ull << 30,
	};
	int err;

	*r = (struct rig){0};
	err = iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &r->mem);
	if (!err)
		err = iommusim_firmware_create_null(r->mem, &r->fw);
	if (!err)
		err = iommusim_manual_clock_create(r->mem, &r->clock);
	if (!err)
		err = iommusim_device_create(r->mem, &dcfg, &r->dev);
	if (!err)
		err = iommusim_s390_device_init(r->dev, r->fw, &zcfg);
	if (!err && pol == POL_LEGACY) {
		struct iommusim_s390_legacy_config lcfg = {.strict = false};

		err = iommusim_s390_legacy_dma_setup(r->dev, &lcfg);
	} else if (!err) {
		struct iommusim_dma_iommu_config cfg = {
			.mode = pol == POL_STRICT ? IOMMUSIM_DMA_STRICT : IOMMUSIM_DMA_LAZY,
			.fq_type = pol == POL_FQ_SINGLE ? IOMMUSIM_FQ_SINGLE : IOMMUSIM_FQ_PER_CPU,
			.forcedac = true,
			.possible_cpus = opt->threads,
			.clock = r->clock,
		};

		err = iommusim_s390_domain_create(r->mem, IOMMUSIM_KERNEL_6_7, &r->domain);
		if (!err)
			err = iommusim_dma_iommu_setup(r->dev, r->domain, &cfg);
	}
	if (err)
		rig_destroy(r);
	return err;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t size = (uint64_t)w->opt->granule * PAGE;
	/* Each thread's buffer lives at its own physical address. */
	uint64_t phys = (uint64_t)(iommusim_cpu_id(w->cpu) + 1) << 32;

	while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
		uint64_t dma;
		double t0, t1, t2;

		t0 = now_ns();
		w->err = iommusim_dma_map_page(w->rig->dev, w->cpu, phys, size, w->opt->dir, &dma);
		t1 = now_ns();
		if (w->err) {
			w->failures++;
			break;
		}
		iommusim_dma_unmap_page(w->rig->dev, w->cpu, dma, size, w->opt->dir);
		t2 = now_ns();
		w->map_sum += t1 - t0;
		w->map_sq += (t1 - t0) * (t1 - t0);
		w->unmap_sum += t2 - t1;
		w->unmap_sq += (t2 - t1) * (t2 - t1);
		isim_hist_record(w->map_hist, (uint64_t)(t1 - t0));
		isim_hist_record(w->unmap_hist, (uint64_t)(t2 - t1));
		w->loops++;
	}
	return NULL;
}

static double stddev(double sum, double sq, uint64_t n)
{
	double mean = sum / (double)n, var = sq / (double)n - mean * mean;

	return var > 0 ? sqrt(var) : 0;
}

static void latency_of(const struct isim_hist *h, double sum, double sq,
		       struct dma_bench_latency *l)
{
	*l = (struct dma_bench_latency){0};
	if (!h->count)
		return;
	l->mean = sum / (double)h->count;
	l->sd = stddev(sum, sq, h->count);
	l->p50 = isim_hist_quantile(h, 50, 100);
	l->p90 = isim_hist_quantile(h, 90, 100);
	l->p99 = isim_hist_quantile(h, 99, 100);
	l->max = h->max;
}

/* The first @n workers' CPUs and histograms (joined already), the totals, and the rig. */
static void workers_free(struct worker *w, unsigned int n, struct isim_hist *all_map,
			 struct isim_hist *all_unmap, struct rig *rig)
{
	for (unsigned int t = 0; t < n; t++) {
		iommusim_cpu_destroy(w[t].cpu);
		free(w[t].map_hist);
		free(w[t].unmap_hist);
	}
	free(all_map);
	free(all_unmap);
	rig_destroy(rig);
}

int dma_bench_run(enum dma_bench_policy pol, const struct dma_bench_opts *opt,
		  struct dma_bench_result *res)
{
	struct worker w[DMA_BENCH_MAX_THREADS];
	struct isim_hist *all_map = calloc(1, sizeof(*all_map)),
			 *all_unmap = calloc(1, sizeof(*all_unmap));
	struct timespec nap;
	atomic_bool stop;
	struct rig rig;
	double map_sum = 0, map_sq = 0, unmap_sum = 0, unmap_sq = 0;
	int err = all_map && all_unmap ? rig_create(&rig, pol, opt) : -ENOMEM;

	if (err) {
		fprintf(stderr, "dma-bench: %s: setup failed: %s\n", dma_bench_policies[pol],
			iommusim_strerror(err));
		free(all_map);
		free(all_unmap);
		return -1;
	}
	atomic_init(&stop, false);
	*res = (struct dma_bench_result){.policy = pol};
	for (unsigned int t = 0; t < opt->threads; t++) {
		w[t] = (struct worker){.rig = &rig, .opt = opt, .stop = &stop};
		w[t].map_hist = calloc(1, sizeof(*w[t].map_hist));
		w[t].unmap_hist = calloc(1, sizeof(*w[t].unmap_hist));
		err = w[t].map_hist && w[t].unmap_hist ? 0 : -ENOMEM;
		if (!err)
			err = iommusim_cpu_create(rig.mem, t, &w[t].cpu);
		if (!err && pthread_create(&w[t].thread, NULL, work, &w[t]))
			err = -EAGAIN;
		if (err) {
			atomic_store(&stop, true);
			for (unsigned int j = 0; j < t; j++)
				pthread_join(w[j].thread, NULL);
			workers_free(w, t + 1, all_map, all_unmap, &rig);
			fprintf(stderr, "dma-bench: %s: cannot start threads\n",
				dma_bench_policies[pol]);
			return -1;
		}
	}
	nap.tv_sec = (time_t)opt->seconds;
	nap.tv_nsec = (long)((opt->seconds - (double)nap.tv_sec) * 1e9);
	nanosleep(&nap, NULL);
	atomic_store(&stop, true);
	for (unsigned int t = 0; t < opt->threads; t++) {
		pthread_join(w[t].thread, NULL);
		res->loops += w[t].loops;
		res->failures += w[t].failures;
		map_sum += w[t].map_sum;
		map_sq += w[t].map_sq;
		unmap_sum += w[t].unmap_sum;
		unmap_sq += w[t].unmap_sq;
		isim_hist_add(all_map, w[t].map_hist);
		isim_hist_add(all_unmap, w[t].unmap_hist);
		if (w[t].err && !err)
			err = w[t].err;
	}
	latency_of(all_map, map_sum, map_sq, &res->map);
	latency_of(all_unmap, unmap_sum, unmap_sq, &res->unmap);
	workers_free(w, opt->threads, all_map, all_unmap, &rig);
	if (err) {
		fprintf(stderr, "dma-bench: %s: a map failed: %s\n", dma_bench_policies[pol],
			iommusim_strerror(err));
		return -1;
	}
	return 0;
}
