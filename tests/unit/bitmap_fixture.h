/* SPDX-License-Identifier: MIT */
/*
 * What the bitmap primitives' tests (lib/bitmap/bitmap.c) share: maps allocated with exactly
 * isim_bitmap_words(size) words, so that AddressSanitizer catches a read past the word holding
 * bit size - 1, and the helpers that fill them.
 */
#ifndef TESTS_UNIT_BITMAP_FIXTURE_H
#define TESTS_UNIT_BITMAP_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "suite_main.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap/bitmap.h"
#include "test_rng.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static inline uint64_t *map_new(uint64_t nbits)
{
	uint64_t words = isim_bitmap_words(nbits);
	uint64_t *map = calloc(words ? words : 1, sizeof(*map));

	assert_non_null(map);
	return map;
}

#endif /* TESTS_UNIT_BITMAP_FIXTURE_H */
