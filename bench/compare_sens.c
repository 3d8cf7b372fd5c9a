/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench compare --sensitivity: a tornado table for one cell. Every estimated
 * parameter the user did not set goes to its minimum, then to its maximum, the others staying
 * as resolved; the policy and legacy run at each, and the rows rank the parameters by how far
 * the ratio between the two moves. One simulation per (parameter, extreme, policy), run on the
 * pool like any other, so the table is the same for any --jobs.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "compare.h"

#define CMD "compare"

/*
 * Tasks: 0 and 1 the baseline (the policy, then legacy); then four per parameter p, from
 * 2 + 4p: the policy and legacy at p's minimum, the policy and legacy at its maximum.
 */
struct sens {
	const struct compare_opts *o;
	enum iommusim_cost_id ids[IOMMUSIM_COST_NR];
	size_t nids;
	double *iops; /* by task */
};

struct sens_row {
	enum iommusim_cost_id id;
	double ratio[2], iops[2]; /* at the minimum, at the maximum */
	double effect;		  /* |ratio at max - ratio at min|; NaN without a ratio */
};

/*
 * The report's columns: the table shows fewer digits than the files (ratios and the effect
 * with 3 decimals there, 4 here; IOPS with 0, 1 here). A missing value: legacy completed
 * nothing.
 */
enum {
	S_PARAM,
	S_MIN,
	S_MAX,
	S_RATIO_MIN_T,
	S_RATIO_MIN,
	S_RATIO_MAX_T,
	S_RATIO_MAX,
	S_IOPS_MIN_T,
	S_IOPS_MIN,
	S_IOPS_MAX_T,
	S_IOPS_MAX,
	S_EFFECT_T,
	S_EFFECT,
	NR_S
};

/* clang-format off */
#define FIG(n, where, d)                                                                   \
	{ n, IOMMUSIM_REPORT_REAL, where, IOMMUSIM_REPORT_RIGHT | IOMMUSIM_REPORT_NULLABLE, d, 0, \
	  NULL, NULL, NULL }
/* clang-format on */
#define TABLE_FIG(n, d) FIG(n, IOMMUSIM_REPORT_TABLE, d)
#define FILE_FIG(n, d)	FIG(n, IOMMUSIM_REPORT_FILES, d)

static const struct iommusim_report_column s_cols[NR_S] = {
	[S_PARAM] = {"parameter", IOMMUSIM_REPORT_STRING, 0, 0, 0, 0, NULL, NULL, NULL},
	[S_MIN] = {"min", IOMMUSIM_REPORT_UINT, 0, IOMMUSIM_REPORT_RIGHT, 0, 0, NULL, NULL, NULL},
	[S_MAX] = {"max", IOMMUSIM_REPORT_UINT, 0, IOMMUSIM_REPORT_RIGHT, 0, 0, NULL, NULL, NULL},
	[S_RATIO_MIN_T] = TABLE_FIG("ratio_at_min", 3),
	[S_RATIO_MIN] = FILE_FIG("ratio_at_min", 4),
	[S_RATIO_MAX_T] = TABLE_FIG("ratio_at_max", 3),
	[S_RATIO_MAX] = FILE_FIG("ratio_at_max", 4),
	[S_IOPS_MIN_T] = TABLE_FIG("iops_at_min", 0),
	[S_IOPS_MIN] = FILE_FIG("iops_at_min", 1),
	[S_IOPS_MAX_T] = TABLE_FIG("iops_at_max", 0),
	[S_IOPS_MAX] = FILE_FIG("iops_at_max", 1),
	[S_EFFECT_T] = TABLE_FIG("effect", 3),
	[S_EFFECT] = FILE_FIG("effect", 4),
};

static void sens_task(const struct compare_plan *p, size_t index, struct compare_task *t)
{
	const struct sens *s = p->ctx;

	t->platform = 0;
	t->policy = index % 2 ? IOMMUSIM_POLICY_LEGACY : p->o->policies[0];
	t->seed = p->o->seed;
	t->draw = 0;
	if (index < 2) {
		t->vary = COMPARE_POINT;
		t->param = IOMMUSIM_COST_NR;
		return;
	}
	t->vary = (index - 2) % 4 < 2 ? COMPARE_AT_MIN : COMPARE_AT_MAX;
	t->param = s->ids[(index - 2) / 4];
}

static void sens_done(struct compare_plan *p, size_t index, const struct iommusim_sim_stats *st)
{
	struct sens *s = p->ctx;

	s->iops[index] = st->iops;
}

static double ratio(double iops, double legacy)
{
	return legacy > 0 ? iops / legacy : NAN;
}

/* Largest effect first, rows without one last, ties in table order. */
static int cmp_rows(const void *a, const void *b)
{
	const struct sens_row *x = a, *y = b;
	bool nx = isnan(x->effect), ny = isnan(y->effect);

	if (nx != ny)
		return nx - ny;
	if (!nx && x->effect != y->effect)
		return x->effect < y->effect ? 1 : -1;
	return (x->id > y->id) - (x->id < y->id);
}

static void make_rows(const struct sens *s, struct sens_row *rows)
{
	for (size_t p = 0; p < s->nids; p++) {
		const double *v = &s->iops[2 + 4 * p];

		rows[p].id = s->ids[p];
		for (int e = 0; e < 2; e++) {
			rows[p].iops[e] = v[2 * e];
			rows[p].ratio[e] = ratio(v[2 * e], v[2 * e + 1]);
		}
		rows[p].effect = fabs(rows[p].ratio[1] - rows[p].ratio[0]);
	}
	qsort(rows, s->nids, sizeof(*rows), cmp_rows);
}

/* Each figure twice: for the table, then for the files. */
static void put_fig(struct iommusim_report *rep, int col, double v)
{
	iommusim_report_set_real(rep, (size_t)col, v);
	iommusim_report_set_real(rep, (size_t)col + 1, v);
}

static void sens_meta(struct iommusim_report *rep, const struct sens *s,
		      const struct iommusim_cost *cost)
{
	struct iommusim_report_value *m = iommusim_report_meta(rep), *v;

	compare_report_meta(rep, s->o, &cost);
	iommusim_report_newline(m);
	v = iommusim_report_add_object(m, "sensitivity");
	iommusim_report_add_str(v, "platform", s->o->platforms[0]);
	iommusim_report_add_str(v, "policy", iommusim_policy_name(s->o->policies[0]));
	iommusim_report_add_uint(v, "parameters", s->nids);
	iommusim_report_add_real(v, "baseline_iops", s->iops[0], 1);
	iommusim_report_add_real(v, "baseline_legacy_iops", s->iops[1], 1);
	iommusim_report_add_real(v, "baseline_ratio", ratio(s->iops[0], s->iops[1]), 4);
}

/* compare's header and meta with the study's own, then one row per parameter. */
static void fill_report(struct iommusim_report *rep, const struct sens *s,
			const struct iommusim_cost *cost, const struct sens_row *rows)
{
	const struct compare_opts *o = s->o;
	double base = ratio(s->iops[0], s->iops[1]);

	sens_meta(rep, s, cost);
	compare_report_header(rep, o);
	iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE,
			     "# sensitivity of %s against legacy on %s: %zu estimated parameters, "
			     "each at its minimum, then its maximum, the others as resolved; "
			     "baseline ratio ",
			     iommusim_policy_name(o->policies[0]), o->platforms[0], s->nids);
	if (isfinite(base))
		iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE, "%.3f", base);
	else
		iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE, "-");
	iommusim_report_note(rep, IOMMUSIM_REPORT_ABOVE, " (%.0f / %.0f IOPS)\n", s->iops[0],
			     s->iops[1]);
	for (size_t r = 0; r < s->nids; r++) {
		const struct iommusim_cost_param *p = iommusim_cost_param(rows[r].id);

		iommusim_report_add_row(rep);
		iommusim_report_set_str(rep, S_PARAM, p->name);
		iommusim_report_set_uint(rep, S_MIN, p->min);
		iommusim_report_set_uint(rep, S_MAX, p->max);
		put_fig(rep, S_RATIO_MIN_T, rows[r].ratio[0]);
		put_fig(rep, S_RATIO_MAX_T, rows[r].ratio[1]);
		put_fig(rep, S_IOPS_MIN_T, rows[r].iops[0]);
		put_fig(rep, S_IOPS_MAX_T, rows[r].iops[1]);
		put_fig(rep, S_EFFECT_T, rows[r].effect);
	}
}

int compare_sensitivity(const struct compare_opts *o, const struct iommusim_cost *cost,
			struct outfile *csv, struct outfile *json)
{
	struct sens s = {.o = o};
	struct compare_plan plan = {.o = o, .task = sens_task, .done = sens_done, .ctx = &s};
	struct iommusim_report *rep = NULL;
	struct sens_row *rows;
	int ret, err;

	/*
	 * Fitted parameters too: the table shows what each one does, not what is known. Those of
	 * other platforms' models are left out: the platform does not read them.
	 */
	s.nids = 0;
	for (size_t i = 0,
		    n = iommusim_study_params(cost, IOMMUSIM_STUDY_FITTED, s.ids, IOMMUSIM_COST_NR);
	     i < n; i++)
		if (iommusim_platform_reads(o->kinds[0], s.ids[i]))
			s.ids[s.nids++] = s.ids[i];
	plan.ntasks = 2 + 4 * s.nids;
	s.iops = calloc(plan.ntasks, sizeof(*s.iops));
	rows = calloc(s.nids ? s.nids : 1, sizeof(*rows));
	if (!s.iops || !rows) {
		fprintf(stderr, CMD ": out of memory\n");
		ret = 1;
		goto out;
	}
	ret = compare_run(&plan);
	if (ret)
		goto out;
	make_rows(&s, rows);
	err = iommusim_report_create(NULL, s_cols, NR_S, &rep);
	if (!err)
		fill_report(rep, &s, cost, rows);
	ret = bench_report_emit(CMD, err, rep, csv, json);
out:
	iommusim_report_destroy(rep);
	free(rows);
	free(s.iops);
	return ret;
}
