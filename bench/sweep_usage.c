/* SPDX-License-Identifier: MIT */
/* What iommusim-bench sweep prints for --help. */
#include <stdio.h>

#include "compare.h"

void sweep_usage(FILE *f)
{
	fprintf(f,
		"usage: iommusim-bench sweep [compare's options, any value a list or a range]\n"
		"                            [--repeat K] [--jobs N] [--csv FILE] [--json FILE]\n"
		"                            [--emit-jobs DIR | --emit-slurm DIR [--slurm-max M]]\n"
		"                            [--interval-ms N --timeseries FILE]\n"
		"\n"
		"Run compare at every point of a grid: each option value that is a list\n"
		"(--iodepth 1,8,32, --set dma.fq_size=256,1024) or a range (A..B, A..B+STEP,\n"
		"A..B*FACTOR) is an axis, the grid their product, crossed with the platforms,\n"
		"the policies and the --repeat seeds. One row per point, platform and policy,\n"
		"the swept keys first, then compare's columns (docs/sweep.md). The same\n"
		"arguments give the same report, byte for byte, for any --jobs.\n"
		"\n"
		"  --bs SIZE          bytes per I/O (4k..2m); --iodepth N, --numjobs N (one job\n"
		"  --rw PATTERN       per vCPU), --rw read|write|randread|randwrite|rw|randrw,\n"
		"  --rwmixread PCT    --rwmixread PCT, --cpus N, --mem SIZE (guest memory: the\n"
		"                     DMA aperture); default the scenario's\n"
		"  --runtime S        the same as --seconds\n"
		"  --emit-jobs DIR    run nothing: write DIR/jobs.txt, one command per cell (a\n"
		"                     point on a platform), for GNU parallel or any batch system;\n"
		"                     then 'iommusim-bench merge DIR' prints the report\n"
		"  --emit-slurm DIR   the same, and DIR/sweep.sbatch, a Slurm job array of one\n"
		"                     cell per task (--slurm-max M: at most M at once)\n"
		"  --interval-ms N --timeseries FILE\n"
		"                     each cell's time series, every point's (not with\n"
		"                     --emit-jobs, --emit-slurm or --cell)\n"
		"  --cell K --cell-out FILE\n"
		"                     run cell K alone and write its exact results (what the\n"
		"                     lines of jobs.txt do)\n"
		"\n"
		"compare --help describes the other options. docs/sweep.md, docs/cluster.md.\n");
}
