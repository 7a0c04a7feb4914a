// SPDX-License-Identifier: GPL-2.0
/*
 * The dmaengine sources on real DMA hardware (QEMU's PL330 in the Zynq
 * guest): memcpy from a memory window, byte-exact over thousands of
 * buffers with several descriptors in flight; slave DEV_TO_MEM filling
 * every segment; engine errors, stalls and short transfers reaching
 * userspace, and the device recovering. Skipped where the devices are
 * absent (the x86 guest).
 *
 * The emulated board (dts/fpgacap-zc702-emu.dts): /dev/fpgacap-memcpy
 * copies a 64 KiB window holding word k at byte 8k; /dev/fpgacap-slave
 * reads a fixed address holding 1.
 */
#include <poll.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

#define SEC 1000000000LL
#define WINDOW (64 * KiB)

static const char memcpy_dev[] = "/dev/fpgacap-memcpy";
static const char slave_dev[] = "/dev/fpgacap-slave";

/* Word at stream offset X is (X mod WINDOW) / 8. Returns bad words. */
static uint64_t check_window(const uint8_t *p, uint64_t bytes,
			     uint64_t offset)
{
	const uint64_t *w = (const uint64_t *)p;
	uint64_t i, bad = 0;
	static int logged;

	for (i = 0; i < bytes / 8; i++) {
		uint64_t want = ((offset + 8 * i) % WINDOW) / 8;

		if (le64toh(w[i]) != want && !bad++ && logged++ < 5)
			fprintf(stderr, "# offset %llu word %llu: %llx want %llx\n",
				(unsigned long long)offset, (unsigned long long)i,
				(unsigned long long)le64toh(w[i]),
				(unsigned long long)want);
	}
	return bad;
}

static int hook(const char *dev, const char *name, int value)
{
	return set_dev_hook(dev, name, value);
}

FIXTURE(dma) {
	int fd;
	struct fpgacap_config cfg;
	uint8_t *pool;
};

FIXTURE_VARIANT(dma) {
	const char *dev;
};

FIXTURE_VARIANT_ADD(dma, slave) { .dev = slave_dev };
FIXTURE_VARIANT_ADD(dma, memcpy) { .dev = memcpy_dev };

FIXTURE_SETUP(dma)
{
	self->pool = NULL;
	self->fd = open(variant->dev, O_RDONLY);
	if (self->fd < 0)
		SKIP(return, "%s: %s", variant->dev, strerror(errno));
}

FIXTURE_TEARDOWN(dma)
{
	if (self->fd < 0)
		return;
	hook(variant->dev, "inject_error", 0);
	hook(variant->dev, "inject_stall", 0);
	hook(variant->dev, "inject_short", 0);
	set_dev_attr(variant->dev, "stall_timeout_ms", 2000);
	if (self->pool)
		munmap(self->pool, self->cfg.mmap_size);
	close(self->fd);
}

static void setup(struct __test_metadata *_metadata,
		  FIXTURE_DATA(dma) *self, uint32_t count, uint64_t size)
{
	if (self->pool)
		munmap(self->pool, self->cfg.mmap_size);
	ASSERT_EQ(0, configure(self->fd, count, size, 0, 0, &self->cfg));
	self->pool = map_pool(self->fd, self->cfg.mmap_size);
	ASSERT_NE(NULL, self->pool);
}

static const uint8_t *data(FIXTURE_DATA(dma) *self,
			   const struct fpgacap_buffer *b)
{
	return self->pool + (uint64_t)b->index * self->cfg.buffer_size;
}

/* Is the buffer what the source should have written? Returns bad words. */
static uint64_t check(const FIXTURE_VARIANT(dma) *variant,
		      FIXTURE_DATA(dma) *self, const struct fpgacap_buffer *b)
{
	const uint32_t *w = (const uint32_t *)data(self, b);
	uint64_t i, bad = 0;

	if (variant->dev == memcpy_dev)
		return check_window(data(self, b), b->bytes_used, b->offset);
	for (i = 0; i < b->bytes_used / 4; i++) {
		if (le32toh(w[i]) != 1) {
			if (!bad)
				fprintf(stderr, "# index %u: first bad word %llu\n",
					b->index, (unsigned long long)i);
			bad++;
		} else if (bad && (i == 0 || le32toh(w[i - 1]) != 1)) {
			fprintf(stderr, "# index %u: good again at %llu\n",
				b->index, (unsigned long long)i);
		}
	}
	return bad;
}

/* After stop: a fresh start delivers intact buffers again. */
static void restart_clean(struct __test_metadata *_metadata,
			  const FIXTURE_VARIANT(dma) *variant,
			  FIXTURE_DATA(dma) *self)
{
	struct fpgacap_buffer b[4];
	int n, i;

	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	n = dequeue(self->fd, b, 4, 5 * SEC);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++)
		EXPECT_EQ(0, check(variant, self, &b[i]));
	EXPECT_EQ(0, give_back_bufs(self->fd, b, n));
	EXPECT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
}

/* Thousands of buffers, several descriptors in flight, every byte. */
TEST_F_TIMEOUT(dma, integrity, 600)
{
	struct fpgacap_buffer b[16];
	uint64_t seen = 0, bad = 0, next_offset = 0, next_seq = 0;
	struct fpgacap_stats st;
	int n, i;

	RETURN_IF_SKIPPED();

	/*
	 * 64 KiB buffers, the window's size: one descriptor per buffer, see
	 * docs/testing.md for what the emulated PL330 does with more.
	 */
	setup(_metadata, self, 12, 64 * KiB);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	while (seen < 2000) {
		n = dequeue(self->fd, b, 16, 10 * SEC);
		ASSERT_LT(0, n) TH_LOG("dequeue: %s", strerror(-n));
		for (i = 0; i < n; i++) {
			EXPECT_EQ(self->cfg.buffer_size, b[i].bytes_used);
			EXPECT_EQ(0, b[i].flags & FPGACAP_BUF_ERROR);
			EXPECT_EQ(next_seq, b[i].sequence);
			if (variant->dev == memcpy_dev) {
				/* memcpy never loses: offsets are contiguous. */
				EXPECT_EQ(next_offset, b[i].offset);
			}
			bad += check(variant, self, &b[i]);
			next_offset = b[i].offset + b[i].bytes_used;
			next_seq = b[i].sequence + 1;
		}
		seen += n;
		ASSERT_EQ(0, give_back_bufs(self->fd, b, n));
	}
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	EXPECT_EQ(0, bad);
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.active);
	EXPECT_EQ(0, st.errors);
	TH_LOG("%llu buffers, %llu bad words", (unsigned long long)seen,
	       (unsigned long long)bad);
}

/*
 * The first fill of fresh (zeroed) buffers covers every byte of every
 * segment. Chunks of at most 16 KiB make many segments. Buffers go back at
 * once so the engine never runs dry: see docs/testing.md on what the
 * emulated PL330 loses when its queue empties mid-transfer.
 */
TEST_F(dma, fills_every_segment)
{
	struct fpgacap_buffer b;
	bool seen[8] = { false };
	char saved[16];
	int nseen = 0, tries = 0;

	RETURN_IF_SKIPPED();
	if (variant->dev == memcpy_dev)
		SKIP(return,
		     "QEMU's PL330 loses multi-descriptor memcpy (docs/testing.md)");

	ASSERT_EQ(0, get_param("max_alloc_order", saved, sizeof(saved)));
	ASSERT_EQ(0, set_param("max_alloc_order", "2"));
	setup(_metadata, self, 8, 256 * KiB + 4 * KiB);
	set_param("max_alloc_order", saved);
	ASSERT_LE(2, self->cfg.max_segments);
	TH_LOG("%u chunks, up to %u segments per buffer", self->cfg.chunks,
	       self->cfg.max_segments);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	while (nseen < 8 && tries++ < 1000) {
		ASSERT_EQ(1, dequeue(self->fd, &b, 1, 10 * SEC));
		if (!seen[b.index]) {
			EXPECT_EQ(self->cfg.buffer_size, b.bytes_used);
			EXPECT_EQ(0, check(variant, self, &b));
			seen[b.index] = true;
			nseen++;
		}
		ASSERT_EQ(0, give_back_bufs(self->fd, &b, 1));
	}
	EXPECT_EQ(8, nseen);
	EXPECT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
}

/* An engine error: flagged buffer, EIO, EPOLLERR; STOP/START recovers. */
TEST_F(dma, error_and_recovery)
{
	struct fpgacap_buffer b[16];
	struct pollfd pfd = { .events = POLLIN };
	struct fpgacap_stats st;
	bool flagged = false;
	int n, i, tries;

	RETURN_IF_SKIPPED();

	setup(_metadata, self, 4, 64 * KiB);
	ASSERT_EQ(0, hook(variant->dev, "inject_error", 1));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	for (tries = 0; tries < 100; tries++) {
		n = dequeue(self->fd, b, 16, 5 * SEC);
		if (n < 0)
			break;
		for (i = 0; i < n; i++)
			flagged |= !!(b[i].flags & FPGACAP_BUF_ERROR);
		ASSERT_EQ(0, give_back_bufs(self->fd, b, n));
	}
	EXPECT_EQ(-EIO, n);
	EXPECT_TRUE(flagged);
	pfd.fd = self->fd;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLERR);
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(FPGACAP_STATE_ERROR, st.state);
	EXPECT_EQ(EIO, st.last_error);
	EXPECT_EQ(1, st.errors);

	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	restart_clean(_metadata, variant, self);
}

/* A stalled engine: the watchdog turns it into ETIMEDOUT; recoverable. */
TEST_F(dma, stall_and_recovery)
{
	struct fpgacap_buffer b[16];
	struct fpgacap_stats st;
	int n, tries;

	RETURN_IF_SKIPPED();

	setup(_metadata, self, 4, 64 * KiB);
	ASSERT_EQ(0, set_dev_attr(variant->dev, "stall_timeout_ms", 200));
	ASSERT_EQ(0, hook(variant->dev, "inject_stall", 1));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	for (tries = 0; tries < 100; tries++) {
		n = dequeue(self->fd, b, 16, 10 * SEC);
		if (n < 0)
			break;
		ASSERT_EQ(0, give_back_bufs(self->fd, b, n));
	}
	EXPECT_EQ(-EIO, n);
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(FPGACAP_STATE_ERROR, st.state);
	EXPECT_EQ(ETIMEDOUT, st.last_error);
	EXPECT_EQ(1, st.stalls);

	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.active);
	restart_clean(_metadata, variant, self);
}

/* Residue: an engine ending early gives bytes_used < size, flagged. */
TEST_F(dma, short_transfer)
{
	struct fpgacap_buffer b[4];
	int n, i;
	bool seen = false;

	RETURN_IF_SKIPPED();

	setup(_metadata, self, 4, 64 * KiB);
	ASSERT_EQ(0, hook(variant->dev, "inject_short", 1));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	n = dequeue(self->fd, b, 4, 5 * SEC);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		if (b[i].flags & FPGACAP_BUF_SHORT) {
			EXPECT_EQ(32 * KiB, b[i].bytes_used);
			seen = true;
		} else {
			EXPECT_EQ(64 * KiB, b[i].bytes_used);
		}
	}
	EXPECT_TRUE(seen);
	EXPECT_EQ(0, give_back_bufs(self->fd, b, n));
	EXPECT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
}

/*
 * A DMA-mapped pool reads zero before the engine writes it (the zeroes
 * were written back before the first invalidate), and a DMA source has no
 * clock: no CAP_RATE, and a rate is refused.
 */
TEST_F(dma, zero_before_start_and_no_rate)
{
	struct fpgacap_info info;
	uint64_t i, nonzero = 0;
	const uint64_t *w;

	RETURN_IF_SKIPPED();

	setup(_metadata, self, 8, 64 * KiB);
	w = (const uint64_t *)self->pool;
	for (i = 0; i < self->cfg.mmap_size / 8; i++)
		nonzero += w[i] != 0;
	EXPECT_EQ(0, nonzero);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_INFO, &info));
	EXPECT_EQ(0, info.caps & FPGACAP_CAP_RATE);
	EXPECT_EQ(-EOPNOTSUPP, configure(self->fd, 8, 64 * KiB, 0, 1 * MiB,
					 NULL));
}

/*
 * All buffers held: the ring runs dry. A peripheral overruns (a drop of
 * unknown size, and the next buffer says so); a memory window loses
 * nothing.
 */
TEST_F(dma, ring_dry_flags_loss)
{
	bool slave = variant->dev == slave_dev;
	struct fpgacap_buffer b[4], next;
	struct fpgacap_stats st;
	int got = 0, n;

	RETURN_IF_SKIPPED();

	setup(_metadata, self, 4, 64 * KiB);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	while (got < 4) {
		n = dequeue(self->fd, b + got, 4 - got, 5 * SEC);
		ASSERT_LT(0, n);
		got += n;
	}
	usleep(100000);
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(slave, st.drops);
	ASSERT_EQ(0, give_back_bufs(self->fd, b, 4));
	ASSERT_EQ(1, dequeue(self->fd, &next, 1, 5 * SEC));
	EXPECT_EQ(slave, !!(next.flags & FPGACAP_BUF_LOST));
	/* The engine cannot say how much the peripheral lost. */
	EXPECT_EQ(0, next.lost_bytes);
	EXPECT_EQ(4 * 64 * KiB, next.offset);
	EXPECT_EQ(0, give_back_bufs(self->fd, &next, 1));
	EXPECT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
}

/*
 * Records from a memory window: the engine copies one stream, so a
 * buffer's records share its table entries (at most as many as the
 * buffer's pages, not one per record, which costs the PL330 driver a
 * descriptor each and a walk of all queued ones per completion), and the
 * engine writes the records, all of them, and nothing after the last. A
 * peripheral may end each record with TLAST: it keeps an entry per record.
 * Only single-descriptor transfers run on the memcpy device (QEMU's PL330
 * and several descriptors: docs/testing.md).
 */
TEST_F(dma, records_table)
{
	const uint32_t S = 1024, H = 32, slots = 64 * KiB / S;
	const uint32_t pages = 64 * KiB / page_size();
	struct fpgacap_config cfg = {
		.count = 8, .buffer_size = 64 * KiB,
		.flags = FPGACAP_CFG_RECORDS, .slot_size = S, .slot_header = H,
	};
	/* 44 records of 1472 bytes: 768 bytes at a buffer's end unwritten. */
	struct fpgacap_config odd = cfg;
	const uint32_t odd_slots = 64 * KiB / 1472, odd_table = odd_slots * 1472;
	struct fpgacap_buffer b[8];
	uint64_t seen = 0, bad = 0, tail = 0, k;
	const uint8_t *p;
	int n, i;

	RETURN_IF_SKIPPED();
	odd.count = 1;
	odd.slot_size = 1472;
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_CONFIGURE, &cfg));
	if (variant->dev == slave_dev) {
		EXPECT_LE(slots, cfg.max_segments);
		ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_CONFIGURE, &odd));
		EXPECT_LE(odd_slots, odd.max_segments);
		return;
	}
	EXPECT_GE(pages, cfg.max_segments);
	EXPECT_GT(slots, cfg.max_segments);
	if (cfg.max_segments != 1)
		SKIP(return, "%u segments a buffer: several memcpy descriptors",
		     cfg.max_segments);
	self->cfg = cfg;
	self->pool = map_pool(self->fd, cfg.mmap_size);
	ASSERT_NE(NULL, self->pool);
	/* 1 KiB records fill a buffer, one window: one descriptor each. */
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	while (seen < 64) {
		n = dequeue(self->fd, b, 8, 10 * SEC);
		ASSERT_LT(0, n) TH_LOG("dequeue: %s", strerror(-n));
		for (i = 0; i < n; i++) {
			/* The payload is the stream; the table is all slots. */
			EXPECT_EQ(slots * (S - H), b[i].bytes_used);
			EXPECT_EQ((seen + i) * slots * (S - H), b[i].offset);
			bad += check_window(data(self, &b[i]), 64 * KiB, 0);
		}
		seen += n;
		ASSERT_EQ(0, give_back_bufs(self->fd, b, n));
	}
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	EXPECT_EQ(0, bad);
	munmap(self->pool, cfg.mmap_size);
	self->pool = NULL;

	/*
	 * The table ends inside the buffer: one buffer, at the window's
	 * phase 0, one descriptor (64768 bytes, less than the window), never
	 * handed back, so no second transfer starts mid-window.
	 */
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_CONFIGURE, &odd));
	EXPECT_GE(pages, odd.max_segments);
	EXPECT_GT(odd_slots, odd.max_segments);
	self->cfg = odd;
	self->pool = map_pool(self->fd, odd.mmap_size);
	ASSERT_NE(NULL, self->pool);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	ASSERT_EQ(1, dequeue(self->fd, b, 1, 10 * SEC));
	EXPECT_EQ(odd_slots * (1472 - H), b[0].bytes_used);
	p = data(self, &b[0]);
	EXPECT_EQ(0, check_window(p, odd_table, 0));
	for (k = odd_table; k < 64 * KiB; k++)
		tail += p[k] != 0;
	EXPECT_EQ(0, tail);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
}

TEST_HARNESS_MAIN
