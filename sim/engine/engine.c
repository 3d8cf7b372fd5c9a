/* SPDX-License-Identifier: MIT */
/*
 * The engine: simulated CPUs with their busy times, unit conversion, and running the event
 * queue (queue.c) with scheduling, cancelling and the run calls.
 */
#include <assert.h>
#include <errno.h>

#include "base/memory.h"
#include "engine/engine_internal.h"
#include "engine/work_tally.h"

#define NSEC_PER_SEC 1000000000ull

static uint64_t sat64(isim_u128 v)
{
	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static struct isim_udiv udiv_init(uint64_t d)
{
	unsigned int l = 0;

	assert(d >= 1);
	/* l = ceil(log2(d)), so 2^(l-1) < d <= 2^l and the magic number fits 64 bits. */
	while (l < 64 && ((uint64_t)1 << l) < d)
		l++;
	return (struct isim_udiv){
		.m = (uint64_t)(((((isim_u128)1 << l) - d) << 64) / d + 1),
		.sh1 = l ? 1 : 0,
		.sh2 = l ? l - 1 : 0,
	};
}

static void conv_init(struct isim_engine_conv *c, uint64_t hz)
{
	uint64_t g = gcd64(hz, NSEC_PER_SEC);

	c->cyc = hz / g;
	c->ns = NSEC_PER_SEC / g;
	c->cycles_max = UINT64_MAX / c->ns;
	c->ns_max = (UINT64_MAX - (c->ns - 1)) / c->cyc;
	c->by_cyc = udiv_init(c->cyc);
	c->by_ns = udiv_init(c->ns);
}

/*
 * Both conversions are exact rational arithmetic, so the reduced fraction gives the same
 * result as the 128-bit formula; it only spares the 128-bit division on the hot paths
 * (every hypervisor call's price, every reading of the clock).
 */
uint64_t iommusim_engine_ns_to_cycles(const struct iommusim_engine *e, uint64_t ns)
{
	const struct isim_engine_conv *c = &e->conv;

	if (ns <= c->ns_max)
		return isim_udiv(&c->by_ns, ns * c->cyc + c->ns - 1);
	return sat64(((isim_u128)ns * e->hz + NSEC_PER_SEC - 1) / NSEC_PER_SEC);
}

uint64_t iommusim_engine_cycles_to_ns(const struct iommusim_engine *e, uint64_t cycles)
{
	const struct isim_engine_conv *c = &e->conv;

	if (cycles <= c->cycles_max)
		return isim_udiv(&c->by_cyc, cycles * c->ns);
	return sat64((isim_u128)cycles * NSEC_PER_SEC / e->hz);
}

/* ---- engine and CPUs ---- */

/* The CPUs' array, followed in the same block by the tally's list of CPUs that owe cycles. */
static size_t cpus_size(unsigned int ncpus)
{
	_Static_assert(sizeof(struct isim_engine_cpu) % sizeof(uint32_t) == 0,
		       "the list after the array is aligned");
	return ncpus * (sizeof(struct isim_engine_cpu) + sizeof(uint32_t));
}

int iommusim_engine_create(struct iommusim_mem *mem, unsigned int ncpus, uint64_t hz,
			   struct iommusim_engine **out)
{
	struct iommusim_engine *e;
	int err = -ENOMEM;

	if (ncpus == 0 || ncpus > IOMMUSIM_ENGINE_MAX_CPUS)
		return -EINVAL;
	e = isim_zalloc(mem, sizeof(*e), 0);
	if (!e)
		return -ENOMEM;
	e->mem = mem;
	e->hz = hz ? hz : IOMMUSIM_ENGINE_DEFAULT_HZ;
	conv_init(&e->conv, e->hz);
	e->free_head = ISIM_EV_NONE;
	e->rekey = ISIM_EV_NONE;
	e->held = ISIM_EV_NONE;
	e->cpus = isim_zalloc(mem, cpus_size(ncpus), 0);
	if (!e->cpus)
		goto fail;
	e->tally.owing = (uint32_t *)(e->cpus + ncpus);
	/* Slots not reached by a failure stay NULL, which destroy skips. */
	e->ncpus = ncpus;
	for (unsigned int i = 0; i < ncpus; i++) {
		err = iommusim_cpu_create(mem, i, &e->cpus[i].cpu);
		if (err)
			goto fail;
	}
	err = isim_engine_queue_init(e);
	if (!err)
		err = isim_engine_clock_create(e);
	if (err)
		goto fail;
	*out = e;
	return 0;
fail:
	iommusim_engine_destroy(e);
	return err;
}

void iommusim_engine_destroy(struct iommusim_engine *e)
{
	if (!e)
		return;
	assert(!e->running && "destroying an engine from its own callback");
	isim_engine_servers_destroy(e);
	/* Asserts that every timer is gone: their events point at them. */
	iommusim_clock_destroy(e->clock);
	isim_engine_queue_fini(e);
	if (e->cpus) {
		for (unsigned int i = 0; i < e->ncpus; i++)
			iommusim_cpu_destroy(e->cpus[i].cpu);
		isim_free(e->mem, e->cpus, cpus_size(e->ncpus), 0);
	}
	isim_free(e->mem, e, sizeof(*e), 0);
}

uint64_t iommusim_engine_hz(const struct iommusim_engine *e)
{
	return e->hz;
}

unsigned int iommusim_engine_ncpus(const struct iommusim_engine *e)
{
	return e->ncpus;
}

struct iommusim_cpu *iommusim_engine_cpu(const struct iommusim_engine *e, unsigned int i)
{
	assert(i < e->ncpus);
	return e->cpus[i].cpu;
}

uint64_t iommusim_engine_now(const struct iommusim_engine *e)
{
	return e->now;
}

void isim_engine_tally_work(struct iommusim_engine *e, const uint64_t cycles[IOMMUSIM_WORK_NR])
{
	isim_engine_settle(e);
	e->tally.cycles = cycles;
	for (unsigned int i = 0; i < e->ncpus; i++)
		e->cpus[i].cpu->tally = cycles ? &e->tally : NULL;
}

/* Charge @c @cycles from its free time, or from now if it is idle. */
static void charge(const struct iommusim_engine *e, struct isim_engine_cpu *c, uint64_t cycles)
{
	uint64_t start = c->busy_until > e->now ? c->busy_until : e->now;

	c->busy_until = start + cycles;
	c->charged += cycles;
}

/*
 * A CPU that owes nothing is not charged at all: a charge of 0 cycles would only lift its busy
 * time to now, which no reader tells apart from an earlier one (they all take the later of the
 * two, or compare with a time not before now).
 */
void isim_engine_settle_all(struct iommusim_engine *e)
{
	for (uint32_t i = 0; i < e->tally.nowing; i++) {
		struct isim_engine_cpu *c = &e->cpus[e->tally.owing[i]];
		struct iommusim_cpu *cpu = c->cpu;

		if (cpu->owed)
			charge(e, c, cpu->owed);
		cpu->owed = 0;
		cpu->listed = false;
	}
	e->tally.nowing = 0;
}

/* The CPU's free time as it will be once what it owes is charged (engine_internal.h). */
uint64_t iommusim_engine_cpu_now(const struct iommusim_engine *e, const struct iommusim_cpu *cpu)
{
	uint64_t busy = e->cpus[isim_engine_cpu_index(e, cpu)].busy_until;

	return (busy > e->now ? busy : e->now) + cpu->owed;
}

uint64_t iommusim_engine_cpu_charge(struct iommusim_engine *e, struct iommusim_cpu *cpu,
				    uint64_t cycles)
{
	struct isim_engine_cpu *c = &e->cpus[isim_engine_cpu_index(e, cpu)];

	isim_engine_settle(e);
	charge(e, c, cycles);
	return c->busy_until;
}

uint64_t iommusim_engine_cpu_advance(struct iommusim_engine *e, struct iommusim_cpu *cpu,
				     uint64_t t)
{
	struct isim_engine_cpu *c = &e->cpus[isim_engine_cpu_index(e, cpu)];

	isim_engine_settle(e);
	if (t > c->busy_until)
		c->busy_until = t;
	return c->busy_until > e->now ? c->busy_until : e->now;
}

uint64_t iommusim_engine_cpu_charged(const struct iommusim_engine *e,
				     const struct iommusim_cpu *cpu)
{
	return e->cpus[isim_engine_cpu_index(e, cpu)].charged + cpu->owed;
}

/* ---- scheduling and running ---- */

int iommusim_engine_schedule(struct iommusim_engine *e, uint64_t at, struct iommusim_cpu *cpu,
			     iommusim_event_fn *fn, void *arg, uint64_t *id)
{
	uint32_t c = cpu ? isim_engine_cpu_index(e, cpu) : ISIM_EV_NONE;
	uint32_t slot;

	assert(fn);
	assert(at >= e->now && "scheduling into the past");
	if (at < e->now)
		at = e->now;
	slot = isim_engine_push(e, at, c, fn, arg);
	if (slot == ISIM_EV_NONE)
		return -ENOMEM;
	if (id)
		*id = (uint64_t)e->ev[slot].gen << 32 | slot;
	return 0;
}

bool iommusim_engine_cancel(struct iommusim_engine *e, uint64_t id)
{
	uint32_t slot = (uint32_t)id;

	if (slot >= e->used || e->ev[slot].gen != (uint32_t)(id >> 32) ||
	    e->ev[slot].pos == ISIM_EV_NONE)
		return false;
	isim_engine_remove(e, slot);
	return true;
}

size_t iommusim_engine_pending(const struct iommusim_engine *e)
{
	return e->pending;
}

uint64_t iommusim_engine_events_run(const struct iommusim_engine *e)
{
	return e->events_run;
}

static uint64_t run(struct iommusim_engine *e, uint64_t limit, uint64_t max)
{
	uint64_t n = 0;

	assert(!e->running && "running the engine from one of its callbacks");
	e->running = true;
	e->stop = false;
	while (n < max && !e->stop) {
		iommusim_event_fn *fn;
		void *arg;

		if (!isim_engine_take(e, limit, &fn, &arg))
			break;
		e->events_run++;
		n++;
		fn(e, arg);
	}
	isim_engine_settle(e);
	e->running = false;
	return n;
}

uint64_t iommusim_engine_run_until(struct iommusim_engine *e, uint64_t until)
{
	uint64_t n = run(e, until, UINT64_MAX);

	if (!e->stop && until > e->now)
		e->now = until;
	return n;
}

uint64_t iommusim_engine_run(struct iommusim_engine *e)
{
	return run(e, UINT64_MAX, UINT64_MAX);
}

uint64_t iommusim_engine_run_events(struct iommusim_engine *e, uint64_t n)
{
	return run(e, UINT64_MAX, n);
}

void iommusim_engine_stop(struct iommusim_engine *e)
{
	e->stop = true;
}
