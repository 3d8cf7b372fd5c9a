/* SPDX-License-Identifier: MIT */
/* The engine's state, shared by its event queue, clock and servers. */
#ifndef ISIM_ENGINE_INTERNAL_H
#define ISIM_ENGINE_INTERNAL_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <iommusim/engine.h>

#include "base/cpu_work.h"

/* 64x64->128 multiplies for exact unit conversion and unbiased bounded random numbers. */
__extension__ typedef unsigned __int128 isim_u128;

#define ISIM_EV_NONE UINT32_MAX
/*
 * Record positions of an event waiting in its CPU's backlog rather than in the queue: one that
 * came up in the queue and found the CPU busy, and one that joined the backlog when queued.
 */
#define ISIM_EV_BLOCKED (UINT32_MAX - 1)
#define ISIM_EV_JOINED	(UINT32_MAX - 3)
/* Record position of an entry in the queue's ordered array (found there by its key). */
#define ISIM_EV_QUEUED (UINT32_MAX - 2)
/* Record position of the event queued last, not yet placed (queue.c). */
#define ISIM_EV_HELD (UINT32_MAX - 4)

/*
 * Queue order. @due is the time the event was scheduled for; an event's entry in the queue's
 * array has time = due. Each CPU with a backlog has a wake-up key, keyed by the CPU's free time
 * and the due time and sequence of the oldest event in the backlog (@slot: the CPU). A wake-up
 * key's time may lag behind the CPU's free time: it is a lower bound, raised after each event
 * taken from the backlog has run and again whenever the key comes up, and never before the due
 * time of the oldest waiting event, which may be in the future (see queue.c).
 */
struct isim_heap_ent {
	uint64_t time;
	uint64_t due;
	uint64_t seq;
	uint32_t slot;
};

/*
 * An event record, recycled through a free list. @gen changes on every release so a stale
 * handle (slot, gen) never matches a later event in the same slot.
 */
struct isim_event {
	iommusim_event_fn *fn;
	void *arg;
	/* the key of the record's entry while queued, kept while waiting in a backlog too */
	uint64_t due;
	uint64_t seq;
	uint32_t cpu; /* CPU index, or ISIM_EV_NONE */
	/*
	 * ISIM_EV_QUEUED, ISIM_EV_BLOCKED, ISIM_EV_JOINED, ISIM_EV_HELD, or ISIM_EV_NONE when
	 * not queued
	 */
	uint32_t pos;
	uint32_t gen;
	uint32_t next; /* free list, or backlog */
	uint32_t prev; /* backlog */
	/* Owned by a timer (isim_engine_rec_reserve()): released to it, never to the free list. */
	bool reserved;
};

/* A list of waiting events through their records, in (due, sequence) order. */
struct isim_backlog {
	uint32_t head;
	uint32_t tail;
};

/*
 * A CPU and the events waiting for it, in two lists (queue.c): those that came up in the queue
 * and found it busy, which come in key order and so only ever go last, and those that joined
 * the backlog when they were queued, each put in its place. The oldest waiting event is the
 * older of the two heads. @wake is the CPU's wake-up key while its backlog is not empty.
 */
struct isim_engine_cpu {
	struct iommusim_cpu *cpu;
	uint64_t busy_until;
	uint64_t charged;
	struct isim_backlog blocked;
	struct isim_backlog joined;
	struct isim_heap_ent wake;
};

/*
 * Division of any 64-bit value by a fixed divisor with a multiply and shifts, exact for every
 * dividend (Granlund and Montgomery, "Division by invariant integers using multiplication",
 * 1994, figure 4.1): q = (t + ((n - t) >> sh1)) >> sh2 with t the high half of m * n.
 */
struct isim_udiv {
	uint64_t m;
	unsigned int sh1;
	unsigned int sh2;
};

static inline uint64_t isim_udiv(const struct isim_udiv *dv, uint64_t n)
{
	uint64_t t = (uint64_t)(((isim_u128)dv->m * n) >> 64);

	return (t + ((n - t) >> dv->sh1)) >> dv->sh2;
}

/* Cycles <-> ns as the reduced fraction hz / 1e9 = @cyc / @ns, for the 64-bit fast paths. */
struct isim_engine_conv {
	uint64_t cyc;	     /* hz / gcd(hz, 1e9) */
	uint64_t ns;	     /* 1e9 / gcd(hz, 1e9) */
	uint64_t cycles_max; /* largest cycle count whose product with @ns fits 64 bits */
	uint64_t ns_max;     /* largest ns whose product with @cyc plus @ns - 1 fits */
	struct isim_udiv by_cyc;
	struct isim_udiv by_ns;
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
	/* the events not waiting in a backlog: heap_len entries in key order from heap[heap_lo] */
	struct isim_heap_ent *heap;
	uint32_t cap; /* records allocated */
	uint32_t heap_lo;
	uint32_t heap_len;
	uint32_t free_head; /* first free record, ISIM_EV_NONE when all are in use */
	uint32_t used;	    /* records handed out so far (the rest were never used) */
	/*
	 * A tournament over the CPUs with a backlog: wake[1] is the CPU whose wake-up key is the
	 * smallest, wake[leaves + i] is CPU i or ISIM_EV_NONE when its backlog is empty, and each
	 * inner node the winner of its two children.
	 */
	uint32_t *wake;
	uint32_t leaves; /* a power of two, at least ncpus */
	/*
	 * CPU whose wake-up key still carries the key of the event just taken from its backlog,
	 * or ISIM_EV_NONE. The key is brought up to date by the next take, once the event's
	 * callback has made the CPU busy, so the tournament is replayed once, not twice.
	 */
	uint32_t rekey;
	/* The event queued last, kept out of the array until the next take or queuing, or none. */
	uint32_t held;
	size_t pending; /* events queued, in the heap, in a backlog or held */

	bool running;
	bool stop;

	struct iommusim_clock *clock; /* NULL once destroyed */
	struct isim_engine_conv conv;

	struct iommusim_server *servers;

	/* Work reports summed per CPU (isim_work()), when set up by isim_engine_tally_work(). */
	struct isim_work_tally tally;
};

/*
 * Charge every CPU what it owes for work reported since the last call. A report made while now
 * stands still adds exactly what a charge of its own would have, so the sums are charged at
 * the latest before now moves or a busy time is read: by the queue before it takes an event,
 * and by every engine call that reads or changes a CPU's busy time.
 */
void isim_engine_settle_all(struct iommusim_engine *e);

static inline void isim_engine_settle(struct iommusim_engine *e)
{
	if (e->tally.nowing)
		isim_engine_settle_all(e);
}

/* The CPU index of @cpu, which must be one of the engine's CPUs. */
static inline unsigned int isim_engine_cpu_index(const struct iommusim_engine *e,
						 const struct iommusim_cpu *cpu)
{
	unsigned int i = cpu->id;

	assert(i < e->ncpus && e->cpus[i].cpu == cpu && "CPU of another engine");
	(void)e;
	return i;
}

/* Set up the queue: the tournament of CPUs and room for the first events (queue.c). */
int isim_engine_queue_init(struct iommusim_engine *e);

/* Free the queue's arrays. */
void isim_engine_queue_fini(struct iommusim_engine *e);

/* Queue @fn(@arg) at @at bound to CPU index @cpu (or ISIM_EV_NONE); the slot or ISIM_EV_NONE. */
uint32_t isim_engine_push(struct iommusim_engine *e, uint64_t at, uint32_t cpu,
			  iommusim_event_fn *fn, void *arg);

/*
 * A record of one's own, kept across any number of queuings, so that queuing it cannot fail:
 * what a timer needs (its arming has no error to return). Return: the slot, or ISIM_EV_NONE
 * when the records cannot grow.
 */
uint32_t isim_engine_rec_reserve(struct iommusim_engine *e);

/* Give a reserved record back to the free list; it must not be queued. */
void isim_engine_rec_unreserve(struct iommusim_engine *e, uint32_t slot);

/* Queue @fn(@arg) in the reserved record @slot, which must not be queued already. */
void isim_engine_push_reserved(struct iommusim_engine *e, uint32_t slot, uint64_t at, uint32_t cpu,
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

/* Free every server still alive (server.c). */
void isim_engine_servers_destroy(struct iommusim_engine *e);

/* Natural logarithm of a positive finite @x from basic arithmetic only, so every machine agrees. */
double isim_rng_log(double x);

#endif /* ISIM_ENGINE_INTERNAL_H */
