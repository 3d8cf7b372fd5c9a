/* SPDX-License-Identifier: MIT */
/*
 * iommusim-bench plot: draw a sweep's CSV (a figure against the swept key) or a time
 * series' CSV (a figure against time) with gnuplot, as PNG and SVG, and keep the data and
 * the script beside the images so the figure can be restyled. Bad input is one line and
 * exit status 2 before anything is written; a missing or failing gnuplot is exit status 1.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_plot.h"
#include "commands.h"

struct options {
	struct plot_request req;
	struct plot_look look;
	const char *prefix;
	const char *format, *size;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: iommusim-bench plot CSV [-o PREFIX] [--x KEY] [--y COLUMN] [--json FILE]\n"
		"                           [--format png,svg] [--size WIDTHxHEIGHT] [--title "
		"TEXT]\n"
		"                           [--logy]\n"
		"       iommusim-bench plot --timeseries CSV [-o PREFIX] [--y COLUMN] ...\n"
		"\n"
		"Draw a sweep's CSV (or compare's) with gnuplot: the y column against the swept "
		"key,\n"
		"one line per platform and policy, with the 95 %% interval as bars when the file\n"
		"has one. With --timeseries, draw a time series' CSV against t_s, one line per\n"
		"cell. Writes PREFIX.png and PREFIX.svg, and beside them PREFIX.dat (the points)\n"
		"and PREFIX.gp (the script: 'gnuplot PREFIX.gp' draws them again).\n"
		"\n"
		"  -o, --output PREFIX  where the files go; default the CSV's name less '.csv'\n"
		"  --x KEY              the column across; default the sweep's first key (from\n"
		"                       --json), else the first column other than the results\n"
		"                       that varies\n"
		"  --y COLUMN           iops (default), ratio (to legacy), mbps, lat_p99_us, ...;\n"
		"                       COLUMN_mean and its interval are drawn when present\n"
		"  --json FILE          the sweep's JSON: its meta.swept names the swept keys\n"
		"  --format LIST        png, svg or both (default png,svg)\n"
		"  --size WxH           image size in pixels, 64 to 10000 each; default 1024x640\n"
		"  --title TEXT         instead of the scenario, y, x and seeds\n"
		"  --logy               a logarithmic y axis (every value must be above 0)\n"
		"\n"
		"The x axis is logarithmic when its values are powers of two of at least 2, or\n"
		"span two decades or more (docs/plots.md). gnuplot runs from PATH, or\n"
		"$IOMMUSIM_GNUPLOT.\n");
}

static int parse_size(const char *s, unsigned *w, unsigned *h)
{
	char buf[32];
	const char *x = strchr(s, 'x');

	if (!x || (size_t)(x - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(x - s));
	buf[x - s] = '\0';
	return cli_parse_uint(buf, 64, 10000, w) || cli_parse_uint(x + 1, 64, 10000, h) ? -1 : 0;
}

static int parse_format(const char *s, bool *png, bool *svg)
{
	*png = *svg = false;
	while (*s) {
		size_t n = strcspn(s, ",");

		if (n == 3 && !strncmp(s, "png", 3))
			*png = true;
		else if (n == 3 && !strncmp(s, "svg", 3))
			*svg = true;
		else
			return -1;
		s += n + (s[n] == ',');
	}
	return *png || *svg ? 0 : -1;
}

/* Record an option's value, refusing a second one. */
static int once(const char **slot, const char *opt, const char *arg)
{
	if (*slot) {
		fprintf(stderr, "plot: %s: given twice\n", opt);
		return -1;
	}
	*slot = arg;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		CLI_ARG("output", 'o'), CLI_ARG("x", 'x'),	    CLI_ARG("y", 'y'),
		CLI_ARG("json", 'j'),	CLI_ARG("timeseries", 't'), CLI_ARG("format", 'f'),
		CLI_ARG("size", 's'),	CLI_ARG("title", 'T'),	    CLI_FLAG("logy", 'L'),
		CLI_FLAG("help", 'h'),	{NULL, 0, NULL, 0},
	};
	char shown[160];
	int c, rc = 0;

	opterr = 0;
	while (!rc && (c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			rc = once(&o->prefix, "-o", optarg);
			break;
		case 'x':
			rc = once(&o->req.x, "--x", optarg);
			break;
		case 'y':
			rc = once(&o->req.y, "--y", optarg);
			break;
		case 'j':
			rc = once(&o->req.json, "--json", optarg);
			break;
		case 't':
			rc = once(&o->req.input, "--timeseries", optarg);
			o->req.timeseries = true;
			break;
		case 'f':
			rc = once(&o->format, "--format", optarg);
			break;
		case 's':
			rc = once(&o->size, "--size", optarg);
			break;
		case 'T':
			rc = once(&o->req.title, "--title", optarg);
			break;
		case 'L':
			o->req.logy = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return cli_bad_option("plot", c, argv);
		}
	}
	if (rc)
		return -1;
	if (optind < argc && !o->req.input)
		o->req.input = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "plot: unexpected argument '%s' (try --help)\n",
			cli_shown(argv[optind], shown, sizeof(shown)));
		return -1;
	}
	if (!o->req.input) {
		fprintf(stderr, "plot: no CSV file given (try --help)\n");
		return -1;
	}
	if (o->req.timeseries && (o->req.x || o->req.json)) {
		fprintf(stderr, "plot: --timeseries: draws against t_s; no --x or --json\n");
		return -1;
	}
	if (o->format && parse_format(o->format, &o->look.png, &o->look.svg)) {
		fprintf(stderr, "plot: --format: not a list of png and svg: '%s'\n",
			cli_shown(o->format, shown, sizeof(shown)));
		return -1;
	}
	if (o->size && parse_size(o->size, &o->look.width, &o->look.height)) {
		fprintf(stderr, "plot: --size: not WIDTHxHEIGHT, each 64 to 10000 pixels: '%s'\n",
			cli_shown(o->size, shown, sizeof(shown)));
		return -1;
	}
	if (o->req.y && !*o->req.y) {
		fprintf(stderr, "plot: --y: empty column name\n");
		return -1;
	}
	return 0;
}

int cmd_plot(int argc, char **argv)
{
	struct options o = {.look = {.width = 1024, .height = 640, .png = true, .svg = true}};
	char prefix[PATH_MAX], gnuplot[PATH_MAX];
	struct plot_table t;
	struct plot_figure fig;
	const char *slash;
	size_t n;
	int rc = parse_args(argc, argv, &o);

	if (rc)
		return rc > 0 ? 0 : EXIT_BAD_INPUT;
	if (!o.req.y)
		o.req.y = "iops";
	if (o.prefix) {
		n = strlen(o.prefix);
	} else {
		/* beside the CSV, under its name */
		o.prefix = o.req.input;
		n = strlen(o.prefix);
		if (n > 4 && !strcmp(o.prefix + n - 4, ".csv"))
			n -= 4;
	}
	if (n >= sizeof(prefix)) {
		fprintf(stderr, "plot: -o: name too long\n");
		return EXIT_BAD_INPUT;
	}
	memcpy(prefix, o.prefix, n);
	prefix[n] = '\0';
	slash = strrchr(prefix, '/');
	o.look.base = slash ? slash + 1 : prefix;
	if (plot_check_outputs(prefix, &o.look))
		return EXIT_BAD_INPUT;
	if (plot_csv_read(o.req.input, &t))
		return EXIT_BAD_INPUT;
	rc = plot_figure_build(&o.req, &t, &fig) ? EXIT_BAD_INPUT : 0;
	if (!rc && plot_find_gnuplot(gnuplot, sizeof(gnuplot)))
		rc = 1;
	if (!rc && plot_render(gnuplot, prefix, &fig, &o.look))
		rc = 1;
	plot_figure_free(&fig);
	plot_table_free(&t);
	return rc;
}
