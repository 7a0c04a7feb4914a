/* SPDX-License-Identifier: MIT */
/*
 * A client's channels out of the device's samples. The stream carries
 * every channel of the configuration; a libiio client that enabled a
 * subset expects samples holding only its channels, laid out by libiio's
 * rule (each enabled element in scan order, aligned to its own storage
 * size). Where that layout is the full sample's (every element enabled),
 * nothing is copied and the session keeps its zero-copy path; otherwise
 * each sample's enabled elements are copied out, as runs that merge
 * neighbours adjacent on both sides.
 *
 * Pure bookkeeping and copying: no device, no socket; the host unit tests
 * drive it.
 */
#ifndef FPGACAP_IIOD_DEMUX_H
#define FPGACAP_IIOD_DEMUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct iiod_run {
	uint32_t src;			/* offset in the device's sample */
	uint32_t dst;			/* offset in the client's sample */
	uint32_t len;
};

struct iiod_demux {
	uint32_t in_size;		/* the device's sample, every channel */
	uint32_t out_size;		/* the client's sample */
	bool identity;			/* the same layout: nothing to copy */
	bool padded;			/* out has bytes no run writes */
	unsigned int enabled;		/* channels the client enabled */
	unsigned int nruns;
	struct iiod_run runs[IIOD_MAX_CHANNELS];
};

/*
 * The layout for the channels in @mask (bit i: ch[i], channels in scan
 * order as iiod_channels_check() leaves them; @words 32-bit words, least
 * significant first). -EINVAL for an empty mask or a bit past @n.
 */
int iiod_demux_init(struct iiod_demux *d, const struct iiod_channel *ch,
		    unsigned int n, const uint32_t *mask, unsigned int words);

/* Copy the client's part of @nsamples whole samples from @in to @out. */
void iiod_demux_run(const struct iiod_demux *d, const void *in,
		    size_t nsamples, void *out);

/*
 * The same over a stream cut anywhere (pool buffers need not hold whole
 * samples): @len bytes at @in continue the stream; a sample cut at the
 * end waits in @carry (in_size bytes), *carry_len of it filled, for the
 * next call. Returns the samples written to @out.
 */
size_t iiod_demux_feed(const struct iiod_demux *d, char *carry,
		       uint32_t *carry_len, const void *in, size_t len,
		       void *out);

#endif /* FPGACAP_IIOD_DEMUX_H */
