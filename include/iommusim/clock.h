/* SPDX-License-Identifier: MIT */
/**
 * @file clock.h  Clocks and one-shot timers.
 *
 * The kernel layers never read a wall clock. Deferred work (the IOVA depot trim, later the
 * flush-queue timeout) is armed on a timer of a clock that the caller supplies: the simulation
 * engine's clock runs timers in simulated time, and the manual clock here runs them only when
 * told to, which is what the IOVA replay's `tick` and `drain` ops need.
 */
#ifndef IOMMUSIM_CLOCK_H
#define IOMMUSIM_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/cpu.h>
#include <iommusim/export.h>
#include <iommusim/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

struct iommusim_clock;
struct iommusim_timer;

/**
 * typedef iommusim_timer_fn - a timer's callback.
 * @timer: the timer that expired; it is no longer pending, so the callback may re-arm it.
 * @cpu:   the CPU that armed it (timers run where they were queued, as in Linux).
 * @arg:   the pointer given to iommusim_timer_create().
 */
typedef void iommusim_timer_fn(struct iommusim_timer *timer, struct iommusim_cpu *cpu, void *arg);

/**
 * iommusim_timer_create() - create a timer on a clock.
 * @clock: the clock that will run it.
 * @fn:    callback.
 * @arg:   passed to @fn.
 * @out:   receives the timer, not yet pending.
 *
 * Return: 0 or -ENOMEM.
 */
IOMMUSIM_API int iommusim_timer_create(struct iommusim_clock *clock, iommusim_timer_fn *fn,
				       void *arg, struct iommusim_timer **out);

/** iommusim_timer_destroy() - cancel and free a timer (NULL is ignored). */
IOMMUSIM_API void iommusim_timer_destroy(struct iommusim_timer *timer);

/**
 * iommusim_timer_schedule() - arm a timer unless it is already pending.
 * @timer:    the timer.
 * @cpu:      the CPU arming it; the callback runs on it.
 * @delay_ns: time from now until it fires.
 *
 * Like the kernel's schedule_delayed_work(), a pending timer is left as it is: its expiry is
 * not moved.
 *
 * Return: true if the timer was armed, false if it was already pending.
 */
IOMMUSIM_API bool iommusim_timer_schedule(struct iommusim_timer *timer, struct iommusim_cpu *cpu,
					  uint64_t delay_ns);

/** iommusim_timer_cancel() - disarm a pending timer; nothing if it is not pending. */
IOMMUSIM_API void iommusim_timer_cancel(struct iommusim_timer *timer);

/** iommusim_timer_pending() - whether @timer is armed and has not fired yet. */
IOMMUSIM_API bool iommusim_timer_pending(const struct iommusim_timer *timer);

/** iommusim_clock_now_ns() - the clock's current time in nanoseconds. */
IOMMUSIM_API uint64_t iommusim_clock_now_ns(const struct iommusim_clock *clock);

/** iommusim_clock_pending() - number of timers of @clock that are armed. */
IOMMUSIM_API size_t iommusim_clock_pending(const struct iommusim_clock *clock);

/**
 * iommusim_clock_destroy() - destroy a clock. Every timer created on it must have been
 * destroyed first (the clock asserts it).
 */
IOMMUSIM_API void iommusim_clock_destroy(struct iommusim_clock *clock);

/**
 * iommusim_manual_clock_create() - a clock whose time moves only on tick.
 * @mem: memory context for the clock and its timers.
 * @out: receives the clock, at time 0.
 *
 * Return: 0 or -ENOMEM.
 */
IOMMUSIM_API int iommusim_manual_clock_create(struct iommusim_mem *mem,
					      struct iommusim_clock **out);

/**
 * iommusim_manual_clock_tick() - run, once, the timers that are pending now.
 * @clock: a manual clock.
 *
 * Time advances to the latest expiry among them, and they run in the order they were armed.
 * A timer armed by one of the callbacks waits for the next tick.
 *
 * Return: the number of callbacks run.
 */
IOMMUSIM_API size_t iommusim_manual_clock_tick(struct iommusim_clock *clock);

/**
 * iommusim_manual_clock_drain() - tick until no timer is pending.
 * @clock:     a manual clock.
 * @max_ticks: give up after this many ticks (0 = no limit), so self-re-arming work cannot spin
 *             forever.
 *
 * Return: the number of callbacks run.
 */
IOMMUSIM_API size_t iommusim_manual_clock_drain(struct iommusim_clock *clock, size_t max_ticks);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_CLOCK_H */
