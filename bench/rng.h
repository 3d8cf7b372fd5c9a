/* SPDX-License-Identifier: MIT */
/*
 * The bench's seeded random numbers: splitmix64, one stream per workload. Not the library's
 * iommusim_rng (engine.h): that is xoshiro256**, which only uses splitmix64 to fill its state,
 * so it draws other numbers from the same seed, and its iommusim_rng_below() rejects where
 * below() here does not. iova-bench's op script (--write-script) and the populations behind
 * its tree_walk rows are defined by these exact numbers.
 */
#ifndef ISIM_BENCH_RNG_H
#define ISIM_BENCH_RNG_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) for n < 2^32, without a division on the timed path. */
static inline size_t below(uint64_t *s, size_t n)
{
	return (size_t)(((splitmix64(s) >> 32) * n) >> 32);
}

#endif /* ISIM_BENCH_RNG_H */
