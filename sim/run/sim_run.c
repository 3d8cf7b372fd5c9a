/* SPDX-License-Identifier: MIT */
/*
 * Running a simulation (sim.h): a warm-up, a measured interval between two snapshots of every
 * counter (sim_stats.c), and a drain; the engine stops at each time series' edge and, for a
 * progress callback, in slices of the run.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include <iommusim/dma.h>
#include <iommusim/sim.h>

#include "run/sim_impl.h"
#include "workload/workload.h"

/*
 * Run every event before cycle @t (the interval is half-open: [start, end)). The engine stops at
 * each end of a time series' interval, for its reading, and with a progress callback also in
 * slices of about 1 % of the whole run: a stop between events runs nothing and moves no event,
 * so the results are the same.
 */
static int run_before(struct iommusim_sim *sim, uint64_t t, uint64_t total)
{
	const struct iommusim_sim_config *cfg = &sim->cfg;
	uint64_t slice = total / 100 ? total / 100 : 1;
	uint64_t now = iommusim_engine_now(sim->e);

	if (t == 0)
		return isim_sim_error(sim);
	while (now < t - 1 && !isim_sim_error(sim) && !sim->wl_ops->finished(sim->wl)) {
		uint64_t until = t - 1, edge = isim_sim_series_next(sim);

		if (cfg->progress && t - 1 - now > slice)
			until = now + slice;
		if (edge - 1 < until)
			until = edge - 1;
		iommusim_engine_run_until(sim->e, until);
		/* a finite workload that is done stopped the engine at its last event */
		if (sim->wl_ops->finished(sim->wl))
			break;
		now = until;
		if (until == edge - 1 && !isim_sim_error(sim))
			isim_sim_series_boundary(sim);
		if (cfg->progress)
			cfg->progress(cfg->progress_arg, iommusim_engine_cycles_to_ns(sim->e, now),
				      cfg->warmup_ns + cfg->measure_ns);
	}
	return isim_sim_error(sim);
}

/*
 * Where the interval meant to end at @t ends: there, or, when a finite workload (a trace) ran
 * out of work before it, just after the workload's last event.
 */
static uint64_t cut(const struct iommusim_sim *sim, uint64_t t)
{
	uint64_t after = iommusim_engine_now(sim->e) + 1;

	return sim->wl_ops->finished(sim->wl) && after < t ? after : t;
}

static int run(struct iommusim_sim *sim)
{
	struct isim_sim_snapshot a, b;
	uint64_t start, end;
	int err;

	/* a workload timed from the set-up's end (a trace) is measured from there at the earliest
	 */
	start = iommusim_engine_ns_to_cycles(sim->e, sim->cfg.warmup_ns);
	if (sim->wl_ops->after_setup && isim_workload_setup_done(sim->e) > start)
		start = isim_workload_setup_done(sim->e);
	end = start + iommusim_engine_ns_to_cycles(sim->e, sim->cfg.measure_ns);

	isim_exposure_window(sim->exposure, start, end);
	isim_sim_series_start(sim);
	err = sim->wl_ops->start(sim->wl);
	if (!err)
		err = run_before(sim, start, end);
	if (err)
		return err;
	start = cut(sim, start);
	isim_sim_take_snapshot(sim, start, &a);
	isim_sim_reset_servers(sim, start);
	isim_sim_series_servers_reset(sim);
	sim->wl_ops->measure(sim->wl, true);
	isim_exposure_measure(sim->exposure, true);

	err = run_before(sim, end, end);
	if (err)
		return err;
	if (cut(sim, end) != end) {
		/* an empty interval still lasts a cycle, so that its rates are numbers */
		end = cut(sim, end) > start ? cut(sim, end) : start + 1;
		isim_exposure_window(sim->exposure, start, end);
		isim_sim_series_close(sim, end);
	}
	isim_sim_take_snapshot(sim, end, &b);
	sim->wl_ops->measure(sim->wl, false);
	isim_exposure_measure(sim->exposure, false);
	isim_exposure_close(sim->exposure);
	isim_sim_compute_stats(sim, &a, &b);

	/*
	 * Drain: the last completion stops the engine. Timers (flush queue, depot trim) may
	 * keep events queued after it, so an empty queue is not the signal.
	 */
	if (sim->wl_ops->stop(sim->wl))
		iommusim_engine_run(sim->e);
	err = isim_sim_error(sim);
	if (err)
		return err;
	/* Nothing stays mapped in the guest's tables: flush what the flush queues still hold. */
	if (sim->domain)
		iommusim_dma_iommu_flush_queue(sim->dev, iommusim_engine_cpu(sim->e, 0));
	err = isim_sim_host_error(sim);
	if (err)
		return err;
	isim_sim_finish_stats(sim);
	if (sim->cfg.record)
		return isim_recorder_finish(&sim->recorder, sim->cfg.record, NULL, 0);
	return 0;
}

int iommusim_sim_run(struct iommusim_sim *sim)
{
	int err;

	assert(sim);
	if (sim->ran)
		return -EALREADY;
	sim->ran = true;
	err = run(sim);
	if (err) {
		memset(&sim->stats, 0, sizeof(sim->stats));
		sim->niv = 0;
	}
	return err;
}

void iommusim_sim_get_stats(const struct iommusim_sim *sim, struct iommusim_sim_stats *out)
{
	assert(sim && out);
	*out = sim->stats;
}
