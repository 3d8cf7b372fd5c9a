/* SPDX-License-Identifier: MIT */
/*
 * Random numbers for the tests: the library's own seeded streams (struct iommusim_rng,
 * xoshiro256** seeded by splitmix64), which give the same values on every machine and libc, so
 * a failing seed reproduces anywhere. Each randomised test starts its stream from a fixed seed.
 * Header-only, so each test executable gets its own copy.
 */
#ifndef TESTS_COMMON_TEST_RNG_H
#define TESTS_COMMON_TEST_RNG_H

#include <stdint.h>
#include <iommusim/engine.h>

/* Stream 0 of @seed. */
static inline struct iommusim_rng test_rng(uint64_t seed)
{
	struct iommusim_rng r;

	iommusim_rng_seed(&r, seed, 0);
	return r;
}

/* A uniform value in [0, @n); 0 when @n is 0, where there is nothing to choose from. */
static inline uint64_t test_rng_below(struct iommusim_rng *r, uint64_t n)
{
	return n ? iommusim_rng_below(r, n) : 0;
}

#endif /* TESTS_COMMON_TEST_RNG_H */
