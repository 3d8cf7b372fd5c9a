/* SPDX-License-Identifier: MIT */
/* iommusim-bench: one binary, one subcommand per job. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <iommusim/iommusim.h>

#include "cli.h"
#include "commands.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"compare", cmd_compare, "run a scenario on each platform under each DMA policy"},
	{"sweep", cmd_sweep, "run compare over a grid of values, with intervals over seeds"},
	{"merge", cmd_merge, "merge the cells of a sweep run elsewhere into its report"},
	{"dma-bench", cmd_dma_bench, "time map+unmap per DMA policy, like dma_map_benchmark"},
	{"iova-bench", cmd_iova_bench, "time the IOVA allocator's fast path, tree and replay"},
	{"plot", cmd_plot, "draw a sweep's or a time series' CSV with gnuplot (PNG, SVG)"},
	{"params", cmd_params, "print the cost table resolved for a profile and overrides"},
	{"iova-replay", cmd_iova_replay,
	 "replay an IOVA op script and print the allocator's answers"},
	{"tce-replay", cmd_tce_replay,
	 "replay a powerpc TCE op script and print the allocator's answers"},
	{"trace-import", cmd_trace_import,
	 "make a DMA trace of the kernel's dma trace events, for compare --trace"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: iommusim-bench COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'iommusim-bench COMMAND --help' describes a command's options.\n");
}

/*
 * A standard stream closed at start would be the next file opened: a report's temporary
 * file would then get the table. Hold each closed one with /dev/null opened the wrong way,
 * so that using it still fails, as it would closed. open() takes the lowest free descriptor.
 */
static void hold_closed_std_fds(void)
{
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			open("/dev/null", fd == STDIN_FILENO ? O_WRONLY : O_RDONLY);
}

/*
 * Standard output not on a terminal is written in 64 KiB blocks: a help text or a table then
 * reaches the file in the one write cli_exit() makes, which reports the real reason a write
 * failed (a full disk) instead of an automatic flush's bare error flag.
 */
static char stdout_buffer[64 * 1024];

int main(int argc, char **argv)
{
	hold_closed_std_fds();
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, stdout_buffer, _IOFBF, sizeof(stdout_buffer));
	if (argc < 2) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return cli_exit("iommusim-bench", 0);
	}
	if (!strcmp(argv[1], "--version")) {
		printf("iommusim-bench %s (%s)\n", iommusim_version(), iommusim_git_describe());
		return cli_exit("iommusim-bench", 0);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return cli_exit(commands[i].name, commands[i].run(argc - 1, argv + 1));
	fprintf(stderr, "iommusim-bench: unknown command '%s' (try --help)\n", argv[1]);
	return EXIT_BAD_INPUT;
}
