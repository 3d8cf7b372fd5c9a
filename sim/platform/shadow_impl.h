/* SPDX-License-Identifier: MIT */
/*
 * The shadow's layout, shared by the store (shadow.c: segments, lookups, trimming) and the
 * refresh walk (shadow_walk.c).
 */
#ifndef ISIM_PLATFORM_SHADOW_IMPL_H
#define ISIM_PLATFORM_SHADOW_IMPL_H

#include <stdint.h>

#include "arch/s390/s390_tables.h"
#include "platform/shadow.h"

/* The shadow has the guest table's shape (s390_tables.h), counted in 4 KiB pages. */
#define SEG_PAGES    ZPCI_PT_ENTRIES
#define SEG_WORDS    (SEG_PAGES / 64)
#define REGION_SEGS  ZPCI_TABLE_ENTRIES
#define REGION_WORDS (REGION_SEGS / 64)
#define ROOT_REGIONS ZPCI_TABLE_ENTRIES
#define ROOT_WORDS   (ROOT_REGIONS / 64)
#define SEG_SHIFT    (ZPCI_ST_SHIFT - ZPCI_PAGE_SHIFT)
#define REGION_SHIFT (ZPCI_RT_SHIFT - ZPCI_PAGE_SHIFT)
#define REGION_PAGES (1ull << REGION_SHIFT)
/* Pages a region-third rooted table reaches: 4 TiB. */
#define TABLE_PAGES (IOMMUSIM_ZPCI_TABLE_SIZE_RT >> ZPCI_PAGE_SHIFT)
#define TABLE_SEGS  (TABLE_PAGES >> SEG_SHIFT)
_Static_assert(SEG_PAGES == 1u << SEG_SHIFT && REGION_SEGS == 1u << (REGION_SHIFT - SEG_SHIFT),
	       "the shadow's levels match the guest table's");

/* Entry value: the target's page address, bit 0 set for a read-only mapping. */
#define ENT_RO 1ull

struct sseg {
	uint64_t occ[SEG_WORDS];
	uint64_t ent[SEG_PAGES];
};

/*
 * The upper levels' occupancy maps have a summary each, bit w set when word w of the map is
 * not zero, so that finding the next set bit takes two ctz rather than a scan of 32 words.
 */
_Static_assert(REGION_WORDS <= 32 && ROOT_WORDS <= 32, "a summary bit per map word");

struct sregion {
	uint64_t occ[REGION_WORDS];
	uint32_t sum;
	struct sseg *seg[REGION_SEGS];
};

struct isim_shadow {
	struct iommusim_mem *mem;
	uint64_t pages;
	uint64_t nsegs;
	uint64_t occ[ROOT_WORDS];
	uint32_t sum;
	struct sregion *reg[ROOT_REGIONS];
};

/* The segment @segno, or NULL when the shadow holds no page of it. */
struct sseg *isim_shadow_seg_find(const struct isim_shadow *sh, uint64_t segno);
/* The segment @segno, created (with its region) if missing; NULL for want of memory. */
struct sseg *isim_shadow_seg_get(struct isim_shadow *sh, uint64_t segno);
/* Free segment @segno (and its region) once it holds no page. */
void isim_shadow_seg_trim(struct isim_shadow *sh, uint64_t segno);
/* The first segment at or after @from and before @end that holds a page; @end if none. */
uint64_t isim_shadow_next_seg(const struct isim_shadow *sh, uint64_t from, uint64_t end);

#endif /* ISIM_PLATFORM_SHADOW_IMPL_H */
