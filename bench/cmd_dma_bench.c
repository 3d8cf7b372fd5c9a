/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench dma-bench: the kernel's dma_map_benchmark, run against the simulated guest
 * stack. Threads, each acting as one CPU, map and unmap a buffer of GRANULE pages in a loop for
 * a number of wall-clock seconds (dma_bench_run.c); the average cost of a map and of an unmap,
 * with standard deviations and percentiles, is reported per DMA policy. The platform is the
 * null firmware: every RPCIT succeeds at no cost, so the figures are the guest stack's own
 * software cost.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "cli.h"
#include "commands.h"
#include "dma_bench.h"
#include "outfile.h"
#include "report_out.h"

#define MAX_SECONDS 300u
#define MAX_GRANULE 1024u

/* The columns of the table, the CSV and the JSON rows (all times in ns). */
enum col {
	C_POLICY,
	C_THREADS,
	C_GRANULE,
	C_MAP_MEAN,
	C_MAP_P50,
	C_MAP_P90,
	C_MAP_P99,
	C_MAP_MAX,
	C_UNMAP_MEAN,
	C_UNMAP_P50,
	C_UNMAP_P90,
	C_UNMAP_P99,
	C_UNMAP_MAX,
	C_PAIR_MEAN,
	C_LOOPS,
	NR_COLS
};

/* clang-format off */
#define NS(n) { n, IOMMUSIM_REPORT_UINT, 0, IOMMUSIM_REPORT_RIGHT, 0, 0, NULL, NULL, NULL }
#define MEAN(n)                                                                            \
	{ n, IOMMUSIM_REPORT_REAL, 0, IOMMUSIM_REPORT_RIGHT | IOMMUSIM_REPORT_NULLABLE, 1, 0, \
	  NULL, NULL, NULL }
/* clang-format on */

static const struct iommusim_report_column cols[NR_COLS] = {
	[C_POLICY] = {"policy", IOMMUSIM_REPORT_STRING, 0, 0, 0, 0, NULL, NULL, NULL},
	[C_THREADS] = NS("threads"),
	[C_GRANULE] = NS("granule_pages"),
	[C_MAP_MEAN] = MEAN("map_mean_ns"),
	[C_MAP_P50] = NS("map_p50_ns"),
	[C_MAP_P90] = NS("map_p90_ns"),
	[C_MAP_P99] = NS("map_p99_ns"),
	[C_MAP_MAX] = NS("map_max_ns"),
	[C_UNMAP_MEAN] = MEAN("unmap_mean_ns"),
	[C_UNMAP_P50] = NS("unmap_p50_ns"),
	[C_UNMAP_P90] = NS("unmap_p90_ns"),
	[C_UNMAP_P99] = NS("unmap_p99_ns"),
	[C_UNMAP_MAX] = NS("unmap_max_ns"),
	[C_PAIR_MEAN] = MEAN("pair_mean_ns"),
	[C_LOOPS] = NS("loops"),
};

/* A kind of call's five columns, from @first (its mean). */
static void put_latency(struct iommusim_report *rep, enum col first,
			const struct dma_bench_latency *l)
{
	iommusim_report_set_real(rep, first, l->mean);
	iommusim_report_set_uint(rep, first + 1, l->p50);
	iommusim_report_set_uint(rep, first + 2, l->p90);
	iommusim_report_set_uint(rep, first + 3, l->p99);
	iommusim_report_set_uint(rep, first + 4, l->max);
}

/* The meta: what ran, on the null firmware. */
static void put_meta(struct iommusim_report *rep, const struct dma_bench_opts *opt)
{
	struct iommusim_report_value *m = iommusim_report_meta(rep);
	char seconds[32];

	snprintf(seconds, sizeof(seconds), "%g", opt->seconds);
	iommusim_report_add_uint(m, "threads", opt->threads);
	iommusim_report_add_number(m, "seconds", seconds);
	iommusim_report_add_uint(m, "granule_pages", opt->granule);
	iommusim_report_add_str(m, "dir", dma_bench_dirs[opt->dir]);
	iommusim_report_add_uint(m, "dma_bits", opt->dma_bits);
	iommusim_report_add_bool(m, "tlb_refresh", opt->tlb_refresh);
	iommusim_report_add_str(m, "platform", "null");
}

/* The kernel tool's lines for each policy, then one row per policy. */
static void fill_report(struct iommusim_report *rep, const struct dma_bench_opts *opt,
			const struct dma_bench_result *res, unsigned int n)
{
	put_meta(rep, opt);
	for (unsigned int i = 0; i < n; i++) {
		const struct dma_bench_result *r = &res[i];

		/* The three lines of tools/testing/selftests/dma/dma_map_benchmark, per policy. */
		iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE,
				     "dma mapping benchmark (%s): threads:%u seconds:%g node:-1 "
				     "dir:%s granule: %u\n"
				     "average map latency(us):%.3f standard deviation:%.3f\n"
				     "average unmap latency(us):%.3f standard deviation:%.3f\n\n",
				     dma_bench_policies[r->policy], opt->threads, opt->seconds,
				     dma_bench_dirs[opt->dir], opt->granule, r->map.mean / 1000,
				     r->map.sd / 1000, r->unmap.mean / 1000, r->unmap.sd / 1000);
		iommusim_report_add_row(rep);
		iommusim_report_set_str(rep, C_POLICY, dma_bench_policies[r->policy]);
		iommusim_report_set_uint(rep, C_THREADS, opt->threads);
		iommusim_report_set_uint(rep, C_GRANULE, opt->granule);
		put_latency(rep, C_MAP_MEAN, &r->map);
		put_latency(rep, C_UNMAP_MEAN, &r->unmap);
		iommusim_report_set_real(rep, C_PAIR_MEAN, r->map.mean + r->unmap.mean);
		iommusim_report_set_uint(rep, C_LOOPS, r->loops);
	}
	iommusim_report_note(rep, IOMMUSIM_REPORT_BELOW,
			     "# times in ns per call, every call counted: mean, then percentiles "
			     "of a log-linear histogram (at most 1/64 above the true value), max "
			     "exact\n");
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
		DMA_BENCH_MAX_THREADS, MAX_SECONDS, MAX_GRANULE);
}

static int parse_policies(char *list, bool *want)
{
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		unsigned int p;

		for (p = 0; p < NR_POLICIES && strcmp(tok, dma_bench_policies[p]); p++)
			;
		if (p == NR_POLICIES) {
			fprintf(stderr,
				"dma-bench: --policy: unknown policy '%s' (strict, fq-percpu, "
				"fq-single, legacy)\n",
				tok);
			return -1;
		}
		want[p] = true;
	}
	return 0;
}

/* @arg of option @opt as a number in [@lo, @hi] into @out: 0, or -1 after a one-line error. */
static int uint_option(const char *opt, const char *arg, unsigned int lo, unsigned int hi,
		       unsigned int *out)
{
	if (!cli_parse_uint(arg, lo, hi, out))
		return 0;
	fprintf(stderr, "dma-bench: %s: '%s' is not %u..%u\n", opt, arg, lo, hi);
	return -1;
}

/* 0, 1 when --help printed the usage, or -1 after a one-line error. */
static int parse_args(int argc, char **argv, struct dma_bench_opts *opt, struct outfile *csv,
		      struct outfile *json)
{
	static const struct option longopts[] = {
		CLI_ARG("policy", 'p'),	      CLI_ARG("threads", 't'), CLI_ARG("seconds", 's'),
		CLI_ARG("granule", 'g'),      CLI_ARG("dir", 'd'),     CLI_ARG("dma-bits", 'b'),
		CLI_FLAG("tlb-refresh", 'r'), CLI_REPORT_OPTS,
	};
	bool any = false;
	char *end;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_policies(optarg, opt->policy))
				return -1;
			any = true;
			break;
		case 't':
			if (uint_option("--threads", optarg, 1, DMA_BENCH_MAX_THREADS,
					&opt->threads))
				return -1;
			break;
		case 's':
			errno = 0;
			opt->seconds = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(opt->seconds >= 0.01) ||
			    opt->seconds > MAX_SECONDS) {
				fprintf(stderr, "dma-bench: --seconds: '%s' is not 0.01..%u\n",
					optarg, MAX_SECONDS);
				return -1;
			}
			break;
		case 'g':
			if (uint_option("--granule", optarg, 1, MAX_GRANULE, &opt->granule))
				return -1;
			break;
		case 'd':
			if (!strcmp(optarg, "bidirectional")) {
				opt->dir = IOMMUSIM_DMA_BIDIRECTIONAL;
			} else if (!strcmp(optarg, "to-device")) {
				opt->dir = IOMMUSIM_DMA_TO_DEVICE;
			} else if (!strcmp(optarg, "from-device")) {
				opt->dir = IOMMUSIM_DMA_FROM_DEVICE;
			} else {
				fprintf(stderr,
					"dma-bench: --dir: '%s' is not bidirectional, to-device "
					"or from-device\n",
					optarg);
				return -1;
			}
			break;
		case 'b':
			if (uint_option("--dma-bits", optarg, 33, 64, &opt->dma_bits))
				return -1;
			break;
		case 'r':
			opt->tlb_refresh = true;
			break;
		default:
			rc = cli_report_option("dma-bench", c, argv, csv, json, usage);
			if (rc)
				return rc;
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
	struct dma_bench_opts opt = {.threads = 1, .seconds = 1, .granule = 1, .dma_bits = 64};
	struct outfile csv = {.cmd = "dma-bench", .opt = "--csv"};
	struct outfile json = {.cmd = "dma-bench", .opt = "--json"};
	struct outfile *files[] = {&csv, &json};
	struct dma_bench_result res[NR_POLICIES];
	struct iommusim_report *rep = NULL;
	unsigned int n = 0;
	int err, ret;

	err = parse_args(argc, argv, &opt, &csv, &json);
	if (err)
		return err > 0 ? 0 : EXIT_BAD_INPUT;
	if (outfile_open(files, 2))
		return EXIT_BAD_INPUT;
	for (unsigned int p = 0; p < NR_POLICIES && !err; p++) {
		if (!opt.policy[p])
			continue;
		fprintf(stderr, "dma-bench: %s: %u thread(s) for %g s\n", dma_bench_policies[p],
			opt.threads, opt.seconds);
		err = dma_bench_run((enum dma_bench_policy)p, &opt, &res[n]);
		n += !err;
	}
	if (err) {
		outfile_abandon(&csv);
		outfile_abandon(&json);
		return 1;
	}
	err = iommusim_report_create(NULL, cols, NR_COLS, &rep);
	if (!err)
		fill_report(rep, &opt, res, n);
	ret = bench_report_emit("dma-bench", err, rep, &csv, &json);
	iommusim_report_destroy(rep);
	return ret;
}
