/* SPDX-License-Identifier: MIT */
/* The script file of a replay command, and how its replay ends: same rules, same messages. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "replay_cli.h"

/* The script as a stream; NULL after a one-line error (the caller exits with status 2). */
static FILE *open_script(const char *cmd, const char *name)
{
	struct stat sb = {0};
	FILE *in = fopen(name, "r");

	if (!in) {
		fprintf(stderr, "%s: %s: %s\n", cmd, name, strerror(errno));
		return NULL;
	}
	/* a directory opens, then fails to read: say what it is before trying */
	if (fstat(fileno(in), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "%s: %s: is a directory, not an op script\n", cmd, name);
		fclose(in);
		return NULL;
	}
	/* nothing to replay is not an error, but worth a word */
	if (S_ISREG(sb.st_mode) && sb.st_size == 0)
		fprintf(stderr, "%s: %s: empty: no ops to replay\n", cmd, name);
	return in;
}

int replay_cli_run(const char *cmd, int argc, char **argv, replay_fn replay, const void *opts)
{
	const char *name = "<stdin>";
	char errbuf[512];
	FILE *in = stdin;
	int err;

	if (argc - optind > 1) {
		fprintf(stderr, "%s: one script at a time ('%s' is extra)\n", cmd,
			argv[optind + 1]);
		return EXIT_BAD_INPUT;
	}
	if (optind < argc && strcmp(argv[optind], "-")) {
		name = argv[optind];
		in = open_script(cmd, name);
		if (!in)
			return EXIT_BAD_INPUT;
	}
	err = replay(in, name, opts, stdout, errbuf, sizeof(errbuf));
	/* The answers could not be written: cli_exit() says so, as for every command. */
	if (err == -EIO && ferror(stdout))
		cli_stdout_failed(errno);
	if (in != stdin)
		fclose(in);
	if (err == -EIO && ferror(stdout))
		return 1;
	if (err) {
		fprintf(stderr, "%s: %s\n", cmd, errbuf);
		return err == -EINVAL ? EXIT_BAD_INPUT : 1;
	}
	return 0;
}
