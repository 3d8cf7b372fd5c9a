/* SPDX-License-Identifier: MIT */
/*
 * The files of iommusim-bench compare: CSV and JSON (compare_table.c prints the table). Each
 * row is formatted once into strings with fixed printf formats (the C locale is never
 * changed), so both show the same digits and the same inputs give the same bytes on any
 * machine.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"

enum col {
	C_SCENARIO, C_PLATFORM, C_POLICY, C_WORKLOAD, C_CPUS, C_FQ_SIZE, C_FQ_TIMEOUT_MS, C_SEED,
	C_SIM_SECONDS, C_IOS_SUBMITTED, C_IOS_COMPLETED, C_IOPS, C_MBPS, C_LAT_MEAN_US,
	C_LAT_P50_US, C_LAT_P99_US, C_LAT_MAX_US, C_RPCIT_MAP, C_RPCIT_UNMAP, C_RPCIT_GLOBAL,
	C_RPCIT_MAP_PER_S, C_RPCIT_UNMAP_PER_S, C_RPCIT_GLOBAL_PER_S, C_FQ_FLUSHES, C_LEGACY_WRAPS, C_BUDGET_EXHAUSTED, C_MAP_FAILURES, C_IO_ERRORS,
	C_SERVER_UTIL, C_SERVER_WAIT_US, C_CPU_UTIL, C_DEVICE_UTIL, C_RATIO_TO_LEGACY,
	C_SECOND_PASSES, C_HOST_MAPS, C_HOST_UNMAPS, C_SHADOW_PAGES_MAX, C_REPEATS, C_IOPS_MEAN,
	C_IOPS_CI95_LO, C_IOPS_CI95_HI, C_RATIO_MEAN, C_RATIO_CI95_LO, C_RATIO_CI95_HI, C_DRAWS,
	C_IOPS_P5, C_IOPS_P50, C_IOPS_P95, C_RATIO_P5, C_RATIO_P50, C_RATIO_P95, C_RANK_FLIPS,
	NR_COLS
};

/* CSV header and JSON keys. */
static const char *const col_names[NR_COLS] = {
	"scenario", "platform", "policy", "workload", "cpus", "fq_size", "fq_timeout_ms", "seed",
	"sim_seconds", "ios_submitted", "ios_completed", "iops", "mbps", "lat_mean_us",
	"lat_p50_us", "lat_p99_us", "lat_max_us", "rpcit_map", "rpcit_unmap", "rpcit_global",
	"rpcit_map_per_s", "rpcit_unmap_per_s", "rpcit_global_per_s",
	"fq_flushes", "legacy_wraps", "budget_exhausted", "map_failures", "io_errors",
	"server_util", "server_wait_us", "cpu_util", "device_util", "ratio_to_legacy",
	"second_passes", "host_maps", "host_unmaps", "shadow_pages_max", "repeats", "iops_mean",
	"iops_ci95_lo", "iops_ci95_hi", "ratio_mean", "ratio_ci95_lo", "ratio_ci95_hi", "draws",
	"iops_p5", "iops_p50", "iops_p95", "ratio_p5", "ratio_p50", "ratio_p95", "rank_flips",
};

/* Columns JSON writes as strings; the others are numbers, or null when missing. */
static bool col_text(enum col c)
{
	return c <= C_WORKLOAD;
}

/* One row as text; a NULL cell is a missing value ("" in CSV, null in JSON, "-" on screen). */
struct cells {
	char buf[NR_COLS][48];
	const char *v[NR_COLS];
};

static void put_u64(struct cells *c, enum col i, uint64_t v)
{
	snprintf(c->buf[i], sizeof(c->buf[i]), "%" PRIu64, v);
	c->v[i] = c->buf[i];
}

/* A measured figure with @decimals fixed decimals; NaN or infinity would be missing. */
static void put_real(struct cells *c, enum col i, double v, int decimals)
{
	if (!isfinite(v)) {
		c->v[i] = NULL;
		return;
	}
	snprintf(c->buf[i], sizeof(c->buf[i]), "%.*f", decimals, v);
	c->v[i] = c->buf[i];
}

/*
 * The study's columns: NaN figures (no interval with one seed, no percentiles without draws,
 * no ratio without legacy) are missing values.
 */
static void put_study(struct cells *c, const struct compare_opts *o,
		      const struct compare_study *s)
{
	put_u64(c, C_REPEATS, o->repeat);
	put_real(c, C_IOPS_MEAN, s->iops_mean, 1);
	put_real(c, C_IOPS_CI95_LO, s->iops_mean - s->iops_ci95, 1);
	put_real(c, C_IOPS_CI95_HI, s->iops_mean + s->iops_ci95, 1);
	put_real(c, C_RATIO_MEAN, s->ratio_mean, 4);
	put_real(c, C_RATIO_CI95_LO, s->ratio_mean - s->ratio_ci95, 4);
	put_real(c, C_RATIO_CI95_HI, s->ratio_mean + s->ratio_ci95, 4);
	put_u64(c, C_DRAWS, o->draws);
	for (int i = 0; i < 3; i++) {
		put_real(c, (enum col)(C_IOPS_P5 + i), s->iops_p[i], 1);
		put_real(c, (enum col)(C_RATIO_P5 + i), s->ratio_p[i], 4);
	}
	put_real(c, C_RANK_FLIPS, s->rank_flips, 4);
}

static void make_cells(const struct compare_opts *o, const struct compare_row *r,
		       struct cells *c)
{
	const struct iommusim_sim_stats *st = &r->st;

	c->v[C_SCENARIO] = o->sc->name;
	c->v[C_PLATFORM] = r->platform;
	c->v[C_POLICY] = iommusim_policy_name(r->policy);
	compare_workload_name(&o->sc->nvme, c->buf[C_WORKLOAD], sizeof(c->buf[C_WORKLOAD]));
	c->v[C_WORKLOAD] = c->buf[C_WORKLOAD];
	put_u64(c, C_CPUS, o->sc->cpus);
	put_u64(c, C_FQ_SIZE, st->fq_size);
	put_u64(c, C_FQ_TIMEOUT_MS, st->fq_timeout_ms);
	put_u64(c, C_SEED, o->seed);
	put_real(c, C_SIM_SECONDS, st->sim_seconds, 6);
	put_u64(c, C_IOS_SUBMITTED, st->ios_submitted);
	put_u64(c, C_IOS_COMPLETED, st->ios_completed);
	put_real(c, C_IOPS, st->iops, 1);
	put_real(c, C_MBPS, st->mbps, 3);
	put_real(c, C_LAT_MEAN_US, st->lat_mean_us, 3);
	put_real(c, C_LAT_P50_US, st->lat_p50_us, 3);
	put_real(c, C_LAT_P99_US, st->lat_p99_us, 3);
	put_real(c, C_LAT_MAX_US, st->lat_max_us, 3);
	put_u64(c, C_RPCIT_MAP, st->rpcit_map);
	put_u64(c, C_RPCIT_UNMAP, st->rpcit_unmap);
	put_u64(c, C_RPCIT_GLOBAL, st->rpcit_global);
	put_real(c, C_RPCIT_MAP_PER_S, compare_per_second(st->rpcit_map, st), 3);
	put_real(c, C_RPCIT_UNMAP_PER_S, compare_per_second(st->rpcit_unmap, st), 3);
	put_real(c, C_RPCIT_GLOBAL_PER_S, compare_per_second(st->rpcit_global, st), 3);
	put_u64(c, C_FQ_FLUSHES, st->fq_flushes);
	put_u64(c, C_LEGACY_WRAPS, st->legacy_wraps);
	put_u64(c, C_BUDGET_EXHAUSTED, st->budget_exhausted);
	put_u64(c, C_MAP_FAILURES, st->map_failures);
	put_u64(c, C_IO_ERRORS, st->io_errors);
	put_real(c, C_SERVER_UTIL, st->server_util, 6);
	put_real(c, C_SERVER_WAIT_US, st->server_wait_us, 3);
	put_real(c, C_CPU_UTIL, st->cpu_util, 6);
	put_real(c, C_DEVICE_UTIL, st->device_util, 6);
	if (r->has_ratio)
		put_real(c, C_RATIO_TO_LEGACY, r->ratio, 4);
	else
		c->v[C_RATIO_TO_LEGACY] = NULL;
	put_u64(c, C_SECOND_PASSES, st->platform.second_passes);
	put_u64(c, C_HOST_MAPS, st->platform.host_maps);
	put_u64(c, C_HOST_UNMAPS, st->platform.host_unmaps);
	put_u64(c, C_SHADOW_PAGES_MAX, st->platform.shadow_pages_max);
	put_study(c, o, &r->s);
}

double compare_per_second(uint64_t count, const struct iommusim_sim_stats *st)
{
	return st->sim_seconds > 0 ? (double)count / st->sim_seconds : NAN;
}

void compare_workload_name(const struct iommusim_nvme_config *nvme, char *buf, size_t len)
{
	snprintf(buf, len, "%uk-%s%s-%ux%u", (unsigned int)(nvme->block_size / 1024),
		 nvme->sequential ? "seq" : "rand", nvme->write ? "write" : "read", nvme->jobs,
		 nvme->iodepth);
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

/* ---- the files ---- */

void compare_write_csv(FILE *f, const struct compare_opts *o, const struct compare_row *rows,
		       size_t nrows)
{
	struct cells c;

	for (int i = 0; i < NR_COLS; i++)
		fprintf(f, "%s%s", i ? "," : "", col_names[i]);
	fputc('\n', f);
	/* No cell holds a comma, quote or line break: names, numbers, and the workload's name. */
	for (size_t r = 0; r < nrows; r++) {
		make_cells(o, &rows[r], &c);
		for (int i = 0; i < NR_COLS; i++)
			fprintf(f, "%s%s", i ? "," : "", c.v[i] ? c.v[i] : "");
		fputc('\n', f);
	}
}

static void json_strings(FILE *f, const char *const *s, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		json_string(f, s[i]);
	}
	fputc(']', f);
}

static void write_meta_scenario(FILE *f, const struct compare_opts *o)
{
	const struct iommusim_scenario *sc = o->sc;
	char workload[64], measure[32], warmup[32];

	compare_workload_name(&sc->nvme, workload, sizeof(workload));
	compare_seconds(measure, sizeof(measure), sc->measure_ns);
	compare_seconds(warmup, sizeof(warmup), sc->warmup_ns);
	fputs("{\"name\": ", f);
	json_string(f, sc->name);
	fputs(", \"summary\": ", f);
	json_string(f, sc->summary);
	fputs(", \"platforms\": ", f);
	json_string(f, sc->platforms);
	fprintf(f, ", \"cpus\": %u, \"guest_memory_bytes\": %" PRIu64 ", \"workload\": ", sc->cpus,
		sc->guest_memory);
	json_string(f, workload);
	fprintf(f,
		", \"jobs\": %u, \"iodepth\": %u, \"block_size_bytes\": %" PRIu32
		", \"sequential\": %s, \"write\": %s, \"seconds\": %s, \"warmup_seconds\": %s"
		", \"settings\": ",
		sc->nvme.jobs, sc->nvme.iodepth, sc->nvme.block_size,
		sc->nvme.sequential ? "true" : "false", sc->nvme.write ? "true" : "false", measure,
		warmup);
	json_strings(f, sc->settings, sc->nsettings);
	fputc('}', f);
}

/* The study's settings, and with --uncertainty the parameters its draws vary. */
static void write_meta_study(FILE *f, const struct compare_opts *o,
			     const struct iommusim_cost *const *costs)
{
	enum iommusim_cost_id ids[IOMMUSIM_COST_NR];
	size_t n;

	fprintf(f, ",\n  \"repeat\": %u, \"uncertainty\": %u, \"uncertainty_all\": %s", o->repeat,
		o->draws, o->draw_fitted ? "true" : "false");
	if (!o->draws)
		return;
	/* The same on every platform: what a draw holds depends only on the table and --set. */
	n = iommusim_study_params(costs[0], o->draw_fitted ? IOMMUSIM_STUDY_FITTED : 0, ids,
				  IOMMUSIM_COST_NR);
	fputs(", \"uncertainty_params\": [", f);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		json_string(f, iommusim_cost_param(ids[i])->name);
	}
	fputc(']', f);
}

void compare_write_meta(FILE *f, const struct compare_opts *o,
			const struct iommusim_cost *const *costs)
{
	char measure[32], warmup[32];

	compare_seconds(measure, sizeof(measure), o->measure_ns);
	compare_seconds(warmup, sizeof(warmup), o->warmup_ns);
	fputs("{\"meta\": {\"version\": ", f);
	json_string(f, iommusim_version());
	fputs(", \"git\": ", f);
	json_string(f, iommusim_git_describe());
	/* The program's own path differs between machines; its name does not. */
	fputs(",\n  \"command\": [\"iommusim-bench\"", f);
	for (int i = 0; i < o->nargs; i++) {
		/* --jobs changes how long the report takes, never what it says. */
		if (o->args[i] == o->jobs_args[0] || o->args[i] == o->jobs_args[1])
			continue;
		fputs(", ", f);
		json_string(f, o->args[i]);
	}
	fputs("],\n  \"scenario\": ", f);
	write_meta_scenario(f, o);
	fprintf(f, ",\n  \"seed\": %" PRIu64 ", \"seconds\": %s, \"warmup_seconds\": %s",
		o->seed, measure, warmup);
	fputs(", \"sets\": ", f);
	json_strings(f, o->sets, o->nsets);
	write_meta_study(f, o, costs);
	fputs(",\n  \"platforms\": [", f);
	for (size_t i = 0; i < o->nplatforms; i++) {
		fputs(i ? ", " : "", f);
		json_string(f, o->platforms[i]);
	}
	fputs("], \"policies\": [", f);
	for (size_t i = 0; i < o->npolicies; i++) {
		fputs(i ? ", " : "", f);
		json_string(f, iommusim_policy_name(o->policies[i]));
	}
	fputs("],\n  \"config\": {", f);
	for (size_t i = 0; i < o->nplatforms; i++) {
		fputs(i ? ",\n   " : "\n   ", f);
		json_string(f, o->platforms[i]);
		fputs(": ", f);
		iommusim_cost_write_json(costs[i], f);
	}
	fputc('}', f);
}

void compare_write_json(FILE *f, const struct compare_opts *o,
			const struct iommusim_cost *const *costs, const struct compare_row *rows,
			size_t nrows)
{
	struct cells c;

	compare_write_meta(f, o, costs);
	fputs("},\n \"rows\": [", f);
	for (size_t r = 0; r < nrows; r++) {
		make_cells(o, &rows[r], &c);
		fputs(r ? ",\n  {" : "\n  {", f);
		for (int i = 0; i < NR_COLS; i++) {
			fprintf(f, "%s\"%s\": ", i ? ", " : "", col_names[i]);
			if (col_text((enum col)i))
				json_string(f, c.v[i]);
			else
				fputs(c.v[i] ? c.v[i] : "null", f);
		}
		fputc('}', f);
	}
	fputs("\n]}\n", f);
}
