/* SPDX-License-Identifier: MIT */
/*
 * Integration tests of iommusim-bench plot, run as a child process (bench_child.h) on small
 * CSV files made here: the images exist with the size asked for (the PNG's IHDR, the SVG's
 * root element), the data file holds exactly the points and bars of the input, the x axis
 * follows the log rule, and bad input is exit status 2 with nothing written. Skipped (77)
 * when gnuplot is not installed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_child.h"

#define HEAD                                                                                       \
	"scenario,platform,policy,dma.fq_size,seed,repeats,iops,iops_mean,iops_ci95_lo,iops_ci95_" \
	"hi\n"

/* A sweep of two cells over three flush-queue sizes, three seeds each. */
static const char sweep_csv[] =
	HEAD "default,zvm,strict,256,1,3,225000.0,224997.0,224778.0,225216.0\n"
	     "default,zvm,strict,4096,1,3,225100.0,225050.5,224800.0,225301.0\n"
	     "default,zvm,strict,1024,1,3,225050.0,225000.0,224790.0,225210.0\n"
	     "default,zvm,fq-single,256,1,3,75000.0,74800.0,74000.0,75600.0\n"
	     "default,zvm,fq-single,1024,1,3,170000.0,169500.0,169000.0,170000.0\n"
	     "default,zvm,fq-single,4096,1,3,240000.0,239000.0,238000.0,240000.0\n";

/* After its first line, which names the input as given. */
static const char sweep_dat[] =
	"# columns: dma.fq_size iops_mean iops_ci95_lo iops_ci95_hi\n"
	"# one block per line of the figure, in the order of the legend, two blank lines apart\n"
	"# (gnuplot's index 0, 1, ...), points in increasing x; values as the CSV has them\n"
	"\n# zvm strict\n"
	"256 224997.0 224778.0 225216.0\n"
	"1024 225000.0 224790.0 225210.0\n"
	"4096 225050.5 224800.0 225301.0\n"
	"\n\n# zvm fq-single\n"
	"256 74800.0 74000.0 75600.0\n"
	"1024 169500.0 169000.0 170000.0\n"
	"4096 239000.0 238000.0 240000.0\n";

struct case_dir {
	struct dir d;
	char in[4300], prefix[4300];
};

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void case_make(struct case_dir *c, const char *csv)
{
	dir_make(&c->d);
	snprintf(c->in, sizeof(c->in), "%s/in.csv", c->d.path);
	snprintf(c->prefix, sizeof(c->prefix), "%s/fig", c->d.path);
	write_text(c->in, csv);
}

static char *read_out(const struct case_dir *c, const char *ext)
{
	char path[4400];
	size_t len;

	snprintf(path, sizeof(path), "%s.%s", c->prefix, ext);
	return slurp(path, &len);
}

static void expect_listing(const struct case_dir *c, const char *names)
{
	char got[4096];

	dir_list(c->d.path, got, sizeof(got));
	if (strcmp(got, names))
		fail_msg("'%s' holds '%s', expected '%s'", c->d.path, got, names);
}

/* The width and height in the PNG's IHDR chunk, which always comes first. */
static void expect_png_size(const struct case_dir *c, unsigned w, unsigned h)
{
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	char path[4400];
	size_t len;
	unsigned char *b;

	snprintf(path, sizeof(path), "%s.png", c->prefix);
	b = (unsigned char *)slurp(path, &len);
	assert_true(len > 24);
	assert_memory_equal(b, sig, 8);
	assert_memory_equal(b + 12, "IHDR", 4);
	assert_int_equal((unsigned)b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19], w);
	assert_int_equal((unsigned)b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23], h);
	free(b);
}

static void run_plot(const char *const *args, int status, const char *err_part)
{
	struct run r;

	run_bench(args, &r);
	if (r.status != status)
		fail_msg("exit status %d, expected %d; stderr: %s", r.status, status, r.err);
	if (err_part && !strstr(r.err, err_part))
		fail_msg("stderr '%s' lacks '%s'", r.err, err_part);
	if (!status && r.errlen)
		fail_msg("unexpected stderr: %s", r.err);
	run_free(&r);
}

static void test_plot_sweep_png_svg_and_data(void **state)
{
	struct case_dir c;
	char *dat, *svg, *gp, first[4500];

	(void)state;
	case_make(&c, sweep_csv);
	run_plot((const char *[]){"plot", c.in, "-o", c.prefix, "--size", "800x500", NULL}, 0,
		 NULL);
	expect_listing(&c, "fig.dat fig.gp fig.png fig.svg in.csv");
	expect_png_size(&c, 800, 500);
	dat = read_out(&c, "dat");
	snprintf(first, sizeof(first),
		 "# iommusim-bench plot: iops_mean against dma.fq_size, from %s\n", c.in);
	assert_true(!strncmp(dat, first, strlen(first)));
	assert_string_equal(dat + strlen(first), sweep_dat);
	svg = read_out(&c, "svg");
	assert_true(!strncmp(svg, "<?xml", 5));
	assert_non_null(strstr(svg, "<svg"));
	assert_non_null(strstr(svg, "width=\"800\" height=\"500\""));
	assert_non_null(strstr(svg, "</svg>"));
	gp = read_out(&c, "gp");
	/* powers of two: a log axis of base 2, a tic on every swept value */
	assert_non_null(strstr(gp, "set logscale x 2\n"));
	assert_non_null(strstr(gp, "set xtics (256, 1024, 4096)\n"));
	assert_non_null(strstr(gp, "with yerrorlines"));
	assert_non_null(strstr(gp, "'scenario default: IOPS against dma.fq_size, seeds 1-3"));
	assert_non_null(strstr(gp, "set xlabel 'dma.fq_size (flush-queue entries), log scale'"));
	assert_non_null(strstr(gp, "IOPS (thousands of I/Os completed per simulated second)"));
	free(dat);
	free(svg);
	free(gp);
	/* run again over the files: replaced, nothing else left */
	run_plot((const char *[]){"plot", c.in, "-o", c.prefix, "--format", "png", "--size",
				  "640x480", NULL},
		 0, NULL);
	expect_listing(&c, "fig.dat fig.gp fig.png fig.svg in.csv");
	expect_png_size(&c, 640, 480);
	dir_remove(&c.d);
}

/* The x values of @xs (three, one row each) give a log axis of @base, or none (0). */
static void expect_log_rule(const char *xs[3], unsigned base)
{
	struct case_dir c;
	char csv[512], want[64];
	char *gp;

	snprintf(csv, sizeof(csv),
		 "platform,policy,iodepth,iops\nlpar,strict,%s,1.5\nlpar,strict,%s,2.5\n"
		 "lpar,strict,%s,3.5\n",
		 xs[0], xs[1], xs[2]);
	case_make(&c, csv);
	run_plot((const char *[]){"plot", c.in, "-o", c.prefix, "--format", "svg", NULL}, 0, NULL);
	gp = read_out(&c, "gp");
	snprintf(want, sizeof(want), "set logscale x %u\n", base);
	if (base ? !strstr(gp, want) : !!strstr(gp, "set logscale x"))
		fail_msg("x %s %s %s: expected %s", xs[0], xs[1], xs[2], base ? want : "linear");
	free(gp);
	dir_remove(&c.d);
}

static void test_plot_log_rule(void **state)
{
	(void)state;
	expect_log_rule((const char *[]){"2", "4", "8"}, 2);
	expect_log_rule((const char *[]){"1", "10", "100"}, 10);
	expect_log_rule((const char *[]){"0.5", "3", "50"}, 10);
	expect_log_rule((const char *[]){"1", "2", "4"}, 0); /* 1 is no power of two >= 2 */
	expect_log_rule((const char *[]){"8", "16", "24"}, 0);
	expect_log_rule((const char *[]){"0", "100", "1000"}, 0); /* 0 has no logarithm */
}

static void test_plot_single_seed_no_bars_ratio(void **state)
{
	static const char csv[] =
		"scenario,platform,policy,seed,dma.fq_timeout_ms,iops,ratio_to_legacy\n"
		"s1,kvm,strict,7,1,500.0,0.5000\n"
		"s1,kvm,legacy,7,1,1000.0,1.0000\n"
		"s1,kvm,strict,7,10,520.0,0.5200\n"
		"s1,kvm,legacy,7,10,1000.0,1.0000\n";
	struct case_dir c;
	char *dat, *gp;

	(void)state;
	case_make(&c, csv);
	run_plot((const char *[]){"plot", c.in, "-o", c.prefix, "--y", "ratio", NULL}, 0, NULL);
	dat = read_out(&c, "dat");
	/* legacy is the reference line, not a line of its own; no interval with one seed */
	assert_non_null(strstr(dat, "# columns: dma.fq_timeout_ms ratio_to_legacy\n"));
	assert_non_null(strstr(dat, "\n# kvm strict\n1 0.5000\n10 0.5200\n"));
	assert_null(strstr(dat, "# kvm legacy"));
	gp = read_out(&c, "gp");
	assert_non_null(strstr(gp, "with linespoints"));
	assert_null(strstr(gp, "yerrorlines"));
	assert_non_null(strstr(gp, "title 'legacy (1)'"));
	assert_non_null(strstr(gp, "scenario s1: IOPS relative to legacy against "
				   "dma.fq_timeout_ms, seed 7'"));
	free(dat);
	free(gp);
	dir_remove(&c.d);
}

static void test_plot_timeseries(void **state)
{
	static const char csv[] = "platform,policy,t_s,iops,lat_p99_us\n"
				  "kvm,strict,0.01,5000.0,1200.000\n"
				  "kvm,legacy,0.01,9800.0,600.000\n"
				  "kvm,strict,0.02,5200.0,1100.000\n"
				  "kvm,legacy,0.02,9900.0,590.000\n";
	struct case_dir c;
	char *dat, *gp;

	(void)state;
	case_make(&c, csv);
	run_plot((const char *[]){"plot", "--timeseries", c.in, "-o", c.prefix, NULL}, 0, NULL);
	expect_png_size(&c, 1024, 640);
	dat = read_out(&c, "dat");
	assert_non_null(strstr(dat, "\n# kvm strict\n0.01 5000.0\n0.02 5200.0\n\n\n"
				    "# kvm legacy\n0.01 9800.0\n0.02 9900.0\n"));
	gp = read_out(&c, "gp");
	assert_null(strstr(gp, "logscale"));
	assert_non_null(strstr(gp, "simulated time"));
	free(dat);
	free(gp);
	run_plot((const char *[]){"plot", "--timeseries", c.in, "-o", c.prefix, "--y", "lat_p99_us",
				  NULL},
		 0, NULL);
	gp = read_out(&c, "gp");
	assert_non_null(strstr(gp, "set ylabel 'lat_p99_us (µs)'"));
	free(gp);
	dir_remove(&c.d);
}

/* --json names the swept key; without it the first unknown column that varies is taken. */
static void test_plot_json_swept(void **state)
{
	static const char csv[] = "platform,policy,iodepth,dma.fq_size,iops\n"
				  "lpar,strict,8,256,1.0\nlpar,strict,8,512,2.0\n"
				  "lpar,strict,16,256,3.0\nlpar,strict,16,512,4.0\n";
	struct case_dir c;
	char json[4400], *dat;

	(void)state;
	case_make(&c, csv);
	snprintf(json, sizeof(json), "%s/in.json", c.d.path);
	write_text(json,
		   "{\"meta\": {\"version\": \"0.1.0\", \"sets\": [\"a=1\"], \"x\": {\"y\": [1, "
		   "{\"z\": null}]},\n  \"swept\": [\"dma.fq_size\", \"iodepth\"]},\n "
		   "\"rows\": []}\n");
	run_plot((const char *[]){"plot", c.in, "--json", json, "-o", c.prefix, NULL}, 0, NULL);
	dat = read_out(&c, "dat");
	assert_non_null(strstr(dat, "# lpar strict iodepth=8\n256 1.0\n512 2.0\n\n\n"
				    "# lpar strict iodepth=16\n256 3.0\n512 4.0\n"));
	free(dat);
	run_plot((const char *[]){"plot", c.in, "-o", c.prefix, NULL}, 0, NULL);
	dat = read_out(&c, "dat");
	assert_non_null(strstr(dat, "# lpar strict dma.fq_size=256\n8 1.0\n16 3.0\n"));
	free(dat);
	dir_remove(&c.d);
}

/* Bad input: exit status 2, one line naming the file, line and field, and no file written. */
static void expect_refused(const char *csv, const char *const *extra, const char *message)
{
	struct case_dir c;
	const char *args[16] = {"plot"};
	char err[4600];
	size_t n = 1;

	case_make(&c, csv);
	args[n++] = c.in;
	args[n++] = "-o";
	args[n++] = c.prefix;
	while (extra && *extra)
		args[n++] = *extra++;
	args[n] = NULL;
	snprintf(err, sizeof(err), "%s%s", *message == ':' ? c.in : "", message);
	run_plot(args, 2, err);
	expect_listing(&c, "in.csv");
	dir_remove(&c.d);
}

static void test_plot_bad_input(void **state)
{
	(void)state;
	expect_refused("", NULL, ":1: header: the file is empty\n");
	expect_refused("platform,policy,iodepth,iops\n", NULL,
		       ":2: rows: no rows after the header");
	expect_refused(HEAD "default,zvm,strict,256,1,3,225000.0,224997.0,224778.0,225216.0\n",
		       (const char *[]){"--y", "lat_p99_us", NULL},
		       ":1: lat_p99_us: no such column (nor lat_p99_us_mean)\n");
	expect_refused("platform,policy,iodepth,iops\nlpar,strict,8,1.0\nlpar,strict,16,abc\n",
		       NULL, ":3: iops: not a number: 'abc'\n");
	expect_refused("platform,policy,iodepth,iops\nlpar,strict,8,1.0\nlpar,strict,16\n", NULL,
		       ":3: fields: 3, but the header has 4\n");
	expect_refused("platform,policy,iodepth,iops\nlpar,strict,8,1.0\nlpar,strict,8,2.0\n",
		       (const char *[]){"--x", "iodepth", NULL},
		       ":3: iodepth: 'lpar strict' has a row at 8 already (line 2)");
	expect_refused("platform,policy,iodepth,iops\nlpar,strict,8,1.0\n",
		       (const char *[]){"--x", "dma.fq_size", NULL},
		       ":1: dma.fq_size: no such column\n");
	expect_refused("platform,policy,iops\nlpar,strict,1.0\nlpar,legacy,2.0\n", NULL,
		       ":1: x: no column but the results varies");
	expect_refused("platform,policy,iodepth,iops\nlpar,strict,8,1.0\n",
		       (const char *[]){"--size", "10x10", NULL}, "plot: --size: not WIDTHxHEIGHT");
	expect_refused("platform,policy,iodepth,iops\nlpar,strict,8,1.0\n",
		       (const char *[]){"--format", "gif", NULL}, "plot: --format: not a list");
}

static void test_plot_outputs_refused(void **state)
{
	struct case_dir c;
	char path[4400];

	(void)state;
	case_make(&c, sweep_csv);
	snprintf(path, sizeof(path), "%s.svg", c.prefix);
	assert_int_equal(mkdir(path, 0700), 0);
	run_plot((const char *[]){"plot", c.in, "-o", c.prefix, NULL}, 2,
		 "fig.svg': not a regular file");
	expect_listing(&c, "fig.svg in.csv");
	assert_int_equal(rmdir(path), 0);
	/* gnuplot missing: an environment error, exit 1, naming the package; nothing written */
	setenv("IOMMUSIM_GNUPLOT", "/nonexistent/gnuplot", 1);
	run_plot((const char *[]){"plot", c.in, "-o", c.prefix, NULL}, 1, "gnuplot-nox");
	unsetenv("IOMMUSIM_GNUPLOT");
	expect_listing(&c, "in.csv");
	/* gnuplot failing: its message relayed, exit 1, nothing left behind */
	snprintf(path, sizeof(path), "%s/false-gnuplot", c.d.path);
	write_text(path, "#!/bin/sh\necho 'line 3: broken' >&2\nexit 1\n");
	assert_int_equal(chmod(path, 0700), 0);
	setenv("IOMMUSIM_GNUPLOT", path, 1);
	run_plot((const char *[]){"plot", c.in, "-o", c.prefix, NULL}, 1,
		 "plot: gnuplot: line 3: broken\n");
	unsetenv("IOMMUSIM_GNUPLOT");
	expect_listing(&c, "false-gnuplot in.csv");
	dir_remove(&c.d);
}

static bool have_gnuplot(void)
{
	const char *path = getenv("PATH");
	char buf[4200];

	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(buf, sizeof(buf), "%.*s/gnuplot", (int)n, p);
		if (!access(buf, X_OK))
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plot_sweep_png_svg_and_data),
		cmocka_unit_test(test_plot_log_rule),
		cmocka_unit_test(test_plot_single_seed_no_bars_ratio),
		cmocka_unit_test(test_plot_timeseries),
		cmocka_unit_test(test_plot_json_swept),
		cmocka_unit_test(test_plot_bad_input),
		cmocka_unit_test(test_plot_outputs_refused),
	};

	if (!have_gnuplot()) {
		printf("skipped: gnuplot is not installed (Debian: apt-get install gnuplot-nox)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
