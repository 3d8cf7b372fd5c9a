/* SPDX-License-Identifier: MIT */
/*
 * What a clock implementation provides. The generic timer calls in clock.c keep the bookkeeping
 * (pending flag, arming sequence, counts) and call an implementation to queue and dequeue a
 * timer: the manual clock here, the simulation engine's clock in sim/engine.
 */
#ifndef ISIM_BASE_CLOCK_IMPL_H
#define ISIM_BASE_CLOCK_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/clock.h>

struct isim_clock_ops {
	/*
	 * Queue @t, whose expires_ns and seq are set; called with the clock lock held. It cannot
	 * fail (iommusim_timer_schedule() has no error to return), so whatever it needs is
	 * reserved by @timer_init.
	 */
	void (*enqueue)(struct iommusim_clock *clock, struct iommusim_timer *t);
	/* Remove a queued @t; called with the clock lock held. */
	void (*dequeue)(struct iommusim_clock *clock, struct iommusim_timer *t);
	/* Free the implementation's part of @clock (the generic part is freed by the caller). */
	void (*fini)(struct iommusim_clock *clock);
	/*
	 * Optional: reserve what queuing @t will take, so that arming never allocates (a timer
	 * armed during teardown must not be able to fail); 0 or -ENOMEM. Clock lock held.
	 */
	int (*timer_init)(struct iommusim_clock *clock, struct iommusim_timer *t);
	/* Optional: give back what @timer_init reserved; @t is not queued. Clock lock held. */
	void (*timer_fini)(struct iommusim_clock *clock, struct iommusim_timer *t);
	/*
	 * Optional: the time in ns, for an implementation that keeps it itself instead of storing
	 * each change in now_ns (which then holds only what firing timers put there). Called from
	 * the thread that runs the clock, with or without the clock lock.
	 */
	uint64_t (*now)(const struct iommusim_clock *clock);
};

struct iommusim_clock {
	const struct isim_clock_ops *ops;
	struct iommusim_mem *mem;
	/* Timers are armed from whichever thread acts as a CPU. */
	pthread_mutex_t lock;
	/*
	 * Only the thread that runs the clock writes it (under the lock when a timer fires), so
	 * it is atomic rather than locked. A clock with a @now op is read through it instead.
	 */
	_Atomic uint64_t now_ns;
	/* Arming order; ties in expiry are broken by it so runs are deterministic. */
	uint64_t next_seq;
	size_t pending;
	size_t timers;
	/* The manual clock's FIFO of pending timers, oldest first. */
	struct iommusim_timer *head;
	struct iommusim_timer *tail;
	void *impl;
};

struct iommusim_timer {
	struct iommusim_clock *clock;
	iommusim_timer_fn *fn;
	void *arg;
	struct iommusim_cpu *cpu;
	uint64_t expires_ns;
	uint64_t seq;
	struct iommusim_timer *prev;
	struct iommusim_timer *next;
	size_t slot;
	/* What the implementation's timer_init reserved for this timer (the engine's record). */
	size_t rec;
	bool pending;
};

/* Set up the generic part of a clock; returns 0 or a negative errno. */
int isim_clock_init(struct iommusim_clock *clock, const struct isim_clock_ops *ops,
		    struct iommusim_mem *mem);

/*
 * Take @t off its clock and run its callback, as an implementation does when @t expires.
 * Called without the clock lock; @t must be queued.
 */
void isim_clock_fire(struct iommusim_clock *clock, struct iommusim_timer *t);

#endif /* ISIM_BASE_CLOCK_IMPL_H */
