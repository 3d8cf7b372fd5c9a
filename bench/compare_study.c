/* SPDX-License-Identifier: MIT */
/*
 * The matrix of iommusim-bench compare as tasks (every cell with every seed, at the point
 * and in every draw), and what the rows report over them: the first seed's figures, the mean
 * over seeds with its 95 % interval, the percentiles over draws and how often a draw ranks
 * the policies otherwise. Every sum runs in a fixed order (or over integers), so the figures
 * do not depend on the order in which the simulations finished.
 */
#include <math.h>
#include <stdlib.h>
#include <iommusim/iommusim.h>

#include "compare.h"

static size_t ncells(const struct compare_opts *o)
{
	return o->nplatforms * o->npolicies;
}

/*
 * Task numbers: ((d * cells + c) * repeat + r), d = 0 the point run and d = 1..draws the
 * draws, c the cell (platform-major), r the seed offset. A plain run is numbered as the rows
 * are, and the point runs, which fill the table's main columns, come first.
 */
static void matrix_task(const struct compare_plan *p, size_t index, struct compare_task *t)
{
	const struct compare_opts *o = p->o;
	size_t r = index % o->repeat, c = index / o->repeat % ncells(o);
	size_t d = index / o->repeat / ncells(o);

	t->platform = c / o->npolicies;
	t->policy = o->policies[c % o->npolicies];
	t->seed = o->seed + r;
	t->vary = d ? COMPARE_DRAW : COMPARE_POINT;
	t->draw = d ? (uint32_t)(d - 1) : 0;
	t->param = IOMMUSIM_COST_NR;
}

static void matrix_done(struct compare_plan *p, size_t index, const struct iommusim_sim_stats *st)
{
	const struct compare_opts *o = p->o;
	struct compare_matrix *m = p->ctx;
	size_t r = index % o->repeat, c = index / o->repeat % ncells(o);
	size_t d = index / o->repeat / ncells(o);

	if (d == 0) {
		m->seed_iops[c * o->repeat + r] = st->iops;
		if (r == 0)
			m->rows[c].st = *st;
	} else {
		/* An integer sum: the same whatever order the seeds finish in. */
		m->draw_ios[c * o->draws + d - 1] += st->ios_completed;
	}
}

void compare_matrix_plan(const struct compare_opts *o, struct compare_matrix *m,
			 struct compare_plan *plan)
{
	for (size_t c = 0; c < ncells(o); c++) {
		m->rows[c].platform = o->platforms[c / o->npolicies];
		m->rows[c].kind = o->kinds[c / o->npolicies];
		m->rows[c].policy = o->policies[c % o->npolicies];
	}
	plan->o = o;
	plan->ntasks = ncells(o) * o->repeat * (1 + (size_t)o->draws);
	plan->task = matrix_task;
	plan->done = matrix_done;
	plan->ctx = m;
}

/* The index of legacy among o's policies, or -1. */
static long legacy_index(const struct compare_opts *o)
{
	for (size_t j = 0; j < o->npolicies; j++)
		if (o->policies[j] == IOMMUSIM_POLICY_LEGACY)
			return (long)j;
	return -1;
}

/* Each policy's first-seed IOPS over legacy's on the same platform. */
static void first_seed_ratios(const struct compare_opts *o, struct compare_row *r, long lg)
{
	for (size_t j = 0; j < o->npolicies; j++) {
		r[j].has_ratio = lg >= 0 && r[lg].st.iops > 0;
		r[j].ratio = r[j].has_ratio ? r[j].st.iops / r[lg].st.iops : 0;
	}
}

/* Mean and interval over the seeds; ratios seed by seed, when legacy did I/O on every seed. */
static void seed_stats(const struct compare_opts *o, const double *iops, const double *legacy,
		       struct compare_study *s, double *tmp)
{
	size_t k = o->repeat;

	s->iops_mean = iommusim_study_mean(iops, k);
	s->iops_ci95 = iommusim_study_ci95(iops, k);
	s->ratio_mean = s->ratio_ci95 = NAN;
	if (!legacy)
		return;
	for (size_t r = 0; r < k; r++) {
		if (!(legacy[r] > 0))
			return;
		tmp[r] = iops[r] / legacy[r];
	}
	s->ratio_mean = iommusim_study_mean(tmp, k);
	s->ratio_ci95 = iommusim_study_ci95(tmp, k);
}

static void percentiles(double *x, size_t n, double *out)
{
	/* what compare_study.iops_p and ratio_p hold */
	static const double pcts[3] = {5.0, 50.0, 95.0};

	iommusim_study_sort(x, n);
	for (int i = 0; i < 3; i++)
		out[i] = iommusim_study_percentile(x, n, pcts[i]);
}

/*
 * One platform's draws: @iops[j * draws + d] is policy j's IOPS in draw d (the mean over the
 * seeds). Percentiles of IOPS and of the ratio within each draw, and the rank flips against
 * the point run's ranking by mean IOPS.
 */
static void draw_stats(const struct compare_opts *o, struct compare_row *rows, long lg,
		       const double *iops, double *tmp)
{
	size_t n = o->draws, np = o->npolicies;
	double point[IOMMUSIM_POLICY_NR], indraw[IOMMUSIM_POLICY_NR];

	for (size_t j = 0; j < np; j++)
		point[j] = rows[j].s.iops_mean;
	for (size_t j = 0; j < np; j++) {
		struct compare_study *s = &rows[j].s;
		size_t rank = iommusim_study_rank(point, np, j), flips = 0;
		bool ratio = lg >= 0;

		for (size_t d = 0; d < n; d++) {
			for (size_t q = 0; q < np; q++)
				indraw[q] = iops[q * n + d];
			flips += iommusim_study_rank(indraw, np, j) != rank;
			ratio = ratio && iops[(size_t)lg * n + d] > 0;
			tmp[d] = iops[j * n + d];
		}
		s->rank_flips = (double)flips / (double)n;
		percentiles(tmp, n, s->iops_p);
		for (int i = 0; i < 3; i++)
			s->ratio_p[i] = NAN;
		if (!ratio)
			continue;
		for (size_t d = 0; d < n; d++)
			tmp[d] = iops[j * n + d] / iops[(size_t)lg * n + d];
		percentiles(tmp, n, s->ratio_p);
	}
}

static void no_draws(struct compare_study *s)
{
	for (int i = 0; i < 3; i++)
		s->iops_p[i] = s->ratio_p[i] = NAN;
	s->rank_flips = NAN;
}

int compare_summarise(const struct compare_opts *o, struct compare_matrix *m)
{
	size_t np = o->npolicies, k = o->repeat, n = o->draws;
	double *tmp = malloc((k > n ? k : n) * sizeof(*tmp));
	double *iops = malloc((n ? n : 1) * np * sizeof(*iops));
	long lg = legacy_index(o);

	if (!tmp || !iops) {
		free(tmp);
		free(iops);
		return -1;
	}
	for (size_t i = 0; i < o->nplatforms; i++) {
		struct compare_row *r = &m->rows[i * np];
		const double *seeds = &m->seed_iops[i * np * k];

		first_seed_ratios(o, r, lg);
		for (size_t j = 0; j < np; j++) {
			seed_stats(o, &seeds[j * k], lg >= 0 ? &seeds[(size_t)lg * k] : NULL,
				   &r[j].s, tmp);
			no_draws(&r[j].s);
		}
		if (!n)
			continue;
		/* A draw's IOPS: its I/Os over all seeds' measured time. */
		for (size_t j = 0; j < np; j++)
			for (size_t d = 0; d < n; d++)
				iops[j * n + d] = (double)m->draw_ios[(i * np + j) * n + d] /
						  ((double)k * r[j].st.sim_seconds);
		draw_stats(o, r, lg, iops, tmp);
	}
	free(tmp);
	free(iops);
	return 0;
}
