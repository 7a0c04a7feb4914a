/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the fpgacap selftests: raw ioctls (the tests check the
 * kernel ABI, not the library), the device under test and the pattern
 * check. Environment:
 *   FPGACAP_DEV        device node (default /dev/fpgacap0)
 *   FPGACAP_KO         module file, for unload/reload tests
 *   FPGACAP_KO_PARAMS  parameters to load it with
 */
#ifndef FPGACAP_TEST_H
#define FPGACAP_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "fpgacap.h"

#define KiB 1024ULL
#define MiB (1024ULL * 1024)

static inline const char *dev_path(void)
{
	const char *p = getenv("FPGACAP_DEV");

	return p && *p ? p : "/dev/fpgacap0";
}

/* The running kernel's major * 100 + minor (7.3: 703), 0 if unknown. */
static inline int kernel_version(void)
{
	struct utsname u;
	int maj = 0, min = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &maj, &min) != 2)
		return 0;
	return maj * 100 + min;
}

static inline long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* ioctl returning -errno, so ASSERT_EQ(-EINVAL, ...) reads naturally. */
static inline int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int configure(int fd, uint32_t count, uint64_t size,
			    uint32_t flags, uint64_t rate,
			    struct fpgacap_config *out)
{
	struct fpgacap_config cfg = {
		.count = count,
		.buffer_size = size,
		.flags = flags,
		.rate = rate,
	};
	int ret = xioctl(fd, FPGACAP_IOC_CONFIGURE, &cfg);

	if (out)
		*out = cfg;
	return ret;
}

static inline int dequeue(int fd, struct fpgacap_buffer *bufs, uint32_t max,
			  int64_t timeout_ns)
{
	struct fpgacap_dequeue dq = {
		.buffers = (uintptr_t)bufs,
		.count = max,
		.timeout_ns = timeout_ns,
	};
	int ret = xioctl(fd, FPGACAP_IOC_DEQUEUE, &dq);

	return ret ? ret : (int)dq.count;
}

static inline int give_back(int fd, const uint32_t *idx, uint32_t n)
{
	struct fpgacap_return rt = {
		.indices = (uintptr_t)idx,
		.count = n,
	};

	return xioctl(fd, FPGACAP_IOC_RETURN, &rt);
}

static inline int give_back_bufs(int fd, const struct fpgacap_buffer *b,
				 uint32_t n)
{
	uint32_t idx[256];
	uint32_t i;

	for (i = 0; i < n && i < 256; i++)
		idx[i] = b[i].index;
	return give_back(fd, idx, i);
}

static inline int get_stats(int fd, struct fpgacap_stats *st)
{
	return xioctl(fd, FPGACAP_IOC_STATS, st);
}

/* EXPORT buffer @index with @flags: the dma-buf's descriptor, or -errno. */
static inline int export_buf(int fd, uint32_t index, uint32_t flags)
{
	struct fpgacap_export ex = { .index = index, .flags = flags };
	int ret = xioctl(fd, FPGACAP_IOC_EXPORT, &ex);

	return ret ? ret : ex.fd;
}

static inline void *map_pool(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * The pattern (FPGACAP_PATTERN_WORD in the UAPI) at stream @offset: the
 * byte offset of the first mismatch in the buffer, or -1.
 */
static inline long check_pattern(const void *data, uint64_t bytes,
				 uint64_t offset)
{
	const uint64_t *w = data;
	uint64_t i;

	for (i = 0; i < bytes / 8; i++)
		if (le64toh(w[i]) != FPGACAP_PATTERN_WORD(offset + 8 * i))
			return (long)(i * 8);
	return -1;
}

/*
 * Whether MSG_ZEROCOPY sends went from the pages: of @notes completion
 * notifications, @copied_notes flagged COPIED. A path that copies copies
 * every send, so every notification is flagged. Some sends are copied
 * legitimately: the emulators' TCP peer does not use timestamps, so a
 * window probe of under 6 bytes makes a frame under 60, which e1000 pads
 * by linearising it (__skb_pad from e1000_xmit_frame); a retransmission
 * may copy too. The kernel merges a completion into the notification still
 * queued before it whatever either's flag (skb_zerocopy_notify_extend), so
 * one copied send can flag a long range: count notifications, not sends.
 */
static inline bool zerocopy_mostly_sent(uint64_t copied_notes, uint64_t notes)
{
	return notes && 2 * copied_notes <= notes;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Write a string to a sysfs or debugfs file; 0 or -errno. */
static inline int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

static inline int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

/* Name of the device node's device, e.g. "fpgacap0". */
static inline const char *dev_name_of(void)
{
	const char *p = strrchr(dev_path(), '/');

	return p ? p + 1 : dev_path();
}

/* A file under /sys/kernel/debug/fpgacap/ (the test hooks) set to @value. */
static inline int set_debugfs(const char *name, long value)
{
	char path[256], v[32];

	snprintf(path, sizeof(path), "/sys/kernel/debug/fpgacap/%s", name);
	snprintf(v, sizeof(v), "%ld", value);
	return write_file(path, v);
}

/* Test hook @hook of the device node @dev, with the hooks switched on. */
static inline int set_dev_hook(const char *dev, const char *hook, int value)
{
	const char *name = strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev;
	char path[128];
	int ret = set_debugfs("test_hooks", 1);

	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%.64s/%.32s", name, hook);
	return set_debugfs(path, value);
}

/* Test hook of the device under test. */
static inline int set_hook(const char *hook, int value)
{
	return set_dev_hook(dev_path(), hook, value);
}

/* A sysfs attribute of device node @dev (/sys/class/fpgacap/<name>/). */
static inline int set_dev_attr(const char *dev, const char *attr,
			       long long value)
{
	const char *name = strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev;
	char path[256], v[32];

	snprintf(path, sizeof(path), "/sys/class/fpgacap/%s/%s", name, attr);
	snprintf(v, sizeof(v), "%lld", value);
	return write_file(path, v);
}

static inline int set_param(const char *param, const char *value)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/module/fpgacap/parameters/%s",
		 param);
	return write_file(path, value);
}

static inline int get_param(const char *param, char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/module/fpgacap/parameters/%s",
		 param);
	return read_file(path, buf, len);
}

/*
 * Sleep by CLOCK_MONOTONIC, the clock the driver paces with (in the Zynq
 * guest usleep() and CLOCK_MONOTONIC have disagreed).
 */
static inline void sleep_mono(uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	while (now_ns() < end)
		usleep(1000);
}

/* Pages all pools hold (debugfs), or -1. */
static inline long pool_pages(void)
{
	char buf[64];

	if (read_file("/sys/kernel/debug/fpgacap/pool_pages", buf, sizeof(buf)))
		return -1;
	return atol(buf);
}

/* The platform device behind the node, e.g. "fpgacap-pattern.0". */
static inline int platform_name(char *out, size_t len)
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

/* Unbind or bind the device under test: @what is "unbind" or "bind". */
static inline int driver_attr(const char *what, const char *pdev)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/platform/drivers/fpgacap/%s",
		 what);
	return write_file(path, pdev);
}

/* Load a module file with @params; 0 or -errno. */
static inline int load_module(const char *ko, const char *params)
{
	int fd, ret;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/* Unload module @name if nothing uses it; 0 or -errno (-EAGAIN: busy). */
static inline int unload_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

/* After a bind or insmod, wait for the node to come back. */
static inline int wait_for_node(void)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (!access(dev_path(), F_OK))
			return 0;
		usleep(50000);
	}
	return -ENOENT;
}

/*
 * The device under test streams the pattern byte-exact: configure 4 x 64
 * KiB on @fd, map, start, check what arrives, stop. For tests that include
 * kselftest_harness.h before this header.
 */
#define ASSERT_STREAMS_ON(fd) do {					\
	struct fpgacap_config _cfg;					\
	struct fpgacap_buffer _b[4];					\
	uint8_t *_p;							\
	int _n, _i;							\
									\
	ASSERT_EQ(0, configure(fd, 4, 64 * KiB, 0, 0, &_cfg));		\
	_p = map_pool(fd, _cfg.mmap_size);				\
	ASSERT_NE(NULL, _p);						\
	ASSERT_EQ(0, xioctl(fd, FPGACAP_IOC_START, NULL));		\
	_n = dequeue(fd, _b, 4, 5000000000LL);				\
	ASSERT_LT(0, _n);						\
	for (_i = 0; _i < _n; _i++)					\
		EXPECT_EQ(-1, check_pattern(_p + _b[_i].index * 64 * KiB, \
					    _b[_i].bytes_used,		\
					    _b[_i].offset));		\
	EXPECT_EQ(0, give_back_bufs(fd, _b, _n));			\
	EXPECT_EQ(0, xioctl(fd, FPGACAP_IOC_STOP, NULL));		\
	munmap(_p, _cfg.mmap_size);					\
} while (0)

/*
 * The host sink (tests/run-guest.sh): FPGACAP_SINK=host:port names it.
 * Connect to @port there (0: the port FPGACAP_SINK names); fd, -ENOENT if
 * there is no sink, or -errno.
 */
static inline int sink_connect(int port)
{
	const char *s = getenv("FPGACAP_SINK");
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *colon;
	char host[64];
	int fd;

	if (!s || !(colon = strchr(s, ':')) || colon - s >= 63)
		return -ENOENT;
	memcpy(host, s, colon - s);
	host[colon - s] = 0;
	sa.sin_port = htons(port ? port : atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * Half-close and read the sink's "FPGACAP-VERDICT {json}" line into @buf.
 * 1 if the stream arrived intact, 0 if not, -errno if no verdict came.
 */
static inline int sink_verdict(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	shutdown(fd, SHUT_WR);
	while (got + 1 < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 180000) <= 0)
			return -ETIMEDOUT;
		n = read(fd, buf + got, len - 1 - got);
		if (n <= 0)
			break;
		got += n;
	}
	buf[got] = 0;
	if (!strstr(buf, "FPGACAP-VERDICT"))
		return -EPROTO;
	return strstr(buf, "\"ok\":true") != NULL;
}

/*
 * The 6.1 harness runs the test body even when FIXTURE_SETUP skipped:
 * tests of fixtures that may skip start with this. Harnesses with
 * FIXTURE_TEARDOWN_PARENT (6.12 and 7.x among Debian's) end the test
 * when its setup skips, and keep no skip flag.
 */
#ifdef FIXTURE_TEARDOWN_PARENT
#define RETURN_IF_SKIPPED() do { } while (0)
#else
#define RETURN_IF_SKIPPED() do { if (_metadata->skip) return; } while (0)
#endif

#endif /* FPGACAP_TEST_H */
