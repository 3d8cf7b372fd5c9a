/* SPDX-License-Identifier: MIT */
/*
 * The shadow of a guest's I/O translations (see shadow.h): its segments, lookups and trimming.
 * The refresh walk is in shadow_walk.c.
 *
 * The walk follows QEMU's rpcit_service_call() loop (docs/sources.md S10) without visiting
 * pages one by one: per 1 MiB segment it reads the guest page table's occupancy words and the
 * shadow's, and handles only the pages set in either, in address order, because the budget
 * they take and give back makes the order matter. The pages set in neither are invalid PTEs
 * nobody mapped: they only lengthen the current run of invalid PTEs, which is kept as a start
 * and a length and split into its power-of-two UNMAP pieces when it ends.
 */
#include <assert.h>
#include <errno.h>

#include <iommusim/s390.h>

#include "base/memory.h"
#include "arch/s390/s390_tables.h"
#include "platform/shadow_impl.h"

int isim_shadow_create(struct iommusim_mem *mem, struct isim_shadow **out)
{
	struct isim_shadow *sh = isim_zalloc(mem, sizeof(*sh), 0);

	if (!sh)
		return -ENOMEM;
	sh->mem = mem;
	*out = sh;
	return 0;
}

uint64_t isim_shadow_clear(struct isim_shadow *sh)
{
	uint64_t n = sh->pages;

	for (unsigned int r = 0; r < ROOT_REGIONS; r++) {
		struct sregion *reg = sh->reg[r];

		if (!reg)
			continue;
		for (unsigned int s = 0; s < REGION_SEGS; s++)
			if (reg->seg[s])
				isim_free(sh->mem, reg->seg[s], sizeof(struct sseg), 0);
		isim_free(sh->mem, reg, sizeof(*reg), 0);
		sh->reg[r] = NULL;
	}
	for (unsigned int w = 0; w < ROOT_WORDS; w++)
		sh->occ[w] = 0;
	sh->sum = 0;
	sh->pages = 0;
	sh->nsegs = 0;
	return n;
}

void isim_shadow_destroy(struct isim_shadow *sh)
{
	if (!sh)
		return;
	isim_shadow_clear(sh);
	isim_free(sh->mem, sh, sizeof(*sh), 0);
}

uint64_t isim_shadow_pages(const struct isim_shadow *sh)
{
	return sh->pages;
}

uint64_t isim_shadow_segments(const struct isim_shadow *sh)
{
	return sh->nsegs;
}

struct sseg *isim_shadow_seg_find(const struct isim_shadow *sh, uint64_t segno)
{
	const struct sregion *reg;

	if (segno >= TABLE_SEGS)
		return NULL;
	reg = sh->reg[segno / REGION_SEGS];
	return reg ? reg->seg[segno % REGION_SEGS] : NULL;
}

bool isim_shadow_lookup(const struct isim_shadow *sh, uint64_t iova, uint64_t *target, bool *ro)
{
	uint64_t page = iova >> ZPCI_PAGE_SHIFT;
	const struct sseg *sg = isim_shadow_seg_find(sh, page >> SEG_SHIFT);
	unsigned int i = (unsigned int)(page % SEG_PAGES);

	if (!sg || !(sg->occ[i / 64] & (1ull << (i % 64))))
		return false;
	*target = sg->ent[i] & ~ENT_RO;
	*ro = sg->ent[i] & ENT_RO;
	return true;
}

/* Free region @r if it holds no segment. */
static void region_trim(struct isim_shadow *sh, unsigned int r)
{
	struct sregion *reg = sh->reg[r];

	if (!reg)
		return;
	if (reg->sum)
		return;
	isim_free(sh->mem, reg, sizeof(*reg), 0);
	sh->reg[r] = NULL;
	sh->occ[r / 64] &= ~(1ull << (r % 64));
	if (!sh->occ[r / 64])
		sh->sum &= ~(1u << (r / 64));
}

/* Free segment @segno if it holds no page, and its region if that holds no segment. */
void isim_shadow_seg_trim(struct isim_shadow *sh, uint64_t segno)
{
	unsigned int r = (unsigned int)(segno / REGION_SEGS),
		     s = (unsigned int)(segno % REGION_SEGS);
	struct sregion *reg = sh->reg[r];
	struct sseg *sg = reg ? reg->seg[s] : NULL;

	if (!sg || (sg->occ[0] | sg->occ[1] | sg->occ[2] | sg->occ[3]))
		return;
	isim_free(sh->mem, sg, sizeof(*sg), 0);
	reg->seg[s] = NULL;
	reg->occ[s / 64] &= ~(1ull << (s % 64));
	if (!reg->occ[s / 64])
		reg->sum &= ~(1u << (s / 64));
	sh->nsegs--;
	region_trim(sh, r);
}

/*
 * The shadow segment for @segno, created if need be; NULL when the host has no memory for it
 * (the walk then stops and the platform reports the failure; the shadow stays consistent: an
 * empty region made here is freed again).
 */
struct sseg *isim_shadow_seg_get(struct isim_shadow *sh, uint64_t segno)
{
	unsigned int r = (unsigned int)(segno / REGION_SEGS),
		     s = (unsigned int)(segno % REGION_SEGS);
	struct sregion *reg = sh->reg[r];
	struct sseg *sg;

	assert(segno < TABLE_SEGS);
	if (!reg) {
		reg = isim_zalloc(sh->mem, sizeof(*reg), 0);
		if (!reg)
			return NULL;
		sh->reg[r] = reg;
		sh->occ[r / 64] |= 1ull << (r % 64);
		sh->sum |= 1u << (r / 64);
	}
	sg = reg->seg[s];
	if (!sg) {
		sg = isim_zalloc(sh->mem, sizeof(*sg), 0);
		if (!sg) {
			region_trim(sh, r);
			return NULL;
		}
		reg->seg[s] = sg;
		reg->occ[s / 64] |= 1ull << (s % 64);
		reg->sum |= 1u << (s / 64);
		sh->nsegs++;
	}
	return sg;
}

/*
 * The first set bit at or after @from in a bitmap of @nbits bits whose non-zero words are the
 * bits of @sum, or @nbits.
 */
static unsigned int next_bit(const uint64_t *map, uint32_t sum, unsigned int nbits,
			     unsigned int from)
{
	unsigned int w = from / 64;
	uint64_t word;

	if (from >= nbits)
		return nbits;
	word = map[w] & (~0ull << (from % 64));
	if (word)
		return w * 64 + (unsigned int)__builtin_ctzll(word);
	sum = w + 1 < 32 ? sum & (~0u << (w + 1)) : 0;
	if (!sum)
		return nbits;
	w = (unsigned int)__builtin_ctz(sum);
	return w * 64 + (unsigned int)__builtin_ctzll(map[w]);
}

/* The first segment number in [@from, @end) that has a shadow segment, or @end. */
uint64_t isim_shadow_next_seg(const struct isim_shadow *sh, uint64_t from, uint64_t end)
{
	uint64_t lim = end < TABLE_SEGS ? end : TABLE_SEGS;

	while (from < lim) {
		unsigned int r = (unsigned int)(from / REGION_SEGS);
		unsigned int nr = next_bit(sh->occ, sh->sum, ROOT_REGIONS, r);
		unsigned int s;

		if (nr >= ROOT_REGIONS)
			break;
		if (nr != r) {
			from = (uint64_t)nr * REGION_SEGS;
			continue;
		}
		s = next_bit(sh->reg[r]->occ, sh->reg[r]->sum, REGION_SEGS,
			     (unsigned int)(from % REGION_SEGS));
		if (s < REGION_SEGS) {
			from = (uint64_t)r * REGION_SEGS + s;
			return from < lim ? from : end;
		}
		from = (uint64_t)(r + 1) * REGION_SEGS;
	}
	return end;
}
