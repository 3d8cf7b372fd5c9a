/* SPDX-License-Identifier: MIT */
/*
 * The trace workload (workload.h, docs/traces.md "Replay"): a loaded trace's calls sorted out
 * by CPU, each unmap tied to its map, and the ops the runner calls. The trace's DMA addresses
 * named buffers only: the simulated allocator picks its own IOVAs, and the guest-physical
 * pages are handed out in turn over the guest's memory.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/memory.h"
#include "workload/trace_live.h"
#include "workload/trace_run.h"

static int trace_check(const struct iommusim_sim_config *cfg, char *errbuf, size_t errlen)
{
	struct iommusim_trace_info info;

	if (!cfg->trace) {
		if (errlen)
			snprintf(errbuf, errlen, "trace: no trace given");
		return -EINVAL;
	}
	if ((unsigned int)cfg->trace_timing >= IOMMUSIM_TRACE_TIMING_NR) {
		if (errlen)
			snprintf(errbuf, errlen, "trace_timing: %u is not a timing mode",
				 (unsigned int)cfg->trace_timing);
		return -EINVAL;
	}
	iommusim_trace_get_info(cfg->trace, &info);
	if (info.cpus > cfg->cpus) {
		if (errlen)
			snprintf(errbuf, errlen, "trace: it names CPU %u, and cpus is %u",
				 info.cpus - 1, cfg->cpus);
		return -EINVAL;
	}
	return 0;
}

/* Arrays by call have room for one at least: an empty trace replays too. */
static size_t room(const struct isim_trace_run *r)
{
	return r->n ? r->n : 1;
}

static void free_arrays(struct isim_trace_run *r)
{
	if (r->order)
		isim_free(r->mem, r->order, room(r) * sizeof(*r->order), 0);
	if (r->peer)
		isim_free(r->mem, r->peer, room(r) * sizeof(*r->peer), 0);
	if (r->life)
		isim_free(r->mem, r->life, room(r) * sizeof(*r->life), 0);
	if (r->cpus)
		isim_free(r->mem, r->cpus, r->ncpus * sizeof(*r->cpus), 0);
}

static void trace_destroy(void *w)
{
	struct isim_trace_run *r = w;

	if (!r)
		return;
	/* the buffers the trace left mapped, or the run did not reach the unmap of */
	for (size_t i = 0; r->life && i < r->n; i++)
		if (isim_trace_starts(r->rec[i].op) && r->life[i].state == LIFE_MAPPED)
			isim_trace_unmap(r, r->cpus[r->rec[i].cpu].cpu, i);
	free_arrays(r);
	isim_free(r->mem, r, sizeof(*r), 0);
}

/* Each unmap's map, by the buffer numbers of the trace (checked when it was built). */
static int pair(struct isim_trace_run *r)
{
	struct isim_live live;
	int err = 0;

	isim_live_init(&live, r->mem);
	for (size_t i = 0; i < r->n && !err; i++) {
		uint64_t at = SIZE_MAX;

		r->peer[i] = SIZE_MAX;
		if (isim_trace_starts(r->rec[i].op))
			err = isim_live_put(&live, r->rec[i].buffer, i);
		else if (isim_live_del(&live, r->rec[i].buffer, &at))
			r->peer[i] = (size_t)at;
	}
	isim_live_free(&live);
	return err;
}

/* The calls of each CPU in order: counted, then placed. */
static void sort_out(struct isim_trace_run *r)
{
	size_t at = 0;

	for (size_t i = 0; i < r->n; i++)
		r->cpus[r->rec[i].cpu].end++;
	for (uint32_t c = 0; c < r->ncpus; c++) {
		size_t count = r->cpus[c].end;

		r->cpus[c].first = r->cpus[c].next = r->cpus[c].end = at;
		at += count;
	}
	for (size_t i = 0; i < r->n; i++)
		r->order[r->cpus[r->rec[i].cpu].end++] = i;
}

static int fits(const struct isim_trace_run *r, const struct isim_workload_setup *s)
{
	for (size_t i = 0; i < r->n; i++) {
		uint64_t need = isim_trace_footprint(r->rec[i].bytes, r->rec[i].segs);

		if (need > s->phys_limit - s->phys_base) {
			if (s->errlen)
				snprintf(s->errbuf, s->errlen,
					 "trace: call %zu maps %llu bytes, more than the %llu "
					 "bytes of guest memory for buffers",
					 i + 1, (unsigned long long)need,
					 (unsigned long long)(s->phys_limit - s->phys_base));
			return -EINVAL;
		}
	}
	return 0;
}

static int trace_create(struct iommusim_mem *mem, const struct isim_workload_setup *s, void **out)
{
	struct isim_trace_run *r;
	int err = -ENOMEM;

	r = isim_zalloc(mem, sizeof(*r), 0);
	if (!r)
		goto nomem;
	r->mem = mem;
	r->e = s->engine;
	r->dev = s->dev;
	r->rec = iommusim_trace_records(s->cfg->trace, &r->n);
	r->recorded = s->cfg->trace_timing == IOMMUSIM_TRACE_RECORDED;
	r->ncpus = iommusim_engine_ncpus(s->engine);
	r->left = r->n;
	r->phys_base = r->phys_next = s->phys_base;
	r->phys_limit = s->phys_limit;
	r->exposure = s->exposure;
	r->record = s->record;
	isim_hist_reset(&r->st.lat);
	isim_hist_reset(&r->backlog);
	r->cpus = isim_zalloc(mem, r->ncpus * sizeof(*r->cpus), 0);
	r->order = isim_alloc(mem, room(r) * sizeof(*r->order), 0);
	r->peer = isim_alloc(mem, room(r) * sizeof(*r->peer), 0);
	r->life = isim_zalloc(mem, room(r) * sizeof(*r->life), 0);
	if (!r->cpus || !r->order || !r->peer || !r->life)
		goto fail;
	for (uint32_t c = 0; c < r->ncpus; c++) {
		r->cpus[c].r = r;
		r->cpus[c].id = c;
		r->cpus[c].cpu = iommusim_engine_cpu(r->e, c);
	}
	err = fits(r, s);
	if (!err)
		err = pair(r);
	if (err)
		goto fail;
	sort_out(r);
	r->mem_failed = iommusim_mem_failed_allocs(mem);
	*out = r;
	return 0;
fail:
	trace_destroy(r);
	if (err != -ENOMEM)
		return err;
nomem:
	if (s->errlen && !s->errbuf[0])
		snprintf(s->errbuf, s->errlen, "trace: out of memory for the replay");
	return -ENOMEM;
}

static int trace_start(void *w)
{
	struct isim_trace_run *r = w;

	if (!r->n) {
		r->finished = true;
		return 0;
	}
	/* the recording began on a running system: after the set-up's work (a DDW's population) */
	r->origin = isim_workload_setup_done(r->e);
	for (uint32_t c = 0; c < r->ncpus; c++) {
		int err = isim_trace_next(r, &r->cpus[c]);

		if (err)
			return err;
	}
	return 0;
}

/* Calls are made whole in one event: nothing is in flight to drain. */
static bool trace_stop(void *w)
{
	((struct isim_trace_run *)w)->stopping = true;
	return false;
}

static bool trace_finished(const void *w)
{
	return ((const struct isim_trace_run *)w)->finished;
}

/* The trace's device is no model: its time is in the recorded times, or left out. */
static struct iommusim_server *trace_server(const void *w)
{
	(void)w;
	return NULL;
}

static void trace_stats(const void *w, uint64_t hz, struct iommusim_sim_stats *st)
{
	const struct isim_trace_run *r = w;

	st->left_mapped = r->st.ctr.in_flight;
	if (!r->recorded || !r->backlog.count)
		return;
	st->backlog_mean_us = isim_hist_mean(&r->backlog) * 1e6 / (double)hz;
	st->backlog_max_us = (double)r->backlog.max * 1e6 / (double)hz;
}

const struct isim_workload_ops isim_trace_ops = {
	.check = trace_check,
	.create = trace_create,
	.destroy = trace_destroy,
	.start = trace_start,
	.measure = isim_workload_measure,
	.stop = trace_stop,
	.finished = trace_finished,
	.error = isim_workload_error,
	.counters = isim_workload_counters,
	.latency = isim_workload_latency,
	.interval_latency = isim_workload_interval_latency,
	.server = trace_server,
	.stats = trace_stats,
	.after_setup = true,
};
