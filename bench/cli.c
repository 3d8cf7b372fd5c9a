/* SPDX-License-Identifier: MIT */
/* Command-line checks shared by the bench subcommands, and the end of every command. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_parse_uint(const char *s, unsigned int lo, unsigned int hi, unsigned int *out)
{
	char *end;
	unsigned long v;

	/* strtoul would take a sign or leading blanks; a count is digits only. */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
	if (c == ':')
		fprintf(stderr, "%s: option '%s' needs a value\n", cmd, argv[optind - 1]);
	else
		fprintf(stderr, "%s: unknown option '%s' (try --help)\n", cmd, argv[optind - 1]);
	return -1;
}

int cli_check_rest(const char *cmd, int argc, char **argv, const struct outfile *csv,
		   const struct outfile *json)
{
	const struct outfile *files[] = { csv, json };

	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", cmd, argv[optind]);
		return -1;
	}
	return outfile_check(files, 2);
}

/* The first reason standard output lost data; 0 while it has lost none. */
static int stdout_errno;

void cli_stdout_failed(int err)
{
	if (!stdout_errno)
		stdout_errno = err ? err : EIO;
}

void cli_stdout_flush(void)
{
	if (fflush(stdout))
		cli_stdout_failed(errno);
}

int cli_exit(const char *cmd, int status)
{
	bool lost = ferror(stdout);

	cli_stdout_flush();
	if (fclose(stdout))
		cli_stdout_failed(errno);
	/* An error flag without a reason: the data went in an automatic flush. */
	if (lost)
		cli_stdout_failed(EIO);
	if (!stdout_errno)
		return status;
	fprintf(stderr, "%s: write error: standard output: %s\n", cmd, strerror(stdout_errno));
	return status ? status : 1;
}
