/* SPDX-License-Identifier: MIT */
/* Command-line checks shared by the bench subcommands: same rules, same messages. */
#ifndef ISIM_BENCH_CLI_H
#define ISIM_BENCH_CLI_H

#include "outfile.h"

/* A decimal number in [lo, hi] and nothing else; 0, or -1 (the caller names the option). */
int cli_parse_uint(const char *s, unsigned int lo, unsigned int hi, unsigned int *out);

/*
 * The one-line error for what getopt_long (optstring starting with ':') returned for a
 * missing value (':') or an unknown option (anything else). Returns -1.
 */
int cli_bad_option(const char *cmd, int c, char **argv);

/*
 * After the options: no stray arguments, and --csv and --json (either may be unset) not the
 * same file. 0, or -1 after a one-line error.
 */
int cli_check_rest(const char *cmd, int argc, char **argv, const struct outfile *csv,
		   const struct outfile *json);

#endif /* ISIM_BENCH_CLI_H */
