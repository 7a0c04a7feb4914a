// SPDX-License-Identifier: GPL-2.0-only
/*
 * How long interrupts stay off while each source streams, from the
 * kernel's irqsoff tracer (the zynq-irqsoff target; skipped elsewhere):
 * the longest section and where it started and ended. fpgacap does no
 * per-buffer work with interrupts off, so a longest section inside
 * fpgacap's own code must be short.
 */
#include "kselftest_harness.h"
#include "fpgacap_test.h"

#define TRACING "/sys/kernel/debug/tracing/"

static const char *const devices[] = {
	NULL,			/* the pattern device, FPGACAP_DEV */
	"/dev/fpgacap-memcpy",
	"/dev/fpgacap-slave",
};

/* Stream @dev for about @ns: dequeue and return as fast as it comes. */
static int stream_for(const char *dev, uint64_t ns)
{
	struct fpgacap_config cfg;
	struct fpgacap_buffer b[8];
	uint64_t end;
	int fd, n, ret = 0;

	fd = open(dev, O_RDONLY);
	if (fd < 0)
		return -errno;
	if (configure(fd, 8, 64 * KiB, 0, 0, &cfg) ||
	    xioctl(fd, FPGACAP_IOC_START, NULL)) {
		close(fd);
		return -EIO;
	}
	for (end = now_ns() + ns; now_ns() < end;) {
		n = dequeue(fd, b, 8, 1000000000LL);
		if (n < 0) {
			ret = n;
			break;
		}
		give_back_bufs(fd, b, n);
	}
	close(fd);
	return ret;
}

/* The trace's "=> started at:" or "=> ended at:" line's function. */
static void trace_line(const char *trace, const char *key, char *out,
		       size_t len)
{
	const char *p = strstr(trace, key);
	size_t n = 0;

	out[0] = 0;
	if (!p)
		return;
	p += strlen(key);
	while (*p == ' ')
		p++;
	while (p[n] && p[n] != '\n' && n + 1 < len)
		n++;
	memcpy(out, p, n);
	out[n] = 0;
}

/*
 * Without the function tracer, the trace ends with the stack where the
 * section ended, a "=> " line per frame; with sym-offset a module's
 * symbols carry its name in brackets: how many
 * of those frames are fpgacap's (it ended inside fpgacap's call chain).
 */
static unsigned int count_fpgacap_calls(const char *trace)
{
	unsigned int n = 0;
	const char *p;

	for (p = trace; (p = strstr(p, "[fpgacap]")); p++)
		n++;
	return n;
}

/* The frames where the section ended, as the tracer recorded them. */
static void log_stack(struct __test_metadata *_metadata, const char *trace)
{
	const char *p = trace;

	while ((p = strstr(p, "\n => "))) {
		int n;

		p += 5;
		n = strcspn(p, "\n");
		TH_LOG("  at %.*s", n, p);
	}
}

TEST(longest_irqs_off_section)
{
	static char trace[65536];
	char tracers[512], lat[32], start[128], end[128];
	unsigned int i, inside, measured = 0;

	if (read_file(TRACING "available_tracers", tracers, sizeof(tracers)) ||
	    !strstr(tracers, "irqsoff"))
		SKIP(return, "kernel without the irqsoff tracer");
	for (i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		const char *dev = devices[i] ? devices[i] : dev_path();
		unsigned long us;
		ssize_t n;
		int fd;

		if (access(dev, F_OK))
			continue;
		ASSERT_EQ(0, write_file(TRACING "current_tracer", "irqsoff"));
		/* Symbols with offsets are the ones that name their module. */
		ASSERT_EQ(0, write_file(TRACING "options/sym-offset", "1"));
		ASSERT_EQ(0, write_file(TRACING "tracing_max_latency", "0"));
		ASSERT_EQ(0, write_file(TRACING "tracing_on", "1"));
		EXPECT_EQ(0, stream_for(dev, 3000000000ULL)) TH_LOG("%s", dev);
		ASSERT_EQ(0, write_file(TRACING "tracing_on", "0"));
		ASSERT_EQ(0, read_file(TRACING "tracing_max_latency", lat,
				       sizeof(lat)));
		fd = open(TRACING "trace", O_RDONLY);
		ASSERT_LE(0, fd);
		n = read(fd, trace, sizeof(trace) - 1);
		trace[n > 0 ? n : 0] = 0;
		close(fd);
		trace_line(trace, "=> started at:", start, sizeof(start));
		trace_line(trace, "=> ended at:", end, sizeof(end));
		write_file(TRACING "current_tracer", "nop");
		/* A bare name would hide a module's: the check needs offsets. */
		EXPECT_NE(NULL, strstr(start, "+0x")) TH_LOG("%s", start);
		us = strtoul(lat, NULL, 10);
		inside = count_fpgacap_calls(trace);
		TH_LOG("%s: longest irqs-off section %lu us, from %s to %s; %u fpgacap frames where it ended",
		       dev, us, start, end, inside);
		log_stack(_metadata, trace);
		/* Where fpgacap holds interrupts off, it does so briefly. */
		if (strstr(start, "[fpgacap]") || inside)
			EXPECT_GT(200, us);
		measured++;
	}
	EXPECT_LT(0, measured);
}

TEST_HARNESS_MAIN
