/* SPDX-License-Identifier: MIT */
/**
 * @file study.h  Uncertainty studies: Latin hypercube draws of the estimated costs, and the
 * statistics to summarise repeated runs.
 *
 * Every estimated parameter (IOMMUSIM_COST_EST) is known only as a range [min, max], so a
 * prediction is a range too. A study resolves a cost set as usual (profile, scenario settings,
 * the user's overrides), then runs it N times, each time with every estimated parameter set to
 * one draw of an N-point Latin hypercube: per parameter, [min, max] is cut into N equal
 * strata, each stratum is used by exactly one draw, and within its stratum the point is
 * uniform. The points map onto the range with the parameter's resolved value as their median:
 * half of them spread uniformly below it, half above, because the cost table's ranges are
 * seldom symmetric around the value the model uses (iommusim_study_lhs_value()). The bands a
 * study reports are therefore centred on the model's own answer.
 *
 * Parameters marked IOMMUSIM_COST_FITTED were fitted to published observations and are held
 * at their resolved value unless the caller asks for them (IOMMUSIM_STUDY_FITTED). Parameters
 * whose origin is IOMMUSIM_COST_FROM_SET (a scenario's settings and the user's overrides) are
 * never drawn: an explicit value is what the user wants studied.
 *
 * Draws are pure functions of (seed, parameter name, N, draw index): the same on every
 * machine and in any order or thread, and adding a parameter to the table does not change
 * the draws of the others.
 */
#ifndef IOMMUSIM_STUDY_H
#define IOMMUSIM_STUDY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <iommusim/cost.h>
#include <iommusim/export.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Draw the IOMMUSIM_COST_FITTED parameters too (they are held at their value otherwise). */
#define IOMMUSIM_STUDY_FITTED (1u << 0)

/** Largest number of draws in one hypercube. */
#define IOMMUSIM_STUDY_MAX_DRAWS (1u << 30)

/**
 * iommusim_study_varies() - whether a draw changes a parameter of a cost set.
 * @cost:  the resolved set.
 * @id:    the parameter.
 * @flags: 0 or IOMMUSIM_STUDY_FITTED.
 *
 * Return: true for an IOMMUSIM_COST_EST parameter whose origin is not IOMMUSIM_COST_FROM_SET,
 * that a platform of the architecture of @cost's profile reads (iommusim_platform_reads(); any
 * when @cost has no profile) and, unless @flags has IOMMUSIM_STUDY_FITTED, that is not
 * IOMMUSIM_COST_FITTED; false otherwise (and for an out-of-range @id).
 */
IOMMUSIM_API bool iommusim_study_varies(const struct iommusim_cost *cost, enum iommusim_cost_id id,
					unsigned int flags);

/**
 * iommusim_study_params() - the parameters a draw changes, in table order.
 * @cost:  the resolved set.
 * @flags: 0 or IOMMUSIM_STUDY_FITTED.
 * @ids:   receives up to @max ids (may be NULL when @max is 0).
 * @max:   room in @ids; IOMMUSIM_COST_NR is always enough.
 *
 * Return: how many parameters iommusim_study_varies() accepts (which may exceed @max).
 */
IOMMUSIM_API size_t iommusim_study_params(const struct iommusim_cost *cost, unsigned int flags,
					  enum iommusim_cost_id *ids, size_t max);

/**
 * iommusim_study_lhs_point() - where draw @k of an @n-draw hypercube puts a parameter, as a
 * fraction of its range.
 * @seed:    the study's seed.
 * @id:      the parameter.
 * @n:       draws in the hypercube, 1 to IOMMUSIM_STUDY_MAX_DRAWS.
 * @k:       the draw, below @n.
 * @stratum: if not NULL, receives the draw's stratum, in [0, @n).
 *
 * Per parameter, a keyed pseudo-random permutation of the @n strata (a Feistel network over
 * the next power of four, cycle-walked into [0, @n)) assigns draw @k its stratum s, and
 * u, uniform in [0, 1) and a multiple of 2^-53, places it within: the point is (s + u) / @n.
 * Both come from iommusim_rng streams seeded with @seed and a hash of the parameter's name,
 * so a draw is computed alone, without the others and without allocating.
 *
 * Return: the point in [0, 1] (1 only when rounding carries the top stratum there); NaN for
 * a bad @id, @n or @k.
 */
IOMMUSIM_API double iommusim_study_lhs_point(uint64_t seed, enum iommusim_cost_id id, uint32_t n,
					     uint32_t k, uint32_t *stratum);

/**
 * iommusim_study_lhs_value() - the value draw @k of an @n-draw hypercube gives a parameter.
 * @seed:   the study's seed.
 * @id:     the parameter (any, drawn or not: this only maps the point onto its range).
 * @n:      draws in the hypercube.
 * @k:      the draw, below @n.
 * @centre: the value the draws are centred on (the resolved value; the parameter's default
 *          when outside [min, max]).
 *
 * With p = iommusim_study_lhs_point() and the parameter's [min, max]:
 * - a bool is 0 for p < 0.5 and 1 otherwise (so @n draws hold @n / 2 zeros, rounded down
 *   or up);
 * - a choice is value min + floor(p * (max - min + 1)), each choice an equal share;
 * - anything else is min + 2p (centre - min) for p < 0.5 and
 *   centre + (2p - 1)(max - centre) otherwise, rounded to the nearest integer (halves up):
 *   @centre is the median of the draws, each half of the range gets half of them; a
 *   IOMMUSIM_COST_POW2 value then goes to the nearest power of two in [min, max] (the smaller
 *   on a tie);
 * always clamped to [min, max].
 *
 * Return: the value; the parameter's default for a bad @id, @n or @k.
 */
IOMMUSIM_API uint64_t iommusim_study_lhs_value(uint64_t seed, enum iommusim_cost_id id, uint32_t n,
					       uint32_t k, uint64_t centre);

/**
 * iommusim_study_lhs_apply() - set every drawn parameter of a cost set to draw @k.
 * @cost:   a freshly resolved set (profile, scenario, overrides applied).
 * @seed:   the study's seed.
 * @n:      draws in the hypercube, 1 to IOMMUSIM_STUDY_MAX_DRAWS.
 * @k:      the draw, below @n.
 * @flags:  0 or IOMMUSIM_STUDY_FITTED.
 * @errbuf: receives a one-line message on failure (may be NULL).
 * @errlen: size of @errbuf.
 *
 * Each parameter iommusim_study_varies() accepts gets iommusim_study_lhs_value(), through
 * iommusim_cost_set_value() so that it is checked like any override. Those values become
 * overrides (origin IOMMUSIM_COST_FROM_SET), so a second draw on the same set would change
 * nothing: resolve the set again (iommusim_scenario_configure()) for every draw.
 *
 * Return: 0; -EINVAL for a bad @n or @k (@cost unchanged); -ERANGE if a value was refused
 * (cannot happen with the built-in table; the parameters before it are set).
 */
IOMMUSIM_API int iommusim_study_lhs_apply(struct iommusim_cost *cost, uint64_t seed, uint32_t n,
					  uint32_t k, unsigned int flags, char *errbuf,
					  size_t errlen);

/**
 * iommusim_study_sort() - sort doubles into ascending order, in place.
 * @x: the values; NaNs go last.
 * @n: how many.
 */
IOMMUSIM_API void iommusim_study_sort(double *x, size_t n);

/**
 * iommusim_study_percentile() - a percentile of sorted values, interpolated between the
 * closest ranks (Hyndman and Fan's type 7: R's default, Excel's PERCENTILE.INC, numpy's
 * "linear").
 * @sorted: @n values in ascending order.
 * @n:      how many, at least 1.
 * @pct:    the percentile, 0 to 100.
 *
 * With h = (@n - 1) * @pct / 100 and i = floor(h), the result is
 * sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]), or sorted[@n - 1] when i = @n - 1.
 * So the 0th is the smallest value, the 100th the largest, the 50th the median.
 *
 * Return: the percentile; NaN when @n is 0 or @pct is outside [0, 100].
 */
IOMMUSIM_API double iommusim_study_percentile(const double *sorted, size_t n, double pct);

/**
 * iommusim_study_mean() - the arithmetic mean, summed in index order.
 * Return: the mean; NaN when @n is 0.
 */
IOMMUSIM_API double iommusim_study_mean(const double *x, size_t n);

/**
 * iommusim_study_t95() - the two-sided 95 % quantile of Student's t (t at 0.975).
 * @df: degrees of freedom, at least 1.
 *
 * Tabulated to three decimals for 1 to 30 degrees of freedom and for 40, 60 and 120; a df in
 * between takes the value of the tabulated df below it (31 to 39 that of 30, and so on up to
 * 999 with that of 120), which errs on the wide side by less than 1 %; from 1000 on, the
 * normal quantile 1.96.
 *
 * Return: the quantile; NaN for 0.
 */
IOMMUSIM_API double iommusim_study_t95(size_t df);

/**
 * iommusim_study_ci95() - half the width of the 95 % confidence interval of a mean.
 * @x: the samples (independent runs, e.g. one per seed).
 * @n: how many.
 *
 * t95(@n - 1) * s / sqrt(@n), with s the sample standard deviation (divisor @n - 1): the
 * interval mean +- this holds the true mean 95 % of the time if the samples are normal.
 *
 * Return: the half-width (0 when all samples are equal); NaN when @n < 2, which gives no
 * interval.
 */
IOMMUSIM_API double iommusim_study_ci95(const double *x, size_t n);

/**
 * iommusim_study_rank() - the rank of one value among others, largest first.
 * @x:     the values (e.g. IOPS of each policy on a platform).
 * @n:     how many.
 * @index: the one ranked, below @n.
 *
 * Competition ranking: 1 + the number of values strictly larger, so equal values share a
 * rank ("1224"). NaN values are never larger.
 *
 * Return: the rank, 1 to @n.
 */
IOMMUSIM_API size_t iommusim_study_rank(const double *x, size_t n, size_t index);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_STUDY_H */
