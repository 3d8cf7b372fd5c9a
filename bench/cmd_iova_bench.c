/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench iova-bench [--runs N] [--quick] [--script-ops N] [--write-script FILE]
 *                           [--csv FILE] [--json FILE]
 *
 * Wall-clock (CLOCK_MONOTONIC) timings of the IOVA allocator: the rcache hit pair, tree
 * alloc+free pairs with 10k and 100k live ranges, the replay of a generated op script, and the
 * memory a live range costs (iova_bench.h lists where each part lives). This file is the
 * command: its options, and where the report and the script go.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <iommusim/iommusim.h>

#include "cli.h"
#include "commands.h"
#include "iova_bench.h"
#include "outfile.h"
#include "report_out.h"

#define CMD	 "iova-bench"
#define MAX_RUNS 1000u
/* A script's header holds three ops (ncpus, init, reserve); beyond that, any length. */
#define MIN_SCRIPT_OPS 3u
#define MAX_SCRIPT_OPS 10000000u

/* The report files and the script, in the order they are written. */
enum { F_CSV, F_JSON, F_SCRIPT, NR_FILES };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: iommusim-bench iova-bench [--runs N] [--quick] [--script-ops N]\n"
		"                                 [--write-script FILE] [--csv FILE] [--json FILE]\n"
		"\n"
		"Time the IOVA allocator in wall-clock time: the rcache hit pair (alloc_fast +\n"
		"free_fast), tree alloc+free pairs with 10 000 and 100 000 live ranges, the replay of\n"
		"a generated 50 000-op NVMe-like script, and the memory a live range costs. Each\n"
		"measurement runs N times with a fixed seed; the table on standard output gives the\n"
		"median, min and max and whether the median meets its goal. Progress goes to stderr.\n"
		"\n"
		"  --runs N             runs per measurement, 1..%u (default 5)\n"
		"  --quick              smaller counts, for smoke tests (a few seconds; a 10 000-op\n"
		"                       script)\n"
		"  --script-ops N       ops in the generated script, %u..%u (default 50 000)\n"
		"  --write-script FILE  also write the generated script (the same for the same N),\n"
		"                       so that 'iommusim-bench iova-replay FILE' replays what was\n"
		"                       timed\n"
		"  --csv FILE           also write the table as CSV:\n"
		"                       benchmark,median,min,max,unit,goal\n"
		"  --json FILE          also write it as JSON: {\"meta\": {...}, \"rows\": [...]}\n"
		"\n"
		"A FILE of '-' is standard output: the report follows the table. An existing file\n"
		"is replaced only once its report is complete.\n",
		MAX_RUNS, MIN_SCRIPT_OPS, MAX_SCRIPT_OPS);
}

/* 0, 1 when --help printed the usage, or -1 after a one-line error. */
static int parse_args(int argc, char **argv, struct iova_bench_plan *plan, struct outfile *files)
{
	static const struct option longopts[] = {
		CLI_ARG("runs", 'r'),	      CLI_FLAG("quick", 'q'), CLI_ARG("script-ops", 'n'),
		CLI_ARG("write-script", 'w'), CLI_REPORT_OPTS,
	};
	const struct outfile *check[NR_FILES] = {&files[F_CSV], &files[F_JSON], &files[F_SCRIPT]};
	unsigned int ops = 0;
	char shown[160];
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (cli_parse_uint(optarg, 1, MAX_RUNS, &plan->runs)) {
				fprintf(stderr, CMD ": --runs: '%s' is not a number from 1 to %u\n",
					optarg, MAX_RUNS);
				return -1;
			}
			break;
		case 'q':
			plan->quick = true;
			break;
		case 'n':
			if (ops) {
				fprintf(stderr, CMD ": --script-ops: given twice\n");
				return -1;
			}
			if (cli_parse_uint(optarg, MIN_SCRIPT_OPS, MAX_SCRIPT_OPS, &ops)) {
				fprintf(stderr,
					CMD ": --script-ops: '%s' is not a number from %u to %u\n",
					cli_shown(optarg, shown, sizeof(shown)), MIN_SCRIPT_OPS,
					MAX_SCRIPT_OPS);
				return -1;
			}
			break;
		case 'w':
			if (outfile_set(&files[F_SCRIPT], optarg))
				return -1;
			break;
		default:
			rc = cli_report_option(CMD, c, argv, &files[F_CSV], &files[F_JSON], usage);
			if (rc)
				return rc;
		}
	}
	if (cli_check_files(CMD, argc, argv, check, NR_FILES))
		return -1;
	if (plan->quick) {
		plan->hit_pairs = 500000;
		plan->tree_pairs = 20000;
		plan->replay_ops = 10000;
	}
	if (ops)
		plan->replay_ops = ops;
	return 0;
}

/* The script as generated and replayed, into its file once the report is out. */
static int write_script(struct outfile *o, const struct iova_bench *b)
{
	FILE *f = outfile_stream(o);

	if (f)
		fwrite(b->script, 1, b->script_len, f);
	return outfile_commit(o);
}

int cmd_iova_bench(int argc, char **argv)
{
	struct outfile files[NR_FILES] = {
		[F_CSV] = {.cmd = CMD, .opt = "--csv"},
		[F_JSON] = {.cmd = CMD, .opt = "--json"},
		[F_SCRIPT] = {.cmd = CMD, .opt = "--write-script"},
	};
	struct outfile *wanted[NR_FILES] = {&files[F_CSV], &files[F_JSON], &files[F_SCRIPT]};
	struct iova_bench b = {
		.plan =
			{
				.runs = 5,
				.hit_pairs = 10000000,
				.tree_pairs = 200000,
				.replay_ops = 50000,
			},
	};
	struct iommusim_report *rep = NULL;
	uint64_t t0 = iova_bench_now_ns();
	const char *backend;
	int err;

	err = parse_args(argc, argv, &b.plan, files);
	if (err)
		return err > 0 ? 0 : EXIT_BAD_INPUT;
	if (outfile_open(wanted, NR_FILES))
		return EXIT_BAD_INPUT;

	b.samples = calloc((size_t)NR_ROWS * b.plan.runs, sizeof(*b.samples));
	err = b.samples ? 0 : iova_bench_fail("setup", "calloc", -ENOMEM);
	if (!err && (err = iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &b.mem)))
		err = iova_bench_fail("setup", "mem_create", err);
	if (!err && (err = iommusim_cpu_create(b.mem, 0, &b.cpu)))
		err = iova_bench_fail("setup", "cpu_create", err);
	backend = b.mem ? iommusim_mem_backend_name(b.mem) : "?";
	iova_bench_detect_malloc(&b);
	fprintf(stderr, CMD ": memory backend %s, malloc %s\n", backend, b.malloc_name);
	if (!err)
		err = iova_bench_run(&b);
	if (!err) {
		err = iova_bench_report(&b, backend, &rep);
		err = bench_report_emit(CMD, err, rep, &files[F_CSV], &files[F_JSON]);
		/* One after the other, as the report's two files. */
		if (write_script(&files[F_SCRIPT], &b))
			err = -1;
	}
	for (int i = 0; i < NR_FILES; i++)
		outfile_abandon(&files[i]);
	iommusim_report_destroy(rep);
	iommusim_cpu_destroy(b.cpu);
	iommusim_mem_destroy(b.mem);
	free(b.script);
	free(b.samples);
	fprintf(stderr, CMD ": %s after %.1f s\n", err ? "failed" : "done",
		(double)(iova_bench_now_ns() - t0) * 1e-9);
	return err ? 1 : 0;
}
