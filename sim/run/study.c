/* SPDX-License-Identifier: MIT */
/*
 * Uncertainty studies (study.h): Latin hypercube draws of the estimated cost parameters, and
 * the small statistics that summarise repeated runs (percentiles, means, t intervals, ranks).
 * Only integer and basic IEEE arithmetic (and sqrt, which IEEE rounds exactly), so a study
 * gives the same numbers on every machine.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <iommusim/engine.h>
#include <iommusim/platform.h>
#include <iommusim/study.h>

#define FEISTEL_ROUNDS 6

/*
 * Everything a parameter's draws need, derived from (seed, name): the keys of its
 * permutation of strata and the seed of its within-stratum offsets.
 */
struct lhs_keys {
	uint64_t round[FEISTEL_ROUNDS];
	uint64_t offset_seed;
};

/*
 * FNV-1a of the parameter's name: the stream is tied to the name, not to the position in the
 * table, so inserting a parameter leaves the others' draws alone.
 */
static uint64_t name_hash(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *name; name++) {
		h ^= (unsigned char)*name;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* A 64-bit finaliser (the one splitmix64 ends with): every input bit moves every output bit. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void lhs_keys(uint64_t seed, const struct iommusim_cost_param *p, struct lhs_keys *k)
{
	struct iommusim_rng r;

	iommusim_rng_seed(&r, seed, name_hash(p->name));
	for (int i = 0; i < FEISTEL_ROUNDS; i++)
		k->round[i] = iommusim_rng_u64(&r);
	k->offset_seed = iommusim_rng_u64(&r);
}

/*
 * A balanced Feistel network on 2 * @half bits is a bijection whatever its round function;
 * keyed by the parameter's stream it is a pseudo-random permutation of [0, 4^@half).
 */
static uint64_t feistel(const struct lhs_keys *k, unsigned int half, uint64_t x)
{
	uint64_t mask = (1ull << half) - 1, left = x >> half, right = x & mask;

	for (int i = 0; i < FEISTEL_ROUNDS; i++) {
		uint64_t next = left ^ (mix64(right ^ k->round[i]) & mask);

		left = right;
		right = next;
	}
	return (left << half) | right;
}

/*
 * Draw @k's stratum: the permutation of [0, 4^half), with 4^half < 4n, restricted to [0, n)
 * by cycle walking (apply it again until the result falls below n). The restriction of a
 * permutation by cycle walking is a permutation, so every stratum gets exactly one draw;
 * fewer than four steps are needed on average. This is why a draw needs neither the others
 * nor an array of n entries.
 */
static uint32_t stratum_of(const struct lhs_keys *keys, uint32_t n, uint32_t k)
{
	unsigned int half = 1;
	uint64_t x = k;

	while ((1ull << (2 * half)) < n)
		half++;
	do
		x = feistel(keys, half, x);
	while (x >= n);
	return (uint32_t)x;
}

double iommusim_study_lhs_point(uint64_t seed, enum iommusim_cost_id id, uint32_t n, uint32_t k,
				uint32_t *stratum)
{
	const struct iommusim_cost_param *p = iommusim_cost_param(id);
	struct lhs_keys keys;
	struct iommusim_rng r;
	uint32_t s;
	double u;

	if (!p || n == 0 || n > IOMMUSIM_STUDY_MAX_DRAWS || k >= n)
		return NAN;
	lhs_keys(seed, p, &keys);
	s = stratum_of(&keys, n, k);
	/* The offset within the stratum: its own stream per draw, so draws stay independent. */
	iommusim_rng_seed(&r, keys.offset_seed, k);
	u = iommusim_rng_double(&r);
	if (stratum)
		*stratum = s;
	return ((double)s + u) / (double)n;
}

static uint64_t top_bit(uint64_t v)
{
	return 1ull << (63 - __builtin_clzll(v));
}

/*
 * The power of two nearest @v within [@min, @max], the smaller on a tie; @min itself when
 * the range holds none (the table has no such range, and the set would refuse it).
 */
static uint64_t nearest_pow2(uint64_t v, uint64_t min, uint64_t max)
{
	uint64_t first, last, lo, hi;

	if (max == 0)
		return min;
	last = top_bit(max);
	/* IOMMUSIM_COST_POW2 values start at 2 */
	if (min <= 2)
		first = 2;
	else if (min == top_bit(min))
		first = min;
	else
		first = top_bit(min) == last ? 0 : top_bit(min) << 1;
	if (!first || first > last)
		return min;
	if (v <= first || v >= last)
		return v <= first ? first : last;
	/* first < v < last: both neighbours of v are powers of two inside the range. */
	lo = top_bit(v);
	if (lo == v)
		return v;
	hi = lo << 1;
	return v - lo <= hi - v ? lo : hi;
}

/*
 * A point of [0, 1] onto [min, max] with @centre as its median: the lower half of the points
 * spreads uniformly over [min, centre], the upper half over [centre, max]. The cost table's
 * ranges are seldom symmetric around their value (nvme.complete_ns is 2000 in [500, 10000]);
 * uniform over the whole range would put most draws on one side of the model's own value.
 */
static double centred(double pt, double min, double centre, double max)
{
	if (pt < 0.5)
		return min + 2.0 * pt * (centre - min);
	return centre + (2.0 * pt - 1.0) * (max - centre);
}

static uint64_t map_value(const struct iommusim_cost_param *p, double pt, uint64_t centre)
{
	double span = (double)(p->max - p->min), x;
	uint64_t v;

	if (centre < p->min || centre > p->max)
		centre = p->default_value;
	switch (p->unit) {
	case IOMMUSIM_COST_UNIT_BOOL:
		v = pt < 0.5 ? 0 : 1;
		break;
	case IOMMUSIM_COST_UNIT_CHOICE:
		x = pt * (span + 1.0);
		v = x >= span ? p->max : p->min + (uint64_t)x;
		break;
	default:
		/* Non-negative, so adding a half and truncating rounds halves up. */
		x = centred(pt, 0.0, (double)(centre - p->min), span) + 0.5;
		v = x >= 0x1p64 ? p->max : p->min + (uint64_t)x;
		break;
	}
	if (v < p->min || v > p->max)
		v = v < p->min ? p->min : p->max;
	if (p->flags & IOMMUSIM_COST_POW2)
		v = nearest_pow2(v, p->min, p->max);
	return v;
}

uint64_t iommusim_study_lhs_value(uint64_t seed, enum iommusim_cost_id id, uint32_t n, uint32_t k,
				  uint64_t centre)
{
	const struct iommusim_cost_param *p = iommusim_cost_param(id);
	double pt = iommusim_study_lhs_point(seed, id, n, k, NULL);

	if (!p)
		return 0;
	return isnan(pt) ? p->default_value : map_value(p, pt, centre);
}

bool iommusim_study_varies(const struct iommusim_cost *cost, enum iommusim_cost_id id,
			   unsigned int flags)
{
	const struct iommusim_cost_param *p = iommusim_cost_param(id);

	/* a parameter of another workload than the NVMe loop changes nothing the study runs */
	if (!p || !(p->flags & IOMMUSIM_COST_EST) || (p->flags & IOMMUSIM_COST_WORKLOAD) ||
	    !iommusim_platform_set_reads(cost, id))
		return false;
	if ((p->flags & IOMMUSIM_COST_FITTED) && !(flags & IOMMUSIM_STUDY_FITTED))
		return false;
	return iommusim_cost_origin(cost, id) != IOMMUSIM_COST_FROM_SET;
}

size_t iommusim_study_params(const struct iommusim_cost *cost, unsigned int flags,
			     enum iommusim_cost_id *ids, size_t max)
{
	size_t n = 0;

	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		if (!iommusim_study_varies(cost, (enum iommusim_cost_id)i, flags))
			continue;
		if (n < max)
			ids[n] = (enum iommusim_cost_id)i;
		n++;
	}
	return n;
}

int iommusim_study_lhs_apply(struct iommusim_cost *cost, uint64_t seed, uint32_t n, uint32_t k,
			     unsigned int flags, char *errbuf, size_t errlen)
{
	enum iommusim_cost_id ids[IOMMUSIM_COST_NR];
	size_t nids;
	int err;

	if (n == 0 || n > IOMMUSIM_STUDY_MAX_DRAWS || k >= n) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "draw %u of %u is not a draw", k, n);
		return -EINVAL;
	}
	/* Listed first: each value set becomes an override, which the listing would skip. */
	nids = iommusim_study_params(cost, flags, ids, IOMMUSIM_COST_NR);
	for (size_t i = 0; i < nids; i++) {
		uint64_t centre = iommusim_cost_get(cost, ids[i]);

		err = iommusim_cost_set_value(cost, ids[i],
					      iommusim_study_lhs_value(seed, ids[i], n, k, centre),
					      errbuf, errlen);
		if (err)
			return err;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	return (x > y) - (x < y);
}

void iommusim_study_sort(double *x, size_t n)
{
	if (n > 1)
		qsort(x, n, sizeof(*x), cmp_double);
}

double iommusim_study_percentile(const double *sorted, size_t n, double pct)
{
	double h, f;
	size_t i;

	if (n == 0 || !(pct >= 0.0 && pct <= 100.0))
		return NAN;
	h = (double)(n - 1) * pct / 100.0;
	i = (size_t)h;
	if (i >= n - 1)
		return sorted[n - 1];
	f = h - (double)i;
	return sorted[i] + f * (sorted[i + 1] - sorted[i]);
}

double iommusim_study_mean(const double *x, size_t n)
{
	double sum = 0.0;

	if (n == 0)
		return NAN;
	for (size_t i = 0; i < n; i++)
		sum += x[i];
	return sum / (double)n;
}

double iommusim_study_t95(size_t df)
{
	/* t(0.975, df) for df = 1..30, then the anchors 40, 60, 120. */
	static const double small[30] = {
		12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
		2.201,	2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
		2.080,	2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
	};

	if (df == 0)
		return NAN;
	if (df <= 30)
		return small[df - 1];
	if (df < 40)
		return small[29];
	if (df < 60)
		return 2.021;
	if (df < 120)
		return 2.000;
	if (df < 1000)
		return 1.980;
	return 1.960;
}

double iommusim_study_ci95(const double *x, size_t n)
{
	double mean, ss = 0.0;
	bool equal = true;

	if (n < 2)
		return NAN;
	/* Exactly 0 for equal samples, which the mean's rounding could otherwise blur. */
	for (size_t i = 1; i < n; i++)
		equal = equal && x[i] == x[0];
	if (equal)
		return 0.0;
	mean = iommusim_study_mean(x, n);
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - mean) * (x[i] - mean);
	return iommusim_study_t95(n - 1) * sqrt(ss / (double)(n - 1)) / sqrt((double)n);
}

size_t iommusim_study_rank(const double *x, size_t n, size_t index)
{
	size_t rank = 1;

	for (size_t i = 0; i < n; i++)
		if (x[i] > x[index])
			rank++;
	return rank;
}
