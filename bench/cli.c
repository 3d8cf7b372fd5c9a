/* SPDX-License-Identifier: MIT */
/* Command-line checks shared by the bench subcommands. */
#include <errno.h>
#include <getopt.h>
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
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", cmd, argv[optind]);
		return -1;
	}
	if (csv->path && json->path && !strcmp(csv->path, json->path)) {
		fprintf(stderr, "%s: --csv and --json name the same file '%s'\n", cmd, csv->path);
		return -1;
	}
	return 0;
}
