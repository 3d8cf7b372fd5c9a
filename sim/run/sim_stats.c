/* SPDX-License-Identifier: MIT */
/*
 * The statistics of a simulation's measured interval: snapshots of every counter at its two
 * ends, and the differences, rates, utilisations and latency figures computed from them.
 */
#include <math.h>
#include <string.h>

#include <iommusim/dma.h>
#include <iommusim/s390.h>
#include <iommusim/sim.h>

#include "run/sim_impl.h"

/*
 * The first instant at or after @t at which @srv is idle. A request of no service books
 * nothing and starts there; it is counted as a request, so probe after reading the counters.
 */
static uint64_t idle_from(struct iommusim_sim *sim, struct iommusim_server *srv, uint64_t t)
{
	uint64_t start;

	iommusim_engine_server_use(sim->e, srv, NULL, t, 0, &start, NULL);
	return start;
}

void isim_sim_take_snapshot(struct iommusim_sim *sim, uint64_t t, struct isim_sim_snapshot *s)
{
	struct iommusim_server *server = iommusim_platform_server(sim->platform);
	struct iommusim_server *device = sim->wl_ops->server(sim->wl);

	memset(s, 0, sizeof(*s));
	s->t = t;
	sim->wl_ops->counters(sim->wl, &s->io);
	iommusim_dma_get_stats(sim->dev, &s->dma);
	if (sim->domain)
		iommusim_s390_domain_counters(sim->domain, &s->s390);
	else if (sim->is_ppc)
		isim_sim_ppc_snapshot(sim, s);
	else
		iommusim_s390_legacy_counters(sim->dev, &s->legacy);
	iommusim_platform_get_stats(sim->platform, &s->plat);
	for (unsigned int i = 0; i < sim->cfg.cpus; i++)
		s->charged += iommusim_engine_cpu_charged(sim->e, iommusim_engine_cpu(sim->e, i));
	if (server) {
		iommusim_engine_server_stats(server, &s->server);
		s->server_idle = idle_from(sim, server, t);
	}
	/* without a device (a trace) nothing is busy: idle from t on */
	s->device_idle = t;
	if (device) {
		iommusim_engine_server_stats(device, &s->device);
		s->device_idle = idle_from(sim, device, t);
	}
}

/* Start the servers' counting at the interval's start, so their busy time is the interval's. */
void isim_sim_reset_servers(struct iommusim_sim *sim, uint64_t t)
{
	struct iommusim_server *server = iommusim_platform_server(sim->platform);
	struct iommusim_server *device = sim->wl_ops->server(sim->wl);

	if (server)
		iommusim_engine_server_reset_stats(server, t);
	if (device)
		iommusim_engine_server_reset_stats(device, t);
}

/*
 * The platform's counters over the interval. Every member but the three levels is a counter
 * (members are only ever appended, all counters), so the difference is taken member by member.
 */
static void platform_delta(const struct iommusim_platform_stats *a,
			   const struct iommusim_platform_stats *b,
			   struct iommusim_platform_stats *out)
{
	const uint64_t *pa = (const uint64_t *)a;
	const uint64_t *pb = (const uint64_t *)b;
	uint64_t *po = (uint64_t *)out;

	_Static_assert(sizeof(*a) % sizeof(uint64_t) == 0, "platform stats are all uint64_t");
	for (size_t i = 0; i < sizeof(*a) / sizeof(uint64_t); i++)
		po[i] = pb[i] - pa[i];
	out->shadow_pages = b->shadow_pages;
	out->shadow_pages_max = b->shadow_pages_max;
	out->dma_avail = b->dma_avail;
}

/*
 * Busy time of a server inside [a->t, b->t). A server counts a request's whole service when it
 * is booked, so a long one (a global RPCIT walking millions of pages) booked near the end
 * would count beyond the interval, and one booked in the warm-up not at all. The stretch
 * running at the start is added and the one running on at the end taken off; that is exact
 * when each is one busy stretch, as bookings made in arrival order are, and the result never
 * leaves [0, interval].
 */
static uint64_t busy_within(uint64_t booked, uint64_t a_t, uint64_t a_idle, uint64_t b_t,
			    uint64_t b_idle)
{
	uint64_t in = booked + (a_idle - a_t), out = b_idle - b_t;

	if (in <= out)
		return 0;
	return in - out < b_t - a_t ? in - out : b_t - a_t;
}

static double cycles_to_us(const struct iommusim_sim *sim, double cycles)
{
	return cycles * 1e6 / (double)iommusim_engine_hz(sim->e);
}

double isim_sim_busy_share(const struct isim_sim_snapshot *a, const struct isim_sim_snapshot *b,
			   bool device)
{
	const struct iommusim_server_stats *sa = device ? &a->device : &a->server;
	const struct iommusim_server_stats *sb = device ? &b->device : &b->server;
	uint64_t a_idle = device ? a->device_idle : a->server_idle;
	uint64_t b_idle = device ? b->device_idle : b->server_idle;

	if (b->t <= a->t)
		return 0.0;
	return (double)busy_within(sb->busy - sa->busy, a->t, a_idle, b->t, b_idle) /
	       (double)(b->t - a->t);
}

void isim_sim_rpcits(const struct iommusim_sim *sim, const struct isim_sim_snapshot *a,
		     const struct isim_sim_snapshot *b, struct isim_sim_rpcits *out)
{
	memset(out, 0, sizeof(*out));
	if (sim->is_ppc)
		return;
	if (sim->domain) {
		out->map = b->s390.sync_map_rpcits - a->s390.sync_map_rpcits;
		out->unmap = b->s390.sync_rpcits - a->s390.sync_rpcits;
		out->global = b->s390.global_rpcits - a->s390.global_rpcits +
			      b->s390.enomem_global_rpcits - a->s390.enomem_global_rpcits;
		out->fq_flushes = b->dma.fq_flushes - a->dma.fq_flushes;
	} else {
		out->map = b->legacy.map_rpcits - a->legacy.map_rpcits;
		out->unmap = b->legacy.unmap_rpcits - a->legacy.unmap_rpcits;
		out->global = b->legacy.global_rpcits - a->legacy.global_rpcits;
		out->legacy_wraps = b->legacy.wraps - a->legacy.wraps;
	}
}

/* The exposures settled in the interval and the bytes exposed in it (docs/exposure.md). */
static void exposure_stats(const struct iommusim_sim *sim, uint64_t cycles,
			   struct iommusim_sim_stats *st)
{
	const struct isim_hist *h;

	/* powerpc keeps no tracker: its figures are not taken (docs/exposure.md) */
	if (!sim->exposure) {
		st->exposure_mean_us = st->exposure_p99_us = st->exposure_max_us = NAN;
		st->exposed_byte_s_per_s = NAN;
		return;
	}
	h = isim_exposure_hist(sim->exposure);
	st->exposures = h->count;
	st->exposure_mean_us = st->exposure_p99_us = st->exposure_max_us = NAN;
	if (h->count) {
		st->exposure_mean_us = cycles_to_us(sim, isim_hist_mean(h));
		st->exposure_p99_us = cycles_to_us(sim, (double)isim_hist_quantile(h, 99, 100));
		st->exposure_max_us = cycles_to_us(sim, (double)h->max);
	}
	st->exposed_byte_s_per_s =
		cycles ? isim_exposure_byte_cycles(sim->exposure) / (double)cycles : 0.0;
}

void isim_sim_compute_stats(struct iommusim_sim *sim, const struct isim_sim_snapshot *a,
			    const struct isim_sim_snapshot *b)
{
	struct iommusim_sim_stats *st = &sim->stats;
	const struct isim_hist *lat = sim->wl_ops->latency(sim->wl);
	double interval = (double)(b->t - a->t);
	uint64_t bytes = b->io.completed_bytes - a->io.completed_bytes;
	struct isim_sim_rpcits rp;

	memset(st, 0, sizeof(*st));
	st->sim_seconds = interval / (double)iommusim_engine_hz(sim->e);
	st->fq_size = sim->fq_size;
	st->fq_timeout_ms = sim->fq_timeout_ms;
	st->ios_submitted = b->io.submitted - a->io.submitted;
	st->ios_completed = b->io.completed - a->io.completed;
	st->io_errors = b->io.failed - a->io.failed;
	st->map_failures = b->dma.map_failures - a->dma.map_failures;
	st->iops = (double)st->ios_completed / st->sim_seconds;
	st->mbps = (double)bytes / st->sim_seconds / 1e6;
	st->lat_mean_us = cycles_to_us(sim, isim_hist_mean(lat));
	st->lat_p50_us = cycles_to_us(sim, (double)isim_hist_quantile(lat, 50, 100));
	st->lat_p99_us = cycles_to_us(sim, (double)isim_hist_quantile(lat, 99, 100));
	st->lat_max_us = cycles_to_us(sim, (double)lat->max);
	st->lat_min_us = cycles_to_us(sim, (double)lat->min);
	isim_sim_rpcits(sim, a, b, &rp);
	st->rpcit_map = rp.map;
	st->rpcit_unmap = rp.unmap;
	st->rpcit_global = rp.global;
	st->fq_flushes = rp.fq_flushes;
	st->legacy_wraps = rp.legacy_wraps;
	platform_delta(&a->plat, &b->plat, &st->platform);
	st->budget_exhausted = st->platform.budget_exhausted;
	if (iommusim_platform_server(sim->platform)) {
		st->server_util = (double)busy_within(b->server.busy, a->t, a->server_idle, b->t,
						      b->server_idle) /
				  interval;
		/* a time series' probes are not requests */
		uint64_t requests = b->server.requests - sim->probe_requests;
		uint64_t wait = b->server.wait_total - sim->probe_wait;

		if (requests)
			st->server_wait_us = cycles_to_us(sim, (double)wait / (double)requests);
	}
	st->device_util =
		(double)busy_within(b->device.busy, a->t, a->device_idle, b->t, b->device_idle) /
		interval;
	/*
	 * Work is booked when a CPU reaches it, ahead of the engine's clock, so the charges of an
	 * interval can overhang its end by one step: a fraction is at most 1.
	 */
	st->cpu_util = (double)(b->charged - a->charged) / ((double)sim->cfg.cpus * interval);
	if (st->cpu_util > 1.0)
		st->cpu_util = 1.0;
	st->in_flight_start = a->io.in_flight;
	st->in_flight_end = b->io.in_flight;
	exposure_stats(sim, b->t - a->t, st);
	st->calls = b->dma.maps - a->dma.maps + b->dma.unmaps - a->dma.unmaps +
		    b->dma.map_failures - a->dma.map_failures;
	st->backlog_mean_us = st->backlog_max_us = NAN;
	if (sim->wl_ops->stats)
		sim->wl_ops->stats(sim->wl, iommusim_engine_hz(sim->e), st);
	if (sim->is_ppc)
		isim_sim_ppc_stats(sim, a, b, st);
}

/* After the drain: totals of the whole run and the data mappings left behind. */
void isim_sim_finish_stats(struct iommusim_sim *sim)
{
	struct iommusim_sim_stats *st = &sim->stats;
	struct isim_workload_counters io;
	struct iommusim_dma_stats dma;

	sim->wl_ops->counters(sim->wl, &io);
	iommusim_dma_get_stats(sim->dev, &dma);
	st->ios_submitted_total = io.submitted;
	st->ios_completed_total = io.completed;
	st->io_errors_total = io.failed;
	/* Live mappings, less the driver's coherent ones, which stay until the device goes. */
	st->mapped_end = dma.maps - dma.unmaps - io.coherent;
}
