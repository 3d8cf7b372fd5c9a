/* SPDX-License-Identifier: MIT */
/*
 * CMocka setup and teardown for a fixture struct kept in the test's *state, so that a test body
 * holds only what it checks. FIXTURE_STATE(name, type, up, down, args...) defines:
 *   name_setup:    a zeroed @type, then up(fixture, args...): the rig most of a suite's tests
 *                  start from;
 *   name_alloc:    a zeroed @type only, for a test that sets it up itself with its own arguments;
 *   name_teardown: down(fixture), with the checks it makes, then frees it.
 */
#ifndef TESTS_COMMON_FIXTURE_STATE_H
#define TESTS_COMMON_FIXTURE_STATE_H

#include <stdlib.h>

static inline int fixture_state_alloc(void **state, size_t size)
{
	*state = calloc(1, size);
	return *state ? 0 : -1;
}

#define FIXTURE_STATE(name, type, up, down, ...)                                                   \
	static inline int name##_alloc(void **state)                                               \
	{                                                                                          \
		return fixture_state_alloc(state, sizeof(type));                                   \
	}                                                                                          \
	static inline int name##_setup(void **state)                                               \
	{                                                                                          \
		if (fixture_state_alloc(state, sizeof(type)) != 0)                                 \
			return -1;                                                                 \
		up((type *)*state, __VA_ARGS__);                                                   \
		return 0;                                                                          \
	}                                                                                          \
	static inline int name##_teardown(void **state)                                            \
	{                                                                                          \
		down((type *)*state);                                                              \
		free(*state);                                                                      \
		return 0;                                                                          \
	}

#endif /* TESTS_COMMON_FIXTURE_STATE_H */
