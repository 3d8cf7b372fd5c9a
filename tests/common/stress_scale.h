/* SPDX-License-Identifier: MIT */
/*
 * How long the stress tests run: IOMMUSIM_STRESS_SCALE in the environment, a factor (default 1,
 * at most 100; anything not positive counts as 1), multiplies their op counts.
 * Header-only, so each test executable gets its own copy.
 */
#ifndef TESTS_COMMON_STRESS_SCALE_H
#define TESTS_COMMON_STRESS_SCALE_H

#include <stdint.h>
#include <stdlib.h>

static inline double stress_scale(void)
{
	const char *s = getenv("IOMMUSIM_STRESS_SCALE");
	double f;

	if (!s || !*s)
		return 1.0;
	f = strtod(s, NULL);
	if (!(f > 0.0))
		return 1.0;
	return f > 100.0 ? 100.0 : f;
}

/* @n ops at scale 1, scaled; never 0. */
static inline uint64_t scaled(uint64_t n)
{
	uint64_t v = (uint64_t)((double)n * stress_scale());

	return v ? v : 1;
}

#endif /* TESTS_COMMON_STRESS_SCALE_H */
