/* SPDX-License-Identifier: MIT */
/*
 * The event queue: a binary heap keyed by (time, due, sequence) over recycled event records,
 * plus a backlog per CPU. Keys are unique (the sequence number is), so the order never depends
 * on heap layout or on addresses.
 *
 * An event bound to a CPU that is busy when the event comes up joins that CPU's backlog, and
 * the CPU gets one wake-up entry in the heap at the time it frees up. Events come up in
 * (due, sequence) order, so the backlog is a plain FIFO in that order, and each waiting event
 * costs one heap operation however long the CPU stays busy. The wake-up entry carries the due
 * time and sequence of the oldest waiting event, so the order is that of a queue in which the
 * waiting events themselves had been moved to the CPU's free time.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "base/memory.h"
#include "engine/engine_internal.h"

#define INITIAL_EVENTS 64u
/* Slots are 32-bit, and the top two values are markers. */
#define MAX_RECORDS (1u << 31)

/* ---- records ---- */

static int grow(struct iommusim_engine *e, uint32_t cap)
{
	struct isim_event *ev;
	struct isim_heap_ent *heap;

	if (cap > MAX_RECORDS)
		return -ENOMEM;
	ev = isim_alloc(e->mem, (size_t)cap * sizeof(*ev), 0);
	heap = isim_alloc(e->mem, (size_t)cap * sizeof(*heap), 0);
	if (!ev || !heap) {
		if (ev)
			isim_free(e->mem, ev, (size_t)cap * sizeof(*ev), 0);
		if (heap)
			isim_free(e->mem, heap, (size_t)cap * sizeof(*heap), 0);
		return -ENOMEM;
	}
	if (e->cap) {
		memcpy(ev, e->ev, (size_t)e->used * sizeof(*ev));
		memcpy(heap, e->heap, (size_t)e->heap_len * sizeof(*heap));
		isim_engine_queue_fini(e);
	}
	e->ev = ev;
	e->heap = heap;
	e->cap = cap;
	return 0;
}

int isim_engine_queue_init(struct iommusim_engine *e)
{
	int err = grow(e, e->ncpus + INITIAL_EVENTS);

	if (err)
		return err;
	e->free_head = ISIM_EV_NONE;
	for (uint32_t i = 0; i < e->ncpus; i++) {
		/* Generation 0: no handle ever names a wake-up record. */
		e->ev[i] = (struct isim_event){ .cpu = i, .pos = ISIM_EV_NONE };
		e->cpus[i].head = e->cpus[i].tail = ISIM_EV_NONE;
	}
	e->used = e->ncpus;
	return 0;
}

void isim_engine_queue_fini(struct iommusim_engine *e)
{
	if (!e->cap)
		return;
	isim_free(e->mem, e->ev, (size_t)e->cap * sizeof(*e->ev), 0);
	isim_free(e->mem, e->heap, (size_t)e->cap * sizeof(*e->heap), 0);
	e->cap = 0;
}

static uint32_t rec_get(struct iommusim_engine *e)
{
	uint32_t slot = e->free_head;

	if (slot != ISIM_EV_NONE) {
		e->free_head = e->ev[slot].next;
		return slot;
	}
	if (e->used == e->cap && grow(e, e->cap * 2))
		return ISIM_EV_NONE;
	slot = e->used++;
	e->ev[slot].gen = 1;
	return slot;
}

static void rec_put(struct iommusim_engine *e, uint32_t slot)
{
	struct isim_event *r = &e->ev[slot];

	if (++r->gen == 0)
		r->gen = 1;
	r->pos = ISIM_EV_NONE;
	r->fn = NULL;
	r->arg = NULL;
	r->next = e->free_head;
	e->free_head = slot;
}

/* ---- the heap ---- */

static bool before(const struct isim_heap_ent *a, const struct isim_heap_ent *b)
{
	if (a->time != b->time)
		return a->time < b->time;
	if (a->due != b->due)
		return a->due < b->due;
	return a->seq < b->seq;
}

static void heap_set(struct iommusim_engine *e, uint32_t i, const struct isim_heap_ent *ent)
{
	e->heap[i] = *ent;
	e->ev[ent->slot].pos = i;
}

static void sift_up(struct iommusim_engine *e, uint32_t i)
{
	struct isim_heap_ent ent = e->heap[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (!before(&ent, &e->heap[p]))
			break;
		heap_set(e, i, &e->heap[p]);
		i = p;
	}
	heap_set(e, i, &ent);
}

static void sift_down(struct iommusim_engine *e, uint32_t i)
{
	struct isim_heap_ent ent = e->heap[i];
	uint32_t n = e->heap_len;

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && before(&e->heap[c + 1], &e->heap[c]))
			c++;
		if (!before(&e->heap[c], &ent))
			break;
		heap_set(e, i, &e->heap[c]);
		i = c;
	}
	heap_set(e, i, &ent);
}

/* Restore order around entry @i after its key changed either way. */
static void heap_fix(struct iommusim_engine *e, uint32_t i)
{
	if (i > 0 && before(&e->heap[i], &e->heap[(i - 1) / 2]))
		sift_up(e, i);
	else
		sift_down(e, i);
}

static void heap_insert(struct iommusim_engine *e, const struct isim_heap_ent *ent)
{
	heap_set(e, e->heap_len++, ent);
	sift_up(e, e->heap_len - 1);
}

static void heap_delete(struct iommusim_engine *e, uint32_t i)
{
	struct isim_heap_ent last = e->heap[--e->heap_len];

	e->ev[e->heap[i].slot].pos = ISIM_EV_NONE;
	if (i == e->heap_len)
		return;
	heap_set(e, i, &last);
	heap_fix(e, i);
}

/* ---- per-CPU backlogs ---- */

/* Move the event at heap index @i to the back of its CPU's backlog. */
static void block(struct iommusim_engine *e, uint32_t i)
{
	const struct isim_heap_ent ent = e->heap[i];
	struct isim_event *r = &e->ev[ent.slot];
	struct isim_engine_cpu *c = &e->cpus[r->cpu];

	heap_delete(e, i);
	r->due = ent.due;
	r->seq = ent.seq;
	r->pos = ISIM_EV_BLOCKED;
	r->next = ISIM_EV_NONE;
	r->prev = c->tail;
	if (c->tail != ISIM_EV_NONE) {
		/* Events come up in (due, sequence) order, which is what keeps this a FIFO. */
		assert(e->ev[c->tail].due < ent.due ||
		       (e->ev[c->tail].due == ent.due && e->ev[c->tail].seq < ent.seq));
		e->ev[c->tail].next = ent.slot;
	} else {
		c->head = ent.slot;
		heap_insert(e, &(struct isim_heap_ent){
			.time = c->busy_until > e->now ? c->busy_until : e->now,
			.due = ent.due, .seq = ent.seq, .slot = r->cpu });
	}
	c->tail = ent.slot;
}

/* Take @slot out of its CPU's backlog; the wake-up entry follows the new oldest event. */
static void unblock(struct iommusim_engine *e, uint32_t slot)
{
	struct isim_event *r = &e->ev[slot];
	uint32_t cpu = r->cpu;
	struct isim_engine_cpu *c = &e->cpus[cpu];
	bool was_head = c->head == slot;
	uint32_t wpos = e->ev[cpu].pos;

	if (r->prev != ISIM_EV_NONE)
		e->ev[r->prev].next = r->next;
	else
		c->head = r->next;
	if (r->next != ISIM_EV_NONE)
		e->ev[r->next].prev = r->prev;
	else
		c->tail = r->prev;
	r->pos = ISIM_EV_NONE;
	if (!was_head)
		return;
	if (c->head == ISIM_EV_NONE) {
		heap_delete(e, wpos);
	} else {
		e->heap[wpos].due = e->ev[c->head].due;
		e->heap[wpos].seq = e->ev[c->head].seq;
		heap_fix(e, wpos);
	}
}

/* ---- the queue's interface ---- */

uint32_t isim_engine_push(struct iommusim_engine *e, uint64_t at, uint32_t cpu,
			  iommusim_event_fn *fn, void *arg)
{
	uint32_t slot = rec_get(e);
	struct isim_event *r;

	if (slot == ISIM_EV_NONE)
		return ISIM_EV_NONE;
	r = &e->ev[slot];
	r->fn = fn;
	r->arg = arg;
	r->cpu = cpu;
	heap_insert(e, &(struct isim_heap_ent){
		.time = at, .due = at, .seq = e->next_seq++, .slot = slot });
	e->pending++;
	return slot;
}

void isim_engine_remove(struct iommusim_engine *e, uint32_t slot)
{
	struct isim_event *r = &e->ev[slot];

	assert(slot >= e->ncpus && slot < e->used && r->pos != ISIM_EV_NONE);
	if (r->pos == ISIM_EV_BLOCKED)
		unblock(e, slot);
	else
		heap_delete(e, r->pos);
	rec_put(e, slot);
	e->pending--;
}

bool isim_engine_take(struct iommusim_engine *e, uint64_t limit, iommusim_event_fn **fn, void **arg)
{
	while (e->heap_len) {
		struct isim_heap_ent *top = &e->heap[0];
		uint32_t slot = top->slot;
		struct isim_event *r;

		if (top->time > limit)
			return false;
		e->now = top->time;
		if (slot < e->ncpus) {
			struct isim_engine_cpu *c = &e->cpus[slot];

			/* The CPU found more work since; look again when it is done. */
			if (c->busy_until > top->time) {
				top->time = c->busy_until;
				sift_down(e, 0);
				continue;
			}
			slot = c->head;
			unblock(e, slot);
		} else {
			r = &e->ev[slot];
			/* Behind a busy CPU, or behind events already waiting for it. */
			if (r->cpu != ISIM_EV_NONE && (e->cpus[r->cpu].busy_until > top->time ||
						       e->cpus[r->cpu].head != ISIM_EV_NONE)) {
				block(e, 0);
				continue;
			}
			heap_delete(e, 0);
		}
		/* Release before the callback: it may cancel, schedule or grow the queue. */
		r = &e->ev[slot];
		*fn = r->fn;
		*arg = r->arg;
		rec_put(e, slot);
		e->pending--;
		return true;
	}
	return false;
}
