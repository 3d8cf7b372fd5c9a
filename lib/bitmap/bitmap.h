/* SPDX-License-Identifier: MIT */
/*
 * Bitmap primitives for the bitmap IOVA allocators: the legacy s390 DMA code
 * (arch/s390/pci/pci_dma.c up to Linux 6.6) and the PowerPC TCE allocator. They reproduce the
 * results of the kernel's bitmap_set(), bitmap_clear(), find_next_zero_bit(), find_next_bit(),
 * bitmap_find_next_zero_area_off() (lib/bitmap.c) and iommu_area_alloc() /
 * iommu_is_span_boundary() (lib/iommu-helper.c) exactly; see docs/sources.md S19 and S20.
 *
 * A map is an array of uint64_t (the kernel's unsigned long on a 64-bit guest). Bit i lives in
 * word i / 64 at position i % 64. A map of @size bits needs isim_bitmap_words(size) words; no
 * function reads or writes past the word holding bit size - 1, and bits of that word at or
 * above @size may hold anything: they are ignored by the searches and never written.
 *
 * Where a function takes @words, it adds the number of 64-bit words it examined or wrote to
 * *@words (NULL: not counted), so the simulator can charge the work as
 * IOMMUSIM_WORK_BITMAP_WORD. A search over [from, to) counts every word from the one holding
 * from to the one where it stopped; a set or clear counts every word it wrote.
 *
 * No locking: callers hold whatever lock the kernel holds around the same call.
 */
#ifndef ISIM_BITMAP_BITMAP_H
#define ISIM_BITMAP_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

#define ISIM_BITMAP_WORD_BITS 64u

/* iommu_area_alloc()'s failure value (the kernel's (unsigned long)-1). */
#define ISIM_AREA_FAIL UINT64_MAX

/* Words needed to hold @nbits bits (the kernel's BITS_TO_LONGS). */
static inline uint64_t isim_bitmap_words(uint64_t nbits)
{
	return nbits / ISIM_BITMAP_WORD_BITS + (nbits % ISIM_BITMAP_WORD_BITS != 0);
}

/* Words that a set or clear of [start, start + nr) writes; 0 when nr == 0. */
static inline uint64_t isim_bitmap_span_words(uint64_t start, uint64_t nr)
{
	if (nr == 0)
		return 0;
	return (start + nr - 1) / ISIM_BITMAP_WORD_BITS - start / ISIM_BITMAP_WORD_BITS + 1;
}

/* Set / clear bits [start, start + nr); nr == 0 does nothing. */
void isim_bitmap_set(uint64_t *map, uint64_t start, uint64_t nr);
void isim_bitmap_clear(uint64_t *map, uint64_t start, uint64_t nr);

bool isim_bitmap_test(const uint64_t *map, uint64_t bit);

/*
 * First clear (resp. set) bit in [start, size); @size when there is none, including when
 * start >= size (find_next_zero_bit / find_next_bit).
 */
uint64_t isim_bitmap_find_next_zero(const uint64_t *map, uint64_t size, uint64_t start);
uint64_t isim_bitmap_find_next_set(const uint64_t *map, uint64_t size, uint64_t start);

/*
 * bitmap_find_next_zero_area_off(): the lowest index >= start with index + @align_offset a
 * multiple of align_mask + 1 (align_mask is 2^k - 1) and bits [index, index + nr) all clear
 * and below @size. Success: the index, and index + nr <= size. Failure: a value > size (the
 * kernel returns the end, candidate + nr, of the candidate that ran past @size), so callers
 * test "result >= size" or "result + nr > size".
 *
 * nr == 0 behaves as in the kernel: the result is the first clear bit at or after @start,
 * aligned (size, or a little above it, if there is none).
 *
 * Arithmetic wraps exactly as the kernel's for every input the kernel can see (its nr is
 * 32-bit). Where 64-bit wrap-around would make the kernel return nonsense (alignment or
 * index + nr overflowing 2^64), this returns UINT64_MAX, a failure. An align_mask that is not
 * 2^k - 1 is a caller bug (asserted; UINT64_MAX when assertions are off): the kernel can
 * loop forever on one.
 */
uint64_t isim_bitmap_find_zero_area(const uint64_t *map, uint64_t size, uint64_t start, uint64_t nr,
				    uint64_t align_mask, uint64_t align_offset, uint64_t *words);

/*
 * iommu_is_span_boundary(): does [index, index + nr), seen at absolute position shift + index,
 * cross a multiple of @boundary_size (a power of two; anything else is a caller bug, as the
 * kernel's BUG_ON)? The kernel truncates index and nr to 32 bits here; this does not, which
 * differs only when index >= 2^32 and boundary_size > 2^32.
 */
bool isim_iommu_is_span_boundary(uint64_t index, uint64_t nr, uint64_t shift,
				 uint64_t boundary_size);

/*
 * iommu_area_alloc(): next-fit allocation of @nr bits from @start in a map of @size bits.
 * The last bit (size - 1) is never handed out. Runs that would cross a @boundary_size
 * boundary (taking @shift as the absolute position of bit 0) are skipped by resuming at the
 * next boundary; @align_mask as in isim_bitmap_find_zero_area() with offset 0. There is no
 * wrap-around to 0: if nothing fits in [start, size - 1) the result is ISIM_AREA_FAIL and the
 * map is unchanged. On success the bits are set and the index is returned.
 *
 * Where the kernel would misbehave this fails instead: size == 0 (the kernel's size - 1
 * wraps) and nr > boundary_size (the kernel can loop forever; it never succeeds). nr == 0
 * returns the first clear bit found (nothing is set), as the kernel does.
 */
uint64_t isim_iommu_area_alloc(uint64_t *map, uint64_t size, uint64_t start, uint64_t nr,
			       uint64_t shift, uint64_t boundary_size, uint64_t align_mask,
			       uint64_t *words);

#endif /* ISIM_BITMAP_BITMAP_H */
