/* SPDX-License-Identifier: MIT */
/*
 * The table iommusim-bench compare prints on stdout: header lines naming what ran, one row per
 * platform and policy with fewer digits than the files, and with --repeat or --uncertainty
 * the means and bands of the study. These are the report's table-only columns and notes;
 * compare_output.c adds the columns of the files and the meta.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"

enum tcol {
	T_PLATFORM,
	T_POLICY,
	T_WINDOW,
	T_FQ,
	T_IOPS,
	T_IOPS_MEAN,
	T_MBPS,
	T_MEAN,
	T_P99,
	T_RPCIT_MAP,
	T_RPCIT_UNMAP,
	T_RPCIT_GLOBAL,
	T_HCALLS,
	T_BUDGET,
	T_MAP_FAIL,
	T_IO_ERR,
	T_SERVER,
	T_CPU,
	T_DEVICE,
	T_RATIO,
	T_RATIO_MEAN,
	T_FLIPS,
	NR_TCOLS
};

_Static_assert(NR_TCOLS == COMPARE_TABLE_COLS, "compare.h counts the table's columns");

/* Names left-aligned; numbers, and the text holding them, right-aligned; "-" when missing. */
/* clang-format off */
#define NAME(n) { n, IOMMUSIM_REPORT_STRING, IOMMUSIM_REPORT_TABLE, 0, 0, 0, NULL, NULL, NULL }
#define TEXT(n)                                                                            \
	{ n, IOMMUSIM_REPORT_STRING, IOMMUSIM_REPORT_TABLE,                                \
	  IOMMUSIM_REPORT_RIGHT | IOMMUSIM_REPORT_NULLABLE, 0, 0, NULL, NULL, NULL }
#define COUNT(n) { n, IOMMUSIM_REPORT_UINT, IOMMUSIM_REPORT_TABLE, IOMMUSIM_REPORT_RIGHT, 0, 0, NULL, NULL, NULL }
#define REAL(n, d)                                                                         \
	{ n, IOMMUSIM_REPORT_REAL, IOMMUSIM_REPORT_TABLE,                                  \
	  IOMMUSIM_REPORT_RIGHT | IOMMUSIM_REPORT_NULLABLE, d, 0, NULL, NULL, NULL }
/* clang-format on */

/*
 * In the order of enum tcol, with the CSV's and JSON's names (compare_output.c), so that a
 * column reads the same everywhere. The screen shows fewer digits than the files; the same
 * rounding rule (printf's).
 */
static const struct iommusim_report_column tcols[NR_TCOLS] = {
	NAME("platform"),
	NAME("policy"),
	NAME("window"),
	TEXT("fq"),
	TEXT("iops"),
	TEXT("iops_mean"),
	REAL("mbps", 1),
	REAL("lat_mean_us", 1),
	REAL("lat_p99_us", 1),
	REAL("rpcit_map_per_s", 1),
	REAL("rpcit_unmap_per_s", 1),
	REAL("rpcit_global_per_s", 1),
	TEXT("hcalls_per_io"),
	COUNT("budget_exhausted"),
	COUNT("map_failures"),
	COUNT("io_errors"),
	REAL("server_util", 3),
	REAL("cpu_util", 3),
	REAL("device_util", 3),
	TEXT("ratio_to_legacy"),
	TEXT("ratio_mean"),
	TEXT("rank_flips"),
};

void compare_table_columns(const struct compare_opts *o, struct iommusim_report_column *cols)
{
	memcpy(cols, tcols, sizeof(tcols));
	/* The means need several seeds, the flips draws; the other columns are always there. */
	if (o->repeat == 1)
		cols[T_IOPS_MEAN].outputs = cols[T_RATIO_MEAN].outputs = IOMMUSIM_REPORT_NOWHERE;
	if (!o->draws)
		cols[T_FLIPS].outputs = IOMMUSIM_REPORT_NOWHERE;
	/* Each architecture's own figures, when one of its platforms runs. */
	if (!compare_has_arch(o, IOMMUSIM_ARCH_POWERPC))
		cols[T_WINDOW].outputs = cols[T_HCALLS].outputs = IOMMUSIM_REPORT_NOWHERE;
	if (!compare_has_arch(o, IOMMUSIM_ARCH_S390)) {
		cols[T_FQ].outputs = cols[T_RATIO].outputs = IOMMUSIM_REPORT_NOWHERE;
		cols[T_RATIO_MEAN].outputs = IOMMUSIM_REPORT_NOWHERE;
		for (size_t i = T_RPCIT_MAP; i <= T_RPCIT_GLOBAL; i++)
			cols[i].outputs = IOMMUSIM_REPORT_NOWHERE;
	}
}

/* @v in @fmt, or a missing value when it is not a number. */
static void tput(struct iommusim_report *rep, size_t i, const char *fmt, double v)
{
	if (isfinite(v))
		iommusim_report_set_strf(rep, i, fmt, v);
	else
		iommusim_report_set_null(rep, i);
}

/* "0.805 [0.781-0.822]": the point, then the 5th-95th percentile band when there is one. */
static void tput_band(struct iommusim_report *rep, size_t i, const char *fmt, double point,
		      const double *p)
{
	char f[32];

	if (!isfinite(point) || !isfinite(p[0]) || !isfinite(p[2])) {
		tput(rep, i, fmt, point);
		return;
	}
	snprintf(f, sizeof(f), "%s [%s-%s]", fmt, fmt, fmt);
	iommusim_report_set_strf(rep, i, f, point, p[0], p[2]);
}

/* "964700 +-1200": the mean over seeds and half its 95 % interval. */
static void tput_mean(struct iommusim_report *rep, size_t i, const char *fmt, double mean,
		      double ci)
{
	char f[32];

	if (!isfinite(mean) || !isfinite(ci)) {
		tput(rep, i, fmt, mean);
		return;
	}
	snprintf(f, sizeof(f), "%s +-%s", fmt, fmt);
	iommusim_report_set_strf(rep, i, f, mean, ci);
}

void compare_table_cells(struct iommusim_report *rep, size_t base, const struct compare_row *r)
{
	const struct compare_study *s = &r->s;

	iommusim_report_set_str(rep, base + T_PLATFORM, r->platform);
	iommusim_report_set_str(rep, base + T_POLICY, iommusim_policy_name(r->policy));
	iommusim_report_set_str(rep, base + T_WINDOW, iommusim_ppc_window_name(r->st.ppc_window));
	tput(rep, base + T_HCALLS, "%.2f",
	     r->st.ppc_window && r->st.ios_completed
		     ? (double)compare_hcalls(&r->st) / (double)r->st.ios_completed
		     : NAN);
	if (r->st.fq_size)
		iommusim_report_set_strf(rep, base + T_FQ, "%" PRIu32 "/%" PRIu32 "ms",
					 r->st.fq_size, r->st.fq_timeout_ms);
	else
		iommusim_report_set_null(rep, base + T_FQ);
	tput_band(rep, base + T_IOPS, "%.0f", r->st.iops, s->iops_p);
	tput_mean(rep, base + T_IOPS_MEAN, "%.0f", s->iops_mean, s->iops_ci95);
	iommusim_report_set_real(rep, base + T_MBPS, r->st.mbps);
	iommusim_report_set_real(rep, base + T_MEAN, r->st.lat_mean_us);
	iommusim_report_set_real(rep, base + T_P99, r->st.lat_p99_us);
	if (r->st.ppc_window) {
		/* powerpc has no RPCIT */
		for (size_t i = T_RPCIT_MAP; i <= T_RPCIT_GLOBAL; i++)
			iommusim_report_set_null(rep, base + i);
	} else {
		iommusim_report_set_real(rep, base + T_RPCIT_MAP,
					 compare_per_second(r->st.rpcit_map, &r->st));
		iommusim_report_set_real(rep, base + T_RPCIT_UNMAP,
					 compare_per_second(r->st.rpcit_unmap, &r->st));
		iommusim_report_set_real(rep, base + T_RPCIT_GLOBAL,
					 compare_per_second(r->st.rpcit_global, &r->st));
	}
	iommusim_report_set_uint(rep, base + T_BUDGET, r->st.budget_exhausted);
	iommusim_report_set_uint(rep, base + T_MAP_FAIL, r->st.map_failures);
	iommusim_report_set_uint(rep, base + T_IO_ERR, r->st.io_errors);
	iommusim_report_set_real(rep, base + T_SERVER, r->st.server_util);
	iommusim_report_set_real(rep, base + T_CPU, r->st.cpu_util);
	iommusim_report_set_real(rep, base + T_DEVICE, r->st.device_util);
	tput_band(rep, base + T_RATIO, "%.3f", r->has_ratio ? r->ratio : NAN, s->ratio_p);
	tput_mean(rep, base + T_RATIO_MEAN, "%.3f", s->ratio_mean, s->ratio_ci95);
	/* The mark keeps its place when absent, so that the fractions stay aligned. */
	tput(rep, base + T_FLIPS, s->rank_flips > COMPARE_FLIPS_MARK ? "%.2f *" : "%.2f  ",
	     s->rank_flips);
}

void compare_report_header(struct iommusim_report *rep, const struct compare_opts *o)
{
	char workload[64], measure[32], warmup[32];

	compare_run_workload_name(o, workload, sizeof(workload));
	compare_seconds(measure, sizeof(measure), o->measure_ns);
	compare_seconds(warmup, sizeof(warmup), o->warmup_ns);
	iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE,
			     "# scenario %s (%s, %u CPUs, %" PRIu64 " MiB), seed %" PRIu64
			     ", %s s measured after %s s warm-up, iommusim %s (%s)\n",
			     o->sc->name, workload, o->wl.cpus, o->wl.guest_memory >> 20, o->seed,
			     measure, warmup, iommusim_version(), iommusim_git_describe());
	if (!o->sc->nsettings && !o->nsets)
		return;
	/* What the rows ran with besides each platform's profile (params --profile shows it). */
	iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE,
			     "# settings after each platform's profile (scenario's, then --set):");
	for (size_t i = 0; i < o->sc->nsettings; i++)
		iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE, " %s", o->sc->settings[i]);
	for (size_t i = 0; i < o->nsets; i++)
		iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE, " %s", o->sets[i]);
	iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE, "\n");
}

/* What the study ran, in a line under the header: seeds, draws and what the draws vary. */
static void study_note(struct iommusim_report *rep, const struct compare_opts *o,
		       const struct iommusim_cost *cost)
{
	unsigned int flags = o->draw_fitted ? IOMMUSIM_STUDY_FITTED : 0;

	if (o->repeat == 1 && !o->draws)
		return;
	iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE, "# study:");
	if (o->repeat > 1)
		iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE,
				     " seeds %" PRIu64 "-%" PRIu64 " per cell, means +- half their "
				     "95 %% interval%s",
				     o->seed, o->seed + o->repeat - 1, o->draws ? ";" : "");
	if (o->draws)
		iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE,
				     " %u Latin hypercube draws per platform of %zu estimated "
				     "parameters, centred on their values%s",
				     o->draws, iommusim_study_params(cost, flags, NULL, 0),
				     o->draw_fitted ? ", fitted ones included"
						    : ", fitted ones held");
	iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE, "\n");
}

void compare_table_notes(struct iommusim_report *rep, const struct compare_opts *o,
			 const struct iommusim_cost *cost)
{
	compare_report_header(rep, o);
	study_note(rep, o, cost);
	if (compare_has_arch(o, IOMMUSIM_ARCH_S390))
		iommusim_report_note(
			rep, IOMMUSIM_REPORT_BELOW,
			"# fq: fq_size/fq_timeout_ms; iops, mbps, rpcit_*_per_s: per second "
			"of the measured interval; lat_*: us; budget_exhausted, map_failures, "
			"io_errors: counts in the interval; *_util: busy share of the interval "
			"(cpu_util over all CPUs); ratio_to_legacy: iops over legacy's on the "
			"platform\n");
	else
		iommusim_report_note(
			rep, IOMMUSIM_REPORT_BELOW,
			"# iops, mbps: per second of the measured interval; lat_*: us; "
			"budget_exhausted, map_failures, io_errors: counts in the interval; "
			"*_util: busy share of the interval (cpu_util over all CPUs)\n");
	if (compare_has_arch(o, IOMMUSIM_ARCH_POWERPC))
		iommusim_report_note(rep, IOMMUSIM_REPORT_BELOW,
				     "# window: the DMA window the device's maps use; "
				     "hcalls_per_io: TCE hypervisor calls (OPAL TCE kills on "
				     "powernv) per completed I/O (docs/powerpc.md)\n");
	if (compare_mlx5_runs(o))
		iommusim_report_note(
			rep, IOMMUSIM_REPORT_BELOW,
			"# an I/O is a packet, sent or received: pps is iops; gbps: "
			"their bytes in 10^9 bit/s; maps_per_pkt, unmaps_per_pkt: data "
			"maps and unmaps per packet (docs/workloads.md)\n");
	if (compare_mlx5_runs(o) && o->wl.mlx5.rate_pps)
		iommusim_report_note(
			rep, IOMMUSIM_REPORT_BELOW,
			"# offered_pps: the rate, both ways; late_pct: packets started "
			"when the next was due (no free descriptor, a busy CPU), in %% of "
			"those started\n");
	if (o->repeat > 1)
		iommusim_report_note(
			rep, IOMMUSIM_REPORT_BELOW,
			"# iops_mean, ratio_mean: mean over the seeds +- half its 95 %% "
			"interval\n");
	if (o->draws)
		iommusim_report_note(
			rep, IOMMUSIM_REPORT_BELOW,
			"# iops, ratio_to_legacy: the point run [5th-95th percentile over "
			"the draws]; rank_flips: share of draws ranking the policy "
			"otherwise by iops, * above %.2f\n",
			COMPARE_FLIPS_MARK);
}
