// SPDX-License-Identifier: MIT
/*
 * A connection's socket: waiting on it with the stall deadline and the
 * server's abort in view, and writing replies whole. Below both the
 * command loop (conn.c) and the sessions (session.c), which reply
 * through it.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
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
		int ret;

		if (aborted(c))
			return -ECANCELED;
		if (deadline && fc_now_ns() >= deadline)
			return -ETIMEDOUT;
		ret = poll(&p, 1, POLL_SLICE_MS);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (ret > 0)
			return 0;
	}
}

int iiod_write(struct iiod_conn *c, const void *buf, size_t len)
{
	const char *p = buf;
	uint64_t deadline = iiod_deadline(c);

	while (len) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		int ret;

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -errno;
			ret = iiod_wait_fd(c, POLLOUT, deadline);
			if (ret)
				return ret;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int iiod_reply_int(struct iiod_conn *c, long long v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld\n", v);

	return iiod_write(c, buf, (size_t)n);
}
