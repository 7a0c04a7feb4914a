// SPDX-License-Identifier: GPL-2.0
/*
 * Every ioctl with bad input returns its documented errno and leaves the
 * device usable; INFO and STATS tell the truth.
 */
#include <endian.h>
#include <poll.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

FIXTURE(ioctl) {
	int fd;
	struct fpgacap_info info;
};

/* After each test the device must still stream and verify. */
static void still_usable(struct __test_metadata *_metadata, int fd)
{
	xioctl(fd, FPGACAP_IOC_STOP, NULL);
	ASSERT_STREAMS_ON(fd);
}

FIXTURE_SETUP(ioctl)
{
	self->fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", dev_path(), strerror(errno));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_INFO, &self->info));
	/* Start from an unconfigured device. */
	ASSERT_EQ(0, configure(self->fd, 0, 0, 0, 0, NULL));
}

FIXTURE_TEARDOWN(ioctl)
{
	/* Hooks a failed test left armed must not hit the next stream. */
	set_hook("inject_error", 0);
	set_hook("inject_stall", 0);
	set_dev_attr(dev_path(), "stall_timeout_ms", 2000);
	still_usable(_metadata, self->fd);
	close(self->fd);
}

TEST_F(ioctl, info)
{
	struct fpgacap_info *i = &self->info;
	unsigned int k;

	EXPECT_EQ(FPGACAP_API_MAJOR, i->api_version >> 16);
	EXPECT_TRUE(i->caps & FPGACAP_CAP_STREAMING);
	EXPECT_TRUE(i->caps & FPGACAP_CAP_READ);
	EXPECT_EQ(page_size(), i->page_size);
	EXPECT_LT(0, i->max_buffers);
	EXPECT_LE(page_size(), i->max_buffer_size);
	EXPECT_LE(i->max_buffer_size, i->max_pool_size);
	EXPECT_NE(0, i->source);
	EXPECT_EQ(FPGACAP_STATE_UNCONFIGURED, i->state);
	EXPECT_NE(NULL, memchr(i->name, 0, sizeof(i->name)));
	EXPECT_STREQ(dev_name_of(), i->name);
	for (k = 0; k < sizeof(i->reserved) / sizeof(i->reserved[0]); k++)
		EXPECT_EQ(0, i->reserved[k]);
	EXPECT_LE(i->max_pool_size, i->max_pinned);
	EXPECT_EQ(0, i->pinned);
	EXPECT_LE(i->max_orphaned, i->max_pinned);
	EXPECT_EQ(0, i->orphaned);
}

TEST_F(ioctl, unknown_command)
{
	char buf[256] = { 0 };

	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IO(FPGACAP_IOC_MAGIC, 0x7f), NULL));
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IOR('x', 1, int), buf));
	/* Right number, wrong size: a different command. */
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IOWR(FPGACAP_IOC_MAGIC, 0x01,
						  struct fpgacap_info), buf));
	EXPECT_EQ(-ENOTTY, xioctl(self->fd, _IOR(FPGACAP_IOC_MAGIC, 0x00,
						 uint64_t), buf));
}

TEST_F(ioctl, bad_pointers)
{
	EXPECT_EQ(-EFAULT, xioctl(self->fd, FPGACAP_IOC_INFO, (void *)8));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, FPGACAP_IOC_CONFIGURE, (void *)8));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, FPGACAP_IOC_STATS, (void *)8));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, FPGACAP_IOC_DEQUEUE, (void *)8));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, FPGACAP_IOC_RETURN, (void *)8));
}

TEST_F(ioctl, configure_bad_input)
{
	const uint64_t pg = page_size();
	struct fpgacap_config cfg;

	EXPECT_EQ(-EINVAL, configure(self->fd, 4, 0, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, configure(self->fd, 4, pg + 1, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, configure(self->fd, 4, pg / 2, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, configure(self->fd, 4, pg, 0x80, 0, NULL));
	/* The old coherent-pool flag is unknown now. */
	EXPECT_EQ(-EINVAL, configure(self->fd, 4, pg, 0x02, 0, NULL));
	EXPECT_EQ(-EINVAL, configure(self->fd, 4, pg, 0x03, 0, NULL));
	/* A known flag or setting the device cannot honour. */
	if (!(self->info.caps & FPGACAP_CAP_HIGHMEM))
		EXPECT_EQ(-EOPNOTSUPP, configure(self->fd, 4, pg,
						 FPGACAP_CFG_HIGHMEM, 0, NULL));
	if (!(self->info.caps & FPGACAP_CAP_RATE))
		EXPECT_EQ(-EOPNOTSUPP, configure(self->fd, 4, pg, 0, 1000,
						 NULL));
	/* count * size wraps 64 bits. */
	EXPECT_EQ(-EOVERFLOW, configure(self->fd, 4, 1ULL << 62, 0, 0, NULL));
	EXPECT_EQ(-EOVERFLOW, configure(self->fd, UINT32_MAX,
					UINT64_MAX & ~(pg - 1), 0, 0, NULL));
	/* Above the limits INFO reports. */
	EXPECT_EQ(-E2BIG, configure(self->fd, self->info.max_buffers + 1, pg, 0,
				    0, NULL));
	EXPECT_EQ(-E2BIG, configure(self->fd, 1,
				    self->info.max_buffer_size + pg, 0, 0,
				    NULL));
	EXPECT_EQ(-E2BIG, configure(self->fd,
				    self->info.max_pool_size /
				    self->info.max_buffer_size + 1,
				    self->info.max_buffer_size, 0, 0, NULL));

	memset(&cfg, 0, sizeof(cfg));
	cfg.count = 4;
	cfg.buffer_size = pg;
	cfg.reserved[2] = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, FPGACAP_IOC_CONFIGURE, &cfg));
	/* None of it configured anything. */
	EXPECT_EQ(0, xioctl(self->fd, FPGACAP_IOC_INFO, &self->info));
	EXPECT_EQ(FPGACAP_STATE_UNCONFIGURED, self->info.state);
}

/*
 * A CONFIGURE that fails on its input changes nothing: the pool, its
 * mapping and the ownership stay. One that fails to get memory has let
 * the old pool go: the device is unconfigured and nobody owns it. A
 * failed CONFIGURE never makes its caller the owner.
 */
TEST_F(ioctl, failed_configure)
{
	struct fpgacap_buffer b;
	struct fpgacap_config cfg;
	struct fpgacap_stats st;
	char pinned[32] = "";
	uint8_t *map;
	int other;

	ASSERT_EQ(0, configure(self->fd, 4, 64 * KiB, 0, 0, &cfg));
	map = map_pool(self->fd, cfg.mmap_size);
	ASSERT_NE(NULL, map);
	EXPECT_EQ(-EINVAL, configure(self->fd, 4, 64 * KiB, 0x80, 0, NULL));
	EXPECT_EQ(-E2BIG, configure(self->fd, self->info.max_buffers + 1,
				    page_size(), 0, 0, NULL));
	EXPECT_EQ(-EOVERFLOW, configure(self->fd, 4, 1ULL << 62, 0, 0, NULL));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(FPGACAP_STATE_STOPPED, st.state);
	EXPECT_EQ(4, st.free);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	ASSERT_EQ(1, dequeue(self->fd, &b, 1, 5000000000LL));
	EXPECT_EQ(-1, check_pattern(map + (uint64_t)b.index * 64 * KiB,
				    b.bytes_used, b.offset));
	ASSERT_EQ(0, give_back_bufs(self->fd, &b, 1));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	munmap(map, cfg.mmap_size);

	/* Out of budget: the old pool is gone, and with it the ownership. */
	ASSERT_EQ(0, get_param("max_pinned", pinned, sizeof(pinned)));
	pinned[strcspn(pinned, "\n")] = 0;
	ASSERT_EQ(0, set_param("max_pinned", "65536"));
	EXPECT_EQ(-EDQUOT, configure(self->fd, 4, 64 * KiB, 0, 0, NULL));
	ASSERT_EQ(0, set_param("max_pinned", pinned));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(FPGACAP_STATE_UNCONFIGURED, st.state);
	other = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, other);
	EXPECT_EQ(0, configure(other, 4, 64 * KiB, 0, 0, NULL));
	close(other);

	/* Another file's failed CONFIGURE does not take the stream. */
	other = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, other);
	EXPECT_EQ(-EINVAL, configure(other, 4, 64 * KiB, 0x80, 0, NULL));
	EXPECT_EQ(0, configure(self->fd, 4, 64 * KiB, 0, 0, NULL));
	EXPECT_EQ(-EBUSY, configure(other, 4, 64 * KiB, 0x80, 0, NULL));
	close(other);
}

TEST_F(ioctl, wrong_state)
{
	struct fpgacap_buffer b[2];

	EXPECT_EQ(-ENOBUFS, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	EXPECT_EQ(-ENOBUFS, dequeue(self->fd, b, 2, 0));
	EXPECT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	ASSERT_EQ(0, configure(self->fd, 4, 64 * KiB, 0, 0, NULL));
	/* Stopped, nothing filled: nothing to wait for. */
	EXPECT_EQ(-ENODATA, dequeue(self->fd, b, 2, -1));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	EXPECT_EQ(-EBUSY, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	EXPECT_EQ(-EBUSY, configure(self->fd, 4, 64 * KiB, 0, 0, NULL));
	EXPECT_EQ(-EBUSY, configure(self->fd, 0, 0, 0, 0, NULL));
	EXPECT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	EXPECT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
}

TEST_F(ioctl, dequeue_bad_input)
{
	struct fpgacap_buffer b[4];
	struct fpgacap_dequeue dq;
	struct fpgacap_stats st;
	int n;

	ASSERT_EQ(0, configure(self->fd, 4, 64 * KiB, 0, 0, NULL));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));

	memset(&dq, 0, sizeof(dq));
	dq.buffers = (uintptr_t)b;
	dq.count = 0;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, FPGACAP_IOC_DEQUEUE, &dq));
	dq.count = 4;
	dq.flags = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, FPGACAP_IOC_DEQUEUE, &dq));
	dq.flags = 0;
	dq.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, FPGACAP_IOC_DEQUEUE, &dq));

	/* A bad array pointer loses no buffer: the next call gets it. */
	ASSERT_LT(0, dequeue(self->fd, b, 1, 5000000000LL));
	ASSERT_EQ(0, give_back_bufs(self->fd, b, 1));
	usleep(100000);
	EXPECT_EQ(-EFAULT, dequeue(self->fd, (void *)8, 4, 5000000000LL));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.user);
	n = dequeue(self->fd, b, 4, 5000000000LL);
	ASSERT_LT(0, n);
	EXPECT_EQ(0, give_back_bufs(self->fd, b, n));
}

/*
 * The buffers go out, then their count: if the count cannot be written
 * back, the buffers go back too, in order.
 */
TEST_F(ioctl, dequeue_unwritable_reply_consumes_nothing)
{
	struct fpgacap_buffer b[4];
	struct fpgacap_dequeue *dq;
	struct fpgacap_stats st;

	ASSERT_EQ(0, configure(self->fd, 4, 64 * KiB, 0, 0, NULL));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	usleep(200000);
	dq = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dq);
	dq->buffers = (uintptr_t)b;
	dq->count = 4;
	dq->timeout_ns = 5000000000LL;
	ASSERT_EQ(0, mprotect(dq, page_size(), PROT_READ));
	EXPECT_EQ(-EFAULT, xioctl(self->fd, FPGACAP_IOC_DEQUEUE, dq));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(0, st.user);
	EXPECT_EQ(0, st.dequeued);
	ASSERT_LT(0, dequeue(self->fd, b, 1, 5000000000LL));
	EXPECT_EQ(0, b[0].sequence);
	EXPECT_EQ(0, give_back_bufs(self->fd, b, 1));
	munmap(dq, page_size());
}

/* After a failure, DEQUEUE drains then says EIO; after STOP, ENODATA. */
TEST_F(ioctl, eio_until_stop_then_enodata)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct fpgacap_buffer b[8];
	struct fpgacap_stats st;
	int n, tries = 0;

	ASSERT_EQ(0, configure(self->fd, 4, 16 * KiB, 0, 0, NULL));
	ASSERT_EQ(0, set_hook("inject_error", 1));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	while ((n = dequeue(self->fd, b, 8, 5000000000LL)) > 0 &&
	       tries++ < 100)
		ASSERT_EQ(0, give_back_bufs(self->fd, b, n));
	EXPECT_EQ(-EIO, n);
	EXPECT_EQ(-EIO, dequeue(self->fd, b, 8, 0));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLERR);
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(FPGACAP_STATE_ERROR, st.state);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	EXPECT_EQ(-ENODATA, dequeue(self->fd, b, 8, 0));
	EXPECT_EQ(-ENODATA, dequeue(self->fd, b, 8, -1));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(FPGACAP_STATE_STOPPED, st.state);
	/* The failure stays on record until the next START. */
	EXPECT_EQ(EIO, st.last_error);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLHUP, pfd.revents);
}

/*
 * A failed real-time stream loses nothing afterwards: it takes no buffers,
 * so neither the time until STOP nor STOP itself counts as dropped data.
 */
TEST_F(ioctl, failed_rate_stream_drops_nothing)
{
	struct fpgacap_buffer b[8];
	struct fpgacap_stats st0, st;
	int n, tries = 0;

	/* 16 KiB every 4 ms: half a second after the failure is 128 due. */
	ASSERT_EQ(0, configure(self->fd, 4, 16 * KiB, 0, 4 * MiB, NULL));
	ASSERT_EQ(0, set_hook("inject_error", 1));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	while ((n = dequeue(self->fd, b, 8, 5000000000LL)) > 0 &&
	       tries++ < 100)
		ASSERT_EQ(0, give_back_bufs(self->fd, b, n));
	ASSERT_EQ(-EIO, n);
	/* What a slow guest dropped before the failure is not the point. */
	ASSERT_EQ(0, get_stats(self->fd, &st0));
	sleep_mono(500 * 1000000ULL);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(st0.drops, st.drops);
	EXPECT_EQ(st0.bytes_dropped, st.bytes_dropped);
	EXPECT_EQ(1, st.errors);
	EXPECT_EQ(EIO, st.last_error);
}

/* stall_timeout_ms = 0 turns the watchdog off; setting it acts at once. */
TEST_F(ioctl, stall_timeout_zero_is_off)
{
	struct fpgacap_stats st;

	uint64_t t0;

	ASSERT_EQ(0, set_dev_attr(dev_path(), "stall_timeout_ms", 0));
	ASSERT_EQ(0, configure(self->fd, 4, 16 * KiB, 0, 0, NULL));
	ASSERT_EQ(0, set_hook("inject_stall", 1));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	/* The source holds the stalled buffer... */
	t0 = now_ns();
	do {
		ASSERT_EQ(0, get_stats(self->fd, &st));
	} while (st.active != 1 && now_ns() - t0 < 10 * 1000000000ULL);
	ASSERT_EQ(1, st.active);
	/* ...for far longer than any timeout, and nothing fires. */
	sleep_mono(2500 * 1000000ULL);
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(FPGACAP_STATE_STREAMING, st.state);
	EXPECT_EQ(0, st.stalls);
	EXPECT_EQ(1, st.active);

	ASSERT_EQ(0, set_dev_attr(dev_path(), "stall_timeout_ms", 200));
	t0 = now_ns();
	do {
		sleep_mono(50 * 1000000ULL);
		ASSERT_EQ(0, get_stats(self->fd, &st));
	} while (st.state != FPGACAP_STATE_ERROR &&
		 now_ns() - t0 < 10 * 1000000000ULL);
	EXPECT_EQ(FPGACAP_STATE_ERROR, st.state);
	EXPECT_EQ(1, st.stalls);
	EXPECT_EQ(ETIMEDOUT, st.last_error);
}

/* Test knobs live in debugfs, behind one switch; none is a parameter. */
TEST_F(ioctl, no_test_knobs_in_module_parameters)
{
	EXPECT_NE(0, access("/sys/module/fpgacap/parameters/alloc_fail_order",
			    F_OK));
	EXPECT_EQ(0, access("/sys/kernel/debug/fpgacap/test_hooks", F_OK));
}

TEST_F(ioctl, return_bad_input)
{
	struct fpgacap_buffer b[4];
	struct fpgacap_return rt;
	struct fpgacap_stats st;
	uint32_t idx[8];
	int n;

	ASSERT_EQ(0, configure(self->fd, 4, 64 * KiB, 0, 0, NULL));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	n = dequeue(self->fd, b, 2, 5000000000LL);
	ASSERT_LT(0, n);

	idx[0] = b[0].index;
	idx[1] = 4;			/* out of range */
	EXPECT_EQ(-EINVAL, give_back(self->fd, idx, 2));
	idx[1] = UINT32_MAX;
	EXPECT_EQ(-EINVAL, give_back(self->fd, idx, 2));
	idx[1] = b[0].index;		/* repeated */
	EXPECT_EQ(-EINVAL, give_back(self->fd, idx, 2));
	/* Not held by userspace: any index we did not dequeue. */
	for (idx[1] = 0; idx[1] < 4; idx[1]++)
		if (idx[1] != b[0].index && (n < 2 || idx[1] != b[1].index))
			break;
	EXPECT_EQ(-EINVAL, give_back(self->fd, idx, 2));
	EXPECT_EQ(-EINVAL, give_back(self->fd, idx, 0));
	EXPECT_EQ(-EINVAL, give_back(self->fd, idx, 5));	/* > count */
	EXPECT_EQ(-EFAULT, give_back(self->fd, (void *)8, 1));

	memset(&rt, 0, sizeof(rt));
	rt.indices = (uintptr_t)idx;
	rt.count = 1;
	rt.flags = 2;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, FPGACAP_IOC_RETURN, &rt));
	rt.flags = 0;
	rt.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, FPGACAP_IOC_RETURN, &rt));

	/* All or nothing: every failed call above returned none. */
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(n, st.user);
	EXPECT_EQ(0, st.returned);
	EXPECT_EQ(0, give_back_bufs(self->fd, b, n));
	/* Returned once: a second time is an error. */
	EXPECT_EQ(-EINVAL, give_back_bufs(self->fd, b, 1));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	EXPECT_EQ(n, st.returned);
}

/* One owner: others get EBUSY for streaming calls, INFO/STATS work. */
TEST_F(ioctl, single_owner)
{
	struct fpgacap_info info;
	struct fpgacap_stats st;
	struct fpgacap_buffer b[1];
	uint32_t idx = 0;
	char c;
	int other;

	ASSERT_EQ(0, configure(self->fd, 4, 64 * KiB, 0, 0, NULL));
	other = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, other);
	EXPECT_EQ(-EBUSY, configure(other, 4, 64 * KiB, 0, 0, NULL));
	EXPECT_EQ(-EBUSY, xioctl(other, FPGACAP_IOC_START, NULL));
	EXPECT_EQ(-EBUSY, xioctl(other, FPGACAP_IOC_STOP, NULL));
	EXPECT_EQ(-EBUSY, dequeue(other, b, 1, 0));
	EXPECT_EQ(-EBUSY, give_back(other, &idx, 1));
	EXPECT_EQ(-1, read(other, &c, 1));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, xioctl(other, FPGACAP_IOC_INFO, &info));
	EXPECT_EQ(FPGACAP_STATE_STOPPED, info.state);
	EXPECT_EQ(0, get_stats(other, &st));
	/* Freeing the pool gives ownership up. */
	ASSERT_EQ(0, configure(self->fd, 0, 0, 0, 0, NULL));
	EXPECT_EQ(0, configure(other, 2, 64 * KiB, 0, 0, NULL));
	EXPECT_EQ(-EBUSY, configure(self->fd, 4, 64 * KiB, 0, 0, NULL));
	/* Closing the owner gives it up too. */
	close(other);
	EXPECT_EQ(0, configure(self->fd, 4, 64 * KiB, 0, 0, NULL));
}

TEST_F(ioctl, stats_reserved_zero)
{
	struct fpgacap_stats st;
	unsigned int k;

	memset(&st, 0xa5, sizeof(st));
	ASSERT_EQ(0, get_stats(self->fd, &st));
	for (k = 0; k < sizeof(st.reserved) / sizeof(st.reserved[0]); k++)
		EXPECT_EQ(0, st.reserved[k]);
	EXPECT_EQ(0, st.carried);
	EXPECT_EQ(FPGACAP_STATE_UNCONFIGURED, st.state);
}

TEST_HARNESS_MAIN
