/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench dma-bench: the kernel's dma_map_benchmark, run against the simulated guest
 * stack. Threads, each acting as one CPU, map and unmap a buffer of GRANULE pages in a loop for
 * a number of wall-clock seconds; the average cost of a map and of an unmap, with standard
 * deviations, is reported per DMA policy. The platform is the null firmware: every RPCIT
 * succeeds at no cost, so the figures are the guest stack's own software cost.
 *
 * Flush-queue timers are not run here (nothing ticks the clock): lazy policies flush when a
 * queue fills, which is what dominates a tight map/unmap loop anyway.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <iommusim/iommusim.h>

#include "cli.h"
#include "commands.h"
#include "outfile.h"

#define MAX_THREADS 64u
#define MAX_SECONDS 300u
#define MAX_GRANULE 1024u
#define PAGE 4096ull

enum policy { POL_STRICT, POL_FQ_PERCPU, POL_FQ_SINGLE, POL_LEGACY, NR_POLICIES };

static const char *const policy_names[NR_POLICIES] = {
	[POL_STRICT] = "strict",
	[POL_FQ_PERCPU] = "fq-percpu",
	[POL_FQ_SINGLE] = "fq-single",
	[POL_LEGACY] = "legacy",
};

static const char *const dir_names[] = { "BIDIRECTIONAL", "TO_DEVICE", "FROM_DEVICE" };

struct options {
	bool policy[NR_POLICIES];
	unsigned int threads;
	double seconds;
	unsigned int granule;
	enum iommusim_dma_dir dir;
	unsigned int dma_bits;
	bool tlb_refresh;
};

/* One policy's machine: a zPCI function on the null firmware with the policy's DMA ops. */
struct rig {
	struct iommusim_mem *mem;
	struct iommusim_firmware *fw;
	struct iommusim_clock *clock;
	struct iommusim_domain *domain;
	struct iommusim_device *dev;
};

struct worker {
	pthread_t thread;
	struct rig *rig;
	const struct options *opt;
	struct iommusim_cpu *cpu;
	atomic_bool *stop;
	uint64_t loops, failures;
	double map_sum, map_sq, unmap_sum, unmap_sq;
	int err;
};

struct result {
	enum policy policy;
	uint64_t loops, failures;
	double map_ns, map_sd, unmap_ns, unmap_sd;
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

static int rig_create(struct rig *r, enum policy pol, const struct options *opt)
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

	*r = (struct rig){ 0 };
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
		struct iommusim_s390_legacy_config lcfg = { .strict = false };

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
		w->loops++;
	}
	return NULL;
}

static double stddev(double sum, double sq, uint64_t n)
{
	double mean = sum / (double)n, var = sq / (double)n - mean * mean;

	return var > 0 ? sqrt(var) : 0;
}

static int run_policy(enum policy pol, const struct options *opt, struct result *res)
{
	struct worker w[MAX_THREADS];
	struct timespec nap;
	atomic_bool stop;
	struct rig rig;
	double map_sum = 0, map_sq = 0, unmap_sum = 0, unmap_sq = 0;
	int err = rig_create(&rig, pol, opt);

	if (err) {
		fprintf(stderr, "dma-bench: %s: setup failed: %s\n", policy_names[pol],
			iommusim_strerror(err));
		return -1;
	}
	atomic_init(&stop, false);
	*res = (struct result){ .policy = pol };
	for (unsigned int t = 0; t < opt->threads; t++) {
		w[t] = (struct worker){ .rig = &rig, .opt = opt, .stop = &stop };
		err = iommusim_cpu_create(rig.mem, t, &w[t].cpu);
		if (!err && pthread_create(&w[t].thread, NULL, work, &w[t]))
			err = -EAGAIN;
		if (err) {
			atomic_store(&stop, true);
			for (unsigned int j = 0; j < t; j++)
				pthread_join(w[j].thread, NULL);
			for (unsigned int j = 0; j <= t; j++)
				iommusim_cpu_destroy(w[j].cpu);
			rig_destroy(&rig);
			fprintf(stderr, "dma-bench: %s: cannot start threads\n", policy_names[pol]);
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
		if (w[t].err && !err)
			err = w[t].err;
	}
	if (res->loops) {
		res->map_ns = map_sum / (double)res->loops;
		res->map_sd = stddev(map_sum, map_sq, res->loops);
		res->unmap_ns = unmap_sum / (double)res->loops;
		res->unmap_sd = stddev(unmap_sum, unmap_sq, res->loops);
	}
	for (unsigned int t = 0; t < opt->threads; t++)
		iommusim_cpu_destroy(w[t].cpu);
	rig_destroy(&rig);
	if (err) {
		fprintf(stderr, "dma-bench: %s: a map failed: %s\n", policy_names[pol],
			iommusim_strerror(err));
		return -1;
	}
	return 0;
}

static void print_results(const struct options *opt, const struct result *res, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct result *r = &res[i];

		/* The three lines of tools/testing/selftests/dma/dma_map_benchmark, per policy. */
		printf("dma mapping benchmark (%s): threads:%u seconds:%g node:-1 dir:%s granule: %u\n",
		       policy_names[r->policy], opt->threads, opt->seconds, dir_names[opt->dir],
		       opt->granule);
		printf("average map latency(us):%.3f standard deviation:%.3f\n", r->map_ns / 1000,
		       r->map_sd / 1000);
		printf("average unmap latency(us):%.3f standard deviation:%.3f\n\n",
		       r->unmap_ns / 1000, r->unmap_sd / 1000);
	}
	printf("%-10s %7s %8s %10s %10s %10s %10s %10s %12s\n", "policy", "threads", "granule",
	       "map_ns", "map_sd_ns", "unmap_ns", "unmap_sd", "pair_ns", "loops");
	for (unsigned int i = 0; i < n; i++) {
		const struct result *r = &res[i];

		printf("%-10s %7u %8u %10.1f %10.1f %10.1f %10.1f %10.1f %12llu\n",
		       policy_names[r->policy], opt->threads, opt->granule, r->map_ns, r->map_sd,
		       r->unmap_ns, r->unmap_sd, r->map_ns + r->unmap_ns,
		       (unsigned long long)r->loops);
	}
}

static void write_csv(FILE *f, const struct options *opt, const struct result *res,
		      unsigned int n)
{
	fputs("policy,threads,granule_pages,map_ns,map_sd_ns,unmap_ns,unmap_sd_ns,pair_ns,loops\n", f);
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "%s,%u,%u,%.1f,%.1f,%.1f,%.1f,%.1f,%llu\n", policy_names[res[i].policy],
			opt->threads, opt->granule, res[i].map_ns, res[i].map_sd, res[i].unmap_ns,
			res[i].unmap_sd, res[i].map_ns + res[i].unmap_ns,
			(unsigned long long)res[i].loops);
}

static void write_json(FILE *f, const struct options *opt, const struct result *res,
		       unsigned int n)
{
	fputs("{\"meta\": {\"version\": ", f);
	json_string(f, iommusim_version());
	fputs(", \"git\": ", f);
	json_string(f, iommusim_git_describe());
	fprintf(f, ", \"threads\": %u, \"seconds\": %g, \"granule_pages\": %u, \"dir\": \"%s\", "
		"\"dma_bits\": %u, \"tlb_refresh\": %s, \"platform\": \"null\"},\n \"rows\": [",
		opt->threads, opt->seconds, opt->granule, dir_names[opt->dir], opt->dma_bits,
		opt->tlb_refresh ? "true" : "false");
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "%s\n  {\"policy\": \"%s\", \"map_ns\": %.1f, \"map_sd_ns\": %.1f, "
			"\"unmap_ns\": %.1f, \"unmap_sd_ns\": %.1f, \"pair_ns\": %.1f, "
			"\"loops\": %llu}", i ? "," : "", policy_names[res[i].policy], res[i].map_ns,
			res[i].map_sd, res[i].unmap_ns, res[i].unmap_sd,
			res[i].map_ns + res[i].unmap_ns, (unsigned long long)res[i].loops);
	fputs("\n]}\n", f);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: iommusim-bench dma-bench [--policy LIST] [--threads N] [--seconds S]\n"
		"                                [--granule PAGES] [--dir DIR] [--dma-bits B]\n"
		"                                [--tlb-refresh] [--csv FILE] [--json FILE]\n"
		"\n"
		"Map and unmap a buffer in a loop on N threads, each acting as one CPU, for S seconds\n"
		"of wall-clock time per policy, as the kernel's dma_map_benchmark does, and report\n"
		"the average map and unmap cost with standard deviations. The platform is the null\n"
		"firmware (RPCITs succeed at no cost): these are the guest stack's software costs.\n"
		"\n"
		"  --policy LIST    comma-separated: strict,fq-percpu,fq-single,legacy (default all)\n"
		"  --threads N      1..%u (default 1)\n"
		"  --seconds S      per policy, 0.01..%u (default 1)\n"
		"  --granule PAGES  buffer size in 4 KiB pages, 1..%u (default 1)\n"
		"  --dir DIR        bidirectional, to-device or from-device (default bidirectional)\n"
		"  --dma-bits B     device DMA mask width, 33..64 (default 64; s390 IOVAs start at\n"
		"                   4 GiB, so 32 cannot map)\n"
		"  --tlb-refresh    the function needs RPCITs for new mappings (a paging guest)\n"
		"  --csv FILE       also write the table as CSV\n"
		"  --json FILE      also write it as JSON: {\"meta\": {...}, \"rows\": [...]}\n",
		MAX_THREADS, MAX_SECONDS, MAX_GRANULE);
}

static int parse_policies(char *list, bool *want)
{
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		unsigned int p;

		for (p = 0; p < NR_POLICIES && strcmp(tok, policy_names[p]); p++)
			;
		if (p == NR_POLICIES) {
			fprintf(stderr, "dma-bench: --policy: unknown policy '%s' (strict, fq-percpu, "
				"fq-single, legacy)\n", tok);
			return -1;
		}
		want[p] = true;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct options *opt, struct outfile *csv,
		      struct outfile *json)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 's' },
		{ "granule", required_argument, NULL, 'g' },
		{ "dir", required_argument, NULL, 'd' },
		{ "dma-bits", required_argument, NULL, 'b' },
		{ "tlb-refresh", no_argument, NULL, 'r' },
		{ "csv", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool any = false;
	char *end;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_policies(optarg, opt->policy))
				return -1;
			any = true;
			break;
		case 't':
			if (cli_parse_uint(optarg, 1, MAX_THREADS, &opt->threads)) {
				fprintf(stderr, "dma-bench: --threads: '%s' is not 1..%u\n", optarg,
					MAX_THREADS);
				return -1;
			}
			break;
		case 's':
			errno = 0;
			opt->seconds = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(opt->seconds >= 0.01) ||
			    opt->seconds > MAX_SECONDS) {
				fprintf(stderr, "dma-bench: --seconds: '%s' is not 0.01..%u\n", optarg,
					MAX_SECONDS);
				return -1;
			}
			break;
		case 'g':
			if (cli_parse_uint(optarg, 1, MAX_GRANULE, &opt->granule)) {
				fprintf(stderr, "dma-bench: --granule: '%s' is not 1..%u\n", optarg,
					MAX_GRANULE);
				return -1;
			}
			break;
		case 'd':
			if (!strcmp(optarg, "bidirectional")) {
				opt->dir = IOMMUSIM_DMA_BIDIRECTIONAL;
			} else if (!strcmp(optarg, "to-device")) {
				opt->dir = IOMMUSIM_DMA_TO_DEVICE;
			} else if (!strcmp(optarg, "from-device")) {
				opt->dir = IOMMUSIM_DMA_FROM_DEVICE;
			} else {
				fprintf(stderr, "dma-bench: --dir: '%s' is not bidirectional, to-device "
					"or from-device\n", optarg);
				return -1;
			}
			break;
		case 'b':
			if (cli_parse_uint(optarg, 33, 64, &opt->dma_bits)) {
				fprintf(stderr, "dma-bench: --dma-bits: '%s' is not 33..64\n", optarg);
				return -1;
			}
			break;
		case 'r':
			opt->tlb_refresh = true;
			break;
		case 'c':
			csv->path = optarg;
			break;
		case 'j':
			json->path = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return cli_bad_option("dma-bench", c, argv);
		}
	}
	if (cli_check_rest("dma-bench", argc, argv, csv, json))
		return -1;
	if (!any)
		for (unsigned int p = 0; p < NR_POLICIES; p++)
			opt->policy[p] = true;
	return 0;
}

int cmd_dma_bench(int argc, char **argv)
{
	struct options opt = { .threads = 1, .seconds = 1, .granule = 1, .dma_bits = 64 };
	struct outfile csv = { .cmd = "dma-bench", .opt = "--csv" };
	struct outfile json = { .cmd = "dma-bench", .opt = "--json" };
	struct result res[NR_POLICIES];
	unsigned int n = 0;
	int err = 0;

	if (parse_args(argc, argv, &opt, &csv, &json))
		return EXIT_BAD_INPUT;
	if (outfile_open(&csv) || outfile_open(&json)) {
		outfile_close(&csv, false);
		outfile_close(&json, false);
		return EXIT_BAD_INPUT;
	}
	for (unsigned int p = 0; p < NR_POLICIES && !err; p++) {
		if (!opt.policy[p])
			continue;
		fprintf(stderr, "dma-bench: %s: %u thread(s) for %g s\n", policy_names[p],
			opt.threads, opt.seconds);
		err = run_policy((enum policy)p, &opt, &res[n]);
		n += !err;
	}
	if (!err) {
		print_results(&opt, res, n);
		if (csv.f)
			write_csv(csv.f, &opt, res, n);
		if (json.f)
			write_json(json.f, &opt, res, n);
	}
	if (outfile_close(&csv, !err) | outfile_close(&json, !err))
		err = -1;
	return err ? 1 : 0;
}
