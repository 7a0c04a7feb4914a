// SPDX-License-Identifier: MIT
/*
 * A connection's socket: waiting on it with the stall deadline and the
 * server's abort in view, and writing replies whole, each in one send:
 * with TCP_NODELAY set, a reply written in pieces would leave as several
 * segments, and without it the second piece would wait for the client's
 * delayed ACK (40 ms and more per attribute read). Below both the command
 * loop (conn.c) and the sessions (session.c), which reply through it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "iiod.h"

#define POLL_SLICE_MS 200

uint64_t iiod_deadline(const struct iiod_conn *c)
{
	return fc_now_ns() + c->srv->o.stall_ns;
}

static bool aborted(const struct iiod_conn *c)
{
	return atomic_load(&c->abort) != IIOD_RUN;
}

int iiod_wait_fd(struct iiod_conn *c, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = events };
		int slice = POLL_SLICE_MS, ret;
		uint64_t now = fc_now_ns();

		if (aborted(c))
			return -ECANCELED;
		if (deadline && now >= deadline)
			return -ETIMEDOUT;
		if (deadline && (deadline - now) / 1000000 < POLL_SLICE_MS)
			slice = (int)((deadline - now) / 1000000) + 1;
		ret = poll(&p, 1, slice);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret > 0)
			return 0;
	}
}

int iiod_writev(struct iiod_conn *c, struct iovec *iov, unsigned int n)
{
	uint64_t deadline = iiod_deadline(c);

	while (n && !iov->iov_len) {
		iov++;
		n--;
	}
	while (n) {
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = n };
		ssize_t sent = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		int ret;

		if (sent < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -errno;
			ret = iiod_wait_fd(c, POLLOUT, deadline);
			if (ret == -ETIMEDOUT) {
				/* The client reads nothing: a stall, as the
				 * main thread calls a send that long stuck. */
				int run = IIOD_RUN;

				atomic_compare_exchange_strong(&c->abort, &run,
							       IIOD_ABORT_STALL);
				return -ECANCELED;
			}
			if (ret)
				return ret;
			continue;
		}
		/* A partial send: resume where it stopped. */
		while (n && (size_t)sent >= iov->iov_len) {
			sent -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (char *)iov->iov_base + sent;
			iov->iov_len -= (size_t)sent;
		}
	}
	return 0;
}

int iiod_write(struct iiod_conn *c, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return iiod_writev(c, &iov, 1);
}

int iiod_reply_int(struct iiod_conn *c, long long v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld\n", v);

	return iiod_write(c, buf, (size_t)n);
}

int iiod_reply_data(struct iiod_conn *c, long long v, const void *data,
		    size_t len)
{
	char head[32];
	struct iovec iov[3] = {
		{ .iov_base = head },
		{ .iov_base = (void *)data, .iov_len = len },
		{ .iov_base = "\n", .iov_len = 1 },
	};

	iov[0].iov_len = (size_t)snprintf(head, sizeof(head), "%lld\n", v);
	return iiod_writev(c, iov, 3);
}
