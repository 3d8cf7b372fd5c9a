/* SPDX-License-Identifier: MIT */
/*
 * Recording what a simulation runs as a trace (sim.h, iommusim_sim_config.record): each
 * workload logs its data maps and unmaps as it makes them; at the end of the run the log is
 * put in time order and appended to the caller's trace. Calls are logged at the time their CPU
 * begins them, which within one event runs ahead of the engine's clock, so the log is sorted
 * (stably: calls at one instant keep the order they were made in) rather than appended as is.
 */
#ifndef ISIM_WORKLOAD_TRACE_RECORD_H
#define ISIM_WORKLOAD_TRACE_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <iommusim/mem.h>
#include <iommusim/trace.h>

struct isim_recorder {
	struct iommusim_mem *mem;
	struct iommusim_trace_rec *rec;
	size_t n, cap;
	int err; /* the first allocation that failed: -ENOMEM */
};

void isim_recorder_init(struct isim_recorder *r, struct iommusim_mem *mem);
void isim_recorder_free(struct isim_recorder *r);

/* Log one call (@r NULL: not recording). A failure is kept for isim_recorder_finish(). */
void isim_recorder_log(struct isim_recorder *r, const struct iommusim_trace_rec *rec);

/*
 * Append the log, in time order, to @t: 0, -ENOMEM (here or when logging), or -EINVAL with
 * the message in @errbuf when @t refuses a call (a trace it already holds does not end where
 * this one starts).
 */
int isim_recorder_finish(struct isim_recorder *r, struct iommusim_trace *t, char *errbuf,
			 size_t errlen);

#endif /* ISIM_WORKLOAD_TRACE_RECORD_H */
