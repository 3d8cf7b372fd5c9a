/* SPDX-License-Identifier: MIT */
/*
 * The time series of compare and sweep (--interval-ms N --timeseries FILE, docs/compare.md):
 * each cell's first-seed point run records its intervals (iommusim_sim_get_intervals()), kept
 * in the slot of its task, and once every run has finished one report holds them all, one
 * row per interval per cell, in task order (which is row order), written as CSV or JSON by
 * the library's emitter. Like the main report, it does not depend on --jobs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"

/* Most rows one series file may hold: the report keeps them all in memory. */
#define SERIES_MAX_ROWS 1000000u

enum scol {
	S_T_S,
	S_MEASURED,
	S_IOPS,
	S_MBPS,
	S_LAT_MEAN_US,
	S_LAT_P99_US,
	S_RPCIT_MAP,
	S_RPCIT_UNMAP,
	S_RPCIT_GLOBAL,
	S_SERVER_UTIL,
	S_CPU_UTIL,
	S_LIVE_MAPPINGS,
	S_DMA_AVAIL,
	S_IOS_COMPLETED,
	S_FQ_FLUSHES,
	S_LEGACY_WRAPS,
	S_DEVICE_UTIL,
	NR_SCOLS
};

/* scenario, platform, policy, seed lead; the swept keys follow them. */
#define S_LEAD 4

/* clang-format off */
#define REAL(n, d, fl)                                                                             \
	{                                                                                          \
		.name = n, .type = IOMMUSIM_REPORT_REAL, .decimals = d, .flags = fl                \
	}
#define UINT(n, fl)                                                                                \
	{                                                                                          \
		.name = n, .type = IOMMUSIM_REPORT_UINT, .flags = fl                               \
	}
/* clang-format on */

static const struct iommusim_report_column lead_cols[S_LEAD] = {
	{.name = "scenario", .type = IOMMUSIM_REPORT_STRING},
	{.name = "platform", .type = IOMMUSIM_REPORT_STRING},
	{.name = "policy", .type = IOMMUSIM_REPORT_STRING},
	UINT("seed", 0),
};

static const struct iommusim_report_column scols[NR_SCOLS] = {
	[S_T_S] = {.name = "t_s", .type = IOMMUSIM_REPORT_NUMBER},
	[S_MEASURED] = {.name = "measured", .type = IOMMUSIM_REPORT_BOOL},
	[S_IOPS] = REAL("iops", 1, 0),
	[S_MBPS] = REAL("mbps", 3, 0),
	[S_LAT_MEAN_US] = REAL("lat_mean_us", 3, IOMMUSIM_REPORT_NULLABLE),
	[S_LAT_P99_US] = REAL("lat_p99_us", 3, IOMMUSIM_REPORT_NULLABLE),
	[S_RPCIT_MAP] = UINT("rpcit_map", 0),
	[S_RPCIT_UNMAP] = UINT("rpcit_unmap", 0),
	[S_RPCIT_GLOBAL] = UINT("rpcit_global", 0),
	[S_SERVER_UTIL] = REAL("server_util", 6, 0),
	[S_CPU_UTIL] = REAL("cpu_util", 6, 0),
	[S_LIVE_MAPPINGS] = UINT("live_mappings", 0),
	/* no budget: an empty cell */
	[S_DMA_AVAIL] = UINT("dma_avail", IOMMUSIM_REPORT_NULLABLE),
	[S_IOS_COMPLETED] = UINT("ios_completed", 0),
	[S_FQ_FLUSHES] = UINT("fq_flushes", 0),
	[S_LEGACY_WRAPS] = UINT("legacy_wraps", 0),
	[S_DEVICE_UTIL] = REAL("device_util", 6, 0),
};

bool compare_series_column(const char *name)
{
	for (size_t i = 0; i < S_LEAD; i++)
		if (!strcmp(lead_cols[i].name, name))
			return true;
	for (size_t i = 0; i < NR_SCOLS; i++)
		if (!strcmp(scols[i].name, name))
			return true;
	return false;
}

int compare_series_check(const struct compare_opts *o, size_t cells)
{
	struct iommusim_sim_config cfg = {
		.warmup_ns = o->warmup_ns,
		.measure_ns = o->measure_ns,
		.interval_ns = o->interval_ns,
	};
	uint64_t n = iommusim_sim_interval_count(&cfg);

	if (!o->interval_ns)
		return 0;
	if (n > SERIES_MAX_ROWS || cells * n > SERIES_MAX_ROWS) {
		fprintf(stderr,
			"%s: --interval-ms: %llu ms makes %llu rows of time series (%zu cells x "
			"%llu intervals), more than %u; take a longer interval\n",
			o->cmd, (unsigned long long)(o->interval_ns / 1000000),
			(unsigned long long)(cells * n), cells, (unsigned long long)n,
			SERIES_MAX_ROWS);
		return -1;
	}
	return 0;
}

int compare_series_alloc(struct compare_series *s, size_t ntasks)
{
	s->ntasks = ntasks;
	s->iv = calloc(ntasks ? ntasks : 1, sizeof(*s->iv));
	s->n = calloc(ntasks ? ntasks : 1, sizeof(*s->n));
	return s->iv && s->n ? 0 : -ENOMEM;
}

void compare_series_free(struct compare_series *s)
{
	for (size_t i = 0; s->iv && i < s->ntasks; i++)
		free(s->iv[i]);
	free(s->iv);
	free(s->n);
	memset(s, 0, sizeof(*s));
}

bool compare_series_wanted(const struct compare_opts *o, const struct compare_task *t)
{
	return o->interval_ns && t->vary == COMPARE_POINT && t->seed == o->seed;
}

int compare_series_keep(struct compare_series *s, size_t index, const struct iommusim_sim *sim)
{
	size_t n;
	const struct iommusim_sim_interval *iv = iommusim_sim_get_intervals(sim, &n);

	if (!n)
		return 0;
	s->iv[index] = malloc(n * sizeof(*iv));
	if (!s->iv[index])
		return -ENOMEM;
	memcpy(s->iv[index], iv, n * sizeof(*iv));
	s->n[index] = n;
	return 0;
}

/* One interval of task @t's run: the cells of the last row of @rep. */
static void series_row(struct iommusim_report *rep, const struct compare_opts *o,
		       const struct iommusim_cost *cost, const struct compare_task *t,
		       const struct iommusim_sim_interval *iv)
{
	size_t b = S_LEAD + o->nlead;
	char ts[32];

	iommusim_report_set_str(rep, 0, o->sc->name);
	iommusim_report_set_str(rep, 1, o->platforms[t->platform]);
	iommusim_report_set_str(rep, 2, iommusim_policy_name(t->policy));
	iommusim_report_set_uint(rep, 3, t->seed);
	for (size_t i = 0; i < o->nlead; i++)
		compare_key_cell(rep, S_LEAD + i, o->lead[i], o, cost);
	compare_seconds(ts, sizeof(ts), iv->end_ns);
	iommusim_report_set_number(rep, b + S_T_S, ts);
	iommusim_report_set_bool(rep, b + S_MEASURED, iv->measured);
	iommusim_report_set_real(rep, b + S_IOPS, iv->iops);
	iommusim_report_set_real(rep, b + S_MBPS, iv->mbps);
	iommusim_report_set_real(rep, b + S_LAT_MEAN_US, iv->lat_mean_us);
	iommusim_report_set_real(rep, b + S_LAT_P99_US, iv->lat_p99_us);
	iommusim_report_set_uint(rep, b + S_RPCIT_MAP, iv->rpcit_map);
	iommusim_report_set_uint(rep, b + S_RPCIT_UNMAP, iv->rpcit_unmap);
	iommusim_report_set_uint(rep, b + S_RPCIT_GLOBAL, iv->rpcit_global);
	iommusim_report_set_real(rep, b + S_SERVER_UTIL, iv->server_util);
	iommusim_report_set_real(rep, b + S_CPU_UTIL, iv->cpu_util);
	iommusim_report_set_uint(rep, b + S_LIVE_MAPPINGS, iv->live_mappings);
	if (iv->dma_avail == UINT64_MAX)
		iommusim_report_set_null(rep, b + S_DMA_AVAIL);
	else
		iommusim_report_set_uint(rep, b + S_DMA_AVAIL, iv->dma_avail);
	iommusim_report_set_uint(rep, b + S_IOS_COMPLETED, iv->ios_completed);
	iommusim_report_set_uint(rep, b + S_FQ_FLUSHES, iv->fq_flushes);
	iommusim_report_set_uint(rep, b + S_LEGACY_WRAPS, iv->legacy_wraps);
	iommusim_report_set_real(rep, b + S_DEVICE_UTIL, iv->device_util);
}

/* The report: the schema, compare's meta with the interval, then every kept series. */
static int series_build(const struct compare_plan *plan, const struct compare_series *s,
			const struct iommusim_cost *const *costs, const struct compare_opts *points,
			struct iommusim_report **out)
{
	const struct compare_opts *o = plan->o;
	size_t ncols = S_LEAD + o->nlead + NR_SCOLS;
	struct iommusim_report_column *cols = calloc(ncols, sizeof(*cols));
	struct iommusim_report_value *m;
	char ms[32];
	int err;

	if (!cols)
		return -ENOMEM;
	memcpy(cols, lead_cols, sizeof(lead_cols));
	for (size_t i = 0; i < o->nlead; i++)
		cols[S_LEAD + i] = compare_key_column(o->lead[i], 0);
	memcpy(cols + S_LEAD + o->nlead, scols, sizeof(scols));
	err = iommusim_report_create(NULL, cols, ncols, out);
	free(cols);
	if (err)
		return err;
	compare_report_meta(*out, o, costs);
	m = iommusim_report_meta(*out);
	iommusim_report_newline(m);
	compare_seconds(ms, sizeof(ms), o->interval_ns);
	iommusim_report_add_number(m, "interval_seconds", ms);
	for (size_t i = 0; i < s->ntasks; i++) {
		struct compare_task t = {0};
		const struct compare_opts *to;
		size_t point;

		if (!s->n[i])
			continue;
		plan->task(plan, i, &t);
		to = t.o ? t.o : o;
		point = points && t.o ? (size_t)(t.o - points) : 0;
		for (size_t k = 0; k < s->n[i]; k++) {
			iommusim_report_add_row(*out);
			series_row(*out, to, costs[point * o->nplatforms + t.platform], &t,
				   &s->iv[i][k]);
		}
	}
	return 0;
}

int compare_series_write(const struct compare_plan *plan, const struct compare_series *s,
			 const struct iommusim_cost *const *costs,
			 const struct compare_opts *points, struct outfile *ts)
{
	const struct compare_opts *o = plan->o;
	struct iommusim_report *rep = NULL;
	int err = series_build(plan, s, costs, points, &rep);
	FILE *f;

	if (!err)
		err = iommusim_report_check(rep);
	if (err) {
		fprintf(stderr, "%s: --timeseries: %s\n", o->cmd, iommusim_strerror(err));
		iommusim_report_destroy(rep);
		outfile_abandon(ts);
		return 1;
	}
	f = outfile_stream(ts);
	if (f) {
		if (o->ts_json)
			(void)iommusim_report_write_json(rep, f);
		else
			(void)iommusim_report_write_csv(rep, f);
	}
	iommusim_report_destroy(rep);
	return outfile_commit(ts) ? 1 : 0;
}
