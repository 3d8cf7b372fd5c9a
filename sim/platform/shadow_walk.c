/* SPDX-License-Identifier: MIT */
/*
 * The refresh walk over a range of the guest's table (see shadow.h and the notes at the top of
 * shadow.c): per 1 MiB segment, the pages valid in the guest or present in the shadow, in
 * address order, with the budget they take and give back and the UNMAP pieces of the runs of
 * invalid PTEs between them.
 */
#include <assert.h>
#include <errno.h>

#include <iommusim/s390.h>

#include "platform/shadow_impl.h"

_Static_assert(SEG_WORDS == 4, "page_table() tests the four occupancy words at once");

/* Bits [@lo, @hi) of word @w of a 256-bit segment map (0 <= lo <= hi <= 256). */
static uint64_t range_mask(unsigned int w, unsigned int lo, unsigned int hi)
{
	unsigned int a = w * 64, b = a + 64;
	uint64_t m = ~0ull;

	if (hi <= a || lo >= b)
		return 0;
	if (lo > a)
		m &= ~0ull << (lo - a);
	if (hi < b)
		m &= ~0ull >> (b - hi);
	return m;
}

uint64_t isim_pow2_pieces(uint64_t start, uint64_t n)
{
	uint64_t pieces = 0;

	while (n) {
		/* Page 0 is aligned to everything: only the length limits the piece. */
		uint64_t align = start ? start & -start : 1ull << 63;
		uint64_t fit = 1ull << (63 - __builtin_clzll(n));
		uint64_t size = align < fit ? align : fit;

		start += size;
		n -= size;
		pieces++;
	}
	return pieces;
}

/* One walk of the range: the state that lives only within a pass. */
struct walk {
	struct isim_shadow *sh;
	const struct iommusim_s390_io_table *t;
	const struct isim_walk_rules *rules;
	struct isim_container *c;
	struct isim_walk_counts *n;
	/* @rules->unmap is ISIM_UNMAP_RUNS, read once: every page handled asks */
	bool runs;
	/* the current run of invalid PTEs (pages), flushed into UNMAP pieces when it ends */
	uint64_t run_start;
	uint64_t run_len;
	bool again;
	/* the host could not allocate a shadow segment: the walk stops where it is */
	bool nomem;
	/*
	 * Segments [empty_from, empty_to) hold no shadow page (UINT64_MAX: none up to the top of
	 * the table): found by the last search for one, still true while the walk only frees
	 * segments, and emptied when it creates one. A global refresh meets an invalid upper
	 * entry at every unused segment of the window; this spares each its own search.
	 */
	uint64_t empty_from;
	uint64_t empty_to;
};

/* QEMU's dma_avail: the container's budget, or 1 when there is no limit. */
static uint64_t dma_avail(const struct isim_container *c)
{
	return c->limited ? c->avail : 1;
}

static void budget_take(struct isim_container *c)
{
	if (c->limited) {
		assert(c->avail > 0);
		c->avail--;
	}
}

static void budget_give(struct isim_container *c, uint64_t n)
{
	if (c->limited)
		c->avail += n;
}

static void run_extend(struct walk *w, uint64_t start, uint64_t n)
{
	if (!w->runs || !n)
		return;
	if (!w->run_len)
		w->run_start = start;
	assert(w->run_start + w->run_len == start);
	w->run_len += n;
}

/* mirrors s390_pci_batch_unmap(): one UNMAP per piece, mapped or not */
static void run_flush(struct walk *w)
{
	if (!w->run_len)
		return;
	w->n->unmap_calls += isim_pow2_pieces(w->run_start, w->run_len);
	w->run_len = 0;
}

/*
 * Pages [@a, @b) lie under @frames invalid segment or region entries in a row, one walk step
 * each: every shadow page there leaves the shadow. Only the shadow's segments in the stretch
 * are visited. The work adds up, so a row of entries is counted as one stretch: nothing
 * between them takes budget or starts a run of invalid PTEs.
 */
static void upper_frame(struct walk *w, uint64_t a, uint64_t b, uint64_t frames)
{
	struct isim_shadow *sh = w->sh;
	uint64_t segend = ((b - 1) >> SEG_SHIFT) + 1;
	uint64_t dropped = 0;

	run_flush(w);
	w->n->upper_invalid += frames;
	w->n->upper_pages += b - a;
	if (!sh->pages || a >= TABLE_PAGES)
		goto account;
	if (a >> SEG_SHIFT >= w->empty_from && segend <= w->empty_to)
		goto account;
	w->empty_from = a >> SEG_SHIFT;
	w->empty_to = isim_shadow_next_seg(sh, w->empty_from, TABLE_SEGS);
	if (w->empty_to == TABLE_SEGS)
		w->empty_to = UINT64_MAX;
	for (uint64_t segno = w->empty_to < segend ? w->empty_to : segend; segno < segend;
	     segno = isim_shadow_next_seg(sh, segno + 1, segend)) {
		struct sseg *sg = isim_shadow_seg_find(sh, segno);
		uint64_t base = segno << SEG_SHIFT;
		unsigned int lo = a > base ? (unsigned int)(a - base) : 0;
		unsigned int hi = b - base < SEG_PAGES ? (unsigned int)(b - base) : SEG_PAGES;

		for (unsigned int i = 0; i < SEG_WORDS; i++) {
			uint64_t m = sg->occ[i] & range_mask(i, lo, hi);

			dropped += (uint64_t)__builtin_popcountll(m);
			sg->occ[i] &= ~m;
		}
		isim_shadow_seg_trim(sh, segno);
	}
account:
	if (!dropped)
		return;
	sh->pages -= dropped;
	w->c->shadow_pages -= dropped;
	budget_give(w->c, dropped);
	w->n->removes += dropped;
	if (w->rules->silent_upper_drops) {
		w->n->silent_drops += dropped;
		return;
	}
	w->n->teardowns += dropped;
	if (w->rules->unmap == ISIM_UNMAP_PER_PAGE)
		w->n->unmap_calls += dropped;
}

/*
 * A valid PTE at page @page, index @i of its segment; *@sgp: the shadow's segment of the page,
 * or NULL while it has none (then created here, and *@sgp set); @have: the shadow holds the
 * page, as (*@sgp)->ent[@i].
 */
static void valid_page(struct walk *w, struct sseg **sgp, uint64_t page, uint64_t pte, bool have,
		       unsigned int i)
{
	uint64_t ent = (pte & ZPCI_PTE_ADDR_MASK) |
		       ((pte & ZPCI_TABLE_PROT_MASK) == ZPCI_TABLE_PROTECTED ? ENT_RO : 0);
	struct sseg *sg = *sgp;
	bool same = have && sg->ent[i] == ent;

	/* The end of a run of invalid PTEs, whether or not this page gets mapped. */
	run_flush(w);
	if (!dma_avail(w->c)) {
		/* Even a page already mapped is passed over; the flag asks for another pass. */
		w->again = true;
		if (!same)
			w->n->skipped++;
		return;
	}
	if (same)
		return;
	if (have) {
		/* mirrors s390_pci_update_iotlb(): unmap the old translation at once, then map */
		w->n->remaps++;
		w->n->removes++;
		w->n->teardowns++;
		if (w->rules->unmap != ISIM_UNMAP_NO_CALLS)
			w->n->unmap_calls++;
		if (w->rules->remap_keeps_budget)
			budget_give(w->c, 1);
	} else {
		/* A segment exists while it holds a page: the first page of one makes it. */
		if (!sg) {
			w->empty_to = w->empty_from;
			sg = isim_shadow_seg_get(w->sh, page >> SEG_SHIFT);
			if (!sg) {
				w->nomem = true;
				return;
			}
			*sgp = sg;
		}
		sg->occ[i / 64] |= 1ull << (i % 64);
		w->sh->pages++;
		if (++w->c->shadow_pages > w->c->shadow_max)
			w->c->shadow_max = w->c->shadow_pages;
	}
	sg->ent[i] = ent;
	budget_take(w->c);
	w->n->inserts++;
	w->n->maps++;
}

/*
 * An invalid PTE at index @i of segment @sg, that the shadow holds. It stays in the run of
 * invalid PTEs, which page_table() extends over it.
 */
static void gone_page(struct walk *w, struct sseg *sg, unsigned int i)
{
	sg->occ[i / 64] &= ~(1ull << (i % 64));
	w->sh->pages--;
	w->c->shadow_pages--;
	budget_give(w->c, 1);
	w->n->removes++;
	w->n->teardowns++;
	if (w->rules->unmap == ISIM_UNMAP_PER_PAGE)
		w->n->unmap_calls++;
}

/* Pages [@base + @lo, @base + @hi) of one guest page table. */
static void page_table(struct walk *w, uint64_t segno, unsigned int lo, unsigned int hi,
		       const uint64_t valid[SEG_WORDS], const _Atomic uint64_t *ptes)
{
	/* the shadow's segment as the walk found it, and as it is (a new page creates it) */
	struct sseg *const found = isim_shadow_seg_find(w->sh, segno);
	struct sseg *sg = found;
	uint64_t base = segno << SEG_SHIFT;
	unsigned int pos = lo;
	/* the words the range touches, and the bits of the first from @lo on (the last: below) */
	unsigned int k = lo / 64, last = (hi - 1) / 64;
	uint64_t m = ~0ull << (lo % 64);

	w->n->tables_walked++;
	w->n->pages_walked += hi - lo;
	/*
	 * A table with no valid PTE over a segment the shadow does not hold, the common case of a
	 * global refresh, only lengthens the run of invalid PTEs.
	 */
	if (!found && !(valid[0] | valid[1] | valid[2] | valid[3])) {
		run_extend(w, base + lo, hi - lo);
		return;
	}
	/*
	 * Only the words the range touches, one at a time: a page handled changes the shadow's
	 * bits of its own word only, so each word's shadow bits are still those the walk found.
	 * Every invalid PTE, shadowed or not, belongs to the run of invalid PTEs, which only a
	 * valid one ends: the run is extended up to each valid PTE (from @pos, the page after the
	 * last one) and to the end of the range, not page by page.
	 */
	for (;;) {
		uint64_t v, s, x;

		if (k == last)
			m &= ~0ull >> (63 - (hi - 1) % 64);
		v = valid[k] & m;
		s = found ? found->occ[k] & m : 0;
		for (x = v | s; x; x &= x - 1) {
			unsigned int i = k * 64 + (unsigned int)__builtin_ctzll(x);
			uint64_t bit = x & -x;

			if (!(v & bit)) {
				/* a bit of the shadow's only: @found holds the page */
				gone_page(w, found, i);
				continue;
			}
			run_extend(w, base + pos, i - pos);
			pos = i + 1;
			valid_page(w, &sg, base + i,
				   atomic_load_explicit(&ptes[i], memory_order_acquire), s & bit,
				   i);
			if (w->nomem)
				return;
		}
		if (k++ == last)
			break;
		m = ~0ull;
	}
	run_extend(w, base + pos, hi - pos);
	/*
	 * A segment the shadow did not hold has only gained pages, if any: nothing to free. One
	 * it held is freed once empty (tested here first: most keep pages).
	 */
	if (found && !(found->occ[0] | found->occ[1] | found->occ[2] | found->occ[3]))
		isim_shadow_seg_trim(w->sh, segno);
}

/*
 * The invalid segment (@kind ISIM_S390_SEG_INVALID) or region entry the walk meets at page
 * @cur, with the invalid segment entries that follow it, in one step; returns where the walk
 * goes on. Never inlined: a refresh of mapped pages does not come here, and inlined into the
 * pass its state costs the pass's loop registers (a few dozen instructions per simulated I/O).
 */
__attribute__((noinline)) static uint64_t
invalid_entries(struct walk *w, enum isim_s390_seg_kind kind, uint64_t cur, uint64_t end)
{
	uint64_t fend;

	if (kind == ISIM_S390_SEG_INVALID) {
		/* The frames of the invalid segment entries that follow it, in one step. */
		uint64_t need = w->rules->anchored_frames
					? (end - cur + SEG_PAGES - 1) >> SEG_SHIFT
					: ((end - 1) >> SEG_SHIFT) - (cur >> SEG_SHIFT) + 1;
		uint64_t k = isim_s390_table_invalid_segments(w->t, cur << ZPCI_PAGE_SHIFT, need);

		if (!k)
			k = 1;
		if (w->rules->anchored_frames)
			fend = cur + (k << SEG_SHIFT);
		else
			fend = ((cur >> SEG_SHIFT) + k) << SEG_SHIFT;
		if (fend > end)
			fend = end;
		upper_frame(w, cur, fend, k);
		return fend;
	}
	if (w->rules->anchored_frames)
		fend = cur + REGION_PAGES;
	else
		fend = (cur & ~(REGION_PAGES - 1)) + REGION_PAGES;
	if (fend > end)
		fend = end;
	upper_frame(w, cur, fend, 1);
	return fend;
}

/* One pass over [@first, @end); returns whether a valid page was passed over. */
static bool one_pass(struct walk *w, uint64_t first, uint64_t end)
{
	uint64_t cur = first;

	w->run_len = 0;
	w->again = false;
	while (cur < end) {
		uint64_t valid[SEG_WORDS];
		const _Atomic uint64_t *ptes;
		enum isim_s390_seg_kind kind;

		if (cur >= TABLE_PAGES) {
			/*
			 * Beyond the table's reach every frame is an invalid region of 2 GiB, and
			 * the shadow is empty: count the frames without visiting them.
			 */
			uint64_t frames =
				w->rules->anchored_frames
					? (end - cur + REGION_PAGES - 1) >> REGION_SHIFT
					: ((end - 1) >> REGION_SHIFT) - (cur >> REGION_SHIFT) + 1;

			run_flush(w);
			w->n->upper_invalid += frames;
			w->n->upper_pages += end - cur;
			break;
		}
		kind = isim_s390_table_segment(w->t, cur << ZPCI_PAGE_SHIFT, valid, &ptes);
		if (kind == ISIM_S390_SEG_PAGES) {
			uint64_t segno = cur >> SEG_SHIFT;
			uint64_t send = (segno + 1) << SEG_SHIFT;

			if (send > end)
				send = end;
			page_table(w, segno, (unsigned int)(cur - (segno << SEG_SHIFT)),
				   (unsigned int)(send - (segno << SEG_SHIFT)), valid, ptes);
			if (w->nomem)
				return false;
			cur = send;
			continue;
		}
		cur = invalid_entries(w, kind, cur, end);
	}
	run_flush(w);
	return w->again;
}

/* mirrors the loop of rpcit_service_call(), retry included */
int isim_shadow_refresh(struct isim_shadow *sh, const struct iommusim_s390_io_table *t,
			uint64_t first, uint64_t end, const struct isim_walk_rules *rules,
			struct isim_container *c, struct isim_walk_counts *counts)
{
	struct walk w = {
		.sh = sh,
		.t = t,
		.rules = rules,
		.c = c,
		.n = counts,
		.runs = rules->unmap == ISIM_UNMAP_RUNS,
	};
	bool again;

	for (;;) {
		again = one_pass(&w, first, end);
		counts->passes++;
		if (w.nomem)
			return -ENOMEM;
		if (!again || !rules->second_pass || !dma_avail(c))
			break;
		counts->second_passes++;
	}
	counts->left_unmapped = again;
	return 0;
}
