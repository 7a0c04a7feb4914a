// SPDX-License-Identifier: MIT
/*
 * Checking what arrives: the pattern source's stream is defined by
 * FPGACAP_PATTERN_WORD() in the UAPI header, so every payload byte is
 * predictable from its frame's offset. Raw streams can only be checked for words going forward; frames
 * also catch missing, reordered and recycled-too-early buffers.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct fpgacap_verifier {
	enum fpgacap_verify_mode mode;	/* auto: what it decided, once it did */
	enum fpgacap_verify_mode requested;
	struct fpgacap_verify_stats st;
	/* framed */
	uint8_t hdr[sizeof(struct fpgacap_frame)];
	size_t hdr_len;
	struct fpgacap_frame cur;
	uint64_t remaining;		/* payload bytes still to come */
	uint64_t pos;			/* stream offset of the next payload byte */
	uint64_t next_seq, next_offset;
	bool started;
	bool desync;			/* a bad header: the rest is unparsable */
	/* raw */
	uint8_t carry[8];
	size_t carry_len;
	uint64_t next_word;
};

static const char *const verify_names[] = {
	[FPGACAP_VERIFY_NONE] = "none",
	[FPGACAP_VERIFY_PATTERN] = "pattern",
	[FPGACAP_VERIFY_FRAMED] = "framed",
	[FPGACAP_VERIFY_FRAMES] = "frames",
	[FPGACAP_VERIFY_AUTO] = "auto",
};

#define NVERIFY (sizeof(verify_names) / sizeof(verify_names[0]))

FPGACAP_API const char *fpgacap_verify_mode_name(enum fpgacap_verify_mode mode)
{
	return (unsigned int)mode < NVERIFY ? verify_names[mode] : "?";
}

FPGACAP_API int fpgacap_verify_mode_parse(const char *name,
					  enum fpgacap_verify_mode *mode)
{
	int i = name_index(verify_names, NVERIFY, name);

	if (i < 0)
		return -EINVAL;
	*mode = (enum fpgacap_verify_mode)i;
	return 0;
}

FPGACAP_API int fpgacap_verify_create(enum fpgacap_verify_mode mode,
				      struct fpgacap_verifier **out)
{
	struct fpgacap_verifier *v;

	if ((unsigned int)mode > FPGACAP_VERIFY_AUTO)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->mode = mode;
	v->requested = mode;
	*out = v;
	return 0;
}

FPGACAP_API void fpgacap_verify_destroy(struct fpgacap_verifier *v)
{
	free(v);
}

FPGACAP_API int fpgacap_verify_get_stats(const struct fpgacap_verifier *v,
					 struct fpgacap_verify_stats *st)
{
	struct fpgacap_verify_stats now = v->st;

	now.mode = v->mode;
	now.truncated = !v->desync &&
			(v->hdr_len || v->remaining || v->carry_len);
	/* A check of nothing is no pass: an empty stream fails. */
	now.empty = v->requested != FPGACAP_VERIFY_NONE && !now.payload_bytes;
	now.error = now.sequence_errors || now.offset_errors ||
		    now.header_errors || now.data_errors || now.truncated ||
		    now.empty;
	return struct_out(st, &now, sizeof(now));
}

static void mark_error(struct fpgacap_verifier *v, uint64_t at)
{
	if (!v->st.sequence_errors && !v->st.offset_errors &&
	    !v->st.header_errors && !v->st.data_errors)
		v->st.first_error_at = at;
}

/* Byte @pos of the pattern stream. */
static inline uint8_t pattern_byte(uint64_t pos)
{
	return (uint8_t)(FPGACAP_PATTERN_WORD(pos) >> (8 * (pos & 7)));
}

/* Payload bytes at stream offset @pos must be the pattern. */
static void check_payload(struct fpgacap_verifier *v, const uint8_t *p,
			  size_t n, uint64_t at)
{
	uint64_t pos = v->pos, bad = 0;
	size_t i = 0, first = 0;

#define BAD(at_i) do { if (!bad++) first = (at_i); } while (0)
	while (i < n && (pos & 7)) {
		if (p[i] != pattern_byte(pos))
			BAD(i);
		i++;
		pos++;
	}
	for (; i + 8 <= n; i += 8, pos += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		if (le64toh(w) != FPGACAP_PATTERN_WORD(pos))
			BAD(i);
	}
	for (; i < n; i++, pos++)
		if (p[i] != pattern_byte(pos))
			BAD(i);
#undef BAD
	if (bad) {
		mark_error(v, at + first);
		v->st.data_errors += bad;
	}
}

static void frame_header(struct fpgacap_verifier *v, uint64_t at)
{
	struct fpgacap_frame f;

	if (fpgacap_frame_decode((const struct fpgacap_frame *)v->hdr, &f)) {
		mark_error(v, at);
		v->st.header_errors++;
		/* Lost sync: what follows cannot be parsed; count it only. */
		v->desync = true;
		return;
	}
	if (v->started && f.sequence != v->next_seq) {
		mark_error(v, at);
		v->st.sequence_errors++;
	}
	if (v->started && f.offset != v->next_offset + f.lost_bytes) {
		mark_error(v, at);
		v->st.offset_errors++;
	}
	if (!!f.lost_bytes != !!(f.flags & FPGACAP_BUF_LOST) && f.lost_bytes) {
		mark_error(v, at);
		v->st.offset_errors++;
	}
	if (f.flags & FPGACAP_BUF_LOST)
		v->st.lost_events++;
	v->st.lost_bytes += f.lost_bytes;
	v->st.frames++;
	v->started = true;
	v->next_seq = f.sequence + 1;
	v->next_offset = f.offset + f.length;
	v->cur = f;
	v->pos = f.offset;
	v->remaining = f.length;
}

static void feed_framed(struct fpgacap_verifier *v, const uint8_t *p,
			size_t n)
{
	if (v->desync) {
		v->st.bytes += n;
		return;
	}
	while (n) {
		uint64_t at = v->st.bytes;
		size_t k;

		if (v->desync) {
			v->st.bytes += n;
			return;
		}
		if (!v->remaining) {
			k = sizeof(v->hdr) - v->hdr_len;
			if (k > n)
				k = n;
			memcpy(v->hdr + v->hdr_len, p, k);
			v->hdr_len += k;
			if (v->hdr_len == sizeof(v->hdr)) {
				v->hdr_len = 0;
				frame_header(v, at);
			}
		} else {
			k = n < v->remaining ? n : (size_t)v->remaining;
			if (v->mode == FPGACAP_VERIFY_FRAMED)
				check_payload(v, p, k, at);
			v->pos += k;
			v->remaining -= k;
			v->st.payload_bytes += k;
		}
		v->st.bytes += k;
		p += k;
		n -= k;
	}
}

/* Raw streams carry no offsets: words must go forward, by one (the
 * pattern's word per 8 bytes) or by a jump that was a drop. */
static void raw_word(struct fpgacap_verifier *v, uint64_t w, uint64_t at)
{
	if (!v->st.payload_bytes) {
		v->next_word = w;
	} else if (w > v->next_word) {
		/* A forward jump: data the capture side dropped. */
		v->st.lost_events++;
		v->st.lost_bytes += (w - v->next_word) * 8;
	} else if (w < v->next_word) {
		mark_error(v, at);
		v->st.data_errors++;
	}
	v->next_word = w + 1;
	v->st.payload_bytes += 8;
}

static void feed_raw(struct fpgacap_verifier *v, const uint8_t *p, size_t n)
{
	uint64_t w;

	while (n && v->carry_len) {
		v->carry[v->carry_len++] = *p++;
		n--;
		v->st.bytes++;
		if (v->carry_len == 8) {
			memcpy(&w, v->carry, 8);
			raw_word(v, le64toh(w), v->st.bytes - 8);
			v->carry_len = 0;
		}
	}
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		raw_word(v, le64toh(w), v->st.bytes);
		v->st.bytes += 8;
	}
	memcpy(v->carry + v->carry_len, p, n);
	v->carry_len += n;
	v->st.bytes += n;
}

/* Auto: decide on the first four bytes (kept in the carry until then). */
static void feed_auto(struct fpgacap_verifier *v, const uint8_t *p, size_t n)
{
	uint8_t head[8];
	size_t have = v->carry_len, k = n < 4 - have ? n : 4 - have;
	uint32_t magic;

	memcpy(v->carry + have, p, k);
	v->carry_len += k;
	if (v->carry_len < 4)
		return;
	memcpy(&magic, v->carry, 4);
	v->mode = le32toh(magic) == FPGACAP_FRAME_MAGIC ?
		  FPGACAP_VERIFY_FRAMED : FPGACAP_VERIFY_PATTERN;
	memcpy(head, v->carry, have);
	v->carry_len = 0;
	/* Replay what was held back, then the rest. */
	fpgacap_verify_feed(v, head, have);
	fpgacap_verify_feed(v, p, n);
}

FPGACAP_API void fpgacap_verify_feed(struct fpgacap_verifier *v,
				     const void *data, size_t len)
{
	switch (v->mode) {
	case FPGACAP_VERIFY_AUTO:
		feed_auto(v, data, len);
		break;
	case FPGACAP_VERIFY_PATTERN:
		feed_raw(v, data, len);
		break;
	case FPGACAP_VERIFY_FRAMED:
	case FPGACAP_VERIFY_FRAMES:
		feed_framed(v, data, len);
		break;
	default:
		v->st.bytes += len;
		v->st.payload_bytes += len;
	}
}
