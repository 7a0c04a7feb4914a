// SPDX-License-Identifier: MIT
/* Percentiles over every sample, in fixed memory (see histogram.h). */
#include "histogram.h"

static unsigned int bucket_of(uint64_t v)
{
	unsigned int e, shift;

	if (v < HIST_SUB)
		return (unsigned int)v;
	e = 63U - (unsigned int)__builtin_clzll(v);	/* >= HIST_SUB_BITS */
	shift = e - HIST_SUB_BITS;
	return (shift + 1) * HIST_SUB + (unsigned int)(v >> shift) - HIST_SUB;
}

/* The largest value that falls in bucket @b. */
static uint64_t bucket_top(unsigned int b)
{
	unsigned int shift;

	if (b < HIST_SUB)
		return b;
	shift = b / HIST_SUB - 1;
	return (((uint64_t)(b % HIST_SUB + HIST_SUB) + 1) << shift) - 1;
}

void hist_add(struct histogram *h, uint64_t v)
{
	if (!h->count || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
	h->bucket[bucket_of(v)]++;
}

uint64_t hist_percentile(const struct histogram *h, double pct)
{
	uint64_t rank, seen = 0, v;
	double exact;
	unsigned int b;

	if (!h->count)
		return 0;
	if (!(pct > 0))
		return h->min;
	if (pct >= 100)
		return h->max;
	/* Nearest rank: the smallest value with pct% of samples at or below. */
	exact = pct / 100.0 * (double)h->count;
	rank = (uint64_t)exact;
	if ((double)rank < exact || !rank)
		rank++;
	for (b = 0; b < HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= rank)
			break;
	}
	v = bucket_top(b < HIST_BUCKETS ? b : HIST_BUCKETS - 1);
	if (v > h->max)
		v = h->max;
	if (v < h->min)
		v = h->min;
	return v;
}
