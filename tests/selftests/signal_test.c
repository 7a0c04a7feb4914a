// SPDX-License-Identifier: GPL-2.0-only
/*
 * Blocking calls and signals (docs/abi.md):
 *  - DEQUEUE with a timeout keeps its deadline across SA_RESTART restarts
 *    (the kernel stores the time left in timeout_ns), so a process with a
 *    periodic timer still times out; without SA_RESTART it returns EINTR
 *    with the time left stored;
 *  - DEQUEUE without a timeout, and read(), restart transparently with
 *    SA_RESTART and return EINTR without it (read() returns what it had
 *    copied, if anything).
 */
#include <signal.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

#define MSEC 1000000LL

static volatile sig_atomic_t ticks;

static void on_tick(int sig)
{
	ticks++;
}

static void handle(int sig, bool restart)
{
	struct sigaction sa = { .sa_handler = on_tick };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(sig, &sa, NULL);
}

/* SIGALRM every @period_ms (0: off), first one after @first_ms. */
static void ticker(long first_ms, long period_ms)
{
	struct itimerval it = {
		.it_value = { first_ms / 1000, (first_ms % 1000) * 1000 },
		.it_interval = { period_ms / 1000, (period_ms % 1000) * 1000 },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

FIXTURE(sig) {
	int fd;
};

FIXTURE_SETUP(sig)
{
	self->fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, self->fd);
	/* 16 KiB at 4 KiB/s: the first buffer is 4 s away. */
	ASSERT_EQ(0, configure(self->fd, 4, 16 * KiB, 0, 4 * KiB, NULL));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_START, NULL));
	ticks = 0;
}

FIXTURE_TEARDOWN(sig)
{
	ticker(0, 0);
	signal(SIGALRM, SIG_IGN);
	close(self->fd);
}

/* A 10 ms timer with SA_RESTART cannot keep a 200 ms DEQUEUE alive. */
TEST_F_TIMEOUT(sig, dequeue_deadline_survives_restarts, 30)
{
	struct fpgacap_buffer b;
	uint64_t t0, dt;

	handle(SIGALRM, true);
	ticker(10, 10);
	t0 = now_ns();
	EXPECT_EQ(-ETIMEDOUT, dequeue(self->fd, &b, 1, 200 * MSEC));
	dt = now_ns() - t0;
	ticker(0, 0);
	EXPECT_LE(200 * MSEC, dt);
	/* The bound leaves room for an emulator's scheduling. */
	EXPECT_GT(1000 * MSEC, dt);
	EXPECT_LT(5, ticks) TH_LOG("%d signals during the wait", ticks);
	TH_LOG("timed out after %llu ms, %d signals",
	       (unsigned long long)(dt / MSEC), ticks);
}

/* Without SA_RESTART: EINTR, and timeout_ns says how much was left. */
TEST_F(sig, dequeue_eintr_stores_time_left)
{
	struct fpgacap_buffer b;
	struct fpgacap_dequeue dq = {
		.buffers = (uintptr_t)&b,
		.count = 1,
		.timeout_ns = 2000 * MSEC,
	};

	handle(SIGALRM, false);
	ticker(100, 0);
	EXPECT_EQ(-EINTR, xioctl(self->fd, FPGACAP_IOC_DEQUEUE, &dq));
	EXPECT_EQ(1, ticks);
	EXPECT_LT(0, dq.timeout_ns);
	EXPECT_GT(2000 * MSEC, dq.timeout_ns);
	EXPECT_LT(1000 * MSEC, dq.timeout_ns);
	TH_LOG("%lld ms left", (long long)(dq.timeout_ns / MSEC));
}

/* No timeout: restarted transparently until the buffer arrives. */
TEST_F_TIMEOUT(sig, dequeue_forever_restarts, 60)
{
	struct fpgacap_buffer b;

	handle(SIGALRM, true);
	ticker(10, 10);
	EXPECT_EQ(1, dequeue(self->fd, &b, 1, -1));
	ticker(0, 0);
	EXPECT_LT(5, ticks);
	EXPECT_EQ(0, give_back_bufs(self->fd, &b, 1));
}

/* read(): restarted with SA_RESTART, EINTR without. */
TEST_F_TIMEOUT(sig, read_restarts_or_eintr, 60)
{
	static uint8_t buf[16 * KiB];

	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	ASSERT_EQ(0, configure(self->fd, 4, 16 * KiB, 0, 4 * KiB, NULL));
	handle(SIGALRM, false);
	ticker(100, 0);
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EINTR, errno);

	handle(SIGALRM, true);
	ticks = 0;
	ticker(10, 10);
	EXPECT_EQ((ssize_t)sizeof(buf), read(self->fd, buf, sizeof(buf)));
	ticker(0, 0);
	EXPECT_LT(5, ticks);
	EXPECT_EQ(-1, check_pattern(buf, sizeof(buf), 0));
}

TEST_HARNESS_MAIN
