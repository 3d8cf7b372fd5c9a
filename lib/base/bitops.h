/* SPDX-License-Identifier: MIT */
/* Bit arithmetic with the kernel's definitions (fls, order_base_2, roundup_pow_of_two). */
#ifndef ISIM_BASE_BITOPS_H
#define ISIM_BASE_BITOPS_H

#include <stdbool.h>
#include <stdint.h>

/* Position of the highest set bit, counting from 1; 0 for 0 (the kernel's fls64). */
static inline unsigned int isim_fls64(uint64_t x)
{
	return x ? 64u - (unsigned int)__builtin_clzll(x) : 0u;
}

/* Index of the lowest set bit; x must not be 0 (the kernel's __ffs). */
static inline unsigned int isim_ffs64(uint64_t x)
{
	return (unsigned int)__builtin_ctzll(x);
}

static inline bool isim_is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* Smallest power of two >= x, for 1 <= x <= 2^63. */
static inline uint64_t isim_roundup_pow2(uint64_t x)
{
	return x <= 1 ? 1 : (uint64_t)1 << isim_fls64(x - 1);
}

/* ceil(log2(x)), with order_base_2(0) = order_base_2(1) = 0 as in the kernel. */
static inline unsigned int isim_order_base_2(uint64_t x)
{
	return x > 1 ? isim_fls64(x - 1) : 0u;
}

#endif /* ISIM_BASE_BITOPS_H */
