// SPDX-License-Identifier: GPL-2.0-only
/*
 * fpgacap-iiod on the host, where no capture device is needed: how buffers
 * map to whole-sample spans (gaps, failed buffers, partial requests, the
 * release order), the configuration file and channel formats, and the
 * server itself with no device: the protocol's replies, bad clients, the
 * connection limit, IPv4 and IPv6, --help, strict options, SIGTERM within
 * a second with its summary. The binary comes from $FPGACAP_BIN.
 */
#include <net/if.h>
#include <netdb.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <linux/tcp.h>		/* tcp_info with tcpi_segs_in */
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "host_test.h"
#include "cli.h"
#include "config.h"
#include "iiod.h"
#include "demux.h"
#include "map.h"
#include "spawn.h"

/* ---- the map ---- */

static struct fpgacap_buffer buf(uint32_t index, uint64_t offset,
				 uint64_t used)
{
	struct fpgacap_buffer b = { .index = index, .offset = offset,
				    .bytes_used = used };

	return b;
}

static uint64_t span_sum(const struct iiod_span *s, int n)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += s[i].len;
	return sum;
}

TEST(map_spans_cross_buffers_and_release_in_any_order)
{
	struct iiod_map m;
	struct iiod_span s[8];
	uint32_t done[4];
	unsigned int nd = 0;
	int n;

	ASSERT_EQ(0, iiod_map_init(&m, 4, 8));
	for (int i = 0; i < 3; i++) {
		struct fpgacap_buffer b = buf(i, 4096ULL * i, 4096);

		ASSERT_EQ(0, iiod_map_push(&m, &b, done, &nd));
	}
	EXPECT_EQ(0, nd);
	EXPECT_EQ(3 * 4096, iiod_map_avail(&m));
	/* 6000 bytes: all of buffer 0, the start of buffer 1. */
	n = iiod_map_take(&m, 6000, s, 8);
	ASSERT_EQ(2, n);
	EXPECT_EQ(0, s[0].index);
	EXPECT_EQ(4096, s[0].len);
	EXPECT_EQ(1, s[1].index);
	EXPECT_EQ(0, s[1].offset);
	EXPECT_EQ(1904, s[1].len);
	/* The rest of buffer 1 and half of 2. */
	n = iiod_map_take(&m, 4240, s + 2, 6);
	ASSERT_EQ(2, n);
	EXPECT_EQ(1904, s[2].offset);
	EXPECT_EQ(2192, s[2].len);
	EXPECT_EQ(2048, s[3].len);
	/* Buffer 1 comes back only when both its sends are released. */
	EXPECT_FALSE(iiod_map_release(&m, 1));
	EXPECT_TRUE(iiod_map_release(&m, 0));
	EXPECT_TRUE(iiod_map_release(&m, 1));
	/* Buffer 2 still has bytes to send: never back while queued. */
	EXPECT_FALSE(iiod_map_release(&m, 2));
	EXPECT_FALSE(iiod_map_release(&m, 2));	/* nothing in flight */
	EXPECT_EQ(2048, iiod_map_avail(&m));
	/* A held buffer cannot come again. */
	{
		struct fpgacap_buffer b = buf(2, 99999, 4096);

		EXPECT_EQ(-EINVAL, iiod_map_push(&m, &b, done, &nd));
	}
	/* Takes are whole samples, within what is there. */
	EXPECT_EQ(-EINVAL, iiod_map_take(&m, 12, s, 8));
	EXPECT_EQ(-EINVAL, iiod_map_take(&m, 4096, s, 8));
	iiod_map_free(&m);
}

TEST(map_span_limit_keeps_samples_whole)
{
	struct iiod_map m;
	struct iiod_span s[8];
	uint32_t done[8];
	unsigned int nd = 0;
	int n;

	/* 24-byte samples in 4096-byte buffers: samples straddle them. */
	ASSERT_EQ(0, iiod_map_init(&m, 8, 24));
	for (int i = 0; i < 4; i++) {
		struct fpgacap_buffer b = buf(i, 4096ULL * i, 4096);

		ASSERT_EQ(0, iiod_map_push(&m, &b, done, &nd));
	}
	EXPECT_EQ(16384 - 16384 % 24, iiod_map_avail(&m));
	/* Two spans cannot carry 9600 bytes: 8184 (341 samples) go, the
	 * partial sample is put back. */
	n = iiod_map_take(&m, 9600, s, 2);
	ASSERT_EQ(2, n);
	EXPECT_EQ(8184, span_sum(s, n));
	EXPECT_EQ(0, span_sum(s, n) % 24);
	EXPECT_EQ(4088, s[1].len);
	/* The next take starts inside buffer 1, where the last ended. */
	n = iiod_map_take(&m, 24, s + 2, 6);
	ASSERT_EQ(2, n);
	EXPECT_EQ(1, s[2].index);
	EXPECT_EQ(4088, s[2].offset);
	EXPECT_EQ(8, s[2].len);
	EXPECT_EQ(2, s[3].index);
	EXPECT_EQ(16, s[3].len);
	iiod_map_free(&m);
}

TEST(map_gap_trims_and_realigns)
{
	struct iiod_map m;
	struct iiod_span s[8];
	uint32_t done[8];
	unsigned int nd = 0;
	struct fpgacap_buffer b;
	int n;

	ASSERT_EQ(0, iiod_map_init(&m, 8, 24));
	b = buf(0, 0, 4096);
	ASSERT_EQ(0, iiod_map_push(&m, &b, done, &nd));
	/* 4096 = 170 samples + 16 bytes. Then 8192 bytes are lost. */
	b = buf(1, 12288, 4096);
	b.lost_bytes = 8192;
	b.flags = FPGACAP_BUF_LOST;
	ASSERT_EQ(0, iiod_map_push(&m, &b, done, &nd));
	EXPECT_EQ(1, m.gaps);
	/* 16 bytes trimmed before the gap; 12288 % 24 == 0: none after. */
	EXPECT_EQ(16, m.skipped);
	EXPECT_EQ(4080 + 4096 - 4096 % 24, iiod_map_avail(&m));
	/* Lost data that ends mid-sample: skip to the next boundary. */
	b = buf(2, 30000, 4096);
	ASSERT_EQ(0, iiod_map_push(&m, &b, done, &nd));
	EXPECT_EQ(2, m.gaps);
	/* Buffer 1's 16 tail bytes, then 24 - 30000 % 24 = 0? 30000 = 1250
	 * samples: none. */
	EXPECT_EQ(16 + 16, m.skipped);
	b = buf(3, 40010, 4096);
	ASSERT_EQ(0, iiod_map_push(&m, &b, done, &nd));
	/* Buffer 2's 16, and 40010 % 24 = 2: skip 22. */
	EXPECT_EQ(32 + 16 + 22, m.skipped);
	n = iiod_map_take(&m, iiod_map_avail(&m), s, 8);
	ASSERT_EQ(4, n);
	EXPECT_EQ(22, s[3].offset);
	EXPECT_EQ(0, (40010 + s[3].offset) % 24);
	EXPECT_EQ(0, nd);
	iiod_map_free(&m);
}

TEST(map_failed_and_skipped_buffers_go_back_at_once)
{
	struct iiod_map m;
	struct iiod_span s[8];
	uint32_t done[8];
	unsigned int nd = 0, left;
	struct fpgacap_buffer b;

	ASSERT_EQ(0, iiod_map_init(&m, 8, 4096));
	b = buf(0, 0, 8192);
	ASSERT_EQ(0, iiod_map_push(&m, &b, done, &nd));
	b = buf(1, 8192, 8192);
	b.flags = FPGACAP_BUF_ERROR;
	ASSERT_EQ(0, iiod_map_push(&m, &b, done, &nd));
	ASSERT_EQ(1, nd);
	EXPECT_EQ(1, done[0]);
	EXPECT_EQ(1, m.error_buffers);
	/* After a loss, a buffer shorter than the way to the next sample
	 * boundary is skipped whole. */
	b = buf(2, 16384 + 100, 2000);
	ASSERT_EQ(0, iiod_map_push(&m, &b, done, &nd));
	ASSERT_EQ(2, nd);
	EXPECT_EQ(2, done[1]);
	/* Ending: held buffers without sends in flight go back, the one in
	 * flight when its release comes. */
	b = buf(3, 20480, 8192);
	ASSERT_EQ(0, iiod_map_push(&m, &b, done, &nd));
	ASSERT_EQ(1, iiod_map_take(&m, 4096, s, 8));
	nd = 0;
	left = iiod_map_drop(&m, done, &nd);
	EXPECT_EQ(1, left);
	ASSERT_EQ(1, nd);
	EXPECT_EQ(3, done[0]);
	EXPECT_TRUE(iiod_map_release(&m, 0));
	EXPECT_EQ(0, iiod_map_avail(&m));
	iiod_map_free(&m);
}

/*
 * A failed buffer is a mark in the stream: what is available stops there,
 * so the request it falls in ends with an error; after it, the stream
 * goes on. Two failed buffers in a row are one mark.
 */
TEST(map_failed_buffer_marks_where_a_request_ends)
{
	struct iiod_map m;
	struct iiod_span s[8];
	uint32_t done[8];
	unsigned int nd = 0;
	struct fpgacap_buffer b;

	ASSERT_EQ(0, iiod_map_init(&m, 8, 8));
	b = buf(0, 0, 4096);
	ASSERT_EQ(0, iiod_map_push(&m, &b, done, &nd));
	b = buf(1, 4096, 4096);
	b.flags = FPGACAP_BUF_ERROR;
	ASSERT_EQ(0, iiod_map_push(&m, &b, done, &nd));
	b = buf(2, 8192, 4096);
	b.flags = FPGACAP_BUF_ERROR;
	ASSERT_EQ(0, iiod_map_push(&m, &b, done, &nd));
	EXPECT_TRUE(iiod_map_error_next(&m));
	EXPECT_EQ(4096, iiod_map_avail(&m));
	b = buf(3, 12288, 4096);
	ASSERT_EQ(0, iiod_map_push(&m, &b, done, &nd));
	/* Only what came before the mark, though more is queued. */
	EXPECT_EQ(4096, iiod_map_avail(&m));
	EXPECT_FALSE(iiod_map_clear_error(&m));	/* data before it left */
	ASSERT_EQ(1, iiod_map_take(&m, 4096, s, 8));
	EXPECT_EQ(0, iiod_map_avail(&m));
	EXPECT_TRUE(iiod_map_clear_error(&m));
	EXPECT_FALSE(iiod_map_error_next(&m));
	EXPECT_EQ(4096, iiod_map_avail(&m));
	ASSERT_EQ(1, iiod_map_take(&m, 4096, s + 1, 7));
	EXPECT_EQ(3, s[1].index);
	/* A failed buffer last: the mark waits at the end. */
	b = buf(4, 16384, 4096);
	b.flags = FPGACAP_BUF_ERROR;
	ASSERT_EQ(0, iiod_map_push(&m, &b, done, &nd));
	EXPECT_TRUE(iiod_map_error_next(&m));
	EXPECT_TRUE(iiod_map_clear_error(&m));
	EXPECT_FALSE(iiod_map_clear_error(&m));
	iiod_map_free(&m);
}

/* ---- channel formats and the configuration ---- */

/*
 * The main thread reads the time, then each connection's send start: a
 * send that starts in between is younger than that time, not 2^64 ns old.
 */
TEST(eviction_takes_only_quiet_connections_without_a_buffer)
{
	const uint64_t min = 2000000000ULL, t = 10000000000ULL;

	/* Busy (0), streaming, or quiet too briefly: not to be closed. */
	EXPECT_FALSE(iiod_evictable(0, false, t, min));
	EXPECT_FALSE(iiod_evictable(t - min - 1, true, t, min));
	EXPECT_FALSE(iiod_evictable(t - min + 1, false, t, min));
	/* Idle since after the clock was read: no. */
	EXPECT_FALSE(iiod_evictable(t + 5, false, t, min));
	EXPECT_TRUE(iiod_evictable(t - min, false, t, min));
}

TEST(stall_check_ignores_a_send_started_after_the_clock_was_read)
{
	const uint64_t stall = 2000000000ULL;

	ASSERT_FALSE(iiod_stalled(5000000000ULL, 4999999999ULL, stall));
	ASSERT_FALSE(iiod_stalled(0, 9000000000ULL, stall));
	ASSERT_FALSE(iiod_stalled(5000000000ULL, 7000000000ULL, stall));
	ASSERT_TRUE(iiod_stalled(5000000000ULL, 7000000001ULL, stall));
}

TEST(formats)
{
	static const char *const good[] = {
		"le:u64/64>>0", "le:s12/16>>4", "be:U8/8>>0", "le:S16/16>>0",
		"be:s24/32>>8", "le:u16/16X4>>0",
	};
	static const char *const bad[] = {
		"le:u64/64", "xe:u8/8>>0", "le:x8/8>>0", "le:u12/12>>0",
		"le:u16/8>>0", "le:u12/16>>5", "le:u0/16>>0", "le:u8/8>>0 ",
		"le:u8/8X0>>0", "le:u8/8>>", "", "le:u8/8>>0x",
	};
	struct iiod_channel c;
	char why[200], back[64];
	unsigned int i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ASSERT_EQ(0, iiod_parse_format(good[i], &c, why, sizeof(why)))
			TH_LOG("%s: %s", good[i], why);
		iiod_format_string(&c, back, sizeof(back));
		EXPECT_STREQ(good[i], back);
	}
	ASSERT_EQ(0, iiod_parse_format("le:s12/16>>4", &c, why, sizeof(why)));
	EXPECT_TRUE(c.is_signed);
	EXPECT_FALSE(c.be);
	EXPECT_EQ(12, c.bits);
	EXPECT_EQ(16, c.length);
	EXPECT_EQ(4, c.shift);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, iiod_parse_format(bad[i], &c, why,
						      sizeof(why)))
			TH_LOG("'%s' accepted", bad[i]);
}

/* libiio's rule: each element aligned to its own size, added in order. */
TEST(sample_sizes)
{
	struct iiod_config cfg;
	struct iiod_devcfg d;
	char err[300];

	iiod_config_init(&cfg);
	ASSERT_EQ(0, iiod_config_parse(&cfg,
		"[a]\nchannel x le:u16/16>>0\nchannel y le:u32/32>>0\n"
		"[b]\nchannel y le:u32/32>>0\nchannel x le:u16/16>>0\n"
		"[c]\nchannel i le:s16/16>>0 index=3\n"
		"channel q le:s16/16>>0 index=1\n"
		"channel t le:s64/64>>0 index=7\n"
		"[d]\nchannel hi le:u8/16>>8 index=0\n"
		"channel lo le:u8/16>>0 index=0\nchannel v le:u8/8X3>>0\n",
		"t.conf", err, sizeof(err))) TH_LOG("%s", err);
	iiod_config_resolve(&cfg, "a", &d);
	EXPECT_EQ(8, iiod_sample_size(d.channels, d.nchannels));
	iiod_config_resolve(&cfg, "b", &d);
	EXPECT_EQ(6, iiod_sample_size(d.channels, d.nchannels));
	/* Scan order by index: q (1), i (3), t (7). */
	iiod_config_resolve(&cfg, "c", &d);
	ASSERT_EQ(3, d.nchannels);
	EXPECT_STREQ("q", d.channels[0].id);
	EXPECT_STREQ("i", d.channels[1].id);
	EXPECT_STREQ("t", d.channels[2].id);
	EXPECT_EQ(16, iiod_sample_size(d.channels, d.nchannels));
	/* Two channels in one 16-bit word, ordered by shift; then 3 bytes. */
	iiod_config_resolve(&cfg, "d", &d);
	ASSERT_EQ(3, d.nchannels);
	EXPECT_STREQ("lo", d.channels[0].id);
	EXPECT_EQ(1, d.channels[2].index);
	EXPECT_EQ(2 + 3 + 1, iiod_sample_size(d.channels, d.nchannels));
	/* Without channels: the pattern source's counter. */
	iiod_config_resolve(&cfg, "fpgacap0", &d);
	ASSERT_EQ(1, d.nchannels);
	EXPECT_STREQ("count0", d.channels[0].id);
	EXPECT_EQ(64, d.channels[0].length);
	EXPECT_STREQ("fpgacap0", d.name);
	EXPECT_EQ(16, d.buffers);
	EXPECT_EQ(262144, d.buffer_size);
	iiod_config_free(&cfg);
}

/* ---- a client's channels out of the device's samples ---- */

/* A device from "id format [index=N]" lines, in scan order. */
static unsigned int channels(struct iiod_devcfg *d, const char *text)
{
	struct iiod_config cfg;
	char err[300], conf[2048];

	snprintf(conf, sizeof(conf), "[t]\n%s", text);
	iiod_config_init(&cfg);
	if (iiod_config_parse(&cfg, conf, "t.conf", err, sizeof(err)))
		return 0;
	iiod_config_resolve(&cfg, "t", d);
	iiod_config_free(&cfg);
	return d->nchannels;
}

/*
 * libiio's own computation of a mask's sample size, written as libiio
 * writes it (iio_device_get_sample_size_mask): the previous enabled
 * channel's index decides whether storage is shared.
 */
static uint32_t libiio_sample_size(const struct iiod_channel *ch,
				   unsigned int n, const uint32_t *mask)
{
	const struct iiod_channel *prev = NULL;
	uint32_t size = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint32_t len = ch[i].length / 8 * ch[i].repeat;

		if (!(mask[i / 32] >> (i % 32) & 1))
			continue;
		if (prev && ch[i].index == prev->index) {
			prev = &ch[i];
			continue;
		}
		if (size % len)
			size += 2 * len - size % len;
		else
			size += len;
		prev = &ch[i];
	}
	return size;
}

/*
 * Where channel @k's element sits in a sample of the channels in @mask:
 * channels of one index share it, which is there if any of them is on.
 */
static uint32_t element_at(const struct iiod_channel *ch, unsigned int n,
			   const uint32_t *mask, unsigned int k)
{
	uint32_t size = 0, at;
	unsigned int i, j;

	for (i = 0; i < n; i = j) {
		uint32_t len = ch[i].length / 8 * ch[i].repeat;
		bool on = false, mine = false;

		for (j = i; j < n && ch[j].index == ch[i].index; j++) {
			on |= mask[j / 32] >> (j % 32) & 1;
			mine |= j == k;
		}
		if (!on && !mine)
			continue;
		at = size % len ? size + len - size % len : size;
		size = at + len;
		if (mine)
			return at;
	}
	return 0;
}

/* The expected client sample, channel by channel. */
static void reference(const struct iiod_channel *ch, unsigned int n,
		      const uint32_t *mask, const uint32_t *all,
		      const uint8_t *in, uint8_t *out, uint32_t out_size)
{
	unsigned int k;

	memset(out, 0, out_size);
	for (k = 0; k < n; k++)
		if (mask[k / 32] >> (k % 32) & 1)
			memcpy(out + element_at(ch, n, mask, k),
			       in + element_at(ch, n, all, k),
			       ch[k].length / 8 * ch[k].repeat);
}

TEST(demux_every_subset_of_four_lanes)
{
	struct iiod_devcfg d;
	struct iiod_demux dm;
	uint16_t in[4 * 100], out[4 * 100];
	uint32_t mask;

	ASSERT_EQ(4, channels(&d, "channel voltage0 le:u16/16>>0\n"
			      "channel voltage1 le:u16/16>>0\n"
			      "channel voltage2 le:s12/16>>4\n"
			      "channel voltage3 le:u16/16>>0\n"));
	for (int j = 0; j < 400; j++)
		in[j] = (uint16_t)(1000 + j);	/* sample j/4, lane j%4 */
	for (mask = 1; mask < 16; mask++) {
		unsigned int k = 0;

		ASSERT_EQ(0, iiod_demux_init(&dm, d.channels, d.nchannels,
					     &mask, 1));
		EXPECT_EQ(8, dm.in_size);
		EXPECT_EQ(2 * __builtin_popcount(mask), dm.out_size);
		EXPECT_EQ(libiio_sample_size(d.channels, 4, &mask),
			  dm.out_size);
		EXPECT_EQ(mask == 15, dm.identity);
		EXPECT_EQ(__builtin_popcount(mask), dm.enabled);
		memset(out, 0xee, sizeof(out));
		iiod_demux_run(&dm, in, 100, out);
		/* Sample j holds the enabled lanes of sample j, in order. */
		for (int j = 0; j < 100; j++) {
			for (int lane = 0; lane < 4; lane++) {
				if (!(mask >> lane & 1))
					continue;
				ASSERT_EQ(1000 + 4 * j + lane, out[k++])
					TH_LOG("mask %x sample %d", mask, j);
			}
		}
	}
	/* Two adjacent lanes are one run, two apart two. */
	mask = 0x3;
	ASSERT_EQ(0, iiod_demux_init(&dm, d.channels, 4, &mask, 1));
	EXPECT_EQ(1, dm.nruns);
	mask = 0x5;
	ASSERT_EQ(0, iiod_demux_init(&dm, d.channels, 4, &mask, 1));
	EXPECT_EQ(2, dm.nruns);
}

TEST(demux_mixed_sizes_padding_and_shared_storage)
{
	struct iiod_devcfg d;
	struct iiod_demux dm;
	uint8_t in[24], out[24];
	uint32_t mask;

	/* a u16 @0, b u32 @4, c u8 @8, e u64 @16: 24 bytes. */
	ASSERT_EQ(4, channels(&d, "channel a le:u16/16>>0\n"
			      "channel b le:u32/32>>0\n"
			      "channel c le:u8/8>>0\n"
			      "channel e le:u64/64>>0\n"));
	for (int i = 0; i < 24; i++)
		in[i] = (uint8_t)(i + 1);
	/* a and c: a @0, c @2, 3 bytes. */
	mask = 0x5;
	ASSERT_EQ(0, iiod_demux_init(&dm, d.channels, 4, &mask, 1));
	EXPECT_EQ(24, dm.in_size);
	EXPECT_EQ(3, dm.out_size);
	EXPECT_FALSE(dm.padded);
	iiod_demux_run(&dm, in, 1, out);
	EXPECT_EQ(0, memcmp(out, "\x01\x02\x09", 3));
	/* c and e: c @0, seven bytes of padding, e @8; padding is zero. */
	mask = 0xc;
	ASSERT_EQ(0, iiod_demux_init(&dm, d.channels, 4, &mask, 1));
	EXPECT_EQ(16, dm.out_size);
	EXPECT_TRUE(dm.padded);
	memset(out, 0xee, sizeof(out));
	iiod_demux_run(&dm, in, 1, out);
	EXPECT_EQ(9, out[0]);
	for (int i = 1; i < 8; i++)
		EXPECT_EQ(0, out[i]);
	EXPECT_EQ(0, memcmp(out + 8, in + 16, 8));
	/* a and b keep their places: same layout as their prefix. */
	mask = 0x3;
	ASSERT_EQ(0, iiod_demux_init(&dm, d.channels, 4, &mask, 1));
	EXPECT_EQ(8, dm.out_size);
	EXPECT_FALSE(dm.identity);

	/* Adjacent in the device's sample, not in the client's: a u8 at 1
	 * and a u16 at 2 become a u8 at 0 and a u16 at 2, two runs. */
	ASSERT_EQ(3, channels(&d, "channel z le:u8/8>>0\n"
			      "channel a le:u8/8>>0\n"
			      "channel b le:u16/16>>0\n"));
	mask = 0x6;
	ASSERT_EQ(0, iiod_demux_init(&dm, d.channels, 3, &mask, 1));
	EXPECT_EQ(4, dm.out_size);
	EXPECT_EQ(2, dm.nruns);
	memset(out, 0xee, sizeof(out));
	iiod_demux_run(&dm, in, 1, out);
	EXPECT_EQ(0, memcmp(out, "\x02\x00\x03\x04", 4));

	/* Two channels in one word: either one brings the whole word. */
	ASSERT_EQ(3, channels(&d, "channel hi le:u8/16>>8 index=0\n"
			      "channel lo le:u8/16>>0 index=0\n"
			      "channel v le:u16/16>>0 index=1\n"));
	mask = 0x1;		/* lo alone (scan order: lo, hi, v) */
	ASSERT_EQ(0, iiod_demux_init(&dm, d.channels, 3, &mask, 1));
	EXPECT_EQ(2, dm.out_size);
	EXPECT_EQ(libiio_sample_size(d.channels, 3, &mask), dm.out_size);
	mask = 0x6;		/* hi and v: every element, the full layout */
	ASSERT_EQ(0, iiod_demux_init(&dm, d.channels, 3, &mask, 1));
	EXPECT_TRUE(dm.identity);
	EXPECT_EQ(2, dm.enabled);
}

TEST(demux_refuses_empty_and_unknown_masks)
{
	struct iiod_devcfg d;
	struct iiod_demux dm;
	uint32_t mask[2] = { 0, 0 };

	ASSERT_EQ(2, channels(&d, "channel a le:u16/16>>0\n"
			      "channel b le:u16/16>>0\n"));
	EXPECT_EQ(-EINVAL, iiod_demux_init(&dm, d.channels, 2, mask, 1));
	mask[0] = 0x4;
	EXPECT_EQ(-EINVAL, iiod_demux_init(&dm, d.channels, 2, mask, 1));
	mask[0] = 0x1;
	mask[1] = 0x1;
	EXPECT_EQ(-EINVAL, iiod_demux_init(&dm, d.channels, 2, mask, 2));
}

/*
 * Random layouts (sizes, repeats, shared words), random masks, a stream
 * cut at random places as pool buffers cut it: every client sample is
 * the reference's, and its size is libiio's.
 */
TEST(demux_random_layouts_against_a_reference)
{
	static const char *const fmt[] = {
		"le:u8/8>>0", "le:u16/16>>0", "le:s12/16>>4", "le:u32/32>>0",
		"le:u64/64>>0", "le:u16/16X3>>0", "be:u32/32>>0",
		"le:u8/8X5>>0",
	};
	unsigned int seed = 1, round;

	for (round = 0; round < 3000; round++) {
		struct iiod_devcfg d;
		struct iiod_demux dm;
		char text[1500];
		size_t at = 0, nsamp = 37, pos, outn;
		unsigned int n = 1 + rand_r(&seed) % 12, k, index = 0;
		uint32_t mask = 0, all = (1U << n) - 1, carry_len = 0;
		uint8_t *in, *out, *want, *carry;

		for (k = 0; k < n; k++) {
			const char *f = fmt[rand_r(&seed) % 8];

			/* Now and then a channel shares the last word. */
			if (k && rand_r(&seed) % 5 == 0) {
				f = "le:u8/16>>8";
				at += snprintf(text + at, sizeof(text) - at,
					       "channel p%u le:u8/16>>0 "
					       "index=%u\n", k, index);
			}
			at += snprintf(text + at, sizeof(text) - at,
				       "channel c%u %s index=%u\n", k, f,
				       index);
			if (!strcmp(f, "le:u8/16>>8"))
				k++;
			index++;
		}
		n = channels(&d, text);
		ASSERT_LT(0, n) TH_LOG("%s", text);
		all = n == 32 ? ~0U : (1U << n) - 1;
		while (!mask)
			mask = (uint32_t)rand_r(&seed) & all;
		ASSERT_EQ(0, iiod_demux_init(&dm, d.channels, n, &mask, 1));
		ASSERT_EQ(iiod_sample_size(d.channels, n), dm.in_size);
		ASSERT_EQ(libiio_sample_size(d.channels, n, &mask),
			  dm.out_size) TH_LOG("%s mask %x", text, mask);
		in = malloc(nsamp * dm.in_size);
		out = malloc(nsamp * dm.out_size);
		want = malloc(dm.out_size);
		carry = malloc(dm.in_size);
		ASSERT_TRUE(in && out && want && carry);
		for (size_t i = 0; i < nsamp * dm.in_size; i++)
			in[i] = (uint8_t)rand_r(&seed);
		/* Fed in pieces of random lengths, 0 included. */
		for (pos = 0, outn = 0; pos < nsamp * dm.in_size;) {
			size_t piece = (size_t)rand_r(&seed) % (3 * dm.in_size);

			if (piece > nsamp * dm.in_size - pos)
				piece = nsamp * dm.in_size - pos;
			outn += iiod_demux_feed(&dm, (char *)carry, &carry_len,
						in + pos, piece,
						out + outn * dm.out_size);
			pos += piece;
		}
		ASSERT_EQ(nsamp, outn);
		ASSERT_EQ(0, carry_len);
		for (size_t j = 0; j < nsamp; j++) {
			reference(d.channels, n, &mask, &all,
				  in + j * dm.in_size, want, dm.out_size);
			ASSERT_EQ(0, memcmp(want, out + j * dm.out_size,
					    dm.out_size))
				TH_LOG("%s mask %x sample %zu", text, mask, j);
		}
		free(in);
		free(out);
		free(want);
		free(carry);
	}
}

TEST(config_settings)
{
	struct iiod_config cfg;
	struct iiod_devcfg d;
	char err[300];

	iiod_config_init(&cfg);
	ASSERT_EQ(0, iiod_config_parse(&cfg,
		"# comment\nbuffers 8   # trailing comment\nbuffer-size 1M\n"
		"mode copy\nchannel c0 le:u32/32>>0\n\n"
		"[fpgacap-adc]\nname adc\nbuffers 32\nsampling-frequency 1000\n"
		"channel voltage0 be:s14/16>>2 name=a scale=0.25 offset=-1.5\n",
		"t.conf", err, sizeof(err))) TH_LOG("%s", err);
	iiod_config_resolve(&cfg, "fpgacap-adc", &d);
	EXPECT_STREQ("adc", d.name);
	EXPECT_EQ(32, d.buffers);
	EXPECT_EQ(1 << 20, d.buffer_size);
	EXPECT_EQ(1000, d.sampling_frequency);
	EXPECT_EQ(FPGACAP_SEND_COPY, d.mode);
	ASSERT_EQ(1, d.nchannels);
	EXPECT_STREQ("a", d.channels[0].name);
	EXPECT_STREQ("0.25", d.channels[0].scale);
	EXPECT_STREQ("-1.5", d.channels[0].offset);
	EXPECT_TRUE(d.channels[0].be);
	EXPECT_TRUE(cfg.devs[0].used);
	/* Other devices: the global settings and channels. */
	iiod_config_resolve(&cfg, "fpgacap0", &d);
	EXPECT_EQ(8, d.buffers);
	ASSERT_EQ(1, d.nchannels);
	EXPECT_STREQ("c0", d.channels[0].id);
	iiod_config_free(&cfg);
}

TEST(config_errors_name_the_line)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "buffers 0\n", "t.conf:1: buffers" },
		{ "\nbuffer-size 64Q\n", "t.conf:2: buffer-size" },
		{ "mode fast\n", "t.conf:1: mode" },
		{ "name x\n", "t.conf:1: name belongs" },
		{ "[a]\n[a]\n", "t.conf:2: section [a] again" },
		{ "[a b]\n", "t.conf:1: a section" },
		{ "[a]\nchannel v le:u8/8>>0 color=red\n", "t.conf:2: 'color'" },
		{ "[a]\nchannel v le:u8/8>>0\nchannel v le:u8/8>>0\n",
		  "t.conf:1: [a]: channel v is defined twice" },
		{ "[a]\nchannel v le:u8/8>>0 index=1\n"
		  "channel w le:u16/16>>0 index=1\n", "share index 1" },
		{ "[a]\nchannel v<1 le:u8/8>>0\n", "t.conf:2: channel id" },
		{ "[a]\nchannel v le:u8/8\n", "t.conf:2: format" },
		{ "[a]\nchannel v le:u8/8>>0 scale=abc\n", "t.conf:2: scale" },
		{ "frobnicate 1\n", "t.conf:1: unknown setting 'frobnicate'" },
		{ "buffers 1 2\n", "t.conf:1: 'buffers' takes one value" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct iiod_config cfg;
		char err[300] = "";

		iiod_config_init(&cfg);
		EXPECT_EQ(-EINVAL, iiod_config_parse(&cfg, bad[i].text, "t.conf",
						     err, sizeof(err)))
			TH_LOG("accepted: %s", bad[i].text);
		EXPECT_NE(NULL, strstr(err, bad[i].want))
			TH_LOG("'%s' said '%s'", bad[i].text, err);
		iiod_config_free(&cfg);
	}
}

/* ---- the server, with no device ---- */

struct server {
	struct child c;
	char portfile[64], port[16];
};

/* Options after @listen, up to a NULL. */
static int start_server(struct server *s, const char *listen, ...)
{
	/* The host has no capture device: an empty context. */
	char *argv[24] = { "fpgacap-iiod", "-l", (char *)listen,
			   "--port-file", s->portfile, "-q" };
	unsigned int n = 6;
	va_list ap;
	int i;

	va_start(ap, listen);
	while (n + 1 < sizeof(argv) / sizeof(argv[0]) &&
	       (argv[n] = va_arg(ap, char *)))
		n++;
	argv[n] = NULL;
	va_end(ap);

	snprintf(s->portfile, sizeof(s->portfile), "/tmp/fc-iiod.%d",
		 getpid());
	unlink(s->portfile);
	if (child_start(&s->c, argv))
		return -1;
	for (i = 0; i < 300; i++) {
		FILE *f = fopen(s->portfile, "r");

		if (f) {
			bool ok = fgets(s->port, sizeof(s->port), f) != NULL;

			fclose(f);
			if (ok && strchr(s->port, '\n')) {
				*strchr(s->port, '\n') = 0;
				unlink(s->portfile);
				return 0;
			}
		}
		usleep(10000);
	}
	return -1;
}

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int fd;

	if (getaddrinfo(host, port, &hints, &res))
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen)) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Read until @n lines came (or 5 s); the text in @buf. */
static int read_lines(int fd, char *buf, size_t len, int n)
{
	size_t got = 0;
	int lines = 0;

	while (lines < n && got + 1 < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 5000) <= 0)
			break;
		r = read(fd, buf + got, len - 1 - got);
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			lines += buf[got + i] == '\n';
		got += (size_t)r;
	}
	buf[got] = 0;
	return lines;
}

static int say(int fd, const char *s)
{
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
}

FIXTURE(server) {
	struct server s;
};

FIXTURE_VARIANT(server) {
	const char *listen, *host;
};

FIXTURE_VARIANT_ADD(server, ipv4) { .listen = "127.0.0.1:0",
				     .host = "127.0.0.1" };
FIXTURE_VARIANT_ADD(server, ipv6) { .listen = "[::1]:0", .host = "::1" };
FIXTURE_VARIANT_ADD(server, wildcard) { .listen = "*:0",
					 .host = "127.0.0.1" };

FIXTURE_SETUP(server)
{
	ASSERT_EQ(0, start_server(&self->s, variant->listen, "--max-clients",
				  "3", NULL));
}

FIXTURE_TEARDOWN(server)
{
	if (self->s.c.pid > 0 && !waitpid(self->s.c.pid, NULL, WNOHANG))
		child_stop(&self->s.c, SIGKILL, 2000);
}

TEST_F(server, replies_as_libiio_expects)
{
	char buf[8192], *p;
	long len;
	int fd = dial(variant->host, self->s.port);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, say(fd, "VERSION\r\n"));
	ASSERT_EQ(1, read_lines(fd, buf, sizeof(buf), 1));
	EXPECT_STREQ("0.24.fpgacap\n", buf);
	/* PRINT: the length, the XML, a newline. */
	ASSERT_EQ(0, say(fd, "PRINT\r\n"));
	ASSERT_LE(2, read_lines(fd, buf, sizeof(buf), 2));
	len = strtol(buf, &p, 10);
	ASSERT_EQ('\n', *p);
	EXPECT_EQ(len + 1, (long)strlen(p + 1));
	EXPECT_EQ(0, strncmp(p + 1, "<?xml", 5));
	EXPECT_NE(NULL, strstr(p + 1, "<!DOCTYPE context ["));
	EXPECT_NE(NULL, strstr(p + 1, "version-git=\"fpgacap\""));
	EXPECT_EQ(0, strcmp(p + 1 + len, "\n"));
	/* No compressed context nor libiio 1.0's binary protocol (its
	 * clients go on in this one); no such device; the empty line says
	 * nothing; lowercase works as the lexer's. */
	ASSERT_EQ(0, say(fd, "ZPRINT\r\nBINARY\r\nOPEN x 1 00000001\r\n"
			 "\r\ntimeout 500\r\nREAD x\r\n"));
	ASSERT_EQ(5, read_lines(fd, buf, sizeof(buf), 5));
	EXPECT_STREQ("-22\n-22\n-19\n0\n-19\n", buf);
	ASSERT_EQ(0, say(fd, "EXIT\r\n"));
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	close(fd);
	EXPECT_LE(0, child_stop(&self->s.c, SIGTERM, 2000));
}

TEST_F(server, garbage_long_lines_and_huge_lengths)
{
	char buf[8192], junk[6000];
	int fd = dial(variant->host, self->s.port);
	unsigned int i;

	ASSERT_LE(0, fd);
	/* Binary garbage: a short line, then one past the line limit
	 * (skipped whole): one -EINVAL each, then the next command. */
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 1) == '\n' ? 'x' : (char)(i * 7 + 1);
	junk[100] = '\n';
	junk[sizeof(junk) - 1] = '\n';
	ASSERT_EQ((ssize_t)sizeof(junk), write(fd, junk, sizeof(junk)));
	ASSERT_EQ(0, say(fd, "VERSION\r\n"));
	ASSERT_EQ(3, read_lines(fd, buf, sizeof(buf), 3));
	EXPECT_STREQ("-22\n-22\n0.24.fpgacap\n", buf);
	/* A payload too big for an attribute is skipped, the connection
	 * stays in step; a bigger one ends it. */
	ASSERT_EQ(0, say(fd, "WRITE x attr 70000\r\n"));
	memset(junk, '7', sizeof(junk));
	for (i = 0; i < 70000 / sizeof(junk); i++)
		ASSERT_EQ((ssize_t)sizeof(junk), write(fd, junk, sizeof(junk)));
	ASSERT_EQ((ssize_t)(70000 % sizeof(junk)),
		  write(fd, junk, 70000 % sizeof(junk)));
	ASSERT_EQ(0, say(fd, "VERSION\r\nWRITE x attr 99999999999999999999\r\n"
			 "WRITE x attr 9999999999\r\n"));
	ASSERT_EQ(4, read_lines(fd, buf, sizeof(buf), 4));
	EXPECT_STREQ("-27\n0.24.fpgacap\n-22\n-27\n", buf);
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	close(fd);
}

TEST_F(server, connection_limit)
{
	int fds[3], extra, i;
	char buf[64];

	for (i = 0; i < 3; i++) {
		fds[i] = dial(variant->host, self->s.port);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, say(fds[i], "VERSION\r\n"));
		ASSERT_EQ(1, read_lines(fds[i], buf, sizeof(buf), 1));
	}
	extra = dial(variant->host, self->s.port);
	ASSERT_LE(0, extra);
	ASSERT_EQ(1, read_lines(extra, buf, sizeof(buf), 1));
	EXPECT_STREQ("-87\n", buf);	/* -EUSERS */
	EXPECT_EQ(0, read(extra, buf, sizeof(buf)));
	close(extra);
	close(fds[0]);
	/* A place is free again once the server saw the close. */
	usleep(300000);
	extra = dial(variant->host, self->s.port);
	ASSERT_LE(0, extra);
	ASSERT_EQ(0, say(extra, "VERSION\r\n"));
	ASSERT_EQ(1, read_lines(extra, buf, sizeof(buf), 1));
	EXPECT_STREQ("0.24.fpgacap\n", buf);
	close(extra);
	close(fds[1]);
	close(fds[2]);
}

/* Segments received on @fd so far (TCP_INFO), or -1. */
static long long segs_in(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) ||
	    len < offsetof(struct tcp_info, tcpi_segs_in) +
		  sizeof(ti.tcpi_segs_in))
		return -1;
	return ti.tcpi_segs_in;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Each reply is one send: a PRINT (length, XML, newline) arrives as one
 * segment, and round trips never wait for a delayed ACK (a reply written
 * in pieces without TCP_NODELAY waits 40 ms and more for the client's
 * ACK of its first piece, once the connection has turned interactive).
 */
TEST_F(server, replies_leave_in_one_send)
{
	enum { N = 40 };
	uint64_t rtt[N];
	char buf[16384];
	long long s0, s1;
	int fd = dial(variant->host, self->s.port), i;

	ASSERT_LE(0, fd);
	s0 = segs_in(fd);
	if (s0 < 0)
		SKIP(return, "no tcpi_segs_in in this kernel's TCP_INFO");
	for (i = 0; i < N; i++) {
		uint64_t t0 = fc_now_ns();
		long len;
		char *p;

		ASSERT_EQ(0, say(fd, "PRINT\r\n"));
		ASSERT_LE(2, read_lines(fd, buf, sizeof(buf), 2));
		len = strtol(buf, &p, 10);
		ASSERT_EQ(len + 1, (long)strlen(p + 1));
		rtt[i] = fc_now_ns() - t0;
	}
	s1 = segs_in(fd);
	/* One segment per reply; a stray pure ACK or two at most. */
	EXPECT_GE(N + 2, s1 - s0) TH_LOG("%lld segments for %d replies",
					 s1 - s0, N);
	qsort(rtt, N, sizeof(rtt[0]), cmp_u64);
	EXPECT_GT(20000000ULL, rtt[N / 2])
		TH_LOG("median PRINT round trip %.3f ms", rtt[N / 2] / 1e6);
	/*
	 * Two commands in one write: the second reply must not wait for
	 * the ACK of the first (TCP_NODELAY). The same holds for the "0" or
	 * error line that ends a READBUF after its data.
	 */
	for (i = 0; i < N; i++) {
		uint64_t t0 = fc_now_ns();

		ASSERT_EQ(0, say(fd, "PRINT\r\nVERSION\r\n"));
		ASSERT_LE(3, read_lines(fd, buf, sizeof(buf), 3));
		ASSERT_NE(NULL, strstr(buf, "0.24.fpgacap\n"));
		rtt[i] = fc_now_ns() - t0;
	}
	qsort(rtt, N, sizeof(rtt[0]), cmp_u64);
	EXPECT_GT(20000000ULL, rtt[N / 2])
		TH_LOG("median pipelined round trip %.3f ms", rtt[N / 2] / 1e6);
	close(fd);
}

/* A server of the test's own, killed if a failed assertion left it. */
FIXTURE(solo) {
	struct server s;
};

FIXTURE_SETUP(solo)
{
	memset(&self->s, 0, sizeof(self->s));
}

FIXTURE_TEARDOWN(solo)
{
	if (self->s.c.pid > 0 && !waitpid(self->s.c.pid, NULL, WNOHANG))
		child_stop(&self->s.c, SIGKILL, 2000);
}

/* The JSON summary of a server stopped with SIGTERM. */
static const char *stop_summary(struct server *s)
{
	if (child_stop(&s->c, SIGTERM, 3000) < 0)
		return "";
	return s->c.outbuf;
}

static bool closed_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[256];

	while (poll(&p, 1, ms) > 0) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n <= 0)
			return true;
	}
	return false;
}

/*
 * A command begun must end within --command-timeout, and a connection
 * must send its first one within it; a client quiet between commands
 * stays (keepalive watches it instead).
 */
TEST_F(solo, command_deadline)
{
	struct server *s = &self->s;
	char buf[64];
	int part, mute, quiet;
	uint64_t t0;

	ASSERT_EQ(0, start_server(s, "127.0.0.1:0", "--json",
				  "--command-timeout", "0.5", NULL));
	part = dial("127.0.0.1", s->port);
	mute = dial("127.0.0.1", s->port);
	quiet = dial("127.0.0.1", s->port);
	ASSERT_LE(0, part);
	ASSERT_LE(0, mute);
	ASSERT_LE(0, quiet);
	ASSERT_EQ(0, say(quiet, "VERSION\r\n"));
	ASSERT_EQ(1, read_lines(quiet, buf, sizeof(buf), 1));
	t0 = fc_now_ns();
	ASSERT_EQ(0, say(part, "VERS"));
	EXPECT_TRUE(closed_within(part, 3000));
	EXPECT_TRUE(closed_within(mute, 3000));
	EXPECT_LE(400000000ULL, fc_now_ns() - t0);
	/* Four times the deadline later, the quiet one is served. */
	usleep(2000000);
	ASSERT_EQ(0, say(quiet, "VERSION\r\n"));
	ASSERT_EQ(1, read_lines(quiet, buf, sizeof(buf), 1));
	EXPECT_STREQ("0.24.fpgacap\n", buf);
	EXPECT_NE(NULL, strstr(stop_summary(s), "\"command_timeout\":2,"))
		TH_LOG("%s", s->c.outbuf);
	close(part);
	close(mute);
	close(quiet);
}

/*
 * A WRITE's payload is part of its command: line and payload share one
 * deadline, counted from the line's first byte. A payload that comes
 * within it is taken (here answered -ENODEV: no such device); one whose
 * line came 1.5 s into a 2 s deadline has 0.5 s left, not 2 s more. The
 * margins hold on a loaded machine: the server closes 2 s after the
 * line began (it cannot close earlier, and the check allows 0.75 s of
 * lateness), where a payload with its own deadline would end it 3.5 s
 * after (1.5 s + 2 s) and one with none not at all.
 */
TEST_F(solo, write_payload_shares_its_command_deadline)
{
	struct server *s = &self->s;
	char buf[64];
	uint64_t t0, ms, sent_ms;
	int fd, tries, said;

	ASSERT_EQ(0, start_server(s, "127.0.0.1:0", "--json",
				  "--command-timeout", "2", NULL));
	fd = dial("127.0.0.1", s->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, say(fd, "WRITE x attr 2\r\n"));
	usleep(1000000);
	ASSERT_EQ(0, say(fd, "ab"));
	ASSERT_EQ(1, read_lines(fd, buf, sizeof(buf), 1));
	EXPECT_STREQ("-19\n", buf);
	/*
	 * Part of a line now, the rest of it 1.5 s later, then part of
	 * the payload: the connection ends 2 s after the line began. Only
	 * if the payload came well before then: a sleep that overran to
	 * the deadline would let a server with a deadline of its own for
	 * the payload pass. Such a try is done again, and at the third
	 * the test is skipped.
	 */
	for (tries = 0;; tries++) {
		if (tries) {
			close(fd);
			fd = dial("127.0.0.1", s->port);
			ASSERT_LE(0, fd);
		}
		t0 = fc_now_ns();
		ASSERT_EQ(0, say(fd, "WRITE x "));
		usleep(1500000);
		said = say(fd, "attr 10\r\n12345");
		sent_ms = (fc_now_ns() - t0) / 1000000;
		if (sent_ms < 1900) {
			ASSERT_EQ(0, said);
			break;
		}
		if (tries == 2) {
			close(fd);
			SKIP(return, "the payload went out %llu ms after the "
			     "line began in three tries: too late to tell a "
			     "shared deadline from its own",
			     (unsigned long long)sent_ms);
		}
		closed_within(fd, 5000);
	}
	EXPECT_TRUE(closed_within(fd, 5000));
	ms = (fc_now_ns() - t0) / 1000000;
	EXPECT_LE(1900, ms);
	EXPECT_GT(2750, ms) TH_LOG("the payload got a deadline of its own: "
				   "closed after %llu ms",
				   (unsigned long long)ms);
	/* One per try: the retried ones timed out too. */
	EXPECT_NE(NULL, strstr(stop_summary(s), tries == 0 ?
			       "\"command_timeout\":1," : tries == 1 ?
			       "\"command_timeout\":2," :
			       "\"command_timeout\":3,"))
		TH_LOG("%s", s->c.outbuf);
	close(fd);
}

/*
 * At the limit a newcomer takes the place of the connection quiet the
 * longest (2 s at least), never of one in the middle of a command.
 */
TEST_F(solo, idle_connections_make_room)
{
	struct server *s = &self->s;
	char buf[64];
	int fds[3], extra, i;

	ASSERT_EQ(0, start_server(s, "127.0.0.1:0", "--json",
				  "--max-clients", "3", "--command-timeout",
				  "30", NULL));
	for (i = 0; i < 3; i++) {
		fds[i] = dial("127.0.0.1", s->port);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, say(fds[i], "VERSION\r\n"));
		ASSERT_EQ(1, read_lines(fds[i], buf, sizeof(buf), 1));
		usleep(100000);
	}
	/* Quiet for less than 2 s: the newcomer is refused. */
	extra = dial("127.0.0.1", s->port);
	ASSERT_LE(0, extra);
	ASSERT_EQ(1, read_lines(extra, buf, sizeof(buf), 1));
	EXPECT_STREQ("-87\n", buf);
	close(extra);
	usleep(2300000);
	/* Now the one quiet longest goes, the newcomer is served. */
	extra = dial("127.0.0.1", s->port);
	ASSERT_LE(0, extra);
	ASSERT_EQ(0, say(extra, "VERSION\r\n"));
	ASSERT_EQ(1, read_lines(extra, buf, sizeof(buf), 1));
	EXPECT_STREQ("0.24.fpgacap\n", buf);
	EXPECT_TRUE(closed_within(fds[0], 2000));
	ASSERT_EQ(0, say(fds[1], "VERSION\r\n"));
	EXPECT_EQ(1, read_lines(fds[1], buf, sizeof(buf), 1));
	close(fds[0]);
	/* Three in the middle of a command: none gives way. */
	ASSERT_EQ(0, say(fds[1], "VERS"));
	ASSERT_EQ(0, say(fds[2], "READ"));
	ASSERT_EQ(0, say(extra, "PRI"));
	usleep(2300000);
	fds[0] = dial("127.0.0.1", s->port);
	ASSERT_LE(0, fds[0]);
	ASSERT_EQ(1, read_lines(fds[0], buf, sizeof(buf), 1));
	EXPECT_STREQ("-87\n", buf);
	EXPECT_NE(NULL, strstr(stop_summary(s), "\"evicted\":1,"))
		TH_LOG("%s", s->c.outbuf);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	close(extra);
}

/*
 * A client whose host vanished without a word (its socket closed in
 * TCP repair mode: no FIN, no reset) is found by keepalive: its
 * connection ends on the probe's answer, long before the server stops.
 * Without keepalive it lasts until the stop.
 */
TEST_F(solo, keepalive_finds_a_vanished_client)
{
	static const char *const ka[] = { "1", "0" };
	struct server *s = &self->s;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		char buf[64];
		int fd, one = 1;

		ASSERT_EQ(0, start_server(s, "127.0.0.1:0", "--json",
					  "--keepalive", ka[i], NULL));
		fd = dial("127.0.0.1", s->port);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, say(fd, "VERSION\r\n"));
		ASSERT_EQ(1, read_lines(fd, buf, sizeof(buf), 1));
		if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &one,
			       sizeof(one))) {
			close(fd);
			child_stop(&s->c, SIGKILL, 2000);
			SKIP(return, "TCP_REPAIR needs CAP_NET_ADMIN");
		}
		close(fd);
		/* Idle 1 s, then the first probe meets no socket. */
		usleep(3500000);
		stop_summary(s);
		if (!i) {
			EXPECT_NE(NULL, strstr(s->c.outbuf,
					       "\"left\":1,\"vanished\":0"))
				TH_LOG("%s", s->c.outbuf);
		} else {
			EXPECT_NE(NULL, strstr(s->c.outbuf,
					       "\"server_stop\":1"))
				TH_LOG("%s", s->c.outbuf);
		}
	}
}


/* ---- buffer sessions over the in-process capture device ---- */

/*
 * The test build of the server with 'fake:' devices (tests/iiod/
 * fakedev.c), next to this test: $(O)/tests/fpgacap-iiod-fakedev.
 */
static const char *fake_server(void)
{
	static char path[600];
	const char *bin = getenv("FPGACAP_BIN");

	snprintf(path, sizeof(path), "%s/../tests/fpgacap-iiod-fakedev",
		 bin ? bin : ".");
	return path;
}

static const char fake_conf[] =
	"[cnt]\nbuffer-size 16K\n"
	"[lanes]\nbuffer-size 64K\n"
	"channel voltage0 le:u16/16>>0\nchannel voltage1 le:u16/16>>0\n"
	"channel voltage2 le:u16/16>>0\nchannel voltage3 le:u16/16>>0\n"
	"[tri]\nbuffer-size 64K\n"
	"channel voltage0 le:u16/16>>0\nchannel voltage1 le:u16/16>>0\n"
	"channel voltage2 le:u16/16>>0\n";

/* Start the fake server on 127.0.0.1 with the devices above. */
static int start_fake4(struct server *s, char *conf, const char *extra1,
		       const char *extra2, const char *extra3,
		       const char *extra4)
{
	char *argv[] = { (char *)fake_server(), "-l", "127.0.0.1:0",
			 "--port-file", s->portfile, "-q", "-C", conf,
			 "-d", "fake:cnt", "-d", "fake:lanes", "-d", "fake:tri",
			 "--stall-timeout", "1", "--json", (char *)extra1,
			 (char *)extra2, (char *)extra3, (char *)extra4,
			 NULL };
	int fd = mkstemp(conf), i;

	if (fd < 0 || write(fd, fake_conf, sizeof(fake_conf) - 1) !=
		      (ssize_t)sizeof(fake_conf) - 1)
		return -1;
	close(fd);
	snprintf(s->portfile, sizeof(s->portfile), "/tmp/fc-iiod-fake.%d",
		 getpid());
	unlink(s->portfile);
	if (child_start(&s->c, argv))
		return -1;
	for (i = 0; i < 300; i++) {
		FILE *f = fopen(s->portfile, "r");

		if (f) {
			bool ok = fgets(s->port, sizeof(s->port), f) != NULL;

			fclose(f);
			if (ok && strchr(s->port, '\n')) {
				*strchr(s->port, '\n') = 0;
				unlink(s->portfile);
				return 0;
			}
		}
		usleep(10000);
	}
	return -1;
}

static int start_fake(struct server *s, char *conf, const char *extra1,
		      const char *extra2)
{
	return start_fake4(s, conf, extra1, extra2, NULL, NULL);
}

/* A protocol connection with its own read buffer. */
struct pc {
	int fd;
	size_t len;
	char buf[1 << 16];
};

static int pc_fill(struct pc *p, int ms)
{
	struct pollfd q = { .fd = p->fd, .events = POLLIN };
	ssize_t n;

	if (p->len == sizeof(p->buf) || poll(&q, 1, ms) <= 0)
		return -1;
	n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len);
	if (n <= 0)
		return -1;
	p->len += (size_t)n;
	return 0;
}

/* The next line as text (without its newline) into @out; -1 on none. */
static int pc_line(struct pc *p, char *out, size_t outlen, int ms)
{
	for (;;) {
		char *nl = memchr(p->buf, '\n', p->len);

		if (nl) {
			size_t k = (size_t)(nl - p->buf);

			snprintf(out, outlen, "%.*s", (int)k, p->buf);
			p->len -= k + 1;
			memmove(p->buf, nl + 1, p->len);
			return 0;
		}
		if (pc_fill(p, ms))
			return -1;
	}
}

static long long pc_int(struct pc *p, int ms)
{
	char line[64];

	return pc_line(p, line, sizeof(line), ms) ? -99999 :
	       strtoll(line, NULL, 10);
}

static int pc_bytes(struct pc *p, void *out, size_t n, int ms)
{
	char *o = out;

	while (n) {
		size_t k = p->len < n ? p->len : n;

		memcpy(o, p->buf, k);
		o += k;
		n -= k;
		p->len -= k;
		memmove(p->buf, p->buf + k, p->len);
		if (n && pc_fill(p, ms))
			return -1;
	}
	return 0;
}

static long long pc_cmd(struct pc *p, const char *cmd)
{
	if (say(p->fd, cmd) || say(p->fd, "\r\n"))
		return -99999;
	return pc_int(p, 5000);
}

/*
 * READBUF @dev @n: the chunks into @out (room for @n), the mask before
 * the first into @mask. Returns the bytes, and in *end what ended the
 * reply: 1 the request filled, 0 a "0" line, or the negative errno.
 */
static long long readbuf(struct pc *p, const char *dev, size_t n, void *out,
			 char *mask, long long *end, int ms)
{
	char cmd[96];
	size_t got = 0;
	bool first = true;

	snprintf(cmd, sizeof(cmd), "READBUF %s %zu\r\n", dev, n);
	if (say(p->fd, cmd))
		return -1;
	*end = 1;
	while (got < n) {
		long long k = pc_int(p, ms);

		if (k <= 0) {
			*end = k;
			break;
		}
		if (first && pc_line(p, mask, 64, ms))
			return -1;
		first = false;
		if ((size_t)k > n - got ||
		    pc_bytes(p, (char *)out + got, (size_t)k, ms))
			return -1;
		got += (size_t)k;
	}
	return (long long)got;
}

/* The pattern stream's bytes [@off, @off + @n). */
static void pattern_at(uint8_t *out, uint64_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t w = (off + i) / 8;

		out[i] = (uint8_t)(w >> (8 * ((off + i) % 8)));
	}
}

/* Sample j of 16-bit lanes @mask (of @lanes) from the pattern. */
static bool lanes_ok(const uint16_t *got, size_t nsamples, uint32_t mask,
		     unsigned int lanes)
{
	unsigned int k = 0, l;
	size_t j;
	uint8_t full[16];

	for (j = 0; j < nsamples; j++) {
		pattern_at(full, j * 2 * lanes, 2 * lanes);
		for (l = 0; l < lanes; l++) {
			uint16_t v;

			if (!(mask >> l & 1))
				continue;
			memcpy(&v, full + 2 * l, 2);
			if (got[k++] != le16toh(v))
				return false;
		}
	}
	return true;
}

FIXTURE(fake) {
	struct server s;
	char conf[32];
	struct pc p;
};

FIXTURE_SETUP(fake)
{
	strcpy(self->conf, "/tmp/fc-iiod-fake.XXXXXX");
	ASSERT_EQ(0, start_fake(&self->s, self->conf, "--keepalive", "1"));
	self->p.fd = dial("127.0.0.1", self->s.port);
	self->p.len = 0;
	ASSERT_LE(0, self->p.fd);
}

FIXTURE_TEARDOWN(fake)
{
	close(self->p.fd);
	if (self->s.c.pid > 0 && !waitpid(self->s.c.pid, NULL, WNOHANG))
		child_stop(&self->s.c, SIGKILL, 2000);
	unlink(self->conf);
}

/*
 * 6-byte samples in 64 KiB pool buffers: every request gets its whole
 * samples, continuing the stream across the buffers' edges, then a "0"
 * where a partial sample was left over; under a sample, "0" alone.
 */
TEST_F(fake, readbuf_sends_whole_samples_then_zero)
{
	static const size_t sizes[] = { 6005, 5, 1, 65537, 131072, 6, 7,
					199999, 12 };
	uint8_t *got = malloc(200000), *want = malloc(200000);
	uint64_t off = 0;
	char mask[64];
	unsigned int i;

	ASSERT_TRUE(got && want);
	ASSERT_EQ(0, pc_cmd(&self->p, "OPEN tri 1000 00000007"));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t whole = sizes[i] - sizes[i] % 6;
		long long end, n;

		mask[0] = 0;
		n = readbuf(&self->p, "tri", sizes[i], got, mask, &end, 5000);
		ASSERT_EQ((long long)whole, n) TH_LOG("request %zu", sizes[i]);
		/* The request filled, or a 0 for what was left of it. */
		EXPECT_EQ(whole == sizes[i] ? 1 : 0, end)
			TH_LOG("request %zu", sizes[i]);
		if (whole)
			EXPECT_STREQ("00000007", mask);
		pattern_at(want, off, whole);
		ASSERT_EQ(0, memcmp(got, want, whole))
			TH_LOG("request %zu at stream offset %llu", sizes[i],
			       (unsigned long long)off);
		off += whole;
	}
	EXPECT_EQ(0, pc_cmd(&self->p, "CLOSE tri"));
	free(got);
	free(want);
}

/*
 * Each of the 15 subsets of four 16-bit lanes, one after the other on one
 * connection (CLOSE, then OPEN again): exactly the enabled lanes, the
 * client's own mask before them, each session from the stream's start.
 */
TEST_F(fake, subsets_get_their_channels_and_open_again_after_close)
{
	uint16_t got[4 * 3001];
	char mask[64], cmd[64];
	uint32_t m;

	for (m = 1; m < 16; m++) {
		unsigned int k = (unsigned int)__builtin_popcount(m);
		size_t n = 3001 * 2 * k;
		long long end;

		snprintf(cmd, sizeof(cmd), "OPEN lanes 3001 %08x", m);
		ASSERT_EQ(0, pc_cmd(&self->p, cmd)) TH_LOG("mask %x", m);
		ASSERT_EQ((long long)n, readbuf(&self->p, "lanes", n, got,
						mask, &end, 5000));
		snprintf(cmd, sizeof(cmd), "%08x", m);
		EXPECT_STREQ(cmd, mask);
		EXPECT_TRUE(lanes_ok(got, 3001, m, 4)) TH_LOG("mask %x", m);
		/* A second OPEN before CLOSE: one session at a time. */
		EXPECT_EQ(-EBUSY, pc_cmd(&self->p, "OPEN lanes 16 0000000f"));
		EXPECT_EQ(0, pc_cmd(&self->p, "CLOSE lanes"));
		EXPECT_EQ(-EBADF, pc_cmd(&self->p, "READBUF lanes 8"));
	}
}

/*
 * TIMEOUT bounds the wait for each pool buffer, not the reply: a source
 * that fills a 16 KiB buffer every half second serves a 3 s block
 * whole under TIMEOUT 1000; one that takes 16 s per buffer fails the
 * READBUF with -ETIMEDOUT after about a second, never with a short reply,
 * and the connection goes on.
 */
TEST_F(fake, timeout_bounds_each_pool_buffer_not_the_reply)
{
	static char got[98304];
	uint8_t *want = malloc(sizeof(got));
	struct pc *p = &self->p;
	char mask[64];
	long long end, n;
	uint64_t t0, ms;

	ASSERT_NE(NULL, want);
	ASSERT_EQ(4, pc_cmd(p, "WRITE cnt sampling_frequency 4\r\n4096"));
	ASSERT_EQ(0, pc_cmd(p, "TIMEOUT 1000"));
	ASSERT_EQ(0, pc_cmd(p, "OPEN cnt 12288 00000001"));
	t0 = fc_now_ns();
	n = readbuf(p, "cnt", sizeof(got), got, mask, &end, 5000);
	ms = (fc_now_ns() - t0) / 1000000;
	EXPECT_EQ((long long)sizeof(got), n);
	EXPECT_EQ(1, end);
	EXPECT_LT(2000, ms);
	pattern_at(want, 0, sizeof(got));
	EXPECT_EQ(0, memcmp(got, want, sizeof(got)));
	EXPECT_EQ(0, pc_cmd(p, "CLOSE cnt"));

	ASSERT_EQ(3, pc_cmd(p, "WRITE cnt sampling_frequency 3\r\n128"));
	ASSERT_EQ(0, pc_cmd(p, "OPEN cnt 12288 00000001"));
	t0 = fc_now_ns();
	n = readbuf(p, "cnt", sizeof(got), got, mask, &end, 5000);
	ms = (fc_now_ns() - t0) / 1000000;
	EXPECT_EQ(0, n);
	EXPECT_EQ(-ETIMEDOUT, end);
	EXPECT_LE(900, ms);
	EXPECT_GT(3000, ms);
	n = readbuf(p, "cnt", 8, got, mask, &end, 5000);
	EXPECT_EQ(-ETIMEDOUT, end);
	EXPECT_EQ(0, pc_cmd(p, "CLOSE cnt"));
	EXPECT_EQ(1, pc_cmd(p, "WRITE cnt sampling_frequency 1\r\n0"));
	free(want);
}

/*
 * A client of a channel subset that stops reading: its copied replies
 * stall like the pool's, and the connection is reset after the stall
 * time (ended as a stall), the device free again.
 */
TEST_F(fake, a_subset_client_that_stops_reading_is_reset)
{
	struct pc *p = &self->p;
	int small = 4096;
	uint64_t t0;

	setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	ASSERT_EQ(0, pc_cmd(p, "OPEN lanes 65536 00000005"));
	ASSERT_EQ(0, say(p->fd, "READBUF lanes 1073741824\r\n"));
	t0 = fc_now_ns();
	/* Nothing read: the server gives up after its stall time. */
	usleep(3000000);
	EXPECT_LE(0, child_stop(&self->s.c, SIGTERM, 3000));
	EXPECT_NE(NULL, strstr(self->s.c.outbuf, "\"stall\":1,"))
		TH_LOG("%s", self->s.c.outbuf);
	EXPECT_NE(NULL, strstr(self->s.c.outbuf, "\"ended_by\":\"stall\""));
	EXPECT_NE(NULL, strstr(self->s.c.outbuf, "\"unreleased\":0,"));
	(void)t0;
}

/* An attribute's value through connection @p. */
static int pc_attr(struct pc *p, const char *dev, const char *attr,
		   char *val, size_t len)
{
	char cmd[128];
	long long n;

	snprintf(cmd, sizeof(cmd), "READ %s %s", dev, attr);
	n = pc_cmd(p, cmd);
	if (n <= 0 || (size_t)n >= len)
		return -1;
	return pc_bytes(p, val, (size_t)n + 1, 5000);
}

/*
 * A client that OPENs and then vanishes without a word (its socket closed
 * in TCP repair mode) holds the device only until keepalive's probe (1 s
 * here) meets no socket; then the device is free for the next client.
 */
TEST_F(fake, a_client_that_vanishes_after_open_frees_its_device)
{
	struct pc other = { .len = 0 };
	char val[64];
	int one = 1, i;

	ASSERT_EQ(0, pc_cmd(&self->p, "OPEN cnt 1024 00000001"));
	if (setsockopt(self->p.fd, IPPROTO_TCP, TCP_REPAIR, &one,
		       sizeof(one)))
		SKIP(return, "TCP_REPAIR needs CAP_NET_ADMIN");
	close(self->p.fd);
	self->p.fd = -1;
	other.fd = dial("127.0.0.1", self->s.port);
	ASSERT_LE(0, other.fd);
	ASSERT_EQ(0, pc_attr(&other, "cnt", "state", val, sizeof(val)));
	EXPECT_STREQ("streaming", val);
	for (i = 0; i < 40; i++) {
		usleep(100000);
		ASSERT_EQ(0, pc_attr(&other, "cnt", "state", val,
				     sizeof(val)));
		if (!strcmp(val, "idle"))
			break;
	}
	EXPECT_STREQ("idle", val);
	/* Within the idle time and a probe: 1 s, then 1 s at most. */
	EXPECT_GT(30, i);
	EXPECT_LE(5, i);
	EXPECT_EQ(0, pc_cmd(&other, "OPEN cnt 1024 00000001"));
	close(other.fd);
}

/* Loopback up or down (in the test's own network namespace). */
static int loopback(bool up)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = -1;

	if (fd < 0)
		return -1;
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags = up ? ifr.ifr_flags | IFF_UP :
				     ifr.ifr_flags & ~IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

/*
 * A client whose host vanishes while a reply is on its way (the loopback
 * of the test's own network namespace goes down mid-READBUF, so nothing
 * arrives and nothing is acknowledged): TCP sends no keepalive probe
 * while data is unacknowledged, and the stall check watches only a send
 * that blocks, which these small chunks never do. The user timeout
 * (keepalive's bound: 1 s idle and five probes here) ends the connection;
 * without it the retransmissions would hold the device for minutes. With
 * the loopback up again, a new client finds the device idle.
 */
TEST(a_client_that_vanishes_mid_reply_frees_its_device)
{
	char conf[32] = "/tmp/fc-iiod-vanish.XXXXXX", val[64];
	struct pc *p = calloc(1, sizeof(*p)), *q = calloc(1, sizeof(*q));
	struct server s = { 0 };

	ASSERT_TRUE(p && q);
	if (unshare(CLONE_NEWNET))
		SKIP(return, "a network namespace needs CAP_SYS_ADMIN");
	ASSERT_EQ(0, loopback(true));
	ASSERT_EQ(0, start_fake4(&s, conf, "--keepalive", "1",
				 "--stall-timeout", "60"));
	p->fd = dial("127.0.0.1", s.port);
	ASSERT_LE(0, p->fd);
	/* A pool buffer of 1024 samples a second, each sent as it comes. */
	ASSERT_EQ(4, pc_cmd(p, "WRITE cnt sampling_frequency 4\r\n1024"));
	ASSERT_EQ(0, pc_cmd(p, "OPEN cnt 1024 00000001"));
	ASSERT_EQ(0, say(p->fd, "READBUF cnt 1048576\r\n"));
	ASSERT_EQ(0, pc_fill(p, 5000));
	ASSERT_EQ(0, loopback(false));
	/* The user timeout is 6 s: well past it. */
	usleep(9000000);
	ASSERT_EQ(0, loopback(true));
	q->fd = dial("127.0.0.1", s.port);
	ASSERT_LE(0, q->fd);
	ASSERT_EQ(0, pc_attr(q, "cnt", "state", val, sizeof(val)));
	EXPECT_STREQ("idle", val);
	close(q->fd);
	close(p->fd);
	child_stop(&s.c, SIGKILL, 2000);
	unlink(conf);
	free(p);
	free(q);
}

/*
 * The context's buffer attributes (libiio 1.0 before July 2026 finds a
 * device's buffer by them), read-only; BINARY refused so that 1.0 keeps
 * this protocol; the rate a session measured.
 */
TEST_F(fake, buffer_attributes_binary_and_a_measured_rate)
{
	struct pc *p = &self->p;
	static char xml[262144];
	char mask[64], val[64];
	long long len, end;

	len = pc_cmd(p, "PRINT");
	ASSERT_LT(0, len);
	ASSERT_GT((long long)sizeof(xml), len);
	ASSERT_EQ(0, pc_bytes(p, xml, (size_t)len + 1, 5000));
	xml[len] = 0;
	EXPECT_NE(NULL, strstr(xml, "<buffer-attribute name=\"length\" />"));
	EXPECT_EQ(-EINVAL, pc_cmd(p, "BINARY"));
	len = pc_cmd(p, "READ lanes BUFFER length");
	ASSERT_LT(0, len);
	ASSERT_EQ(0, pc_bytes(p, val, (size_t)len + 1, 5000));
	EXPECT_STREQ("131072", val);	/* 16 x 64 KiB / 8 */
	EXPECT_EQ(-EACCES, pc_cmd(p, "WRITE lanes BUFFER length 2\r\n16"));
	EXPECT_EQ(-ENOENT, pc_cmd(p, "READ lanes BUFFER nosuch"));
	/* Without a rate, the last session's measured one. */
	ASSERT_EQ(0, pc_cmd(p, "OPEN cnt 16 00000001"));
	ASSERT_EQ(262144, readbuf(p, "cnt", 262144, xml, mask,
				  &end, 5000));
	ASSERT_EQ(0, pc_cmd(p, "CLOSE cnt"));
	len = pc_cmd(p, "READ cnt sampling_frequency_source");
	ASSERT_LT(0, len);
	ASSERT_EQ(0, pc_bytes(p, val, (size_t)len + 1, 5000));
	EXPECT_STREQ("measured", val);
}

/*
 * A buffer the source marked failed fails the READBUF it falls in with
 * -EIO after the samples before it; the next READBUF goes on after it.
 */
FIXTURE(fakefail) {
	struct server s;
	char conf[32];
	struct pc p;
};

FIXTURE_SETUP(fakefail)
{
	strcpy(self->conf, "/tmp/fc-iiod-fake.XXXXXX");
	setenv("FPGACAP_FAKE_FAIL_EVERY", "3", 1);
	ASSERT_EQ(0, start_fake(&self->s, self->conf, NULL, NULL));
	unsetenv("FPGACAP_FAKE_FAIL_EVERY");
	self->p.fd = dial("127.0.0.1", self->s.port);
	self->p.len = 0;
	ASSERT_LE(0, self->p.fd);
}

FIXTURE_TEARDOWN(fakefail)
{
	close(self->p.fd);
	if (self->s.c.pid > 0 && !waitpid(self->s.c.pid, NULL, WNOHANG))
		child_stop(&self->s.c, SIGKILL, 2000);
	unlink(self->conf);
}

TEST_F(fakefail, failed_buffer_fails_its_readbuf)
{
	static uint8_t got[16384 * 3], want[16384];
	struct pc *p = &self->p;
	char mask[64];
	long long n, end;

	ASSERT_EQ(0, pc_cmd(p, "OPEN cnt 2048 00000001"));
	/* Buffers 1 and 2, then the failed third. */
	n = readbuf(p, "cnt", sizeof(got), got, mask, &end, 5000);
	EXPECT_EQ(2 * 16384, n);
	EXPECT_EQ(-EIO, end);
	pattern_at(want, 16384, 16384);
	EXPECT_EQ(0, memcmp(got + 16384, want, 16384));
	/* The stream goes on after it. */
	n = readbuf(p, "cnt", 16384, got, mask, &end, 5000);
	EXPECT_EQ(16384, n);
	EXPECT_EQ(1, end);
	pattern_at(want, 3 * 16384, 16384);
	EXPECT_EQ(0, memcmp(got, want, 16384));
	EXPECT_EQ(0, pc_cmd(p, "CLOSE cnt"));
}

/*
 * The device refuses a RETURN (ENODEV, as after an unbind) once two
 * buffers came back: the error reaches the server after a READBUF that
 * succeeded, when the buffers it sent are released. The client is told,
 * as libiio's iiod tells it a failed refill: a READBUF under way ends
 * with the negative errno after what it sent, every later one is answered
 * with it at once, and the connection goes on: CLOSE frees the device,
 * and an OPEN again streams.
 */
FIXTURE(fakegone) {
	struct server s;
	char conf[32];
	struct pc p;
};

FIXTURE_SETUP(fakegone)
{
	strcpy(self->conf, "/tmp/fc-iiod-gone.XXXXXX");
	setenv("FPGACAP_FAKE_RETURN_FAIL_AFTER", "2", 1);
	ASSERT_EQ(0, start_fake(&self->s, self->conf, NULL, NULL));
	unsetenv("FPGACAP_FAKE_RETURN_FAIL_AFTER");
	self->p.fd = dial("127.0.0.1", self->s.port);
	self->p.len = 0;
	ASSERT_LE(0, self->p.fd);
}

FIXTURE_TEARDOWN(fakegone)
{
	close(self->p.fd);
	if (self->s.c.pid > 0 && !waitpid(self->s.c.pid, NULL, WNOHANG))
		child_stop(&self->s.c, SIGKILL, 2000);
	unlink(self->conf);
}

TEST_F(fakegone, a_device_error_after_a_readbuf_is_answered)
{
	static uint8_t got[16384], want[16384];
	struct pc *p = &self->p;
	char mask[64], val[64];
	long long n, end;
	int i, ok = 0, failed = -1;

	ASSERT_EQ(0, pc_cmd(p, "OPEN cnt 2048 00000001"));
	/*
	 * One pool buffer per READBUF. When released buffers go back to
	 * the driver, and in how many RETURNs, depends on the send path
	 * (the 4th or 5th READBUF met the error over io_uring, the 33rd
	 * over plain sends). The fake refuses a RETURN once two buffers
	 * went back: the first RETURN may give back one, the next a whole
	 * pool of 16, and the stream cannot outrun the pool by more than
	 * 16 buffers more, so the refusal comes by index 2 * 16 + 1.
	 */
	for (i = 0; i < 48; i++) {
		n = readbuf(p, "cnt", sizeof(got), got, mask, &end, 5000);
		if (end == -ENODEV) {
			failed = i;
			break;
		}
		ASSERT_EQ((long long)sizeof(got), n) TH_LOG("READBUF %d", i);
		ASSERT_EQ(1, end) TH_LOG("READBUF %d", i);
		pattern_at(want, (uint64_t)i * sizeof(got), sizeof(got));
		ASSERT_EQ(0, memcmp(got, want, sizeof(got)));
		ok++;
	}
	EXPECT_LE(2, ok);
	ASSERT_LE(0, failed) TH_LOG("no -ENODEV in 48 READBUFs");
	EXPECT_GE(2 * 16 + 1, failed);
	/* Answered at once from then on; the connection stays. */
	for (i = 0; i < 3; i++) {
		n = readbuf(p, "cnt", sizeof(got), got, mask, &end, 5000);
		EXPECT_EQ(0, n);
		EXPECT_EQ(-ENODEV, end) TH_LOG("READBUF after the error: %lld",
					       end);
	}
	EXPECT_EQ(0, pc_cmd(p, "CLOSE cnt"));
	ASSERT_EQ(0, pc_attr(p, "cnt", "state", val, sizeof(val)));
	EXPECT_STREQ("idle", val);
	ASSERT_EQ(0, pc_cmd(p, "OPEN cnt 2048 00000001"));
	n = readbuf(p, "cnt", sizeof(got), got, mask, &end, 5000);
	EXPECT_EQ((long long)sizeof(got), n);
	EXPECT_EQ(1, end);
	EXPECT_EQ(0, pc_cmd(p, "CLOSE cnt"));
	EXPECT_LE(0, child_stop(&self->s.c, SIGTERM, 3000));
	EXPECT_NE(NULL, strstr(self->s.c.outbuf, "\"error\":0}"))
		TH_LOG("%s", self->s.c.outbuf);
}

/*
 * The device fails while a READBUF of 64 pool buffers is under way, on
 * every path a reply takes: from the pool (8-byte samples; 6-byte ones
 * that straddle the buffers) and copied out for a channel subset. The
 * source's stream fails after N buffers (DEQUEUE says EIO, as a drained
 * failed stream does, or ENODEV, as after an unbind), or the driver refuses buffers back after N (ENODEV,
 * as after an unbind). The client gets whole samples of the stream in
 * order, then the negative errno: never a "0" or a silence after a short
 * block that it would take for a whole one. A failed stream's samples
 * all reach the client before its error, none more; a refused RETURN
 * ends the reply where the server meets it. Every READBUF after is
 * answered with the errno at once, and the connection stays: CLOSE frees
 * the device, an OPEN again streams.
 */
FIXTURE(fakebroken) {
	struct server s;
	char conf[32];
	struct pc p;
};

FIXTURE_VARIANT(fakebroken) {
	const char *env;	/* fakedev.c's: fail after @after buffers */
	unsigned int after;
	int dequeue_errno;	/* FPGACAP_FAKE_DEQUEUE_ERRNO, or 0 */
	const char *dev, *mask;	/* OPEN's */
	unsigned int lanes;	/* 16-bit lanes of a subset's device, or 0 */
	size_t in_size, out_size, buffer_size;
	long long err;
};

FIXTURE_VARIANT_ADD(fakebroken, stream_fails_pool) {
	.env = "FPGACAP_FAKE_DEQUEUE_FAIL_AFTER", .after = 20,
	.dev = "cnt", .mask = "00000001",
	.in_size = 8, .out_size = 8, .buffer_size = 16384, .err = -EIO };
FIXTURE_VARIANT_ADD(fakebroken, stream_fails_straddling_samples) {
	.env = "FPGACAP_FAKE_DEQUEUE_FAIL_AFTER", .after = 5,
	.dev = "tri", .mask = "00000007",
	.in_size = 6, .out_size = 6, .buffer_size = 65536, .err = -EIO };
FIXTURE_VARIANT_ADD(fakebroken, stream_fails_subset) {
	.env = "FPGACAP_FAKE_DEQUEUE_FAIL_AFTER", .after = 5,
	.dev = "lanes", .mask = "00000005", .lanes = 4,
	.in_size = 8, .out_size = 4, .buffer_size = 65536, .err = -EIO };
FIXTURE_VARIANT_ADD(fakebroken, stream_unbound_pool) {
	.env = "FPGACAP_FAKE_DEQUEUE_FAIL_AFTER", .after = 20,
	.dequeue_errno = ENODEV,
	.dev = "cnt", .mask = "00000001",
	.in_size = 8, .out_size = 8, .buffer_size = 16384, .err = -ENODEV };
FIXTURE_VARIANT_ADD(fakebroken, return_refused_pool) {
	.env = "FPGACAP_FAKE_RETURN_FAIL_AFTER", .after = 20,
	.dev = "cnt", .mask = "00000001",
	.in_size = 8, .out_size = 8, .buffer_size = 16384, .err = -ENODEV };
FIXTURE_VARIANT_ADD(fakebroken, return_refused_subset) {
	.env = "FPGACAP_FAKE_RETURN_FAIL_AFTER", .after = 20,
	.dev = "lanes", .mask = "00000005", .lanes = 4,
	.in_size = 8, .out_size = 4, .buffer_size = 65536, .err = -ENODEV };

FIXTURE_SETUP(fakebroken)
{
	char after[16];

	strcpy(self->conf, "/tmp/fc-iiod-broken.XXXXXX");
	snprintf(after, sizeof(after), "%u", variant->after);
	setenv(variant->env, after, 1);
	if (variant->dequeue_errno) {
		snprintf(after, sizeof(after), "%d", variant->dequeue_errno);
		setenv("FPGACAP_FAKE_DEQUEUE_ERRNO", after, 1);
	}
	ASSERT_EQ(0, start_fake(&self->s, self->conf, NULL, NULL));
	unsetenv(variant->env);
	unsetenv("FPGACAP_FAKE_DEQUEUE_ERRNO");
	self->p.fd = dial("127.0.0.1", self->s.port);
	self->p.len = 0;
	ASSERT_LE(0, self->p.fd);
}

FIXTURE_TEARDOWN(fakebroken)
{
	close(self->p.fd);
	if (self->s.c.pid > 0 && !waitpid(self->s.c.pid, NULL, WNOHANG))
		child_stop(&self->s.c, SIGKILL, 2000);
	unlink(self->conf);
}

TEST_F(fakebroken, a_device_failing_mid_readbuf)
{
	/* Bytes of the client's samples in one pool buffer's stretch. */
	const size_t per_buf = variant->buffer_size / variant->in_size *
			       variant->out_size;
	const size_t req = 64 * per_buf;
	/* What the source delivered before its stream failed, in whole
	 * samples of the client's channels. */
	const size_t delivered = (size_t)variant->after *
				 variant->buffer_size / variant->in_size *
				 variant->out_size;
	uint8_t *got = malloc(req), *want = malloc(req);
	struct pc *p = &self->p;
	char cmd[64], mask[64], val[64];
	const char *rec, *rec_end;
	long long n, end;
	int i;

	ASSERT_TRUE(got && want);
	snprintf(cmd, sizeof(cmd), "OPEN %s 4096 %s", variant->dev,
		 variant->mask);
	ASSERT_EQ(0, pc_cmd(p, cmd));
	mask[0] = 0;
	n = readbuf(p, variant->dev, req, got, mask, &end, 5000);
	/* A reply in step: every chunk whole, then the error. */
	ASSERT_LE(0, n) TH_LOG("the reply lost its framing");
	EXPECT_EQ(variant->err, end) TH_LOG("%lld bytes, then %lld", n, end);
	EXPECT_GT((long long)req, n);
	EXPECT_EQ(0, n % (long long)variant->out_size) TH_LOG("%lld", n);
	if (!strcmp(variant->env, "FPGACAP_FAKE_DEQUEUE_FAIL_AFTER")) {
		/* Every sample the stream gave before it failed. */
		EXPECT_EQ((long long)delivered, n);
	} else {
		/* A buffer goes back only once its bytes were sent. */
		EXPECT_LE((long long)delivered, n);
	}
	if (n > 0) {
		EXPECT_STREQ(variant->mask, mask);
		if (variant->lanes) {
			EXPECT_TRUE(lanes_ok((const uint16_t *)got,
					     (size_t)n / variant->out_size,
					     (uint32_t)strtoul(variant->mask,
							       NULL, 16),
					     variant->lanes));
		} else {
			pattern_at(want, 0, (size_t)n);
			EXPECT_EQ(0, memcmp(got, want, (size_t)n));
		}
	}
	/* Every READBUF after: the errno at once, no bytes. */
	for (i = 0; i < 3; i++) {
		n = readbuf(p, variant->dev, per_buf, got, mask, &end, 5000);
		EXPECT_EQ(0, n);
		EXPECT_EQ(variant->err, end) TH_LOG("READBUF %d after: %lld",
						    i, end);
	}
	/* The connection goes on; the device is free after CLOSE. */
	ASSERT_EQ(0, pc_attr(p, variant->dev, "sample_size", val,
			     sizeof(val)));
	snprintf(cmd, sizeof(cmd), "CLOSE %s", variant->dev);
	EXPECT_EQ(0, pc_cmd(p, cmd));
	ASSERT_EQ(0, pc_attr(p, variant->dev, "state", val, sizeof(val)));
	EXPECT_STREQ("idle", val);
	snprintf(cmd, sizeof(cmd), "OPEN %s 4096 %s", variant->dev,
		 variant->mask);
	ASSERT_EQ(0, pc_cmd(p, cmd));
	n = readbuf(p, variant->dev, per_buf, got, mask, &end, 5000);
	EXPECT_EQ((long long)per_buf, n);
	EXPECT_EQ(1, end);
	snprintf(cmd, sizeof(cmd), "CLOSE %s", variant->dev);
	EXPECT_EQ(0, pc_cmd(p, cmd));
	EXPECT_LE(0, child_stop(&self->s.c, SIGTERM, 3000));
	EXPECT_NE(NULL, strstr(self->s.c.outbuf, "\"error\":0}"))
		TH_LOG("%s", self->s.c.outbuf);
	/* The failed session's record says why it failed; the next's not. */
	rec = strstr(self->s.c.outbuf, "\"sessions\":[{");
	ASSERT_NE(NULL, rec) TH_LOG("%s", self->s.c.outbuf);
	rec_end = strchr(rec, '}');
	ASSERT_NE(NULL, rec_end);
	rec = strstr(rec, "\"error\":\"");
	EXPECT_TRUE(rec && rec < rec_end) TH_LOG("%s", self->s.c.outbuf);
	free(got);
	free(want);
}

/*
 * The driver hands out a buffer the session cannot take (an index no
 * buffer has) in the middle of a batch. The device is failed from there:
 * the READBUF under way gets the errno (and never the errno after a
 * whole reply, where libiio, having read all it asked for, would take it
 * for the answer to its next command), every READBUF after gets it at
 * once, and the buffers of the batch after the bad one go back to the
 * driver: with the three before it, dropped at CLOSE, every buffer of
 * the pool but the bad one came back.
 */
TEST(a_bad_buffer_from_the_driver_fails_the_device_in_step)
{
	static uint8_t got[3 * 16384];
	struct server s;
	char conf[32] = "/tmp/fc-iiod-badidx.XXXXXX", mask[64];
	struct pc *p = calloc(1, sizeof(*p));
	long long n, end;
	const char *rec;

	ASSERT_NE(NULL, p);
	/* The fourth of the 16 buffers: three queued before it. */
	setenv("FPGACAP_FAKE_BAD_INDEX_AT", "3", 1);
	ASSERT_EQ(0, start_fake(&s, conf, NULL, NULL));
	unsetenv("FPGACAP_FAKE_BAD_INDEX_AT");
	p->fd = dial("127.0.0.1", s.port);
	ASSERT_LE(0, p->fd);
	ASSERT_EQ(0, pc_cmd(p, "OPEN cnt 2048 00000001"));
	n = readbuf(p, "cnt", sizeof(got), got, mask, &end, 5000);
	EXPECT_LE(0, n);
	EXPECT_EQ(-EINVAL, end) TH_LOG("%lld bytes, then %lld", n, end);
	/* Nothing stray: the next command gets its own answer. */
	EXPECT_EQ(0, pc_cmd(p, "TIMEOUT 5000"));
	n = readbuf(p, "cnt", 16384, got, mask, &end, 5000);
	EXPECT_EQ(0, n);
	EXPECT_EQ(-EINVAL, end);
	EXPECT_EQ(0, pc_cmd(p, "CLOSE cnt"));
	EXPECT_LE(0, child_stop(&s.c, SIGTERM, 3000));
	rec = strstr(s.c.outbuf, "\"sessions\":[");
	ASSERT_NE(NULL, rec) TH_LOG("%s", s.c.outbuf);
	EXPECT_NE(NULL, strstr(rec, "\"error\":"));
	EXPECT_NE(NULL, strstr(s.c.outbuf, "\"name\":\"cnt\",\"sessions\":1,"));
	EXPECT_NE(NULL, strstr(s.c.outbuf, "\"buffers_returned\":15,"))
		TH_LOG("%s", s.c.outbuf);
	close(p->fd);
	free(p);
	unlink(conf);
}

/* SIGINT and SIGTERM within a second, idle clients or not, summary. */
TEST(stops_within_a_second_with_summary)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct server s;
		int fd;
		char buf[64];
		int64_t ms;

		ASSERT_EQ(0, start_server(&s, "127.0.0.1:0", "--json", NULL));
		fd = dial("127.0.0.1", s.port);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, say(fd, "VERSION\r\n"));
		ASSERT_EQ(1, read_lines(fd, buf, sizeof(buf), 1));
		ASSERT_TRUE(child_ready(&s.c, 2000));
		ms = child_stop(&s.c, sigs[i], 3000);
		ASSERT_LE(0, ms);
		EXPECT_GT(1000, ms);
		EXPECT_TRUE(WIFEXITED(s.c.status));
		EXPECT_EQ(0, WEXITSTATUS(s.c.status));
		EXPECT_NE(NULL, strstr(s.c.outbuf, sigs[i] == SIGINT ?
				       "\"stopped_by\":\"SIGINT\"" :
				       "\"stopped_by\":\"SIGTERM\""))
			TH_LOG("%s", s.c.outbuf);
		EXPECT_NE(NULL, strstr(s.c.outbuf, "\"connections\":1"));
		EXPECT_NE(NULL, strstr(s.c.outbuf, "\"threads_left\":0"));
		close(fd);
	}
}

TEST(help_and_strict_options)
{
	static const char *const bad[][3] = {
		{ "--buffers", "0", NULL }, { "--buffers", "1x", NULL },
		{ "--buffer-size", "-1", NULL }, { "--mode", "fast", NULL },
		{ "--max-clients", "0", NULL }, { "--stall-timeout", "0.01", NULL },
		{ "--interval", "nan", NULL }, { "--frobnicate", NULL, NULL },
		{ "extra", NULL, NULL },
	};
	char *argv[6] = { "fpgacap-iiod", "--help", NULL };
	struct child c;
	unsigned int i;

	ASSERT_EQ(0, child_run(&c, argv, 5000));
	EXPECT_NE(NULL, strstr(c.outbuf, "usage: fpgacap-iiod"));
	EXPECT_NE(NULL, strstr(c.outbuf, "--stall-timeout"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		argv[1] = (char *)bad[i][0];
		argv[2] = (char *)bad[i][1];
		argv[3] = NULL;
		EXPECT_EQ(2, child_run(&c, argv, 5000))
			TH_LOG("%s %s accepted", bad[i][0], bad[i][1]);
		EXPECT_NE(0, c.errlen);
	}
	/* A device that cannot be opened, named on purpose: an error. */
	argv[1] = "-d";
	argv[2] = "/nonexistent/fpgacap9";
	argv[3] = "-l";
	argv[4] = "127.0.0.1:0";
	argv[5] = NULL;
	EXPECT_EQ(1, child_run(&c, argv, 5000));
	EXPECT_NE(NULL, strstr(c.errbuf, "fpgacap9"));
}

TEST(config_file_errors_stop_it)
{
	char path[] = "/tmp/fc-iiod-conf.XXXXXX";
	char *argv[] = { "fpgacap-iiod", "-C", path, "-l", "127.0.0.1:0",
			 NULL };
	struct child c;
	int fd = mkstemp(path);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, say(fd, "buffers 4\n[x]\nchannel v le:u8/9>>0\n"));
	close(fd);
	EXPECT_EQ(1, child_run(&c, argv, 5000));
	EXPECT_NE(NULL, strstr(c.errbuf, ":3: format")) TH_LOG("%s", c.errbuf);
	unlink(path);
}

TEST_HARNESS_MAIN
