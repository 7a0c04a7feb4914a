/* SPDX-License-Identifier: MIT */
/*
 * From capture buffers to the byte ranges an IIO client asked for, without
 * copying: the buffers a session dequeued wait in stream order, each with
 * the part of it still to send; a request takes whole samples from the
 * front, as spans of one buffer each. A buffer goes back to the driver
 * once every byte of it was taken and every send from it was released.
 *
 * Samples stay whole: the stream's samples start at stream offsets that are
 * multiples of the sample size, every request takes a multiple of it, and
 * where the source lost data (a gap in the offsets, or a buffer it marked
 * failed) the partial sample before the gap and the bytes before the next
 * sample boundary after it are skipped and counted.
 *
 * A failed buffer also leaves a mark in the stream: what is available is
 * only what comes before the first mark, so that the request it falls in
 * ends there with an error; iiod_map_error_next() says a mark follows,
 * iiod_map_clear_error() passes it once everything before it was taken.
 *
 * Pure bookkeeping: no device, no socket; the host unit tests drive it.
 */
#ifndef FPGACAP_IIOD_MAP_H
#define FPGACAP_IIOD_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include <fpgacap/fpgacap.h>

struct iiod_span {
	uint32_t index;			/* pool buffer */
	uint64_t offset;		/* first byte within the buffer */
	uint64_t len;
};

struct iiod_map_buf {
	bool held;			/* dequeued, not yet given back */
	bool queued;			/* in the queue: bytes left to send */
	bool after_error;		/* a failed buffer came just before */
	unsigned int inflight;		/* sends from it not yet released */
	uint64_t consumed;		/* next byte to send, within the buffer */
	uint64_t end;			/* one past the last byte to send */
};

struct iiod_map {
	uint32_t count;			/* buffers in the pool */
	uint32_t sample_size;
	struct iiod_map_buf *buf;	/* per buffer index */
	uint32_t *queue;		/* indices in stream order */
	uint32_t head, len;
	uint64_t avail;			/* bytes queued, not yet taken */
	uint64_t next_offset;		/* stream offset after the last kept byte */
	bool started;			/* next_offset is known */
	unsigned int marks;		/* failed buffers not yet passed */
	bool error_at_end;		/* one came after the last queued */
	/* counters */
	uint64_t gaps;			/* discontinuities met */
	uint64_t skipped;		/* bytes dropped to keep samples whole */
	uint64_t error_buffers;		/* buffers the source marked failed */
};

int iiod_map_init(struct iiod_map *m, uint32_t count, uint32_t sample_size);
void iiod_map_free(struct iiod_map *m);

/*
 * A dequeued buffer joins the queue. Indices that are finished at once (a
 * failed buffer, one skipped whole, the tail of one trimmed at a gap) are
 * appended to @done (room for the pool's count), *ndone counting them: the
 * caller gives them back. -EINVAL for an index out of range or already
 * held.
 */
int iiod_map_push(struct iiod_map *m, const struct fpgacap_buffer *b,
		  uint32_t *done, unsigned int *ndone);

/* Bytes queued before the first error mark, in whole samples. */
uint64_t iiod_map_avail(const struct iiod_map *m);
/* Whether an error mark follows what iiod_map_avail() counts. */
bool iiod_map_error_next(const struct iiod_map *m);
/*
 * Pass the first error mark, once nothing is available before it
 * (iiod_map_avail() is 0): true if there was one to pass.
 */
bool iiod_map_clear_error(struct iiod_map *m);
/* Buffers in the queue (holding bytes not yet taken). */
uint32_t iiod_map_queued(const struct iiod_map *m);

/*
 * Take @len bytes (a multiple of the sample size, at most what is
 * available) from the front as spans, at most @max of them; returns how
 * many spans, each already counted as one send in flight from its buffer
 * (iiod_map_release() ends it), or -EINVAL. Fewer bytes than @len are taken
 * only when @max spans were not enough: the sum of the spans says.
 */
int iiod_map_take(struct iiod_map *m, uint64_t len, struct iiod_span *spans,
		  unsigned int max);

/* A send from buffer @index was released. true: give the buffer back. */
bool iiod_map_release(struct iiod_map *m, uint32_t index);

/*
 * Give up on what is queued (the session ends): every held buffer with no
 * send in flight goes to @done; returns how many are still in flight.
 */
unsigned int iiod_map_drop(struct iiod_map *m, uint32_t *done,
			   unsigned int *ndone);

#endif /* FPGACAP_IIOD_MAP_H */
