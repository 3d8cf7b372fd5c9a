/* SPDX-License-Identifier: MIT */
/*
 * Seeded random streams: xoshiro256** (Blackman and Vigna) with its state filled by splitmix64,
 * the seeding its authors recommend. Everything here is integer or basic IEEE arithmetic, so a
 * stream gives the same values on every machine.
 */
#include <assert.h>
#include <math.h>

#include "engine/engine_internal.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void iommusim_rng_seed(struct iommusim_rng *r, uint64_t seed, uint64_t stream)
{
	/*
	 * The stream number goes through splitmix64's output function, a bijection, so for one
	 * seed no two streams start splitmix64 at the same point, and nearby stream numbers
	 * start far apart.
	 */
	uint64_t mixed = stream;
	uint64_t x = seed ^ splitmix64(&mixed);

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

uint64_t iommusim_rng_u64(struct iommusim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t iommusim_rng_below(struct iommusim_rng *r, uint64_t n)
{
	/*
	 * Lemire's multiply-and-reject: the high half of x * n is uniform in [0, n) once the
	 * low halves below 2^64 mod n, the surplus that would favour small values, are
	 * rejected. The division runs only on the rare candidate rejection.
	 */
	isim_u128 m;
	uint64_t low;

	assert(n > 0);
	m = (isim_u128)iommusim_rng_u64(r) * n;
	low = (uint64_t)m;
	if (low < n) {
		uint64_t threshold = -n % n;

		while (low < threshold) {
			m = (isim_u128)iommusim_rng_u64(r) * n;
			low = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double iommusim_rng_double(struct iommusim_rng *r)
{
	return (double)(iommusim_rng_u64(r) >> 11) * 0x1p-53;
}

/*
 * ln(x) = k ln 2 + ln(m) with x = m 2^k and m in [sqrt(1/2), sqrt(2)), and
 * ln(m) = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...) with s = (m - 1) / (m + 1), |s| < 0.172.
 * Twelve terms take the series below double precision. libm's log may differ by an ulp
 * between libraries, which would make simulated times differ between machines.
 */
double isim_rng_log(double x)
{
	/* ln 2 split so that k * LN2_HI is exact for every exponent of a double. */
	static const double LN2_HI = 6.93147180369123816490e-01;
	static const double LN2_LO = 1.90821492927058770002e-10;
	static const double SQRT_HALF = 0x1.6a09e667f3bcdp-1;
	double m, s, s2, sum;
	int k;

	assert(x > 0.0);
	m = frexp(x, &k);
	if (m < SQRT_HALF) {
		m *= 2.0;
		k--;
	}
	s = (m - 1.0) / (m + 1.0);
	s2 = s * s;
	sum = 1.0 / 23.0;
	for (int i = 21; i >= 1; i -= 2)
		sum = sum * s2 + 1.0 / i;
	return k * LN2_HI + (2.0 * s * sum + k * LN2_LO);
}

double iommusim_rng_exponential(struct iommusim_rng *r, double mean)
{
	/* 1 - u lies in (0, 1] and is exact, so the logarithm is finite. */
	double l = isim_rng_log(1.0 - iommusim_rng_double(r));

	assert(mean >= 0.0);
	/* ln(1) is +0, and -mean * +0 would be -0, which prints as "-0". */
	return l < 0.0 ? -mean * l : 0.0;
}
