/* SPDX-License-Identifier: MIT */
/* Generic clock and timer calls shared by every clock implementation. */
#include <assert.h>
#include <errno.h>

#include "base/clock_impl.h"
#include "base/memory.h"

int isim_clock_init(struct iommusim_clock *clock, const struct isim_clock_ops *ops,
		    struct iommusim_mem *mem)
{
	*clock = (struct iommusim_clock){.ops = ops, .mem = mem};
	if (pthread_mutex_init(&clock->lock, NULL))
		return -ENOMEM;
	return 0;
}

int iommusim_timer_create(struct iommusim_clock *clock, iommusim_timer_fn *fn, void *arg,
			  struct iommusim_timer **out)
{
	struct iommusim_timer *t = isim_zalloc(clock->mem, sizeof(*t), 0);
	int err = 0;

	if (!t)
		return -ENOMEM;
	t->clock = clock;
	t->fn = fn;
	t->arg = arg;
	pthread_mutex_lock(&clock->lock);
	if (clock->ops->timer_init)
		err = clock->ops->timer_init(clock, t);
	if (!err)
		clock->timers++;
	pthread_mutex_unlock(&clock->lock);
	if (err) {
		isim_free(clock->mem, t, sizeof(*t), 0);
		return err;
	}
	*out = t;
	return 0;
}

static void cancel_locked(struct iommusim_clock *clock, struct iommusim_timer *t)
{
	if (!t->pending)
		return;
	clock->ops->dequeue(clock, t);
	t->pending = false;
	clock->pending--;
}

void iommusim_timer_destroy(struct iommusim_timer *t)
{
	struct iommusim_clock *clock;

	if (!t)
		return;
	clock = t->clock;
	pthread_mutex_lock(&clock->lock);
	cancel_locked(clock, t);
	if (clock->ops->timer_fini)
		clock->ops->timer_fini(clock, t);
	clock->timers--;
	pthread_mutex_unlock(&clock->lock);
	isim_free(clock->mem, t, sizeof(*t), 0);
}

bool iommusim_timer_schedule(struct iommusim_timer *t, struct iommusim_cpu *cpu, uint64_t delay_ns)
{
	struct iommusim_clock *clock = t->clock;
	bool armed = false;

	pthread_mutex_lock(&clock->lock);
	if (!t->pending) {
		t->cpu = cpu;
		t->expires_ns = iommusim_clock_now_ns(clock) + delay_ns;
		t->seq = clock->next_seq++;
		t->pending = true;
		clock->pending++;
		clock->ops->enqueue(clock, t);
		armed = true;
	}
	pthread_mutex_unlock(&clock->lock);
	return armed;
}

void iommusim_timer_cancel(struct iommusim_timer *t)
{
	pthread_mutex_lock(&t->clock->lock);
	cancel_locked(t->clock, t);
	pthread_mutex_unlock(&t->clock->lock);
}

bool iommusim_timer_pending(const struct iommusim_timer *t)
{
	struct iommusim_clock *clock = t->clock;
	bool pending;

	pthread_mutex_lock(&clock->lock);
	pending = t->pending;
	pthread_mutex_unlock(&clock->lock);
	return pending;
}

void isim_clock_fire(struct iommusim_clock *clock, struct iommusim_timer *t)
{
	pthread_mutex_lock(&clock->lock);
	if (!t->pending) {
		/* Cancelled between being picked and being fired. */
		pthread_mutex_unlock(&clock->lock);
		return;
	}
	clock->ops->dequeue(clock, t);
	t->pending = false;
	clock->pending--;
	if (t->expires_ns > atomic_load_explicit(&clock->now_ns, memory_order_relaxed))
		atomic_store_explicit(&clock->now_ns, t->expires_ns, memory_order_release);
	pthread_mutex_unlock(&clock->lock);
	t->fn(t, t->cpu, t->arg);
}

uint64_t iommusim_clock_now_ns(const struct iommusim_clock *clock)
{
	uint64_t ns = atomic_load_explicit(&clock->now_ns, memory_order_acquire);

	/* An implementation that keeps the time is asked; a fired timer's expiry still counts. */
	if (clock->ops->now) {
		uint64_t t = clock->ops->now(clock);

		if (t > ns)
			ns = t;
	}
	return ns;
}

size_t iommusim_clock_pending(const struct iommusim_clock *clock)
{
	struct iommusim_clock *c = (struct iommusim_clock *)clock;
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->pending;
	pthread_mutex_unlock(&c->lock);
	return n;
}

void iommusim_clock_destroy(struct iommusim_clock *clock)
{
	if (!clock)
		return;
	assert(clock->timers == 0 && "destroy every timer before its clock");
	if (clock->ops->fini)
		clock->ops->fini(clock);
	pthread_mutex_destroy(&clock->lock);
	isim_free(clock->mem, clock, sizeof(*clock), 0);
}
