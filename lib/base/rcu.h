/* SPDX-License-Identifier: MIT */
/*
 * RCU for structures read on every operation and changed rarely (a domain's attached devices),
 * from liburcu's urcu-memb flavour. Readers must be registered threads; isim_rcu_read_lock()
 * registers the calling thread on first use and unregisters it when the thread exits, so
 * callers of the library need not know about RCU.
 */
#ifndef ISIM_BASE_RCU_H
#define ISIM_BASE_RCU_H

#include <urcu/urcu-memb.h>
#include <urcu/rculist.h>

/* Make sure the calling thread is an RCU reader; cheap after the first call. */
void isim_rcu_register_self(void);

static inline void isim_rcu_read_lock(void)
{
	isim_rcu_register_self();
	urcu_memb_read_lock();
}

static inline void isim_rcu_read_unlock(void)
{
	urcu_memb_read_unlock();
}

/* Wait until every reader that might see an unlinked element has left. */
void isim_rcu_synchronize(void);

#endif /* ISIM_BASE_RCU_H */
