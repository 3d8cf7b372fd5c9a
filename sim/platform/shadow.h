/* SPDX-License-Identifier: MIT */
/*
 * A shadowing hypervisor's copy of a guest's s390 I/O translations, and the refresh walk that
 * brings it in line with the guest's table over a range (what QEMU and CP do on RPCIT).
 *
 * The shadow holds, per 4 KiB page the host has mapped, the target address and whether the
 * mapping is read-only. It is laid out like the guest's table (region -> segment -> 256-page
 * segment with an occupancy bitmap), and a segment exists only while it holds a page, so memory
 * follows the shadowed pages and a walk can move a segment at a time.
 *
 * The walk reports the work it did as counts; the platform model turns them into time. Its
 * running time is O(segments of the range) word operations, plus O(pages valid in the guest or
 * present in the shadow), plus O(runs of invalid PTEs x log of their length); it never loops
 * over the pages of an unpopulated stretch. The state it changes (shadow entries, the budget)
 * is exact per page.
 */
#ifndef ISIM_PLATFORM_SHADOW_H
#define ISIM_PLATFORM_SHADOW_H

#include <stdbool.h>
#include <stdint.h>
#include <iommusim/firmware.h>
#include <iommusim/mem.h>

struct isim_shadow;

/*
 * The mapping budget of one host container, shared by every function in it: vfio's
 * dma_entry_limit as QEMU tracks it (dma_avail), or CP's assumed limit. @shadow_pages and
 * @shadow_max count the pages mapped over all functions.
 */
struct isim_container {
	bool limited;
	uint64_t avail;
	uint64_t shadow_pages;
	uint64_t shadow_max;
};

/* What the host does with invalid PTEs and the pages it stops shadowing. */
enum isim_unmap_mode {
	/* QEMU >= 8.0: runs of invalid PTEs become power-of-two UNMAP calls */
	ISIM_UNMAP_RUNS,
	/* QEMU < 8.0: one UNMAP call per shadowed page that went invalid */
	ISIM_UNMAP_PER_PAGE,
	/* CP: no separate unmap call; each dropped page is torn down on its own */
	ISIM_UNMAP_NO_CALLS,
};

/*
 * struct isim_walk_rules - how one hypervisor walks.
 * @anchored_frames:    an invalid segment or region entry covers 1 MiB / 2 GiB counted from
 *                      the address the walk stands on (QEMU's frame), not from the aligned
 *                      start of the entry's reach (a walker that skips the entry).
 * @unmap:              the unmap behaviour.
 * @silent_upper_drops: shadow pages under an invalid upper entry leave the shadow and give
 *                      their budget back without any host unmap (QEMU >= 8.0).
 * @second_pass:        walk the range again while pages were skipped for want of budget
 *                      and the budget is positive after the pass.
 * @remap_keeps_budget: a page whose target changed gives its unit back before taking one
 *                      (QEMU's counter does not: each change costs one unit for good).
 */
struct isim_walk_rules {
	bool anchored_frames;
	enum isim_unmap_mode unmap;
	bool silent_upper_drops;
	bool second_pass;
	bool remap_keeps_budget;
};

/*
 * struct isim_walk_counts - the work of refreshes, all passes: each refresh adds to it and never
 * resets it (a platform keeps one sum over all its walks).
 * @passes:        walks of the range.
 * @second_passes: walks repeated because the budget ran out and then came back.
 * @tables_walked: page tables entered (valid segment-table entries met).
 * @pages_walked:  pages inside existing page tables, each a full table walk and a lookup.
 * @upper_invalid: invalid segment or region entries met (one walk each).
 * @upper_pages:   pages under them (one lookup each where the walker looks up every page).
 * @removes:       shadow entries removed (gone invalid, dropped under an upper entry, changed).
 * @inserts:       shadow entries created (new pages and changed pages).
 * @maps:          host map operations (one per insert).
 * @remaps:        pages whose target or permission changed: unmapped, then mapped again.
 * @teardowns:     host mappings torn down, each with a host IOTLB invalidation.
 * @silent_drops:  shadow entries dropped under an invalid upper entry without host unmap.
 * @unmap_calls:   host UNMAP calls (ioctls).
 * @skipped:       valid pages that needed a host map and found no budget.
 * @left_unmapped: the last pass of the last refresh skipped a valid page for want of budget
 *                 (set, not added to).
 */
struct isim_walk_counts {
	uint64_t passes;
	uint64_t second_passes;
	uint64_t tables_walked;
	uint64_t pages_walked;
	uint64_t upper_invalid;
	uint64_t upper_pages;
	uint64_t removes;
	uint64_t inserts;
	uint64_t maps;
	uint64_t remaps;
	uint64_t teardowns;
	uint64_t silent_drops;
	uint64_t unmap_calls;
	uint64_t skipped;
	bool left_unmapped;
};

/* An empty shadow; 0 or -ENOMEM. */
int isim_shadow_create(struct iommusim_mem *mem, struct isim_shadow **out);
/* Free it (NULL is ignored); its pages are not returned to any container. */
void isim_shadow_destroy(struct isim_shadow *sh);
/* Pages in the shadow. */
uint64_t isim_shadow_pages(const struct isim_shadow *sh);
/* Forget every page; returns how many there were. */
uint64_t isim_shadow_clear(struct isim_shadow *sh);
/* The entry for the page at @iova: true with the target and read-only flag, or false. */
bool isim_shadow_lookup(const struct isim_shadow *sh, uint64_t iova, uint64_t *target, bool *ro);
/* Shadow segments allocated now (for memory checks). */
uint64_t isim_shadow_segments(const struct isim_shadow *sh);

/*
 * isim_shadow_refresh() - walk pages [@first, @end) of guest table @t (page numbers: address
 * >> 12) by @rules and bring @sh in line, taking and returning budget from @c. Adds the work to
 * @counts. Return: 0, or -ENOMEM when the memory context could not supply a shadow segment:
 * the walk stopped at that page, the shadow and the budget hold what was done up to there (a
 * firmware call has no way to say "the host is out of memory": the platform answers with an
 * error and records the failure, see platform_internal.h).
 */
int isim_shadow_refresh(struct isim_shadow *sh, const struct iommusim_s390_io_table *t,
			uint64_t first, uint64_t end, const struct isim_walk_rules *rules,
			struct isim_container *c, struct isim_walk_counts *counts);

/*
 * isim_pow2_pieces() - how many naturally aligned power-of-two pieces [@start, @start + @n)
 * splits into when each piece is the largest that both divides its first page number and fits
 * in what remains (QEMU's dma_aligned_pow2_mask loop). 0 for @n == 0.
 */
uint64_t isim_pow2_pieces(uint64_t start, uint64_t n);

#endif /* ISIM_PLATFORM_SHADOW_H */
