/* SPDX-License-Identifier: MIT */
/* iommusim-bench tce-replay [FILE]: the powerpc TCE allocator's answers to an op script. */
#include <getopt.h>
#include <stdio.h>
#include <iommusim/iommusim.h>

#include "cli.h"
#include "commands.h"
#include "replay_cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: iommusim-bench tce-replay [FILE]\n"
		   "\n"
		   "Replay a powerpc TCE table op script (tests/data/golden/tce/README.md)\n"
		   "from FILE, or standard input without FILE or with '-', and print what the\n"
		   "Linux 6.12 allocator answers to each op. The whole script is checked first:\n"
		   "a bad line prints one error naming the line and field, exit status 2, no\n"
		   "output.\n");
}

/* The format has no options: @opts is NULL. */
static int replay(FILE *in, const char *name, const void *opts, FILE *out, char *errbuf,
		  size_t errlen)
{
	(void)opts;
	return iommusim_tce_replay(in, name, NULL, out, errbuf, errlen);
}

int cmd_tce_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_FLAG("help", 'h'),
		{NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		cli_bad_option("tce-replay", c, argv);
		return EXIT_BAD_INPUT;
	}
	return replay_cli_run("tce-replay", argc, argv, replay, NULL);
}
