// SPDX-License-Identifier: GPL-2.0
/*
 * The point of the project, with raw syscalls: pages mapped from the pool
 * can be pinned by the kernel. sendmsg(MSG_ZEROCOPY) succeeds (no EFAULT,
 * as it does on a dma_mmap_coherent mapping), its completions arrive, and
 * on a NIC with SG and checksum offload (QEMU's e1000, the Zynq GEM with a
 * lowmem pool) they are not COPIED. vmsplice() takes the pages too.
 *
 * FPGACAP_SINK=host:port names the host sink; FPGACAP_EXPECT_ZEROCOPY=1
 * asserts at most half of the completion notifications were flagged COPIED
 * (zerocopy_mostly_sent()).
 */
#include <time.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "fpgacap_test.h"

#ifndef SO_EE_ORIGIN_ZEROCOPY
#define SO_EE_ORIGIN_ZEROCOPY 5
#endif
#ifndef SO_EE_CODE_ZEROCOPY_COPIED
#define SO_EE_CODE_ZEROCOPY_COPIED 1
#endif

#define NBUF 16
#define BUFSZ (64 * KiB)
#define SEC_NS 1000000000LL

struct zc_state {
	uint32_t next_id;		/* id of the next successful send */
	uint32_t id_of[NBUF];		/* id that carried buffer i */
	bool in_flight[NBUF];
	uint64_t completions, copied, notes, copied_notes;
};

/* Read completions; return buffers whose id completed. */
static int reap(struct __test_metadata *_metadata, int sock, int dev,
		struct zc_state *zs, int timeout_ms)
{
	struct pollfd pfd = { .fd = sock, .events = 0 };
	char control[128];
	int got = 0;

	if (poll(&pfd, 1, timeout_ms) < 0)
		return -errno;
	for (;;) {
		struct msghdr msg = {
			.msg_control = control,
			.msg_controllen = sizeof(control),
		};
		struct sock_extended_err *serr;
		struct cmsghdr *cm;
		uint32_t lo, hi, i;

		if (recvmsg(sock, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
		cm = CMSG_FIRSTHDR(&msg);
		if (!cm)
			continue;
		serr = (struct sock_extended_err *)CMSG_DATA(cm);
		EXPECT_EQ(SO_EE_ORIGIN_ZEROCOPY, serr->ee_origin);
		lo = serr->ee_info;
		hi = serr->ee_data;
		zs->completions += hi - lo + 1;
		zs->notes++;
		if (serr->ee_code & SO_EE_CODE_ZEROCOPY_COPIED) {
			zs->copied += hi - lo + 1;
			zs->copied_notes++;
		}
		for (i = 0; i < NBUF; i++) {
			if (!zs->in_flight[i] ||
			    (int32_t)(zs->id_of[i] - lo) < 0 ||
			    (int32_t)(hi - zs->id_of[i]) < 0)
				continue;
			zs->in_flight[i] = false;
			if (dev >= 0)
				EXPECT_EQ(0, give_back(dev, &i, 1));
			got++;
		}
	}
	return got;
}

/*
 * A socket to the host sink with SO_ZEROCOPY, and a started pool of NBUF
 * buffers, mapped. Skips where there is no sink.
 */
FIXTURE(pool) {
	int sock, dev;
	struct fpgacap_config cfg;
	uint8_t *pool;
};

FIXTURE_SETUP(pool)
{
	int one = 1;

	self->dev = -1;
	self->pool = NULL;
	self->sock = sink_connect(0);
	if (self->sock == -ENOENT)
		SKIP(return, "FPGACAP_SINK not set");
	ASSERT_LE(0, self->sock) TH_LOG("connect: %s", strerror(-self->sock));
	ASSERT_EQ(0, setsockopt(self->sock, SOL_SOCKET, SO_ZEROCOPY, &one,
				sizeof(one)));
	self->dev = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, configure(self->dev, NBUF, BUFSZ, 0, 0, &self->cfg));
	self->pool = map_pool(self->dev, self->cfg.mmap_size);
	ASSERT_NE(NULL, self->pool);
	ASSERT_EQ(0, xioctl(self->dev, FPGACAP_IOC_START, NULL));
}

FIXTURE_TEARDOWN(pool)
{
	if (self->pool)
		munmap(self->pool, self->cfg.mmap_size);
	if (self->dev >= 0)
		close(self->dev);
	if (self->sock >= 0)
		close(self->sock);
}

TEST_F_TIMEOUT(pool, msg_zerocopy, 300)
{
	const uint64_t total = 4 * MiB;
	struct fpgacap_buffer b[NBUF];
	struct zc_state zs = { 0 };
	uint64_t sent = 0, sends = 0;
	const char *expect = getenv("FPGACAP_EXPECT_ZEROCOPY");
	int dev = self->dev, sock = self->sock, n, i, outstanding;
	struct tcp_info ti;
	socklen_t tilen = sizeof(ti);
	uint8_t *pool = self->pool;
	char verdict[1024];

	RETURN_IF_SKIPPED();

	while (sent < total) {
		n = dequeue(dev, b, NBUF, 0);
		if (n == -EAGAIN) {
			reap(_metadata, sock, dev, &zs, 10);
			continue;
		}
		ASSERT_LT(0, n);
		for (i = 0; i < n; i++) {
			struct iovec iov = {
				.iov_base = pool + b[i].index * BUFSZ,
				.iov_len = b[i].bytes_used,
			};
			struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
			ssize_t r;

			do
				r = sendmsg(sock, &msg, MSG_ZEROCOPY);
			while (r < 0 && errno == ENOBUFS &&
			       reap(_metadata, sock, dev, &zs, 10) >= 0);
			/* The failure this project exists to fix: EFAULT. */
			ASSERT_EQ((ssize_t)iov.iov_len, r)
				TH_LOG("sendmsg: %s", strerror(errno));
			zs.id_of[b[i].index] = zs.next_id++;
			zs.in_flight[b[i].index] = true;
			sent += r;
			sends++;
		}
		reap(_metadata, sock, dev, &zs, 0);
	}
	/* Every send completes; only then is every buffer back. */
	for (i = 0; i < 3000; i++) {
		for (outstanding = 0, n = 0; n < NBUF; n++)
			outstanding += zs.in_flight[n];
		if (!outstanding)
			break;
		reap(_metadata, sock, dev, &zs, 10);
	}
	EXPECT_EQ(0, outstanding);
	EXPECT_EQ(sends, zs.completions);
	ASSERT_EQ(0, getsockopt(sock, IPPROTO_TCP, TCP_INFO, &ti, &tilen));
	TH_LOG("%llu sends, %llu completions (%llu notifications), %llu copied (%llu notifications), %u retransmits",
	       (unsigned long long)sends, (unsigned long long)zs.completions,
	       (unsigned long long)zs.notes, (unsigned long long)zs.copied,
	       (unsigned long long)zs.copied_notes, ti.tcpi_total_retrans);
	if (expect && !strcmp(expect, "1"))
		EXPECT_TRUE(zerocopy_mostly_sent(zs.copied_notes, zs.notes));
	EXPECT_EQ(1, sink_verdict(sock, verdict, sizeof(verdict)))
		TH_LOG("%s", verdict);
	xioctl(dev, FPGACAP_IOC_STOP, NULL);
}

/*
 * MSG_ZEROCOPY sends still queued in the socket when the device is
 * unbound and the pool let go: the network stack holds its own page
 * references, so the bytes the sink receives stay exact, every completion
 * arrives, and the pool's pages go back once everything let go.
 */
TEST_F_TIMEOUT(pool, unbind_with_sends_in_flight, 300)
{
	struct fpgacap_buffer b[NBUF];
	struct zc_state zs = { 0 };
	unsigned int rate = 512 * 1024;
	int sndbuf = 4 * MiB;
	long before = pool_pages() - self->cfg.mmap_size / page_size();
	int dev = self->dev, sock = self->sock, got = 0, n, i;
	char verdict[1024], pdev[128];
	uint8_t *pool = self->pool;

	RETURN_IF_SKIPPED();
	ASSERT_EQ(0, platform_name(pdev, sizeof(pdev)));
	/* Slow the guest's own TCP so the sends stay queued here. */
	ASSERT_EQ(0, setsockopt(sock, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf,
				sizeof(sndbuf)));
	ASSERT_EQ(0, setsockopt(sock, SOL_SOCKET, SO_MAX_PACING_RATE, &rate,
				sizeof(rate)));
	while (got < NBUF) {
		n = dequeue(dev, b + got, NBUF - got, 5 * SEC_NS);
		ASSERT_LT(0, n);
		got += n;
	}
	for (i = 0; i < NBUF; i++) {
		struct iovec iov = {
			.iov_base = pool + b[i].index * BUFSZ,
			.iov_len = b[i].bytes_used,
		};
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

		ASSERT_EQ((ssize_t)iov.iov_len, sendmsg(sock, &msg, MSG_ZEROCOPY))
			TH_LOG("sendmsg: %s", strerror(errno));
		zs.id_of[b[i].index] = zs.next_id++;
		zs.in_flight[b[i].index] = true;
	}
	/* Everything in flight: the device, its pool and mapping go. */
	ASSERT_EQ(0, driver_attr("unbind", pdev));
	munmap(pool, self->cfg.mmap_size);
	self->pool = NULL;
	close(dev);
	self->dev = -1;
	for (i = 0; i < 3000 && zs.completions < NBUF; i++)
		reap(_metadata, sock, -1, &zs, 10);
	EXPECT_EQ(NBUF, zs.completions);
	EXPECT_EQ(1, sink_verdict(sock, verdict, sizeof(verdict)))
		TH_LOG("%s", verdict);
	EXPECT_EQ(before, pool_pages());
	ASSERT_EQ(0, driver_attr("bind", pdev));
	ASSERT_EQ(0, wait_for_node());
}

/* vmsplice() pins the pool's pages as well; the bytes come out intact. */
TEST(vmsplice_from_pool)
{
	struct fpgacap_config cfg;
	struct fpgacap_buffer b;
	uint8_t *pool, *copy;
	struct iovec iov;
	int dev, p[2];
	ssize_t n, got = 0;

	dev = open(dev_path(), O_RDONLY);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, configure(dev, 4, BUFSZ, 0, 0, &cfg));
	pool = map_pool(dev, cfg.mmap_size);
	ASSERT_NE(NULL, pool);
	ASSERT_EQ(0, xioctl(dev, FPGACAP_IOC_START, NULL));
	ASSERT_EQ(1, dequeue(dev, &b, 1, 5000000000LL));
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(BUFSZ, fcntl(p[1], F_SETPIPE_SZ, BUFSZ));
	iov.iov_base = pool + b.index * BUFSZ;
	iov.iov_len = BUFSZ;
	n = vmsplice(p[1], &iov, 1, 0);
	ASSERT_EQ(BUFSZ, n) TH_LOG("vmsplice: %s", strerror(errno));
	copy = malloc(BUFSZ);
	ASSERT_NE(NULL, copy);
	while (got < BUFSZ) {
		n = read(p[0], copy + got, BUFSZ - got);
		ASSERT_LT(0, n);
		got += n;
	}
	EXPECT_EQ(-1, check_pattern(copy, BUFSZ, b.offset));
	EXPECT_EQ(0, give_back_bufs(dev, &b, 1));
	free(copy);
	close(p[0]);
	close(p[1]);
	munmap(pool, cfg.mmap_size);
	close(dev);
}

TEST_HARNESS_MAIN
