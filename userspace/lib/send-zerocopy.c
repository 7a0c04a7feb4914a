// SPDX-License-Identifier: MIT
/*
 * The MSG_ZEROCOPY backend: the kernel pins the pages and tells us, on the
 * socket's error queue, when it let go of them. Every sendmsg() that queued
 * bytes takes the next 32-bit id; completions arrive as id ranges
 * [lo, hi], flagged COPIED when the kernel copied after all (loopback, no
 * SG or checksum offload, highmem pages on a NIC without HIGHDMA).
 */
#include <errno.h>
#include <time.h>		/* before linux/errqueue.h */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "sender.h"

struct msgzc {
	uint32_t next_id;		/* the socket's next MSG_ZEROCOPY id */
	uint32_t inflight;		/* ids sent, not yet completed */
};

static int msgzc_init(struct fpgacap_sender *s, void *priv)
{
	int one = 1;

	(void)priv;
	if (!s->is_socket)
		return -ENOTSOCK;
	if (setsockopt(s->opts.fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		return -errno;
	return 0;
}

/* Ids compare modulo 2^32. */
static inline bool id_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* Completion of ids [lo, hi]: settle the entries that own them. */
static void complete_range(struct fpgacap_sender *s, struct msgzc *z,
			   uint32_t lo, uint32_t hi, bool copied)
{
	uint32_t n = hi - lo + 1;
	unsigned int i;

	sender_note_completions(s, n, copied);
	z->inflight = z->inflight >= n ? z->inflight - n : 0;
	for (i = 0; i < s->count; i++) {
		struct send_entry *e = sender_entry_at(s, i);
		uint32_t a, b;

		if (e->zc_first == e->zc_next)
			continue;
		/* Overlap of [first, next) with [lo, hi + 1). */
		a = id_before(e->zc_first, lo) ? lo : e->zc_first;
		b = id_before(hi + 1, e->zc_next) ? hi + 1 : e->zc_next;
		if (!id_before(a, b))
			continue;
		e->outstanding = e->outstanding >= b - a ?
				 e->outstanding - (b - a) : 0;
	}
}

/* Drain the error queue; wait up to @timeout_ms for something first. */
static int msgzc_reap(struct fpgacap_sender *s, void *priv, int timeout_ms)
{
	struct msgzc *z = priv;
	int got = 0;

	if (timeout_ms) {
		struct pollfd pfd = { .fd = s->opts.fd, .events = 0 };

		if (poll(&pfd, 1, timeout_ms) < 0)
			return -errno;
	}
	for (;;) {
		char control[128];
		struct msghdr msg = {
			.msg_control = control,
			.msg_controllen = sizeof(control),
		};
		struct sock_extended_err *serr;
		struct cmsghdr *cm;

		if (recvmsg(s->opts.fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno == EAGAIN)
				return got;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s->st.syscalls++;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (!((cm->cmsg_level == SOL_IP &&
			       cm->cmsg_type == IP_RECVERR) ||
			      (cm->cmsg_level == SOL_IPV6 &&
			       cm->cmsg_type == IPV6_RECVERR)))
				continue;
			serr = (struct sock_extended_err *)CMSG_DATA(cm);
			if (serr->ee_origin != SO_EE_ORIGIN_ZEROCOPY) {
				/* A real socket error on the queue. */
				if (serr->ee_errno)
					return -(int)serr->ee_errno;
				continue;
			}
			complete_range(s, z, serr->ee_info, serr->ee_data,
				       serr->ee_code &
				       SO_EE_CODE_ZEROCOPY_COPIED);
			got++;
		}
	}
}

/*
 * sendmsg() failed with @err: EINTR, EAGAIN, or ENOBUFS with sends in
 * flight. Wait (boundedly while draining) for room or for completions;
 * 0 to try again.
 */
static int msgzc_wait(struct fpgacap_sender *s, struct msgzc *z,
		      struct send_entry *e, int err)
{
	int ret;

	if (err == ENOBUFS) {
		ret = msgzc_reap(s, z, sender_wait_ms(s, 100));
	} else if (err == EAGAIN) {
		ret = sender_wait_writable(s->opts.fd, sender_wait_ms(s, 100));
		if (!ret)
			ret = msgzc_reap(s, z, 0);
	} else {
		ret = -EINTR;
	}
	if (ret == -EINTR)
		return sender_interrupted(s, e);
	if (ret < 0)
		return ret;
	return sender_drain_check(s);
}

/*
 * Queue @iov with MSG_ZEROCOPY. Each call that queued bytes took one id.
 * ENOBUFS means the socket's optmem (or locked memory) is spent on pinned
 * pages: wait for completions to give some back, then retry, as a blocking
 * send waits for room. With nothing in flight nothing will come back: the
 * core copies this one (-ENOBUFS).
 */
static int msgzc_send(struct fpgacap_sender *s, void *priv,
		      struct send_entry *e, struct iovec **iov,
		      unsigned int *n, bool more)
{
	struct msgzc *z = priv;

	(void)more;
	if (e->zc_first == e->zc_next)
		e->zc_first = e->zc_next = z->next_id;
	while (*n) {
		struct msghdr msg = { .msg_iov = *iov, .msg_iovlen = *n };
		int flags = MSG_ZEROCOPY | MSG_NOSIGNAL |
			    (sender_draining(s) ? MSG_DONTWAIT : 0);
		ssize_t ret;

		ret = sendmsg(s->opts.fd, &msg, flags);
		s->st.syscalls++;
		if (ret < 0) {
			int err = errno;

			if (err == ENOBUFS) {
				s->st.enobufs++;
				if (!z->inflight)
					return -ENOBUFS;
			} else if (err != EINTR && err != EAGAIN) {
				return -err;
			}
			err = msgzc_wait(s, z, e, err);
			if (err)
				return err;
			continue;
		}
		if (ret > 0) {
			e->zc_next = ++z->next_id;
			e->outstanding++;
			z->inflight++;
		}
		ret = sender_advance(s, e, iov, n, (size_t)ret);
		if (ret)
			return (int)ret;
	}
	return 0;
}

const struct sender_backend_ops sender_msgzc_ops = {
	.name = "zerocopy",
	.mode = FPGACAP_SEND_ZEROCOPY,
	.zerocopy = true,
	.priv_size = sizeof(struct msgzc),
	.init = msgzc_init,
	.send = msgzc_send,
	.reap = msgzc_reap,
};
