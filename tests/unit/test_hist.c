/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the latency histogram: bucket edges, the 1/64 relative error bound, mean,
 * quantiles of sets worked out by hand, the empty histogram.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "stats/hist.h"

static struct isim_hist *new_hist(void)
{
	struct isim_hist *h = malloc(sizeof(*h));

	assert_non_null(h);
	isim_hist_reset(h);
	return h;
}

/* Below 64 every value has a bucket of its own; 64..127 too (width 2^0). */
static void test_hist_exact_below_128(void **state)
{
	(void)state;
	for (uint64_t v = 0; v < 128; v++) {
		unsigned int i = isim_hist_index(v);

		assert_int_equal(i, v);
		assert_int_equal(isim_hist_bucket_low(i), v);
		assert_int_equal(isim_hist_bucket_high(i), v);
	}
}

/*
 * Edges worked by hand. 128 = 2^7: shift 1, mantissa 64, index 64 + 1 * 64 + 0 = 128, bucket
 * [128, 129]. 255: mantissa 127, index 191, [254, 255]. 256: shift 2, index 192, [256, 259].
 * 1000: msb 9, shift 3, mantissa 125, index 64 + 3 * 64 + 61 = 317, [1000, 1007].
 * UINT64_MAX: shift 57, mantissa 127, the last index 64 + 57 * 64 + 63 = 3775, bucket
 * [127 << 57, 2^64 - 1].
 */
static void test_hist_bucket_edges(void **state)
{
	(void)state;
	assert_int_equal(isim_hist_index(128), 128);
	assert_int_equal(isim_hist_index(129), 128);
	assert_int_equal(isim_hist_index(130), 129);
	assert_int_equal(isim_hist_bucket_low(128), 128);
	assert_int_equal(isim_hist_bucket_high(128), 129);
	assert_int_equal(isim_hist_index(255), 191);
	assert_int_equal(isim_hist_bucket_low(191), 254);
	assert_int_equal(isim_hist_bucket_high(191), 255);
	assert_int_equal(isim_hist_index(256), 192);
	assert_int_equal(isim_hist_bucket_high(192), 259);
	assert_int_equal(isim_hist_index(259), 192);
	assert_int_equal(isim_hist_index(260), 193);
	assert_int_equal(isim_hist_index(1000), 317);
	assert_int_equal(isim_hist_bucket_low(317), 1000);
	assert_int_equal(isim_hist_bucket_high(317), 1007);
	assert_int_equal(ISIM_HIST_BUCKETS, 3776);
	assert_int_equal(isim_hist_index(UINT64_MAX), ISIM_HIST_BUCKETS - 1);
	assert_int_equal(isim_hist_bucket_low(ISIM_HIST_BUCKETS - 1), 127ull << 57);
	assert_true(isim_hist_bucket_high(ISIM_HIST_BUCKETS - 1) == UINT64_MAX);
}

/*
 * Every bucket starts right after the previous one ends (no gap, no overlap), its values map
 * back to it, and its width is at most 1/64 of its lower bound.
 */
static void test_hist_buckets_tile_with_bounded_error(void **state)
{
	(void)state;
	assert_int_equal(isim_hist_bucket_low(0), 0);
	for (unsigned int i = 1; i < ISIM_HIST_BUCKETS; i++) {
		uint64_t lo = isim_hist_bucket_low(i), hi = isim_hist_bucket_high(i);

		assert_true(lo == isim_hist_bucket_high(i - 1) + 1);
		assert_true(hi >= lo);
		assert_int_equal(isim_hist_index(lo), i);
		assert_int_equal(isim_hist_index(hi), i);
		assert_true(hi - lo <= lo / 64);
	}
}

/* No value: count, mean and every quantile are 0. */
static void test_hist_empty(void **state)
{
	struct isim_hist *h = new_hist();

	(void)state;
	assert_int_equal(h->count, 0);
	assert_true(isim_hist_mean(h) == 0.0);
	assert_int_equal(isim_hist_quantile(h, 99, 100), 0);
	assert_int_equal(isim_hist_quantile(h, 1, 1), 0);
	free(h);
}

/*
 * {10, 20, 30}: p50 is rank ceil(1.5) = 2 -> 20; p99 rank ceil(2.97) = 3 -> 30; p1 rank
 * ceil(0.03) = 1 -> 10. Mean 20, min 10, max 30.
 */
static void test_hist_small_set_ranks(void **state)
{
	struct isim_hist *h = new_hist();

	(void)state;
	isim_hist_record(h, 30);
	isim_hist_record(h, 10);
	isim_hist_record(h, 20);
	assert_int_equal(h->count, 3);
	assert_int_equal(h->min, 10);
	assert_int_equal(h->max, 30);
	assert_true(isim_hist_mean(h) == 20.0);
	assert_int_equal(isim_hist_quantile(h, 50, 100), 20);
	assert_int_equal(isim_hist_quantile(h, 99, 100), 30);
	assert_int_equal(isim_hist_quantile(h, 1, 100), 10);
	free(h);
}

/*
 * 1..1000 once each. Mean 500.5. p99: rank 990, value 990: msb 9, shift 3, 990 >> 3 = 123,
 * bucket [984, 991] -> 991. p50: rank 500, value 500: msb 8, shift 2, bucket [500, 503] -> 503.
 * p100: value 1000, bucket [1000, 1007], but nothing above the maximum: 1000.
 */
static void test_hist_p99_of_1_to_1000(void **state)
{
	struct isim_hist *h = new_hist();

	(void)state;
	for (uint64_t v = 1; v <= 1000; v++)
		isim_hist_record(h, v);
	assert_true(isim_hist_mean(h) == 500.5);
	assert_int_equal(isim_hist_quantile(h, 99, 100), 991);
	assert_int_equal(isim_hist_quantile(h, 50, 100), 503);
	assert_int_equal(isim_hist_quantile(h, 1, 1), 1000);
	free(h);
}

/*
 * A tail: with 99 x 100 and 1 x 100000 the 99th of 100 ranks is still 100; with 98 x 100 and
 * 2 x 100000 it is the outlier: msb 16, shift 10, 100000 >> 10 = 97, bucket
 * [99328, 100351], whose bound 100351 lies above the largest value: 100000. With 100001 as
 * a larger value after them, rank 100 of 101 is reported as its bucket's bound.
 */
static void test_hist_p99_tail(void **state)
{
	struct isim_hist *h = new_hist();

	(void)state;
	for (int i = 0; i < 99; i++)
		isim_hist_record(h, 100);
	isim_hist_record(h, 100000);
	assert_int_equal(isim_hist_quantile(h, 99, 100), 100);
	isim_hist_reset(h);
	for (int i = 0; i < 98; i++)
		isim_hist_record(h, 100);
	isim_hist_record(h, 100000);
	isim_hist_record(h, 100000);
	assert_int_equal(isim_hist_quantile(h, 99, 100), 100000);
	isim_hist_record(h, 200000);
	assert_int_equal(isim_hist_quantile(h, 99, 100), 100351);
	/* The exact sum: 98 * 100 + 2 * 100000 + 200000 = 409800 over 101. */
	assert_true(isim_hist_mean(h) == 409800.0 / 101);
	free(h);
}

/* Adding one histogram to another is recording the values of both into one. */
static void test_hist_add_is_recording_both(void **state)
{
	struct isim_hist *a = new_hist(), *b = new_hist(), *both = new_hist(), *empty = new_hist();

	(void)state;
	for (uint64_t v = 5; v < 3000; v += 7) {
		isim_hist_record(v % 2 ? a : b, v);
		isim_hist_record(both, v);
	}
	isim_hist_add(a, b);
	assert_memory_equal(a, both, sizeof(*a));
	/* an empty one changes nothing, and adding to an empty one copies */
	isim_hist_add(a, empty);
	assert_memory_equal(a, both, sizeof(*a));
	isim_hist_add(empty, both);
	assert_memory_equal(empty, both, sizeof(*a));
	free(a);
	free(b);
	free(both);
	free(empty);
}

/* Recording order changes nothing: the histogram is a function of the multiset. */
static void test_hist_order_independent(void **state)
{
	struct isim_hist *a = new_hist(), *b = new_hist();
	uint64_t x = 12345;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		isim_hist_record(a, x >> 40);
	}
	x = 12345;
	{
		uint64_t v[1000];

		for (int i = 0; i < 1000; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			v[i] = x >> 40;
		}
		for (int i = 999; i >= 0; i--)
			isim_hist_record(b, v[i]);
	}
	assert_memory_equal(a, b, sizeof(*a));
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_exact_below_128),
		cmocka_unit_test(test_hist_bucket_edges),
		cmocka_unit_test(test_hist_buckets_tile_with_bounded_error),
		cmocka_unit_test(test_hist_empty),
		cmocka_unit_test(test_hist_small_set_ranks),
		cmocka_unit_test(test_hist_p99_of_1_to_1000),
		cmocka_unit_test(test_hist_p99_tail),
		cmocka_unit_test(test_hist_order_independent),
		cmocka_unit_test(test_hist_add_is_recording_both),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
