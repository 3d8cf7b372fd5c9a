/* SPDX-License-Identifier: MIT */
/*
 * The TCE values the scriptable powerpc platform keeps when asked: an open-addressing table
 * keyed by LIOBN and entry, with linear probing and deletion by moving later members of a
 * cluster back, so that clears leave no tombstones behind. A window may hold billions of TCEs
 * and a test writes a few: only the non-zero ones are kept.
 */
#include "base/memory.h"
#include "firmware/ppc_script.h"

static uint64_t hash(uint32_t liobn, uint64_t entry)
{
	uint64_t h = (entry ^ ((uint64_t)liobn << 40)) * UINT64_C(0x9E3779B97F4A7C15);

	return h ^ (h >> 29);
}

struct isim_script_slot *isim_script_lookup(struct isim_ppc_script *s, uint32_t liobn,
					    uint64_t entry)
{
	if (!s->nslots)
		return NULL;
	for (uint64_t i = hash(liobn, entry) & (s->nslots - 1);; i = (i + 1) & (s->nslots - 1)) {
		struct isim_script_slot *sl = &s->slots[i];

		if (!sl->value || (sl->liobn == liobn && sl->entry == entry))
			return sl;
	}
}

static bool rehash(struct isim_ppc_script *s, uint64_t nslots)
{
	struct isim_script_slot *old = s->slots, *n = isim_zalloc(s->mem, nslots * sizeof(*n), 0);
	uint64_t oldn = s->nslots;

	if (!n)
		return false;
	s->slots = n;
	s->nslots = nslots;
	for (uint64_t i = 0; i < oldn; i++)
		if (old[i].value)
			*isim_script_lookup(s, old[i].liobn, old[i].entry) = old[i];
	isim_free(s->mem, old, oldn * sizeof(*old), 0);
	return true;
}

/* Remove the slot at @i, moving later members of its cluster back (no tombstones). */
static void unset_slot(struct isim_ppc_script *s, uint64_t i)
{
	uint64_t mask = s->nslots - 1, j = i;

	s->slots[i].value = 0;
	s->used_slots--;
	for (;;) {
		uint64_t home;

		j = (j + 1) & mask;
		if (!s->slots[j].value)
			return;
		home = hash(s->slots[j].liobn, s->slots[j].entry) & mask;
		/* move j back to the hole unless its home lies cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			s->slots[i] = s->slots[j];
			s->slots[j].value = 0;
			i = j;
		}
	}
}

/* Record @value for TCE @entry of @liobn; false when tracking memory ran out. */
bool isim_script_track(struct isim_ppc_script *s, uint32_t liobn, uint64_t entry, uint64_t value)
{
	struct isim_script_slot *sl;

	if (!s->cfg.track_tces)
		return true;
	sl = isim_script_lookup(s, liobn, entry);
	if (!value) {
		if (sl && sl->value)
			unset_slot(s, (uint64_t)(sl - s->slots));
		return true;
	}
	if (sl && sl->value) {
		sl->value = value;
		return true;
	}
	/* keep the load at most one half so probes stay short */
	if ((s->used_slots + 1) * 2 > s->nslots) {
		if (!rehash(s, s->nslots ? s->nslots * 2 : 1024))
			return false;
		sl = isim_script_lookup(s, liobn, entry);
	}
	*sl = (struct isim_script_slot){.entry = entry, .liobn = liobn, .value = value};
	s->used_slots++;
	return true;
}

void isim_script_forget(struct isim_ppc_script *s, struct isim_script_window *w)
{
	for (uint64_t i = 0; i < s->nslots;) {
		if (s->slots[i].value && s->slots[i].liobn == w->liobn)
			unset_slot(s, i); /* a later entry may have moved into i: look again */
		else
			i++;
	}
	w->used = false;
}
