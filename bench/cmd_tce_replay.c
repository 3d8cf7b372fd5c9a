/* SPDX-License-Identifier: MIT */
/* iommusim-bench tce-replay [FILE]: the powerpc TCE allocator's answers to an op script. */
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
		"usage: iommusim-bench tce-replay [FILE]\n"
		"\n"
		"Replay a powerpc TCE table op script (tests/data/golden/tce/README.md)\n"
		"from FILE, or standard input without FILE or with '-', and print what the\n"
		"Linux 6.12 allocator answers to each op. The whole script is checked first:\n"
		"a bad line prints one error naming the line and field, exit status 2, no\n"
		"output.\n");
}

/* The script as a stream; NULL after a one-line error (the caller exits with status 2). */
static FILE *open_script(const char *name)
{
	struct stat sb = { 0 };
	FILE *in = fopen(name, "r");

	if (!in) {
		fprintf(stderr, "tce-replay: %s: %s\n", name, strerror(errno));
		return NULL;
	}
	/* a directory opens, then fails to read: say what it is before trying */
	if (fstat(fileno(in), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "tce-replay: %s: is a directory, not an op script\n", name);
		fclose(in);
		return NULL;
	}
	/* nothing to replay is not an error, but worth a word */
	if (S_ISREG(sb.st_mode) && sb.st_size == 0)
		fprintf(stderr, "tce-replay: %s: empty: no ops to replay\n", name);
	return in;
}

int cmd_tce_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = "<stdin>";
	char errbuf[512];
	FILE *in = stdin;
	int c, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		fprintf(stderr, "tce-replay: unknown option '%s' (try --help)\n", argv[optind - 1]);
		return EXIT_BAD_INPUT;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "tce-replay: one script at a time ('%s' is extra)\n",
			argv[optind + 1]);
		return EXIT_BAD_INPUT;
	}
	if (optind < argc && strcmp(argv[optind], "-")) {
		name = argv[optind];
		in = open_script(name);
		if (!in)
			return EXIT_BAD_INPUT;
	}
	err = iommusim_tce_replay(in, name, NULL, stdout, errbuf, sizeof(errbuf));
	/* The answers could not be written: cli_exit() says so, as for every command. */
	if (err == -EIO && ferror(stdout))
		cli_stdout_failed(errno);
	if (in != stdin)
		fclose(in);
	if (err == -EIO && ferror(stdout))
		return 1;
	if (err) {
		fprintf(stderr, "tce-replay: %s\n", errbuf);
		return err == -EINVAL ? EXIT_BAD_INPUT : 1;
	}
	return 0;
}
