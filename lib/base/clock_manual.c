/* SPDX-License-Identifier: MIT */
/*
 * The manual clock: time stands still until the owner ticks it. Pending timers form a FIFO in
 * arming order; a tick fires exactly those that were pending when it began.
 */
#include <errno.h>

#include "base/clock_impl.h"
#include "base/memory.h"

static void fifo_enqueue(struct iommusim_clock *clock, struct iommusim_timer *t)
{
	t->next = NULL;
	t->prev = clock->tail;
	if (clock->tail)
		clock->tail->next = t;
	else
		clock->head = t;
	clock->tail = t;
}

static void fifo_dequeue(struct iommusim_clock *clock, struct iommusim_timer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		clock->head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		clock->tail = t->prev;
	t->prev = t->next = NULL;
}

static const struct isim_clock_ops manual_ops = {
	.enqueue = fifo_enqueue,
	.dequeue = fifo_dequeue,
};

int iommusim_manual_clock_create(struct iommusim_mem *mem, struct iommusim_clock **out)
{
	struct iommusim_clock *clock = isim_alloc(mem, sizeof(*clock), 0);
	int err;

	if (!clock)
		return -ENOMEM;
	err = isim_clock_init(clock, &manual_ops, mem);
	if (err) {
		isim_free(mem, clock, sizeof(*clock), 0);
		return err;
	}
	*out = clock;
	return 0;
}

size_t iommusim_manual_clock_tick(struct iommusim_clock *clock)
{
	struct iommusim_timer *t;
	uint64_t seq_end;
	size_t ran = 0;

	pthread_mutex_lock(&clock->lock);
	/* Timers armed from here on (by the callbacks) belong to the next tick. */
	seq_end = clock->next_seq;
	for (;;) {
		t = clock->head;
		if (!t || t->seq >= seq_end)
			break;
		pthread_mutex_unlock(&clock->lock);
		isim_clock_fire(clock, t);
		ran++;
		pthread_mutex_lock(&clock->lock);
	}
	pthread_mutex_unlock(&clock->lock);
	return ran;
}

size_t iommusim_manual_clock_drain(struct iommusim_clock *clock, size_t max_ticks)
{
	size_t ran = 0;

	for (size_t ticks = 0; iommusim_clock_pending(clock); ticks++) {
		if (max_ticks && ticks == max_ticks)
			break;
		ran += iommusim_manual_clock_tick(clock);
	}
	return ran;
}
