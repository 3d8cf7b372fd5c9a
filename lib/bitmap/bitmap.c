/* SPDX-License-Identifier: MIT */
/*
 * Word-at-a-time bitmap search and update, and the IOMMU area allocator built on them. The
 * results match lib/bitmap.c, lib/find_bit.c and lib/iommu-helper.c of Linux; the code is our
 * own. Maps here reach millions of bits (a 4 GiB aperture of 4 KiB pages is 2^20 bits), so
 * every loop moves 64 bits per step.
 */
#include <assert.h>
#include <stddef.h>

#include "base/bitops.h"
#include "base/compiler.h"
#include "bitmap/bitmap.h"

#define WORD_BITS ISIM_BITMAP_WORD_BITS

static inline uint64_t word_of(uint64_t bit)
{
	return bit / WORD_BITS;
}

/* Mask of bit positions >= (bit % 64) within its word. */
static inline uint64_t mask_from(uint64_t bit)
{
	return ~UINT64_C(0) << (bit % WORD_BITS);
}

/* Mask of bit positions <= (bit % 64) within its word. */
static inline uint64_t mask_upto(uint64_t bit)
{
	return ~UINT64_C(0) >> (WORD_BITS - 1 - bit % WORD_BITS);
}

static inline void count_words(uint64_t *words, uint64_t n)
{
	if (words != NULL)
		*words += n;
}

void isim_bitmap_set(uint64_t *map, uint64_t start, uint64_t nr)
{
	uint64_t first, last, w;

	if (nr == 0)
		return;
	assert(start + nr > start && "range wraps around 2^64");
	first = word_of(start);
	last = word_of(start + nr - 1);
	if (first == last) {
		map[first] |= mask_from(start) & mask_upto(start + nr - 1);
		return;
	}
	map[first] |= mask_from(start);
	for (w = first + 1; w < last; w++)
		map[w] = ~UINT64_C(0);
	map[last] |= mask_upto(start + nr - 1);
}

void isim_bitmap_clear(uint64_t *map, uint64_t start, uint64_t nr)
{
	uint64_t first, last, w;

	if (nr == 0)
		return;
	assert(start + nr > start && "range wraps around 2^64");
	first = word_of(start);
	last = word_of(start + nr - 1);
	if (first == last) {
		map[first] &= ~(mask_from(start) & mask_upto(start + nr - 1));
		return;
	}
	map[first] &= ~mask_from(start);
	for (w = first + 1; w < last; w++)
		map[w] = 0;
	map[last] &= ~mask_upto(start + nr - 1);
}

bool isim_bitmap_test(const uint64_t *map, uint64_t bit)
{
	return (map[word_of(bit)] >> (bit % WORD_BITS)) & 1u;
}

/*
 * First bit in [start, size) whose value differs from @invert's bits (invert = 0: a set bit,
 * invert = ~0: a clear bit); @size if none. Reads words word_of(start) .. at most
 * word_of(size - 1). Bits of the last word at or above @size may be anything: a hit there is
 * clipped to @size, which is what the kernel's min(..., size) does too.
 */
static uint64_t find_next(const uint64_t *map, uint64_t size, uint64_t start, uint64_t invert,
			  uint64_t *words)
{
	uint64_t w, last, val, bit;

	if (start >= size)
		return size;
	w = word_of(start);
	last = word_of(size - 1);
	val = (map[w] ^ invert) & mask_from(start);
	count_words(words, 1);
	while (val == 0) {
		if (w == last)
			return size;
		w++;
		count_words(words, 1);
		val = map[w] ^ invert;
	}
	bit = w * WORD_BITS + isim_ffs64(val);
	return bit < size ? bit : size;
}

uint64_t isim_bitmap_find_next_zero(const uint64_t *map, uint64_t size, uint64_t start)
{
	return find_next(map, size, start, ~UINT64_C(0), NULL);
}

uint64_t isim_bitmap_find_next_set(const uint64_t *map, uint64_t size, uint64_t start)
{
	return find_next(map, size, start, 0, NULL);
}

/* mirrors bitmap_find_next_zero_area_off() */
uint64_t isim_bitmap_find_zero_area(const uint64_t *map, uint64_t size, uint64_t start, uint64_t nr,
				    uint64_t align_mask, uint64_t align_offset, uint64_t *words)
{
	uint64_t index, biased, rounded, end, hit;

	/*
	 * Any other mask can round an index below the clear bit it came from, and the search
	 * would then revisit the same candidate forever (in the kernel too).
	 */
	if ((align_mask & (align_mask + 1)) != 0) {
		assert(0 && "align_mask must be one less than a power of two");
		return UINT64_MAX;
	}
	for (;;) {
		index = find_next(map, size, start, ~UINT64_C(0), words);

		/*
		 * Round up so that index + align_offset is a multiple of align_mask + 1. The two
		 * additions can only wrap for absurd masks or offsets; the kernel would then hand
		 * back an index below the clear bit it found, so call it a failure.
		 */
		biased = index + align_offset;
		rounded = biased + align_mask;
		if (isim_unlikely(biased < index || rounded < biased))
			return UINT64_MAX;
		index = (rounded & ~align_mask) - align_offset;

		end = index + nr;
		if (isim_unlikely(end < index))
			return UINT64_MAX;
		if (end > size)
			return end;

		/* The candidate fits below size; is every bit of it clear? */
		hit = find_next(map, end, index, 0, words);
		if (hit >= end)
			return index;
		/* Every candidate up to hit contains hit: resume just after it. */
		start = hit + 1;
	}
}

/* mirrors iommu_is_span_boundary() */
bool isim_iommu_is_span_boundary(uint64_t index, uint64_t nr, uint64_t shift,
				 uint64_t boundary_size)
{
	uint64_t off;

	assert(isim_is_pow2(boundary_size) && "boundary_size must be a power of two");
	off = (shift + index) & (boundary_size - 1);
	/* off < boundary_size, so this is off + nr > boundary_size without overflow. */
	return nr > boundary_size - off;
}

/* mirrors iommu_area_alloc() */
uint64_t isim_iommu_area_alloc(uint64_t *map, uint64_t size, uint64_t start, uint64_t nr,
			       uint64_t shift, uint64_t boundary_size, uint64_t align_mask,
			       uint64_t *words)
{
	uint64_t index, next;

	if (!isim_is_pow2(boundary_size)) {
		assert(0 && "boundary_size must be a power of two");
		return ISIM_AREA_FAIL;
	}
	/*
	 * A run longer than the boundary crosses one wherever it starts; the kernel would keep
	 * restarting at the same boundary forever or eventually fail. Fail at once.
	 */
	if (nr > boundary_size || size == 0)
		return ISIM_AREA_FAIL;

	/* The kernel keeps the last bit of the range out of reach. */
	size -= 1;
	for (;;) {
		index = isim_bitmap_find_zero_area(map, size, start, nr, align_mask, 0, words);
		if (index >= size)
			return ISIM_AREA_FAIL;
		if (!isim_iommu_is_span_boundary(index, nr, shift, boundary_size))
			break;
		/*
		 * Resume at the next boundary, i.e. ALIGN(shift + index, boundary) - shift: every
		 * start between index and that boundary sits at least as deep into the same window
		 * and would cross as well. (index is never on a boundary here: with
		 * nr <= boundary_size a run starting on one cannot cross.)
		 */
		next = index + (boundary_size - ((shift + index) & (boundary_size - 1)));
		if (isim_unlikely(next <= index))
			return ISIM_AREA_FAIL;
		start = next;
	}
	isim_bitmap_set(map, index, nr);
	count_words(words, isim_bitmap_span_words(index, nr));
	return index;
}
