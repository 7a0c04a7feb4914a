// SPDX-License-Identifier: MIT
/*
 * The sender's core: the ring of sends awaiting release, backend choice,
 * the auto mode's retreat to copying when zero-copy keeps being copied
 * anyway, and what a signal does to a send in progress.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "clock.h"
#include "libfpgacap-testing.h"
#include "sender.h"

#define NMODES (FPGACAP_SEND_URING + 1)

static const char *const mode_names[NMODES] = {
	[FPGACAP_SEND_AUTO] = "auto",
	[FPGACAP_SEND_COPY] = "copy",
	[FPGACAP_SEND_ZEROCOPY] = "zerocopy",
	[FPGACAP_SEND_URING] = "uring",
};


FPGACAP_API const char *fpgacap_send_mode_name(enum fpgacap_send_mode mode)
{
	if ((unsigned int)mode >= NMODES)
		return "?";
	return mode_names[mode];
}

FPGACAP_API int fpgacap_send_mode_parse(const char *name,
					enum fpgacap_send_mode *mode)
{
	int i = name_index(mode_names, NMODES, name);

	if (i < 0)
		return -EINVAL;
	*mode = (enum fpgacap_send_mode)i;
	return 0;
}

FPGACAP_API bool fpgacap_send_mode_built(enum fpgacap_send_mode mode)
{
	if ((unsigned int)mode >= NMODES)
		return false;
	return mode != FPGACAP_SEND_URING || sender_uring_ops.send;
}

/* ---- helpers for the backends ---- */

struct send_entry *sender_entry_at(struct fpgacap_sender *s, unsigned int i)
{
	return &s->ring[(s->head + i) % s->opts.max_inflight];
}

unsigned int sender_slot(const struct fpgacap_sender *s,
			 const struct send_entry *e)
{
	return (unsigned int)(e - s->ring);
}

struct send_entry *sender_entry_lookup(struct fpgacap_sender *s,
				       unsigned int slot, uint32_t seq)
{
	unsigned int max = s->opts.max_inflight;

	if (slot >= max || (slot + max - s->head) % max >= s->count)
		return NULL;
	return s->ring[slot].seq == seq ? &s->ring[slot] : NULL;
}

int sender_wait_writable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	if (poll(&pfd, 1, timeout_ms) < 0)
		return -errno;
	if (pfd.revents & (POLLHUP | POLLNVAL))
		return -EPIPE;
	return 0;
}

void sender_iov_advance(struct iovec **iov, unsigned int *n, size_t bytes)
{
	while (*n && bytes >= (*iov)->iov_len) {
		bytes -= (*iov)->iov_len;
		(*iov)++;
		(*n)--;
	}
	if (*n && bytes) {
		(*iov)->iov_base = (char *)(*iov)->iov_base + bytes;
		(*iov)->iov_len -= bytes;
	}
}

bool sender_draining(const struct fpgacap_sender *s)
{
	return s->drain_deadline != 0;
}

int sender_drain_check(const struct fpgacap_sender *s)
{
	return s->drain_deadline && fc_now_ns() >= s->drain_deadline ?
	       -ETIMEDOUT : 0;
}

int sender_wait_ms(const struct fpgacap_sender *s, int timeout_ms)
{
	uint64_t now, left;

	if (!s->drain_deadline)
		return timeout_ms;
	now = fc_now_ns();
	left = now < s->drain_deadline ?
	       (s->drain_deadline - now + 999999) / 1000000 : 0;
	if (timeout_ms < 0 || left < (uint64_t)timeout_ms)
		return (int)left;
	return timeout_ms;
}

int sender_interrupted(struct fpgacap_sender *s, const struct send_entry *e)
{
	if (!e->sent && !e->outstanding)
		return -EINTR;
	if (!s->drain_deadline)
		s->drain_deadline = fc_now_ns() + SENDER_DRAIN_MS * 1000000ULL;
	return sender_drain_check(s);
}

int sender_advance(struct fpgacap_sender *s, struct send_entry *e,
		   struct iovec **iov, unsigned int *n, size_t bytes)
{
	e->sent += bytes;
	sender_iov_advance(iov, n, bytes);
	if (!*n)
		return 0;
	s->st.partial++;
	return s->short_is_signal ? sender_interrupted(s, e) : 0;
}

/* Auto mode: if most completions say "copied", stop paying for them. */
void sender_note_completions(struct fpgacap_sender *s, uint64_t n,
			     bool copied)
{
	struct fpgacap_sender_stats *st = &s->st;

	st->completions += n;
	if (copied)
		st->copied += n;
	if (s->opts.mode != FPGACAP_SEND_AUTO || st->fell_back ||
	    s->opts.copy_fallback_pct > 100 || !st->copied_known ||
	    st->completions < s->opts.copy_fallback_window)
		return;
	if (st->copied * 100 >= st->completions * s->opts.copy_fallback_pct) {
		s->use = &s->copy;
		st->fell_back = true;
		st->fallback_reason = 0;
	}
}

/* ---- the ring ---- */

/* Give back, oldest first, every send that is fully released. */
static int release_ready(struct fpgacap_sender *s)
{
	int released = 0;

	while (s->count) {
		struct send_entry *e = &s->ring[s->head];

		if (!e->queued || e->outstanding)
			break;
		s->head = (s->head + 1) % s->opts.max_inflight;
		s->count--;
		released++;
		if (s->opts.release)
			s->opts.release(s->opts.ctx, e->cookie);
	}
	return released;
}

static bool waits_for_completions(struct fpgacap_sender *s)
{
	unsigned int i;

	for (i = 0; i < s->count; i++)
		if (sender_entry_at(s, i)->outstanding)
			return true;
	return false;
}

FPGACAP_API int fpgacap_sender_reap(struct fpgacap_sender *s, int timeout_ms)
{
	int ret = 0, released;

	if (s->zc.ops && waits_for_completions(s))
		ret = s->zc.ops->reap(s, s->zc.priv, timeout_ms);
	released = release_ready(s);
	return ret < 0 ? ret : released;
}

FPGACAP_API int fpgacap_sender_flush(struct fpgacap_sender *s, int timeout_ms)
{
	uint64_t end = fc_now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	int ret;

	release_ready(s);
	while (s->count) {
		int wait = 100;

		if (timeout_ms >= 0) {
			uint64_t now = fc_now_ns();

			if (now >= end)
				return -ETIMEDOUT;
			if (end - now < 100000000ULL)
				wait = (int)((end - now + 999999) / 1000000);
		}
		ret = fpgacap_sender_reap(s, wait);
		if (ret < 0)
			return ret;
	}
	return 0;
}

FPGACAP_API unsigned int fpgacap_sender_pending(const struct fpgacap_sender *s)
{
	return s->count;
}

FPGACAP_API int fpgacap_sender_get_stats(const struct fpgacap_sender *s,
					 struct fpgacap_sender_stats *st)
{
	struct fpgacap_sender_stats now = s->st;

	now.mode = s->use->ops->mode;
	now.requested = s->opts.mode;
	return struct_out(st, &now, sizeof(now));
}

/* Zero-copy refused this memory or this socket: auto copies from now on. */
static bool auto_falls_back(struct fpgacap_sender *s, int err)
{
	if (s->opts.mode != FPGACAP_SEND_AUTO)
		return false;
	s->use = &s->copy;
	s->st.fell_back = true;
	s->st.fallback_reason = -err;
	return true;
}

static int copy_send(struct fpgacap_sender *s, struct send_entry *e,
		     struct iovec **v, unsigned int *n, bool more)
{
	return s->copy.ops->send(s, s->copy.priv, e, v, n, more);
}

/* What is left in *v through the backend in use. */
static int send_rest(struct fpgacap_sender *s, struct send_entry *e,
		     struct iovec **v, unsigned int *n)
{
	int ret;

	for (;;) {
		const struct sender_backend *b = s->use;

		ret = b->ops->send(s, b->priv, e, v, n, false);
		if (ret == -ENOBUFS && b->ops->zerocopy) {
			/* Nothing in flight to give optmem back: copy it. */
			s->st.nobufs_copied++;
			return copy_send(s, e, v, n, false);
		}
		/* Zero-copy refused this memory before any byte went out. */
		if ((ret == -EFAULT || ret == -EOPNOTSUPP) && b->ops->zerocopy &&
		    auto_falls_back(s, ret))
			continue;
		return ret;
	}
}

FPGACAP_API int fpgacap_sender_send(struct fpgacap_sender *s,
				    const struct iovec *iov,
				    unsigned int iovcnt, uint64_t cookie)
{
	struct iovec local[8], *v = local;
	struct send_entry *e;
	unsigned int n = iovcnt, i;
	size_t total = 0;
	int ret;

	if (!iovcnt || iovcnt > 8)
		return -EINVAL;
	/* Room in the ring: wait for the oldest sends to be released. */
	while (s->count == s->opts.max_inflight) {
		ret = fpgacap_sender_reap(s, 1000);
		if (ret < 0)
			return ret;
	}
	for (i = 0; i < iovcnt; i++) {
		local[i] = iov[i];
		total += iov[i].iov_len;
	}

	e = sender_entry_at(s, s->count);
	memset(e, 0, sizeof(*e));
	e->cookie = cookie;
	e->seq = s->seq++;
	s->count++;
	s->drain_deadline = 0;

	ret = 0;
	while (n && !ret) {
		/* Small elements go by copy, in front of what follows. */
		if (s->use->ops->zerocopy && v->iov_len < ZEROCOPY_MIN_BYTES) {
			unsigned int one = 1;

			ret = copy_send(s, e, &v, &one, n > 1);
			if (!ret)
				n--;
			continue;
		}
		ret = send_rest(s, e, &v, &n);
	}
	s->drain_deadline = 0;
	if (ret == -EINTR) {
		/* Nothing of it went out: the caller keeps the buffer. */
		s->count--;
		return ret;
	}
	/* On an error the entry stays: completions of what went out come. */
	e->queued = true;
	if (ret < 0)
		return ret;
	s->st.sends++;
	s->st.bytes += total;
	if (s->testing_early_release)
		e->outstanding = 0;
	release_ready(s);
	return 0;
}

/* ---- life ---- */

static int backend_init(struct fpgacap_sender *s, struct sender_backend *b,
			const struct sender_backend_ops *ops)
{
	int ret;

	b->priv = ops->priv_size ? calloc(1, ops->priv_size) : NULL;
	if (ops->priv_size && !b->priv)
		return -ENOMEM;
	ret = ops->init ? ops->init(s, b->priv) : 0;
	if (ret) {
		free(b->priv);
		b->priv = NULL;
		return ret;
	}
	b->ops = ops;
	return 0;
}

static void backend_exit(struct fpgacap_sender *s, struct sender_backend *b)
{
	if (!b->ops)
		return;
	if (b->ops->exit)
		b->ops->exit(s, b->priv);
	free(b->priv);
	b->ops = NULL;
	b->priv = NULL;
}

/* A short send on a blocking socket without a send timeout is a signal. */
static bool short_send_is_signal(int fd)
{
	struct timeval tv = { 0 };
	socklen_t len = sizeof(tv);
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & O_NONBLOCK))
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len))
		return false;
	return !tv.tv_sec && !tv.tv_usec;
}

/* The zero-copy backend for @mode: uring, MSG_ZEROCOPY, or (auto) either. */
static int choose_backend(struct fpgacap_sender *s)
{
	switch (s->opts.mode) {
	case FPGACAP_SEND_URING:
		return backend_init(s, &s->zc, &sender_uring_ops);
	case FPGACAP_SEND_ZEROCOPY:
		return backend_init(s, &s->zc, &sender_msgzc_ops);
	case FPGACAP_SEND_COPY:
		return 0;
	case FPGACAP_SEND_AUTO:
		if (!s->is_socket)
			return 0;
		/* io_uring first (no error-queue syscalls), then
		 * MSG_ZEROCOPY, then copying. */
		if (backend_init(s, &s->zc, &sender_uring_ops))
			backend_init(s, &s->zc, &sender_msgzc_ops);
		return 0;
	default:
		return -EINVAL;
	}
}

FPGACAP_API int fpgacap_sender_create(const struct fpgacap_sender_opts *opts,
				      struct fpgacap_sender **out)
{
	struct fpgacap_sender *s;
	struct stat sb;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	ret = struct_in(&s->opts, sizeof(s->opts), opts);
	if (ret) {
		free(s);
		return ret;
	}
	if (!s->opts.max_inflight)
		s->opts.max_inflight = 64;
	if (!s->opts.copy_fallback_window)
		s->opts.copy_fallback_window = 32;
	if (!s->opts.copy_fallback_pct)
		s->opts.copy_fallback_pct = 50;
	s->ring = calloc(s->opts.max_inflight, sizeof(*s->ring));
	if (!s->ring) {
		free(s);
		return -ENOMEM;
	}
	s->st.copied_known = true;
	s->is_socket = !fstat(s->opts.fd, &sb) && S_ISSOCK(sb.st_mode);
	s->short_is_signal = s->is_socket && short_send_is_signal(s->opts.fd);
	ret = backend_init(s, &s->copy, &sender_copy_ops);
	if (!ret && !s->is_socket && s->opts.mode != FPGACAP_SEND_COPY &&
	    s->opts.mode != FPGACAP_SEND_AUTO)
		ret = -ENOTSOCK;
	if (!ret)
		ret = choose_backend(s);
	if (ret) {
		fpgacap_sender_destroy(s);
		return ret;
	}
	s->use = s->zc.ops ? &s->zc : &s->copy;
	*out = s;
	return 0;
}

FPGACAP_API void fpgacap_sender_destroy(struct fpgacap_sender *s)
{
	if (!s)
		return;
	backend_exit(s, &s->zc);
	backend_exit(s, &s->copy);
	free(s->ring);
	free(s);
}

/* Tests only (libfpgacap-testing.h): release on send() return. */
void fpgacap_testing_early_release(struct fpgacap_sender *s, bool on)
{
	s->testing_early_release = on;
}
