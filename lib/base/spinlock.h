/* SPDX-License-Identifier: MIT */
/*
 * A test-and-test-and-set spinlock for the short critical sections the kernel protects with
 * spinlocks (tree, per-CPU cache, depot). Uncontended it costs one atomic exchange, which keeps
 * the rcache fast path cheap; contended it yields the CPU, since real threads here may share a
 * core. Built on C11 atomics, so ThreadSanitizer understands it.
 */
#ifndef ISIM_BASE_SPINLOCK_H
#define ISIM_BASE_SPINLOCK_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

struct isim_spinlock {
	atomic_bool locked;
};

static inline void isim_spin_init(struct isim_spinlock *l)
{
	atomic_init(&l->locked, false);
}

static inline void isim_spin_lock(struct isim_spinlock *l)
{
	for (;;) {
		if (!atomic_exchange_explicit(&l->locked, true, memory_order_acquire))
			return;
		for (unsigned int spins = 0; atomic_load_explicit(&l->locked, memory_order_relaxed);
		     spins++) {
			if (spins >= 64) {
				sched_yield();
				spins = 0;
			}
		}
	}
}

static inline void isim_spin_unlock(struct isim_spinlock *l)
{
	atomic_store_explicit(&l->locked, false, memory_order_release);
}

#endif /* ISIM_BASE_SPINLOCK_H */
