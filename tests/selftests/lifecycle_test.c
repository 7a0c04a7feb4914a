// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lifecycle races in loops (meant for the KASAN guest, run everywhere):
 * close against a thread streaming on the same file, munmap and mmap
 * against unbind, a forked child reading its inherited mapping while the
 * parent reconfigures and closes, MSG_ZEROCOPY sends in flight while the
 * device is unbound. Nothing may crash, leak or dangle, and the data that
 * arrives stays exact.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

#define SEC 1000000000LL

/* A fixture only for the timeout. */
FIXTURE(life) {
	int unused;
};

FIXTURE_SETUP(life)
{
}

FIXTURE_TEARDOWN(life)
{
}

struct streamer {
	int fd;
	const uint8_t *pool;
	uint64_t size;
	volatile int stop;
	long buffers, bad;
	int last;
};

/* Dequeue, check, return, until told to stop or the file goes. */
static void *stream_loop(void *arg)
{
	struct streamer *s = arg;
	struct fpgacap_buffer b[8];
	int n, i;

	while (!s->stop) {
		n = dequeue(s->fd, b, 8, SEC / 10);
		if (n == -ETIMEDOUT)
			continue;
		if (n < 0) {
			s->last = n;
			break;
		}
		for (i = 0; i < n; i++)
			s->bad += check_pattern(s->pool + b[i].index * s->size,
						b[i].bytes_used,
						b[i].offset) != -1;
		s->buffers += n;
		if (give_back_bufs(s->fd, b, n))
			break;
	}
	return NULL;
}

/*
 * close() while another thread streams on the same fd: the thread's
 * calls keep the file until they return, then fail with EBADF; the
 * owner's release frees everything once the mapping goes.
 */
TEST_F_TIMEOUT(life, close_against_streaming, 300)
{
	long before = pool_pages();
	int round;

	for (round = 0; round < 30; round++) {
		struct fpgacap_config cfg;
		struct streamer s = { .size = 16 * KiB };
		pthread_t th;
		uint8_t *p;

		s.fd = open(dev_path(), O_RDONLY);
		ASSERT_LE(0, s.fd);
		ASSERT_EQ(0, configure(s.fd, 8, 16 * KiB, 0, 0, &cfg));
		p = map_pool(s.fd, cfg.mmap_size);
		ASSERT_NE(NULL, p);
		s.pool = p;
		ASSERT_EQ(0, xioctl(s.fd, FPGACAP_IOC_START, NULL));
		ASSERT_EQ(0, pthread_create(&th, NULL, stream_loop, &s));
		usleep(1000 * (round % 7));
		close(s.fd);
		usleep(1000);
		s.stop = 1;
		pthread_join(th, NULL);
		EXPECT_EQ(0, s.bad);
		EXPECT_TRUE(!s.last || s.last == -EBADF) TH_LOG("%d", s.last);
		munmap(p, cfg.mmap_size);
	}
	EXPECT_EQ(before, pool_pages());
}

struct mapper {
	int fd;
	size_t len;
	volatile int stop;
	long maps, failures;
};

static void *map_loop(void *arg)
{
	struct mapper *m = arg;

	while (!m->stop) {
		void *p = mmap(NULL, m->len, PROT_READ, MAP_SHARED, m->fd, 0);

		if (p == MAP_FAILED) {
			m->failures++;
			usleep(1000);
			continue;
		}
		m->maps++;
		/* Touch every page: refaulting zapped PTEs must work too. */
		madvise(p, m->len, MADV_DONTNEED);
		for (size_t i = 0; i < m->len; i += 4096)
			(void)*(volatile uint8_t *)((uint8_t *)p + i);
		munmap(p, m->len);
	}
	return NULL;
}

/* mmap/munmap in a loop against unbind and bind of the device. */
TEST_F_TIMEOUT(life, map_against_unbind, 300)
{
	long before = pool_pages();
	char pdev[128];
	int round;

	ASSERT_EQ(0, platform_name(pdev, sizeof(pdev)));
	for (round = 0; round < 10; round++) {
		struct fpgacap_config cfg;
		struct mapper m = { 0 };
		pthread_t th;

		m.fd = open(dev_path(), O_RDONLY);
		ASSERT_LE(0, m.fd);
		ASSERT_EQ(0, configure(m.fd, 4, 64 * KiB, 0, 0, &cfg));
		m.len = cfg.mmap_size;
		ASSERT_EQ(0, pthread_create(&th, NULL, map_loop, &m));
		usleep(20000 + 5000 * round);
		ASSERT_EQ(0, driver_attr("unbind", pdev));
		usleep(20000);
		m.stop = 1;
		pthread_join(th, NULL);
		EXPECT_LT(0, m.maps);
		close(m.fd);
		ASSERT_EQ(0, driver_attr("bind", pdev));
		ASSERT_EQ(0, wait_for_node());
	}
	EXPECT_EQ(before, pool_pages());
}

/*
 * A forked child keeps reading its inherited mapping while the parent
 * dequeues, returns, reconfigures and closes: the child's pages stay the
 * pool's and hold what was filled when the child was forked.
 */
TEST_F_TIMEOUT(life, fork_with_a_mapping, 300)
{
	long before = pool_pages();
	int round;

	for (round = 0; round < 10; round++) {
		struct fpgacap_config cfg;
		struct fpgacap_buffer b;
		int fd, status, go[2];
		uint8_t *p;
		pid_t child;

		fd = open(dev_path(), O_RDONLY);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, configure(fd, 4, 64 * KiB, 0, 0, &cfg));
		p = map_pool(fd, cfg.mmap_size);
		ASSERT_NE(NULL, p);
		ASSERT_EQ(0, xioctl(fd, FPGACAP_IOC_START, NULL));
		ASSERT_EQ(1, dequeue(fd, &b, 1, 5 * SEC));
		ASSERT_EQ(0, pipe(go));
		child = fork();
		ASSERT_LE(0, child);
		if (!child) {
			char c;
			int i;

			close(go[1]);
			/* Read the held buffer until the parent is done. */
			for (i = 0; i < 1000; i++)
				if (check_pattern(p + b.index * 64 * KiB,
						  b.bytes_used, b.offset) != -1)
					_exit(1);
			if (read(go[0], &c, 1) < 0)
				_exit(2);
			if (check_pattern(p + b.index * 64 * KiB, b.bytes_used,
					  b.offset) != -1)
				_exit(3);
			_exit(0);
		}
		close(go[0]);
		/* The parent keeps the buffer held: nobody refills it. */
		ASSERT_EQ(0, xioctl(fd, FPGACAP_IOC_STOP, NULL));
		munmap(p, cfg.mmap_size);
		close(fd);
		close(go[1]);
		ASSERT_EQ(child, waitpid(child, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("round %d: child status %d", round, status);
	}
	EXPECT_EQ(before, pool_pages());
}

TEST_HARNESS_MAIN
