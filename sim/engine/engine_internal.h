/* SPDX-License-Identifier: MIT */
/* The engine's state, shared by its event queue, clock and servers. */
#ifndef ISIM_ENGINE_INTERNAL_H
#define ISIM_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/engine.h>

/* 64x64->128 multiplies for exact unit conversion and unbiased bounded random numbers. */
__extension__ typedef unsigned __int128 isim_u128;

#define ISIM_EV_NONE UINT32_MAX
/* Record position of an event waiting in its CPU's backlog rather than in the heap. */
#define ISIM_EV_BLOCKED (UINT32_MAX - 1)

/*
 * Queue order. @due is the time the event was scheduled for. The heap holds events and, for
 * each CPU with a backlog, one wake-up entry keyed by the CPU's free time and the due time and
 * sequence of the oldest event in the backlog. The key copy lives in the heap so comparisons
 * do not chase the record.
 */
struct isim_heap_ent {
	uint64_t time;
	uint64_t due;
	uint64_t seq;
	uint32_t slot;
};

/*
 * An event record. Records 0..ncpus-1 are the CPUs' wake-up entries; the rest are events,
 * recycled through a free list. @gen changes on every release so a stale handle (slot, gen)
 * never matches a later event in the same slot.
 */
struct isim_event {
	iommusim_event_fn *fn;
	void *arg;
	uint64_t due; /* kept here while blocked */
	uint64_t seq;
	uint32_t cpu; /* CPU index, or ISIM_EV_NONE */
	uint32_t pos; /* heap index, ISIM_EV_BLOCKED, or ISIM_EV_NONE when not queued */
	uint32_t gen;
	uint32_t next; /* free list, or backlog */
	uint32_t prev; /* backlog */
};

struct isim_engine_cpu {
	struct iommusim_cpu *cpu;
	uint64_t busy_until;
	uint64_t charged;
	/* Events that came due while the CPU was busy, oldest first. */
	uint32_t head;
	uint32_t tail;
};

struct iommusim_engine {
	struct iommusim_mem *mem;
	uint64_t hz;
	uint64_t now;
	uint64_t next_seq;
	uint64_t events_run;
	unsigned int ncpus;
	struct isim_engine_cpu *cpus;

	struct isim_event *ev;
	struct isim_heap_ent *heap;
	uint32_t cap; /* records and heap entries allocated */
	uint32_t heap_len;
	uint32_t free_head; /* first free record, ISIM_EV_NONE when all are in use */
	uint32_t used;	    /* records handed out so far (the rest were never used) */
	size_t pending;	    /* events queued, in the heap or in a backlog */

	bool running;
	bool stop;

	struct iommusim_clock *clock; /* NULL once destroyed */
	uint64_t clock_ns;	      /* last time published to the clock */
	uint64_t clock_next;	      /* first cycle whose time in ns is past clock_ns */

	struct iommusim_server *servers;
};

/* The CPU index of @cpu, which must be one of the engine's CPUs. */
unsigned int isim_engine_cpu_index(const struct iommusim_engine *e, const struct iommusim_cpu *cpu);

/* Set up the queue: the CPUs' wake-up records and room for the first events (queue.c). */
int isim_engine_queue_init(struct iommusim_engine *e);

/* Free the queue's arrays. */
void isim_engine_queue_fini(struct iommusim_engine *e);

/* Queue @fn(@arg) at @at bound to CPU index @cpu (or ISIM_EV_NONE); the slot or ISIM_EV_NONE. */
uint32_t isim_engine_push(struct iommusim_engine *e, uint64_t at, uint32_t cpu,
			  iommusim_event_fn *fn, void *arg);

/* Take the queued event in @slot off the queue and release its record. */
void isim_engine_remove(struct iommusim_engine *e, uint32_t slot);

/*
 * Take off the next event that can run at or before @limit, move now to its time and release
 * its record. Return: false when there is none.
 */
bool isim_engine_take(struct iommusim_engine *e, uint64_t limit, iommusim_event_fn **fn,
		      void **arg);

/* Create the engine's clock (engine_clock.c); 0 or -ENOMEM. */
int isim_engine_clock_create(struct iommusim_engine *e);

/* Tell the clock the engine's time; called whenever now may have moved. */
void isim_engine_clock_sync(struct iommusim_engine *e);

/* Free every server still alive (server.c). */
void isim_engine_servers_destroy(struct iommusim_engine *e);

/* Natural logarithm of a positive finite @x from basic arithmetic only, so every machine agrees. */
double isim_rng_log(double x);

#endif /* ISIM_ENGINE_INTERNAL_H */
