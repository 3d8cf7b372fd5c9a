/* SPDX-License-Identifier: MIT */
/* What iommusim-bench compare prints for --help and --list. */
#include <stdio.h>

#include "compare.h"

void compare_usage(FILE *f)
{
	fprintf(f,
		"usage: iommusim-bench compare [--scenario NAME] [--platform P,...]\n"
		"                              [--policy P,...]\n"
		"                              [--set KEY=VALUE ...] [--seconds S] [--warmup S]\n"
		"                              [--seed N] [--repeat K] [--uncertainty N]\n"
		"                              [--uncertainty-all] [--sensitivity] [--jobs N]\n"
		"                              [--bs SIZE] [--iodepth N] [--numjobs N] [--rw P]\n"
		"                              [--rwmixread PCT] [--cpus N] [--mem SIZE]\n"
		"                              [--job FILE [--section NAME]]\n"
		"                              [--csv FILE] [--json FILE] [--list]\n"
		"                              [--interval-ms N --timeseries FILE\n"
		"                               [--timeseries-format csv|json]]\n"
		"                              [--trace FILE [--trace-timing M]] [--record FILE]\n"
		"                              [--workload W [--mlx5 K=V,...]]\n"
		"\n"
		"Simulate a scenario on each platform under each DMA policy and compare what\n"
		"the guest gets: IOPS, bandwidth, latency, RPCITs, vfio budget exhaustion and\n"
		"failures. Same arguments and seed: the same report, byte for byte.\n"
		"\n");
	fprintf(f,
		"  --scenario NAME    a built-in scenario (--list shows them); default 'default'\n"
		"  --platform P,...   lpar, zvm, kvm or a KVM generation (kvm-qemu7.1, 7.2:\n"
		"                     'params --profile'; kvm: the scenario's), powervm,\n"
		"                     kvm-ppc, powernv; default the scenario's\n"
		"  --policy P,...     s390: strict, fq-percpu, fq-single, legacy; powerpc:\n"
		"                     default-window, ddw, bypass, window-4g; default all a\n"
		"                     platform has\n"
		"  --set KEY=VALUE    override a cost parameter after the platform's profile and\n"
		"                     the scenario's settings; may be repeated (see 'params')\n"
		"  --seconds S        simulated time measured, e.g. 0.5; default the scenario's\n"
		"                     (--runtime S: the same)\n"
		"  --bs SIZE, --iodepth N, --numjobs N, --rw PATTERN, --rwmixread PCT,\n"
		"  --cpus N, --mem SIZE\n"
		"                     the workload in fio's words (one job per vCPU; --mem is\n"
		"                     the guest's memory, hence the DMA aperture); default the\n"
		"                     scenario's\n"
		"  --job FILE         read options from an INI job file (docs/jobs.md); the\n"
		"                     command line adds to them; --section NAME picks a job\n"
		"  --warmup S         simulated time run before measuring; default the scenario's\n"
		"  --seed N           seed of every random stream; default 1\n"
		"  --repeat K         run each cell with seeds N .. N+K-1 and add the mean IOPS\n"
		"                     and ratio with 95 %% intervals; 1 to 1000, default 1\n"
		"  --uncertainty N    also run N Latin hypercube draws of the estimated costs\n"
		"                     per platform (fitted ones held) and add 5th/50th/95th\n"
		"                     percentiles; 2 to 10000\n"
		"  --uncertainty-all  with --uncertainty, draw the fitted parameters too\n"
		"  --sensitivity      for one --platform and one --policy against legacy: each\n"
		"                     estimated parameter at its minimum, then its maximum,\n"
		"                     largest effect on the ratio first\n"
		"  --jobs N           simulations run at once, 1 to 256; default the CPUs online\n"
		"                     (the report is the same for every N)\n"
		"  --csv FILE         also write the rows as CSV\n"
		"  --json FILE        also write them as JSON: {\"meta\": {...}, \"rows\": [...]}\n"
		"                     (FILE '-': standard output, after the table; an existing\n"
		"                     file is replaced only once its report is complete)\n"
		"  --interval-ms N    with --timeseries FILE: also write each cell's time\n"
		"                     series, one row per N ms of simulated time (warm-up\n"
		"                     included), as CSV, or JSON for a FILE ending in .json or\n"
		"                     with --timeseries-format json\n"
		"  --trace FILE       replay a DMA trace (docs/traces.md) to its end\n"
		"  --trace-timing M   recorded (default) or closed\n"
		"  --record FILE      also write the first row's run as a trace\n"
		"  --workload W       nvme or mlx5 (--mlx5 K=V,...: docs/workloads.md)\n"
		"  --list             list the scenarios and exit\n"
		"\n"
		"Progress and wall-clock times go to standard error. docs/compare.md has the\n"
		"columns and their units.\n");
}

void compare_list_scenarios(void)
{
	char workload[64], measure[32], warmup[32];

	for (size_t i = 0; i < iommusim_scenario_count(); i++) {
		const struct iommusim_scenario *sc = iommusim_scenario_get(i);

		compare_scenario_workload_name(sc, workload, sizeof(workload));
		compare_seconds(measure, sizeof(measure), sc->measure_ns);
		compare_seconds(warmup, sizeof(warmup), sc->warmup_ns);
		printf("%-18s %s\n", sc->name, sc->summary);
		printf("%-18s platforms %s; %s; %u CPUs, %llu MiB; %s s after %s s warm-up", "",
		       sc->platforms, workload, sc->cpus,
		       (unsigned long long)(sc->guest_memory >> 20), measure, warmup);
		for (size_t j = 0; j < sc->nsettings; j++)
			printf("%s%s", j ? ", " : "; ", sc->settings[j]);
		putchar('\n');
	}
}
