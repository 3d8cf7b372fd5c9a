/* SPDX-License-Identifier: MIT */
/*
 * The words of a figure: the title (scenario, what is drawn against what, the seeds), the
 * axis labels with their units, and the scale of the y axis.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_plot.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = n < 0 ? NULL : malloc((size_t)n + 1);
	if (!s)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* The unit a column's name implies, or NULL. */
static const char *unit_of(const char *name)
{
	static const struct {
		const char *name, *unit;
	} named[] = {
		{"dma.fq_size", "flush-queue entries"},
		{"fq_size", "flush-queue entries"},
		{"iodepth", "I/Os in flight per job"},
		{"jobs", "jobs"},
		{"cpus", "CPUs"},
		{"t_s", "s"},
	};
	static const struct {
		const char *suffix, *unit;
	} suffixed[] = {
		{"_per_s", "1/s"},   {"_us", "µs"},	{"_ns", "ns"},
		{"_ms", "ms"},	     {"_seconds", "s"}, {"_s", "s"},
		{"_bytes", "bytes"}, {"_mhz", "MHz"},	{"_util", "busy share, 0 to 1"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(named); i++)
		if (!strcmp(name, named[i].name))
			return named[i].unit;
	for (size_t i = 0; i < ARRAY_SIZE(suffixed); i++)
		if (ends_with(name, suffixed[i].suffix))
			return suffixed[i].unit;
	return NULL;
}

static const char *y_short(const char *y)
{
	if (!strcmp(y, "iops"))
		return "IOPS";
	if (!strcmp(y, "ratio"))
		return "IOPS relative to legacy";
	if (!strcmp(y, "mbps"))
		return "throughput";
	return y;
}

/* The label of the y axis, whose values are divided by @scale. */
static char *y_label(const char *y, double scale)
{
	const char *unit, *many = scale == 1e6 ? "millions" : scale == 1e3 ? "thousands" : NULL;

	if (!strcmp(y, "iops"))
		return xasprintf("IOPS (%s%sI/Os completed per simulated second)", many ? many : "",
				 many ? " of " : "");
	if (!strcmp(y, "ratio"))
		return xasprintf("IOPS / legacy's IOPS on the same platform");
	if (!strcmp(y, "mbps"))
		return xasprintf("throughput (10^6 bytes per simulated second%s%s)",
				 many ? ", in " : "", many ? many : "");
	unit = unit_of(y);
	return xasprintf("%s%s%s%s%s%s", y, unit || many ? " (" : "", unit ? unit : "",
			 unit && many ? ", in "
			 : many	      ? "in "
				      : "",
			 many ? many : "", unit || many ? ")" : "");
}

static char *x_label(const char *x, bool timeseries, bool logx)
{
	const char *unit = unit_of(x);

	if (timeseries)
		return xasprintf("simulated time at the end of the interval (s, column %s)", x);
	return xasprintf("%s%s%s%s%s", x, unit ? " (" : "", unit ? unit : "", unit ? ")" : "",
			 logx ? ", log scale" : "");
}

/* "seed 1", "seeds 1-3": what the rows ran with, or "" without a seed column. */
static void seeds_text(const struct plot_table *t, char *buf, size_t len)
{
	int sc = plot_table_col(t, "seed"), rc = plot_table_col(t, "repeats");
	double lo = INFINITY, hi = -INFINITY, s, r;

	buf[0] = '\0';
	if (sc < 0)
		return;
	for (size_t i = 0; i < t->nrows; i++) {
		if (plot_parse_number(plot_cell(t, i, sc), &s))
			continue;
		if (rc < 0 || plot_parse_number(plot_cell(t, i, rc), &r) || r < 1)
			r = 1;
		lo = fmin(lo, s);
		hi = fmax(hi, s + r - 1);
	}
	if (lo > hi)
		return;
	if (lo == hi)
		snprintf(buf, len, "seed %.0f", lo);
	else
		snprintf(buf, len, "seeds %.0f-%.0f", lo, hi);
}

/* The distinct values of column @c, joined by ", ", in the order of first appearance. */
static void distinct_text(const struct plot_table *t, int c, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t r = 0; c >= 0 && r < t->nrows; r++) {
		const char *v = plot_cell(t, r, c);
		bool seen = false;

		for (size_t q = 0; q < r && !seen; q++)
			seen = !strcmp(plot_cell(t, q, c), v);
		if (!seen && *v && used + 1 < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
						 v);
	}
}

int plot_figure_label(const struct plot_request *req, const struct plot_table *t,
		      struct plot_figure *fig)
{
	char scen[256], seeds[64];

	distinct_text(t, plot_table_col(t, "scenario"), scen, sizeof(scen));
	seeds_text(t, seeds, sizeof(seeds));
	fig->xlabel = x_label(fig->xcol, req->timeseries, fig->logx);
	/* tics of 200 with "thousands" in the label read better than 200000 or 200k */
	fig->yscale = isnan(fig->ymax) || fig->ymax < 1e4 || fig->logy ? 1
		      : fig->ymax < 1e7				       ? 1e3
								       : 1e6;
	fig->ylabel = y_label(req->y, fig->yscale);
	if (fig->ylabel && fig->logy) {
		char *l = xasprintf("%s, log scale", fig->ylabel);

		free(fig->ylabel);
		fig->ylabel = l;
	}
	if (req->title)
		fig->title = xasprintf("%s", req->title);
	else if (req->timeseries)
		fig->title = xasprintf("%s%s%s%s per interval%s%s", scen[0] ? "scenario " : "",
				       scen, scen[0] ? ": " : "", y_short(req->y),
				       seeds[0] ? ", " : "", seeds);
	else
		fig->title = xasprintf("%s%s%s%s against %s%s%s%s", scen[0] ? "scenario " : "",
				       scen, scen[0] ? ": " : "", y_short(req->y), fig->xcol,
				       seeds[0] ? ", " : "", seeds,
				       fig->locol ? " (mean and 95 % interval)" : "");
	if (!fig->title || !fig->xlabel || !fig->ylabel) {
		fprintf(stderr, "plot: out of memory\n");
		return -1;
	}
	return 0;
}
