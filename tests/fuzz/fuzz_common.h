/* SPDX-License-Identifier: MIT */
/*
 * What the fuzz targets share: a check that stops the fuzzer with the failed condition and
 * where it is (assert() would vanish under NDEBUG; this never does).
 */
#ifndef TESTS_FUZZ_COMMON_H
#define TESTS_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__,       \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif /* TESTS_FUZZ_COMMON_H */
