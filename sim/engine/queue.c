/* SPDX-License-Identifier: MIT */
/*
 * The event queue: a 4-ary heap keyed by (time, due, sequence) over recycled event records,
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
	e->ev[slot].reserved = false;
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
	/* A reserved record stays with its owner, ready for the next queuing. */
	if (r->reserved)
		return;
	r->next = e->free_head;
	e->free_head = slot;
}

/* ---- the heap ---- */

/*
 * A 4-ary heap: half the depth of a binary one, so an entry moves half as often, and the four
 * children of an entry sit side by side in memory. Which shape holds the entries does not
 * matter to the order: keys are unique, so the smallest one is always the same entry.
 */
#define ARITY 4

/*
 * Plain branches: times mostly differ and the predictor does well on them; branch-free
 * variants (three-way select, 128-bit key, cmov on time alone) all measured slower.
 */
static inline bool before(const struct isim_heap_ent *a, const struct isim_heap_ent *b)
{
	if (a->time != b->time)
		return a->time < b->time;
	if (a->due != b->due)
		return a->due < b->due;
	return a->seq < b->seq;
}

static inline uint32_t parent(uint32_t i)
{
	return (i - 1) / ARITY;
}

/* The first child of @i, or @n when it has none (computed wide: 4 * i may not fit 32 bits). */
static inline uint32_t first_child(uint32_t i, uint32_t n)
{
	uint64_t c = (uint64_t)ARITY * i + 1;

	return c < n ? (uint32_t)c : n;
}

/* The smallest of the children from @c on, of a heap of @n entries; @c < @n. */
static inline uint32_t min_child(const struct isim_heap_ent *h, uint32_t c, uint32_t n)
{
	uint32_t m, m2;

	if (c + 3 < n) {
		/* A full family, as a small tournament: two independent pairs, then the winners. */
		m = before(&h[c + 1], &h[c]) ? c + 1 : c;
		m2 = before(&h[c + 3], &h[c + 2]) ? c + 3 : c + 2;
		return before(&h[m2], &h[m]) ? m2 : m;
	}
	m = c;
	for (uint32_t j = c + 1; j < n; j++)
		if (before(&h[j], &h[m]))
			m = j;
	return m;
}

static inline void heap_set(struct iommusim_engine *e, uint32_t i, const struct isim_heap_ent *ent)
{
	e->heap[i] = *ent;
	e->ev[ent->slot].pos = i;
}

static void sift_up(struct iommusim_engine *e, uint32_t i)
{
	struct isim_heap_ent ent = e->heap[i];

	while (i > 0) {
		uint32_t p = parent(i);

		if (!before(&ent, &e->heap[p]))
			break;
		heap_set(e, i, &e->heap[p]);
		i = p;
	}
	heap_set(e, i, &ent);
}

/* Restore order below entry @i after its key grew. */
static void sift_down(struct iommusim_engine *e, uint32_t i)
{
	struct isim_heap_ent ent = e->heap[i];
	uint32_t n = e->heap_len;

	for (;;) {
		uint32_t c = first_child(i, n);

		if (c == n)
			break;
		c = min_child(e->heap, c, n);
		if (!before(&e->heap[c], &ent))
			break;
		heap_set(e, i, &e->heap[c]);
		i = c;
	}
	heap_set(e, i, &ent);
}

static void heap_insert(struct iommusim_engine *e, const struct isim_heap_ent *ent)
{
	heap_set(e, e->heap_len++, ent);
	sift_up(e, e->heap_len - 1);
}

/*
 * Remove entry @i. The hole walks down to a leaf along the smallest children, and the last
 * entry, which usually belongs near the bottom anyway, rises from there: three comparisons
 * per level on the way down instead of four for sinking the last entry from @i.
 */
static void heap_delete(struct iommusim_engine *e, uint32_t i)
{
	uint32_t n = --e->heap_len;

	e->ev[e->heap[i].slot].pos = ISIM_EV_NONE;
	if (i == n)
		return;
	for (;;) {
		uint32_t c = first_child(i, n);

		if (c == n)
			break;
		c = min_child(e->heap, c, n);
		heap_set(e, i, &e->heap[c]);
		i = c;
	}
	e->heap[i] = e->heap[n];
	sift_up(e, i);
}

/* ---- per-CPU backlogs ---- */

/* Move the event at the top of the heap to the back of its CPU's backlog. */
static void block(struct iommusim_engine *e)
{
	const struct isim_heap_ent ent = e->heap[0];
	struct isim_event *r = &e->ev[ent.slot];
	uint32_t cpu = r->cpu;
	struct isim_engine_cpu *c = &e->cpus[cpu];

	if (c->tail != ISIM_EV_NONE) {
		/* Events come up in (due, sequence) order, which is what keeps this a FIFO. */
		assert(e->ev[c->tail].due < ent.due ||
		       (e->ev[c->tail].due == ent.due && e->ev[c->tail].seq < ent.seq));
		heap_delete(e, 0);
		e->ev[c->tail].next = ent.slot;
	} else {
		/* The CPU's wake-up entry takes the event's place: one sift instead of two. */
		c->head = ent.slot;
		e->heap[0] = (struct isim_heap_ent){
			.time = c->busy_until > e->now ? c->busy_until : e->now,
			.due = ent.due, .seq = ent.seq, .slot = cpu };
		e->ev[cpu].pos = 0;
		sift_down(e, 0);
	}
	r->due = ent.due;
	r->seq = ent.seq;
	r->pos = ISIM_EV_BLOCKED;
	r->next = ISIM_EV_NONE;
	r->prev = c->tail;
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
		/* The new oldest event comes after the old one: the key only grows. */
		e->heap[wpos].due = e->ev[c->head].due;
		e->heap[wpos].seq = e->ev[c->head].seq;
		sift_down(e, wpos);
	}
}

/*
 * Bring the wake-up entry of the CPU whose backlog head was taken last up to date: the key of
 * the new oldest event, and the CPU's free time now that the taken event has run. The entry
 * could not run before that time anyway (a busy CPU's entry is moved there when it reaches
 * the top, and free times never go back), so raising it early changes no order.
 */
static void rekey(struct iommusim_engine *e)
{
	uint32_t cpu = e->rekey;
	uint32_t wpos = e->ev[cpu].pos;
	const struct isim_engine_cpu *c = &e->cpus[cpu];
	struct isim_heap_ent *w;

	e->rekey = ISIM_EV_NONE;
	/* A callback may have cancelled the whole backlog, and the entry with it. */
	if (wpos == ISIM_EV_NONE)
		return;
	w = &e->heap[wpos];
	assert(w->slot == cpu && c->head != ISIM_EV_NONE);
	if (c->busy_until > w->time)
		w->time = c->busy_until;
	w->due = e->ev[c->head].due;
	w->seq = e->ev[c->head].seq;
	sift_down(e, wpos);
}

/* ---- the queue's interface ---- */

/*
 * The heap has a place for every record (grow() sizes both alike), so queuing a record the
 * caller already holds needs no memory.
 */
static void rec_queue(struct iommusim_engine *e, uint32_t slot, uint64_t at, uint32_t cpu,
		      iommusim_event_fn *fn, void *arg)
{
	struct isim_event *r = &e->ev[slot];

	r->fn = fn;
	r->arg = arg;
	r->cpu = cpu;
	heap_insert(e, &(struct isim_heap_ent){
		.time = at, .due = at, .seq = e->next_seq++, .slot = slot });
	e->pending++;
}

uint32_t isim_engine_push(struct iommusim_engine *e, uint64_t at, uint32_t cpu,
			  iommusim_event_fn *fn, void *arg)
{
	uint32_t slot = rec_get(e);

	if (slot == ISIM_EV_NONE)
		return ISIM_EV_NONE;
	rec_queue(e, slot, at, cpu, fn, arg);
	return slot;
}

uint32_t isim_engine_rec_reserve(struct iommusim_engine *e)
{
	uint32_t slot = rec_get(e);

	if (slot != ISIM_EV_NONE) {
		e->ev[slot].reserved = true;
		e->ev[slot].pos = ISIM_EV_NONE;
	}
	return slot;
}

void isim_engine_rec_unreserve(struct iommusim_engine *e, uint32_t slot)
{
	struct isim_event *r = &e->ev[slot];

	assert(slot >= e->ncpus && slot < e->used && r->reserved && r->pos == ISIM_EV_NONE);
	r->reserved = false;
	rec_put(e, slot);
}

void isim_engine_push_reserved(struct iommusim_engine *e, uint32_t slot, uint64_t at, uint32_t cpu,
			       iommusim_event_fn *fn, void *arg)
{
	assert(slot >= e->ncpus && slot < e->used && e->ev[slot].reserved &&
	       e->ev[slot].pos == ISIM_EV_NONE);
	rec_queue(e, slot, at, cpu, fn, arg);
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
	if (e->rekey != ISIM_EV_NONE)
		rekey(e);
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
			/* Take the oldest waiting event; the entry is re-keyed by the next take. */
			slot = c->head;
			r = &e->ev[slot];
			assert(r->prev == ISIM_EV_NONE);
			c->head = r->next;
			if (c->head != ISIM_EV_NONE) {
				e->ev[c->head].prev = ISIM_EV_NONE;
				e->rekey = top->slot;
			} else {
				c->tail = ISIM_EV_NONE;
				heap_delete(e, 0);
			}
		} else {
			r = &e->ev[slot];
			/* Behind a busy CPU, or behind events already waiting for it. */
			if (r->cpu != ISIM_EV_NONE && (e->cpus[r->cpu].busy_until > top->time ||
						       e->cpus[r->cpu].head != ISIM_EV_NONE)) {
				block(e);
				continue;
			}
			heap_delete(e, 0);
		}
		/* Release before the callback: it may cancel, schedule or grow the queue. */
		*fn = r->fn;
		*arg = r->arg;
		rec_put(e, slot);
		e->pending--;
		return true;
	}
	return false;
}
