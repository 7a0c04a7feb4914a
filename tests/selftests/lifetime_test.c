// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetimes: close and munmap in every order, mappings that outlive the
 * pool's configuration and the device itself, unbind while streaming and
 * mapped, rmmod/insmod cycles. Nothing may leak and nothing may dangle.
 */
#include <endian.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

#define SEC 1000000000LL

static long pool_pages(void)
{
	char buf[64];

	if (read_file("/sys/kernel/debug/fpgacap/pool_pages", buf, sizeof(buf)))
		return -1;
	return atol(buf);
}

/* The platform device behind the node, e.g. "fpgacap-pattern.0". */
static int platform_name(char *out, size_t len)
{
	char link[256], target[256];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/class/fpgacap/%s/device",
		 dev_name_of());
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	snprintf(out, len, "%s", basename(target));
	return 0;
}

static int wait_for_node(void)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (!access(dev_path(), F_OK))
			return 0;
		usleep(50000);
	}
	return -ENOENT;
}

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
 * close() first: the mapping keeps the file (and with it the stream's
 * ownership) alive until munmap, and the data stays readable throughout.
 */
TEST(close_then_munmap)
{
	struct fpgacap_config cfg;
	struct fpgacap_buffer b[4];
	long before, pages;
	uint8_t *p;
	int fd, n;

	fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, configure(fd, 0, 0, 0, 0, NULL));
	before = pool_pages();
	p = stream_some(_metadata, fd, &cfg, b, &n);
	ASSERT_NE(NULL, p);
	pages = cfg.mmap_size / page_size();
	EXPECT_EQ(before + pages, pool_pages());
	close(fd);
	check_held(_metadata, p, b, n);
	munmap(p, cfg.mmap_size);

	/* The last reference is gone: the owner's release freed it all. */
	EXPECT_EQ(before, pool_pages());
	fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOBUFS, xioctl(fd, FPGACAP_IOC_START, NULL));
	close(fd);
}

/* Freeing the configuration leaves mapped pages alone until munmap. */
TEST(mapping_outlives_configuration)
{
	struct fpgacap_config cfg;
	struct fpgacap_buffer b[4];
	long before, pages;
	uint8_t *p;
	int fd, n;

	fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, configure(fd, 0, 0, 0, 0, NULL));
	before = pool_pages();
	p = stream_some(_metadata, fd, &cfg, b, &n);
	ASSERT_NE(NULL, p);
	pages = cfg.mmap_size / page_size();
	ASSERT_EQ(0, xioctl(fd, FPGACAP_IOC_STOP, NULL));
	ASSERT_EQ(0, configure(fd, 0, 0, 0, 0, NULL));
	EXPECT_EQ(before + pages, pool_pages());
	check_held(_metadata, p, b, n);
	/* A new pool while the old one is still mapped: both live. */
	ASSERT_EQ(0, configure(fd, 2, 64 * KiB, 0, 0, NULL));
	EXPECT_EQ(before + pages + (long)(2 * 64 * KiB / page_size()),
		  pool_pages());
	check_held(_metadata, p, b, n);
	munmap(p, cfg.mmap_size);
	ASSERT_EQ(0, configure(fd, 0, 0, 0, 0, NULL));
	EXPECT_EQ(before, pool_pages());
	close(fd);
}

TEST(munmap_then_close)
{
	struct fpgacap_config cfg;
	struct fpgacap_buffer b[4];
	long before;
	uint8_t *p;
	int fd, n;

	fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, configure(fd, 0, 0, 0, 0, NULL));
	before = pool_pages();
	p = stream_some(_metadata, fd, &cfg, b, &n);
	ASSERT_NE(NULL, p);
	munmap(p, cfg.mmap_size);
	ASSERT_EQ(0, xioctl(fd, FPGACAP_IOC_STOP, NULL));
	ASSERT_EQ(0, configure(fd, 0, 0, 0, 0, NULL));
	EXPECT_EQ(before, pool_pages());
	close(fd);
}

/* Two mappings and a split one: each piece holds the pool. */
TEST(partial_mappings)
{
	struct fpgacap_config cfg;
	struct fpgacap_buffer b[4];
	uint8_t *p, *q;
	long before;
	int fd, n;

	fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, configure(fd, 0, 0, 0, 0, NULL));
	before = pool_pages();
	p = stream_some(_metadata, fd, &cfg, b, &n);
	ASSERT_NE(NULL, p);
	/* Map buffer b[0] alone, at its offset. */
	q = mmap(NULL, 64 * KiB, PROT_READ, MAP_SHARED, fd,
		 b[0].index * 64 * KiB);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(-1, check_pattern(q, b[0].bytes_used, b[0].offset));
	/* Punch a hole in the big mapping: two VMAs now. */
	ASSERT_EQ(0, munmap(p + 64 * KiB, 64 * KiB));
	ASSERT_EQ(0, xioctl(fd, FPGACAP_IOC_STOP, NULL));
	ASSERT_EQ(0, configure(fd, 0, 0, 0, 0, NULL));
	EXPECT_EQ(-1, check_pattern(q, b[0].bytes_used, b[0].offset));
	munmap(p, 64 * KiB);
	EXPECT_LT(before, pool_pages());
	munmap(p + 128 * KiB, cfg.mmap_size - 128 * KiB);
	EXPECT_LT(before, pool_pages());
	munmap(q, 64 * KiB);
	EXPECT_EQ(before, pool_pages());
	close(fd);
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
TEST(unbind_while_streaming)
{
	struct fpgacap_config cfg;
	struct fpgacap_buffer b[8];
	struct fpgacap_info info;
	struct pollfd pfd;
	struct waiter w;
	pthread_t th;
	char pdev[128], c;
	long before;
	uint8_t *p;
	int fd, n;

	ASSERT_EQ(0, platform_name(pdev, sizeof(pdev)));
	fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, configure(fd, 0, 0, 0, 0, NULL));
	before = pool_pages();
	p = stream_some(_metadata, fd, &cfg, b, &n);
	ASSERT_NE(NULL, p);
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

	ASSERT_EQ(0, write_file("/sys/bus/platform/drivers/fpgacap/unbind",
				pdev));
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

	ASSERT_EQ(0, write_file("/sys/bus/platform/drivers/fpgacap/bind",
				pdev));
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
		ASSERT_EQ(0, write_file("/sys/bus/platform/drivers/fpgacap/unbind",
					pdev));
		ASSERT_EQ(0, write_file("/sys/bus/platform/drivers/fpgacap/bind",
					pdev));
		ASSERT_EQ(0, wait_for_node());
	}
	/* The device that held a pool is gone: its pages with it. */
	EXPECT_GE(before, pool_pages());
}

static int load_module(void)
{
	const char *ko = getenv("FPGACAP_KO");
	const char *params = getenv("FPGACAP_KO_PARAMS");
	int fd, ret;

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

static int unload_module(void)
{
	return syscall(SYS_delete_module, "fpgacap", O_NONBLOCK) ? -errno : 0;
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
		load_module();
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
		EXPECT_EQ(-EAGAIN, unload_module());
		close(fd);
		/* The mapping holds the file, and so the module. */
		EXPECT_EQ(-EAGAIN, unload_module());
		check_held(_metadata, p, b, n);
		munmap(p, cfg.mmap_size);
		ASSERT_EQ(0, unload_module());
		EXPECT_NE(0, access(dev_path(), F_OK));
		ASSERT_EQ(0, load_module());
		ASSERT_EQ(0, wait_for_node());
	}
}

TEST_HARNESS_MAIN
