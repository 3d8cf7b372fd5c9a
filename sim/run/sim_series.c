/* SPDX-License-Identifier: MIT */
/*
 * A simulation's time series (sim.h, struct iommusim_sim_interval): the engine is run to each
 * interval's end, where every counter is read as at the measured interval's edges
 * (isim_sim_take_snapshot()), and the interval is the difference from the previous reading.
 * Stopping the engine between two events runs nothing and moves no event, so the run's results
 * are those it has without a series; the one thing a reading adds, a zero-length probe of each
 * server (to find where its busy stretch ends), is counted and left out of the statistics.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/memory.h"
#include "run/sim_impl.h"

#define NS_PER_S 1e9
/* Narrower intervals than this would be finer than a cycle at low frequencies. */
#define MIN_INTERVAL_NS 1000u

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

uint64_t iommusim_sim_interval_count(const struct iommusim_sim_config *cfg)
{
	if (!cfg || !cfg->interval_ns)
		return 0;
	return div_up(cfg->warmup_ns, cfg->interval_ns) + div_up(cfg->measure_ns, cfg->interval_ns);
}

int isim_sim_series_check(const struct iommusim_sim_config *cfg, char *errbuf, size_t errlen)
{
	uint64_t n = iommusim_sim_interval_count(cfg);

	if (!cfg->interval_ns)
		return 0;
	if (cfg->interval_ns < MIN_INTERVAL_NS) {
		if (errlen)
			snprintf(errbuf, errlen, "interval_ns: %llu is less than %u (1 us)",
				 (unsigned long long)cfg->interval_ns, MIN_INTERVAL_NS);
		return -EINVAL;
	}
	if (n > IOMMUSIM_SIM_MAX_INTERVALS) {
		if (errlen)
			snprintf(errbuf, errlen, "interval_ns: %llu intervals, more than %u",
				 (unsigned long long)n, IOMMUSIM_SIM_MAX_INTERVALS);
		return -EINVAL;
	}
	return 0;
}

int isim_sim_series_create(struct iommusim_sim *sim)
{
	size_t n = (size_t)iommusim_sim_interval_count(&sim->cfg);

	if (!n)
		return 0;
	sim->iv = isim_zalloc(sim->mem, n * sizeof(*sim->iv), 0);
	if (!sim->iv)
		return -ENOMEM;
	sim->iv_cap = n;
	return 0;
}

void isim_sim_series_destroy(struct iommusim_sim *sim)
{
	if (sim->iv)
		isim_free(sim->mem, sim->iv, sim->iv_cap * sizeof(*sim->iv), 0);
	sim->iv = NULL;
	sim->iv_cap = sim->niv = 0;
}

/* Interval @i's end in ns: steps of interval_ns from 0, then again from the warm-up's end. */
static uint64_t end_ns(const struct iommusim_sim *sim, size_t i)
{
	const struct iommusim_sim_config *cfg = &sim->cfg;
	uint64_t warm = div_up(cfg->warmup_ns, cfg->interval_ns), t;

	if (i < warm) {
		t = (i + 1) * cfg->interval_ns;
		return t < cfg->warmup_ns ? t : cfg->warmup_ns;
	}
	t = (i - warm + 1) * cfg->interval_ns;
	return cfg->warmup_ns + (t < cfg->measure_ns ? t : cfg->measure_ns);
}

/* ... and in cycles, converted as the run converts the measured interval's edges. */
static uint64_t end_cycles(const struct iommusim_sim *sim, size_t i)
{
	uint64_t ns = end_ns(sim, i), warm = sim->cfg.warmup_ns;

	if (ns <= warm)
		return iommusim_engine_ns_to_cycles(sim->e, ns);
	return iommusim_engine_ns_to_cycles(sim->e, warm) +
	       iommusim_engine_ns_to_cycles(sim->e, ns - warm);
}

void isim_sim_series_start(struct iommusim_sim *sim)
{
	if (!sim->iv)
		return;
	isim_sim_take_snapshot(sim, 0, &sim->iv_prev);
	sim->iv_lat = sim->wl_ops->interval_latency(sim->wl, true);
	isim_hist_reset(sim->iv_lat);
}

uint64_t isim_sim_series_next(const struct iommusim_sim *sim)
{
	if (!sim->iv || sim->niv == sim->iv_cap)
		return UINT64_MAX;
	return end_cycles(sim, sim->niv);
}

static double cycles_to_us(const struct iommusim_sim *sim, double cycles)
{
	return cycles * 1e6 / (double)iommusim_engine_hz(sim->e);
}

/* A reading at @t, and what its server probe added to the platform server's counters. */
static void reading(struct iommusim_sim *sim, uint64_t t, struct isim_sim_snapshot *s)
{
	struct iommusim_server *server = iommusim_platform_server(sim->platform);
	struct iommusim_server_stats after;

	isim_sim_take_snapshot(sim, t, s);
	if (!server)
		return;
	iommusim_engine_server_stats(server, &after);
	sim->probe_requests += after.requests - s->server.requests;
	sim->probe_wait += after.wait_total - s->server.wait_total;
}

/* Record the interval from the last reading to cycle @t, @t_ns in ns. */
static void record_to(struct iommusim_sim *sim, uint64_t t, uint64_t t_ns)
{
	struct iommusim_sim_interval *iv = &sim->iv[sim->niv];
	const struct isim_sim_snapshot *a = &sim->iv_prev;
	struct isim_sim_snapshot b;
	struct isim_sim_rpcits rp;
	double seconds;

	reading(sim, t, &b);
	iv->start_ns = sim->niv ? sim->iv[sim->niv - 1].end_ns : 0;
	iv->end_ns = t_ns;
	iv->measured = iv->start_ns >= sim->cfg.warmup_ns;
	seconds = (double)(iv->end_ns - iv->start_ns) / NS_PER_S;
	iv->ios_completed = b.io.completed - a->io.completed;
	iv->io_errors = b.io.failed - a->io.failed;
	iv->iops = (double)iv->ios_completed / seconds;
	iv->mbps = (double)(b.io.completed_bytes - a->io.completed_bytes) / seconds / 1e6;
	iv->lat_mean_us = iv->lat_p99_us = NAN;
	if (sim->iv_lat->count) {
		iv->lat_mean_us = cycles_to_us(sim, isim_hist_mean(sim->iv_lat));
		iv->lat_p99_us =
			cycles_to_us(sim, (double)isim_hist_quantile(sim->iv_lat, 99, 100));
	}
	isim_hist_reset(sim->iv_lat);
	isim_sim_rpcits(sim, a, &b, &rp);
	iv->rpcit_map = rp.map;
	iv->rpcit_unmap = rp.unmap;
	iv->rpcit_global = rp.global;
	iv->fq_flushes = rp.fq_flushes;
	iv->legacy_wraps = rp.legacy_wraps;
	if (iommusim_platform_server(sim->platform))
		iv->server_util = isim_sim_busy_share(a, &b, false);
	iv->device_util = isim_sim_busy_share(a, &b, true);
	/* as for the measured interval: work booked ahead of the clock may overhang the end */
	iv->cpu_util = b.t > a->t ? (double)(b.charged - a->charged) /
					    ((double)sim->cfg.cpus * (double)(b.t - a->t))
				  : 0.0;
	if (iv->cpu_util > 1.0)
		iv->cpu_util = 1.0;
	iv->live_mappings = b.dma.maps - b.dma.unmaps - b.io.coherent;
	iv->dma_avail = b.plat.dma_avail;
	sim->iv_prev = b;
	if (++sim->niv == sim->iv_cap)
		sim->wl_ops->interval_latency(sim->wl, false);
}

void isim_sim_series_boundary(struct iommusim_sim *sim)
{
	record_to(sim, end_cycles(sim, sim->niv), end_ns(sim, sim->niv));
}

void isim_sim_series_close(struct iommusim_sim *sim, uint64_t t)
{
	uint64_t ns = iommusim_engine_cycles_to_ns(sim->e, t);
	uint64_t last = sim->niv ? sim->iv[sim->niv - 1].end_ns : 0;

	if (!sim->iv || sim->niv == sim->iv_cap || ns <= last)
		return;
	record_to(sim, t, ns);
}

void isim_sim_series_servers_reset(struct iommusim_sim *sim)
{
	/* The busy time booked from here on is counted afresh; where each stretch ends is not. */
	sim->iv_prev.server.busy = 0;
	sim->iv_prev.device.busy = 0;
	sim->probe_requests = 0;
	sim->probe_wait = 0;
}

const struct iommusim_sim_interval *iommusim_sim_get_intervals(const struct iommusim_sim *sim,
							       size_t *count)
{
	*count = sim->niv;
	return sim->niv ? sim->iv : NULL;
}
