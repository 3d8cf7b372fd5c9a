/* SPDX-License-Identifier: MIT */
/* What the replay commands (iova-replay, tce-replay) do alike once their options are read. */
#ifndef ISIM_BENCH_REPLAY_CLI_H
#define ISIM_BENCH_REPLAY_CLI_H

#include <stddef.h>
#include <stdio.h>

/* A library replay, iommusim_iova_replay() or iommusim_tce_replay(), with its own options. */
typedef int (*replay_fn)(FILE *in, const char *name, const void *opts, FILE *out, char *errbuf,
			 size_t errlen);

/*
 * Replay the script named by what is left of @argv after getopt (FILE; standard input without
 * it or with '-') with @replay and @opts, its answers on standard output. Every problem is one
 * line "CMD: ..." on standard error: a second FILE, one that cannot be opened or is a
 * directory, a bad script (exit status EXIT_BAD_INPUT), a read, write or memory failure (1).
 * An empty FILE replays to nothing, with a word on standard error. Returns the exit status.
 */
int replay_cli_run(const char *cmd, int argc, char **argv, replay_fn replay, const void *opts);

#endif /* ISIM_BENCH_REPLAY_CLI_H */
