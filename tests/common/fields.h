/* SPDX-License-Identifier: MIT */
/*
 * Checks of many counters at once: a list of fields of a statistics struct, each with the
 * value it must have (fields of any unsigned integer type), compared one by one and named in
 * the failure. Header-only, so each test executable gets its own copy; include it after
 * <cmocka.h>.
 *
 *	EXPECT_FIELDS(&st, FIELD(struct iommusim_platform_stats, rpcits, 2), ...);
 */
#ifndef TESTS_COMMON_FIELDS_H
#define TESTS_COMMON_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct field_want {
	const char *name;
	size_t offset;
	size_t size;
	uint64_t want;
};

/* The width of @field of @type; a compile error unless it is an unsigned integer. */
/* clang-format off */
#define FIELD_SIZE(type, field) _Generic(((type *)0)->field, unsigned char: 1, \
	unsigned short: 2, unsigned int: 4, unsigned long: sizeof(unsigned long), \
	unsigned long long: 8)
/* clang-format on */

/* Field @field of @type must be @value. */
/* clang-format off */
#define FIELD(type, field, value) \
	{ #field, offsetof(type, field), FIELD_SIZE(type, field), (uint64_t)(value) }
/* clang-format on */

static inline uint64_t field_read(const void *obj, const struct field_want *w)
{
	const char *p = (const char *)obj + w->offset;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8;
	uint64_t u64;

	switch (w->size) {
	case 1:
		memcpy(&u8, p, 1);
		return u8;
	case 2:
		memcpy(&u16, p, 2);
		return u16;
	case 4:
		memcpy(&u32, p, 4);
		return u32;
	default:
		memcpy(&u64, p, 8);
		return u64;
	}
}

static inline void expect_fields(const void *obj, const struct field_want *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t got = field_read(obj, &w[i]);

		if (got != w[i].want)
			fail_msg("%s is %llu (%#llx), want %llu (%#llx)", w[i].name,
				 (unsigned long long)got, (unsigned long long)got,
				 (unsigned long long)w[i].want, (unsigned long long)w[i].want);
	}
}

#define EXPECT_FIELDS(obj, ...)                                                                    \
	do {                                                                                       \
		const struct field_want fields_[] = {__VA_ARGS__};                                 \
		expect_fields((obj), fields_, sizeof(fields_) / sizeof(fields_[0]));               \
	} while (0)

#endif /* TESTS_COMMON_FIELDS_H */
