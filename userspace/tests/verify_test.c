// SPDX-License-Identifier: GPL-2.0-only
/* The verifier must catch what it exists to catch, and nothing else. */
#include <stdlib.h>

#include "kselftest_harness.h"
#include "host_test.h"

/* A framed stream of @n buffers of @len bytes, @gap bytes lost before #2. */
static size_t build(uint8_t *out, unsigned int n, size_t len, uint64_t gap)
{
	uint64_t off = 0;
	size_t pos = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct fpgacap_buffer b = { 0 };

		if (i == 2 && gap) {
			off += gap;
			b.lost_bytes = gap;
			b.flags = FPGACAP_BUF_LOST;
		}
		b.sequence = i;
		b.offset = off;
		b.bytes_used = len;
		fpgacap_frame_encode((struct fpgacap_frame *)(out + pos), &b);
		pos += sizeof(struct fpgacap_frame);
		fill_pattern(out + pos, len, off);
		pos += len;
		off += len;
	}
	return pos;
}

static struct fpgacap_verify_stats run(enum fpgacap_verify_mode m,
				       const uint8_t *p, size_t len,
				       size_t chunk)
{
	struct fpgacap_verifier *v;
	struct fpgacap_verify_stats st;
	size_t i;

	fpgacap_verify_create(m, &v);
	for (i = 0; i < len; i += chunk)
		fpgacap_verify_feed(v, p + i, len - i < chunk ? len - i : chunk);
	st.size = sizeof(st);
	fpgacap_verify_get_stats(v, &st);
	fpgacap_verify_destroy(v);
	return st;
}

#define N 6
#define LEN 4096
static uint8_t stream[N * (LEN + sizeof(struct fpgacap_frame))];

TEST(intact_in_any_split)
{
	size_t len = build(stream, N, LEN, 0), chunk;

	for (chunk = 1; chunk < 200; chunk += 13) {
		struct fpgacap_verify_stats st;

		st = run(FPGACAP_VERIFY_FRAMED, stream, len, chunk);
		EXPECT_FALSE(st.error);
		EXPECT_EQ(N, st.frames);
		EXPECT_EQ(N * LEN, st.payload_bytes);
		st = run(FPGACAP_VERIFY_AUTO, stream, len, chunk);
		EXPECT_FALSE(st.error);
		EXPECT_EQ(N, st.frames);
	}
}

TEST(reported_loss_is_fine)
{
	size_t len = build(stream, N, LEN, 3 * LEN);
	struct fpgacap_verify_stats st = run(FPGACAP_VERIFY_FRAMED, stream,
					     len, 1000);

	EXPECT_FALSE(st.error);
	EXPECT_EQ(1, st.lost_events);
	EXPECT_EQ(3 * LEN, st.lost_bytes);
}

TEST(flipped_byte)
{
	size_t len = build(stream, N, LEN, 0);
	struct fpgacap_verify_stats st;

	stream[3 * (LEN + sizeof(struct fpgacap_frame)) + 100] ^= 1;
	st = run(FPGACAP_VERIFY_FRAMED, stream, len, 777);
	EXPECT_TRUE(st.error);
	EXPECT_EQ(1, st.data_errors);
	EXPECT_EQ(3 * (LEN + sizeof(struct fpgacap_frame)) + 96,
		  st.first_error_at);
	/* Frames-only checking does not look at payload. */
	st = run(FPGACAP_VERIFY_FRAMES, stream, len, 777);
	EXPECT_FALSE(st.error);
}

/* Data of a later buffer under an earlier header: early recycling. */
TEST(recycled_payload)
{
	size_t len = build(stream, N, LEN, 0);
	struct fpgacap_verify_stats st;

	fill_pattern(stream + 2 * (LEN + sizeof(struct fpgacap_frame)) +
		     sizeof(struct fpgacap_frame), LEN, 40 * LEN);
	st = run(FPGACAP_VERIFY_FRAMED, stream, len, 4096);
	EXPECT_TRUE(st.error);
	EXPECT_EQ(LEN / 8, st.data_errors);
}

TEST(missing_frame)
{
	const size_t f = LEN + sizeof(struct fpgacap_frame);
	size_t len = build(stream, N, LEN, 0);
	struct fpgacap_verify_stats st;

	memmove(stream + 2 * f, stream + 3 * f, len - 3 * f);
	st = run(FPGACAP_VERIFY_FRAMED, stream, len - f, 512);
	EXPECT_TRUE(st.error);
	EXPECT_EQ(1, st.sequence_errors);
	EXPECT_EQ(1, st.offset_errors);
}

TEST(truncated_and_bad_magic)
{
	size_t len = build(stream, N, LEN, 0);
	struct fpgacap_verify_stats st;

	st = run(FPGACAP_VERIFY_FRAMED, stream, len - 3, 512);
	EXPECT_TRUE(st.truncated);
	EXPECT_TRUE(st.error);
	stream[0] ^= 0xff;
	st = run(FPGACAP_VERIFY_FRAMED, stream, LEN + sizeof(struct fpgacap_frame),
		 512);
	EXPECT_EQ(1, st.header_errors);
}

TEST(raw_pattern)
{
	uint64_t w[64];
	struct fpgacap_verify_stats st;

	fill_pattern(w, 256, 0);
	fill_pattern(w + 32, 256, 8000);	/* a gap: fine */
	st = run(FPGACAP_VERIFY_PATTERN, (uint8_t *)w, sizeof(w), 5);
	EXPECT_FALSE(st.error);
	EXPECT_EQ(1, st.lost_events);
	EXPECT_EQ(8000 - 256, st.lost_bytes);
	w[40] = htole64(3);			/* backwards: an error */
	st = run(FPGACAP_VERIFY_AUTO, (uint8_t *)w, sizeof(w), 64);
	EXPECT_TRUE(st.error);
}

/* Checking nothing is no pass: an empty stream fails, counting does not. */
TEST(empty_stream_fails)
{
	struct fpgacap_verify_stats st;

	st = run(FPGACAP_VERIFY_AUTO, stream, 0, 1);
	EXPECT_TRUE(st.empty);
	EXPECT_TRUE(st.error);
	st = run(FPGACAP_VERIFY_FRAMED, stream, 0, 1);
	EXPECT_TRUE(st.error);
	/* A frame header with no payload after it: still nothing checked. */
	build(stream, 1, 0, 0);
	st = run(FPGACAP_VERIFY_FRAMED, stream, sizeof(struct fpgacap_frame),
		 7);
	EXPECT_EQ(1, st.frames);
	EXPECT_TRUE(st.empty);
	EXPECT_TRUE(st.error);
	st = run(FPGACAP_VERIFY_NONE, stream, 0, 1);
	EXPECT_FALSE(st.empty);
	EXPECT_FALSE(st.error);
}

/* The verifier follows the UAPI's definition, byte by byte. */
TEST(pattern_from_uapi)
{
	uint8_t b[64];
	struct fpgacap_verify_stats st;
	unsigned int i;

	for (i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(FPGACAP_PATTERN_WORD(800 + i) >>
				 (8 * ((800 + i) % 8)));
	st = run(FPGACAP_VERIFY_PATTERN, b, sizeof(b), 3);
	EXPECT_FALSE(st.error);
	EXPECT_EQ(sizeof(b), st.payload_bytes);
	b[9] ^= 0x10;
	st = run(FPGACAP_VERIFY_PATTERN, b, sizeof(b), 3);
	EXPECT_TRUE(st.error);
}

/* Statistics of an older, smaller layout are filled up to its size. */
TEST(stats_size)
{
	struct fpgacap_verify_stats st;
	struct fpgacap_verifier *v;

	ASSERT_EQ(0, fpgacap_verify_create(FPGACAP_VERIFY_NONE, &v));
	fpgacap_verify_feed(v, stream, 100);
	memset(&st, 0xff, sizeof(st));
	st.size = offsetof(struct fpgacap_verify_stats, payload_bytes);
	ASSERT_EQ(0, fpgacap_verify_get_stats(v, &st));
	EXPECT_EQ(offsetof(struct fpgacap_verify_stats, payload_bytes),
		  st.size);
	EXPECT_EQ(100, st.bytes);
	/* Past what the caller knows: untouched. */
	EXPECT_EQ(UINT64_MAX, st.payload_bytes);
	st.size = 0;
	EXPECT_EQ(-EINVAL, fpgacap_verify_get_stats(v, &st));
	fpgacap_verify_destroy(v);
}

TEST(frame_roundtrip)
{
	struct fpgacap_buffer b = { .index = 3, .flags = FPGACAP_BUF_SHORT,
				    .bytes_used = 1234, .sequence = 99,
				    .timestamp_ns = 5, .offset = 4096 };
	struct fpgacap_frame wire, host;

	fpgacap_frame_encode(&wire, &b);
	ASSERT_EQ(0, fpgacap_frame_decode(&wire, &host));
	EXPECT_EQ(99, host.sequence);
	EXPECT_EQ(4096, host.offset);
	EXPECT_EQ(1234, host.length);
	EXPECT_EQ(FPGACAP_BUF_SHORT, host.flags);
	wire.version = htole16(7);
	EXPECT_EQ(-EPROTO, fpgacap_frame_decode(&wire, &host));
}

TEST_HARNESS_MAIN
