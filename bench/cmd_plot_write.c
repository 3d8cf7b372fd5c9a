/* SPDX-License-Identifier: MIT */
/*
 * The two text files behind a figure: the data (PREFIX.dat, one block per line) and the
 * gnuplot script (PREFIX.gp) that draws it. The script is complete on its own, so a figure
 * can be restyled by editing it and running `gnuplot PREFIX.gp` again.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmd_plot.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Colours by policy (compare's order, then others), dashes and marks by platform. */
static const char *const colours[] = {"#d62728", "#1f77b4", "#2ca02c", "#404040", "#9467bd",
				      "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#ff7f0e"};
static const int dashes[] = {1, 2, 4, 3, 5};
static const int marks[] = {7, 5, 9, 11, 13, 6, 4, 8};

/* @s on one line: a cell may hold a line break, which would end a comment or a string. */
static void put_clean(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

/* @s as a gnuplot single-quoted string, in which only a quote needs escaping (doubled). */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
	}
	fputc('\'', f);
}

/* BASE.EXT as a quoted string: a prefix may hold a quote. */
static void put_file(FILE *f, const char *base, const char *ext)
{
	char name[4096];

	snprintf(name, sizeof(name), "%s.%s", base, ext);
	put_quoted(f, name);
}

static int stream_status(FILE *f)
{
	return ferror(f) ? (errno ? errno : EIO) : 0;
}

/* The first line of both files: what is drawn against what, and from which file. */
static void put_title(FILE *f, const struct plot_figure *fig)
{
	fputs("# iommusim-bench plot: ", f);
	put_clean(f, fig->ycol);
	fputs(" against ", f);
	put_clean(f, fig->xcol);
	fputs(", from ", f);
	put_clean(f, fig->source);
}

int plot_write_data(FILE *f, const struct plot_figure *fig)
{
	put_title(f, fig);
	fputs("\n# columns: ", f);
	put_clean(f, fig->xcol);
	fputc(' ', f);
	put_clean(f, fig->ycol);
	if (fig->locol) {
		fputc(' ', f);
		put_clean(f, fig->locol);
		fputc(' ', f);
		put_clean(f, fig->hicol);
	}
	fputs("\n# one block per line of the figure, in the order of the legend, two blank lines"
	      " apart\n# (gnuplot's index 0, 1, ...), points in increasing x; values as the CSV"
	      " has them\n",
	      f);
	for (size_t g = 0; g < fig->ngroups; g++) {
		const struct plot_group *gr = &fig->groups[g];

		fputs(g ? "\n\n# " : "\n# ", f);
		put_clean(f, gr->label);
		fputc('\n', f);
		for (size_t i = 0; i < gr->npts; i++) {
			const struct plot_point *p = &gr->pts[i];

			fprintf(f, "%s %s", p->xs, p->ys);
			if (fig->locol)
				fprintf(f, " %s %s", p->los, p->his);
			fputc('\n', f);
		}
	}
	return stream_status(f);
}

static void put_axes(FILE *f, const struct plot_figure *fig)
{
	fputs("set title ", f);
	put_quoted(f, fig->title);
	fputs("\nset xlabel ", f);
	put_quoted(f, fig->xlabel);
	fputs("\nset ylabel ", f);
	put_quoted(f, fig->ylabel);
	fputc('\n', f);
	if (fig->logx) {
		/* room for the bars of the first and last points */
		fprintf(f, "set logscale x %u\nset xrange [%.6g:%.6g]\n", fig->log_base,
			fig->xmin / 1.4, fig->xmax * 1.4);
	} else if (fig->nxtics) {
		double pad = fig->xmax > fig->xmin ? (fig->xmax - fig->xmin) * 0.05 : 1;

		fprintf(f, "set xrange [%.6g:%.6g]\n", fig->xmin - pad, fig->xmax + pad);
	}
	if (fig->nxtics) {
		fputs("set xtics (", f);
		for (size_t i = 0; i < fig->nxtics; i++)
			fprintf(f, "%s%.10g", i ? ", " : "", fig->xtics[i]);
		fputs(")\n", f);
	}
	fprintf(f, "# the axis shows y / ys, as its label says\nys = %g\n", fig->yscale);
	if (fig->logy)
		fputs("set logscale y 10\nset format y '%.0s%c'\n", f);
	else if (!isnan(fig->ymax))
		fputs("set yrange [0:*]\nset offsets 0, 0, graph 0.05, 0\n", f);
	fputs("set grid xtics ytics lt 1 lw 1 lc rgb '#e0e0e0'\n"
	      "set border 3\nset tics nomirror out\n"
	      "set key outside right top vertical Left reverse samplen 3 spacing 1.2\n"
	      "set bars small\n",
	      f);
	for (size_t g = 0; g < fig->ngroups; g++) {
		const struct plot_group *gr = &fig->groups[g];

		fprintf(f, "set style line %zu lc rgb '%s' dt %d pt %d ps 1.1 lw 2  # ", g + 1,
			colours[(size_t)gr->policy_slot % ARRAY_SIZE(colours)],
			dashes[(size_t)gr->platform_slot % ARRAY_SIZE(dashes)],
			marks[(size_t)gr->platform_slot % ARRAY_SIZE(marks)]);
		put_clean(f, gr->label);
		fputc('\n', f);
	}
}

static void put_plot(FILE *f, const struct plot_figure *fig)
{
	fputs("plot \\\n", f);
	for (size_t g = 0; g < fig->ngroups; g++) {
		if (fig->locol)
			fprintf(f,
				"  datafile index %zu using 1:($2/ys):($3/ys):($4/ys) with "
				"yerrorlines ls %zu title ",
				g, g + 1);
		else
			fprintf(f,
				"  datafile index %zu using 1:($2/ys) with linespoints ls %zu "
				"title ",
				g, g + 1);
		put_quoted(f, fig->groups[g].label);
		fputs(g + 1 < fig->ngroups || fig->ratio ? ", \\\n" : "\n", f);
	}
	if (fig->ratio)
		fputs("  1/ys with lines lc rgb '#404040' dt 3 lw 1.5 title 'legacy (1)'\n", f);
}

static const char term_opts[] = "font 'sans,11' noenhanced background '#ffffff'";

int plot_write_script(FILE *f, const struct plot_figure *fig, const struct plot_look *look)
{
	put_title(f, fig);
	fputs("\n# `gnuplot ", f);
	put_clean(f, look->base);
	fputs(".gp` draws it again from the .dat file beside it, from any folder.\n", f);
	fputs("reset\nset encoding utf8\n"
	      "# the data and the images are named relative to this script's folder\n"
	      "d = ARG0; i = strlen(d)\n"
	      "while (i > 0 && d[i:i] ne '/') { i = i - 1 }\n"
	      "if (i > 0) { cd d[1:i] }\n",
	      f);
	fputs("datafile = ", f);
	put_file(f, look->base, "dat");
	fprintf(f, "\nwidth = %u; height = %u\n\n", look->width, look->height);
	put_axes(f, fig);
	if (look->png) {
		fputs("\n# PNG: cairo's renderer where gnuplot has it, else libgd's\n"
		      "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n",
		      f);
		fprintf(f, "  set terminal pngcairo size width, height %s\n} else {\n", term_opts);
		fprintf(f, "  set terminal png size width, height %s\n}\n", term_opts);
		fputs("set output ", f);
		put_file(f, look->base, "png");
		fputc('\n', f);
		put_plot(f, fig);
	}
	if (look->svg) {
		fprintf(f, "\nset terminal svg size width, height %s\n", term_opts);
		fputs("set output ", f);
		put_file(f, look->base, "svg");
		fputc('\n', f);
		if (look->png)
			fputs("replot\n", f);
		else
			put_plot(f, fig);
	}
	fputs("unset output\n", f);
	return stream_status(f);
}
