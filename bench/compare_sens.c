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

#include "cli.h"
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

enum { S_PARAM, S_MIN, S_MAX, S_RATIO_MIN, S_RATIO_MAX, S_IOPS_MIN, S_IOPS_MAX, S_EFFECT, NR_S };

static const char *const s_names[NR_S] = {
	"parameter", "min", "max", "ratio_at_min", "ratio_at_max", "iops_at_min", "iops_at_max",
	"effect",
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

/* One row as text (fewer digits on the screen than in the files); NULL: a missing value. */
struct scells {
	char buf[NR_S][48];
	const char *v[NR_S];
};

static void sput(struct scells *c, int i, const char *fmt, double v)
{
	if (!isfinite(v)) {
		c->v[i] = NULL;
		return;
	}
	snprintf(c->buf[i], sizeof(c->buf[i]), fmt, v);
	c->v[i] = c->buf[i];
}

static void make_scells(const struct sens_row *r, bool screen, struct scells *c)
{
	const struct iommusim_cost_param *p = iommusim_cost_param(r->id);
	const char *rf = screen ? "%.3f" : "%.4f", *vf = screen ? "%.0f" : "%.1f";

	c->v[S_PARAM] = p->name;
	snprintf(c->buf[S_MIN], sizeof(c->buf[S_MIN]), "%" PRIu64, p->min);
	snprintf(c->buf[S_MAX], sizeof(c->buf[S_MAX]), "%" PRIu64, p->max);
	c->v[S_MIN] = c->buf[S_MIN];
	c->v[S_MAX] = c->buf[S_MAX];
	sput(c, S_RATIO_MIN, rf, r->ratio[0]);
	sput(c, S_RATIO_MAX, rf, r->ratio[1]);
	sput(c, S_IOPS_MIN, vf, r->iops[0]);
	sput(c, S_IOPS_MAX, vf, r->iops[1]);
	sput(c, S_EFFECT, rf, r->effect);
}

static void print_table(const struct sens *s, const struct sens_row *rows)
{
	const struct compare_opts *o = s->o;
	double base = ratio(s->iops[0], s->iops[1]);
	size_t w[NR_S];
	struct scells c;

	for (int i = 0; i < NR_S; i++)
		w[i] = strlen(s_names[i]);
	for (size_t r = 0; r < s->nids; r++) {
		make_scells(&rows[r], true, &c);
		for (int i = 0; i < NR_S; i++)
			if (c.v[i] && strlen(c.v[i]) > w[i])
				w[i] = strlen(c.v[i]);
	}
	compare_print_header(o);
	printf("# sensitivity of %s against legacy on %s: %zu estimated parameters, each at its "
	       "minimum, then its maximum, the others as resolved; baseline ratio ",
	       iommusim_policy_name(o->policies[0]), o->platforms[0], s->nids);
	if (isfinite(base))
		printf("%.3f", base);
	else
		putchar('-');
	printf(" (%.0f / %.0f IOPS)\n", s->iops[0], s->iops[1]);
	for (int i = 0; i < NR_S; i++)
		printf("%s%*s", i ? "  " : "", i ? (int)w[i] : -(int)w[i], s_names[i]);
	putchar('\n');
	for (size_t r = 0; r < s->nids; r++) {
		make_scells(&rows[r], true, &c);
		for (int i = 0; i < NR_S; i++)
			printf("%s%*s", i ? "  " : "", i ? (int)w[i] : -(int)w[i],
			       c.v[i] ? c.v[i] : "-");
		putchar('\n');
	}
}

static void write_csv(FILE *f, const struct sens *s, const struct sens_row *rows)
{
	struct scells c;

	for (int i = 0; i < NR_S; i++)
		fprintf(f, "%s%s", i ? "," : "", s_names[i]);
	fputc('\n', f);
	for (size_t r = 0; r < s->nids; r++) {
		make_scells(&rows[r], false, &c);
		for (int i = 0; i < NR_S; i++)
			fprintf(f, "%s%s", i ? "," : "", c.v[i] ? c.v[i] : "");
		fputc('\n', f);
	}
}

static void json_real(FILE *f, const char *key, double v, int decimals)
{
	fprintf(f, ", \"%s\": ", key);
	if (isfinite(v))
		fprintf(f, "%.*f", decimals, v);
	else
		fputs("null", f);
}

static void write_json(FILE *f, const struct sens *s, const struct iommusim_cost *cost,
		       const struct sens_row *rows)
{
	struct scells c;

	compare_write_meta(f, s->o, &cost);
	fputs(",\n  \"sensitivity\": {\"platform\": ", f);
	json_string(f, s->o->platforms[0]);
	fputs(", \"policy\": ", f);
	json_string(f, iommusim_policy_name(s->o->policies[0]));
	fprintf(f, ", \"parameters\": %zu", s->nids);
	json_real(f, "baseline_iops", s->iops[0], 1);
	json_real(f, "baseline_legacy_iops", s->iops[1], 1);
	json_real(f, "baseline_ratio", ratio(s->iops[0], s->iops[1]), 4);
	fputs("}},\n \"rows\": [", f);
	for (size_t r = 0; r < s->nids; r++) {
		make_scells(&rows[r], false, &c);
		fputs(r ? ",\n  {\"parameter\": " : "\n  {\"parameter\": ", f);
		json_string(f, c.v[S_PARAM]);
		for (int i = S_MIN; i < NR_S; i++)
			fprintf(f, ", \"%s\": %s", s_names[i], c.v[i] ? c.v[i] : "null");
		fputc('}', f);
	}
	fputs("\n]}\n", f);
}

int compare_sensitivity(const struct compare_opts *o, const struct iommusim_cost *cost,
			struct outfile *csv, struct outfile *json)
{
	struct sens s = { .o = o };
	struct compare_plan plan = { .o = o, .task = sens_task, .done = sens_done, .ctx = &s };
	struct sens_row *rows;
	FILE *f;
	int ret;

	/*
	 * Fitted parameters too: the table shows what each one does, not what is known. Those of
	 * other platforms' models are left out: the platform does not read them.
	 */
	s.nids = 0;
	for (size_t i = 0, n = iommusim_study_params(cost, IOMMUSIM_STUDY_FITTED, s.ids,
						     IOMMUSIM_COST_NR);
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
	print_table(&s, rows);
	cli_stdout_flush();
	/* One after the other: a reader of two FIFOs may take them in turn. */
	if ((f = outfile_stream(csv)))
		write_csv(f, &s, rows);
	if (outfile_commit(csv))
		ret = 1;
	if ((f = outfile_stream(json)))
		write_json(f, &s, cost, rows);
	if (outfile_commit(json))
		ret = 1;
out:
	free(rows);
	free(s.iops);
	return ret;
}
