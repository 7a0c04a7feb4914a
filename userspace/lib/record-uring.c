// SPDX-License-Identifier: MIT
/*
 * The recorder's io_uring backend: WRITE (the kernel pins the pages of
 * each request) or WRITE_FIXED from registered buffers (pinned once, at
 * registration), many in flight, completions in any order.
 *
 * Registration pins with FOLL_WRITE|FOLL_LONGTERM: Linux 6.1 refuses any
 * file-backed mapping there, a device's included (EOPNOTSUPP; a read-only
 * one EFAULT); Linux 6.12 registers a pool mapped writable
 * (FPGACAP_CFG_WRITABLE). The refusal is kept as a fact
 * (fixed_buffers_error) and auto goes on pinning per request.
 */
#include <errno.h>

#include "record.h"

#ifdef FPGACAP_NO_URING

static int uring_unavailable(struct fpgacap_recorder *r, void *priv)
{
	(void)r;
	(void)priv;
	return -ENOSYS;
}

const struct rec_backend_ops rec_uring_ops = {
	.name = "uring",
	.async = true,
	.init = uring_unavailable,
};

#else /* !FPGACAP_NO_URING */

#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

/* One registered buffer at most (io_uring_register_buffers refuses more). */
#define FIXED_MAX (1ULL << 30)

struct uring {
	struct io_uring ring;
	bool ready;
};

/* user_data: the entry's sequence, ring slot and piece. */
static uint64_t user_data_of(const struct fpgacap_recorder *r,
			     const struct rec_entry *e, unsigned int i)
{
	return (uint64_t)e->seq << 32 | (uint64_t)record_slot(r, e) << 1 | i;
}

static int uring_submit(struct fpgacap_recorder *r, void *priv)
{
	struct uring *u = priv;
	int ret;

	do {
		ret = io_uring_submit(&u->ring);
		r->st.syscalls++;
	} while (ret == -EINTR || ret == -EAGAIN);
	return ret < 0 ? ret : 0;
}

static int uring_issue(struct fpgacap_recorder *r, void *priv,
		       struct rec_entry *e, unsigned int i)
{
	struct uring *u = priv;
	struct rec_piece *p = &e->piece[i];
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	uint64_t left = p->len - p->done;
	int ret;

	if (!sqe) {
		/* Room for 2 writes a buffer and their resubmissions:
		 * full only when a submission failed. */
		ret = uring_submit(r, priv);
		if (ret < 0)
			return ret;
		sqe = io_uring_get_sqe(&u->ring);
		if (!sqe)
			return -EBUSY;
	}
	if (left > RECORD_MAX_IO)
		left = RECORD_MAX_IO;
	if (p->fixed >= 0)
		io_uring_prep_write_fixed(sqe, r->opts.fd, p->base + p->done,
					  (unsigned int)left, p->off + p->done,
					  p->fixed);
	else
		io_uring_prep_write(sqe, r->opts.fd, p->base + p->done,
				    (unsigned int)left, p->off + p->done);
	if (r->opts.flags & FPGACAP_RECORD_SYNC)
		sqe->rw_flags = RWF_DSYNC;
	io_uring_sqe_set_data64(sqe, user_data_of(r, e, i));
	return 0;
}

static int uring_reap(struct fpgacap_recorder *r, void *priv, int timeout_ms)
{
	struct uring *u = priv;
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;
	int ret = 0;

	/* Whatever a failed submission left behind goes first. */
	if (io_uring_sq_ready(&u->ring))
		uring_submit(r, priv);
	if (timeout_ms && !io_uring_cq_ready(&u->ring)) {
		struct __kernel_timespec ts = {
			.tv_sec = timeout_ms / 1000,
			.tv_nsec = (timeout_ms % 1000) * 1000000LL,
		};

		ret = io_uring_wait_cqe_timeout(&u->ring, &cqe,
						timeout_ms < 0 ? NULL : &ts);
		r->st.syscalls++;
		if (ret == -ETIME)
			ret = 0;
	}
	io_uring_for_each_cqe(&u->ring, head, cqe) {
		uint64_t ud = cqe->user_data;
		struct rec_entry *e = record_lookup(r,
				(unsigned int)(ud >> 1) & 0x7fffffffU,
				(uint32_t)(ud >> 32));

		if (e && e->piece[ud & 1].busy)
			record_complete(r, e, (unsigned int)(ud & 1), cqe->res);
		n++;
	}
	io_uring_cq_advance(&u->ring, n);
	return ret < 0 ? ret : (int)n;
}

/* The caller's regions, cut where io_uring's limit for one buffer says. */
static int register_regions(struct fpgacap_recorder *r, struct uring *u)
{
	const struct iovec *v = r->opts.regions;
	unsigned int i, n = 0;
	struct iovec *f;
	int ret;

	for (i = 0; i < r->opts.nregions; i++)
		n += (unsigned int)((v[i].iov_len + FIXED_MAX - 1) / FIXED_MAX);
	f = calloc(n ? n : 1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	n = 0;
	for (i = 0; i < r->opts.nregions; i++) {
		for (uint64_t at = 0; at < v[i].iov_len; at += FIXED_MAX) {
			f[n].iov_base = (char *)v[i].iov_base + at;
			f[n].iov_len = v[i].iov_len - at < FIXED_MAX ?
				       v[i].iov_len - at : FIXED_MAX;
			n++;
		}
	}
	ret = io_uring_register_buffers(&u->ring, f, n);
	if (ret) {
		free(f);
		r->st.fixed_buffers_error = -ret;
		return 0;
	}
	r->fixed = f;
	r->nfixed = n;
	r->st.fixed_buffers = true;
	return 0;
}

static int uring_init(struct fpgacap_recorder *r, void *priv)
{
	struct uring *u = priv;
	int ret;

	ret = io_uring_queue_init(2 * r->opts.max_inflight + 8, &u->ring, 0);
	if (ret < 0)
		return ret;
	u->ready = true;
	if (r->opts.nregions && (r->opts.mode == FPGACAP_RECORD_AUTO ||
				 r->opts.mode == FPGACAP_RECORD_FIXED))
		return register_regions(r, u);
	return 0;
}

static void uring_exit(struct fpgacap_recorder *r, void *priv)
{
	struct uring *u = priv;

	(void)r;
	/* Writes still in flight: the kernel finishes them; their pages
	 * stay pinned until then. */
	if (u->ready)
		io_uring_queue_exit(&u->ring);
}

const struct rec_backend_ops rec_uring_ops = {
	.name = "uring",
	.async = true,
	.priv_size = sizeof(struct uring),
	.init = uring_init,
	.exit = uring_exit,
	.issue = uring_issue,
	.submit = uring_submit,
	.reap = uring_reap,
};

#endif /* FPGACAP_NO_URING */
