/* SPDX-License-Identifier: MIT */
/*
 * Suites that run one randomised test per s390 DMA policy, on LPAR and on a paging guest:
 * the policies, and a runner that makes the CMocka tests of such a matrix. Header-only, so
 * each test executable gets its own copy; include it after <cmocka.h>.
 */
#ifndef TESTS_COMMON_POLICY_MATRIX_H
#define TESTS_COMMON_POLICY_MATRIX_H

#include <stdbool.h>
#include <stdio.h>

#include "zpci_rig.h"

struct policy_case {
	const char *name;
	enum zpci_rig_policy policy;
	/* the flush queue's entries; 0: the layout's default */
	uint32_t fq_size;
};

/* The policies Linux offers an s390 device: dma-iommu's three and the legacy ops' two. */
static const struct policy_case policy_cases_s390[] = {
	{"strict", ZPCI_RIG_STRICT, 0},
	{"fq_percpu", ZPCI_RIG_FQ_PER_CPU, 0},
	{"fq_single", ZPCI_RIG_FQ_SINGLE, 0},
	{"legacy_lazy", ZPCI_RIG_LEGACY_LAZY, 0},
	{"legacy_strict", ZPCI_RIG_LEGACY_STRICT, 0},
};

/* What one test of the matrix runs: a policy, on LPAR (no TLB refresh) or a paging guest. */
struct policy_test {
	const struct policy_case *c;
	bool paging;
};

#define POLICY_MATRIX_MAX 8

/*
 * Run @fn as the tests PREFIX_NAME_lpar and PREFIX_NAME_paging for each of the @n policies of
 * @cases, in that order, as CMocka group @group; @fn finds its struct policy_test in *state.
 */
static inline int policy_matrix_run(const char *group, const char *prefix,
				    const struct policy_case *cases, unsigned int n,
				    CMUnitTestFunction fn)
{
	static struct policy_test runs[2 * POLICY_MATRIX_MAX];
	static char names[2 * POLICY_MATRIX_MAX][64];
	struct CMUnitTest tests[2 * POLICY_MATRIX_MAX];

	if (n > POLICY_MATRIX_MAX)
		return -1;
	for (unsigned int i = 0; i < 2 * n; i++) {
		runs[i] = (struct policy_test){&cases[i / 2], i % 2 == 1};
		snprintf(names[i], sizeof(names[i]), "%s_%s_%s", prefix, cases[i / 2].name,
			 i % 2 ? "paging" : "lpar");
		tests[i] = (struct CMUnitTest){names[i], fn, NULL, NULL, &runs[i]};
	}
	return _cmocka_run_group_tests(group, tests, 2 * n, NULL, NULL);
}

#endif /* TESTS_COMMON_POLICY_MATRIX_H */
