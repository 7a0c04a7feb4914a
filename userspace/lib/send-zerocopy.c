// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * MSG_ZEROCOPY: the kernel pins the pages and tells us, on the socket's
 * error queue, when it let go of them. Every sendmsg() that queued bytes
 * takes the next 32-bit id; completions arrive as id ranges [lo, hi],
 * flagged COPIED when the kernel copied after all (loopback, no SG or
 * checksum offload, highmem pages on a NIC without HIGHDMA).
 */
#include <errno.h>
#include <time.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "sender.h"

#ifndef SO_EE_ORIGIN_ZEROCOPY
#define SO_EE_ORIGIN_ZEROCOPY 5
#endif
#ifndef SO_EE_CODE_ZEROCOPY_COPIED
#define SO_EE_CODE_ZEROCOPY_COPIED 1
#endif
#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif

int msgzc_enable(struct fpgacap_sender *s)
{
	int one = 1;

	if (setsockopt(s->opts.fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		return -errno;
	s->zc_enabled = true;
	return 0;
}

/* Ids compare modulo 2^32. */
static inline bool id_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* Completion of ids [lo, hi]: settle the entries that own them. */
static void complete_range(struct fpgacap_sender *s, uint32_t lo, uint32_t hi,
			   bool copied)
{
	unsigned int i;

	sender_note_completions(s, (uint64_t)(hi - lo) + 1, copied);
	if (s->zc_inflight >= hi - lo + 1)
		s->zc_inflight -= hi - lo + 1;
	else
		s->zc_inflight = 0;
	for (i = 0; i < s->count; i++) {
		struct send_entry *e = entry_at(s, i);
		uint32_t a, b;

		if (e->first_id == e->next_id)
			continue;
		/* Overlap of [first, next) with [lo, hi + 1). */
		a = id_before(e->first_id, lo) ? lo : e->first_id;
		b = id_before(hi + 1, e->next_id) ? hi + 1 : e->next_id;
		if (!id_before(a, b))
			continue;
		if (e->outstanding >= b - a)
			e->outstanding -= b - a;
		else
			e->outstanding = 0;
	}
}

/* Drain the error queue; wait up to @timeout_ms for something first. */
int msgzc_reap(struct fpgacap_sender *s, int timeout_ms)
{
	int got = 0;

	if (timeout_ms) {
		struct pollfd pfd = { .fd = s->opts.fd, .events = 0 };

		if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
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
			if (errno == EAGAIN || errno == EINTR)
				return got;
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
			complete_range(s, serr->ee_info, serr->ee_data,
				       serr->ee_code &
				       SO_EE_CODE_ZEROCOPY_COPIED);
			got++;
		}
	}
}

/*
 * Queue @iov with MSG_ZEROCOPY. Blocking sockets may still return short
 * (a signal); each call that queued bytes took one id. ENOBUFS means the
 * socket's optmem (or locked memory) is spent on pinned pages: wait for
 * completions to give some back, then retry, as a blocking send waits for
 * room. With nothing in flight nothing will come back: copy this one.
 */
int msgzc_send(struct fpgacap_sender *s, struct send_entry *e,
	       struct iovec **iov, unsigned int *n)
{
	while (*n) {
		struct msghdr msg = { .msg_iov = *iov, .msg_iovlen = *n };
		ssize_t ret;

		ret = sendmsg(s->opts.fd, &msg, MSG_ZEROCOPY | MSG_NOSIGNAL);
		s->st.syscalls++;
		if (ret < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			if (err == EAGAIN) {
				ret = wait_writable(s->opts.fd, 100);
				if (ret)
					return (int)ret;
				msgzc_reap(s, 0);
				continue;
			}
			if (err == ENOBUFS) {
				s->st.enobufs++;
				if (!s->zc_inflight) {
					s->st.nobufs_copied++;
					return copy_send(s, iov, n, false);
				}
				ret = msgzc_reap(s, 100);
				if (ret < 0)
					return (int)ret;
				continue;
			}
			return -err;
		}
		if (ret > 0) {
			e->next_id = ++s->zc_next_id;
			e->outstanding++;
			s->zc_inflight++;
		}
		iov_advance(iov, n, ret);
		if (*n)
			s->st.partial++;
	}
	return 0;
}
