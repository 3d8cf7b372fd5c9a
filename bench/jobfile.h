/* SPDX-License-Identifier: MIT */
/*
 * Job files for compare and sweep: INI files in fio's style, read with inih. [global] holds
 * what every job shares, each other section is one job (a study); the keys are the long
 * options of the command (scenario, platform, policy, seconds or runtime, warmup, seed,
 * repeat, bs, iodepth, numjobs, rw, rwmixread, cpus, mem) and any cost parameter
 * (dma.fq_size=256, as --set). A job's words are its [global] keys, then its own, and they
 * come before the command line's, which adds to or overrides them. docs/jobs.md.
 */
#ifndef ISIM_BENCH_JOBFILE_H
#define ISIM_BENCH_JOBFILE_H

#include <stddef.h>

/* The words of one job, as the command line would give them, and where each came from. */
struct jobfile {
	char *path;   /* the file, as given */
	char **words; /* "--iodepth=8", "--set=dma.fq_size=256" */
	unsigned int *lines;
	size_t nwords;
	char *section; /* the job's section name */
};

/*
 * Read @path and take the job named @section (NULL: the file's only job section; [global]
 * alone when it has none). 0, or -1 after a one-line error "FILE:LINE: KEY: problem" (or
 * "CMD: --job: ..." for a file that cannot be read or a job that cannot be chosen).
 */
int jobfile_read(const char *cmd, const char *path, const char *section, struct jobfile *jf);

void jobfile_free(struct jobfile *jf);

/* The file's path, for messages. */
const char *jobfile_path(const struct jobfile *jf);

/*
 * The command line with the job file's words in front: argv[0], the job's words, then the
 * rest of argv less --job FILE and --section NAME. Returns 0 with *@out (free it, not its
 * words) and *@outc, 1 when argv has no --job, -1 after a one-line error.
 */
int jobfile_argv(const char *cmd, int argc, char **argv, struct jobfile *jf, char ***out,
		 int *outc);

#endif /* ISIM_BENCH_JOBFILE_H */
