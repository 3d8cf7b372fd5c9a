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

const char *cli_shown(const char *s, char *buf, size_t len)
{
	size_t used = 0;

	for (; *s && used + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;

		/* a newline or an escape sequence in a value must not break the one-line error */
		if (c < 0x20 || c == 0x7f)
			used += (size_t)snprintf(buf + used, len - used, "\\x%02x", c);
		else
			buf[used++] = (char)c;
	}
	if (*s && used + 4 <= len) {
		memcpy(buf + used, "...", 3);
		used += 3;
	}
	buf[used] = '\0';
	return buf;
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	char shown[160], shortopt[3] = {'-', (char)optopt, '\0'};

	/*
	 * getopt names a short option by optopt; argv[optind - 1] is only right for a long one,
	 * or for a short one that ended its group ("-xh" stops on x with optind still on it).
	 */
	if (strncmp(arg, "--", 2) && optopt > 0x20 && optopt < 0x7f)
		arg = shortopt;
	if (c == ':')
		fprintf(stderr, "%s: option '%s' needs a value\n", cmd,
			cli_shown(arg, shown, sizeof(shown)));
	else
		fprintf(stderr, "%s: unknown option '%s' (try --help)\n", cmd,
			cli_shown(arg, shown, sizeof(shown)));
	return -1;
}

int cli_report_option(const char *cmd, int c, char **argv, struct outfile *csv,
		      struct outfile *json, void (*usage)(FILE *))
{
	switch (c) {
	case 'c':
		return outfile_set(csv, optarg) ? -1 : 0;
	case 'j':
		return outfile_set(json, optarg) ? -1 : 0;
	case 'h':
		usage(stdout);
		return 1;
	default:
		return cli_bad_option(cmd, c, argv);
	}
}

int cli_check_files(const char *cmd, int argc, char **argv, const struct outfile *const *files,
		    size_t n)
{
	if (optind < argc) {
		char shown[160];

		fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", cmd,
			cli_shown(argv[optind], shown, sizeof(shown)));
		return -1;
	}
	return outfile_check(files, n);
}

int cli_check_rest(const char *cmd, int argc, char **argv, const struct outfile *csv,
		   const struct outfile *json)
{
	const struct outfile *files[] = {csv, json};

	return cli_check_files(cmd, argc, argv, files, 2);
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
