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

/*
 * ThreadSanitizer does not see liburcu's grace periods: the library is not instrumented, and
 * its readers and writers meet through plain and volatile accesses. Two things tell it what
 * RCU guarantees (scripts/tsan): every read-side unlock releases, and the return of
 * isim_rcu_synchronize() acquires, one token (the grace period: a reader that was inside when
 * the writer unlinked has left before the writer goes on, so what it did happens before what
 * the writer does next); and the list below publishes and reads its links with atomics.
 */
#if defined(__SANITIZE_THREAD__)
#define ISIM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ISIM_TSAN 1
#endif
#endif

#ifdef ISIM_TSAN
#include <sanitizer/tsan_interface.h>
extern char isim_rcu_gp_token;
#define isim_tsan_release(addr) __tsan_release(addr)
#define isim_tsan_acquire(addr) __tsan_acquire(addr)
#else
#define isim_tsan_release(addr) ((void)0)
#define isim_tsan_acquire(addr) ((void)0)
#endif

/* Make sure the calling thread is an RCU reader; cheap after the first call. */
void isim_rcu_register_self(void);

static inline void isim_rcu_read_lock(void)
{
	isim_rcu_register_self();
	urcu_memb_read_lock();
}

static inline void isim_rcu_read_unlock(void)
{
	isim_tsan_release(&isim_rcu_gp_token);
	urcu_memb_read_unlock();
}

/* Wait until every reader that might see an unlinked element has left. */
void isim_rcu_synchronize(void);

/*
 * liburcu's RCU list (struct cds_list_head) with the links readers follow stored and loaded
 * as atomics: a release store to publish, a relaxed one to unlink (the next element was
 * published already), acquire loads to follow, which is what rcu_assign_pointer(),
 * CMM_STORE_SHARED() and rcu_dereference() amount to, in a form ThreadSanitizer understands.
 * Writers serialise among themselves (a lock); readers hold isim_rcu_read_lock().
 */
static inline struct cds_list_head *isim_rcu_next(struct cds_list_head *node)
{
	return __atomic_load_n(&node->next, __ATOMIC_ACQUIRE);
}

/* cds_list_add_rcu(): @newp at the head of @head. */
static inline void isim_list_add_rcu(struct cds_list_head *newp, struct cds_list_head *head)
{
	newp->next = head->next;
	newp->prev = head;
	head->next->prev = newp;
	__atomic_store_n(&head->next, newp, __ATOMIC_RELEASE);
}

/* cds_list_del_rcu(): readers already on @elem still find their way on through it. */
static inline void isim_list_del_rcu(struct cds_list_head *elem)
{
	elem->next->prev = elem->prev;
	__atomic_store_n(&elem->prev->next, elem->next, __ATOMIC_RELAXED);
}

/* cds_list_for_each_entry_rcu() */
#define isim_list_for_each_entry_rcu(pos, head, member)                                            \
	for (pos = cds_list_entry(isim_rcu_next(head), __typeof__(*(pos)), member);                \
	     &(pos)->member != (head);                                                             \
	     pos = cds_list_entry(isim_rcu_next(&(pos)->member), __typeof__(*(pos)), member))

#endif /* ISIM_BASE_RCU_H */
