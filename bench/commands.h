/* SPDX-License-Identifier: MIT */
/* The subcommands of iommusim-bench. Each returns the process exit status. */
#ifndef ISIM_BENCH_COMMANDS_H
#define ISIM_BENCH_COMMANDS_H

/* Exit status for bad input: a file, a config or the command line. */
#define EXIT_BAD_INPUT 2

int cmd_compare(int argc, char **argv);
int cmd_iova_replay(int argc, char **argv);
int cmd_tce_replay(int argc, char **argv);
int cmd_iova_bench(int argc, char **argv);
int cmd_dma_bench(int argc, char **argv);
int cmd_params(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_trace_import(int argc, char **argv);

#endif /* ISIM_BENCH_COMMANDS_H */
