// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetimes: close and munmap in every order, mappings that outlive the
 * pool's configuration and the device itself, unbind while streaming and
 * mapped, rmmod/insmod cycles. Nothing may leak and nothing may dangle.
 */
#include <endian.h>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

#define SEC 1000000000LL

/* Configure, map and fill: returns the mapping, buffers held in @b. */
static uint8_t *stream_some(struct __test_metadata *_metadata, int fd,
			    struct fpgacap_config *cfg,
			    struct fpgacap_buffer *b, int *n)
{
	uint8_t *p;
	int i;

	EXPECT_EQ(0, configure(fd, 8, 64 * KiB, 0, 0, cfg));
	p = map_pool(fd, cfg->mmap_size);
	EXPECT_NE(NULL, p);
	EXPECT_EQ(0, xioctl(fd, FPGACAP_IOC_START, NULL));
	*n = dequeue(fd, b, 4, 5 * SEC);
	EXPECT_LT(0, *n);
	for (i = 0; i < *n; i++)
		EXPECT_EQ(-1, check_pattern(p + b[i].index * 64 * KiB,
					    b[i].bytes_used, b[i].offset));
	return p;
}

static void check_held(struct __test_metadata *_metadata, const uint8_t *p,
		       const struct fpgacap_buffer *b, int n)
{
	int i;

	for (i = 0; i < n; i++)
		EXPECT_EQ(-1, check_pattern(p + b[i].index * 64 * KiB,
					    b[i].bytes_used, b[i].offset));
}

/*
 * Every test below starts the same way: an unconfigured device, then a
 * pool of 8 x 64 KiB mapped, streaming, with some buffers held.
 */
FIXTURE(held) {
	int fd, n;
	long before, pages;
	struct fpgacap_config cfg;
	struct fpgacap_buffer b[8];
	uint8_t *p;
};

FIXTURE_SETUP(held)
{
	self->fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, configure(self->fd, 0, 0, 0, 0, NULL));
	self->before = pool_pages();
	self->p = stream_some(_metadata, self->fd, &self->cfg, self->b,
			      &self->n);
	ASSERT_NE(NULL, self->p);
	self->pages = self->cfg.mmap_size / page_size();
	EXPECT_EQ(self->before + self->pages, pool_pages());
}

FIXTURE_TEARDOWN(held)
{
}

/*
 * close() first: the mapping keeps the file (and with it the stream's
 * ownership) alive until munmap, and the data stays readable throughout.
 */
TEST_F(held, close_then_munmap)
{
	int fd;

	close(self->fd);
	check_held(_metadata, self->p, self->b, self->n);
	munmap(self->p, self->cfg.mmap_size);

	/* The last reference is gone: the owner's release freed it all. */
	EXPECT_EQ(self->before, pool_pages());
	fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOBUFS, xioctl(fd, FPGACAP_IOC_START, NULL));
	close(fd);
}

/* Freeing the configuration leaves mapped pages alone until munmap. */
TEST_F(held, mapping_outlives_configuration)
{
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	ASSERT_EQ(0, configure(self->fd, 0, 0, 0, 0, NULL));
	EXPECT_EQ(self->before + self->pages, pool_pages());
	check_held(_metadata, self->p, self->b, self->n);
	/* A new pool while the old one is still mapped: both live. */
	ASSERT_EQ(0, configure(self->fd, 2, 64 * KiB, 0, 0, NULL));
	EXPECT_EQ(self->before + self->pages +
		  (long)(2 * 64 * KiB / page_size()), pool_pages());
	check_held(_metadata, self->p, self->b, self->n);
	munmap(self->p, self->cfg.mmap_size);
	ASSERT_EQ(0, configure(self->fd, 0, 0, 0, 0, NULL));
	EXPECT_EQ(self->before, pool_pages());
	close(self->fd);
}

TEST_F(held, munmap_then_close)
{
	munmap(self->p, self->cfg.mmap_size);
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	ASSERT_EQ(0, configure(self->fd, 0, 0, 0, 0, NULL));
	EXPECT_EQ(self->before, pool_pages());
	close(self->fd);
}

/* Two mappings and a split one: each piece holds the pool. */
TEST_F(held, partial_mappings)
{
	const struct fpgacap_buffer *b = self->b;
	uint8_t *p = self->p, *q;

	/* Map buffer b[0] alone, at its offset. */
	q = mmap(NULL, 64 * KiB, PROT_READ, MAP_SHARED, self->fd,
		 b[0].index * 64 * KiB);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(-1, check_pattern(q, b[0].bytes_used, b[0].offset));
	/* Punch a hole in the big mapping: two VMAs now. */
	ASSERT_EQ(0, munmap(p + 64 * KiB, 64 * KiB));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_IOC_STOP, NULL));
	ASSERT_EQ(0, configure(self->fd, 0, 0, 0, 0, NULL));
	EXPECT_EQ(-1, check_pattern(q, b[0].bytes_used, b[0].offset));
	munmap(p, 64 * KiB);
	EXPECT_LT(self->before, pool_pages());
	munmap(p + 128 * KiB, self->cfg.mmap_size - 128 * KiB);
	EXPECT_LT(self->before, pool_pages());
	munmap(q, 64 * KiB);
	EXPECT_EQ(self->before, pool_pages());
	close(self->fd);
}

struct waiter {
	int fd;
	int ret;
};

static void *blocked_dequeue(void *arg)
{
	struct waiter *w = arg;
	struct fpgacap_buffer b;

	w->ret = dequeue(w->fd, &b, 1, -1);
	return NULL;
}

/*
 * Unbind while streaming, mapped and with a thread blocked in DEQUEUE:
 * the thread wakes with ENODEV, every call fails ENODEV, the held pages
 * stay readable, and the pages go when the mapping does.
 */
TEST_F(held, unbind_while_streaming)
{
	struct fpgacap_config cfg = self->cfg;
	struct fpgacap_buffer *b = self->b;
	long before = self->before;
	int fd = self->fd, n = self->n;
	uint8_t *p = self->p;
	struct fpgacap_info info;
	struct pollfd pfd;
	struct waiter w;
	pthread_t th;
	char pdev[128], c;

	ASSERT_EQ(0, platform_name(pdev, sizeof(pdev)));
	/* Hold every buffer: the source starves, the thread must block. */
	while (n < 8) {
		int got = dequeue(fd, b + n, 8 - n, 5 * SEC);

		ASSERT_LT(0, got);
		n += got;
	}
	w.fd = fd;
	w.ret = 1;
	ASSERT_EQ(0, pthread_create(&th, NULL, blocked_dequeue, &w));
	usleep(200000);
	EXPECT_EQ(1, w.ret);

	ASSERT_EQ(0, driver_attr("unbind", pdev));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(-ENODEV, w.ret);

	EXPECT_EQ(-ENODEV, xioctl(fd, FPGACAP_IOC_STOP, NULL));
	EXPECT_EQ(-ENODEV, xioctl(fd, FPGACAP_IOC_INFO, &info));
	EXPECT_EQ(-ENODEV, dequeue(fd, b, 1, 0));
	EXPECT_EQ(-ENODEV, give_back_bufs(fd, b, 1));
	EXPECT_EQ(-1, read(fd, &c, 1));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0));
	EXPECT_EQ(ENODEV, errno);
	pfd.fd = fd;
	pfd.events = POLLIN;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLERR);
	/* The mapping outlives the device, with its data. */
	check_held(_metadata, p, b, n);
	EXPECT_EQ(before + (long)(cfg.mmap_size / page_size()), pool_pages());
	munmap(p, cfg.mmap_size);
	EXPECT_EQ(before, pool_pages());
	close(fd);

	ASSERT_EQ(0, driver_attr("bind", pdev));
	ASSERT_EQ(0, wait_for_node());
	fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, fd);
	p = stream_some(_metadata, fd, &cfg, b, &n);
	ASSERT_NE(NULL, p);
	munmap(p, cfg.mmap_size);
	close(fd);
}

/* A bare unbind/bind loop with nothing open must leave nothing behind. */
TEST(unbind_bind_cycles)
{
	char pdev[128];
	long before = pool_pages();
	int i;

	ASSERT_EQ(0, platform_name(pdev, sizeof(pdev)));
	for (i = 0; i < 5; i++) {
		struct fpgacap_config cfg;
		int fd = open(dev_path(), O_RDONLY);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, configure(fd, 4, 128 * KiB, 0, 0, &cfg));
		ASSERT_EQ(0, xioctl(fd, FPGACAP_IOC_START, NULL));
		close(fd);
		ASSERT_EQ(0, driver_attr("unbind", pdev));
		ASSERT_EQ(0, driver_attr("bind", pdev));
		ASSERT_EQ(0, wait_for_node());
	}
	/* The device that held a pool is gone: its pages with it. */
	EXPECT_GE(before, pool_pages());
}

static int load_fpgacap(void)
{
	return load_module(getenv("FPGACAP_KO"), getenv("FPGACAP_KO_PARAMS"));
}

FIXTURE(module) {
	int unused;
};

FIXTURE_SETUP(module)
{
}

FIXTURE_TEARDOWN(module)
{
	/* Whatever happened, leave the module loaded for the next test. */
	if (access(dev_path(), F_OK) && getenv("FPGACAP_KO"))
		load_fpgacap();
}

/* The module cannot go while a file or a mapping uses it, then can. */
TEST_F_TIMEOUT(module, rmmod_insmod_cycles, 120)
{
	const char *ko = getenv("FPGACAP_KO");
	int i;

	if (!ko || access(ko, R_OK))
		SKIP(return, "FPGACAP_KO not set");
	for (i = 0; i < 4; i++) {
		struct fpgacap_config cfg;
		struct fpgacap_buffer b[4];
		uint8_t *p;
		int fd, n;

		fd = open(dev_path(), O_RDONLY);
		ASSERT_LE(0, fd);
		p = stream_some(_metadata, fd, &cfg, b, &n);
		ASSERT_NE(NULL, p);
		EXPECT_EQ(-EAGAIN, unload_module("fpgacap"));
		close(fd);
		/* The mapping holds the file, and so the module. */
		EXPECT_EQ(-EAGAIN, unload_module("fpgacap"));
		check_held(_metadata, p, b, n);
		munmap(p, cfg.mmap_size);
		ASSERT_EQ(0, unload_module("fpgacap"));
		EXPECT_NE(0, access(dev_path(), F_OK));
		ASSERT_EQ(0, load_fpgacap());
		ASSERT_EQ(0, wait_for_node());
	}
}

TEST_HARNESS_MAIN
