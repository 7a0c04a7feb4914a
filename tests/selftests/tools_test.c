// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tools as a user runs them on the board: each long-running one
 * (fpgacap-stream, fpgacap-sink, fpgacap-ctl watch, fpgacap-bench) is
 * started, then sent SIGINT or SIGTERM, and must exit within a second with
 * its summary. Also: -t stops a stream by itself, a second streaming
 * program is told the device is busy, and fpgacap-ctl reads a device that
 * another program streams from.
 *
 * Environment: FPGACAP_DEV (the pattern device), FPGACAP_SINK (the host
 * sink; port 5556 of it only counts). The tools are in PATH.
 */
#include <stdbool.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"
#include "../../userspace/tests/spawn.h"

/*
 * Wait until the device is in @state (a streaming program got there):
 * STATS works on a file that does not own the stream.
 */
static bool wait_state(uint32_t state, int timeout_ms)
{
	uint64_t end = spawn_now_ms() + (uint64_t)timeout_ms;
	int fd = open(dev_path(), O_RDONLY | O_CLOEXEC);
	bool ok = false;

	if (fd < 0)
		return false;
	do {
		struct fpgacap_stats st;

		if (!get_stats(fd, &st) && st.state == state) {
			ok = true;
			break;
		}
		usleep(10000);
	} while (spawn_now_ms() < end);
	close(fd);
	return ok;
}

/*
 * Wait until the streaming program has returned @n buffers: it is in its
 * loop, past setup (on one emulated CPU the source's first fills can keep
 * it from getting there for a while).
 */
static bool wait_returned(uint64_t n, int timeout_ms)
{
	uint64_t end = spawn_now_ms() + (uint64_t)timeout_ms;
	int fd = open(dev_path(), O_RDONLY | O_CLOEXEC);
	bool ok = false;

	if (fd < 0)
		return false;
	do {
		struct fpgacap_stats st;

		if (!get_stats(fd, &st) && st.state == FPGACAP_STATE_STREAMING &&
		    st.returned >= n) {
			ok = true;
			break;
		}
		usleep(10000);
	} while (spawn_now_ms() < end);
	close(fd);
	return ok;
}

/* The child exited by itself (not killed) with @code. */
#define EXPECT_EXIT(code, c) do { \
	EXPECT_TRUE(WIFEXITED((c)->status)) OUTPUT(c); \
	EXPECT_EQ(code, WIFEXITED((c)->status) ? \
		  WEXITSTATUS((c)->status) : -1) OUTPUT(c); \
} while (0)

/* Report @c's output when a check fails. */
#define OUTPUT(c) TH_LOG("stdout: %s\nstderr: %s", (c)->outbuf, (c)->errbuf)

/*
 * Send the variant's signal to @c: it must exit by itself within a second,
 * with status 0 and a summary that names the signal.
 */
#define EXPECT_STOPS(c) do { \
	int64_t ms = child_stop(c, variant->sig, 10000); \
	ASSERT_LE(0, ms) OUTPUT(c); \
	EXPECT_GT(1000, ms) OUTPUT(c); \
	EXPECT_EXIT(0, c); \
	EXPECT_NE(NULL, strstr((c)->outbuf, variant->says)) OUTPUT(c); \
} while (0)

/* Where a stream goes: the host's counting sink, else /dev/null. */
static void destination(char *buf, size_t len, const char **file)
{
	const char *s = getenv("FPGACAP_SINK");
	const char *colon = s ? strrchr(s, ':') : NULL;

	*file = NULL;
	if (colon) {
		snprintf(buf, len, "%.*s:5556", (int)(colon - s), s);
	} else {
		snprintf(buf, len, "/dev/null");
		*file = buf;
	}
}

/* Start `fpgacap-stream` on the device with @extra, to a destination. */
static int start_stream(struct child *c, const char *extra1,
			const char *extra2)
{
	static char dest[128];
	const char *file;
	char *argv[16];
	int n = 0;

	destination(dest, sizeof(dest), &file);
	argv[n++] = "fpgacap-stream";
	argv[n++] = "-d";
	argv[n++] = (char *)dev_path();
	argv[n++] = "-c";
	argv[n++] = "4";
	argv[n++] = "-s";
	argv[n++] = "64K";
	argv[n++] = "-i";
	argv[n++] = "0.2";
	if (extra1)
		argv[n++] = (char *)extra1;
	if (extra2)
		argv[n++] = (char *)extra2;
	if (file)
		argv[n++] = "--file";
	argv[n++] = dest;
	argv[n] = NULL;
	return child_start(c, argv);
}

FIXTURE(stop) {
	struct child c;
};

FIXTURE_VARIANT(stop) {
	int sig;
	bool json;
	const char *says;
};

FIXTURE_VARIANT_ADD(stop, sigint) {
	.sig = SIGINT, .says = "stopped by SIGINT" };
FIXTURE_VARIANT_ADD(stop, sigterm_json) {
	.sig = SIGTERM, .json = true, .says = "\"stopped_by\":\"SIGTERM\"" };

FIXTURE_SETUP(stop)
{
}

FIXTURE_TEARDOWN(stop)
{
}

TEST_F_TIMEOUT(stop, stream, 120)
{
	ASSERT_EQ(0, start_stream(&self->c, variant->json ? "--json" : "-q",
				  NULL));
	ASSERT_TRUE(child_ready(&self->c, 30000)) OUTPUT(&self->c);
	ASSERT_TRUE(wait_returned(8, 60000)) OUTPUT(&self->c);
	/* An interval went by (JSON keeps them for the end: wait as long). */
	if (variant->json) {
		usleep(1000000);
	} else {
		ASSERT_TRUE(child_expect(&self->c, "MB/s", 30000))
			OUTPUT(&self->c);
	}
	EXPECT_STOPS(&self->c);
	if (variant->json) {
		EXPECT_NE(NULL, strstr(self->c.outbuf, "\"intervals\":[{"))
			OUTPUT(&self->c);
		/* Over TCP: retransmits from TCP_INFO, at the end too. */
		if (getenv("FPGACAP_SINK"))
			EXPECT_NE(NULL, strstr(self->c.outbuf,
					       "\"retransmits\":"))
				OUTPUT(&self->c);
	} else {
		EXPECT_NE(NULL, strstr(self->c.outbuf, "verdict: OK"))
			OUTPUT(&self->c);
	}
}

/* A sink on the board's loopback, a stream into it; stop the sink. */
TEST_F_TIMEOUT(stop, sink, 120)
{
	char portfile[64], port[16] = "", dest[64];
	struct child stream;
	int i;

	snprintf(portfile, sizeof(portfile), "/tmp/tools-sink.%d", getpid());
	unlink(portfile);
	{
		char *argv[] = { "fpgacap-sink", "-l", "127.0.0.1:0",
				 "--port-file", portfile, "-v", "framed", "-i",
				 "0.2", variant->json ? "--json" : "-q", NULL };

		ASSERT_EQ(0, child_start(&self->c, argv));
	}
	for (i = 0; i < 500 && !port[0]; i++) {
		FILE *f = fopen(portfile, "r");

		if (f) {
			if (!fgets(port, sizeof(port), f) || !strchr(port, '\n'))
				port[0] = 0;
			fclose(f);
		}
		usleep(20000);
	}
	ASSERT_NE(0, port[0]);
	*strchr(port, '\n') = 0;
	snprintf(dest, sizeof(dest), "127.0.0.1:%s", port);
	{
		char *argv[] = { "fpgacap-stream", "-d", (char *)dev_path(),
				 "-c", "4", "-s", "64K", "-m", "copy", "-f", "-q",
				 dest, NULL };

		ASSERT_EQ(0, child_start(&stream, argv));
	}
	/* The stream connected and runs, the sink reads. */
	ASSERT_TRUE(wait_returned(8, 60000)) OUTPUT(&stream);
	ASSERT_TRUE(child_ready(&self->c, 30000)) OUTPUT(&self->c);
	usleep(500000);
	/* What arrived was intact, and the sink says so. */
	EXPECT_STOPS(&self->c);
	/* The stream loses its peer: it ends on its own, with a summary. */
	ASSERT_EQ(0, child_wait(&stream, 20000)) OUTPUT(&stream);
	EXPECT_EXIT(1, &stream);
	EXPECT_NE(NULL, strstr(stream.outbuf, "verdict: FAILED")) OUTPUT(&stream);
	unlink(portfile);
}

TEST_F_TIMEOUT(stop, ctl_watch, 120)
{
	char *argv[] = { "fpgacap-ctl", "-d", (char *)dev_path(), "-i", "0.2",
			 variant->json ? "--json" : "watch",
			 variant->json ? "watch" : NULL, NULL };

	ASSERT_EQ(0, child_start(&self->c, argv));
	ASSERT_TRUE(child_ready(&self->c, 30000)) OUTPUT(&self->c);
	/* Watching: the start of its report is out. */
	ASSERT_TRUE(child_expect(&self->c, variant->json ? "\"intervals\":[" :
				 "pinned memory", 30000)) OUTPUT(&self->c);
	usleep(300000);
	EXPECT_STOPS(&self->c);
}

TEST_F_TIMEOUT(stop, bench_capture, 120)
{
	char *argv[] = { "fpgacap-bench", "-d", (char *)dev_path(), "-m",
			 "capture", "-c", "4", "-s", "64K", "-t", "100", "-q",
			 variant->json ? "--json" : NULL, NULL };

	ASSERT_EQ(0, child_start(&self->c, argv));
	ASSERT_TRUE(child_ready(&self->c, 30000)) OUTPUT(&self->c);
	ASSERT_TRUE(wait_returned(8, 60000)) OUTPUT(&self->c);
	usleep(300000);
	EXPECT_STOPS(&self->c);
	/* The run so far is reported, marked as cut short. */
	EXPECT_NE(NULL, strstr(self->c.outbuf, variant->json ?
			       "\"interrupted\":true" : "capture"))
		OUTPUT(&self->c);
}

/* The hand-off micro-benchmark spins while the ring fills: a stop ends it. */
TEST_F_TIMEOUT(stop, bench_handoff, 120)
{
	char *argv[] = { "fpgacap-bench", "-d", (char *)dev_path(),
			 "--handoff", "-q", variant->json ? "--json" : NULL,
			 NULL };

	ASSERT_EQ(0, child_start(&self->c, argv));
	ASSERT_TRUE(child_ready(&self->c, 30000)) OUTPUT(&self->c);
	/* In its rounds: the ring is configured. */
	ASSERT_TRUE(wait_state(FPGACAP_STATE_STREAMING, 30000) ||
		    wait_state(FPGACAP_STATE_STOPPED, 1000)) OUTPUT(&self->c);
	EXPECT_STOPS(&self->c);
}

/* A mode that fails (nothing listens there) makes the bench exit 1, after
 * the others ran. */
TEST_F_TIMEOUT(stop, bench_failed_mode, 120)
{
	char *argv[] = { "fpgacap-bench", "-d", (char *)dev_path(), "-m",
			 "capture", "-m", "copy", "-c", "4", "-s", "64K", "-t",
			 "0.5", "-q", variant->json ? "--json" : "127.0.0.1:1",
			 variant->json ? "127.0.0.1:1" : NULL, NULL };

	EXPECT_EQ(1, child_run(&self->c, argv, 60000)) OUTPUT(&self->c);
	EXPECT_NE(NULL, strstr(self->c.outbuf, variant->json ?
			       "\"failed\":1" : "1 failed")) OUTPUT(&self->c);
}

/* -t ends a stream by itself, with its summary. */
TEST_F_TIMEOUT(stop, stream_time_limit, 120)
{
	ASSERT_EQ(0, start_stream(&self->c, "-t", "1"));
	ASSERT_EQ(0, child_wait(&self->c, 60000)) OUTPUT(&self->c);
	EXPECT_EXIT(0, &self->c);
	EXPECT_NE(NULL, strstr(self->c.outbuf, "stopped by its time (-t)"))
		OUTPUT(&self->c);
}

/* While one program streams: a second is told the device is busy, and
 * fpgacap-ctl still reads it. */
TEST_F_TIMEOUT(stop, busy_and_info, 120)
{
	struct child other;

	ASSERT_EQ(0, start_stream(&self->c, "-q", NULL));
	ASSERT_TRUE(child_expect(&self->c, "MB/s", 30000)) OUTPUT(&self->c);
	{
		char *argv[] = { "fpgacap-stream", "-d", (char *)dev_path(),
				 "--file", "/dev/null", NULL };

		EXPECT_EQ(1, child_run(&other, argv, 30000)) OUTPUT(&other);
		EXPECT_NE(NULL, strstr(other.errbuf, "another program"))
			OUTPUT(&other);
	}
	{
		char *argv[] = { "fpgacap-ctl", "-d", (char *)dev_path(), "info",
				 NULL };

		EXPECT_EQ(0, child_run(&other, argv, 30000)) OUTPUT(&other);
		EXPECT_NE(NULL, strstr(other.outbuf, "streaming"))
			OUTPUT(&other);
	}
	ASSERT_LE(0, child_stop(&self->c, variant->sig, 10000));
}

/*
 * One version: the loaded module's (MODULE_VERSION, from the VERSION
 * file) is the tools' (--version); fpgacap-ctl list shows every device
 * and marks none the default when there are several; without -d a tool
 * names the devices there are.
 */
TEST(one_version_and_the_devices)
{
	char version[64], *p;
	struct child c;

	{
		char *argv[] = { "fpgacap-ctl", "--version", NULL };

		ASSERT_EQ(0, child_run(&c, argv, 10000)) OUTPUT(&c);
		ASSERT_EQ(1, sscanf(c.outbuf, "fpgacap-ctl (fpgacap) %63s", version))
			OUTPUT(&c);
	}
	{
		char *argv[] = { "fpgacap-ctl", "-d", (char *)dev_path(), "info",
				 NULL };
		char want[96];

		ASSERT_EQ(0, child_run(&c, argv, 10000)) OUTPUT(&c);
		snprintf(want, sizeof(want), "module %s,", version);
		EXPECT_NE(NULL, strstr(c.outbuf, want)) OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.outbuf, dev_path())) OUTPUT(&c);
	}
	{
		char *argv[] = { "fpgacap-ctl", "list", NULL };

		ASSERT_EQ(0, child_run(&c, argv, 10000)) OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.outbuf, dev_path())) OUTPUT(&c);
	}
	/* The guests have several devices and no udev: a tool without -d
	 * says which there are. */
	if (access("/dev/fpgacap", F_OK) && strstr(c.outbuf, "several")) {
		char *argv[] = { "fpgacap-ctl", "info", NULL };

		EXPECT_EQ(1, child_run(&c, argv, 10000)) OUTPUT(&c);
		p = strstr(c.errbuf, "several devices: ");
		EXPECT_NE(NULL, p) OUTPUT(&c);
		EXPECT_NE(NULL, strstr(c.errbuf, dev_path())) OUTPUT(&c);
	}
}

TEST_HARNESS_MAIN
