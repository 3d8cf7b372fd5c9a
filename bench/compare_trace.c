/* SPDX-License-Identifier: MIT */
/*
 * compare --trace FILE [--trace-timing recorded|closed] (docs/compare.md, docs/traces.md): the
 * options, the trace they load, and what a replay adds to the rows. A replay's columns come
 * after every other column, so a file of NVMe rows keeps its columns where they were; they
 * are there only when a trace ran.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "compare_args.h"

static const char *const timings[IOMMUSIM_TRACE_TIMING_NR] = {"recorded", "closed"};

/* The workload options a replay reads: the guest's size; the trace says what is mapped. */
bool compare_trace_reads(size_t opt)
{
	return opt >= COMPARE_WL_CPUS;
}

int args_trace_option(struct compare_opts *o, int c, char **argv, struct given *g, bool sweep)
{
	if (sweep) {
		fprintf(stderr, "%s: %s: not in a sweep (replay a trace with compare)\n", args_cmd,
			c == 'X'   ? "--trace"
			: c == 'G' ? "--trace-timing"
				   : "--record");
		return -1;
	}
	if (!o->record)
		return cli_bad_option(args_cmd, '?', argv);
	switch (c) {
	case 'Q':
		return outfile_set(o->record, optarg);
	case 'X':
		if (args_given_twice("--trace", o->trace_path != NULL))
			return -1;
		o->trace_path = optarg;
		return 0;
	default: /* 'G' */
		if (args_given_twice("--trace-timing", g->trace_timing))
			return -1;
		g->trace_timing = true;
		for (unsigned int i = 0; i < IOMMUSIM_TRACE_TIMING_NR; i++)
			if (!strcmp(optarg, timings[i])) {
				o->trace_timing = (enum iommusim_trace_timing)i;
				return 0;
			}
		return args_bad_value("--trace-timing", "not recorded or closed:", optarg);
	}
}

static int load(struct compare_opts *o)
{
	char errbuf[512], shown[600];
	FILE *in;
	int err;

	in = fopen(o->trace_path, "r");
	if (!in) {
		fprintf(stderr, "%s: --trace: cannot read '%s': %s\n", args_cmd,
			cli_shown(o->trace_path, shown, sizeof(shown)), strerror(errno));
		return -1;
	}
	if (iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &o->trace_mem)) {
		fclose(in);
		fprintf(stderr, "%s: out of memory\n", args_cmd);
		return -1;
	}
	err = iommusim_trace_load(o->trace_mem, in, o->trace_path, &o->trace, errbuf,
				  sizeof(errbuf));
	fclose(in);
	if (err) {
		fprintf(stderr, "%s: --trace: %s\n", args_cmd,
			cli_shown(errbuf, shown, sizeof(shown)));
		return -1;
	}
	return 0;
}

/* The replay's configuration as the simulation will check it (--cpus too few for the trace). */
static int check_config(struct compare_opts *o)
{
	char errbuf[256], shown[300];
	int err;

	o->wl.measure_ns = 1;
	o->wl.cost = (const struct iommusim_cost *)o; /* any non-NULL: no cost is read here */
	err = iommusim_sim_config_check(&o->wl, errbuf, sizeof(errbuf));
	o->wl.cost = NULL;
	if (err) {
		fprintf(stderr, "%s: workload: %s\n", args_cmd,
			cli_shown(errbuf, shown, sizeof(shown)));
		return -1;
	}
	return 0;
}

int args_trace_check(struct compare_opts *o, const struct given *g)
{
	struct iommusim_trace_info info;

	if (o->record && o->record->path && o->sensitivity) {
		fprintf(stderr, "%s: --record: not with --sensitivity\n", args_cmd);
		return -1;
	}
	if (!o->trace_path) {
		if (g->trace_timing) {
			fprintf(stderr, "%s: --trace-timing: needs --trace FILE\n", args_cmd);
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < COMPARE_WL_CPUS; i++)
		if (o->wl_text[i]) {
			fprintf(stderr,
				"%s: --%s: not with --trace (the trace says what is mapped)\n",
				args_cmd, iommusim_sim_option_name(i));
			return -1;
		}
	if (o->sensitivity || g->uncertainty) {
		fprintf(stderr, "%s: %s: not with --trace\n", args_cmd,
			o->sensitivity ? "--sensitivity" : "--uncertainty");
		return -1;
	}
	if (load(o))
		return -1;
	/* A replay runs to its end: the measured time is only a bound, the warm-up none. */
	if (!g->seconds && !g->file_seconds)
		o->measure_ns = COMPARE_TRACE_MAX_NS;
	if (!g->warmup && !g->file_warmup)
		o->warmup_ns = 0;
	iommusim_trace_get_info(o->trace, &info);
	o->wl.workload = IOMMUSIM_WORKLOAD_TRACE;
	o->wl.trace = o->trace;
	o->wl.trace_timing = o->trace_timing;
	/* the recorded CPUs, unless --cpus asks for more */
	if (!o->wl_text[COMPARE_WL_CPUS] && o->wl.cpus < info.cpus)
		o->wl.cpus = info.cpus;
	return check_config(o);
}

bool compare_trace_recorded(const struct compare_opts *o, const struct compare_task *t)
{
	return o->record_trace && t->platform == 0 && t->policy == o->policies[0] &&
	       t->seed == o->seed && t->vary == COMPARE_POINT;
}

int compare_record_start(struct compare_opts *o)
{
	struct iommusim_trace_info info = {.device = "nvme"};

	if (!o->record || !o->record->path)
		return 0;
	if (!o->trace_mem && iommusim_mem_create(IOMMUSIM_MEM_DEFAULT, &o->trace_mem))
		goto nomem;
	if (o->trace)
		iommusim_trace_get_info(o->trace, &info);
	if (iommusim_trace_create(o->trace_mem, info.device, &o->record_trace))
		goto nomem;
	return 0;
nomem:
	fprintf(stderr, "%s: out of memory\n", args_cmd);
	return -1;
}

int compare_record_write(struct compare_opts *o)
{
	FILE *f;

	if (!o->record_trace)
		return 0;
	f = outfile_stream(o->record);
	if (!f || iommusim_trace_write(o->record_trace, f) || outfile_commit(o->record)) {
		if (f && !o->record->failed)
			fprintf(stderr, "%s: --record: cannot write '%s'\n", o->cmd,
				o->record->path);
		outfile_abandon(o->record);
		return 1;
	}
	return 0;
}

void compare_trace_free(struct compare_opts *o)
{
	iommusim_trace_destroy(o->record_trace);
	o->record_trace = NULL;
	iommusim_trace_destroy(o->trace);
	iommusim_mem_destroy(o->trace_mem);
	o->trace = NULL;
	o->trace_mem = NULL;
}

void compare_run_workload_name(const struct compare_opts *o, char *buf, size_t len)
{
	const char *base;

	if (compare_mlx5_runs(o)) {
		compare_mlx5_name(&o->wl.mlx5, o->wl.cpus, buf, len);
		return;
	}
	if (!o->trace) {
		compare_workload_name(&o->wl.nvme, buf, len);
		return;
	}
	base = strrchr(o->trace_path, '/');
	snprintf(buf, len, "trace:%s:%s", base ? base + 1 : o->trace_path,
		 timings[o->trace_timing]);
}

/* ---- the replay's columns ---- */

enum tcol { T_TIMING, T_CALLS, T_CALLS_PER_S, T_BACKLOG_MEAN, T_BACKLOG_MAX, T_LEFT, NR_TCOLS };

/* clang-format off */
static const struct iommusim_report_column tcols[NR_TCOLS] = {
	[T_TIMING] = {"trace_timing", IOMMUSIM_REPORT_STRING, IOMMUSIM_REPORT_FILES, 0, 0, 0,
		      NULL, NULL, NULL},
	[T_CALLS] = {"calls", IOMMUSIM_REPORT_UINT, IOMMUSIM_REPORT_FILES, 0, 0, 0, NULL, NULL,
		     NULL},
	[T_CALLS_PER_S] = {"calls_per_s", IOMMUSIM_REPORT_REAL, IOMMUSIM_REPORT_FILES,
			   IOMMUSIM_REPORT_NULLABLE, 1, 0, NULL, NULL, NULL},
	[T_BACKLOG_MEAN] = {"backlog_mean_us", IOMMUSIM_REPORT_REAL, IOMMUSIM_REPORT_FILES,
			    IOMMUSIM_REPORT_NULLABLE, 3, 0, NULL, NULL, NULL},
	[T_BACKLOG_MAX] = {"backlog_max_us", IOMMUSIM_REPORT_REAL, IOMMUSIM_REPORT_FILES,
			   IOMMUSIM_REPORT_NULLABLE, 3, 0, NULL, NULL, NULL},
	[T_LEFT] = {"left_mapped", IOMMUSIM_REPORT_UINT, IOMMUSIM_REPORT_FILES, 0, 0, 0, NULL,
		    NULL, NULL},
};
/* clang-format on */

bool compare_trace_column(const char *name)
{
	for (size_t i = 0; i < NR_TCOLS; i++)
		if (!strcmp(tcols[i].name, name))
			return true;
	return false;
}

size_t compare_trace_columns(const struct compare_opts *o, struct iommusim_report_column *out)
{
	if (!o->trace)
		return 0;
	if (out)
		memcpy(out, tcols, sizeof(tcols));
	return NR_TCOLS;
}

void compare_trace_cells(struct iommusim_report *rep, size_t at, const struct compare_opts *o,
			 const struct iommusim_sim_stats *st)
{
	if (!o->trace)
		return;
	iommusim_report_set_str(rep, at + T_TIMING, timings[o->trace_timing]);
	iommusim_report_set_uint(rep, at + T_CALLS, st->calls);
	iommusim_report_set_real(rep, at + T_CALLS_PER_S, compare_per_second(st->calls, st));
	iommusim_report_set_real(rep, at + T_BACKLOG_MEAN, st->backlog_mean_us);
	iommusim_report_set_real(rep, at + T_BACKLOG_MAX, st->backlog_max_us);
	iommusim_report_set_uint(rep, at + T_LEFT, st->left_mapped);
}

void compare_trace_meta(struct iommusim_report_value *m, const struct compare_opts *o)
{
	struct iommusim_trace_info info;
	struct iommusim_report_value *t;

	if (!o->trace)
		return;
	iommusim_trace_get_info(o->trace, &info);
	iommusim_report_newline(m);
	t = iommusim_report_add_object(m, "trace");
	iommusim_report_add_str(t, "file", o->trace_path);
	iommusim_report_add_str(t, "device", info.device);
	iommusim_report_add_str(t, "timing", timings[o->trace_timing]);
	iommusim_report_add_uint(t, "calls", info.ops);
	iommusim_report_add_uint(t, "maps", info.maps);
	iommusim_report_add_uint(t, "left_mapped", info.left_mapped);
	iommusim_report_add_uint(t, "cpus", info.cpus);
	iommusim_report_add_uint(t, "duration_ns", info.duration_ns);
}
