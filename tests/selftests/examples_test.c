// SPDX-License-Identifier: GPL-2.0-only
/*
 * The examples (examples/, in the guest as fpgacap-example-*) against the
 * driver: raw-uapi on the pattern device (every word checked) and on each
 * DMA device the target declares (sequence and offsets); capture-to-socket
 * streaming the pattern device to a receiver here that checks every byte
 * of every frame, to its limit and stopped by SIGINT; both cleanly refused
 * without a device.
 *
 * Environment: FPGACAP_DEV (the pattern device), FPGACAP_SOURCES (the
 * target's sources: pattern and the labels of /dev/fpgacap-LABEL).
 */
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"
#include "libfpgacap.h"
#include "../../userspace/tests/spawn.h"

TEST(raw_uapi_pattern)
{
	char *argv[] = { "fpgacap-example-raw-uapi", (char *)dev_path(), "64",
			 NULL };
	struct child c;

	ASSERT_EQ(0, child_run(&c, argv, 60000)) TH_LOG("%s%s", c.outbuf,
							 c.errbuf);
	EXPECT_NE(NULL, strstr(c.outbuf, "64 buffers, 4194304 bytes, every "
			       "word checked: ok")) TH_LOG("%s", c.outbuf);
}

/* Every DMA device of the target: what arrives runs on without a gap. */
TEST(raw_uapi_dma_devices)
{
	char list[256], *save, *s, path[96];
	const char *env = getenv("FPGACAP_SOURCES");
	struct child c;
	int n = 0;

	snprintf(list, sizeof(list), "%s", env ? env : "");
	for (s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		char *argv[] = { "fpgacap-example-raw-uapi", path, "32", NULL };

		if (!strcmp(s, "pattern"))
			continue;
		snprintf(path, sizeof(path), "/dev/fpgacap-%s", s);
		if (access(path, F_OK))
			continue;
		EXPECT_EQ(0, child_run(&c, argv, 120000))
			TH_LOG("%s: %s%s", path, c.outbuf, c.errbuf);
		EXPECT_NE(NULL, strstr(c.outbuf, "32 buffers")) TH_LOG("%s", c.outbuf);
		n++;
	}
	if (!n)
		SKIP(return, "no DMA device on this target");
}

struct receiver {
	int listen_fd;
	struct fpgacap_verify_stats st;
	int ret;
};

/* One connection, read to its end through the framed verifier. */
static void *receive(void *arg)
{
	struct receiver *r = arg;
	struct fpgacap_verifier *v;
	static char buf[1 << 16];
	int fd;
	ssize_t n;

	r->ret = fpgacap_verify_create(FPGACAP_VERIFY_FRAMED, &v);
	if (r->ret)
		return NULL;
	fd = accept(r->listen_fd, NULL, NULL);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		fpgacap_verify_feed(v, buf, (size_t)n);
	r->st.size = sizeof(r->st);
	fpgacap_verify_get_stats(v, &r->st);
	fpgacap_verify_destroy(v);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int start_receiver(struct receiver *r, pthread_t *t, char *port,
			  size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	memset(r, 0, sizeof(*r));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (r->listen_fd < 0 ||
	    bind(r->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(r->listen_fd, 1) ||
	    getsockname(r->listen_fd, (struct sockaddr *)&sa, &sl))
		return -1;
	snprintf(port, len, "%u", ntohs(sa.sin_port));
	return pthread_create(t, NULL, receive, r);
}

TEST(capture_to_socket_limit)
{
	struct receiver r;
	pthread_t t;
	char port[16];
	struct child c;

	ASSERT_EQ(0, start_receiver(&r, &t, port, sizeof(port)));
	{
		char *argv[] = { "fpgacap-example-capture-to-socket", "127.0.0.1",
				 port, "8", (char *)dev_path(), NULL };

		EXPECT_EQ(0, child_run(&c, argv, 120000)) TH_LOG("%s", c.errbuf);
	}
	pthread_join(t, NULL);
	close(r.listen_fd);
	ASSERT_EQ(0, r.ret);
	EXPECT_FALSE(r.st.error) TH_LOG("%llu data, %llu sequence errors",
		(unsigned long long)r.st.data_errors,
		(unsigned long long)r.st.sequence_errors);
	EXPECT_EQ(8 << 20, r.st.payload_bytes);
	EXPECT_NE(NULL, strstr(c.outbuf, "sent 8388608 bytes in 8 buffers"))
		TH_LOG("%s", c.outbuf);
}

TEST(capture_to_socket_sigint)
{
	struct receiver r;
	pthread_t t;
	char port[16];
	struct child c;

	ASSERT_EQ(0, start_receiver(&r, &t, port, sizeof(port)));
	{
		char *argv[] = { "fpgacap-example-capture-to-socket", "127.0.0.1",
				 port, "100000", (char *)dev_path(), NULL };

		ASSERT_EQ(0, child_start(&c, argv));
	}
	/* Streaming: the device is the example's. */
	usleep(1500000);
	kill(c.pid, SIGINT);
	ASSERT_EQ(0, child_wait(&c, 10000));
	EXPECT_TRUE(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0)
		TH_LOG("status %d: %s", c.status, c.errbuf);
	pthread_join(t, NULL);
	close(r.listen_fd);
	EXPECT_FALSE(r.st.error);
	EXPECT_LT(0, r.st.payload_bytes);
	EXPECT_NE(NULL, strstr(c.outbuf, "(stopped)")) TH_LOG("%s", c.outbuf);
}

TEST(no_device)
{
	struct child c;

	{
		char *argv[] = { "fpgacap-example-raw-uapi", "/dev/fpgacap-none",
				 NULL };

		EXPECT_EQ(1, child_run(&c, argv, 10000));
		EXPECT_NE(NULL, strstr(c.errbuf, "/dev/fpgacap-none"));
	}
}

TEST_HARNESS_MAIN
