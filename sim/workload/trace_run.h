/* SPDX-License-Identifier: MIT */
/*
 * The replay of a recorded DMA trace (docs/traces.md, "Replay"): its state, shared by the set-up
 * (trace_run.c: the CPUs' call lists, each map's partner, the ops table) and the calls
 * themselves (trace_call.c: each call an event of its own on its CPU).
 */
#ifndef ISIM_WORKLOAD_TRACE_RUN_H
#define ISIM_WORKLOAD_TRACE_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/dma.h>
#include <iommusim/trace.h>

#include "workload/workload.h"

/* Where a buffer's life stands. */
enum life_state { LIFE_WAITING, LIFE_MAPPED, LIFE_FAILED, LIFE_DONE };

/* One buffer's life: a map call of the trace, by its index. */
struct life {
	uint64_t dma;
	uint64_t ready;		/* the cycle its map returned: its unmap begins no earlier */
	struct iommusim_sg *sg; /* map_sg: its list while mapped */
	uint32_t nseg;		/* map_sg: the output segments of its mapping */
	uint32_t waiter;	/* 1 + the CPU waiting for this map to return, 0: none */
	uint8_t state;
};

struct trace_cpu {
	struct isim_trace_run *r;
	struct iommusim_cpu *cpu;
	uint32_t id;
	size_t first, end; /* its calls: r->order[first..end) */
	size_t next;
};

struct isim_trace_run {
	struct isim_workload_state st; /* first: the shared ops take it (workload.h) */
	struct iommusim_mem *mem;
	struct iommusim_engine *e;
	struct iommusim_device *dev;
	const struct iommusim_trace_rec *rec;
	size_t n;
	bool recorded; /* IOMMUSIM_TRACE_RECORDED: calls wait for their time */
	/* the cycle the trace's time 0 falls on: when the guest's set-up left every CPU free */
	uint64_t origin;
	struct trace_cpu *cpus;
	uint32_t ncpus;
	size_t *order;	   /* the calls of CPU 0, then CPU 1, ...: indices into rec */
	size_t *peer;	   /* an unmap's map (its index), SIZE_MAX for a map */
	struct life *life; /* by the index of the map */
	size_t left;	   /* calls not made yet */
	/* guest-physical pages handed to buffers in turn, wrapping */
	uint64_t phys_base, phys_limit, phys_next;
	struct isim_exposure *exposure;
	struct isim_recorder *record;
	uint64_t mem_failed;
	bool stopping, finished;
	struct isim_hist backlog; /* recorded timing: each call's delay behind its time */
};

/* A map, map_sg or alloc starts a buffer's life; the others end one. */
static inline bool isim_trace_starts(unsigned int op)
{
	return op == IOMMUSIM_TRACE_MAP || op == IOMMUSIM_TRACE_MAP_SG ||
	       op == IOMMUSIM_TRACE_ALLOC;
}

/* The event of CPU tc's next call (@arg: its struct trace_cpu). */
void isim_trace_call_event(struct iommusim_engine *e, void *arg);

/* Unmap (or free) the live buffer that the call @map mapped, on @cpu. */
void isim_trace_unmap(struct isim_trace_run *r, struct iommusim_cpu *cpu, size_t map);

/* Queue CPU @c's next call (the first one at start): 0 or -ENOMEM. */
int isim_trace_next(struct isim_trace_run *r, struct trace_cpu *c);

/* Free the list of a scatterlist map. */
void isim_trace_free_sg(struct isim_trace_run *r, struct life *l, uint32_t segs);

/* Bytes of guest memory a call of @bytes in @segs entries takes (whole pages each). */
uint64_t isim_trace_footprint(uint64_t bytes, uint32_t segs);

#endif /* ISIM_WORKLOAD_TRACE_RUN_H */
