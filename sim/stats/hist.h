/* SPDX-License-Identifier: MIT */
/*
 * A log-linear latency histogram over uint64 values (cycles): exact below 64, then 64 equal
 * sub-buckets per power of two, so a bucket's width is at most 1/64 of its lower bound.
 * Recording is O(1) and allocation-free; the histogram is a plain value to embed.
 */
#ifndef ISIM_STATS_HIST_H
#define ISIM_STATS_HIST_H

#include <stdint.h>

/* Sub-buckets per power of two (and the exact values below it). */
#define ISIM_HIST_SUB_BITS 6
#define ISIM_HIST_SUB	   (1u << ISIM_HIST_SUB_BITS)
/* Exact buckets 0..63, then 64 per power of two for msb 6..63. */
#define ISIM_HIST_BUCKETS (ISIM_HIST_SUB + (64 - ISIM_HIST_SUB_BITS) * ISIM_HIST_SUB)

/*
 * @sum is exact while it fits in 64 bits (2^64 cycles is over a century at 5 GHz); @min and
 * @max are exact; both are 0 while @count is 0.
 */
struct isim_hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t bucket[ISIM_HIST_BUCKETS];
};

/* Empty the histogram. */
void isim_hist_reset(struct isim_hist *h);

/* The bucket holding @v. */
static inline unsigned int isim_hist_index(uint64_t v)
{
	unsigned int msb;

	if (v < ISIM_HIST_SUB)
		return (unsigned int)v;
	msb = 63u - (unsigned int)__builtin_clzll(v);
	/* The top ISIM_HIST_SUB_BITS + 1 bits: the leading one and the sub-bucket. */
	return ISIM_HIST_SUB + (msb - ISIM_HIST_SUB_BITS) * ISIM_HIST_SUB +
	       (unsigned int)(v >> (msb - ISIM_HIST_SUB_BITS)) - ISIM_HIST_SUB;
}

/* Count one value. */
static inline void isim_hist_record(struct isim_hist *h, uint64_t v)
{
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
	h->bucket[isim_hist_index(v)]++;
}

/* Add the values recorded in @from to @to, as if @to had recorded them too. */
void isim_hist_add(struct isim_hist *to, const struct isim_hist *from);

/* Smallest value that falls in bucket @i (< ISIM_HIST_BUCKETS). */
uint64_t isim_hist_bucket_low(unsigned int i);

/* Largest value that falls in bucket @i (< ISIM_HIST_BUCKETS). */
uint64_t isim_hist_bucket_high(unsigned int i);

/* Mean of the values recorded; 0 when empty. */
double isim_hist_mean(const struct isim_hist *h);

/*
 * The @num/@den quantile (0 < @num <= @den; 99/100 for p99): the upper bound of the bucket
 * holding the value of rank ceil(count * @num / @den), ranks counted from 1 in ascending order,
 * or the largest value recorded if that is lower. So min <= quantile <= max, and the quantile
 * is at most 1/64 (1.6 %) above the true value of that rank. Integer arithmetic, so no
 * rounding of the quantile moves the rank. 0 when empty.
 */
uint64_t isim_hist_quantile(const struct isim_hist *h, uint64_t num, uint64_t den);

#endif /* ISIM_STATS_HIST_H */
