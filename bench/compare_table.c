/* SPDX-License-Identifier: MIT */
/*
 * The table iommusim-bench compare prints on stdout: header lines naming what ran, one row per
 * platform and policy with fewer digits than the files, and with --repeat or --uncertainty
 * the means and bands of the study. Fixed printf formats only, so the same report is the
 * same bytes on any machine.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"

enum tcol {
	T_PLATFORM, T_POLICY, T_FQ, T_IOPS, T_IOPS_MEAN, T_MBPS, T_MEAN, T_P99, T_RPCIT_MAP,
	T_RPCIT_UNMAP, T_RPCIT_GLOBAL, T_BUDGET, T_MAP_FAIL, T_IO_ERR, T_SERVER, T_CPU, T_DEVICE,
	T_RATIO, T_RATIO_MEAN, T_FLIPS, NR_TCOLS
};

/* The CSV's and JSON's names (compare_output.c), so that a column reads the same everywhere. */
static const char *const tcol_names[NR_TCOLS] = {
	"platform", "policy", "fq", "iops", "iops_mean", "mbps", "lat_mean_us", "lat_p99_us",
	"rpcit_map_per_s", "rpcit_unmap_per_s", "rpcit_global_per_s", "budget_exhausted",
	"map_failures", "io_errors", "server_util", "cpu_util", "device_util", "ratio_to_legacy",
	"ratio_mean", "rank_flips",
};

struct tcells {
	char buf[NR_TCOLS][48];
	const char *v[NR_TCOLS];
};

/* The means need several seeds, the flips draws; the other columns are always there. */
static bool shown(const struct compare_opts *o, enum tcol i)
{
	if (i == T_IOPS_MEAN || i == T_RATIO_MEAN)
		return o->repeat > 1;
	if (i == T_FLIPS)
		return o->draws > 0;
	return true;
}

static void tput(struct tcells *t, enum tcol i, const char *fmt, double v)
{
	if (!isfinite(v)) {
		t->v[i] = "-";
		return;
	}
	snprintf(t->buf[i], sizeof(t->buf[i]), fmt, v);
	t->v[i] = t->buf[i];
}

static void tput_u64(struct tcells *t, enum tcol i, uint64_t v)
{
	snprintf(t->buf[i], sizeof(t->buf[i]), "%" PRIu64, v);
	t->v[i] = t->buf[i];
}

/* "0.805 [0.781-0.822]": the point, then the 5th-95th percentile band when there is one. */
static void tput_band(struct tcells *t, enum tcol i, const char *fmt, double point, const double *p)
{
	char f[32];

	if (!isfinite(point) || !isfinite(p[0]) || !isfinite(p[2])) {
		tput(t, i, fmt, point);
		return;
	}
	snprintf(f, sizeof(f), "%s [%s-%s]", fmt, fmt, fmt);
	snprintf(t->buf[i], sizeof(t->buf[i]), f, point, p[0], p[2]);
	t->v[i] = t->buf[i];
}

/* "964700 +-1200": the mean over seeds and half its 95 % interval. */
static void tput_mean(struct tcells *t, enum tcol i, const char *fmt, double mean, double ci)
{
	char f[32];

	if (!isfinite(mean) || !isfinite(ci)) {
		tput(t, i, fmt, mean);
		return;
	}
	snprintf(f, sizeof(f), "%s +-%s", fmt, fmt);
	snprintf(t->buf[i], sizeof(t->buf[i]), f, mean, ci);
	t->v[i] = t->buf[i];
}

/* The screen shows fewer digits than the files; the same rounding rule (printf's). */
static void make_tcells(const struct compare_row *r, struct tcells *t)
{
	const struct compare_study *s = &r->s;

	t->v[T_PLATFORM] = r->platform;
	t->v[T_POLICY] = iommusim_policy_name(r->policy);
	if (r->st.fq_size) {
		snprintf(t->buf[T_FQ], sizeof(t->buf[T_FQ]), "%" PRIu32 "/%" PRIu32 "ms",
			 r->st.fq_size, r->st.fq_timeout_ms);
		t->v[T_FQ] = t->buf[T_FQ];
	} else {
		t->v[T_FQ] = "-";
	}
	tput_band(t, T_IOPS, "%.0f", r->st.iops, s->iops_p);
	tput_mean(t, T_IOPS_MEAN, "%.0f", s->iops_mean, s->iops_ci95);
	tput(t, T_MBPS, "%.1f", r->st.mbps);
	tput(t, T_MEAN, "%.1f", r->st.lat_mean_us);
	tput(t, T_P99, "%.1f", r->st.lat_p99_us);
	tput(t, T_RPCIT_MAP, "%.1f", compare_per_second(r->st.rpcit_map, &r->st));
	tput(t, T_RPCIT_UNMAP, "%.1f", compare_per_second(r->st.rpcit_unmap, &r->st));
	tput(t, T_RPCIT_GLOBAL, "%.1f", compare_per_second(r->st.rpcit_global, &r->st));
	tput_u64(t, T_BUDGET, r->st.budget_exhausted);
	tput_u64(t, T_MAP_FAIL, r->st.map_failures);
	tput_u64(t, T_IO_ERR, r->st.io_errors);
	tput(t, T_SERVER, "%.3f", r->st.server_util);
	tput(t, T_CPU, "%.3f", r->st.cpu_util);
	tput(t, T_DEVICE, "%.3f", r->st.device_util);
	tput_band(t, T_RATIO, "%.3f", r->has_ratio ? r->ratio : NAN, s->ratio_p);
	tput_mean(t, T_RATIO_MEAN, "%.3f", s->ratio_mean, s->ratio_ci95);
	/* The mark keeps its place when absent, so that the fractions stay aligned. */
	tput(t, T_FLIPS, s->rank_flips > COMPARE_FLIPS_MARK ? "%.2f *" : "%.2f  ", s->rank_flips);
}

void compare_print_header(const struct compare_opts *o)
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
	/* What the rows ran with besides each platform's profile (params --profile shows it). */
	fputs("# settings after each platform's profile (scenario's, then --set):", stdout);
	for (size_t i = 0; i < o->sc->nsettings; i++)
		printf(" %s", o->sc->settings[i]);
	for (size_t i = 0; i < o->nsets; i++)
		printf(" %s", o->sets[i]);
	putchar('\n');
}

/* What the study ran, in a line under the header: seeds, draws and what the draws vary. */
static void print_study(const struct compare_opts *o, const struct iommusim_cost *cost)
{
	unsigned int flags = o->draw_fitted ? IOMMUSIM_STUDY_FITTED : 0;

	if (o->repeat == 1 && !o->draws)
		return;
	fputs("# study:", stdout);
	if (o->repeat > 1)
		printf(" seeds %" PRIu64 "-%" PRIu64 " per cell, means +- half their 95 %% "
		       "interval%s",
		       o->seed, o->seed + o->repeat - 1, o->draws ? ";" : "");
	if (o->draws)
		printf(" %u Latin hypercube draws per platform of %zu estimated parameters, "
		       "centred on their values%s",
		       o->draws, iommusim_study_params(cost, flags, NULL, 0),
		       o->draw_fitted ? ", fitted ones included" : ", fitted ones held");
	putchar('\n');
}

static void print_row(const size_t *w, const char *const *v, const struct compare_opts *o)
{
	bool first = true;

	/* Names left-aligned, numbers right-aligned under right-aligned headings. */
	for (int i = 0; i < NR_TCOLS; i++) {
		if (!shown(o, (enum tcol)i))
			continue;
		printf("%s%*s", first ? "" : "  ", i < T_FQ ? -(int)w[i] : (int)w[i], v[i]);
		first = false;
	}
	putchar('\n');
}

void compare_print_table(const struct compare_opts *o, const struct iommusim_cost *const *costs,
			 const struct compare_row *rows, size_t nrows)
{
	size_t w[NR_TCOLS];
	struct tcells t;

	for (int i = 0; i < NR_TCOLS; i++)
		w[i] = strlen(tcol_names[i]);
	for (size_t r = 0; r < nrows; r++) {
		make_tcells(&rows[r], &t);
		for (int i = 0; i < NR_TCOLS; i++)
			if (strlen(t.v[i]) > w[i])
				w[i] = strlen(t.v[i]);
	}
	compare_print_header(o);
	print_study(o, costs[0]);
	print_row(w, tcol_names, o);
	for (size_t r = 0; r < nrows; r++) {
		make_tcells(&rows[r], &t);
		print_row(w, t.v, o);
	}
	printf("# fq: fq_size/fq_timeout_ms; iops, mbps, rpcit_*_per_s: per second of the measured "
	       "interval; lat_*: us; "
	       "budget_exhausted, map_failures, io_errors: counts in the interval; *_util: busy "
	       "share of the interval (cpu_util over all CPUs); ratio_to_legacy: iops over "
	       "legacy's on the platform\n");
	if (o->repeat > 1)
		printf("# iops_mean, ratio_mean: mean over the seeds +- half its 95 %% interval\n");
	if (o->draws)
		printf("# iops, ratio_to_legacy: the point run [5th-95th percentile over the draws]; "
		       "rank_flips: share of draws ranking the policy otherwise by iops, * above "
		       "%.2f\n",
		       COMPARE_FLIPS_MARK);
}
