/* SPDX-License-Identifier: MIT */
/*
 * The queue's ordered array (queue.c): the queued entries in key order, (time, due, sequence),
 * from heap[heap_lo] on. Taking the smallest is a step of the start index, and an entry goes
 * in by a search and a move of the entries on its shorter side. Events due soon (a CPU's next
 * step) land near the front, those due late (a device's completion) near the back, so the
 * moves are short. The array is twice the records, the entries in the middle part; when one
 * end runs out of room they are re-centred, which is rare. Only queue.c includes this: the
 * functions are inline so that its take and push loops need no calls.
 */
#ifndef ISIM_ENGINE_QUEUE_ARRAY_H
#define ISIM_ENGINE_QUEUE_ARRAY_H

#include <assert.h>
#include <string.h>

#include "engine/engine_internal.h"

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

/*
 * The first entry of [@lo, @hi) whose time is after @t, or @hi: searched from @lo with steps
 * that double, then by halving, so an entry near the start costs a few comparisons however
 * long the queue is. Most searches end near the front (a CPU's next step).
 */
static inline uint32_t q_after_fwd(const struct isim_heap_ent *q, uint32_t lo, uint32_t hi,
				   uint64_t t)
{
	uint32_t step = 1, probe;

	for (;;) {
		if (hi - lo < step) {
			probe = hi;
			break;
		}
		probe = lo + step - 1;
		if (t < q[probe].time)
			break;
		lo = probe + 1;
		step *= 2;
	}
	/* [lo, probe) holds the answer, or it is @probe */
	while (lo < probe) {
		uint32_t mid = lo + (probe - lo) / 2;

		if (t < q[mid].time)
			probe = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* As q_after_fwd(), searching from @hi backwards: for times that belong near the end. */
static inline uint32_t q_after_back(const struct isim_heap_ent *q, uint32_t lo, uint32_t hi,
				    uint64_t t)
{
	uint32_t step = 1, start = lo;

	for (;;) {
		if (hi - lo < step)
			break;
		if (!(t < q[hi - step].time)) {
			start = hi - step + 1;
			break;
		}
		hi -= step;
		step *= 2;
	}
	/* every entry from @hi on is after @t, none before @start is */
	while (start < hi) {
		uint32_t mid = start + (hi - start) / 2;

		if (t < q[mid].time)
			hi = mid;
		else
			start = mid + 1;
	}
	return start;
}

/*
 * The first entry of [@lo, @hi) that @k is before (or @hi): where @k belongs. The search
 * compares times alone, which nearly always differ, from whichever end of the range is nearer
 * @k's time; among the entries of @k's time, which are in (due, sequence) order, it then steps
 * back past those @k comes before.
 */
static inline uint32_t q_bound(const struct iommusim_engine *e, uint32_t lo, uint32_t hi,
			       const struct isim_heap_ent *k)
{
	const struct isim_heap_ent *q = e->heap;
	uint32_t i;

	if (lo == hi)
		return lo;
	i = lo + (hi - lo) / 2;
	if (k->time < q[i].time)
		i = q_after_fwd(q, lo, i, k->time);
	else
		i = q_after_back(q, i + 1, hi, k->time);
	while (i > lo && q[i - 1].time == k->time && before(k, &q[i - 1]))
		i--;
	return i;
}

/*
 * memmove() of @n entries, with the few-entry moves that most insertions need done in place
 * rather than through a call.
 */
static inline void q_move(struct isim_heap_ent *dst, const struct isim_heap_ent *src, uint32_t n)
{
	if (n > 4) {
		memmove(dst, src, (size_t)n * sizeof(*dst));
	} else if (dst < src) {
		for (uint32_t k = 0; k < n; k++)
			dst[k] = src[k];
	} else {
		for (uint32_t k = n; k-- > 0;)
			dst[k] = src[k];
	}
}

/* The index of the queued entry of record @slot, found by the key the record keeps. */
static inline uint32_t q_find(const struct iommusim_engine *e, uint32_t slot)
{
	const struct isim_event *r = &e->ev[slot];
	const struct isim_heap_ent k = {.time = r->due, .due = r->due, .seq = r->seq};
	/* the entry itself is the last one @k is not before */
	uint32_t i = q_bound(e, e->heap_lo, e->heap_lo + e->heap_len, &k) - 1;

	assert(r->pos == ISIM_EV_QUEUED && e->heap[i].slot == slot);
	return i;
}

/* Move the entries to the middle of the array, so both ends have room again. */
static inline void q_recentre(struct iommusim_engine *e)
{
	uint32_t lo = e->cap - e->heap_len / 2;

	memmove(e->heap + lo, e->heap + e->heap_lo, (size_t)e->heap_len * sizeof(*e->heap));
	e->heap_lo = lo;
}

/* Record @k as the queued key of its record. */
static inline void q_note(struct iommusim_engine *e, const struct isim_heap_ent *k)
{
	struct isim_event *r = &e->ev[k->slot];

	r->due = k->due;
	r->seq = k->seq;
	r->pos = ISIM_EV_QUEUED;
}

static inline void q_insert(struct iommusim_engine *e, const struct isim_heap_ent *k)
{
	uint32_t n = e->heap_len, i, left;

	q_note(e, k);
	/* the latest entry so far goes last without a search: the usual device completion */
	if (n && before(k, &e->heap[e->heap_lo + n - 1]))
		i = q_bound(e, e->heap_lo, e->heap_lo + n - 1, k);
	else
		i = e->heap_lo + n;
	left = i - e->heap_lo;
	if (left < n - left) {
		/* fewer entries before it: they move down one */
		if (e->heap_lo == 0) {
			q_recentre(e);
			i = e->heap_lo + left;
		}
		q_move(e->heap + e->heap_lo - 1, e->heap + e->heap_lo, left);
		e->heap_lo--;
		i--;
	} else {
		if (e->heap_lo + n == 2 * e->cap) {
			q_recentre(e);
			i = e->heap_lo + left;
		}
		q_move(e->heap + i + 1, e->heap + i, n - left);
	}
	e->heap[i] = *k;
	e->heap_len = n + 1;
}

/* Take out entry @i, closing the gap from its shorter side. */
static inline void q_delete(struct iommusim_engine *e, uint32_t i)
{
	uint32_t left = i - e->heap_lo, right = e->heap_len - 1 - left;

	e->ev[e->heap[i].slot].pos = ISIM_EV_NONE;
	if (left <= right) {
		q_move(e->heap + e->heap_lo + 1, e->heap + e->heap_lo, left);
		e->heap_lo++;
	} else {
		q_move(e->heap + i, e->heap + i + 1, right);
	}
	e->heap_len--;
}

#endif /* ISIM_ENGINE_QUEUE_ARRAY_H */
