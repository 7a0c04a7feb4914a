// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tools' shared parsing and the library's latency histogram: what is
 * accepted, what is refused, and that percentiles cover every sample.
 */
#include <stdlib.h>

#include "kselftest_harness.h"
#include "cli.h"
#include "histogram.h"

TEST(numbers_accepted)
{
	uint64_t v;

	ASSERT_EQ(0, cli_parse_u64("4096", 0, 0, UINT64_MAX, &v));
	EXPECT_EQ(4096, v);
	ASSERT_EQ(0, cli_parse_u64("64K", CLI_SUFFIX, 0, UINT64_MAX, &v));
	EXPECT_EQ(65536, v);
	ASSERT_EQ(0, cli_parse_u64("1m", CLI_SUFFIX, 0, UINT64_MAX, &v));
	EXPECT_EQ(1 << 20, v);
	ASSERT_EQ(0, cli_parse_u64("3GiB", CLI_SUFFIX, 0, UINT64_MAX, &v));
	EXPECT_EQ(3ULL << 30, v);
	ASSERT_EQ(0, cli_parse_u64("2TB", CLI_SUFFIX, 0, UINT64_MAX, &v));
	EXPECT_EQ(2ULL << 40, v);
	ASSERT_EQ(0, cli_parse_u64("0x1000", 0, 0, UINT64_MAX, &v));
	EXPECT_EQ(4096, v);
	ASSERT_EQ(0, cli_parse_u64("18446744073709551615", 0, 0, UINT64_MAX,
				   &v));
	EXPECT_EQ(UINT64_MAX, v);
}

TEST(numbers_refused)
{
	static const char *const bad[] = {
		"-1", "+1", "nan", "inf", "1.5", "12abc", " 1", "1 ", "", "0x",
		"1e3", "K", "4KK", "64Kb1",
	};
	uint64_t v = 7;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, cli_parse_u64(bad[i], CLI_SUFFIX, 0,
						 UINT64_MAX, &v))
			TH_LOG("'%s' accepted", bad[i]);
	/* Suffixes only where sizes are asked for. */
	EXPECT_EQ(-EINVAL, cli_parse_u64("64K", 0, 0, UINT64_MAX, &v));
	EXPECT_EQ(-ERANGE, cli_parse_u64("18446744073709551616", 0, 0,
					 UINT64_MAX, &v));
	EXPECT_EQ(-ERANGE, cli_parse_u64("17179869184G", CLI_SUFFIX, 0,
					 UINT64_MAX, &v));
	EXPECT_EQ(-ERANGE, cli_parse_u64("0", 0, 1, 10, &v));
	EXPECT_EQ(-ERANGE, cli_parse_u64("11", 0, 1, 10, &v));
	EXPECT_EQ(7, v);	/* untouched on error */
}

TEST(seconds)
{
	static const char *const bad[] = {
		"-1", "nan", "inf", "1e3", "", ".", "1s", "0x10", "1..2",
	};
	unsigned int i;
	uint64_t ns;

	ASSERT_EQ(0, cli_parse_seconds("10", 100, &ns));
	EXPECT_EQ(10000000000ULL, ns);
	ASSERT_EQ(0, cli_parse_seconds("0.25", 100, &ns));
	EXPECT_EQ(250000000ULL, ns);
	ASSERT_EQ(0, cli_parse_seconds(".5", 100, &ns));
	EXPECT_EQ(500000000ULL, ns);
	ASSERT_EQ(0, cli_parse_seconds("100", 100, &ns));
	EXPECT_EQ(-ERANGE, cli_parse_seconds("100.1", 100, &ns));
	EXPECT_EQ(-ERANGE, cli_parse_seconds("99999999999999999999999", 100,
					     &ns));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, cli_parse_seconds(bad[i], 100, &ns))
			TH_LOG("'%s' accepted", bad[i]);
}

TEST(host_and_port)
{
	char h[64], p[16];

	ASSERT_EQ(0, cli_split_hostport("10.0.2.100:5555", h, sizeof(h), p,
					sizeof(p)));
	EXPECT_STREQ("10.0.2.100", h);
	EXPECT_STREQ("5555", p);
	ASSERT_EQ(0, cli_split_hostport("[::1]:80", h, sizeof(h), p,
					sizeof(p)));
	EXPECT_STREQ("::1", h);
	EXPECT_STREQ("80", p);
	ASSERT_EQ(0, cli_split_hostport("board.local:9", h, sizeof(h), p,
					sizeof(p)));
	EXPECT_STREQ("board.local", h);
	ASSERT_EQ(0, cli_split_hostport(":5555", h, sizeof(h), p, sizeof(p)));
	EXPECT_STREQ("", h);
	EXPECT_EQ(-EINVAL, cli_split_hostport("::1", h, sizeof(h), p,
					      sizeof(p)));
	EXPECT_EQ(-EINVAL, cli_split_hostport("host", h, sizeof(h), p,
					      sizeof(p)));
	EXPECT_EQ(-EINVAL, cli_split_hostport("host:", h, sizeof(h), p,
					      sizeof(p)));
	EXPECT_EQ(-EINVAL, cli_split_hostport("[::1]5555", h, sizeof(h), p,
					      sizeof(p)));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Every percentile within 1/64 of the exact nearest-rank value. */
TEST(histogram_accuracy)
{
	static struct histogram h;
	static uint64_t v[20000];
	const double pcts[] = { 1, 10, 50, 90, 99, 99.9 };
	unsigned int i;
	uint64_t x = 88172645463325252ULL;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v[i] = x % 50000000;	/* up to 50 ms */
		hist_add(&h, v[i]);
	}
	qsort(v, 20000, sizeof(v[0]), cmp_u64);
	for (i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		uint64_t exact = v[(size_t)(pcts[i] / 100 * 20000 + 0.999999) - 1];
		uint64_t got = hist_percentile(&h, pcts[i]);

		EXPECT_LE(exact, got);
		EXPECT_GE(exact + exact / 64 + 1, got)
			TH_LOG("p%.1f: %llu against %llu", pcts[i],
			       (unsigned long long)got,
			       (unsigned long long)exact);
	}
	EXPECT_EQ(v[0], hist_percentile(&h, 0));
	EXPECT_EQ(v[19999], hist_percentile(&h, 100));
	EXPECT_EQ(20000, h.count);
}

/* Old samples count as much as new ones (no ring of the last 4096). */
TEST(histogram_every_sample)
{
	static struct histogram h;
	unsigned int i;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < 8000; i++)
		hist_add(&h, i < 4000 ? 1000000 : 1000);
	/* Within 1/64 above the true value; the maximum is exact. */
	EXPECT_LE(1000, hist_percentile(&h, 50));
	EXPECT_GE(1000 + 1000 / 64, hist_percentile(&h, 50));
	EXPECT_EQ(1000000, hist_percentile(&h, 75));
	EXPECT_EQ(1000000, hist_percentile(&h, 99));
	/* Small values are exact, the largest too. */
	memset(&h, 0, sizeof(h));
	hist_add(&h, 3);
	hist_add(&h, UINT64_MAX);
	EXPECT_EQ(3, hist_percentile(&h, 50));
	EXPECT_EQ(UINT64_MAX, hist_percentile(&h, 99));
}

TEST_HARNESS_MAIN
