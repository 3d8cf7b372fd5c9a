/* SPDX-License-Identifier: MIT */
/*
 * The kernel's roundup_pow_of_two() and order_base_2(), written independently of lib/base so
 * that the tests do not check the library against itself. Header-only.
 */
#ifndef TESTS_COMMON_POW2_H
#define TESTS_COMMON_POW2_H

#include <stdint.h>

/* The smallest power of two >= @x (1 for 0). */
static inline uint64_t pow2_up(uint64_t x)
{
	uint64_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

/* The smallest k with 2^k >= @x. */
static inline unsigned int order_base2(uint64_t x)
{
	unsigned int k = 0;

	while ((UINT64_C(1) << k) < x)
		k++;
	return k;
}

#endif /* TESTS_COMMON_POW2_H */
