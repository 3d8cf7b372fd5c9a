/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the study API (sim/run/study.c): the Latin hypercube (one draw per stratum
 * per parameter, values in range, determinism for a seed, what is held fixed, balanced
 * bools, powers of two) and the statistics (percentiles, means, t intervals and ranks worked
 * out by hand).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "cost_fixture.h"

/* @cost as compare resolves it for @platform, with the overrides @sets. */
static void resolve(struct fixture *f, const char *platform, const char *const *sets, size_t nsets)
{
	long bad;

	if (iommusim_scenario_configure(iommusim_scenario_lookup("default"), platform, f->cost,
					sets, nsets, f->err, sizeof(f->err), &bad))
		fail_msg("configure %s: %s", platform, f->err);
}

/* Every parameter the table marks EST: the hypercube's dimensions with fitted ones drawn. */
static size_t est_params(enum iommusim_cost_id *ids)
{
	size_t n = 0;

	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++)
		if (iommusim_cost_param((enum iommusim_cost_id)i)->flags & IOMMUSIM_COST_EST)
			ids[n++] = (enum iommusim_cost_id)i;
	return n;
}

/* The powerpc platforms' own parameters, which no s390 set draws. */
static bool powerpc_param(const struct iommusim_cost_param *p)
{
	return !strncmp(p->name, "powervm.", 8) || !strncmp(p->name, "kvm_ppc.", 8) ||
	       !strncmp(p->name, "powernv.", 8);
}

static void test_study_lhs_every_stratum_once(void **state)
{
	static const uint32_t sizes[] = {1, 2, 3, 7, 16, 50, 257};
	enum iommusim_cost_id ids[IOMMUSIM_COST_NR];
	size_t nids = est_params(ids);
	bool *seen = calloc(257, sizeof(*seen));

	(void)state;
	assert_non_null(seen);
	assert_true(nids > 10);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint32_t n = sizes[s];

		for (size_t i = 0; i < nids; i++) {
			memset(seen, 0, 257 * sizeof(*seen));
			for (uint32_t k = 0; k < n; k++) {
				uint32_t st = UINT32_MAX;
				double pt = iommusim_study_lhs_point(7, ids[i], n, k, &st);

				assert_true(st < n);
				if (seen[st])
					fail_msg("%s: stratum %u of %u drawn twice",
						 iommusim_cost_param(ids[i])->name, st, n);
				seen[st] = true;
				/* the point lies inside its stratum */
				assert_true(pt >= (double)st / n && pt <= (double)(st + 1) / n);
			}
		}
	}
	free(seen);
}

static void test_study_lhs_values_in_range(void **state)
{
	enum iommusim_cost_id ids[IOMMUSIM_COST_NR];
	size_t nids = est_params(ids);

	(void)state;
	for (size_t i = 0; i < nids; i++) {
		const struct iommusim_cost_param *p = iommusim_cost_param(ids[i]);
		uint64_t lo = UINT64_MAX, hi = 0;

		/* the default as the centre: the draws' median */
		uint64_t c = p->default_value;
		uint32_t below = 0, above = 0;

		for (uint32_t k = 0; k < 40; k++) {
			uint64_t v = iommusim_study_lhs_value(3, ids[i], 40, k, c);
			double pt = iommusim_study_lhs_point(3, ids[i], 40, k, NULL);

			assert_true(v >= p->min && v <= p->max);
			if (p->unit != IOMMUSIM_COST_UNIT_BOOL) {
				/* the lower half of [0, 1] onto [min, c], the upper onto [c, max]
				 */
				double want =
					pt < 0.5 ? (double)p->min + 2 * pt * (double)(c - p->min)
						 : (double)c + (2 * pt - 1) * (double)(p->max - c);

				/* rounded to the nearest integer */
				assert_true(fabs((double)v - want) <= 0.5);
				below += v <= c;
				above += v >= c;
			}
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		/* 40 strata span each half: the lowest draw is in the bottom 1/20 of [min, c]. */
		assert_true((double)(lo - p->min) <= (double)(c - p->min) / 20 + 0.5);
		assert_true((double)(p->max - hi) <= (double)(p->max - c) / 20 + 0.5);
		/* half of the draws on each side of the centre */
		if (p->unit != IOMMUSIM_COST_UNIT_BOOL)
			assert_true(below >= 20 && above >= 20);
	}
}

/* The centre is the median whatever it is: a value at an end of the range, or one outside it. */
static void test_study_lhs_centre_is_the_median(void **state)
{
	enum iommusim_cost_id walk = id_of("qemu.walk_ns");
	const struct iommusim_cost_param *p = iommusim_cost_param(walk);

	(void)state;
	for (uint32_t k = 0; k < 20; k++) {
		double pt = iommusim_study_lhs_point(8, walk, 20, k, NULL);
		uint64_t at_min = iommusim_study_lhs_value(8, walk, 20, k, p->min);
		uint64_t at_max = iommusim_study_lhs_value(8, walk, 20, k, p->max);

		/* the lower half collapses onto min, the upper onto max */
		if (pt < 0.5)
			assert_int_equal(at_min, p->min);
		else
			assert_int_equal(at_max, p->max);
		/* outside the range: the default is the centre */
		assert_int_equal(iommusim_study_lhs_value(8, walk, 20, k, p->max + 1),
				 iommusim_study_lhs_value(8, walk, 20, k, p->default_value));
	}
}

static void test_study_lhs_deterministic_per_seed(void **state)
{
	enum iommusim_cost_id ids[IOMMUSIM_COST_NR];
	size_t nids = est_params(ids), differ = 0;

	(void)state;
	for (size_t i = 0; i < nids; i++) {
		for (uint32_t k = 0; k < 10; k++) {
			uint64_t c = iommusim_cost_param(ids[i])->default_value;
			uint64_t a = iommusim_study_lhs_value(42, ids[i], 10, k, c);

			assert_int_equal(a, iommusim_study_lhs_value(42, ids[i], 10, k, c));
			if (a != iommusim_study_lhs_value(43, ids[i], 10, k, c))
				differ++;
		}
	}
	/* Another seed is another hypercube: nearly every value moves. */
	assert_true(differ > nids * 10 / 2);
}

/* Two parameters do not share a permutation: their strata differ in some draw. */
static void test_study_lhs_parameters_independent(void **state)
{
	uint32_t a, b;
	size_t same = 0;

	(void)state;
	for (uint32_t k = 0; k < 100; k++) {
		iommusim_study_lhs_point(1, id_of("qemu.walk_ns"), 100, k, &a);
		iommusim_study_lhs_point(1, id_of("qemu.hash_ns"), 100, k, &b);
		same += a == b;
	}
	assert_true(same < 10);
}

static void test_study_lhs_bad_arguments(void **state)
{
	struct fixture *f = *state;
	enum iommusim_cost_id walk = id_of("qemu.walk_ns");

	assert_true(isnan(iommusim_study_lhs_point(1, walk, 0, 0, NULL)));
	assert_true(isnan(iommusim_study_lhs_point(1, walk, 4, 4, NULL)));
	assert_true(isnan(iommusim_study_lhs_point(1, IOMMUSIM_COST_NR, 4, 0, NULL)));
	assert_int_equal(iommusim_study_lhs_value(1, walk, 4, 9, 100),
			 iommusim_cost_param(walk)->default_value);
	resolve(f, "kvm", NULL, 0);
	assert_int_equal(iommusim_study_lhs_apply(f->cost, 1, 0, 0, 0, f->err, sizeof(f->err)),
			 -EINVAL);
	assert_int_equal(iommusim_study_lhs_apply(f->cost, 1, 3, 3, 0, NULL, 0), -EINVAL);
	/* nothing changed: no parameter is an override yet */
	assert_int_not_equal(iommusim_cost_origin(f->cost, walk), IOMMUSIM_COST_FROM_SET);
	assert_true(iommusim_study_varies(f->cost, walk, 0));
}

/*
 * A draw sets the EST parameters to their values and nothing else: not the others, not the
 * user's overrides, not the fitted ones unless asked.
 */
static void expect_draw(struct fixture *f, unsigned int flags, const char *set)
{
	enum iommusim_cost_id set_id = id_of("qemu.walk_ns");
	uint64_t before[IOMMUSIM_COST_NR];
	bool varies[IOMMUSIM_COST_NR];
	size_t nfitted = 0;

	for (uint32_t k = 0; k < 5; k++) {
		resolve(f, "kvm", &set, 1);
		for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
			before[i] = iommusim_cost_get(f->cost, (enum iommusim_cost_id)i);
			varies[i] = iommusim_study_varies(f->cost, (enum iommusim_cost_id)i, flags);
		}
		assert_false(varies[set_id]);
		assert_int_equal(
			iommusim_study_lhs_apply(f->cost, 9, 5, k, flags, f->err, sizeof(f->err)),
			0);
		for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
			const struct iommusim_cost_param *p =
				iommusim_cost_param((enum iommusim_cost_id)i);
			uint64_t now = iommusim_cost_get(f->cost, (enum iommusim_cost_id)i);
			bool fitted = p->flags & IOMMUSIM_COST_FITTED;

			/*
			 * a KVM set draws what an s390 platform reads, no powerpc parameter and
			 * no other workload's than the NVMe loop
			 */
			assert_int_equal(varies[i],
					 (p->flags & IOMMUSIM_COST_EST) &&
						 !(p->flags & IOMMUSIM_COST_WORKLOAD) &&
						 i != set_id &&
						 (!fitted || (flags & IOMMUSIM_STUDY_FITTED)) &&
						 !powerpc_param(p));
			if (varies[i])
				assert_int_equal(
					now, iommusim_study_lhs_value(9, (enum iommusim_cost_id)i,
								      5, k, before[i]));
			else
				assert_int_equal(now, before[i]);
			nfitted += fitted && varies[i];
		}
	}
	assert_int_equal(nfitted > 0, (flags & IOMMUSIM_STUDY_FITTED) != 0);
}

static void test_study_lhs_apply_holds_sets_and_fitted(void **state)
{
	struct fixture *f = *state;
	enum iommusim_cost_id ids[IOMMUSIM_COST_NR];
	size_t fitted = 0, all, est = est_params(ids), est390 = 0;

	for (size_t i = 0; i < est; i++) {
		const struct iommusim_cost_param *p = iommusim_cost_param(ids[i]);

		fitted += (p->flags & IOMMUSIM_COST_FITTED) != 0;
		/* another workload's parameters are never drawn */
		est390 += !powerpc_param(p) && !(p->flags & IOMMUSIM_COST_WORKLOAD);
	}
	if (!fitted)
		skip();
	expect_draw(f, 0, "qemu.walk_ns=200");
	expect_draw(f, IOMMUSIM_STUDY_FITTED, "qemu.walk_ns=200");
	assert_int_equal(iommusim_cost_get(f->cost, id_of("qemu.walk_ns")), 200);
	/* After a draw its values are overrides: the set must be resolved again for the next. */
	all = iommusim_study_params(f->cost, IOMMUSIM_STUDY_FITTED, NULL, 0);
	assert_int_equal(all, 0);
	/* The listing: every EST parameter an s390 machine reads, the fitted ones on request. */
	resolve(f, "kvm", NULL, 0);
	assert_int_equal(
		iommusim_study_params(f->cost, IOMMUSIM_STUDY_FITTED, ids, IOMMUSIM_COST_NR),
		est390);
	assert_int_equal(iommusim_study_params(f->cost, 0, ids, IOMMUSIM_COST_NR), est390 - fitted);
}

static void test_study_lhs_bools_balanced(void **state)
{
	enum iommusim_cost_id ids[IOMMUSIM_COST_NR];
	size_t nids = est_params(ids), nbools = 0;

	(void)state;
	for (size_t i = 0; i < nids; i++) {
		if (iommusim_cost_param(ids[i])->unit != IOMMUSIM_COST_UNIT_BOOL)
			continue;
		nbools++;
		for (uint32_t n = 1; n <= 31; n++) {
			uint32_t ones = 0;

			for (uint32_t k = 0; k < n; k++)
				ones += (uint32_t)iommusim_study_lhs_value(5, ids[i], n, k, 0);
			/* half each; an odd n's middle stratum goes either way */
			assert_true(ones == n / 2 || ones == (n + 1) / 2);
			if (n % 2 == 0)
				assert_int_equal(ones, n / 2);
		}
	}
	assert_true(nbools > 0);
}

/* No EST parameter is a power of two today; dma.fq_size shows the mapping all the same. */
static void test_study_lhs_pow2(void **state)
{
	enum iommusim_cost_id fq = id_of("dma.fq_size");
	const struct iommusim_cost_param *p = iommusim_cost_param(fq);

	(void)state;
	assert_true(p->flags & IOMMUSIM_COST_POW2);
	for (uint32_t k = 0; k < 64; k++) {
		/* centred on the middle of the range, the mapping is the plain linear one */
		uint64_t v = iommusim_study_lhs_value(11, fq, 64, k, p->max / 2);
		double want = iommusim_study_lhs_point(11, fq, 64, k, NULL) * (double)p->max;

		assert_true(v >= 1 && v <= p->max && (v & (v - 1)) == 0);
		/* the nearest power of two: the other neighbour is no closer */
		assert_true(fabs((double)v - want) <= fabs((double)v * 2 - want) + 0.5);
		assert_true(v == 1 || fabs((double)v - want) <= fabs((double)v / 2 - want) + 0.5);
	}
}

static void test_study_percentile_by_hand(void **state)
{
	double x[] = {5, 1, 4, 2, 3};
	double two[] = {10, 20};
	double one[] = {7};

	(void)state;
	iommusim_study_sort(x, 5);
	for (int i = 0; i < 5; i++)
		assert_true(x[i] == i + 1);
	/* h = 4 p / 100: p5 -> 0.2, between 1 and 2; p95 -> 3.8, between 4 and 5 */
	assert_true(fabs(iommusim_study_percentile(x, 5, 5) - 1.2) < 1e-12);
	assert_true(iommusim_study_percentile(x, 5, 50) == 3);
	assert_true(fabs(iommusim_study_percentile(x, 5, 95) - 4.8) < 1e-12);
	assert_true(iommusim_study_percentile(x, 5, 0) == 1);
	assert_true(iommusim_study_percentile(x, 5, 100) == 5);
	assert_true(iommusim_study_percentile(x, 5, 25) == 2);
	assert_true(iommusim_study_percentile(two, 2, 25) == 12.5);
	assert_true(iommusim_study_percentile(one, 1, 95) == 7);
	assert_true(isnan(iommusim_study_percentile(x, 0, 50)));
	assert_true(isnan(iommusim_study_percentile(x, 5, 101)));
	assert_true(isnan(iommusim_study_percentile(x, 5, NAN)));
}

static void test_study_mean_and_interval_by_hand(void **state)
{
	double x[] = {1, 2, 3, 4};
	double same[] = {0.1, 0.1, 0.1};

	(void)state;
	assert_true(iommusim_study_mean(x, 4) == 2.5);
	assert_true(isnan(iommusim_study_mean(x, 0)));
	/* s^2 = (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3; t(3) = 3.182; half = 3.182 s / 2 */
	assert_true(fabs(iommusim_study_ci95(x, 4) - 3.182 * sqrt(5.0 / 3.0) / 2.0) < 1e-12);
	assert_true(fabs(iommusim_study_ci95(x, 4) - 2.054) < 1e-3);
	/* two samples: t(1) = 12.706, s = |a - b| / sqrt 2, half = 12.706 * 0.5 */
	assert_true(fabs(iommusim_study_ci95(x, 2) - 6.353) < 1e-12);
	assert_true(isnan(iommusim_study_ci95(x, 1)));
	assert_true(iommusim_study_ci95(same, 3) == 0.0);
	assert_true(isnan(iommusim_study_t95(0)));
	assert_true(iommusim_study_t95(1) == 12.706);
	assert_true(iommusim_study_t95(9) == 2.262);
	assert_true(iommusim_study_t95(30) == 2.042);
	assert_true(iommusim_study_t95(39) == 2.042);
	assert_true(iommusim_study_t95(40) == 2.021);
	assert_true(iommusim_study_t95(119) == 2.000);
	assert_true(iommusim_study_t95(999) == 1.980);
	assert_true(iommusim_study_t95(1000) == 1.960);
	for (size_t df = 2; df < 2000; df++)
		assert_true(iommusim_study_t95(df) <= iommusim_study_t95(df - 1));
}

static void test_study_rank_by_hand(void **state)
{
	double x[] = {5, 7, 7, 1, NAN};

	(void)state;
	assert_int_equal(iommusim_study_rank(x, 4, 0), 3);
	assert_int_equal(iommusim_study_rank(x, 4, 1), 1);
	assert_int_equal(iommusim_study_rank(x, 4, 2), 1);
	assert_int_equal(iommusim_study_rank(x, 4, 3), 4);
	assert_int_equal(iommusim_study_rank(x, 5, 3), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_study_lhs_every_stratum_once),
		cmocka_unit_test(test_study_lhs_values_in_range),
		cmocka_unit_test(test_study_lhs_centre_is_the_median),
		cmocka_unit_test(test_study_lhs_deterministic_per_seed),
		cmocka_unit_test(test_study_lhs_parameters_independent),
		cmocka_unit_test_setup_teardown(test_study_lhs_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_study_lhs_apply_holds_sets_and_fitted, setup,
						teardown),
		cmocka_unit_test(test_study_lhs_bools_balanced),
		cmocka_unit_test(test_study_lhs_pow2),
		cmocka_unit_test(test_study_percentile_by_hand),
		cmocka_unit_test(test_study_mean_and_interval_by_hand),
		cmocka_unit_test(test_study_rank_by_hand),
	};

	return cmocka_run_group_tests_name("study", tests, NULL, NULL);
}
