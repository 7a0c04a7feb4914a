// SPDX-License-Identifier: GPL-2.0-only
/*
 * Slotted pools (FPGACAP_CAP_SLOTS): the source writes each datagram
 * slot's payload and leaves its header room alone, or with
 * FPGACAP_CFG_RECORDS writes whole records, header included; the stream
 * (bytes_used, offsets, the pattern, read()) runs over the payloads only.
 */
#include <endian.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

#define SEC 1000000000LL

static int configure_slots(int fd, uint32_t count, uint64_t size,
			   uint32_t flags, uint32_t slot, uint32_t header,
			   struct fpgacap_config *out)
{
	struct fpgacap_config cfg = {
		.count = count,
		.flags = flags,
		.buffer_size = size,
		.slot_size = slot,
		.slot_header = header,
	};
	int ret = xioctl(fd, FPGACAP_IOC_CONFIGURE, &cfg);

	if (!ret && out)
		*out = cfg;
	return ret;
}

FIXTURE(slots) {
	int fd;
	struct fpgacap_info info;
};

FIXTURE_SETUP(slots)
{
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", dev_path(), strerror(errno));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_INFO, &self->info));
	if (!(self->info.caps & FPGACAP_CAP_SLOTS))
		SKIP(return, "no FPGACAP_CAP_SLOTS");
}

FIXTURE_TEARDOWN(slots)
{
	xioctl(self->fd, FPGACAP_IOC_STOP, NULL);
	close(self->fd);
}

TEST_F(slots, bad_geometry)
{
	const uint64_t size = 64 * KiB;

	EXPECT_EQ(-EINVAL, configure_slots(self->fd, 4, size, 0, 1470, 24, NULL));
	/* A datagram of at least 1 KiB, at most a UDP payload. */
	EXPECT_EQ(-EINVAL, configure_slots(self->fd, 4, size, 0,
					   FPGACAP_SLOT_MIN - 8, 24, NULL));
	EXPECT_EQ(-EINVAL, configure_slots(self->fd, 4, 128 * KiB, 0,
					   FPGACAP_SLOT_MAX + 8, 24, NULL));
	EXPECT_EQ(-EINVAL, configure_slots(self->fd, 4, size, 0, 1472,
					   FPGACAP_SLOT_HEADER_MAX + 8, NULL));
	EXPECT_EQ(-EINVAL, configure_slots(self->fd, 4, size, 0, 1472, 20, NULL));
	EXPECT_EQ(-EINVAL, configure_slots(self->fd, 4, size, 0, 1472, 1472, NULL));
	EXPECT_EQ(-EINVAL, configure_slots(self->fd, 4, size, 0, size + 8, 24, NULL));
	EXPECT_EQ(-EINVAL, configure_slots(self->fd, 4, size, 0, 0, 24, NULL));
	EXPECT_EQ(-EINVAL, configure_slots(self->fd, 4, size, FPGACAP_CFG_RECORDS,
					   0, 0, NULL));
	/* The pattern source writes a 24-byte header into its room. */
	if (self->info.source == FPGACAP_SOURCE_PATTERN) {
		EXPECT_EQ(-EINVAL, configure_slots(self->fd, 4, size,
						   FPGACAP_CFG_RECORDS, 1472, 16,
						   NULL));
		EXPECT_EQ(-EINVAL, configure_slots(self->fd, 4, size,
						   FPGACAP_CFG_RECORDS, 1472, 264,
						   NULL));
	}
	/* None of it configured anything; a good one does. */
	EXPECT_EQ(0, xioctl(self->fd, FPGACAP_IOC_INFO, &self->info));
	EXPECT_EQ(FPGACAP_STATE_UNCONFIGURED, self->info.state);
	EXPECT_EQ(0, configure_slots(self->fd, 4, size, 0, 1472, 24, NULL));
	EXPECT_EQ(0, configure_slots(self->fd, 0, 0, 0, 0, 0, NULL));
}

/*
 * Payloads: slot k of a buffer at offset O carries the stream from
 * O + k * 1448, and bytes_used counts payloads; the header rooms keep what
 * the CPU wrote there while it held the buffer, across every refill.
 */
TEST_F(slots, payloads_and_header_rooms)
{
	const uint32_t S = 1472, H = 24, P = S - H;
	const uint64_t size = 64 * KiB, slots = size / S;
	struct fpgacap_buffer b[8];
	struct fpgacap_config cfg;
	uint64_t next_off = 0, seen = 0, bad_rooms = 0;
	uint8_t *pool;
	int n, i;

	ASSERT_EQ(0, configure_slots(self->fd, 8, size, FPGACAP_CFG_WRITABLE,
				     S, H, &cfg));
	pool = mmap(NULL, cfg.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->fd, 0);
	ASSERT_NE(MAP_FAILED, pool);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	while (seen < 64) {
		n = dequeue(self->fd, b, 8, 5 * SEC);
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++) {
			uint8_t *p = pool + (uint64_t)b[i].index * size;
			unsigned int z;
			uint64_t k;

			EXPECT_EQ(slots * P, b[i].bytes_used);
			EXPECT_EQ(next_off, b[i].offset);
			next_off = b[i].offset + b[i].bytes_used;
			for (k = 0; k < slots; k++) {
				uint8_t *h = p + k * S;

				EXPECT_EQ(-1, check_pattern(h + H, P,
							    b[i].offset + k * P));
				/* Zero, or what we wrote there the last time. */
				for (z = 0; z < H; z++)
					if (h[z] != h[0] ||
					    (h[0] && h[0] != (uint8_t)(b[i].index + 1)))
						bad_rooms++;
				memset(h, b[i].index + 1, H);
			}
			/* Past the last whole slot: never written. */
			EXPECT_EQ(0, p[slots * S]);
		}
		ASSERT_EQ(0, give_back_bufs(self->fd, b, n));
		seen += n;
	}
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	EXPECT_EQ(0, bad_rooms);
	munmap(pool, cfg.mmap_size);
}

/* Records: the source writes each slot's datagram header itself. */
TEST_F(slots, records)
{
	const uint32_t S = 1472, H = 32, P = S - H;
	const uint64_t size = 64 * KiB, slots = size / S;
	struct fpgacap_buffer b[8];
	struct fpgacap_config cfg;
	uint64_t seq = 0, seen = 0;
	uint8_t *pool;
	int n, i;

	if (!(self->info.caps & FPGACAP_CAP_RECORDS))
		SKIP(return, "no FPGACAP_CAP_RECORDS");
	if (self->info.source != FPGACAP_SOURCE_PATTERN)
		SKIP(return, "records from a fabric: not on this device");
	ASSERT_EQ(0, configure_slots(self->fd, 8, size, FPGACAP_CFG_RECORDS,
				     S, H, &cfg));
	pool = map_pool(self->fd, cfg.mmap_size);
	ASSERT_NE(NULL, pool);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	while (seen < 32) {
		n = dequeue(self->fd, b, 8, 5 * SEC);
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++) {
			uint8_t *p = pool + (uint64_t)b[i].index * size;
			uint64_t k;

			EXPECT_EQ(slots * P, b[i].bytes_used);
			for (k = 0; k < slots; k++) {
				struct fpgacap_dgram_header h;
				uint8_t *r = p + k * S;
				unsigned int z;

				memcpy(&h, r, sizeof(h));
				EXPECT_EQ(FPGACAP_DGRAM_MAGIC, le32toh(h.magic));
				EXPECT_EQ(FPGACAP_DGRAM_VERSION, h.version);
				EXPECT_EQ(H, h.header_size);
				EXPECT_EQ(k ? 0 : FPGACAP_DGRAM_FIRST,
					  le16toh(h.flags));
				EXPECT_EQ(seq, le64toh(h.sequence));
				EXPECT_EQ(b[i].offset + k * P, le64toh(h.offset));
				for (z = sizeof(h); z < H; z++)
					EXPECT_EQ(0, r[z]);
				EXPECT_EQ(-1, check_pattern(r + H, P,
							    b[i].offset + k * P));
				seq++;
			}
		}
		ASSERT_EQ(0, give_back_bufs(self->fd, b, n));
		seen += n;
	}
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	munmap(pool, cfg.mmap_size);
}

/* read() of a slotted pool is the payload stream, headers left out. */
TEST_F(slots, read_is_the_payload_stream)
{
	const size_t len = 1 * MiB + 1234;
	uint8_t *buf = malloc(len);
	size_t got = 0;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, configure_slots(self->fd, 8, 64 * KiB, 0, 1472, 24, NULL));
	while (got < len) {
		ssize_t n = read(self->fd, buf + got, len - got);

		ASSERT_LT(0, n);
		got += n;
	}
	EXPECT_EQ(-1, check_pattern(buf, len & ~7UL, 0));
	free(buf);
}

TEST_HARNESS_MAIN
