// SPDX-License-Identifier: GPL-2.0-only
/*
 * The failure this project exists to fix, reproduced with the classic
 * driver (tests/kmod/fpgacap-classic.c: dma_alloc_coherent +
 * dma_mmap_coherent): its mapping has no struct page, so vmsplice() and
 * send(MSG_ZEROCOPY) fail with EFAULT, while plain send() copies the right
 * bytes. And the classic driver's buffers cannot go away under a mapping:
 * the module stays while one exists. Skipped where the module is absent.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"
#include "../classic/fpgacap-classic.h"

static const char classic_node[] = "/dev/fpgacap-classic";

FIXTURE(classic) {
	int fd;
	struct fpgacap_classic_info info;
	uint8_t *p;
};

FIXTURE_SETUP(classic)
{
	self->p = NULL;
	if (access(classic_node, F_OK))
		load_module(getenv("FPGACAP_CLASSIC_KO"), NULL);
	self->fd = open(classic_node, O_RDONLY);
	if (self->fd < 0)
		SKIP(return, "%s: %s", classic_node, strerror(errno));
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_CLASSIC_INFO, &self->info));
	self->p = mmap(NULL, self->info.buffer_size, PROT_READ, MAP_SHARED,
		       self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->p);
}

FIXTURE_TEARDOWN(classic)
{
	if (self->p && self->p != MAP_FAILED)
		munmap(self->p, self->info.buffer_size);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(classic, efault_where_fpgacap_succeeds)
{
	struct fpgacap_classic_fill fill = { .index = 0, .offset = 0 };
	struct iovec iov;
	char verdict[1024];
	int pp[2], sock, one = 1;

	RETURN_IF_SKIPPED();
	ASSERT_EQ(0, xioctl(self->fd, FPGACAP_CLASSIC_FILL, &fill));
	EXPECT_EQ(-1, check_pattern(self->p, self->info.buffer_size, 0));

	iov.iov_base = self->p;
	iov.iov_len = self->info.buffer_size;
	ASSERT_EQ(0, pipe(pp));
	EXPECT_EQ(-1, vmsplice(pp[1], &iov, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	close(pp[0]);
	close(pp[1]);

	sock = sink_connect(0);
	if (sock < 0)
		SKIP(return, "no sink: %s", strerror(-sock));
	ASSERT_EQ(0, setsockopt(sock, SOL_SOCKET, SO_ZEROCOPY, &one,
				sizeof(one)));
	{
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

		EXPECT_EQ(-1, sendmsg(sock, &msg, MSG_ZEROCOPY));
		EXPECT_EQ(EFAULT, errno);
	}
	/* The copy path reads it fine. */
	EXPECT_EQ((ssize_t)self->info.buffer_size,
		  send(sock, self->p, self->info.buffer_size, 0));
	EXPECT_EQ(1, sink_verdict(sock, verdict, sizeof(verdict)))
		TH_LOG("%s", verdict);
	close(sock);
}

/* Bad input, and a module that cannot leave while a mapping holds it. */
TEST_F(classic, bounds_and_lifetime)
{
	struct fpgacap_classic_fill fill = { .index = self->info.count };

	RETURN_IF_SKIPPED();
	EXPECT_EQ(-EINVAL, xioctl(self->fd, FPGACAP_CLASSIC_FILL, &fill));
	fill.index = 0;
	fill.reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, FPGACAP_CLASSIC_FILL, &fill));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->info.buffer_size * 2, PROT_READ,
				   MAP_SHARED, self->fd, 0));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->info.buffer_size, PROT_READ,
				   MAP_SHARED, self->fd,
				   self->info.buffer_size * self->info.count));
	close(self->fd);
	self->fd = -1;
	/* The mapping holds the file, and the file the module. */
	EXPECT_EQ(-EAGAIN, unload_module("fpgacap_classic"));
	/* Nor can the device be unbound under it. */
	EXPECT_NE(0, access("/sys/bus/platform/drivers/fpgacap-classic/unbind",
			    F_OK));
}

TEST_HARNESS_MAIN
