/* SPDX-License-Identifier: MIT */
/*
 * The event queue: the queued entries kept in key order, (time, due, sequence), in one array
 * over recycled event records (queue_array.h), plus a backlog per CPU. Keys are unique (the
 * sequence number is), so the order never depends on layout or on addresses.
 *
 * An event bound to a CPU runs when that CPU is free and every earlier event bound to it has
 * run: as if an event that comes up behind a busy CPU were moved to the CPU's free time. The
 * CPU's waiting events form its backlog, in (due, sequence) order, and the CPU has one wake-up
 * key (free time, due, sequence) of the oldest of them, its time never before that event's due
 * time. So an event can join the backlog as soon as it is queued when it is sure to wait: when
 * the CPU is busy past its due time (free times never go back), or when it goes after an event
 * already in the backlog (once that one has run, the wake-up key is either the event's own key
 * or later, see wake_set()). Most events queued behind a busy CPU do so, and never touch the
 * array; the rest join the backlog when they come up in the array and find the CPU busy, or
 * behind events that came up before them. The two kinds are kept in two lists: events come up
 * in key order, so one that comes up blocked goes last in its list without a search, whereas
 * one joining at queuing is put in its place among the others that did; the oldest waiting
 * event is the older of the two heads.
 *
 * The CPUs with a backlog compete by their wake-up keys in a tournament tree, whose winner is
 * weighed against the array's first entry at each take: a key changes after every event taken
 * from a backlog, and replaying a few matches costs less than moving an entry in the array. A
 * CPU's free time moves whenever work is charged to it, from any event, and the tree is not
 * told: a wake-up key's time is a lower bound. When a CPU wins with a key older than its free
 * time, the key is raised to the free time and the matches replayed before anything runs.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "base/memory.h"
#include "engine/engine_internal.h"
#include "engine/queue_array.h"

#define INITIAL_EVENTS 64u
/* Slots are 32-bit, and the top few values are markers. */
#define MAX_RECORDS (1u << 31)

/* ---- records ---- */

static int grow(struct iommusim_engine *e, uint32_t cap)
{
	struct isim_event *ev;
	struct isim_heap_ent *heap;
	uint32_t lo;

	if (cap > MAX_RECORDS)
		return -ENOMEM;
	ev = isim_alloc(e->mem, (size_t)cap * sizeof(*ev), 0);
	heap = isim_alloc(e->mem, 2 * (size_t)cap * sizeof(*heap), 0);
	if (!ev || !heap) {
		if (ev)
			isim_free(e->mem, ev, (size_t)cap * sizeof(*ev), 0);
		if (heap)
			isim_free(e->mem, heap, 2 * (size_t)cap * sizeof(*heap), 0);
		return -ENOMEM;
	}
	lo = cap - e->heap_len / 2;
	if (e->cap) {
		memcpy(ev, e->ev, (size_t)e->used * sizeof(*ev));
		memcpy(heap + lo, e->heap + e->heap_lo, (size_t)e->heap_len * sizeof(*heap));
		isim_free(e->mem, e->ev, (size_t)e->cap * sizeof(*e->ev), 0);
		isim_free(e->mem, e->heap, 2 * (size_t)e->cap * sizeof(*e->heap), 0);
	}
	e->ev = ev;
	e->heap = heap;
	e->heap_lo = lo;
	e->cap = cap;
	return 0;
}

int isim_engine_queue_init(struct iommusim_engine *e)
{
	uint32_t leaves = 1;
	int err;

	while (leaves < e->ncpus)
		leaves *= 2;
	e->wake = isim_alloc(e->mem, 2 * (size_t)leaves * sizeof(*e->wake), 0);
	if (!e->wake)
		return -ENOMEM;
	e->leaves = leaves;
	for (uint32_t i = 0; i < 2 * leaves; i++)
		e->wake[i] = ISIM_EV_NONE;
	err = grow(e, INITIAL_EVENTS);
	if (err)
		return err;
	e->free_head = ISIM_EV_NONE;
	for (uint32_t i = 0; i < e->ncpus; i++)
		e->cpus[i].blocked = e->cpus[i].joined =
			(struct isim_backlog){ISIM_EV_NONE, ISIM_EV_NONE};
	e->used = 0;
	return 0;
}

void isim_engine_queue_fini(struct iommusim_engine *e)
{
	if (e->wake)
		isim_free(e->mem, e->wake, 2 * (size_t)e->leaves * sizeof(*e->wake), 0);
	e->wake = NULL;
	if (!e->cap)
		return;
	isim_free(e->mem, e->ev, (size_t)e->cap * sizeof(*e->ev), 0);
	isim_free(e->mem, e->heap, 2 * (size_t)e->cap * sizeof(*e->heap), 0);
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

/* ---- per-CPU backlogs ---- */

static inline uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Whether the queued event @r comes before an event of key (@due, @seq). */
static inline bool ev_before(const struct isim_event *r, uint64_t due, uint64_t seq)
{
	return r->due < due || (r->due == due && r->seq < seq);
}

/* The oldest event waiting for @c, or ISIM_EV_NONE: the older of its two lists' heads. */
static inline uint32_t oldest(const struct iommusim_engine *e, const struct isim_engine_cpu *c)
{
	uint32_t j = c->joined.head, b = c->blocked.head;

	if (j == ISIM_EV_NONE || b == ISIM_EV_NONE)
		return j == ISIM_EV_NONE ? b : j;
	return ev_before(&e->ev[j], e->ev[b].due, e->ev[b].seq) ? j : b;
}

/* ---- the tournament of CPUs with a backlog ---- */

/* The winner of CPUs @a and @b (either may be ISIM_EV_NONE: no backlog). */
static inline uint32_t match(const struct iommusim_engine *e, uint32_t a, uint32_t b)
{
	if (a == ISIM_EV_NONE || b == ISIM_EV_NONE)
		return a == ISIM_EV_NONE ? b : a;
	return before(&e->cpus[a].wake, &e->cpus[b].wake) ? a : b;
}

/* Replay the matches on the way from CPU @cpu's leaf, now holding @who, to the root. */
static void wake_replay(struct iommusim_engine *e, uint32_t cpu, uint32_t who)
{
	uint32_t *t = e->wake;
	uint32_t i = e->leaves + cpu;

	t[i] = who;
	for (; i > 1; i /= 2)
		t[i / 2] = match(e, t[i & ~1u], t[i | 1u]);
}

/* Whether CPU @cpu has a backlog, and so a wake-up key in the tournament. */
static inline bool waking(const struct iommusim_engine *e, uint32_t cpu)
{
	return e->wake[e->leaves + cpu] != ISIM_EV_NONE;
}

/*
 * Give @cpu the wake-up key for the oldest event of its backlog, given @lb, a time the CPU is
 * known not to free up before. An event that joined the backlog at queuing may be due after
 * the CPU frees up; the time is then its due time, and the key is the event's own, so it runs
 * exactly where it would have from the array.
 */
static void wake_set(struct iommusim_engine *e, uint32_t cpu, uint64_t lb)
{
	struct isim_engine_cpu *c = &e->cpus[cpu];
	const struct isim_event *h = &e->ev[oldest(e, c)];

	c->wake = (struct isim_heap_ent){.time = max64(max64(lb, c->busy_until), h->due),
					 .due = h->due,
					 .seq = h->seq,
					 .slot = cpu};
	wake_replay(e, cpu, cpu);
}

/* Link @slot, of key (@due, @seq), into list @l after @p (ISIM_EV_NONE: first), at @pos. */
static void backlog_link(struct iommusim_engine *e, struct isim_backlog *l, uint32_t slot,
			 uint32_t p, uint32_t pos, uint64_t due, uint64_t seq)
{
	struct isim_event *r = &e->ev[slot];

	r->due = due;
	r->seq = seq;
	r->pos = pos;
	r->prev = p;
	r->next = p != ISIM_EV_NONE ? e->ev[p].next : l->head;
	if (r->next != ISIM_EV_NONE)
		e->ev[r->next].prev = slot;
	else
		l->tail = slot;
	if (p != ISIM_EV_NONE)
		e->ev[p].next = slot;
	else
		l->head = slot;
}

/* Take @slot out of the list of its CPU's backlog that holds it. */
static void backlog_unlink(struct iommusim_engine *e, uint32_t slot)
{
	const struct isim_event *r = &e->ev[slot];
	struct isim_engine_cpu *c = &e->cpus[r->cpu];
	struct isim_backlog *l = r->pos == ISIM_EV_JOINED ? &c->joined : &c->blocked;

	if (r->prev != ISIM_EV_NONE)
		e->ev[r->prev].next = r->next;
	else
		l->head = r->next;
	if (r->next != ISIM_EV_NONE)
		e->ev[r->next].prev = r->prev;
	else
		l->tail = r->prev;
}

/*
 * Move the event at the front of the array into its CPU's backlog. Events come up in key
 * order, so it goes after every event that came up blocked before it, last in their list.
 */
static void block(struct iommusim_engine *e)
{
	const struct isim_heap_ent ent = e->heap[e->heap_lo];
	uint32_t cpu = e->ev[ent.slot].cpu;
	struct isim_engine_cpu *c = &e->cpus[cpu];
	uint32_t old = oldest(e, c);

	q_delete(e, e->heap_lo);
	backlog_link(e, &c->blocked, ent.slot, c->blocked.tail, ISIM_EV_BLOCKED, ent.due, ent.seq);
	/* The wake-up key follows the oldest event, unless one queued into the backlog is older. */
	if (old == ISIM_EV_NONE || !ev_before(&e->ev[old], ent.due, ent.seq))
		wake_set(e, cpu, e->now);
}

/* Take @slot out of its CPU's backlog; the wake-up key follows the new oldest event. */
static void unblock(struct iommusim_engine *e, uint32_t slot)
{
	struct isim_event *r = &e->ev[slot];
	uint32_t cpu = r->cpu;
	const struct isim_engine_cpu *c = &e->cpus[cpu];
	bool was_oldest = oldest(e, c) == slot;

	backlog_unlink(e, slot);
	r->pos = ISIM_EV_NONE;
	if (!was_oldest)
		return;
	if (oldest(e, c) == ISIM_EV_NONE)
		wake_replay(e, cpu, ISIM_EV_NONE);
	else /* the new oldest event comes after the old one: the key only grows */
		wake_set(e, cpu, c->wake.time);
}

/*
 * Bring the wake-up key of the CPU whose backlog head was taken last up to date: the key of
 * the new oldest event, and the CPU's free time now that the taken event has run. The CPU
 * could not run anything before that time anyway (a busy CPU's key is raised there when it
 * wins, and free times never go back), so raising it early changes no order.
 */
static void rekey(struct iommusim_engine *e)
{
	uint32_t cpu = e->rekey;

	e->rekey = ISIM_EV_NONE;
	/* A callback may have cancelled the whole backlog, and the key with it. */
	if (!waking(e, cpu))
		return;
	assert(e->cpus[cpu].joined.head != ISIM_EV_NONE ||
	       e->cpus[cpu].blocked.head != ISIM_EV_NONE);
	wake_set(e, cpu, e->cpus[cpu].wake.time);
}

/* ---- the queue's interface ---- */

/*
 * Put the queued event @slot of key (@at, @seq) in its place: its CPU's backlog when it is
 * sure to wait, else the array. The array has two places for every record (grow() sizes both
 * together), so placing a record needs no memory.
 */
static void place(struct iommusim_engine *e, uint32_t slot, uint64_t at, uint64_t seq)
{
	uint32_t cpu = e->ev[slot].cpu;

	if (cpu != ISIM_EV_NONE) {
		struct isim_engine_cpu *c = &e->cpus[cpu];
		uint32_t p = c->joined.tail;

		/* The CPU's busy time is read below. */
		isim_engine_settle(e);
		/*
		 * Sure to wait: due while the CPU is busy, or after an event of the backlog,
		 * which it then follows there. The events that joined at queuing are searched
		 * from the end for a few steps only (events due later than this one are rare
		 * there); those that came up blocked are all older than this one.
		 */
		for (int n = 0; p != ISIM_EV_NONE && n < 4; n++, p = e->ev[p].prev) {
			if (ev_before(&e->ev[p], at, seq)) {
				backlog_link(e, &c->joined, slot, p, ISIM_EV_JOINED, at, seq);
				return;
			}
		}
		if (p == ISIM_EV_NONE && c->blocked.head != ISIM_EV_NONE) {
			backlog_link(e, &c->joined, slot, ISIM_EV_NONE, ISIM_EV_JOINED, at, seq);
			return;
		}
		if (c->joined.head == ISIM_EV_NONE && c->blocked.head == ISIM_EV_NONE &&
		    c->busy_until > at) {
			backlog_link(e, &c->joined, slot, ISIM_EV_NONE, ISIM_EV_JOINED, at, seq);
			wake_set(e, cpu, at);
			return;
		}
	}
	q_insert(e, &(struct isim_heap_ent){.time = at, .due = at, .seq = seq, .slot = slot});
}

/* ---- the held event ---- */

/*
 * The event queued last is held out of the array until the next queuing or take. A callback's
 * last act is often to queue the next step of its work for when its CPU gets there; when
 * nothing queued comes before that, the take runs it at once and it is never placed at all.
 * Otherwise it is placed with the key it got when queued. Placing it later than it was queued
 * changes only how it waits, never when it runs: whether an event joins its CPU's backlog at
 * queuing or when it comes up blocked, it runs at the same point of the order (see the top).
 */
static void place_held(struct iommusim_engine *e)
{
	uint32_t slot = e->held;

	e->held = ISIM_EV_NONE;
	place(e, slot, e->ev[slot].due, e->ev[slot].seq);
}

/*
 * Whether the held event comes next, at its due time, within @limit: before every entry of the
 * array and every wake-up key and, when bound to a CPU, with the CPU free by then and nothing
 * waiting for it. Every other event was queued before it, so at equal times it would come
 * after them: its time must be earlier than theirs. Nothing the take does moves an entry or a
 * key before its time either (wake-up keys are lower bounds), so no other event can come first.
 */
static bool held_runs_now(const struct iommusim_engine *e, uint64_t limit)
{
	const struct isim_event *r = &e->ev[e->held];
	uint32_t w = e->wake[1];

	if (r->due > limit || (e->heap_len && e->heap[e->heap_lo].time <= r->due) ||
	    (w != ISIM_EV_NONE && e->cpus[w].wake.time <= r->due))
		return false;
	if (r->cpu != ISIM_EV_NONE) {
		const struct isim_engine_cpu *c = &e->cpus[r->cpu];

		return c->busy_until <= r->due && c->joined.head == ISIM_EV_NONE &&
		       c->blocked.head == ISIM_EV_NONE;
	}
	return true;
}

/* ---- the queue's interface ---- */

/* Queue @fn(@arg) in record @slot at @at, bound to CPU index @cpu: it is held (see above). */
static void rec_queue(struct iommusim_engine *e, uint32_t slot, uint64_t at, uint32_t cpu,
		      iommusim_event_fn *fn, void *arg)
{
	struct isim_event *r = &e->ev[slot];

	if (e->held != ISIM_EV_NONE)
		place_held(e);
	r->fn = fn;
	r->arg = arg;
	r->cpu = cpu;
	r->due = at;
	r->seq = e->next_seq++;
	r->pos = ISIM_EV_HELD;
	e->held = slot;
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

	assert(slot < e->used && r->reserved && r->pos == ISIM_EV_NONE);
	r->reserved = false;
	rec_put(e, slot);
}

void isim_engine_push_reserved(struct iommusim_engine *e, uint32_t slot, uint64_t at, uint32_t cpu,
			       iommusim_event_fn *fn, void *arg)
{
	assert(slot < e->used && e->ev[slot].reserved && e->ev[slot].pos == ISIM_EV_NONE);
	rec_queue(e, slot, at, cpu, fn, arg);
}

void isim_engine_remove(struct iommusim_engine *e, uint32_t slot)
{
	struct isim_event *r = &e->ev[slot];

	assert(slot < e->used && r->pos != ISIM_EV_NONE);
	isim_engine_settle(e);
	if (r->pos == ISIM_EV_HELD)
		e->held = ISIM_EV_NONE;
	else if (r->pos == ISIM_EV_BLOCKED || r->pos == ISIM_EV_JOINED)
		unblock(e, slot);
	else
		q_delete(e, q_find(e, slot));
	rec_put(e, slot);
	e->pending--;
}

bool isim_engine_take(struct iommusim_engine *e, uint64_t limit, iommusim_event_fn **fn, void **arg)
{
	isim_engine_settle(e);
	if (e->rekey != ISIM_EV_NONE)
		rekey(e);
	if (e->held != ISIM_EV_NONE) {
		uint32_t slot = e->held;

		if (held_runs_now(e, limit)) {
			e->held = ISIM_EV_NONE;
			e->now = e->ev[slot].due;
			*fn = e->ev[slot].fn;
			*arg = e->ev[slot].arg;
			rec_put(e, slot);
			e->pending--;
			return true;
		}
		place_held(e);
	}
	for (;;) {
		const struct isim_heap_ent *top = e->heap_len ? &e->heap[e->heap_lo] : NULL;
		uint32_t w = e->wake[1], slot;
		struct isim_event *r;

		if (w != ISIM_EV_NONE && (!top || before(&e->cpus[w].wake, top))) {
			struct isim_engine_cpu *c = &e->cpus[w];

			if (c->wake.time > limit)
				return false;
			e->now = c->wake.time;
			/* The CPU found more work since; look again when it is done. */
			if (c->busy_until > c->wake.time) {
				c->wake.time = c->busy_until;
				wake_replay(e, w, w);
				continue;
			}
			/* Take the oldest waiting event; the key is set by the next take. */
			slot = oldest(e, c);
			r = &e->ev[slot];
			assert(r->prev == ISIM_EV_NONE && r->due <= c->wake.time);
			backlog_unlink(e, slot);
			if (c->joined.head != ISIM_EV_NONE || c->blocked.head != ISIM_EV_NONE)
				e->rekey = w;
			else
				wake_replay(e, w, ISIM_EV_NONE);
		} else {
			if (!top || top->time > limit)
				return false;
			e->now = top->time;
			slot = top->slot;
			r = &e->ev[slot];
			if (r->cpu != ISIM_EV_NONE) {
				const struct isim_engine_cpu *c = &e->cpus[r->cpu];

				/*
				 * Behind a busy CPU, or behind events that came up before it
				 * (not those queued into the backlog due after it).
				 */
				if (c->busy_until > top->time || c->blocked.head != ISIM_EV_NONE ||
				    (c->joined.head != ISIM_EV_NONE &&
				     ev_before(&e->ev[c->joined.head], top->due, top->seq))) {
					block(e);
					continue;
				}
			}
			q_delete(e, e->heap_lo);
		}
		/* Release before the callback: it may cancel, schedule or grow the queue. */
		*fn = r->fn;
		*arg = r->arg;
		rec_put(e, slot);
		e->pending--;
		return true;
	}
}
