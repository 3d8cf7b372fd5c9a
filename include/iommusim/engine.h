/* SPDX-License-Identifier: MIT */
/**
 * @file engine.h  The discrete-event engine: virtual time, simulated CPUs, timers, servers, RNG.
 *
 * Time is counted in CPU cycles of one frequency shared by every simulated CPU; nanoseconds
 * appear only at the edges (timers, reports). The engine knows nothing about IOMMUs: it runs
 * callbacks in a fixed order, keeps each CPU's busy time, serialises users of shared resources
 * (timed servers) and hands out independent seeded random streams.
 *
 * Order: an event runs at its time or, if it is bound to a CPU that is busy beyond that time,
 * when the CPU becomes free (the CPU may have been given more work by then). Events run in
 * order of that run time, then of the time they were scheduled for, then of the sequence
 * number they got when scheduled. So events for the same cycle run in the order they were
 * scheduled, and a busy CPU works through the events waiting for it oldest first. Nothing
 * depends on addresses, so the order is the same on every machine.
 *
 * Thread safety: none. One thread drives an engine and everything armed on it; several engines
 * may run in parallel threads.
 */
#ifndef IOMMUSIM_ENGINE_H
#define IOMMUSIM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/clock.h>
#include <iommusim/cpu.h>
#include <iommusim/export.h>
#include <iommusim/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Frequency used when 0 is given: 5.2 GHz, the clock of an IBM z16 core. */
#define IOMMUSIM_ENGINE_DEFAULT_HZ 5200000000ull
/** Most simulated CPUs one engine can have (the IOVA caches' per-CPU limit). */
#define IOMMUSIM_ENGINE_MAX_CPUS 4096u

struct iommusim_engine;
struct iommusim_server;

/**
 * typedef iommusim_event_fn - an event's callback.
 * @e:   the engine; iommusim_engine_now() is the event's time.
 * @arg: the pointer given when the event was scheduled.
 *
 * It may schedule and cancel events, charge CPUs and use servers; it must not run the engine.
 */
typedef void iommusim_event_fn(struct iommusim_engine *e, void *arg);

/**
 * iommusim_engine_create() - create an engine at time 0 with idle CPUs.
 * @mem:   memory context for the engine, its CPUs, events, clock, timers and servers.
 * @ncpus: number of simulated CPUs, 1..IOMMUSIM_ENGINE_MAX_CPUS; they get ids 0..@ncpus-1.
 * @hz:    CPU frequency in Hz, used only to convert between cycles and nanoseconds;
 *         0 means IOMMUSIM_ENGINE_DEFAULT_HZ.
 * @out:   receives the engine.
 *
 * Return: 0; -EINVAL for a bad @ncpus; -ENOMEM.
 */
IOMMUSIM_API int iommusim_engine_create(struct iommusim_mem *mem, unsigned int ncpus, uint64_t hz,
					struct iommusim_engine **out);

/**
 * iommusim_engine_destroy() - free the engine, its CPUs, clock, servers and pending events
 * (NULL is ignored). Every timer created on iommusim_engine_clock() must have been destroyed.
 */
IOMMUSIM_API void iommusim_engine_destroy(struct iommusim_engine *e);

/** iommusim_engine_hz() - the CPU frequency in Hz. */
IOMMUSIM_API uint64_t iommusim_engine_hz(const struct iommusim_engine *e);

/** iommusim_engine_ncpus() - the number of simulated CPUs. */
IOMMUSIM_API unsigned int iommusim_engine_ncpus(const struct iommusim_engine *e);

/**
 * iommusim_engine_cpu() - simulated CPU @i (0 <= @i < ncpus), owned by the engine.
 * Return: the CPU handle; its id is @i.
 */
IOMMUSIM_API struct iommusim_cpu *iommusim_engine_cpu(const struct iommusim_engine *e,
						      unsigned int i);

/** iommusim_engine_now() - the current time in cycles: the time of the running event. */
IOMMUSIM_API uint64_t iommusim_engine_now(const struct iommusim_engine *e);

/**
 * iommusim_engine_ns_to_cycles() - nanoseconds as cycles, rounded up so that a delay never
 * ends early. Return: the cycles, saturated at UINT64_MAX.
 */
IOMMUSIM_API uint64_t iommusim_engine_ns_to_cycles(const struct iommusim_engine *e, uint64_t ns);

/** iommusim_engine_cycles_to_ns() - cycles as nanoseconds, rounded down. */
IOMMUSIM_API uint64_t iommusim_engine_cycles_to_ns(const struct iommusim_engine *e,
						   uint64_t cycles);

/**
 * iommusim_engine_schedule() - run @fn(@e, @arg) at cycle @at.
 * @e:   the engine.
 * @at:  absolute time in cycles, not before now (an earlier time is a bug; it asserts, and
 *       without asserts it means now).
 * @cpu: NULL, or one of the engine's CPUs: then the event runs at @at or, if that CPU is busy
 *       beyond @at when the event comes up, as soon as the CPU is free.
 * @fn:  the callback.
 * @arg: passed to @fn.
 * @id:  NULL, or receives a handle for iommusim_engine_cancel(), never 0.
 *
 * Return: 0 or -ENOMEM.
 */
IOMMUSIM_API int iommusim_engine_schedule(struct iommusim_engine *e, uint64_t at,
					  struct iommusim_cpu *cpu, iommusim_event_fn *fn,
					  void *arg, uint64_t *id);

/**
 * iommusim_engine_cancel() - take a scheduled event off the queue.
 * @id: a handle from iommusim_engine_schedule(). The handle of an event that ran or was
 *      cancelled stays invalid: another event gets the same handle only after its record
 *      has been reused 2^32 times.
 *
 * Return: true if the event was pending and will now not run, false otherwise.
 */
IOMMUSIM_API bool iommusim_engine_cancel(struct iommusim_engine *e, uint64_t id);

/** iommusim_engine_pending() - events queued, including those of armed timers. */
IOMMUSIM_API size_t iommusim_engine_pending(const struct iommusim_engine *e);

/** iommusim_engine_events_run() - events run since creation. */
IOMMUSIM_API uint64_t iommusim_engine_events_run(const struct iommusim_engine *e);

/**
 * iommusim_engine_run_until() - run every event whose time is at most @until.
 *
 * Events that callbacks schedule at or before @until run too. Afterwards now is @until (time
 * passes even when nothing happens), unless a callback called iommusim_engine_stop(): then
 * now stays at that event's time. An @until before now runs nothing and leaves now alone.
 *
 * Return: the number of events run.
 */
IOMMUSIM_API uint64_t iommusim_engine_run_until(struct iommusim_engine *e, uint64_t until);

/**
 * iommusim_engine_run() - run events until none is left or a callback stops the engine.
 * Now is left at the time of the last event run. A callback that always schedules another
 * event makes this loop forever: bound such runs with run_until or run_events.
 *
 * Return: the number of events run.
 */
IOMMUSIM_API uint64_t iommusim_engine_run(struct iommusim_engine *e);

/**
 * iommusim_engine_run_events() - run at most @n events (fewer if the queue empties or a
 * callback stops the engine). Return: the number run.
 */
IOMMUSIM_API uint64_t iommusim_engine_run_events(struct iommusim_engine *e, uint64_t n);

/** iommusim_engine_stop() - from a callback: make the current run return after it. */
IOMMUSIM_API void iommusim_engine_stop(struct iommusim_engine *e);

/**
 * iommusim_engine_cpu_now() - when new work on @cpu would start: the later of now and the
 * time up to which @cpu is busy (its own clock).
 */
IOMMUSIM_API uint64_t iommusim_engine_cpu_now(const struct iommusim_engine *e,
					      const struct iommusim_cpu *cpu);

/**
 * iommusim_engine_cpu_charge() - run @cycles of work on @cpu, starting when it is next free.
 *
 * The CPU's busy time becomes iommusim_engine_cpu_now() + @cycles; the cycles are added to
 * iommusim_engine_cpu_charged().
 *
 * Return: the time the work finishes.
 */
IOMMUSIM_API uint64_t iommusim_engine_cpu_charge(struct iommusim_engine *e,
						 struct iommusim_cpu *cpu, uint64_t cycles);

/**
 * iommusim_engine_cpu_advance() - keep @cpu busy until at least @t, e.g. while it waits for
 * a server or sits in a hypervisor. Not counted as charged cycles.
 *
 * Return: iommusim_engine_cpu_now() afterwards.
 */
IOMMUSIM_API uint64_t iommusim_engine_cpu_advance(struct iommusim_engine *e,
						  struct iommusim_cpu *cpu, uint64_t t);

/** iommusim_engine_cpu_charged() - total cycles charged to @cpu with cpu_charge. */
IOMMUSIM_API uint64_t iommusim_engine_cpu_charged(const struct iommusim_engine *e,
						  const struct iommusim_cpu *cpu);

/**
 * iommusim_engine_clock() - the engine's clock, for iommusim_timer_create().
 *
 * Its time is the engine's, in nanoseconds rounded down. A timer armed on it (with the
 * arming CPU, one of the engine's, or NULL) becomes an event at its expiry rounded up to a
 * cycle, bound to that CPU; timers therefore fire in order of expiry, then of arming (below
 * 1 GHz, expiries that round up to the same cycle count as equal). The delay counts from the
 * engine's now, not from the arming CPU's busy time. The engine owns the clock and destroys
 * it; do not destroy it yourself.
 *
 * Each timer takes its event record when it is created (iommusim_timer_create() returns
 * -ENOMEM if the memory context cannot supply one) and keeps it until it is destroyed, so
 * arming, which has no way to report a failure, never allocates.
 */
IOMMUSIM_API struct iommusim_clock *iommusim_engine_clock(const struct iommusim_engine *e);

/**
 * struct iommusim_server_stats - what a server saw since creation or its last stats reset.
 * @requests:   requests served.
 * @waited:     requests that had to wait.
 * @wait_total: sum of waits, in cycles.
 * @wait_max:   longest wait, in cycles.
 * @busy:       sum of service times, in cycles.
 * @since:      the time the counting began (creation: 0; reset: the time given).
 */
struct iommusim_server_stats {
	uint64_t requests;
	uint64_t waited;
	uint64_t wait_total;
	uint64_t wait_max;
	uint64_t busy;
	uint64_t since;
};

/**
 * iommusim_engine_server_create() - create an idle FIFO server: one thing that serves one
 * request at a time (QEMU's RPCIT handler under its big lock, a spinlock).
 * @e:    the engine; it frees servers still alive when it is destroyed.
 * @name: label for reports, copied (up to 31 bytes); NULL means "".
 * @out:  receives the server.
 *
 * Return: 0 or -ENOMEM.
 */
IOMMUSIM_API int iommusim_engine_server_create(struct iommusim_engine *e, const char *name,
					       struct iommusim_server **out);

/** iommusim_engine_server_destroy() - free a server (NULL is ignored). */
IOMMUSIM_API void iommusim_engine_server_destroy(struct iommusim_server *s);

/** iommusim_engine_server_name() - the name given at creation. */
IOMMUSIM_API const char *iommusim_engine_server_name(const struct iommusim_server *s);

/**
 * iommusim_engine_server_use() - book @service cycles of the server for a request.
 * @e:       the engine.
 * @s:       the server.
 * @cpu:     NULL, or the CPU making the request: it is held (busy) until the request ends,
 *           through its wait and the service.
 * @arrival: when the request reaches the server, not before now.
 * @service: cycles the server works on it.
 * @start:   NULL, or receives when service begins.
 * @end:     NULL, or receives when service ends (@start + @service).
 *
 * Requests are served first come, first served by arrival, equal arrivals in call order.
 * That holds exactly when calls come in arrival order, as they do when each call is made from
 * an event at its arrival time. A call whose arrival is earlier than one already booked cannot
 * move that booking (its times have been handed out): it takes the earliest idle stretch after
 * its arrival that is long enough.
 *
 * Return: the wait, @start - @arrival, also added to the server's statistics.
 */
IOMMUSIM_API uint64_t iommusim_engine_server_use(struct iommusim_engine *e,
						 struct iommusim_server *s,
						 struct iommusim_cpu *cpu, uint64_t arrival,
						 uint64_t service, uint64_t *start, uint64_t *end);

/** iommusim_engine_server_stats() - copy the server's counters into @out. */
IOMMUSIM_API void iommusim_engine_server_stats(const struct iommusim_server *s,
					       struct iommusim_server_stats *out);

/**
 * iommusim_engine_server_reset_stats() - zero the counters and start counting at @since,
 * e.g. at the end of a warm-up. Bookings are kept.
 */
IOMMUSIM_API void iommusim_engine_server_reset_stats(struct iommusim_server *s, uint64_t since);

/**
 * iommusim_engine_server_utilisation() - busy fraction over [since, @until].
 *
 * A request counts with its whole service when it is booked, so choose an @until at or after
 * the end of the last request (e.g. once the run is over) or a window much longer than one
 * service time.
 *
 * Return: busy / (@until - since); 0 when the window is empty.
 */
IOMMUSIM_API double iommusim_engine_server_utilisation(const struct iommusim_server *s,
						       uint64_t until);

/**
 * struct iommusim_rng - one deterministic random stream (xoshiro256**).
 *
 * A plain value so it can be embedded in a device queue or a workload; its contents are
 * private to the rng functions. Seed it before use.
 */
struct iommusim_rng {
	uint64_t s[4];
};

/**
 * iommusim_rng_seed() - start stream @stream of seed @seed.
 *
 * The state is drawn from splitmix64, started from @seed mixed with @stream, so every source
 * (a device queue, a workload) gets its own stream from one user-visible seed, and the same
 * (seed, stream) always gives the same numbers.
 */
IOMMUSIM_API void iommusim_rng_seed(struct iommusim_rng *r, uint64_t seed, uint64_t stream);

/** iommusim_rng_u64() - a uniform 64-bit value. */
IOMMUSIM_API uint64_t iommusim_rng_u64(struct iommusim_rng *r);

/**
 * iommusim_rng_below() - a uniform value in [0, @n), without modulo bias.
 * @n: the bound, at least 1.
 */
IOMMUSIM_API uint64_t iommusim_rng_below(struct iommusim_rng *r, uint64_t n);

/** iommusim_rng_double() - a uniform double in [0, 1), a multiple of 2^-53. */
IOMMUSIM_API double iommusim_rng_double(struct iommusim_rng *r);

/**
 * iommusim_rng_exponential() - an exponentially distributed value with mean @mean (>= 0).
 *
 * The logarithm is computed with the library's own arithmetic rather than libm's, so the
 * values are the same on every machine.
 */
IOMMUSIM_API double iommusim_rng_exponential(struct iommusim_rng *r, double mean);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_ENGINE_H */
