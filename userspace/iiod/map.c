// SPDX-License-Identifier: MIT
/* Capture buffers to whole-sample spans (see map.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"

int iiod_map_init(struct iiod_map *m, uint32_t count, uint32_t sample_size)
{
	memset(m, 0, sizeof(*m));
	if (!count || !sample_size)
		return -EINVAL;
	m->buf = calloc(count, sizeof(*m->buf));
	m->queue = calloc(count, sizeof(*m->queue));
	if (!m->buf || !m->queue) {
		iiod_map_free(m);
		return -ENOMEM;
	}
	m->count = count;
	m->sample_size = sample_size;
	return 0;
}

void iiod_map_free(struct iiod_map *m)
{
	free(m->buf);
	free(m->queue);
	m->buf = NULL;
	m->queue = NULL;
}

static uint32_t queue_at(const struct iiod_map *m, uint32_t i)
{
	return m->queue[(m->head + i) % m->count];
}

/* A buffer left the queue: back to the driver unless sends hold it. */
static void unqueue(struct iiod_map *m, uint32_t idx, uint32_t *done,
		    unsigned int *ndone)
{
	struct iiod_map_buf *b = &m->buf[idx];

	b->queued = false;
	if (!b->inflight) {
		b->held = false;
		done[(*ndone)++] = idx;
	}
}

/*
 * The data after the queue's end is lost: the bytes queued past the last
 * whole sample can never complete one. Queued data always starts on a
 * sample boundary, so they are the last avail % sample_size bytes.
 */
static void trim_tail(struct iiod_map *m, uint32_t *done, unsigned int *ndone)
{
	uint64_t t = m->avail % m->sample_size;

	while (t && m->len) {
		uint32_t idx = queue_at(m, m->len - 1);
		struct iiod_map_buf *b = &m->buf[idx];
		uint64_t n = b->end - b->consumed;

		if (n > t)
			n = t;
		b->end -= n;
		m->avail -= n;
		m->skipped += n;
		t -= n;
		if (b->consumed == b->end) {
			m->len--;
			unqueue(m, idx, done, ndone);
		}
	}
}

int iiod_map_push(struct iiod_map *m, const struct fpgacap_buffer *fb,
		  uint32_t *done, unsigned int *ndone)
{
	uint64_t ss = m->sample_size, skip = 0;
	struct iiod_map_buf *b;
	bool contiguous;

	if (fb->index >= m->count || m->buf[fb->index].held)
		return -EINVAL;
	b = &m->buf[fb->index];
	memset(b, 0, sizeof(*b));
	b->held = true;
	if (fb->flags & FPGACAP_BUF_ERROR) {
		/* Its data is not to be trusted: a loss of its length, and a
		 * mark where the stream has it. */
		m->error_buffers++;
		trim_tail(m, done, ndone);
		m->started = false;
		if (!m->error_at_end) {
			m->error_at_end = true;
			m->marks++;
		}
		b->held = false;
		done[(*ndone)++] = fb->index;
		return 0;
	}
	contiguous = m->started && fb->offset == m->next_offset &&
		     !fb->lost_bytes;
	if (m->started && !contiguous) {
		m->gaps++;
		trim_tail(m, done, ndone);
	}
	if (!contiguous)
		skip = (ss - fb->offset % ss) % ss;
	if (skip >= fb->bytes_used) {
		m->skipped += fb->bytes_used;
		m->started = false;
		b->held = false;
		done[(*ndone)++] = fb->index;
		return 0;
	}
	m->skipped += skip;
	b->consumed = skip;
	b->end = fb->bytes_used;
	b->queued = true;
	b->after_error = m->error_at_end;
	m->error_at_end = false;
	m->queue[(m->head + m->len) % m->count] = fb->index;
	m->len++;
	m->avail += b->end - b->consumed;
	m->next_offset = fb->offset + fb->bytes_used;
	m->started = true;
	return 0;
}

uint64_t iiod_map_avail(const struct iiod_map *m)
{
	uint64_t n = 0;
	uint32_t i;

	if (!m->marks)
		return m->avail - m->avail % m->sample_size;
	/* Up to the first buffer after a failed one. */
	for (i = 0; i < m->len; i++) {
		const struct iiod_map_buf *b = &m->buf[queue_at(m, i)];

		if (b->after_error)
			break;
		n += b->end - b->consumed;
	}
	return n - n % m->sample_size;
}

bool iiod_map_error_next(const struct iiod_map *m)
{
	return m->marks > 0;
}

bool iiod_map_clear_error(struct iiod_map *m)
{
	if (!m->marks || iiod_map_avail(m))
		return false;
	if (m->len && m->buf[queue_at(m, 0)].after_error)
		m->buf[queue_at(m, 0)].after_error = false;
	else if (!m->len && m->error_at_end)
		m->error_at_end = false;
	else
		return false;
	m->marks--;
	return true;
}

uint32_t iiod_map_queued(const struct iiod_map *m)
{
	return m->len;
}

/* Put the last @r bytes taken back at the front (spans ran out). */
static int untake(struct iiod_map *m, struct iiod_span *spans, int n,
		  uint64_t r)
{
	while (r && n > 0) {
		struct iiod_span *s = &spans[n - 1];
		struct iiod_map_buf *b = &m->buf[s->index];
		uint64_t k = s->len < r ? s->len : r;

		s->len -= k;
		b->consumed -= k;
		m->avail += k;
		r -= k;
		if (!b->queued) {
			b->queued = true;
			m->head = (m->head + m->count - 1) % m->count;
			m->queue[m->head] = s->index;
			m->len++;
		}
		if (!s->len) {
			b->inflight--;
			n--;
		}
	}
	return n;
}

int iiod_map_take(struct iiod_map *m, uint64_t len, struct iiod_span *spans,
		  unsigned int max)
{
	uint64_t taken = 0;
	int n = 0;

	if (len % m->sample_size || len > m->avail)
		return -EINVAL;
	while (len && (unsigned int)n < max && m->len) {
		uint32_t idx = m->queue[m->head];
		struct iiod_map_buf *b = &m->buf[idx];
		uint64_t k = b->end - b->consumed;

		if (k > len)
			k = len;
		spans[n].index = idx;
		spans[n].offset = b->consumed;
		spans[n].len = k;
		n++;
		b->consumed += k;
		b->inflight++;
		m->avail -= k;
		len -= k;
		taken += k;
		if (b->consumed == b->end) {
			b->queued = false;
			m->head = (m->head + 1) % m->count;
			m->len--;
		}
	}
	if (taken % m->sample_size)
		n = untake(m, spans, n, taken % m->sample_size);
	return n;
}

bool iiod_map_release(struct iiod_map *m, uint32_t index)
{
	struct iiod_map_buf *b;

	if (index >= m->count)
		return false;
	b = &m->buf[index];
	if (!b->held || !b->inflight)
		return false;
	if (--b->inflight || b->queued)
		return false;
	b->held = false;
	return true;
}

unsigned int iiod_map_drop(struct iiod_map *m, uint32_t *done,
			   unsigned int *ndone)
{
	unsigned int inflight = 0;
	uint32_t i;

	m->head = m->len = 0;
	m->avail = 0;
	m->started = false;
	m->marks = 0;
	m->error_at_end = false;
	for (i = 0; i < m->count; i++) {
		struct iiod_map_buf *b = &m->buf[i];

		if (!b->held)
			continue;
		b->queued = false;
		if (b->inflight) {
			inflight++;
			continue;
		}
		b->held = false;
		done[(*ndone)++] = i;
	}
	return inflight;
}
