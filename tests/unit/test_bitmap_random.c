/* SPDX-License-Identifier: MIT */
/*
 * A long randomized comparison of the bitmap primitives (lib/bitmap/bitmap.c) against
 * bit-by-bit reference implementations: set and clear ranges, next-set and next-zero searches,
 * the aligned zero-area search and iommu_area_alloc(), on random maps of random sizes.
 */
#include "bitmap_fixture.h"

#define NO_FIT UINT64_MAX

/* --- bit-by-bit references, written from the kernel definitions --- */

static uint64_t ref_next(const bool *ref, uint64_t size, uint64_t start, bool want)
{
	for (uint64_t i = start; i < size; i++)
		if (ref[i] == want)
			return i;
	return size;
}

/* bitmap_find_next_zero_area_off(), following its loop but testing one bit at a time. */
static uint64_t ref_zero_area_iter(const bool *ref, uint64_t size, uint64_t start, uint64_t nr,
				   uint64_t mask, uint64_t off)
{
	for (;;) {
		uint64_t idx = ref_next(ref, size, start, false);
		uint64_t end, i;

		idx = ((idx + off + mask) & ~mask) - off;
		end = idx + nr;
		if (end > size)
			return end;
		for (i = idx; i < end && !ref[i]; i++)
			;
		if (i == end)
			return idx;
		start = i + 1;
	}
}

/* The declarative meaning for nr >= 1: the lowest aligned, fully clear run at or after start. */
static uint64_t ref_zero_area_brute(const bool *ref, uint64_t size, uint64_t start, uint64_t nr,
				    uint64_t mask, uint64_t off)
{
	for (uint64_t p = start; p + nr <= size; p++) {
		uint64_t i;

		if (((p + off) & mask) != 0)
			continue;
		for (i = p; i < p + nr && !ref[i]; i++)
			;
		if (i == p + nr)
			return p;
	}
	return NO_FIT;
}

/* iommu_area_alloc() following its loop (without touching the map). */
static uint64_t ref_area_iter(const bool *ref, uint64_t size, uint64_t start, uint64_t nr,
			      uint64_t shift, uint64_t b, uint64_t mask)
{
	if (size == 0 || nr > b)
		return NO_FIT;
	size--;
	for (;;) {
		uint64_t idx = ref_zero_area_iter(ref, size, start, nr, mask, 0);
		uint64_t in_window;

		if (idx >= size)
			return NO_FIT;
		in_window = (shift + idx) % b;
		if (in_window + nr <= b)
			return idx;
		start = idx + (b - in_window);
	}
}

/* Its declarative meaning for nr >= 1: lowest p >= start meeting every constraint. */
static uint64_t ref_area_brute(const bool *ref, uint64_t size, uint64_t start, uint64_t nr,
			       uint64_t shift, uint64_t b, uint64_t mask)
{
	if (size == 0)
		return NO_FIT;
	for (uint64_t p = start; p + nr <= size - 1; p++) {
		uint64_t i;

		if ((p & mask) != 0 || (shift + p) % b + nr > b)
			continue;
		for (i = p; i < p + nr && !ref[i]; i++)
			;
		if (i == p + nr)
			return p;
	}
	return NO_FIT;
}

struct rand_map {
	uint64_t size;
	uint64_t *map;
	bool *ref;
	uint64_t pad_mask; /* bits of the last word at or above size */
	uint64_t pad_val;
};

struct rand_stats {
	uint64_t fits;
	uint64_t misses;
	uint64_t restarts;
};

static void rand_map_check(const struct rand_map *m)
{
	uint64_t last = isim_bitmap_words(m->size) - 1;

	for (uint64_t i = 0; i < m->size; i++)
		if (isim_bitmap_test(m->map, i) != m->ref[i])
			fail_msg("size %llu: bit %llu is %d, reference %d",
				 (unsigned long long)m->size, (unsigned long long)i,
				 isim_bitmap_test(m->map, i), m->ref[i]);
	assert_int_equal(m->map[last] & m->pad_mask, m->pad_val);
}

static uint64_t pick(struct iommusim_rng *rng, const uint64_t *vals, size_t n)
{
	return vals[test_rng_below(rng, n)];
}

/* Set or clear a random range, short or long, and compare the whole map. */
static void rand_op_range(struct rand_map *m, struct iommusim_rng *rng, bool set)
{
	uint64_t a = test_rng_below(rng, m->size);
	uint64_t n = test_rng_below(rng, 2) ? test_rng_below(rng, 9)
					    : test_rng_below(rng, m->size - a + 1);

	if (a + n > m->size)
		n = m->size - a;
	if (set)
		isim_bitmap_set(m->map, a, n);
	else
		isim_bitmap_clear(m->map, a, n);
	for (uint64_t i = a; i < a + n; i++)
		m->ref[i] = set;
	rand_map_check(m);
}

/* Starts run up to 70 past the end to cover start >= size. */
static void rand_op_find(const struct rand_map *m, struct iommusim_rng *rng)
{
	uint64_t start = test_rng_below(rng, m->size + 70);

	assert_int_equal(isim_bitmap_find_next_zero(m->map, m->size, start),
			 ref_next(m->ref, m->size, start, false));
	assert_int_equal(isim_bitmap_find_next_set(m->map, m->size, start),
			 ref_next(m->ref, m->size, start, true));
}

static void rand_op_zero_area(const struct rand_map *m, struct iommusim_rng *rng)
{
	static const uint64_t masks[] = {0, 0, 0, 1, 3, 7, 15, 63, 127};
	uint64_t start = test_rng_below(rng, m->size + 10);
	uint64_t nr = test_rng_below(rng, 4) ? test_rng_below(rng, 40) : test_rng_below(rng, 4);
	uint64_t mask = pick(rng, masks, ARRAY_LEN(masks));
	uint64_t off = test_rng_below(rng, 130); /* may exceed the mask */
	uint64_t words = 0, got, want;

	got = isim_bitmap_find_zero_area(m->map, m->size, start, nr, mask, off, &words);
	assert_int_equal(got, ref_zero_area_iter(m->ref, m->size, start, nr, mask, off));
	if (nr > 0) {
		want = ref_zero_area_brute(m->ref, m->size, start, nr, mask, off);
		if (want == NO_FIT)
			assert_true(got > m->size);
		else
			assert_int_equal(got, want);
	}
	if (start < m->size)
		assert_true(words >= 1);
}

static void rand_op_area_alloc(struct rand_map *m, struct iommusim_rng *rng, struct rand_stats *st)
{
	static const uint64_t masks[] = {0, 0, 0, 1, 3, 7};
	static const uint64_t boundaries[] = {1, 2, 4, 8, 16, 32, 64, 128, UINT64_C(1) << 20};
	uint64_t start = test_rng_below(rng, 3) ? test_rng_below(rng, m->size + 5) : 0;
	uint64_t nr = test_rng_below(rng, 5) ? 1 + test_rng_below(rng, 8) : test_rng_below(rng, 21);
	uint64_t shift =
		test_rng_below(rng, 2) ? test_rng_below(rng, 200) : iommusim_rng_u64(rng) >> 2;
	uint64_t b = pick(rng, boundaries, ARRAY_LEN(boundaries));
	uint64_t mask = pick(rng, masks, ARRAY_LEN(masks));
	uint64_t words = 0, got, want, first;

	want = ref_area_iter(m->ref, m->size, start, nr, shift, b, mask);
	if (nr > 0)
		assert_int_equal(want, ref_area_brute(m->ref, m->size, start, nr, shift, b, mask));
	/* A fit beyond the first free candidate means a boundary restart happened. */
	first = ref_zero_area_iter(m->ref, m->size - 1, start, nr, mask, 0);

	got = isim_iommu_area_alloc(m->map, m->size, start, nr, shift, b, mask, &words);
	assert_int_equal(got, want == NO_FIT ? ISIM_AREA_FAIL : want);
	if (got != ISIM_AREA_FAIL) {
		for (uint64_t i = got; i < got + nr; i++)
			m->ref[i] = true;
		st->fits++;
		if (got != first)
			st->restarts++;
	} else {
		st->misses++;
	}
	if (m->size >= 2 && start < m->size - 1 && nr <= b)
		assert_true(words >= 1);
	rand_map_check(m);
}

/*
 * 600 maps of random or word-edge sizes, 200 random operations each (120000 in all), every
 * result compared with the bit-by-bit references and every update with a bool-array mirror.
 */
static void test_bitmap_random_vs_reference(void **state)
{
	static const uint64_t edge_sizes[] = {1, 2, 3, 63, 64, 65, 127, 128, 129, 191, 192, 193};
	struct rand_stats st = {0, 0, 0};
	struct iommusim_rng rng = test_rng(0x5eed0b17);
	uint64_t ops = 0;

	(void)state;
	for (int round = 0; round < 600; round++) {
		struct rand_map m;

		m.size = test_rng_below(&rng, 2) ? pick(&rng, edge_sizes, ARRAY_LEN(edge_sizes))
						 : 1 + test_rng_below(&rng, 700);
		m.map = map_new(m.size);
		m.ref = calloc(m.size, sizeof(bool));
		assert_non_null(m.ref);
		/* Fill the bits past size with garbage: nothing may read them as map bits. */
		m.pad_mask = m.size % 64 ? ~UINT64_C(0) << (m.size % 64) : 0;
		m.pad_val = iommusim_rng_u64(&rng) & m.pad_mask;
		m.map[isim_bitmap_words(m.size) - 1] |= m.pad_val;

		for (int k = 0; k < 200; k++, ops++) {
			switch (test_rng_below(&rng, 8)) {
			case 0:
				rand_op_range(&m, &rng, true);
				break;
			case 1:
				rand_op_range(&m, &rng, false);
				break;
			case 2:
			case 3:
				rand_op_find(&m, &rng);
				break;
			case 4:
			case 5:
				rand_op_zero_area(&m, &rng);
				break;
			default:
				rand_op_area_alloc(&m, &rng, &st);
				break;
			}
		}
		free(m.map);
		free(m.ref);
	}
	/* The mix must have exercised both outcomes and restarts, or it proves little. */
	assert_true(ops >= 100000);
	assert_true(st.fits > 1000);
	assert_true(st.misses > 1000);
	assert_true(st.restarts > 0);
}

SUITE_MAIN(cmocka_unit_test(test_bitmap_random_vs_reference))
