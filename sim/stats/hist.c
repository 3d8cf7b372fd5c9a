/* SPDX-License-Identifier: MIT */
/* The latency histogram's bucket bounds, mean and quantiles (recording is inline in hist.h). */
#include <assert.h>
#include <string.h>

#include "stats/hist.h"

__extension__ typedef unsigned __int128 u128;

void isim_hist_reset(struct isim_hist *h)
{
	memset(h, 0, sizeof(*h));
}

/* Bucket @i >= ISIM_HIST_SUB covers [mantissa << shift, ((mantissa + 1) << shift) - 1]. */
static void bucket_shape(unsigned int i, uint64_t *mantissa, unsigned int *shift)
{
	unsigned int k = i - ISIM_HIST_SUB;

	*shift = k / ISIM_HIST_SUB;
	*mantissa = ISIM_HIST_SUB + k % ISIM_HIST_SUB;
}

uint64_t isim_hist_bucket_low(unsigned int i)
{
	uint64_t mantissa;
	unsigned int shift;

	assert(i < ISIM_HIST_BUCKETS);
	if (i < ISIM_HIST_SUB)
		return i;
	bucket_shape(i, &mantissa, &shift);
	return mantissa << shift;
}

uint64_t isim_hist_bucket_high(unsigned int i)
{
	uint64_t mantissa;
	unsigned int shift;

	assert(i < ISIM_HIST_BUCKETS);
	if (i < ISIM_HIST_SUB)
		return i;
	bucket_shape(i, &mantissa, &shift);
	/* Written so that the last bucket ends at UINT64_MAX without overflowing. */
	return (mantissa << shift) + ((1ull << shift) - 1);
}

void isim_hist_add(struct isim_hist *to, const struct isim_hist *from)
{
	if (!from->count)
		return;
	if (!to->count || from->min < to->min)
		to->min = from->min;
	if (from->max > to->max)
		to->max = from->max;
	to->count += from->count;
	to->sum += from->sum;
	for (unsigned int i = 0; i < ISIM_HIST_BUCKETS; i++)
		to->bucket[i] += from->bucket[i];
}

double isim_hist_mean(const struct isim_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

uint64_t isim_hist_quantile(const struct isim_hist *h, uint64_t num, uint64_t den)
{
	uint64_t rank, seen = 0;

	assert(den > 0 && num > 0 && num <= den);
	if (h->count == 0)
		return 0;
	rank = (uint64_t)(((u128)h->count * num + den - 1) / den);
	for (unsigned int i = 0; i < ISIM_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		/* no value recorded exceeds the maximum, so neither may a quantile */
		if (seen >= rank)
			return isim_hist_bucket_high(i) < h->max ? isim_hist_bucket_high(i)
								 : h->max;
	}
	/* Unreachable: the buckets add up to count. */
	assert(0 && "histogram buckets do not add up to its count");
	return h->max;
}
