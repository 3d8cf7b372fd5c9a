/* SPDX-License-Identifier: MIT */
/*
 * The DMA exposure tracker (exposure.h): waiting ranges in unmap order, in blocks reused as
 * they empty, and a bitmap of their pages over the DMA window.
 */
#include <errno.h>
#include <string.h>

#include "base/memory.h"
#include "stats/exposure.h"

#define PAGE_BYTES 4096u
/* Waiting ranges per block: 96 KiB, so a block is rarely taken and never per unmap. */
#define BLOCK_RANGES 4096u

__extension__ typedef unsigned __int128 u128;

/* A range waiting for its invalidation; first == end once settled by a ranged invalidation. */
struct range {
	uint64_t first;
	uint64_t end;
	uint64_t t; /* the unmap's return */
};

struct block {
	struct block *next;
	struct range r[BLOCK_RANGES];
};

struct isim_exposure {
	struct iommusim_mem *mem;
	/* the bitmap's pages, [base, limit) */
	uint64_t base;
	uint64_t limit;
	uint64_t *bits;
	size_t nwords;
	/* waiting ranges: from head's first to tail[tpos - 1], blocks linked in order */
	struct block *head, *tail, *spare;
	unsigned int tpos;
	uint64_t waiting;
	/* pages every waiting range lies within (a superset once some were settled alone) */
	uint64_t lo, hi;
	/* the unmap in progress */
	bool open;
	bool open_covered;
	uint64_t open_first, open_end;
	/* the measured window and what was seen in it */
	uint64_t a, b;
	bool integrating;
	bool measuring;
	u128 byte_cycles;
	struct isim_hist hist;
};

int isim_exposure_create(struct iommusim_mem *mem, uint64_t first, uint64_t end,
			 struct isim_exposure **out)
{
	struct isim_exposure *x = isim_zalloc(mem, sizeof(*x), 0);

	if (!x)
		return -ENOMEM;
	x->mem = mem;
	x->base = first;
	x->limit = end > first ? end : first;
	x->nwords = (size_t)((x->limit - x->base + 63) / 64);
	if (x->nwords) {
		x->bits = isim_zalloc(mem, x->nwords * sizeof(*x->bits), 0);
		if (!x->bits) {
			isim_free(mem, x, sizeof(*x), 0);
			return -ENOMEM;
		}
	}
	*out = x;
	return 0;
}

static void free_blocks(struct iommusim_mem *mem, struct block *b)
{
	while (b) {
		struct block *next = b->next;

		isim_free(mem, b, sizeof(*b), 0);
		b = next;
	}
}

void isim_exposure_destroy(struct isim_exposure *x)
{
	if (!x)
		return;
	free_blocks(x->mem, x->head);
	free_blocks(x->mem, x->spare);
	if (x->bits)
		isim_free(x->mem, x->bits, x->nwords * sizeof(*x->bits), 0);
	isim_free(x->mem, x, sizeof(*x), 0);
}

/* Set (@on) or clear the bits of pages [first, end) that lie in the bitmap. */
static void mark(struct isim_exposure *x, uint64_t first, uint64_t end, bool on)
{
	if (first < x->base)
		first = x->base;
	if (end > x->limit)
		end = x->limit;
	for (uint64_t p = first; p < end; p++) {
		uint64_t i = p - x->base, bit = 1ull << (i % 64);

		if (on)
			x->bits[i / 64] |= bit;
		else
			x->bits[i / 64] &= ~bit;
	}
}

/* Whether any page of [first, end) inside the bitmap waits. */
static bool any_marked(const struct isim_exposure *x, uint64_t first, uint64_t end)
{
	if (first < x->base)
		first = x->base;
	if (end > x->limit)
		end = x->limit;
	while (first < end) {
		uint64_t i = first - x->base, w = x->bits[i / 64] >> (i % 64);
		uint64_t n = 64 - i % 64;

		if (n > end - first)
			n = end - first;
		if (n < 64)
			w &= (1ull << n) - 1;
		if (w)
			return true;
		first += n;
	}
	return false;
}

/* One exposure of @bytes from @t_unmap to @t_inv: the histogram, and the window's integral. */
static void settle(struct isim_exposure *x, uint64_t first, uint64_t end, uint64_t t_unmap,
		   uint64_t t_inv)
{
	uint64_t from = t_unmap > x->a ? t_unmap : x->a;
	uint64_t to = t_inv < x->b ? t_inv : x->b;

	if (x->measuring)
		isim_hist_record(&x->hist, t_inv > t_unmap ? t_inv - t_unmap : 0);
	if (x->integrating && to > from)
		x->byte_cycles += (u128)((end - first) * PAGE_BYTES) * (to - from);
}

void isim_exposure_unmap_begin(struct isim_exposure *x, uint64_t first, uint64_t end)
{
	x->open = true;
	x->open_covered = false;
	x->open_first = first;
	x->open_end = end;
}

static struct range *push(struct isim_exposure *x)
{
	if (!x->tail || x->tpos == BLOCK_RANGES) {
		struct block *b = x->spare;

		if (b)
			x->spare = b->next;
		else
			b = isim_alloc(x->mem, sizeof(*b), 0);
		if (!b)
			return NULL;
		b->next = NULL;
		if (x->tail)
			x->tail->next = b;
		else
			x->head = b;
		x->tail = b;
		x->tpos = 0;
	}
	return &x->tail->r[x->tpos++];
}

void isim_exposure_unmap_end(struct isim_exposure *x, uint64_t t)
{
	struct range *r;

	if (!x->open)
		return;
	x->open = false;
	if (x->open_covered) {
		settle(x, x->open_first, x->open_end, t, t);
		return;
	}
	r = push(x);
	if (!r)
		return;
	*r = (struct range){.first = x->open_first, .end = x->open_end, .t = t};
	if (!x->waiting || r->first < x->lo)
		x->lo = r->first;
	if (!x->waiting || r->end > x->hi)
		x->hi = r->end;
	x->waiting++;
	mark(x, r->first, r->end, true);
}

/* Every waiting range in unmap order: @fn(x, r, arg) for each one not settled yet. */
static void each_waiting(struct isim_exposure *x,
			 void (*fn)(struct isim_exposure *x, struct range *r, uint64_t arg),
			 uint64_t arg)
{
	for (struct block *b = x->head; b; b = b->next) {
		unsigned int to = b == x->tail ? x->tpos : BLOCK_RANGES;

		for (unsigned int i = 0; i < to; i++)
			if (b->r[i].first != b->r[i].end)
				fn(x, &b->r[i], arg);
	}
}

/* Nothing waits any more: keep one block, the rest for later. */
static void empty(struct isim_exposure *x)
{
	if (x->head && x->head->next) {
		x->tail->next = x->spare;
		x->spare = x->head->next;
		x->head->next = NULL;
	}
	x->tail = x->head;
	x->tpos = 0;
	x->waiting = 0;
}

static void settle_one(struct isim_exposure *x, struct range *r, uint64_t t)
{
	settle(x, r->first, r->end, r->t, t);
	mark(x, r->first, r->end, false);
}

/*
 * Clear the bits of every waiting page: the words over [lo, hi) only, where all of them lie,
 * rather than the whole window (a global invalidation comes with every flush of a queue).
 */
static void unmark_waiting(struct isim_exposure *x)
{
	uint64_t first = x->lo > x->base ? x->lo : x->base;
	uint64_t end = x->hi < x->limit ? x->hi : x->limit;
	size_t w0, w1;

	if (first >= end)
		return;
	w0 = (size_t)((first - x->base) / 64);
	w1 = (size_t)((end - x->base + 63) / 64);
	memset(x->bits + w0, 0, (w1 - w0) * sizeof(*x->bits));
}

static void settle_all(struct isim_exposure *x, uint64_t t)
{
	for (struct block *b = x->head; b; b = b->next) {
		unsigned int to = b == x->tail ? x->tpos : BLOCK_RANGES;

		for (unsigned int i = 0; i < to; i++)
			if (b->r[i].first != b->r[i].end)
				settle(x, b->r[i].first, b->r[i].end, b->r[i].t, t);
	}
	unmark_waiting(x);
	empty(x);
}

void isim_exposure_invalidate(struct isim_exposure *x, uint64_t first, uint64_t end, uint64_t t)
{
	if (x->open && first <= x->open_first && end >= x->open_end)
		x->open_covered = true;
	if (!x->waiting)
		return;
	if (first <= x->lo && end >= x->hi) {
		settle_all(x, t);
		return;
	}
	if (!any_marked(x, first, end))
		return;
	/* Rare: a ranged invalidation over waiting pages. Settle the ranges it covers whole. */
	for (struct block *b = x->head; b; b = b->next) {
		unsigned int to = b == x->tail ? x->tpos : BLOCK_RANGES;

		for (unsigned int i = 0; i < to; i++) {
			struct range *r = &b->r[i];

			if (r->first == r->end || r->first < first || r->end > end)
				continue;
			settle_one(x, r, t);
			r->end = r->first;
			x->waiting--;
		}
	}
	if (!x->waiting)
		empty(x);
}

void isim_exposure_window(struct isim_exposure *x, uint64_t a, uint64_t b)
{
	if (!x)
		return;
	x->a = a;
	x->b = b;
	x->integrating = b > a;
}

void isim_exposure_measure(struct isim_exposure *x, bool on)
{
	if (x)
		x->measuring = on;
}

static void close_one(struct isim_exposure *x, struct range *r, uint64_t unused)
{
	uint64_t from = r->t > x->a ? r->t : x->a;

	(void)unused;
	if (x->b > from)
		x->byte_cycles += (u128)((r->end - r->first) * PAGE_BYTES) * (x->b - from);
}

void isim_exposure_close(struct isim_exposure *x)
{
	if (!x)
		return;
	if (x->integrating)
		each_waiting(x, close_one, 0);
	x->integrating = false;
}

const struct isim_hist *isim_exposure_hist(const struct isim_exposure *x)
{
	return &x->hist;
}

double isim_exposure_byte_cycles(const struct isim_exposure *x)
{
	return (double)x->byte_cycles;
}

uint64_t isim_exposure_waiting(const struct isim_exposure *x)
{
	return x->waiting;
}
