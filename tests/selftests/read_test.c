// SPDX-License-Identifier: GPL-2.0-only
/*
 * read(), as cat and dd use it: a new reader always gets a fresh stream
 * from word 0; a blocking read() fills its whole buffer across capture
 * buffers; a stream its owner stopped is drained to EOF, never restarted;
 * a read() never spans a drop; a source without a rate never drops, so
 * dd's output hashes to the documented value; failed buffers give EIO.
 */
#include <endian.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

#define SEC 1000000000LL

/* sha256 of the first 64 MiB of the pattern (docs/abi.md). */
#define PATTERN_64M_SHA256 \
	"a05c1540b3660942e0e29b540320a6f93f62b480ce1ff5ec8dba219ec0727b7f"


/* Read exactly @len bytes (several calls if the device returns less). */
static ssize_t read_all(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n <= 0)
			return got ? (ssize_t)got : n;
		got += n;
	}
	return got;
}

/* Stream offset of data whose first word is @p's. */
static uint64_t offset_of(const uint8_t *p)
{
	return le64toh(*(const uint64_t *)p) * 8;
}

FIXTURE(rd) {
	int fd;
	uint8_t *buf;
	uint64_t t0;
};

FIXTURE_SETUP(rd)
{
	self->t0 = now_ns();
	self->fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", dev_path(), strerror(errno));
	self->buf = malloc(8 * MiB);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(rd)
{
	TH_LOG("%llu ms", (unsigned long long)((now_ns() - self->t0) / 1000000));
	free(self->buf);
	close(self->fd);
}

/*
 * A reader that leaves filled buffers unread must not hand them to the
 * next reader: the next one starts a new stream at word 0.
 */
TEST_F(rd, fresh_stream_per_reader)
{
	int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(100 * KiB, read_all(self->fd, self->buf, 100 * KiB));
		EXPECT_EQ(-1, check_pattern(self->buf, 100 * KiB, 0));
		/* Let the source fill every buffer, then walk away. */
		usleep(200000);
		close(self->fd);
		self->fd = open(dev_path(), O_RDONLY);
		ASSERT_LE(0, self->fd);
	}
}

/* A blocking read() returns all it was asked for, across buffers. */
TEST_F_TIMEOUT(rd, fills_across_buffers, 120)
{
	uint64_t off = 0;
	int i;

	ASSERT_EQ(0, configure(self->fd, 16, 64 * KiB, 0, 0, NULL));
	for (i = 0; i < 8; i++) {
		ssize_t n = read(self->fd, self->buf, 1 * MiB);

		ASSERT_EQ(1 * MiB, n) TH_LOG("read %d: %zd", i, n);
		EXPECT_EQ(-1, check_pattern(self->buf, n, off));
		off += n;
	}
}

/* Non-blocking: what is ready, or EAGAIN; never a wait. */
TEST_F(rd, nonblocking_returns_what_is_ready)
{
	ssize_t n;

	/* 64 KiB every 250 ms. */
	ASSERT_EQ(0, configure(self->fd, 8, 64 * KiB, 0, 256 * KiB, NULL));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(self->fd, self->buf, 1 * MiB));
	EXPECT_EQ(EAGAIN, errno);
	sleep_mono(700 * 1000000ULL);
	n = read(self->fd, self->buf, 1 * MiB);
	ASSERT_LT(0, n) TH_LOG("read: %s", strerror(errno));
	EXPECT_GT(1 * MiB, n);
	EXPECT_EQ(0, n % (64 * KiB));
	EXPECT_EQ(-1, check_pattern(self->buf, n, 0));
}

/*
 * The owner stopped the stream: read() drains what was filled, then says
 * end of file, and keeps saying it. It never starts a stream of its own.
 */
TEST_F(rd, stopped_stream_is_not_restarted)
{
	struct fpgacap_stats st, st2;
	uint64_t off;
	ssize_t n;

	ASSERT_EQ(0, configure(self->fd, 4, 16 * KiB, 0, 0, NULL));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	ASSERT_EQ(32 * KiB, read_all(self->fd, self->buf, 32 * KiB));
	EXPECT_EQ(-1, check_pattern(self->buf, 32 * KiB, 0));
	usleep(100000);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	off = 32 * KiB;
	while ((n = read(self->fd, self->buf, 16 * KiB)) > 0) {
		EXPECT_EQ(-1, check_pattern(self->buf, n, off));
		off += n;
	}
	EXPECT_EQ(0, n);
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(FPGACAP_STATE_STOPPED, st.state);
	EXPECT_EQ(st.bytes_filled, off);
	EXPECT_EQ(0, read(self->fd, self->buf, 16 * KiB));
	ASSERT_EQ(0, get_stats(self->fd, &st2));
	EXPECT_EQ(FPGACAP_STATE_STOPPED, st2.state);
	EXPECT_EQ(st.buffers_filled, st2.buffers_filled);
}

/*
 * A real-time source (a rate) drops what a slow reader cannot take. Each
 * read() returns contiguous stream bytes; the jumps between calls add up
 * to the dropped bytes the statistics report.
 */
TEST_F_TIMEOUT(rd, never_spans_a_drop, 120)
{
	struct fpgacap_stats st;
	uint64_t next = 0, jumps = 0, got = 0;
	int i, short_reads = 0;
	ssize_t n;

	/* 16 KiB every 4 ms; four buffers hold 16 ms. */
	ASSERT_EQ(0, configure(self->fd, 4, 16 * KiB, 0, 4 * MiB, NULL));
	for (i = 0; i < 40; i++) {
		n = read(self->fd, self->buf, 256 * KiB);
		ASSERT_LT(0, n) TH_LOG("read: %s", strerror(errno));
		EXPECT_EQ(-1, check_pattern(self->buf, n, offset_of(self->buf)));
		EXPECT_LE(next, offset_of(self->buf));
		jumps += offset_of(self->buf) - next;
		next = offset_of(self->buf) + n;
		got += n;
		short_reads += n < 256 * KiB;
		if (i % 4 == 0)
			sleep_mono(50 * 1000000ULL);
	}
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	while ((n = read(self->fd, self->buf, 256 * KiB)) > 0) {
		EXPECT_EQ(-1, check_pattern(self->buf, n, offset_of(self->buf)));
		jumps += offset_of(self->buf) - next;
		next = offset_of(self->buf) + n;
		got += n;
	}
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_LT(0, st.drops);
	EXPECT_LT(0, short_reads);
	EXPECT_LT(0, jumps);
	EXPECT_EQ(st.bytes_filled, got);
	/* A drop after the last filled buffer shows in the counters only. */
	EXPECT_LE(jumps, st.bytes_dropped);
	EXPECT_EQ(0, (st.bytes_dropped - jumps) % (16 * KiB));
	TH_LOG("%llu drops, %llu bytes dropped, %d short reads",
	       (unsigned long long)st.drops,
	       (unsigned long long)st.bytes_dropped, short_reads);
}

/*
 * Without a rate there is no clock to fall behind: a slow reader loses
 * nothing, however slow.
 */
TEST_F_TIMEOUT(rd, unlimited_source_never_drops, 120)
{
	struct fpgacap_stats st;
	uint64_t off = 0;
	int i;

	ASSERT_EQ(0, configure(self->fd, 4, 16 * KiB, 0, 0, NULL));
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(24 * KiB, read_all(self->fd, self->buf, 24 * KiB));
		EXPECT_EQ(-1, check_pattern(self->buf, 24 * KiB, off));
		off += 24 * KiB;
		usleep(20000);
	}
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.drops);
	EXPECT_EQ(0, st.bytes_dropped);
}

/* dd without iflag=fullblock gets every byte, and the documented hash. */
TEST_F_TIMEOUT(rd, dd_sha256, 600)
{
	char cmd[256], out[128] = "";
	FILE *p;

	close(self->fd);
	self->fd = open("/dev/null", O_RDONLY);
	snprintf(cmd, sizeof(cmd),
		 "dd if=%s bs=1M count=64 2>/dev/null | sha256sum", dev_path());
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	EXPECT_NE(NULL, fgets(out, sizeof(out), p));
	pclose(p);
	EXPECT_EQ(0, strncmp(out, PATTERN_64M_SHA256,
			     strlen(PATTERN_64M_SHA256))) TH_LOG("%s", out);
}

/* A failed buffer's bytes are not delivered: read() says EIO. */
TEST_F(rd, failed_buffer_gives_eio)
{
	struct fpgacap_stats st;
	uint64_t off = 0;
	ssize_t n;

	ASSERT_EQ(0, configure(self->fd, 4, 16 * KiB, 0, 0, NULL));
	ASSERT_EQ(0, set_hook("inject_error", 1));
	while ((n = read(self->fd, self->buf, 16 * KiB)) > 0) {
		EXPECT_EQ(-1, check_pattern(self->buf, n, off));
		off += n;
	}
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EIO, errno);
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(FPGACAP_STATE_ERROR, st.state);
	EXPECT_EQ(1, st.errors);
	/* Stopped: end of file, not an error any more. */
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	EXPECT_EQ(0, read(self->fd, self->buf, 16 * KiB));
}

/* A bad destination consumes nothing: the next read gets those bytes. */
TEST_F(rd, efault_consumes_nothing)
{
	void *bad = mmap(NULL, 16 * KiB, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, bad);
	ASSERT_EQ(0, configure(self->fd, 4, 16 * KiB, 0, 0, NULL));
	EXPECT_EQ(-1, read(self->fd, bad, 16 * KiB));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(16 * KiB, read_all(self->fd, self->buf, 16 * KiB));
	EXPECT_EQ(-1, check_pattern(self->buf, 16 * KiB, 0));
	munmap(bad, 16 * KiB);
}

/*
 * After unbind read() fails with ENODEV, as every call but close does,
 * even with a buffer it had started copying out.
 */
TEST_F(rd, enodev_after_unbind)
{
	char pdev[128];

	ASSERT_EQ(0, platform_name(pdev, sizeof(pdev)));
	ASSERT_EQ(0, configure(self->fd, 4, 16 * KiB, 0, 0, NULL));
	ASSERT_EQ(100, read(self->fd, self->buf, 100));
	ASSERT_EQ(0, driver_attr("unbind", pdev));
	EXPECT_EQ(-1, read(self->fd, self->buf, 100));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(-1, read(self->fd, self->buf, 100));
	EXPECT_EQ(ENODEV, errno);
	close(self->fd);
	ASSERT_EQ(0, driver_attr("bind", pdev));
	ASSERT_EQ(0, wait_for_node());
	self->fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, self->fd);
}

TEST_HARNESS_MAIN
