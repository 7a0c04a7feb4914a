// SPDX-License-Identifier: MIT
/*
 * Reading a recording back: the index entry by entry, each checked
 * against the one before (sequence, stream and file offsets), then the
 * data it describes, read in chunks of whole blocks (and whole slots).
 * What capture lost and what the disk refused are counted, not errors:
 * the index says so, and the data that it says is there must be.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"

/* Data read at once: whole blocks, whole slots, about this many bytes. */
#define CHUNK (4U << 20)
/* Index entries read at once. */
#define IX_BATCH 256

struct fpgacap_record_reader {
	int data_fd, index_fd;
	enum fpgacap_verify_mode mode;	/* decided */
	struct fpgacap_index_header h;
	struct fpgacap_record_check_stats st;
	uint64_t ix_pos;		/* the next entry's offset */
	uint64_t ix_end;		/* the index's size when opened */
	bool done;
	bool resync;			/* a corrupted entry: take the next as
					 * it comes */
	bool started;
	uint64_t cur;			/* its number in the index, from 0 */
	uint64_t next_seq, next_stream, next_file;
	bool rec_started;		/* records */
	uint64_t rec_next;
	uint8_t *buf;			/* CHUNK-ish, page-aligned */
	size_t chunk;
	uint8_t *ixbuf;
};

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Stream bytes in the first @n bytes of a buffer. */
static uint64_t payload_of(const struct fpgacap_index_header *h, uint64_t n)
{
	uint64_t per, full, rem;

	if (!h->slot_size)
		return n;
	per = h->slot_size - h->slot_header;
	full = n / h->slot_size;
	rem = n % h->slot_size;
	return full * per + (rem > h->slot_header ? rem - h->slot_header : 0);
}

static void mark(struct fpgacap_record_reader *rd, uint64_t at)
{
	struct fpgacap_record_check_stats *st = &rd->st;

	if (!st->sequence_errors && !st->offset_errors && !st->index_errors &&
	    !st->crc_errors && !st->data_errors && !st->padding_errors &&
	    !st->record_errors && !st->short_data) {
		st->first_error_entry = rd->cur;
		st->first_error_at = at;
	}
}

static uint8_t pattern_byte(uint64_t pos)
{
	return (uint8_t)(FPGACAP_PATTERN_WORD(pos) >> (8 * (pos & 7)));
}

/* @n bytes at @p must be the pattern from stream offset @pos. */
static void check_pattern(struct fpgacap_record_reader *rd, const uint8_t *p,
			  uint64_t n, uint64_t pos, uint64_t at)
{
	uint64_t bad = 0, first = 0, i = 0;

	while (i < n && (pos & 7)) {
		if (p[i] != pattern_byte(pos) && !bad++)
			first = i;
		i++;
		pos++;
	}
	for (; i + 8 <= n; i += 8, pos += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		if (le64toh(w) != FPGACAP_PATTERN_WORD(pos)) {
			/* Count bytes, as a reader of the report would. */
			for (unsigned int k = 0; k < 8; k++)
				if (p[i + k] != pattern_byte(pos + k) &&
				    !bad++)
					first = i + k;
		}
	}
	for (; i < n; i++, pos++)
		if (p[i] != pattern_byte(pos) && !bad++)
			first = i;
	if (bad) {
		mark(rd, at + first);
		rd->st.data_errors += bad;
	}
}

static void check_zero(struct fpgacap_record_reader *rd, const uint8_t *p,
		       uint64_t n, uint64_t at)
{
	for (uint64_t i = 0; i < n; i++) {
		if (p[i]) {
			mark(rd, at + i);
			rd->st.padding_errors++;
		}
	}
}

/* One record: its header (its payload is the pattern, framed). */
static void check_record(struct fpgacap_record_reader *rd,
			 const struct fpgacap_index_entry *e, const uint8_t *p,
			 uint64_t k, uint64_t payload, uint64_t at)
{
	const struct fpgacap_index_header *h = &rd->h;
	uint64_t per = h->slot_size - h->slot_header;
	struct fpgacap_datagram d = { 0 };
	uint16_t want = 0;
	bool bad;

	rd->st.records++;
	if (k == 0)
		want = FPGACAP_DGRAM_FIRST |
		       (e->lost_bytes ? FPGACAP_DGRAM_LOST : 0) |
		       (e->flags & FPGACAP_BUF_ERROR ? FPGACAP_DGRAM_ERROR : 0);
	bad = fpgacap_datagram_decode(p, h->slot_header, &d) !=
	      (int)h->slot_header || d.offset != e->stream_offset + k * per ||
	      d.flags != want ||
	      (rd->rec_started && d.sequence != rd->rec_next);
	for (uint64_t i = sizeof(d); i < h->slot_header && !bad; i++)
		bad = p[i] != 0;
	if (bad) {
		mark(rd, at);
		rd->st.record_errors++;
	}
	if (!bad || !rd->rec_started) {
		rd->rec_next = d.sequence + 1;
		rd->rec_started = true;
	} else {
		rd->rec_next++;
	}
	if (rd->mode == FPGACAP_VERIFY_FRAMED)
		check_pattern(rd, p + h->slot_header, payload,
			      e->stream_offset + k * per, at + h->slot_header);
}

/*
 * Bytes [@at, @at + @n) of entry @e's extent are at @p: check what of
 * them is data (below @written) and, for a whole buffer, the padding.
 */
static void check_chunk(struct fpgacap_record_reader *rd,
			const struct fpgacap_index_entry *e, const uint8_t *p,
			uint64_t at, uint64_t n, uint64_t written)
{
	const struct fpgacap_index_header *h = &rd->h;
	uint64_t file = e->file_offset + at;
	uint64_t data = written > at ? written - at : 0;

	if (data > n)
		data = n;
	if (!h->slot_size) {
		check_pattern(rd, p, data, e->stream_offset + at, file);
	} else {
		uint64_t per = h->slot_size - h->slot_header;

		/* Chunks hold whole slots. */
		for (uint64_t s = 0; s < data; s += h->slot_size) {
			uint64_t k = (at + s) / h->slot_size;
			uint64_t len = data - s < h->slot_size ? data - s :
				       h->slot_size;
			uint64_t pay = len > h->slot_header ?
				       len - h->slot_header : 0;

			if (pay > per)
				pay = per;
			if (rd->mode == FPGACAP_VERIFY_PATTERN)
				check_pattern(rd, p + s + h->slot_header, pay,
					      e->stream_offset + k * per,
					      file + s + h->slot_header);
			else if (len >= h->slot_header)
				check_record(rd, e, p + s, k, pay, file + s);
		}
	}
	/* A short buffer's last block: zeros after its bytes. */
	if (!(e->flags & FPGACAP_INDEX_FAILED) && at + n > e->bytes) {
		uint64_t from = e->bytes > at ? e->bytes - at : 0;

		check_zero(rd, p + from, n - from, file + from);
	}
}

/* Read and check entry @e's data. 0, or -errno if a read failed. */
static int check_data(struct fpgacap_record_reader *rd,
		      const struct fpgacap_index_entry *e)
{
	bool failed = e->flags & FPGACAP_INDEX_FAILED;
	uint64_t bs = rd->h.block_size;
	uint64_t extent = failed ? round_up(e->written, bs) :
			  round_up(e->bytes, bs);

	for (uint64_t at = 0; at < extent;) {
		uint64_t want = extent - at < rd->chunk ? extent - at :
				rd->chunk;
		uint64_t got = 0;

		while (got < want) {
			ssize_t n = pread(rd->data_fd, rd->buf + got,
					  (size_t)(want - got),
					  (off_t)(e->file_offset + at + got));

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			if (!n)
				break;
			got += (uint64_t)n;
		}
		check_chunk(rd, e, rd->buf, at, got, failed ? e->written :
			    e->bytes);
		rd->st.bytes += got;
		if (got < want) {
			/* The data ends inside what the index says the
			 * recorder wrote (whole blocks). */
			mark(rd, e->file_offset + at + got);
			rd->st.short_data++;
			return 0;
		}
		at += want;
	}
	return 0;
}

/* The entry against the one before it, then its data. */
static int check_entry(struct fpgacap_record_reader *rd,
		       const struct fpgacap_index_entry *e, uint64_t ix_at)
{
	struct fpgacap_record_check_stats *st = &rd->st;
	uint64_t bs = rd->h.block_size;
	bool failed = e->flags & FPGACAP_INDEX_FAILED;
	int ret = 0;

	if (e->flags & FPGACAP_INDEX_END) {
		st->ended = true;
		st->end_error = e->error;
		st->end_timestamp_ns = e->timestamp_ns;
		if (rd->started && !rd->resync &&
		    (e->sequence != rd->next_seq ||
		     e->stream_offset != rd->next_stream ||
		     e->file_offset != rd->next_file)) {
			mark(rd, ix_at);
			st->index_errors++;
		}
		rd->done = true;
		return 0;
	}
	if (!rd->started) {
		st->first_sequence = e->sequence;
		st->stream_start = e->stream_offset;
		if (e->file_offset != rd->h.data_offset) {
			mark(rd, ix_at);
			st->index_errors++;
		}
	} else if (!rd->resync) {
		if (e->sequence != rd->next_seq) {
			mark(rd, ix_at);
			st->sequence_errors++;
		}
		if (e->stream_offset != rd->next_stream + e->lost_bytes) {
			mark(rd, ix_at);
			st->offset_errors++;
		}
		if (e->file_offset != rd->next_file) {
			mark(rd, ix_at);
			st->index_errors++;
		}
	}
	if (e->file_offset % bs || e->written > e->bytes ||
	    failed != (e->written < e->bytes) ||
	    (e->flags & ~(0xffU | FPGACAP_INDEX_FAILED)) ||
	    !!e->lost_bytes != !!(e->flags & FPGACAP_BUF_LOST) ||
	    !!e->error != failed ||
	    e->bytes > UINT64_MAX - e->file_offset - bs) {
		mark(rd, ix_at);
		st->index_errors++;
	}
	if (e->lost_bytes) {
		st->lost_events++;
		st->lost_bytes += e->lost_bytes;
	}
	if (failed) {
		st->failed_writes++;
		st->failed_bytes += e->bytes - e->written;
	}
	st->entries++;
	st->payload_bytes += payload_of(&rd->h, e->written);
	rd->started = true;
	rd->resync = false;
	rd->next_seq = e->sequence + 1;
	rd->next_stream = e->stream_offset + payload_of(&rd->h, e->bytes);
	rd->next_file = e->file_offset + round_up(e->bytes, bs);
	st->next_sequence = rd->next_seq;
	st->stream_end = rd->next_stream;
	if (rd->mode != FPGACAP_VERIFY_NONE && !(e->file_offset % bs))
		ret = check_data(rd, e);
	return ret;
}

FPGACAP_API int fpgacap_record_reader_step(struct fpgacap_record_reader *rd,
					   unsigned int max)
{
	const uint64_t es = rd->h.entry_size;
	unsigned int done = 0;

	while (!rd->done && (!max || done < max)) {
		unsigned int want = IX_BATCH, n, i;
		ssize_t got;

		if (max && max - done < want)
			want = max - done;
		do
			got = pread(rd->index_fd, rd->ixbuf, want * es,
				    (off_t)rd->ix_pos);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return -errno;
		n = (unsigned int)((uint64_t)got / es);
		if (!n) {
			/* The end of the index: a partial entry is torn. */
			if (got)
				rd->st.torn = true;
			rd->done = true;
			break;
		}
		for (i = 0; i < n && !rd->done; i++) {
			struct fpgacap_index_entry e;
			uint64_t at = rd->ix_pos;
			int ret;

			rd->ix_pos += es;
			rd->cur = (at - rd->h.header_size) / es;
			ret = fpgacap_index_entry_decode(rd->ixbuf + i * es,
							 es, &e);
			if (ret) {
				/* The last entry torn by a crash, or one
				 * corrupted in the middle. */
				if (rd->ix_pos >= rd->ix_end) {
					rd->st.torn = true;
					rd->done = true;
					break;
				}
				mark(rd, at);
				rd->st.crc_errors++;
				rd->resync = true;
				continue;
			}
			ret = check_entry(rd, &e, at);
			if (ret)
				return ret;
			done++;
		}
	}
	/* Anything after the END is not the recorder's. */
	if (rd->done && rd->st.ended) {
		struct stat sb;

		if (!fstat(rd->index_fd, &sb) && (uint64_t)sb.st_size > rd->ix_pos) {
			rd->cur = (rd->ix_pos - rd->h.header_size) / es;
			mark(rd, rd->ix_pos);
			rd->st.index_errors++;
			rd->ix_pos = (uint64_t)sb.st_size;
		}
	}
	return (int)done;
}

FPGACAP_API int fpgacap_record_reader_get_stats(
	const struct fpgacap_record_reader *rd,
	struct fpgacap_record_check_stats *st)
{
	struct fpgacap_record_check_stats now = rd->st;

	now.mode = rd->mode;
	now.empty = rd->mode != FPGACAP_VERIFY_NONE && !now.payload_bytes;
	now.error = now.sequence_errors || now.offset_errors ||
		    now.index_errors || now.crc_errors || now.data_errors ||
		    now.padding_errors || now.record_errors || now.short_data ||
		    now.empty;
	return struct_out(st, &now, sizeof(now));
}

FPGACAP_API int fpgacap_record_reader_header(
	const struct fpgacap_record_reader *rd, struct fpgacap_index_header *h)
{
	*h = rd->h;
	return 0;
}

/* What auto means for this recording. */
static enum fpgacap_verify_mode auto_mode(const struct fpgacap_index_header *h)
{
	bool records = h->slot_size && (h->pool_flags & FPGACAP_CFG_RECORDS);

	if (h->source == FPGACAP_SOURCE_PATTERN)
		return records ? FPGACAP_VERIFY_FRAMED : FPGACAP_VERIFY_PATTERN;
	return records ? FPGACAP_VERIFY_FRAMES : FPGACAP_VERIFY_NONE;
}

FPGACAP_API int fpgacap_record_reader_open(int data_fd, int index_fd,
					   enum fpgacap_verify_mode mode,
					   struct fpgacap_record_reader **out)
{
	uint8_t wire[FPGACAP_INDEX_HEADER_SIZE];
	struct fpgacap_record_reader *rd;
	long page = sysconf(_SC_PAGESIZE);
	struct stat sb;
	uint64_t unit;
	ssize_t n;
	int ret;

	if ((unsigned int)mode > FPGACAP_VERIFY_AUTO)
		return -EINVAL;
	do
		n = pread(index_fd, wire, sizeof(wire), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	rd = calloc(1, sizeof(*rd));
	if (!rd)
		return -ENOMEM;
	ret = fpgacap_index_header_decode(wire, (size_t)n, &rd->h);
	if (ret)
		goto fail;
	if (mode == FPGACAP_VERIFY_AUTO)
		mode = auto_mode(&rd->h);
	ret = -EINVAL;
	if ((mode == FPGACAP_VERIFY_FRAMED || mode == FPGACAP_VERIFY_FRAMES) &&
	    !(rd->h.slot_size && (rd->h.pool_flags & FPGACAP_CFG_RECORDS) &&
	      rd->h.slot_header >= sizeof(struct fpgacap_datagram)))
		goto fail;
	rd->mode = mode;
	rd->data_fd = data_fd;
	rd->index_fd = index_fd;
	rd->ix_pos = rd->h.header_size;
	rd->ix_end = !fstat(index_fd, &sb) ? (uint64_t)sb.st_size : UINT64_MAX;
	/* Chunks of whole blocks and, in a slotted pool, whole slots. */
	unit = rd->h.block_size;
	if (rd->h.slot_size)
		unit = unit / gcd(unit, rd->h.slot_size) * rd->h.slot_size;
	rd->chunk = (size_t)(unit >= CHUNK ? unit : CHUNK / unit * unit);
	ret = -ENOMEM;
	rd->ixbuf = malloc(IX_BATCH * (size_t)rd->h.entry_size);
	if (!rd->ixbuf || unit > (1ULL << 30) ||
	    posix_memalign((void **)&rd->buf, (size_t)page, rd->chunk)) {
		rd->buf = NULL;
		goto fail;
	}
	*out = rd;
	return 0;
fail:
	fpgacap_record_reader_close(rd);
	return ret;
}

FPGACAP_API void fpgacap_record_reader_close(struct fpgacap_record_reader *rd)
{
	if (!rd)
		return;
	free(rd->buf);
	free(rd->ixbuf);
	free(rd);
}
