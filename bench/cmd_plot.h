/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench plot: a sweep's or a time series' CSV drawn by gnuplot. The pieces:
 * cmd_plot_csv.c reads the CSV (and a sweep JSON's meta.swept), cmd_plot_figure.c decides
 * what to draw (columns, lines, axes, labels), cmd_plot_write.c writes the data and the
 * gnuplot script, cmd_plot_run.c runs gnuplot and puts the files in place.
 */
#ifndef ISIM_BENCH_CMD_PLOT_H
#define ISIM_BENCH_CMD_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A CSV file in memory: a header of names and rows of text cells. */
struct plot_table {
	const char *path;
	char **names;
	size_t ncols;
	char **cells;	 /* row-major, nrows * ncols; "" for an empty field */
	unsigned *lines; /* the line each row starts on, for messages */
	size_t nrows;
};

/* Read @path: 0, or -1 after "FILE:LINE: FIELD: problem" on standard error. */
int plot_csv_read(const char *path, struct plot_table *t);
void plot_table_free(struct plot_table *t);

/* The index of column @name, or -1. */
int plot_table_col(const struct plot_table *t, const char *name);

static inline const char *plot_cell(const struct plot_table *t, size_t row, int col)
{
	return t->cells[row * t->ncols + (size_t)col];
}

/* A finite decimal number and nothing else (no blanks, no hex, no "nan"): 0, or -1. */
int plot_parse_number(const char *s, double *out);

/*
 * The first key of meta.swept in the JSON file @path, in @buf (@len bytes): 0; 1 if the
 * file has no meta.swept (or an empty one); -1 after a one-line error.
 */
int plot_json_first_swept(const char *path, char *buf, size_t len);

struct plot_point {
	double x, y;
	const char *xs, *ys, *los, *his; /* the CSV's own text, written to the data file */
	unsigned line;
};

/* One line of the figure: the rows of one platform and policy (and other swept keys). */
struct plot_group {
	char *label;
	int policy_slot;   /* colour: the policy's place among the known ones, or later */
	int platform_slot; /* dash and point type: the platform's place in the file */
	struct plot_point *pts;
	size_t npts;
};

struct plot_request {
	const char *input;
	const char *json;
	const char *x; /* NULL: chosen */
	const char *y; /* "iops" unless given */
	const char *title;
	bool timeseries;
	bool logy; /* --logy: a log y axis, for values spanning decades */
};

struct plot_figure {
	const char *source;			 /* the input's name, for the comments */
	const char *xcol, *ycol, *locol, *hicol; /* locol, hicol: NULL without interval bars */
	struct plot_group *groups;
	size_t ngroups;
	bool logx, logy;
	unsigned log_base; /* 2 for powers of two, else 10 */
	double xmin, xmax, ymax;
	double ymin;
	unsigned ymin_line; /* the line of the least y, for --logy's message */
	double yscale;	    /* the axis shows y / yscale: 1, 1e3 or 1e6 */
	bool ratio;	    /* draw the reference line at 1 (legacy) */
	char *title, *xlabel, *ylabel;
	/* The distinct x values when few enough to label each one, else nxtics is 0. */
	double xtics[16];
	size_t nxtics;
	char store[4][128]; /* the names built for y (mean, lo, hi) and the swept key */
};

/* Decide the figure for @req from @t: 0, or -1 after an error as plot_csv_read() gives. */
int plot_figure_build(const struct plot_request *req, const struct plot_table *t,
		      struct plot_figure *fig);
void plot_figure_free(struct plot_figure *fig);

/* Its title, axis labels and y scale, once its lines and axes are decided: 0, or -1. */
int plot_figure_label(const struct plot_request *req, const struct plot_table *t,
		      struct plot_figure *fig);

/* Whether x values take a log axis (docs/plots.md states the rule); *base: 2 or 10. */
bool plot_log_rule(const double *xs, size_t n, unsigned *base);

struct plot_look {
	const char *base; /* the output files' name without extension, no directory */
	unsigned width, height;
	bool png, svg;
};

/* The data file: one block per group, two blank lines apart. 0, or an errno value. */
int plot_write_data(FILE *f, const struct plot_figure *fig);
/* The script, which reads BASE.dat and writes BASE.png and BASE.svg in its own folder. */
int plot_write_script(FILE *f, const struct plot_figure *fig, const struct plot_look *look);

/*
 * The program to run for gnuplot ($IOMMUSIM_GNUPLOT, else "gnuplot" searched in PATH) in
 * @buf: 0, or -1 after a one-line error naming the package to install.
 */
int plot_find_gnuplot(char *buf, size_t len);

/*
 * Write the data and script to a private folder beside @prefix, run @gnuplot on them and
 * rename the results over PREFIX.gp, .dat, .png, .svg. 0; -1 after a one-line error with
 * nothing left behind and no existing file changed.
 */
int plot_render(const char *gnuplot, const char *prefix, const struct plot_figure *fig,
		const struct plot_look *look);

/* Check that PREFIX's folder exists and each output is new or a regular file: 0, or -1. */
int plot_check_outputs(const char *prefix, const struct plot_look *look);

#endif /* ISIM_BENCH_CMD_PLOT_H */
