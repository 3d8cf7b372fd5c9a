/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench merge DIR...: the report of a sweep whose cells ran elsewhere (sweep
 * --emit-jobs DIR). The sweep is rebuilt from DIR/sweep.args exactly as sweep builds it, every
 * cell's exact results are read from the first DIR/cells/K.csv found, and the report is
 * written by the code that writes a local sweep's: the same bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "sweep.h"

#define CMD	 "merge"
#define MAX_ARGS 4096

static void usage(FILE *f)
{
	fprintf(f,
		"usage: iommusim-bench merge [--csv FILE] [--json FILE] DIR...\n"
		"\n"
		"Print the report of a sweep cut into cells with 'sweep --emit-jobs DIR', from\n"
		"the cells' results in DIR/cells (each cell taken from the first DIR that has\n"
		"it): the same table, CSV and JSON as the sweep run at once. docs/cluster.md.\n");
}

/* DIR/sweep.args: one word a line. Returns the count, or -1 after a one-line error. */
static int read_args(const char *dir, char **words, char *buf, size_t len)
{
	char path[PATH_MAX + 16];
	size_t used = 0;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/sweep.args", dir);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr,
			CMD ": cannot read '%s': %s (not a directory of sweep --emit-jobs?)\n",
			path, strerror(errno));
		return -1;
	}
	while (n < MAX_ARGS && used + 1 < len && fgets(buf + used, (int)(len - used), f)) {
		size_t l = strlen(buf + used);

		if (!l || buf[used + l - 1] != '\n')
			break;
		buf[used + l - 1] = '\0';
		words[n++] = buf + used;
		used += l;
	}
	fclose(f);
	if (!n || strcmp(words[0], "sweep")) {
		fprintf(stderr, CMD ": %s:1: not a sweep's arguments\n", path);
		return -1;
	}
	return n;
}

static int merge_cells(struct sweep *sw, struct compare_matrix *m, char **dirs, int ndirs)
{
	char path[PATH_MAX + 32], errbuf[PATH_MAX + 128];

	for (size_t c = 0; c < sweep_ncells(sw); c++) {
		FILE *f = NULL;
		size_t got;

		for (int d = 0; d < ndirs && !f; d++) {
			snprintf(path, sizeof(path), "%s/cells/%zu.csv", dirs[d], c);
			f = fopen(path, "r");
		}
		if (!f) {
			fprintf(stderr,
				CMD ": cell %zu: no %s/cells/%zu.csv: run line %zu of jobs.txt\n",
				c, dirs[0], c, c + 1);
			return EXIT_BAD_INPUT;
		}
		if (sweep_cell_read(sw, m, path, f, &got, errbuf, sizeof(errbuf)) || got != c) {
			fclose(f);
			fprintf(stderr, CMD ": %s\n", errbuf);
			return EXIT_BAD_INPUT;
		}
		fclose(f);
	}
	return 0;
}

int cmd_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_REPORT_OPTS,
	};
	struct outfile csv = {.cmd = CMD, .opt = "--csv"};
	struct outfile json = {.cmd = CMD, .opt = "--json"};
	struct outfile none_csv = {.cmd = CMD, .opt = "--csv"};
	struct outfile none_json = {.cmd = CMD, .opt = "--json"};
	const struct outfile *check[] = {&csv, &json};
	struct outfile *files[] = {&csv, &json};
	static char buf[1 << 20];
	char *words[MAX_ARGS];
	struct sweep sw = {0};
	struct sweep_args a = {0};
	struct iommusim_mem *mem = NULL;
	struct compare_matrix *m = NULL;
	int c, n, ret, first;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'c' && outfile_set(&csv, optarg))
			return EXIT_BAD_INPUT;
		if (c == 'j' && outfile_set(&json, optarg))
			return EXIT_BAD_INPUT;
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c != 'c' && c != 'j')
			return cli_bad_option(CMD, c, argv), EXIT_BAD_INPUT;
	}
	first = optind;
	if (first >= argc) {
		fprintf(stderr, CMD ": no DIR given (try --help)\n");
		return EXIT_BAD_INPUT;
	}
	if (outfile_check(check, 2))
		return EXIT_BAD_INPUT;
	n = read_args(argv[first], words, buf, sizeof(buf));
	if (n < 0)
		return EXIT_BAD_INPUT;
	optind = 0; /* the sweep's own words are parsed afresh */
	ret = sweep_setup(n, words, &sw, &a, &none_csv, &none_json, NULL, &mem);
	if (ret) {
		ret = ret < 0 ? EXIT_BAD_INPUT : ret;
		goto out;
	}
	m = sweep_matrices(&sw);
	if (!m) {
		fprintf(stderr, CMD ": out of memory\n");
		ret = 1;
		goto out;
	}
	ret = merge_cells(&sw, m, argv + first, argc - first);
	if (ret)
		goto out;
	if (outfile_open(files, 2)) {
		ret = EXIT_BAD_INPUT;
		goto out;
	}
	ret = sweep_report(&sw, m, &csv, &json);
out:
	outfile_abandon(&csv);
	outfile_abandon(&json);
	sweep_matrices_free(&sw, m);
	sweep_teardown(&sw, mem);
	return ret;
}
