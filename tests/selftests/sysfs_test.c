// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/class/fpgacap/<dev>/ tells the same story as FPGACAP_IOC_STATS and
 * INFO, for monitoring without opening the device; stall_timeout_ms takes
 * numbers only.
 */
#include "kselftest_harness.h"
#include "fpgacap_test.h"

static int attr(const char *name, char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/class/fpgacap/%s/%s", dev_name_of(),
		 name);
	return read_file(path, buf, len);
}

static unsigned long long attr_num(const char *name)
{
	char buf[64] = "";

	if (attr(name, buf, sizeof(buf)))
		return ~0ULL;
	return strtoull(buf, NULL, 0);
}

TEST(attributes_match_stats)
{
	static const char *const counters[] = {
		"buffers_filled", "bytes_filled", "drops", "bytes_dropped",
		"errors", "stalls", "dequeued", "returned",
	};
	struct fpgacap_config cfg;
	struct fpgacap_buffer b[4];
	struct fpgacap_stats st;
	struct fpgacap_info info;
	char buf[64];
	int fd, n;
	unsigned int i;

	fd = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, attr("state", buf, sizeof(buf)));
	EXPECT_STREQ("unconfigured\n", buf);
	ASSERT_EQ(0, attr("buffers", buf, sizeof(buf)));
	EXPECT_STREQ("0 0\n", buf);
	ASSERT_EQ(0, configure(fd, 4, 16 * KiB, 0, 0, &cfg));
	ASSERT_EQ(0, attr("buffers", buf, sizeof(buf)));
	EXPECT_STREQ("4 16384\n", buf);
	ASSERT_EQ(0, attr("state", buf, sizeof(buf)));
	EXPECT_STREQ("stopped\n", buf);
	ASSERT_EQ(0, attr("source", buf, sizeof(buf)));
	ASSERT_EQ(0, xioctl(fd, FPGACAP_IOC_INFO, &info));
	EXPECT_EQ(0, strncmp(buf, info.source_name, strlen(info.source_name)));
	EXPECT_EQ(info.pinned, attr_num("pinned_bytes"));
	EXPECT_EQ(64 * KiB, attr_num("pinned_bytes"));

	ASSERT_EQ(0, xioctl(fd, FPGACAP_IOC_START, NULL));
	ASSERT_EQ(0, attr("state", buf, sizeof(buf)));
	EXPECT_STREQ("streaming\n", buf);
	n = dequeue(fd, b, 4, 5000000000LL);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, give_back_bufs(fd, b, n));
	ASSERT_EQ(0, xioctl(fd, FPGACAP_IOC_STOP, NULL));
	ASSERT_EQ(0, get_stats(fd, &st));
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		const uint64_t *v = (const uint64_t *)&st + i;

		/* The eight counters open struct fpgacap_stats, in order. */
		EXPECT_EQ(*v, attr_num(counters[i])) TH_LOG("%s", counters[i]);
	}
	EXPECT_EQ(st.last_error, attr_num("last_error"));
	close(fd);
	/* The owner left: the pool is gone. */
	EXPECT_EQ(0, attr_num("pinned_bytes"));
	ASSERT_EQ(0, attr("state", buf, sizeof(buf)));
	EXPECT_STREQ("unconfigured\n", buf);
}

TEST(stall_timeout_takes_numbers)
{
	EXPECT_EQ(-EINVAL, set_dev_attr(dev_path(), "stall_timeout_ms", -1));
	EXPECT_EQ(0, set_dev_attr(dev_path(), "stall_timeout_ms", 1234));
	EXPECT_EQ(1234, attr_num("stall_timeout_ms"));
	/* 0 to one day; beyond, ERANGE, and the old value stays. */
	EXPECT_EQ(0, set_dev_attr(dev_path(), "stall_timeout_ms", 86400000));
	EXPECT_EQ(86400000, attr_num("stall_timeout_ms"));
	EXPECT_EQ(-ERANGE, set_dev_attr(dev_path(), "stall_timeout_ms",
					86400001));
	EXPECT_EQ(-ERANGE, set_dev_attr(dev_path(), "stall_timeout_ms",
					4294967296LL));
	EXPECT_EQ(86400000, attr_num("stall_timeout_ms"));
	EXPECT_EQ(0, set_dev_attr(dev_path(), "stall_timeout_ms", 2000));
}

TEST_HARNESS_MAIN
