// SPDX-License-Identifier: GPL-2.0-only
/*
 * The examples (../examples) where no device is needed: each fails
 * cleanly, with a message that names what failed and no signal, when the
 * device is missing or is not an fpgacap device, and refuses bad
 * arguments with exit 2; capture-to-socket connects first and closes its
 * connection on the way out. The binaries come from $FPGACAP_EXAMPLES;
 * the guests run them against real devices (tests/selftests).
 */
#include <netinet/in.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "spawn.h"

static char *example(const char *name)
{
	static char path[512];
	const char *dir = getenv("FPGACAP_EXAMPLES");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", name);
	return path;
}

/* A listening loopback socket; its port in *port. */
static int listener(char *port, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 1) || getsockname(fd, (struct sockaddr *)&sa, &sl))
		return -1;
	snprintf(port, len, "%u", ntohs(sa.sin_port));
	return fd;
}

TEST(capture_to_socket_no_device)
{
	char port[16], buf[16];
	struct child c;
	int l = listener(port, sizeof(port)), s;

	ASSERT_LE(0, l);
	{
		char *argv[] = { example("capture-to-socket"), "127.0.0.1", port,
				 "1", "/nonexistent/fpgacap", NULL };

		EXPECT_EQ(1, child_run(&c, argv, 10000)) TH_LOG("%s", c.errbuf);
		EXPECT_TRUE(WIFEXITED(c.status));
		EXPECT_NE(NULL, strstr(c.errbuf, "/nonexistent/fpgacap"))
			TH_LOG("%s", c.errbuf);
	}
	/* It connected, and closed the connection on its way out. */
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	EXPECT_EQ(0, read(s, buf, sizeof(buf)));
	close(s);
	{
		char *argv[] = { example("capture-to-socket"), "127.0.0.1", port,
				 "1", "/dev/null", NULL };

		EXPECT_EQ(1, child_run(&c, argv, 10000));
		EXPECT_NE(NULL, strstr(c.errbuf, "not an fpgacap device"))
			TH_LOG("%s", c.errbuf);
	}
	close(l);
}

TEST(capture_to_socket_arguments)
{
	static const char *const bad[] = { "0", "-1", "x", "99999999999999999" };
	struct child c;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { example("capture-to-socket"), "127.0.0.1", "9",
				 (char *)bad[i], NULL };

		EXPECT_EQ(2, child_run(&c, argv, 5000)) TH_LOG("MIB %s", bad[i]);
	}
	{
		char *argv[] = { example("capture-to-socket"), "127.0.0.1", NULL };

		EXPECT_EQ(2, child_run(&c, argv, 5000));
		EXPECT_NE(NULL, strstr(c.errbuf, "usage"));
	}
	{
		/* Nobody listening: said, exit 1. */
		char *argv[] = { example("capture-to-socket"), "127.0.0.1", "9",
				 NULL };

		EXPECT_EQ(1, child_run(&c, argv, 10000));
		EXPECT_NE(NULL, strstr(c.errbuf, "127.0.0.1 port 9"))
			TH_LOG("%s", c.errbuf);
	}
}

TEST(raw_uapi_no_device)
{
	struct child c;

	{
		char *argv[] = { example("raw-uapi"), "/nonexistent/fpgacap", NULL };

		EXPECT_EQ(1, child_run(&c, argv, 5000));
		EXPECT_NE(NULL, strstr(c.errbuf, "/nonexistent/fpgacap"));
	}
	{
		char *argv[] = { example("raw-uapi"), "/dev/null", NULL };

		EXPECT_EQ(1, child_run(&c, argv, 5000));
		EXPECT_NE(NULL, strstr(c.errbuf, "/dev/null: INFO"))
			TH_LOG("%s", c.errbuf);
	}
	{
		char *argv[] = { example("raw-uapi"), "/dev/null", "0", NULL };

		EXPECT_EQ(2, child_run(&c, argv, 5000));
	}
}

TEST_HARNESS_MAIN
