// SPDX-License-Identifier: MIT
/* The client's channels out of the device's samples (see demux.h). */
#include <errno.h>
#include <string.h>

#include "demux.h"

/* libiio's rule: align to the element's storage, then add it. */
static uint32_t place(uint32_t *size, uint32_t len)
{
	uint32_t at = *size % len ? *size + len - *size % len : *size;

	*size = at + len;
	return at;
}

int iiod_demux_init(struct iiod_demux *d, const struct iiod_channel *ch,
		    unsigned int n, const uint32_t *mask, unsigned int words)
{
	uint32_t in = 0, out = 0, covered = 0;
	unsigned int i, j;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < words * 32; i++)
		if (mask[i / 32] >> (i % 32) & 1 && i >= n)
			return -EINVAL;
	/* Channels sharing an index share one stored element: it is in the
	 * client's sample if any of them is enabled. */
	for (i = 0; i < n; i = j) {
		uint32_t len = ch[i].length / 8 * ch[i].repeat, src;
		bool on = false;

		for (j = i; j < n && ch[j].index == ch[i].index; j++) {
			bool bit = mask[j / 32] >> (j % 32) & 1;

			on |= bit;
			d->enabled += bit;
		}
		src = place(&in, len);
		if (!on)
			continue;
		if (d->nruns) {
			struct iiod_run *r = &d->runs[d->nruns - 1];
			uint32_t dst = out % len ? out + len - out % len : out;

			if (r->src + r->len == src && r->dst + r->len == dst) {
				/* Adjacent on both sides: one longer run. */
				r->len += len;
				place(&out, len);
				covered += len;
				continue;
			}
		}
		d->runs[d->nruns].src = src;
		d->runs[d->nruns].dst = place(&out, len);
		d->runs[d->nruns].len = len;
		d->nruns++;
		covered += len;
	}
	if (!d->enabled)
		return -EINVAL;
	d->in_size = in;
	d->out_size = out;
	d->padded = covered != out;
	d->identity = in == out && d->nruns == 1 && d->runs[0].src == 0 &&
		      d->runs[0].dst == 0 && d->runs[0].len == in;
	return 0;
}

/* One run of one sample; small fixed sizes inline. */
static inline void copy_run(char *out, const char *in, uint32_t len)
{
	switch (len) {
	case 1: *out = *in; break;
	case 2: memcpy(out, in, 2); break;
	case 4: memcpy(out, in, 4); break;
	case 8: memcpy(out, in, 8); break;
	default: memcpy(out, in, len);
	}
}

void iiod_demux_run(const struct iiod_demux *d, const void *in,
		    size_t nsamples, void *out)
{
	const char *src = in;
	char *dst = out;
	size_t k;
	unsigned int r;

	if (d->padded)
		memset(out, 0, nsamples * d->out_size);
	if (d->nruns == 1) {
		const struct iiod_run *run = &d->runs[0];

		for (k = 0; k < nsamples; k++)
			copy_run(dst + k * d->out_size + run->dst,
				 src + k * d->in_size + run->src, run->len);
		return;
	}
	for (k = 0; k < nsamples; k++) {
		for (r = 0; r < d->nruns; r++)
			copy_run(dst + d->runs[r].dst, src + d->runs[r].src,
				 d->runs[r].len);
		src += d->in_size;
		dst += d->out_size;
	}
}

size_t iiod_demux_feed(const struct iiod_demux *d, char *carry,
		       uint32_t *carry_len, const void *in, size_t len,
		       void *out)
{
	const char *p = in;
	char *o = out;
	size_t whole;

	if (*carry_len) {
		size_t m = d->in_size - *carry_len;

		if (m > len)
			m = len;
		memcpy(carry + *carry_len, p, m);
		*carry_len += (uint32_t)m;
		p += m;
		len -= m;
		if (*carry_len < d->in_size)
			return 0;
		iiod_demux_run(d, carry, 1, o);
		o += d->out_size;
		*carry_len = 0;
	}
	whole = len / d->in_size;
	iiod_demux_run(d, p, whole, o);
	o += whole * d->out_size;
	p += whole * d->in_size;
	len -= whole * d->in_size;
	if (len) {
		memcpy(carry, p, len);
		*carry_len = (uint32_t)len;
	}
	return (size_t)(o - (char *)out) / d->out_size;
}
