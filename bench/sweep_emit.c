/* SPDX-License-Identifier: MIT */
/*
 * A sweep cut into cells for engines that run commands elsewhere: --emit-jobs DIR writes
 * DIR/jobs.txt, one self-contained shell command per cell (GNU parallel, xargs, a batch
 * system), and DIR/sweep.args, the words that define the sweep, which merge reads back;
 * --emit-slurm DIR adds DIR/sweep.sbatch, a Slurm job array of one cell per task. Every
 * command carries the sweep's own seed and repeats, so a cell run anywhere gives the runs a
 * local sweep would, and names its output DIR/cells/K.csv.
 */
/* realpath() is XSI; the build asks for plain POSIX 2008. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "sweep.h"

#define CMD "sweep"

/* @s as one shell word: single-quoted, a quote as '\''. */
static void shell_word(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

static int make_dir(const char *path)
{
	struct stat sb;

	if (!mkdir(path, 0777) || (errno == EEXIST && !stat(path, &sb) && S_ISDIR(sb.st_mode)))
		return 0;
	fprintf(stderr, CMD ": cannot create the directory '%s': %s\n", path,
		errno == EEXIST ? "not a directory" : strerror(errno));
	return -1;
}

/* Write @name in @dir through the report-file rules (temporary file, then rename). */
static FILE *open_in(struct outfile *of, const char *dir, const char *name, char *path, size_t len)
{
	struct outfile *files[] = {of};

	snprintf(path, len, "%s/%s", dir, name);
	of->path = path;
	if (outfile_open(files, 1))
		return NULL;
	return outfile_stream(of);
}

static void write_command(FILE *f, const struct sweep *sw, const char *bin, const char *dir,
			  size_t cell)
{
	char out[PATH_MAX + 32];

	shell_word(f, bin);
	fputs(" sweep", f);
	for (int i = 1; i < sw->base.nargs; i++) {
		if (compare_quiet_arg(&sw->base, sw->base.args[i]))
			continue;
		fputc(' ', f);
		shell_word(f, sw->base.args[i]);
	}
	snprintf(out, sizeof(out), "%s/cells/%zu.csv", dir, cell);
	fprintf(f, " --jobs 1 --cell %zu --cell-out ", cell);
	shell_word(f, out);
	fputc('\n', f);
}

static int write_slurm(const struct sweep *sw, const struct sweep_args *a, const char *dir)
{
	struct outfile of = {.cmd = CMD, .opt = "--emit-slurm"};
	char path[PATH_MAX + 32], logs[PATH_MAX + 32];
	size_t n = sweep_ncells(sw);
	FILE *f;

	snprintf(logs, sizeof(logs), "%s/logs", dir);
	if (make_dir(logs))
		return EXIT_BAD_INPUT;
	f = open_in(&of, dir, "sweep.sbatch", path, sizeof(path));
	if (!f)
		return EXIT_BAD_INPUT;
	fprintf(f, "#!/bin/sh\n# A Slurm job array: task K runs line K + 1 of jobs.txt, cell K "
		   "of the sweep.\n#SBATCH --job-name=iommusim-sweep\n");
	fprintf(f, "#SBATCH --array=0-%zu", n - 1);
	if (a->slurm_max)
		fprintf(f, "%%%u", a->slurm_max);
	fprintf(f, "\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n#SBATCH --output=");
	fprintf(f, "%s/%%a.out\n", logs);
	fputs("line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" ", f);
	snprintf(path, sizeof(path), "%s/jobs.txt", dir);
	shell_word(f, path);
	fputs(")\nexec sh -c \"$line\"\n", f);
	if (outfile_commit(&of))
		return 1;
	outfile_abandon(&of);
	chmod(of.path, 0755);
	return 0;
}

int sweep_emit(struct sweep *sw, const struct sweep_args *a)
{
	const char *given = a->emit_jobs ? a->emit_jobs : a->emit_slurm;
	struct outfile jobs = {.cmd = CMD, .opt = "--emit-jobs"};
	struct outfile args = {.cmd = CMD, .opt = "--emit-jobs"};
	char dir[PATH_MAX], bin[PATH_MAX], path[PATH_MAX + 32], cells[PATH_MAX + 32];
	FILE *f;
	int ret = EXIT_BAD_INPUT;

	if (a->emit_jobs && a->emit_slurm && strcmp(a->emit_jobs, a->emit_slurm)) {
		fprintf(stderr, CMD ": --emit-slurm: give the same DIR as --emit-jobs\n");
		return EXIT_BAD_INPUT;
	}
	if (a->cell >= 0) {
		fprintf(stderr, CMD ": --cell: not with --emit-jobs or --emit-slurm\n");
		return EXIT_BAD_INPUT;
	}
	for (int i = 1; i < sw->base.nargs; i++) {
		if (strchr(sw->base.args[i], '\n')) {
			fprintf(stderr, CMD ": --emit-jobs: an argument holds a line break\n");
			return EXIT_BAD_INPUT;
		}
	}
	if (make_dir(given) || !realpath(given, dir) || !realpath("/proc/self/exe", bin)) {
		fprintf(stderr, CMD ": cannot resolve '%s': %s\n", given, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	snprintf(cells, sizeof(cells), "%s/cells", dir);
	if (make_dir(cells))
		return EXIT_BAD_INPUT;
	/* The words that define the sweep, one a line, for merge. */
	f = open_in(&args, dir, "sweep.args", path, sizeof(path));
	if (!f)
		goto out;
	for (int i = 0; i < sw->base.nargs; i++)
		if (!compare_quiet_arg(&sw->base, sw->base.args[i]))
			fprintf(f, "%s\n", sw->base.args[i]);
	if (outfile_commit(&args)) {
		ret = 1;
		goto out;
	}
	f = open_in(&jobs, dir, "jobs.txt", path, sizeof(path));
	if (!f)
		goto out;
	for (size_t c = 0; c < sweep_ncells(sw); c++)
		write_command(f, sw, bin, dir, c);
	if (outfile_commit(&jobs)) {
		ret = 1;
		goto out;
	}
	ret = a->emit_slurm ? write_slurm(sw, a, dir) : 0;
	if (!ret)
		printf("%zu cells (%zu runs each) in %s/jobs.txt%s; run them, then: iommusim-bench "
		       "merge %s\n",
		       sweep_ncells(sw), sw->base.npolicies * sw->base.repeat, dir,
		       a->emit_slurm ? " and the job array sweep.sbatch" : "", dir);
out:
	outfile_abandon(&args);
	outfile_abandon(&jobs);
	return ret;
}
