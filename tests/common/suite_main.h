/* SPDX-License-Identifier: MIT */
/*
 * The main() of a test executable: SUITE_MAIN(cmocka_unit_test(a), ...) runs the tests given as
 * one CMocka group. Include it after <cmocka.h>.
 */
#ifndef TESTS_COMMON_SUITE_MAIN_H
#define TESTS_COMMON_SUITE_MAIN_H

#define SUITE_MAIN(...)                                                                            \
	int main(void)                                                                             \
	{                                                                                          \
		const struct CMUnitTest tests[] = {__VA_ARGS__};                                   \
		return cmocka_run_group_tests(tests, NULL, NULL);                                  \
	}

#endif /* TESTS_COMMON_SUITE_MAIN_H */
