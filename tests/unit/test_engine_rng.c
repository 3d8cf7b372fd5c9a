/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the engine's random streams: the published xoshiro and splitmix outputs,
 * repeated and independent streams, unbiased bounded draws, and the moments of doubles and
 * exponentials.
 */
#include "engine_fixture.h"

/* ---- random streams ---- */

static void test_rng_matches_published_xoshiro_and_splitmix_values(void **state)
{
	/* xoshiro256** from state {1, 2, 3, 4}, as in the reference implementation's tests. */
	static const uint64_t want[6] = {11520ull,
					 0ull,
					 1509978240ull,
					 1215971899390074240ull,
					 1216172134540287360ull,
					 607988272756665600ull};
	/* (seed 42, stream 0) and (42, 1), from an independent Python transcription. */
	static const uint64_t s42_0[3] = {0x1ff785474f113b15ull, 0x4b7867ceff5d8325ull,
					  0x90ca7a95a9909966ull};
	static const uint64_t s42_1[3] = {0x584870a53e6ddcdfull, 0x24862b58ab088c44ull,
					  0xb77af7ea4c59709eull};
	struct iommusim_rng r = {{1, 2, 3, 4}};

	(void)state;
	for (int i = 0; i < 6; i++)
		assert_true(iommusim_rng_u64(&r) == want[i]);
	iommusim_rng_seed(&r, 42, 0);
	for (int i = 0; i < 3; i++)
		assert_true(iommusim_rng_u64(&r) == s42_0[i]);
	iommusim_rng_seed(&r, 42, 1);
	for (int i = 0; i < 3; i++)
		assert_true(iommusim_rng_u64(&r) == s42_1[i]);
}

static void test_rng_same_stream_repeats_and_other_streams_differ(void **state)
{
	struct iommusim_rng a, b, c, d;
	unsigned int same_bc = 0, same_bd = 0;

	(void)state;
	iommusim_rng_seed(&a, 7, 3);
	iommusim_rng_seed(&b, 7, 3);
	iommusim_rng_seed(&c, 7, 4);
	iommusim_rng_seed(&d, 8, 3);
	for (int i = 0; i < 1000; i++) {
		uint64_t x = iommusim_rng_u64(&a);

		assert_true(x == iommusim_rng_u64(&b));
		same_bc += x == iommusim_rng_u64(&c);
		same_bd += x == iommusim_rng_u64(&d);
	}
	assert_int_equal(same_bc, 0);
	assert_int_equal(same_bd, 0);
}

static void test_rng_below_stays_in_range_without_bias(void **state)
{
	struct iommusim_rng r;
	unsigned int count[6] = {0};
	uint64_t big = (1ull << 63) + 1;

	(void)state;
	iommusim_rng_seed(&r, 1, 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(iommusim_rng_below(&r, 1), 0);
	for (int i = 0; i < 60000; i++) {
		uint64_t v = iommusim_rng_below(&r, 6);

		assert_true(v < 6);
		count[v]++;
	}
	/* 10000 expected each, sd about 91; the seed is fixed, so the bound cannot flake. */
	for (int i = 0; i < 6; i++)
		assert_true(count[i] > 9500 && count[i] < 10500);
	/*
	 * n = 3 * 2^62 makes both shortcuts visible: x % n puts half of all values below 2^62,
	 * and the high half of x * n without rejection makes half of them multiples of 3.
	 * Unbiased, each is a third (sd of the count about 47 in 10000).
	 */
	{
		const uint64_t n3 = 3ull << 62;
		unsigned int low = 0, mult3 = 0;

		for (int i = 0; i < 10000; i++) {
			uint64_t v = iommusim_rng_below(&r, n3);

			assert_true(v < n3);
			low += v < (1ull << 62);
			mult3 += v % 3 == 0;
		}
		assert_true(low > 3033 && low < 3633);
		assert_true(mult3 > 3033 && mult3 < 3633);
	}
	/* Nearly half of all candidates are rejected for this bound; results still fit. */
	for (int i = 0; i < 10000; i++) {
		assert_true(iommusim_rng_below(&r, big) < big);
		assert_true(iommusim_rng_below(&r, UINT64_MAX) < UINT64_MAX);
	}
}

static void test_rng_double_and_exponential_moments(void **state)
{
	struct iommusim_rng r;
	double sum = 0.0, esum = 0.0;
	const int n = 100000;

	(void)state;
	iommusim_rng_seed(&r, 12345, 9);
	for (int i = 0; i < n; i++) {
		double u = iommusim_rng_double(&r);

		assert_true(u >= 0.0 && u < 1.0);
		sum += u;
	}
	assert_true(fabs(sum / n - 0.5) < 0.005);
	for (int i = 0; i < n; i++) {
		double x = iommusim_rng_exponential(&r, 1000.0);

		assert_true(x >= 0.0);
		esum += x;
	}
	/* Standard error of the mean is 1000 / sqrt(100000), about 3.2: allow 20. */
	assert_true(fabs(esum / n - 1000.0) < 20.0);
	assert_true(iommusim_rng_exponential(&r, 0.0) == 0.0);
}

static void test_rng_log_agrees_with_libm(void **state)
{
	static const double xs[] = {5e-324,   1e-300,	1e-10, 0.1, 0.5,  0.7071, 0.75,
				    0.999999, 1.000001, 1.5,   2.0, 10.0, 1e300};

	(void)state;
	assert_true(isim_rng_log(1.0) == 0.0);
	assert_true(isim_rng_log(2.0) == log(2.0));
	for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		double want = log(xs[i]), got = isim_rng_log(xs[i]);

		assert_true(fabs(got - want) <= 4 * 0x1p-52 * fabs(want));
	}
}

SUITE_MAIN(cmocka_unit_test(test_rng_matches_published_xoshiro_and_splitmix_values),
	   cmocka_unit_test(test_rng_same_stream_repeats_and_other_streams_differ),
	   cmocka_unit_test(test_rng_below_stays_in_range_without_bias),
	   cmocka_unit_test(test_rng_double_and_exponential_moments),
	   cmocka_unit_test(test_rng_log_agrees_with_libm))
