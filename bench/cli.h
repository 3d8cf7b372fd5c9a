/* SPDX-License-Identifier: MIT */
/* Command-line checks shared by the bench subcommands: same rules, same messages. */
#ifndef ISIM_BENCH_CLI_H
#define ISIM_BENCH_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "outfile.h"

/*
 * Rows of a getopt_long table: an option that takes a value, one that does not, and the rows
 * that end the table of a command writing a report (--csv, --json, --help, the end). Kept as
 * written: the formatter would spread each brace of these one-line macros over a line.
 */
/* clang-format off */
#define CLI_ARG(name, val) {name, required_argument, NULL, val}
#define CLI_FLAG(name, val) {name, no_argument, NULL, val}
#define CLI_REPORT_OPTS \
	CLI_ARG("csv", 'c'), CLI_ARG("json", 'j'), CLI_FLAG("help", 'h'), {NULL, 0, NULL, 0}
/* clang-format on */

/* A decimal number in [lo, hi] and nothing else; 0, or -1 (the caller names the option). */
int cli_parse_uint(const char *s, unsigned int lo, unsigned int hi, unsigned int *out);

/*
 * @s for an error message in @buf (@len bytes): control bytes written as \xHH, "..." when cut,
 * so that a value the user typed cannot split the message's one line. Returns @buf.
 */
const char *cli_shown(const char *s, char *buf, size_t len);

/*
 * The one-line error for what getopt_long (optstring starting with ':') returned for a
 * missing value (':') or an unknown option (anything else). Returns -1.
 */
int cli_bad_option(const char *cmd, int c, char **argv);

/*
 * What getopt_long returned (@c) that a report-writing command does not handle itself: --csv
 * into @csv, --json into @json, --help (@usage to standard output), or an error for anything
 * else. 0 to go on, 1 after --help, -1 after a one-line error.
 */
int cli_report_option(const char *cmd, int c, char **argv, struct outfile *csv,
		      struct outfile *json, void (*usage)(FILE *));

/*
 * After the options: no stray arguments, and the paths of --csv and --json (either may be
 * unset) writable and not one file (outfile_check()). 0, or -1 after a one-line error.
 */
int cli_check_rest(const char *cmd, int argc, char **argv, const struct outfile *csv,
		   const struct outfile *json);

/* The same for any @n output files (those without a path are skipped). */
int cli_check_files(const char *cmd, int argc, char **argv, const struct outfile *const *files,
		    size_t n);

/*
 * Flush standard output now, after a table or a report: a failure's reason is kept for
 * cli_exit(), since stdio forgets it once the buffer is dropped.
 */
void cli_stdout_flush(void);

/* Standard output lost data for the reason @err (an errno value), seen by the caller. */
void cli_stdout_failed(int err);

/*
 * The end of every command: flush and close standard output, and return the exit status,
 * @status, or 1 (when @status is 0) after "CMD: write error: standard output: REASON" if
 * anything written there was lost. A report nobody receives is a failure, not a success.
 */
int cli_exit(const char *cmd, int status);

#endif /* ISIM_BENCH_CLI_H */
