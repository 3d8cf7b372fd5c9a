/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench sweep: compare over a grid. Every option compare takes a value of (--set
 * KEY=V, --bs, --iodepth, ...) may hold a list ("256,1024") or a range ("1..64*2"); the grid
 * is their product, each point a compare run of its own (sweep_grid.c), all points' runs on
 * one pool of threads (cmd_sweep.c). A sweep can also be cut into cells, one point on one
 * platform each, to run elsewhere (--emit-jobs, --emit-slurm: sweep_emit.c) and be merged
 * back into the same report (cmd_merge.c). docs/sweep.md describes all of it.
 */
#ifndef ISIM_BENCH_SWEEP_H
#define ISIM_BENCH_SWEEP_H

#include <stddef.h>

#include "compare.h"
#include "jobfile.h"

/* Most values one key may take, and most runs one sweep may hold. */
#define SWEEP_MAX_VALUES 10000
#define SWEEP_MAX_RUNS	 10000000

/* One swept key: its name (the column's) and its values, in the order given. */
struct sweep_axis {
	const char *key;
	bool set;     /* a --set KEY (else a workload option) */
	size_t index; /* --set: its index in o->sets; else the workload option's */
	char **values;
	size_t nvalues;
};

/* The grid: the axes, and one compare_opts per point, each with its own sets and workload. */
struct sweep {
	struct compare_opts base; /* as parsed; lists still in it */
	char **args;		  /* the command line as typed, which base.args points to */
	struct jobfile jf;	  /* --job FILE */
	char **jargv;		  /* the job file's words, then the command line's */
	struct sweep_axis *axes;
	size_t naxes;
	const char **lead; /* the axes' keys, for the report */
	size_t npoints;
	struct compare_opts *points;
	struct iommusim_cost **costs; /* [point * nplatforms + platform], resolved */
};

/*
 * Expand the lists and ranges of @sw->base into axes and points (the first axis varies
 * slowest), resolve every point's costs on every platform and check its workload, all before
 * anything runs. 0, or -1 after a one-line error "sweep: --OPTION: problem".
 */
int sweep_grid(struct sweep *sw, struct iommusim_mem *mem);

void sweep_free(struct sweep *sw);

/* The cells of a sweep: point p on platform k is cell p * nplatforms + k. */
size_t sweep_ncells(const struct sweep *sw);

/*
 * Parse argv (argv[0] "sweep") into @sw and @a and build its grid; @ts is --timeseries's file
 * (NULL where the option is not taken). 0; -1 when --help or --list printed what was asked;
 * else the exit status after a one-line error.
 */
int sweep_setup(int argc, char **argv, struct sweep *sw, struct sweep_args *a, struct outfile *csv,
		struct outfile *json, struct outfile *ts, struct iommusim_mem **mem);
void sweep_teardown(struct sweep *sw, struct iommusim_mem *mem);

/* One matrix per point, rows named; NULL when out of memory. */
struct compare_matrix *sweep_matrices(struct sweep *sw);
void sweep_matrices_free(const struct sweep *sw, struct compare_matrix *m);

/* Run @g of the whole sweep (numbered as cmd_sweep.c says) finished with @st: into @m. */
void sweep_store(struct sweep *sw, struct compare_matrix *m, size_t g,
		 const struct iommusim_sim_stats *st);

/* The study of every point and the report, to stdout, @csv and @json; the exit status. */
int sweep_report(struct sweep *sw, struct compare_matrix *m, struct outfile *csv,
		 struct outfile *json);

/* --emit-jobs, --emit-slurm: write the cells' commands; the exit status. */
int sweep_emit(struct sweep *sw, const struct sweep_args *a);

/* The sweep's fingerprint: 16 hex digits over its defining words and iommusim's version. */
void sweep_fingerprint(const struct sweep *sw, char *buf, size_t len);

/* Cell @cell's @nruns runs, exact, as CSV to @f (sweep_cell.c); 0 or an errno value. */
int sweep_cell_report(const struct sweep *sw, size_t cell, const struct iommusim_sim_stats *st,
		      size_t nruns, FILE *f);

/*
 * Read a cell file written by sweep_cell_report() into @m, checking that it is a complete
 * cell of this sweep; 0 with *@cell set, or -1 with "FILE:LINE: problem" in @errbuf.
 */
int sweep_cell_read(struct sweep *sw, struct compare_matrix *m, const char *path, FILE *f,
		    size_t *cell, char *errbuf, size_t errlen);

#endif /* ISIM_BENCH_SWEEP_H */
