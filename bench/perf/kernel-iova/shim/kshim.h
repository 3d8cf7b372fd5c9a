/* SPDX-License-Identifier: MIT */
/*
 * Minimal userspace stand-ins for the kernel facilities that drivers/iommu/iova.c uses, so that
 * the unmodified file compiles into the reference replayer (../main.c). Only what that file
 * touches is here, written for one process replaying a script on one thread at a time:
 *
 *   - spinlocks are real test-and-set locks (an uncontended kernel spin_lock_irqsave() costs an
 *     atomic too, and iommusim's allocator pays one; a no-op lock would flatter the reference);
 *   - per-CPU data is an array indexed by the CPU the script has selected;
 *   - kmem caches and kmalloc are malloc/calloc;
 *   - delayed work is a FIFO of pending items that the replayer runs on `tick` and `drain`,
 *     exactly as iommusim's manual clock does;
 *   - the red-black tree is iommusim's own (lib/base/rbtree.c), whose node has the same layout
 *     as the kernel's struct rb_node, adapted by the inline wrappers below.
 */
#ifndef KSHIM_H
#define KSHIM_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/rbtree.h"

/* ---- compiler and debugging helpers ---- */
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define __percpu
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define min(a, b)			((a) < (b) ? (a) : (b))
#define swap(a, b)                                                                                 \
	do {                                                                                       \
		__typeof__(a) swap_tmp_ = (a);                                                     \
		(a) = (b);                                                                         \
		(b) = swap_tmp_;                                                                   \
	} while (0)
#define BUG_ON(c)                                                                                  \
	do {                                                                                       \
		if (c)                                                                             \
			abort();                                                                   \
	} while (0)
/* The kernel prints a backtrace; the replay only needs the condition's value. */
#define WARN_ON(c)                                                                                 \
	({                                                                                         \
		int warn_on_ = !!(c);                                                              \
		__builtin_expect(warn_on_, 0);                                                     \
	})
#define static_assert(e) _Static_assert(e, #e)
#define EXPORT_SYMBOL_GPL(sym)	   extern int kshim_unused_decl
#define MODULE_AUTHOR(s)	   extern int kshim_unused_decl
#define MODULE_DESCRIPTION(s)	   extern int kshim_unused_decl
#define MODULE_LICENSE(s)	   extern int kshim_unused_decl
#define kmemleak_transient_leak(p) ((void)(p))
#define ERR_PTR(e)		   ((void *)(long)(e))
static inline void pr_err(const char *fmt, ...)
{
	(void)fmt;
}

/* ---- bit arithmetic (include/linux/log2.h, bitops.h) ---- */
#define PAGE_SIZE 4096UL
static inline unsigned int fls_long(unsigned long x)
{
	return x ? 64u - (unsigned int)__builtin_clzl(x) : 0u;
}
static inline unsigned long __ffs(unsigned long x)
{
	return (unsigned long)__builtin_ctzl(x);
}
static inline bool is_power_of_2(unsigned long n)
{
	return n != 0 && (n & (n - 1)) == 0;
}
static inline unsigned long roundup_pow_of_two(unsigned long n)
{
	return 1UL << fls_long(n - 1);
}
static inline unsigned int order_base_2(unsigned long n)
{
	return n > 1 ? fls_long(n - 1) : 0u;
}

/* ---- locks ---- */
typedef struct {
	int locked;
} spinlock_t;
static inline void spin_lock_init(spinlock_t *l)
{
	l->locked = 0;
}
static inline void spin_lock(spinlock_t *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			;
}
static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}
#define spin_lock_irqsave(l, flags)                                                                \
	do {                                                                                       \
		(flags) = 0;                                                                       \
		spin_lock(l);                                                                      \
	} while (0)
#define spin_unlock_irqrestore(l, flags)                                                           \
	do {                                                                                       \
		(void)(flags);                                                                     \
		spin_unlock(l);                                                                    \
	} while (0)
#define assert_spin_locked(l) ((void)(l))
/* Taken once, at start-up, by iova_cache_get(): nothing to exclude in one process. */
#define DEFINE_MUTEX(name) int name
#define mutex_lock(m)	   ((void)(m))
#define mutex_unlock(m)	   ((void)(m))

/* ---- memory ---- */
typedef unsigned int gfp_t;
#define GFP_KERNEL	   0u
#define GFP_ATOMIC	   1u
#define __GFP_NOWARN	   2u
#define SLAB_HWCACHE_ALIGN 1u
struct kmem_cache {
	size_t size;
};
static inline struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align,
						   unsigned int flags, void *ctor)
{
	struct kmem_cache *c = malloc(sizeof(*c));

	(void)name, (void)align, (void)flags, (void)ctor;
	if (c)
		c->size = size;
	return c;
}
static inline void kmem_cache_destroy(struct kmem_cache *c)
{
	free(c);
}
static inline void *kmem_cache_alloc(struct kmem_cache *c, gfp_t gfp)
{
	(void)gfp;
	return malloc(c->size);
}
static inline void *kmem_cache_zalloc(struct kmem_cache *c, gfp_t gfp)
{
	(void)gfp;
	return calloc(1, c->size);
}
static inline void kmem_cache_free(struct kmem_cache *c, void *p)
{
	(void)c;
	free(p);
}
static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	(void)gfp;
	return calloc(n, size);
}
#define kfree(p) free(p)

/* ---- CPUs: the script's `ncpus` and `cpu` ops set these ---- */
extern unsigned int kshim_possible_cpus, kshim_online_cpus, kshim_cpu;
#define num_online_cpus()	 (kshim_online_cpus)
#define for_each_online_cpu(c)	 for ((c) = 0; (c) < kshim_online_cpus; (c)++)
#define for_each_possible_cpu(c) for ((c) = 0; (c) < kshim_possible_cpus; (c)++)
#define cache_line_size()	 64
/* A per-CPU object is an array with one element per possible CPU. */
static inline void *__alloc_percpu(size_t size, size_t align)
{
	(void)align;
	return calloc(kshim_possible_cpus, size);
}
#define free_percpu(p)	  free(p)
#define per_cpu_ptr(p, c) (&(p)[c])
#define raw_cpu_ptr(p)	  (&(p)[kshim_cpu])

/* ---- CPU hotplug: the dead callback is kept for the script's `cpudead` ---- */
struct hlist_node {
	struct hlist_node *next, **pprev;
};
#define hlist_entry_safe(ptr, type, member) ((ptr) ? container_of(ptr, type, member) : NULL)
enum kshim_cpuhp_state { CPUHP_IOMMU_IOVA_DEAD };
extern int (*kshim_cpuhp_dead)(unsigned int cpu, struct hlist_node *node);
static inline int cpuhp_setup_state_multi(enum kshim_cpuhp_state s, const char *name, void *up,
					  int (*dead)(unsigned int, struct hlist_node *))
{
	(void)s, (void)name, (void)up;
	kshim_cpuhp_dead = dead;
	return 0;
}
static inline int cpuhp_remove_multi_state(enum kshim_cpuhp_state s)
{
	(void)s;
	kshim_cpuhp_dead = NULL;
	return 0;
}
static inline int cpuhp_state_add_instance_nocalls(enum kshim_cpuhp_state s, struct hlist_node *n)
{
	(void)s, (void)n;
	return 0;
}
static inline int cpuhp_state_remove_instance_nocalls(enum kshim_cpuhp_state s,
						      struct hlist_node *n)
{
	(void)s, (void)n;
	return 0;
}

/* ---- delayed work: a FIFO in arming order; every item uses the same delay ---- */
struct work_struct {
	void (*func)(struct work_struct *work);
};
struct delayed_work {
	struct work_struct work;
	bool pending;
	struct delayed_work *next;
};
#define msecs_to_jiffies(ms) (ms)
void kshim_work_queue(struct delayed_work *dw);
void kshim_work_cancel(struct delayed_work *dw);
static inline void INIT_DELAYED_WORK(struct delayed_work *dw, void (*fn)(struct work_struct *))
{
	dw->work.func = fn;
	dw->pending = false;
	dw->next = NULL;
}
/* As the kernel's: a pending item is left where it is. */
static inline bool schedule_delayed_work(struct delayed_work *dw, unsigned long delay)
{
	(void)delay;
	if (dw->pending)
		return false;
	kshim_work_queue(dw);
	return true;
}
static inline bool cancel_delayed_work_sync(struct delayed_work *dw)
{
	bool was = dw->pending;

	if (was)
		kshim_work_cancel(dw);
	return was;
}

/* ---- red-black tree: the kernel's names over iommusim's implementation ---- */
struct rb_node {
	uintptr_t __rb_parent_color;
	struct rb_node *rb_left;
	struct rb_node *rb_right;
};
struct rb_root {
	struct rb_node *rb_node;
};
_Static_assert(sizeof(struct rb_node) == sizeof(struct isim_rb_node), "same layout");
_Static_assert(offsetof(struct rb_node, rb_left) == offsetof(struct isim_rb_node, left), "left");
_Static_assert(offsetof(struct rb_node, rb_right) == offsetof(struct isim_rb_node, right), "right");
#define RB_ROOT			    ((struct rb_root){NULL})
#define rb_entry(ptr, type, member) container_of(ptr, type, member)
#define rb_entry_safe(ptr, type, member)                                                           \
	({                                                                                         \
		__typeof__(ptr) rb_safe_ = (ptr);                                                  \
		rb_safe_ ? rb_entry(rb_safe_, type, member) : NULL;                                \
	})
#define KSHIM_RB(n) ((struct isim_rb_node *)(n))
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent, struct rb_node **link)
{
	isim_rb_link(KSHIM_RB(node), KSHIM_RB(parent), (struct isim_rb_node **)link);
}
static inline void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	isim_rb_insert_fixup((struct isim_rb_root *)root, KSHIM_RB(node));
}
static inline void rb_erase(struct rb_node *node, struct rb_root *root)
{
	isim_rb_erase((struct isim_rb_root *)root, KSHIM_RB(node));
}
static inline struct rb_node *rb_next(const struct rb_node *node)
{
	return (struct rb_node *)isim_rb_next((const struct isim_rb_node *)node);
}
static inline struct rb_node *rb_prev(const struct rb_node *node)
{
	return (struct rb_node *)isim_rb_prev((const struct isim_rb_node *)node);
}
static inline struct rb_node *rb_first(const struct rb_root *root)
{
	return (struct rb_node *)isim_rb_first((const struct isim_rb_root *)root);
}
static inline struct rb_node *rb_first_postorder(const struct rb_root *root)
{
	return (struct rb_node *)isim_rb_first_postorder((const struct isim_rb_root *)root);
}
static inline struct rb_node *rb_next_postorder(const struct rb_node *node)
{
	return (struct rb_node *)isim_rb_next_postorder((const struct isim_rb_node *)node);
}
#define rbtree_postorder_for_each_entry_safe(pos, n, root, field)                                  \
	for (pos = rb_entry_safe(rb_first_postorder(root), __typeof__(*pos), field);               \
	     pos && ({                                                                             \
		     n = rb_entry_safe(rb_next_postorder(&pos->field), __typeof__(*pos), field);   \
		     1;                                                                            \
	     });                                                                                   \
	     pos = n)

#endif /* KSHIM_H */
