/* SPDX-License-Identifier: MIT */
/*
 * The one clock of libfpgacap, its tools and the bench: CLOCK_MONOTONIC in
 * nanoseconds, the clock the driver stamps buffers with.
 */
#ifndef FPGACAP_COMMON_CLOCK_H
#define FPGACAP_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t fc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#endif /* FPGACAP_COMMON_CLOCK_H */
