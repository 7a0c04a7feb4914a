// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tools as a user runs them, where no device is needed: fpgacap-sink
 * over IPv6, IPv4 and a host name, its verdicts, its summary on SIGINT and
 * SIGTERM within a second; every tool's --help and its refusal of bad
 * numbers; fpgacap-stream leaving an output file alone when the device
 * cannot be opened. The binaries come from $FPGACAP_BIN.
 */
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "host_test.h"
#include "cli.h"
#include "spawn.h"

/* Start a sink on @listen with a port file; its port in *port. */
static int start_sink(struct child *c, const char *listen, const char *verify,
		      const char *portfile, char *port, size_t len,
		      const char *extra)
{
	char *argv[] = { "fpgacap-sink", "-l", (char *)listen, "-v",
			 (char *)verify, "--port-file", (char *)portfile, "-q",
			 (char *)extra, NULL };
	int i;

	unlink(portfile);
	if (child_start(c, argv))
		return -1;
	for (i = 0; i < 300; i++) {
		FILE *f = fopen(portfile, "r");

		if (f) {
			bool ok = fgets(port, (int)len, f) != NULL;

			fclose(f);
			if (ok && strchr(port, '\n')) {
				*strchr(port, '\n') = 0;
				return 0;
			}
		}
		usleep(10000);
	}
	return -1;
}

/* Send @n framed pattern buffers of @len bytes through the library. */
static int send_framed(int fd, unsigned int n, size_t len)
{
	struct fpgacap_sender_opts o = { .size = sizeof(o), .fd = fd,
					 .mode = FPGACAP_SEND_COPY };
	struct fpgacap_sender *s;
	uint8_t *buf = malloc(len);
	unsigned int i;
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = fpgacap_sender_create(&o, &s);
	for (i = 0; i < n && !ret; i++) {
		struct fpgacap_buffer b = { .sequence = i, .offset = i * len,
					    .bytes_used = len };
		struct fpgacap_frame f;
		struct iovec v[2] = {
			{ .iov_base = &f, .iov_len = sizeof(f) },
			{ .iov_base = buf, .iov_len = len },
		};

		fill_pattern(buf, len, i * len);
		fpgacap_frame_encode(&f, &b);
		ret = fpgacap_sender_send(s, v, 2, i);
	}
	if (!ret)
		ret = fpgacap_sender_flush(s, 5000);
	fpgacap_sender_destroy(s);
	free(buf);
	return ret;
}

/* Half-close and read the verdict line. */
static void verdict(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	shutdown(fd, SHUT_WR);
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = 0;
}

FIXTURE(sink) {
	struct child c;
	char portfile[64], port[16], addr[80], err[200];
};

FIXTURE_VARIANT(sink) {
	const char *listen, *connect_host;
};

FIXTURE_VARIANT_ADD(sink, ipv4) {
	.listen = "127.0.0.1:0", .connect_host = "127.0.0.1" };
FIXTURE_VARIANT_ADD(sink, ipv6) {
	.listen = "[::1]:0", .connect_host = "[::1]" };
FIXTURE_VARIANT_ADD(sink, name) {
	.listen = "localhost:0", .connect_host = "localhost" };
FIXTURE_VARIANT_ADD(sink, wildcard) {
	.listen = "*:0", .connect_host = "127.0.0.1" };

FIXTURE_SETUP(sink)
{
	snprintf(self->portfile, sizeof(self->portfile), "/tmp/fc-sink.%d",
		 getpid());
}

FIXTURE_TEARDOWN(sink)
{
	unlink(self->portfile);
}

TEST_F(sink, intact_then_empty)
{
	char v[1200];
	int fd;

	ASSERT_EQ(0, start_sink(&self->c, variant->listen, "auto",
				self->portfile, self->port,
				sizeof(self->port), "-n2"));
	snprintf(self->addr, sizeof(self->addr), "%s:%s",
		 variant->connect_host, self->port);
	fd = cli_connect(self->addr, self->err, sizeof(self->err));
	ASSERT_LE(0, fd) TH_LOG("%s", self->err);
	ASSERT_EQ(0, send_framed(fd, 20, 65536));
	verdict(fd, v, sizeof(v));
	close(fd);
	EXPECT_NE(NULL, strstr(v, "FPGACAP-VERDICT {")) TH_LOG("%s", v);
	EXPECT_NE(NULL, strstr(v, "\"ok\":true")) TH_LOG("%s", v);
	EXPECT_NE(NULL, strstr(v, "\"frames\":20")) TH_LOG("%s", v);
	/* A connection that carries nothing: not a pass. */
	fd = cli_connect(self->addr, self->err, sizeof(self->err));
	ASSERT_LE(0, fd) TH_LOG("%s", self->err);
	verdict(fd, v, sizeof(v));
	close(fd);
	EXPECT_NE(NULL, strstr(v, "\"ok\":false")) TH_LOG("%s", v);
	EXPECT_NE(NULL, strstr(v, "\"empty\":true")) TH_LOG("%s", v);
	ASSERT_EQ(0, child_wait(&self->c, 5000));
	EXPECT_EQ(1, WEXITSTATUS(self->c.status));
	EXPECT_NE(NULL, strstr(self->c.outbuf, "intact"))
		TH_LOG("%s", self->c.outbuf);
	EXPECT_NE(NULL, strstr(self->c.outbuf, "FAILED"));
}

/* A signal mid-connection: that connection's summary, then the total. */
TEST_F(sink, sigint_mid_stream)
{
	int64_t ms;
	int fd;

	ASSERT_EQ(0, start_sink(&self->c, variant->listen, "framed",
				self->portfile, self->port,
				sizeof(self->port), "-i0.2"));
	snprintf(self->addr, sizeof(self->addr), "%s:%s",
		 variant->connect_host, self->port);
	fd = cli_connect(self->addr, self->err, sizeof(self->err));
	ASSERT_LE(0, fd) TH_LOG("%s", self->err);
	ASSERT_EQ(0, send_framed(fd, 4, 65536));
	/* An interval report shows it is reading. */
	EXPECT_TRUE(child_expect(&self->c, "MB/s", 3000));
	ms = child_stop(&self->c, SIGINT, 3000);
	close(fd);
	ASSERT_LE(0, ms);
	EXPECT_GT(1000, ms);
	EXPECT_NE(NULL, strstr(self->c.outbuf, "stopped by SIGINT"))
		TH_LOG("%s", self->c.outbuf);
	EXPECT_NE(NULL, strstr(self->c.outbuf, "262144 payload bytes"))
		TH_LOG("%s", self->c.outbuf);
	/* What arrived was intact: stopping is no failure. */
	EXPECT_EQ(0, WEXITSTATUS(self->c.status)) TH_LOG("%s",
							 self->c.outbuf);
}

TEST_F(sink, sigterm_idle)
{
	int64_t ms;

	ASSERT_EQ(0, start_sink(&self->c, variant->listen, "none",
				self->portfile, self->port,
				sizeof(self->port), "--json"));
	usleep(100000);
	ms = child_stop(&self->c, SIGTERM, 3000);
	ASSERT_LE(0, ms);
	EXPECT_GT(1000, ms);
	EXPECT_NE(NULL, strstr(self->c.outbuf,
			       "{\"stopped_by\":\"SIGTERM\",\"connections\":0"))
		TH_LOG("%s", self->c.outbuf);
	EXPECT_EQ(0, WEXITSTATUS(self->c.status));
}

/* --output gets every byte, JSON has start, intervals and end. */
TEST(sink_output_and_json)
{
	char portfile[64], port[16], addr[64], err[200], out[64];
	struct child c;
	struct stat st;
	char v[1200];
	int fd;

	snprintf(portfile, sizeof(portfile), "/tmp/fc-sinkj.%d", getpid());
	snprintf(out, sizeof(out), "/tmp/fc-sinko.%d", getpid());
	unlink(out);
	{
		char *argv[] = { "fpgacap-sink", "-l", "127.0.0.1:0",
				 "--port-file", portfile, "-n", "1", "-o", out,
				 "--json", "-i", "0.1", "-v", "framed", NULL };
		int i;

		unlink(portfile);
		ASSERT_EQ(0, child_start(&c, argv));
		for (i = 0; i < 300 && access(portfile, R_OK); i++)
			usleep(10000);
		usleep(20000);
		FILE *f = fopen(portfile, "r");

		ASSERT_NE(NULL, f);
		ASSERT_NE(NULL, fgets(port, sizeof(port), f));
		fclose(f);
		*strchrnul(port, '\n') = 0;
	}
	snprintf(addr, sizeof(addr), "127.0.0.1:%s", port);
	fd = cli_connect(addr, err, sizeof(err));
	ASSERT_LE(0, fd) TH_LOG("%s", err);
	ASSERT_EQ(0, send_framed(fd, 8, 4096));
	usleep(300000);
	verdict(fd, v, sizeof(v));
	close(fd);
	ASSERT_EQ(0, child_wait(&c, 5000));
	EXPECT_EQ(0, WEXITSTATUS(c.status)) TH_LOG("%s %s", c.outbuf,
						   c.errbuf);
	ASSERT_EQ(0, stat(out, &st));
	EXPECT_EQ(8 * (4096 + sizeof(struct fpgacap_frame)), st.st_size);
	EXPECT_EQ(0, strncmp(c.outbuf, "{\"start\":{\"tool\":\"fpgacap-sink\"",
			     31)) TH_LOG("%s", c.outbuf);
	EXPECT_NE(NULL, strstr(c.outbuf, "\"intervals\":[{\"start\":"))
		TH_LOG("%s", c.outbuf);
	EXPECT_NE(NULL, strstr(c.outbuf, "\"end\":{\"bytes\":"));
	unlink(out);
	unlink(portfile);
}

/* ---- every tool: --help, and bad numbers refused with a reason ---- */

struct bad_arg {
	const char *argv[8];
	const char *says;
};

TEST(help_and_bad_numbers)
{
	static const char *const tools[] = {
		"fpgacap-stream", "fpgacap-sink", "fpgacap-ctl",
		"fpgacap-bench",
	};
	static const struct bad_arg bad[] = {
		{ { "fpgacap-stream", "--count", "-1", "h:1" },
		  "--count '-1': not a number" },
		{ { "fpgacap-stream", "-s", "nan", "h:1" },
		  "-s" },
		{ { "fpgacap-stream", "--size", "64KX", "h:1" },
		  "--size '64KX': not a number" },
		{ { "fpgacap-stream", "-t", "-5", "h:1" }, "--time '-5'" },
		{ { "fpgacap-stream", "-b", "99999999999999999999", "h:1" },
		  "out of range" },
		{ { "fpgacap-stream", "-m", "fast", "h:1" }, "--mode 'fast'" },
		{ { "fpgacap-stream" }, "HOST:PORT" },
		{ { "fpgacap-stream", "--udp", "--slot", "1470", "h:1" },
		  "--slot '1470': a multiple of 8" },
		{ { "fpgacap-stream", "--slot", "1472", "h:1" },
		  "--slot is for --udp" },
		{ { "fpgacap-stream", "--udp", "--records", "h:1" },
		  "need --slot" },
		{ { "fpgacap-stream", "-u", "--slot", "1472", "--slot-header",
		    "1472", "h:1" }, "--slot-header '1472': out of range" },
		{ { "fpgacap-stream", "-u", "--slot", "64", "--slot-header",
		    "64", "h:1" }, "below --slot" },
		{ { "fpgacap-sink", "-n", "-1" },
		  "--connections '-1': not a number" },
		{ { "fpgacap-sink", "--read-size", "0" }, "out of range" },
		{ { "fpgacap-sink", "-v", "maybe" }, "--verify 'maybe'" },
		{ { "fpgacap-ctl", "-i", "nan", "watch" }, "--interval 'nan'" },
		{ { "fpgacap-ctl", "configure", "4", "1M" }, "info, stats, watch" },
		{ { "fpgacap-bench", "-c", "1e3" }, "--count '1e3'" },
		{ { "fpgacap-bench", "--sweep", "16K,x" }, "--sweep 'x'" },
		{ { "fpgacap-bench", "-t", "inf" }, "--time 'inf'" },
	};
	struct child c;
	unsigned int i;

	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		char *argv[] = { (char *)tools[i], "--help", NULL };

		EXPECT_EQ(0, child_run(&c, argv, 5000)) TH_LOG("%s", tools[i]);
		EXPECT_EQ(0, strncmp(c.outbuf, "usage: ", 7))
			TH_LOG("%s: %s", tools[i], c.outbuf);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(2, child_run(&c, (char *const *)bad[i].argv, 5000))
			TH_LOG("%s %s", bad[i].argv[0], bad[i].argv[1]);
		EXPECT_NE(NULL, strstr(c.errbuf, bad[i].says))
			TH_LOG("%s %s: '%s'", bad[i].argv[0], bad[i].argv[1],
			       c.errbuf);
	}
}

/*
 * Real data (not the pattern) under a mode that checks bytes fails, and
 * the sink says what would check it: --verify frames, framed on the
 * board. With it, the same frames pass.
 */
TEST(sink_hints_at_frames)
{
	struct fpgacap_buffer b = { .bytes_used = 4096 };
	static const char *const modes[] = { "auto", "frames" };
	char portfile[64], port[16], addr[80], err[200], v[1200];
	struct fpgacap_frame f;
	uint8_t data[4096];
	unsigned int i;
	struct child c;
	int fd;

	memset(data, 0xa5, sizeof(data));
	fpgacap_frame_encode(&f, &b);
	snprintf(portfile, sizeof(portfile), "/tmp/fc-hint.%d", getpid());
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, start_sink(&c, "127.0.0.1:0", modes[i], portfile,
					port, sizeof(port), "-n1"));
		snprintf(addr, sizeof(addr), "127.0.0.1:%s", port);
		fd = cli_connect(addr, err, sizeof(err));
		ASSERT_LE(0, fd) TH_LOG("%s", err);
		ASSERT_EQ(sizeof(f), write(fd, &f, sizeof(f)));
		ASSERT_EQ(sizeof(data), write(fd, data, sizeof(data)));
		verdict(fd, v, sizeof(v));
		close(fd);
		ASSERT_EQ(0, child_wait(&c, 5000));
		if (i == 0) {
			EXPECT_NE(NULL, strstr(v, "\"ok\":false")) TH_LOG("%s", v);
			EXPECT_NE(NULL, strstr(v, "\"hint\":\"")) TH_LOG("%s", v);
			EXPECT_NE(NULL, strstr(c.outbuf, "hint:"))
				TH_LOG("%s", c.outbuf);
			EXPECT_NE(NULL, strstr(c.outbuf, "--verify frames"));
			EXPECT_EQ(1, WEXITSTATUS(c.status));
		} else {
			EXPECT_NE(NULL, strstr(v, "\"ok\":true")) TH_LOG("%s", v);
			EXPECT_EQ(NULL, strstr(v, "hint"));
			EXPECT_EQ(0, WEXITSTATUS(c.status));
		}
	}
	unlink(portfile);
}

/* -o empties its file first, --append adds to it: in both tools alike. */
TEST(output_empties_append_adds)
{
	char portfile[64], port[16], addr[80], err[200], out[64], v[1200];
	struct child c;
	struct stat st;
	int fd, i;

	snprintf(portfile, sizeof(portfile), "/tmp/fc-out.%d", getpid());
	snprintf(out, sizeof(out), "/tmp/fc-out-data.%d", getpid());
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, write(fd, "old!\n", 5));
	close(fd);
	for (i = 0; i < 2; i++) {
		char *argv[] = { "fpgacap-sink", "-l", "127.0.0.1:0",
				 "--port-file", portfile, "-n1", "-q", "-o", out,
				 i ? "--append" : NULL, NULL };
		FILE *pf;

		unlink(portfile);
		ASSERT_EQ(0, child_start(&c, argv));
		for (pf = NULL; !pf; usleep(10000))
			pf = fopen(portfile, "r");
		usleep(50000);
		ASSERT_NE(NULL, fgets(port, sizeof(port), pf));
		fclose(pf);
		port[strcspn(port, "\n")] = 0;
		snprintf(addr, sizeof(addr), "127.0.0.1:%s", port);
		fd = cli_connect(addr, err, sizeof(err));
		ASSERT_LE(0, fd) TH_LOG("%s", err);
		ASSERT_EQ(3, write(fd, "abc", 3));
		verdict(fd, v, sizeof(v));
		close(fd);
		ASSERT_EQ(0, child_wait(&c, 5000));
		ASSERT_EQ(0, stat(out, &st));
		/* Emptied, then 3 bytes; then 3 more. */
		EXPECT_EQ(i ? 6 : 3, st.st_size);
	}
	unlink(out);
	unlink(portfile);
}

/* The output file is touched only once the device is ready. */
TEST(stream_file_after_device)
{
	char out[64];
	struct child c;
	int fd;

	snprintf(out, sizeof(out), "/tmp/fc-stream.%d", getpid());
	unlink(out);
	{
		char *argv[] = { "fpgacap-stream", "-d", "/nonexistent/fpgacap",
				 "--file", out, NULL };

		EXPECT_EQ(1, child_run(&c, argv, 5000));
		EXPECT_NE(NULL, strstr(c.errbuf, "/nonexistent/fpgacap"))
			TH_LOG("%s", c.errbuf);
		EXPECT_NE(0, access(out, F_OK));
	}
	/* An existing file keeps its bytes. */
	fd = open(out, O_WRONLY | O_CREAT, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, write(fd, "keep\n", 5));
	close(fd);
	{
		char *argv[] = { "fpgacap-stream", "-d", "/dev/null", "--file",
				 out, NULL };
		struct stat st;

		EXPECT_EQ(1, child_run(&c, argv, 5000));
		ASSERT_EQ(0, stat(out, &st));
		EXPECT_EQ(5, st.st_size);
	}
	unlink(out);
}

TEST_HARNESS_MAIN
