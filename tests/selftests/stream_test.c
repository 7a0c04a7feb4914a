// SPDX-License-Identifier: GPL-2.0
/*
 * Streaming: byte-exact data over thousands of buffers, exact drop
 * accounting, poll, blocking with timeout, non-blocking, read(),
 * stop/start and reconfigure cycles.
 */
#include <endian.h>
#include <poll.h>
#include <sys/epoll.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

#define SEC 1000000000LL

FIXTURE(stream) {
	int fd;
	struct fpgacap_config cfg;
	uint8_t *pool;
};

FIXTURE_SETUP(stream)
{
	self->fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", dev_path(), strerror(errno));
	self->pool = NULL;
}

FIXTURE_TEARDOWN(stream)
{
	if (self->pool)
		munmap(self->pool, self->cfg.mmap_size);
	close(self->fd);
}

static void setup_pool(struct __test_metadata *_metadata,
		       FIXTURE_DATA(stream) *self, uint32_t count,
		       uint64_t size, uint64_t rate)
{
	if (self->pool)
		munmap(self->pool, self->cfg.mmap_size);
	ASSERT_EQ(0, configure(self->fd, count, size, 0, rate, &self->cfg));
	self->pool = map_pool(self->fd, self->cfg.mmap_size);
	ASSERT_NE(NULL, self->pool);
}

static const uint8_t *data_of(FIXTURE_DATA(stream) *self,
			      const struct fpgacap_buffer *b)
{
	return self->pool + (uint64_t)b->index * self->cfg.buffer_size;
}

/* What a consumer checks on every buffer of one stream. */
struct tally {
	uint64_t buffers, bytes, lost, next_seq, next_offset, bad;
};

static void tally_buffer(struct __test_metadata *_metadata, struct tally *t,
			 const struct fpgacap_buffer *b, const uint8_t *data)
{
	long bad;

	EXPECT_EQ(t->next_seq, b->sequence);
	/* Offsets account for every byte: filled or reported lost. */
	EXPECT_EQ(t->next_offset + b->lost_bytes, b->offset);
	EXPECT_EQ(!!b->lost_bytes, !!(b->flags & FPGACAP_BUF_LOST));
	EXPECT_EQ(0, b->flags & FPGACAP_BUF_ERROR);
	bad = check_pattern(data, b->bytes_used, b->offset);
	if (bad >= 0) {
		t->bad++;
		TH_LOG("buffer seq %llu: mismatch at byte %ld",
		       (unsigned long long)b->sequence, bad);
	}
	t->next_seq = b->sequence + 1;
	t->next_offset = b->offset + b->bytes_used;
	t->buffers++;
	t->bytes += b->bytes_used;
	t->lost += b->lost_bytes;
}

/* Dequeue, check and return until @want buffers went by or @stop_ns. */
static void consume(struct __test_metadata *_metadata,
		    FIXTURE_DATA(stream) *self, struct tally *t,
		    uint64_t want)
{
	struct fpgacap_buffer b[32];
	int n, i;

	while (t->buffers < want) {
		n = dequeue(self->fd, b, 32, 10 * SEC);
		ASSERT_LT(0, n) TH_LOG("dequeue: %s", strerror(-n));
		for (i = 0; i < n; i++)
			tally_buffer(_metadata, t, &b[i], data_of(self, &b[i]));
		ASSERT_EQ(0, give_back_bufs(self->fd, b, n));
	}
}

/* After STOP, take what is left until ENODATA. */
static void drain(struct __test_metadata *_metadata,
		  FIXTURE_DATA(stream) *self, struct tally *t)
{
	struct fpgacap_buffer b[32];
	int n, i;

	while ((n = dequeue(self->fd, b, 32, SEC)) > 0) {
		for (i = 0; i < n; i++)
			tally_buffer(_metadata, t, &b[i], data_of(self, &b[i]));
		ASSERT_EQ(0, give_back_bufs(self->fd, b, n));
	}
	EXPECT_EQ(-ENODATA, n);
}

/* Thousands of buffers at full speed, every byte checked. */
TEST_F_TIMEOUT(stream, integrity, 300)
{
	struct tally t = { 0 };
	struct fpgacap_stats st;

	setup_pool(_metadata, self, 16, 16 * KiB, 0);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	consume(_metadata, self, &t, 5000);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	drain(_metadata, self, &t);
	EXPECT_EQ(0, t.bad);

	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(st.buffers_filled, t.buffers);
	EXPECT_EQ(st.bytes_filled, t.bytes);
	EXPECT_EQ(st.bytes_dropped, t.lost);
	EXPECT_EQ(t.buffers, st.dequeued);
	EXPECT_EQ(t.buffers, st.returned);
	EXPECT_EQ(FPGACAP_STATE_STOPPED, st.state);
	TH_LOG("%llu buffers, %llu bytes, %llu lost",
	       (unsigned long long)t.buffers, (unsigned long long)t.bytes,
	       (unsigned long long)t.lost);
}

/* A stalled consumer loses data; every lost byte is accounted for. */
TEST_F_TIMEOUT(stream, drop_accounting, 120)
{
	struct tally t = { 0 };
	struct fpgacap_stats st;

	/* 64 KiB every 2 ms: 4 buffers last 8 ms, the stalls 100 ms each. */
	setup_pool(_metadata, self, 4, 64 * KiB, 32 * MiB);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	/* Stall: let the ring fill, then stay away for 50 periods. */
	do {
		usleep(1000);
		ASSERT_EQ(0, get_stats(self->fd, &st));
	} while (st.done < self->cfg.count);
	sleep_mono(100 * 1000000ULL);
	consume(_metadata, self, &t, 20);
	sleep_mono(100 * 1000000ULL);
	consume(_metadata, self, &t, 40);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	drain(_metadata, self, &t);
	EXPECT_EQ(0, t.bad);

	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_LT(0, st.drops);
	EXPECT_LT(0, t.lost);
	/* Chunks are lost whole. */
	EXPECT_EQ(0, t.lost % self->cfg.buffer_size);
	/*
	 * Every loss a buffer reported is counted; the counters may hold one
	 * more, lost after the last buffer before STOP, whole chunks too.
	 */
	EXPECT_LE(t.lost, st.bytes_dropped);
	EXPECT_EQ(0, (st.bytes_dropped - t.lost) % self->cfg.buffer_size);
	EXPECT_EQ(st.bytes_filled + st.bytes_dropped >= t.next_offset, 1);
	EXPECT_EQ(st.buffers_filled, t.buffers);
	TH_LOG("%llu drops, %llu bytes lost",
	       (unsigned long long)st.drops, (unsigned long long)t.lost);
}

TEST_F(stream, poll_and_epoll)
{
	struct fpgacap_buffer b[16];
	struct epoll_event ev = { .events = EPOLLIN };
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	int ep, n;

	setup_pool(_metadata, self, 4, 64 * KiB, 64 * KiB);
	/* Stopped and nothing to drain: hang-up, not readable. */
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLHUP, pfd.revents);

	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_EQ(POLLIN, pfd.revents);
	/* One buffer a second: after taking it nothing is ready. */
	n = dequeue(self->fd, b, 16, 0);
	ASSERT_LT(0, n);
	EXPECT_EQ(0, poll(&pfd, 1, 0));

	ep = epoll_create1(0);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ev));
	EXPECT_EQ(1, epoll_wait(ep, &ev, 1, 5000));
	EXPECT_TRUE(ev.events & EPOLLIN);
	close(ep);
	EXPECT_EQ(0, give_back_bufs(self->fd, b, n));
	EXPECT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
}

TEST_F(stream, timeout_and_nonblock)
{
	struct fpgacap_buffer b[4];
	uint64_t t0, dt;
	int nb, n;

	/* 16 KiB at 16 KiB/s: one buffer after 1 s, the next 1 s later. */
	setup_pool(_metadata, self, 4, 16 * KiB, 16 * KiB);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	n = dequeue(self->fd, b, 4, 5 * SEC);
	ASSERT_EQ(1, n);

	t0 = now_ns();
	EXPECT_EQ(-ETIMEDOUT, dequeue(self->fd, b + 1, 1, SEC / 5));
	dt = now_ns() - t0;
	EXPECT_LE(SEC / 5, dt);
	EXPECT_GT(5 * SEC, dt);
	EXPECT_EQ(-EAGAIN, dequeue(self->fd, b + 1, 1, 0));

	nb = open(dev_path(), O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, nb);
	/* Not the owner: busy even before it would block. */
	EXPECT_EQ(-EBUSY, dequeue(nb, b + 1, 1, -1));
	close(nb);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, dequeue(self->fd, b + 1, 1, -1));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, 0));

	EXPECT_EQ(0, give_back_bufs(self->fd, b, 1));
	EXPECT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
}

/* read() streams the bytes: buffer-sized blocks of the pattern. */
TEST_F_TIMEOUT(stream, read_fallback, 120)
{
	const size_t total = 2 * MiB, blk = 64 * KiB;
	struct fpgacap_stats st;
	uint8_t *buf = malloc(total);
	size_t got = 0, i;
	uint64_t prev = 0;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, configure(self->fd, 8, blk, 0, 0, NULL));
	/* Odd-sized reads, straddling buffers. */
	while (got < total) {
		size_t want = total - got < 12345 ? total - got : 12345;
		ssize_t n = read(self->fd, buf + got, want);

		ASSERT_LT(0, n) TH_LOG("read: %s", strerror(errno));
		got += n;
	}
	for (i = 0; i < total / blk; i++) {
		uint64_t first = le64toh(*(uint64_t *)(buf + i * blk));

		/* Each block is one buffer: consecutive words, in order. */
		EXPECT_EQ(0, first % (blk / 8));
		EXPECT_EQ(-1, check_pattern(buf + i * blk, blk, first * 8));
		if (i)
			EXPECT_LT(prev, first);
		prev = first;
	}
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(FPGACAP_STATE_STREAMING, st.state);
	/* With no drops the stream is exactly words 0, 1, 2, ... */
	if (!st.drops)
		EXPECT_EQ(-1, check_pattern(buf, total, 0));
	free(buf);
}

/* Stop/start cycles: each stream restarts at sequence and offset 0. */
TEST_F_TIMEOUT(stream, stop_start_cycles, 120)
{
	int cycle;

	setup_pool(_metadata, self, 8, 32 * KiB, 0);
	for (cycle = 0; cycle < 20; cycle++) {
		struct tally t = { 0 };

		ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
		consume(_metadata, self, &t, 10 + cycle);
		ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
		drain(_metadata, self, &t);
		EXPECT_EQ(0, t.bad);
	}
}

/* Reconfigure cycles: new geometry, new mapping, same guarantees. */
TEST_F_TIMEOUT(stream, reconfigure_cycles, 120)
{
	const uint64_t sizes[] = { 4 * KiB, 68 * KiB, 1 * MiB, 12 * KiB };
	int cycle;

	for (cycle = 0; cycle < 12; cycle++) {
		struct tally t = { 0 };

		setup_pool(_metadata, self, 2 + cycle % 5, sizes[cycle % 4], 0);
		ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
		consume(_metadata, self, &t, 8);
		ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
		drain(_metadata, self, &t);
		EXPECT_EQ(0, t.bad);
	}
}

/* Buffers userspace holds across STOP/START are not refilled. */
TEST_F(stream, held_across_restart)
{
	struct fpgacap_buffer held[2], b[8];
	struct fpgacap_stats st;
	uint8_t *copy;
	int n, i, k;

	setup_pool(_metadata, self, 6, 16 * KiB, 0);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	ASSERT_EQ(1, dequeue(self->fd, held, 1, 5 * SEC));
	ASSERT_EQ(1, dequeue(self->fd, held + 1, 1, 5 * SEC));
	copy = malloc(2 * 16 * KiB);
	ASSERT_NE(NULL, copy);
	for (k = 0; k < 2; k++)
		memcpy(copy + k * 16 * KiB, data_of(self, &held[k]), 16 * KiB);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	for (i = 0; i < 50; i++) {
		n = dequeue(self->fd, b, 8, 5 * SEC);
		ASSERT_LT(0, n);
		for (k = 0; k < n; k++) {
			EXPECT_NE(held[0].index, b[k].index);
			EXPECT_NE(held[1].index, b[k].index);
		}
		ASSERT_EQ(0, give_back_bufs(self->fd, b, n));
	}
	for (k = 0; k < 2; k++)
		EXPECT_EQ(0, memcmp(copy + k * 16 * KiB,
				    data_of(self, &held[k]), 16 * KiB));
	/*
	 * The documented identities hold with buffers carried over from the
	 * last stream: they count as dequeued, not as filled, in this one.
	 */
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(2, st.user);
	EXPECT_EQ(2, st.carried);
	EXPECT_EQ(6, st.free + st.active + st.done + st.user);
	EXPECT_EQ(st.buffers_filled + st.carried, st.dequeued + st.done);
	EXPECT_EQ(st.dequeued - st.returned, st.user);
	EXPECT_EQ(0, give_back_bufs(self->fd, held, 2));
	EXPECT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.user);
	EXPECT_EQ(st.buffers_filled + st.carried, st.dequeued + st.done);
	EXPECT_EQ(st.dequeued, st.returned);
	free(copy);
}

TEST_HARNESS_MAIN
