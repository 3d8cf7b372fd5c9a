/* SPDX-License-Identifier: MIT */
/*
 * The report of iommusim-bench compare: a table on stdout, CSV and JSON files. Each row is
 * formatted once into strings with fixed printf formats (the C locale is never changed), so
 * every form shows the same digits and the same inputs give the same bytes on any machine.
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
	C_FQ_FLUSHES, C_LEGACY_WRAPS, C_BUDGET_EXHAUSTED, C_MAP_FAILURES, C_IO_ERRORS,
	C_SERVER_UTIL, C_SERVER_WAIT_US, C_CPU_UTIL, C_DEVICE_UTIL, C_RATIO_TO_LEGACY,
	C_SECOND_PASSES, C_HOST_MAPS, C_HOST_UNMAPS, C_SHADOW_PAGES_MAX, NR_COLS
};

/* CSV header and JSON keys. */
static const char *const col_names[NR_COLS] = {
	"scenario", "platform", "policy", "workload", "cpus", "fq_size", "fq_timeout_ms", "seed",
	"sim_seconds", "ios_submitted", "ios_completed", "iops", "mbps", "lat_mean_us",
	"lat_p50_us", "lat_p99_us", "lat_max_us", "rpcit_map", "rpcit_unmap", "rpcit_global",
	"fq_flushes", "legacy_wraps", "budget_exhausted", "map_failures", "io_errors",
	"server_util", "server_wait_us", "cpu_util", "device_util", "ratio_to_legacy",
	"second_passes", "host_maps", "host_unmaps", "shadow_pages_max",
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

/* ---- the table ---- */

enum tcol {
	T_PLATFORM, T_POLICY, T_FQ, T_IOPS, T_MBPS, T_MEAN, T_P99, T_RPCIT_MAP, T_RPCIT_UNMAP,
	T_RPCIT_GLOBAL, T_BUDGET, T_MAP_FAIL, T_IO_ERR, T_SERVER, T_RATIO, NR_TCOLS
};

static const char *const tcol_names[NR_TCOLS] = {
	"platform", "policy", "fq", "IOPS", "MB/s", "mean_us", "p99_us", "rpcit_map",
	"rpcit_unmap", "rpcit_global", "budget_exh", "map_fail", "io_err", "server_%",
	"vs_legacy",
};

struct tcells {
	char buf[NR_TCOLS][32];
	const char *v[NR_TCOLS];
};

static void tput(struct tcells *t, enum tcol i, const char *fmt, double v)
{
	if (!isfinite(v)) {
		t->v[i] = "-";
		return;
	}
	snprintf(t->buf[i], sizeof(t->buf[i]), fmt, v);
	t->v[i] = t->buf[i];
}

/* The screen shows fewer digits than the files; the same rounding rule (printf's). */
static void make_tcells(const struct compare_row *r, const struct cells *c, struct tcells *t)
{
	t->v[T_PLATFORM] = c->v[C_PLATFORM];
	t->v[T_POLICY] = c->v[C_POLICY];
	if (r->st.fq_size) {
		snprintf(t->buf[T_FQ], sizeof(t->buf[T_FQ]), "%" PRIu32 "/%" PRIu32 "ms",
			 r->st.fq_size, r->st.fq_timeout_ms);
		t->v[T_FQ] = t->buf[T_FQ];
	} else {
		t->v[T_FQ] = "-";
	}
	tput(t, T_IOPS, "%.0f", r->st.iops);
	tput(t, T_MBPS, "%.1f", r->st.mbps);
	tput(t, T_MEAN, "%.1f", r->st.lat_mean_us);
	tput(t, T_P99, "%.1f", r->st.lat_p99_us);
	t->v[T_RPCIT_MAP] = c->v[C_RPCIT_MAP];
	t->v[T_RPCIT_UNMAP] = c->v[C_RPCIT_UNMAP];
	t->v[T_RPCIT_GLOBAL] = c->v[C_RPCIT_GLOBAL];
	t->v[T_BUDGET] = c->v[C_BUDGET_EXHAUSTED];
	t->v[T_MAP_FAIL] = c->v[C_MAP_FAILURES];
	t->v[T_IO_ERR] = c->v[C_IO_ERRORS];
	tput(t, T_SERVER, "%.1f", r->st.server_util * 100.0);
	if (r->has_ratio)
		tput(t, T_RATIO, "%.3f", r->ratio);
	else
		t->v[T_RATIO] = "-";
}

static void print_header(const struct compare_opts *o)
{
	char workload[64], measure[32], warmup[32];

	compare_workload_name(&o->sc->nvme, workload, sizeof(workload));
	compare_seconds(measure, sizeof(measure), o->measure_ns);
	compare_seconds(warmup, sizeof(warmup), o->warmup_ns);
	printf("# scenario %s (%s, %u CPUs, %" PRIu64 " MiB), seed %" PRIu64
	       ", %s s measured after %s s warm-up, iommusim %s (%s)\n",
	       o->sc->name, workload, o->sc->cpus, o->sc->guest_memory >> 20, o->seed, measure,
	       warmup, iommusim_version(), iommusim_git_describe());
	if (!o->sc->nsettings && !o->nsets)
		return;
	fputs("# settings:", stdout);
	for (size_t i = 0; i < o->sc->nsettings; i++)
		printf(" %s", o->sc->settings[i]);
	for (size_t i = 0; i < o->nsets; i++)
		printf(" %s", o->sets[i]);
	putchar('\n');
}

void compare_print_table(const struct compare_opts *o, const struct compare_row *rows,
			 size_t nrows)
{
	size_t w[NR_TCOLS];
	struct cells c;
	struct tcells t;

	for (int i = 0; i < NR_TCOLS; i++)
		w[i] = strlen(tcol_names[i]);
	for (size_t r = 0; r < nrows; r++) {
		make_cells(o, &rows[r], &c);
		make_tcells(&rows[r], &c, &t);
		for (int i = 0; i < NR_TCOLS; i++)
			if (strlen(t.v[i]) > w[i])
				w[i] = strlen(t.v[i]);
	}
	print_header(o);
	/* Names left-aligned, numbers right-aligned under right-aligned headings. */
	for (int i = 0; i < NR_TCOLS; i++)
		printf("%s%*s", i ? "  " : "", i < T_FQ ? -(int)w[i] : (int)w[i], tcol_names[i]);
	putchar('\n');
	for (size_t r = 0; r < nrows; r++) {
		make_cells(o, &rows[r], &c);
		make_tcells(&rows[r], &c, &t);
		for (int i = 0; i < NR_TCOLS; i++)
			printf("%s%*s", i ? "  " : "", i < T_FQ ? -(int)w[i] : (int)w[i], t.v[i]);
		putchar('\n');
	}
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

static void write_meta(FILE *f, const struct compare_opts *o,
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
		fputs(", ", f);
		json_string(f, o->args[i]);
	}
	fputs("],\n  \"scenario\": ", f);
	write_meta_scenario(f, o);
	fprintf(f, ",\n  \"seed\": %" PRIu64 ", \"seconds\": %s, \"warmup_seconds\": %s",
		o->seed, measure, warmup);
	fputs(", \"sets\": ", f);
	json_strings(f, o->sets, o->nsets);
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
	fputs("}}", f);
}

void compare_write_json(FILE *f, const struct compare_opts *o,
			const struct iommusim_cost *const *costs, const struct compare_row *rows,
			size_t nrows)
{
	struct cells c;

	write_meta(f, o, costs);
	fputs(",\n \"rows\": [", f);
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
