/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the bitmap primitives (lib/bitmap/bitmap.c): set/clear/test across word
 * boundaries, word-at-a-time next-zero/next-set searches on awkward sizes, the aligned zero-area
 * search with masks and offsets, iommu_area_alloc()'s rules (last bit never used, restart at
 * the next segment boundary, next fit without wrap-around), the work counter and a large map.
 */
#include "bitmap_fixture.h"

/* Set bits [from, to) one at a time, so the setup does not depend on isim_bitmap_set. */
static void set_bits_slow(uint64_t *map, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++)
		map[i / 64] |= UINT64_C(1) << (i % 64);
}

static void test_bitmap_set_clear_words(void **state)
{
	uint64_t *map = map_new(256);

	(void)state;
	/* [60, 70) is bits 60..63 of word 0 and bits 0..5 of word 1. */
	isim_bitmap_set(map, 60, 10);
	assert_int_equal(map[0], UINT64_C(0xf) << 60);
	assert_int_equal(map[1], UINT64_C(0x3f));
	assert_int_equal(map[2], 0);
	assert_false(isim_bitmap_test(map, 59));
	assert_true(isim_bitmap_test(map, 60));
	assert_true(isim_bitmap_test(map, 63));
	assert_true(isim_bitmap_test(map, 64));
	assert_true(isim_bitmap_test(map, 69));
	assert_false(isim_bitmap_test(map, 70));

	/* Clearing [62, 66) leaves 60, 61 and 66..69: word 0 = bits 60,61; word 1 = bits 2..5. */
	isim_bitmap_clear(map, 62, 4);
	assert_int_equal(map[0], UINT64_C(0x3) << 60);
	assert_int_equal(map[1], UINT64_C(0x3c));

	/* nr == 0 is a no-op for both (the kernel's bitmap_set/clear with len 0). */
	isim_bitmap_set(map, 100, 0);
	isim_bitmap_clear(map, 60, 0);
	assert_int_equal(map[0], UINT64_C(0x3) << 60);
	assert_int_equal(map[1], UINT64_C(0x3c));

	/* A run spanning four whole words sets every one; clearing [1, 255) leaves the ends. */
	isim_bitmap_set(map, 0, 256);
	for (int w = 0; w < 4; w++)
		assert_int_equal(map[w], UINT64_MAX);
	isim_bitmap_clear(map, 1, 254);
	assert_int_equal(map[0], 1);
	assert_int_equal(map[1], 0);
	assert_int_equal(map[2], 0);
	assert_int_equal(map[3], UINT64_C(1) << 63);

	/* Exactly one whole word, aligned at both ends. */
	isim_bitmap_set(map, 128, 64);
	assert_int_equal(map[2], UINT64_MAX);
	assert_int_equal(map[1], 0);
	assert_int_equal(map[3], UINT64_C(1) << 63);
	isim_bitmap_clear(map, 128, 64);
	assert_int_equal(map[2], 0);
	free(map);
}

static void test_bitmap_find_next_sizes(void **state)
{
	static const uint64_t sizes[] = {1, 63, 64, 65, 1000};

	(void)state;
	for (size_t k = 0; k < ARRAY_LEN(sizes); k++) {
		uint64_t s = sizes[k];
		uint64_t *map = map_new(s);

		/* Empty map: the next clear bit is start itself; there is no set bit. */
		for (uint64_t st = 0; st < s; st += (s > 100 ? 37 : 1)) {
			assert_int_equal(isim_bitmap_find_next_zero(map, s, st), st);
			assert_int_equal(isim_bitmap_find_next_set(map, s, st), s);
		}
		/* start >= size: both return size (find_next_bit's offset >= size rule). */
		assert_int_equal(isim_bitmap_find_next_zero(map, s, s), s);
		assert_int_equal(isim_bitmap_find_next_zero(map, s, s + 1), s);
		assert_int_equal(isim_bitmap_find_next_zero(map, s, s + 1000), s);
		assert_int_equal(isim_bitmap_find_next_set(map, s, s + 64), s);

		/* Only the last bit set: the searches meet it from anywhere below. */
		set_bits_slow(map, s - 1, s);
		assert_int_equal(isim_bitmap_find_next_set(map, s, 0), s - 1);
		assert_int_equal(isim_bitmap_find_next_set(map, s, s - 1), s - 1);
		assert_int_equal(isim_bitmap_find_next_zero(map, s, s - 1), s);
		if (s > 1)
			assert_int_equal(isim_bitmap_find_next_zero(map, s, 0), 0);

		/* Full map: no clear bit anywhere, the next set bit is start. */
		set_bits_slow(map, 0, s);
		assert_int_equal(isim_bitmap_find_next_zero(map, s, 0), s);
		for (uint64_t st = 0; st < s; st += (s > 100 ? 37 : 1))
			assert_int_equal(isim_bitmap_find_next_set(map, s, st), st);

		/* Full but for the last bit: a clear bit found only in the last word. */
		isim_bitmap_clear(map, s - 1, 1);
		assert_int_equal(isim_bitmap_find_next_zero(map, s, 0), s - 1);
		free(map);
	}

	/* A set bit on a word boundary in a 1000-bit map is found from both sides of it. */
	uint64_t *map = map_new(1000);

	set_bits_slow(map, 640, 641);
	assert_int_equal(isim_bitmap_find_next_set(map, 1000, 1), 640);
	assert_int_equal(isim_bitmap_find_next_set(map, 1000, 639), 640);
	assert_int_equal(isim_bitmap_find_next_set(map, 1000, 641), 1000);
	assert_int_equal(isim_bitmap_find_next_zero(map, 1000, 640), 641);
	free(map);
}

/*
 * Bits of the last word at or above size are outside the map; whatever they hold must not leak
 * into a result (a raw hit there is clipped to size) nor be changed by set/clear.
 */
static void test_bitmap_find_next_ignores_tail(void **state)
{
	uint64_t *map = map_new(65);

	(void)state;
	/* Bits 0..64 clear; pad bit 65 clear and 70 set: an unclipped search would say 70. */
	map[1] = UINT64_C(1) << (70 - 64);
	assert_int_equal(isim_bitmap_find_next_set(map, 65, 0), 65);
	assert_int_equal(isim_bitmap_find_next_set(map, 65, 64), 65);

	/* Bits 0..64 set, pad bit 65 set and 66 clear: an unclipped search would say 66. */
	map[0] = UINT64_MAX;
	map[1] = ~(UINT64_C(1) << (66 - 64));
	assert_int_equal(isim_bitmap_find_next_zero(map, 65, 0), 65);
	assert_int_equal(isim_bitmap_find_next_zero(map, 65, 64), 65);

	/* Clearing and re-setting [0, 65) touches bit 64 only in word 1. */
	isim_bitmap_clear(map, 0, 65);
	assert_int_equal(map[0], 0);
	assert_int_equal(map[1], ~(UINT64_C(1) << 2) & ~UINT64_C(1));
	isim_bitmap_set(map, 0, 65);
	assert_int_equal(map[1], ~(UINT64_C(1) << 2));
	free(map);
}

static void test_bitmap_find_zero_area_align(void **state)
{
	uint64_t *map = map_new(128);

	(void)state;
	set_bits_slow(map, 0, 3); /* bits 0..2 used */

	/* First clear bit 3, rounded up to a multiple of 8 is 8; [8, 12) is clear. */
	assert_int_equal(isim_bitmap_find_zero_area(map, 128, 0, 4, 7, 0, NULL), 8);
	/* No alignment: the run starts at the first clear bit. */
	assert_int_equal(isim_bitmap_find_zero_area(map, 128, 0, 4, 0, 0, NULL), 3);
	/* Offset 3: smallest index >= 3 with index + 3 a multiple of 8 is 5. */
	assert_int_equal(isim_bitmap_find_zero_area(map, 128, 0, 4, 7, 3, NULL), 5);
	/* Offset 11 lands on the same index: 3 + 11 = 14 rounds to 16, minus 11 is 5. */
	assert_int_equal(isim_bitmap_find_zero_area(map, 128, 0, 4, 7, 11, NULL), 5);

	/* Bit 10 used: candidate 8 holds it, resume at 11 -> next multiple of 8 is 16. */
	set_bits_slow(map, 10, 11);
	assert_int_equal(isim_bitmap_find_zero_area(map, 128, 0, 4, 7, 0, NULL), 16);
	/* Unaligned, the run [3, 10) of 7 clear bits fits 7 but not 8 (8 resumes at 11). */
	assert_int_equal(isim_bitmap_find_zero_area(map, 128, 0, 7, 0, 0, NULL), 3);
	assert_int_equal(isim_bitmap_find_zero_area(map, 128, 0, 8, 0, 0, NULL), 11);

	/*
	 * Size 20, nr 8, align 8: candidate 8 holds bit 10 -> resume at 11 -> candidate 16, whose
	 * end 24 > 20. The kernel returns that end, 24, as the failure value.
	 */
	assert_int_equal(isim_bitmap_find_zero_area(map, 20, 0, 8, 7, 0, NULL), 24);

	/* nr == 0 returns the first clear bit, aligned: 3 -> 8; nothing needs to be clear. */
	assert_int_equal(isim_bitmap_find_zero_area(map, 128, 0, 0, 7, 0, NULL), 8);

	/*
	 * start >= size: the clear-bit search yields size (20), so the candidate is 20 and its
	 * end 21 (> size) is returned for nr 1; for nr 0 the candidate itself, 20 == size.
	 */
	assert_int_equal(isim_bitmap_find_zero_area(map, 20, 25, 1, 0, 0, NULL), 21);
	assert_int_equal(isim_bitmap_find_zero_area(map, 20, 25, 0, 0, 0, NULL), 20);

	/* A run may end exactly at size: [124, 128) is clear, size 128. */
	assert_int_equal(isim_bitmap_find_zero_area(map, 128, 121, 4, 3, 0, NULL), 124);
	/* ... but not one bit past it: from 125, align 1, nr 4 -> end 129 is returned. */
	assert_int_equal(isim_bitmap_find_zero_area(map, 128, 125, 4, 0, 0, NULL), 129);

	/* A run crossing word 0/1: used bits 0..61, so [62, 66) is the first 4-bit run. */
	memset(map, 0, 2 * sizeof(*map));
	set_bits_slow(map, 0, 62);
	assert_int_equal(isim_bitmap_find_zero_area(map, 128, 0, 4, 0, 0, NULL), 62);
	/* 64-aligned with offset 2: index + 2 a multiple of 64 -> 62 as well. */
	assert_int_equal(isim_bitmap_find_zero_area(map, 128, 0, 4, 63, 2, NULL), 62);
	/* 64-aligned without offset -> 64. */
	assert_int_equal(isim_bitmap_find_zero_area(map, 128, 0, 4, 63, 0, NULL), 64);
	free(map);
}

static void test_bitmap_span_boundary(void **state)
{
	(void)state;
	/* (shift + index) mod boundary, plus nr, must not exceed the boundary. */
	assert_true(isim_iommu_is_span_boundary(5, 4, 0, 8));	/* 5 + 4 = 9 > 8 */
	assert_false(isim_iommu_is_span_boundary(5, 3, 0, 8));	/* 5 + 3 = 8 */
	assert_false(isim_iommu_is_span_boundary(0, 8, 0, 8));	/* a whole window */
	assert_true(isim_iommu_is_span_boundary(0, 9, 0, 8));	/* longer than a window */
	assert_true(isim_iommu_is_span_boundary(2, 4, 3, 8));	/* at 5: 5 + 4 = 9 */
	assert_false(isim_iommu_is_span_boundary(5, 8, 3, 8));	/* at 8 = 0 mod 8 */
	assert_false(isim_iommu_is_span_boundary(13, 0, 0, 8)); /* an empty run crosses nothing */
	assert_false(isim_iommu_is_span_boundary(7, 1, 0, 1));	/* boundary 1: single bits fit */
	assert_true(isim_iommu_is_span_boundary(7, 2, 0, 1));
	/* Large shift: (2^40 + 6 + 1) mod 8 = 7, so one bit fits and two cross. */
	assert_false(isim_iommu_is_span_boundary(1, 1, (UINT64_C(1) << 40) + 6, 8));
	assert_true(isim_iommu_is_span_boundary(1, 2, (UINT64_C(1) << 40) + 6, 8));
	/* 4 GiB of 4 KiB pages, the default segment boundary: 2^20 entries. */
	assert_false(isim_iommu_is_span_boundary((1u << 20) - 4, 4, 0, 1u << 20));
	assert_true(isim_iommu_is_span_boundary((1u << 20) - 4, 5, 0, 1u << 20));
}

#define BIG_BOUNDARY (UINT64_C(1) << 20)

static void test_bitmap_area_alloc_last_bit(void **state)
{
	uint64_t *map = map_new(8);

	(void)state;
	/* An 8-bit map offers bits 0..6: the helper searches size - 1 = 7 bits. */
	assert_int_equal(isim_iommu_area_alloc(map, 8, 0, 8, 0, BIG_BOUNDARY, 0, NULL),
			 ISIM_AREA_FAIL);
	assert_int_equal(map[0], 0);
	for (uint64_t i = 0; i < 7; i++)
		assert_int_equal(isim_iommu_area_alloc(map, 8, 0, 1, 0, BIG_BOUNDARY, 0, NULL), i);
	/* Bit 7 is clear but never handed out. */
	assert_int_equal(isim_iommu_area_alloc(map, 8, 0, 1, 0, BIG_BOUNDARY, 0, NULL),
			 ISIM_AREA_FAIL);
	assert_int_equal(map[0], 0x7f);

	/* From a map holding @before, an @nr-bit run in @size bits: @want, leaving @after. */
	static const struct {
		uint64_t before, size, nr, want, after;
	} cases[] = {
		/* A 7-bit run fits an empty 8-bit map exactly. */
		{0, 8, 7, 0, 0x7f},
		/* Size 1 has nothing to offer; size 0 is refused, not wrapped to 2^64 - 1. */
		{0, 1, 1, ISIM_AREA_FAIL, 0},
		{0, 0, 1, ISIM_AREA_FAIL, 0},
		/* nr == 0, bits 0..2 used: the first clear bit, and nothing is set */
		{0x7, 8, 0, 3, 0x7},
		/* ... which fails once bits 0..6 are used: the first clear bit is size - 1 */
		{0x7f, 8, 0, ISIM_AREA_FAIL, 0x7f},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		map[0] = cases[i].before;
		assert_int_equal(isim_iommu_area_alloc(map, cases[i].size, 0, cases[i].nr, 0,
						       BIG_BOUNDARY, 0, NULL),
				 cases[i].want);
		assert_int_equal(map[0], cases[i].after);
	}
	free(map);
}

static void test_bitmap_area_alloc_boundary_restart(void **state)
{
	uint64_t *map = map_new(64);

	(void)state;
	/*
	 * Boundary 8, shift 0, bits 0..4 used, nr 4: the first fit [5, 9) crosses 8
	 * (5 + 4 > 8), so the search restarts at ALIGN(5, 8) = 8 and returns 8; bits 5..7 stay
	 * clear.
	 */
	set_bits_slow(map, 0, 5);
	assert_int_equal(isim_iommu_area_alloc(map, 64, 0, 4, 0, 8, 0, NULL), 8);
	assert_int_equal(map[0], UINT64_C(0x1f) | (UINT64_C(0xf) << 8));
	/* nr 3 fits [5, 8) without crossing (5 + 3 = 8). */
	assert_int_equal(isim_iommu_area_alloc(map, 64, 0, 3, 0, 8, 0, NULL), 5);
	assert_int_equal(map[0], UINT64_C(0xfff));

	/*
	 * Shift 3 (bit 0 is absolute position 3), bits 0..1 used, nr 4: first fit 2 is at 5,
	 * 5 + 4 > 8 crosses; restart at ALIGN(3 + 2, 8) - 3 = 5, which is absolute 8: fits.
	 */
	map[0] = 0x3;
	assert_int_equal(isim_iommu_area_alloc(map, 64, 0, 4, 3, 8, 0, NULL), 5);
	assert_int_equal(map[0], UINT64_C(0x3) | (UINT64_C(0xf) << 5));

	/* nr == boundary with shift 3 on an empty map: only indices 5, 13, ... qualify. */
	map[0] = 0;
	assert_int_equal(isim_iommu_area_alloc(map, 64, 0, 8, 3, 8, 0, NULL), 5);
	assert_int_equal(isim_iommu_area_alloc(map, 64, 0, 8, 3, 8, 0, NULL), 13);
	assert_int_equal(map[0], UINT64_C(0xffff) << 5);

	/* nr > boundary can never fit: fail (the kernel would spin), map untouched. */
	map[0] = 0;
	assert_int_equal(isim_iommu_area_alloc(map, 64, 0, 9, 0, 8, 0, NULL), ISIM_AREA_FAIL);
	assert_int_equal(map[0], 0);

	/*
	 * 16-bit map (bits 0..14 usable), boundary 8, bits 0..5 used, nr 4: [6, 10) crosses ->
	 * restart at 8 -> 8. A second nr 4: [6, 10) holds 8 -> resume at 9 -> first clear 12 ->
	 * [12, 16) ends past 15 -> fail, although 12..15 are clear in the 16-bit map.
	 */
	map[0] = 0x3f;
	assert_int_equal(isim_iommu_area_alloc(map, 16, 0, 4, 0, 8, 0, NULL), 8);
	assert_int_equal(isim_iommu_area_alloc(map, 16, 0, 4, 0, 8, 0, NULL), ISIM_AREA_FAIL);
	assert_int_equal(map[0], UINT64_C(0x3f) | (UINT64_C(0xf) << 8));

	/*
	 * Alignment and boundary together: boundary 16, align 4, bit 0 used. nr 6: first clear 1
	 * -> 4, 4 + 6 <= 16 -> 4. Again from 10: 10 -> 12, 12 + 6 > 16 -> restart at 16 -> 16.
	 */
	map[0] = 0x1;
	assert_int_equal(isim_iommu_area_alloc(map, 64, 0, 6, 0, 16, 3, NULL), 4);
	assert_int_equal(isim_iommu_area_alloc(map, 64, 10, 6, 0, 16, 3, NULL), 16);
	assert_int_equal(map[0], UINT64_C(0x1) | (UINT64_C(0x3f) << 4) | (UINT64_C(0x3f) << 16));
	free(map);
}

static void test_bitmap_area_alloc_next_fit_no_wrap(void **state)
{
	uint64_t *map = map_new(64);

	(void)state;
	/* Next fit: the search begins at start, not at 0. */
	assert_int_equal(isim_iommu_area_alloc(map, 64, 40, 4, 0, 64, 0, NULL), 40);
	assert_int_equal(isim_iommu_area_alloc(map, 64, 44, 4, 0, 64, 0, NULL), 44);
	/* From 60 only [60, 63) remains (63 is the last bit): 4 fails although 0..39 are clear. */
	assert_int_equal(isim_iommu_area_alloc(map, 64, 60, 4, 0, 64, 0, NULL), ISIM_AREA_FAIL);
	assert_int_equal(map[0], UINT64_C(0xff) << 40);
	assert_int_equal(isim_iommu_area_alloc(map, 64, 60, 3, 0, 64, 0, NULL), 60);
	/* start past the end fails too; the caller (pci_dma.c) does the wrap itself. */
	assert_int_equal(isim_iommu_area_alloc(map, 64, 64, 1, 0, 64, 0, NULL), ISIM_AREA_FAIL);
	assert_int_equal(isim_iommu_area_alloc(map, 64, 1000, 1, 0, 64, 0, NULL), ISIM_AREA_FAIL);
	/* Starting again at 0 finds the low space. */
	assert_int_equal(isim_iommu_area_alloc(map, 64, 0, 4, 0, 64, 0, NULL), 0);
	/* From inside a used run, the search moves past it: 41 -> first clear 48. */
	assert_int_equal(isim_iommu_area_alloc(map, 64, 41, 2, 0, 64, 0, NULL), 48);
	free(map);
}

static void test_bitmap_words_counter(void **state)
{
	uint64_t *map = map_new(1000); /* 16 words; bit 999 is in word 15 */
	uint64_t words = 0;

	(void)state;
	/* Empty map, nr 1: next-zero reads word 0, the set-bit check of [0, 1) reads word 0. */
	assert_int_equal(isim_bitmap_find_zero_area(map, 1000, 0, 1, 0, 0, &words), 0);
	assert_int_equal(words, 2);

	/* Only bit 999 clear: next-zero reads all 16 words, the check reads word 15: +17. */
	set_bits_slow(map, 0, 999);
	assert_int_equal(isim_bitmap_find_zero_area(map, 1000, 0, 1, 0, 0, &words), 999);
	assert_int_equal(words, 2 + 17);

	/*
	 * Empty map, area of 130: next-zero 1 word; the check of [0, 130) reads words 0..2;
	 * setting [0, 130) writes words 0..2. 1 + 3 + 3 = 7.
	 */
	memset(map, 0, 16 * sizeof(*map));
	words = 0;
	assert_int_equal(isim_iommu_area_alloc(map, 1000, 0, 130, 0, BIG_BOUNDARY, 0, &words), 0);
	assert_int_equal(words, 7);

	/* A failure is charged too: next-zero reads words 0..2 (first clear: 130); 1030 > 999. */
	words = 0;
	assert_int_equal(isim_iommu_area_alloc(map, 1000, 0, 900, 0, BIG_BOUNDARY, 0, &words),
			 ISIM_AREA_FAIL);
	assert_int_equal(words, 3);

	/* A NULL counter is allowed. */
	assert_int_equal(isim_iommu_area_alloc(map, 1000, 0, 1, 0, BIG_BOUNDARY, 0, NULL), 130);

	/* The helper for callers charging set/clear on their own. */
	assert_int_equal(isim_bitmap_span_words(0, 0), 0);
	assert_int_equal(isim_bitmap_span_words(63, 1), 1);
	assert_int_equal(isim_bitmap_span_words(63, 2), 2);
	assert_int_equal(isim_bitmap_span_words(0, 130), 3);
	assert_int_equal(isim_bitmap_words(0), 0);
	assert_int_equal(isim_bitmap_words(64), 1);
	assert_int_equal(isim_bitmap_words(65), 2);
	free(map);
}

/* A 4 GiB aperture of 4 KiB pages: 2^20 bits, 16384 words. */
static void test_bitmap_large_map(void **state)
{
	const uint64_t size = UINT64_C(1) << 20;
	uint64_t *map = map_new(size);
	uint64_t words = 0;

	(void)state;
	/* All used except the last two bits, size - 2 and size - 1. */
	isim_bitmap_set(map, 0, size - 2);
	/*
	 * The search covers size - 1 bits: next-zero reads all 16384 words and finds size - 2;
	 * the check reads word 16383 and the set writes it: 16386 words.
	 */
	assert_int_equal(isim_iommu_area_alloc(map, size, 0, 1, 0, BIG_BOUNDARY, 0, &words),
			 size - 2);
	assert_int_equal(words, 16386);
	/* Now only the last bit is clear: 16384 words read, and it is not handed out. */
	words = 0;
	assert_int_equal(isim_iommu_area_alloc(map, size, 0, 1, 0, BIG_BOUNDARY, 0, &words),
			 ISIM_AREA_FAIL);
	assert_int_equal(words, 16384);
	assert_false(isim_bitmap_test(map, size - 1));
	assert_int_equal(isim_bitmap_find_next_zero(map, size, 0), size - 1);

	/* Free a 1000-bit hole at 500000 and allocate into it from a start far below. */
	isim_bitmap_clear(map, 500000, 1000);
	assert_int_equal(isim_iommu_area_alloc(map, size, 3, 1000, 0, BIG_BOUNDARY, 0, NULL),
			 500000);
	assert_int_equal(isim_bitmap_find_next_zero(map, size, 0), size - 1);
	free(map);
}

SUITE_MAIN(cmocka_unit_test(test_bitmap_set_clear_words),
	   cmocka_unit_test(test_bitmap_find_next_sizes),
	   cmocka_unit_test(test_bitmap_find_next_ignores_tail),
	   cmocka_unit_test(test_bitmap_find_zero_area_align),
	   cmocka_unit_test(test_bitmap_span_boundary),
	   cmocka_unit_test(test_bitmap_area_alloc_last_bit),
	   cmocka_unit_test(test_bitmap_area_alloc_boundary_restart),
	   cmocka_unit_test(test_bitmap_area_alloc_next_fit_no_wrap),
	   cmocka_unit_test(test_bitmap_words_counter), cmocka_unit_test(test_bitmap_large_map))
