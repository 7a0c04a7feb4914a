/* SPDX-License-Identifier: MIT */
/*
 * A log-linear histogram of 64-bit values (latencies in ns): exact below
 * 64, then 64 buckets per power of two, so every value is kept within
 * 1/64 of itself, with fixed memory (30 KiB) however many samples come.
 */
#ifndef FPGACAP_HISTOGRAM_H
#define FPGACAP_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB (1U << HIST_SUB_BITS)
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct histogram {
	uint64_t count, min, max, sum;
	uint64_t bucket[HIST_BUCKETS];
};

void hist_add(struct histogram *h, uint64_t v);
/* The value at @pct (0..100), nearest rank; 0 when empty. */
uint64_t hist_percentile(const struct histogram *h, double pct);

#endif /* FPGACAP_HISTOGRAM_H */
