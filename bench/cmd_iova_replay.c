/* SPDX-License-Identifier: MIT */
/* iommusim-bench iova-replay [--depot=list|array] [FILE] */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "cli.h"
#include "commands.h"
#include "replay_cli.h"
#include "replay_mem.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: iommusim-bench iova-replay [--depot=list|array] [FILE]\n"
		"\n"
		"Replay an IOVA op script (docs/iova-ops.md) from FILE, or standard input, and print\n"
		"what the Linux allocator answers to each op. The whole script is checked first: a\n"
		"bad line prints one error naming the line and field, exit status 2, no output.\n"
		"\n"
		"  --depot=list   rcache depot of Linux 6.7+ (default)\n"
		"  --depot=array  rcache depot of Linux 6.6 and earlier\n");
}

static int replay(FILE *in, const char *name, const void *opts, FILE *out, char *errbuf,
		  size_t errlen)
{
	return iommusim_iova_replay(in, name, opts, out, errbuf, errlen);
}

int cmd_iova_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_ARG("depot", 'd'),
		CLI_FLAG("help", 'h'),
		{NULL, 0, NULL, 0},
	};
	struct iommusim_iova_replay_opts opts = {.depot = IOMMUSIM_IOVA_DEPOT_LIST};
	int c, status;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!strcmp(optarg, "list")) {
				opts.depot = IOMMUSIM_IOVA_DEPOT_LIST;
			} else if (!strcmp(optarg, "array")) {
				opts.depot = IOMMUSIM_IOVA_DEPOT_ARRAY;
			} else {
				fprintf(stderr,
					"iova-replay: --depot: '%s' is neither 'list' nor 'array'\n",
					optarg);
				return EXIT_BAD_INPUT;
			}
			break;
		default:
			/* --help, or an option it does not take */
			return cli_report_option("iova-replay", c, argv, NULL, NULL, usage) > 0
				       ? 0
				       : EXIT_BAD_INPUT;
		}
	}
	/*
	 * Memory in huge pages, which a short replay faults in a few times instead of hundreds
	 * (replay_mem.h); without it, the replay's own context (jemalloc or libc) serves.
	 */
	if (replay_mem_create(&opts.mem))
		opts.mem = NULL;
	status = replay_cli_run("iova-replay", argc, argv, replay, &opts);
	replay_mem_destroy(opts.mem);
	return status;
}
