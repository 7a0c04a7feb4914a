// SPDX-License-Identifier: MIT
/*
 * The io_uring SEND_ZC backend: each send posts a result CQE and, when it
 * carries IORING_CQE_F_MORE, a notification CQE once the kernel released
 * the pages. Sends to the socket are issued one at a time, so bytes never
 * reorder; notifications of many sends overlap freely.
 *
 * Registered (fixed) buffers save the per-request page pinning, but Linux
 * 6.1 refuses a device mapping there (FOLL_WRITE, file-backed), so
 * registration is tried and, if refused, its errno is reported as a fact
 * (fixed_buffers_error) and every send pins per request instead.
 *
 * liburing is optional: built without it (FPGACAP_NO_URING), the backend
 * exists but says -ENOSYS, and auto mode goes on to MSG_ZEROCOPY.
 */
#include <errno.h>

#include "sender.h"

#ifdef FPGACAP_NO_URING

static int uring_unavailable(struct fpgacap_sender *s, void *priv)
{
	(void)s;
	(void)priv;
	return -ENOSYS;
}

const struct sender_backend_ops sender_uring_ops = {
	.name = "uring",
	.mode = FPGACAP_SEND_URING,
	.zerocopy = true,
	.init = uring_unavailable,
};

#else /* !FPGACAP_NO_URING */

#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Newer than liburing 2.3's header; Debian's 6.1 kernel has them. */
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif

/* user_data of a cancellation: no entry has this slot. */
#define CANCEL_USER_DATA UINT64_MAX

struct uring {
	struct io_uring ring;
	bool ready;			/* ring set up */
	bool report_usage;		/* ask the kernel to flag copies */
	/* What was registered, index = buf_index; the caller's array may be
	 * gone after fpgacap_sender_create() (the pump's is on its stack). */
	struct iovec *regions;
	unsigned int nregions;
	uint64_t cur;			/* user_data of the send in flight */
	bool cur_done;
	int cur_res;
	struct msghdr msg;		/* a datagram send's, until its result */
};

/* user_data: the entry's sequence number and ring slot. */
static uint64_t user_data_of(const struct fpgacap_sender *s,
			     const struct send_entry *e)
{
	return (uint64_t)e->seq << 32 | sender_slot(s, e);
}

static void handle_cqe(struct fpgacap_sender *s, struct uring *u,
		       const struct io_uring_cqe *c)
{
	struct send_entry *e = sender_entry_lookup(s, (uint32_t)c->user_data,
						   (uint32_t)(c->user_data >> 32));

	if (c->flags & IORING_CQE_F_NOTIF) {
		sender_note_completions(s, 1, u->report_usage &&
					(c->res & IORING_NOTIF_USAGE_ZC_COPIED));
		if (e && e->outstanding)
			e->outstanding--;
		return;
	}
	if (c->user_data == CANCEL_USER_DATA)
		return;
	if (c->user_data == u->cur) {
		u->cur_done = true;
		u->cur_res = c->res;
	}
	/* Without F_MORE no notification follows this send. */
	if (!(c->flags & IORING_CQE_F_MORE) && e && e->outstanding)
		e->outstanding--;
}

static int uring_reap(struct fpgacap_sender *s, void *priv, int timeout_ms)
{
	struct uring *u = priv;
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;
	int ret = 0;

	if (timeout_ms && !io_uring_cq_ready(&u->ring)) {
		struct __kernel_timespec ts = {
			.tv_sec = timeout_ms / 1000,
			.tv_nsec = (timeout_ms % 1000) * 1000000LL,
		};

		ret = io_uring_wait_cqe_timeout(&u->ring, &cqe,
						timeout_ms < 0 ? NULL : &ts);
		s->st.syscalls++;
		if (ret == -ETIME)
			ret = 0;
	}
	io_uring_for_each_cqe(&u->ring, head, cqe) {
		handle_cqe(s, u, cqe);
		n++;
	}
	io_uring_cq_advance(&u->ring, n);
	return ret < 0 ? ret : (int)n;
}

/* The registered buffer @v lies in, or -1. */
static int fixed_index(const struct uring *u, const struct iovec *v)
{
	unsigned int i;

	for (i = 0; i < u->nregions; i++) {
		const char *base = u->regions[i].iov_base;

		if ((const char *)v->iov_base >= base &&
		    (const char *)v->iov_base + v->iov_len <=
		    base + u->regions[i].iov_len)
			return (int)i;
	}
	return -1;
}

/* The drain deadline passed with the send in flight: cancel it. */
static int cancel_current(struct fpgacap_sender *s, struct uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	int ret;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_cancel64(sqe, u->cur, 0);
	io_uring_sqe_set_data64(sqe, CANCEL_USER_DATA);
	ret = io_uring_submit(&u->ring);
	s->st.syscalls++;
	/* A cancelled send completes at once; wait for it whatever comes. */
	while (ret >= 0 && !u->cur_done) {
		ret = uring_reap(s, u, -1);
		if (ret == -EINTR)
			ret = 0;
	}
	return ret < 0 ? ret : -ETIMEDOUT;
}

/*
 * One SEND_ZC for @v; on a datagram socket all @n elements are one send:
 * one element (a run of datagram slots) is a SEND_ZC, from the registered
 * buffers if it lies in one, several (headers and payloads interleaved) a
 * SENDMSG_ZC. Wait for its result CQE. Returns bytes or -errno.
 */
static int send_one(struct fpgacap_sender *s, struct uring *u,
		    struct send_entry *e, struct iovec *v, unsigned int n)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	unsigned int zc_flags = u->report_usage ?
				IORING_SEND_ZC_REPORT_USAGE : 0;
	bool vectored = s->datagram && n > 1;
	/* MSG_WAITALL: the kernel itself resumes short stream sends. */
	int msg_flags = s->datagram ? 0 : MSG_WAITALL;
	int buf = vectored ? -1 : fixed_index(u, v);
	int ret;

	if (!sqe)
		return -EBUSY;
	if (vectored) {
		memset(&u->msg, 0, sizeof(u->msg));
		u->msg.msg_iov = v;
		u->msg.msg_iovlen = n;
		io_uring_prep_sendmsg_zc(sqe, s->opts.fd, &u->msg, 0);
		sqe->ioprio |= (uint16_t)zc_flags;
	} else if (buf >= 0) {
		io_uring_prep_send_zc_fixed(sqe, s->opts.fd, v->iov_base,
					    v->iov_len, msg_flags, zc_flags,
					    (unsigned int)buf);
	} else {
		io_uring_prep_send_zc(sqe, s->opts.fd, v->iov_base, v->iov_len,
				      msg_flags, zc_flags);
	}
	u->cur = user_data_of(s, e);
	u->cur_done = false;
	io_uring_sqe_set_data64(sqe, u->cur);
	e->outstanding++;
	do
		ret = io_uring_submit(&u->ring);
	while (ret == -EINTR);
	s->st.syscalls++;
	if (ret < 0) {
		e->outstanding--;
		return ret;
	}
	/*
	 * The kernel reads the buffer until the result comes: a signal cannot
	 * end this early. It starts the drain deadline, then cancels.
	 */
	while (!u->cur_done) {
		ret = uring_reap(s, u, sender_wait_ms(s, -1));
		if (ret == -EINTR)
			ret = sender_interrupted(s, e);
		else if (ret >= 0)
			ret = sender_drain_check(s);
		if (ret == -ETIMEDOUT)
			return cancel_current(s, u);
		if (ret < 0)
			return ret;
	}
	if (buf >= 0 && u->cur_res > 0)
		s->st.fixed_sends++;
	return u->cur_res;
}

static int uring_send(struct fpgacap_sender *s, void *priv,
		      struct send_entry *e, struct iovec **iov,
		      unsigned int *n, bool more)
{
	struct uring *u = priv;

	(void)more;
	while (*n) {
		int ret = send_one(s, u, e, *iov, *n);

		if (ret == -EINVAL && u->report_usage) {
			/* A kernel without copy reporting: send blind. */
			u->report_usage = false;
			s->st.copied_known = false;
			continue;
		}
		if (ret == -EAGAIN)
			continue;
		if (ret == -EINTR) {
			ret = sender_interrupted(s, e);
			if (ret)
				return ret;
			continue;
		}
		if (ret < 0)
			return ret;
		ret = sender_advance(s, e, iov, n, (size_t)ret);
		if (!ret && *n)
			ret = sender_drain_check(s);
		if (ret)
			return ret;
	}
	return 0;
}

static int uring_init(struct fpgacap_sender *s, void *priv)
{
	struct uring *u = priv;
	struct io_uring_probe *probe;
	int ret;

	if (!s->is_socket)
		return -ENOTSOCK;
	ret = io_uring_queue_init(2 * s->opts.max_inflight + 8, &u->ring, 0);
	if (ret < 0)
		return ret;
	probe = io_uring_get_probe_ring(&u->ring);
	if (!probe || !io_uring_opcode_supported(probe, IORING_OP_SEND_ZC) ||
	    (s->datagram &&
	     !io_uring_opcode_supported(probe, IORING_OP_SENDMSG_ZC))) {
		if (probe)
			io_uring_free_probe(probe);
		io_uring_queue_exit(&u->ring);
		return -EOPNOTSUPP;
	}
	io_uring_free_probe(probe);

	/* Datagrams of two pieces go by SENDMSG_ZC, which takes no fixed
	 * buffers; runs of slots (one piece) do go by SEND_ZC. */
	if (s->opts.nregions && (!s->datagram || s->opts.slot_size)) {
		ret = io_uring_register_buffers(&u->ring, s->opts.regions,
						s->opts.nregions);
		if (!ret) {
			u->regions = calloc(s->opts.nregions,
					    sizeof(*u->regions));
			if (!u->regions) {
				io_uring_queue_exit(&u->ring);
				return -ENOMEM;
			}
			memcpy(u->regions, s->opts.regions,
			       s->opts.nregions * sizeof(*u->regions));
			u->nregions = s->opts.nregions;
		}
		s->st.fixed_buffers = !ret;
		s->st.fixed_buffers_error = ret < 0 ? -ret : 0;
	}
	u->report_usage = true;
	u->ready = true;
	return 0;
}

static void uring_exit(struct fpgacap_sender *s, void *priv)
{
	struct uring *u = priv;

	(void)s;
	if (u->ready)
		io_uring_queue_exit(&u->ring);
	free(u->regions);
}

const struct sender_backend_ops sender_uring_ops = {
	.name = "uring",
	.mode = FPGACAP_SEND_URING,
	.zerocopy = true,
	.priv_size = sizeof(struct uring),
	.init = uring_init,
	.exit = uring_exit,
	.send = uring_send,
	.reap = uring_reap,
};

#endif /* FPGACAP_NO_URING */
