/* SPDX-License-Identifier: MIT */
/* iommusim-bench iova-replay [--depot=list|array] [FILE] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <iommusim/iommusim.h>

#include "cli.h"
#include "commands.h"

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

int cmd_iova_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "depot", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct iommusim_iova_replay_opts opts = { .depot = IOMMUSIM_IOVA_DEPOT_LIST };
	const char *name = "<stdin>";
	struct stat sb = { 0 };
	char errbuf[512];
	FILE *in = stdin;
	int c, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!strcmp(optarg, "list")) {
				opts.depot = IOMMUSIM_IOVA_DEPOT_LIST;
			} else if (!strcmp(optarg, "array")) {
				opts.depot = IOMMUSIM_IOVA_DEPOT_ARRAY;
			} else {
				fprintf(stderr, "iova-replay: --depot: '%s' is neither 'list' nor 'array'\n",
					optarg);
				return EXIT_BAD_INPUT;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "iova-replay: unknown option '%s' (try --help)\n",
				argv[optind - 1]);
			return EXIT_BAD_INPUT;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "iova-replay: one script at a time ('%s' is extra)\n",
			argv[optind + 1]);
		return EXIT_BAD_INPUT;
	}
	if (optind < argc && strcmp(argv[optind], "-")) {
		name = argv[optind];
		in = fopen(name, "r");
		if (!in) {
			fprintf(stderr, "iova-replay: %s: %s\n", name, strerror(errno));
			return EXIT_BAD_INPUT;
		}
		/* a directory opens, then fails to read: say what it is before trying */
		if (fstat(fileno(in), &sb) == 0 && S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "iova-replay: %s: is a directory, not an op script\n", name);
			fclose(in);
			return EXIT_BAD_INPUT;
		}
		/* nothing to replay is not an error, but worth a word */
		if (S_ISREG(sb.st_mode) && sb.st_size == 0)
			fprintf(stderr, "iova-replay: %s: empty: no ops to replay\n", name);
	}
	err = iommusim_iova_replay(in, name, &opts, stdout, errbuf, sizeof(errbuf));
	/* The answers could not be written: cli_exit() says so, as for every command. */
	if (err == -EIO && ferror(stdout))
		cli_stdout_failed(errno);
	if (in != stdin)
		fclose(in);
	if (err == -EIO && ferror(stdout))
		return 1;
	if (err) {
		fprintf(stderr, "iova-replay: %s\n", errbuf);
		return err == -EINVAL ? EXIT_BAD_INPUT : 1;
	}
	return 0;
}
