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
#include "stats/hist.h"
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

/*
 * Every timed call goes into a log-linear histogram of ns (sim/stats/hist.h: at most 1/64
 * above the true value, exact below 64 ns): percentiles describe a small VM's latencies, where
 * a few preempted calls make the standard deviation many times the mean, and no sample is
 * dropped.
 */
struct worker {
	pthread_t thread;
	struct rig *rig;
	const struct options *opt;
	struct iommusim_cpu *cpu;
	atomic_bool *stop;
	uint64_t loops, failures;
	double map_sum, map_sq, unmap_sum, unmap_sq;
	struct isim_hist *map_hist, *unmap_hist;
	int err;
};

/* One kind of call's latencies over all threads, in ns. */
struct latency {
	double mean, sd;
	uint64_t p50, p90, p99, max;
};

struct result {
	enum policy policy;
	uint64_t loops, failures;
	struct latency map, unmap;
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

static void latency_of(const struct isim_hist *h, double sum, double sq, struct latency *l)
{
	*l = (struct latency){ 0 };
	if (!h->count)
		return;
	l->mean = sum / (double)h->count;
	l->sd = stddev(sum, sq, h->count);
	l->p50 = isim_hist_quantile(h, 50, 100);
	l->p90 = isim_hist_quantile(h, 90, 100);
	l->p99 = isim_hist_quantile(h, 99, 100);
	l->max = h->max;
}

static int run_policy(enum policy pol, const struct options *opt, struct result *res)
{
	struct worker w[MAX_THREADS];
	struct isim_hist *all_map = calloc(1, sizeof(*all_map)),
			 *all_unmap = calloc(1, sizeof(*all_unmap));
	struct timespec nap;
	atomic_bool stop;
	struct rig rig;
	double map_sum = 0, map_sq = 0, unmap_sum = 0, unmap_sq = 0;
	int err = all_map && all_unmap ? rig_create(&rig, pol, opt) : -ENOMEM;

	if (err) {
		fprintf(stderr, "dma-bench: %s: setup failed: %s\n", policy_names[pol],
			iommusim_strerror(err));
		free(all_map);
		free(all_unmap);
		return -1;
	}
	atomic_init(&stop, false);
	*res = (struct result){ .policy = pol };
	for (unsigned int t = 0; t < opt->threads; t++) {
		w[t] = (struct worker){ .rig = &rig, .opt = opt, .stop = &stop };
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
			for (unsigned int j = 0; j <= t; j++) {
				iommusim_cpu_destroy(w[j].cpu);
				free(w[j].map_hist);
				free(w[j].unmap_hist);
			}
			free(all_map);
			free(all_unmap);
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
		isim_hist_add(all_map, w[t].map_hist);
		isim_hist_add(all_unmap, w[t].unmap_hist);
		if (w[t].err && !err)
			err = w[t].err;
	}
	latency_of(all_map, map_sum, map_sq, &res->map);
	latency_of(all_unmap, unmap_sum, unmap_sq, &res->unmap);
	for (unsigned int t = 0; t < opt->threads; t++) {
		iommusim_cpu_destroy(w[t].cpu);
		free(w[t].map_hist);
		free(w[t].unmap_hist);
	}
	free(all_map);
	free(all_unmap);
	rig_destroy(&rig);
	if (err) {
		fprintf(stderr, "dma-bench: %s: a map failed: %s\n", policy_names[pol],
			iommusim_strerror(err));
		return -1;
	}
	return 0;
}

/* The columns of the table, the CSV and the JSON rows, in that order (all times in ns). */
static const char *const col_names[] = {
	"policy",	 "threads",	   "granule_pages", "map_mean_ns",  "map_p50_ns",
	"map_p90_ns",	 "map_p99_ns",	   "map_max_ns",    "unmap_mean_ns", "unmap_p50_ns",
	"unmap_p90_ns", "unmap_p99_ns",  "unmap_max_ns",  "pair_mean_ns", "loops",
};
#define NR_COLS (sizeof(col_names) / sizeof(col_names[0]))

/* One row as text: the same digits in every form. */
static void row_cells(const struct options *opt, const struct result *r, char cell[][32])
{
	const struct latency *l[2] = { &r->map, &r->unmap };
	unsigned int c = 0;

	snprintf(cell[c++], 32, "%s", policy_names[r->policy]);
	snprintf(cell[c++], 32, "%u", opt->threads);
	snprintf(cell[c++], 32, "%u", opt->granule);
	for (int k = 0; k < 2; k++) {
		snprintf(cell[c++], 32, "%.1f", l[k]->mean);
		snprintf(cell[c++], 32, "%llu", (unsigned long long)l[k]->p50);
		snprintf(cell[c++], 32, "%llu", (unsigned long long)l[k]->p90);
		snprintf(cell[c++], 32, "%llu", (unsigned long long)l[k]->p99);
		snprintf(cell[c++], 32, "%llu", (unsigned long long)l[k]->max);
	}
	snprintf(cell[c++], 32, "%.1f", r->map.mean + r->unmap.mean);
	snprintf(cell[c++], 32, "%llu", (unsigned long long)r->loops);
}

static void print_results(const struct options *opt, const struct result *res, unsigned int n)
{
	char cell[NR_COLS][32];
	size_t w[NR_COLS];

	for (unsigned int i = 0; i < n; i++) {
		const struct result *r = &res[i];

		/* The three lines of tools/testing/selftests/dma/dma_map_benchmark, per policy. */
		printf("dma mapping benchmark (%s): threads:%u seconds:%g node:-1 dir:%s granule: %u\n",
		       policy_names[r->policy], opt->threads, opt->seconds, dir_names[opt->dir],
		       opt->granule);
		printf("average map latency(us):%.3f standard deviation:%.3f\n", r->map.mean / 1000,
		       r->map.sd / 1000);
		printf("average unmap latency(us):%.3f standard deviation:%.3f\n\n",
		       r->unmap.mean / 1000, r->unmap.sd / 1000);
	}
	for (size_t c = 0; c < NR_COLS; c++)
		w[c] = strlen(col_names[c]);
	for (unsigned int i = 0; i < n; i++) {
		row_cells(opt, &res[i], cell);
		for (size_t c = 0; c < NR_COLS; c++)
			if (strlen(cell[c]) > w[c])
				w[c] = strlen(cell[c]);
	}
	for (size_t c = 0; c < NR_COLS; c++)
		printf("%s%*s", c ? "  " : "", c ? (int)w[c] : -(int)w[c], col_names[c]);
	putchar('\n');
	for (unsigned int i = 0; i < n; i++) {
		row_cells(opt, &res[i], cell);
		for (size_t c = 0; c < NR_COLS; c++)
			printf("%s%*s", c ? "  " : "", c ? (int)w[c] : -(int)w[c], cell[c]);
		putchar('\n');
	}
	printf("# times in ns per call, every call counted: mean, then percentiles of a log-linear "
	       "histogram (at most 1/64 above the true value), max exact\n");
}

static void write_csv(FILE *f, const struct options *opt, const struct result *res,
		      unsigned int n)
{
	char cell[NR_COLS][32];

	for (size_t c = 0; c < NR_COLS; c++)
		fprintf(f, "%s%s", c ? "," : "", col_names[c]);
	fputc('\n', f);
	for (unsigned int i = 0; i < n; i++) {
		row_cells(opt, &res[i], cell);
		for (size_t c = 0; c < NR_COLS; c++)
			fprintf(f, "%s%s", c ? "," : "", cell[c]);
		fputc('\n', f);
	}
}

static void write_json(FILE *f, const struct options *opt, const struct result *res,
		       unsigned int n)
{
	char cell[NR_COLS][32];

	fputs("{\"meta\": {\"version\": ", f);
	json_string(f, iommusim_version());
	fputs(", \"git\": ", f);
	json_string(f, iommusim_git_describe());
	fprintf(f, ", \"threads\": %u, \"seconds\": %g, \"granule_pages\": %u, \"dir\": ",
		opt->threads, opt->seconds, opt->granule);
	json_string(f, dir_names[opt->dir]);
	fprintf(f, ", \"dma_bits\": %u, \"tlb_refresh\": %s, \"platform\": \"null\"},\n"
		" \"rows\": [", opt->dma_bits, opt->tlb_refresh ? "true" : "false");
	for (unsigned int i = 0; i < n; i++) {
		row_cells(opt, &res[i], cell);
		fputs(i ? ",\n  {" : "\n  {", f);
		for (size_t c = 0; c < NR_COLS; c++) {
			fprintf(f, "%s\"%s\": ", c ? ", " : "", col_names[c]);
			if (c == 0)
				json_string(f, cell[c]);
			else
				fputs(cell[c], f);
		}
		fputc('}', f);
	}
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
		"  --json FILE      also write it as JSON: {\"meta\": {...}, \"rows\": [...]}\n"
		"\n"
		"A FILE of '-' is standard output: the report follows the table. An existing file\n"
		"is replaced only once its report is complete.\n",
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

/* 0, 1 when --help printed the usage, or -1 after a one-line error. */
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
			if (outfile_set(csv, optarg))
				return -1;
			break;
		case 'j':
			if (outfile_set(json, optarg))
				return -1;
			break;
		case 'h':
			usage(stdout);
			return 1;
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
	struct outfile *files[] = { &csv, &json };
	struct result res[NR_POLICIES];
	unsigned int n = 0;
	int err;
	FILE *f;

	err = parse_args(argc, argv, &opt, &csv, &json);
	if (err)
		return err > 0 ? 0 : EXIT_BAD_INPUT;
	if (outfile_open(files, 2))
		return EXIT_BAD_INPUT;
	for (unsigned int p = 0; p < NR_POLICIES && !err; p++) {
		if (!opt.policy[p])
			continue;
		fprintf(stderr, "dma-bench: %s: %u thread(s) for %g s\n", policy_names[p],
			opt.threads, opt.seconds);
		err = run_policy((enum policy)p, &opt, &res[n]);
		n += !err;
	}
	if (err) {
		outfile_abandon(&csv);
		outfile_abandon(&json);
		return 1;
	}
	print_results(&opt, res, n);
	cli_stdout_flush();
	/* One after the other: a reader of two FIFOs may take them in turn. */
	if ((f = outfile_stream(&csv)))
		write_csv(f, &opt, res, n);
	if (outfile_commit(&csv))
		err = -1;
	if ((f = outfile_stream(&json)))
		write_json(f, &opt, res, n);
	if (outfile_commit(&json))
		err = -1;
	return err ? 1 : 0;
}
