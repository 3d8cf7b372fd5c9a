/* SPDX-License-Identifier: MIT */
/* Sizes the tests write addresses and lengths in. Header-only. */
#ifndef TESTS_COMMON_SIZES_H
#define TESTS_COMMON_SIZES_H

#define SZ_4K  0x1000ull
#define SZ_8K  0x2000ull
#define SZ_64K 0x10000ull
#define SZ_1M  0x100000ull
#define SZ_2M  0x200000ull
#define SZ_4M  0x400000ull
#define SZ_1G  0x40000000ull
#define SZ_2G  0x80000000ull
#define SZ_4G  0x100000000ull

#endif /* TESTS_COMMON_SIZES_H */
