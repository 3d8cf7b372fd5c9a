/* SPDX-License-Identifier: MIT */
/*
 * The workloads a simulation can run, by kind (workload.h): a new one is its ops table and a
 * line here; and the ops every workload shares, on its struct isim_workload_state.
 */
#include <stddef.h>

#include "workload/workload.h"

const struct isim_workload_ops *isim_workload_ops(enum iommusim_workload_kind kind)
{
	static const struct isim_workload_ops *const kinds[IOMMUSIM_WORKLOAD_NR] = {
		[IOMMUSIM_WORKLOAD_NVME] = &isim_nvme_ops,
		[IOMMUSIM_WORKLOAD_TRACE] = &isim_trace_ops,
		[IOMMUSIM_WORKLOAD_MLX5] = &isim_mlx5_ops,
	};

	return (unsigned int)kind < IOMMUSIM_WORKLOAD_NR ? kinds[kind] : NULL;
}

void isim_workload_measure(void *w, bool on)
{
	((struct isim_workload_state *)w)->measuring = on;
}

int isim_workload_error(const void *w)
{
	return ((const struct isim_workload_state *)w)->err;
}

void isim_workload_counters(const void *w, struct isim_workload_counters *out)
{
	*out = ((const struct isim_workload_state *)w)->ctr;
}

const struct isim_hist *isim_workload_latency(const void *w)
{
	return &((const struct isim_workload_state *)w)->lat;
}

struct isim_hist *isim_workload_interval_latency(void *w, bool on)
{
	struct isim_workload_state *s = w;

	s->interval_on = on;
	return &s->interval_lat;
}

bool isim_workload_stop(void *w)
{
	struct isim_workload_state *s = w;

	s->stopping = true;
	return s->ctr.in_flight > 0;
}

bool isim_workload_endless(const void *w)
{
	(void)w;
	return false;
}

void isim_workload_record_latency(struct isim_workload_state *s, uint64_t cycles)
{
	if (s->measuring)
		isim_hist_record(&s->lat, cycles);
	if (s->interval_on)
		isim_hist_record(&s->interval_lat, cycles);
}

uint64_t isim_workload_setup_done(const struct iommusim_engine *e)
{
	uint64_t t = iommusim_engine_now(e);

	for (unsigned int i = 0; i < iommusim_engine_ncpus(e); i++) {
		uint64_t c = iommusim_engine_cpu_now(e, iommusim_engine_cpu(e, i));

		t = c > t ? c : t;
	}
	return t;
}

void isim_workload_fail(struct isim_workload_state *s, struct iommusim_engine *e, int err)
{
	if (!s->err)
		s->err = err;
	iommusim_engine_stop(e);
}
