// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * io_uring SEND_ZC: each send posts a result CQE and, when it carries
 * IORING_CQE_F_MORE, a notification CQE once the kernel released the
 * pages. Sends to the socket are issued one at a time, so bytes never
 * reorder; notifications of many sends overlap freely.
 *
 * Registered (fixed) buffers save the per-request page pinning, but Linux
 * 6.1 refuses a device mapping there (FOLL_WRITE, file-backed), so
 * registration is tried and, if refused, its errno is reported and every
 * send pins per request instead.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "sender.h"

/* Newer than liburing 2.3's header; Debian's 6.1 kernel has them. */
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif

struct uring_state {
	struct io_uring ring;
	bool report_usage;		/* ask the kernel to flag copies */
	bool fixed;			/* opts.regions are registered */
	uint64_t cur;			/* user_data of the send in flight */
	bool cur_done;
	int cur_res;
};

static uint64_t user_data_of(const struct send_entry *e, unsigned int idx)
{
	return (uint64_t)e->seq << 32 | idx;
}

/* The entry a CQE belongs to, unless that send was released already. */
static struct send_entry *entry_of(struct fpgacap_sender *s, uint64_t ud)
{
	unsigned int idx = (uint32_t)ud, max = s->opts.max_inflight;
	struct send_entry *e;

	if (idx >= max || (idx + max - s->head) % max >= s->count)
		return NULL;
	e = &s->ring[idx];
	return e->seq == (uint32_t)(ud >> 32) ? e : NULL;
}

static void handle_cqe(struct fpgacap_sender *s, const struct io_uring_cqe *c)
{
	struct uring_state *u = s->uring;
	struct send_entry *e = entry_of(s, c->user_data);

	if (c->flags & IORING_CQE_F_NOTIF) {
		sender_note_completions(s, 1, u->report_usage &&
					(c->res & IORING_NOTIF_USAGE_ZC_COPIED));
		if (e && e->outstanding)
			e->outstanding--;
		return;
	}
	if (c->user_data == u->cur) {
		u->cur_done = true;
		u->cur_res = c->res;
	}
	/* Without F_MORE no notification follows this send. */
	if (!(c->flags & IORING_CQE_F_MORE) && e && e->outstanding)
		e->outstanding--;
}

int uring_reap(struct fpgacap_sender *s, int timeout_ms)
{
	struct uring_state *u = s->uring;
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;
	int ret;

	if (timeout_ms && !io_uring_cq_ready(&u->ring)) {
		struct __kernel_timespec ts = {
			.tv_sec = timeout_ms / 1000,
			.tv_nsec = (timeout_ms % 1000) * 1000000LL,
		};

		ret = io_uring_wait_cqe_timeout(&u->ring, &cqe,
						timeout_ms < 0 ? NULL : &ts);
		s->st.syscalls++;
		if (ret < 0 && ret != -ETIME && ret != -EINTR)
			return ret;
	}
	io_uring_for_each_cqe(&u->ring, head, cqe) {
		handle_cqe(s, cqe);
		n++;
	}
	io_uring_cq_advance(&u->ring, n);
	return 0;
}

static int fixed_index(const struct fpgacap_sender *s, const struct iovec *v)
{
	unsigned int i;

	for (i = 0; i < s->opts.nregions; i++) {
		const char *base = s->opts.regions[i].iov_base;

		if ((const char *)v->iov_base >= base &&
		    (const char *)v->iov_base + v->iov_len <=
		    base + s->opts.regions[i].iov_len)
			return (int)i;
	}
	return -1;
}

/* One SEND_ZC for @v; wait for its result CQE. Returns bytes or -errno. */
static int send_one(struct fpgacap_sender *s, struct send_entry *e,
		    unsigned int idx, const struct iovec *v)
{
	struct uring_state *u = s->uring;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	unsigned int zc_flags = u->report_usage ?
				IORING_SEND_ZC_REPORT_USAGE : 0;
	int buf = u->fixed ? fixed_index(s, v) : -1;
	int ret;

	if (!sqe)
		return -EBUSY;
	/* MSG_WAITALL: the kernel itself resumes short sends. */
	if (buf >= 0)
		io_uring_prep_send_zc_fixed(sqe, s->opts.fd, v->iov_base,
					    v->iov_len, MSG_WAITALL, zc_flags,
					    buf);
	else
		io_uring_prep_send_zc(sqe, s->opts.fd, v->iov_base, v->iov_len,
				      MSG_WAITALL, zc_flags);
	u->cur = user_data_of(e, idx);
	u->cur_done = false;
	io_uring_sqe_set_data64(sqe, u->cur);
	e->outstanding++;
	ret = io_uring_submit(&u->ring);
	s->st.syscalls++;
	if (ret < 0) {
		e->outstanding--;
		return ret;
	}
	while (!u->cur_done) {
		ret = uring_reap(s, -1);
		if (ret < 0)
			return ret;
	}
	return u->cur_res;
}

int uring_send(struct fpgacap_sender *s, struct send_entry *e,
	       unsigned int idx, struct iovec **iov, unsigned int *n)
{
	struct uring_state *u = s->uring;

	while (*n) {
		int ret = send_one(s, e, idx, *iov);

		if (ret == -EINVAL && u->report_usage) {
			/* A kernel without copy reporting: send blind. */
			u->report_usage = false;
			s->st.copied_known = false;
			continue;
		}
		if (ret == -EINTR || ret == -EAGAIN)
			continue;
		if (ret < 0)
			return ret;
		if ((size_t)ret < (*iov)->iov_len)
			s->st.partial++;
		iov_advance(iov, n, (size_t)ret);
	}
	return 0;
}

int uring_init(struct fpgacap_sender *s)
{
	struct io_uring_probe *probe;
	struct uring_state *u;
	int ret;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	ret = io_uring_queue_init(2 * s->opts.max_inflight + 8, &u->ring, 0);
	if (ret < 0) {
		free(u);
		return ret;
	}
	probe = io_uring_get_probe_ring(&u->ring);
	if (!probe || !io_uring_opcode_supported(probe, IORING_OP_SEND_ZC)) {
		if (probe)
			io_uring_free_probe(probe);
		io_uring_queue_exit(&u->ring);
		free(u);
		return -EOPNOTSUPP;
	}
	io_uring_free_probe(probe);

	if (s->opts.nregions) {
		ret = io_uring_register_buffers(&u->ring, s->opts.regions,
						s->opts.nregions);
		u->fixed = !ret;
		s->st.fixed_buffers = !ret;
		s->st.fixed_buffers_error = ret < 0 ? -ret : 0;
	}
	u->report_usage = true;
	s->uring = u;
	return 0;
}

void uring_exit(struct fpgacap_sender *s)
{
	io_uring_queue_exit(&s->uring->ring);
	free(s->uring);
	s->uring = NULL;
}
