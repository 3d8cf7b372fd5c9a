/* SPDX-License-Identifier: MIT */
/*
 * The report of iommusim-bench compare: the columns of its CSV and JSON rows, its meta, and
 * the report that joins them to the table's columns and notes (compare_table.c). The emitter
 * (include/iommusim/report.h) formats every figure once per form with fixed formats, so both
 * files show the same digits and the same inputs give the same bytes on any machine.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"

enum col {
	C_SCENARIO,
	C_PLATFORM,
	C_POLICY,
	C_WORKLOAD,
	C_CPUS,
	C_FQ_SIZE,
	C_FQ_TIMEOUT_MS,
	C_SEED,
	C_SIM_SECONDS,
	C_IOS_SUBMITTED,
	C_IOS_COMPLETED,
	C_IOPS,
	C_MBPS,
	C_LAT_MEAN_US,
	C_LAT_P50_US,
	C_LAT_P99_US,
	C_LAT_MAX_US,
	C_RPCIT_MAP,
	C_RPCIT_UNMAP,
	C_RPCIT_GLOBAL,
	C_RPCIT_MAP_PER_S,
	C_RPCIT_UNMAP_PER_S,
	C_RPCIT_GLOBAL_PER_S,
	C_FQ_FLUSHES,
	C_LEGACY_WRAPS,
	C_BUDGET_EXHAUSTED,
	C_MAP_FAILURES,
	C_IO_ERRORS,
	C_SERVER_UTIL,
	C_SERVER_WAIT_US,
	C_CPU_UTIL,
	C_DEVICE_UTIL,
	C_RATIO_TO_LEGACY,
	C_SECOND_PASSES,
	C_HOST_MAPS,
	C_HOST_UNMAPS,
	C_SHADOW_PAGES_MAX,
	C_REPEATS,
	C_IOPS_MEAN,
	C_IOPS_CI95_LO,
	C_IOPS_CI95_HI,
	C_RATIO_MEAN,
	C_RATIO_CI95_LO,
	C_RATIO_CI95_HI,
	C_DRAWS,
	C_IOPS_P5,
	C_IOPS_P50,
	C_IOPS_P95,
	C_RATIO_P5,
	C_RATIO_P50,
	C_RATIO_P95,
	C_RANK_FLIPS,
	C_EXPOSURE_MEAN_US,
	C_EXPOSURE_P99_US,
	C_EXPOSURE_MAX_US,
	C_EXPOSED_BYTE_S_PER_S,
	C_PPC_WINDOW,
	C_PPC_DDW,
	C_HCALLS_PER_IO,
	C_H_PUT_TCE_PER_IO,
	C_H_PUT_TCE_INDIRECT_PER_IO,
	C_H_STUFF_TCE_PER_IO,
	C_H_GET_TCE_PER_IO,
	C_OPAL_TCE_KILLS_PER_IO,
	C_TCES_WRITTEN_PER_IO,
	C_HCALL_FAILURES,
	C_SETUP_MS,
	NR_COLS
};

/* The powerpc columns, shown when a powerpc platform is in the run. */
#define FIRST_PPC_COL C_PPC_WINDOW

/* clang-format off */
#define TXT(n) { n, IOMMUSIM_REPORT_STRING, IOMMUSIM_REPORT_FILES, 0, 0, 0, NULL, NULL, NULL }
#define CNT(n) { n, IOMMUSIM_REPORT_UINT, IOMMUSIM_REPORT_FILES, 0, 0, 0, NULL, NULL, NULL }
/* Text and counts that only some rows have (powerpc's on s390 rows are missing values). */
#define TXT_OPT(n) { n, IOMMUSIM_REPORT_STRING, IOMMUSIM_REPORT_FILES, IOMMUSIM_REPORT_NULLABLE, 0, 0, NULL, NULL, NULL }
#define CNT_OPT(n) { n, IOMMUSIM_REPORT_UINT, IOMMUSIM_REPORT_FILES, IOMMUSIM_REPORT_NULLABLE, 0, 0, NULL, NULL, NULL }
/* A measured figure with fixed decimals; NaN or infinity is a missing value. */
#define FIG(n, d)                                                                          \
	{ n, IOMMUSIM_REPORT_REAL, IOMMUSIM_REPORT_FILES, IOMMUSIM_REPORT_NULLABLE, d, 0, NULL, \
	  NULL, NULL }
/* clang-format on */

/*
 * CSV header and JSON keys, in the order of enum col; text columns are JSON strings, the
 * others numbers or null.
 */
static const struct iommusim_report_column cols[NR_COLS] = {
	TXT("scenario"),
	TXT("platform"),
	TXT("policy"),
	TXT("workload"),
	CNT("cpus"),
	CNT("fq_size"),
	CNT("fq_timeout_ms"),
	CNT("seed"),
	FIG("sim_seconds", 6),
	CNT("ios_submitted"),
	CNT("ios_completed"),
	FIG("iops", 1),
	FIG("mbps", 3),
	FIG("lat_mean_us", 3),
	FIG("lat_p50_us", 3),
	FIG("lat_p99_us", 3),
	FIG("lat_max_us", 3),
	CNT("rpcit_map"),
	CNT("rpcit_unmap"),
	CNT("rpcit_global"),
	FIG("rpcit_map_per_s", 3),
	FIG("rpcit_unmap_per_s", 3),
	FIG("rpcit_global_per_s", 3),
	CNT("fq_flushes"),
	CNT("legacy_wraps"),
	CNT("budget_exhausted"),
	CNT("map_failures"),
	CNT("io_errors"),
	FIG("server_util", 6),
	FIG("server_wait_us", 3),
	FIG("cpu_util", 6),
	FIG("device_util", 6),
	FIG("ratio_to_legacy", 4),
	CNT("second_passes"),
	CNT("host_maps"),
	CNT("host_unmaps"),
	CNT("shadow_pages_max"),
	/* the study */
	CNT("repeats"),
	FIG("iops_mean", 1),
	FIG("iops_ci95_lo", 1),
	FIG("iops_ci95_hi", 1),
	FIG("ratio_mean", 4),
	FIG("ratio_ci95_lo", 4),
	FIG("ratio_ci95_hi", 4),
	CNT("draws"),
	FIG("iops_p5", 1),
	FIG("iops_p50", 1),
	FIG("iops_p95", 1),
	FIG("ratio_p5", 4),
	FIG("ratio_p50", 4),
	FIG("ratio_p95", 4),
	FIG("rank_flips", 4),
	/* the DMA exposure window (docs/exposure.md) */
	FIG("exposure_mean_us", 3),
	FIG("exposure_p99_us", 3),
	FIG("exposure_max_us", 3),
	FIG("exposed_byte_s_per_s", 1),
	/* powerpc (docs/powerpc.md): the window, and the firmware calls per completed I/O */
	TXT_OPT("ppc_window"),
	TXT_OPT("ppc_ddw"),
	FIG("hcalls_per_io", 4),
	FIG("h_put_tce_per_io", 4),
	FIG("h_put_tce_indirect_per_io", 4),
	FIG("h_stuff_tce_per_io", 4),
	FIG("h_get_tce_per_io", 4),
	FIG("opal_tce_kills_per_io", 4),
	FIG("tces_written_per_io", 4),
	CNT_OPT("hcall_failures"),
	FIG("setup_ms", 3),
};

/*
 * The report's columns: the swept keys' table columns, the table's, the swept keys' file
 * columns, these, then the extra keys (workload options and --set keys not swept). The
 * columns of enum col start at the first file column after the swept keys.
 */
_Static_assert(NR_COLS == COMPARE_FILE_COLS, "compare.h counts the files' columns");

static size_t file_base(const struct compare_opts *o)
{
	return 2 * o->nlead + COMPARE_TABLE_COLS;
}

static void put_u64(struct iommusim_report *rep, size_t b, enum col i, uint64_t v)
{
	iommusim_report_set_uint(rep, b + i, v);
}

static void put_real(struct iommusim_report *rep, size_t b, enum col i, double v)
{
	iommusim_report_set_real(rep, b + i, v);
}

static void put_str(struct iommusim_report *rep, size_t b, enum col i, const char *s)
{
	iommusim_report_set_str(rep, b + i, s);
}

/*
 * The study's columns: NaN figures (no interval with one seed, no percentiles without draws,
 * no ratio without legacy) are missing values.
 */
static void put_study(struct iommusim_report *rep, size_t b, const struct compare_opts *o,
		      const struct compare_study *s)
{
	put_u64(rep, b, C_REPEATS, o->repeat);
	put_real(rep, b, C_IOPS_MEAN, s->iops_mean);
	put_real(rep, b, C_IOPS_CI95_LO, s->iops_mean - s->iops_ci95);
	put_real(rep, b, C_IOPS_CI95_HI, s->iops_mean + s->iops_ci95);
	put_real(rep, b, C_RATIO_MEAN, s->ratio_mean);
	put_real(rep, b, C_RATIO_CI95_LO, s->ratio_mean - s->ratio_ci95);
	put_real(rep, b, C_RATIO_CI95_HI, s->ratio_mean + s->ratio_ci95);
	put_u64(rep, b, C_DRAWS, o->draws);
	for (int i = 0; i < 3; i++)
		put_real(rep, b, (enum col)(C_IOPS_P5 + i), s->iops_p[i]);
	for (int i = 0; i < 3; i++)
		put_real(rep, b, (enum col)(C_RATIO_P5 + i), s->ratio_p[i]);
	put_real(rep, b, C_RANK_FLIPS, s->rank_flips);
}

static double per_io(uint64_t count, const struct iommusim_sim_stats *st)
{
	return st->ios_completed ? (double)count / (double)st->ios_completed : NAN;
}

/* powerpc rows: the window and the calls per I/O; s390 rows: missing values. */
static void put_ppc(struct iommusim_report *rep, size_t b, const struct iommusim_sim_stats *st)
{
	if (st->ppc_window == IOMMUSIM_PPC_WINDOW_NONE) {
		for (size_t i = FIRST_PPC_COL; i < NR_COLS; i++)
			iommusim_report_set_null(rep, b + i);
		return;
	}
	put_str(rep, b, C_PPC_WINDOW, iommusim_ppc_window_name(st->ppc_window));
	put_str(rep, b, C_PPC_DDW, iommusim_ppc_ddw_name(st->ppc_ddw));
	put_real(rep, b, C_HCALLS_PER_IO, per_io(compare_hcalls(st), st));
	put_real(rep, b, C_H_PUT_TCE_PER_IO, per_io(st->h_put_tce, st));
	put_real(rep, b, C_H_PUT_TCE_INDIRECT_PER_IO, per_io(st->h_put_tce_indirect, st));
	put_real(rep, b, C_H_STUFF_TCE_PER_IO, per_io(st->h_stuff_tce, st));
	put_real(rep, b, C_H_GET_TCE_PER_IO, per_io(st->h_get_tce, st));
	put_real(rep, b, C_OPAL_TCE_KILLS_PER_IO, per_io(st->opal_tce_kills, st));
	put_real(rep, b, C_TCES_WRITTEN_PER_IO, per_io(st->tces_written, st));
	put_u64(rep, b, C_HCALL_FAILURES, st->hcall_failures);
	put_real(rep, b, C_SETUP_MS, st->setup_ms);
}

uint64_t compare_hcalls(const struct iommusim_sim_stats *st)
{
	return st->h_put_tce + st->h_put_tce_indirect + st->h_stuff_tce + st->h_get_tce +
	       st->opal_tce_kills;
}

bool compare_has_arch(const struct compare_opts *o, enum iommusim_arch arch)
{
	for (size_t k = 0; k < o->nplatforms; k++)
		if (iommusim_platform_arch(o->kinds[k]) == arch)
			return true;
	return false;
}

bool compare_result_column(const char *name)
{
	for (size_t i = 0; i < NR_COLS; i++)
		if (!strcmp(cols[i].name, name))
			return true;
	return compare_trace_column(name) || compare_mlx5_column(name);
}

size_t compare_file_columns(const struct compare_opts *o, struct iommusim_report_column *out)
{
	memcpy(out, cols, sizeof(cols));
	/* A swept cpus leads the row; it is not shown twice. */
	for (size_t i = 0; i < o->nlead; i++)
		if (!strcmp(o->lead[i], "cpus"))
			out[C_CPUS].outputs = IOMMUSIM_REPORT_NOWHERE;
	if (!compare_has_arch(o, IOMMUSIM_ARCH_POWERPC))
		for (size_t i = FIRST_PPC_COL; i < NR_COLS; i++)
			out[i].outputs = IOMMUSIM_REPORT_NOWHERE;
	return NR_COLS;
}

void compare_file_cells(struct iommusim_report *rep, const struct compare_opts *o,
			const struct compare_row *r)
{
	const struct iommusim_sim_stats *st = &r->st;
	size_t b = file_base(o);
	char workload[64];

	put_str(rep, b, C_SCENARIO, o->sc->name);
	put_str(rep, b, C_PLATFORM, r->platform);
	put_str(rep, b, C_POLICY, iommusim_policy_name(r->policy));
	compare_run_workload_name(o, workload, sizeof(workload));
	put_str(rep, b, C_WORKLOAD, workload);
	put_u64(rep, b, C_CPUS, o->wl.cpus);
	put_u64(rep, b, C_FQ_SIZE, st->fq_size);
	put_u64(rep, b, C_FQ_TIMEOUT_MS, st->fq_timeout_ms);
	put_u64(rep, b, C_SEED, o->seed);
	put_real(rep, b, C_SIM_SECONDS, st->sim_seconds);
	put_u64(rep, b, C_IOS_SUBMITTED, st->ios_submitted);
	put_u64(rep, b, C_IOS_COMPLETED, st->ios_completed);
	put_real(rep, b, C_IOPS, st->iops);
	put_real(rep, b, C_MBPS, st->mbps);
	put_real(rep, b, C_LAT_MEAN_US, st->lat_mean_us);
	put_real(rep, b, C_LAT_P50_US, st->lat_p50_us);
	put_real(rep, b, C_LAT_P99_US, st->lat_p99_us);
	put_real(rep, b, C_LAT_MAX_US, st->lat_max_us);
	put_u64(rep, b, C_RPCIT_MAP, st->rpcit_map);
	put_u64(rep, b, C_RPCIT_UNMAP, st->rpcit_unmap);
	put_u64(rep, b, C_RPCIT_GLOBAL, st->rpcit_global);
	put_real(rep, b, C_RPCIT_MAP_PER_S, compare_per_second(st->rpcit_map, st));
	put_real(rep, b, C_RPCIT_UNMAP_PER_S, compare_per_second(st->rpcit_unmap, st));
	put_real(rep, b, C_RPCIT_GLOBAL_PER_S, compare_per_second(st->rpcit_global, st));
	put_u64(rep, b, C_FQ_FLUSHES, st->fq_flushes);
	put_u64(rep, b, C_LEGACY_WRAPS, st->legacy_wraps);
	put_u64(rep, b, C_BUDGET_EXHAUSTED, st->budget_exhausted);
	put_u64(rep, b, C_MAP_FAILURES, st->map_failures);
	put_u64(rep, b, C_IO_ERRORS, st->io_errors);
	put_real(rep, b, C_SERVER_UTIL, st->server_util);
	put_real(rep, b, C_SERVER_WAIT_US, st->server_wait_us);
	put_real(rep, b, C_CPU_UTIL, st->cpu_util);
	put_real(rep, b, C_DEVICE_UTIL, st->device_util);
	put_real(rep, b, C_RATIO_TO_LEGACY, r->has_ratio ? r->ratio : NAN);
	put_u64(rep, b, C_SECOND_PASSES, st->platform.second_passes);
	put_u64(rep, b, C_HOST_MAPS, st->platform.host_maps);
	put_u64(rep, b, C_HOST_UNMAPS, st->platform.host_unmaps);
	put_u64(rep, b, C_SHADOW_PAGES_MAX, st->platform.shadow_pages_max);
	put_study(rep, b, o, &r->s);
	put_real(rep, b, C_EXPOSURE_MEAN_US, st->exposure_mean_us);
	put_real(rep, b, C_EXPOSURE_P99_US, st->exposure_p99_us);
	put_real(rep, b, C_EXPOSURE_MAX_US, st->exposure_max_us);
	put_real(rep, b, C_EXPOSED_BYTE_S_PER_S, st->exposed_byte_s_per_s);
	put_ppc(rep, b, st);
}

double compare_per_second(uint64_t count, const struct iommusim_sim_stats *st)
{
	return st->sim_seconds > 0 ? (double)count / st->sim_seconds : NAN;
}

void compare_workload_name(const struct iommusim_nvme_config *nvme, char *buf, size_t len)
{
	int n;

	if (nvme->mixed)
		n = snprintf(buf, len, "%uk-%srw%u-%ux%u", (unsigned int)(nvme->block_size / 1024),
			     nvme->sequential ? "seq" : "rand", nvme->rwmixread, nvme->jobs,
			     nvme->iodepth);
	else
		n = snprintf(buf, len, "%uk-%s%s-%ux%u", (unsigned int)(nvme->block_size / 1024),
			     nvme->sequential ? "seq" : "rand", nvme->write ? "write" : "read",
			     nvme->jobs, nvme->iodepth);
	/* a narrower mask, or mapping before widening it, is part of what the device is */
	if (n > 0 && (size_t)n < len && nvme->dma_bits && nvme->dma_bits != 64)
		n += snprintf(buf + n, len - (size_t)n, "-dma%u", nvme->dma_bits);
	if (n > 0 && (size_t)n < len && nvme->mask32_first)
		snprintf(buf + n, len - (size_t)n, "-mask32first");
}

void compare_scenario_workload_name(const struct iommusim_scenario *sc, char *buf, size_t len)
{
	if (sc->workload == IOMMUSIM_WORKLOAD_MLX5)
		compare_mlx5_name(&sc->mlx5, sc->cpus, buf, len);
	else
		compare_workload_name(&sc->nvme, buf, len);
}

void compare_seconds(char *buf, size_t len, uint64_t ns)
{
	uint64_t frac = ns % 1000000000u;
	int digits = 9;

	if (!frac) {
		snprintf(buf, len, "%" PRIu64, ns / 1000000000u);
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, len, "%" PRIu64 ".%0*" PRIu64, ns / 1000000000u, digits, frac);
}

/* ---- the meta ---- */

static void meta_scenario(struct iommusim_report_value *m, const struct compare_opts *o)
{
	const struct iommusim_scenario *sc = o->sc;
	struct iommusim_report_value *s = iommusim_report_add_object(m, "scenario");
	char workload[64], measure[32], warmup[32];

	compare_scenario_workload_name(sc, workload, sizeof(workload));
	compare_seconds(measure, sizeof(measure), sc->measure_ns);
	compare_seconds(warmup, sizeof(warmup), sc->warmup_ns);
	iommusim_report_add_str(s, "name", sc->name);
	iommusim_report_add_str(s, "summary", sc->summary);
	iommusim_report_add_str(s, "platforms", sc->platforms);
	iommusim_report_add_uint(s, "cpus", sc->cpus);
	iommusim_report_add_uint(s, "guest_memory_bytes", sc->guest_memory);
	iommusim_report_add_str(s, "workload", workload);
	/* An mlx5 scenario's own fields are in "mlx5": it defines no NVMe job. */
	if (sc->workload == IOMMUSIM_WORKLOAD_NVME) {
		iommusim_report_add_uint(s, "jobs", sc->nvme.jobs);
		iommusim_report_add_uint(s, "iodepth", sc->nvme.iodepth);
		iommusim_report_add_uint(s, "block_size_bytes", sc->nvme.block_size);
		iommusim_report_add_bool(s, "sequential", sc->nvme.sequential);
		iommusim_report_add_bool(s, "write", sc->nvme.write);
	}
	iommusim_report_add_number(s, "seconds", measure);
	iommusim_report_add_number(s, "warmup_seconds", warmup);
	bench_report_strings(s, "settings", sc->settings, sc->nsettings);
}

/* The study's settings, and with --uncertainty the parameters its draws vary. */
static void meta_study(struct iommusim_report_value *m, const struct compare_opts *o,
		       const struct iommusim_cost *const *costs)
{
	enum iommusim_cost_id ids[IOMMUSIM_COST_NR];
	struct iommusim_report_value *a;
	size_t n;

	iommusim_report_newline(m);
	iommusim_report_add_uint(m, "repeat", o->repeat);
	iommusim_report_add_uint(m, "uncertainty", o->draws);
	iommusim_report_add_bool(m, "uncertainty_all", o->draw_fitted);
	if (!o->draws)
		return;
	/* The same on every platform: what a draw holds depends only on the table and --set. */
	n = iommusim_study_params(costs[0], o->draw_fitted ? IOMMUSIM_STUDY_FITTED : 0, ids,
				  IOMMUSIM_COST_NR);
	a = iommusim_report_add_array(m, "uncertainty_params");
	for (size_t i = 0; i < n; i++)
		iommusim_report_add_str(a, NULL, iommusim_cost_param(ids[i])->name);
}

/* The workload that ran: the scenario's, after the workload options. */
static void meta_workload(struct iommusim_report_value *m, const struct compare_opts *o)
{
	struct iommusim_report_value *w = iommusim_report_add_object(m, "workload");

	for (size_t i = 0; i < COMPARE_WL_OPTS; i++) {
		const char *name = iommusim_sim_option_name(i);

		/* a replay or an mlx5 run ran no NVMe loop: the guest's size only */
		if ((o->trace || compare_mlx5_runs(o)) && !compare_trace_reads(i))
			continue;
		if (!strcmp(name, "rw"))
			iommusim_report_add_str(w, name, iommusim_sim_rw_name(&o->wl.nvme));
		else
			iommusim_report_add_uint(w, name, iommusim_sim_option_get(&o->wl, i));
	}
}

bool compare_quiet_arg(const struct compare_opts *o, const char *arg)
{
	if (arg == o->jobs_args[0] || arg == o->jobs_args[1])
		return true;
	for (size_t i = 0; i < o->nquiet; i++)
		if (o->quiet_args[i] == arg)
			return true;
	return false;
}

void compare_report_meta(struct iommusim_report *rep, const struct compare_opts *o,
			 const struct iommusim_cost *const *costs)
{
	struct iommusim_report_value *m = iommusim_report_meta(rep), *a;
	char measure[32], warmup[32];

	compare_seconds(measure, sizeof(measure), o->measure_ns);
	compare_seconds(warmup, sizeof(warmup), o->warmup_ns);
	iommusim_report_newline(m);
	/* The program's own path differs between machines; its name does not. */
	a = iommusim_report_add_array(m, "command");
	iommusim_report_add_str(a, NULL, "iommusim-bench");
	for (int i = 0; i < o->nargs; i++)
		/* --jobs changes how long the report takes, never what it says. */
		if (!compare_quiet_arg(o, o->args[i]))
			iommusim_report_add_str(a, NULL, o->args[i]);
	iommusim_report_newline(m);
	meta_scenario(m, o);
	iommusim_report_newline(m);
	iommusim_report_add_uint(m, "seed", o->seed);
	iommusim_report_add_number(m, "seconds", measure);
	iommusim_report_add_number(m, "warmup_seconds", warmup);
	bench_report_strings(m, "sets", o->sets, o->nsets);
	meta_workload(m, o);
	compare_trace_meta(m, o);
	compare_mlx5_meta(m, o);
	if (o->sweep)
		bench_report_strings(m, "swept", o->lead, o->nlead);
	meta_study(m, o, costs);
	iommusim_report_newline(m);
	bench_report_strings(m, "platforms", o->platforms, o->nplatforms);
	a = iommusim_report_add_array(m, "policies");
	for (size_t i = 0; i < o->npolicies; i++)
		iommusim_report_add_str(a, NULL, iommusim_policy_name(o->policies[i]));
	iommusim_report_newline(m);
	a = iommusim_report_add_object(m, "config");
	for (size_t i = 0; i < o->nplatforms; i++) {
		iommusim_report_newline(a);
		(void)iommusim_cost_add_to_report(a, o->platforms[i], costs[i]);
	}
}
