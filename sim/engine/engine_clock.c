/* SPDX-License-Identifier: MIT */
/*
 * The engine's clock: each armed timer is one engine event at its expiry, bound to the CPU that
 * armed it. Events are sequenced when they are scheduled, which is when the timer is armed, so
 * timers expiring in the same cycle fire in arming order. A timer's t->slot holds its event
 * record while it is queued and ISIM_EV_NONE once its event has been taken off to fire; the
 * record itself (t->rec) is the timer's from creation to destruction, so arming never allocates.
 */
#include <errno.h>

#include "base/clock_impl.h"
#include "base/memory.h"
#include "engine/engine_internal.h"

static void timer_event(struct iommusim_engine *e, void *arg)
{
	struct iommusim_timer *t = arg;

	/* The engine released the record before calling us; nothing is left to dequeue. */
	t->slot = ISIM_EV_NONE;
	isim_clock_fire(e->clock, t);
}

static void eclock_enqueue(struct iommusim_clock *clock, struct iommusim_timer *t)
{
	struct iommusim_engine *e = clock->impl;
	uint32_t cpu = t->cpu ? isim_engine_cpu_index(e, t->cpu) : ISIM_EV_NONE;
	uint64_t at = iommusim_engine_ns_to_cycles(e, t->expires_ns);

	/* The clock's now is rounded down, so a zero delay can land just before the cycle. */
	if (at < e->now)
		at = e->now;
	/* The timer's own record, reserved when it was created: arming cannot run out of memory. */
	isim_engine_push_reserved(e, (uint32_t)t->rec, at, cpu, timer_event, t);
	t->slot = t->rec;
}

static int eclock_timer_init(struct iommusim_clock *clock, struct iommusim_timer *t)
{
	uint32_t rec = isim_engine_rec_reserve(clock->impl);

	if (rec == ISIM_EV_NONE)
		return -ENOMEM;
	t->rec = rec;
	t->slot = ISIM_EV_NONE;
	return 0;
}

static void eclock_timer_fini(struct iommusim_clock *clock, struct iommusim_timer *t)
{
	isim_engine_rec_unreserve(clock->impl, (uint32_t)t->rec);
}

static void eclock_dequeue(struct iommusim_clock *clock, struct iommusim_timer *t)
{
	if (t->slot == ISIM_EV_NONE)
		return;
	isim_engine_remove(clock->impl, (uint32_t)t->slot);
	t->slot = ISIM_EV_NONE;
}

/*
 * The clock reads the engine's time when asked rather than being told it at every event: the
 * simulation reads it only to arm timers, far less often than events run.
 */
static uint64_t eclock_now(const struct iommusim_clock *clock)
{
	const struct iommusim_engine *e = clock->impl;

	return iommusim_engine_cycles_to_ns(e, e->now);
}

static void eclock_fini(struct iommusim_clock *clock)
{
	struct iommusim_engine *e = clock->impl;

	/* Whoever destroys the clock, the engine must not destroy it again. */
	e->clock = NULL;
}

static const struct isim_clock_ops engine_clock_ops = {
	.enqueue = eclock_enqueue,
	.dequeue = eclock_dequeue,
	.fini = eclock_fini,
	.timer_init = eclock_timer_init,
	.timer_fini = eclock_timer_fini,
	.now = eclock_now,
};

int isim_engine_clock_create(struct iommusim_engine *e)
{
	struct iommusim_clock *clock = isim_alloc(e->mem, sizeof(*clock), 0);
	int err;

	if (!clock)
		return -ENOMEM;
	err = isim_clock_init(clock, &engine_clock_ops, e->mem);
	if (err) {
		isim_free(e->mem, clock, sizeof(*clock), 0);
		return err;
	}
	clock->impl = e;
	e->clock = clock;
	return 0;
}

struct iommusim_clock *iommusim_engine_clock(const struct iommusim_engine *e)
{
	return e->clock;
}
