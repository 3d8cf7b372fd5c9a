/* SPDX-License-Identifier: MIT */
/*
 * What iommusim-bench plot draws from a table: the x and y columns, the interval bars, one
 * line per platform and policy, the axes (log or linear), the labels with their units and
 * the title. Every problem with the file is "FILE:LINE: FIELD: problem".
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_plot.h"
#include "compare.h"

/* The policies in compare's order, for stable colours; any other comes after them. */
static const char *const policies[] = {"strict", "fq-percpu", "fq-single", "legacy"};
#define NR_POLICIES 4

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A result column of compare, sweep or a time series: never the swept key. */
static bool is_known(const char *name)
{
	return compare_result_column(name) || compare_series_column(name);
}

/* Whether column @c holds at least two different cells. */
static bool varies(const struct plot_table *t, int c)
{
	for (size_t r = 1; r < t->nrows; r++)
		if (strcmp(plot_cell(t, r, c), plot_cell(t, 0, c)))
			return true;
	return false;
}

static bool all_numbers(const struct plot_table *t, int c)
{
	double v;

	for (size_t r = 0; r < t->nrows; r++)
		if (plot_parse_number(plot_cell(t, r, c), &v))
			return false;
	return true;
}

static bool any_filled(const struct plot_table *t, int c)
{
	for (size_t r = 0; r < t->nrows; r++)
		if (*plot_cell(t, r, c))
			return true;
	return false;
}

bool plot_log_rule(const double *xs, size_t n, unsigned *base)
{
	double lo = INFINITY, hi = -INFINITY;
	bool pow2 = n > 0;

	for (size_t i = 0; i < n; i++) {
		int e;

		if (!(xs[i] > 0))
			return false;
		lo = fmin(lo, xs[i]);
		hi = fmax(hi, xs[i]);
		if (xs[i] < 2 || frexp(xs[i], &e) != 0.5)
			pow2 = false;
	}
	if (pow2 && hi > lo) {
		*base = 2;
		return true;
	}
	*base = 10;
	return n > 0 && hi >= 100 * lo;
}

static int point_cmp(const void *a, const void *b)
{
	const struct plot_point *p = a, *q = b;

	return (p->x > q->x) - (p->x < q->x);
}

/* The y column to draw for --y @y, with its interval columns when every drawn row has them. */
static int pick_y(const char *y, const struct plot_table *t, struct plot_figure *fig)
{
	bool ratio = !strcmp(y, "ratio");
	size_t len = sizeof(fig->store[0]);
	char *mean = fig->store[0], *lo = fig->store[1], *hi = fig->store[2];
	const char *plain = ratio ? "ratio_to_legacy" : y;
	int m, l, h, p;

	snprintf(mean, len, "%s_mean", y);
	snprintf(lo, len, "%s_ci95_lo", y);
	snprintf(hi, len, "%s_ci95_hi", y);
	m = plot_table_col(t, mean);
	l = plot_table_col(t, lo);
	h = plot_table_col(t, hi);
	p = plot_table_col(t, plain);
	if (m >= 0 && any_filled(t, m)) {
		fig->ycol = mean;
		if (l >= 0 && h >= 0) {
			fig->locol = lo;
			fig->hicol = hi;
			/* bars for all lines or none: a line without them would look exact */
			for (size_t r = 0; r < t->nrows; r++)
				if (*plot_cell(t, r, m) &&
				    (!*plot_cell(t, r, l) || !*plot_cell(t, r, h)))
					fig->locol = fig->hicol = NULL;
		}
	} else if (p >= 0) {
		fig->ycol = plain;
	} else {
		char shown[160];

		fprintf(stderr, "%s:1: %s: no such column (nor %s)\n",
			cli_shown(t->path, shown, sizeof(shown)), plain, mean);
		return -1;
	}
	fig->ratio = ratio || !strcmp(fig->ycol, "ratio_to_legacy");
	return 0;
}

/* The x column: given, the sweep's first key, t_s, or the first unknown column that varies. */
static int pick_x(const struct plot_request *req, const struct plot_table *t,
		  struct plot_figure *fig)
{
	char *swept = fig->store[3];
	size_t len = sizeof(fig->store[3]);
	char shown[160];
	int rc;

	cli_shown(t->path, shown, sizeof(shown));
	fig->xcol = req->x ? req->x : req->timeseries ? "t_s" : NULL;
	if (!fig->xcol && req->json) {
		rc = plot_json_first_swept(req->json, swept, len);
		if (rc < 0)
			return -1;
		if (rc == 0)
			fig->xcol = swept;
	}
	if (fig->xcol) {
		if (plot_table_col(t, fig->xcol) < 0) {
			fprintf(stderr, "%s:1: %s: no such column\n", shown, fig->xcol);
			return -1;
		}
		return 0;
	}
	for (size_t c = 0; c < t->ncols; c++)
		if (!is_known(t->names[c]) && varies(t, (int)c) && all_numbers(t, (int)c)) {
			fig->xcol = t->names[c];
			return 0;
		}
	fprintf(stderr, "%s:1: x: no column but the results varies; name the swept one with --x\n",
		shown);
	return -1;
}

static int slot_of_policy(const char *policy, char (*extra)[64], size_t *nextra)
{
	size_t i;

	for (i = 0; i < NR_POLICIES; i++)
		if (!strcmp(policy, policies[i]))
			return (int)i;
	for (i = 0; i < *nextra; i++)
		if (!strcmp(extra[i], policy))
			return NR_POLICIES + (int)i;
	if (*nextra < 32)
		snprintf(extra[(*nextra)++], 64, "%s", policy);
	return NR_POLICIES + (int)i;
}

/* The label naming row @r's line: platform, policy, then each other varying key=value. */
static char *group_label(const struct plot_table *t, size_t r, const int *keys, size_t nkeys)
{
	size_t used = 0, cap = 256;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t k = 0; k < nkeys; k++) {
		const char *v = plot_cell(t, r, keys[k]), *name = t->names[keys[k]];
		bool bare = !strcmp(name, "platform") || !strcmp(name, "policy") ||
			    !strcmp(name, "scenario");
		size_t need = strlen(name) + strlen(v) + 3;

		if (used + need >= cap) {
			char *ns = realloc(s, cap = 2 * (used + need));

			if (!ns) {
				free(s);
				return NULL;
			}
			s = ns;
		}
		used += (size_t)snprintf(s + used, cap - used, "%s%s%s%s", used ? " " : "",
					 bare ? "" : name, bare ? "" : "=", v);
	}
	return s;
}

/* Parse row @r's cell of column @c into @v: 0, or -1 after "FILE:LINE: COLUMN: ...". */
static int number_at(const struct plot_table *t, size_t r, int c, double *v)
{
	char shown[160], cell[80];
	const char *s = plot_cell(t, r, c);

	if (!plot_parse_number(s, v))
		return 0;
	cli_shown(t->path, shown, sizeof(shown));
	if (!*s)
		fprintf(stderr, "%s:%u: %s: empty, a number is needed\n", shown, t->lines[r],
			t->names[c]);
	else
		fprintf(stderr, "%s:%u: %s: not a number: '%s'\n", shown, t->lines[r], t->names[c],
			cli_shown(s, cell, sizeof(cell)));
	return -1;
}

/* The group of row @r, found or added; NULL when out of memory. */
static struct plot_group *group_for(const struct plot_table *t, size_t r, const int *keys,
				    size_t nkeys, struct plot_figure *fig, size_t *first_row)
{
	size_t g;

	for (g = 0; g < fig->ngroups; g++) {
		size_t k;

		for (k = 0; k < nkeys; k++)
			if (strcmp(plot_cell(t, first_row[g], keys[k]), plot_cell(t, r, keys[k])))
				break;
		if (k == nkeys)
			return &fig->groups[g];
	}
	fig->groups[g] = (struct plot_group){.label = group_label(t, r, keys, nkeys)};
	fig->groups[g].pts = calloc(t->nrows, sizeof(struct plot_point));
	first_row[g] = r;
	fig->ngroups++;
	if (!fig->groups[g].label || !fig->groups[g].pts)
		return NULL;
	return &fig->groups[g];
}

/* The lines' keys: platform, policy, the scenario if several, every other unknown key that varies.
 */
static size_t group_keys(const struct plot_table *t, const struct plot_figure *fig, int *keys)
{
	static const char *const ids[] = {"platform", "policy"};
	int xc = plot_table_col(t, fig->xcol), sc = plot_table_col(t, "scenario");
	size_t n = 0;

	if (sc >= 0 && varies(t, sc))
		keys[n++] = sc;
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
		if (plot_table_col(t, ids[i]) >= 0)
			keys[n++] = plot_table_col(t, ids[i]);
	for (size_t c = 0; c < t->ncols; c++)
		if ((int)c != xc && !is_known(t->names[c]) && varies(t, (int)c))
			keys[n++] = (int)c;
	return n;
}

static int fill_groups(const struct plot_request *req, const struct plot_table *t,
		       struct plot_figure *fig)
{
	int xc = plot_table_col(t, fig->xcol), yc = plot_table_col(t, fig->ycol);
	int lc = fig->locol ? plot_table_col(t, fig->locol) : -1;
	int hc = fig->hicol ? plot_table_col(t, fig->hicol) : -1;
	int pc = plot_table_col(t, "policy"), platc = plot_table_col(t, "platform");
	char extra_policies[32][64], platforms[32][64];
	size_t nextra = 0, nplat = 0;
	int *keys = malloc((t->ncols + 1) * sizeof(*keys));
	size_t nkeys, *first_row = malloc(t->nrows * sizeof(*first_row));
	int rc = -1;

	fig->groups = calloc(t->nrows, sizeof(*fig->groups));
	if (!keys || !first_row || !fig->groups)
		goto oom;
	nkeys = group_keys(t, fig, keys);
	for (size_t r = 0; r < t->nrows; r++) {
		struct plot_group *g;
		struct plot_point *p;
		double lo, hi;

		if (!*plot_cell(t, r, yc))
			continue; /* no value: e.g. no legacy run to compare with */
		if (fig->ratio && pc >= 0 && !strcmp(plot_cell(t, r, pc), "legacy"))
			continue; /* 1 by definition: the reference line */
		g = group_for(t, r, keys, nkeys, fig, first_row);
		if (!g)
			goto oom;
		p = &g->pts[g->npts];
		if (number_at(t, r, xc, &p->x) || number_at(t, r, yc, &p->y))
			goto out;
		if (lc >= 0 && (number_at(t, r, lc, &lo) || number_at(t, r, hc, &hi)))
			goto out;
		p->xs = plot_cell(t, r, xc);
		p->ys = plot_cell(t, r, yc);
		p->los = lc >= 0 ? plot_cell(t, r, lc) : NULL;
		p->his = hc >= 0 ? plot_cell(t, r, hc) : NULL;
		p->line = t->lines[r];
		g->npts++;
		if (g->npts == 1) {
			g->policy_slot = pc >= 0 ? slot_of_policy(plot_cell(t, r, pc),
								  extra_policies, &nextra)
						 : 0;
			g->platform_slot = 0;
			if (platc >= 0) {
				const char *pl = plot_cell(t, r, platc);
				size_t i;

				for (i = 0; i < nplat && strcmp(platforms[i], pl); i++)
					;
				if (i == nplat && nplat < 32)
					snprintf(platforms[nplat++], 64, "%s", pl);
				g->platform_slot = (int)i;
			}
		}
	}
	if (!fig->ngroups) {
		char shown[160];

		fprintf(stderr, "%s:2: %s: no row has a value to draw\n",
			cli_shown(t->path, shown, sizeof(shown)), fig->ycol);
		goto out;
	}
	for (size_t g = 0; g < fig->ngroups; g++) {
		struct plot_group *gr = &fig->groups[g];

		qsort(gr->pts, gr->npts, sizeof(*gr->pts), point_cmp);
		for (size_t i = 1; i < gr->npts; i++) {
			const struct plot_point *a = &gr->pts[i - 1], *b = &gr->pts[i];
			char shown[160];

			if (a->x != b->x)
				continue;
			fprintf(stderr, "%s:%u: %s: '%s' has a row at %s already (line %u)%s\n",
				cli_shown(t->path, shown, sizeof(shown)),
				a->line > b->line ? a->line : b->line, fig->xcol, gr->label, a->xs,
				a->line < b->line ? a->line : b->line,
				req->timeseries ? ""
						: "; one row per line and x (--repeat for means)");
			goto out;
		}
	}
	rc = 0;
	goto out;
oom:
	fprintf(stderr, "plot: out of memory\n");
out:
	free(keys);
	free(first_row);
	return rc;
}

static void axes(const struct plot_request *req, struct plot_figure *fig)
{
	double *xs, ymin = 0;
	size_t n = 0;

	fig->xmin = INFINITY;
	fig->xmax = -INFINITY;
	fig->ymax = -INFINITY;
	for (size_t g = 0; g < fig->ngroups; g++)
		n += fig->groups[g].npts;
	xs = malloc(n * sizeof(*xs));
	n = 0;
	for (size_t g = 0; g < fig->ngroups; g++)
		for (size_t i = 0; i < fig->groups[g].npts; i++) {
			const struct plot_point *p = &fig->groups[g].pts[i];
			size_t k;

			fig->xmin = fmin(fig->xmin, p->x);
			fig->xmax = fmax(fig->xmax, p->x);
			fig->ymax = fmax(fig->ymax, p->y);
			ymin = fmin(ymin, p->y);
			if (p->y < fig->ymin || fig->ymin_line == 0) {
				fig->ymin = p->y;
				fig->ymin_line = p->line;
			}
			for (k = 0; xs && k < n && xs[k] != p->x; k++)
				;
			if (xs && k == n)
				xs[n++] = p->x;
		}
	fig->log_base = 10;
	fig->logx = !req->timeseries && xs && plot_log_rule(xs, n, &fig->log_base);
	/* a label under every point when there are few: the swept values themselves */
	fig->nxtics = 0;
	if (!req->timeseries && xs && n <= ARRAY_SIZE(fig->xtics)) {
		memcpy(fig->xtics, xs, n * sizeof(*xs));
		fig->nxtics = n;
	}
	if (ymin < 0)
		fig->ymax = NAN; /* negative values: let gnuplot choose the range */
	free(xs);
}

int plot_figure_build(const struct plot_request *req, const struct plot_table *t,
		      struct plot_figure *fig)
{
	memset(fig, 0, sizeof(*fig));
	fig->source = t->path;
	if (pick_y(req->y, t, fig) || pick_x(req, t, fig) || fill_groups(req, t, fig))
		return -1;
	axes(req, fig);
	fig->logy = req->logy;
	if (fig->logy && !(fig->ymin > 0)) {
		char shown[160];

		fprintf(stderr, "%s:%u: %s: --logy: %g is not above 0\n",
			cli_shown(t->path, shown, sizeof(shown)), fig->ymin_line, fig->ycol,
			fig->ymin);
		return -1;
	}
	return plot_figure_label(req, t, fig);
}

void plot_figure_free(struct plot_figure *fig)
{
	for (size_t g = 0; g < fig->ngroups; g++) {
		free(fig->groups[g].label);
		free(fig->groups[g].pts);
	}
	free(fig->groups);
	free(fig->title);
	free(fig->xlabel);
	free(fig->ylabel);
	memset(fig, 0, sizeof(*fig));
}
